//! Lua scripting (EVAL, EVALSHA, SCRIPT): a corpus of scripts compared
//! byte for byte with redis-server (Ferrite with 3 shards, so scripts
//! reach keys of every shard), real-world scripts, busy scripts and
//! SCRIPT KILL, and atomicity under concurrent clients.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::{key_on_shard, show, Pair, RawClient, TestServer};

/// One script of a corpus file: its title, keys, arguments and body.
struct Entry {
    title: String,
    keys: Vec<String>,
    args: Vec<String>,
    body: String,
}

/// Reads `tests/integration/scripts/<name>.lua`: entries start with a
/// line `--- title [keys=a,b] [args=x,y]`.
fn corpus(name: &str) -> Vec<Entry> {
    let path = format!(
        "{}/integration/scripts/{name}.lua",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("--- ") {
            let mut e = Entry {
                title: String::new(),
                keys: Vec::new(),
                args: Vec::new(),
                body: String::new(),
            };
            let mut words = Vec::new();
            for w in head.split(' ') {
                if let Some(k) = w.strip_prefix("keys=") {
                    e.keys = k.split(',').map(str::to_string).collect();
                } else if let Some(a) = w.strip_prefix("args=") {
                    e.args = a.split(',').map(str::to_string).collect();
                } else {
                    words.push(w);
                }
            }
            e.title = words.join(" ");
            out.push(e);
        } else if let Some(e) = out.last_mut() {
            e.body.push_str(line);
            e.body.push('\n');
        }
    }
    assert!(!out.is_empty(), "{path} has no entries");
    out
}

/// Runs every entry of a corpus as EVAL on both servers, then as EVALSHA,
/// and asserts identical replies.
fn check_corpus(name: &str) {
    let mut p = Pair::new();
    let mut failures = Vec::new();
    for e in corpus(name) {
        let n = e.keys.len().to_string();
        let mut args: Vec<&[u8]> = vec![b"EVAL", e.body.as_bytes(), n.as_bytes()];
        args.extend(e.keys.iter().map(|k| k.as_bytes()));
        args.extend(e.args.iter().map(|a| a.as_bytes()));
        let (f, r) = p.both_bytes(&args);
        if f != r {
            failures.push(format!(
                "{name}: {}\n  ferrite: {}\n    redis: {}",
                e.title,
                show(&f),
                show(&r)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn environment_corpus_matches_redis() {
    check_corpus("env");
}

#[test]
fn eval_and_script_commands_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "EVAL",
        "EVAL x",
        "EVAL return 1 -1",
        "EVAL return 1 2 a",
        "EVAL return 1 abc",
        "SCRIPT",
        "SCRIPT NOPE",
        "SCRIPT FLUSH bogus",
        "SCRIPT FLUSH ASYNC SYNC",
        "SCRIPT KILL",
        "SCRIPT KILL x",
        "SCRIPT EXISTS",
        "SCRIPT LOAD",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
        "EVALSHA abc 0",
        "EVALSHA_RO abc 0",
    ]);
    p.check(&["SCRIPT", "LOAD", "return 1"]);
    p.check(&["SCRIPT", "LOAD", "return +"]);
    p.check(&[
        "SCRIPT",
        "EXISTS",
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
        "x",
    ]);
    p.check(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]);
    p.check(&["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"]);
    p.check(&[
        "EVALSHA_RO",
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
        "0",
    ]);
    // EVAL caches what it runs.
    p.check(&["EVAL", "return 'cached'", "0"]);
    let sha = "9d1d1b0e1f7ab3ee0b50e5a0f8ebd1e0ed4bb1a6";
    let (f, r) = p.both_bytes(&[b"SCRIPT", b"EXISTS", sha.as_bytes()]);
    assert_eq!(show(&f), show(&r));
    p.check(&["SCRIPT", "FLUSH"]);
    p.check(&[
        "SCRIPT",
        "EXISTS",
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
    ]);
    p.check(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]);
    p.check(&["SCRIPT", "FLUSH", "SYNC"]);
    p.check(&["SCRIPT", "FLUSH", "async"]);
    // Shebang lines and read-only scripts.
    for body in [
        "#!lua flags=no-writes\nreturn redis.call('set','a','1')",
        "#!lua flags=no-writes\nreturn redis.call('get','a')",
        "#!lua\nreturn redis.call('get','a')",
        "#!lua\nerror('x')",
        "#!python\nreturn 1",
        "#!lua flags=bogus\nreturn 1",
        "#!lua foo=bar\nreturn 1",
        "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1",
        "#!lua name=x\nreturn 1",
        "#!lua flags=\nreturn 1",
        "#!lua",
    ] {
        p.check(&["EVAL", body, "0"]);
    }
    p.check(&["EVAL_RO", "return redis.call('set','a','1')", "0"]);
    p.check(&["EVAL_RO", "return redis.pcall('set','a','1')", "0"]);
    p.check(&["EVAL_RO", "return redis.call('get','a')", "0"]);
    p.check(&["SCRIPT", "LOAD", "return redis.call('set',KEYS[1],'x')"]);
    p.check(&[
        "EVALSHA_RO",
        "4f7ea47be3e8fdb3dc3e0a2b5b5f8e53beaa4b9c",
        "1",
        "a",
    ]);
}

