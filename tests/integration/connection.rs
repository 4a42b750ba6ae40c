//! The connection group: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH,
//! CLIENT ..., `requirepass` and protected mode, mostly against the real
//! Redis. Replies carrying ids, addresses or times are compared field by
//! field with those values masked.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use ferrite_testkit::{show, Oracle, Pair, RawClient, TestServer};

const QUIET: Duration = Duration::from_millis(300);

/// Encodes one command as a RESP array.
fn req(args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    let mut b = bytes::BytesMut::new();
    ferrite_protocol::encode_request(&a, &mut b);
    b.to_vec()
}

/// Several commands in one write.
fn pipeline(cmds: &[&[&str]]) -> Vec<u8> {
    cmds.iter().flat_map(|c| req(c)).collect()
}

/// A HELLO reply with the connection id replaced by `ID`, so that both
/// servers' replies can be compared byte for byte.
fn mask_hello_id(reply: &[u8]) -> String {
    let text = show(reply);
    let marker = "$2\\r\\nid\\r\\n:";
    let Some(at) = text.find(marker) else {
        return text;
    };
    let start = at + marker.len();
    let digits = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    format!("{}ID{}", &text[..start], &text[start + digits..])
}

/// Sends a command to both servers and compares HELLO-shaped replies.
fn check_hello(p: &mut Pair, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    let (f, r) = p.both_bytes(&a);
    let (f, r) = (mask_hello_id(&f), mask_hello_id(&r));
    assert_eq!(f, r, "HELLO reply differs for {args:?}");
    f
}

/// The text of a CLIENT INFO / LIST reply (bulk or verbatim).
fn bulk_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    let body = text.split_once("\r\n").map(|(_, b)| b).unwrap_or("");
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    body.strip_prefix("txt:").unwrap_or(body).to_string()
}

/// The `key=value` fields of one CLIENT LIST line, in order.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field(line: &str, key: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

/// The integer of a `:n` reply.
fn int_reply(reply: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(reply);
    text.trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("not an integer reply: {text:?}"))
}

/// A blocking client that also knows its own address (RawClient does not expose it).
struct Sock {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Sock {
    fn connect(addr: SocketAddr) -> Sock {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Sock {
            stream,
            buf: Vec::new(),
        }
    }

