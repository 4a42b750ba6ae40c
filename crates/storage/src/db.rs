//! One numbered database of one shard: keys, values and expiry times.
//!
//! Keys live in an insertion-ordered hash map ([`KeyMap`]) so that a random
//! key costs O(1) (RANDOMKEY, expiry and eviction sampling) and so that SCAN can
//! keep Redis's guarantee with a plain position cursor: SCAN walks positions
//! from the highest down, and a removal moves the *last* entry into the hole,
//! that is from an already-visited position to a lower one. So an entry present
//! for the whole scan is always returned (perhaps twice, which Redis allows).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexSet;
use rand::Rng;

use crate::compact::CompactBytes;
use crate::evict::{self, LfuParams, Order, Policy, Pool, Scope};
use crate::keymap::KeyMap;
use crate::value::Value;

type Hasher = ahash::RandomState;

/// A value with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry time in Unix milliseconds; 0 means no expiry.
    expire_at: u64,
    /// Last access, in seconds of the server clock (OBJECT IDLETIME).
    pub access_secs: u32,
    /// The LFU counter and the minute of its last decrement (see
    /// [`evict::lfu_pack`]); kept in what was padding, so an `Entry` is no
    /// larger for it. Maintained only while an LFU policy is selected.
    lfu: u32,
}

impl Entry {
    /// A new entry without expiry.
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire_at: 0,
            access_secs: 0,
            lfu: evict::lfu_pack(0, evict::LFU_INIT_VAL),
        }
    }

    /// The LFU counter after the decay due at `now_secs` (OBJECT FREQ).
    pub fn lfu_freq(&self, now_secs: u32, decay_time: u64) -> u8 {
        evict::lfu_decayed(self.lfu, evict::lfu_minutes(now_secs), decay_time)
    }

    /// Sets the LFU counter as of `now_secs` (RESTORE ... FREQ, the RDB
    /// FREQ opcode).
    pub fn set_lfu(&mut self, now_secs: u32, counter: u8) {
        self.lfu = evict::lfu_pack(evict::lfu_minutes(now_secs), counter);
    }

    /// The stored LFU word (last-decrement minute << 8 | counter, as Redis
    /// keeps it in its `lru` field; DEBUG OBJECT shows it).
    pub fn lfu_word(&self) -> u32 {
        self.lfu
    }

    /// The absolute expiry time in Unix milliseconds, if any.
    pub fn expire_at(&self) -> Option<u64> {
        (self.expire_at != 0).then_some(self.expire_at)
    }

    fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now_ms
    }
}

/// One database of one shard.
#[derive(Debug, Default)]
pub struct Db {
    map: KeyMap<Entry>,
    /// Keys that have an expiry time, for active-expiry sampling.
    expires: IndexSet<CompactBytes, Hasher>,
    /// Keys removed because their time had come (lazy or active).
    pub expired_count: u64,
    /// Keys that blocked clients wait on (BLPOP and friends). The runtime
    /// keeps the waiters; the database only notes when such a key is written.
    blocked: std::collections::HashSet<Bytes, Hasher>,
    /// Blocked-on keys stored since the last [`Db::take_ready`], in order.
    ready: Vec<Bytes>,
    /// Clients WATCHing keys of this database, per key.
    watched: std::collections::HashMap<Bytes, Vec<Watcher>, Hasher>,
    /// Keys a command asked to write while recording (see [`Db::note_write`]).
    touched: Vec<Bytes>,
    /// Record every written key (a coordinator's scratch database, or a
    /// database whose keys clients track), and every expired one.
    record_all: bool,
    /// Keys that expired while `record_all` or `record_expired` was on.
    expired: Vec<Bytes>,
    /// Record expired keys (for `expired` keyspace notifications).
    record_expired: bool,
    /// An LFU policy is selected: accesses update the entries' counters.
    lfu: Option<LfuParams>,
    /// The LFU clock as last seen (stamps keys created without a time).
    clock_min: u16,
}

/// A client WATCHing a key: its id and the flag that, once set, makes its
/// EXEC fail (Redis's `CLIENT_DIRTY_CAS`). The flag is shared by every key
/// the client watches, on every shard.
#[derive(Debug, Clone)]
pub struct Watcher {
    /// The client's id.
    pub client: u64,
    /// Set when a watched key is modified.
    pub flag: Arc<AtomicBool>,
}

/// Keeps the index of keys with a TTL in step with an entry whose expiry
/// went from `had` to `has`.
fn sync_expire_index(
    expires: &mut IndexSet<CompactBytes, Hasher>,
    key: &CompactBytes,
    had: bool,
    has: bool,
) {
    match (had, has) {
        (true, false) => {
            expires.swap_remove(key);
        }
        (false, true) => {
            expires.insert(key.clone());
        }
        _ => {}
    }
}

