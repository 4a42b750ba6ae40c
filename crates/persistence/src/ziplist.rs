//! Reading Redis's ziplists, the compact blob RDB files of Redis 6.2 and
//! older (RDB versions up to 9) hold for small lists, hashes and sorted
//! sets. Redis 7.0 converts them to listpacks on load; Ferrite reads their
//! elements and builds its own values.
//!
//! A ziplist is a 10-byte header (total bytes as a u32, offset of the last
//! entry as a u32, the entry count as a u16, all little-endian; a count of
//! 65535 means "unknown"), the entries and a `0xFF` terminator. An entry is
//! the previous entry's size (one byte below 254, else `0xFE` and a u32),
//! an encoding and the data.

use crate::listpack::Elem;

/// Bytes of the header.
const HEADER_SIZE: usize = 10;
/// The terminator byte.
const END: u8 = 0xFF;
/// The prevlen marker of a 4-byte previous-entry size.
const BIG_PREVLEN: u8 = 0xFE;

fn le(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .enumerate()
            .fold(0u64, |v, (i, &x)| v | (u64::from(x) << (8 * i))),
    )
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    Some(bytes.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

fn signed(v: u64, n: usize) -> i64 {
    let shift = 64 - 8 * n as u32;
    ((v << shift) as i64) >> shift
}

/// Parses and validates a ziplist as Redis's deep integrity check does
/// (`ziplistValidateIntegrity` with `deep`): the header's total size equals
/// the blob's, the tail offset points at the last entry, each entry lies
/// before the terminator with a known encoding and records its
/// predecessor's size, and a header count below 65535 equals the entries
/// found. Returns the entries, or what is wrong.
pub fn parse(zl: &[u8]) -> Result<Vec<Elem<'_>>, &'static str> {
    const OUT: &str = "ziplist entry past the end";
    if zl.len() < HEADER_SIZE + 1 {
        return Err("ziplist shorter than its header");
    }
    if le(zl, 0, 4) != Some(zl.len() as u64) {
        return Err("ziplist header size differs from its length");
    }
    let tail = le(zl, 4, 4).unwrap_or(0) as usize;
    let count = le(zl, 8, 2).unwrap_or(0) as usize;
    if zl.last() != Some(&END) {
        return Err("ziplist not terminated");
    }
    let end = zl.len() - 1;
    let mut out = Vec::new();
    let mut p = HEADER_SIZE;
    let mut prev_size = 0usize;
    let mut last = HEADER_SIZE;
    while p < end {
        let first = *zl.get(p).ok_or(OUT)?;
        let (prevlen, plen) = if first < BIG_PREVLEN {
            (usize::from(first), 1)
        } else if first == BIG_PREVLEN {
            (le(zl, p + 1, 4).ok_or(OUT)? as usize, 5)
        } else {
            return Err("ziplist entry with an invalid prevlen");
        };
        if prevlen != prev_size {
            return Err("ziplist entry prevlen mismatch");
        }
        let e = p + plen;
        let enc = *zl.get(e).ok_or(OUT)?;
        let (hdr, len, elem_int): (usize, usize, Option<i64>) = match enc >> 6 {
            0 => (1, usize::from(enc & 0x3F), None),
            1 => (
                2,
                (usize::from(enc & 0x3F) << 8) | usize::from(*zl.get(e + 1).ok_or(OUT)?),
                None,
            ),
            2 => (5, be(zl, e + 1, 4).ok_or(OUT)? as usize, None),
            _ => {
                let (n, v) = match enc {
                    0xC0 => (2, le(zl, e + 1, 2).map(|v| signed(v, 2))),
                    0xD0 => (4, le(zl, e + 1, 4).map(|v| signed(v, 4))),
                    0xE0 => (8, le(zl, e + 1, 8).map(|v| signed(v, 8))),
                    0xF0 => (3, le(zl, e + 1, 3).map(|v| signed(v, 3))),
                    0xFE => (1, le(zl, e + 1, 1).map(|v| signed(v, 1))),
                    0xF1..=0xFD => (0, Some(i64::from(enc & 0x0F) - 1)),
                    _ => return Err("ziplist entry with an invalid encoding"),
                };
                (1, n, Some(v.ok_or(OUT)?))
            }
        };
        let data = e.checked_add(hdr).ok_or(OUT)?;
        let next = data.checked_add(len).ok_or(OUT)?;
        if next > end {
            return Err(OUT);
        }
        out.push(match elem_int {
            Some(n) => Elem::Int(n),
            None => Elem::Str(zl.get(data..next).ok_or(OUT)?),
        });
        prev_size = next - p;
        last = p;
        p = next;
    }
    if tail != last {
        return Err("ziplist tail offset mismatch");
    }
    if count != usize::from(u16::MAX) && count != out.len() {
        return Err("ziplist header count differs from its entries");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ziplist of `entries` (each the raw encoding + data), as Redis
    /// builds one, for tests.
    pub(crate) fn build(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER_SIZE;
        for e in entries {
            tail = HEADER_SIZE + body.len();
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(BIG_PREVLEN);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            body.extend_from_slice(e);
            prev = body.len() - start;
        }
        let mut zl = Vec::new();
        zl.extend_from_slice(&((HEADER_SIZE + body.len() + 1) as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(END);
        zl
    }

    #[test]
    fn every_encoding() {
        let big = vec![b'x'; 300];
        let mut e14 = vec![0x41, 0x2C];
        e14.extend_from_slice(&big);
        let entries: Vec<&[u8]> = vec![
            b"\x02ab",
            &e14,
            b"\xC0\xFF\x7F",
            b"\xD0\x00\x00\x00\x80",
            b"\xE0\x01\x00\x00\x00\x00\x00\x00\x00",
            b"\xF0\xFF\xFF\xFF",
            b"\xFE\x80",
            b"\xF1",
            b"\xFD",
            b"\x80\x00\x00\x00\x01z",
        ];
        let zl = build(&entries);
        let got = parse(&zl).unwrap();
        assert_eq!(
            got,
            [
                Elem::Str(b"ab"),
                Elem::Str(&big),
                Elem::Int(32767),
                Elem::Int(i64::from(i32::MIN)),
                Elem::Int(1),
                Elem::Int(-1),
                Elem::Int(-128),
                Elem::Int(0),
                Elem::Int(12),
                Elem::Str(b"z"),
            ]
        );
        assert_eq!(parse(&build(&[])).unwrap(), []);
    }

    #[test]
    fn corruption_is_refused() {
        let zl = build(&[b"\x02ab", b"\xF5"]);
        for cut in 0..zl.len() {
            assert!(parse(&zl[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = zl.clone();
        bad[8] = 3; // count
        assert!(parse(&bad).is_err());
        let mut bad = zl.clone();
        bad[4] = 11; // tail
        assert!(parse(&bad).is_err());
        let mut bad = zl.clone();
        bad[14] = 1; // prevlen of the second entry
        assert!(parse(&bad).is_err());
        let mut bad = zl.clone();
        bad[15] = 0xC1; // encoding
        assert!(parse(&bad).is_err());
        let mut bad = zl;
        bad[11] = 0x09; // string length past the end
        assert!(parse(&bad).is_err());
    }
}
