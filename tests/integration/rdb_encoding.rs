//! DUMP, DEBUG OBJECT, RESTORE and RDB files against redis-server 7.0: the
//! RDB encoding of every encoding of every type, built by the same commands
//! on both servers; Redis's payloads restored into both (contents,
//! encodings, errors, corrupt payloads, events); files
//! SAVEd by Redis read by Ferrite's reader, and files from Ferrite's writer
//! checked by `redis-check-rdb` and loaded by redis-server.
//!
//! DUMP payloads must be byte-identical, except for big hashes and sets,
//! whose elements Redis writes in its hash order: those are compared by
//! length, count and the sorted decoded elements. DEBUG OBJECT's
//! `encoding`, `serializedlength` and `ql_*` fields must be equal (the
//! address and the LRU clock legitimately differ). What cannot be exact
//! (list node boundaries after pushes at the head or mid-list edits, intset
//! widths after their widest members left) is documented in
//! `ferrite_persistence::rdb::encode` and not tested here.

use ferrite_testkit::{bulk_payload, show, Pair};

fn pair() -> Pair {
    Pair::with_args(
        &["--shards", "3", "--enable-debug-command", "yes"],
        &["--enable-debug-command", "yes"],
    )
}

/// Deterministic pseudo-random bytes (incompressible in practice).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// Bytes from a small alphabet: partly compressible, in varying degrees.
fn texty(n: usize, seed: u64, alphabet: &[u8]) -> Vec<u8> {
    noise(n, seed)
        .into_iter()
        .map(|b| alphabet[b as usize % alphabet.len()])
        .collect()
}

fn run(p: &mut Pair, args: &[&[u8]]) {
    p.check_bytes(args);
}

/// DEBUG OBJECT's `name:value` fields, without the `Value at:` address.
fn debug_fields(reply: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(reply);
    assert!(
        text.starts_with("+Value at:0x"),
        "DEBUG OBJECT reply: {}",
        show(reply)
    );
    text.trim_end()
        .split(' ')
        .skip(2)
        .filter_map(|f| f.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts equal DEBUG OBJECT figures (all but the address and the clock).
fn check_debug(p: &mut Pair, key: &[u8]) {
    let (f, r) = p.both_bytes(&[b"DEBUG", b"OBJECT", key]);
    let keep = |fields: Vec<(String, String)>| -> Vec<(String, String)> {
        fields
            .into_iter()
            .filter(|(k, _)| k != "lru" && k != "lru_seconds_idle")
            .collect()
    };
    let (ff, rf) = (debug_fields(&f), debug_fields(&r));
    let names = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&ff),
        names(&rf),
        "DEBUG OBJECT fields of {}",
        show(key)
    );
    assert_eq!(
        keep(ff),
        keep(rf),
        "DEBUG OBJECT {}\n ferrite: {}\n   redis: {}",
        show(key),
        show(&f),
        show(&r)
    );
}

/// Asserts byte-identical DUMP payloads and DEBUG OBJECT figures.
fn check_key(p: &mut Pair, key: &[u8]) {
    let (f, r) = p.both_bytes(&[b"DUMP", key]);
    assert!(r.starts_with(b"$"), "no value under {}", show(key));
    assert_eq!(
        show(&f),
        show(&r),
        "DUMP {} differs (type {:?})",
        show(key),
        bulk_payload(&r).first()
    );
    check_debug(p, key);
}

/// A reader of the RDB objects whose order is Redis's hash order.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        self.i += 1;
        self.b[self.i - 1]
    }

    fn take(&mut self, n: usize) -> &[u8] {
        self.i += n;
        &self.b[self.i - n..self.i]
    }

    /// A length, or (for the special string encodings) 0xC0 + the encoding.
    fn len(&mut self) -> u64 {
        let b = self.byte();
        match b >> 6 {
            0 => u64::from(b & 0x3F),
            1 => (u64::from(b & 0x3F) << 8) | u64::from(self.byte()),
            2 if b == 0x80 => u64::from(u32::from_be_bytes(self.take(4).try_into().unwrap())),
            2 => u64::from_be_bytes(self.take(8).try_into().unwrap()),
            _ => 1 << 40 | u64::from(b & 0x3F),
        }
    }

    fn string(&mut self) -> Vec<u8> {
        match self.len() {
            n if n < 1 << 40 => self.take(n as usize).to_vec(),
            n => match n & 0x3F {
                0 => (self.byte() as i8).to_string().into_bytes(),
                1 => i16::from_le_bytes(self.take(2).try_into().unwrap())
                    .to_string()
                    .into_bytes(),
                2 => i32::from_le_bytes(self.take(4).try_into().unwrap())
                    .to_string()
                    .into_bytes(),
                3 => {
                    let clen = self.len() as usize;
                    let len = self.len() as usize;
                    let data = self.take(clen).to_vec();
                    ferrite_persistence::lzf::decompress(&data, len).expect("valid LZF")
                }
                e => panic!("unknown string encoding {e}"),
            },
        }
    }
}

/// (type, count, sorted elements) of a big hash (pairs joined) or set payload.
fn decode_unordered(payload: &[u8]) -> (u8, u64, Vec<Vec<u8>>) {
    let mut r = Reader { b: payload, i: 0 };
    let t = r.byte();
    let n = r.len();
    let mut items: Vec<Vec<u8>> = (0..n)
        .map(|_| match t {
            4 => {
                let mut f = r.string();
                f.push(0);
                f.extend(r.string());
                f
            }
            2 => r.string(),
            _ => panic!("type {t} is not a big hash or set"),
        })
        .collect();
    assert_eq!(r.i, payload.len() - 10, "trailing bytes after the object");
    items.sort();
    (t, n, items)
}

/// For big hashes and sets: same length, type, count and elements; equal
/// DEBUG OBJECT figures.
fn check_unordered_key(p: &mut Pair, key: &[u8]) {
    let (f, r) = p.both_bytes(&[b"DUMP", key]);
    let (f, r) = (bulk_payload(&f), bulk_payload(&r));
    assert_eq!(f.len(), r.len(), "DUMP {} lengths", show(key));
    assert_eq!(
        decode_unordered(&f),
        decode_unordered(&r),
        "DUMP {}",
        show(key)
    );
    check_debug(p, key);
}

