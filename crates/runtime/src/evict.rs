//! `maxmemory`: eviction, `-OOM`, and the figures INFO reports about them.
//!
//! The limit is the server's, compared with the memory of the whole server
//! (the sum of its shard threads' allocation slots, see [`crate::alloc`]);
//! each shard evicts only its own keys (shared nothing). A shard evicts
//! when the server is over the limit:
//! - before a command is dispatched on its thread (Redis evicts before
//!   every command while over the limit),
//! - before it runs a batch of requests that another thread sent it (so the
//!   shards that receive the writes are the ones that free memory),
//! - in its cron, `hz` times a second.
//!
//! Each round frees its share of the excess seen when it started (a third
//! of it with three shards; all of it when no other shard has keys to
//! evict), measured exactly as what its own thread frees, within the time
//! that `maxmemory-eviction-tenacity` allows. Keys are spread over shards by
//! their hash, so each shard's best candidates approximate the server's. See
//! `docs/design/memory.md` for the trade-offs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrite_commands::{CmdError, CommandSpec, Flags, KeyEvent};
use ferrite_config::MaxmemoryPolicy;
use ferrite_storage::evict::{LfuParams, Order, Policy, Pool, Scope};

use crate::alloc::Group;
use crate::server::Shared;
use crate::shard::Shard;

/// Redis's reply to a command refused for memory.
pub const OOM_TEXT: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Keys evicted between two checks of the clock.
const KEYS_PER_CLOCK_CHECK: usize = 16;

/// What every shard of one server shares about memory.
#[derive(Debug)]
pub struct ServerMem {
    /// The server's allocation slots.
    pub group: Arc<Group>,
    /// Keys evicted since start (INFO `evicted_keys`).
    pub evicted_keys: AtomicU64,
    /// When the server went over the limit (Unix ms; 0: it is not over).
    over_since_ms: AtomicU64,
    /// Milliseconds spent over the limit in finished episodes.
    over_total_ms: AtomicU64,
    /// Keys each shard may evict under the current policy, as last seen by
    /// that shard (tells a shard with none whether others still have some).
    evictable: Vec<AtomicU64>,
    /// The server's memory once its shards had started (INFO
    /// `used_memory_startup`).
    startup: AtomicU64,
}

/// The servers of this process, by the address of their shared state.
static SERVERS: Mutex<Vec<(usize, Weak<ServerMem>)>> = Mutex::new(Vec::new());

fn server_key(shared: &Shared) -> usize {
    shared as *const Shared as usize
}

