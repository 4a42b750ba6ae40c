//! Redis 7.0's multi-part append-only file: the manifest that lists the
//! parts, their names, and the reader of the commands they hold.
//!
//! An AOF directory (`appenddirname`, default `appendonlydir`) holds one
//! *base* file (`<appendfilename>.<seq>.base.rdb` or `.base.aof`), any
//! number of *incr* files (`<appendfilename>.<seq>.incr.aof`) written after
//! it, in order, and the manifest `<appendfilename>.manifest` naming them:
//!
//! ```text
//! file appendonly.aof.1.base.rdb seq 1 type b
//! file appendonly.aof.1.incr.aof seq 1 type i
//! ```
//!
//! An AOF part is RESP: each command a multibulk of bulk strings. Lines
//! starting with `#` are annotations (Redis's `aof-timestamp-enabled`
//! writes `#TS:<unix>`) and are skipped.

use std::fmt;

/// The kind of a part, as the manifest's `type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// `b`: the base (an RDB or an AOF of the whole dataset).
    Base,
    /// `h`: a part kept after a rewrite replaced it (not loaded).
    History,
    /// `i`: commands appended after the base, in seq order.
    Incr,
}

impl PartKind {
    fn letter(self) -> char {
        match self {
            PartKind::Base => 'b',
            PartKind::History => 'h',
            PartKind::Incr => 'i',
        }
    }
}

/// One file the manifest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number (increasing over rewrites).
    pub seq: u64,
    /// Base, history or incr.
    pub kind: PartKind,
}

/// The manifest: an optional base, then the incr parts in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base part.
    pub base: Option<Part>,
    /// Parts replaced by a rewrite, not loaded.
    pub history: Vec<Part>,
    /// Incr parts, in load order.
    pub incr: Vec<Part>,
}

/// A manifest that cannot be used, with Redis's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest manifest line Redis reads.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// A fresh manifest for `filename`: base 1 (an RDB when `rdb_base`,
    /// else an AOF) and incr 1, as Redis creates at its first start with
    /// `appendonly yes`.
    pub fn fresh(filename: &str, rdb_base: bool) -> Manifest {
        Manifest {
            base: Some(Part {
                name: base_name(filename, 1, rdb_base),
                seq: 1,
                kind: PartKind::Base,
            }),
            history: Vec::new(),
            incr: vec![Part {
                name: incr_name(filename, 1),
                seq: 1,
                kind: PartKind::Incr,
            }],
        }
    }

    /// Parses a manifest file's text.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let bad = || ManifestError("Invalid AOF manifest file format".into());
        let mut m = Manifest::default();
        let mut last_incr = 0u64;
        for raw in text.split(|&b| b == b'\n') {
            if raw.len() > MAX_LINE {
                return Err(ManifestError(
                    "The AOF manifest file contains too long line".into(),
                ));
            }
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let trimmed = trim(line);
            if trimmed.is_empty() || trimmed[0] == b'#' {
                continue;
            }
            let words = split_args(trimmed).ok_or_else(bad)?;
            if words.len() % 2 != 0 {
                return Err(bad());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks_exact(2) {
                let value = &pair[1];
                match pair[0].as_slice() {
                    b"file" => name = Some(String::from_utf8(value.clone()).map_err(|_| bad())?),
                    b"seq" => {
                        seq = Some(
                            std::str::from_utf8(value)
                                .ok()
                                .and_then(|s| s.parse::<u64>().ok())
                                .ok_or_else(bad)?,
                        )
                    }
                    b"type" => {
                        kind = Some(match value.as_slice() {
                            b"b" => PartKind::Base,
                            b"h" => PartKind::History,
                            b"i" => PartKind::Incr,
                            _ => return Err(bad()),
                        })
                    }
                    // Unknown keys are left for newer versions, as Redis does.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(bad());
            };
            if name.contains('/') {
                return Err(bad());
            }
            let part = Part { name, seq, kind };
            match kind {
                PartKind::Base => {
                    if m.base.is_some() {
                        return Err(ManifestError(
                            "Found duplicate base file information".into(),
                        ));
                    }
                    m.base = Some(part);
                }
                PartKind::History => m.history.push(part),
                PartKind::Incr => {
                    if seq <= last_incr {
                        return Err(ManifestError(
                            "Found a non-monotonic sequence number".into(),
                        ));
                    }
                    last_incr = seq;
                    m.incr.push(part);
                }
            }
        }
        if m.base.is_none() && m.incr.is_empty() {
            return Err(ManifestError("Found an empty AOF manifest".into()));
        }
        Ok(m)
    }

    /// The manifest's text, one line per part (base, history, incr), as
    /// Redis writes it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for p in self.base.iter().chain(&self.history).chain(&self.incr) {
            out.push_str("file ");
            out.push_str(&quote(&p.name));
            out.push_str(&format!(" seq {} type {}\n", p.seq, p.kind.letter()));
        }
        out
    }

    /// The incr part commands are appended to (the last one).
    pub fn current_incr(&self) -> Option<&Part> {
        self.incr.last()
    }
}

