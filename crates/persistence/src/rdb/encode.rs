//! The RDB encoding of one value, byte for byte as Redis 7.0's
//! `rdbSaveObjectType` and `rdbSaveObject` write it: what `DUMP` wraps,
//! what `DEBUG OBJECT`'s `serializedlength` counts, and what the RDB writer
//! will put after each key.
//!
//! Output goes to a [`Sink`]: a `Vec<u8>`, or a [`Counter`] that keeps only
//! the length. Counting builds no copy of the value: big hashes, sets and
//! sorted sets stream their elements, strings are LZF-compressed without
//! keeping the output, and a list builds one node's listpack at a time.
//! Compact encodings (listpacks, intsets) are built whole, as the blob is
//! what gets compressed.
//!
//! Per type:
//! * string: an integer encoding (8, 16 or 32 bits) for a canonical integer
//!   that fits in 32 bits; otherwise the bytes, LZF-compressed when
//!   `rdbcompression` is on, the string is longer than 20 bytes and liblzf
//!   saves at least four bytes (see [`crate::lzf::compress_for_rdb`]).
//!   Every string below (members, fields, blobs) is written the same way.
//! * list: `QUICKLIST_2`, its nodes as Redis would have cut them had the
//!   list been built by pushes at the tail (see [`list_nodes`]); each node
//!   a listpack blob, or a plain string for an element of 1 GiB or more.
//! * hash: a listpack of field, value, ... in the hash's order (insertion
//!   order, as Redis keeps it) while `listpack`; `HASH` (count, then field
//!   and value strings) once a table.
//! * set: an intset blob while `intset`; `SET` (count, members) once a table.
//! * sorted set: a listpack of member, score, ... ascending while
//!   `listpack`, scores as integers when integral within ±2^62 and
//!   otherwise as `%.17g` text; `ZSET_2` (count, then member and the score
//!   as 8 little-endian bytes, from the highest rank down) once a skiplist.
//!
//! Where the bytes can differ from Redis's for the same contents:
//! * lists whose history includes pushes at the head or edits in the
//!   middle: Redis's node boundaries depend on that history, Ferrite's
//!   quicklist cuts nodes by its own sizes, and this encoder cuts them as a
//!   tail-built Redis list would be cut (a list of one node is always
//!   exact), with the `list-max-listpack-size` in force now (Redis keeps the
//!   one a list was created with);
//! * big hashes and sets: elements come in Ferrite's table order, not
//!   Redis's hash order (the length is the same);
//! * intsets after their widest members were removed (see [`crate::intset`]).

use ferrite_storage::num::{fmt_f64, fmt_i64, parse_i64, MAX_I64_CHARS};
use ferrite_storage::{HashValue, ListValue, SetValue, StrValue, Value, ZSetValue};

use super::{container, enc, types, RDB_VERSION};
use crate::listpack::{self, Writer};
use crate::{crc64, intset, lzf};

/// Where encoded bytes go.
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// True when the bytes are only counted, so that encoders may skip
    /// producing what only needs measuring.
    fn counting(&self) -> bool {
        false
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A [`Sink`] that keeps only the number of bytes put.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counter(pub usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn counting(&self) -> bool {
        true
    }
}

/// The settings that change the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes.
    pub compression: bool,
    /// `list-max-listpack-size`: how list nodes are cut.
    pub list_fill: i32,
    /// `list-compress-depth`: nodes this far from both ends of a list are
    /// kept LZF-compressed in Redis's memory, and written so.
    pub list_compress_depth: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            compression: true,
            list_fill: -2,
            list_compress_depth: 0,
        }
    }
}

/// The RDB type byte of `v` (`rdbSaveObjectType`).
pub fn object_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Hash(h) if h.is_packed() => types::HASH_LISTPACK,
        Value::Hash(_) => types::HASH,
        Value::Set(s) if s.is_intset() => types::SET_INTSET,
        Value::Set(_) => types::SET,
        Value::ZSet(z) if z.is_packed() => types::ZSET_LISTPACK,
        Value::ZSet(_) => types::ZSET_2,
    }
}

