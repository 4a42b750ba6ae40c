//! The journal: every change to the data, as the commands that replay it,
//! in one order, appended to the AOF (`appendonly yes`).
//!
//! Each write reaches [`record`] (through `notify::after_command`, on the
//! thread that ran it) or [`Journal::append_unit`] (the coordinator's
//! multi-shard commands and the keyspace-wide runtime commands, while they
//! hold their shards' locks), and is appended synchronously to one shared
//! buffer. Commands on different shards touch different keys, so their
//! relative order does not change what a replay builds; commands on the
//! same shard are appended in the order that shard ran them; an operation
//! over several shards is appended while it holds all their locks.
//!
//! A command that journals several commands (a lazily expired key's DEL
//! before its own effect, SPOP's SREMs) is one *unit*, wrapped in
//! MULTI/EXEC as Redis 7.0 wraps them. MULTI/EXEC and scripts open a
//! *group* over the shards they hold: everything those shards journal
//! meanwhile is kept aside and appended as one unit when the group closes,
//! so a transaction or a script is replayed whole or (torn tail) not at all.
//!
//! The buffer reaches the file before any reply that depends on it leaves
//! (a connection calls [`Journal::settle`] after each batch, as Redis
//! writes the AOF in `beforeSleep`): a killed process loses no acknowledged
//! write. `appendfsync always` also waits for the fsync, which the journal's
//! fsync thread does for everyone waiting at once (group commit);
//! `everysec` fsyncs once a second on that thread; `no` leaves it to the OS.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrite_protocol::Writer;

use crate::shard::Shard;

/// `appendfsync no`.
pub const FSYNC_NO: u8 = 0;
/// `appendfsync everysec`.
pub const FSYNC_EVERYSEC: u8 = 1;
/// `appendfsync always`.
pub const FSYNC_ALWAYS: u8 = 2;

/// The `appendfsync` value's code.
pub fn fsync_policy(name: &str) -> u8 {
    match name {
        "always" => FSYNC_ALWAYS,
        "no" => FSYNC_NO,
        _ => FSYNC_EVERYSEC,
    }
}

/// Commands to journal as one unit, encoded as RESP, each with its database.
#[derive(Default)]
pub struct Unit {
    bytes: BytesMut,
    cmds: Vec<(usize, Range<usize>)>,
}

impl Unit {
    /// Adds one command in database `db`.
    pub fn push<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        let start = self.bytes.len();
        let mut w = Writer::new(&mut self.bytes, false);
        w.array(argv.len());
        for a in argv {
            w.bulk(a);
        }
        self.cmds.push((db, start..self.bytes.len()));
    }

    /// True when it holds no command.
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Adds `other`'s commands after its own.
    pub fn extend(&mut self, other: &Unit) {
        for (db, r) in &other.cmds {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(&other.bytes[r.clone()]);
            self.cmds.push((*db, start..self.bytes.len()));
        }
    }

    /// Forgets its commands, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.cmds.clear();
    }
}

/// An open group's commands, appended as one unit at its close.
#[derive(Default)]
struct Group {
    unit: Unit,
    /// Each command's place in the transaction (see [`Journal::append_unit`]).
    ords: Vec<u32>,
    /// The largest place seen so far.
    last_ord: u32,
    /// The shards whose entries it takes.
    shards: Vec<usize>,
}

struct State {
    /// Bytes appended but not yet written to the file.
    buf: Vec<u8>,
    /// Bytes appended since start: the journal's sequence.
    total: u64,
    /// The database the file's commands apply to now (None: not chosen).
    file_db: Option<usize>,
    /// Per shard: the open group its entries go to.
    shard_group: Vec<Option<usize>>,
    groups: Vec<Option<Group>>,
}

/// The open AOF file commands are written to.
struct Output {
    file: File,
    path: PathBuf,
    /// Its size (`aof_current_size` adds the base's).
    size: u64,
}

/// A group opened by [`Journal::open_group`], closed when dropped (a
/// nested open returns one that closes nothing): a transaction or script
/// cut short still closes its group.
pub struct GroupGuard {
    journal: Arc<Journal>,
    id: Option<usize>,
}

impl GroupGuard {
    /// True when this guard closes a group (it was not nested).
    pub fn is_outer(&self) -> bool {
        self.id.is_some()
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(g) = self.id.take() {
            self.journal.close_group(g);
        }
    }
}

