//! Keyspace-wide commands, fanned out to every shard: DBSIZE, FLUSHDB,
//! FLUSHALL, SWAPDB, KEYS, SCAN, RANDOMKEY.

use bytes::Bytes;
use ferrite_commands::generic::{op_keys, op_scan, parse_scan_args};
use ferrite_commands::util::is;
use ferrite_commands::{CmdError, CmdResult};

use crate::conn::{Conn, Session};
use crate::coord;
use crate::server::Shared;

/// DBSIZE
pub async fn dbsize(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let db = conn.db;
    let sizes = coord::fan_out(&s.worker, move |sh| sh.dbs.get(db).map_or(0, |d| d.len())).await?;
    s.writer(conn.resp3).int(sizes.iter().sum::<usize>() as i64);
    Ok(())
}

/// FLUSHDB [ASYNC|SYNC] / FLUSHALL [ASYNC|SYNC]
pub async fn flush(s: &mut Session, conn: &mut Conn, argv: &[Bytes], all: bool) -> CmdResult {
    match argv.len() {
        1 => {}
        2 if is(&argv[1], "async") || is(&argv[1], "sync") => {}
        _ => return Err(CmdError::SYNTAX),
    }
    let db = conn.db;
    let removed = coord::fan_out(&s.worker, move |sh| {
        let mut n = 0u64;
        for (i, d) in sh.dbs.iter_mut().enumerate() {
            if all || i == db {
                n += d.len() as u64;
                d.clear();
            }
        }
        // Redis counts a flush as changes, even of an empty database.
        sh.dirty += n.max(1);
        n
    })
    .await?;
    let _ = removed;
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

fn db_index(arg: &[u8], which: &str, databases: usize) -> Result<usize, CmdError> {
    let n = ferrite_storage::value::canonical_int(arg)
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
    coord::fan_out(&s.worker, move |sh| {
        sh.dbs.swap(a, b);
        sh.dirty += 1;
    })
    .await?;
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// KEYS pattern
pub async fn keys(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let db = conn.db;
    let pattern = argv[1].clone();
    let lists = coord::fan_out(&s.worker, move |sh| {
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
/// The cursor encodes the shard in its low part: `position * shards + shard`,
/// where each shard's position is its own database cursor. Shards are walked
/// one after the other.
pub async fn scan(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let cursor = ferrite_storage::num::parse_scan_cursor(&argv[1])
        .ok_or_else(|| CmdError::other("ERR invalid cursor"))?;
    let opts = parse_scan_args(&argv[2..])?;
    let n = s.worker.shared.nshards as u64;
    let shard = (cursor % n) as usize;
    let pos = cursor / n;
    let db = conn.db;
    let (next, keys) = if n == 1 {
        let mut sh = s.worker.shard.borrow_mut();
        let mut out = Vec::new();
        let next = match sh.dbs.get_mut(db) {
            Some(d) => op_scan(d, pos, &opts, Shared::now_ms(), &mut out),
            None => 0,
        };
        (next, out)
    } else {
        coord::run_on(&s.worker.shared, shard, None, move |sh| {
            let mut out = Vec::new();
            let next = match sh.dbs.get_mut(db) {
                Some(d) => op_scan(d, pos, &opts, Shared::now_ms(), &mut out),
                None => 0,
            };
            (next, out)
        })
        .await?
    };
    let next_cursor = if next != 0 {
        next.saturating_mul(n).saturating_add(shard as u64)
    } else if (shard as u64) + 1 < n {
        shard as u64 + 1
    } else {
        0
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
    let picks = coord::fan_out(&s.worker, move |sh| {
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
