//! One shard thread: a single-threaded tokio runtime that owns one shard,
//! drains its inbox, runs its active-expiry cycle and serves the connections
//! it accepts.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::LocalSet;

use crate::server::Shared;
use crate::shard::{Shard, ShardMsg};

/// What every task on a shard thread can reach.
pub struct Worker {
    /// This thread's shard index.
    pub id: usize,
    /// The thread's shard.
    pub shard: RefCell<Shard>,
    /// State shared by all threads.
    pub shared: Arc<Shared>,
}

/// The thread body: builds the runtime and runs until shutdown.
pub fn run(
    id: usize,
    shared: Arc<Shared>,
    inbox: mpsc::UnboundedReceiver<ShardMsg>,
    listeners: Vec<std::net::TcpListener>,
    tls_listeners: Vec<std::net::TcpListener>,
    metrics: Option<std::net::TcpListener>,
) {
    // First: everything this thread allocates counts as its shard's.
    let slot = crate::alloc::claim_slot();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(shard = id, error = %e, "cannot build the thread's runtime");
            shared.begin_shutdown();
            crate::alloc::release_slot();
            return;
        }
    };
    let local = LocalSet::new();
    let mut shard = Shard::new(id, shared.nshards, shared.databases, shared.settings());
    shard.hub = Some(shared.clone());
    shard.observe = shared.observe_settings();
    crate::notify::sync_expired_recording(&mut shard);
    crate::evict::attach(&mut shard, &shared, slot);
    let worker = Rc::new(Worker {
        id,
        shard: RefCell::new(shard),
        shared: shared.clone(),
    });
    local.block_on(&rt, async move {
        tokio::task::spawn_local(inbox_loop(worker.clone(), inbox));
        let aof = shared
            .aof_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((prepared, report)) = aof {
            let w = worker.clone();
            tokio::task::spawn_local(async move {
                let outcome = crate::aof::load_and_start(w.clone(), prepared).await;
                if outcome.is_ok() {
                    w.shared.set_ready();
                }
                let _ = report.send(outcome);
            });
        }
        // Clients wait in the listen backlog while the AOF loads.
        shared.wait_ready().await;
        tokio::task::spawn_local(expire_loop(worker.clone()));
        tokio::task::spawn_local(idle_client_loop(worker.clone()));
        tokio::task::spawn_local(crate::client_evict::cron(worker.clone()));
        let mut accepts = Vec::new();
        for l in tls_listeners {
            match TcpListener::from_std(l) {
                Ok(l) => accepts.push(tokio::task::spawn_local(tls_accept_loop(worker.clone(), l))),
                Err(e) => tracing::error!(shard = id, error = %e, "cannot register TLS listener"),
            }
        }
        if let Some(l) = metrics {
            match TcpListener::from_std(l) {
                Ok(l) => accepts.push(tokio::task::spawn_local(crate::metrics::serve(
                    worker.clone(),
                    l,
                ))),
                Err(e) => tracing::error!(error = %e, "cannot register the metrics listener"),
            }
        }
        for l in listeners {
            match TcpListener::from_std(l) {
                Ok(l) => accepts.push(tokio::task::spawn_local(accept_loop(worker.clone(), l))),
                Err(e) => tracing::error!(shard = id, error = %e, "cannot register listener"),
            }
        }
        loop {
            let notified = shared.shutdown.notified();
            if shared.shutting_down.load(Ordering::SeqCst) {
                break;
            }
            notified.await;
        }
        for a in accepts {
            a.abort();
        }
    });
    // Dropping the runtime closes every connection this thread served.
    drop(local);
    drop(rt);
    crate::alloc::release_slot();
}

async fn inbox_loop(worker: Rc<Worker>, mut inbox: mpsc::UnboundedReceiver<ShardMsg>) {
    while let Some(msg) = inbox.recv().await {
        let mut shard = worker.shard.borrow_mut();
        shard.inbox_depth = inbox.len();
        // Writes sent by other threads: the shard that grows frees memory.
        if crate::evict::armed(&shard) {
            crate::evict::perform(&mut shard);
        }
        shard.handle(msg);
    }
}

async fn accept_loop(worker: Rc<Worker>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                tokio::task::spawn_local(crate::conn::serve(worker.clone(), stream, addr));
            }
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(shard = worker.id, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Accepts connections on `tls-port`; each handshakes with the acceptor in
/// force when it arrived.
async fn tls_accept_loop(worker: Rc<Worker>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let acceptor = worker
                    .shared
                    .tls
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                if let Some(acceptor) = acceptor {
                    tokio::task::spawn_local(crate::conn::serve_tls(
                        worker.clone(),
                        stream,
                        addr,
                        acceptor,
                    ));
                }
            }
            Err(e) => {
                tracing::warn!(shard = worker.id, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Closes this thread's clients that stayed idle longer than `timeout`
/// seconds (0: never), checked once a second as Redis's clientsCron does.
async fn idle_client_loop(worker: Rc<Worker>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let timeout = worker
            .shared
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .timeout;
        if timeout == 0 {
            continue;
        }
        for c in worker.shared.clients.snapshot() {
            // A client waiting in a blocking command is not idle (as in Redis).
            let blocked = c.flags.load(Ordering::Relaxed) & crate::clients::flag::BLOCKED != 0;
            if c.thread == worker.id && !blocked && c.idle_ms() > timeout.saturating_mul(1000) {
                tracing::debug!(client = c.id, "closing idle client");
                c.kill();
            }
        }
    }
}

/// Active expiry, as Redis's slow cycle: `hz` times a second, sample keys with
/// a TTL in every database and keep going while more than a quarter of the
/// sample had expired, within a time budget of a quarter of the period.
async fn expire_loop(worker: Rc<Worker>) {
    const SAMPLE: usize = 20;
    loop {
        let (hz, effort) = {
            let cfg = worker
                .shared
                .config
                .read()
                .unwrap_or_else(|e| e.into_inner());
            (cfg.hz.clamp(1, 500), cfg.active_expire_effort.clamp(1, 10))
        };
        let period = Duration::from_millis(1000 / u64::from(hz));
        tokio::time::sleep(period).await;
        let budget = period / 4;
        let started = Instant::now();
        let sample = SAMPLE + SAMPLE * (effort as usize - 1) / 4;
        let mut shard = worker.shard.borrow_mut();
        // The first shard's thread samples the server-wide network counters.
        let net = (worker.id == 0).then(|| {
            let g = &worker.shared.stats;
            (
                g.total_net_input_bytes.load(Ordering::Relaxed),
                g.total_net_output_bytes.load(Ordering::Relaxed),
            )
        });
        crate::info::sample_ops(shard.commands_processed, net);
        crate::evict::cron(&mut shard);
        if shard.is_locked()
            || !crate::cmd::server::active_expire_enabled()
            || worker.shared.pause.is_active()
        {
            continue;
        }
        let now = Shared::now_ms();
        let (mut sampled, mut expired, mut capped) = (0, 0, false);
        for db in shard.dbs.iter_mut() {
            loop {
                let s = db.expire_sample(sample, now);
                sampled += s.sampled;
                expired += s.expired;
                if started.elapsed() > budget {
                    capped = true;
                    break;
                }
                if s.sampled == 0 || s.expired * 4 <= s.sampled {
                    break;
                }
            }
        }
        shard
            .expire_stats
            .cycle(sampled, expired, capped, started.elapsed());
        // Expired keys: their notifications and invalidations.
        crate::notify::after_command(
            &mut shard,
            false,
            Vec::new(),
            crate::journal::Effect::Expiry,
        );
    }
}
