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
    /// An integer in `min..=max` whose setter may still refuse it (for
    /// directives of which Ferrite accepts only some values).
    IntChecked {
        min: i64,
        max: i64,
        get: fn(&Config) -> i64,
        set: fn(&mut Config, i64) -> Result<(), String>,
    },
    /// An octal number in `0..=max`, printed in octal (`unixsocketperm`).
    Octal {
        max: u32,
        get: fn(&Config) -> u32,
        set: fn(&mut Config, u32),
    },
    /// One of `values` like `Enum` (all listed in the error), whose setter
    /// may refuse a value.
    EnumChecked {
        values: &'static [&'static str],
        get: fn(&Config) -> usize,
        set: fn(&mut Config, usize) -> Result<(), String>,
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
const ACTIVEDEFRAG_YES: &str = "Active defragmentation cannot be enabled: Ferrite does not \
     defragment memory";
const CLUSTER_ENABLED_YES: &str = "cluster-enabled yes is not supported: this version of Ferrite \
     has no cluster mode";
const PROTECTED_CONFIGS: &str = "only no is supported: this version of Ferrite cannot change \
     protected configs at run time";
const SUPERVISED: &str = "only no is supported: this version of Ferrite does not signal \
     upstart or systemd; run it as a simple service";
const MIN_REPLICAS: &str = "only 0 is supported: this version of Ferrite has no replication";
const PIDFILE: &str = "pidfile is not supported yet: this version of Ferrite writes no pid \
     file; let the supervisor track the process";
const UNIXSOCKET: &str = "unixsocket is not supported yet: this version of Ferrite listens on \
     TCP only";
const REPLICAOF: &str = "replicaof is not supported yet: this version of Ferrite has no \
     replication (only 'replicaof no one' is accepted)";

/// A yes/no directive stored in the field of the same name.
macro_rules! bool_row {
    ($name:literal, [$($alias:literal),*], $field:ident, $m:ident) => {
        Directive {
            name: $name,
            aliases: &[$($alias),*],
            mutability: Mutability::$m,
            kind: Kind::Bool {
                get: |c| c.$field,
                set: |c, v| {
                    c.$field = v;
                    Ok(())
                },
            },
        }
    };
}

/// An integer (or, with `memory`, a memory amount) stored as `i64`.
macro_rules! int_row {
    ($name:literal, [$($alias:literal),*], $field:ident, $min:expr, $max:expr, $memory:expr, $m:ident) => {
        Directive {
            name: $name,
            aliases: &[$($alias),*],
            mutability: Mutability::$m,
            kind: Kind::Int {
                min: $min,
                max: $max,
                memory: $memory,
                get: |c| c.$field,
                set: |c, v| c.$field = v,
            },
        }
    };
}

/// One of a list of words, stored as the table's spelling of the word.
macro_rules! enum_row {
    ($name:literal, [$($alias:literal),*], $field:ident, [$($v:literal),+], $m:ident) => {
        Directive {
            name: $name,
            aliases: &[$($alias),*],
            mutability: Mutability::$m,
            kind: Kind::Enum {
                values: &[$($v),+],
                listed: [$($v),+].len(),
                get: |c| enum_index(&[$($v),+], c.$field),
                set: |c, i| c.$field = enum_word(&[$($v),+], i),
            },
        }
    };
}

