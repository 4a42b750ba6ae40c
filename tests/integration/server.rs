//! Server commands against the real Redis: COMMAND (rendered from the
//! command table), INFO, CONFIG, SHUTDOWN, TIME, LASTSAVE, DEBUG.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

fn strings(f: &Frame) -> Vec<String> {
    items(f).iter().map(text).collect()
}

/// Switches both connections to protocol `v` (HELLO replies differ: ids, server name).
fn hello(p: &mut Pair, v: &str) {
    let (f, r) = p.both_bytes(&[b"HELLO", v.as_bytes()]);
    assert!(matches!(f.first(), Some(b'%' | b'*')), "{}", show(&f));
    assert!(matches!(r.first(), Some(b'%' | b'*')), "{}", show(&r));
}

fn cmd(c: &mut RawClient, args: &[&str]) -> Frame {
    frame(&c.cmd_str(args))
}

/// Every command name Ferrite lists (subcommands included).
fn ferrite_names(p: &mut Pair) -> Vec<String> {
    strings(&cmd(&mut p.ferrite, &["COMMAND", "LIST"]))
}

#[test]
fn command_count_command_and_list_agree() {
    let s = TestServer::start();
    let mut c = s.client();
    let Frame::Integer(count) = cmd(&mut c, &["COMMAND", "COUNT"]) else {
        panic!("COMMAND COUNT is not an integer")
    };
    let all = cmd(&mut c, &["COMMAND"]);
    assert_eq!(items(&all).len() as i64, count);
    let top: Vec<String> = strings(&cmd(&mut c, &["COMMAND", "LIST"]))
        .into_iter()
        .filter(|n| !n.contains('|'))
        .collect();
    assert_eq!(top.len() as i64, count);
    // COMMAND and COMMAND INFO without names describe the same commands.
    let names =
        |f: &Frame| -> BTreeSet<String> { items(f).iter().map(|e| text(&items(e)[0])).collect() };
    assert_eq!(names(&all), top.iter().cloned().collect());
    assert_eq!(names(&cmd(&mut c, &["COMMAND", "INFO"])), names(&all));
    assert!(count > 50, "only {count} commands");
}

#[test]
fn command_info_matches_redis_name_to_tips() {
    let mut p = Pair::new();
    let mut unknown_to_redis = Vec::new();
    for name in ferrite_names(&mut p) {
        let (f, r) = p.both_bytes(&[b"COMMAND", b"INFO", name.as_bytes()]);
        let (f, r) = (frame(&f), frame(&r));
        let (fe, re) = (&items(&f)[0], &items(&r)[0]);
        if *re == Frame::Null {
            unknown_to_redis.push(name);
            continue;
        }
        let (fe, re) = (items(fe), items(re));
        assert_eq!(fe.len(), 10, "{name}");
        assert_eq!(fe[..8], re[..8], "COMMAND INFO {name}: fields 1-8 differ");
        // Where Redis describes the keys with one range spec, the derived
        // spec must find the same keys.
        let (fk, rk) = (items(&fe[8]), items(&re[8]));
        if rk.len() == 1 {
            // begin_search and find_keys, wherever they stand in the map.
            let range = |spec: &Frame| -> Vec<Frame> {
                items(spec)
                    .chunks(2)
                    .filter(|kv| matches!(text(&kv[0]).as_str(), "begin_search" | "find_keys"))
                    .flat_map(|kv| kv.to_vec())
                    .collect()
            };
            assert_eq!(fk.len(), 1, "{name} has no key spec");
            assert_eq!(range(&fk[0]), range(&rk[0]), "{name}: key spec range");
        }
        // Subcommand names must be Redis's (Ferrite may implement fewer).
        let subs = |e: &[Frame]| -> BTreeSet<String> {
            items(&e[9])
                .iter()
                .map(|s| text(&items(s)[0]))
                .filter(|n| !ferrite_testkit::newer_than_oracle(n))
                .collect()
        };
        assert!(subs(fe).is_subset(&subs(re)), "{name}: subcommands");
    }
    // Only subcommands of later Redis releases may be missing from 7.0.
    assert!(
        unknown_to_redis
            .iter()
            .all(|n| ferrite_testkit::newer_than_oracle(n)),
        "unknown to Redis 7.0: {unknown_to_redis:?}"
    );
}

#[test]
fn command_info_replies_match_redis_byte_for_byte_for_keyless_commands() {
    let mut p = Pair::new();
    p.check(&[
        "COMMAND",
        "INFO",
        "ping",
        "nosuch",
        "TIME",
        "ping",
        "config|nosuch",
    ]);
    p.check(&["COMMAND", "INFO", "CONFIG|GET", "dbsize", "lastsave"]);
    p.check(&["COMMAND", "INFO", "nosuch"]);
    hello(&mut p, "3");
    p.check(&["COMMAND", "INFO", "ping", "nosuch", "info"]);
    // A key spec's shape in RESP3: GET's range is derived from first/last/step.
    let f = cmd(&mut p.ferrite, &["COMMAND", "INFO", "get"]);
    let spec = &items(&items(&items(&f)[0])[8])[0];
    let Frame::Map(pairs) = spec else {
        panic!("key spec is not a map: {spec:?}")
    };
    let keys: Vec<String> = pairs.iter().map(|(k, _)| text(k)).collect();
    assert_eq!(keys, ["flags", "begin_search", "find_keys"]);
}

