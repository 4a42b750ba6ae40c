//! The sorted-set group (the algebra is in `zsetops`) against the real
//! Redis: every command with its options and errors, byte for byte; score
//! parsing and printing; the `listpack`/`skiplist` encodings across both
//! limits (also changed by CONFIG SET); RESP3 forms; keys on different
//! shards; a long random run of mixed commands; and, where Redis's reply is
//! random, the shape and content of both servers' replies.

use std::collections::BTreeMap;

use ferrite_testkit::{
    bulk_payload as payload, bulk_strings as strings, flat_elements, key_on_shard, show, Pair,
    RawClient, TestServer,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn zadd_flags_and_errors_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD z 1 a 2 b 3 c",
        "ZADD z 1",
        "ZADD z 1 a 2",
        "ZADD z abc a",
        "ZADD z nan a",
        "ZADD z NaN a 1 b",
        "ZADD z 1 a nan b",
        "ZADD z nx xx 1 a",
        "ZADD z gt lt 1 a",
        "ZADD z gt nx 1 a",
        "ZADD z lt nx 1 a",
        "ZADD z incr 1 a 2 b",
        "ZADD z xx nx gt lt 1 a 2",
        "ZADD z nx",
        "ZADD z ch",
        "ZADD z ch 1",
        "ZADD z NX 10 a 4 d",
        "ZADD z XX 10 a 5 e",
        "ZADD z XX CH 11 a 5 e",
        "ZADD z CH 11 a 12 b 7 f",
        "ZADD z GT 5 a 20 b",
        "ZADD z GT CH 5 a 20 b",
        "ZADD z LT CH 5 a 30 b",
        "ZADD z GT XX CH 100 a 100 zz",
        "ZRANGE z 0 -1 WITHSCORES",
        "ZADD z INCR 1 a",
        "ZADD z INCR NX 1 a",
        "ZADD z INCR XX 1 nosuch",
        "ZADD z INCR GT -5 a",
        "ZADD z INCR LT -5 a",
        "ZADD z INCR LT 5 a",
        "ZADD z incr inf a",
        "ZADD z incr -inf a",
        "ZADD z incr +inf a",
        "ZSCORE z a",
        "ZINCRBY z -inf a",
        "ZINCRBY z abc a",
        "ZINCRBY z 1",
        "ZINCRBY z 2.5 new",
        "ZINCRBY z 1e308 new",
        "ZINCRBY z 1e308 new",
        "ZINCRBY nokey 3 m",
        "ZADD xxkey XX 1 a",
        "EXISTS xxkey",
        "ZADD xxkey XX INCR 1 a",
        "EXISTS xxkey",
        "ZADD z 1 a 1 a 2 a",
        "ZSCORE z a",
        "ZADD z CH 3 a 3 a",
        "ZCARD z",
        "ZADD z 0x10 hex 1e3 exp .5 half -.5 neghalf +7 plus",
        "ZRANGE z 0 -1 WITHSCORES",
        "ZADD z ' 1' sp",
        "ZADD z '1 ' sp",
        "ZADD z '' empty",
        "ZADD z 1e400 big",
        "ZADD z 1e-400 tiny",
        "ZADD z -1e400 big",
    ]);
}

#[test]
fn scores_print_as_redis_prints_them() {
    let mut p = Pair::new();
    for enc in ["128", "0"] {
        p.check(&["CONFIG", "SET", "zset-max-listpack-entries", enc]);
        p.check_all(&[
            "DEL z",
            "ZADD z 0.1 a 1e20 b 3 c -0 d 1.5 e 1e-5 f 123456789012345678 g 0.30000000000000004 h",
            "ZADD z 4611686018427387904 i 4611686018427388928 j -4611686018427387904 k -4611686018427388928 l",
            "ZADD z 1e16 m 1e17 n 9007199254740993 o -1.7976931348623157e308 q 5e-324 r",
            "OBJECT ENCODING z",
            "ZRANGE z 0 -1 WITHSCORES",
            "ZSCORE z d",
            "ZSCORE z a",
            "ZMSCORE z a b c d nosuch",
            "ZINCRBY z 0.2 a",
            "ZINCRBY z -0.3 a",
            "ZADD z -0 zero",
            "ZSCORE z zero",
            "ZINCRBY z -0 zero",
            "ZADD z 0 zero",
            "ZSCORE z zero",
            "ZRANDMEMBER z 100 WITHSCORES",
            "DEL one",
            "ZADD one 123456789012345678 x",
            "ZRANDMEMBER one -2 WITHSCORES",
            "ZRANGEBYSCORE z -0 0 WITHSCORES",
        ]);
        same_zscan(&mut p, &["COUNT", "100"]);
        p.check_all(&["ZPOPMIN z 2", "ZPOPMAX z"]);
    }
}