    fn local(port: u16) -> Sock {
        Sock::connect(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn addr(&self) -> String {
        self.stream.local_addr().expect("local addr").to_string()
    }

    fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        self.stream.write_all(&req(args)).expect("write");
        self.read_reply()
    }

    fn read_reply(&mut self) -> Vec<u8> {
        loop {
            if let Ok(Some(n)) = ferrite_protocol::reply_len(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    panic!("connection closed before a reply; have {}", show(&self.buf))
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Everything the server sends until it closes the connection.
    fn read_to_eof(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        let _ = self.stream.read_to_end(&mut out);
        out
    }
}

/// Ferrite (3 shards) and Redis, both with `requirepass secret`.
///
/// The direct way is `Pair::with_args(&["--shards", "3", "--requirepass",
/// "secret"], &["--requirepass", "secret"])`, but the testkit's oracle
/// start-up probe waits for `+PONG` and a password-protected Redis answers
/// `-NOAUTH`; so the oracle gets its password through CONFIG SET, which has
/// the same effect on connections made afterwards.
fn password_pair() -> Pair {
    let oracle = Oracle::start();
    let mut admin = oracle.client();
    assert_eq!(
        admin.cmd_str(&["CONFIG", "SET", "requirepass", "secret"]),
        b"+OK\r\n"
    );
    let server = TestServer::start_with(&["--shards", "3", "--requirepass", "secret"]);
    Pair {
        ferrite: server.client(),
        redis: oracle.client(),
        server,
        oracle,
    }
}

#[test]
fn ping_echo_select_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "PING",
        "PING hello",
        "PING a b",
        "ping a b c",
        "ECHO",
        "ECHO a b",
        "ECHO hello",
        "SELECT",
        "SELECT 1 2",
        "SELECT x",
        "SELECT 1.0",
        "SELECT 01",
        "SELECT +1",
        "SELECT -0",
        "SELECT -1",
        "SELECT 16",
        "SELECT 2147483647",
        "SELECT 2147483648",
        "SELECT -2147483649",
        "SELECT 99999999999999999999",
        "SELECT 15",
        "SELECT 0",
    ]);
    p.check(&["ECHO", ""]);
}

#[test]
fn keys_are_per_database() {
    let mut p = Pair::new();
    // Enough keys to land on every shard.
    for k in ["a", "b", "c", "d", "e", "f"] {
        p.check(&["SET", k, "db0"]);
    }
    p.check(&["SELECT", "1"]);
    p.check(&["DBSIZE"]);
    for k in ["a", "b", "c", "d", "e", "f"] {
        p.check(&["GET", k]);
    }
    p.check(&["SET", "a", "db1"]);
    p.check(&["MSET", "b", "x", "c", "y"]);
    p.check(&["DBSIZE"]);
    p.check(&["SELECT", "0"]);
    for k in ["a", "b", "c"] {
        p.check(&["GET", k]);
    }
    p.check(&["DBSIZE"]);
    p.check(&["SELECT", "1"]);
    p.check(&["GET", "a"]);
}

#[test]
fn quit_replies_ok_then_closes() {
    let mut p = Pair::new();
    let got = p.check_raw(&pipeline(&[&["QUIT"], &["PING"]]), QUIET);
    assert_eq!(got, b"+OK\r\n");
    assert!(p.ferrite.is_closed(Duration::from_secs(5)));
    assert!(p.redis.is_closed(Duration::from_secs(5)));

    // Extra arguments are accepted.
    let mut p = Pair::new();
    p.check_raw(&req(&["QUIT", "now"]), QUIET);
    assert!(p.ferrite.is_closed(Duration::from_secs(5)));
}

#[test]
fn hello_replies_match_redis() {
    let mut p = Pair::new();
    let r2 = check_hello(&mut p, &["HELLO"]);
    assert!(r2.starts_with("*14\\r\\n$6\\r\\nserver"), "{r2}");
    check_hello(&mut p, &["HELLO", "2"]);
    let r3 = check_hello(&mut p, &["HELLO", "3"]);
    assert!(r3.starts_with("%7\\r\\n"), "{r3}");
    // HELLO without a version keeps the current protocol.
    check_hello(&mut p, &["HELLO"]);
    check_hello(&mut p, &["hello", "3", "setname", "conn-a"]);
    p.check(&["CLIENT", "GETNAME"]);
    check_hello(&mut p, &["HELLO", "3", "SETNAME", "a", "SETNAME", "b"]);
    p.check(&["CLIENT", "GETNAME"]);
    // Without requirepass the default user takes any password.
    check_hello(&mut p, &["HELLO", "2", "AUTH", "default", "whatever"]);
    check_hello(
        &mut p,
        &["HELLO", "3", "AUTH", "default", "x", "SETNAME", "named"],
    );
    p.check(&["CLIENT", "GETNAME"]);
}

#[test]
fn hello_errors_match_redis() {
    let mut p = Pair::new();
    for cmd in [
        &["HELLO", "1"][..],
        &["HELLO", "4"],
        &["HELLO", "-1"],
        &["HELLO", "x"],
        &["HELLO", "2.0"],
        &["HELLO", "02"],
        &["HELLO", "99999999999999999999"],
        &["HELLO", "4", "foo"],
        &["HELLO", "x", "foo"],
        &["HELLO", "AUTH", "default", "x"],
        &["HELLO", "3", "foo"],
        &["HELLO", "3", "AUTH"],
        &["HELLO", "3", "AUTH", "a"],
        &["HELLO", "3", "SETNAME"],
        &["HELLO", "3", "setname"],
        &["HELLO", "3", "SETNAME", "a b"],
        &["HELLO", "3", "SETNAME", "a b", "foo"],
        &["HELLO", "3", "SETNAME", "ok", "foo"],
        &["HELLO", "3", "AUTH", "default", "x", "foo"],
        &["HELLO", "3", "AUTH", "nobody", "x"],
        &["HELLO", "3", "AUTH", "default", "x", "SETNAME", "a\nb"],
    ] {
        p.check(cmd);
    }
    // A failed HELLO changes nothing: still RESP2, no name.
    p.check(&["GET", "missing"]);
    p.check(&["CLIENT", "GETNAME"]);
}

#[test]
fn resp3_after_hello_3() {
    let mut p = Pair::new();
    check_hello(&mut p, &["HELLO", "3"]);
    let null = p.check(&["GET", "missing"]);
    assert_eq!(null, b"_\r\n");
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["SET", "k", "v"]);
    p.check(&["GET", "k"]);
    p.check(&["PING"]);
    p.check(&["CLIENT", "LIST", "TYPE", "master"]);
    check_hello(&mut p, &["HELLO", "2"]);
    assert_eq!(p.check(&["GET", "missing"]), b"$-1\r\n");
}

#[test]
fn auth_without_a_password_matches_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "AUTH x",
        "AUTH default x",
        "AUTH nobody x",
        "AUTH a b c",
        "AUTH",
        "PING",
    ]);
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let mut p = password_pair();
    p.check_all(&[
        "PING",
        "GET k",
        "SET k v",
        "DBSIZE",
        "SELECT 1",
        "ECHO x",
        "CLIENT ID",
        "CLIENT SETNAME x",
        // The table is consulted first: unknown commands and bad arity win.
        "nosuch a",
        "GET",
        "CLIENT nosuch",
        "HELLO",
        "HELLO 3",
        "HELLO 3 SETNAME x",
        "HELLO 4",
        "HELLO 2 SETNAME y AUTH default wrong",
        "HELLO 3 AUTH default wrong",
        "HELLO 3 AUTH nobody secret",
        "AUTH wrong",
        "AUTH default wrong",
        "AUTH nobody secret",
        "AUTH default",
        "PING",
        "AUTH secret",
        "PING",
        // The refused HELLOs above still set the name (a Redis quirk).
        "CLIENT GETNAME",
        "SET k v",
        "GET k",
        // A failed AUTH does not log an authenticated client out.
        "AUTH wrong",
        "GET k",
        "RESET",
        "GET k",
        "AUTH default secret",
        "GET k",
        "RESET",
    ]);
    // HELLO ... AUTH authenticates even when a later option fails.
    p.check(&["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "a b"]);
    p.check(&["GET", "k"]);
    p.check(&["RESET"]);
    p.check(&["HELLO", "2", "AUTH", "default", "secret", "foo"]);
    p.check(&["GET", "k"]);
    p.check(&["RESET"]);
    // A failed AUTH before a good one stops the command there.
    p.check(&[
        "HELLO", "2", "AUTH", "default", "wrong", "AUTH", "default", "secret",
    ]);
    p.check(&["GET", "k"]);
    check_hello(
        &mut p,
        &["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"],
    );
    p.check(&["GET", "missing"]);
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["RESET"]);
    p.check(&["QUIT"]);
}

