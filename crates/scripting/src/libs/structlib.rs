//! The `struct` library: Roberto Ierusalimschy's binary packing library as
//! Redis embeds it (with Redis's overflow fixes), for an x86-64 build:
//! native order is little endian, `short` is 2 bytes, `int` 4, `long` and
//! `size_t` 8, and the default `!` alignment is 8.
//!
//! Format characters: `>` / `<` big / little endian; `!n` maximum alignment
//! n (a power of two; default 8); `x` a zero byte; `b`/`B` `h`/`H` `l`/`L`
//! `T` `i[n]`/`I[n]` signed / unsigned integers (n bytes, at most 32); `f`
//! and `d` floats; `c[n]` n bytes of a string (`c0`: the whole string, and
//! on unpacking: as many bytes as the previous result says); `s` a string
//! ended by a zero byte; a space is ignored. The format ends at its first
//! zero byte, as a C string does.
//!
//! The functions are Lua C functions over the raw API: errors must reach
//! scripts as Lua's own strings (`bad argument #2 to 'unpack' (data string
//! too short)`), which mlua callbacks cannot raise. Nothing here owns
//! memory while a Lua error may be raised: the packed bytes accumulate in a
//! `luaL_Buffer`, which lives in this frame and on Lua's stack, and Lua's
//! `longjmp` on error skips no destructor.
//!
//! Several results follow the x86-64 build of the C original where C leaves
//! things undefined: numbers out of an integer's range convert as the CPU's
//! truncating conversion does, and shifts by 64 or more bits wrap their
//! count.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_char, c_int};

use mlua::{ffi, Lua};

/// Registers the `struct` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    // Sized up front and filled in this order as `luaL_register` does, so
    // that `pairs(struct)` walks it in Redis's order.
    let functions: [(&str, ffi::lua_CFunction); 3] = [
        ("pack", struct_pack),
        ("unpack", struct_unpack),
        ("size", struct_size),
    ];
    let table = lua.create_table_with_capacity(0, functions.len())?;
    for (name, func) in functions {
        // SAFETY: each function follows the C API protocol and raises
        // errors only while it owns nothing.
        let function = unsafe { lua.create_c_function(func)? };
        table.raw_set(name, function)?;
    }
    lua.globals().set("struct", table)
}

/// Largest integer size, in bytes, that `i[n]` and `I[n]` accept.
const MAX_INT_SIZE: usize = 32;
/// The alignment `!` without a number sets: the strictest alignment of the
/// C types involved (a double's) on x86-64.
const MAX_ALIGN: c_int = 8;

/// Byte order and maximum alignment in force while a format is read.
#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Header {
    /// Native (little endian) order, no alignment.
    const DEFAULT: Header = Header {
        little: true,
        align: 1,
    };
}

/// A format string being read, up to its first zero byte.
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Format<'a> {
    /// The format at stack index 1 (numbers are converted in place, as
    /// `luaL_checkstring` does); raises when it is not a string.
    ///
    /// # Safety
    /// `l` must be the state of a running C function; the slice borrows the
    /// Lua string at index 1, which must stay there.
    unsafe fn check(l: *mut ffi::lua_State) -> Format<'a> {
        // SAFETY: the caller's contract; Lua strings are followed by a zero
        // byte, and the slice stops at the first zero byte either way.
        let bytes = unsafe { std::ffi::CStr::from_ptr(ffi::luaL_checkstring(l, 1)) }.to_bytes();
        Format { bytes, pos: 0 }
    }

    /// The next option character.
    fn next_opt(&mut self) -> Option<u8> {
        let opt = self.bytes.get(self.pos).copied()?;
        self.pos += 1;
        Some(opt)
    }

    /// Reads the decimal number that follows, or gives `default` when no
    /// digit follows; raises `integral size overflow` past `INT_MAX`.
    ///
    /// # Safety
    /// `l` must be the state of a running C function; may raise.
    unsafe fn number(&mut self, l: *mut ffi::lua_State, default: c_int) -> c_int {
        let mut value: c_int = 0;
        let mut any = false;
        while let Some(digit) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            let digit = c_int::from(digit - b'0');
            match value.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                Some(v) => value = v,
                // SAFETY: raising is allowed: this frame owns nothing.
                None => unsafe {
                    ffi::luaL_error(l, c"integral size overflow".as_ptr());
                },
            }
            any = true;
            self.pos += 1;
        }
        if any {
            value
        } else {
            default
        }
    }

    /// The size in bytes of option `opt`, reading its count when it has
    /// one; 0 for options that take no room (or none that is known yet).
    ///
    /// # Safety
    /// `l` must be the state of a running C function; may raise.
    unsafe fn opt_size(&mut self, l: *mut ffi::lua_State, opt: u8) -> usize {
        match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            // SAFETY: the caller's contract.
            b'c' => unsafe { self.number(l, 1) }.unsigned_abs() as usize,
            b'i' | b'I' => {
                // SAFETY: the caller's contract.
                let size = unsafe { self.number(l, 4) };
                if size.unsigned_abs() as usize > MAX_INT_SIZE {
                    // SAFETY: raising is allowed: this frame owns nothing.
                    unsafe {
                        ffi::luaL_error(
                            l,
                            c"integral size %d is larger than limit of %d".as_ptr(),
                            size,
                            MAX_INT_SIZE as c_int,
                        );
                    }
                }
                size.unsigned_abs() as usize
            }
            _ => 0,
        }
    }

    /// Applies a control option (`' '`, `>`, `<`, `!n`); raises for any
    /// other character.
    ///
    /// # Safety
    /// `l` must be the state of a running C function; may raise.
    unsafe fn control(&mut self, l: *mut ffi::lua_State, opt: u8, h: &mut Header) {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                // SAFETY: the caller's contract.
                let align = unsafe { self.number(l, MAX_ALIGN) };
                if !is_power_of_two(align as usize) {
                    // SAFETY: raising is allowed: this frame owns nothing.
                    unsafe {
                        ffi::luaL_error(l, c"alignment %d is not a power of 2".as_ptr(), align);
                    }
                }
                h.align = align as usize;
            }
            // SAFETY: raising is allowed: this frame owns nothing. The
            // option goes through `%c` as the C original's `char` did.
            _ => unsafe {
                let msg = ffi::lua_pushfstring(
                    l,
                    c"invalid format option '%c'".as_ptr(),
                    c_int::from(opt as c_char),
                );
                ffi::luaL_argerror(l, 1, msg);
            },
        }
    }
}