impl ServerMem {
    /// The memory state of `shared`'s server (created by the first caller).
    pub fn of(shared: &Shared) -> Arc<ServerMem> {
        let key = server_key(shared);
        let mut all = SERVERS.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|(_, m)| m.strong_count() > 0);
        if let Some(m) = all
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, m)| m.upgrade())
        {
            return m;
        }
        let m = Arc::new(ServerMem {
            group: Group::of(key, shared.nshards),
            evicted_keys: AtomicU64::new(0),
            over_since_ms: AtomicU64::new(0),
            over_total_ms: AtomicU64::new(0),
            evictable: (0..shared.nshards).map(|_| AtomicU64::new(0)).collect(),
            startup: AtomicU64::new(0),
        });
        all.push((key, Arc::downgrade(&m)));
        m
    }

    /// The server's memory once its shards had started.
    pub fn startup_bytes(&self) -> u64 {
        self.startup.load(Ordering::Relaxed)
    }

    /// What shard `i`'s thread counts (for per-shard metrics such as
    /// `ferrite_shard_used_memory`): see the precision notes of
    /// [`crate::alloc`].
    pub fn shard_used(&self, i: usize) -> u64 {
        self.group.shard_used(i)
    }

    /// `(total, current)` milliseconds spent over the limit: INFO's
    /// `total_eviction_exceeded_time` and `current_eviction_exceeded_time`.
    pub fn exceeded_ms(&self, now_ms: u64) -> (u64, u64) {
        let since = self.over_since_ms.load(Ordering::Relaxed);
        let current = if since == 0 {
            0
        } else {
            now_ms.saturating_sub(since)
        };
        (
            self.over_total_ms.load(Ordering::Relaxed) + current,
            current,
        )
    }

    /// CONFIG RESETSTAT: the eviction counters restart (an episode over the
    /// limit in progress counts from now).
    pub fn reset_stats(&self, now_ms: u64) {
        self.evicted_keys.store(0, Ordering::Relaxed);
        self.over_total_ms.store(0, Ordering::Relaxed);
        let _ = self
            .over_since_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                (s != 0).then_some(now_ms.max(1))
            });
    }

    fn note_over(&self, over: bool, now_ms: u64) {
        if over {
            let _ = self.over_since_ms.compare_exchange(
                0,
                now_ms.max(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else {
            let since = self.over_since_ms.swap(0, Ordering::Relaxed);
            if since != 0 {
                self.over_total_ms
                    .fetch_add(now_ms.saturating_sub(since), Ordering::Relaxed);
            }
        }
    }
}

/// A shard's copy of the eviction settings and its eviction state.
#[derive(Debug)]
pub struct ShardEvict {
    /// `maxmemory` (0: no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub policy: MaxmemoryPolicy,
    /// `maxmemory-samples`.
    pub samples: usize,
    /// `maxmemory-eviction-tenacity`.
    pub tenacity: u32,
    /// `lfu-log-factor` and `lfu-decay-time`.
    pub lfu: LfuParams,
    /// The configuration epoch these settings come from (u64::MAX: never read).
    pub epoch: u64,
    /// The candidates kept between rounds.
    pub pool: Pool,
    /// The database the `*-random` policies try next.
    next_db: usize,
    /// The server's shared figures (None in unit tests).
    pub mem: Option<Arc<ServerMem>>,
}

impl Default for ShardEvict {
    fn default() -> Self {
        ShardEvict {
            maxmemory: 0,
            policy: MaxmemoryPolicy::Noeviction,
            samples: 5,
            tenacity: 10,
            lfu: LfuParams::default(),
            epoch: u64::MAX,
            pool: Pool::new(),
            next_db: 0,
            mem: None,
        }
    }
}

/// The storage policy of a `maxmemory-policy` (None: `noeviction`).
pub fn storage_policy(p: MaxmemoryPolicy) -> Option<Policy> {
    let (scope, order) = match p {
        MaxmemoryPolicy::VolatileLru => (Scope::Volatile, Order::Lru),
        MaxmemoryPolicy::VolatileLfu => (Scope::Volatile, Order::Lfu),
        MaxmemoryPolicy::VolatileRandom => (Scope::Volatile, Order::Random),
        MaxmemoryPolicy::VolatileTtl => (Scope::Volatile, Order::Ttl),
        MaxmemoryPolicy::AllkeysLru => (Scope::AllKeys, Order::Lru),
        MaxmemoryPolicy::AllkeysLfu => (Scope::AllKeys, Order::Lfu),
        MaxmemoryPolicy::AllkeysRandom => (Scope::AllKeys, Order::Random),
        MaxmemoryPolicy::Noeviction => return None,
    };
    Some(Policy { scope, order })
}

/// Binds the calling shard thread to its server's memory figures; `slot`
/// is the allocation slot the thread claimed when it started.
pub fn attach(shard: &mut Shard, shared: &Shared, slot: Option<usize>) {
    let mem = ServerMem::of(shared);
    if let Some(slot) = slot {
        mem.group.bind(shard.id, slot);
    }
    mem.startup.fetch_max(mem.group.used(), Ordering::Relaxed);
    shard.evict.mem = Some(mem);
    sync(shard);
}

/// True when a command on this shard's thread must go through [`check`]:
/// a limit is set. The one test on the path of a server without
/// `maxmemory`.
#[inline]
pub fn armed(shard: &Shard) -> bool {
    // CONFIG SET's fan-out re-reads the settings on every shard (`sync`),
    // so a limit set at run time is seen here at once.
    shard.evict.maxmemory != 0
}

#[inline]
fn changed(shard: &Shard, shared: &Shared) -> bool {
    shared.config_epoch.load(Ordering::Relaxed) != shard.evict.epoch
}

/// Re-reads the eviction settings if the configuration changed, and
/// re-applies what the shard's command settings must say about them
/// (CONFIG SET replaces those settings wholesale).
pub fn sync(shard: &mut Shard) {
    let Some(hub) = shard.hub.clone() else {
        return;
    };
    if changed(shard, &hub) {
        let epoch = hub.config_epoch.load(Ordering::Relaxed);
        let cfg = hub.config.read().unwrap_or_else(|e| e.into_inner());
        let e = &mut shard.evict;
        let was_lfu = e.policy.is_lfu();
        let old_policy = e.policy;
        e.maxmemory = cfg.maxmemory;
        e.policy = cfg.maxmemory_policy;
        e.samples = usize::try_from(cfg.maxmemory_samples)
            .unwrap_or(usize::MAX)
            .max(1);
        e.tenacity = cfg.maxmemory_eviction_tenacity;
        e.lfu = LfuParams {
            log_factor: cfg.lfu_log_factor,
            decay_time: cfg.lfu_decay_time,
        };
        e.epoch = epoch;
        if old_policy != e.policy {
            // Scores of another policy mean nothing now.
            e.pool.clear();
        }
        let lfu = e.policy.is_lfu().then_some(e.lfu);
        if was_lfu || lfu.is_some() {
            for db in &mut shard.dbs {
                db.set_lfu(lfu);
            }
        }
    }
    shard.settings.lfu_policy = shard.evict.policy.is_lfu();
}

/// The server's memory as eviction sees it (INFO `used_memory` too), with
/// the calling thread's own share exact.
pub fn used_memory(shard: &Shard) -> u64 {
    match &shard.evict.mem {
        Some(m) => m.group.used(),
        None => crate::alloc::used().unwrap_or(0),
    }
}

/// What one round of eviction concluded (Redis's `EVICT_OK`,
/// `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit).
    Ok,
    /// Still over, but memory is being freed (time ran out, or other shards
    /// hold the keys to evict): commands go on.
    Running,
    /// Over the limit with nothing to evict (or `noeviction`): commands
    /// that may grow memory are refused.
    Fail,
}

/// Redis's time limit per eviction round for a `maxmemory-eviction-tenacity`.
pub fn time_limit(tenacity: u32) -> Option<Duration> {
    match tenacity {
        0..=10 => Some(Duration::from_micros(50 * u64::from(tenacity))),
        11..=99 => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        )),
        _ => None,
    }
}

