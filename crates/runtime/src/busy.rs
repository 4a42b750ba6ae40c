//! Answering the busy thread's own connections while its script runs.
//!
//! A script running inline on a shard's thread holds that thread: the
//! connections it accepted cannot run until the script returns. Once the
//! script is past `busy-reply-threshold`, Redis answers its clients from
//! inside the script (processEventsWhileBlocked); this module does the same
//! from the Lua hook ([`serve_while_busy`], every [`EVERY`] of script time).
//!
//! Only a connection waiting for its next request with nothing buffered is
//! touched: it registers a [`Slot`] and, while it awaits the socket, marks it
//! idle ([`idle_read`]). The hook then polls the idle sockets without
//! blocking, reads what arrived, answers each complete request as Redis does
//! during a busy script (`-BUSY`, errors of unknown commands, bad arities
//! and protocol errors, SCRIPT KILL, FUNCTION KILL, SHUTDOWN, QUIT, MULTI,
//! DISCARD, EXEC's EXECABORT) and writes the
//! replies without blocking. Whatever it cannot finish is handed back: an
//! incomplete request, the requests from the first one it leaves to the
//! connection (AUTH, HELLO, WATCH, ... that need the connection's state) on,
//! replies the socket did not take, what the replies did to the
//! transaction. The connection takes all of that first when it runs
//! again ([`resume`]), so replies keep their order.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::os::fd::RawFd;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferrite_commands::{CmdError, Exec, Flags, RuntimeCmd};
use ferrite_protocol::{Limits, RequestDecoder, Writer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clients::ClientInfo;
use crate::conn::{ClientStream, Conn, Session};
use crate::server::Shared;

/// How often, in script time, the hook serves the thread's connections.
pub(crate) const EVERY: Duration = Duration::from_millis(10);
/// Input held per connection: past it the hook stops reading that socket
/// (the client then waits for the script, as it would without the hook).
const MAX_INPUT: usize = 1 << 20;
/// Unwritten replies past which the hook stops reading a connection.
const MAX_OUT: usize = 1 << 20;
/// Bytes asked of `read(2)` at a time.
const READ_CHUNK: usize = 16 * 1024;

/// [`Slot::state`]: the connection awaits its socket with nothing buffered.
pub(crate) const IDLE: u8 = 1;
/// [`Slot::state`]: ... inside MULTI.
pub(crate) const MULTI: u8 = 2;

/// What one of the hook's replies did to the connection's transaction,
/// for the connection to do in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxOp {
    /// MULTI started one.
    Begin,
    /// A command was refused while queueing: EXEC will abort.
    Fail,
    /// DISCARD, or a refused EXEC, ended it (and its WATCHes).
    Discard,
}

/// What the hook leaves to the connection.
#[derive(Default)]
struct Handed {
    /// Request bytes read and not answered, in order.
    input: BytesMut,
    /// Replies the socket did not take yet.
    out: BytesMut,
    /// What the replies did to the transaction, in order.
    tx: Vec<TxOp>,
    /// Close once `out` is written (QUIT, SHUTDOWN).
    close: bool,
    /// The hook answers no more of this connection's requests (the first
    /// one of `input` is the connection's to run).
    held: bool,
    /// The socket gave end of file or an error.
    eof: bool,
    /// Its sending side is shut down (after `close`).
    shut: bool,
}

impl Handed {
    /// Whether the connection has something to take.
    fn any(&self) -> bool {
        !self.input.is_empty()
            || !self.out.is_empty()
            || !self.tx.is_empty()
            || self.close
            || self.held
            || self.eof
    }
}

/// A plain TCP connection of this thread, as the hook sees it.
pub(crate) struct Slot {
    fd: RawFd,
    info: Arc<ClientInfo>,
    /// 0, or [`IDLE`] with [`MULTI`] when the connection is in a
    /// transaction: set only while the connection awaits its socket.
    state: Cell<u8>,
    /// Set when `handed` holds something: the waiting read then ends.
    pending: Cell<bool>,
    /// The waiting read's waker.
    waker: RefCell<Option<Waker>>,
    handed: RefCell<Handed>,
}

thread_local! {
    /// This thread's connections that the hook may serve.
    static SLOTS: RefCell<Vec<Rc<Slot>>> = const { RefCell::new(Vec::new()) };
    /// When the hook serves them next.
    static NEXT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// A connection's registration; dropping it unregisters the connection.
pub(crate) struct Registration(Rc<Slot>);

impl Drop for Registration {
    fn drop(&mut self) {
        // Neither can fail (connections close outside the hook, before the
        // thread ends); a failure must not panic in a drop.
        let _ = SLOTS.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if let Some(i) = s.iter().position(|x| Rc::ptr_eq(x, &self.0)) {
                    s.swap_remove(i);
                }
            }
        });
    }
}

