//! The bitmap group against the real Redis: SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP, BITFIELD and BITFIELD_RO, byte for byte, including every error text
//! and the order in which Redis 7.0 checks its arguments. Ferrite runs with 3
//! shards, so BITOP's destination and sources are spread over shards.

use std::time::{Duration, Instant};

use ferrite_testkit::{show, Pair, TestServer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn setbit_getbit() {
    let mut p = Pair::new();
    p.check_all(&[
        "GETBIT k 0",
        "SETBIT k 7 1",
        "SETBIT k 7 1",
        "GETBIT k 7",
        "GETBIT k 6",
        "GETBIT k 1000",
        "SETBIT k 100 1",
        "GET k",
        "STRLEN k",
        "SETBIT k 7 0",
        "GET k",
        "SETBIT k 0 2",
        "SETBIT k 0 -1",
        "SETBIT k 0 01",
        "SETBIT k 0 x",
        "SETBIT k 0 ''",
        "SETBIT k -1 1",
        "SETBIT k x 1",
        "SETBIT k 4294967296 1",
        "SETBIT k 9223372036854775807 1",
        "SETBIT k 1.5 1",
        "GETBIT k -1",
        "GETBIT k x",
        "GETBIT k 4294967296",
        "GETBIT k 4294967295",
        "GETBIT nokey 4294967295",
        "EXISTS nokey",
        "SETBIT k",
        "SETBIT k 1",
        "SETBIT k 1 1 1",
        "GETBIT k",
        "GETBIT k 1 1",
        // Integer-encoded values are read as their digits.
        "SET n 123",
        "GETBIT n 2",
        "GETBIT n 3",
        "GETBIT n 23",
        "GETBIT n 24",
        "SETBIT n 6 1",
        "GET n",
        "SET n 123",
        "SETBIT n 0 0",
        "GET n",
    ]);
}

#[test]
fn setbit_keeps_ttl() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET k abc EX 1000",
        "SETBIT k 1 0",
        "TTL k",
        "SETBIT k 200 1",
        "TTL k",
        "BITFIELD k SET u8 0 1",
        "TTL k",
        "GET k",
    ]);
}

#[test]
fn modified_strings_are_raw() {
    let mut p = Pair::new();
    p.check_all(&[
        "SETBIT fresh 1 1",
        "OBJECT ENCODING fresh",
        "SET n 12",
        "OBJECT ENCODING n",
        "GETBIT n 0",
        "OBJECT ENCODING n",
        "SETBIT n 0 0",
        "OBJECT ENCODING n",
        "SET e hello",
        "OBJECT ENCODING e",
        "SETBIT e 0 0",
        "OBJECT ENCODING e",
        "SET b 7",
        "BITFIELD b GET u8 0",
        "OBJECT ENCODING b",
        "BITFIELD_RO b GET u8 0",
        "OBJECT ENCODING b",
        "BITFIELD b SET u8 0 48",
        "OBJECT ENCODING b",
        "GET b",
        "BITFIELD bf INCRBY u4 0 1",
        "OBJECT ENCODING bf",
        "BITFIELD bf2 OVERFLOW FAIL INCRBY u2 0 9",
        "OBJECT ENCODING bf2",
        "GET bf2",
        "SET s1 ab",
        "BITOP AND dst s1",
        "OBJECT ENCODING dst",
        "BITOP NOT dst s1",
        "OBJECT ENCODING dst",
        "GET dst",
    ]);
}

