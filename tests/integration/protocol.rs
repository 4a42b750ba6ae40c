//! Bad input on the wire: protocol errors byte-identical to Redis's, the
//! connection closed after them, and the server still serving everyone else.

use std::time::Duration;

use ferrite_testkit::{Pair, TestServer};

const QUIET: Duration = Duration::from_millis(300);

#[test]
fn protocol_errors_match_redis_and_close_the_connection() {
    let cases: &[&[u8]] = &[
        b"*abc\r\n",
        b"*3000000000\r\n",
        b"*1\r\n$abc\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$600000000\r\n",
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"*1\r\n+PING\r\n",
        b"SET \"unbalanced\r\n",
        b"SET 'a'b 1\r\n",
    ];
    for raw in cases {
        let mut p = Pair::new();
        let reply = p.check_raw(raw, QUIET);
        assert!(
            reply.starts_with(b"-ERR Protocol error"),
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
        assert!(
            p.ferrite.is_closed(QUIET),
            "connection must close after {raw:?}"
        );
        assert!(p.redis.is_closed(QUIET));
    }
}

#[test]
fn inline_commands_and_ignored_requests_match_redis() {
    let mut p = Pair::new();
    p.check_raw(b"PING\r\n", QUIET);
    p.check_raw(b"SET k \"a b\\x41\"\r\nGET k\r\n", QUIET);
    p.check_raw(b"\r\n\r\n*0\r\n*-1\r\nPING\n", QUIET);
    p.check_raw(b"echo 'it''s'\r\n", QUIET);
}

#[test]
fn pipeline_split_at_every_byte_gives_the_same_replies() {
    let server = TestServer::start();
    let mut c = server.client();
    let stream = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n";
    for &b in stream.iter() {
        c.send_raw(&[b]);
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$5\r\nva\r\nl\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
}

#[test]
fn binary_keys_and_values_round_trip() {
    let mut p = Pair::new();
    let key: &[u8] = b"\x00\xff\r\n key";
    let val: Vec<u8> = (0..=255u8).collect();
    p.check_bytes(&[b"SET", key, &val]);
    p.check_bytes(&[b"GET", key]);
    p.check_bytes(&[b"STRLEN", key]);
    p.check_bytes(&[b"EXISTS", key]);
}

#[test]
fn a_huge_declared_bulk_reserves_nothing_and_others_keep_being_served() {
    let server = TestServer::start();
    let mut bad = server.client();
    // Declares 500 MB and sends a little: the server must wait, not allocate.
    bad.send_raw(b"*2\r\n$3\r\nGET\r\n$524288000\r\nabc");
    let mut good = server.client();
    assert_eq!(good.cmd_str(&["PING"]), b"+PONG\r\n");
    // Garbage from yet another client closes only that client.
    let mut garbage = server.client();
    garbage.send_raw(b"*x\r\n");
    assert_eq!(
        garbage.read_reply(),
        b"-ERR Protocol error: invalid multibulk length\r\n"
    );
    assert!(garbage.is_closed(QUIET));
    assert_eq!(good.cmd_str(&["SET", "a", "1"]), b"+OK\r\n");
    let rss_kb: u64 = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        rss_kb < 400 * 1024,
        "RSS {rss_kb} kB: a declared length was reserved"
    );
}

#[test]
fn random_garbage_never_takes_the_server_down() {
    use rand::{Rng, SeedableRng};
    let server = TestServer::start();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..50 {
        let mut c = server.client();
        let len = rng.random_range(1..400);
        let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        c.send_raw(&junk);
        let _ = c.is_closed(Duration::from_millis(20));
    }
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
}
