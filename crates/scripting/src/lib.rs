//! Lua scripting for Ferrite: a Lua 5.1 VM with Redis's script
//! environment, its libraries, and the conversions between Lua values and
//! RESP replies. The server runs commands for scripts through a trait this
//! crate defines; this crate knows nothing of shards or sockets.

pub mod libs;
pub mod payload;

mod convert;
mod functions;
mod rawcall;
mod vm;

pub use convert::{lua_to_reply, number_to_int};
pub use functions::{library_name, FunctionInfo, LibraryInfo, FLAG_NAMES, LOAD_TIMEOUT};
pub use vm::{vm_memory, Host, Kind, ScriptVm, MEMORY_LIMIT};

/// The Redis version scripts see in `redis.REDIS_VERSION`.
pub const REDIS_VERSION: &str = "7.0.15";
/// `redis.REDIS_VERSION_NUM`: the version as `0x00MMmmpp`.
pub const REDIS_VERSION_NUM: i64 = 0x07_00_0f;

/// The SHA1 of a script body in lower-case hex, as EVALSHA names it.
pub fn sha1_hex(body: &[u8]) -> [u8; 40] {
    let digest = sha1_smol::Sha1::from(body).digest().bytes();
    let mut out = [0u8; 40];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

#[cfg(test)]
mod tests;