#[test]
fn reads_by_member_and_counts_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD z 1 a 2 b 2 c 3 d 5 e",
        "ZCARD z",
        "ZCARD nokey",
        "ZCARD",
        "ZSCORE z c",
        "ZSCORE z x",
        "ZSCORE nokey x",
        "ZMSCORE z",
        "ZMSCORE nokey a b",
        "ZMSCORE z e x a",
        "ZRANK z a",
        "ZRANK z c",
        "ZRANK z x",
        "ZRANK nokey a",
        "ZRANK z c WITHSCORE",
        "ZREVRANK z a",
        "ZREVRANK z e",
        "ZREVRANK z x",
        "ZCOUNT z -inf +inf",
        "ZCOUNT z (1 (5",
        "ZCOUNT z 2 2",
        "ZCOUNT z (2 2",
        "ZCOUNT z 5 1",
        "ZCOUNT z x 1",
        "ZCOUNT z 1 nan",
        "ZCOUNT z ( (",
        "ZCOUNT z '( 2' 3",
        "ZCOUNT z ' 2' 3",
        "ZCOUNT nokey 0 1",
        "ZCOUNT nokey x 1",
        "ZLEXCOUNT z - +",
        "ZLEXCOUNT z + -",
        "ZLEXCOUNT z (a [e",
        "ZLEXCOUNT z [b [b",
        "ZLEXCOUNT z a b",
        "ZLEXCOUNT z - x",
        "ZLEXCOUNT z -x +",
        "ZLEXCOUNT nokey - +",
        "ZLEXCOUNT nokey a b",
        "ZREM z",
        "ZREM z x",
        "ZREM z a a b x",
        "ZREM nokey a",
        "ZREM z c d e",
        "EXISTS z",
    ]);
    // Binary members, NULs included, and an empty member.
    p.check_bytes(&[
        b"ZADD", b"bin", b"1", b"a\0b", b"1", b"a", b"1", b"\xff", b"2", b"",
    ]);
    p.check_bytes(&[b"ZRANGE", b"bin", b"0", b"-1", b"WITHSCORES"]);
    p.check_bytes(&[b"ZRANGEBYLEX", b"bin", b"[a\0", b"+"]);
    p.check_bytes(&[b"ZLEXCOUNT", b"bin", b"(a", b"[a\0b"]);
    p.check_bytes(&[b"ZSCORE", b"bin", b""]);
}

#[test]
fn wrong_types_match_redis() {
    let mut p = Pair::new();
    p.check_all(&["SET s x", "RPUSH l a", "ZADD z 1 a"]);
    for k in ["s", "l"] {
        for cmd in [
            "ZADD {} 1 a",
            "ZADD {} XX 1 a",
            "ZINCRBY {} 1 a",
            "ZREM {} a",
            "ZCARD {}",
            "ZSCORE {} a",
            "ZMSCORE {} a",
            "ZRANK {} a",
            "ZREVRANK {} a",
            "ZCOUNT {} 0 1",
            "ZCOUNT {} x 1",
            "ZLEXCOUNT {} - +",
            "ZRANGE {} 0 -1",
            "ZRANGE {} x 1",
            "ZRANGEBYSCORE {} 0 1",
            "ZREVRANGEBYLEX {} + -",
            "ZRANGESTORE d {} 0 -1",
            "ZREMRANGEBYRANK {} 0 1",
            "ZREMRANGEBYSCORE {} 0 1",
            "ZREMRANGEBYLEX {} - +",
            "ZPOPMIN {}",
            "ZPOPMIN {} 0",
            "ZPOPMAX {} -1",
            "ZMPOP 2 nokey {} MIN",
            "BZPOPMIN nokey {} 0",
            "BZMPOP 0 1 {} MAX",
            "ZRANDMEMBER {}",
            "ZRANDMEMBER {} 0",
            "ZRANDMEMBER {} 1 WITHSCORES",
            "ZSCAN {} 0",
        ] {
            p.check_all(&[&cmd.replace("{}", k)]);
        }
    }
    // A sorted set is not a set, a list or a string.
    p.check_all(&[
        "SADD z x",
        "LPUSH z x",
        "GET z",
        "SMEMBERS z",
        "TYPE z",
        "ZRANGESTORE s z 0 -1",
        "TYPE s",
    ]);
}

