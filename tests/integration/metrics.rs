//! The Prometheus endpoint: scraped over real HTTP, parsed with a
//! Prometheus text-format parser, and checked against INFO; bad requests.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ferrite_protocol::{parse_reply, Frame};
use ferrite_testkit::{free_port, RawClient, TestServer};
use prometheus_parse::{Scrape, Value};

/// One HTTP exchange: the status code, the headers and the body.
fn http(port: u16, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (code, head.to_owned(), body.to_owned())
}

fn scrape(port: u16) -> Scrape {
    let (code, head, body) = http(port, b"GET /metrics HTTP/1.1\r\nHost: ferrite\r\n\r\n");
    assert_eq!(code, 200, "{head}");
    assert!(
        head.contains("Content-Type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(length, body.len());
    assert!(body.ends_with("# EOF\n"));
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of `name` with exactly `labels`.
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .find(|x| {
            labels.len() == x.labels.iter().count()
                && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v))
        })
        .map(|x| match x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => panic!("{name}: not a number"),
        })
}

fn info(c: &mut RawClient) -> BTreeMap<String, String> {
    let reply = c.cmd_str(&["INFO", "everything"]);
    let text = match parse_reply(&reply) {
        Ok(Some((Frame::Bulk(b), _))) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("{other:?}"),
    };
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn start() -> (TestServer, u16) {
    for _ in 0..10 {
        let port = free_port();
        let p = port.to_string();
        // Another test may take the port first: try another.
        if let Ok(s) = std::panic::catch_unwind(|| {
            TestServer::start_with(&["--shards", "3", "--metrics-port", &p])
        }) {
            return (s, port);
        }
    }
    panic!("no free port for the metrics endpoint");
}

#[test]
fn metrics_follow_info_with_redis_exporter_names() {
    let (server, port) = start();
    let mut c = server.client();
    for i in 0..30 {
        c.cmd_str(&["SET", &format!("k{i}"), "v"]);
    }
    c.cmd_str(&["EXPIRE", "k1", "100"]);
    c.cmd_str(&["SELECT", "2"]);
    c.cmd_str(&["SET", "other", "1"]);
    c.cmd_str(&["GET", "other"]);
    c.cmd_str(&["GET", "nosuch"]);
    c.cmd_str(&["INCR", "other"]);
    c.cmd_str(&["HSET", "other", "f", "v"]);
    c.cmd_str(&["GET"]);
    // Ten keys: certainly on more than one of the three shards.
    let mut mset = vec!["MSET".to_owned()];
    for i in 0..10 {
        mset.push(format!("m{i}"));
        mset.push(i.to_string());
    }
    let mset: Vec<&str> = mset.iter().map(|s| s.as_str()).collect();
    c.cmd_str(&mset);
    let before = info(&mut c);
    let s = scrape(port);
    let after = info(&mut c);
    // Counters that did not move between the two INFOs equal the scrape.
    let same = |k: &str| -> f64 {
        assert_eq!(before[k], after[k], "{k} moved");
        before[k].parse().unwrap()
    };
    assert_eq!(value(&s, "redis_up", &[]), Some(1.0));
    assert_eq!(
        value(&s, "redis_keyspace_hits_total", &[]),
        Some(same("keyspace_hits"))
    );
    assert_eq!(
        value(&s, "redis_keyspace_misses_total", &[]),
        Some(same("keyspace_misses"))
    );
    assert_eq!(
        value(&s, "redis_connected_clients", &[]),
        Some(same("connected_clients"))
    );
    assert_eq!(value(&s, "redis_blocked_clients", &[]), Some(0.0));
    assert!(value(&s, "redis_memory_used_bytes", &[]).unwrap() > 0.0);
    assert_eq!(
        value(&s, "redis_memory_max_bytes", &[]),
        Some(same("maxmemory"))
    );
    assert!(value(&s, "redis_uptime_in_seconds", &[]).is_some());
    let processed = value(&s, "redis_commands_processed_total", &[]).unwrap();
    let n = |m: &BTreeMap<String, String>| m["total_commands_processed"].parse::<f64>().unwrap();
    assert!(
        n(&before) <= processed && processed <= n(&after),
        "{processed}"
    );
    assert_eq!(value(&s, "redis_expired_keys_total", &[]), Some(0.0));
    assert_eq!(value(&s, "redis_evicted_keys_total", &[]), Some(0.0));
    assert!(value(&s, "redis_rdb_last_save_timestamp_seconds", &[]).is_some());
    // Keyspace per database.
    assert_eq!(value(&s, "redis_db_keys", &[("db", "db0")]), Some(30.0));
    assert_eq!(
        value(&s, "redis_db_keys_expiring", &[("db", "db0")]),
        Some(1.0)
    );
    assert_eq!(value(&s, "redis_db_keys", &[("db", "db2")]), Some(11.0));
    // Per command, as INFO commandstats says.
    assert_eq!(
        value(&s, "redis_commands_total", &[("cmd", "set")]),
        Some(31.0)
    );
    assert_eq!(
        value(&s, "redis_commands_total", &[("cmd", "get")]),
        Some(2.0)
    );
    assert_eq!(
        value(&s, "redis_commands_rejected_calls_total", &[("cmd", "get")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "redis_commands_failed_calls_total", &[("cmd", "hset")]),
        Some(1.0)
    );
    assert!(
        value(
            &s,
            "redis_commands_duration_seconds_total",
            &[("cmd", "set")]
        )
        .unwrap()
            > 0.0
    );
    assert_eq!(
        value(&s, "redis_errors_total", &[("err", "ERR")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "redis_errors_total", &[("err", "WRONGTYPE")]),
        Some(1.0)
    );
    assert!(value(
        &s,
        "redis_latency_percentiles_usec",
        &[("cmd", "set"), ("quantile", "0.99")]
    )
    .is_some());
    let inst = s
        .samples
        .iter()
        .find(|x| x.metric == "redis_instance_info")
        .unwrap();
    assert_eq!(inst.labels.get("redis_version"), Some("7.0.15"));
    assert_eq!(inst.labels.get("role"), Some("master"));
    // Per shard: three shards whose keys add up to every database's.
    assert_eq!(value(&s, "ferrite_shards", &[]), Some(3.0));
    let shard_keys: f64 = (0..3)
        .map(|i| value(&s, "ferrite_shard_keys", &[("shard", &i.to_string())]).unwrap())
        .sum();
    assert_eq!(shard_keys, 41.0);
    for i in 0..3 {
        let sh = i.to_string();
        assert!(value(&s, "ferrite_shard_queue_depth", &[("shard", &sh)]).is_some());
        assert!(value(&s, "ferrite_shard_used_memory_bytes", &[("shard", &sh)]).is_some());
        assert!(value(
            &s,
            "ferrite_shard_cross_shard_hops_total",
            &[("shard", &sh)]
        )
        .is_some());
    }
    let multi: f64 = (0..3)
        .map(|i| {
            value(
                &s,
                "ferrite_shard_multi_shard_commands_total",
                &[("shard", &i.to_string())],
            )
            .unwrap()
        })
        .sum();
    assert!(multi >= 1.0, "MSET over three shards");
    // HELP and TYPE for every family.
    assert_eq!(s.docs.get("redis_up").map(|d| !d.is_empty()), Some(true));
}

#[test]
fn bad_http_requests_get_errors_and_the_endpoint_keeps_serving() {
    let (server, port) = start();
    let cases: &[(&[u8], u16)] = &[
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /metrics\r\n\r\n", 400),
        (b"\x00\xff\xfe\r\n\r\n", 400),
        (
            b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            405,
        ),
        (b"GET /nope HTTP/1.1\r\n\r\n", 404),
        (b"GET / HTTP/1.1\r\n\r\n", 404),
    ];
    for (req, code) in cases {
        let (got, head, _) = http(port, req);
        assert_eq!(got, *code, "{:?}: {head}", String::from_utf8_lossy(req));
    }
    // A head that never ends: refused once it passes the bound.
    let mut big = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 20_000));
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(&big);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(
        out.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // A client that connects and sends nothing does not hold the others up.
    let _idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (code, _, body) = http(port, b"HEAD /metrics HTTP/1.0\r\n\r\n");
    assert_eq!(code, 200);
    assert!(body.is_empty());
    assert!(scrape(port).samples.len() > 50);
    // The data port is unaffected.
    assert_eq!(server.client().cmd_str(&["PING"]), b"+PONG\r\n");
}

#[test]
fn metrics_are_off_by_default() {
    let server = TestServer::start();
    let mut c = server.client();
    let reply = c.cmd_str(&["CONFIG", "GET", "metrics-port"]);
    assert_eq!(reply, b"*2\r\n$12\r\nmetrics-port\r\n$1\r\n0\r\n");
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "metrics-port", "9121"]),
        b"-ERR CONFIG SET failed (possibly related to argument 'metrics-port') - can't set immutable config\r\n"
    );
}
