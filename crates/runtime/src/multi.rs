//! Transactions: MULTI queues commands, WATCH arms a flag, EXEC runs the
//! queue under the locks of every shard it touches.
//!
//! * **Queueing.** Between MULTI and EXEC a command is looked up and its
//!   arity checked (errors there answer at once and doom the transaction:
//!   EXEC then answers `EXECABORT`), then its arguments are *copied* into
//!   the queue: slices of the read buffer would pin a whole buffer per
//!   command for as long as the transaction lasts.
//! * **WATCH.** Each watching client has one flag (`Arc<AtomicBool>`),
//!   registered under every watched key in the key's `Db` on the key's shard.
//!   A command that asks to write a watched key and reports changes
//!   (`dirty`), an expiry, FLUSHDB/FLUSHALL/SWAPDB over a present key, or a
//!   multi-shard command that changed it (told by the check-in) sets the
//!   flag. EXEC reads it after taking its locks, so a change made before
//!   EXEC took them is seen, and none can come after.
//! * **EXEC.** The shards of every queued command's keys (all shards if a
//!   command works on the whole keyspace, or reads keys through SORT
//!   patterns), and of the watched keys, are locked in ascending order; when
//!   that is only this thread's shard, the lock is taken directly. The
//!   queued commands then run through the ordinary dispatch, which, while
//!   the session holds the locks, runs them inline or sends them tagged with
//!   the transaction, so they pass the lock. Replies are collected, then the
//!   locks are released: no other client sees part of the transaction.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrite_commands::{CmdError, CommandSpec, Exec, RuntimeCmd};
use ferrite_protocol::Writer;

use crate::conn::{Conn, Session};
use crate::shard::{Shard, ShardMsg, TxId};
use crate::slot::shard_of;

/// A connection's queued transaction.
#[derive(Default)]
pub struct MultiState {
    /// The queued arguments, back to back.
    buf: BytesMut,
    /// Each queued argument's end offset in `buf`.
    ends: Vec<usize>,
    /// Each queued command: its row and how many arguments it has.
    cmds: Vec<(&'static CommandSpec, usize)>,
    /// A command was refused while queueing.
    pub failed: bool,
}

impl MultiState {
    /// True when a queued command may write (a WRITE pause holds its EXEC).
    pub fn may_write(&self) -> bool {
        self.cmds
            .iter()
            .any(|(spec, _)| crate::pause::may_write(spec))
    }

    /// Queues a command (its arguments are copied).
    pub fn push(&mut self, spec: &'static CommandSpec, argv: &[Bytes]) {
        for a in argv {
            self.buf.extend_from_slice(a);
            self.ends.push(self.buf.len());
        }
        self.cmds.push((spec, argv.len()));
    }

    /// True if a queued command has `flag` (EXEC's `denyoom` check).
    pub fn has_flag(&self, flag: ferrite_commands::Flags) -> bool {
        self.cmds.iter().any(|(spec, _)| spec.flags.contains(flag))
    }

    /// The queued commands with their arguments.
    fn into_commands(self) -> Vec<(&'static CommandSpec, Vec<Bytes>)> {
        let buf = self.buf.freeze();
        let mut out = Vec::with_capacity(self.cmds.len());
        let mut at = 0;
        let mut start = 0;
        for (spec, n) in self.cmds {
            let mut argv = Vec::with_capacity(n);
            for &end in self.ends.get(at..at + n).unwrap_or_default() {
                argv.push(buf.slice(start..end));
                start = end;
            }
            at += n;
            out.push((spec, argv));
        }
        out
    }
}

/// What a connection watches.
#[derive(Default)]
pub struct WatchState {
    /// Set when a watched key changes (shared with every registration).
    flag: Option<Arc<AtomicBool>>,
    /// (shard, db, key) of every registration.
    keys: Vec<(usize, usize, Bytes)>,
}

impl WatchState {
    /// True when no key is watched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// True for the commands that run at once inside MULTI instead of being
/// queued (as in Redis: EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
pub fn runs_in_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.exec,
        Exec::Runtime(
            RuntimeCmd::Exec
                | RuntimeCmd::Discard
                | RuntimeCmd::Multi
                | RuntimeCmd::Watch
                | RuntimeCmd::Quit
                | RuntimeCmd::Reset
        )
    )
}

