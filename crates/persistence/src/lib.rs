//! Ferrite's persistence crate: Redis 7.0's on-disk encodings.
//!
//! It owns the RDB value encoder (`DUMP`, `DEBUG OBJECT`'s
//! `serializedlength`, the file writer), the object decoder (`RESTORE`, the
//! file reader) and the whole-file format:
//!
//! * [`crc64`](mod@crc64): the checksum of DUMP payloads and RDB files;
//! * [`lzf`]: LZF compression, byte-identical to the liblzf Redis links,
//!   and a bounded decompressor;
//! * [`listpack`] and [`intset`]: Redis's compact blobs, as RDB embeds them,
//!   written and validated; [`ziplist`] and [`zipmap`]: the older blobs,
//!   read and validated;
//! * [`rdb`]: RDB's lengths, strings and objects (`rdb::encode`,
//!   `rdb::decode`) and files (`rdb::file`).
//!
//! The crate does no I/O and knows no threads: it turns a
//! [`ferrite_storage::Value`] into bytes, into any [`rdb::encode::Sink`]
//! (a buffer, or a counter when only the length is wanted), and untrusted
//! bytes back into values.
//! See `docs/design/persistence.md`.

pub mod aof;
pub mod crc64;
#[doc(hidden)]
pub mod fuzzing;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod ziplist;
pub mod zipmap;

pub use crc64::crc64;
