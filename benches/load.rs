//! Load generators for workloads redis-benchmark cannot express, used by
//! `compare.py`:
//!
//! * `load tx --port P --clients C --transactions N --pipeline K --sets S`:
//!   C connections each send batches of K transactions (`MULTI`, S × `SET
//!   key:<random> value`, `EXEC`) and read all replies before the next
//!   batch, until N transactions are done. Prints `rps,p99_ms` (transactions
//!   per second, 99th percentile of a batch's round trip).
//! * `load subscribers --port P --count N --channel CH`: N connections
//!   SUBSCRIBEd to CH that read and drop everything until the process is
//!   killed (PUBLISH fan-out), printing `ready` once all are subscribed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn resp(parts: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
    for p in parts {
        out.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
}

/// xorshift64: a cheap random key index per client.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn tx(args: &[String]) {
    let port = arg(args, "--port", 6379) as u16;
    let clients = arg(args, "--clients", 50);
    let total = arg(args, "--transactions", 100_000);
    let pipeline = arg(args, "--pipeline", 1).max(1);
    let sets = arg(args, "--sets", 10);
    let keyspace = arg(args, "--keyspace", 100_000).max(1);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let done = done.clone();
        handles.push(std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            let _ = s.set_nodelay(true);
            let mut x = (c + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut batch = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            let mut lat = Vec::new();
            // Replies per transaction: +OK, S × +QUEUED, *S, S × +OK: one
            // line each.
            let lines_per_tx = 2 + 2 * sets as usize;
            loop {
                let claimed = done.fetch_add(pipeline, Ordering::Relaxed);
                if claimed >= total {
                    break;
                }
                let k = pipeline.min(total - claimed);
                batch.clear();
                for _ in 0..k {
                    resp(&[b"MULTI"], &mut batch);
                    for _ in 0..sets {
                        let key = format!("key:{:012}", next(&mut x) % keyspace);
                        resp(&[b"SET", key.as_bytes(), b"xxxxxxxxxxxxxxxx"], &mut batch);
                    }
                    resp(&[b"EXEC"], &mut batch);
                }
                let t0 = Instant::now();
                s.write_all(&batch).expect("write");
                let mut want = lines_per_tx * k as usize;
                while want > 0 {
                    let n = s.read(&mut buf).expect("read");
                    assert!(n > 0, "server closed the connection");
                    want = want.saturating_sub(buf[..n].iter().filter(|&&b| b == b'\n').count());
                }
                lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut lat: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client thread"))
        .collect();
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    let p99 = lat.get(lat.len() * 99 / 100).copied().unwrap_or(0.0);
    println!("{:.0},{p99:.3}", total as f64 / secs);
}

fn subscribers(args: &[String]) {
    let port = arg(args, "--port", 6379) as u16;
    let count = arg(args, "--count", 1);
    let channel = args
        .iter()
        .position(|a| a == "--channel")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "ch".into());
    let mut conns = Vec::new();
    for _ in 0..count {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut cmd = Vec::new();
        resp(&[b"SUBSCRIBE", channel.as_bytes()], &mut cmd);
        s.write_all(&cmd).expect("write");
        let mut r = BufReader::new(s);
        // *3, $9, subscribe, $len, channel, :n
        for _ in 0..6 {
            let mut line = String::new();
            r.read_line(&mut line).expect("subscribe reply");
        }
        conns.push(r);
    }
    println!("ready");
    let handles: Vec<_> = conns
        .into_iter()
        .map(|mut r| {
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                while matches!(r.get_mut().read(&mut buf), Ok(n) if n > 0) {}
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("tx") => tx(&args),
        Some("subscribers") => subscribers(&args),
        _ => eprintln!("usage: load tx|subscribers [--port P] ..."),
    }
}
