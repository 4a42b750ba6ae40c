//! The `bit` library: LuaBitOp 1.0.2's bitwise operations on 32-bit
//! integers, as Redis embeds it in its Lua 5.1 VM.
//!
//! Every operand is a Lua number (or a string Lua converts to one) brought
//! to 32 bits the way LuaBitOp does under 5.1: adding 2^52 + 2^51 to the
//! double rounds it to an integer (ties to even) held in the low word of its
//! representation. So any finite number is taken modulo 2^32, huge ones
//! keep whatever low bits their representation has, and NaN and the
//! infinities give 0. Results are signed 32-bit values.
//!
//! The functions are plain Lua C functions over the raw API rather than
//! mlua callbacks: an mlua callback raises its errors as userdata, while
//! scripts must see the very strings LuaBitOp raises through
//! `luaL_typerror` (`bad argument #1 to 'band' (number expected, got
//! string)`, with the name taken from the call site and the script's
//! position when called from Lua code). Nothing they hold owns memory, so
//! Lua's `longjmp` on error skips no destructor.

use std::os::raw::c_int;

use mlua::{ffi, Lua};

/// Registers the `bit` global table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    // LuaBitOp registers its functions with `luaL_register`, which sizes the
    // table for all of them up front and then sets them in this order; doing
    // the same gives `pairs(bit)` Redis's order.
    let functions: [(&str, ffi::lua_CFunction); 12] = [
        ("tobit", bit_tobit),
        ("bnot", bit_bnot),
        ("band", bit_band),
        ("bor", bit_bor),
        ("bxor", bit_bxor),
        ("lshift", bit_lshift),
        ("rshift", bit_rshift),
        ("arshift", bit_arshift),
        ("rol", bit_rol),
        ("ror", bit_ror),
        ("bswap", bit_bswap),
        ("tohex", bit_tohex),
    ];
    let table = lua.create_table_with_capacity(0, functions.len())?;
    for (name, func) in functions {
        // SAFETY: each function follows the C API protocol: it reads its
        // arguments from the stack, pushes its results and returns their
        // count, and raises errors only while it owns nothing.
        let function = unsafe { lua.create_c_function(func)? };
        table.raw_set(name, function)?;
    }
    lua.globals().set("bit", table)
}

/// Brings a Lua number to 32 bits exactly as LuaBitOp's 5.1 build does.
fn normalize(n: f64) -> u32 {
    // The low word of the double after adding 2^52 + 2^51; the truncating
    // cast is the point.
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// Argument `idx` as 32 bits; raises `number expected, got <type>` when it
/// is neither a number nor a string convertible to one.
///
/// # Safety
/// `l` must be the state of a running C function; may raise a Lua error.
unsafe fn barg(l: *mut ffi::lua_State, idx: c_int) -> u32 {
    // SAFETY: the caller's contract; reading a stack slot never raises.
    let bits = normalize(unsafe { ffi::lua_tonumber(l, idx) });
    // A value that is not a number reads as 0, and only 0 normalizes to 0
    // bits among the values LuaBitOp rejects, so this is its whole check.
    if bits == 0 && unsafe { ffi::lua_isnumber(l, idx) } == 0 {
        // SAFETY: raising is allowed: this frame owns nothing.
        unsafe { ffi::luaL_typerror(l, idx, c"number".as_ptr()) };
    }
    bits
}

/// Pushes a 32-bit result the way LuaBitOp returns it: as a signed value.
///
/// # Safety
/// `l` must be the state of a running C function with a free stack slot.
unsafe fn push_bits(l: *mut ffi::lua_State, bits: u32) -> c_int {
    // SAFETY: the caller's contract; pushing a number never raises.
    unsafe { ffi::lua_pushnumber(l, f64::from(bits as i32)) };
    1
}

/// `bit.tobit(x)`: x normalized to a signed 32-bit number.
unsafe extern "C-unwind" fn bit_tobit(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe {
        let b = barg(l, 1);
        push_bits(l, b)
    }
}

/// `bit.bnot(x)`: bitwise not.
unsafe extern "C-unwind" fn bit_bnot(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe {
        let b = barg(l, 1);
        push_bits(l, !b)
    }
}

/// Folds `op` over all arguments. The first argument is converted first,
/// then the others from the last one down, which decides which bad argument
/// an error names.
///
/// # Safety
/// `l` must be the state of a running C function; may raise a Lua error.
unsafe fn fold(l: *mut ffi::lua_State, op: fn(u32, u32) -> u32) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        let mut acc = barg(l, 1);
        let mut i = ffi::lua_gettop(l);
        while i > 1 {
            acc = op(acc, barg(l, i));
            i -= 1;
        }
        push_bits(l, acc)
    }
}

/// `bit.band(x1 [, x2...])`: bitwise and of all arguments.
unsafe extern "C-unwind" fn bit_band(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { fold(l, |a, b| a & b) }
}

/// `bit.bor(x1 [, x2...])`: bitwise or of all arguments.
unsafe extern "C-unwind" fn bit_bor(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { fold(l, |a, b| a | b) }
}

