//! Incremental decoding of client requests (multibulk and inline), and
//! encoding of requests for clients.

use bytes::{BufMut, Bytes, BytesMut};

use crate::inline::{split_args, InlineArg};
use crate::ProtocolError;

/// Longest inline request, or `*`/`$` count line, that may be buffered
/// without its end of line (Redis's `PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Most arguments a client that has not authenticated may send.
pub const UNAUTHENTICATED_MAX_MULTIBULK_LEN: u64 = 10;
/// Longest argument a client that has not authenticated may send.
pub const UNAUTHENTICATED_MAX_BULK_LEN: u64 = 16384;
/// Arguments at least this long get buffer space reserved ahead of their
/// bytes (Redis's `PROTO_MBULK_BIG_ARG`).
const BIG_ARG: u64 = 32 * 1024;
/// Most space reserved ahead for a big argument that has not arrived yet.
const MAX_RESERVE_AHEAD: u64 = 1024 * 1024;

/// Per-connection limits applied while decoding requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted argument (`proto-max-bulk-len`, default 512 MiB).
    pub max_bulk_len: u64,
    /// Most arguments in one multibulk request. Redis 7.0 hard-codes
    /// `INT_MAX` (2147483647), the default here; `*2147483648` is refused.
    pub max_multibulk_len: u64,
    /// Whether the client may send large requests: true when it has
    /// authenticated or no authentication is required (Redis's
    /// `!authRequired(c)`). When false, more than 10 arguments or an
    /// argument over 16384 bytes is a protocol error.
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as u64,
            authenticated: true,
        }
    }
}

/// Where the decoder is inside the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No byte of the next request examined yet.
    Idle,
    /// Looking for the `\n` ending an inline request.
    Inline,
    /// Looking for the end of the `*<count>` line.
    Count,
    /// Looking for the end of a `$<len>` line; `remaining` arguments
    /// (this one included) are still to come.
    BulkHeader { remaining: u64 },
    /// Waiting for `len` argument bytes plus two terminator bytes.
    BulkData { remaining: u64, len: u64 },
}

/// Incremental request decoder for one connection.
///
/// Bytes are appended to a `BytesMut` by the caller and [`decode`] is called
/// after every read. Between calls the caller may only append to the buffer.
/// Parsing progress (offset of the next unparsed byte, how far the current
/// line was searched, the argument ranges found so far) is kept here, so a
/// request that arrives in many small pieces is parsed in linear time.
///
/// After an error the connection is expected to be closed; the decoder
/// resets itself but the buffer position is unspecified.
///
/// [`decode`]: RequestDecoder::decode
#[derive(Debug)]
pub struct RequestDecoder {
    state: State,
    /// Offset in the buffer of the first byte of the current request not
    /// yet parsed.
    pos: usize,
    /// Offset up to which the current line was searched without finding
    /// its end.
    scanned: usize,
    /// Ranges (in the buffer) of the multibulk arguments parsed so far.
    spans: Vec<(usize, usize)>,
    /// Scratch space for the arguments of an inline request.
    inline_args: Vec<InlineArg>,
}

impl Default for RequestDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Outcome of searching for the end of a count line.
enum LineEnd {
    /// Offset of the `\r`; at least one more byte follows it.
    At(usize),
    /// Not there yet.
    Pending,
}

impl RequestDecoder {
    /// A decoder waiting for the first byte of a request.
    pub fn new() -> Self {
        RequestDecoder {
            state: State::Idle,
            pos: 0,
            scanned: 0,
            spans: Vec::new(),
            inline_args: Vec::new(),
        }
    }

