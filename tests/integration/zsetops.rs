//! The sorted-set algebra (ZUNION, ZINTER, ZDIFF, their STORE forms,
//! ZINTERCARD) against the real Redis, byte for byte: every option, sets
//! and sorted sets mixed as inputs, missing and repeated keys, WRONGTYPE,
//! every argument error, infinities and NaN-producing weights, the order
//! floating-point sums are taken in, the encoding of stored results across
//! the `zset-max-listpack-*` limits, RESP3, keys on different shards, the
//! command metadata, and a seeded random walk over inputs and options.

use ferrite_testkit::{flat_elements, key_on_shard, one_key_per_shard, show, Pair};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn every_option_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD a 1 x 2 y 3 z",
        "ZADD b 10 y 20 w 3 z",
        "SADD s y q z",
        "SADD i 3 1 2",
        "ZADD n 1 1 2 2 5 5",
        // Plain forms, sets and sorted sets mixed.
        "ZUNION 2 a b",
        "ZUNION 2 a b WITHSCORES",
        "ZUNION 3 a b s withscores",
        "ZUNION 1 s WITHSCORES",
        "ZUNION 2 i n WITHSCORES",
        "ZINTER 2 a b WITHSCORES",
        "ZINTER 3 a b s WITHSCORES",
        "ZINTER 2 s a",
        "ZINTER 2 i n WITHSCORES",
        "ZDIFF 2 a b WITHSCORES",
        "ZDIFF 2 b a WITHSCORES",
        "ZDIFF 2 s a WITHSCORES",
        "ZDIFF 2 a s WITHSCORES",
        "ZDIFF 1 a",
        "ZDIFF 3 n i nokey WITHSCORES",
        "ZINTERCARD 2 a b",
        "ZINTERCARD 3 a b s",
        "ZINTERCARD 2 i n",
        "ZINTERCARD 2 a b LIMIT 1",
        "ZINTERCARD 2 a b limit 0",
        "ZINTERCARD 2 a b LIMIT 100",
        "ZINTERCARD 1 a LIMIT 1 LIMIT 0",
        // Missing keys.
        "ZUNION 2 nokey a WITHSCORES",
        "ZUNION 1 nokey",
        "ZUNION 1 nokey WITHSCORES",
        "ZINTER 2 a nokey",
        "ZINTER 1 nokey WITHSCORES",
        "ZDIFF 2 nokey a",
        "ZDIFF 2 a nokey WITHSCORES",
        "ZINTERCARD 2 a nokey",
        // Repeated keys.
        "ZUNION 2 a a WITHSCORES",
        "ZUNION 3 a a s WITHSCORES",
        "ZINTER 2 a a WITHSCORES",
        "ZINTER 2 s s WITHSCORES",
        "ZDIFF 2 a a",
        "ZINTERCARD 2 a a",
        // WEIGHTS.
        "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES",
        "ZUNION 2 a b weights 1.5 -1 WITHSCORES",
        "ZUNION 2 a s WEIGHTS 0 0 WITHSCORES",
        "ZINTER 2 a b WEIGHTS -1 0.25 WITHSCORES",
        "ZUNION 2 a b WEIGHTS 1 2 WEIGHTS 3 4 WITHSCORES",
        "ZUNION 1 a WEIGHTS 0x10 WITHSCORES",
        "ZUNION 1 a WEIGHTS 1e-310 WITHSCORES",
        "ZUNION 1 a WEIGHTS 4.9e-324 WITHSCORES",
        "ZUNION 1 a WEIGHTS -0 WITHSCORES",
        "ZUNION 1 a WEIGHTS +5 WITHSCORES",
        "ZUNION 1 a WEIGHTS .5 WITHSCORES",
        "ZUNION 1 a WEIGHTS 1e308 WITHSCORES",
        "ZUNION 1 a WEIGHTS Infinity WITHSCORES",
        // AGGREGATE, ties included.
        "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
        "ZUNION 2 a b AGGREGATE max WITHSCORES",
        "ZUNION 2 a b aggregate Sum WITHSCORES",
        "ZINTER 2 a b AGGREGATE MIN WITHSCORES",
        "ZINTER 2 a b AGGREGATE MAX WITHSCORES",
        "ZINTER 3 a b s AGGREGATE MAX WITHSCORES",
        "ZINTER 2 a s AGGREGATE MIN WITHSCORES",
        "ZUNION 2 a b AGGREGATE SUM AGGREGATE MIN WITHSCORES",
        "ZADD t1 5 m 5 n 7 o",
        "ZADD t2 5 n 5 m 1 o",
        "ZUNION 2 t1 t2 AGGREGATE MIN WITHSCORES",
        "ZUNION 2 t1 t2 AGGREGATE MAX WITHSCORES",
        "ZINTER 2 t1 t2 AGGREGATE MAX WITHSCORES",
        "ZUNION 2 t1 t2 WEIGHTS 1 -1 WITHSCORES",
        "ZUNION 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES",
        "ZINTER 2 a b AGGREGATE MIN WEIGHTS 1 -1 WITHSCORES",
        // Options in any order, WITHSCORES repeated, keywords in any case.
        "ZUNION 2 a b WITHSCORES WEIGHTS 1 2",
        "ZUNION 2 a b withscores withscores",
        "zunion 2 a b WiThScOrEs AgGrEgAtE mIn",
        // Equal scores sort by member bytes.
        "ZADD e 1 b 1 a 1 c 1 ab 1 ''",
        "ZUNION 2 e s WITHSCORES",
        "ZINTER 2 e e",
        "ZADD bin 1 \u{ff} 1 \u{7f}",
        "ZUNION 2 bin e",
    ]);
}