const INTS: &[i64] = &[
    0,
    1,
    -1,
    12,
    127,
    -128,
    128,
    -129,
    4095,
    -4096,
    4096,
    -4097,
    32767,
    -32768,
    32768,
    -32769,
    8_388_607,
    -8_388_608,
    8_388_608,
    -8_388_609,
    2_147_483_647,
    -2_147_483_648,
    2_147_483_648,
    -2_147_483_649,
    i64::MAX,
    i64::MIN,
];

/// Strings of every class: integers of every width, non-canonical
/// integers, short, long, compressible and incompressible, binary.
fn strings() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = INTS.iter().map(|n| n.to_string().into_bytes()).collect();
    for s in [
        &b""[..],
        b"a",
        b"007",
        b"-0",
        b"+1",
        b"1.5",
        b" 1",
        b"12345678901",
    ] {
        v.push(s.to_vec());
    }
    for n in [20, 21, 22, 24, 25, 40, 63, 64, 100, 1000, 4095, 4096, 20000] {
        v.push(vec![b'a'; n]);
        v.push(texty(n, n as u64, b"ab"));
        v.push(texty(n, n as u64 + 7, b"abcdefghij"));
        v.push(noise(n, n as u64));
    }
    // Around the "saves four bytes" bound: short strings with one repeat.
    for n in 21..48 {
        let mut s = noise(n, 1000 + n as u64);
        let k = n / 3;
        let head: Vec<u8> = s[..k].to_vec();
        s[n - k..].copy_from_slice(&head);
        v.push(s);
    }
    v.push(b"abc\0\xff\r\nabcabcabcabcabcabcabcabc".to_vec());
    v.push(b"element-00000000000000000000000000-element".to_vec());
    v
}

#[test]
fn dump_and_debug_object_of_strings() {
    let mut p = pair();
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        for (i, s) in strings().iter().enumerate() {
            let key = format!("s{i}");
            run(&mut p, &[b"SET", key.as_bytes(), s]);
            check_key(&mut p, key.as_bytes());
        }
        // Raw strings (modified in place), including one that is an integer.
        p.check(&["SET", "r1", "12"]);
        p.check(&["APPEND", "r1", "3"]);
        check_key(&mut p, b"r1");
        p.check(&["SETRANGE", "r2", "30", "x"]);
        check_key(&mut p, b"r2");
        p.check(&["SET", "r3", "hello"]);
        p.check(&["APPEND", "r3", " world, hello world, hello world"]);
        check_key(&mut p, b"r3");
        p.check(&["INCRBY", "r4", "100000"]);
        check_key(&mut p, b"r4");
        p.check(&["SETBIT", "r5", "1000", "1"]);
        check_key(&mut p, b"r5");
    }
    p.check(&["DUMP", "nosuchkey"]);
    p.check(&["DUMP"]);
    p.check(&["DUMP", "a", "b"]);
    p.check(&["DEBUG", "OBJECT", "nosuchkey"]);
    p.check(&["DEBUG", "OBJECT"]);
    p.check(&["DEBUG", "Object", "a", "b"]);
}

/// LZF output and Redis's keep-or-not decision over many inputs: lengths
/// around the 20-byte floor, past the 8 KiB reference window and past the
/// 64 Ki-slot hash table, alphabets from one byte to all 256.
#[test]
fn lzf_matches_redis_over_many_strings() {
    let mut p = pair();
    let alphabets: [&[u8]; 5] = [
        b"a",
        b"ab",
        b"abcd",
        b"0123456789abcdef",
        b"the quick brown fox ",
    ];
    let mut i = 0u64;
    for len in [
        21, 22, 23, 26, 30, 33, 50, 64, 65, 200, 1000, 8191, 8192, 8193, 9000, 70_000,
    ] {
        for alphabet in alphabets {
            i += 1;
            let v = texty(len, i, alphabet);
            run(&mut p, &[b"SET", b"k", &v]);
            check_key(&mut p, b"k");
        }
        // Repeats of a random block: matches at exactly its distance.
        let block = noise(len.min(9000) / 3 + 1, i);
        let v: Vec<u8> = block.iter().copied().cycle().take(len).collect();
        run(&mut p, &[b"SET", b"k", &v]);
        check_key(&mut p, b"k");
    }
}

#[test]
fn dump_and_debug_object_of_lists() {
    let mut p = pair();
    let all = strings();
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        // One node holding every entry encoding.
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"small"];
        args.extend(all.iter().filter(|s| s.len() <= 4096).map(Vec::as_slice));
        run(&mut p, &args);
        check_key(&mut p, b"small");
        // Many nodes, compressible and not; elements of mixed sizes.
        for (name, items) in [
            (
                "ten",
                (0..1000)
                    .map(|_| b"aaaaaaaaaa".to_vec())
                    .collect::<Vec<_>>(),
            ),
            (
                "ints",
                (0..3000)
                    .map(|i: i64| (i * 7919 - 10_000_000).to_string().into_bytes())
                    .collect(),
            ),
            ("mixed", all.clone()),
            (
                "noisy",
                (0..300).map(|i| noise(50 + i % 70, i as u64)).collect(),
            ),
            ("hundred", (0..100).map(|i| texty(100, i, b"xyz")).collect()),
        ] {
            for chunk in items.chunks(200) {
                let mut args: Vec<&[u8]> = vec![b"RPUSH", name.as_bytes()];
                args.extend(chunk.iter().map(Vec::as_slice));
                run(&mut p, &args);
            }
            check_key(&mut p, name.as_bytes());
            p.check(&["DEL", name]);
        }
        // Pushes at the head are exact while the list is one node.
        p.check(&["LPUSH", "head", "a", "1", "bb", "-70000"]);
        check_key(&mut p, b"head");
        p.check(&["DEL", "small", "head"]);
    }
    // Every fill: counts, the safety limit, byte sizes; fills past the limits.
    p.check(&["CONFIG", "SET", "rdbcompression", "yes"]);
    for fill in [
        "1", "2", "5", "128", "1000", "-1", "-3", "-4", "-5", "-7", "0",
    ] {
        p.check(&["CONFIG", "SET", "list-max-listpack-size", fill]);
        let key = format!("fill{fill}");
        for i in 0..40 {
            let v = texty(10 + (i * 37) % 400, i as u64, b"abcd");
            run(&mut p, &[b"RPUSH", key.as_bytes(), &v, b"17", b"x"]);
        }
        check_key(&mut p, key.as_bytes());
    }
    p.check(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    // Compressed interior nodes.
    for depth in ["1", "2"] {
        p.check(&["CONFIG", "SET", "list-compress-depth", depth]);
        let key = format!("depth{depth}");
        for i in 0..30 {
            let mut args: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), key.clone().into_bytes()];
            args.extend((0..100).map(|j| texty(20 + j % 30, i * 100 + j as u64, b"abcdef")));
            let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            run(&mut p, &refs);
        }
        check_key(&mut p, key.as_bytes());
    }
}

