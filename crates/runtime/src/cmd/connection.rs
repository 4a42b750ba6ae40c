//! PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH.
//!
//! A connection starts as the `default` user, authenticated unless that
//! user has a password (`requirepass`, or ACL rules) or is off; then every
//! command not flagged `no_auth` is refused until AUTH or HELLO ... AUTH
//! (see `crate::acl` for the users).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrite_commands::util::arg;
use ferrite_commands::{CmdError, CmdResult};
use ferrite_protocol::Writer;

use crate::conn::{Conn, ReplyMode, Session};

fn w<'a>(s: &'a mut Session, conn: &Conn) -> Writer<'a> {
    s.writer(conn.resp3)
}

/// PING [message]
pub fn ping(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    // The row's arity is -1 (as in Redis), so the upper bound is checked here.
    if argv.len() > 2 {
        return Err(CmdError::wrong_arity(b"ping"));
    }
    if conn.subs.is_some() && !conn.resp3 {
        // A RESP2 subscriber gets PING's answer as a message-like array.
        let mut w = w(s, conn);
        w.array(2);
        w.bulk(b"pong");
        w.bulk(argv.get(1).map_or(&b""[..], |m| &m[..]));
        return Ok(());
    }
    match argv.get(1) {
        Some(m) => w(s, conn).bulk(m),
        None => w(s, conn).simple(b"PONG"),
    }
    Ok(())
}

/// ECHO message
pub fn echo(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    w(s, conn).bulk(arg(argv, 1));
    Ok(())
}

/// SELECT index
pub fn select(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let n = parse_int32(arg(argv, 1))?;
    if n < 0 || n as u64 >= s.worker.shared.databases as u64 {
        return Err(CmdError::DB_INDEX);
    }
    conn.db = n as usize;
    conn.info.db.store(conn.db, Ordering::Relaxed);
    w(s, conn).simple(b"OK");
    Ok(())
}

/// Parses a 32-bit integer argument with Redis's two distinct errors: not an
/// integer at all, or an integer outside the 32-bit range.
fn parse_int32(a: &[u8]) -> Result<i64, CmdError> {
    let n = ferrite_commands::util::parse_i64(a)?;
    if n < i64::from(i32::MIN) || n > i64::from(i32::MAX) {
        return Err(CmdError::other(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    Ok(n)
}

/// QUIT
pub fn quit(s: &mut Session, conn: &mut Conn) -> CmdResult {
    w(s, conn).simple(b"OK");
    conn.close = true;
    Ok(())
}

/// RESET: back to a fresh connection's state: no transaction, nothing
/// watched, database 0, RESP2, no name, replies on, and unauthenticated again when a password is required.
pub fn reset(s: &mut Session, conn: &mut Conn) -> CmdResult {
    conn.multi = None;
    crate::multi::unwatch_all(s, conn);
    s.worker
        .shared
        .clone()
        .pubsub
        .forget(&mut conn.subs, conn.id);
    crate::cmd::pubsub::note_counts(conn);
    crate::multi::note_multi(conn);
    crate::tracking::tracking_off(&s.worker.shared.clone(), conn);
    conn.db = 0;
    conn.resp3 = false;
    // A reply already being skipped by CLIENT REPLY SKIP stays skipped: RESET
    // clears OFF and a pending SKIP, not the skip of the command running now.
    if conn.reply_mode != ReplyMode::SkipThis {
        conn.reply_mode = ReplyMode::On;
    }
    conn.info.db.store(0, Ordering::Relaxed);
    conn.info.resp.store(2, Ordering::Relaxed);
    conn.info.set_name(b"");
    // Back to the default user, authenticated only if it needs no password.
    let shared = s.worker.shared.clone();
    shared.acl.sync_config(&shared);
    crate::acl::login(conn, shared.acl.default_user());
    conn.authed = shared.acl.default_needs_no_auth();
    w(s, conn).simple(b"RESET");
    Ok(())
}

/// True when the client must authenticate before running a command that is
/// not `no_auth`: it has not, and the default user has a password (or is
/// off). A password removed since it connected lets it in, as in Redis.
pub fn auth_required(s: &Session, conn: &Conn) -> bool {
    if conn.authed {
        return false;
    }
    let shared = &s.worker.shared;
    shared.acl.sync_config(shared);
    !shared.acl.default_needs_no_auth()
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Authenticates the connection as `user`, or logs the failure (ACL LOG
/// reason `auth`) and answers WRONGPASS.
/// `name` is the command's name as sent (ACL LOG's object).
fn check_user(
    s: &Session,
    conn: &mut Conn,
    name: &[u8],
    user: &[u8],
    pass: &[u8],
) -> Result<(), CmdError> {
    let shared = s.worker.shared.clone();
    shared.acl.sync_config(&shared);
    match shared.acl.authenticate(user, pass) {
        Some(u) => {
            crate::acl::login(conn, u);
            Ok(())
        }
        None => {
            let context = if conn.multi.is_some() {
                "multi"
            } else {
                "toplevel"
            };
            shared.acl.log_event(
                "auth",
                context,
                name.to_vec(),
                user.to_vec(),
                crate::acl::client_line_for(
                    &conn.info,
                    if name.eq_ignore_ascii_case(b"hello") {
                        "hello"
                    } else {
                        "auth"
                    },
                ),
            );
            Err(CmdError::other(WRONGPASS))
        }
    }
}

/// AUTH [username] password
pub fn auth(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    match argv {
        [_, pass] => {
            let shared = s.worker.shared.clone();
            shared.acl.sync_config(&shared);
            if shared.acl.default_needs_no_auth() {
                return Err(CmdError::other(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            check_user(s, conn, arg(argv, 0), b"default", pass)?;
        }
        [name, user, pass] => check_user(s, conn, name, user, pass)?,
        _ => return Err(CmdError::SYNTAX),
    }
    w(s, conn).simple(b"OK");
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let mut proto = if conn.resp3 { 3 } else { 2 };
    if let Some(v) = argv.get(1) {
        let n = ferrite_storage::num::parse_i64(v).ok_or_else(|| {
            CmdError::other("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&n) {
            return Err(CmdError::other("NOPROTO unsupported protocol version"));
        }
        proto = n;
    }
    // Options take effect one by one, as in Redis: an AUTH or SETNAME
    // stays done even when a later option fails, and even a client that
    // ends up refused with NOAUTH keeps the name it set.
    let mut i = 2;
    while let Some(opt) = argv.get(i) {
        let more = argv.len() - i - 1;
        if ferrite_commands::util::is(opt, "AUTH") && more >= 2 {
            check_user(s, conn, arg(argv, 0), arg(argv, i + 1), arg(argv, i + 2))?;
            i += 3;
        } else if ferrite_commands::util::is(opt, "SETNAME") && more >= 1 {
            let n = arg(argv, i + 1);
            super::client::validate_name(n)?;
            conn.info.set_name(n);
            i += 2;
        } else {
            return Err(CmdError::other(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    // Unlike the general gate, HELLO looks at the client's own state only: a
    // client that never authenticated is refused even once the password is
    // gone (as Redis does).
    if !conn.authed {
        return Err(CmdError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    conn.resp3 = proto == 3;
    conn.info.mailbox.set_resp3(conn.resp3);
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
