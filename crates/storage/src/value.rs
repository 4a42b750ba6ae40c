//! The value types a key can hold and their encodings.

use crate::compact::CompactBytes;
use crate::hash::HashValue;
use crate::list::ListValue;
use crate::num::{fmt_i64, parse_i64, MAX_I64_CHARS};
use crate::set::SetValue;
use crate::zset::ZSetValue;

/// Strings up to this length are reported as `embstr` by `OBJECT ENCODING`, as Redis does.
pub const EMBSTR_MAX_LEN: usize = 44;

/// A string value, in the encoding Redis would report for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrValue {
    /// A canonical 64-bit integer (`OBJECT ENCODING` → `int`).
    Int(i64),
    /// Bytes stored as given (inline up to 22 bytes): `embstr` up to 44
    /// bytes, `raw` beyond.
    Plain(CompactBytes),
    /// Bytes modified in place (APPEND, SETRANGE, SETBIT, ...): always `raw`.
    Raw(Vec<u8>),
}

impl StrValue {
    /// The string's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => int_len(*n),
            StrValue::Plain(v) => v.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Plain(v) if v.len() <= EMBSTR_MAX_LEN => "embstr",
            _ => "raw",
        }
    }

    /// Calls `f` with the string's bytes (integers are formatted on the stack).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrValue::Int(n) => {
                let mut buf = [0u8; MAX_I64_CHARS];
                f(fmt_i64(*n, &mut buf))
            }
            StrValue::Plain(v) => f(v),
            StrValue::Raw(v) => f(v),
        }
    }

    /// The string's bytes as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// Mutable access to the bytes for an in-place change; the value becomes `raw`.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        let bytes = match std::mem::replace(self, StrValue::Raw(Vec::new())) {
            StrValue::Int(n) => {
                let mut buf = [0u8; MAX_I64_CHARS];
                fmt_i64(n, &mut buf).to_vec()
            }
            StrValue::Plain(v) => v.into_vec(),
            StrValue::Raw(v) => v,
        };
        *self = StrValue::Raw(bytes);
        match self {
            StrValue::Raw(v) => v,
            // The line above just stored a Raw value.
            _ => unreachable!("make_raw stored a Raw value"),
        }
    }
}

fn int_len(n: i64) -> usize {
    let mut buf = [0u8; MAX_I64_CHARS];
    fmt_i64(n, &mut buf).len()
}

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also bitmaps and counters).
    Str(StrValue),
    /// A list.
    List(ListValue),
    /// A hash.
    Hash(HashValue),
    /// A set.
    Set(SetValue),
    /// A sorted set.
    ZSet(ZSetValue),
}

/// A value type a command works on: how to reach it inside a [`Value`], so
/// that one typed lookup (`Ctx::read`, `Ctx::write`) serves every family
/// and answers WRONGTYPE for the others.
pub trait Kind: Sized {
    /// The value as this type, if it is one.
    fn of(v: &Value) -> Option<&Self>;
    /// The value as this type, mutably, if it is one.
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    /// Wraps it into a [`Value`].
    fn into_value(self) -> Value;
}

/// A collection type (list, hash, set): created empty by the first write
/// and deleted when its last element goes, as Redis never keeps an empty
/// collection.
pub trait Container: Kind + Default {
    /// True when it holds no element.
    fn is_empty(&self) -> bool;
}

macro_rules! kind {
    ($t:ty, $variant:ident) => {
        impl Kind for $t {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
        }
    };
}

macro_rules! container {
    ($t:ty) => {
        impl Container for $t {
            fn is_empty(&self) -> bool {
                <$t>::is_empty(self)
            }
        }
    };
}

container!(ListValue);
container!(HashValue);
container!(SetValue);
container!(ZSetValue);

kind!(StrValue, Str);
kind!(ListValue, List);
kind!(HashValue, Hash);
kind!(SetValue, Set);
kind!(ZSetValue, ZSet);

/// The type names `TYPE` and `SCAN ... TYPE` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `string`
    String,
    /// `list`
    List,
    /// `set`
    Set,
    /// `zset`
    ZSet,
    /// `hash`
    Hash,
    /// `stream`
    Stream,
}

impl ValueType {
    /// The name Redis uses for this type.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }

