//! CLIENT PAUSE / UNPAUSE: holding clients' commands for a while (during a
//! failover, say) without refusing them.
//!
//! While a pause lasts, a command it covers waits in the dispatcher, after
//! the checks that may refuse it and before it runs, so it runs (in order)
//! once the pause ends: `ALL` covers every command, `WRITE` the commands
//! that may change data (`write` and `may_replicate` flags, EVAL, EVALSHA,
//! FCALL, and EXEC of a transaction holding one of those). Commands queued
//! in MULTI are not held, as in Redis. Active expiry stops meanwhile, so the
//! data does not change under a paused server. A waiting client shows the
//! `b` flag and counts in `blocked_clients`, as in Redis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ferrite_commands::{CommandSpec, Exec, Flags, RuntimeCmd};
use tokio::sync::Notify;
use tokio::time::Instant;

/// What a pause holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// Commands that may write.
    Write,
    /// Every command.
    All,
}

/// The server's pause state.
#[derive(Debug, Default)]
pub struct Pause {
    /// Set while a pause may be in effect: the per-command check reads only this.
    active: AtomicBool,
    state: Mutex<Option<(Instant, Mode)>>,
    /// Woken by CLIENT UNPAUSE (and by a pause that was extended).
    changed: Notify,
}

impl Pause {
    /// True when a pause may hold commands.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Pauses for `ms` milliseconds in `mode`. A pause already in effect
    /// keeps the later end and the wider mode, as in Redis.
    pub fn pause(&self, ms: u64, mode: Mode) {
        let end = Instant::now()
            .checked_add(Duration::from_millis(ms))
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400));
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *g = Some(match *g {
            Some((e, m)) if Instant::now() < e => (e.max(end), m.max(mode)),
            _ => (end, mode),
        });
        self.active.store(true, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// Ends the pause now.
    pub fn unpause(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.active.store(false, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// The end and mode of the pause in effect, if any (an expired pause is
    /// cleared here).
    pub fn current(&self) -> Option<(Instant, Mode)> {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *g {
            Some((end, mode)) if Instant::now() < end => Some((end, mode)),
            Some(_) => {
                *g = None;
                self.active.store(false, Ordering::Relaxed);
                None
            }
            None => None,
        }
    }

    /// True when the pause in effect holds `spec` (`tx_writes`: for EXEC,
    /// whether its transaction holds a command that may write).
    pub fn holds(&self, spec: &CommandSpec, tx_writes: bool) -> bool {
        match self.current() {
            None => false,
            Some((_, Mode::All)) => true,
            Some((_, Mode::Write)) => may_write(spec) || (is_exec(spec) && tx_writes),
        }
    }

    /// Waits until no pause holds `spec`.
    pub async fn wait(&self, spec: &CommandSpec, tx_writes: bool) {
        loop {
            let Some((end, _)) = self.current() else {
                return;
            };
            if !self.holds(spec, tx_writes) {
                return;
            }
            let changed = self.changed.notified();
            tokio::select! {
                _ = tokio::time::sleep_until(end) => {}
                _ = changed => {}
            }
        }
    }
}

fn is_exec(spec: &CommandSpec) -> bool {
    matches!(spec.exec, Exec::Runtime(RuntimeCmd::Exec))
}

/// True for the commands a WRITE pause holds.
pub fn may_write(spec: &CommandSpec) -> bool {
    spec.flags
        .intersects(Flags::WRITE.union(Flags::MAY_REPLICATE))
        || matches!(spec.name, "eval" | "evalsha" | "fcall")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_keeps_the_later_end_and_the_wider_mode() {
        let p = Pause::default();
        assert!(p.current().is_none());
        p.pause(10_000, Mode::All);
        p.pause(10, Mode::Write);
        let (end, mode) = p.current().unwrap();
        assert_eq!(mode, Mode::All);
        assert!(end >= Instant::now() + Duration::from_secs(9));
        p.unpause();
        assert!(p.current().is_none());
        assert!(!p.is_active());
        p.pause(1, Mode::Write);
        std::thread::sleep(Duration::from_millis(5));
        assert!(p.current().is_none());
        assert!(!p.is_active());
    }
}
