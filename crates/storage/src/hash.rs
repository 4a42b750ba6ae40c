//! Hashes, in Redis 7.0's two encodings.
//!
//! * `listpack`: one contiguous byte buffer holding the field count (4 bytes)
//!   and then field, value, field, value ... each as a LEB128 length and the
//!   bytes. Lookups are linear, which at the sizes this encoding is allowed
//!   (`hash-max-listpack-entries`, 512 by default) costs less than hashing
//!   and keeps a small hash at one allocation: 10 fields of 6 bytes with
//!   values of 10 bytes take 184 bytes. Order is insertion order; an update
//!   keeps its place and a removal closes the gap, as in Redis, so HGETALL
//!   on a small hash answers in the same order as Redis.
//! * `hashtable`: a [`KeyMap`] from field to value. Its entries sit in a
//!   vector, so a random field costs O(1) (HRANDFIELD) and HSCAN walks
//!   positions downwards with Redis's guarantee, as `Db::scan` does.
//!
//! Conversion follows Redis 7.0 exactly and goes one way only:
//! * before a write, any argument (field or value) longer than
//!   `hash-max-listpack-value` bytes converts (Redis's
//!   `hashTypeTryConversion`, see [`HashValue::convert_for_args`]);
//! * [`HashValue::set`] converts first if its field or value is too long
//!   (which is how HINCRBY's and HINCRBYFLOAT's results count), and
//!   afterwards if the hash has more than `hash-max-listpack-entries`
//!   fields, whether the field was new or updated;
//! * removals never convert back, and a table stays a table even when
//!   emptied down to one field.
//!
//! So equal to a limit stays `listpack`; one past it converts.

use std::fmt;

use crate::compact::CompactBytes;
use crate::keymap::KeyMap;

/// Redis refuses to grow a listpack past 1 GiB (`LISTPACK_MAX_SAFETY_SIZE`);
/// a write that would converts the hash first.
pub const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Bytes of the field-count header of a packed hash.
const HEADER: usize = 4;

/// The thresholds of the `listpack` encoding, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// `hash-max-listpack-entries`: most fields a packed hash holds.
    pub max_entries: usize,
    /// `hash-max-listpack-value`: longest field or value (in bytes) a packed
    /// hash holds.
    pub max_value: usize,
}

impl Default for HashLimits {
    fn default() -> Self {
        HashLimits {
            max_entries: 512,
            max_value: 64,
        }
    }
}

/// A hash value: field → value, both byte strings.
///
/// Equality compares the encoding and the field → value mapping, not the
/// order of a packed hash.
#[derive(Clone)]
pub struct HashValue(Repr);

enum Repr {
    /// Also the empty hash, with an empty buffer (no allocation).
    Packed(Packed),
    Table(Box<KeyMap<CompactBytes>>),
}

impl Clone for Repr {
    fn clone(&self) -> Self {
        match self {
            Repr::Packed(p) => Repr::Packed(p.clone()),
            Repr::Table(t) => {
                // Inserting in position order keeps every field's position,
                // so a copy iterates (and scans) as the original does.
                let mut map = KeyMap::default();
                for (f, v) in t.iter() {
                    map.insert_new(f.clone(), v.clone());
                }
                Repr::Table(Box::new(map))
            }
        }
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}

impl HashValue {
    /// An empty hash in the `listpack` encoding (allocates nothing).
    pub fn new() -> HashValue {
        HashValue(Repr::Packed(Packed {
            buf: Box::default(),
        }))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len(),
            Repr::Table(t) => t.len(),
        }
    }