#[test]
fn command_errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "COMMAND nosuch",
        "command foo bar",
        "COMMAND COUNT x",
        "COMMAND HELP x",
        "COMMAND GETKEYS",
        "COMMAND GETKEYS get",
        "COMMAND GETKEYSANDFLAGS get",
        "COMMAND GETKEYS nosuch a",
        "COMMAND GETKEYS get a b",
        "COMMAND GETKEYS mset a",
        "COMMAND GETKEYS ping x",
        "COMMAND GETKEYS time x",
        "COMMAND GETKEYS config nosuch x",
        "COMMAND GETKEYS config get x",
        "COMMAND GETKEYS object encoding",
        "COMMAND GETKEYS object nosuch k",
        "COMMAND GETKEYSANDFLAGS nosuch a",
        "COMMAND GETKEYSANDFLAGS ping x",
        "COMMAND LIST x",
        "COMMAND LIST FILTERBY",
        "COMMAND LIST FILTERBY foo bar",
        "COMMAND LIST FILTERBY PATTERN a b",
        "COMMAND LIST FILTERBY MODULE nosuch",
        "COMMAND LIST FILTERBY ACLCAT nosuch",
        "COMMAND DOCS nosuch",
    ]);
}

#[test]
fn command_getkeys_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "COMMAND GETKEYS get a",
        "COMMAND GETKEYS GET a",
        "COMMAND GETKEYS mset a 1 b 2 c 3",
        "COMMAND GETKEYS del a b c",
        "COMMAND GETKEYS rename a b",
        "COMMAND GETKEYS copy a b db 1 replace",
        "COMMAND GETKEYS object encoding k",
        "COMMAND GETKEYS bitop and dst a b",
        "COMMAND GETKEYS set k v ex 10",
        "COMMAND GETKEYS getex k persist",
    ]);
    // GETKEYSANDFLAGS: every flag of the key's spec, or those of the
    // command's own rule where the specs cannot say (SET, BITFIELD, SORT)
    // or do not fit the arguments (flags then empty). Ferrite has no
    // streams, geo, HyperLogLog or MIGRATE: their rules are unit-tested.
    p.check_all(&[
        "COMMAND GETKEYSANDFLAGS lmove a b left right",
        "COMMAND GETKEYSANDFLAGS set k v",
        "COMMAND GETKEYSANDFLAGS set k v xx get",
        "COMMAND GETKEYSANDFLAGS mset a 1 b 2",
        "COMMAND GETKEYSANDFLAGS zunionstore d 2x a b",
        "COMMAND GETKEYSANDFLAGS zunionstore d 2 a b weights 1 2",
        "COMMAND GETKEYSANDFLAGS zunionstore d 0 a",
        "COMMAND GETKEYSANDFLAGS zunionstore d 5 a",
        "COMMAND GETKEYSANDFLAGS eval s 2x a b",
        "COMMAND GETKEYSANDFLAGS eval s 5 k",
        "COMMAND GETKEYSANDFLAGS eval s 0",
        "COMMAND GETKEYSANDFLAGS fcall f -1 k",
        "COMMAND GETKEYSANDFLAGS lmpop 2x a b left",
        "COMMAND GETKEYSANDFLAGS blmpop 0 2 a b left",
        "COMMAND GETKEYSANDFLAGS sintercard 2x a b",
        "COMMAND GETKEYSANDFLAGS sort a by x store",
        "COMMAND GETKEYSANDFLAGS sort a store b store c",
        "COMMAND GETKEYSANDFLAGS sort a limit store 1 get store store d",
        "COMMAND GETKEYSANDFLAGS sort_ro a by x",
        "COMMAND GETKEYSANDFLAGS bitfield k get u8 0",
        "COMMAND GETKEYSANDFLAGS bitfield k get u8 0 set u8 0 1",
        "COMMAND GETKEYSANDFLAGS bitfield k overflow wrap",
        "COMMAND GETKEYSANDFLAGS bitfield k get u8",
        "COMMAND GETKEYSANDFLAGS bitfield k",
        "COMMAND GETKEYSANDFLAGS object encoding k",
        "COMMAND GETKEYSANDFLAGS getdel a",
        "COMMAND GETKEYSANDFLAGS spublish c m",
        "COMMAND GETKEYSANDFLAGS ssubscribe a b",
        "COMMAND GETKEYSANDFLAGS object",
    ]);
    p.hello3();
    p.check_all(&[
        "COMMAND GETKEYSANDFLAGS lmove a b left right",
        "COMMAND GETKEYSANDFLAGS zunionstore d 2x a b",
    ]);
}

/// A key/value view of a RESP2 map (a flat array of pairs).
fn pairs(f: &Frame) -> BTreeMap<String, &Frame> {
    items(f).chunks(2).map(|c| (text(&c[0]), &c[1])).collect()
}

