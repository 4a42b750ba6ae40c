//! The registry of connected clients (CLIENT LIST / INFO / KILL, INFO clients).
//!
//! A rarely-written shared map: a connection registers once, and updates its
//! own [`ClientInfo`] through relaxed atomics once per read or batch of
//! commands, never per command. Readers (CLIENT LIST from any thread) accept
//! that a busy client's figures are as of its last batch.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Bits of [`ClientInfo::flags`] that other command families set; CLIENT
/// LIST renders them as Redis's one-letter flags.
pub mod flag {
    /// Inside MULTI (`x`).
    pub const MULTI: u32 = 1 << 0;
    /// Waiting in a blocking command (`b`).
    pub const BLOCKED: u32 = 1 << 1;
    /// A WATCHed key changed, EXEC will fail (`d`).
    pub const DIRTY_CAS: u32 = 1 << 2;
    /// In MONITOR mode (`O`).
    pub const MONITOR: u32 = 1 << 3;
    /// CLIENT NO-EVICT ON (`e`).
    pub const NO_EVICT: u32 = 1 << 4;
    /// CLIENT NO-TOUCH ON (`T`).
    pub const NO_TOUCH: u32 = 1 << 5;
}

/// The client types CLIENT LIST TYPE and CLIENT KILL TYPE filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// An ordinary client.
    Normal,
    /// A replica connected to this server (Ferrite has none yet).
    Replica,
    /// This server's master link (Ferrite has none yet).
    Master,
    /// A client subscribed to at least one channel or pattern.
    PubSub,
}

impl ClientType {
    /// Parses a type name as Redis does (case-insensitive; `slave` is an
    /// alias of `replica`).
    pub fn parse(name: &[u8]) -> Option<ClientType> {
        let is = |k: &str| name.eq_ignore_ascii_case(k.as_bytes());
        if is("normal") {
            Some(ClientType::Normal)
        } else if is("replica") || is("slave") {
            Some(ClientType::Replica)
        } else if is("master") {
            Some(ClientType::Master)
        } else if is("pubsub") {
            Some(ClientType::PubSub)
        } else {
            None
        }
    }
}

/// What CLIENT LIST reports about one connection.
#[derive(Debug)]
pub struct ClientInfo {
    /// Unique, increasing id.
    pub id: u64,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// File descriptor number.
    pub fd: i32,
    /// Thread (shard) serving it.
    pub thread: usize,
    /// When it connected.
    pub created: Instant,
    /// `addr` as CLIENT LIST prints it and CLIENT KILL ADDR matches it.
    pub addr_text: String,
    /// `laddr` as CLIENT LIST prints it and CLIENT KILL LADDR matches it.
    pub laddr_text: String,
    /// Milliseconds after `created` of the last read from the socket.
    pub last_interaction_ms: AtomicU64,
    /// Selected database.
    pub db: AtomicUsize,
    /// Protocol version (2 or 3).
    pub resp: AtomicU8,
    /// Name set by CLIENT SETNAME / HELLO SETNAME.
    pub name: Mutex<Vec<u8>>,
    /// Library name and version from CLIENT SETINFO.
    pub lib: Mutex<(Vec<u8>, Vec<u8>)>,
    /// Full name of the last command run (`get`, `client|list`), as of the
    /// end of the client's last batch.
    pub last_cmd: Mutex<&'static str>,
    /// [`flag`] bits set by the transaction and blocking families.
    pub flags: AtomicU32,
    /// The wait of a client blocked in BLPOP and friends (CLIENT UNBLOCK ends it).
    pub waiter: Mutex<Option<Arc<crate::blocking::Waiter>>>,
    /// Where pub/sub messages and tracking invalidations for this client go.
    pub mailbox: Arc<crate::pubsub::Mailbox>,
    /// Client-side caching settings (None: tracking off).
    pub tracking: Mutex<Option<crate::tracking::TrackCfg>>,
    /// The flag a change to a WATCHed key sets (`d` in CLIENT LIST).
    pub watch_flag: Mutex<Option<Arc<std::sync::atomic::AtomicBool>>>,
    /// Channels subscribed to (the pub/sub family keeps it).
    pub sub: AtomicU32,
    /// Patterns subscribed to (the pub/sub family keeps it).
    pub psub: AtomicU32,
    /// Shard channels subscribed to (the pub/sub family keeps it).
    pub ssub: AtomicU32,
    /// Commands queued in MULTI, -1 outside a transaction.
    pub multi: AtomicI64,
    /// Unprocessed bytes in the query buffer after the last batch.
    pub qbuf: AtomicUsize,
    /// Capacity of the query buffer after the last batch.
    pub qbuf_cap: AtomicUsize,
    /// Capacity of the reply buffer.
    pub rbuf_cap: AtomicUsize,
    /// Largest batch of replies written at once.
    pub rbuf_peak: AtomicUsize,
    /// Set by CLIENT KILL.
    pub killed: AtomicBool,
    /// The client's memory (`tot-mem`) as of its last batch or write, as
    /// [`Clients::record_mem`] counted it (0: not recorded yet).
    pub mem: AtomicUsize,
    /// Reply bytes past the first 16 KiB waiting to be written when `mem`
    /// was recorded (CLIENT LIST's `omem`).
    pub omem: AtomicUsize,
    /// The memory bucket `mem` falls in ([`mem_bucket`]); `u8::MAX` until
    /// the first record.
    pub bucket: AtomicU8,
    /// When the client entered its bucket ([`Clients::record_mem`]'s
    /// sequence): within a bucket, client eviction picks the earliest.
    pub bucket_seq: AtomicU64,
    /// The user the client is authenticated as (CLIENT LIST's `user=`);
    /// None until it authenticates as another user than `default`.
    pub user: Mutex<Option<Arc<crate::acl::User>>>,
    /// True while the connection's socket is open; CLIENT KILL shuts the
    /// socket down under this lock, so the fd cannot have been closed (and
    /// its number reused by another connection) in between.
    pub open: Mutex<bool>,
}

