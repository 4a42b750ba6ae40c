//! Test helpers: a Ferrite server on 127.0.0.1 with an ephemeral port, a raw
//! RESP client that returns reply bytes exactly as sent, and the semantics
//! oracle — a real `redis-server` started on an ephemeral port — with
//! [`Pair`], which sends the same command to both and asserts byte-identical
//! replies.
//!
//! The oracle tests need `redis-server` (Debian's 7.0) on `PATH`; `.ci/run`
//! installs it. Without it they fail with a message saying so: a missing
//! oracle is never silently skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrite_config::Config;
use ferrite_runtime::ServerHandle;

#[global_allocator]
static GLOBAL: ferrite_runtime::alloc::CountingAlloc = ferrite_runtime::alloc::CountingAlloc;

/// Subcommands Ferrite has from Redis releases after 7.0 (the oracle), which
/// comparisons of command lists leave out.
pub const NEWER_THAN_ORACLE: &[&str] = &["client|setinfo", "client|no-touch"];

/// True for a name in [`NEWER_THAN_ORACLE`].
pub fn newer_than_oracle(name: &str) -> bool {
    NEWER_THAN_ORACLE.contains(&name)
}

/// How long a test waits for one reply before failing.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A Ferrite server running in this process on 127.0.0.1 and an ephemeral port.
pub struct TestServer {
    handle: Option<ServerHandle>,
    /// The bound port.
    pub port: u16,
}

impl TestServer {
    /// Starts a server with 3 shards (so that multi-key commands cross shards).
    pub fn start() -> TestServer {
        TestServer::start_with(&["--shards", "3"])
    }

    /// Starts a server with extra `--directive value` arguments.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = Config::from_args(&args).unwrap_or_else(|e| panic!("bad test config: {e}"));
        let handle = ferrite_runtime::start(config, None).expect("start ferrite");
        let port = handle.port();
        TestServer {
            handle: Some(handle),
            port,
        }
    }

    /// Starts a server the way `ferrite-server <file> --port 0 --bind
    /// 127.0.0.1 <extra...>` would, with `file` as its configuration file
    /// (INFO's config_file, CONFIG REWRITE's target).
    pub fn start_with_file(file: &std::path::Path, extra: &[&str]) -> TestServer {
        let file = std::fs::canonicalize(file).expect("config file path");
        let file = file.to_str().expect("UTF-8 config file path").to_owned();
        let mut args = vec![file.clone()];
        args.extend(
            ["--port", "0", "--bind", "127.0.0.1"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string()),
        );
        let config = Config::from_args(&args).unwrap_or_else(|e| panic!("bad test config: {e}"));
        let handle = ferrite_runtime::start(config, Some(file)).expect("start ferrite");
        let port = handle.port();
        TestServer {
            handle: Some(handle),
            port,
        }
    }

    /// A new raw client connection.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.port)
    }

    /// Starts a server, or gives the reason it refused to start (a bad
    /// AOF, a bad config).
    pub fn try_start_with(extra: &[&str]) -> Result<TestServer, String> {
        let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = Config::from_args(&args).map_err(|e| e.to_string())?;
        let handle = ferrite_runtime::start(config, None).map_err(|e| e.to_string())?;
        let port = handle.port();
        Ok(TestServer {
            handle: Some(handle),
            port,
        })
    }

    /// What the server's threads share (for figures no command shows).
    pub fn shared(&self) -> &std::sync::Arc<ferrite_runtime::server::Shared> {
        &self.handle.as_ref().expect("server running").shared
    }

    /// `redis://127.0.0.1:<port>/` for client libraries.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server and waits for its threads.
    pub fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }

    /// True once the server's threads have all stopped (e.g. after SHUTDOWN).
    pub fn wait_stopped(mut self, timeout: Duration) -> bool {
        let Some(h) = self.handle.take() else {
            return true;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            h.join();
            let _ = tx.send(());
        });
        rx.recv_timeout(timeout).is_ok()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// The real `redis-server`, the semantics oracle.
pub struct Oracle {
    child: Child,
    /// Its port.
    pub port: u16,
}

impl Oracle {
    /// Starts `redis-server` on an ephemeral port with persistence off.
    ///
    /// Panics with an explanation when `redis-server` is not installed.
    pub fn start() -> Oracle {
        Oracle::start_with(&[])
    }

