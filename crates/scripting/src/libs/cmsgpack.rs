//! The `cmsgpack` library: MessagePack for Lua values, behaving as
//! lua-cmsgpack 0.4.0 does inside Redis's Lua 5.1 VM.
//!
//! Encoding (`cmsgpack.pack(v1, ...)`, the encodings of all arguments
//! concatenated):
//! - numbers equal to a 64-bit integer take the smallest integer encoding
//!   (positive values unsigned, negative ones signed); any other number is
//!   a float 32 when it survives the round trip through `float`, else a
//!   float 64. `-0.0` is the integer 0.
//! - strings are fixstr / str 8 / str 16 / str 32 (never bin).
//! - a table whose keys are exactly 1..n (n >= 0, so `{}` too) is an array,
//!   any other table a map walked in `next` order; nested tables 16 levels
//!   deep are encoded as nil, which also cuts cycles.
//! - booleans are true / false; nil and every other type are nil.
//!
//! Decoding (`unpack`, `unpack_one`, `unpack_limit`) gives every integer and
//! float as a Lua number (uint 64 read as signed), str 8/16/32 as strings,
//! arrays and maps as tables; nil inside arrays leaves holes. bin, ext and
//! 0xc1 are `Bad data format in input.`, truncation is `Missing bytes in
//! input.`; a nil or NaN map key raises Lua's `table index is nil` / `table
//! index is NaN`.
//!
//! The functions are Lua C functions over the raw API: their errors must be
//! Lua strings with Lua's own argument-error text (`bad argument #0 to
//! 'pack' (...)`), which mlua callbacks cannot raise. They also use Lua's
//! stack exactly as the C original does and check it at the same points,
//! so the stack overflow errors a hostile input provokes come at the same
//! depth with the same text.
//!
//! Lua raises errors with `longjmp`, which must never skip a destructor.
//! Decoding owns nothing (a cursor over the input string, which stays at
//! stack index 1, and fixed arrays of plain data), so it may raise
//! anywhere. Encoding owns its output buffer, so while that exists it calls
//! no API function that can raise: the stack is reserved before, its
//! overflow checks are done by arithmetic, and the result is handed to Lua
//! through a protected call.

use std::cell::Cell;
use std::ffi::CStr;
use std::os::raw::c_int;

use mlua::{ffi, Function, Lua};

/// Registers the `cmsgpack` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: the closure only pushes two C functions and makes one a
    // closure of the other; `exec_raw` runs it protected.
    let pack: Function = unsafe {
        lua.exec_raw((), |l| {
            ffi::lua_pushcfunction(l, push_bytes);
            ffi::lua_pushcclosure(l, mp_pack, 1);
        })
    }?;
    // Filled in the C original's order so that `pairs(cmsgpack)` walks the
    // table in Redis's order.
    let table = lua.create_table()?;
    table.raw_set("pack", pack)?;
    let functions: [(&str, ffi::lua_CFunction); 3] = [
        ("unpack", mp_unpack),
        ("unpack_one", mp_unpack_one),
        ("unpack_limit", mp_unpack_limit),
    ];
    for (name, func) in functions {
        // SAFETY: each function follows the C API protocol and raises only
        // while it owns nothing.
        let function = unsafe { lua.create_c_function(func)? };
        table.raw_set(name, function)?;
    }
    table.raw_set("_NAME", "cmsgpack")?;
    table.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    table.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    table.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    lua.globals().set("cmsgpack", table)
}

/// Lua 5.1's limit on the stack slots of one C function (`LUAI_MAXCSTACK`).
const MAX_C_STACK: c_int = 8000;
/// Tables nested this deep are encoded as nil.
const MAX_NESTING: usize = 16;
/// Stack slots `pack` reserves before encoding: the argument copy, three
/// slots per nested map, two for the array check of the innermost table,
/// and room for the protected push.
const PACK_SLOTS: c_int = 1 + 3 * MAX_NESTING as c_int + 2 + 2;

/// 2^63, the first double past `i64`.
const TWO_63: f64 = (1u64 << 63) as f64;

/// `(int64_t)d` as x86-64 computes it: truncation, and `i64::MIN` for NaN
/// and anything out of range.
fn c_f64_to_i64(d: f64) -> i64 {
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// `(int)d` as x86-64 computes it: truncation, and `i32::MIN` for NaN and
/// anything out of range.
fn c_f64_to_i32(d: f64) -> i32 {
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&d) {
        i32::MIN
    } else {
        d as i32
    }
}

/// `(double)f`, with NaNs converted as the CPU does (sign and payload kept,
/// made quiet) rather than as Rust leaves unspecified.
fn f32_to_f64(f: f32) -> f64 {
    if f.is_nan() {
        let bits = f.to_bits();
        let sign = u64::from(bits >> 31) << 63;
        let payload = u64::from(bits & 0x007f_ffff) << 29;
        f64::from_bits(sign | 0x7ff8_0000_0000_0000 | payload)
    } else {
        f64::from(f)
    }
}

