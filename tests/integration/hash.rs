//! The hash group against the real Redis: every command with its errors and
//! edge cases, byte for byte; the `listpack`/`hashtable` encodings at and
//! across both thresholds (also lowered by CONFIG SET); RESP3 forms; and,
//! where Redis's reply is random or its order unspecified, the shape and
//! content of both servers' replies.

use std::collections::{BTreeMap, BTreeSet};

use ferrite_testkit::{
    bulk_payload as payload, bulk_strings as strings, flat_elements, show, Pair,
};

/// `f12` → `v12`: the value [`fill`] gives a field when `value_len` is 1.
fn value_of(field: &[u8]) -> Vec<u8> {
    let mut v = field.to_vec();
    if let Some(first) = v.first_mut() {
        *first = b'v';
    }
    v
}

/// A flat field/value reply as a map, asserting no field repeats.
fn pairs(reply: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let s = strings(reply);
    assert!(s.len().is_multiple_of(2), "odd pair list: {}", show(reply));
    let map: BTreeMap<_, _> = s.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    assert_eq!(map.len(), s.len() / 2, "repeated field: {}", show(reply));
    map
}

/// Sends a command to both servers and asserts their field/value replies
/// hold the same pairs (for `hashtable` hashes, whose order differs).
fn check_pairs(p: &mut Pair, args: &[&str]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    let (f, r) = p.both_bytes(&a);
    let head = |b: &[u8]| {
        b.iter()
            .take_while(|&&c| c != b'\r')
            .copied()
            .collect::<Vec<u8>>()
    };
    assert_eq!(show(&head(&f)), show(&head(&r)), "{args:?} header");
    let (fm, rm) = (pairs(&f), pairs(&r));
    assert_eq!(
        fm,
        rm,
        "{args:?}\n ferrite: {}\n   redis: {}",
        show(&f),
        show(&r)
    );
    fm
}

/// `HSET key f0 v0 ... f{n-1} v{n-1}` on both servers.
fn fill(p: &mut Pair, key: &str, n: usize, value_len: usize) {
    let mut args = vec!["HSET".to_owned(), key.to_owned()];
    for i in 0..n {
        args.push(format!("f{i}"));
        let v = format!("v{i}");
        args.push(format!("{v:x<value_len$}"));
    }
    p.check_strings(&args);
}

#[test]
fn set_get_delete_and_arity_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "HSET h",
        "HSET h f",
        "HSET h f v g",
        "HMSET h f",
        "HMSET h f v g",
        "HSET h f v",
        "HSET h f v f w",
        "HGETALL h",
        "HSET h f v g w",
        "HMSET h a b",
        "HSETNX h a c",
        "HSETNX h z c",
        "HSETNX h",
        "HGET h a",
        "HGET h zz",
        "HGET nokey f",
        "HGET h",
        "HMGET h a zz f",
        "HMGET nokey a b",
        "HMGET h",
        "HLEN h",
        "HLEN nokey",
        "HLEN h x",
        "HSTRLEN h a",
        "HSTRLEN h nope",
        "HSTRLEN nokey f",
        "HEXISTS h a",
        "HEXISTS h nope",
        "HEXISTS nokey a",
        "HGETALL h",
        "HKEYS h",
        "HVALS h",
        "HKEYS nokey",
        "HVALS nokey",
        "HGETALL nokey",
        "HDEL h a zz a",
        "HDEL h",
        "HDEL h f g z",
        "EXISTS h",
        "HDEL h f",
        "HDEL nokey f",
        "hset Mixed F V",
        "HGET Mixed F",
        "HGET Mixed f",
        "TYPE Mixed",
    ]);
    // Empty and binary-safe fields and values.
    p.check(&["HSET", "e", "", ""]);
    p.check(&["HGET", "e", ""]);
    p.check(&["HSTRLEN", "e", ""]);
    p.check(&["HEXISTS", "e", ""]);
    p.check_bytes(&[b"HSET", b"bin", b"a\0b\r\n", b"\xff\x00\xfe", b"\0", b""]);
    p.check_bytes(&[b"HGET", b"bin", b"a\0b\r\n"]);
    p.check_bytes(&[b"HGETALL", b"bin"]);
    p.check_bytes(&[b"HSTRLEN", b"bin", b"a\0b\r\n"]);
    p.check_bytes(&[b"HDEL", b"bin", b"\0", b"a\0b"]);
    p.check_bytes(&[b"HGETALL", b"bin"]);
    // HSTRLEN of values Redis's listpack stores as integers.
    p.check_all(&[
        "HSET n i 123 neg -45 big 9223372036854775807 huge 92233720368547758070 z 0 lead 007 mz -0",
        "HSTRLEN n i",
        "HSTRLEN n neg",
        "HSTRLEN n big",
        "HSTRLEN n huge",
        "HSTRLEN n z",
        "HSTRLEN n lead",
        "HSTRLEN n mz",
        "HGETALL n",
        "OBJECT ENCODING n",
    ]);
}

