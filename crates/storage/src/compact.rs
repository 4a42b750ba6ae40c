//! [`CompactBytes`]: an immutable byte string kept inline when short.
//!
//! Keys and freshly set string values are mostly short. Storing up to 22
//! bytes inside the 24-byte value itself saves an allocation and, on every
//! lookup, a cache miss: the key compared by the hash table and the value
//! copied into the reply sit in the table's entry, as Redis's `embstr` puts a
//! short string next to its object header.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Bytes up to this length are stored inline.
pub const INLINE_CAP: usize = 22;

/// An immutable byte string: inline up to [`INLINE_CAP`] bytes, boxed beyond.
#[derive(Clone)]
pub struct CompactBytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Box<[u8]>),
}

impl CompactBytes {
    /// Copies `b`.
    pub fn new(b: &[u8]) -> CompactBytes {
        if b.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..b.len()].copy_from_slice(b);
            CompactBytes(Repr::Inline {
                len: b.len() as u8,
                buf,
            })
        } else {
            CompactBytes(Repr::Heap(b.into()))
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len).min(INLINE_CAP)],
            Repr::Heap(b) => b,
        }
    }

    /// Heap bytes used beyond the value itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(b) => b.len(),
        }
    }

    /// Converts into an owned vector (reuses the allocation when boxed).
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { .. } => self.as_slice().to_vec(),
            Repr::Heap(b) => b.into_vec(),
        }
    }
}

impl Deref for CompactBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for CompactBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for CompactBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Hash for CompactBytes {
    // Must hash exactly as `[u8]` does, so that lookups by `&[u8]` find keys.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialEq for CompactBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for CompactBytes {}

impl PartialEq<[u8]> for CompactBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(b: &[u8]) -> Self {
        CompactBytes::new(b)
    }
}

impl From<Vec<u8>> for CompactBytes {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE_CAP {
            CompactBytes::new(&v)
        } else {
            CompactBytes(Repr::Heap(v.into_boxed_slice()))
        }
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn is_24_bytes() {
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
    }

    proptest! {
        #[test]
        fn behaves_like_the_slice(v in proptest::collection::vec(any::<u8>(), 0..64)) {
            let c = CompactBytes::new(&v);
            prop_assert_eq!(c.as_slice(), &v[..]);
            prop_assert_eq!(h(&c), h(&v[..]));
            let from_vec = CompactBytes::from(v.clone());
            prop_assert_eq!(from_vec.as_slice(), &v[..]);
            prop_assert_eq!(c.clone().into_vec(), v.clone());
            prop_assert_eq!(c.heap_size(), if v.len() > INLINE_CAP { v.len() } else { 0 });
        }
    }
}
