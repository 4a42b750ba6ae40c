//! LZF, as Redis uses it for RDB strings.
//!
//! [`compress`] produces the bytes of liblzf 3.6's `lzf_compress` as Redis
//! builds it (`HLOG` 16, `VERY_FAST`, offsets in the hash table, no
//! `ULTRA_FAST`), including its refusal to write past the caller's output
//! bound, which decides whether Redis stores a string compressed at all (see
//! [`compress_for_rdb`]). The same walk can run without storing its output
//! ([`compressed_len`]), for lengths of values that are never written.
//!
//! One difference is deliberate: liblzf leaves its hash table uninitialised
//! (on the stack), so a slot may hold a position left there by an earlier
//! call; such a stale position is only used when the bytes at it match, so
//! it can only lengthen a match that the output then describes correctly.
//! Here every call starts from an empty table, which is what liblzf does
//! for a fresh stack and what the oracle tests observe; a byte-level
//! difference would need a stale slot to point at a repeat that the input's
//! own history missed.
//!
//! [`decompress`] is bounded: it never writes past the length the caller
//! expects, whatever the input claims.

use std::cell::RefCell;

/// `HLOG` of Redis's `lzfP.h`: the hash table has `1 << HLOG` slots.
const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
/// Longest literal run.
const MAX_LIT: usize = 1 << 5;
/// Farthest back-reference distance.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference.
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// Redis compresses no string of this many bytes or fewer (`rdbSaveRawString`).
pub const RDB_MIN_COMPRESS_LEN: usize = 20;

/// Where the compressor's bytes go: a buffer, or nowhere (length only).
trait Out {
    fn put(&mut self, at: usize, b: u8);
}

impl Out for Vec<u8> {
    fn put(&mut self, at: usize, b: u8) {
        if at >= self.len() {
            self.resize(at + 1, 0);
        }
        if let Some(slot) = self.get_mut(at) {
            *slot = b;
        }
    }
}

struct Discard;

impl Out for Discard {
    fn put(&mut self, _at: usize, _b: u8) {}
}

/// The hash table of positions, reused between calls on one thread: a slot
/// counts only if it was written during the current call (its generation
/// matches), which empties the table in O(1).
struct Table {
    slots: Vec<(u32, u32)>,
    generation: u32,
}

impl Table {
    fn begin(&mut self) {
        if self.slots.is_empty() {
            self.slots = vec![(0, 0); HSIZE];
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| *s = (0, 0));
            self.generation = 1;
        }
    }

    /// The position stored in `slot` (0 for none), replaced by `pos`.
    fn swap(&mut self, slot: usize, pos: usize) -> usize {
        let generation = self.generation;
        match self.slots.get_mut(slot) {
            Some(s) => {
                let old = if s.1 == generation { s.0 as usize } else { 0 };
                *s = (pos as u32, generation);
                old
            }
            None => 0,
        }
    }

    fn set(&mut self, slot: usize, pos: usize) {
        self.swap(slot, pos);
    }
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new(), generation: 0 }) };
}

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// How far the bytes at `r` and `ip` match, starting from `len` known
/// equal bytes, as liblzf measures it: when more than 16 bytes may match it
/// first checks 16 more regardless of `maxlen` (its unrolled loop), so a
/// match can run past `maxlen` up to the end of the input.
fn match_len(input: &[u8], r: usize, ip: usize, mut len: usize, maxlen: usize) -> usize {
    let same = |k: usize| input.get(r + k).is_some() && input.get(r + k) == input.get(ip + k);
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if !same(len) {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && same(len)) {
            return len;
        }
    }
}

/// liblzf's walk: `Some(output length)`, or None where liblzf returns 0
/// (the output would not fit in `out_len` bytes by its own tests).
fn run<O: Out>(input: &[u8], out_len: usize, out: &mut O) -> Option<usize> {
    // Positions are stored as u32 offsets, as liblzf's are.
    if input.is_empty() || out_len == 0 || input.len() > u32::MAX as usize {
        return None;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        t.begin();
        walk(input, out_len, out, &mut t)
    })
}

/// Appends one literal byte to the current run, closing the run (writing
/// its header) when it reaches liblzf's maximum length.
fn literal<O: Out>(out: &mut O, byte: u8, op: &mut usize, lit: &mut usize) {
    *lit += 1;
    out.put(*op, byte);
    *op += 1;
    if *lit == MAX_LIT {
        out.put(*op - *lit - 1, (*lit - 1) as u8);
        *lit = 0;
        *op += 1;
    }
}