#[test]
fn dump_and_debug_object_of_hashes() {
    let mut p = pair();
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        // listpack: insertion order kept through updates and removals.
        let mut args: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"small".to_vec()];
        for (i, n) in INTS.iter().enumerate() {
            args.push(n.to_string().into_bytes());
            args.push(texty(i * 2, i as u64, b"ab"));
        }
        args.extend([b"f".to_vec(), b"".to_vec(), b"-0".to_vec(), vec![b'z'; 64]]);
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        run(&mut p, &refs);
        p.check(&["HSET", "small", "127", "updated", "f", "17"]);
        p.check(&["HDEL", "small", "4096", "-1"]);
        p.check(&["HINCRBY", "small", "counter", "-5"]);
        p.check(&["HINCRBYFLOAT", "small", "float", "2.5"]);
        check_key(&mut p, b"small");
        // Past the entry limit, or by a long value: hashtable.
        for i in 0..600 {
            p.check_strings(&[
                "HSET".into(),
                "big".into(),
                format!("field:{i}"),
                format!("{}", i * 3),
            ]);
        }
        check_unordered_key(&mut p, b"big");
        p.check(&["HSET", "long", "a", "1"]);
        run(&mut p, &[b"HSET", b"long", b"b", &[b'v'; 65]]);
        check_unordered_key(&mut p, b"long");
        p.check(&["DEL", "small", "big", "long"]);
    }
    // A listpack entry whose size needs a three-byte backlen (16383).
    p.check(&["CONFIG", "SET", "hash-max-listpack-value", "100000"]);
    run(
        &mut p,
        &[
            b"HSET",
            b"wide",
            b"f",
            &vec![b'w'; 16378],
            b"g",
            &noise(16377, 3),
        ],
    );
    check_key(&mut p, b"wide");
}

#[test]
fn dump_and_debug_object_of_sets() {
    let mut p = pair();
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        // intsets of every width.
        for (key, members) in [
            ("i16", &["1", "-5", "32767", "-32768", "0"][..]),
            ("i32", &["1", "32768", "-2147483648", "7"][..]),
            (
                "i64",
                &[
                    "1",
                    "2147483648",
                    "-9223372036854775808",
                    "9223372036854775807",
                ][..],
            ),
            ("one", &["42"][..]),
        ] {
            let mut args = vec!["SADD", key];
            args.extend_from_slice(members);
            p.check(&args);
            check_key(&mut p, key.as_bytes());
        }
        let mut args = vec!["SADD".to_string(), "many".to_string()];
        args.extend((0..300).map(|i| (i * 1_000_003 - 150_000_000i64).to_string()));
        p.check_strings(&args);
        check_key(&mut p, b"many");
        // hashtable: strings, or past the intset limit.
        let mut args = vec!["SADD".to_string(), "strs".to_string()];
        args.extend((0..200).map(|i| format!("member-{i}-{}", "x".repeat(i % 40))));
        args.extend((0..50).map(|i| i.to_string()));
        p.check_strings(&args);
        check_unordered_key(&mut p, b"strs");
        let mut args = vec!["SADD".to_string(), "bigints".to_string()];
        args.extend((0..600).map(|i| (i * 77).to_string()));
        p.check_strings(&args);
        check_unordered_key(&mut p, b"bigints");
        p.check(&["DEL", "i16", "i32", "i64", "one", "many", "strs", "bigints"]);
    }
}

#[test]
fn dump_and_debug_object_of_sorted_sets() {
    let mut p = pair();
    let scores = [
        "1.5",
        "2",
        "-0",
        "0",
        "1e20",
        "inf",
        "-inf",
        "0.1",
        "4611686018427387904",
        "9223372036854775808",
        "-1e15",
        "123456.75",
        "-3",
        "1e-300",
        "3.14159",
        "100000",
        "-2147483649",
    ];
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        let mut args = vec!["ZADD".to_string(), "small".to_string()];
        for (i, s) in scores.iter().enumerate() {
            args.push(s.to_string());
            args.push(if i % 3 == 0 {
                (i * 1000).to_string()
            } else {
                format!("m{i}")
            });
        }
        p.check_strings(&args);
        p.check(&["ZINCRBY", "small", "0.25", "m1"]);
        check_key(&mut p, b"small");
        // skiplists: past the entry limit or by a long member; ties too.
        let mut args = vec!["ZADD".to_string(), "big".to_string()];
        for i in 0..300 {
            args.push(((i % 50) as f64 * 1.25 - 20.0).to_string());
            args.push(format!("member:{i}"));
        }
        for (i, s) in scores.iter().enumerate() {
            args.push(s.to_string());
            args.push(i.to_string());
        }
        p.check_strings(&args);
        check_key(&mut p, b"big");
        p.check(&["ZADD", "long", "1", "a", "-0", "zero"]);
        run(&mut p, &[b"ZADD", b"long", b"2", &texty(65, 9, b"mn")]);
        check_key(&mut p, b"long");
        p.check(&["DEL", "small", "big", "long"]);
    }
}