/// The access time a lookup passes to record no access at all (for a client
/// in CLIENT NO-TOUCH mode): the entry's idle clock and LFU counter are left
/// as they are. No real clock reaches it (it is 2106 in Unix seconds).
pub const NO_TOUCH: u32 = u32::MAX;

/// Records an access to `e` at `now_secs`: the idle clock, and under an LFU
/// policy the counter (Redis's `updateLFU`); nothing for [`NO_TOUCH`].
#[inline]
fn access(e: &mut Entry, now_secs: u32, lfu: Option<LfuParams>) {
    if now_secs == NO_TOUCH {
        return;
    }
    e.access_secs = now_secs;
    if let Some(p) = lfu {
        access_lfu(e, now_secs, p);
    }
}

#[cold]
fn access_lfu(e: &mut Entry, now_secs: u32, p: LfuParams) {
    let r: f64 = rand::rng().random();
    e.lfu = evict::lfu_touch(e.lfu, evict::lfu_minutes(now_secs), p, r);
}

/// What [`Db::store`] does with the key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreTtl {
    /// Remove any expiry (plain SET).
    Clear,
    /// Keep the existing expiry (KEEPTTL).
    Keep,
    /// Expire at this absolute time in Unix milliseconds.
    At(u64),
}

/// What one active-expiry pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpireStats {
    /// Keys with a TTL that were looked at.
    pub sampled: usize,
    /// Keys removed.
    pub expired: usize,
}

impl Db {
    /// An empty database (allocates nothing until the first key).
    pub fn new() -> Db {
        Db::default()
    }

    /// A scratch database that records every key a command writes (the
    /// coordinator runs multi-shard commands on checked-out entries in such
    /// databases, then tells the owning shards which keys changed).
    pub fn recording() -> Db {
        Db {
            record_all: true,
            ..Db::default()
        }
    }

    /// Registers `client`'s `flag` on `key` (WATCH). A key whose time has
    /// come is removed first, so that its expiry, already past, does not
    /// count as a change later (as Redis 7.0 ignores keys expired when
    /// watched).
    pub fn watch(&mut self, key: &[u8], client: u64, flag: &Arc<AtomicBool>, now_ms: u64) {
        self.live_index(key, now_ms);
        let list = self.watched.entry(Bytes::copy_from_slice(key)).or_default();
        if !list.iter().any(|w| w.client == client) {
            list.push(Watcher {
                client,
                flag: flag.clone(),
            });
        }
    }

    /// Drops `client`'s registration on `key` (UNWATCH, EXEC, disconnect).
    pub fn unwatch(&mut self, key: &[u8], client: u64) {
        if let Some(list) = self.watched.get_mut(key) {
            list.retain(|w| w.client != client);
            if list.is_empty() {
                self.watched.remove(key);
            }
        }
        if self.watched.is_empty() {
            self.watched = Default::default();
        }
    }

    /// Marks `key` as changed for the clients watching it.
    pub fn signal(&self, key: &[u8]) {
        if let Some(list) = self.watched.get(key) {
            for w in list {
                w.flag.store(true, Ordering::Release);
            }
        }
    }

    /// Notes that a command asks to write `key`. Only recorded while
    /// someone watches the key (or in a recording database): whether the
    /// key did change is known only once the command counted its changes
    /// (the runtime takes the record after each command, see
    /// [`Db::take_touched`]).
    #[inline]
    fn note_write(&mut self, key: &[u8]) {
        if self.record_all || (!self.watched.is_empty() && self.watched.contains_key(key)) {
            self.touched.push(Bytes::copy_from_slice(key));
        }
    }

