//! Pub/Sub: differential tests against redis-server (replies, messages,
//! subscriber mode, RESP3 push frames) and fan-out across threads.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::{show, Pair, RawClient, TestServer};

fn words(line: &str) -> Vec<&[u8]> {
    line.split_whitespace().map(str::as_bytes).collect()
}

/// The frames that arrive within `quiet` of silence.
fn frames(c: &mut RawClient, quiet: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(r) = c.try_read_reply(quiet) {
        out.push(r);
    }
    out
}

/// Reads everything that arrives within `quiet` of silence.
fn read_all(c: &mut RawClient, quiet: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(r) = c.try_read_reply(quiet) {
        out.extend_from_slice(&r);
    }
    out
}

#[test]
fn subscriber_replies_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "UNSUBSCRIBE",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE",
        "UNSUBSCRIBE never",
        "PUBSUB NUMSUB",
        "PUBSUB NUMSUB a b",
        "PUBSUB NUMPAT",
        "PUBSUB CHANNELS",
        "PUBSUB CHANNELS x*",
        "PUBSUB SHARDCHANNELS",
        "PUBSUB SHARDNUMSUB s1",
        "PUBSUB foo",
        "PUBSUB CHANNELS a b",
        "PUBSUB NUMPAT x",
        "PUBSUB",
        "PUBLISH",
        "PUBLISH a",
        "PUBLISH a b c",
        "PUBLISH nobody hello",
        "SPUBLISH nobody hello",
        "SUBSCRIBE",
        // Subscriber mode: only a few commands, PING as an array.
        "SUBSCRIBE a b a",
        "PSUBSCRIBE p* a",
        "SSUBSCRIBE s1 s2",
        "SET x 1",
        "GET x",
        "MULTI",
        "PING",
        "PING hello",
        "UNSUBSCRIBE a zz",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE s2",
        "UNSUBSCRIBE",
        "PING",
        "SUNSUBSCRIBE",
        "PING",
        "SET x 1",
        // Subscriber mode inside MULTI: refused, then EXEC aborts with why.
        "MULTI",
        "SUBSCRIBE inmulti",
        "EXEC",
        "UNSUBSCRIBE",
        "MULTI",
        "SET y 1",
        "EXEC",
        "GET y",
        // RESET leaves subscriber mode.
        "SUBSCRIBE r",
        "RESET",
        "GET y",
    ]);
}

#[test]
fn messages_reach_channel_and_pattern_subscribers_as_in_redis() {
    let p = Pair::new();
    let (mut fs, mut rs) = (p.server.client(), p.oracle.client());
    let (mut fp, mut rp) = (p.server.client(), p.oracle.client());
    for line in [
        "SUBSCRIBE news.tech news.art",
        "PSUBSCRIBE news.* n?ws.tech [a-c]* *",
        "SSUBSCRIBE shard1",
    ] {
        let (a, b) = (fs.cmd(&words(line)), rs.cmd(&words(line)));
        let (a2, b2) = (
            read_all(&mut fs, Duration::from_millis(100)),
            read_all(&mut rs, Duration::from_millis(100)),
        );
        assert_eq!(show(&[a, a2].concat()), show(&[b, b2].concat()), "{line}");
    }
    for line in [
        "PUBLISH news.tech hello",
        "PUBLISH news.art x",
        "PUBLISH apple y",
        "PUBLISH zebra z",
        "SPUBLISH shard1 s",
        "SPUBLISH news.tech s",
        "PUBLISH shard1 t",
        "PUBSUB NUMSUB news.tech news.art zebra",
        "PUBSUB NUMPAT",
        "PUBSUB SHARDNUMSUB shard1",
    ] {
        let (a, b) = (fp.cmd(&words(line)), rp.cmd(&words(line)));
        assert_eq!(show(&a), show(&b), "{line}");
        // Channel subscribers first, then one pmessage per matching
        // pattern, in the order of Redis's pattern table (which depends on
        // its hash seed): compared as a set after the first.
        let (mut a, mut b) = (
            frames(&mut fs, Duration::from_millis(100)),
            frames(&mut rs, Duration::from_millis(100)),
        );
        let plain = |f: &Vec<u8>| !f.starts_with(b"*4");
        if b.first().is_some_and(plain) || a.first().is_some_and(plain) {
            assert_eq!(a.first(), b.first(), "{line}");
        }
        a.sort();
        b.sort();
        assert_eq!(a, b, "what the subscriber got after {line}");
    }
    // Channel lists: same members (their order is the table's).
    for line in [
        "PUBSUB CHANNELS",
        "PUBSUB CHANNELS news.*",
        "PUBSUB SHARDCHANNELS",
    ] {
        let mut a = ferrite_testkit::bulk_strings(&fp.cmd(&words(line)));
        let mut b = ferrite_testkit::bulk_strings(&rp.cmd(&words(line)));
        a.sort();
        b.sort();
        assert_eq!(a, b, "{line}");
    }
    // An empty message, a binary one, a large one.
    let big = vec![b'x'; 300_000];
    for msg in [&b""[..], &b"a\r\nb\x00c"[..], &big[..]] {
        let (a, b) = (
            fp.cmd(&[b"PUBLISH", b"news.tech", msg]),
            rp.cmd(&[b"PUBLISH", b"news.tech", msg]),
        );
        assert_eq!(a, b);
        let (mut a, mut b) = (
            frames(&mut fs, Duration::from_millis(200)),
            frames(&mut rs, Duration::from_millis(200)),
        );
        a.sort();
        b.sort();
        assert!(
            a == b,
            "payload of {} bytes delivered differently",
            msg.len()
        );
    }
}

