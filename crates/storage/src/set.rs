//! Sets, in Redis 7.0's two encodings.
//!
//! * `intset`: a sorted vector of 64-bit integers, searched by bisection.
//!   A set holds this encoding while every member is a canonical integer
//!   (what Redis's `string2ll` accepts: no sign but `-`, no leading zero,
//!   no `-0`, within `i64`) and it has at most `set-max-intset-entries`
//!   members. Iteration is ascending numeric order, as in Redis, so
//!   SMEMBERS and friends answer a small integer set in Redis's order.
//! * `hashtable`: a [`KeyMap`] of members. Its entries sit in a vector, so
//!   a random member costs O(1) (SRANDMEMBER, SPOP) and SSCAN walks
//!   positions downwards with Redis's guarantee, as `Db::scan` does.
//!
//! Conversion follows Redis 7.0 and goes one way only: adding a member that
//! is not a canonical integer, or taking the set past the entry limit,
//! converts it to a table for good; removals never convert back. Redis 7.0
//! has no `listpack` set encoding (that came with 7.2).

use std::fmt;

use rand::Rng;

use crate::compact::CompactBytes;
use crate::keymap::KeyMap;
use crate::num::{fmt_i64, is_canonical_i64, MAX_I64_CHARS};

/// A set value: distinct byte-string members.
///
/// Equality compares the encoding and the members.
pub struct SetValue(Repr);

enum Repr {
    /// Sorted ascending, no duplicates. Also the empty set.
    Ints(Vec<i64>),
    Table(Box<KeyMap<()>>),
}

/// One member as the set holds it: an integer of an `intset`, or the bytes
/// of a table's member. [`Member::with_bytes`] gives the bytes either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// A member of an `intset`.
    Int(i64),
    /// A member of a `hashtable`.
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (integers formatted on the stack).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => {
                let mut buf = [0u8; MAX_I64_CHARS];
                f(fmt_i64(*n, &mut buf))
            }
            Member::Bytes(b) => f(b),
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new()
    }
}

impl Clone for SetValue {
    fn clone(&self) -> Self {
        SetValue(match &self.0 {
            Repr::Ints(v) => Repr::Ints(v.clone()),
            Repr::Table(t) => {
                // Inserting in position order keeps every member's position,
                // so a copy iterates (and scans) as the original does.
                let mut map = KeyMap::default();
                for (k, _) in t.iter() {
                    map.insert_new(k.clone(), ());
                }
                Repr::Table(Box::new(map))
            }
        })
    }
}

