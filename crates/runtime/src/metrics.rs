//! The Prometheus endpoint: `GET /metrics` over HTTP on `metrics-port`
//! (off by default), in the OpenMetrics text format.
//!
//! Metric names are those of oliver006's redis_exporter wherever it has one
//! (`redis_up`, `redis_commands_total{cmd}`, `redis_db_keys{db}`, ...), so
//! dashboards built for Redis work unchanged; the values come from the same
//! figures INFO reports (the scrape renders `INFO everything` and maps its
//! fields as the exporter does). Series no Redis has are named `ferrite_*`:
//! per shard, its keys, commands, queue depth and cross-shard traffic.
//!
//! The endpoint runs on the first shard's thread. The HTTP side is minimal
//! and bounded: one request per connection, at most [`MAX_HEAD`] bytes of
//! request head read within [`READ_TIMEOUT`], at most [`MAX_CONNECTIONS`]
//! connections at once; anything else is answered with a 4xx status and
//! closed. The exposition itself is the `prometheus-client` crate's.

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::info::{Sections, ShardFigures};
use crate::worker::Worker;

/// Largest request head read.
pub const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 16;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Accepts metrics connections until the server stops.
pub async fn serve(worker: Rc<Worker>, listener: TcpListener) {
    let open = Rc::new(Cell::new(0usize));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        if open.get() >= MAX_CONNECTIONS {
            drop(stream);
            continue;
        }
        open.set(open.get() + 1);
        let (w, o) = (worker.clone(), open.clone());
        tokio::task::spawn_local(async move {
            handle(&w, stream).await;
            o.set(o.get() - 1);
        });
    }
}

/// What a request asked for.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    /// `GET /metrics` (`head`: HEAD, no body).
    Metrics { head: bool },
    /// An HTTP error status and its reason.
    Error(u16, &'static str),
}