#[test]
fn a_resp3_client_subscribes_and_runs_commands_on_one_connection() {
    let p = Pair::new();
    let (mut fs, mut rs) = (p.server.client(), p.oracle.client());
    let (mut fp, mut rp) = (p.server.client(), p.oracle.client());
    // HELLO's reply holds the client id: switch both without comparing.
    fs.cmd(&[b"HELLO", b"3"]);
    rs.cmd(&[b"HELLO", b"3"]);
    for line in [
        "SUBSCRIBE c1",
        "PSUBSCRIBE c*",
        "SET k v",
        "GET k",
        "PING",
        "PUBSUB NUMSUB c1",
    ] {
        let (a, b) = (fs.cmd(&words(line)), rs.cmd(&words(line)));
        let (a2, b2) = (
            read_all(&mut fs, Duration::from_millis(100)),
            read_all(&mut rs, Duration::from_millis(100)),
        );
        assert_eq!(show(&[a, a2].concat()), show(&[b, b2].concat()), "{line}");
    }
    assert_eq!(fp.cmd(&words("PUBLISH c1 m")), b":2\r\n");
    assert_eq!(rp.cmd(&words("PUBLISH c1 m")), b":2\r\n");
    let (a, b) = (
        read_all(&mut fs, Duration::from_millis(100)),
        read_all(&mut rs, Duration::from_millis(100)),
    );
    assert_eq!(show(&a), show(&b));
    assert!(a.starts_with(b">3\r\n$7\r\nmessage\r\n"));
    // Commands keep working between messages.
    let (a, b) = (fs.cmd(&words("GET k")), rs.cmd(&words("GET k")));
    assert_eq!(a, b);
}

