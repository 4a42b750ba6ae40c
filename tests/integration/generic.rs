//! The generic group (DEL, EXPIRE, TTL, RENAME, COPY, MOVE, OBJECT, ...)
//! against the real Redis, byte for byte, on a 3-shard Ferrite so that the
//! multi-key commands cross shards.

use std::time::Duration;

use ferrite_testkit::{show, Pair, TestServer};

#[test]
fn del_unlink_exists_touch_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "set k1 1",
        "set k2 2",
        "set k5 3",
        "set key3 4",
        "exists k1",
        "exists k1 k1 k2 missing k5 k5",
        "touch k1 k2 missing",
        "del k1 missing k2 k1",
        "exists k1 k2 k5 key3",
        "unlink k5 k5 key3 missing",
        "exists k1 k2 k5 key3",
        "del missing",
        "unlink missing",
        "del",
        "exists",
        "touch",
    ]);
}

#[test]
fn expire_options_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "set k v",
        "expire k 10 nx xx",
        "expire k 10 nx gt",
        "expire k 10 NX lt",
        "expire k 10 gt lt",
        "expire k 10 xx gt lt",
        "expire k 10 foo",
        "expire k abc foo",
        "expire k abc nx xx",
        "expire k abc",
        "expire k 1.5",
        "expire k",
        "expire k 10 xx",
        "expire k 10 gt",
        "expire k 100 NX",
        "ttl k",
        "expire k 100 nx",
        "expire k 50 gt",
        "expire k 200 gt",
        "ttl k",
        "expire k 300 lt",
        "expire k 100 lt xx",
        "ttl k",
        "persist k",
        "persist k",
        "ttl k",
        "expire k 100 gt",
        "expire k 100 lt",
        "ttl k",
        "expire nokey 100",
        "pexpire nokey 100 xx",
        "persist nokey",
    ]);
}

#[test]
fn expire_overflow_and_absolute_times_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "set k v",
        "expire k 9223372036854775807",
        "expire k 9223372036854776",
        "expire k -9223372036854776",
        "pexpire k 9223372036854775807",
        "expireat k 9223372036854776",
        "pexpire nokey 9223372036854775807",
        "expireat k 9223372036854775",
        "expiretime k",
        "pexpiretime k",
        "pexpireat k 9223372036854775807",
        "expiretime k",
        "pexpiretime k",
        "pexpireat k 4102444800499",
        "expiretime k",
        "pexpireat k 4102444800500",
        "expiretime k",
        "pexpiretime k",
        "persist k",
        "expiretime k",
        "pexpiretime k",
        "expiretime nokey",
        "pexpiretime nokey",
        "ttl nokey",
        "pttl nokey",
        "pttl k",
    ]);
}

#[test]
fn a_time_in_the_past_deletes_the_key_as_in_redis() {
    let mut p = Pair::new();
    for cmd in [
        "expire k 0",
        "expire k -9223372036854775",
        "pexpire k -1",
        "pexpire k -9223372036854775808",
        "expireat k 1",
        "pexpireat k 0",
        "expireat k -10",
    ] {
        p.check_all(&["set k v", cmd, "exists k", "ttl k"]);
    }
    // Conditions are checked before the time: a refused one keeps the key.
    p.check_all(&[
        "set k v",
        "expire k -1 xx",
        "exists k",
        "expire k -1 lt",
        "exists k",
    ]);
}

#[test]
fn ttl_rounds_to_the_nearest_second_as_in_redis() {
    let mut p = Pair::new();
    // Far enough from a rounding edge that the few ms between the two
    // servers cannot change the answer.
    p.check_all(&[
        "set k v",
        "pexpire k 1700",
        "ttl k",
        "pexpire k 1200",
        "ttl k",
        "pexpire k 400",
        "ttl k",
        "expire k 5",
        "ttl k",
    ]);
}

#[test]
fn keys_expire_on_time() {
    let server = TestServer::start();
    let mut c = server.client();
    c.cmd_str(&["set", "k", "v"]);
    assert_eq!(c.cmd_str(&["pexpire", "k", "100"]), b":1\r\n");
    let pttl = c.cmd_str(&["pttl", "k"]);
    let left: i64 = String::from_utf8_lossy(&pttl[1..pttl.len() - 2])
        .parse()
        .unwrap();
    assert!((1..=100).contains(&left), "{}", show(&pttl));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd_str(&["exists", "k"]), b":0\r\n");
    assert_eq!(c.cmd_str(&["ttl", "k"]), b":-2\r\n");
}

#[test]
fn rename_family_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "rename k1 k1",
        "renamenx k1 k1",
        "rename k1 k2",
        "renamenx k1 k2",
        "set k1 1",
        "rename k1 k1",
        "renamenx k1 k1",
        "expire k1 100",
        "set k2 2",
        "expire k2 500",
        "rename k1 k2",
        "ttl k2",
        "get k2",
        "exists k1",
        "set k1 hello",
        "rename k1 k2",
        "ttl k2",
        "get k2",
        "object encoding k2",
        "set k1 4",
        "renamenx k1 k2",
        "renamenx k1 k5",
        "get k5",
        "exists k1 k2 k5",
        "rename k5 {k5}x",
        "get {k5}x",
        "rename",
        "rename k1",
        "rename k1 k2 k5",
    ]);
}

