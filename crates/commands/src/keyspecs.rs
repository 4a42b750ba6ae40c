//! Key specifications: which arguments of a command are keys and how the
//! command accesses each (read, write, insert, delete ...), as Redis 7.0's
//! `COMMAND INFO` key specifications state them.
//!
//! The data (`keyspecs_data.rs`) is generated from a real redis-server by
//! `gen/keyspecs.py`. ACL key permissions (`%R~` / `%W~`) use it, and so do
//! `COMMAND GETKEYS` and `GETKEYSANDFLAGS` ([`getkeys`]).

use bitflags::bitflags;
use bytes::Bytes;
use std::iter::successors;

bitflags! {
    /// A key specification's flags, with Redis's names (see [`KeyFlags::names`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct KeyFlags: u16 {
        /// Read-only: reads the value without changing it.
        const RO = 1 << 0;
        /// Read-write: reads and changes the value.
        const RW = 1 << 1;
        /// Overwrite: writes without reading.
        const OW = 1 << 2;
        /// Removes the key.
        const RM = 1 << 3;
        /// Returns, copies or otherwise uses the user data of the value.
        const ACCESS = 1 << 4;
        /// Updates data in the value.
        const UPDATE = 1 << 5;
        /// Adds data to the value.
        const INSERT = 1 << 6;
        /// Deletes data from the value.
        const DELETE = 1 << 7;
        /// The argument is not a key (only its hash slot matters).
        const NOT_KEY = 1 << 8;
        /// The spec may miss some keys.
        const INCOMPLETE = 1 << 9;
        /// The flags depend on the arguments.
        const VARIABLE_FLAGS = 1 << 10;
    }
}

impl KeyFlags {
    /// Flag names in the order `COMMAND INFO` lists them.
    pub fn names(self) -> Vec<&'static str> {
        const ORDER: &[(KeyFlags, &str)] = &[
            (KeyFlags::RO, "RO"),
            (KeyFlags::RW, "RW"),
            (KeyFlags::OW, "OW"),
            (KeyFlags::RM, "RM"),
            (KeyFlags::ACCESS, "access"),
            (KeyFlags::UPDATE, "update"),
            (KeyFlags::INSERT, "insert"),
            (KeyFlags::DELETE, "delete"),
            (KeyFlags::NOT_KEY, "not_key"),
            (KeyFlags::INCOMPLETE, "incomplete"),
            (KeyFlags::VARIABLE_FLAGS, "variable_flags"),
        ];
        ORDER
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }

    /// True when the access reads the key's data (ACL read permission).
    pub fn reads(self) -> bool {
        self.contains(KeyFlags::ACCESS)
    }

    /// True when the access changes the key (ACL write permission).
    pub fn writes(self) -> bool {
        self.intersects(KeyFlags::INSERT | KeyFlags::DELETE | KeyFlags::UPDATE)
    }
}

/// Where the search for a spec's first key begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// At this argument index.
    Index(i32),
    /// After this keyword, searched from `startfrom` (negative: backwards
    /// from the end).
    Keyword {
        /// The keyword, upper case.
        keyword: &'static str,
        /// Where the search starts.
        startfrom: i32,
    },
    /// Not expressible: a command-specific function finds the keys.
    Unknown,
}

/// How the keys after the beginning are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// A range: up to `lastkey` (relative to the first; negative: from the
    /// end), every `keystep`; `limit` divides the remaining arguments.
    Range {
        /// Last key, relative.
        lastkey: i32,
        /// Step.
        keystep: i32,
        /// Divisor of the remaining arguments when lastkey is -1.
        limit: i32,
    },
    /// A count at `keynumidx` (relative), keys from `firstkey` (relative), every `keystep`.
    Keynum {
        /// Index of the count, relative to the beginning.
        keynumidx: i32,
        /// First key, relative to the beginning.
        firstkey: i32,
        /// Step.
        keystep: i32,
    },
    /// Not expressible.
    Unknown,
}

/// One key specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// How the command accesses these keys.
    pub flags: KeyFlags,
    /// Where the search begins.
    pub begin: Begin,
    /// How keys are found from there.
    pub find: Find,
}

include!("keyspecs_data.rs");

/// The key specifications of a command by its full lower-case name
/// (`lmove`, `xinfo|stream`); empty for commands without keys.
pub fn specs(name: &str) -> &'static [KeySpec] {
    SPECS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .map_or(&[][..], |i| SPECS.get(i).map_or(&[][..], |(_, s)| *s))
}

/// True when every spec of the command can be resolved from the arguments
/// alone (no `unknown` begin or find, nothing `incomplete`).
pub fn complete(specs: &[KeySpec]) -> bool {
    specs.iter().all(|s| {
        !matches!(s.begin, Begin::Unknown)
            && !matches!(s.find, Find::Unknown)
            && !s.flags.contains(KeyFlags::INCOMPLETE)
    })
}