/// `<filename>.<seq>.base.rdb` or `.base.aof`.
pub fn base_name(filename: &str, seq: u64, rdb: bool) -> String {
    format!("{filename}.{seq}.base.{}", if rdb { "rdb" } else { "aof" })
}

/// `<filename>.<seq>.incr.aof`.
pub fn incr_name(filename: &str, seq: u64) -> String {
    format!("{filename}.{seq}.incr.aof")
}

/// `<filename>.manifest`.
pub fn manifest_name(filename: &str) -> String {
    format!("{filename}.manifest")
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Splits a line into words, honouring double and single quotes and the
/// escapes Redis's argument splitter knows. None on an unbalanced quote.
fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut word = Vec::new();
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    let c = *line.get(i)?;
                    i += 1;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let e = *line.get(i)?;
                            i += 1;
                            match e {
                                b'n' => word.push(b'\n'),
                                b'r' => word.push(b'\r'),
                                b't' => word.push(b'\t'),
                                b'b' => word.push(8),
                                b'a' => word.push(7),
                                b'x' => {
                                    let hex = line.get(i..i + 2)?;
                                    let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16)
                                        .ok()?;
                                    word.push(v);
                                    i += 2;
                                }
                                other => word.push(other),
                            }
                        }
                        other => word.push(other),
                    }
                }
                // A closing quote must end the word.
                if line.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    let c = *line.get(i)?;
                    i += 1;
                    match c {
                        b'\'' => break,
                        b'\\' if line.get(i) == Some(&b'\'') => {
                            word.push(b'\'');
                            i += 1;
                        }
                        other => word.push(other),
                    }
                }
                if line.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            _ => {
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    word.push(line[i]);
                    i += 1;
                }
            }
        }
        words.push(word);
    }
    Some(words)
}

/// A file name as the manifest writes it: bare, or quoted (Redis's
/// `sdscatrepr`) when it holds spaces or bytes a bare word cannot.
fn quote(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain && !name.is_empty() {
        return name.to_owned();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// What reading an AOF part found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The part ends inside a command, which starts at `offset` (a
    /// crash in the middle of a write leaves this).
    Truncated {
        /// Where the incomplete command starts.
        offset: usize,
    },
    /// Bytes that are no command at `offset`.
    BadFormat {
        /// Where the bad bytes are.
        offset: usize,
        /// What is wrong.
        why: &'static str,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Truncated { offset } => {
                write!(
                    f,
                    "unexpected end of file in the command at offset {offset}"
                )
            }
            ReadError::BadFormat { offset, why } => write!(f, "{why} at offset {offset}"),
        }
    }
}

/// The most arguments and the longest argument a command in an AOF may
/// have: Redis's own limits for clients (a file is untrusted input too).
const MAX_ARGS: u64 = 1024 * 1024;
const MAX_BULK: u64 = 512 * 1024 * 1024;

/// One command read from an AOF part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Where the command starts in the part.
    pub offset: usize,
    /// Where it ends (the next command's offset).
    pub end: usize,
    /// Its arguments, borrowed from the part's bytes.
    pub argv: Vec<&'a [u8]>,
}

