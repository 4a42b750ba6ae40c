//! Ferrite's configuration: the directives a Redis 7.0 user knows, with
//! Redis's names, defaults, value syntax and error texts.
//!
//! One table of directives (`table.rs`) serves every way of setting them:
//! redis.conf files ([`Config::load_file`]), the command line
//! ([`Config::from_args`]), `CONFIG GET` ([`Config::get`]), `CONFIG SET`
//! ([`Config::set`]) and a future `CONFIG REWRITE` ([`Config::render`]).
//! Adding a directive is one field in [`Config`] plus one table row.
//!
//! This crate only parses and stores values; it never binds sockets, opens
//! log files or changes the working directory. The runtime does that from the
//! values found here (for `dir`, by `chdir`-ing to [`Config::dir`] at start,
//! as Redis does).

mod error;
pub mod notify_flags;
mod parse;
mod table;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrorKind, Origin, MAX_INCLUDE_DEPTH};

use table::{ApplyError, Kind, Mutability, TABLE};

/// Server log verbosity, from most to least verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LogLevel {
    /// Everything, for development.
    Debug,
    /// Much rarely useful information.
    Verbose,
    /// Moderately verbose; the default.
    #[default]
    Notice,
    /// Only very important or critical messages.
    Warning,
    /// Nothing at all (Redis 7.2's level, accepted as an extension).
    Nothing,
}

impl LogLevel {
    /// The name used in configuration files and `CONFIG GET loglevel`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Nothing => "nothing",
        }
    }

    /// The level at `index` in declaration order (matching the table's
    /// value list); out-of-range indexes give the default.
    fn from_index(index: usize) -> LogLevel {
        match index {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            2 => LogLevel::Notice,
            3 => LogLevel::Warning,
            4 => LogLevel::Nothing,
            _ => LogLevel::Notice,
        }
    }
}

