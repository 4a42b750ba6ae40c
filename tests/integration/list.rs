//! The list group against the real Redis: every command with its errors and
//! edge cases, byte for byte; RESP3 forms; OBJECT ENCODING; moves and LMPOP
//! across shards (Ferrite runs with 3 shards); and long random command
//! sequences on big lists under several `list-max-listpack-size` values,
//! comparing every reply and the whole list. The blocking commands are
//! tested here only where they do not block (data present, argument
//! errors); waiting is the `blocking` module's subject.

use ferrite_testkit::{one_key_per_shard, Pair};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn pushes_and_pops() {
    let mut p = Pair::new();
    p.check_all(&[
        "LPUSH l a",
        "LPUSH l b c d",
        "RPUSH l e f",
        "LRANGE l 0 -1",
        "LPUSHX l x y",
        "RPUSHX l z",
        "LPUSHX nokey a",
        "RPUSHX nokey a b",
        "EXISTS nokey",
        "LLEN l",
        "LPOP l",
        "RPOP l",
        "LPOP l 2",
        "RPOP l 2",
        "LPOP l 0",
        "RPOP l 0",
        "LPOP l -1",
        "RPOP l abc",
        "LPOP l 1.5",
        "LPOP l 1 2",
        "RPOP l 1 2 3",
        "LPOP nokey",
        "RPOP nokey",
        "LPOP nokey 0",
        "RPOP nokey 3",
        "LPOP nokey -1",
        "LPOP l 9223372036854775807",
        "EXISTS l",
        "RPUSH l a b c",
        "RPOP l 9223372036854775807",
        "EXISTS l",
        "RPOP l 0",
        "RPUSH l a",
        "LPOP l",
        "EXISTS l",
        "LPUSH",
        "LPUSH l",
        "RPUSH l",
        "LPUSHX l",
        "RPUSHX l",
        "LPOP",
        "RPOP",
        "LLEN",
        "LLEN a b",
    ]);
    p.check(&["RPUSH", "e", ""]);
    p.check(&["LRANGE", "e", "0", "-1"]);
    p.check(&["LPOP", "e"]);
    p.check_bytes(&[b"RPUSH", b"bin", b"a\0b\r\n\xff", b"\0"]);
    p.check_bytes(&[b"LRANGE", b"bin", b"0", b"-1"]);
    p.check_bytes(&[b"LPOS", b"bin", b"\0"]);
    // The count is read as a C string would not be: NUL makes it invalid.
    p.check_bytes(&[b"LPOP", b"bin", b"1\0"]);
}

#[test]
fn wrong_types() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET s x",
        "LPUSH s a",
        "RPUSH s a",
        "LPUSHX s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s 2",
        "LPOP s 0",
        "LPOP s -1",
        "LLEN s",
        "LRANGE s 0 -1",
        "LRANGE s x 1",
        "LINDEX s 0",
        "LINDEX s x",
        "LSET s 0 v",
        "LSET s x v",
        "LINSERT s BEFORE a b",
        "LINSERT s MIDDLE a b",
        "LREM s 0 a",
        "LREM s x a",
        "LTRIM s 0 1",
        "LTRIM s x 1",
        "LPOS s a",
        "LPOS s a RANK 0",
        "LPOS s a COUNT 0",
        "RPUSH l a b",
        "LMOVE s l LEFT RIGHT",
        "LMOVE l s LEFT RIGHT",
        "LMOVE nokey s LEFT RIGHT",
        "RPOPLPUSH s l",
        "RPOPLPUSH l s",
        "LRANGE l 0 -1",
        "LMPOP 2 s l LEFT",
        "LMPOP 2 l s LEFT",
        "LMPOP 2 nokey s LEFT",
        "BLPOP s l 0",
        "BLPOP l s 0",
        "BRPOP nokey s 0",
        "BLMPOP 0 1 s LEFT",
        "RPUSH l a",
        "BLMOVE l s LEFT LEFT 0",
        "BRPOPLPUSH l s 0",
        "BRPOPLPUSH s l 0",
        "LRANGE l 0 -1",
        "GET s",
    ]);
}

