//! CLIENT subcommands: ID, GETNAME, SETNAME, SETINFO, INFO, LIST, KILL,
//! REPLY, HELP.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use ferrite_commands::util::{arg, is};
use ferrite_commands::{CmdError, CmdResult, CommandSpec};
use ferrite_storage::num::parse_i64;

use crate::clients::{ClientInfo, ClientType, Live};
use crate::conn::{Conn, ReplyMode, Session};

/// Checks that a client attribute (name, library name or version) is made of
/// printable ASCII without spaces, so that CLIENT LIST stays splittable.
fn valid_attr(v: &[u8]) -> bool {
    v.iter().all(|c| (b'!'..=b'~').contains(c))
}

/// Checks a client name as Redis does: no spaces, newlines or other special characters.
pub fn validate_name(name: &[u8]) -> Result<(), CmdError> {
    if !valid_attr(name) {
        return Err(CmdError::other(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// CLIENT <subcommand> ...
pub async fn client(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let sub = spec.name.rsplit('|').next().unwrap_or("");
    match sub {
        "id" => s.writer(conn.resp3).int(conn.id as i64),
        "setname" => {
            let name = arg(argv, 2);
            validate_name(name)?;
            conn.info.set_name(name);
            s.writer(conn.resp3).simple(b"OK");
        }
        "getname" => {
            let name = conn.info.name();
            let mut w = s.writer(conn.resp3);
            if name.is_empty() {
                w.null();
            } else {
                w.bulk(&name);
            }
        }
        "setinfo" => setinfo(s, conn, argv)?,
        "info" => {
            let live = live(s, spec, argv);
            let mut out = Vec::with_capacity(320);
            conn.info.render(&mut out, Some(&live));
            out.push(b'\n');
            s.writer(conn.resp3).verbatim(b"txt", &out);
        }
        "list" => list(s, conn, spec, argv)?,
        "kill" => kill(s, conn, argv)?,
        "reply" => reply(s, conn, argv)?,
        "unblock" => unblock(s, conn, argv)?,
        "tracking" => crate::tracking::client_tracking(s, conn, argv).await?,
        "caching" => crate::tracking::client_caching(s, conn, argv)?,
        "getredir" => crate::tracking::client_getredir(s, conn)?,
        "trackinginfo" => crate::tracking::client_trackinginfo(s, conn)?,
        "pause" => pause(s, conn, argv)?,
        "unpause" => {
            s.worker.shared.pause.unpause();
            s.writer(conn.resp3).simple(b"OK");
        }
        "no-evict" => no_evict(s, conn, argv)?,
        "no-touch" => no_touch(s, conn, argv)?,
        "help" => help(s, conn),
        _ => {
            return Err(CmdError::other(format!(
                "ERR unknown subcommand '{}'. Try CLIENT HELP.",
                String::from_utf8_lossy(arg(argv, 1))
            )));
        }
    }
    Ok(())
}

/// The exact figures of the connection running CLIENT LIST / INFO.
fn live(s: &Session, spec: &'static CommandSpec, argv: &[Bytes]) -> Live {
    // The request as it sat in the query buffer, in RESP framing.
    fn digits(n: usize) -> usize {
        n.checked_ilog10().map_or(1, |d| d as usize + 1)
    }
    let argv_mem: usize = argv.iter().map(|a| a.len()).sum();
    let qbuf = 3
        + digits(argv.len())
        + argv
            .iter()
            .map(|a| 5 + digits(a.len()) + a.len())
            .sum::<usize>();
    Live {
        qbuf,
        argv_mem,
        obl: s.wbuf.len(),
        rbs: s.wbuf.capacity(),
        cmd: spec.name,
    }
}

/// CLIENT SETINFO <LIB-NAME|LIB-VER> value (Redis 7.2; redis-py sends it on connect).
fn setinfo(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let attr = arg(argv, 2);
    let value = arg(argv, 3);
    let lib_name = if is(attr, "lib-name") {
        true
    } else if is(attr, "lib-ver") {
        false
    } else {
        return Err(CmdError::other(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(attr)
        )));
    };
    if !valid_attr(value) {
        return Err(CmdError::other(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(attr)
        )));
    }
    if let Ok(mut lib) = conn.info.lib.lock() {
        let slot = if lib_name { &mut lib.0 } else { &mut lib.1 };
        slot.clear();
        slot.extend_from_slice(value);
    }
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Which clients CLIENT LIST shows.
enum ListFilter {
    All,
    Type(ClientType),
    Ids(Vec<i64>),
}

/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID id [id ...]]
fn list(s: &mut Session, conn: &mut Conn, spec: &'static CommandSpec, argv: &[Bytes]) -> CmdResult {
    let filter = match argv.get(2) {
        None => ListFilter::All,
        Some(opt) if is(opt, "type") && argv.len() == 4 => {
            ListFilter::Type(parse_type(arg(argv, 3))?)
        }
        Some(opt) if is(opt, "id") && argv.len() >= 4 => {
            let ids = argv
                .iter()
                .skip(3)
                .map(|a| parse_i64(a).ok_or_else(|| CmdError::other("ERR Invalid client ID")))
                .collect::<Result<Vec<i64>, CmdError>>()?;
            ListFilter::Ids(ids)
        }
        Some(_) => return Err(CmdError::SYNTAX),
    };
    let registry = &s.worker.shared.clients;
    let chosen: Vec<Arc<ClientInfo>> = match filter {
        ListFilter::All => registry.snapshot(),
        ListFilter::Type(t) => registry
            .snapshot()
            .into_iter()
            .filter(|c| c.client_type() == t)
            .collect(),
        // Listed in the order asked, repeats included, as Redis does.
        ListFilter::Ids(ids) => ids
            .into_iter()
            .filter_map(|id| u64::try_from(id).ok().and_then(|id| registry.get(id)))
            .collect(),
    };
    let live = live(s, spec, argv);
    let mut out = Vec::with_capacity(chosen.len() * 320);
    for c in &chosen {
        let own = (c.id == conn.id).then_some(&live);
        c.render(&mut out, own);
        out.push(b'\n');
    }
    s.writer(conn.resp3).verbatim(b"txt", &out);
    Ok(())
}

fn parse_type(name: &[u8]) -> Result<ClientType, CmdError> {
    ClientType::parse(name).ok_or_else(|| {
        CmdError::other(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(name)
        ))
    })
}

/// The filters of the new form of CLIENT KILL; every given one must match.
struct KillFilter<'a> {
    id: Option<u64>,
    ctype: Option<ClientType>,
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    /// Only connections older than this many seconds (MAXAGE, Redis 7.4).
    maxage: Option<u64>,
    skipme: bool,
}

