//! The directive table: one row per directive, read by the config file
//! loader, the command line, CONFIG GET, CONFIG SET and `render`.
//!
//! Adding a directive means adding a field to [`Config`] (with its default)
//! and a row here. Names, bounds, defaults and CONFIG GET formats are Redis
//! 7.0's; facts checked against a running Redis 7.0.15 are noted in the tests
//! of `lib.rs`.

use std::path::Path;

use crate::parse::{format_memory, parse_i64, parse_memory, parse_strtoll, quote, quote_if_needed};
use crate::{notify_flags, path_from_bytes, AclPubsubDefault, Config, LogLevel, MaxmemoryPolicy};

/// Whether CONFIG SET may change a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutability {
    /// CONFIG SET may change it.
    Mutable,
    /// Only the config file and the command line may set it.
    Immutable,
    /// Redis 7.0 refuses it unless `enable-protected-configs` allows it,
    /// which is off by default (and not implemented by Ferrite yet).
    Protected,
}

/// A directive's type, with accessors to its field in [`Config`].
pub(crate) enum Kind {
    /// `yes` / `no`, case-insensitive. `set` may refuse a value.
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool) -> Result<(), String>,
    },
    /// An integer in `min..=max`, or a memory amount with units if `memory`.
    /// `set` receives a value already inside the bounds.
    Int {
        min: i64,
        max: i64,
        memory: bool,
        get: fn(&Config) -> i64,
        set: fn(&mut Config, i64),
    },
    /// One of `values` (case-insensitive); the first `listed` are named in
    /// the error message, the rest are accepted quietly. Accessors use
    /// indexes into `values`.
    Enum {
        values: &'static [&'static str],
        listed: usize,
        get: fn(&Config) -> usize,
        set: fn(&mut Config, usize),
    },
    /// One byte-string argument.
    Str {
        get: fn(&Config) -> Vec<u8>,
        set: fn(&mut Config, &[u8]) -> Result<(), String>,
    },
    /// Any number of arguments (CONFIG SET splits its value on spaces).
    /// `set`'s flag asks to append rather than replace: it is true for the
    /// second and later lines of a directive with `accumulates_in_file` in
    /// one configuration file load (Redis's behaviour for `save`).
    Multi {
        get: fn(&Config) -> Vec<u8>,
        set: MultiSetter,
        render: fn(&Config) -> Vec<Vec<Vec<u8>>>,
        accumulates_in_file: bool,
    },
}

/// Sets a multi-argument directive: config, arguments, append flag.
pub(crate) type MultiSetter = fn(&mut Config, &[Vec<u8>], bool) -> Result<(), String>;

/// One configuration directive.
pub(crate) struct Directive {
    /// Canonical (lower-case) name.
    pub name: &'static str,
    /// Other accepted names; CONFIG GET patterns match them too.
    pub aliases: &'static [&'static str],
    pub mutability: Mutability,
    pub kind: Kind,
}