#[test]
fn ranges_and_indexes() {
    let mut p = Pair::new();
    p.check_all(&[
        "LRANGE nokey 0 -1",
        "LRANGE nokey x 1",
        "LINDEX nokey 0",
        "LINDEX nokey x",
        "RPUSH l a b c d e",
        "LRANGE l 0 -1",
        "LRANGE l 0 0",
        "LRANGE l 1 3",
        "LRANGE l -3 -1",
        "LRANGE l -100 -4",
        "LRANGE l -100 100",
        "LRANGE l 3 1",
        "LRANGE l -1 -2",
        "LRANGE l 4 100",
        "LRANGE l 5 100",
        "LRANGE l -1 0",
        "LRANGE l -9223372036854775808 9223372036854775807",
        "LRANGE l 9223372036854775807 -9223372036854775808",
        "LRANGE l a 1",
        "LRANGE l 1 b",
        "LRANGE l 1.0 2",
        "LRANGE l 01 2",
        "LRANGE l 0",
        "LINDEX l 0",
        "LINDEX l 4",
        "LINDEX l 5",
        "LINDEX l -1",
        "LINDEX l -5",
        "LINDEX l -6",
        "LINDEX l 9223372036854775807",
        "LINDEX l -9223372036854775808",
        "LINDEX l x",
        "LINDEX l",
        "LLEN l",
    ]);
}

#[test]
fn lset_linsert_lrem_ltrim() {
    let mut p = Pair::new();
    p.check_all(&[
        "LSET nokey 0 x",
        "LSET nokey x x",
        "RPUSH l a b c b a",
        "LSET l 0 A",
        "LSET l -1 Z",
        "LSET l 5 x",
        "LSET l -6 x",
        "LSET l x y",
        "LSET l 9223372036854775807 y",
        "LRANGE l 0 -1",
        "LINSERT l MIDDLE b x",
        "LINSERT nokey MIDDLE b x",
        "LINSERT nokey BEFORE b x",
        "LINSERT l BEFORE zz x",
        "LINSERT l before b x",
        "LINSERT l AfTeR b y",
        "LINSERT l AFTER Z end",
        "LINSERT l BEFORE A start",
        "LRANGE l 0 -1",
        "LREM l 1 b",
        "LREM l -1 x",
        "LRANGE l 0 -1",
        "LREM l 0 nothing",
        "LREM l x a",
        "LREM nokey x a",
        "LREM nokey 0 a",
        "RPUSH r a b a c a d a",
        "LREM r -2 a",
        "LRANGE r 0 -1",
        "LREM r 2 a",
        "LRANGE r 0 -1",
        "LREM r -9223372036854775808 b",
        "LREM r 9223372036854775807 c",
        "LREM r 0 d",
        "EXISTS r",
        "LTRIM nokey 0 1",
        "LTRIM nokey x 1",
        "LTRIM l x 1",
        "LTRIM l 0 y",
        "LTRIM l 1 -2",
        "LRANGE l 0 -1",
        "LTRIM l -100 100",
        "LRANGE l 0 -1",
        "LTRIM l -2 -1",
        "LRANGE l 0 -1",
        "LTRIM l 1 0",
        "EXISTS l",
        "RPUSH l a b c",
        "LTRIM l 5 10",
        "EXISTS l",
        "RPUSH l a b c",
        "LTRIM l -1 -2",
        "EXISTS l",
        "RPUSH l a b c",
        "LTRIM l 0 9223372036854775807",
        "LTRIM l -9223372036854775808 0",
        "LRANGE l 0 -1",
        "LSET l",
        "LINSERT l BEFORE a",
        "LREM l 0",
        "LTRIM l 0",
    ]);
}

