//! The cross-shard coordinator.
//!
//! An operation touching several shards takes their logical locks one by one
//! in ascending shard order (so two operations never wait for each other in a
//! cycle), does its work with messages tagged with its id, and releases the
//! locks. While a shard is locked, everything else addressed to it waits in
//! the shard's queue; its thread keeps serving its sockets.
//!
//! A multi-key command is run by *checking out* the entries of its keys from
//! their shards into a private set of databases, running the ordinary handler
//! there once, and *checking in* the resulting entries. Entries are moved, not
//! copied. With one shard none of this is used.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrite_commands::{Block, CmdError, CommandSpec, Ctx, Handler, Stats};
use ferrite_storage::{Db, Entry};
use tokio::sync::oneshot;

use crate::server::Shared;
use crate::shard::{Shard, ShardMsg, TxId};
use crate::slot::shard_of;
use crate::worker::Worker;

fn unavailable() -> CmdError {
    CmdError::other("ERR server is shutting down")
}

/// Runs `f` on shard `s` (as part of `tx`, if given) and returns its result.
pub async fn run_on<R, F>(shared: &Shared, s: usize, tx: Option<TxId>, f: F) -> Result<R, CmdError>
where
    R: Send + 'static,
    F: FnOnce(&mut Shard) -> R + Send + 'static,
{
    let (done, rx) = oneshot::channel();
    let msg = ShardMsg::Run {
        tx,
        f: Box::new(move |shard| {
            let _ = done.send(f(shard));
        }),
    };
    shared.inbox(s).send(msg).map_err(|_| unavailable())?;
    rx.await.map_err(|_| unavailable())
}

/// Takes the locks of `shards` (sorted, deduplicated) for a new operation.
pub async fn lock(shared: &Shared, shards: &[usize]) -> Result<TxId, CmdError> {
    let tx = shared.next_tx.fetch_add(1, Ordering::Relaxed);
    lock_as(shared, tx, shards).await?;
    Ok(tx)
}

/// Takes the locks of `shards` (sorted, deduplicated) for operation `tx`.
pub async fn lock_as(shared: &Shared, tx: TxId, shards: &[usize]) -> Result<(), CmdError> {
    for (i, &s) in shards.iter().enumerate() {
        let (granted, rx) = oneshot::channel();
        let sent = shared.inbox(s).send(ShardMsg::Lock { tx, granted }).is_ok();
        if !sent || rx.await.is_err() {
            unlock(shared, tx, &shards[..i]);
            return Err(unavailable());
        }
    }
    Ok(())
}

/// Releases the locks `tx` holds on `shards`.
pub fn unlock(shared: &Shared, tx: TxId, shards: &[usize]) {
    for &s in shards {
        let _ = shared.inbox(s).send(ShardMsg::Unlock { tx });
    }
}

/// Runs `f` on every shard atomically (all shards locked for the duration)
/// and returns the results in shard order. `held`: the caller's EXEC holds
/// every shard's lock already as this operation.
pub async fn fan_out<R, F>(
    worker: &Rc<Worker>,
    held: Option<TxId>,
    f: F,
) -> Result<Vec<R>, CmdError>
where
    R: Send + 'static,
    F: Fn(&mut Shard) -> R + Send + Sync + 'static,
{
    fan_out_journaled(worker, held, f, None).await
}

