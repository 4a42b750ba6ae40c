//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, over the server's registry
//! (`crate::pubsub`).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrite_commands::util::{arg, is};
use ferrite_commands::{CmdError, CmdResult};

use crate::conn::{Conn, Session};
use crate::pubsub::Kind;

/// (P|S)SUBSCRIBE name [name ...]
pub fn subscribe(s: &mut Session, conn: &mut Conn, argv: &[Bytes], kind: Kind) -> CmdResult {
    let shared = s.worker.shared.clone();
    let names = argv.get(1..).unwrap_or_default();
    shared.pubsub.subscribe(
        &mut conn.subs,
        &conn.info.mailbox,
        conn.id,
        conn.resp3,
        kind,
        names,
        s.out(),
    );
    note_counts(conn);
    Ok(())
}

/// Publishes the connection's subscription counts for CLIENT LIST.
pub fn note_counts(conn: &Conn) {
    let (c, p, sh) = conn.subs.as_ref().map_or((0, 0, 0), |s| {
        (s.channels.len(), s.patterns.len(), s.shard.len())
    });
    conn.info.sub.store(c as u32, Ordering::Relaxed);
    conn.info.psub.store(p as u32, Ordering::Relaxed);
    conn.info.ssub.store(sh as u32, Ordering::Relaxed);
}

/// (P|S)UNSUBSCRIBE [name ...]
pub fn unsubscribe(s: &mut Session, conn: &mut Conn, argv: &[Bytes], kind: Kind) -> CmdResult {
    let shared = s.worker.shared.clone();
    let names = argv.get(1..).unwrap_or_default();
    shared
        .pubsub
        .unsubscribe(&mut conn.subs, conn.id, conn.resp3, kind, names, s.out());
    note_counts(conn);
    Ok(())
}

/// PUBLISH channel message / SPUBLISH shardchannel message
pub fn publish(s: &mut Session, conn: &mut Conn, argv: &[Bytes], shard: bool) -> CmdResult {
    let n = s
        .worker
        .shared
        .pubsub
        .publish(arg(argv, 1), arg(argv, 2), shard);
    s.writer(conn.resp3).int(n as i64);
    Ok(())
}

/// Ferrite's PUBSUB HELP text, in the layout of Redis's help replies.
const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    List the channels that have subscribers, those matching <pattern> if given.",
    "NUMPAT",
    "    Count the distinct patterns clients are subscribed to.",
    "NUMSUB [<channel> ...]",
    "    Give each channel's number of subscribers (pattern subscriptions not counted).",
    "SHARDCHANNELS [<pattern>]",
    "    List the shard channels that have subscribers, those matching <pattern> if given.",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Give each shard channel's number of subscribers.",
    "HELP",
    "    Print this help.",
];

/// PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB | HELP
pub fn pubsub(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let shared = s.worker.shared.clone();
    let ps = &shared.pubsub;
    let sub = arg(argv, 1);
    let mut w = s.writer(conn.resp3);
    if is(sub, "channels") || is(sub, "shardchannels") {
        if argv.len() > 3 {
            return Err(CmdError::other(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(sub)
            )));
        }
        let list = ps.channels(is(sub, "shardchannels"), argv.get(2).map(|p| &p[..]));
        w.array(list.len());
        for c in &list {
            w.bulk(c);
        }
    } else if is(sub, "numsub") || is(sub, "shardnumsub") {
        let shard = is(sub, "shardnumsub");
        let names = argv.get(2..).unwrap_or_default();
        // A flat array in RESP3 too, as Redis 7.0 replies.
        w.array(names.len() * 2);
        for c in names {
            w.bulk(c);
            w.int(ps.numsub(shard, c) as i64);
        }
    } else if is(sub, "numpat") {
        w.int(ps.numpat() as i64);
    } else {
        w.array(HELP.len());
        for line in HELP {
            w.simple(line.as_bytes());
        }
    }
    Ok(())
}
