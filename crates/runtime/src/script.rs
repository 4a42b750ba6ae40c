//! Lua scripts: EVAL, EVALSHA, their read-only forms and SCRIPT.
//!
//! A script runs alone on every shard it touches, in one of two ways:
//!
//! * **On its keys' shard.** When the script is known to touch only the
//!   shard of its declared keys (or, with one shard, always), it runs
//!   synchronously on that shard's thread, in the thread's own Lua VM, and
//!   each `redis.call` runs the command's handler directly against the
//!   shard: no message, no lock, as Redis's single thread does it. A script
//!   for another thread's shard is sent there as one message.
//! * **With every shard locked.** A script run for the first time, a
//!   script known to reach other keys (undeclared keys on other shards,
//!   keyspace-wide commands), or one whose declared keys span shards runs
//!   on the *script thread* while its connection holds the locks of every
//!   shard (the EXEC machinery). Each `redis.call` goes back to the
//!   connection's task, which runs it through the ordinary dispatch under
//!   those locks, so every command works there exactly as in a transaction.
//!   What the script touched in that run is remembered (by SHA1) to choose
//!   the first way from then on.
//!
//! Should a script known to stay on its shard reach another one, its run
//! stops there if it wrote nothing yet, and runs again with every shard
//! locked; if it already wrote, that command fails (the script's error
//! reply says why) and its later runs take every lock. Either way the
//! script is remembered as reaching out.
//!
//! Scripts that run longer than `busy-reply-threshold` make other clients
//! get `-BUSY` (the hook answers the clients of the script's own thread,
//! see [`crate::busy`]); SCRIPT KILL stops them unless they wrote.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex, RwLock};

use bytes::{Bytes, BytesMut};
use ferrite_commands::{CmdError, CmdResult, CommandSpec, CommandTable, Exec, Flags, RuntimeCmd};
use ferrite_protocol::Writer;
use ferrite_scripting::{sha1_hex, Host, ScriptVm};
use tokio::sync::mpsc;

use crate::conn::{Conn, Session};
use crate::server::Shared;
use crate::shard::Shard;
use crate::slot::shard_of;

/// What is known of a script's reach (by SHA1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It touched only keys of its declared keys' shard.
    Home,
    /// It touched other shards or keyspace-wide commands.
    Roams,
}

/// A map keyed by SHA1 (hex).
type ShaMap<V> = HashMap<[u8; 40], V, ahash::RandomState>;

/// One place scripts run (a shard's thread, or the script thread): what
/// SCRIPT KILL and `-BUSY` need to know of the script running there.
#[derive(Default)]
pub struct RunState {
    /// Start (Unix ms), 0 when idle.
    started: AtomicU64,
    /// The script ran a write command.
    wrote: AtomicBool,
    /// SCRIPT KILL asked it to stop.
    kill: AtomicBool,
    /// It is counted in [`Scripts::busy`].
    announced: AtomicBool,
    /// The function running (its name and the command that called it),
    /// for FUNCTION STATS and FUNCTION KILL; None for an eval script.
    function: Mutex<Option<(String, Vec<Bytes>)>>,
}

/// The server's script state, shared by every thread.
pub struct Scripts {
    /// Script bodies by SHA1 (the cache EVALSHA reads), with what is known
    /// of each one's reach (set after its first run).
    bodies: RwLock<ShaMap<(Bytes, Option<Reach>)>>,
    /// Bumped by SCRIPT FLUSH: each VM forgets its scripts when it sees a
    /// new generation.
    generation: AtomicU64,
    /// What each function reached (by a SHA1 of its name), as `bodies`
    /// holds it for scripts.
    reach: RwLock<ShaMap<Reach>>,
    /// One per shard thread, and the script thread's last.
    runs: Vec<RunState>,
    /// Scripts running for longer than `busy-reply-threshold`.
    pub busy: AtomicUsize,
    /// Those of them that are functions (the `-BUSY` text names FUNCTION
    /// KILL then).
    busy_functions: AtomicUsize,
    /// The script thread's job queue (started on first use).
    global: Mutex<Option<std_mpsc::Sender<GlobalJob>>>,
    /// Scripts that ran (INFO's counters).
    pub calls: AtomicU64,
    /// Function libraries (FUNCTION LOAD).
    pub(crate) libraries: RwLock<crate::function::Libraries>,
    /// Bumped whenever the libraries change: each thread's function VM
    /// loads them again when it sees a new value.
    pub(crate) fn_generation: AtomicU64,
}

impl Scripts {
    /// The state for `nshards` shard threads.
    pub fn new(nshards: usize) -> Scripts {
        Scripts {
            bodies: RwLock::new(HashMap::default()),
            generation: AtomicU64::new(0),
            reach: RwLock::new(HashMap::default()),
            runs: (0..=nshards).map(|_| RunState::default()).collect(),
            busy: AtomicUsize::new(0),
            busy_functions: AtomicUsize::new(0),
            global: Mutex::new(None),
            calls: AtomicU64::new(0),
            libraries: RwLock::new(Default::default()),
            fn_generation: AtomicU64::new(0),
        }
    }

    /// INFO's `number_of_cached_scripts` and `used_memory_scripts_eval`
    /// (the bodies and their SHA1s).
    pub fn cache_figures(&self) -> (u64, u64) {
        self.bodies
            .read()
            .map(|b| {
                let bytes: usize = b.values().map(|(body, _)| body.len() + 40).sum();
                (b.len() as u64, bytes as u64)
            })
            .unwrap_or((0, 0))
    }

    /// INFO's `number_of_libraries`, `number_of_functions` and
    /// `used_memory_functions` (the libraries' code).
    pub fn library_figures(&self) -> (u64, u64, u64) {
        self.libraries
            .read()
            .map(|l| l.figures())
            .unwrap_or((0, 0, 0))
    }

