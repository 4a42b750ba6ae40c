//! Byte-level parsers and printers that reproduce how Redis 7.0 reads
//! configuration values, so that a redis.conf means the same thing to Ferrite.
//!
//! Every function here is total: malformed input gives `None`/`Err`, never a
//! panic.

/// `isspace()` in the C locale.
fn is_c_space(b: u8) -> bool {
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

/// Trims the characters Redis strips from both ends of a config line.
pub(crate) fn trim_line(line: &[u8]) -> &[u8] {
    let strip = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !strip(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !strip(b))
        .map_or(start, |i| i + 1);
    line.get(start..end).unwrap_or_default()
}

/// Splits a configuration line into arguments with the quoting rules of
/// Redis's line splitter: `"..."` understands `\xHH`, `\n`, `\r`, `\t`, `\b`,
/// `\a` and `\<any>`; `'...'` understands only `\'`; a quote may start in the
/// middle of a word (`a"b c"` is one argument `ab c`) but a closing quote must
/// be followed by white space or the end of the line.
///
/// Returns `None` for unbalanced quotes. The input is treated as a C string:
/// anything after a NUL byte is ignored, as Redis would.
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => line.get(..nul).unwrap_or_default(),
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_c_space) {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                let c = at(i)?;
                if c == b'\\' && at(i + 1) == Some(b'x') {
                    if let (Some(h), Some(l)) =
                        (at(i + 2).and_then(hex_value), at(i + 3).and_then(hex_value))
                    {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' {
                    if let Some(e) = at(i + 1) {
                        cur.push(match e {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                        i += 2;
                        continue;
                    }
                }
                if c == b'"' {
                    if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                        return None;
                    }
                    i += 1;
                    break;
                }
                cur.push(c);
                i += 1;
            } else if in_single {
                let c = at(i)?;
                if c == b'\\' && at(i + 1) == Some(b'\'') {
                    cur.push(b'\'');
                    i += 2;
                    continue;
                }
                if c == b'\'' {
                    if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                        return None;
                    }
                    i += 1;
                    break;
                }
                cur.push(c);
                i += 1;
            } else {
                match at(i) {
                    None => break,
                    Some(b' ' | b'\n' | b'\r' | b'\t') => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(c) => cur.push(c),
                }
                i += 1;
            }
        }
        out.push(cur);
    }
}

/// Quotes `bytes` so that [`split_args`] reads it back as one argument:
/// always inside double quotes, with escapes for `\`, `"`, control and
/// non-ASCII bytes.
pub(crate) fn quote(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

/// Quotes `bytes` only when a bare word would not read back as itself.
pub(crate) fn quote_if_needed(bytes: &[u8]) -> Vec<u8> {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b'\'' != b && b != b'\\');
    if plain {
        bytes.to_vec()
    } else {
        quote(bytes)
    }
}