#[test]
fn wrong_types_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET str x",
        "HSET str f v",
        "HMSET str f v",
        "HSETNX str f v",
        "HGET str f",
        "HMGET str f g",
        "HDEL str f",
        "HLEN str",
        "HSTRLEN str f",
        "HEXISTS str f",
        "HKEYS str",
        "HVALS str",
        "HGETALL str",
        "HINCRBY str f 1",
        "HINCRBY str f x",
        "HINCRBYFLOAT str f 1",
        "HINCRBYFLOAT str f x",
        "HINCRBYFLOAT str f inf",
        "HRANDFIELD str",
        "HRANDFIELD str 1",
        "HRANDFIELD str 1 WITHVALUES",
        "HRANDFIELD str x",
        "HRANDFIELD str 1 junk",
        "HSCAN str 0",
        "HSCAN str 0 junk",
        "HSCAN str x",
        "HSET str f",
        "GET str",
        // And the other way: string commands on a hash.
        "HSET h f v",
        "GET h",
        "INCR h",
        "APPEND h x",
        "STRLEN h",
        "SET h x",
        "TYPE h",
        "HGET h f",
    ]);
}

#[test]
fn counters_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "HINCRBY h n 5",
        "HINCRBY h n -7",
        "HINCRBY h n 0",
        "HINCRBY h n x",
        "HINCRBY h n 1.0",
        "HINCRBY h n ''",
        "HINCRBY h n 9223372036854775808",
        "HSET h max 9223372036854775807 min -9223372036854775808 s abc f 1.5 e '' lead 007",
        "HINCRBY h max 1",
        "HINCRBY h max 0",
        "HINCRBY h min -1",
        "HINCRBY h min 9223372036854775807",
        "HINCRBY h s 1",
        "HINCRBY h f 1",
        "HINCRBY h e 1",
        "HINCRBY h lead 1",
        "HINCRBY nokey f -9223372036854775808",
        "HGETALL nokey",
        "HINCRBYFLOAT h f 1.1",
        "HINCRBYFLOAT h f 1e400",
        "HINCRBYFLOAT h f inf",
        "HINCRBYFLOAT h f -inf",
        "HINCRBYFLOAT h f +inf",
        "HINCRBYFLOAT h f nan",
        "HINCRBYFLOAT h f abc",
        "HINCRBYFLOAT h f ''",
        "HINCRBYFLOAT h s 1",
        "HINCRBYFLOAT h e 1",
        "HINCRBYFLOAT h lead 1",
        "HINCRBYFLOAT h n 3.0",
        "HINCRBYFLOAT h n 1e10",
        "HINCRBYFLOAT h x 0x10",
        "HINCRBYFLOAT h x 1e-20",
        "HINCRBYFLOAT h y -0.000000000000000015",
        "HINCRBYFLOAT h max 1",
        "HINCRBYFLOAT nokey2 f 2.50",
        "HGETALL nokey2",
        "HSET h inf inf big 1e4932",
        "HINCRBYFLOAT h inf 1",
        "HINCRBYFLOAT h big 1e4932",
        "HINCRBYFLOAT h big -1e4932",
        "HINCRBYFLOAT h huge 1.7e308",
        "OBJECT ENCODING h",
        "HINCRBY h",
        "HINCRBYFLOAT h f",
    ]);
    // Values with spaces around a number are not numbers.
    p.check(&["HSET", "h", "sp", " 1", "tr", "1 "]);
    for f in ["sp", "tr"] {
        p.check(&["HINCRBYFLOAT", "h", f, "1"]);
        p.check(&["HINCRBY", "h", f, "1"]);
    }
    // The 401-digit value made it a table: compare contents.
    let all = check_pairs(&mut p, &["HGETALL", "h"]);
    assert_eq!(all.get(&b"huge"[..]).map(Vec::len), Some(309));
    p.check(&["HINCRBYFLOAT", "h", "f", " 1"]);
    p.check(&["HINCRBYFLOAT", "h", "f", "1 "]);
    p.check(&["HINCRBY", "h", "n", " 1"]);
    // The TTL stays.
    p.check_all(&[
        "EXPIRE h 1000",
        "HINCRBY h n 1",
        "TTL h",
        "HINCRBYFLOAT h n 1",
        "TTL h",
    ]);
}

