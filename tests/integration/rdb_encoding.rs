//! DUMP and DEBUG OBJECT against redis-server 7.0: the RDB encoding of every
//! encoding of every type, built by the same commands on both servers.
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