#[test]
fn lpos_options_and_errors() {
    let mut p = Pair::new();
    p.check_all(&[
        "LPOS nokey a",
        "LPOS nokey a COUNT 0",
        "LPOS nokey a COUNT 1",
        "LPOS nokey a RANK 0",
        "RPUSH l a b c a b c a",
        "LPOS l a",
        "LPOS l c",
        "LPOS l z",
        "LPOS l a RANK 1",
        "LPOS l a RANK 2",
        "LPOS l a RANK 3",
        "LPOS l a RANK 4",
        "LPOS l a RANK -1",
        "LPOS l a RANK -3",
        "LPOS l a RANK -4",
        "LPOS l a RANK 0",
        "LPOS l a RANK -9223372036854775808",
        "LPOS l a RANK -9223372036854775807",
        "LPOS l a RANK 9223372036854775807",
        "LPOS l a RANK x",
        "LPOS l a COUNT 0",
        "LPOS l a COUNT 1",
        "LPOS l a COUNT 2",
        "LPOS l a COUNT -1",
        "LPOS l a COUNT x",
        "LPOS l a COUNT 9223372036854775807",
        "LPOS l z COUNT 0",
        "LPOS l a COUNT 0 RANK -1",
        "LPOS l a COUNT 2 RANK -2",
        "LPOS l a COUNT 0 RANK 2",
        "LPOS l a MAXLEN 0",
        "LPOS l a MAXLEN 1",
        "LPOS l b MAXLEN 1",
        "LPOS l a MAXLEN -1",
        "LPOS l a MAXLEN x",
        "LPOS l a MAXLEN 1 COUNT 0",
        "LPOS l c MAXLEN 3 COUNT 0",
        "LPOS l c MAXLEN 3 COUNT 0 RANK -1",
        "LPOS l a MAXLEN 9223372036854775807 COUNT 0 RANK -2",
        "LPOS l a RANK 1 RANK 2",
        "LPOS l a COUNT 1 COUNT 0",
        "LPOS l a RANK 0 COUNT -1",
        "LPOS l a COUNT -1 RANK 0",
        "LPOS l a MAXLEN -1 RANK 0",
        "LPOS l a count 1 rank -1 maxlen 2",
        "LPOS l a COUNT",
        "LPOS l a RANK",
        "LPOS l a MAXLEN",
        "LPOS l a foo 1",
        "LPOS l a RANK 1 foo",
        "LPOS l",
    ]);
}

#[test]
fn moves_within_one_shard_and_rotation() {
    let mut p = Pair::new();
    p.check_all(&[
        "LMOVE nokey d LEFT RIGHT",
        "EXISTS d",
        "RPUSH l a b c",
        "LMOVE l d up LEFT",
        "LMOVE l d LEFT down",
        "LMOVE nokey d left middle",
        "LMOVE l l LEFT RIGHT",
        "LRANGE l 0 -1",
        "LMOVE l l RIGHT LEFT",
        "LRANGE l 0 -1",
        "LMOVE l l LEFT LEFT",
        "LMOVE l l RIGHT RIGHT",
        "LRANGE l 0 -1",
        "RPOPLPUSH l l",
        "LRANGE l 0 -1",
        "RPUSH one x",
        "LMOVE one one left right",
        "LRANGE one 0 -1",
        "RPOPLPUSH one one",
        "LRANGE one 0 -1",
        "RPOPLPUSH nokey l",
        "LMOVE l l left RIGHT",
        "LMOVE l l LeFt rIgHt",
        "LMOVE l",
        "RPOPLPUSH l",
        "LMOVE l d LEFT RIGHT extra",
    ]);
}

#[test]
fn moves_across_shards() {
    let mut p = Pair::new();
    let [a, b, c] = one_key_per_shard("mv");
    let line = |s: &str| s.replace("$A", &a).replace("$B", &b).replace("$C", &c);
    for cmd in [
        "RPUSH $A 1 2 3 4",
        "LMOVE $A $B LEFT RIGHT",
        "LMOVE $A $B RIGHT LEFT",
        "RPOPLPUSH $A $C",
        "LRANGE $A 0 -1",
        "LRANGE $B 0 -1",
        "LRANGE $C 0 -1",
        "LMOVE $A $B LEFT LEFT",
        "EXISTS $A",
        "LMOVE $A $B LEFT LEFT",
        "RPOPLPUSH $A $B",
        "LRANGE $B 0 -1",
        "SET $C str",
        "LMOVE $B $C LEFT RIGHT",
        "RPOPLPUSH $C $B",
        "LRANGE $B 0 -1",
        "BLMOVE $B $A RIGHT LEFT 0",
        "BRPOPLPUSH $B $A 0",
        "LRANGE $A 0 -1",
        "LRANGE $B 0 -1",
        "BLMOVE $B $C LEFT LEFT 0",
        "LRANGE $B 0 -1",
        "LMPOP 3 $C $A $B LEFT",
        "LMPOP 3 $A $B $C RIGHT COUNT 10",
        "LMPOP 2 nokey $B LEFT COUNT 1",
        "LMPOP 3 $A $B nokey LEFT",
        "RPUSH $B x y z",
        "BLMPOP 0 3 $A nokey $B RIGHT COUNT 2",
        "BLPOP $A nokey $B 0",
        "BRPOP $C $B 0",
        "RPUSH $A q",
        "BRPOP $A $B 0",
        "LRANGE $B 0 -1",
        "EXISTS $B",
    ] {
        let l = line(cmd);
        let args: Vec<&str> = l.split_whitespace().collect();
        p.check(&args);
    }
}