    /// The cached body of `sha` and what is known of its reach.
    fn body(&self, sha: &[u8; 40]) -> Option<(Bytes, Option<Reach>)> {
        self.bodies.read().ok()?.get(sha).cloned()
    }

    /// Caches `body` under `sha` if it is not yet; returns what is known of
    /// its reach.
    fn remember(&self, sha: [u8; 40], body: &Bytes) -> Option<Reach> {
        if let Some((_, reach)) = self.bodies.read().ok()?.get(&sha) {
            return *reach;
        }
        let mut b = self.bodies.write().ok()?;
        // A copy: the body is a slice of a connection's read buffer, which
        // a cached slice would pin (and make every later read copy it).
        b.entry(sha)
            .or_insert_with(|| (Bytes::copy_from_slice(body), None))
            .1
    }

    /// What is known of the reach of `call`'s script or function.
    fn reach_of(&self, call: &Call) -> Option<Reach> {
        if call.function.is_some() {
            return self.reach.read().ok()?.get(&call.sha).copied();
        }
        call.reach
    }

    /// Remembers the reach of script `sha` (of a function's, `function`).
    fn learn(&self, sha: [u8; 40], function: bool, r: Reach) {
        if function {
            if let Ok(mut m) = self.reach.write() {
                m.insert(sha, r);
            }
        } else if let Ok(mut m) = self.bodies.write() {
            if let Some(e) = m.get_mut(&sha) {
                e.1 = Some(r);
            }
        }
    }

    /// Forgets what was learned of functions' reach (their libraries changed).
    pub(crate) fn forget_function_reach(&self) {
        if let Ok(mut r) = self.reach.write() {
            r.clear();
        }
    }
}

/// The error text `-BUSY` replies carry while an eval script is busy.
pub const BUSY_TEXT: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// The error text `-BUSY` replies carry while a function is busy.
pub const BUSY_FUNCTION_TEXT: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

impl Scripts {
    /// The `-BUSY` reply's text for the script running now.
    pub fn busy_text(&self) -> &'static str {
        if self.busy_functions.load(Ordering::Relaxed) > 0 {
            BUSY_FUNCTION_TEXT
        } else {
            BUSY_TEXT
        }
    }
}

fn is_function(state: &RunState) -> bool {
    state.function.lock().map(|f| f.is_some()).unwrap_or(false)
}

/// Flags from a `#!lua` first line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ScriptFlags {
    no_writes: bool,
    /// `allow-oom`: may write while the server is out of memory.
    allow_oom: bool,
}

/// Parses a `#!lua [flags=...]` first line. `Ok(None)` for a script
/// without one (Redis's "eval" compatibility mode).
fn shebang(body: &[u8]) -> Result<Option<ScriptFlags>, String> {
    if !body.starts_with(b"#!") {
        return Ok(None);
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = ScriptFlags::default();
    for p in parts {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {p}"));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            match f {
                "no-writes" => flags.no_writes = true,
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            }
        }
    }
    Ok(Some(flags))
}

/// The text Lua compiles: a shebang line becomes a comment, so that line
/// numbers stay the script's.
fn lua_source(body: &Bytes) -> Bytes {
    if body.starts_with(b"#!") {
        let mut v = body.to_vec();
        v[0] = b'-';
        v[1] = b'-';
        Bytes::from(v)
    } else {
        body.clone()
    }
}

thread_local! {
    /// This thread's Lua VM and the script generation it has compiled.
    static VM: RefCell<Option<(u64, ScriptVm)>> = const { RefCell::new(None) };
}

thread_local! {
    /// This thread's function VM and the libraries generation it loaded.
    static FVM: RefCell<Option<(u64, ScriptVm)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's function VM, (re)built with every library
/// when the libraries changed since.
fn with_fvm<R>(scripts: &Scripts, f: impl FnOnce(&mut ScriptVm) -> R) -> Result<R, String> {
    FVM.with(|cell| {
        let mut slot = cell
            .try_borrow_mut()
            .map_err(|_| "ERR script VM busy".to_string())?;
        let gen = scripts.fn_generation.load(Ordering::Acquire);
        if !matches!(slot.as_ref(), Some((g, _)) if *g == gen) {
            let mut vm =
                ScriptVm::for_functions().map_err(|e| format!("ERR cannot start Lua: {e}"))?;
            let libs = scripts
                .libraries
                .read()
                .map(|l| l.codes())
                .unwrap_or_default();
            for (name, code) in libs {
                // Each loaded once already; a failure now would be a bug.
                if let Err(e) = vm.load_library(&name, &code) {
                    tracing::error!(
                        library = name,
                        error = e,
                        "cannot reload a function library"
                    );
                }
            }
            *slot = Some((gen, vm));
        }
        match slot.as_mut() {
            Some((_, vm)) => Ok(f(vm)),
            None => Err("ERR cannot start Lua".into()),
        }
    })
}

/// Runs `f` with this thread's VM, created on first use and emptied when
/// SCRIPT FLUSH moved the generation on.
fn with_vm<R>(scripts: &Scripts, f: impl FnOnce(&mut ScriptVm) -> R) -> Result<R, String> {
    VM.with(|cell| {
        let mut slot = cell
            .try_borrow_mut()
            .map_err(|_| "ERR script VM busy".to_string())?;
        let gen = scripts.generation.load(Ordering::Acquire);
        match slot.as_mut() {
            Some((g, vm)) if *g != gen => {
                vm.forget_all();
                *g = gen;
            }
            Some(_) => {}
            None => {
                let vm = ScriptVm::new().map_err(|e| format!("ERR cannot start Lua: {e}"))?;
                *slot = Some((gen, vm));
            }
        }
        match slot.as_mut() {
            Some((_, vm)) => Ok(f(vm)),
            None => Err("ERR cannot start Lua".into()),
        }
    })
}

/// One script call, as parsed from EVAL's arguments.
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) sha: [u8; 40],
    pub(crate) body: Bytes,
    pub(crate) keys: Vec<Bytes>,
    pub(crate) args: Vec<Bytes>,
    pub(crate) db: usize,
    /// The client speaks RESP3.
    pub(crate) resp3: bool,
    /// EVAL_RO / EVALSHA_RO / `flags=no-writes`.
    pub(crate) read_only: bool,
    /// The server was out of memory when the script started and the script
    /// has no flags (Redis's compatibility mode): its `denyoom` commands are
    /// refused.
    pub(crate) deny_oom: bool,
    pub(crate) client: u64,
    /// The caller is in CLIENT NO-TOUCH mode.
    pub(crate) no_touch: bool,
    /// FCALL: the function's name (then `sha` only names the call for what
    /// is learned of its reach) and the command, for FUNCTION STATS.
    pub(crate) function: Option<(String, Vec<Bytes>)>,
    /// What was known of the script's reach when it was looked up.
    pub(crate) reach: Option<Reach>,
    /// The time (Unix ms) the script's commands see.
    pub(crate) now: u64,
    /// The caller tracks its reads (CLIENT TRACKING): keys the script reads
    /// are remembered for it, as Redis does.
    pub(crate) track: bool,
}