    /// Decodes at most one request from the front of `buf`.
    ///
    /// On a complete request its bytes are removed from `buf`, its arguments
    /// are appended to `out` (zero-copy where possible: slices of the request's
    /// frozen bytes) and `Ok(Some(argc))` is returned. Requests Redis ignores
    /// (empty or blank inline line, `*0`, `*-1`, any negative count) are
    /// consumed and give `Ok(Some(0))`.
    ///
    /// `Ok(None)` means more bytes are needed; `buf` is left as is (for an
    /// argument of 32 KiB or more, up to 1 MiB of its missing bytes may be
    /// reserved in `buf`, never the whole declared length).
    ///
    /// Matches Redis 7.0 byte for byte, quirks included: the byte after a
    /// count line's `\r` and the two bytes after an argument are skipped
    /// without being checked, and a NUL byte before the end of a count line
    /// or inline line hides that end (the request then waits until the
    /// 64 KiB limit is hit), as Redis's `strchr` does.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        out: &mut Vec<Bytes>,
    ) -> Result<Option<usize>, ProtocolError> {
        let result = self.step(buf, limits, out);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn reset(&mut self) {
        self.state = State::Idle;
        self.pos = 0;
        self.scanned = 0;
        self.spans.clear();
        self.inline_args.clear();
    }

    fn step(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        out: &mut Vec<Bytes>,
    ) -> Result<Option<usize>, ProtocolError> {
        loop {
            match self.state {
                State::Idle => {
                    let Some(&first) = buf.first() else {
                        return Ok(None);
                    };
                    self.pos = 0;
                    self.scanned = 0;
                    self.state = if first == b'*' {
                        State::Count
                    } else {
                        State::Inline
                    };
                }
                State::Inline => return self.inline(buf, out),
                State::Count => {
                    let LineEnd::At(cr) =
                        self.find_line_end(buf, ProtocolError::TooBigMbulkCount)?
                    else {
                        return Ok(None);
                    };
                    let digits = buf.get(self.pos + 1..cr).unwrap_or_default();
                    let count = parse_ll(digits).ok_or(ProtocolError::InvalidMultibulkLength)?;
                    if count > 0 && count as u64 > limits.max_multibulk_len {
                        return Err(ProtocolError::InvalidMultibulkLength);
                    }
                    if count > UNAUTHENTICATED_MAX_MULTIBULK_LEN as i64 && !limits.authenticated {
                        return Err(ProtocolError::UnauthenticatedMultibulkLength);
                    }
                    self.pos = cr + 2;
                    if count <= 0 {
                        let _ = buf.split_to(self.pos);
                        self.reset();
                        return Ok(Some(0));
                    }
                    self.state = State::BulkHeader {
                        remaining: count as u64,
                    };
                }
                State::BulkHeader { remaining } => {
                    let LineEnd::At(cr) =
                        self.find_line_end(buf, ProtocolError::TooBigBulkCount)?
                    else {
                        return Ok(None);
                    };
                    let first = buf.get(self.pos).copied().unwrap_or(b'\r');
                    if first != b'$' {
                        return Err(ProtocolError::ExpectedDollar { got: first });
                    }
                    let digits = buf.get(self.pos + 1..cr).unwrap_or_default();
                    let len = match parse_ll(digits) {
                        Some(n) if n >= 0 && n as u64 <= limits.max_bulk_len => n as u64,
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    if len > UNAUTHENTICATED_MAX_BULK_LEN && !limits.authenticated {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.pos = cr + 2;
                    self.state = State::BulkData { remaining, len };
                }
                State::BulkData { remaining, len } => {
                    let available = buf.len().saturating_sub(self.pos) as u64;
                    if available < len + 2 {
                        if len >= BIG_ARG {
                            let missing = len + 2 - available;
                            buf.reserve(missing.min(MAX_RESERVE_AHEAD) as usize);
                        }
                        return Ok(None);
                    }
                    // `len + 2 <= available`, so these fit in usize.
                    let end = self.pos + len as usize;
                    self.spans.push((self.pos, end));
                    self.pos = end + 2;
                    if remaining > 1 {
                        self.state = State::BulkHeader {
                            remaining: remaining - 1,
                        };
                        continue;
                    }
                    let frame = buf.split_to(self.pos).freeze();
                    let argc = self.spans.len();
                    out.reserve(argc);
                    out.extend(self.spans.drain(..).map(|(s, e)| frame.slice(s..e)));
                    self.reset();
                    return Ok(Some(argc));
                }
            }
        }
    }

    /// Searches for the `\r` ending the count line starting at `self.pos`,
    /// resuming where the previous search stopped.
    fn find_line_end(
        &mut self,
        buf: &[u8],
        too_big: ProtocolError,
    ) -> Result<LineEnd, ProtocolError> {
        let from = self.scanned.max(self.pos);
        let hit = buf
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\r' || b == 0))
            .map(|off| from + off);
        match hit {
            Some(cr) if buf.get(cr) == Some(&b'\r') => {
                self.scanned = cr;
                // Redis wants one byte after the `\r` and skips it unchecked.
                if cr + 2 > buf.len() {
                    Ok(LineEnd::Pending)
                } else {
                    Ok(LineEnd::At(cr))
                }
            }
            hit => {
                // Nothing found, or a NUL first: Redis's `strchr` stops at a
                // NUL, so the line end stays invisible.
                self.scanned = hit.unwrap_or(buf.len());
                if buf.len() - self.pos > INLINE_MAX_SIZE {
                    Err(too_big)
                } else {
                    Ok(LineEnd::Pending)
                }
            }
        }
    }

    fn inline(
        &mut self,
        buf: &mut BytesMut,
        out: &mut Vec<Bytes>,
    ) -> Result<Option<usize>, ProtocolError> {
        let from = self.scanned;
        let hit = buf
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n' || b == 0))
            .map(|off| from + off);
        let newline = match hit {
            Some(nl) if buf.get(nl) == Some(&b'\n') => nl,
            hit => {
                self.scanned = hit.unwrap_or(buf.len());
                if buf.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::TooBigInlineRequest);
                }
                return Ok(None);
            }
        };
        let mut line_end = newline;
        if newline > 0 && buf.get(newline - 1) == Some(&b'\r') {
            line_end -= 1;
        }
        self.inline_args.clear();
        split_args(
            buf.get(..line_end).unwrap_or_default(),
            &mut self.inline_args,
        )?;
        let frame = buf.split_to(newline + 1).freeze();
        let argc = self.inline_args.len();
        out.reserve(argc);
        out.extend(self.inline_args.drain(..).map(|a| match a {
            InlineArg::Span(s, e) => frame.slice(s..e),
            InlineArg::Owned(v) => Bytes::from(v),
        }));
        self.reset();
        Ok(Some(argc))
    }
}

