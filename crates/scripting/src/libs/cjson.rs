//! The `cjson` library: JSON encoding and decoding as Redis 7.0 scripts see
//! it (Redis embeds lua-cjson 2.1.0). Everything a script can observe is
//! reproduced: number formatting (`%.14g` by default), which bytes are
//! escaped, the array/object decision for tables, the sparse-array and
//! nesting rules, what the decoder accepts (it is laxer than JSON: hex,
//! `inf`, `nan`, leading zeros and `+` go through `strtod`), the order in
//! which tables are built (so `pairs` walks them as Redis's would), the
//! configuration functions with their argument checks, `cjson.new`, and the
//! exact error texts, including the `bad argument #1 to 'decode'` form and
//! the `user_script:1:` position prefix that `luaL_error` adds.
//!
//! Errors must reach scripts as plain Lua strings (scripts `pcall` these
//! functions and return the message). mlua raises callback errors as
//! userdata, so every library function is a small C closure (the
//! trampoline) around an mlua callback: the callback reports failure as
//! data and the trampoline raises it with `luaL_where`/`luaL_argerror`,
//! exactly as lua-cjson's C code does.
//!
//! The work itself runs on the raw Lua stack inside one protected call
//! (`Lua::exec_raw`): encoding walks tables with `lua_next`/`lua_rawgeti`
//! into one byte buffer and creates one Lua string; decoding builds tables
//! directly while it parses. The stack is used slot for slot as lua-cjson
//! uses it, so the depth at which `lua_checkstack` gives up (which decides
//! an error text when a script raises the depth limits) is the same.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void};
use std::fmt::Write as _;
use std::ptr;
use std::rc::Rc;

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Table, Value};

/// The value of `cjson._NAME`.
const MODNAME: &str = "cjson";
/// The value of `cjson._VERSION`: the lua-cjson release Redis 7.0 embeds.
const VERSION: &str = "2.1.0";

/// Output beyond this makes `encode` fail instead of growing without bound
/// (a table that contains itself twice per level doubles the output at
/// every level up to the depth limit). Redis has no such limit; it would
/// run out of memory. A reply cannot carry more than this anyway.
const MAX_ENCODE_LEN: usize = 512 << 20;
/// Encode buffers kept between calls (`encode_keep_buffer`) are dropped
/// when they grew past this, so one huge document does not pin memory.
const KEEP_BUFFER_MAX: usize = 1 << 20;

/// Options of one cjson instance (the global one or one from `cjson.new`),
/// with lua-cjson's defaults, which Redis leaves alone.
#[derive(Clone, Copy, Debug)]
struct Config {
    encode_sparse_convert: c_int,
    encode_sparse_ratio: c_int,
    encode_sparse_safe: c_int,
    encode_max_depth: c_int,
    decode_max_depth: c_int,
    encode_number_precision: c_int,
    encode_keep_buffer: c_int,
    /// 0 = error, 1 = write `inf`/`nan`, 2 = write `null`.
    encode_invalid_numbers: c_int,
    decode_invalid_numbers: c_int,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
        }
    }
}

/// A cjson instance: its options and the buffers its calls reuse.
#[derive(Default)]
struct Instance {
    cfg: Config,
    out: Vec<u8>,
    scratch: Vec<u8>,
    enc_frames: Vec<EncFrame>,
    dec_frames: Vec<DecFrame>,
}

type Shared = Rc<RefCell<Instance>>;

/// What a library callback hands to the trampoline: a status and up to
/// three values. A status `n >= 0` returns the first `n` values;
/// [`RAISE_WHERE`] raises the message in the first value with the
/// caller's position prefixed (`luaL_error`); [`RAISE_ARG`] raises
/// `bad argument #<first> to '<name>' (<second>)` (`luaL_argerror`).
type Ret = (c_int, Value, Value, Value);

const RAISE_WHERE: c_int = -1;
const RAISE_ARG: c_int = -2;

/// A callback's result before it becomes a [`Ret`].
enum Outcome {
    Values(Value, Value, Value, c_int),
    Error(Vec<u8>),
    ArgError(c_int, Vec<u8>),
}

impl Outcome {
    fn one(v: Value) -> Self {
        Outcome::Values(v, Value::Nil, Value::Nil, 1)
    }

    fn into_ret(self, lua: &Lua) -> mlua::Result<Ret> {
        Ok(match self {
            Outcome::Values(a, b, c, n) => (n, a, b, c),
            Outcome::Error(msg) => (
                RAISE_WHERE,
                Value::String(lua.create_string(&msg)?),
                Value::Nil,
                Value::Nil,
            ),
            Outcome::ArgError(narg, msg) => (
                RAISE_ARG,
                Value::Integer(narg.into()),
                Value::String(lua.create_string(&msg)?),
                Value::Nil,
            ),
        })
    }
}

/// Registers the `cjson` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let module = new_module(lua)?;
    lua.globals().set("cjson", module)
}

/// Builds a module table with a fresh instance: what `cjson.new()` returns.
/// Fields are inserted in lua-cjson's order so `pairs` visits them in the
/// same order as in Redis.
fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let inst: Shared = Rc::new(RefCell::new(Instance::default()));
    let t = lua.create_table()?;
    let i = inst.clone();
    t.raw_set("encode", wrap(lua, move |lua, a| encode(lua, &i, a))?)?;
    let i = inst.clone();
    t.raw_set("decode", wrap(lua, move |lua, a| decode(lua, &i, a))?)?;
    let i = inst.clone();
    t.raw_set(
        "encode_sparse_array",
        wrap(lua, move |lua, a| cfg_encode_sparse_array(lua, &i, &a))?,
    )?;
    let i = inst.clone();
    t.raw_set(
        "encode_max_depth",
        wrap(lua, move |lua, a| {
            int_setting(lua, &i, &a, 1, c_int::MAX, |c| &mut c.encode_max_depth)
        })?,
    )?;
    let i = inst.clone();
    t.raw_set(
        "decode_max_depth",
        wrap(lua, move |lua, a| {
            int_setting(lua, &i, &a, 1, c_int::MAX, |c| &mut c.decode_max_depth)
        })?,
    )?;
    let i = inst.clone();
    t.raw_set(
        "encode_number_precision",
        wrap(lua, move |lua, a| {
            int_setting(lua, &i, &a, 1, 14, |c| &mut c.encode_number_precision)
        })?,
    )?;
    let i = inst.clone();
    t.raw_set(
        "encode_keep_buffer",
        wrap(lua, move |lua, a| cfg_encode_keep_buffer(lua, &i, &a))?,
    )?;
    let i = inst.clone();
    t.raw_set(
        "encode_invalid_numbers",
        wrap(lua, move |lua, a| {
            enum_setting(lua, &i, &a, &INVALID_NUMBER_OPTIONS, |c| {
                &mut c.encode_invalid_numbers
            })
        })?,
    )?;
    let i = inst;
    t.raw_set(
        "decode_invalid_numbers",
        wrap(lua, move |lua, a| {
            enum_setting(lua, &i, &a, &BOOL_OPTIONS, |c| {
                &mut c.decode_invalid_numbers
            })
        })?,
    )?;
    t.raw_set(
        "new",
        wrap(lua, |lua, _| {
            Ok(Outcome::one(Value::Table(new_module(lua)?)))
        })?,
    )?;
    t.raw_set("null", LightUserData(ptr::null_mut()))?;
    t.raw_set("_NAME", MODNAME)?;
    t.raw_set("_VERSION", VERSION)?;
    Ok(t)
}

/// Wraps a callback in a trampoline C closure (see the module docs).
fn wrap<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> mlua::Result<Outcome> + 'static,
{
    let inner = lua.create_function(move |lua, args: MultiValue| f(lua, args)?.into_ret(lua))?;
    // SAFETY: the closure only pops the callback pushed as the single
    // argument and pushes the new C closure that keeps it as its upvalue.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

/// The C function scripts call. It runs the callback in its upvalue and
/// either returns the values it produced or raises the error it described.
/// Raising from here (a C function called by the script) makes
/// `luaL_where(1)` name the script's line and `luaL_argerror` name the
/// function as the script called it, as in lua-cjson.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running thread; the upvalue is the callback
    // set by `wrap`. Nothing here owns Rust values with destructors, so the
    // longjmp of `lua_error`/`luaL_argerror` skips no cleanup.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, 4);
        let status = ffi::lua_tonumber(state, 1) as c_int;
        if status >= 0 {
            ffi::lua_settop(state, 1 + status);
            ffi::lua_remove(state, 1);
            return status;
        }
        if status == RAISE_ARG {
            let narg = ffi::lua_tonumber(state, 2) as c_int;
            let msg = ffi::lua_tolstring(state, 3, ptr::null_mut());
            return ffi::luaL_argerror(state, narg, msg);
        }
        ffi::luaL_where(state, 1);
        ffi::lua_pushvalue(state, 2);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}

/// Lua's name of a value's type, as `luaL_typename` prints it.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// Lua's name of a raw type tag.
fn raw_type_name(t: c_int) -> &'static str {
    match t {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "userdata",
    }
}

// ---------------------------------------------------------------------------
// Configuration functions
// ---------------------------------------------------------------------------

const BOOL_OPTIONS: [&str; 2] = ["off", "on"];
const INVALID_NUMBER_OPTIONS: [&str; 3] = ["off", "on", "null"];

/// lua-cjson's argument-count check: at most `n` arguments; missing ones
/// count as nil.
fn check_arg_count(args: &MultiValue, n: usize) -> Option<Outcome> {
    (args.len() > n)
        .then(|| Outcome::ArgError((n + 1) as c_int, b"found too many arguments".to_vec()))
}

fn arg(args: &MultiValue, i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

/// The C conversion of a double to `lua_Integer` on x86-64 (`cvttsd2si`):
/// truncation, and the "integer indefinite" value when out of range.
fn double_to_i64(n: f64) -> i64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_POW_63..TWO_POW_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The C conversion of a double to `int` on x86-64 (`cvttsd2si` on 32 bits).
fn double_to_i32(n: f64) -> c_int {
    if n > -2_147_483_649.0 && n < 2_147_483_648.0 {
        n as c_int
    } else {
        c_int::MIN
    }
}

/// `luaL_checkinteger` stored into an `int`: numbers and numeric strings
/// are accepted and truncated; anything else is a type error.
fn check_integer(lua: &Lua, v: &Value, narg: usize) -> mlua::Result<Result<c_int, Outcome>> {
    let n = match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(v.clone())?,
        _ => None,
    };
    Ok(match n {
        // The wrap to 32 bits is C's `int value = lua_Integer`.
        Some(n) => Ok(double_to_i64(n) as c_int),
        None => Err(Outcome::ArgError(
            narg as c_int,
            format!("number expected, got {}", type_name(v)).into_bytes(),
        )),
    })
}

