//! INFO: the server's state and counters, rendered with Redis 7.0's section
//! names, field names and field order.
//!
//! Which fields appear: a field is reported when Ferrite knows its true
//! value, either because it measures it or because the feature it describes
//! does not exist in Ferrite (replication, forks, active defrag, client
//! tracking, eviction, cluster, modules), in which case the value is the one
//! Redis reports while the feature is unused. Fields about things Ferrite
//! does but does not measure yet are left out rather than reported as zero.
//! Fields Redis lacks are named `ferrite_*`. The per-command sections
//! (commandstats, errorstats, latencystats) come from the threads'
//! [`crate::cmdstats::CmdStats`].
//!
//! The per-shard figures are gathered on each shard's thread
//! ([`ShardFigures::collect`]) and summed here; process-wide figures come
//! from [`Shared`], the counting allocator ([`crate::alloc`]) and the OS.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::server::Shared;
use crate::shard::Shard;

/// One INFO section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Section {
    /// `# Server`
    Server = 1 << 0,
    /// `# Clients`
    Clients = 1 << 1,
    /// `# Memory`
    Memory = 1 << 2,
    /// `# Persistence`
    Persistence = 1 << 3,
    /// `# Stats`
    Stats = 1 << 4,
    /// `# Replication`
    Replication = 1 << 5,
    /// `# CPU`
    Cpu = 1 << 6,
    /// `# Modules` (the list of loaded modules: always empty).
    Modules = 1 << 7,
    /// `# Commandstats`
    Commandstats = 1 << 8,
    /// `# Errorstats`
    Errorstats = 1 << 9,
    /// `# Latencystats`
    Latencystats = 1 << 10,
    /// `# Cluster`
    Cluster = 1 << 11,
    /// `# Keyspace`
    Keyspace = 1 << 12,
}

/// Every section, in the order INFO prints them.
const ORDER: &[(Section, &str)] = &[
    (Section::Server, "server"),
    (Section::Clients, "clients"),
    (Section::Memory, "memory"),
    (Section::Persistence, "persistence"),
    (Section::Stats, "stats"),
    (Section::Replication, "replication"),
    (Section::Cpu, "cpu"),
    (Section::Modules, "modules"),
    (Section::Commandstats, "commandstats"),
    (Section::Errorstats, "errorstats"),
    (Section::Latencystats, "latencystats"),
    (Section::Cluster, "cluster"),
    (Section::Keyspace, "keyspace"),
];

/// A set of sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sections(u16);

impl Sections {
    /// What `INFO` and `INFO default` print: all but the per-command tables.
    pub const DEFAULT: Sections =
        Sections(0x1fff & !(Section::Commandstats as u16) & !(Section::Latencystats as u16));
    /// What `INFO all` and `INFO everything` print (Ferrite has no module sections).
    pub const ALL: Sections = Sections(0x1fff);

    /// The sections named by INFO's arguments (none: the default ones).
    /// Names are case-insensitive; unknown names select nothing, as in Redis.
    pub fn parse(args: &[Bytes]) -> Sections {
        if args.is_empty() {
            return Sections::DEFAULT;
        }
        let mut s = Sections(0);
        for a in args {
            if a.eq_ignore_ascii_case(b"default") {
                s.0 |= Sections::DEFAULT.0;
            } else if a.eq_ignore_ascii_case(b"all") || a.eq_ignore_ascii_case(b"everything") {
                s.0 |= Sections::ALL.0;
            } else if let Some((sec, _)) = ORDER
                .iter()
                .find(|(_, name)| a.eq_ignore_ascii_case(name.as_bytes()))
            {
                s.0 |= *sec as u16;
            }
        }
        s
    }

    /// True if `sec` is selected.
    pub fn has(self, sec: Section) -> bool {
        self.0 & sec as u16 != 0
    }

    /// True if rendering needs figures from the shards.
    pub fn needs_shards(self) -> bool {
        self.has(Section::Clients)
            || self.has(Section::Persistence)
            || self.has(Section::Stats)
            || self.has(Section::Keyspace)
            || self.needs_cmdstats()
    }

    /// True if rendering needs the shards' per-command figures.
    pub fn needs_cmdstats(self) -> bool {
        self.has(Section::Stats)
            || self.has(Section::Commandstats)
            || self.has(Section::Errorstats)
            || self.has(Section::Latencystats)
    }
}

/// At most this many keys with a TTL are averaged for `avg_ttl`.
const AVG_TTL_SAMPLE: usize = 1000;
/// At most this many keys are looked at to find them.
const AVG_TTL_SCAN: usize = 16 * 1024;