/// `bit.bxor(x1 [, x2...])`: bitwise exclusive or of all arguments.
unsafe extern "C-unwind" fn bit_bxor(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { fold(l, |a, b| a ^ b) }
}

/// Applies a shift or rotation by the low five bits of the second argument.
///
/// # Safety
/// `l` must be the state of a running C function; may raise a Lua error.
unsafe fn shift(l: *mut ffi::lua_State, op: fn(u32, u32) -> u32) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        let b = barg(l, 1);
        let n = barg(l, 2) & 31;
        push_bits(l, op(b, n))
    }
}

/// `bit.lshift(x, n)`: logical left shift.
unsafe extern "C-unwind" fn bit_lshift(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { shift(l, |b, n| b << n) }
}

/// `bit.rshift(x, n)`: logical right shift.
unsafe extern "C-unwind" fn bit_rshift(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { shift(l, |b, n| b >> n) }
}

/// `bit.arshift(x, n)`: arithmetic right shift.
unsafe extern "C-unwind" fn bit_arshift(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { shift(l, |b, n| ((b as i32) >> n) as u32) }
}

/// `bit.rol(x, n)`: left rotation.
unsafe extern "C-unwind" fn bit_rol(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { shift(l, u32::rotate_left) }
}

/// `bit.ror(x, n)`: right rotation.
unsafe extern "C-unwind" fn bit_ror(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe { shift(l, u32::rotate_right) }
}

/// `bit.bswap(x)`: byte order reversed.
unsafe extern "C-unwind" fn bit_bswap(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function.
    unsafe {
        let b = barg(l, 1);
        push_bits(l, b.swap_bytes())
    }
}

/// The hex digits `bit.tohex` returns: `n` digits (default 8, at most 8),
/// upper case when `n` is negative, taken from the low end of `b`.
fn hex_digits(b: u32, n: i32) -> ([u8; 8], usize) {
    let (digits, n) = if n < 0 {
        (b"0123456789ABCDEF", n.unsigned_abs())
    } else {
        (b"0123456789abcdef", n.unsigned_abs())
    };
    // -2^31 has no positive counterpart; LuaBitOp's build ends up treating
    // it as a count above 8, which this unsigned clamp reproduces.
    let len = n.min(8) as usize;
    let mut out = [0u8; 8];
    let mut rest = b;
    for slot in out.iter_mut().take(len).rev() {
        *slot = digits.get((rest & 15) as usize).copied().unwrap_or(b'0');
        rest >>= 4;
    }
    (out, len)
}

/// `bit.tohex(x [, n])`: x as hex digits.
unsafe extern "C-unwind" fn bit_tohex(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function; the digits live in this frame
    // and Lua copies them.
    unsafe {
        let b = barg(l, 1);
        let n = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
            8
        } else {
            barg(l, 2) as i32
        };
        let (out, len) = hex_digits(b, n);
        ffi::lua_pushlstring(l, out.as_ptr().cast(), len);
        1
    }
}

#[cfg(test)]
mod tests {
    use mlua::{Lua, Value};

    fn lua() -> Lua {
        let lua = Lua::new();
        super::open(&lua).unwrap();
        lua
    }

    /// Runs a chunk returning one value and renders it as Redis would
    /// reply with it (numbers truncated to integers), or the error text.
    fn eval(lua: &Lua, code: &str) -> String {
        match lua.load(code).set_name("@user_script").eval::<Value>() {
            Ok(Value::Integer(i)) => i.to_string(),
            Ok(Value::Number(n)) => (n as i64).to_string(),
            Ok(Value::String(s)) => s.to_str().unwrap().to_string(),
            Ok(Value::Nil) => "nil".to_string(),
            Ok(Value::Boolean(b)) => b.to_string(),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("ERR {e}"),
        }
    }

    /// The error message a call raises, through `pcall`.
    fn err(lua: &Lua, call: &str) -> String {
        let code = format!("local ok, e = pcall({call}) assert(not ok) return e");
        lua.load(&code)
            .set_name("@user_script")
            .eval::<String>()
            .unwrap()
    }

    #[test]
    fn tobit_normalizes_like_luabitop() {
        let lua = lua();
        let cases = [
            ("0xffffffff", "-1"),
            ("2^32+5", "5"),
            ("-1", "-1"),
            ("1.5", "2"),
            ("2.5", "2"),
            ("-1.5", "-2"),
            ("2^52", "0"),
            ("2^53+3", "2"),
            ("1e300", "-2013235812"),
            ("0/0", "0"),
            ("1/0", "0"),
            ("-1/0", "0"),
            ("'12'", "12"),
            ("'0x10'", "16"),
            ("' 7 '", "7"),
        ];
        for (arg, want) in cases {
            assert_eq!(
                eval(&lua, &format!("return bit.tobit({arg})")),
                want,
                "{arg}"
            );
        }
    }