/// [`fan_out`] for a keyspace-wide write: `effect` (database, command) is
/// journaled once every shard has run `f` and before the locks go, so no
/// other write to these shards can come between in the journal. Each
/// shard first journals its keys that expired earlier (they were recorded
/// under the database numbers before this command).
pub async fn fan_out_journaled<R, F>(
    worker: &Rc<Worker>,
    held: Option<TxId>,
    f: F,
    effect: Option<(usize, Vec<Bytes>)>,
) -> Result<Vec<R>, CmdError>
where
    R: Send + 'static,
    F: Fn(&mut Shard) -> R + Send + Sync + 'static,
{
    let shared = &worker.shared;
    let journaled = effect.filter(|_| shared.journal.is_on());
    let f = move |sh: &mut Shard| {
        if journaled_expiries_first(sh) {
            crate::notify::after_command(sh, false, Vec::new(), crate::journal::Effect::Nothing);
        }
        f(sh)
    };
    let journal = |effect: Option<(usize, Vec<Bytes>)>| {
        if let Some((db, argv)) = effect {
            let argv = argv.iter().map(|a| &a[..]);
            shared.journal.append_command(0, 0, db, argv);
        }
    };
    if shared.nshards == 1 {
        // One shard: this thread alone owns all data, nothing to coordinate.
        let mut shard = worker.shard.borrow_mut();
        let r = f(&mut shard);
        journal(journaled);
        return Ok(vec![r]);
    }
    let all: Vec<usize> = (0..shared.nshards).collect();
    let tx = match held {
        Some(tx) => tx,
        None => lock(shared, &all).await?,
    };
    let f = Arc::new(f);
    let mut waits = Vec::with_capacity(all.len());
    for &s in &all {
        let f = f.clone();
        let (done, rx) = oneshot::channel();
        let msg = ShardMsg::Run {
            tx: Some(tx),
            f: Box::new(move |shard| {
                let _ = done.send(f(shard));
            }),
        };
        let _ = shared.inbox(s).send(msg);
        waits.push(rx);
    }
    let mut out = Vec::with_capacity(waits.len());
    let mut failed = false;
    for rx in waits {
        match rx.await {
            Ok(r) => out.push(r),
            Err(_) => failed = true,
        }
    }
    if !failed {
        journal(journaled);
    }
    if held.is_none() {
        unlock(shared, tx, &all);
    }
    if failed {
        return Err(unavailable());
    }
    Ok(out)
}

/// True when `sh` journals and keys expired there wait to be journaled.
fn journaled_expiries_first(sh: &Shard) -> bool {
    sh.journaling && sh.dbs.iter().any(Db::has_expired)
}

type Checked = Vec<(usize, Bytes, Option<Entry>)>;

/// (db, key) pairs, one list per shard.
type PerShard = Vec<Vec<(usize, Bytes)>>;