#[test]
fn every_range_form_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 5 g 7 h",
        "ZRANGE z 0 -1",
        "ZRANGE z 0 -1 WITHSCORES",
        "ZRANGE z 2 4 withscores",
        "ZRANGE z -3 -1",
        "ZRANGE z -100 100",
        "ZRANGE z 5 2",
        "ZRANGE z 100 200",
        "ZRANGE z 0 -1 REV",
        "ZRANGE z 0 2 REV WITHSCORES",
        "ZRANGE z -2 -1 rev",
        "ZRANGE z (1 5 BYSCORE",
        "ZRANGE z 1 (5 BYSCORE WITHSCORES",
        "ZRANGE z -inf +inf BYSCORE LIMIT 1 3",
        "ZRANGE z -inf +inf BYSCORE LIMIT 1 -1",
        "ZRANGE z -inf +inf BYSCORE LIMIT -1 5",
        "ZRANGE z -inf +inf BYSCORE LIMIT 1 0",
        "ZRANGE z -inf +inf BYSCORE LIMIT 100 5",
        "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 3 WITHSCORES",
        "ZRANGE z 5 1 BYSCORE REV",
        "ZRANGE z 1 5 BYSCORE REV",
        "ZRANGE z [b (f BYLEX",
        "ZRANGE z - + BYLEX LIMIT 2 3",
        "ZRANGE z + - BYLEX REV LIMIT 0 2",
        "ZRANGE z (g - BYLEX REV",
        "ZRANGE z - + BYLEX WITHSCORES",
        "ZRANGE z 0 -1 BYLEX",
        "ZRANGE z a b BYSCORE",
        "ZRANGE z 0 -1 LIMIT 1 1",
        "ZRANGE z 0 -1 LIMIT 0 -1",
        "ZRANGE z 0 -1 LIMIT 3 -1",
        "ZRANGE z 0 -1 LIMIT 1",
        "ZRANGE z 0 1 LIMIT x 1",
        "ZRANGE z 0 1 BYSCORE LIMIT 0 x",
        "ZRANGE z 0 -1 BYSCORE BYLEX",
        "ZRANGE z 0 -1 BYSCORE BYSCORE",
        "ZRANGE z 0 -1 REV REV",
        "ZRANGE z 0 -1 WITHSCORES WITHSCORES",
        "ZRANGE z 0 -1 LIMIT 0 1 LIMIT 0 2 BYSCORE",
        "ZRANGE z a b",
        "ZRANGE z 0 -1 foo",
        "ZRANGE nokey 0 -1",
        "ZRANGE nokey a b",
        "ZRANGE nokey 0 -1 BYLEX",
        "ZREVRANGE z 0 2 WITHSCORES",
        "ZREVRANGE z 0 2 REV",
        "ZREVRANGE z 0 2 BYSCORE",
        "ZREVRANGE z 0 2 LIMIT 0 1",
        "ZREVRANGE z 0 1 withscores x",
        "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 0 2",
        "ZRANGEBYSCORE z -inf +inf LIMIT 0",
        "ZRANGEBYSCORE z -inf +inf withscore",
        "ZRANGEBYSCORE z (5 +inf",
        "ZRANGEBYSCORE z 5 5",
        "ZRANGEBYSCORE z 0 -1 BYSCORE",
        "ZRANGEBYSCORE z 0 10 REV",
        "ZREVRANGEBYSCORE z +inf -inf LIMIT 1 1 WITHSCORES",
        "ZREVRANGEBYSCORE z 5 (2",
        "ZREVRANGEBYSCORE z 1 5",
        "ZRANGEBYLEX z - + LIMIT 1 1",
        "ZRANGEBYLEX z - + WITHSCORES",
        "ZRANGEBYLEX z [c +",
        "ZRANGEBYLEX z c +",
        "ZREVRANGEBYLEX z + - LIMIT 0 2",
        "ZREVRANGEBYLEX z (e [b",
        "ZREVRANGEBYLEX z - +",
    ]);
}

