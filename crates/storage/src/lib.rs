//! Ferrite's storage: value types, their compact encodings and the keyspace.
//!
//! This crate is pure and synchronous: no threads, no sockets, no clocks. Every
//! function that depends on time takes the current time in Unix milliseconds as
//! an argument, so expiry is tested with a controllable clock. One [`Db`] is one
//! numbered database of one shard; the runtime owns `databases` of them per
//! shard thread.

pub mod compact;
pub mod db;
pub mod evict;
pub mod glob;
pub mod hash;
pub mod keymap;
pub mod list;
pub mod notify;
pub mod num;
pub mod set;
pub mod value;
pub mod zset;

pub use compact::CompactBytes;
pub use db::{Db, Entry, StoreTtl, Watcher};
pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use value::{Container, Kind, StrValue, Value, ValueType};
pub use zset::ZSetValue;
