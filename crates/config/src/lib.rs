//! Ferrite's configuration: the directives a Redis 7.0 user knows, with
//! Redis's names, defaults, value syntax and error texts.
//!
//! One table of directives (`table.rs`) serves every way of setting them:
//! redis.conf files ([`Config::load_file`]), the command line
//! ([`Config::from_args`]), `CONFIG GET` ([`Config::get`]), `CONFIG SET`
//! ([`Config::set`]) and `CONFIG REWRITE` ([`Config::rewrite_file`]).
//! Adding a directive is one field in [`Config`] plus one table row.
//!
//! This crate only parses and stores values; it never binds sockets, opens
//! log files or changes the working directory. The runtime does that from the
//! values found here (for `dir`, by `chdir`-ing to [`Config::dir`] at start,
//! as Redis does).

mod error;
pub mod notify_flags;
mod parse;
mod rewrite;
mod table;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrorKind, Origin, MAX_INCLUDE_DEPTH};
pub use rewrite::{UserLines, REWRITE_SIGNATURE};

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
    /// `unixsocketperm`: permissions of the Unix socket, in octal (accepted,
    /// no effect: `unixsocket` accepts only "").
    pub unixsocketperm: u32,
    /// `oom-score-adj-values`: OOM score adjustments of the master, replica
    /// and background-child classes (accepted, no effect).
    pub oom_score_adj_values: [i32; 3],
    /// `shutdown-on-sigint`: [`SHUTDOWN_SAVE`]-style flags for SIGINT; 0
    /// is `default` (accepted, no effect until persistence exists).
    pub shutdown_on_sigint: u8,
    /// `shutdown-on-sigterm`: as `shutdown_on_sigint`, for SIGTERM.
    pub shutdown_on_sigterm: u8,
    /// `active-defrag-cycle-max`: most CPU percent spent defragmenting (accepted, no effect).
    pub active_defrag_cycle_max: i64,
    /// `active-defrag-cycle-min`: least CPU percent spent defragmenting (accepted, no effect).
    pub active_defrag_cycle_min: i64,
    /// `active-defrag-ignore-bytes`: fragmentation waste under which defragmentation does not start
    /// (accepted, no effect).
    pub active_defrag_ignore_bytes: i64,
    /// `active-defrag-max-scan-fields`: fields of one collection scanned per defragmentation step
    /// (accepted, no effect).
    pub active_defrag_max_scan_fields: i64,
    /// `active-defrag-threshold-lower`: fragmentation percent from which defragmentation starts
    /// (accepted, no effect).
    pub active_defrag_threshold_lower: i64,
    /// `active-defrag-threshold-upper`: fragmentation percent at which defragmentation works
    /// hardest (accepted, no effect).
    pub active_defrag_threshold_upper: i64,
    /// `activerehashing`: rehash main dictionaries in the background (accepted, no effect).
    pub activerehashing: bool,
    /// `always-show-logo`: print the ASCII logo at start (accepted, no effect).
    pub always_show_logo: bool,
    /// `aof-disable-auto-gc`: keep old AOF files after a rewrite (accepted, no effect).
    pub aof_disable_auto_gc: bool,
    /// `appendonly`: journal every write to the append-only file.
    pub appendonly: bool,
    /// `aof-load-truncated`: load an AOF whose last part ends inside a
    /// command, cutting that command off (else refuse to start).
    pub aof_load_truncated: bool,
    /// `aof-rewrite-incremental-fsync`: fsync every 4 MB during AOF rewrites (accepted, no effect).
    pub aof_rewrite_incremental_fsync: bool,
    /// `aof-timestamp-enabled`: timestamp annotations in the AOF (accepted, no effect).
    pub aof_timestamp_enabled: bool,
    /// `aof-use-rdb-preamble`: AOF rewrites start with an RDB payload (accepted, no effect).
    pub aof_use_rdb_preamble: bool,
    /// `aof_rewrite_cpulist`: CPUs for the AOF rewrite process (accepted, no effect).
    pub aof_rewrite_cpulist: Vec<u8>,
    /// `appenddirname`: directory of the AOF files, inside `dir`.
    pub appenddirname: Vec<u8>,
    /// `appendfilename`: base name of the AOF files.
    pub appendfilename: Vec<u8>,
    /// `appendfsync`: when the AOF is fsynced (`always`, `everysec`, `no`).
    pub appendfsync: &'static str,
    /// `auto-aof-rewrite-min-size`: least AOF size that triggers an automatic rewrite (accepted, no
    /// effect).
    pub auto_aof_rewrite_min_size: i64,
    /// `auto-aof-rewrite-percentage`: AOF growth percent that triggers an automatic rewrite
    /// (accepted, no effect).
    pub auto_aof_rewrite_percentage: i64,
    /// `bgsave_cpulist`: CPUs for the snapshot process (accepted, no effect).
    pub bgsave_cpulist: Vec<u8>,
    /// `bind-source-addr`: source address of outgoing connections (accepted, no effect).
    pub bind_source_addr: Vec<u8>,
    /// `bio_cpulist`: CPUs for the background I/O threads (accepted, no effect).
    pub bio_cpulist: Vec<u8>,
    /// `cluster-allow-pubsubshard-when-down`: allow shard pub/sub while the cluster is down
    /// (accepted, no effect).
    pub cluster_allow_pubsubshard_when_down: bool,
    /// `cluster-allow-reads-when-down`: allow reads while the cluster is down (accepted, no
    /// effect).
    pub cluster_allow_reads_when_down: bool,
    /// `cluster-allow-replica-migration`: let replicas migrate to orphaned masters (accepted, no
    /// effect).
    pub cluster_allow_replica_migration: bool,
    /// `cluster-announce-bus-port`: cluster bus port announced to other nodes (accepted, no
    /// effect).
    pub cluster_announce_bus_port: i64,
    /// `cluster-announce-hostname`: host name announced to other nodes (accepted, no effect).
    pub cluster_announce_hostname: Vec<u8>,
    /// `cluster-announce-ip`: address announced to other nodes (accepted, no effect).
    pub cluster_announce_ip: Vec<u8>,
    /// `cluster-announce-port`: client port announced to other nodes (accepted, no effect).
    pub cluster_announce_port: i64,
    /// `cluster-announce-tls-port`: TLS port announced to other nodes (accepted, no effect).
    pub cluster_announce_tls_port: i64,
    /// `cluster-config-file`: file where the cluster state is kept (accepted, no effect).
    pub cluster_config_file: Vec<u8>,
    /// `cluster-link-sendbuf-limit`: most bytes buffered on one cluster link (accepted, no effect).
    pub cluster_link_sendbuf_limit: i64,
    /// `cluster-migration-barrier`: replicas a master keeps before one migrates (accepted, no
    /// effect).
    pub cluster_migration_barrier: i64,
    /// `cluster-node-timeout`: milliseconds before a node is considered failing (accepted, no
    /// effect).
    pub cluster_node_timeout: i64,
    /// `cluster-port`: cluster bus port (accepted, no effect).
    pub cluster_port: i64,
    /// `cluster-preferred-endpoint-type`: endpoint type in redirections (accepted, no effect).
    pub cluster_preferred_endpoint_type: &'static str,
    /// `cluster-replica-no-failover`: replicas never fail over (accepted, no effect).
    pub cluster_replica_no_failover: bool,
    /// `cluster-replica-validity-factor`: how stale a replica may be to fail over (accepted, no
    /// effect).
    pub cluster_replica_validity_factor: i64,
    /// `cluster-require-full-coverage`: stop serving when a slot is uncovered (accepted, no
    /// effect).
    pub cluster_require_full_coverage: bool,
    /// `crash-log-enabled`: write a stack trace to the log on a crash (accepted, no effect).
    pub crash_log_enabled: bool,
    /// `crash-memcheck-enabled`: run a memory test after a crash (accepted, no effect).
    pub crash_memcheck_enabled: bool,
    /// `dbfilename`: snapshot file name, inside `dir` (accepted, no effect).
    pub dbfilename: Vec<u8>,
    /// `disable-thp`: turn transparent huge pages off for the process (accepted, no effect).
    pub disable_thp: bool,
    /// `dynamic-hz`: raise hz with the number of clients (accepted, no effect).
    pub dynamic_hz: bool,
    /// `enable-debug-command`: who may run DEBUG (stored).
    pub enable_debug_command: &'static str,
    /// `enable-module-command`: who may run MODULE (stored).
    pub enable_module_command: &'static str,
    /// `hll-sparse-max-bytes`: size up to which a HyperLogLog stays sparse (accepted, no effect).
    pub hll_sparse_max_bytes: i64,
    /// `ignore-warnings`: start-up warnings not to print (accepted, no effect).
    pub ignore_warnings: Vec<u8>,
    /// `io-threads`: threads writing replies (accepted, no effect).
    pub io_threads: i64,
    /// `io-threads-do-reads`: I/O threads also read requests (accepted, no effect).
    pub io_threads_do_reads: bool,
    /// `jemalloc-bg-thread`: jemalloc purges in a background thread (accepted, no effect).
    pub jemalloc_bg_thread: bool,
    /// `lazyfree-lazy-eviction`: free evicted values in a background thread (no effect on
    /// freeing; the AOF journals evicted keys as UNLINK).
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`: free expired values in a background thread (no effect on
    /// freeing; the AOF journals expired keys as UNLINK).
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`: free values deleted implicitly in a background thread (accepted,
    /// no effect).
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`: make DEL behave as UNLINK in a background thread (accepted, no
    /// effect).
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`: make FLUSHALL/FLUSHDB ASYNC by default in a background thread
    /// (accepted, no effect).
    pub lazyfree_lazy_user_flush: bool,
    /// `masterauth`: password used to authenticate to a master (accepted, no effect).
    pub masterauth: Vec<u8>,
    /// `masteruser`: user name used to authenticate to a master (accepted, no effect).
    pub masteruser: Vec<u8>,
    /// `min-replicas-max-lag`: seconds within which a replica counts as good (accepted, no effect).
    pub min_replicas_max_lag: i64,
    /// `no-appendfsync-on-rewrite`: skip fsync while a rewrite runs (accepted, no effect).
    pub no_appendfsync_on_rewrite: bool,
    /// `oom-score-adj`: set the process's OOM score (accepted, no effect).
    pub oom_score_adj: &'static str,
    /// `proc-title-template`: template of the process title (accepted, no effect).
    pub proc_title_template: Vec<u8>,
    /// `propagation-error-behavior`: what a replica does with a failing replicated command
    /// (accepted, no effect).
    pub propagation_error_behavior: &'static str,
    /// `rdb-del-sync-files`: delete snapshots made only for replication (accepted, no effect).
    pub rdb_del_sync_files: bool,
    /// `rdb-save-incremental-fsync`: fsync every 4 MB while saving (accepted, no effect).
    pub rdb_save_incremental_fsync: bool,
    /// `rdbchecksum`: snapshots end with a CRC64 (accepted, no effect).
    pub rdbchecksum: bool,
    /// `rdbcompression`: LZF-compress strings in DUMP payloads (and snapshots).
    pub rdbcompression: bool,
    /// `repl-backlog-size`: size of the replication backlog (accepted, no effect).
    pub repl_backlog_size: i64,
    /// `repl-backlog-ttl`: seconds before a backlog without replicas is freed (accepted, no
    /// effect).
    pub repl_backlog_ttl: i64,
    /// `repl-disable-tcp-nodelay`: disable TCP_NODELAY on replica links (accepted, no effect).
    pub repl_disable_tcp_nodelay: bool,
    /// `repl-diskless-load`: how a replica loads a diskless payload (accepted, no effect).
    pub repl_diskless_load: &'static str,
    /// `repl-diskless-sync`: send snapshots to replicas without a file (accepted, no effect).
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay`: seconds to wait for more replicas before a diskless sync
    /// (accepted, no effect).
    pub repl_diskless_sync_delay: i64,
    /// `repl-diskless-sync-max-replicas`: replicas that start a diskless sync at once (accepted, no
    /// effect).
    pub repl_diskless_sync_max_replicas: i64,
    /// `repl-ping-replica-period`: seconds between pings to replicas (accepted, no effect).
    pub repl_ping_replica_period: i64,
    /// `repl-timeout`: replication timeout in seconds (accepted, no effect).
    pub repl_timeout: i64,
    /// `replica-announce-ip`: address a replica announces (accepted, no effect).
    pub replica_announce_ip: Vec<u8>,
    /// `replica-announce-port`: port a replica announces (accepted, no effect).
    pub replica_announce_port: i64,
    /// `replica-announced`: whether Sentinel lists this replica (accepted, no effect).
    pub replica_announced: bool,
    /// `replica-ignore-disk-write-errors`: a replica goes on despite failed saves (accepted, no
    /// effect).
    pub replica_ignore_disk_write_errors: bool,
    /// `replica-ignore-maxmemory`: a replica does not evict on its own (accepted, no effect).
    pub replica_ignore_maxmemory: bool,
    /// `replica-lazy-flush`: a replica flushes asynchronously before a full sync (accepted, no
    /// effect).
    pub replica_lazy_flush: bool,
    /// `replica-priority`: Sentinel's promotion priority (accepted, no effect).
    pub replica_priority: i64,
    /// `replica-read-only`: a replica refuses writes (accepted, no effect).
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`: a disconnected replica still answers (accepted, no effect).
    pub replica_serve_stale_data: bool,
    /// `sanitize-dump-payload`: deep checks of RESTORE payloads (accepted, no effect).
    pub sanitize_dump_payload: &'static str,
    /// `server_cpulist`: CPUs for the main threads (accepted, no effect).
    pub server_cpulist: Vec<u8>,
    /// `set-proc-title`: rewrite the process title (accepted, no effect).
    pub set_proc_title: bool,
    /// `shutdown-timeout`: seconds SHUTDOWN waits for replicas (accepted, no effect).
    pub shutdown_timeout: i64,
    /// `socket-mark-id`: SO_MARK of listening sockets (accepted, no effect).
    pub socket_mark_id: i64,
    /// `stop-writes-on-bgsave-error`: refuse writes after a failed snapshot (accepted, no effect).
    pub stop_writes_on_bgsave_error: bool,
    /// `stream-node-max-bytes`: size of one stream node (accepted, no effect).
    pub stream_node_max_bytes: i64,
    /// `stream-node-max-entries`: entries of one stream node (accepted, no effect).
    pub stream_node_max_entries: i64,
    /// `syslog-enabled`: also log to syslog (syslog-ident, syslog-facility).
    pub syslog_enabled: bool,
    /// `syslog-facility`: syslog facility (used when syslog-enabled is yes).
    pub syslog_facility: &'static str,
    /// `syslog-ident`: syslog identity (used when syslog-enabled is yes).
    pub syslog_ident: Vec<u8>,
    /// `tcp-backlog`: listen() backlog (accepted, no effect).
    pub tcp_backlog: i64,
    /// `tls-auth-clients`: whether TLS clients need a certificate (stored).
    pub tls_auth_clients: &'static str,
    /// `tls-ca-cert-dir`: directory of trusted CA certificates (stored).
    pub tls_ca_cert_dir: Vec<u8>,
    /// `tls-ca-cert-file`: file of trusted CA certificates (stored).
    pub tls_ca_cert_file: Vec<u8>,
    /// `tls-cert-file`: server certificate (stored).
    pub tls_cert_file: Vec<u8>,
    /// `tls-ciphers`: TLS 1.2 cipher list (stored).
    pub tls_ciphers: Vec<u8>,
    /// `tls-ciphersuites`: TLS 1.3 cipher suites (stored).
    pub tls_ciphersuites: Vec<u8>,
    /// `tls-client-cert-file`: client certificate for outgoing links (stored).
    pub tls_client_cert_file: Vec<u8>,
    /// `tls-client-key-file`: private key of tls-client-cert-file (stored).
    pub tls_client_key_file: Vec<u8>,
    /// `tls-client-key-file-pass`: passphrase of tls-client-key-file (stored).
    pub tls_client_key_file_pass: Vec<u8>,
    /// `tls-cluster`: TLS on the cluster bus (stored).
    pub tls_cluster: bool,
    /// `tls-dh-params-file`: DH parameters file (stored).
    pub tls_dh_params_file: Vec<u8>,
    /// `tls-key-file`: private key of tls-cert-file (stored).
    pub tls_key_file: Vec<u8>,
    /// `tls-key-file-pass`: passphrase of tls-key-file (stored).
    pub tls_key_file_pass: Vec<u8>,
    /// `tls-prefer-server-ciphers`: prefer the server's cipher order (stored).
    pub tls_prefer_server_ciphers: bool,
    /// `tls-protocols`: TLS protocol versions (stored).
    pub tls_protocols: Vec<u8>,
    /// `tls-replication`: TLS on replication links (stored).
    pub tls_replication: bool,
    /// `tls-session-cache-size`: TLS session cache entries (stored).
    pub tls_session_cache_size: i64,
    /// `tls-session-cache-timeout`: TLS session cache timeout in seconds (stored).
    pub tls_session_cache_timeout: i64,
    /// `tls-session-caching`: TLS session caching (stored).
    pub tls_session_caching: bool,
    /// `maxmemory`: the memory limit in bytes (0: none).
    pub maxmemory: u64,
    /// `maxmemory-clients`: the memory all clients together may use before
    /// the largest are closed (0: no limit). Redis's encoding: a positive
    /// value is bytes, a negative one a percentage of `maxmemory` (`-10` is
    /// `10%`).
    pub maxmemory_clients: i64,
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
    /// `tls-port`: the TLS port (0: no TLS listener).
    pub tls_port: u16,
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

/// `shutdown-on-sigint`/`-sigterm` flag: save before exiting.
pub const SHUTDOWN_SAVE: u8 = 1;
/// `shutdown-on-sigint`/`-sigterm` flag: do not save even with save points.
pub const SHUTDOWN_NOSAVE: u8 = 2;
/// `shutdown-on-sigint`/`-sigterm` flag: do not wait for replicas.
pub const SHUTDOWN_NOW: u8 = 4;
/// `shutdown-on-sigint`/`-sigterm` flag: exit even if saving fails.
pub const SHUTDOWN_FORCE: u8 = 8;

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
            unixsocketperm: 0,
            oom_score_adj_values: [0, 200, 800],
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            active_defrag_cycle_max: 25,
            active_defrag_cycle_min: 1,
            active_defrag_ignore_bytes: 104_857_600,
            active_defrag_max_scan_fields: 1000,
            active_defrag_threshold_lower: 10,
            active_defrag_threshold_upper: 100,
            activerehashing: true,
            always_show_logo: false,
            aof_disable_auto_gc: false,
            aof_load_truncated: true,
            appendonly: false,
            aof_rewrite_incremental_fsync: true,
            aof_timestamp_enabled: false,
            aof_use_rdb_preamble: true,
            aof_rewrite_cpulist: Vec::new(),
            appenddirname: b"appendonlydir".to_vec(),
            appendfilename: b"appendonly.aof".to_vec(),
            appendfsync: "everysec",
            auto_aof_rewrite_min_size: 67_108_864,
            auto_aof_rewrite_percentage: 100,
            bgsave_cpulist: Vec::new(),
            bind_source_addr: Vec::new(),
            bio_cpulist: Vec::new(),
            cluster_allow_pubsubshard_when_down: true,
            cluster_allow_reads_when_down: false,
            cluster_allow_replica_migration: true,
            cluster_announce_bus_port: 0,
            cluster_announce_hostname: Vec::new(),
            cluster_announce_ip: Vec::new(),
            cluster_announce_port: 0,
            cluster_announce_tls_port: 0,
            cluster_config_file: b"nodes.conf".to_vec(),
            cluster_link_sendbuf_limit: 0,
            cluster_migration_barrier: 1,
            cluster_node_timeout: 15_000,
            cluster_port: 0,
            cluster_preferred_endpoint_type: "ip",
            cluster_replica_no_failover: false,
            cluster_replica_validity_factor: 10,
            cluster_require_full_coverage: true,
            crash_log_enabled: true,
            crash_memcheck_enabled: true,
            dbfilename: b"dump.rdb".to_vec(),
            disable_thp: true,
            dynamic_hz: true,
            enable_debug_command: "no",
            enable_module_command: "no",
            hll_sparse_max_bytes: 3000,
            ignore_warnings: Vec::new(),
            io_threads: 1,
            io_threads_do_reads: false,
            jemalloc_bg_thread: true,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            masterauth: Vec::new(),
            masteruser: Vec::new(),
            min_replicas_max_lag: 10,
            no_appendfsync_on_rewrite: false,
            oom_score_adj: "no",
            proc_title_template: b"{title} {listen-addr} {server-mode}".to_vec(),
            propagation_error_behavior: "ignore",
            rdb_del_sync_files: false,
            rdb_save_incremental_fsync: true,
            rdbchecksum: true,
            rdbcompression: true,
            repl_backlog_size: 1_048_576,
            repl_backlog_ttl: 3600,
            repl_disable_tcp_nodelay: false,
            repl_diskless_load: "disabled",
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            replica_announce_ip: Vec::new(),
            replica_announce_port: 0,
            replica_announced: true,
            replica_ignore_disk_write_errors: false,
            replica_ignore_maxmemory: true,
            replica_lazy_flush: false,
            replica_priority: 100,
            replica_read_only: true,
            replica_serve_stale_data: true,
            sanitize_dump_payload: "no",
            server_cpulist: Vec::new(),
            set_proc_title: true,
            shutdown_timeout: 10,
            socket_mark_id: 0,
            stop_writes_on_bgsave_error: true,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            syslog_enabled: false,
            syslog_facility: "local0",
            syslog_ident: b"redis".to_vec(),
            tcp_backlog: 511,
            tls_auth_clients: "yes",
            tls_ca_cert_dir: Vec::new(),
            tls_ca_cert_file: Vec::new(),
            tls_cert_file: Vec::new(),
            tls_ciphers: Vec::new(),
            tls_ciphersuites: Vec::new(),
            tls_client_cert_file: Vec::new(),
            tls_client_key_file: Vec::new(),
            tls_client_key_file_pass: Vec::new(),
            tls_cluster: false,
            tls_dh_params_file: Vec::new(),
            tls_key_file: Vec::new(),
            tls_key_file_pass: Vec::new(),
            tls_prefer_server_ciphers: false,
            tls_protocols: Vec::new(),
            tls_replication: false,
            tls_session_cache_size: 20_480,
            tls_session_cache_timeout: 300,
            tls_session_caching: true,
            maxmemory: 0,
            maxmemory_clients: 0,
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
            tls_port: 0,
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

/// The C library's wording for common I/O errors, as Redis prints them
/// (`strerror`), for error replies and messages that quote Redis's.
pub fn io_reason(e: &std::io::Error) -> String {
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
