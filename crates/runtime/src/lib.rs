//! Ferrite's server runtime: shard threads, connections, routing and the
//! cross-shard coordinator.
//!
//! ```text
//!            accept (shared listening socket, every thread polls it)
//!                 │
//!   ┌─────────────┴──────────────┐        ┌────────────────────────────┐
//!   │ thread 0: tokio current-    │  msgs  │ thread 1: tokio current-    │
//!   │ thread runtime              │◀──────▶│ thread runtime              │
//!   │  connections it accepted    │ inbox  │  connections it accepted    │
//!   │  Shard 0 (dbs, stats, lock) │        │  Shard 1 (dbs, stats, lock) │
//!   └─────────────────────────────┘        └────────────────────────────┘
//! ```
//!
//! Each thread owns exactly one [`shard::Shard`]; nothing else ever touches
//! it. A command whose keys all hash to the connection's own shard runs inline
//! on that thread; a command for another shard travels to that shard's inbox
//! as a closure and its reply comes back through a oneshot channel. A pipeline
//! batches its messages per shard and its replies are written back in request
//! order with one write. Commands whose keys span shards go through
//! [`coord`], which takes the shards' logical locks in ascending order, moves
//! the keys' entries out, runs the command once, and moves them back. See
//! `docs/design/threading.md`.

pub mod acl;
pub mod alloc;
pub mod aof;
pub mod blocking;
pub(crate) mod busy;
pub mod client_evict;
pub mod clients;
pub mod clock;
pub mod cmd;
pub mod cmdstats;
pub mod conn;
pub mod coord;
pub mod evict;
pub mod function;
pub mod guard;
pub mod info;
pub mod journal;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod multi;
pub mod notify;
pub mod observe;
pub mod pause;
pub mod pubsub;
pub mod script;
pub mod server;
pub mod shard;
pub mod signals;
pub mod slot;
pub mod tls;
pub mod tracking;
pub mod worker;

pub use server::{start, ServerHandle};

/// The Redis version whose behaviour Ferrite implements (INFO, HELLO).
pub const REDIS_VERSION: &str = "7.0.15";
/// Ferrite's own version.
pub const FERRITE_VERSION: &str = env!("CARGO_PKG_VERSION");