#[test]
fn changing_the_password_applies_to_waiting_clients() {
    let mut p = password_pair();
    let mut admins = [p.server.client(), p.oracle.client()];
    for a in &mut admins {
        assert_eq!(a.cmd_str(&["AUTH", "secret"]), b"+OK\r\n");
    }
    p.check(&["PING"]);
    // Without a password the default user needs none: waiting clients get in.
    for a in &mut admins {
        assert_eq!(a.cmd_str(&["CONFIG", "SET", "requirepass", ""]), b"+OK\r\n");
    }
    p.check(&["PING"]);
    p.check(&["AUTH", "x"]);
    // HELLO still wants the client itself authenticated, password or not.
    p.check(&["HELLO", "2"]);
    check_hello(&mut p, &["HELLO", "2", "AUTH", "default", "any"]);
    p.check(&["PING"]);
    // A new password shuts them out again: they never authenticated.
    for a in &mut admins {
        assert_eq!(
            a.cmd_str(&["CONFIG", "SET", "requirepass", "other"]),
            b"+OK\r\n"
        );
    }
    // The client authenticated through HELLO stays in; a fresh one is out.
    p.check(&["PING"]);
    p.ferrite = p.server.client();
    p.redis = p.oracle.client();
    p.check(&["PING"]);
    p.check(&["HELLO", "2"]);
    p.check(&["AUTH", "secret"]);
    p.check(&["AUTH", "other"]);
    p.check(&["PING"]);
    // Clients authenticated earlier stay in.
    for a in &mut admins {
        assert_eq!(a.cmd_str(&["PING"]), b"+PONG\r\n");
    }
}

#[test]
fn requirepass_limits_unauthenticated_requests() {
    let mut p = password_pair();
    // Before AUTH, more than 10 arguments is a protocol error that closes
    // the connection.
    let big: Vec<&str> = std::iter::repeat_n("x", 11).collect();
    p.check_raw(&req(&big), QUIET);
    assert!(p.ferrite.is_closed(Duration::from_secs(5)));

    let mut p = password_pair();
    p.check(&["AUTH", "secret"]);
    let mut args = vec!["MSET"];
    args.extend(std::iter::repeat_n("x", 12));
    p.check(&args);
}

