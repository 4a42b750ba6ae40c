//! Dense ids for every command and subcommand, and the ACL categories, so
//! that a user's permissions are a bitmap indexed by command id.

use crate::table::{CommandSpec, CommandTable};

/// The ACL categories, in the order `ACL CAT` lists them (Redis 7.0); a
/// category's index is its bit in [`AclIndex::categories`].
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The index of a category name (case-insensitive, without `@`).
pub fn category(name: &[u8]) -> Option<usize> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// One command's place in the index.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The row.
    pub spec: &'static CommandSpec,
    /// The container's id, for a subcommand.
    pub parent: Option<u32>,
    /// Ids of the subcommands: `first_child .. first_child + nchildren`.
    pub first_child: u32,
    /// Number of subcommands.
    pub nchildren: u32,
    /// Category bits (see [`CATEGORIES`]).
    pub categories: u32,
}

/// Ids for every command and subcommand of a table: containers first in
/// table order, each followed by its subcommands.
pub struct AclIndex {
    entries: Vec<Entry>,
    by_ptr: ahash::AHashMap<usize, u32>,
}

fn category_bits(spec: &CommandSpec) -> u32 {
    spec.acl
        .iter()
        .filter_map(|c| c.strip_prefix('@'))
        .filter_map(|c| category(c.as_bytes()))
        .fold(0, |acc, i| acc | (1 << i))
}

impl AclIndex {
    /// Builds the index of a table.
    pub fn new(table: &CommandTable) -> AclIndex {
        let mut entries = Vec::new();
        let mut by_ptr = ahash::AHashMap::new();
        for &spec in table.all() {
            let id = entries.len() as u32;
            by_ptr.insert(spec as *const CommandSpec as usize, id);
            entries.push(Entry {
                spec,
                parent: None,
                first_child: id + 1,
                nchildren: spec.subcommands.len() as u32,
                categories: category_bits(spec),
            });
            for sub in spec.subcommands {
                let sid = entries.len() as u32;
                by_ptr.insert(sub as *const CommandSpec as usize, sid);
                entries.push(Entry {
                    spec: sub,
                    parent: Some(id),
                    first_child: sid + 1,
                    nchildren: 0,
                    categories: category_bits(sub),
                });
            }
        }
        AclIndex { entries, by_ptr }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for an empty table.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of a row of the table.
    pub fn id(&self, spec: &CommandSpec) -> Option<u32> {
        self.by_ptr
            .get(&(spec as *const CommandSpec as usize))
            .copied()
    }

    /// The entry of an id.
    pub fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries.get(id as usize)
    }

    /// Every entry, by id.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Ids of the commands in a category.
    pub fn in_category(&self, cat: usize) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.categories & (1 << cat) != 0)
            .map(|(i, _)| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cover_subcommands_and_categories() {
        let t = crate::table();
        let ix = AclIndex::new(&t);
        let get = t.get(b"get").and_then(|s| ix.id(s)).expect("get");
        let e = ix.entry(get).expect("entry");
        assert_eq!(e.spec.name, "get");
        assert!(e.categories & (1 << category(b"read").expect("read")) != 0);
        let config = t.get(b"config").expect("config");
        let cid = ix.id(config).expect("config id");
        let c = ix.entry(cid).expect("entry");
        assert!(c.nchildren > 0);
        let sub = ix.entry(c.first_child).expect("sub");
        assert_eq!(sub.parent, Some(cid));
        assert!(sub.spec.name.starts_with("config|"));
        assert_eq!(category(b"STRING"), Some(7));
    }
}
