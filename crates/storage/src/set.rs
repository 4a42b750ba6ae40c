//! Sets. (Placeholder: the encodings land in the next commits.)

use std::collections::HashSet;

/// A set value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SetValue {
    members: HashSet<Vec<u8>>,
}

impl SetValue {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when the set holds no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