/// An argument vector for the arguments of a COMMAND DOCS entry: every
/// required argument, and the optional ones too when `all`; a choice takes
/// its first branch, a repeated argument appears once.
fn doc_args(args: &[Frame], all: bool, keys: &mut usize, out: &mut Vec<String>) {
    for a in args {
        let a = pairs(a);
        let flags = a.get("flags").map(|f| strings(f)).unwrap_or_default();
        if flags.iter().any(|f| f == "optional") && !all {
            continue;
        }
        if let Some(t) = a.get("token") {
            out.push(text(t));
        }
        let kind = text(a["type"]);
        let subs = a.get("arguments").map(|f| items(f)).unwrap_or_default();
        match kind.as_str() {
            "key" => {
                *keys += 1;
                out.push(format!("k{keys}"));
            }
            "integer" | "double" | "unix-time" => out.push("1".into()),
            "pattern" => out.push("*".into()),
            "pure-token" => {}
            "oneof" => doc_args(&subs[..1.min(subs.len())], true, keys, out),
            "block" => doc_args(subs, all, keys, out),
            _ => out.push("s".into()),
        }
    }
}

/// Every command, with argument vectors built from Redis's own COMMAND DOCS
/// (required arguments only, then every argument), gets the same GETKEYS
/// and GETKEYSANDFLAGS replies as from Redis.
#[test]
fn command_getkeys_of_every_command_match_redis() {
    let mut p = Pair::new();
    let mut checked = 0;
    for name in ferrite_names(&mut p) {
        let (base, sub) = match name.split_once('|') {
            Some((b, s)) => (b.to_string(), Some(s.to_string())),
            None => (name.clone(), None),
        };
        let docs = cmd(&mut p.redis, &["COMMAND", "DOCS", &base]);
        let Some(doc) = items(&docs).get(1) else {
            continue;
        };
        let mut doc = pairs(doc);
        if sub.is_some() {
            // Ferrite's own subcommands (CLIENT SETINFO) have no Redis docs.
            let subs = doc.get("subcommands").map(|f| pairs(f)).unwrap_or_default();
            let Some(d) = subs.get(&name) else { continue };
            doc = pairs(d);
        }
        let args = doc.get("arguments").map(|f| items(f)).unwrap_or_default();
        for all in [false, true] {
            let mut argv = vec![base.clone()];
            argv.extend(sub.clone());
            doc_args(args, all, &mut 0, &mut argv);
            for which in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mut line = vec!["COMMAND".to_string(), which.to_string()];
                line.extend(argv.iter().cloned());
                p.check_strings(&line);
                checked += 1;
            }
        }
    }
    assert!(checked > 800, "only {checked} lines checked");
}

#[test]
fn command_list_filters_like_redis() {
    let mut p = Pair::new();
    let ours: BTreeSet<String> = ferrite_names(&mut p).into_iter().collect();
    let theirs: BTreeSet<String> = strings(&cmd(&mut p.redis, &["COMMAND", "LIST"]))
        .into_iter()
        .collect();
    let extra: Vec<&String> = ours
        .iter()
        .filter(|n| !theirs.contains(*n) && !ferrite_testkit::newer_than_oracle(n))
        .collect();
    assert!(extra.is_empty(), "not Redis 7.0 commands: {extra:?}");
    for filter in [
        ["ACLCAT", "read"],
        ["ACLCAT", "WRITE"],
        ["ACLCAT", "dangerous"],
        ["PATTERN", "get*"],
        ["PATTERN", "CONFIG*"],
        ["PATTERN", "*|*"],
        ["MODULE", "x"],
    ] {
        let args = ["COMMAND", "LIST", "FILTERBY", filter[0], filter[1]];
        let f: BTreeSet<String> = strings(&cmd(&mut p.ferrite, &args))
            .into_iter()
            .filter(|n| !ferrite_testkit::newer_than_oracle(n))
            .collect();
        let r: BTreeSet<String> = strings(&cmd(&mut p.redis, &args)).into_iter().collect();
        let expected: BTreeSet<String> = r.intersection(&ours).cloned().collect();
        assert_eq!(f, expected, "{filter:?}");
        if filter[0] != "MODULE" {
            assert!(!f.is_empty(), "{filter:?}");
        }
    }
}

