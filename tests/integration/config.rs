//! CONFIG GET / SET / REWRITE against the real Redis 7.0: the directive
//! set and defaults, the error texts of every value type, multi-pair
//! atomicity, aliases, and the rewritten configuration file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrite_testkit::{bulk_strings, free_port, show, Pair, RawClient, TestServer};

/// Directives Redis 7.0 lists that Ferrite does not (none left).
const REDIS_ONLY: &[&str] = &[];
/// Ferrite-only directives.
const FERRITE_ONLY: &[&str] = &["shards", "metrics-port", "metrics-bind"];
/// Directives whose values legitimately differ between the two servers of a
/// [`Pair`]: the port, the working directory, and the oracle's unique
/// dbfilename (its start-up marker).
const DIFFERENT_VALUES: &[&str] = &["port", "dir", "dbfilename"];

/// `CONFIG GET` pairs as a name → value map.
fn config_map(reply: &[u8]) -> BTreeMap<String, String> {
    let flat = bulk_strings(reply);
    assert!(
        flat.len().is_multiple_of(2),
        "odd CONFIG GET reply: {}",
        show(reply)
    );
    flat.chunks_exact(2)
        .map(|kv| {
            (
                String::from_utf8_lossy(&kv[0]).into_owned(),
                String::from_utf8_lossy(&kv[1]).into_owned(),
            )
        })
        .collect()
}

#[test]
fn config_get_star_lists_redis_directives_with_redis_defaults() {
    // The oracle runs with `--save ''`: give Ferrite the same.
    let mut p = Pair::with_args(&["--shards", "3", "--save", ""], &[]);
    let (f, r) = p.both_bytes(&[b"CONFIG", b"GET", b"*"]);
    let (f, r) = (config_map(&f), config_map(&r));
    let f_names: BTreeSet<&str> = f.keys().map(String::as_str).collect();
    let r_names: BTreeSet<&str> = r.keys().map(String::as_str).collect();
    let missing: Vec<&str> = r_names
        .difference(&f_names)
        .filter(|n| !REDIS_ONLY.contains(n))
        .copied()
        .collect();
    let extra: Vec<&str> = f_names
        .difference(&r_names)
        .filter(|n| !FERRITE_ONLY.contains(n))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "Redis directives Ferrite lacks: {missing:?}"
    );
    assert!(extra.is_empty(), "directives Redis lacks: {extra:?}");
    assert!(r.len() > 180, "only {} directives from the oracle", r.len());
    for (name, value) in &r {
        if REDIS_ONLY.contains(&name.as_str()) || DIFFERENT_VALUES.contains(&name.as_str()) {
            continue;
        }
        assert_eq!(f.get(name), Some(value), "default of {name}");
    }
}

#[test]
fn config_get_patterns_match_aliases_like_redis() {
    let mut p = Pair::new();
    p.check_unordered(&["CONFIG", "GET", "*ziplist*"]);
    p.check_unordered(&["CONFIG", "GET", "*slave*"]);
    p.check_unordered(&["CONFIG", "GET", "*replica*"]);
    p.check_unordered(&["CONFIG", "GET", "tls-*"]);
    p.check_unordered(&["CONFIG", "GET", "repl*", "*lazy*"]);
    p.check(&["CONFIG", "GET", "SLAVEOF"]);
    p.check(&["CONFIG", "GET", "hash-max-ziplist-entries"]);
    // An alias and its directive share one value.
    p.check(&["CONFIG", "SET", "slave-priority", "7"]);
    p.check(&["CONFIG", "GET", "replica-priority"]);
    p.check(&["CONFIG", "SET", "hash-max-ziplist-entries", "100"]);
    p.check(&["CONFIG", "GET", "hash-max-listpack-entries"]);
    // Aliases of one directive are not duplicates (the last one wins).
    p.check(&[
        "CONFIG",
        "SET",
        "hash-max-ziplist-entries",
        "1",
        "hash-max-listpack-entries",
        "2",
    ]);
    p.check(&["CONFIG", "GET", "hash-max-ziplist-entries"]);
}