#[test]
fn encodings_at_default_thresholds_match_redis() {
    let mut p = Pair::new();
    // 512 fields stay packed, 513 convert.
    fill(&mut p, "e512", 512, 2);
    p.check(&["OBJECT", "ENCODING", "e512"]);
    p.check(&["HSET", "e512", "f0", "changed"]);
    p.check(&["OBJECT", "ENCODING", "e512"]);
    p.check(&["HSET", "e512", "extra", "x"]);
    p.check(&["OBJECT", "ENCODING", "e512"]);
    p.check(&["HDEL", "e512", "extra", "f1", "f2"]);
    p.check(&["OBJECT", "ENCODING", "e512"]);
    // One HSET of 513 fields converts too.
    fill(&mut p, "e513", 513, 2);
    p.check(&["OBJECT", "ENCODING", "e513"]);
    check_pairs(&mut p, &["HGETALL", "e513"]);
    // 64-byte fields and values stay packed, 65 convert.
    let b64 = "b".repeat(64);
    let b65 = "b".repeat(65);
    for (key, f, v) in [
        ("v1", b64.as_str(), b64.as_str()),
        ("v2", b65.as_str(), "x"),
        ("v3", "x", b65.as_str()),
    ] {
        p.check(&["HSET", key, f, v]);
        p.check(&["OBJECT", "ENCODING", key]);
    }
    p.check(&["HSETNX", "v1", &b64, &b65]);
    p.check(&["OBJECT", "ENCODING", "v1"]);
    p.check(&["HSETNX", "v1", "new", &b65]);
    p.check(&["OBJECT", "ENCODING", "v1"]);
    p.check(&["HSET", "v4", "a", "1"]);
    p.check(&["HINCRBYFLOAT", "v4", "a", "1e60"]);
    p.check(&["OBJECT", "ENCODING", "v4"]);
    p.check(&["HINCRBYFLOAT", "v4", "a", "1e63"]);
    p.check(&["OBJECT", "ENCODING", "v4"]);
    p.check_all(&[
        "HSET v5 a 1",
        "OBJECT ENCODING v5",
        "HDEL v5 a",
        "OBJECT ENCODING v5",
    ]);
}

