//! A shard: the part of the keyspace one thread owns, its inbox and its
//! logical lock.
//!
//! Only the owning thread ever touches a [`Shard`]. Other threads reach it by
//! sending a [`ShardMsg`] to its inbox. A cross-shard operation (MSET over
//! keys on several shards, FLUSHALL, ...) first takes the *logical* lock of
//! every shard involved, in ascending shard order, so two such operations can
//! never deadlock. While a shard is locked, messages from anyone but the lock
//! holder wait in `pending`, in arrival order, and the thread keeps serving its
//! sockets; nothing ever blocks a thread.

use std::collections::VecDeque;

use ferrite_commands::{Settings, Stats};
use ferrite_storage::Db;
use tokio::sync::oneshot;

/// Identifies one cross-shard operation holding shard locks.
pub type TxId = u64;

/// A closure run on a shard's thread with exclusive access to the shard.
pub type ShardFn = Box<dyn FnOnce(&mut Shard) + Send>;

/// A message to a shard's thread.
pub enum ShardMsg {
    /// Run a closure; `tx` names the lock holder it belongs to, if any.
    Run {
        /// The operation this closure belongs to (None: an ordinary request).
        tx: Option<TxId>,
        /// The work.
        f: ShardFn,
    },
    /// Take the shard's logical lock for `tx`; `granted` fires when it is held.
    Lock {
        /// The operation asking.
        tx: TxId,
        /// Fired once the lock is held.
        granted: oneshot::Sender<()>,
    },
    /// Release the lock held by `tx`.
    Unlock {
        /// The operation releasing.
        tx: TxId,
    },
}

impl ShardMsg {
    fn tx(&self) -> Option<TxId> {
        match self {
            ShardMsg::Run { tx, .. } => *tx,
            ShardMsg::Lock { .. } => None,
            ShardMsg::Unlock { tx } => Some(*tx),
        }
    }
}

/// What the active expiry cycles of one shard measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpireCycleStats {
    /// Estimated share of keys with a TTL that are expired but not yet
    /// removed: each cycle's expired/sampled ratio, smoothed as Redis does
    /// (5% new, 95% old).
    pub stale_perc: f64,
    /// Cycles that stopped because their time budget ran out.
    pub time_cap_reached: u64,
    /// Time spent in active expiry cycles, in microseconds.
    pub cycle_us: u64,
}

impl ExpireCycleStats {
    /// Accounts one cycle.
    pub fn cycle(
        &mut self,
        sampled: usize,
        expired: usize,
        capped: bool,
        took: std::time::Duration,
    ) {
        let current = if sampled == 0 {
            0.0
        } else {
            expired as f64 / sampled as f64
        };
        self.stale_perc = current * 0.05 + self.stale_perc * 0.95;
        if capped {
            self.time_cap_reached += 1;
        }
        self.cycle_us += took.as_micros() as u64;
    }
}

/// One shard's state.
pub struct Shard {
    /// This shard's index.
    pub id: usize,
    /// Number of shards in the server (a key's shard is `shard_of(key, nshards)`).
    pub nshards: usize,
    /// Clients blocked on this shard's keys.
    pub blocking: crate::blocking::Blocking,
    /// The shard's databases (`databases` of them).
    pub dbs: Vec<Db>,
    /// Counters for INFO.
    pub stats: Stats,
    /// This thread's copy of the settings commands need.
    pub settings: Settings,
    /// Commands executed on this shard.
    pub commands_processed: u64,
    /// Per-command figures of the commands this thread ran.
    pub cmdstats: crate::cmdstats::CmdStats,
    /// When a command counts as slow (slow log, latency monitor).
    pub observe: crate::observe::ObserveSettings,
    /// Active expiry's figures (INFO stats).
    pub expire_stats: ExpireCycleStats,
    /// Messages waiting in the inbox, as of the last one taken.
    pub inbox_depth: usize,
    /// Batches of requests this thread's connections sent to other shards.
    pub hops_out: u64,
    /// Commands this thread's connections ran over several shards' locks.
    pub multi_shard_commands: u64,
    /// Changes since start (Redis's `dirty`, summed over shards).
    pub dirty: u64,
    /// WATCH registrations on this shard's keys (while 0, commands record
    /// nothing for WATCH).
    pub watches: usize,
    /// Client-side caching: which clients read which keys of this shard.
    pub tracking: crate::tracking::Table,
    /// The server's shared state (None in unit tests).
    pub hub: Option<std::sync::Arc<crate::server::Shared>>,
    /// The client whose command runs now (NOLOOP skips its own writes).
    pub current_client: u64,
    /// The client whose command runs now is in CLIENT NO-TOUCH mode.
    pub no_touch: bool,
    /// Expired keys are recorded (for `expired` notifications or the journal).
    pub notify_expired: bool,
    /// Writes are journaled (the AOF is on): handlers build their
    /// replacement effects ([`ferrite_commands::Ctx::journal`]).
    pub journaling: bool,
    /// The running command's place in its transaction, for the journal
    /// (0: not in one; see `Journal::append_unit`).
    pub journal_ord: u32,
    /// The unit of the script running inline here, while it runs
    /// (`journal::script_begin`).
    pub journal_script: Option<crate::journal::Unit>,
    /// That unit's memory between scripts.
    pub journal_spare: crate::journal::Unit,
    /// Scratch for the commands one command journals.
    pub journal_unit: crate::journal::Unit,
    /// A script holding every shard's lock runs: blocked clients are served
    /// after it, not between its commands (as in Redis).
    pub serve_deferred: bool,
    /// `maxmemory`: this shard's copy of the settings, its eviction pool
    /// and the server's memory figures.
    pub evict: crate::evict::ShardEvict,
    lock: Option<TxId>,
    pending: VecDeque<ShardMsg>,
}