/// The shared journal.
pub struct Journal {
    on: AtomicBool,
    /// `total` as last published (read without the lock).
    appended: AtomicU64,
    /// Bytes that reached the file (write(2)).
    written: AtomicU64,
    /// Bytes made durable (fsync).
    synced: AtomicU64,
    policy: AtomicU8,
    /// `lazyfree-lazy-expire`: expired keys journal UNLINK instead of DEL.
    pub lazy_expire: AtomicBool,
    /// `lazyfree-lazy-eviction`: evicted keys journal UNLINK instead of DEL.
    pub lazy_eviction: AtomicBool,
    state: Mutex<State>,
    output: Mutex<Option<Output>>,
    /// Wakes the fsync thread (a flag: an fsync is wanted now).
    fsync_wanted: Mutex<bool>,
    fsync_cv: Condvar,
    /// Wakes connections waiting for `synced` (appendfsync always).
    synced_notify: tokio::sync::Notify,
    /// `aof_last_write_status` / `aof_last_fsync_status` are ok.
    pub write_ok: AtomicBool,
    /// The base file's size, for `aof_base_size`.
    pub base_size: AtomicU64,
    /// Size of the whole AOF (base and incr parts) when it was opened.
    pub start_size: AtomicU64,
    /// fsyncs done, for tests and INFO.
    pub fsyncs: AtomicU64,
}

impl Journal {
    /// A journal for `nshards` shards, off until [`Journal::start`].
    pub fn new(nshards: usize) -> Journal {
        Journal {
            on: AtomicBool::new(false),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            policy: AtomicU8::new(FSYNC_EVERYSEC),
            lazy_expire: AtomicBool::new(false),
            lazy_eviction: AtomicBool::new(false),
            state: Mutex::new(State {
                buf: Vec::new(),
                total: 0,
                file_db: None,
                shard_group: vec![None; nshards],
                groups: Vec::new(),
            }),
            output: Mutex::new(None),
            fsync_wanted: Mutex::new(false),
            fsync_cv: Condvar::new(),
            synced_notify: tokio::sync::Notify::new(),
            write_ok: AtomicBool::new(true),
            base_size: AtomicU64::new(0),
            start_size: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
        }
    }

    /// True while writes are journaled.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Sets `appendfsync`.
    pub fn set_policy(&self, policy: u8) {
        self.policy.store(policy, Ordering::Relaxed);
    }

    /// Starts journaling into `file` (opened for appending, `size` bytes
    /// long), the incr part at `path`; the file's commands so far left
    /// the database unselected (a new part starts with SELECT).
    pub fn start(self: &Arc<Self>, file: File, path: PathBuf, size: u64) -> std::io::Result<()> {
        *lock(&self.output) = Some(Output { file, path, size });
        lock(&self.state).file_db = None;
        self.on.store(true, Ordering::Release);
        let me = self.clone();
        std::thread::Builder::new()
            .name("ferrite-aof-fsync".into())
            .spawn(move || me.fsync_loop())?;
        Ok(())
    }

    /// Stops journaling: writes out and fsyncs what is pending, closes the
    /// file (CONFIG SET appendonly no, shutdown).
    pub fn stop(&self) {
        if !self.on.swap(false, Ordering::AcqRel) {
            return;
        }
        self.write_out();
        let mut out = lock(&self.output);
        if let Some(o) = out.as_mut() {
            if let Err(e) = o.file.sync_data() {
                tracing::warn!(error = %e, "fsync of the AOF at close failed");
            }
        }
        *out = None;
        self.synced
            .store(self.written.load(Ordering::Acquire), Ordering::Release);
        self.synced_notify.notify_waiters();
        let mut wanted = lock(&self.fsync_wanted);
        *wanted = true;
        self.fsync_cv.notify_all();
    }

    /// Appends `unit`, journaled by shard `shard`'s work: into the shard's
    /// open group if it has one, else to the file's buffer.
    ///
    /// `ord`: the command's place in its transaction (1, 2, ...; 0 outside
    /// one). EXEC sends its commands to their shards without waiting, so
    /// they may run (and journal) out of order across shards; the group is
    /// put back in transaction order when it closes. Work of no command of
    /// the transaction (0: a blocked client served, an expiry) keeps its
    /// place after what was journaled before it.
    pub fn append_unit(&self, shard: usize, ord: u32, unit: &Unit) {
        if unit.is_empty() {
            return;
        }
        let mut st = lock(&self.state);
        if let Some(Some(g)) = st.shard_group.get(shard).copied() {
            if let Some(Some(group)) = st.groups.get_mut(g) {
                let ord = if ord == 0 { group.last_ord } else { ord };
                group.last_ord = group.last_ord.max(ord);
                group.unit.extend(unit);
                group.ords.resize(group.unit.cmds.len(), ord);
                return;
            }
        }
        write_unit(&mut st, unit);
        self.appended.store(st.total, Ordering::Release);
    }

