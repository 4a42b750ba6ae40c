//! Lists. (Placeholder: the packed quicklist lands in the next commits.)

use std::collections::VecDeque;

/// A list value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListValue {
    items: VecDeque<Vec<u8>>,
}

impl ListValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the list holds no element.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` reports (Redis 7.0: always `quicklist`).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
