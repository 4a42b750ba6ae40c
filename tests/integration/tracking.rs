//! Client-side caching (CLIENT TRACKING and its invalidations):
//! differential scripts of several connections run against Ferrite (3
//! shards) and redis-server, comparing everything each connection receives.

use std::time::Duration;

use ferrite_testkit::{show, Oracle, TestServer};

fn same(steps: &[&str]) {
    let server = TestServer::start_with(&["--shards", "3"]);
    let oracle = Oracle::start();
    let ours = ferrite_testkit::run_script(server.port, steps, true);
    let theirs = ferrite_testkit::run_script(oracle.port, steps, true);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b);
    }
    assert_eq!(ours.len(), theirs.len());
}

#[test]
fn tracking_commands_reply_as_redis() {
    same(&[
        "a: CLIENT TRACKING",
        "a: CLIENT TRACKING maybe",
        "a: CLIENT GETREDIR",
        "a: CLIENT TRACKINGINFO",
        "a: CLIENT CACHING yes",
        "a: CLIENT TRACKING on optin optout",
        "a: CLIENT TRACKING on bcast prefix a prefix ab",
        "a: CLIENT TRACKING on bcast prefix q prefix q",
        "a: CLIENT TRACKING on prefix a",
        "a: CLIENT TRACKING on redirect 999999",
        "a: CLIENT TRACKING on redirect 0",
        "a: CLIENT TRACKING on redirect abc",
        "a: CLIENT TRACKING on nonsense",
        "a: CLIENT TRACKING off",
        "a: CLIENT TRACKING on noloop",
        "a: CLIENT GETREDIR",
        "a: CLIENT TRACKINGINFO",
        "a: CLIENT CACHING yes",
        "a: CLIENT TRACKING on optin",
        "a: CLIENT TRACKING on optout",
        "a: CLIENT CACHING maybe",
        "a: CLIENT CACHING no",
        "a: CLIENT CACHING yes",
        "a: CLIENT TRACKINGINFO",
        "a: CLIENT TRACKING off",
        "a: CLIENT TRACKING on bcast prefix ab",
        "a: CLIENT TRACKING on bcast prefix a",
        "a: CLIENT TRACKING on bcast prefix abc prefix x",
        "a: CLIENT TRACKING on bcast prefix c",
        "a: CLIENT TRACKING on",
        "a: HELLO 3",
        "a: CLIENT TRACKINGINFO",
        "a: CLIENT TRACKING off",
        "a: CLIENT TRACKINGINFO",
    ]);
}

#[test]
fn resp3_clients_get_invalidations_for_what_they_read() {
    same(&[
        "a: HELLO 3",
        "a: CLIENT TRACKING ON",
        "a: GET k",
        "a: MGET k k2 k3",
        "b: SET k v",
        "b: SET k v2",
        "a: GET k",
        "b: DEL k",
        "b: MSET k2 1 k3 2",
        "a: HGETALL h",
        "b: HSET h f v",
        "b: HSET h f v",
        // NOLOOP: no invalidation for one's own writes.
        "a: CLIENT TRACKING ON NOLOOP",
        "a: GET k",
        "a: SET k mine",
        "b: SET k theirs",
        // Reads inside MULTI are tracked too.
        "a: MULTI",
        "a: GET t1",
        "a: SCARD t2",
        "a: EXEC",
        "b: SADD t2 m",
        "b: SET t1 x",
        // A flush invalidates everything at once.
        "a: GET k",
        "b: FLUSHDB",
        "b: FLUSHALL",
        "a: CLIENT TRACKING OFF",
        "a: GET k",
        "b: SET k 1",
    ]);
}

#[test]
fn optin_optout_redirect_and_bcast_behave_as_in_redis() {
    same(&[
        "r: CLIENT ID",
        "r: SUBSCRIBE __redis__:invalidate",
        "a: CLIENT TRACKING ON REDIRECT {r}",
        "a: GET k",
        "b: SET k v",
        // OPTIN: only after CLIENT CACHING yes, and for one command.
        "a: CLIENT TRACKING ON OPTIN REDIRECT {r}",
        "a: GET k",
        "b: SET k v2",
        "a: CLIENT CACHING yes",
        "a: GET k",
        "a: GET other",
        "b: SET other 1",
        "b: SET k v3",
        "a: CLIENT TRACKING OFF",
        // BCAST: every key under the prefixes, one message per prefix.
        "a: CLIENT TRACKING ON BCAST PREFIX user: PREFIX obj: REDIRECT {r}",
        "b: SET user:1 x",
        "b: MSET obj:1 a user:2 b other c",
        "b: SET other d",
        "a: CLIENT TRACKINGINFO",
        "a: CLIENT TRACKING OFF",
        // OPTOUT: everything but the command after CLIENT CACHING no.
        "a: CLIENT TRACKING ON OPTOUT REDIRECT {r}",
        "a: CLIENT CACHING no",
        "a: GET z",
        "b: SET z 1",
        "a: GET z",
        "b: SET z 2",
        // A redirect target that leaves: the client's tracking info says so.
        "r: QUIT",
        "a: GET z",
        "b: SET z 3",
        "a: CLIENT TRACKINGINFO",
    ]);
}

