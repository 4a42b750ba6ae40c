//! One Lua 5.1 VM with Redis's script environment.
//!
//! * **Sandbox.** Only Lua's base, `table`, `string`, `math` and
//!   `coroutine` libraries are opened, without `print`, `dofile`,
//!   `loadfile`, `require`, `module`, `setfenv`, `getfenv`, `newproxy`;
//!   `loadstring` refuses bytecode; `load` takes only a function, as in
//!   Redis. Redis's `cjson`, `cmsgpack`, `bit` and `struct` are there.
//! * **Read-only globals.** Redis 7 makes the global table and the library
//!   tables read-only with a patched Lua; Ferrite gets the same behaviour
//!   from stock Lua 5.1: scripts see empty *proxy* tables whose metatable
//!   reads from the real table (`__index` is a table, so a global lookup
//!   stays inside the VM) and refuses every write (`__newindex`). `pairs`,
//!   `next`, `rawget`, `rawset`, `setmetatable` and the `table` functions
//!   that write know about proxies. Reading a global that does not exist is
//!   an error, as in Redis.
//! * **Errors.** `redis.call` raises an error table `{err=...}`; Redis's
//!   `pcall` hands the `err` text to the script; at the top level the error
//!   becomes `-<err> script: <sha>, on <source>:<line>.`, the line being
//!   the script's line that raised it.
//! * **Commands** run through the [`Host`] the server passes to
//!   [`ScriptVm::run`]: the VM turns arguments into bytes and the host's
//!   RESP reply into Lua values.

use std::cell::Cell;
use std::collections::HashMap;
use std::ptr::NonNull;

use bytes::{Bytes, BytesMut};
use ferrite_protocol::Writer;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use crate::convert;
use crate::functions::Staging;

/// The most memory one VM may use: a script cannot take the server's
/// memory with it (Lua answers `not enough memory`, the script fails).
pub const MEMORY_LIMIT: usize = 1 << 30;

/// The KEYS and ARGV tables of EVAL scripts, kept from one run to the next
/// and refilled, instead of two new tables (and their garbage) per run. A
/// script cannot keep them past its run (it cannot create globals, and
/// library tables are read-only), but it may change them: a run that left
/// either with anything but its elements (more entries, a hole at the end,
/// a metatable) marks them dirty. They are reused only by a run with as
/// many keys and arguments as the last one: then the refilled tables are
/// laid out exactly as new ones filled the same way (as Redis fills them),
/// so that even the length of a table a script makes holes in is Redis's.
/// Otherwise the run starts from new tables.
pub(crate) struct ArgTables {
    tables: [Table; 2],
    /// The element count each table holds.
    lens: std::cell::Cell<[usize; 2]>,
    dirty: std::cell::Cell<bool>,
}

impl ArgTables {
    fn new(lua: &Lua) -> mlua::Result<ArgTables> {
        Ok(ArgTables {
            tables: [lua.create_table()?, lua.create_table()?],
            lens: std::cell::Cell::new([0, 0]),
            dirty: std::cell::Cell::new(false),
        })
    }
}

/// How a script gets its keys and arguments.
pub(crate) enum Args<'a> {
    /// EVAL: as the KEYS and ARGV globals (set in this real global table),
    /// in the reused tables.
    Globals(&'a Table, &'a [Bytes], &'a [Bytes], &'a ArgTables),
    /// FCALL: as the function's two arguments.
    Tables(&'a [Bytes], &'a [Bytes]),
}

