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
