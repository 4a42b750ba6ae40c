//! The string group against the real Redis: every command, option and error
//! case, byte for byte. Ferrite runs with 3 shards, so the multi-key
//! commands (MGET, MSET, MSETNX, LCS) also cross shards here.

use ferrite_testkit::Pair;

/// 45 bytes: one past the longest `embstr`.
const LONG45: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// 44 bytes: the longest `embstr`.
const LONG44: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#[test]
fn get_set_and_conditions() {
    let mut p = Pair::new();
    p.check_all(&[
        "GET k",
        "SET k v",
        "GET k",
        "SET k v XX",
        "SET x v XX",
        "GET x",
        "SET k w NX",
        "GET k",
        "SET n 1 NX",
        "GET n",
        "SET k x GET",
        "SET k y NX GET",
        "GET k",
        "SET m y XX GET",
        "GET m",
        "SET m y NX GET",
        "GET m",
        "SET k v nx nx",
        "SET k z get get",
        "SET k z keepttl keepttl",
        "set K lower",
        "GET K",
        "SET",
        "SET k",
        "GET",
        "GET a b",
    ]);
    p.check(&["SET", "e", ""]);
    p.check(&["GET", "e"]);
    p.check_bytes(&[b"SET", b"bin", b"a\0b\r\n\xff"]);
    p.check_bytes(&[b"GET", b"bin"]);
    // Options compare as C strings, up to a NUL byte.
    p.check_bytes(&[b"SET", b"k", b"q", b"XX\0junk"]);
    p.check(&["GET", "k"]);
}

#[test]
fn set_option_grammar_and_expire_errors() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET k v NX XX",
        "SET k v XX NX",
        "SET k v EX 1 PX 1",
        "SET k v PX 1 EXAT 1",
        "SET k v EXAT 1 PXAT 1",
        "SET k v EX 1 KEEPTTL",
        "SET k v KEEPTTL PX 3",
        "SET k v EX",
        "SET k v PXAT",
        "SET k v foo",
        "SET k v PERSIST",
        "SET k v GET EX",
        "SET k v EX abc PX 1",
        "SET k v EX abc",
        "SET k v EX 1.5",
        "SET k v EX 010",
        "SET k v EX +5",
        "SET k v EX 0",
        "SET k v EX -1",
        "SET k v PX 0",
        "SET k v PX -100",
        "SET k v EXAT 0",
        "SET k v PXAT -1",
        "SET k v EX 9223372036854775807",
        "SET k v EX 9223372036854775",
        "SET k v EX 9223372036854774",
        "SET k v PX 9223372036854775807",
        "SET k v PX 9223372036854775000",
        "SET k v EXAT 9223372036854775807",
        "SET k v EXAT 9223372036854776",
        "SET k v EX 99999999999999999999",
        "SET k v GET NX EX 0",
        "SET k v GET NX EX abc",
        "EXISTS k",
        "SET k v PXAT 9223372036854775807",
        "GET k",
        "SET k v EXAT 9223372036854775",
        "GET k",
        "SET k v EX 100 EX 200",
        "GET k",
    ]);
}

