//! [`KeyMap`]: the keyspace's hash table.
//!
//! Entries live in a vector in insertion order (so a random entry costs O(1)
//! and SCAN can walk positions, see `db.rs`); an open-addressing index of
//! 8-byte slots (linear probing, backward-shift deletion) maps a key's hash
//! to its position. Each slot keeps 32 bits of the hash, so a probe almost
//! never reads an entry that is not the one sought.
//!
//! Unlike a general-purpose map it exposes where a key's slot lies, so that a
//! pipelined batch can prefetch every key's slot, then every key's entry,
//! before running: the cache misses of many lookups overlap instead of
//! following one another.

use std::ops::{Index, IndexMut};

use crate::compact::CompactBytes;

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// High 32 bits of the key's hash; its low bits are the slot's home.
    tag: u32,
    /// Position of the entry, or EMPTY.
    idx: u32,
}

const EMPTY_SLOT: Slot = Slot { tag: 0, idx: EMPTY };

/// The index half of a hash table: open addressing over 8-byte slots
/// (linear probing, backward-shift deletion) from a 64-bit hash to a `u32`
/// position in storage the owner keeps. A slot's home is the low bits of
/// its 32-bit tag, so growing and deleting never need an entry's hash
/// again: [`KeyMap`] uses it over its entry vector, the sorted set over its
/// skiplist nodes.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlotIndex {
    slots: Vec<Slot>,
}

impl SlotIndex {
    #[inline]
    fn tag(hash: u64) -> u32 {
        (hash >> 32) as u32
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        (tag as usize) & self.mask()
    }

    /// Number of positions indexed.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.idx != EMPTY).count()
    }

    /// Starts loading the slot where `hash` is looked up.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        if let Some(s) = self.slots.get(self.home(Self::tag(hash))) {
            prefetch_read(s);
        }
    }

    /// The position in `hash`'s home slot if its tag matches: where the
    /// entry usually is, for prefetching (the slot should be in cache).
    #[inline]
    pub(crate) fn likely(&self, hash: u64) -> Option<u32> {
        let tag = Self::tag(hash);
        let s = self.slots.get(self.home(tag))?;
        (s.idx != EMPTY && s.tag == tag).then_some(s.idx)
    }

    /// (slot, position) of the first entry of `hash` for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<(usize, u32)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let tag = Self::tag(hash);
        let mut pos = self.home(tag);
        loop {
            let s = self.slots[pos];
            if s.idx == EMPTY {
                return None;
            }
            if s.tag == tag && eq(s.idx) {
                return Some((pos, s.idx));
            }
            pos = (pos + 1) & mask;
        }
    }

    /// The slot holding position `idx`, whose hash is `hash`.
    pub(crate) fn slot_of(&self, hash: u64, idx: u32) -> Option<usize> {
        self.find(hash, |i| i == idx).map(|(pos, _)| pos)
    }

    /// Points slot `pos` at position `idx` (its entry moved).
    #[inline]
    pub(crate) fn set(&mut self, pos: usize, idx: u32) {
        self.slots[pos].idx = idx;
    }

    /// Indexes position `idx` under `hash`; `len` is the number of
    /// positions indexed before. Grows at a load of 3/4 so probes stay short.
    pub(crate) fn insert(&mut self, hash: u64, idx: u32, len: usize) {
        if (len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.mask();
        let tag = Self::tag(hash);
        let mut pos = self.home(tag);
        while self.slots[pos].idx != EMPTY {
            pos = (pos + 1) & mask;
        }
        self.slots[pos] = Slot { tag, idx };
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; cap]);
        let mask = cap - 1;
        for s in old.into_iter().filter(|s| s.idx != EMPTY) {
            let mut pos = (s.tag as usize) & mask;
            while self.slots[pos].idx != EMPTY {
                pos = (pos + 1) & mask;
            }
            self.slots[pos] = s;
        }
    }

    /// Empties slot `pos` and shifts later slots of the same probe run
    /// back, so that lookups never need tombstones.
    pub(crate) fn remove(&mut self, mut pos: usize) {
        let mask = self.mask();
        loop {
            self.slots[pos] = EMPTY_SLOT;
            let mut next = (pos + 1) & mask;
            loop {
                let s = self.slots[next];
                if s.idx == EMPTY {
                    return;
                }
                let home = (s.tag as usize) & mask;
                // May the slot at `next` move back to `pos`? Only if its home
                // is not cyclically within (pos, next].
                let stays = if pos <= next {
                    pos < home && home <= next
                } else {
                    pos < home || home <= next
                };
                if !stays {
                    self.slots[pos] = s;
                    pos = next;
                    break;
                }
                next = (next + 1) & mask;
            }
        }
    }

    /// Rewrites every position through `f` (the owner compacted its storage).
    pub(crate) fn remap(&mut self, mut f: impl FnMut(u32) -> u32) {
        for s in self.slots.iter_mut().filter(|s| s.idx != EMPTY) {
            s.idx = f(s.idx);
        }
    }
}