impl Shard {
    /// A new, empty shard.
    pub fn new(id: usize, nshards: usize, databases: usize, settings: Settings) -> Shard {
        Shard {
            id,
            nshards,
            blocking: crate::blocking::Blocking::default(),
            dbs: (0..databases).map(|_| Db::new()).collect(),
            stats: Stats::default(),
            settings,
            commands_processed: 0,
            cmdstats: Default::default(),
            observe: Default::default(),
            expire_stats: Default::default(),
            inbox_depth: 0,
            hops_out: 0,
            multi_shard_commands: 0,
            dirty: 0,
            watches: 0,
            tracking: Default::default(),
            hub: None,
            current_client: 0,
            no_touch: false,
            notify_expired: false,
            journaling: false,
            journal_ord: 0,
            journal_script: None,
            journal_spare: Default::default(),
            journal_unit: Default::default(),
            serve_deferred: false,
            evict: Default::default(),
            lock: None,
            pending: VecDeque::new(),
        }
    }

    /// Messages waiting: in the inbox and, while the shard is locked, for
    /// the lock.
    pub fn queue_depth(&self) -> usize {
        self.inbox_depth + self.pending.len()
    }

    /// True when an operation holds this shard's lock: a connection on this
    /// thread must then queue its work as a message instead of running inline.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// The operation holding the lock, if any.
    pub fn lock_owner(&self) -> Option<TxId> {
        self.lock
    }

    /// Takes the lock for `tx` from the shard's own thread, if it is free:
    /// an EXEC whose keys all live here needs no message. Work arriving
    /// meanwhile waits as it would for any holder.
    pub fn try_lock_local(&mut self, tx: TxId) -> bool {
        if self.lock.is_some() {
            return false;
        }
        self.lock = Some(tx);
        true
    }

    /// Releases a lock taken with [`Shard::try_lock_local`] and runs what
    /// waited for it.
    pub fn unlock_local(&mut self, tx: TxId) {
        if self.lock == Some(tx) {
            self.lock = None;
            self.drain();
        }
    }

    /// After a command ran here: signals the watched keys it asked to write
    /// if it changed anything (the record `Db::take_touched` returns), and sends the
    /// tracking invalidations of the keys it changed or that expired.
    #[inline]
    pub fn settle_writes(&mut self, modified: bool) {
        if self.watches == 0 && !self.tracking.is_recording() {
            return;
        }
        let mut changed = Vec::new();
        for db in &mut self.dbs {
            let touched = db.take_touched();
            if modified {
                for k in &touched {
                    db.signal(k);
                }
                changed.extend(touched);
            }
            changed.extend(db.take_expired());
        }
        if self.tracking.is_recording() && !changed.is_empty() {
            let writer = self.current_client;
            crate::tracking::written(self, &changed, writer);
        }
    }

    /// Handles one inbox message (or queues it while another operation holds the lock).
    pub fn handle(&mut self, msg: ShardMsg) {
        if let Some(owner) = self.lock {
            if msg.tx() != Some(owner) {
                self.pending.push_back(msg);
                return;
            }
        }
        match msg {
            ShardMsg::Run { f, .. } => f(self),
            ShardMsg::Lock { tx, granted } => {
                self.lock = Some(tx);
                if granted.send(()).is_err() {
                    // The requester is gone: release at once.
                    self.lock = None;
                    self.drain();
                }
            }
            ShardMsg::Unlock { .. } => {
                self.lock = None;
                self.drain();
            }
        }
    }

    fn drain(&mut self) {
        let queued = std::mem::take(&mut self.pending);
        for msg in queued {
            self.handle(msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn run(tx: Option<TxId>, log: &Arc<Mutex<Vec<u32>>>, n: u32) -> ShardMsg {
        let log = log.clone();
        ShardMsg::Run {
            tx,
            f: Box::new(move |_| log.lock().unwrap().push(n)),
        }
    }

    #[test]
    fn locked_shard_queues_others_in_order() {
        let mut s = Shard::new(0, 1, 1, Settings::default());
        let log = Arc::new(Mutex::new(vec![]));
        let (g1, r1) = oneshot::channel();
        s.handle(ShardMsg::Lock { tx: 7, granted: g1 });
        assert!(s.is_locked());
        let (g2, mut r2) = oneshot::channel();
        s.handle(run(None, &log, 1));
        s.handle(ShardMsg::Lock { tx: 8, granted: g2 });
        s.handle(run(None, &log, 2));
        s.handle(run(Some(7), &log, 3));
        assert_eq!(*log.lock().unwrap(), vec![3]);
        drop(r1);
        s.handle(ShardMsg::Unlock { tx: 7 });
        // 1 runs, then tx 8 takes the lock and 2 waits again.
        assert_eq!(*log.lock().unwrap(), vec![3, 1]);
        assert!(r2.try_recv().is_ok());
        s.handle(ShardMsg::Unlock { tx: 8 });
        assert_eq!(*log.lock().unwrap(), vec![3, 1, 2]);
        assert!(!s.is_locked());
    }
}
