//! Per-command figures: calls, time, failures and rejections (INFO
//! commandstats), error replies by code (INFO errorstats) and latency
//! histograms (INFO latencystats, LATENCY HISTOGRAM).
//!
//! Each shard thread keeps its own [`CmdStats`] in its [`Shard`], written
//! only by that thread with no atomics, in vectors indexed by the command
//! table's row numbers ([`ferrite_commands::CommandTable::id_of`]) in its
//! `Shard`. A command
//! is counted by the thread that runs it; INFO sums the threads' tables.
//! Commands that span shards or concern the server (MSET over shards, EXEC,
//! CONFIG) are counted by the connection's thread, with the time from start
//! to reply.

use hdrhistogram::Histogram;

/// Smallest latency a histogram tells apart, in nanoseconds.
const HIST_MIN_NS: u64 = 1;
/// Largest latency a histogram records (longer ones count as this), in
/// nanoseconds: one second, as Redis.
const HIST_MAX_NS: u64 = 1_000_000_000;
/// Significant decimal digits of a histogram, as Redis.
const HIST_DIGITS: u8 = 2;
/// At most this many distinct error codes are counted; one more empties the
/// table and stops counting codes until CONFIG RESETSTAT, as Redis does.
pub const MAX_ERROR_CODES: usize = 128;

/// One command's figures on one thread.
#[derive(Debug, Default, Clone)]
pub struct CmdStat {
    /// Times it ran.
    pub calls: u64,
    /// Time spent running it, in nanoseconds.
    pub ns: u64,
    /// Times it was refused before running (arity, NOAUTH, BUSY, ...).
    pub rejected: u64,
    /// Times it ran and answered an error.
    pub failed: u64,
    /// Its latencies, created at its first call while latency-tracking is on.
    pub hist: Option<Box<Histogram<u64>>>,
}

impl CmdStat {
    /// True when INFO commandstats lists it.
    pub fn is_used(&self) -> bool {
        self.calls > 0 || self.rejected > 0 || self.failed > 0
    }

    /// Adds `other`'s figures to this one.
    pub fn merge(&mut self, other: &CmdStat) {
        self.calls += other.calls;
        self.ns += other.ns;
        self.rejected += other.rejected;
        self.failed += other.failed;
        if let Some(h) = &other.hist {
            match &mut self.hist {
                Some(mine) => {
                    // Same bounds on both sides: adding cannot fail.
                    let _ = mine.add(h.as_ref());
                }
                None => self.hist = Some(h.clone()),
            }
        }
    }
}

/// One thread's per-command and per-error figures.
#[derive(Debug, Default, Clone)]
pub struct CmdStats {
    /// By command row number.
    pub per: Vec<CmdStat>,
    /// Error replies by code (the error's first word), in first-seen order.
    pub errors: Vec<(Box<[u8]>, u64)>,
    /// Every error reply sent (`total_error_replies`).
    pub total_errors: u64,
    /// Set when more than [`MAX_ERROR_CODES`] codes were seen.
    pub errors_disabled: bool,
}

impl CmdStats {
    fn slot(&mut self, id: usize) -> &mut CmdStat {
        if id >= self.per.len() {
            self.per.resize_with(id + 1, CmdStat::default);
        }
        &mut self.per[id]
    }

    /// Counts one run of command `id` that took `ns`; `track` records its
    /// latency in the command's histogram (latency-tracking).
    #[inline]
    pub fn call(&mut self, id: usize, ns: u64, failed: bool, track: bool) {
        let s = self.slot(id);
        s.calls += 1;
        s.ns += ns;
        if failed {
            s.failed += 1;
        }
        if track {
            if s.hist.is_none() {
                s.hist = new_histogram();
            }
            if let Some(h) = &mut s.hist {
                h.saturating_record(ns.clamp(HIST_MIN_NS, HIST_MAX_NS));
            }
        }
    }

    /// Counts a refusal of command `id` before it ran.
    pub fn rejected(&mut self, id: usize) {
        self.slot(id).rejected += 1;
    }

    /// Counts one error reply by its code: the text up to the first space
    /// (a leading `-` is not part of it).
    pub fn error(&mut self, text: &[u8]) {
        self.total_errors += 1;
        if self.errors_disabled {
            return;
        }
        let text = text.strip_prefix(b"-").unwrap_or(text);
        let code = text.split(|&b| b == b' ').next().unwrap_or_default();
        if let Some(e) = self.errors.iter_mut().find(|(c, _)| &c[..] == code) {
            e.1 += 1;
            return;
        }
        if self.errors.len() >= MAX_ERROR_CODES {
            self.errors.clear();
            self.errors_disabled = true;
            tracing::warn!(
                "errorstats disabled: more than {MAX_ERROR_CODES} distinct error codes; CONFIG RESETSTAT enables them again"
            );
            return;
        }
        self.errors.push((code.into(), 1));
    }