#[test]
fn config_set_errors_match_redis_for_every_type() {
    let mut p = Pair::new();
    let cases: &[(&str, &str)] = &[
        // yes/no
        ("activerehashing", "maybe"),
        ("lazyfree-lazy-expire", "1"),
        ("tls-replication", ""),
        // integers: parse errors and both bounds
        ("active-defrag-cycle-max", "abc"),
        ("active-defrag-cycle-max", "100"),
        ("active-defrag-cycle-min", "0"),
        ("repl-timeout", "0"),
        ("repl-backlog-ttl", "-1"),
        ("cluster-announce-port", "65536"),
        ("replica-priority", "1.5"),
        ("stream-node-max-entries", "99999999999999999999"),
        ("min-replicas-max-lag", "-1"),
        // memory values
        ("repl-backlog-size", "0"),
        ("repl-backlog-size", "1tb"),
        ("active-defrag-ignore-bytes", "-5"),
        ("stream-node-max-bytes", "18446744073709551615"),
        ("hll-sparse-max-bytes", "12 mb"),
        // enums
        ("appendfsync", "sometimes"),
        ("repl-diskless-load", "x"),
        ("oom-score-adj", "maybe"),
        ("sanitize-dump-payload", "x"),
        ("propagation-error-behavior", "x"),
        ("cluster-preferred-endpoint-type", "x"),
        ("tls-auth-clients", "x"),
        ("shutdown-on-sigint", "x"),
        ("shutdown-on-sigterm", ""),
        ("shutdown-on-sigterm", "save nosave"),
        // lists and templates
        ("oom-score-adj-values", "1 2"),
        ("oom-score-adj-values", "1 2 2001"),
        ("oom-score-adj-values", "a b c"),
        ("proc-title-template", "{title}"),
        ("proc-title-template", "{nosuch}"),
        ("proc-title-template", "{port"),
        // immutable and protected
        ("io-threads", "2"),
        ("always-show-logo", "yes"),
        ("replicaof", "no one"),
        ("slaveof", "127.0.0.1 6379"),
        ("unixsocket", "/tmp/x.sock"),
        ("unixsocketperm", "700"),
        ("cluster-enabled", "yes"),
        ("supervised", "systemd"),
        ("syslog-enabled", "yes"),
        ("pidfile", "/tmp/x.pid"),
        ("enable-debug-command", "yes"),
        ("enable-protected-configs", "yes"),
        ("rdbchecksum", "no"),
        ("tcp-backlog", "10"),
        ("dbfilename", "x.rdb"),
        ("appendfilename", "x.aof"),
        ("appenddirname", "x"),
        ("cluster-config-file", "x.conf"),
    ];
    for (name, value) in cases {
        p.check(&["CONFIG", "SET", name, value]);
        // The oracle's dbfilename is its start-up marker.
        if *name != "dbfilename" {
            p.check(&["CONFIG", "GET", name]);
        }
    }
}

#[test]
fn config_set_values_read_back_like_redis() {
    let mut p = Pair::new();
    let cases: &[(&str, &str)] = &[
        ("activerehashing", "NO"),
        ("lazyfree-lazy-user-flush", "yes"),
        ("active-defrag-cycle-max", "99"),
        ("repl-backlog-size", "2mb"),
        ("auto-aof-rewrite-min-size", "1gb"),
        ("hll-sparse-max-bytes", "3k"),
        ("appendfsync", "ALWAYS"),
        // Redis applies the values to the process while oom-score-adj is
        // on, which a container may refuse: values first, then the switch.
        ("oom-score-adj-values", "-100 0 2000"),
        ("oom-score-adj-values", "0 200 800"),
        ("oom-score-adj", "relative"),
        ("oom-score-adj", "absolute"),
        ("oom-score-adj", "Relative"),
        ("oom-score-adj", "no"),
        ("shutdown-on-sigint", "NOW save Force"),
        ("shutdown-on-sigterm", "default nosave"),
        ("proc-title-template", "{title} {port} {{x}"),
        ("masterauth", "p a s s"),
        ("tls-cert-file", "/etc/ferrite/cert.pem"),
        ("tls-session-cache-size", "0"),
        ("min-replicas-to-write", "0"),
        ("replica-announce-ip", "10.0.0.1"),
        ("ignore-warnings", "ARM64-COW-BUG"),
        ("cluster-node-timeout", "9223372036854775807"),
    ];
    for (name, value) in cases {
        p.check(&["CONFIG", "SET", name, value]);
        p.check(&["CONFIG", "GET", name]);
    }
}