impl Call {
    /// Runs the script or function in this thread's VM.
    fn run_in_vm(
        &self,
        shared: &Shared,
        host: &mut dyn Host,
        reply: &mut BytesMut,
    ) -> Result<(), String> {
        match &self.function {
            Some((name, _)) => with_fvm(&shared.scripts, |vm| {
                vm.run_function(name, &self.keys, &self.args, host, self.resp3, reply);
            }),
            None => with_vm(&shared.scripts, |vm| {
                if let Err(e) = vm.load(&self.sha, &lua_source(&self.body)) {
                    write_error(reply, self.resp3, &e);
                    return;
                }
                vm.run(&self.sha, &self.keys, &self.args, host, self.resp3, reply);
            }),
        }
    }
}

/// Looks up a command a script calls and applies the rules of scripts.
/// `Err` is the error reply's text.
fn script_lookup(
    table: &CommandTable,
    argv: &[Bytes],
    read_only: bool,
    deny_oom: bool,
) -> Result<&'static CommandSpec, &'static str> {
    // The dispatcher's lookup, with the texts Redis gives scripts.
    let spec = crate::conn::lookup(table, argv).map_err(|e| match e.kind {
        ferrite_commands::ErrorKind::WrongArity(_) => {
            "ERR Wrong number of args calling Redis command from script"
        }
        _ => "ERR Unknown Redis command called from script",
    })?;
    if spec
        .flags
        .intersects(Flags::NOSCRIPT.union(Flags::BLOCKING))
    {
        return Err("ERR This Redis command is not allowed from script");
    }
    if read_only && spec.flags.contains(Flags::WRITE) {
        return Err("ERR Write commands are not allowed from read-only scripts.");
    }
    if deny_oom && spec.flags.contains(Flags::DENYOOM) {
        return Err(crate::evict::OOM_TEXT);
    }
    Ok(spec)
}

/// Runtime commands a script may run on its own shard without locks.
fn runs_on_shard(c: RuntimeCmd) -> bool {
    matches!(
        c,
        RuntimeCmd::Ping | RuntimeCmd::Echo | RuntimeCmd::Time | RuntimeCmd::Select
    )
}

fn write_error(out: &mut BytesMut, resp3: bool, text: &str) {
    Writer::new(out, resp3).error(text.as_bytes());
}

/// Marks a run as started on `state`.
fn begin_run(_shared: &Shared, state: &RunState, call: &Call) {
    if call.function.is_some() {
        if let Ok(mut f) = state.function.lock() {
            *f = call.function.clone();
        }
    }
    let ms = call.now.max(1);
    state.wrote.store(false, Ordering::Relaxed);
    state.kill.store(false, Ordering::Relaxed);
    state.announced.store(false, Ordering::Relaxed);
    state.started.store(ms, Ordering::Release);
}

/// Marks a run as finished on `state`.
fn end_run(shared: &Shared, state: &RunState, call: &Call) {
    let call_was_function = call.function.is_some();
    state.started.store(0, Ordering::Release);
    if state.announced.swap(false, Ordering::AcqRel) {
        if is_function(state) {
            shared.scripts.busy_functions.fetch_sub(1, Ordering::AcqRel);
        }
        shared.scripts.busy.fetch_sub(1, Ordering::AcqRel);
    }
    if call_was_function {
        if let Ok(mut f) = state.function.lock() {
            *f = None;
        }
    }
    shared.scripts.calls.fetch_add(1, Ordering::Relaxed);
}

