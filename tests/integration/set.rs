//! The set group against the real Redis: every command with its errors and
//! edge cases, byte for byte; the `intset`/`hashtable` encodings across the
//! limit (also lowered by CONFIG SET); RESP3 forms; multi-key commands with
//! keys on different shards; and, where Redis's reply is random or its
//! order unspecified, the shape and content of both servers' replies.

use std::collections::BTreeSet;

use ferrite_testkit::{
    bulk_payload as payload, bulk_strings as strings, flat_elements, key_on_shard, show, Pair,
};

/// `SADD key <prefix>0 ... <prefix>{n-1}` on both servers.
fn fill(p: &mut Pair, key: &str, prefix: &str, n: usize) {
    let mut args = vec!["SADD".to_owned(), key.to_owned()];
    args.extend((0..n).map(|i| format!("{prefix}{i}")));
    p.check_strings(&args);
}

#[test]
fn basics_arity_and_edge_cases_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SADD s",
        "SADD s 3 1 2 1",
        "SMEMBERS s",
        "OBJECT ENCODING s",
        "SADD s 2",
        "SCARD s",
        "SCARD nokey",
        "SCARD",
        "SCARD s x",
        "SISMEMBER s 2",
        "SISMEMBER s 02",
        "SISMEMBER s x",
        "SISMEMBER nokey 1",
        "SISMEMBER s",
        "SMISMEMBER s 1 x 3 3",
        "SMISMEMBER nokey 1",
        "SMISMEMBER s",
        "SMEMBERS nokey",
        "SMEMBERS",
        "SREM s",
        "SREM s 1 1 zz",
        "SREM nokey 1",
        "SMEMBERS s",
        "SREM s 2 3",
        "EXISTS s",
        "SADD e ''",
        "SISMEMBER e ''",
        "SMEMBERS e",
        "OBJECT ENCODING e",
        "TYPE e",
        "SADD n -5 0 -9223372036854775808 9223372036854775807 10",
        "SMEMBERS n",
        "OBJECT ENCODING n",
        "SISMEMBER n -0",
        "SISMEMBER n 010",
        "SISMEMBER n 9223372036854775808",
        "SREM n -0 +10",
        "SCARD n",
    ]);
    p.check_bytes(&[b"SADD", b"bin", b"a\0b\r\n", b"\xff", b"\0"]);
    p.check_bytes(&[b"SISMEMBER", b"bin", b"a\0b\r\n"]);
    p.check_bytes(&[b"SREM", b"bin", b"\0", b"a\0b"]);
    p.check_unordered(&["SMEMBERS", "bin"]);
    // Keyspace commands on sets.
    p.check_all(&[
        "SADD k 1 2",
        "EXPIRE k 100",
        "SADD k 3",
        "TTL k",
        "SREM k 1",
        "TTL k",
        "RENAME k k2",
        "SMEMBERS k2",
        "COPY k2 k3",
        "SADD k3 x",
        "SMEMBERS k2",
        "OBJECT ENCODING k3",
        "OBJECT ENCODING k2",
        "SUNIONSTORE k2 k2",
        "TTL k2",
    ]);
}

#[test]
fn wrong_types_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET str x",
        "SADD set 1",
        "SADD str 1",
        "SREM str 1",
        "SCARD str",
        "SISMEMBER str 1",
        "SMISMEMBER str 1",
        "SMEMBERS str",
        "SRANDMEMBER str",
        "SRANDMEMBER str 3",
        "SRANDMEMBER str x",
        "SRANDMEMBER str 1 2",
        "SPOP str",
        "SPOP str 0",
        "SPOP str -1",
        "SPOP str 1 2",
        "SMOVE str set 1",
        "SMOVE set str 1",
        "SMOVE set str 9",
        "SMOVE nokey str 9",
        "SMOVE str str 1",
        "SINTER nokey str",
        "SINTER str nokey",
        "SINTERCARD 2 nokey str",
        "SINTERSTORE d set str",
        "SINTERSTORE d nokey str",
        "SUNION set str",
        "SUNIONSTORE d str",
        "SDIFF nokey str",
        "SDIFF set str",
        "SDIFFSTORE d set str",
        "SSCAN str 0",
        "SSCAN str x",
        "GET set",
        "INCR set",
        "HSET set f v",
        "LPUSH set a",
        "SUNIONSTORE str set",
        "TYPE str",
        "SMEMBERS str",
    ]);
}

