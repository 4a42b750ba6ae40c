//! One client connection: read, decode, dispatch, write.
//!
//! Requests are decoded zero-copy from the read buffer. A batch of pipelined
//! requests is dispatched in order: commands for this thread's shard run
//! inline and write their reply straight into the output buffer; commands for
//! other shards are batched per shard, and once anything is outstanding the
//! following replies go to a side buffer so that the batch's replies can be
//! written back in request order with a single write.

use std::net::SocketAddr;
use std::ops::Range;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrite_commands::{Block, CmdError, CommandSpec, Ctx, Exec, Flags, Handler};
use ferrite_protocol::{Limits, RequestDecoder, Writer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::clients::ClientInfo;
use crate::server::Shared;
use crate::shard::{Shard, ShardMsg};
use crate::slot::shard_of;
use crate::worker::Worker;

/// The size of Redis's static per-client reply buffer: replies that fit in
/// it do not count against `client-output-buffer-limit`.
const REPLY_BUFFER_BYTES: u64 = 16 * 1024;

/// Requests decoded and dispatched before the replies are written.
const MAX_BATCH: usize = 1024;

/// What a non-loopback client gets in protected mode (Redis's exact text).
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// What CLIENT REPLY set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// Replies are discarded.
    Off,
    /// The next command's reply is discarded.
    Skip,
    /// The current command's reply is discarded (set from Skip).
    SkipThis,
}

/// Per-connection state.
pub struct Conn {
    /// Client id.
    pub id: u64,
    /// The registry record.
    pub info: Arc<ClientInfo>,
    /// Selected database.
    pub db: usize,
    /// RESP3 after HELLO 3.
    pub resp3: bool,
    /// Authenticated (from the start when the default user has nopass).
    pub authed: bool,
    /// The user commands run as (`default` until AUTH).
    pub user: Arc<crate::acl::User>,
    /// CLIENT REPLY mode.
    pub reply_mode: ReplyMode,
    /// Close once the pending replies are written (QUIT, protocol error).
    pub close: bool,
    /// Full name of the last command dispatched; published to the registry
    /// once per batch rather than per command.
    pub last_cmd: &'static str,
    /// The transaction being queued (between MULTI and EXEC).
    pub multi: Option<crate::multi::MultiState>,
    /// The keys WATCHed.
    pub watch: crate::multi::WatchState,
    /// Pub/Sub subscriptions (None: none).
    pub subs: Option<Box<crate::pubsub::Subs>>,
    /// Client-side caching (None: tracking off).
    pub tracking: Option<crate::tracking::TrackCfg>,
    /// CLIENT CACHING's answer for the next command (OPTIN/OPTOUT).
    pub caching: Option<bool>,
    /// The connection a script's commands run on (MONITOR shows them as `lua`).
    pub from_script: bool,
    /// CLIENT NO-TOUCH ON: the client's lookups leave keys' idle time and
    /// LFU counter alone.
    pub no_touch: bool,
}

impl Conn {
    /// A connection's state as it starts: database 0, RESP2, replies on,
    /// no transaction, subscription or tracking.
    pub fn new(id: u64, info: Arc<ClientInfo>, user: Arc<crate::acl::User>, authed: bool) -> Conn {
        Conn {
            id,
            info,
            db: 0,
            resp3: false,
            authed,
            user,
            reply_mode: ReplyMode::On,
            close: false,
            last_cmd: "NULL",
            multi: None,
            watch: Default::default(),
            subs: None,
            tracking: None,
            caching: None,
            from_script: false,
            no_touch: false,
        }
    }
}

/// Serves one connection until it closes.
pub async fn serve(worker: Rc<Worker>, stream: TcpStream, addr: SocketAddr) {
    let peer = prepare(&worker, &stream, addr);
    serve_stream(worker, stream, addr, peer, true).await;
}

/// Serves one connection accepted on `tls-port`: the TLS handshake (within
/// [`crate::tls::HANDSHAKE_TIMEOUT`]), then as [`serve`] over TLS.
pub async fn serve_tls(
    worker: Rc<Worker>,
    stream: TcpStream,
    addr: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let peer = prepare(&worker, &stream, addr);
    let tls = tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
    match tls {
        Ok(Ok(tls)) => serve_stream(worker, tls, addr, peer, false).await,
        Ok(Err(e)) => {
            tracing::warn!(%addr, error = %e, "Error accepting a client connection: TLS handshake failed")
        }
        Err(_) => {
            tracing::warn!(%addr, "Error accepting a client connection: TLS handshake timed out")
        }
    }
}

/// The socket's local address and descriptor, once the socket is set up
/// (no Nagle delay, keepalive as `tcp-keepalive` says).
fn prepare(worker: &Worker, stream: &TcpStream, addr: SocketAddr) -> (SocketAddr, i32) {
    let keepalive = worker
        .shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .tcp_keepalive;
    let _ = stream.set_nodelay(true);
    set_keepalive(stream, keepalive);
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd()
    };
    (laddr, fd)
}

/// A client's byte stream: a plain TCP socket or TLS over one.
pub trait ClientStream: AsyncRead + AsyncWrite + Unpin {}

impl<T: AsyncRead + AsyncWrite + Unpin> ClientStream for T {}