/// Figures only the connection running CLIENT LIST / INFO knows exactly:
/// the registry holds those of its previous batch.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// Bytes of the current request in the query buffer.
    pub qbuf: usize,
    /// Total length of the current command's arguments.
    pub argv_mem: usize,
    /// Reply bytes already produced in this batch and not yet written.
    pub obl: usize,
    /// Capacity of the reply buffer.
    pub rbs: usize,
    /// Name of the command running now.
    pub cmd: &'static str,
}

/// Redis's static per-client reply buffer: reply bytes past it are the
/// `omem` of CLIENT LIST.
const REPLY_BUFFER_BYTES: usize = 16 * 1024;

/// Rough size of the per-connection state besides its buffers, for
/// `tot-mem` (the connection task, its session and registry record).
pub const CLIENT_OVERHEAD: usize = 1024 + std::mem::size_of::<ClientInfo>();

/// The size of one pub/sub subscription in a client's memory: its share of
/// the channel tables (Redis counts a table entry and a slot per channel).
pub const SUBSCRIPTION_BYTES: usize = 32;

/// Redis's client-eviction buckets: memory below 2^15 bytes is bucket 0,
/// then one bucket per power of two, the last one open-ended from 2^32.
const BUCKET_MIN_BITS: u32 = 15;
const BUCKET_MAX_BITS: u32 = 33;

/// The eviction bucket of a client using `mem` bytes: 0 below 32 KiB, then
/// one per power of two up to 18 (4 GiB and more), as Redis groups clients.
pub fn mem_bucket(mem: usize) -> u8 {
    let bits = usize::BITS - mem.leading_zeros();
    (bits.clamp(BUCKET_MIN_BITS, BUCKET_MAX_BITS) - BUCKET_MIN_BITS) as u8
}

/// What one client's memory is made of, as the connection knows it after a
/// batch or a write.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemUsage {
    /// Capacity of the query buffer.
    pub qbuf_cap: usize,
    /// Capacity of the reply buffer (pending replies included).
    pub reply_cap: usize,
    /// Reply bytes not written yet.
    pub reply_pending: usize,
    /// Bytes of arguments held (the current command's, or queued ones).
    pub argv: usize,
    /// Channels, patterns and shard channels subscribed to.
    pub subscriptions: usize,
    /// Bytes of client-side caching prefixes (BCAST).
    pub tracking: usize,
}