#[test]
fn encodings_across_the_limit_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SADD a 1 -5 007",
        "OBJECT ENCODING a",
        "SADD b 1 -0",
        "OBJECT ENCODING b",
        "SADD c 9223372036854775807 -9223372036854775808",
        "OBJECT ENCODING c",
        "SADD d 9223372036854775808",
        "OBJECT ENCODING d",
        "SADD f +1",
        "OBJECT ENCODING f",
        "SADD g x 1",
        "SREM g x",
        "OBJECT ENCODING g",
        "SMEMBERS g",
    ]);
    // 512 integers stay an intset, 513 convert, and never back.
    fill(&mut p, "i512", "", 512);
    p.check(&["OBJECT", "ENCODING", "i512"]);
    p.check(&["SMEMBERS", "i512"]);
    p.check(&["SADD", "i512", "512"]);
    p.check(&["OBJECT", "ENCODING", "i512"]);
    p.check(&["SREM", "i512", "512", "0", "1"]);
    p.check(&["OBJECT", "ENCODING", "i512"]);
    fill(&mut p, "i513", "", 513);
    p.check(&["OBJECT", "ENCODING", "i513"]);
    p.check_unordered(&["SMEMBERS", "i513"]);
    // A lowered limit.
    p.check_all(&[
        "SADD old 1 2 3",
        "CONFIG SET set-max-intset-entries 2",
        "OBJECT ENCODING old",
        "SADD old 2",
        "OBJECT ENCODING old",
        "SREM old 3",
        "OBJECT ENCODING old",
        "SADD old 4",
        "OBJECT ENCODING old",
        "SADD h 1 2",
        "OBJECT ENCODING h",
        "SADD h 3",
        "OBJECT ENCODING h",
        "SREM h 3 2",
        "OBJECT ENCODING h",
        "SADD i 1 2 3",
        "OBJECT ENCODING i",
        "SADD x 1 2 3 a",
        "SADD y 1 2",
        "SADD z 2 3",
        "SINTERSTORE d1 x y",
        "OBJECT ENCODING d1",
        "SUNIONSTORE d2 y z",
        "OBJECT ENCODING d2",
        "SUNIONSTORE d3 y y",
        "OBJECT ENCODING d3",
        "SDIFFSTORE d4 x a",
        "OBJECT ENCODING d4",
        "SDIFFSTORE d5 x z",
        "OBJECT ENCODING d5",
        "SMOVE y new 1",
        "OBJECT ENCODING new",
        "SMOVE x new2 a",
        "OBJECT ENCODING new2",
        "CONFIG SET set-max-intset-entries 0",
        "SADD zero 1",
        "OBJECT ENCODING zero",
        "CONFIG SET set-max-intset-entries 512",
    ]);
    // Store results are built like an intset: all integers stay one.
    p.check_all(&[
        "SADD p 1 2 3 a",
        "SADD q 1 2 3",
        "SINTERSTORE r1 p q",
        "OBJECT ENCODING r1",
        "SINTERSTORE r2 p p",
        "OBJECT ENCODING r2",
        "SDIFFSTORE r3 p nokey",
        "OBJECT ENCODING r3",
        "SREM p a",
        "SDIFFSTORE r4 p nokey",
        "OBJECT ENCODING r4",
        "SMEMBERS r4",
    ]);
}

