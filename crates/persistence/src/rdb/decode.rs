//! Reading one RDB object: what `RESTORE` loads from a DUMP payload and
//! what the RDB file reader loads after each key (Redis 7.0's
//! `rdbLoadObject`), for every type Redis 7.0 reads from RDB versions 1 to
//! 10.
//!
//! All input is untrusted. Every length is checked against the bytes left
//! before anything is taken or allocated (a count only drives a loop whose
//! every step consumes input), LZF data is expanded within a bound its
//! compressed size justifies, and compact blobs (listpacks, ziplists,
//! intsets, zipmaps) are validated entry by entry as Redis's *deep*
//! sanitization does (`sanitize-dump-payload yes`), duplicates included,
//! whatever that setting says. Errors name what is wrong and the offset in
//! the input where the faulty item starts.
//!
//! The value gets the encoding Redis would give it under the same limits
//! ([`Limits`]): strings as `tryObjectEncoding` picks; lists re-packed by
//! Ferrite's quicklist; sets `intset` while all members are integers and
//! they are at most `set-max-intset-entries`; hashes and sorted sets read
//! from a listpack or ziplist stay `listpack` while they have at most
//! `hash-max-listpack-entries` fields (`zset-max-listpack-entries` members),
//! whatever their lengths, as Redis checks only the count; from a zipmap,
//! `HASH`, `ZSET` or `ZSET_2`, they are `listpack` only when they fit both
//! limits (count and length).

use std::borrow::Cow;
use std::fmt;

use ferrite_storage::num::strtod;
use ferrite_storage::{HashValue, ListValue, SetValue, StrValue, Value, ZSetValue};

/// The hash and sorted-set limits of [`Limits`], re-exported for callers
/// that do not depend on the storage crate.
pub use ferrite_storage::hash::HashLimits;
pub use ferrite_storage::zset::ZSetLimits;

use super::{container, enc, types, RDB_VERSION};
use crate::listpack::Elem;
use crate::{crc64, intset, listpack, lzf, ziplist, zipmap};

/// What went wrong, without the offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The input ends inside an item.
    #[error("unexpected end of input")]
    Truncated,
    /// A length prefix that is none of RDB's encodings.
    #[error("unknown length encoding 0x{0:02x}")]
    BadLength(u8),
    /// A special string encoding that is not an integer or LZF.
    #[error("unknown string encoding {0}")]
    BadStringEncoding(u8),
    /// LZF data that does not expand to its stated length.
    #[error("invalid LZF compressed string")]
    BadLzf,
    /// A compact blob (listpack, ziplist, intset, zipmap) failed validation.
    #[error("invalid {what}: {why}")]
    BadBlob {
        /// The value type the blob encodes.
        what: &'static str,
        /// The check that failed.
        why: &'static str,
    },
    /// A set member, hash field or sorted-set member appears twice.
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// A collection with no element: Redis refuses it in RESTORE and skips
    /// the key when loading a file.
    #[error("empty {0}")]
    Empty(&'static str),
    /// A sorted-set score that is NaN.
    #[error("NaN score in a sorted set")]
    NanScore,
    /// A text score that is not a number.
    #[error("invalid double value")]
    BadDouble,
    /// A quicklist node container that is neither plain nor packed.
    #[error("unknown quicklist node container {0}")]
    BadContainer(u64),
    /// A sorted set packed as a blob with an odd number of entries, or a
    /// hash with a field and no value.
    #[error("unpaired entries in a {0}")]
    Unpaired(&'static str),
    /// A type Ferrite does not hold (streams, module values).
    #[error("{0} values are not supported")]
    Unsupported(&'static str),
    /// A type byte no Redis version defines (or one newer than 7.0's).
    #[error("unknown object type {0}")]
    UnknownType(u8),
    /// A file that does not start with `REDIS` and four digits.
    #[error("not an RDB file (bad magic)")]
    NotRdb,
    /// An RDB version this reader does not handle.
    #[error("can't handle RDB format version {0}")]
    Version(u32),
    /// A file whose CRC64 trailer does not match its contents.
    #[error("wrong RDB checksum: stored {stored:016x}, computed {computed:016x}")]
    Checksum {
        /// The trailer's value.
        stored: u64,
        /// The CRC64 of the bytes up to the EOF opcode included.
        computed: u64,
    },
    /// An opcode Redis 7.0 refuses or that no Redis writes.
    #[error("unsupported RDB opcode 0x{0:02x}")]
    Opcode(u8),
    /// A DUMP payload shorter than its footer, of a newer RDB version, or
    /// whose CRC64 does not match.
    #[error("DUMP payload version or checksum are wrong")]
    BadFooter,
}

/// A decoding error: what is wrong and the offset (in the decoded input)
/// of the item that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where the faulty item starts.
    pub offset: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.kind, self.offset)
    }
}

impl std::error::Error for Error {}