    /// Appends one command (a unit of one) in database `db`, as
    /// [`Journal::append_unit`] does.
    pub fn append_command<'a>(
        &self,
        shard: usize,
        ord: u32,
        db: usize,
        argv: impl ExactSizeIterator<Item = &'a [u8]>,
    ) {
        let mut unit = Unit::default();
        unit.push(db, argv);
        self.append_unit(shard, ord, &unit);
    }

    /// Opens a group over `shards`: what they journal until
    /// [`Journal::close_group`] is appended as one unit then. Shards
    /// already in a group (a script inside EXEC) join that one, and the
    /// returned id closes nothing.
    pub fn open_group(self: &Arc<Self>, shards: impl IntoIterator<Item = usize>) -> GroupGuard {
        let none = GroupGuard {
            journal: self.clone(),
            id: None,
        };
        if !self.is_on() {
            return none;
        }
        let shards: Vec<usize> = shards.into_iter().collect();
        let mut st = lock(&self.state);
        let existing = shards
            .iter()
            .find_map(|&s| st.shard_group.get(s).copied().flatten());
        if let Some(g) = existing {
            for &s in &shards {
                if let Some(slot) = st.shard_group.get_mut(s) {
                    if slot.is_none() {
                        *slot = Some(g);
                        if let Some(Some(group)) = st.groups.get_mut(g) {
                            group.shards.push(s);
                        }
                    }
                }
            }
            return none;
        }
        let g = match st.groups.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                st.groups.push(None);
                st.groups.len() - 1
            }
        };
        for &s in &shards {
            if let Some(slot) = st.shard_group.get_mut(s) {
                *slot = Some(g);
            }
        }
        st.groups[g] = Some(Group {
            shards,
            ..Group::default()
        });
        GroupGuard {
            journal: self.clone(),
            id: Some(g),
        }
    }

    /// Closes group `g`: its commands go to the file as one unit (wrapped
    /// in MULTI/EXEC when more than one).
    fn close_group(&self, g: usize) {
        let mut st = lock(&self.state);
        let Some(mut group) = st.groups.get_mut(g).and_then(Option::take) else {
            return;
        };
        // Back in transaction order (stable: each shard's own order stays).
        if group.ords.windows(2).any(|w| w[0] > w[1]) {
            let mut order: Vec<usize> = (0..group.ords.len()).collect();
            order.sort_by_key(|&i| group.ords[i]);
            group.unit.cmds = order.iter().map(|&i| group.unit.cmds[i].clone()).collect();
        }
        for s in &group.shards {
            if let Some(slot) = st.shard_group.get_mut(*s) {
                if *slot == Some(g) {
                    *slot = None;
                }
            }
        }
        if self.is_on() {
            write_unit(&mut st, &group.unit);
            self.appended.store(st.total, Ordering::Release);
        }
    }

    /// Before replies leave: everything journaled so far reaches the file
    /// (and, under `appendfsync always`, the disk). Costs two loads when
    /// nothing is pending.
    pub async fn settle(&self) {
        let want = self.appended.load(Ordering::Acquire);
        if self.written.load(Ordering::Acquire) < want {
            self.write_out();
        }
        if self.policy.load(Ordering::Relaxed) != FSYNC_ALWAYS {
            return;
        }
        loop {
            if self.synced.load(Ordering::Acquire) >= want || !self.is_on() {
                return;
            }
            let notified = self.synced_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.synced.load(Ordering::Acquire) >= want || !self.is_on() {
                return;
            }
            self.want_fsync();
            notified.await;
        }
    }

    /// Asks the fsync thread for an fsync now.
    fn want_fsync(&self) {
        let mut wanted = lock(&self.fsync_wanted);
        if !*wanted {
            *wanted = true;
            self.fsync_cv.notify_one();
        }
    }

    /// Writes the buffer to the file. Whoever holds the file writes
    /// everything appended up to then, so concurrent callers keep the
    /// order and share the system call.
    pub fn write_out(&self) {
        let mut out = lock(&self.output);
        let Some(o) = out.as_mut() else {
            return;
        };
        let (data, upto) = {
            let mut st = lock(&self.state);
            (std::mem::take(&mut st.buf), st.total)
        };
        if data.is_empty() {
            return;
        }
        match o.file.write_all(&data) {
            Ok(()) => {
                o.size += data.len() as u64;
                self.written.store(upto, Ordering::Release);
                if !self.write_ok.swap(true, Ordering::Relaxed) {
                    tracing::warn!("AOF write error looks solved, Redis can write again.");
                }
            }
            Err(e) => {
                // Nothing is dropped: the bytes go back in front of what
                // was appended meanwhile, and the next settle retries.
                if self.write_ok.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, path = %o.path.display(), "Error writing to the AOF file");
                }
                let mut st = lock(&self.state);
                let mut back = data;
                back.extend_from_slice(&st.buf);
                st.buf = back;
            }
        }
    }

    /// The fsync thread: under `always`, an fsync whenever a connection
    /// waits for one (all waiting then share it); under `everysec`, one a
    /// second; under `no`, none (the thread still writes the buffer out
    /// once a second for work no connection settles, e.g. active expiry).
    fn fsync_loop(&self) {
        let mut last = Instant::now();
        loop {
            {
                let wanted = lock(&self.fsync_wanted);
                let (mut wanted, _) = self
                    .fsync_cv
                    .wait_timeout_while(wanted, Duration::from_millis(1000), |w| !*w)
                    .unwrap_or_else(|e| e.into_inner());
                *wanted = false;
            }
            if !self.is_on() {
                return;
            }
            self.write_out();
            let policy = self.policy.load(Ordering::Relaxed);
            let due = policy == FSYNC_ALWAYS
                || (policy == FSYNC_EVERYSEC && last.elapsed() >= Duration::from_millis(1000));
            if !due {
                continue;
            }
            let target = self.written.load(Ordering::Acquire);
            if self.synced.load(Ordering::Acquire) >= target {
                continue;
            }
            // fsync on a second handle, so appends are not held up meanwhile.
            let file = lock(&self.output)
                .as_ref()
                .and_then(|o| o.file.try_clone().ok());
            let Some(file) = file else {
                continue;
            };
            match file.sync_data() {
                Ok(()) => {
                    self.synced.store(target, Ordering::Release);
                    self.fsyncs.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    self.write_ok.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, "fsync of the AOF failed");
                }
            }
            last = Instant::now();
            self.synced_notify.notify_waiters();
        }
    }

    /// Bytes appended but not yet written (`aof_buffer_length`).
    pub fn pending(&self) -> u64 {
        self.appended
            .load(Ordering::Acquire)
            .saturating_sub(self.written.load(Ordering::Acquire))
    }

    /// The incr part's size now.
    pub fn incr_size(&self) -> u64 {
        lock(&self.output).as_ref().map_or(0, |o| o.size)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Appends a unit to the file's buffer: SELECT where the database changes,
/// MULTI/EXEC around more than one command (the first SELECT before MULTI,
/// as Redis 7.0 writes it).
fn write_unit(st: &mut State, unit: &Unit) {
    let start = st.buf.len();
    let wrap = unit.cmds.len() > 1;
    for (i, (db, r)) in unit.cmds.iter().enumerate() {
        if st.file_db != Some(*db) {
            let n = db.to_string();
            st.buf.extend_from_slice(
                format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{n}\r\n", n.len()).as_bytes(),
            );
            st.file_db = Some(*db);
        }
        if wrap && i == 0 {
            st.buf.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        }
        st.buf.extend_from_slice(&unit.bytes[r.clone()]);
    }
    if wrap {
        st.buf.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
    }
    st.total += (st.buf.len() - start) as u64;
}

/// What a command journals, worked out from its context after it ran.
pub enum Effect<'a> {
    /// Nothing of its own (a read; only lazily expired keys, if any).
    Nothing,
    /// An active-expiry pass: each expired key is its own unit, as Redis
    /// journals them.
    Expiry,
    /// The command as received, in database `db`.
    Verbatim {
        /// The selected database.
        db: usize,
        /// Its arguments.
        argv: &'a [Bytes],
    },
    /// What the handler asked for instead ([`ferrite_commands::Ctx::propagate`]).
    Replaced(Vec<ferrite_commands::Effect>),
}