#[test]
fn debug_object_clock_fields() {
    let mut p = pair();
    p.check(&["SET", "k", "v"]);
    let field = |reply: &[u8], name: &str| -> i64 {
        debug_fields(reply)
            .into_iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(-1)
    };
    // LRU: the 24-bit clock of the last access, in seconds.
    let (f, r) = p.both_bytes(&[b"DEBUG", b"OBJECT", b"k"]);
    assert!(
        (field(&f, "lru") - field(&r, "lru")).abs() <= 2,
        "{} / {}",
        show(&f),
        show(&r)
    );
    assert!(field(&f, "lru_seconds_idle") <= 1);
    // LFU: the minute of the last decrement and the counter (5 when new),
    // and an "idle time" derived from them as if they were a clock.
    p.check(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    p.check(&["SET", "n", "v"]);
    let (f, r) = p.both_bytes(&[b"DEBUG", b"OBJECT", b"n"]);
    assert_eq!(field(&f, "lru") & 0xFF, 5, "{}", show(&f));
    assert!(
        (field(&f, "lru") - field(&r, "lru")).abs() <= 256,
        "{} / {}",
        show(&f),
        show(&r)
    );
    assert!(
        (field(&f, "lru_seconds_idle") - field(&r, "lru_seconds_idle")).abs() <= 120,
        "{} / {}",
        show(&f),
        show(&r)
    );
    check_debug(&mut p, b"n");
    // Shared integers report Redis's pinned reference count.
    p.check(&["SET", "small", "42"]);
    check_debug(&mut p, b"small");
}

/// FUNCTION DUMP writes each library's code as an RDB string too, so a
/// long library is LZF-compressed as Redis compresses it.
#[test]
fn function_dump_compresses_as_redis() {
    let mut p = pair();
    let body = "local x = 1\n".repeat(40);
    let lib = format!(
        "#!lua name=lib\n{body}redis.register_function('f', function(keys, args) return x end)"
    );
    p.check(&["FUNCTION", "LOAD", &lib]);
    p.check(&["FUNCTION", "DUMP"]);
}

// ---------------------------------------------------------------------------
// RESTORE and RDB files.
// ---------------------------------------------------------------------------

/// DUMPs `src` on the oracle alone.
fn redis_dump(p: &mut Pair, src: &[u8]) -> Vec<u8> {
    let r = p.redis.cmd(&[b"DUMP", src]);
    assert!(r.starts_with(b"$"), "oracle has no {}", show(src));
    bulk_payload(&r)
}

/// Runs `args` on the oracle alone, asserting it did not fail.
fn redis_only(p: &mut Pair, args: &[&[u8]]) {
    let r = p.redis.cmd(args);
    assert!(!r.starts_with(b"-"), "oracle: {}", show(&r));
}

/// Builds one key of every type and encoding on the oracle (default
/// limits); returns the names and whether their element order is Redis's
/// hash order (big hashes and sets).
fn build_every_encoding(p: &mut Pair) -> Vec<(String, bool)> {
    let mut keys = Vec::new();
    for (i, s) in strings().iter().enumerate().step_by(3) {
        let k = format!("str{i}");
        redis_only(p, &[b"SET", k.as_bytes(), s]);
        keys.push((k, false));
    }
    redis_only(p, &[b"SET", b"raw", b"12"]);
    redis_only(p, &[b"APPEND", b"raw", b"3"]);
    keys.push(("raw".into(), false));
    let all = strings();
    let mut args: Vec<&[u8]> = vec![b"RPUSH", b"list"];
    args.extend(all.iter().filter(|s| s.len() <= 4096).map(Vec::as_slice));
    redis_only(p, &args);
    keys.push(("list".into(), false));
    let many: Vec<String> = (0..2000).map(|i| format!("element-{i}")).collect();
    let mut args: Vec<&[u8]> = vec![b"RPUSH", b"longlist"];
    args.extend(many.iter().map(|s| s.as_bytes()));
    redis_only(p, &args);
    keys.push(("longlist".into(), false));
    redis_only(
        p,
        &[
            b"HSET",
            b"hash",
            b"f",
            b"v",
            b"n",
            b"12",
            b"big",
            &[b'x'; 60],
        ],
    );
    keys.push(("hash".into(), false));
    let mut args: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"bighash".to_vec()];
    for i in 0..600 {
        args.push(format!("field-{i}").into_bytes());
        args.push(format!("{}", i * 7).into_bytes());
    }
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    redis_only(p, &refs);
    keys.push(("bighash".into(), true));
    redis_only(p, &[b"HSET", b"longhash", b"f", &[b'y'; 100]]);
    keys.push(("longhash".into(), true));
    for (k, members) in [
        ("i16", &["1", "-5", "32767", "-32768"][..]),
        ("i64", &["1", "2147483648", "-9223372036854775808"][..]),
    ] {
        let mut args: Vec<&[u8]> = vec![b"SADD", k.as_bytes()];
        args.extend(members.iter().map(|m| m.as_bytes()));
        redis_only(p, &args);
        keys.push((k.into(), false));
    }
    redis_only(p, &[b"SADD", b"strset", b"a", b"b", b"1"]);
    keys.push(("strset".into(), true));
    let mut args: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"bigints".to_vec()];
    args.extend((0..600).map(|i| (i * 77).to_string().into_bytes()));
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    redis_only(p, &refs);
    keys.push(("bigints".into(), true));
    redis_only(
        p,
        &[
            b"ZADD", b"zset", b"1.5", b"a", b"2", b"b", b"-inf", b"c", b"1e300", b"d", b"0.1", b"e",
        ],
    );
    keys.push(("zset".into(), false));
    let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"bigzset".to_vec()];
    for i in 0..300 {
        args.push(format!("{}", f64::from(i) / 7.0).into_bytes());
        args.push(format!("member-{i}").into_bytes());
    }
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    redis_only(p, &refs);
    keys.push(("bigzset".into(), false));
    redis_only(p, &[b"ZADD", b"longzset", b"1", &[b'z'; 100]]);
    keys.push(("longzset".into(), false));
    keys
}

/// Compares a key's type, encoding and contents on both servers.
fn check_contents(p: &mut Pair, key: &str) {
    check_contents_in(p, key, true);
}

/// [`check_contents`]; sorted-set order compared only when `zset_order`
/// (Redis keeps a corrupt, unsorted listpack as given, Ferrite sorts it).
fn check_contents_in(p: &mut Pair, key: &str, zset_order: bool) {
    p.check(&["TYPE", key]);
    p.check(&["OBJECT", "ENCODING", key]);
    p.check(&["TTL", key]);
    let t = p.redis.cmd(&[b"TYPE", key.as_bytes()]);
    match &t[..] {
        b"+string\r\n" => drop(p.check(&["GET", key])),
        b"+list\r\n" => drop(p.check(&["LRANGE", key, "0", "-1"])),
        b"+hash\r\n" => drop(p.check_unordered(&["HGETALL", key])),
        b"+set\r\n" => drop(p.check_unordered(&["SMEMBERS", key])),
        b"+zset\r\n" if zset_order => drop(p.check(&["ZRANGE", key, "0", "-1", "WITHSCORES"])),
        b"+zset\r\n" => drop(p.check_unordered(&["ZRANGE", key, "0", "-1", "WITHSCORES"])),
        other => panic!("type {}", show(other)),
    }
}