#[test]
fn algebra_matches_redis_across_shards() {
    let mut p = Pair::new();
    let k: Vec<String> = (0..3).map(|s| key_on_shard("set", s, 3)).collect();
    let (a, b, c) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    let d = key_on_shard("dst", 1, 3);
    p.check(&["SADD", a, "1", "2", "3", "4", "5"]);
    p.check(&["SADD", b, "4", "5", "6", "2"]);
    p.check(&["SADD", c, "5", "2", "x", "y"]);
    for args in [
        vec!["SINTER", a, b],
        vec!["SINTER", a],
        vec!["SINTER", a, a],
        vec!["SINTER", a, "nokey"],
        vec!["SUNION", a, b],
        vec!["SUNION", a, "nokey"],
        vec!["SDIFF", a, b],
        vec!["SDIFF", b, a],
        vec!["SDIFF", "nokey", a],
        vec!["SDIFF", a, a],
        vec!["SDIFF", a, "nokey", b],
        vec!["SINTERCARD", "2", a, b],
        vec!["SINTERCARD", "3", a, b, c],
        vec!["SINTERCARD", "3", a, b, c, "LIMIT", "1"],
        vec!["SINTERCARD", "2", a, b, "LIMIT", "0"],
        vec!["SINTERCARD", "2", a, b, "limit", "99"],
        vec!["SINTERCARD", "2", a, "nokey"],
        vec!["SINTERCARD", "1", a, "LIMIT", "1", "LIMIT", "3"],
        vec!["SINTERSTORE", &d, a, b],
        vec!["SMEMBERS", &d],
        vec!["OBJECT", "ENCODING", &d],
        vec!["SUNIONSTORE", &d, a, b],
        vec!["SMEMBERS", &d],
        vec!["SDIFFSTORE", &d, a, b],
        vec!["SMEMBERS", &d],
        vec!["SINTERSTORE", &d, a, "nokey"],
        vec!["EXISTS", &d],
        vec!["SDIFFSTORE", &d, a, a],
        vec!["SUNIONSTORE", &d],
        vec!["SINTERSTORE", &d],
        vec!["SINTER"],
    ] {
        p.check(&args);
    }
    // Sets with non-integer members: compare unordered.
    for args in [
        vec!["SINTER", a, c],
        vec!["SUNION", a, b, c],
        vec!["SDIFF", c, a],
        vec!["SINTERSTORE", &d, c, c],
        vec!["SMEMBERS", &d],
        vec!["SUNIONSTORE", &d, a, c],
        vec!["SMEMBERS", &d],
        vec!["SDIFFSTORE", &d, c, b],
        vec!["SMEMBERS", &d],
    ] {
        p.check_unordered(&args);
    }
    p.check(&["OBJECT", "ENCODING", &d]);
    // The destination may be one of the sources, and a TTL is dropped.
    p.check(&["EXPIRE", &d, "100"]);
    p.check(&["SUNIONSTORE", &d, &d, a]);
    p.check(&["TTL", &d]);
    p.check_unordered(&["SMEMBERS", &d]);
    // Large random sets.
    let mut rng_state = 12345u64;
    let mut next = move || {
        rng_state = rng_state.wrapping_mul(6364136223846793005).wrapping_add(1);
        rng_state >> 33
    };
    for key in [a, b, c] {
        let mut args = vec!["SADD".to_owned(), key.to_owned()];
        for _ in 0..300 {
            let n = next() % 400;
            args.push(if n % 3 == 0 {
                format!("m{n}")
            } else {
                n.to_string()
            });
        }
        p.check_strings(&args);
    }
    for args in [
        vec!["SINTER", a, b, c],
        vec!["SUNION", a, b, c],
        vec!["SDIFF", a, b, c],
        vec!["SMEMBERS", a],
    ] {
        p.check_unordered(&args);
    }
    p.check(&["SINTERCARD", "3", a, b, c]);
    p.check(&["SINTERSTORE", &d, a, b, c]);
    p.check(&["SUNIONSTORE", &d, a, b, c]);
    p.check(&["SDIFFSTORE", &d, a, b, c]);
    p.check_unordered(&["SMEMBERS", &d]);
    // SMOVE between shards.
    let e = key_on_shard("mv", 2, 3);
    for args in [
        vec!["SMOVE", a, &e, "m3"],
        vec!["SMOVE", a, &e, "nonmember"],
        vec!["SMOVE", &e, &e, "m3"],
        vec!["SMOVE", &e, &e, "zz"],
        vec!["SMEMBERS", &e],
        vec!["SMOVE", &e, a, "m3"],
        vec!["EXISTS", &e],
        vec!["SMOVE", "nokey", a, "m3"],
        vec!["SMOVE", a, b],
    ] {
        p.check(&args);
    }
}