#[test]
fn bitcount_ranges_and_units() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET s foobar",
        "BITCOUNT s",
        "BITCOUNT s 0 0",
        "BITCOUNT s 1 1",
        "BITCOUNT s 1 1 BYTE",
        "BITCOUNT s 1 1 byte",
        "BITCOUNT s 5 30 BIT",
        "BITCOUNT s 5 30 bit",
        "BITCOUNT s 0 -1 BIT",
        "BITCOUNT s -1 -1 BIT",
        "BITCOUNT s -9 -2 BIT",
        "BITCOUNT s 0 0 BIT",
        "BITCOUNT s 7 7 BIT",
        "BITCOUNT s 7 8 BIT",
        "BITCOUNT s 47 1000 BIT",
        "BITCOUNT s 48 1000 BIT",
        "BITCOUNT s -1 -2",
        "BITCOUNT s -2 -1",
        "BITCOUNT s -100 100",
        "BITCOUNT s 100 200",
        "BITCOUNT s 3 1",
        "BITCOUNT s -9223372036854775808 9223372036854775807",
        "BITCOUNT s -9223372036854775808 9223372036854775807 BIT",
        "BITCOUNT s 0",
        "BITCOUNT s 0 1 foo",
        "BITCOUNT s 0 1 BIT x",
        "BITCOUNT s a 1",
        "BITCOUNT s 1 a",
        "BITCOUNT s 0 x foo",
        // The empty negative range wins over a bad unit.
        "BITCOUNT s -1 -2 foo",
        "BITCOUNT s 1.0 2",
        // A missing key counts 0 whatever follows it.
        "BITCOUNT nokey",
        "BITCOUNT nokey 0 1",
        "BITCOUNT nokey a b",
        "BITCOUNT nokey 0",
        "BITCOUNT nokey 0 1 foo",
        "SET empty ''",
        "BITCOUNT empty",
        "BITCOUNT empty 0 -1",
        "BITCOUNT empty 0 -1 BIT",
        "SET n -12345",
        "BITCOUNT n",
        "BITCOUNT n 1 2",
        "BITCOUNT n 3 20 BIT",
        "BITCOUNT",
    ]);
    p.check_bytes(&[b"BITCOUNT", b"s", b"0", b"1", b"bit\0junk"]);
    p.check_bytes(&[b"BITCOUNT", b"s", b"0", b"1", b"\0"]);
}

#[test]
fn bitpos_ranges_units_and_the_explicit_end() {
    let mut p = Pair::new();
    p.check_bytes(&[b"SET", b"ones", b"\xff\xff\xff"]);
    p.check_bytes(&[b"SET", b"zeros", b"\x00\x00\x00"]);
    p.check_bytes(&[b"SET", b"mix", b"\x00\xff\xf0"]);
    p.check_bytes(&[b"SET", b"edge", b"\xff\xf0\x00\x0f\xff"]);
    p.check_all(&[
        // Without an end, the string is taken as zero-padded...
        "BITPOS ones 0",
        "BITPOS ones 0 0",
        "BITPOS ones 0 2",
        "BITPOS ones 0 -1",
        // ...with one, a range of ones has no clear bit.
        "BITPOS ones 0 0 -1",
        "BITPOS ones 0 0 2",
        "BITPOS ones 0 1 1",
        "BITPOS ones 0 0 -1 BYTE",
        "BITPOS ones 0 0 23 BIT",
        "BITPOS ones 0 3 5 BIT",
        "BITPOS ones 1",
        "BITPOS ones 1 1",
        "BITPOS ones 1 3",
        "BITPOS zeros 1",
        "BITPOS zeros 0",
        "BITPOS zeros 0 1",
        "BITPOS zeros 1 0 -1",
        "BITPOS zeros 0 0 -1 BIT",
        "BITPOS zeros 1 0 -1 BIT",
        "BITPOS mix 1",
        "BITPOS mix 0",
        "BITPOS mix 1 2",
        "BITPOS mix 0 1",
        "BITPOS mix 0 1 1",
        "BITPOS mix 0 1 2",
        "BITPOS mix 1 7 15 BIT",
        "BITPOS mix 0 8 15 BIT",
        "BITPOS mix 0 8 19 BIT",
        "BITPOS mix 0 8 20 BIT",
        "BITPOS mix 0 8 -1 BIT",
        "BITPOS mix 1 -5 -1 BIT",
        "BITPOS mix 0 -5 -1 BIT",
        "BITPOS mix 0 -4 -1 BIT",
        "BITPOS mix 1 2 1",
        "BITPOS mix 1 100",
        "BITPOS mix 0 100",
        "BITPOS mix 1 -100",
        "BITPOS mix 0 -100 -50",
        "BITPOS edge 0 0 11 BIT",
        "BITPOS edge 0 4 11 BIT",
        "BITPOS edge 0 3 6 BIT",
        "BITPOS edge 1 12 27 BIT",
        "BITPOS edge 1 12 28 BIT",
        "BITPOS edge 1 13 13 BIT",
        "BITPOS edge 0 28 39 BIT",
        "BITPOS edge 0 1 3 BYTE",
        "BITPOS edge 1 2 2",
        "BITPOS edge 0 -9223372036854775808 9223372036854775807 BIT",
        // Errors, in Redis's order.
        "BITPOS mix 2",
        "BITPOS mix -1",
        "BITPOS mix x",
        "BITPOS mix 1 x",
        "BITPOS mix 1 0 x",
        "BITPOS mix 1 0 1 foo",
        "BITPOS mix 1 0 x foo",
        "BITPOS mix 1 x 1 foo",
        "BITPOS mix 1 0 1 BIT x",
        // A missing key is endless zeros, whatever the range.
        "BITPOS nokey 0",
        "BITPOS nokey 1",
        "BITPOS nokey 0 5 10",
        "BITPOS nokey 1 x",
        "BITPOS nokey 0 1 2 foo",
        "BITPOS nokey 2",
        "BITPOS nokey x",
        "SET empty ''",
        "BITPOS empty 0",
        "BITPOS empty 1",
        "BITPOS empty 0 0 -1",
        "SET n 255",
        "BITPOS n 1",
        "BITPOS n 0 1",
        "BITPOS",
        "BITPOS k",
    ]);
    p.check_bytes(&[b"BITPOS", b"mix", b"0", b"8", b"20", b"BiT\0z"]);
}

