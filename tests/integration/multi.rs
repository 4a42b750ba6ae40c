//! MULTI / EXEC / DISCARD / WATCH / UNWATCH: differential tests against
//! redis-server (Ferrite with 3 shards, so transactions span shards), and
//! concurrency tests with `--shards 4`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::{key_on_shard, show, Pair, RawClient, TestServer};

fn words(line: &str) -> Vec<&[u8]> {
    line.split_whitespace().map(str::as_bytes).collect()
}

/// Sends `line` through both clients and asserts identical replies.
fn check2(f: &mut RawClient, r: &mut RawClient, line: &str) -> Vec<u8> {
    let args = words(line);
    let (a, b) = (f.cmd(&args), r.cmd(&args));
    assert_eq!(show(&a), show(&b), "reply differs for {line}");
    a
}

#[test]
fn transaction_replies_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "EXEC",
        "DISCARD",
        "MULTI",
        "MULTI",
        "WATCH a",
        "SET a 1",
        "EXEC",
        // Errors while queueing doom the transaction.
        "MULTI",
        "SET a 2",
        "NOSUCHCOMMAND x",
        "GET",
        "EXEC",
        "GET a",
        // Runtime errors are replies inside EXEC's array.
        "MULTI",
        "SET str x",
        "INCR str",
        "LPUSH str y",
        "APPEND str y",
        "GET str",
        "EXEC",
        // Blocking commands answer as their non-blocking forms.
        "MULTI",
        "BLPOP nolist 0",
        "BRPOPLPUSH nolist other 0",
        "BLMOVE nolist other LEFT RIGHT 0",
        "BZPOPMIN nozset 0",
        "BLMPOP 0 1 nolist LEFT",
        "EXEC",
        // SELECT inside a transaction applies to what follows.
        "MULTI",
        "SELECT 1",
        "SET indb1 yes",
        "SELECT 0",
        "GET indb1",
        "EXEC",
        "SELECT 1",
        "GET indb1",
        "SELECT 0",
        // Keys on every shard, one transaction.
        "MULTI",
        "MSET k1 a k2 b k3 c k4 d k5 e",
        "MGET k1 k2 k3 k4 k5",
        "RENAME k1 k6",
        "SUNIONSTORE u k2",
        "DEL k2 k3 k4",
        "DBSIZE",
        "EXISTS k1 k2 k3 k4 k5 k6",
        "EXEC",
        // Empty transaction, DISCARD, RESET inside MULTI.
        "MULTI",
        "EXEC",
        "MULTI",
        "SET d 1",
        "DISCARD",
        "GET d",
        "MULTI",
        "SET d 1",
        "RESET",
        "EXEC",
        "GET d",
        // Connection and server commands inside MULTI.
        "MULTI",
        "PING",
        "ECHO hi",
        "FLUSHDB",
        "DBSIZE",
        "EXEC",
        "UNWATCH",
    ]);
}

#[test]
fn aborted_exec_is_a_null_in_resp3_too() {
    let mut p = Pair::new();
    let (mut f2, mut r2) = (p.server.client(), p.oracle.client());
    p.hello3();
    p.check_all(&["WATCH w", "MULTI", "GET w"]);
    check2(&mut f2, &mut r2, "SET w changed");
    p.check_all(&["EXEC", "WATCH w", "MULTI", "GET w", "EXEC"]);
}