#[test]
fn copy_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "set k1 hello",
        "copy k1 k1",
        "copy nokey nokey",
        "copy k1 k1 db 0",
        "copy k1 k2 db",
        "copy k1 k2 foo",
        "copy k1 k2 db missing",
        "copy k1 k2 db 99999999999",
        "copy k1 k2 db 16",
        "copy k1 k2 db -1",
        "copy k1 k2 db 16 foo",
        "copy k1 k2 foo db 16",
        "copy nokey missing",
        "copy k1 k1 db 1",
        "pexpire k1 50000",
        "copy k1 k2",
        "ttl k2",
        "copy k1 k2",
        "persist k1",
        "copy k1 k2 REPLACE",
        "ttl k2",
        "get k2",
        "set key4 12345",
        "copy key4 other replace db 3",
        "copy k1 key3 replace db 3",
        "select 3",
        "get other",
        "object encoding other",
        "get key3",
        "copy other k1 db 0",
        "copy other k1 db 0 replace",
        "select 0",
        "get k1",
        "copy k1",
    ]);
}

#[test]
fn move_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "move c 0",
        "move c 16",
        "move c -1",
        "move c x",
        "move c 99999999999",
        "move c 2",
        "set c x",
        "expire c 100",
        "move c 2",
        "exists c",
        "set c y",
        "move c 2",
        "select 2",
        "get c",
        "ttl c",
        "move c 2",
        "move c 0",
        "select 0",
        "get c",
        "move c",
    ]);
}

#[test]
fn type_and_object_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "set n 5",
        "set big 12345",
        "set neg -1",
        "set s v",
        "set long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "type s",
        "type nokey",
        "object encoding n",
        "object encoding big",
        "object encoding s",
        "object encoding long",
        "object encoding nokey",
        "object refcount n",
        "object refcount big",
        "object refcount neg",
        "object refcount s",
        "object refcount nokey",
        "object freq s",
        "object freq nokey",
        "object idletime nokey",
        "object foo",
        "object encoding",
        "object encoding a b",
        "object help x",
        "object",
        "type",
    ]);
    // HELLO's reply names each server: switch both to RESP3 without comparing.
    p.both_bytes(&[b"hello", b"3"]);
    p.check_all(&["object encoding nokey", "object refcount nokey"]);
}

#[test]
fn object_idletime_counts_from_the_last_access() {
    let server = TestServer::start();
    let mut c = server.client();
    c.cmd_str(&["set", "k", "hello"]);
    c.cmd_str(&["touch", "k"]);
    assert_eq!(c.cmd_str(&["object", "idletime", "k"]), b":0\r\n");
    std::thread::sleep(Duration::from_millis(2100));
    // Looking without touching leaves the idle time running.
    c.cmd_str(&["ttl", "k"]);
    c.cmd_str(&["type", "k"]);
    let idle = c.cmd_str(&["object", "idletime", "k"]);
    assert!(idle == b":2\r\n" || idle == b":3\r\n", "{}", show(&idle));
    c.cmd_str(&["expire", "k", "100"]);
    assert_eq!(c.cmd_str(&["object", "idletime", "k"]), b":0\r\n");
}

#[test]
fn object_help_lists_every_subcommand() {
    let server = TestServer::start();
    let mut c = server.client();
    let help = String::from_utf8(c.cmd_str(&["object", "help"])).unwrap();
    assert!(
        help.starts_with(
            "*12\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ),
        "{help}"
    );
    for sub in [
        "ENCODING <key>",
        "FREQ <key>",
        "IDLETIME <key>",
        "REFCOUNT <key>",
        "HELP",
    ] {
        assert!(
            help.contains(&format!("\r\n+{sub}\r\n")),
            "{sub} missing: {help}"
        );
    }
}

/// Redis compares option keywords as C strings: an argument is read only up
/// to a NUL byte, in every family (and in the coordinator, which must find
/// COPY's DB option exactly as the handler does when keys span shards).
#[test]
fn options_are_compared_as_c_strings() {
    let mut p = Pair::new();
    p.check(&["SET", "k1", "v"]);
    p.check_bytes(&[b"EXPIRE", b"k1", b"100", b"NX\0zz"]);
    p.check_bytes(&[b"EXPIRE", b"k1", b"100", b"NX\0zz"]);
    p.check(&["TTL", "k1"]);
    p.check_bytes(&[b"SCAN", b"0", b"COUNT\0x", b"5"]);
    p.check_bytes(&[b"COPY", b"k1", b"k5", b"DB\0x", b"3"]);
    p.check(&["SELECT", "3"]);
    p.check(&["GET", "k5"]);
    p.check(&["SELECT", "0"]);
    // HELLO's reply carries the client id, which differs: compare what it set.
    p.both_bytes(&[b"HELLO", b"2", b"SETNAME\0x", b"named"]);
    p.check(&["CLIENT", "GETNAME"]);
    p.check_bytes(&[b"FLUSHALL", b"ASYNC\0z"]);
    p.check(&["DBSIZE"]);
}
