//! A counting global allocator: the system allocator plus running totals of
//! the bytes handed out, for INFO's `used_memory`, the per-shard figures and
//! `maxmemory`.
//!
//! Install it in a binary (or in a library that every test binary links) with
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: ferrite_runtime::alloc::CountingAlloc = ferrite_runtime::alloc::CountingAlloc;
//! ```
//!
//! Every thread keeps its own running delta and adds it to the shared
//! totals only once it has moved by [`FLUSH_BYTES`], so the allocation hot
//! path touches nothing but a thread-local cell and the shared atomics stay
//! uncontended. A flush adds the delta to the process total and to the
//! thread's *slot*: a shard thread claims a slot of its own at start
//! ([`claim_slot`]), every other thread shares slot 0. A server's shards are
//! a [`Group`] of slots, so several servers in one process (the tests) each
//! see their own figure.
//!
//! Precision:
//! - A figure read from another thread can be off by up to [`FLUSH_BYTES`]
//!   per thread (the unflushed deltas); [`thread_net`] on its own thread is
//!   exact.
//! - A slot counts what its thread allocated minus what its thread freed.
//!   Memory allocated on one thread and freed on another moves between
//!   slots: a shard thread builds the replies of requests that came from
//!   another thread's connection, which frees them. Each thread is both a
//!   shard and the home of the connections it accepted, so one shard's
//!   figure is "its data plus its connections' buffers, plus what it built
//!   for other threads and minus what it freed for them". [`hand_over`]
//!   moves the bytes of such a buffer to the thread that will free it, which
//!   keeps the figures honest for the one flow that is large and steady
//!   (remote replies). What is left (a request's argument buffer whose last
//!   reference dies on the shard that ran it, a value dropped by a FLUSHALL
//!   ASYNC thread) is small or one-off. The group's sum has none of this
//!   error: a transfer between two of its slots cancels out.
//! - The unflushed delta of a thread that exits is lost (no destructor may
//!   flush it: registering one from inside the allocator could allocate).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A thread flushes its delta to the shared total once it reaches this size.
pub const FLUSH_BYTES: i64 = 64 * 1024;

/// Bytes allocated and not yet freed, as flushed by all threads.
static USED: AtomicI64 = AtomicI64::new(0);
/// The largest value `USED` has had since start (or the last reset).
static PEAK: AtomicU64 = AtomicU64::new(0);
/// Set at the first flush: tells INFO that the figures are real.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Most slots: shard threads alive at once in one process, plus slot 0.
pub const MAX_SLOTS: usize = 1024;

/// Per-slot net bytes (slot 0: threads that claimed none).
static SLOTS: [AtomicI64; MAX_SLOTS] = [const { AtomicI64::new(0) }; MAX_SLOTS];
/// Which slots are claimed.
static CLAIMED: [AtomicBool; MAX_SLOTS] = [const { AtomicBool::new(false) }; MAX_SLOTS];