/// lua-cjson's integer option: nil leaves the setting, anything else must
/// be an integer in `min..=max`. The range error always names argument 1,
/// whichever argument was wrong, as lua-cjson does.
fn apply_int_option(
    lua: &Lua,
    v: &Value,
    narg: usize,
    setting: &mut c_int,
    min: c_int,
    max: c_int,
) -> mlua::Result<Option<Outcome>> {
    if matches!(v, Value::Nil) {
        return Ok(None);
    }
    let value = match check_integer(lua, v, narg)? {
        Ok(value) => value,
        Err(e) => return Ok(Some(e)),
    };
    if value < min || value > max {
        return Ok(Some(Outcome::ArgError(
            1,
            format!("expected integer between {min} and {max}").into_bytes(),
        )));
    }
    *setting = value;
    Ok(None)
}

/// lua-cjson's enumerated option: nil leaves the setting, a boolean means
/// option 0 or 1, anything else goes through `luaL_checkoption`.
fn apply_enum_option(
    v: &Value,
    narg: usize,
    setting: &mut c_int,
    options: &[&str],
) -> Option<Outcome> {
    let name: Vec<u8> = match v {
        Value::Nil => return None,
        Value::Boolean(b) => {
            *setting = c_int::from(*b);
            return None;
        }
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(i) => number_to_string(*i as f64),
        Value::Number(n) => number_to_string(*n),
        other => {
            return Some(Outcome::ArgError(
                narg as c_int,
                format!("string expected, got {}", type_name(other)).into_bytes(),
            ))
        }
    };
    // The option is compared as a C string: it ends at the first NUL.
    let name = match name.iter().position(|&b| b == 0) {
        Some(end) => &name[..end],
        None => &name[..],
    };
    match options.iter().position(|o| o.as_bytes() == name) {
        Some(i) => {
            *setting = i as c_int;
            None
        }
        None => {
            let mut msg = b"invalid option '".to_vec();
            msg.extend_from_slice(name);
            msg.push(b'\'');
            Some(Outcome::ArgError(narg as c_int, msg))
        }
    }
}

/// What an enumerated option reports: a boolean for off/on, else its name.
fn enum_value(lua: &Lua, setting: c_int, options: &[&str]) -> mlua::Result<Value> {
    Ok(match setting {
        0 | 1 => Value::Boolean(setting == 1),
        n => match options.get(n as usize) {
            Some(name) => Value::String(lua.create_string(name)?),
            None => Value::Nil,
        },
    })
}

fn with_cfg<R>(inst: &Shared, f: impl FnOnce(&mut Config) -> R) -> R {
    f(&mut inst.borrow_mut().cfg)
}

fn int_setting(
    lua: &Lua,
    inst: &Shared,
    args: &MultiValue,
    min: c_int,
    max: c_int,
    field: fn(&mut Config) -> &mut c_int,
) -> mlua::Result<Outcome> {
    if let Some(e) = check_arg_count(args, 1) {
        return Ok(e);
    }
    let mut value = with_cfg(inst, |c| *field(c));
    if let Some(e) = apply_int_option(lua, arg(args, 0), 1, &mut value, min, max)? {
        return Ok(e);
    }
    with_cfg(inst, |c| *field(c) = value);
    Ok(Outcome::one(Value::Integer(value.into())))
}

fn enum_setting(
    lua: &Lua,
    inst: &Shared,
    args: &MultiValue,
    options: &[&str],
    field: fn(&mut Config) -> &mut c_int,
) -> mlua::Result<Outcome> {
    if let Some(e) = check_arg_count(args, 1) {
        return Ok(e);
    }
    let mut value = with_cfg(inst, |c| *field(c));
    if let Some(e) = apply_enum_option(arg(args, 0), 1, &mut value, options) {
        return Ok(e);
    }
    with_cfg(inst, |c| *field(c) = value);
    Ok(Outcome::one(enum_value(lua, value, options)?))
}

/// `encode_keep_buffer` also frees the kept buffer when turned off.
fn cfg_encode_keep_buffer(lua: &Lua, inst: &Shared, args: &MultiValue) -> mlua::Result<Outcome> {
    let out = enum_setting(lua, inst, args, &BOOL_OPTIONS, |c| {
        &mut c.encode_keep_buffer
    })?;
    let mut i = inst.borrow_mut();
    if i.cfg.encode_keep_buffer == 0 {
        i.out = Vec::new();
    }
    Ok(out)
}

/// `encode_sparse_array([convert[, ratio[, safe]]])`. The arguments are
/// applied one after the other, so an error in a later one keeps the
/// earlier ones, as in lua-cjson.
fn cfg_encode_sparse_array(lua: &Lua, inst: &Shared, args: &MultiValue) -> mlua::Result<Outcome> {
    if let Some(e) = check_arg_count(args, 3) {
        return Ok(e);
    }
    let mut c = with_cfg(inst, |c| *c);
    let first = apply_enum_option(arg(args, 0), 1, &mut c.encode_sparse_convert, &BOOL_OPTIONS);
    let result = match first {
        Some(e) => Some(e),
        None => match apply_int_option(
            lua,
            arg(args, 1),
            2,
            &mut c.encode_sparse_ratio,
            0,
            c_int::MAX,
        )? {
            Some(e) => Some(e),
            None => apply_int_option(
                lua,
                arg(args, 2),
                3,
                &mut c.encode_sparse_safe,
                0,
                c_int::MAX,
            )?,
        },
    };
    with_cfg(inst, |cfg| {
        cfg.encode_sparse_convert = c.encode_sparse_convert;
        cfg.encode_sparse_ratio = c.encode_sparse_ratio;
        cfg.encode_sparse_safe = c.encode_sparse_safe;
    });
    if let Some(e) = result {
        return Ok(e);
    }
    Ok(Outcome::Values(
        enum_value(lua, c.encode_sparse_convert, &BOOL_OPTIONS)?,
        Value::Integer(c.encode_sparse_ratio.into()),
        Value::Integer(c.encode_sparse_safe.into()),
        3,
    ))
}

// ---------------------------------------------------------------------------
// Number formatting
// ---------------------------------------------------------------------------

/// A fixed buffer for `write!`, big enough for any `{:e}` of an f64 with
/// at most 14 significant digits.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

const POW10: [f64; 15] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
];

/// Appends `v` as C's `printf("%.<prec>g")` prints it (glibc: exact
/// decimal expansion, ties to even; `inf`, `-nan`, ...), `prec` in 1..=14.
fn format_g(out: &mut Vec<u8>, v: f64, prec: usize) {
    let prec = prec.clamp(1, 14);
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Integers with at most `prec` digits print as themselves.
    if v.fract() == 0.0 && v.abs() < POW10[prec] {
        let mut b = StackBuf {
            buf: [0; 48],
            len: 0,
        };
        let _ = write!(b, "{}", v as i64);
        out.extend_from_slice(&b.buf[..b.len]);
        return;
    }
    // Rust's `{:.N e}` is exact with ties to even, like glibc.
    let mut b = StackBuf {
        buf: [0; 48],
        len: 0,
    };
    if write!(b, "{:.*e}", prec - 1, v).is_err() {
        return;
    }
    let text = &b.buf[..b.len];
    let (neg, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let Some(epos) = text.iter().position(|&c| c == b'e') else {
        return;
    };
    let mut digits = [0u8; 20];
    let mut nd = 0;
    for &c in &text[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(&text[epos + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Trailing zeros go (no `#` flag), and so does a bare point.
    let mut sig = nd;
    while sig > 1 && digits[sig - 1] == b'0' {
        sig -= 1;
    }
    if neg {
        out.push(b'-');
    }
    let p = prec as i32;
    if exp < -4 || exp >= p {
        out.push(digits[0]);
        if sig > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..sig]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let mut eb = StackBuf {
            buf: [0; 48],
            len: 0,
        };
        let _ = write!(eb, "{e}");
        out.extend_from_slice(&eb.buf[..eb.len]);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        out.extend_from_slice(&digits[..int_len.min(nd)]);
        if sig > int_len {
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..sig]);
        }
    } else {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(&digits[..sig]);
    }
}

/// A number as Lua's `tostring` (and `lua_tolstring`) writes it: `%.14g`.
fn number_to_string(v: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    format_g(&mut out, v, 14);
    out
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// Why `encode` failed; all `Copy` so it can leave the protected call.
#[derive(Clone, Copy, Debug)]
enum EncodeError {
    Unsupported(c_int),
    BadKey(c_int),
    NotFinite,
    Sparse,
    Depth(usize),
    TooLarge,
}

impl EncodeError {
    fn message(self) -> String {
        match self {
            EncodeError::Unsupported(t) => {
                format!("Cannot serialise {}: type not supported", raw_type_name(t))
            }
            EncodeError::BadKey(t) => format!(
                "Cannot serialise {}: table key must be a number or string",
                raw_type_name(t)
            ),
            EncodeError::NotFinite => "Cannot serialise number: must not be NaN or Inf".into(),
            EncodeError::Sparse => "Cannot serialise table: excessively sparse array".into(),
            EncodeError::Depth(d) => format!("Cannot serialise, excessive nesting ({d})"),
            EncodeError::TooLarge => "Cannot serialise, output too large".into(),
        }
    }
}

/// A table being written: an array with its next index and length, or an
/// object whose current key and value sit on the Lua stack.
#[derive(Clone, Copy, Debug)]
enum EncFrame {
    Array { next: c_int, len: c_int },
    Object,
}

/// Bytes that are written as escapes. Everything else, including bytes
/// of 0x80 and above, is copied as is.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'/' as usize] = true;
    t[0x7f] = true;
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        if !NEEDS_ESCAPE[c as usize] {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        start = i + 1;
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]),
        }
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