/// The hook's check: stop when killed or at shutdown; past the busy
/// threshold, make other clients get `-BUSY`, and answer this thread's own
/// idle connections (whose tasks cannot run meanwhile) as Redis does.
fn check_run(shared: &Shared, state: &RunState) -> Option<String> {
    if state.announced.load(Ordering::Relaxed) {
        // First: a SCRIPT KILL or SHUTDOWN NOSAVE it reads stops the script
        // at once.
        crate::busy::serve_while_busy(shared);
    }
    if state.kill.load(Ordering::Acquire) {
        return Some("Script killed by user with SCRIPT KILL...".into());
    }
    if shared.shutting_down.load(Ordering::Relaxed) {
        return Some("Script killed by user with SHUTDOWN NOSAVE...".into());
    }
    if !state.announced.load(Ordering::Relaxed) {
        let started = state.started.load(Ordering::Acquire);
        let now = Shared::now_ms();
        let limit = shared
            .config
            .read()
            .map(|c| c.busy_reply_threshold)
            .unwrap_or(5000);
        if started > 0
            && now.saturating_sub(started) >= limit
            && !state.announced.swap(true, Ordering::AcqRel)
        {
            if is_function(state) {
                shared.scripts.busy_functions.fetch_add(1, Ordering::AcqRel);
            }
            shared.scripts.busy.fetch_add(1, Ordering::AcqRel);
            tracing::warn!(
                "slow script detected: still in execution after {} milliseconds",
                now.saturating_sub(started)
            );
        }
    }
    None
}

/// `redis.log` into the server's log.
fn log_line(level: u8, msg: &[u8]) {
    let msg = String::from_utf8_lossy(msg);
    match level {
        0 => tracing::trace!(target: "script", "{msg}"),
        1 => tracing::debug!(target: "script", "{msg}"),
        2 => tracing::info!(target: "script", "{msg}"),
        _ => tracing::warn!(target: "script", "{msg}"),
    }
}

// ---------------------------------------------------------------------------
// On the keys' shard.

/// What a run on one shard ended with.
struct ShardOutcome {
    reply: BytesMut,
    /// The script reached beyond the shard before writing: run it again
    /// with every shard locked.
    retry: bool,
}

/// The host of a script running on one shard.
struct ShardHost<'a> {
    /// The script's time (ms): its commands see one clock, as in Redis.
    now: u64,
    /// The caller, whose tracked reads are remembered (`Some` when it
    /// tracks them).
    tracker: Option<u64>,
    /// The caller, whose user's permissions apply.
    client: u64,
    shard: &'a mut Shard,
    shared: &'a Shared,
    db: usize,
    deny_oom: bool,
    read_only: bool,
    state: &'a RunState,
    /// It reached beyond the shard (or a command that needs every shard).
    reached_out: bool,
    /// A write command ran.
    wrote: bool,
    keypos: Vec<usize>,
}

impl Host for ShardHost<'_> {
    fn call(&mut self, argv: &[Bytes], resp3: bool, out: &mut BytesMut) {
        let spec = match script_lookup(&self.shared.table, argv, self.read_only, self.deny_oom) {
            Ok(s) => s,
            Err(e) => return write_error(out, resp3, e),
        };
        if let Err(e) = crate::acl::script_gate(self.shared, self.client, spec, argv) {
            return write_error(out, resp3, e);
        }
        match spec.exec {
            Exec::Keyed(h) => {
                self.keypos.clear();
                spec.key_positions(argv, &mut self.keypos);
                let n = self.shard.nshards;
                let here = n == 1
                    || (spec.lookups_for(argv).is_none()
                        && self.keypos.iter().all(|&p| {
                            argv.get(p).is_some_and(|k| shard_of(k, n) == self.shard.id)
                        }));
                if !here {
                    return self.reach_out(out, resp3);
                }
                if spec.flags.contains(Flags::WRITE) {
                    self.wrote = true;
                    self.state.wrote.store(true, Ordering::Relaxed);
                }
                let id = self.shared.table.id_of(spec);
                run_script_command(self.shard, id, h, argv, self.db, resp3, out, self.now);
                if self.shared.monitors.any() && crate::monitor::shows(spec) {
                    crate::monitor::feed(self.shared, self.db, "lua", argv, spec.name);
                }
                if let (Some(client), true) = (self.tracker, spec.flags.contains(Flags::READONLY)) {
                    let keys = self
                        .keypos
                        .iter()
                        .filter_map(|&p| argv.get(p))
                        .map(|k| &k[..]);
                    crate::tracking::remember(self.shard, client, keys);
                }
            }
            Exec::Runtime(c) if runs_on_shard(c) => self.runtime(c, argv, resp3, out),
            _ => self.reach_out(out, resp3),
        }
    }

    fn log(&mut self, level: u8, msg: &[u8]) {
        log_line(level, msg);
    }

    fn check(&mut self) -> Option<String> {
        check_run(self.shared, self.state)
    }

    fn acl_check(&mut self, argv: &[Bytes]) -> Option<bool> {
        crate::acl::script_acl_check(self.shared, self.client, argv)
    }
}

impl ShardHost<'_> {
    fn reach_out(&mut self, out: &mut BytesMut, resp3: bool) {
        self.reached_out = true;
        write_error(
            out,
            resp3,
            "ERR this script reached keys of another shard after writing on its own; \
             Ferrite runs it with every shard locked from its next call",
        );
    }

    fn runtime(&mut self, c: RuntimeCmd, argv: &[Bytes], resp3: bool, out: &mut BytesMut) {
        let mut w = Writer::new(out, resp3);
        match c {
            RuntimeCmd::Ping => match argv.get(1) {
                Some(m) => w.bulk(m),
                None => w.simple(b"PONG"),
            },
            RuntimeCmd::Echo => w.bulk(argv.get(1).map(|b| &b[..]).unwrap_or_default()),
            RuntimeCmd::Time => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                w.array(2);
                w.bulk(now.as_secs().to_string().as_bytes());
                w.bulk(now.subsec_micros().to_string().as_bytes());
            }
            RuntimeCmd::Select => {
                let arg = argv.get(1).map(|b| &b[..]).unwrap_or_default();
                match std::str::from_utf8(arg)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    None => w.error(b"ERR value is not an integer or out of range"),
                    Some(d) if d < 0 || d as usize >= self.shard.dbs.len() => {
                        w.error(b"ERR DB index is out of range")
                    }
                    Some(d) => {
                        self.db = d as usize;
                        w.simple(b"OK");
                    }
                }
            }
            _ => w.error(b"ERR This Redis command is not allowed from script"),
        }
    }
}