#[test]
fn expired_keys_are_invalidated() {
    same(&[
        "a: HELLO 3",
        "a: CLIENT TRACKING ON",
        "b: SET e 1 PX 50",
        "a: GET e",
        "a: SLEEP",
        "b: GET e",
        "b: SET f 1",
        "a: GET f",
        "b: PEXPIRE f 1",
        "a: SLEEP",
        "b: EXISTS f",
    ]);
}

/// With four shards, a tracked read of keys on every shard is invalidated
/// by writes on each of them, and BCAST sees writes on every shard.
#[test]
fn invalidations_come_from_every_shard() {
    let server = TestServer::start_with(&["--shards", "4"]);
    let mut a = server.client();
    let mut b = server.client();
    a.cmd(&[b"HELLO", b"3"]);
    assert_eq!(a.cmd_str(&["CLIENT", "TRACKING", "ON"]), b"+OK\r\n");
    let keys: Vec<String> = (0..4)
        .map(|s| ferrite_testkit::key_on_shard("tk", s, 4))
        .collect();
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    a.cmd_str(&mget);
    for k in &keys {
        b.cmd_str(&["SET", k, "v"]);
    }
    let mut seen: Vec<String> = Vec::new();
    while let Some(f) = a.try_read_reply(Duration::from_millis(200)) {
        seen.push(invalidated_key(&f));
    }
    seen.sort();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(seen, want);
    // Once invalidated, a key is forgotten until read again.
    b.cmd_str(&["SET", &keys[0], "again"]);
    assert!(a.try_read_reply(Duration::from_millis(100)).is_none());
    let info = b.cmd_str(&["INFO", "stats"]);
    assert_eq!(
        ferrite_testkit::info_field(&info, "tracking_total_keys"),
        "0"
    );
    // BCAST with an empty prefix: every write anywhere.
    let mut c = server.client();
    c.cmd(&[b"HELLO", b"3"]);
    c.cmd_str(&["CLIENT", "TRACKING", "ON", "BCAST"]);
    for k in &keys {
        b.cmd_str(&["SET", k, "w"]);
        assert_eq!(&invalidated_key(&c.read_reply()), k);
    }
}

/// The one key of a RESP3 `invalidate` push.
fn invalidated_key(frame: &[u8]) -> String {
    let text = String::from_utf8_lossy(frame).into_owned();
    assert!(
        frame.starts_with(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$"),
        "{}",
        show(frame)
    );
    let body = text.trim_end_matches("\r\n");
    body.rsplit("\r\n").next().unwrap().to_owned()
}

#[test]
fn the_tracking_table_is_bounded() {
    let mut p = ferrite_testkit::Pair::new();
    for line in [
        "CONFIG GET tracking-table-max-keys",
        "CONFIG SET tracking-table-max-keys -1",
        "CONFIG SET tracking-table-max-keys abc",
        "CONFIG SET tracking-table-max-keys 2",
        "CONFIG GET tracking-table-max-keys",
    ] {
        p.check(&line.split(' ').collect::<Vec<_>>());
    }
    // One shard holds the whole table: past 2 keys, one is forgotten and
    // its reader told so.
    let server = TestServer::start_with(&["--shards", "1", "--tracking-table-max-keys", "2"]);
    let mut a = server.client();
    a.cmd(&[b"HELLO", b"3"]);
    a.cmd_str(&["CLIENT", "TRACKING", "ON"]);
    a.cmd_str(&["MGET", "t1", "t2", "t3"]);
    let dropped = invalidated_key(&a.read_reply());
    assert!(["t1", "t2", "t3"].contains(&dropped.as_str()), "{dropped}");
    assert!(a.try_read_reply(Duration::from_millis(100)).is_none());
    let info = a.cmd_str(&["INFO", "stats"]);
    assert_eq!(
        ferrite_testkit::info_field(&info, "tracking_total_keys"),
        "2"
    );
}

/// Keys a script reads are tracked for the client that ran it, whether
/// the script runs with every lock (its first run) or on its keys' shard.
#[test]
fn keys_read_by_scripts_are_tracked() {
    same(&[
        "a: HELLO 3",
        "a: CLIENT TRACKING ON",
        "a: EVAL return(redis.call('get',KEYS[1])) 1 sk1",
        "b: SET sk1 v",
        "a: EVAL return(redis.call('get',KEYS[1])) 1 sk2",
        "b: SET sk2 v",
        "a: EVAL return(redis.call('get',KEYS[1])) 1 sk3",
        "b: SET sk3 v",
        // Writes in a script invalidate like any write.
        "a: GET sk4",
        "b: EVAL return(redis.call('set',KEYS[1],'x')) 1 sk4",
    ]);
}