#[test]
fn client_reply_on_off_skip_matches_redis() {
    let mut p = Pair::new();
    let cases: &[&[&[&str]]] = &[
        &[&["CLIENT", "REPLY", "SKIP"], &["PING", "a"], &["PING", "b"]],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["PING", "a"],
            &["SET", "k", "v"],
            &["GET", "k"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "b"],
        ],
        // SKIP then ON: ON's own +OK is sent.
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["CLIENT", "REPLY", "ON"],
            &["PING"],
        ],
        // SKIP then SKIP: the second one is skipped and skips the next.
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING", "a"],
            &["PING", "b"],
        ],
        // SKIP is ignored while OFF.
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["CLIENT", "REPLY", "SKIP"],
            &["PING", "a"],
            &["PING", "b"],
            &["CLIENT", "REPLY", "ON"],
            &["PING", "c"],
        ],
        // Errors are silenced too, including table errors.
        &[&["CLIENT", "REPLY", "SKIP"], &["nosuch"], &["PING", "a"]],
        &[&["CLIENT", "REPLY", "SKIP"], &["GET"], &["PING", "a"]],
        &[
            &["CLIENT", "REPLY", "OFF"],
            &["CLIENT", "REPLY", "foo"],
            &["CLIENT", "REPLY"],
            &["INCR", "k"],
            &["CLIENT", "REPLY", "ON"],
        ],
        // RESET turns OFF back on and replies, but a skipped RESET stays skipped.
        &[&["CLIENT", "REPLY", "OFF"], &["RESET"], &["PING", "a"]],
        &[&["CLIENT", "REPLY", "SKIP"], &["RESET"], &["PING", "a"]],
        // Skips across shards: keyed commands on other shards are dropped too.
        &[
            &["CLIENT", "REPLY", "SKIP"],
            &["SET", "k1", "1"],
            &["SET", "k2", "2"],
            &["CLIENT", "REPLY", "OFF"],
            &["GET", "k3"],
            &["GET", "k4"],
            &["CLIENT", "REPLY", "ON"],
            &["MGET", "k1", "k2"],
        ],
        &[&["CLIENT", "REPLY", "foo"], &["CLIENT", "REPLY", "ON"]],
    ];
    for case in cases {
        p.check_raw(&pipeline(case), QUIET);
    }
    // One command per write (not pipelined) behaves the same.
    for cmd in [
        &["CLIENT", "REPLY", "SKIP"][..],
        &["PING", "a"],
        &["PING", "b"],
    ] {
        p.check_raw(&req(cmd), QUIET);
    }
}

#[test]
fn reset_restores_a_fresh_connection() {
    let mut p = Pair::new();
    p.check(&["CLIENT", "SETNAME", "before"]);
    p.check(&["SELECT", "3"]);
    p.check(&["SET", "in3", "x"]);
    check_hello(&mut p, &["HELLO", "3"]);
    p.check(&["RESET"]);
    p.check(&["reset"]);
    p.check(&["RESET", "extra"]);
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["GET", "in3"]);
    // Back to RESP2: a null is $-1 again.
    assert_eq!(p.check(&["GET", "missing"]), b"$-1\r\n");
    p.check(&["SELECT", "3"]);
    p.check(&["GET", "in3"]);
}

#[test]
fn client_simple_subcommands_match_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "CLIENT",
        "CLIENT foo",
        "CLIENT foo bar",
        "CLIENT ID x",
        "CLIENT GETNAME",
        "CLIENT GETNAME x",
        "CLIENT SETNAME",
        "CLIENT SETNAME a b",
        "CLIENT SETNAME myname",
        "CLIENT GETNAME",
        "client getname",
        "CLIENT INFO x",
        "CLIENT HELP x",
        "CLIENT REPLY",
        "CLIENT REPLY foo",
        "CLIENT KILL",
        "CLIENT LIST foo",
    ]);
    for name in ["a b", "a\nb", "caf\u{e9}", "tab\t", "\x7f"] {
        p.check(&["CLIENT", "SETNAME", name]);
    }
    p.check(&["CLIENT", "SETNAME", ""]);
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["CLIENT", "SETNAME", "!~"]);
    p.check(&["CLIENT", "GETNAME"]);
    // Ids are per connection and match what HELLO reports.
    let id = int_reply(&p.ferrite.cmd_str(&["CLIENT", "ID"]));
    let hello = show(&p.ferrite.cmd_str(&["HELLO"]));
    assert!(
        hello.contains(&format!("$2\\r\\nid\\r\\n:{id}\\r\\n")),
        "{hello}"
    );
}