/// Calls `f` with its keys and arguments under `handler` with one
/// `lua_pcall`, as Redis does, all in one protected call of Lua's C API
/// (mlua would protect each table write on its own): `(true, result)` or
/// `(false, error table)`.
pub(crate) fn protected_call(
    lua: &Lua,
    handler: &Function,
    f: &Function,
    args: Args<'_>,
) -> mlua::Result<MultiValue> {
    use mlua::ffi;
    use std::os::raw::{c_char, c_int};
    /// Pushes a new array of `list`'s strings.
    unsafe fn push_array(st: *mut ffi::lua_State, list: &[Bytes]) {
        // SAFETY: the caller's state; sizes are argument counts.
        unsafe {
            ffi::lua_createtable(st, list.len().min(c_int::MAX as usize) as c_int, 0);
            for (i, v) in list.iter().enumerate() {
                ffi::lua_pushlstring(st, v.as_ptr() as *const c_char, v.len());
                ffi::lua_rawseti(st, -2, (i + 1) as ffi::lua_Integer);
            }
        }
    }
    /// Sets `list`'s strings as elements 1.. of the table at `idx` (new,
    /// or holding as many elements).
    unsafe fn fill_array(st: *mut ffi::lua_State, idx: c_int, list: &[Bytes]) {
        // SAFETY: the caller's state, with a table at `idx`.
        unsafe {
            for (i, v) in list.iter().enumerate() {
                ffi::lua_pushlstring(st, v.as_ptr() as *const c_char, v.len());
                ffi::lua_rawseti(st, idx, (i + 1) as ffi::lua_Integer);
            }
        }
    }
    /// True if the table at `idx` holds exactly the keys 1..=`n` and has no
    /// metatable (what a refill can restore).
    unsafe fn holds_exactly(st: *mut ffi::lua_State, idx: c_int, n: usize) -> bool {
        // SAFETY: the caller's state, with a table at `idx`; `lua_next` is
        // only given nil or a key the table holds.
        unsafe {
            if ffi::lua_getmetatable(st, idx) != 0 {
                ffi::lua_pop(st, 1);
                return false;
            }
            if n == 0 {
                ffi::lua_pushnil(st);
            } else {
                ffi::lua_rawgeti(st, idx, n as ffi::lua_Integer);
                let present = ffi::lua_isnil(st, -1) == 0;
                ffi::lua_pop(st, 1);
                if !present {
                    return false;
                }
                ffi::lua_pushinteger(st, n as ffi::lua_Integer);
            }
            if ffi::lua_next(st, idx) != 0 {
                ffi::lua_pop(st, 2);
                return false;
            }
            true
        }
    }
    // SAFETY: exec_raw runs each closure as a protected C function with
    // the values passed at indexes 1.. (the handler first); the closures own
    // nothing with a destructor, so a Lua error unwinding them skips
    // nothing.
    unsafe {
        match args {
            Args::Globals(globals, keys, argv, reuse) => {
                let [kt, at] = &reuse.tables;
                // Until the run ends cleanly the tables count as dirty (a
                // Lua error while filling them would leave them half done).
                reuse.dirty.set(true);
                // [handler, globals, f, KEYS, ARGV]
                // By reference: each clone of a Lua value takes and later
                // frees a registry slot, on every run.
                lua.exec_raw::<MultiValue>((handler, globals, f, kt, at), |st| {
                    for (slot, name, list) in [(4, c"KEYS", keys), (5, c"ARGV", argv)] {
                        fill_array(st, slot, list);
                        ffi::lua_pushstring(st, name.as_ptr());
                        ffi::lua_pushvalue(st, slot);
                        ffi::lua_rawset(st, 2);
                    }
                    ffi::lua_pushvalue(st, 3);
                    let status = ffi::lua_pcall(st, 0, 1, 1);
                    let clean =
                        holds_exactly(st, 4, keys.len()) && holds_exactly(st, 5, argv.len());
                    reuse.lens.set([keys.len(), argv.len()]);
                    reuse.dirty.set(!clean);
                    // [handler, globals, f, KEYS, ARGV, result] -> [ok, result]
                    ffi::lua_pushboolean(st, (status == 0) as c_int);
                    ffi::lua_replace(st, 1);
                    ffi::lua_replace(st, 2);
                    ffi::lua_settop(st, 2);
                })
            }
            Args::Tables(keys, argv) => {
                // [handler, f]
                lua.exec_raw::<MultiValue>((handler, f), |st| {
                    push_array(st, keys);
                    push_array(st, argv);
                    let status = ffi::lua_pcall(st, 2, 1, 1);
                    ffi::lua_pushboolean(st, (status == 0) as c_int);
                    ffi::lua_replace(st, 1);
                })
            }
        }
    }
}

/// Runs between two incremental garbage collection steps.
const GC_PERIOD: u64 = 50;

/// Instructions between two calls of the host's time check.
pub(crate) const HOOK_EVERY: u32 = 100_000;

/// The chunk name of Ferrite's own Lua code: its frames are skipped when an
/// error's line is looked for.
const PRELUDE_NAME: &str = "=[ferrite]";