    #[test]
    fn logic_and_shifts() {
        let lua = lua();
        let cases = [
            ("bit.bor(1)", "1"),
            ("bit.bor(1,2,4,8)", "15"),
            ("bit.band(0xff, 0x0f, 0x3)", "3"),
            ("bit.bxor(1,3,7)", "5"),
            ("bit.bnot(0)", "-1"),
            ("bit.bnot(-1)", "0"),
            ("bit.bnot(0x12345678)", "-305419897"),
            ("bit.lshift(1, 31)", "-2147483648"),
            ("bit.lshift(1, 32)", "1"),
            ("bit.lshift(1, 33)", "2"),
            ("bit.lshift(1, -1)", "-2147483648"),
            ("bit.rshift(-1, 28)", "15"),
            ("bit.rshift(-1, 32)", "-1"),
            ("bit.arshift(-256, 4)", "-16"),
            ("bit.arshift(0x80000000, 31)", "-1"),
            ("bit.rol(0x12345678, 4)", "591751041"),
            ("bit.ror(0x12345678, 4)", "-2128394905"),
            ("bit.rol(1, 0)", "1"),
            ("bit.ror(1, 32)", "1"),
            ("bit.rol(1, -1)", "-2147483648"),
            ("bit.bswap(0x12345678)", "2018915346"),
            ("bit.bswap(0xff)", "-16777216"),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&lua, &format!("return {expr}")), want, "{expr}");
        }
    }

    #[test]
    fn tohex_widths_and_case() {
        let lua = lua();
        let cases = [
            ("255", "000000ff"),
            ("-1", "ffffffff"),
            ("255, 2", "ff"),
            ("255, -2", "FF"),
            ("0x12345678, 0", ""),
            ("0x12345678, 12", "12345678"),
            ("0x12345678, -12", "12345678"),
            ("1, 1.5", "01"),
            ("1, 2^32-3", "001"),
            ("'255'", "000000ff"),
            ("0x89abcdef, -2^31", "89ABCDEF"),
            ("0x89abcdef, 2^31", "89ABCDEF"),
            ("0x89abcdef, -9", "89ABCDEF"),
            ("0x89abcdef, 9", "89abcdef"),
            ("0x89abcdef, -1", "F"),
        ];
        for (args, want) in cases {
            assert_eq!(
                eval(&lua, &format!("return bit.tohex({args})")),
                want,
                "{args}"
            );
        }
    }

    #[test]
    fn argument_errors_name_the_argument_and_function() {
        let lua = lua();
        assert_eq!(
            err(&lua, "bit.tobit, 'x'"),
            "bad argument #1 to '?' (number expected, got string)"
        );
        assert_eq!(
            err(&lua, "bit.tobit"),
            "bad argument #1 to '?' (number expected, got no value)"
        );
        assert_eq!(
            err(&lua, "bit.tobit, nil"),
            "bad argument #1 to '?' (number expected, got nil)"
        );
        assert_eq!(
            err(&lua, "bit.bnot, true"),
            "bad argument #1 to '?' (number expected, got boolean)"
        );
        assert_eq!(
            err(&lua, "bit.tohex, 1, nil"),
            "bad argument #2 to '?' (number expected, got nil)"
        );
        assert_eq!(
            err(&lua, "bit.lshift, 1"),
            "bad argument #2 to '?' (number expected, got no value)"
        );
        // Called from Lua code, the name comes from the call site and the
        // position of the caller is prefixed.
        assert_eq!(
            err(&lua, "function() return bit.band(1, 'x', 'y') end"),
            "user_script:1: bad argument #3 to 'band' (number expected, got string)"
        );
        assert_eq!(
            err(&lua, "function() return bit.band('x', 'y') end"),
            "user_script:1: bad argument #1 to 'band' (number expected, got string)"
        );
        assert_eq!(
            err(&lua, "function() local f = bit.bor return f('0', {}) end"),
            "user_script:1: bad argument #2 to 'f' (number expected, got table)"
        );
    }

    #[test]
    fn errors_are_strings() {
        let lua = lua();
        let kind: String = lua
            .load("local ok, e = pcall(bit.band, {}) return type(e)")
            .eval()
            .unwrap();
        assert_eq!(kind, "string");
    }

    #[test]
    fn pairs_order_matches_redis() {
        let lua = lua();
        let names: Vec<String> = lua
            .load("local t = {} for k in pairs(bit) do t[#t+1] = k end return t")
            .eval()
            .unwrap();
        assert_eq!(
            names,
            [
                "band", "rshift", "bor", "bnot", "bswap", "bxor", "tobit", "ror", "lshift",
                "tohex", "rol", "arshift"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn integers_in_range_normalize_to_themselves(x in proptest::num::i32::ANY) {
            proptest::prop_assert_eq!(super::normalize(f64::from(x)) as i32, x);
        }

        #[test]
        fn normalization_is_modular(x in -(1i64 << 50)..(1i64 << 50)) {
            proptest::prop_assert_eq!(super::normalize(x as f64), x as u32);
        }
    }
}
