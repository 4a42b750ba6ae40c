//! Ferrite's integration tests: one binary, one module per command family.
//!
//! Every test starts its own server on 127.0.0.1 with an ephemeral port
//! (`ferrite_testkit::TestServer`), and the differential tests also start a
//! real `redis-server` (`ferrite_testkit::Pair`) and compare raw replies.

mod acl;
mod aof;
mod binary;
mod bitmap;
mod blocking;
mod client_eviction;
mod concurrency;
mod config;
mod connection;
mod effects;
mod eviction;
mod generic;
mod hash;
mod introspection;
mod keyspace;
mod limits;
mod list;
mod metrics;
mod multi;
mod notify;
mod protocol;
mod protocol_oracle;
mod pubsub;
mod rdb_encoding;
mod runtime;
mod scripting;
mod server;
mod set;
mod sort;
mod string;
mod tls;
mod tracking;
mod zset;
mod zsetops;