#[test]
fn sintercard_arguments_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SADD s 1 2 3",
        "SINTERCARD 0 s",
        "SINTERCARD -1 s",
        "SINTERCARD x s",
        "SINTERCARD 2 s",
        "SINTERCARD 9223372036854775807 s",
        "SINTERCARD 1 s LIMIT",
        "SINTERCARD 1 s LIMIT -1",
        "SINTERCARD 1 s LIMIT x",
        "SINTERCARD 1 s foo 1",
        "SINTERCARD 1 s LIMIT 1 LIMIT 2",
        "SINTERCARD 1 s LIMIT 0",
        "SINTERCARD 1 nokey LIMIT -1",
        "SINTERCARD 1 s LIMIT 2",
        "SINTERCARD 1 s LIMIT 9223372036854775807",
        "SINTERCARD 1 s LIMIT 9223372036854775808",
        "SINTERCARD 1 nokey",
        "SINTERCARD 1",
        "SINTERCARD",
    ]);
}

#[test]
fn smove_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SADD a 1 2",
        "SMOVE a a 1",
        "SMOVE a a 9",
        "SMOVE a b 9",
        "SMOVE a b 1",
        "SMEMBERS a",
        "SMEMBERS b",
        "SADD c 2",
        "SMOVE a c 2",
        "EXISTS a",
        "SMEMBERS c",
        "SADD w x",
        "SMOVE b w 1",
        "OBJECT ENCODING w",
        "SMOVE w b x",
        "OBJECT ENCODING b",
        "SMOVE a",
        "SMOVE a b c d",
    ]);
}

#[test]
fn random_commands_match_redis_by_shape() {
    let mut p = Pair::new();
    p.check_all(&[
        "SRANDMEMBER nokey",
        "SRANDMEMBER nokey 5",
        "SRANDMEMBER nokey 0",
        "SRANDMEMBER nokey -5",
        "SRANDMEMBER nokey x",
        "SRANDMEMBER nokey 1 2",
        "SRANDMEMBER nokey 1.5",
        "SRANDMEMBER nokey -9223372036854775808",
        "SRANDMEMBER nokey -9223372036854775807",
        "SRANDMEMBER nokey 9223372036854775808",
        "SPOP nokey",
        "SPOP nokey 3",
        "SPOP nokey 0",
        "SPOP nokey -1",
        "SPOP nokey x",
        "SPOP nokey 1 2",
        "SPOP nokey 9223372036854775808",
        "SADD one a",
        "SRANDMEMBER one",
        "SRANDMEMBER one 0",
        "SRANDMEMBER one 3",
        "SRANDMEMBER one -3",
        "SRANDMEMBER one -9223372036854775808",
        "SRANDMEMBER one 9223372036854775807",
        "SADD ints 5 -1 3 10 7",
        "SRANDMEMBER ints 5",
        "SRANDMEMBER ints 100",
        "SPOP ints 0",
        "SPOP one",
        "EXISTS one",
        "SPOP one",
        "SADD two 9 1",
        "SPOP two 2",
        "EXISTS two",
    ]);
    fill(&mut p, "small", "", 20);
    fill(&mut p, "large", "m", 700);
    for (key, size, prefix) in [("small", 20usize, ""), ("large", 700, "m")] {
        let members: BTreeSet<Vec<u8>> = (0..size)
            .map(|i| format!("{prefix}{i}").into_bytes())
            .collect();
        let k = key.as_bytes();
        for _ in 0..5 {
            let (f, r) = p.both_bytes(&[b"SRANDMEMBER", k]);
            for one in [f, r] {
                assert!(members.contains(&payload(&one)), "{}", show(&one));
            }
            let (f, r) = p.both_bytes(&[b"SRANDMEMBER", k, b"7"]);
            for reply in [f, r] {
                let s = strings(&reply);
                assert_eq!(s.len(), 7);
                assert_eq!(s.iter().collect::<BTreeSet<_>>().len(), 7);
                assert!(s.iter().all(|x| members.contains(x)));
            }
            let (f, r) = p.both_bytes(&[b"SRANDMEMBER", k, b"-1000"]);
            for reply in [f, r] {
                let s = strings(&reply);
                assert_eq!(s.len(), 1000);
                assert!(s.iter().all(|x| members.contains(x)));
                if size == 20 {
                    assert!(s.iter().collect::<BTreeSet<_>>().len() > 10, "spread");
                }
            }
        }
        let n = size.to_string();
        let all = p.check_unordered(&["SRANDMEMBER", key, &n]);
        assert_eq!(all.len(), size);
        // Pops: distinct members, gone afterwards, same sizes on both.
        let mut popped = BTreeSet::new();
        for count in [&b"3"[..], b"1"] {
            let (f, r) = p.both_bytes(&[b"SPOP", k, count]);
            let (fs, rs) = (strings(&f), strings(&r));
            assert_eq!(fs.len(), rs.len());
            for m in fs {
                assert!(members.contains(&m));
                assert!(popped.insert(m));
            }
        }
        let (f, r) = p.both_bytes(&[b"SPOP", k]);
        assert!(members.contains(&payload(&f)) && members.contains(&payload(&r)));
        assert!(popped.insert(payload(&f)));
        p.check(&["SCARD", key]);
        p.check(&["OBJECT", "ENCODING", key]);
        for m in &popped {
            assert_eq!(p.ferrite.cmd(&[b"SISMEMBER", k, m]), b":0\r\n");
        }
        let (f, r) = p.both_bytes(&[b"SPOP", k, b"100000"]);
        assert_eq!(strings(&f).len(), size - 5);
        assert_eq!(strings(&r).len(), size - 5);
        p.check(&["EXISTS", key]);
    }
    // An intset with more members than popped keeps its encoding.
    fill(&mut p, "keep", "", 50);
    let (f, r) = p.both_bytes(&[b"SPOP", b"keep", b"45"]);
    assert_eq!((strings(&f).len(), strings(&r).len()), (45, 45));
    p.check(&["OBJECT", "ENCODING", "keep"]);
    p.check(&["SCARD", "keep"]);
}