/// Appends the MessagePack encoding of an integer, in its smallest form.
fn encode_integer(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 0x7f {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends the encoding of a Lua number: an integer when it equals one, a
/// float 32 when that holds it exactly, else a float 64.
fn encode_number(out: &mut Vec<u8>, d: f64) {
    let i = c_f64_to_i64(d);
    if i as f64 == d {
        encode_integer(out, i);
        return;
    }
    let f = d as f32;
    if f64::from(f) == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

/// Appends the encoding of a string. Lengths past 32 bits wrap, as the C
/// original's byte extraction does.
fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// Appends an array (`map` false) or map header for `len` entries.
fn encode_header(out: &mut Vec<u8>, map: bool, len: usize) {
    let (fix, b16, b32) = if map {
        (0x80, 0xde, 0xdf)
    } else {
        (0x90, 0xdc, 0xdd)
    };
    if len <= 15 {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Encodes Lua values from the stack into one buffer.
struct Encoder {
    l: *mut ffi::lua_State,
    out: Vec<u8>,
    /// Stack slots the C original would be holding on top of ours: it
    /// pushes each argument's encoding as a string before packing the next
    /// one, which counts against the stack limit of its later checks.
    hidden: c_int,
}

/// The message of a stack check that failed, raised as `stack overflow
/// (<message>)` once the buffer is gone.
type Overflow = &'static CStr;

impl Encoder {
    /// The C original's `luaL_checkstack(L, slots, msg)`, by arithmetic:
    /// the slots are already reserved, and failing must not raise yet.
    ///
    /// # Safety
    /// `self.l` must be the state of the running `pack`.
    unsafe fn check_stack(&self, slots: c_int, msg: Overflow) -> Result<(), Overflow> {
        // SAFETY: the caller's contract.
        let top = unsafe { ffi::lua_gettop(self.l) };
        if top + self.hidden + slots > MAX_C_STACK {
            Err(msg)
        } else {
            Ok(())
        }
    }

    /// Encodes the value on the stack top and pops it.
    ///
    /// # Safety
    /// `self.l` must be the state of the running `pack`, with the slots for
    /// `MAX_NESTING - level` more levels reserved. Calls nothing that can
    /// raise.
    unsafe fn value(&mut self, level: usize) -> Result<(), Overflow> {
        let l = self.l;
        // SAFETY: the caller's contract; these calls only read the stack.
        unsafe {
            match ffi::lua_type(l, -1) {
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let p = ffi::lua_tolstring(l, -1, &mut len);
                    let s = std::slice::from_raw_parts(p.cast::<u8>(), len);
                    encode_string(&mut self.out, s);
                }
                ffi::LUA_TBOOLEAN => {
                    let b = ffi::lua_toboolean(l, -1) != 0;
                    self.out.push(if b { 0xc3 } else { 0xc2 });
                }
                ffi::LUA_TNUMBER => encode_number(&mut self.out, ffi::lua_tonumber(l, -1)),
                ffi::LUA_TTABLE if level < MAX_NESTING => self.table(level)?,
                _ => self.out.push(0xc0),
            }
            ffi::lua_settop(l, -2);
        }
        Ok(())
    }

    /// Whether the table on the stack top has exactly the keys 1..n. The C
    /// original tracks the largest key in an `int`; keys must also equal
    /// their conversion to `int`, so 2^31 and beyond make a map.
    ///
    /// # Safety
    /// As for [`Encoder::value`].
    unsafe fn is_array(&self) -> Result<bool, Overflow> {
        let l = self.l;
        // SAFETY: the caller's contract; `lua_next` cannot raise on a table
        // this walk leaves untouched.
        unsafe {
            self.check_stack(2, c"in function table_is_an_array")?;
            let mut count: i32 = 0;
            let mut max: i32 = 0;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                ffi::lua_settop(l, -2);
                let n = ffi::lua_tonumber(l, -1);
                if ffi::lua_type(l, -1) != ffi::LUA_TNUMBER
                    || n <= 0.0
                    || f64::from(c_f64_to_i32(n)) != n
                {
                    ffi::lua_settop(l, -2);
                    return Ok(false);
                }
                if n > f64::from(max) {
                    max = c_f64_to_i32(n);
                }
                count = count.wrapping_add(1);
            }
            Ok(max == count)
        }
    }

    /// Encodes the table on the stack top as an array or a map, leaving it
    /// there.
    ///
    /// # Safety
    /// As for [`Encoder::value`].
    unsafe fn table(&mut self, level: usize) -> Result<(), Overflow> {
        let l = self.l;
        // SAFETY: the caller's contract; raw reads never raise.
        unsafe {
            if self.is_array()? {
                self.check_stack(1, c"in function mp_encode_lua_table_as_array")?;
                let len = ffi::lua_objlen(l, -1);
                encode_header(&mut self.out, false, len);
                for j in 1..=len {
                    let Ok(j) = c_int::try_from(j) else { break };
                    ffi::lua_rawgeti_(l, -1, j);
                    self.value(level + 1)?;
                }
            } else {
                self.check_stack(3, c"in function mp_encode_lua_table_as_map")?;
                let mut len = 0usize;
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, -2) != 0 {
                    ffi::lua_settop(l, -2);
                    len += 1;
                }
                encode_header(&mut self.out, true, len);
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, -2) != 0 {
                    ffi::lua_pushvalue(l, -2);
                    self.value(level + 1)?;
                    self.value(level + 1)?;
                }
            }
        }
        Ok(())
    }
}

thread_local! {
    /// The bytes [`push_bytes`] pushes: set by `pack` only around its
    /// protected call. Scripts cannot reach a C function's upvalues even
    /// with the debug library, and were the helper called some other way,
    /// it would push an empty string rather than trust its arguments.
    static PENDING: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

/// Pushes the pending bytes as a string; called by `pack` through
/// `lua_pcall` so that an allocation failure comes back as a status
/// instead of unwinding past the buffer's owner.
unsafe extern "C-unwind" fn push_bytes(l: *mut ffi::lua_State) -> c_int {
    let (ptr, len) = PENDING.with(Cell::get);
    let (ptr, len) = if ptr.is_null() {
        (c"".as_ptr().cast::<u8>(), 0)
    } else {
        (ptr, len)
    };
    // SAFETY: a C function's first push has its slot; a non-null pending
    // pointer is `pack`'s live buffer, and Lua copies it before any
    // finalizer could run another `pack`.
    unsafe { ffi::lua_pushlstring(l, ptr.cast(), len) };
    1
}

/// Encodes arguments 1..=nargs into one buffer.
///
/// # Safety
/// `l` must be the state of the running `pack` with `PACK_SLOTS` reserved.
unsafe fn encode_args(l: *mut ffi::lua_State, nargs: c_int) -> Result<Vec<u8>, Overflow> {
    let mut enc = Encoder {
        l,
        out: Vec::with_capacity(64),
        hidden: 0,
    };
    for i in 1..=nargs {
        enc.hidden = i - 1;
        // SAFETY: the caller's contract.
        unsafe {
            enc.check_stack(1, c"in function mp_check")?;
            ffi::lua_pushvalue(l, i);
            enc.value(0)?;
        }
    }
    Ok(enc.out)
}

/// `cmsgpack.pack(v1, ...)`: the MessagePack encodings of all arguments.
unsafe extern "C-unwind" fn mp_pack(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function with `push_bytes` as upvalue.
    // Everything that can raise happens while no Rust value is alive.
    unsafe {
        let nargs = ffi::lua_gettop(l);
        if nargs == 0 {
            return ffi::luaL_argerror(l, 0, c"MessagePack pack needs input.".as_ptr());
        }
        if ffi::lua_checkstack(l, nargs) == 0 {
            return ffi::luaL_argerror(l, 0, c"Too many arguments for MessagePack pack.".as_ptr());
        }
        // At most 4000 arguments pass the check above, so these slots are
        // always within the limit; growing the stack happens here, before
        // the buffer exists.
        check_stack(l, PACK_SLOTS, c"in function mp_pack");
        let status = match encode_args(l, nargs) {
            Ok(out) => {
                let previous = PENDING.replace((out.as_ptr(), out.len()));
                ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
                let status = ffi::lua_pcall(l, 0, 1, 0);
                PENDING.set(previous);
                status
            }
            Err(msg) => {
                ffi::lua_settop(l, 0);
                ffi::luaL_error(l, c"stack overflow (%s)".as_ptr(), msg.as_ptr());
                return 0;
            }
        };
        if status != 0 {
            // The buffer is gone; re-raise the allocation error.
            ffi::lua_error(l);
        }
        1
    }
}

/// Why decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeError {
    /// The input ends inside a value.
    MissingBytes,
    /// A type byte lua-cmsgpack does not know (0xc1, bin, ext).
    BadFormat,
}

impl DecodeError {
    fn message(self) -> &'static CStr {
        match self {
            DecodeError::MissingBytes => c"Missing bytes in input.",
            DecodeError::BadFormat => c"Bad data format in input.",
        }
    }
}