#[test]
fn bitop_operations_across_shards() {
    let mut p = Pair::new();
    p.check_bytes(&[b"SET", b"a", b"\xff\x0f\x01\x80"]);
    p.check_bytes(&[b"SET", b"b", b"\x0f"]);
    p.check_bytes(&[
        b"SET",
        b"c",
        b"\x55\x55\x55\x55\x55\x55\x55\x55\x55\x55\xaa",
    ]);
    p.check_all(&[
        "BITOP AND d a b",
        "GET d",
        "BITOP AND d b a",
        "GET d",
        "BITOP OR d a b c",
        "GET d",
        "BITOP XOR d a b c",
        "GET d",
        "BITOP and d c a b nokey",
        "GET d",
        "BITOP Or d nokey c",
        "GET d",
        "BITOP xOr d c c",
        "GET d",
        "BITOP NOT d c",
        "GET d",
        "BITOP NOT d b",
        "GET d",
        // In place: the destination is also a source.
        "BITOP XOR a a c",
        "GET a",
        "BITOP NOT a a",
        "GET a",
        "BITOP AND d d",
        "GET d",
        // An empty result deletes the destination.
        "BITOP AND d nokey1 nokey2",
        "EXISTS d",
        "SET e ''",
        "SET d x",
        "BITOP OR d e nokey",
        "EXISTS d",
        "BITOP NOT d e",
        "EXISTS d",
        "BITOP NOT nothing nokey",
        // The destination's expiry and type do not matter; SET semantics.
        "SET t 1 EX 100",
        "BITOP OR t b",
        "TTL t",
        "GET t",
        "SET n 10",
        "BITOP NOT n n",
        "GET n",
        // Errors.
        "BITOP NOT d a b",
        "BITOP NOT d",
        "BITOP DIFF d a b",
        "BITOP ONE d a b",
        "BITOP foo d",
        "BITOP foo d a",
        "BITOP AND d",
        "BITOP",
    ]);
    p.check_bytes(&[b"BITOP", b"or\0x", b"d", b"a"]);
    p.check(&["GET", "d"]);
    // Longer strings take the word-at-a-time paths.
    let long_a: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    let long_b: Vec<u8> = (0..777u32).map(|i| (i * 13 + 1) as u8).collect();
    p.check_bytes(&[b"SET", b"la", &long_a]);
    p.check_bytes(&[b"SET", b"lb", &long_b]);
    for op in ["AND", "OR", "XOR"] {
        p.check_all(&[
            &format!("BITOP {op} dl la lb"),
            "GET dl",
            &format!("BITOP {op} dl lb la a"),
            "GET dl",
        ]);
    }
    p.check_all(&["BITOP NOT dl la", "GET dl"]);
}

