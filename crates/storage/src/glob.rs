//! Redis's glob-style pattern matching, as used by `KEYS`, `SCAN ... MATCH`,
//! `PSUBSCRIBE`, `CONFIG GET` and `COMMAND LIST FILTERBY PATTERN`.
//!
//! The rules are those of Redis 7.0, quirks included (each one was checked
//! against a real `redis-server` 7.0.15):
//!
//! * `*` matches any run of bytes, `?` any one byte, `\x` the byte `x`; a
//!   trailing `\` matches a literal backslash.
//! * `[...]` matches one byte from a set, `[^...]` one byte outside it.
//!   Inside the brackets `\x` is the literal `x` (compared case-sensitively
//!   even when `nocase` is set), and `a-z` is an inclusive range whose ends
//!   may come in either order (`[z-a]` is `[a-z]`). Ranges compare bytes as
//!   C's *signed* `char`, so `[a-\xff]` holds `\xff` and `\x00..=a` but not
//!   `\xc0`. With `nocase` the ends are put in order first and lower-cased
//!   second, so `[Z-a]` matches nothing.
//! * A `]` right after `[` (or `[^`) closes an empty set: `[]` never matches
//!   and `[^]` matches any byte. `x-]` is a range ending at `]`, and the set
//!   goes on: `[a-]x]` holds `]..=a` and `x`. A set left open ends with the
//!   pattern: `[ab` works as `[ab]`, `[^` matches any one byte, `[` nothing.
//! * The empty string is matched only by the empty pattern; not even `*`
//!   matches it (`KEYS *` and `SCAN` special-case the lone `*` themselves,
//!   `PSUBSCRIBE *` does not receive `PUBLISH ""`).
//! * A match that has to pass more than 1000 `*` (a run of stars counts once;
//!   a star at the very end, or reached when the string is used up, does not
//!   count) fails. That is Redis's guard against deep recursion.
//!
//! Redis backtracks recursively but gives up as soon as a `*` has tried the
//! rest of the pattern at every position without success: moving an earlier
//! `*` further right only shifts the rest rightwards, which cannot help. So
//! only the most recent `*` is ever worth returning to, which this module
//! does iteratively: O(pattern × string) time, no recursion, no allocation.

/// How many `*` a match may pass before it fails, as Redis's nesting guard
/// allows.
const MAX_STARS: usize = 1000;

/// Tells whether `string` matches the glob `pattern` under Redis 7.0's rules
/// (see the module documentation). `nocase` folds ASCII letters, as `CONFIG
/// GET` does; `KEYS`, `SCAN` and `PSUBSCRIBE` match case-sensitively.
///
/// Runs in O(`pattern.len()` × `string.len()`) time on any input.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut p = 0;
    let mut s = 0;
    // After a failure, matching resumes just past the most recent `*`
    // (`after_star`), one byte to the right of where it last began (`tried`).
    let mut retry: Option<(usize, usize)> = None;
    let mut stars = 0;
    loop {
        match run(pattern, string, nocase, &mut p, &mut s) {
            Run::Matched => return true,
            Run::Star => {
                // `p` is at a `*` and at least one byte of `string` is left.
                while pattern.get(p + 1) == Some(&b'*') {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                stars += 1;
                if stars > MAX_STARS {
                    return false;
                }
                p += 1;
                retry = Some((p, s));
            }
            Run::Failed => match retry {
                Some((after_star, tried)) if tried + 1 < string.len() => {
                    retry = Some((after_star, tried + 1));
                    p = after_star;
                    s = tried + 1;
                }
                // The latest `*` has tried every position (Redis never lets
                // it swallow the whole rest: what follows it needs a byte).
                Some(_) | None => return false,
            },
        }
    }
}

/// Where [`run`] stopped.
enum Run {
    /// Pattern and string ended together.
    Matched,
    /// A token did not match, or one of the two ended before the other.
    Failed,
    /// The pattern reached a `*` while the string still has bytes.
    Star,
}

/// Matches the star-free tokens from `pattern[*p..]` against `string[*s..]`.
fn run(pattern: &[u8], string: &[u8], nocase: bool, p: &mut usize, s: &mut usize) -> Run {
    while let (Some(&token), Some(&byte)) = (pattern.get(*p), string.get(*s)) {
        match token {
            b'*' => return Run::Star,
            b'?' => {}
            b'[' => match match_set(pattern, *p, byte, nocase) {
                (true, last) => *p = last,
                (false, _) => return Run::Failed,
            },
            _ => {
                let literal = match (token, pattern.get(*p + 1)) {
                    (b'\\', Some(&escaped)) => {
                        *p += 1;
                        escaped
                    }
                    _ => token,
                };
                if !same_byte(literal, byte, nocase) {
                    return Run::Failed;
                }
            }
        }
        *p += 1;
        *s += 1;
        if *s == string.len() {
            // Trailing stars match the empty rest; nothing else does.
            while pattern.get(*p) == Some(&b'*') {
                *p += 1;
            }
            break;
        }
    }
    if *p == pattern.len() && *s == string.len() {
        Run::Matched
    } else {
        Run::Failed
    }
}