/// One eviction round on `shard` (see the module's comment).
pub fn perform(shard: &mut Shard) -> Outcome {
    sync(shard);
    let limit = shard.evict.maxmemory;
    if limit == 0 {
        return Outcome::Ok;
    }
    let now_ms = Shared::now_ms();
    let used = used_memory(shard);
    let mem = shard.evict.mem.clone();
    if used <= limit {
        if let Some(m) = &mem {
            m.note_over(false, now_ms);
        }
        return Outcome::Ok;
    }
    if let Some(m) = &mem {
        m.note_over(true, now_ms);
    }
    let Some(policy) = storage_policy(shard.evict.policy) else {
        return Outcome::Fail;
    };
    if shard.is_locked() {
        // A transaction or script holds this shard: its keys stay put
        // until it ends (Redis never evicts inside one either).
        return Outcome::Running;
    }
    // This shard's share of the excess: the others free theirs when they
    // run (the shard that dispatches every command would otherwise drain
    // its own keys first); all of it when no other shard can help.
    let excess = used - limit;
    let to_free = if others_can_evict(shard) {
        excess.div_ceil(shard.nshards.max(1) as u64)
    } else {
        excess
    };
    let start = Instant::now();
    let budget = time_limit(shard.evict.tenacity);
    let net_before = crate::alloc::thread_net();
    let now_secs = (now_ms / 1000) as u32;
    let notify = evicted_events_on(shard.settings.notify);
    let mut events = Vec::new();
    let mut evicted = 0usize;
    let mut outcome = Outcome::Ok;
    loop {
        let freed = net_before - crate::alloc::thread_net();
        if freed >= to_free as i64 {
            break;
        }
        let Some((db, key)) = evict_one(shard, policy, now_secs) else {
            outcome = if others_can_evict(shard) {
                Outcome::Running
            } else {
                Outcome::Fail
            };
            break;
        };
        evicted += 1;
        crate::journal::evicted(shard, db, &key);
        if notify {
            events.push(KeyEvent {
                class: ferrite_commands::ctx::notify::EVICTED,
                event: "evicted",
                db,
                key,
            });
        }
        if evicted.is_multiple_of(KEYS_PER_CLOCK_CHECK)
            && budget.is_some_and(|b| start.elapsed() > b)
        {
            outcome = Outcome::Running;
            break;
        }
    }
    publish_evictable(shard, policy.scope);
    if evicted > 0 {
        if let Some(m) = &mem {
            m.evicted_keys.fetch_add(evicted as u64, Ordering::Relaxed);
        }
        // Evicted keys: their notifications, WATCH and tracking.
        crate::notify::after_command(shard, true, events, crate::journal::Effect::Nothing);
    }
    if outcome == Outcome::Ok && used_memory(shard) <= limit {
        if let Some(m) = &mem {
            m.note_over(false, Shared::now_ms());
        }
    }
    outcome
}