/// What the server offers a running script.
pub trait Host {
    /// Runs a command for the script (`argv[0]` is its name, as the script
    /// wrote it) and writes the reply to `out`, in RESP3 when `resp3`.
    /// Everything Redis refuses before running a command from a script
    /// (unknown command, arity, a write from a read-only script, ...) is an
    /// error reply with Redis's text.
    fn call(&mut self, argv: &[Bytes], resp3: bool, out: &mut BytesMut);

    /// `redis.log`: `level` is 0 (debug) to 3 (warning).
    fn log(&mut self, level: u8, msg: &[u8]);

    /// Called every [`HOOK_EVERY`] instructions: `Some(error text)` stops
    /// the script (SCRIPT KILL, shutdown).
    fn check(&mut self) -> Option<String>;

    /// `redis.acl_check_cmd`: `None` for an unknown command, else whether
    /// the current user may run it.
    fn acl_check(&mut self, argv: &[Bytes]) -> Option<bool>;
}

/// A VM's run state the hook and the callbacks share (the host itself is
/// reached through `rawcall::with_host`).
#[derive(Default)]
pub(crate) struct HostSlot {
    /// Set once the host asked to stop: every later hook fires again.
    killed: Cell<bool>,
    /// Why it stopped.
    kill_msg: std::cell::RefCell<String>,
    /// FUNCTION LOAD's time limit for running a library's code.
    pub(crate) deadline: Cell<Option<std::time::Instant>>,
}

/// A Lua VM with Redis's environment and the functions of the scripts it
/// has compiled.
pub struct ScriptVm {
    pub(crate) lua: Lua,
    /// The real global table behind the proxy scripts see.
    pub(crate) globals: Table,
    /// Runs a function under Ferrite's error handler: `(ok, result)`.
    pub(crate) runner: Function,
    /// Compiled scripts by SHA1 (hex).
    pub(crate) funcs: HashMap<[u8; 40], Function, ahash::RandomState>,
    /// Builds the environment library code runs in at load.
    pub(crate) load_env: Function,
    /// Registered functions by lower-case name.
    pub(crate) functions: HashMap<String, Function>,
    /// The error handler of every script.
    pub(crate) handler: Function,
    /// Scripts run (garbage collection steps every [`GC_PERIOD`]).
    runs: u64,
    /// EVAL's KEYS and ARGV, reused from run to run.
    arg_tables: ArgTables,
    /// Eval scripts or function libraries (which memory figure it counts in).
    kind: Kind,
    /// The memory last added to [`VM_MEMORY`] for this VM.
    reported: i64,
}

/// Memory of every live VM, eval and functions (INFO's `used_memory_vm_*`),
/// as each VM last reported it (at creation, every [`GC_PERIOD`] runs, after
/// loading a library).
static VM_MEMORY: [std::sync::atomic::AtomicI64; 2] = [
    std::sync::atomic::AtomicI64::new(0),
    std::sync::atomic::AtomicI64::new(0),
];

/// Bytes used by all eval VMs and all function VMs (approximate: each VM
/// reports now and then).
pub fn vm_memory() -> (u64, u64) {
    let get = |i: usize| {
        VM_MEMORY[i]
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as u64
    };
    (get(0), get(1))
}