impl<'a> Effect<'a> {
    /// The effect of a command that ran in `db` with `argv`, from what its
    /// context says: its own replacement, else the command when it changed
    /// something (or forces it), else nothing.
    pub fn of(
        effects: Option<Vec<ferrite_commands::Effect>>,
        force: bool,
        dirty: u64,
        failed: bool,
        db: usize,
        argv: &'a [Bytes],
    ) -> Effect<'a> {
        match effects {
            Some(list) => Effect::Replaced(list),
            None if !failed && (dirty > 0 || force) => Effect::Verbatim { db, argv },
            None => Effect::Nothing,
        }
    }

    /// The effect of the command that just ran in `ctx` with `argv`
    /// ([`Effect::of`] over what the context says); nothing while the
    /// journal is off.
    pub fn from_ctx(
        ctx: &mut ferrite_commands::Ctx<'_>,
        failed: bool,
        argv: &'a [Bytes],
    ) -> Effect<'a> {
        if !ctx.journal {
            return Effect::Nothing;
        }
        let effects = ctx.effects.take();
        Effect::of(effects, ctx.force_journal, ctx.dirty, failed, ctx.db, argv)
    }

    /// Adds the effect's commands to `unit`.
    pub fn push_into(&self, unit: &mut Unit) {
        match self {
            Effect::Nothing | Effect::Expiry => {}
            Effect::Verbatim { db, argv } => unit.push(*db, argv.iter().map(|a| &a[..])),
            Effect::Replaced(list) => {
                for e in list {
                    unit.push(e.db, e.argv.iter().map(|a| &a[..]));
                }
            }
        }
    }
}