/// Reads the commands of an AOF part one by one.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole part.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// The offset of the next command.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next command, None at the end of the part.
    pub fn next_command(&mut self) -> Result<Option<Command<'a>>, ReadError> {
        loop {
            if self.pos >= self.data.len() {
                return Ok(None);
            }
            if self.data[self.pos] == b'#' {
                // An annotation line: skipped whole (a torn one is a torn tail).
                let start = self.pos;
                match find_crlf(self.data, start) {
                    Some(end) => self.pos = end + 2,
                    None => return Err(ReadError::Truncated { offset: start }),
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        let mut at = start;
        let truncated = ReadError::Truncated { offset: start };
        if self.data[at] != b'*' {
            return Err(ReadError::BadFormat {
                offset: at,
                why: "expected '*' (a command's argument count)",
            });
        }
        let (count, next) = self.number(at + 1, start)?;
        if !(1..=MAX_ARGS).contains(&count) {
            return Err(ReadError::BadFormat {
                offset: at,
                why: "invalid argument count",
            });
        }
        at = next;
        // Bounded by what the file can hold, not by what it claims.
        let mut argv = Vec::with_capacity((count as usize).min(1024));
        for _ in 0..count {
            match self.data.get(at) {
                None => return Err(truncated),
                Some(b'$') => {}
                Some(_) => {
                    return Err(ReadError::BadFormat {
                        offset: at,
                        why: "expected '$' (an argument's length)",
                    })
                }
            }
            let (len, next) = self.number(at + 1, start)?;
            if len > MAX_BULK {
                return Err(ReadError::BadFormat {
                    offset: at,
                    why: "invalid argument length",
                });
            }
            let body = next;
            let end = body
                .checked_add(len as usize)
                .ok_or(ReadError::Truncated { offset: start })?;
            if end + 2 > self.data.len() {
                return Err(truncated);
            }
            if &self.data[end..end + 2] != b"\r\n" {
                return Err(ReadError::BadFormat {
                    offset: end,
                    why: "argument not followed by CRLF",
                });
            }
            argv.push(&self.data[body..end]);
            at = end + 2;
        }
        self.pos = at;
        Ok(Some(Command {
            offset: start,
            end: at,
            argv,
        }))
    }

    /// A decimal number from `at` up to CRLF, and the offset after the CRLF.
    fn number(&self, at: usize, start: usize) -> Result<(u64, usize), ReadError> {
        let Some(end) = find_crlf(self.data, at) else {
            // No line end: a torn tail when what is there could still be a number.
            let rest = &self.data[at.min(self.data.len())..];
            if rest.len() <= 20 && rest.iter().all(|c| c.is_ascii_digit() || *c == b'\r') {
                return Err(ReadError::Truncated { offset: start });
            }
            return Err(ReadError::BadFormat {
                offset: at,
                why: "invalid number",
            });
        };
        let digits = &self.data[at..end];
        if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(ReadError::BadFormat {
                offset: at,
                why: "invalid number",
            });
        }
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        Ok((n, end + 2))
    }
}