impl Drop for ScriptVm {
    fn drop(&mut self) {
        VM_MEMORY[self.kind as usize]
            .fetch_sub(self.reported, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a VM runs: Redis keeps eval scripts and functions in separate VMs
/// whose `redis` tables differ a little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// EVAL scripts (KEYS and ARGV are globals).
    Eval = 0,
    /// Function libraries (keys and arguments are the function's
    /// arguments; no `redis.breakpoint`, `redis.debug`,
    /// `redis.replicate_commands`).
    Functions = 1,
}

impl ScriptVm {
    /// A fresh VM for EVAL scripts.
    pub fn new() -> mlua::Result<ScriptVm> {
        ScriptVm::with_kind(Kind::Eval)
    }

    /// A fresh VM of the given kind.
    pub fn with_kind(kind: Kind) -> mlua::Result<ScriptVm> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
        let lua = Lua::new_with(libs, LuaOptions::new())?;
        lua.set_app_data(HostSlot::default());
        lua.set_memory_limit(MEMORY_LIMIT)?;
        let globals = lua.globals();
        for name in [
            "print", "dofile", "loadfile", "require", "module", "setfenv", "getfenv", "newproxy",
            "package", "io", "os", "debug",
        ] {
            globals.raw_set(name, Value::Nil)?;
        }
        crate::libs::open_all(&lua)?;
        install_redis(&lua, &globals)?;
        if kind == Kind::Functions {
            let redis: Table = globals.raw_get("redis")?;
            for name in ["breakpoint", "debug", "replicate_commands"] {
                redis.raw_set(name, Value::Nil)?;
            }
        }
        install_random(&lua, &globals)?;
        lua.set_app_data(Staging::default());
        let (runner, load_env, handler) = install_prelude(&lua, &globals)?;
        lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), hook)?;
        let arg_tables = ArgTables::new(&lua)?;
        Ok(ScriptVm {
            lua,
            globals,
            runner,
            funcs: HashMap::default(),
            load_env,
            handler,
            functions: HashMap::new(),
            arg_tables,
            runs: 0,
            kind,
            reported: 0,
        })
        .map(|mut vm: ScriptVm| {
            vm.report_memory();
            vm
        })
    }

    /// True when the script `sha` is compiled in this VM.
    pub fn has(&self, sha: &[u8; 40]) -> bool {
        self.funcs.contains_key(sha)
    }

    /// Compiles `body` as the script `sha`. `Err` is the error reply's text
    /// (`ERR Error compiling script ...`).
    pub fn load(&mut self, sha: &[u8; 40], body: &[u8]) -> Result<(), String> {
        if self.funcs.contains_key(sha) {
            return Ok(());
        }
        let f = self
            .lua
            .load(body)
            .set_name("@user_script")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .into_function()
            .map_err(|e| format!("ERR Error compiling script (new function): {}", plain(&e)))?;
        self.funcs.insert(*sha, f);
        Ok(())
    }

    /// Adds the change of this VM's memory since its last report to
    /// [`VM_MEMORY`].
    pub(crate) fn report_memory(&mut self) {
        let now = self.lua.used_memory() as i64;
        VM_MEMORY[self.kind as usize]
            .fetch_add(now - self.reported, std::sync::atomic::Ordering::Relaxed);
        self.reported = now;
    }

    /// Forgets every compiled script (SCRIPT FLUSH).
    pub fn forget_all(&mut self) {
        self.funcs.clear();
        let _ = self.lua.gc_collect();
    }

    /// Memory the VM uses, in bytes (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Runs the compiled script `sha` with `keys` and `args` and writes its
    /// reply (or error) to `out` in the client's protocol. The script must
    /// have been [`load`](ScriptVm::load)ed.
    pub fn run(
        &mut self,
        sha: &[u8; 40],
        keys: &[Bytes],
        args: &[Bytes],
        host: &mut dyn Host,
        resp3: bool,
        out: &mut BytesMut,
    ) {
        if !self.funcs.contains_key(sha) {
            Writer::new(out, resp3).error(b"NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        if self.arg_tables.dirty.get() || self.arg_tables.lens.get() != [keys.len(), args.len()] {
            match ArgTables::new(&self.lua) {
                Ok(t) => self.arg_tables = t,
                Err(e) => {
                    let text =
                        format!("ERR {} script: {}", plain(&e), String::from_utf8_lossy(sha));
                    Writer::new(out, resp3).error(text.as_bytes());
                    return;
                }
            }
        }
        self.exec(
            |vm| match vm.funcs.get(sha) {
                Some(f) => protected_call(
                    &vm.lua,
                    &vm.handler,
                    f,
                    Args::Globals(&vm.globals, keys, args, &vm.arg_tables),
                ),
                None => Err(mlua::Error::runtime("the script vanished")),
            },
            sha,
            host,
            resp3,
            out,
        );
    }

    /// Runs `call` (which calls the runner) with `host` reachable from the
    /// callbacks, and writes the result or the error (named `name`).
    pub(crate) fn exec(
        &mut self,
        call: impl FnOnce(&ScriptVm) -> mlua::Result<MultiValue>,
        name: &[u8],
        host: &mut dyn Host,
        resp3: bool,
        out: &mut BytesMut,
    ) {
        let Some(slot) = self.lua.app_data_ref::<HostSlot>() else {
            return;
        };
        // SAFETY (lifetime): the pointer is cleared (`finish_run`) before
        // `host`'s borrow ends; see `rawcall::with_host`.
        let ptr: NonNull<dyn Host + '_> = NonNull::from(host);
        let ptr: NonNull<dyn Host + 'static> = unsafe { std::mem::transmute(ptr) };
        slot.killed.set(false);
        drop(slot);
        crate::rawcall::set_host(ptr);
        let res = call(self);
        let script_resp3 = self.finish_run();
        match res {
            Ok(vals) => {
                let mut it = vals.into_iter();
                let ok = matches!(it.next(), Some(Value::Boolean(true)));
                let v = it.next().unwrap_or(Value::Nil);
                if ok {
                    convert::lua_to_reply(&v, out, resp3, script_resp3);
                } else {
                    write_script_error(&v, name, out, resp3);
                }
            }
            Err(e) => {
                let text = format!(
                    "ERR {} script: {}",
                    plain(&e),
                    String::from_utf8_lossy(name)
                );
                Writer::new(out, resp3).error(text.as_bytes());
            }
        }
        // Keep the VM from growing with garbage of finished scripts: a
        // step every GC_PERIOD runs, as Redis does.
        self.runs += 1;
        if self.runs.is_multiple_of(GC_PERIOD) {
            let _ = self.lua.gc_step();
            self.report_memory();
        }
    }

    /// Clears the run's state (the host, a stop); returns the protocol the
    /// script chose with `redis.setresp`.
    pub(crate) fn finish_run(&self) -> bool {
        let resp3 = crate::rawcall::resp3();
        crate::rawcall::clear_host();
        match self.lua.app_data_ref::<HostSlot>() {
            Some(slot) => {
                slot.deadline.set(None);
                if slot.killed.replace(false) {
                    drop(slot);
                    let _ = self
                        .lua
                        .set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), hook);
                    false
                } else {
                    resp3
                }
            }
            None => false,
        }
    }
}

