//! Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP on lists;
//! BZPOPMIN, BZPOPMAX, BZMPOP on sorted sets): the waiters, the per-shard
//! wait queues, serving, timeouts and CLIENT UNBLOCK.
//!
//! A blocking command first runs like any keyed command. Its handler serves
//! it at once if a key has data; otherwise it sets [`Ctx::block`] and the
//! connection becomes a [`Waiter`], queued on every key it waits on, in the
//! shard owning that key. When a key with waiters is stored (the database
//! notes it, see `Db::mark_ready`), its shard serves the queue in
//! first-come-first-served order right after the command that stored it, as
//! Redis does after each command. A waiter is served only by the type it
//! pops from: when a key several kinds of waiters wait on becomes a list,
//! the BZPOPMIN waiters ahead of a BLPOP one are passed over and wait on.
//!
//! A waiter may wait on keys of several shards; whoever finishes it first —
//! a shard serving it, its timeout, CLIENT UNBLOCK or a disconnect — does so
//! by one compare-and-swap on its state, and only the winner acts. A shard
//! pops an element only after it won, on its own thread, so an element is
//! never lost or handed out twice. Afterwards the connection removes the
//! waiter from every queue it joined.
//!
//! BLMOVE and BRPOPLPUSH whose destination lives on another shard cannot be
//! finished by the source shard alone. The source shard then claims the
//! waiter (`HANDOFF`) and holds the key's later waiters back (a
//! reservation) until the move is done, so that each waiter still pops from
//! the end it asked for in the list as the previous one left it; the
//! connection performs the move as one atomic cross-shard operation (the
//! same path as LMOVE) and releases the reservation. Only a non-blocking pop
//! landing in the microseconds between can take that element first; the
//! waiter then simply waits on, at the head of the queue.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrite_commands::{Block, CmdError, CommandSpec, Ctx, Handler};
use ferrite_protocol::Writer;
use ferrite_storage::{Db, Value, ValueType};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;

use crate::clients::flag;
use crate::conn::{Conn, Session};
use crate::server::Shared;
use crate::shard::{Shard, ShardMsg};
use crate::slot::shard_of;
use crate::worker::Worker;

/// Waiting for data.
const WAITING: u8 = 0;
/// A shard served it: the reply is in `reply`.
const SERVED: u8 = 1;
/// The source shard asks the connection to perform its cross-shard move.
const HANDOFF: u8 = 2;
/// The timeout fired.
const TIMED_OUT: u8 = 3;
/// CLIENT UNBLOCK ... TIMEOUT.
const UNBLOCKED_TIMEOUT: u8 = 4;
/// CLIENT UNBLOCK ... ERROR.
const UNBLOCKED_ERROR: u8 = 5;
/// The client went away.
const GONE: u8 = 6;