/// Reads one request head and answers it.
async fn handle(worker: &Rc<Worker>, mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(1024);
    let req = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream, &mut buf)).await {
        Ok(Ok(true)) => parse(&buf),
        Ok(Ok(false)) => Request::Error(431, "Request Header Fields Too Large"),
        // Closed, failed or too slow: nothing to answer.
        Ok(Err(_)) | Err(_) => return,
    };
    let response = match req {
        Request::Metrics { head } => match scrape(worker).await {
            Some(body) => respond(200, "OK", CONTENT_TYPE, &body, head),
            None => respond(
                500,
                "Internal Server Error",
                "text/plain; charset=utf-8",
                "the metrics could not be encoded",
                head,
            ),
        },
        Request::Error(code, reason) => {
            respond(code, reason, "text/plain; charset=utf-8", reason, false)
        }
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// Reads until the end of the request head; false if it passed [`MAX_HEAD`].
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    loop {
        if head_end(buf).is_some() {
            return Ok(true);
        }
        if buf.len() >= MAX_HEAD {
            return Ok(false);
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parses a request head: `METHOD target HTTP/1.x`.
fn parse(buf: &[u8]) -> Request {
    let line_end = buf
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(buf.len());
    let Ok(line) = std::str::from_utf8(&buf[..line_end]) else {
        return Request::Error(400, "Bad Request");
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Request::Error(400, "Bad Request");
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Request::Error(400, "Bad Request");
    }
    let path = target.split('?').next().unwrap_or(target);
    if path != "/metrics" {
        return Request::Error(404, "Not Found");
    }
    match method {
        "GET" => Request::Metrics { head: false },
        "HEAD" => Request::Metrics { head: true },
        _ => Request::Error(405, "Method Not Allowed"),
    }
}

fn respond(code: u16, reason: &str, content_type: &str, body: &str, head: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if code == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// INFO fields the exporter maps to gauges: (field, metric name).
const GAUGES: &[(&str, &str)] = &[
    ("uptime_in_seconds", "uptime_in_seconds"),
    ("process_id", "process_id"),
    ("hz", "hz"),
    ("configured_hz", "configured_hz"),
    ("connected_clients", "connected_clients"),
    ("blocked_clients", "blocked_clients"),
    ("tracking_clients", "tracking_clients"),
    (
        "client_recent_max_output_buffer",
        "client_recent_max_output_buffer_bytes",
    ),
    (
        "client_recent_max_input_buffer",
        "client_recent_max_input_buffer_bytes",
    ),
    ("used_memory", "memory_used_bytes"),
    ("used_memory_rss", "memory_used_rss_bytes"),
    ("used_memory_peak", "memory_used_peak_bytes"),
    ("used_memory_lua", "memory_used_lua_bytes"),
    ("used_memory_overhead", "memory_used_overhead_bytes"),
    ("used_memory_startup", "memory_used_startup_bytes"),
    ("used_memory_dataset", "memory_used_dataset_bytes"),
    ("used_memory_scripts", "memory_used_scripts_bytes"),
    ("maxmemory", "memory_max_bytes"),
    ("mem_fragmentation_ratio", "mem_fragmentation_ratio"),
    ("mem_fragmentation_bytes", "mem_fragmentation_bytes"),
    ("mem_clients_slaves", "mem_clients_slaves"),
    ("mem_clients_normal", "mem_clients_normal"),
    (
        "mem_not_counted_for_evict",
        "mem_not_counted_for_eviction_bytes",
    ),
    ("lazyfree_pending_objects", "lazyfree_pending_objects"),
    ("active_defrag_running", "active_defrag_running"),
    ("expired_stale_perc", "expired_stale_percentage"),
    ("migrate_cached_sockets", "migrate_cached_sockets_total"),
    ("active_defrag_hits", "defrag_hits"),
    ("active_defrag_misses", "defrag_misses"),
    ("active_defrag_key_hits", "defrag_key_hits"),
    ("active_defrag_key_misses", "defrag_key_misses"),
    (
        "expired_time_cap_reached_count",
        "expired_time_cap_reached_total",
    ),
    ("loading", "loading_dump_file"),
    ("rdb_changes_since_last_save", "rdb_changes_since_last_save"),
    ("rdb_bgsave_in_progress", "rdb_bgsave_in_progress"),
    ("rdb_last_save_time", "rdb_last_save_timestamp_seconds"),
    ("rdb_last_bgsave_status", "rdb_last_bgsave_status"),
    ("rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec"),
    (
        "rdb_current_bgsave_time_sec",
        "rdb_current_bgsave_duration_sec",
    ),
    ("rdb_last_cow_size", "rdb_last_cow_size_bytes"),
    ("aof_enabled", "aof_enabled"),
    ("aof_rewrite_in_progress", "aof_rewrite_in_progress"),
    ("aof_rewrite_scheduled", "aof_rewrite_scheduled"),
    ("aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec"),
    (
        "aof_current_rewrite_time_sec",
        "aof_current_rewrite_duration_sec",
    ),
    ("aof_last_cow_size", "aof_last_cow_size_bytes"),
    ("aof_last_bgrewrite_status", "aof_last_bgrewrite_status"),
    ("aof_last_write_status", "aof_last_write_status"),
    ("module_fork_in_progress", "module_fork_in_progress"),
    ("module_fork_last_cow_size", "module_fork_last_cow_size"),
    ("pubsub_channels", "pubsub_channels"),
    ("pubsub_patterns", "pubsub_patterns"),
    ("latest_fork_usec", "latest_fork_usec"),
    ("connected_slaves", "connected_slaves"),
    ("repl_backlog_size", "replication_backlog_bytes"),
    ("repl_backlog_active", "repl_backlog_is_active"),
    (
        "repl_backlog_first_byte_offset",
        "repl_backlog_first_byte_offset",
    ),
    ("repl_backlog_histlen", "repl_backlog_history_bytes"),
    ("master_repl_offset", "master_repl_offset"),
    ("second_repl_offset", "second_repl_offset"),
    ("slave_expires_tracked_keys", "slave_expires_tracked_keys"),
    ("sync_full", "replica_resyncs_full"),
    ("sync_partial_ok", "replica_partial_resync_accepted"),
    ("sync_partial_err", "replica_partial_resync_denied"),
];

/// INFO fields the exporter maps to counters: (field, metric name without
/// the `_total` the exposition appends).
const COUNTERS: &[(&str, &str)] = &[
    ("total_connections_received", "connections_received"),
    ("total_commands_processed", "commands_processed"),
    ("rejected_connections", "rejected_connections"),
    ("total_net_input_bytes", "net_input_bytes"),
    ("total_net_output_bytes", "net_output_bytes"),
    ("expired_keys", "expired_keys"),
    ("evicted_keys", "evicted_keys"),
    ("keyspace_hits", "keyspace_hits"),
    ("keyspace_misses", "keyspace_misses"),
    ("used_cpu_sys", "cpu_sys_seconds"),
    ("used_cpu_user", "cpu_user_seconds"),
    ("used_cpu_sys_children", "cpu_sys_children_seconds"),
    ("used_cpu_user_children", "cpu_user_children_seconds"),
];

/// Everything one scrape reports, gathered before encoding.
#[derive(Debug, Default)]
struct Snapshot {
    /// `INFO everything`'s fields, by section.
    info: Vec<(String, String, String)>,
    shards: Vec<ShardFigures>,
    maxclients: u64,
    slowlog_len: u64,
    slowlog_last: Option<(u64, u64)>,
    latency: Vec<(&'static str, u64, u64)>,
}

impl Snapshot {
    fn field(&self, name: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(_, k, _)| k == name)
            .map(|(_, _, v)| v.as_str())
    }
}

/// Gathers the figures (every shard's, over their inboxes) and encodes them
/// (None if encoding failed: the thread serving data never goes down with
/// it).
async fn scrape(worker: &Rc<Worker>) -> Option<String> {
    let shared = worker.shared.clone();
    let shards = crate::coord::fan_out(worker, None, |sh| {
        crate::info::ShardFigures::collect_with(sh, true, true)
    })
    .await
    .unwrap_or_default();
    let text = crate::info::render(&shared, Sections::ALL, &shards);
    let mut section = String::new();
    let mut info = Vec::new();
    for line in text.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            section = title.to_owned();
        } else if let Some((k, v)) = line.split_once(':') {
            info.push((section.clone(), k.to_owned(), v.to_owned()));
        }
    }
    let maxclients = shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .maxclients;
    let newest = shared.slowlog.newest(Some(1));
    let snap = Snapshot {
        info,
        shards,
        maxclients,
        slowlog_len: shared.slowlog.len() as u64,
        slowlog_last: newest.first().map(|e| (e.id, e.us)),
        latency: shared
            .latency
            .snapshot()
            .into_iter()
            .filter_map(|(ev, s)| s.samples.back().map(|&(t, ms)| (ev, t, ms)))
            .collect(),
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| encode(snap))).ok()
}

/// Encodes a snapshot in the OpenMetrics text format.
fn encode(snap: Snapshot) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector(snap)));
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
        out.clear();
        out.push_str("# EOF\n");
    }
    out
}

