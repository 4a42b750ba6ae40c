//! ACL: users, rules, NOPERM, AUTH/HELLO, ACL LOG, requirepass, ACL files,
//! compared with a real redis-server.

use std::time::Duration;

use ferrite_testkit::{bulk_strings, flat_elements, show, Pair, RawClient};

/// A second connection to each server, as (ferrite, redis).
fn clients(p: &Pair) -> (RawClient, RawClient) {
    (p.server.client(), p.oracle.client())
}

/// Sends the same command to two clients and asserts equal replies.
fn same(f: &mut RawClient, r: &mut RawClient, args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    let (x, y) = (f.cmd(&a), r.cmd(&a));
    assert_eq!(show(&x), show(&y), "reply differs for {args:?}");
    x
}

/// One ACL LIST line with each run of single-command rules sorted: Redis
/// emits those in its command dictionary's order, which a random hash seed
/// decides anew in every process.
fn normalize(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for t in text.split(' ') {
        let single = (t.starts_with('+') || t.starts_with('-'))
            && !t.starts_with("+@")
            && !t.starts_with("-@");
        if single {
            run.push(t.trim_end_matches(')').to_string());
            if t.ends_with(')') {
                run.sort();
                out.append(&mut run);
                out.push(")".into());
            }
        } else {
            run.sort();
            out.append(&mut run);
            out.push(t.to_string());
        }
    }
    run.sort();
    out.append(&mut run);
    out.join(" ")
}

/// ACL LIST on both, compared line by line with [`normalize`].
fn check_list(p: &mut Pair) {
    let (f, r) = p.both_bytes(&[b"ACL", b"LIST"]);
    let f: Vec<String> = bulk_strings(&f).iter().map(|l| normalize(l)).collect();
    let r: Vec<String> = bulk_strings(&r).iter().map(|l| normalize(l)).collect();
    assert_eq!(f, r);
}

#[test]
fn setuser_rules_render_as_redis() {
    let mut p = Pair::new();
    p.check_all(&[
        "ACL SETUSER u1 on >p1 +get +@string -set +get ~k* %R~r* &ch +config|get -@string",
        "ACL SETUSER u2 +@all -debug +@string",
        "ACL SETUSER u3 allcommands -get allkeys allchannels (+set ~x) nopass",
        "ACL SETUSER u4 reset -@all +@string -get",
        "ACL SETUSER u5 -@all +@string +@list -@string",
        "ACL SETUSER u6 +@all -@string +get",
        "ACL SETUSER u7 -@all +get +config|get +config",
        "ACL SETUSER u8 -@all +@read -@write",
        "ACL SETUSER u9 ~a %RW~b %rw~c %W~d %R~d ON NoPass skip-sanitize-payload",
        "ACL SETUSER u10 > #e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ACL SETUSER u11 &a &b resetchannels &c +PING +ConFig|GET",
        "ACL SETUSER u12 +select|0 +get|x",
        "ACL SETUSER u13 on >a >b <a",
        "ACL SETUSER u14 (+get ~x) (+set ~y) clearselectors (+del ~z)",
    ]);
    check_list(&mut p);
    p.check(&["ACL", "USERS"]);
    for u in [
        // (Rules ending in several single commands: ACL LIST only, see normalize.)
        "default", "u1", "u3", "u9", "u10", "u14", "nosuch",
    ] {
        p.check(&["ACL", "GETUSER", u]);
    }
    p.hello3();
    for u in ["default", "u1", "u3", "u14"] {
        p.check(&["ACL", "GETUSER", u]);
    }
}

#[test]
fn setuser_errors_are_redis_texts_and_change_nothing() {
    let mut p = Pair::new();
    p.check_all(&[
        "ACL SETUSER x on ~a",
        "ACL SETUSER x foo",
        "ACL SETUSER x +nosuch",
        "ACL SETUSER x +@nosuch",
        "ACL SETUSER x +config|nosuch",
        "ACL SETUSER x +config|get|x",
        "ACL SETUSER x -select|0",
        "ACL SETUSER x +select|",
        "ACL SETUSER x +|",
        "ACL SETUSER x +@",
        "ACL SETUSER x %X~a",
        "ACL SETUSER x %~a",
        "ACL SETUSER x #abc",
        "ACL SETUSER x !abc",
        "ACL SETUSER x <nopw",
        "ACL SETUSER x (",
        "ACL SETUSER x (+get",
        "ACL SETUSER x (foo)",
        "ACL SETUSER x (on)",
        "ACL SETUSER x (+nosuch)",
        "ACL SETUSER x allkeys %R~x",
        "ACL SETUSER x allchannels &x",
        "ACL SETUSER x resetkeys ~* ~x",
        "ACL SETUSER x off +@all",
        "ACL SETUSER",
        "ACL GETUSER x",
        "ACL DELUSER default",
        "ACL DELUSER nosuch x",
        "ACL GETUSER x",
    ]);
    p.check(&["ACL", "SETUSER", "a b"]);
    p.check(&["ACL", "LIST"]);
}

