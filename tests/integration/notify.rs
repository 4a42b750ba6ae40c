//! Keyspace notifications end to end: a subscriber to `__key*__:*` sees
//! exactly what a redis-server subscriber sees, message by message, for
//! commands of every class, expiry (lazy and active) and each flag set.

use ferrite_testkit::{run_script, Oracle, TestServer};

fn same(flags: &str, steps: &[&str]) {
    let server = TestServer::start_with(&[
        "--shards",
        "3",
        "--notify-keyspace-events",
        flags,
        "--enable-debug-command",
        "yes",
    ]);
    let oracle = Oracle::start_with(&[
        "--notify-keyspace-events",
        flags,
        "--enable-debug-command",
        "yes",
    ]);
    let mut script = vec!["s: PSUBSCRIBE __key*__:*"];
    script.extend_from_slice(steps);
    let ours = run_script(server.port, &script, false);
    let theirs = run_script(oracle.port, &script, false);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "notify-keyspace-events {flags}");
    }
    assert_eq!(ours.len(), theirs.len());
}

const EVERY_CLASS: &[&str] = &[
    "b: SET k v",
    "b: SET k v2 KEEPTTL",
    "b: APPEND k x",
    "b: INCR n",
    "b: INCRBYFLOAT n 1.5",
    "b: SETRANGE k 1 zz",
    "b: GETDEL k",
    "b: MSET a 1 b 2 c 3",
    "b: RENAME a a2",
    "b: EXPIRE b 100",
    "b: PERSIST b",
    "b: EXPIRE c 0",
    "b: COPY b b2",
    "b: MOVE b2 1",
    "b: DEL a2 b nosuch",
    "b: RPUSH l 1 2 3",
    "b: LPOP l",
    "b: LMOVE l l2 LEFT RIGHT",
    "b: LTRIM l 0 0",
    "b: RPOPLPUSH l l2",
    "b: HSET h f v g w",
    "b: HINCRBY h n 2",
    "b: HDEL h f g n",
    "b: SADD s m1 m2",
    "b: SREM s m1",
    "b: SMOVE s s2 m2",
    "b: SINTERSTORE dst s2 nosuch",
    "b: ZADD z 1 a 2 b",
    "b: ZINCRBY z 5 a",
    "b: ZREM z b",
    "b: ZUNIONSTORE zu 1 z",
    "b: ZPOPMIN z",
    "b: SORT l2 STORE sorted",
    "b: SETBIT bits 7 1",
    "b: GET nosuch",
    "b: FLUSHALL",
];

#[test]
fn every_class_publishes_as_redis_does() {
    same("KEA", EVERY_CLASS);
}

#[test]
fn flags_select_channels_and_classes() {
    for flags in ["K$", "Elm", "Kgxn"] {
        same(flags, EVERY_CLASS);
    }
}

#[test]
fn expiry_publishes_expired_lazily_and_actively() {
    same(
        "KEA",
        &[
            // Lazily: active expiry off, the read finds the key stale.
            "b: DEBUG SET-ACTIVE-EXPIRE 0",
            "b: SET lazy 1 PX 200",
            "b: SLEEP",
            "b: SLEEP",
            "b: GET lazy",
            // Actively: nobody reads the key; the expiry cycle removes it
            // well within the sleeps.
            "b: DEBUG SET-ACTIVE-EXPIRE 1",
            "b: SET active 1 PX 200",
            "b: SLEEP",
            "b: SLEEP",
            "b: SLEEP",
            "b: SLEEP",
            "b: SLEEP",
            "b: PING",
        ],
    );
}

#[test]
fn notifications_follow_config_set_at_run_time() {
    same(
        "",
        &[
            "b: SET quiet 1",
            "b: CONFIG SET notify-keyspace-events KE$",
            "b: SET loud 1",
            "b: LPUSH list x",
            "b: CONFIG SET notify-keyspace-events Kl",
            "b: SET loud 2",
            "b: LPUSH list y",
            "b: CONFIG GET notify-keyspace-events",
        ],
    );
}