/// Runs one command of a script against `shard`: as
/// [`crate::conn::run_handler`], except that blocked clients are served
/// after the script, not between its commands (as in Redis).
#[allow(clippy::too_many_arguments)]
fn run_script_command(
    shard: &mut Shard,
    id: usize,
    h: ferrite_commands::Handler,
    argv: &[Bytes],
    db: usize,
    resp3: bool,
    out: &mut BytesMut,
    now: u64,
) {
    let Shard {
        dbs,
        stats,
        settings,
        no_touch,
        journaling,
        ..
    } = shard;
    let t0 = crate::clock::now();
    let mut ctx = ferrite_commands::Ctx::new(dbs, db, now, out, resp3, settings, stats);
    ctx.no_touch = *no_touch;
    ctx.journal = *journaling;
    let res = crate::guard::call(h, &mut ctx, argv);
    let dirty = ctx.dirty;
    let block = ctx.block;
    let mut events = std::mem::take(&mut ctx.events);
    let ns = crate::clock::since_ns(t0);
    let failed = res.is_err();
    let effect = crate::journal::Effect::from_ctx(&mut ctx, failed, argv);
    if let Err(e) = res {
        let text = e.to_string();
        shard.cmdstats.error(text.as_bytes());
        Writer::new(out, resp3).error(text.as_bytes());
        events.clear();
    } else if let Some(b) = block {
        b.null_reply(&mut Writer::new(out, resp3));
    }
    crate::notify::after_command(shard, dirty > 0, events, effect);
    shard.dirty += dirty;
    shard.commands_processed += 1;
    let client = shard.current_client;
    crate::observe::record(shard, id, client, argv, ns, failed);
}

/// Runs `call` on `shard` (this thread's) with this thread's VM.
fn run_on_shard(shard: &mut Shard, shared: &Shared, call: &Call) -> ShardOutcome {
    let mut reply = BytesMut::new();
    let retry = run_on_shard_into(shard, shared, call, &mut reply);
    ShardOutcome { reply, retry }
}

/// [`run_on_shard`] writing the reply to `reply`; true when the script
/// must run again with every shard locked (what it wrote to `reply` then
/// is to be dropped).
fn run_on_shard_into(
    shard: &mut Shard,
    shared: &Shared,
    call: &Call,
    reply: &mut BytesMut,
) -> bool {
    let start = reply.len();
    let state = &shared.scripts.runs[shard.id.min(shared.scripts.runs.len() - 1)];
    shard.current_client = call.client;
    shard.no_touch = call.no_touch;
    begin_run(shared, state, call);
    let mut host = ShardHost {
        now: call.now,
        tracker: call.track.then_some(call.client),
        client: call.client,
        shard,
        shared,
        db: call.db,
        deny_oom: call.deny_oom,
        read_only: call.read_only,
        state,
        reached_out: false,
        wrote: false,
        keypos: Vec::new(),
    };
    // The script's writes are journaled as one unit.
    crate::journal::script_begin(host.shard);
    let res = call.run_in_vm(shared, &mut host, reply);
    let (reached_out, wrote) = (host.reached_out, host.wrote);
    crate::journal::script_end(host.shard);
    end_run(shared, state, call);
    if let Err(e) = res {
        reply.truncate(start);
        write_error(reply, call.resp3, &e);
    }
    crate::blocking::serve_ready(shard);
    if reached_out {
        shared
            .scripts
            .learn(call.sha, call.function.is_some(), Reach::Roams);
    }
    reached_out && !wrote
}

// ---------------------------------------------------------------------------
// With every shard locked, on the script thread.

/// A request from the script thread to the connection running the script.
enum Pump {
    /// Run a command (looked up and checked already); reply on `back`.
    Command {
        spec: &'static CommandSpec,
        argv: Vec<Bytes>,
        resp3: bool,
        back: std_mpsc::Sender<BytesMut>,
    },
    /// The script ended with this reply.
    Done(BytesMut),
}

/// A script for the script thread.
struct GlobalJob {
    call: Call,
    shared: Arc<Shared>,
    to_conn: mpsc::UnboundedSender<Pump>,
    /// Set by the host: what the script reached.
    reach: Arc<Mutex<Learned>>,
}

/// What a run with every shard locked saw of the script's reach.
#[derive(Default)]
struct Learned {
    /// The one shard whose keys it touched so far.
    shard: Option<usize>,
    /// It touched several shards or a keyspace-wide command.
    roams: bool,
}

struct GlobalHost<'a> {
    shared: &'a Shared,
    /// The caller, whose user's permissions apply.
    client: u64,
    read_only: bool,
    deny_oom: bool,
    state: &'a RunState,
    to_conn: &'a mpsc::UnboundedSender<Pump>,
    learned: &'a Mutex<Learned>,
    keypos: Vec<usize>,
}