#[test]
fn lmpop_arguments() {
    let mut p = Pair::new();
    p.check_all(&[
        "RPUSH l a b c",
        "RPUSH l2 x y",
        "LMPOP 0 l LEFT",
        "LMPOP -1 l LEFT",
        "LMPOP abc l LEFT",
        "LMPOP 1.5 l LEFT",
        "LMPOP 2 l LEFT",
        "LMPOP 3 l l2 LEFT",
        "LMPOP 9223372036854775807 l LEFT",
        "LMPOP 2147483648 l LEFT",
        "LMPOP 1 l MIDDLE",
        "LMPOP 1 l LEFT COUNT 0",
        "LMPOP 1 l LEFT COUNT -1",
        "LMPOP 1 l LEFT COUNT abc",
        "LMPOP 1 l LEFT COUNT",
        "LMPOP 1 l LEFT foo",
        "LMPOP 1 l LEFT COUNT 1 COUNT 2",
        "LMPOP 1 l LEFT COUNT 1 foo",
        "LMPOP 1 nokey LEFT",
        "LMPOP 1 nokey LEFT COUNT 2",
        "LMPOP 1 l left",
        "LMPOP 1 l right count 1",
        "LMPOP 2 l l2 LEFT COUNT 9223372036854775807",
        "LMPOP 2 l l2 RIGHT COUNT 1",
        "LMPOP 2 l l2 RIGHT COUNT 1",
        "EXISTS l l2",
        "LMPOP 1 l",
        "LMPOP 1",
        "SET s x",
        "LMPOP 1 s MIDDLE",
        "LMPOP 0 s LEFT",
        "LMPOP 1 s LEFT COUNT 0",
        "COMMAND GETKEYS LMPOP 2 a b LEFT",
        "COMMAND GETKEYS LMPOP 1 a LEFT COUNT 3",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT",
        "COMMAND GETKEYS BLPOP a b 0",
        "COMMAND GETKEYS LMOVE a b LEFT LEFT",
    ]);
}

#[test]
fn blocking_commands_that_do_not_block() {
    let mut p = Pair::new();
    p.check_all(&[
        "BLPOP l x",
        "BLPOP l -1",
        "BLPOP l inf",
        "BLPOP l 1e400",
        "BLPOP l nan",
        "BRPOP a b ''",
        "BRPOPLPUSH a b x",
        "BRPOPLPUSH a b -0.5",
        "BLMOVE a b up LEFT x",
        "BLMOVE a b LEFT down x",
        "BLMOVE a b LEFT LEFT x",
        "BLMOVE a b LEFT LEFT -1",
        "BLMPOP x 0 a LEFT",
        "BLMPOP x 1 a MIDDLE",
        "BLMPOP x 1 a LEFT COUNT 0",
        "BLMPOP x 1 a LEFT COUNT",
        "BLMPOP x 1 a LEFT",
        "BLMPOP -1 1 a LEFT",
        "BLMPOP 0 2 a LEFT",
        "BLPOP",
        "BLPOP a",
        "BRPOPLPUSH a b",
        "BLMOVE a b LEFT LEFT",
        "BLMPOP 0 1 a",
        "RPUSH l a b c d e f",
        "BLPOP nokey l 0",
        "BRPOP nokey l 0.5",
        "BLPOP l nokey 1",
        "BLMPOP 0 2 nokey l LEFT",
        "BLMPOP 0 1 l RIGHT COUNT 9223372036854775807",
        "EXISTS l",
        "RPUSH l a b c",
        "BLMOVE l d LEFT RIGHT 0",
        "BRPOPLPUSH l d 0",
        "BLMOVE l l RIGHT LEFT 0",
        "LRANGE l 0 -1",
        "LRANGE d 0 -1",
        "BLPOP l 0.0001",
        "RPUSH l z",
        "BLPOP l 0x10",
    ]);
}

