//! The `cmsgpack` library (being written).

use mlua::Lua;

/// Registers the `cmsgpack` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    lua.globals().set("cmsgpack", lua.create_table()?)
}