    /// True when the hash holds no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports: `listpack` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        if self.is_packed() {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// True in the `listpack` encoding.
    pub fn is_packed(&self) -> bool {
        !matches!(self.0, Repr::Table(_))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Packed(p) => p.find(field).and_then(|at| p.value(&at)),
            Repr::Table(t) => t
                .get_index_of(field)
                .and_then(|i| t.get_index(i))
                .map(|(_, v)| v.as_slice()),
        }
    }

    /// True if `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.0 {
            Repr::Packed(p) => p.find(field).is_some(),
            Repr::Table(t) => t.get_index_of(field).is_some(),
        }
    }

    /// Redis's `hashTypeTryConversion`, run before a write with all its
    /// fields and values: converts a packed hash to a table if any of them
    /// is longer than `max_value`, or if their total would take the buffer
    /// past [`LISTPACK_MAX_SAFETY_SIZE`].
    pub fn convert_for_args<'a>(
        &mut self,
        args: impl IntoIterator<Item = &'a [u8]>,
        limits: HashLimits,
    ) {
        if !self.is_packed() {
            return;
        }
        let mut sum = self.packed_bytes();
        for a in args {
            if a.len() > limits.max_value {
                self.convert();
                return;
            }
            sum = sum.saturating_add(a.len());
        }
        if sum > LISTPACK_MAX_SAFETY_SIZE {
            self.convert();
        }
    }

    /// Sets `field` to `value`; returns true if the field is new. Converts
    /// a packed hash to a table first if `field` or `value` is longer than
    /// `max_value`, and afterwards if it has more than `max_entries` fields
    /// (Redis's `hashTypeSet`).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if self.is_packed() && (field.len() > limits.max_value || value.len() > limits.max_value) {
            self.convert();
        }
        let new = match &mut self.0 {
            Repr::Packed(p) if p.buf.is_empty() => {
                *p = Packed::with_pair(field, value);
                true
            }
            Repr::Packed(p) => match p.find(field) {
                Some(at) => {
                    p.replace_value(&at, value);
                    false
                }
                None if p.len() >= u32::MAX as usize => {
                    // The count header is full: only a table can grow further.
                    self.convert();
                    return self.set(field, value, limits);
                }
                None => {
                    p.push(field, value);
                    true
                }
            },
            Repr::Table(t) => table_set(t, field, value),
        };
        if self.is_packed() && self.len() > limits.max_entries {
            self.convert();
        }
        new
    }

    /// Removes `field`; returns true if it was present. Never converts.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Packed(p) => match p.find(field) {
                Some(at) => {
                    p.remove(&at);
                    true
                }
                None => false,
            },
            Repr::Table(t) => match t.get_index_of(field) {
                Some(i) => t.swap_remove_index(i).is_some(),
                None => false,
            },
        }
    }

    /// Iterates over (field, value) pairs: insertion order for a packed
    /// hash, position order for a table.
    pub fn iter(&self) -> Iter<'_> {
        Iter(match &self.0 {
            Repr::Packed(p) => IterRepr::Packed(p.iter()),
            Repr::Table(t) => IterRepr::Table { map: t, pos: 0 },
        })
    }

    /// The pair at index `i` in iteration order: O(1) for a table, a walk
    /// for a packed hash (one pick; for many, see [`HashValue::sampler`]).
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.0 {
            Repr::Packed(p) => p.iter().nth(i),
            Repr::Table(t) => t.get_index(i).map(|(k, v)| (k.as_slice(), v.as_slice())),
        }
    }

    /// Random access by index for sampling (HRANDFIELD): O(1) per pair. A
    /// packed hash is indexed once (O(n) time and memory in its size, which
    /// the `listpack` limits keep small); a table is used as it is.
    pub fn sampler(&self) -> Sampler<'_> {
        Sampler(match &self.0 {
            Repr::Packed(p) => SamplerRepr::Packed(p.iter().collect()),
            Repr::Table(t) => SamplerRepr::Table(t),
        })
    }

    /// One step of HSCAN from `cursor` (0 starts), calling `f` for each
    /// pair returned; the result is the next cursor, 0 when done.
    ///
    /// A packed hash returns every pair at once with cursor 0, whatever the
    /// cursor and `count`, as Redis does. A table visits about `count`
    /// positions, from the highest down (position p is cursor p + 1): a
    /// removal moves the last entry, already visited, into the hole, so a
    /// field present for the whole scan is returned at least once.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        let t = match &self.0 {
            Repr::Table(t) => t,
            _ => {
                for (k, v) in self.iter() {
                    f(k, v);
                }
                return 0;
            }
        };
        crate::keymap::scan_positions(t.len(), cursor, count, |pos| {
            if let Some((k, v)) = t.get_index(pos) {
                f(k, v);
            }
        })
    }

    /// Bytes of the packed buffer (0 for a table).
    fn packed_bytes(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.buf.len(),
            _ => 0,
        }
    }

    /// Converts to the `hashtable` encoding (no-op if already there).
    pub fn convert(&mut self) {
        if !self.is_packed() {
            return;
        }
        let mut map = KeyMap::default();
        for (f, v) in self.iter() {
            map.insert_new(CompactBytes::new(f), CompactBytes::new(v));
        }
        self.0 = Repr::Table(Box::new(map));
    }
}

