//! Numbers as Redis 7.0 reads and writes them.
//!
//! Redis accepts integers, cursors and floats with specific C routines
//! (`string2ll`, `strtoul`, `strtod`, `strtold`) and prints floats with
//! `printf`; clients see every difference, so each function here names the
//! Redis behaviour it reproduces. The expectations in the tests were checked
//! against redis-server 7.0.15 on x86_64.
//!
//! `INCRBYFLOAT` and `HINCRBYFLOAT` compute in C's `long double`, which on
//! x86_64 is the 80-bit extended format: `SET k 0.1` then `INCRBYFLOAT k 0.2`
//! gives `0.3` there, where `f64` arithmetic would give
//! `0.30000000000000004`. [`LongDouble`] does that arithmetic, its parsing
//! and its formatting through a small C shim (`csrc/longdouble.c`); so does
//! [`parse_f64`], because Rust's float parser knows no `strtod` hexadecimal
//! forms (`0x1p3`). [`fmt_f64`] is pure Rust, tested against C's `printf`.
//!
//! The C conversions follow the process's `LC_NUMERIC` locale, which stays
//! "C" as long as nothing calls `setlocale`; Redis behaves the same way.

use std::fmt;

/// The C shim built by `build.rs` from `csrc/longdouble.c`.
mod ffi {
    use std::ffi::{c_char, c_int};

    extern "C" {
        pub fn ferrite_ld_parse(s: *const c_char, len: usize, out: *mut u8) -> c_int;
        pub fn ferrite_ld_add(a: *const u8, b: *const u8, out: *mut u8);
        pub fn ferrite_ld_from_i64(n: i64, out: *mut u8);
        pub fn ferrite_ld_class(v: *const u8) -> c_int;
        pub fn ferrite_ld_timeout_ms(v: *const u8, out: *mut i64) -> c_int;
        pub fn ferrite_ld_fmt_fixed17(v: *const u8, buf: *mut c_char, cap: usize) -> c_int;
        pub fn ferrite_strtod(s: *const c_char, out: *mut f64, erange: *mut c_int) -> usize;
        #[cfg(test)]
        pub fn ferrite_fmt_double_g17(d: f64, buf: *mut c_char, cap: usize) -> c_int;
    }
}

/// Bytes of a [`LongDouble`] (`FERRITE_LD_BYTES` in the shim).
const LD_BYTES: usize = 16;

/// Redis's `MAX_LONG_DOUBLE_CHARS`: long-double text must be shorter than
/// this, and formatting uses a buffer this large (`FERRITE_LD_MAX_CHARS`).
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Longest text [`parse_i64`] accepts, `-9223372036854775808`.
pub const MAX_I64_CHARS: usize = 20;

/// Parses a signed 64-bit integer exactly as Redis's `string2ll` does, which
/// is what `INCR`, `INCRBY`, `DECRBY`, `EXPIRE`, list indices, `COUNT`
/// arguments and the like accept: an optional `-`, then `0` alone or a
/// non-zero digit followed by digits, within `i64`.
///
/// Rejected: the empty string, `+1`, ` 1`, `1 `, `01`, `00`, `-0`, `-`,
/// `0x10`, `1e3`, `1.0`, embedded NULs and anything out of range
/// (`9223372036854775808`, `-9223372036854775809`).
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let magnitude = match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] if s.len() <= MAX_I64_CHARS => parse_digits(digits)?,
        _ => return None,
    };
    if negative {
        if magnitude <= i64::MIN.unsigned_abs() {
            // Two's complement negation; 2^63 maps to i64::MIN.
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a non-empty run of ASCII digits into a `u64`, `None` on any other
/// byte or on overflow.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// Parses an unsigned 64-bit integer in canonical form, the unsigned twin of
/// [`parse_i64`]: `0` alone or a non-zero digit followed by digits, at most
/// `u64::MAX`; no sign, no spaces, no leading zeros.
///
/// This is stricter than what `SCAN` accepts as a cursor; for cursors use
/// [`parse_scan_cursor`].
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    match s {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] => parse_digits(s),
        _ => None,
    }
}