#[test]
fn argument_errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD a 1 x",
        "SET str v",
        "RPUSH list v",
        // Arity.
        "ZUNION",
        "ZUNION 1",
        "ZINTER 1",
        "ZDIFF 1",
        "ZINTERCARD 1",
        "ZUNIONSTORE d 1",
        "ZINTERSTORE d",
        "ZDIFFSTORE d 1",
        // numkeys.
        "ZUNION 0 a",
        "ZUNION -1 a",
        "ZUNION x a",
        "ZUNION 1.5 a",
        "ZUNION '' a",
        "ZUNION 9999999999999999999 a",
        "ZUNION -9223372036854775808 a",
        "ZUNION 2 a",
        "ZUNION 2147483648 a",
        "ZUNION 9223372036854775807 a",
        "ZINTER 0 a",
        "ZINTER 3 a b",
        "ZDIFF 0 a",
        "ZDIFF x a",
        "ZDIFF 5 a",
        "ZINTERCARD 0 a",
        "ZINTERCARD -5 a",
        "ZINTERCARD x a",
        "ZINTERCARD 2 a",
        "ZUNIONSTORE d 0 a",
        "ZUNIONSTORE d x a",
        "ZUNIONSTORE d 2 a",
        "ZINTERSTORE d -1 a",
        "ZINTERSTORE d 4 a b",
        "ZDIFFSTORE d 0 a",
        "ZDIFFSTORE d 3 a b",
        "ZDIFFSTORE d x a",
        "ZUNION 0 str",
        "ZUNION 3 str a",
        // WEIGHTS.
        "ZUNION 1 a WEIGHTS",
        "ZUNION 2 a a WEIGHTS 1",
        "ZUNION 1 a WEIGHTS 1 2",
        "ZUNION 1 a WEIGHTS x",
        "ZUNION 1 a WEIGHTS nan",
        "ZUNION 1 a WEIGHTS NaN",
        "ZUNION 1 a WEIGHTS 1e400",
        "ZUNION 1 a WEIGHTS -1e400",
        "ZUNION 1 a WEIGHTS 1e-400",
        "ZUNION 1 a WEIGHTS ''",
        "ZUNION 2 a a WEIGHTS 1 x",
        "ZUNION 2 a a WEIGHTS x 1 AGGREGATE foo",
        "ZINTER 1 a WEIGHTS abc",
        "ZUNIONSTORE d 1 a WEIGHTS x",
        "ZINTERSTORE d 2 a a WEIGHTS 1",
        // AGGREGATE.
        "ZUNION 1 a AGGREGATE",
        "ZUNION 1 a AGGREGATE avg",
        "ZUNION 1 a AGGREGATE sum min",
        "ZINTER 1 a AGGREGATE ''",
        "ZUNIONSTORE d 1 a AGGREGATE",
        "ZINTERSTORE d 1 a AGGREGATE mean",
        // Options where the command does not take them.
        "ZUNION 1 a foo",
        "ZUNION 1 a LIMIT 1",
        "ZDIFF 1 a WEIGHTS 1",
        "ZDIFF 1 a AGGREGATE SUM",
        "ZDIFF 1 a WITHSCORES x",
        "ZUNIONSTORE d 1 a WITHSCORES",
        "ZINTERSTORE d 1 a WITHSCORES",
        "ZDIFFSTORE d 1 a WITHSCORES",
        "ZDIFFSTORE d 1 a WEIGHTS 1",
        "ZINTERCARD 1 a WITHSCORES",
        "ZINTERCARD 1 a WEIGHTS 1",
        "ZINTERCARD 1 a AGGREGATE SUM",
        // LIMIT.
        "ZINTERCARD 1 a LIMIT",
        "ZINTERCARD 1 a LIMIT -1",
        "ZINTERCARD 1 a LIMIT x",
        "ZINTERCARD 1 a LIMIT 1.5",
        "ZINTERCARD 1 a LIMIT 99999999999999999999",
        "ZINTERCARD 1 a LIMIT 9223372036854775807",
        "ZINTERCARD 1 a LIMIT 1 foo",
        // WRONGTYPE, found before any option is read.
        "ZUNION 1 str",
        "ZUNION 2 a list",
        "ZUNION 2 nokey str WEIGHTS x",
        "ZUNION 2 str a foo",
        "ZINTER 2 nokey str",
        "ZINTER 2 a str WITHSCORES",
        "ZDIFF 2 nokey str",
        "ZDIFF 2 a list",
        "ZINTERCARD 2 nokey str",
        "ZINTERCARD 2 str a LIMIT -1",
        "ZUNIONSTORE d 2 a str",
        "ZINTERSTORE d 2 nokey list",
        "ZDIFFSTORE d 2 nokey str",
        "EXISTS d",
    ]);
    // A failed store leaves the destination alone.
    p.check_all(&[
        "ZADD d 1 keep",
        "ZUNIONSTORE d 2 a str",
        "ZINTERSTORE d 1 a WEIGHTS x",
        "ZDIFFSTORE d 1 a foo",
        "ZRANGE d 0 -1 WITHSCORES",
    ]);
    // Embedded NULs: keywords are compared as C strings, numbers refused.
    p.check_bytes(&[b"ZUNION", b"1", b"a", b"WITHSCORES\0x"]);
    p.check_bytes(&[b"ZUNION", b"1", b"a", b"AGGREGATE", b"min\0x"]);
    p.check_bytes(&[b"ZUNION", b"1", b"a", b"WEIGHTS", b"1\0"]);
    p.check_bytes(&[b"ZUNION", b"1\0", b"a"]);
    p.check_bytes(&[b"ZINTERCARD", b"1", b"a", b"LIMIT", b"1\0"]);
}

