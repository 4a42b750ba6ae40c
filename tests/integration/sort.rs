//! SORT and SORT_RO against the real Redis: every option and their
//! combinations over lists, sets (both encodings) and sorted sets, weights
//! read like C's `strtod`, BY/GET patterns (hash fields, missing keys, keys
//! of other types), LIMIT edge cases, STORE, errors and RESP3; then
//! Ferrite's own part: pattern keys on other shards than the source (the
//! `Pair`'s Ferrite runs 3 shards), keyspace counters, and SORT BY racing
//! cross-shard MSETs, which must always see one generation of weights.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::{bulk_strings, key_on_shard, show, Pair, TestServer};

/// The keyspace counters of INFO stats.
fn keyspace_counters(info: &[u8]) -> (u64, u64) {
    let text = String::from_utf8_lossy(info);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(u64::MAX)
    };
    (field("keyspace_hits:"), field("keyspace_misses:"))
}

#[test]
fn lists_sort_numerically_alphabetically_and_page() {
    let mut p = Pair::new();
    p.check_all(&[
        "RPUSH l 3 1 2 10 -1.5 1e1 0x10 inf -inf 2",
        "SORT l",
        "SORT l ASC",
        "SORT l DESC",
        "SORT l ALPHA",
        "SORT l ALPHA DESC",
        "SORT l DESC ASC",
        "SORT l alpha desc limit 1 3",
        "SORT l LIMIT 0 0",
        "SORT l LIMIT 0 1",
        "SORT l LIMIT -1 2",
        "SORT l LIMIT 2 -1",
        "SORT l LIMIT 9 5",
        "SORT l LIMIT 10 1",
        "SORT l LIMIT 11 1",
        "SORT l LIMIT 1 9223372036854775807",
        "SORT l LIMIT 9223372036854775807 9223372036854775807",
        "SORT l LIMIT -9223372036854775808 -9223372036854775808",
        "SORT l LIMIT 0 1 LIMIT 3 2",
        "SORT missing",
        "SORT missing LIMIT 0 5 DESC ALPHA",
        "SORT_RO l DESC LIMIT 2 3",
        // A non-number among the elements.
        "RPUSH l x",
        "SORT l",
        "SORT l ALPHA",
        "SORT l LIMIT 0 1",
        "SORT_RO l",
    ]);
    // Byte order, NUL bytes and equal numeric weights (broken by the
    // elements' bytes).
    p.check_bytes(&[
        b"RPUSH",
        b"b",
        b"b",
        b"a\x00z",
        b"a\x00b",
        b"a",
        b"\xc3\xa9",
        b"f",
        b"B",
    ]);
    p.check_bytes(&[b"SORT", b"b", b"ALPHA"]);
    p.check_bytes(&[b"SORT", b"b", b"ALPHA", b"DESC"]);
    p.check_all(&[
        "RPUSH n 1.0 1 01 +1 1e0 .1e1 -0 0 +0 0.0",
        "SORT n",
        "SORT n DESC",
        "SORT n ALPHA",
    ]);
}

#[test]
fn weights_read_like_strtod() {
    let mut p = Pair::new();
    for v in [
        " 1",
        "\t2",
        "\n3",
        "\x0b4",
        "\x0c5",
        "\r6",
        "",
        "1.",
        ".5",
        "+7",
        "-.5e1",
        "1E2",
        "0x10",
        "0X1P3",
        "0x1.8p1",
        "-0x1p3",
        "Inf",
        "-INFINITY",
        "0e-999999",
        "00001",
        "1e0010",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "0x1.fffffffffffffp1023",
        "0x.8p-1073",
    ] {
        p.check(&["DEL", "t"]);
        p.check(&["RPUSH", "t", v, "0", "3.5"]);
        p.check(&["SORT", "t"]);
    }
    p.check_bytes(&[b"RPUSH", b"z", b"1\x00garbage", b"\x009", b"-1"]);
    p.check_bytes(&[b"SORT", b"z"]);
    for v in [
        "a", "1 ", " ", "nan", "-nan", "NaN(1)", "infinit", "0x", "0xg", "1e", "1e+", "+", "-",
        ".", "1_0", "1..2", "0x1.2.3",
    ] {
        p.check(&["DEL", "t"]);
        p.check(&["RPUSH", "t", v, "0"]);
        p.check(&["SORT", "t"]);
    }
    // Out of range. Redis never clears errno before strtod, so after one of
    // these it may refuse good numbers for a while: they come last.
    for v in [
        "1e400",
        "-1e400",
        "1e-400",
        "1e-310",
        "2e-324",
        "1.8e308",
        "1.7976931348623159e308",
        "0x1p1024",
        "0x1.ffffffffffffffp1023",
        "0x.8p-1074",
        "0x1.8p-1074",
    ] {
        p.check(&["DEL", "t"]);
        p.check(&["RPUSH", "t", v, "0"]);
        p.check(&["SORT", "t"]);
    }
}