fn table_set(t: &mut KeyMap<CompactBytes>, field: &[u8], value: &[u8]) -> bool {
    match t.get_mut(field) {
        Some(v) => {
            *v = CompactBytes::new(value);
            false
        }
        None => {
            t.insert_new(CompactBytes::new(field), CompactBytes::new(value));
            true
        }
    }
}

impl PartialEq for HashValue {
    fn eq(&self, other: &Self) -> bool {
        self.is_packed() == other.is_packed()
            && self.len() == other.len()
            && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl fmt::Debug for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashValue({}) ", self.encoding())?;
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            }))
            .finish()
    }
}

/// Iterator over a hash's (field, value) pairs, see [`HashValue::iter`].
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Packed(PackedIter<'a>),
    Table {
        map: &'a KeyMap<CompactBytes>,
        pos: usize,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Packed(p) => p.next(),
            IterRepr::Table { map, pos } => {
                let (k, v) = map.get_index(*pos)?;
                *pos += 1;
                Some((k.as_slice(), v.as_slice()))
            }
        }
    }
}

/// Random access to a hash's pairs by index, see [`HashValue::sampler`].
pub struct Sampler<'a>(SamplerRepr<'a>);

enum SamplerRepr<'a> {
    Packed(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a KeyMap<CompactBytes>),
}

impl<'a> Sampler<'a> {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        match &self.0 {
            SamplerRepr::Packed(v) => v.len(),
            SamplerRepr::Table(t) => t.len(),
        }
    }

    /// True when there is no pair.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pair at index `i` (< [`Sampler::len`]).
    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match &self.0 {
            SamplerRepr::Packed(v) => v.get(i).copied(),
            SamplerRepr::Table(t) => t.get_index(i).map(|(k, v)| (k.as_slice(), v.as_slice())),
        }
    }
}

// ---------------------------------------------------------------------------
// The packed encoding.
// ---------------------------------------------------------------------------

/// `[count: u32 LE] ([len: LEB128] field [len: LEB128] value)*`, allocated
/// to its exact size: every change reallocates, as Redis's listpack does,
/// which keeps the memory of an idle hash at its content.
#[derive(Clone)]
struct Packed {
    buf: Box<[u8]>,
}

/// Where a field's pair lies in the buffer.
struct At {
    /// Offset of the field's length header.
    pair_start: usize,
    /// Offset of the value's length header.
    value_header: usize,
    /// Offset of the value's bytes.
    value_start: usize,
    /// Offset just past the value.
    value_end: usize,
}

impl Packed {
    fn with_pair(field: &[u8], value: &[u8]) -> Packed {
        let mut v = Vec::with_capacity(HEADER + encoded_len(field) + encoded_len(value));
        v.extend_from_slice(&1u32.to_le_bytes());
        put_str(&mut v, field);
        put_str(&mut v, value);
        Packed {
            buf: v.into_boxed_slice(),
        }
    }

    fn len(&self) -> usize {
        match self
            .buf
            .get(..HEADER)
            .and_then(|h| <[u8; HEADER]>::try_from(h).ok())
        {
            Some(h) => u32::from_le_bytes(h) as usize,
            None => 0,
        }
    }

    fn set_len(buf: &mut [u8], n: usize) {
        if let Some(h) = buf.get_mut(..HEADER) {
            h.copy_from_slice(&(n as u32).to_le_bytes());
        }
    }