/// One database's figures on one shard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DbFigures {
    /// Keys, including expired ones not yet removed (as Redis counts them).
    pub keys: u64,
    /// Keys with a TTL.
    pub expires: u64,
    /// Sum of the remaining TTLs of the sampled keys, in milliseconds.
    pub ttl_sum_ms: u64,
    /// Number of keys sampled for `ttl_sum_ms`.
    pub ttl_samples: u64,
}

/// What INFO needs from one shard.
#[derive(Debug, Clone, Default)]
pub struct ShardFigures {
    /// One entry per database.
    pub dbs: Vec<DbFigures>,
    /// Successful read lookups.
    pub keyspace_hits: u64,
    /// Failed read lookups.
    pub keyspace_misses: u64,
    /// Keys removed because their time had come.
    pub expired_keys: u64,
    /// Commands run on the shard.
    pub commands_processed: u64,
    /// Changes since start.
    pub dirty: u64,
    /// Commands per second over the last sampled interval.
    pub ops_per_sec: u64,
    /// Network bytes per second in and out (sampled by one shard only).
    pub net_per_sec: (u64, u64),
    /// Active expiry's figures.
    pub expire: crate::shard::ExpireCycleStats,
    /// Messages waiting for the shard.
    pub queue_depth: usize,
    /// Bytes the shard's thread has allocated and not freed.
    pub used_memory: u64,
    /// Batches sent to other shards by this thread's connections.
    pub hops_out: u64,
    /// Commands over several shards' locks run by this thread's connections.
    pub multi_shard_commands: u64,
    /// Keys with blocked clients waiting on them.
    pub blocking_keys: u64,
    /// Keys in the tracking table and (key, client) pairs.
    pub tracking: (usize, usize),
    /// Per-command and per-error figures (only when a section needs them).
    pub cmdstats: Option<Box<crate::cmdstats::CmdStats>>,
}

impl ShardFigures {
    /// Reads the figures of `shard`; runs on the shard's own thread.
    pub fn collect(shard: &Shard, with_ttl: bool) -> ShardFigures {
        ShardFigures::collect_with(shard, with_ttl, true)
    }

    /// [`ShardFigures::collect`], copying the per-command figures only if
    /// `with_cmdstats`.
    pub fn collect_with(shard: &Shard, with_ttl: bool, with_cmdstats: bool) -> ShardFigures {
        let now = Shared::now_ms();
        let dbs = shard
            .dbs
            .iter()
            .map(|db| {
                let mut f = DbFigures {
                    keys: db.len() as u64,
                    expires: db.expires_len() as u64,
                    ..DbFigures::default()
                };
                if with_ttl && f.expires > 0 {
                    // An estimate, as Redis's is: the first keys with a TTL
                    // found in insertion order, at bounded cost.
                    for (_, e) in db.iter().take(AVG_TTL_SCAN) {
                        if let Some(at) = e.expire_at() {
                            f.ttl_sum_ms = f.ttl_sum_ms.saturating_add(at.saturating_sub(now));
                            f.ttl_samples += 1;
                            if f.ttl_samples as usize >= AVG_TTL_SAMPLE {
                                break;
                            }
                        }
                    }
                }
                f
            })
            .collect();
        ShardFigures {
            dbs,
            keyspace_hits: shard.stats.keyspace_hits,
            keyspace_misses: shard.stats.keyspace_misses,
            expired_keys: shard.dbs.iter().map(|d| d.expired_count).sum(),
            commands_processed: shard.commands_processed,
            dirty: shard.dirty,
            ops_per_sec: ops_per_sec(),
            net_per_sec: net_per_sec(),
            expire: shard.expire_stats,
            queue_depth: shard.queue_depth(),
            used_memory: shard
                .evict
                .mem
                .as_ref()
                .map_or(0, |m| m.shard_used(shard.id)),
            hops_out: shard.hops_out,
            multi_shard_commands: shard.multi_shard_commands,
            blocking_keys: shard.blocking.keys() as u64,
            tracking: shard.tracking.sizes(),
            cmdstats: with_cmdstats.then(|| Box::new(shard.cmdstats.clone())),
        }
    }
}

/// Rate samples kept per shard thread, as Redis keeps 16 samples 100 ms apart.
const OPS_SAMPLES: usize = 16;
/// Minimum spacing of two rate samples, in milliseconds.
const OPS_SAMPLE_MS: u128 = 100;

/// The per-second rate of one growing counter, as the mean of its last
/// [`OPS_SAMPLES`] samples.
#[derive(Debug, Default)]
struct RateSampler {
    last: Option<u64>,
    rates: [u64; OPS_SAMPLES],
    next: usize,
    filled: usize,
}

impl RateSampler {
    fn sample(&mut self, total: u64, ms: Option<u128>) {
        if let (Some(n), Some(ms)) = (self.last, ms) {
            let rate = u128::from(total.saturating_sub(n)) * 1000 / ms.max(1);
            self.rates[self.next] = u64::try_from(rate).unwrap_or(u64::MAX);
            self.next = (self.next + 1) % OPS_SAMPLES;
            self.filled = (self.filled + 1).min(OPS_SAMPLES);
        }
        self.last = Some(total);
    }