#[derive(Debug)]
struct SnapshotCollector(Snapshot);

type Labels<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Writes one family of samples.
fn family(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricType,
    samples: &[(Labels<'_>, f64)],
) -> Result<(), std::fmt::Error> {
    if samples.is_empty() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in samples {
        if labels.is_empty() {
            sample(&mut m, kind, *v)?;
        } else {
            let mut f = m.encode_family(labels)?;
            sample(&mut f, kind, *v)?;
        }
    }
    Ok(())
}

fn sample(
    m: &mut prometheus_client::encoding::MetricEncoder<'_>,
    kind: MetricType,
    v: f64,
) -> Result<(), std::fmt::Error> {
    // Whole numbers print as integers (`7`, not `7.0`), as Redis's own
    // figures are.
    let whole = v.fract() == 0.0 && v.abs() < 9.0e15;
    match kind {
        MetricType::Counter if whole && v >= 0.0 => {
            m.encode_counter::<NoLabelSet, u64, f64>(&(v as u64), None)
        }
        MetricType::Counter => m.encode_counter::<NoLabelSet, f64, f64>(&v, None),
        _ if whole => m.encode_gauge(&(v as i64)),
        _ => m.encode_gauge(&v),
    }
}

fn one(v: f64) -> Vec<(Labels<'static>, f64)> {
    vec![(Vec::new(), v)]
}

fn lbl<'a>(k: &'a str, v: impl Into<Cow<'a, str>>) -> (Cow<'a, str>, Cow<'a, str>) {
    (Cow::Borrowed(k), v.into())
}

/// An INFO value as a number: `ok` statuses are 1, other words 0.
fn number(v: &str) -> Option<f64> {
    match v {
        "ok" => Some(1.0),
        "err" | "fail" => Some(0.0),
        _ => v.parse().ok(),
    }
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        let g = MetricType::Gauge;
        let c = MetricType::Counter;
        family(
            &mut enc,
            "redis_up",
            "Whether the server answers.",
            g,
            &one(1.0),
        )?;
        let field = |k: &str| s.field(k).unwrap_or_default().to_owned();
        let info_labels: Labels<'_> = vec![
            lbl("role", field("role")),
            lbl("redis_version", field("redis_version")),
            lbl("redis_build_id", field("redis_build_id")),
            lbl("redis_mode", field("redis_mode")),
            lbl("os", field("os")),
            lbl("maxmemory_policy", field("maxmemory_policy")),
            lbl("tcp_port", field("tcp_port")),
            lbl("run_id", field("run_id")),
            lbl("process_id", field("process_id")),
            lbl("master_replid", field("master_replid")),
            lbl("ferrite_version", field("ferrite_version")),
        ];
        family(
            &mut enc,
            "redis_instance_info",
            "Information about the server.",
            g,
            &[(info_labels, 1.0)],
        )?;
        if let Some(up) = s.field("uptime_in_seconds").and_then(number) {
            let now = crate::server::Shared::now_ms() as f64 / 1000.0;
            family(
                &mut enc,
                "redis_start_time_seconds",
                "Start time of the server, in Unix seconds.",
                g,
                &one((now - up).floor()),
            )?;
        }
        for (k, name) in GAUGES {
            if let Some(v) = s.field(k).and_then(number) {
                let name = format!("redis_{name}");
                family(&mut enc, &name, &format!("INFO {k}"), g, &one(v))?;
            }
        }
        for (k, name) in COUNTERS {
            if let Some(v) = s.field(k).and_then(number) {
                let name = format!("redis_{name}");
                family(&mut enc, &name, &format!("INFO {k}"), c, &one(v))?;
            }
        }
        family(
            &mut enc,
            "redis_config_maxclients",
            "The maxclients directive.",
            g,
            &one(s.maxclients as f64),
        )?;
        if let Some(v) = s.field("maxmemory").and_then(number) {
            family(
                &mut enc,
                "redis_config_maxmemory",
                "The maxmemory directive.",
                g,
                &one(v),
            )?;
        }
        self.keyspace(&mut enc)?;
        self.commands(&mut enc)?;
        self.logs(&mut enc)?;
        self.per_shard(&mut enc)
    }
}

