//! Hashes. (Placeholder: the packed and table encodings land in the next commits.)

use std::collections::HashMap;

/// A hash value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HashValue {
    fields: HashMap<Vec<u8>, Vec<u8>>,
}

impl HashValue {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the hash holds no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