    fn mean(&self) -> u64 {
        if self.filled == 0 {
            0
        } else {
            self.rates.iter().take(self.filled).sum::<u64>() / self.filled as u64
        }
    }
}

/// One thread's samplers: its shard's commands, and on the first shard's
/// thread only, the server's network bytes in and out.
#[derive(Debug, Default)]
struct Samplers {
    at: Option<Instant>,
    ops: RateSampler,
    net_in: RateSampler,
    net_out: RateSampler,
}

thread_local! {
    // Per shard thread: each thread samples its own shard's counter, so the
    // samples need no synchronisation and a test process may run many servers.
    static OPS: RefCell<Samplers> = RefCell::new(Samplers::default());
}

/// Records the shard's command counter for `instantaneous_ops_per_sec`, and
/// the server's network byte counters (`net`: given by one thread only) for
/// `instantaneous_input_kbps` / `instantaneous_output_kbps`. The shard
/// thread calls it periodically (every active-expiry cycle); samples closer
/// than 100 ms to the previous one are ignored.
pub fn sample_ops(total: u64, net: Option<(u64, u64)>) {
    let now = Instant::now();
    OPS.with(|o| {
        let mut o = o.borrow_mut();
        let ms = o.at.map(|t| now.duration_since(t).as_millis());
        if ms.is_some_and(|ms| ms < OPS_SAMPLE_MS) {
            return;
        }
        o.at = Some(now);
        o.ops.sample(total, ms);
        if let Some((input, output)) = net {
            o.net_in.sample(input, ms);
            o.net_out.sample(output, ms);
        }
    });
}

/// The mean of this thread's command rate samples (0 before the first two).
fn ops_per_sec() -> u64 {
    OPS.with(|o| o.borrow().ops.mean())
}

/// This thread's network rates in bytes per second (0 on the threads that
/// do not sample them).
fn net_per_sec() -> (u64, u64) {
    OPS.with(|o| {
        let o = o.borrow();
        (o.net_in.mean(), o.net_out.mean())
    })
}

/// Forgets this thread's rate samples (CONFIG RESETSTAT).
pub fn reset_ops() {
    OPS.with(|o| *o.borrow_mut() = Samplers::default());
}

/// Redis's human-readable byte counts: `999B`, `1.50K`, `2.00M`, ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: &[(u32, &str)] = &[(10, "K"), (20, "M"), (30, "G"), (40, "T"), (50, "P")];
    for (shift, name) in UNITS {
        if n >> shift < 1024 {
            if *shift == 10 && n < 1024 {
                break;
            }
            return format!("{:.2}{name}", n as f64 / (1u64 << shift) as f64);
        }
    }
    format!("{n}B")
}

/// Unix time of the server's start, in seconds (what LASTSAVE reports while
/// nothing was ever saved).
pub fn start_unix_secs(shared: &Shared) -> u64 {
    let elapsed = shared.started.elapsed().as_millis() as u64;
    Shared::now_ms().saturating_sub(elapsed) / 1000
}

/// Renders the selected sections. `shards` holds every shard's figures when
/// [`Sections::needs_shards`], and may be empty otherwise.
pub fn render(shared: &Shared, sections: Sections, shards: &[ShardFigures]) -> String {
    let mut out = String::with_capacity(4096);
    let mut cmd = crate::cmdstats::CmdStats::default();
    for s in shards {
        if let Some(c) = &s.cmdstats {
            cmd.merge(c);
        }
    }
    for (sec, _) in ORDER {
        if !sections.has(*sec) {
            continue;
        }
        let mut body = Body::default();
        let title = match sec {
            Section::Server => {
                server(shared, &mut body);
                "Server"
            }
            Section::Clients => {
                clients(shared, shards, &mut body);
                "Clients"
            }
            Section::Memory => {
                memory(shared, &mut body);
                "Memory"
            }
            Section::Persistence => {
                persistence(shared, shards, &mut body);
                "Persistence"
            }
            Section::Stats => {
                stats(shared, shards, &cmd, &mut body);
                "Stats"
            }
            Section::Replication => {
                replication(shared, &mut body);
                "Replication"
            }
            Section::Cpu => {
                cpu(&mut body);
                "CPU"
            }
            Section::Modules => "Modules",
            Section::Cluster => {
                body.field("cluster_enabled", 0);
                "Cluster"
            }
            Section::Keyspace => {
                keyspace(shards, &mut body);
                "Keyspace"
            }
            Section::Commandstats => {
                commandstats(shared, &cmd, &mut body);
                "Commandstats"
            }
            Section::Errorstats => {
                errorstats(&cmd, &mut body);
                "Errorstats"
            }
            Section::Latencystats => {
                latencystats(shared, &cmd, &mut body);
                "Latencystats"
            }
        };
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        out.push_str("# ");
        out.push_str(title);
        out.push_str("\r\n");
        out.push_str(&body.0);
    }
    out
}