#[test]
fn bitfield_get_set_incrby() {
    let mut p = Pair::new();
    p.check_all(&[
        "BITFIELD k SET u8 #1 1 GET u16 0 INCRBY u8 8 -3",
        "BITFIELD_RO k GET u8 0 GET i9 #1",
        "BITFIELD k GET i64 0 GET u63 1 GET i1 7 GET u1 7",
        "BITFIELD k SET i64 3 -1 GET i64 3 GET u63 4 GET u8 0",
        "GET k",
        "BITFIELD k SET i5 100 -7 GET i5 100 GET u5 100",
        "BITFIELD k INCRBY u3 #20 5 INCRBY u3 #20 5 INCRBY u3 #20 5",
        "BITFIELD k get u8 0 set u8 0 7 incrby u8 0 1 Get U8 0",
        "BITFIELD k",
        "BITFIELD nokey GET u8 0 GET i8 100",
        "EXISTS nokey",
        "BITFIELD nokey2 GET u8 0 SET u8 0 200 GET i8 0",
        "GET nokey2",
        // GET far past the end reads zeros and does not grow the string.
        "BITFIELD k GET u8 4294967288 GET i64 #67108863",
        "STRLEN k",
        "SET n 123",
        "BITFIELD n GET u8 0 GET u24 0 GET i4 4",
        "BITFIELD n INCRBY u8 0 1",
        "GET n",
    ]);
}

#[test]
fn bitfield_overflow_modes() {
    let mut p = Pair::new();
    p.check_all(&[
            "BITFIELD k SET u2 0 5 GET u2 0",
            "BITFIELD k OVERFLOW SAT SET u2 0 5 GET u2 0",
            "BITFIELD k OVERFLOW FAIL INCRBY u2 0 1 GET u2 0",
            "BITFIELD k INCRBY u2 0 1",
            "BITFIELD k OVERFLOW SAT INCRBY u2 0 -5",
            "BITFIELD k OVERFLOW FAIL INCRBY u2 0 -5",
            "BITFIELD k OVERFLOW WRAP INCRBY u2 0 -5",
            "BITFIELD k SET i8 0 127 INCRBY i8 0 1",
            "BITFIELD k OVERFLOW SAT INCRBY i8 0 -1000 INCRBY i8 0 1000",
            "BITFIELD k OVERFLOW FAIL INCRBY i8 0 1 OVERFLOW WRAP INCRBY i8 0 1",
            "BITFIELD k OVERFLOW SAT SET i8 0 1000 SET i8 0 -1000 GET i8 0",
            "BITFIELD k OVERFLOW FAIL SET i8 0 1000 SET i8 0 -129 SET i8 0 -128",
            "BITFIELD k SET u8 0 -1 OVERFLOW SAT SET u8 0 -1 OVERFLOW FAIL SET u8 0 -1",
            "BITFIELD k SET i64 0 9223372036854775807 INCRBY i64 0 1",
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 9223372036854775807",
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 9223372036854775807",
            "BITFIELD k OVERFLOW FAIL INCRBY i64 0 1 INCRBY i64 0 -9223372036854775808",
            "BITFIELD k SET i64 0 -9223372036854775808 OVERFLOW SAT INCRBY i64 0 -1",
            "BITFIELD k OVERFLOW WRAP INCRBY i64 0 -1",
            "BITFIELD k SET u63 0 -1 GET u63 0",
            "BITFIELD k OVERFLOW SAT SET u63 0 -1 INCRBY u63 0 1 INCRBY u63 0 -9223372036854775808",
            "BITFIELD k OVERFLOW FAIL INCRBY u63 0 1 OVERFLOW WRAP INCRBY u63 0 1",
            "BITFIELD k SET i1 0 1 GET i1 0 OVERFLOW SAT SET i1 0 1 INCRBY i1 0 -5",
            "BITFIELD k SET u1 0 1 INCRBY u1 0 1 OVERFLOW SAT INCRBY u1 0 3",
            "BITFIELD k OVERFLOW sat INCRBY u4 0 100 overflow Fail INCRBY u4 0 1 OVERFLOW wrap INCRBY u4 0 1",
            // A key created only by FAILed writes still exists (empty-valued).
            "BITFIELD fresh OVERFLOW FAIL INCRBY u2 100 10",
            "GET fresh",
            "STRLEN fresh",
        ],
    );
}