/// Writes the reply of a script that failed with the error table `v`
/// (built by the error handler: `err`, `source`, `line`).
pub(crate) fn write_script_error(v: &Value, sha: &[u8], out: &mut BytesMut, resp3: bool) {
    let mut text = Vec::new();
    if let Value::Table(t) = v {
        if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
            text.extend_from_slice(&e.as_bytes());
        } else if let Ok(Value::Integer(n)) = t.raw_get::<Value>("err") {
            text.extend_from_slice(n.to_string().as_bytes());
        } else if let Ok(Value::Number(n)) = t.raw_get::<Value>("err") {
            convert::format_number(n, &mut text);
        } else {
            text.extend_from_slice(b"ERR unknown error");
        }
        text.extend_from_slice(b" script: ");
        text.extend_from_slice(sha);
        if let Ok(Value::String(src)) = t.raw_get::<Value>("source") {
            text.extend_from_slice(b", on ");
            text.extend_from_slice(&src.as_bytes());
            text.push(b':');
            let line = t.raw_get::<i64>("line").unwrap_or(0);
            text.extend_from_slice(line.to_string().as_bytes());
        }
        text.push(b'.');
    } else {
        // Memory errors skip the handler: the value is Lua's message.
        text.extend_from_slice(b"ERR ");
        match v {
            Value::String(s) => text.extend_from_slice(&s.as_bytes()),
            _ => text.extend_from_slice(b"unknown error"),
        }
        text.extend_from_slice(b" script: ");
        text.extend_from_slice(sha);
    }
    Writer::new(out, resp3).error(&text);
}

/// An mlua error as the plain text Lua would show.
pub(crate) fn plain(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => plain(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::ExternalError(e) => e.to_string(),
        mlua::Error::BadArgument { to, pos, cause, .. } => format!(
            "bad argument #{pos} to '{}' ({})",
            to.as_deref().unwrap_or("?"),
            plain(cause)
        ),
        other => other.to_string(),
    }
}