/// Serves one connection over `stream` until it closes. A `plain`
/// connection (its bytes are the requests: not TLS) is answered by a busy
/// script's hook while the script holds the thread ([`crate::busy`]).
async fn serve_stream<S: ClientStream>(
    worker: Rc<Worker>,
    mut stream: S,
    addr: SocketAddr,
    (laddr, fd): (SocketAddr, i32),
    plain: bool,
) {
    let shared = worker.shared.clone();
    shared
        .stats
        .total_connections_received
        .fetch_add(1, Ordering::Relaxed);
    shared.acl.sync_config(&shared);
    let (maxclients, needs_auth, qbuf_limit, protected) = {
        let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
        (
            cfg.maxclients,
            !shared.acl.default_needs_no_auth(),
            cfg.client_query_buffer_limit,
            cfg.protected_mode,
        )
    };
    if shared.clients.len() as u64 >= maxclients {
        shared
            .stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    // Protected mode: while the default user has nopass, only clients from
    // 127.0.0.1 and ::1 get in (as Redis: not the rest of 127/8).
    if protected && shared.acl.default_has_nopass() && !crate::acl::is_local(addr.ip()) {
        shared
            .stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        let _ = stream.write_all(PROTECTED_MODE_DENIED).await;
        return;
    }
    let id = shared.clients.next_id();
    let info = Arc::new(ClientInfo::new(id, addr, laddr, fd, worker.id));
    shared.clients.add(info.clone());
    let mut conn = Conn::new(id, info.clone(), shared.acl.default_user(), !needs_auth);
    let mut session = Session::new(worker.clone());
    let mut rbuf = BytesMut::with_capacity(16 * 1024);
    let mut decoder = RequestDecoder::new();
    let mut args: Vec<Bytes> = Vec::new();
    let mut reqs: Vec<Range<usize>> = Vec::new();
    // Unregisters before the stream closes (locals drop in reverse order).
    let busy_slot = plain.then(|| crate::busy::register(fd, info.clone()));
    'conn: loop {
        if rbuf.capacity() - rbuf.len() < 4096 {
            rbuf.reserve(16 * 1024);
        }
        // A subscriber also wakes for messages published to it.
        let mb = &info.mailbox;
        let read = if !mb.is_active() {
            match &busy_slot {
                // Idle with nothing buffered: a busy script's hook may answer
                // what arrives meanwhile.
                Some(reg) if rbuf.is_empty() => {
                    let state = crate::busy::idle_state(&conn);
                    match crate::busy::idle_read(reg, state, &mut stream, &mut rbuf).await {
                        Some(r) => Some(r),
                        None => {
                            let go_on = crate::busy::resume(
                                reg,
                                &mut stream,
                                &mut rbuf,
                                &session,
                                &mut conn,
                            )
                            .await;
                            if !go_on {
                                break 'conn;
                            }
                            if rbuf.is_empty() {
                                continue 'conn;
                            }
                            Some(Ok(rbuf.len()))
                        }
                    }
                }
                _ => Some(stream.read_buf(&mut rbuf).await),
            }
        } else if mb.has_pending() || mb.is_over() {
            None
        } else {
            tokio::select! {
                r = stream.read_buf(&mut rbuf) => Some(r),
                _ = mb.notify.notified() => None,
            }
        };
        let Some(read) = read else {
            // Woken for messages: let the tasks already ready (publishers
            // among them) run first, so that one write carries what they
            // publish meanwhile, as Redis writes a client's buffer once per
            // event-loop turn.
            tokio::task::yield_now().await;
            if !session.deliver(&mut stream, &conn).await {
                break 'conn;
            }
            continue;
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                shared
                    .stats
                    .total_net_input_bytes
                    .fetch_add(n as u64, Ordering::Relaxed);
                shared
                    .stats
                    .total_reads_processed
                    .fetch_add(1, Ordering::Relaxed);
                info.touch();
            }
        }
        if info.killed.load(Ordering::Relaxed) {
            break;
        }
        loop {
            let limits = Limits {
                max_bulk_len: session.settings_bulk_len(),
                authenticated: !crate::cmd::connection::auth_required(&session, &conn),
                ..Limits::default()
            };
            args.clear();
            reqs.clear();
            let mut proto_err = None;
            while reqs.len() < MAX_BATCH {
                let start = args.len();
                match decoder.decode(&mut rbuf, &limits, &mut args) {
                    Ok(Some(0)) => continue,
                    Ok(Some(n)) => reqs.push(start..start + n),
                    Ok(None) => break,
                    Err(e) => {
                        proto_err = Some(e);
                        break;
                    }
                }
            }
            let full = reqs.len() == MAX_BATCH;
            session.now_ms = Shared::now_ms();
            if reqs.len() > 1 {
                session.prefetch_keys(&conn, &args, &reqs);
            }
            for r in &reqs {
                if conn.close {
                    break;
                }
                session.dispatch(&mut conn, &args[r.clone()]).await;
                if let Some(p) = session.blocked.take() {
                    let go_on = crate::blocking::wait(
                        &mut stream,
                        &mut rbuf,
                        qbuf_limit,
                        &mut session,
                        &mut conn,
                        p,
                    )
                    .await;
                    if !go_on {
                        break 'conn;
                    }
                }
            }
            session.flush().await;
            // Drop the argument slices now: while they live, the read buffer
            // is shared and the next `reserve` would copy it elsewhere.
            args.clear();
            if let Some(e) = proto_err {
                let mut w = Writer::new(&mut session.wbuf, false);
                w.error(&e.reply_text());
                conn.close = true;
            }
            // Published before the replies go out, so that a client that has
            // its reply already shows up to date in CLIENT LIST.
            info.note_query_buffer(rbuf.len(), rbuf.capacity());
            crate::client_evict::after_batch(&session, &conn, rbuf.capacity());
            if let Ok(mut last) = info.last_cmd.lock() {
                *last = conn.last_cmd;
            }
            if info.mailbox.is_active() {
                // Messages published meanwhile go out with the replies.
                if !session.deliver(&mut stream, &conn).await {
                    break 'conn;
                }
            } else if !session.wbuf.is_empty() {
                info.note_reply_buffer(session.wbuf.len(), session.wbuf.capacity());
                // After a pipelined batch, write once the thread's other
                // ready connections have run their requests, as Redis
                // writes every client's replies in one burst before it
                // sleeps. Interleaving each write with the next connection's
                // long batch let the peer fall asleep between writes, so that
                // nearly every write paid for a cross-CPU wake-up in the
                // kernel (16% of the server's CPU for EVALSHA at -P 16 in a
                // profile; 2% with the burst). A single request is answered
                // at once: there the extra turn of the loop cost more (about
                // 4% of SET and GET at -P 1) than it saved.
                if reqs.len() > 1 {
                    tokio::task::yield_now().await;
                }
                if !session.write_limited(&mut stream, id).await {
                    break 'conn;
                }
                crate::client_evict::after_write(&session, &conn, rbuf.capacity());
            }
            if conn.close || info.killed.load(Ordering::Relaxed) {
                break 'conn;
            }
            if !full {
                break;
            }
            // A long pipeline: let the thread's other connections and its
            // inbox run between batches of MAX_BATCH requests.
            tokio::task::yield_now().await;
        }
        if rbuf.len() as u64 > qbuf_limit {
            tracing::warn!(
                client = id,
                "closing client that reached max query buffer length"
            );
            break;
        }
        info.db.store(conn.db, Ordering::Relaxed);
    }
    crate::multi::unwatch_all(&session, &mut conn);
    shared.monitors.remove(id);
    shared.pubsub.forget(&mut conn.subs, id);
    crate::tracking::tracking_off(&shared, &mut conn);
    shared.clients.remove(id);
    info.mark_closed();
    drop(stream);
}