#[test]
fn config_set_of_several_pairs_is_all_or_nothing() {
    let mut p = Pair::new();
    p.check_all(&[
        "CONFIG SET hz 20 repl-timeout 0",
        "CONFIG GET hz",
        "CONFIG SET repl-timeout 30 appendfsync never hz 7",
        "CONFIG GET repl-timeout",
        "CONFIG GET hz",
        "CONFIG SET repl-timeout 30 io-threads 2",
        "CONFIG GET repl-timeout",
        "CONFIG SET repl-timeout 30 nosuch 1",
        "CONFIG GET repl-timeout",
        "CONFIG SET repl-timeout 30 REPL-TIMEOUT 31",
        "CONFIG SET hz 5 hz 7",
        "CONFIG GET hz",
        "CONFIG SET repl-timeout 30 appendfsync always activerehashing no",
        "CONFIG GET repl-timeout",
        "CONFIG GET appendfsync",
        "CONFIG GET activerehashing",
        "CONFIG SET repl-timeout",
        "CONFIG SET repl-timeout 1 hz",
    ]);
}

#[test]
fn only_defaults_are_accepted_where_ferrite_lacks_the_feature() {
    let s = TestServer::start();
    let mut c = s.client();
    for (name, value) in [
        ("min-replicas-to-write", "1"),
        ("min-slaves-to-write", "2"),
        ("activedefrag", "yes"),
    ] {
        let reply = c.cmd_str(&["CONFIG", "SET", name, value]);
        let text = String::from_utf8_lossy(&reply);
        assert!(
            text.starts_with(&format!(
                "-ERR CONFIG SET failed (possibly related to argument '{name}') - "
            )) && text.contains("Ferrite"),
            "{name} {value}: {text}"
        );
        let got = c.cmd_str(&["CONFIG", "GET", name]);
        assert!(bulk_strings(&got).len() == 2, "{}", show(&got));
    }
    // tls-port is set at start, as `port` (Redis rebinds it live).
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "tls-port", "6380"]),
        b"-ERR CONFIG SET failed (possibly related to argument 'tls-port') - can't set immutable config\r\n"
    );
    assert_eq!(
        bulk_strings(&c.cmd_str(&["CONFIG", "GET", "tls-port"])),
        [b"tls-port".to_vec(), b"0".to_vec()]
    );
}

/// A scratch directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrite-config-it-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::canonicalize(&dir).expect("scratch dir")
}

/// `redis-server <file> --port <free> --bind 127.0.0.1 <extra>`, stopped on drop.
struct FileOracle {
    child: Child,
    port: u16,
}

impl FileOracle {
    fn start(file: &Path, extra: &[&str]) -> FileOracle {
        for _ in 0..10 {
            let port = free_port();
            let child = Command::new("redis-server")
                .arg(file)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "the CONFIG REWRITE test needs the real Redis as its oracle, but \
                         `redis-server` could not be started ({e}); install redis-server 7.0"
                    )
                });
            let mut oracle = FileOracle { child, port };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = oracle.child.try_wait() {
                    break; // port taken in between: try another
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let mut c = RawClient::connect(port);
                    // Ours if it runs from our scratch directory.
                    let reply = c.cmd_str(&["CONFIG", "GET", "dir"]);
                    let ours = file.parent().and_then(Path::to_str).is_some_and(|d| {
                        bulk_strings(&reply).get(1).map(Vec::as_slice) == Some(d.as_bytes())
                    });
                    if ours {
                        return oracle;
                    }
                    break; // someone else's server
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = oracle.child.kill();
            let _ = oracle.child.wait();
        }
        panic!("redis-server did not start with {}", file.display());
    }
}

impl Drop for FileOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration file both servers start from: comments (one indented),
/// blank-line runs, repeated and aliased directives, an include, a
/// `replicaof no one` line.
const REWRITE_INPUT: &str = "# Ferrite/Redis CONFIG REWRITE comparison
   # an indented comment

save 900 1
save 300 10
hz 20
maxmemory 100mb
loglevel notice
hash-max-ziplist-entries 100
slave-priority 50
timeout 0
replicaof no one
notify-keyspace-events \"\"
include INCLUDED
tls-session-cache-timeout 300


# trailing comment
";

/// The CONFIG SETs applied to both before CONFIG REWRITE.
const REWRITE_SETS: &[&str] = &[
    "CONFIG SET hz 10 loglevel warning save 3600\\ 1",
    "CONFIG SET hash-max-listpack-entries 512 lazyfree-lazy-eviction yes",
    "CONFIG SET masterauth a\\ b notify-keyspace-events KEA tcp-keepalive 100",
    "CONFIG SET shutdown-on-sigint save\\ now oom-score-adj-values 1\\ 2\\ 3",
    "CONFIG SET replica-priority 7 appendfsync always maxmemory 0",
    "CONFIG SET proc-title-template {title}\\ {port} active-defrag-cycle-max 50",
    "CONFIG SET list-max-listpack-size 5 tls-cert-file /x/cert.pem repl-backlog-size 2mb",
];