impl SetValue {
    /// An empty set in the `intset` encoding (allocates nothing).
    pub fn new() -> SetValue {
        SetValue(Repr::Ints(Vec::new()))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Ints(v) => v.len(),
            Repr::Table(t) => t.len(),
        }
    }

    /// True when the set holds no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports: `intset` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        if self.is_intset() {
            "intset"
        } else {
            "hashtable"
        }
    }

    /// True in the `intset` encoding.
    pub fn is_intset(&self) -> bool {
        matches!(self.0, Repr::Ints(_))
    }

    /// True if `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.0 {
            Repr::Ints(v) => is_canonical_i64(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Repr::Table(t) => t.get_index_of(member).is_some(),
        }
    }

    /// Adds `member`; returns true if it was new. An `intset` converts to a
    /// table when `member` is not a canonical integer, or when an insertion
    /// leaves it more than `max_intset` members (Redis's `setTypeAdd`).
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Repr::Ints(v) = &mut self.0 {
            match is_canonical_i64(member) {
                Some(n) => {
                    // Only an insertion checks the limit: re-adding a member
                    // leaves a set past a since-lowered limit as it is.
                    let Err(at) = v.binary_search(&n) else {
                        return false;
                    };
                    v.insert(at, n);
                    if v.len() > max_intset {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match &mut self.0 {
            Repr::Table(t) => {
                if t.get_index_of(member).is_some() {
                    false
                } else {
                    t.insert_new(CompactBytes::new(member), ());
                    true
                }
            }
            // convert() above left a table.
            Repr::Ints(_) => false,
        }
    }

    /// Removes `member`; returns true if it was present. Never converts.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Ints(v) => match is_canonical_i64(member).map(|n| v.binary_search(&n)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Repr::Table(t) => match t.get_index_of(member) {
                Some(i) => t.swap_remove_index(i).is_some(),
                None => false,
            },
        }
    }

    /// The member at index `i` in iteration order, in O(1).
    pub fn get_index(&self, i: usize) -> Option<Member<'_>> {
        match &self.0 {
            Repr::Ints(v) => v.get(i).map(|&n| Member::Int(n)),
            Repr::Table(t) => t.get_index(i).map(|(k, _)| Member::Bytes(k.as_slice())),
        }
    }

    /// A member picked uniformly at random.
    pub fn random(&self) -> Option<Member<'_>> {
        if self.is_empty() {
            return None;
        }
        self.get_index(rand::rng().random_range(0..self.len()))
    }

    /// Iterates over the members: ascending for an `intset`, position
    /// order for a table.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> {
        (0..self.len()).filter_map(move |i| self.get_index(i))
    }

    /// Removes and returns `count` members picked at random without
    /// repetition (all of them if `count` is at least the size). Costs
    /// O(count) for a table and one pass for an `intset`; never converts.
    pub fn pop_random(&mut self, count: usize) -> Vec<Vec<u8>> {
        let mut rng = rand::rng();
        let count = count.min(self.len());
        match &mut self.0 {
            Repr::Ints(v) => {
                let picks = rand::seq::index::sample(&mut rng, v.len(), count);
                let mut doomed = vec![false; v.len()];
                let mut out = Vec::with_capacity(count);
                for i in picks {
                    if let (Some(d), Some(n)) = (doomed.get_mut(i), v.get(i)) {
                        *d = true;
                        out.push(Member::Int(*n).to_vec());
                    }
                }
                let mut it = doomed.iter();
                v.retain(|_| !it.next().copied().unwrap_or(false));
                out
            }
            Repr::Table(t) => {
                let mut out = Vec::with_capacity(count);
                for _ in 0..count {
                    let i = rng.random_range(0..t.len());
                    if let Some((k, ())) = t.swap_remove_index(i) {
                        out.push(k.into_vec());
                    }
                }
                out
            }
        }
    }

    /// One step of SSCAN from `cursor` (0 starts), calling `f` for each
    /// member returned; the result is the next cursor, 0 when done.
    ///
    /// An `intset` returns every member at once with cursor 0, whatever the
    /// cursor and `count`, as Redis does. A table visits about `count`
    /// positions from the highest down (see [`crate::keymap::scan_positions`]).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(Member<'a>)) -> u64 {
        let t = match &self.0 {
            Repr::Table(t) => t,
            Repr::Ints(v) => {
                for &n in v {
                    f(Member::Int(n));
                }
                return 0;
            }
        };
        crate::keymap::scan_positions(t.len(), cursor, count, |pos| {
            if let Some((k, _)) = t.get_index(pos) {
                f(Member::Bytes(k.as_slice()));
            }
        })
    }

    /// Converts to the `hashtable` encoding (no-op if already there).
    pub fn convert(&mut self) {
        if let Repr::Ints(v) = &self.0 {
            let mut map = KeyMap::default();
            for &n in v {
                map.insert_new(CompactBytes::new(&Member::Int(n).to_vec()), ());
            }
            self.0 = Repr::Table(Box::new(map));
        }
    }
}

impl PartialEq for SetValue {
    fn eq(&self, other: &Self) -> bool {
        self.is_intset() == other.is_intset()
            && self.len() == other.len()
            && self.iter().all(|m| m.with_bytes(|b| other.contains(b)))
    }
}