/// Whether `x` is a positive power of two (0 is not).
fn is_power_of_two(x: usize) -> bool {
    x > 0 && x & (x - 1) == 0
}

/// Padding needed before an item of `size` bytes at offset `len`: items
/// align to their own size, capped by the `!` alignment; `c` and
/// zero-sized items never align. Alignments that are not powers of two
/// (`i3` under `!8`) give the same odd padding as the C original's masks.
fn to_align(len: usize, h: Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let align = size.min(h.align);
    let mask = align.wrapping_sub(1);
    align.wrapping_sub(len & mask) & mask
}

/// 2^63, the first double past `i64`.
const TWO_63: f64 = (1u64 << 63) as f64;

/// `(int64_t)d` as x86-64 computes it: truncation, and the "integer
/// indefinite" value `i64::MIN` for NaN and anything out of range.
fn c_f64_to_i64(d: f64) -> i64 {
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// `(uint64_t)d` as x86-64 code compiled by GCC computes it: below 2^63 (or
/// NaN) a signed conversion, above it a signed conversion of `d - 2^63`
/// with the top bit flipped, so 2^64 and beyond give 0.
fn c_f64_to_u64(d: f64) -> u64 {
    if d >= TWO_63 {
        (c_f64_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_f64_to_i64(d) as u64
    }
}

/// `(float)d`, with NaNs converted as the CPU does (sign and the top of the
/// payload kept, made quiet) rather than as Rust leaves unspecified.
fn f64_to_f32(d: f64) -> f32 {
    if d.is_nan() {
        let bits = d.to_bits();
        let sign = ((bits >> 63) as u32) << 31;
        let payload = ((bits >> 29) as u32) & 0x007f_ffff;
        f32::from_bits(sign | 0x7fc0_0000 | payload)
    } else {
        d as f32
    }
}

/// `(double)f`, with NaNs converted as the CPU does.
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

/// The bytes of an integer item: the number converted to 64 bits (negative
/// ones through `int64_t`), laid out over `size` bytes in the given order;
/// bytes past the eighth are zero, even for negative numbers, as the C
/// original's shifting gives.
fn integer_bytes(n: f64, little: bool, size: usize) -> [u8; MAX_INT_SIZE] {
    let mut value = if n < 0.0 {
        c_f64_to_i64(n) as u64
    } else {
        c_f64_to_u64(n)
    };
    let mut out = [0u8; MAX_INT_SIZE];
    let size = size.min(MAX_INT_SIZE);
    let mut put = |slot: &mut u8| {
        *slot = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
    };
    if little {
        out.iter_mut().take(size).for_each(&mut put);
    } else {
        out.iter_mut().take(size).rev().for_each(&mut put);
    }
    out
}

/// The number an integer item of `bytes` reads as. Only the last eight
/// bytes read (in significance order) survive; a signed item is extended
/// from bit `8 * size - 1`, whose shift count wraps modulo 64 for items
/// wider than eight bytes, as the x86-64 build does.
fn integer_value(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    let mut value = if little {
        bytes.iter().rev().fold(0, fold)
    } else {
        bytes.iter().fold(0, fold)
    };
    if !signed {
        return value as f64;
    }
    let shift = (bytes.len() as u32).wrapping_mul(8).wrapping_sub(1) & 63;
    let mask = u64::MAX << shift;
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

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

/// Appends `bytes` to a Lua buffer.
///
/// # Safety
/// `b` must be an initialized buffer of the running function; may raise.
unsafe fn add(b: *mut ffi::luaL_Buffer, bytes: &[u8]) {
    // SAFETY: the caller's contract; Lua copies the bytes.
    unsafe { ffi::luaL_addlstring(b, bytes.as_ptr().cast(), bytes.len()) };
}

/// `struct.pack(fmt, v1, ...)`: the values packed into a string.
unsafe extern "C-unwind" fn struct_pack(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function. The buffer stays in this frame
    // from `luaL_buffinit` to `luaL_pushresult` and is never moved; all
    // other state is plain data, so raising anywhere skips no destructor.
    unsafe {
        let mut fmt = Format::check(l);
        let mut h = Header::DEFAULT;
        let mut arg: c_int = 2;
        let mut total: usize = 0;
        // The C original pushes a nil between the arguments and its buffer;
        // a missing value is therefore reported as `got nil` for the first
        // argument past the end.
        ffi::lua_pushnil(l);
        let mut buffer = MaybeUninit::<ffi::luaL_Buffer>::uninit();
        let b = buffer.as_mut_ptr();
        ffi::luaL_buffinit(l, b);
        while let Some(opt) = fmt.next_opt() {
            let mut size = fmt.opt_size(l, opt);
            let pad = to_align(total, h, opt, size);
            total = total.wrapping_add(pad);
            for _ in 0..pad {
                add(b, &[0]);
            }
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let n = ffi::luaL_checknumber(l, arg);
                    arg += 1;
                    let bytes = integer_bytes(n, h.little, size);
                    add(b, bytes.get(..size).unwrap_or(&[]));
                }
                b'x' => add(b, &[0]),
                b'f' => {
                    let f = f64_to_f32(ffi::luaL_checknumber(l, arg));
                    arg += 1;
                    let bytes = if h.little {
                        f.to_le_bytes()
                    } else {
                        f.to_be_bytes()
                    };
                    add(b, &bytes);
                }
                b'd' => {
                    let d = ffi::luaL_checknumber(l, arg);
                    arg += 1;
                    let bytes = if h.little {
                        d.to_le_bytes()
                    } else {
                        d.to_be_bytes()
                    };
                    add(b, &bytes);
                }
                b'c' | b's' => {
                    let mut len = 0usize;
                    let s = ffi::luaL_checklstring(l, arg, &mut len);
                    arg += 1;
                    if size == 0 {
                        size = len;
                    }
                    if len < size {
                        // The C original names the argument after the
                        // string, having already stepped past it.
                        ffi::luaL_argerror(l, arg, c"string too short".as_ptr());
                    }
                    ffi::luaL_addlstring(b, s, size);
                    if opt == b's' {
                        add(b, &[0]);
                        size += 1;
                    }
                }
                _ => fmt.control(l, opt, &mut h),
            }
            total = total.wrapping_add(size);
        }
        ffi::luaL_pushresult(b);
        1
    }
}

/// Raises `bad argument #2 (data string too short)` unless `size` bytes
/// fit in the data (of `len` bytes) at `pos`.
///
/// # Safety
/// `l` must be the state of a running C function; may raise.
unsafe fn check_fits(l: *mut ffi::lua_State, pos: usize, size: usize, len: usize) {
    if size > len || pos > len - size {
        // SAFETY: raising is allowed: the caller owns nothing.
        unsafe { ffi::luaL_argerror(l, 2, c"data string too short".as_ptr()) };
    }
}

/// `struct.unpack(fmt, data [, pos])`: the values read from `data` from
/// byte `pos` on (default 1), then the position after them.
unsafe extern "C-unwind" fn struct_unpack(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function; `data` borrows the string at
    // index 2, which stays there; all state is plain data.
    unsafe {
        let mut fmt = Format::check(l);
        let mut len = 0usize;
        let data_ptr = ffi::luaL_checklstring(l, 2, &mut len);
        let data = std::slice::from_raw_parts(data_ptr.cast::<u8>(), len);
        // The position is taken as an unsigned size, so negative ones pass
        // this check and then fail the bounds checks.
        let mut pos = ffi::luaL_optinteger(l, 3, 1) as usize;
        if pos == 0 {
            ffi::luaL_argerror(l, 3, c"offset must be 1 or greater".as_ptr());
        }
        pos -= 1;
        let mut h = Header::DEFAULT;
        let mut results: c_int = 0;
        while let Some(opt) = fmt.next_opt() {
            let mut size = fmt.opt_size(l, opt);
            pos = pos.wrapping_add(to_align(pos, h, opt, size));
            check_fits(l, pos, size, len);
            check_stack(l, 2, c"too many results");
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let bytes = data.get(pos..pos + size).unwrap_or(&[]);
                    let value = integer_value(bytes, h.little, opt.is_ascii_lowercase());
                    ffi::lua_pushnumber(l, value);
                    results += 1;
                }
                b'x' => {}
                b'f' => {
                    let mut raw = [0u8; 4];
                    raw.copy_from_slice(data.get(pos..pos + 4).unwrap_or(&[0; 4]));
                    let f = if h.little {
                        f32::from_le_bytes(raw)
                    } else {
                        f32::from_be_bytes(raw)
                    };
                    ffi::lua_pushnumber(l, f32_to_f64(f));
                    results += 1;
                }
                b'd' => {
                    let mut raw = [0u8; 8];
                    raw.copy_from_slice(data.get(pos..pos + 8).unwrap_or(&[0; 8]));
                    let d = if h.little {
                        f64::from_le_bytes(raw)
                    } else {
                        f64::from_be_bytes(raw)
                    };
                    ffi::lua_pushnumber(l, d);
                    results += 1;
                }
                b'c' => {
                    if size == 0 {
                        // `c0` takes its length from the previous result,
                        // which it replaces.
                        if results == 0 || ffi::lua_isnumber(l, -1) == 0 {
                            ffi::luaL_error(l, c"format 'c0' needs a previous size".as_ptr());
                        }
                        size = c_f64_to_u64(ffi::lua_tonumber(l, -1)) as usize;
                        ffi::lua_settop(l, -2);
                        results -= 1;
                        check_fits(l, pos, size, len);
                    }
                    let bytes = data.get(pos..pos + size).unwrap_or(&[]);
                    ffi::lua_pushlstring(l, bytes.as_ptr().cast(), bytes.len());
                    results += 1;
                }
                b's' => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    let Some(end) = rest.iter().position(|&b| b == 0) else {
                        ffi::luaL_error(l, c"unfinished string in data".as_ptr());
                        return 0;
                    };
                    ffi::lua_pushlstring(l, rest.as_ptr().cast(), end);
                    results += 1;
                    size = end + 1;
                }
                _ => fmt.control(l, opt, &mut h),
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos.wrapping_add(1) as ffi::lua_Integer);
        results + 1
    }
}

