//! Per-command statistics (INFO commandstats, errorstats, latencystats),
//! SLOWLOG, LATENCY and MONITOR, against the real Redis where replies can
//! be compared and by shape where they hold times and addresses.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferrite_protocol::{parse_reply, Frame};
use ferrite_testkit::{show, Pair, RawClient, TestServer};

fn frame(reply: &[u8]) -> Frame {
    match parse_reply(reply) {
        Ok(Some((f, n))) if n == reply.len() => f,
        other => panic!("not one reply frame ({other:?}): {}", show(reply)),
    }
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

fn items(f: &Frame) -> &[Frame] {
    match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("not an array: {other:?}"),
    }
}

fn int(f: &Frame) -> i64 {
    match f {
        Frame::Integer(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// INFO `section`'s `name:value` lines.
fn info(c: &mut RawClient, section: &str) -> BTreeMap<String, String> {
    let t = text(&frame(&c.cmd_str(&["INFO", section])));
    t.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `calls=..,usec=..` into its parts, without the time-dependent ones.
fn counts(v: &str) -> BTreeMap<String, String> {
    v.split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| !k.starts_with("usec"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The same mix of good, failing and refused commands on both servers.
fn workload(p: &mut Pair) {
    for line in [
        "SET a 1",
        "GET a",
        "GET a",
        "LPUSH a x",
        "INCR a",
        "GET",
        "NOSUCH cmd",
        "CONFIG GET maxmemory",
        "CONFIG SET hz nope",
        "CONFIG NOSUCH",
        "HSET h f v",
        "HGET h f",
        "MSET k1 1 k2 2 k3 3",
        "MGET k1 k2 k3",
        "EVAL \"return redis.call('get', KEYS[1])\" 1 a",
        "EVAL \"return redis.call('incr', KEYS[1])\" 1 h",
        "MULTI",
        "SET b 2",
        "LPUSH b x",
        "EXEC",
        "SUBSTR a 0",
        "OBJECT nosuch",
    ] {
        p.check(&split(line));
    }
}

fn split(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap();
            out.push(&r[..end]);
            rest = &r[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn commandstats_and_errorstats_count_as_redis() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "RESETSTAT"]);
    workload(&mut p);
    let f = info(&mut p.ferrite, "commandstats");
    let r = info(&mut p.redis, "commandstats");
    let view = |m: &BTreeMap<String, String>| -> BTreeMap<String, BTreeMap<String, String>> {
        m.iter().map(|(k, v)| (k.clone(), counts(v))).collect()
    };
    assert_eq!(view(&f), view(&r));
    for (k, v) in &f {
        let usec: u64 = v
            .split(',')
            .find_map(|kv| kv.strip_prefix("usec="))
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| panic!("{k}:{v}"));
        assert!(usec < 10_000_000, "{k}:{v}");
        assert!(v.contains(",usec_per_call="), "{k}:{v}");
    }
    assert_eq!(
        info(&mut p.ferrite, "errorstats"),
        info(&mut p.redis, "errorstats")
    );
    let total = |c: &mut RawClient| info(c, "stats")["total_error_replies"].clone();
    assert_eq!(total(&mut p.ferrite), total(&mut p.redis));
    // RESETSTAT empties them (and is then the only command counted).
    p.check(&["CONFIG", "RESETSTAT"]);
    assert_eq!(
        info(&mut p.ferrite, "errorstats"),
        info(&mut p.redis, "errorstats")
    );
    let names =
        |c: &mut RawClient| -> BTreeSet<String> { info(c, "commandstats").into_keys().collect() };
    assert_eq!(names(&mut p.ferrite), names(&mut p.redis));
}

#[test]
fn latencystats_report_the_configured_percentiles() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "RESETSTAT"]);
    workload(&mut p);
    let f = info(&mut p.ferrite, "latencystats");
    let r = info(&mut p.redis, "latencystats");
    assert_eq!(
        f.keys().collect::<BTreeSet<_>>(),
        r.keys().collect::<BTreeSet<_>>()
    );
    for v in f.values() {
        let keys: Vec<&str> = v
            .split(',')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(keys, ["p50", "p99", "p99.9"], "{v}");
        for kv in v.split(',') {
            let (_, n) = kv.split_once('=').unwrap();
            let (_, frac) = n.split_once('.').unwrap();
            assert_eq!(frac.len(), 3, "{v}");
        }
    }
    p.check(&[
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "99.99 1.5",
    ]);
    let f = info(&mut p.ferrite, "latencystats");
    assert!(
        f["latency_percentiles_usec_get"].starts_with("p99.99="),
        "{f:?}"
    );
    assert!(
        f["latency_percentiles_usec_get"].contains(",p1.5="),
        "{f:?}"
    );
    // Tracking off: no new histograms (SET's stays).
    p.check(&["CONFIG", "SET", "latency-tracking", "no"]);
    p.check(&["SADD", "s", "m"]);
    let f = info(&mut p.ferrite, "latencystats");
    assert!(!f.contains_key("latency_percentiles_usec_sadd"), "{f:?}");
    assert!(f.contains_key("latency_percentiles_usec_set"), "{f:?}");
}

/// A slow-log entry without its id, time, duration and client address.
fn entry_view(e: &Frame) -> (Vec<String>, String) {
    let e = items(e);
    assert_eq!(e.len(), 6);
    assert!(int(&e[1]) > 1_600_000_000);
    assert!(int(&e[2]) >= 0);
    assert!(text(&e[4]).starts_with("127.0.0.1:"));
    (items(&e[3]).iter().map(text).collect(), text(&e[5]))
}

#[test]
fn slowlog_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SLOWLOG HELP",
        "SLOWLOG GET -2",
        "SLOWLOG GET x",
        "SLOWLOG LEN 1",
        "SLOWLOG",
        "SLOWLOG NOSUCH",
        "CONFIG SET slowlog-log-slower-than 0",
        "SLOWLOG RESET",
        "CLIENT SETNAME app",
        "SET k v",
        "AUTH nosuch-user pw",
    ]);
    // The default user has no password: any password logs in (ids differ).
    let (f, r) = p.both_bytes(&[b"HELLO", b"2", b"AUTH", b"default", b"pw"]);
    assert!(f.starts_with(b"*14\r\n") && r.starts_with(b"*14\r\n"));
    p.check(&["CONFIG", "SET", "hz", "11", "requirepass", ""]);
    let long = "x".repeat(200);
    p.check(&["SET", &long, "v"]);
    let mut rpush = vec!["RPUSH".to_owned(), "l".to_owned()];
    rpush.extend((1..=40).map(|i| i.to_string()));
    p.check_strings(&rpush);
    p.check(&["SLOWLOG", "LEN"]);
    let (f, r) = p.both_bytes(&[b"SLOWLOG", b"GET", b"-1"]);
    let (f, r) = (frame(&f), frame(&r));
    let fv: Vec<_> = items(&f).iter().map(entry_view).collect();
    let rv: Vec<_> = items(&r).iter().map(entry_view).collect();
    assert_eq!(fv, rv);
    // Newest first, ids decreasing by one.
    let ids: Vec<i64> = items(&f).iter().map(|e| int(&items(e)[0])).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "{ids:?}");
    let (f, r) = p.both_bytes(&[b"SLOWLOG", b"GET", b"2"]);
    assert_eq!(items(&frame(&f)).len(), 2);
    assert_eq!(items(&frame(&r)).len(), 2);
    // A shorter log keeps the newest.
    p.check(&["CONFIG", "SET", "slowlog-max-len", "3"]);
    p.check(&["SET", "k", "w"]);
    p.check(&["SLOWLOG", "LEN"]);
    p.check(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    p.check(&["SLOWLOG", "RESET"]);
    p.check(&["SET", "k", "v"]);
    p.check(&["SLOWLOG", "LEN"]);
}