#[test]
fn encodings_at_lowered_thresholds_match_redis() {
    let mut p = Pair::new();
    // Hashes built before the change keep their encoding until written.
    p.check_all(&[
        "HSET g a 1 b 2 c 3",
        "HSET i a 1 b 2 c 3",
        "HSET j a 1 b 2 c 3",
        "HSET k a 1 b 2 c 3",
        "CONFIG SET hash-max-listpack-entries 2",
        "CONFIG SET hash-max-listpack-value 3",
        "OBJECT ENCODING g",
        "HSET g a 5",
        "OBJECT ENCODING g",
        "HINCRBY i a 1",
        "OBJECT ENCODING i",
        "HSETNX j a 1",
        "OBJECT ENCODING j",
        "HDEL k a",
        "OBJECT ENCODING k",
        "HGET k b",
        "OBJECT ENCODING k",
        "HSET a f1 v1 f2 v2",
        "OBJECT ENCODING a",
        "HSET a f3 v3",
        "OBJECT ENCODING a",
        "HDEL a f3 f2",
        "OBJECT ENCODING a",
        "HGETALL a",
        "HSET b f1 v1 f2 v2 f3 v3",
        "OBJECT ENCODING b",
        "HSET m f1 v1 f1 v2 f1 v3",
        "OBJECT ENCODING m",
        "HSET c abc def",
        "OBJECT ENCODING c",
        "HSET d abcd e",
        "OBJECT ENCODING d",
        "HSET e a abcd",
        "OBJECT ENCODING e",
        "HSET t a b",
        "HSET t a 1234",
        "OBJECT ENCODING t",
        "HSET o a b",
        "HSETNX o a LONGVAL",
        "OBJECT ENCODING o",
        "HSETNX o LONGF x",
        "OBJECT ENCODING o",
        "HSET q a b",
        "HINCRBY q LONGF x",
        "OBJECT ENCODING q",
        "HINCRBY q LONGF 1",
        "OBJECT ENCODING q",
        "HSET r a b",
        "HINCRBYFLOAT r a 1",
        "OBJECT ENCODING r",
        "HSET s a 1",
        "HINCRBY s a 998",
        "OBJECT ENCODING s",
        "HINCRBY s a 1",
        "OBJECT ENCODING s",
        "HSET f a 1",
        "HINCRBYFLOAT f a 0.5",
        "OBJECT ENCODING f",
        "HINCRBYFLOAT f a 100",
        "OBJECT ENCODING f",
        "HSET x y 1",
        "HINCRBYFLOAT x newf 1",
        "OBJECT ENCODING x",
        "CONFIG SET hash-max-listpack-entries 0",
        "HSET z '' ''",
        "OBJECT ENCODING z",
        "CONFIG SET hash-max-listpack-entries 512",
        "CONFIG SET hash-max-listpack-value 0",
        "HSET y '' ''",
        "OBJECT ENCODING y",
        "HSET y '' a",
        "OBJECT ENCODING y",
    ]);
    // COPY keeps the encoding, as Redis's duplicate does.
    p.check_all(&[
        "COPY y y2",
        "OBJECT ENCODING y2",
        "COPY c c2",
        "OBJECT ENCODING c2",
        "HGETALL c2",
    ]);
}

#[test]
fn order_follows_the_encoding() {
    let mut p = Pair::new();
    // Packed: insertion order, updates in place, deletions close the gap.
    p.check_all(&[
        "HSET h a 1 b 2 c 3 ab 4",
        "HDEL h a",
        "HSET h a 9 b 8",
        "HGETALL h",
        "HKEYS h",
        "HVALS h",
        "HSCAN h 0",
        "HRANDFIELD h 100",
        "HRANDFIELD h 4 WITHVALUES",
    ]);
    // Table: same contents, any order.
    fill(&mut p, "t", 600, 3);
    p.check(&["HDEL", "t", "f7", "f100", "nope"]);
    let all = check_pairs(&mut p, &["HGETALL", "t"]);
    assert_eq!(all.len(), 598);
    p.check_unordered(&["HKEYS", "t"]);
    p.check_unordered(&["HVALS", "t"]);
    check_pairs(&mut p, &["HRANDFIELD", "t", "1000", "WITHVALUES"]);
    p.check_unordered(&["HRANDFIELD", "t", "598"]);
}

