//! Reply encoding (RESP2 and RESP3) into a caller-owned buffer.

use bytes::{BufMut, BytesMut};

/// Writes RESP replies into `buf`, in RESP3 shapes when `resp3` is set and
/// in the RESP2 shapes Redis 7.0 uses otherwise.
///
/// Aggregate methods (`array`, `map`, ...) only write the header; the caller
/// then writes the elements.
#[derive(Debug)]
pub struct Writer<'a> {
    /// The output buffer.
    pub buf: &'a mut BytesMut,
    /// Whether the client negotiated RESP3 (`HELLO 3`).
    pub resp3: bool,
}

impl<'a> Writer<'a> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'a mut BytesMut, resp3: bool) -> Self {
        Writer { buf, resp3 }
    }

    /// A status reply: `+OK`. `\r` and `\n` in `s` become spaces.
    pub fn simple(&mut self, s: &[u8]) {
        self.line(b'+', s);
    }

    /// An error reply: `-ERR ...`; `s` includes the prefix word (`ERR`,
    /// `WRONGTYPE`, ...). `\r` and `\n` in `s` become spaces, as Redis does.
    pub fn error(&mut self, s: &[u8]) {
        self.line(b'-', s);
    }

    fn line(&mut self, prefix: u8, s: &[u8]) {
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(prefix);
        if s.iter().any(|&b| b == b'\r' || b == b'\n') {
            for &b in s {
                self.buf
                    .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
            }
        } else {
            self.buf.put_slice(s);
        }
        self.buf.put_slice(b"\r\n");
    }

    /// An integer reply: `:n`.
    pub fn int(&mut self, n: i64) {
        let mut tmp = [0u8; 24];
        let mut start = format_header(&mut tmp, b':', n.unsigned_abs());
        if n < 0 {
            // Replace the prefix with '-' and put ':' before it.
            if let Some(slot) = tmp.get_mut(start) {
                *slot = b'-';
            }
            start -= 1;
            if let Some(slot) = tmp.get_mut(start) {
                *slot = b':';
            }
        }
        self.buf.put_slice(tmp.get(start..).unwrap_or_default());
    }

    /// A bulk string: `$len\r\n<bytes>\r\n`.
    pub fn bulk(&mut self, b: &[u8]) {
        self.buf.reserve(b.len() + 25);
        self.header(b'$', b.len());
        self.buf.put_slice(b);
        self.buf.put_slice(b"\r\n");
    }

    /// A null: RESP2 `$-1`, RESP3 `_`.
    pub fn null(&mut self) {
        self.buf
            .put_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A null array: RESP2 `*-1`, RESP3 `_`.
    pub fn null_array(&mut self) {
        self.buf
            .put_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// An array header: `*len`.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map header for `len` key/value pairs: RESP3 `%len`, RESP2
    /// `*<2*len>` (a flat array of keys and values).
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', len);
        } else {
            self.header(b'*', len.saturating_mul(2));
        }
    }

    /// A set header: RESP3 `~len`, RESP2 `*len`.
    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len);
    }

    /// A push header (pub/sub messages, invalidations): RESP3 `>len`,
    /// RESP2 `*len`.
    pub fn push(&mut self, len: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, len);
    }

    /// A double, formatted as Redis 7.0 does (`%.17g`, `inf`/`-inf`, and
    /// glibc's `nan`/`-nan`): RESP3 `,<repr>`, RESP2 a bulk string.
    pub fn double(&mut self, d: f64) {
        if !self.resp3 {
            self.double_bulk(d);
            return;
        }
        let mut tmp = [0u8; 32];
        let n = format_double(d, &mut tmp);
        self.buf.reserve(n + 3);
        self.buf.put_u8(b',');
        self.buf.put_slice(tmp.get(..n).unwrap_or_default());
        self.buf.put_slice(b"\r\n");
    }

    /// A double as a bulk string in either protocol (`%.17g` as
    /// [`Writer::double`]): ZSCAN's scores.
    pub fn double_bulk(&mut self, d: f64) {
        let mut tmp = [0u8; 32];
        let n = format_double(d, &mut tmp);
        self.bulk(tmp.get(..n).unwrap_or_default());
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 `:1`/`:0`.
    pub fn boolean(&mut self, b: bool) {
        self.buf.put_slice(match (self.resp3, b) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        });
    }

    /// A big number given as its decimal digits: RESP3 `(`, RESP2 a bulk
    /// string.
    pub fn big_number(&mut self, s: &[u8]) {
        if self.resp3 {
            self.line(b'(', s);
        } else {
            self.bulk(s);
        }
    }

    /// A verbatim string with its three-byte format (`txt`, `mkd`): RESP3
    /// `=len\r\nfmt:text`, RESP2 a bulk string of `text` alone.
    pub fn verbatim(&mut self, fmt: &[u8; 3], text: &[u8]) {
        if self.resp3 {
            self.buf.reserve(text.len() + 30);
            self.header(b'=', text.len() + 4);
            self.buf.put_slice(fmt);
            self.buf.put_u8(b':');
            self.buf.put_slice(text);
            self.buf.put_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// An attribute header for `len` key/value pairs, to be followed by the
    /// pairs and then by the reply they describe: RESP3 `|len`.
    ///
    /// RESP2 has no attributes and this writes nothing: the caller must then
    /// also leave out the pairs (check [`Writer::resp3`]), as Redis does.
    pub fn attribute(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'|', len);
        }
    }

    /// Appends pre-encoded reply bytes as they are.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.put_slice(bytes);
    }

    /// `<prefix><len>\r\n`, assembled on the stack and appended at once.
    fn header(&mut self, prefix: u8, len: usize) {
        let mut tmp = [0u8; 24];
        let start = format_header(&mut tmp, prefix, len as u64);
        self.buf.put_slice(tmp.get(start..).unwrap_or_default());
    }
}