    /// Starts the oracle with extra arguments (`--requirepass x`, ...).
    pub fn start_with(extra: &[&str]) -> Oracle {
        for attempt in 0..10 {
            let port = free_port();
            // A name only this instance carries: another test may have picked
            // the same free port a moment earlier, and its server must not be
            // mistaken for ours.
            let marker = format!("oracle-{}-{attempt}-{port}.rdb", std::process::id());
            let mut cmd = Command::new("redis-server");
            cmd.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dbfilename",
                &marker,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => panic!(
                    "the differential tests need the real Redis as their oracle, but `redis-server` \
                     could not be started ({e}). Install it: `apt-get install -y redis-server` \
                     (Debian 12 gives 7.0.15); .ci/run does this."
                ),
            };
            let mut oracle = Oracle { child, port };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
                    if s.write_all(b"CONFIG GET dbfilename\r\n").is_ok() {
                        let mut b = [0u8; 256];
                        if let Ok(n) = s.read(&mut b) {
                            let reply = &b[..n];
                            let ours = reply.windows(marker.len()).any(|w| w == marker.as_bytes());
                            // With requirepass the marker cannot be read: being
                            // alive after answering must do.
                            let locked = reply.starts_with(b"-NOAUTH");
                            if ours || (locked && oracle.child.try_wait().ok().flatten().is_none())
                            {
                                return oracle;
                            }
                            if n > 0 && !ours && !locked {
                                break; // someone else's server: try another port
                            }
                        }
                    }
                }
                if let Ok(Some(_)) = oracle.child.try_wait() {
                    break; // port taken in between: try another
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = oracle.child.kill();
            let _ = oracle.child.wait();
        }
        panic!("redis-server did not start");
    }

    /// A raw client to the oracle.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.port)
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking RESP client that returns replies as raw bytes.
pub struct RawClient {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> RawClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).ok();
        stream.set_nodelay(true).ok();
        RawClient {
            stream,
            buf: Vec::new(),
        }
    }

    /// The socket itself, to read raw bytes.
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The client's own address (as the server's CLIENT LIST shows it).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.stream.local_addr().expect("local address")
    }

    /// Sends one command as a RESP array.
    pub fn send(&mut self, args: &[&[u8]]) {
        let mut b = BytesMut::new();
        ferrite_protocol::encode_request(args, &mut b);
        self.send_raw(&b);
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads exactly one reply frame and returns its bytes. Panics on timeout.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.try_read_reply(REPLY_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "no complete reply within {REPLY_TIMEOUT:?}; have {:?}",
                String::from_utf8_lossy(&self.buf)
            )
        })
    }

    /// Reads one reply frame, or None if none arrives within `timeout` or the connection closed.
    pub fn try_read_reply(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            match ferrite_protocol::reply_len(&self.buf) {
                Ok(Some(n)) => return Some(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(e) => panic!(
                    "malformed reply {:?}: {e}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.stream.set_read_timeout(Some(left)).ok();
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return None,
            }
        }
    }

    /// True if the server closed the connection (reads until EOF or `timeout`).
    pub fn is_closed(&mut self, timeout: Duration) -> bool {
        self.stream.set_read_timeout(Some(timeout)).ok();
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    )
                }
            }
        }
    }

    /// Bytes received but not yet returned as a reply.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Sends a command and reads its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// Sends a command given as string arguments and reads its reply.
    pub fn cmd_str(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.cmd(&a)
    }
}

/// A key named `{prefix}-{n}` (smallest `n`) that lives on shard `shard`
/// of a server with `nshards` shards, for tests that need keys on chosen shards.
pub fn key_on_shard(prefix: &str, shard: usize, nshards: usize) -> String {
    (0u32..)
        .map(|n| format!("{prefix}-{n}"))
        .find(|k| ferrite_runtime::slot::shard_of(k.as_bytes(), nshards) == shard)
        .unwrap_or_default()
}

/// Keys on shards 0, 1 and 2 of the 3-shard servers `TestServer::start`
/// and `Pair::new` run (on the oracle they are just names).
pub fn one_key_per_shard(prefix: &str) -> [String; 3] {
    [0, 1, 2].map(|s| key_on_shard(prefix, s, 3))
}

/// The payload of a bulk-string frame (`$n\r\n...\r\n`), or the frame
/// itself for any other type.
pub fn bulk_payload(frame: &[u8]) -> Vec<u8> {
    match frame.iter().position(|&b| b == b'\n') {
        Some(nl) if frame.first() == Some(&b'$') && frame.len() >= nl + 3 => {
            frame[nl + 1..frame.len() - 2].to_vec()
        }
        _ => frame.to_vec(),
    }
}

/// The bulk payloads of a flat aggregate reply (see [`flat_elements`]).
pub fn bulk_strings(reply: &[u8]) -> Vec<Vec<u8>> {
    flat_elements(reply)
        .iter()
        .map(|f| bulk_payload(f))
        .collect()
}