/// RESTOREs Redis's payload of every type and encoding into both servers:
/// same reply, type, encoding, contents and DUMP (or, for big hashes and
/// sets, the same elements), under default and under small limits.
#[test]
fn restore_of_redis_payloads_of_every_encoding() {
    let mut p = pair();
    let keys = build_every_encoding(&mut p);
    for (k, unordered) in &keys {
        let payload = redis_dump(&mut p, k.as_bytes());
        let dst = format!("r:{k}");
        p.check_bytes(&[b"RESTORE", dst.as_bytes(), b"0", &payload]);
        check_contents(&mut p, &dst);
        if *unordered {
            check_unordered_key(&mut p, dst.as_bytes());
        } else {
            check_key(&mut p, dst.as_bytes());
        }
    }
    // Small limits: the restored values convert as Redis converts them.
    for (name, value) in [
        ("hash-max-listpack-entries", "4"),
        ("hash-max-listpack-value", "8"),
        ("zset-max-listpack-entries", "4"),
        ("zset-max-listpack-value", "3"),
        ("set-max-intset-entries", "3"),
        ("list-max-listpack-size", "5"),
    ] {
        p.check(&["CONFIG", "SET", name, value]);
    }
    for (k, _) in &keys {
        let payload = redis_dump(&mut p, k.as_bytes());
        let dst = format!("s:{k}");
        p.check_bytes(&[b"RESTORE", dst.as_bytes(), b"0", &payload]);
        check_contents(&mut p, &dst);
    }
    // Lists with compressed interior nodes, and without compression.
    p.check(&["CONFIG", "SET", "list-compress-depth", "1"]);
    p.check(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    for compression in ["yes", "no"] {
        p.check(&["CONFIG", "SET", "rdbcompression", compression]);
        redis_only(&mut p, &[b"DEL", b"clist"]);
        let many: Vec<String> = (0..3000)
            .map(|i| format!("compressible-{}", i % 10))
            .collect();
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"clist"];
        args.extend(many.iter().map(|s| s.as_bytes()));
        redis_only(&mut p, &args);
        let payload = redis_dump(&mut p, b"clist");
        let dst = format!("c:{compression}");
        p.check_bytes(&[b"RESTORE", dst.as_bytes(), b"0", &payload]);
        check_contents(&mut p, &dst);
        check_key(&mut p, dst.as_bytes());
    }
}

/// RESTORE's options, their errors and their order of checks.
#[test]
fn restore_options_and_errors() {
    let mut p = pair();
    redis_only(&mut p, &[b"SET", b"src", b"hello"]);
    let payload = redis_dump(&mut p, b"src");
    let pl = payload.as_slice();
    macro_rules! run {
        ($args:expr) => {
            p.check_bytes($args);
        };
    }
    run!(&[b"RESTORE", b"k", b"0", pl]);
    run!(&[b"GET", b"k"]);
    run!(&[b"RESTORE", b"k", b"0", pl]);
    run!(&[b"RESTORE", b"k", b"0", pl, b"REPLACE"]);
    run!(&[b"RESTORE", b"k", b"x", pl, b"REPLACE"]);
    run!(&[b"RESTORE", b"k", b"-1", pl, b"REPLACE"]);
    // BUSYKEY is checked before the TTL.
    run!(&[b"RESTORE", b"k", b"-1", pl]);
    run!(&[b"RESTORE", b"k", b"x", b"junk"]);
    run!(&[b"RESTORE", b"n", b"x", b"junk"]);
    run!(&[b"RESTORE", b"n", b"0", b"junk"]);
    run!(&[b"RESTORE", b"n", b"0", b""]);
    // Option errors come first of all.
    for opts in [
        &[&b"IDLETIME"[..], b"-1"][..],
        &[b"IDLETIME", b"x"],
        &[b"IDLETIME"],
        &[b"FREQ", b"256"],
        &[b"FREQ", b"-1"],
        &[b"FREQ", b"1", b"IDLETIME", b"1"],
        &[b"IDLETIME", b"1", b"FREQ", b"1"],
        &[b"BOGUS"],
        &[b"replace", b"absttl", b"idletime", b"10"],
        &[b"FREQ", b"5"],
    ] {
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"o", b"0", pl];
        args.extend_from_slice(opts);
        run!(&args);
        run!(&[b"DEL", b"o"]);
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"k", b"x", b"junk"];
        args.extend_from_slice(opts);
        run!(&args);
    }
    for idle in [
        "1000",
        "16777214",
        "16777215",
        "20000000",
        "9223372036854775807",
    ] {
        run!(&[
            b"RESTORE",
            b"i",
            b"0",
            pl,
            b"REPLACE",
            b"IDLETIME",
            idle.as_bytes()
        ]);
        // A second may tick between the two servers' clocks.
        let (f, r) = p.both_bytes(&[b"OBJECT", b"IDLETIME", b"i"]);
        let n = |b: &[u8]| -> i64 { reply_text(b).trim_start_matches(':').parse().unwrap() };
        assert!(
            (n(&f) - n(&r)).abs() <= 1,
            "IDLETIME {idle}: {} / {}",
            show(&f),
            show(&r)
        );
    }
    // TTLs: relative, absolute, already expired (with and without REPLACE).
    run!(&[b"RESTORE", b"t", b"100000", pl]);
    run!(&[b"TTL", b"t"]);
    run!(&[
        b"RESTORE",
        b"t",
        b"99999999999999",
        pl,
        b"ABSTTL",
        b"REPLACE",
    ]);
    run!(&[b"TTL", b"t"]);
    run!(&[b"RESTORE", b"t", b"1", pl, b"ABSTTL", b"REPLACE"]);
    run!(&[b"EXISTS", b"t"]);
    run!(&[b"RESTORE", b"t", b"1", pl, b"ABSTTL"]);
    run!(&[b"EXISTS", b"t"]);
    run!(&[b"RESTORE"]);
    run!(&[b"RESTORE", b"k", b"0"]);
    // Trailing bytes after the object are ignored, as Redis ignores them.
    let mut body = payload[..payload.len() - 10].to_vec();
    body.extend_from_slice(b"trailing\x0a\x00");
    let crc = ferrite_persistence::crc64(&body).to_le_bytes();
    body.extend_from_slice(&crc);
    run!(&[b"RESTORE", b"tr", b"0", &body]);
    run!(&[b"GET", b"tr"]);
    // Hand-made objects: an LZF string of length 0 (empty, whatever its
    // data), a stream, an unknown type, empty collections, a NaN score,
    // duplicates Redis refuses even without deep sanitization.
    let nan = [&b"\x05\x01\x01a"[..], &f64::NAN.to_le_bytes()].concat();
    for (i, body) in [
        &b"\x00\xc3\x01\x00\x00"[..],
        b"\x00\xc3\x00\x00",
        b"\x00\xc3\x02\x02\x01ab",
        b"\x00\xc4",
        b"\x00\x82",
        b"\x0f",
        b"\x13",
        b"\x14",
        b"\x07",
        b"\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00",
        b"\x12\x00",
        b"\x02\x00",
        b"\x04\x00",
        b"\x05\x00",
        &nan,
        b"\x02\x02\x01a\x01a",
        b"\x05\x02\x01a\0\0\0\0\0\0\0\0\x01a\0\0\0\0\0\0\0\0",
        b"\x01\x02\x01a\xc0\x07",
        b"\x03\x02\x01a\x031.5\x01b\xfe",
    ]
    .iter()
    .enumerate()
    {
        let key = format!("h{i}");
        run!(&[b"RESTORE", key.as_bytes(), b"0", &seal(body, 10)]);
        run!(&[b"TYPE", key.as_bytes()]);
        run!(&[b"DUMP", key.as_bytes()]);
    }
}

