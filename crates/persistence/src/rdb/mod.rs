//! RDB, Redis 7.0's snapshot format (version 10): constants, the value
//! encoder ([`encode`]), the object decoder ([`decode`]) and the whole-file
//! reader and writer ([`file`](mod@file)).

pub mod decode;
pub mod encode;
pub mod file;

/// The RDB version Redis 7.0 writes (and the newest it reads).
pub const RDB_VERSION: u16 = 10;

/// RDB object type bytes (`RDB_TYPE_*`) Redis 7.0 writes or reads.
pub mod types {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a count and its elements (RDB versions before 7).
    pub const LIST: u8 = 1;
    /// A set as a count and its members.
    pub const SET: u8 = 2;
    /// A sorted set as a count and member/text-score pairs (before 8).
    pub const ZSET: u8 = 3;
    /// A hash as a count and field/value pairs.
    pub const HASH: u8 = 4;
    /// A sorted set as a count and member/binary-score pairs.
    pub const ZSET_2: u8 = 5;
    /// A module value of Redis 4.0's release candidates.
    pub const MODULE_PRE_GA: u8 = 6;
    /// A module value.
    pub const MODULE_2: u8 = 7;
    /// A hash as a zipmap blob (Redis 2.4 and older).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as a ziplist blob (before quicklists).
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset blob.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist blob (Redis 6.2 and older).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist blob (Redis 6.2 and older).
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as quicklist nodes, each a ziplist (Redis 3.2 to 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream (Redis 5.0 to 6.2).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A stream (Redis 7.0).
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// A hash as a listpack blob.
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack blob.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as quicklist nodes, each a listpack or a plain element.
    pub const LIST_QUICKLIST_2: u8 = 18;
}

/// Special string encodings (`RDB_ENC_*`, after a `0b11` length prefix).
pub mod enc {
    /// An 8-bit integer.
    pub const INT8: u8 = 0;
    /// A 16-bit integer, little-endian.
    pub const INT16: u8 = 1;
    /// A 32-bit integer, little-endian.
    pub const INT32: u8 = 2;
    /// An LZF-compressed string: compressed length, length, data.
    pub const LZF: u8 = 3;
}

/// Quicklist node containers in `QUICKLIST_2` (`QUICKLIST_NODE_CONTAINER_*`).
pub mod container {
    /// A node holding one element as a plain string.
    pub const PLAIN: u64 = 1;
    /// A node holding a listpack.
    pub const PACKED: u64 = 2;
}

/// Helpers of the RDB modules' tests: hex dumps, and proptest strategies
/// for values built by the commands' own paths under given limits.
#[cfg(test)]
pub(crate) mod testutil {
    use ferrite_storage::hash::HashLimits;
    use ferrite_storage::zset::ZSetLimits;
    use ferrite_storage::{HashValue, ListValue, SetValue, Value, ZSetValue};
    use proptest::prelude::*;

    use super::decode::Limits;

    /// Bytes from a string of hex digits.
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    pub(crate) fn element() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            (-200i64..200).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(prop::sample::select(b"ab1-".to_vec()), 0..90),
            proptest::collection::vec(any::<u8>(), 0..300),
        ]
    }

    pub(crate) fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-1000i64..1000).prop_map(|n| n as f64),
            any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(1e20),
            Just(0.1),
        ]
    }

    /// A value built by commands' own paths under `limits`.
    pub(crate) fn value(limits: Limits) -> impl Strategy<Value = Value> {
        let elems = || proptest::collection::vec(element(), 1..150);
        prop_oneof![
            element().prop_map(|e| Value::string(&e)),
            elems().prop_map(move |v| Value::List(ListValue::from_items(v, limits.list_fill))),
            elems().prop_map(move |v| {
                let mut h = HashValue::new();
                for pair in v.chunks(2) {
                    let f = pair.first().cloned().unwrap_or_default();
                    let x = pair.last().cloned().unwrap_or_default();
                    h.set(&f, &x, limits.hash);
                }
                Value::Hash(h)
            }),
            elems().prop_map(move |v| {
                let mut s = SetValue::new();
                for m in v {
                    s.add(&m, limits.set_max_intset);
                }
                Value::Set(s)
            }),
            proptest::collection::vec((element(), score()), 1..150).prop_map(move |v| {
                let mut z = ZSetValue::new();
                for (m, s) in v {
                    z.insert(&m, s, limits.zset);
                }
                Value::ZSet(z)
            }),
        ]
    }

    pub(crate) fn limits() -> impl Strategy<Value = Limits> {
        (-5i32..20, 0usize..130, 0usize..70, 0usize..130).prop_map(|(fill, n, len, ints)| Limits {
            list_fill: fill,
            hash: HashLimits {
                max_entries: n,
                max_value: len,
            },
            set_max_intset: ints,
            zset: ZSetLimits {
                max_entries: n,
                max_value: len,
            },
        })
    }
}