/// Renders reply bytes readably for assertion messages.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace("\r\n", "\\r\\n")
}

/// A Ferrite server and the real Redis, each with one client, fed the same commands.
pub struct Pair {
    /// Client of the Ferrite server.
    pub ferrite: RawClient,
    /// Client of the oracle.
    pub redis: RawClient,
    /// The Ferrite server.
    pub server: TestServer,
    /// The oracle.
    pub oracle: Oracle,
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new()
    }
}

impl Pair {
    /// Ferrite with 3 shards beside a fresh redis-server.
    pub fn new() -> Pair {
        Pair::with_args(&["--shards", "3"], &[])
    }

    /// Ferrite and the oracle with extra arguments each.
    pub fn with_args(ferrite_args: &[&str], redis_args: &[&str]) -> Pair {
        let oracle = Oracle::start_with(redis_args);
        let server = TestServer::start_with(ferrite_args);
        Pair {
            ferrite: server.client(),
            redis: oracle.client(),
            server,
            oracle,
        }
    }

    /// Switches both connections to RESP3 (HELLO 3, whose replies differ
    /// in the client id, so they are checked for their shape only).
    pub fn hello3(&mut self) {
        let (f, r) = self.both_bytes(&[b"HELLO", b"3"]);
        assert!(
            f.starts_with(b"%7") && r.starts_with(b"%7"),
            "HELLO 3 failed: {} / {}",
            show(&f),
            show(&r)
        );
    }

    /// Sends `args` to both and returns (ferrite, redis) replies without comparing.
    pub fn both_bytes(&mut self, args: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        (self.ferrite.cmd(args), self.redis.cmd(args))
    }

    /// Sends `args` to both, asserts byte-identical replies, returns the reply.
    pub fn check_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let (f, r) = self.both_bytes(args);
        assert_eq!(
            show(&f),
            show(&r),
            "reply differs for {:?}\n ferrite: {}\n   redis: {}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>(),
            show(&f),
            show(&r)
        );
        f
    }

    /// [`Pair::check_bytes`] with string arguments.
    pub fn check(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.check_bytes(&a)
    }

    /// [`Pair::check`] with owned arguments (built with `format!`).
    pub fn check_strings(&mut self, args: &[String]) -> Vec<u8> {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.check(&refs)
    }

    /// Runs each whitespace-separated command line through [`Pair::check`];
    /// `''` stands for an empty argument.
    pub fn check_all(&mut self, lines: &[&str]) {
        for line in lines {
            let args: Vec<&str> = line
                .split_whitespace()
                .map(|a| if a == "''" { "" } else { a })
                .collect();
            self.check(&args);
        }
    }

    /// Runs each command line (as [`Pair::check_all`]) and after each one
    /// asserts that both servers report the same change counter
    /// (`rdb_changes_since_last_save`) and keyspace hits and misses, counted
    /// from a `CONFIG RESETSTAT` done first.
    pub fn check_counters(&mut self, lines: &[&str]) {
        self.check_all(&["CONFIG RESETSTAT"]);
        for line in lines {
            self.check_all(&[line]);
            let (f, r) = self.both_bytes(&[b"INFO", b"all"]);
            for field in [
                "rdb_changes_since_last_save",
                "keyspace_hits",
                "keyspace_misses",
            ] {
                assert_eq!(
                    info_field(&f, field),
                    info_field(&r, field),
                    "{field} differs after {line}"
                );
            }
        }
    }

    /// Like [`Pair::check`] for replies whose element order is unspecified
    /// (KEYS, SMEMBERS, ...): compares the sorted elements of a flat array.
    pub fn check_unordered(&mut self, args: &[&str]) -> Vec<Vec<u8>> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        let (f, r) = self.both_bytes(&a);
        let (mut fe, mut re) = (flat_elements(&f), flat_elements(&r));
        fe.sort();
        re.sort();
        assert_eq!(
            fe,
            re,
            "elements differ for {args:?}\n ferrite: {}\n   redis: {}",
            show(&f),
            show(&r)
        );
        fe
    }

    /// Creates `key` holding a non-string value on both servers with the first
    /// of RPUSH, SADD, HSET, ZADD, XADD that Ferrite implements, for WRONGTYPE
    /// tests. Returns false while Ferrite has no such type: the caller's
    /// WRONGTYPE cases then have nothing to be wrong about. Panics if Ferrite
    /// answers such a command with anything but "unknown command" or the
    /// oracle's reply.
    pub fn make_other_type(&mut self, key: &str) -> bool {
        let makers: [&[&str]; 5] = [
            &["RPUSH", key, "a"],
            &["SADD", key, "a"],
            &["HSET", key, "f", "v"],
            &["ZADD", key, "1", "a"],
            &["XADD", key, "1-1", "f", "v"],
        ];
        for args in makers {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            let (f, r) = self.both_bytes(&a);
            if f == r {
                return true;
            }
            assert!(
                f.starts_with(b"-ERR unknown command"),
                "{args:?}: ferrite {} vs redis {}",
                show(&f),
                show(&r)
            );
            // Undo the oracle's key so that the next maker starts clean.
            self.redis.cmd(&[b"DEL", key.as_bytes()]);
        }
        false
    }

    /// Sends raw bytes to both and compares everything each replies before
    /// closing or going quiet for `quiet`.
    pub fn check_raw(&mut self, raw: &[u8], quiet: Duration) -> Vec<u8> {
        self.ferrite.send_raw(raw);
        self.redis.send_raw(raw);
        let f = drain(&mut self.ferrite, quiet);
        let r = drain(&mut self.redis, quiet);
        assert_eq!(show(&f), show(&r), "raw replies differ for {:?}", show(raw));
        f
    }
}