#[test]
fn resp3_replies() {
    let mut p = Pair::new();
    p.hello3();
    p.check_all(&[
        "LPOP nokey",
        "LPOP nokey 2",
        "RPOP nokey 0",
        "LINDEX nokey 0",
        "LRANGE nokey 0 -1",
        "LPOS nokey a",
        "LPOS nokey a COUNT 0",
        "LMOVE nokey d LEFT LEFT",
        "RPOPLPUSH nokey d",
        "LMPOP 1 nokey LEFT",
        "RPUSH l a b c",
        "LPOP l 0",
        "LPOP l 2",
        "LINDEX l 5",
        "LPOS l z",
        "LPOS l c COUNT 0",
        "LMPOP 1 l LEFT",
        "RPUSH l x",
        "BLPOP nokey l 0",
        "RPUSH l a b",
        "BLMPOP 0 1 l RIGHT COUNT 5",
    ]);
}

#[test]
fn encoding_type_ttl_and_idle() {
    let mut p = Pair::new();
    p.check_all(&[
        "RPUSH l a",
        "OBJECT ENCODING l",
        "TYPE l",
        "RPUSH l 1 2 3 12345678901234567890",
        "OBJECT ENCODING l",
        "EXPIRE l 100",
        "RPUSH l x",
        "LPOP l",
        "LSET l 0 y",
        "TTL l",
        "LRANGE l 0 -1",
        "CONFIG SET list-max-listpack-size 1",
        "RPUSH big a b c d e",
        "OBJECT ENCODING big",
        "CONFIG SET list-max-listpack-size -2",
    ]);
    // Large elements: each fills a node of its own.
    let big = "x".repeat(20_000);
    p.check(&["RPUSH", "huge", &big, "a", &big]);
    p.check(&["OBJECT", "ENCODING", "huge"]);
    p.check(&["LINDEX", "huge", "1"]);
    p.check(&["LSET", "huge", "1", &big]);
    p.check(&["LINSERT", "huge", "BEFORE", &big, "small"]);
    p.check(&["LRANGE", "huge", "0", "1"]);
    p.check(&["LREM", "huge", "0", &big]);
    p.check(&["LRANGE", "huge", "0", "-1"]);
}