/// Registers a plain TCP connection of this thread (never a TLS one: its
/// bytes are not requests) whose socket is `fd`.
pub(crate) fn register(fd: RawFd, info: Arc<ClientInfo>) -> Registration {
    let slot = Rc::new(Slot {
        fd,
        info,
        state: Cell::new(0),
        pending: Cell::new(false),
        waker: RefCell::new(None),
        handed: RefCell::new(Handed::default()),
    });
    SLOTS.with(|s| s.borrow_mut().push(slot.clone()));
    Registration(slot)
}

/// What the hook may do for `conn` while it awaits its socket with an empty
/// buffer: 0 (leave it alone) when its requests need more than the hook
/// knows (not authenticated, an ACL user with limits, CLIENT REPLY OFF).
pub(crate) fn idle_state(conn: &Conn) -> u8 {
    if !conn.authed || !conn.user.is_open() || conn.reply_mode != crate::conn::ReplyMode::On {
        return 0;
    }
    if conn.multi.is_some() {
        IDLE | MULTI
    } else {
        IDLE
    }
}

/// `stream.read_buf(rbuf)` with the connection open to the hook meanwhile
/// (as `state` says). None: the hook handed something over (see
/// [`resume`]); nothing was read from the stream then.
pub(crate) async fn idle_read<S: ClientStream>(
    reg: &Registration,
    state: u8,
    stream: &mut S,
    rbuf: &mut BytesMut,
) -> Option<std::io::Result<usize>> {
    let slot = &*reg.0;
    slot.state.set(state);
    let mut read = pin!(stream.read_buf(rbuf));
    let r = poll_fn(|cx| {
        if slot.pending.get() {
            return Poll::Ready(None);
        }
        {
            let mut w = slot.waker.borrow_mut();
            if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *w = Some(cx.waker().clone());
            }
        }
        read.as_mut().poll(cx).map(Some)
    })
    .await;
    slot.state.set(0);
    r
}

/// Takes what the hook handed over after [`idle_read`] gave None: writes
/// the replies, applies what they did to the transaction and puts the
/// unanswered request bytes into the empty `rbuf`. False: close the
/// connection.
pub(crate) async fn resume<S: ClientStream>(
    reg: &Registration,
    stream: &mut S,
    rbuf: &mut BytesMut,
    session: &Session,
    conn: &mut Conn,
) -> bool {
    let slot = &*reg.0;
    slot.pending.set(false);
    let h = std::mem::take(&mut *slot.handed.borrow_mut());
    if !h.out.is_empty() {
        if stream.write_all(&h.out).await.is_err() {
            return false;
        }
        session
            .worker
            .shared
            .stats
            .total_net_output_bytes
            .fetch_add(h.out.len() as u64, Ordering::Relaxed);
    }
    for op in h.tx {
        match op {
            TxOp::Begin => {
                conn.multi = Some(Default::default());
                crate::multi::note_multi(conn);
            }
            TxOp::Fail => {
                if let Some(m) = conn.multi.as_mut() {
                    m.failed = true;
                }
            }
            TxOp::Discard => {
                conn.multi = None;
                crate::multi::note_multi(conn);
                crate::multi::unwatch_all(session, conn);
            }
        }
    }
    if h.close {
        return false;
    }
    rbuf.extend_from_slice(&h.input);
    true
}

/// Called from the Lua hook of a script that is past the busy threshold on
/// this thread: every [`EVERY`], answers the idle connections.
pub(crate) fn serve_while_busy(shared: &Shared) {
    let now = Instant::now();
    if NEXT.with(|n| n.get().is_some_and(|next| now < next)) {
        return;
    }
    NEXT.with(|n| n.set(Some(now + EVERY)));
    SLOTS.with(|slots| {
        let Ok(slots) = slots.try_borrow() else {
            return;
        };
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut polled: Vec<&Slot> = Vec::new();
        for slot in slots.iter() {
            if slot.state.get() & IDLE == 0 || slot.info.killed.load(Ordering::Relaxed) {
                continue;
            }
            flush(slot);
            let h = slot.handed.borrow();
            if h.held || h.eof || h.close || h.out.len() > MAX_OUT || h.input.len() > MAX_INPUT {
                continue;
            }
            fds.push(libc::pollfd {
                fd: slot.fd,
                events: libc::POLLIN,
                revents: 0,
            });
            polled.push(slot);
        }
        if fds.is_empty() {
            return;
        }
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd records; a
        // zero timeout never blocks.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
        if n <= 0 {
            return;
        }
        for (pfd, slot) in fds.iter().zip(polled) {
            if pfd.revents != 0 {
                serve(shared, slot);
            }
        }
    });
}