/// The unread part of the input.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes, consumed; `MissingBytes` when fewer remain.
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::MissingBytes);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array, consumed.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

/// What a container still expects.
#[derive(Clone, Copy)]
enum Expect {
    /// The element that goes at this index (already pushed as the key).
    Element(u32),
    /// A map key.
    Key,
    /// The value for the key just decoded.
    Value,
}

/// A container being filled: its table is on the stack, below its pending
/// key if any.
#[derive(Clone, Copy)]
struct Level {
    /// Elements (or pairs) still to read, counting the current one.
    remaining: u32,
    expect: Expect,
}

/// Levels kept in one frame of [`decode_tree`]; deeper ones recurse, so
/// the Rust stack stays small however deep the input nests (the Lua stack
/// limit stops it at about 8000 levels).
const LEVELS_PER_FRAME: usize = 32;

const TOO_MANY_VALUES: &CStr =
    c"too many return values at once; use unpack_one or unpack_limit instead.";

/// Lua 5.1's `luaL_checkstack`, except that the stack is emptied before
/// raising: Lua's own raises with the stack full, which its API checks
/// (compiled in for debug builds) reject with an abort. The message is the
/// same, and the function is being abandoned anyway.
///
/// # Safety
/// `l` must be the state of a running C function that owns nothing; may
/// raise.
unsafe fn check_stack(l: *mut ffi::lua_State, slots: c_int, msg: &CStr) {
    // SAFETY: the caller's contract.
    unsafe {
        if ffi::lua_checkstack(l, slots) == 0 {
            ffi::lua_settop(l, 0);
            ffi::luaL_error(l, c"stack overflow (%s)".as_ptr(), msg.as_ptr());
        }
    }
}

/// Pushes `bytes` as a Lua string.
///
/// # Safety
/// `l` must be a running function's state with a free slot; may raise.
unsafe fn push_str(l: *mut ffi::lua_State, bytes: &[u8]) {
    // SAFETY: the caller's contract; Lua copies the bytes.
    unsafe { ffi::lua_pushlstring(l, bytes.as_ptr().cast(), bytes.len()) };
}

/// Reads one item's header and pushes it: a scalar whole, a container as
/// its empty table, returned when it still expects elements.
///
/// # Safety
/// `l` must be the state of a running unpack; may raise.
unsafe fn decode_item(
    l: *mut ffi::lua_State,
    cur: &mut Cursor,
) -> Result<Option<Level>, DecodeError> {
    let Some(&tag) = cur.rest.first() else {
        return Err(DecodeError::MissingBytes);
    };
    // SAFETY: the caller's contract; every push below has this slot.
    unsafe {
        check_stack(l, 1, TOO_MANY_VALUES);
        let (is_map, len) = match tag {
            0x00..=0x7f => {
                cur.take(1)?;
                ffi::lua_pushnumber(l, f64::from(tag));
                return Ok(None);
            }
            0xe0..=0xff => {
                cur.take(1)?;
                ffi::lua_pushnumber(l, f64::from(tag as i8));
                return Ok(None);
            }
            0xa0..=0xbf => {
                let len = usize::from(tag & 0x1f);
                let bytes = cur.take(1 + len)?;
                push_str(l, bytes.get(1..).unwrap_or(&[]));
                return Ok(None);
            }
            0xc0 => {
                cur.take(1)?;
                ffi::lua_pushnil(l);
                return Ok(None);
            }
            0xc2 | 0xc3 => {
                cur.take(1)?;
                ffi::lua_pushboolean(l, c_int::from(tag == 0xc3));
                return Ok(None);
            }
            0xca..=0xd3 => {
                // Numbers: check the whole item is there before consuming.
                let width = match tag {
                    0xcc | 0xd0 => 1,
                    0xcd | 0xd1 => 2,
                    0xca | 0xce | 0xd2 => 4,
                    _ => 8,
                };
                let item = cur.take(1 + width)?;
                let b = item.get(1..).unwrap_or(&[]);
                let mut raw = [0u8; 8];
                raw.get_mut(8 - b.len()..)
                    .unwrap_or(&mut [])
                    .copy_from_slice(b);
                let u = u64::from_be_bytes(raw);
                let n = match tag {
                    0xca => f32_to_f64(f32::from_bits(u as u32)),
                    0xcb => f64::from_bits(u),
                    0xcc..=0xce => u as f64,
                    0xd0 => f64::from(u as u8 as i8),
                    0xd1 => f64::from(u as u16 as i16),
                    0xd2 => f64::from(u as u32 as i32),
                    // uint 64 and int 64 both read as signed.
                    _ => u as i64 as f64,
                };
                ffi::lua_pushnumber(l, n);
                return Ok(None);
            }
            0xd9 => {
                let [_, len] = cur.array::<2>()?;
                push_str(l, cur.take(usize::from(len))?);
                return Ok(None);
            }
            0xda => {
                let [_, a, b] = cur.array::<3>()?;
                push_str(l, cur.take(usize::from(u16::from_be_bytes([a, b])))?);
                return Ok(None);
            }
            0xdb => {
                let [_, a, b, c, d] = cur.array::<5>()?;
                push_str(l, cur.take(u32::from_be_bytes([a, b, c, d]) as usize)?);
                return Ok(None);
            }
            0x80..=0x8f => {
                cur.take(1)?;
                (true, u32::from(tag & 0x0f))
            }
            0x90..=0x9f => {
                cur.take(1)?;
                (false, u32::from(tag & 0x0f))
            }
            0xdc | 0xde => {
                let [_, a, b] = cur.array::<3>()?;
                (tag == 0xde, u32::from(u16::from_be_bytes([a, b])))
            }
            0xdd | 0xdf => {
                let [_, a, b, c, d] = cur.array::<5>()?;
                (tag == 0xdf, u32::from_be_bytes([a, b, c, d]))
            }
            _ => return Err(DecodeError::BadFormat),
        };
        // No preallocation: the table must grow exactly as the C
        // original's does, or `next` would walk it in another order. A
        // declared length costs nothing until elements actually arrive.
        ffi::lua_createtable(l, 0, 0);
        if !is_map {
            check_stack(l, 1, c"in function mp_decode_to_lua_array");
        }
        if len == 0 {
            return Ok(None);
        }
        let expect = if is_map {
            Expect::Key
        } else {
            Expect::Element(1)
        };
        Ok(Some(Level {
            remaining: len,
            expect,
        }))
    }
}

