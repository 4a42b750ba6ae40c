//! Redis 7.0 listpacks, written as Redis writes them (`listpack.c`'s
//! format), for RDB's `QUICKLIST_2`, `HASH_LISTPACK` and `ZSET_LISTPACK`.
//!
//! A listpack is a 6-byte header (total bytes as a u32 and the element
//! count as a u16, both little-endian; a count of 65535 or more is written
//! as 65535, "unknown"), the entries, and a `0xFF` terminator. An entry is
//! its encoding (and data), then a *backlen*: the size of encoding plus data,
//! written so that it can be read backwards.
//!
//! Strings that are canonical integers (as `string2ll` reads them) are
//! stored as integers, in the smallest of: a 7-bit unsigned, 13-bit, 16-,
//! 24-, 32- or 64-bit signed integer; other strings with a 6-bit, 12-bit or
//! 32-bit length.

use ferrite_storage::num::{fmt_i64, parse_i64, MAX_I64_CHARS};

/// Bytes of the header (total bytes, element count).
pub const HEADER_SIZE: usize = 6;
/// The terminator byte.
pub const EOF: u8 = 0xFF;
/// An element count this large or larger is stored as this ("unknown").
const NUMELE_UNKNOWN: usize = 65535;

/// One entry's encoding: an integer or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc<'a> {
    Int(i64),
    Str(&'a [u8]),
}

fn classify(v: &[u8]) -> Enc<'_> {
    match parse_i64(v) {
        Some(n) => Enc::Int(n),
        None => Enc::Str(v),
    }
}

/// Size of an entry's encoding and data (what its backlen records).
fn body_size(e: Enc<'_>) -> usize {
    match e {
        Enc::Int(n) => int_body_size(n),
        Enc::Str(s) => {
            let l = s.len();
            if l < 64 {
                1 + l
            } else if l < 4096 {
                2 + l
            } else {
                5 + l
            }
        }
    }
}

fn int_body_size(n: i64) -> usize {
    if (0..=127).contains(&n) {
        1
    } else if (-4096..=4095).contains(&n) {
        2
    } else if (-32768..=32767).contains(&n) {
        3
    } else if (-8_388_608..=8_388_607).contains(&n) {
        4
    } else if (-2_147_483_648..=2_147_483_647).contains(&n) {
        5
    } else {
        9
    }
}

/// Bytes the backlen of a `body`-byte entry takes. Redis's thresholds are
/// one below the powers of 128 from two bytes on (`lpEncodeBacklen`).
fn backlen_size(body: usize) -> usize {
    if body <= 127 {
        1
    } else if body < 16383 {
        2
    } else if body < 2_097_151 {
        3
    } else if body < 268_435_455 {
        4
    } else {
        5
    }
}

/// Bytes an entry for the string `v` takes in a listpack (encoding, data and
/// backlen); `v` is stored as an integer when it is one.
pub fn entry_size(v: &[u8]) -> usize {
    let b = body_size(classify(v));
    b + backlen_size(b)
}

/// Bytes an entry for the integer `n` takes.
pub fn int_entry_size(n: i64) -> usize {
    let b = int_body_size(n);
    b + backlen_size(b)
}

fn put_backlen(out: &mut Vec<u8>, body: usize) {
    let (bytes, n) = backlen_bytes(body);
    out.extend_from_slice(&bytes[..n]);
}

/// The backlen of a `body`-byte entry and its size.
fn backlen_bytes(body: usize) -> ([u8; 5], usize) {
    let n = backlen_size(body);
    let mut out = [0u8; 5];
    // The first byte holds the highest 7-bit group; every later byte has the
    // high bit set, so a reader walking backwards knows where to stop.
    for (j, i) in (0..n).rev().enumerate() {
        let group = ((body >> (7 * i)) & 127) as u8;
        out[j] = if i + 1 == n { group } else { group | 128 };
    }
    (out, n)
}

