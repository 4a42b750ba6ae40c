//! The `cjson` library (being written).

use mlua::Lua;

/// Registers the `cjson` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    lua.globals().set("cjson", lua.create_table()?)
}