#[test]
fn resp3_forms_match_redis() {
    let mut p = Pair::new();
    p.hello3();
    p.check_all(&[
        "SADD s 3 1 2",
        "SADD t 2 3 4",
        "SMEMBERS s",
        "SMEMBERS nokey",
        "SINTER s t",
        "SINTER nokey s",
        "SUNION s t",
        "SUNION nokey",
        "SDIFF s t",
        "SDIFF nokey",
        "SMISMEMBER s 1 9",
        "SISMEMBER s 1",
        "SRANDMEMBER s 5",
        "SRANDMEMBER nokey 5",
        "SRANDMEMBER s 0",
        "SRANDMEMBER nokey",
        "SPOP nokey 2",
        "SPOP nokey",
        "SPOP s 0",
        "SSCAN nokey 0",
        "SSCAN s 0",
        "SINTERCARD 2 s t",
        "SPOP t 5",
    ]);
    let (f, r) = p.both_bytes(&[b"SPOP", b"s", b"1"]);
    assert!(f.starts_with(b"~1\r\n") && r.starts_with(b"~1\r\n"));
    p.check(&["SADD", "w", "a", "b"]);
    p.check_unordered(&["SMEMBERS", "w"]);
    let (f, r) = p.both_bytes(&[b"SMEMBERS", b"w"]);
    assert!(f.starts_with(b"~2\r\n") && r.starts_with(b"~2\r\n"));
}

/// Runs a full SSCAN on one server, returning the union of all pages and
/// the number of calls.
fn full_scan(
    c: &mut ferrite_testkit::RawClient,
    key: &str,
    opts: &[&str],
) -> (BTreeSet<Vec<u8>>, usize) {
    let mut seen = BTreeSet::new();
    let mut cursor = b"0".to_vec();
    let mut calls = 0;
    loop {
        let mut args: Vec<&[u8]> = vec![b"SSCAN", key.as_bytes(), &cursor];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        let reply = c.cmd(&args);
        let parts = flat_elements(&reply);
        assert_eq!(parts.len(), 2, "{}", show(&reply));
        seen.extend(strings(&parts[1]));
        calls += 1;
        assert!(calls < 10_000, "scan does not end");
        let next = payload(&parts[0]);
        if next == b"0" {
            return (seen, calls);
        }
        cursor = next;
    }
}