fn append_number(out: &mut Vec<u8>, v: f64, cfg: &Config) -> Result<(), EncodeError> {
    if !v.is_finite() {
        match cfg.encode_invalid_numbers {
            0 => return Err(EncodeError::NotFinite),
            1 if v.is_nan() => {
                // lua-cjson writes every NaN as "nan", whatever its sign.
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    format_g(out, v, cfg.encode_number_precision as usize);
    Ok(())
}

/// The bytes of the string at `idx`.
///
/// # Safety
/// The value at `idx` must be a string that stays on the stack while the
/// slice is used.
unsafe fn stack_bytes<'a>(state: *mut ffi::lua_State, idx: c_int) -> &'a [u8] {
    let mut len = 0usize;
    // SAFETY: per the contract; Lua strings are never moved while referenced.
    unsafe {
        let p = ffi::lua_tolstring(state, idx, &mut len);
        if p.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(p as *const u8, len)
    }
}

/// lua-cjson's array test for the table on top of the stack: the largest
/// key if every key is a positive integer (and the array is not too
/// sparse), else -1 (write an object). The arithmetic is C's, `int`
/// conversions and overflow included, because scripts can see it.
///
/// # Safety
/// The top of the stack must be a table and two slots must be free.
unsafe fn array_length(state: *mut ffi::lua_State, cfg: &Config) -> Result<c_int, EncodeError> {
    let mut max: c_int = 0;
    let mut items: c_int = 0;
    // SAFETY: per the contract; `lua_next` over a table we do not modify.
    unsafe {
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, -2) != 0 {
            if ffi::lua_type(state, -2) == ffi::LUA_TNUMBER {
                let k = ffi::lua_tonumber(state, -2);
                if k != 0.0 && k.floor() == k && k >= 1.0 {
                    if k > f64::from(max) {
                        max = double_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                    ffi::lua_pop(state, 1);
                    continue;
                }
            }
            ffi::lua_pop(state, 2);
            return Ok(-1);
        }
    }
    if cfg.encode_sparse_ratio > 0
        && max > items.wrapping_mul(cfg.encode_sparse_ratio)
        && max > cfg.encode_sparse_safe
    {
        if cfg.encode_sparse_convert == 0 {
            return Err(EncodeError::Sparse);
        }
        return Ok(-1);
    }
    Ok(max)
}

/// Writes an object key (at -2, with its value at -1) and the colon.
///
/// # Safety
/// Stack as described.
unsafe fn append_key(
    state: *mut ffi::lua_State,
    out: &mut Vec<u8>,
    cfg: &Config,
) -> Result<(), EncodeError> {
    // SAFETY: per the contract.
    unsafe {
        match ffi::lua_type(state, -2) {
            ffi::LUA_TNUMBER => {
                out.push(b'"');
                append_number(out, ffi::lua_tonumber(state, -2), cfg)?;
                out.extend_from_slice(b"\":");
            }
            ffi::LUA_TSTRING => {
                append_string(out, stack_bytes(state, -2));
                out.push(b':');
            }
            t => return Err(EncodeError::BadKey(t)),
        }
    }
    Ok(())
}

/// Encodes the value on top of the stack into `out`, iteratively. The
/// stack grows as in lua-cjson's recursion: one slot per array level (the
/// element), two per object level (key and value), and the depth check
/// reserves three slots with `lua_checkstack`.
///
/// # Safety
/// Must run inside a protected call with the value on top of the stack.
/// Allocates nothing on the Lua side, so it never raises.
unsafe fn encode_value(
    state: *mut ffi::lua_State,
    cfg: &Config,
    out: &mut Vec<u8>,
    frames: &mut Vec<EncFrame>,
) -> Result<(), EncodeError> {
    frames.clear();
    // SAFETY: per the contract; every push is covered by the checkstack
    // done when a table is entered (or by LUA_MINSTACK for the first).
    unsafe {
        'value: loop {
            if out.len() > MAX_ENCODE_LEN {
                return Err(EncodeError::TooLarge);
            }
            match ffi::lua_type(state, -1) {
                ffi::LUA_TSTRING => append_string(out, stack_bytes(state, -1)),
                ffi::LUA_TNUMBER => append_number(out, ffi::lua_tonumber(state, -1), cfg)?,
                ffi::LUA_TBOOLEAN => {
                    if ffi::lua_toboolean(state, -1) != 0 {
                        out.extend_from_slice(b"true");
                    } else {
                        out.extend_from_slice(b"false");
                    }
                }
                ffi::LUA_TNIL => out.extend_from_slice(b"null"),
                ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(state, -1).is_null() => {
                    out.extend_from_slice(b"null");
                }
                ffi::LUA_TTABLE => {
                    let depth = frames.len() + 1;
                    if depth > cfg.encode_max_depth as usize || ffi::lua_checkstack(state, 3) == 0 {
                        return Err(EncodeError::Depth(depth));
                    }
                    let len = array_length(state, cfg)?;
                    if len > 0 {
                        out.push(b'[');
                        frames.push(EncFrame::Array { next: 1, len });
                        ffi::lua_rawgeti_(state, -1, 1);
                        continue 'value;
                    }
                    out.push(b'{');
                    ffi::lua_pushnil(state);
                    if ffi::lua_next(state, -2) != 0 {
                        frames.push(EncFrame::Object);
                        append_key(state, out, cfg)?;
                        continue 'value;
                    }
                    out.push(b'}');
                }
                t => return Err(EncodeError::Unsupported(t)),
            }
            // The value on top is written: drop it and move on in its parent.
            loop {
                let Some(frame) = frames.last_mut() else {
                    return Ok(());
                };
                ffi::lua_pop(state, 1);
                match frame {
                    EncFrame::Array { next, len } => {
                        if *next < *len {
                            *next += 1;
                            out.push(b',');
                            ffi::lua_rawgeti_(state, -1, *next);
                            continue 'value;
                        }
                        out.push(b']');
                    }
                    EncFrame::Object => {
                        if ffi::lua_next(state, -2) != 0 {
                            out.push(b',');
                            append_key(state, out, cfg)?;
                            continue 'value;
                        }
                        out.push(b'}');
                    }
                }
                frames.pop();
            }
        }
    }
}

fn encode(lua: &Lua, inst: &Shared, args: MultiValue) -> mlua::Result<Outcome> {
    if args.len() != 1 {
        return Ok(Outcome::ArgError(1, b"expected 1 argument".to_vec()));
    }
    let (cfg, mut out, mut frames) = {
        let mut i = inst.borrow_mut();
        (
            i.cfg,
            std::mem::take(&mut i.out),
            std::mem::take(&mut i.enc_frames),
        )
    };
    out.clear();
    let mut failure = None;
    // SAFETY: the argument is the only value in the protected call's frame,
    // as it is in lua-cjson's; the closure holds only references, so a Lua
    // error (out of memory while pushing the result) skips no destructor.
    let result = unsafe {
        lua.exec_raw::<Value>(args, |state| {
            match encode_value(state, &cfg, &mut out, &mut frames) {
                Ok(()) => {
                    ffi::lua_pushlstring(state, out.as_ptr() as *const c_char, out.len());
                    ffi::lua_replace(state, 1);
                    ffi::lua_settop(state, 1);
                }
                Err(e) => {
                    failure = Some(e);
                    ffi::lua_settop(state, 0);
                }
            }
        })
    };
    {
        let mut i = inst.borrow_mut();
        if i.cfg.encode_keep_buffer != 0 && out.capacity() <= KEEP_BUFFER_MAX {
            i.out = out;
        }
        i.enc_frames = frames;
    }
    let value = result?;
    Ok(match failure {
        Some(e) => Outcome::Error(e.message().into_bytes()),
        None => Outcome::one(value),
    })
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/// Tokens, named in errors as lua-cjson names them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Number,
    True,
    False,
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Number => "T_NUMBER",
            Tok::True | Tok::False => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(msg) => msg,
        }
    }
}

/// Why `decode` failed; `Copy` so it can leave the protected call.
#[derive(Clone, Copy, Debug)]
enum DecodeError {
    Parse {
        expected: &'static str,
        found: &'static str,
        index: usize,
    },
    Depth {
        depth: usize,
        at: usize,
    },
}

impl DecodeError {
    fn message(self) -> String {
        match self {
            DecodeError::Parse {
                expected,
                found,
                index,
            } => format!(
                "Expected {expected} but found {found} at character {}",
                index + 1
            ),
            DecodeError::Depth { depth, at } => {
                format!("Found too many nested data structures ({depth}) at character {at}")
            }
        }
    }
}

/// Where the last string token's bytes are.
#[derive(Clone, Copy, Debug)]
enum StrLoc {
    Input(usize, usize),
    Scratch,
}

/// The tokenizer. The input reads as if NUL-terminated, like the C string
/// lua-cjson scans: a NUL byte anywhere is the end of the document.
struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
    scratch: &'a mut Vec<u8>,
    /// Where the last token starts (or where its error is).
    index: usize,
    string: StrLoc,
    number: f64,
}

fn hex_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'a'..=b'f' => Some(u32::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(c - b'A' + 10)),
        _ => None,
    }
}

fn byte_at(data: &[u8], i: usize) -> u8 {
    data.get(i).copied().unwrap_or(0)
}

fn starts_with_ignore_case(data: &[u8], i: usize, word: &[u8]) -> bool {
    data.get(i..i + word.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(word))
}

impl<'a> Lexer<'a> {
    fn at(&self, i: usize) -> u8 {
        byte_at(self.data, i)
    }

