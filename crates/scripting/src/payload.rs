//! FUNCTION DUMP / RESTORE payloads: each library as RDB's
//! `RDB_OPCODE_FUNCTION2` and its code as an RDB string, then the RDB
//! version and a CRC64, as DUMP payloads are. The reader is bounded: no
//! length it reads reserves memory, and LZF output never grows past the
//! length the payload declares (which itself is bounded by the input).

use bytes::Bytes;

/// RDB's opcode of a function library in a dump (`RDB_OPCODE_FUNCTION2`).
const OPCODE_FUNCTION: u8 = 0xF5;
/// The RDB version Redis 7.0 writes (and the newest it reads).
const RDB_VERSION: u16 = ferrite_persistence::rdb::RDB_VERSION;

/// Redis's CRC64 (the DUMP and RDB checksum), from the persistence crate.
pub use ferrite_persistence::crc64;
/// LZF decompression (bounded), from the persistence crate.
pub use ferrite_persistence::lzf::decompress as lzf_decompress;

/// FUNCTION DUMP's payload: each library as the opcode and its code as an
/// RDB string (LZF-compressed as Redis does when `compression` is on and
/// the code is long), then the RDB version and a CRC64, as DUMP payloads are.
pub fn dump(codes: &[(String, Bytes)], compression: bool) -> Vec<u8> {
    let opts = ferrite_persistence::rdb::encode::Options {
        compression,
        ..Default::default()
    };
    let mut out: Vec<u8> = Vec::new();
    for (_, code) in codes {
        out.push(OPCODE_FUNCTION);
        ferrite_persistence::rdb::encode::put_string(&mut out, code, &opts);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The library codes of a FUNCTION DUMP payload (Redis's or Ferrite's),
/// or None when it is malformed or its version or checksum is wrong.
pub fn undump(payload: &[u8]) -> Option<Vec<Bytes>> {
    if payload.len() < 10 {
        return None;
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..10].try_into().ok()?);
    if version > RDB_VERSION || crc64(&payload[..payload.len() - 8]) != crc {
        return None;
    }
    let mut r = Reader { buf: body, at: 0 };
    let mut codes = Vec::new();
    while r.at < body.len() {
        if r.byte()? != OPCODE_FUNCTION {
            return None;
        }
        codes.push(Bytes::from(r.string()?));
    }
    Some(codes)
}

/// Reads RDB lengths and strings (plain, integer-encoded or LZF).
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

/// An RDB length, or the special encoding that follows (`0xC0` + type).
enum Len {
    Plain(u64),
    Special(u8),
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.buf.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn len(&mut self) -> Option<Len> {
        let b = self.byte()?;
        Some(match b >> 6 {
            0 => Len::Plain((b & 0x3F) as u64),
            1 => Len::Plain((((b & 0x3F) as u64) << 8) | self.byte()? as u64),
            2 => match b {
                0x80 => Len::Plain(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
                _ => return None,
            },
            _ => Len::Special(b & 0x3F),
        })
    }

    fn plain_len(&mut self) -> Option<usize> {
        match self.len()? {
            Len::Plain(n) => usize::try_from(n).ok(),
            Len::Special(_) => None,
        }
    }

    fn string(&mut self) -> Option<Vec<u8>> {
        match self.len()? {
            Len::Plain(n) => Some(self.take(usize::try_from(n).ok()?)?.to_vec()),
            Len::Special(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Len::Special(1) => Some(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Special(2) => Some(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Special(3) => {
                let clen = self.plain_len()?;
                let len = self.plain_len()?;
                let data = self.take(clen)?;
                lzf_decompress(data, len)
            }
            Len::Special(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dump_round_trips() {
        let codes = vec![
            ("a".to_string(), Bytes::from_static(b"#!lua name=a\nx")),
            ("b".to_string(), Bytes::from(vec![b'y'; 20000])),
        ];
        let payload = dump(&codes, true);
        let back = undump(&payload).unwrap();
        assert_eq!(back, vec![codes[0].1.clone(), codes[1].1.clone()]);
        // The long code is compressed unless compression is off.
        assert!(payload.len() < 1000);
        let plain = dump(&codes, false);
        assert!(plain.len() > 20000);
        assert_eq!(undump(&plain).unwrap(), back);
        let mut bad = payload.clone();
        bad[3] ^= 1;
        assert!(undump(&bad).is_none());
        assert!(undump(b"xx").is_none());
    }

    /// A payload with a valid footer around arbitrary bytes.
    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = body.to_vec();
        v.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        v
    }

    proptest! {
        #[test]
        fn any_bytes_are_refused_or_read(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = undump(&bytes);
            // Past the checksum too: the reader itself must hold.
            let _ = undump(&framed(&bytes));
        }
    }
}