#[test]
fn by_and_get_patterns_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "RPUSH l c a b d e",
        "MSET w_a 2 w_b 1 w_c 2 w_e x",
        "HSET h_a f 9 g z",
        "HSET h_b f 3 g y",
        "HSET h_c f 3.5",
        "SET s_a sa",
        "SET s_b 12",
        // BY: numeric (a missing key weighs 0; w_e is not a number).
        "SORT l BY w_*",
        "SORT l BY w_* LIMIT 0 2",
        "DEL w_e",
        "SORT l BY w_*",
        "SORT l BY w_* DESC",
        "SORT l BY w_* LIMIT 1 2",
        "SORT l BY w_* DESC LIMIT 1 2",
        // ALPHA BY: a missing key sorts first, ties keep the list's order.
        "SORT l BY w_* ALPHA",
        "SORT l BY w_* ALPHA DESC",
        "SORT l BY h_*->g ALPHA",
        // Hash fields; a string key under a field pattern weighs nothing.
        "SORT l BY h_*->f",
        "SORT l BY h_*->f DESC",
        "SORT l BY s_*->f",
        "SORT l BY h_*",
        // GET: the element, strings, hash fields, missing keys or fields,
        // keys of other types, patterns without `*`.
        "SORT l BY w_* GET # GET w_* GET h_*->f GET s_*",
        "SORT l ALPHA GET h_*->g GET h_*->nofield GET h_* GET s_*->f",
        "SORT l ALPHA GET nostar GET ## GET h_*->",
        "SORT l ALPHA GET # LIMIT 1 2 GET w_*",
        "SORT l ALPHA GET w_*_* GET ->* GET *",
        "SET a 1",
        "SET b b",
        "SORT l ALPHA GET *",
        "SORT l BY * GET *",
        // A BY pattern without `*` keeps the list's order, and so do later
        // BY patterns with one.
        "SORT l BY nosort",
        "SORT l BY nosort DESC",
        "SORT l BY nosort LIMIT 1 2",
        "SORT l BY nosort DESC LIMIT 1 2",
        "SORT l BY nosort LIMIT 4 9",
        "SORT l BY nosort LIMIT 5 1",
        "SORT l BY nosort ALPHA DESC GET w_*",
        "SORT l BY nosort BY w_*",
        "SORT l BY w_* BY nosort",
        "SORT l BY w_* BY h_*->f",
        "SORT_RO l BY w_* GET # GET h_*->f",
    ]);
    // Patterns cut at a NUL byte, fields holding one.
    p.check_bytes(&[b"HSET", b"h_a", b"f\x00g", b"nul"]);
    p.check_bytes(&[
        b"SORT",
        b"l",
        b"ALPHA",
        b"GET",
        b"h_*->f\x00g",
        b"GET",
        b"w\x00*",
    ]);
    p.check_bytes(&[b"SORT", b"l", b"BY", b"w\x00*"]);
    // ALPHA weights with NULs: cut there without STORE (strcoll), whole
    // with it.
    p.check_bytes(&[
        b"MSET", b"w_a", b"x\x00z", b"w_b", b"x\x00b", b"w_c", b"x", b"w_d", b"x\x00a",
    ]);
    p.check_bytes(&[b"SORT", b"l", b"BY", b"w_*", b"ALPHA"]);
    p.check_bytes(&[b"SORT", b"l", b"BY", b"w_*", b"ALPHA", b"DESC"]);
    p.check_bytes(&[b"SORT", b"l", b"BY", b"w_*", b"ALPHA", b"STORE", b"d"]);
    p.check_bytes(&[b"LRANGE", b"d", b"0", b"-1"]);
    p.check_bytes(&[
        b"SORT", b"l", b"BY", b"w_*", b"ALPHA", b"DESC", b"STORE", b"d",
    ]);
    p.check_bytes(&[b"LRANGE", b"d", b"0", b"-1"]);
    p.check_bytes(&[b"RPUSH", b"nul", b"a\x00z", b"a\x00b", b"a", b"a\x00a"]);
    p.check_bytes(&[b"SORT", b"nul", b"ALPHA"]);
    p.check_bytes(&[b"SORT", b"nul", b"ALPHA", b"STORE", b"d"]);
    p.check_bytes(&[b"LRANGE", b"d", b"0", b"-1"]);
}