#[derive(Debug)]
struct Bucket<V> {
    hash: u64,
    key: CompactBytes,
    value: V,
}

/// An insertion-ordered hash map from byte-string keys to `V`.
#[derive(Debug)]
pub struct KeyMap<V> {
    index: SlotIndex,
    entries: Vec<Bucket<V>>,
    hasher: ahash::RandomState,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            index: SlotIndex::default(),
            entries: Vec::new(),
            hasher: ahash::RandomState::new(),
        }
    }
}

#[inline]
pub(crate) fn prefetch_read<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint that never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One step of a position-cursor scan over `len` positions (SCAN, HSCAN):
/// position p is cursor p + 1 and positions are walked from the highest
/// down, so that a removal, which moves the last entry (already visited)
/// into the hole, never hides an entry present for the whole scan. Calls
/// `visit` for about `count` positions from `cursor` (0 starts) and returns
/// the next cursor, 0 when the walk is done. `visit` may remove the entry at
/// the position it is given.
pub fn scan_positions(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let len = len as u64;
    if len == 0 {
        return 0;
    }
    let mut pos = if cursor == 0 || cursor > len {
        len - 1
    } else {
        cursor - 1
    };
    let mut visited = 0usize;
    loop {
        visit(pos as usize);
        visited += 1;
        if pos == 0 {
            return 0;
        }
        pos -= 1;
        if visited >= count.max(1) {
            return pos + 1;
        }
    }
}

impl<V> KeyMap<V> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The hash of `key` with this map's hasher.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Starts loading the slot where a key with this hash is looked up.
    #[inline]
    pub fn prefetch_slot(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// Starts loading the entry of the key with this hash, if its slot is
    /// where it is usually found (the slot should be in cache by now).
    #[inline]
    pub fn prefetch_entry(&self, hash: u64) {
        if let Some(b) = self
            .index
            .likely(hash)
            .and_then(|i| self.entries.get(i as usize))
        {
            prefetch_read(b);
        }
    }

    /// Position of `key`, if present.
    #[inline]
    pub fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        self.index
            .find(hash, |i| {
                let b = &self.entries[i as usize];
                b.hash == hash && b.key.as_slice() == key
            })
            .map(|(_, i)| i as usize)
    }

    /// The entry at position `i`.
    pub fn get_index(&self, i: usize) -> Option<(&CompactBytes, &V)> {
        self.entries.get(i).map(|b| (&b.key, &b.value))
    }

    /// The entry at position `i`, mutably.
    pub fn get_index_mut(&mut self, i: usize) -> Option<(&CompactBytes, &mut V)> {
        self.entries.get_mut(i).map(|b| (&b.key, &mut b.value))
    }

    /// Position, key and value of `key`.
    pub fn get_full_mut(&mut self, key: &[u8]) -> Option<(usize, &CompactBytes, &mut V)> {
        let i = self.get_index_of(key)?;
        self.entries.get_mut(i).map(|b| (i, &b.key, &mut b.value))
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.get_index_of(key)?;
        self.entries.get_mut(i).map(|b| &mut b.value)
    }

    /// Inserts `key` (which must not be present) with `value`; returns its position.
    pub fn insert_new(&mut self, key: CompactBytes, value: V) -> usize {
        debug_assert!(self.get_index_of(&key).is_none());
        let hash = self.hash(&key);
        let idx = self.entries.len();
        self.index.insert(hash, idx as u32, idx);
        self.entries.push(Bucket { hash, key, value });
        idx
    }

    /// Removes the entry at position `i`, moving the last entry into its
    /// place (as `Vec::swap_remove`).
    pub fn swap_remove_index(&mut self, i: usize) -> Option<(CompactBytes, V)> {
        let hash = self.entries.get(i)?.hash;
        let pos = self.index.slot_of(hash, i as u32)?;
        self.index.remove(pos);
        let last = self.entries.len() - 1;
        if i != last {
            let moved_hash = self.entries[last].hash;
            if let Some(p) = self.index.slot_of(moved_hash, last as u32) {
                self.index.set(p, i as u32);
            }
        }
        let b = self.entries.swap_remove(i);
        Some((b.key, b.value))
    }

    /// Iterates in position order.
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &V)> {
        self.entries.iter().map(|b| (&b.key, &b.value))
    }
}