/// Why a directive's arguments were refused.
pub(crate) enum ApplyError {
    WrongArgCount,
    Invalid(String),
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const MB: i64 = 1024 * 1024;
/// Redis refuses more `bind` addresses than this.
const MAX_BIND_ADDRESSES: usize = 16;
/// An arbitrary but generous bound on shard threads.
const MAX_SHARDS: i64 = 1024;

fn sat_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn sat_usize(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Accepts only `no`, for directives whose `yes` Ferrite does not support.
fn refuse_yes(v: bool, why: &str) -> Result<(), String> {
    if v {
        Err(why.to_owned())
    } else {
        Ok(())
    }
}

const DAEMONIZE_YES: &str = "daemonize yes is not supported: Ferrite always runs in the \
     foreground; let a supervisor (systemd, Docker, Kubernetes) run it in the background";
const APPENDONLY_YES: &str = "appendonly yes is not supported yet: this version of Ferrite \
     has no append-only file";

/// The directives, in CONFIG GET and `render` order.
pub(crate) static TABLE: &[Directive] = &[
    Directive {
        name: "port",
        aliases: &[],
        // Mutable in Redis 7.0 (it rebinds); immutable until the runtime can
        // rebind its listeners.
        mutability: Mutability::Immutable,
        kind: Kind::Int {
            min: 0,
            max: 65535,
            memory: false,
            get: |c| i64::from(c.port),
            set: |c, v| c.port = v as u16,
        },
    },
    Directive {
        name: "bind",
        aliases: &[],
        // Mutable in Redis 7.0; see `port`.
        mutability: Mutability::Immutable,
        kind: Kind::Multi {
            get: |c| c.bind.join(" ").into_bytes(),
            set: set_bind,
            render: |c| vec![c.bind.iter().map(|a| a.as_bytes().to_vec()).collect()],
            accumulates_in_file: false,
        },
    },
    Directive {
        name: "databases",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Int {
            min: 1,
            max: INT_MAX,
            memory: false,
            get: |c| sat_usize(c.databases),
            set: |c, v| c.databases = v as usize,
        },
    },
    Directive {
        name: "shards",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Int {
            min: 0,
            max: MAX_SHARDS,
            memory: false,
            get: |c| sat_usize(c.shards),
            set: |c, v| c.shards = v as usize,
        },
    },
    Directive {
        name: "metrics-port",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Int {
            min: 0,
            max: 65535,
            memory: false,
            get: |c| i64::from(c.metrics_port),
            set: |c, v| c.metrics_port = v as u16,
        },
    },
    Directive {
        name: "metrics-bind",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Str {
            get: |c| c.metrics_bind.as_bytes().to_vec(),
            set: |c, v| {
                let text = std::str::from_utf8(v).map_err(|_| "Invalid bind address".to_owned())?;
                if text.parse::<std::net::IpAddr>().is_err() {
                    return Err("Invalid bind address".to_owned());
                }
                c.metrics_bind = text.to_owned();
                Ok(())
            },
        },
    },
    Directive {
        name: "dir",
        aliases: &[],
        mutability: Mutability::Protected,
        kind: Kind::Str {
            get: |c| path_bytes(&c.absolute_dir()),
            set: set_dir,
        },
    },
    Directive {
        name: "logfile",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Str {
            get: |c| c.logfile.as_bytes().to_vec(),
            set: |c, v| {
                c.logfile = String::from_utf8(v.to_vec())
                    .map_err(|_| "argument must be valid UTF-8".to_owned())?;
                Ok(())
            },
        },
    },
    Directive {
        name: "loglevel",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Enum {
            // Redis 7.0 has no "nothing" (7.2 added it); accept it without
            // changing 7.0's error text.
            values: &["debug", "verbose", "notice", "warning", "nothing"],
            listed: 4,
            get: |c| c.loglevel as usize,
            set: |c, i| c.loglevel = LogLevel::from_index(i),
        },
    },
    Directive {
        name: "maxclients",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 1,
            max: UINT_MAX,
            memory: false,
            get: |c| sat_u64(c.maxclients),
            set: |c, v| c.maxclients = v as u64,
        },
    },
    Directive {
        name: "timeout",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| sat_u64(c.timeout),
            set: |c, v| c.timeout = v as u64,
        },
    },
    Directive {
        name: "tcp-keepalive",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| sat_u64(c.tcp_keepalive),
            set: |c, v| c.tcp_keepalive = v as u64,
        },
    },
    Directive {
        name: "protected-mode",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Bool {
            get: |c| c.protected_mode,
            set: |c, v| {
                c.protected_mode = v;
                Ok(())
            },
        },
    },
    Directive {
        name: "requirepass",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Str {
            get: |c| c.requirepass.clone().unwrap_or_default(),
            set: |c, v| {
                c.requirepass = (!v.is_empty()).then(|| v.to_vec());
                Ok(())
            },
        },
    },
    Directive {
        name: "proto-max-bulk-len",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: MB,
            max: i64::MAX,
            memory: true,
            get: |c| sat_u64(c.proto_max_bulk_len),
            set: |c, v| c.proto_max_bulk_len = v as u64,
        },
    },
    Directive {
        name: "client-query-buffer-limit",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: MB,
            max: i64::MAX,
            memory: true,
            get: |c| sat_u64(c.client_query_buffer_limit),
            set: |c, v| c.client_query_buffer_limit = v as u64,
        },
    },
    Directive {
        name: "daemonize",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Bool {
            get: |_| false,
            set: |_, v| refuse_yes(v, DAEMONIZE_YES),
        },
    },
    Directive {
        name: "save",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| {
                let parts: Vec<String> = c.save.iter().map(|(s, n)| format!("{s} {n}")).collect();
                parts.join(" ").into_bytes()
            },
            set: set_save,
            render: |c| {
                if c.save.is_empty() {
                    vec![vec![Vec::new()]]
                } else {
                    c.save
                        .iter()
                        .map(|(s, n)| vec![s.to_string().into_bytes(), n.to_string().into_bytes()])
                        .collect()
                }
            },
            accumulates_in_file: true,
        },
    },
    Directive {
        name: "appendonly",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Bool {
            get: |_| false,
            set: |_, v| refuse_yes(v, APPENDONLY_YES),
        },
    },
    Directive {
        name: "tracking-table-max-keys",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| c.tracking_table_max_keys as i64,
            set: |c, v| c.tracking_table_max_keys = v as u64,
        },
    },
    Directive {
        name: "busy-reply-threshold",
        aliases: &["lua-time-limit"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| c.busy_reply_threshold as i64,
            set: |c, v| c.busy_reply_threshold = v as u64,
        },
    },
    Directive {
        name: "hz",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| i64::from(c.hz),
            // Redis accepts 0..=INT_MAX and stores it clamped to 1..=500.
            set: |c, v| c.hz = v.clamp(1, 500) as u32,
        },
    },
    Directive {
        name: "active-expire-effort",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 1,
            max: 10,
            memory: false,
            get: |c| i64::from(c.active_expire_effort),
            set: |c, v| c.active_expire_effort = v as u32,
        },
    },
    Directive {
        name: "list-max-listpack-size",
        aliases: &["list-max-ziplist-size"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: INT_MIN,
            max: INT_MAX,
            memory: false,
            get: |c| i64::from(c.list_max_listpack_size),
            set: |c, v| c.list_max_listpack_size = v as i32,
        },
    },
    Directive {
        name: "list-compress-depth",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| i64::from(c.list_compress_depth),
            set: |c, v| c.list_compress_depth = v as i32,
        },
    },
    Directive {
        name: "hash-max-listpack-entries",
        aliases: &["hash-max-ziplist-entries"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| c.hash_max_listpack_entries as i64,
            set: |c, v| c.hash_max_listpack_entries = v as u64,
        },
    },
    Directive {
        name: "hash-max-listpack-value",
        aliases: &["hash-max-ziplist-value"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: true,
            get: |c| c.hash_max_listpack_value as i64,
            set: |c, v| c.hash_max_listpack_value = v as u64,
        },
    },
    Directive {
        name: "set-max-intset-entries",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| c.set_max_intset_entries as i64,
            set: |c, v| c.set_max_intset_entries = v as u64,
        },
    },
    Directive {
        name: "zset-max-listpack-entries",
        aliases: &["zset-max-ziplist-entries"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| c.zset_max_listpack_entries as i64,
            set: |c, v| c.zset_max_listpack_entries = v as u64,
        },
    },
    Directive {
        name: "zset-max-listpack-value",
        aliases: &["zset-max-ziplist-value"],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: true,
            get: |c| c.zset_max_listpack_value as i64,
            set: |c, v| c.zset_max_listpack_value = v as u64,
        },
    },
    Directive {
        name: "client-output-buffer-limit",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| {
                let parts: Vec<String> = OBUF_CLASSES
                    .iter()
                    .zip(c.client_output_buffer_limit.iter())
                    .map(|(name, (h, s, secs))| format!("{name} {h} {s} {secs}"))
                    .collect();
                parts.join(" ").into_bytes()
            },
            set: set_obuf_limit,
            render: |c| {
                OBUF_CLASSES
                    .iter()
                    .zip(c.client_output_buffer_limit.iter())
                    .map(|(name, (h, s, secs))| {
                        vec![
                            name.as_bytes().to_vec(),
                            h.to_string().into_bytes(),
                            s.to_string().into_bytes(),
                            secs.to_string().into_bytes(),
                        ]
                    })
                    .collect()
            },
            accumulates_in_file: true,
        },
    },
    Directive {
        name: "maxmemory",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: true,
            get: |c| sat_u64(c.maxmemory),
            set: |c, v| c.maxmemory = v as u64,
        },
    },
    Directive {
        name: "maxmemory-policy",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Enum {
            values: &[
                "volatile-lru",
                "volatile-lfu",
                "volatile-random",
                "volatile-ttl",
                "allkeys-lru",
                "allkeys-lfu",
                "allkeys-random",
                "noeviction",
            ],
            listed: 8,
            get: |c| c.maxmemory_policy as usize,
            set: |c, i| {
                c.maxmemory_policy = MaxmemoryPolicy::ALL.get(i).copied().unwrap_or_default()
            },
        },
    },
    Directive {
        name: "maxmemory-samples",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 1,
            max: INT_MAX,
            memory: false,
            get: |c| sat_u64(c.maxmemory_samples),
            set: |c, v| c.maxmemory_samples = v as u64,
        },
    },
    Directive {
        name: "maxmemory-eviction-tenacity",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: 100,
            memory: false,
            get: |c| i64::from(c.maxmemory_eviction_tenacity),
            set: |c, v| c.maxmemory_eviction_tenacity = v as u32,
        },
    },
    Directive {
        name: "lfu-log-factor",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| sat_u64(c.lfu_log_factor),
            set: |c, v| c.lfu_log_factor = v as u64,
        },
    },
    Directive {
        name: "lfu-decay-time",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            memory: false,
            get: |c| sat_u64(c.lfu_decay_time),
            set: |c, v| c.lfu_decay_time = v as u64,
        },
    },
    Directive {
        name: "slowlog-log-slower-than",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: -1,
            max: i64::MAX,
            memory: false,
            get: |c| c.slowlog_log_slower_than,
            set: |c, v| c.slowlog_log_slower_than = v,
        },
    },
    Directive {
        name: "slowlog-max-len",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| sat_u64(c.slowlog_max_len),
            set: |c, v| c.slowlog_max_len = v as u64,
        },
    },
    Directive {
        name: "latency-monitor-threshold",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| sat_u64(c.latency_monitor_threshold),
            set: |c, v| c.latency_monitor_threshold = v as u64,
        },
    },
    Directive {
        name: "latency-tracking",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Bool {
            get: |c| c.latency_tracking,
            set: |c, v| {
                c.latency_tracking = v;
                Ok(())
            },
        },
    },
    Directive {
        name: "latency-tracking-info-percentiles",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| format_percentiles(&c.latency_tracking_info_percentiles).into_bytes(),
            set: set_percentiles,
            render: |c| {
                vec![c
                    .latency_tracking_info_percentiles
                    .iter()
                    .map(|p| format!("{p}").into_bytes())
                    .collect()]
            },
            accumulates_in_file: false,
        },
    },
    Directive {
        name: "aclfile",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Str {
            get: |c| c.aclfile.as_bytes().to_vec(),
            set: |c, v| {
                c.aclfile = String::from_utf8(v.to_vec())
                    .map_err(|_| "argument must be valid UTF-8".to_owned())?;
                Ok(())
            },
        },
    },
    Directive {
        name: "acllog-max-len",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            memory: false,
            get: |c| sat_u64(c.acllog_max_len),
            set: |c, v| c.acllog_max_len = v as u64,
        },
    },
    Directive {
        name: "acl-pubsub-default",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Enum {
            values: &["allchannels", "resetchannels"],
            listed: 2,
            get: |c| c.acl_pubsub_default as usize,
            set: |c, i| {
                c.acl_pubsub_default = if i == 0 {
                    AclPubsubDefault::AllChannels
                } else {
                    AclPubsubDefault::ResetChannels
                }
            },
        },
    },
    Directive {
        name: "notify-keyspace-events",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Str {
            get: |c| notify_flags::format(c.notify_keyspace_events),
            set: |c, v| {
                c.notify_keyspace_events =
                    notify_flags::parse(v).ok_or_else(|| notify_flags::INVALID.to_owned())?;
                Ok(())
            },
        },
    },
];

