//! Keyspace-wide commands fanned out to every shard, against the real Redis:
//! DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, KEYS, SCAN, RANDOMKEY.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrite_protocol::{parse_reply, Frame};
use ferrite_testkit::{show, Pair, RawClient, TestServer};

fn frame(reply: &[u8]) -> Frame {
    match parse_reply(reply) {
        Ok(Some((f, n))) if n == reply.len() => f,
        other => panic!("not one reply frame ({other:?}): {}", show(reply)),
    }
}

fn bulk(f: &Frame) -> Vec<u8> {
    match f {
        Frame::Bulk(b) => b.clone(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

/// Fills database `db` of both servers with `n` keys `<prefix><i>`.
fn fill(p: &mut Pair, db: &str, prefix: &str, n: usize) {
    p.check(&["SELECT", db]);
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let mut args = vec!["MSET".to_string()];
        for i in chunk {
            args.push(format!("{prefix}{i}"));
            args.push(i.to_string());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        p.check(&a);
    }
}

/// Every key a full SCAN returns, with the number of calls it took.
fn scan_all(c: &mut RawClient, opts: &[&str]) -> (BTreeSet<Vec<u8>>, usize) {
    let mut cursor = b"0".to_vec();
    let mut keys = BTreeSet::new();
    for calls in 1..100_000 {
        let mut args: Vec<&[u8]> = vec![b"SCAN", &cursor];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        let reply = frame(&c.cmd(&args));
        let Frame::Array(parts) = reply else {
            panic!("SCAN reply {reply:?}")
        };
        let Frame::Array(found) = &parts[1] else {
            panic!("SCAN keys {parts:?}")
        };
        keys.extend(found.iter().map(bulk));
        cursor = bulk(&parts[0]);
        if cursor == b"0" {
            return (keys, calls);
        }
    }
    panic!("SCAN did not finish");
}

#[test]
fn dbsize_counts_every_shard() {
    let mut p = Pair::new();
    p.check(&["DBSIZE"]);
    fill(&mut p, "0", "k", 100);
    p.check(&["DBSIZE"]);
    fill(&mut p, "5", "other", 7);
    p.check(&["DBSIZE"]);
    p.check(&["SELECT", "0"]);
    p.check(&["DBSIZE"]);
    p.check(&["DBSIZE", "x"]);
}

#[test]
fn flushdb_and_flushall_match_redis() {
    let mut p = Pair::new();
    fill(&mut p, "0", "a", 60);
    fill(&mut p, "1", "b", 60);
    p.check_all(&[
        "FLUSHDB x",
        "FLUSHDB ASYNC x",
        "FLUSHALL sync async",
        "FLUSHALL LAZY",
        "FLUSHDB",
        "DBSIZE",
        "SELECT 0",
        "DBSIZE",
        "FLUSHDB async",
        "DBSIZE",
        "SELECT 1",
        "DBSIZE",
    ]);
    fill(&mut p, "2", "c", 100);
    p.check_all(&[
        "FLUSHALL ASYNC",
        "DBSIZE",
        "SELECT 1",
        "DBSIZE",
        "FLUSHALL",
        "FLUSHALL SYNC",
    ]);
    fill(&mut p, "3", "d", 10);
    p.check_all(&["FlushAll Sync", "DBSIZE", "GET d1"]);
    // Flushes count one change per removed key, as Redis's.
    let changes = |c: &mut RawClient| -> String {
        let Frame::Bulk(b) = frame(&c.cmd_str(&["INFO", "persistence"])) else {
            panic!()
        };
        let body = String::from_utf8(b).unwrap();
        body.split("\r\n")
            .find(|l| l.starts_with("rdb_changes_since_last_save:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(changes(&mut p.ferrite), changes(&mut p.redis));
}

#[test]
fn swapdb_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SWAPDB 0 x",
        "SWAPDB x 0",
        "SWAPDB 0 16",
        "SWAPDB -1 0",
        "SWAPDB 00 1",
        "SWAPDB 0 1.5",
        "SWAPDB 0",
        "SET here 0",
        "MSET a 1 b 2 c 3 d 4",
        "SELECT 1",
        "SET there 1",
        "SWAPDB 0 1",
    ]);
    p.check_unordered(&["KEYS", "*"]);
    p.check_all(&[
        "GET here",
        "DBSIZE",
        "SELECT 0",
        "GET there",
        "DBSIZE",
        "SWAPDB 1 1",
        "SWAPDB 15 0",
        "DBSIZE",
        "SELECT 15",
        "GET there",
    ]);
}

#[test]
fn keys_matches_redis_across_shards() {
    let mut p = Pair::new();
    fill(&mut p, "0", "key:", 120);
    p.check_all(&["MSET a 1 b 2 ab 3 abc 4 * 5 h?llo 6", "SET soon 1 PX 1"]);
    p.check(&["SET", "", "empty"]);
    std::thread::sleep(Duration::from_millis(20));
    for pattern in [
        "*", "key:1*", "key:?", "a*", "[ab]*", "\\*", "h\\?llo", "", "nomatch*", "*b*",
    ] {
        p.check_unordered(&["KEYS", pattern]);
    }
    p.check(&["KEYS"]);
    p.check(&["KEYS", "a", "b"]);
    p.check(&["SELECT", "4"]);
    p.check(&["KEYS", "*"]);
}

#[test]
fn a_full_scan_returns_every_key_as_keys_does() {
    let mut p = Pair::new();
    fill(&mut p, "0", "user:", 1000);
    fill(&mut p, "0", "item:", 300);
    p.check(&["SELECT", "0"]);
    for opts in [
        &[][..],
        &["COUNT", "7"][..],
        &["COUNT", "1000"][..],
        &["MATCH", "user:1*"][..],
        &["MATCH", "item:*", "COUNT", "3"][..],
        &["TYPE", "string"][..],
        &["TYPE", "list"][..],
        &["TYPE", "nosuchtype"][..],
        &["MATCH", "nomatch", "COUNT", "50", "TYPE", "string"][..],
    ] {
        let (ours, calls) = scan_all(&mut p.ferrite, opts);
        let (theirs, _) = scan_all(&mut p.redis, opts);
        assert_eq!(ours.len(), theirs.len(), "SCAN {opts:?}");
        assert_eq!(ours, theirs, "SCAN {opts:?}");
        assert!(calls < 1400, "{calls} calls for SCAN {opts:?}");
    }
    let (all, _) = scan_all(&mut p.ferrite, &[]);
    let keys = frame(&p.ferrite.cmd_str(&["KEYS", "*"]));
    let Frame::Array(keys) = keys else { panic!() };
    assert_eq!(all, keys.iter().map(bulk).collect());
}

#[test]
fn a_small_keyspace_is_scanned_in_one_call() {
    let mut p = Pair::new();
    p.check(&["SCAN", "0"]);
    p.check_all(&["MSET a 1 b 2 c 3 d 4 e 5"]);
    let (ours, calls) = scan_all(&mut p.ferrite, &[]);
    assert_eq!(calls, 1);
    let (theirs, calls) = scan_all(&mut p.redis, &[]);
    assert_eq!(calls, 1);
    assert_eq!(ours, theirs);
}

#[test]
fn scan_errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SCAN",
        "SCAN x",
        "SCAN 1.5",
        "SCAN 18446744073709551616",
        "SCAN 0 COUNT 0",
        "SCAN 0 COUNT -1",
        "SCAN 0 COUNT x",
        "SCAN 0 MATCH",
        "SCAN 0 foo bar",
        "SCAN 0 COUNT 10 MATCH",
        "SCAN -1",
        "SCAN 0 TYPE nosuchtype",
    ]);
}