/// The `name:value` lines of one section.
#[derive(Default)]
struct Body(String);

impl Body {
    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

fn server(shared: &Shared, b: &mut Body) {
    let (hz, _) = hz_and_maxclients(shared);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uptime = shared.started.elapsed().as_secs();
    b.field("redis_version", crate::REDIS_VERSION);
    // Redis's build fields: no Redis git tree; the build id names Ferrite's
    // version (Redis derives its own from its build, too).
    b.field("redis_git_sha1", "00000000");
    b.field("redis_git_dirty", 0);
    b.field(
        "redis_build_id",
        format!(
            "{:016x}",
            ahash::RandomState::with_seeds(7, 0, 1, 5).hash_one(crate::FERRITE_VERSION)
        ),
    );
    b.field("ferrite_version", crate::FERRITE_VERSION);
    b.field("redis_mode", "standalone");
    b.field("os", os_name());
    b.field("arch_bits", usize::BITS);
    // std's Instant reads CLOCK_MONOTONIC through clock_gettime.
    b.field("monotonic_clock", "POSIX clock_gettime");
    // tokio's reactor (mio) polls with epoll on Linux, kqueue on the BSDs.
    b.field(
        "multiplexing_api",
        if cfg!(any(target_os = "linux", target_os = "android")) {
            "epoll"
        } else {
            "kqueue"
        },
    );
    // Rust's atomics are the C11 memory model's, as the builtins Redis names.
    b.field("atomicvar_api", "c11-builtin");
    // Not built by gcc: Redis's format with no version.
    b.field("gcc_version", "0.0.0");
    b.field("process_id", std::process::id());
    b.field("process_supervised", "no");
    b.field("run_id", &shared.run_id);
    b.field("tcp_port", shared.port);
    b.field("server_time_usec", now.as_micros());
    b.field("uptime_in_seconds", uptime);
    b.field("uptime_in_days", uptime / 86_400);
    b.field("hz", hz);
    b.field("configured_hz", hz);
    // Redis's 24-bit LRU clock in seconds (what OBJECT IDLETIME compares).
    b.field("lru_clock", (now.as_secs()) & ((1 << 24) - 1));
    b.field(
        "executable",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    b.field("config_file", config_file(shared));
    // Ferrite has no I/O threads: each shard thread does its own I/O.
    b.field("io_threads_active", 0);
}

fn config_file(shared: &Shared) -> String {
    let Some(path) = &shared.config_file else {
        return String::new();
    };
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.clone())
}

fn hz_and_maxclients(shared: &Shared) -> (u32, u64) {
    let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
    (cfg.hz, cfg.maxclients)
}

/// `uname -srm`, as Redis prints it.
fn os_name() -> String {
    // SAFETY: `utsname` is plain data for which all-zero bytes are valid, and
    // uname() only writes NUL-terminated strings into the struct we own.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

fn clients(shared: &Shared, shards: &[ShardFigures], b: &mut Body) {
    let (_, maxclients) = hz_and_maxclients(shared);
    b.field("connected_clients", shared.clients.len());
    b.field("cluster_connections", 0);
    b.field("maxclients", maxclients);
    let all = shared.clients.snapshot();
    // The largest buffers of the clients connected now (Redis: over the
    // last few seconds), as of each client's last batch.
    let max = |f: fn(&crate::clients::ClientInfo) -> usize| all.iter().map(|c| f(c)).max();
    b.field(
        "client_recent_max_input_buffer",
        max(|c| c.qbuf_cap.load(Ordering::Relaxed)).unwrap_or(0),
    );
    b.field(
        "client_recent_max_output_buffer",
        max(|c| c.rbuf_peak.load(Ordering::Relaxed)).unwrap_or(0),
    );
    b.field(
        "blocked_clients",
        shared.stats.blocked_clients.load(Ordering::Relaxed),
    );
    let tracking = all
        .iter()
        .filter(|c| c.tracking.lock().map(|t| t.is_some()).unwrap_or(false))
        .count();
    b.field("tracking_clients", tracking);
    b.field(
        "clients_in_timeout_table",
        shared.stats.blocked_with_timeout.load(Ordering::Relaxed),
    );
    // Redis 7.2's total_blocking_keys; 7.0 has no such field.
    b.field(
        "ferrite_blocking_keys",
        shards.iter().map(|s| s.blocking_keys).sum::<u64>(),
    );
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// Resident set size from /proc/self/statm (0 where there is no /proc).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page_size())
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    u64::try_from(pages).unwrap_or(0) * page_size()
}

fn memory(shared: &Shared, b: &mut Body) {
    let rss = rss_bytes();
    let mem = crate::evict::ServerMem::of(shared);
    // The server's own figure (its shard threads, see `alloc`); without the
    // counting allocator installed, RSS is the closest honest figure.
    let used = if crate::alloc::used().is_some() {
        mem.group.used()
    } else {
        rss
    };
    let peak = crate::alloc::peak().max(used);
    let startup = mem.startup_bytes().min(used);
    let total = total_system_memory();
    let (vm_eval, vm_functions) = ferrite_scripting::vm_memory();
    let scripts = &shared.scripts;
    let (cached, eval_bytes) = scripts.cache_figures();
    let (libraries, functions, function_bytes) = scripts.library_figures();
    let script_bytes = eval_bytes + function_bytes;
    // What is not the dataset: the start-up footprint and the script caches
    // (per-key table overhead is counted in the dataset; MEMORY STATS
    // estimates it from key counts).
    let overhead = (startup + script_bytes).min(used);
    let dataset = used - overhead;
    let (maxmemory, policy) = {
        let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
        (cfg.maxmemory, cfg.maxmemory_policy.as_str())
    };
    let pct = |a: u64, b: u64| a as f64 * 100.0 / b.max(1) as f64;
    let ratio = |a: u64, b: u64| a as f64 / b.max(1) as f64;
    b.field("used_memory", used);
    b.field("used_memory_human", bytes_to_human(used));
    b.field("used_memory_rss", rss);
    b.field("used_memory_rss_human", bytes_to_human(rss));
    b.field("used_memory_peak", peak);
    b.field("used_memory_peak_human", bytes_to_human(peak));
    b.field("used_memory_peak_perc", format!("{:.2}%", pct(used, peak)));
    b.field("used_memory_overhead", overhead);
    b.field("used_memory_startup", startup);
    b.field("used_memory_dataset", dataset);
    b.field(
        "used_memory_dataset_perc",
        format!("{:.2}%", pct(dataset, used.saturating_sub(startup))),
    );
    // The system allocator does not report active or resident bytes apart:
    // allocated stands for active, RSS for resident.
    b.field("allocator_allocated", used);
    b.field("allocator_active", used);
    b.field("allocator_resident", rss);
    b.field("total_system_memory", total);
    b.field("total_system_memory_human", bytes_to_human(total));
    // Scripts and functions, with Redis 7.0's names.
    b.field("used_memory_lua", vm_eval);
    b.field("used_memory_vm_eval", vm_eval);
    b.field("used_memory_lua_human", bytes_to_human(vm_eval));
    b.field("used_memory_scripts_eval", eval_bytes);
    b.field("number_of_cached_scripts", cached);
    b.field("number_of_functions", functions);
    b.field("number_of_libraries", libraries);
    b.field("used_memory_vm_functions", vm_functions);
    b.field("used_memory_vm_total", vm_eval + vm_functions);
    b.field(
        "used_memory_vm_total_human",
        bytes_to_human(vm_eval + vm_functions),
    );
    b.field("used_memory_functions", function_bytes);
    b.field("used_memory_scripts", script_bytes);
    b.field("used_memory_scripts_human", bytes_to_human(script_bytes));
    b.field("maxmemory", maxmemory);
    b.field("maxmemory_human", bytes_to_human(maxmemory));
    b.field("maxmemory_policy", policy);
    b.field("allocator_frag_ratio", "1.00");
    b.field("allocator_frag_bytes", 0);
    b.field("allocator_rss_ratio", format!("{:.2}", ratio(rss, used)));
    b.field("allocator_rss_bytes", rss as i64 - used as i64);
    b.field("rss_overhead_ratio", "1.00");
    b.field("rss_overhead_bytes", 0);
    b.field(
        "mem_fragmentation_ratio",
        format!("{:.2}", ratio(rss, used)),
    );
    b.field("mem_fragmentation_bytes", rss as i64 - used as i64);
    // No replication backlog, replica or AOF buffers exist yet: nothing is
    // left out of the figure eviction compares with maxmemory.
    b.field("mem_not_counted_for_evict", 0);
    b.field("mem_replication_backlog", 0);
    b.field("mem_total_replication_buffers", 0);
    b.field("mem_clients_slaves", 0);
    // Every client is a normal or pub/sub one (no replicas or master link).
    b.field("mem_clients_normal", shared.clients.total_mem());
    b.field("mem_cluster_links", 0);
    b.field("mem_aof_buffer", 0);
    b.field("mem_allocator", "libc");
    b.field("active_defrag_running", 0);
    b.field("lazyfree_pending_objects", 0);
    b.field("lazyfreed_objects", 0);
}

fn persistence(shared: &Shared, shards: &[ShardFigures], b: &mut Body) {
    // Ferrite cannot write RDB files yet: these are the figures of a
    // server that never saved.
    let journal = &shared.journal;
    let aof_on = journal.is_on();
    let dirty: u64 = shards.iter().map(|s| s.dirty).sum();
    b.field("loading", 0);
    b.field("async_loading", 0);
    b.field("current_cow_peak", 0);
    b.field("current_cow_size", 0);
    b.field("current_cow_size_age", 0);
    b.field("current_fork_perc", "0.00");
    b.field("current_save_keys_processed", 0);
    b.field("current_save_keys_total", 0);
    b.field("rdb_changes_since_last_save", dirty);
    b.field("rdb_bgsave_in_progress", 0);
    b.field("rdb_last_save_time", start_unix_secs(shared));
    b.field("rdb_last_bgsave_status", "ok");
    b.field("rdb_last_bgsave_time_sec", -1);
    b.field("rdb_current_bgsave_time_sec", -1);
    b.field("rdb_saves", 0);
    b.field("rdb_last_cow_size", 0);
    b.field("rdb_last_load_keys_expired", 0);
    b.field("rdb_last_load_keys_loaded", 0);
    b.field("aof_enabled", u8::from(aof_on));
    b.field("aof_rewrite_in_progress", 0);
    b.field("aof_rewrite_scheduled", 0);
    b.field("aof_last_rewrite_time_sec", -1);
    b.field("aof_current_rewrite_time_sec", -1);
    b.field("aof_last_bgrewrite_status", "ok");
    b.field("aof_rewrites", 0);
    b.field("aof_rewrites_consecutive_failures", 0);
    b.field(
        "aof_last_write_status",
        if journal.write_ok.load(Ordering::Relaxed) {
            "ok"
        } else {
            "err"
        },
    );
    b.field("aof_last_cow_size", 0);
    b.field("module_fork_in_progress", 0);
    b.field("module_fork_last_cow_size", 0);
    if aof_on {
        let base = journal.base_size.load(Ordering::Relaxed);
        b.field("aof_current_size", base + journal.incr_size());
        b.field("aof_base_size", journal.start_size.load(Ordering::Relaxed));
        b.field("aof_pending_rewrite", 0);
        b.field("aof_buffer_length", journal.pending());
        b.field("aof_pending_bio_fsync", 0);
        b.field("aof_delayed_fsync", 0);
    }
}

fn stats(shared: &Shared, shards: &[ShardFigures], cmd: &crate::cmdstats::CmdStats, b: &mut Body) {
    let g = &shared.stats;
    let sum = |f: fn(&ShardFigures) -> u64| shards.iter().map(f).sum::<u64>();
    b.field(
        "total_connections_received",
        g.total_connections_received.load(Ordering::Relaxed),
    );
    b.field("total_commands_processed", sum(|s| s.commands_processed));
    b.field("instantaneous_ops_per_sec", sum(|s| s.ops_per_sec));
    b.field(
        "total_net_input_bytes",
        g.total_net_input_bytes.load(Ordering::Relaxed),
    );
    b.field(
        "total_net_output_bytes",
        g.total_net_output_bytes.load(Ordering::Relaxed),
    );
    b.field("total_net_repl_input_bytes", 0);
    b.field("total_net_repl_output_bytes", 0);
    let kbps = |f: fn(&ShardFigures) -> u64| format!("{:.2}", sum(f) as f64 / 1024.0);
    b.field("instantaneous_input_kbps", kbps(|s| s.net_per_sec.0));
    b.field("instantaneous_output_kbps", kbps(|s| s.net_per_sec.1));
    b.field("instantaneous_input_repl_kbps", "0.00");
    b.field("instantaneous_output_repl_kbps", "0.00");
    b.field(
        "rejected_connections",
        g.rejected_connections.load(Ordering::Relaxed),
    );
    b.field("sync_full", 0);
    b.field("sync_partial_ok", 0);
    b.field("sync_partial_err", 0);
    b.field("expired_keys", sum(|s| s.expired_keys));
    let n = shards.len().max(1) as f64;
    let stale: f64 = shards.iter().map(|s| s.expire.stale_perc).sum::<f64>() / n;
    b.field("expired_stale_perc", format!("{:.2}", stale * 100.0));
    b.field(
        "expired_time_cap_reached_count",
        sum(|s| s.expire.time_cap_reached),
    );
    b.field(
        "expire_cycle_cpu_milliseconds",
        sum(|s| s.expire.cycle_us) / 1000,
    );
    let mem = crate::evict::ServerMem::of(shared);
    let (exceeded_total, exceeded_now) = mem.exceeded_ms(Shared::now_ms());
    b.field("evicted_keys", mem.evicted_keys.load(Ordering::Relaxed));
    b.field(
        "evicted_clients",
        shared.clients.evicted.load(Ordering::Relaxed),
    );
    b.field("total_eviction_exceeded_time", exceeded_total);
    b.field("current_eviction_exceeded_time", exceeded_now);
    b.field("keyspace_hits", sum(|s| s.keyspace_hits));
    b.field("keyspace_misses", sum(|s| s.keyspace_misses));
    let (channels, patterns, shard) = shared.pubsub.sizes();
    b.field("pubsub_channels", channels);
    b.field("pubsub_patterns", patterns);
    b.field("pubsubshard_channels", shard);
    b.field("latest_fork_usec", 0);
    b.field("total_forks", 0);
    b.field("migrate_cached_sockets", 0);
    b.field("slave_expires_tracked_keys", 0);
    b.field("active_defrag_hits", 0);
    b.field("active_defrag_misses", 0);
    b.field("active_defrag_key_hits", 0);
    b.field("active_defrag_key_misses", 0);
    b.field("total_active_defrag_time", 0);
    b.field("current_active_defrag_time", 0);
    b.field("tracking_total_keys", sum(|s| s.tracking.0 as u64));
    b.field("tracking_total_items", sum(|s| s.tracking.1 as u64));
    b.field("tracking_total_prefixes", shared.bcast.prefixes());
    b.field("unexpected_error_replies", 0);
    b.field("total_error_replies", cmd.total_errors);
    b.field("dump_payload_sanitizations", 0);
    b.field(
        "total_reads_processed",
        g.total_reads_processed.load(Ordering::Relaxed),
    );
    b.field(
        "total_writes_processed",
        g.total_writes_processed.load(Ordering::Relaxed),
    );
    b.field("io_threaded_reads_processed", 0);
    b.field("io_threaded_writes_processed", 0);
    b.field(
        "reply_buffer_shrinks",
        g.reply_buffer_shrinks.load(Ordering::Relaxed),
    );
    b.field(
        "reply_buffer_expands",
        g.reply_buffer_expands.load(Ordering::Relaxed),
    );
}

/// `cmdstat_<name>:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=..`
/// for every command used since start (or CONFIG RESETSTAT).
fn commandstats(shared: &Shared, cmd: &crate::cmdstats::CmdStats, b: &mut Body) {
    for (id, s) in cmd.per.iter().enumerate() {
        let Some(spec) = shared.table.by_id(id).filter(|_| s.is_used()) else {
            continue;
        };
        let usec = s.ns / 1000;
        let per_call = if s.calls == 0 {
            0.0
        } else {
            usec as f64 / s.calls as f64
        };
        b.field(
            &format!("cmdstat_{}", spec.name),
            format_args!(
                "calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                s.calls, s.rejected, s.failed
            ),
        );
    }
}

/// `errorstat_<CODE>:count=..` per error code replied.
fn errorstats(cmd: &crate::cmdstats::CmdStats, b: &mut Body) {
    for (code, n) in &cmd.errors {
        b.field(
            &format!("errorstat_{}", String::from_utf8_lossy(code)),
            format_args!("count={n}"),
        );
    }
}

/// `latency_percentiles_usec_<name>:p50=..,p99=..` per command with a
/// histogram, at the configured percentiles.
fn latencystats(shared: &Shared, cmd: &crate::cmdstats::CmdStats, b: &mut Body) {
    let percentiles = shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .latency_tracking_info_percentiles
        .clone();
    for (id, s) in cmd.per.iter().enumerate() {
        let (Some(spec), Some(h)) = (shared.table.by_id(id), &s.hist) else {
            continue;
        };
        let parts: Vec<String> = percentiles
            .iter()
            .map(|p| format!("p{p}={:.3}", crate::cmdstats::percentile_usec(h, *p)))
            .collect();
        b.field(
            &format!("latency_percentiles_usec_{}", spec.name),
            parts.join(","),
        );
    }
}

/// A 40-hex-digit replication id, stable until DEBUG CHANGE-REPL-ID and
/// distinct from its run id (Ferrite has no replication, so nothing else
/// needs to agree on it).
fn master_replid(shared: &Shared) -> String {
    let mut out = String::with_capacity(48);
    for seed in 1..=3u64 {
        let generation = shared.repl_id_generation.load(Ordering::Relaxed);
        let h = ahash::RandomState::with_seeds(seed, 0x5eed, 0xfe77, generation)
            .hash_one(&shared.run_id);
        let _ = write!(out, "{h:016x}");
    }
    out.truncate(40);
    out
}

fn replication(shared: &Shared, b: &mut Body) {
    b.field("role", "master");
    b.field("connected_slaves", 0);
    b.field("master_failover_state", "no-failover");
    b.field("master_replid", master_replid(shared));
    b.field("master_replid2", "0".repeat(40));
    b.field("master_repl_offset", 0);
    b.field("second_repl_offset", -1);
    b.field("repl_backlog_active", 0);
    // repl-backlog-size's default: no backlog is allocated without replicas.
    b.field("repl_backlog_size", 1_048_576);
    b.field("repl_backlog_first_byte_offset", 0);
    b.field("repl_backlog_histlen", 0);
}

fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: `rusage` is plain data; all-zero bytes are a valid value.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut r) } != 0 {
        return ("0.000000".into(), "0.000000".into());
    }
    let fmt = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (fmt(r.ru_stime), fmt(r.ru_utime))
}