fn walk<O: Out>(input: &[u8], out_len: usize, out: &mut O, table: &mut Table) -> Option<usize> {
    let at = |i: usize| u32::from(input.get(i).copied().unwrap_or(0));
    let n = input.len();
    let mut ip = 0usize;
    let mut op = 1usize; // the first literal run's header
    let mut lit = 0usize;
    let mut hval = (at(0) << 8) | at(1);
    while ip + 2 < n {
        hval = (hval << 8) | at(ip + 2);
        let r = table.swap(idx(hval), ip);
        let off = ip.wrapping_sub(r).wrapping_sub(1);
        if off < MAX_OFF
            && r > 0
            && input.get(r + 2) == input.get(ip + 2)
            && input.get(r..r + 2) == input.get(ip..ip + 2)
        {
            let mut len = 2usize;
            let maxlen = (n - ip - len).min(MAX_REF);
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            out.put(op - lit - 1, (lit as u8).wrapping_sub(1));
            op -= usize::from(lit == 0);
            len = match_len(input, r, ip, len, maxlen);
            len -= 2;
            ip += 1;
            if len < 7 {
                out.put(op, ((off >> 8) + (len << 5)) as u8);
                op += 1;
            } else {
                out.put(op, ((off >> 8) + (7 << 5)) as u8);
                out.put(op + 1, (len - 7) as u8);
                op += 2;
            }
            out.put(op, off as u8);
            op += 1;
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip + 2 >= n {
                break;
            }
            // VERY_FAST: hash the two positions before the new one.
            ip -= 2;
            hval = (at(ip) << 8) | at(ip + 1);
            hval = (hval << 8) | at(ip + 2);
            table.set(idx(hval), ip);
            ip += 1;
            hval = (hval << 8) | at(ip + 2);
            table.set(idx(hval), ip);
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            literal(out, at(ip) as u8, &mut op, &mut lit);
            ip += 1;
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < n {
        literal(out, at(ip) as u8, &mut op, &mut lit);
        ip += 1;
    }
    out.put(op - lit - 1, (lit as u8).wrapping_sub(1));
    op -= usize::from(lit == 0);
    Some(op)
}

/// `lzf_compress(input, out_len)`: the compressed bytes, or None when liblzf
/// would give up because they would not fit in `out_len` bytes.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len.min(input.len()) + 1);
    let len = run(input, out_len, &mut out)?;
    out.truncate(len);
    Some(out)
}

/// The length [`compress`] would return, without keeping the bytes.
pub fn compressed_len(input: &[u8], out_len: usize) -> Option<usize> {
    run(input, out_len, &mut Discard)
}

/// Redis's rule for an RDB string (`rdbSaveRawString` with `rdbcompression
/// yes`): strings longer than [`RDB_MIN_COMPRESS_LEN`] bytes are compressed
/// when liblzf manages within `len - 4` bytes (`rdbSaveLzfStringObject`
/// asks for a saving of at least four bytes that way); None: stored as is.
pub fn compress_for_rdb(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() <= RDB_MIN_COMPRESS_LEN {
        return None;
    }
    compress(input, input.len() - 4)
}

/// The length of [`compress_for_rdb`]'s output, if it compresses.
pub fn compressed_len_for_rdb(input: &[u8]) -> Option<usize> {
    if input.len() <= RDB_MIN_COMPRESS_LEN {
        return None;
    }
    compressed_len(input, input.len() - 4)
}

/// Decompresses LZF data that must expand to exactly `len` bytes, or None
/// if it is malformed. The output never grows past `len`, whatever the
/// input claims, and `len` is refused when `input` cannot expand to it.
pub fn decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // A back reference expands 2 or 3 bytes to at most 264: no input of n
    // bytes can make more than about 132n.
    if len
        > input
            .len()
            .saturating_mul(MAX_REF / 2 + 1)
            .saturating_add(64)
    {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut i = 0;
    while let Some(&ctrl) = input.get(i) {
        let ctrl = usize::from(ctrl);
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input.get(i..i + n)?;
            if out.len() + n > len {
                return None;
            }
            out.extend_from_slice(lit);
            i += n;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += usize::from(*input.get(i)?);
                i += 1;
            }
            n += 2;
            let back = ((ctrl & 0x1F) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            if back > out.len() || out.len() + n > len {
                return None;
            }
            // Byte by byte: a reference may overlap the bytes it produces.
            let start = out.len() - back;
            for k in start..start + n {
                let b = out.get(k).copied()?;
                out.push(b);
            }
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_outputs() {
        // A literal run of three, then a reference of length 4 at distance 3:
        // position 0 is never a reference in liblzf, so "abc" repeats from 3.
        let input = b"abcabcabcabcabcabcabcabc";
        let out = compress(input, 100).unwrap();
        assert_eq!(decompress(&out, input.len()).as_deref(), Some(&input[..]));
        // Incompressible input does not fit in fewer bytes than itself.
        let noise: Vec<u8> = (0..=255u8).collect();
        assert!(compress(&noise, noise.len() - 4).is_none());
        assert!(compress(b"", 10).is_none());
        assert!(compress_for_rdb(&[b'a'; 20]).is_none());
        assert!(compress_for_rdb(&[b'a'; 21]).is_some());
    }

    #[test]
    fn decompress_rejects_lies() {
        let data = [2, b'a', b'b', b'c', 0x40, 2];
        assert_eq!(decompress(&data, 7).as_deref(), Some(&b"abcabca"[..]));
        assert!(decompress(&data, 6).is_none());
        assert!(decompress(&[0x40, 9], 3).is_none());
        assert!(decompress(&[5, b'a'], 6).is_none());
        assert!(decompress(&[0], 1 << 40).is_none());
    }

    fn texty() -> impl Strategy<Value = Vec<u8>> {
        // Small alphabets make matches likely; any bytes make them rare.
        prop_oneof![
            proptest::collection::vec(prop::sample::select(b"abc-01".to_vec()), 0..3000),
            proptest::collection::vec(any::<u8>(), 0..600),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(input in texty(), slack in 0usize..64) {
            let bound = input.len() + slack;
            if let Some(out) = compress(&input, bound) {
                prop_assert!(out.len() <= bound);
                prop_assert_eq!(compressed_len(&input, bound), Some(out.len()));
                prop_assert_eq!(decompress(&out, input.len()), Some(input.clone()));
            } else {
                prop_assert_eq!(compressed_len(&input, bound), None);
            }
        }

        #[test]
        fn decompress_never_overruns(bytes in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..5000) {
            if let Some(out) = decompress(&bytes, len) {
                prop_assert_eq!(out.len(), len);
            }
        }
    }
}
