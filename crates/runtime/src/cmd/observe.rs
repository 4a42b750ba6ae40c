//! SLOWLOG and LATENCY: reading the slow log, the latency monitor and the
//! per-command latency histograms (`crate::observe`, `crate::cmdstats`).

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult, CommandSpec, Exec};
use ferrite_storage::num::parse_i64;

use crate::cmdstats::CmdStats;
use crate::conn::{Conn, Session};
use crate::coord;

const SLOWLOG_HELP: &[&str] = &[
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
];

const LATENCY_HELP: &[&str] = &[
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
];

/// SLOWLOG GET [count] | LEN | RESET | HELP
pub fn slowlog(s: &mut Session, conn: &Conn, spec: &CommandSpec, argv: &[Bytes]) -> CmdResult {
    let log = &s.worker.shared.slowlog;
    match spec.name {
        "slowlog|get" => {
            let count = match argv.get(2) {
                None => Some(10),
                Some(a) => match parse_i64(a) {
                    Some(-1) => None,
                    Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                    _ => {
                        return Err(CmdError::other(
                            "ERR count should be greater than or equal to -1",
                        ))
                    }
                },
            };
            if argv.len() > 3 {
                return Err(CmdError::wrong_arity(b"slowlog|get"));
            }
            let entries = log.newest(count);
            let mut w = s.writer(conn.resp3);
            w.array(entries.len());
            for e in &entries {
                w.array(6);
                w.int(e.id as i64);
                w.int(e.time as i64);
                w.int(e.us as i64);
                w.array(e.args.len());
                for a in &e.args {
                    w.bulk(a);
                }
                w.bulk(e.addr.as_bytes());
                w.bulk(&e.name);
            }
        }
        "slowlog|len" => {
            let n = log.len();
            s.writer(conn.resp3).int(n as i64);
        }
        "slowlog|reset" => {
            log.reset();
            s.writer(conn.resp3).simple(b"OK");
        }
        _ => super::server::write_help(s, conn, SLOWLOG_HELP),
    }
    Ok(())
}

/// LATENCY LATEST | HISTORY event | RESET [event ...] | GRAPH event |
/// DOCTOR | HISTOGRAM [command ...] | HELP
pub async fn latency(
    s: &mut Session,
    conn: &Conn,
    spec: &CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let mon = &shared.latency;
    match spec.name {
        "latency|latest" => {
            let events = mon.snapshot();
            let mut w = s.writer(conn.resp3);
            w.array(events.len());
            for (name, series) in &events {
                let (time, last) = series.samples.back().copied().unwrap_or_default();
                w.array(4);
                w.bulk(name.as_bytes());
                w.int(time as i64);
                w.int(last as i64);
                w.int(series.max as i64);
            }
        }
        "latency|history" => {
            let series = mon.series(&argv[2]).unwrap_or_default();
            let mut w = s.writer(conn.resp3);
            w.array(series.samples.len());
            for (time, ms) in &series.samples {
                w.array(2);
                w.int(*time as i64);
                w.int(*ms as i64);
            }
        }
        "latency|reset" => {
            let n = mon.reset(argv.get(2..).unwrap_or_default());
            s.writer(conn.resp3).int(n as i64);
        }
        "latency|graph" => {
            let name = String::from_utf8_lossy(&argv[2]).into_owned();
            let Some(series) = mon.series(&argv[2]).filter(|s| !s.samples.is_empty()) else {
                return Err(CmdError::other(format!(
                    "ERR No samples available for event '{name}'"
                )));
            };
            let text = graph(&name, &series);
            s.writer(conn.resp3).verbatim(b"txt", text.as_bytes());
        }
        "latency|doctor" => {
            let text = doctor(&shared, &mon.snapshot());
            s.writer(conn.resp3).verbatim(b"txt", text.as_bytes());
        }
        "latency|histogram" => {
            let per_shard =
                coord::fan_out(&s.worker, s.held_tx(), |sh| sh.cmdstats.clone()).await?;
            let mut all = CmdStats::default();
            for c in &per_shard {
                all.merge(c);
            }
            histogram(s, conn, &all, argv.get(2..).unwrap_or_default());
        }
        _ => super::server::write_help(s, conn, LATENCY_HELP),
    }
    Ok(())
}

/// LATENCY HISTOGRAM's reply: per command (the named ones, a container
/// name standing for its subcommands; all when none is named) that has a
/// histogram, its calls and cumulative power-of-two buckets.
fn histogram(s: &mut Session, conn: &Conn, all: &CmdStats, names: &[Bytes]) {
    let table = &s.worker.shared.table;
    let with_hist = |spec: &'static CommandSpec| {
        all.per
            .get(table.id_of(spec))
            .filter(|c| c.hist.is_some())
            .map(|c| (spec, c))
    };
    let mut picked = Vec::new();
    if names.is_empty() {
        for id in 0..all.per.len() {
            if let Some(spec) = table.by_id(id) {
                picked.extend(with_hist(spec));
            }
        }
    } else {
        for n in names {
            let full = String::from_utf8_lossy(n).to_ascii_lowercase();
            let spec = match full.split_once('|') {
                Some((top, sub)) => table
                    .get(top.as_bytes())
                    .and_then(|t| t.subcommand(sub.as_bytes())),
                None => table.get(n),
            };
            let Some(spec) = spec else { continue };
            if let Exec::Container = spec.exec {
                for sub in spec.subcommands {
                    picked.extend(with_hist(sub));
                }
            } else {
                picked.extend(with_hist(spec));
            }
        }
    }
    let mut w = s.writer(conn.resp3);
    w.map(picked.len());
    for (spec, c) in picked {
        w.bulk(spec.name.as_bytes());
        w.map(2);
        w.bulk(b"calls");
        w.int(c.calls as i64);
        w.bulk(b"histogram_usec");
        let buckets = c
            .hist
            .as_deref()
            .map(crate::cmdstats::cumulative_buckets)
            .unwrap_or_default();
        w.map(buckets.len());
        for (us, n) in buckets {
            w.int(us as i64);
            w.int(n as i64);
        }
    }
}

