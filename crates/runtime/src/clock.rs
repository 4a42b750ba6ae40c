//! The clock that times commands (INFO commandstats, SLOWLOG, LATENCY).
//!
//! Every command is timed, so the clock read is on the hot path: through
//! the `quanta` crate it is the CPU's time-stamp counter where that is
//! invariant (about 10 ns a read, against about 25 ns for `Instant::now`,
//! which asks `clock_gettime`), converted to nanoseconds only for the
//! difference. Elsewhere quanta falls back to the OS's monotonic clock.

use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();

fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Calibrates the clock (once per process): call before serving, so that
/// no command pays for it.
pub fn init() {
    let _ = clock();
}

/// A reading to pass to [`since_ns`].
#[inline]
pub fn now() -> u64 {
    clock().raw()
}

/// Nanoseconds since the reading `start`.
#[inline]
pub fn since_ns(start: u64) -> u64 {
    let c = clock();
    c.delta_as_nanos(start, c.raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_measure_elapsed_time() {
        let t = now();
        let wall = std::time::Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let ns = since_ns(t);
        let real = wall.elapsed().as_nanos() as u64;
        assert!(ns >= 15_000_000, "{ns}");
        assert!(ns <= real + 5_000_000, "{ns} vs {real}");
    }
}