    fn next(&mut self) -> Tok {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        self.index = self.pos;
        let c = self.at(self.pos);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return t;
        }
        match c {
            0 => Tok::End,
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    Tok::Error("invalid number")
                } else {
                    self.number()
                }
            }
            _ => {
                let rest = self.data.get(self.pos..).unwrap_or(&[]);
                if rest.starts_with(b"true") {
                    self.pos += 4;
                    Tok::True
                } else if rest.starts_with(b"false") {
                    self.pos += 5;
                    Tok::False
                } else if rest.starts_with(b"null") {
                    self.pos += 4;
                    Tok::Null
                } else if self.invalid_numbers && self.is_invalid_number() {
                    // Only the forms JSON forbids (inf, nan, +...) reach
                    // strtod here, so other junk is an "invalid token".
                    self.number()
                } else {
                    Tok::Error("invalid token")
                }
            }
        }
    }

    /// lua-cjson's test for numbers JSON does not allow: a leading `+`,
    /// hex, leading zeros, inf and nan.
    fn is_invalid_number(&self) -> bool {
        let mut i = self.pos;
        match self.at(i) {
            b'+' => return true,
            b'-' => i += 1,
            _ => {}
        }
        let c = self.at(i);
        if c == b'0' {
            let c2 = self.at(i + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        // C compares a signed char: bytes from 0x80 count as below '9'.
        if (c as i8) <= b'9' as i8 {
            return false;
        }
        starts_with_ignore_case(self.data, i, b"inf")
            || starts_with_ignore_case(self.data, i, b"nan")
    }

    fn number(&mut self) -> Tok {
        match strtod(self.data, self.pos) {
            Some((v, end)) => {
                self.number = v;
                self.pos = end;
                Tok::Number
            }
            None => Tok::Error("invalid number"),
        }
    }

    fn string(&mut self) -> Tok {
        let start = self.pos + 1;
        let mut i = start;
        // Fast path: no escape, the bytes are used in place.
        loop {
            match self.at(i) {
                b'"' => {
                    self.string = StrLoc::Input(start, i);
                    self.pos = i + 1;
                    return Tok::Str;
                }
                b'\\' => break,
                0 => {
                    self.index = i;
                    return Tok::Error("unexpected end of string");
                }
                _ => i += 1,
            }
        }
        self.scratch.clear();
        self.scratch
            .extend_from_slice(self.data.get(start..i).unwrap_or(&[]));
        loop {
            match self.at(i) {
                b'"' => break,
                0 => {
                    self.index = i;
                    return Tok::Error("unexpected end of string");
                }
                b'\\' => {
                    let c = match self.at(i + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => match self.unicode_escape(i) {
                            Some(len) => {
                                i += len;
                                continue;
                            }
                            None => {
                                self.index = i;
                                return Tok::Error("invalid unicode escape code");
                            }
                        },
                        _ => {
                            self.index = i;
                            return Tok::Error("invalid escape code");
                        }
                    };
                    self.scratch.push(c);
                    i += 2;
                }
                c => {
                    self.scratch.push(c);
                    i += 1;
                }
            }
        }
        self.string = StrLoc::Scratch;
        self.pos = i + 1;
        Tok::Str
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let mut v = 0;
        for k in 0..4 {
            v = v << 4 | hex_value(self.at(i + k))?;
        }
        Some(v)
    }

    /// Decodes `\uXXXX` (or a surrogate pair of them) at `i` into UTF-8 in
    /// the scratch buffer; returns how many input bytes it used.
    fn unicode_escape(&mut self, i: usize) -> Option<usize> {
        let mut cp = self.hex4(i + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(i + 6) != b'\\' || self.at(i + 7) != b'u' {
                return None;
            }
            let low = self.hex4(i + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let s = &mut *self.scratch;
        if cp < 0x80 {
            s.push(cp as u8);
        } else if cp < 0x800 {
            s.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
        } else if cp < 0x10000 {
            s.extend_from_slice(&[
                0xE0 | (cp >> 12) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            ]);
        } else {
            s.extend_from_slice(&[
                0xF0 | (cp >> 18) as u8,
                0x80 | ((cp >> 12) & 0x3F) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            ]);
        }
        Some(len)
    }
}

/// Parses a number at `data[start..]` as glibc's `strtod` does (the
/// decoder hands numbers to `strtod`): optional sign, then `inf`,
/// `infinity`, `nan`, `nan(chars)`, hex with optional binary exponent, or
/// decimal. Returns the value and where it ends, or `None` when nothing
/// converts.
fn strtod(data: &[u8], start: usize) -> Option<(f64, usize)> {
    let at = |i: usize| byte_at(data, i);
    let mut i = start;
    let neg = match at(i) {
        b'-' => {
            i += 1;
            true
        }
        b'+' => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    if starts_with_ignore_case(data, i, b"inf") {
        let end = if starts_with_ignore_case(data, i, b"infinity") {
            i + 8
        } else {
            i + 3
        };
        return Some((sign(f64::INFINITY), end));
    }
    if starts_with_ignore_case(data, i, b"nan") {
        let mut end = i + 3;
        let mut bits: u64 = 0x7FF8_0000_0000_0000;
        if at(end) == b'(' {
            let mut j = end + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                if let Some(payload) = nan_payload(data.get(end + 1..j).unwrap_or(&[])) {
                    bits |= payload & ((1 << 51) - 1);
                }
                end = j + 1;
            }
        }
        return Some((sign(f64::from_bits(bits)), end));
    }
    if at(i) == b'0'
        && (at(i + 1) | 0x20) == b'x'
        && (hex_value(at(i + 2)).is_some() || (at(i + 2) == b'.' && hex_value(at(i + 3)).is_some()))
    {
        let (v, end) = parse_hex(data, i + 2);
        return Some((sign(v), end));
    }
    let digits_start = i;
    let mut int_only = true;
    let mut mantissa: u64 = 0;
    while at(i).is_ascii_digit() {
        mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(at(i) - b'0'));
        i += 1;
    }
    let mut ndigits = i - digits_start;
    if at(i) == b'.' {
        int_only = false;
        let f = i + 1;
        let mut j = f;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        ndigits += j - f;
        i = j;
    }
    if ndigits == 0 {
        return None;
    }
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            int_only = false;
            i = j;
        }
    }
    // Plain integers of up to 15 digits are exact as doubles.
    if int_only && ndigits <= 15 {
        return Some((sign(mantissa as f64), i));
    }
    let text = std::str::from_utf8(&data[start..i]).ok()?;
    text.parse::<f64>().ok().map(|v| (v, i))
}

/// The payload glibc gives `nan(chars)`: `chars` read by `strtoull` with
/// base 0, used only when the whole sequence converts.
fn nan_payload(seq: &[u8]) -> Option<u64> {
    let (digits, radix) = match seq {
        [] => return Some(0),
        [b'0', x, rest @ ..] if (x | 0x20) == b'x' && !rest.is_empty() => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (seq, 10),
    };
    let mut v: u64 = 0;
    for &c in digits {
        let d = match hex_value(c) {
            Some(d) if d < radix => u64::from(d),
            _ => return None,
        };
        v = v.saturating_mul(u64::from(radix)).saturating_add(d);
    }
    Some(v)
}

/// Parses hex digits (after `0x`), an optional fraction and `p` exponent,
/// rounding to nearest even as glibc does, subnormals included.
fn parse_hex(data: &[u8], mut i: usize) -> (f64, usize) {
    let at = |i: usize| byte_at(data, i);
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut push = |h: u32, frac: bool, mant: &mut u64, exp: &mut i64| {
        if *mant >> 60 == 0 {
            *mant = *mant << 4 | u64::from(h);
            if frac {
                *exp -= 4;
            }
        } else {
            sticky |= h != 0;
            if !frac {
                *exp += 4;
            }
        }
    };
    while let Some(h) = hex_value(at(i)) {
        push(h, false, &mut mant, &mut exp);
        i += 1;
    }
    if at(i) == b'.' {
        i += 1;
        while let Some(h) = hex_value(at(i)) {
            push(h, true, &mut mant, &mut exp);
            i += 1;
        }
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let eneg = match at(j) {
            b'-' => {
                j += 1;
                true
            }
            b'+' => {
                j += 1;
                false
            }
            _ => false,
        };
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(1 << 40);
                j += 1;
            }
            exp += if eneg { -e } else { e };
            i = j;
        }
    }
    (compose(mant, exp, sticky), i)
}

/// `mant * 2^exp` (with `sticky` meaning nonzero bits below `mant`)
/// rounded to the nearest double, ties to even.
fn compose(mant: u64, exp: i64, sticky: bool) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    let lz = mant.leading_zeros();
    let m = mant << lz;
    // value = m * 2^(e2 - 63), with m's top bit set.
    let e2 = exp - i64::from(lz) + 63;
    if e2 > 1023 {
        return f64::INFINITY;
    }
    let shift = (-1011 - e2).max(11);
    if shift > 64 {
        // Below half the smallest subnormal.
        return 0.0;
    }
    let wide = u128::from(m);
    let mut keep = (wide >> shift) as u64;
    let rem = wide & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rem > half || (rem == half && (sticky || keep & 1 == 1)) {
        keep += 1;
    }
    if shift == 11 {
        // Normal: keep has 53 bits unless rounding carried into a 54th.
        let mut e = e2;
        if keep >> 53 != 0 {
            keep >>= 1;
            e += 1;
        }
        if e > 1023 {
            return f64::INFINITY;
        }
        f64::from_bits(((e + 1023) as u64) << 52 | (keep & ((1 << 52) - 1)))
    } else {
        // Subnormal; a carry into bit 52 yields the smallest normal.
        f64::from_bits(keep)
    }
}

/// A container being filled: an array with the index of its next element,
/// or an object (its key sits on the Lua stack above it).
#[derive(Clone, Copy, Debug)]
enum DecFrame {
    Array(c_int),
    Object,
}

/// Pushes the last string token.
///
/// # Safety
/// Must run inside a protected call with a free stack slot.
unsafe fn push_string(state: *mut ffi::lua_State, lx: &Lexer<'_>) {
    let bytes: &[u8] = match lx.string {
        StrLoc::Input(a, b) => lx.data.get(a..b).unwrap_or(&[]),
        StrLoc::Scratch => lx.scratch,
    };
    // SAFETY: per the contract.
    unsafe {
        ffi::lua_pushlstring(state, bytes.as_ptr() as *const c_char, bytes.len());
    }
}

/// Parses the document and leaves its value on top of the stack, building
/// tables as it goes: `lua_createtable(0, 0)` and `rawset`/`rawseti` in
/// document order, like lua-cjson, so the tables are laid out alike.
///
/// # Safety
/// Must run inside a protected call (pushes allocate). Holds only
/// references, so a Lua error skips no destructor.
unsafe fn decode_value(
    state: *mut ffi::lua_State,
    lx: &mut Lexer<'_>,
    max_depth: usize,
    frames: &mut Vec<DecFrame>,
) -> Result<(), DecodeError> {
    frames.clear();
    let parse = |expected: &'static str, tok: Tok, lx: &Lexer<'_>| DecodeError::Parse {
        expected,
        found: tok.name(),
        index: lx.index,
    };
    // SAFETY: per the contract; every push is covered by the checkstack
    // done when a container is entered (two slots for arrays, three for
    // objects, as lua-cjson reserves) or by LUA_MINSTACK at the top.
    unsafe {
        let mut tok = lx.next();
        'value: loop {
            match tok {
                Tok::Str => push_string(state, lx),
                Tok::Number => ffi::lua_pushnumber(state, lx.number),
                Tok::True => ffi::lua_pushboolean(state, 1),
                Tok::False => ffi::lua_pushboolean(state, 0),
                Tok::Null => ffi::lua_pushlightuserdata(state, ptr::null_mut::<c_void>()),
                Tok::ObjBegin | Tok::ArrBegin => {
                    let object = tok == Tok::ObjBegin;
                    let depth = frames.len() + 1;
                    let slots = if object { 3 } else { 2 };
                    if depth > max_depth || ffi::lua_checkstack(state, slots) == 0 {
                        return Err(DecodeError::Depth { depth, at: lx.pos });
                    }
                    ffi::lua_createtable(state, 0, 0);
                    tok = lx.next();
                    if object {
                        if tok != Tok::ObjEnd {
                            if tok != Tok::Str {
                                return Err(parse("object key string", tok, lx));
                            }
                            push_string(state, lx);
                            tok = lx.next();
                            if tok != Tok::Colon {
                                return Err(parse("colon", tok, lx));
                            }
                            frames.push(DecFrame::Object);
                            tok = lx.next();
                            continue 'value;
                        }
                    } else if tok != Tok::ArrEnd {
                        frames.push(DecFrame::Array(1));
                        continue 'value;
                    }
                }
                _ => return Err(parse("value", tok, lx)),
            }
            // A value is complete on top of the stack: store it in its parent.
            loop {
                let Some(frame) = frames.last_mut() else {
                    tok = lx.next();
                    if tok != Tok::End {
                        return Err(parse("the end", tok, lx));
                    }
                    return Ok(());
                };
                match frame {
                    DecFrame::Array(i) => {
                        ffi::lua_rawseti_(state, -2, *i);
                        tok = lx.next();
                        if tok == Tok::Comma {
                            *i = i.wrapping_add(1);
                            tok = lx.next();
                            continue 'value;
                        }
                        if tok != Tok::ArrEnd {
                            return Err(parse("comma or array end", tok, lx));
                        }
                    }
                    DecFrame::Object => {
                        ffi::lua_rawset(state, -3);
                        tok = lx.next();
                        if tok == Tok::Comma {
                            tok = lx.next();
                            if tok != Tok::Str {
                                return Err(parse("object key string", tok, lx));
                            }
                            push_string(state, lx);
                            tok = lx.next();
                            if tok != Tok::Colon {
                                return Err(parse("colon", tok, lx));
                            }
                            tok = lx.next();
                            continue 'value;
                        }
                        if tok != Tok::ObjEnd {
                            return Err(parse("comma or object end", tok, lx));
                        }
                    }
                }
                frames.pop();
            }
        }
    }
}