fn put_entry(out: &mut Vec<u8>, e: Enc<'_>) {
    let body = body_size(e);
    match e {
        Enc::Int(n) => {
            let b = n.to_le_bytes();
            match body {
                1 => out.push(n as u8),
                2 => {
                    let u = (n as u64) & 0x1FFF;
                    out.push(0xC0 | (u >> 8) as u8);
                    out.push(u as u8);
                }
                3 => {
                    out.push(0xF1);
                    out.extend_from_slice(b.get(..2).unwrap_or_default());
                }
                4 => {
                    out.push(0xF2);
                    out.extend_from_slice(b.get(..3).unwrap_or_default());
                }
                5 => {
                    out.push(0xF3);
                    out.extend_from_slice(b.get(..4).unwrap_or_default());
                }
                _ => {
                    out.push(0xF4);
                    out.extend_from_slice(&b);
                }
            }
        }
        Enc::Str(s) => {
            let l = s.len();
            if l < 64 {
                out.push(0x80 | l as u8);
            } else if l < 4096 {
                out.push(0xE0 | (l >> 8) as u8);
                out.push(l as u8);
            } else {
                out.push(0xF0);
                out.extend_from_slice(&(l as u32).to_le_bytes());
            }
            out.extend_from_slice(s);
        }
    }
    put_backlen(out, body);
}

/// Builds one listpack, entry by entry.
#[derive(Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// An empty listpack.
    pub fn new() -> Writer {
        Writer {
            buf: vec![0; HEADER_SIZE],
            count: 0,
        }
    }

    /// Appends the string `v` (as an integer when it is a canonical one).
    pub fn push(&mut self, v: &[u8]) {
        put_entry(&mut self.buf, classify(v));
        self.count += 1;
    }

    /// Appends the integer `n`.
    pub fn push_int(&mut self, n: i64) {
        put_entry(&mut self.buf, Enc::Int(n));
        self.count += 1;
    }

    /// Entries so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The listpack's total size in bytes once finished (`lpBytes`).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// The finished listpack: header filled in, terminator appended.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        let count = self.count.min(NUMELE_UNKNOWN) as u16;
        if let Some(h) = self.buf.get_mut(..HEADER_SIZE) {
            h[..4].copy_from_slice(&total.to_le_bytes());
            h[4..].copy_from_slice(&count.to_le_bytes());
        }
        self.buf
    }
}

// ---------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------

/// One element of a compact blob (listpack or ziplist): an integer or a
/// string borrowed from the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    /// An integer entry.
    Int(i64),
    /// A string entry.
    Str(&'a [u8]),
}

