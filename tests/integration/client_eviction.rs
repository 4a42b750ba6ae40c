//! Client eviction (`maxmemory-clients`): the directive against the real
//! Redis 7.0, and who gets closed when the clients' memory passes the
//! limit. Every scenario runs against Ferrite and against redis-server and
//! asserts the same outcome on both.

use std::io::Write;
use std::time::{Duration, Instant};

use ferrite_testkit::{bulk_payload, info_field, Oracle, Pair, RawClient, TestServer};

/// How long a scenario waits for the server to close a client.
const DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn maxmemory_clients_config_matches_redis() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "GET", "maxmemory-clients"]);
    for v in [
        "10%",
        "0%",
        "100%",
        "101%",
        "-1",
        "-1%",
        "1.5%",
        "abc",
        "1mb",
        "1gb",
        "",
        "%",
        " 10%",
        "10 %",
        "5%%",
        "1kb%",
        "01%",
        "+5",
        "+5%",
        "0x10",
        "5 ",
        "1.5mb",
        "007",
        "1g",
        "1G",
        "1tb",
        "1b",
        "10kb",
        "1k",
        "1024",
        "0",
        // Redis's memory arithmetic wraps around; negative results read as
        // percentages, some of them accepted.
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551516",
        "18446744073709551515",
        "99999999999gb",
        "10000000000000000000000",
        "100000000000%",
        "18446744073709551616%",
    ] {
        p.check(&["CONFIG", "SET", "maxmemory-clients", v]);
        p.check(&["CONFIG", "GET", "maxmemory-clients"]);
    }
    p.check(&[
        "CONFIG",
        "SET",
        "maxmemory-clients",
        "5%",
        "maxmemory",
        "1gb",
    ]);
    // Redis lists a pattern's matches in its hash table's order.
    p.check_unordered(&["CONFIG", "GET", "maxmemory*"]);
}

/// The two servers a scenario runs against.
fn servers() -> (TestServer, Oracle) {
    (TestServer::start(), Oracle::start())
}