fn decode(lua: &Lua, inst: &Shared, args: MultiValue) -> mlua::Result<Outcome> {
    if args.len() != 1 {
        return Ok(Outcome::ArgError(1, b"expected 1 argument".to_vec()));
    }
    let first = args.front().cloned();
    let converted;
    let guard;
    let data: &[u8] = match &first {
        Some(Value::String(s)) => {
            guard = s.as_bytes();
            &guard
        }
        // `luaL_checklstring` accepts numbers, as `tostring` writes them.
        Some(Value::Integer(i)) => {
            converted = number_to_string(*i as f64);
            &converted
        }
        Some(Value::Number(n)) => {
            converted = number_to_string(*n);
            &converted
        }
        Some(other) => {
            return Ok(Outcome::ArgError(
                1,
                format!("string expected, got {}", type_name(other)).into_bytes(),
            ))
        }
        None => return Ok(Outcome::ArgError(1, b"expected 1 argument".to_vec())),
    };
    // RFC 4627's encoding detection: an ASCII first character in UTF-16/32
    // puts a NUL in one of the first two bytes.
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Ok(Outcome::Error(
            b"JSON parser does not support UTF-16 or UTF-32".to_vec(),
        ));
    }
    let (cfg, mut scratch, mut frames) = {
        let mut i = inst.borrow_mut();
        (
            i.cfg,
            std::mem::take(&mut i.scratch),
            std::mem::take(&mut i.dec_frames),
        )
    };
    let mut failure = None;
    let result = {
        let mut lx = Lexer {
            data,
            pos: 0,
            invalid_numbers: cfg.decode_invalid_numbers != 0,
            scratch: &mut scratch,
            index: 0,
            string: StrLoc::Scratch,
            number: 0.0,
        };
        let max_depth = usize::try_from(cfg.decode_max_depth).unwrap_or(0);
        // SAFETY: the argument is passed along so the protected call's frame
        // starts with one slot, as lua-cjson's does (the depth at which
        // `lua_checkstack` fails depends on it). The closure holds only
        // references, so a Lua error skips no destructor.
        unsafe {
            lua.exec_raw::<Value>(args, |state| {
                match decode_value(state, &mut lx, max_depth, &mut frames) {
                    Ok(()) => {
                        ffi::lua_replace(state, 1);
                        ffi::lua_settop(state, 1);
                    }
                    Err(e) => {
                        failure = Some(e);
                        ffi::lua_settop(state, 0);
                    }
                }
            })
        }
    };
    {
        let mut i = inst.borrow_mut();
        if scratch.capacity() <= KEEP_BUFFER_MAX {
            i.scratch = scratch;
        }
        i.dec_frames = frames;
    }
    let value = result?;
    Ok(match failure {
        Some(e) => Outcome::Error(e.message().into_bytes()),
        None => Outcome::one(value),
    })
}

#[cfg(test)]
mod tests {
    //! Expected values were taken from redis-server 7.0.15 (`EVAL ... 0`).
    //! Scripts run as chunk `@user_script`, like Redis's, so direct errors
    //! carry the same `user_script:1:` prefix.

    use super::*;
    use proptest::prelude::*;

    fn vm() -> Lua {
        let lua = Lua::new();
        open(&lua).expect("open cjson");
        lua
    }

    fn run(lua: &Lua, code: &str) -> mlua::Result<Value> {
        lua.load(code).set_name("@user_script").eval::<Value>()
    }

    /// The string a script returns.
    fn s(code: &str) -> Vec<u8> {
        match run(&vm(), code) {
            Ok(Value::String(v)) => v.as_bytes().to_vec(),
            other => panic!("{code}: expected a string, got {other:?}"),
        }
    }

    fn st(code: &str) -> String {
        String::from_utf8_lossy(&s(code)).into_owned()
    }

    /// The message of the error a script raises (without mlua's traceback).
    fn err(code: &str) -> String {
        match run(&vm(), code) {
            Err(mlua::Error::RuntimeError(m)) => m.lines().next().unwrap_or("").to_string(),
            other => panic!("{code}: expected an error, got {other:?}"),
        }
    }

    /// The error message `pcall(f, ...)` returns (no position prefix).
    fn perr(call: &str) -> String {
        st(&format!(
            "local ok, e = pcall({call}) assert(not ok, 'no error') return e"
        ))
    }

    fn enc(lua_value: &str) -> String {
        st(&format!("return cjson.encode({lua_value})"))
    }

    #[test]
    fn module_fields_in_redis_pairs_order() {
        let code = "local t = {} for k, v in pairs(cjson) do t[#t+1] = k .. ':' .. type(v) end return table.concat(t, ' ')";
        let expected = "_NAME:string encode:function decode_max_depth:function _VERSION:string \
            decode_invalid_numbers:function encode_keep_buffer:function null:userdata \
            encode_number_precision:function new:function encode_max_depth:function \
            encode_invalid_numbers:function decode:function encode_sparse_array:function";
        assert_eq!(st(code), expected);
        assert_eq!(
            st("return cjson._NAME .. ' ' .. cjson._VERSION"),
            "cjson 2.1.0"
        );
        assert_eq!(st("return tostring(cjson.null)"), "userdata: (nil)");
        let lua = vm();
        let null: Value = lua.load("return cjson.null").eval().unwrap();
        assert_eq!(null, Value::LightUserData(LightUserData(ptr::null_mut())));
    }

    #[test]
    fn encode_scalars() {
        assert_eq!(enc("true"), "true");
        assert_eq!(enc("false"), "false");
        assert_eq!(enc("nil"), "null");
        assert_eq!(enc("cjson.null"), "null");
        assert_eq!(enc("''"), "\"\"");
        assert_eq!(enc("3"), "3");
        assert_eq!(enc("-0"), "-0");
        assert_eq!(enc("0.1"), "0.1");
        assert_eq!(enc("0.1 + 0.2"), "0.3");
        assert_eq!(enc("-1.5"), "-1.5");
        assert_eq!(enc("1e-5"), "1e-05");
        assert_eq!(enc("1e-4"), "0.0001");
        assert_eq!(enc("1e300"), "1e+300");
        assert_eq!(enc("1e15"), "1e+15");
        assert_eq!(enc("100000000000000"), "1e+14");
        assert_eq!(enc("12345678901234"), "12345678901234");
        assert_eq!(enc("123456789012345"), "1.2345678901234e+14");
        assert_eq!(enc("2^53"), "9.007199254741e+15");
        assert_eq!(enc("5e-324"), "4.9406564584125e-324");
    }