impl SnapshotCollector {
    fn keyspace(&self, enc: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let (mut keys, mut expiring, mut ttl) = (Vec::new(), Vec::new(), Vec::new());
        for (section, k, v) in &self.0.info {
            if section != "Keyspace" {
                continue;
            }
            let get = |name: &str| {
                v.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, x)| x.parse::<f64>().ok())
            };
            let db = || vec![lbl("db", k.as_str())];
            keys.push((db(), get("keys").unwrap_or(0.0)));
            expiring.push((db(), get("expires").unwrap_or(0.0)));
            ttl.push((db(), get("avg_ttl").unwrap_or(0.0) / 1000.0));
        }
        let g = MetricType::Gauge;
        family(enc, "redis_db_keys", "Keys by database.", g, &keys)?;
        family(
            enc,
            "redis_db_keys_expiring",
            "Keys with a TTL by database.",
            g,
            &expiring,
        )?;
        family(
            enc,
            "redis_db_avg_ttl_seconds",
            "Average TTL of keys with one, by database.",
            g,
            &ttl,
        )
    }

    fn commands(&self, enc: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let (mut calls, mut secs, mut rejected, mut failed) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut errors, mut latency) = (Vec::new(), Vec::new());
        for (section, k, v) in &self.0.info {
            let parts = || {
                v.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(a, b)| (a, b.parse::<f64>().unwrap_or(0.0)))
            };
            if let Some(cmd) = k.strip_prefix("cmdstat_") {
                for (name, x) in parts() {
                    let l = vec![lbl("cmd", cmd)];
                    match name {
                        "calls" => calls.push((l, x)),
                        "usec" => secs.push((l, x / 1e6)),
                        "rejected_calls" => rejected.push((l, x)),
                        "failed_calls" => failed.push((l, x)),
                        _ => {}
                    }
                }
            } else if let Some(code) = k.strip_prefix("errorstat_") {
                for (name, x) in parts() {
                    if name == "count" {
                        errors.push((vec![lbl("err", code)], x));
                    }
                }
            } else if let (Some(cmd), "Latencystats") = (
                k.strip_prefix("latency_percentiles_usec_"),
                section.as_str(),
            ) {
                for (p, x) in parts() {
                    let q = p
                        .strip_prefix('p')
                        .and_then(|p| p.parse::<f64>().ok())
                        // p99.9 -> 0.999 without binary noise (4 decimals
                        // of percent are kept).
                        .map(|p| ((p * 1e4).round() / 1e6).to_string())
                        .unwrap_or_default();
                    latency.push((vec![lbl("cmd", cmd), lbl("quantile", q)], x));
                }
            }
        }
        let (g, c) = (MetricType::Gauge, MetricType::Counter);
        family(enc, "redis_commands", "Calls per command.", c, &calls)?;
        family(
            enc,
            "redis_commands_duration_seconds",
            "Time spent per command, in seconds.",
            c,
            &secs,
        )?;
        family(
            enc,
            "redis_commands_rejected_calls",
            "Calls refused before running, per command.",
            c,
            &rejected,
        )?;
        family(
            enc,
            "redis_commands_failed_calls",
            "Calls that answered an error, per command.",
            c,
            &failed,
        )?;
        family(
            enc,
            "redis_errors",
            "Error replies by error code.",
            c,
            &errors,
        )?;
        family(
            enc,
            "redis_latency_percentiles_usec",
            "Latency percentiles per command, in microseconds.",
            g,
            &latency,
        )
    }

    fn logs(&self, enc: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        let g = MetricType::Gauge;
        family(
            enc,
            "redis_slowlog_length",
            "Entries in the slow log.",
            g,
            &one(s.slowlog_len as f64),
        )?;
        let (last_id, last_us) = s.slowlog_last.unwrap_or_default();
        family(
            enc,
            "redis_slowlog_last_id",
            "Id of the newest slow-log entry.",
            g,
            &one(last_id as f64),
        )?;
        family(
            enc,
            "redis_last_slow_execution_duration_seconds",
            "Duration of the newest slow-log entry, in seconds.",
            g,
            &one(last_us as f64 / 1e6),
        )?;
        let at: Vec<_> = s
            .latency
            .iter()
            .map(|(ev, t, _)| (vec![lbl("event_name", *ev)], *t as f64))
            .collect();
        let ms: Vec<_> = s
            .latency
            .iter()
            .map(|(ev, _, ms)| (vec![lbl("event_name", *ev)], *ms as f64 / 1000.0))
            .collect();
        family(
            enc,
            "redis_latency_spike_last",
            "When each latency event last spiked, in Unix seconds.",
            g,
            &at,
        )?;
        family(
            enc,
            "redis_latency_spike_duration_seconds",
            "Length of each latency event's last spike, in seconds.",
            g,
            &ms,
        )
    }

    fn per_shard(&self, enc: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        let (g, c) = (MetricType::Gauge, MetricType::Counter);
        let by_shard = |f: &dyn Fn(&ShardFigures) -> f64| -> Vec<(Labels<'static>, f64)> {
            s.shards
                .iter()
                .enumerate()
                .map(|(i, sh)| (vec![lbl("shard", i.to_string())], f(sh)))
                .collect()
        };
        family(
            enc,
            "ferrite_shards",
            "Shard threads.",
            g,
            &one(s.shards.len() as f64),
        )?;
        family(
            enc,
            "ferrite_shard_keys",
            "Keys held by each shard (every database).",
            g,
            &by_shard(&|sh| sh.dbs.iter().map(|d| d.keys).sum::<u64>() as f64),
        )?;
        family(
            enc,
            "ferrite_shard_keys_expiring",
            "Keys with a TTL held by each shard.",
            g,
            &by_shard(&|sh| sh.dbs.iter().map(|d| d.expires).sum::<u64>() as f64),
        )?;
        family(
            enc,
            "ferrite_shard_used_memory_bytes",
            "Bytes each shard's thread allocated and has not freed.",
            g,
            &by_shard(&|sh| sh.used_memory as f64),
        )?;
        family(
            enc,
            "ferrite_shard_commands_processed",
            "Commands each shard's thread ran.",
            c,
            &by_shard(&|sh| sh.commands_processed as f64),
        )?;
        family(
            enc,
            "ferrite_shard_queue_depth",
            "Messages waiting for each shard (inbox and lock queue).",
            g,
            &by_shard(&|sh| sh.queue_depth as f64),
        )?;
        family(
            enc,
            "ferrite_shard_cross_shard_hops",
            "Batches of requests each thread's connections sent to other shards.",
            c,
            &by_shard(&|sh| sh.hops_out as f64),
        )?;
        family(
            enc,
            "ferrite_shard_multi_shard_commands",
            "Commands each thread's connections ran over several shards' locks.",
            c,
            &by_shard(&|sh| sh.multi_shard_commands as f64),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_parsed_strictly() {
        let p = |s: &str| parse(s.as_bytes());
        assert_eq!(
            p("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Request::Metrics { head: false }
        );
        assert_eq!(
            p("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Request::Metrics { head: true }
        );
        assert_eq!(
            p("POST /metrics HTTP/1.1\r\n\r\n"),
            Request::Error(405, "Method Not Allowed")
        );
        assert_eq!(
            p("GET / HTTP/1.1\r\n\r\n"),
            Request::Error(404, "Not Found")
        );
        for bad in [
            "GARBAGE\r\n\r\n",
            "GET /metrics\r\n\r\n",
            "GET metrics HTTP/1.1\r\n\r\n",
            "GET /metrics SPDY/3 x\r\n\r\n",
        ] {
            assert_eq!(p(bad), Request::Error(400, "Bad Request"), "{bad}");
        }
        assert_eq!(
            parse(b"\xff\xfe /metrics HTTP/1.1\r\n\r\n"),
            Request::Error(400, "Bad Request")
        );
    }

    proptest::proptest! {
        /// Any bytes a client sends as a request head get an answer, never
        /// a panic.
        #[test]
        fn any_request_head_is_answered(head in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = parse(&head);
        }
    }

    #[test]
    fn a_snapshot_encodes_exporter_names() {
        let snap = Snapshot {
            info: vec![
                (
                    "Stats".into(),
                    "total_commands_processed".into(),
                    "7".into(),
                ),
                (
                    "Persistence".into(),
                    "rdb_last_bgsave_status".into(),
                    "ok".into(),
                ),
                (
                    "Commandstats".into(),
                    "cmdstat_config|get".into(),
                    "calls=2,usec=30,usec_per_call=15.00,rejected_calls=1,failed_calls=0".into(),
                ),
                (
                    "Errorstats".into(),
                    "errorstat_ERR".into(),
                    "count=3".into(),
                ),
                (
                    "Latencystats".into(),
                    "latency_percentiles_usec_get".into(),
                    "p50=1.003,p99.9=4.015".into(),
                ),
                (
                    "Keyspace".into(),
                    "db0".into(),
                    "keys=5,expires=2,avg_ttl=1500".into(),
                ),
            ],
            shards: vec![ShardFigures::default(), ShardFigures::default()],
            maxclients: 100,
            ..Snapshot::default()
        };
        let text = encode(snap);
        for line in [
            "redis_up 1",
            "redis_commands_processed_total 7",
            "redis_rdb_last_bgsave_status 1",
            "redis_commands_total{cmd=\"config|get\"} 2",
            "redis_commands_duration_seconds_total{cmd=\"config|get\"} 0.00003",
            "redis_commands_rejected_calls_total{cmd=\"config|get\"} 1",
            "redis_errors_total{err=\"ERR\"} 3",
            "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"0.999\"} 4.015",
            "redis_db_keys{db=\"db0\"} 5",
            "redis_db_keys_expiring{db=\"db0\"} 2",
            "redis_db_avg_ttl_seconds{db=\"db0\"} 1.5",
            "redis_config_maxclients 100",
            "ferrite_shards 2",
            "ferrite_shard_keys{shard=\"1\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
