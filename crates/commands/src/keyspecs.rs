//! Key specifications: which arguments of a command are keys and how the
//! command accesses each (read, write, insert, delete ...), as Redis 7.0's
//! `COMMAND INFO` key specifications state them.
//!
//! The data (`keyspecs_data.rs`) is generated from a real redis-server by
//! `gen/keyspecs.py`. ACL key permissions (`%R~` / `%W~`) use it, and so can
//! `COMMAND GETKEYSANDFLAGS`.

use bitflags::bitflags;
use bytes::Bytes;

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
            (KeyFlags::RW, "RW"),
            (KeyFlags::RO, "RO"),
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
                let mut i = start;
                let mut found = None;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    if argv
                        .get(i as usize)
                        .is_some_and(|a| a.eq_ignore_ascii_case(keyword.as_bytes()))
                    {
                        found = Some(i + 1);
                        break;
                    }
                    i += step;
                }
                match found {
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
}