/// `tcp-keepalive`: probes after `secs` idle seconds, then every third of
/// that, as Redis configures its sockets (0: off).
fn set_keepalive(stream: &TcpStream, secs: u64) {
    use std::os::fd::AsRawFd;
    if secs == 0 {
        return;
    }
    let fd = stream.as_raw_fd();
    let idle = secs.min(i32::MAX as u64) as libc::c_int;
    let opts = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (idle / 3).max(1)),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, value) in opts {
        // SAFETY: `fd` is the open socket owned by `stream`; the option value
        // is a c_int that lives across the call, and its size is passed.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

/// Where a reply in the current batch comes from.
enum Slot {
    /// Bytes in the side buffer.
    Local(Range<usize>),
    /// The `idx`-th reply of the batch sent to `shard`; `skip` drops it.
    Remote {
        shard: usize,
        idx: usize,
        skip: bool,
    },
}

/// One request of a remote batch.
struct Item {
    /// Its arguments in the batch's `args`.
    args: Range<usize>,
    h: Handler,
    /// The command's row number (INFO commandstats).
    id: usize,
    db: usize,
    resp3: bool,
    /// Positions (in its arguments) of the keys to remember for the
    /// client's tracking, when it tracks this read.
    track: Option<Vec<usize>>,
    /// Its place in a transaction, for the journal (0: none).
    ord: u32,
}

/// Requests for one other shard, collected during a batch.
#[derive(Default)]
struct RemoteBatch {
    args: Vec<Bytes>,
    items: Vec<Item>,
    /// The connection's client id.
    client: u64,
    /// The connection is in CLIENT NO-TOUCH mode.
    no_touch: bool,
}

/// Replies of one remote batch: all replies in one buffer, with end offsets.
struct RemoteReplies {
    /// The capacity of `buf`'s allocation, handed over to the receiving
    /// thread's memory account (it frees it).
    cap: usize,
    buf: Bytes,
    ends: Vec<usize>,
    dirty: u64,
}

/// The dispatch state of one connection.
pub struct Session {
    /// The thread.
    pub worker: Rc<Worker>,
    /// Key hashes of the batch being prefetched (kept to reuse its allocation).
    hashes: Vec<u64>,
    /// The time commands of the current batch see (Unix ms), read once per
    /// batch: one clock read instead of one per command.
    pub now_ms: u64,
    /// Output buffer, written to the socket after each batch.
    pub wbuf: BytesMut,
    /// `wbuf`'s capacity after the last write (to count its expansions).
    wbuf_cap: usize,
    side: BytesMut,
    slots: Vec<Slot>,
    batches: Vec<Option<RemoteBatch>>,
    outstanding: usize,
    keypos: Vec<usize>,
    /// A blocking command that must wait; the connection loop waits for it
    /// before dispatching the next request.
    pub blocked: Option<crate::blocking::Pending>,
    /// The last command name looked up, as sent, and its row.
    last_name: NameCache,
    /// The shard locks an EXEC holds while it runs its commands: they run
    /// inline or tagged with its transaction, which passes the locks.
    pub held: Option<crate::multi::Held>,
    /// The place in its transaction of the command being dispatched, for
    /// the journal (0: not in EXEC).
    pub journal_ord: u32,
}

/// The last command name a connection sent and its table row: pipelines
/// mostly repeat one command, and comparing a few bytes is cheaper than
/// lower-casing and hashing the name again.
#[derive(Default)]
struct NameCache {
    name: [u8; 16],
    len: usize,
    spec: Option<(&'static CommandSpec, usize)>,
}

impl NameCache {
    fn get(&self, name: &[u8]) -> Option<(&'static CommandSpec, usize)> {
        let spec = self.spec?;
        (self.name.get(..self.len) == Some(name)).then_some(spec)
    }

    fn put(&mut self, name: &[u8], spec: &'static CommandSpec, id: usize) {
        if let Some(slot) = self.name.get_mut(..name.len()) {
            slot.copy_from_slice(name);
            self.len = name.len();
            self.spec = Some((spec, id));
        }
    }
}

impl Session {
    pub(crate) fn new(worker: Rc<Worker>) -> Session {
        let n = worker.shared.nshards;
        Session {
            worker,
            now_ms: Shared::now_ms(),
            hashes: Vec::new(),
            wbuf: BytesMut::with_capacity(16 * 1024),
            wbuf_cap: 16 * 1024,
            side: BytesMut::new(),
            slots: Vec::new(),
            batches: (0..n).map(|_| None).collect(),
            outstanding: 0,
            keypos: Vec::new(),
            blocked: None,
            last_name: NameCache::default(),
            held: None,
            journal_ord: 0,
        }
    }

    fn settings_bulk_len(&self) -> u64 {
        self.worker.shard.borrow().settings.proto_max_bulk_len
    }

    /// Warms the cache for a pipelined batch: for each request's first
    /// argument after the name (the key, for most commands) on this thread's
    /// shard, first starts loading its index slot, then, once all slots are
    /// on their way, its entry. The lookups' cache misses then overlap
    /// instead of following one another. A wrong guess only costs a hash.
    fn prefetch_keys(&mut self, conn: &Conn, args: &[Bytes], reqs: &[Range<usize>]) {
        let nshards = self.worker.shared.nshards;
        let shard = self.worker.shard.borrow();
        let Some(db) = shard.dbs.get(conn.db) else {
            return;
        };
        self.hashes.clear();
        for r in reqs {
            if let Some(key) = args.get(r.start + 1) {
                if r.len() >= 2 && shard_of(key, nshards) == self.worker.id {
                    self.hashes.push(db.prefetch_slot(key));
                }
            }
        }
        for &h in &self.hashes {
            db.prefetch_entry(h);
        }
    }

    /// The transaction whose locks this session holds (during EXEC).
    pub fn held_tx(&self) -> Option<crate::shard::TxId> {
        self.held.as_ref().map(|h| h.tx)
    }

    /// Where the next local reply goes.
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        if self.outstanding == 0 {
            &mut self.wbuf
        } else {
            &mut self.side
        }
    }

    pub(crate) fn out_len(&mut self) -> usize {
        self.out().len()
    }

    /// Records the end of a local reply started at `start`.
    pub(crate) fn end_local(&mut self, start: usize, skip: bool) {
        if self.outstanding == 0 {
            if skip {
                self.wbuf.truncate(start);
            }
        } else if skip {
            self.side.truncate(start);
        } else {
            self.slots.push(Slot::Local(start..self.side.len()));
        }
    }

    /// A reply writer for the current command.
    pub fn writer(&mut self, resp3: bool) -> Writer<'_> {
        Writer::new(self.out(), resp3)
    }

    /// Writes an error reply for the current command (and counts it for
    /// INFO errorstats).
    pub fn error(&mut self, conn: &Conn, e: &CmdError) {
        let resp3 = conn.resp3;
        let text = e.to_string();
        self.count_error(text.as_bytes());
        Writer::new(self.out(), resp3).error(text.as_bytes());
    }

    /// Holds a command while CLIENT PAUSE covers it (earlier replies go
    /// out first; the client shows as blocked meanwhile).
    #[cold]
    async fn wait_pause(&mut self, conn: &Conn, spec: &'static CommandSpec) {
        let tx_writes = conn.multi.as_ref().is_some_and(|m| m.may_write());
        let shared = self.worker.shared.clone();
        if !shared.pause.holds(spec, tx_writes) {
            return;
        }
        self.flush().await;
        use crate::clients::flag;
        conn.info.flags.fetch_or(flag::BLOCKED, Ordering::Relaxed);
        shared.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
        shared.pause.wait(spec, tx_writes).await;
        shared.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
        conn.info.flags.fetch_and(!flag::BLOCKED, Ordering::Relaxed);
        self.now_ms = Shared::now_ms();
    }

    /// Shows a command to the MONITOR clients; `always` shows even those
    /// flagged `skip_monitor` (scripts show themselves).
    #[cold]
    fn feed_monitors(&self, conn: &Conn, spec: &CommandSpec, argv: &[Bytes], always: bool) {
        if !always && !crate::monitor::shows(spec) {
            return;
        }
        let source = if conn.from_script {
            "lua"
        } else {
            &conn.info.addr_text
        };
        crate::monitor::feed(&self.worker.shared, conn.db, source, argv, spec.name);
    }

    /// Counts an error reply written without [`Session::error`].
    pub(crate) fn count_error(&self, text: &[u8]) {
        if let Ok(mut shard) = self.worker.shard.try_borrow_mut() {
            shard.cmdstats.error(text);
        }
    }

    /// Refuses a command before it runs: writes the error and counts a
    /// rejected call of row `id` (none for an unknown command).
    fn reject(&mut self, conn: &Conn, id: Option<usize>, e: &CmdError, skip: bool) {
        let start = self.out_len();
        self.error(conn, e);
        if let Some(id) = id {
            self.worker.shard.borrow_mut().cmdstats.rejected(id);
        }
        self.end_local(start, skip);
    }

    /// Counts a command run by this connection's thread itself (server and
    /// connection commands, scripts, commands over several shards), timed
    /// from `t0`; it failed if its reply, written from `start`, is an error.
    fn record_here(&mut self, conn: &Conn, id: usize, argv: &[Bytes], t0: u64, start: usize) {
        let ns = crate::clock::since_ns(t0);
        let failed = self.out().get(start) == Some(&b'-');
        let worker = self.worker.clone();
        let mut shard = worker.shard.borrow_mut();
        crate::observe::record(&mut shard, id, conn.id, argv, ns, failed);
    }

    /// Whether CLIENT REPLY drops the reply of the command starting now
    /// (and the mode that follows).
    pub(crate) fn reply_skip(&mut self, conn: &mut Conn) -> bool {
        match conn.reply_mode {
            ReplyMode::On => false,
            ReplyMode::Off => true,
            ReplyMode::Skip => {
                conn.reply_mode = ReplyMode::SkipThis;
                true
            }
            ReplyMode::SkipThis => {
                conn.reply_mode = ReplyMode::On;
                false
            }
        }
    }

    /// Dispatches one request.
    pub async fn dispatch(&mut self, conn: &mut Conn, argv: &[Bytes]) {
        let skip = self.reply_skip(conn);
        let table = &self.worker.shared.table;
        let (spec, id) = match lookup_cached(table, argv, &mut self.last_name) {
            Ok(found) => found,
            Err((e, id)) => {
                if let Some(m) = conn.multi.as_mut() {
                    m.failed = true;
                }
                self.reject(conn, id, &e, skip);
                return;
            }
        };
        if !conn.authed
            && !spec.flags.contains(ferrite_commands::Flags::NO_AUTH)
            && crate::cmd::connection::auth_required(self, conn)
        {
            if let Some(m) = conn.multi.as_mut() {
                m.failed = true;
            }
            let e = CmdError::other("NOAUTH Authentication required.");
            self.reject(conn, Some(id), &e, skip);
            return;
        }
        if let Exec::Runtime(ferrite_commands::RuntimeCmd::Debug) = spec.exec {
            if !crate::cmd::server::debug_allowed(self, conn) {
                if let Some(m) = conn.multi.as_mut() {
                    m.failed = true;
                }
                let e = CmdError::other(crate::cmd::server::DEBUG_NOT_ALLOWED);
                self.reject(conn, Some(id), &e, skip);
                return;
            }
        }
        // ACL: one load for users allowed everything (the default user).
        if !conn.user.is_open() && crate::acl::refused(self, conn, spec, argv, skip) {
            return;
        }
        conn.last_cmd = spec.name;
        if self.worker.shared.scripts.busy.load(Ordering::Relaxed) > 0
            && !spec.flags.contains(Flags::ALLOW_BUSY)
        {
            // A script runs past busy-reply-threshold: only what may stop
            // it (or the server) is served. As Redis rejects a command: a
            // transaction being queued fails, and EXEC aborts it.
            let text = self.worker.shared.scripts.busy_text();
            let is_exec = matches!(spec.exec, Exec::Runtime(ferrite_commands::RuntimeCmd::Exec));
            let err = if is_exec {
                if conn.multi.take().is_some() {
                    crate::multi::note_multi(conn);
                    crate::multi::unwatch_all(self, conn);
                }
                CmdError::other(format!(
                    "EXECABORT Transaction discarded because of: {text}"
                ))
            } else {
                if let Some(m) = conn.multi.as_mut() {
                    m.failed = true;
                }
                CmdError::other(text)
            };
            self.reject(conn, Some(id), &err, skip);
            return;
        }
        let armed = crate::evict::armed(&self.worker.shard.borrow());
        if armed && crate::evict::refused_at_dispatch(self, conn, spec, skip) {
            return;
        }
        if conn.subs.is_some() && !conn.resp3 && !crate::pubsub::allowed_when_subscribed(spec) {
            // RESP2 subscriber mode (RESP3 clients may run anything).
            let reason = format!(
                "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                spec.name
            );
            let is_exec = matches!(spec.exec, Exec::Runtime(ferrite_commands::RuntimeCmd::Exec));
            let text = match conn.multi.as_mut() {
                Some(_) if is_exec => {
                    conn.multi = None;
                    crate::multi::note_multi(conn);
                    crate::multi::unwatch_all(self, conn);
                    format!("EXECABORT Transaction discarded because of: {reason}")
                }
                Some(m) => {
                    m.failed = true;
                    format!("ERR {reason}")
                }
                None => format!("ERR {reason}"),
            };
            self.reject(conn, Some(id), &CmdError::other(text), skip);
            return;
        }
        if let Some(m) = conn.multi.as_mut() {
            if !crate::multi::runs_in_multi(spec) {
                m.push(spec, argv);
                crate::multi::note_multi(conn);
                let start = self.out_len();
                Writer::new(self.out(), conn.resp3).simple(b"QUEUED");
                self.end_local(start, skip);
                return;
            }
        }
        if self.worker.shared.pause.is_active() {
            self.wait_pause(conn, spec).await;
        }
        if let Exec::Runtime(ferrite_commands::RuntimeCmd::Exec) = spec.exec {
            let t0 = crate::clock::now();
            let start = self.out_len();
            crate::multi::exec(self, conn, skip).await;
            self.record_here(conn, id, argv, t0, start);
            // Shown after the commands it ran, as Redis 7.0 shows it.
            if self.worker.shared.monitors.any() {
                self.feed_monitors(conn, spec, argv, false);
            }
        } else {
            self.run_spec(conn, spec, id, argv, skip).await;
        }
        // CLIENT CACHING decides for the one command after it.
        if conn.caching.is_some() && spec.name != "client|caching" {
            conn.caching = None;
        }
    }

    /// Runs a looked-up command (the dispatch of one request, or one
    /// command of a transaction, after the checks).
    pub(crate) async fn run_spec(
        &mut self,
        conn: &mut Conn,
        spec: &'static CommandSpec,
        id: usize,
        argv: &[Bytes],
        skip: bool,
    ) {
        self.run_spec_inner(conn, spec, id, argv, skip).await;
        // Monitors see a command once it ran (scripts show themselves
        // before they run, as in Redis 7.0).
        if self.worker.shared.monitors.any() && !is_script(spec) {
            self.feed_monitors(conn, spec, argv, false);
        }
    }

    async fn run_spec_inner(
        &mut self,
        conn: &mut Conn,
        spec: &'static CommandSpec,
        id: usize,
        argv: &[Bytes],
        skip: bool,
    ) {
        match spec.exec {
            // In a transaction a blocking command answers as its
            // non-blocking form (the keyed path never waits).
            Exec::Keyed(h) if spec.flags.contains(Flags::BLOCKING) && self.held.is_none() => {
                // Earlier replies first: the command may wait.
                self.flush().await;
                match crate::blocking::attempt(self, conn, spec, id, h, argv, skip).await {
                    crate::blocking::Attempt::Reply(bytes) => {
                        if !skip {
                            self.wbuf.extend_from_slice(&bytes);
                        }
                    }
                    crate::blocking::Attempt::Wait(p) => self.blocked = Some(p),
                }
                self.now_ms = Shared::now_ms();
            }
            Exec::Keyed(h) => self.keyed(conn, spec, id, h, argv, skip).await,
            // Scripts are frequent: their own small path, not the big
            // runtime-command future.
            Exec::Runtime(
                c @ (ferrite_commands::RuntimeCmd::Eval | ferrite_commands::RuntimeCmd::Fcall),
            ) => {
                if self.worker.shared.monitors.any() {
                    self.feed_monitors(conn, spec, argv, true);
                }
                let t0 = crate::clock::now();
                let start = self.out_len();
                let res = if matches!(c, ferrite_commands::RuntimeCmd::Eval) {
                    crate::script::eval(self, conn, spec, argv).await
                } else {
                    crate::function::fcall(self, conn, spec, argv).await
                };
                self.worker.shard.borrow_mut().commands_processed += 1;
                if let Err(e) = res {
                    self.error(conn, &e);
                }
                self.record_here(conn, id, argv, t0, start);
                self.end_local(start, skip);
            }
            Exec::Runtime(c) => {
                if crate::cmd::is_barrier(c) {
                    self.flush().await;
                }
                let t0 = crate::clock::now();
                let start = self.out_len();
                let res = crate::cmd::run(self, conn, spec, c, argv).await;
                if crate::cmd::is_barrier(c) {
                    // It waited on other shards: later commands see the time anew.
                    self.now_ms = Shared::now_ms();
                }
                // Counted after it ran, as Redis does: INFO does not count itself.
                self.worker.shard.borrow_mut().commands_processed += 1;
                if let Err(e) = res {
                    self.error(conn, &e);
                }
                self.record_here(conn, id, argv, t0, start);
                // The command may have changed the mode: CLIENT REPLY ON and
                // RESET get their own reply through, a new OFF or SKIP only
                // affects what follows (and writes no reply itself).
                let skip = matches!(conn.reply_mode, ReplyMode::Off | ReplyMode::SkipThis);
                self.end_local(start, skip);
            }
            Exec::Container => {
                let start = self.out_len();
                self.error(conn, &CmdError::other("ERR unknown command"));
                self.end_local(start, skip);
            }
        }
    }

    async fn keyed(
        &mut self,
        conn: &mut Conn,
        spec: &'static CommandSpec,
        id: usize,
        h: Handler,
        argv: &[Bytes],
        skip: bool,
    ) {
        let nshards = self.worker.shared.nshards;
        let me = self.worker.id;
        let target = if nshards == 1 {
            Some(0)
        } else {
            self.keypos.clear();
            spec.key_positions(argv, &mut self.keypos);
            let mut target: Option<usize> = None;
            // Keys read through patterns (SORT ... BY w_*) may be on any shard.
            let mut multi = spec.lookups_for(argv).is_some();
            for &p in &self.keypos {
                let s = shard_of(&argv[p], nshards);
                match target {
                    None => target = Some(s),
                    Some(t) if t != s => multi = true,
                    _ => {}
                }
            }
            if multi {
                None
            } else {
                Some(target.unwrap_or(me))
            }
        };
        // A tracking client's read: its keys are remembered where they live.
        let track = (spec.flags.contains(Flags::READONLY) && crate::tracking::tracks_reads(conn))
            .then(|| {
                let mut pos = Vec::new();
                spec.key_positions(argv, &mut pos);
                pos
            });
        match target {
            Some(s) if s == me && self.batches[me].is_none() && self.may_run_inline() => {
                let start = self.out_len();
                let resp3 = conn.resp3;
                let db = conn.db;
                let worker = self.worker.clone();
                let mut shard = worker.shard.borrow_mut();
                shard.current_client = conn.id;
                shard.no_touch = conn.no_touch;
                let now = self.now_ms;
                shard.journal_ord = self.journal_ord;
                let out = self.out();
                run_handler(&mut shard, id, h, argv, db, resp3, out, now);
                shard.journal_ord = 0;
                if let Some(pos) = &track {
                    crate::tracking::remember(
                        &mut shard,
                        conn.id,
                        pos.iter().filter_map(|&p| argv.get(p)).map(|k| &k[..]),
                    );
                }
                drop(shard);
                self.end_local(start, skip);
            }
            Some(s) => {
                let b = self.batches[s].get_or_insert_with(RemoteBatch::default);
                b.client = conn.id;
                b.no_touch = conn.no_touch;
                let begin = b.args.len();
                b.args.extend(argv.iter().cloned());
                let idx = b.items.len();
                b.items.push(Item {
                    args: begin..b.args.len(),
                    h,
                    id,
                    db: conn.db,
                    resp3: conn.resp3,
                    track,
                    ord: self.journal_ord,
                });
                if self.outstanding == 0 {
                    // Replies so far are in wbuf; later local replies go to `side`.
                    self.side.clear();
                }
                self.outstanding += 1;
                self.slots.push(Slot::Remote {
                    shard: s,
                    idx,
                    skip,
                });
            }
            None => {
                self.flush().await;
                self.worker.shard.borrow_mut().multi_shard_commands += 1;
                let t0 = crate::clock::now();
                let start = self.out_len();
                let keys: Vec<usize> = self.keypos.clone();
                let res = crate::coord::run_multi(
                    &self.worker,
                    spec,
                    h,
                    argv,
                    &keys,
                    conn.db,
                    conn.resp3,
                    self.held_tx(),
                    crate::coord::Caller {
                        client: conn.id,
                        track: track.is_some(),
                        no_touch: conn.no_touch,
                        ord: self.journal_ord,
                    },
                )
                .await;
                match res {
                    Ok((bytes, None)) => {
                        if bytes.first() == Some(&b'-') {
                            // The handler's error, counted by code.
                            self.count_error(&bytes);
                        }
                        self.out().extend_from_slice(&bytes)
                    }
                    Ok((_, Some(b))) => b.null_reply(&mut Writer::new(self.out(), conn.resp3)),
                    Err(e) => self.error(conn, &e),
                }
                self.record_here(conn, id, argv, t0, start);
                self.end_local(start, skip);
            }
        }
    }

    /// True when a command for this thread's shard may run inline: the
    /// shard is not locked, or locked by this session's transaction.
    pub(crate) fn may_run_inline(&self) -> bool {
        match self.worker.shard.borrow().lock_owner() {
            None => true,
            Some(tx) => Some(tx) == self.held_tx(),
        }
    }

    /// For a subscriber: writes the pending replies and every message its
    /// mailbox holds, until the mailbox is empty. A write that stalls (the
    /// client does not read) gives way when the mailbox passes its output
    /// limit. False if the connection must close.
    pub async fn deliver<S: ClientStream>(&mut self, stream: &mut S, conn: &Conn) -> bool {
        let mb = conn.info.mailbox.clone();
        if !mb.is_active() {
            return self.write_pending(stream).await;
        }
        let limit = self.worker.shared.pubsub.limit();
        loop {
            if mb.is_over() {
                return false;
            }
            let n = mb.drain_into(&mut self.wbuf);
            if self.wbuf.is_empty() {
                return true;
            }
            let mut pos = 0;
            while pos < self.wbuf.len() {
                tokio::select! {
                    r = stream.write(&self.wbuf[pos..]) => match r {
                        Ok(0) | Err(_) => return false,
                        Ok(k) => pos += k,
                    },
                    _ = mb.notify.notified() => {
                        if mb.is_over() {
                            return false;
                        }
                    }
                }
            }
            self.sent();
            mb.written(n, limit);
        }
    }

    /// [`Session::write_pending`] under `client-output-buffer-limit normal`:
    /// replies past the hard limit close the client at once; past the soft
    /// limit, a client that has not taken them within the soft seconds is
    /// closed, as Redis closes a client whose output buffer stays over it.
    /// False if the connection must close.
    pub async fn write_limited<S: ClientStream>(&mut self, stream: &mut S, client: u64) -> bool {
        let [hard, soft, secs] = &self.worker.shared.obuf_normal;
        let (hard, soft) = (hard.load(Ordering::Relaxed), soft.load(Ordering::Relaxed));
        // As Redis counts it: what does not fit its 16 KiB reply buffer.
        let len = (self.wbuf.len() as u64).saturating_sub(REPLY_BUFFER_BYTES);
        if hard != 0 && len > hard {
            tracing::warn!(
                client,
                bytes = len,
                "Client scheduled to be closed ASAP for overcoming of output buffer limits."
            );
            return false;
        }
        if soft != 0 && len > soft {
            let limit = std::time::Duration::from_secs(secs.load(Ordering::Relaxed));
            return match tokio::time::timeout(limit, self.write_pending(stream)).await {
                Ok(ok) => ok,
                Err(_) => {
                    tracing::warn!(
                        client,
                        bytes = len,
                        "Client scheduled to be closed ASAP for overcoming of output buffer limits."
                    );
                    false
                }
            };
        }
        self.write_pending(stream).await
    }

    /// Writes the replies gathered so far to the socket. False if the
    /// client is gone.
    pub async fn write_pending<S: ClientStream>(&mut self, stream: &mut S) -> bool {
        if self.wbuf.is_empty() {
            return true;
        }
        // The journal reaches the file (and, with `appendfsync always`, the
        // disk) before the replies that acknowledge its writes leave.
        if self.worker.shared.journal.is_on() {
            let journal = self.worker.shared.journal.clone();
            journal.settle().await;
        }
        if stream.write_all(&self.wbuf).await.is_err() {
            return false;
        }
        self.sent();
        true
    }

    /// The output buffer reached the socket: counts it and empties it
    /// (giving back a buffer a large reply grew).
    fn sent(&mut self) {
        let stats = &self.worker.shared.stats;
        stats
            .total_net_output_bytes
            .fetch_add(self.wbuf.len() as u64, Ordering::Relaxed);
        stats.total_writes_processed.fetch_add(1, Ordering::Relaxed);
        self.wbuf.clear();
        if self.wbuf.capacity() > 1024 * 1024 {
            self.wbuf = BytesMut::with_capacity(16 * 1024);
            stats.reply_buffer_shrinks.fetch_add(1, Ordering::Relaxed);
        } else if self.wbuf.capacity() > self.wbuf_cap {
            stats.reply_buffer_expands.fetch_add(1, Ordering::Relaxed);
        }
        self.wbuf_cap = self.wbuf.capacity();
    }

    /// Sends the batched requests, waits for their replies and assembles all
    /// replies of the batch in request order into `wbuf`.
    pub async fn flush(&mut self) {
        if self.outstanding == 0 {
            return;
        }
        let shared = self.worker.shared.clone();
        let held = self.held_tx();
        let mut waits: Vec<(usize, oneshot::Receiver<RemoteReplies>)> = Vec::new();
        for (s, slot) in self.batches.iter_mut().enumerate() {
            if let Some(batch) = slot.take() {
                let (tx, rx) = oneshot::channel();
                let f = Box::new(move |shard: &mut Shard| {
                    let now = Shared::now_ms();
                    let mut buf = BytesMut::new();
                    let mut ends = Vec::with_capacity(batch.items.len());
                    let before = shard.dirty;
                    shard.current_client = batch.client;
                    shard.no_touch = batch.no_touch;
                    for item in &batch.items {
                        let argv = &batch.args[item.args.clone()];
                        shard.journal_ord = item.ord;
                        run_handler(
                            shard, item.id, item.h, argv, item.db, item.resp3, &mut buf, now,
                        );
                        if let Some(pos) = &item.track {
                            crate::tracking::remember(
                                shard,
                                batch.client,
                                pos.iter().filter_map(|&p| argv.get(p)).map(|k| &k[..]),
                            );
                        }
                        ends.push(buf.len());
                    }
                    shard.journal_ord = 0;
                    let dirty = shard.dirty - before;
                    let cap = buf.capacity();
                    crate::alloc::hand_over(cap);
                    let _ = tx.send(RemoteReplies {
                        cap,
                        buf: buf.freeze(),
                        ends,
                        dirty,
                    });
                });
                let _ = shared.inbox(s).send(ShardMsg::Run { tx: held, f });
                waits.push((s, rx));
                self.worker.shard.borrow_mut().hops_out += 1;
            }
        }
        let mut replies: Vec<Option<RemoteReplies>> =
            (0..self.batches.len()).map(|_| None).collect();
        for (s, rx) in waits {
            replies[s] = rx.await.ok();
        }
        for rep in replies.iter().flatten() {
            crate::alloc::take_over(rep.cap);
        }
        for slot in self.slots.drain(..) {
            match slot {
                Slot::Local(r) => self.wbuf.extend_from_slice(&self.side[r]),
                Slot::Remote { shard, idx, skip } => {
                    let Some(rep) = replies[shard].as_ref() else {
                        if !skip {
                            self.wbuf.extend_from_slice(
                                b"-ERR shard unavailable (server shutting down)\r\n",
                            );
                        }
                        continue;
                    };
                    let start = if idx == 0 { 0 } else { rep.ends[idx - 1] };
                    if !skip {
                        self.wbuf.extend_from_slice(&rep.buf[start..rep.ends[idx]]);
                    }
                    let _ = rep.dirty;
                }
            }
        }
        self.side.clear();
        self.outstanding = 0;
        // The batch waited on other shards: later commands see the time anew.
        self.now_ms = Shared::now_ms();
    }
}