#[test]
fn many_elements_with_weights_on_every_shard() {
    let mut p = Pair::new();
    let n = 600;
    let mut push = vec!["RPUSH".to_owned(), "big".to_owned()];
    let mut mset = vec!["MSET".to_owned()];
    for i in 0..n {
        push.push(format!("e{i}"));
        // Repeated weights, so that ties are broken by the elements.
        mset.push(format!("w_e{i}"));
        mset.push(format!("{}", (i * 7919) % 97));
    }
    p.check(&refs(&push));
    p.check(&refs(&mset));
    for i in (0..n).step_by(3) {
        p.check(&[
            "HSET",
            &format!("o_e{i}"),
            "name",
            &format!("{}", (i * 31) % 50),
        ]);
    }
    p.check(&["SORT", "big", "BY", "w_*", "GET", "#", "GET", "w_*"]);
    p.check(&[
        "SORT",
        "big",
        "BY",
        "w_*",
        "DESC",
        "LIMIT",
        "100",
        "50",
        "GET",
        "o_*->name",
    ]);
    p.check(&["SORT", "big", "BY", "o_*->name", "GET", "#"]);
    p.check(&[
        "SORT",
        "big",
        "BY",
        "o_*->name",
        "ALPHA",
        "DESC",
        "GET",
        "#",
    ]);
    p.check(&["SORT", "big", "BY", "w_*", "STORE", "out"]);
    p.check(&["LRANGE", "out", "0", "-1"]);
    p.check(&["SORT", "big", "ALPHA", "LIMIT", "10", "20"]);
    p.check(&[
        "SORT", "big", "BY", "nosort", "DESC", "LIMIT", "10", "5", "GET", "w_*",
    ]);
}

#[test]
fn sets_sort_and_keep_or_fix_their_order() {
    let mut p = Pair::new();
    p.check_all(&[
        "SADD si 5 3 10 1 -2",
        "SADD ss c a b 10 1.5",
        "OBJECT ENCODING si",
        "OBJECT ENCODING ss",
        "SORT si",
        "SORT si DESC LIMIT 1 2",
        "SORT si ALPHA",
        "SORT ss",
        "SORT ss ALPHA",
        "SORT ss ALPHA DESC LIMIT 0 2",
        "MSET w_a 3 w_b 2 w_c 1 w_10 0 w_1.5 -1",
        "SORT ss BY w_* GET # GET w_*",
        // An intset's iteration order is ascending.
        "SORT si BY nosort",
        "SORT si BY nosort DESC LIMIT 1 3",
        // Stored, a set's order must not depend on the encoding: Redis
        // sorts it ALPHA (bytes) instead.
        "SORT si BY nosort STORE d",
        "LRANGE d 0 -1",
        "SORT ss BY nosort DESC STORE d",
        "LRANGE d 0 -1",
        "SORT ss BY nosort LIMIT 1 2 STORE d",
        "LRANGE d 0 -1",
        "SORT ss BY nosort GET w_* STORE d",
        "LRANGE d 0 -1",
    ]);
    // A table's iteration order is its own.
    p.check_unordered(&["SORT", "ss", "BY", "nosort"]);
    p.check_unordered(&["SORT", "ss", "BY", "nosort", "GET", "#", "GET", "w_*"]);
}

