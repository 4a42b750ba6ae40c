//! Lua scripting for Ferrite: a Lua 5.1 VM with Redis's script
//! environment, its libraries, and the conversions between Lua values and
//! RESP replies. The server runs commands for scripts through a trait this
//! crate defines; this crate knows nothing of shards or sockets.

pub mod libs;
