//! Cross-shard atomicity under many concurrent clients (`--shards 4`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrite_testkit::TestServer;

/// Keys chosen to land on different shards.
const KEYS: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

#[test]
fn cross_shard_mset_is_never_seen_half_applied() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let stop = stop.clone();
        writers.push(thread::spawn(move || {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
            let mut con = client.get_connection().unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let v = format!("{w}-{i}");
                let mut cmd = redis::cmd("MSET");
                for k in KEYS {
                    cmd.arg(k).arg(&v);
                }
                let _: () = cmd.query(&mut con).unwrap();
                i += 1;
            }
        }));
    }
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut con = client.get_connection().unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut reads = 0;
    while Instant::now() < deadline {
        let vals: Vec<Option<String>> = redis::cmd("MGET").arg(&KEYS[..]).query(&mut con).unwrap();
        let first = &vals[0];
        assert!(
            vals.iter().all(|v| v == first),
            "half-applied MSET observed: {vals:?}"
        );
        reads += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert!(reads > 10, "too few reads: {reads}");
}

#[test]
fn cross_shard_rename_is_atomic() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let port = server.port;
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("{a}token")
        .arg("v")
        .query(&mut con)
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // A mover renames the token back and forth between two keys on different shards.
    let mover = {
        let stop = stop.clone();
        thread::spawn(move || {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
            let mut con = client.get_connection().unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let _: () = redis::cmd("RENAME")
                    .arg("{a}token")
                    .arg("{b}token")
                    .query(&mut con)
                    .unwrap();
                let _: () = redis::cmd("RENAME")
                    .arg("{b}token")
                    .arg("{a}token")
                    .query(&mut con)
                    .unwrap();
                n += 2;
            }
            n
        })
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let n: i64 = redis::cmd("EXISTS")
            .arg("{a}token")
            .arg("{b}token")
            .query(&mut con)
            .unwrap();
        assert_eq!(n, 1, "the token must exist under exactly one name");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(mover.join().unwrap() > 10);
}
