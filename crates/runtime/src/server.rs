//! Starting and stopping the server: binds the listening sockets, spawns one
//! thread per shard, and holds what the threads share.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ferrite_commands::{CommandTable, Settings};
use ferrite_config::Config;
use tokio::sync::{mpsc, Notify};

use crate::clients::Clients;
use crate::shard::ShardMsg;

/// Server-wide counters (rarely written, or written once per connection).
#[derive(Debug, Default)]
pub struct GlobalStats {
    /// Connections accepted since start.
    pub total_connections_received: AtomicU64,
    /// Connections refused because of maxclients.
    pub rejected_connections: AtomicU64,
    /// Bytes read from clients.
    pub total_net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub total_net_output_bytes: AtomicU64,
    /// Clients waiting in a blocking command.
    pub blocked_clients: AtomicU64,
    /// Clients blocked with a timeout (`clients_in_timeout_table`).
    pub blocked_with_timeout: AtomicU64,
    /// Reads from client sockets (`total_reads_processed`).
    pub total_reads_processed: AtomicU64,
    /// Writes to client sockets (`total_writes_processed`).
    pub total_writes_processed: AtomicU64,
    /// Reply buffers given back after a large reply (`reply_buffer_shrinks`).
    pub reply_buffer_shrinks: AtomicU64,
    /// Reply buffers that grew past their size (`reply_buffer_expands`).
    pub reply_buffer_expands: AtomicU64,
}

/// What all threads share. Data never lives here: only registries, the
/// configuration and the shards' inbox senders.
pub struct Shared {
    /// The live configuration (CONFIG SET writes it; threads copy what they
    /// need when `config_epoch` changes).
    pub config: RwLock<Config>,
    /// Bumped on every CONFIG SET.
    pub config_epoch: AtomicU64,
    /// Path of the config file given at start, if any.
    pub config_file: Option<String>,
    /// Number of shards (= threads).
    pub nshards: usize,
    /// Number of databases.
    pub databases: usize,
    /// Each shard's inbox.
    pub inboxes: OnceLock<Vec<mpsc::UnboundedSender<ShardMsg>>>,
    /// The command table.
    pub table: CommandTable,
    /// Connected clients.
    pub clients: Clients,
    /// Next cross-shard operation id.
    pub next_tx: AtomicU64,
    /// Set once shutdown has begun.
    pub shutting_down: AtomicBool,
    /// Wakes every thread's accept loop at shutdown.
    pub shutdown: Notify,
    /// Monotonic start time.
    pub started: Instant,
    /// Random 40-hex-digit run id, as Redis reports it.
    pub run_id: String,
    /// The TCP port actually bound.
    pub port: u16,
    /// Counters.
    pub stats: GlobalStats,
    /// Pub/Sub subscriptions of every connection.
    pub pubsub: crate::pubsub::PubSub,
    /// Clients tracking key prefixes (CLIENT TRACKING ... BCAST).
    pub bcast: crate::tracking::Broadcast,
    /// Lua scripts: the cache, what runs where, SCRIPT KILL's view.
    pub scripts: crate::script::Scripts,
    /// SLOWLOG's entries.
    pub slowlog: crate::observe::SlowLog,
    /// LATENCY's events.
    pub latency: crate::observe::LatencyMonitor,
    /// MONITOR's clients.
    pub monitors: crate::monitor::Monitors,
    /// CLIENT PAUSE's state.
    pub pause: crate::pause::Pause,
    /// `client-output-buffer-limit normal`: hard bytes, soft bytes, soft
    /// seconds (0: none), read by every connection before it writes.
    pub obuf_normal: [AtomicU64; 3],
    /// The TLS port bound (0: none).
    pub tls_port: u16,
    /// The TLS acceptor built from the `tls-*` directives (rebuilt when
    /// CONFIG SET changes them); None without `tls-port`.
    pub tls: RwLock<Option<tokio_rustls::TlsAcceptor>>,
    /// The port the Prometheus endpoint listens on (0: none).
    pub metrics_port: u16,
    /// Bumped by DEBUG CHANGE-REPL-ID: INFO's `master_replid` derives from it.
    pub repl_id_generation: AtomicU64,
    /// Users and their permissions, and ACL LOG.
    pub acl: Arc<crate::acl::Acl>,
    /// The journal of writes (the AOF).
    pub journal: Arc<crate::journal::Journal>,
    /// The AOF to replay at start, for shard 0's thread, with where to
    /// report the outcome.
    pub aof_pending: Mutex<Option<AofLoad>>,
    /// Set once the data is loaded: clients are accepted from then on.
    pub ready: AtomicBool,
    /// Wakes the accept loops when `ready` is set.
    pub ready_notify: Notify,
}