#[test]
fn latency_monitor_and_histograms() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--enable-debug-command", "yes"],
        &["--enable-debug-command", "yes"],
    );
    p.check_all(&[
        "LATENCY HELP",
        "LATENCY LATEST",
        "LATENCY HISTORY command",
        "LATENCY RESET",
        "LATENCY GRAPH command",
        "LATENCY NOSUCH",
        "LATENCY HISTORY",
        "CONFIG SET latency-monitor-threshold 20",
    ]);
    // A spike: DEBUG SLEEP stops the server for 50 ms.
    for c in [&mut p.ferrite, &mut p.redis] {
        assert_eq!(c.cmd_str(&["DEBUG", "SLEEP", "0.05"]), b"+OK\r\n");
        c.cmd_str(&["SET", "a", "1"]);
    }
    // No more spikes from here: a loaded machine could make any command
    // pass a threshold.
    p.check(&["CONFIG", "SET", "latency-monitor-threshold", "0"]);
    for c in [&mut p.ferrite, &mut p.redis] {
        let latest = frame(&c.cmd_str(&["LATENCY", "LATEST"]));
        let e = items(&latest)
            .iter()
            .map(items)
            .find(|e| text(&e[0]) == "command")
            .unwrap_or_else(|| panic!("no command event: {latest:?}"));
        assert!(int(&e[2]) >= 50 && int(&e[3]) >= 50, "{latest:?}");
        let hist = frame(&c.cmd_str(&["LATENCY", "HISTORY", "command"]));
        assert_eq!(items(&hist).len(), 1);
        let graph = text(&frame(&c.cmd_str(&["LATENCY", "GRAPH", "command"])));
        assert!(graph.starts_with("command - high "), "{graph}");
        let doctor = text(&frame(&c.cmd_str(&["LATENCY", "DOCTOR"])));
        assert!(doctor.contains("command"), "{doctor}");
    }
    p.check(&["LATENCY", "RESET", "command", "other"]);
    p.check(&["LATENCY", "HISTORY", "command"]);
    p.check(&["LATENCY", "RESET"]);
    p.check(&["LATENCY", "LATEST"]);
    // Histograms: the same commands with calls, buckets cumulative.
    p.check(&["CONFIG", "RESETSTAT"]);
    for _ in 0..3 {
        p.check(&["GET", "a"]);
    }
    p.check(&["CONFIG", "GET", "hz"]);
    for args in [
        &["LATENCY", "HISTOGRAM", "get", "nosuch", "config|get"][..],
        &["LATENCY", "HISTOGRAM", "CONFIG"][..],
    ] {
        let (f, r) = p.both_bytes(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        // Sorted: Redis lists a container's subcommands in hash order.
        let shape = |reply: &[u8]| -> Vec<(String, i64)> {
            let v = frame(reply);
            let mut out: Vec<(String, i64)> = items(&v)
                .chunks(2)
                .map(|kv| {
                    let d = items(&kv[1]);
                    assert_eq!(text(&d[0]), "calls");
                    assert_eq!(text(&d[2]), "histogram_usec");
                    let b: Vec<i64> = items(&d[3]).iter().map(int).collect();
                    assert!(b.chunks(2).all(|x| x[0] > 0 && x[1] > 0));
                    assert_eq!(b.last(), Some(&int(&d[1])));
                    (text(&kv[0]), int(&d[1]))
                })
                .collect();
            out.sort();
            out
        };
        assert_eq!(shape(&f), shape(&r), "{args:?}");
    }
    p.hello3();
    let (f, r) = p.both_bytes(&[b"LATENCY", b"HISTOGRAM", b"get"]);
    assert!(
        f.starts_with(b"%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n%")
    );
    assert!(
        r.starts_with(b"%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n%")
    );
}