    /// Adds another thread's figures to these.
    pub fn merge(&mut self, other: &CmdStats) {
        for (id, s) in other.per.iter().enumerate() {
            if s.is_used() {
                self.slot(id).merge(s);
            }
        }
        for (code, n) in &other.errors {
            match self.errors.iter_mut().find(|(c, _)| c == code) {
                Some(e) => e.1 += n,
                None => self.errors.push((code.clone(), *n)),
            }
        }
        self.total_errors += other.total_errors;
        self.errors_disabled |= other.errors_disabled;
    }
}

/// A histogram with Redis's bounds and precision (constant, valid bounds:
/// creation cannot fail).
fn new_histogram() -> Option<Box<Histogram<u64>>> {
    Histogram::new_with_bounds(HIST_MIN_NS, HIST_MAX_NS, HIST_DIGITS)
        .ok()
        .map(Box::new)
}

/// The latency at `percentile` (0..=100) in microseconds, as INFO
/// latencystats prints it.
pub fn percentile_usec(h: &Histogram<u64>, percentile: f64) -> f64 {
    h.value_at_percentile(percentile) as f64 / 1000.0
}

/// LATENCY HISTOGRAM's buckets: (upper bound in microseconds, calls at or
/// below it), for each power-of-two bucket from 1 µs that holds calls.
pub fn cumulative_buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut total = 0;
    for v in h.iter_log(1024, 2.0) {
        let n = v.count_since_last_iteration();
        if n == 0 {
            continue;
        }
        total += n;
        out.push((v.value_iterated_to().div_ceil(1000), total));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_their_first_word() {
        let mut s = CmdStats::default();
        s.error(b"ERR syntax error");
        s.error(b"-WRONGTYPE Operation against a key");
        s.error(b"ERR value is not an integer");
        s.error(b"NOSCRIPT");
        assert_eq!(s.total_errors, 4);
        let codes: Vec<(&[u8], u64)> = s.errors.iter().map(|(c, n)| (&c[..], *n)).collect();
        assert_eq!(
            codes,
            vec![
                (&b"ERR"[..], 2),
                (&b"WRONGTYPE"[..], 1),
                (&b"NOSCRIPT"[..], 1)
            ]
        );
    }

    #[test]
    fn too_many_error_codes_stop_the_table_but_not_the_total() {
        let mut s = CmdStats::default();
        for i in 0..=MAX_ERROR_CODES {
            s.error(format!("E{i} x").as_bytes());
        }
        assert!(s.errors_disabled);
        assert!(s.errors.is_empty());
        s.error(b"ERR again");
        assert!(s.errors.is_empty());
        assert_eq!(s.total_errors, MAX_ERROR_CODES as u64 + 2);
    }

    #[test]
    fn calls_merge_across_threads_with_their_histograms() {
        let mut a = CmdStats::default();
        let mut b = CmdStats::default();
        a.call(3, 2_000, false, true);
        b.call(3, 4_000, true, true);
        b.rejected(7);
        a.merge(&b);
        let s = &a.per[3];
        assert_eq!((s.calls, s.ns, s.failed), (2, 6_000, 1));
        let h = s.hist.as_ref().unwrap();
        assert_eq!(h.len(), 2);
        let p50 = percentile_usec(h, 50.0);
        assert!((1.9..2.1).contains(&p50), "{p50}");
        let p100 = percentile_usec(h, 100.0);
        assert!((3.9..4.1).contains(&p100), "{p100}");
        assert_eq!(a.per[7].rejected, 1);
        assert!(!a.per[5].is_used());
    }

    #[test]
    fn histogram_buckets_are_cumulative_powers_of_two() {
        let mut s = CmdStats::default();
        for ns in [500, 1_500, 1_600, 300_000] {
            s.call(0, ns, false, true);
        }
        let b = cumulative_buckets(s.per[0].hist.as_ref().unwrap());
        assert_eq!(b.last().map(|x| x.1), Some(4));
        assert!(
            b.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "{b:?}"
        );
        assert_eq!(b.first(), Some(&(2, 1)));
    }
}
