//! Reply frames: an owned tree for test clients and scripting, a parser
//! for RESP2 and RESP3 replies, and a length-only scanner.

use crate::{ProtocolError, Writer};

/// Deepest nesting of aggregates accepted by [`parse_reply`] and
/// [`reply_len`].
pub const MAX_REPLY_DEPTH: usize = 512;

/// Elements preallocated for an aggregate, whatever its declared length:
/// the rest grows as elements are actually parsed.
const PREALLOC_ELEMENTS: usize = 16;

/// One parsed reply (RESP2 or RESP3).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+text`.
    Simple(Vec<u8>),
    /// `-ERR text` (prefix word included); RESP3 blob errors (`!`) too.
    Error(Vec<u8>),
    /// `:n`.
    Integer(i64),
    /// `$len` bulk string.
    Bulk(Vec<u8>),
    /// RESP2 `$-1` or RESP3 `_`.
    Null,
    /// `*len`.
    Array(Vec<Frame>),
    /// RESP2 `*-1`.
    NullArray,
    /// RESP3 `%len`.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~len`.
    Set(Vec<Frame>),
    /// RESP3 `>len`.
    Push(Vec<Frame>),
    /// RESP3 `,repr` (`inf`, `-inf` and `nan` included).
    Double(f64),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `(digits`.
    BigNumber(Vec<u8>),
    /// RESP3 `=len\r\nfmt:text`: the three-byte format, then the text.
    Verbatim(Vec<u8>, Vec<u8>),
    /// RESP3 `|len` attribute pairs, followed by the reply they describe.
    Attribute(Vec<(Frame, Frame)>, Box<Frame>),
}

impl Frame {
    /// Writes this frame with `w` (RESP2 shapes when `w.resp3` is false:
    /// attributes are dropped there, keeping only the reply they describe).
    /// A `Verbatim` whose format is not three bytes is written as `txt`.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Frame::Simple(s) => w.simple(s),
            Frame::Error(s) => w.error(s),
            Frame::Integer(n) => w.int(*n),
            Frame::Bulk(b) => w.bulk(b),
            Frame::Null => w.null(),
            Frame::NullArray => w.null_array(),
            Frame::Array(items) => {
                w.array(items.len());
                items.iter().for_each(|f| f.encode(w));
            }
            Frame::Set(items) => {
                w.set(items.len());
                items.iter().for_each(|f| f.encode(w));
            }
            Frame::Push(items) => {
                w.push(items.len());
                items.iter().for_each(|f| f.encode(w));
            }
            Frame::Map(pairs) => {
                w.map(pairs.len());
                for (k, v) in pairs {
                    k.encode(w);
                    v.encode(w);
                }
            }
            Frame::Double(d) => w.double(*d),
            Frame::Boolean(b) => w.boolean(*b),
            Frame::BigNumber(s) => w.big_number(s),
            Frame::Verbatim(fmt, text) => {
                let fmt: [u8; 3] = fmt.as_slice().try_into().unwrap_or(*b"txt");
                w.verbatim(&fmt, text);
            }
            Frame::Attribute(pairs, data) => {
                if w.resp3 {
                    w.attribute(pairs.len());
                    for (k, v) in pairs {
                        k.encode(w);
                        v.encode(w);
                    }
                }
                data.encode(w);
            }
        }
    }
}

/// Parses one complete reply frame (RESP2 or RESP3) from the start of `buf`.
///
/// Returns `Ok(Some((frame, consumed)))`, `Ok(None)` when `buf` holds only
/// the beginning of a frame, or an error for malformed input (including
/// nesting deeper than [`MAX_REPLY_DEPTH`]). Memory is only allocated for
/// what is actually present, whatever lengths are declared. Streamed RESP3
/// types (`$?`, `*?`) are not supported.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Frame, usize)>, ProtocolError> {
    Ok(Parser::<true> { buf }
        .frame(0, 0)?
        .map(|(f, n)| (f.unwrap_or(Frame::Null), n)))
}

/// Length of one complete reply frame at the start of `buf`, without
/// building it; same validation and results as [`parse_reply`].
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    Ok(Parser::<false> { buf }.frame(0, 0)?.map(|(_, n)| n))
}

/// `BUILD` false only measures.
struct Parser<'a, const BUILD: bool> {
    buf: &'a [u8],
}

type Step = Result<Option<(Option<Frame>, usize)>, ProtocolError>;

fn invalid<T>(offset: usize, reason: &'static str) -> Result<T, ProtocolError> {
    Err(ProtocolError::InvalidReply { offset, reason })
}

