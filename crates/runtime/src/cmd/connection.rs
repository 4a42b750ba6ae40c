//! PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult};
use ferrite_protocol::Writer;

use crate::conn::{Conn, ReplyMode, Session};

fn w<'a>(s: &'a mut Session, conn: &Conn) -> Writer<'a> {
    s.writer(conn.resp3)
}

/// PING [message]
pub fn ping(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    if argv.len() > 2 {
        return Err(CmdError::wrong_arity(b"ping"));
    }
    match argv.get(1) {
        Some(m) => w(s, conn).bulk(m),
        None => w(s, conn).simple(b"PONG"),
    }
    Ok(())
}

/// ECHO message
pub fn echo(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    w(s, conn).bulk(&argv[1]);
    Ok(())
}

/// SELECT index
pub fn select(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let n = ferrite_commands::util::parse_i64(&argv[1])?;
    if n < 0 || n as u64 >= s.worker.shared.databases as u64 {
        return Err(CmdError::DB_INDEX);
    }
    conn.db = n as usize;
    conn.info.db.store(conn.db, Ordering::Relaxed);
    w(s, conn).simple(b"OK");
    Ok(())
}

/// QUIT
pub fn quit(s: &mut Session, conn: &mut Conn) -> CmdResult {
    w(s, conn).simple(b"OK");
    conn.close = true;
    Ok(())
}

/// RESET: back to a fresh connection's state.
pub fn reset(s: &mut Session, conn: &mut Conn) -> CmdResult {
    conn.db = 0;
    conn.resp3 = false;
    conn.reply_mode = ReplyMode::On;
    conn.info.db.store(0, Ordering::Relaxed);
    conn.info.resp.store(2, Ordering::Relaxed);
    if let Ok(mut n) = conn.info.name.lock() {
        n.clear();
    }
    conn.authed = requirepass(s).is_none();
    w(s, conn).simple(b"RESET");
    Ok(())
}

fn requirepass(s: &Session) -> Option<Vec<u8>> {
    s.worker
        .shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .requirepass
        .clone()
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks a username/password pair against `requirepass` (only the `default` user exists).
fn check_auth(s: &Session, user: Option<&[u8]>, pass: &[u8]) -> Result<(), CmdError> {
    if let Some(u) = user {
        if u != b"default" {
            return Err(CmdError::other(WRONGPASS));
        }
    }
    match requirepass(s) {
        None if user.is_none() => Err(CmdError::other(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        )),
        None => Ok(()),
        Some(p) if p == pass => Ok(()),
        Some(_) => Err(CmdError::other(WRONGPASS)),
    }
}

/// AUTH [username] password
pub fn auth(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    match argv.len() {
        2 => check_auth(s, None, &argv[1])?,
        3 => check_auth(s, Some(&argv[1]), &argv[2])?,
        _ => return Err(CmdError::SYNTAX),
    }
    conn.authed = true;
    w(s, conn).simple(b"OK");
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let mut proto = if conn.resp3 { 3 } else { 2 };
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        let n = ferrite_storage::value::canonical_int(v).ok_or_else(|| {
            CmdError::other("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&n) {
            return Err(CmdError::other("NOPROTO unsupported protocol version"));
        }
        proto = n;
        i = 2;
    }
    let mut auth: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if argv[i].eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            auth = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 3;
        } else if argv[i].eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            name = Some(argv[i + 1].clone());
            i += 2;
        } else {
            return Err(CmdError::other(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&argv[i])
            )));
        }
    }
    if let Some((u, p)) = &auth {
        check_auth(s, Some(u), p)?;
        conn.authed = true;
    }
    if !conn.authed {
        return Err(CmdError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = &name {
        super::client::validate_name(n)?;
        if let Ok(mut cur) = conn.info.name.lock() {
            *cur = n.to_vec();
        }
    }
    conn.resp3 = proto == 3;
    conn.info.resp.store(proto as u8, Ordering::Relaxed);
    let id = conn.id as i64;
    let mut w = w(s, conn);
    w.map(7);
    w.bulk(b"server");
    w.bulk(b"redis");
    w.bulk(b"version");
    w.bulk(crate::REDIS_VERSION.as_bytes());
    w.bulk(b"proto");
    w.int(proto);
    w.bulk(b"id");
    w.int(id);
    w.bulk(b"mode");
    w.bulk(b"standalone");
    w.bulk(b"role");
    w.bulk(b"master");
    w.bulk(b"modules");
    w.array(0);
    Ok(())
}