#[test]
fn store_replaces_deletes_and_counts() {
    let mut p = Pair::new();
    p.check_all(&[
        "RPUSH l 3 1 2",
        "SORT l STORE d",
        "LRANGE d 0 -1",
        "OBJECT ENCODING d",
        "TYPE d",
        // Over another type, dropping its TTL.
        "SET str x EX 100",
        "SORT l DESC STORE str",
        "TTL str",
        "LRANGE str 0 -1",
        "SADD st a",
        "SORT l LIMIT 0 1 STORE st",
        "TYPE st",
        // GET values; a missing one is stored as an empty string.
        "SET w_1 one",
        "SORT l GET # GET w_* STORE d",
        "LRANGE d 0 -1",
        // Onto the source itself, and the last STORE wins.
        "SORT l DESC STORE l",
        "LRANGE l 0 -1",
        "SORT l STORE a STORE b",
        "EXISTS a",
        "LRANGE b 0 -1",
        // An empty result deletes the destination.
        "SORT missing STORE d",
        "EXISTS d",
        "SORT l LIMIT 5 5 STORE b",
        "EXISTS b",
        "SORT missing STORE nothing",
        "EXISTS nothing",
        "SET big 0",
    ]);
    // Past one packed node: still a list of the same elements.
    let mut args = vec!["RPUSH".to_owned(), "long".to_owned()];
    args.extend((0..300).map(|i| format!("{}", (i * 7919) % 1000)));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    p.check(&refs);
    p.check_all(&[
        "SORT long STORE d2",
        "LRANGE d2 0 -1",
        "LLEN d2",
        "SORT long ALPHA DESC",
    ]);
}

#[test]
fn sorted_sets_sort_and_keep_their_order() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD z 3 a 1 b 2 c 2 d 0 10",
        "OBJECT ENCODING z",
        "SORT z BY nosort",
        "SORT z BY nosort DESC",
        "SORT z BY nosort LIMIT 1 2",
        "SORT z BY nosort DESC LIMIT 1 2",
        "SORT z BY nosort LIMIT 4 9",
        "SORT z BY nosort DESC LIMIT 5 2",
        // Redis converts a packed sorted set for SORT, for good.
        "OBJECT ENCODING z",
        "ZADD zz 1 x",
        "SORT_RO zz BY nosort",
        "OBJECT ENCODING zz",
        "SORT z",
        "SORT z ALPHA",
        "SORT z ALPHA DESC LIMIT 1 3",
        "MSET w_a 1 w_b 2 w_c 3 w_d 4 w_10 5",
        "SORT z BY w_* DESC GET # GET w_*",
        "SORT z BY nosort STORE d",
        "LRANGE d 0 -1",
        "SORT z BY nosort DESC LIMIT 0 2 GET w_* STORE d",
        "LRANGE d 0 -1",
        "ZADD nums 0 3 0 1 0 2",
        "SORT nums",
        "SORT nums DESC",
    ]);
}

#[test]
fn errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SORT",
        "SORT_RO",
        "RPUSH l 1 2",
        "SET str x",
        "SORT l foo",
        "SORT l LIMIT",
        "SORT l LIMIT 0",
        "SORT l LIMIT a 1",
        "SORT l LIMIT 0 a",
        "SORT l LIMIT 0 1.5",
        "SORT l BY",
        "SORT l GET",
        "SORT l STORE",
        "SORT l ASC foo",
        "SORT_RO l STORE d",
        "SORT_RO l BY w_* STORE d",
        "EXISTS d",
        "SORT str",
        "SORT str ALPHA STORE d",
        "SORT_RO str",
        // Options are read before the key.
        "SORT str foo",
        "SORT str LIMIT 0 x",
        "HSET h f v",
        "SORT h",
        "EXISTS d",
    ]);
}

#[test]
fn resp3_replies_are_arrays_with_nulls() {
    let mut p = Pair::new();
    // HELLO's reply holds the client id, which differs.
    p.hello3();
    p.check_all(&[
        "RPUSH l b a",
        "SET w_a 1",
        "SORT l ALPHA GET # GET w_*",
        "SORT missing",
        "SORT l ALPHA STORE d",
        "SORT l BY nosort",
    ]);
}

#[test]
fn command_getkeys_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "COMMAND GETKEYS SORT k",
        "COMMAND GETKEYS SORT k STORE d",
        "COMMAND GETKEYS SORT k BY w_* GET o_* STORE d LIMIT 0 1 STORE e",
        "COMMAND GETKEYS SORT k LIMIT store x",
        "COMMAND GETKEYS SORT k GET store d",
        "COMMAND GETKEYS SORT k store",
        "COMMAND GETKEYS SORT_RO k STORE d",
        "COMMAND GETKEYS SORT",
    ]);
    let (f, r) = p.both_bytes(&[b"COMMAND", b"INFO", b"sort", b"sort_ro"]);
    // Key specs are derived from the table and differ; the head must not.
    let head = |reply: &[u8]| -> Vec<Vec<u8>> {
        let mut heads = Vec::new();
        for entry in ferrite_testkit::flat_elements(reply) {
            heads.push(
                ferrite_testkit::flat_elements(&entry)
                    .into_iter()
                    .take(8)
                    .flatten()
                    .collect(),
            );
        }
        heads
    };
    assert_eq!(head(&f), head(&r), "{}\n{}", show(&f), show(&r));
}