/// Splits a command line on spaces, `\ ` standing for a space inside an
/// argument.
fn words(line: &str) -> Vec<String> {
    line.replace("\\ ", "\u{0}")
        .split(' ')
        .map(|w| w.replace('\u{0}', " "))
        .collect()
}

/// Lines of a rewritten file: the part up to the signature as is, the
/// appended part sorted (Redis appends in its hash table's order, which
/// changes from run to run), leaving out `port` (each server's own),
/// `shards` (Ferrite only) and `user` (the ACL's) lines.
fn rewritten_parts(text: &str) -> (String, Vec<String>) {
    let signature = "# Generated by CONFIG REWRITE\n";
    let (head, tail) = text.split_once(signature).unwrap_or((text, ""));
    let mut tail: Vec<String> = tail
        .lines()
        .filter(|l| !l.starts_with("port ") && !l.starts_with("shards ") && !l.starts_with("user "))
        .map(str::to_owned)
        .collect();
    tail.sort();
    (head.to_owned(), tail)
}

#[test]
fn config_rewrite_writes_the_file_as_redis_does() {
    let dir = scratch("rewrite");
    let included = dir.join("inc.conf");
    std::fs::write(&included, "hz 11\n").expect("write include");
    let text = REWRITE_INPUT.replace("INCLUDED", included.to_str().expect("UTF-8 path"));
    let (f_file, r_file) = (dir.join("ferrite.conf"), dir.join("redis.conf"));
    std::fs::write(&f_file, &text).expect("write config");
    std::fs::write(&r_file, &text).expect("write config");
    let dir_arg = dir.to_str().expect("UTF-8 path");
    let ferrite = TestServer::start_with_file(&f_file, &["--shards", "3", "--dir", dir_arg]);
    let oracle = FileOracle::start(&r_file, &["--dir", dir_arg]);
    let (mut f, mut r) = (ferrite.client(), RawClient::connect(oracle.port));
    for line in REWRITE_SETS {
        let args = words(line);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (fr, rr) = (f.cmd_str(&args), r.cmd_str(&args));
        assert_eq!(show(&fr), show(&rr), "{line}");
    }
    assert_eq!(f.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    assert_eq!(r.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let f_text = std::fs::read_to_string(&f_file).expect("read rewritten file");
    let r_text = std::fs::read_to_string(&r_file).expect("read rewritten file");
    let (f_head, f_tail) = rewritten_parts(&f_text);
    let (r_head, r_tail) = rewritten_parts(&r_text);
    assert_eq!(f_head, r_head, "\nferrite:\n{f_text}\nredis:\n{r_text}");
    assert_eq!(f_tail, r_tail, "\nferrite:\n{f_text}\nredis:\n{r_text}");
    assert!(f_text.contains("\n# Generated by CONFIG REWRITE\n"));

    // A second rewrite changes both files the same way (a trailing blank
    // line, with nothing left to append).
    assert_eq!(f.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    assert_eq!(r.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let f_again = std::fs::read_to_string(&f_file).expect("read rewritten file");
    let r_again = std::fs::read_to_string(&r_file).expect("read rewritten file");
    assert_eq!(f_again, format!("{f_text}\n"));
    assert_eq!(r_again, format!("{r_text}\n"));

    // The rewritten file starts Ferrite with the values that were set.
    drop(f);
    ferrite.stop();
    let again = TestServer::start_with_file(&f_file, &[]);
    let mut c = again.client();
    for (name, value) in [
        ("loglevel", "warning"),
        ("save", "3600 1"),
        ("masterauth", "a b"),
        ("oom-score-adj-values", "1 2 3"),
        ("shutdown-on-sigint", "save now"),
        ("repl-backlog-size", "2097152"),
        ("tls-cert-file", "/x/cert.pem"),
    ] {
        assert_eq!(
            bulk_strings(&c.cmd_str(&["CONFIG", "GET", name])),
            [name.as_bytes().to_vec(), value.as_bytes().to_vec()],
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_rewrite_without_a_config_file_fails_like_redis() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "REWRITE"]);
    p.check(&["CONFIG", "REWRITE", "x"]);
    p.check(&["COMMAND", "INFO", "config|rewrite"]);
}