#[test]
fn infinities_nan_and_float_formatting_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD a inf x 1 y 2 z -inf v",
        "ZADD b -inf x 3 y inf v",
        "ZUNION 2 a b WITHSCORES",
        "ZINTER 2 a b WITHSCORES",
        "ZUNION 2 a b WEIGHTS 0 1 WITHSCORES",
        "ZUNION 2 a b WEIGHTS 0 0 WITHSCORES",
        "ZUNION 2 a b WEIGHTS inf 1 WITHSCORES",
        "ZUNION 2 a b WEIGHTS -inf -inf WITHSCORES",
        "ZINTER 2 a b WEIGHTS 0 1 WITHSCORES",
        "ZINTER 2 a b WEIGHTS 1 0 WITHSCORES",
        "ZINTER 2 a b WEIGHTS 1 0 AGGREGATE MIN WITHSCORES",
        "ZINTER 2 a b WEIGHTS 1 0 AGGREGATE MAX WITHSCORES",
        "ZINTER 2 a b WEIGHTS 0 1 AGGREGATE MIN WITHSCORES",
        "ZINTER 2 a b WEIGHTS 0 1 AGGREGATE MAX WITHSCORES",
        "ZINTER 2 a b AGGREGATE MIN WITHSCORES",
        "ZINTER 2 a b AGGREGATE MAX WITHSCORES",
        "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
        "ZUNION 2 a b AGGREGATE MAX WEIGHTS 0 0 WITHSCORES",
        "ZUNION 1 a WEIGHTS inf WITHSCORES",
        "ZUNION 1 a WEIGHTS -inf WITHSCORES",
        "ZUNION 1 a WEIGHTS 0 WITHSCORES",
        "ZUNION 1 a WEIGHTS -0 WITHSCORES",
        "ZINTER 2 a a WEIGHTS 1 -1 WITHSCORES",
        "ZINTER 2 a a WEIGHTS 0 1 AGGREGATE MAX WITHSCORES",
        "ZDIFF 2 a b WITHSCORES",
        "ZUNIONSTORE d 2 a b",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZINTERSTORE d 2 a b WEIGHTS 1 0 AGGREGATE MIN",
        "ZRANGE d 0 -1 WITHSCORES",
        // -0: kept by a reply, turned into 0 by packing a stored result.
        "ZADD z 1 m 2 n",
        "ZUNION 1 z WEIGHTS -0 WITHSCORES",
        "ZUNIONSTORE d 1 z WEIGHTS -0",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZSCORE d m",
        "CONFIG SET zset-max-listpack-entries 1",
        "ZUNIONSTORE d 1 z WEIGHTS -0",
        "OBJECT ENCODING d",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZSCORE d m",
        "CONFIG SET zset-max-listpack-entries 128",
        // Float formatting and rounding.
        "ZADD f1 0.1 x 1e-5 y 1e20 w 123456789.123 v",
        "ZADD f2 0.2 x 3e-5 y 1e20 w 0.000001 v",
        "ZUNION 2 f1 f2 WITHSCORES",
        "ZUNION 2 f1 f2 WEIGHTS 3 0.1 WITHSCORES",
        "ZINTER 2 f1 f2 AGGREGATE MAX WITHSCORES",
        "ZADD big 1.7976931348623157e308 x",
        "ZUNION 2 big big WITHSCORES",
        "ZUNION 1 big WEIGHTS -2 WITHSCORES",
        "ZUNION 1 big WEIGHTS 1e-320 WITHSCORES",
    ]);
    // Sums are taken from the smallest input to the largest, equal sizes
    // in the given order.
    p.check_all(&[
        "ZADD p1 0.1 x",
        "ZADD p2 0.2 x",
        "ZADD p3 0.3 x",
        "ZADD q3 0.3 x 1 y 1 z",
        "ZADD q2 0.2 x 1 y",
        "SADD s1 x",
        "ZUNION 3 p1 p2 p3 WITHSCORES",
        "ZUNION 3 p3 p2 p1 WITHSCORES",
        "ZUNION 3 q3 p2 p1 WITHSCORES",
        "ZUNION 3 q3 q2 p1 WITHSCORES",
        "ZUNION 4 q3 nokey p2 p1 WITHSCORES",
        "ZINTER 3 p1 p2 p3 WITHSCORES",
        "ZINTER 3 p3 p2 p1 WITHSCORES",
        "ZINTER 3 q3 p2 p1 WITHSCORES",
        "ZINTER 3 q3 q2 p1 WITHSCORES",
        "ZINTER 3 p3 p2 p1 WEIGHTS 1 1 1 WITHSCORES",
        "ZUNION 3 q3 p2 p1 WEIGHTS 3 2 1 WITHSCORES",
        "ZUNION 4 p3 p2 p1 s1 WEIGHTS 1 1 1 -0.4 WITHSCORES",
        "ZINTER 4 p3 s1 p2 p1 WEIGHTS 1 -0.4 1 1 WITHSCORES",
        "ZUNIONSTORE d 3 q3 p2 p1",
        "ZSCORE d x",
    ]);
}