/// Appends `(argument position, flags)` for each key the specs find in
/// `argv` (the full request, name first), in spec order. Positions are
/// always inside `argv`; a spec that does not fit the arguments adds nothing.
pub fn keys_with_flags(specs: &[KeySpec], argv: &[Bytes], out: &mut Vec<(usize, KeyFlags)>) {
    let argc = argv.len() as i64;
    for s in specs {
        let first = match s.begin {
            Begin::Index(i) => i64::from(i),
            Begin::Keyword { keyword, startfrom } => {
                let (start, end, step) = if startfrom >= 0 {
                    (i64::from(startfrom), argc - 1, 1)
                } else {
                    (argc + i64::from(startfrom), 1, -1)
                };
                let positions = successors(Some(start), move |i| Some(i + step))
                    .take_while(move |&i| (step > 0 && i <= end) || (step < 0 && i >= end));
                match after_keyword(argv, keyword, positions) {
                    Some(f) => f,
                    None => continue,
                }
            }
            Begin::Unknown => continue,
        };
        if first <= 0 || first >= argc {
            continue;
        }
        let (from, last, step) = match s.find {
            Find::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let lastkey = i64::from(lastkey);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit <= 1 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / i64::from(limit) + lastkey)
                };
                (first, last, i64::from(keystep.max(1)))
            }
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let at = first + i64::from(keynumidx);
                let n = argv
                    .get(at as usize)
                    .and_then(|a| ferrite_storage::num::parse_i64(a))
                    .unwrap_or(0);
                if n <= 0 {
                    continue;
                }
                let step = i64::from(keystep.max(1));
                let from = first + i64::from(firstkey);
                (from, from + (n - 1) * step, step)
            }
            Find::Unknown => continue,
        };
        let mut i = from;
        while i <= last && i < argc {
            out.push((i as usize, s.flags));
            i += step;
        }
    }
}

/// True when `COMMAND GETKEYS` accepts the command: at least one of its
/// specs names real keys (every Redis 7.0 command with a key-finding
/// function also has such a spec).
pub fn has_keys(name: &str) -> bool {
    specs(name)
        .iter()
        .any(|s| !s.flags.contains(KeyFlags::NOT_KEY))
}

/// The keys of `argv` (name first) with their flags, found as `COMMAND
/// GETKEYS` finds them: from the specs when they are reliable and fit the
/// arguments, else by the command's own rule (whose keys may carry no
/// flags). Empty when the arguments hold no valid key list.
pub fn getkeys(name: &str, argv: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    let specs = specs(name);
    let mut out = Vec::new();
    let variable = specs
        .iter()
        .any(|s| s.flags.contains(KeyFlags::VARIABLE_FLAGS));
    if has_keys(name) && !variable && strict_keys(specs, argv, &mut out) {
        return out;
    }
    out.clear();
    fallback_keys(name, argv, &mut out);
    out
}

/// The position after the first of `positions` whose argument is `keyword`
/// (case-insensitive): where a keyword spec's keys begin.
fn after_keyword(
    argv: &[Bytes],
    keyword: &str,
    positions: impl Iterator<Item = i64>,
) -> Option<i64> {
    positions
        .take_while(|&i| i >= 0)
        .find(|&i| {
            argv.get(i as usize)
                .is_some_and(|a| a.eq_ignore_ascii_case(keyword.as_bytes()))
        })
        .map(|i| i + 1)
}

/// The specs' keys, or false when a spec cannot be resolved from the
/// arguments (unknown, incomplete, a bad count or a range past the end):
/// Redis then drops every key found so far.
fn strict_keys(specs: &[KeySpec], argv: &[Bytes], out: &mut Vec<(usize, KeyFlags)>) -> bool {
    let argc = argv.len() as i64;
    for s in specs {
        if s.flags.contains(KeyFlags::NOT_KEY) {
            continue;
        }
        let mut first = match s.begin {
            Begin::Index(i) => i64::from(i),
            Begin::Keyword { keyword, startfrom } => {
                // Redis's search stops before the last argument going
                // forwards and before the first one going backwards.
                let (start, end) = if startfrom > 0 {
                    (i64::from(startfrom), argc - 1)
                } else {
                    (argc + i64::from(startfrom), 1)
                };
                let step = if start <= end { 1 } else { -1 };
                let positions = successors(Some(start), move |i| Some(i + step))
                    .take_while(move |&i| i != end && (1..argc).contains(&i));
                match after_keyword(argv, keyword, positions) {
                    Some(f) => f,
                    None => continue,
                }
            }
            Begin::Unknown => return false,
        };
        let (last, step) = match s.find {
            Find::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let lastkey = i64::from(lastkey);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / i64::from(limit) + lastkey)
                };
                (last, i64::from(keystep))
            }
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let Some(n) = argv
                    .get((first + i64::from(keynumidx)).max(0) as usize)
                    .and_then(|a| ferrite_storage::num::parse_i64(a))
                    .filter(|n| *n >= 0)
                else {
                    return false;
                };
                first += i64::from(firstkey);
                (first + n - 1, i64::from(keystep))
            }
            Find::Unknown => return false,
        };
        if last >= argc || last < first || first >= argc || first < 1 || step < 1 {
            return false;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, s.flags));
            i += step;
        }
        if s.flags.contains(KeyFlags::INCOMPLETE) {
            return false;
        }
    }
    true
}

