//! Ferrite's persistence crate: Redis 7.0's on-disk encodings.
//!
//! For now it owns the *value* encoder, which `DUMP` and `DEBUG OBJECT`'s
//! `serializedlength` use and which the RDB writer will reuse unchanged:
//!
//! * [`crc64`]: the checksum of DUMP payloads and RDB files;
//! * [`lzf`]: LZF compression, byte-identical to the liblzf Redis links,
//!   and a bounded decompressor;
//! * [`listpack`] and [`intset`]: Redis's compact blobs, as RDB embeds them;
//! * [`rdb`]: RDB's lengths, strings and objects (`rdb::encode`).
//!
//! The crate does no I/O and knows no threads: it turns a
//! [`ferrite_storage::Value`] into bytes, into any [`rdb::encode::Sink`]
//! (a buffer, or a counter when only the length is wanted).
//! See `docs/design/persistence.md`.

pub mod aof;
pub mod crc64;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;

pub use crc64::crc64;