/// Reads what `slot`'s socket has, answers the complete requests and writes
/// the replies.
fn serve(shared: &Shared, slot: &Slot) {
    let mut h = slot.handed.borrow_mut();
    if read_into(slot.fd, &mut h) > 0 {
        slot.info.touch();
        shared
            .stats
            .total_reads_processed
            .fetch_add(1, Ordering::Relaxed);
    }
    // Bytes handed back are counted by the connection when it takes them.
    let consumed = answer(shared, slot.state.get() & MULTI != 0, &mut h);
    shared
        .stats
        .total_net_input_bytes
        .fetch_add(consumed as u64, Ordering::Relaxed);
    let any = h.any();
    drop(h);
    flush(slot);
    if any {
        slot.pending.set(true);
        if let Some(w) = slot.waker.borrow().as_ref() {
            w.wake_by_ref();
        }
    }
}

/// Reads the socket until it has nothing more (or the input is full);
/// returns the bytes read.
fn read_into(fd: RawFd, h: &mut Handed) -> usize {
    let mut total = 0;
    while h.input.len() < MAX_INPUT {
        h.input.reserve(READ_CHUNK);
        let spare = h.input.spare_capacity_mut();
        // SAFETY: `spare` is writable memory of `spare.len()` bytes owned by
        // `h.input`; `fd` is the open socket of a connection still
        // registered (it unregisters before closing it).
        let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), spare.len()) };
        match n {
            0 => {
                h.eof = true;
                break;
            }
            n if n > 0 => {
                // SAFETY: read(2) initialised the first `n` spare bytes.
                unsafe { h.input.advance_mut(n as usize) };
                total += n as usize;
            }
            _ => {
                let e = std::io::Error::last_os_error();
                match e.kind() {
                    std::io::ErrorKind::WouldBlock => break,
                    std::io::ErrorKind::Interrupted => continue,
                    _ => {
                        h.eof = true;
                        break;
                    }
                }
            }
        }
    }
    total
}

