//! The runtime seen from a client: routing across shards, pipelines, the
//! Rust `redis` crate, shutdown.

use ferrite_testkit::{Pair, TestServer};

#[test]
fn redis_crate_client_round_trip() {
    let server = TestServer::start();
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut con)
        .unwrap();
    let v: String = redis::cmd("GET").arg("greeting").query(&mut con).unwrap();
    assert_eq!(v, "hello");
    let missing: Option<String> = redis::cmd("GET").arg("nope").query(&mut con).unwrap();
    assert_eq!(missing, None);
}

#[test]
fn pipeline_replies_come_back_in_order_across_shards() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let mut c = server.client();
    // 200 commands over keys spread on all shards, sent in one write.
    let mut raw = Vec::new();
    for i in 0..100 {
        raw.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n$4\r\nk{:03}\r\n$3\r\n{:03}\r\n",
                i % 10,
                i
            )
            .as_bytes(),
        );
        raw.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n$4\r\nk{:03}\r\n", i % 10).as_bytes());
    }
    c.send_raw(&raw);
    for i in 0..100 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
        assert_eq!(c.read_reply(), format!("$3\r\n{:03}\r\n", i).into_bytes());
    }
}

#[test]
fn pipeline_mixing_local_remote_and_multi_shard_commands() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let mut c = server.client();
    let mut raw = Vec::new();
    let cmds: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["SET", "b", "2"],
        &["PING"],
        &["DEL", "a", "b", "c"],
        &["SET", "c", "3"],
        &["DBSIZE"],
        &["GET", "c"],
        &["ECHO", "x"],
    ];
    for cmd in cmds {
        let a: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
        let mut b = bytes::BytesMut::new();
        ferrite_protocol::encode_request(&a, &mut b);
        raw.extend_from_slice(&b);
    }
    c.send_raw(&raw);
    let expect: &[&[u8]] = &[
        b"+OK\r\n",
        b"+OK\r\n",
        b"+PONG\r\n",
        b":2\r\n",
        b"+OK\r\n",
        b":1\r\n",
        b"$1\r\n3\r\n",
        b"$1\r\nx\r\n",
    ];
    for e in expect {
        assert_eq!(
            ferrite_testkit::show(&c.read_reply()),
            ferrite_testkit::show(e)
        );
    }
}

#[test]
fn unknown_command_and_arity_errors_match_redis() {
    let mut p = Pair::new();
    p.check(&["NOSUCHCOMMAND", "a", "b"]);
    p.check(&["nosuch"]);
    p.check(&["GET"]);
    p.check(&["GET", "a", "b"]);
    p.check(&["get"]);
    p.check(&["PING", "a", "b"]);
}

#[test]
fn shutdown_command_stops_the_server() {
    let server = TestServer::start();
    let mut c = server.client();
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(server.wait_stopped(std::time::Duration::from_secs(10)));
}

#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let server = TestServer::start_with(&["--shards", "2", "--hz", "100"]);
    let mut c = server.client();
    for i in 0..500 {
        assert_eq!(
            c.cmd_str(&["SET", &format!("vol{i}"), "x", "PX", "30"]),
            b"+OK\r\n"
        );
    }
    c.cmd_str(&["SET", "keeper", "x"]);
    // DBSIZE counts expired-but-present keys, so it only drops through active expiry.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = c.cmd_str(&["DBSIZE"]);
        if n == b":1\r\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "active expiry left {}",
            ferrite_testkit::show(&n)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(c.cmd_str(&["GET", "keeper"]), b"$1\r\nx\r\n");
}

#[test]
fn expired_keys_are_never_visible() {
    let server = TestServer::start();
    let mut c = server.client();
    c.cmd_str(&["SET", "short", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(c.cmd_str(&["GET", "short"]), b"$-1\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "short"]), b":0\r\n");
    assert_eq!(c.cmd_str(&["TTL", "short"]), b":-2\r\n");
    assert_eq!(c.cmd_str(&["KEYS", "*"]), b"*0\r\n");
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let server = TestServer::start_with(&["--shards", "2", "--timeout", "1"]);
    let mut idle = server.client();
    assert_eq!(idle.cmd_str(&["PING"]), b"+PONG\r\n");
    let mut busy = server.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    while std::time::Instant::now() < deadline {
        assert_eq!(busy.cmd_str(&["PING"]), b"+PONG\r\n");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        idle.is_closed(std::time::Duration::from_secs(1)),
        "the idle client must be closed"
    );
    assert_eq!(busy.cmd_str(&["PING"]), b"+PONG\r\n");
}

#[test]
fn tcp_keepalive_is_set_on_client_sockets() {
    let server = TestServer::start_with(&["--tcp-keepalive", "60"]);
    let mut c = server.client();
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n");
    // The server's socket for this client is in this process: find it by its peer.
    let listing = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    // /proc/net/tcp shows the keepalive timer (timer_active 2) on the server side.
    let port_hex = format!("{:04X}", server.port);
    let server_side: Vec<&str> = listing
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 5 && f[1].ends_with(&port_hex) && f[3] == "01"
        })
        .collect();
    assert!(
        !server_side.is_empty(),
        "no established server socket found"
    );
    assert!(
        server_side.iter().any(|l| l
            .split_whitespace()
            .nth(5)
            .is_some_and(|t| t.starts_with("02:"))),
        "keepalive timer not armed: {server_side:?}"
    );
}