#[test]
fn set_expiry_and_ttl() {
    let mut p = Pair::new();
    p.check_all(&[
        "SET k v EX 100",
        "TTL k",
        "SET k v PX 100000",
        "TTL k",
        "SET k w KEEPTTL",
        "TTL k",
        "GET k",
        "SET k w",
        "TTL k",
        "SET k v EXAT 4102444800",
        "TTL k",
        "SET k v PXAT 4102444800000",
        "TTL k",
        "SET k v ex 100 GET",
        "SET k v xx keepttl get",
        "TTL k",
        // An absolute time in the past: set, then gone.
        "SET old v PXAT 1",
        "GET old",
        "EXISTS old",
        "SET old v EXAT 1 GET",
        "GET old",
        "SET k v PX 1",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(10));
    p.check_all(&["GET k", "EXISTS k"]);
}

#[test]
fn setnx_setex_psetex() {
    let mut p = Pair::new();
    p.check_all(&[
        "SETNX k 5",
        "SETNX k 6",
        "GET k",
        "SETEX k 100 42",
        "TTL k",
        "GET k",
        "PSETEX k 100000 x",
        "TTL k",
        "SETEX k 0 v",
        "SETEX k -1 v",
        "SETEX k 9223372036854775 v",
        "SETEX k abc v",
        "PSETEX k 0 v",
        "PSETEX k 9223372036854775807 v",
        "PSETEX k 1.5 v",
        "SETEX k 1",
        "PSETEX k 1",
        "SETNX k",
        "SETNX a b c",
        "GET k",
    ]);
}

#[test]
fn getset_getdel() {
    let mut p = Pair::new();
    p.check_all(&[
        "GETSET k 5",
        "GETSET k x",
        "SET t v EX 100",
        "GETSET t w",
        "TTL t",
        "GETDEL t",
        "GETDEL t",
        "EXISTS t",
        "GETDEL",
        "GETSET k",
    ]);
}

#[test]
fn getex_options() {
    let mut p = Pair::new();
    p.check_all(&[
        "GETEX k",
        "GETEX k EX 0",
        "GETEX k EX abc",
        "GETEX k PERSIST EX 1",
        "SET k v",
        "GETEX k",
        "TTL k",
        "GETEX k EX 0",
        "GETEX k PX -5",
        "GETEX k EXAT 0",
        "GETEX k PXAT -1",
        "GETEX k EX 9223372036854775807",
        "GETEX k EX abc",
        "GETEX k PERSIST EX 1",
        "GETEX k EX 1 PERSIST",
        "GETEX k NX",
        "GETEX k XX",
        "GETEX k KEEPTTL",
        "GETEX k GET",
        "GETEX k EX",
        "GETEX k foo",
        "GETEX k EX 1 PX 1",
        "GETEX k EX 100",
        "TTL k",
        "GETEX k PX 200000 PX 300000",
        "TTL k",
        "GETEX k EXAT 4102444800",
        "TTL k",
        "GETEX k PXAT 4102444800000",
        "TTL k",
        "GETEX k PERSIST",
        "TTL k",
        "GETEX k PERSIST persist",
        "TTL k",
        // An absolute time in the past deletes the key.
        "GETEX k EXAT 1",
        "EXISTS k",
        "SET k v",
        "GETEX k PXAT 1",
        "EXISTS k",
        "GETEX",
    ]);
}

#[test]
fn getrange_substr_strlen() {
    let mut p = Pair::new();
    p.check_all(&[
        "GETRANGE k 0 -1",
        "GETRANGE k a 1",
        "GETRANGE k 0 b",
        "STRLEN k",
        "SET k HelloWorld",
        "STRLEN k",
        "SET n -12345",
        "STRLEN n",
        "GETRANGE n 1 2",
        "GETRANGE n -2 -1",
        "SUBSTR n 0 0",
        "SET e x",
        "SETRANGE e 0 y",
    ]);
    for (a, b) in [
        ("0", "4"),
        ("-5", "-1"),
        ("0", "-1"),
        ("5", "3"),
        ("-1", "-5"),
        ("-100", "2"),
        ("-100", "-100"),
        ("3", "100"),
        ("-9223372036854775808", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775807", "9223372036854775807"),
        ("10", "20"),
        ("9", "9"),
        ("0", "-100"),
        ("-1", "0"),
    ] {
        p.check(&["GETRANGE", "k", a, b]);
        p.check(&["SUBSTR", "k", a, b]);
    }
    p.check(&["SET", "empty", ""]);
    p.check(&["GETRANGE", "empty", "0", "-1"]);
    p.check(&["GETRANGE", "empty", "-1", "0"]);
    p.check(&["STRLEN", "empty"]);
    p.check_all(&["GETRANGE k 0", "SUBSTR k 0 1 2", "STRLEN", "STRLEN a b"]);
}

#[test]
fn counters_and_overflow() {
    let mut p = Pair::new();
    p.check_all(&[
        "INCR k",
        "INCRBY k 10",
        "DECR k",
        "DECRBY k 20",
        "DECR new",
        "INCRBY k abc",
        "INCRBY k 1.5",
        "INCRBY k 99999999999999999999",
        "DECRBY k abc",
        "SET k 9223372036854775806",
        "INCR k",
        "INCR k",
        "GET k",
        "INCRBY k 0",
        "SET k -9223372036854775808",
        "DECR k",
        "INCRBY k -1",
        "INCRBY k 9223372036854775807",
        "DECRBY k -9223372036854775808",
        "DECRBY nokey -9223372036854775808",
        "DECRBY k 9223372036854775807",
        "DECRBY k 1",
        "SET k 5",
        "INCRBY k 9223372036854775807",
        "SET t 1 EX 100",
        "INCR t",
        "TTL t",
        "SET big 12345678901234567890",
        "INCR big",
        "INCR",
        "INCRBY k",
        "DECR a b",
    ]);
    for bad in [
        "", " 1", "1 ", "007", "-0", "1.0", "abc", "+1", "0x10", "1e3",
    ] {
        p.check(&["SET", "k", bad]);
        p.check(&["INCR", "k"]);
        p.check(&["DECRBY", "k", "1"]);
        p.check(&["INCRBY", "j", bad]);
    }
    // Digits made raw by APPEND still count.
    p.check_all(&["SET k 12", "APPEND k 3", "INCR k", "GET k"]);
}

#[test]
fn incrbyfloat_values_and_errors() {
    let mut p = Pair::new();
    p.check_all(&[
        "INCRBYFLOAT k 1.5",
        "INCRBYFLOAT k 1.5",
        "SET k 1",
        "INCRBYFLOAT k 2",
        "INCRBYFLOAT e 0.1",
        "INCRBYFLOAT e 0.2",
        "INCRBYFLOAT e -0.3",
        "INCRBYFLOAT h 0x10",
        "INCRBYFLOAT h -0",
        "INCRBYFLOAT h 1e-20",
        "INCRBYFLOAT d 1e-20",
        "INCRBYFLOAT d -1e-20",
        "INCRBYFLOAT f 1.0e1",
        "INCRBYFLOAT f .5",
        "INCRBYFLOAT f +5",
        "INCRBYFLOAT f 5.",
        "INCRBYFLOAT f 1E2",
        "INCRBYFLOAT f 0X1P3",
        "SET o 1.5",
        "INCRBYFLOAT o 1e30",
        "INCRBYFLOAT big 1e300",
        "INCRBYFLOAT big -1e300",
        "INCRBYFLOAT huge 1e4000",
        "STRLEN huge",
        "INCRBYFLOAT tiny 1e-400",
        "INCRBYFLOAT m 9223372036854775807",
        "INCRBYFLOAT m 1",
        "INCRBYFLOAT m -9223372036854775808",
        "INCRBYFLOAT x inf",
        "INCRBYFLOAT x -inf",
        "INCRBYFLOAT x infinity",
        "INCRBYFLOAT x nan",
        "INCRBYFLOAT x -nan",
        "INCRBYFLOAT x abc",
        "INCRBYFLOAT x 1e5000",
        "INCRBYFLOAT x 1e-5000",
        "INCRBYFLOAT x 0e-5000",
        "INCRBYFLOAT x 1,5",
        "INCRBYFLOAT x 0x",
        "SET x inf",
        "INCRBYFLOAT x 1",
        "SET x abc",
        "INCRBYFLOAT x 1",
        "INCRBYFLOAT x abc",
        "SET x 1e5",
        "INCRBYFLOAT x 1",
        "SET x 1.7976931348623157e308",
        "INCRBYFLOAT x 1.7976931348623157e308",
        "SET t 100 EX 100",
        "INCRBYFLOAT t 1",
        "TTL t",
        "INCRBYFLOAT",
        "INCRBYFLOAT x",
    ]);
    for bad in ["", " 1", "1 ", "\t1", "1\n"] {
        p.check(&["INCRBYFLOAT", "x", bad]);
        p.check(&["SET", "y", bad]);
        p.check(&["INCRBYFLOAT", "y", "1"]);
    }
    // A long run of additions keeps agreeing (long double rounding).
    for i in 0..50 {
        let step = format!("{}.{}", i * 7919 % 1000, i * 104729 % 997);
        p.check(&["INCRBYFLOAT", "acc", &step]);
        p.check(&["INCRBYFLOAT", "acc", "-0.0001"]);
    }
}

#[test]
fn append_and_setrange() {
    let mut p = Pair::new();
    p.check_all(&[
        "APPEND k 12",
        "APPEND k 3",
        "GET k",
        "APPEND k",
        "SET t hello EX 100",
        "APPEND t world",
        "TTL t",
        "GET t",
        "SETRANGE s -1 x",
        "SETRANGE s a x",
        "SETRANGE s 1.5 x",
        "SETRANGE s 9223372036854775808 x",
        "EXISTS s",
        "SETRANGE s 0 ab",
        "SETRANGE s 4 z",
        "GET s",
        "SETRANGE s 1 X",
        "GET s",
        "SETRANGE n 3 x",
        "GET n",
        "SET j 1",
        "SETRANGE j 0 2",
        "GET j",
        "INCR j",
        "SETRANGE t 1 E",
        "TTL t",
        "GET t",
        "SETRANGE t 100 ''",
        "SETRANGE s 0",
    ]);
    p.check(&["SETRANGE", "none", "0", ""]);
    p.check(&["EXISTS", "none"]);
    p.check(&["SETRANGE", "none", "100", ""]);
    p.check(&["SETRANGE", "t", "5", ""]);
    p.check(&["APPEND", "e", ""]);
    p.check(&["GET", "e"]);
    p.check(&["EXISTS", "e"]);
    p.check_bytes(&[b"APPEND", b"bin", b"\0\xff"]);
    p.check_bytes(&[b"SETRANGE", b"bin", b"1", b"\r\n"]);
    p.check(&["GET", "bin"]);
}

#[test]
fn size_limit_errors() {
    let mut p = Pair::new();
    p.check_all(&[
        "SETRANGE k 536870912 x",
        "SETRANGE k 536870911 xy",
        "SETRANGE k 9223372036854775807 x",
        "EXISTS k",
        "SET k abc",
        "SETRANGE k 536870912 x",
        "SETRANGE k 536870911 ''",
        "SETRANGE k 4611686018427387904 x",
        "GET k",
    ]);
    // A smaller limit makes APPEND's check reachable without big strings.
    p.check_all(&["CONFIG SET proto-max-bulk-len 1048576"]);
    let mb = "x".repeat(1024 * 1024 - 2);
    p.check(&["SET", "a", &mb]);
    p.check(&["APPEND", "a", "yy"]);
    p.check(&["APPEND", "a", "z"]);
    p.check(&["APPEND", "a", ""]);
    p.check(&["SETRANGE", "a", "1048575", "q"]);
    p.check(&["SETRANGE", "a", "1048576", "q"]);
    p.check(&["SETRANGE", "fresh", "1048576", "q"]);
    p.check(&["STRLEN", "a"]);
}

#[test]
fn mget_mset_msetnx_across_shards() {
    let mut p = Pair::new();
    p.check_all(&[
        "MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8",
        "MGET a b c d e f g h nope",
        "MGET nope",
        "MSET a",
        "MSET a b c",
        "MSETNX a b c",
        "MSET",
        "MGET",
        "MSETNX x 1 y 2 a 9",
        "MGET x y a",
        "MSETNX x 1 y 2 z 3",
        "MGET x y z",
        "MSETNX p 1 p 2",
        "GET p",
        "MSET q 1 q 2 q 3",
        "GET q",
        "SET t v EX 100",
        "MSET t w u x",
        "TTL t",
        "MGET t u",
        "MSETNX t 1",
        "MGET a a a",
    ]);
    let keys: Vec<String> = (0..40).map(|i| format!("key:{i}")).collect();
    let mut mset = vec!["MSET".to_string()];
    for (i, k) in keys.iter().enumerate() {
        mset.push(k.clone());
        mset.push(format!("v{i}"));
    }
    let args: Vec<&str> = mset.iter().map(String::as_str).collect();
    p.check(&args);
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    mget.push("missing");
    p.check(&mget);
}

#[test]
fn lcs_all_shapes() {
    let mut p = Pair::new();
    p.check_all(&[
        "MSET a ohmytext b mynewtext",
        "LCS a b",
        "LCS b a",
        "LCS a b LEN",
        "LCS a b len withmatchlen",
        "LCS a b WITHMATCHLEN",
        "LCS a b IDX",
        "LCS b a IDX",
        "LCS a b IDX WITHMATCHLEN",
        "LCS a b IDX MINMATCHLEN 4",
        "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN",
        "LCS a b IDX MINMATCHLEN -5",
        "LCS a b MINMATCHLEN 2 IDX",
        "LCS a b LEN IDX",
        "LCS a b IDX LEN",
        "LCS a b LEN LEN",
        "LCS a b MINMATCHLEN",
        "LCS a b MINMATCHLEN x",
        "LCS a b MINMATCHLEN x LEN IDX",
        "LCS a b foo",
        "LCS a b LEN foo",
        "LCS a nokey",
        "LCS a nokey IDX",
        "LCS nokey nokey2 IDX WITHMATCHLEN",
        "LCS a a IDX WITHMATCHLEN",
        "LCS a",
        "MSET n 12345 m 9234",
        "LCS n m IDX WITHMATCHLEN",
        "MSET s1 ACCGGTCGAGTGCGCGGAAGCCGGCCGAA s2 GTCGTTCGGAATGCCGTTGCTCTGTAAA",
        "LCS s1 s2",
        "LCS s1 s2 IDX WITHMATCHLEN",
        "LCS s2 s1 IDX MINMATCHLEN 3",
        "MSET r1 aaaa r2 aa",
        "LCS r1 r2 IDX",
        "LCS r2 r1 IDX",
    ]);
    p.check_bytes(&[b"MSET", b"x1", b"\0a\xffb\0", b"x2", b"a\0\xff\0"]);
    p.check(&["LCS", "x1", "x2", "IDX", "WITHMATCHLEN"]);
    p.check(&["LCS", "x1", "x2"]);
}

#[test]
fn resp3_replies() {
    let mut p = Pair::new();
    // The HELLO replies differ (server name, id); only the protocol switch matters.
    p.hello3();
    p.check_all(&[
        "GET nope",
        "SET k v XX",
        "SET k v NX",
        "SET k w NX",
        "SET x v XX GET",
        "MGET k nope",
        "GETEX nope",
        "GETDEL nope",
        "GETSET nope v",
        "MSET a ohmytext b mynewtext",
        "LCS a b IDX",
        "LCS a b IDX WITHMATCHLEN MINMATCHLEN 4",
        "LCS a b LEN",
        "LCS nokey nokey2 IDX",
        "INCRBYFLOAT f 1.5",
    ]);
}

#[test]
fn object_encodings() {
    let mut p = Pair::new();
    let enc = |p: &mut Pair, k: &str| {
        p.check(&["OBJECT", "ENCODING", k]);
    };
    for (k, v) in [
        ("i", "123"),
        ("neg", "-9223372036854775808"),
        ("over", "9223372036854775808"),
        ("lead", "007"),
        ("mz", "-0"),
        ("e44", LONG44),
        ("r45", LONG45),
        ("sp", " 1"),
    ] {
        p.check(&["SET", k, v]);
        enc(&mut p, k);
    }
    p.check(&["MSET", "mb", "12", "mc", "xx", "md", LONG45]);
    for k in ["mb", "mc", "md"] {
        enc(&mut p, k);
    }
    p.check_all(&[
        "SETNX sn 5",
        "GETSET sn 7",
        "GETSET gs x",
        "APPEND ap 12",
        "SETRANGE sr 0 ab",
        "SET sj 1",
        "SETRANGE sj 0 2",
        "SET se abc",
        "SETRANGE se 0 ''",
        "SET sz 12",
        "SETRANGE sz 5 ''",
        "SET f1 1",
        "INCRBYFLOAT f1 2",
        "INCRBYFLOAT f2 1.5",
        "SET f3 1",
        "INCRBYFLOAT f3 2",
        "INCR f3",
        "SETEX x1 100 42",
        "PSETEX x2 100000 hello",
        "SET kt x EX 100",
        "SET kt 12 KEEPTTL",
        "MSETNX w1 1 w2 hello",
        "SET y 10",
        "INCRBY y 0",
        "APPEND z 00",
        "SET h 5",
        "APPEND h ''",
        "INCR c",
        "INCRBYFLOAT big 1e300",
    ]);
    for k in [
        "sn", "gs", "ap", "sr", "sj", "se", "sz", "f1", "f2", "f3", "x1", "x2", "kt", "w1", "w2",
        "y", "z", "h", "c", "big",
    ] {
        enc(&mut p, k);
    }
    p.check_all(&[
        "APPEND ap 3",
        "OBJECT ENCODING ap",
        "GETEX r45",
        "OBJECT ENCODING r45",
    ]);
}

#[test]
fn wrong_type_errors() {
    let mut p = Pair::new();
    if !p.make_other_type("l") {
        // Strings are still the only type: there is nothing to be wrong about.
        eprintln!("wrong_type_errors: Ferrite has no non-string type yet; WRONGTYPE cases not run");
        return;
    }
    p.check_all(&[
        "GET l",
        "SET l x GET",
        "SET l x NX GET",
        "SET l x GET NX EX 0",
        "SET l x GET NX EX abc",
        "GETSET l x",
        "GETDEL l",
        "GETEX l",
        "GETEX l EX 0",
        "GETEX l PERSIST",
        "GETRANGE l 0 1",
        "GETRANGE l a 1",
        "SUBSTR l 0 1",
        "STRLEN l",
        "INCR l",
        "DECR l",
        "INCRBY l 1",
        "INCRBY l abc",
        "DECRBY l 1",
        "DECRBY l -9223372036854775808",
        "INCRBYFLOAT l 1",
        "INCRBYFLOAT l abc",
        "APPEND l x",
        "SETRANGE l 0 x",
        "SETRANGE l 1 ''",
        "SETRANGE l -1 x",
        "SETRANGE l a x",
        "LCS l nokey",
        "LCS nokey l",
        "LCS l nokey foo",
        "MGET l nokey",
        "MSETNX l 1 fresh 2",
        "EXISTS fresh",
        "SETNX l v",
        "SET l v XX",
        "GET l",
    ]);
    assert!(p.make_other_type("l2"));
    p.check_all(&["MSET l2 v", "GET l2"]);
    assert!(p.make_other_type("l3"));
    p.check_all(&["SET l3 v", "GET l3"]);
}
