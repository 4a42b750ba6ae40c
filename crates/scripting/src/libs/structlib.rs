//! The `struct` library (being written).

use mlua::Lua;

/// Registers the `struct` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    lua.globals().set("struct", lua.create_table()?)
}
