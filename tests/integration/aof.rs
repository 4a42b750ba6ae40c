//! The append-only file: what Ferrite journals (compared byte for byte with
//! what redis-server 7.0 writes for the same commands), replaying it at
//! start, scripts journaled by their effects, torn and corrupt files, the
//! fsync policies, and Redis loading Ferrite's AOF.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrite_testkit::{bulk_strings, show, Oracle, RawClient, TestServer};

/// A fresh directory for one server's files.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ferrite-aof-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn ferrite(dir: &Path, extra: &[&str]) -> TestServer {
    let d = dir.to_str().expect("utf-8 path");
    let mut args = vec!["--shards", "3", "--appendonly", "yes", "--dir", d];
    args.extend_from_slice(extra);
    TestServer::start_with(&args)
}

fn incr_file(dir: &Path) -> PathBuf {
    dir.join("appendonlydir/appendonly.aof.1.incr.aof")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The oracle's journal once it is `len` bytes long (or after 5 s): under
/// `appendfsync everysec` redis-server may postpone its write while a
/// background fsync is slow, after it replied (Ferrite never does).
fn oracle_journal(dir: &Path, len: usize) -> Vec<u8> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let data = read(&incr_file(dir));
        if data.len() >= len || std::time::Instant::now() > deadline {
            return data;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends each line (split on spaces; `\n` inside an argument is kept by
/// using `|` for a space-free multi-word argument) and returns the replies.
fn run(c: &mut RawClient, lines: &[&[&str]]) -> Vec<Vec<u8>> {
    lines.iter().map(|args| c.cmd_str(args)).collect()
}

const LIB: &str = "#!lua name=lib\nredis.register_function('f', function(k) return redis.call('set', k[1], 'x') end)";

/// Commands whose journal needs no time rewriting, across shards,
/// databases, scripts, transactions and keyspace-wide commands.
fn corpus() -> Vec<Vec<&'static str>> {
    vec![
        vec!["SET", "a", "1"],
        vec!["set", "b", "2"],
        vec!["DEL", "nokey"],
        vec!["GET", "a"],
        vec!["MSET", "k1", "1", "k2", "2", "k3", "3", "k4", "4"],
        vec!["DEL", "k1", "k2", "nokey"],
        vec!["INCR", "n"],
        vec!["INCRBY", "n", "5"],
        vec!["APPEND", "a", "xyz"],
        vec!["RPUSH", "l", "a", "b", "c"],
        vec!["LPOP", "l"],
        vec!["LPOP", "nolist"],
        vec!["HSET", "h", "f", "1", "g", "2"],
        vec!["HINCRBY", "h", "f", "3"],
        vec!["HDEL", "h", "nofield"],
        vec!["SADD", "s", "x", "y", "z"],
        vec!["SADD", "s", "x"],
        vec!["SREM", "s", "y"],
        vec!["ZADD", "z", "1", "a", "2", "b"],
        vec!["ZINCRBY", "z", "5", "a"],
        vec!["ZPOPMIN", "z"],
        vec!["RENAME", "b", "b2"],
        vec!["COPY", "b2", "b3"],
        vec![
            "EVAL",
            "redis.call('set','e1','1') return redis.call('incr','e1')",
            "0",
        ],
        vec!["EVAL", "return redis.call('set',KEYS[1],'1')", "1", "e2"],
        vec!["EVAL", "return redis.call('get','e2')", "0"],
        // Run again: known to stay on one shard, they now run inline there.
        vec![
            "EVAL",
            "redis.call('set','e1','1') return redis.call('incr','e1')",
            "0",
        ],
        vec!["EVAL", "return redis.call('set',KEYS[1],'1')", "1", "e2"],
        vec![
            "EVAL",
            "redis.call('select', 4) redis.call('set','sel','1')",
            "0",
        ],
        vec!["MULTI"],
        vec!["GET", "a"],
        vec!["EXEC"],
        vec!["MULTI"],
        vec!["SET", "t1", "1"],
        vec!["EXEC"],
        vec!["MULTI"],
        vec!["SET", "t1", "2"],
        vec!["GET", "t1"],
        vec!["INCR", "t2"],
        vec!["EXEC"],
        vec!["SELECT", "2"],
        vec!["SET", "in2", "v"],
        vec!["MOVE", "in2", "3"],
        vec!["SELECT", "0"],
        vec!["SWAPDB", "2", "3"],
        vec!["FLUSHDB"],
        vec!["FLUSHALL"],
        vec!["FUNCTION", "LOAD", LIB],
        vec!["FCALL", "f", "1", "fk"],
        vec!["FUNCTION", "DELETE", "lib"],
        vec!["FUNCTION", "FLUSH"],
        vec!["SCRIPT", "FLUSH"],
        vec!["SET", "last", "1"],
    ]
}

fn send_all(c: &mut RawClient, cmds: &[Vec<&str>]) -> Vec<Vec<u8>> {
    cmds.iter().map(|a| c.cmd_str(a)).collect()
}

#[test]
fn journal_matches_redis_byte_for_byte() {
    let fdir = scratch("bytes-f");
    let rdir = scratch("bytes-r");
    let f = ferrite(&fdir, &[]);
    let oracle = Oracle::start_with(&["--appendonly", "yes", "--dir", rdir.to_str().unwrap()]);
    let cmds = corpus();
    let fr = send_all(&mut f.client(), &cmds);
    let rr = send_all(&mut oracle.client(), &cmds);
    for ((cmd, a), b) in cmds.iter().zip(&fr).zip(&rr) {
        assert_eq!(show(a), show(b), "reply to {cmd:?}");
    }
    // Every acknowledged write is in the file when its reply arrives.
    let ours = read(&incr_file(&fdir));
    let theirs = oracle_journal(&rdir, ours.len());
    assert_eq!(show(&ours), show(&theirs));
}

/// Every key of every database with its type, value (DUMP) and whether it
/// has a TTL, sorted.
fn snapshot(c: &mut RawClient) -> Vec<String> {
    let mut out = Vec::new();
    for db in 0..16 {
        c.cmd_str(&["SELECT", &db.to_string()]);
        let keys = bulk_strings(&c.cmd_str(&["KEYS", "*"]));
        for k in keys {
            let dump = c.cmd(&[b"DUMP", &k]);
            let ttl = c.cmd(&[b"PTTL", &k]);
            let has_ttl = !ttl.starts_with(b":-");
            out.push(format!("{db} {} {} ttl={has_ttl}", show(&k), show(&dump)));
        }
    }
    c.cmd_str(&["SELECT", "0"]);
    out.sort();
    out
}

#[test]
fn a_restart_replays_the_journal() {
    let dir = scratch("replay");
    let before = {
        let f = ferrite(&dir, &[]);
        let mut c = f.client();
        let lines: &[&[&str]] = &[
            &["MSET", "s1", "v1", "s2", "v2", "s3", "v3"],
            &["SET", "big", &"x".repeat(10_000)],
            &["RPUSH", "list", "1", "2", "3", "four"],
            &["HSET", "hash", "a", "1", "b", "2"],
            &["SADD", "set", "1", "2", "3"],
            &["SADD", "strset", "a", "b"],
            &["ZADD", "zset", "1.5", "a", "-2", "b"],
            &["SETRANGE", "s1", "10", "tail"],
            &["LMOVE", "list", "list2", "LEFT", "RIGHT"],
            &["SUNIONSTORE", "set3", "set", "strset"],
            &["ZUNIONSTORE", "z3", "1", "zset"],
            &["EVAL", "for i=1,5 do redis.call('rpush', 'sl', i) end", "0"],
            &["SELECT", "5"],
            &["SET", "in5", "1"],
            &["SELECT", "0"],
            &["FUNCTION", "LOAD", LIB],
            &["FCALL", "f", "1", "fk"],
            &["DEL", "s2"],
        ];
        run(&mut c, lines);
        let snap = snapshot(&mut c);
        f.stop();
        snap
    };
    assert!(before.len() > 10, "{before:?}");
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(snapshot(&mut c), before);
    // The library came back too, and new writes go on in the same file.
    assert_eq!(c.cmd_str(&["FCALL", "f", "1", "fk2"]), b"+OK\r\n");
    f.stop();
    let f = ferrite(&dir, &[]);
    assert_eq!(f.client().cmd_str(&["GET", "fk2"]), b"$1\r\nx\r\n");
}

#[test]
fn scripts_are_journaled_by_their_effects() {
    let dir = scratch("effects");
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    // A script writing what it reads from the clock: replayed later, it
    // must give the same value, not a new time.
    let script =
        "local t = redis.call('TIME') redis.call('set', KEYS[1], t[1] .. '.' .. t[2]) return 1";
    c.cmd_str(&["EVAL", script, "1", "when"]);
    c.cmd_str(&["EVAL", script, "1", "when2"]);
    let when = c.cmd_str(&["GET", "when"]);
    let when2 = c.cmd_str(&["GET", "when2"]);
    let journal = read(&incr_file(&dir));
    assert!(
        !journal.windows(4).any(|w| w.eq_ignore_ascii_case(b"eval")),
        "the script itself is not journaled: {}",
        show(&journal)
    );
    f.stop();
    std::thread::sleep(Duration::from_millis(20));
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(c.cmd_str(&["GET", "when"]), when);
    assert_eq!(c.cmd_str(&["GET", "when2"]), when2);
}

#[test]
fn a_transaction_over_several_shards_is_one_unit() {
    let dir = scratch("multi");
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    let [a, b, d] = ferrite_testkit::one_key_per_shard("tx");
    run(
        &mut c,
        &[
            &["MULTI"],
            &["SET", &a, "1"],
            &["SET", &b, "2"],
            &["DEL", &d],
            &["INCR", &d],
            &["EXEC"],
        ],
    );
    let journal = read(&incr_file(&dir));
    let text = String::from_utf8(journal).unwrap();
    let select = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    let body = text
        .strip_prefix(select)
        .and_then(|t| t.strip_prefix("*1\r\n$5\r\nMULTI\r\n"))
        .and_then(|t| t.strip_suffix("*1\r\n$4\r\nEXEC\r\n"))
        .unwrap_or_else(|| panic!("one MULTI/EXEC unit: {text:?}"));
    // The writes, the no-op DEL left out. Commands on different shards
    // commute, and each shard journals as it runs its part, so only each
    // shard's own order is kept.
    let mut expected = vec![
        format!("*3\r\n$3\r\nSET\r\n${}\r\n{a}\r\n$1\r\n1\r\n", a.len()),
        format!("*3\r\n$3\r\nSET\r\n${}\r\n{b}\r\n$1\r\n2\r\n", b.len()),
        format!("*2\r\n$4\r\nINCR\r\n${}\r\n{d}\r\n", d.len()),
    ];
    expected.sort();
    let whole: String = expected.concat();
    assert_eq!(body.len(), whole.len(), "{body:?}");
    for e in &expected {
        assert!(body.contains(e.as_str()), "{e:?} in {body:?}");
    }
}

/// Starts a server that must refuse to start; returns its reason.
fn refused(dir: &Path, extra: &[&str]) -> String {
    let d = dir.to_str().unwrap();
    let mut args = vec!["--shards", "2", "--appendonly", "yes", "--dir", d];
    args.extend_from_slice(extra);
    match TestServer::try_start_with(&args) {
        Ok(_) => panic!("the server started"),
        Err(e) => e,
    }
}

fn prepare_journal(dir: &Path, lines: &[&[&str]]) {
    let f = ferrite(dir, &[]);
    run(&mut f.client(), lines);
    f.stop();
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

#[test]
fn a_torn_tail_is_cut_off_or_refused() {
    let dir = scratch("torn");
    prepare_journal(&dir, &[&["SET", "a", "1"], &["SET", "b", "2"]]);
    let path = incr_file(&dir);
    let good = read(&path).len();
    append(&path, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$2\r\n3");
    let why = refused(&dir, &["--aof-load-truncated", "no"]);
    assert!(why.contains("Unexpected end of file"), "{why}");
    assert!(why.contains("appendonly.aof.1.incr.aof"), "{why}");
    assert!(why.contains(&format!("offset {good}")), "{why}");
    // Nothing was cut while refusing.
    assert!(read(&path).len() > good);

    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(
        c.cmd_str(&["MGET", "a", "b", "c"]),
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    assert_eq!(read(&path).len(), good, "the torn command is cut off");
    c.cmd_str(&["SET", "c", "ok"]);
    f.stop();
    let f = ferrite(&dir, &[]);
    assert_eq!(f.client().cmd_str(&["GET", "c"]), b"$2\r\nok\r\n");
}

#[test]
fn a_transaction_without_its_exec_is_reverted() {
    let dir = scratch("torn-multi");
    prepare_journal(&dir, &[&["SET", "a", "1"]]);
    let path = incr_file(&dir);
    let good = read(&path).len();
    append(
        &path,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nb",
    );
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(c.cmd_str(&["MGET", "a", "b"]), b"*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(read(&path).len(), good);
    drop(c);
    f.stop();
    // Complete commands but no EXEC at the end: reverted the same way.
    append(
        &path,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n",
    );
    let f = ferrite(&dir, &[]);
    assert_eq!(f.client().cmd_str(&["GET", "a"]), b"$1\r\n1\r\n");
    assert_eq!(read(&path).len(), good);
}

#[test]
fn corrupt_files_are_refused_with_the_offset() {
    let dir = scratch("corrupt");
    prepare_journal(&dir, &[&["SET", "a", "1"]]);
    let path = incr_file(&dir);
    let at = read(&path).len();
    append(&path, b"hello\r\n");
    let why = refused(&dir, &[]);
    assert!(why.contains("Bad file format"), "{why}");
    assert!(why.contains(&format!("offset {at}")), "{why}");

    let dir = scratch("unknown");
    prepare_journal(&dir, &[&["SET", "a", "1"]]);
    append(&incr_file(&dir), b"*2\r\n$6\r\nNOSUCH\r\n$1\r\nx\r\n");
    let why = refused(&dir, &[]);
    assert!(why.contains("Unknown command 'NOSUCH'"), "{why}");

    let dir = scratch("manifest");
    prepare_journal(&dir, &[&["SET", "a", "1"]]);
    std::fs::write(
        dir.join("appendonlydir/appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq x type i\n",
    )
    .unwrap();
    let why = refused(&dir, &[]);
    assert!(why.contains("Invalid AOF manifest file format"), "{why}");

    let dir = scratch("missing");
    prepare_journal(&dir, &[&["SET", "a", "1"]]);
    std::fs::remove_file(incr_file(&dir)).unwrap();
    let why = refused(&dir, &[]);
    assert!(why.contains("doesn't exist"), "{why}");
}

#[test]
fn appendfsync_always_fsyncs_before_each_reply() {
    let dir = scratch("always");
    let f = ferrite(&dir, &["--appendfsync", "always"]);
    let mut c = f.client();
    let journal = f.shared().journal.clone();
    let before = journal.fsyncs.load(Ordering::Relaxed);
    for i in 0..20 {
        c.cmd_str(&["SET", "k", &i.to_string()]);
        // The write is durable (fsynced) before its reply arrived.
        assert!(journal.fsyncs.load(Ordering::Relaxed) > before + i as u64);
    }
    // Reads journal nothing and wait for nothing.
    let n = journal.fsyncs.load(Ordering::Relaxed);
    for _ in 0..20 {
        c.cmd_str(&["GET", "k"]);
    }
    assert_eq!(journal.fsyncs.load(Ordering::Relaxed), n);
    // Switched to everysec at run time: no fsync per write any more.
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "appendfsync", "everysec"]),
        b"+OK\r\n"
    );
    let n = journal.fsyncs.load(Ordering::Relaxed);
    for i in 0..50 {
        c.cmd_str(&["SET", "k", &i.to_string()]);
    }
    // (One a second: a slow machine may take a few seconds for these.)
    assert!(journal.fsyncs.load(Ordering::Relaxed) < n + 25);
}

#[test]
fn the_aof_switches_at_run_time() {
    let dir = scratch("switch");
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "appendonly"]),
        b"*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n"
    );
    assert!(
        ferrite_testkit::info_field(&c.cmd_str(&["INFO", "persistence"]), "aof_enabled") == "1"
    );
    c.cmd_str(&["SET", "a", "1"]);
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "appendonly", "no"]),
        b"+OK\r\n"
    );
    let len = read(&incr_file(&dir)).len();
    c.cmd_str(&["SET", "b", "1"]);
    assert_eq!(
        read(&incr_file(&dir)).len(),
        len,
        "nothing journaled once off"
    );
    assert_eq!(
        ferrite_testkit::info_field(&c.cmd_str(&["INFO", "persistence"]), "aof_enabled"),
        "0"
    );
    let err = c.cmd_str(&["CONFIG", "SET", "appendonly", "yes"]);
    assert!(
        err.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'appendonly')"),
        "{}",
        show(&err)
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "appendonly"]),
        b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
}