impl MemUsage {
    /// The total, as `tot-mem` and the client-eviction limit count it.
    pub fn total(&self) -> usize {
        CLIENT_OVERHEAD
            + self.qbuf_cap
            + self.reply_cap.max(self.reply_pending)
            + self.argv
            + self.subscriptions * SUBSCRIPTION_BYTES
            + self.tracking
    }
}

impl ClientInfo {
    /// A new record.
    pub fn new(id: u64, addr: SocketAddr, laddr: SocketAddr, fd: i32, thread: usize) -> Self {
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            thread,
            created: Instant::now(),
            addr_text: addr.to_string(),
            laddr_text: laddr.to_string(),
            last_interaction_ms: AtomicU64::new(0),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            name: Mutex::new(Vec::new()),
            lib: Mutex::new((Vec::new(), Vec::new())),
            last_cmd: Mutex::new("NULL"),
            flags: AtomicU32::new(0),
            waiter: Mutex::new(None),
            watch_flag: Mutex::new(None),
            mailbox: Arc::new(crate::pubsub::Mailbox::new(false)),
            tracking: Mutex::new(None),
            sub: AtomicU32::new(0),
            psub: AtomicU32::new(0),
            ssub: AtomicU32::new(0),
            multi: AtomicI64::new(-1),
            qbuf: AtomicUsize::new(0),
            qbuf_cap: AtomicUsize::new(0),
            rbuf_cap: AtomicUsize::new(0),
            rbuf_peak: AtomicUsize::new(0),
            killed: AtomicBool::new(false),
            mem: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            bucket: AtomicU8::new(u8::MAX),
            bucket_seq: AtomicU64::new(0),
            user: Mutex::new(None),
            open: Mutex::new(true),
        }
    }

    /// Marks the client killed and shuts its socket down: its pending read
    /// returns at once and the connection closes. Waking it this way costs
    /// the connection nothing per read, unlike a notification it would have
    /// to poll beside every read.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if *open {
            // SAFETY: `fd` is the connection's socket, still open while `open`
            // is true (the connection clears it under this lock before closing
            // the socket). shutdown(2) only changes the socket's state.
            unsafe {
                libc::shutdown(self.fd, libc::SHUT_RDWR);
            }
        }
    }

    /// Called by the connection just before it closes its socket.
    pub fn mark_closed(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }

    /// True once CLIENT KILL has marked it.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Milliseconds since the client last sent something.
    pub fn idle_ms(&self) -> u64 {
        (self.created.elapsed().as_millis() as u64)
            .saturating_sub(self.last_interaction_ms.load(Ordering::Relaxed))
    }

    /// Records activity now (idle time counts from here).
    pub fn touch(&self) {
        self.last_interaction_ms
            .store(self.created.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Records the query buffer's state after a batch.
    pub fn note_query_buffer(&self, len: usize, cap: usize) {
        self.qbuf.store(len, Ordering::Relaxed);
        self.qbuf_cap.store(cap, Ordering::Relaxed);
    }

    /// Records a write of `len` reply bytes from a buffer of capacity `cap`.
    pub fn note_reply_buffer(&self, len: usize, cap: usize) {
        self.rbuf_cap.store(cap, Ordering::Relaxed);
        // Only the owning thread writes these, so load-then-store is race-free.
        if len > self.rbuf_peak.load(Ordering::Relaxed) {
            self.rbuf_peak.store(len, Ordering::Relaxed);
        }
    }

    /// The name, as bytes.
    pub fn name(&self) -> Vec<u8> {
        self.name.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// Sets (or, when empty, clears) the name.
    pub fn set_name(&self, name: &[u8]) {
        if let Ok(mut n) = self.name.lock() {
            n.clear();
            n.extend_from_slice(name);
        }
    }

    /// The client's type for TYPE filters.
    pub fn client_type(&self) -> ClientType {
        if self.subscriptions() > 0 {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }

    fn subscriptions(&self) -> u64 {
        u64::from(self.sub.load(Ordering::Relaxed))
            + u64::from(self.psub.load(Ordering::Relaxed))
            + u64::from(self.ssub.load(Ordering::Relaxed))
    }

    /// Appends this client's CLIENT LIST line (without the trailing newline)
    /// to `out`, with Redis 7.0.15's fields in Redis's order, followed by the
    /// `lib-name` and `lib-ver` fields Redis 7.2 added. `live` carries the
    /// exact figures when the client is the one asking.
    pub fn render(&self, out: &mut Vec<u8>, live: Option<&Live>) {
        let now_ms = self.created.elapsed().as_millis() as u64;
        let age = now_ms / 1000;
        let idle = match live {
            Some(_) => 0,
            None => now_ms.saturating_sub(self.last_interaction_ms.load(Ordering::Relaxed)) / 1000,
        };
        let bits = self.flags.load(Ordering::Relaxed);
        let mut flags = String::with_capacity(4);
        if bits & flag::MONITOR != 0 {
            flags.push('O');
        }
        if self.subscriptions() > 0 {
            flags.push('P');
        }
        if bits & flag::MULTI != 0 {
            flags.push('x');
        }
        if bits & flag::BLOCKED != 0 {
            flags.push('b');
        }
        let dirty_cas = self
            .watch_flag
            .lock()
            .ok()
            .and_then(|f| f.as_ref().map(|f| f.load(Ordering::Relaxed)))
            .unwrap_or(false);
        if bits & flag::DIRTY_CAS != 0 || dirty_cas {
            flags.push('d');
        }
        if self.is_killed() {
            flags.push('A');
        }
        if bits & flag::NO_EVICT != 0 {
            flags.push('e');
        }
        if bits & flag::NO_TOUCH != 0 {
            flags.push('T');
        }
        let tracking = self.tracking.lock().ok().and_then(|t| t.clone());
        if let Some(t) = &tracking {
            flags.push('t');
            if t.broken {
                flags.push('R');
            }
            if t.bcast {
                flags.push('B');
            }
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let qbuf_cap = self.qbuf_cap.load(Ordering::Relaxed);
        let (qbuf, argv_mem, obl, rbs, cmd) = match live {
            Some(l) => (l.qbuf, l.argv_mem, l.obl, l.rbs, l.cmd),
            None => (
                self.qbuf.load(Ordering::Relaxed),
                0,
                0,
                self.rbuf_cap.load(Ordering::Relaxed),
                self.last_cmd.lock().map(|c| *c).unwrap_or("NULL"),
            ),
        };
        let rbp = self.rbuf_peak.load(Ordering::Relaxed).max(obl);
        let qbuf_free = qbuf_cap.saturating_sub(qbuf);
        // The figure of the last batch (what client eviction compares),
        // plus the arguments of the command running now, if any.
        let recorded = self.mem.load(Ordering::Relaxed);
        let base = if recorded > 0 {
            recorded
        } else {
            CLIENT_OVERHEAD + qbuf_cap.max(qbuf) + rbs
        };
        let tot_mem = base + argv_mem;
        let omem = match live {
            Some(_) => 0,
            None => self.omem.load(Ordering::Relaxed),
        };
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name=",
            self.id, self.addr_text, self.laddr_text, self.fd
        );
        if let Ok(n) = self.name.lock() {
            out.extend_from_slice(&n);
        }
        let _ = write!(
            out,
            " age={age} idle={idle} flags={flags} db={} sub={} psub={} ssub={} multi={} \
             qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem=0 rbs={rbs} \
             rbp={rbp} obl={obl} oll=0 omem={omem} tot-mem={tot_mem} events=r cmd={cmd} \
             user=",
            self.db.load(Ordering::Relaxed),
            self.sub.load(Ordering::Relaxed),
            self.psub.load(Ordering::Relaxed),
            self.ssub.load(Ordering::Relaxed),
            self.multi.load(Ordering::Relaxed),
        );
        match self
            .user
            .lock()
            .ok()
            .and_then(|u| u.as_ref().map(|u| u.name.clone()))
        {
            Some(name) => out.extend_from_slice(&name),
            None => out.extend_from_slice(b"default"),
        }
        let _ = write!(
            out,
            " redir={} resp={} lib-name=",
            tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            self.resp.load(Ordering::Relaxed),
        );
        if let Ok(lib) = self.lib.lock() {
            out.extend_from_slice(&lib.0);
            out.extend_from_slice(b" lib-ver=");
            out.extend_from_slice(&lib.1);
        } else {
            out.extend_from_slice(b" lib-ver=");
        }
    }
}

/// How far a client's memory may move before the new figure is published
/// (`tot-mem` and the totals are exact to within this).
pub const MEM_SLACK: usize = 4096;

/// Slots of the per-thread memory totals: thread `t` adds to slot
/// `t % MEM_SLOTS` (more threads than slots share, which the atomic adds
/// allow).
const MEM_SLOTS: usize = 64;

/// One thread's total of its clients' memory, alone on its cache line so
/// that threads recording their clients do not contend.
#[derive(Debug, Default)]
#[repr(align(128))]
struct MemSlot(AtomicI64);

/// All connected clients, by id.
#[derive(Debug)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    next_id: AtomicU64,
    /// Each thread's running total of its clients' recorded memory.
    mem: Box<[MemSlot]>,
    /// Next [`ClientInfo::bucket_seq`].
    bucket_seq: AtomicU64,
    /// Clients closed by client eviction (INFO `evicted_clients`).
    pub evicted: AtomicU64,
    /// The client-eviction limit in bytes (0: off), as of `limit_epoch`.
    pub limit: AtomicU64,
    /// The `config_epoch` `limit` was computed at (`u64::MAX`: never).
    pub limit_epoch: AtomicU64,
}

impl Default for Clients {
    fn default() -> Self {
        Clients {
            map: Mutex::default(),
            next_id: AtomicU64::new(0),
            mem: (0..MEM_SLOTS).map(|_| MemSlot::default()).collect(),
            bucket_seq: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            limit: AtomicU64::new(0),
            limit_epoch: AtomicU64::new(u64::MAX),
        }
    }
}

impl Clients {
    /// A fresh client id (ids start at 1 and never repeat).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a connection.
    pub fn add(&self, info: Arc<ClientInfo>) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(info.id, info);
        }
    }

    /// Unregisters a connection (its memory leaves the totals).
    pub fn remove(&self, id: u64) {
        let gone = self.map.lock().ok().and_then(|mut m| m.remove(&id));
        if let Some(c) = gone {
            let mem = c.mem.swap(0, Ordering::Relaxed);
            self.add_mem(c.thread, -(mem as i64));
        }
    }

    fn add_mem(&self, thread: usize, delta: i64) {
        if delta != 0 {
            if let Some(slot) = self.mem.get(thread % MEM_SLOTS) {
                slot.0.fetch_add(delta, Ordering::Relaxed);
            }
        }
    }

    /// Records a client's memory after a batch or a write, from its own
    /// connection. Nothing shared is written unless the figure moved by
    /// [`MEM_SLACK`] or more (the query buffer's free space shrinks by a
    /// request's size at every batch; publishing that would cost an atomic
    /// add per batch): then the thread's total on its own cache line, and,
    /// when the client moves to another bucket, the bucket sequence.
    pub fn record_mem(&self, c: &ClientInfo, usage: &MemUsage) {
        let pending = usage.reply_pending.saturating_sub(REPLY_BUFFER_BYTES);
        if c.omem.load(Ordering::Relaxed) != pending {
            c.omem.store(pending, Ordering::Relaxed);
        }
        let mem = usage.total();
        // Only the owning connection stores `mem`: load-then-store is exact.
        let old = c.mem.load(Ordering::Relaxed);
        if old != 0 && old.abs_diff(mem) < MEM_SLACK {
            return;
        }
        c.mem.store(mem, Ordering::Relaxed);
        self.add_mem(c.thread, mem as i64 - old as i64);
        let bucket = mem_bucket(mem);
        if c.bucket.load(Ordering::Relaxed) != bucket {
            c.bucket.store(bucket, Ordering::Relaxed);
            self.requeue(c);
        }
    }

    /// Puts a client last in its bucket (it entered it now).
    pub fn requeue(&self, c: &ClientInfo) {
        let seq = self.bucket_seq.fetch_add(1, Ordering::Relaxed);
        c.bucket_seq.store(seq, Ordering::Relaxed);
    }

    /// The memory of all clients as last recorded (INFO's
    /// `mem_clients_normal`; killed clients count until they are closed).
    pub fn total_mem(&self) -> u64 {
        let sum: i64 = self.mem.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
        u64::try_from(sum).unwrap_or(0)
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every live client, ordered by id. Clients already
    /// killed are left out: they are gone as far as commands can tell, even
    /// if their thread has not yet closed the socket.
    pub fn snapshot(&self) -> Vec<Arc<ClientInfo>> {
        self.map
            .lock()
            .map(|m| m.values().filter(|c| !c.is_killed()).cloned().collect())
            .unwrap_or_default()
    }

    /// The live client with this id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.map
            .lock()
            .ok()
            .and_then(|m| m.get(&id).filter(|c| !c.is_killed()).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: u64) -> ClientInfo {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let laddr: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        ClientInfo::new(id, addr, laddr, 9, 0)
    }

    fn line(c: &ClientInfo, live: Option<&Live>) -> String {
        let mut out = Vec::new();
        c.render(&mut out, live);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn line_has_redis_fields_in_order() {
        let c = info(7);
        c.set_name(b"worker");
        let l = line(&c, None);
        let keys: Vec<&str> = l
            .split(' ')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "addr",
                "laddr",
                "fd",
                "name",
                "age",
                "idle",
                "flags",
                "db",
                "sub",
                "psub",
                "ssub",
                "multi",
                "qbuf",
                "qbuf-free",
                "argv-mem",
                "multi-mem",
                "rbs",
                "rbp",
                "obl",
                "oll",
                "omem",
                "tot-mem",
                "events",
                "cmd",
                "user",
                "redir",
                "resp",
                "lib-name",
                "lib-ver"
            ]
        );
        assert!(l.starts_with("id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name=worker age=0 idle=0 flags=N db=0"));
        assert!(l.contains(" multi=-1 "));
        assert!(l.contains(" cmd=NULL user=default redir=-1 resp=2 lib-name= lib-ver="));
    }

    #[test]
    fn live_figures_override_the_registry() {
        let c = info(1);
        let live = Live {
            qbuf: 26,
            argv_mem: 10,
            obl: 7,
            rbs: 16384,
            cmd: "client|info",
        };
        c.note_query_buffer(0, 16384);
        let l = line(&c, Some(&live));
        assert!(l.contains(" qbuf=26 qbuf-free=16358 argv-mem=10 "), "{l}");
        assert!(l.contains(" rbs=16384 rbp=7 obl=7 "), "{l}");
        assert!(l.contains(" cmd=client|info "), "{l}");
    }

    #[test]
    fn flags_and_type_follow_state() {
        let c = info(1);
        assert_eq!(c.client_type(), ClientType::Normal);
        c.sub.store(1, Ordering::Relaxed);
        c.flags.store(flag::MULTI, Ordering::Relaxed);
        assert_eq!(c.client_type(), ClientType::PubSub);
        assert!(line(&c, None).contains(" flags=Px "));
    }

    #[test]
    fn killed_clients_leave_the_snapshot() {
        let clients = Clients::default();
        let a = Arc::new(info(clients.next_id()));
        let b = Arc::new(info(clients.next_id()));
        clients.add(a.clone());
        clients.add(b.clone());
        assert_eq!(clients.snapshot().len(), 2);
        // Its fd (9) is made up: marked closed, kill() must not shut down
        // whatever socket of this test process holds that number.
        a.mark_closed();
        a.kill();
        let ids: Vec<u64> = clients.snapshot().iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![b.id]);
        assert!(clients.get(a.id).is_none());
    }

    #[test]
    fn type_names_parse_case_insensitively() {
        assert_eq!(ClientType::parse(b"Normal"), Some(ClientType::Normal));
        assert_eq!(ClientType::parse(b"SLAVE"), Some(ClientType::Replica));
        assert_eq!(ClientType::parse(b"replica"), Some(ClientType::Replica));
        assert_eq!(ClientType::parse(b"pubsub"), Some(ClientType::PubSub));
        assert_eq!(ClientType::parse(b"master"), Some(ClientType::Master));
        assert_eq!(ClientType::parse(b"monitor"), None);
    }
}