#[test]
fn client_list_and_kill_errors_match_redis() {
    let mut p = Pair::new();
    // Each side has this one client only, so counts and lists are equal too.
    p.check_all(&[
        "CLIENT LIST TYPE",
        "CLIENT LIST TYPE foo",
        "CLIENT LIST ID",
        "CLIENT LIST ID abc",
        "CLIENT LIST ID 1 abc",
        "CLIENT LIST ID 1.0",
        "CLIENT LIST ID 99999999999999999999",
        "CLIENT LIST TYPE normal ID 1",
        "CLIENT LIST foo bar",
        "CLIENT LIST ID 0 -5 99999",
        "CLIENT LIST TYPE master",
        "CLIENT LIST TYPE replica",
        "CLIENT LIST TYPE slave",
        "CLIENT LIST TYPE pubsub",
        "CLIENT KILL id",
        "CLIENT KILL 1.2.3.4:5",
        "CLIENT KILL addr",
        "CLIENT KILL id 0",
        "CLIENT KILL id -1",
        "CLIENT KILL id 1.5",
        "CLIENT KILL id abc",
        "CLIENT KILL id 18446744073709551615",
        "CLIENT KILL id 1 2",
        "CLIENT KILL id 5 foo",
        "CLIENT KILL id 0 foo",
        "CLIENT KILL type foo id 0",
        "CLIENT KILL type foo",
        "CLIENT KILL user nobody",
        "CLIENT KILL user Default",
        "CLIENT KILL skipme maybe",
        // MAXAGE is Redis 7.4's filter, which Ferrite has (7.0 answers a
        // syntax error): tests/integration/introspection.rs covers it.
        "CLIENT KILL foo bar",
        "CLIENT KILL id 999999",
        "CLIENT KILL ID 999999 ID 999998",
        "CLIENT KILL type normal",
        "CLIENT KILL TYPE Normal",
        "CLIENT KILL type master",
        "CLIENT KILL type replica",
        "CLIENT KILL type slave",
        "CLIENT KILL type pubsub",
        "CLIENT KILL skipme yes",
        "CLIENT KILL SKIPME YES",
        "CLIENT KILL addr 1.2.3.4:5",
        "CLIENT KILL laddr 1.2.3.4:5",
        "CLIENT KILL user default",
        "CLIENT KILL SKIPME no ID 999999",
        "PING",
    ]);
}

#[test]
fn client_info_has_redis_fields_and_values() {
    let mut p = Pair::new();
    let f = bulk_text(&p.ferrite.cmd_str(&["CLIENT", "INFO"]));
    let r = bulk_text(&p.redis.cmd_str(&["CLIENT", "INFO"]));
    assert!(f.ends_with('\n') && !f.trim_end().contains('\n'), "{f:?}");
    let (ff, rf) = (fields(&f), fields(&r));
    let fkeys: Vec<&str> = ff.iter().map(|(k, _)| k.as_str()).collect();
    let mut rkeys: Vec<&str> = rf.iter().map(|(k, _)| k.as_str()).collect();
    // Redis 7.2's CLIENT SETINFO fields come last.
    rkeys.extend(["lib-name", "lib-ver"]);
    assert_eq!(fkeys, rkeys);
    // Fields that do not depend on the process match exactly; qbuf and
    // argv-mem are those of "CLIENT INFO" itself on both.
    for key in [
        "name",
        "idle",
        "flags",
        "db",
        "sub",
        "psub",
        "ssub",
        "multi",
        "qbuf",
        "argv-mem",
        "multi-mem",
        "obl",
        "oll",
        "omem",
        "events",
        "cmd",
        "user",
        "redir",
        "resp",
    ] {
        assert_eq!(
            field(&f, key),
            field(&r, key),
            "field {key}\n ferrite: {f}\n   redis: {r}"
        );
    }
    assert_eq!(field(&f, "lib-name"), "");
    assert_eq!(field(&f, "lib-ver"), "");
    let id = int_reply(&p.ferrite.cmd_str(&["CLIENT", "ID"]));
    assert_eq!(field(&f, "id"), id.to_string());
    assert_eq!(field(&f, "laddr"), format!("127.0.0.1:{}", p.server.port));
    assert!(field(&f, "fd").parse::<i32>().unwrap() > 2);
    assert!(field(&f, "tot-mem").parse::<u64>().unwrap() > 0);

    // Name, db and protocol show up; in RESP3 the reply is a verbatim string.
    p.check(&["CLIENT", "SETNAME", "inspector"]);
    p.check(&["SELECT", "5"]);
    check_hello(&mut p, &["HELLO", "3"]);
    let raw_f = p.ferrite.cmd_str(&["CLIENT", "INFO"]);
    let raw_r = p.redis.cmd_str(&["CLIENT", "INFO"]);
    assert!(
        raw_f.starts_with(b"=") && show(&raw_f).contains("\\r\\ntxt:id="),
        "{}",
        show(&raw_f)
    );
    let (f, r) = (bulk_text(&raw_f), bulk_text(&raw_r));
    for key in ["name", "db", "resp", "cmd", "qbuf", "argv-mem"] {
        assert_eq!(
            field(&f, key),
            field(&r, key),
            "field {key}\n ferrite: {f}\n   redis: {r}"
        );
    }
    assert_eq!(field(&f, "name"), "inspector");
    assert_eq!(field(&f, "resp"), "3");
}

