//! Blocking list commands: waiting, serving order, hand-over across shards,
//! timeouts, CLIENT UNBLOCK, disconnects. Scenarios that have one right
//! answer run against Ferrite (3 shards, keys placed on chosen shards) and
//! the real redis-server alike, and their replies are compared.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::{key_on_shard, one_key_per_shard, show, Oracle, Pair, RawClient, TestServer};

const SHARDS: usize = 3;

/// Waits until the server reports `n` blocked clients (INFO's
/// `blocked_clients`, which both servers keep).
fn wait_blocked(port: u16, n: usize) {
    let mut c = RawClient::connect(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = format!("blocked_clients:{n}\r\n");
    loop {
        let info = String::from_utf8_lossy(&c.cmd_str(&["INFO", "clients"])).into_owned();
        if info.contains(&want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {n} blocked clients: {info}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until INFO clients contains `line`.
fn wait_info(port: u16, line: &str) {
    let mut c = RawClient::connect(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = String::from_utf8_lossy(&c.cmd_str(&["INFO", "clients"])).into_owned();
        if info.contains(line) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {line:?}: {info}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// A client that sent `args` and is now blocked in it.
fn blocked(port: u16, args: &[&str], already: usize) -> RawClient {
    let mut c = RawClient::connect(port);
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send(&a);
    wait_blocked(port, already + 1);
    c
}

/// Runs `scenario` against Ferrite and the oracle and compares what it returns.
fn same_on_both(scenario: impl Fn(u16) -> Vec<String>) {
    let server = TestServer::start_with(&["--shards", "3"]);
    let oracle = Oracle::start();
    let ours = scenario(server.port);
    let theirs = scenario(oracle.port);
    assert_eq!(ours, theirs);
}

#[test]
fn replies_that_do_not_wait_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "BLPOP",
        "BLPOP k",
        "BLPOP k abc",
        "BLPOP k -1",
        "BLPOP k nan",
        "BLPOP k inf",
        "BLMPOP 0 0 k LEFT",
        "BLMPOP 0 1 k UP",
        "BLMPOP abc 1 k LEFT",
        "BLMOVE a b LEFT UP 0",
        "BRPOPLPUSH a b -1",
        "CLIENT UNBLOCK",
        "CLIENT UNBLOCK abc",
        "CLIENT UNBLOCK abc foo",
        "CLIENT UNBLOCK 999999 foo",
        "CLIENT UNBLOCK 999999",
        "CLIENT UNBLOCK -5 ERROR",
        "CLIENT UNBLOCK 1 error x",
        "RPUSH l a b c d e f",
        "BLPOP nokey l 0",
        "BRPOP nokey l 0",
        "BLMPOP 0 2 nokey l RIGHT COUNT 2",
        "BLMOVE l l2 LEFT RIGHT 0",
        "BRPOPLPUSH l2 l 0",
        "LRANGE l 0 -1",
        "SET s x",
        "BLPOP s 0",
        "BLPOP nokey s 0",
        "BLMOVE s l LEFT LEFT 0",
        "BLPOP nokey 0.01",
        "BRPOP nokey 0.01",
        "BLMPOP 0.01 1 nokey LEFT",
        "BLMOVE nokey l LEFT LEFT 0.01",
        "BRPOPLPUSH nokey l 0.01",
    ]);
    // The client ids in HELLO's reply differ: switch both without comparing.
    p.hello3();
    p.check_all(&[
        "BLPOP nokey 0.01",
        "BLMOVE nokey l LEFT LEFT 0.01",
        "BLMPOP 0.01 1 nokey LEFT",
    ]);
}

#[test]
fn timeout_keeps_the_connection_state() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["SELECT", "2"]), b"+OK\r\n");
    assert_eq!(c.cmd_str(&["CLIENT", "SETNAME", "waiter"]), b"+OK\r\n");
    let started = Instant::now();
    assert_eq!(c.cmd_str(&["BLPOP", "q", "0.2"]), b"*-1\r\n");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    // Same database, same name, still serving.
    assert_eq!(c.cmd_str(&["SET", "x", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd_str(&["CLIENT", "GETNAME"]), b"$6\r\nwaiter\r\n");
    let mut other = server.client();
    assert_eq!(other.cmd_str(&["SELECT", "2"]), b"+OK\r\n");
    assert_eq!(other.cmd_str(&["GET", "x"]), b"$1\r\n1\r\n");
    let info = String::from_utf8_lossy(&other.cmd_str(&["INFO", "clients"])).into_owned();
    assert!(info.contains("blocked_clients:0\r\n"), "{info}");
    wait_info(server.port, "ferrite_blocking_keys:0\r\n");
}

#[test]
fn pushes_serve_waiters_first_come_first_served() {
    same_on_both(|port| {
        let [k, _, _] = one_key_per_shard("fifo");
        let mut waiters: Vec<RawClient> = (0..3)
            .map(|i| blocked(port, &["BLPOP", &k, "0"], i))
            .collect();
        let mut c = RawClient::connect(port);
        let mut out = vec![show(&c.cmd_str(&["RPUSH", &k, "a", "b", "c", "d"]))];
        for w in &mut waiters {
            out.push(show(&w.read_reply()));
        }
        out.push(show(&c.cmd_str(&["LRANGE", &k, "0", "-1"])));
        // LPUSH: the head is the last element pushed.
        out.push(show(&c.cmd_str(&["LPOP", &k])));
        let mut w = blocked(port, &["BLPOP", &k, "0"], 0);
        out.push(show(&c.cmd_str(&["LPUSH", &k, "x", "y", "z"])));
        out.push(show(&w.read_reply()));
        out
    });
}

#[test]
fn a_waiter_on_several_shards_is_served_once() {
    same_on_both(|port| {
        let [a, b, c3] = one_key_per_shard("multi");
        let mut w = blocked(port, &["BRPOP", &a, &b, &c3, "0"], 0);
        let mut c = RawClient::connect(port);
        let mut out = vec![show(&c.cmd_str(&["RPUSH", &b, "1", "2"]))];
        out.push(show(&w.read_reply()));
        // Served once: later pushes elsewhere stay put.
        out.push(show(&c.cmd_str(&["RPUSH", &a, "3"])));
        out.push(show(&c.cmd_str(&["RPUSH", &c3, "4"])));
        for k in [&a, &b, &c3] {
            out.push(show(&c.cmd_str(&["LRANGE", k, "0", "-1"])));
        }
        // BLMPOP with a count, woken by the last key.
        let mut w = blocked(
            port,
            &[
                "BLMPOP",
                "0",
                "2",
                "nokey",
                &format!("{a}x"),
                "LEFT",
                "COUNT",
                "2",
            ],
            0,
        );
        out.push(show(&c.cmd_str(&[
            "RPUSH",
            &format!("{a}x"),
            "p",
            "q",
            "r",
        ])));
        out.push(show(&w.read_reply()));
        out
    });
}

#[test]
fn serving_happens_right_after_the_pushing_command() {
    // The pusher's own LPOP, pipelined right after its push, finds nothing:
    // the waiter was served in between, as Redis does after every command.
    same_on_both(|port| {
        let [k, _, _] = one_key_per_shard("pipe");
        let mut w = blocked(port, &["BLPOP", &k, "0"], 0);
        let mut c = RawClient::connect(port);
        let mut raw = Vec::new();
        for args in [vec!["RPUSH", &k, "x"], vec!["LPOP", &k], vec!["LLEN", &k]] {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            let mut b = bytes::BytesMut::new();
            ferrite_protocol::encode_request(&a, &mut b);
            raw.extend_from_slice(&b);
        }
        c.send_raw(&raw);
        let mut out: Vec<String> = (0..3).map(|_| show(&c.read_reply())).collect();
        out.push(show(&w.read_reply()));
        out
    });
}

#[test]
fn requests_pipelined_after_a_blocking_command_wait_for_it() {
    same_on_both(|port| {
        let mut w = RawClient::connect(port);
        w.send_raw(b"BLPOP later 0\r\nPING\r\nLLEN later\r\n");
        wait_blocked(port, 1);
        let mut out = vec![format!(
            "{:?}",
            w.try_read_reply(Duration::from_millis(150))
                .map(|r| show(&r))
        )];
        let mut c = RawClient::connect(port);
        out.push(show(&c.cmd_str(&["RPUSH", "later", "v", "w"])));
        for _ in 0..3 {
            out.push(show(&w.read_reply()));
        }
        out
    });
}

#[test]
fn blmove_across_shards_moves_atomically() {
    same_on_both(|port| {
        let [src, dst, other] = one_key_per_shard("mv");
        let mut c = RawClient::connect(port);
        let mut w1 = blocked(port, &["BLMOVE", &src, &dst, "RIGHT", "LEFT", "0"], 0);
        let mut w2 = blocked(port, &["BRPOPLPUSH", &src, &other, "0"], 1);
        let mut w3 = blocked(port, &["BLPOP", &src, "0"], 2);
        let mut out = vec![show(&c.cmd_str(&["RPUSH", &src, "a", "b", "c"]))];
        // Each waiter gets its own element, in order of arrival.
        out.push(show(&w1.read_reply()));
        out.push(show(&w2.read_reply()));
        out.push(show(&w3.read_reply()));
        for k in [&src, &dst, &other] {
            out.push(show(&c.cmd_str(&["LRANGE", k, "0", "-1"])));
        }
        // A destination of the wrong type: WRONGTYPE, the element stays.
        out.push(show(&c.cmd_str(&["SET", &dst, "str"])));
        let mut w = blocked(port, &["BLMOVE", &src, &dst, "LEFT", "LEFT", "0"], 0);
        out.push(show(&c.cmd_str(&["RPUSH", &src, "x"])));
        out.push(show(&w.read_reply()));
        out.push(show(&c.cmd_str(&["LRANGE", &src, "0", "-1"])));
        out
    });
}

#[test]
fn other_databases_and_other_types_do_not_wake_waiters() {
    same_on_both(|port| {
        let mut c = RawClient::connect(port);
        let mut w = RawClient::connect(port);
        let mut out = vec![show(&w.cmd_str(&["SELECT", "1"]))];
        w.send(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(port, 1);
        out.push(show(&c.cmd_str(&["RPUSH", "k", "db0"])));
        out.push(show(&c.cmd_str(&["SELECT", "1"])));
        out.push(show(&c.cmd_str(&["SET", "k", "str"])));
        out.push(format!(
            "{:?}",
            w.try_read_reply(Duration::from_millis(100))
                .map(|r| show(&r))
        ));
        out.push(show(&c.cmd_str(&["DEL", "k"])));
        // A list arriving by RENAME wakes it.
        out.push(show(&c.cmd_str(&["RPUSH", "src", "renamed"])));
        out.push(show(&c.cmd_str(&["RENAME", "src", "k"])));
        out.push(show(&w.read_reply()));
        // And one arriving by SWAPDB.
        w.send(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(port, 1);
        out.push(show(&c.cmd_str(&["SWAPDB", "0", "1"])));
        out.push(show(&w.read_reply()));
        out
    });
}

#[test]
fn client_unblock_ends_a_wait_as_timeout_or_error() {
    same_on_both(|port| {
        let mut c = RawClient::connect(port);
        let mut w = RawClient::connect(port);
        let id = String::from_utf8_lossy(&w.cmd_str(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_owned();
        let mut out = vec![show(&c.cmd_str(&["CLIENT", "UNBLOCK", &id]))];
        w.send(&[b"BLMOVE", b"a", b"b", b"LEFT", b"LEFT", b"0"]);
        wait_blocked(port, 1);
        out.push(show(&c.cmd_str(&["CLIENT", "UNBLOCK", &id])));
        out.push(show(&w.read_reply()));
        w.send(&[b"BLPOP", b"a", b"0"]);
        wait_blocked(port, 1);
        out.push(show(&c.cmd_str(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        out.push(show(&w.read_reply()));
        out.push(show(&w.cmd_str(&["PING"])));
        // Nothing was left queued: a push stays in the list.
        out.push(show(&c.cmd_str(&["RPUSH", "a", "v"])));
        out.push(show(&c.cmd_str(&["LLEN", "a"])));
        out
    });
}

#[test]
fn a_client_gone_while_blocked_leaves_nothing_behind() {
    let server = TestServer::start();
    let [a, b, _] = one_key_per_shard("gone");
    let mut c = server.client();
    // One disconnects by itself, one is killed.
    let w1 = blocked(server.port, &["BLPOP", &a, &b, "0"], 0);
    let mut w2 = blocked(server.port, &["BLMOVE", &a, &b, "LEFT", "LEFT", "0"], 1);
    drop(w1);
    wait_blocked(server.port, 1);
    // w2 is blocked and cannot ask its own id: CLIENT LIST shows it as `b`.
    let list = String::from_utf8_lossy(&c.cmd_str(&["CLIENT", "LIST"])).into_owned();
    let blocked_line = list
        .lines()
        .find(|l| l.contains("flags=b"))
        .unwrap_or_else(|| panic!("no blocked client in {list}"))
        .to_owned();
    let cid = blocked_line
        .split(' ')
        .find_map(|f| f.strip_prefix("id="))
        .unwrap()
        .to_owned();
    assert_eq!(c.cmd_str(&["CLIENT", "KILL", "ID", &cid]), b":1\r\n");
    assert!(w2.is_closed(Duration::from_secs(2)));
    wait_blocked(server.port, 0);
    wait_info(server.port, "ferrite_blocking_keys:0\r\n");
    assert_eq!(c.cmd_str(&["RPUSH", &a, "x"]), b":1\r\n");
    assert_eq!(c.cmd_str(&["RPUSH", &b, "y"]), b":1\r\n");
    assert_eq!(c.cmd_str(&["LRANGE", &a, "0", "-1"]), b"*1\r\n$1\r\nx\r\n");
    assert_eq!(c.cmd_str(&["LRANGE", &b, "0", "-1"]), b"*1\r\n$1\r\ny\r\n");
}

/// Many waiters on keys of three shards and several pushers: every pushed
/// element is popped exactly once or is still in a list at the end.
#[test]
fn concurrent_pushers_and_waiters_lose_and_duplicate_nothing() {
    let server = TestServer::start();
    let port = server.port;
    let keys = one_key_per_shard("storm");
    let per_pusher = 300;
    let pushers = 3;
    let sink = key_on_shard("sink", 1, SHARDS);
    let mut waiters = Vec::new();
    // Cross-shard moves into `sink` (counted from `sink` at the end).
    for _ in 0..2 {
        let (src, sink) = (keys[0].clone(), sink.clone());
        waiters.push(thread::spawn(move || {
            let mut c = RawClient::connect(port);
            while c.cmd_str(&["BLMOVE", &src, &sink, "RIGHT", "LEFT", "0.3"]) != b"*-1\r\n" {}
            Vec::new()
        }));
    }
    for i in 0..6 {
        let keys = keys.clone();
        waiters.push(thread::spawn(move || {
            let mut c = RawClient::connect(port);
            let mut got = Vec::new();
            loop {
                let r = if i % 2 == 0 {
                    c.cmd_str(&["BLPOP", &keys[0], &keys[1], &keys[2], "0.3"])
                } else {
                    c.cmd_str(&[
                        "BLMPOP", "0.3", "3", &keys[2], &keys[1], &keys[0], "RIGHT", "COUNT", "2",
                    ])
                };
                if r == b"*-1\r\n" {
                    return got;
                }
                got.push(r);
            }
        }));
    }
    let mut handles = Vec::new();
    for p in 0..pushers {
        let keys = keys.clone();
        handles.push(thread::spawn(move || {
            let mut c = RawClient::connect(port);
            for i in 0..per_pusher {
                let v = format!("{p}:{i}");
                let k = &keys[i % 3];
                let cmd = if i % 2 == 0 { "RPUSH" } else { "LPUSH" };
                let r = c.cmd_str(&[cmd, k, &v]);
                assert!(r.starts_with(b":"), "{}", show(&r));
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for w in waiters {
        for r in w.join().unwrap() {
            // Values are the bulk strings holding a ':' (keys have none).
            for part in String::from_utf8_lossy(&r).split("\r\n") {
                if part.contains(':') && !part.starts_with(':') {
                    *seen.entry(part.to_owned()).or_default() += 1;
                }
            }
        }
    }
    let mut c = RawClient::connect(port);
    for k in keys.iter().chain([&sink]) {
        let r = c.cmd_str(&["LRANGE", k, "0", "-1"]);
        for part in String::from_utf8_lossy(&r).split("\r\n") {
            if part.contains(':') && !part.starts_with(':') {
                *seen.entry(part.to_owned()).or_default() += 1;
            }
        }
    }
    assert_eq!(seen.len(), pushers * per_pusher, "elements lost");
    let dups: Vec<_> = seen.iter().filter(|(_, &n)| n != 1).collect();
    assert!(dups.is_empty(), "duplicated: {dups:?}");
    wait_blocked(port, 0);
    wait_info(port, "ferrite_blocking_keys:0\r\n");
}

#[test]
fn the_redis_crate_blocks_and_wakes() {
    let server = TestServer::start();
    let url = server.url();
    let waiter = thread::spawn(move || {
        let client = redis::Client::open(url).unwrap();
        let mut con = client.get_connection().unwrap();
        let got: Option<(String, String)> = redis::cmd("BLPOP")
            .arg("jobs")
            .arg(5)
            .query(&mut con)
            .unwrap();
        let none: Option<(String, String)> = redis::cmd("BLPOP")
            .arg("jobs")
            .arg(0.05)
            .query(&mut con)
            .unwrap();
        (got, none)
    });
    wait_blocked(server.port, 1);
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let n: i64 = redis::cmd("RPUSH")
        .arg("jobs")
        .arg("job-1")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 1);
    let (got, none) = waiter.join().unwrap();
    assert_eq!(got, Some(("jobs".to_owned(), "job-1".to_owned())));
    assert_eq!(none, None);
}

#[test]
fn the_idle_timeout_spares_blocked_clients() {
    let server = TestServer::start_with(&["--shards", "3", "--timeout", "1"]);
    let mut c = server.client();
    let started = Instant::now();
    assert_eq!(c.cmd_str(&["BLPOP", "q", "2.2"]), b"*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(2200));
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    // An idle client that is not blocked is still closed.
    assert!(c.is_closed(Duration::from_secs(4)));
}

#[test]
fn flushall_keeps_waiters_waiting() {
    same_on_both(|port| {
        let mut c = RawClient::connect(port);
        let mut w = blocked(port, &["BLPOP", "fq", "0"], 0);
        let mut out = vec![show(&c.cmd_str(&["FLUSHALL"]))];
        out.push(format!(
            "{:?}",
            w.try_read_reply(Duration::from_millis(100))
                .map(|r| show(&r))
        ));
        out.push(show(&c.cmd_str(&["RPUSH", "fq", "after"])));
        out.push(show(&w.read_reply()));
        out
    });
}

#[test]
fn sorted_set_pops_wait_and_are_served_in_order() {
    same_on_both(|port| {
        let [k, k2, _] = one_key_per_shard("zwait");
        let mut c = RawClient::connect(port);
        let mut a = blocked(port, &["BZPOPMIN", &k, &k2, "0"], 0);
        let mut b = blocked(port, &["BZPOPMAX", &k, "0"], 1);
        let mut m = blocked(port, &["BZMPOP", "0", "2", &k2, &k, "MAX", "COUNT", "2"], 2);
        let mut out =
            vec![show(&c.cmd_str(&[
                "ZADD", &k, "1", "a", "2", "b", "3", "c", "4", "d",
            ]))];
        out.push(show(&a.read_reply()));
        out.push(show(&b.read_reply()));
        out.push(show(&m.read_reply()));
        out.push(show(&c.cmd_str(&["ZRANGE", &k, "0", "-1", "WITHSCORES"])));
        // The second key of a waiter on two shards serves it too.
        let mut a = blocked(port, &["BZPOPMIN", &k, &k2, "0"], 0);
        out.push(show(&c.cmd_str(&["ZADD", &k2, "9", "z"])));
        out.push(show(&a.read_reply()));
        // A timeout replies a null array.
        let mut t = RawClient::connect(port);
        out.push(show(&t.cmd_str(&["BZPOPMAX", &k2, "0.05"])));
        out.push(show(&t.cmd_str(&["BZMPOP", "0.05", "1", &k2, "MIN"])));
        out
    });
}

/// A key waited on by a list pop and a sorted-set pop serves each only
/// with its own type; the other stays blocked, as in Redis.
#[test]
fn waiters_are_served_only_by_their_own_type() {
    same_on_both(|port| {
        let mut c = RawClient::connect(port);
        let mut z = blocked(port, &["BZPOPMIN", "k", "0"], 0);
        let mut l = blocked(port, &["BLPOP", "k", "0"], 1);
        let mut out = vec![show(&c.cmd_str(&["RPUSH", "k", "x"]))];
        out.push(show(&l.read_reply()));
        out.push(format!(
            "{:?}",
            z.try_read_reply(Duration::from_millis(100))
                .map(|r| show(&r))
        ));
        out.push(show(&c.cmd_str(&["ZADD", "k", "5", "m"])));
        out.push(show(&z.read_reply()));
        // A sorted set arriving by RENAME serves a waiting BZPOPMAX.
        let mut z = blocked(port, &["BZPOPMAX", "k", "0"], 0);
        out.push(show(&c.cmd_str(&["ZADD", "src", "1", "a", "2", "b"])));
        out.push(show(&c.cmd_str(&["RENAME", "src", "k"])));
        out.push(show(&z.read_reply()));
        out.push(show(&c.cmd_str(&["ZRANGE", "k", "0", "-1"])));
        out
    });
}

#[test]
fn a_waiter_outlives_a_flush_of_its_database() {
    same_on_both(|port| {
        let [k, _, _] = one_key_per_shard("flushed");
        let mut c = RawClient::connect(port);
        let mut out = vec![show(&c.cmd_str(&["SET", "filler", "x"]))];
        let mut w = blocked(port, &["BLPOP", &k, "0"], 0);
        out.push(show(&c.cmd_str(&["FLUSHALL"])));
        out.push(show(&c.cmd_str(&["FLUSHDB", "ASYNC"])));
        out.push(show(&c.cmd_str(&["RPUSH", &k, "a"])));
        out.push(show(&w.read_reply()));
        out
    });
}