#[test]
fn keys_and_arguments_reach_the_script() {
    let mut p = Pair::new();
    let [a, b, c] = ferrite_testkit::one_key_per_shard("sk");
    p.check(&[
        "EVAL",
        "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}",
        "2",
        &a,
        &b,
        "x",
        "y",
    ]);
    p.check(&[
        "EVAL",
        "return redis.call('set', KEYS[1], ARGV[1])",
        "1",
        &a,
        "va",
    ]);
    p.check(&["EVAL", "return redis.call('get', KEYS[1])", "1", &a]);
    // Declared keys on several shards.
    p.check(&[
        "EVAL",
        "redis.call('set', KEYS[2], 'vb') redis.call('set', KEYS[3], 'vc') return redis.call('mget', KEYS[1], KEYS[2], KEYS[3])",
        "3",
        &a,
        &b,
        &c,
    ]);
    // Undeclared keys on every shard, several times (the second run takes
    // the path chosen after the first).
    for _ in 0..3 {
        p.check(&[
            "EVAL",
            &format!("redis.call('incr', '{a}') redis.call('incr', '{b}') return redis.call('mget', '{a}', '{b}', '{c}')"),
            "0",
        ]);
    }
    // A script learned on its keys' shard, then reaching out before writing.
    let body = "if ARGV[1] == 'far' then return redis.call('get', ARGV[2]) end return redis.call('get', KEYS[1])";
    for (arg, far) in [
        ("near", "-"),
        ("near", "-"),
        ("far", b.as_str()),
        ("far", c.as_str()),
        ("near", "-"),
    ] {
        p.check(&["EVAL", body, "1", &a, arg, far]);
    }
    p.check(&["EVAL", "return redis.call('dbsize')", "0"]);
}

#[test]
fn real_world_scripts_match_redis() {
    let mut p = Pair::new();
    // Token bucket rate limiter (KEYS: bucket; ARGV: rate, capacity, now, requested).
    let bucket = r#"
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])
local state = redis.call('hmget', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local delta = math.max(0, now - ts)
tokens = math.min(capacity, tokens + delta * rate)
local allowed = tokens >= requested
if allowed then tokens = tokens - requested end
redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('pexpire', KEYS[1], math.ceil(capacity / rate) * 1000)
return {allowed and 1 or 0, tostring(tokens)}
"#;
    for (now, n) in [
        ("100", "3"),
        ("100", "3"),
        ("100", "5"),
        ("101", "1"),
        ("110", "9"),
    ] {
        p.check(&["EVAL", bucket, "1", "rate:user1", "0.5", "10", now, n]);
    }
    // Compare-and-delete lock release.
    let release = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    p.check(&["SET", "lock:res", "token-1", "NX", "PX", "30000"]);
    p.check(&["EVAL", release, "1", "lock:res", "token-2"]);
    p.check(&["EVAL", release, "1", "lock:res", "token-1"]);
    p.check(&["EVAL", release, "1", "lock:res", "token-1"]);
    // Reliable queue: move the oldest job to processing with a deadline.
    let move_job = r#"
local job = redis.call('rpoplpush', KEYS[1], KEYS[2])
if not job then return false end
redis.call('zadd', KEYS[3], ARGV[1], job)
return job
"#;
    p.check(&["LPUSH", "{q}:wait", "j1", "j2", "j3"]);
    for _ in 0..4 {
        p.check(&[
            "EVAL",
            move_job,
            "3",
            "{q}:wait",
            "{q}:active",
            "{q}:deadline",
            "1700000000",
        ]);
    }
    p.check(&["LRANGE", "{q}:active", "0", "-1"]);
    p.check(&["ZRANGE", "{q}:deadline", "0", "-1", "WITHSCORES"]);
    // Leaderboard: add points, return the new rank and the top three.
    let board = r#"
local score = redis.call('zincrby', KEYS[1], ARGV[2], ARGV[1])
local rank = redis.call('zrevrank', KEYS[1], ARGV[1])
local top = redis.call('zrevrange', KEYS[1], 0, 2, 'withscores')
return {score, rank, top}
"#;
    for (who, pts) in [
        ("ann", "10"),
        ("bob", "25"),
        ("cat", "7"),
        ("ann", "20"),
        ("dan", "1.5"),
    ] {
        p.check(&["EVAL", board, "1", "board", who, pts]);
    }
    // The same through EVALSHA.
    let sha = p.check(&["SCRIPT", "LOAD", board]);
    let sha = String::from_utf8_lossy(&ferrite_testkit::bulk_payload(&sha)).into_owned();
    p.check(&["EVALSHA", &sha, "1", "board", "eve", "3"]);
}

#[test]
fn scripts_in_transactions_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "MULTI",
        "SET t1 1",
        "EVAL return\\ redis.call('incr','t1') 0",
        "GET t1",
        "EXEC",
    ]);
}

/// PINGs until the server answers -BUSY (a script passed the busy
/// threshold); returns that reply.
fn wait_busy(c: &mut RawClient) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c.cmd_str(&["PING"]);
        if r.starts_with(b"-BUSY") {
            return r;
        }
        assert!(Instant::now() < deadline, "never busy: {}", show(&r));
        thread::sleep(Duration::from_millis(20));
    }
}