/// Publishes the connection's transaction state for CLIENT LIST (`x` flag,
/// `multi=` count of queued commands, -1 outside MULTI).
pub fn note_multi(conn: &Conn) {
    use crate::clients::flag;
    match &conn.multi {
        Some(m) => {
            conn.info
                .multi
                .store(m.cmds.len() as i64, Ordering::Relaxed);
            conn.info.flags.fetch_or(flag::MULTI, Ordering::Relaxed);
        }
        None => {
            conn.info.multi.store(-1, Ordering::Relaxed);
            conn.info.flags.fetch_and(!flag::MULTI, Ordering::Relaxed);
        }
    }
}

/// MULTI
pub fn multi(s: &mut Session, conn: &mut Conn) -> Result<(), CmdError> {
    if conn.multi.is_some() {
        return Err(CmdError::other("ERR MULTI calls can not be nested"));
    }
    conn.multi = Some(MultiState::default());
    note_multi(conn);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// DISCARD
pub fn discard(s: &mut Session, conn: &mut Conn) -> Result<(), CmdError> {
    if conn.multi.take().is_none() {
        return Err(CmdError::other("ERR DISCARD without MULTI"));
    }
    note_multi(conn);
    unwatch_all(s, conn);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// UNWATCH
pub fn unwatch(s: &mut Session, conn: &mut Conn) -> Result<(), CmdError> {
    unwatch_all(s, conn);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// WATCH key [key ...]
pub async fn watch(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> Result<(), CmdError> {
    if conn.multi.is_some() {
        return Err(CmdError::other("ERR WATCH inside MULTI is not allowed"));
    }
    let shared = s.worker.shared.clone();
    let n = shared.nshards;
    let me = s.worker.id;
    let client = conn.id;
    let db = conn.db;
    let flag = conn
        .watch
        .flag
        .get_or_insert_with(|| Arc::new(AtomicBool::new(false)))
        .clone();
    if let Ok(mut f) = conn.info.watch_flag.lock() {
        *f = Some(flag.clone());
    }
    let mut per_shard: Vec<Vec<Bytes>> = vec![Vec::new(); n];
    for k in argv.iter().skip(1) {
        let sh = shard_of(k, n);
        let known = conn
            .watch
            .keys
            .iter()
            .any(|(s2, d, k2)| *s2 == sh && *d == db && k2 == k);
        if !known && !per_shard[sh].contains(k) {
            per_shard[sh].push(k.clone());
        }
    }
    let mut waits = Vec::new();
    for (sh, keys) in per_shard.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        for k in &keys {
            conn.watch.keys.push((sh, db, k.clone()));
        }
        let flag = flag.clone();
        let register = move |shard: &mut Shard| {
            let now = crate::server::Shared::now_ms();
            if let Some(d) = shard.dbs.get_mut(db) {
                for k in &keys {
                    d.watch(k, client, &flag, now);
                }
            }
            shard.watches += keys.len();
        };
        let local = sh == me && !s.worker.shard.borrow().is_locked();
        if local {
            register(&mut s.worker.shard.borrow_mut());
        } else {
            waits.push(crate::coord::run_on(&shared, sh, None, register));
        }
    }
    for w in waits {
        w.await?;
    }
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Drops every registration of `conn` and clears its flag (UNWATCH, EXEC,
/// DISCARD, RESET, disconnect). Never waits: removals are messages that a
/// later command of the same connection on the same shard follows.
pub fn unwatch_all(s: &Session, conn: &mut Conn) {
    unwatch_keys(s, conn.id, &mut conn.watch);
    if let Ok(mut f) = conn.info.watch_flag.lock() {
        *f = None;
    }
}

/// [`unwatch_all`] over the parts of a connection.
pub fn unwatch_keys(s: &Session, client: u64, watch: &mut WatchState) {
    if watch.keys.is_empty() {
        return;
    }
    let shared = &s.worker.shared;
    let n = shared.nshards;
    let mut per_shard: Vec<Vec<(usize, Bytes)>> = vec![Vec::new(); n];
    for (sh, d, k) in watch.keys.drain(..) {
        if let Some(v) = per_shard.get_mut(sh) {
            v.push((d, k));
        }
    }
    watch.flag = None;
    for (sh, keys) in per_shard.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let remove = move |shard: &mut Shard| {
            for (d, k) in &keys {
                if let Some(db) = shard.dbs.get_mut(*d) {
                    db.unwatch(k, client);
                }
            }
            shard.watches = shard.watches.saturating_sub(keys.len());
        };
        if sh == s.worker.id {
            if let Ok(mut shard) = s.worker.shard.try_borrow_mut() {
                remove(&mut shard);
                continue;
            }
        }
        let _ = shared.inbox(sh).send(ShardMsg::Run {
            tx: None,
            f: Box::new(remove),
        });
    }
}

/// The locks an EXEC holds.
pub struct Held {
    /// The transaction's id.
    pub tx: TxId,
    /// The shards locked (ascending).
    shards: Vec<usize>,
    /// Taken directly on this thread's shard.
    local: bool,
}

/// The shards an EXEC must lock: those of every key of every queued
/// command and of every watched key; all of them when a command works on
/// the whole keyspace or reads keys through patterns.
fn tx_shards(
    s: &Session,
    cmds: &[(&'static CommandSpec, Vec<Bytes>)],
    watch: &WatchState,
) -> Vec<usize> {
    let n = s.worker.shared.nshards;
    let mut want = vec![false; n];
    let mut keypos = Vec::new();
    for (spec, argv) in cmds {
        match spec.exec {
            Exec::Keyed(_) => {
                if spec.lookups_for(argv).is_some() {
                    return (0..n).collect();
                }
                keypos.clear();
                spec.key_positions(argv, &mut keypos);
                for &p in &keypos {
                    if let Some(k) = argv.get(p) {
                        want[shard_of(k, n)] = true;
                    }
                }
            }
            // A script may reach any key.
            Exec::Runtime(c)
                if crate::cmd::is_barrier(c)
                    || matches!(c, RuntimeCmd::Eval | RuntimeCmd::Fcall) =>
            {
                return (0..n).collect()
            }
            _ => {}
        }
    }
    for (sh, _, _) in &watch.keys {
        if let Some(w) = want.get_mut(*sh) {
            *w = true;
        }
    }
    (0..n).filter(|&i| want[i]).collect()
}

/// EXEC: writes the whole reply (an array of the queued commands' replies,
/// a null array when a watched key changed, or an error).
pub async fn exec(s: &mut Session, conn: &mut Conn, skip: bool) {
    let start = s.out_len();
    let Some(state) = conn.multi.take() else {
        s.error(conn, &CmdError::other("ERR EXEC without MULTI"));
        s.end_local(start, skip);
        return;
    };
    note_multi(conn);
    s.worker.shard.borrow_mut().commands_processed += 1;
    if state.failed {
        unwatch_all(s, conn);
        s.error(
            conn,
            &CmdError::other("EXECABORT Transaction discarded because of previous errors."),
        );
        s.end_local(start, skip);
        return;
    }
    let cmds = state.into_commands();
    // Earlier pipelined requests complete first.
    s.flush().await;
    let shards = tx_shards(s, &cmds, &conn.watch);
    let held = match lock_shards(s, shards).await {
        Ok(h) => h,
        Err(e) => {
            unwatch_all(s, conn);
            s.error(conn, &e);
            s.end_local(start, skip);
            return;
        }
    };
    let tx = held.as_ref().map(|h| h.tx);
    s.held = held;
    let changed = match watched_changed(s, conn, tx).await {
        Ok(c) => c,
        Err(e) => {
            release_shards(s);
            unwatch_all(s, conn);
            s.error(conn, &e);
            s.end_local(start, skip);
            return;
        }
    };
    unwatch_all(s, conn);
    if changed {
        release_shards(s);
        Writer::new(s.out(), conn.resp3).null_array();
        s.end_local(start, skip);
        return;
    }
    let start = s.out_len();
    Writer::new(s.out(), conn.resp3).array(cmds.len());
    s.end_local(start, skip);
    // The transaction's writes are journaled as one unit.
    let journal = s.worker.shared.journal.clone();
    let group = match &s.held {
        Some(h) => journal.open_group(h.shards.iter().copied()),
        None => journal.open_group([s.worker.id]),
    };
    for (ord, (spec, argv)) in cmds.iter().enumerate() {
        s.journal_ord = u32::try_from(ord + 1).unwrap_or(u32::MAX);
        // The transaction's commands are not commands of the batch: each
        // is looked up already, and blocking ones answer at once.
        conn.last_cmd = spec.name;
        let skip = s.reply_skip(conn);
        // Rules may have changed since the command was queued.
        if !conn.user.is_open() {
            if let Err(e) = crate::acl::gate(&s.worker.shared, conn, spec, argv, "multi", true) {
                let start = s.out_len();
                s.error(conn, &e);
                s.end_local(start, skip);
                continue;
            }
        }
        let id = s.worker.shared.table.id_of(spec);
        s.run_spec(conn, spec, id, argv, skip).await;
    }
    // Replies from other shards arrive before the locks go.
    s.flush().await;
    s.journal_ord = 0;
    drop(group);
    release_shards(s);
    conn.last_cmd = "exec";
}

/// Takes the locks of `shards` for a new transaction: directly when that
/// is just this thread's free shard, else by messages in ascending order.
/// None when there is nothing to lock.
pub(crate) async fn lock_shards(s: &Session, shards: Vec<usize>) -> Result<Option<Held>, CmdError> {
    if shards.is_empty() {
        return Ok(None);
    }
    let shared = s.worker.shared.clone();
    let tx = shared.next_tx.fetch_add(1, Ordering::Relaxed);
    if shards == [s.worker.id] && s.worker.shard.borrow_mut().try_lock_local(tx) {
        return Ok(Some(Held {
            tx,
            shards,
            local: true,
        }));
    }
    crate::coord::lock_as(&shared, tx, &shards).await?;
    Ok(Some(Held {
        tx,
        shards,
        local: false,
    }))
}

/// Releases the session's locks.
pub(crate) fn release_shards(s: &mut Session) {
    let Some(h) = s.held.take() else {
        return;
    };
    if h.local {
        s.worker.shard.borrow_mut().unlock_local(h.tx);
    } else {
        crate::coord::unlock(&s.worker.shared, h.tx, &h.shards);
    }
}

/// True when a watched key changed since WATCH. Keys whose time has come
/// since are expired first on their shards (under the transaction's locks),
/// which counts as a change, as in Redis 7.0.
async fn watched_changed(s: &mut Session, conn: &Conn, tx: Option<TxId>) -> Result<bool, CmdError> {
    let Some(flag) = conn.watch.flag.clone() else {
        return Ok(false);
    };
    let shared = s.worker.shared.clone();
    let n = shared.nshards;
    let mut per_shard: Vec<Vec<(usize, Bytes)>> = vec![Vec::new(); n];
    for (sh, d, k) in &conn.watch.keys {
        per_shard[*sh].push((*d, k.clone()));
    }
    let mut waits = Vec::new();
    for (sh, keys) in per_shard.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let expire = move |shard: &mut Shard| {
            let now = crate::server::Shared::now_ms();
            for (d, k) in &keys {
                if let Some(db) = shard.dbs.get_mut(*d) {
                    db.get(k, now);
                }
            }
        };
        if sh == s.worker.id {
            expire(&mut s.worker.shard.borrow_mut());
        } else {
            waits.push(crate::coord::run_on(&shared, sh, tx, expire));
        }
    }
    for w in waits {
        w.await?;
    }
    Ok(flag.load(Ordering::Acquire))
}
