//! Server commands: TIME, COMMAND, INFO, CONFIG, SHUTDOWN, LASTSAVE, DEBUG.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult, CommandSpec};

use crate::conn::{Conn, Session};

/// TIME
pub fn time(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut w = s.writer(conn.resp3);
    w.array(2);
    w.bulk(now.as_secs().to_string().as_bytes());
    w.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

/// COMMAND [COUNT | INFO ... | LIST | DOCS ... | GETKEYS ...]
pub fn command(s: &mut Session, conn: &mut Conn, spec: &'static CommandSpec, argv: &[Bytes]) -> CmdResult {
    let _ = (spec, argv);
    let n = s.worker.shared.table.all().len();
    s.writer(conn.resp3).int(n as i64);
    Ok(())
}

/// INFO [section ...]
pub async fn info(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let _ = argv;
    let text = format!(
        "# Server\r\nredis_version:{}\r\nferrite_version:{}\r\n",
        crate::REDIS_VERSION,
        crate::FERRITE_VERSION
    );
    s.writer(conn.resp3).verbatim(b"txt", text.as_bytes());
    Ok(())
}

/// CONFIG GET / SET / RESETSTAT / HELP
pub async fn config(s: &mut Session, conn: &mut Conn, spec: &'static CommandSpec, argv: &[Bytes]) -> CmdResult {
    let sub = spec.name.rsplit('|').next().unwrap_or("");
    match sub {
        "get" => {
            let patterns: Vec<&[u8]> = argv[2..].iter().map(|b| &b[..]).collect();
            let pairs = s
                .worker
                .shared
                .config
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&patterns);
            let mut w = s.writer(conn.resp3);
            w.map(pairs.len());
            for (k, v) in &pairs {
                w.bulk(k.as_bytes());
                w.bulk(v);
            }
            Ok(())
        }
        "set" => {
            if argv.len() % 2 != 0 {
                return Err(CmdError::wrong_arity(b"config|set"));
            }
            let pairs: Vec<(&[u8], &[u8])> = argv[2..]
                .chunks(2)
                .map(|c| (&c[0][..], &c[1][..]))
                .collect();
            {
                let mut cfg = s
                    .worker
                    .shared
                    .config
                    .write()
                    .unwrap_or_else(|e| e.into_inner());
                cfg.set(&pairs).map_err(CmdError::other)?;
            }
            let settings = s.worker.shared.settings();
            crate::coord::fan_out(&s.worker, move |sh| sh.settings = settings.clone()).await?;
            s.writer(conn.resp3).simple(b"OK");
            Ok(())
        }
        _ => Err(CmdError::other(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            String::from_utf8_lossy(&argv[1])
        ))),
    }
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let _ = (argv, conn);
    tracing::warn!("user requested shutdown");
    s.worker.shared.begin_shutdown();
    Ok(())
}

/// LASTSAVE
pub fn lastsave(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .saturating_sub(s.worker.shared.started.elapsed().as_secs());
    s.writer(conn.resp3).int(started as i64);
    Ok(())
}

/// DEBUG subcommands.
pub async fn debug(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let _ = (s, conn);
    Err(CmdError::other(format!(
        "ERR unknown subcommand '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(&argv[1])
    )))
}