fn evicted_events_on(flags: u32) -> bool {
    use ferrite_commands::ctx::notify;
    flags & notify::EVICTED != 0 && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

/// Evicts the best key of this shard under `policy`; its database and
/// name, or None when the shard has no key the policy may evict.
fn evict_one(shard: &mut Shard, policy: Policy, now_secs: u32) -> Option<(usize, Bytes)> {
    let ndbs = shard.dbs.len();
    if policy.order == Order::Random {
        for i in 0..ndbs {
            let d = (shard.evict.next_db + i) % ndbs.max(1);
            let key = shard
                .dbs
                .get(d)
                .and_then(|db| db.random_evictable(policy.scope));
            if let Some(key) = key {
                shard.evict.next_db = d + 1;
                if let Some(e) = shard
                    .dbs
                    .get_mut(d)
                    .and_then(|db| db.evict(&key, policy.scope))
                {
                    drop(e);
                    return Some((d, key));
                }
            }
        }
        return None;
    }
    // As Redis: sample every database into the pool, take the best
    // candidate still there; sample again if the pool held only stale ones.
    for _ in 0..4 {
        let mut any = false;
        for (d, db) in shard.dbs.iter().enumerate() {
            if db.evictable(policy.scope) > 0 {
                any = true;
                db.sample_into(
                    d,
                    policy,
                    shard.evict.samples,
                    now_secs,
                    &mut shard.evict.pool,
                );
            }
        }
        if !any {
            shard.evict.pool.clear();
            return None;
        }
        while let Some(c) = shard.evict.pool.pop_best() {
            if let Some(e) = shard
                .dbs
                .get_mut(c.db)
                .and_then(|db| db.evict(&c.key, policy.scope))
            {
                drop(e);
                return Some((c.db, c.key));
            }
        }
    }
    None
}

fn publish_evictable(shard: &Shard, scope: Scope) {
    if let Some(m) = &shard.evict.mem {
        let n: usize = shard.dbs.iter().map(|db| db.evictable(scope)).sum();
        if let Some(slot) = m.evictable.get(shard.id) {
            slot.store(n as u64, Ordering::Relaxed);
        }
    }
}

fn others_can_evict(shard: &Shard) -> bool {
    shard.evict.mem.as_ref().is_some_and(|m| {
        m.evictable
            .iter()
            .enumerate()
            .any(|(i, n)| i != shard.id && n.load(Ordering::Relaxed) > 0)
    })
}

/// True when the server is over its limit and cannot evict (`noeviction`,
/// or no key the policy may evict on any shard): Redis's
/// `pre_command_oom_state`, which scripts consult.
pub fn is_oom(shard: &Shard) -> bool {
    let limit = shard.evict.maxmemory;
    if limit == 0 || used_memory(shard) <= limit {
        return false;
    }
    match storage_policy(shard.evict.policy) {
        None => true,
        Some(p) => {
            let mine: usize = shard.dbs.iter().map(|db| db.evictable(p.scope)).sum();
            mine == 0 && !others_can_evict(shard)
        }
    }
}

/// Whether the command about to be dispatched is refused for memory
/// (Redis's rules): a `denyoom` command, any command queued in MULTI
/// (queueing itself takes memory), and an EXEC whose transaction holds a
/// `denyoom` command, when eviction cannot bring the server under the limit.
pub fn refuses(
    shard: &mut Shard,
    spec: &CommandSpec,
    in_multi: bool,
    queued_denyoom: bool,
) -> bool {
    let outcome = perform(shard);
    if outcome != Outcome::Fail {
        return false;
    }
    if in_multi {
        return match spec.name {
            "exec" => queued_denyoom || spec.flags.contains(Flags::DENYOOM),
            "discard" | "quit" | "reset" => false,
            _ => true,
        };
    }
    spec.flags.contains(Flags::DENYOOM)
}

/// The dispatcher's hook (only while [`armed`]): evicts if the server is
/// over the limit, then refuses the command if [`refuses`] says so, with
/// Redis's reply (an EXEC refused discards its transaction). True if the
/// command was refused and answered.
pub fn refused_at_dispatch(
    s: &mut crate::conn::Session,
    conn: &mut crate::conn::Conn,
    spec: &'static CommandSpec,
    skip: bool,
) -> bool {
    let in_multi = conn.multi.is_some();
    let queued = conn
        .multi
        .as_ref()
        .is_some_and(|m| m.has_flag(Flags::DENYOOM));
    let refused = {
        let worker = s.worker.clone();
        let mut shard = worker.shard.borrow_mut();
        refuses(&mut shard, spec, in_multi, queued)
    };
    if !refused {
        return false;
    }
    let text = if in_multi && spec.name == "exec" {
        conn.multi = None;
        crate::multi::note_multi(conn);
        crate::multi::unwatch_all(s, conn);
        format!("EXECABORT Transaction discarded because of: {OOM_TEXT}")
    } else {
        if let Some(m) = conn.multi.as_mut() {
            m.failed = true;
        }
        OOM_TEXT.to_string()
    };
    let start = s.out_len();
    s.error(conn, &CmdError::other(text));
    s.end_local(start, skip);
    true
}

/// The `-OOM` error.
pub fn oom_error() -> CmdError {
    CmdError::other(OOM_TEXT)
}

/// In the shard's cron: evicts while the server is over the limit, and
/// keeps the figures other shards read up to date.
pub fn cron(shard: &mut Shard) {
    sync(shard);
    let now_secs = (Shared::now_ms() / 1000) as u32;
    if shard.evict.policy.is_lfu() {
        for db in &mut shard.dbs {
            db.set_clock(now_secs);
        }
    }
    if let Some(p) = storage_policy(shard.evict.policy) {
        publish_evictable(shard, p.scope);
    }
    if shard.evict.maxmemory != 0 {
        perform(shard);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_follows_redis_curve() {
        assert_eq!(time_limit(0), Some(Duration::ZERO));
        assert_eq!(time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(time_limit(11), Some(Duration::from_micros(575)));
        assert!(time_limit(99).is_some_and(|d| d > Duration::from_millis(100)));
        assert_eq!(time_limit(100), None);
    }

    #[test]
    fn policies_map_to_scope_and_order() {
        assert_eq!(storage_policy(MaxmemoryPolicy::Noeviction), None);
        assert_eq!(
            storage_policy(MaxmemoryPolicy::VolatileTtl),
            Some(Policy {
                scope: Scope::Volatile,
                order: Order::Ttl
            })
        );
        assert_eq!(
            storage_policy(MaxmemoryPolicy::AllkeysLfu),
            Some(Policy {
                scope: Scope::AllKeys,
                order: Order::Lfu
            })
        );
    }

    #[test]
    fn evicted_events_need_the_class_and_a_channel() {
        use ferrite_commands::ctx::notify;
        assert!(evicted_events_on(notify::KEYEVENT | notify::EVICTED));
        assert!(!evicted_events_on(notify::EVICTED));
        assert!(!evicted_events_on(notify::KEYSPACE | notify::EXPIRED));
    }
}