#[test]
fn store_forms_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD a 1 x 2 y 3 z",
        "ZADD b 10 y 20 w",
        "SADD s y q",
        "SADD ints 1 2 3",
        "ZUNIONSTORE d 2 a b",
        "ZRANGE d 0 -1 WITHSCORES",
        "OBJECT ENCODING d",
        "TYPE d",
        "ZINTERSTORE d 2 a b WEIGHTS 2 3 AGGREGATE MAX",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZDIFFSTORE d 2 a b",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZUNIONSTORE d 2 a s",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZINTERSTORE d 2 s a",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZDIFFSTORE d 2 s a",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZUNIONSTORE d 1 ints",
        "ZRANGE d 0 -1 WITHSCORES",
        "OBJECT ENCODING d",
        // Empty results delete the destination.
        "ZINTERSTORE d 2 a nokey",
        "EXISTS d",
        "ZDIFFSTORE d 2 a a",
        "ZUNIONSTORE d 1 nokey",
        "EXISTS d",
        // Whatever the destination held, and its TTL, go.
        "SET d v",
        "EXPIRE d 100",
        "ZUNIONSTORE d 1 a",
        "TYPE d",
        "TTL d",
        "RPUSH l v",
        "ZDIFFSTORE l 1 nokey",
        "EXISTS l",
        "SET str v",
        "ZINTERSTORE str 2 a b",
        "TYPE str",
        // The destination may be an input.
        "ZUNIONSTORE a 2 a b",
        "ZRANGE a 0 -1 WITHSCORES",
        "ZINTERSTORE a 2 a a",
        "ZRANGE a 0 -1 WITHSCORES",
        "ZDIFFSTORE b 2 b a",
        "EXISTS b",
        "ZUNIONSTORE s 1 s WEIGHTS 5",
        "TYPE s",
        "ZRANGE s 0 -1 WITHSCORES",
    ]);
}