fn drain(c: &mut RawClient, quiet: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(r) = c.try_read_reply(quiet) {
        out.extend(r);
    }
    out.append(&mut c.buf);
    out
}

/// The value of `field` in an INFO reply (panics if it has none).
pub fn info_field(reply: &[u8], field: &str) -> String {
    let text = String::from_utf8_lossy(reply);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .to_owned()
}

/// The elements of a flat aggregate reply (an array `*`, a set `~`, or a
/// map `%` whose keys and values alternate), each as its raw frame bytes;
/// any other reply is its own single element.
pub fn flat_elements(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Some(pos) = reply.windows(2).position(|w| w == b"\r\n") else {
        return out;
    };
    if !matches!(reply.first(), Some(b'*') | Some(b'~') | Some(b'%')) {
        return vec![reply.to_vec()];
    }
    let mut rest = &reply[pos + 2..];
    while !rest.is_empty() {
        match ferrite_protocol::reply_len(rest) {
            Ok(Some(n)) => {
                out.push(rest[..n].to_vec());
                rest = &rest[n..];
            }
            _ => break,
        }
    }
    out
}

/// Runs `steps` ("conn: command", `{x}` standing for connection x's client
/// id, "x: SLEEP" pausing 150 ms) on a server and returns, per step, what
/// every connection received within 60 ms of quiet, in arrival order or,
/// with `sorted`, each connection's frames sorted (for messages whose
/// relative order is not defined). Client ids in HELLO and CLIENT ID
/// replies and after `redirect` are masked, since they differ between
/// servers.
pub fn run_script(port: u16, steps: &[&str], sorted: bool) -> Vec<String> {
    let mut conns: std::collections::HashMap<String, RawClient> = std::collections::HashMap::new();
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for step in steps {
        let (who, line) = step.split_once(':').unwrap();
        let mut line = line.trim().to_owned();
        for (k, v) in &ids {
            line = line.replace(&format!("{{{k}}}"), v);
        }
        if line == "SLEEP" {
            std::thread::sleep(Duration::from_millis(150));
            continue;
        }
        let c = conns
            .entry(who.to_owned())
            .or_insert_with(|| RawClient::connect(port));
        let args: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        c.send(&args);
        let mut got: Vec<(String, String)> = Vec::new();
        let mut names: Vec<String> = conns.keys().cloned().collect();
        names.sort();
        for name in names {
            let c = conns.get_mut(&name).unwrap();
            let mut frames = Vec::new();
            while let Some(f) = c.try_read_reply(Duration::from_millis(60)) {
                frames.push(f);
            }
            if line == "CLIENT ID" && name == who {
                let id = String::from_utf8_lossy(&frames[0][1..frames[0].len() - 2]).into_owned();
                ids.insert(name.clone(), id);
                frames[0] = b":<id>\r\n".to_vec();
            }
            if line.starts_with("HELLO") && name == who {
                frames[0] = b"<hello>".to_vec();
            }
            if sorted {
                frames.sort();
            }
            for f in frames {
                // Client ids differ between the servers.
                let mut shown = show(&f);
                for id in ids.values() {
                    let (from, to) = (format!("redirect\\r\\n:{id}\\r"), "redirect\\r\\n:<id>\\r");
                    shown = shown.replace(&from, to);
                }
                got.push((name.clone(), shown));
            }
        }
        out.push(format!("{step} => {got:?}"));
    }
    out
}