/// The server configuration. Field defaults are Redis 7.0's (see
/// [`Config::default`]); each field is set by the directive of the same name
/// with `-` for `_`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `port`: TCP port to listen on; 0 means no TCP listener, as in Redis.
    pub port: u16,
    /// `bind`: addresses to listen on. An address prefixed with `-` is
    /// optional: failing to bind it because it is unavailable (e.g. no IPv6)
    /// is not an error. `*` means all IPv4 addresses, `::*` all IPv6 ones.
    /// Empty means no TCP listener.
    pub bind: Vec<String>,
    /// `databases`: number of logical databases (SELECT 0..N-1).
    pub databases: usize,
    /// `shards` (Ferrite only): number of shard threads; 0 means one per CPU
    /// core (see [`Config::effective_shards`]).
    pub shards: usize,
    /// `dir`: working directory for data files. `.` (the default) means the
    /// process's current directory; once set by a directive it is absolute
    /// and canonical.
    pub dir: PathBuf,
    /// `logfile`: log file path; empty means standard output.
    pub logfile: String,
    /// `loglevel`: log verbosity.
    pub loglevel: LogLevel,
    /// `maxclients`: maximum number of simultaneous clients.
    pub maxclients: u64,
    /// `timeout`: close a client idle for this many seconds; 0 disables.
    pub timeout: u64,
    /// `tcp-keepalive`: TCP keepalive period in seconds; 0 disables.
    pub tcp_keepalive: u64,
    /// `protected-mode`: refuse non-loopback clients when no password and no
    /// explicit bind are configured.
    pub protected_mode: bool,
    /// `requirepass`: password of the default user; `None` when empty.
    pub requirepass: Option<Vec<u8>>,
    /// `proto-max-bulk-len`: largest bulk string a client may send, in bytes.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`: largest query buffer per client, in bytes.
    pub client_query_buffer_limit: u64,
    /// `save`: snapshot rules as (seconds, changes) pairs; empty disables.
    pub save: Vec<(u64, u64)>,
    /// `tracking-table-max-keys`: most keys client-side caching remembers
    /// (0: no limit).
    pub tracking_table_max_keys: u64,
    /// `busy-reply-threshold` (alias `lua-time-limit`): milliseconds a
    /// script may run before other clients get `-BUSY` and SCRIPT KILL may
    /// stop it.
    pub busy_reply_threshold: u64,
    /// `client-output-buffer-limit`: (hard bytes, soft bytes, soft seconds)
    /// for the normal, replica and pubsub classes, in that order (0: none).
    pub client_output_buffer_limit: [(u64, u64, u64); 3],
    /// `hz`: frequency of background tasks, kept within 1..=500.
    pub hz: u32,
    /// `active-expire-effort`: 1..=10, how hard active expiry works.
    pub active_expire_effort: u32,
    /// `list-max-listpack-size`: the size of one packed list node; positive:
    /// at most that many elements, -1..=-5: at most 4, 8, 16, 32 or 64 KiB.
    pub list_max_listpack_size: i32,
    /// `list-compress-depth`: accepted and reported; Ferrite does not
    /// compress list nodes (see docs/configuration.md).
    pub list_compress_depth: i32,
    /// `hash-max-listpack-entries`: a hash with more fields is stored as a table.
    pub hash_max_listpack_entries: u64,
    /// `hash-max-listpack-value`: a hash with a longer field or value is
    /// stored as a table.
    pub hash_max_listpack_value: u64,
    /// `set-max-intset-entries`: a set of integers with more members is
    /// stored as a table.
    pub set_max_intset_entries: u64,
    /// `zset-max-listpack-entries`: a sorted set with more members is stored
    /// as a skiplist.
    pub zset_max_listpack_entries: u64,
    /// `zset-max-listpack-value`: a sorted set with a longer member is
    /// stored as a skiplist.
    pub zset_max_listpack_value: u64,
    /// `notify-keyspace-events`: the keyspace notification classes enabled,
    /// as Redis's class bits (see [`notify_flags`]); 0 (the default)
    /// publishes nothing.
    pub notify_keyspace_events: u32,
    /// `maxmemory`: the memory limit in bytes (0: none).
    pub maxmemory: u64,
    /// `maxmemory-policy`: what happens when a write would pass `maxmemory`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`: keys sampled per eviction round.
    pub maxmemory_samples: u64,
    /// `maxmemory-eviction-tenacity`: 0..=100, how long one command may
    /// keep evicting before it lets the next run (Redis's scale).
    pub maxmemory_eviction_tenacity: u32,
    /// `lfu-log-factor`: how slowly the LFU counter grows.
    pub lfu_log_factor: u64,
    /// `lfu-decay-time`: minutes after which an idle key's LFU counter halves
    /// (0: never decays).
    pub lfu_decay_time: u64,
    /// `slowlog-log-slower-than`: microseconds from which a command enters
    /// the slow log (0: every command; -1: none).
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`: entries kept in the slow log.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`: milliseconds from which an event is
    /// recorded by LATENCY (0: off).
    pub latency_monitor_threshold: u64,
    /// `latency-tracking`: per-command latency histograms (INFO latencystats).
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`: the percentiles INFO latencystats
    /// reports.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// `aclfile`: where ACL SAVE writes and ACL LOAD reads users (empty: none).
    pub aclfile: String,
    /// `acllog-max-len`: entries kept in ACL LOG.
    pub acllog_max_len: u64,
    /// `acl-pubsub-default`: whether new users may use every channel.
    pub acl_pubsub_default: AclPubsubDefault,
    /// `metrics-port` (Ferrite only): the port of the Prometheus `/metrics`
    /// HTTP endpoint; 0 (the default) serves none.
    pub metrics_port: u16,
    /// `metrics-bind` (Ferrite only): the address the metrics endpoint
    /// listens on.
    pub metrics_bind: String,
    /// `user` lines of the config file and command line, each the words
    /// after `user` (name, then rules), in order. Not a CONFIG GET/SET
    /// directive, as in Redis.
    pub users: Vec<Vec<Vec<u8>>>,
}

/// `maxmemory-policy`'s values, in Redis's listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MaxmemoryPolicy {
    /// Evict the least recently used of the keys with a TTL.
    VolatileLru,
    /// Evict the least frequently used of the keys with a TTL.
    VolatileLfu,
    /// Evict random keys with a TTL.
    VolatileRandom,
    /// Evict the keys with a TTL that expire soonest.
    VolatileTtl,
    /// Evict the least recently used keys.
    AllkeysLru,
    /// Evict the least frequently used keys.
    AllkeysLfu,
    /// Evict random keys.
    AllkeysRandom,
    /// Evict nothing: writes that need memory fail with `-OOM`.
    #[default]
    Noeviction,
}

impl MaxmemoryPolicy {
    /// Every policy in the order of the table's value list.
    pub const ALL: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::AllkeysLru,
        MaxmemoryPolicy::AllkeysLfu,
        MaxmemoryPolicy::AllkeysRandom,
        MaxmemoryPolicy::Noeviction,
    ];

    /// The name used by the config file and CONFIG GET.
    pub fn as_str(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::Noeviction => "noeviction",
        }
    }

    /// True for the LFU policies (OBJECT FREQ needs one of them).
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }
}

/// `acl-pubsub-default`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AclPubsubDefault {
    /// New users may use every channel (`&*`).
    AllChannels,
    /// New users may use no channel until granted (Redis 7.0's default).
    #[default]
    ResetChannels,
}

impl Default for Config {
    /// Redis 7.0's defaults, except `bind`: Redis's built-in default is
    /// `* -::*` (all interfaces, with protected mode keeping strangers out),
    /// while Ferrite listens on loopback only, `127.0.0.1 -::1`, as Redis's
    /// shipped redis.conf does.
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".to_owned(), "-::1".to_owned()],
            databases: 16,
            shards: 0,
            dir: PathBuf::from("."),
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            maxclients: 10_000,
            timeout: 0,
            tcp_keepalive: 300,
            protected_mode: true,
            requirepass: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            save: vec![(3600, 1), (300, 100), (60, 10_000)],
            tracking_table_max_keys: 1_000_000,
            busy_reply_threshold: 5000,
            client_output_buffer_limit: [
                (0, 0, 0),
                (256 << 20, 64 << 20, 60),
                (32 << 20, 8 << 20, 60),
            ],
            hz: 10,
            active_expire_effort: 1,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            notify_keyspace_events: 0,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::Noeviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: AclPubsubDefault::ResetChannels,
            users: Vec::new(),
            metrics_port: 0,
            metrics_bind: "127.0.0.1".to_owned(),
        }
    }
}

/// Per-load state of one configuration file and its includes.
#[derive(Default)]
struct LoadState {
    /// Accumulating directives (`save`) already met in this load: their
    /// later lines append instead of replacing.
    seen: Vec<&'static str>,
}

impl Config {
    /// Builds the configuration from command-line arguments, like
    /// `redis-server`: `args` excludes the program name; an optional first
    /// argument not starting with `--` is a config file, loaded first; then
    /// `--directive value ...` groups are applied in order. A directive may
    /// take several values (`--bind 127.0.0.1 ::1`, `--save 60 1000`) or
    /// none (`--save` alone, like `--save ""`, clears the save points).
    ///
    /// Handle `-v`, `--version`, `-h` and `--help` before calling this.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut rest = args;
        if let Some((first, tail)) = args.split_first() {
            if !first.starts_with("--") {
                config.load_file(Path::new(first))?;
                rest = tail;
            }
        }
        let mut pending: Option<(&str, Vec<String>)> = None;
        for arg in rest {
            if let Some(name) = arg.strip_prefix("--") {
                if let Some((name, values)) = pending.take() {
                    config
                        .apply_directive(name, &values)
                        .map_err(ConfigError::on_command_line)?;
                }
                pending = Some((name, Vec::new()));
            } else if let Some((_, values)) = pending.as_mut() {
                values.push(arg.clone());
            } else {
                return Err(ConfigError::new(
                    ConfigErrorKind::UnexpectedArgument(arg.clone()),
                    Origin::CommandLine { text: arg.clone() },
                ));
            }
        }
        if let Some((name, values)) = pending {
            config
                .apply_directive(name, &values)
                .map_err(ConfigError::on_command_line)?;
        }
        Ok(config)
    }

    /// Loads a redis.conf-syntax file over the current values: one directive
    /// per line, `#` comments, quoting as Redis (`"..."` with `\n \r \t \b \a
    /// \xHH` escapes, `'...'` with `\'`), case-insensitive names, the last
    /// setting wins (except `save`, whose lines in one load accumulate, as in
    /// Redis). `include path` loads another file in place; a relative path is
    /// relative to the current `dir` (the process's working directory unless
    /// `dir` was set, which is what Redis's chdir gives), and nesting deeper
    /// than [`MAX_INCLUDE_DEPTH`] is refused, which stops include cycles.
    ///
    /// On error the values set by lines before the faulty one stay applied;
    /// the error is meant to be fatal, as in Redis.
    pub fn load_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        self.load_file_at(path, 0, &mut LoadState::default())
    }

    fn load_file_at(
        &mut self,
        path: &Path,
        depth: usize,
        state: &mut LoadState,
    ) -> Result<(), ConfigError> {
        let data = std::fs::read(path).map_err(|e| {
            ConfigError::new(
                ConfigErrorKind::Io {
                    path: path.to_path_buf(),
                    message: io_reason(&e),
                },
                Origin::Unspecified,
            )
        })?;
        self.load_bytes(&data, path, depth, state)
    }

    /// Applies configuration text read from `path`.
    fn load_bytes(
        &mut self,
        data: &[u8],
        path: &Path,
        depth: usize,
        state: &mut LoadState,
    ) -> Result<(), ConfigError> {
        for (index, raw) in data.split(|&b| b == b'\n').enumerate() {
            let line_no = index + 1;
            let line = parse::trim_line(raw);
            if line.is_empty() || line.first() == Some(&b'#') {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            let origin = || Origin::File {
                path: path.to_path_buf(),
                line: line_no,
                text: text.clone().into_owned(),
                included_from: Vec::new(),
            };
            let args = parse::split_args(line)
                .ok_or_else(|| ConfigError::new(ConfigErrorKind::UnbalancedQuotes, origin()))?;
            let Some((name, values)) = args.split_first() else {
                continue;
            };
            let is_include = name.eq_ignore_ascii_case(b"include");
            self.apply_args(name, values, depth, Some(state))
                .map_err(|e| {
                    if is_include {
                        e.included_from(path, line_no, &text)
                    } else {
                        e.or_origin(origin)
                    }
                })?;
        }
        Ok(())
    }

    /// Applies one directive given by name and arguments, as a config file
    /// line or a command-line `--name args...` group would (the name is
    /// case-insensitive; `include` works too).
    pub fn apply_directive(&mut self, name: &str, args: &[String]) -> Result<(), ConfigError> {
        let values: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.apply_args(name.as_bytes(), &values, 0, None)
            .map_err(|e| {
                e.or_origin(|| Origin::Directive {
                    text: directive_text(name, args),
                })
            })
    }

    /// Applies a directive; errors carry [`Origin::Unspecified`] unless they
    /// come from an included file.
    fn apply_args(
        &mut self,
        name: &[u8],
        values: &[Vec<u8>],
        depth: usize,
        state: Option<&mut LoadState>,
    ) -> Result<(), ConfigError> {
        let bare = |kind| ConfigError::new(kind, Origin::Unspecified);
        let name_str = || String::from_utf8_lossy(name).into_owned();
        if name.eq_ignore_ascii_case(b"user") {
            // `user <name> [rules...]`: kept for the ACL to apply at start.
            if values.is_empty() {
                return Err(bare(ConfigErrorKind::BadDirective { name: name_str() }));
            }
            self.users.push(values.to_vec());
            return Ok(());
        }
        if name.eq_ignore_ascii_case(b"include") {
            let [target] = values else {
                return Err(bare(ConfigErrorKind::BadDirective { name: name_str() }));
            };
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(bare(ConfigErrorKind::IncludeTooDeep));
            }
            let target = self.resolve(&path_from_bytes(target));
            let mut fresh = LoadState::default();
            return self.load_file_at(&target, depth + 1, state.unwrap_or(&mut fresh));
        }
        let Some(directive) = table::lookup(name) else {
            return Err(bare(ConfigErrorKind::BadDirective { name: name_str() }));
        };
        let append = match (&directive.kind, state) {
            (
                Kind::Multi {
                    accumulates_in_file: true,
                    ..
                },
                Some(state),
            ) => {
                let seen = state.seen.contains(&directive.name);
                if !seen {
                    state.seen.push(directive.name);
                }
                seen
            }
            _ => false,
        };
        directive.apply(self, values, append).map_err(|e| match e {
            ApplyError::WrongArgCount => bare(ConfigErrorKind::WrongArgCount { name: name_str() }),
            ApplyError::Invalid(message) => bare(ConfigErrorKind::InvalidValue {
                name: name_str(),
                message,
            }),
        })
    }

    /// `CONFIG GET pattern [pattern ...]`: the (name, value) pairs of the
    /// directives matched by any pattern, each once, in table order. Patterns
    /// are case-insensitive globs. As in Redis 7.0, a pattern without `*`,
    /// `?` or `[` is looked up directly and the name is reported as the
    /// client spelled it (`CONFIG GET PORT` answers `PORT`), while glob
    /// matches report the table's name; when several patterns match one
    /// directive, the first pattern decides. Aliases are matched and reported
    /// as themselves.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
        // One slot per name (directive names and aliases, in table order).
        let names: Vec<(usize, &'static str)> = TABLE
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                std::iter::once((i, d.name)).chain(d.aliases.iter().map(move |a| (i, *a)))
            })
            .collect();
        let mut reported: Vec<Option<String>> = vec![None; names.len()];
        for pattern in patterns {
            let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
            for ((_, name), slot) in names.iter().zip(reported.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                if is_glob {
                    if ferrite_storage::glob::string_match(pattern, name.as_bytes(), true) {
                        *slot = Some((*name).to_owned());
                    }
                } else if name.as_bytes().eq_ignore_ascii_case(pattern) {
                    *slot = Some(String::from_utf8_lossy(pattern).into_owned());
                }
            }
        }
        names
            .iter()
            .zip(reported)
            .filter_map(|((index, _), slot)| {
                let directive = TABLE.get(*index)?;
                Some((slot?, directive.value(self)))
            })
            .collect()
    }

    /// `CONFIG SET name value [name value ...]`: all or nothing. On failure
    /// the configuration is unchanged and the error is Redis 7.0's reply text
    /// without the leading `-`. As in Redis, names are checked first, in
    /// order (unknown, immutable or protected, repeated; the error echoes the
    /// name as given), then values, in order (the error gives the table's
    /// name). Multi-value directives (`save`, `bind`) split the value on
    /// single spaces.
    ///
    /// The caller checks the argument count: Redis answers `ERR wrong number
    /// of arguments for 'config|set' command` for fewer than two arguments
    /// after SET, and `ERR syntax error` for an odd number.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let failed = |name: &[u8], why: &str| {
            format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                String::from_utf8_lossy(name)
            )
        };
        let mut directives = Vec::with_capacity(pairs.len());
        for (i, (name, _)) in pairs.iter().enumerate() {
            let Some((directive, spelled)) = table::lookup_spelled(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    String::from_utf8_lossy(name)
                ));
            };
            match directive.mutability {
                Mutability::Mutable => {}
                Mutability::Immutable => return Err(failed(name, "can't set immutable config")),
                Mutability::Protected => return Err(failed(name, "can't set protected config")),
            }
            if pairs
                .iter()
                .take(i)
                .any(|(earlier, _)| earlier.eq_ignore_ascii_case(name))
            {
                return Err(failed(name, "duplicate parameter"));
            }
            directives.push((directive, spelled));
        }
        let mut next = self.clone();
        // Value errors name the directive as the table spells it (oracle:
        // `CONFIG SET HZ abc` blames 'hz'); name errors above echo the client.
        for ((_, value), (directive, spelled)) in pairs.iter().zip(directives) {
            directive
                .apply_config_set(&mut next, value)
                .map_err(|why| failed(spelled.as_bytes(), &why))?;
        }
        *self = next;
        Ok(())
    }

    /// Every directive as config-file lines (`name value`, quoted where
    /// needed, memory sizes with units), in table order; loading the result
    /// gives back the same configuration.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        for directive in TABLE {
            for line in directive.render(self) {
                out.extend(line);
                out.push(b'\n');
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The number of shard threads to run: `shards`, or the number of CPU
    /// cores when it is 0.
    pub fn effective_shards(&self) -> usize {
        match self.shards {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        }
    }

    /// `dir` as an absolute path (what `CONFIG GET dir` reports).
    pub fn absolute_dir(&self) -> PathBuf {
        if self.dir.is_absolute() {
            return self.dir.clone();
        }
        match std::env::current_dir() {
            Ok(cwd) => {
                let joined = cwd.join(&self.dir);
                joined.canonicalize().unwrap_or(joined)
            }
            Err(_) => self.dir.clone(),
        }
    }

    /// Resolves a relative `include` path the way Redis's working directory
    /// would: against `dir` once it has been set.
    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() || self.dir == Path::new(".") {
            path.to_path_buf()
        } else {
            self.absolute_dir().join(path)
        }
    }
}

/// `name "arg" "arg"`, the way Redis echoes a command-line directive.
fn directive_text(name: &str, args: &[String]) -> String {
    let mut text = name.to_owned();
    for arg in args {
        text.push(' ');
        text.push_str(&String::from_utf8_lossy(&parse::quote(arg.as_bytes())));
    }
    text
}

/// A path from configuration bytes (any bytes on Unix).
#[cfg(unix)]
pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// A path from configuration bytes (lossy outside Unix).
#[cfg(not(unix))]
pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// The C library's wording for common I/O errors, as Redis prints them.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "No such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "Permission denied".to_owned(),
        ErrorKind::NotADirectory => "Not a directory".to_owned(),
        ErrorKind::IsADirectory => "Is a directory".to_owned(),
        _ => {
            let text = e.to_string();
            text.split(" (os error")
                .next()
                .unwrap_or_default()
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests;
