//! What happens after each command runs: its figures are counted
//! ([`crate::cmdstats`]), and a slow one enters the slow log (SLOWLOG) and
//! the latency monitor (LATENCY).
//!
//! The thresholds are copied into every shard ([`ObserveSettings`], pushed by
//! CONFIG SET), so the common case, a fast command, reads only its own
//! thread's memory. The slow log and the latency monitor are shared by all
//! threads behind mutexes: they are written only by slow commands.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use ferrite_commands::Flags;

use crate::server::Shared;
use crate::shard::Shard;

/// The thresholds a shard checks after every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObserveSettings {
    /// `slowlog-log-slower-than` in microseconds (negative: off).
    pub slowlog_us: i64,
    /// `latency-monitor-threshold` in milliseconds (0: off).
    pub latency_ms: u64,
    /// `latency-tracking`: per-command histograms.
    pub tracking: bool,
}

impl Default for ObserveSettings {
    fn default() -> Self {
        ObserveSettings {
            slowlog_us: 10_000,
            latency_ms: 0,
            tracking: true,
        }
    }
}

impl ObserveSettings {
    /// The thresholds of a configuration.
    pub fn from_config(cfg: &ferrite_config::Config) -> ObserveSettings {
        ObserveSettings {
            slowlog_us: cfg.slowlog_log_slower_than,
            latency_ms: cfg.latency_monitor_threshold,
            tracking: cfg.latency_tracking,
        }
    }
}

/// Counts a command that ran on `shard` for `ns` nanoseconds, and logs it
/// if it was slow. `client` is the id of the client that sent it (0: the
/// server itself).
#[inline]
pub fn record(shard: &mut Shard, id: usize, client: u64, argv: &[Bytes], ns: u64, failed: bool) {
    let obs = shard.observe;
    shard.cmdstats.call(id, ns, failed, obs.tracking);
    let us = ns / 1000;
    let slow = obs.slowlog_us >= 0 && us >= obs.slowlog_us as u64;
    let spike = obs.latency_ms > 0 && us / 1000 >= obs.latency_ms;
    if slow || spike {
        if let Some(hub) = shard.hub.clone() {
            slow_command(&hub, id, client, argv, us, slow, spike);
        }
    }
}

#[cold]
fn slow_command(
    hub: &Shared,
    id: usize,
    client: u64,
    argv: &[Bytes],
    us: u64,
    slow: bool,
    spike: bool,
) {
    let Some(spec) = hub.table.by_id(id) else {
        return;
    };
    if spike {
        let event = if spec.flags.contains(Flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        hub.latency.add(event, us / 1000);
    }
    if slow && !spec.flags.contains(Flags::SKIP_SLOWLOG) {
        let (addr, name) = match hub.clients.get(client) {
            Some(c) => (c.addr_text.clone(), c.name()),
            None => (String::new(), Vec::new()),
        };
        let max_len = hub
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .slowlog_max_len;
        hub.slowlog.push(spec.name, argv, us, addr, name, max_len);
    }
}

/// Arguments kept per slow-log entry; the last one says how many more there were.
const SLOWLOG_MAX_ARGS: usize = 32;
/// Bytes kept per argument; the rest is summarized.
const SLOWLOG_MAX_ARG_LEN: usize = 128;

/// One slow-log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    /// Increasing id (not reset by SLOWLOG RESET).
    pub id: u64,
    /// Unix time, in seconds, at which it was logged.
    pub time: u64,
    /// Execution time in microseconds.
    pub us: u64,
    /// The arguments, shortened and redacted.
    pub args: Vec<Bytes>,
    /// The client's address (`ip:port`).
    pub addr: String,
    /// The client's name.
    pub name: Vec<u8>,
}

/// The slow log: the latest commands that ran longer than
/// `slowlog-log-slower-than`, newest first.
#[derive(Debug, Default)]
pub struct SlowLog {
    inner: Mutex<SlowInner>,
}

#[derive(Debug, Default)]
struct SlowInner {
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl SlowLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlowInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Logs a command (`name` is its full row name, `config|set`), keeping
    /// at most `max_len` entries.
    pub fn push(
        &self,
        name: &str,
        argv: &[Bytes],
        us: u64,
        addr: String,
        client_name: Vec<u8>,
        max_len: u64,
    ) {
        let args = slowlog_args(name, argv);
        let time = Shared::now_ms() / 1000;
        let mut g = self.lock();
        let id = g.next_id;
        g.next_id += 1;
        g.entries.push_front(SlowEntry {
            id,
            time,
            us,
            args,
            addr,
            name: client_name,
        });
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        g.entries.truncate(max);
    }