impl Host for GlobalHost<'_> {
    fn call(&mut self, argv: &[Bytes], resp3: bool, out: &mut BytesMut) {
        let spec = match script_lookup(&self.shared.table, argv, self.read_only, self.deny_oom) {
            Ok(s) => s,
            Err(e) => return write_error(out, resp3, e),
        };
        if let Err(e) = crate::acl::script_gate(self.shared, self.client, spec, argv) {
            return write_error(out, resp3, e);
        }
        if let Ok(mut l) = self.learned.lock() {
            match spec.exec {
                Exec::Keyed(_) if spec.lookups_for(argv).is_none() => {
                    self.keypos.clear();
                    spec.key_positions(argv, &mut self.keypos);
                    for &p in &self.keypos {
                        if let Some(k) = argv.get(p) {
                            let s = shard_of(k, self.shared.nshards);
                            match l.shard {
                                None => l.shard = Some(s),
                                Some(t) if t != s => l.roams = true,
                                _ => {}
                            }
                        }
                    }
                }
                Exec::Runtime(c) if runs_on_shard(c) => {}
                _ => l.roams = true,
            }
        }
        if spec.flags.contains(Flags::WRITE) {
            self.state.wrote.store(true, Ordering::Relaxed);
        }
        let (back, rx) = std_mpsc::channel();
        let sent = self.to_conn.send(Pump::Command {
            spec,
            argv: argv.to_vec(),
            resp3,
            back,
        });
        match (sent, rx.recv()) {
            (Ok(()), Ok(reply)) => out.extend_from_slice(&reply),
            _ => write_error(out, resp3, "ERR server is shutting down"),
        }
    }

    fn log(&mut self, level: u8, msg: &[u8]) {
        log_line(level, msg);
    }

    fn check(&mut self) -> Option<String> {
        check_run(self.shared, self.state)
    }

    fn acl_check(&mut self, argv: &[Bytes]) -> Option<bool> {
        crate::acl::script_acl_check(self.shared, self.client, argv)
    }
}

/// The script thread's body: runs jobs one after the other (each holds
/// every shard's lock, so they could not overlap anyway).
fn script_thread(jobs: std_mpsc::Receiver<GlobalJob>) {
    for job in jobs {
        let shared = job.shared.clone();
        let call = &job.call;
        let state = &shared.scripts.runs[shared.nshards];
        let mut reply = BytesMut::new();
        begin_run(&shared, state, call);
        let mut host = GlobalHost {
            shared: &shared,
            client: call.client,
            read_only: call.read_only,
            deny_oom: call.deny_oom,
            state,
            to_conn: &job.to_conn,
            learned: &job.reach,
            keypos: Vec::new(),
        };
        let res = call.run_in_vm(&shared, &mut host, &mut reply);
        end_run(&shared, state, call);
        if let Err(e) = res {
            reply.clear();
            write_error(&mut reply, call.resp3, &e);
        }
        let _ = job.to_conn.send(Pump::Done(reply));
    }
}