/// The count hook: asks the host whether to go on; once told to stop,
/// fires at every instruction so that `pcall` cannot swallow the stop.
pub(crate) fn hook(lua: &Lua, debug: &mlua::debug::Debug) -> mlua::Result<VmState> {
    // Ferrite's own Lua (the error handler among it) runs to its end, so
    // that a stop is reported with the script's line.
    if debug.source().source.as_deref() == Some(PRELUDE_NAME) {
        return Ok(VmState::Continue);
    }
    let Some(slot) = lua.app_data_ref::<HostSlot>() else {
        return Ok(VmState::Continue);
    };
    if slot.killed.get() {
        return Err(mlua::Error::RuntimeError(slot.kill_msg.borrow().clone()));
    }
    let mut stop = crate::rawcall::with_host(|h| h.check()).flatten();
    if slot
        .deadline
        .get()
        .is_some_and(|d| std::time::Instant::now() >= d)
    {
        stop = Some("FUNCTION LOAD timeout".into());
    }
    if let Some(msg) = stop {
        slot.killed.set(true);
        *slot.kill_msg.borrow_mut() = msg.clone();
        drop(slot);
        let _ = lua.set_hook(HookTriggers::new().every_nth_instruction(1), hook);
        return Err(mlua::Error::RuntimeError(msg));
    }
    Ok(VmState::Continue)
}

/// Converts the Lua arguments of `redis.call` into command arguments.
fn command_args(args: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("ERR Please specify at least one argument for this redis lib call");
    }
    // Every argument in one buffer: one allocation, then shared slices.
    let mut buf = Vec::new();
    let mut ends = [0usize; 16];
    let mut more = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if !convert::arg_bytes(a, &mut buf) {
            return Err("ERR Lua redis lib command arguments must be strings or integers");
        }
        match ends.get_mut(i) {
            Some(e) => *e = buf.len(),
            None => more.push(buf.len()),
        }
    }
    let buf = Bytes::from(buf);
    let mut argv = Vec::with_capacity(args.len());
    let mut start = 0;
    for &end in ends.iter().take(args.len()).chain(more.iter()) {
        argv.push(buf.slice(start..end));
        start = end;
    }
    Ok(argv)
}

fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 2)?;
    t.raw_set("err", lua.create_string(text)?)?;
    Ok(Value::Table(t))
}

/// An error raised as C's `luaL_error` raises it: prefixed with the
/// position of the Lua code that called the function (`user_script:1: `).
pub fn error_at(lua: &Lua, msg: &str) -> mlua::Error {
    let place = lua.inspect_stack(1, |d| {
        let src = d.source();
        let line = d.current_line();
        match (src.short_src, line) {
            (Some(s), Some(l)) if src.what != "C" => format!("{s}:{l}: "),
            _ => String::new(),
        }
    });
    mlua::Error::RuntimeError(format!("{}{msg}", place.unwrap_or_default()))
}

/// A raised Lua error with exactly `msg` as its (string) value.
pub(crate) fn lua_error(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(msg.to_string())
}

/// The `redis` table.
fn install_redis(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    // SAFETY: both are Lua C functions that keep no value with a
    // destructor alive when Lua may raise (see rawcall.rs). They are C
    // functions, not Lua wrappers, also for what Lua's stack shows: a
    // `return redis.call(...)` keeps the script's frame (Lua 5.1 does not
    // turn a call of a C function into a tail call), so an error's line is
    // the script's, as in Redis.
    redis.raw_set("call", unsafe {
        lua.create_c_function(crate::rawcall::redis_call)
    }?)?;
    redis.raw_set("pcall", unsafe {
        lua.create_c_function(crate::rawcall::redis_pcall)
    }?)?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(lua_error("wrong number of arguments"));
            }
            let mut b = Vec::new();
            if let Some(v) = args.iter().next() {
                if !convert::arg_bytes(v, &mut b) {
                    b.clear();
                }
            }
            lua.create_string(crate::sha1_hex(&b))
        })?,
    )?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let s = match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => s.as_bytes().to_vec(),
                _ => return error_table(lua, b"ERR wrong number or type of arguments"),
            };
            error_table(lua, &error_reply_text(&s))
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(
            |lua, args: MultiValue| match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => {
                    let t = lua.create_table_with_capacity(0, 1)?;
                    t.raw_set("ok", s.clone())?;
                    Ok(Value::Table(t))
                }
                _ => error_table(lua, b"ERR wrong number or type of arguments"),
            },
        )?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|_, args: MultiValue| {
            if args.len() < 2 {
                return Err(lua_error("redis.log() requires two arguments or more."));
            }
            let mut it = args.iter();
            let level = match it.next() {
                Some(Value::Integer(n)) => *n,
                Some(Value::Number(n)) => *n as i64,
                _ => return Err(lua_error("First argument must be a number (log level).")),
            };
            if !(0..=3).contains(&level) {
                return Err(lua_error("Invalid debug level."));
            }
            let mut msg = Vec::new();
            for (i, v) in it.enumerate() {
                if i > 0 {
                    msg.push(b' ');
                }
                convert::arg_bytes(v, &mut msg);
            }
            crate::rawcall::with_host(|h| h.log(level as u8, &msg));
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "setresp",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(lua_error("redis.setresp() requires one argument."));
            }
            let n = match args.iter().next() {
                Some(Value::Integer(n)) => *n,
                Some(Value::Number(n)) => *n as i64,
                _ => 0,
            };
            if n != 2 && n != 3 {
                return Err(lua_error("RESP version must be 2 or 3."));
            }
            crate::rawcall::set_resp3(n == 3);
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(lua_error("redis.set_repl() requires two arguments."));
            }
            let n = match args.iter().next() {
                Some(Value::Integer(n)) => *n,
                Some(Value::Number(n)) => *n as i64,
                _ => -1,
            };
            if !(0..=3).contains(&n) {
                return Err(lua_error(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            Ok(())
        })?,
    )?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    redis.raw_set(
        "acl_check_cmd",
        lua.create_function(|_, args: MultiValue| {
            let argv = match command_args(&args) {
                Ok(a) => a,
                Err(e) => return Err(lua_error(e)),
            };
            match crate::rawcall::with_host(|h| h.acl_check(&argv)).flatten() {
                Some(ok) => Ok(ok),
                None => Err(lua_error("Invalid command passed to redis.acl_check_cmd()")),
            }
        })?,
    )?;
    for (k, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.raw_set(k, v)?;
    }
    redis.raw_set("REDIS_VERSION", crate::REDIS_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", crate::REDIS_VERSION_NUM)?;
    g.raw_set("redis", redis)?;
    Ok(())
}