#[test]
fn zrangestore_matches_redis_across_shards() {
    let mut p = Pair::new();
    let src = key_on_shard("zsrc", 0, 3);
    let dst = key_on_shard("zdst", 1, 3);
    let cmds = [
        "ZADD S 1 a 2 b 3 c 4 d",
        "ZRANGESTORE D S 0 -1",
        "ZRANGE D 0 -1 WITHSCORES",
        "OBJECT ENCODING D",
        "ZRANGESTORE D S 1 2 REV",
        "ZRANGE D 0 -1 WITHSCORES",
        "ZRANGESTORE D S (1 +inf BYSCORE LIMIT 1 1",
        "ZRANGE D 0 -1 WITHSCORES",
        "ZRANGESTORE D S [b + BYLEX",
        "ZRANGE D 0 -1",
        "ZRANGESTORE D S 0 -1 WITHSCORES",
        "ZRANGESTORE D S 0 -1 LIMIT 0 1",
        "ZRANGESTORE D S 5 10",
        "EXISTS D",
        "SET D x",
        "ZRANGESTORE D nokey 0 -1",
        "EXISTS D",
        "SET D x",
        "ZRANGESTORE D S 0 0",
        "TYPE D",
        "EXPIRE D 100",
        "ZRANGESTORE D S 0 1",
        "TTL D",
        "ZRANGESTORE S S 1 2",
        "ZRANGE S 0 -1 WITHSCORES",
    ];
    for c in cmds {
        p.check_all(&[&c.replace('S', &src).replace('D', &dst)]);
    }
}

#[test]
fn removal_by_range_matches_redis() {
    let mut p = Pair::new();
    let fill = "ZADD z 1 a 2 b 3 c 4 d 5 e";
    p.check_all(&[
        fill,
        "ZREMRANGEBYRANK z 1 2",
        "ZRANGE z 0 -1",
        "ZREMRANGEBYRANK z -1 -1",
        "ZREMRANGEBYRANK z 5 10",
        "ZREMRANGEBYRANK z 2 1",
        "ZREMRANGEBYRANK z a 1",
        "ZREMRANGEBYRANK z 0 -1",
        "EXISTS z",
        fill,
        "ZREMRANGEBYSCORE z (1 3",
        "ZREMRANGEBYSCORE z x 1",
        "ZREMRANGEBYSCORE z 10 1",
        "ZRANGE z 0 -1",
        "ZREMRANGEBYSCORE z -inf +inf",
        "EXISTS z",
        "ZADD z 0 a 0 b 0 c 0 d 0 e",
        "ZREMRANGEBYLEX z [b (d",
        "ZREMRANGEBYLEX z a b",
        "ZREMRANGEBYLEX z + -",
        "ZRANGE z 0 -1",
        "ZREMRANGEBYLEX z - +",
        "EXISTS z",
        "ZREMRANGEBYRANK nokey 0 -1",
        "ZREMRANGEBYSCORE nokey x 1",
        "ZREMRANGEBYLEX nokey - +",
    ]);
}

#[test]
fn pops_match_redis() {
    let mut p = Pair::new();
    let (a, b) = (key_on_shard("popa", 0, 3), key_on_shard("popb", 2, 3));
    let cmds = [
        "ZADD A 1 a 2 b 3 c 4 d 5 e",
        "ZPOPMIN A",
        "ZPOPMAX A",
        "ZPOPMIN A 2",
        "ZPOPMIN A 0",
        "ZPOPMIN A -1",
        "ZPOPMIN A x",
        "ZPOPMIN A 1 2",
        "ZPOPMAX A 100",
        "EXISTS A",
        "ZPOPMAX A",
        "ZPOPMAX A 2",
        "ZADD A 1 a 2 b 3 c",
        "ZADD B 7 x 8 y",
        "ZMPOP 2 A B MIN",
        "ZMPOP 2 A B MAX COUNT 10",
        "ZMPOP 2 A B min COUNT 1",
        "ZMPOP 2 A B MAX",
        "ZMPOP 2 A B MAX",
        "ZMPOP 0 A MIN",
        "ZMPOP -1 A MIN",
        "ZMPOP x A MIN",
        "ZMPOP 1 A MID",
        "ZMPOP 1 A MIN COUNT 0",
        "ZMPOP 1 A MIN COUNT -1",
        "ZMPOP 1 A MIN COUNT 2 COUNT 3",
        "ZMPOP 1 A MIN COUNT",
        "ZMPOP 3 A B MIN",
        "ZMPOP 2 A",
        "ZMPOP 1 nokey MAX",
        "BZPOPMIN A B 0.01",
        "BZMPOP 0.01 2 A B MIN",
        "BZMPOP x 1 A MIN",
        "BZMPOP -1 1 A MIN",
        "BZMPOP 0 0 A MIN",
        "BZMPOP 0 1 A MIN COUNT 0",
        "BZPOPMIN A x",
        "BZPOPMIN A -1",
        "ZADD B 1 p 2 q",
        "BZPOPMIN A B 0",
        "BZPOPMAX A B 0",
        "EXISTS B",
        "ZADD A 1 a 2 b 3 c",
        "BZMPOP 0 2 B A MAX COUNT 2",
        "ZRANGE A 0 -1",
    ];
    for c in cmds {
        p.check_all(&[&c.replace('A', &a).replace('B', &b)]);
    }
}