/// Appends the decimal digits of `n`.
pub(crate) fn put_usize(buf: &mut BytesMut, n: usize) {
    put_u64(buf, n as u64);
}

fn put_u64(buf: &mut BytesMut, mut n: u64) {
    if n < 10 {
        buf.put_u8(b'0' + n as u8);
        return;
    }
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    while n > 0 {
        i -= 1;
        if let Some(slot) = tmp.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    buf.put_slice(tmp.get(i..).unwrap_or_default());
}

/// Writes `<prefix><n>\r\n` at the end of `tmp`, returning where it starts
/// (at least 1, leaving room for a sign before the digits).
fn format_header(tmp: &mut [u8; 24], prefix: u8, mut n: u64) -> usize {
    let mut i = tmp.len() - 2;
    tmp[i] = b'\r';
    tmp[i + 1] = b'\n';
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    i -= 1;
    tmp[i] = prefix;
    i
}

/// A `fmt::Write` sink over a fixed stack buffer.
struct StackBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl std::fmt::Write for StackBuf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The significant digits of finite, non-zero `d` when its exact value has
/// at most 17 of them (integers below 10^17, and binary fractions such as
/// `500.5` or `0.25`: most scores), with the decimal exponent of the first:
/// then `%.17g` prints them unrounded, and they are found with integer
/// arithmetic instead of a big-number formatting of the double.
fn exact_digits(d: f64) -> Option<([u8; 17], usize, i32)> {
    let bits = d.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 || biased == 0x7ff {
        return None; // subnormal (or not finite)
    }
    let mut m = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let mut e = biased - 1075;
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    // |d| = m * 2^e with m odd: an integer if e >= 0, else n / 10^-e with
    // n = m * 5^-e.
    let (n, scale) = if e >= 0 {
        (u128::from(m).checked_shl(e as u32).filter(|_| e < 64)?, 0)
    } else {
        let k = e.unsigned_abs();
        (u128::from(m).checked_mul(5u128.checked_pow(k)?)?, k)
    };
    if n >= 100_000_000_000_000_000 {
        return None;
    }
    let mut digits = [0u8; 17];
    let mut tmp = [0u8; 17];
    let mut len = 0;
    // Below 10^17, so u64 arithmetic (u128 division is a library call).
    let mut rest = u64::try_from(n).ok()?;
    while rest > 0 {
        *tmp.get_mut(len)? = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    for (dst, src) in digits.iter_mut().zip(tmp.get(..len)?.iter().rev()) {
        *dst = *src;
    }
    Some((digits, len, len as i32 - 1 - scale as i32))
}

/// `d` (finite, non-zero) correctly rounded to 17 significant digits, with
/// the decimal exponent of the first.
fn rounded_digits(d: f64) -> ([u8; 17], usize, i32) {
    let mut sci = [0u8; 32];
    let mut w = StackBuf {
        buf: &mut sci,
        len: 0,
    };
    let mut digits = [0u8; 17];
    if std::fmt::write(&mut w, format_args!("{:.16e}", d.abs())).is_err() {
        return (digits, 0, 0);
    }
    let sci_len = w.len;
    let sci = sci.get(..sci_len).unwrap_or_default();
    let e_pos = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
    let mut nd = 0;
    for &b in sci.get(..e_pos).unwrap_or_default() {
        if b.is_ascii_digit() {
            if let Some(slot) = digits.get_mut(nd) {
                *slot = b;
                nd += 1;
            }
        }
    }
    let exp: i32 = std::str::from_utf8(sci.get(e_pos + 1..).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (digits, nd, exp)
}

/// Formats `d` like C's `printf("%.17g")` (with Redis's explicit `inf` and
/// `-inf`) into `out`, returning the length. 32 bytes always suffice: the
/// longest output is `-1.2345678901234567e-308` (24 bytes).
pub fn format_double(d: f64, out: &mut [u8; 32]) -> usize {
    let special: Option<&[u8]> = if d.is_nan() {
        Some(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        })
    } else if d.is_infinite() {
        Some(if d > 0.0 { b"inf" } else { b"-inf" })
    } else if d == 0.0 {
        Some(if d.is_sign_negative() { b"-0" } else { b"0" })
    } else {
        None
    };
    if let Some(s) = special {
        if let Some(dst) = out.get_mut(..s.len()) {
            dst.copy_from_slice(s);
        }
        return s.len();
    }
    let (digits, mut nd, exp) = match exact_digits(d) {
        Some(found) => found,
        None => rounded_digits(d),
    };
    // %g drops trailing zeros of the significand.
    while nd > 1 && digits.get(nd - 1) == Some(&b'0') {
        nd -= 1;
    }
    let digits = digits.get(..nd).unwrap_or_default();

    let mut o = Out { buf: out, len: 0 };
    if d < 0.0 {
        o.byte(b'-');
    }
    if !(-4..17).contains(&exp) {
        // d[.ddd]e±XX
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        o.byte(*first);
        if !rest.is_empty() {
            o.byte(b'.');
            o.bytes(rest);
        }
        o.byte(b'e');
        o.byte(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            o.byte(b'0');
        }
        let mut tmp = [0u8; 3];
        let mut i = tmp.len();
        let mut e = e;
        while e > 0 {
            i -= 1;
            if let Some(slot) = tmp.get_mut(i) {
                *slot = b'0' + (e % 10) as u8;
            }
            e /= 10;
        }
        o.bytes(tmp.get(i..).unwrap_or_default());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            o.byte(digits.get(i).copied().unwrap_or(b'0'));
        }
        if let Some(frac) = digits.get(int_len..).filter(|f| !f.is_empty()) {
            o.byte(b'.');
            o.bytes(frac);
        }
    } else {
        o.bytes(b"0.");
        for _ in 0..(-exp - 1) {
            o.byte(b'0');
        }
        o.bytes(digits);
    }
    o.len
}

struct Out<'a> {
    buf: &'a mut [u8; 32],
    len: usize,
}