/// What CLIENT UNBLOCK ... ERROR makes the blocked command reply (Redis's text).
const UNBLOCKED_ERROR_TEXT: &[u8] = b"UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// One blocked client.
pub struct Waiter {
    state: AtomicU8,
    reply: Mutex<Option<Bytes>>,
    notify: Notify,
    handler: Handler,
    argv: Vec<Bytes>,
    db: usize,
    resp3: bool,
    /// The client is in CLIENT NO-TOUCH mode.
    no_touch: bool,
    /// The keys waited on, in the command's order.
    keys: Vec<Bytes>,
    /// BLMOVE/BRPOPLPUSH whose destination is on another shard than the source.
    cross_move: bool,
    /// The type it pops from: a list, or a sorted set (BZPOPMIN, BZPOPMAX,
    /// BZMPOP). A key of the other type does not serve it, as in Redis.
    wants: ValueType,
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("state", &self.state())
            .field("db", &self.db)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Waiter {
    /// Finishes the wait as `to` if nobody else finished it first.
    fn claim(&self, to: u8) -> bool {
        self.state
            .compare_exchange(WAITING, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    fn deliver(&self, reply: Bytes) {
        if let Ok(mut r) = self.reply.lock() {
            *r = Some(reply);
        }
        self.notify.notify_one();
    }

    /// CLIENT UNBLOCK: ends the wait as a timeout (`error` false) or with
    /// the UNBLOCKED error. False if the wait had already ended.
    pub fn unblock(&self, error: bool) -> bool {
        let won = self.claim(if error {
            UNBLOCKED_ERROR
        } else {
            UNBLOCKED_TIMEOUT
        });
        if won {
            self.notify.notify_one();
        }
        won
    }

    /// The handler's arguments for serving from `key` alone: BLPOP and BRPOP
    /// keep only that key, BLMPOP gets `numkeys` 1; the others wait on one
    /// key and keep their arguments. The timeout is irrelevant there.
    fn serve_argv(&self, key: &Bytes) -> Vec<Bytes> {
        let name = self.argv.first().cloned().unwrap_or_default();
        let zero = Bytes::from_static(b"0");
        if keys_then_timeout(&name) {
            vec![name, key.clone(), zero]
        } else if timeout_then_numkeys(&name) {
            let numkeys = numkeys(&self.argv).unwrap_or(0);
            let mut v = vec![name, zero, Bytes::from_static(b"1"), key.clone()];
            v.extend(self.argv.iter().skip(3 + numkeys).cloned());
            v
        } else {
            self.argv.clone()
        }
    }
}

fn is_cmd(name: &[u8], cmd: &str) -> bool {
    name.eq_ignore_ascii_case(cmd.as_bytes())
}

/// `NAME key [key ...] timeout`: BLPOP, BRPOP (and BZPOPMIN, BZPOPMAX).
fn keys_then_timeout(name: &[u8]) -> bool {
    ["blpop", "brpop", "bzpopmin", "bzpopmax"]
        .iter()
        .any(|c| is_cmd(name, c))
}

/// `NAME timeout numkeys key [key ...] ...`: BLMPOP (and BZMPOP).
fn timeout_then_numkeys(name: &[u8]) -> bool {
    is_cmd(name, "blmpop") || is_cmd(name, "bzmpop")
}

/// BZPOPMIN, BZPOPMAX and BZMPOP wait for a sorted set; the others for a list.
fn is_zset_pop(name: &[u8]) -> bool {
    ["bzpopmin", "bzpopmax", "bzmpop"]
        .iter()
        .any(|c| is_cmd(name, c))
}

/// BLMPOP's numkeys (validated by its handler before it asked to block).
fn numkeys(argv: &[Bytes]) -> Option<usize> {
    let n = ferrite_storage::num::parse_i64(argv.get(2)?)?;
    usize::try_from(n).ok().filter(|&n| 3 + n <= argv.len())
}

/// The keys a blocking command waits on: all its keys for BLPOP and BRPOP,
/// the `numkeys` keys of BLMPOP, the source of BLMOVE and BRPOPLPUSH.
fn wait_keys(argv: &[Bytes]) -> Vec<Bytes> {
    let name = argv.first().map(|b| &b[..]).unwrap_or(b"");
    if keys_then_timeout(name) {
        let end = argv.len().saturating_sub(1);
        argv.get(1..end).map(<[Bytes]>::to_vec).unwrap_or_default()
    } else if timeout_then_numkeys(name) {
        let n = numkeys(argv).unwrap_or(0);
        argv.get(3..3 + n)
            .map(<[Bytes]>::to_vec)
            .unwrap_or_default()
    } else {
        argv.get(1).cloned().into_iter().collect()
    }
}

/// A shard's wait queues.
#[derive(Default)]
pub struct Blocking {
    /// Waiters per (database, key), oldest first.
    queues: HashMap<(usize, Bytes), VecDeque<Arc<Waiter>>>,
    /// Elements promised to cross-shard moves in progress, per (database, key).
    reserved: HashMap<(usize, Bytes), usize>,
}

impl Blocking {
    /// True when no client waits on this shard.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.reserved.is_empty()
    }

    /// Number of keys with waiters on this shard.
    pub fn keys(&self) -> usize {
        self.queues.len()
    }
}

/// Queues `w` on its keys that live on `shard`, then serves it at once if
/// one of them got data meanwhile (a key written between the command's
/// attempt and this registration).
fn register(shard: &mut Shard, w: &Arc<Waiter>, front: bool) {
    let nshards = shard.nshards;
    let id = shard.id;
    let Some(db) = shard.dbs.get_mut(w.db) else {
        return;
    };
    for k in &w.keys {
        if shard_of(k, nshards) != id {
            continue;
        }
        let q = shard.blocking.queues.entry((w.db, k.clone())).or_default();
        if front {
            q.push_front(w.clone());
        } else {
            q.push_back(w.clone());
        }
        db.block_key(k);
        db.mark_ready(k);
    }
    serve_ready(shard);
}

/// Removes `w` from every queue of `shard`.
fn unregister(shard: &mut Shard, w: &Arc<Waiter>) {
    for k in &w.keys {
        let qk = (w.db, k.clone());
        let Some(q) = shard.blocking.queues.get_mut(&qk) else {
            continue;
        };
        q.retain(|x| !Arc::ptr_eq(x, w));
        if q.is_empty() {
            shard.blocking.queues.remove(&qk);
            if let Some(db) = shard.dbs.get_mut(w.db) {
                db.unblock_key(k);
            }
        }
    }
}

/// Serves the waiters of every ready key of `shard`. Called after each
/// command that ran on the shard; costs one branch when nobody waits.
#[inline]
pub fn serve_ready(shard: &mut Shard) {
    if shard.blocking.is_empty() {
        return;
    }
    serve_ready_slow(shard);
}

fn serve_ready_slow(shard: &mut Shard) {
    // Serving BLMOVE pushes onto its destination, which may make another
    // key ready: go on until nothing is ready. Each round serves at least
    // one waiter or drains the ready lists, so this ends.
    loop {
        let mut any = false;
        for d in 0..shard.dbs.len() {
            if !shard.dbs[d].has_ready() {
                continue;
            }
            any = true;
            let keys = shard.dbs[d].take_ready();
            for k in keys {
                serve_key(shard, d, &k);
            }
        }
        if !any {
            return;
        }
    }
}

/// The type of the value under `key` if it is a list or a sorted set with
/// elements to pop.
fn ready_type(db: &mut Db, key: &[u8], now: u64) -> Option<ValueType> {
    match db.get(key, now).map(|e| &e.value) {
        Some(Value::List(l)) if !l.is_empty() => Some(ValueType::List),
        Some(Value::ZSet(z)) if !z.is_empty() => Some(ValueType::ZSet),
        _ => None,
    }
}

/// Serves `key`'s waiters, oldest first, while the key has unpromised
/// elements. Waiters for the other type (a BZPOPMIN on a key that became a
/// list) are passed over and stay queued, as Redis leaves them blocked.
fn serve_key(shard: &mut Shard, d: usize, key: &Bytes) {
    let now = Shared::now_ms();
    let qk = (d, key.clone());
    loop {
        let Shard {
            dbs,
            blocking,
            settings,
            stats,
            dirty,
            journaling,
            ..
        } = &mut *shard;
        let Some(q) = blocking.queues.get_mut(&qk) else {
            return;
        };
        while q.front().is_some_and(|w| w.state() != WAITING) {
            q.pop_front();
        }
        if q.is_empty() {
            blocking.queues.remove(&qk);
            if let Some(db) = dbs.get_mut(d) {
                db.unblock_key(key);
            }
            return;
        }
        let Some(db) = dbs.get_mut(d) else {
            return;
        };
        // While a cross-shard move handed over is in flight, the next
        // waiters wait for it to finish: each then pops from the end it
        // asked for in the list as that move left it, as in Redis.
        if blocking.reserved.contains_key(&qk) {
            return;
        }
        let Some(ready) = ready_type(db, key, now) else {
            return;
        };
        let Some(at) = q
            .iter()
            .position(|w| w.state() == WAITING && w.wants == ready)
        else {
            return;
        };
        let Some(w) = q.remove(at) else {
            return;
        };
        if w.cross_move {
            if w.claim(HANDOFF) {
                *blocking.reserved.entry(qk.clone()).or_default() += 1;
                w.notify.notify_one();
            }
            continue;
        }
        if !w.claim(SERVED) {
            continue;
        }
        let argv = w.serve_argv(key);
        let mut out = BytesMut::new();
        let mut ctx = Ctx::new(dbs, w.db, now, &mut out, w.resp3, settings, stats);
        ctx.no_touch = w.no_touch;
        ctx.journal = *journaling;
        let res = crate::guard::call(w.handler, &mut ctx, &argv);
        *dirty += ctx.dirty;
        let journaled = if *journaling && res.is_ok() && ctx.block.is_none() {
            ctx.effects.take()
        } else {
            None
        };
        let block = ctx.block;
        let modified = ctx.dirty > 0;
        let events = std::mem::take(&mut ctx.events);
        if let Err(e) = res {
            Writer::new(&mut out, w.resp3).error(e.to_string().as_bytes());
        } else if block.is_some() {
            // It found nothing after all (cannot happen with a non-empty
            // value): the waiter, still ours, goes back to its place.
            w.state.store(WAITING, Ordering::Release);
            if let Some(q) = blocking.queues.get_mut(&qk) {
                q.insert(at.min(q.len()), w);
            }
            return;
        }
        w.deliver(out.freeze());
        // A served waiter's pop is not its connection's command here:
        // NOLOOP does not apply to it.
        shard.current_client = 0;
        // The pop served journals as its non-blocking form (the handler
        // says which), or as the command it re-ran.
        let effect = match journaled {
            Some(list) => crate::journal::Effect::Replaced(list),
            None if modified => crate::journal::Effect::Verbatim {
                db: w.db,
                argv: &argv,
            },
            None => crate::journal::Effect::Nothing,
        };
        crate::notify::after_command(shard, modified, events, effect);
    }
}

/// A blocked command, between its attempt and the end of its wait.
pub struct Pending {
    waiter: Arc<Waiter>,
    block: Block,
    spec: &'static CommandSpec,
    /// The command's row number: the call is counted when the wait ends.
    id: usize,
    keypos: Vec<usize>,
    /// Shards holding the keys waited on.
    shards: Vec<usize>,
    /// CLIENT REPLY dropped this reply.
    skip: bool,
}

/// What the attempt of a blocking command gave.
pub enum Attempt {
    /// A reply (served at once, or an error).
    Reply(Bytes),
    /// Nothing yet: wait.
    Wait(Pending),
}

/// Runs a blocking command's first attempt; if it must wait, its waiter is
/// already queued on every shard concerned when this returns.
pub async fn attempt(
    session: &mut Session,
    conn: &Conn,
    spec: &'static CommandSpec,
    id: usize,
    h: Handler,
    argv: &[Bytes],
    skip: bool,
) -> Attempt {
    let worker = session.worker.clone();
    let shared = &worker.shared;
    let n = shared.nshards;
    let mut keypos = Vec::new();
    spec.key_positions(argv, &mut keypos);
    let keys = wait_keys(argv);
    let cross_move = !keys_then_timeout(&argv[0])
        && !timeout_then_numkeys(&argv[0])
        && keypos.len() == 2
        && shard_of(&argv[keypos[0]], n) != shard_of(&argv[keypos[1]], n);
    let waiter = Arc::new(Waiter {
        state: AtomicU8::new(WAITING),
        reply: Mutex::new(None),
        notify: Notify::new(),
        handler: h,
        argv: argv.to_vec(),
        db: conn.db,
        resp3: conn.resp3,
        no_touch: conn.no_touch,
        keys: keys.clone(),
        cross_move,
        wants: if is_zset_pop(&argv[0]) {
            ValueType::ZSet
        } else {
            ValueType::List
        },
    });
    let mut shards: Vec<usize> = keys.iter().map(|k| shard_of(k, n)).collect();
    shards.sort_unstable();
    shards.dedup();
    let mut all: Vec<usize> = keypos.iter().map(|&p| shard_of(&argv[p], n)).collect();
    all.sort_unstable();
    all.dedup();
    let pending = |block| Pending {
        waiter: waiter.clone(),
        block,
        spec,
        id,
        keypos: keypos.clone(),
        shards: shards.clone(),
        skip,
    };
    if all.len() <= 1 {
        // One shard: attempt and registration in one step on it.
        let s = all.first().copied().unwrap_or(worker.id);
        let w = waiter.clone();
        let args = argv.to_vec();
        let now = session.now_ms;
        let run = move |shard: &mut Shard| -> (Bytes, Option<Block>) {
            let mut out = BytesMut::new();
            let block = crate::conn::run_handler_may_block(
                shard, id, h, &args, w.db, w.resp3, &mut out, now,
            );
            if block.is_some() {
                register(shard, &w, false);
            }
            (out.freeze(), block)
        };
        let res = if s == worker.id && !worker.shard.borrow().is_locked() {
            Ok(run(&mut worker.shard.borrow_mut()))
        } else {
            crate::coord::run_on(shared, s, None, run).await
        };
        return match res {
            Ok((_, Some(block))) => Attempt::Wait(pending(block)),
            Ok((bytes, None)) => Attempt::Reply(bytes),
            Err(e) => Attempt::Reply(error_bytes(&e, conn.resp3)),
        };
    }
    // Keys on several shards: an atomic attempt over all of them, then the
    // waiter joins each shard's queues (each checks its keys again).
    match crate::coord::run_multi(
        &worker,
        spec,
        h,
        argv,
        &keypos,
        conn.db,
        conn.resp3,
        None,
        crate::coord::Caller {
            client: conn.id,
            track: false,
            no_touch: conn.no_touch,
            ord: 0,
        },
    )
    .await
    {
        Ok((_, Some(block))) => {
            for &s in &shards {
                let w = waiter.clone();
                send(shared, s, move |shard| register(shard, &w, false));
            }
            Attempt::Wait(pending(block))
        }
        Ok((bytes, None)) => Attempt::Reply(bytes),
        Err(e) => Attempt::Reply(error_bytes(&e, conn.resp3)),
    }
}

fn error_bytes(e: &CmdError, resp3: bool) -> Bytes {
    let mut out = BytesMut::new();
    Writer::new(&mut out, resp3).error(e.to_string().as_bytes());
    out.freeze()
}

fn send(shared: &Shared, s: usize, f: impl FnOnce(&mut Shard) + Send + 'static) {
    let _ = shared.inbox(s).send(ShardMsg::Run {
        tx: None,
        f: Box::new(f),
    });
}

/// How a wait ended.
enum Outcome {
    Reply(Bytes),
    Gone,
}

/// Waits until the blocked command is served, times out, is unblocked or
/// its client goes away, then writes its reply. While waiting, the socket
/// is still read (a disconnect ends the wait; pipelined requests are kept
/// in `rbuf` for later). Returns false if the connection must close.
pub async fn wait<S: crate::conn::ClientStream>(
    stream: &mut S,
    rbuf: &mut BytesMut,
    qbuf_limit: u64,
    session: &mut Session,
    conn: &mut Conn,
    p: Pending,
) -> bool {
    let worker = session.worker.clone();
    let shared = worker.shared.clone();
    // Replies of earlier requests go out before the wait.
    if !session.write_pending(stream).await {
        finish(&worker, conn, &p);
        return false;
    }
    *conn.info.waiter.lock().unwrap_or_else(|e| e.into_inner()) = Some(p.waiter.clone());
    conn.info.flags.fetch_or(flag::BLOCKED, Ordering::Relaxed);
    shared.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
    // A timeout too far away to represent is as good as none.
    let deadline = (p.block.timeout_ms > 0)
        .then(|| tokio::time::Instant::now().checked_add(Duration::from_millis(p.block.timeout_ms)))
        .flatten();
    if deadline.is_some() {
        shared
            .stats
            .blocked_with_timeout
            .fetch_add(1, Ordering::Relaxed);
    }
    let w = p.waiter.clone();
    let outcome = loop {
        match w.state() {
            WAITING => {}
            SERVED => {
                let reply = w.reply.lock().ok().and_then(|mut r| r.take());
                break Outcome::Reply(reply.unwrap_or_default());
            }
            HANDOFF => match handoff(&worker, conn, &p).await {
                Some(reply) => break Outcome::Reply(reply),
                None => continue,
            },
            TIMED_OUT | UNBLOCKED_TIMEOUT => {
                // Redis 7.0 answers a null array here for every blocking
                // list command, BLMOVE included (`Block::null_reply` is the
                // answer where it may not wait, which differs for BLMOVE).
                let mut out = BytesMut::new();
                Writer::new(&mut out, conn.resp3).null_array();
                break Outcome::Reply(out.freeze());
            }
            UNBLOCKED_ERROR => {
                let mut out = BytesMut::new();
                Writer::new(&mut out, conn.resp3).error(UNBLOCKED_ERROR_TEXT);
                break Outcome::Reply(out.freeze());
            }
            _ => break Outcome::Gone,
        }
        if rbuf.capacity() - rbuf.len() < 4096 {
            rbuf.reserve(16 * 1024);
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = w.notify.notified() => {}
            _ = sleep => {
                w.claim(TIMED_OUT);
            }
            r = stream.read_buf(rbuf) => match r {
                Ok(0) | Err(_) => {
                    w.claim(GONE);
                }
                Ok(n) => {
                    shared.stats.total_net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if rbuf.len() as u64 > qbuf_limit || conn.info.is_killed() {
                        w.claim(GONE);
                    }
                }
            },
            _ = shared.shutdown.notified() => {
                w.claim(GONE);
            }
        }
    };
    finish(&worker, conn, &p);
    if deadline.is_some() {
        shared
            .stats
            .blocked_with_timeout
            .fetch_sub(1, Ordering::Relaxed);
    }
    // Counted once its wait is over, as Redis does; the wait is not
    // execution time.
    if let Outcome::Reply(bytes) = &outcome {
        let failed = bytes.first() == Some(&b'-');
        let mut shard = worker.shard.borrow_mut();
        crate::observe::record(&mut shard, p.id, conn.id, &w.argv, 0, failed);
    }
    // The reply is an interaction: the idle timeout counts from here, as
    // Redis counts from a client's last read or write.
    conn.info.touch();
    match outcome {
        Outcome::Reply(bytes) => {
            if !p.skip {
                session.wbuf.extend_from_slice(&bytes);
            }
            true
        }
        Outcome::Gone => false,
    }
}

/// Leaves every queue and the client registry's blocked state.
fn finish(worker: &Rc<Worker>, conn: &Conn, p: &Pending) {
    let shared = &worker.shared;
    let had = conn
        .info
        .waiter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .is_some();
    if had {
        conn.info.flags.fetch_and(!flag::BLOCKED, Ordering::Relaxed);
        shared.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
    }
    // A wait that ended without being served (timeout, unblock, disconnect)
    // claimed the waiter, so no shard serves it any more; removing it from
    // the queues now keeps them from growing.
    p.waiter.claim(GONE);
    for &s in &p.shards {
        let w = p.waiter.clone();
        send(shared, s, move |shard| unregister(shard, &w));
    }
}

/// Performs a cross-shard BLMOVE/BRPOPLPUSH the source shard handed over:
/// the move runs atomically over both shards, then the source's
/// reservation is released. `None` if a non-blocking pop took the element
/// first: the waiter is queued again at the head and waits on.
async fn handoff(worker: &Rc<Worker>, conn: &Conn, p: &Pending) -> Option<Bytes> {
    let w = &p.waiter;
    let res = crate::coord::run_multi(
        worker,
        p.spec,
        w.handler,
        &w.argv,
        &p.keypos,
        w.db,
        w.resp3,
        None,
        crate::coord::Caller::default(),
    )
    .await;
    let src = w.keys.first().cloned().unwrap_or_default();
    let s = shard_of(&src, worker.shared.nshards);
    let again = matches!(res, Ok((_, Some(_))));
    if again {
        // Still ours (HANDOFF): waiting again before the shard can see it.
        w.state.store(WAITING, Ordering::Release);
    }
    let w2 = w.clone();
    let db = w.db;
    send(&worker.shared, s, move |shard| {
        let qk = (db, src.clone());
        if let Some(n) = shard.blocking.reserved.get_mut(&qk) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                shard.blocking.reserved.remove(&qk);
            }
        }
        if again {
            register(shard, &w2, true);
        } else if let Some(db) = shard.dbs.get_mut(db) {
            db.mark_ready(&src);
        }
        serve_ready(shard);
    });
    match res {
        Ok((bytes, None)) => Some(bytes),
        Ok((_, Some(_))) => None,
        Err(e) => Some(error_bytes(&e, conn.resp3)),
    }
}