    fn iter(&self) -> PackedIter<'_> {
        PackedIter {
            rest: self.buf.get(HEADER..).unwrap_or_default(),
        }
    }

    fn find(&self, field: &[u8]) -> Option<At> {
        let mut pos = HEADER;
        let end = self.buf.len();
        while pos < end {
            let (f_start, f_end) = str_at(&self.buf, pos)?;
            let (value_start, value_end) = str_at(&self.buf, f_end)?;
            if self.buf.get(f_start..f_end) == Some(field) {
                return Some(At {
                    pair_start: pos,
                    value_header: f_end,
                    value_start,
                    value_end,
                });
            }
            pos = value_end;
        }
        None
    }

    fn value(&self, at: &At) -> Option<&[u8]> {
        self.buf.get(at.value_start..at.value_end)
    }

    fn push(&mut self, field: &[u8], value: &[u8]) {
        let n = self.len() + 1;
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.reserve_exact(encoded_len(field) + encoded_len(value));
        put_str(&mut v, field);
        put_str(&mut v, value);
        Packed::set_len(&mut v, n);
        self.buf = v.into_boxed_slice();
    }

    fn replace_value(&mut self, at: &At, value: &[u8]) {
        let old = at.value_end - at.value_header;
        if old == encoded_len(value) {
            // Same size: overwrite in place, no reallocation.
            let mut enc = Vec::with_capacity(old);
            put_str(&mut enc, value);
            if let Some(dst) = self.buf.get_mut(at.value_header..at.value_end) {
                dst.copy_from_slice(&enc);
            }
            return;
        }
        let head = self.buf.get(..at.value_header).unwrap_or_default();
        let tail = self.buf.get(at.value_end..).unwrap_or_default();
        let mut v = Vec::with_capacity(head.len() + encoded_len(value) + tail.len());
        v.extend_from_slice(head);
        put_str(&mut v, value);
        v.extend_from_slice(tail);
        self.buf = v.into_boxed_slice();
    }

    fn remove(&mut self, at: &At) {
        let n = self.len().saturating_sub(1);
        if n == 0 {
            // The empty hash holds no allocation, not even a header.
            self.buf = Box::default();
            return;
        }
        let head = self.buf.get(..at.pair_start).unwrap_or_default();
        let tail = self.buf.get(at.value_end..).unwrap_or_default();
        let mut v = Vec::with_capacity(head.len() + tail.len());
        v.extend_from_slice(head);
        v.extend_from_slice(tail);
        Packed::set_len(&mut v, n);
        self.buf = v.into_boxed_slice();
    }
}

struct PackedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (field, rest) = read_str(self.rest)?;
        let (value, rest) = read_str(rest)?;
        self.rest = rest;
        Some((field, value))
    }
}

/// Bytes of the LEB128 encoding of `n`.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Bytes `s` takes in the buffer.
fn encoded_len(s: &[u8]) -> usize {
    varint_len(s.len()) + s.len()
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    let mut n = s.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(s);
}