#[test]
fn bitfield_errors_in_redis_order() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET k x",
        "BITFIELD k GET I8 0",
        "BITFIELD k GET i0 0",
        "BITFIELD k GET u0 0",
        "BITFIELD k GET u64 0",
        "BITFIELD k GET i65 0",
        "BITFIELD k GET i08 0",
        "BITFIELD k GET i+8 0",
        "BITFIELD k GET x8 0",
        "BITFIELD k GET i 0",
        "BITFIELD k GET '' 0",
        "BITFIELD k GET u8 -1",
        "BITFIELD k GET u8 #-1",
        "BITFIELD k GET u8 ##1",
        "BITFIELD k GET u8 #",
        "BITFIELD k GET u8 x",
        "BITFIELD k GET u8 1.5",
        "BITFIELD k GET u8 4294967295",
        "BITFIELD k GET u8 4294967296",
        "BITFIELD k GET u8 #536870911",
        "BITFIELD k GET u8 #536870912",
        "BITFIELD k GET i64 #67108864",
        "BITFIELD k GET u8 #9223372036854775807",
        "BITFIELD k GET i64 #2305843009213693952",
        "BITFIELD k SET u8 0 x",
        "BITFIELD k SET u8 0 1.0",
        "BITFIELD k SET u8 0 9223372036854775808",
        "BITFIELD k INCRBY u8 0 x",
        "BITFIELD k OVERFLOW",
        "BITFIELD k OVERFLOW foo",
        "BITFIELD k OVERFLOW foo GET u8 0",
        "BITFIELD k foo",
        "BITFIELD k GET",
        "BITFIELD k GET u8",
        "BITFIELD k SET u8 0",
        "BITFIELD k INCRBY u8 0",
        "BITFIELD k GET u8 0 foo",
        "BITFIELD k GET u8 0 SET u8 1",
        // Everything is parsed before anything runs.
        "BITFIELD k SET u8 0 255 GET u8 x",
        "GET k",
        "BITFIELD k SET u8 0 255 OVERFLOW bad",
        "GET k",
        "BITFIELD",
        // BITFIELD_RO.
        "BITFIELD_RO k GET u8 0",
        "BITFIELD_RO k OVERFLOW SAT GET u8 0",
        "BITFIELD_RO k SET u8 0 1",
        "BITFIELD_RO k INCRBY u8 0 1",
        "BITFIELD_RO k GET u8 0 INCRBY u8 0 1",
        "BITFIELD_RO k SET u8 0 x",
        "BITFIELD_RO k SET u64 0 1",
        "BITFIELD_RO nokey SET u8 0 1",
        "EXISTS nokey",
        "BITFIELD_RO k",
        "BITFIELD_RO",
        "GET k",
    ]);
    p.check_bytes(&[b"BITFIELD", b"k", b"get\0x", b"u8\0junk", b"0"]);
    p.check_bytes(&[
        b"BITFIELD",
        b"k",
        b"OVERFLOW\0",
        b"sat\0",
        b"INCRBY",
        b"u8",
        b"0",
        b"1000",
    ]);
    p.check_bytes(&[b"BITFIELD", b"k", b"GET", b"u8", b"0\0"]);
    p.check_bytes(&[b"BITFIELD", b"k", b"GET", b"u8", b"#1\0"]);
    p.check_bytes(&[b"SETBIT", b"k", b"1", b"1\0"]);
    p.check_bytes(&[b"SETBIT", b"k", b"1\0", b"1"]);
}