#[test]
fn command_docs_give_redis_groups_and_versions() {
    let mut p = Pair::new();
    let docs = |f: &Frame| -> BTreeMap<String, BTreeMap<String, Frame>> {
        let v = items(f);
        v.chunks(2)
            .map(|kv| {
                let fields = items(&kv[1])
                    .chunks(2)
                    .map(|p| (text(&p[0]), p[1].clone()))
                    .collect();
                (text(&kv[0]), fields)
            })
            .collect()
    };
    let f = docs(&cmd(&mut p.ferrite, &["COMMAND", "DOCS"]));
    let r = docs(&cmd(&mut p.redis, &["COMMAND", "DOCS"]));
    assert!(f.len() > 50);
    for (name, fields) in &f {
        let Some(theirs) = r.get(name) else { continue };
        assert_eq!(
            fields.get("group"),
            theirs.get("group"),
            "COMMAND DOCS {name}: group"
        );
        // Rows without their own docs leave `since` out rather than guess it.
        if let Some(since) = fields.get("since") {
            assert_eq!(
                Some(since),
                theirs.get("since"),
                "COMMAND DOCS {name}: since"
            );
        }
    }
    // Named lookups: unknown names are left out, duplicates repeated, and
    // subcommands are reachable by their full names.
    let named = cmd(
        &mut p.ferrite,
        &["COMMAND", "DOCS", "GET", "nosuch", "config|get", "get"],
    );
    let names: Vec<String> = items(&named).chunks(2).map(|kv| text(&kv[0])).collect();
    assert_eq!(names, ["get", "config|get", "get"]);
    let config = docs(&cmd(&mut p.ferrite, &["COMMAND", "DOCS", "config"]));
    let fields = &config["config"];
    assert_eq!(
        text(&fields["summary"]),
        "Container for the configuration commands."
    );
    let subs: Vec<String> = items(&fields["subcommands"])
        .chunks(2)
        .map(|kv| text(&kv[0]))
        .collect();
    assert!(subs.contains(&"config|get".to_string()), "{subs:?}");
    hello(&mut p, "3");
    let reply = p.ferrite.cmd_str(&["COMMAND", "DOCS", "ping"]);
    assert!(
        reply.starts_with(b"%1\r\n$4\r\nping\r\n%"),
        "{}",
        show(&reply)
    );
}

#[test]
fn help_subcommands_list_every_subcommand() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--enable-debug-command", "yes"],
        &["--enable-debug-command", "yes"],
    );
    for (cmd_name, subs) in [
        (
            "COMMAND",
            &[
                "COUNT",
                "LIST",
                "INFO",
                "DOCS",
                "GETKEYS",
                "GETKEYSANDFLAGS",
                "HELP",
            ][..],
        ),
        ("CONFIG", &["GET", "SET", "RESETSTAT", "HELP"][..]),
        (
            "DEBUG",
            &["SLEEP", "SET-ACTIVE-EXPIRE", "PROTOCOL", "HELP"][..],
        ),
    ] {
        let (f, r) = (
            cmd(&mut p.ferrite, &[cmd_name, "HELP"]),
            cmd(&mut p.redis, &[cmd_name, "HELP"]),
        );
        let (fl, rl) = (items(&f), items(&r));
        assert_eq!(fl[0], rl[0], "{cmd_name} HELP's first line");
        assert!(fl.iter().all(|l| matches!(l, Frame::Simple(_))));
        let lines = strings(&f);
        for sub in subs {
            assert!(
                lines.iter().any(|l| l.starts_with(sub)),
                "{cmd_name} HELP lacks {sub}"
            );
        }
        assert_eq!(
            lines.last().map(String::as_str),
            Some("    Print this list of subcommands.")
        );
    }
}

/// The `# Section` titles and `name:value` fields of an INFO reply.
fn info_sections(reply: &[u8]) -> Vec<(String, Vec<(String, String)>)> {
    let body = text(&frame(reply));
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in body.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_string(), Vec::new()));
        } else if let Some((k, v)) = line.split_once(':') {
            out.last_mut()
                .expect("field before any section")
                .1
                .push((k.to_string(), v.to_string()));
        }
    }
    out
}

fn is_subsequence(ours: &[String], theirs: &[String]) -> bool {
    let mut it = theirs.iter();
    ours.iter().all(|x| it.any(|y| y == x))
}

/// Sections whose fields are still a subset of Redis's (the memory section
/// gains its eviction fields with maxmemory).
const INFO_SECTIONS_IN_PROGRESS: &[&str] = &[];

#[test]
fn info_sections_and_fields_are_a_subset_of_redis_in_order() {
    let mut p = Pair::new();
    for arg in [None, Some("default"), Some("all"), Some("everything")] {
        let args: Vec<&str> = std::iter::once("INFO").chain(arg).collect();
        let f = info_sections(&p.ferrite.cmd_str(&args));
        let r = info_sections(&p.redis.cmd_str(&args));
        let titles = |s: &[(String, Vec<(String, String)>)]| -> Vec<String> {
            s.iter().map(|(t, _)| t.clone()).collect()
        };
        assert!(
            is_subsequence(&titles(&f), &titles(&r)),
            "{arg:?}: {:?} vs {:?}",
            titles(&f),
            titles(&r)
        );
        for (title, fields) in &f {
            let theirs = &r.iter().find(|(t, _)| t == title).expect("section").1;
            let names = |v: &[(String, String)]| -> Vec<String> {
                v.iter()
                    .map(|(k, _)| k.clone())
                    .filter(|k| !k.starts_with("ferrite_"))
                    .collect()
            };
            assert!(
                is_subsequence(&names(fields), &names(theirs)),
                "{title}: {:?} is not in Redis's order {:?}",
                names(fields),
                names(theirs)
            );
            // Every field Redis reports, Ferrite reports too (the
            // per-command sections list the commands each server was sent:
            // tests/integration/introspection.rs compares them).
            let per_command = ["Commandstats", "Errorstats", "Latencystats"];
            if !INFO_SECTIONS_IN_PROGRESS.contains(&title.as_str())
                && !per_command.contains(&title.as_str())
            {
                assert_eq!(names(fields), names(theirs), "{title}");
            }
        }
    }
    let f = info_sections(&p.ferrite.cmd_str(&["INFO"]));
    let titles: Vec<&str> = f.iter().map(|(t, _)| t.as_str()).collect();
    for t in [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Cluster",
        "Keyspace",
    ] {
        assert!(titles.contains(&t), "INFO lacks {t}");
    }
}