/// A script that never ends: other clients get -BUSY after the threshold,
/// SCRIPT KILL stops it, and the server serves again.
#[test]
fn busy_script_is_killed() {
    let server = TestServer::start_with(&["--shards", "2", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let runner = thread::spawn(move || {
        let mut c = RawClient::connect(port);
        c.cmd_str(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
    });
    let mut c = server.client();
    let r = wait_busy(&mut c);
    assert_eq!(
        show(&r),
        show(b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
    );
    assert_eq!(c.cmd_str(&["SCRIPT", "KILL"]), b"+OK\r\n");
    let killed = runner.join().unwrap();
    assert!(
        killed.starts_with(b"-ERR Script killed by user with SCRIPT KILL... script: ")
            && killed.ends_with(b", on @user_script:1.\r\n"),
        "{}",
        show(&killed)
    );
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    assert_eq!(
        c.cmd_str(&["SCRIPT", "KILL"]),
        b"-NOTBUSY No scripts in execution right now.\r\n"
    );
}

/// A busy script running inline on its key's shard thread (its second run)
/// holds that thread, but new connections are accepted by the other
/// threads: each gets -BUSY at once, and one of them can kill the script.
#[test]
fn busy_inline_script_is_killed_from_a_new_connection() {
    let server = TestServer::start_with(&["--shards", "3", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let body = "if ARGV[1] == 'spin' then while true do end end return redis.call('get', KEYS[1])";
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["SET", "k", "v"]), b"+OK\r\n");
    // The first run learns that the script stays on k's shard.
    assert_eq!(c.cmd_str(&["EVAL", body, "1", "k", "no"]), b"$1\r\nv\r\n");
    let runner = thread::spawn(move || {
        let mut c = RawClient::connect(port);
        c.cmd_str(&["EVAL", body, "1", "k", "spin"])
    });
    // A connection accepted before the script started may belong to the
    // busy thread (then it waits): each try uses a new connection.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut fresh = server.client();
        fresh.send(&[b"PING"]);
        let r = fresh.try_read_reply(Duration::from_millis(300));
        if r.is_some_and(|r| r.starts_with(b"-BUSY ")) {
            break;
        }
        assert!(Instant::now() < deadline, "never busy");
    }
    for _ in 0..6 {
        let mut fresh = server.client();
        assert!(fresh.cmd_str(&["PING"]).starts_with(b"-BUSY "));
    }
    let mut killer = server.client();
    assert_eq!(killer.cmd_str(&["SCRIPT", "KILL"]), b"+OK\r\n");
    let killed = runner.join().unwrap();
    assert!(
        killed.starts_with(b"-ERR Script killed by user with SCRIPT KILL..."),
        "{}",
        show(&killed)
    );
    assert_eq!(killer.cmd_str(&["GET", "k"]), b"$1\r\nv\r\n");
}

/// A busy script that wrote cannot be killed; SHUTDOWN NOSAVE still stops
/// the server.
#[test]
fn busy_script_that_wrote_is_unkillable() {
    let server = TestServer::start_with(&["--shards", "2", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let _runner = thread::spawn(move || {
        let mut c = RawClient::connect(port);
        c.cmd_str(&["EVAL", "redis.call('set', 'w', '1') while true do end", "0"])
    });
    let mut c = server.client();
    wait_busy(&mut c);
    let r = c.cmd_str(&["SCRIPT", "KILL"]);
    assert!(
        r.starts_with(b"-UNKILLABLE Sorry the script already executed write commands"),
        "{}",
        show(&r)
    );
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(
        server.wait_stopped(Duration::from_secs(10)),
        "SHUTDOWN NOSAVE did not stop the server"
    );
}

/// The clients of the busy thread itself, one shard (so every connection
/// and every script is on the one thread), as `busy_thread_transcript`
/// drives them: what each reply was, by step.
type Transcript = Vec<(&'static str, Vec<u8>)>;

/// Connects to `port` and makes sure the connection is being served (a
/// busy single-thread server accepts nothing new).
fn served_client(port: u16) -> RawClient {
    let mut c = RawClient::connect(port);
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    c
}

/// Runs `warm` (the script or function's first run, which learns that it
/// stays on its shard, so that later runs are inline on the shard's thread)
/// then `call` (one that never ends) on another client, then drives clients opened before it through a busy time: -BUSY, a
/// pipeline, a transaction refused during it and one whose EXEC comes
/// then, a command split across the busy time, QUIT, the SHUTDOWN forms
/// that do not stop, and `kill`. Every client is served by the script's
/// thread.
fn busy_thread_transcript(
    port: u16,
    warm: &[&str],
    call: &'static [&'static str],
    kill: &'static str,
) -> Transcript {
    let mut log: Transcript = Vec::new();
    let mut pinger = served_client(port);
    log.push(("warm", pinger.cmd_str(warm)));
    let mut tx = served_client(port);
    let mut exec = served_client(port);
    let mut split = served_client(port);
    let mut quitter = served_client(port);
    let mut killer = served_client(port);
    let mut begun = served_client(port);
    log.push(("multi", tx.cmd_str(&["MULTI"])));
    log.push(("queued", tx.cmd_str(&["SET", "t", "1"])));
    log.push(("multi 2", exec.cmd_str(&["MULTI"])));
    let runner = thread::spawn(move || RawClient::connect(port).cmd_str(call));
    log.push(("busy", wait_busy(&mut pinger)));
    let mut pipeline = bytes::BytesMut::new();
    for cmd in [
        &["PING"][..],
        &["GET", "k"],
        &["NOSUCH", "a"],
        &["GET"],
        &["SCRIPT", "NOSUCH"],
        &["EXEC"],
    ] {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        ferrite_protocol::encode_request(&args, &mut pipeline);
    }
    // One inline request too.
    pipeline.extend_from_slice(b"PING\r\n");
    pinger.send_raw(&pipeline);
    for step in [
        "pipeline 1",
        "pipeline 2",
        "pipeline 3",
        "pipeline 4",
        "pipeline 5",
        "pipeline 6",
        "pipeline 7",
    ] {
        log.push((step, pinger.read_reply()));
    }
    log.push(("refused in multi", tx.cmd_str(&["SET", "t", "2"])));
    log.push(("exec while busy", exec.cmd_str(&["EXEC"])));
    log.push(("after exec", exec.cmd_str(&["PING"])));
    // Transactions begun and ended during the busy time.
    let mut tx_pipeline = bytes::BytesMut::new();
    for cmd in [
        "MULTI", "MULTI", "PING", "DISCARD", "DISCARD", "MULTI", "MULTI",
    ] {
        ferrite_protocol::encode_request(&[cmd.as_bytes()], &mut tx_pipeline);
    }
    begun.send_raw(&tx_pipeline);
    for step in ["tx 1", "tx 2", "tx 3", "tx 4", "tx 5", "tx 6", "tx 7"] {
        log.push((step, begun.read_reply()));
    }
    split.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel");
    log.push(("quit", quitter.cmd_str(&["QUIT"])));
    // Closed at once, while the script still runs.
    let closed = quitter.is_closed(Duration::from_secs(5));
    log.push(("quit closed", closed.to_string().into_bytes()));
    log.push(("shutdown", killer.cmd_str(&["SHUTDOWN"])));
    log.push(("shutdown save", killer.cmd_str(&["SHUTDOWN", "SAVE"])));
    log.push(("shutdown abort", killer.cmd_str(&["SHUTDOWN", "ABORT"])));
    log.push((
        "shutdown bad",
        killer.cmd_str(&["SHUTDOWN", "NOSAVE", "SAVE"]),
    ));
    let other = if kill == "SCRIPT" {
        "FUNCTION"
    } else {
        "SCRIPT"
    };
    log.push(("other kill", killer.cmd_str(&[other, "KILL"])));
    // Let the hook read the half request before the script ends.
    thread::sleep(Duration::from_millis(100));
    log.push(("kill", killer.cmd_str(&[kill, "KILL"])));
    log.push(("caller", runner.join().expect("runner")));
    split.send_raw(b"lo\r\n");
    log.push(("split", split.read_reply()));
    log.push(("split then", split.cmd_str(&["PING"])));
    log.push(("exec after", tx.cmd_str(&["EXEC"])));
    log.push(("not in multi", exec.cmd_str(&["EXEC"])));
    log.push(("begun during", begun.cmd_str(&["SET", "b", "1"])));
    log.push(("begun exec", begun.cmd_str(&["EXEC"])));
    log.push(("served", pinger.cmd_str(&["PING"])));
    log.push(("not busy", killer.cmd_str(&[kill, "KILL"])));
    log
}

/// Asserts two transcripts equal step by step.
fn assert_same(ferrite: &Transcript, redis: &Transcript) {
    assert_eq!(ferrite.len(), redis.len());
    for ((step, f), (_, r)) in ferrite.iter().zip(redis) {
        assert_eq!(show(f), show(r), "step {step}");
    }
}

/// A script busy on the thread that serves the other clients too: they get
/// what redis-server gives (its hook serves them as Redis's event loop does
/// during a busy script), and one of them kills the script.
#[test]
fn busy_thread_clients_are_answered_as_redis_does() {
    let p = Pair::with_args(
        &["--shards", "1", "--busy-reply-threshold", "100"],
        &["--busy-reply-threshold", "100"],
    );
    const BODY: &str =
        "if ARGV[1] == 'spin' then local i = 0 while true do i = i + 1 end end return 1";
    let warm = ["EVAL", BODY, "0", "no"];
    let call = &["EVAL", BODY, "0", "spin"];
    let ferrite = busy_thread_transcript(p.server.port, &warm, call, "SCRIPT");
    let redis = busy_thread_transcript(p.oracle.port, &warm, call, "SCRIPT");
    assert_same(&ferrite, &redis);
    // The steps say what they should.
    let busy = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
    let get = |step: &str| &ferrite.iter().find(|(s, _)| *s == step).expect(step).1;
    assert_eq!(get("busy"), busy);
    assert_eq!(get("pipeline 1"), busy);
    assert_eq!(get("pipeline 7"), busy);
    assert_eq!(get("kill"), b"+OK\r\n");
    assert!(get("caller").starts_with(b"-ERR Script killed by user with SCRIPT KILL... script: "));
    assert_eq!(get("split"), b"$5\r\nhello\r\n");
    assert_eq!(
        get("exec after"),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
}

/// The same transcript with several shard threads: clients accepted by
/// the busy thread are answered by the script's hook, the others by their
/// own threads' dispatcher, and all answer as redis-server does (MULTI
/// failing, EXEC aborting, bare SHUTDOWN refused).
#[test]
fn busy_script_clients_of_every_thread_are_answered_as_redis_does() {
    let p = Pair::with_args(
        &["--shards", "2", "--busy-reply-threshold", "100"],
        &["--busy-reply-threshold", "100"],
    );
    const BODY: &str =
        "if ARGV[1] == 'spin' then local i = 0 while true do i = i + 1 end end return 2";
    let warm = ["EVAL", BODY, "0", "no"];
    let call = &["EVAL", BODY, "0", "spin"];
    let ferrite = busy_thread_transcript(p.server.port, &warm, call, "SCRIPT");
    let redis = busy_thread_transcript(p.oracle.port, &warm, call, "SCRIPT");
    assert_same(&ferrite, &redis);
}

/// The same with a busy function, which FUNCTION KILL stops.
#[test]
fn busy_thread_clients_kill_a_function() {
    let p = Pair::with_args(
        &["--shards", "1", "--busy-reply-threshold", "100"],
        &["--busy-reply-threshold", "100"],
    );
    let lib = "#!lua name=spin\nredis.register_function('spin', function(keys, args) if args[1] == 'spin' then local i = 0 while true do i = i + 1 end end return 1 end)";
    for port in [p.server.port, p.oracle.port] {
        assert_eq!(
            RawClient::connect(port).cmd_str(&["FUNCTION", "LOAD", lib]),
            b"$4\r\nspin\r\n"
        );
    }
    let warm = ["FCALL", "spin", "0", "no"];
    let call = &["FCALL", "spin", "0", "spin"];
    let ferrite = busy_thread_transcript(p.server.port, &warm, call, "FUNCTION");
    let redis = busy_thread_transcript(p.oracle.port, &warm, call, "FUNCTION");
    assert_same(&ferrite, &redis);
    assert_eq!(ferrite[4].1, b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n");
}

/// A request that needs the connection's own state (UNWATCH here) is left
/// by the busy script's hook to the connection: it and the requests after
/// it are answered once the script ends, in order, after the replies the
/// hook gave. (redis-server answers them at once: UNWATCH `+OK`, then
/// `-BUSY`.) A protocol error is answered at once and closes.
#[test]
fn busy_thread_leaves_stateful_requests_in_order() {
    let server = TestServer::start_with(&["--shards", "1", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let mut c = served_client(port);
    let mut bad = served_client(port);
    let mut killer = served_client(port);
    const BODY: &str = "if ARGV[1] == 'spin' then while true do end end return 1";
    assert_eq!(c.cmd_str(&["EVAL", BODY, "0", "no"]), b":1\r\n");
    let runner =
        thread::spawn(move || RawClient::connect(port).cmd_str(&["EVAL", BODY, "0", "spin"]));
    let busy = wait_busy(&mut c);
    c.send_raw(b"*1\r\n$4\r\nPING\r\n*1\r\n$7\r\nUNWATCH\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read_reply(), busy);
    // The rest waits for the script.
    assert_eq!(c.try_read_reply(Duration::from_millis(300)), None);
    bad.send_raw(b"*1\r\n$x\r\n");
    assert_eq!(
        show(&bad.read_reply()),
        show(b"-ERR Protocol error: invalid bulk length\r\n")
    );
    assert!(bad.is_closed(Duration::from_secs(5)));
    assert_eq!(killer.cmd_str(&["SCRIPT", "KILL"]), b"+OK\r\n");
    assert!(runner
        .join()
        .expect("runner")
        .starts_with(b"-ERR Script killed"));
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
}

/// SHUTDOWN NOSAVE from a client of the busy thread stops the server even
/// when the script wrote (SCRIPT KILL cannot stop it then).
#[test]
fn shutdown_nosave_from_the_busy_thread_stops_the_server() {
    let server = TestServer::start_with(&["--shards", "1", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let mut c = served_client(port);
    const BODY: &str =
        "redis.call('set', 'w', '1') if ARGV[1] == 'spin' then while true do end end";
    assert_eq!(c.cmd_str(&["EVAL", BODY, "0", "no"]), b"$-1\r\n");
    let _runner =
        thread::spawn(move || RawClient::connect(port).cmd_str(&["EVAL", BODY, "0", "spin"]));
    wait_busy(&mut c);
    let r = c.cmd_str(&["SCRIPT", "KILL"]);
    assert!(
        r.starts_with(b"-UNKILLABLE Sorry the script already executed write commands"),
        "{}",
        show(&r)
    );
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(
        server.wait_stopped(Duration::from_secs(10)),
        "SHUTDOWN NOSAVE did not stop the server"
    );
    assert!(c.is_closed(Duration::from_secs(5)));
}

/// A script runs alone: concurrent scripts moving amounts between keys of
/// every shard never let a reader (a script too) see a partial transfer.
#[test]
fn cross_shard_scripts_are_atomic() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let keys: Vec<String> = (0..4).map(|s| key_on_shard("acct", s, 4)).collect();
    let mut c = server.client();
    for k in &keys {
        assert_eq!(c.cmd_str(&["SET", k, "100"]), b"+OK\r\n");
    }
    let transfer = "local a = tonumber(redis.call('get', KEYS[1])) local n = tonumber(ARGV[1]) \
                    redis.call('set', KEYS[1], a - n) redis.call('incrby', KEYS[2], n) return 1";
    // The sum reads keys it does not declare.
    let sum = format!(
        "local s = 0 for _, k in ipairs({{'{}', '{}', '{}', '{}'}}) do s = s + tonumber(redis.call('get', k)) end return s",
        keys[0], keys[1], keys[2], keys[3]
    );
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let keys = keys.clone();
        let stop = stop.clone();
        writers.push(thread::spawn(move || {
            let mut c = RawClient::connect(port);
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = (&keys[(w + i) % 4], &keys[(w + i + 1) % 4]);
                let r = c.cmd_str(&["EVAL", transfer, "2", from, to, "3"]);
                assert_eq!(r, b":1\r\n", "{}", show(&r));
                i += 1;
            }
            i
        }));
    }
    let mut reader = RawClient::connect(port);
    let end = Instant::now() + Duration::from_secs(2);
    let mut reads = 0;
    while Instant::now() < end {
        let r = reader.cmd_str(&["EVAL", &sum, "0"]);
        assert_eq!(r, b":400\r\n", "a script saw a partial transfer");
        reads += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let moves: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(moves > 0 && reads > 0);
    let r = reader.cmd_str(&["EVAL", &sum, "0"]);
    assert_eq!(r, b":400\r\n");
}

/// Hostile scripts get errors and the server keeps serving.
#[test]
fn hostile_scripts_fail_cleanly() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut c = server.client();
    let r = c.cmd_str(&[
        "EVAL",
        "local s = 'x' for i = 1, 40 do s = s .. s end return #s",
        "0",
    ]);
    assert!(
        r.starts_with(b"-ERR") && show(&r).contains("not enough memory"),
        "{}",
        show(&r)
    );
    let r = c.cmd_str(&[
        "EVAL",
        "local t = {} for i = 1, 1e9 do t[i] = i end return #t",
        "0",
    ]);
    assert!(
        r.starts_with(b"-ERR") && show(&r).contains("not enough memory"),
        "{}",
        show(&r)
    );
    let r = c.cmd_str(&[
        "EVAL",
        "local function f() return f() + 1 end return f()",
        "0",
    ]);
    assert!(show(&r).contains("stack overflow"), "{}", show(&r));
    // Deeply nested result tables end in an error element.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let body = "local t = {} local c = t for i = 1, 100000 do c[1] = {} c = c[1] end return t";
    let req = format!(
        "*3\r\n$4\r\nEVAL\r\n${}\r\n{body}\r\n$1\r\n0\r\n",
        body.len()
    );
    std::io::Write::write_all(&mut raw, req.as_bytes()).unwrap();
    let want = b"-ERR reached lua stack limit\r\n";
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while !got.ends_with(want) {
        let n = std::io::Read::read(&mut raw, &mut buf).unwrap();
        assert!(n > 0, "connection closed");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"*1\r\n*1\r\n"));
    assert_eq!(
        c.cmd_str(&["EVAL", "return 'still here'", "0"]),
        b"$10\r\nstill here\r\n"
    );
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
}

#[test]
fn cjson_corpus_matches_redis() {
    check_corpus("cjson");
}

#[test]
fn functions_match_redis() {
    let mut p = Pair::new();
    let lib = "#!lua name=mylib\nredis.register_function('f', function(keys, args) return {keys[1], args[1], #keys, #args} end)";
    let lines: &[&[&str]] = &[
        &["FUNCTION", "FLUSH"],
        &["FUNCTION", "LOAD", "return 1"],
        &["FUNCTION", "LOAD", "#!lua\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=mylib\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=my-lib\nredis.register_function('f', function() return 1 end)"],
        &["FUNCTION", "LOAD", "#!lua name=mylib foo=bar\nredis.register_function('f', function() return 1 end)"],
        &["FUNCTION", "LOAD", "#!python name=x\nredis.register_function('f1', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=\nredis.register_function('f1', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=a name=b\nredis.register_function('f1', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=x"],
        &["FUNCTION", "LOAD", "#!luaname=x\nredis.register_function('f1', function() end)"],
        &["FUNCTION", "LOAD", lib],
        &["FUNCTION", "LOAD", lib],
        &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('f', function() return 1 end)"],
        &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('F', function() return 1 end)"],
        &["FCALL", "f", "1", "k", "a"],
        &["FCALL", "F", "1", "k", "a"],
        &["FCALL", "nosuch", "0"],
        &["FCALL", "f", "-1"],
        &["FCALL", "f", "5"],
        &["FCALL", "f", "x"],
        &["FCALL_RO", "f", "0"],
        &["FUNCTION", "LOAD", "REPLACE", "#!lua name=mylib\nredis.register_function{function_name='f', callback=function() return redis.call('set','x','1') end, flags={'no-writes'}, description='desc'}"],
        &["FCALL", "f", "0"],
        &["FCALL_RO", "f", "0"],
        &["FUNCTION", "LIST"],
        &["FUNCTION", "LIST", "WITHCODE"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "my*"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"],
        &["FUNCTION", "LIST", "LIBRARYNAME"],
        &["FUNCTION", "LIST", "BOGUS"],
        &["FUNCTION", "STATS"],
        &["FUNCTION", "KILL"],
        &["FUNCTION", "DELETE", "nosuch"],
        &["FUNCTION", "FLUSH", "bogus"],
        &["FUNCTION", "HELP"],
        &["FUNCTION", "RESTORE", "xx"],
        &["FUNCTION", "RESTORE", "xx", "BOGUS"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.call('ping')"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('h', 5)"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('h h', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function{function_name='h', callback=function() end, flags={'bogus'}}"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function{function_name='h', callback=function() end, foo=1}"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function{function_name='h', callback=function() end, flags='no-writes'}"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function{function_name='h'}"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('h')"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function()"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nreturn +"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nlocal x = nil\nx.y = 1"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nx = 1"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nlocal t = pairs"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nlocal t = redis.setresp"],
        &["FUNCTION", "LOAD", "#!lua name=bad\nwhile true do end"],
        &["FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('a', function() end)\nredis.register_function('a', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=g1\nredis.register_function('g1', function() error('boom') end)"],
        &["FCALL", "g1", "0"],
        &["FUNCTION", "LOAD", "#!lua name=g2\nredis.log(redis.LOG_WARNING, 'loading')\nlocal function helper() return redis.REDIS_VERSION end\nredis.register_function('g2', function(k, a) return {helper(), type(KEYS)} end)"],
        &["FCALL", "g2", "0"],
        &["FUNCTION", "LOAD", "#!lua name=g3\nredis.register_function('g3', function(k, a) local t = {} for n in pairs(redis) do t[#t+1] = n end table.sort(t) return t end)"],
        &["FCALL", "g3", "0"],
        &["FUNCTION", "LOAD", "#!lua name=g4\nredis.register_function('g4', function() return redis.breakpoint() end)"],
        &["FCALL", "g4", "0"],
        &["FUNCTION", "LOAD", "#!lua name=g5\nredis.register_function('g5', function(k, a) redis.call('set', k[1], a[1]) return redis.call('get', k[1]) end)"],
        &["FCALL", "g5", "1", "fk", "fv"],
        &["FCALL_RO", "g5", "1", "fk", "fv"],
        &["FUNCTION", "DELETE", "g5"],
        &["FCALL", "g5", "1", "fk", "fv"],
        &["EVAL_RO", "#!lua\nreturn 1", "0"],
        &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
    ];
    for l in lines {
        p.check(l);
    }
    p.check(&["FUNCTION", "FLUSH", "SYNC"]);
    p.check(&["FUNCTION", "LOAD", lib]);
    // A library dumped by redis-server loads into Ferrite, and back.
    let (_, payload) = p.both_bytes(&[b"FUNCTION", b"DUMP"]);
    let payload = ferrite_testkit::bulk_payload(&payload);
    p.check_bytes(&[b"FUNCTION", b"RESTORE", &payload]);
    p.check_bytes(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]);
    p.check_bytes(&[b"FUNCTION", b"RESTORE", &payload, b"FLUSH"]);
    p.check(&["FCALL", "f", "1", "k", "a"]);
    let (mine, _) = p.both_bytes(&[b"FUNCTION", b"DUMP"]);
    let mine = ferrite_testkit::bulk_payload(&mine);
    p.check(&["FUNCTION", "FLUSH"]);
    p.check_bytes(&[b"FUNCTION", b"RESTORE", &mine]);
    p.check(&["FUNCTION", "LIST", "WITHCODE"]);
    let mut corrupt = mine.clone();
    if let Some(b) = corrupt.get_mut(4) {
        *b ^= 0x20;
    }
    p.check_bytes(&[b"FUNCTION", b"RESTORE", &corrupt, b"FLUSH"]);
    p.check(&["FCALL", "f", "1", "k", "a"]);
}

/// A busy function shows in FUNCTION STATS and FUNCTION KILL stops it.
#[test]
fn busy_function_is_killed() {
    let server = TestServer::start_with(&["--shards", "2", "--busy-reply-threshold", "100"]);
    let port = server.port;
    let mut c = server.client();
    let r = c.cmd_str(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=spin\nredis.register_function('spin', function(keys, args) local i = 0 while true do i = i + 1 end end)",
    ]);
    assert_eq!(r, b"$4\r\nspin\r\n");
    let runner =
        thread::spawn(move || RawClient::connect(port).cmd_str(&["FCALL", "spin", "0", "x"]));
    wait_busy(&mut c);
    let stats = show(&c.cmd_str(&["FUNCTION", "STATS"]));
    assert!(
        stats.contains("running_script")
            && stats.contains("$4\\r\\nspin\\r\\n")
            && stats.contains("$5\\r\\nFCALL\\r\\n"),
        "{stats}"
    );
    assert_eq!(
        show(&c.cmd_str(&["PING"])),
        show(b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n")
    );
    assert_eq!(
        show(&c.cmd_str(&["SCRIPT", "KILL"])),
        show(b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n")
    );
    assert_eq!(c.cmd_str(&["FUNCTION", "KILL"]), b"+OK\r\n");
    let killed = runner.join().unwrap();
    assert!(
        killed.starts_with(
            b"-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."
        ),
        "{}",
        show(&killed)
    );
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
}

#[test]
fn cmsgpack_corpus_matches_redis() {
    check_corpus("cmsgpack");
}

#[test]
fn bit_corpus_matches_redis() {
    check_corpus("bit");
}

#[test]
fn struct_corpus_matches_redis() {
    check_corpus("struct");
}

/// A client blocked on a key a script pushes to is served after the
/// script, so the script's own pop gets the element first (as in Redis),
/// whether the script runs with every lock (first run) or on its shard.
#[test]
fn blocked_clients_are_served_after_the_script() {
    let mut p = Pair::new();
    let f_port = p.server.port;
    let r_port = p.oracle.port;
    let body = "redis.call('lpush', KEYS[1], 'x') return redis.call('lpop', KEYS[1])";
    for round in 0..3 {
        let key = format!("bq{round}");
        let mut waiters: Vec<RawClient> = [f_port, r_port]
            .iter()
            .map(|&port| RawClient::connect(port))
            .collect();
        for w in waiters.iter_mut() {
            w.send(&[b"BLPOP", key.as_bytes(), b"0.5"]);
        }
        thread::sleep(Duration::from_millis(100));
        p.check(&["EVAL", body, "1", &key]);
        let replies: Vec<Vec<u8>> = waiters.iter_mut().map(|w| w.read_reply()).collect();
        assert_eq!(show(&replies[0]), show(&replies[1]), "round {round}");
        assert_eq!(
            replies[0], b"*-1\r\n",
            "the waiter got nothing (round {round})"
        );
    }
}

/// INFO memory's script and function counters follow the cache and the
/// libraries as Redis's do; the VM figures are there and plausible.
#[test]
fn info_counts_scripts_and_functions() {
    let mut p = Pair::new();
    let counters = |p: &mut Pair| -> (Vec<String>, Vec<String>) {
        let (f, r) = p.both_bytes(&[b"INFO", b"memory"]);
        let pick = |reply: &[u8]| {
            [
                "number_of_cached_scripts",
                "number_of_functions",
                "number_of_libraries",
            ]
            .iter()
            .map(|k| ferrite_testkit::info_field(reply, k))
            .collect::<Vec<String>>()
        };
        (pick(&f), pick(&r))
    };
    let (f, r) = counters(&mut p);
    assert_eq!(f, r);
    p.check(&["SCRIPT", "LOAD", "return 1"]);
    p.check(&["EVAL", "return 2", "0"]);
    p.check(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=cnt\nredis.register_function('c1', function() return 1 end)\nredis.register_function('c2', function() return 2 end)",
    ]);
    let (f, r) = counters(&mut p);
    assert_eq!(f, r);
    assert_eq!(f, ["2", "2", "1"]);
    // Function VMs start with the first FCALL on a thread.
    p.check(&["FCALL", "c1", "0"]);
    let info = p.ferrite.cmd(&[b"INFO", b"memory"]);
    for k in [
        "used_memory_vm_eval",
        "used_memory_vm_functions",
        "used_memory_scripts_eval",
        "used_memory_functions",
    ] {
        let v: u64 = ferrite_testkit::info_field(&info, k).parse().unwrap_or(0);
        assert!(v > 0, "{k} is {v}");
    }
    p.check(&["SCRIPT", "FLUSH"]);
    p.check(&["FUNCTION", "FLUSH"]);
    let (f, r) = counters(&mut p);
    assert_eq!(f, r);
}

#[test]
fn busy_reply_threshold_config_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "CONFIG GET busy-reply-threshold",
        "CONFIG GET lua-time-limit",
        "CONFIG SET lua-time-limit -1",
        "CONFIG SET busy-reply-threshold abc",
        "CONFIG SET lua-time-limit 250",
        "CONFIG GET busy-reply-threshold",
        "CONFIG SET busy-reply-threshold 0",
        "CONFIG GET lua-time-limit",
    ]);
}

/// KEYS and ARGV are reused from run to run (crates/scripting/src/vm.rs,
/// `ArgTables`): whatever a script does to them, the next run sees exactly
/// its own keys and arguments, and the length of tables with holes is
/// Redis's.
#[test]
fn keys_and_argv_start_fresh_whatever_the_last_script_did_to_them() {
    let mut p = Pair::new();
    let steps: &[&[&str]] = &[
        &["EVAL", "return {#KEYS, #ARGV}", "2", "a", "b", "x"],
        &["EVAL", "return {#KEYS, #ARGV}", "2", "a", "b", "x"],
        // Growing past the elements, with holes.
        &["EVAL", "KEYS[3]='x' KEYS[4]='y' return #KEYS", "1", "a"],
        &["EVAL", "KEYS[3]='x' KEYS[4]='y' return #KEYS", "1", "a"],
        &["EVAL", "return KEYS", "1", "a"],
        &["EVAL", "return #KEYS", "1", "a"],
        // A hole at the end, and at the start.
        &["EVAL", "table.remove(KEYS) return #KEYS", "2", "a", "b"],
        &["EVAL", "return KEYS", "2", "a", "b"],
        &["EVAL", "ARGV[1] = nil return #ARGV", "0", "a", "b", "c"],
        &["EVAL", "return ARGV", "0", "a", "b", "c"],
        &["EVAL", "ARGV[1] = nil return #ARGV", "0", "a", "b", "c"],
        // A field, a metatable, a changed element.
        &["EVAL", "KEYS.extra = 1 return 1", "1", "a"],
        &["EVAL", "return KEYS.extra", "1", "a"],
        &[
            "EVAL",
            "setmetatable(ARGV, {__index = function() return 'm' end}) return ARGV[9]",
            "0",
            "x",
        ],
        &["EVAL", "return ARGV[9]", "0", "x"],
        &["EVAL", "ARGV[1] = 'changed' return ARGV", "0", "x"],
        &["EVAL", "return ARGV", "0", "x"],
        // Fewer, then more, then no keys and arguments.
        &[
            "EVAL",
            "KEYS[6] = 'z' return {#KEYS, KEYS[6]}",
            "3",
            "a",
            "b",
            "c",
        ],
        &["EVAL", "return {#KEYS, KEYS[2], KEYS[6]}", "1", "a"],
        &[
            "EVAL",
            "return {#KEYS, KEYS[4]}",
            "5",
            "a",
            "b",
            "c",
            "d",
            "e",
        ],
        &["EVAL", "return {#KEYS, #ARGV}", "0"],
        // Errors leave them to be rebuilt too.
        &["EVAL", "KEYS[2] = 'b' error('boom')", "1", "a"],
        &["EVAL", "return KEYS", "1", "a"],
    ];
    for args in steps {
        p.check(args);
    }
}