/// Writes what the socket takes of the unwritten replies.
fn flush(slot: &Slot) {
    let mut h = slot.handed.borrow_mut();
    while !h.out.is_empty() {
        // SAFETY: `h.out` is readable for its length; MSG_NOSIGNAL turns a
        // closed peer into EPIPE rather than a signal.
        let n = unsafe {
            libc::send(
                slot.fd,
                h.out.as_ptr().cast(),
                h.out.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n > 0 {
            h.out.advance(n as usize);
            continue;
        }
        if n == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        match e.kind() {
            std::io::ErrorKind::Interrupted => continue,
            std::io::ErrorKind::WouldBlock => break,
            _ => {
                // The peer is gone: the connection finds out on its own.
                h.out.clear();
                h.eof = true;
                break;
            }
        }
    }
    if h.close && h.out.is_empty() && !h.shut {
        // The client sees the end of the connection at once, as Redis
        // closes it; the connection closes the socket when it runs again.
        h.shut = true;
        // SAFETY: `fd` is the registered connection's open socket.
        unsafe { libc::shutdown(slot.fd, libc::SHUT_WR) };
    }
}

/// What the hook does with one request.
enum Answer {
    /// Replied.
    Done,
    /// Replied; the connection closes after the reply (nothing after it is
    /// read).
    Close,
    /// Left, with the requests after it, to the connection.
    Leave,
}

/// Answers the complete requests at the front of `h.input`, stopping at
/// the first one left to the connection; returns the bytes consumed.
fn answer(shared: &Shared, multi: bool, h: &mut Handed) -> usize {
    if h.held || h.close {
        return 0;
    }
    let limits = Limits {
        max_bulk_len: shared
            .config
            .read()
            .map(|c| c.proto_max_bulk_len)
            .unwrap_or(512 * 1024 * 1024),
        authenticated: true,
        ..Limits::default()
    };
    let mut in_tx = match h.tx.last() {
        None => multi,
        Some(op) => *op != TxOp::Discard,
    };
    // Decoded from a copy: a request left to the connection must stay in
    // `h.input` whole.
    let mut work = h.input.clone();
    let mut decoder = RequestDecoder::new();
    let mut args: Vec<Bytes> = Vec::new();
    let mut answered = 0;
    loop {
        let before = work.len();
        args.clear();
        match decoder.decode(&mut work, &limits, &mut args) {
            Ok(None) => break,
            // Replied, then the connection closes (as it does itself).
            Err(e) => {
                Writer::new(&mut h.out, false).error(&e.reply_text());
                h.close = true;
                break;
            }
            Ok(Some(0)) => answered += before - work.len(),
            Ok(Some(_)) => match reply(shared, &args, &mut in_tx, h) {
                Answer::Done => answered += before - work.len(),
                Answer::Close => {
                    answered += before - work.len();
                    h.close = true;
                    break;
                }
                Answer::Leave => {
                    h.held = true;
                    break;
                }
            },
        }
    }
    h.input.advance(answered);
    if h.close {
        answered += h.input.len();
        h.input.clear();
    }
    answered
}

/// Answers one request as Redis answers it while a script is busy.
fn reply(shared: &Shared, argv: &[Bytes], in_tx: &mut bool, h: &mut Handed) -> Answer {
    let mut w = Writer::new(&mut h.out, false);
    let spec = match crate::conn::lookup(&shared.table, argv) {
        Ok(spec) => spec,
        Err(e) => {
            if *in_tx {
                fail(&mut h.tx);
            }
            w.error(e.to_string().as_bytes());
            return Answer::Done;
        }
    };
    let busy = shared.scripts.busy_text();
    if !spec.flags.contains(Flags::ALLOW_BUSY) {
        // EXEC gets EXECABORT (in a transaction or not, as in Redis 7.0)
        // and ends the transaction.
        if matches!(spec.exec, Exec::Runtime(RuntimeCmd::Exec)) {
            let text = format!("EXECABORT Transaction discarded because of: {busy}");
            w.error(text.as_bytes());
            if *in_tx {
                *in_tx = false;
                h.tx.push(TxOp::Discard);
            }
        } else {
            if *in_tx {
                fail(&mut h.tx);
            }
            w.error(busy.as_bytes());
        }
        return Answer::Done;
    }
    match (spec.name, *in_tx) {
        ("multi", false) => {
            *in_tx = true;
            h.tx.push(TxOp::Begin);
            w.simple(b"OK");
            return Answer::Done;
        }
        ("multi", true) => {
            w.error(b"ERR MULTI calls can not be nested");
            return Answer::Done;
        }
        ("discard", true) => {
            *in_tx = false;
            h.tx.push(TxOp::Discard);
            w.simple(b"OK");
            return Answer::Done;
        }
        ("discard", false) => {
            w.error(b"ERR DISCARD without MULTI");
            return Answer::Done;
        }
        // The other commands that may run during a busy script are queued
        // inside MULTI (or refused there): the connection's own dispatch
        // knows how.
        (_, true) => return Answer::Leave,
        _ => {}
    }
    let result = match spec.name {
        "script|kill" => crate::script::kill_runs(&shared.scripts, false),
        "function|kill" => crate::script::kill_runs(&shared.scripts, true),
        "quit" => {
            w.simple(b"OK");
            return Answer::Close;
        }
        "shutdown" => match shutdown(shared, argv) {
            Ok(()) => return Answer::Close,
            Err(e) => Err(e),
        },
        _ => return Answer::Leave,
    };
    match result {
        Ok(()) => w.simple(b"OK"),
        Err(e) => w.error(e.to_string().as_bytes()),
    }
    Answer::Done
}

/// Records a command refused inside MULTI (once in a row is enough).
fn fail(tx: &mut Vec<TxOp>) {
    if tx.last() != Some(&TxOp::Fail) {
        tx.push(TxOp::Fail);
    }
}

/// SHUTDOWN during a busy script: only NOSAVE stops the server (with no
/// reply); the other forms get Redis's errors.
fn shutdown(shared: &Shared, argv: &[Bytes]) -> Result<(), CmdError> {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    for a in argv.iter().skip(1) {
        let is = |k: &str| a.eq_ignore_ascii_case(k.as_bytes());
        if is("nosave") {
            nosave = true;
        } else if is("save") {
            save = true;
        } else if is("now") || is("force") {
            other = true;
        } else if is("abort") {
            abort = true;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    if (nosave && save) || (abort && (nosave || save || other)) {
        return Err(CmdError::SYNTAX);
    }
    if abort {
        return Err(CmdError::other("ERR No shutdown in progress."));
    }
    if !nosave {
        return Err(CmdError::other(shared.scripts.busy_text()));
    }
    tracing::warn!("user requested shutdown");
    shared.begin_shutdown();
    Ok(())
}