/// Keys counted by the argument at `count_at`, from `first` every `step`,
/// then the destination at `store` (0: none); no flags. Nothing when the
/// count is not positive or too large.
fn counted_keys(
    argv: &[Bytes],
    store: usize,
    count_at: usize,
    first: usize,
    step: usize,
    out: &mut Vec<(usize, KeyFlags)>,
) {
    // Redis reads the counts of its fallback rules as C's atoi (`2x` is 2).
    let n = argv.get(count_at).map_or(0, |a| crate::util::c_atoi(a));
    let room = argv.len().saturating_sub(first) / step.max(1);
    if n < 1 || n > room as i64 {
        return;
    }
    out.extend((0..n as usize).map(|i| (first + i * step, KeyFlags::empty())));
    if store > 0 {
        out.push((store, KeyFlags::empty()));
    }
}

/// The command's own key rule, for commands whose specs cannot say it.
fn fallback_keys(name: &str, argv: &[Bytes], out: &mut Vec<(usize, KeyFlags)>) {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let argc = argv.len();
    match name {
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {
            counted_keys(argv, 0, 2, 3, 1, out)
        }
        "zunionstore" | "zinterstore" | "zdiffstore" => counted_keys(argv, 1, 2, 3, 1, out),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            counted_keys(argv, 0, 1, 2, 1, out)
        }
        "blmpop" | "bzmpop" => counted_keys(argv, 0, 2, 3, 1, out),
        "set" => {
            let get = (3..argc).any(|i| is(i, "get"));
            let flags = if get {
                KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE
            } else {
                KeyFlags::OW | KeyFlags::UPDATE
            };
            out.push((1, flags));
        }
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < argc {
                let rem = argc - i - 1;
                if is(i, "get") && rem >= 2 {
                    i += 2;
                } else if (is(i, "set") || is(i, "incrby")) && rem >= 3 {
                    readonly = false;
                    break;
                } else if is(i, "overflow") && rem >= 1 {
                    i += 1;
                } else {
                    // A syntax error: assume the command may write.
                    readonly = false;
                    break;
                }
                i += 1;
            }
            let flags = if readonly {
                KeyFlags::RO | KeyFlags::ACCESS
            } else {
                KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE
            };
            out.push((1, flags));
        }
        "sort_ro" => out.push((1, KeyFlags::RO | KeyFlags::ACCESS)),
        "sort" => {
            out.push((1, KeyFlags::RO | KeyFlags::ACCESS));
            let mut store = None;
            let mut i = 2;
            while i < argc {
                if is(i, "limit") {
                    i += 2;
                } else if is(i, "get") || is(i, "by") {
                    i += 1;
                } else if is(i, "store") && i + 1 < argc {
                    // The last STORE wins, as in SORT itself.
                    store = Some(i + 1);
                }
                i += 1;
            }
            if let Some(s) = store {
                out.push((s, KeyFlags::OW | KeyFlags::UPDATE));
            }
        }
        "migrate" => {
            let (mut first, mut num) = (3, 1);
            let mut i = 6;
            while argc > 6 && i < argc {
                if is(i, "keys") {
                    if argv.get(3).is_some_and(|k| !k.is_empty()) {
                        return;
                    }
                    first = i + 1;
                    num = argc - first;
                    break;
                } else if is(i, "auth") {
                    i += 1;
                } else if is(i, "auth2") {
                    i += 2;
                }
                i += 1;
            }
            let flags = KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::DELETE;
            out.extend((first..first + num).map(|p| (p, flags)));
        }
        "xread" | "xreadgroup" => {
            let mut streams = None;
            let mut i = 1;
            while i < argc {
                if is(i, "block") || is(i, "count") {
                    i += 1;
                } else if is(i, "group") {
                    i += 2;
                } else if is(i, "streams") {
                    streams = Some(i);
                    break;
                } else if !is(i, "noack") {
                    break;
                }
                i += 1;
            }
            let Some(at) = streams else { return };
            let num = argc - at - 1;
            if num == 0 || !num.is_multiple_of(2) {
                return;
            }
            out.extend((at + 1..at + 1 + num / 2).map(|p| (p, KeyFlags::empty())));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    #[test]
    fn data_is_sorted_for_binary_search() {
        assert!(SPECS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn lmove_reads_and_deletes_the_source_and_inserts_into_the_destination() {
        let mut out = vec![];
        keys_with_flags(
            specs("lmove"),
            &argv(&["lmove", "a", "b", "left", "left"]),
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, 1);
        assert!(out[0].1.reads() && out[0].1.writes());
        assert_eq!(out[1].0, 2);
        assert!(!out[1].1.reads() && out[1].1.writes());
    }

    #[test]
    fn keynum_and_ranges() {
        let mut out = vec![];
        let a = argv(&["zunionstore", "d", "2", "x", "y", "weights", "1", "2"]);
        keys_with_flags(specs("zunionstore"), &a, &mut out);
        let pos: Vec<usize> = out.iter().map(|p| p.0).collect();
        assert_eq!(pos, vec![1, 3, 4]);
        out.clear();
        keys_with_flags(
            specs("mset"),
            &argv(&["mset", "a", "1", "b", "2"]),
            &mut out,
        );
        let pos: Vec<usize> = out.iter().map(|p| p.0).collect();
        assert_eq!(pos, vec![1, 3]);
        out.clear();
        // A count larger than the arguments stops at the end.
        keys_with_flags(specs("eval"), &argv(&["eval", "s", "5", "k"]), &mut out);
        assert_eq!(out.iter().map(|p| p.0).collect::<Vec<_>>(), vec![3]);
        assert!(specs("nosuch").is_empty());
        assert!(!complete(specs("sort")));
        assert!(complete(specs("get")));
    }

    fn getkeys_of(a: &[&str]) -> Vec<(usize, Vec<&'static str>)> {
        let name = a[0];
        getkeys(name, &argv(a))
            .into_iter()
            .map(|(p, f)| (p, f.names()))
            .collect()
    }

    #[test]
    fn getkeys_uses_the_commands_own_rules_as_redis_does() {
        assert_eq!(
            getkeys_of(&["set", "k", "v"]),
            vec![(1, vec!["OW", "update"])]
        );
        assert_eq!(
            getkeys_of(&["set", "k", "v", "xx", "GET"]),
            vec![(1, vec!["RW", "access", "update"])]
        );
        assert_eq!(
            getkeys_of(&["bitfield", "k", "get", "u8", "0", "overflow", "wrap"]),
            vec![(1, vec!["RO", "access"])]
        );
        assert_eq!(
            getkeys_of(&["bitfield", "k", "get", "u8"]),
            vec![(1, vec!["RW", "access", "update"])]
        );
        assert_eq!(
            getkeys_of(&["sort", "a", "store", "b", "limit", "store", "1", "store", "c"]),
            vec![(1, vec!["RO", "access"]), (8, vec!["OW", "update"])]
        );
        // A bad count: the specs give up and the counting rule (atoi) finds
        // the keys, without flags, the destination last.
        assert_eq!(
            getkeys_of(&["zunionstore", "d", "2x", "a", "b"]),
            vec![(3, vec![]), (4, vec![]), (1, vec![])]
        );
        assert!(getkeys_of(&["zunionstore", "d", "5", "a"]).is_empty());
        assert!(getkeys_of(&["eval", "s", "0"]).is_empty());
        let rw = vec!["RW", "access", "delete"];
        assert_eq!(
            getkeys_of(&["migrate", "h", "p", "k", "0", "5"]),
            vec![(3, rw.clone())]
        );
        assert_eq!(
            getkeys_of(&["migrate", "h", "p", "", "0", "5", "auth2", "u", "v", "keys", "a", "b"]),
            vec![(10, rw.clone()), (11, rw)]
        );
        assert!(getkeys_of(&["migrate", "h", "p", "k", "0", "5", "keys", "a"]).is_empty());
        assert_eq!(
            getkeys_of(&["xread", "count", "1", "streams", "a", "b", "1", "2"]),
            vec![(4, vec!["RO", "access"]), (5, vec!["RO", "access"])]
        );
        assert!(getkeys_of(&["xread", "streams", "a"]).is_empty());
        // STORE as the last argument is not searched, as in Redis.
        assert_eq!(
            getkeys_of(&["georadius", "k", "0", "0", "1", "m", "store"]),
            vec![(1, vec!["RO", "access"])]
        );
        assert!(has_keys("get") && !has_keys("spublish") && !has_keys("ping"));
        let atoi = crate::util::c_atoi;
        assert_eq!((atoi(b" -12x"), atoi(b"+3"), atoi(b"x1")), (-12, 3, 0));
    }
}