/// Parses a `SCAN`/`SSCAN`/`HSCAN`/`ZSCAN` cursor as Redis 7.0 does: C's
/// `strtoul(s, &end, 10)` on the NUL-terminated argument, refused (`ERR
/// invalid cursor`) when the first byte is white space, when anything is
/// left over or on overflow.
///
/// So, as in Redis: the text stops at the first NUL (`1\0x` is 1); the empty
/// string is 0; a leading `+` and leading zeros are fine (`+5`, `007`); a
/// leading `-` negates modulo 2^64 (`-1` is `u64::MAX`,
/// `-18446744073709551615` is 1); `-`, `+`, ` 0`, `0 `, `0x10`, `1e3` and
/// values past `u64::MAX` (either sign) are refused.
pub fn parse_scan_cursor(s: &[u8]) -> Option<u64> {
    let s = s.split(|&b| b == 0).next().unwrap_or_default();
    let (negative, digits) = match s {
        [] => return Some(0),
        [first, ..] if is_c_space(*first) => return None,
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let magnitude = parse_digits(digits)?;
    Some(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// Returns the integer Redis would store for this string value, that is
/// whether `SET k <s>` gives `OBJECT ENCODING k` = `int`: at most 20 bytes
/// that [`parse_i64`] accepts. `-0`, `007`, ` 1` and `1 ` stay strings
/// (`embstr`).
pub fn is_canonical_i64(s: &[u8]) -> Option<i64> {
    if s.len() > MAX_I64_CHARS {
        return None;
    }
    parse_i64(s)
}

/// Formats `n` in decimal into the end of `buf` and returns the digits, as
/// Redis's `ll2string` writes them. Twenty bytes fit every `i64`.
pub fn fmt_i64(n: i64, buf: &mut [u8; MAX_I64_CHARS]) -> &[u8] {
    let mut start = buf.len();
    let mut rest = n.unsigned_abs();
    // At most 19 digits and a sign: `start` never passes 0.
    loop {
        start -= 1;
        buf[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    &buf[start..]
}

/// C's `isspace` in the "C" locale (unlike `u8::is_ascii_whitespace`, it
/// includes the vertical tab).
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parses a double as Redis's `string2d`/`getDoubleFromObject` does, which
/// is what `ZADD`, `ZINCRBY`, `ZRANGEBYSCORE` bounds and the like accept:
/// all of `s` must be consumed by C's `strtod`.
///
/// Accepted, as in Redis: `1`, `+1`, `.5`, `5.`, `1e3`, `1E3`, `0x10`,
/// `0x1p3`, `inf`, `+inf`, `-inf`, `Infinity` (any case), denormals such as
/// `1e-310`. Rejected: the empty string, a leading white-space byte (` 1`),
/// trailing bytes (`1 `, `1e`, `1_0`), embedded NULs, NaN in any spelling,
/// overflow (`1e400`) and underflow to zero (`1e-400`; an exact zero such as
/// `0e-400` is fine).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.first().is_none_or(|&b| is_c_space(b)) || s.contains(&0) {
        return None;
    }
    let r = strtod(s);
    let out_of_range = r.erange && (r.value.is_infinite() || r.value == 0.0);
    (r.consumed == s.len() && !out_of_range && !r.value.is_nan()).then_some(r.value)
}

/// What C's `strtod` makes of a text: Redis reads doubles with it and
/// accepts or refuses the result by rules of its own per command
/// ([`parse_f64`], score-range bounds, SORT weights).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strtod {
    /// The value (±inf or ±0 on overflow or underflow, as strtod gives them).
    pub value: f64,
    /// Bytes consumed from the start; 0 when nothing was converted.
    pub consumed: usize,
    /// `errno` became ERANGE: overflow, or an inexact underflow.
    pub erange: bool,
}

/// C's `strtod` over `s` as C code sees it, up to its first NUL byte
/// (leading white space skipped, decimal and hexadecimal forms, `inf`,
/// `infinity`, `nan`, all in the C locale).
pub fn strtod(s: &[u8]) -> Strtod {
    let s = s
        .get(..s.iter().position(|&b| b == 0).unwrap_or(s.len()))
        .unwrap_or_default();
    // strtod needs a NUL-terminated copy.
    let mut stack = [0u8; 64];
    let heap;
    let text: &[u8] = if s.len() < stack.len() {
        stack[..s.len()].copy_from_slice(s);
        &stack[..=s.len()]
    } else {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s);
        v.push(0);
        heap = v;
        &heap
    };
    let mut value = 0.0f64;
    let mut erange = 0;
    // SAFETY: `text` is `s` followed by its only NUL, so strtod reads within
    // it; `value` and `erange` are valid slots for the results.
    let consumed = unsafe { ffi::ferrite_strtod(text.as_ptr().cast(), &mut value, &mut erange) };
    Strtod {
        value,
        consumed: consumed.min(s.len()),
        erange: erange != 0,
    }
}

/// Appends `d` as Redis 7.0 replies with a double (`ZSCORE`, `ZINCRBY`,
/// `addReplyDouble`): C's `%.17g`, with infinities as `inf` and `-inf`.
/// Examples: `0.1` → `0.10000000000000001`, `1e16` → `10000000000000000`,
/// `1e17` → `1e+17`, `1e-5` → `1.0000000000000001e-05`, `-0.0` → `-0`.
/// NaN, which Redis never stores, prints as `nan`.
pub fn fmt_f64(d: f64, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Seventeen significant digits, rounded from the exact binary value with
    // ties to even, as glibc's printf does.
    let mut sci = StackText::<40>::new();
    if fmt::Write::write_fmt(&mut sci, format_args!("{d:.16e}")).is_err() {
        // Cannot happen: the longest is `-1.2345678901234567e-308` (24 bytes).
        out.extend_from_slice(format!("{d:.16e}").as_bytes());
        return;
    }
    let text = sci.as_bytes();
    let (negative, text) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let Some(e_at) = text.iter().position(|&b| b == b'e') else {
        return;
    };
    let (mantissa, exponent) = text.split_at(e_at);
    let exponent: i32 = std::str::from_utf8(exponent.get(1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [b'0'; 17];
    for (slot, &digit) in digits
        .iter_mut()
        .zip(mantissa.iter().filter(|b| b.is_ascii_digit()))
    {
        *slot = digit;
    }
    // %g drops trailing zeros of the fraction, and the point with them.
    let significant = digits
        .iter()
        .rposition(|&b| b != b'0')
        .map_or(1, |last| last + 1);
    let digits = &digits[..significant];

    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exponent) {
        if exponent < 0 {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exponent - 1) as usize, b'0');
            out.extend_from_slice(digits);
        } else {
            let int_len = exponent as usize + 1;
            let (int_part, frac) = digits.split_at(int_len.min(digits.len()));
            out.extend_from_slice(int_part);
            out.resize(out.len() + (int_len - int_part.len()), b'0');
            if !frac.is_empty() {
                out.push(b'.');
                out.extend_from_slice(frac);
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        let mut buf = [0u8; MAX_I64_CHARS];
        out.extend_from_slice(fmt_i64(i64::from(magnitude), &mut buf));
    }
}

/// A fixed-capacity text buffer for `write!` without allocating.
struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A C `long double`, the type `INCRBYFLOAT` and `HINCRBYFLOAT` compute in.
///
/// On x86_64 Linux this is the 80-bit x87 extended format (64-bit
/// significand), so sums round differently from `f64`; on targets where C's
/// `long double` is `double` or IEEE quad it is that, as it would be for
/// Redis built there. The value is opaque: parse it, add, test finiteness
/// and format it.
#[derive(Clone, Copy)]
pub struct LongDouble([u8; LD_BYTES]);

impl LongDouble {
    /// The exact value of `n` (as Redis reads an `int`-encoded string).
    pub fn from_i64(n: i64) -> Self {
        let mut out = [0u8; LD_BYTES];
        // SAFETY: `out` has the LD_BYTES bytes the shim writes.
        unsafe { ffi::ferrite_ld_from_i64(n, out.as_mut_ptr()) };
        LongDouble(out)
    }

    /// `self + other`, rounded as C rounds long doubles. May be infinite
    /// (`INCRBYFLOAT` then replies `ERR increment would produce NaN or
    /// Infinity`) or NaN (`inf + -inf`).
    ///
    /// `+` does the same; this method spares callers importing
    /// [`std::ops::Add`].
    #[must_use]
    #[allow(clippy::should_implement_trait)] // The trait is implemented too.
    pub fn add(self, other: LongDouble) -> Self {
        let mut out = [0u8; LD_BYTES];
        // SAFETY: each pointer covers LD_BYTES bytes, as the shim reads and
        // writes; the inputs hold values the shim itself stored.
        unsafe { ffi::ferrite_ld_add(self.0.as_ptr(), other.0.as_ptr(), out.as_mut_ptr()) };
        LongDouble(out)
    }

    /// Neither infinite nor NaN.
    pub fn is_finite(&self) -> bool {
        self.class() == 0
    }

    /// Seconds to whole milliseconds, rounded up, as blocking commands read
    /// their timeout: `None` when the result is negative or does not fit an
    /// `i64` (Redis then answers `timeout is negative`). `-0.0001` gives 0.
    pub fn timeout_ms(&self) -> Option<u64> {
        let mut out = 0i64;
        // SAFETY: the pointer covers the LD_BYTES bytes the shim reads; `out`
        // is a valid i64 it writes only on success.
        let ok = unsafe { ffi::ferrite_ld_timeout_ms(self.0.as_ptr(), &mut out) };
        (ok == 1).then_some(out as u64)
    }

    /// The shim's classification: 0 finite, 1 `+inf`, -1 `-inf`, 2 NaN.
    fn class(&self) -> i32 {
        // SAFETY: the pointer covers the LD_BYTES bytes the shim reads.
        unsafe { ffi::ferrite_ld_class(self.0.as_ptr()) }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    fn add(self, other: LongDouble) -> LongDouble {
        LongDouble::add(self, other)
    }
}

impl fmt::Debug for LongDouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        fmt_long_double_human(self, &mut text);
        write!(f, "LongDouble({})", text.escape_ascii())
    }
}

/// Parses a long double as Redis's `string2ld` does, which is what
/// `INCRBYFLOAT` and `HINCRBYFLOAT` accept, for the increment and for the
/// stored value alike: C's `strtold` must consume all of `s`.
///
/// Accepted, as in Redis: `1`, `+1`, `.5`, `1e5`, `0x10`, `0X1P3`, `inf`,
/// `-infinity` (any case; the command then refuses the infinite result),
/// values up to about `1.18973149535723176502e+4932`, denormals down to
/// about `3.6e-4951`, exact zeros such as `0e-5000`, and up to 5119 bytes
/// (`0` × 5119 is 0). Rejected (`ERR value is not a valid float`): the
/// empty string, 5120 bytes or more, a leading white-space byte (` 1`,
/// `\t1`), trailing bytes (`1 `, `1\n`, `0x`, `1,5`), embedded NULs, NaN in
/// any spelling, overflow (`1e4933`) and underflow to zero (`1e-4960`).
pub fn parse_long_double(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let mut out = [0u8; LD_BYTES];
    // SAFETY: `s` is valid for `s.len()` bytes, which the shim copies into
    // its own NUL-terminated buffer of MAX_LONG_DOUBLE_CHARS bytes after
    // checking the length; `out` has the LD_BYTES bytes it writes.
    let ok = unsafe { ffi::ferrite_ld_parse(s.as_ptr().cast(), s.len(), out.as_mut_ptr()) };
    (ok == 1).then_some(LongDouble(out))
}

/// Appends `v` as `INCRBYFLOAT` stores and returns it (Redis's `ld2string`
/// in its human-friendly mode): C's `%.17Lf` (17 decimals, no exponent),
/// trailing zeros of the fraction and then a bare point removed, and `-0`
/// written `0`. Infinities print as `inf`/`-inf` and NaN as `nan`.
///
/// Examples from Redis: `10.5 + 0.1` → `10.6`, `5.0e3` → `5000`, `3.0` →
/// `3`, `1e-17` → `0.00000000000000001`, `1e-20` and `-1e-20` → `0`,
/// `-0.000000000000000015` → `-0.00000000000000002`, `1.7e308` → all 309
/// integer digits (`17000000000000000000313677...`).
pub fn fmt_long_double_human(v: &LongDouble, out: &mut Vec<u8>) {
    match v.class() {
        0 => {}
        1 => return out.extend_from_slice(b"inf"),
        -1 => return out.extend_from_slice(b"-inf"),
        _ => return out.extend_from_slice(b"nan"),
    }
    let mut buf = [0u8; MAX_LONG_DOUBLE_CHARS];
    // SAFETY: `v.0` covers the LD_BYTES bytes the shim reads; `buf` is
    // writable for `buf.len()` bytes, the bound snprintf is given.
    let written =
        unsafe { ffi::ferrite_ld_fmt_fixed17(v.0.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    // Redis stores an empty string if the text does not fit; no finite
    // long double comes near that.
    let Some(mut text) = usize::try_from(written).ok().and_then(|n| buf.get(..n)) else {
        return;
    };
    if text.contains(&b'.') {
        while let [rest @ .., b'0'] = text {
            text = rest;
        }
        if let [rest @ .., b'.'] = text {
            text = rest;
        }
    }
    if text == b"-0" {
        text = b"0";
    }
    out.extend_from_slice(text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Every expectation below was checked against redis-server 7.0.15
    // (x86_64, glibc).

    /// `(input, parse_i64)`: `SET k <input>` then `INCRBY k 0`, and
    /// `INCRBY j <input>`, agreed on each.
    const I64_CASES: &[(&[u8], Option<i64>)] = &[
        (b"0", Some(0)),
        (b"1", Some(1)),
        (b"-1", Some(-1)),
        (b"9223372036854775807", Some(i64::MAX)),
        (b"-9223372036854775808", Some(i64::MIN)),
        (b"-0", None),
        (b"01", None),
        (b"00", None),
        (b"-09", None),
        (b"+1", None),
        (b" 1", None),
        (b"1 ", None),
        (b"", None),
        (b"-", None),
        (b"9223372036854775808", None),
        (b"-9223372036854775809", None),
        (b"09223372036854775807", None),
        (b"18446744073709551615", None),
        (b"00000000000000000001", None),
        (b"99999999999999999999", None),
        (b"123456789012345678901", None),
        (b"1a", None),
        (b"1\0", None),
        (b"0x10", None),
        (b"1e3", None),
        (b"1.0", None),
    ];

    #[test]
    fn parse_i64_agrees_with_redis() {
        for &(input, expected) in I64_CASES {
            assert_eq!(parse_i64(input), expected, "{}", input.escape_ascii());
            // OBJECT ENCODING was `int` exactly for the accepted ones.
            assert_eq!(
                is_canonical_i64(input),
                expected,
                "{}",
                input.escape_ascii()
            );
        }
    }

    /// `(cursor, parse_scan_cursor)`: `SCAN <cursor> COUNT 1` on 2000 keys
    /// either failed with `ERR invalid cursor` or returned the same next
    /// cursor as the canonical spelling of the value given here.
    const CURSOR_CASES: &[(&[u8], Option<u64>)] = &[
        (b"0", Some(0)),
        (b"", Some(0)),
        (b"+0", Some(0)),
        (b"-0", Some(0)),
        (b"00", Some(0)),
        (b"5", Some(5)),
        (b"+5", Some(5)),
        (b"007", Some(7)),
        (b"1\0", Some(1)),
        (b"-1", Some(u64::MAX)),
        (b"18446744073709551615", Some(u64::MAX)),
        (b"-18446744073709551615", Some(1)),
        (b" 0", None),
        (b"0 ", None),
        (b"\t0", None),
        (b"-", None),
        (b"+", None),
        (b"abc", None),
        (b"0x10", None),
        (b"1e3", None),
        (b"18446744073709551616", None),
        (b"-18446744073709551616", None),
        (b"99999999999999999999999", None),
    ];

    #[test]
    fn parse_scan_cursor_agrees_with_redis() {
        for &(input, expected) in CURSOR_CASES {
            assert_eq!(
                parse_scan_cursor(input),
                expected,
                "{}",
                input.escape_ascii()
            );
        }
    }

    #[test]
    fn parse_u64_is_canonical() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"18446744073709551616",
            b"-1",
            b"+1",
            b"01",
            b" 1",
            b"1 ",
        ] {
            assert_eq!(parse_u64(bad), None, "{}", bad.escape_ascii());
        }
    }

    /// `(input, ZSCORE after ZADD z <input> m)`; `None` where ZADD replied
    /// `ERR value is not a valid float`. Scores were stored with
    /// `zset-max-listpack-entries 0` so that `-0` survives.
    const F64_CASES: &[(&[u8], Option<&[u8]>)] = &[
        (b"1", Some(b"1")),
        (b"0.1", Some(b"0.10000000000000001")),
        (b"0", Some(b"0")),
        (b"-0", Some(b"-0")),
        (b"-0.0", Some(b"-0")),
        (b"+1", Some(b"1")),
        (b"inf", Some(b"inf")),
        (b"+inf", Some(b"inf")),
        (b"-inf", Some(b"-inf")),
        (b"Infinity", Some(b"inf")),
        (b"-infinity", Some(b"-inf")),
        (b"INF", Some(b"inf")),
        (b"0x10", Some(b"16")),
        (b"0x1p3", Some(b"8")),
        (b"0x1.8p1", Some(b"3")),
        (b"1e3", Some(b"1000")),
        (b"1E3", Some(b"1000")),
        (b".5", Some(b"0.5")),
        (b"5.", Some(b"5")),
        (b"-.5", Some(b"-0.5")),
        (b"3.0", Some(b"3")),
        (b"1e-310", Some(b"9.9999999999999694e-311")),
        (b"4.9e-324", Some(b"4.9406564584124654e-324")),
        (b"0x1p-1074", Some(b"4.9406564584124654e-324")),
        (b"2.4703282292062328e-324", Some(b"4.9406564584124654e-324")),
        (b"1.7976931348623157e308", Some(b"1.7976931348623157e+308")),
        (b"0.30000000000000004", Some(b"0.30000000000000004")),
        (b"1.5e300", Some(b"1.5000000000000001e+300")),
        (b"123456789012345678", Some(b"1.2345678901234568e+17")),
        (b"12345678901234567", Some(b"12345678901234568")),
        (b"1234567890123456.7", Some(b"1234567890123456.8")),
        (b"0.000001", Some(b"9.9999999999999995e-07")),
        (b"1e-4", Some(b"0.0001")),
        (b"1e-5", Some(b"1.0000000000000001e-05")),
        (b"1e16", Some(b"10000000000000000")),
        (b"1e17", Some(b"1e+17")),
        (b"-1e17", Some(b"-1e+17")),
        (b"100000000000000000000", Some(b"1e+20")),
        (b"1e21", Some(b"1e+21")),
        (b"0.5", Some(b"0.5")),
        // An exact tie at the 17th digit rounds to even.
        (b"2.98023223876953125e-08", Some(b"2.9802322387695312e-08")),
        (b" 1", None),
        (b"1 ", None),
        (b" inf", None),
        (b"infinity ", None),
        (b"", None),
        (b"nan", None),
        (b"NaN", None),
        (b"-nan", None),
        (b"nan(123)", None),
        (b"1e400", None),
        (b"-1e400", None),
        (b"1e-400", None),
        (b"0x1p-1075", None),
        (b"2.4703282292062327e-324", None),
        (b"1\0", None),
        (b"1e", None),
        (b"1e+", None),
        (b"--1", None),
        (b"1_0", None),
    ];

    #[test]
    fn strtod_reports_what_c_does() {
        let r = |t: &[u8]| {
            let x = strtod(t);
            (x.value, x.consumed, x.erange)
        };
        assert_eq!(r(b"1.5"), (1.5, 3, false));
        assert_eq!(r(b"  -2x"), (-2.0, 4, false));
        assert_eq!(r(b"1\0junk"), (1.0, 1, false));
        assert_eq!(r(b""), (0.0, 0, false));
        assert_eq!(r(b"abc"), (0.0, 0, false));
        assert_eq!(r(b"0x1p3"), (8.0, 5, false));
        assert_eq!(r(b"INFINITY"), (f64::INFINITY, 8, false));
        assert_eq!(r(b"1e400"), (f64::INFINITY, 5, true));
        assert_eq!(r(b"-1e-400"), (-0.0, 7, true));
        // Underflow to a denormal is a range error only when inexact.
        assert!(r(b"1e-310").2);
        assert_eq!(r(b"0x.8p-1073"), (f64::from_bits(1), 10, false));
        let long = format!("{}1", "0".repeat(100));
        assert_eq!(r(long.as_bytes()), (1.0, 101, false));
        assert!(strtod(b"nan").value.is_nan());
    }

    #[test]
    fn parse_and_format_f64_agree_with_redis() {
        for &(input, expected) in F64_CASES {
            let got = parse_f64(input).map(|d| {
                let mut out = Vec::new();
                fmt_f64(d, &mut out);
                out
            });
            assert_eq!(got.as_deref(), expected, "{}", input.escape_ascii());
        }
        // Long inputs have no length limit: 10000 zeros then a one is 1;
        // 400 ones overflow, 309 are fine.
        let mut long = vec![b'0'; 10_000];
        long.push(b'1');
        assert_eq!(parse_f64(&long), Some(1.0));
        assert_eq!(parse_f64(&[b'1'; 400]), None);
        let mut out = Vec::new();
        fmt_f64(parse_f64(&[b'1'; 309]).unwrap_or_default(), &mut out);
        assert_eq!(out, b"1.1111111111111112e+308");
    }

    /// `(stored value or None for a missing key, increment, reply)` of
    /// `INCRBYFLOAT`; `Err(())` where it replied `ERR value is not a valid
    /// float`, and `Ok(None)` where it replied `ERR increment would produce
    /// NaN or Infinity`.
    type IncrCase = (
        Option<&'static [u8]>,
        &'static [u8],
        Result<Option<&'static [u8]>, ()>,
    );
    const INCRBYFLOAT_CASES: &[IncrCase] = &[
        (Some(b"0.1"), b"0.2", Ok(Some(b"0.3"))),
        (Some(b"10.5"), b"0.1", Ok(Some(b"10.6"))),
        (Some(b"5.0e3"), b"0", Ok(Some(b"5000"))),
        (Some(b"3.0"), b"0", Ok(Some(b"3"))),
        (Some(b"1e-20"), b"0", Ok(Some(b"0"))),
        (Some(b"-1e-20"), b"0", Ok(Some(b"0"))),
        (Some(b"-0"), b"0", Ok(Some(b"0"))),
        (Some(b"0"), b"-0", Ok(Some(b"0"))),
        (None, b"-0", Ok(Some(b"0"))),
        (Some(b"-0.0"), b"-0", Ok(Some(b"0"))),
        (Some(b"0.1"), b"-0.1", Ok(Some(b"0"))),
        (Some(b"1"), b"0x10", Ok(Some(b"17"))),
        (Some(b"1"), b"1e5", Ok(Some(b"100001"))),
        (Some(b"1"), b"+1", Ok(Some(b"2"))),
        (Some(b"1"), b".5", Ok(Some(b"1.5"))),
        (Some(b"1"), b"1e-4950", Ok(Some(b"1"))),
        (Some(b"1"), b"0x1p-16400", Ok(Some(b"1"))),
        (None, b"0x1p-16445", Ok(Some(b"0"))),
        (None, b"0X1P3", Ok(Some(b"8"))),
        (None, b"0e-5000", Ok(Some(b"0"))),
        (None, b"-0e-5000", Ok(Some(b"0"))),
        (None, b"1e30", Ok(Some(b"1000000000000000000024696061952"))),
        (
            None,
            b"123456789012345678901234567890",
            Ok(Some(b"123456789012345678899921813504")),
        ),
        (None, b"0.3", Ok(Some(b"0.3"))),
        (None, b"1.1", Ok(Some(b"1.1"))),
        (None, b"-0.1", Ok(Some(b"-0.1"))),
        (None, b"1.5", Ok(Some(b"1.5"))),
        (None, b"123.45", Ok(Some(b"123.45"))),
        (None, b"0.1e1", Ok(Some(b"1"))),
        (
            None,
            b"3.14159265358979323846",
            Ok(Some(b"3.14159265358979324")),
        ),
        (
            None,
            b"1.23456789012345678",
            Ok(Some(b"1.23456789012345678")),
        ),
        (None, b"1.000000000000000005", Ok(Some(b"1"))),
        (
            None,
            b"9223372036854775807",
            Ok(Some(b"9223372036854775807")),
        ),
        (
            None,
            b"-9223372036854775808",
            Ok(Some(b"-9223372036854775808")),
        ),
        (
            Some(b"9223372036854775807"),
            b"1",
            Ok(Some(b"9223372036854775808")),
        ),
        (
            None,
            b"18446744073709551616",
            Ok(Some(b"18446744073709551616")),
        ),
        (None, b"1e18", Ok(Some(b"1000000000000000000"))),
        (None, b"1e19", Ok(Some(b"10000000000000000000"))),
        (None, b"1e20", Ok(Some(b"100000000000000000000"))),
        (None, b"1e-17", Ok(Some(b"0.00000000000000001"))),
        (None, b"-1e-17", Ok(Some(b"-0.00000000000000001"))),
        (None, b"5e-18", Ok(Some(b"0"))),
        (None, b"-5e-18", Ok(Some(b"0"))),
        (None, b"0.000000000000000005", Ok(Some(b"0"))),
        (None, b"2.5e-17", Ok(Some(b"0.00000000000000002"))),
        (
            None,
            b"0.000000000000000015",
            Ok(Some(b"0.00000000000000002")),
        ),
        (
            None,
            b"-0.000000000000000015",
            Ok(Some(b"-0.00000000000000002")),
        ),
        (
            None,
            b"0.000000000000000025",
            Ok(Some(b"0.00000000000000002")),
        ),
        (Some(b"1"), b"inf", Ok(None)),
        (Some(b"1"), b"-inf", Ok(None)),
        (Some(b"1"), b"infinity", Ok(None)),
        (None, b"inFINITY", Ok(None)),
        (Some(b"1"), b" 1", Err(())),
        (Some(b"1"), b"1 ", Err(())),
        (Some(b" 1"), b"1", Err(())),
        (Some(b"1 "), b"1", Err(())),
        (None, b"\t1", Err(())),
        (None, b"\x0b1", Err(())),
        (None, b"1\n", Err(())),
        (Some(b"1"), b"", Err(())),
        (Some(b"1"), b"nan", Err(())),
        (None, b"nan(abc)", Err(())),
        (Some(b"1"), b"1\0", Err(())),
        (None, b"0x", Err(())),
        (None, b"1,5", Err(())),
        (None, b"-", Err(())),
        (Some(b"1"), b"1e4933", Err(())),
        (None, b"1e5000", Err(())),
        (Some(b"1"), b"1e-4960", Err(())),
        (None, b"1e-4951", Err(())),
        (Some(b"1"), b"1e-5000", Err(())),
        (None, b"0x1p-16446", Err(())),
        (None, b"1.18973149535723176508e+4932", Err(())),
    ];

    /// What INCRBYFLOAT would do, from this module's parts.
    fn incrbyfloat(stored: Option<&[u8]>, incr: &[u8]) -> Result<Option<Vec<u8>>, ()> {
        let value = match stored {
            // An `int`-encoded value is read as a long integer.
            Some(s) => match is_canonical_i64(s) {
                Some(n) => LongDouble::from_i64(n),
                None => parse_long_double(s).ok_or(())?,
            },
            None => LongDouble::from_i64(0),
        };
        let sum = value.add(parse_long_double(incr).ok_or(())?);
        if !sum.is_finite() {
            return Ok(None);
        }
        let mut out = Vec::new();
        fmt_long_double_human(&sum, &mut out);
        Ok(Some(out))
    }

    #[test]
    fn incrbyfloat_agrees_with_redis() {
        for &(stored, incr, expected) in INCRBYFLOAT_CASES {
            let got = incrbyfloat(stored, incr);
            let expected = expected.map(|r| r.map(<[u8]>::to_vec));
            assert_eq!(
                got,
                expected,
                "{:?} + {}",
                stored.map(|s| s.escape_ascii().to_string()),
                incr.escape_ascii()
            );
        }
    }

    /// `(stored, increment, reply length, first digits, last digits)`.
    type HugeCase = (
        Option<&'static [u8]>,
        &'static [u8],
        usize,
        &'static [u8],
        &'static [u8],
    );

    #[test]
    fn incrbyfloat_huge_values_agree_with_redis() {
        let cases: [HugeCase; 7] = [
            (
                None,
                b"1e400",
                401,
                b"10000000000000000000281880683947586514586",
                b"734806343732497430221946880",
            ),
            (
                Some(b"1.7e308"),
                b"0",
                309,
                b"17000000000000000000313677802519759679527",
                b"562011679309777401282560",
            ),
            (
                Some(b"1"),
                b"1.7976931348623157e308",
                309,
                b"179769313486231569995921046774104434048",
                b"926376802466863339536384",
            ),
            (
                Some(b"1"),
                b"1e4932",
                4933,
                b"10000000000000000000060189493879638913238",
                b"141086538418113791886622720",
            ),
            (
                None,
                b"1e4000",
                4000,
                b"99999999999999999999654638730996237849324",
                b"951206648276349901340672",
            ),
            (
                None,
                b"-1e4000",
                4001,
                b"-9999999999999999999965463873099623784932",
                b"951206648276349901340672",
            ),
            (
                None,
                b"1.18973149535723176502e+4932",
                4933,
                b"118973149535723176502126385303097020516906",
                b"156604419552086811989770240",
            ),
        ];
        for (stored, incr, len, head, tail) in cases {
            let got = incrbyfloat(stored, incr).ok().flatten().unwrap_or_default();
            assert_eq!(got.len(), len, "{}", incr.escape_ascii());
            assert!(
                got.starts_with(head),
                "{}: {}",
                incr.escape_ascii(),
                got.escape_ascii()
            );
            assert!(
                got.ends_with(tail),
                "{}: {}",
                incr.escape_ascii(),
                got.escape_ascii()
            );
        }
    }

    #[test]
    fn long_double_length_limit() {
        // Redis: 5119 zeros is 0, 5120 zeros is not a valid float; 5118
        // zeros and a one is 1.
        assert!(parse_long_double(&[b'0'; 5119]).is_some());
        assert!(parse_long_double(&[b'0'; 5120]).is_none());
        let mut one = vec![b'0'; 5118];
        one.push(b'1');
        let mut out = Vec::new();
        fmt_long_double_human(
            &parse_long_double(&one).unwrap_or(LongDouble::from_i64(0)),
            &mut out,
        );
        assert_eq!(out, b"1");
        assert!(parse_long_double(&[b'1'; 100_000]).is_none());
    }

    #[test]
    fn long_double_specials() {
        let inf = parse_long_double(b"inf").unwrap_or(LongDouble::from_i64(0));
        let minus_inf = parse_long_double(b"-inf").unwrap_or(LongDouble::from_i64(0));
        assert!(!inf.is_finite());
        let mut out = Vec::new();
        fmt_long_double_human(&inf, &mut out);
        fmt_long_double_human(&minus_inf, &mut out);
        fmt_long_double_human(&(inf + minus_inf), &mut out);
        assert_eq!(out, b"inf-infnan");
        // The largest long double overflows when doubled.
        let max =
            parse_long_double(b"1.18973149535723176502e+4932").unwrap_or(LongDouble::from_i64(0));
        assert!(max.is_finite());
        assert!(!max.add(max).is_finite());
        assert_eq!(format!("{:?}", LongDouble::from_i64(-3)), "LongDouble(-3)");
    }

    #[test]
    fn fmt_i64_extremes() {
        let mut buf = [0u8; MAX_I64_CHARS];
        assert_eq!(fmt_i64(0, &mut buf), b"0");
        assert_eq!(fmt_i64(-7, &mut buf), b"-7");
        assert_eq!(fmt_i64(i64::MAX, &mut buf), b"9223372036854775807");
        assert_eq!(fmt_i64(i64::MIN, &mut buf), b"-9223372036854775808");
    }

    /// `string2ll` restated naively: sign, then canonical digits, in range.
    fn reference_i64(s: &[u8]) -> Option<i64> {
        let text = std::str::from_utf8(s).ok()?;
        let digits = text.strip_prefix('-').unwrap_or(text);
        let canonical = digits == "0" && !text.starts_with('-')
            || digits.starts_with(|c: char| ('1'..='9').contains(&c));
        if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    }

    /// `%.17g` from the C library.
    fn c_g17(d: f64) -> Vec<u8> {
        let mut buf = [0u8; 64];
        // SAFETY: `buf` is writable for its full length, the bound given.
        let n = unsafe { ffi::ferrite_fmt_double_g17(d, buf.as_mut_ptr().cast(), buf.len()) };
        buf.get(..usize::try_from(n).unwrap_or(0))
            .unwrap_or_default()
            .to_vec()
    }

    fn numberish() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(prop::sample::select(&b"0123456789-+ .e\0x"[..]), 0..24)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn i64_roundtrip(n: i64) {
            let mut buf = [0u8; MAX_I64_CHARS];
            let text = fmt_i64(n, &mut buf);
            let expected = n.to_string();
            prop_assert_eq!(text, expected.as_bytes());
            prop_assert_eq!(parse_i64(text), Some(n));
            prop_assert_eq!(is_canonical_i64(text), Some(n));
        }

        #[test]
        fn u64_roundtrip(n: u64) {
            let text = n.to_string();
            prop_assert_eq!(parse_u64(text.as_bytes()), Some(n));
            prop_assert_eq!(parse_scan_cursor(text.as_bytes()), Some(n));
        }

        #[test]
        fn parse_i64_matches_reference(s in numberish()) {
            prop_assert_eq!(parse_i64(&s), reference_i64(&s));
        }

        #[test]
        fn parse_i64_matches_reference_on_digits(s in "-?[0-9]{0,21}") {
            prop_assert_eq!(parse_i64(s.as_bytes()), reference_i64(s.as_bytes()));
        }

        #[test]
        fn fmt_f64_matches_c_printf(bits: u64) {
            let d = f64::from_bits(bits);
            prop_assume!(!d.is_nan());
            let mut out = Vec::new();
            fmt_f64(d, &mut out);
            prop_assert_eq!(out, c_g17(d));
        }

        #[test]
        fn fmt_f64_matches_c_printf_on_short_decimals(m in -100_000i64..100_000, e in -30i32..30) {
            let d = m as f64 * 10f64.powi(e);
            let mut out = Vec::new();
            fmt_f64(d, &mut out);
            prop_assert_eq!(out, c_g17(d));
        }

        #[test]
        fn f64_roundtrip(bits: u64) {
            let d = f64::from_bits(bits);
            prop_assume!(!d.is_nan());
            let mut out = Vec::new();
            fmt_f64(d, &mut out);
            let back = parse_f64(&out);
            prop_assert_eq!(back.map(f64::to_bits), Some(d.to_bits()));
        }

        #[test]
        fn parsers_never_panic(s: Vec<u8>) {
            let _ = parse_i64(&s);
            let _ = parse_u64(&s);
            let _ = parse_scan_cursor(&s);
            let _ = parse_f64(&s);
            if let Some(v) = parse_long_double(&s) {
                let mut out = Vec::new();
                fmt_long_double_human(&v.add(v), &mut out);
            }
        }
    }
}