#[test]
fn info_deterministic_values_match_redis() {
    let mut p = Pair::new();
    let f: BTreeMap<String, String> = info_sections(&p.ferrite.cmd_str(&["INFO", "everything"]))
        .into_iter()
        .flat_map(|(_, v)| v)
        .collect();
    let r: BTreeMap<String, String> = info_sections(&p.redis.cmd_str(&["INFO", "everything"]))
        .into_iter()
        .flat_map(|(_, v)| v)
        .collect();
    for key in [
        "redis_version",
        "redis_mode",
        "os",
        "arch_bits",
        "monotonic_clock",
        "multiplexing_api",
        "process_supervised",
        "hz",
        "configured_hz",
        "maxclients",
        "cluster_connections",
        "total_system_memory",
        "total_system_memory_human",
        "maxmemory",
        "maxmemory_human",
        "maxmemory_policy",
        "loading",
        "async_loading",
        "rdb_bgsave_in_progress",
        "rdb_last_bgsave_status",
        "rdb_last_bgsave_time_sec",
        "rdb_saves",
        "aof_enabled",
        "aof_last_rewrite_time_sec",
        "aof_last_write_status",
        "role",
        "connected_slaves",
        "master_failover_state",
        "master_replid2",
        "master_repl_offset",
        "second_repl_offset",
        "repl_backlog_active",
        "cluster_enabled",
        "keyspace_hits",
        "keyspace_misses",
        "expired_keys",
        "evicted_keys",
        "sync_full",
        "rdb_changes_since_last_save",
    ] {
        assert_eq!(f.get(key), r.get(key), "INFO field {key}");
    }
    assert_eq!(f["ferrite_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(f["tcp_port"], p.server.port.to_string());
    assert_eq!(f["run_id"].len(), 40);
    assert_eq!(f["master_replid"].len(), 40);
    assert_ne!(f["master_replid"], f["run_id"]);
    assert_eq!(f["process_id"], std::process::id().to_string());
    assert!(f["used_memory"].parse::<u64>().unwrap() > 0);
    assert!(f["used_memory_rss"].parse::<u64>().unwrap() > 0);
    assert_eq!(f["mem_allocator"], "libc");
}

#[test]
fn info_counters_follow_the_same_commands_as_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET a 1",
        "SET b 2",
        "SET c 3",
        "GET a",
        "GET b",
        "GET nosuch",
        "GET c",
        "MGET a x y",
        "SET gone 1 PX 1",
        "SET gone2 1 PX 1",
        "SELECT 2",
        "SET x 1",
        "SET y 1 EX 100",
        "SELECT 0",
        "SWAPDB 2 3",
    ]);
    std::thread::sleep(Duration::from_millis(20));
    // Expired keys are removed lazily by the lookups here, or actively.
    p.check_all(&["GET gone", "EXISTS gone2", "FLUSHDB"]);
    let field = |reply: &[u8], name: &str| -> String {
        info_sections(reply)
            .into_iter()
            .flat_map(|(_, v)| v)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let (f, r) = p.both_bytes(&[b"INFO", b"stats", b"persistence", b"keyspace"]);
    for name in [
        "keyspace_hits",
        "keyspace_misses",
        "expired_keys",
        "rdb_changes_since_last_save",
    ] {
        assert_eq!(field(&f, name), field(&r, name), "{name}");
    }
    // avg_ttl is an estimate in both servers: Ferrite's is checked alone.
    let db3 = field(&f, "db3");
    assert!(field(&r, "db3").starts_with("keys=2,expires=1,avg_ttl="));
    assert!(db3.starts_with("keys=2,expires=1,avg_ttl="), "{db3}");
    let ttl: u64 = db3.rsplit('=').next().unwrap().parse().unwrap();
    assert!(ttl > 90_000 && ttl <= 100_000, "avg_ttl {ttl}");
    // CONFIG RESETSTAT zeroes the counters (but not the change count).
    p.check(&["CONFIG", "RESETSTAT"]);
    let (f, r) = p.both_bytes(&[b"INFO", b"stats", b"persistence"]);
    for name in [
        "keyspace_hits",
        "keyspace_misses",
        "expired_keys",
        "rdb_changes_since_last_save",
    ] {
        assert_eq!(field(&f, name), field(&r, name), "{name} after RESETSTAT");
    }
    assert_eq!(field(&f, "total_connections_received"), "0");
}