/// After a command (or an expiry pass) on `shard`: journals the keys that
/// expired meanwhile (DEL, or UNLINK under `lazyfree-lazy-expire`), then the
/// command's effect, as one unit ([`Effect::Expiry`]: each key alone).
/// Leaves the expired-key record for the other consumers (notifications,
/// tracking), which clear it.
pub fn record(shard: &mut Shard, effect: Effect<'_>) {
    let each_expiry_alone = matches!(effect, Effect::Expiry);
    let Shard {
        hub,
        dbs,
        id,
        journal_ord,
        journal_unit: unit,
        journal_script,
        ..
    } = shard;
    let Some(hub) = hub.as_ref() else {
        return;
    };
    let journal = &hub.journal;
    if !journal.is_on() {
        return;
    }
    let del: &[u8] = if journal.lazy_expire.load(Ordering::Relaxed) {
        b"UNLINK"
    } else {
        b"DEL"
    };
    unit.clear();
    for (d, db) in dbs.iter().enumerate() {
        if !db.has_expired() {
            continue;
        }
        for key in db.peek_expired() {
            unit.push(d, [del, &key[..]].into_iter());
            if each_expiry_alone {
                journal.append_unit(*id, 0, unit);
                unit.clear();
            }
        }
    }
    effect.push_into(unit);
    match journal_script {
        // A script running inline here: its unit is built on the thread
        // and appended once when it ends (see [`script_begin`]).
        Some(script) => script.extend(unit),
        None => journal.append_unit(*id, *journal_ord, unit),
    }
}

/// A script starts running inline on `shard`, which it alone touches (no
/// lock, nothing else runs there meanwhile): what the shard journals until
/// [`script_end`] is one unit, built on the thread without the journal's
/// lock (the group of a script on one shard, at the cost of none).
pub fn script_begin(shard: &mut Shard) {
    if shard.journaling {
        let mut unit = std::mem::take(&mut shard.journal_spare);
        unit.clear();
        shard.journal_script = Some(unit);
    }
}

/// The inline script started by [`script_begin`] ended: its unit goes to
/// the journal (MULTI/EXEC around more than one command).
pub fn script_end(shard: &mut Shard) {
    let Some(unit) = shard.journal_script.take() else {
        return;
    };
    if let Some(hub) = shard.hub.as_ref() {
        hub.journal.append_unit(shard.id, 0, &unit);
    }
    shard.journal_spare = unit;
}

