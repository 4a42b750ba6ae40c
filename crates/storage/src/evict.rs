//! What `maxmemory` eviction needs from the keyspace: the LFU counter's
//! arithmetic, the policies' scores and the eviction pool.
//!
//! The LFU counter is Redis's: 8 bits that grow logarithmically (each access
//! increments with probability `1 / ((counter - LFU_INIT_VAL) * log_factor +
//! 1)`) and decay by one per `lfu-decay-time` minutes without access. It is
//! packed with the minute of its last decrement into a 24-bit word kept in
//! the padding of [`crate::Entry`] (an `Entry` stays the size it was).
//!
//! The pool keeps the best candidates seen by the last sampling rounds, as
//! Redis's `EvictionPoolLRU` does: each round samples a few keys per
//! database and keeps those with a higher score (more idle, less used, or
//! sooner to expire) than the pool's worst, so that a key evicted is the best
//! of many samples, not of one round's.

use bytes::Bytes;

/// The counter a new key starts with under an LFU policy (Redis's
/// `LFU_INIT_VAL`): a new key is not evicted before it had a chance to be used.
pub const LFU_INIT_VAL: u8 = 5;

/// How many candidates the pool keeps (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// `lfu-log-factor` and `lfu-decay-time`, as the keyspace needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LfuParams {
    /// `lfu-log-factor`: how slowly the counter grows.
    pub log_factor: u64,
    /// `lfu-decay-time`: minutes per decrement without access (0: never).
    pub decay_time: u64,
}

impl Default for LfuParams {
    fn default() -> Self {
        LfuParams {
            log_factor: 10,
            decay_time: 1,
        }
    }
}

/// The LFU clock: minutes since the epoch, modulo 2^16 (as Redis's
/// `LFUGetTimeInMinutes`).
pub fn lfu_minutes(now_secs: u32) -> u16 {
    ((now_secs / 60) & 0xffff) as u16
}

/// Minutes elapsed since `ldt` on the wrapping 16-bit clock.
pub fn lfu_elapsed(ldt: u16, now_min: u16) -> u64 {
    if now_min >= ldt {
        u64::from(now_min - ldt)
    } else {
        65535 - u64::from(ldt) + u64::from(now_min)
    }
}

/// Packs a last-decrement minute and a counter into the entry's word.
pub fn lfu_pack(ldt: u16, counter: u8) -> u32 {
    (u32::from(ldt) << 8) | u32::from(counter)
}

/// The (last-decrement minute, counter) of a packed word.
pub fn lfu_unpack(word: u32) -> (u16, u8) {
    (((word >> 8) & 0xffff) as u16, (word & 0xff) as u8)
}

/// The counter of `word` after the decay due at `now_min` (OBJECT FREQ's
/// figure; the word is not changed).
pub fn lfu_decayed(word: u32, now_min: u16, decay_time: u64) -> u8 {
    let (ldt, counter) = lfu_unpack(word);
    if decay_time == 0 {
        return counter;
    }
    let periods = lfu_elapsed(ldt, now_min) / decay_time;
    u8::try_from(u64::from(counter).saturating_sub(periods)).unwrap_or(0)
}

/// The logarithmic increment: `r` is a uniform draw in `[0, 1)`.
pub fn lfu_log_incr(counter: u8, log_factor: u64, r: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// One access under an LFU policy: decay, then a probabilistic increment,
/// and the decrement time set to now (Redis's `updateLFU`).
pub fn lfu_touch(word: u32, now_min: u16, p: LfuParams, r: f64) -> u32 {
    let c = lfu_decayed(word, now_min, p.decay_time);
    lfu_pack(now_min, lfu_log_incr(c, p.log_factor, r))
}

/// Which keys a policy may evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every key (`allkeys-*`).
    AllKeys,
    /// Only keys with a TTL (`volatile-*`).
    Volatile,
}

/// How a policy ranks its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Least recently used first.
    Lru,
    /// Least frequently used first.
    Lfu,
    /// Soonest to expire first (`volatile-ttl`).
    Ttl,
    /// Any key (`*-random`): no pool.
    Random,
}

/// An eviction policy other than `noeviction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Which keys.
    pub scope: Scope,
    /// Which first.
    pub order: Order,
}

/// A key the pool keeps, with the score it had when sampled (higher:
/// evicted first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Idle seconds, `255 - frequency`, or `u64::MAX - expire time`.
    pub score: u64,
    /// The database the key was sampled in.
    pub db: usize,
    /// The key.
    pub key: Bytes,
}

/// The best candidates of the sampling rounds so far, ascending by score.
#[derive(Debug, Default, Clone)]
pub struct Pool {
    entries: Vec<Candidate>,
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Pool {
        Pool::default()
    }