/// Prepares `level` for its next element: an array's index is pushed
/// first, as its key.
///
/// # Safety
/// `l` must be the state of a running unpack with a free slot.
unsafe fn begin_element(l: *mut ffi::lua_State, level: &Level) {
    if let Expect::Element(index) = level.expect {
        // SAFETY: the caller's contract; the array check reserved it.
        unsafe { ffi::lua_pushnumber(l, f64::from(index)) };
    }
}

/// Decodes one value with everything nested in it, leaving it on the
/// stack. With `root`, the value is that container, whose table is already
/// on the stack and which still expects elements.
///
/// # Safety
/// `l` must be the state of a running unpack; may raise. Holds nothing
/// that needs dropping.
unsafe fn decode_tree(
    l: *mut ffi::lua_State,
    cur: &mut Cursor,
    root: Option<Level>,
) -> Result<(), DecodeError> {
    let root = match root {
        Some(level) => level,
        // SAFETY: the caller's contract.
        None => match unsafe { decode_item(l, cur) }? {
            Some(level) => level,
            None => return Ok(()),
        },
    };
    let mut levels = [root; LEVELS_PER_FRAME];
    let mut depth = 1usize;
    // SAFETY: the caller's contract.
    unsafe { begin_element(l, &root) };
    loop {
        // SAFETY: the caller's contract.
        if let Some(level) = unsafe { decode_item(l, cur) }? {
            match levels.get_mut(depth) {
                Some(slot) => {
                    *slot = level;
                    depth += 1;
                    // SAFETY: the caller's contract.
                    unsafe { begin_element(l, &level) };
                    continue;
                }
                // SAFETY: the caller's contract.
                None => unsafe { decode_tree(l, cur, Some(level)) }?,
            }
        }
        // A value is complete on the stack top: hand it to its container,
        // and close every container it completes.
        loop {
            let Some(top) = depth.checked_sub(1).and_then(|d| levels.get_mut(d)) else {
                return Ok(());
            };
            if let Expect::Key = top.expect {
                top.expect = Expect::Value;
                break;
            }
            // SAFETY: table, key and value are the top three slots; the
            // table has no metatable. A nil or NaN key raises.
            unsafe { ffi::lua_settable(l, -3) };
            top.remaining -= 1;
            if top.remaining == 0 {
                depth -= 1;
                continue;
            }
            top.expect = match top.expect {
                Expect::Element(index) => Expect::Element(index.wrapping_add(1)),
                _ => Expect::Key,
            };
            // SAFETY: the caller's contract.
            unsafe { begin_element(l, top) };
            break;
        }
    }
}

/// Decodes up to `limit` values from byte `offset` of the string argument;
/// with neither, decodes everything and returns just the values, else
/// returns the offset to continue from (-1 at the end) before them.
///
/// # Safety
/// `l` must be the state of a running C function; may raise.
unsafe fn unpack_full(
    l: *mut ffi::lua_State,
    limit: ffi::lua_Integer,
    offset: ffi::lua_Integer,
) -> c_int {
    // SAFETY: the caller's contract; the input stays at index 1.
    unsafe {
        let mut len = 0usize;
        let s = ffi::luaL_checklstring(l, 1, &mut len);
        // The C original prints these 64-bit values with `%d`, which shows
        // their low 32 bits, and prints the length where the limit was
        // meant.
        if offset < 0 || limit < 0 {
            ffi::luaL_error(
                l,
                c"Invalid request to unpack with offset of %d and limit of %d.".as_ptr(),
                offset as c_int,
                len as c_int,
            );
        } else if offset as u64 > len as u64 {
            ffi::luaL_error(
                l,
                c"Start offset %d greater than input length %d.".as_ptr(),
                offset as c_int,
                len as c_int,
            );
        }
        let decode_all = limit == 0 && offset == 0;
        let limit = if decode_all {
            ffi::lua_Integer::from(c_int::MAX)
        } else {
            limit
        };
        let data = std::slice::from_raw_parts(s.cast::<u8>(), len);
        let mut cur = Cursor {
            rest: data.get(offset as usize..).unwrap_or(&[]),
        };
        let mut count: c_int = 0;
        while !cur.rest.is_empty() && ffi::lua_Integer::from(count) < limit {
            if let Err(e) = decode_tree(l, &mut cur, None) {
                // Room for the error message, as in `check_stack`.
                ffi::lua_settop(l, 0);
                ffi::luaL_error(l, e.message().as_ptr());
            }
            count += 1;
        }
        if !decode_all {
            // An `int` in the C original.
            let next = (len - cur.rest.len()) as c_int;
            check_stack(l, 1, c"in function mp_unpack_full");
            let next = if cur.rest.is_empty() { -1 } else { next };
            ffi::lua_pushinteger(l, ffi::lua_Integer::from(next));
            ffi::lua_insert(l, 2);
            count += 1;
        }
        count
    }
}

/// `cmsgpack.unpack(s)`: every value encoded in `s`.
unsafe extern "C-unwind" fn mp_unpack(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { unpack_full(l, 0, 0) }
}

/// `cmsgpack.unpack_one(s [, offset])`: the next offset and one value.
unsafe extern "C-unwind" fn mp_unpack_one(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe {
        let offset = ffi::luaL_optinteger(l, 2, 0);
        let top = ffi::lua_gettop(l);
        ffi::lua_settop(l, -(top - 1) - 1);
        unpack_full(l, 1, offset)
    }
}

/// `cmsgpack.unpack_limit(s, limit [, offset])`: the next offset and up to
/// `limit` values (all of them, without offset, when `limit` is 0).
unsafe extern "C-unwind" fn mp_unpack_limit(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe {
        let limit = ffi::luaL_checkinteger(l, 2);
        let offset = ffi::luaL_optinteger(l, 3, 0);
        let top = ffi::lua_gettop(l);
        ffi::lua_settop(l, -(top - 1) - 1);
        unpack_full(l, limit, offset)
    }
}

#[cfg(test)]
mod tests {
    use mlua::{Lua, Value};
    use proptest::prelude::*;

    fn lua() -> Lua {
        let lua = Lua::new();
        super::open(&lua).unwrap();
        lua
    }

    /// Helpers available to every snippet.
    const PRELUDE: &str = "local function hex(s) return (string.gsub(s, '.', \
        function(c) return string.format('%02x', string.byte(c)) end)) end ";