/// Runs a keyed command whose keys live on several shards (or whose
/// pattern lookups may), atomically.
///
/// The declared keys are checked out of their shards into a private set of
/// databases. A command reading keys through patterns in its data
/// ([`CommandSpec::lookups_for`], SORT's BY and GET) instead locks every
/// shard, since those keys may be anywhere; once its declared keys are
/// checked out, its planner names the pattern keys, and they are checked
/// out too before the handler runs once over the lot. `held`: the caller's
/// EXEC already holds the locks needed, as this operation.
#[allow(clippy::too_many_arguments)]
pub async fn run_multi(
    worker: &Rc<Worker>,
    spec: &'static CommandSpec,
    h: Handler,
    argv: &[Bytes],
    keypos: &[usize],
    db: usize,
    resp3: bool,
    held: Option<TxId>,
    caller: Caller,
) -> Result<(Bytes, Option<Block>), CmdError> {
    let shared = &worker.shared;
    let n = shared.nshards;
    let mut per_shard: PerShard = vec![Vec::new(); n];
    let mut add = |dbi: usize, key: &Bytes| {
        let s = shard_of(key, n);
        if !per_shard[s].iter().any(|(d, k)| *d == dbi && k == key) {
            per_shard[s].push((dbi, key.clone()));
        }
    };
    for &p in keypos {
        if let Some(k) = argv.get(p) {
            add(db, k);
        }
    }
    if let Some(target) = extra_db(spec, argv, shared.databases) {
        for &p in keypos.iter().skip(1) {
            if let Some(k) = argv.get(p) {
                add(target, k);
            }
        }
    }
    let planner = spec.lookups_for(argv);
    let shards: Vec<usize> = if planner.is_some() {
        (0..n).collect()
    } else {
        (0..n).filter(|&s| !per_shard[s].is_empty()).collect()
    };
    let tx = match held {
        Some(tx) => tx,
        None => lock(shared, &shards).await?,
    };
    // Locks this call took, released at check-in (none under EXEC's).
    let shards: Vec<usize> = if held.is_some() { Vec::new() } else { shards };
    let settings = worker.shard.borrow().settings.clone();
    let mut temp: Vec<Db> = (0..shared.databases).map(|_| Db::recording()).collect();
    let mut stats = Stats::default();

    let mut layout: PerShard = vec![Vec::new(); n];
    let mut ok = check_out(shared, tx, per_shard, &mut temp, &mut layout).await;
    if let (true, Some(plan)) = (ok, planner) {
        // The planner reads the checked-out source; its reply and counters
        // are discarded (the handler counts its own lookups).
        let mut scratch = BytesMut::new();
        let mut scratch_stats = Stats::default();
        let mut ctx = Ctx::new(
            &mut temp,
            db,
            Shared::now_ms(),
            &mut scratch,
            resp3,
            &settings,
            &mut scratch_stats,
        );
        // A planner bug must not leave every shard locked and its entries
        // checked out: caught like a handler's (crate::guard).
        let planned = catch_unwind(AssertUnwindSafe(|| plan(&mut ctx, argv)));
        let Ok(planned) = planned else {
            tracing::error!(command = spec.name, "lookup planner panicked");
            check_in(shared, tx, layout, &mut temp, &shards);
            return Err(CmdError::other(format!(
                "ERR internal error while running '{}', please report it",
                spec.name
            )));
        };
        let mut extra: PerShard = vec![Vec::new(); n];
        for key in planned {
            let s = shard_of(&key, n);
            // A declared key is checked out already (moved, so a second
            // check-out would find it absent).
            if !layout[s].iter().any(|(d, k)| *d == db && *k == key) {
                extra[s].push((db, key));
            }
        }
        ok = check_out(shared, tx, extra, &mut temp, &mut layout).await;
    }
    if !ok {
        // Give back whatever did arrive.
        check_in(shared, tx, layout, &mut temp, &shards);
        return Err(unavailable());
    }

    // Moving the entries in was no write of the command's.
    for d in temp.iter_mut() {
        d.take_touched();
    }
    // Run the command once over the checked-out entries.
    let mut out = BytesMut::new();
    let mut ctx = Ctx::new(
        &mut temp,
        db,
        Shared::now_ms(),
        &mut out,
        resp3,
        &settings,
        &mut stats,
    );
    ctx.no_touch = caller.no_touch;
    ctx.journal = shared.journal.is_on();
    let res = crate::guard::call(h, &mut ctx, argv);
    let dirty = ctx.dirty;
    let block = ctx.block;
    let events = std::mem::take(&mut ctx.events);
    if ctx.journal && block.is_none() {
        // Journaled while every shard involved is still held.
        let effect = crate::journal::Effect::from_ctx(&mut ctx, res.is_err(), argv);
        let mut unit = crate::journal::Unit::default();
        effect.push_into(&mut unit);
        let hint = (0..n).find(|&s| !layout[s].is_empty()).unwrap_or(0);
        shared.journal.append_unit(hint, caller.ord, &unit);
    }
    if res.is_ok() {
        for ev in &events {
            crate::notify::publish(&shared.pubsub, settings.notify, ev);
        }
    }
    // The keys the command changed, for the clients watching them.
    let changed: Vec<Vec<Bytes>> = temp
        .iter_mut()
        .map(|d| {
            let t = d.take_touched();
            if dirty > 0 {
                t
            } else {
                Vec::new()
            }
        })
        .collect();

    let touched: Vec<usize> = (0..n).filter(|&s| !layout[s].is_empty()).collect();
    check_in_changed(shared, tx, layout, &mut temp, &shards, &changed, caller);
    if held.is_some() {
        // Under EXEC the locks stay, so nothing orders the transaction's
        // next command (which may run inline on this thread) after the
        // check-in messages: wait for them.
        for s in touched {
            run_on(shared, s, Some(tx), |_| ()).await?;
        }
    }
    {
        let mut shard = worker.shard.borrow_mut();
        shard.stats.keyspace_hits += stats.keyspace_hits;
        shard.stats.keyspace_misses += stats.keyspace_misses;
        shard.dirty += dirty;
        shard.commands_processed += 1;
    }
    res?;
    Ok((out.freeze(), block))
}

/// Moves the entries of `keys` (per shard) out of their shards, which `tx`
/// has locked, into `temp`, one message per shard, and adds the keys (absent
/// ones included) to `layout` for [`check_in`]. False if a shard did not
/// answer (shutting down).
async fn check_out(
    shared: &Shared,
    tx: TxId,
    keys: PerShard,
    temp: &mut [Db],
    layout: &mut PerShard,
) -> bool {
    let mut waits = Vec::new();
    for (s, keys) in keys.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let (done, rx) = oneshot::channel::<Checked>();
        let f = Box::new(move |shard: &mut Shard| {
            let now = Shared::now_ms();
            let mut out = Vec::with_capacity(keys.len());
            for (d, k) in keys {
                let entry = shard.dbs.get_mut(d).and_then(|db| {
                    // Lazy expiry first, so that an expired key travels as absent.
                    db.get(&k, now)?;
                    db.take(&k)
                });
                out.push((d, k, entry));
            }
            // Keys that expired here are journaled (and notified) now,
            // before the command that checked them out.
            if shard.dbs.iter().any(Db::has_expired) {
                crate::notify::after_command(
                    shard,
                    false,
                    Vec::new(),
                    crate::journal::Effect::Nothing,
                );
            }
            let _ = done.send(out);
        });
        let _ = shared.inbox(s).send(ShardMsg::Run { tx: Some(tx), f });
        waits.push((s, rx));
    }
    let mut ok = true;
    for (s, rx) in waits {
        match rx.await {
            Ok(items) => {
                for (d, k, e) in items {
                    if let (Some(e), Some(db)) = (e, temp.get_mut(d)) {
                        db.put(&k, e);
                    }
                    if let Some(keys) = layout.get_mut(s) {
                        keys.push((d, k));
                    }
                }
            }
            Err(_) => ok = false,
        }
    }
    ok
}