    /// The keys recorded since the last call (a recording database's).
    pub fn take_touched(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.touched)
    }

    /// Records every written and expired key from now on (`on`), or stops
    /// (client-side caching needs them while a client tracks keys).
    pub fn set_recording(&mut self, on: bool) {
        self.record_all = on;
        if !on {
            self.touched = Vec::new();
            if !self.record_expired {
                self.expired = Vec::new();
            }
        }
    }

    /// The keys that expired since the last call, while recording.
    pub fn take_expired(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.expired)
    }

    /// Records expired keys from now on (`on`), or stops.
    pub fn set_expired_recording(&mut self, on: bool) {
        self.record_expired = on;
    }

    /// True when expired keys wait in the record.
    pub fn has_expired(&self) -> bool {
        !self.expired.is_empty()
    }

    /// The expired keys recorded, oldest first (left in the record).
    pub fn peek_expired(&self) -> &[Bytes] {
        &self.expired
    }

    /// Signals every watched key present here or in `other` (FLUSHDB,
    /// FLUSHALL, SWAPDB), whatever its expiry, as Redis 7.0 does.
    fn signal_present(&self, other: Option<&Db>) {
        for (k, list) in &self.watched {
            let present = self.map.get_index_of(k).is_some()
                || other.is_some_and(|o| o.map.get_index_of(k).is_some());
            if present {
                for w in list {
                    w.flag.store(true, Ordering::Release);
                }
            }
        }
    }

    /// Removes the entry at `idx`, whose time has come.
    fn expire_index(&mut self, idx: usize) {
        if let Some((k, _)) = self.remove_index(idx) {
            self.expired_count += 1;
            if !self.watched.is_empty() {
                self.signal(&k);
            }
            if self.record_all || self.record_expired {
                self.expired.push(Bytes::copy_from_slice(&k));
            }
        }
    }

    /// Number of keys, including expired ones not yet removed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with an expiry time.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Removes `key` if its time has come. Returns its position if it is still live.
    fn live_index(&mut self, key: &[u8], now_ms: u64) -> Option<usize> {
        let idx = self.map.get_index_of(key)?;
        if self.map[idx].is_expired(now_ms) {
            self.expire_index(idx);
            return None;
        }
        Some(idx)
    }

    fn remove_index(&mut self, idx: usize) -> Option<(CompactBytes, Entry)> {
        let (k, e) = self.map.swap_remove_index(idx)?;
        if e.expire_at != 0 {
            self.expires.swap_remove(&k);
        }
        Some((k, e))
    }

    /// The live entry under `key` (an expired one is removed first).
    pub fn get(&mut self, key: &[u8], now_ms: u64) -> Option<&Entry> {
        let idx = self.live_index(key, now_ms)?;
        Some(&self.map[idx])
    }

    /// The live entry under `key`, mutably. Changing its expiry must go through
    /// [`Db::set_expire`].
    pub fn get_mut(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Value> {
        let idx = self.live_index(key, now_ms)?;
        self.note_write(key);
        Some(&mut self.map[idx].value)
    }

    /// The live value under `key`, mutably, recording the access for OBJECT
    /// IDLETIME (one hash lookup: the read-modify-write path of INCR and friends).
    pub fn get_mut_touch(&mut self, key: &[u8], now_secs: u32, now_ms: u64) -> Option<&mut Value> {
        let idx = self.live_index(key, now_ms)?;
        self.note_write(key);
        let lfu = self.lfu;
        let e = &mut self.map[idx];
        access(e, now_secs, lfu);
        Some(&mut e.value)
    }

    /// First step of warming the cache for a lookup of `key` soon after:
    /// starts loading the key's index slot and returns the key's hash for
    /// [`Db::prefetch_entry`]. A pipelined batch calls this for every key,
    /// then `prefetch_entry` for every key, then runs: the cache misses of
    /// all the lookups overlap instead of following one another.
    #[inline]
    pub fn prefetch_slot(&self, key: &[u8]) -> u64 {
        let h = self.map.hash(key);
        self.map.prefetch_slot(h);
        h
    }

    /// Second step: starts loading the entry the (now cached) slot points to.
    #[inline]
    pub fn prefetch_entry(&self, hash: u64) {
        self.map.prefetch_entry(hash);
    }

    /// True if `key` holds a live value.
    pub fn contains(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.live_index(key, now_ms).is_some()
    }

    /// Stores `value` under `key`, removing any expiry (as SET does).
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.set_with_expire(key, value, None);
    }

    /// Stores `value` under `key` with the given absolute expiry (None: no expiry).
    pub fn set_with_expire(&mut self, key: &[u8], value: Value, expire_at: Option<u64>) {
        self.note_stored(key);
        self.note_write(key);
        let expire_at = expire_at.unwrap_or(0);
        match self.map.get_full_mut(key) {
            Some((_, k, e)) => {
                let had = e.expire_at != 0;
                e.value = value;
                e.expire_at = expire_at;
                sync_expire_index(&mut self.expires, k, had, expire_at != 0);
            }
            None => {
                let k = CompactBytes::new(key);
                if expire_at != 0 {
                    self.expires.insert(k.clone());
                }
                let lfu = evict::lfu_pack(self.clock_min, evict::LFU_INIT_VAL);
                self.map.insert_new(
                    k,
                    Entry {
                        value,
                        expire_at,
                        access_secs: 0,
                        lfu,
                    },
                );
            }
        }
    }

    /// The write path of SET and friends in one hash lookup for an existing
    /// key: a stale key counts as expired and is replaced, the access time is
    /// set to `now_secs`, and the expiry follows `ttl`. Returns true if a live
    /// key was replaced.
    pub fn store(
        &mut self,
        key: &[u8],
        value: Value,
        ttl: StoreTtl,
        now_ms: u64,
        now_secs: u32,
    ) -> bool {
        self.note_stored(key);
        self.note_write(key);
        if let Some(idx) = self.live_index(key, now_ms) {
            let new_expire = match ttl {
                StoreTtl::Clear => 0,
                StoreTtl::Keep => self.map[idx].expire_at,
                StoreTtl::At(at) => at.max(1),
            };
            let (k, e) = match self.map.get_index_mut(idx) {
                Some(kv) => kv,
                None => return false,
            };
            let had = e.expire_at != 0;
            e.value = value;
            e.expire_at = new_expire;
            access(e, now_secs, self.lfu);
            sync_expire_index(&mut self.expires, k, had, new_expire != 0);
            return true;
        }
        let expire_at = match ttl {
            StoreTtl::At(at) => at.max(1),
            _ => 0,
        };
        let k = CompactBytes::new(key);
        if expire_at != 0 {
            self.expires.insert(k.clone());
        }
        self.clock_min = evict::lfu_minutes(now_secs);
        self.map.insert_new(
            k,
            Entry {
                value,
                expire_at,
                access_secs: now_secs,
                lfu: evict::lfu_pack(self.clock_min, evict::LFU_INIT_VAL),
            },
        );
        false
    }

    /// Stores `value` under `key`, keeping the existing expiry (KEEPTTL, SETRANGE, ...).
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now_ms: u64) {
        match self.live_index(key, now_ms) {
            Some(idx) => {
                self.note_write(key);
                self.map[idx].value = value;
            }
            None => self.set(key, value),
        }
    }

    /// Notes that a value is being stored under `key`: if clients are
    /// blocked on it, it joins the ready keys. Values change type or appear
    /// only through `set_with_expire` and `store`, so these two paths see
    /// every key that may have become a list (a new key, RENAME, MOVE, COPY,
    /// a checked-in entry); changes in place never need it, since nobody
    /// waits on a list that already has elements.
    #[inline]
    fn note_stored(&mut self, key: &[u8]) {
        if !self.blocked.is_empty() {
            self.mark_ready(key);
        }
    }

    /// Registers that clients block on `key` (the runtime calls this for
    /// every key a waiter waits on).
    pub fn block_key(&mut self, key: &[u8]) {
        if !self.blocked.contains(key) {
            self.blocked.insert(Bytes::copy_from_slice(key));
        }
    }

    /// No client blocks on `key` any more.
    pub fn unblock_key(&mut self, key: &[u8]) {
        self.blocked.remove(key);
        if self.blocked.is_empty() {
            self.ready.clear();
        }
    }

    /// Marks `key` ready to serve its waiters if any client blocks on it
    /// (once per [`Db::take_ready`] round).
    pub fn mark_ready(&mut self, key: &[u8]) {
        if let Some(k) = self.blocked.get(key) {
            if !self.ready.iter().any(|r| r == k) {
                self.ready.push(k.clone());
            }
        }
    }

    /// True if some blocked-on key was written since the last [`Db::take_ready`].
    #[inline]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The blocked-on keys written since the last call, in order of writing.
    pub fn take_ready(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.ready)
    }

    /// Exchanges the contents of two databases (SWAPDB) while the blocked
    /// keys stay with their database number, as waiters belong to a number;
    /// every blocked-on key that now exists is marked ready.
    pub fn swap_data(&mut self, other: &mut Db) {
        self.signal_present(Some(other));
        other.signal_present(Some(self));
        std::mem::swap(&mut self.map, &mut other.map);
        std::mem::swap(&mut self.expires, &mut other.expires);
        for db in [self, other] {
            let present: Vec<Bytes> = db
                .blocked
                .iter()
                .filter(|k| db.map.get_index_of(k).is_some())
                .cloned()
                .collect();
            for k in present {
                db.mark_ready(&k);
            }
        }
    }

    /// Removes `key`; returns its entry if it was live.
    pub fn remove(&mut self, key: &[u8], now_ms: u64) -> Option<Entry> {
        let idx = self.live_index(key, now_ms)?;
        self.note_write(key);
        self.remove_index(idx).map(|(_, e)| e)
    }

    /// Removes `key` whatever its expiry, without counting it as expired
    /// (the coordinator moves entries between shards this way).
    pub fn take(&mut self, key: &[u8]) -> Option<Entry> {
        let idx = self.map.get_index_of(key)?;
        self.remove_index(idx).map(|(_, e)| e)
    }

    /// Puts an entry taken with [`Db::take`] back (or moves one in), replacing any value.
    pub fn put(&mut self, key: &[u8], entry: Entry) {
        let Entry {
            value,
            expire_at,
            access_secs,
            lfu,
        } = entry;
        self.set_with_expire(key, value, (expire_at != 0).then_some(expire_at));
        if let Some(e) = self.map.get_mut(key) {
            e.access_secs = access_secs;
            e.lfu = lfu;
        }
    }

    /// Sets (Some) or removes (None) the expiry of a live key. Returns false if
    /// the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], expire_at: Option<u64>, now_ms: u64) -> bool {
        let Some(idx) = self.live_index(key, now_ms) else {
            return false;
        };
        self.note_write(key);
        let new = expire_at.unwrap_or(0);
        let (k, e) = match self.map.get_index_mut(idx) {
            Some(kv) => kv,
            None => return false,
        };
        let had = e.expire_at != 0;
        e.expire_at = new;
        sync_expire_index(&mut self.expires, k, had, new != 0);
        true
    }

    /// The live entry under `key`, recording the access for OBJECT IDLETIME
    /// (one hash lookup: this is the read path of GET and friends).
    pub fn get_touch(&mut self, key: &[u8], now_secs: u32, now_ms: u64) -> Option<&Entry> {
        let idx = self.live_index(key, now_ms)?;
        let lfu = self.lfu;
        let e = &mut self.map[idx];
        access(e, now_secs, lfu);
        Some(e)
    }

    /// Records an access for OBJECT IDLETIME.
    pub fn touch(&mut self, key: &[u8], now_secs: u32, now_ms: u64) -> bool {
        match self.live_index(key, now_ms) {
            Some(idx) => {
                let lfu = self.lfu;
                access(&mut self.map[idx], now_secs, lfu);
                true
            }
            None => false,
        }
    }

    /// Removes every key (FLUSHDB) and returns them as a database of their
    /// own, to be dropped wherever freeing is cheapest. Watched keys that
    /// were present are signalled; the registrations of watchers and blocked
    /// clients stay with this database, as they belong to its number.
    pub fn flush(&mut self) -> Db {
        self.signal_present(None);
        Db {
            map: std::mem::take(&mut self.map),
            expires: std::mem::take(&mut self.expires),
            ..Db::default()
        }
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.signal_present(None);
        self.map = KeyMap::default();
        self.expires = IndexSet::default();
    }

    /// A random live key, as RANDOMKEY returns it. Gives up (returning an
    /// expired-but-present key's neighbour search) after a bounded number of tries.
    pub fn random_key(&mut self, now_ms: u64) -> Option<Bytes> {
        let mut rng = rand::rng();
        for _ in 0..100 {
            if self.map.is_empty() {
                return None;
            }
            let idx = rng.random_range(0..self.map.len());
            if self.map[idx].is_expired(now_ms) {
                self.expire_index(idx);
                continue;
            }
            return self
                .map
                .get_index(idx)
                .map(|(k, _)| Bytes::copy_from_slice(k));
        }
        // Mostly expired keys: a bounded linear search for a live one.
        self.map
            .iter()
            .take(1000)
            .find(|(_, e)| !e.is_expired(now_ms))
            .map(|(k, _)| Bytes::copy_from_slice(k))
    }

    /// One step of SCAN. `cursor` 0 starts a scan; the returned cursor is 0 when
    /// the scan is complete. Visits about `count` positions, calling `f` for each
    /// live key. Expired keys met on the way are removed.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        now_ms: u64,
        mut f: impl FnMut(&[u8], &Entry),
    ) -> u64 {
        crate::keymap::scan_positions(self.map.len(), cursor, count, |idx| {
            if let Some((k, e)) = self.map.get_index(idx) {
                if e.is_expired(now_ms) {
                    // Moving the last entry here is safe: it was visited already.
                    self.expire_index(idx);
                } else {
                    f(k, e);
                }
            }
        })
    }

    /// Calls `f` for every live key (KEYS).
    pub fn for_each_live(&self, now_ms: u64, mut f: impl FnMut(&[u8], &Entry)) {
        for (k, e) in self.map.iter() {
            if !e.is_expired(now_ms) {
                f(k, e);
            }
        }
    }

    /// One pass of active expiry: samples up to `samples` keys with a TTL and
    /// removes the expired ones.
    pub fn expire_sample(&mut self, samples: usize, now_ms: u64) -> ExpireStats {
        let mut stats = ExpireStats::default();
        let mut rng = rand::rng();
        for _ in 0..samples {
            let n = self.expires.len();
            if n == 0 {
                break;
            }
            let i = rng.random_range(0..n);
            let Some(key) = self.expires.get_index(i).cloned() else {
                break;
            };
            stats.sampled += 1;
            if let Some(idx) = self.map.get_index_of(&key) {
                if self.map[idx].is_expired(now_ms) {
                    self.expire_index(idx);
                    stats.expired += 1;
                }
            } else {
                // An index entry without a key cannot happen; repair rather than loop.
                self.expires.swap_remove(&key);
            }
        }
        stats
    }

    /// Iterates over all entries, expired or not (for snapshots and checks).
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &Entry)> {
        self.map.iter()
    }

    /// Keeps LFU counters up to date on every access (`Some`: an LFU
    /// policy is selected) or leaves them alone (`None`).
    pub fn set_lfu(&mut self, lfu: Option<LfuParams>) {
        self.lfu = lfu;
    }

    /// The LFU parameters in force (`None`: no LFU policy).
    pub fn lfu_params(&self) -> Option<LfuParams> {
        self.lfu
    }

    /// Advances the minute clock that stamps the LFU word of keys created
    /// without a time at hand (`set_with_expire`); the runtime calls it
    /// from its cron.
    pub fn set_clock(&mut self, now_secs: u32) {
        self.clock_min = evict::lfu_minutes(now_secs);
    }

    /// Number of keys a policy of `scope` may evict.
    pub fn evictable(&self, scope: Scope) -> usize {
        match scope {
            Scope::AllKeys => self.map.len(),
            Scope::Volatile => self.expires.len(),
        }
    }

    /// The eviction score of `e` under `order` (higher: evicted first).
    fn score(&self, e: &Entry, order: Order, now_secs: u32) -> u64 {
        match order {
            Order::Lru | Order::Random => u64::from(now_secs.saturating_sub(e.access_secs)),
            Order::Lfu => {
                let decay = self.lfu.map_or(1, |p| p.decay_time);
                255 - u64::from(e.lfu_freq(now_secs, decay))
            }
            Order::Ttl => u64::MAX - e.expire_at,
        }
    }

    /// One sampling round of eviction (Redis's `evictionPoolPopulate`): up
    /// to `samples` random keys of the policy's scope, each offered to
    /// `pool` with its score. `dbi` is this database's number.
    pub fn sample_into(
        &self,
        dbi: usize,
        policy: Policy,
        samples: usize,
        now_secs: u32,
        pool: &mut Pool,
    ) {
        let n = self.evictable(policy.scope);
        if n == 0 {
            return;
        }
        let mut rng = rand::rng();
        for _ in 0..samples.min(n) {
            let i = rng.random_range(0..n);
            let found = match policy.scope {
                Scope::AllKeys => self.map.get_index(i),
                Scope::Volatile => self
                    .expires
                    .get_index(i)
                    .and_then(|k| self.map.get_index_of(k))
                    .and_then(|idx| self.map.get_index(idx)),
            };
            if let Some((k, e)) = found {
                pool.offer(self.score(e, policy.order, now_secs), dbi, k);
            }
        }
    }

    /// A random key a policy of `scope` may evict (the `*-random` policies).
    pub fn random_evictable(&self, scope: Scope) -> Option<Bytes> {
        let n = self.evictable(scope);
        if n == 0 {
            return None;
        }
        let i = rand::rng().random_range(0..n);
        match scope {
            Scope::AllKeys => self
                .map
                .get_index(i)
                .map(|(k, _)| Bytes::copy_from_slice(k)),
            Scope::Volatile => self.expires.get_index(i).map(|k| Bytes::copy_from_slice(k)),
        }
    }

    /// Evicts `key` if it is there (with a TTL, for [`Scope::Volatile`]),
    /// whatever its expiry: its watchers are signalled at once, as for an
    /// expired key, and it is recorded for client-side caching like a
    /// write. Returns the entry, to be dropped by the caller (who measures
    /// what that frees).
    pub fn evict(&mut self, key: &[u8], scope: Scope) -> Option<Entry> {
        let idx = self.map.get_index_of(key)?;
        if scope == Scope::Volatile && self.map[idx].expire_at == 0 {
            return None;
        }
        let (k, e) = self.remove_index(idx)?;
        if !self.watched.is_empty() {
            self.signal(&k);
        }
        if self.record_all {
            self.touched.push(Bytes::copy_from_slice(&k));
        }
        Some(e)
    }

    /// MEMORY USAGE: an estimate of the bytes `key` holds (its value, its
    /// name and the table's share), sampling `samples` elements of an
    /// aggregate value (0: all of them). The access time is left alone.
    pub fn memory_usage(&mut self, key: &[u8], samples: usize, now_ms: u64) -> Option<usize> {
        let idx = self.live_index(key, now_ms)?;
        let (k, e) = self.map.get_index(idx)?;
        // The key's slot in the table: the entry, the inline key and an
        // index slot.
        let slot = std::mem::size_of::<(CompactBytes, Entry)>() + 8;
        Some(slot + k.heap_size() + e.value.mem_estimate(samples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn v(s: &str) -> Value {
        Value::string(s.as_bytes())
    }

    #[test]
    fn lazy_expiry_hides_and_removes() {
        let mut db = Db::new();
        db.set_with_expire(b"a", v("1"), Some(1000));
        db.set(b"b", v("2"));
        assert!(db.contains(b"a", 999));
        assert_eq!(db.expires_len(), 1);
        assert!(!db.contains(b"a", 1000));
        assert_eq!(db.len(), 1);
        assert_eq!(db.expires_len(), 0);
        assert_eq!(db.expired_count, 1);
    }

    #[test]
    fn set_clears_and_keep_ttl_keeps_expiry() {
        let mut db = Db::new();
        db.set_with_expire(b"a", v("1"), Some(5000));
        db.set_keep_ttl(b"a", v("2"), 0);
        assert_eq!(db.get(b"a", 0).and_then(Entry::expire_at), Some(5000));
        db.set(b"a", v("3"));
        assert_eq!(db.get(b"a", 0).and_then(Entry::expire_at), None);
        assert_eq!(db.expires_len(), 0);
        assert!(db.set_expire(b"a", Some(10), 0));
        assert_eq!(db.expires_len(), 1);
        assert!(db.set_expire(b"a", None, 0));
        assert_eq!(db.expires_len(), 0);
        assert!(!db.set_expire(b"zz", Some(1), 0));
    }

    #[test]
    fn no_touch_lookups_record_no_access() {
        let mut db = Db::new();
        assert!(!db.store(b"k", v("1"), StoreTtl::Clear, 0, 7));
        assert!(db.get_touch(b"k", NO_TOUCH, 0).is_some());
        assert!(db.get_mut_touch(b"k", NO_TOUCH, 0).is_some());
        assert!(db.touch(b"k", NO_TOUCH, 0));
        assert_eq!(db.get(b"k", 0).map(|e| e.access_secs), Some(7));
        assert!(db.touch(b"k", 9, 0));
        assert_eq!(db.get(b"k", 0).map(|e| e.access_secs), Some(9));
    }

    #[test]
    fn store_replaces_counts_stale_and_sets_ttl() {
        let mut db = Db::new();
        assert!(!db.store(b"k", v("1"), StoreTtl::At(100), 0, 7));
        assert_eq!(db.expires_len(), 1);
        assert_eq!(db.get(b"k", 0).map(|e| e.access_secs), Some(7));
        assert!(db.store(b"k", v("2"), StoreTtl::Keep, 10, 8));
        assert_eq!(db.get(b"k", 10).and_then(Entry::expire_at), Some(100));
        assert!(db.store(b"k", v("3"), StoreTtl::Clear, 10, 8));
        assert_eq!(db.expires_len(), 0);
        db.set_with_expire(b"k", v("4"), Some(50));
        // Stale at 60: replaced as a new key and counted as expired.
        assert!(!db.store(b"k", v("5"), StoreTtl::Keep, 60, 9));
        assert_eq!(db.expired_count, 1);
        assert_eq!(db.get(b"k", 60).and_then(Entry::expire_at), None);
    }

    #[test]
    fn active_expiry_removes_expired_keys() {
        let mut db = Db::new();
        for i in 0..100 {
            db.set_with_expire(format!("k{i}").as_bytes(), v("x"), Some(10));
        }
        for i in 0..100 {
            db.set_with_expire(format!("p{i}").as_bytes(), v("x"), Some(10_000));
        }
        let mut removed = 0;
        for _ in 0..200 {
            removed += db.expire_sample(20, 100).expired;
        }
        assert_eq!(removed, 100);
        assert_eq!(db.len(), 100);
        assert_eq!(db.expires_len(), 100);
    }

    #[test]
    fn scan_returns_every_key_present_throughout_despite_deletions() {
        let mut db = Db::new();
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), v("x"));
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let mut batch = Vec::new();
            cursor = db.scan(cursor, 10, 0, |k, _| batch.push(k.to_vec()));
            // Delete what was returned plus some never-returned "doomed" keys.
            for k in &batch {
                seen.insert(k.clone());
                db.remove(k, 0);
            }
            round += 1;
            db.remove(format!("k{}", 999 - round).as_bytes(), 0);
            if cursor == 0 {
                break;
            }
        }
        // Every key not deleted by the "doomed" removals must have been seen.
        for i in 0..1000 {
            let k = format!("k{i}");
            if db.contains(k.as_bytes(), 0) {
                panic!("{k} left behind");
            }
            let doomed = (999 - round..999).contains(&i);
            if !doomed {
                assert!(seen.contains(k.as_bytes()), "{k} missed");
            }
        }
    }

    #[test]
    fn entry_stays_small() {
        // The LFU word lives in what was padding: value + expiry + two u32.
        assert_eq!(
            std::mem::size_of::<Entry>(),
            std::mem::size_of::<Value>() + 16
        );
    }

    #[test]
    fn lfu_counts_accesses_and_new_keys_start_at_init() {
        let mut db = Db::new();
        db.set_lfu(Some(LfuParams {
            log_factor: 0,
            decay_time: 1,
        }));
        let secs = 6000;
        db.store(b"k", v("x"), StoreTtl::Clear, 0, secs);
        assert_eq!(db.get(b"k", 0).map(|e| e.lfu_freq(secs, 1)), Some(5));
        // Factor 0: every access counts.
        for _ in 0..10 {
            db.get_touch(b"k", secs, 0);
        }
        assert_eq!(db.get(b"k", 0).map(|e| e.lfu_freq(secs, 1)), Some(15));
        // Three idle minutes: three decrements.
        assert_eq!(db.get(b"k", 0).map(|e| e.lfu_freq(secs + 180, 1)), Some(12));
        // Without LFU, accesses leave the counter alone.
        db.set_lfu(None);
        db.get_touch(b"k", secs, 0);
        assert_eq!(db.get(b"k", 0).map(|e| e.lfu_freq(secs, 1)), Some(15));
        // A moved entry keeps its counter.
        let e = db.take(b"k");
        let mut other = Db::new();
        if let Some(e) = e {
            other.put(b"k", e);
        }
        assert_eq!(other.get(b"k", 0).map(|e| e.lfu_freq(secs, 1)), Some(15));
    }

    fn evict_all(db: &mut Db, policy: Policy, now_secs: u32, n: usize) -> Vec<String> {
        let mut pool = Pool::new();
        let mut out = Vec::new();
        while out.len() < n {
            db.sample_into(0, policy, 5, now_secs, &mut pool);
            while let Some(c) = pool.pop_best() {
                if db.evict(&c.key, policy.scope).is_some() {
                    out.push(String::from_utf8_lossy(&c.key).into_owned());
                    break;
                }
            }
            if db.evictable(policy.scope) == 0 {
                break;
            }
        }
        out
    }

    #[test]
    fn lru_sampling_evicts_idle_keys_first() {
        let mut db = Db::new();
        for i in 0..100 {
            db.store(
                format!("old{i}").as_bytes(),
                v("x"),
                StoreTtl::Clear,
                0,
                100,
            );
            db.store(
                format!("new{i}").as_bytes(),
                v("x"),
                StoreTtl::Clear,
                0,
                200,
            );
        }
        let policy = Policy {
            scope: Scope::AllKeys,
            order: Order::Lru,
        };
        let gone = evict_all(&mut db, policy, 300, 50);
        // The pool makes each eviction the best of many samples.
        let old = gone.iter().filter(|k| k.starts_with("old")).count();
        assert!(old >= 45, "{old} of 50 evicted keys were old");
    }

    #[test]
    fn volatile_policies_only_evict_keys_with_ttl_soonest_first() {
        let mut db = Db::new();
        for i in 0..50u64 {
            db.set(format!("keep{i}").as_bytes(), v("x"));
            db.set_with_expire(format!("t{i:02}").as_bytes(), v("x"), Some(10_000 + i));
        }
        let ttl = Policy {
            scope: Scope::Volatile,
            order: Order::Ttl,
        };
        let gone = evict_all(&mut db, ttl, 0, 10);
        assert_eq!(gone.len(), 10);
        assert!(gone.iter().all(|k| k.starts_with('t')));
        // The soonest ones: mostly among the first 20 of 50.
        let early = gone.iter().filter(|k| k.as_str() < "t20").count();
        assert!(early >= 8, "{gone:?}");
        // Evicting everything volatile leaves the other keys.
        let rest = evict_all(
            &mut db,
            Policy {
                scope: Scope::Volatile,
                order: Order::Random,
            },
            0,
            1000,
        );
        assert_eq!(rest.len(), 40);
        assert_eq!(db.len(), 50);
        assert_eq!(db.expires_len(), 0);
        assert!(db.random_evictable(Scope::Volatile).is_none());
        assert!(db.random_evictable(Scope::AllKeys).is_some());
        // A key without TTL is not evicted under a volatile scope.
        assert!(db.evict(b"keep0", Scope::Volatile).is_none());
    }

    #[test]
    fn eviction_signals_watchers() {
        let mut db = Db::new();
        db.set(b"w", v("x"));
        let flag = Arc::new(AtomicBool::new(false));
        db.watch(b"w", 1, &flag, 0);
        assert!(db.evict(b"w", Scope::AllKeys).is_some());
        assert!(flag.load(Ordering::Acquire));
        assert_eq!(db.len(), 0);
    }

    #[test]
    fn memory_usage_follows_value_size() {
        let mut db = Db::new();
        db.set(b"small", v("x"));
        db.set(b"big", Value::string(&[b'a'; 10_000]));
        let small = db.memory_usage(b"small", 5, 0).unwrap_or(0);
        let big = db.memory_usage(b"big", 5, 0).unwrap_or(0);
        assert!(small > 0 && small < 200, "{small}");
        assert!((10_000..10_400).contains(&big), "{big}");
        assert_eq!(db.memory_usage(b"none", 5, 0), None);
    }

    #[test]
    fn random_key_skips_expired() {
        let mut db = Db::new();
        assert_eq!(db.random_key(0), None);
        db.set_with_expire(b"gone", v("x"), Some(5));
        db.set(b"here", v("x"));
        for _ in 0..20 {
            assert_eq!(db.random_key(10).as_deref(), Some(&b"here"[..]));
        }
    }
}