#[test]
fn info_keyspace_counts_keys_on_every_shard() {
    let mut p = Pair::new();
    p.check(&["INFO", "keyspace"]);
    for i in 0..50 {
        let k = format!("key:{i}");
        p.check(&["SET", &k, "v"]);
        if i % 5 == 0 {
            p.check(&["EXPIRE", &k, "1000"]);
        }
    }
    p.check(&["SELECT", "9"]);
    p.check(&["MSET", "a", "1", "b", "2", "c", "3"]);
    let strip = |reply: &[u8]| -> String {
        text(&frame(reply))
            .split("\r\n")
            .map(|l| l.split(",avg_ttl=").next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (f, r) = p.both_bytes(&[b"INFO", b"keyspace"]);
    assert_eq!(strip(&f), strip(&r));
    assert!(
        strip(&f).contains("db0:keys=50,expires=10"),
        "{}",
        strip(&f)
    );
    assert!(strip(&f).contains("db9:keys=3,expires=0"), "{}", strip(&f));
}

#[test]
fn info_replies_match_redis_where_fully_deterministic() {
    let mut p = Pair::new();
    p.check_all(&[
        "INFO nosuch",
        "INFO keyspace",
        "INFO cluster",
        "INFO modules",
        "INFO Cluster nosuch KEYSPACE",
    ]);
    hello(&mut p, "3");
    p.check_all(&["INFO nosuch", "INFO keyspace", "INFO cluster modules"]);
    // INFO is a verbatim string in RESP3 and a bulk string in RESP2.
    let f = p.ferrite.cmd_str(&["INFO", "server"]);
    assert!(f.starts_with(b"="), "{}", show(&f));
    assert!(matches!(frame(&f), Frame::Verbatim(ref fmt, _) if fmt == b"txt"));
    hello(&mut p, "2");
    assert!(p.ferrite.cmd_str(&["INFO", "server"]).starts_with(b"$"));
    let sections: Vec<String> = info_sections(
        &p.ferrite
            .cmd_str(&["INFO", "clients", "server", "default", "cpu"]),
    )
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    assert_eq!(sections[..2], ["Server".to_string(), "Clients".to_string()]);
    assert_eq!(sections.iter().filter(|t| *t == "Server").count(), 1);
}

#[test]
fn info_reports_clients_uptime_and_persistence_honestly() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let s = TestServer::start();
    let mut clients: Vec<RawClient> = (0..3).map(|_| s.client()).collect();
    for c in &mut clients {
        assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    }
    let fields: BTreeMap<String, String> = info_sections(&clients[0].cmd_str(&["INFO"]))
        .into_iter()
        .flat_map(|(_, v)| v)
        .collect();
    assert_eq!(fields["connected_clients"], "3");
    assert_eq!(fields["uptime_in_days"], "0");
    assert!(fields["uptime_in_seconds"].parse::<u64>().unwrap() < 60);
    let last_save: u64 = fields["rdb_last_save_time"].parse().unwrap();
    assert!(last_save + 1 >= before && last_save <= before + 60);
    let Frame::Integer(lastsave) = cmd(&mut clients[0], &["LASTSAVE"]) else {
        panic!()
    };
    assert!((lastsave as u64).abs_diff(last_save) <= 1);
    let usec: u128 = fields["server_time_usec"].parse().unwrap();
    assert!(usec / 1_000_000 >= u128::from(before));
    assert!(fields["total_connections_received"].parse::<u64>().unwrap() >= 3);
    assert!(fields["total_net_input_bytes"].parse::<u64>().unwrap() > 0);
    drop(clients.pop());
    std::thread::sleep(Duration::from_millis(100));
    let again = text(&cmd(&mut clients[0], &["INFO", "clients"]));
    assert!(again.contains("connected_clients:2\r\n"), "{again}");
}

#[test]
fn config_get_and_set_match_redis() {
    let mut p = Pair::new();
    // Redis 7.0 lists the pairs in its hash table's order: compare them as maps.
    for line in [
        "CONFIG GET maxclients timeout",
        "CONFIG GET time* HZ maxclients *keepalive*",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        let pairs = |f: Frame| -> BTreeMap<String, String> {
            items(&f)
                .chunks(2)
                .map(|kv| (text(&kv[0]), text(&kv[1])))
                .collect()
        };
        let (f, r) = (cmd(&mut p.ferrite, &args), cmd(&mut p.redis, &args));
        assert_eq!(pairs(f), pairs(r), "{line}");
    }
    p.check_all(&[
        "CONFIG GET hz",
        "CONFIG GET HZ",
        "CONFIG GET nosuch",
        "CONFIG GET *keepalive*",
        "CONFIG GET proto-max-bulk-len",
        "CONFIG GET",
        "CONFIG SET hz",
        "CONFIG SET hz 20",
        "CONFIG SET hz 10 maxclients",
        "CONFIG SET hz 11 hz 12",
        "CONFIG SET nosuch 1",
        "CONFIG SET hz abc",
        "CONFIG SET databases 3",
        "CONFIG SET hz 30 maxclients abc",
        "CONFIG GET hz",
        "CONFIG SET hz 25 maxclients 200 timeout 7",
        "CONFIG GET hz",
        "CONFIG GET maxclients",
        "CONFIG GET timeout",
        "CONFIG RESETSTAT x",
        "CONFIG nosuch",
        "CONFIG",
    ]);
    hello(&mut p, "3");
    p.check(&["CONFIG", "GET", "hz"]);
    p.check(&["CONFIG", "GET", "nosuch"]);
}

#[test]
fn memory_slowlog_latency_and_acl_directives_match_redis() {
    let mut p = Pair::new();
    let names = [
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-eviction-tenacity",
        "lfu-log-factor",
        "lfu-decay-time",
        "slowlog-log-slower-than",
        "slowlog-max-len",
        "latency-monitor-threshold",
        "latency-tracking",
        "latency-tracking-info-percentiles",
        "aclfile",
        "acllog-max-len",
        "acl-pubsub-default",
        "user",
    ];
    for n in names {
        p.check(&["CONFIG", "GET", n]);
    }
    for (n, bad, good) in [
        ("maxmemory", "-1", "100mb"),
        ("maxmemory-policy", "bad", "ALLKEYS-LRU"),
        ("maxmemory-samples", "0", "10"),
        ("maxmemory-eviction-tenacity", "101", "50"),
        ("lfu-log-factor", "-1", "20"),
        ("lfu-decay-time", "x", "0"),
        ("slowlog-log-slower-than", "-2", "-1"),
        ("slowlog-max-len", "-1", "3"),
        ("latency-monitor-threshold", "-1", "100"),
        ("latency-tracking", "maybe", "no"),
        ("latency-tracking-info-percentiles", "50 101", "99.99 1.5"),
        ("latency-tracking-info-percentiles", "50 abc", ""),
        ("aclfile", "/tmp/x.acl", "/tmp/x.acl"),
        ("acllog-max-len", "-1", "5"),
        ("acl-pubsub-default", "some", "allchannels"),
        ("user", "x", "y"),
    ] {
        p.check(&["CONFIG", "SET", n, bad]);
        p.check(&["CONFIG", "SET", n, good]);
        p.check(&["CONFIG", "GET", n]);
    }
    p.check(&[
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "50 99 99.9",
    ]);
    p.check(&["CONFIG", "GET", "latency-tracking-info-percentiles"]);
}

#[test]
fn config_set_reaches_every_shard() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    // Keys spread over the three shards.
    for i in 0..9 {
        let k = format!("k{i}");
        p.check(&["SETRANGE", &k, "2000000", "x"]);
        p.check(&["SETRANGE", &k, "1000", "x"]);
    }
    p.check(&["CONFIG", "SET", "proto-max-bulk-len", "512mb"]);
    p.check(&["SETRANGE", "k1", "2000000", "x"]);
}