/// Parses a decimal `i64` as strictly as Redis's `string2ll`: optional `-`,
/// no `+`, no white space, no leading zeros (except `0` itself), no `-0`,
/// no overflow.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a memory amount the way Redis 7.0 does: decimal digits followed by
/// an optional unit, case-insensitive: `b` (1), `k` (1000), `kb` (1024), `m`
/// (10^6), `mb` (2^20), `g` (10^9), `gb` (2^30).
///
/// Redis 7.0 quirks kept on purpose so that values mean the same thing: no
/// sign, no spaces; an empty digit part is 0 (`""` and `"mb"` are 0); a digit
/// part too large for `u64` saturates; the multiplication wraps around. The
/// result is reinterpreted as `i64` like Redis's `long long` and the caller
/// checks the range.
pub(crate) fn parse_memory(s: &[u8]) -> Option<i64> {
    let unit_at = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(unit_at);
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits.len() >= 128 {
        return None;
    }
    let value = digits.iter().fold(0u64, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(value.wrapping_mul(mul) as i64)
}

/// Formats a memory amount with the largest unit that divides it exactly, as
/// Redis writes memory values back into a config file.
pub(crate) fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if bytes == 0 {
        "0".to_owned()
    } else if bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// Parses like C's `strtoll(s, &end, 10)` followed by a check that `*end`
/// is the terminating NUL — the lenient reading Redis applies to `save`
/// parameters: leading white space, an optional sign, saturation on
/// overflow, and (a C quirk) the empty string reads as 0.
pub(crate) fn parse_strtoll(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let start = s.iter().position(|&b| !is_c_space(b)).unwrap_or(s.len());
    let rest = s.get(start..).unwrap_or_default();
    let (negative, digits) = match rest.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0u64, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(if negative {
        0i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    })
}

/// Splits a CONFIG SET value of a multi-argument directive on single spaces,
/// as Redis does: `""` is no argument at all, and doubled spaces give empty
/// arguments.
pub(crate) fn split_spaces(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn split_plain_and_whitespace() {
        assert_eq!(split("port 6379").unwrap(), ["port", "6379"]);
        assert_eq!(split("  a \t b\t").unwrap(), ["a", "b"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn split_double_quotes_and_escapes() {
        // Checked against Redis 7.0.15 (masterauth read back with CONFIG GET).
        let got = split_args(br#"x "a\x41\x4g\n\r\t\b\a\q\\\"z""#).unwrap();
        assert_eq!(got[1], b"aAx4g\n\r\t\x08\x07q\\\"z");
        assert_eq!(split(r#"save """#).unwrap(), ["save", ""]);
        assert_eq!(split(r#"a "b c""#).unwrap(), ["a", "b c"]);
    }

    #[test]
    fn split_single_quotes() {
        // Checked against Redis 7.0.15: only \' is an escape inside '...'.
        assert_eq!(
            split(r#"x 'it\'s \n "x" \\ '"#).unwrap(),
            ["x", r#"it's \n "x" \\ "#]
        );
    }

    #[test]
    fn split_quote_inside_word() {
        // Checked against Redis 7.0.15: foo"bar baz" is one argument.
        assert_eq!(split(r#"x foo"bar baz""#).unwrap(), ["x", "foobar baz"]);
    }

    #[test]
    fn split_unbalanced() {
        assert_eq!(split(r#"port "abc"#), None);
        assert_eq!(split("port 'abc"), None);
        assert_eq!(split(r#"x foo"bar baz"qux"#), None);
        assert_eq!(split(r#"x "abc"def"#), None);
        assert_eq!(split(r#"x "abc\"#), None);
        assert_eq!(split(r#"x 'a\'"#), None);
    }

    #[test]
    fn split_stops_at_nul() {
        assert_eq!(
            split_args(b"a b\0c d").unwrap(),
            [b"a".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn quote_round_trips() {
        let samples: [&[u8]; 6] = [b"", b"plain", b"a b", b"q\"\\'", b"\x00\xff\n\x07", b"#x"];
        for s in samples {
            let mut line = b"k ".to_vec();
            line.extend(quote(s));
            assert_eq!(split_args(&line).unwrap()[1], s);
            let mut line = b"k ".to_vec();
            line.extend(quote_if_needed(s));
            assert_eq!(split_args(&line).unwrap()[1], s);
        }
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        // Each of these was refused by Redis 7.0.15 for CONFIG SET hz.
        for bad in [
            "010",
            "+5",
            " 5",
            "5.0",
            "-0",
            "",
            "99999999999999999999",
            "-",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_units() {
        let k = |s: &str| parse_memory(s.as_bytes());
        assert_eq!(k("1k"), Some(1000));
        assert_eq!(k("1K"), Some(1000));
        assert_eq!(k("1kb"), Some(1024));
        assert_eq!(k("1kB"), Some(1024));
        assert_eq!(k("1m"), Some(1_000_000));
        assert_eq!(k("1mb"), Some(1 << 20));
        assert_eq!(k("2MB"), Some(2 << 20));
        assert_eq!(k("1g"), Some(1_000_000_000));
        assert_eq!(k("1gb"), Some(1 << 30));
        assert_eq!(k("2Gb"), Some(2 << 30));
        assert_eq!(k("2097152B"), Some(2_097_152));
        assert_eq!(k("02mb"), Some(2 << 20));
        // Redis 7.0.15 quirks: empty is 0, multiplication wraps.
        assert_eq!(k(""), Some(0));
        assert_eq!(k("17179869185gb"), Some(1 << 30));
        assert_eq!(k("18446744073709551615"), Some(-1));
        for bad in [
            "+2mb", "-2mb", "-0", "1.5gb", "1 gb", " 2mb", "2mb ", "1gbb", "0x20", "2e6", "1t",
        ] {
            assert_eq!(k(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_format() {
        assert_eq!(format_memory(536_870_912), "512mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(0), "0");
    }

    #[test]
    fn lenient_integers() {
        assert_eq!(parse_strtoll(b"01"), Some(1));
        assert_eq!(parse_strtoll(b"+1"), Some(1));
        assert_eq!(parse_strtoll(b"-0"), Some(0));
        assert_eq!(parse_strtoll(b""), Some(0));
        assert_eq!(parse_strtoll(b"\t7"), Some(7));
        assert_eq!(parse_strtoll(b"99999999999999999999"), Some(i64::MAX));
        assert_eq!(parse_strtoll(b"-99999999999999999999"), Some(i64::MIN));
        assert_eq!(parse_strtoll(b"1e3"), None);
        assert_eq!(parse_strtoll(b" "), None);
        assert_eq!(parse_strtoll(b"+"), None);
        assert_eq!(parse_strtoll(b"7 "), None);
    }

    #[test]
    fn space_split() {
        assert!(split_spaces(b"").is_empty());
        assert_eq!(split_spaces(b"1 2"), [b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(split_spaces(b"1  2").len(), 3);
    }

    #[test]
    fn trimming() {
        assert_eq!(trim_line(b"  a b \t\r"), b"a b");
        assert_eq!(trim_line(b" \t "), b"");
        assert_eq!(trim_line(b""), b"");
    }
}