#[test]
fn scan_survives_keys_added_and_removed_between_calls() {
    let server = TestServer::start();
    let mut c = server.client();
    let initial: Vec<String> = (0..500).map(|i| format!("stay:{i}")).collect();
    for k in &initial {
        c.cmd_str(&["SET", k, "1"]);
    }
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut round = 0;
    loop {
        let reply = frame(&c.cmd(&[b"SCAN", &cursor, b"COUNT", b"20"]));
        let Frame::Array(parts) = reply else { panic!() };
        let Frame::Array(found) = &parts[1] else {
            panic!()
        };
        seen.extend(found.iter().map(bulk));
        cursor = bulk(&parts[0]);
        // Churn: keys that come and go during the scan.
        c.cmd_str(&["SET", &format!("temp:{round}"), "1"]);
        if round > 2 {
            c.cmd_str(&["DEL", &format!("temp:{}", round - 2)]);
        }
        round += 1;
        if cursor == b"0" {
            break;
        }
    }
    for k in &initial {
        assert!(seen.contains(k.as_bytes()), "SCAN missed {k}");
    }
}

#[test]
fn randomkey_matches_redis_and_reaches_every_shard() {
    let mut p = Pair::new();
    p.check(&["RANDOMKEY"]);
    p.check(&["RANDOMKEY", "x"]);
    p.check(&["SET", "only", "1"]);
    p.check(&["RANDOMKEY"]);
    p.check(&["DEL", "only"]);
    fill(&mut p, "0", "r", 30);
    let mut seen = BTreeSet::new();
    for _ in 0..600 {
        let k = bulk(&frame(&p.ferrite.cmd_str(&["RANDOMKEY"])));
        assert!(k.starts_with(b"r"), "{k:?}");
        seen.insert(k);
    }
    // 30 keys over 3 shards: 600 draws find nearly all of them.
    assert!(seen.len() >= 25, "only {} distinct keys", seen.len());
    p.check(&["SELECT", "3"]);
    p.check(&["RANDOMKEY"]);
}