/// Parses a signed decimal the way Redis's `string2ll` does: no sign other
/// than a leading `-`, no leading zeros, no `-0`, no spaces, fewer than 21
/// bytes, within `i64`.
pub(crate) fn parse_ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some(0u64.wrapping_sub(v) as i64)
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Number of decimal digits of `n`.
fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Encodes a request as a RESP multibulk array (`*N\r\n$len\r\narg\r\n...`).
pub fn encode_request(args: &[&[u8]], buf: &mut BytesMut) {
    let total = 3
        + decimal_len(args.len())
        + args
            .iter()
            .map(|a| 5 + decimal_len(a.len()) + a.len())
            .sum::<usize>();
    buf.reserve(total);
    buf.put_u8(b'*');
    crate::writer::put_usize(buf, args.len());
    buf.put_slice(b"\r\n");
    for arg in args {
        buf.put_u8(b'$');
        crate::writer::put_usize(buf, arg.len());
        buf.put_slice(b"\r\n");
        buf.put_slice(arg);
        buf.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unauth() -> Limits {
        Limits {
            authenticated: false,
            ..Limits::default()
        }
    }

    /// Feeds `input` in one piece and decodes requests until an error or
    /// until more bytes are needed.
    fn decode_all(
        input: &[u8],
        limits: &Limits,
    ) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>, BytesMut) {
        let mut buf = BytesMut::from(input);
        let mut dec = RequestDecoder::new();
        let mut reqs = Vec::new();
        loop {
            let mut out = Vec::new();
            match dec.decode(&mut buf, limits, &mut out) {
                Ok(Some(n)) => {
                    assert_eq!(n, out.len());
                    reqs.push(out.iter().map(|b| b.to_vec()).collect());
                }
                Ok(None) => return (reqs, None, buf),
                Err(e) => return (reqs, Some(e), buf),
            }
        }
    }

    fn error_of(input: &[u8], limits: &Limits) -> Option<ProtocolError> {
        decode_all(input, limits).1
    }

    fn reqs(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let (reqs, err, _) = decode_all(input, &Limits::default());
        assert_eq!(err, None);
        reqs
    }

    fn v(args: &[&[u8]]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.to_vec()).collect()
    }

    #[test]
    fn parse_ll_follows_string2ll() {
        assert_eq!(parse_ll(b"0"), Some(0));
        assert_eq!(parse_ll(b"-1"), Some(-1));
        assert_eq!(parse_ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1x",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"000000000000000000001",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn multibulk_and_inline_pipeline() {
        let got = reqs(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$0\r\n\r\nSET a \"b c\"\n");
        assert_eq!(
            got,
            vec![
                v(&[b"GET", b"k"]),
                v(&[b"PING"]),
                v(&[b""]),
                v(&[b"SET", b"a", b"b c"])
            ]
        );
    }

    #[test]
    fn ignored_requests_are_consumed() {
        for input in [
            &b"\r\n"[..],
            b"\n",
            b"   \t \r\n",
            b"*0\r\n",
            b"*-1\r\n",
            b"*-5\r\n",
        ] {
            let mut buf = BytesMut::from(input);
            buf.extend_from_slice(b"PING\r\n");
            let mut out = Vec::new();
            let mut dec = RequestDecoder::new();
            assert_eq!(
                dec.decode(&mut buf, &Limits::default(), &mut out),
                Ok(Some(0))
            );
            assert!(out.is_empty());
            assert_eq!(&buf[..], b"PING\r\n");
            assert_eq!(
                dec.decode(&mut buf, &Limits::default(), &mut out),
                Ok(Some(1))
            );
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn arguments_are_zero_copy_slices() {
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let mut out = Vec::new();
        let mut dec = RequestDecoder::new();
        assert_eq!(
            dec.decode(&mut buf, &Limits::default(), &mut out),
            Ok(Some(3))
        );
        assert_eq!(out[0].as_ptr() as usize, base + 8);
        assert_eq!(out[1].as_ptr() as usize, base + 17);
        assert_eq!(out[2].as_ptr() as usize, base + 24);
        assert_eq!(&buf[..], b"PING\r\n");
        let mut buf = BytesMut::from(&b"SET key value\r\n"[..]);
        let base = buf.as_ptr() as usize;
        out.clear();
        assert_eq!(
            dec.decode(&mut buf, &Limits::default(), &mut out),
            Ok(Some(3))
        );
        assert_eq!(out[2].as_ptr() as usize, base + 8);
    }

    // The unchecked bytes Redis skips (observed on redis-server 7.0.15:
    // `*1\rX$4\r\nPINGxy` answers +PONG).
    #[test]
    fn skipped_bytes_are_not_checked() {
        assert_eq!(reqs(b"*1\rX$4\r\nPINGxy"), vec![v(&[b"PING"])]);
        assert_eq!(reqs(b"*1\r\n$4\rzPING\r\n"), vec![v(&[b"PING"])]);
    }

    #[test]
    fn count_line_needs_a_byte_after_cr() {
        let (r, e, buf) = decode_all(b"*1\r", &Limits::default());
        assert!(r.is_empty() && e.is_none());
        assert_eq!(buf.len(), 3);
    }

    // redis-server 7.0.15 never answers these: the NUL hides the line end.
    #[test]
    fn nul_hides_line_end() {
        for input in [
            &b"PING\x00\r\n"[..],
            b"*1\x00\r\n$4\r\nPING\r\n",
            b"*1\r\n$4\x00\r\nPING\r\n",
        ] {
            let (r, e, _) = decode_all(input, &Limits::default());
            assert!(r.is_empty() && e.is_none(), "{input:?}");
        }
        let mut input = b"*1\x00".to_vec();
        input.resize(INLINE_MAX_SIZE + 2, b'1');
        assert_eq!(
            error_of(&input, &Limits::default()),
            Some(ProtocolError::TooBigMbulkCount)
        );
        // NUL inside a bulk payload is fine.
        assert_eq!(reqs(b"*1\r\n$3\r\na\x00b\r\n"), vec![v(&[b"a\x00b"])]);
    }

    #[test]
    fn error_texts() {
        let cases: Vec<(Vec<u8>, Limits, &str)> = vec![
            (
                [&b"*"[..], &[b'1'; INLINE_MAX_SIZE]].concat(),
                Limits::default(),
                "Protocol error: too big mbulk count string",
            ),
            (
                b"*2147483648\r\n".to_vec(),
                Limits::default(),
                "Protocol error: invalid multibulk length",
            ),
            (
                b"*11\r\n".to_vec(),
                unauth(),
                "Protocol error: unauthenticated multibulk length",
            ),
            (
                [&b"*1\r\n"[..], &[b'x'; INLINE_MAX_SIZE + 1]].concat(),
                Limits::default(),
                "Protocol error: too big bulk count string",
            ),
            (
                b"*1\r\nfoo\r\n".to_vec(),
                Limits::default(),
                "Protocol error: expected '$', got 'f'",
            ),
            (
                b"*1\r\n\r\n".to_vec(),
                Limits::default(),
                "Protocol error: expected '$', got ' '",
            ),
            (
                b"*1\r\n$-1\r\n".to_vec(),
                Limits::default(),
                "Protocol error: invalid bulk length",
            ),
            (
                b"*1\r\n$16385\r\n".to_vec(),
                unauth(),
                "Protocol error: unauthenticated bulk length",
            ),
            (
                vec![b'P'; INLINE_MAX_SIZE + 1],
                Limits::default(),
                "Protocol error: too big inline request",
            ),
            (
                b"SET \"a\r\n".to_vec(),
                Limits::default(),
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, limits, text) in cases {
            let err = error_of(&input, &limits).unwrap_or_else(|| panic!("no error for {text}"));
            assert_eq!(err.to_string(), text);
            assert_eq!(&*err.reply_text(), format!("ERR {text}").as_bytes());
        }
    }

    // Boundaries observed on redis-server 7.0.15.
    #[test]
    fn limits_boundaries() {
        let d = Limits::default();
        // Counts.
        for bad in [
            &b"*\r\n"[..],
            b"*-0\r\n",
            b"*01\r\n",
            b"*+1\r\n",
            b"* 1\r\n",
            b"*1x\r\n",
            b"*99999999999999999999\r\n",
        ] {
            assert_eq!(
                error_of(bad, &d),
                Some(ProtocolError::InvalidMultibulkLength),
                "{bad:?}"
            );
        }
        assert_eq!(error_of(b"*2147483647\r\n", &d), None);
        let small = Limits {
            max_multibulk_len: 3,
            ..d
        };
        assert_eq!(error_of(b"*3\r\n", &small), None);
        assert_eq!(
            error_of(b"*4\r\n", &small),
            Some(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(error_of(b"*10\r\n", &unauth()), None);
        // An invalid count is reported before the unauthenticated one.
        assert_eq!(
            error_of(b"*11x\r\n", &unauth()),
            Some(ProtocolError::InvalidMultibulkLength)
        );
        // Bulk lengths.
        for bad in [
            &b"*1\r\n$\r\n"[..],
            b"*1\r\n$01\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$+1\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                error_of(bad, &d),
                Some(ProtocolError::InvalidBulkLength),
                "{bad:?}"
            );
        }
        assert_eq!(error_of(b"*1\r\n$536870912\r\n", &d), None);
        let small = Limits {
            max_bulk_len: 5,
            ..d
        };
        assert_eq!(error_of(b"*1\r\n$5\r\n", &small), None);
        assert_eq!(
            error_of(b"*1\r\n$6\r\n", &small),
            Some(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(error_of(b"*1\r\n$16384\r\n", &unauth()), None);
        assert_eq!(
            error_of(b"*1\r\n$16385x\r\n", &unauth()),
            Some(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(
            error_of(b"*1\r\n\xff\r\n", &d),
            Some(ProtocolError::ExpectedDollar { got: 0xff })
        );
        // "expected '$'" needs the whole line first.
        assert_eq!(error_of(b"*1\r\nfoo", &d), None);
        // 64 KiB without a line end waits; one byte more is an error.
        let mut line = b"*".to_vec();
        line.resize(INLINE_MAX_SIZE, b'1');
        assert_eq!(error_of(&line, &d), None);
        let mut line = b"*1\r\n".to_vec();
        line.resize(4 + INLINE_MAX_SIZE, b'x');
        assert_eq!(error_of(&line, &d), None);
        assert_eq!(error_of(&vec![b'P'; INLINE_MAX_SIZE], &d), None);
        // A long inline line whose newline is already buffered is accepted,
        // as Redis does when it reads the line in one go.
        let mut line = vec![b'P'; 70_000];
        line.push(b'\n');
        assert_eq!(reqs(&line).len(), 1);
    }

    #[test]
    fn declared_length_is_not_reserved() {
        let mut buf = BytesMut::from(&b"*1\r\n$536870912\r\nabc"[..]);
        let mut dec = RequestDecoder::new();
        let mut out = Vec::new();
        assert_eq!(dec.decode(&mut buf, &Limits::default(), &mut out), Ok(None));
        assert!(buf.capacity() <= 2 * 1024 * 1024, "{}", buf.capacity());
        assert_eq!(&buf[..], b"*1\r\n$536870912\r\nabc");
    }

    #[test]
    fn big_argument_arrives_in_pieces() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut stream = BytesMut::new();
        encode_request(&[b"SET", b"k", &payload], &mut stream);
        let mut buf = BytesMut::new();
        let mut dec = RequestDecoder::new();
        let mut out = Vec::new();
        for chunk in stream.chunks(4096) {
            assert!(out.is_empty());
            buf.extend_from_slice(chunk);
            if let Some(n) = dec.decode(&mut buf, &Limits::default(), &mut out).unwrap() {
                assert_eq!(n, 3);
            }
        }
        assert_eq!(out.len(), 3);
        assert_eq!(&out[2][..], &payload[..]);
        assert!(buf.is_empty());
    }

    /// Fed one byte at a time, a quadratic decoder would do ~10^11 steps on
    /// these inputs; a linear one is instant.
    #[test]
    fn byte_by_byte_is_linear() {
        let args: Vec<Vec<u8>> = (0..60_000).map(|i| format!("{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        let mut stream = BytesMut::new();
        encode_request(&refs, &mut stream);
        let mut long_header = b"*1\r\n$".to_vec();
        long_header.extend_from_slice(&[b'0'; 60_000]);
        long_header.extend_from_slice(b"\r\n");
        let mut inline = vec![b'a'; 65_000];
        inline.extend_from_slice(b"\r\n");
        for (input, want) in [
            (&stream[..], Ok(Some(60_000))),
            (&long_header[..], Err(ProtocolError::InvalidBulkLength)),
            (&inline[..], Ok(Some(1))),
        ] {
            let mut buf = BytesMut::new();
            let mut dec = RequestDecoder::new();
            let mut out = Vec::new();
            let mut last = Ok(None);
            for &b in input {
                buf.extend_from_slice(&[b]);
                last = dec.decode(&mut buf, &Limits::default(), &mut out);
                if last != Ok(None) {
                    break;
                }
            }
            assert_eq!(last, want);
        }
    }

    #[test]
    fn encode_request_bytes() {
        let mut buf = BytesMut::new();
        encode_request(&[b"SET", b"k", b""], &mut buf);
        assert_eq!(&buf[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        let mut buf = BytesMut::new();
        encode_request(&[], &mut buf);
        assert_eq!(&buf[..], b"*0\r\n");
    }

    #[test]
    fn default_limits() {
        let d = Limits::default();
        assert_eq!(d.max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(d.max_multibulk_len, 2_147_483_647);
        assert!(d.authenticated);
    }
}
