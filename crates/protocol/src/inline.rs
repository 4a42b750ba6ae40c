//! Splitting of inline requests (`SET key "a value"\r\n`) into arguments,
//! following the rules of Redis's `sdssplitargs`:
//!
//! - arguments are separated by C `isspace` bytes (space, `\t`, `\n`, `\v`,
//!   `\f`, `\r`), but inside an unquoted argument only space, `\t`, `\n` and
//!   `\r` end it (`\v` and `\f` are kept);
//! - `"double quotes"` understand `\n \r \t \b \a`, `\xHH` and `\<any>`
//!   (the byte itself);
//! - `'single quotes'` understand only `\'`;
//! - a quote may open in the middle of an argument (`ab"c d"` is `abc d`),
//!   but a closing quote must be followed by a space or the end of the line;
//!   an unterminated quote is an error.

use crate::ProtocolError;

/// One argument of an inline request: a range of the line when it can be
/// served zero-copy, or bytes rebuilt because of quotes/escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InlineArg {
    /// `line[start..end]`.
    Span(usize, usize),
    /// Bytes that are not a contiguous range of the line.
    Owned(Vec<u8>),
}

/// The argument being built.
struct Token {
    start: usize,
    end: usize,
    owned: Option<Vec<u8>>,
}

impl Token {
    fn new(at: usize) -> Self {
        Token {
            start: at,
            end: at,
            owned: None,
        }
    }

    /// Appends `line[i]`, staying a span while the bytes stay contiguous.
    fn take(&mut self, line: &[u8], i: usize) {
        self.take_run(line, i, i + 1);
    }

    /// Appends `line[from..to]`, staying a span while the bytes stay
    /// contiguous.
    fn take_run(&mut self, line: &[u8], from: usize, to: usize) {
        let Some(run) = line.get(from..to) else {
            return;
        };
        match &mut self.owned {
            Some(v) => v.extend_from_slice(run),
            None if self.start == self.end => {
                self.start = from;
                self.end = to;
            }
            None if self.end == from => self.end = to,
            None => {
                let mut v = line.get(self.start..self.end).unwrap_or_default().to_vec();
                v.extend_from_slice(run);
                self.owned = Some(v);
            }
        }
    }

    /// Appends a byte that does not come verbatim from the line.
    fn push(&mut self, line: &[u8], b: u8) {
        let v = self
            .owned
            .get_or_insert_with(|| line.get(self.start..self.end).unwrap_or(&[]).to_vec());
        v.push(b);
    }

    fn finish(self) -> InlineArg {
        match self.owned {
            Some(v) => InlineArg::Owned(v),
            None => InlineArg::Span(self.start, self.end),
        }
    }
}

/// C `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Double,
    Single,
}

