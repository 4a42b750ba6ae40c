//! A counting global allocator: the system allocator plus a running total of
//! the bytes handed out, for INFO's `used_memory` and `used_memory_peak`.
//!
//! Install it in a binary (or in a library that every test binary links) with
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: ferrite_runtime::alloc::CountingAlloc = ferrite_runtime::alloc::CountingAlloc;
//! ```
//!
//! Every thread keeps its own running delta and adds it to the shared total
//! only once it has moved by [`FLUSH_BYTES`], so the allocation hot path touches
//! nothing but a thread-local cell and the shared atomic stays uncontended.
//! The price is precision: the total can be off by up to [`FLUSH_BYTES`] per
//! live thread, and the unflushed delta of a thread that exits is lost (there
//! is no destructor to flush it, because registering one from inside the
//! allocator could itself allocate).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// A thread flushes its delta to the shared total once it reaches this size.
pub const FLUSH_BYTES: i64 = 64 * 1024;

/// Bytes allocated and not yet freed, as flushed by all threads.
static USED: AtomicI64 = AtomicI64::new(0);
/// The largest value `USED` has had since start (or the last reset).
static PEAK: AtomicU64 = AtomicU64::new(0);
/// Set at the first flush: tells INFO that the figures are real.
static ACTIVE: AtomicBool = AtomicBool::new(false);

thread_local! {
    // A `const` initializer and a type without `Drop`: reading it never
    // allocates and never registers a destructor, which an allocator needs.
    static PENDING: Cell<i64> = const { Cell::new(0) };
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
}
