//! Glob matching for CONFIG GET patterns.
//!
//! Semantics follow Redis's `stringmatchlen`: `*`, `?`, `[...]` with `^`
//! negation, `a-z` ranges (either order) and `\` escapes, optional ASCII case
//! folding. It backtracks over the last `*` only, so it runs in
//! O(pattern × string) time whatever the pattern.

// TODO(lead): use ferrite_storage::glob::string_match once it exists; this
// private fallback only serves CONFIG GET until then.

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// Matches one pattern element (not `*`) that starts at `p[0]` against byte
/// `c`. Returns whether it matched and how many pattern bytes it used.
fn match_one(p: &[u8], c: u8, nocase: bool) -> (bool, usize) {
    let c = fold(c, nocase);
    match p {
        [] => (false, 0),
        [b'?', ..] => (true, 1),
        [b'\\', escaped, ..] => (fold(*escaped, nocase) == c, 2),
        [b'[', rest @ ..] => {
            let (negate, mut i) = match rest.first() {
                Some(b'^') => (true, 1),
                _ => (false, 0),
            };
            let mut matched = false;
            loop {
                match (rest.get(i), rest.get(i + 1), rest.get(i + 2)) {
                    // An unterminated class ends with the pattern.
                    (None, _, _) => break,
                    (Some(b']'), _, _) => {
                        i += 1;
                        break;
                    }
                    (Some(b'\\'), Some(&e), _) => {
                        matched |= fold(e, nocase) == c;
                        i += 2;
                    }
                    (Some(&lo), Some(b'-'), Some(&hi)) => {
                        let (lo, hi) = (fold(lo, nocase), fold(hi, nocase));
                        let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                        matched |= (lo..=hi).contains(&c);
                        i += 3;
                    }
                    (Some(&b), _, _) => {
                        matched |= fold(b, nocase) == c;
                        i += 1;
                    }
                }
            }
            (matched != negate, 1 + i)
        }
        [b, ..] => (fold(*b, nocase) == c, 1),
    }
}

/// Whether `s` matches the glob `pattern`.
pub(crate) fn string_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, string index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pattern.get(pi) == Some(&b'*') {
            while pattern.get(pi) == Some(&b'*') {
                pi += 1;
            }
            if pi >= pattern.len() {
                return true;
            }
            star = Some((pi, si));
            continue;
        }
        let Some(&c) = s.get(si) else {
            return pi >= pattern.len();
        };
        if pi < pattern.len() {
            let (ok, used) = match_one(pattern.get(pi..).unwrap_or_default(), c, nocase);
            if ok {
                pi += used;
                si += 1;
                continue;
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::string_match;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn basics() {
        assert!(m("*", "port"));
        assert!(m("*", ""));
        assert!(m("p*rt", "port"));
        assert!(m("P*RT", "port"));
        assert!(m("*port*", "tcp-port-x"));
        assert!(m("?ort", "port"));
        assert!(!m("?ort", "ort"));
        assert!(m("[pq]ort", "port"));
        assert!(!m("[^pq]ort", "port"));
        assert!(m("[a-z]ort", "port"));
        assert!(m("[z-a]ort", "port"));
        assert!(m("p\\ort", "port"));
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(!m("port", "ports"));
        assert!(!m("ports", "port"));
        assert!(m("*e*e*", "active-expire-effort"));
        assert!(!string_match(b"PORT", b"port", false));
    }

    #[test]
    fn odd_patterns_do_not_panic() {
        for p in ["[", "[^", "\\", "[a-", "[\\", "**[", "*\\", "[]]"] {
            let _ = m(p, "abc");
            let _ = m(p, "");
        }
    }
}