#[test]
fn resp3_null_for_failed_bitfield() {
    let mut p = Pair::new();
    p.hello3();
    p.check_all(&[
        "BITFIELD k OVERFLOW FAIL INCRBY u2 0 9 GET u2 0",
        "BITFIELD k",
        "BITCOUNT k",
        "BITPOS k 1",
        "GETBIT k 1",
    ]);
}

/// Same offsets, against a small `proto-max-bulk-len`: the limit bounds
/// every offset, and nothing past it is created.
#[test]
fn offsets_respect_proto_max_bulk_len() {
    let mut p = Pair::new();
    p.check_all(&[
        "CONFIG SET proto-max-bulk-len 1048576",
        "SETBIT k 8388608 1",
        "EXISTS k",
        "GETBIT k 8388608",
        "BITFIELD k SET u8 #1048576 1",
        "BITFIELD k GET u8 #1048576",
        "EXISTS k",
        "SETBIT k 8388607 1",
        "STRLEN k",
        "BITCOUNT k",
        "BITPOS k 1",
        "BITPOS k 0 -1",
        // Only a field's first bit is checked, so it may end past the limit.
        "BITFIELD k SET i64 8388607 -1",
        "STRLEN k",
        "BITCOUNT k",
        "BITFIELD k GET i64 8388607 GET u8 #1048575",
        "BITFIELD j SET u8 #1048575 255",
        "STRLEN j",
        "BITPOS j 1",
        "BITPOS j 0",
        "BITPOS j 0 0 -1",
        "BITPOS j 0 -1 -1",
        "BITCOUNT j -1 -1",
        "BITCOUNT j 8388600 8388607 BIT",
        "BITOP NOT nj j",
        "BITCOUNT nj",
        "BITPOS nj 0",
        "BITPOS nj 1 8388607 -1 BIT",
    ]);
}

/// Random command sequences over a few keys, binary values included, checked
/// against Redis reply by reply.
#[test]
fn random_sequences_match_redis() {
    let mut p = Pair::new();
    let mut rng = StdRng::seed_from_u64(0xb17);
    let keys = ["k1", "k2", "{k}1", "{k}2"];
    for _ in 0..3000 {
        let cmd = random_command(&mut rng, &keys);
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        p.check_bytes(&args);
        if let Some(name) = cmd.first() {
            if name.starts_with(b"SET") || name.starts_with(b"BITFIELD") || name == b"BITOP" {
                let key = if name == b"BITOP" { &cmd[2] } else { &cmd[1] };
                p.check_bytes(&[b"GET", key]);
                p.check_bytes(&[b"OBJECT", b"ENCODING", key]);
            }
        }
    }
}

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    let len = [0, 1, 2, 3, 5, 8, 9, 16, 17, 33, 40, 70][rng.random_range(0..12)];
    match rng.random_range(0..10) {
        0..=2 => (0..len)
            .map(|_| if rng.random() { 0xff } else { 0 })
            .collect(),
        3..=4 => (0..len)
            .map(|_| [0, 0xff, 1, 0x80, 0x7f, 0xfe, 0x0f, 0xf0][rng.random_range(0..8)])
            .collect(),
        5 => rng.random_range(-1000i64..100_000).to_string().into_bytes(),
        _ => (0..len).map(|_| rng.random()).collect(),
    }
}

fn random_index(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=4 => rng.random_range(-20i64..40).to_string(),
        5..=7 => rng.random_range(-600i64..600).to_string(),
        8 => [
            "0",
            "-1",
            "x",
            "",
            "-0",
            "01",
            "9223372036854775807",
            "-9223372036854775808",
        ][rng.random_range(0..8)]
        .to_string(),
        _ => rng.random_range(-1_000_000i64..1_000_000).to_string(),
    }
}

fn random_type(rng: &mut StdRng) -> String {
    if rng.random_range(0..10) == 0 {
        return ["I8", "u64", "i65", "i0", "u", "x8"][rng.random_range(0..6)].to_string();
    }
    let signed: bool = rng.random();
    let bits = rng.random_range(1..if signed { 65 } else { 64 });
    format!("{}{bits}", if signed { "i" } else { "u" })
}