/// Reads MONITOR lines until `n` arrived.
fn monitor_lines(m: &mut RawClient, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let Some(line) = m.try_read_reply(Duration::from_secs(5)) else {
            panic!("only {} monitor lines: {out:?}", out.len());
        };
        out.push(String::from_utf8(line).unwrap());
    }
    out
}

/// A monitor line without its time: `[db source] "args"...`.
fn without_time(line: &str) -> String {
    let (time, rest) = line
        .strip_prefix('+')
        .and_then(|l| l.split_once(' '))
        .unwrap_or_else(|| panic!("{line}"));
    let (secs, us) = time.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000);
    assert_eq!(us.len(), 6);
    rest.trim_end().to_owned()
}

#[test]
fn monitor_shows_commands_as_redis_does() {
    let p = Pair::new();
    let run = |connect: &dyn Fn() -> RawClient| -> Vec<String> {
        let mut m = connect();
        assert_eq!(m.cmd_str(&["MONITOR"]), b"+OK\r\n");
        let mut c = connect();
        let me = c.local_addr().to_string();
        for line in [
            &["SET", "a", "b\"\n"][..],
            &["GET"][..],
            &["CONFIG", "GET", "hz"][..],
            &["AUTH", "secret"][..],
            &["SELECT", "2"][..],
            &["MULTI"][..],
            &["SET", "x", "1"][..],
            &["EXEC"][..],
            &["EVAL", "return redis.call('set', 'k', ARGV[1])", "0", "v"][..],
            &["PING"][..],
        ] {
            c.cmd_str(line);
        }
        monitor_lines(&mut m, 9)
            .iter()
            .map(|l| without_time(l).replace(&me, "ME"))
            .collect()
    };
    let f = run(&|| p.server.client());
    let r = run(&|| p.oracle.client());
    assert_eq!(f, r);
    assert_eq!(f[0], r#"[0 ME] "SET" "a" "b\"\n""#);
    assert!(f.iter().any(|l| l == r#"[2 lua] "set" "k" "v""#), "{f:?}");
}

#[test]
fn monitor_client_is_flagged_and_gone_when_it_closes() {
    let server = TestServer::start();
    let mut m = server.client();
    assert_eq!(m.cmd_str(&["MONITOR"]), b"+OK\r\n");
    let mut c = server.client();
    let list = text(&frame(&c.cmd_str(&["CLIENT", "LIST"])));
    assert!(list.lines().any(|l| l.contains(" flags=O ")), "{list}");
    drop(m);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(c.cmd_str(&["SET", "a", "1"]), b"+OK\r\n");
    let list = text(&frame(&c.cmd_str(&["CLIENT", "LIST"])));
    assert!(!list.contains("flags=O"), "{list}");
}

#[test]
fn client_pause_and_no_evict_replies_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "CLIENT PAUSE -1",
        "CLIENT PAUSE abc",
        "CLIENT PAUSE 10 bad",
        "CLIENT PAUSE 10 WRITE extra",
        "CLIENT PAUSE",
        "CLIENT UNPAUSE x",
        "CLIENT UNPAUSE",
        "CLIENT NO-EVICT maybe",
        "CLIENT NO-EVICT",
        "CLIENT NO-EVICT on",
        "CLIENT PAUSE 0 write",
        "CLIENT NO-EVICT OFF",
    ]);
    for c in [&mut p.ferrite, &mut p.redis] {
        c.cmd_str(&["CLIENT", "NO-EVICT", "on"]);
        let me = text(&frame(&c.cmd_str(&["CLIENT", "INFO"])));
        assert!(me.contains(" flags=e "), "{me}");
    }
}