#[test]
fn shutdown_errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SHUTDOWN foo",
        "SHUTDOWN ABORT",
        "SHUTDOWN ABORT ABORT",
        "SHUTDOWN ABORT NOW",
        "SHUTDOWN NOSAVE SAVE",
        "SHUTDOWN SAVE NOSAVE NOW",
        "SHUTDOWN NOW NOW ABORT",
        "SHUTDOWN NOSAVE foo",
    ]);
}

#[test]
fn shutdown_save_fails_without_persistence_unless_forced() {
    let s = TestServer::start();
    let mut c = s.client();
    assert_eq!(
        show(&c.cmd_str(&["SHUTDOWN", "SAVE"])),
        "-ERR Errors trying to SHUTDOWN. Check logs.\\r\\n"
    );
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    c.send(&[b"SHUTDOWN", b"SAVE", b"NOW", b"FORCE"]);
    assert!(c.is_closed(Duration::from_secs(10)));
    assert!(s.wait_stopped(Duration::from_secs(10)));
}

#[test]
fn plain_shutdown_stops_the_server_and_closes_the_connection() {
    let s = TestServer::start();
    let mut c = s.client();
    c.send(&[b"shutdown"]);
    assert!(c.is_closed(Duration::from_secs(10)));
    assert!(s.wait_stopped(Duration::from_secs(10)));
}

#[test]
fn time_and_lastsave() {
    let mut p = Pair::new();
    p.check_all(&["TIME x", "LASTSAVE x"]);
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let t = cmd(&mut p.ferrite, &["TIME"]);
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let parts = strings(&t);
    assert_eq!(parts.len(), 2);
    let secs: u64 = parts[0].parse().unwrap();
    let micros: u32 = parts[1].parse().unwrap();
    assert!(micros < 1_000_000);
    let at = Duration::from_secs(secs) + Duration::from_micros(u64::from(micros));
    assert!(at + Duration::from_millis(1) >= before && at <= after + Duration::from_millis(1));
    let Frame::Integer(last) = cmd(&mut p.ferrite, &["LASTSAVE"]) else {
        panic!()
    };
    assert!(last as u64 <= after.as_secs() && last as u64 + 120 >= before.as_secs());
}