thread_local! {
    // `const` initializers and types without `Drop`: reading them never
    // allocates and never registers a destructor, which an allocator needs.
    static PENDING: Cell<i64> = const { Cell::new(0) };
    static SLOT: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting the bytes it hands out.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

#[inline]
fn record(delta: i64) {
    let flush = PENDING
        .try_with(|p| {
            let v = p.get() + delta;
            if v.abs() >= FLUSH_BYTES {
                p.set(0);
                Some(v)
            } else {
                p.set(v);
                None
            }
        })
        // The thread-local is gone (thread teardown): count directly.
        .unwrap_or(Some(delta));
    if let Some(v) = flush {
        let slot = SLOT.try_with(Cell::get).unwrap_or(0);
        if let Some(c) = SLOTS.get(slot) {
            c.fetch_add(v, Ordering::Relaxed);
        }
        let now = USED.fetch_add(v, Ordering::Relaxed) + v;
        if v > 0 {
            PEAK.fetch_max(now.max(0) as u64, Ordering::Relaxed);
        }
        if !ACTIVE.load(Ordering::Relaxed) {
            ACTIVE.store(true, Ordering::Relaxed);
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold; the bookkeeping around the calls
// never touches the memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (see the impl's comment).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        record(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// Bytes currently allocated through [`CountingAlloc`], or `None` when it is
/// not the process's global allocator.
pub fn used() -> Option<u64> {
    ACTIVE
        .load(Ordering::Relaxed)
        .then(|| USED.load(Ordering::Relaxed).max(0) as u64)
}

/// The peak of [`used`] since start or the last [`reset_peak`].
pub fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed)
}

/// Restarts peak tracking from the current figure (CONFIG RESETSTAT).
pub fn reset_peak() {
    PEAK.store(
        USED.load(Ordering::Relaxed).max(0) as u64,
        Ordering::Relaxed,
    );
}

/// Moves this thread's unflushed delta into its slot and the total.
fn flush_pending() {
    let v = PENDING.try_with(|p| p.replace(0)).unwrap_or(0);
    if v != 0 {
        let slot = SLOT.try_with(Cell::get).unwrap_or(0);
        if let Some(c) = SLOTS.get(slot) {
            c.fetch_add(v, Ordering::Relaxed);
        }
        USED.fetch_add(v, Ordering::Relaxed);
    }
}

/// Claims a free slot for the calling thread: from now on its allocations
/// count there. `None` when all [`MAX_SLOTS`] are taken (the thread then
/// keeps counting in slot 0).
pub fn claim_slot() -> Option<usize> {
    for (i, c) in CLAIMED.iter().enumerate().skip(1) {
        if c.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            flush_pending();
            SLOTS[i].store(0, Ordering::Relaxed);
            let _ = SLOT.try_with(|s| s.set(i));
            return Some(i);
        }
    }
    None
}

/// Gives the calling thread's slot back (at thread exit): what it still
/// counts moves to slot 0, so the process total stays right.
pub fn release_slot() {
    flush_pending();
    let slot = SLOT.try_with(|s| s.replace(0)).unwrap_or(0);
    if let (Some(c), Some(claimed)) = (SLOTS.get(slot).filter(|_| slot != 0), CLAIMED.get(slot)) {
        let left = c.swap(0, Ordering::Relaxed);
        SLOTS[0].fetch_add(left, Ordering::Relaxed);
        claimed.store(false, Ordering::Release);
    }
}

/// The calling thread's slot (0: none claimed).
pub fn current_slot() -> usize {
    SLOT.try_with(Cell::get).unwrap_or(0)
}

/// Net bytes counted in the calling thread's slot, exact (its unflushed
/// delta included): the difference of two readings is what the thread
/// allocated minus what it freed in between (eviction measures what it
/// frees this way).
pub fn thread_net() -> i64 {
    let slot = current_slot();
    let flushed = SLOTS.get(slot).map_or(0, |c| c.load(Ordering::Relaxed));
    flushed + PENDING.try_with(Cell::get).unwrap_or(0)
}

/// Net bytes counted in `slot` (flushed deltas only).
pub fn slot_used(slot: usize) -> i64 {
    SLOTS.get(slot).map_or(0, |c| c.load(Ordering::Relaxed))
}

/// A buffer of `bytes` built on this thread will be freed on another:
/// uncounts it here; the receiving thread calls [`take_over`] with the same
/// figure, so that the slots follow the memory (the total is unchanged).
pub fn hand_over(bytes: usize) {
    record(-(bytes as i64));
}

/// The receiving half of [`hand_over`].
pub fn take_over(bytes: usize) {
    record(bytes as i64);
}

/// Runs `f` with the calling thread counting in `slot`, then restores its
/// own: a helper thread that frees a shard's memory (a FLUSHALL ASYNC
/// thread dropping the old databases) gives the bytes back to that shard.
pub fn count_in<R>(slot: usize, f: impl FnOnce() -> R) -> R {
    flush_pending();
    let own = SLOT.try_with(|s| s.replace(slot)).unwrap_or(0);
    let r = f();
    flush_pending();
    let _ = SLOT.try_with(|s| s.set(own));
    r
}

/// The slots of one server's shard threads.
#[derive(Debug)]
pub struct Group {
    /// Shard `i`'s slot (0 until its thread claimed one).
    slots: Vec<AtomicUsize>,
}

/// The groups of the servers running in this process, by server identity.
static GROUPS: Mutex<Vec<(usize, Weak<Group>)>> = Mutex::new(Vec::new());
/// How many groups are alive (read on every eviction check: no lock).
static LIVE_GROUPS: AtomicUsize = AtomicUsize::new(0);

impl Drop for Group {
    fn drop(&mut self) {
        LIVE_GROUPS.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Group {
    /// The group of the server identified by `server` (any value unique to
    /// the server while it runs, e.g. its shared state's address), created
    /// for `nshards` shards by the first caller.
    pub fn of(server: usize, nshards: usize) -> Arc<Group> {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        groups.retain(|(_, g)| g.strong_count() > 0);
        if let Some(g) = groups
            .iter()
            .find(|(k, _)| *k == server)
            .and_then(|(_, g)| g.upgrade())
        {
            return g;
        }
        let g = Arc::new(Group {
            slots: (0..nshards).map(|_| AtomicUsize::new(0)).collect(),
        });
        LIVE_GROUPS.fetch_add(1, Ordering::Relaxed);
        groups.push((server, Arc::downgrade(&g)));
        g
    }

    /// Number of servers whose group is alive in this process.
    pub fn live_groups() -> usize {
        LIVE_GROUPS.load(Ordering::Relaxed)
    }

    /// Records that shard `shard` counts in `slot`.
    pub fn bind(&self, shard: usize, slot: usize) {
        if let Some(s) = self.slots.get(shard) {
            s.store(slot, Ordering::Relaxed);
        }
    }

    /// What shard `shard`'s thread counts (see the module's precision
    /// notes): allocated minus freed on that thread, clamped at 0.
    pub fn shard_used(&self, shard: usize) -> u64 {
        match self.slots.get(shard).map(|s| s.load(Ordering::Relaxed)) {
            Some(slot) if slot != 0 => slot_used(slot).max(0) as u64,
            _ => 0,
        }
    }

    /// The server's memory: its shards' slots, plus slot 0 (threads of no
    /// shard: start-up, script threads) while this is the only server in
    /// the process. Used for INFO `used_memory` and against `maxmemory`.
    /// Called from one of the group's threads, that thread's unflushed
    /// delta is included.
    pub fn used(&self) -> u64 {
        let own = current_slot();
        let pending = if own != 0 && self.slots.iter().any(|s| s.load(Ordering::Relaxed) == own) {
            PENDING.try_with(Cell::get).unwrap_or(0)
        } else {
            0
        };
        (self.flushed() + pending).max(0) as u64
    }

    fn flushed(&self) -> i64 {
        let mut sum: i64 = self
            .slots
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .filter(|&slot| slot != 0)
            .map(slot_used)
            .sum();
        if Group::live_groups() <= 1 {
            sum += slot_used(0);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_are_flushed_once_they_reach_the_threshold() {
        // Unit tests run without the allocator installed; drive `record`
        // directly on a fresh thread so that its pending delta starts at 0.
        std::thread::spawn(|| {
            let before = USED.load(Ordering::Relaxed);
            record(FLUSH_BYTES - 1);
            assert_eq!(USED.load(Ordering::Relaxed) - before, 0);
            record(1);
            assert_eq!(USED.load(Ordering::Relaxed) - before, FLUSH_BYTES);
            assert!(peak() >= FLUSH_BYTES as u64);
            record(-FLUSH_BYTES);
            assert_eq!(USED.load(Ordering::Relaxed) - before, 0);
            assert!(used().is_some());
        })
        .join()
        .unwrap();
    }

    #[test]
    fn slots_follow_their_threads_and_groups_sum_them() {
        let g = Group::of(0xfeed, 2);
        let g2 = g.clone();
        std::thread::spawn(move || {
            let slot = claim_slot().unwrap();
            g2.bind(1, slot);
            let before = thread_net();
            record(10);
            assert_eq!(thread_net() - before, 10);
            // Flushed only past the threshold.
            assert_eq!(g2.shard_used(1), 0);
            record(FLUSH_BYTES);
            assert_eq!(g2.shard_used(1), (FLUSH_BYTES + 10) as u64);
            hand_over(10);
            assert_eq!(thread_net() - before, FLUSH_BYTES);
            release_slot();
            assert_eq!(current_slot(), 0);
            // The remainder moved to slot 0 and the slot is free again.
            assert_eq!(g2.shard_used(1), 0);
            assert_eq!(slot_used(slot), 0);
        })
        .join()
        .unwrap();
        assert!(Arc::ptr_eq(&g, &Group::of(0xfeed, 2)));
        assert_eq!(g.shard_used(0), 0);
    }

    #[test]
    fn a_helper_thread_can_count_in_a_shards_slot() {
        let (tx, rx) = std::sync::mpsc::channel();
        let owner = std::thread::spawn(move || {
            let slot = claim_slot().unwrap();
            record(3 * FLUSH_BYTES);
            tx.send(slot).unwrap();
            slot
        });
        let slot = rx.recv().unwrap();
        std::thread::spawn(move || {
            // Freeing the shard's memory elsewhere gives it back to the shard.
            count_in(slot, || record(-FLUSH_BYTES));
            assert_eq!(current_slot(), 0);
        })
        .join()
        .unwrap();
        assert_eq!(slot_used(slot), 2 * FLUSH_BYTES);
        assert_eq!(owner.join().unwrap(), slot);
    }
}
