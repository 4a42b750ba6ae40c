//! Client limits: client-output-buffer-limit for ordinary clients, compared
//! with redis-server where the outcome is visible on the socket.

use std::io::Read;
use std::time::Duration;

use ferrite_testkit::{Pair, RawClient};

#[test]
fn a_reply_past_the_normal_hard_limit_closes_the_client_as_in_redis() {
    let mut p = Pair::new();
    let big = "x".repeat(2 << 20);
    p.check(&["SET", "big", &big]);
    p.check(&["SET", "small", "v"]);
    p.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1mb 0 0",
    ]);
    p.check(&["CONFIG", "GET", "client-output-buffer-limit"]);
    let (mut f, mut r) = (p.server.client(), p.oracle.client());
    for c in [&mut f, &mut r] {
        assert_eq!(c.cmd_str(&["GET", "small"]), b"$1\r\nv\r\n");
        c.send(&[b"GET", b"big"]);
        assert!(c.is_closed(Duration::from_secs(5)), "still open");
    }
    // Replies that fit a 16 KiB reply buffer never count, as in Redis.
    p.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 10 5 1",
    ]);
    p.check(&["GET", "small"]);
    p.check(&["CONFIG", "GET", "client-output-buffer-limit"]);
    // Others are served, and the limit off again lets the reply through.
    p.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 0 0 0",
    ]);
    let (mut f, mut r) = (p.server.client(), p.oracle.client());
    assert_eq!(f.cmd_str(&["GET", "big"]), r.cmd_str(&["GET", "big"]));
}

/// Sends GET big and never reads: the server's write stalls.
fn stalled_reader(c: &mut RawClient) {
    c.send(&[b"GET", b"big"]);
}

#[test]
fn a_client_over_the_soft_limit_for_its_seconds_is_closed() {
    let p = Pair::new();
    let (mut fa, mut ra) = (p.server.client(), p.oracle.client());
    let big = "y".repeat(32 << 20);
    for c in [&mut fa, &mut ra] {
        assert_eq!(c.cmd_str(&["SET", "big", &big]), b"+OK\r\n");
        assert_eq!(
            c.cmd_str(&[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 0 1mb 1"
            ]),
            b"+OK\r\n"
        );
    }
    let (mut f, mut r) = (p.server.client(), p.oracle.client());
    stalled_reader(&mut f);
    stalled_reader(&mut r);
    std::thread::sleep(Duration::from_millis(3500));
    // Reading now: part of the reply at most, then the end of the stream.
    for c in [&mut f, &mut r] {
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 20];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match c.stream_mut().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => panic!("{e}"),
            }
            assert!(std::time::Instant::now() < deadline, "never closed");
        }
        assert!(got < big.len(), "the whole reply came through");
    }
}