    #[test]
    fn encode_string_escapes() {
        assert_eq!(
            s(r#"return cjson.encode('a/b\1\31\127\128\255"\\')"#),
            b"\"a\\/b\\u0001\\u001f\\u007f\x80\xff\\\"\\\\\""
        );
        assert_eq!(
            s(r#"return cjson.encode('\8\9\10\11\12\13\0')"#),
            b"\"\\b\\t\\n\\u000b\\f\\r\\u0000\""
        );
        assert_eq!(
            s(r#"return cjson.encode({'\240\159\152\128'})"#),
            b"[\"\xf0\x9f\x98\x80\"]"
        );
    }

    #[test]
    fn encode_tables() {
        assert_eq!(enc("{}"), "{}");
        assert_eq!(enc("{1, 2, 3}"), "[1,2,3]");
        assert_eq!(enc("{{}, {{}}}"), "[{},[{}]]");
        assert_eq!(enc("{cjson.null, false}"), "[null,false]");
        assert_eq!(enc("{1, 'a', {b = {}}}"), r#"[1,"a",{"b":{}}]"#);
        assert_eq!(enc("{[1] = 1, [2] = 2, [4] = 4}"), "[1,2,null,4]");
        assert_eq!(
            enc("{[10] = 1}"),
            "[null,null,null,null,null,null,null,null,null,1]"
        );
        assert_eq!(enc("{[0] = 1}"), r#"{"0":1}"#);
        assert_eq!(enc("{[-1] = 1}"), r#"{"-1":1}"#);
        assert_eq!(enc("{[1.5] = 1}"), r#"{"1.5":1}"#);
        assert_eq!(enc("{[-0.5] = 1}"), r#"{"-0.5":1}"#);
        assert_eq!(enc("{[1e20] = 1}"), r#"{"1e+20":1}"#);
        assert_eq!(enc("{[1] = 1, a = 2}"), r#"{"1":1,"a":2}"#);
        assert_eq!(enc("{['a b'] = 'c\\nd'}"), r#"{"a b":"c\nd"}"#);
        // Metatables are ignored: only raw contents count.
        assert_eq!(
            enc("setmetatable({}, {__index = function() return 1 end})"),
            "{}"
        );
        assert_eq!(
            enc("{setmetatable({}, {__len = function() return 3 end})}"),
            "[{}]"
        );
        // Keys of 2^31 and beyond overflow C's int: the table is an object.
        assert_eq!(enc("{[2^31] = 1}"), r#"{"2147483648":1}"#);
        assert_eq!(enc("{[2^32 + 5] = 1}"), r#"{"4294967301":1}"#);
        assert_eq!(enc("{[1] = 1, [2^31] = 2}"), r#"{"1":1,"2147483648":2}"#);
        // Object key order is the table's `next` order, as in Redis.
        assert_eq!(
            st("local t = {} for i = 1, 20 do t['k' .. i] = i end return cjson.encode(t)"),
            r#"{"k16":16,"k19":19,"k11":11,"k17":17,"k15":15,"k20":20,"k10":10,"k8":8,"k1":1,"k12":12,"k3":3,"k2":2,"k9":9,"k13":13,"k18":18,"k14":14,"k6":6,"k7":7,"k4":4,"k5":5}"#
        );
    }

    #[test]
    fn encode_errors() {
        assert_eq!(
            err("return cjson.encode({[1] = 1, [20] = 2})"),
            "user_script:1: Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            perr("cjson.encode, {[11] = 1}"),
            "Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            err("return cjson.encode(1/0)"),
            "user_script:1: Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            perr("cjson.encode, 0/0"),
            "Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            perr("cjson.encode, {[1/0] = 1}"),
            "Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            perr("cjson.encode, {[true] = 1}"),
            "Cannot serialise boolean: table key must be a number or string"
        );
        assert_eq!(
            perr("cjson.encode, {[{}] = 1}"),
            "Cannot serialise table: table key must be a number or string"
        );
        assert_eq!(
            perr("cjson.encode, {[tostring] = 1}"),
            "Cannot serialise function: table key must be a number or string"
        );
        assert_eq!(
            perr("cjson.encode, tostring"),
            "Cannot serialise function: type not supported"
        );
        assert_eq!(
            perr("cjson.encode, {tostring}"),
            "Cannot serialise function: type not supported"
        );
        assert_eq!(
            perr("cjson.encode, coroutine.create(function() end)"),
            "Cannot serialise thread: type not supported"
        );
        assert_eq!(
            perr("cjson.encode, {[coroutine.create(function() end)] = 1}"),
            "Cannot serialise thread: table key must be a number or string"
        );
        assert_eq!(
            err("return cjson:encode()"),
            "user_script:1: Cannot serialise function: type not supported"
        );
    }

    #[test]
    fn argument_errors_name_the_function_as_called() {
        assert_eq!(
            err("return cjson.encode()"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
        assert_eq!(
            err("return cjson.encode(1, 2)"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
        assert_eq!(
            err("local f = cjson.encode return f()"),
            "user_script:1: bad argument #1 to 'f' (expected 1 argument)"
        );
        assert_eq!(
            perr("cjson.encode"),
            "bad argument #1 to '?' (expected 1 argument)"
        );
        assert_eq!(
            err("return cjson.decode()"),
            "user_script:1: bad argument #1 to 'decode' (expected 1 argument)"
        );
        assert_eq!(
            err("return cjson.decode(1, 2)"),
            "user_script:1: bad argument #1 to 'decode' (expected 1 argument)"
        );
        assert_eq!(
            err("return cjson.decode({})"),
            "user_script:1: bad argument #1 to 'decode' (string expected, got table)"
        );
        assert_eq!(
            err("return cjson.decode(nil)"),
            "user_script:1: bad argument #1 to 'decode' (string expected, got nil)"
        );
        assert_eq!(
            err("return cjson:decode()"),
            "user_script:1: calling 'decode' on bad self (string expected, got table)"
        );
    }

    #[test]
    fn encode_depth_limits() {
        assert_eq!(
            perr("cjson.encode, (function() local t = {} t[1] = t return t end)()"),
            "Cannot serialise, excessive nesting (1001)"
        );
        assert_eq!(
            st("local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t) .. ''"),
            "2000"
        );
        assert_eq!(
            st("local t = {} local c = t for i = 1, 1000 do c.a = {} c = c.a end local ok, e = pcall(cjson.encode, t) return e"),
            "Cannot serialise, excessive nesting (1001)"
        );
        // Past the configured limit, Lua's stack limit decides the depth.
        let deep = |make: &str| {
            st(&format!(
                "local c = cjson.new() c.encode_max_depth(100000) local t = {{}} local x = t \
                 for i = 1, 9000 do {make} end local ok, e = pcall(c.encode, t) return e"
            ))
        };
        assert_eq!(
            deep("x[1] = {} x = x[1]"),
            "Cannot serialise, excessive nesting (7998)"
        );
        assert_eq!(
            deep("x.a = {} x = x.a"),
            "Cannot serialise, excessive nesting (4000)"
        );
        assert_eq!(
            deep("x.a = {{}} x = x.a[1]"),
            "Cannot serialise, excessive nesting (5332)"
        );
    }

    #[test]
    fn encode_options() {
        assert_eq!(
            st("local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({1/0, -1/0, 0/0, -(0/0)})"),
            "[inf,-inf,nan,nan]"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_invalid_numbers('null') return c.encode({1/0, -1/0, 0/0, [4] = 5})"),
            "[null,null,null,5]"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_invalid_numbers('null') return c.encode({[1/0] = 1})"),
            r#"{"null":1}"#
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_invalid_numbers('on') return c.encode({[1/0] = 1})"),
            r#"{"inf":1}"#
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_number_precision(3) return c.encode({3.14159, 1234567, 0.0001234, 100, 1e-5, [6] = 123.456})"),
            "[3.14,1.23e+06,0.000123,100,1e-05,123]"
        );
        // Ties round to even on the exact binary value, as glibc does.
        assert_eq!(
            st("local c = cjson.new() c.encode_number_precision(1) return c.encode({3.14159, 1234567, 0.5, 95, 0.95, 15, 25, 35})"),
            "[3,1e+06,0.5,1e+02,0.9,2e+01,2e+01,4e+01]"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1] = 1, [20] = 2})"),
            r#"{"1":1,"20":2}"#
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[1] = 1, [5] = 2})"),
            "[1,null,null,null,2]"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(false, 1, 0) local ok, e = pcall(c.encode, {[1] = 1, [3] = 2}) return e"),
            "Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(false, 1, 0) return c.encode({1, 2, 3})"),
            "[1,2,3]"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(false, 3, 2) return c.encode({[1] = 1, [3] = 2})"),
            "[1,null,2]"
        );
        // items * ratio overflows C's int and wraps, as in Redis.
        assert_eq!(
            st("local c = cjson.new() c.encode_sparse_array(false, 2147483647, 0) local ok, e = pcall(c.encode, {[1] = 1, [3] = 2}) return e"),
            "Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            st("local c = cjson.new() c.encode_keep_buffer(false) local a = c.encode({1}) c.encode_keep_buffer(true) return a .. c.encode({2})"),
            "[1][2]"
        );
    }

    #[test]
    fn decode_values() {
        let lua = vm();
        let t: Table = run(
            &lua,
            r#"return cjson.decode('[1,"a",[2,3],{"x":1},true,false,null]')"#,
        )
        .unwrap()
        .as_table()
        .unwrap()
        .clone();
        assert_eq!(t.raw_len(), 7);
        assert_eq!(t.raw_get::<f64>(1).unwrap(), 1.0);
        assert_eq!(t.raw_get::<String>(2).unwrap(), "a");
        assert_eq!(
            t.raw_get::<Table>(3).unwrap().raw_get::<f64>(2).unwrap(),
            3.0
        );
        assert_eq!(
            t.raw_get::<Table>(4).unwrap().raw_get::<f64>("x").unwrap(),
            1.0
        );
        assert_eq!(t.raw_get::<Value>(5).unwrap(), Value::Boolean(true));
        assert_eq!(t.raw_get::<Value>(6).unwrap(), Value::Boolean(false));
        assert_eq!(
            t.raw_get::<Value>(7).unwrap(),
            Value::LightUserData(LightUserData(ptr::null_mut()))
        );
        assert_eq!(
            st("return tostring(cjson.decode('null') == cjson.null)"),
            "true"
        );
        assert_eq!(st("return #cjson.decode('[1,null,3]') .. ''"), "3");
        assert_eq!(st("return cjson.decode('{\"a\":1,\"a\":2}').a .. ''"), "2");
        assert_eq!(
            st("return type(cjson.decode('{}')) .. type(cjson.decode('[]'))"),
            "tabletable"
        );
        assert_eq!(st("return cjson.decode(' \\t\\r\\n\"x\" ')"), "x");
        // Decoded objects are built like Redis's, so they iterate alike.
        assert_eq!(
            st(
                r#"local t = cjson.decode('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}')
                 local r = {} for k in pairs(t) do r[#r+1] = k end return table.concat(r)"#
            ),
            "acbedgfihj"
        );
        assert_eq!(
            st(r#"return cjson.encode(cjson.decode('{"10":1,"2":2,"x":3,"1":4,"y":{}}'))"#),
            r#"{"1":4,"x":3,"2":2,"y":{},"10":1}"#
        );
        // A number argument is decoded from its tostring form.
        assert_eq!(st("return tostring(cjson.decode(-0))"), "-0");
        assert_eq!(st("return cjson.encode(cjson.decode(1e100))"), "1e+100");
        // The document ends at the first NUL, as in the C string cjson scans.
        assert_eq!(st("return cjson.encode(cjson.decode('[1]\\0xx'))"), "[1]");
    }

    #[test]
    fn decode_strings() {
        assert_eq!(s(r#"return cjson.decode('"\\u0041"')"#), b"A");
        assert_eq!(
            s(r#"return cjson.decode('"\\ud83d\\ude00"')"#),
            "😀".as_bytes()
        );
        assert_eq!(
            s(r#"return cjson.decode('"\\uDBFF\\uDFFF"')"#),
            b"\xf4\x8f\xbf\xbf"
        );
        assert_eq!(s(r#"return cjson.decode('"\\uFFFF"')"#), b"\xef\xbf\xbf");
        assert_eq!(
            s(r#"return cjson.decode('"\\u07FF\\u0800"')"#),
            b"\xdf\xbf\xe0\xa0\x80"
        );
        assert_eq!(
            s(r#"return cjson.decode('"\\u007F\\u0080"')"#),
            b"\x7f\xc2\x80"
        );
        assert_eq!(
            s(r#"return cjson.decode('"\\u00e9\\u0000z"')"#),
            b"\xc3\xa9\x00z"
        );
        assert_eq!(
            s(r#"return cjson.decode('"\\/\\b\\f\\n\\r\\t\\"\\\\"')"#),
            b"/\x08\x0c\n\r\t\"\\"
        );
        // Control characters and invalid UTF-8 pass through.
        assert_eq!(
            s(r#"return cjson.decode('"a\1b\127\255\254"')"#),
            b"a\x01b\x7f\xff\xfe"
        );
    }

    #[test]
    fn decode_errors() {
        let cases: &[(&str, &str)] = &[
            ("'['", "Expected value but found T_END at character 2"),
            (
                "'x'",
                "Expected value but found invalid token at character 1",
            ),
            ("''", "Expected value but found T_END at character 1"),
            ("'  '", "Expected value but found T_END at character 3"),
            (
                "'{'",
                "Expected object key string but found T_END at character 2",
            ),
            ("'{\"a\"'", "Expected colon but found T_END at character 5"),
            ("'{\"a\":'", "Expected value but found T_END at character 6"),
            (
                "'{\"a\":1'",
                "Expected comma or object end but found T_END at character 7",
            ),
            (
                "'{\"a\":1,'",
                "Expected object key string but found T_END at character 8",
            ),
            (
                "'{1:2}'",
                "Expected object key string but found T_NUMBER at character 2",
            ),
            (
                "'{\"a\" 1}'",
                "Expected colon but found T_NUMBER at character 6",
            ),
            (
                "'{\"a\":1 \"b\"}'",
                "Expected comma or object end but found T_STRING at character 8",
            ),
            (
                "'{\"a\":1,}'",
                "Expected object key string but found T_OBJ_END at character 8",
            ),
            (
                "'{,}'",
                "Expected object key string but found T_COMMA at character 2",
            ),
            (
                "'{\"a\":}'",
                "Expected value but found T_OBJ_END at character 6",
            ),
            (
                "'[1,]'",
                "Expected value but found T_ARR_END at character 4",
            ),
            (
                "'[1 2]'",
                "Expected comma or array end but found T_NUMBER at character 4",
            ),
            (
                "'[1,2'",
                "Expected comma or array end but found T_END at character 5",
            ),
            ("'[,]'", "Expected value but found T_COMMA at character 2"),
            ("']'", "Expected value but found T_ARR_END at character 1"),
            ("'}'", "Expected value but found T_OBJ_END at character 1"),
            ("':'", "Expected value but found T_COLON at character 1"),
            (
                "'[1] x'",
                "Expected the end but found invalid token at character 5",
            ),
            (
                "'[1] ['",
                "Expected the end but found T_ARR_BEGIN at character 5",
            ),
            (
                "'\"abc'",
                "Expected value but found unexpected end of string at character 5",
            ),
            (
                "'\"a\\0b\"'",
                "Expected value but found unexpected end of string at character 3",
            ),
            (
                "'\"a\\\\x\"'",
                "Expected value but found invalid escape code at character 3",
            ),
            (
                "'\"\\\\U0041\"'",
                "Expected value but found invalid escape code at character 2",
            ),
            (
                "'\"abc\\\\'",
                "Expected value but found invalid escape code at character 5",
            ),
            (
                "'\"a\\\\u12\"'",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "'\"\\\\uzzzz\"'",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "'\"a\\\\ud800\"'",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "'\"a\\\\udc00\"'",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "'\"\\\\ud800\\\\u0041\"'",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "'[\"\\\\ud800\"]'",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "'tru'",
                "Expected value but found invalid token at character 1",
            ),
            (
                "'[TRUE]'",
                "Expected value but found invalid token at character 2",
            ),
            (
                "'nullx'",
                "Expected the end but found invalid token at character 5",
            ),
            (
                "'\\f1'",
                "Expected value but found invalid token at character 1",
            ),
            (
                "'-'",
                "Expected value but found invalid number at character 1",
            ),
            (
                "'[-]'",
                "Expected value but found invalid number at character 2",
            ),
            (
                "'+ 1'",
                "Expected value but found invalid number at character 1",
            ),
            (
                "'.5'",
                "Expected value but found invalid token at character 1",
            ),
            (
                "'1e'",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "'1.5.5'",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "'0x'",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "'0x1p+'",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "'infinit'",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "'[in]'",
                "Expected value but found invalid token at character 2",
            ),
            ("'a\\0'", "JSON parser does not support UTF-16 or UTF-32"),
            ("'\\0a'", "JSON parser does not support UTF-16 or UTF-32"),
            ("'\\0'", "Expected value but found T_END at character 1"),
        ];
        for (arg, msg) in cases {
            assert_eq!(perr(&format!("cjson.decode, {arg}")), *msg, "decode({arg})");
            assert_eq!(
                err(&format!("return cjson.decode({arg})")),
                format!("user_script:1: {msg}"),
                "decode({arg})"
            );
        }
    }

    #[test]
    fn decode_depth_limits() {
        assert_eq!(
            st("return type(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))"),
            "table"
        );
        assert_eq!(
            perr("cjson.decode, string.rep('[', 1001)"),
            "Found too many nested data structures (1001) at character 1001"
        );
        assert_eq!(
            perr("cjson.decode, '  ' .. string.rep('[', 1001)"),
            "Found too many nested data structures (1001) at character 1003"
        );
        assert_eq!(
            perr("cjson.decode, string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001)"),
            "Found too many nested data structures (1001) at character 5001"
        );
        let with = |depth: u32, doc: &str| {
            st(&format!(
                "local c = cjson.new() c.decode_max_depth({depth}) local ok, e = pcall(c.decode, {doc}) return ok and 'ok' or e"
            ))
        };
        assert_eq!(
            with(2, "'[[[]]]'"),
            "Found too many nested data structures (3) at character 3"
        );
        assert_eq!(
            with(2, "'[{\"a\":[]}]'"),
            "Found too many nested data structures (3) at character 7"
        );
        assert_eq!(with(2, "'[{\"a\":1}]'"), "ok");
        // Past the configured limit, Lua's stack limit decides the depth.
        assert_eq!(
            with(100000, "string.rep('[', 9000)"),
            "Found too many nested data structures (7999) at character 7999"
        );
        assert_eq!(
            with(100000, "string.rep('[', 7998) .. string.rep(']', 7998)"),
            "ok"
        );
        assert_eq!(
            with(100000, "string.rep('{\"\":', 9000)"),
            "Found too many nested data structures (4000) at character 15997"
        );
        assert_eq!(
            with(100000, "string.rep('[{\"\":', 9000)"),
            "Found too many nested data structures (5333) at character 13331"
        );
    }

    fn num(code: &str) -> f64 {
        match run(&vm(), code) {
            Ok(Value::Number(n)) => n,
            Ok(Value::Integer(i)) => i as f64,
            other => panic!("{code}: expected a number, got {other:?}"),
        }
    }

    fn dec(json: &str) -> f64 {
        num(&format!("return cjson.decode('{json}')"))
    }

    #[test]
    fn decode_numbers_as_strtod_reads_them() {
        assert_eq!(dec("1e5"), 1e5);
        assert_eq!(dec("1E+5"), 1e5);
        assert_eq!(dec("01"), 1.0);
        assert_eq!(dec("-01"), -1.0);
        assert_eq!(dec("1."), 1.0);
        assert_eq!(dec("+1"), 1.0);
        assert_eq!(dec("+.5"), 0.5);
        assert_eq!(dec("-.5"), -0.5);
        assert_eq!(dec("0x10"), 16.0);
        assert_eq!(dec("0X1f"), 31.0);
        assert_eq!(dec("-0x10"), -16.0);
        assert_eq!(dec("0x1p4"), 16.0);
        assert_eq!(dec("0x1.8"), 1.5);
        assert_eq!(dec("0x.8"), 0.5);
        assert_eq!(dec("1e400"), f64::INFINITY);
        assert_eq!(dec("inf"), f64::INFINITY);
        assert_eq!(dec("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(dec("+inf"), f64::INFINITY);
        assert_eq!(num("return cjson.decode('[Inf]')[1]"), f64::INFINITY);
    }

    #[test]
    fn decode_number_bits() {
        let bits = |json: &str| dec(json).to_bits();
        assert_eq!(bits("-0"), (-0.0f64).to_bits());
        assert_eq!(bits("-1e-400"), (-0.0f64).to_bits());
        assert_eq!(bits("nan"), 0x7ff8_0000_0000_0000);
        assert_eq!(bits("-nan"), 0xfff8_0000_0000_0000);
        assert_eq!(bits("nan(0x123)"), 0x7ff8_0000_0000_0123);
        assert_eq!(bits("nan(123)"), 0x7ff8_0000_0000_007b);
        assert_eq!(bits("nan(0123)"), 0x7ff8_0000_0000_0053);
        assert_eq!(bits("nan(abc)"), 0x7ff8_0000_0000_0000);
        assert_eq!(bits("nan(12_3)"), 0x7ff8_0000_0000_0000);
        assert_eq!(bits("nan(0xfffffffffffffffff)"), 0x7fff_ffff_ffff_ffff);
        assert_eq!(bits("-nan(5)"), 0xfff8_0000_0000_0005);
        assert_eq!(dec("0x1.fffffffffffff8p0"), 2.0);
        assert_eq!(dec("0x1.fffffffffffff7p0"), 1.9999999999999998);
        assert_eq!(dec("0x1.00000000000008p0"), 1.0);
        assert_eq!(dec("0x1.00000000000008000001p0"), 1.0000000000000002);
        assert_eq!(dec("0x1p1024"), f64::INFINITY);
        assert_eq!(dec("0x1.fffffffffffff8p1023"), f64::INFINITY);
        assert_eq!(dec("0x1.fffffffffffffp1023"), f64::MAX);
        assert_eq!(bits("0x0.0000000000001p-1022"), 1);
        assert_eq!(bits("0x0.00000000000008p-1022"), 0);
        assert_eq!(bits("0x0.00000000000008000001p-1022"), 1);
        assert_eq!(dec("2.2250738585072011e-308"), 2.225_073_858_507_201e-308);
        assert_eq!(
            dec("123456789012345678901234567890e-10"),
            1.2345678901234567e19
        );
    }

    #[test]
    fn strict_numbers_when_decode_invalid_numbers_is_off() {
        let e = |json: &str| {
            st(&format!(
                "local c = cjson.new() c.decode_invalid_numbers(false) local ok, e = pcall(c.decode, '{json}') return ok and cjson.encode(e) or e"
            ))
        };
        for json in [
            "0x10",
            "01",
            "-01",
            "00",
            "-inf",
            "-Infinity",
            "-0x1",
            "0x",
            "-",
        ] {
            assert_eq!(
                e(json),
                "Expected value but found invalid number at character 1",
                "{json}"
            );
        }
        for json in ["inf", "nan", "+1", "INF", ".5"] {
            assert_eq!(
                e(json),
                "Expected value but found invalid token at character 1",
                "{json}"
            );
        }
        assert_eq!(
            e("1.5x"),
            "Expected the end but found invalid token at character 4"
        );
        assert_eq!(e("-0.5e3"), "-500");
        assert_eq!(e("0"), "0");
        assert_eq!(e("1."), "1");
        assert_eq!(e("0e5"), "0");
    }

    #[test]
    fn option_functions() {
        assert_eq!(st("local c = cjson.new() local a, b, d = c.encode_sparse_array() return tostring(a) .. b .. d"), "false210");
        assert_eq!(st("local c = cjson.new() local a, b, d = c.encode_sparse_array('on', 3, 4) return tostring(a) .. b .. d"), "true34");
        assert_eq!(st("local c = cjson.new() return c.encode_max_depth() .. c.decode_max_depth() .. c.encode_number_precision()"), "1000100014");
        assert_eq!(st("local c = cjson.new() return tostring(c.encode_keep_buffer()) .. tostring(c.encode_invalid_numbers()) .. tostring(c.decode_invalid_numbers())"), "truefalsetrue");
        assert_eq!(
            st("local c = cjson.new() return c.encode_invalid_numbers('null')"),
            "null"
        );
        assert_eq!(
            st("local c = cjson.new() return tostring(c.encode_invalid_numbers('on'))"),
            "true"
        );
        assert_eq!(
            st("local c = cjson.new() return tostring(c.decode_invalid_numbers('off'))"),
            "false"
        );
        // Numbers and numeric strings are truncated, then wrapped to C's int.
        assert_eq!(st("local c = cjson.new() return c.encode_max_depth('7') .. c.encode_max_depth(7.9) .. c.encode_max_depth(2^32 + 5) .. c.encode_max_depth(' 0x10 ')"), "77516");
        // A C string comparison: the option ends at a NUL.
        assert_eq!(
            st("local c = cjson.new() return tostring(c.encode_keep_buffer('off\\0x'))"),
            "false"
        );
        // Options are per instance.
        assert_eq!(st("local c = cjson.new() c.encode_max_depth(3) return c.encode_max_depth() .. ' ' .. cjson.encode_max_depth()"), "3 1000");
        assert_eq!(
            st("return tostring(cjson.new().encode == cjson.encode)"),
            "false"
        );
        assert_eq!(st("return cjson.new(1, 2, 3).encode({1})"), "[1]");
        // An error in a later argument keeps the earlier ones.
        assert_eq!(st("local c = cjson.new() pcall(c.encode_sparse_array, true, -1) local a, b, d = c.encode_sparse_array() return tostring(a) .. b .. d"), "true210");
    }

    #[test]
    fn option_errors() {
        let cases: &[(&str, &str)] = &[
            ("cjson.encode_max_depth(0)", "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"),
            ("cjson.decode_max_depth(-5)", "bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)"),
            ("cjson.encode_max_depth('x')", "bad argument #1 to 'encode_max_depth' (number expected, got string)"),
            ("cjson.encode_max_depth(true)", "bad argument #1 to 'encode_max_depth' (number expected, got boolean)"),
            ("cjson.encode_max_depth(1, 2)", "bad argument #2 to 'encode_max_depth' (found too many arguments)"),
            ("cjson.encode_number_precision(15)", "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"),
            ("cjson.encode_number_precision(0)", "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"),
            ("cjson.encode_sparse_array(1)", "bad argument #1 to 'encode_sparse_array' (invalid option '1')"),
            ("cjson.encode_sparse_array({})", "bad argument #1 to 'encode_sparse_array' (string expected, got table)"),
            ("cjson.encode_sparse_array(nil, -1)", "bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"),
            ("cjson.encode_sparse_array(nil, nil, -1)", "bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"),
            ("cjson.encode_sparse_array(nil, 'x')", "bad argument #2 to 'encode_sparse_array' (number expected, got string)"),
            ("cjson.encode_sparse_array(nil, nil, 'x')", "bad argument #3 to 'encode_sparse_array' (number expected, got string)"),
            ("cjson.encode_sparse_array(nil, nil, nil, nil)", "bad argument #4 to 'encode_sparse_array' (found too many arguments)"),
            ("cjson.encode_keep_buffer('yes')", "bad argument #1 to 'encode_keep_buffer' (invalid option 'yes')"),
            ("cjson.encode_keep_buffer(1.5)", "bad argument #1 to 'encode_keep_buffer' (invalid option '1.5')"),
            ("cjson.encode_keep_buffer('of\\0x')", "bad argument #1 to 'encode_keep_buffer' (invalid option 'of')"),
            ("cjson.encode_invalid_numbers('maybe')", "bad argument #1 to 'encode_invalid_numbers' (invalid option 'maybe')"),
            ("cjson.decode_invalid_numbers('null')", "bad argument #1 to 'decode_invalid_numbers' (invalid option 'null')"),
        ];
        for (call, msg) in cases {
            assert_eq!(
                err(&format!("return {call}")),
                format!("user_script:1: {msg}"),
                "{call}"
            );
        }
        assert_eq!(
            perr("cjson.encode_max_depth, 0"),
            "bad argument #1 to '?' (expected integer between 1 and 2147483647)"
        );
        assert_eq!(
            s("local ok, e = pcall(cjson.encode_keep_buffer, '\\255') return e"),
            b"bad argument #1 to '?' (invalid option '\xff')"
        );
    }

    #[test]
    fn works_inside_coroutines_and_keeps_options_between_chunks() {
        assert_eq!(
            st("return coroutine.wrap(function() return cjson.encode({cjson.decode('[1,2]'), 'x'}) end)()"),
            r#"[[1,2],"x"]"#
        );
        assert_eq!(
            st("local co = coroutine.wrap(function() local ok, e = pcall(cjson.decode, '[') return e end) return co()"),
            "Expected value but found T_END at character 2"
        );
        // Options live in the VM, as in Redis (until SCRIPT FLUSH).
        let lua = vm();
        run(&lua, "cjson.encode_max_depth(2)").unwrap();
        let e = run(&lua, "local ok, e = pcall(cjson.encode, {{{}}}) return e").unwrap();
        assert_eq!(
            e.as_string().unwrap().to_str().unwrap(),
            "Cannot serialise, excessive nesting (3)"
        );
    }

    #[test]
    fn format_g_matches_printf_samples() {
        let g = |v: f64, p: usize| {
            let mut out = Vec::new();
            format_g(&mut out, v, p);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(g(0.0, 14), "0");
        assert_eq!(g(-0.0, 14), "-0");
        assert_eq!(g(f64::NAN, 14), "nan");
        assert_eq!(g(-f64::NAN, 14), "-nan");
        assert_eq!(g(f64::NEG_INFINITY, 14), "-inf");
        assert_eq!(g(1e14, 14), "1e+14");
        assert_eq!(g(99999999999999.0, 14), "99999999999999");
        assert_eq!(g(999999999999995.0, 14), "1e+15");
        assert_eq!(g(999999999999985.0, 14), "9.9999999999998e+14");
        assert_eq!(g(0.5, 1), "0.5");
        assert_eq!(g(2.5, 1), "2");
        assert_eq!(g(0.000123456, 3), "0.000123");
        assert_eq!(g(123456.0, 6), "123456");
        assert_eq!(g(1234567.0, 6), "1.23457e+06");
        assert_eq!(g(-1.0e-10, 14), "-1e-10");
    }

    /// Lua's own `string.format` and `tostring` call C's `sprintf`, so
    /// the C library is the oracle for `%.Ng`.
    fn c_format(lua: &Lua, v: f64, prec: usize) -> String {
        let f: Function = lua
            .load("return function(v, p) return string.format('%.' .. p .. 'g', v) end")
            .eval()
            .unwrap();
        f.call::<String>((v, prec)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn format_g_agrees_with_c(bits in any::<u64>(), prec in 1usize..=14) {
            let v = f64::from_bits(bits);
            let lua = Lua::new();
            let mut out = Vec::new();
            format_g(&mut out, v, prec);
            prop_assert_eq!(String::from_utf8(out).unwrap(), c_format(&lua, v, prec));
        }

        #[test]
        fn format_g_agrees_with_c_on_short_numbers(m in -1_000_000_000i64..1_000_000_000, e in -30i32..30, prec in 1usize..=14) {
            let v = m as f64 * 10f64.powi(e);
            let lua = Lua::new();
            let mut out = Vec::new();
            format_g(&mut out, v, prec);
            prop_assert_eq!(String::from_utf8(out).unwrap(), c_format(&lua, v, prec));
        }

        /// Lua 5.1's `tonumber` is C's `strtod` on the whole string.
        #[test]
        fn strtod_agrees_with_c(text in "[-+]?(0[xX][0-9a-fA-F]{0,20}(\\.[0-9a-fA-F]{0,20})?([pP][-+]?[0-9]{1,4})?|[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{1,3})?|inf|nan|infinity)") {
            let lua = Lua::new();
            let c: Option<f64> = lua
                .load("return function(s) return tonumber(s) end")
                .eval::<Function>()
                .unwrap()
                .call::<Option<f64>>(text.as_str())
                .unwrap();
            let mine = strtod(text.as_bytes(), 0).filter(|&(_, end)| end == text.len()).map(|(v, _)| v);
            match (c, mine) {
                (Some(a), Some(b)) => prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{} -> C {:e}, mine {:e}", text, a, b),
                (None, None) => {}
                (a, b) => prop_assert!(false, "{}: C {:?}, mine {:?}", text, a, b),
            }
        }

        #[test]
        fn decode_survives_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let lua = vm();
            let f: Function = lua.load("return function(s) return pcall(cjson.decode, s) end").eval().unwrap();
            let (ok, v): (bool, Value) = f.call(lua.create_string(&data).unwrap()).unwrap();
            if !ok {
                let msg = match v {
                    Value::String(s) => s.to_string_lossy(),
                    other => panic!("error is not a string: {other:?}"),
                };
                prop_assert!(
                    msg.starts_with("Expected ") || msg.starts_with("JSON parser does not support"),
                    "{}", msg
                );
            }
        }
    }

    /// A JSON-able value for the round-trip property.
    #[derive(Clone, Debug, PartialEq)]
    enum J {
        Str(Vec<u8>),
        Num(f64),
        Bool(bool),
        Arr(Vec<J>),
        Obj(Vec<(Vec<u8>, J)>),
    }

    fn j_strategy() -> impl Strategy<Value = J> {
        let leaf = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(J::Str),
            (-10_000_000_000_000i64..10_000_000_000_000).prop_map(|n| J::Num(n as f64)),
            (-1_000_000i64..1_000_000).prop_map(|n| J::Num(n as f64 / 8.0)),
            any::<bool>().prop_map(J::Bool),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..5).prop_map(J::Arr),
                proptest::collection::btree_map("[a-z_]{0,4}", inner, 0..5).prop_map(|m| {
                    J::Obj(m.into_iter().map(|(k, v)| (k.into_bytes(), v)).collect())
                }),
            ]
        })
    }

    fn to_lua(lua: &Lua, j: &J) -> Value {
        match j {
            J::Str(s) => Value::String(lua.create_string(s).unwrap()),
            J::Num(n) => Value::Number(*n),
            J::Bool(b) => Value::Boolean(*b),
            J::Arr(items) => {
                let t = lua.create_table().unwrap();
                for (i, v) in items.iter().enumerate() {
                    t.raw_set(i + 1, to_lua(lua, v)).unwrap();
                }
                Value::Table(t)
            }
            J::Obj(items) => {
                let t = lua.create_table().unwrap();
                for (k, v) in items {
                    t.raw_set(lua.create_string(k).unwrap(), to_lua(lua, v))
                        .unwrap();
                }
                Value::Table(t)
            }
        }
    }

    /// Compares a decoded value with the model; an empty object and an
    /// empty array are the same empty table.
    fn same(lua: &Lua, j: &J, v: &Value) -> bool {
        match (j, v) {
            (J::Str(s), Value::String(l)) => l.as_bytes().as_ref() == s.as_slice(),
            (J::Num(n), Value::Number(m)) => n == m,
            (J::Num(n), Value::Integer(m)) => *n == *m as f64,
            (J::Bool(b), Value::Boolean(c)) => b == c,
            (J::Arr(items), Value::Table(t)) => {
                t.raw_len() == items.len()
                    && items
                        .iter()
                        .enumerate()
                        .all(|(i, x)| same(lua, x, &t.raw_get::<Value>(i + 1).unwrap()))
            }
            (J::Obj(items), Value::Table(t)) => {
                t.clone().pairs::<Value, Value>().count() == items.len()
                    && items.iter().all(|(k, x)| {
                        let key = lua.create_string(k).unwrap();
                        same(lua, x, &t.raw_get::<Value>(key).unwrap())
                    })
            }
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn encode_decode_round_trip(j in j_strategy()) {
            let lua = vm();
            let cjson: Table = lua.globals().get("cjson").unwrap();
            let encode: Function = cjson.get("encode").unwrap();
            let decode: Function = cjson.get("decode").unwrap();
            let text: mlua::LuaString = encode.call(to_lua(&lua, &j)).unwrap();
            let back: Value = decode.call(text.clone()).unwrap();
            prop_assert!(same(&lua, &j, &back), "{:?} -> {:?}", j, text.to_string_lossy());
            // Encoding what was decoded gives a document that decodes the same.
            let again: mlua::LuaString = encode.call(back).unwrap();
            let back2: Value = decode.call(again).unwrap();
            prop_assert!(same(&lua, &j, &back2));
        }
    }
}