/// The client that drives a scenario: spared by CLIENT NO-EVICT, so that
/// only the clients under test can be closed.
fn controller(port: u16) -> RawClient {
    let mut c = RawClient::connect(port);
    assert_eq!(c.cmd_str(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    c
}

/// A scenario's start: the controller, a 1 MiB `maxmemory-clients`, and a
/// small client that must stay.
fn limited(port: u16) -> (RawClient, RawClient) {
    let mut ctl = controller(port);
    assert_eq!(
        ctl.cmd_str(&["CONFIG", "SET", "maxmemory-clients", "1mb"]),
        b"+OK\r\n"
    );
    let mut small = RawClient::connect(port);
    assert_alive(&mut small, "the small client");
    (ctl, small)
}

fn evicted_clients(c: &mut RawClient) -> u64 {
    let info = c.cmd_str(&["INFO", "stats"]);
    info_field(&info, "evicted_clients").parse().unwrap()
}

fn client_id(c: &mut RawClient) -> String {
    let reply = c.cmd_str(&["CLIENT", "ID"]);
    String::from_utf8_lossy(&reply)
        .trim_start_matches(':')
        .trim_end()
        .to_owned()
}

/// The client's CLIENT LIST line, or None once it is gone.
fn client_line(ctl: &mut RawClient, id: &str) -> Option<String> {
    let line = bulk_payload(&ctl.cmd_str(&["CLIENT", "LIST", "ID", id]));
    let line = String::from_utf8_lossy(&line).trim().to_owned();
    (!line.is_empty()).then_some(line)
}

fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// Polls until `cond` holds or the deadline passes.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a SET whose value is declared `declared` bytes long and sends
/// `sent` bytes of it. Write errors are ignored: the server may close the
/// client while it sends.
fn partial_set(c: &mut RawClient, declared: usize, sent: usize) {
    let mut req = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${declared}\r\n").into_bytes();
    req.resize(req.len() + sent, b'v');
    let _ = c.stream_mut().write_all(&req);
}

fn assert_alive(c: &mut RawClient, who: &str) {
    assert_eq!(c.cmd_str(&["PING"]), b"+PONG\r\n", "{who} should stay");
}

/// A client with a huge partial request in its query buffer is closed; a
/// small one stays.
fn big_query_buffer(port: u16) {
    let (mut ctl, mut small) = limited(port);
    let mut big = RawClient::connect(port);
    partial_set(&mut big, 2 << 20, 3 << 19);
    assert!(big.is_closed(DEADLINE), "the big client was not evicted");
    assert_alive(&mut small, "the small client");
    assert_alive(&mut ctl, "the no-evict client");
    assert_eq!(evicted_clients(&mut ctl), 1);
}

#[test]
fn client_with_big_query_buffer_is_evicted() {
    let (f, r) = servers();
    big_query_buffer(f.port);
    big_query_buffer(r.port);
}

/// The NO-EVICT client stays even alone over the limit; the others go.
fn no_evict_survives(port: u16) {
    let (mut ctl, mut small) = limited(port);
    let mut big = RawClient::connect(port);
    assert_eq!(big.cmd_str(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    let declared = 2 << 20;
    let sent = 3 << 19;
    partial_set(&mut big, declared, sent);
    // The small client goes: the spared one alone keeps the total over.
    assert!(
        small.is_closed(DEADLINE),
        "the small client was not evicted"
    );
    let mut rest = vec![b'v'; declared - sent];
    rest.extend_from_slice(b"\r\n");
    big.send_raw(&rest);
    assert_eq!(big.read_reply(), b"+OK\r\n", "the no-evict client stays");
    assert_eq!(evicted_clients(&mut ctl), 1);
}

#[test]
fn no_evict_client_survives() {
    let (f, r) = servers();
    no_evict_survives(f.port);
    no_evict_survives(r.port);
}

/// A client that does not read its big replies is closed.
fn big_pending_reply(port: u16) {
    let (mut ctl, mut small) = limited(port);
    let value = "x".repeat(100 * 1024);
    assert_eq!(ctl.cmd_str(&["SET", "k", &value]), b"+OK\r\n");
    let mut reader = RawClient::connect(port);
    let id = client_id(&mut reader);
    let _ = reader
        .stream_mut()
        .write_all("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(100).as_bytes());
    wait_until("the non-reading client's eviction", || {
        client_line(&mut ctl, &id).is_none()
    });
    assert_alive(&mut small, "the small client");
    assert_eq!(evicted_clients(&mut ctl), 1);
}

#[test]
fn client_not_reading_big_replies_is_evicted() {
    let (f, r) = servers();
    big_pending_reply(f.port);
    big_pending_reply(r.port);
}

/// Lowering the limit evicts a big client at once (from the connection
/// that set it, whichever thread serves the big one); the largest goes
/// first and the next largest stays when that is enough.
fn lowered_limit(port: u16) {
    let mut ctl = controller(port);
    let mut small = RawClient::connect(port);
    assert_alive(&mut small, "the small client");
    let mut medium = RawClient::connect(port);
    let medium_id = client_id(&mut medium);
    let mut big = RawClient::connect(port);
    let big_id = client_id(&mut big);
    // Far apart, so that however the query buffers grow they are in
    // different buckets (under 256 KiB, over 1 MiB).
    partial_set(&mut medium, 200 << 10, 150 << 10);
    partial_set(&mut big, 2 << 20, 3 << 19);
    for (id, least) in [(&medium_id, 150 << 10), (&big_id, 3 << 19)] {
        wait_until("the partial requests to arrive", || {
            client_line(&mut ctl, id).is_some_and(|l| field(&l, "tot-mem") >= least)
        });
    }
    assert_eq!(
        ctl.cmd_str(&["CONFIG", "SET", "maxmemory-clients", "1mb"]),
        b"+OK\r\n"
    );
    assert!(big.is_closed(DEADLINE), "the big client was not evicted");
    assert!(client_line(&mut ctl, &medium_id).is_some(), "medium stays");
    assert_alive(&mut small, "the small client");
    assert_eq!(evicted_clients(&mut ctl), 1);
}

#[test]
fn lowering_the_limit_evicts_the_largest() {
    let (f, r) = servers();
    lowered_limit(f.port);
    lowered_limit(r.port);
}

#[test]
fn info_reports_clients_memory() {
    let server = TestServer::start();
    let mut c = server.client();
    let mut other = server.client();
    partial_set(&mut other, 300 << 10, 200 << 10);
    wait_until("the clients' memory in INFO", || {
        let info = c.cmd_str(&["INFO", "memory"]);
        info_field(&info, "mem_clients_normal")
            .parse::<u64>()
            .is_ok_and(|m| m >= 200 << 10)
    });
}

#[test]
fn config_rewrite_writes_the_limit_as_redis_does() {
    let dir = std::env::temp_dir().join(format!("ferrite-mmc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ferrite.conf");
    std::fs::write(&file, "maxmemory-clients 0\n").unwrap();
    let server = TestServer::start_with_file(&file, &[]);
    let mut c = server.client();
    // Facts from redis-server 7.0.15's CONFIG REWRITE.
    for (value, line) in [
        ("10%", "maxmemory-clients 10%"),
        ("1048576", "maxmemory-clients 1mb"),
        ("1000", "maxmemory-clients 1000"),
    ] {
        assert_eq!(
            c.cmd_str(&["CONFIG", "SET", "maxmemory-clients", value]),
            b"+OK\r\n"
        );
        assert_eq!(c.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