    /// The newest `count` entries (all of them when `None`).
    pub fn newest(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let g = self.lock();
        let n = count.unwrap_or(g.entries.len()).min(g.entries.len());
        g.entries.iter().take(n).cloned().collect()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry (ids go on increasing).
    pub fn reset(&self) {
        self.lock().entries.clear();
    }

    /// Drops the oldest entries beyond `max_len` (after CONFIG SET
    /// slowlog-max-len).
    pub fn trim(&self, max_len: u64) {
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.lock().entries.truncate(max);
    }
}

/// Which arguments of a command are secret, by its row name: they are
/// logged as `(redacted)` (SLOWLOG, MONITOR), as Redis does.
pub fn redacted(name: &str, argv: &[Bytes]) -> Vec<bool> {
    let mut secret = vec![false; argv.len()];
    let mut hide_from = |i: usize| {
        for s in secret.iter_mut().skip(i) {
            *s = true;
        }
    };
    match name {
        "auth" => hide_from(1),
        "acl|setuser" => hide_from(2),
        "hello" => {
            if let Some(i) = argv
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"auth"))
                .filter(|&i| i >= 2)
            {
                for s in secret.iter_mut().skip(i + 1).take(2) {
                    *s = true;
                }
            }
        }
        "migrate" => {
            let mut i = 6;
            while i < argv.len() {
                if argv[i].eq_ignore_ascii_case(b"auth") {
                    if let Some(s) = secret.get_mut(i + 1) {
                        *s = true;
                    }
                    i += 2;
                } else if argv[i].eq_ignore_ascii_case(b"auth2") {
                    for s in secret.iter_mut().skip(i + 1).take(2) {
                        *s = true;
                    }
                    i += 3;
                } else if argv[i].eq_ignore_ascii_case(b"keys") {
                    break;
                } else {
                    i += 1;
                }
            }
        }
        "config|set" => {
            let mut i = 2;
            while i + 1 < argv.len() {
                let k = &argv[i];
                if k.eq_ignore_ascii_case(b"requirepass")
                    || k.eq_ignore_ascii_case(b"masterauth")
                    || k.eq_ignore_ascii_case(b"masteruser")
                    || k.eq_ignore_ascii_case(b"tls-key-file-pass")
                    || k.eq_ignore_ascii_case(b"tls-client-key-file-pass")
                {
                    secret[i + 1] = true;
                }
                i += 2;
            }
        }
        _ => {}
    }
    secret
}

const REDACTED: &[u8] = b"(redacted)";

/// A command's arguments as the slow log keeps them: at most 32 (the last
/// saying how many more there were), each at most 128 bytes (plus how many
/// more there were), secrets redacted.
fn slowlog_args(name: &str, argv: &[Bytes]) -> Vec<Bytes> {
    let secret = redacted(name, argv);
    let shown = if argv.len() > SLOWLOG_MAX_ARGS {
        SLOWLOG_MAX_ARGS - 1
    } else {
        argv.len()
    };
    let mut out = Vec::with_capacity(shown + 1);
    for (a, &hide) in argv.iter().zip(&secret).take(shown) {
        if hide {
            out.push(Bytes::from_static(REDACTED));
        } else if a.len() > SLOWLOG_MAX_ARG_LEN {
            let mut v = a[..SLOWLOG_MAX_ARG_LEN].to_vec();
            v.extend_from_slice(
                format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_ARG_LEN).as_bytes(),
            );
            out.push(Bytes::from(v));
        } else {
            out.push(a.clone());
        }
    }
    if argv.len() > shown {
        out.push(Bytes::from(format!(
            "... ({} more arguments)",
            argv.len() - shown
        )));
    }
    out
}

/// Samples kept per latency event, as Redis.
const LATENCY_SAMPLES: usize = 160;

/// One latency event's history.
#[derive(Debug, Clone, Default)]
pub struct LatencySeries {
    /// (Unix seconds, milliseconds), oldest first; one sample per second
    /// (the largest of that second).
    pub samples: VecDeque<(u64, u64)>,
    /// The largest latency ever seen for this event.
    pub max: u64,
}

/// The latency monitor: per event, the spikes at or above
/// `latency-monitor-threshold`.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    events: Mutex<Vec<(&'static str, LatencySeries)>>,
}