#[test]
fn debug_matches_redis() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--enable-debug-command", "yes"],
        &["--enable-debug-command", "yes"],
    );
    p.check_all(&[
        "DEBUG",
        "DEBUG nosuch",
        "DEBUG sleep",
        "DEBUG SLEEP 0",
        "DEBUG SLEEP abc",
        "DEBUG SLEEP -1",
        "DEBUG SLEEP 0.01",
        "DEBUG SLEEP 1e-2",
        "DEBUG SLEEP 0 x",
        "DEBUG SET-ACTIVE-EXPIRE",
        "DEBUG set-active-expire 1 2",
        "DEBUG SET-ACTIVE-EXPIRE 1",
        "DEBUG LOG hello",
        "DEBUG HELP x",
        "DEBUG PROTOCOL nosuch",
    ]);
    let types = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "FALSE",
    ];
    for t in types {
        p.check(&["DEBUG", "PROTOCOL", t]);
    }
    hello(&mut p, "3");
    for t in types {
        if t == "push" {
            // A push frame, then the reply.
            p.check_raw(
                b"*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n",
                Duration::from_millis(300),
            );
        } else {
            p.check(&["DEBUG", "PROTOCOL", t]);
        }
    }
}

#[test]
fn debug_sleep_stops_the_whole_server() {
    let s = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut sleeper = s.client();
    let mut others: Vec<RawClient> = (0..3).map(|_| s.client()).collect();
    for c in &mut others {
        assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    }
    let sent = Instant::now();
    sleeper.send(&[b"DEBUG", b"SLEEP", b"1"]);
    std::thread::sleep(Duration::from_millis(100));
    for c in &mut others {
        c.send(&[b"PING"]);
    }
    for c in &mut others {
        assert_eq!(c.read_reply(), b"+PONG\r\n");
    }
    // Whatever thread serves them, they wait for the sleep to end.
    assert!(
        sent.elapsed() >= Duration::from_millis(900),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(sleeper.read_reply(), b"+OK\r\n");
}

#[test]
fn debug_set_active_expire_stops_background_expiry() {
    let s = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    for i in 0..30 {
        c.cmd_str(&["SET", &format!("k{i}"), "v", "PX", "10"]);
    }
    std::thread::sleep(Duration::from_millis(400));
    // Nobody touched them and the background cycle is off: still counted.
    assert_eq!(c.cmd_str(&["DBSIZE"]), b":30\r\n");
    assert_eq!(c.cmd_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), b"+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.cmd_str(&["DBSIZE"]) != b":0\r\n" {
        assert!(Instant::now() < deadline, "active expiry did not resume");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn instantaneous_ops_per_sec_follows_the_load() {
    let s = TestServer::start();
    let mut c = s.client();
    let until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < until {
        for i in 0..50 {
            c.cmd_str(&["SET", &format!("k{i}"), "v"]);
        }
    }
    let body = text(&cmd(&mut c, &["INFO", "stats"]));
    let ops: u64 = body
        .split("\r\n")
        .find_map(|l| l.strip_prefix("instantaneous_ops_per_sec:"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(ops > 100, "{ops}");
}

#[test]
fn total_commands_processed_counts_like_redis() {
    let mut p = Pair::new();
    let count = |c: &mut RawClient| -> u64 {
        text(&cmd(c, &["INFO", "stats"]))
            .split("\r\n")
            .find_map(|l| l.strip_prefix("total_commands_processed:"))
            .unwrap()
            .parse()
            .unwrap()
    };
    let (f0, r0) = (count(&mut p.ferrite), count(&mut p.redis));
    p.check_all(&[
        "SET a 1",
        "GET a",
        "PING",
        "DBSIZE",
        "GET nosuch",
        "MSET x 1 y 2 z 3",
        "SET a b",
        "INCR a",
        "NOSUCH",
        "GET",
        "ECHO x",
        "CONFIG GET hz",
    ]);
    let (f1, r1) = (count(&mut p.ferrite), count(&mut p.redis));
    // Both count the first INFO, every executed command (errors included),
    // and not the rejected ones (unknown command, wrong arity).
    assert_eq!(f1 - f0, r1 - r0);
    p.check(&["CONFIG", "RESETSTAT"]);
    assert_eq!(count(&mut p.ferrite), count(&mut p.redis));
}

#[test]
fn pipelined_config_set_applies_in_order() {
    let mut p = Pair::new();
    let mut raw = Vec::new();
    let mut push = |args: &[&str]| {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        let mut b = bytes::BytesMut::new();
        ferrite_protocol::encode_request(&a, &mut b);
        raw.extend_from_slice(&b);
    };
    // Keys on every shard, before and after the change, in one pipeline.
    for i in 0..6 {
        push(&["SETRANGE", &format!("before{i}"), "1500000", "x"]);
    }
    push(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    for i in 0..6 {
        push(&["SETRANGE", &format!("after{i}"), "1500000", "x"]);
    }
    push(&["CONFIG", "SET", "proto-max-bulk-len", "512mb"]);
    p.check_raw(&raw, Duration::from_millis(500));
}