/// Publishers on several threads, subscribers on several threads: every
/// subscriber gets every message, each publisher's in the order sent, and
/// PUBLISH counts every subscriber.
#[test]
fn fan_out_across_threads_loses_and_reorders_nothing() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let subscribers = 8;
    let publishers = 4;
    let per_publisher = 1500;
    let mut subs: Vec<RawClient> = (0..subscribers)
        .map(|_| {
            let mut c = RawClient::connect(port);
            assert!(c.cmd(&[b"SUBSCRIBE", b"fan"]).ends_with(b":1\r\n"));
            c
        })
        .collect();
    let start = Arc::new(Barrier::new(publishers));
    let handles: Vec<_> = (0..publishers)
        .map(|p| {
            let start = start.clone();
            thread::spawn(move || {
                let mut c = RawClient::connect(port);
                start.wait();
                for i in 0..per_publisher {
                    let msg = format!("{p}:{i}");
                    let n = c.cmd(&[b"PUBLISH", b"fan", msg.as_bytes()]);
                    assert_eq!(n, format!(":{subscribers}\r\n").as_bytes());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let total = publishers * per_publisher;
    for s in &mut subs {
        let mut next = vec![0usize; publishers];
        for _ in 0..total {
            let frame = s.read_reply();
            let parts = ferrite_testkit::bulk_strings(&frame);
            assert_eq!(parts.len(), 3, "{}", show(&frame));
            let msg = String::from_utf8(parts[2].clone()).unwrap();
            let (p, i) = msg.split_once(':').unwrap();
            let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[p], "publisher {p}'s messages out of order");
            next[p] += 1;
        }
        assert!(
            s.try_read_reply(Duration::from_millis(50)).is_none(),
            "nothing extra"
        );
    }
}

/// A subscriber that never reads is disconnected once its pending messages
/// pass the pub/sub output limit (32 MB by default) instead of growing the
/// server's memory without bound.
#[test]
fn a_subscriber_that_never_reads_is_disconnected() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut slow = RawClient::connect(server.port);
    slow.send(&[b"SUBSCRIBE", b"flood"]);
    let mut publisher = server.client();
    while publisher.cmd(&[b"PUBSUB", b"NUMSUB", b"flood"]) != b"*2\r\n$5\r\nflood\r\n:1\r\n" {
        thread::sleep(Duration::from_millis(5));
    }
    // used_memory counts the whole test process (other tests' servers too):
    // the drop is judged against this baseline.
    let used = |c: &mut RawClient| -> u64 {
        ferrite_testkit::info_field(&c.cmd(&[b"INFO", b"memory"]), "used_memory")
            .parse()
            .unwrap()
    };
    let baseline = used(&mut publisher);
    let chunk = vec![b'm'; 1 << 20];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = 0;
    loop {
        let r = publisher.cmd(&[b"PUBLISH", b"flood", &chunk]);
        sent += 1;
        if r == b":0\r\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still subscribed after {sent} MB"
        );
    }
    // Dropped somewhere past the 32 MB limit (plus what the sockets hold).
    assert!((32..200).contains(&sent), "dropped after {sent} MB");
    // The 32 MB and more held for the subscriber are given back. Other
    // tests allocate and free meanwhile: their peaks pass, so look again
    // for a while before concluding.
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        let now = used(&mut publisher);
        if now < baseline + (24 << 20) {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "used_memory {now} after the drop, {baseline} before the flood"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        publisher.cmd(&[b"PUBSUB", b"NUMSUB", b"flood"]),
        b"*2\r\n$5\r\nflood\r\n:0\r\n"
    );
}

#[test]
fn pathological_patterns_match_in_bounded_time() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut sub = server.client();
    let pattern = "*?".repeat(200) + "x";
    sub.cmd(&[b"PSUBSCRIBE", pattern.as_bytes()]);
    let mut publisher = server.client();
    let channel = vec![b'a'; 20_000];
    let t = Instant::now();
    for _ in 0..5 {
        assert_eq!(publisher.cmd(&[b"PUBLISH", &channel, b"m"]), b":0\r\n");
    }
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn output_buffer_limit_config_matches_redis() {
    let mut p = Pair::new();
    for value in [
        "pubsub 1mb 512kb 10",
        "normal 1 2",
        "foo 1 2 3",
        "pubsub -1 0 0",
        "pubsub x 0 0",
        "replica 1gb 1gb 0",
        "pubsub 0 0 0 normal 10 5 1",
        "PUBSUB 5k 4k 3 SLAVE 1 1 1",
    ] {
        p.check(&["CONFIG", "SET", "client-output-buffer-limit", value]);
        p.check(&["CONFIG", "GET", "client-output-buffer-limit"]);
    }
}

/// Waits until `channel` has `n` subscribers.
fn wait_numsub(c: &mut RawClient, channel: &str, n: usize) {
    let want = format!("*2\r\n${}\r\n{channel}\r\n:{n}\r\n", channel.len());
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.cmd_str(&["PUBSUB", "NUMSUB", channel]) != want.as_bytes() {
        assert!(
            Instant::now() < deadline,
            "{channel} never had {n} subscribers"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn pubsub_output_limits_set_at_run_time_apply_hard_and_soft() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut admin = server.client();
    // Hard limit: 200 KB; the kernel's socket buffers absorb a few MB first.
    admin.cmd_str(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 200kb 0 0",
    ]);
    let mut slow = RawClient::connect(server.port);
    slow.send(&[b"SUBSCRIBE", b"hard"]);
    wait_numsub(&mut admin, "hard", 1);
    let chunk = vec![b'h'; 64 * 1024];
    let mut sent = 0;
    while admin.cmd(&[b"PUBLISH", b"hard", &chunk]) != b":0\r\n" {
        sent += 1;
        assert!(sent < 1000, "never dropped");
    }
    assert!(slow.is_closed(Duration::from_secs(5)));
    // Soft limit: 100 KB for more than 1 second; a subscriber that reads
    // keeps up and stays.
    admin.cmd_str(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 0 100kb 1",
    ]);
    let mut reader = RawClient::connect(server.port);
    reader.cmd(&[b"SUBSCRIBE", b"soft"]);
    let mut lazy = RawClient::connect(server.port);
    lazy.send(&[b"SUBSCRIBE", b"soft"]);
    wait_numsub(&mut admin, "soft", 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = admin.cmd(&[b"PUBLISH", b"soft", &chunk]);
        // The reader drains what it gets.
        while reader.try_read_reply(Duration::from_millis(1)).is_some() {}
        if n == b":1\r\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the lazy subscriber was never dropped"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert!(lazy.is_closed(Duration::from_secs(5)));
    wait_numsub(&mut admin, "soft", 1);
}

#[test]
fn client_list_shows_subscriptions_and_transactions() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut c = server.client();
    c.cmd_str(&["CLIENT", "SETNAME", "watched"]);
    c.send(&[b"SUBSCRIBE", b"a", b"b"]);
    c.read_reply();
    c.read_reply();
    c.cmd_str(&["PSUBSCRIBE", "p*"]);
    let mut admin = server.client();
    let line = |admin: &mut RawClient| {
        String::from_utf8(admin.cmd_str(&["CLIENT", "LIST"]))
            .unwrap()
            .lines()
            .find(|l| l.contains("name=watched"))
            .map(str::to_owned)
            .unwrap()
    };
    let l = line(&mut admin);
    assert!(
        l.contains(" flags=P ") && l.contains(" sub=2 psub=1 ssub=0 "),
        "{l}"
    );
    c.cmd_str(&["RESET"]);
    c.cmd_str(&["CLIENT", "SETNAME", "watched"]);
    c.cmd_str(&["MULTI"]);
    c.cmd_str(&["SET", "k", "v"]);
    c.cmd_str(&["GET", "k"]);
    let l = line(&mut admin);
    assert!(
        l.contains(" flags=x ") && l.contains(" sub=0 psub=0 ssub=0 multi=2 "),
        "{l}"
    );
    c.cmd_str(&["EXEC"]);
    let l = line(&mut admin);
    assert!(l.contains(" flags=N ") && l.contains(" multi=-1 "), "{l}");
    // A watched key that changed: `d`, until EXEC.
    c.cmd_str(&["WATCH", "k"]);
    admin.cmd_str(&["SET", "k", "changed"]);
    let l = line(&mut admin);
    assert!(l.contains(" flags=d "), "{l}");
    c.cmd_str(&["UNWATCH"]);
    let l = line(&mut admin);
    assert!(l.contains(" flags=N "), "{l}");
}

/// One message larger than the hard limit: its subscriber is dropped at
/// once, the publisher is answered, the server keeps serving.
#[test]
fn a_message_beyond_the_limit_drops_its_subscriber_not_the_server() {
    let server = TestServer::start_with(&["--shards", "2"]);
    let mut sub = RawClient::connect(server.port);
    sub.cmd(&[b"SUBSCRIBE", b"big"]);
    let mut publisher = server.client();
    let huge = vec![b'x'; 40 << 20];
    assert_eq!(publisher.cmd(&[b"PUBLISH", b"big", &huge]), b":1\r\n");
    assert!(sub.is_closed(Duration::from_secs(5)));
    wait_numsub(&mut publisher, "big", 0);
    assert_eq!(publisher.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn info_counts_channels_patterns_and_tracking_clients_as_redis() {
    let mut p = Pair::new();
    let (mut fs, mut rs) = (p.server.client(), p.oracle.client());
    for line in ["SUBSCRIBE a b", "PSUBSCRIBE p* q*", "SSUBSCRIBE s1"] {
        fs.cmd(&words(line));
        rs.cmd(&words(line));
        read_all(&mut fs, Duration::from_millis(50));
        read_all(&mut rs, Duration::from_millis(50));
    }
    let (mut ft, mut rt) = (p.server.client(), p.oracle.client());
    ft.cmd_str(&["CLIENT", "TRACKING", "ON"]);
    rt.cmd_str(&["CLIENT", "TRACKING", "ON"]);
    let (f, r) = p.both_bytes(&[b"INFO", b"everything"]);
    for field in [
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "tracking_clients",
    ] {
        let want = ferrite_testkit::info_field(&r, field);
        assert!(!want.is_empty(), "{field}");
        assert_eq!(ferrite_testkit::info_field(&f, field), want, "{field}");
    }
}