impl LatencyMonitor {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, LatencySeries)>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a latency of `ms` for `event` now.
    pub fn add(&self, event: &'static str, ms: u64) {
        let now = Shared::now_ms() / 1000;
        let mut g = self.lock();
        let i = match g.iter().position(|(e, _)| *e == event) {
            Some(i) => i,
            None => {
                g.push((event, LatencySeries::default()));
                g.len() - 1
            }
        };
        let series = &mut g[i].1;
        series.max = series.max.max(ms);
        match series.samples.back_mut() {
            Some(last) if last.0 == now => last.1 = last.1.max(ms),
            _ => {
                series.samples.push_back((now, ms));
                if series.samples.len() > LATENCY_SAMPLES {
                    series.samples.pop_front();
                }
            }
        }
    }

    /// Every event with its series, in first-seen order.
    pub fn snapshot(&self) -> Vec<(&'static str, LatencySeries)> {
        self.lock().clone()
    }

    /// One event's series.
    pub fn series(&self, event: &[u8]) -> Option<LatencySeries> {
        self.lock()
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(_, s)| s.clone())
    }

    /// Forgets the named events (all when `names` is empty); returns how
    /// many were forgotten.
    pub fn reset(&self, names: &[Bytes]) -> usize {
        let mut g = self.lock();
        let before = g.len();
        if names.is_empty() {
            g.clear();
        } else {
            g.retain(|(e, _)| !names.iter().any(|n| n.eq_ignore_ascii_case(e.as_bytes())));
        }
        before - g.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    fn texts(v: &[Bytes]) -> Vec<String> {
        v.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn long_commands_are_shortened_as_redis_does() {
        let mut a = vec!["rpush".to_owned(), "l".to_owned()];
        a.extend((1..=40).map(|i| i.to_string()));
        let argv: Vec<Bytes> = a.iter().map(|s| Bytes::from(s.clone())).collect();
        let out = texts(&slowlog_args("rpush", &argv));
        assert_eq!(out.len(), 32);
        assert_eq!(out[30], "29");
        assert_eq!(out[31], "... (11 more arguments)");
        let long = "x".repeat(200);
        let out = texts(&slowlog_args("set", &args(&["set", &long, "v"])));
        assert_eq!(out[1], format!("{}... (72 more bytes)", "x".repeat(128)));
        assert_eq!(out[2], "v");
    }

    #[test]
    fn secrets_are_redacted() {
        let r = |name, a: &[&str]| texts(&slowlog_args(name, &args(a)));
        assert_eq!(
            r("auth", &["auth", "u", "p"]),
            ["auth", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            r("hello", &["hello", "3", "AUTH", "u", "p", "SETNAME", "n"]),
            [
                "hello",
                "3",
                "AUTH",
                "(redacted)",
                "(redacted)",
                "SETNAME",
                "n"
            ]
        );
        assert_eq!(
            r(
                "config|set",
                &["config", "set", "hz", "5", "requirepass", "x"]
            ),
            ["config", "set", "hz", "5", "requirepass", "(redacted)"]
        );
        assert_eq!(
            r("acl|setuser", &["acl", "setuser", "u1", ">pw"]),
            ["acl", "setuser", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            r(
                "migrate",
                &["migrate", "h", "1", "k", "0", "10", "AUTH", "pw"]
            ),
            ["migrate", "h", "1", "k", "0", "10", "AUTH", "(redacted)"]
        );
    }

    #[test]
    fn the_slow_log_keeps_the_newest_entries() {
        let log = SlowLog::default();
        for i in 0..5u64 {
            log.push(
                "get",
                &args(&["get", &i.to_string()]),
                i,
                String::new(),
                vec![],
                3,
            );
        }
        let e = log.newest(None);
        assert_eq!(e.iter().map(|e| e.id).collect::<Vec<_>>(), [4, 3, 2]);
        assert_eq!(log.newest(Some(1)).len(), 1);
        log.reset();
        assert!(log.is_empty());
        log.push("get", &args(&["get", "k"]), 1, String::new(), vec![], 3);
        assert_eq!(log.newest(None)[0].id, 5);
    }

    #[test]
    fn latency_keeps_one_sample_per_second_and_the_max() {
        let m = LatencyMonitor::default();
        m.add("command", 5);
        m.add("command", 9);
        m.add("fast-command", 2);
        let s = m.series(b"command").unwrap();
        assert_eq!(s.max, 9);
        assert!(!s.samples.is_empty() && s.samples.len() <= 2);
        assert_eq!(s.samples.back().unwrap().1, 9);
        assert_eq!(m.reset(&[Bytes::from_static(b"COMMAND")]), 1);
        assert_eq!(m.snapshot().len(), 1);
        assert_eq!(m.reset(&[]), 1);
    }
}