    /// Number of candidates held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the pool holds no candidate.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True if a candidate with `score` would enter the pool (saves
    /// copying a sampled key that would not).
    pub fn admits(&self, score: u64) -> bool {
        self.entries.len() < POOL_SIZE || self.entries.first().is_some_and(|c| c.score < score)
    }

    /// Offers a sampled key: kept if the pool has room or it beats the
    /// worst candidate (which then leaves). A key already held gets its new
    /// score.
    pub fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if let Some(i) = self
            .entries
            .iter()
            .position(|c| c.db == db && &c.key[..] == key)
        {
            self.entries.remove(i);
        } else if !self.admits(score) {
            return;
        }
        if self.entries.len() >= POOL_SIZE {
            self.entries.remove(0);
        }
        let at = self.entries.partition_point(|c| c.score <= score);
        self.entries.insert(
            at,
            Candidate {
                score,
                db,
                key: Bytes::copy_from_slice(key),
            },
        );
    }

    /// Takes the best candidate out of the pool.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    /// Drops the candidates of database `db` (FLUSHDB, SWAPDB make them stale).
    pub fn forget_db(&mut self, db: usize) {
        self.entries.retain(|c| c.db != db);
    }

    /// Drops every candidate.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The candidates, worst first.
    pub fn candidates(&self) -> &[Candidate] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_increment_slows_down_as_the_counter_grows() {
        // At or below the initial value every access counts.
        assert_eq!(lfu_log_incr(0, 10, 0.999), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, 0.999), LFU_INIT_VAL + 1);
        // Past it, the chance is 1 / ((c - 5) * factor + 1).
        let c = LFU_INIT_VAL + 10; // p = 1/101
        assert_eq!(lfu_log_incr(c, 10, 0.0098), c + 1);
        assert_eq!(lfu_log_incr(c, 10, 0.0100), c);
        // Factor 0: always increments; 255 saturates.
        assert_eq!(lfu_log_incr(200, 0, 0.999), 201);
        assert_eq!(lfu_log_incr(255, 0, 0.0), 255);
    }

    #[test]
    fn counter_reaches_redis_levels_for_given_hit_counts() {
        // Redis's documented levels (redis.conf's table) for factor 10: about
        // 10 after 100 hits and 18 after 1000; a deterministic sequence of
        // draws lands in that neighbourhood.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut draw = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut c = LFU_INIT_VAL;
        for _ in 0..100 {
            c = lfu_log_incr(c, 10, draw());
        }
        assert!((8..=13).contains(&c), "after 100 hits: {c}");
        for _ in 0..900 {
            c = lfu_log_incr(c, 10, draw());
        }
        assert!((15..=22).contains(&c), "after 1000 hits: {c}");
    }

    #[test]
    fn decay_counts_whole_periods_on_a_wrapping_clock() {
        let w = lfu_pack(100, 20);
        assert_eq!(lfu_unpack(w), (100, 20));
        assert_eq!(lfu_decayed(w, 100, 1), 20);
        assert_eq!(lfu_decayed(w, 103, 1), 17);
        assert_eq!(lfu_decayed(w, 105, 2), 18);
        assert_eq!(lfu_decayed(w, 105, 0), 20);
        assert_eq!(lfu_decayed(w, 1000, 1), 0);
        // Wrapped clock: 65535 - 65530 + 4 = 9 minutes.
        assert_eq!(lfu_elapsed(65530, 4), 9);
        assert_eq!(lfu_decayed(lfu_pack(65530, 20), 4, 1), 11);
        let t = lfu_touch(w, 103, LfuParams::default(), 0.0);
        assert_eq!(lfu_unpack(t), (103, 18));
        assert_eq!(lfu_minutes(3600), 60);
    }

    #[test]
    fn pool_keeps_the_best_candidates_in_order() {
        let mut p = Pool::new();
        for i in 0..40u64 {
            // Scores 0, 7, 14, ... in a scrambled order.
            let s = (i * 17) % 40 * 7;
            p.offer(s, 0, format!("k{s}").as_bytes());
        }
        assert_eq!(p.len(), POOL_SIZE);
        let scores: Vec<u64> = p.candidates().iter().map(|c| c.score).collect();
        let mut sorted = scores.clone();
        sorted.sort_unstable();
        assert_eq!(scores, sorted);
        // The 16 best of 0..=273 step 7.
        assert_eq!(scores.first(), Some(&(24 * 7)));
        assert!(!p.admits(7));
        assert!(p.admits(1000));
        // A key offered again is updated, not duplicated.
        p.offer(5000, 0, b"k168");
        assert_eq!(p.len(), POOL_SIZE);
        let best = p.pop_best();
        assert_eq!(
            best.map(|c| (c.score, c.key)),
            Some((5000, Bytes::from("k168")))
        );
        p.offer(1, 3, b"x");
        p.forget_db(3);
        assert!(p.candidates().iter().all(|c| c.db == 0));
        p.clear();
        assert!(p.is_empty() && p.pop_best().is_none());
    }
}