#[test]
fn a_pre_7_single_file_aof_is_upgraded() {
    let dir = scratch("upgrade");
    std::fs::write(
        dir.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n",
    )
    .unwrap();
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(c.cmd_str(&["GET", "old"]), b"$1\r\n1\r\n");
    c.cmd_str(&["SET", "new", "2"]);
    assert!(!dir.join("appendonly.aof").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    f.stop();
    let f = ferrite(&dir, &[]);
    assert_eq!(
        f.client().cmd_str(&["MGET", "old", "new"]),
        b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

#[test]
fn redis_loads_and_checks_ferrites_aof() {
    let dir = scratch("to-redis");
    let snap = {
        let f = ferrite(&dir, &[]);
        let mut c = f.client();
        run(
            &mut c,
            &[
                &["MSET", "a", "1", "b", "2", "c", "3"],
                &["RPUSH", "l", "x", "y"],
                &["HSET", "h", "f", "v"],
                &[
                    "EVAL",
                    "redis.call('sadd','s','m') redis.call('zadd','z','1','m')",
                    "0",
                ],
                &["MULTI"],
                &["INCR", "n"],
                &["INCR", "n"],
                &["EXEC"],
                &["SELECT", "3"],
                &["SET", "three", "3"],
            ],
        );
        let snap = snapshot(&mut c);
        f.stop();
        snap
    };
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let check = std::process::Command::new("redis-check-aof")
        .arg(&manifest)
        .output()
        .expect("redis-check-aof (apt-get install redis-tools)");
    assert!(
        check.status.success(),
        "redis-check-aof: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let oracle = Oracle::start_with(&["--appendonly", "yes", "--dir", dir.to_str().unwrap()]);
    assert_eq!(snapshot(&mut oracle.client()), snap);
}

#[test]
fn expired_keys_are_journaled_as_redis_journals_them() {
    let fdir = scratch("expire-f");
    let rdir = scratch("expire-r");
    let f = ferrite(&fdir, &["--enable-debug-command", "yes"]);
    let oracle = Oracle::start_with(&[
        "--appendonly",
        "yes",
        "--dir",
        rdir.to_str().unwrap(),
        "--enable-debug-command",
        "yes",
    ]);
    let at = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 1000)
        .to_string();
    let setup: Vec<Vec<&str>> = vec![
        // Keys are met by commands first: no active expiry meanwhile.
        vec!["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        vec!["SET", "lazy", "1"],
        vec!["PEXPIREAT", "lazy", &at],
        vec!["SET", "lazy2", "1"],
        vec!["PEXPIREAT", "lazy2", &at],
        vec!["SET", "active", "1"],
        vec!["PEXPIREAT", "active", &at],
        vec!["SET", "keep", "1"],
    ];
    for c in [&mut f.client(), &mut oracle.client()] {
        for args in &setup {
            let reply = c.cmd_str(args);
            assert!(!reply.starts_with(b"-"), "{args:?}: {}", show(&reply));
        }
    }
    // Past the keys' time (the margin covers a slow setup on a busy machine).
    std::thread::sleep(Duration::from_millis(1100));
    // Met by a read: DEL alone. Met by a write: DEL, then the write, as
    // one MULTI/EXEC unit.
    let after: Vec<Vec<&str>> = vec![
        vec!["GET", "lazy"],
        vec!["SET", "lazy2", "2"],
        vec!["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ];
    let mut fc = f.client();
    let mut rc = oracle.client();
    for args in &after {
        assert_eq!(show(&fc.cmd_str(args)), show(&rc.cmd_str(args)));
    }
    // The last key goes by active expiry: a DEL of its own.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let gone = |c: &mut RawClient| {
        ferrite_testkit::info_field(&c.cmd_str(&["INFO", "stats"]), "expired_keys") == "3"
    };
    while !(gone(&mut fc) && gone(&mut rc)) {
        assert!(
            std::time::Instant::now() < deadline,
            "active expiry did not run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Written out: a settle happens with the next reply.
    fc.cmd_str(&["SET", "end", "1"]);
    rc.cmd_str(&["SET", "end", "1"]);
    let ours = read(&incr_file(&fdir));
    assert_eq!(show(&ours), show(&oracle_journal(&rdir, ours.len())));
}

#[test]
fn evicted_keys_are_journaled() {
    let dir = scratch("evict");
    let before = {
        let f = ferrite(
            &dir,
            &["--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru"],
        );
        let mut c = f.client();
        let value = "v".repeat(1000);
        for i in 0..6000 {
            c.cmd_str(&["SET", &format!("key:{i}"), &value]);
        }
        let evicted = ferrite_testkit::info_field(&c.cmd_str(&["INFO", "stats"]), "evicted_keys");
        assert!(evicted.parse::<u64>().unwrap() > 100, "evicted {evicted}");
        // No more evictions while the keys are read back.
        assert_eq!(c.cmd_str(&["CONFIG", "SET", "maxmemory", "0"]), b"+OK\r\n");
        let snap = snapshot(&mut c);
        f.stop();
        snap
    };
    let journal = read(&incr_file(&dir));
    assert!(journal.windows(9).any(|w| w == b"$3\r\nDEL\r\n"));
    // Replayed without the limit, the evictions are in the journal.
    let f = ferrite(&dir, &[]);
    assert_eq!(snapshot(&mut f.client()), before);
}

/// The journal with each absolute Unix time in ms (13 digits) replaced by
/// `<ms>`: the two servers ran the commands at slightly different times.
fn without_times(journal: &[u8]) -> String {
    let text = String::from_utf8_lossy(journal);
    let mut out = String::new();
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if digits.len() == 13 {
            out.push_str("<ms>");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(ch);
    }
    out.push_str(&digits);
    out.replace("$13\r\n<ms>", "<ms>")
}

#[test]
fn rewritten_commands_journal_as_redis_journals_them() {
    let fdir = scratch("rewrite-f");
    let rdir = scratch("rewrite-r");
    let f = ferrite(&fdir, &[]);
    let oracle = Oracle::start_with(&["--appendonly", "yes", "--dir", rdir.to_str().unwrap()]);
    let cmds: Vec<Vec<&str>> = vec![
        vec!["SET", "a", "1", "EX", "100"],
        vec!["SET", "a", "2", "PX", "100000", "GET"],
        vec!["SET", "a", "3", "KEEPTTL"],
        vec!["SETEX", "b", "100", "v"],
        vec!["PSETEX", "b", "100000", "v"],
        vec!["EXPIRE", "b", "100"],
        // Whole seconds apart: the servers run it at slightly different times.
        vec!["PEXPIRE", "b", "200000", "GT"],
        vec!["PEXPIRE", "b", "50000", "GT"],
        vec!["EXPIRE", "b", "5", "NX"],
        vec!["GETEX", "b", "EX", "200"],
        vec!["GETEX", "b", "PERSIST"],
        vec!["GETSET", "b", "w"],
        vec!["GETDEL", "b"],
        vec!["SET", "c", "1"],
        vec!["EXPIREAT", "c", "1"],
        vec!["INCRBYFLOAT", "f", "1.5"],
        vec!["HINCRBYFLOAT", "h", "x", "2.25"],
        vec!["SADD", "s", "m1"],
        vec!["SPOP", "s"],
        vec!["SADD", "s", "only"],
        vec!["SPOP", "s", "5"],
        vec!["RPUSH", "l", "1", "2", "3", "4"],
        vec!["BLPOP", "l", "0"],
        vec!["BRPOP", "l", "0"],
        vec!["LMPOP", "1", "l", "LEFT", "COUNT", "5"],
        vec!["RPUSH", "l", "1", "2"],
        vec!["BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"],
        vec!["BRPOPLPUSH", "l", "l2", "0"],
        vec!["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        vec!["BZPOPMIN", "z", "0"],
        vec!["BZPOPMAX", "z", "0"],
        vec!["ZMPOP", "1", "z", "MIN", "COUNT", "3"],
        vec!["SADD", "s2", "only"],
        vec![
            "EVAL",
            "redis.call('spop', KEYS[1]) redis.call('set', KEYS[2], 'x', 'ex', 100)",
            "2",
            "s2",
            "t",
        ],
        vec!["MULTI"],
        vec!["INCRBYFLOAT", "f", "1"],
        vec!["SETEX", "g", "10", "v"],
        vec!["EXEC"],
    ];
    let fr = send_all(&mut f.client(), &cmds);
    let rr = send_all(&mut oracle.client(), &cmds);
    for ((cmd, a), b) in cmds.iter().zip(&fr).zip(&rr) {
        assert_eq!(show(a), show(b), "reply to {cmd:?}");
    }
    let ours = read(&incr_file(&fdir));
    assert_eq!(
        without_times(&ours),
        without_times(&oracle_journal(&rdir, ours.len()))
    );
}

#[test]
fn an_aof_written_by_redis_loads_in_ferrite() {
    let dir = scratch("from-redis");
    let snap = {
        let oracle = Oracle::start_with(&["--appendonly", "yes", "--dir", dir.to_str().unwrap()]);
        let mut c = oracle.client();
        run(
            &mut c,
            &[
                &["MSET", "a", "1", "b", "2"],
                &["SET", "big", &"x".repeat(3000)],
                &["SET", "ttl", "v", "EX", "1000"],
                &["RPUSH", "l", "1", "2", "three"],
                &["HSET", "h", "f", "v", "n", "12"],
                &["SADD", "s", "1", "2", "3"],
                &["ZADD", "z", "1.5", "m", "-3", "n"],
                &["FUNCTION", "LOAD", LIB],
                &["SELECT", "2"],
                &["SET", "two", "2"],
                &["SELECT", "0"],
            ],
        );
        // The base becomes an RDB holding all of that; later writes go to
        // a new incr part.
        assert_eq!(
            c.cmd_str(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting started\r\n"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while ferrite_testkit::info_field(
            &c.cmd_str(&["INFO", "persistence"]),
            "aof_rewrite_in_progress",
        ) != "0"
            || ferrite_testkit::info_field(
                &c.cmd_str(&["INFO", "persistence"]),
                "aof_rewrite_scheduled",
            ) != "0"
        {
            assert!(
                std::time::Instant::now() < deadline,
                "rewrite did not finish"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        run(
            &mut c,
            &[
                &["INCR", "a"],
                &["RPUSH", "l", "4"],
                &["FCALL", "f", "1", "fk"],
                &["DEL", "b"],
            ],
        );
        let snap = snapshot(&mut c);
        // Written out and fsynced before it exits.
        c.send(&[b"SHUTDOWN"]);
        let _ = c.is_closed(Duration::from_secs(5));
        snap
    };
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(manifest.contains(".base.rdb seq 2 type b"), "{manifest}");
    let f = ferrite(&dir, &[]);
    let mut c = f.client();
    assert_eq!(snapshot(&mut c), snap);
    // Its functions came with it.
    assert_eq!(c.cmd_str(&["FCALL", "f", "1", "fk2"]), b"+OK\r\n");
}