/// The AOF replay handed to shard 0's thread.
pub type AofLoad = (
    crate::aof::Prepared,
    std::sync::mpsc::Sender<Result<crate::aof::Loaded, String>>,
);

impl Shared {
    /// Lets clients in (the data is loaded).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.ready_notify.notify_waiters();
    }

    /// Waits until clients may be let in (or shutdown began).
    pub async fn wait_ready(&self) {
        loop {
            let notified = self.ready_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.ready.load(Ordering::SeqCst) || self.shutting_down.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

impl Shared {
    /// The inbox of shard `i`.
    pub fn inbox(&self, i: usize) -> &mpsc::UnboundedSender<ShardMsg> {
        &self
            .inboxes
            .get()
            .expect("inboxes are set before threads start")[i]
    }

    /// Applies the live config's server-wide limits that are not per-shard
    /// settings (the pub/sub output limit).
    pub fn apply_limits(&self) {
        let (normal, (hard, soft, soft_secs)) = {
            let cfg = self.config.read().unwrap_or_else(|e| e.into_inner());
            self.journal
                .set_policy(crate::journal::fsync_policy(cfg.appendfsync));
            self.journal
                .lazy_expire
                .store(cfg.lazyfree_lazy_expire, Ordering::Relaxed);
            self.journal
                .lazy_eviction
                .store(cfg.lazyfree_lazy_eviction, Ordering::Relaxed);
            (
                cfg.client_output_buffer_limit[0],
                cfg.client_output_buffer_limit[2],
            )
        };
        let (h, s, secs) = normal;
        for (a, v) in self.obuf_normal.iter().zip([h, s, secs]) {
            a.store(v, Ordering::Relaxed);
        }
        self.pubsub.set_limit(crate::pubsub::ObufLimit {
            hard,
            soft,
            soft_secs,
        });
    }

    /// The settings a command context needs, from the live config.
    pub fn settings(&self) -> Settings {
        let cfg = self.config.read().unwrap_or_else(|e| e.into_inner());
        Settings {
            proto_max_bulk_len: cfg.proto_max_bulk_len,
            lfu_policy: cfg.maxmemory_policy.is_lfu(),
            list_max_listpack_size: cfg.list_max_listpack_size,
            hash_max_listpack_entries: usize::try_from(cfg.hash_max_listpack_entries)
                .unwrap_or(usize::MAX),
            hash_max_listpack_value: usize::try_from(cfg.hash_max_listpack_value)
                .unwrap_or(usize::MAX),
            set_max_intset_entries: usize::try_from(cfg.set_max_intset_entries)
                .unwrap_or(usize::MAX),
            zset_max_listpack_entries: usize::try_from(cfg.zset_max_listpack_entries)
                .unwrap_or(usize::MAX),
            zset_max_listpack_value: usize::try_from(cfg.zset_max_listpack_value)
                .unwrap_or(usize::MAX),
            // Both crates use Redis's class bits.
            notify: cfg.notify_keyspace_events,
            tracking_table_max_keys: cfg.tracking_table_max_keys,
            rdb_compression: cfg.rdbcompression,
            list_compress_depth: cfg.list_compress_depth,
        }
    }

    /// The slow-command thresholds every shard checks, from the live config.
    pub fn observe_settings(&self) -> crate::observe::ObserveSettings {
        let cfg = self.config.read().unwrap_or_else(|e| e.into_inner());
        crate::observe::ObserveSettings::from_config(&cfg)
    }

    /// Asks every thread to stop.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.shutdown.notify_waiters();
        self.ready_notify.notify_waiters();
    }

    /// Unix time now, in microseconds.
    pub fn now_us() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
    }

    /// Unix time now, in milliseconds.
    pub fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A running server.
pub struct ServerHandle {
    /// What the threads share.
    pub shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl ServerHandle {
    /// The bound TCP port (useful with `port 0`).
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// Asks the server to stop and waits for its threads.
    pub fn shutdown(self) {
        self.shared.begin_shutdown();
        self.join();
    }

    /// Waits until the server stops (SHUTDOWN, or a signal handled by the
    /// caller), then closes the AOF (written out and fsynced).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
        self.shared.journal.stop();
    }
}

fn run_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// Binds the configured addresses and starts one thread per shard.
pub fn start(config: Config, config_file: Option<String>) -> std::io::Result<ServerHandle> {
    let nshards = if config.shards == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        config.shards
    };
    crate::clock::init();
    let listeners = bind_all(&config)?;
    let metrics = bind_metrics(&config)?;
    // TLS: the acceptor first (a bad certificate stops start-up with the
    // reason), then the listeners on every bind address.
    let (tls, tls_listeners) = if config.tls_port != 0 {
        let acceptor = crate::tls::acceptor(&config)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        (Some(acceptor), bind_port(&config, config.tls_port)?)
    } else {
        (None, Vec::new())
    };
    let tls_port = tls_listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(0);
    let metrics_port = match &metrics {
        Some(l) => l.local_addr()?.port(),
        None => 0,
    };
    let port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(config.port);
    let databases = config.databases.max(1);
    let aof = crate::aof::prepare(&config)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let table = ferrite_commands::table();
    let acl = Arc::new(crate::acl::Acl::new(&table));
    crate::acl::load_at_start(&acl, &config)?;
    let shared = Arc::new(Shared {
        config: RwLock::new(config),
        config_epoch: AtomicU64::new(0),
        config_file,
        nshards,
        databases,
        inboxes: OnceLock::new(),
        table,
        clients: Clients::default(),
        next_tx: AtomicU64::new(1),
        shutting_down: AtomicBool::new(false),
        shutdown: Notify::new(),
        started: Instant::now(),
        run_id: run_id(),
        port,
        stats: GlobalStats::default(),
        pubsub: Default::default(),
        bcast: Default::default(),
        scripts: crate::script::Scripts::new(nshards),
        slowlog: Default::default(),
        latency: Default::default(),
        monitors: Default::default(),
        pause: Default::default(),
        repl_id_generation: AtomicU64::new(0x17e),
        metrics_port,
        tls_port,
        tls: RwLock::new(tls),
        obuf_normal: Default::default(),
        acl,
        journal: Arc::new(crate::journal::Journal::new(nshards)),
        aof_pending: Mutex::new(None),
        ready: AtomicBool::new(aof.is_none()),
        ready_notify: Notify::new(),
    });
    let (loaded_tx, loaded_rx) = std::sync::mpsc::channel();
    if let Some(p) = aof {
        *shared.aof_pending.lock().unwrap_or_else(|e| e.into_inner()) = Some((p, loaded_tx));
    }
    shared.apply_limits();
    let mut senders = Vec::with_capacity(nshards);
    let mut receivers = Vec::with_capacity(nshards);
    for _ in 0..nshards {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.push(tx);
        receivers.push(rx);
    }
    let _ = shared.inboxes.set(senders);
    let mut threads = Vec::with_capacity(nshards);
    let mut metrics = metrics;
    for (id, rx) in receivers.into_iter().enumerate() {
        // The first shard's thread also serves the metrics endpoint.
        let metrics = metrics.take();
        let shared = shared.clone();
        let socks = listeners
            .iter()
            .map(|l| l.try_clone())
            .collect::<std::io::Result<Vec<_>>>()?;
        let tls_socks = tls_listeners
            .iter()
            .map(|l| l.try_clone())
            .collect::<std::io::Result<Vec<_>>>()?;
        let t = std::thread::Builder::new()
            .name(format!("ferrite-shard-{id}"))
            .spawn(move || crate::worker::run(id, shared, rx, socks, tls_socks, metrics))?;
        threads.push(t);
    }
    let handle = ServerHandle { shared, threads };
    if !handle.shared.ready.load(Ordering::SeqCst) {
        // The AOF replays on shard 0's thread; start-up waits for it, and
        // a file that cannot be loaded stops the server with the reason.
        let outcome = loaded_rx
            .recv()
            .unwrap_or_else(|_| Err("the AOF loader stopped".into()));
        if let Err(why) = outcome {
            tracing::error!("{why}");
            handle.shutdown();
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
        }
    }
    Ok(handle)
}