/// `redis.error_reply`'s text: a leading `-` is dropped; without one, a
/// message of one word gets the `ERR` code, as Redis derives the code from
/// the first word.
fn error_reply_text(s: &[u8]) -> Vec<u8> {
    let body = s.strip_prefix(b"-").unwrap_or(s);
    if s.first() == Some(&b'-') || !body.contains(&b' ') {
        if body.contains(&b' ') {
            return body.to_vec();
        }
        let mut v = b"ERR ".to_vec();
        v.extend_from_slice(body);
        return v;
    }
    body.to_vec()
}

/// The PRNG of `math.random`: Redis replaces Lua's with a 48-bit linear
/// congruential generator (the `rand48` family). Redis 7 no longer reseeds
/// it per script (scripts replicate by effects), so numbers differ per run.
#[derive(Default)]
struct Rand48 {
    x: Cell<u64>,
}

const RAND48_A: u64 = 0x5_DEEC_E66D;
const RAND48_C: u64 = 0xB;
const RAND48_MASK: u64 = (1 << 48) - 1;
/// The largest value drawn (Redis's `REDIS_LRAND48_MAX`).
const RAND48_MAX: u64 = i32::MAX as u64;

impl Rand48 {
    fn seed(&self, seed: i64) {
        self.x.set((((seed as u64) << 16) | 0x330E) & RAND48_MASK);
    }

    fn next(&self) -> u64 {
        let x = (RAND48_A.wrapping_mul(self.x.get()).wrapping_add(RAND48_C)) & RAND48_MASK;
        self.x.set(x);
        x >> 17
    }
}