/// A byte string, optionally checked by `$check` before it is stored.
macro_rules! str_row {
    ($name:literal, [$($alias:literal),*], $field:ident, $m:ident) => {
        str_row!($name, [$($alias),*], $field, $m, accept_any)
    };
    ($name:literal, [$($alias:literal),*], $field:ident, $m:ident, $check:ident) => {
        Directive {
            name: $name,
            aliases: &[$($alias),*],
            mutability: Mutability::$m,
            kind: Kind::Str {
                get: |c| c.$field.clone(),
                set: |c, v| {
                    $check(v)?;
                    c.$field = v.to_vec();
                    Ok(())
                },
            },
        }
    };
}

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
            get: |c| c.appendonly,
            set: |c, v| {
                c.appendonly = v;
                Ok(())
            },
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
            // As CONFIG REWRITE writes it: `replica` and memory units.
            render: |c| {
                OBUF_REWRITE_NAMES
                    .iter()
                    .zip(c.client_output_buffer_limit.iter())
                    .map(|(name, (h, s, secs))| {
                        vec![
                            name.as_bytes().to_vec(),
                            format_memory(sat_u64(*h)).into_bytes(),
                            format_memory(sat_u64(*s)).into_bytes(),
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
        name: "maxmemory-clients",
        aliases: &[],
        mutability: Mutability::Mutable,
        // A memory value or a percentage: one argument, so a value CONFIG
        // SET splits on spaces is refused whole, as Redis refuses it.
        kind: Kind::Multi {
            get: |c| format_clients_limit(c.maxmemory_clients, false).into_bytes(),
            set: set_maxmemory_clients,
            render: |c| {
                vec![vec![
                    format_clients_limit(c.maxmemory_clients, true).into_bytes()
                ]]
            },
            accumulates_in_file: false,
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
    // Directives whose other values would change behaviour Ferrite does
    // not have: only the default is accepted.
    Directive {
        name: "activedefrag",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Bool {
            get: |_| false,
            set: |_, v| refuse_yes(v, ACTIVEDEFRAG_YES),
        },
    },
    Directive {
        name: "cluster-enabled",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Bool {
            get: |_| false,
            set: |_, v| refuse_yes(v, CLUSTER_ENABLED_YES),
        },
    },
    Directive {
        name: "syslog-enabled",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Bool {
            get: |c| c.syslog_enabled,
            set: |c, v| {
                c.syslog_enabled = v;
                Ok(())
            },
        },
    },
    Directive {
        name: "enable-protected-configs",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::EnumChecked {
            values: &["no", "yes", "local"],
            get: |_| 0,
            set: |_, i| refuse_unless(i == 0, PROTECTED_CONFIGS),
        },
    },
    Directive {
        name: "supervised",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::EnumChecked {
            values: &["upstart", "systemd", "auto", "no"],
            get: |_| 3,
            set: |_, i| refuse_unless(i == 3, SUPERVISED),
        },
    },
    Directive {
        name: "min-replicas-to-write",
        aliases: &["min-slaves-to-write"],
        mutability: Mutability::Mutable,
        kind: Kind::IntChecked {
            min: 0,
            max: INT_MAX,
            get: |_| 0,
            set: |_, v| refuse_unless(v == 0, MIN_REPLICAS),
        },
    },
    Directive {
        name: "tls-port",
        aliases: &[],
        // Mutable in Redis 7.0 (it rebinds); set at start in Ferrite, as `port`.
        mutability: Mutability::Immutable,
        kind: Kind::Int {
            min: 0,
            max: 65535,
            memory: false,
            get: |c| i64::from(c.tls_port),
            set: |c, v| c.tls_port = v as u16,
        },
    },
    Directive {
        name: "pidfile",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Str {
            get: |_| Vec::new(),
            set: |_, v| refuse_unless(v.is_empty(), PIDFILE),
        },
    },
    Directive {
        name: "unixsocket",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Str {
            get: |_| Vec::new(),
            set: |_, v| refuse_unless(v.is_empty(), UNIXSOCKET),
        },
    },
    Directive {
        name: "replicaof",
        aliases: &["slaveof"],
        mutability: Mutability::Immutable,
        kind: Kind::Multi {
            get: |_| Vec::new(),
            set: set_replicaof,
            // A master writes no replicaof line; a rewrite drops old ones,
            // as Redis's does.
            render: |_| Vec::new(),
            accumulates_in_file: false,
        },
    },
    // Directives with a syntax of their own.
    Directive {
        name: "unixsocketperm",
        aliases: &[],
        mutability: Mutability::Immutable,
        kind: Kind::Octal {
            max: 0o777,
            get: |c| c.unixsocketperm,
            set: |c, v| c.unixsocketperm = v,
        },
    },
    Directive {
        name: "oom-score-adj-values",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| join_words(c.oom_score_adj_values.iter().map(i32::to_string)),
            set: set_oom_score_adj_values,
            render: |c| {
                vec![c
                    .oom_score_adj_values
                    .iter()
                    .map(|v| v.to_string().into_bytes())
                    .collect()]
            },
            accumulates_in_file: false,
        },
    },
    Directive {
        name: "shutdown-on-sigint",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| join_words(shutdown_words(c.shutdown_on_sigint)),
            set: |c, args, _| {
                c.shutdown_on_sigint = parse_shutdown_flags(args)?;
                Ok(())
            },
            render: |c| {
                vec![shutdown_words(c.shutdown_on_sigint)
                    .map(String::into_bytes)
                    .collect()]
            },
            accumulates_in_file: false,
        },
    },
    Directive {
        name: "shutdown-on-sigterm",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Multi {
            get: |c| join_words(shutdown_words(c.shutdown_on_sigterm)),
            set: |c, args, _| {
                c.shutdown_on_sigterm = parse_shutdown_flags(args)?;
                Ok(())
            },
            render: |c| {
                vec![shutdown_words(c.shutdown_on_sigterm)
                    .map(String::into_bytes)
                    .collect()]
            },
            accumulates_in_file: false,
        },
    },
    // Tuning knobs and stored values, in name order.
    int_row!(
        "active-defrag-cycle-max",
        [],
        active_defrag_cycle_max,
        1,
        99,
        false,
        Mutable
    ),
    int_row!(
        "active-defrag-cycle-min",
        [],
        active_defrag_cycle_min,
        1,
        99,
        false,
        Mutable
    ),
    int_row!(
        "active-defrag-ignore-bytes",
        [],
        active_defrag_ignore_bytes,
        1,
        i64::MAX,
        true,
        Mutable
    ),
    int_row!(
        "active-defrag-max-scan-fields",
        [],
        active_defrag_max_scan_fields,
        1,
        i64::MAX,
        false,
        Mutable
    ),
    int_row!(
        "active-defrag-threshold-lower",
        [],
        active_defrag_threshold_lower,
        0,
        1000,
        false,
        Mutable
    ),
    int_row!(
        "active-defrag-threshold-upper",
        [],
        active_defrag_threshold_upper,
        0,
        1000,
        false,
        Mutable
    ),
    bool_row!("activerehashing", [], activerehashing, Mutable),
    bool_row!("always-show-logo", [], always_show_logo, Immutable),
    bool_row!("aof-disable-auto-gc", [], aof_disable_auto_gc, Mutable),
    bool_row!("aof-load-truncated", [], aof_load_truncated, Mutable),
    bool_row!(
        "aof-rewrite-incremental-fsync",
        [],
        aof_rewrite_incremental_fsync,
        Mutable
    ),
    bool_row!("aof-timestamp-enabled", [], aof_timestamp_enabled, Mutable),
    bool_row!("aof-use-rdb-preamble", [], aof_use_rdb_preamble, Mutable),
    str_row!("aof_rewrite_cpulist", [], aof_rewrite_cpulist, Immutable),
    str_row!("appenddirname", [], appenddirname, Immutable, valid_dirname),
    str_row!(
        "appendfilename",
        [],
        appendfilename,
        Immutable,
        valid_appendfilename
    ),
    enum_row!(
        "appendfsync",
        [],
        appendfsync,
        ["everysec", "always", "no"],
        Mutable
    ),
    int_row!(
        "auto-aof-rewrite-min-size",
        [],
        auto_aof_rewrite_min_size,
        0,
        i64::MAX,
        true,
        Mutable
    ),
    int_row!(
        "auto-aof-rewrite-percentage",
        [],
        auto_aof_rewrite_percentage,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    str_row!("bgsave_cpulist", [], bgsave_cpulist, Immutable),
    str_row!("bind-source-addr", [], bind_source_addr, Mutable),
    str_row!("bio_cpulist", [], bio_cpulist, Immutable),
    bool_row!(
        "cluster-allow-pubsubshard-when-down",
        [],
        cluster_allow_pubsubshard_when_down,
        Mutable
    ),
    bool_row!(
        "cluster-allow-reads-when-down",
        [],
        cluster_allow_reads_when_down,
        Mutable
    ),
    bool_row!(
        "cluster-allow-replica-migration",
        [],
        cluster_allow_replica_migration,
        Mutable
    ),
    int_row!(
        "cluster-announce-bus-port",
        [],
        cluster_announce_bus_port,
        0,
        65535,
        false,
        Mutable
    ),
    str_row!(
        "cluster-announce-hostname",
        [],
        cluster_announce_hostname,
        Mutable
    ),
    str_row!("cluster-announce-ip", [], cluster_announce_ip, Mutable),
    int_row!(
        "cluster-announce-port",
        [],
        cluster_announce_port,
        0,
        65535,
        false,
        Mutable
    ),
    int_row!(
        "cluster-announce-tls-port",
        [],
        cluster_announce_tls_port,
        0,
        65535,
        false,
        Mutable
    ),
    str_row!("cluster-config-file", [], cluster_config_file, Immutable),
    int_row!(
        "cluster-link-sendbuf-limit",
        [],
        cluster_link_sendbuf_limit,
        0,
        i64::MAX,
        true,
        Mutable
    ),
    int_row!(
        "cluster-migration-barrier",
        [],
        cluster_migration_barrier,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!(
        "cluster-node-timeout",
        [],
        cluster_node_timeout,
        0,
        i64::MAX,
        false,
        Mutable
    ),
    int_row!("cluster-port", [], cluster_port, 0, 65535, false, Immutable),
    enum_row!(
        "cluster-preferred-endpoint-type",
        [],
        cluster_preferred_endpoint_type,
        ["ip", "hostname", "unknown-endpoint"],
        Mutable
    ),
    bool_row!(
        "cluster-replica-no-failover",
        ["cluster-slave-no-failover"],
        cluster_replica_no_failover,
        Mutable
    ),
    int_row!(
        "cluster-replica-validity-factor",
        ["cluster-slave-validity-factor"],
        cluster_replica_validity_factor,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    bool_row!(
        "cluster-require-full-coverage",
        [],
        cluster_require_full_coverage,
        Mutable
    ),
    bool_row!("crash-log-enabled", [], crash_log_enabled, Mutable),
    bool_row!(
        "crash-memcheck-enabled",
        [],
        crash_memcheck_enabled,
        Mutable
    ),
    str_row!("dbfilename", [], dbfilename, Protected, valid_dbfilename),
    bool_row!("disable-thp", [], disable_thp, Immutable),
    bool_row!("dynamic-hz", [], dynamic_hz, Mutable),
    enum_row!(
        "enable-debug-command",
        [],
        enable_debug_command,
        ["no", "yes", "local"],
        Immutable
    ),
    enum_row!(
        "enable-module-command",
        [],
        enable_module_command,
        ["no", "yes", "local"],
        Immutable
    ),
    int_row!(
        "hll-sparse-max-bytes",
        [],
        hll_sparse_max_bytes,
        0,
        i64::MAX,
        true,
        Mutable
    ),
    str_row!("ignore-warnings", [], ignore_warnings, Mutable),
    int_row!("io-threads", [], io_threads, 1, 128, false, Immutable),
    bool_row!("io-threads-do-reads", [], io_threads_do_reads, Immutable),
    bool_row!("jemalloc-bg-thread", [], jemalloc_bg_thread, Mutable),
    bool_row!(
        "lazyfree-lazy-eviction",
        [],
        lazyfree_lazy_eviction,
        Mutable
    ),
    bool_row!("lazyfree-lazy-expire", [], lazyfree_lazy_expire, Mutable),
    bool_row!(
        "lazyfree-lazy-server-del",
        [],
        lazyfree_lazy_server_del,
        Mutable
    ),
    bool_row!(
        "lazyfree-lazy-user-del",
        [],
        lazyfree_lazy_user_del,
        Mutable
    ),
    bool_row!(
        "lazyfree-lazy-user-flush",
        [],
        lazyfree_lazy_user_flush,
        Mutable
    ),
    str_row!("masterauth", [], masterauth, Mutable),
    str_row!("masteruser", [], masteruser, Mutable),
    int_row!(
        "min-replicas-max-lag",
        ["min-slaves-max-lag"],
        min_replicas_max_lag,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    bool_row!(
        "no-appendfsync-on-rewrite",
        [],
        no_appendfsync_on_rewrite,
        Mutable
    ),
    Directive {
        name: "oom-score-adj",
        aliases: &[],
        mutability: Mutability::Mutable,
        kind: Kind::Enum {
            values: &["no", "yes", "relative", "absolute"],
            listed: 4,
            get: |c| enum_index(&["no", "yes", "relative", "absolute"], c.oom_score_adj),
            // `relative` is another name of `yes`; Redis reports it as `yes`.
            set: |c, i| c.oom_score_adj = enum_word(&["no", "yes", "yes", "absolute"], i),
        },
    },
    str_row!(
        "proc-title-template",
        [],
        proc_title_template,
        Mutable,
        valid_proc_title
    ),
    enum_row!(
        "propagation-error-behavior",
        [],
        propagation_error_behavior,
        ["ignore", "panic", "panic-on-replicas"],
        Mutable
    ),
    bool_row!("rdb-del-sync-files", [], rdb_del_sync_files, Mutable),
    bool_row!(
        "rdb-save-incremental-fsync",
        [],
        rdb_save_incremental_fsync,
        Mutable
    ),
    bool_row!("rdbchecksum", [], rdbchecksum, Immutable),
    bool_row!("rdbcompression", [], rdbcompression, Mutable),
    int_row!(
        "repl-backlog-size",
        [],
        repl_backlog_size,
        1,
        i64::MAX,
        true,
        Mutable
    ),
    int_row!(
        "repl-backlog-ttl",
        [],
        repl_backlog_ttl,
        0,
        i64::MAX,
        false,
        Mutable
    ),
    bool_row!(
        "repl-disable-tcp-nodelay",
        [],
        repl_disable_tcp_nodelay,
        Mutable
    ),
    enum_row!(
        "repl-diskless-load",
        [],
        repl_diskless_load,
        ["disabled", "on-empty-db", "swapdb"],
        Mutable
    ),
    bool_row!("repl-diskless-sync", [], repl_diskless_sync, Mutable),
    int_row!(
        "repl-diskless-sync-delay",
        [],
        repl_diskless_sync_delay,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!(
        "repl-diskless-sync-max-replicas",
        [],
        repl_diskless_sync_max_replicas,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!(
        "repl-ping-replica-period",
        ["repl-ping-slave-period"],
        repl_ping_replica_period,
        1,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!("repl-timeout", [], repl_timeout, 1, INT_MAX, false, Mutable),
    str_row!(
        "replica-announce-ip",
        ["slave-announce-ip"],
        replica_announce_ip,
        Mutable
    ),
    int_row!(
        "replica-announce-port",
        ["slave-announce-port"],
        replica_announce_port,
        0,
        65535,
        false,
        Mutable
    ),
    bool_row!("replica-announced", [], replica_announced, Mutable),
    bool_row!(
        "replica-ignore-disk-write-errors",
        [],
        replica_ignore_disk_write_errors,
        Mutable
    ),
    bool_row!(
        "replica-ignore-maxmemory",
        ["slave-ignore-maxmemory"],
        replica_ignore_maxmemory,
        Mutable
    ),
    bool_row!(
        "replica-lazy-flush",
        ["slave-lazy-flush"],
        replica_lazy_flush,
        Mutable
    ),
    int_row!(
        "replica-priority",
        ["slave-priority"],
        replica_priority,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    bool_row!(
        "replica-read-only",
        ["slave-read-only"],
        replica_read_only,
        Mutable
    ),
    bool_row!(
        "replica-serve-stale-data",
        ["slave-serve-stale-data"],
        replica_serve_stale_data,
        Mutable
    ),
    enum_row!(
        "sanitize-dump-payload",
        [],
        sanitize_dump_payload,
        ["no", "yes", "clients"],
        Mutable
    ),
    str_row!("server_cpulist", [], server_cpulist, Immutable),
    bool_row!("set-proc-title", [], set_proc_title, Immutable),
    int_row!(
        "shutdown-timeout",
        [],
        shutdown_timeout,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!(
        "socket-mark-id",
        [],
        socket_mark_id,
        0,
        UINT_MAX,
        false,
        Immutable
    ),
    bool_row!(
        "stop-writes-on-bgsave-error",
        [],
        stop_writes_on_bgsave_error,
        Mutable
    ),
    int_row!(
        "stream-node-max-bytes",
        [],
        stream_node_max_bytes,
        0,
        i64::MAX,
        true,
        Mutable
    ),
    int_row!(
        "stream-node-max-entries",
        [],
        stream_node_max_entries,
        0,
        i64::MAX,
        false,
        Mutable
    ),
    enum_row!(
        "syslog-facility",
        [],
        syslog_facility,
        ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"],
        Immutable
    ),
    str_row!("syslog-ident", [], syslog_ident, Immutable),
    int_row!("tcp-backlog", [], tcp_backlog, 0, INT_MAX, false, Immutable),
    enum_row!(
        "tls-auth-clients",
        [],
        tls_auth_clients,
        ["no", "yes", "optional"],
        Mutable
    ),
    str_row!("tls-ca-cert-dir", [], tls_ca_cert_dir, Mutable),
    str_row!("tls-ca-cert-file", [], tls_ca_cert_file, Mutable),
    str_row!("tls-cert-file", [], tls_cert_file, Mutable),
    str_row!("tls-ciphers", [], tls_ciphers, Mutable),
    str_row!("tls-ciphersuites", [], tls_ciphersuites, Mutable),
    str_row!("tls-client-cert-file", [], tls_client_cert_file, Mutable),
    str_row!("tls-client-key-file", [], tls_client_key_file, Mutable),
    str_row!(
        "tls-client-key-file-pass",
        [],
        tls_client_key_file_pass,
        Mutable
    ),
    bool_row!("tls-cluster", [], tls_cluster, Mutable),
    str_row!("tls-dh-params-file", [], tls_dh_params_file, Mutable),
    str_row!("tls-key-file", [], tls_key_file, Mutable),
    str_row!("tls-key-file-pass", [], tls_key_file_pass, Mutable),
    bool_row!(
        "tls-prefer-server-ciphers",
        [],
        tls_prefer_server_ciphers,
        Mutable
    ),
    str_row!("tls-protocols", [], tls_protocols, Mutable),
    bool_row!("tls-replication", [], tls_replication, Mutable),
    int_row!(
        "tls-session-cache-size",
        [],
        tls_session_cache_size,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    int_row!(
        "tls-session-cache-timeout",
        [],
        tls_session_cache_timeout,
        0,
        INT_MAX,
        false,
        Mutable
    ),
    bool_row!("tls-session-caching", [], tls_session_caching, Mutable),
];

/// Refuses a value with `why` unless `ok`.
fn refuse_unless(ok: bool, why: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why.to_owned())
    }
}

/// `str_row!`'s check for strings Redis takes as they are.
fn accept_any(_: &[u8]) -> Result<(), String> {
    Ok(())
}

/// The position of `word` in an enum's value list (0 if absent, which the
/// setters never let happen).
fn enum_index(values: &[&str], word: &str) -> usize {
    values.iter().position(|v| *v == word).unwrap_or(0)
}

/// The value at `index` of an enum's value list.
fn enum_word(values: &'static [&'static str], index: usize) -> &'static str {
    values
        .get(index)
        .or(values.first())
        .copied()
        .unwrap_or_default()
}

/// Words joined by single spaces, as CONFIG GET prints lists.
fn join_words(words: impl Iterator<Item = String>) -> Vec<u8> {
    words.collect::<Vec<_>>().join(" ").into_bytes()
}

fn valid_dbfilename(v: &[u8]) -> Result<(), String> {
    refuse_unless(
        !v.contains(&b'/'),
        "dbfilename can't be a path, just a filename",
    )
}

fn valid_appendfilename(v: &[u8]) -> Result<(), String> {
    refuse_unless(
        !v.contains(&b'/'),
        "appendfilename can't be a path, just a filename",
    )
}

fn valid_dirname(v: &[u8]) -> Result<(), String> {
    refuse_unless(
        !v.contains(&b'/'),
        "appenddirname can't be a path, just a dirname",
    )
}

/// Checks a `proc-title-template` as Redis 7.0 does: `{name}` variables
/// from a known list (`{{` is a literal brace), and the title it gives for
/// an unnamed standalone server must not be blank. `{unixsocket}` is refused
/// because Ferrite never has a Unix socket, which is how Redis treats it
/// without one.
fn valid_proc_title(v: &[u8]) -> Result<(), String> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let mut rest = v;
    let mut visible = false;
    while let Some(open) = rest.iter().position(|&b| b == b'{') {
        let (text, after) = rest.split_at(open);
        visible |= text.iter().any(|&b| b != b' ');
        let after = after.get(1..).unwrap_or_default();
        if after.first() == Some(&b'{') {
            visible = true;
            rest = after.get(1..).unwrap_or_default();
            continue;
        }
        let close = after.iter().position(|&b| b == b'}').ok_or(INVALID)?;
        let (name, tail) = after.split_at(close);
        visible |= match name {
            // Empty for an unnamed standalone server.
            b"title" | b"server-mode" => false,
            b"listen-addr" | b"port" | b"tls-port" | b"config-file" => true,
            _ => return Err(INVALID.to_owned()),
        };
        rest = tail.get(1..).unwrap_or_default();
    }
    visible |= rest.iter().any(|&b| b != b' ');
    refuse_unless(visible, INVALID)
}

/// `replicaof no one` is the only form accepted: Ferrite has no replication.
fn set_replicaof(_: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    match args {
        [host, port] if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") => {
            Ok(())
        }
        [_, _] => Err(REPLICAOF.to_owned()),
        _ => Err("wrong number of arguments".to_owned()),
    }
}

/// The OOM score range Redis accepts for each class.
const OOM_SCORE_RANGE: std::ops::RangeInclusive<i64> = -2000..=2000;

fn set_oom_score_adj_values(c: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    const INVALID: &str = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
    let [a, b, d] = args else {
        return Err("wrong number of arguments".to_owned());
    };
    let mut values = [0i32; 3];
    for (slot, arg) in values.iter_mut().zip([a, b, d]) {
        let v = parse_strtoll(arg)
            .filter(|v| OOM_SCORE_RANGE.contains(v))
            .ok_or(INVALID)?;
        *slot = i32::try_from(v).map_err(|_| INVALID.to_owned())?;
    }
    c.oom_score_adj_values = values;
    Ok(())
}

/// The words of `shutdown-on-sigint`/`-sigterm`, with their flag bits
/// (`default` is no bit at all).
const SHUTDOWN_FLAGS: [(&str, u8); 5] = [
    ("default", 0),
    ("save", crate::SHUTDOWN_SAVE),
    ("nosave", crate::SHUTDOWN_NOSAVE),
    ("now", crate::SHUTDOWN_NOW),
    ("force", crate::SHUTDOWN_FORCE),
];

/// A set of shutdown flags as CONFIG GET prints it: `default` alone, or
/// the set flags in the table's order.
fn shutdown_words(flags: u8) -> impl Iterator<Item = String> {
    let words: Vec<String> = if flags == 0 {
        vec!["default".to_owned()]
    } else {
        SHUTDOWN_FLAGS
            .iter()
            .filter(|(_, bit)| *bit != 0 && flags & bit != 0)
            .map(|(w, _)| (*w).to_owned())
            .collect()
    };
    words.into_iter()
}

/// One or more of `default save nosave now force`, any case; SAVE and
/// NOSAVE exclude each other.
fn parse_shutdown_flags(args: &[Vec<u8>]) -> Result<u8, String> {
    if args.is_empty() {
        return Err(enum_error(&SHUTDOWN_FLAGS.map(|(w, _)| w)));
    }
    let mut flags = 0;
    for arg in args {
        let bit = SHUTDOWN_FLAGS
            .iter()
            .find(|(w, _)| w.as_bytes().eq_ignore_ascii_case(arg))
            .map(|(_, bit)| *bit)
            .ok_or_else(|| enum_error(&SHUTDOWN_FLAGS.map(|(w, _)| w)))?;
        flags |= bit;
    }
    if flags & crate::SHUTDOWN_SAVE != 0 && flags & crate::SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".to_owned());
    }
    Ok(flags)
}

/// Redis's error for a word outside an enum's list.
fn enum_error(values: &[&str]) -> String {
    format!(
        "argument(s) must be one of the following: {}",
        values.join(", ")
    )
}

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
/// The class names CONFIG REWRITE writes.
const OBUF_REWRITE_NAMES: [&str; 3] = ["normal", "replica", "pubsub"];

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

/// An integer (or memory amount) within `min..=max`, with Redis's errors.
/// Parses `maxmemory-clients` as Redis 7.0 does: `N%` (a plain integer
/// from 0 to 100, stored negated) or a memory value with Redis's wrap-around
/// arithmetic, whose negative results count as percentages too (so a huge
/// value may end up as `1%`, exactly as in Redis). The empty value is 0.
fn set_maxmemory_clients(c: &mut Config, args: &[Vec<u8>], _append: bool) -> Result<(), String> {
    const NOT_A_VALUE: &str = "argument must be a memory or percent value";
    let value: &[u8] = match args {
        [] => b"",
        [v] => v,
        _ => return Err(NOT_A_VALUE.to_owned()),
    };
    let parsed = match value.split_last() {
        Some((b'%', digits)) if !digits.is_empty() => parse_i64(digits)
            .filter(|&p| p >= 0)
            .map(|p| -p)
            .ok_or(NOT_A_VALUE)?,
        _ => parse_memory(value).ok_or(NOT_A_VALUE)?,
    };
    if parsed < -100 {
        return Err("percentage argument must be less or equal to 100".to_owned());
    }
    c.maxmemory_clients = parsed;
    Ok(())
}

/// `maxmemory-clients` as CONFIG GET shows it (`10%` or bytes), or, for
/// a config file, with Redis's memory units.
fn format_clients_limit(v: i64, units: bool) -> String {
    if v < 0 {
        format!("{}%", v.unsigned_abs())
    } else if units {
        format_memory(v)
    } else {
        v.to_string()
    }
}

fn parse_int_in(value: &[u8], min: i64, max: i64, memory: bool) -> Result<i64, String> {
    let parsed = if memory {
        parse_memory(value).ok_or("argument must be a memory value")?
    } else {
        parse_i64(value).ok_or("argument couldn't be parsed into an integer")?
    };
    if parsed < min || parsed > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(parsed)
}

/// Octal digits only (no sign, no spaces), as a `u32`.
fn parse_octal(value: &[u8]) -> Option<u32> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u32, |acc, &d| match d {
        b'0'..=b'7' => acc.checked_mul(8)?.checked_add(u32::from(d - b'0')),
        _ => None,
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
                set(c, parse_int_in(value, *min, *max, *memory)?);
                Ok(())
            }
            Kind::IntChecked { min, max, set, .. } => {
                set(c, parse_int_in(value, *min, *max, false)?)
            }
            Kind::Octal { max, set, .. } => {
                let parsed =
                    parse_octal(value).ok_or("argument couldn't be parsed as an octal number")?;
                if parsed > *max {
                    return Err(format!("argument must be between 0 and {max:o} inclusive"));
                }
                set(c, parsed);
                Ok(())
            }
            Kind::EnumChecked { values, set, .. } => match values
                .iter()
                .position(|v| v.as_bytes().eq_ignore_ascii_case(value))
            {
                Some(i) => set(c, i),
                None => Err(enum_error(values)),
            },
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
            Kind::IntChecked { get, .. } => get(c).to_string().into_bytes(),
            Kind::Octal { get, .. } => format!("{:o}", get(c)).into_bytes(),
            Kind::Enum { values, get, .. } | Kind::EnumChecked { values, get, .. } => {
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