/// Parses an integer: optional `-`, then at least one digit, within `i64`.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = i64::from(c - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

fn parse_double(s: &[u8]) -> Option<f64> {
    match s {
        b"inf" | b"+inf" => Some(f64::INFINITY),
        b"-inf" => Some(f64::NEG_INFINITY),
        b"nan" => Some(f64::NAN),
        b"-nan" => Some(-f64::NAN),
        _ => {
            let text = std::str::from_utf8(s).ok()?;
            // Rust also accepts "infinity" and friends; RESP3 only has the
            // spellings above, and a number must start with a sign or digit.
            if !text
                .bytes()
                .next()
                .is_some_and(|b| b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit())
                || text
                    .bytes()
                    .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
            {
                return None;
            }
            text.parse().ok()
        }
    }
}

impl<const BUILD: bool> Parser<'_, BUILD> {
    /// The line starting at `pos` (without `\r\n`) and the offset after it.
    fn line(&self, pos: usize) -> Result<Option<(&[u8], usize)>, ProtocolError> {
        let rest = self.buf.get(pos..).unwrap_or_default();
        let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
            return Ok(None);
        };
        match rest.get(cr + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((rest.get(..cr).unwrap_or_default(), pos + cr + 2))),
            Some(_) => invalid(pos + cr, "CR not followed by LF"),
        }
    }

    /// `len` bytes at `pos` followed by `\r\n`.
    fn blob(&self, pos: usize, len: i64) -> Result<Option<(&[u8], usize)>, ProtocolError> {
        let available = self.buf.len().saturating_sub(pos);
        let Ok(len) = usize::try_from(len) else {
            return invalid(pos, "negative length");
        };
        if available < 2 || len > available - 2 {
            return Ok(None);
        }
        let body = self.buf.get(pos..pos + len).unwrap_or_default();
        if self.buf.get(pos + len..pos + len + 2) != Some(b"\r\n") {
            return invalid(pos + len, "blob not followed by CRLF");
        }
        Ok(Some((body, pos + len + 2)))
    }

    fn owned(s: &[u8]) -> Option<Vec<u8>> {
        BUILD.then(|| s.to_vec())
    }

    fn frame(&self, pos: usize, depth: usize) -> Step {
        let Some(&kind) = self.buf.get(pos) else {
            return Ok(None);
        };
        let Some((line, next)) = self.line(pos + 1)? else {
            return Ok(None);
        };
        let at = pos + 1;
        let scalar = |f: Frame| Ok(Some((BUILD.then_some(f), next)));
        match kind {
            b'+' => Ok(Some((Self::owned(line).map(Frame::Simple), next))),
            b'-' => Ok(Some((Self::owned(line).map(Frame::Error), next))),
            b':' => match parse_int(line) {
                Some(n) => scalar(Frame::Integer(n)),
                None => invalid(at, "invalid integer"),
            },
            b'_' if line.is_empty() => scalar(Frame::Null),
            b'_' => invalid(at, "null with a payload"),
            b'#' => match line {
                b"t" => scalar(Frame::Boolean(true)),
                b"f" => scalar(Frame::Boolean(false)),
                _ => invalid(at, "invalid boolean"),
            },
            b',' => match parse_double(line) {
                Some(d) => scalar(Frame::Double(d)),
                None => invalid(at, "invalid double"),
            },
            b'(' => {
                let digits = match line.split_first() {
                    Some((b'-' | b'+', rest)) => rest,
                    _ => line,
                };
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return invalid(at, "invalid big number");
                }
                Ok(Some((Self::owned(line).map(Frame::BigNumber), next)))
            }
            b'$' | b'!' | b'=' => {
                if line == b"?" {
                    return invalid(at, "streamed strings are not supported");
                }
                let Some(len) = parse_int(line) else {
                    return invalid(at, "invalid length");
                };
                if len == -1 && kind == b'$' {
                    return scalar(Frame::Null);
                }
                let Some((body, end)) = self.blob(next, len)? else {
                    return Ok(None);
                };
                let frame = match kind {
                    b'$' => Self::owned(body).map(Frame::Bulk),
                    b'!' => Self::owned(body).map(Frame::Error),
                    _ => {
                        if body.get(3) != Some(&b':') {
                            return invalid(next, "verbatim string without a format");
                        }
                        BUILD.then(|| {
                            Frame::Verbatim(
                                body.get(..3).unwrap_or_default().to_vec(),
                                body.get(4..).unwrap_or_default().to_vec(),
                            )
                        })
                    }
                };
                Ok(Some((frame, end)))
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                if line == b"?" {
                    return invalid(at, "streamed aggregates are not supported");
                }
                let Some(len) = parse_int(line) else {
                    return invalid(at, "invalid length");
                };
                if len == -1 && kind == b'*' {
                    return scalar(Frame::NullArray);
                }
                let Ok(len) = u64::try_from(len) else {
                    return invalid(at, "negative length");
                };
                if depth >= MAX_REPLY_DEPTH {
                    return invalid(pos, "reply nested too deeply");
                }
                self.aggregate(kind, len, next, depth + 1)
            }
            _ => invalid(pos, "unknown reply type"),
        }
    }

    fn aggregate(&self, kind: u8, len: u64, mut pos: usize, depth: usize) -> Step {
        let paired = kind == b'%' || kind == b'|';
        let prealloc = if BUILD {
            len.min(PREALLOC_ELEMENTS as u64) as usize
        } else {
            0
        };
        let mut items = Vec::with_capacity(prealloc);
        let mut pairs = Vec::with_capacity(if paired { prealloc } else { 0 });
        let mut done = 0;
        while done < len {
            let Some((first, after)) = self.frame(pos, depth)? else {
                return Ok(None);
            };
            pos = after;
            if paired {
                let Some((second, after)) = self.frame(pos, depth)? else {
                    return Ok(None);
                };
                pos = after;
                if let (Some(k), Some(v)) = (first, second) {
                    pairs.push((k, v));
                }
            } else if let Some(f) = first {
                items.push(f);
            }
            done += 1;
        }
        let frame = match kind {
            b'*' => Frame::Array(items),
            b'~' => Frame::Set(items),
            b'>' => Frame::Push(items),
            b'%' => Frame::Map(pairs),
            _ => {
                // An attribute describes the reply that follows it.
                let Some((data, after)) = self.frame(pos, depth)? else {
                    return Ok(None);
                };
                pos = after;
                Frame::Attribute(pairs, Box::new(data.unwrap_or(Frame::Null)))
            }
        };
        Ok(Some((BUILD.then_some(frame), pos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn parse_all(input: &[u8]) -> Frame {
        match parse_reply(input) {
            Ok(Some((f, n))) => {
                assert_eq!(n, input.len(), "consumed");
                assert_eq!(reply_len(input), Ok(Some(n)));
                // Every strict prefix is incomplete.
                for cut in 0..input.len() {
                    assert_eq!(parse_reply(&input[..cut]), Ok(None), "prefix {cut}");
                    assert_eq!(reply_len(&input[..cut]), Ok(None), "prefix {cut}");
                }
                f
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }

    fn malformed(input: &[u8]) {
        assert!(
            matches!(parse_reply(input), Err(ProtocolError::InvalidReply { .. })),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert!(reply_len(input).is_err());
    }

    #[test]
    fn resp2_frames() {
        assert_eq!(parse_all(b"+OK\r\n"), Frame::Simple(b"OK".to_vec()));
        assert_eq!(
            parse_all(b"-ERR x y\r\n"),
            Frame::Error(b"ERR x y".to_vec())
        );
        assert_eq!(parse_all(b":-42\r\n"), Frame::Integer(-42));
        assert_eq!(
            parse_all(b":-9223372036854775808\r\n"),
            Frame::Integer(i64::MIN)
        );
        assert_eq!(
            parse_all(b"$4\r\na\r\nb\r\n"),
            Frame::Bulk(b"a\r\nb".to_vec())
        );
        assert_eq!(parse_all(b"$0\r\n\r\n"), Frame::Bulk(vec![]));
        assert_eq!(parse_all(b"$-1\r\n"), Frame::Null);
        assert_eq!(parse_all(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(parse_all(b"*0\r\n"), Frame::Array(vec![]));
        assert_eq!(
            parse_all(b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Array(vec![Frame::Bulk(b"x".to_vec())])
            ])
        );
    }

    // The RESP3 replies of `DEBUG PROTOCOL ...` on redis-server 7.0.15.
    #[test]
    fn resp3_frames() {
        assert_eq!(parse_all(b"_\r\n"), Frame::Null);
        assert_eq!(parse_all(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(parse_all(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(parse_all(b",3.141\r\n"), Frame::Double(3141.0 / 1000.0));
        assert_eq!(parse_all(b",-inf\r\n"), Frame::Double(f64::NEG_INFINITY));
        assert_eq!(parse_all(b",inf\r\n"), Frame::Double(f64::INFINITY));
        assert!(matches!(parse_all(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
        assert_eq!(
            parse_all(b"(1234567999999999999999999999999999999\r\n"),
            Frame::BigNumber(b"1234567999999999999999999999999999999".to_vec())
        );
        assert_eq!(
            parse_all(b"=29\r\ntxt:This is a verbatim\nstring\r\n"),
            Frame::Verbatim(b"txt".to_vec(), b"This is a verbatim\nstring".to_vec())
        );
        assert_eq!(
            parse_all(b"%2\r\n:0\r\n#f\r\n:1\r\n#t\r\n"),
            Frame::Map(vec![
                (Frame::Integer(0), Frame::Boolean(false)),
                (Frame::Integer(1), Frame::Boolean(true))
            ])
        );
        assert_eq!(
            parse_all(b"~2\r\n:0\r\n:1\r\n"),
            Frame::Set(vec![Frame::Integer(0), Frame::Integer(1)])
        );
        assert_eq!(
            parse_all(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"),
            Frame::Push(vec![
                Frame::Bulk(b"server-cpu-usage".to_vec()),
                Frame::Integer(42)
            ])
        );
        assert_eq!(
            parse_all(
                b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
            ),
            Frame::Attribute(
                vec![(
                    Frame::Bulk(b"key-popularity".to_vec()),
                    Frame::Array(vec![Frame::Bulk(b"key:123".to_vec()), Frame::Integer(90)])
                )],
                Box::new(Frame::Bulk(
                    b"Some real reply following the attribute".to_vec()
                ))
            )
        );
        assert_eq!(
            parse_all(b"!8\r\nERR x\r\ny\r\n"),
            Frame::Error(b"ERR x\r\ny".to_vec())
        );
    }

    #[test]
    fn malformed_frames() {
        for bad in [
            &b"?\r\n"[..],
            b"+OK\rX",
            b":\r\n",
            b":1.5\r\n",
            b":99999999999999999999\r\n",
            b"$-2\r\n",
            b"$x\r\n",
            b"$3\r\nabcde",
            b"*-2\r\n",
            b"%-1\r\n",
            b"$?\r\n",
            b"*?\r\n",
            b"#x\r\n",
            b"_x\r\n",
            b",abc\r\n",
            b",infinity\r\n",
            b"(12a\r\n",
            b"(\r\n",
            b"=3\r\ntxt\r\n",
            b"=5\r\ntxtx:\r\n",
            b"*1\r\n?\r\n",
        ] {
            malformed(bad);
        }
    }

    #[test]
    fn huge_declared_lengths_wait_for_bytes() {
        assert_eq!(parse_reply(b"$9223372036854775807\r\nab"), Ok(None));
        assert_eq!(parse_reply(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
        assert_eq!(parse_reply(b"%9223372036854775807\r\n:1\r\n"), Ok(None));
        assert_eq!(reply_len(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
    }

    #[test]
    fn depth_is_bounded() {
        let mut ok = b"*1\r\n".repeat(MAX_REPLY_DEPTH);
        ok.extend_from_slice(b":1\r\n");
        assert!(matches!(parse_reply(&ok), Ok(Some(_))));
        assert_eq!(reply_len(&ok), Ok(Some(ok.len())));
        let mut deep = b"*1\r\n".repeat(MAX_REPLY_DEPTH + 1);
        deep.extend_from_slice(b":1\r\n");
        assert!(parse_reply(&deep).is_err());
        assert!(reply_len(&deep).is_err());
        // Far deeper input is rejected without exhausting the stack.
        let deeper = b"*1\r\n".repeat(100_000);
        assert!(parse_reply(&deeper).is_err());
    }

    #[test]
    fn encode_resp2_and_resp3() {
        let frame = Frame::Attribute(
            vec![(Frame::Simple(b"a".to_vec()), Frame::Integer(1))],
            Box::new(Frame::Map(vec![(
                Frame::Bulk(b"k".to_vec()),
                Frame::Set(vec![Frame::Boolean(true), Frame::Double(1.5)]),
            )])),
        );
        let mut b3 = BytesMut::new();
        frame.encode(&mut Writer::new(&mut b3, true));
        assert_eq!(
            &b3[..],
            b"|1\r\n+a\r\n:1\r\n%1\r\n$1\r\nk\r\n~2\r\n#t\r\n,1.5\r\n"
        );
        assert_eq!(parse_all(&b3), frame);
        let mut b2 = BytesMut::new();
        frame.encode(&mut Writer::new(&mut b2, false));
        assert_eq!(&b2[..], b"*2\r\n$1\r\nk\r\n*2\r\n:1\r\n$3\r\n1.5\r\n");
    }
}