    /// Parses a type name as `SCAN ... TYPE` accepts it (case-insensitive).
    pub fn parse(name: &[u8]) -> Option<ValueType> {
        let all = [
            ValueType::String,
            ValueType::List,
            ValueType::Set,
            ValueType::ZSet,
            ValueType::Hash,
            ValueType::Stream,
        ];
        all.into_iter()
            .find(|t| t.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

impl Value {
    /// A string value from bytes, in the encoding Redis picks for a fresh `SET`.
    pub fn string(bytes: &[u8]) -> Value {
        Value::Str(StrValue::from_bytes(bytes))
    }

    /// This value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::String,
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }
}

/// Bytes a packed element costs beside its own bytes (its length header
/// and back-length, as in a listpack).
const PACKED_ELEM_OVERHEAD: usize = 2;
/// A table slot beside the element itself: one index slot of the key map.
const TABLE_SLOT: usize = 8;
/// A sorted-set skiplist element beside its member: node (score, links,
/// inline member) and the member index's slot.
const SKIPLIST_ELEM: usize = 96;

/// `samples` elements of `len` (0: all): the average cost of the elements
/// seen, times the number of elements, as Redis's MEMORY USAGE samples an
/// aggregate.
fn sampled<I: Iterator<Item = usize>>(len: usize, samples: usize, costs: I) -> usize {
    let take = if samples == 0 { len } else { samples.min(len) };
    if take == 0 {
        return 0;
    }
    let seen: usize = costs.take(take).sum();
    seen.saturating_mul(len) / take
}

fn compact_heap(len: usize) -> usize {
    if len > crate::compact::INLINE_CAP {
        len
    } else {
        0
    }
}

impl Value {
    /// An estimate of the heap bytes this value holds beyond the table
    /// entry it lives in (MEMORY USAGE): exact for strings and lists (their
    /// buffers' capacities); for hashes, sets and sorted sets the per-element
    /// cost of their encoding (packed: the bytes plus small headers; table:
    /// the slot, the inline strings and any string too long to be inline),
    /// averaged over `samples` elements (0: all) and scaled to the size.
    pub fn mem_estimate(&self, samples: usize) -> usize {
        use std::mem::size_of;
        match self {
            Value::Str(StrValue::Int(_)) => 0,
            Value::Str(StrValue::Plain(b)) => b.heap_size(),
            Value::Str(StrValue::Raw(v)) => v.capacity(),
            Value::List(l) => l.heap_size(),
            Value::Hash(h) => {
                let packed = h.is_packed();
                let per = h.iter().map(|(f, v)| {
                    if packed {
                        f.len() + v.len() + 2 * PACKED_ELEM_OVERHEAD
                    } else {
                        size_of::<(CompactBytes, CompactBytes)>()
                            + TABLE_SLOT
                            + compact_heap(f.len())
                            + compact_heap(v.len())
                    }
                });
                let body = sampled(h.len(), samples, per);
                if packed {
                    body
                } else {
                    body + size_of::<crate::keymap::KeyMap<CompactBytes>>()
                }
            }
            Value::Set(s) => {
                if s.is_intset() {
                    return s.len() * size_of::<i64>();
                }
                let per = s.iter().map(|m| {
                    m.with_bytes(|b| size_of::<CompactBytes>() + TABLE_SLOT + compact_heap(b.len()))
                });
                sampled(s.len(), samples, per) + size_of::<crate::keymap::KeyMap<()>>()
            }
            Value::ZSet(z) => {
                let packed = z.is_packed();
                let per = z.iter().map(|(m, _)| {
                    if packed {
                        // The member and its score, each an element.
                        m.len() + 8 + 2 * PACKED_ELEM_OVERHEAD
                    } else {
                        SKIPLIST_ELEM + compact_heap(m.len())
                    }
                });
                sampled(z.len(), samples, per)
            }
        }
    }
}

impl StrValue {
    /// The encoding Redis picks for a freshly set string: `int` for canonical
    /// integers of at most 20 characters, otherwise the bytes.
    pub fn from_bytes(bytes: &[u8]) -> StrValue {
        match parse_i64(bytes) {
            Some(n) => StrValue::Int(n),
            None => StrValue::Plain(CompactBytes::new(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(StrValue::from_bytes(b"123").encoding(), "int");
        assert_eq!(
            StrValue::from_bytes(b"-9223372036854775808").encoding(),
            "int"
        );
        assert_eq!(
            StrValue::from_bytes(b"9223372036854775808").encoding(),
            "embstr"
        );
        assert_eq!(StrValue::from_bytes(b"007").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(b"-0").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = StrValue::from_bytes(b"12");
        s.make_raw().push(b'3');
        assert_eq!(s, StrValue::Raw(b"123".to_vec()));
        assert_eq!(s.encoding(), "raw");
    }

    #[test]
    fn int_formatting_and_length() {
        for n in [0i64, 7, -7, 10, i64::MAX, i64::MIN] {
            let mut b = [0u8; 20];
            assert_eq!(fmt_i64(n, &mut b), n.to_string().as_bytes());
            assert_eq!(StrValue::Int(n).len(), n.to_string().len());
        }
    }
}