#[test]
fn resp3_forms_match_redis() {
    let mut p = Pair::new();
    p.hello3();
    p.check_all(&[
        "HSET h a 1 b 2",
        "HGETALL h",
        "HGETALL nokey",
        "HKEYS h",
        "HKEYS nokey",
        "HVALS nokey",
        "HGET h a",
        "HGET h zz",
        "HGET nokey a",
        "HMGET h a zz",
        "HRANDFIELD nokey",
        "HRANDFIELD nokey 3",
        "HRANDFIELD nokey -3 WITHVALUES",
        "HRANDFIELD h 5 WITHVALUES",
        "HRANDFIELD h 0 WITHVALUES",
        "HSCAN h 0",
        "HSCAN nokey 0",
        "HINCRBYFLOAT h a 0.5",
        "HSET one f v",
        "HRANDFIELD one -3 WITHVALUES",
        "HRANDFIELD one -2",
        "HRANDFIELD one",
    ]);
    fill(&mut p, "t", 600, 1);
    check_pairs(&mut p, &["HGETALL", "t"]);
    // WITHVALUES: an array of [field, value] pairs.
    for args in [
        &["HRANDFIELD", "t", "-5", "WITHVALUES"][..],
        &["HRANDFIELD", "t", "5", "WITHVALUES"],
    ] {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        let (f, r) = p.both_bytes(&a);
        for reply in [&f, &r] {
            let items = flat_elements(reply);
            assert_eq!(items.len(), 5, "{}", show(reply));
            for item in items {
                let pair = strings(&item);
                assert!(item.starts_with(b"*2\r\n"), "{}", show(&item));
                assert_eq!(pair[1], value_of(&pair[0]), "{}", show(&item));
            }
        }
    }
}

#[test]
fn hrandfield_arguments_and_shapes_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "HRANDFIELD nokey",
        "HRANDFIELD nokey 5",
        "HRANDFIELD nokey 0",
        "HRANDFIELD nokey -5 WITHVALUES",
        "HRANDFIELD nokey 5 junk",
        "HRANDFIELD nokey x junk",
        "HRANDFIELD nokey 1 WITHVALUES junk",
        "HRANDFIELD nokey 1.5",
        "HRANDFIELD nokey -9223372036854775808",
        "HRANDFIELD nokey 9223372036854775808",
        "HRANDFIELD nokey -9223372036854775807",
        "HRANDFIELD nokey -9223372036854775807 WITHVALUES",
        "HRANDFIELD nokey -4611686018427387903 withvalues",
        "HRANDFIELD nokey -4611686018427387904 withvalues",
        "HRANDFIELD nokey 4611686018427387903 withvalues",
        "HRANDFIELD nokey 4611686018427387904 withvalues",
        "HSET one a 1",
        "HRANDFIELD one",
        "HRANDFIELD one 0",
        "HRANDFIELD one 3",
        "HRANDFIELD one -3",
        "HRANDFIELD one -3 withvalues",
        "HRANDFIELD one 3 WithValues",
    ]);
    p.check_bytes(&[b"HRANDFIELD", b"one", b"1", b"withvalues\0junk"]);
    // Random picks, checked by shape on both servers, for both encodings.
    fill(&mut p, "small", 20, 1);
    fill(&mut p, "large", 700, 1);
    for (key, size) in [("small", 20usize), ("large", 700)] {
        let members: BTreeSet<Vec<u8>> = (0..size).map(|i| format!("f{i}").into_bytes()).collect();
        for _ in 0..5 {
            let k = key.as_bytes();
            let (f, r) = p.both_bytes(&[b"HRANDFIELD", k]);
            for one in [f, r] {
                assert!(members.contains(&payload(&one)), "{}", show(&one));
            }
            // A positive count below the size: that many distinct fields.
            let (f, r) = p.both_bytes(&[b"HRANDFIELD", k, b"7"]);
            for reply in [f, r] {
                let s = strings(&reply);
                assert_eq!(s.len(), 7);
                assert_eq!(s.iter().collect::<BTreeSet<_>>().len(), 7);
                assert!(s.iter().all(|x| members.contains(x)));
            }
            // A negative count: exactly |count| fields, repetition allowed.
            let (f, r) = p.both_bytes(&[b"HRANDFIELD", k, b"-1000"]);
            for reply in [f, r] {
                let s = strings(&reply);
                assert_eq!(s.len(), 1000);
                assert!(s.iter().all(|x| members.contains(x)));
                if size == 20 {
                    assert!(s.iter().collect::<BTreeSet<_>>().len() > 10, "spread");
                }
            }
            // WITHVALUES pairs each field with its own value.
            for count in [&b"-15"[..], b"15"] {
                let (f, r) = p.both_bytes(&[b"HRANDFIELD", k, count, b"WITHVALUES"]);
                for reply in [f, r] {
                    let s = strings(&reply);
                    assert_eq!(s.len(), 30);
                    for pair in s.chunks(2) {
                        assert!(members.contains(&pair[0]));
                        assert_eq!(pair[1], value_of(&pair[0]));
                    }
                }
            }
        }
        // A count at least the size: the whole hash, each field once.
        let n = size.to_string();
        let all = p.check_unordered(&["HRANDFIELD", key, &n]);
        assert_eq!(all.len(), size);
        let m = check_pairs(&mut p, &["HRANDFIELD", key, "99999", "WITHVALUES"]);
        assert_eq!(m.len(), size);
    }
}