#[test]
fn stored_encodings_follow_the_limits_like_redis() {
    let mut p = Pair::new();
    let mut zadd = vec!["ZADD".to_owned(), "big".to_owned()];
    for i in 0..200 {
        zadd.push(i.to_string());
        zadd.push(format!("m{i:03}"));
    }
    p.check_strings(&zadd);
    let long = "x".repeat(65);
    p.check(&["ZADD", "long", "1", &long, "2", "short"]);
    p.check(&["ZADD", "small", "1", "m000", "2", "m001"]);
    for (entries, value) in [
        ("128", "64"),
        ("2", "64"),
        ("1", "64"),
        ("0", "64"),
        ("128", "4"),
        ("128", "3"),
        ("128", "0"),
        ("300", "65"),
        ("199", "64"),
        ("200", "64"),
    ] {
        p.check(&["CONFIG", "SET", "zset-max-listpack-entries", entries]);
        p.check(&["CONFIG", "SET", "zset-max-listpack-value", value]);
        for cmd in [
            &["ZUNIONSTORE", "d", "1", "small"][..],
            &["ZUNIONSTORE", "d", "2", "big", "small"],
            &["ZINTERSTORE", "d", "2", "big", "small"],
            &["ZDIFFSTORE", "d", "2", "big", "small"],
            &["ZDIFFSTORE", "d", "2", "small", "big"],
            &["ZUNIONSTORE", "d", "1", "long"],
            &["ZINTERSTORE", "d", "2", "long", "long"],
            &["ZDIFFSTORE", "d", "2", "long", "small"],
        ] {
            p.check(cmd);
            p.check(&["OBJECT", "ENCODING", "d"]);
            p.check(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]);
        }
    }
    // A big input that is packed (the limits were raised): ZINTER and
    // ZDIFF against it still agree with Redis.
    p.check(&["CONFIG", "SET", "zset-max-listpack-entries", "5000"]);
    let mut zadd = vec!["ZADD".to_owned(), "packed".to_owned()];
    for i in 0..3000 {
        zadd.push((i % 7).to_string());
        zadd.push(format!("m{i:03}"));
    }
    p.check_strings(&zadd);
    p.check(&["OBJECT", "ENCODING", "packed"]);
    for cmd in [
        &["ZINTER", "2", "big", "packed", "WITHSCORES"][..],
        &["ZINTERCARD", "2", "packed", "big"],
        &["ZDIFF", "2", "big", "packed"],
        &["ZDIFFSTORE", "d", "2", "packed", "big"],
        &["OBJECT", "ENCODING", "d"],
        &["ZCARD", "d"],
    ] {
        p.check(cmd);
    }
}

