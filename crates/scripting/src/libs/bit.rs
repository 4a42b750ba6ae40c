//! The `bit` library (being written).

use mlua::Lua;

/// Registers the `bit` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    lua.globals().set("bit", lua.create_table()?)
}