/// MONITOR: from now on the client receives every command the server runs.
pub fn monitor(s: &mut Session, conn: &mut Conn) -> CmdResult {
    if conn.multi.is_some() {
        return Err(CmdError::other(
            "ERR MONITOR isn't allowed for DEBUG/MULTI clients",
        ));
    }
    s.worker
        .shared
        .monitors
        .add(conn.id, conn.info.mailbox.clone());
    conn.info.flags.fetch_or(
        crate::clients::flag::MONITOR,
        std::sync::atomic::Ordering::Relaxed,
    );
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Rows of the ASCII graph.
const GRAPH_ROWS: u64 = 4;

/// An event's samples drawn as columns of `#`, oldest left, each labelled
/// below with its age (`s`, `m`, `h` units), under a summary line.
fn graph(name: &str, series: &crate::observe::LatencySeries) -> String {
    let samples: Vec<(u64, u64)> = series.samples.iter().copied().collect();
    let high = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let low = samples.iter().map(|s| s.1).min().unwrap_or(0);
    let mut out = format!(
        "{name} - high {high} ms, low {low} ms (all time high {} ms)\n",
        series.max
    );
    out.push_str(&"-".repeat(80));
    out.push('\n');
    for row in (1..=GRAPH_ROWS).rev() {
        let line: String = samples
            .iter()
            .map(|&(_, ms)| {
                let level = if high == 0 {
                    0
                } else {
                    (ms * GRAPH_ROWS).div_ceil(high)
                };
                if level >= row {
                    '#'
                } else {
                    ' '
                }
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let now = crate::server::Shared::now_ms() / 1000;
    let ages: Vec<String> = samples
        .iter()
        .map(|&(t, _)| {
            let age = now.saturating_sub(t);
            match age {
                0..=59 => format!("{age}s"),
                60..=3599 => format!("{}m", age / 60),
                _ => format!("{}h", age / 3600),
            }
        })
        .collect();
    let tall = ages.iter().map(|a| a.len()).max().unwrap_or(0);
    for i in 0..tall {
        let line: String = ages
            .iter()
            .map(|a| a.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// LATENCY DOCTOR: a short report, in Ferrite's words, of every event's
/// spikes, with what the operator may look at.
fn doctor(
    shared: &crate::server::Shared,
    events: &[(&'static str, crate::observe::LatencySeries)],
) -> String {
    let (threshold, slowlog_us) = {
        let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
        (cfg.latency_monitor_threshold, cfg.slowlog_log_slower_than)
    };
    if events.iter().all(|(_, s)| s.samples.is_empty()) {
        return if threshold == 0 {
            "The latency monitor is off: set latency-monitor-threshold (in milliseconds) \
             with CONFIG SET to record latency spikes.\n"
                .to_owned()
        } else {
            format!(
                "No latency spike at or above {threshold} ms has been recorded since start \
                 (or the last LATENCY RESET).\n"
            )
        };
    }
    let mut out = "Latency spikes recorded, by event:\n\n".to_owned();
    for (i, (name, s)) in events.iter().enumerate() {
        let n = s.samples.len() as u64;
        if n == 0 {
            continue;
        }
        let sum: u64 = s.samples.iter().map(|x| x.1).sum();
        let avg = sum / n;
        let dev = s.samples.iter().map(|x| x.1.abs_diff(avg)).sum::<u64>() / n;
        let first = s.samples.front().map_or(0, |x| x.0);
        let last = s.samples.back().map_or(0, |x| x.0);
        let period = if n > 1 { (last - first) / (n - 1) } else { 0 };
        out.push_str(&format!(
            "{}. {name}: {n} spikes, average {avg} ms, mean deviation {dev} ms, one every {period} s; worst ever {} ms.\n",
            i + 1,
            s.max
        ));
    }
    out.push_str("\nWhat to look at:\n");
    if events.iter().any(|(e, _)| e.ends_with("command")) {
        if threshold > 0 && (slowlog_us < 0 || slowlog_us as u64 > threshold * 1000) {
            out.push_str(&format!(
                "- The slow log misses commands this slow: CONFIG SET slowlog-log-slower-than {}.\n",
                threshold * 1000
            ));
        }
        out.push_str(
            "- SLOWLOG GET names the slow commands; commands over large values (KEYS, SMEMBERS, \
             HGETALL, LRANGE 0 -1, SORT, DEL of big keys) take time proportional to their size.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::LatencySeries;

    #[test]
    fn graph_draws_one_column_per_sample() {
        let now = crate::server::Shared::now_ms() / 1000;
        let s = LatencySeries {
            samples: [(now - 120, 10), (now - 5, 40)].into_iter().collect(),
            max: 40,
        };
        let g = graph("command", &s);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 40 ms, low 10 ms (all time high 40 ms)"
        );
        assert_eq!(lines[2], " #");
        assert_eq!(lines[5], "##");
        assert!(lines[6].starts_with('2') && lines[6].ends_with('5'), "{g}");
    }
}