impl Out<'_> {
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn bytes(&mut self, s: &[u8]) {
        for &b in s {
            self.byte(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut Writer)) -> (Vec<u8>, Vec<u8>) {
        let mut b2 = BytesMut::new();
        f(&mut Writer::new(&mut b2, false));
        let mut b3 = BytesMut::new();
        f(&mut Writer::new(&mut b3, true));
        (b2.to_vec(), b3.to_vec())
    }

    fn check(f: impl Fn(&mut Writer), resp2: &[u8], resp3: &[u8]) {
        let (b2, b3) = both(f);
        assert_eq!(
            String::from_utf8_lossy(&b2),
            String::from_utf8_lossy(resp2),
            "RESP2"
        );
        assert_eq!(
            String::from_utf8_lossy(&b3),
            String::from_utf8_lossy(resp3),
            "RESP3"
        );
    }

    #[test]
    fn simple_and_error() {
        check(|w| w.simple(b"OK"), b"+OK\r\n", b"+OK\r\n");
        check(|w| w.simple(b"a\r\nb"), b"+a  b\r\n", b"+a  b\r\n");
        check(
            |w| w.error(b"ERR syntax error"),
            b"-ERR syntax error\r\n",
            b"-ERR syntax error\r\n",
        );
        check(
            |w| w.error(b"ERR a\nb\r"),
            b"-ERR a b \r\n",
            b"-ERR a b \r\n",
        );
    }

    #[test]
    fn integers() {
        check(|w| w.int(0), b":0\r\n", b":0\r\n");
        check(|w| w.int(7), b":7\r\n", b":7\r\n");
        check(|w| w.int(-1), b":-1\r\n", b":-1\r\n");
        check(
            |w| w.int(1234567890),
            b":1234567890\r\n",
            b":1234567890\r\n",
        );
        check(
            |w| w.int(i64::MAX),
            b":9223372036854775807\r\n",
            b":9223372036854775807\r\n",
        );
        check(
            |w| w.int(i64::MIN),
            b":-9223372036854775808\r\n",
            b":-9223372036854775808\r\n",
        );
    }

    #[test]
    fn bulk_and_nulls() {
        check(|w| w.bulk(b"hello"), b"$5\r\nhello\r\n", b"$5\r\nhello\r\n");
        check(|w| w.bulk(b""), b"$0\r\n\r\n", b"$0\r\n\r\n");
        check(
            |w| w.bulk(b"a\r\nb"),
            b"$4\r\na\r\nb\r\n",
            b"$4\r\na\r\nb\r\n",
        );
        check(|w| w.null(), b"$-1\r\n", b"_\r\n");
        check(|w| w.null_array(), b"*-1\r\n", b"_\r\n");
    }

    // Shapes observed with DEBUG PROTOCOL on redis-server 7.0.15.
    #[test]
    fn aggregates() {
        check(|w| w.array(3), b"*3\r\n", b"*3\r\n");
        check(|w| w.array(0), b"*0\r\n", b"*0\r\n");
        check(|w| w.map(3), b"*6\r\n", b"%3\r\n");
        check(|w| w.set(3), b"*3\r\n", b"~3\r\n");
        check(|w| w.push(2), b"*2\r\n", b">2\r\n");
        check(|w| w.attribute(1), b"", b"|1\r\n");
    }

    #[test]
    fn resp3_scalars() {
        check(|w| w.boolean(true), b":1\r\n", b"#t\r\n");
        check(|w| w.boolean(false), b":0\r\n", b"#f\r\n");
        check(
            |w| w.big_number(b"1234567999999999999999999999999999999"),
            b"$37\r\n1234567999999999999999999999999999999\r\n",
            b"(1234567999999999999999999999999999999\r\n",
        );
        check(
            |w| w.verbatim(b"txt", b"This is a verbatim\nstring"),
            b"$25\r\nThis is a verbatim\nstring\r\n",
            b"=29\r\ntxt:This is a verbatim\nstring\r\n",
        );
        check(|w| w.raw(b"+PONG\r\n"), b"+PONG\r\n", b"+PONG\r\n");
    }

    // ZSCORE replies of redis-server 7.0.15 (RESP2, then after HELLO 3),
    // other values checked against printf("%.17g").
    fn stripped(mut f: ([u8; 17], usize, i32)) -> (Vec<u8>, i32) {
        while f.1 > 1 && f.0[f.1 - 1] == b'0' {
            f.1 -= 1;
        }
        (f.0[..f.1].to_vec(), f.2)
    }

    proptest::proptest! {
        /// The integer fast path gives exactly the digits the correctly
        /// rounded 17-digit formatting gives, whenever it applies.
        #[test]
        fn exact_digits_agree_with_rounding(
            bits in proptest::num::u64::ANY,
            int in -(1i64 << 56)..(1i64 << 56),
            shift in 0i32..70,
        ) {
            let dyadic = int as f64 / 2f64.powi(shift);
            for d in [f64::from_bits(bits), dyadic, int as f64] {
                if d.is_finite() && d != 0.0 {
                    if let Some(fast) = exact_digits(d) {
                        proptest::prop_assert_eq!(stripped(fast), stripped(rounded_digits(d)), "{}", d);
                    }
                }
            }
        }
    }

    #[test]
    fn exact_digits_cover_common_scores() {
        for d in [
            500.5,
            3.0,
            -2.5,
            0.25,
            1e16,
            9007199254740993.0,
            1.0 / 1024.0,
        ] {
            assert!(exact_digits(d).is_some(), "{d}");
        }
        for d in [0.1, 1e17, 1.5e-4, 5e-324, 1.0 / 3.0] {
            assert!(exact_digits(d).is_none(), "{d}");
        }
    }

    #[test]
    fn doubles() {
        check(
            |w| w.double(0.1),
            b"$19\r\n0.10000000000000001\r\n",
            b",0.10000000000000001\r\n",
        );
        check(|w| w.double(f64::INFINITY), b"$3\r\ninf\r\n", b",inf\r\n");
        check(
            |w| w.double(f64::NEG_INFINITY),
            b"$4\r\n-inf\r\n",
            b",-inf\r\n",
        );
        check(|w| w.double(1e20), b"$5\r\n1e+20\r\n", b",1e+20\r\n");
        check(|w| w.double(0.0), b"$1\r\n0\r\n", b",0\r\n");
        check(|w| w.double(3.0), b"$1\r\n3\r\n", b",3\r\n");
        let cases: &[(f64, &str)] = &[
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (-0.0, "-0"),
            (1.0 + 2f64.powi(-17), "1.0000076293945312"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (-f64::MIN_POSITIVE / 3.0, "-7.4169128616906696e-309"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (1e-4 * 1.5, "0.00015000000000000001"),
            (1.5e-4, "0.00014999999999999999"),
            (9007199254740992.0, "9007199254740992"),
            (1.0 / 3.0, "0.33333333333333331"),
            (100.0, "100"),
            (1e15 + 0.3, "1000000000000000.2"),
            (1.1, "1.1000000000000001"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
        ];
        for &(d, want) in cases {
            let mut tmp = [0u8; 32];
            let n = format_double(d, &mut tmp);
            assert_eq!(std::str::from_utf8(&tmp[..n]), Ok(want), "{d:e}");
        }
    }
}