/// Journals the eviction of `key` from database `db` of `shard`.
pub fn evicted(shard: &mut Shard, db: usize, key: &[u8]) {
    let Some(hub) = shard.hub.as_ref() else {
        return;
    };
    if !hub.journal.is_on() {
        return;
    }
    let journal = hub.journal.clone();
    let del: &[u8] = if journal.lazy_eviction.load(Ordering::Relaxed) {
        b"UNLINK"
    } else {
        b"DEL"
    };
    journal.append_command(shard.id, 0, db, [del, key].into_iter());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(cmds: &[(usize, &[&str])]) -> Unit {
        let mut u = Unit::default();
        for (db, argv) in cmds {
            u.push(*db, argv.iter().map(|a| a.as_bytes()));
        }
        u
    }

    fn text(j: &Journal) -> String {
        String::from_utf8(lock(&j.state).buf.clone())
            .unwrap()
            .replace("\r\n", " ")
    }

    fn on(n: usize) -> Arc<Journal> {
        let j = Journal::new(n);
        j.on.store(true, Ordering::Relaxed);
        Arc::new(j)
    }

    #[test]
    fn units_select_and_wrap_as_redis_writes_them() {
        let j = on(2);
        j.append_unit(0, 0, &unit(&[(0, &["set", "a", "1"])]));
        j.append_unit(1, 0, &unit(&[(3, &["DEL", "p"]), (3, &["set", "p", "2"])]));
        j.append_unit(
            0,
            0,
            &unit(&[(3, &["set", "x", "1"]), (7, &["set", "y", "1"])]),
        );
        assert_eq!(
            text(&j),
            "*2 $6 SELECT $1 0 *3 $3 set $1 a $1 1 \
             *2 $6 SELECT $1 3 *1 $5 MULTI *2 $3 DEL $1 p *3 $3 set $1 p $1 2 *1 $4 EXEC \
             *1 $5 MULTI *3 $3 set $1 x $1 1 *2 $6 SELECT $1 7 *3 $3 set $1 y $1 1 *1 $4 EXEC "
        );
        assert_eq!(
            j.appended.load(Ordering::Relaxed),
            lock(&j.state).buf.len() as u64
        );
    }

    #[test]
    fn a_group_is_one_unit_and_others_pass_it() {
        let j = on(3);
        let g = j.open_group([0, 1]);
        j.append_unit(0, 0, &unit(&[(0, &["set", "a", "1"])]));
        j.append_unit(2, 0, &unit(&[(0, &["set", "other", "1"])]));
        // A script inside the transaction joins it.
        let inner = j.open_group([0, 1, 2]);
        assert!(!inner.is_outer());
        j.append_unit(1, 0, &unit(&[(0, &["set", "b", "1"])]));
        drop(inner);
        assert_eq!(text(&j), "*2 $6 SELECT $1 0 *3 $3 set $5 other $1 1 ");
        drop(g);
        assert_eq!(
            text(&j),
            "*2 $6 SELECT $1 0 *3 $3 set $5 other $1 1 \
             *1 $5 MULTI *3 $3 set $1 a $1 1 *3 $3 set $1 b $1 1 *1 $4 EXEC "
        );
        // Closed: shard 2 was added to the group by the inner open and is free again.
        j.append_unit(2, 0, &unit(&[(0, &["set", "c", "1"])]));
        assert!(text(&j).ends_with("*3 $3 set $1 c $1 1 "));
    }

    #[test]
    fn a_transaction_is_journaled_in_its_own_order() {
        let j = on(2);
        let g = j.open_group([0, 1]);
        // Command 2 ran first (inline), then 1 on the other shard, then a
        // blocked client served there after it (0: no place of its own).
        j.append_unit(0, 2, &unit(&[(0, &["set", "b", "1"])]));
        j.append_unit(1, 1, &unit(&[(0, &["lpush", "l", "x"])]));
        j.append_unit(1, 0, &unit(&[(0, &["LPOP", "l"])]));
        j.append_unit(0, 3, &unit(&[(0, &["set", "c", "1"])]));
        drop(g);
        assert_eq!(
            text(&j),
            "*2 $6 SELECT $1 0 *1 $5 MULTI *3 $5 lpush $1 l $1 x *3 $3 set $1 b $1 1 \
             *2 $4 LPOP $1 l *3 $3 set $1 c $1 1 *1 $4 EXEC "
        );
    }

    #[test]
    fn a_group_of_one_command_is_not_wrapped_and_an_empty_one_writes_nothing() {
        let j = on(1);
        drop(j.open_group([0]));
        assert_eq!(text(&j), "");
        let g = j.open_group([0]);
        j.append_unit(0, 0, &unit(&[(2, &["incr", "n"])]));
        drop(g);
        assert_eq!(text(&j), "*2 $6 SELECT $1 2 *2 $4 incr $1 n ");
    }
}