/// Moves the entries named by `layout` back from `temp` to their shards
/// (a key gone from `temp` is deleted there) and releases `tx`'s locks on
/// `locked`, each right after that shard's check-in.
fn check_in(shared: &Shared, tx: TxId, layout: PerShard, temp: &mut [Db], locked: &[usize]) {
    check_in_changed(shared, tx, layout, temp, locked, &[], Caller::default());
}

/// [`check_in`], signalling the keys in `changed` (per database) to the
/// clients watching or tracking them on their shards, and remembering the
/// keys for the caller's tracking if it asks.
fn check_in_changed(
    shared: &Shared,
    tx: TxId,
    layout: PerShard,
    temp: &mut [Db],
    locked: &[usize],
    changed: &[Vec<Bytes>],
    caller: Caller,
) {
    for (s, keys) in layout.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let items: Checked = keys
            .into_iter()
            .map(|(d, k)| {
                let e = temp.get_mut(d).and_then(|db| db.take(&k));
                (d, k, e)
            })
            .collect();
        let read: Vec<(usize, Bytes)> = if caller.track {
            items.iter().map(|(d, k, _)| (*d, k.clone())).collect()
        } else {
            Vec::new()
        };
        let signal: Vec<(usize, Bytes)> = items
            .iter()
            .filter(|(d, k, _)| changed.get(*d).is_some_and(|c| c.contains(k)))
            .map(|(d, k, _)| (*d, k.clone()))
            .collect();
        let f = Box::new(move |shard: &mut Shard| {
            for (d, k, e) in items {
                if let Some(db) = shard.dbs.get_mut(d) {
                    match e {
                        Some(e) => db.put(&k, e),
                        None => {
                            db.take(&k);
                        }
                    }
                    // Putting back is not a change of its own.
                    db.take_touched();
                }
            }
            if caller.track {
                let keys: Vec<Bytes> = read.iter().map(|(_, k)| k.clone()).collect();
                crate::tracking::remember(shard, caller.client, keys.iter().map(|k| &k[..]));
            }
            let mut keys = Vec::with_capacity(signal.len());
            for (d, k) in signal {
                if let Some(db) = shard.dbs.get(d) {
                    db.signal(&k);
                }
                keys.push(k);
            }
            if shard.tracking.is_recording() && !keys.is_empty() {
                shard.current_client = caller.client;
                crate::tracking::written(shard, &keys, caller.client);
            }
            // A checked-in list may be what a blocked client waits for.
            if !shard.serve_deferred {
                crate::blocking::serve_ready(shard);
            }
        });
        let _ = shared.inbox(s).send(ShardMsg::Run { tx: Some(tx), f });
    }
    unlock(shared, tx, locked);
}

/// Who runs a multi-shard command: the writer for NOLOOP, and whether its
/// keys are to be remembered for its client-side caching (a tracked read).
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller {
    /// The client id (0: none).
    pub client: u64,
    /// Remember the keys read for this client's tracking.
    pub track: bool,
    /// The client is in CLIENT NO-TOUCH mode.
    pub no_touch: bool,
    /// The command's place in its transaction, for the journal (0: none).
    pub ord: u32,
}

/// For COPY ... DB n: the destination database, whose key must be checked out too.
fn extra_db(spec: &CommandSpec, argv: &[Bytes], databases: usize) -> Option<usize> {
    if spec.name != "copy" {
        return None;
    }
    let mut i = 3;
    while i + 1 < argv.len() {
        // Read exactly as COPY's handler reads it, so that both agree on the db.
        if ferrite_commands::util::is(&argv[i], "db") {
            return ferrite_commands::generic::parse_db_index(&argv[i + 1], databases).ok();
        }
        i += 1;
    }
    None
}
