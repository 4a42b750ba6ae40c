//! The Lua libraries Redis puts in every script's environment, beside Lua
//! 5.1's own `string`, `table`, `math` and base library: `cjson`,
//! `cmsgpack`, `bit` and `struct`. Each is written here in Rust and
//! registered as a global table; scripts cannot tell them from Redis's.

use mlua::Lua;

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

/// Registers every library as a global table of `lua`.
pub fn open_all(lua: &Lua) -> mlua::Result<()> {
    cjson::open(lua)?;
    cmsgpack::open(lua)?;
    bit::open(lua)?;
    structlib::open(lua)?;
    Ok(())
}