#[test]
fn dirty_and_keyspace_counters_match_redis() {
    let mut p = Pair::new();
    p.check_all(&["ZADD a 1 x", "SET str v"]);
    p.check_counters(&[
        "ZUNION 2 a nokey",
        "ZINTER 3 a a nokey WITHSCORES",
        "ZDIFF 2 nokey a",
        "ZINTERCARD 2 a nokey",
        "ZUNION 2 a str",
        "ZUNION 1 a foo",
        "ZUNIONSTORE d 2 a nokey",
        "ZUNIONSTORE d 2 a nokey",
        "ZINTERSTORE d 2 a nokey",
        "ZINTERSTORE d 2 a nokey",
        "ZDIFFSTORE d 1 a WEIGHTS 1",
        "ZDIFFSTORE d 2 a str",
        "ZUNIONSTORE str 1 a",
    ]);
}

#[test]
fn resp3_forms_match_redis() {
    let mut p = Pair::new();
    p.hello3();
    p.check_all(&[
        "ZADD a 1 x 2.5 y inf z",
        "ZADD b 3 y",
        "SADD s x q",
        "ZUNION 2 a b",
        "ZUNION 2 a b WITHSCORES",
        "ZUNION 3 a b s WITHSCORES",
        "ZUNION 1 nokey WITHSCORES",
        "ZINTER 2 a b WITHSCORES",
        "ZINTER 2 a nokey WITHSCORES",
        "ZINTER 2 a s",
        "ZDIFF 2 a b WITHSCORES",
        "ZDIFF 1 s WITHSCORES",
        "ZDIFF 1 nokey",
        "ZINTERCARD 2 a b",
        "ZUNIONSTORE d 2 a b",
        "ZINTERSTORE d 2 a nokey",
        "ZDIFFSTORE d 1 a",
        "ZUNION 1 a WEIGHTS -0 WITHSCORES",
        "ZUNION 0 a",
        "ZUNION 2 a str",
    ]);
}