/// Random operations on two lists that grow to thousands of elements,
/// every reply compared, and the whole lists compared now and then.
fn random_ops(p: &mut Pair, rng: &mut StdRng, ops: usize) {
    let keys = ["r1", "r2"];
    let values: Vec<String> = (0..40)
        .map(|i| match i % 4 {
            0 => i.to_string(),
            1 => format!("v{i}"),
            2 => "w".repeat(i * 7),
            _ => String::new(),
        })
        .collect();
    let pick = |rng: &mut StdRng| values[rng.random_range(0..values.len())].clone();
    for step in 0..ops {
        let key = keys[rng.random_range(0..2)];
        let other = keys[rng.random_range(0..2)];
        let end = |rng: &mut StdRng| {
            if rng.random_bool(0.5) {
                "LEFT"
            } else {
                "RIGHT"
            }
        };
        let idx = |rng: &mut StdRng| rng.random_range(-3000i64..3000).to_string();
        let cmd: Vec<String> = match rng.random_range(0..100) {
            0..=24 => {
                let n = rng.random_range(1..8);
                let mut c = vec![
                    if rng.random_bool(0.5) {
                        "LPUSH"
                    } else {
                        "RPUSH"
                    }
                    .to_owned(),
                    key.to_owned(),
                ];
                c.extend((0..n).map(|_| pick(rng)));
                c
            }
            25..=34 => vec![
                if rng.random_bool(0.5) { "LPOP" } else { "RPOP" }.to_owned(),
                key.to_owned(),
                rng.random_range(0..5).to_string(),
            ],
            35..=39 => vec!["LPOP".into(), key.into()],
            40..=47 => vec!["LINDEX".into(), key.into(), idx(rng)],
            48..=55 => vec!["LSET".into(), key.into(), idx(rng), pick(rng)],
            56..=63 => vec![
                "LINSERT".into(),
                key.into(),
                if rng.random_bool(0.5) {
                    "BEFORE"
                } else {
                    "AFTER"
                }
                .into(),
                pick(rng),
                pick(rng),
            ],
            64..=68 => vec![
                "LREM".into(),
                key.into(),
                rng.random_range(-3..4).to_string(),
                pick(rng),
            ],
            69..=71 => {
                let len = rng.random_range(0..20);
                let a = rng.random_range(0i64..len + 1);
                vec![
                    "LTRIM".into(),
                    key.into(),
                    a.to_string(),
                    (a - len - 1).to_string(),
                ]
            }
            72..=79 => vec!["LRANGE".into(), key.into(), idx(rng), idx(rng)],
            80..=85 => {
                let mut c = vec!["LPOS".into(), key.into(), pick(rng)];
                if rng.random_bool(0.5) {
                    let rank = [-3, -2, -1, 1, 2, 3][rng.random_range(0..6)];
                    c.extend(["RANK".into(), rank.to_string()]);
                }
                if rng.random_bool(0.5) {
                    c.extend(["COUNT".into(), rng.random_range(0..4).to_string()]);
                }
                if rng.random_bool(0.3) {
                    c.extend(["MAXLEN".into(), rng.random_range(0..500).to_string()]);
                }
                c
            }
            86..=93 => vec![
                "LMOVE".into(),
                key.into(),
                other.into(),
                end(rng).into(),
                end(rng).into(),
            ],
            94..=96 => vec![
                "LMPOP".into(),
                "2".into(),
                key.into(),
                other.into(),
                end(rng).into(),
                "COUNT".into(),
                rng.random_range(1..6).to_string(),
            ],
            _ => vec!["LLEN".into(), key.into()],
        };
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        p.check(&args);
        if step % 500 == 0 {
            for k in keys {
                p.check(&["LRANGE", k, "0", "-1"]);
            }
        }
    }
    for k in keys {
        p.check(&["LRANGE", k, "0", "-1"]);
        p.check(&["LLEN", k]);
    }
}

#[test]
fn big_lists_under_several_node_sizes() {
    let mut p = Pair::new();
    let mut rng = StdRng::seed_from_u64(0x11575);
    for fill in ["-2", "3", "-1", "1", "0", "-5", "128", "-100"] {
        p.check(&["CONFIG", "SET", "list-max-listpack-size", fill]);
        p.check(&["DEL", "r1", "r2"]);
        // 10 000 elements, then random edits throughout.
        for chunk in 0..10 {
            let mut cmd = vec![if chunk % 2 == 0 { "RPUSH" } else { "LPUSH" }.to_owned()];
            cmd.push("r1".into());
            cmd.extend((0..1000).map(|i| format!("{}", (chunk * 1000 + i) % 37)));
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            p.check(&args);
        }
        p.check(&["LRANGE", "r1", "0", "-1"]);
        p.check(&["LINDEX", "r1", "5000"]);
        p.check(&["LINDEX", "r1", "-2"]);
        p.check(&["LRANGE", "r1", "-10", "-1"]);
        p.check(&["LRANGE", "r1", "4990", "5010"]);
        random_ops(&mut p, &mut rng, 1200);
        p.check(&["LTRIM", "r1", "100", "-100"]);
        p.check(&["LRANGE", "r1", "0", "-1"]);
        p.check(&["LPOP", "r1", "3000"]);
        p.check(&["RPOP", "r1", "3000"]);
        p.check(&["LRANGE", "r1", "0", "-1"]);
    }
    p.check(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
}

#[test]
fn numkeys_commands_report_their_keys_like_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "COMMAND GETKEYS LMPOP 2 a b LEFT",
        "COMMAND GETKEYS LMPOP 3 a b LEFT",
        "COMMAND GETKEYS LMPOP 0 a LEFT",
        "COMMAND GETKEYS LMPOP 5 a b LEFT",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT COUNT 3",
        "COMMAND GETKEYS BLPOP a b c 0",
        "COMMAND GETKEYS BLMOVE a b LEFT RIGHT 0",
    ]);
}