    /// Runs a chunk returning one value; renders it as Redis would reply
    /// with it (numbers truncated, tables as lists up to the first nil), or
    /// the error text.
    fn eval(lua: &Lua, code: &str) -> String {
        let code = format!("{PRELUDE}{code}");
        match lua.load(&code).set_name("@user_script").eval::<Value>() {
            Ok(v) => render(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn render(v: &Value) -> String {
        match v {
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => super::c_f64_to_i64(*n).to_string(),
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Value::Nil => "nil".to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::Table(t) => {
                let items: Vec<String> = t
                    .clone()
                    .sequence_values::<Value>()
                    .map(|v| render(&v.unwrap()))
                    .collect();
                format!("[{}]", items.join(","))
            }
            other => format!("{other:?}"),
        }
    }

    /// The error a call raises, through `pcall` (no position prefix when
    /// the library function is called directly).
    fn err(lua: &Lua, call: &str) -> String {
        eval(
            lua,
            &format!("local ok, e = pcall({call}) assert(not ok) return e"),
        )
    }

    fn check(lua: &Lua, cases: &[(&str, &str)]) {
        for (expr, want) in cases {
            assert_eq!(eval(lua, &format!("return {expr}")), *want, "{expr}");
        }
    }

    #[test]
    fn pack_numbers() {
        let lua = lua();
        check(
            &lua,
            &[
                (
                    "hex(cmsgpack.pack(0,1,127,128,255,256,65535,65536,4294967295,4294967296))",
                    "00017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000",
                ),
                (
                    "hex(cmsgpack.pack(-1,-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649))",
                    "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff",
                ),
                (
                    "hex(cmsgpack.pack(1.5, 0.1, -0.0, 1/0, -1/0, 0/0, 2^63, -2^63, 2^64, 1e300))",
                    "ca3fc00000cb3fb999999999999a00caff800000ca7f800000cbfff8000000000000\
                     ca5f000000d38000000000000000ca5f800000cb7e37e43c8800759c",
                ),
                (
                    "hex(cmsgpack.pack(3.0, 1e10, -1e10, 2^53, 2^53+1, 1e19, -1e19, 0.5, 1e-300, \
                     3.4028234663852886e38, 1e39))",
                    "03cf00000002540be400d3fffffffdabf41c00cf0020000000000000cf0020000000000000\
                     cb43e158e460913d00cbc3e158e460913d00ca3f000000cb01a56e1fc2f8f359ca7f7fffff\
                     cb48078287f49c4a1d",
                ),
            ],
        );
    }

    #[test]
    fn pack_strings_tables_and_others() {
        let lua = lua();
        check(
            &lua,
            &[
                (
                    "hex(cmsgpack.pack(nil, true, false, {}, {1,2,3}, {a=1}, {[1]=1,[3]=3}))",
                    "c0c3c2909301020381a161018201010303",
                ),
                (
                    "hex(cmsgpack.pack(string.rep('x',31)))",
                    "bf78787878787878787878787878787878787878787878787878787878787878",
                ),
                (
                    "hex(string.sub(cmsgpack.pack(string.rep('x',32)),1,4))",
                    "d9207878",
                ),
                (
                    "hex(string.sub(cmsgpack.pack(string.rep('x',256)),1,4))",
                    "da010078",
                ),
                (
                    "hex(string.sub(cmsgpack.pack(string.rep('x',65536)),1,6))",
                    "db0001000078",
                ),
                ("hex(cmsgpack.pack(''))", "a0"),
                (
                    "hex(cmsgpack.pack(print, coroutine.create(function() end)))",
                    "c0c0",
                ),
                ("hex(cmsgpack.pack({[1.5]=1}))", "81ca3fc0000001"),
                ("hex(cmsgpack.pack({[-1]=1}))", "81ff01"),
                ("hex(cmsgpack.pack({[0]=1}))", "810001"),
                ("hex(cmsgpack.pack({1,2,nil,4}))", "83010102020404"),
                (
                    "hex(cmsgpack.pack({[2^40]=1, [1]=2}))",
                    "82cf0000010000000000010102",
                ),
                (
                    "hex(cmsgpack.pack({[1]=2, [2^40]=1}))",
                    "820102cf000001000000000001",
                ),
                (
                    "hex(cmsgpack.pack({[2^31]=1, [1]=2}))",
                    "82ce80000000010102",
                ),
                (
                    "hex(cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}))",
                    "dc00100102030405060708090a0b0c0d0e0f10",
                ),
                (
                    "hex(cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15}))",
                    "9f0102030405060708090a0b0c0d0e0f",
                ),
                (
                    "(function() local t={} for i=1,16 do t['k'..i]=1 end \
                     return string.sub(hex(cmsgpack.pack(t)),1,6) end)()",
                    "de0010",
                ),
                (
                    "(function() local t={} for i=1,65536 do t[i]=1 end \
                     return string.sub(hex(cmsgpack.pack(t)),1,12) end)()",
                    "dd0001000001",
                ),
                (
                    "(function() local t={} for i=1,65536 do t['k'..i]=1 end \
                     return string.sub(hex(cmsgpack.pack(t)),1,12) end)()",
                    "df00010000a6",
                ),
                (
                    "hex(cmsgpack.pack(setmetatable({}, {__index=function() return 1 end})))",
                    "90",
                ),
                (
                    "hex(cmsgpack.pack(setmetatable({1,2}, {__len=function() return 5 end})))",
                    "920102",
                ),
                ("hex(cmsgpack.pack({[true]=1}))", "81c301"),
                ("hex(cmsgpack.pack({x={1,{y=2}}}))", "81a178920181a17902"),
            ],
        );
    }

    #[test]
    fn pack_cuts_nesting_at_sixteen_levels() {
        let lua = lua();
        check(
            &lua,
            &[
                (
                    "(function() local t={} t[1]=t return hex(cmsgpack.pack(t)) end)()",
                    "91919191919191919191919191919191c0",
                ),
                (
                    "(function() local t={} local c=t for i=1,20 do c[1]={} c=c[1] end \
                     return hex(cmsgpack.pack(t)) end)()",
                    "91919191919191919191919191919191c0",
                ),
                (
                    "(function() local t={} t.a=t return hex(cmsgpack.pack(t)) end)()",
                    "81a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a161\
                     81a16181a16181a16181a161c0",
                ),
            ],
        );
    }

    #[test]
    fn pack_argument_and_stack_errors() {
        let lua = lua();
        assert_eq!(
            err(&lua, "cmsgpack.pack"),
            "bad argument #0 to '?' (MessagePack pack needs input.)"
        );
        assert_eq!(
            err(&lua, "function() return cmsgpack.pack() end"),
            "user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"
        );
        let with_args = |n: usize, last: &str| {
            eval(
                &lua,
                &format!(
                    "local t = {{}} for i = 1, {n} do t[i] = 1 end t[{}] = {last} \
                     local ok, r = pcall(cmsgpack.pack, unpack(t)) \
                     if ok then return #r else return r end",
                    n + 1
                ),
            )
        };
        assert_eq!(
            with_args(7989, "1"),
            "bad argument #0 to '?' (Too many arguments for MessagePack pack.)"
        );
        assert_eq!(
            with_args(4000, "1"),
            "bad argument #0 to '?' (Too many arguments for MessagePack pack.)"
        );
        assert_eq!(with_args(3999, "5"), "4000");
        assert_eq!(
            with_args(3999, "{1}"),
            "stack overflow (in function table_is_an_array)"
        );
        assert_eq!(
            with_args(3999, "{a=1}"),
            "stack overflow (in function table_is_an_array)"
        );
        assert_eq!(with_args(3998, "{1}"), "4000");
        assert_eq!(
            with_args(3998, "{{1}}"),
            "stack overflow (in function table_is_an_array)"
        );
        assert_eq!(
            with_args(3998, "{a={1}}"),
            "stack overflow (in function mp_encode_lua_table_as_map)"
        );
        assert_eq!(with_args(3997, "{a={1}}"), "4002");
        assert_eq!(
            eval(
                &lua,
                "local t = {} for i = 1, 3998 do t[i] = {} end return #cmsgpack.pack(unpack(t))"
            ),
            "3998"
        );
    }

    #[test]
    fn unpack_types() {
        let lua = lua();
        check(
            &lua,
            &[
                ("{cmsgpack.unpack('')}", "[]"),
                ("{cmsgpack.unpack(12)}", "[49,50]"),
                ("{cmsgpack.unpack('\\001\\002\\003')}", "[1,2,3]"),
                ("{pcall(cmsgpack.unpack, '\\146\\001\\192')}", "[true,[1]]"),
                ("cmsgpack.unpack('\\147\\001\\192\\003')[3]", "3"),
                ("{cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')}", "[-1]"),
                (
                    "tostring(cmsgpack.unpack('\\211\\128\\000\\000\\000\\000\\000\\000\\000'))",
                    "-9.2233720368548e+18",
                ),
                (
                    "tostring(cmsgpack.unpack('\\207\\128\\000\\000\\000\\000\\000\\000\\001'))",
                    "-9.2233720368548e+18",
                ),
                (
                    "tostring(cmsgpack.unpack('\\207\\000\\000\\000\\001\\000\\000\\000\\001'))",
                    "4294967297",
                ),
                ("tostring(cmsgpack.unpack('\\210\\128\\000\\000\\000'))", "-2147483648"),
                ("tostring(cmsgpack.unpack('\\206\\255\\255\\255\\255'))", "4294967295"),
                ("tostring(cmsgpack.unpack('\\202\\063\\192\\000\\000'))", "1.5"),
                ("tostring(cmsgpack.unpack('\\202\\255\\255\\255\\255'))", "-nan"),
                (
                    "tostring(cmsgpack.unpack('\\203\\063\\185\\153\\153\\153\\153\\153\\154'))",
                    "0.1",
                ),
                (
                    "{cmsgpack.unpack('\\208\\128\\209\\128\\000\\204\\200\\205\\255\\000')}",
                    "[-128,-32768,200,65280]",
                ),
                ("{cmsgpack.unpack('\\194\\195\\192')}", "[false,true]"),
                (
                    "{cmsgpack.unpack('\\217\\003abc\\218\\000\\002de\\219\\000\\000\\000\\001f\\163ghi')}",
                    "[abc,de,f,ghi]",
                ),
                ("{cmsgpack.unpack('\\224\\255\\127')}", "[-32,-1,127]"),
                (
                    "(function() local t = cmsgpack.unpack('\\130\\161a\\001\\161b\\146\\002\\003') \
                     return {t.a, t.b[1], t.b[2]} end)()",
                    "[1,2,3]",
                ),
                (
                    "(function() local t = cmsgpack.unpack('\\222\\000\\001\\001\\220\\000\\001\\005') \
                     return t[1][1] end)()",
                    "5",
                ),
            ],
        );
    }

    #[test]
    fn unpack_offsets_and_limits() {
        let lua = lua();
        check(
            &lua,
            &[
                ("{cmsgpack.unpack_one('\\001\\002\\003')}", "[1,1]"),
                ("{cmsgpack.unpack_one('\\001\\002\\003', 1)}", "[2,2]"),
                ("{cmsgpack.unpack_one('\\001\\002\\003', 2)}", "[-1,3]"),
                ("{cmsgpack.unpack_one('\\001\\002\\003', 3)}", "[-1]"),
                ("{cmsgpack.unpack_one('\\001\\002\\003', '1')}", "[2,2]"),
                ("{cmsgpack.unpack_one('\\001\\002\\003', 1.9)}", "[2,2]"),
                ("{cmsgpack.unpack_one('\\001\\002', nil)}", "[1,1]"),
                ("{cmsgpack.unpack_one(5)}", "[-1,53]"),
                ("{cmsgpack.unpack_limit('\\001\\002\\003', 2)}", "[2,1,2]"),
                ("{cmsgpack.unpack_limit('\\001\\002\\003', 0)}", "[1,2,3]"),
                ("{cmsgpack.unpack_limit('\\001\\002\\003', 0, 1)}", "[1]"),
                (
                    "{cmsgpack.unpack_limit('\\001\\002\\003', 5, 1)}",
                    "[-1,2,3]",
                ),
                ("{cmsgpack.unpack_limit('\\001\\002', 2^32+1)}", "[-1,1,2]"),
                ("{cmsgpack.unpack_limit('\\001\\002', 2^32)}", "[-1,1,2]"),
                ("{cmsgpack.unpack_limit('\\001\\002', 2^32, 1)}", "[-1,2]"),
                (
                    "{cmsgpack.unpack('\\147\\001\\002\\003', 'extra', 'args')}",
                    "[[1,2,3]]",
                ),
                ("{cmsgpack.unpack_one(string.rep('\\001', 9000))}", "[1,1]"),
            ],
        );
    }

    #[test]
    fn unpack_errors() {
        let lua = lua();
        let cases = [
            ("cmsgpack.unpack, '\\196\\001a'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\193'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\212\\001\\002'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\199\\001\\002\\003'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\145\\193'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\001\\193'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\205\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\221\\255\\255\\255\\255\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\223\\255\\255\\255\\255\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\219\\255\\255\\255\\255\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\217\\003ab'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\217'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\218\\000'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\220\\000'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\220\\000\\002\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\222\\000\\001\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\129\\001'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\129\\192\\001'", "table index is nil"),
            (
                "cmsgpack.unpack, '\\129\\203\\255\\248\\000\\000\\000\\000\\000\\000\\001'",
                "table index is NaN",
            ),
            ("cmsgpack.unpack", "bad argument #1 to '?' (string expected, got no value)"),
            ("cmsgpack.unpack, {}", "bad argument #1 to '?' (string expected, got table)"),
            ("cmsgpack.unpack_one", "bad argument #1 to '?' (string expected, got no value)"),
            (
                "cmsgpack.unpack_one, '\\001\\002\\003', 4",
                "Start offset 4 greater than input length 3.",
            ),
            (
                "cmsgpack.unpack_one, '\\001\\002\\003', -1",
                "Invalid request to unpack with offset of -1 and limit of 3.",
            ),
            (
                "cmsgpack.unpack_one, '\\001\\002', 2^32+1",
                "Start offset 1 greater than input length 2.",
            ),
            (
                "cmsgpack.unpack_limit, '\\001\\002', 1e300",
                "Invalid request to unpack with offset of 0 and limit of 2.",
            ),
            (
                "cmsgpack.unpack_limit, '\\001\\002', -2^32",
                "Invalid request to unpack with offset of 0 and limit of 2.",
            ),
            (
                "cmsgpack.unpack_one, '\\001\\002', -2^32",
                "Invalid request to unpack with offset of 0 and limit of 2.",
            ),
            (
                "cmsgpack.unpack_one, '\\001\\002', 2^32",
                "Start offset 0 greater than input length 2.",
            ),
            (
                "cmsgpack.unpack_limit, '\\001\\002\\003', -1",
                "Invalid request to unpack with offset of 0 and limit of 3.",
            ),
            (
                "cmsgpack.unpack_limit, '\\001\\002\\003'",
                "bad argument #2 to '?' (number expected, got no value)",
            ),
            (
                "cmsgpack.unpack_limit, '\\001\\002\\003', 'x'",
                "bad argument #2 to '?' (number expected, got string)",
            ),
            (
                "cmsgpack.unpack_one, '\\001\\002\\003', 'x'",
                "bad argument #2 to '?' (number expected, got string)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\145', 10000)",
                "stack overflow (in function mp_decode_to_lua_array)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\129\\001', 10000)",
                "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\001', 10000)",
                "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\129', 10000)",
                "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            ("cmsgpack.unpack, string.rep('\\129', 7999)", "Missing bytes in input."),
            (
                "cmsgpack.unpack_limit, string.rep('\\001', 7999), 9000",
                "stack overflow (in function mp_unpack_full)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\145', 4000)..'\\001'",
                "stack overflow (in function mp_decode_to_lua_array)",
            ),
            ("cmsgpack.unpack, string.rep('\\145', 3999)", "Missing bytes in input."),
        ];
        for (call, want) in cases {
            assert_eq!(err(&lua, call), want, "{call}");
        }
        assert_eq!(
            err(&lua, "function() return cmsgpack.unpack('\\205\\001') end"),
            "user_script:1: Missing bytes in input."
        );
        assert_eq!(
            eval(
                &lua,
                "local ok, e = pcall(cmsgpack.unpack, '\\193') return type(e)"
            ),
            "string"
        );
    }

    #[test]
    fn errors_after_many_values_leave_room_to_raise() {
        // Lua's API checks (on in debug builds) abort when an error is
        // raised with the stack full; these fill it first.
        let lua = lua();
        assert_eq!(
            err(
                &lua,
                "cmsgpack.unpack, string.rep('\\001', 7998) .. '\\193'"
            ),
            "Bad data format in input."
        );
        assert_eq!(
            err(
                &lua,
                "cmsgpack.unpack, string.rep('\\001', 7998) .. '\\205'"
            ),
            "Missing bytes in input."
        );
        assert_eq!(
            err(&lua, "cmsgpack.unpack, string.rep('\\001', 7998) .. '\\129\\192\\001'"),
            "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
        );
        assert_eq!(
            err(
                &lua,
                "cmsgpack.unpack, string.rep('\\001', 7990) .. '\\129\\192\\001'"
            ),
            "table index is nil"
        );
    }

    #[test]
    fn unpack_stack_limits_match_redis() {
        let lua = lua();
        let highest = |from: usize, to: usize, body: &str| {
            eval(
                &lua,
                &format!(
                    "local lo = 0 for n = {from}, {to} do if pcall(function() \
                     return select('#', {body}) end) then lo = n end end return lo"
                ),
            )
        };
        assert_eq!(
            highest(
                3990,
                4005,
                "cmsgpack.unpack(string.rep('\\145', n)..'\\001')"
            ),
            "3999"
        );
        assert_eq!(
            highest(
                3990,
                4005,
                "cmsgpack.unpack(string.rep('\\129\\001', n)..'\\001')"
            ),
            "3999"
        );
        assert_eq!(
            highest(7990, 8005, "cmsgpack.unpack(string.rep('\\001', n))"),
            "7999"
        );
        assert_eq!(
            highest(
                3990,
                4005,
                "cmsgpack.unpack_one(string.rep('\\145', n)..'\\001')"
            ),
            "3999"
        );
        assert_eq!(
            highest(
                7990,
                8005,
                "cmsgpack.unpack_limit(string.rep('\\001', n), 9000)"
            ),
            "7998"
        );
        assert_eq!(
            highest(
                7990,
                8005,
                "cmsgpack.unpack(string.rep('\\129', n)..'\\001\\001'..string.rep('\\001', n))"
            ),
            "7997"
        );
    }

    #[test]
    fn fields_and_pairs_order() {
        let lua = lua();
        check(
            &lua,
            &[
                (
                    "{cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}",
                    "[cmsgpack,lua-cmsgpack 0.4.0,Copyright (C) 2012, Salvatore Sanfilippo,\
                     MessagePack C implementation for Lua]",
                ),
                (
                    "(function() local t = {} for k in pairs(cmsgpack) do t[#t+1] = k end return t end)()",
                    "[_DESCRIPTION,pack,_NAME,unpack,_COPYRIGHT,_VERSION,unpack_one,unpack_limit]",
                ),
            ],
        );
    }

    #[test]
    fn map_order_matches_redis() {
        let lua = lua();
        // Tables walk in `next` order, which depends on how they grew: a
        // built table and its decoded copy differ, exactly as in Redis.
        let built =
            "(function() local t = {} for i = 1, 40 do t['key' .. i] = i end return t end)()";
        check(
            &lua,
            &[
                (
                    &format!("hex(cmsgpack.pack({built}))"),
                    "de0028a56b6579313610a46b65793909a56b6579333523a56b6579323418a56b65793134\
                 0ea46b65793808a56b657933311fa56b657932361aa56b6579313711a56b6579333927a5\
                 6b657931330da56b6579323115a46b65793404a56b6579333220a46b65793202a46b6579\
                 3101a56b657932371ba56b6579343028a56b6579333826a56b6579323216a56b65793333\
                 21a46b65793303a56b6579323519a56b657931350fa46b65793606a56b6579333422a56b\
                 657931310ba46b65793505a56b657933301ea56b657931300aa56b6579313913a56b6579\
                 32391da46b65793707a56b6579333725a56b6579323014a56b657931320ca56b65793138\
                 12a56b6579323317a56b6579333624a56b657932381c",
                ),
                (
                    &format!("hex(cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack({built}))))"),
                    "de0028a56b6579313610a46b65793909a56b6579343028a56b6579323418a56b65793134\
                 0ea46b65793808a56b657933311fa56b657932361aa56b6579313711a56b6579333927a5\
                 6b657931330da56b6579323115a46b65793404a56b6579333220a56b657931350fa46b65\
                 793101a56b657932371ba46b65793505a56b6579333826a56b6579333422a56b65793333\
                 21a46b65793303a56b6579323216a56b6579323317a46b65793606a56b6579323519a56b\
                 657931310ba56b657931320ca46b65793202a56b657931300aa56b6579313913a56b6579\
                 32391da46b65793707a56b6579333725a56b6579323014a56b6579333523a56b65793138\
                 12a56b657933301ea56b6579333624a56b657932381c",
                ),
            ],
        );
    }

    /// A Lua value tree for round trips.
    #[derive(Debug, Clone)]
    enum Tree {
        Int(i64),
        Float(f64),
        Str(Vec<u8>),
        Bool(bool),
        Array(Vec<Tree>),
        Map(Vec<(String, Tree)>),
    }

    fn tree() -> impl Strategy<Value = Tree> {
        let leaf = prop_oneof![
            (-(1i64 << 53)..(1i64 << 53)).prop_map(Tree::Int),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Tree::Float),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Tree::Str),
            any::<bool>().prop_map(Tree::Bool),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Tree::Array),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 1..8)
                    .prop_map(|m| Tree::Map(m.into_iter().collect())),
            ]
        })
    }

    fn to_lua(lua: &Lua, t: &Tree) -> Value {
        match t {
            Tree::Int(i) => Value::Number(*i as f64),
            Tree::Float(f) => Value::Number(*f),
            Tree::Str(s) => Value::String(lua.create_string(s).unwrap()),
            Tree::Bool(b) => Value::Boolean(*b),
            Tree::Array(items) => {
                let table = lua.create_table().unwrap();
                for (i, item) in items.iter().enumerate() {
                    table.raw_set(i + 1, to_lua(lua, item)).unwrap();
                }
                Value::Table(table)
            }
            Tree::Map(entries) => {
                let table = lua.create_table().unwrap();
                for (k, v) in entries {
                    table.raw_set(k.as_str(), to_lua(lua, v)).unwrap();
                }
                Value::Table(table)
            }
        }
    }

    fn same(t: &Tree, v: &Value) -> bool {
        let number = |v: &Value| match v {
            Value::Number(n) => Some(*n),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        match (t, v) {
            (Tree::Int(i), v) => number(v) == Some(*i as f64),
            (Tree::Float(f), v) => number(v).is_some_and(|n| n.to_bits() == f.to_bits() || n == *f),
            (Tree::Str(s), Value::String(got)) => got.as_bytes().as_ref() == s.as_slice(),
            (Tree::Bool(b), Value::Boolean(got)) => b == got,
            (Tree::Array(items), Value::Table(table)) => {
                table.raw_len() == items.len()
                    && items
                        .iter()
                        .enumerate()
                        .all(|(i, item)| same(item, &table.raw_get::<Value>(i + 1).unwrap()))
            }
            (Tree::Map(entries), Value::Table(table)) => {
                table.clone().pairs::<Value, Value>().count() == entries.len()
                    && entries
                        .iter()
                        .all(|(k, item)| same(item, &table.raw_get::<Value>(k.as_str()).unwrap()))
            }
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn pack_unpack_round_trip(values in proptest::collection::vec(tree(), 1..4)) {
            let lua = lua();
            let pack: mlua::Function = lua.load("return cmsgpack.pack").eval().unwrap();
            let unpack: mlua::Function = lua.load("return cmsgpack.unpack").eval().unwrap();
            let args: Vec<Value> = values.iter().map(|t| to_lua(&lua, t)).collect();
            let packed: mlua::LuaString = pack.call(mlua::MultiValue::from_iter(args)).unwrap();
            let back: mlua::MultiValue = unpack.call(packed).unwrap();
            prop_assert_eq!(back.len(), values.len());
            for (t, v) in values.iter().zip(back.iter()) {
                prop_assert!(same(t, v), "{:?} came back as {:?}", t, v);
            }
        }

        #[test]
        fn hostile_input_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let lua = lua();
            let unpack: mlua::Function = lua
                .load("return function(s) return pcall(cmsgpack.unpack, s) end")
                .eval()
                .unwrap();
            let (ok, result): (bool, Value) = unpack.call(lua.create_string(&bytes).unwrap()).unwrap();
            if !ok {
                let msg = match result {
                    Value::String(s) => s.to_str().unwrap().to_string(),
                    other => panic!("error is not a string: {other:?}"),
                };
                prop_assert!(
                    [
                        "Missing bytes in input.",
                        "Bad data format in input.",
                        "table index is nil",
                        "table index is NaN",
                    ]
                    .contains(&msg.as_str()),
                    "{}",
                    msg
                );
            }
        }

        #[test]
        fn unpack_one_walks_a_stream(values in proptest::collection::vec(tree(), 1..5)) {
            let lua = lua();
            let pack: mlua::Function = lua.load("return cmsgpack.pack").eval().unwrap();
            let args: Vec<Value> = values.iter().map(|t| to_lua(&lua, t)).collect();
            let packed: mlua::LuaString = pack.call(mlua::MultiValue::from_iter(args)).unwrap();
            let walk: mlua::Function = lua
                .load(
                    "return function(s) local out, off = {}, 0 \
                     while off ~= -1 do local v off, v = cmsgpack.unpack_one(s, off) \
                     out[#out + 1] = v end return out end",
                )
                .eval()
                .unwrap();
            let out: mlua::Table = walk.call(packed).unwrap();
            prop_assert_eq!(out.raw_len(), values.len());
            for (i, t) in values.iter().enumerate() {
                prop_assert!(same(t, &out.raw_get::<Value>(i + 1).unwrap()));
            }
        }
    }
}