/// Between WATCH and EXEC a second client runs a command; EXEC fails
/// exactly when Redis's does.
#[test]
fn watch_is_invalidated_as_redis_invalidates_it() {
    let cases: &[(&str, &str)] = &[
        ("k", "SET k changed"),
        ("k", "SET k 1"), // same value: still a change
        ("k", "SET k x NX"),
        ("k", "SET k x XX"),
        ("k", "APPEND k x"),
        ("k", "INCRBY k 0"),
        ("k", "DEL k"),
        ("k", "DEL nosuchkey"),
        ("k", "UNLINK k"),
        ("k", "EXPIRE k 100"),
        ("k", "PERSIST k"),
        ("k", "EXPIRE k 100 GT"),
        ("k", "GETDEL k"),
        ("k", "GET k"),
        ("k", "RENAME k elsewhere"),
        ("k", "RENAME other k"),
        ("k", "MOVE k 1"),
        ("k", "COPY other k"),
        ("k", "COPY other k REPLACE"),
        ("k", "FLUSHDB"),
        ("k", "FLUSHALL"),
        ("k", "SWAPDB 0 1"),
        ("absent", "FLUSHALL"),
        ("absent", "SET absent now"),
        ("k", "MSET k a other b"),
        ("h", "HSET h f v"),
        ("h", "HSET h f new"),
        ("h", "HSETNX h f v"),
        ("h", "HDEL h nosuchfield"),
        ("h", "HINCRBY h n 0"),
        ("s", "SADD s m"),
        ("s", "SADD s new"),
        ("s", "SREM s nosuch"),
        ("s", "SMOVE s dst m"),
        ("s", "SMOVE s dst nosuch"),
        ("s", "SINTERSTORE dst s other2"),
        ("dst", "SINTERSTORE dst s"),
        ("s", "SPOP s 0"),
        ("l", "LPUSH l x"),
        ("l", "LREM l 0 nosuch"),
        ("l", "LSET l 0 a"),
        ("l", "LMOVE l l2 LEFT RIGHT"),
        ("l", "LPOP l 0"),
        ("z", "ZADD z 1 a"),
        ("z", "ZADD z 2 a"),
        ("z", "ZADD z XX 1 nosuch"),
        ("z", "ZINCRBY z 0 a"),
        ("z", "ZREM z nosuch"),
        ("z", "ZUNIONSTORE z2 1 z"),
        ("z2", "ZUNIONSTORE z2 1 z"),
        ("z", "ZPOPMIN z"),
    ];
    let mut p = Pair::new();
    let (mut f2, mut r2) = (p.server.client(), p.oracle.client());
    let setup = [
        "FLUSHALL",
        "SET k 1",
        "SET other 2",
        "HSET h f v n 1",
        "SADD s m",
        "SADD other2 m x",
        "RPUSH l a b",
        "ZADD z 1 a",
    ];
    for (watched, change) in cases {
        for line in setup {
            check2(&mut f2, &mut r2, line);
        }
        p.check_all(&[&format!("WATCH {watched}"), "MULTI", "PING"]);
        check2(&mut f2, &mut r2, change);
        let (f, r) = p.both_bytes(&[b"EXEC"]);
        assert_eq!(show(&f), show(&r), "WATCH {watched}, then {change}");
    }
}

#[test]
fn watch_sees_expiry_and_unwatch_forgets() {
    let mut p = Pair::new();
    p.check_all(&["SET k 1", "PEXPIRE k 100", "WATCH k", "MULTI", "GET k"]);
    thread::sleep(Duration::from_millis(200));
    // The key expired while watched: EXEC fails, as in Redis 7.0.
    p.check_all(&["EXEC"]);
    // A key already expired when watched does not count.
    p.check_all(&["SET j 1", "PEXPIRE j 30"]);
    thread::sleep(Duration::from_millis(80));
    p.check_all(&["WATCH j", "MULTI", "GET j", "EXEC"]);
    // UNWATCH, DISCARD and EXEC forget the watched keys.
    let (mut f2, mut r2) = (p.server.client(), p.oracle.client());
    p.check_all(&["WATCH a b c", "UNWATCH"]);
    check2(&mut f2, &mut r2, "SET a 1");
    p.check_all(&["MULTI", "GET a", "EXEC"]);
    p.check_all(&["WATCH a", "MULTI", "DISCARD"]);
    check2(&mut f2, &mut r2, "SET a 2");
    p.check_all(&["MULTI", "GET a", "EXEC"]);
    p.check_all(&["WATCH a", "MULTI", "EXEC"]);
    check2(&mut f2, &mut r2, "SET a 3");
    p.check_all(&["MULTI", "GET a", "EXEC"]);
    // Watching several keys on several shards: any one change aborts.
    p.check_all(&["WATCH x1 x2 x3 x4 x5 x6", "MULTI", "PING"]);
    check2(&mut f2, &mut r2, "SET x5 changed");
    p.check_all(&["EXEC"]);
    // A client's own change counts too.
    p.check_all(&["WATCH own", "SET own 1", "MULTI", "GET own", "EXEC"]);
}