#[test]
fn keys_on_different_shards_match_redis() {
    let mut p = Pair::new();
    let [a, b, c] = one_key_per_shard("zo");
    let (a, b, c) = (a.as_str(), b.as_str(), c.as_str());
    let d = key_on_shard("zdst", 1, 3);
    let d = d.as_str();
    p.check(&["ZADD", a, "1", "x", "2", "y", "3", "z"]);
    p.check(&["ZADD", b, "5", "y", "6", "z", "7", "w"]);
    p.check(&["SADD", c, "z", "w", "q"]);
    for args in [
        &["ZUNION", "3", a, b, c, "WITHSCORES"][..],
        &["ZINTER", "3", a, b, c, "WITHSCORES"],
        &[
            "ZINTER",
            "2",
            a,
            b,
            "WEIGHTS",
            "2",
            "3",
            "AGGREGATE",
            "MIN",
            "WITHSCORES",
        ],
        &["ZDIFF", "3", a, b, c, "WITHSCORES"],
        &["ZDIFF", "2", c, a],
        &["ZINTERCARD", "3", a, b, c],
        &["ZINTERCARD", "2", b, c, "LIMIT", "1"],
        &["ZUNIONSTORE", d, "3", a, b, c],
        &["ZRANGE", d, "0", "-1", "WITHSCORES"],
        &["ZINTERSTORE", d, "2", a, b, "AGGREGATE", "MAX"],
        &["ZRANGE", d, "0", "-1", "WITHSCORES"],
        &["ZDIFFSTORE", d, "2", b, a],
        &["ZRANGE", d, "0", "-1", "WITHSCORES"],
        &["OBJECT", "ENCODING", d],
        // The destination as an input, on another shard than the others.
        &["ZUNIONSTORE", d, "3", d, a, c],
        &["ZRANGE", d, "0", "-1", "WITHSCORES"],
        &["ZINTERSTORE", d, "2", a, "nokey"],
        &["EXISTS", d],
        // The destination on the shard of one input, overwriting it.
        &["ZUNIONSTORE", a, "2", b, c],
        &["ZRANGE", a, "0", "-1", "WITHSCORES"],
        &["SET", d, "v"],
        &["ZUNION", "2", a, d],
        &["ZINTERSTORE", d, "2", a, b],
        &["TYPE", d],
    ] {
        p.check(args);
    }
}

#[test]
fn command_metadata_matches_redis() {
    let mut p = Pair::new();
    for name in [
        "zunion",
        "zinter",
        "zdiff",
        "zunionstore",
        "zinterstore",
        "zdiffstore",
        "zintercard",
    ] {
        let (f, r) = p.both_bytes(&[b"COMMAND", b"INFO", name.as_bytes()]);
        let (f_row, r_row) = (flat_elements(&f), flat_elements(&r));
        assert_eq!(f_row.len(), 1, "{name}: {}", show(&f));
        let (f_fields, r_fields) = (flat_elements(&f_row[0]), flat_elements(&r_row[0]));
        // Name, arity, flags, first/last/step, ACL categories, tips; the
        // key specs are derived by the runtime and not byte-exact.
        assert_eq!(
            f_fields[..8].iter().map(|x| show(x)).collect::<Vec<_>>(),
            r_fields[..8].iter().map(|x| show(x)).collect::<Vec<_>>(),
            "COMMAND INFO {name}"
        );
    }
    p.check_all(&[
        "COMMAND GETKEYS zunion 2 a b WEIGHTS 1 2",
        "COMMAND GETKEYS zinter 1 a WITHSCORES",
        "COMMAND GETKEYS zdiff 3 a b c",
        "COMMAND GETKEYS zintercard 2 a b LIMIT 1",
        "COMMAND GETKEYS zunionstore d 2 a b WEIGHTS 1 2",
        "COMMAND GETKEYS zinterstore d 1 a",
        "COMMAND GETKEYS zdiffstore d 3 a b c",
        "COMMAND GETKEYS zunion 0 a",
        "COMMAND GETKEYS zunion 3 a b",
        "COMMAND GETKEYS zunionstore d 0 a",
        "COMMAND GETKEYS zunionstore d -1 a",
        "COMMAND GETKEYS zunionstore d 2 a",
        "COMMAND GETKEYS zintercard 0 a",
        "COMMAND GETKEYS zunionstore d",
    ]);
}