#[test]
fn cat_help_genpass_whoami() {
    let mut p = Pair::new();
    p.check_all(&[
        "ACL CAT",
        "ACL CAT nosuch",
        "ACL CAT a b",
        "ACL HELP",
        "ACL WHOAMI",
        "ACL WHOAMI x",
        "ACL GENPASS 0",
        "ACL GENPASS 4097",
        "ACL GENPASS x",
        "ACL GENPASS 1 2",
        "ACL LOG 1 2",
        "ACL LOG x",
        "ACL LOG -1",
        "ACL LOG RESET",
        "ACL LOG",
    ]);
    for cat in ["transaction", "hash", "list", "set", "sortedset"] {
        p.check_unordered(&["ACL", "CAT", cat]);
    }
    // Ferrite lacks a few commands (WAIT, CLIENT PAUSE ...): what it lists
    // Redis lists too.
    for cat in [
        "connection",
        "string",
        "keyspace",
        "admin",
        "pubsub",
        "scripting",
    ] {
        let (f, r) = p.both_bytes(&[b"ACL", b"CAT", cat.as_bytes()]);
        let (f, r) = (flat_elements(&f), flat_elements(&r));
        assert!(!f.is_empty());
        // Subcommands of later Redis releases are not in 7.0's categories.
        let newer = |c: &[u8]| {
            ferrite_testkit::NEWER_THAN_ORACLE
                .iter()
                .any(|n| c.ends_with(format!("{n}\r\n").as_bytes()))
        };
        for c in f.iter().filter(|c| !newer(c)) {
            assert!(r.contains(c), "{cat}: {}", show(c));
        }
    }
    for (bits, len) in [(None, 64), (Some("5"), 2), (Some("4096"), 1024)] {
        let mut args: Vec<&[u8]> = vec![b"ACL", b"GENPASS"];
        if let Some(b) = bits {
            args.push(b.as_bytes());
        }
        let (f, r) = p.both_bytes(&args);
        let (f, r) = (bulk_strings(&f), bulk_strings(&r));
        assert_eq!(f[0].len(), len);
        assert_eq!(r[0].len(), len);
        assert!(f[0]
            .iter()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}

#[test]
fn noperm_on_commands_keys_channels_and_subcommands() {
    let mut p = Pair::new();
    p.check(&[
        "ACL",
        "SETUSER",
        "n",
        "on",
        ">pw",
        "~k*",
        "%R~r*",
        "%W~w*",
        "&ch*",
        "+@all",
        "-set",
        "-config|set",
    ]);
    p.check_all(&["SET r1 v", "RPUSH r2 a", "RPUSH k1 a"]);
    let (mut f, mut r) = clients(&p);
    for line in [
        "AUTH n pw",
        "ACL WHOAMI",
        "SET k1 v",
        "GET k1",
        "GET x",
        "GET r1",
        "APPEND r1 x",
        "APPEND w1 x",
        "GET w1",
        "MSET k1 a k2 b",
        "MGET k1 x",
        "LMOVE r2 k1 LEFT LEFT",
        "LMOVE k1 w1 LEFT LEFT",
        "CONFIG SET maxmemory 0",
        "CONFIG GET maxmemory",
        "PUBLISH ch1 x",
        "PUBLISH zz x",
        "SUBSCRIBE zz",
        "PSUBSCRIBE ch",
        "EVAL return 1 1 x",
        "EVAL return 1 1 k1",
        "LMPOP 2 r2 x LEFT",
        "DEL w1 k1",
        "DEL w1 r1",
        "ACL DRYRUN n GET k1",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        same(&mut f, &mut r, &args);
    }
    // Deny one subcommand at run time: already connected clients see it.
    p.check_all(&["ACL SETUSER n -config|get"]);
    same(&mut f, &mut r, &["CONFIG", "GET", "maxmemory"]);
    same(&mut f, &mut r, &["ACL", "WHOAMI"]);
}

#[test]
fn dryrun() {
    let mut p = Pair::new();
    p.check(&[
        "ACL",
        "SETUSER",
        "n",
        "on",
        ">pw",
        "~k*",
        "&ch*",
        "+@all",
        "-set",
        "-config|set",
    ]);
    p.check_all(&[
        "ACL DRYRUN n SET k v",
        "ACL DRYRUN n GET k",
        "ACL DRYRUN n GET x",
        "ACL DRYRUN n nosuch",
        "ACL DRYRUN nosuch GET x",
        "ACL DRYRUN n GET",
        "ACL DRYRUN n CONFIG SET a b",
        "ACL DRYRUN n CONFIG GET a",
        "ACL DRYRUN n PUBLISH zz x",
        "ACL DRYRUN n PUBLISH ch1 x",
        "ACL DRYRUN default SET x y",
    ]);
}

#[test]
fn auth_and_hello_forms() {
    let mut p = Pair::new();
    p.check_all(&[
        "AUTH pw",
        "AUTH default pw",
        "AUTH nosuch pw",
        "ACL SETUSER a on >pw +@all ~*",
        "ACL SETUSER b off >pw +@all ~*",
        "AUTH a bad",
        "AUTH b pw",
        "ACL WHOAMI",
        "AUTH a pw",
        "ACL WHOAMI",
        "AUTH a b c",
        "HELLO 2 AUTH a bad",
        "ACL WHOAMI",
    ]);
    let (f, r) = p.both_bytes(&[b"HELLO", b"2", b"AUTH", b"a", b"pw"]);
    assert!(
        f.starts_with(b"*14") && r.starts_with(b"*14"),
        "{}",
        show(&f)
    );
    p.check_all(&["ACL WHOAMI"]);
    // CLIENT INFO names the user.
    let (f, r) = p.both_bytes(&[b"CLIENT", b"INFO"]);
    for reply in [f, r] {
        assert!(
            String::from_utf8_lossy(&reply).contains(" user=a "),
            "{}",
            show(&reply)
        );
    }
    // The default user has no password: any password logs in as it.
    p.check_all(&[
        "AUTH default x",
        "ACL WHOAMI",
        "ACL SETUSER a off",
        "HELLO 3 AUTH a pw",
    ]);
}

#[test]
fn log_entries_have_redis_fields() {
    let mut p = Pair::new();
    p.check(&[
        "ACL",
        "SETUSER",
        "n",
        "on",
        ">pw",
        "~k*",
        "&ch*",
        "+@all",
        "-set",
        "-config|set",
    ]);
    p.check_all(&["ACL LOG RESET"]);
    let (mut f, mut r) = clients(&p);
    for line in [
        "AUTH n pw",
        "CONFIG SET x y",
        "PUBLISH zz x",
        "GET x",
        "GET x",
        "AUTH n bad",
        "AUTH nosuch bad",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        same(&mut f, &mut r, &args);
    }
    same(&mut f, &mut r, &["MULTI"]);
    same(&mut f, &mut r, &["GET", "y"]);
    same(&mut f, &mut r, &["DISCARD"]);
    let (fl, rl) = p.both_bytes(&[b"ACL", b"LOG"]);
    let (fe, re) = (flat_elements(&fl), flat_elements(&rl));
    assert_eq!(fe.len(), re.len(), "{}\n{}", show(&fl), show(&rl));
    assert_eq!(fe.len(), 6);
    let fe: Vec<Vec<u8>> = fe.iter().flat_map(|e| flat_elements(e)).collect();
    let re: Vec<Vec<u8>> = re.iter().flat_map(|e| flat_elements(e)).collect();
    assert_eq!(fe.len(), re.len());
    // Everything but the age and the client line is equal.
    for (i, (a, b)) in fe.iter().zip(&re).enumerate() {
        match i % 14 {
            11 => {
                let age: f64 = String::from_utf8_lossy(&bulk_strings(a)[0])
                    .parse()
                    .expect("age");
                assert!((0.0..5.0).contains(&age));
            }
            13 => {
                let line = String::from_utf8_lossy(&bulk_strings(a)[0]).into_owned();
                assert!(
                    line.starts_with("id=") && line.contains(" user=n "),
                    "{line}"
                );
                // The refused command, as Redis shows it.
                let cmd = |l: &str| {
                    l.split(' ')
                        .find(|f| f.starts_with("cmd="))
                        .map(str::to_string)
                };
                let theirs = String::from_utf8_lossy(&bulk_strings(b)[0]).into_owned();
                assert_eq!(cmd(&line), cmd(&theirs));
            }
            _ => assert_eq!(show(a), show(b), "field {i}"),
        }
    }
    p.check_all(&["ACL LOG 0", "ACL LOG RESET", "ACL LOG"]);
}

#[test]
fn multi_with_denied_commands() {
    let mut p = Pair::new();
    p.check(&["ACL", "SETUSER", "n", "on", ">pw", "~k*", "+@all", "-set"]);
    let (mut f, mut r) = clients(&p);
    for line in [
        "AUTH n pw",
        "MULTI",
        "GET x",
        "GET k",
        "EXEC",
        "MULTI",
        "SET k v",
        "EXEC",
        "MULTI",
        "GET k",
        "INCR k",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        same(&mut f, &mut r, &args);
    }
    // Rules changed between queueing and EXEC.
    p.check_all(&["ACL SETUSER n -incr"]);
    same(&mut f, &mut r, &["EXEC"]);
}

#[test]
fn scripts_calling_denied_commands() {
    let mut p = Pair::new();
    p.check(&["ACL", "SETUSER", "n", "on", ">pw", "~k*", "+@all", "-set"]);
    let (mut f, mut r) = clients(&p);
    same(&mut f, &mut r, &["AUTH", "n", "pw"]);
    for script in [
        "return redis.call('set','k','v')",
        "return redis.call('get','x')",
        "return redis.pcall('get','x')",
        "return redis.pcall('set','k','v')",
        "return redis.call('get','k')",
        "return redis.acl_check_cmd('get','x')",
        "return redis.acl_check_cmd('get','k')",
        "return redis.acl_check_cmd('set','k')",
        "return redis.acl_check_cmd('nosuch','k')",
    ] {
        same(&mut f, &mut r, &["EVAL", script, "0"]);
    }
}

#[test]
fn requirepass_is_the_default_users_password() {
    let mut p = Pair::with_args(
        &["--shards", "3", "--requirepass", "pw"],
        &["--requirepass", "pw"],
    );
    p.check_all(&[
        "GET x",
        "AUTH bad",
        "AUTH pw",
        "ACL LIST",
        "CONFIG GET requirepass",
    ]);
    p.check_all(&[
        "ACL SETUSER default >other",
        "CONFIG GET requirepass",
        "ACL LIST",
        "CONFIG SET requirepass z",
        "ACL LIST",
        "CONFIG SET requirepass ''",
        "ACL LIST",
        "AUTH x",
        "ACL SETUSER default resetpass",
    ]);
    // No password and not nopass: new clients cannot get in.
    let (mut f, mut r) = clients(&p);
    same(&mut f, &mut r, &["GET", "x"]);
    same(&mut f, &mut r, &["AUTH", "default", "x"]);
    p.check_all(&["ACL SETUSER default nopass"]);
    let (mut f, mut r) = clients(&p);
    same(&mut f, &mut r, &["GET", "x"]);
    same(&mut f, &mut r, &["AUTH", "x"]);
}

#[test]
fn deluser_disconnects_its_clients() {
    let mut p = Pair::new();
    p.check_all(&["ACL SETUSER a on >pw +@all ~*"]);
    let (mut f, mut r) = clients(&p);
    same(&mut f, &mut r, &["AUTH", "a", "pw"]);
    p.check_all(&["ACL SETUSER a off"]);
    same(&mut f, &mut r, &["PING"]);
    p.check_all(&["ACL DELUSER a"]);
    assert!(f.is_closed(Duration::from_secs(2)));
    assert!(r.is_closed(Duration::from_secs(2)));
}

#[test]
fn save_and_load_with_an_aclfile() {
    let dir = std::env::temp_dir().join(format!("ferrite-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ff = dir.join("f.acl");
    let rf = dir.join("r.acl");
    std::fs::write(
        &ff,
        "user default on nopass ~* &* +@all\nuser a on >pw ~k* +get\n",
    )
    .expect("write");
    std::fs::write(
        &rf,
        "user default on nopass ~* &* +@all\nuser a on >pw ~k* +get\n",
    )
    .expect("write");
    let mut p = Pair::with_args(
        &["--shards", "3", "--aclfile", ff.to_str().expect("path")],
        &["--aclfile", rf.to_str().expect("path")],
    );
    p.check_all(&[
        "ACL LIST",
        "ACL SETUSER b on >x +@read ~*",
        "ACL SAVE",
        "ACL SETUSER c on",
        "ACL LOAD",
        "ACL LIST",
    ]);
    assert_eq!(
        std::fs::read_to_string(&ff).expect("read"),
        std::fs::read_to_string(&rf).expect("read")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_and_load_without_an_aclfile() {
    let mut p = Pair::new();
    p.check_all(&["ACL SAVE", "ACL LOAD"]);
}

#[test]
fn user_lines_create_users_at_start() {
    let users = [
        "--user",
        "alice",
        "on",
        ">pw",
        "~a*",
        "+@all",
        "-flushall",
        "--user",
        "bob",
        "off",
    ];
    let mut f_args = vec!["--shards", "3"];
    f_args.extend(users);
    let mut p = Pair::with_args(&f_args, &users);
    check_list(&mut p);
    p.check_all(&[
        "AUTH alice pw",
        "ACL WHOAMI",
        "GET a1",
        "GET b1",
        "FLUSHALL",
        "AUTH bob x",
    ]);
}

#[test]
fn revoking_a_channel_disconnects_its_subscribers() {
    let mut p = Pair::new();
    p.check_all(&["ACL SETUSER s on >pw +@all ~* &a &b*"]);
    let (mut f, mut r) = clients(&p);
    same(&mut f, &mut r, &["AUTH", "s", "pw"]);
    same(&mut f, &mut r, &["SUBSCRIBE", "a"]);
    let (mut f2, mut r2) = clients(&p);
    same(&mut f2, &mut r2, &["AUTH", "s", "pw"]);
    same(&mut f2, &mut r2, &["PSUBSCRIBE", "b*"]);
    // Still allowed: nobody leaves.
    p.check_all(&["ACL SETUSER s &c"]);
    same(&mut f, &mut r, &["PING"]);
    same(&mut f2, &mut r2, &["PING"]);
    // `a` goes: its subscriber is disconnected, the other one stays.
    p.check_all(&["ACL SETUSER s resetchannels &b*"]);
    assert!(f.is_closed(Duration::from_secs(2)));
    assert!(r.is_closed(Duration::from_secs(2)));
    same(&mut f2, &mut r2, &["PING"]);
}

#[test]
fn acl_load_errors_change_nothing() {
    let dir = std::env::temp_dir().join(format!("ferrite-acl-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The same path for both servers: the error texts name it.
    let file = dir.join("users.acl");
    let path = file.to_str().expect("path").to_string();
    std::fs::write(&file, "user default on nopass ~* &* +@all\n").expect("write");
    let mut p = Pair::with_args(
        &["--shards", "3", "--aclfile", &path],
        &["--aclfile", &path],
    );
    for bad in [
        "user default on nopass ~* &* +@all\nuser a on +nosuch\n",
        "user default on nopass ~* &* +@all\nfoo a\n",
        "user default on nopass ~* &* +@all\nuser a\nuser a\n",
    ] {
        std::fs::write(&file, bad).expect("write");
        p.check_all(&["ACL LOAD", "ACL USERS"]);
    }
    std::fs::remove_file(&file).expect("rm");
    p.check_all(&["ACL LOAD", "ACL USERS"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_rewrite_writes_the_live_users() {
    let dir = std::env::temp_dir().join(format!("ferrite-acl-rewrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.conf");
    std::fs::write(&path, "# users\nuser alice on >pw ~a* +get\n").unwrap();
    let server = ferrite_testkit::TestServer::start_with_file(&path, &[]);
    let mut c = server.client();
    assert_eq!(
        c.cmd_str(&["ACL", "SETUSER", "bob", "on", "nopass", "+ping"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["ACL", "DELUSER", "alice"]), b":1\r\n");
    assert_eq!(c.cmd_str(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    let users: Vec<&str> = text.lines().filter(|l| l.starts_with("user ")).collect();
    assert_eq!(
        users,
        [
            "user bob on nopass resetchannels -@all +ping",
            "user default on nopass ~* &* +@all",
        ],
        "{text}"
    );
    assert!(text.starts_with("# users\n"), "{text}");
    // The rewritten file starts a server with the same users.
    drop(c);
    server.stop();
    let again = ferrite_testkit::TestServer::start_with_file(&path, &[]);
    let mut c = again.client();
    let list = c.cmd_str(&["ACL", "LIST"]);
    assert!(
        show(&list).contains("user bob on nopass"),
        "{}",
        show(&list)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