impl KillFilter<'_> {
    fn matches(&self, c: &ClientInfo) -> bool {
        self.id.is_none_or(|id| c.id == id)
            && self.ctype.is_none_or(|t| c.client_type() == t)
            && self.addr.is_none_or(|a| c.addr_text.as_bytes() == a)
            && self.laddr.is_none_or(|a| c.laddr_text.as_bytes() == a)
            && self
                .maxage
                .is_none_or(|secs| c.created.elapsed().as_secs() > secs)
    }
}

/// CLIENT KILL ip:port | CLIENT KILL <filter> <value> [<filter> <value> ...]
fn kill(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let registry = &s.worker.shared.clients;
    if argv.len() == 3 {
        // The old form: one address, +OK or an error.
        let target = arg(argv, 2);
        let Some(c) = registry
            .snapshot()
            .into_iter()
            .find(|c| c.addr_text.as_bytes() == target)
        else {
            return Err(CmdError::other("ERR No such client"));
        };
        kill_one(conn, &c);
        s.writer(conn.resp3).simple(b"OK");
        return Ok(());
    }
    let mut f = KillFilter {
        id: None,
        ctype: None,
        addr: None,
        laddr: None,
        maxage: None,
        skipme: true,
    };
    let mut i = 2;
    while let Some(opt) = argv.get(i) {
        // Options come in pairs; a dangling or unknown one is a syntax error.
        let Some(value) = argv.get(i + 1) else {
            return Err(CmdError::SYNTAX);
        };
        if is(opt, "id") {
            let id = parse_i64(value)
                .filter(|&id| id > 0)
                .ok_or_else(|| CmdError::other("ERR client-id should be greater than 0"))?;
            f.id = Some(id as u64);
        } else if is(opt, "type") {
            f.ctype = Some(parse_type(value)?);
        } else if is(opt, "addr") {
            f.addr = Some(value);
        } else if is(opt, "laddr") {
            f.laddr = Some(value);
        } else if is(opt, "user") {
            // Only the default user exists, and every client is logged in as it.
            if &value[..] != b"default" {
                return Err(CmdError::other(format!(
                    "ERR No such user '{}'",
                    String::from_utf8_lossy(value)
                )));
            }
        } else if is(opt, "maxage") {
            let secs = parse_i64(value)
                .filter(|&n| n >= 0)
                .ok_or(CmdError::NOT_INTEGER)?;
            f.maxage = Some(secs as u64);
        } else if is(opt, "skipme") {
            f.skipme = if is(value, "yes") {
                true
            } else if is(value, "no") {
                false
            } else {
                return Err(CmdError::SYNTAX);
            };
        } else {
            return Err(CmdError::SYNTAX);
        }
        i += 2;
    }
    let mut killed = 0i64;
    for c in registry.snapshot() {
        if !f.matches(&c) || (f.skipme && c.id == conn.id) {
            continue;
        }
        kill_one(conn, &c);
        killed += 1;
    }
    s.writer(conn.resp3).int(killed);
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]
fn pause(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    if argv.len() > 4 {
        return Err(CmdError::other(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(arg(argv, 1))
        )));
    }
    let ms = parse_i64(arg(argv, 2))
        .ok_or_else(|| CmdError::other("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    let mode = match argv.get(3) {
        None => crate::pause::Mode::All,
        Some(m) if is(m, "all") => crate::pause::Mode::All,
        Some(m) if is(m, "write") => crate::pause::Mode::Write,
        Some(_) => {
            return Err(CmdError::other(
                "ERR CLIENT PAUSE mode must be WRITE or ALL",
            ))
        }
    };
    s.worker.shared.pause.pause(ms as u64, mode);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Sets or clears the registry flag `bit` from an ON|OFF argument (Redis's
/// syntax error for anything else): whether it is now on, and whether it
/// was on before.
fn switch_flag(conn: &Conn, argv: &[Bytes], bit: u32) -> Result<(bool, bool), CmdError> {
    let v = arg(argv, 2);
    let on = if is(v, "on") {
        true
    } else if is(v, "off") {
        false
    } else {
        return Err(CmdError::SYNTAX);
    };
    let flags = &conn.info.flags;
    let was = if on {
        flags.fetch_or(bit, Ordering::Relaxed)
    } else {
        flags.fetch_and(!bit, Ordering::Relaxed)
    };
    Ok((on, was & bit != 0))
}

/// CLIENT NO-EVICT ON|OFF: marks the connection as one client eviction
/// (`maxmemory-clients`) spares (flag `e`). Turned off, the client counts
/// as entering its memory bucket now, as Redis puts it back last in it.
fn no_evict(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let (on, was) = switch_flag(conn, argv, crate::clients::flag::NO_EVICT)?;
    if !on && was {
        s.worker.shared.clients.requeue(&conn.info);
    }
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// CLIENT NO-TOUCH ON|OFF (Redis 7.2): while on, the client's commands
/// leave the idle time and LFU counter of the keys they look up as they
/// were, so that monitoring or a backup reading every key does not disturb
/// eviction; TOUCH still touches (flag `T`).
fn no_touch(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let (on, _) = switch_flag(conn, argv, crate::clients::flag::NO_TOUCH)?;
    conn.no_touch = on;
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Closes another client at once, or this one after its reply is written.
fn kill_one(conn: &mut Conn, c: &ClientInfo) {
    if c.id == conn.id {
        conn.close = true;
    } else {
        c.kill();
    }
}

/// CLIENT REPLY ON|OFF|SKIP
fn reply(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let mode = arg(argv, 2);
    if is(mode, "on") {
        // Clears OFF and also the skip of this very command, so +OK is sent.
        conn.reply_mode = ReplyMode::On;
        s.writer(conn.resp3).simple(b"OK");
    } else if is(mode, "off") {
        conn.reply_mode = ReplyMode::Off;
    } else if is(mode, "skip") {
        // SKIP means nothing while replies are off.
        if conn.reply_mode != ReplyMode::Off {
            conn.reply_mode = ReplyMode::Skip;
        }
    } else {
        return Err(CmdError::SYNTAX);
    }
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked in
/// BLPOP and friends, as a timeout (the default) or with an error. Replies 1
/// if that client was waiting, else 0.
fn unblock(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    if argv.len() > 4 {
        // Redis quotes the subcommand as the client typed it.
        return Err(CmdError::other(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(arg(argv, 1))
        )));
    }
    let error = match argv.get(3) {
        None => false,
        Some(a) if is(a, "timeout") => false,
        Some(a) if is(a, "error") => true,
        Some(_) => {
            return Err(CmdError::other(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = parse_i64(arg(argv, 2)).ok_or(CmdError::NOT_INTEGER)?;
    let waiter = u64::try_from(id)
        .ok()
        .and_then(|id| s.worker.shared.clients.get(id))
        .and_then(|c| c.waiter.lock().ok().and_then(|w| w.clone()));
    let done = waiter.is_some_and(|w| w.unblock(error));
    s.writer(conn.resp3).int(i64::from(done));
    Ok(())
}

/// Ferrite's own CLIENT HELP text, in the layout of Redis's help replies.
const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name given to this connection, or nil.",
    "ID",
    "    Return the unique id of this connection.",
    "INFO",
    "    Return the CLIENT LIST line describing this connection.",
    "KILL <ip:port>",
    "    Close the connection coming from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Close every connection matching all the options given:",
    "    * ID <client-id>",
    "      The connection with this id.",
    "    * ADDR <ip:port>",
    "      The connection coming from this address.",
    "    * LADDR <ip:port>",
    "      Connections made to this local address.",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Connections of this type.",
    "    * USER <username>",
    "      Connections logged in as this user.",
    "    * MAXAGE <seconds>",
    "      Connections older than this (an addition of Redis 7.4).",
    "    * SKIPME (YES|NO)",
    "      Whether to spare the calling connection (default: yes).",
    "    Replies with the number of connections closed.",
    "LIST [options ...]",
    "    Describe connections, one line each. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Only connections of this type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Only the connections with these ids.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Hold every command (ALL, default) or those that may write (WRITE) for",
    "    <timeout> milliseconds; they run once the pause ends.",
    "UNPAUSE",
    "    End the pause now.",
    "NO-EVICT (ON|OFF)",
    "    Mark this connection as one client eviction must spare.",
    "UNBLOCK <client-id> [TIMEOUT|ERROR]",
    "    End the wait of a client blocked in a blocking command, as a timeout",
    "    (default) or with an error. Replies 1 if it was blocked, else 0.",
    "REPLY (ON|OFF|SKIP)",
    "    Send replies (ON), stop sending them (OFF), or drop the next one (SKIP).",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Record the client library's name or version for CLIENT LIST.",
    "SETNAME <name>",
    "    Name this connection (an empty name removes it).",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
    "    Turn client-side caching invalidations on or off for this connection.",
    "CACHING (YES|NO)",
    "    In OPTIN (YES) or OPTOUT (NO) tracking, decide for the next command.",
    "GETREDIR",
    "    The id invalidations are redirected to: 0 for none, -1 without tracking.",
    "TRACKINGINFO",
    "    This connection's tracking flags, redirection and prefixes.",
    "HELP",
    "    Print this help.",
];

fn help(s: &mut Session, conn: &mut Conn) {
    let mut w = s.writer(conn.resp3);
    w.array(HELP.len());
    for line in HELP {
        w.simple(line.as_bytes());
    }
}
