//! CLIENT subcommands.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrite_commands::util::is;
use ferrite_commands::{CmdError, CmdResult, CommandSpec};

use crate::conn::{Conn, Session};

/// Checks a client name as Redis does: no spaces, newlines or other special characters.
pub fn validate_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
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
        "id" => {
            s.writer(conn.resp3).int(conn.id as i64);
        }
        "setname" => {
            validate_name(&argv[2])?;
            if let Ok(mut n) = conn.info.name.lock() {
                *n = argv[2].to_vec();
            }
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
        "reply" => {
            use crate::conn::ReplyMode;
            if is(&argv[2], "on") {
                conn.reply_mode = ReplyMode::On;
                s.writer(conn.resp3).simple(b"OK");
            } else if is(&argv[2], "off") {
                conn.reply_mode = ReplyMode::Off;
            } else if is(&argv[2], "skip") {
                conn.reply_mode = ReplyMode::Skip;
            } else {
                return Err(CmdError::SYNTAX);
            }
        }
        _ => {
            let _ = conn.info.commands.load(Ordering::Relaxed);
            return Err(CmdError::other(format!(
                "ERR unknown subcommand '{}'. Try CLIENT HELP.",
                String::from_utf8_lossy(&argv[1])
            )));
        }
    }
    Ok(())
}