/// Matches `byte` against the set opening at `pattern[open] == b'['`.
/// Returns whether it matched and the index of the set's last pattern byte
/// (its `]`, or the pattern's last byte when the set is left open).
fn match_set(pattern: &[u8], open: usize, byte: u8, nocase: bool) -> (bool, usize) {
    let mut p = open + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut hit = false;
    loop {
        let left = pattern.len().saturating_sub(p);
        match pattern.get(p) {
            Some(b'\\') if left >= 2 => {
                p += 1;
                // Escaped bytes ignore `nocase`, as in Redis.
                hit |= pattern.get(p) == Some(&byte);
            }
            Some(b']') => break,
            None => {
                // Open set: step back so that the caller's step past the
                // set's last byte lands on the end of the pattern.
                p -= 1;
                break;
            }
            Some(&first) => match pattern.get(p + 1..p + 3) {
                Some(&[b'-', last]) => {
                    hit |= in_range(first, last, byte, nocase);
                    p += 2;
                }
                _ => hit |= same_byte(first, byte, nocase),
            },
        }
        p += 1;
    }
    (hit != negate, p)
}

/// C's `char` range test as Redis does it: signed bytes, ends put in order,
/// then lower-cased when `nocase`.
fn in_range(a: u8, b: u8, byte: u8, nocase: bool) -> bool {
    let signed = |x: u8| i32::from(x as i8);
    let (mut lo, mut hi, mut c) = (signed(a), signed(b), signed(byte));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    if nocase {
        let lower = |x: i32| if (65..=90).contains(&x) { x + 32 } else { x };
        (lo, hi, c) = (lower(lo), lower(hi), lower(c));
    }
    lo <= c && c <= hi
}