/// `math.random` and `math.randomseed` over [`Rand48`], with Lua 5.1's
/// argument rules and messages.
fn install_random(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let r = Rand48::default();
    r.seed(0);
    lua.set_app_data(r);
    let math: Table = g.raw_get("math")?;
    math.raw_set(
        "random",
        lua.create_function(|lua, args: MultiValue| {
            let r = match lua.app_data_ref::<Rand48>() {
                Some(p) => (p.next() % RAND48_MAX) as f64 / RAND48_MAX as f64,
                None => 0.0,
            };
            let num = |v: &Value, pos: usize| -> mlua::Result<f64> {
                match v {
                    Value::Integer(n) => Ok(*n as f64),
                    Value::Number(n) => Ok(*n),
                    Value::String(s) => s
                        .to_str()
                        .ok()
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .ok_or_else(|| bad_number(lua, pos, v)),
                    other => Err(bad_number(lua, pos, other)),
                }
            };
            let mut it = args.iter();
            match args.len() {
                0 => Ok(Value::Number(r)),
                1 => {
                    let u = num(it.next().unwrap_or(&Value::Nil), 1)?.floor();
                    if u < 1.0 {
                        return Err(error_at(
                            lua,
                            "bad argument #1 to 'random' (interval is empty)",
                        ));
                    }
                    Ok(Value::Number((r * u).floor() + 1.0))
                }
                2 => {
                    let l = num(it.next().unwrap_or(&Value::Nil), 1)?.floor();
                    let u = num(it.next().unwrap_or(&Value::Nil), 2)?.floor();
                    if l > u {
                        return Err(error_at(
                            lua,
                            "bad argument #2 to 'random' (interval is empty)",
                        ));
                    }
                    Ok(Value::Number((r * (u - l + 1.0)).floor() + l))
                }
                _ => Err(error_at(lua, "wrong number of arguments")),
            }
        })?,
    )?;
    math.raw_set(
        "randomseed",
        lua.create_function(|lua, seed: Value| {
            let s = match seed {
                Value::Integer(n) => n,
                Value::Number(n) => n as i64,
                other => return Err(bad_number(lua, 1, &other)),
            };
            if let Some(r) = lua.app_data_ref::<Rand48>() {
                r.seed(s);
            }
            Ok(())
        })?,
    )?;
    Ok(())
}

fn bad_number(lua: &Lua, pos: usize, v: &Value) -> mlua::Error {
    let got = match v {
        Value::Nil => "no value".to_string(),
        other => other.type_name().to_string(),
    };
    error_at(
        lua,
        &format!("bad argument #{pos} to 'random' (number expected, got {got})"),
    )
}

/// Ferrite's Lua-side part of the environment: `redis.call`/`pcall` over
/// the raw call, Redis's `pcall`, the error handler, read-only proxies of
/// the global and library tables. Returns the runner (FUNCTION LOAD's),
/// the maker of FUNCTION LOAD's environment and the error handler.
fn install_prelude(lua: &Lua, g: &Table) -> mlua::Result<(Function, Function, Function)> {
    let errstr = lua.create_function(|lua, v: Value| -> mlua::Result<Value> {
        Ok(match v {
            Value::Error(e) => Value::String(lua.create_string(plain(&e))?),
            other => other,
        })
    })?;
    let where_ = lua.create_function(|lua, ()| -> mlua::Result<(Value, Value)> {
        // Level 0 is this function, 1 the handler; look above them for the
        // first Lua frame that is not Ferrite's own.
        for level in 2..200 {
            let found = lua.inspect_stack(level, |d| {
                let src = d.source();
                let what = src.what;
                let source = src.source.map(|s| s.to_string());
                (what, source, d.current_line())
            });
            let Some((what, source, line)) = found else {
                break;
            };
            if what == "C" || source.as_deref() == Some(PRELUDE_NAME) {
                continue;
            }
            let src = match source {
                Some(s) => Value::String(lua.create_string(s)?),
                None => Value::Nil,
            };
            let line = line.map(|l| Value::Integer(l as _)).unwrap_or(Value::Nil);
            return Ok((src, line));
        }
        Ok((Value::Nil, Value::Nil))
    })?;
    let readonly = lua.create_function(|_, ()| -> mlua::Result<()> {
        Err(lua_error("Attempt to modify a readonly table"))
    })?;
    let code = include_str!("prelude.lua");
    let setup: Function = lua.load(code).set_name(PRELUDE_NAME).into_function()?;
    let (runner, proxy, load_env, handler): (Function, Table, Function, Function) =
        setup.call((g.clone(), errstr, where_, readonly))?;
    lua.set_globals(proxy)?;
    Ok((runner, load_env, handler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_reply_codes() {
        assert_eq!(error_reply_text(b"xx"), b"ERR xx");
        assert_eq!(error_reply_text(b"-xx yy"), b"xx yy");
        assert_eq!(error_reply_text(b"ERR x"), b"ERR x");
        assert_eq!(error_reply_text(b""), b"ERR ");
        assert_eq!(error_reply_text(b"hello world"), b"hello world");
        assert_eq!(error_reply_text(b"-hello"), b"ERR hello");
    }

    #[test]
    fn rand48_is_the_posix_generator() {
        // srand48(0) then lrand48(): the POSIX constants give 366850414.
        let r = Rand48::default();
        r.seed(0);
        assert_eq!(r.next(), 366_850_414);
    }
}