#[test]
fn client_list_shows_other_clients_as_redis_does() {
    let mut p = Pair::new();
    // The pair's own client is served (and so has its id) before the second
    // one connects: a thread gives a connection its id when it starts
    // serving it, so two connections accepted by two threads under load
    // could otherwise get their ids in either order.
    p.check(&["PING"]);
    // A second client on each side that ran one SET and stays idle.
    let mut fo = p.server.client();
    let mut ro = p.oracle.client();
    for c in [&mut fo, &mut ro] {
        assert_eq!(c.cmd_str(&["CLIENT", "SETNAME", "other"]), b"+OK\r\n");
        assert_eq!(c.cmd_str(&["SELECT", "2"]), b"+OK\r\n");
        assert_eq!(c.cmd_str(&["SET", "k", "v"]), b"+OK\r\n");
    }
    let f = bulk_text(&p.ferrite.cmd_str(&["CLIENT", "LIST"]));
    let r = bulk_text(&p.redis.cmd_str(&["CLIENT", "LIST"]));
    let (fl, rl): (Vec<&str>, Vec<&str>) = (f.lines().collect(), r.lines().collect());
    assert_eq!(fl.len(), 2, "{f}");
    assert_eq!(rl.len(), 2, "{r}");
    for (fline, rline) in fl.iter().zip(&rl) {
        for key in [
            "name",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "argv-mem",
            "multi-mem",
            "obl",
            "oll",
            "omem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp",
        ] {
            assert_eq!(
                field(fline, key),
                field(rline, key),
                "field {key}\n ferrite: {fline}\n   redis: {rline}"
            );
        }
    }
    // Ordered by id: the pair's own (older) client first.
    let ids: Vec<u64> = fl.iter().map(|l| field(l, "id").parse().unwrap()).collect();
    assert!(ids[0] < ids[1]);
    assert_eq!(field(fl[0], "cmd"), "client|list");
    assert_eq!(field(fl[1], "cmd"), "set");
    assert_eq!(field(fl[1], "name"), "other");
    assert_eq!(field(fl[1], "db"), "2");
    assert_eq!(field(fl[1], "qbuf"), "0");

    // TYPE normal lists both, ID lists in the order asked, repeats included.
    let normal = bulk_text(&p.ferrite.cmd_str(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(normal.lines().count(), 2);
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let by_id = bulk_text(
        &p.ferrite
            .cmd_str(&["CLIENT", "LIST", "ID", &b, &a, &b, "424242"]),
    );
    let got: Vec<String> = by_id.lines().map(|l| field(l, "id")).collect();
    assert_eq!(got, vec![b.clone(), a.clone(), b.clone()]);
    assert_eq!(
        bulk_text(&p.ferrite.cmd_str(&["CLIENT", "LIST", "TYPE", "pubsub"])),
        ""
    );
}

#[test]
fn client_setinfo_as_in_redis_7_2() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_str(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CLIENT", "SETINFO", "lib-ver", "5.0.1"]),
        b"+OK\r\n"
    );
    let info = bulk_text(&c.cmd_str(&["CLIENT", "INFO"]));
    assert!(
        info.trim_end()
            .ends_with(" resp=2 lib-name=redis-py lib-ver=5.0.1"),
        "{info}"
    );
    let errors: &[(&[&str], &str)] = &[
        (
            &["CLIENT", "SETINFO", "lib-name"],
            "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
        ),
        (
            &["CLIENT", "SETINFO", "lib-name", "a", "b"],
            "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
        ),
        (
            &["CLIENT", "SETINFO", "lib-name", "redis py"],
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n",
        ),
        (
            &["CLIENT", "SETINFO", "LIB-VER", "1\n2"],
            "-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n",
        ),
        (
            &["CLIENT", "SETINFO", "badger", "hamster"],
            "-ERR Unrecognized option 'badger'\r\n",
        ),
    ];
    for (cmd, want) in errors {
        assert_eq!(show(&c.cmd_str(cmd)), show(want.as_bytes()), "{cmd:?}");
    }
    // Failed calls left the values alone; RESET keeps them too.
    assert_eq!(c.cmd_str(&["RESET"]), b"+RESET\r\n");
    let info = bulk_text(&c.cmd_str(&["CLIENT", "INFO"]));
    assert!(info.contains(" lib-name=redis-py lib-ver=5.0.1"), "{info}");
    // An empty value clears the field.
    assert_eq!(c.cmd_str(&["CLIENT", "SETINFO", "lib-ver", ""]), b"+OK\r\n");
    let info = bulk_text(&c.cmd_str(&["CLIENT", "INFO"]));
    assert!(
        info.trim_end().ends_with(" lib-name=redis-py lib-ver="),
        "{info}"
    );

    // The Rust redis crate sends SETINFO on connect and must get through.
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn client_help_lists_the_subcommands() {
    let server = TestServer::start();
    let mut c = server.client();
    let reply = c.cmd_str(&["CLIENT", "HELP"]);
    let lines = ferrite_testkit::flat_elements(&reply);
    assert!(lines.len() > 10);
    assert!(
        lines.iter().all(|l| l.starts_with(b"+")),
        "{}",
        show(&reply)
    );
    assert_eq!(
        lines[0],
        b"+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    );
    assert_eq!(lines[lines.len() - 2], b"+HELP\r\n");
    let text = show(&reply);
    for sub in [
        "+GETNAME",
        "+ID",
        "+INFO",
        "+KILL <ip:port>",
        "+LIST",
        "+REPLY (ON|OFF|SKIP)",
        "+SETINFO",
        "+SETNAME <name>",
    ] {
        assert!(text.contains(sub), "{sub} missing from {text}");
    }
    // Redis's layout: a subcommand line, then its description lines indented by four spaces.
    for l in &lines[1..] {
        assert!(
            l.starts_with(b"+    ") || l[1].is_ascii_uppercase(),
            "{}",
            show(l)
        );
    }
    assert_eq!(c.cmd_str(&["client", "help"]), reply);
}

#[test]
fn client_kill_closes_other_connections() {
    let server = TestServer::start();
    let mut killer = Sock::local(server.port);

    // New form by ID: an integer count, and the victim sees EOF.
    let mut victim = Sock::local(server.port);
    let id = int_reply(&victim.cmd(&["CLIENT", "ID"]));
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]),
        b":1\r\n"
    );
    assert_eq!(victim.read_to_eof(), b"");
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]),
        b":0\r\n"
    );

    // Old form by address: +OK.
    let mut victim = Sock::local(server.port);
    assert_eq!(victim.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &victim.addr()]), b"+OK\r\n");
    assert_eq!(victim.read_to_eof(), b"");
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", &victim.addr()]),
        b"-ERR No such client\r\n"
    );

    // ADDR filter, with an idle victim that never sent anything.
    let mut victim = Sock::local(server.port);
    let addr = victim.addr();
    wait_for(|| bulk_text(&killer.cmd(&["CLIENT", "LIST"])).contains(&addr));
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ADDR", &addr, "TYPE", "normal"]),
        b":1\r\n"
    );
    assert_eq!(victim.read_to_eof(), b"");

    // LADDR matches every client of this listener but the caller (SKIPME yes).
    let mut v1 = Sock::local(server.port);
    let mut v2 = Sock::local(server.port);
    assert_eq!(v1.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(v2.cmd(&["PING"]), b"+PONG\r\n");
    let laddr = format!("127.0.0.1:{}", server.port);
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "LADDR", &laddr]), b":2\r\n");
    assert_eq!(v1.read_to_eof(), b"");
    assert_eq!(v2.read_to_eof(), b"");
    assert_eq!(killer.cmd(&["PING"]), b"+PONG\r\n");
    let list = bulk_text(&killer.cmd(&["CLIENT", "LIST"]));
    assert_eq!(list.lines().count(), 1, "{list}");

    // USER default and TYPE normal match everyone.
    let mut v = Sock::local(server.port);
    assert_eq!(v.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "USER", "default"]),
        b":1\r\n"
    );
    assert_eq!(v.read_to_eof(), b"");
}