fn cpu(b: &mut Body) {
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
    b.field("used_cpu_sys", sys);
    b.field("used_cpu_user", user);
    b.field("used_cpu_sys_children", csys);
    b.field("used_cpu_user_children", cuser);
    // Redis's main thread does all the work; Ferrite's nearest is the shard
    // thread that answers INFO.
    let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
    b.field("used_cpu_sys_main_thread", tsys);
    b.field("used_cpu_user_main_thread", tuser);
}

fn keyspace(shards: &[ShardFigures], b: &mut Body) {
    let ndbs = shards.iter().map(|s| s.dbs.len()).max().unwrap_or(0);
    for i in 0..ndbs {
        let mut t = DbFigures::default();
        for f in shards.iter().filter_map(|s| s.dbs.get(i)) {
            t.keys += f.keys;
            t.expires += f.expires;
            t.ttl_sum_ms = t.ttl_sum_ms.saturating_add(f.ttl_sum_ms);
            t.ttl_samples += f.ttl_samples;
        }
        if t.keys == 0 {
            continue;
        }
        let avg = t.ttl_sum_ms.checked_div(t.ttl_samples).unwrap_or(0);
        b.field(
            &format!("db{i}"),
            format_args!("keys={},expires={},avg_ttl={avg}", t.keys, t.expires),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn section_selection_follows_redis() {
        let d = Sections::parse(&[]);
        assert_eq!(d, Sections::DEFAULT);
        assert!(!d.has(Section::Commandstats));
        assert!(d.has(Section::Keyspace));
        assert_eq!(Sections::parse(&args(&["ALL"])), Sections::ALL);
        assert_eq!(Sections::parse(&args(&["everything"])), Sections::ALL);
        let s = Sections::parse(&args(&["clients", "Server", "nosuch"]));
        assert!(s.has(Section::Server) && s.has(Section::Clients));
        assert!(!s.has(Section::Memory));
        // Clients sums the shards' blocking keys.
        assert!(s.needs_shards());
        assert!(!Sections::parse(&args(&["server", "memory"])).needs_shards());
        assert_eq!(Sections::parse(&args(&["nosuch"])), Sections(0));
    }

    #[test]
    fn human_sizes_match_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916_488), "895.01K");
        assert_eq!(bytes_to_human(6_840_320), "6.52M");
        assert_eq!(bytes_to_human(25_276_502_016), "23.54G");
        assert_eq!(bytes_to_human(1 << 40), "1.00T");
        assert_eq!(bytes_to_human(3 << 50), "3.00P");
    }

    #[test]
    fn keyspace_lines_sum_shards_and_skip_empty_dbs() {
        let shard = |keys, expires| ShardFigures {
            dbs: vec![
                DbFigures {
                    keys,
                    expires,
                    ttl_sum_ms: 1000 * expires,
                    ttl_samples: expires,
                },
                DbFigures::default(),
                DbFigures {
                    keys: 1,
                    ..DbFigures::default()
                },
            ],
            ..ShardFigures::default()
        };
        let mut b = Body::default();
        keyspace(&[shard(2, 1), shard(3, 1)], &mut b);
        assert_eq!(
            b.0,
            "db0:keys=5,expires=2,avg_ttl=1000\r\ndb2:keys=2,expires=0,avg_ttl=0\r\n"
        );
    }

    #[test]
    fn ops_rate_is_the_mean_of_the_samples() {
        std::thread::spawn(|| {
            assert_eq!(ops_per_sec(), 0);
            sample_ops(0, Some((0, 0)));
            // Too close to the previous sample: ignored.
            sample_ops(1000, Some((5000, 5000)));
            assert_eq!(ops_per_sec(), 0);
            std::thread::sleep(std::time::Duration::from_millis(110));
            sample_ops(100, Some((2048, 0)));
            let r = ops_per_sec();
            assert!(r > 0 && r <= 1000, "{r}");
            let (input, output) = net_per_sec();
            assert!(input > 0 && input <= 20_480, "{input}");
            assert_eq!(output, 0);
            reset_ops();
            assert_eq!(ops_per_sec(), 0);
            assert_eq!(net_per_sec(), (0, 0));
        })
        .join()
        .unwrap();
    }
}