/// A field offset; writes stay small (a few bytes), reads may look far away.
fn random_offset(rng: &mut StdRng, write: bool) -> String {
    match rng.random_range(0..10) {
        0..=5 => rng.random_range(0..200).to_string(),
        6..=7 => format!("#{}", rng.random_range(0..30)),
        _ if write => ["-1", "#-1", "x", "4294967300", "#536870912"][rng.random_range(0..5)].into(),
        _ => ["-1", "#-1", "x", "4294967295", "4294967300", "#536870911"][rng.random_range(0..6)]
            .into(),
    }
}

/// A value near the edges of a field type, or anything.
fn random_field_value(rng: &mut StdRng) -> String {
    let bits = rng.random_range(1..64u32);
    let lim = 1i128 << bits;
    let base = [
        0,
        lim,
        -lim,
        lim / 2,
        -lim / 2,
        i64::MAX as i128,
        i64::MIN as i128,
        1,
        -1,
    ][rng.random_range(0..9)];
    let v = (base + rng.random_range(-2i128..=2)).clamp(i64::MIN as i128, i64::MAX as i128);
    match rng.random_range(0..20) {
        0 => "x".into(),
        _ => v.to_string(),
    }
}

fn random_command(rng: &mut StdRng, keys: &[&str]) -> Vec<Vec<u8>> {
    let key = keys[rng.random_range(0..keys.len())].to_string();
    let s = |x: &str| x.as_bytes().to_vec();
    let unit = |rng: &mut StdRng| ["BIT", "BYTE", "bit", "byte", "foo"][rng.random_range(0..5)];
    let mut c: Vec<Vec<u8>>;
    match rng.random_range(0..100) {
        0..=14 => {
            c = vec![s("SET"), s(&key), random_value(rng)];
        }
        15..=24 => {
            let off = match rng.random_range(0..8) {
                0 => ["-1", "x", "4294967296"][rng.random_range(0..3)].to_string(),
                _ => rng.random_range(0..300).to_string(),
            };
            let bit = ["0", "1", "1", "0", "2", "-1"][rng.random_range(0..6)];
            c = vec![s("SETBIT"), s(&key), s(&off), s(bit)];
        }
        25..=32 => {
            let off = match rng.random_range(0..5) {
                0 => random_index(rng),
                _ => rng.random_range(0..300).to_string(),
            };
            c = vec![s("GETBIT"), s(&key), s(&off)];
        }
        33..=44 => {
            c = vec![s("BITCOUNT"), s(&key)];
            let n = [0, 2, 2, 3, 3, 1, 4][rng.random_range(0..7)];
            if n >= 1 {
                c.push(s(&random_index(rng)));
            }
            if n >= 2 {
                c.push(s(&random_index(rng)));
            }
            if n >= 3 {
                c.push(s(unit(rng)));
            }
            if n >= 4 {
                c.push(s("x"));
            }
        }
        45..=61 => {
            let bit = ["0", "1", "0", "1", "2", "x"][rng.random_range(0..6)];
            c = vec![s("BITPOS"), s(&key), s(bit)];
            let n = [0, 1, 2, 2, 3, 3, 3, 4][rng.random_range(0..8)];
            if n >= 1 {
                c.push(s(&random_index(rng)));
            }
            if n >= 2 {
                c.push(s(&random_index(rng)));
            }
            if n >= 3 {
                c.push(s(unit(rng)));
            }
            if n >= 4 {
                c.push(s("x"));
            }
        }
        62..=71 => {
            let op = ["AND", "OR", "XOR", "NOT", "and", "foo"][rng.random_range(0..6)];
            let dest = keys[rng.random_range(0..keys.len())];
            c = vec![s("BITOP"), s(op), s(dest)];
            for _ in 0..[1, 1, 2, 3][rng.random_range(0..4)] {
                let src = if rng.random_range(0..5) == 0 {
                    "nokey"
                } else {
                    keys[rng.random_range(0..keys.len())]
                };
                c.push(s(src));
            }
        }
        72..=95 => {
            let name = ["BITFIELD", "BITFIELD", "BITFIELD_RO"][rng.random_range(0..3)];
            c = vec![s(name), s(&key)];
            for _ in 0..rng.random_range(0..5) {
                match rng.random_range(0..100) {
                    0..=34 => c.extend([
                        s("GET"),
                        s(&random_type(rng)),
                        s(&random_offset(rng, false)),
                    ]),
                    35..=59 => c.extend([
                        s("SET"),
                        s(&random_type(rng)),
                        s(&random_offset(rng, true)),
                        s(&random_field_value(rng)),
                    ]),
                    60..=84 => c.extend([
                        s("INCRBY"),
                        s(&random_type(rng)),
                        s(&random_offset(rng, true)),
                        s(&random_field_value(rng)),
                    ]),
                    85..=96 => c.extend([
                        s("OVERFLOW"),
                        s(["WRAP", "SAT", "FAIL", "sat", "fail", "bad"][rng.random_range(0..6)]),
                    ]),
                    _ => c.push(s(
                        ["GET", "SET", "incrby", "OVERFLOW"][rng.random_range(0..4)]
                    )),
                }
            }
        }
        _ => c = vec![s("GET"), s(&key)],
    }
    c
}