/// The configuration limits that decide a loaded value's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `list-max-listpack-size`.
    pub list_fill: i32,
    /// `hash-max-listpack-entries` and `hash-max-listpack-value`.
    pub hash: HashLimits,
    /// `set-max-intset-entries`.
    pub set_max_intset: usize,
    /// `zset-max-listpack-entries` and `zset-max-listpack-value`.
    pub zset: ZSetLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            list_fill: -2,
            hash: HashLimits::default(),
            set_max_intset: 512,
            zset: ZSetLimits::default(),
        }
    }
}

/// A cursor over untrusted RDB bytes. Offsets in errors are positions in
/// the slice it was made from.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// The current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// An error of `kind` at `offset`.
    pub fn err(&self, offset: usize, kind: ErrorKind) -> Error {
        Error { offset, kind }
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err(self.pos, ErrorKind::Truncated))?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` bytes, if that many are left.
    pub fn take(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.remaining())
            .ok_or_else(|| self.err(self.pos, ErrorKind::Truncated))?;
        let s = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.err(self.pos, ErrorKind::Truncated))?;
        self.pos += n;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let at = self.pos;
        let s = self.take(N as u64)?;
        s.try_into().map_err(|_| self.err(at, ErrorKind::Truncated))
    }

    /// An RDB length (`rdbLoadLenByRef`): the value and whether it was a
    /// special string encoding (then the value is the encoding number).
    fn len_or_enc(&mut self) -> Result<(u64, bool), Error> {
        let at = self.pos;
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok((u64::from(b & 0x3F), false)),
            1 => Ok(((u64::from(b & 0x3F) << 8) | u64::from(self.u8()?), false)),
            2 if b == 0x80 => Ok((u64::from(u32::from_be_bytes(self.array()?)), false)),
            2 if b == 0x81 => Ok((u64::from_be_bytes(self.array()?), false)),
            2 => Err(self.err(at, ErrorKind::BadLength(b))),
            _ => Ok((u64::from(b & 0x3F), true)),
        }
    }

    /// An RDB length (a count, a size). An encoded form reads as its
    /// encoding number, as Redis's `rdbLoadLen` reads it.
    pub fn length(&mut self) -> Result<u64, Error> {
        self.len_or_enc().map(|(n, _)| n)
    }

    /// An RDB string (`rdbGenericLoadStringObject`): integer-encoded,
    /// LZF-compressed or plain.
    pub fn string(&mut self) -> Result<Cow<'a, [u8]>, Error> {
        let at = self.pos;
        let (n, encoded) = self.len_or_enc()?;
        if !encoded {
            return self.take(n).map(Cow::Borrowed);
        }
        let int = match n as u8 {
            enc::INT8 => i64::from(self.u8()? as i8),
            enc::INT16 => i64::from(i16::from_le_bytes(self.array()?)),
            enc::INT32 => i64::from(i32::from_le_bytes(self.array()?)),
            enc::LZF => {
                let clen = self.length()?;
                let len = self.length()?;
                let data = self.take(clen)?;
                let len = usize::try_from(len).map_err(|_| self.err(at, ErrorKind::BadLzf))?;
                if len == 0 {
                    // liblzf "decompresses" anything into no room, and
                    // Redis takes that as the empty string.
                    return Ok(Cow::Borrowed(&[]));
                }
                return lzf::decompress(data, len)
                    .filter(|v| v.len() == len)
                    .map(Cow::Owned)
                    .ok_or_else(|| self.err(at, ErrorKind::BadLzf));
            }
            other => return Err(self.err(at, ErrorKind::BadStringEncoding(other))),
        };
        Ok(Cow::Owned(int.to_string().into_bytes()))
    }

    /// A double as `ZSET` (type 3) stores it (`rdbLoadDoubleValue`): a
    /// length byte (253 NaN, 254 +inf, 255 -inf) and that much text.
    fn text_double(&mut self) -> Result<f64, Error> {
        let at = self.pos;
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.take(u64::from(n))?;
                let r = strtod(text);
                if r.consumed == 0 {
                    return Err(self.err(at, ErrorKind::BadDouble));
                }
                Ok(r.value)
            }
        }
    }

    /// A double as 8 little-endian bytes (`ZSET_2`).
    fn binary_double(&mut self) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// Whether `ty` is an object type this decoder reads: the refusal
/// [`read_object`] would give, before anything else is read.
pub fn check_type(ty: u8) -> Result<(), ErrorKind> {
    match ty {
        types::MODULE_PRE_GA | types::MODULE_2 => Err(ErrorKind::Unsupported("module")),
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => {
            Err(ErrorKind::Unsupported("stream"))
        }
        0..=5 | 9..=14 | 16..=18 => Ok(()),
        other => Err(ErrorKind::UnknownType(other)),
    }
}

/// Reads the object of type `ty` at the reader's position
/// (`rdbLoadObject`); a refused type is reported at the byte before the
/// object, where a DUMP payload has its type byte.
pub fn read_object(r: &mut Reader<'_>, ty: u8, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    check_type(ty).map_err(|kind| r.err(at.saturating_sub(1), kind))?;
    match ty {
        types::STRING => Ok(Value::Str(StrValue::from_bytes(&r.string()?))),
        types::LIST => read_list(r, limits),
        types::SET => read_set(r, limits),
        types::ZSET | types::ZSET_2 => read_zset(r, ty == types::ZSET_2, limits),
        types::HASH => read_hash(r, limits),
        types::HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = zipmap::parse(&blob).map_err(|why| blob_err(r, at, "hash", why))?;
            let pairs = pairs.into_iter().map(|(f, v)| (Elem::Str(f), Elem::Str(v)));
            hash_from_pairs(r, at, pairs, limits)
        }
        types::LIST_ZIPLIST => {
            let blob = r.string()?;
            let elems = ziplist::parse(&blob).map_err(|why| blob_err(r, at, "list", why))?;
            list_from(r, at, elems, limits)
        }
        types::SET_INTSET => {
            let blob = r.string()?;
            let members = intset::parse(&blob).map_err(|why| blob_err(r, at, "set", why))?;
            if members.is_empty() {
                return Err(r.err(at, ErrorKind::Empty("set")));
            }
            let mut s = SetValue::new();
            for n in members {
                s.add(n.to_string().as_bytes(), limits.set_max_intset);
            }
            Ok(Value::Set(s))
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = r.string()?;
            let elems = if ty == types::ZSET_ZIPLIST {
                ziplist::parse(&blob)
            } else {
                listpack::parse(&blob)
            }
            .map_err(|why| blob_err(r, at, "sorted set", why))?;
            zset_from_blob(r, at, &elems, limits)
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = r.string()?;
            let elems = if ty == types::HASH_ZIPLIST {
                ziplist::parse(&blob)
            } else {
                listpack::parse(&blob)
            }
            .map_err(|why| blob_err(r, at, "hash", why))?;
            if !elems.len().is_multiple_of(2) {
                return Err(r.err(at, ErrorKind::Unpaired("hash")));
            }
            let pairs = elems.chunks_exact(2).filter_map(|p| match p {
                [f, v] => Some((*f, *v)),
                _ => None,
            });
            // Redis keeps the blob unless it has too many fields; long
            // fields or values do not convert it.
            let blob_limits = Limits {
                hash: HashLimits {
                    max_entries: limits.hash.max_entries,
                    max_value: usize::MAX,
                },
                ..*limits
            };
            hash_from_pairs(r, at, pairs, &blob_limits)
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            read_quicklist(r, ty == types::LIST_QUICKLIST_2, limits)
        }
        other => Err(r.err(at.saturating_sub(1), ErrorKind::UnknownType(other))),
    }
}

fn blob_err(r: &Reader<'_>, at: usize, what: &'static str, why: &'static str) -> Error {
    r.err(at, ErrorKind::BadBlob { what, why })
}

/// Reads a type byte and its object from the start of `bytes` (the body of
/// a DUMP payload); bytes after the object are ignored, as Redis's RESTORE
/// ignores them.
pub fn decode_object(bytes: &[u8], limits: &Limits) -> Result<Value, Error> {
    let mut r = Reader::new(bytes);
    let ty = r.u8()?;
    read_object(&mut r, ty, limits)
}

/// Checks a DUMP payload's footer as RESTORE does (`verifyDumpPayload`):
/// at least 10 bytes, an RDB version no newer than 10, and a CRC64 of
/// everything before it that matches (a zero CRC is not special here).
/// Returns the body: type byte and object.
pub fn verify_payload(payload: &[u8]) -> Result<&[u8], Error> {
    let bad = Error {
        offset: payload.len().saturating_sub(10),
        kind: ErrorKind::BadFooter,
    };
    let Some(body_len) = payload.len().checked_sub(10) else {
        return Err(bad);
    };
    let (body, footer) = payload.split_at(body_len);
    let (ver, crc) = footer.split_at(2);
    let ver = u16::from_le_bytes([
        ver.first().copied().unwrap_or(0),
        ver.get(1).copied().unwrap_or(0),
    ]);
    if ver > RDB_VERSION {
        return Err(bad);
    }
    let want = crc64(payload.get(..body_len + 2).unwrap_or_default()).to_le_bytes();
    if crc != want {
        return Err(bad);
    }
    Ok(body)
}

/// RESTORE's reading of a payload: footer check, then the object. As in
/// Redis, the object is read from the whole payload: an object cut short
/// reads on into the footer's bytes rather than failing at once.
pub fn decode_payload(payload: &[u8], limits: &Limits) -> Result<Value, Error> {
    verify_payload(payload)?;
    decode_object(payload, limits)
}

// ---------------------------------------------------------------------------
// Per type.
// ---------------------------------------------------------------------------

fn list_from(
    r: &Reader<'_>,
    at: usize,
    elems: Vec<Elem<'_>>,
    limits: &Limits,
) -> Result<Value, Error> {
    if elems.is_empty() {
        return Err(r.err(at, ErrorKind::Empty("list")));
    }
    let mut l = ListValue::new();
    for e in elems {
        e.with_bytes(|b| l.push_back(b, limits.list_fill));
    }
    Ok(Value::List(l))
}

fn read_list(r: &mut Reader<'_>, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    let n = r.length()?;
    let mut l = ListValue::new();
    for _ in 0..n {
        l.push_back(&r.string()?, limits.list_fill);
    }
    if l.is_empty() {
        return Err(r.err(at, ErrorKind::Empty("list")));
    }
    Ok(Value::List(l))
}

fn read_quicklist(r: &mut Reader<'_>, v2: bool, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    let nodes = r.length()?;
    let mut l = ListValue::new();
    for _ in 0..nodes {
        let node_at = r.pos();
        let packed = if v2 {
            match r.length()? {
                container::PLAIN => false,
                container::PACKED => true,
                other => return Err(r.err(node_at, ErrorKind::BadContainer(other))),
            }
        } else {
            true
        };
        let blob_at = r.pos();
        let blob = r.string()?;
        if !packed {
            l.push_back(&blob, limits.list_fill);
            continue;
        }
        let elems = if v2 {
            listpack::parse(&blob)
        } else {
            ziplist::parse(&blob)
        }
        .map_err(|why| blob_err(r, blob_at, "list", why))?;
        // Empty nodes are skipped, as Redis skips them.
        for e in elems {
            e.with_bytes(|b| l.push_back(b, limits.list_fill));
        }
    }
    if l.is_empty() {
        return Err(r.err(at, ErrorKind::Empty("list")));
    }
    Ok(Value::List(l))
}

fn read_set(r: &mut Reader<'_>, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    let n = r.length()?;
    if n == 0 {
        return Err(r.err(at, ErrorKind::Empty("set")));
    }
    let mut s = SetValue::new();
    for _ in 0..n {
        let m_at = r.pos();
        let m = r.string()?;
        if !s.add(&m, limits.set_max_intset) {
            return Err(r.err(m_at, ErrorKind::Duplicate("set member")));
        }
    }
    Ok(Value::Set(s))
}

fn read_hash(r: &mut Reader<'_>, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    let n = r.length()?;
    if n == 0 {
        return Err(r.err(at, ErrorKind::Empty("hash")));
    }
    let mut h = HashValue::new();
    for _ in 0..n {
        let f_at = r.pos();
        let f = r.string()?;
        let v = r.string()?;
        if !h.set(&f, &v, limits.hash) {
            return Err(r.err(f_at, ErrorKind::Duplicate("hash field")));
        }
    }
    Ok(Value::Hash(h))
}

fn hash_from_pairs<'b>(
    r: &Reader<'_>,
    at: usize,
    pairs: impl Iterator<Item = (Elem<'b>, Elem<'b>)>,
    limits: &Limits,
) -> Result<Value, Error> {
    let mut h = HashValue::new();
    for (f, v) in pairs {
        let new = f.with_bytes(|f| v.with_bytes(|v| h.set(f, v, limits.hash)));
        if !new {
            return Err(r.err(at, ErrorKind::Duplicate("hash field")));
        }
    }
    if h.is_empty() {
        return Err(r.err(at, ErrorKind::Empty("hash")));
    }
    Ok(Value::Hash(h))
}

fn read_zset(r: &mut Reader<'_>, binary: bool, limits: &Limits) -> Result<Value, Error> {
    let at = r.pos();
    let n = r.length()?;
    if n == 0 {
        return Err(r.err(at, ErrorKind::Empty("sorted set")));
    }
    let mut z = ZSetValue::new();
    // Loaded whole as a skiplist, then packed if it fits, as Redis does:
    // RDB does not store these members in order.
    z.convert();
    for _ in 0..n {
        let m_at = r.pos();
        let m = r.string()?;
        let score_at = r.pos();
        let score = if binary {
            r.binary_double()?
        } else {
            r.text_double()?
        };
        if score.is_nan() {
            return Err(r.err(score_at, ErrorKind::NanScore));
        }
        if z.insert(&m, score, limits.zset).is_some() {
            return Err(r.err(m_at, ErrorKind::Duplicate("sorted set member")));
        }
    }
    z.shrink_if_fits(limits.zset);
    Ok(Value::ZSet(z))
}

fn zset_from_blob(
    r: &Reader<'_>,
    at: usize,
    elems: &[Elem<'_>],
    limits: &Limits,
) -> Result<Value, Error> {
    if !elems.len().is_multiple_of(2) {
        return Err(r.err(at, ErrorKind::Unpaired("sorted set")));
    }
    let count = elems.len() / 2;
    if count == 0 {
        return Err(r.err(at, ErrorKind::Empty("sorted set")));
    }
    let mut z = ZSetValue::new();
    // Redis keeps the blob as it is unless it has too many members; long
    // members do not convert it.
    let unbounded = ZSetLimits {
        max_entries: usize::MAX,
        max_value: usize::MAX,
    };
    if count > limits.zset.max_entries {
        z.convert();
    }
    for pair in elems.chunks_exact(2) {
        let [m, s] = pair else { continue };
        let score = match *s {
            Elem::Int(n) => n as f64,
            // Redis reads a text score with strtod and keeps what it got.
            Elem::Str(t) => strtod(t).value,
        };
        if score.is_nan() {
            return Err(r.err(at, ErrorKind::NanScore));
        }
        if m.with_bytes(|m| z.insert(m, score, unbounded)).is_some() {
            return Err(r.err(at, ErrorKind::Duplicate("sorted set member")));
        }
    }
    Ok(Value::ZSet(z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listpack::Writer;
    use crate::rdb::encode::{self, put_len, put_string, Options};
    use crate::rdb::testutil::hex;
    use crate::ziplist::tests::build as ziplist;

    fn lim() -> Limits {
        Limits::default()
    }

    fn list(v: &Value) -> Vec<Vec<u8>> {
        match v {
            Value::List(l) => l.to_vec(),
            other => panic!("not a list: {other:?}"),
        }
    }

    /// Payloads DUMPed by redis-server 7.0.15.
    #[test]
    fn redis_payloads() {
        let v = decode_payload(
            &hex("12010210100000000300816102010182626203ff0a00df0af310be9d9e9d"),
            &lim(),
        )
        .unwrap();
        assert_eq!(list(&v), [&b"a"[..], b"1", b"bb"]);
        let v = decode_payload(
            &hex("1012120000000400816602817602816e020701ff0a00b82adea8407ffaa8"),
            &lim(),
        )
        .unwrap();
        let Value::Hash(h) = &v else { panic!() };
        assert!(h.is_packed());
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, [(&b"f"[..], &b"v"[..]), (b"n", b"7")]);
        let v = decode_payload(
            &hex("0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"),
            &lim(),
        )
        .unwrap();
        let Value::Set(s) = &v else { panic!() };
        assert!(s.is_intset() && s.len() == 3 && s.contains(b"2"));
        let v = decode_payload(&hex("020101780a00ffe880ba760c2f09"), &lim()).unwrap();
        let Value::Set(s) = &v else { panic!() };
        assert!(!s.is_intset() && s.contains(b"x"));
        let v = decode_payload(
            &hex("111414000000040081610283312e35048162020201ff0a00fa02b425af188763"),
            &lim(),
        )
        .unwrap();
        let Value::ZSet(z) = &v else { panic!() };
        assert!(z.is_packed());
        assert_eq!(
            z.iter().collect::<Vec<_>>(),
            [(&b"a"[..], 1.5), (b"b", 2.0)]
        );
        // A skiplist of one member comes back packed, as Redis packs it.
        let v =
            decode_payload(&hex("05010161000000000000f83f0a0045a3a88f44e959da"), &lim()).unwrap();
        let Value::ZSet(z) = &v else { panic!() };
        assert!(z.is_packed() && z.score(b"a") == Some(1.5));
        let v = decode_payload(&hex("0401016601760a00adf24356b1860efc"), &lim()).unwrap();
        let Value::Hash(h) = &v else { panic!() };
        assert!(h.is_packed() && h.get(b"f") == Some(&b"v"[..]));
    }

    #[test]
    fn payload_footer_checks() {
        let good = hex("020101780a00ffe880ba760c2f09");
        assert!(decode_payload(&good, &lim()).is_ok());
        let kind = |p: &[u8]| decode_payload(p, &lim()).unwrap_err().kind;
        assert_eq!(kind(&good[..9]), ErrorKind::BadFooter);
        let mut bad = good.clone();
        bad[13] ^= 1;
        assert_eq!(kind(&bad), ErrorKind::BadFooter);
        // A newer version is refused even with a matching CRC; older ones
        // are accepted.
        let with_version = |v: u16| {
            let mut p = good[..4].to_vec();
            p.extend_from_slice(&v.to_le_bytes());
            let crc = crate::crc64(&p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        assert_eq!(kind(&with_version(11)), ErrorKind::BadFooter);
        assert!(decode_payload(&with_version(0), &lim()).is_ok());
        assert!(decode_payload(&with_version(9), &lim()).is_ok());
    }

    /// Strings in each of RDB's string encodings.
    #[test]
    fn string_encodings() {
        let s = |b: &[u8]| match decode_object(b, &lim()).unwrap() {
            Value::Str(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(s(b"\x00\xc0\x05"), StrValue::Int(5));
        assert_eq!(s(b"\x00\xc0\xfb"), StrValue::Int(-5));
        assert_eq!(s(b"\x00\xc1\xd4\xfe"), StrValue::Int(-300));
        assert_eq!(
            s(b"\x00\xc2\x00\x00\x00\x80"),
            StrValue::Int(i64::from(i32::MIN))
        );
        assert_eq!(
            s(b"\x00\xc3\x06\x15\x01aa\xe0\x0a\x00").to_vec(),
            [b'a'; 21]
        );
        assert_eq!(s(b"\x00\x03abc").to_vec(), b"abc");
        assert_eq!(s(b"\x00\x40\x03abc").to_vec(), b"abc");
        assert_eq!(s(b"\x00\x80\x00\x00\x00\x03abc").to_vec(), b"abc");
        assert_eq!(
            s(b"\x00\x81\x00\x00\x00\x00\x00\x00\x00\x03abc").to_vec(),
            b"abc"
        );
        // An LZF string of length 0 is empty whatever its data (as Redis).
        assert_eq!(s(b"\x00\xc3\x01\x00\x00").to_vec(), b"");
        assert_eq!(s(b"\x00\xc3\x00\x00").to_vec(), b"");
        let kind = |b: &[u8]| decode_object(b, &lim()).unwrap_err().kind;
        assert_eq!(kind(b"\x00\xc4"), ErrorKind::BadStringEncoding(4));
        assert_eq!(kind(b"\x00\x82"), ErrorKind::BadLength(0x82));
        assert_eq!(kind(b"\x00\x04abc"), ErrorKind::Truncated);
        // LZF that expands to less or more than stated.
        assert_eq!(
            kind(b"\x00\xc3\x06\x16\x01aa\xe0\x0a\x00"),
            ErrorKind::BadLzf
        );
        assert_eq!(
            kind(b"\x00\xc3\x06\x14\x01aa\xe0\x0a\x00"),
            ErrorKind::BadLzf
        );
        // A huge length claims nothing it cannot read.
        assert_eq!(
            kind(b"\x00\x81\xff\xff\xff\xff\xff\xff\xff\xffab"),
            ErrorKind::Truncated
        );
        assert_eq!(
            kind(b"\x00\xc3\x02\x81\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"),
            ErrorKind::BadLzf
        );
    }

    /// Formats of RDB versions before 10: hand-built as Redis 6.2 and older
    /// write them.
    #[test]
    fn older_formats() {
        // LIST: a count and strings.
        let v = decode_object(b"\x01\x02\x01a\xc0\x07", &lim()).unwrap();
        assert_eq!(list(&v), [&b"a"[..], b"7"]);
        // LIST_ZIPLIST.
        let zl = ziplist(&[b"\x01a", b"\xF2", b"\xFE\x80"]);
        let mut b = vec![types::LIST_ZIPLIST];
        put_string(&mut b, &zl, &Options::default());
        assert_eq!(
            list(&decode_object(&b, &lim()).unwrap()),
            [&b"a"[..], b"1", b"-128"]
        );
        // LIST_QUICKLIST: ziplist nodes, an empty one skipped.
        let mut b = vec![types::LIST_QUICKLIST, 3];
        for zl in [
            ziplist(&[b"\x01x"]),
            ziplist(&[]),
            ziplist(&[b"\x01y", b"\x01z"]),
        ] {
            put_string(&mut b, &zl, &Options::default());
        }
        assert_eq!(
            list(&decode_object(&b, &lim()).unwrap()),
            [&b"x"[..], b"y", b"z"]
        );
        // ZSET: text scores, with the special lengths for infinities.
        let v = decode_object(b"\x03\x03\x01a\x031.5\x01b\xfe\x01c\xff", &lim()).unwrap();
        let Value::ZSet(z) = &v else { panic!() };
        assert_eq!(
            z.iter().collect::<Vec<_>>(),
            [
                (&b"c"[..], f64::NEG_INFINITY),
                (b"a", 1.5),
                (b"b", f64::INFINITY)
            ]
        );
        assert_eq!(
            decode_object(b"\x03\x01\x01a\xfd", &lim())
                .unwrap_err()
                .kind,
            ErrorKind::NanScore
        );
        // ZSET_ZIPLIST and HASH_ZIPLIST.
        let zl = ziplist(&[b"\x01m", b"\x032.5", b"\x01n", b"\xF4"]);
        let mut b = vec![types::ZSET_ZIPLIST];
        put_string(&mut b, &zl, &Options::default());
        let Value::ZSet(z) = decode_object(&b, &lim()).unwrap() else {
            panic!()
        };
        assert_eq!(
            z.iter().collect::<Vec<_>>(),
            [(&b"m"[..], 2.5), (b"n", 3.0)]
        );
        b[0] = types::HASH_ZIPLIST;
        let Value::Hash(h) = decode_object(&b, &lim()).unwrap() else {
            panic!()
        };
        assert_eq!(h.get(b"n"), Some(&b"3"[..]));
        // HASH_ZIPMAP.
        let zm = b"\x02\x01a\x02\x00xy\x03foo\x01\x02z\x00\x00\xff";
        let mut b = vec![types::HASH_ZIPMAP];
        put_string(&mut b, zm, &Options::default());
        let Value::Hash(h) = decode_object(&b, &lim()).unwrap() else {
            panic!()
        };
        assert!(h.is_packed());
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [(&b"a"[..], &b"xy"[..]), (b"foo", b"z")]
        );
    }

    #[test]
    fn quicklist_2_nodes() {
        let mut w = Writer::new();
        w.push(b"a");
        w.push(b"12");
        let lp = w.finish();
        let mut b = vec![types::LIST_QUICKLIST_2, 3];
        put_len(&mut b, container::PACKED);
        put_string(&mut b, &lp, &Options::default());
        put_len(&mut b, container::PLAIN);
        put_string(&mut b, b"plain", &Options::default());
        put_len(&mut b, container::PACKED);
        put_string(&mut b, &Writer::new().finish(), &Options::default());
        assert_eq!(
            list(&decode_object(&b, &lim()).unwrap()),
            [&b"a"[..], b"12", b"plain"]
        );
        // An LZF-compressed node, as Redis writes interior nodes of a
        // compressed list.
        let mut w = Writer::new();
        for _ in 0..40 {
            w.push(b"abcabcabc");
        }
        let lp = w.finish();
        let c = lzf::compress(&lp, lp.len()).unwrap();
        let mut b = vec![types::LIST_QUICKLIST_2, 1, 2, 0xC3];
        put_len(&mut b, c.len() as u64);
        put_len(&mut b, lp.len() as u64);
        b.extend_from_slice(&c);
        assert_eq!(list(&decode_object(&b, &lim()).unwrap()).len(), 40);
        let kind = |b: &[u8]| decode_object(b, &lim()).unwrap_err().kind;
        assert_eq!(kind(b"\x12\x01\x03\x00"), ErrorKind::BadContainer(3));
        assert_eq!(kind(b"\x12\x00"), ErrorKind::Empty("list"));
        let mut b = vec![types::LIST_QUICKLIST_2, 1, 2];
        put_string(&mut b, &Writer::new().finish(), &Options::default());
        assert_eq!(kind(&b), ErrorKind::Empty("list"));
    }

    #[test]
    fn duplicates_and_empties_are_refused() {
        let kind = |b: &[u8]| decode_object(b, &lim()).unwrap_err().kind;
        assert_eq!(
            kind(b"\x02\x02\x01a\x01a"),
            ErrorKind::Duplicate("set member")
        );
        assert_eq!(
            kind(b"\x02\x02\xc0\x01\x011"),
            ErrorKind::Duplicate("set member")
        );
        assert_eq!(
            kind(b"\x04\x02\x01a\x01b\x01a\x01c"),
            ErrorKind::Duplicate("hash field")
        );
        assert_eq!(
            kind(b"\x05\x02\x01a\0\0\0\0\0\0\0\0\x01a\0\0\0\0\0\0\0\0"),
            ErrorKind::Duplicate("sorted set member")
        );
        let blob = |ty: u8, items: &[&[u8]]| {
            let mut w = Writer::new();
            for i in items {
                w.push(i);
            }
            let mut b = vec![ty];
            put_string(&mut b, &w.finish(), &Options::default());
            b
        };
        assert_eq!(
            kind(&blob(types::HASH_LISTPACK, &[b"f", b"1", b"f", b"2"])),
            ErrorKind::Duplicate("hash field")
        );
        assert_eq!(
            kind(&blob(types::ZSET_LISTPACK, &[b"m", b"1", b"m", b"2"])),
            ErrorKind::Duplicate("sorted set member")
        );
        assert_eq!(
            kind(&blob(types::ZSET_LISTPACK, &[b"m"])),
            ErrorKind::Unpaired("sorted set")
        );
        assert_eq!(
            kind(&blob(types::HASH_LISTPACK, &[b"m", b"1", b"x"])),
            ErrorKind::Unpaired("hash")
        );
        assert_eq!(
            kind(&blob(types::HASH_LISTPACK, &[])),
            ErrorKind::Empty("hash")
        );
        assert_eq!(
            kind(&blob(types::ZSET_LISTPACK, &[])),
            ErrorKind::Empty("sorted set")
        );
        let mut b = vec![types::SET_INTSET];
        put_string(&mut b, &intset::encode(&[]), &Options::default());
        assert_eq!(kind(&b), ErrorKind::Empty("set"));
        for ty in [
            types::LIST,
            types::SET,
            types::ZSET,
            types::HASH,
            types::ZSET_2,
        ] {
            assert!(matches!(kind(&[ty, 0]), ErrorKind::Empty(_)));
        }
        assert_eq!(kind(b"\x13"), ErrorKind::Unsupported("stream"));
        assert_eq!(kind(b"\x07"), ErrorKind::Unsupported("module"));
        assert_eq!(kind(b"\x08"), ErrorKind::UnknownType(8));
        assert_eq!(kind(b"\x14"), ErrorKind::UnknownType(20));
    }

    #[test]
    fn encodings_follow_the_limits() {
        let small = Limits {
            list_fill: -2,
            hash: HashLimits {
                max_entries: 2,
                max_value: 3,
            },
            set_max_intset: 2,
            zset: ZSetLimits {
                max_entries: 2,
                max_value: 3,
            },
        };
        let enc = |b: &[u8]| decode_object(b, &small).unwrap().encoding();
        let blob = |ty: u8, items: &[&[u8]]| {
            let mut w = Writer::new();
            for i in items {
                w.push(i);
            }
            let mut b = vec![ty];
            put_string(&mut b, &w.finish(), &Options::default());
            b
        };
        assert_eq!(
            enc(&blob(types::HASH_LISTPACK, &[b"f", b"1", b"g", b"2"])),
            "listpack"
        );
        assert_eq!(
            enc(&blob(
                types::HASH_LISTPACK,
                &[b"f", b"1", b"g", b"2", b"h", b"3"]
            )),
            "hashtable"
        );
        // Long values keep a packed hash packed (redis-server 7.0.15);
        // from a count and strings they convert.
        assert_eq!(
            enc(&blob(types::HASH_LISTPACK, &[b"f", b"long"])),
            "listpack"
        );
        assert_eq!(enc(b"\x04\x01\x01f\x04long"), "hashtable");
        // Long members keep a packed sorted set packed; too many convert it.
        assert_eq!(
            enc(&blob(types::ZSET_LISTPACK, &[b"long", b"1"])),
            "listpack"
        );
        assert_eq!(
            enc(&blob(
                types::ZSET_LISTPACK,
                &[b"a", b"1", b"b", b"2", b"c", b"3"]
            )),
            "skiplist"
        );
        // ZSET_2 packs only what fits both limits.
        assert_eq!(enc(b"\x05\x01\x04long\0\0\0\0\0\0\0\0"), "skiplist");
        assert_eq!(enc(b"\x05\x01\x01a\0\0\0\0\0\0\0\0"), "listpack");
        let mut b = vec![types::SET_INTSET];
        put_string(&mut b, &intset::encode(&[1, 2, 3]), &Options::default());
        assert_eq!(enc(&b), "hashtable");
        assert_eq!(enc(b"\x02\x02\xc0\x01\xc0\x02"), "intset");
        assert_eq!(enc(b"\x02\x03\xc0\x01\xc0\x02\xc0\x03"), "hashtable");
        assert_eq!(
            enc(b"\x00\x2d123456789012345678901234567890123456789012345"),
            "raw"
        );
        assert_eq!(enc(b"\x00\x14-9223372036854775808"), "int");
        assert_eq!(enc(b"\x00\x0212"), "int");
        assert_eq!(enc(b"\x00\x0201"), "embstr");
    }

    /// Every truncation of valid objects fails cleanly, and so does every
    /// single flipped byte or byte value (no panic, no huge allocation).
    #[test]
    fn corruption_never_panics() {
        let mut samples = vec![
            hex("12010210100000000300816102010182626203ff"),
            hex("1012120000000400816602817602816e020701ff"),
            hex("0b0e0200000003000000010002000300"),
            hex("111414000000040081610283312e35048162020201ff"),
            hex("05010161000000000000f83f"),
            b"\x03\x03\x01a\x031.5\x01b\xfe\x01c\xff".to_vec(),
        ];
        let mut l = ListValue::new();
        for i in 0..300 {
            l.push_back(format!("elem{i}").as_bytes(), -2);
        }
        samples.push(encode::encode(&Value::List(l), &Options::default()));
        for s in &samples {
            assert!(decode_object(s, &lim()).is_ok());
            for cut in 0..s.len() {
                let _ = decode_object(&s[..cut], &lim());
            }
            for i in 0..s.len().min(64) {
                for v in [0u8, 1, 0x3F, 0x40, 0x7F, 0x80, 0x81, 0xC3, 0xFE, 0xFF] {
                    let mut c = s.clone();
                    c[i] = v;
                    let _ = decode_object(&c, &lim());
                }
            }
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::rdb::encode::{encode, Options};
    use crate::rdb::testutil::{limits, value};
    use proptest::prelude::*;

    proptest! {
        /// What the encoder writes, the decoder reads back: same contents,
        /// same encoding, and a packed hash in the same order.
        #[test]
        fn encode_then_decode(
            (lim, v) in limits().prop_flat_map(|l| (Just(l), value(l))),
            compression: bool,
            depth in 0i32..3,
        ) {
            let o = Options { compression, list_fill: lim.list_fill, list_compress_depth: depth };
            let bytes = encode(&v, &o);
            let back = decode_object(&bytes, &lim).unwrap();
            prop_assert_eq!(back.encoding(), v.encoding());
            if let (Value::Hash(a), Value::Hash(b)) = (&back, &v) {
                if a.is_packed() {
                    prop_assert!(a.iter().eq(b.iter()));
                }
            }
            if let (Value::ZSet(a), Value::ZSet(b)) = (&back, &v) {
                // -0 and 0 compare equal; the order and bits otherwise match.
                prop_assert!(a.iter().map(|(m, _)| m).eq(b.iter().map(|(m, _)| m)));
            }
            prop_assert_eq!(back, v);
            let d = crate::rdb::encode::dump(&decode_object(&bytes, &lim).unwrap(), &o);
            prop_assert!(decode_payload(&d, &lim).is_ok());
        }

        /// Arbitrary bytes never panic the decoder.
        #[test]
        fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_object(&b, &Limits::default());
        }
    }
}