#[test]
fn encodings_across_both_limits_match_redis() {
    let mut p = Pair::new();
    let mut add = vec!["ZADD".to_owned(), "big".to_owned()];
    for i in 0..128 {
        add.push(i.to_string());
        add.push(format!("m{i}"));
    }
    p.check_strings(&add);
    let long = "x".repeat(64);
    let longer = "x".repeat(65);
    p.check_all(&[
        "OBJECT ENCODING big",
        "ZADD big 1 m1",
        "OBJECT ENCODING big",
        "ZADD big 1000 one-more",
        "OBJECT ENCODING big",
        "ZREM big one-more m0 m1 m2",
        "OBJECT ENCODING big",
        &format!("ZADD v 1 {long}"),
        "OBJECT ENCODING v",
        &format!("ZADD v 2 {longer}"),
        "OBJECT ENCODING v",
        &format!("ZREM v {longer}"),
        "OBJECT ENCODING v",
        &format!("ZADD w 1 {longer}"),
        "OBJECT ENCODING w",
        "CONFIG SET zset-max-listpack-entries 2",
        "ZADD s 1 a 2 b",
        "OBJECT ENCODING s",
        "ZADD s 3 c",
        "OBJECT ENCODING s",
        "ZRANGESTORE d s 0 1",
        "OBJECT ENCODING d",
        "ZRANGESTORE d s 0 2",
        "OBJECT ENCODING d",
        // A skiplist keeps -0, a listpack makes it 0, results included.
        "ZADD s -0 z",
        "ZSCORE s z",
        "ZRANGESTORE d s 0 -1",
        "ZRANGE d 0 -1 WITHSCORES",
        "ZUNIONSTORE d 1 s",
        "ZRANGE d 0 -1 WITHSCORES",
        "CONFIG SET zset-max-listpack-entries 0",
        "ZADD zero 1 a",
        "OBJECT ENCODING zero",
        "CONFIG SET zset-max-ziplist-entries 128",
        "CONFIG GET zset-max-listpack-entries",
        "ZRANGESTORE d3 s 0 -1",
        "OBJECT ENCODING d3",
        "ZRANGE d3 0 -1 WITHSCORES",
        "ZRANGESTORE d3 s -inf +inf BYSCORE",
        "OBJECT ENCODING d3",
        "CONFIG SET zset-max-listpack-value 3",
        "ZADD t 1 abcd",
        "OBJECT ENCODING t",
        "ZADD u 1 abc",
        "OBJECT ENCODING u",
        "ZADD u 2 abcd",
        "OBJECT ENCODING u",
        "CONFIG SET zset-max-listpack-value 64",
        "ZRANGESTORE d w 0 -1",
        "OBJECT ENCODING d",
        "ZRANGESTORE d2 u 0 0",
        "OBJECT ENCODING d2",
    ]);
    // The big set keeps answering as Redis does in either encoding.
    p.check_all(&[
        "ZRANGE big 10 20 WITHSCORES",
        "ZRANGE big 100 +inf BYSCORE LIMIT 3 4",
        "ZREVRANGE big 0 4",
        "ZRANK big m77",
        "ZREVRANK big m77",
        "ZCOUNT big (10 20",
        "ZRANGEBYLEX big [m5 (m6",
        "ZREMRANGEBYSCORE big 50 60",
        "ZREMRANGEBYRANK big 0 9",
        "ZCARD big",
        "ZPOPMAX big 3",
        "ZRANDMEMBER big 1000",
    ]);
}

#[test]
fn resp3_forms_match_redis() {
    let mut p = Pair::new();
    p.hello3();
    // A packed set scans in order (a skiplist in its table's order).
    p.check_all(&[
        "ZADD packed 1.5 a 2 b 123456789012345678 d",
        "ZSCAN packed 0",
    ]);
    for enc in ["128", "0"] {
        p.check(&["CONFIG", "SET", "zset-max-listpack-entries", enc]);
        p.check_all(&[
            "DEL z",
            "ZADD z 1.5 a 2 b 3 c 123456789012345678 d",
            "ZSCORE z a",
            "ZSCORE z nosuch",
            "ZMSCORE z a nosuch",
            "ZINCRBY z 1 b",
            "ZADD z INCR 1 b",
            "ZADD z INCR NX 1 b",
            "ZRANGE z 0 -1 WITHSCORES",
            "ZRANGE z 0 -1",
            "ZRANGEBYSCORE z -inf +inf WITHSCORES",
            "ZREVRANGE z 0 1 WITHSCORES",
            "ZRANDMEMBER z 10 WITHSCORES",
            "ZRANDMEMBER z 10",
            "ZRANDMEMBER z 0 WITHSCORES",
            "ZRANDMEMBER nokey 1",
            "ZRANDMEMBER nokey",
            "ZPOPMIN z",
            "ZPOPMIN z 1",
            "ZPOPMAX z 5",
            "ZPOPMAX z",
            "ZADD z 1 a 2 b",
            "ZMPOP 1 z MIN",
            "BZPOPMAX z 0",
            "ZMPOP 1 z MIN",
            "BZPOPMIN z 0.01",
            "BZMPOP 0.01 1 z MIN",
        ]);
    }
}