/// Sends `job` to the script thread, starting it on first use.
fn submit(shared: &Shared, job: GlobalJob) -> Result<(), CmdError> {
    let mut g = shared
        .scripts
        .global
        .lock()
        .map_err(|_| CmdError::other("ERR script thread unavailable"))?;
    if g.is_none() {
        let (tx, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("ferrite-scripts".into())
            .spawn(move || script_thread(rx))
            .map_err(|e| CmdError::other(format!("ERR cannot start the script thread: {e}")))?;
        *g = Some(tx);
    }
    match g.as_ref() {
        Some(tx) => tx
            .send(job)
            .map_err(|_| CmdError::other("ERR script thread unavailable")),
        None => Err(CmdError::other("ERR script thread unavailable")),
    }
}

/// Runs `call` on the script thread while this session holds every
/// shard's lock, running the script's commands as they come. Returns the
/// script's reply.
async fn run_global(s: &mut Session, conn: &Conn, call: Call) -> Result<BytesMut, CmdError> {
    let shared = s.worker.shared.clone();
    let took = if s.held.is_none() {
        let all: Vec<usize> = (0..shared.nshards).collect();
        s.held = crate::multi::lock_shards(s, all).await?;
        true
    } else {
        false
    };
    // Blocked clients are served after the script, not between its
    // commands: every shard holds them back until the script ends.
    defer_serving(s, true).await;
    // Its writes are journaled as one unit (inside EXEC: the EXEC's).
    let group = shared.journal.open_group(0..shared.nshards);
    let (to_conn, mut from_script) = mpsc::unbounded_channel();
    let learned = Arc::new(Mutex::new(Learned::default()));
    let (sha, is_function) = (call.sha, call.function.is_some());
    let declared: Option<usize> = {
        let mut it = call.keys.iter().map(|k| shard_of(k, shared.nshards));
        match it.next() {
            None => None,
            Some(first) => it.all(|s| s == first).then_some(first),
        }
    };
    let no_keys = call.keys.is_empty();
    let job = GlobalJob {
        call: call.clone(),
        shared: shared.clone(),
        to_conn,
        reach: learned.clone(),
    };
    let res = match submit(&shared, job) {
        Ok(()) => {
            // The script's own connection state: its SELECTs stay its own.
            let mut sconn = script_conn(conn, call.db);
            let mut reply = None;
            while let Some(msg) = from_script.recv().await {
                match msg {
                    Pump::Command {
                        spec,
                        argv,
                        resp3,
                        back,
                    } => {
                        sconn.resp3 = resp3;
                        let start = s.out_len();
                        // Boxed: run_spec may lead back here (the compiler
                        // cannot see that scripts refuse EVAL).
                        let id = s.worker.shared.table.id_of(spec);
                        Box::pin(s.run_spec(&mut sconn, spec, id, &argv, false)).await;
                        s.flush().await;
                        let bytes = BytesMut::from(s.wbuf.get(start..).unwrap_or_default());
                        s.wbuf.truncate(start);
                        let _ = back.send(bytes);
                    }
                    Pump::Done(r) => {
                        reply = Some(r);
                        break;
                    }
                }
            }
            reply.ok_or_else(|| CmdError::other("ERR script thread unavailable"))
        }
        Err(e) => Err(e),
    };
    drop(group);
    defer_serving(s, false).await;
    if took {
        crate::multi::release_shards(s);
    }
    if res.is_ok() {
        if let Ok(l) = learned.lock() {
            let home = if shared.nshards == 1 {
                !l.roams
            } else {
                !l.roams
                    && match (l.shard, declared) {
                        (None, _) => no_keys || declared.is_some(),
                        (Some(t), Some(d)) => t == d,
                        (Some(_), None) => false,
                    }
            };
            shared.scripts.learn(
                sha,
                is_function,
                if home { Reach::Home } else { Reach::Roams },
            );
        }
    }
    res
}

/// Holds back (`on`) or resumes and runs the serving of blocked clients on
/// every shard, which the session has locked.
async fn defer_serving(s: &Session, on: bool) {
    let shared = s.worker.shared.clone();
    let tx = s.held_tx();
    let set = move |shard: &mut Shard| {
        shard.serve_deferred = on;
        if !on {
            crate::blocking::serve_ready(shard);
        }
    };
    let mut waits = Vec::new();
    for sh in 0..shared.nshards {
        if sh == s.worker.id {
            set(&mut s.worker.shard.borrow_mut());
        } else {
            waits.push(crate::coord::run_on(&shared, sh, tx, set));
        }
    }
    for w in waits {
        let _ = w.await;
    }
}

/// A connection for the commands of a script: the caller's identity, its
/// own database selection, replies always on.
fn script_conn(conn: &Conn, db: usize) -> Conn {
    Conn {
        db,
        last_cmd: "eval",
        // Reads are tracked for the caller, as Redis does.
        tracking: conn.tracking.clone(),
        caching: conn.caching,
        from_script: true,
        // The script's commands look keys up as its caller would.
        no_touch: conn.no_touch,
        ..Conn::new(conn.id, conn.info.clone(), conn.user.clone(), true)
    }
}

// ---------------------------------------------------------------------------
// The commands.

/// The keys and arguments of EVAL-like `cmd script numkeys key... arg...`,
/// with Redis's errors (`bad`: for a numkeys that is not a number).
pub(crate) fn split_keys(argv: &[Bytes], bad: CmdError) -> Result<(&[Bytes], &[Bytes]), CmdError> {
    let numkeys = argv
        .get(2)
        .and_then(|n| std::str::from_utf8(n).ok())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or(bad)?;
    if numkeys < 0 {
        return Err(CmdError::other("ERR Number of keys can't be negative"));
    }
    let rest = argv.get(3..).unwrap_or_default();
    if numkeys as usize > rest.len() {
        return Err(CmdError::other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok(rest.split_at(numkeys as usize))
}

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO.
pub async fn eval(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let (keys, args) = split_keys(argv, CmdError::NOT_INTEGER)?;
    let by_sha = spec.name.starts_with("evalsha");
    let (sha, body, reach) = if by_sha {
        let given = argv.get(1).map(|b| &b[..]).unwrap_or_default();
        let mut sha = [0u8; 40];
        let body = if given.len() == 40 {
            sha.copy_from_slice(given);
            sha.make_ascii_lowercase();
            shared.scripts.body(&sha)
        } else {
            None
        };
        match body {
            Some((b, r)) => (sha, b, r),
            None => {
                return Err(CmdError::other(
                    "NOSCRIPT No matching script. Please use EVAL.",
                ))
            }
        }
    } else {
        let body = argv.get(1).cloned().unwrap_or_default();
        let sha = sha1_hex(&body);
        let reach = shared.scripts.remember(sha, &body);
        (sha, body, reach)
    };
    let flags = shebang(&body).map_err(CmdError::other)?;
    let oom = crate::evict::is_oom(&s.worker.shard.borrow());
    let call = Call {
        sha,
        body,
        keys: keys.to_vec(),
        args: args.to_vec(),
        db: conn.db,
        resp3: conn.resp3,
        read_only: spec.flags.contains(Flags::READONLY) || flags.is_some_and(|f| f.no_writes),
        deny_oom: oom && flags.is_none(),
        client: conn.id,
        no_touch: conn.no_touch,
        function: None,
        reach,
        now: s.now_ms,
        track: crate::tracking::tracks_reads(conn),
    };
    if spec.flags.contains(Flags::READONLY) && flags.is_some_and(|f| !f.no_writes) {
        return Err(CmdError::other(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    if oom && flags.is_some_and(|f| !f.no_writes && !f.allow_oom) {
        return Err(crate::evict::oom_error());
    }
    // Earlier pipelined requests complete first.
    s.flush().await;
    run_call(s, conn, call).await
}

/// Runs a script where it should run (see the module's comment) and
/// writes its reply.
pub(crate) async fn run_call(s: &mut Session, conn: &Conn, call: Call) -> Result<(), CmdError> {
    let shared = s.worker.shared.clone();
    let n = shared.nshards;
    let me = s.worker.id;
    let home = {
        let mut it = call.keys.iter().map(|k| shard_of(k, n));
        match it.next() {
            None => Some(me),
            Some(first) => it.all(|s| s == first).then_some(first),
        }
    };
    let reach = shared.scripts.reach_of(&call);
    // A script not seen yet runs with every lock once, to learn its reach.
    let on_shard = s.held.is_none() && reach == Some(Reach::Home);
    if let (true, Some(h)) = (on_shard, home) {
        if h == me && s.may_run_inline() {
            let worker = s.worker.clone();
            let mut shard = worker.shard.borrow_mut();
            let out = s.out();
            let start = out.len();
            if !run_on_shard_into(&mut shard, &shared, &call, out) {
                return Ok(());
            }
            s.out().truncate(start);
        } else {
            let mut c = call.clone();
            let outcome = crate::coord::run_on(&shared, h, None, move |shard: &mut Shard| {
                c.now = Shared::now_ms();
                match shard.hub.clone() {
                    Some(hub) => run_on_shard(shard, &hub, &c),
                    None => ShardOutcome {
                        reply: BytesMut::from(&b"-ERR server is shutting down\r\n"[..]),
                        retry: false,
                    },
                }
            })
            .await?;
            s.now_ms = Shared::now_ms();
            if !outcome.retry {
                s.out().extend_from_slice(&outcome.reply);
                return Ok(());
            }
        }
    }
    let reply = run_global(s, conn, call).await?;
    s.out().extend_from_slice(&reply);
    s.now_ms = Shared::now_ms();
    Ok(())
}

/// Stops the running eval scripts (`functions`: the running functions)
/// for SCRIPT KILL / FUNCTION KILL, with Redis's errors.
pub(crate) fn kill_runs(scripts: &Scripts, functions: bool) -> Result<(), CmdError> {
    let running: Vec<&RunState> = scripts
        .runs
        .iter()
        .filter(|r| {
            r.started.load(Ordering::Acquire) > 0
                && r.function.lock().map(|f| f.is_some()).unwrap_or(false) == functions
        })
        .collect();
    if running.is_empty() {
        // The other kind may be running: Redis names its KILL.
        let other = scripts
            .runs
            .iter()
            .any(|r| r.started.load(Ordering::Acquire) > 0 && is_function(r) != functions);
        if other {
            return Err(CmdError::other(if functions {
                BUSY_TEXT
            } else {
                BUSY_FUNCTION_TEXT
            }));
        }
        return Err(CmdError::other(
            "NOTBUSY No scripts in execution right now.",
        ));
    }
    if running.iter().any(|r| r.wrote.load(Ordering::Acquire)) {
        return Err(CmdError::other(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    for r in running {
        r.kill.store(true, Ordering::Release);
    }
    Ok(())
}

/// The function running now, if any: its name, its command and how long
/// it has run (ms), for FUNCTION STATS.
pub(crate) fn running_function(shared: &Shared) -> Option<(String, Vec<Bytes>, u64)> {
    let now = Shared::now_ms();
    shared.scripts.runs.iter().find_map(|r| {
        let started = r.started.load(Ordering::Acquire);
        if started == 0 {
            return None;
        }
        let f = r.function.lock().ok()?.clone()?;
        Some((f.0, f.1, now.saturating_sub(started)))
    })
}

/// SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP.
pub async fn script(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let scripts = &shared.scripts;
    match spec.name {
        "script|load" => {
            let body = argv.get(2).cloned().unwrap_or_default();
            shebang(&body).map_err(CmdError::other)?;
            let sha = sha1_hex(&body);
            let source = lua_source(&body);
            with_vm(scripts, |vm| vm.load(&sha, &source))
                .and_then(|r| r)
                .map_err(CmdError::other)?;
            scripts.remember(sha, &body);
            s.writer(conn.resp3).bulk(&sha);
        }
        "script|exists" => {
            let shas = argv.get(2..).unwrap_or_default();
            let bodies = scripts.bodies.read().map_err(|_| CmdError::other("ERR"))?;
            let found: Vec<bool> = shas
                .iter()
                .map(|g| {
                    let mut sha = [0u8; 40];
                    g.len() == 40 && {
                        sha.copy_from_slice(g);
                        sha.make_ascii_lowercase();
                        bodies.contains_key(&sha)
                    }
                })
                .collect();
            drop(bodies);
            let mut w = s.writer(conn.resp3);
            w.array(found.len());
            for f in found {
                w.int(f as i64);
            }
        }
        "script|flush" => {
            match argv.get(2..).unwrap_or_default() {
                [] => {}
                [m] if m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async") => {}
                _ => {
                    return Err(CmdError::other(
                        "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
                    ))
                }
            }
            if let Ok(mut b) = scripts.bodies.write() {
                b.clear();
            }
            scripts.generation.fetch_add(1, Ordering::AcqRel);
            s.writer(conn.resp3).simple(b"OK");
        }
        "script|kill" => {
            kill_runs(scripts, false)?;
            s.writer(conn.resp3).simple(b"OK");
        }
        "script|help" => {
            let lines: &[&str] = &[
                "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
                "HELP",
                "    Prints this help.",
            ];
            let mut w = s.writer(conn.resp3);
            w.array(lines.len());
            for l in lines {
                w.simple(l.as_bytes());
            }
        }
        _ => return Err(CmdError::other("ERR unknown subcommand")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines() {
        assert_eq!(shebang(b"return 1"), Ok(None));
        assert_eq!(
            shebang(b"#!lua\nreturn 1"),
            Ok(Some(ScriptFlags::default()))
        );
        assert_eq!(
            shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok(Some(ScriptFlags {
                no_writes: true,
                allow_oom: true
            }))
        );
        assert_eq!(
            shebang(b"#!lua flags=\nreturn 1"),
            Ok(Some(ScriptFlags::default()))
        );
        assert_eq!(
            shebang(b"#!python\nreturn 1"),
            Err("ERR Unexpected engine in script shebang: #!python".into())
        );
        assert_eq!(
            shebang(b"#!lua flags=bogus\n"),
            Err("ERR Unexpected flag in script shebang: bogus".into())
        );
        assert_eq!(
            shebang(b"#!lua name=x\n"),
            Err("ERR Unknown lua shebang option: name=x".into())
        );
        assert_eq!(shebang(b"#!lua"), Err("ERR Invalid script shebang".into()));
        assert_eq!(
            &lua_source(&Bytes::from_static(b"#!lua\nx"))[..],
            b"--lua\nx"
        );
    }
}