/// Re-seals `body` (type byte and object) with version `ver` and its CRC.
fn seal(body: &[u8], ver: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&ver.to_le_bytes());
    let crc = ferrite_persistence::crc64(&p).to_le_bytes();
    p.extend_from_slice(&crc);
    p
}

/// Corrupt payloads: bad footers, truncations and changed bytes with a
/// fixed-up CRC get the same reply from both (the oracle sanitizes deeply,
/// as Ferrite always does); what both accept restores the same contents.
#[test]
fn restore_refuses_corrupt_payloads() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--enable-debug-command", "yes"],
        &[
            "--enable-debug-command",
            "yes",
            "--sanitize-dump-payload",
            "yes",
        ],
    );
    let keys = build_every_encoding(&mut p);
    let mut tried = 0;
    for (k, _) in keys.iter().filter(|(k, _)| {
        [
            "str3", "list", "hash", "i16", "i64", "strset", "zset", "bigzset", "raw",
        ]
        .contains(&k.as_str())
    }) {
        let payload = redis_dump(&mut p, k.as_bytes());
        let body = &payload[..payload.len() - 10];
        // Footer: version too new, CRC changed, too short.
        p.check_bytes(&[b"RESTORE", b"x", b"0", &seal(body, 11)]);
        p.check_bytes(&[b"RESTORE", b"x", b"0", &seal(body, 0)]);
        p.check_bytes(&[b"DEL", b"x"]);
        let mut bad = payload.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        p.check_bytes(&[b"RESTORE", b"x", b"0", &bad]);
        p.check_bytes(&[b"RESTORE", b"x", b"0", &payload[..9]]);
        // Truncated objects, sealed again.
        for cut in (0..body.len()).step_by(1 + body.len() / 40) {
            p.check_bytes(&[b"RESTORE", b"x", b"0", &seal(&body[..cut], 10)]);
            p.check_bytes(&[b"DEL", b"x"]);
        }
        // Changed bytes in the headers and the first entries.
        for i in 0..body.len().min(24) {
            for v in [0u8, 1, 0x7F, 0x80, 0xC0, 0xFE, 0xFF, body[i] ^ 0x20] {
                let mut c = body.to_vec();
                c[i] = v;
                let reply = p.check_bytes(&[b"RESTORE", b"x", b"0", &seal(&c, 10)]);
                if reply.starts_with(b"+OK") {
                    // Same contents; DUMPs may differ, as Redis keeps the
                    // blob as given (a list's nodes, an integer in a wider
                    // listpack encoding than needed, unsorted sorted-set
                    // entries) and Ferrite re-packs.
                    check_contents_in(&mut p, "x", false);
                }
                p.check_bytes(&[b"DEL", b"x"]);
                tried += 1;
            }
        }
    }
    assert!(tried > 500);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrite-rdb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The text of a bulk or simple-string reply.
fn reply_text(r: &[u8]) -> String {
    if r.starts_with(b"$") {
        String::from_utf8_lossy(&bulk_payload(r)).into_owned()
    } else {
        String::from_utf8_lossy(r).trim().to_string()
    }
}

/// Asserts that every item is in `client`'s server with the same value (its
/// DUMP decodes to it) and expiry, and the same encoding if
/// `loaded` (the server loaded them from a file: a value it built by
/// commands may have another, as APPEND's "raw" integer), and that each
/// database holds no other key.
fn check_items_in(
    client: &mut ferrite_testkit::RawClient,
    items: &[ferrite_persistence::rdb::file::Item],
    loaded: bool,
    limits: &ferrite_persistence::rdb::decode::Limits,
) {
    use ferrite_persistence::rdb::decode::decode_payload;
    let mut per_db = std::collections::BTreeMap::new();
    for it in items {
        *per_db.entry(it.db).or_insert(0usize) += 1;
        client.cmd(&[b"SELECT", it.db.to_string().as_bytes()]);
        let dump = client.cmd(&[b"DUMP", &it.key]);
        assert!(dump.starts_with(b"$"), "{} missing", show(&it.key));
        let value = decode_payload(&bulk_payload(&dump), limits).expect("decodes");
        assert_eq!(value, it.value, "value of {}", show(&it.key));
        if loaded {
            let enc = client.cmd(&[b"OBJECT", b"ENCODING", &it.key]);
            assert_eq!(
                reply_text(&enc),
                it.value.encoding(),
                "encoding of {}",
                show(&it.key)
            );
        }
        let at = client.cmd(&[b"PEXPIRETIME", &it.key]);
        let want = format!(":{}\r\n", it.expire_ms.unwrap_or(-1));
        assert_eq!(
            show(&at),
            show(want.as_bytes()),
            "expiry of {}",
            show(&it.key)
        );
    }
    for (db, n) in per_db {
        client.cmd(&[b"SELECT", db.to_string().as_bytes()]);
        assert_eq!(
            client.cmd(&[b"DBSIZE"]),
            format!(":{n}\r\n").into_bytes(),
            "DBSIZE of db {db}"
        );
    }
    client.cmd(&[b"SELECT", b"0"]);
}