/// EVAL, FCALL and their variants.
fn is_script(spec: &CommandSpec) -> bool {
    matches!(
        spec.exec,
        Exec::Runtime(ferrite_commands::RuntimeCmd::Eval | ferrite_commands::RuntimeCmd::Fcall)
    )
}

/// Looks up the command (and subcommand) and checks the arity.
pub fn lookup(
    table: &ferrite_commands::CommandTable,
    argv: &[Bytes],
) -> Result<&'static CommandSpec, CmdError> {
    lookup_cached(table, argv, &mut NameCache::default())
        .map(|(spec, _)| spec)
        .map_err(|(e, _)| e)
}

/// [`lookup`], remembering the top-level row of the last name in `cache`,
/// with the row's number. A refused lookup gives the row it found, if any
/// (a wrong arity is a rejected call of that command).
fn lookup_cached(
    table: &ferrite_commands::CommandTable,
    argv: &[Bytes],
    cache: &mut NameCache,
) -> Result<(&'static CommandSpec, usize), (CmdError, Option<usize>)> {
    let name = argv.first().map(|b| &b[..]).unwrap_or(&[]);
    let (spec, id) = match cache.get(name) {
        Some(found) => found,
        None => {
            let Some(spec) = table.get(name) else {
                return Err((unknown_command(argv), None));
            };
            let id = table.id_of(spec);
            cache.put(name, spec, id);
            (spec, id)
        }
    };
    let (spec, id) = if let Exec::Container = spec.exec {
        if argv.len() < 2 {
            return Err((CmdError::wrong_arity(spec.name.as_bytes()), Some(id)));
        }
        match spec.subcommand(&argv[1]) {
            Some(sub) => (sub, table.id_of(sub)),
            None => {
                return Err((
                    CmdError::other(format!(
                        "ERR unknown subcommand '{}'. Try {} HELP.",
                        truncate_lossy(&argv[1], 128),
                        spec.name.to_ascii_uppercase()
                    )),
                    None,
                ))
            }
        }
    } else {
        (spec, id)
    };
    if !spec.arity_ok(argv.len()) {
        return Err((CmdError::wrong_arity(spec.name.as_bytes()), Some(id)));
    }
    Ok((spec, id))
}