#[test]
fn zrandmember_matches_redis_by_shape() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZRANDMEMBER",
        "ZRANDMEMBER nokey",
        "ZRANDMEMBER nokey 5",
        "ZRANDMEMBER nokey -5 WITHSCORES",
        "ZADD z 1 a",
        "ZRANDMEMBER z x",
        "ZRANDMEMBER z 1 withscore",
        "ZRANDMEMBER z 1 withscores x",
        "ZRANDMEMBER z -9223372036854775808",
        "ZRANDMEMBER z -4611686018427387904 WITHSCORES",
        "ZRANDMEMBER z 4611686018427387904 WITHSCORES",
        "ZRANDMEMBER z 0",
        "ZRANDMEMBER z 0 WITHSCORES",
        "ZRANDMEMBER z",
        "ZRANDMEMBER z -3 WITHSCORES",
    ]);
    for enc in ["128", "0"] {
        p.check(&["CONFIG", "SET", "zset-max-listpack-entries", enc]);
        p.check(&["DEL", "r"]);
        let mut add = vec!["ZADD".to_owned(), "r".to_owned()];
        let mut want = BTreeMap::new();
        for i in 0..40 {
            add.push(format!("{}.5", i));
            add.push(format!("m{i}"));
            want.insert(format!("m{i}"), format!("{i}.5"));
        }
        p.check_strings(&add);
        for count in ["5", "30", "-100", "-3"] {
            let (f, r) = p.both_bytes(&[b"ZRANDMEMBER", b"r", count.as_bytes(), b"WITHSCORES"]);
            for reply in [&f, &r] {
                let items = strings(reply);
                let n: i64 = count.parse().unwrap_or(0);
                assert_eq!(items.len() as u64, 2 * n.unsigned_abs(), "{}", show(reply));
                let mut seen = std::collections::HashSet::new();
                for pair in items.chunks(2) {
                    let m = String::from_utf8_lossy(&pair[0]).into_owned();
                    let s = String::from_utf8_lossy(&pair[1]).into_owned();
                    assert_eq!(want.get(&m), Some(&s), "{}", show(reply));
                    seen.insert(m);
                }
                if n > 0 {
                    assert_eq!(seen.len() as i64, n, "distinct picks: {}", show(reply));
                }
            }
        }
        let (f, r) = p.both_bytes(&[b"ZRANDMEMBER", b"r"]);
        for reply in [&f, &r] {
            let m = String::from_utf8_lossy(&strings(reply)[0]).into_owned();
            assert!(want.contains_key(&m), "{}", show(reply));
        }
    }
}

/// Redis would build a reply of 2^63 - 1 picks (and never answer), so
/// this one runs against Ferrite alone.
#[test]
fn zrandmember_refuses_a_reply_beyond_proto_max_bulk_len() {
    let server = TestServer::start();
    let mut c = server.client();
    c.cmd_str(&["ZADD", "z", "1", "a"]);
    assert_eq!(
        show(&c.cmd_str(&["ZRANDMEMBER", "z", "-9223372036854775807"])),
        show(b"-ERR count is too large: the reply would exceed proto-max-bulk-len\r\n")
    );
    // A large but bounded count is served.
    let reply = c.cmd_str(&["ZRANDMEMBER", "z", "-100000", "WITHSCORES"]);
    assert!(reply.starts_with(b"*200000\r\n"), "{}", show(&reply[..20]));
}

/// Every (member, score) a full ZSCAN of `z` returns on one server.
fn full_zscan(c: &mut RawClient, opts: &[&str]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut cursor = b"0".to_vec();
    for _ in 0..10_000 {
        let mut args: Vec<&[u8]> = vec![b"ZSCAN", b"z", &cursor];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        let reply = c.cmd(&args);
        let parts = flat_elements(&reply);
        assert_eq!(parts.len(), 2, "{}", show(&reply));
        let items = strings(&parts[1]);
        for pair in items.chunks(2) {
            out.insert(pair[0].clone(), pair[1].clone());
        }
        cursor = payload(&parts[0]);
        if cursor == b"0" {
            return out;
        }
    }
    panic!("ZSCAN never ended");
}