#[test]
fn client_kill_of_oneself_matches_redis() {
    let server = TestServer::start();
    let oracle = Oracle::start();
    for port in [server.port, oracle.port] {
        // Old form: +OK, then the connection closes.
        let mut c = Sock::local(port);
        let addr = c.addr();
        let mut raw = req(&["CLIENT", "KILL", &addr]);
        raw.extend(req(&["PING"]));
        c.stream.write_all(&raw).unwrap();
        assert_eq!(show(&c.read_to_eof()), "+OK\\r\\n", "port {port}");

        // New form: the caller is skipped unless SKIPME no.
        let mut c = Sock::local(port);
        let id = int_reply(&c.cmd(&["CLIENT", "ID"])).to_string();
        assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &id]), b":0\r\n");
        let mut raw = req(&["CLIENT", "KILL", "ID", &id, "SKIPME", "no"]);
        raw.extend(req(&["PING"]));
        c.stream.write_all(&raw).unwrap();
        assert_eq!(show(&c.read_to_eof()), ":1\\r\\n", "port {port}");
    }
}

#[test]
fn many_clients_leave_client_list_consistent() {
    let server = TestServer::start();
    let mut observer = server.client();
    let me = int_reply(&observer.cmd_str(&["CLIENT", "ID"]));
    let mut last_id = me;
    for round in 0..5 {
        let mut open: Vec<(RawClient, i64)> = Vec::new();
        for i in 0..12 {
            let mut c = server.client();
            let id = int_reply(&c.cmd_str(&["CLIENT", "ID"]));
            assert!(id > last_id, "ids must increase: {id} after {last_id}");
            last_id = id;
            let name = format!("r{round}c{i}");
            assert_eq!(c.cmd_str(&["CLIENT", "SETNAME", &name]), b"+OK\r\n");
            open.push((c, id));
        }
        let list = bulk_text(&observer.cmd_str(&["CLIENT", "LIST"]));
        let ids: Vec<i64> = list
            .lines()
            .map(|l| field(l, "id").parse().unwrap())
            .collect();
        let mut want: Vec<i64> = std::iter::once(me)
            .chain(open.iter().map(|(_, id)| *id))
            .collect();
        want.sort_unstable();
        assert_eq!(ids, want, "{list}");
        for (i, line) in list.lines().skip(1).enumerate() {
            assert_eq!(field(line, "name"), format!("r{round}c{i}"));
            assert_eq!(field(line, "cmd"), "client|setname");
        }
        // Close half by dropping the socket and kill the other half.
        let mut survivors = Vec::new();
        for (i, (c, id)) in open.into_iter().enumerate() {
            if i % 2 == 0 {
                drop(c);
            } else {
                survivors.push((c, id));
            }
        }
        for (_, id) in &survivors {
            assert_eq!(
                observer.cmd_str(&["CLIENT", "KILL", "ID", &id.to_string()]),
                b":1\r\n"
            );
        }
        for (mut c, _) in survivors {
            assert!(c.is_closed(Duration::from_secs(5)));
        }
        wait_for(|| {
            let list = bulk_text(&observer.cmd_str(&["CLIENT", "LIST"]));
            list.lines().count() == 1
                && field(list.lines().next().unwrap_or(""), "id") == me.to_string()
        });
    }
}

