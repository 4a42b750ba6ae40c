//! The libraries that parse what scripts hand them, on arbitrary bytes:
//! cjson.decode, cmsgpack.unpack and struct.unpack with an arbitrary
//! format. Errors are fine; panics, aborts and unbounded memory are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    static LUA: RefCell<Option<(mlua::Lua, mlua::Function)>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    LUA.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (lua, f) = slot.get_or_insert_with(|| {
            let lua = mlua::Lua::new();
            lua.set_memory_limit(256 << 20).unwrap();
            ferrite_scripting::libs::open_all(&lua).unwrap();
            let f = lua
                .load(
                    "return function(s) pcall(cjson.decode, s) pcall(cmsgpack.unpack, s) \
                     local n = math.floor(#s / 2) pcall(struct.unpack, s:sub(1, n), s:sub(n + 1)) end",
                )
                .eval::<mlua::Function>()
                .unwrap();
            (lua, f)
        });
        if let Ok(s) = lua.create_string(data) {
            let _ = f.call::<()>(s);
        }
    });
});