/// ZSCAN on both servers gives the same pairs (in any order).
fn same_zscan(p: &mut Pair, opts: &[&str]) {
    let ours = full_zscan(&mut p.ferrite, opts);
    let theirs = full_zscan(&mut p.redis, opts);
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs);
}

#[test]
fn zscan_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ZSCAN nokey 0",
        "ZSCAN nokey 0 TYPE string",
        "ZSCAN z x",
        "ZSCAN z -1",
        "ZADD z 1 a 2.5 b 3 ab 1e20 c",
        "ZSCAN z 0",
        "ZSCAN z 7",
        "ZSCAN z 0 MATCH a*",
        "ZSCAN z 0 COUNT 1",
        "ZSCAN z 0 COUNT 0",
        "ZSCAN z 0 COUNT x",
        "ZSCAN z 0 MATCH",
        "ZSCAN z 0 TYPE zset",
        "ZSCAN z 0 MATCH * TYPE zset",
        "ZSCAN z 0 FOO bar",
    ]);
    // A skiplist walks with a cursor; the union of the steps is the set.
    let mut add = vec!["ZADD".to_owned(), "z".to_owned()];
    for i in 0..300 {
        add.push(format!("{}", f64::from(i) / 4.0));
        add.push(format!("k{i}"));
    }
    p.check_strings(&add);
    p.check(&["OBJECT", "ENCODING", "z"]);
    same_zscan(&mut p, &["COUNT", "7"]);
    same_zscan(&mut p, &["MATCH", "k1*", "COUNT", "20"]);
}

/// A long random run of every writing and reading command on small sets
/// (so that both encodings and the conversions are exercised), replies
/// compared byte for byte after each command.
#[test]
fn random_commands_match_redis() {
    let mut p = Pair::new();
    let mut rng = StdRng::seed_from_u64(0x5e7);
    p.check_all(&[
        "CONFIG SET zset-max-listpack-entries 6",
        "CONFIG SET zset-max-listpack-value 5",
    ]);
    let member = |rng: &mut StdRng| -> String {
        let n = rng.random_range(0..12);
        if n == 11 {
            "longmember".to_owned()
        } else {
            format!("m{n}")
        }
    };
    let score = |rng: &mut StdRng| -> String {
        match rng.random_range(0..10) {
            0 => "inf".to_owned(),
            1 => "-inf".to_owned(),
            2 => format!("{}.25", rng.random_range(-5..5)),
            3 => "-0".to_owned(),
            _ => rng.random_range(-3..6).to_string(),
        }
    };
    let bound = |rng: &mut StdRng| -> String {
        match rng.random_range(0..6) {
            0 => "-inf".to_owned(),
            1 => "+inf".to_owned(),
            2 => format!("({}", rng.random_range(-3..6)),
            _ => rng.random_range(-3..6).to_string(),
        }
    };
    let lex = |rng: &mut StdRng| -> String {
        match rng.random_range(0..6) {
            0 => "-".to_owned(),
            1 => "+".to_owned(),
            2 => format!("(m{}", rng.random_range(0..12)),
            _ => format!("[m{}", rng.random_range(0..12)),
        }
    };
    for _ in 0..3000 {
        let mut k = ["z1", "z2", "lex"][rng.random_range(0..3)];
        let op = rng.random_range(0..22);
        if [10, 12, 15].contains(&op) && k != "lex" {
            // Lex ranges over unequal scores are answered by Redis's search:
            // linear on a listpack (matched exactly), by descent on a
            // skiplist (varying with its random levels). Those go to `lex`,
            // whose scores are all equal.
            let enc = p.check(&["OBJECT", "ENCODING", k]);
            if !enc.windows(8).any(|w| w == b"listpack") {
                k = "lex";
            }
        }
        if k == "lex" && op <= 6 {
            p.check_all(&[&format!("ZADD lex 0 {}", member(&mut rng))]);
            continue;
        }
        let cmd: String = match op {
            0..=4 => {
                let flags = ["", "NX ", "XX ", "GT ", "LT ", "CH ", "GT CH ", "XX LT CH "];
                let f = flags[rng.random_range(0..flags.len())];
                let n = rng.random_range(1..4);
                let pairs: Vec<String> = (0..n)
                    .map(|_| format!("{} {}", score(&mut rng), member(&mut rng)))
                    .collect();
                format!("ZADD {k} {f}{}", pairs.join(" "))
            }
            5 => format!("ZADD {k} INCR {} {}", score(&mut rng), member(&mut rng)),
            6 => format!("ZINCRBY {k} {} {}", score(&mut rng), member(&mut rng)),
            7 => format!("ZREM {k} {} {}", member(&mut rng), member(&mut rng)),
            8 => format!(
                "ZRANGE {k} {} {} WITHSCORES",
                rng.random_range(-8..8),
                rng.random_range(-8..8)
            ),
            9 => format!(
                "ZRANGE {k} {} {} BYSCORE{} LIMIT {} {} WITHSCORES",
                bound(&mut rng),
                bound(&mut rng),
                if rng.random_bool(0.5) { " REV" } else { "" },
                rng.random_range(0..3),
                rng.random_range(-1..4)
            ),
            10 => format!(
                "ZRANGE {k} {} {} BYLEX{}",
                lex(&mut rng),
                lex(&mut rng),
                if rng.random_bool(0.5) { " REV" } else { "" }
            ),
            11 => format!("ZCOUNT {k} {} {}", bound(&mut rng), bound(&mut rng)),
            12 => format!("ZLEXCOUNT {k} {} {}", lex(&mut rng), lex(&mut rng)),
            13 => format!(
                "ZREMRANGEBYRANK {k} {} {}",
                rng.random_range(-8..8),
                rng.random_range(-8..8)
            ),
            14 => format!(
                "ZREMRANGEBYSCORE {k} {} {}",
                bound(&mut rng),
                bound(&mut rng)
            ),
            15 => format!("ZREMRANGEBYLEX {k} {} {}", lex(&mut rng), lex(&mut rng)),
            16 => format!("ZPOPMIN {k} {}", rng.random_range(0..3)),
            17 => format!("ZPOPMAX {k}"),
            18 => format!("ZRANK {k} {}", member(&mut rng)),
            19 => format!("ZREVRANK {k} {}", member(&mut rng)),
            20 => format!(
                "ZRANGESTORE {} {k} {} {}",
                if k == "z1" { "z2" } else { "z1" },
                rng.random_range(-8..8),
                rng.random_range(-8..8)
            ),
            _ => format!("ZMPOP 2 {k} z1 MAX COUNT {}", rng.random_range(1..3)),
        };
        p.check_all(&[&cmd]);
        if rng.random_range(0..10) == 0 {
            p.check_all(&[
                &format!("ZRANGE {k} 0 -1 WITHSCORES"),
                &format!("OBJECT ENCODING {k}"),
            ]);
        }
    }
}