/// Runs a full HSCAN on one server, returning the union of all pages and
/// the number of calls.
fn full_scan(
    c: &mut ferrite_testkit::RawClient,
    key: &str,
    opts: &[&str],
) -> (BTreeMap<Vec<u8>, Vec<u8>>, usize) {
    let mut seen = BTreeMap::new();
    let mut cursor = b"0".to_vec();
    let mut calls = 0;
    loop {
        let mut args: Vec<&[u8]> = vec![b"HSCAN", key.as_bytes(), &cursor];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        let reply = c.cmd(&args);
        let parts = flat_elements(&reply);
        assert_eq!(parts.len(), 2, "{}", show(&reply));
        let next = payload(&parts[0]);
        for (f, v) in strings(&parts[1])
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
        {
            seen.insert(f, v);
        }
        calls += 1;
        assert!(calls < 10_000, "scan does not end");
        if next == b"0" {
            return (seen, calls);
        }
        cursor = next;
    }
}

#[test]
fn hscan_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "HSCAN nokey 0",
        "HSCAN nokey x",
        "HSCAN nokey 0 junk",
        "HSCAN nokey 0 COUNT 0",
        "HSET h a 1 b 2 c 3 ab 4",
        "HSCAN h 0",
        "HSCAN h 5",
        "HSCAN h -1",
        "HSCAN h ''",
        "HSCAN h +0",
        "HSCAN h 0 MATCH a*",
        "HSCAN h 0 match b* match a*",
        "HSCAN h 0 MATCH *",
        "HSCAN h 0 COUNT 1",
        "HSCAN h 7 COUNT 1 MATCH b",
        "HSCAN h 0 MATCH type",
        "HSCAN h 0 COUNT 0",
        "HSCAN h 0 COUNT -1",
        "HSCAN h 0 COUNT x",
        "HSCAN h 0 TYPE string",
        "HSCAN h 0 NOVALUES",
        "HSCAN h 0 MATCH",
        "HSCAN h 0 MATCH a* COUNT 0",
        "HSCAN h 0 COUNT 0 TYPE x",
        "HSCAN h 0 TYPE x COUNT y",
        "HSCAN h 0 COUNT y TYPE x",
        "HSCAN h 0 junk",
        "HSCAN h x",
        "HSCAN h 1x",
        "HSCAN h 18446744073709551615",
        "HSCAN h 18446744073709551616",
        "HSCAN h",
    ]);
    p.check(&["HSCAN", "h", " 1"]);
    // A table, in pages: every field exactly as stored, on both servers.
    fill(&mut p, "t", 1000, 1);
    let want: BTreeMap<Vec<u8>, Vec<u8>> = (0..1000)
        .map(|i| (format!("f{i}").into_bytes(), format!("v{i}").into_bytes()))
        .collect();
    for opts in [&[][..], &["COUNT", "37"], &["COUNT", "1000000"]] {
        let (f, f_calls) = full_scan(&mut p.ferrite, "t", opts);
        let (r, _) = full_scan(&mut p.redis, "t", opts);
        assert_eq!(f, want, "{opts:?}");
        assert_eq!(r, want, "{opts:?}");
        if opts.is_empty() {
            assert!(f_calls > 1, "a table scans in pages");
        }
    }
    let matching: BTreeMap<Vec<u8>, Vec<u8>> = want
        .iter()
        .filter(|(k, _)| k.starts_with(b"f1") && k.len() == 3)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (f, _) = full_scan(&mut p.ferrite, "t", &["MATCH", "f1?", "COUNT", "50"]);
    let (r, _) = full_scan(&mut p.redis, "t", &["MATCH", "f1?", "COUNT", "50"]);
    assert_eq!(f, matching);
    assert_eq!(r, matching);
    // Deleting during the scan: fields present throughout are all returned.
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut deleted = BTreeSet::new();
    let mut round = 0;
    loop {
        let reply = p.ferrite.cmd(&[b"HSCAN", b"t", &cursor, b"COUNT", b"20"]);
        let parts = flat_elements(&reply);
        for pair in strings(&parts[1]).chunks(2) {
            seen.insert(pair[0].clone());
        }
        round += 1;
        let doomed = format!("f{}", (round * 13) % 1000).into_bytes();
        p.ferrite.cmd(&[b"HDEL", b"t", &doomed]);
        deleted.insert(doomed);
        cursor = payload(&parts[0]);
        if cursor == b"0" {
            break;
        }
    }
    for f in want.keys() {
        assert!(
            seen.contains(f) || deleted.contains(f),
            "{} missed",
            show(f)
        );
    }
}

