//! MEMORY's server-wide subcommands: STATS, DOCTOR, MALLOC-STATS, PURGE,
//! HELP (MEMORY USAGE is a keyed command of `ferrite-commands`).
//!
//! MEMORY STATS uses Redis 7.0's field names with Ferrite's own figures:
//! allocated bytes come from the counting allocator (`crate::alloc`), key
//! counts from every shard. What Ferrite cannot know is reported as 0 and
//! listed in `docs/design/memory.md`: the per-client buffers
//! (`clients.normal`), the hash tables' own overhead (`overhead.hashtable.*`
//! is estimated from the key counts) and the allocator's active/resident
//! split (the system allocator does not say; RSS stands in).

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult, CommandSpec};

use crate::conn::{Conn, Session};
use crate::coord;
use crate::info::rss_bytes;

/// MEMORY HELP's lines (Redis 7.0's text).
const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// Below this, MEMORY DOCTOR declines to judge (as Redis does).
const DOCTOR_MIN_USED: u64 = 5 * 1024 * 1024;

const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";

const DOCTOR_FINE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

/// A table slot's share of a key in the main table (slot index entry and
/// the entry itself), for the `overhead.hashtable.*` estimates.
const MAIN_SLOT_BYTES: u64 = 8 + 64;
/// An entry of the index of keys with a TTL.
const EXPIRES_SLOT_BYTES: u64 = 8 + 24;

/// MEMORY STATS | DOCTOR | MALLOC-STATS | PURGE | HELP
pub async fn memory(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    _argv: &[Bytes],
) -> CmdResult {
    match spec.name {
        "memory|help" => {
            let mut w = s.writer(conn.resp3);
            w.array(HELP.len());
            for l in HELP {
                w.simple(l.as_bytes());
            }
        }
        "memory|purge" => {
            // The system allocator keeps no dirty pages of its own to purge
            // on request; glibc's trim gives free heap top back.
            coord::fan_out(&s.worker, s.held_tx(), |_| trim()).await?;
            s.writer(conn.resp3).simple(b"OK");
        }
        "memory|malloc-stats" => {
            s.writer(conn.resp3)
                .bulk(b"Stats not supported for the current allocator");
        }
        "memory|doctor" => {
            let used = used(s);
            let text = if used < DOCTOR_MIN_USED {
                DOCTOR_EMPTY
            } else {
                DOCTOR_FINE
            };
            s.writer(conn.resp3).verbatim(b"txt", text.as_bytes());
        }
        "memory|stats" => stats(s, conn).await?,
        _ => {
            return Err(CmdError::other(format!(
                "ERR unknown subcommand '{}'. Try MEMORY HELP.",
                spec.name
            )))
        }
    }
    Ok(())
}

fn trim() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::malloc_trim(0);
    }
}

fn used(s: &Session) -> u64 {
    crate::evict::used_memory(&s.worker.shard.borrow())
}

/// Per database: (keys, keys with a TTL).
type DbCounts = Vec<(u64, u64)>;

async fn stats(s: &mut Session, conn: &Conn) -> CmdResult {
    let per_shard: Vec<DbCounts> = coord::fan_out(&s.worker, s.held_tx(), |sh| {
        sh.dbs
            .iter()
            .map(|d| (d.len() as u64, d.expires_len() as u64))
            .collect::<DbCounts>()
    })
    .await?;
    let ndbs = per_shard.iter().map(Vec::len).max().unwrap_or(0);
    let mut dbs: DbCounts = vec![(0, 0); ndbs];
    for shard in &per_shard {
        for (i, (k, e)) in shard.iter().enumerate() {
            if let Some(slot) = dbs.get_mut(i) {
                slot.0 += k;
                slot.1 += e;
            }
        }
    }
    let used = used(s);
    let peak = crate::alloc::peak().max(used);
    let startup = s
        .worker
        .shard
        .borrow()
        .evict
        .mem
        .as_ref()
        .map_or(0, |m| m.startup_bytes());
    let rss = rss_bytes();
    let shared = s.worker.shared.clone();
    let (_, eval_bytes) = shared.scripts.cache_figures();
    let (_, _, function_bytes) = shared.scripts.library_figures();
    let live: Vec<(usize, u64, u64)> = dbs
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k > 0)
        .map(|(i, (k, e))| (i, k * MAIN_SLOT_BYTES, e * EXPIRES_SLOT_BYTES))
        .collect();
    let keys: u64 = dbs.iter().map(|(k, _)| k).sum();
    let overhead =
        startup + eval_bytes + function_bytes + live.iter().map(|(_, m, e)| m + e).sum::<u64>();
    let dataset = used.saturating_sub(overhead);
    let net = used.saturating_sub(startup);
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut w = s.writer(conn.resp3);
    w.map(27 + live.len());
    let int = |w: &mut ferrite_protocol::Writer<'_>, name: &str, v: u64| {
        w.bulk(name.as_bytes());
        w.int(i64::try_from(v).unwrap_or(i64::MAX));
    };
    int(&mut w, "peak.allocated", peak);
    int(&mut w, "total.allocated", used);
    int(&mut w, "startup.allocated", startup);
    int(&mut w, "replication.backlog", 0);
    int(&mut w, "clients.slaves", 0);
    int(&mut w, "clients.normal", 0);
    int(&mut w, "cluster.links", 0);
    int(&mut w, "aof.buffer", 0);
    int(&mut w, "lua.caches", eval_bytes);
    int(&mut w, "functions.caches", function_bytes);
    for (i, main, expires) in &live {
        w.bulk(format!("db.{i}").as_bytes());
        w.map(3);
        int(&mut w, "overhead.hashtable.main", *main);
        int(&mut w, "overhead.hashtable.expires", *expires);
        int(&mut w, "overhead.hashtable.slot-to-keys", 0);
    }
    int(&mut w, "overhead.total", overhead);
    int(&mut w, "keys.count", keys);
    int(
        &mut w,
        "keys.bytes-per-key",
        net.checked_div(keys).unwrap_or(0),
    );
    int(&mut w, "dataset.bytes", dataset);
    w.bulk(b"dataset.percentage");
    w.double(pct(dataset, net));
    w.bulk(b"peak.percentage");
    w.double(pct(used, peak));
    int(&mut w, "allocator.allocated", used);
    int(&mut w, "allocator.active", used);
    int(&mut w, "allocator.resident", rss);
    w.bulk(b"allocator-fragmentation.ratio");
    w.double(1.0);
    int(&mut w, "allocator-fragmentation.bytes", 0);
    w.bulk(b"allocator-rss.ratio");
    w.double(ratio(rss, used));
    int(&mut w, "allocator-rss.bytes", rss.saturating_sub(used));
    w.bulk(b"rss-overhead.ratio");
    w.double(1.0);
    int(&mut w, "rss-overhead.bytes", 0);
    w.bulk(b"fragmentation");
    w.double(ratio(rss, used));
    int(&mut w, "fragmentation.bytes", rss.saturating_sub(used));
    Ok(())
}