/// Writes an RDB length (`rdbSaveLen`): 6 bits, 14 bits, 32 or 64 bits
/// big-endian after a marker byte.
pub fn put_len<S: Sink>(out: &mut S, len: u64) {
    if len < 1 << 6 {
        out.put(&[len as u8]);
    } else if len < 1 << 14 {
        out.put(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u64::from(u32::MAX) {
        out.put(&[0x80]);
        out.put(&(len as u32).to_be_bytes());
    } else {
        out.put(&[0x81]);
        out.put(&len.to_be_bytes());
    }
}

/// Writes `n` with an integer encoding if it fits in 32 bits
/// (`rdbEncodeInteger`); false if it does not.
fn put_int_encoded<S: Sink>(out: &mut S, n: i64) -> bool {
    let special = 0xC0;
    if let Ok(b) = i8::try_from(n) {
        out.put(&[special | enc::INT8, b as u8]);
    } else if let Ok(h) = i16::try_from(n) {
        out.put(&[special | enc::INT16]);
        out.put(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(n) {
        out.put(&[special | enc::INT32]);
        out.put(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Writes the integer `n` as an RDB string (`rdbSaveLongLongAsStringObject`).
pub fn put_int_string<S: Sink>(out: &mut S, n: i64) {
    if !put_int_encoded(out, n) {
        let mut buf = [0u8; MAX_I64_CHARS];
        let digits = fmt_i64(n, &mut buf);
        put_len(out, digits.len() as u64);
        out.put(digits);
    }
}

/// Writes `s` as an RDB string (`rdbSaveRawString`): integer-encoded if it
/// is a canonical integer of at most 11 characters that fits in 32 bits,
/// else LZF-compressed when that applies, else its length and bytes.
pub fn put_string<S: Sink>(out: &mut S, s: &[u8], opts: &Options) {
    if s.len() <= 11 {
        if let Some(n) = parse_i64(s) {
            if put_int_encoded(out, n) {
                return;
            }
        }
    }
    if opts.compression && put_lzf(out, s) {
        return;
    }
    put_len(out, s.len() as u64);
    out.put(s);
}

/// Writes `s` LZF-compressed if Redis would; false if it would not.
fn put_lzf<S: Sink>(out: &mut S, s: &[u8]) -> bool {
    if out.counting() {
        let Some(clen) = lzf::compressed_len_for_rdb(s) else {
            return false;
        };
        out.put(&[0xC0 | enc::LZF]);
        put_len(out, clen as u64);
        put_len(out, s.len() as u64);
        // Only the count matters here: account for the bytes in one step.
        put_zeros(out, clen);
        return true;
    }
    let Some(c) = lzf::compress_for_rdb(s) else {
        return false;
    };
    out.put(&[0xC0 | enc::LZF]);
    put_len(out, c.len() as u64);
    put_len(out, s.len() as u64);
    out.put(&c);
    true
}

fn put_zeros<S: Sink>(out: &mut S, mut n: usize) {
    const ZEROS: [u8; 256] = [0; 256];
    while n > 0 {
        let k = n.min(ZEROS.len());
        out.put(&ZEROS[..k]);
        n -= k;
    }
}

/// Writes the object `v` (`rdbSaveObject`, without the type byte).
pub fn put_object<S: Sink>(out: &mut S, v: &Value, opts: &Options) {
    match v {
        Value::Str(StrValue::Int(n)) => put_int_string(out, *n),
        Value::Str(s) => s.with_bytes(|b| put_string(out, b, opts)),
        Value::List(l) => put_list(out, l, opts),
        Value::Hash(h) => put_hash(out, h, opts),
        Value::Set(s) => put_set(out, s, opts),
        Value::ZSet(z) => put_zset(out, z, opts),
    }
}

/// `v`'s encoding: the type byte, then the object.
pub fn encode(v: &Value, opts: &Options) -> Vec<u8> {
    let mut out = vec![object_type(v)];
    put_object(&mut out, v, opts);
    out
}

/// The length of the object `v` without its type byte: `DEBUG OBJECT`'s
/// `serializedlength` (Redis's `rdbSavedObjectLen`).
pub fn object_len(v: &Value, opts: &Options) -> usize {
    let mut c = Counter::default();
    put_object(&mut c, v, opts);
    c.0
}

/// `DUMP`'s payload for `v`: type byte, object, RDB version (2 bytes) and
/// the CRC64 of all that (8 bytes), both little-endian.
pub fn dump(v: &Value, opts: &Options) -> Vec<u8> {
    let mut out = encode(v, opts);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------
// Lists.
// ---------------------------------------------------------------------------

/// Elements this long or longer get a plain node of their own (Redis's
/// `packed_threshold`, 1 GiB unless DEBUG changes it).
pub const PACKED_THRESHOLD: usize = 1 << 30;
/// Count-limited nodes stay within this many bytes (`SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// What Redis adds to an element's length to estimate its entry's size
/// when deciding whether it fits (`SIZE_ESTIMATE_OVERHEAD`).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Node byte limits of fills -1 to -5 (`optimization_level`).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// The largest positive fill (`FILL_MAX`).
const FILL_MAX: i32 = 1 << 15;

/// The fill a quicklist applies for `list-max-listpack-size` `fill`:
/// clamped to -5..=32768 (what `ql_listpack_max` shows).
pub fn effective_fill(fill: i32) -> i32 {
    fill.clamp(-5, FILL_MAX)
}

/// Whether Redis's quicklist lets a node of `sz` listpack bytes and `count`
/// entries take one more element of `len` bytes (`_quicklistNodeAllowInsert`).
fn node_takes(sz: usize, count: usize, fill: i32, len: usize) -> bool {
    let new_sz = sz
        .saturating_add(len)
        .saturating_add(SIZE_ESTIMATE_OVERHEAD);
    if fill < 0 {
        let level = usize::try_from(-i64::from(fill) - 1).unwrap_or(usize::MAX);
        if OPTIMIZATION_LEVEL
            .get(level)
            .is_some_and(|&max| new_sz <= max)
        {
            return true;
        }
    }
    new_sz <= SIZE_SAFETY_LIMIT && i64::try_from(count).unwrap_or(i64::MAX) < i64::from(fill)
}

/// One quicklist node as Redis would hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Elements in the node.
    pub count: usize,
    /// Its listpack's bytes (`sz`); for a plain node the element's length.
    pub bytes: usize,
    /// True for a plain node (one element of [`PACKED_THRESHOLD`] or more).
    pub plain: bool,
}

/// The nodes Redis 7.0 would cut `list` into had it been built by tail
/// pushes (RPUSH) under `list-max-listpack-size` `fill`.
pub fn list_nodes(list: &ListValue, fill: i32) -> Vec<Node> {
    let fill = effective_fill(fill);
    let mut nodes: Vec<Node> = Vec::new();
    let mut open: Option<Node> = None;
    for v in list.iter() {
        let len = v.len();
        if len >= PACKED_THRESHOLD {
            nodes.extend(open.take());
            nodes.push(Node {
                count: 1,
                bytes: len,
                plain: true,
            });
            continue;
        }
        let entry = listpack::entry_size(v);
        match open.as_mut() {
            Some(n) if node_takes(n.bytes, n.count, fill, len) => {
                n.count += 1;
                n.bytes += entry;
            }
            _ => {
                nodes.extend(open.take());
                open = Some(Node {
                    count: 1,
                    bytes: listpack::HEADER_SIZE + 1 + entry,
                    plain: false,
                });
            }
        }
    }
    nodes.extend(open);
    nodes
}

/// Nodes smaller than this are never compressed in memory (`MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// In-memory compression must save more than this (`MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;

/// A list's shape as `DEBUG OBJECT` reports it (the `ql_*` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListShape {
    /// `ql_nodes`.
    pub nodes: usize,
    /// `ql_listpack_max`: the fill in force, clamped as Redis clamps it.
    pub fill: i32,
    /// `ql_uncompressed_size`: the nodes' listpack bytes.
    pub bytes: usize,
}

/// The shape of `list` as Redis would hold it (see [`list_nodes`]).
pub fn list_shape(list: &ListValue, fill: i32) -> ListShape {
    let nodes = list_nodes(list, fill);
    ListShape {
        nodes: nodes.len(),
        fill: effective_fill(fill),
        bytes: nodes.iter().map(|n| n.bytes).sum(),
    }
}

fn put_list<S: Sink>(out: &mut S, list: &ListValue, opts: &Options) {
    let nodes = list_nodes(list, opts.list_fill);
    let total = nodes.len();
    // Redis keeps interior nodes compressed once the list has more than
    // twice the depth in nodes; a tail-built list has them all so.
    let depth = usize::try_from(opts.list_compress_depth).unwrap_or(0);
    let interior = |i: usize| depth > 0 && i >= depth && i + depth < total;
    put_len(out, nodes.len() as u64);
    let mut items = list.iter();
    for (i, node) in nodes.into_iter().enumerate() {
        if node.plain {
            put_len(out, container::PLAIN);
            let v = items.next().unwrap_or_default();
            put_string(out, v, opts);
            continue;
        }
        put_len(out, container::PACKED);
        let mut w = Writer::new();
        for v in items.by_ref().take(node.count) {
            w.push(v);
        }
        let lp = w.finish();
        if interior(i) && put_compressed_node(out, &lp) {
            continue;
        }
        put_string(out, &lp, opts);
    }
}

/// Writes a node as Redis keeps an interior node of a compressed list: the
/// LZF blob of its listpack, whatever `rdbcompression` says. False if Redis
/// would have left it uncompressed.
fn put_compressed_node<S: Sink>(out: &mut S, lp: &[u8]) -> bool {
    if lp.len() < MIN_COMPRESS_BYTES {
        return false;
    }
    match lzf::compress(lp, lp.len()) {
        Some(c) if c.len() + MIN_COMPRESS_IMPROVE < lp.len() => {
            out.put(&[0xC0 | enc::LZF]);
            put_len(out, c.len() as u64);
            put_len(out, lp.len() as u64);
            out.put(&c);
            true
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Hashes, sets, sorted sets.
// ---------------------------------------------------------------------------

fn put_hash<S: Sink>(out: &mut S, h: &HashValue, opts: &Options) {
    if h.is_packed() {
        let mut w = Writer::new();
        for (f, v) in h.iter() {
            w.push(f);
            w.push(v);
        }
        put_string(out, &w.finish(), opts);
        return;
    }
    put_len(out, h.len() as u64);
    for (f, v) in h.iter() {
        put_string(out, f, opts);
        put_string(out, v, opts);
    }
}

fn put_set<S: Sink>(out: &mut S, s: &SetValue, opts: &Options) {
    if s.is_intset() {
        let members: Vec<i64> = s
            .iter()
            .filter_map(|m| match m {
                ferrite_storage::set::Member::Int(n) => Some(n),
                ferrite_storage::set::Member::Bytes(b) => parse_i64(b),
            })
            .collect();
        put_string(out, &intset::encode(&members), opts);
        return;
    }
    put_len(out, s.len() as u64);
    for m in s.iter() {
        m.with_bytes(|b| put_string(out, b, opts));
    }
}

/// The bound within which an integral score is packed as an integer
/// (Redis's `double2ll`: `LLONG_MAX / 2`, which as a double is 2^62).
const SCORE_INT_MAX: f64 = 4_611_686_018_427_387_904.0;

/// Appends a sorted-set score to a listpack as Redis 7.0 does.
fn push_score(w: &mut Writer, score: f64) {
    if score.is_finite() && (-SCORE_INT_MAX..=SCORE_INT_MAX).contains(&score) {
        let n = score as i64;
        if n as f64 == score {
            w.push_int(n);
            return;
        }
    }
    let mut text = Vec::with_capacity(24);
    fmt_f64(score, &mut text);
    w.push(&text);
}

fn put_zset<S: Sink>(out: &mut S, z: &ZSetValue, opts: &Options) {
    if z.is_packed() {
        let mut w = Writer::new();
        for (m, score) in z.iter() {
            w.push(m);
            push_score(&mut w, score);
        }
        put_string(out, &w.finish(), opts);
        return;
    }
    put_len(out, z.len() as u64);
    // From the highest rank down, as Redis walks its skiplist backwards.
    for (m, score) in z.iter_range(0..z.len(), true) {
        put_string(out, m, opts);
        out.put(&score.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options::default()
    }

    #[test]
    fn strings_as_redis_writes_them() {
        // Checked against redis-server 7.0.15's DUMP.
        let d = dump(&Value::string(b"5"), &opts());
        assert_eq!(d, b"\x00\xc0\x05\x0a\x00\x63\x2f\x5f\x66\x83\x2f\xb3\x51");
        let d = dump(&Value::string(b"12345678901"), &opts());
        assert_eq!(&d[..13], b"\x00\x0b12345678901");
        let d = encode(&Value::string(&[b'a'; 21]), &opts());
        assert_eq!(d, b"\x00\xc3\x06\x15\x01aa\xe0\x0a\x00");
        let d = encode(&Value::string(&[b'a'; 25]), &opts());
        assert_eq!(d, b"\x00\xc3\x09\x19\x01aa\xe0\x0c\x00\x01aa");
        let off = Options {
            compression: false,
            ..opts()
        };
        assert_eq!(encode(&Value::string(&[b'a'; 21]), &off)[..2], [0, 21]);
        // A raw (APPENDed) canonical integer is still integer-encoded.
        let raw = Value::Str(StrValue::Raw(b"-300".to_vec()));
        assert_eq!(encode(&raw, &opts()), [0, 0xC1, 0xD4, 0xFE]);
        assert_eq!(
            encode(&Value::string(b"-2147483648"), &opts())[..2],
            [0, 0xC2]
        );
        assert_eq!(encode(&Value::string(b"2147483648"), &opts())[..2], [0, 10]);
    }

    #[test]
    fn lengths_count_what_is_written() {
        let mut l = ListValue::new();
        for i in 0..3000 {
            l.push_back(format!("element-{i}").as_bytes(), -2);
        }
        let vals = [
            Value::string(b"x"),
            Value::string(&[b'q'; 100]),
            Value::string(&(0..200u8).collect::<Vec<_>>()),
            Value::List(l),
        ];
        for v in &vals {
            for compression in [true, false] {
                let o = Options {
                    compression,
                    ..opts()
                };
                assert_eq!(object_len(v, &o) + 1, encode(v, &o).len());
            }
        }
    }

    #[test]
    fn list_nodes_follow_redis_fill_rules() {
        let list = |n: usize, v: &[u8]| -> ListValue { (0..n).map(|_| v.to_vec()).collect() };
        // Count fills: 7 elements at fill 5 give nodes of 5 and 2.
        let l = list(7, b"1");
        let counts: Vec<usize> = list_nodes(&l, 5).iter().map(|n| n.count).collect();
        assert_eq!(counts, [5, 2]);
        // Fill 0 means one element per node; below -5 acts as -5.
        assert_eq!(list_nodes(&l, 0).len(), 7);
        assert_eq!(list_nodes(&l, -10), list_nodes(&l, -5));
        // redis-server 7.0.15: 1000 ten-byte elements at fill -2 take two
        // nodes of 12014 listpack bytes in all.
        let l = list(1000, b"aaaaaaaaaa");
        let nodes = list_nodes(&l, -2);
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes.iter().map(|n| n.bytes).sum::<usize>(), 12014);
        assert!(list_nodes(&ListValue::new(), -2).is_empty());
    }

    #[test]
    fn zset_scores_pack_as_redis_does() {
        let one = |score: f64| {
            let mut w = Writer::new();
            push_score(&mut w, score);
            let lp = w.finish();
            lp[listpack::HEADER_SIZE..lp.len() - 1].to_vec()
        };
        assert_eq!(one(-0.0), [0x00, 0x01]);
        assert_eq!(one(2.0), [0x02, 0x01]);
        assert_eq!(one(123456.75)[..1], [0x89]);
        assert_eq!(one(1e20)[..6], *b"\x851e+20");
        assert_eq!(one(f64::INFINITY)[..4], *b"\x83inf");
        // 2^62 is still an integer; 2^63 is not.
        assert_eq!(one(SCORE_INT_MAX)[0], 0xF4);
        assert_eq!(one(2.0 * SCORE_INT_MAX)[0], 0x96);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::rdb::testutil::{element, limits, value as any_value};
    use proptest::prelude::*;

    /// Values of every type under varied limits (the decoder's tests
    /// use the same).
    fn value() -> impl Strategy<Value = Value> {
        limits().prop_flat_map(any_value)
    }

    proptest! {
        /// The counting sink agrees with the bytes, for every type and
        /// setting, and DUMP's footer checks out.
        #[test]
        fn length_only_equals_bytes(v in value(), compression: bool, fill in -6i32..10, depth in 0i32..3) {
            let o = Options { compression, list_fill: fill, list_compress_depth: depth };
            let bytes = encode(&v, &o);
            prop_assert_eq!(object_len(&v, &o) + 1, bytes.len());
            prop_assert_eq!(bytes.first().copied(), Some(object_type(&v)));
            let d = dump(&v, &o);
            let (body, crc) = d.split_at(d.len() - 8);
            let want = crc64(body).to_le_bytes();
            prop_assert_eq!(want.as_slice(), crc);
            prop_assert_eq!(&body[..body.len() - 2], bytes.as_slice());
        }

        /// Every node Redis would cut holds at least one element, a node of
        /// several stays within its bounds, and no element is lost.
        #[test]
        fn list_nodes_cover_the_list(v in proptest::collection::vec(element(), 0..400), fill in -7i32..40) {
            let l = ListValue::from_items(v.iter(), fill);
            let nodes = list_nodes(&l, fill);
            prop_assert_eq!(nodes.iter().map(|n| n.count).sum::<usize>(), v.len());
            let f = effective_fill(fill);
            for n in &nodes {
                prop_assert!(n.count >= 1);
                if n.count > 1 {
                    if f > 0 {
                        prop_assert!(n.count <= f as usize && n.bytes <= SIZE_SAFETY_LIMIT);
                    } else if f < 0 {
                        prop_assert!(n.bytes <= OPTIMIZATION_LEVEL[(-f - 1) as usize]);
                    }
                }
            }
        }
    }
}