#[test]
fn keyspace_commands_on_hashes_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "HSET h a 1 b 2",
        "TYPE h",
        "EXISTS h",
        "EXPIRE h 100",
        "TTL h",
        "HSET h c 3",
        "TTL h",
        "HDEL h a",
        "TTL h",
        "RENAME h h2",
        "HGETALL h2",
        "OBJECT ENCODING h2",
        "COPY h2 h3",
        "HSET h3 z 26",
        "HGETALL h2",
        "HGETALL h3",
        "DEL h2",
        "HGETALL h2",
        "HDEL h3 b c z",
        "EXISTS h3",
        "HINCRBY gone f 1",
        "PEXPIRE gone 1",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    p.check_all(&["HGET gone f", "HSET gone g 1", "HGETALL gone", "TTL gone"]);
}

/// HRANDFIELD with a negative count repeats picks without bound in Redis;
/// Ferrite refuses a reply that must exceed proto-max-bulk-len instead of
/// building it (Ferrite-only behaviour, so no oracle here).
#[test]
fn hrandfield_refuses_a_reply_beyond_proto_max_bulk_len() {
    let server = ferrite_testkit::TestServer::start();
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["HSET", "h", "a", "1", "b", "2"]), b":2\r\n");
    let too_large = b"-ERR count is too large: the reply would exceed proto-max-bulk-len\r\n";
    assert_eq!(
        c.cmd_str(&["HRANDFIELD", "h", "-9223372036854775807"]),
        too_large
    );
    // 1mb (the smallest value allowed) / 7 bytes = 149796 picks.
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["HRANDFIELD", "h", "-149797"]), too_large);
    let r = c.cmd_str(&["HRANDFIELD", "h", "-149796"]);
    assert!(
        r.starts_with(b"*149796\r\n"),
        "{}",
        ferrite_testkit::show(&r[..20])
    );
    // Positive counts are bounded by the hash's size and stay allowed.
    let r = c.cmd_str(&["HRANDFIELD", "h", "9223372036854775807"]);
    assert!(r.starts_with(b"*2\r\n"), "{}", ferrite_testkit::show(&r));
}