/// The Prometheus endpoint's listener, when `metrics-port` is set.
fn bind_metrics(config: &Config) -> std::io::Result<Option<TcpListener>> {
    if config.metrics_port == 0 {
        return Ok(None);
    }
    let ip: std::net::IpAddr = config.metrics_bind.parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid metrics-bind address '{}'", config.metrics_bind),
        )
    })?;
    let l = TcpListener::bind(SocketAddr::new(ip, config.metrics_port))?;
    l.set_nonblocking(true)?;
    Ok(Some(l))
}

fn bind_all(config: &Config) -> std::io::Result<Vec<TcpListener>> {
    bind_port(config, config.port)
}

/// Binds `port` on every `bind` address.
fn bind_port(config: &Config, port: u16) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    let mut port = port;
    let mut last_err = None;
    for addr in &config.bind {
        // A leading '-' marks an optional address (skipped if unavailable), as in Redis.
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let sa: SocketAddr = match format!("{host}:{port}").parse() {
            Ok(sa) => sa,
            Err(_) => match format!("[{host}]:{port}").parse() {
                Ok(sa) => sa,
                Err(e) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("invalid bind address '{addr}': {e}"),
                    ))
                }
            },
        };
        match TcpListener::bind(sa) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                if port == 0 {
                    port = l.local_addr()?.port();
                }
                out.push(l);
            }
            Err(e) if optional => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(last_err.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no bind address")
        }));
    }
    Ok(out)
}