impl<V> Index<usize> for KeyMap<V> {
    type Output = V;
    fn index(&self, i: usize) -> &V {
        &self.entries[i].value
    }
}

impl<V> IndexMut<usize> for KeyMap<V> {
    fn index_mut(&mut self, i: usize) -> &mut V {
        &mut self.entries[i].value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16),
        Remove(u16),
        RemoveAt(usize),
        Get(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u16..300).prop_map(Op::Insert),
            2 => (0u16..300).prop_map(Op::Remove),
            1 => any::<usize>().prop_map(Op::RemoveAt),
            2 => (0u16..300).prop_map(Op::Get),
        ]
    }

    fn key(k: u16) -> Vec<u8> {
        format!("key:{k}").into_bytes()
    }

    fn check(m: &KeyMap<u32>, model: &HashMap<Vec<u8>, u32>) {
        assert_eq!(m.len(), model.len());
        for (k, v) in model {
            let i = m.get_index_of(k).expect("present");
            assert_eq!(m[i], *v);
            assert_eq!(m.get_index(i).map(|(k2, _)| k2.to_vec()), Some(k.clone()));
        }
        // Every slot points at a distinct live entry.
        assert_eq!(m.index.live(), m.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn behaves_like_a_hash_map(ops in proptest::collection::vec(op(), 1..400)) {
            let mut m: KeyMap<u32> = KeyMap::default();
            let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(k) => {
                        let kb = key(k);
                        match m.get_mut(&kb) {
                            Some(v) => *v = n as u32,
                            None => { m.insert_new(CompactBytes::new(&kb), n as u32); }
                        }
                        model.insert(kb, n as u32);
                    }
                    Op::Remove(k) => {
                        let kb = key(k);
                        let got = m.get_index_of(&kb).and_then(|i| m.swap_remove_index(i)).map(|(_, v)| v);
                        prop_assert_eq!(got, model.remove(&kb));
                    }
                    Op::RemoveAt(i) => {
                        if !m.is_empty() {
                            let i = i % m.len();
                            let (k, v) = m.swap_remove_index(i).expect("in range");
                            prop_assert_eq!(model.remove(k.as_slice()), Some(v));
                        }
                    }
                    Op::Get(k) => {
                        let kb = key(k);
                        prop_assert_eq!(m.get_index_of(&kb).map(|i| m[i]), model.get(&kb).copied());
                    }
                }
            }
            check(&m, &model);
        }
    }

    #[test]
    fn prefetch_helpers_are_harmless_on_any_state() {
        let mut m: KeyMap<u8> = KeyMap::default();
        m.prefetch_slot(12345);
        m.prefetch_entry(12345);
        let i = m.insert_new(CompactBytes::new(b"a"), 1);
        let h = m.hash(b"a");
        m.prefetch_slot(h);
        m.prefetch_entry(h);
        assert_eq!(m[i], 1);
    }
}
