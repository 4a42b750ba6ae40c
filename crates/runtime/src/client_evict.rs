//! Client eviction (`maxmemory-clients`), as Redis 7.0 does it: when the
//! memory of all clients together reaches the limit, clients are closed,
//! those in the largest memory bucket first, until the total is below it.
//!
//! Each connection records its own memory in the registry after a batch of
//! commands and after a write ([`after_batch`], [`after_write`]); a figure
//! that did not change writes nothing shared, and one that did adds the
//! difference to its thread's running total ([`Clients::record_mem`]). The
//! check after a batch sums the threads' totals, and only when they reach
//! the limit looks at the clients themselves ([`evict`]). A client on
//! another thread is closed the way CLIENT KILL closes it.
//!
//! Redis checks before every command and once per event-loop turn; Ferrite
//! checks after every batch of commands (a batch is what one read brought)
//! and in [`cron`].

use std::cmp::Reverse;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::clients::{flag, ClientInfo, ClientType, Clients, MemUsage};
use crate::conn::{Conn, Session};
use crate::server::Shared;
use crate::worker::Worker;

/// Redis never lets the limit go below this, so that a mistaken setting
/// still leaves room to talk to the server.
pub const MIN_LIMIT: u64 = 128 * 1024;

/// The limit in bytes `maxmemory-clients` sets (0: no eviction), as Redis
/// computes it: a percentage of `maxmemory` (none without `maxmemory`), or
/// bytes, never below [`MIN_LIMIT`].
pub fn limit_of(maxmemory_clients: i64, maxmemory: u64) -> u64 {
    let bytes = if maxmemory_clients < 0 {
        if maxmemory == 0 {
            return 0;
        }
        // Redis computes it in floating point; `as` saturates like its cast.
        (maxmemory as f64 * maxmemory_clients.unsigned_abs() as f64 / 100.0) as u64
    } else if maxmemory_clients > 0 {
        maxmemory_clients as u64
    } else {
        return 0;
    };
    bytes.max(MIN_LIMIT)
}

/// The limit in force, recomputed only when a CONFIG SET happened since.
pub fn limit(shared: &Shared) -> u64 {
    let clients = &shared.clients;
    let epoch = shared.config_epoch.load(Ordering::Acquire);
    if clients.limit_epoch.load(Ordering::Acquire) != epoch {
        let (mc, mm) = {
            let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
            (cfg.maxmemory_clients, cfg.maxmemory)
        };
        clients.limit.store(limit_of(mc, mm), Ordering::Relaxed);
        clients.limit_epoch.store(epoch, Ordering::Release);
    }
    clients.limit.load(Ordering::Relaxed)
}

/// The memory of the connection as its buffers stand now.
fn usage(session: &Session, conn: &Conn, qbuf_cap: usize) -> MemUsage {
    let info = &conn.info;
    let subscriptions = info.sub.load(Ordering::Relaxed) as usize
        + info.psub.load(Ordering::Relaxed) as usize
        + info.ssub.load(Ordering::Relaxed) as usize;
    let tracking = conn.tracking.as_ref().map_or(0, |t| {
        t.prefixes
            .iter()
            .map(|p| p.len() + crate::clients::SUBSCRIPTION_BYTES)
            .sum()
    });
    MemUsage {
        qbuf_cap,
        reply_cap: session.wbuf.capacity(),
        reply_pending: session.wbuf.len(),
        argv: 0,
        subscriptions,
        tracking,
    }
}

/// After a batch (before its replies are written): records the client's
/// memory and evicts clients if all of them together reached the limit.
pub fn after_batch(session: &Session, conn: &Conn, qbuf_cap: usize) {
    let shared = &session.worker.shared;
    shared
        .clients
        .record_mem(&conn.info, &usage(session, conn, qbuf_cap));
    check(shared);
}

/// After the replies were written: records the client's memory again (a
/// large reply buffer may have been given back).
pub fn after_write(session: &Session, conn: &Conn, qbuf_cap: usize) {
    session
        .worker
        .shared
        .clients
        .record_mem(&conn.info, &usage(session, conn, qbuf_cap));
}

/// Evicts clients if the recorded total reached the limit.
pub fn check(shared: &Shared) {
    let limit = limit(shared);
    if limit == 0 || shared.clients.total_mem() < limit {
        return;
    }
    evict(&shared.clients, limit);
}

/// Whether client eviction may close `c`: not with CLIENT NO-EVICT on
/// (replicas and the master link, which Redis spares too, do not exist in
/// Ferrite; MONITOR clients count as normal ones, as in Redis).
pub fn evictable(c: &ClientInfo) -> bool {
    c.flags.load(Ordering::Relaxed) & flag::NO_EVICT == 0
        && !matches!(c.client_type(), ClientType::Replica | ClientType::Master)
}

/// Closes clients, the largest bucket first and within a bucket the one that
/// entered it first (Redis's order), until the clients' memory is below
/// `limit`. The total is summed from the clients still open, so clients
/// killed but not yet closed by their threads do not count twice. Returns
/// how many it closed.
pub fn evict(clients: &Clients, limit: u64) -> usize {
    // Each client's figure is read once: a client closed by its thread
    // while this runs gives its memory back (it reads 0 from then on), and
    // the total must drop by what was counted for it.
    let all: Vec<(Arc<ClientInfo>, u64)> = clients
        .snapshot()
        .into_iter()
        .map(|c| {
            let m = c.mem.load(Ordering::Relaxed) as u64;
            (c, m)
        })
        .collect();
    let mut total: u64 = all.iter().map(|(_, m)| m).sum();
    if total < limit {
        return 0;
    }
    let mut victims: Vec<&(Arc<ClientInfo>, u64)> =
        all.iter().filter(|(c, _)| evictable(c)).collect();
    victims.sort_by_key(|(c, _)| {
        (
            Reverse(c.bucket.load(Ordering::Relaxed)),
            c.bucket_seq.load(Ordering::Relaxed),
        )
    });
    let mut closed = 0;
    for (c, m) in victims {
        if total < limit {
            break;
        }
        total = total.saturating_sub(*m);
        // The line as it stands before the client is marked closing.
        let mut line = Vec::new();
        c.render(&mut line, None);
        // Two threads may check at once (a batch's check and the cron):
        // only the one that marks the client killed first evicts it.
        if c.killed.swap(true, Ordering::SeqCst) {
            continue;
        }
        tracing::info!("Evicting client: {}", String::from_utf8_lossy(&line));
        c.kill();
        clients.evicted.fetch_add(1, Ordering::Relaxed);
        closed += 1;
    }
    if total >= limit {
        warn_over_limit();
    }
    closed
}

