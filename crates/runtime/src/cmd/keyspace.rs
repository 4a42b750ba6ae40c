//! Keyspace-wide commands, fanned out to every shard: DBSIZE, FLUSHDB,
//! FLUSHALL, SWAPDB, KEYS, SCAN, RANDOMKEY.

use bytes::Bytes;
use ferrite_commands::generic::{op_keys, op_scan, parse_scan_args};
use ferrite_commands::util::is;
use ferrite_commands::{CmdError, CmdResult};
use ferrite_storage::Db;

use crate::conn::{Conn, Session};
use crate::coord;
use crate::server::Shared;
use crate::shard::Shard;

/// DBSIZE
pub async fn dbsize(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let db = conn.db;
    let sizes = coord::fan_out(&s.worker, s.held_tx(), move |sh| {
        sh.dbs.get(db).map_or(0, |d| d.len())
    })
    .await?;
    s.writer(conn.resp3).int(sizes.iter().sum::<usize>() as i64);
    Ok(())
}

/// Above this many keys, an ASYNC flush frees the old values on a
/// background thread instead of the shard's (as Redis's lazyfree threshold).
const LAZYFREE_THRESHOLD: usize = 64;

/// FLUSHDB [ASYNC|SYNC] / FLUSHALL [ASYNC|SYNC]
pub async fn flush(s: &mut Session, conn: &mut Conn, argv: &[Bytes], all: bool) -> CmdResult {
    let lazy = match argv.get(1..).unwrap_or_default() {
        [] => false,
        [mode] if is(mode, "async") => true,
        [mode] if is(mode, "sync") => false,
        _ => return Err(CmdError::SYNTAX),
    };
    let db = conn.db;
    // Journaled even when nothing was there, as Redis forces it.
    let effect = Some((db, argv.to_vec()));
    coord::fan_out_journaled(
        &s.worker,
        s.held_tx(),
        move |sh| {
            let mut removed = 0usize;
            let mut old: Vec<Db> = Vec::new();
            for (i, d) in sh.dbs.iter_mut().enumerate() {
                if (all || i == db) && !d.is_empty() {
                    removed += d.len();
                    old.push(d.flush());
                }
            }
            // Redis counts one change per removed key (none for an empty database).
            sh.dirty += removed as u64;
            if all {
                crate::tracking::clear(sh);
            }
            if lazy && removed > LAZYFREE_THRESHOLD {
                // Freed on another thread, counted in this shard's account.
                let slot = crate::alloc::current_slot();
                let spawned = std::thread::Builder::new()
                    .name("ferrite-lazyfree".into())
                    .spawn(move || crate::alloc::count_in(slot, move || drop(old)));
                if let Err(e) = spawned {
                    tracing::warn!(error = %e, "cannot free a flushed database in the background");
                }
            }
        },
        effect,
    )
    .await?;
    crate::tracking::flushed(&s.worker.shared);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

fn db_index(arg: &[u8], which: &str, databases: usize) -> Result<usize, CmdError> {
    let n = ferrite_storage::num::parse_i64(arg)
        .ok_or_else(|| CmdError::other(format!("ERR invalid {which} DB index")))?;
    if n < 0 || n as u64 >= databases as u64 {
        return Err(CmdError::DB_INDEX);
    }
    Ok(n as usize)
}

/// SWAPDB index1 index2
pub async fn swapdb(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let dbs = s.worker.shared.databases;
    let a = db_index(&argv[1], "first", dbs)?;
    let b = db_index(&argv[2], "second", dbs)?;
    let effect = Some((conn.db, argv.to_vec()));
    coord::fan_out_journaled(
        &s.worker,
        s.held_tx(),
        move |sh| {
            if a != b {
                let (lo, hi) = (a.min(b), a.max(b));
                let (left, right) = sh.dbs.split_at_mut(hi);
                if let (Some(x), Some(y)) = (left.get_mut(lo), right.first_mut()) {
                    x.swap_data(y);
                }
                // A swapped-in list may be what a blocked client waits for.
                crate::blocking::serve_ready(sh);
            }
            // One change for the whole swap, as Redis counts it, not one per shard.
            if sh.id == 0 {
                sh.dirty += 1;
            }
        },
        effect,
    )
    .await?;
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// KEYS pattern
pub async fn keys(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let db = conn.db;
    let pattern = argv[1].clone();
    let lists = coord::fan_out(&s.worker, s.held_tx(), move |sh| {
        let mut out: Vec<Bytes> = Vec::new();
        if let Some(d) = sh.dbs.get_mut(db) {
            op_keys(d, &pattern, Shared::now_ms(), &mut out);
        }
        out
    })
    .await?;
    let total = lists.iter().map(Vec::len).sum();
    let mut w = s.writer(conn.resp3);
    w.array(total);
    for k in lists.iter().flatten() {
        w.bulk(k);
    }
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
///
/// The cursor names a shard and a position in it: `position * shards +
/// shard`, where the position is that shard's own database cursor. Shards
/// are walked one after the other; a step that finishes a shard before
/// `count` keys were found goes on with the next one, so a small keyspace is
/// scanned in one call, as in Redis.
pub async fn scan(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let cursor = ferrite_storage::num::parse_scan_cursor(&argv[1])
        .ok_or_else(|| CmdError::other("ERR invalid cursor"))?;
    let opts = parse_scan_args(argv.get(2..).unwrap_or_default())?;
    let n = s.worker.shared.nshards as u64;
    let mut shard = (cursor % n) as usize;
    let mut pos = cursor / n;
    let db = conn.db;
    let mut keys: Vec<Bytes> = Vec::new();
    let next_cursor = loop {
        let step_opts = opts.clone();
        let step = move |sh: &mut Shard| {
            let mut out = Vec::new();
            let next = match sh.dbs.get_mut(db) {
                Some(d) => op_scan(d, pos, &step_opts, Shared::now_ms(), &mut out),
                None => 0,
            };
            (next, out)
        };
        let (next, found) = if n == 1 {
            step(&mut s.worker.shard.borrow_mut())
        } else {
            coord::run_on(&s.worker.shared, shard, s.held_tx(), step).await?
        };
        keys.extend(found);
        if next != 0 {
            break next.saturating_mul(n).saturating_add(shard as u64);
        }
        shard += 1;
        pos = 0;
        if shard as u64 >= n {
            break 0;
        }
        if keys.len() >= opts.count {
            break shard as u64;
        }
    };
    let mut w = s.writer(conn.resp3);
    w.array(2);
    w.bulk(next_cursor.to_string().as_bytes());
    w.array(keys.len());
    for k in &keys {
        w.bulk(k);
    }
    Ok(())
}

/// RANDOMKEY
pub async fn randomkey(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let db = conn.db;
    let picks = coord::fan_out(&s.worker, s.held_tx(), move |sh| {
        let now = Shared::now_ms();
        sh.dbs.get_mut(db).map(|d| (d.len(), d.random_key(now)))
    })
    .await?;
    let candidates: Vec<(usize, Bytes)> = picks
        .into_iter()
        .flatten()
        .filter_map(|(len, k)| k.map(|k| (len, k)))
        .collect();
    let total: usize = candidates.iter().map(|(l, _)| *l).sum();
    let mut w = s.writer(conn.resp3);
    if total == 0 {
        w.null();
        return Ok(());
    }
    // Pick a shard in proportion to its size, so every key is about equally likely.
    let mut r = rand::random_range(0..total);
    for (len, k) in &candidates {
        if r < *len {
            w.bulk(k);
            return Ok(());
        }
        r -= len;
    }
    w.null();
    Ok(())
}