/// COMMAND INFO is compared for every command in `server`; here the key
/// extraction of the movable-key and blocking forms.
#[test]
fn getkeys_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "COMMAND GETKEYS ZMPOP 2 a b MIN",
        "COMMAND GETKEYS BZMPOP 0 2 a b MIN",
        "COMMAND GETKEYS BZPOPMIN a b 0",
        "COMMAND GETKEYS ZRANGESTORE d s 0 1",
        "COMMAND GETKEYS ZMPOP 0 a MIN",
        "COMMAND GETKEYS ZMPOP 5 a MIN",
    ]);
}

#[test]
fn dirty_and_keyspace_counters_match_redis() {
    let mut p = Pair::new();
    p.check_all(&["ZADD z 1 a 2 b 3 c", "SET str v"]);
    p.check_counters(&[
        "ZADD z 1 a",
        "ZADD z 5 a",
        "ZADD z CH 6 a 7 d",
        "ZADD z XX 1 nope",
        "ZINCRBY z 0 a",
        "ZINCRBY z 1 a",
        "ZSCORE z a",
        "ZSCORE nokey a",
        "ZMSCORE z a b",
        "ZRANGE z 0 -1",
        "ZRANGESTORE d z 0 1",
        "ZRANGESTORE d nokey 0 1",
        "ZRANGESTORE d nokey 0 1",
        "ZREM z nope",
        "ZREM z d",
        "ZREMRANGEBYSCORE z 100 200",
        "ZREMRANGEBYRANK z 0 0",
        "ZPOPMIN nokey",
        "ZPOPMIN z 0",
        "ZPOPMAX z",
        "ZMPOP 2 nokey z MIN",
        "ZRANDMEMBER z",
        "ZRANDMEMBER nokey 2",
        "ZCARD z",
        "ZCOUNT z 0 10",
        "ZRANK z c",
        "ZSCAN z 0",
        "ZADD str 1 a",
    ]);
}