/// A random score as ZADD takes it.
fn random_score(rng: &mut StdRng) -> String {
    const SPECIAL: &[&str] = &[
        "0", "-0", "1", "-1", "0.1", "0.2", "0.3", "1e-5", "3.5", "inf", "-inf", "1e308", "-2.5",
        "100",
    ];
    if rng.random_bool(0.6) {
        SPECIAL[rng.random_range(0..SPECIAL.len())].to_owned()
    } else {
        format!("{}", rng.random_range(-1000..1000) as f64 / 8.0)
    }
}

fn random_weight(rng: &mut StdRng) -> String {
    const WEIGHTS: &[&str] = &[
        "1", "2", "0", "-1", "0.5", "0.1", "inf", "-inf", "-0", "3.3", "1e308",
    ];
    WEIGHTS[rng.random_range(0..WEIGHTS.len())].to_owned()
}

#[test]
fn random_inputs_and_options_match_redis() {
    let mut p = Pair::new();
    let mut rng = StdRng::seed_from_u64(0x25e7);
    let keys: Vec<String> = (0..6).map(|i| key_on_shard("rz", i % 3, 3)).collect();
    let dests = [key_on_shard("rd", 0, 3), key_on_shard("rd", 2, 3)];
    for round in 0..40 {
        // New inputs every few rounds: sorted sets, sets (integers or
        // not), or nothing; members from a small pool so that they meet.
        if round % 4 == 0 {
            for k in &keys {
                p.check(&["DEL", k]);
                match rng.random_range(0..5) {
                    0 => {}
                    1 => {
                        let mut args = vec!["SADD".to_owned(), k.clone()];
                        let int = rng.random_bool(0.5);
                        for _ in 0..rng.random_range(1..12) {
                            let n = rng.random_range(0..20);
                            args.push(if int { n.to_string() } else { format!("m{n}") });
                        }
                        p.check_strings(&args);
                    }
                    _ => {
                        let mut args = vec!["ZADD".to_owned(), k.clone()];
                        let size = if rng.random_bool(0.2) { 150 } else { 12 };
                        for _ in 0..rng.random_range(1..size) {
                            args.push(random_score(&mut rng));
                            let n = rng.random_range(0..size + 8);
                            args.push(if n % 5 == 0 {
                                n.to_string()
                            } else {
                                format!("m{n}")
                            });
                        }
                        p.check_strings(&args);
                    }
                }
            }
        }
        for _ in 0..12 {
            let numkeys = rng.random_range(1..5);
            let chosen: Vec<String> = (0..numkeys)
                .map(|_| keys[rng.random_range(0..keys.len())].clone())
                .collect();
            let op = ["ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"][rng.random_range(0..4)];
            let store = op != "ZINTERCARD" && rng.random_bool(0.3);
            let dest = dests[rng.random_range(0..2)].clone();
            let mut args = vec![];
            if store {
                args.push(format!("{op}STORE"));
                args.push(dest.clone());
            } else {
                args.push(op.to_owned());
            }
            args.push(numkeys.to_string());
            args.extend(chosen);
            if op == "ZUNION" || op == "ZINTER" {
                if rng.random_bool(0.5) {
                    args.push("WEIGHTS".to_owned());
                    args.extend((0..numkeys).map(|_| random_weight(&mut rng)));
                }
                if rng.random_bool(0.5) {
                    args.push("AGGREGATE".to_owned());
                    args.push(["SUM", "MIN", "MAX"][rng.random_range(0..3)].to_owned());
                }
            }
            if op == "ZINTERCARD" && rng.random_bool(0.5) {
                args.push("LIMIT".to_owned());
                args.push(rng.random_range(0..6).to_string());
            }
            if !store && op != "ZINTERCARD" && rng.random_bool(0.7) {
                args.push("WITHSCORES".to_owned());
            }
            p.check_strings(&args);
            if store {
                p.check(&["ZRANGE", &dest, "0", "-1", "WITHSCORES"]);
                p.check(&["OBJECT", "ENCODING", &dest]);
            }
        }
    }
}