impl fmt::Debug for SetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetValue({}) ", self.encoding())?;
        f.debug_set()
            .entries(
                self.iter()
                    .map(|m| m.with_bytes(|b| String::from_utf8_lossy(b).into_owned())),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn members(s: &SetValue) -> Vec<Vec<u8>> {
        s.iter().map(|m| m.to_vec()).collect()
    }

    #[test]
    fn integers_are_redis_s_canonical_ones() {
        let mut s = SetValue::new();
        assert!(s.add(b"9223372036854775807", 512));
        assert!(s.add(b"-9223372036854775808", 512));
        assert!(s.add(b"0", 512));
        assert!(!s.add(b"0", 512));
        assert_eq!(s.encoding(), "intset");
        for not_int in [
            &b"007"[..],
            b"-0",
            b"+1",
            b" 1",
            b"9223372036854775808",
            b"",
        ] {
            let mut t = s.clone();
            assert!(!t.contains(not_int));
            assert!(t.add(not_int, 512));
            assert_eq!(t.encoding(), "hashtable");
            assert!(t.contains(not_int));
            assert!(t.contains(b"0"));
            assert_eq!(t.len(), 4);
        }
        assert_eq!(
            members(&s),
            vec![
                b"-9223372036854775808".to_vec(),
                b"0".to_vec(),
                b"9223372036854775807".to_vec()
            ]
        );
    }

    #[test]
    fn limit_converts_one_past_and_never_back() {
        let mut s = SetValue::new();
        s.add(b"1", 2);
        s.add(b"2", 2);
        assert_eq!(s.encoding(), "intset");
        s.add(b"3", 2);
        assert_eq!(s.encoding(), "hashtable");
        s.remove(b"3");
        s.remove(b"2");
        assert_eq!(s.encoding(), "hashtable");
        let mut z = SetValue::new();
        z.add(b"1", 0);
        assert_eq!(z.encoding(), "hashtable");
        // Past a lowered limit, re-adding a member converts nothing.
        let mut o = SetValue::new();
        for m in [b"1", b"2", b"3"] {
            o.add(m, 512);
        }
        assert!(!o.add(b"2", 2));
        assert_eq!(o.encoding(), "intset");
        assert!(o.add(b"4", 2));
        assert_eq!(o.encoding(), "hashtable");
    }

    #[test]
    fn scan_pop_and_clone() {
        let mut s = SetValue::new();
        for i in 0..10 {
            s.add(i.to_string().as_bytes(), 512);
        }
        let mut n = 0;
        assert_eq!(s.scan(99, 1, |_| n += 1), 0);
        assert_eq!(n, 10);
        let popped = s.pop_random(4);
        assert_eq!(popped.len(), 4);
        assert_eq!(s.len(), 6);
        assert!(popped.iter().all(|p| !s.contains(p)));
        assert_eq!(s.encoding(), "intset");
        let c = s.clone();
        assert_eq!(c, s);
        let mut t = s.clone();
        t.convert();
        assert_ne!(t, s);
        assert_eq!(t.clone(), t);
        assert!(format!("{t:?}").contains("hashtable"));
        assert_eq!(t.pop_random(100).len(), 6);
        assert!(t.is_empty());
        assert_eq!(t.random(), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u8),
        Remove(u8),
        Pop(usize),
    }

    fn member(k: u8) -> Vec<u8> {
        match k % 4 {
            // Mostly integers, some not canonical, some words.
            0 | 1 => format!("{}", i64::from(k) - 20).into_bytes(),
            2 => format!("0{k}").into_bytes(),
            _ => format!("m{k}").into_bytes(),
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u8..40).prop_map(Op::Add),
            3 => (0u8..40).prop_map(Op::Remove),
            1 => (0usize..4).prop_map(Op::Pop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        #[test]
        fn behaves_like_a_set_and_converts_at_redis_boundaries(
            ops in proptest::collection::vec(op(), 1..80),
            limit in 0usize..6,
        ) {
            let mut s = SetValue::new();
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            let mut table = false;
            for op in ops {
                match op {
                    Op::Add(k) => {
                        let m = member(k);
                        if is_canonical_i64(&m).is_none() {
                            table = true;
                        }
                        prop_assert_eq!(s.add(&m, limit), model.insert(m));
                        if model.len() > limit {
                            table = true;
                        }
                    }
                    Op::Remove(k) => {
                        let m = member(k);
                        prop_assert_eq!(s.remove(&m), model.remove(&m));
                    }
                    Op::Pop(n) => {
                        let got = s.pop_random(n);
                        prop_assert_eq!(got.len(), n.min(model.len()));
                        for g in got {
                            prop_assert!(model.remove(&g));
                        }
                    }
                }
                prop_assert_eq!(s.encoding(), if table { "hashtable" } else { "intset" });
                prop_assert_eq!(s.len(), model.len());
            }
            let got: HashSet<Vec<u8>> = members(&s).into_iter().collect();
            prop_assert_eq!(got.len(), s.len());
            prop_assert_eq!(&got, &model);
            for m in &model {
                prop_assert!(s.contains(m));
            }
            if !table {
                let nums: Vec<i64> = s.iter().filter_map(|m| match m { Member::Int(n) => Some(n), _ => None }).collect();
                prop_assert!(nums.windows(2).all(|w| w[0] < w[1]));
            }
            let mut scanned = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = s.scan(cursor, 2, |m| { scanned.insert(m.to_vec()); });
                if cursor == 0 { break; }
            }
            prop_assert_eq!(&scanned, &model);
            prop_assert_eq!(&s.clone(), &s);
        }
    }
}