/// Big bitmaps: counting and searching 64 MB must take well under a second
/// (a bit-at-a-time loop would take many).
#[test]
fn large_bitmaps_are_fast() {
    let server = TestServer::start();
    let mut c = server.client();
    let last = (64u64 << 23) - 1; // the last bit of 64 MB
    assert_eq!(
        show(&c.cmd_str(&["SETBIT", "big", &last.to_string(), "1"])),
        ":0\\r\\n"
    );
    assert_eq!(show(&c.cmd_str(&["SETBIT", "big", "5", "1"])), ":0\\r\\n");
    let t = Instant::now();
    for _ in 0..5 {
        assert_eq!(show(&c.cmd_str(&["BITCOUNT", "big"])), ":2\\r\\n");
    }
    assert_eq!(
        show(&c.cmd_str(&["BITPOS", "big", "1", "1"])),
        format!(":{last}\\r\\n")
    );
    assert_eq!(
        show(&c.cmd_str(&["BITOP", "NOT", "inv", "big"])),
        ":67108864\\r\\n"
    );
    assert_eq!(
        show(&c.cmd_str(&["BITPOS", "inv", "0", "1"])),
        format!(":{last}\\r\\n")
    );
    assert_eq!(
        show(&c.cmd_str(&["BITCOUNT", "inv", "0", "-1", "BIT"])),
        format!(":{}\\r\\n", last + 1 - 2)
    );
    let spent = t.elapsed();
    assert!(
        spent < Duration::from_secs(5),
        "5 BITCOUNTs, 2 BITPOS, a BITCOUNT BIT and a BITOP over 64 MB took {spent:?}"
    );
    c.cmd_str(&["DEL", "big", "inv"]);
}

#[test]
fn wrong_type_errors() {
    let mut p = Pair::new();
    if !p.make_other_type("l") {
        eprintln!("bitmap wrong_type_errors: Ferrite has no non-string type yet; not run");
        return;
    }
    p.check_all(&[
        "SET s foobar",
        "GETBIT l 0",
        "GETBIT l -1",
        "SETBIT l 0 1",
        "SETBIT l -1 1",
        "SETBIT l 0 2",
        "BITCOUNT l",
        "BITCOUNT l a b",
        "BITCOUNT l 0",
        "BITPOS l 1",
        "BITPOS l 2",
        "BITPOS l 1 x",
        "BITOP AND d s l",
        "BITOP AND d l nokey",
        "EXISTS d",
        "BITOP OR l s",
        "GET l",
        "BITFIELD l GET u8 0",
        "BITFIELD l SET u8 0 1",
        "BITFIELD l GET u8 x",
        "BITFIELD l",
        "BITFIELD_RO l GET u8 0",
        "BITFIELD_RO l SET u8 0 1",
    ]);
}