fn truncate_lossy(b: &[u8], max: usize) -> String {
    let b = &b[..b.len().min(max)];
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// Redis's unknown-command error, quoting up to about 128 bytes of arguments.
pub fn unknown_command(argv: &[Bytes]) -> CmdError {
    let name = argv.first().map(|b| &b[..]).unwrap_or(&[]);
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&truncate_lossy(a, room));
        args.push_str("' ");
    }
    CmdError {
        kind: ferrite_commands::ErrorKind::UnknownCommand(format!(
            "ERR unknown command '{}', with args beginning with: {}",
            truncate_lossy(name, 128),
            args
        )),
    }
}

/// Runs one keyed handler against a shard and writes its reply (or error)
/// to `out`. A blocking command that finds nothing answers as its
/// non-blocking form does ([`Block::null_reply`]): this path never waits.
#[allow(clippy::too_many_arguments)]
pub fn run_handler(
    shard: &mut Shard,
    id: usize,
    h: Handler,
    argv: &[Bytes],
    db: usize,
    resp3: bool,
    out: &mut BytesMut,
    now: u64,
) {
    if let Some(b) = run_handler_may_block(shard, id, h, argv, db, resp3, out, now) {
        b.null_reply(&mut Writer::new(out, resp3));
    }
}

/// [`run_handler`] for a blocking command's first attempt: when the
/// handler found nothing, nothing is written and its [`Block`] is returned.
#[allow(clippy::too_many_arguments)]
pub fn run_handler_may_block(
    shard: &mut Shard,
    id: usize,
    h: Handler,
    argv: &[Bytes],
    db: usize,
    resp3: bool,
    out: &mut BytesMut,
    now: u64,
) -> Option<Block> {
    let Shard {
        dbs,
        stats,
        settings,
        no_touch,
        journaling,
        ..
    } = shard;
    let t0 = crate::clock::now();
    let mut ctx = Ctx::new(dbs, db, now, out, resp3, settings, stats);
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
        // A failed (or panicked) command publishes nothing.
        events.clear();
    }
    // A blocking command that waits is counted when it is served.
    if block.is_none() {
        let client = shard.current_client;
        crate::observe::record(shard, id, client, argv, ns, failed);
    }
    crate::notify::after_command(shard, dirty > 0, events, effect);
    shard.dirty += dirty;
    shard.commands_processed += 1;
    if !shard.serve_deferred {
        crate::blocking::serve_ready(shard);
    }
    block
}
