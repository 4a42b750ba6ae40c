//! Function libraries (FUNCTION LOAD, FCALL): a library's code runs once
//! at load in a bare environment where only `redis.register_function`,
//! `redis.log`, the log levels and the versions exist; the functions it
//! registers then run with the full environment and get their keys and
//! arguments as two tables.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrite_protocol::Writer;
use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::vm::{lua_error, plain, HostSlot, Kind, ScriptVm};
use crate::Host;

/// How long a library's code may run at FUNCTION LOAD.
pub const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// Flags of a registered function, in the order FUNCTION LIST prints them.
pub const FLAG_NAMES: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// A registered function, as FUNCTION LIST describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    /// Its name, as registered.
    pub name: String,
    /// Bit `i` set: flag [`FLAG_NAMES`]`[i]`.
    pub flags: u8,
    /// Its description, if one was given.
    pub description: Option<Vec<u8>>,
}

impl FunctionInfo {
    /// True when the function declared `no-writes`.
    pub fn no_writes(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// A loaded library: its name and functions (in registration order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    /// The library's name from its `#!lua name=` line.
    pub name: String,
    /// Its functions.
    pub functions: Vec<FunctionInfo>,
}

/// Functions registered while a library's code runs.
#[derive(Default)]
pub(crate) struct Staging {
    list: RefCell<Vec<(FunctionInfo, Function)>>,
    error: RefCell<Option<String>>,
}

/// True for a valid library or function name: letters, digits and `_`,
/// at least one.
fn valid_name(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The library name of `code`'s first line (`#!lua name=<name>`), with
/// Redis's errors.
pub fn library_name(code: &[u8]) -> Result<String, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let line = String::from_utf8_lossy(&code[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "lua" {
        if let Some(rest) = engine.strip_prefix("lua") {
            if rest.starts_with("name=") {
                return Err("ERR Library name was not given".into());
            }
        }
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    let mut name: Option<String> = None;
    for p in parts {
        match p.strip_prefix("name=") {
            Some(n) => {
                if name.is_some() {
                    return Err(
                        "ERR Invalid metadata value, name argument was given multiple times".into(),
                    );
                }
                name = Some(n.to_string());
            }
            None => return Err(format!("ERR Invalid metadata value given: {p}")),
        }
    }
    let name = name.ok_or("ERR Library name was not given")?;
    if !valid_name(name.as_bytes()) {
        return Err(format!("ERR {BAD_NAME}"));
    }
    Ok(name)
}

/// `redis.register_function` at load: checks its arguments and stages the
/// function.
fn register(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    let (name, callback, flags, description) = match args.len() {
        1 => {
            let Some(Value::Table(t)) = args.iter().next() else {
                return Err(lua_error(
                    "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
                ));
            };
            let mut name = None;
            let mut callback = None;
            let mut flags = 0u8;
            let mut description = None;
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair?;
                let key = match &k {
                    Value::String(s) => s.as_bytes().to_vec(),
                    _ => Vec::new(),
                };
                match key.as_slice() {
                    b"function_name" => name = Some(v),
                    b"callback" => callback = Some(v),
                    b"description" => description = name_bytes(&v),
                    b"flags" => flags = parse_flags(&v)?,
                    _ => {
                        return Err(lua_error(
                            "unknown argument given to redis.register_function",
                        ))
                    }
                }
            }
            let Some(callback) = callback else {
                return Err(lua_error(
                    "redis.register_function must get a callback argument",
                ));
            };
            let Some(name) = name else {
                return Err(lua_error(
                    "redis.register_function must get a function name argument",
                ));
            };
            (name, callback, flags, description)
        }
        2 => {
            let mut it = args.iter();
            let name = it.next().cloned().unwrap_or(Value::Nil);
            let callback = it.next().cloned().unwrap_or(Value::Nil);
            (name, callback, 0, None)
        }
        _ => {
            return Err(lua_error(
                "wrong number of arguments to redis.register_function",
            ))
        }
    };
    let Value::Function(callback) = callback else {
        return Err(lua_error(
            "second argument to redis.register_function must be a function",
        ));
    };
    let name = name_bytes(&name).unwrap_or_default();
    if !valid_name(&name) {
        return Err(lua_error(BAD_NAME));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let Some(staging) = lua.app_data_ref::<Staging>() else {
        return Ok(());
    };
    let mut list = staging.list.borrow_mut();
    if list.iter().any(|(f, _)| f.name.eq_ignore_ascii_case(&name)) {
        return Err(lua_error("Function already exists in the library"));
    }
    list.push((
        FunctionInfo {
            name,
            flags,
            description,
        },
        callback,
    ));
    Ok(())
}

/// A string or number as bytes (names and descriptions).
fn name_bytes(v: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    crate::convert::arg_bytes(v, &mut out).then_some(out)
}

fn parse_flags(v: &Value) -> mlua::Result<u8> {
    let Value::Table(t) = v else {
        return Err(lua_error(
            "flags argument to redis.register_function must be a table representing function flags",
        ));
    };
    let mut flags = 0u8;
    for pair in t.pairs::<Value, Value>() {
        let (_, v) = pair?;
        let Value::String(s) = v else {
            return Err(lua_error("unknown flag given"));
        };
        let s = s.as_bytes();
        match FLAG_NAMES.iter().position(|f| f.as_bytes() == &s[..]) {
            Some(i) => flags |= 1 << i,
            None => return Err(lua_error("unknown flag given")),
        }
    }
    Ok(flags)
}

impl ScriptVm {
    /// A fresh VM for function libraries.
    pub fn for_functions() -> mlua::Result<ScriptVm> {
        ScriptVm::with_kind(Kind::Functions)
    }

    /// Runs a library's code (its first line already checked by
    /// [`library_name`]) and registers its functions in this VM. `Err` is
    /// the error reply's text; nothing is registered then.
    pub fn load_library(&mut self, name: &str, code: &[u8]) -> Result<LibraryInfo, String> {
        let mut source = code.to_vec();
        // The `#!` line becomes a comment: line numbers stay the code's.
        if let Some(head) = source.get_mut(..2) {
            head.copy_from_slice(b"--");
        }
        let chunk = self
            .lua
            .load(&source)
            .set_name("@user_function")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .into_function()
            .map_err(|e| format!("ERR Error compiling function: {}", plain(&e)))?;
        let register = self
            .lua
            .create_function(register)
            .map_err(|e| format!("ERR {}", plain(&e)))?;
        let env: Table = self
            .load_env
            .call(register)
            .map_err(|e| format!("ERR {}", plain(&e)))?;
        chunk
            .set_environment(env)
            .map_err(|e| format!("ERR {}", plain(&e)))?;
        if let Some(st) = self.lua.app_data_ref::<Staging>() {
            st.list.borrow_mut().clear();
            st.error.borrow_mut().take();
        }
        if let Some(slot) = self.lua.app_data_ref::<HostSlot>() {
            slot.deadline.set(Some(Instant::now() + LOAD_TIMEOUT));
        }
        let res = self.runner.call::<MultiValue>(chunk);
        self.finish_run();
        let staged: Vec<(FunctionInfo, Function)> = self
            .lua
            .app_data_ref::<Staging>()
            .map(|st| std::mem::take(&mut *st.list.borrow_mut()))
            .unwrap_or_default();
        let failure = match res {
            Ok(vals) => {
                let mut it = vals.into_iter();
                if matches!(it.next(), Some(Value::Boolean(true))) {
                    None
                } else {
                    Some(error_text(&it.next().unwrap_or(Value::Nil)))
                }
            }
            Err(e) => Some(format!("ERR {}", plain(&e))),
        };
        if let Some(msg) = failure {
            return Err(format!("ERR Error registering functions: {msg}"));
        }
        if staged.is_empty() {
            return Err("ERR No functions registered".into());
        }
        let globals = self.lua.globals();
        let mut functions = Vec::with_capacity(staged.len());
        for (info, f) in staged {
            // The functions run with the full environment, not the load's.
            f.set_environment(globals.clone())
                .map_err(|e| format!("ERR {}", plain(&e)))?;
            self.functions.insert(info.name.to_ascii_lowercase(), f);
            functions.push(info);
        }
        self.report_memory();
        Ok(LibraryInfo {
            name: name.to_string(),
            functions,
        })
    }

    /// True when function `name` (any case) is registered in this VM.
    pub fn has_function(&self, name: &str) -> bool {
        self.functions.contains_key(&name.to_ascii_lowercase())
    }

    /// Runs function `name` with `keys` and `args` and writes its reply
    /// (or error) to `out` in the client's protocol.
    pub fn run_function(
        &mut self,
        name: &str,
        keys: &[Bytes],
        args: &[Bytes],
        host: &mut dyn Host,
        resp3: bool,
        out: &mut BytesMut,
    ) {
        let name_lc = name.to_ascii_lowercase();
        if !self.functions.contains_key(&name_lc) {
            Writer::new(out, resp3).error(b"ERR Function not found");
            return;
        }
        self.exec(
            |vm| match vm.functions.get(&name_lc) {
                Some(f) => crate::vm::protected_call(
                    &vm.lua,
                    &vm.handler,
                    f,
                    crate::vm::Args::Tables(keys, args),
                ),
                None => Err(mlua::Error::runtime("the function vanished")),
            },
            name.as_bytes(),
            host,
            resp3,
            out,
        );
    }
}

/// The text of a load error table built by the error handler.
fn error_text(v: &Value) -> String {
    if let Value::Table(t) = v {
        if let Ok(Value::String(s)) = t.raw_get::<Value>("err") {
            return String::from_utf8_lossy(&s.as_bytes()).into_owned();
        }
    }
    match v {
        Value::String(s) => format!("ERR {}", String::from_utf8_lossy(&s.as_bytes())),
        _ => "ERR unknown error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_first_lines() {
        assert_eq!(library_name(b"#!lua name=mylib\nx"), Ok("mylib".into()));
        assert_eq!(library_name(b"#!lua  name=spc\nx"), Ok("spc".into()));
        assert_eq!(
            library_name(b"return 1"),
            Err("ERR Missing library metadata".into())
        );
        assert_eq!(
            library_name(b"#!lua name=x"),
            Err("ERR Invalid library metadata".into())
        );
        assert_eq!(
            library_name(b"#!lua\nx"),
            Err("ERR Library name was not given".into())
        );
        assert_eq!(
            library_name(b"#!luaname=x\nx"),
            Err("ERR Library name was not given".into())
        );
        assert_eq!(
            library_name(b"#!python name=x\nx"),
            Err("ERR Engine 'python' not found".into())
        );
        assert_eq!(
            library_name(b"#!lua name=a name=b\n"),
            Err("ERR Invalid metadata value, name argument was given multiple times".into())
        );
        assert_eq!(
            library_name(b"#!lua name=x foo=bar\n"),
            Err("ERR Invalid metadata value given: foo=bar".into())
        );
        assert!(library_name(b"#!lua name=my-lib\n")
            .unwrap_err()
            .contains("Library names can only"));
        assert!(library_name(b"#!lua name=\n")
            .unwrap_err()
            .contains("Library names can only"));
    }
}