/// The offset of the next CRLF at or after `from`.
fn find_crlf(data: &[u8], from: usize) -> Option<usize> {
    let rest = data.get(from..)?;
    rest.windows(2).position(|w| w == b"\r\n").map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip() {
        let m = Manifest::fresh("appendonly.aof", true);
        let text = m.render();
        assert_eq!(
            text,
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
    }

    #[test]
    fn manifest_quotes_and_comments() {
        let text = b"# comment\nfile \"a b.1.base.aof\" seq 1 type b\r\nfile x.2.incr.aof seq 2 type i\nfile x.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "a b.1.base.aof");
        assert_eq!(m.incr.len(), 2);
        assert_eq!(m.current_incr().unwrap().seq, 3);
        assert!(m
            .render()
            .starts_with("file \"a b.1.base.aof\" seq 1 type b\n"));
    }

    #[test]
    fn manifest_errors() {
        let bad = |t: &[u8]| Manifest::parse(t).unwrap_err().0;
        assert_eq!(
            bad(b"file a seq x type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            bad(b"file a seq 1 type z\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(bad(b"file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            bad(b"file \"a seq 1 type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            bad(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            bad(b"file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(bad(b"\n# nothing\n"), "Found an empty AOF manifest");
        let long = format!("file {} seq 1 type b\n", "a".repeat(2000));
        assert_eq!(
            bad(long.as_bytes()),
            "The AOF manifest file contains too long line"
        );
    }

    #[test]
    fn reads_commands_and_annotations() {
        let data = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n";
        let mut r = Reader::new(data);
        let c = r.next_command().unwrap().unwrap();
        assert_eq!(c.argv, vec![&b"SELECT"[..], b"0"]);
        assert_eq!(c.offset, 0);
        let c = r.next_command().unwrap().unwrap();
        assert_eq!(c.argv, vec![&b"set"[..], b"k", b""]);
        assert_eq!(c.end, data.len());
        assert_eq!(r.next_command().unwrap(), None);
    }

    #[test]
    fn every_prefix_of_a_command_is_a_torn_tail() {
        let one = b"*2\r\n$3\r\nget\r\n$1\r\nk\r\n";
        let mut data = b"*1\r\n$4\r\nPING\r\n".to_vec();
        let first = data.len();
        data.extend_from_slice(one);
        for cut in first + 1..data.len() {
            let mut r = Reader::new(&data[..cut]);
            assert!(r.next_command().unwrap().is_some());
            assert_eq!(
                r.next_command(),
                Err(ReadError::Truncated { offset: first }),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn bad_bytes_are_named_with_their_offset() {
        let mut r = Reader::new(b"*1\r\n$4\r\nPING\r\nhello\r\n");
        r.next_command().unwrap();
        assert_eq!(
            r.next_command(),
            Err(ReadError::BadFormat {
                offset: 14,
                why: "expected '*' (a command's argument count)"
            })
        );
        let mut r = Reader::new(b"*1\r\n$4\r\nPINGxx");
        assert!(matches!(
            r.next_command(),
            Err(ReadError::BadFormat { offset: 12, .. })
        ));
        let mut r = Reader::new(b"*0\r\n");
        assert!(matches!(r.next_command(), Err(ReadError::BadFormat { .. })));
        // A huge claimed count reserves nothing: the file runs out first.
        let mut r = Reader::new(b"*1048576\r\n$1\r\na\r\n");
        assert_eq!(r.next_command(), Err(ReadError::Truncated { offset: 0 }));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn encode(cmds: &[Vec<Vec<u8>>]) -> Vec<u8> {
            let mut out = Vec::new();
            for argv in cmds {
                out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
                for a in argv {
                    out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                    out.extend_from_slice(a);
                    out.extend_from_slice(b"\r\n");
                }
            }
            out
        }

        proptest! {
            #[test]
            fn commands_read_back(cmds in prop::collection::vec(
                prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6), 0..20)) {
                let data = encode(&cmds);
                let mut r = Reader::new(&data);
                for argv in &cmds {
                    let c = r.next_command().unwrap().unwrap();
                    prop_assert_eq!(c.argv.iter().map(|a| a.to_vec()).collect::<Vec<_>>(), argv.clone());
                }
                prop_assert_eq!(r.next_command().unwrap(), None);
                // Any cut inside the last command is a torn tail at its start.
                if let Some(last) = cmds.last() {
                    let start = data.len() - encode(std::slice::from_ref(last)).len();
                    for cut in start + 1..data.len() {
                        let mut r = Reader::new(&data[..cut]);
                        for _ in 0..cmds.len() - 1 {
                            r.next_command().unwrap().unwrap();
                        }
                        prop_assert_eq!(r.next_command(), Err(ReadError::Truncated { offset: start }));
                    }
                }
            }

            #[test]
            fn any_bytes_end_or_fail_without_panicking(data in prop::collection::vec(any::<u8>(), 0..300)) {
                let mut r = Reader::new(&data);
                let mut last = 0;
                while let Ok(Some(c)) = r.next_command() {
                    prop_assert!(c.offset >= last && c.end > c.offset && c.end <= data.len());
                    last = c.end;
                }
                let _ = Manifest::parse(&data);
            }
        }
    }
}