/// `latency-tracking-info-percentiles` as CONFIG GET prints it: the
/// shortest decimal of each percentile, space-separated.
fn format_percentiles(p: &[f64]) -> String {
    let parts: Vec<String> = p.iter().map(|v| format!("{v}")).collect();
    parts.join(" ")
}

fn set_percentiles(c: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let v: f64 = std::str::from_utf8(a)
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|v: &f64| !v.is_nan())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_owned(),
            );
        }
        values.push(v);
    }
    c.latency_tracking_info_percentiles = values;
    Ok(())
}

fn set_bind(c: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    if args.len() > MAX_BIND_ADDRESSES {
        return Err("Too many bind addresses specified.".to_owned());
    }
    let mut addresses = Vec::with_capacity(args.len());
    for a in args {
        addresses
            .push(String::from_utf8(a.clone()).map_err(|_| "Invalid bind address".to_owned())?);
    }
    c.bind = addresses;
    Ok(())
}

/// The client classes of `client-output-buffer-limit`, in the order Redis
/// prints them (`slave` is how Redis 7.0 names the replica class there).
const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds> ...`:
/// every group is checked before any applies, as Redis does.
fn set_obuf_limit(c: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    let groups = args.chunks_exact(4);
    if !groups.remainder().is_empty() || args.is_empty() {
        return Err("Wrong number of arguments in buffer limit configuration.".to_owned());
    }
    let mut updates = Vec::with_capacity(args.len() / 4);
    for g in groups {
        let [class, hard, soft, secs] = g else {
            return Err("Wrong number of arguments in buffer limit configuration.".to_owned());
        };
        let class = match class.to_ascii_lowercase().as_slice() {
            b"normal" => 0,
            b"slave" | b"replica" => 1,
            b"pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_owned(),
                )
            }
        };
        let hard = crate::parse::parse_memory(hard).filter(|&v| v >= 0);
        let soft = crate::parse::parse_memory(soft).filter(|&v| v >= 0);
        let secs = parse_strtoll(secs).filter(|&v| v >= 0);
        match (hard, soft, secs) {
            (Some(h), Some(s), Some(secs)) => {
                updates.push((class, (h as u64, s as u64, secs as u64)))
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .to_owned(),
                )
            }
        }
    }
    for (class, limit) in updates {
        c.client_output_buffer_limit[class] = limit;
    }
    Ok(())
}

fn set_save(c: &mut Config, args: &[Vec<u8>], append: bool) -> Result<(), String> {
    const INVALID: &str = "Invalid save parameters";
    // A single "" clears the save points, even amid a file's save lines.
    if let [only] = args {
        if only.is_empty() {
            c.save.clear();
            return Ok(());
        }
    }
    let pairs = args.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(INVALID.to_owned());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in pairs {
        let (Some(secs), Some(changes)) = (pair.first(), pair.get(1)) else {
            return Err(INVALID.to_owned());
        };
        let secs = parse_strtoll(secs).filter(|&s| s >= 1);
        let changes = parse_strtoll(changes).filter(|&n| n >= 0);
        match (secs, changes) {
            (Some(s), Some(n)) => points.push((s as u64, n as u64)),
            _ => return Err(INVALID.to_owned()),
        }
    }
    if !append {
        c.save.clear();
    }
    c.save.extend(points);
    Ok(())
}

fn set_dir(c: &mut Config, v: &[u8]) -> Result<(), String> {
    let requested = path_from_bytes(v);
    // Redis chdir()s at once, so a relative dir is relative to the previous one.
    let full = if requested.is_absolute() {
        requested
    } else {
        c.absolute_dir().join(requested)
    };
    let canonical = full.canonicalize().map_err(|e| crate::io_reason(&e))?;
    if !canonical.is_dir() {
        return Err("Not a directory".to_owned());
    }
    c.dir = canonical;
    Ok(())
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

/// Finds a directive by name or alias, ASCII case-insensitively.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static Directive> {
    lookup_spelled(name).map(|(d, _)| d)
}

/// Finds a directive by name or alias, ASCII case-insensitively, with the
/// table's spelling of the name or alias that matched.
pub(crate) fn lookup_spelled(name: &[u8]) -> Option<(&'static Directive, &'static str)> {
    TABLE.iter().find_map(|d| {
        std::iter::once(&d.name)
            .chain(d.aliases)
            .find(|n| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|n| (d, *n))
    })
}

fn parse_bool(v: &[u8]) -> Result<bool, String> {
    if v.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".to_owned())
    }
}

impl Directive {
    /// Applies a directive written with separate arguments (config file,
    /// command line).
    pub(crate) fn apply(
        &self,
        c: &mut Config,
        args: &[Vec<u8>],
        append: bool,
    ) -> Result<(), ApplyError> {
        if let Kind::Multi { set, .. } = &self.kind {
            return set(c, args, append).map_err(ApplyError::Invalid);
        }
        match args {
            [value] => self.apply_one(c, value).map_err(ApplyError::Invalid),
            _ => Err(ApplyError::WrongArgCount),
        }
    }

    /// Applies a CONFIG SET value: multi-argument directives split it on
    /// spaces.
    pub(crate) fn apply_config_set(&self, c: &mut Config, value: &[u8]) -> Result<(), String> {
        match &self.kind {
            Kind::Multi { set, .. } => set(c, &crate::parse::split_spaces(value), false),
            _ => self.apply_one(c, value),
        }
    }

    fn apply_one(&self, c: &mut Config, value: &[u8]) -> Result<(), String> {
        match &self.kind {
            Kind::Bool { set, .. } => set(c, parse_bool(value)?),
            Kind::Int {
                min,
                max,
                memory,
                set,
                ..
            } => {
                let parsed = if *memory {
                    parse_memory(value).ok_or("argument must be a memory value")?
                } else {
                    parse_i64(value).ok_or("argument couldn't be parsed into an integer")?
                };
                if parsed < *min || parsed > *max {
                    return Err(format!(
                        "argument must be between {min} and {max} inclusive"
                    ));
                }
                set(c, parsed);
                Ok(())
            }
            Kind::Enum {
                values,
                listed,
                set,
                ..
            } => match values
                .iter()
                .position(|v| v.as_bytes().eq_ignore_ascii_case(value))
            {
                Some(i) => {
                    set(c, i);
                    Ok(())
                }
                None => Err(format!(
                    "argument(s) must be one of the following: {}",
                    values.get(..*listed).unwrap_or(values).join(", ")
                )),
            },
            Kind::Str { set, .. } => set(c, value),
            Kind::Multi { set, .. } => set(c, &[value.to_vec()], false),
        }
    }

    /// The value CONFIG GET reports.
    pub(crate) fn value(&self, c: &Config) -> Vec<u8> {
        match &self.kind {
            Kind::Bool { get, .. } => if get(c) { "yes" } else { "no" }.into(),
            Kind::Int { get, .. } => get(c).to_string().into_bytes(),
            Kind::Enum { values, get, .. } => {
                values.get(get(c)).copied().unwrap_or_default().into()
            }
            Kind::Str { get, .. } | Kind::Multi { get, .. } => get(c),
        }
    }

    /// The config-file lines that set this directive to its current value.
    pub(crate) fn render(&self, c: &Config) -> Vec<Vec<u8>> {
        let line = |args: &[Vec<u8>], quote_all: bool| {
            let mut out = self.name.as_bytes().to_vec();
            for a in args {
                out.push(b' ');
                out.extend(if quote_all {
                    quote(a)
                } else {
                    quote_if_needed(a)
                });
            }
            out
        };
        match &self.kind {
            Kind::Int {
                get, memory: true, ..
            } => vec![line(&[format_memory(get(c)).into_bytes()], false)],
            Kind::Str { get, .. } => vec![line(&[get(c)], true)],
            Kind::Multi { render, .. } => render(c).iter().map(|args| line(args, false)).collect(),
            _ => vec![line(&[self.value(c)], false)],
        }
    }
}