/// Splits `line` (without its trailing `\r\n`/`\n`) into `args`.
pub(crate) fn split_args(line: &[u8], args: &mut Vec<InlineArg>) -> Result<(), ProtocolError> {
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(());
        }
        let mut tok = Token::new(i);
        let mut mode = Mode::Plain;
        loop {
            let c = line.get(i).copied();
            match mode {
                Mode::Plain => match c {
                    None => break,
                    Some(b' ' | b'\t' | b'\n' | b'\r') => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => {
                        mode = Mode::Double;
                        i += 1;
                    }
                    Some(b'\'') => {
                        mode = Mode::Single;
                        i += 1;
                    }
                    Some(_) => {
                        // The whole run of ordinary bytes at once.
                        let run = line
                            .get(i..)
                            .unwrap_or_default()
                            .iter()
                            .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\''))
                            .unwrap_or(line.len() - i);
                        tok.take_run(line, i, i + run);
                        i += run;
                    }
                },
                Mode::Double => match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') => {
                        let next = line.get(i + 1).copied();
                        let hex = match (next, line.get(i + 2), line.get(i + 3)) {
                            (Some(b'x'), Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)),
                            _ => None,
                        };
                        if let Some((h, l)) = hex {
                            tok.push(line, h * 16 + l);
                            i += 4;
                        } else if let Some(e) = next {
                            let b = match e {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                other => other,
                            };
                            tok.push(line, b);
                            i += 2;
                        } else {
                            // A lone backslash at the end: kept, then the
                            // quote is found unterminated.
                            tok.take(line, i);
                            i += 1;
                        }
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        tok.take(line, i);
                        i += 1;
                    }
                },
                Mode::Single => match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        tok.push(line, b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        tok.take(line, i);
                        i += 1;
                    }
                },
            }
        }
        args.push(tok.finish());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut args = Vec::new();
        split_args(line, &mut args)?;
        Ok(args
            .into_iter()
            .map(|a| match a {
                InlineArg::Span(s, e) => line[s..e].to_vec(),
                InlineArg::Owned(v) => v,
            })
            .collect())
    }

    fn ok(line: &[u8], want: &[&[u8]]) {
        let got = split(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let want: Vec<Vec<u8>> = want.iter().map(|a| a.to_vec()).collect();
        assert_eq!(got, want, "line {:?}", String::from_utf8_lossy(line));
    }

    fn unbalanced(line: &[u8]) {
        assert_eq!(
            split(line),
            Err(ProtocolError::UnbalancedQuotes),
            "line {:?}",
            String::from_utf8_lossy(line)
        );
    }

    // Expected values observed on redis-server 7.0.15 (RPUSH then LRANGE).
    #[test]
    fn matches_redis_splitting() {
        ok(b"a b\tc", &[b"a", b"b", b"c"]);
        ok(b"  a   b  ", &[b"a", b"b"]);
        ok(b"\"a b\" c", &[b"a b", b"c"]);
        ok(b"'a b' c", &[b"a b", b"c"]);
        ok(
            b"\"a\\nb\\r\\t\\b\\a\\\\\\\"\\x41\\x4g\\q\"",
            &[b"a\nb\r\t\x08\x07\\\"Ax4gq"],
        );
        ok(b"ab\"cd ef\" g", &[b"abcd ef", b"g"]);
        ok(b"ab'cd ef' g", &[b"abcd ef", b"g"]);
        ok(b"a\x0bb \x0cc", &[b"a\x0bb", b"c"]);
        ok(b"\x0b\x0ca", &[b"a"]);
        ok(b"a\rb", &[b"a", b"b"]);
        ok(b"\"\"", &[b""]);
        ok(b"''", &[b""]);
        ok(b"\"\" x", &[b"", b"x"]);
        ok(b"\"\\x\"", &[b"x"]);
        ok(b"\"\\x4\"", &[b"x4"]);
        ok(b"\"\\xZZ\"", &[b"xZZ"]);
        ok(b"\"a\"\x0bb", &[b"a", b"b"]);
        ok(b"'a'\x0cb", &[b"a", b"b"]);
        ok(b"\"a\"\rb", &[b"a", b"b"]);
        ok(b"\"\\x00\"", &[b"\x00"]);
        ok(b"\"\\xff\\xFF\"", &[b"\xff\xff"]);
        ok(b"'it\\'s'", &[b"it's"]);
        ok(b"'a\\nb'", &[b"a\\nb"]);
        ok(b"", &[]);
        ok(b" \t ", &[]);
    }

    #[test]
    fn unbalanced_quotes() {
        unbalanced(b"\"a\"b");
        unbalanced(b"\"a");
        unbalanced(b"'a");
        unbalanced(b"\"a\\");
        unbalanced(b"'a\\'");
        unbalanced(b"a\"b\"c");
        unbalanced(b"'it\\'s' '\\n\\\\'");
    }

    #[test]
    fn contiguous_args_are_spans() {
        let mut args = Vec::new();
        split_args(b"SET \"k\" v'x'", &mut args).unwrap_or_default();
        assert_eq!(
            args,
            vec![
                InlineArg::Span(0, 3),
                InlineArg::Span(5, 6),
                InlineArg::Owned(b"vx".to_vec())
            ]
        );
    }
}