#[test]
fn pattern_lookups_count_keyspace_hits_and_misses() {
    let mut p = Pair::new();
    let elems: Vec<String> = (0..3).map(|s| key_on_shard("w_e", s, 3)).collect();
    let mut push = vec!["RPUSH", "src"];
    push.extend(elems.iter().map(|k| &k[2..]));
    p.check(&push);
    p.check(&["SET", &elems[0], "5"]);
    p.check(&["HSET", &format!("o_{}", &elems[1][2..]), "f", "v"]);
    p.check(&["CONFIG", "RESETSTAT"]);
    p.check(&[
        "SORT", "src", "BY", "w_*", "GET", "#", "GET", "o_*->f", "GET", "nostar",
    ]);
    p.check(&["SORT", "missing", "BY", "w_*"]);
    p.check(&["SORT", "src", "LIMIT", "0", "1"]);
    let (f, r) = p.both_bytes(&[b"INFO", b"stats"]);
    assert_eq!(keyspace_counters(&f), keyspace_counters(&r), "{}", show(&f));
    assert_ne!(keyspace_counters(&f), (0, 0));
}

/// Elements `e-<n>` whose weight key `w_e-<n>` lands on shard `s`.
fn element_on_shard(s: usize) -> String {
    key_on_shard("w_e", s, 3)["w_".len()..].to_owned()
}

#[test]
fn pattern_keys_on_other_shards_than_the_source() {
    let mut p = Pair::new();
    let src = key_on_shard("src", 0, 3);
    let dst = key_on_shard("dst", 2, 3);
    let elems: Vec<String> = (0..3).map(element_on_shard).collect();
    let mut push = vec!["RPUSH", src.as_str()];
    push.extend(elems.iter().map(String::as_str));
    p.check(&push);
    // Weights against the shard order; objects as hashes.
    for (i, e) in elems.iter().enumerate() {
        p.check(&["SET", &format!("w_{e}"), &format!("{}", 10 - i)]);
        p.check(&["HSET", &format!("o_{e}"), "name", &format!("n{i}")]);
    }
    p.check(&[
        "SORT",
        &src,
        "BY",
        "w_*",
        "GET",
        "#",
        "GET",
        "w_*",
        "GET",
        "o_*->name",
    ]);
    p.check(&["SORT", &src, "BY", "o_*->name", "ALPHA", "DESC"]);
    p.check(&[
        "SORT_RO",
        &src,
        "BY",
        "w_*",
        "LIMIT",
        "1",
        "1",
        "GET",
        "o_*->name",
    ]);
    p.check(&["SORT", &src, "BY", "nosort", "GET", "w_*"]);
    // Stored on a third shard, then over one of the weight keys (declared
    // and looked up at once), which the lookups still read.
    p.check(&["SORT", &src, "BY", "w_*", "GET", "o_*->name", "STORE", &dst]);
    p.check(&["LRANGE", &dst, "0", "-1"]);
    let w0 = format!("w_{}", elems[0]);
    p.check(&["SORT", &src, "BY", "w_*", "GET", "w_*", "STORE", &w0]);
    p.check(&["TYPE", &w0]);
    p.check(&["LRANGE", &w0, "0", "-1"]);
    // w_<e0> is a list now: it weighs 0, and GET finds nothing there.
    p.check(&["SORT", &src, "BY", "w_*", "GET", "#", "GET", "w_*"]);
    // A set and a sorted set as the source, on other shards.
    let set = key_on_shard("set", 1, 3);
    let zset = key_on_shard("zset", 2, 3);
    let mut sadd = vec!["SADD", set.as_str()];
    sadd.extend(elems.iter().map(String::as_str));
    p.check(&sadd);
    p.check(&["SORT", &set, "BY", "o_*->name", "ALPHA", "GET", "o_*->name"]);
    p.check(&[
        "ZADD", &zset, "1", &elems[2], "2", &elems[1], "3", &elems[0],
    ]);
    p.check(&["SORT", &zset, "BY", "nosort", "DESC", "GET", "o_*->name"]);
    p.check(&[
        "SORT",
        &zset,
        "BY",
        "o_*->name",
        "ALPHA",
        "GET",
        "#",
        "STORE",
        &dst,
    ]);
    p.check(&["LRANGE", &dst, "0", "-1"]);
    // Nothing was lost or left behind by the check-outs.
    for e in &elems {
        p.check(&["HGETALL", &format!("o_{e}")]);
    }
    p.check(&["DBSIZE"]);
    // In another database, the lookups read that database.
    p.check(&["SELECT", "3"]);
    p.check(&push);
    p.check(&["SET", &format!("w_{}", elems[1]), "-1"]);
    p.check(&["SORT", &src, "BY", "w_*", "GET", "#", "GET", "w_*"]);
}