impl Elem<'_> {
    /// Calls `f` with the element as bytes (integers in decimal).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            Elem::Int(n) => {
                let mut buf = [0u8; MAX_I64_CHARS];
                f(fmt_i64(n, &mut buf))
            }
            Elem::Str(s) => f(s),
        }
    }

    /// The element's length as a string.
    pub fn len(&self) -> usize {
        self.with_bytes(<[u8]>::len)
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads `n` little-endian bytes at `at` as a sign-extended integer.
fn le_signed(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    let mut v: u64 = 0;
    for (i, &x) in bytes.iter().enumerate() {
        v |= u64::from(x) << (8 * i);
    }
    let shift = 64 - 8 * n as u32;
    Some(((v << shift) as i64) >> shift)
}

/// Parses and validates a listpack as Redis's deep integrity check does
/// (`lpValidateIntegrity` with `deep`): the header's total size equals the
/// blob's, every entry's encoding is known and lies before the terminator,
/// every backlen records its entry's size, the terminator ends the blob,
/// and a header count below 65535 equals the entries found. Returns the
/// entries, or what is wrong.
pub fn parse(lp: &[u8]) -> Result<Vec<Elem<'_>>, &'static str> {
    if lp.len() < HEADER_SIZE + 1 {
        return Err("listpack shorter than its header");
    }
    let total = le_signed(lp, 0, 4).map_or(0, |v| v as u32 as usize);
    if total != lp.len() {
        return Err("listpack header size differs from its length");
    }
    let count = le_signed(lp, 4, 2).map_or(0, |v| v as u16 as usize);
    if lp.last() != Some(&EOF) {
        return Err("listpack not terminated");
    }
    let end = lp.len() - 1;
    let mut out = Vec::new();
    let mut p = HEADER_SIZE;
    while p < end {
        let (elem, body) = entry_at(lp, p, end)?;
        let (want, back) = backlen_bytes(body);
        let at = p + body;
        if at + back > end || lp.get(at..at + back) != Some(&want[..back]) {
            return Err("listpack entry backlen mismatch");
        }
        out.push(elem);
        p = at + back;
    }
    if count != NUMELE_UNKNOWN && count != out.len() {
        return Err("listpack header count differs from its entries");
    }
    Ok(out)
}

/// The entry at `p` (which must end before `end`) and the size of its
/// encoding and data.
fn entry_at(lp: &[u8], p: usize, end: usize) -> Result<(Elem<'_>, usize), &'static str> {
    const OUT: &str = "listpack entry past the end";
    let b = *lp.get(p).ok_or(OUT)?;
    let str_at = |hdr: usize, len: usize| -> Result<(Elem<'_>, usize), &'static str> {
        let start = p + hdr;
        let stop = start.checked_add(len).ok_or(OUT)?;
        if stop > end {
            return Err(OUT);
        }
        Ok((Elem::Str(lp.get(start..stop).ok_or(OUT)?), hdr + len))
    };
    let int_at = |n: usize| -> Result<(Elem<'_>, usize), &'static str> {
        if p + 1 + n > end {
            return Err(OUT);
        }
        Ok((Elem::Int(le_signed(lp, p + 1, n).ok_or(OUT)?), 1 + n))
    };
    match b {
        0x00..=0x7F => Ok((Elem::Int(i64::from(b)), 1)),
        0x80..=0xBF => str_at(1, usize::from(b & 0x3F)),
        0xC0..=0xDF => {
            if p + 2 > end {
                return Err(OUT);
            }
            let lo = *lp.get(p + 1).ok_or(OUT)?;
            let u = (i64::from(b & 0x1F) << 8) | i64::from(lo);
            let n = if u >= 1 << 12 { u - (1 << 13) } else { u };
            Ok((Elem::Int(n), 2))
        }
        0xE0..=0xEF => {
            let lo = *lp.get(p + 1).ok_or(OUT)?;
            str_at(2, (usize::from(b & 0x0F) << 8) | usize::from(lo))
        }
        0xF0 => {
            let len = le_signed(lp, p + 1, 4).ok_or(OUT)? as u32 as usize;
            str_at(5, len)
        }
        0xF1 => int_at(2),
        0xF2 => int_at(3),
        0xF3 => int_at(4),
        0xF4 => int_at(8),
        _ => Err("listpack entry with an invalid encoding"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.push(v);
        let lp = w.finish();
        assert_eq!(lp.len(), HEADER_SIZE + entry_size(v) + 1);
        lp[HEADER_SIZE..lp.len() - 1].to_vec()
    }

    fn int(n: i64) -> Vec<u8> {
        one(n.to_string().as_bytes())
    }

    #[test]
    fn integers_at_every_width() {
        assert_eq!(int(0), [0x00, 0x01]);
        assert_eq!(int(127), [0x7F, 0x01]);
        // 13-bit: 110xxxxx then the low byte; negatives in two's complement.
        assert_eq!(int(128), [0xC0, 0x80, 0x02]);
        assert_eq!(int(-1), [0xDF, 0xFF, 0x02]);
        assert_eq!(int(4095), [0xCF, 0xFF, 0x02]);
        assert_eq!(int(-4096), [0xD0, 0x00, 0x02]);
        assert_eq!(int(4096), [0xF1, 0x00, 0x10, 0x03]);
        assert_eq!(int(-32768), [0xF1, 0x00, 0x80, 0x03]);
        assert_eq!(int(32768), [0xF2, 0x00, 0x80, 0x00, 0x04]);
        assert_eq!(int(-8_388_608), [0xF2, 0x00, 0x00, 0x80, 0x04]);
        assert_eq!(int(8_388_608), [0xF3, 0x00, 0x00, 0x80, 0x00, 0x05]);
        assert_eq!(int(i32::MIN.into()), [0xF3, 0, 0, 0, 0x80, 0x05]);
        assert_eq!(
            int(i32::MAX as i64 + 1),
            [0xF4, 0, 0, 0, 0x80, 0, 0, 0, 0, 0x09]
        );
        assert_eq!(int(i64::MIN), [0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09]);
    }

    #[test]
    fn strings_at_every_width() {
        assert_eq!(one(b""), [0x80, 0x01]);
        assert_eq!(one(b"ab"), [0x82, b'a', b'b', 0x03]);
        // Not canonical integers: stay strings.
        assert_eq!(one(b"-0"), [0x82, b'-', b'0', 0x03]);
        assert_eq!(one(b"01"), [0x82, b'0', b'1', 0x03]);
        let s63 = [b'x'; 63];
        assert_eq!(one(&s63)[..1], [0xBF]);
        assert_eq!(*one(&s63).last().unwrap(), 64);
        // 12-bit length; body 2 + 64 = 66.
        let e = one(&[b'x'; 64]);
        assert_eq!(e[..2], [0xE0, 64]);
        assert_eq!(e[e.len() - 1], 66);
        // Body 2 + 126 = 128: the first two-byte backlen.
        let e = one(&[b'x'; 126]);
        assert_eq!(e[e.len() - 2..], [0x01, 0x80]);
        let e = one(&[b'x'; 4095]);
        assert_eq!(e[..2], [0xEF, 0xFF]);
        // 4097 = 32 * 128 + 1.
        assert_eq!(e[e.len() - 2..], [32, 0x81]);
        // 32-bit length; body 5 + 4096 = 4101 = 32 * 128 + 5.
        let e = one(&[b'x'; 4096]);
        assert_eq!(e[..5], [0xF0, 0x00, 0x10, 0x00, 0x00]);
        assert_eq!(e[e.len() - 2..], [32, 0x85]);
        // Body 16383 takes three backlen bytes (Redis's `< 16383`).
        let e = one(&vec![b'x'; 16378]);
        assert_eq!(e[e.len() - 3..], [0, 0xFF, 0xFF]);
        let e = one(&vec![b'x'; 16377]);
        assert_eq!(e[e.len() - 2..], [0x7F, 0xFE]);
    }

    #[test]
    fn header_and_terminator() {
        let mut w = Writer::new();
        for v in [&b"a"[..], b"b", b"1", b"2"] {
            w.push(v);
        }
        assert_eq!(w.bytes(), 17);
        // Checked against redis-server 7.0: RPUSH l a b 1 2.
        assert_eq!(
            w.finish(),
            b"\x11\x00\x00\x00\x04\x00\x81a\x02\x81b\x02\x01\x01\x02\x01\xff"
        );
        let mut w = Writer::new();
        for _ in 0..70000 {
            w.push_int(1);
        }
        let lp = w.finish();
        assert_eq!(lp[4..6], [0xFF, 0xFF]);
        assert_eq!(lp.len(), 6 + 140000 + 1);
    }

    /// Test-only reader: (entry as text, body size) from `at`.
    fn read_entry(lp: &[u8], at: usize) -> (Vec<u8>, usize) {
        let b = lp[at];
        let le = |n: usize| {
            let mut v = [0u8; 8];
            v[..n].copy_from_slice(&lp[at + 1..at + 1 + n]);
            // Sign-extend from n bytes.
            let shift = 64 - 8 * n as u32;
            ((i64::from_le_bytes(v) << shift) >> shift, n + 1)
        };
        let (n, body) = match b {
            0x00..=0x7F => (i64::from(b), 1),
            0x80..=0xBF => {
                let l = usize::from(b & 0x3F);
                return (lp[at + 1..at + 1 + l].to_vec(), 1 + l);
            }
            0xC0..=0xDF => {
                let u = (i64::from(b & 0x1F) << 8) | i64::from(lp[at + 1]);
                (if u >= 4096 { u - 8192 } else { u }, 2)
            }
            0xE0..=0xEF => {
                let l = (usize::from(b & 0x0F) << 8) | usize::from(lp[at + 1]);
                return (lp[at + 2..at + 2 + l].to_vec(), 2 + l);
            }
            0xF0 => {
                let l = u32::from_le_bytes(lp[at + 1..at + 5].try_into().unwrap()) as usize;
                return (lp[at + 5..at + 5 + l].to_vec(), 5 + l);
            }
            0xF1 => le(2),
            0xF2 => le(3),
            0xF3 => le(4),
            0xF4 => le(8),
            _ => panic!("bad encoding {b:#x}"),
        };
        (n.to_string().into_bytes(), body)
    }

    /// The backlen ending just before `end`: (body size, its own bytes).
    fn read_backlen(lp: &[u8], end: usize) -> (usize, usize) {
        let mut v = 0usize;
        let mut i = 0;
        loop {
            let b = lp[end - 1 - i];
            v |= usize::from(b & 127) << (7 * i);
            i += 1;
            if b & 128 == 0 {
                return (v, i);
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        /// Walking forwards and backwards gives back what was pushed.
        #[test]
        fn entries_read_back_both_ways(items in proptest::collection::vec(prop_oneof![
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            (-10_000i64..10_000).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..70),
            (0usize..5000).prop_map(|n| vec![b'q'; n]),
        ], 0..40)) {
            let mut w = Writer::new();
            for v in &items {
                w.push(v);
            }
            let expected_bytes = w.bytes();
            let lp = w.finish();
            prop_assert_eq!(lp.len(), expected_bytes);
            prop_assert_eq!(u32::from_le_bytes(lp[..4].try_into().unwrap()) as usize, lp.len());
            prop_assert_eq!(usize::from(u16::from_le_bytes([lp[4], lp[5]])), items.len());
            prop_assert_eq!(lp.last().copied(), Some(EOF));
            let mut at = HEADER_SIZE;
            let mut ends = Vec::new();
            for v in &items {
                let (text, body) = read_entry(&lp, at);
                prop_assert_eq!(&text, v);
                prop_assert_eq!(body + backlen_size(body), entry_size(v));
                at += entry_size(v);
                ends.push(at);
            }
            prop_assert_eq!(at, lp.len() - 1);
            let mut end = lp.len() - 1;
            for v in items.iter().rev() {
                let (body, own) = read_backlen(&lp, end);
                let start = end - own - body;
                prop_assert_eq!(&read_entry(&lp, start).0, v);
                end = start;
            }
            prop_assert_eq!(end, HEADER_SIZE);
        }
    }

    #[test]
    fn parse_reads_what_the_writer_writes() {
        let big = vec![b'q'; 5000];
        let mid = vec![b'm'; 300];
        let items: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"-1",
            b"4095",
            b"-4096",
            b"40000",
            b"-8388608",
            b"2147483647",
            b"9223372036854775807",
            &mid,
            &big,
            b"01",
        ];
        let mut w = Writer::new();
        for i in &items {
            w.push(i);
        }
        let lp = w.finish();
        let got: Vec<Vec<u8>> = parse(&lp)
            .unwrap()
            .iter()
            .map(|e| e.with_bytes(<[u8]>::to_vec))
            .collect();
        let want: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
        assert_eq!(got, want);
        assert_eq!(parse(&Writer::new().finish()).unwrap(), []);
    }

    #[test]
    fn parse_refuses_corruption() {
        let mut w = Writer::new();
        w.push(b"ab");
        w.push(b"300");
        let lp = w.finish();
        for cut in 0..lp.len() {
            assert!(parse(&lp[..cut]).is_err(), "cut {cut}");
        }
        let bad = |i: usize, v: u8| {
            let mut c = lp.clone();
            c[i] = v;
            parse(&c).map(|v| v.len())
        };
        assert_eq!(
            bad(0, 99),
            Err("listpack header size differs from its length")
        );
        assert_eq!(
            bad(4, 3),
            Err("listpack header count differs from its entries")
        );
        assert!(bad(4, 0xFF).is_err());
        // 65535 means "unknown": any count is accepted.
        let mut c = lp.clone();
        c[4] = 0xFF;
        c[5] = 0xFF;
        assert_eq!(parse(&c).unwrap().len(), 2);
        assert_eq!(bad(9, 4), Err("listpack entry backlen mismatch"));
        assert_eq!(bad(6, 0xF5), Err("listpack entry with an invalid encoding"));
        assert_eq!(bad(6, 0x83), Err("listpack entry backlen mismatch"));
        assert_eq!(bad(6, 0xBF), Err("listpack entry past the end"));
        assert_eq!(bad(lp.len() - 1, 0), Err("listpack not terminated"));
    }
}