#[test]
fn client_pause_write_holds_writes_and_unpause_releases_them() {
    let server = TestServer::start_with(&["--shards", "3"]);
    let mut admin = server.client();
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["SET", "k", "v0"]), b"+OK\r\n");
    // The pause cannot end sooner than 1 s after this instant.
    let t0 = std::time::Instant::now();
    let pause = admin.cmd_str(&["CLIENT", "PAUSE", "1000", "WRITE"]);
    assert_eq!(pause, b"+OK\r\n");
    // Reads go on while writes wait.
    assert_eq!(c.cmd_str(&["GET", "k"]), b"$2\r\nv0\r\n");
    assert!(t0.elapsed() < Duration::from_millis(1000));
    assert_eq!(c.cmd_str(&["SET", "k", "v1"]), b"+OK\r\n");
    assert!(t0.elapsed() >= Duration::from_millis(1000));
    // Queued writes are not held, their EXEC is; UNPAUSE releases it early.
    let pause = admin.cmd_str(&["CLIENT", "PAUSE", "20000", "WRITE"]);
    assert_eq!(pause, b"+OK\r\n");
    let t0 = std::time::Instant::now();
    assert_eq!(c.cmd_str(&["MULTI"]), b"+OK\r\n");
    assert_eq!(c.cmd_str(&["INCR", "n"]), b"+QUEUED\r\n");
    assert!(t0.elapsed() < Duration::from_secs(10));
    c.send(&[b"EXEC"]);
    // The waiting client is blocked, as Redis shows it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let list = text(&frame(&admin.cmd_str(&["CLIENT", "LIST"])));
        let info = text(&frame(&admin.cmd_str(&["INFO", "clients"])));
        let blocked = |l: &str| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("flags="))
                .is_some_and(|f| f.contains('b'))
        };
        if list.lines().any(blocked) && info.contains("blocked_clients:1\r\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{list}\n{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(c.try_read_reply(Duration::from_millis(200)).is_none());
    assert_eq!(admin.cmd_str(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"*1\r\n:1\r\n");
    let info = text(&frame(&admin.cmd_str(&["INFO", "clients"])));
    assert!(info.contains("blocked_clients:0\r\n"), "{info}");
}

#[test]
fn client_pause_all_holds_every_command() {
    let server = TestServer::start();
    let mut admin = server.client();
    let mut c = server.client();
    let t0 = std::time::Instant::now();
    assert_eq!(admin.cmd_str(&["CLIENT", "PAUSE", "300"]), b"+OK\r\n");
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    assert!(t0.elapsed() >= Duration::from_millis(300));
}

#[test]
fn client_kill_maxage_closes_only_older_connections() {
    let server = TestServer::start();
    let mut old = server.client();
    assert_eq!(old.cmd_str(&["PING"]), b"+PONG\r\n");
    std::thread::sleep(Duration::from_millis(2100));
    let mut young = server.client();
    assert_eq!(
        young.cmd_str(&["CLIENT", "KILL", "MAXAGE", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(young.cmd_str(&["CLIENT", "KILL", "MAXAGE", "1"]), b":1\r\n");
    assert!(old.is_closed(Duration::from_secs(2)));
    assert_eq!(young.cmd_str(&["PING"]), b"+PONG\r\n");
}

#[test]
fn debug_change_repl_id_gives_a_new_replication_id() {
    let server = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = server.client();
    let id = |c: &mut RawClient| info(c, "replication")["master_replid"].clone();
    let before = id(&mut c);
    assert_eq!(before.len(), 40);
    assert!(before.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(id(&mut c), before);
    assert_eq!(c.cmd_str(&["DEBUG", "CHANGE-REPL-ID"]), b"+OK\r\n");
    let after = id(&mut c);
    assert_eq!(after.len(), 40);
    assert_ne!(after, before);
}

#[test]
fn info_counts_clients_blocked_with_a_timeout_as_redis() {
    let mut p = Pair::new();
    let (mut fb, mut rb) = (p.server.client(), p.oracle.client());
    fb.send(&[b"BLPOP", b"nothing", b"30"]);
    rb.send(&[b"BLPOP", b"nothing", b"30"]);
    // The first waits before the second comes, so both serve them in order.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while info(&mut p.ferrite, "clients")["blocked_clients"] != "1"
        || info(&mut p.redis, "clients")["blocked_clients"] != "1"
    {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut b0f = p.server.client();
    let mut b0r = p.oracle.client();
    b0f.send(&[b"BLPOP", b"nothing", b"0"]);
    b0r.send(&[b"BLPOP", b"nothing", b"0"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let f = info(&mut p.ferrite, "clients");
        let r = info(&mut p.redis, "clients");
        if f["blocked_clients"] == "2" && r["blocked_clients"] == "2" {
            assert_eq!(f["clients_in_timeout_table"], r["clients_in_timeout_table"]);
            assert_eq!(f["clients_in_timeout_table"], "1");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{f:?} {r:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    p.check(&["RPUSH", "nothing", "a", "b"]);
    assert_eq!(fb.read_reply(), rb.read_reply());
    assert_eq!(b0f.read_reply(), b0r.read_reply());
    let f = info(&mut p.ferrite, "clients");
    assert_eq!(f["clients_in_timeout_table"], "0");
    assert!(f["client_recent_max_input_buffer"].parse::<u64>().unwrap() > 0);
}

#[test]
fn debug_is_refused_unless_enabled_as_in_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "DEBUG",
        "DEBUG SLEEP 0",
        "DEBUG HELP",
        "MULTI",
        "DEBUG SLEEP 0",
        "EXEC",
        "CONFIG SET enable-debug-command yes",
        "CONFIG GET enable-debug-command",
    ]);
    p.check(&["EVAL", "return redis.call('debug','sleep','0')", "0"]);
    // `local`: loopback clients may (every test client is one).
    let server = TestServer::start_with(&["--enable-debug-command", "local"]);
    assert_eq!(
        server.client().cmd_str(&["DEBUG", "SLEEP", "0"]),
        b"+OK\r\n"
    );
}

/// OBJECT IDLETIME of `key`, in seconds.
fn idle(c: &mut RawClient, key: &str) -> i64 {
    int(&frame(&c.cmd_str(&["OBJECT", "IDLETIME", key])))
}

#[test]
fn client_no_touch_leaves_idle_time_alone_except_for_touch() {
    let server = TestServer::start();
    let mut setup = server.client();
    let mut quiet = server.client();
    // Keys on every shard, so that both the connection's own shard and the
    // others (remote batches, multi-shard commands) are covered.
    let keys = ferrite_testkit::one_key_per_shard("nt");
    let lists = ferrite_testkit::one_key_per_shard("ntl");
    for (k, l) in keys.iter().zip(&lists) {
        assert_eq!(setup.cmd_str(&["SET", k, "1"]), b"+OK\r\n");
        assert_eq!(setup.cmd_str(&["RPUSH", l, "a", "b"]), b":2\r\n");
    }
    assert_eq!(
        quiet.cmd_str(&["CLIENT", "NO-TOUCH", "maybe"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(quiet.cmd_str(&["CLIENT", "NO-TOUCH", "on"]), b"+OK\r\n");
    let flags = String::from_utf8_lossy(&quiet.cmd_str(&["CLIENT", "INFO"])).into_owned();
    assert!(flags.contains(" flags=T "), "{flags}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while keys.iter().chain(&lists).any(|k| idle(&mut setup, k) < 2) {
        assert!(std::time::Instant::now() < deadline, "keys never idle");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Reads, writes, a transaction, multi-shard commands and scripts (the
    // first run takes every lock, the second runs on the key's shard).
    for (k, l) in keys.iter().zip(&lists) {
        assert!(quiet.cmd_str(&["GET", k]).starts_with(b"$"));
        assert!(quiet.cmd_str(&["INCR", k]).starts_with(b":"));
        assert!(quiet.cmd_str(&["LRANGE", l, "0", "-1"]).starts_with(b"*2"));
        assert_eq!(quiet.cmd_str(&["MULTI"]), b"+OK\r\n");
        assert_eq!(quiet.cmd_str(&["GET", k]), b"+QUEUED\r\n");
        assert!(quiet.cmd_str(&["EXEC"]).starts_with(b"*1"));
        for _ in 0..2 {
            let r = quiet.cmd_str(&["EVAL", "return redis.call('get', KEYS[1])", "1", k]);
            assert!(r.starts_with(b"$"), "{}", show(&r));
        }
    }
    let mut all: Vec<&str> = vec!["MGET"];
    all.extend(keys.iter().map(|k| k.as_str()));
    assert!(quiet.cmd_str(&all).starts_with(b"*3"));
    for k in keys.iter().chain(&lists) {
        assert!(idle(&mut setup, k) >= 2, "{k} was touched");
    }
    // TOUCH still touches, and so does any client without the mode.
    assert_eq!(quiet.cmd_str(&["TOUCH", &keys[0], &keys[1]]), b":2\r\n");
    assert_eq!(idle(&mut setup, &keys[0]), 0);
    assert_eq!(idle(&mut setup, &keys[1]), 0);
    assert!(setup.cmd_str(&["GET", &keys[2]]).starts_with(b"$"));
    assert_eq!(idle(&mut setup, &keys[2]), 0);
    assert_eq!(quiet.cmd_str(&["CLIENT", "NO-TOUCH", "OFF"]), b"+OK\r\n");
    let flags = String::from_utf8_lossy(&quiet.cmd_str(&["CLIENT", "INFO"])).into_owned();
    assert!(flags.contains(" flags=N "), "{flags}");
    assert!(quiet.cmd_str(&["LLEN", &lists[0]]).starts_with(b":2"));
    assert_eq!(idle(&mut setup, &lists[0]), 0);
}

#[test]
fn client_no_touch_leaves_the_lfu_counter_alone() {
    let server = TestServer::start_with(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = server.client();
    let freq = |c: &mut RawClient, k: &str| int(&frame(&c.cmd_str(&["OBJECT", "FREQ", k])));
    for k in ferrite_testkit::one_key_per_shard("lfu") {
        assert_eq!(c.cmd_str(&["SET", &k, "v"]), b"+OK\r\n");
        let start = freq(&mut c, &k);
        assert_eq!(c.cmd_str(&["CLIENT", "NO-TOUCH", "ON"]), b"+OK\r\n");
        for _ in 0..200 {
            assert!(c.cmd_str(&["GET", &k]).starts_with(b"$1"));
        }
        assert_eq!(freq(&mut c, &k), start, "{k}");
        assert_eq!(c.cmd_str(&["CLIENT", "NO-TOUCH", "OFF"]), b"+OK\r\n");
        for _ in 0..200 {
            assert!(c.cmd_str(&["GET", &k]).starts_with(b"$1"));
        }
        assert!(freq(&mut c, &k) > start, "{k}");
    }
}