/// MSET arguments of generation `g`: element i weighs `g * 100 + rank`,
/// ranks ascending in even generations and descending in odd ones.
fn generation(elems: &[String], g: u64) -> Vec<String> {
    let mut args = vec!["MSET".to_owned()];
    for (i, e) in elems.iter().enumerate() {
        let rank = if g.is_multiple_of(2) {
            i
        } else {
            elems.len() - 1 - i
        };
        args.push(format!("w_{e}"));
        args.push(format!("{}", g * 100 + rank as u64));
    }
    args
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn sort_by_sees_one_generation_of_cross_shard_weights() {
    let server = TestServer::start_with(&["--shards", "3"]);
    let port = server.port;
    // Two weight keys on each shard.
    let elems: Vec<String> = (0..6)
        .map(|i| key_on_shard(&format!("w_e{i}"), i % 3, 3)["w_".len()..].to_owned())
        .collect();
    let mut c = server.client();
    let mut push = vec!["RPUSH".to_owned(), "src".to_owned()];
    push.extend(elems.iter().cloned());
    c.cmd_str(&refs(&push));
    assert_eq!(c.cmd_str(&refs(&generation(&elems, 0))), b"+OK\r\n");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let elems = elems.clone();
        thread::spawn(move || {
            let mut c = ferrite_testkit::RawClient::connect(port);
            let mut g = 1;
            while !stop.load(Ordering::Relaxed) {
                let reply = c.cmd_str(&refs(&generation(&elems, g)));
                assert_eq!(reply, b"+OK\r\n");
                g += 1;
            }
            g
        })
    };
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut sorts = 0;
    let mut seen = std::collections::BTreeSet::new();
    while Instant::now() < deadline {
        let reply = c.cmd_str(&["SORT", "src", "BY", "w_*", "GET", "#", "GET", "w_*"]);
        let items = bulk_strings(&reply);
        assert_eq!(items.len(), elems.len() * 2, "{}", show(&reply));
        let weights: Vec<u64> = items
            .chunks(2)
            .map(|pair| {
                String::from_utf8_lossy(&pair[1])
                    .parse()
                    .unwrap_or(u64::MAX)
            })
            .collect();
        let g = weights[0] / 100;
        assert!(
            weights.iter().all(|w| w / 100 == g),
            "mixed generations: {weights:?}"
        );
        assert!(
            weights.windows(2).all(|w| w[0] < w[1]),
            "unsorted: {weights:?}"
        );
        // The order is that generation's.
        let order: Vec<String> = items
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(&pair[0]).into_owned())
            .collect();
        let mut expected = elems.clone();
        if !g.is_multiple_of(2) {
            expected.reverse();
        }
        assert_eq!(order, expected, "generation {g}");
        seen.insert(g);
        sorts += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(sorts > 10, "too few sorts: {sorts}");
    assert!(written > 10, "too few generations written: {written}");
    assert!(seen.len() > 1, "the sorts saw one generation only");
}

#[test]
fn sort_store_wakes_a_client_blocked_on_the_destination() {
    let server = TestServer::start_with(&["--shards", "3"]);
    let src = key_on_shard("src", 0, 3);
    let dst = key_on_shard("dst", 1, 3);
    let mut waiter = server.client();
    waiter.send(&[b"BLPOP", dst.as_bytes(), b"5"]);
    let mut c = server.client();
    c.cmd_str(&["RPUSH", &src, "2", "1"]);
    // Let the waiter block first.
    thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd_str(&["SORT", &src, "STORE", &dst]), b":2\r\n");
    let reply = waiter.read_reply();
    assert_eq!(
        bulk_strings(&reply),
        vec![dst.as_bytes().to_vec(), b"1".to_vec()]
    );
    assert_eq!(
        bulk_strings(&c.cmd_str(&["LRANGE", &dst, "0", "-1"])),
        vec![b"2".to_vec()]
    );
}