/// A redis-server stopped when dropped, even when an assertion fails.
struct ServerProcess(std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts redis-server on `dir/file` with `extra` arguments; returns it and
/// a client once it has loaded the file.
fn load_in_redis(
    dir: &std::path::Path,
    file: &str,
    extra: &[&str],
) -> (ServerProcess, ferrite_testkit::RawClient) {
    let port = ferrite_testkit::free_port();
    let child = ServerProcess(
        std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--dir", dir.to_str().expect("utf-8"), "--dbfilename", file])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            let mut c = ferrite_testkit::RawClient::connect(port);
            if c.cmd(&[b"PING"]) == b"+PONG\r\n" {
                return (child, c);
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server did not load {file}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

const LIBRARY: &str = "#!lua name=rdblib\nredis.register_function('rdbf', function() return 1 end)";

/// A file SAVEd by redis-server (every type and encoding, expiries, three
/// databases, a function library) reads back to the data the server holds;
/// written again by Ferrite's writer it passes `redis-check-rdb` and loads
/// into a fresh redis-server with the same keys, values and expiries.
#[test]
fn rdb_files_read_and_written() {
    use ferrite_persistence::rdb::decode::Limits;
    use ferrite_persistence::rdb::encode::Options;
    use ferrite_persistence::rdb::file::{self, FileWriter, Header};
    let dir = temp_dir("save");
    let dir_s = dir.to_str().expect("utf-8 temp dir").to_string();
    let mut p = Pair::with_args(&["--shards", "3"], &["--dir", &dir_s]);
    let keys = build_every_encoding(&mut p);
    redis_only(&mut p, &[b"PEXPIREAT", b"list", b"99999999999999"]);
    redis_only(&mut p, &[b"PEXPIREAT", b"bighash", b"88888888888888"]);
    redis_only(&mut p, &[b"SELECT", b"3"]);
    redis_only(&mut p, &[b"SET", b"in-db3", b"v"]);
    redis_only(&mut p, &[b"SET", b"7", b"integer key"]);
    redis_only(&mut p, &[b"SELECT", b"15"]);
    redis_only(&mut p, &[b"HSET", b"in-db15", b"f", b"v"]);
    redis_only(&mut p, &[b"SELECT", b"0"]);
    redis_only(&mut p, &[b"FUNCTION", b"LOAD", LIBRARY.as_bytes()]);
    redis_only(&mut p, &[b"SAVE"]);
    let conf = ferrite_testkit::bulk_strings(&p.redis.cmd(&[b"CONFIG", b"GET", b"dbfilename"]));
    let name = String::from_utf8_lossy(conf.get(1).expect("dbfilename")).into_owned();
    let bytes = std::fs::read(dir.join(&name)).expect("saved file");
    let rdb = file::read(&bytes, Limits::default()).expect("redis's file reads");
    assert_eq!(rdb.version, 10);
    assert_eq!(rdb.functions, [LIBRARY.as_bytes().to_vec()]);
    assert!(rdb
        .aux
        .iter()
        .any(|(k, v)| k == b"redis-ver" && v == b"7.0.15"));
    assert_eq!(rdb.items.len(), keys.len() + 3);
    check_items_in(&mut p.redis, &rdb.items, false, &Limits::default());

    // Ferrite's writer: checked by redis-check-rdb, loaded by redis-server.
    let out_dir = temp_dir("write");
    let path = out_dir.join("written.rdb");
    let header = Header {
        ctime_secs: 1_700_000_000,
        used_mem: 1_000_000,
        aof_base: false,
    };
    let mut w = FileWriter::new(Vec::new(), &header, Options::default()).expect("header");
    w.function(LIBRARY.as_bytes()).expect("function");
    let mut dbs: Vec<u64> = rdb.items.iter().map(|i| i.db).collect();
    dbs.dedup();
    for db in dbs {
        let items: Vec<_> = rdb.items.iter().filter(|i| i.db == db).collect();
        let expires = items.iter().filter(|i| i.expire_ms.is_some()).count();
        w.select_db(db, items.len() as u64, expires as u64)
            .expect("select");
        for it in items {
            w.key(&it.key, &it.value, it.expire_ms, None).expect("key");
        }
    }
    let written = w.finish().expect("finish");
    std::fs::write(&path, &written).expect("write file");
    let check = std::process::Command::new("redis-check-rdb")
        .arg(&path)
        .output()
        .expect("redis-check-rdb runs");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );

    let (_child, mut client) = load_in_redis(&out_dir, "written.rdb", &[]);
    check_items_in(&mut client, &rdb.items, true, &Limits::default());
    let libs = client.cmd(&[b"FUNCTION", b"LIST"]);
    assert!(libs.windows(6).any(|w| w == b"rdblib"), "{}", show(&libs));
    // Under small limits, the same file loads into the same encodings in
    // both (what DEBUG RELOAD would show).
    let small = Limits {
        list_fill: 5,
        hash: ferrite_persistence::rdb::decode::HashLimits {
            max_entries: 4,
            max_value: 8,
        },
        set_max_intset: 3,
        zset: ferrite_persistence::rdb::decode::ZSetLimits {
            max_entries: 4,
            max_value: 3,
        },
    };
    let reread = file::read(&written, small).expect("written file reads");
    let (_child2, mut client) = load_in_redis(
        &out_dir,
        "written.rdb",
        &[
            "--hash-max-listpack-entries",
            "4",
            "--hash-max-listpack-value",
            "8",
            "--set-max-intset-entries",
            "3",
            "--zset-max-listpack-entries",
            "4",
            "--zset-max-listpack-value",
            "3",
            "--list-max-listpack-size",
            "5",
        ],
    );
    check_items_in(&mut client, &reread.items, true, &small);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// A restored list serves a client blocked on its key, as a push would.
#[test]
fn restore_wakes_blocked_clients() {
    let mut p = pair();
    redis_only(&mut p, &[b"RPUSH", b"src", b"a", b"b"]);
    let payload = redis_dump(&mut p, b"src");
    let mut fw = p.server.client();
    let mut rw = p.oracle.client();
    fw.send(&[b"BLPOP", b"q", b"5"]);
    rw.send(&[b"BLPOP", b"q", b"5"]);
    // Let both waiters block before the key appears.
    std::thread::sleep(std::time::Duration::from_millis(100));
    p.check_bytes(&[b"RESTORE", b"q", b"0", &payload]);
    let (f, r) = (fw.read_reply(), rw.read_reply());
    assert_eq!(show(&f), show(&r));
    assert_eq!(show(&f), show(b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"));
    p.check(&["LRANGE", "q", "0", "-1"]);
}

/// RESTORE's keyspace events: `new` and `restore`, and `del` when an
/// already expired TTL removes a replaced key.
#[test]
fn restore_notifies_as_redis() {
    let mut p = pair();
    p.check(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    redis_only(&mut p, &[b"SET", b"src", b"v"]);
    let payload = redis_dump(&mut p, b"src");
    let mut fs = p.server.client();
    let mut rs = p.oracle.client();
    assert_eq!(
        show(&fs.cmd(&[b"PSUBSCRIBE", b"__keyevent@0__:*"])),
        show(&rs.cmd(&[b"PSUBSCRIBE", b"__keyevent@0__:*"]))
    );
    p.check_bytes(&[b"RESTORE", b"n1", b"0", &payload]);
    p.check_bytes(&[b"RESTORE", b"n1", b"0", &payload, b"REPLACE"]);
    p.check_bytes(&[b"RESTORE", b"n1", b"1", &payload, b"REPLACE", b"ABSTTL"]);
    p.check_bytes(&[b"RESTORE", b"n2", b"1", &payload, b"ABSTTL"]);
    p.check(&["SET", "end", "x"]);
    let read_all = |c: &mut ferrite_testkit::RawClient| {
        let mut got = Vec::new();
        loop {
            let m = c.read_reply();
            let done = m.ends_with(b"$3\r\nend\r\n");
            got.push(show(&m));
            if done || got.len() > 20 {
                return got;
            }
        }
    };
    let (f, r) = (read_all(&mut fs), read_all(&mut rs));
    assert_eq!(f, r);
    assert_eq!(f.len(), 6, "{f:?}");
}

/// A ziplist of `entries` (each an encoding and its data), as Redis 6.2 and
/// older build them.
fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut tail) = (0usize, 10usize);
    for e in entries {
        tail = 10 + body.len();
        let start = body.len();
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xFE);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        body.extend_from_slice(e);
        prev = body.len() - start;
    }
    let mut zl = Vec::new();
    zl.extend_from_slice(&((10 + body.len() + 1) as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zl.extend(body);
    zl.push(0xFF);
    zl
}

/// A short ziplist string entry.
fn zs(s: &[u8]) -> Vec<u8> {
    [&[s.len() as u8][..], s].concat()
}

/// An object of type `ty` holding one short blob string.
fn blob_object(ty: u8, blob: &[u8]) -> Vec<u8> {
    [&[ty, blob.len() as u8][..], blob].concat()
}

/// Payloads of RDB version 9 and older types (ziplists, zipmaps, quicklists
/// of ziplists, plain lists, text scores) restore as Redis 7.0 restores
/// them, under small limits: which limits convert them, and which
/// duplicates are refused.
#[test]
fn restore_of_older_formats() {
    let mut p = pair();
    for (name, value) in [
        ("hash-max-listpack-value", "3"),
        ("zset-max-listpack-value", "3"),
        ("hash-max-listpack-entries", "1"),
    ] {
        p.check(&["CONFIG", "SET", name, value]);
    }
    let long_pair = ziplist(&[&zs(b"field"), &zs(b"valuevalue")]);
    let two_pairs = ziplist(&[&zs(b"a"), &zs(b"1"), &zs(b"b"), &zs(b"2")]);
    let dup_pairs = ziplist(&[&zs(b"a"), &zs(b"1"), &zs(b"a"), &zs(b"2")]);
    let zset = ziplist(&[&zs(b"member"), &zs(b"1.5"), &zs(b"m"), b"\xF3"]);
    let list = ziplist(&[&zs(b"x"), b"\xF2", b"\xFE\x80", b"\xC0\x00\x80"]);
    let zipmap_long = b"\x01\x05field\x0a\x00valuevalue\xff".to_vec();
    let zipmap_two = b"\x02\x01a\x01\x001\x01b\x01\x002\xff".to_vec();
    let zipmap_dup = b"\x02\x01a\x01\x001\x01a\x01\x002\xff".to_vec();
    let mut quicklist = vec![14u8, 2];
    for zl in [ziplist(&[&zs(b"q1"), &zs(b"q2")]), ziplist(&[&zs(b"q3")])] {
        quicklist.push(zl.len() as u8);
        quicklist.extend(zl);
    }
    let objects: Vec<Vec<u8>> = vec![
        blob_object(13, &long_pair),
        blob_object(13, &two_pairs),
        blob_object(13, &dup_pairs),
        blob_object(12, &zset),
        blob_object(10, &list),
        blob_object(9, &zipmap_long),
        blob_object(9, &zipmap_two),
        blob_object(9, &zipmap_dup),
        quicklist,
        b"\x01\x02\x01a\xc0\x07".to_vec(),
        b"\x03\x03\x01a\x031.5\x01b\xfe\x01c\xff".to_vec(),
        b"\x03\x01\x01a\x03abc".to_vec(),
        b"\x03\x01\x01a\x031e5".to_vec(),
    ];
    for (i, obj) in objects.iter().enumerate() {
        for ver in [9u16, 6, 1] {
            let key = format!("old{i}-{ver}");
            p.check_bytes(&[b"RESTORE", key.as_bytes(), b"0", &seal(obj, ver)]);
            if p.redis.cmd(&[b"EXISTS", key.as_bytes()]) == b":1\r\n" {
                check_contents(&mut p, &key);
            }
        }
    }
}

#[test]
fn restore_freq_sets_the_lfu_counter() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--maxmemory-policy", "allkeys-lfu"],
        &["--maxmemory-policy", "allkeys-lfu"],
    );
    p.check(&["SET", "k", "v"]);
    let payload = bulk_payload(&p.check(&["DUMP", "k"]));
    for freq in [&b"0"[..], b"100", b"255"] {
        p.check_bytes(&[b"RESTORE", b"k2", b"0", &payload, b"REPLACE", b"FREQ", freq]);
        p.check(&["OBJECT", "FREQ", "k2"]);
    }
}