/// `struct.size(fmt)`: the number of bytes `fmt` packs to. Unknown letters
/// and digits count as nothing here (only `pack` and `unpack` reject them),
/// while unknown punctuation is an error.
unsafe extern "C-unwind" fn struct_size(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function; all state is plain data.
    unsafe {
        let mut fmt = Format::check(l);
        let mut h = Header::DEFAULT;
        let mut pos: usize = 0;
        while let Some(opt) = fmt.next_opt() {
            let size = fmt.opt_size(l, opt);
            pos = pos.wrapping_add(to_align(pos, h, opt, size));
            if opt == b's' {
                ffi::luaL_argerror(l, 1, c"option 's' has no fixed size".as_ptr());
            } else if opt == b'c' && size == 0 {
                ffi::luaL_argerror(l, 1, c"option 'c0' has no fixed size".as_ptr());
            }
            if !opt.is_ascii_alphanumeric() {
                fmt.control(l, opt, &mut h);
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos as ffi::lua_Integer);
        1
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
    /// with it (numbers truncated, tables as lists), or the error text.
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

    /// The error a call raises, through `pcall` (so no position prefix
    /// when the library function is called directly).
    fn err(lua: &Lua, call: &str) -> String {
        eval(
            lua,
            &format!("local ok, e = pcall({call}) assert(not ok) return e"),
        )
    }

    #[test]
    fn pack_integers() {
        let lua = lua();
        let cases = [
            ("hex(struct.pack('>i', 1))", "00000001"),
            ("hex(struct.pack('<i', 1))", "01000000"),
            ("hex(struct.pack('i', 1))", "01000000"),
            ("hex(struct.pack('>l', -2))", "fffffffffffffffe"),
            ("hex(struct.pack('>T', 7))", "0000000000000007"),
            (
                "hex(struct.pack('>bBhH', -1, 255, -2, 65535))",
                "fffffffeffff",
            ),
            ("hex(struct.pack('>L', 2^64))", "0000000000000000"),
            ("hex(struct.pack('>L', 1e300))", "0000000000000000"),
            ("hex(struct.pack('>L', 0/0))", "8000000000000000"),
            ("hex(struct.pack('>l', -1e300))", "8000000000000000"),
            ("hex(struct.pack('>L', 2^63))", "8000000000000000"),
            ("hex(struct.pack('>L', -0.5))", "0000000000000000"),
            ("hex(struct.pack('>L', 1/0))", "0000000000000000"),
            ("hex(struct.pack('>L', -1/0))", "8000000000000000"),
            ("hex(struct.pack('>L', 2^63+2^62))", "c000000000000000"),
            ("hex(struct.pack('<T', -1))", "ffffffffffffffff"),
            (
                "hex(struct.pack('<i16', -1))",
                "ffffffffffffffff0000000000000000",
            ),
            (
                "hex(struct.pack('>i16', -1))",
                "0000000000000000ffffffffffffffff",
            ),
            ("hex(struct.pack('>I3', 0x123456))", "123456"),
            ("hex(struct.pack('>i1', 300))", "2c"),
            (
                "hex(struct.pack('>i2i2i2i2', 65535, 65536, -32769, 1.9))",
                "ffff00007fff0001",
            ),
            ("hex(struct.pack('>i4', -1.9))", "ffffffff"),
            ("hex(struct.pack('>I4', 2^32+2.7))", "00000002"),
            ("hex(struct.pack('i1', 2^70))", "00"),
            ("struct.pack('i0', 1)", ""),
            ("hex(struct.pack('i', '12'))", "0c000000"),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&lua, &format!("return {expr}")), want, "{expr}");
        }
    }

    #[test]
    fn pack_floats_strings_alignment() {
        let lua = lua();
        let cases = [
            ("hex(struct.pack('>f<f', 1.5, 1.5))", "3fc000000000c03f"),
            ("hex(struct.pack('>d', -0.1))", "bfb999999999999a"),
            ("hex(struct.pack('>f', 1e300))", "7f800000"),
            ("hex(struct.pack('>f', 0/0))", "ffc00000"),
            ("hex(struct.pack('!4 b i', 1, 2))", "0100000002000000"),
            (
                "hex(struct.pack('!b d', 1, 2))",
                "01000000000000000000000000000040",
            ),
            ("hex(struct.pack('!2b i', 1, 2))", "010002000000"),
            (
                "hex(struct.pack('!8 b h b i b d', 1,2,3,4,5,6))",
                "010002000300000004000000050000000000000000001840",
            ),
            ("hex(struct.pack('!bi3', 1, 2))", "010000020000"),
            (
                "hex(struct.pack('>!4 b T', 1, 2))",
                "010000000000000000000002",
            ),
            ("hex(struct.pack('s', 'abc'))", "61626300"),
            ("struct.pack('c', 'abc')", "a"),
            ("struct.pack('c0', 'abc')", "abc"),
            ("struct.pack('c2', 'abc')", "ab"),
            ("hex(struct.pack('s', 12))", "313200"),
            ("hex(struct.pack('i\\0i', 1))", "01000000"),
            ("hex(struct.pack('bxxb', 1, 2))", "01000002"),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&lua, &format!("return {expr}")), want, "{expr}");
        }
    }

    #[test]
    fn unpack_values_and_positions() {
        let lua = lua();
        let cases = [
            ("{struct.unpack('>i', '\\000\\000\\000\\001\\002', 1)}", "[1,5]"),
            ("{struct.unpack('>b', '\\001\\002', 2)}", "[2,3]"),
            ("{struct.unpack('>b', '\\001\\002', 1.9)}", "[1,2]"),
            ("{struct.unpack('>i16', string.rep('\\255', 16))}", "[-1,17]"),
            ("{struct.unpack('>i9', string.rep('\\255', 9))}", "[-1,10]"),
            ("{struct.unpack('>i9', '\\000' .. string.rep('\\255', 8))}", "[-1,10]"),
            ("{struct.unpack('>i9', '\\000\\128\\000\\000\\000\\000\\000\\000\\000')}", "[-128,10]"),
            (
                "{struct.unpack('>i12', '\\000\\000\\000\\000\\000\\128\\000\\000\\000\\000\\000\\001')}",
                "[-2147483647,13]",
            ),
            ("{struct.unpack('>I16', string.rep('\\255', 16))}", "[-9223372036854775808,17]"),
            ("{struct.unpack('>i3', '\\255\\255\\254')}", "[-2,4]"),
            ("{struct.unpack('>i8', '\\255\\255\\255\\255\\255\\255\\255\\254')}", "[-2,9]"),
            ("tostring(struct.unpack('>I8', '\\255\\255\\255\\255\\255\\255\\255\\254'))", "1.844674407371e+19"),
            ("{struct.unpack('bc0', '\\003abcd')}", "[abc,5]"),
            ("{struct.unpack('c1c0', '3abcd')}", "[abc,5]"),
            ("{struct.unpack('bxc0', '\\002-ab')}", "[ab,5]"),
            ("{struct.unpack('b c0', '\\000')}", "[,2]"),
            ("{struct.unpack('s s', 'ab\\000cd\\000ef')}", "[ab,cd,7]"),
            ("{struct.unpack('s', 'abc\\000', 4)}", "[,5]"),
            ("{struct.unpack('c3 c2', 'abcdef')}", "[abc,de,6]"),
            ("{struct.unpack('xxb', 'abc')}", "[99,4]"),
            ("{struct.unpack('<h>h', '\\001\\002\\001\\002')}", "[513,258,5]"),
            ("{struct.unpack('f d', struct.pack('f d', 1.5, 0.1))}", "[1,0,13]"),
            ("tostring(struct.unpack('>f', '\\063\\204\\204\\205'))", "1.6000000238419"),
            ("tostring(struct.unpack('<d', struct.pack('<d', 0.1)))", "0.1"),
            ("tostring(struct.unpack('>d', '\\255\\248\\000\\000\\000\\000\\000\\001'))", "-nan"),
            ("tostring(struct.unpack('>f', '\\255\\192\\000\\001'))", "-nan"),
            ("{struct.unpack('>i0', 'ab')}", "[0,1]"),
            ("{struct.unpack('', 'abcd', 10)}", "[10]"),
            ("{struct.unpack('b', 'abcd', 4)}", "[100,5]"),
            ("{struct.unpack('!4 b i', '\\001\\000\\000\\000\\002\\000\\000\\000')}", "[1,2,9]"),
            (
                "{struct.unpack('!4 i', '\\001\\000\\000\\000\\002\\000\\000\\000\\003\\000\\000\\000', 2)}",
                "[2,9]",
            ),
            ("{struct.unpack('i', 12345)}", "[875770417,5]"),
            ("{struct.unpack('<L', '\\255\\255\\255\\255\\255\\255\\255\\127')}", "[-9223372036854775808,9]"),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&lua, &format!("return {expr}")), want, "{expr}");
        }
    }

    #[test]
    fn size_of_formats() {
        let lua = lua();
        let cases = [
            ("i", "4"),
            ("!8bd", "16"),
            ("c5", "5"),
            (">bhi", "7"),
            ("!bhi", "8"),
            ("", "0"),
            ("lLT", "24"),
            ("i32", "32"),
            ("xxx", "3"),
            ("  ", "0"),
            ("c", "1"),
            ("z", "0"),
            ("Q", "0"),
            ("!4bi", "8"),
            ("!16bd", "16"),
            ("!2bd", "10"),
            ("!bi16", "24"),
            ("!bi3", "6"),
            ("!8bi6", "12"),
            (">!<  ", "0"),
            ("bc3i", "8"),
            ("!bc3i", "8"),
            ("x!4i", "8"),
            ("i1i2i4i8", "15"),
            ("c00001", "1"),
            ("c2147483647", "2147483647"),
            ("c2147483647c2147483647", "4294967294"),
            ("!1073741824bi", "8"),
            ("i\\0i", "4"),
        ];
        for (fmt, want) in cases {
            assert_eq!(
                eval(&lua, &format!("return struct.size('{fmt}')")),
                want,
                "{fmt}"
            );
        }
    }

    #[test]
    fn errors() {
        let lua = lua();
        let cases = [
            (
                "struct.pack, 'i33', 1",
                "integral size 33 is larger than limit of 32",
            ),
            ("struct.pack, 'i99999999999', 1", "integral size overflow"),
            (
                "struct.pack, 'i99999999', 1",
                "integral size 99999999 is larger than limit of 32",
            ),
            (
                "struct.pack, 'c2000000000', 'x'",
                "bad argument #3 to '?' (string too short)",
            ),
            ("struct.pack, 'c99999999999', 'x'", "integral size overflow"),
            (
                "struct.pack, 'z', 1",
                "bad argument #1 to '?' (invalid format option 'z')",
            ),
            (
                "struct.pack, 'bz', 1",
                "bad argument #1 to '?' (invalid format option 'z')",
            ),
            ("struct.pack, '!3i', 1", "alignment 3 is not a power of 2"),
            ("struct.pack, '!0'", "alignment 0 is not a power of 2"),
            (
                "struct.pack, 'i'",
                "bad argument #2 to '?' (number expected, got nil)",
            ),
            (
                "struct.pack, 'ii', 1",
                "bad argument #3 to '?' (number expected, got nil)",
            ),
            (
                "struct.pack, 'i', 'x'",
                "bad argument #2 to '?' (number expected, got string)",
            ),
            (
                "struct.pack",
                "bad argument #1 to '?' (string expected, got no value)",
            ),
            (
                "struct.pack, 12",
                "bad argument #1 to '?' (invalid format option '1')",
            ),
            (
                "struct.pack, 'c5', 'abc'",
                "bad argument #3 to '?' (string too short)",
            ),
            (
                "struct.pack, 'c', {}",
                "bad argument #2 to '?' (string expected, got table)",
            ),
            (
                "struct.unpack, '>b', '\\001\\002', 3",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, '>b', '\\001\\002', 0",
                "bad argument #3 to '?' (offset must be 1 or greater)",
            ),
            (
                "struct.unpack, '>b', '\\001\\002', -5",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, '>b', '\\001\\002', 2^40",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, '>b', '\\001\\002', 'x'",
                "bad argument #3 to '?' (number expected, got string)",
            ),
            (
                "struct.unpack, '>i', '\\001\\002'",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'i'",
                "bad argument #2 to '?' (string expected, got no value)",
            ),
            (
                "struct.unpack",
                "bad argument #1 to '?' (string expected, got no value)",
            ),
            (
                "struct.unpack, 'c0', 'abcd'",
                "format 'c0' needs a previous size",
            ),
            (
                "struct.unpack, 'xc0', 'abcd'",
                "format 'c0' needs a previous size",
            ),
            (
                "struct.unpack, 'c1c0', 'xabcd'",
                "format 'c0' needs a previous size",
            ),
            (
                "struct.unpack, 'bc0', '\\009abcd'",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'bc0', '\\255abcd'",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'ic0', '\\255\\255\\255\\255abcd'",
                "bad argument #2 to '?' (data string too short)",
            ),
            ("struct.unpack, 's', 'abc'", "unfinished string in data"),
            (
                "struct.unpack, 's', 'abc\\000', 5",
                "unfinished string in data",
            ),
            (
                "struct.unpack, 'i', 'abcd', -1",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, '!4 i', 'abcd', -1",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'x', '', 1",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'z', 'abc'",
                "bad argument #1 to '?' (invalid format option 'z')",
            ),
            (
                "struct.unpack, '#', 'abc'",
                "bad argument #1 to '?' (invalid format option '#')",
            ),
            (
                "struct.unpack, 12, '12345'",
                "bad argument #1 to '?' (invalid format option '1')",
            ),
            (
                "struct.unpack, string.rep('b', 9000), string.rep('a', 9000)",
                "stack overflow (too many results)",
            ),
            (
                "struct.size, 's'",
                "bad argument #1 to '?' (option 's' has no fixed size)",
            ),
            (
                "struct.size, 'c0'",
                "bad argument #1 to '?' (option 'c0' has no fixed size)",
            ),
            (
                "struct.size, 'c0000'",
                "bad argument #1 to '?' (option 'c0' has no fixed size)",
            ),
            (
                "struct.size, 'i33'",
                "integral size 33 is larger than limit of 32",
            ),
            (
                "struct.size, 'i2147483647'",
                "integral size 2147483647 is larger than limit of 32",
            ),
            ("struct.size, 'i2147483648'", "integral size overflow"),
            ("struct.size, 'c2147483648'", "integral size overflow"),
            ("struct.size, '!2147483648'", "integral size overflow"),
            ("struct.size, '!3'", "alignment 3 is not a power of 2"),
            ("struct.size, 'z!3'", "alignment 3 is not a power of 2"),
            (
                "struct.size, '#'",
                "bad argument #1 to '?' (invalid format option '#')",
            ),
            (
                "struct.size",
                "bad argument #1 to '?' (string expected, got no value)",
            ),
        ];
        for (call, want) in cases {
            assert_eq!(err(&lua, call), want, "{call}");
        }
        // From Lua code: the caller's name and position.
        assert_eq!(
            err(&lua, "function() return struct.pack('i') end"),
            "user_script:1: bad argument #2 to 'pack' (number expected, got nil)"
        );
        assert_eq!(
            err(&lua, "function() return struct.size('!3') end"),
            "user_script:1: alignment 3 is not a power of 2"
        );
        assert_eq!(
            eval(&lua, "local ok, e = pcall(struct.pack, '\\255') return e"),
            "bad argument #1 to '?' (invalid format option '\u{fffd}')"
        );
    }

    #[test]
    fn too_many_results_threshold() {
        let lua = lua();
        let probe = |extra: &str| {
            eval(
                &lua,
                &format!(
                    "local lo = 0 for n = 7990, 8005 do if pcall(function() return select('#', \
                     struct.unpack(string.rep('b', n), string.rep('a', n){extra})) end) \
                     then lo = n end end return lo"
                ),
            )
        };
        assert_eq!(probe(""), "7997");
        assert_eq!(probe(", 1"), "7996");
    }

    #[test]
    fn errors_are_strings_and_pairs_order() {
        let lua = lua();
        assert_eq!(
            eval(&lua, "local ok, e = pcall(struct.pack, 'i') return type(e)"),
            "string"
        );
        assert_eq!(
            eval(
                &lua,
                "local t = {} for k in pairs(struct) do t[#t+1] = k end return t"
            ),
            "[pack,size,unpack]"
        );
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let lua = lua();
        assert_eq!(
            err(&lua, "struct.pack, 'c2147483647', 'x'"),
            "bad argument #3 to '?' (string too short)"
        );
        assert_eq!(
            err(&lua, "struct.unpack, 'c2147483647', 'x'"),
            "bad argument #2 to '?' (data string too short)"
        );
        assert_eq!(
            err(&lua, "struct.unpack, 'bc0', '\\127'"),
            "bad argument #2 to '?' (data string too short)"
        );
    }

    #[test]
    fn conversions_match_x86() {
        assert_eq!(super::c_f64_to_u64(2f64.powi(64)), 0);
        assert_eq!(super::c_f64_to_u64(f64::NAN), 1 << 63);
        assert_eq!(super::c_f64_to_u64(f64::INFINITY), 0);
        assert_eq!(
            super::c_f64_to_u64(1.5 * 2f64.powi(63)),
            0xc000_0000_0000_0000
        );
        assert_eq!(super::c_f64_to_i64(-1e300), i64::MIN);
        assert_eq!(super::f64_to_f32(-f64::NAN).to_bits(), 0xffc0_0000);
    }

    proptest! {
        #[test]
        fn pack_unpack_round_trip(
            b in any::<i8>(), ub in any::<u8>(), h in any::<i16>(), uh in any::<u16>(),
            i in any::<i32>(), ui in any::<u32>(), l in -(1i64 << 53)..(1i64 << 53),
            f in any::<f32>().prop_filter("finite", |f| f.is_finite()),
            d in any::<f64>().prop_filter("finite", |d| d.is_finite()),
            s in "[a-z]{0,20}", little in any::<bool>(), align in 0u32..4,
        ) {
            let lua = lua();
            let order = if little { '<' } else { '>' };
            let fmt = format!("{order}!{} b B h H i I l f d s i4 c0 i3", 1u32 << align);
            let numeric = format!("{order}!{} b B h H i I l f d", 1u32 << align);
            let func: mlua::Function = lua
                .load(
                    "return function(fmt, numeric, ...) \
                     local packed = struct.pack(fmt, ...) \
                     local size = struct.size(numeric) \
                     local numeric_len = #struct.pack(numeric, ...) \
                     return packed, size, numeric_len, {struct.unpack(fmt, packed)} end",
                )
                .eval()
                .unwrap();
            let len = s.len() as i64;
            let (packed, size, numeric_len, back): (mlua::LuaString, i64, i64, mlua::Table) = func
                .call((
                    fmt.as_str(), numeric.as_str(), b, ub, h, uh, i, ui, l, f, d,
                    s.as_str(), len, s.as_str(), -5,
                ))
                .unwrap();
            prop_assert_eq!(size, numeric_len);
            let got = |k: i64| back.get::<f64>(k).unwrap();
            prop_assert_eq!(got(1), f64::from(b));
            prop_assert_eq!(got(2), f64::from(ub));
            prop_assert_eq!(got(3), f64::from(h));
            prop_assert_eq!(got(4), f64::from(uh));
            prop_assert_eq!(got(5), f64::from(i));
            prop_assert_eq!(got(6), f64::from(ui));
            prop_assert_eq!(got(7), l as f64);
            prop_assert_eq!(got(8), f64::from(f));
            prop_assert_eq!(got(9), d);
            prop_assert_eq!(back.get::<String>(10).unwrap(), s.clone());
            prop_assert_eq!(back.get::<String>(11).unwrap(), s);
            prop_assert_eq!(got(12), -5.0);
            prop_assert_eq!(got(13), packed.as_bytes().len() as f64 + 1.0);
        }
    }
}