/// Decodes a length header at the start of `s`: (length, header bytes).
fn read_varint(s: &[u8]) -> Option<(usize, usize)> {
    let mut n: usize = 0;
    for (i, &b) in s.iter().enumerate().take(10) {
        let shift = 7 * i as u32;
        n |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

/// The string at the start of `s` and what follows it.
fn read_str(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, hdr) = read_varint(s)?;
    let end = hdr.checked_add(len)?;
    Some((s.get(hdr..end)?, s.get(end..)?))
}

/// (start, end) offsets of the string whose header is at `pos` in `buf`.
fn str_at(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let (len, hdr) = read_varint(buf.get(pos..)?)?;
    let start = pos + hdr;
    let end = start.checked_add(len)?;
    (end <= buf.len()).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    const SMALL: HashLimits = HashLimits {
        max_entries: 4,
        max_value: 8,
    };

    fn pairs(h: &HashValue) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn sizes_stay_small() {
        assert_eq!(std::mem::size_of::<HashValue>(), 16);
        let mut h = HashValue::new();
        for i in 0..10 {
            h.set(
                format!("field{i}").as_bytes(),
                b"value00001",
                HashLimits::default(),
            );
        }
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.packed_bytes(), HEADER + 10 * (1 + 6 + 1 + 10));
    }

    #[test]
    fn packed_keeps_insertion_order_updates_in_place_and_closes_gaps() {
        let lim = HashLimits::default();
        let mut h = HashValue::new();
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"a", b"1", lim));
        assert!(h.set(b"b", b"2", lim));
        assert!(h.set(b"c", b"3", lim));
        assert!(!h.set(b"b", b"two", lim));
        assert!(!h.set(b"a", b"9", lim));
        assert_eq!(
            pairs(&h),
            vec![
                (b"a".to_vec(), b"9".to_vec()),
                (b"b".to_vec(), b"two".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert!(h.set(b"a", b"x", lim));
        let fields: Vec<Vec<u8>> = pairs(&h).into_iter().map(|p| p.0).collect();
        assert_eq!(fields, vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec()]);
        assert_eq!(h.get(b"b"), Some(&b"two"[..]));
        assert_eq!(h.get(b"zz"), None);
        for f in [b"a", b"b", b"c"] {
            assert!(h.remove(f));
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn long_strings_and_empty_strings_round_trip() {
        let lim = HashLimits {
            max_entries: 10,
            max_value: 100_000,
        };
        let mut h = HashValue::new();
        let big = vec![7u8; 70_000];
        h.set(b"", b"", lim);
        h.set(&big, &big[..200], lim);
        h.set(b"x", &big, lim);
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.get(b""), Some(&b""[..]));
        assert_eq!(h.get(&big), Some(&big[..200]));
        assert_eq!(h.get(b"x").map(<[u8]>::len), Some(70_000));
        // Shrinking a value across a header-size boundary.
        h.set(b"x", b"y", lim);
        assert_eq!(h.get(b"x"), Some(&b"y"[..]));
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn conversion_boundaries_are_redis_s() {
        let lim = HashLimits {
            max_entries: 2,
            max_value: 3,
        };
        // Equal to the limits stays packed; one more converts.
        let mut h = HashValue::new();
        h.convert_for_args([&b"abc"[..], b"def"], lim);
        h.set(b"abc", b"def", lim);
        h.set(b"x", b"y", lim);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"z", b"y", lim);
        assert_eq!(h.encoding(), "hashtable");
        // Never back, even when emptied down to one field.
        h.remove(b"x");
        h.remove(b"z");
        assert_eq!(h.encoding(), "hashtable");
        // A long argument converts before the write, even one not stored.
        let mut h = HashValue::new();
        h.set(b"a", b"b", lim);
        h.convert_for_args([&b"a"[..], b"long"], lim);
        assert_eq!(h.encoding(), "hashtable");
        // set's own check covers HINCRBY's result.
        let mut h = HashValue::new();
        h.set(b"a", b"1", lim);
        h.set(b"a", b"1001", lim);
        assert_eq!(h.encoding(), "hashtable");
        // An update counts too when the limit shrank meanwhile.
        let mut h = HashValue::new();
        for f in [b"a", b"b", b"c"] {
            h.set(f, b"1", HashLimits::default());
        }
        h.set(b"a", b"2", lim);
        assert_eq!(h.encoding(), "hashtable");
        // A zero entry limit allows no packed hash with a field.
        let mut h = HashValue::new();
        h.set(
            b"",
            b"",
            HashLimits {
                max_entries: 0,
                max_value: 64,
            },
        );
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn clone_and_eq() {
        let mut h = HashValue::new();
        h.set(b"a", b"1", SMALL);
        let c = h.clone();
        assert_eq!(h, c);
        let mut t = h.clone();
        t.convert();
        assert_ne!(h, t);
        let t2 = t.clone();
        assert_eq!(t, t2);
        assert_eq!(pairs(&t), pairs(&t2));
        assert!(format!("{t:?}").contains("hashtable"));
    }

    #[test]
    fn table_scan_returns_every_field_present_throughout() {
        let lim = HashLimits {
            max_entries: 0,
            max_value: 64,
        };
        let mut h = HashValue::new();
        for i in 0..500 {
            h.set(format!("f{i}").as_bytes(), b"v", lim);
        }
        let mut seen = HashSet::new();
        let mut removed = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let mut batch = Vec::new();
            cursor = h.scan(cursor, 7, |f, _| batch.push(f.to_vec()));
            for f in batch {
                seen.insert(f.clone());
                h.remove(&f);
            }
            round += 1;
            // Also remove some fields not yet returned.
            let doomed = format!("f{}", (round * 37) % 500).into_bytes();
            if h.remove(&doomed) {
                removed.insert(doomed);
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            let f = format!("f{i}").into_bytes();
            assert!(seen.contains(&f) || removed.contains(&f), "f{i} missed");
        }
    }

    #[test]
    fn packed_scan_and_sampler() {
        let mut h = HashValue::new();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", SMALL);
        }
        let mut n = 0;
        assert_eq!(h.scan(12345, 1, |_, _| n += 1), 0);
        assert_eq!(n, 4);
        let s = h.sampler();
        assert_eq!(s.len(), 4);
        assert_eq!(s.get(2), Some((&b"f2"[..], &b"v"[..])));
        assert_eq!(s.get(4), None);
        assert_eq!(h.get_index(3), Some((&b"f3"[..], &b"v"[..])));
        assert_eq!(h.get_index(4), None);
        h.convert();
        assert_eq!(h.get_index(3), Some((&b"f3"[..], &b"v"[..])));
        assert!(HashValue::new().sampler().is_empty());
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// HSET-like: conversion check over all arguments, then each pair.
        Set(Vec<(u8, usize)>),
        /// A single set without the argument check (HINCRBY's path).
        SetOne(u8, usize),
        Remove(u8),
    }

    fn field(k: u8) -> Vec<u8> {
        // Field lengths 1..=10 cross max_value (8) for some keys.
        let len = 1 + usize::from(k % 10);
        let mut f = vec![b'a' + k % 26; len];
        f[0] = k;
        f
    }

    fn value(n: usize) -> Vec<u8> {
        vec![b'v'; n]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => proptest::collection::vec((0u8..12, 0usize..10), 1..4).prop_map(Op::Set),
            2 => (0u8..12, 0usize..10).prop_map(|(k, n)| Op::SetOne(k, n)),
            3 => (0u8..12).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        #[test]
        fn behaves_like_a_map_and_converts_at_redis_boundaries(ops in proptest::collection::vec(op(), 1..60)) {
            let lim = SMALL;
            let mut h = HashValue::new();
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            // Listpack order: insertion order, updates in place.
            let mut order: Vec<Vec<u8>> = Vec::new();
            let mut table = false;
            for op in ops {
                match op {
                    Op::Set(ps) => {
                        let ps: Vec<(Vec<u8>, Vec<u8>)> =
                            ps.into_iter().map(|(k, n)| (field(k), value(n))).collect();
                        let args: Vec<&[u8]> = ps.iter().flat_map(|(f, v)| [&f[..], &v[..]]).collect();
                        h.convert_for_args(args.iter().copied(), lim);
                        if args.iter().any(|a| a.len() > lim.max_value) {
                            table = true;
                        }
                        for (f, v) in ps {
                            let new = h.set(&f, &v, lim);
                            prop_assert_eq!(new, !model.contains_key(&f));
                            if new {
                                order.push(f.clone());
                            }
                            model.insert(f, v);
                            if model.len() > lim.max_entries {
                                table = true;
                            }
                        }
                    }
                    Op::SetOne(k, n) => {
                        let (f, v) = (field(k), value(n));
                        if f.len() > lim.max_value || v.len() > lim.max_value {
                            table = true;
                        }
                        let new = h.set(&f, &v, lim);
                        prop_assert_eq!(new, !model.contains_key(&f));
                        if new {
                            order.push(f.clone());
                        }
                        model.insert(f, v);
                        if model.len() > lim.max_entries {
                            table = true;
                        }
                    }
                    Op::Remove(k) => {
                        let f = field(k);
                        prop_assert_eq!(h.remove(&f), model.remove(&f).is_some());
                        order.retain(|o| o != &f);
                    }
                }
                prop_assert_eq!(h.encoding(), if table { "hashtable" } else { "listpack" });
                prop_assert_eq!(h.len(), model.len());
            }
            let got: HashMap<Vec<u8>, Vec<u8>> = pairs(&h).into_iter().collect();
            prop_assert_eq!(got.len(), h.len(), "iteration yields each field once");
            prop_assert_eq!(&got, &model);
            for (f, v) in &model {
                prop_assert_eq!(h.get(f), Some(&v[..]));
                prop_assert!(h.contains(f));
            }
            if !table {
                let fields: Vec<Vec<u8>> = pairs(&h).into_iter().map(|p| p.0).collect();
                prop_assert_eq!(fields, order);
            }
            // A full scan and the sampler see exactly the contents.
            let mut scanned = HashMap::new();
            let mut cursor = 0;
            loop {
                cursor = h.scan(cursor, 2, |f, v| { scanned.insert(f.to_vec(), v.to_vec()); });
                if cursor == 0 { break; }
            }
            prop_assert_eq!(&scanned, &model);
            let s = h.sampler();
            let sampled: HashMap<Vec<u8>, Vec<u8>> = (0..s.len())
                .filter_map(|i| s.get(i))
                .map(|(f, v)| (f.to_vec(), v.to_vec()))
                .collect();
            prop_assert_eq!(&sampled, &model);
            prop_assert_eq!(&h.clone(), &h);
        }

        #[test]
        fn varints_round_trip(n in any::<u32>()) {
            let s = vec![0u8; (n % 100_000) as usize];
            let mut out = Vec::new();
            put_str(&mut out, &s);
            prop_assert_eq!(out.len(), encoded_len(&s));
            let (got, rest) = read_str(&out).expect("decodes");
            prop_assert_eq!(got.len(), s.len());
            prop_assert!(rest.is_empty());
        }
    }
}