#[test]
fn protected_mode_refuses_remote_clients_without_a_password() {
    // Needs an address of this host that is not loopback.
    let Some(ip) = non_loopback_ip() else {
        eprintln!("skipped: this host has no non-loopback IPv4 address");
        return;
    };
    let server = TestServer::start_with(&["--shards", "2", "--bind", "0.0.0.0"]);
    let oracle = Oracle::start_with(&["--bind", "0.0.0.0"]);
    let denied = |port: u16| {
        let mut c = Sock::connect(SocketAddr::new(ip, port));
        let _ = c.stream.write_all(b"PING\r\n");
        c.read_to_eof()
    };
    let (f, r) = (denied(server.port), denied(oracle.port));
    assert!(
        r.starts_with(b"-DENIED Redis is running in protected mode"),
        "{}",
        show(&r)
    );
    assert_eq!(show(&f), show(&r));
    // Loopback clients still get in.
    assert_eq!(server.client().cmd_str(&["PING"]), b"+PONG\r\n");

    // With a password, remote clients are let in (and must authenticate).
    let server = TestServer::start_with(&["--bind", "0.0.0.0", "--requirepass", "pw"]);
    let mut c = Sock::connect(SocketAddr::new(ip, server.port));
    assert_eq!(c.cmd(&["PING"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd(&["AUTH", "pw"]), b"+OK\r\n");
    // And with protected mode off, without one.
    let server = TestServer::start_with(&["--bind", "0.0.0.0", "--protected-mode", "no"]);
    let mut c = Sock::connect(SocketAddr::new(ip, server.port));
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// This host's outgoing IPv4 address, if it has one besides loopback.
/// (Connecting a UDP socket sends nothing; it only picks a route.)
fn non_loopback_ip() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Polls `cond` for up to 10 seconds.
fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "condition not reached within 10s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