#[test]
fn sscan_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SSCAN nokey 0",
        "SSCAN nokey x",
        "SSCAN nokey 0 junk",
        "SSCAN nokey 0 COUNT 0",
        "SADD i 12 3 1 -4",
        "SSCAN i 0",
        "SSCAN i 5 COUNT 1",
        "SSCAN i -1",
        "SSCAN i ''",
        "SSCAN i 0 MATCH 1*",
        "SSCAN i 0 MATCH *",
        "SSCAN i 0 COUNT 0",
        "SSCAN i 0 COUNT -1",
        "SSCAN i 0 COUNT x",
        "SSCAN i 0 TYPE set",
        "SSCAN i 0 MATCH",
        "SSCAN i 0 COUNT y TYPE x",
        "SSCAN i 0 TYPE x COUNT y",
        "SSCAN i 0 junk",
        "SSCAN i x",
        "SSCAN i 18446744073709551616",
        "SSCAN i",
    ]);
    fill(&mut p, "t", "m", 1000);
    let want: BTreeSet<Vec<u8>> = (0..1000).map(|i| format!("m{i}").into_bytes()).collect();
    for opts in [&[][..], &["COUNT", "37"], &["COUNT", "1000000"]] {
        let (f, f_calls) = full_scan(&mut p.ferrite, "t", opts);
        let (r, _) = full_scan(&mut p.redis, "t", opts);
        assert_eq!(f, want, "{opts:?}");
        assert_eq!(r, want, "{opts:?}");
        if opts.is_empty() {
            assert!(f_calls > 1, "a table scans in pages");
        }
    }
    let matching: BTreeSet<Vec<u8>> = want
        .iter()
        .filter(|k| k.starts_with(b"m1") && k.len() == 3)
        .cloned()
        .collect();
    let (f, _) = full_scan(&mut p.ferrite, "t", &["MATCH", "m1?", "COUNT", "50"]);
    let (r, _) = full_scan(&mut p.redis, "t", &["MATCH", "m1?", "COUNT", "50"]);
    assert_eq!(f, matching);
    assert_eq!(r, matching);
}

/// SRANDMEMBER with a negative count repeats picks without bound in Redis;
/// Ferrite refuses a reply that must exceed proto-max-bulk-len instead of
/// building it (Ferrite-only behaviour, so no oracle here).
#[test]
fn srandmember_refuses_a_reply_beyond_proto_max_bulk_len() {
    let server = ferrite_testkit::TestServer::start();
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["SADD", "s", "a", "b"]), b":2\r\n");
    let too_large = b"-ERR count is too large: the reply would exceed proto-max-bulk-len\r\n";
    assert_eq!(
        c.cmd_str(&["SRANDMEMBER", "s", "-9223372036854775807"]),
        too_large
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["SRANDMEMBER", "s", "-149797"]), too_large);
    let r = c.cmd_str(&["SRANDMEMBER", "s", "-149796"]);
    assert!(r.starts_with(b"*149796\r\n"), "{}", show(&r[..20]));
    // Only for an existing, non-empty set; positive counts stay allowed.
    assert_eq!(
        c.cmd_str(&["SRANDMEMBER", "nokey", "-9223372036854775807"]),
        b"*0\r\n"
    );
    let r = c.cmd_str(&["SRANDMEMBER", "s", "9223372036854775807"]);
    assert!(r.starts_with(b"*2\r\n"), "{}", show(&r));
}

/// The STORE forms read their sources as reads (keyspace hits and misses
/// counted, as Redis 7.0 does); changes are counted once per stored result.
#[test]
fn dirty_and_keyspace_counters_match_redis() {
    let mut p = Pair::new();
    p.check_all(&["SADD ss a b", "SADD tt b c", "SET str v"]);
    p.check_counters(&[
        "SINTER ss nokey",
        "SINTERSTORE d ss nokey",
        "SINTERSTORE d ss tt",
        "SUNIONSTORE d ss nokey",
        "SDIFFSTORE d ss tt",
        "SDIFFSTORE d nokey ss",
        "SINTERCARD 2 ss tt",
        "SUNIONSTORE d ss str",
        "SMOVE ss tt a",
        "SADD ss a a",
        "SREM ss nope",
        "SPOP nokey",
    ]);
}