/// Redis logs this at every check that cannot get below the limit; once a
/// second is enough to say it.
fn warn_over_limit() {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = Shared::now_ms() / 1000;
    if LAST.swap(now, Ordering::Relaxed) != now {
        tracing::warn!("Over client maxmemory after evicting all evictable clients");
    }
}

/// The periodic check, `hz` times a second, for limits lowered or memory
/// grown without a batch to notice it (Redis checks once per event-loop
/// turn). One thread's cron is enough: the check covers every thread.
pub async fn cron(worker: Rc<Worker>) {
    if worker.id != 0 {
        return;
    }
    loop {
        let hz = worker
            .shared
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .hz
            .clamp(1, 500);
        tokio::time::sleep(Duration::from_millis(1000 / u64::from(hz))).await;
        check(&worker.shared);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn client(clients: &Clients, thread: usize) -> Arc<ClientInfo> {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let c = Arc::new(ClientInfo::new(clients.next_id(), addr, addr, 9, thread));
        // A made-up fd: kill() must not shut down a socket of this process.
        c.mark_closed();
        clients.add(c.clone());
        c
    }

    fn with_mem(bytes: usize) -> MemUsage {
        MemUsage {
            qbuf_cap: bytes,
            ..MemUsage::default()
        }
    }

    #[test]
    fn limit_follows_redis() {
        assert_eq!(limit_of(0, 1 << 30), 0);
        assert_eq!(limit_of(1 << 20, 0), 1 << 20);
        // Never below 128 KiB.
        assert_eq!(limit_of(1000, 0), MIN_LIMIT);
        // A percentage of maxmemory, none without maxmemory.
        assert_eq!(limit_of(-10, 0), 0);
        assert_eq!(limit_of(-10, 100 << 20), 10 << 20);
        assert_eq!(limit_of(-1, 1 << 20), MIN_LIMIT);
    }

    #[test]
    fn buckets_are_powers_of_two_from_32k() {
        use crate::clients::mem_bucket;
        assert_eq!(mem_bucket(0), 0);
        assert_eq!(mem_bucket(32 * 1024 - 1), 0);
        assert_eq!(mem_bucket(32 * 1024), 1);
        assert_eq!(mem_bucket(64 * 1024 - 1), 1);
        assert_eq!(mem_bucket(64 * 1024), 2);
        assert_eq!(mem_bucket(usize::MAX), 18);
    }

    #[test]
    fn thread_totals_follow_records_and_removals() {
        let clients = Clients::default();
        let a = client(&clients, 0);
        let b = client(&clients, 1);
        clients.record_mem(&a, &with_mem(1000));
        clients.record_mem(&b, &with_mem(5000));
        let total = a.mem.load(Ordering::Relaxed) + b.mem.load(Ordering::Relaxed);
        assert_eq!(clients.total_mem(), total as u64);
        clients.record_mem(&a, &with_mem(0));
        clients.remove(b.id);
        assert_eq!(clients.total_mem(), a.mem.load(Ordering::Relaxed) as u64);
        clients.remove(a.id);
        assert_eq!(clients.total_mem(), 0);
    }

    #[test]
    fn evicts_the_largest_bucket_first_and_spares_no_evict() {
        let clients = Clients::default();
        let small = client(&clients, 0);
        let big = client(&clients, 1);
        let bigger_spared = client(&clients, 2);
        let medium = client(&clients, 0);
        clients.record_mem(&small, &with_mem(0));
        clients.record_mem(&big, &with_mem(1 << 20));
        clients.record_mem(&medium, &with_mem(200 << 10));
        clients.record_mem(&bigger_spared, &with_mem(4 << 20));
        bigger_spared
            .flags
            .fetch_or(flag::NO_EVICT, Ordering::Relaxed);
        let total = clients.total_mem();
        // Closing `big` brings the total below the limit: it alone goes.
        assert_eq!(evict(&clients, total - 1), 1);
        assert!(big.is_killed());
        assert!(!small.is_killed() && !medium.is_killed() && !bigger_spared.is_killed());
        assert_eq!(clients.evicted.load(Ordering::Relaxed), 1);
        // Below the spared client's own size: every other client goes,
        // and the NO-EVICT one stays.
        assert_eq!(evict(&clients, 1), 2);
        assert!(small.is_killed() && medium.is_killed());
        assert!(!bigger_spared.is_killed());
    }

    #[test]
    fn within_a_bucket_the_first_to_enter_goes_first() {
        let clients = Clients::default();
        let first = client(&clients, 0);
        let second = client(&clients, 0);
        clients.record_mem(&first, &with_mem(40 << 10));
        clients.record_mem(&second, &with_mem(50 << 10));
        // Same bucket (32-64 KiB): the larger one is not preferred.
        let total = clients.total_mem();
        assert_eq!(evict(&clients, total - 1), 1);
        assert!(first.is_killed() && !second.is_killed());
    }
}