#[test]
fn a_long_transaction_keeps_its_arguments_not_its_buffers() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut c = server.client();
    assert_eq!(c.cmd(&[b"MULTI"]), b"+OK\r\n");
    let n = 20_000;
    let mut batch = Vec::new();
    for i in 0..n {
        let k = format!("key:{i}");
        batch.extend_from_slice(
            format!("*3\r\n$4\r\nSADD\r\n${}\r\n{k}\r\n$1\r\nm\r\n", k.len()).as_bytes(),
        );
    }
    c.send_raw(&batch);
    for _ in 0..n {
        assert_eq!(c.read_reply(), b"+QUEUED\r\n");
    }
    let reply = c.cmd(&[b"EXEC"]);
    assert!(reply.starts_with(format!("*{n}\r\n").as_bytes()));
    assert_eq!(reply.len(), format!("*{n}\r\n").len() + n * 4);
    assert_eq!(c.cmd(&[b"DBSIZE"]), format!(":{n}\r\n").as_bytes());
}

fn connect(port: u16) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    client.get_connection().unwrap()
}

/// Many clients move amounts between accounts on different shards in
/// MULTI/EXEC while readers sum every balance in MULTI/EXEC: the total
/// never changes.
#[test]
fn bank_transfers_across_shards_keep_the_total() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let accounts: Vec<String> = (0..8)
        .map(|i| key_on_shard(&format!("acct{i}"), i % 4, 4))
        .collect();
    let mut con = connect(port);
    for a in &accounts {
        let _: () = redis::cmd("SET").arg(a).arg(1000).query(&mut con).unwrap();
    }
    let total = 1000 * accounts.len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let mut movers = Vec::new();
    for w in 0..4u64 {
        let (stop, accounts) = (stop.clone(), accounts.clone());
        movers.push(thread::spawn(move || {
            let mut con = connect(port);
            let mut x = w.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let from = &accounts[(x % 8) as usize];
                let to = &accounts[((x >> 8) % 8) as usize];
                let amount = (x >> 16) % 50;
                let _: (i64, i64) = redis::pipe()
                    .atomic()
                    .cmd("DECRBY")
                    .arg(from)
                    .arg(amount)
                    .cmd("INCRBY")
                    .arg(to)
                    .arg(amount)
                    .query(&mut con)
                    .unwrap();
                n += 1;
            }
            n
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut sums = 0;
    while Instant::now() < deadline {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for a in &accounts {
            pipe.cmd("GET").arg(a);
        }
        let balances: Vec<i64> = pipe.query(&mut con).unwrap();
        assert_eq!(balances.iter().sum::<i64>(), total, "{balances:?}");
        sums += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let moves: u64 = movers.into_iter().map(|m| m.join().unwrap()).sum();
    assert!(
        sums > 10 && moves > 100,
        "too little traffic: {sums} sums, {moves} moves"
    );
    let balances: Vec<i64> = redis::cmd("MGET").arg(&accounts).query(&mut con).unwrap();
    assert_eq!(balances.iter().sum::<i64>(), total);
}

/// WATCH-based optimistic increments from many clients never lose one.
#[test]
fn optimistic_increments_never_lose_an_update() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let counters: Vec<String> = (0..2).map(|i| key_on_shard("counter", i + 1, 4)).collect();
    let clients = 6;
    let per_client = 150;
    let mut handles = Vec::new();
    for c in 0..clients {
        let counters = counters.clone();
        handles.push(thread::spawn(move || {
            let mut con = connect(port);
            let mut retries = 0;
            for i in 0..per_client {
                let key = &counters[(c + i) % counters.len()];
                loop {
                    let _: () = redis::cmd("WATCH").arg(key).query(&mut con).unwrap();
                    let v: Option<i64> = redis::cmd("GET").arg(key).query(&mut con).unwrap();
                    let res: Option<(String,)> = redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(key)
                        .arg(v.unwrap_or(0) + 1)
                        .query(&mut con)
                        .unwrap();
                    if res.is_some() {
                        break;
                    }
                    retries += 1;
                }
            }
            retries
        }));
    }
    let retries: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut con = connect(port);
    let values: Vec<i64> = redis::cmd("MGET").arg(&counters).query(&mut con).unwrap();
    assert_eq!(
        values.iter().sum::<i64>(),
        (clients * per_client) as i64,
        "retries: {retries}"
    );
}