/// Byte equality, folding ASCII letters when `nocase` (C's `tolower` in the
/// "C" locale leaves every other byte alone).
fn same_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::string_match;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// `(pattern, string, matches)`, case-sensitive. Each expectation was
    /// obtained from redis-server 7.0.15 with `SET <string> 1` on an empty
    /// database followed by `KEYS <pattern>`.
    const CASES: &[(&[u8], &[u8], bool)] = &[
        (b"", b"", true),
        (b"", b"a", false),
        (b"a", b"", false),
        // `KEYS *` special-cases the lone star; PSUBSCRIBE * does not see PUBLISH "".
        (b"*", b"", false),
        (b"**", b"", false),
        (b"?", b"", false),
        (b"[a]", b"", false),
        (b"\\", b"", false),
        (b"*", b"abc", true),
        (b"**", b"abc", true),
        (b"a*", b"abc", true),
        (b"*c", b"abc", true),
        (b"*b*", b"abc", true),
        (b"a*c", b"ac", true),
        (b"a*c", b"abbbc", true),
        (b"a*c", b"abcd", false),
        (b"a*b*", b"ab", true),
        (b"a*", b"a", true),
        (b"a**", b"a", true),
        (b"a*b", b"a", false),
        (b"*a", b"a", true),
        (b"*a", b"ba", true),
        (b"*a*", b"bab", true),
        (b"h*llo", b"hello", true),
        (b"h*llo", b"hllo", true),
        (b"?", b"a", true),
        (b"?", b"ab", false),
        (b"??", b"ab", true),
        (b"h?llo", b"hallo", true),
        (b"h?llo", b"hllo", false),
        (b"*?", b"a", true),
        (b"?*", b"a", true),
        (b"*?", b"", false),
        (b"h[ae]llo", b"hello", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[a-b]llo", b"hcllo", false),
        (b"[z-a]", b"m", true),
        (b"[z-a]", b"Z", false),
        (b"[a-z]", b"A", false),
        (b"[^a-z]", b"A", true),
        (b"[^]", b"a", true),
        (b"[^]", b"]", true),
        (b"[]", b"[", false),
        (b"[]", b"]", false),
        (b"[]]", b"]", false),
        (b"[]a]", b"a", false),
        (b"[]a]", b"]a", false),
        (b"[", b"[", false),
        (b"[", b"a", false),
        (b"a[", b"a[", false),
        (b"[^", b"b", true),
        (b"[^", b"bb", false),
        (b"[ab", b"b", true),
        (b"[ab", b"c", false),
        (b"[a-", b"a", true),
        (b"[a-", b"-", true),
        (b"[a-", b"b", false),
        (b"[a-]", b"-", false),
        (b"[a-]", b"^", true),
        (b"[a-]", b"a", true),
        (b"[a-]x]", b"x", true),
        (b"[a-]x]", b"b", false),
        (b"[a-]x]", b"`", true),
        (b"[-a]", b"-", true),
        (b"[a-c-e]", b"d", false),
        (b"[a-c-e]", b"-", true),
        (b"\\*", b"*", true),
        (b"\\*", b"a", false),
        (b"\\?", b"?", true),
        (b"\\?", b"a", false),
        (b"\\[a]", b"[a]", true),
        (b"\\[a]", b"a", false),
        (b"a\\", b"a\\", true),
        (b"\\\\", b"\\", true),
        (b"\\a", b"a", true),
        (b"[\\]", b"\\", false),
        (b"[\\]", b"]", true),
        (b"[\\]]", b"]", true),
        (b"[\\]]", b"\\", false),
        (b"[\\-]", b"-", true),
        (b"[a\\", b"\\", true),
        (b"[a\\", b"a", true),
        (b"[\\^a]", b"^", true),
        (b"[\\\\]", b"\\", true),
        (b"[a\\-z]", b"b", false),
        (b"[a\\-z]", b"-", true),
        (b"[^\\]]", b"]", false),
        (b"[^\\]]", b"x", true),
        (b"[a-\xff]", b"\xc0", false),
        (b"[a-\xff]", b"\xff", true),
        (b"[a-\xff]", b"0", true),
        (b"[a-\xff]", b"z", false),
        (b"[\x80-\xff]", b"\xc0", true),
        (b"[\x80-\xff]", b"a", false),
        (b"[\xff-\x80]", b"\xc0", true),
        (b"[\x00-a]", b"\xc0", false),
        (b"\xc0", b"\xc0", true),
        (b"?", b"\xc0", true),
        (b"*\x00*", b"a\x00b", true),
        (b"a\x00", b"a", false),
        (b"a", b"a\x00", false),
        (b"*a*a*a*a*b", b"aaaaaaaaaaab", true),
        (b"*a*a*a*a*b", b"aaaaaaaaaaaa", false),
        (b"*a*b", b"abab", true),
        (b"*ab*ab", b"abab", true),
        (b"a*a*a", b"aa", false),
        (b"a*a*a", b"aaa", true),
        (b"*[ab]", b"xb", true),
        (b"*[ab]*", b"xyz", false),
        (b"*\\*", b"ab*", true),
        (b"*\\", b"ab\\", true),
        (b"*?*?", b"ab", true),
        (b"*?*?", b"a", false),
        (b"A", b"a", false),
        (b"[A-Z]", b"a", false),
    ];

    /// `(pattern, string, matches)` with `nocase`. Each expectation was
    /// obtained from redis-server 7.0.15 as whether `CONFIG GET <pattern>`
    /// (which matches case-insensitively) lists `maxmemory`.
    const NOCASE_CASES: &[(&[u8], &[u8], bool)] = &[
        (b"MAXMEMORY*", b"maxmemory", true),
        (b"MaxMemory?", b"maxmemory", false),
        (b"*MEMORY", b"maxmemory", true),
        (b"[M]axmemory", b"maxmemory", true),
        (b"[m]AXMEMORY*", b"maxmemory", true),
        (b"[Z-a]axmemory", b"maxmemory", false),
        (b"[A-Z]axmemory", b"maxmemory", true),
        (b"[a-z]axmemory", b"maxmemory", true),
        (b"[^M]axmemory", b"maxmemory", false),
        (b"[^m]axmemory*", b"maxmemory", false),
        (b"[\\M]axmemory", b"maxmemory", false),
        (b"[\\m]axmemory", b"maxmemory", true),
        (b"\\Maxmemory*", b"maxmemory", true),
        (b"ma?memory", b"maxmemory", true),
        (b"MAX[L-N]EMORY", b"maxmemory", true),
        (b"max[^L-N]emory", b"maxmemory", false),
        (b"[N-L]AXMEMORY", b"maxmemory", true),
        (b"maxmemory[", b"maxmemory", false),
        (b"*[Y]", b"maxmemory", true),
        (b"*Y", b"maxmemory", true),
    ];

    #[test]
    fn agrees_with_redis_case_sensitive() {
        for &(pattern, string, expected) in CASES {
            assert_eq!(
                string_match(pattern, string, false),
                expected,
                "pattern {:?} string {:?}",
                pattern.escape_ascii().to_string(),
                string.escape_ascii().to_string(),
            );
        }
    }

    #[test]
    fn agrees_with_redis_nocase() {
        for &(pattern, string, expected) in NOCASE_CASES {
            assert_eq!(
                string_match(pattern, string, true),
                expected,
                "pattern {:?}",
                pattern.escape_ascii().to_string(),
            );
        }
    }

    #[test]
    fn star_nesting_limit() {
        // Checked against redis-server 7.0.15: `*a` repeated 1000 times
        // matches `a` x 1005, 1001 times does not; `a*` repeated 1001 times
        // matches (its last star is free), 1002 times does not.
        let a = vec![b'a'; 1005];
        assert!(string_match(&b"*a".repeat(1000), &a, false));
        assert!(!string_match(&b"*a".repeat(1001), &a, false));
        assert!(string_match(&b"a*".repeat(1001), &a, false));
        assert!(!string_match(&b"a*".repeat(1002), &a, false));
        // Consecutive stars count once.
        assert!(string_match(&b"**a".repeat(1000), &a, false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let string = vec![b'a'; 100_000];
        let patterns: [&[u8]; 3] = [
            b"*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            b"a*a*a*a*a*a*a*a*a*a*?*c",
            b"*[a]*[a]*[a]*?*?*b",
        ];
        let start = Instant::now();
        for pattern in patterns {
            assert!(!string_match(pattern, &string, false));
        }
        let mut many = b"*a".repeat(900);
        many.push(b'b');
        assert!(!string_match(&many, &string[..2000], false));
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "took {:?}",
            start.elapsed()
        );
    }

    /// A plain transliteration of Redis's recursive matcher *without* its
    /// early exit: exponential, but obviously faithful on short inputs.
    /// Indices stand for C's pointers; `pattern.len() - p` is `patternLen`.
    fn reference(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
        reference_from(pattern, 0, string, 0, nocase)
    }

    fn reference_from(
        pattern: &[u8],
        mut p: usize,
        string: &[u8],
        mut s: usize,
        nocase: bool,
    ) -> bool {
        let low = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
        // C reads the terminating NUL past the end.
        let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
        while p < pattern.len() && s < string.len() {
            let c = string[s];
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && at(p + 1) == b'*' {
                        p += 1;
                    }
                    if pattern.len() - p == 1 {
                        return true;
                    }
                    return (s..string.len())
                        .any(|i| reference_from(pattern, p + 1, string, i, nocase));
                }
                b'?' => {}
                b'[' => {
                    p += 1;
                    let not = at(p) == b'^';
                    if not {
                        p += 1;
                    }
                    let mut m = false;
                    loop {
                        let left = pattern.len() - p;
                        if at(p) == b'\\' && left >= 2 {
                            p += 1;
                            m |= at(p) == c;
                        } else if at(p) == b']' {
                            break;
                        } else if left == 0 {
                            p -= 1;
                            break;
                        } else if left >= 3 && at(p + 1) == b'-' {
                            let (mut lo, mut hi, mut ch) =
                                (at(p) as i8 as i32, at(p + 2) as i8 as i32, c as i8 as i32);
                            if lo > hi {
                                std::mem::swap(&mut lo, &mut hi);
                            }
                            if nocase {
                                let f = |x: i32| if (65..=90).contains(&x) { x + 32 } else { x };
                                (lo, hi, ch) = (f(lo), f(hi), f(ch));
                            }
                            m |= lo <= ch && ch <= hi;
                            p += 2;
                        } else {
                            m |= low(at(p)) == low(c);
                        }
                        p += 1;
                    }
                    if m == not {
                        return false;
                    }
                }
                b'\\' if pattern.len() - p >= 2 => {
                    p += 1;
                    if low(at(p)) != low(c) {
                        return false;
                    }
                }
                t => {
                    if low(t) != low(c) {
                        return false;
                    }
                }
            }
            p += 1;
            s += 1;
            if s == string.len() {
                while at(p) == b'*' && p < pattern.len() {
                    p += 1;
                }
                break;
            }
        }
        p == pattern.len() && s == string.len()
    }

    fn pattern_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(prop::sample::select(&b"ab*?[]^-\\A\xc0\xff"[..]), 0..10)
    }

    fn string_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(prop::sample::select(&b"abAB[]-^\\*\xc0\xff"[..]), 0..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_reference(pattern in pattern_bytes(), string in string_bytes(), nocase: bool) {
            prop_assert_eq!(
                string_match(&pattern, &string, nocase),
                reference(&pattern, &string, nocase)
            );
        }

        #[test]
        fn never_panics(pattern: Vec<u8>, string: Vec<u8>, nocase: bool) {
            let _ = string_match(&pattern, &string, nocase);
        }
    }
}
