//! Tests of the public API. Expected CONFIG GET values and CONFIG SET error
//! texts marked "oracle" were obtained from a real Redis 7.0.15
//! (`redis-server --port 7779 --save ''`, queried with redis-cli).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A fresh, empty temporary directory (canonical path).
fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "ferrite-config-test-{}-{tag}-{n}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn get1(c: &Config, name: &str) -> String {
    let got = c.get(&[name.as_bytes()]);
    assert_eq!(got.len(), 1, "CONFIG GET {name} gave {got:?}");
    String::from_utf8(got[0].1.clone()).unwrap()
}

fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<(), String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    c.set(&pairs)
}

fn set_err(c: &mut Config, pairs: &[(&str, &str)]) -> String {
    let before = c.clone();
    let err = set(c, pairs).unwrap_err();
    assert_eq!(*c, before, "failed CONFIG SET changed the configuration");
    err
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn load_text(text: &str) -> Result<Config, ConfigError> {
    let dir = temp_dir("load");
    let path = write(&dir, "redis.conf", text);
    let mut c = Config::default();
    let result = c.load_file(&path).map(|()| c);
    let _ = fs::remove_dir_all(&dir);
    result
}

// ---------------------------------------------------------------- CONFIG GET

#[test]
fn default_values_as_config_get_reports_them() {
    let c = Config::default();
    // Oracle, except: port (7779 there; 6379 is Redis's default), save
    // (started with --save ''; the default is Redis's documented one), bind
    // (Redis's built-in default is "* -::*"; Ferrite's is loopback) and
    // daemonize (the oracle was daemonized).
    let expected = [
        ("port", "6379"),
        ("bind", "127.0.0.1 -::1"),
        ("databases", "16"),
        ("shards", "0"),
        ("logfile", ""),
        ("loglevel", "notice"),
        ("maxclients", "10000"),
        ("timeout", "0"),
        ("tcp-keepalive", "300"),
        ("protected-mode", "yes"),
        ("requirepass", ""),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("daemonize", "no"),
        ("save", "3600 1 300 100 60 10000"),
        ("appendonly", "no"),
        ("hz", "10"),
        ("active-expire-effort", "1"),
        ("list-max-listpack-size", "-2"),
        ("list-max-ziplist-size", "-2"),
        ("list-compress-depth", "0"),
        ("hash-max-listpack-entries", "512"),
        ("hash-max-ziplist-entries", "512"),
        ("hash-max-listpack-value", "64"),
        ("hash-max-ziplist-value", "64"),
        ("set-max-intset-entries", "512"),
        ("zset-max-listpack-entries", "128"),
        ("zset-max-ziplist-entries", "128"),
        ("zset-max-listpack-value", "64"),
        ("zset-max-ziplist-value", "64"),
        ("notify-keyspace-events", ""),
    ];
    for (name, value) in expected {
        assert_eq!(get1(&c, name), value, "{name}");
    }
    // Oracle: CONFIG GET dir is the absolute working directory.
    let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
    assert_eq!(get1(&c, "dir"), cwd.to_str().unwrap());
}

#[test]
fn get_star_lists_every_directive_once_in_table_order() {
    let c = Config::default();
    let all = c.get(&[b"*"]);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    // Aliases are listed too, as Redis 7.0 lists `hash-max-ziplist-entries`
    // beside `hash-max-listpack-entries`.
    let table: Vec<&str> = TABLE
        .iter()
        .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
        .collect();
    assert_eq!(names, table);
    assert_eq!(c.get(&[b"*", b"*", b"port"]), all);
}

#[test]
fn get_name_spelling_follows_redis() {
    let c = Config::default();
    let names = |patterns: &[&[u8]]| -> Vec<String> {
        c.get(patterns).into_iter().map(|(n, _)| n).collect()
    };
    // Oracle: `CONFIG GET PORT` answers "PORT"; a glob answers the real name;
    // the first pattern matching a directive decides its spelling.
    assert_eq!(names(&[b"PORT"]), ["PORT"]);
    assert_eq!(names(&[b"P*RT"]), ["port"]);
    assert_eq!(names(&[b"PORT", b"P*RT"]), ["PORT"]);
    assert_eq!(names(&[b"P*RT", b"PORT"]), ["port"]);
    assert_eq!(names(&[b"port", b"PORT"]), ["port"]);
    // Table order, not argument order.
    assert_eq!(names(&[b"hz", b"port"]), ["port", "hz"]);
    assert!(names(&[b"nonexist"]).is_empty());
    assert!(names(&[]).is_empty());
    // Without glob characters the pattern is a plain name: `\` is literal.
    assert!(names(&[b"p\\ort"]).is_empty());
    assert_eq!(names(&[b"p\\ort*"]), ["port"]);
    assert_eq!(names(&[b"*-expire-*"]), ["active-expire-effort"]);
    assert_eq!(
        names(&[b"[pd]*"]),
        [
            "port",
            "databases",
            "dir",
            "protected-mode",
            "proto-max-bulk-len",
            "daemonize",
            "pidfile",
            "dbfilename",
            "disable-thp",
            "dynamic-hz",
            "proc-title-template",
            "propagation-error-behavior"
        ]
    );
}

#[test]
fn get_dir_is_absolute() {
    let dir = temp_dir("getdir");
    let mut c = Config::default();
    // Oracle: `dir /tmp/` is reported as "/tmp".
    c.apply_directive("dir", &[format!("{}/", dir.display())])
        .unwrap();
    assert_eq!(get1(&c, "dir"), dir.to_str().unwrap());
    let sub = dir.join("sub");
    fs::create_dir(&sub).unwrap();
    // Relative to the previous dir, as after Redis's chdir.
    c.apply_directive("dir", &args(&["sub"])).unwrap();
    assert_eq!(c.dir, sub);
    let _ = fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- CONFIG SET

#[test]
fn set_error_texts() {
    let mut c = Config::default();
    // Oracle, each one.
    assert_eq!(
        set_err(&mut c, &[("nosuch", "1")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(
        set_err(&mut c, &[("databases", "10")]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("daemonize", "no")]),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("logfile", "x")]),
        "ERR CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("dir", "/tmp")]),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    );
    assert_eq!(
        set_err(&mut c, &[("hz", "abc")]),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    for bad in ["010", "+5", " 5", "5.0", "-0", "", "99999999999999999999"] {
        assert_eq!(
            set_err(&mut c, &[("hz", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
    }
    assert_eq!(
        set_err(&mut c, &[("maxclients", "0")]),
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"
    );
    assert_eq!(
        set_err(&mut c, &[("timeout", "-1")]),
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"
    );
    assert_eq!(
        set_err(&mut c, &[("tcp-keepalive", "-1")]),
        "ERR CONFIG SET failed (possibly related to argument 'tcp-keepalive') - argument must be between 0 and 2147483647 inclusive"
    );
    for bad in ["0", "11"] {
        assert_eq!(
            set_err(&mut c, &[("active-expire-effort", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'active-expire-effort') - argument must be between 1 and 10 inclusive"
        );
    }
    assert_eq!(
        set_err(&mut c, &[("protected-mode", "maybe")]),
        "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"
    );
    assert_eq!(
        set_err(&mut c, &[("appendonly", "maybe")]),
        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"
    );
    assert_eq!(
        set_err(&mut c, &[("loglevel", "loud")]),
        "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"
    );
    for bad in [
        "abc", "-1", "+2mb", "1.5gb", "1 gb", "1gbb", "0x200000", "2e6",
    ] {
        assert_eq!(
            set_err(&mut c, &[("proto-max-bulk-len", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value",
            "{bad:?}"
        );
    }
    for bad in [
        "1k",
        "0",
        "",
        "1b",
        "18446744073709551615",
        "9223372036854775808",
        "8589934592gb",
    ] {
        assert_eq!(
            set_err(&mut c, &[("client-query-buffer-limit", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive",
            "{bad:?}"
        );
    }
    for bad in [
        "1 2 3", "a b", "3600  1", " 3600 1", "0 1", "3600 -1", "3600 1 ", "1e3 1",
    ] {
        assert_eq!(
            set_err(&mut c, &[("save", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
            "{bad:?}"
        );
    }
    // Oracle: name errors echo the name as the client wrote it...
    assert_eq!(
        set_err(&mut c, &[("hz", "10"), ("HZ", "11")]),
        "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
    );
    assert_eq!(
        set_err(&mut c, &[("DATABASES", "1")]),
        "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("DIR", "/tmp")]),
        "ERR CONFIG SET failed (possibly related to argument 'DIR') - can't set protected config"
    );
    assert_eq!(
        set_err(&mut c, &[("NOSUCH", "1")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'NOSUCH'"
    );
    // ... while value errors give the table's spelling.
    assert_eq!(
        set_err(&mut c, &[("HZ", "abc")]),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        set_err(&mut c, &[("Save", "1")]),
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
    );
}

#[test]
fn set_checks_names_before_values() {
    let mut c = Config::default();
    // Oracle: all names are checked (in order) before any value.
    assert_eq!(
        set_err(&mut c, &[("hz", "abc"), ("nosuch", "1")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(
        set_err(&mut c, &[("hz", "abc"), ("databases", "1")]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("databases", "1"), ("nosuch", "2")]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("hz", "5"), ("hz", "abc")]),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
    );
}

#[test]
fn set_is_atomic() {
    let mut c = Config::default();
    let err = set_err(
        &mut c,
        &[("hz", "20"), ("maxclients", "0"), ("timeout", "-1")],
    );
    assert!(err.contains("'maxclients'"), "{err}");
    assert_eq!(c.hz, 10);
    set(&mut c, &[("hz", "20"), ("maxclients", "5"), ("save", "")]).unwrap();
    assert_eq!((c.hz, c.maxclients), (20, 5));
    assert!(c.save.is_empty());
}

#[test]
fn set_values_read_back_as_redis_reports_them() {
    let mut c = Config::default();
    let mut check = |name: &str, value: &str, expected: &str| {
        set(&mut c, &[(name, value)]).unwrap();
        assert_eq!(get1(&c, name), expected, "{name} {value:?}");
    };
    // Oracle, each one.
    check("hz", "0", "1");
    check("hz", "1000", "500");
    check("hz", "501", "500");
    check("loglevel", "NOTICE", "notice");
    check("loglevel", "Warning", "warning");
    check("protected-mode", "NO", "no");
    check("protected-mode", "yes", "yes");
    check("appendonly", "NO", "no");
    check("proto-max-bulk-len", "1mb", "1048576");
    check("proto-max-bulk-len", "2MB", "2097152");
    check("proto-max-bulk-len", "2000K", "2000000");
    check("proto-max-bulk-len", "2Gb", "2147483648");
    check("proto-max-bulk-len", "2000000b", "2000000");
    check("proto-max-bulk-len", "02mb", "2097152");
    check("client-query-buffer-limit", "2097152B", "2097152");
    check("client-query-buffer-limit", "2097152kb", "2147483648");
    check(
        "client-query-buffer-limit",
        "8589934591gb",
        "9223372035781033984",
    );
    // Redis 7.0 lets the multiplication wrap around.
    check("client-query-buffer-limit", "17179869185gb", "1073741824");
    check("save", "3600 1 300 100 60 10000", "3600 1 300 100 60 10000");
    check("save", "", "");
    check("save", "3600 ", "3600 0");
    check("save", "3600 -0", "3600 0");
    check("save", "01 +1", "1 1");
    check("save", "99999999999999999999 1", "9223372036854775807 1");
    check("requirepass", "a b", "a b");
    check("requirepass", "", "");
    check("maxclients", "4294967295", "4294967295");
    check("timeout", "2147483647", "2147483647");
    // Ferrite extension (Redis 7.2's level).
    check("loglevel", "nothing", "nothing");
    assert!(c.requirepass.is_none());
}

#[test]
fn notify_keyspace_events_canonical_form() {
    let mut c = Config::default();
    // Oracle: the value CONFIG GET prints after each CONFIG SET (`A` hides
    // `n`; an all-of-A combination prints as `A`; K, E, m always come last).
    for (value, printed) in [
        ("KEA", "AKE"),
        ("Ex", "xE"),
        ("gK", "gK"),
        ("Em", "Em"),
        ("n", "n"),
        ("An", "A"),
        ("KA", "AK"),
        ("KEAnm", "AKEm"),
        ("g$lshzxetd", "A"),
        ("nmKEdtexzhsl$g", "AKEm"),
        ("lshzxetdnmKE", "lshzxetdnKEm"),
        ("$lshzxetg", "g$lshzxet"),
        ("Kn", "nK"),
        ("AAn", "A"),
        ("", ""),
    ] {
        set(&mut c, &[("notify-keyspace-events", value)]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), printed, "{value:?}");
    }
    // `n` is kept behind the `A` that hides it.
    set(&mut c, &[("notify-keyspace-events", "KEAn")]).unwrap();
    assert_eq!(
        c.notify_keyspace_events,
        notify_flags::ALL | notify_flags::NEW | notify_flags::KEYSPACE | notify_flags::KEYEVENT
    );
}

#[test]
fn notify_keyspace_events_bits_are_redis_s() {
    use notify_flags::*;
    // Redis 7.0's class bits; ferrite_commands::ctx::notify repeats them.
    assert_eq!(
        [KEYSPACE, KEYEVENT, GENERIC, STRING, LIST, SET, HASH, ZSET],
        [1, 2, 4, 8, 16, 32, 64, 128]
    );
    assert_eq!(
        [EXPIRED, EVICTED, STREAM, KEY_MISS, MODULE, NEW],
        [256, 512, 1024, 2048, 8192, 16384]
    );
    assert_eq!(ALL, 0x27fc);
    assert_eq!(parse(b"KEA"), Some(ALL | KEYSPACE | KEYEVENT));
    assert_eq!(parse(b""), Some(0));
}

#[test]
fn notify_keyspace_events_refuses_other_characters() {
    let mut c = Config::default();
    set(&mut c, &[("notify-keyspace-events", "Kg")]).unwrap();
    // Oracle, for each: the whole value is refused and the old one stays.
    for bad in ["Q", "KEA ", "kea", "K-E", "a"] {
        assert_eq!(
            set_err(&mut c, &[("notify-keyspace-events", bad)]),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - \
             Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            "{bad:?}"
        );
    }
    assert_eq!(get1(&c, "notify-keyspace-events"), "gK");
    // Oracle: the same text on the command line and in a file.
    let err = Config::from_args(&args(&["--notify-keyspace-events", "Q"])).unwrap_err();
    assert!(
        err.to_string()
            .contains("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        "{err}"
    );
    let err = load_text("notify-keyspace-events Q\n").unwrap_err();
    assert_eq!(err.line(), Some(1));
    assert!(err.to_string().contains("Invalid event class"), "{err}");
}

#[test]
fn notify_keyspace_events_file_and_command_line() {
    let c = load_text("notify-keyspace-events \"KEx\"\n").unwrap();
    assert_eq!(get1(&c, "notify-keyspace-events"), "xKE");
    let c = load_text("notify-keyspace-events KEA\nnotify-keyspace-events \"\"\n").unwrap();
    assert_eq!(c.notify_keyspace_events, 0);
    let c = Config::from_args(&args(&["--notify-keyspace-events", "Elg"])).unwrap();
    assert_eq!(
        c.notify_keyspace_events,
        notify_flags::KEYEVENT | notify_flags::LIST | notify_flags::GENERIC
    );
    assert_eq!(get1(&c, "notify-keyspace-events"), "glE");
    // A bare directive lacks its argument, as in Redis.
    assert!(Config::from_args(&args(&["--notify-keyspace-events"])).is_err());
}

#[test]
fn appendonly_is_a_plain_switch() {
    // Whether the server can turn it on at run time is the runtime's
    // question (it needs a rewrite of the current data).
    let mut c = Config::default();
    c.set(&[(b"appendonly", b"YES")]).unwrap();
    assert!(c.appendonly);
    assert_eq!(get1(&c, "appendonly"), "yes");
    assert!(
        load_text("appendonly yes\nappendfsync always\n")
            .unwrap()
            .appendonly
    );
}

#[test]
fn set_requirepass_and_fields() {
    let mut c = Config::default();
    c.set(&[(b"requirepass", b"s\x00cret")]).unwrap();
    assert_eq!(c.requirepass.as_deref(), Some(&b"s\x00cret"[..]));
    c.set(&[(b"REQUIREPASS", b"")]).unwrap();
    assert_eq!(c.requirepass, None);
    c.set(&[(b"nosuch\xff", b"1")]).unwrap_err();
}

// ------------------------------------------------------------- config files

#[test]
fn file_syntax() {
    let c = load_text(
        "# a comment\n\
         \n\
         \t  PORT 7000   \r\n\
         port 7001\n\
         Bind 127.0.0.2 '::1'\n\
         requirepass \"p\\x41ss \\\"w\\\"\\n\"\n\
         logfile 'it\\'s.log'\n\
         LogLevel WARNING\n\
         databases 4\n\
         shards 3\n\
         maxclients 50\n\
         timeout 30\n\
         tcp-keepalive 0\n\
         protected-mode no\n\
         proto-max-bulk-len 2mb\n\
         client-query-buffer-limit 3MB\n\
         daemonize no\n\
         appendonly no\n\
         hz 0\n\
         active-expire-effort 10\n\
         save 100 1\n\
         save 200 2 300 3\n",
    )
    .unwrap();
    assert_eq!(c.port, 7001);
    assert_eq!(c.bind, ["127.0.0.2", "::1"]);
    assert_eq!(c.requirepass.as_deref(), Some(&b"pAss \"w\"\n"[..]));
    assert_eq!(c.logfile, "it's.log");
    assert_eq!(c.loglevel, LogLevel::Warning);
    assert_eq!(c.databases, 4);
    assert_eq!(c.shards, 3);
    assert_eq!(c.maxclients, 50);
    assert_eq!(c.timeout, 30);
    assert_eq!(c.tcp_keepalive, 0);
    assert!(!c.protected_mode);
    assert_eq!(c.proto_max_bulk_len, 2 << 20);
    assert_eq!(c.client_query_buffer_limit, 3 << 20);
    // Oracle: hz 0 in a file reads back as 1.
    assert_eq!(c.hz, 1);
    assert_eq!(c.active_expire_effort, 10);
    // Oracle: save lines of one file accumulate, replacing the defaults.
    assert_eq!(c.save, [(100, 1), (200, 2), (300, 3)]);
}

#[test]
fn file_save_reset_and_bare_directives() {
    // Oracle: `save 100 1`, `save ""`, `save 200 2` gives "200 2".
    let c = load_text("save 100 1\nsave \"\"\nsave 200 2\n").unwrap();
    assert_eq!(c.save, [(200, 2)]);
    // Oracle: a bare `save` or `bind` is accepted and empties the list.
    let c = load_text("save\nbind\n").unwrap();
    assert!(c.save.is_empty());
    assert!(c.bind.is_empty());
    // A file without save lines keeps the defaults.
    let c = load_text("port 1\n").unwrap();
    assert_eq!(c.save, Config::default().save);
}

#[test]
fn file_error_unknown_directive_names_file_and_line() {
    let dir = temp_dir("unknown");
    let path = write(&dir, "bad.conf", "port 7780\n# comment\n\nfoo bar\n");
    let mut c = Config::default();
    let err = c.load_file(&path).unwrap_err();
    assert_eq!(err.file(), Some(path.as_path()));
    assert_eq!(err.line(), Some(4));
    assert!(matches!(err.kind(), ConfigErrorKind::BadDirective { name } if name == "foo"));
    // The reason line is the oracle's text.
    assert_eq!(
        err.to_string(),
        format!(
            "*** FATAL CONFIG FILE ERROR (Ferrite {}) ***\n\
             Reading the configuration file '{}', at line 4\n\
             >>> 'foo bar'\n\
             Bad directive or wrong number of arguments",
            env!("CARGO_PKG_VERSION"),
            path.display()
        )
    );
    // Lines before the faulty one were applied.
    assert_eq!(c.port, 7780);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn file_errors_reasons() {
    // Reasons are the oracle's texts for the same lines.
    let cases: &[(&str, &str)] = &[
        ("port 7780 7781", "wrong number of arguments"),
        ("port", "wrong number of arguments"),
        ("logfile", "wrong number of arguments"),
        ("requirepass", "wrong number of arguments"),
        ("port abc", "argument couldn't be parsed into an integer"),
        (
            "port 65536",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "hz -1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "databases 0",
            "argument must be between 1 and 2147483647 inclusive",
        ),
        (
            "DATABASES 0",
            "argument must be between 1 and 2147483647 inclusive",
        ),
        ("port \"abc", "Unbalanced quotes in configuration line"),
        (
            "requirepass foo\"bar baz\"qux",
            "Unbalanced quotes in configuration line",
        ),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        ("save 1 2 3", "Invalid save parameters"),
        ("save 100", "Invalid save parameters"),
        ("protected-mode maybe", "argument must be 'yes' or 'no'"),
        ("daemonize maybe", "argument must be 'yes' or 'no'"),
        (
            "proto-max-bulk-len 1k",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
            "Too many bind addresses specified.",
        ),
        ("include", "Bad directive or wrong number of arguments"),
        ("include a b", "Bad directive or wrong number of arguments"),
        ("dir /nonexistent-ferrite-dir", "No such file or directory"),
        ("port 7000 # trailing comment", "wrong number of arguments"),
    ];
    for (line, reason) in cases {
        let err = load_text(&format!("# header\n{line}\n")).unwrap_err();
        assert_eq!(err.kind().to_string(), *reason, "{line}");
        assert_eq!(err.line(), Some(2), "{line}");
        assert!(err.to_string().contains(&format!(">>> '{line}'")), "{err}");
    }
}

#[test]
fn file_refuses_unsupported_yes() {
    let err = load_text("daemonize yes\n").unwrap_err();
    assert!(err.kind().to_string().contains("foreground"), "{err}");
}

#[test]
fn file_dir_not_a_directory() {
    let dir = temp_dir("notadir");
    let file = write(&dir, "file.txt", "");
    let err = load_text(&format!("dir {}\n", file.display())).unwrap_err();
    // Oracle: "Not a directory".
    assert_eq!(err.kind().to_string(), "Not a directory");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn missing_file() {
    let mut c = Config::default();
    let path = Path::new("/nonexistent-ferrite/redis.conf");
    let err = c.load_file(path).unwrap_err();
    assert_eq!(err.file(), Some(path));
    assert_eq!(err.line(), None);
    assert!(
        err.to_string().ends_with(
            "can't open config file '/nonexistent-ferrite/redis.conf': No such file or directory"
        ),
        "{err}"
    );
}

#[test]
fn include_files() {
    let dir = temp_dir("include");
    let inc = write(&dir, "inc.conf", "save 300 3\nhz 1000\nport 7002\n");
    let main = write(
        &dir,
        "main.conf",
        &format!(
            "port 7001\nsave 100 1\nsave 200 2\nhz 0\ninclude {}\ntimeout 9\n",
            inc.display()
        ),
    );
    let mut c = Config::default();
    c.load_file(&main).unwrap();
    // Oracle: save lines accumulate across includes, hz 1000 reads as 500.
    assert_eq!(c.save, [(100, 1), (200, 2), (300, 3)]);
    assert_eq!(c.hz, 500);
    assert_eq!(c.port, 7002);
    assert_eq!(c.timeout, 9);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn include_relative_to_dir() {
    let dir = temp_dir("increl");
    write(&dir, "inc.conf", "port 7003\n");
    let main = write(
        &dir,
        "main.conf",
        &format!("dir {}\ninclude inc.conf\n", dir.display()),
    );
    let mut c = Config::default();
    c.load_file(&main).unwrap();
    assert_eq!(c.port, 7003);
    assert_eq!(c.dir, dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn include_errors_name_the_included_file() {
    let dir = temp_dir("incerr");
    let inc = write(&dir, "inc.conf", "port 1\nbogus 2\n");
    let main = write(
        &dir,
        "main.conf",
        &format!("# x\ninclude {}\n", inc.display()),
    );
    let err = Config::default().load_file(&main).unwrap_err();
    assert_eq!(err.file(), Some(inc.as_path()));
    assert_eq!(err.line(), Some(2));
    let text = err.to_string();
    assert!(
        text.contains(&format!("'{}', at line 2", inc.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("(included from '{}', line 2)", main.display())),
        "{text}"
    );

    // A missing included file is reported at the include line.
    let main = write(
        &dir,
        "main2.conf",
        "port 1\ninclude /nonexistent-ferrite/x.conf\n",
    );
    let err = Config::default().load_file(&main).unwrap_err();
    assert_eq!(err.file(), Some(main.as_path()));
    assert_eq!(err.line(), Some(2));
    assert!(matches!(err.kind(), ConfigErrorKind::Io { .. }));
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn include_cycle_is_refused() {
    let dir = temp_dir("cycle");
    let a = dir.join("a.conf");
    let b = dir.join("b.conf");
    fs::write(&a, format!("port 1\ninclude {}\n", b.display())).unwrap();
    fs::write(&b, format!("include {}\n", a.display())).unwrap();
    let err = Config::default().load_file(&a).unwrap_err();
    assert_eq!(*err.kind(), ConfigErrorKind::IncludeTooDeep);
    let self_include = write(&dir, "self.conf", "include self.conf\n");
    let mut c = Config {
        dir: dir.clone(),
        ..Config::default()
    };
    let err = c.load_file(&self_include).unwrap_err();
    assert_eq!(*err.kind(), ConfigErrorKind::IncludeTooDeep);
    let _ = fs::remove_dir_all(&dir);
}

// -------------------------------------------------------------- command line

#[test]
fn command_line_only() {
    let c = Config::from_args(&args(&[
        "--port",
        "7005",
        "--bind",
        "127.0.0.1",
        "::1",
        "--save",
        "60",
        "1000",
        "--LOGLEVEL",
        "debug",
        "--proto-max-bulk-len",
        "1gb",
    ]))
    .unwrap();
    assert_eq!(c.port, 7005);
    assert_eq!(c.bind, ["127.0.0.1", "::1"]);
    assert_eq!(c.save, [(60, 1000)]);
    assert_eq!(c.loglevel, LogLevel::Debug);
    assert_eq!(c.proto_max_bulk_len, 1 << 30);
    assert_eq!(Config::from_args(&[]).unwrap(), Config::default());
}

#[test]
fn command_line_save_forms() {
    // `--save ""` and a bare `--save` clear the save points.
    let c = Config::from_args(&args(&["--save", ""])).unwrap();
    assert!(c.save.is_empty());
    let c = Config::from_args(&args(&["--save", "--port", "7006"])).unwrap();
    assert!(c.save.is_empty());
    assert_eq!(c.port, 7006);
    let c = Config::from_args(&args(&["--port", "7006", "--save"])).unwrap();
    assert!(c.save.is_empty());
    // Oracle: each --save replaces the previous rules.
    let c = Config::from_args(&args(&["--save", "400", "4", "--save", "500", "5"])).unwrap();
    assert_eq!(c.save, [(500, 5)]);
}

#[test]
fn command_line_after_file() {
    let dir = temp_dir("cli");
    let conf = write(
        &dir,
        "redis.conf",
        "port 7001\nsave 100 1\nsave 200 2\nhz 20\n",
    );
    let c = Config::from_args(&args(&[conf.to_str().unwrap(), "--port", "7002"])).unwrap();
    assert_eq!((c.port, c.hz), (7002, 20));
    assert_eq!(c.save, [(100, 1), (200, 2)]);
    // Oracle: `redis-server file --save 400 4` keeps only "400 4".
    let c = Config::from_args(&args(&[conf.to_str().unwrap(), "--save", "400", "4"])).unwrap();
    assert_eq!(c.save, [(400, 4)]);
    // --include works on the command line too.
    let c = Config::from_args(&args(&["--include", conf.to_str().unwrap()])).unwrap();
    assert_eq!(c.port, 7001);
    // A file error keeps its file origin.
    let bad = write(&dir, "bad.conf", "nope 1\n");
    let err = Config::from_args(&args(&[bad.to_str().unwrap(), "--port", "1"])).unwrap_err();
    assert_eq!((err.file(), err.line()), (Some(bad.as_path()), Some(1)));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn command_line_errors() {
    let err = Config::from_args(&args(&["--foo", "bar"])).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::BadDirective { name } if name == "foo"));
    assert_eq!(
        *err.origin(),
        Origin::CommandLine {
            text: "foo \"bar\"".to_owned()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "*** FATAL CONFIG ERROR (Ferrite {}) ***\n\
             Reading the command line\n\
             >>> 'foo \"bar\"'\n\
             Bad directive or wrong number of arguments",
            env!("CARGO_PKG_VERSION")
        )
    );
    let err = Config::from_args(&args(&["--port", "1", "2"])).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::WrongArgCount { .. }));
    let err = Config::from_args(&args(&["--port"])).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::WrongArgCount { .. }));
    let err = Config::from_args(&args(&["--port", "abc"])).unwrap_err();
    assert_eq!(
        err.kind().to_string(),
        "argument couldn't be parsed into an integer"
    );
    let err = Config::from_args(&args(&["--daemonize", "yes"])).unwrap_err();
    assert!(err.to_string().contains("foreground"), "{err}");
    let err = Config::from_args(&args(&["/nonexistent-ferrite.conf", "stray"])).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::Io { .. }));
    let dir = temp_dir("stray");
    let conf = write(&dir, "ok.conf", "");
    let err = Config::from_args(&args(&[conf.to_str().unwrap(), "stray"])).unwrap_err();
    assert_eq!(
        *err.kind(),
        ConfigErrorKind::UnexpectedArgument("stray".to_owned())
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn apply_directive_errors_have_directive_origin() {
    let mut c = Config::default();
    let err = c.apply_directive("hz", &args(&["x"])).unwrap_err();
    assert_eq!(
        *err.origin(),
        Origin::Directive {
            text: "hz \"x\"".to_owned()
        }
    );
    c.apply_directive("HZ", &args(&["42"])).unwrap();
    assert_eq!(c.hz, 42);
}

// ------------------------------------------------------------------- render

#[test]
fn render_round_trips() {
    let dir = temp_dir("render");
    let mut c = Config {
        dir: dir.clone(),
        port: 7010,
        bind: vec!["10.0.0.1".to_owned(), "-::1".to_owned()],
        requirepass: Some(b"we\"ird \\ p\x00ss\xff\n".to_vec()),
        logfile: "/var/log/x y.log".to_owned(),
        loglevel: LogLevel::Verbose,
        proto_max_bulk_len: 3 << 20,
        client_query_buffer_limit: 1_000_001 << 20,
        save: vec![(1, 2), (3, 4)],
        hz: 77,
        notify_keyspace_events: notify_flags::KEYSPACE | notify_flags::EXPIRED | notify_flags::NEW,
        ..Config::default()
    };
    let text = c.render();
    assert!(text.contains("notify-keyspace-events \"xnK\"\n"), "{text}");
    assert!(text.contains("proto-max-bulk-len 3mb\n"), "{text}");
    assert!(text.contains("save 1 2\nsave 3 4\n"), "{text}");
    assert!(text.contains("bind 10.0.0.1 -::1\n"), "{text}");
    assert!(text.contains("logfile \"/var/log/x y.log\"\n"), "{text}");
    let path = write(&dir, "rendered.conf", &text);
    let mut back = Config::default();
    back.load_file(&path).unwrap();
    assert_eq!(back, c);

    // Empty lists round-trip too.
    c.save.clear();
    c.bind.clear();
    c.requirepass = None;
    let path = write(&dir, "rendered2.conf", &c.render());
    let mut back = Config::default();
    back.load_file(&path).unwrap();
    assert_eq!(back, c);

    // Every directive appears, except replicaof: a master has no such line.
    let text = Config::default().render();
    for d in TABLE.iter().filter(|d| d.name != "replicaof") {
        assert!(
            text.lines().any(|l| l.split(' ').next() == Some(d.name)),
            "{} missing from\n{text}",
            d.name
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn effective_shards() {
    let mut c = Config::default();
    assert!(c.effective_shards() >= 1);
    c.shards = 3;
    assert_eq!(c.effective_shards(), 3);
}

// ------------------------------------------------------------ hostile input

/// xorshift64*, so the test needs no dependency and is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, alphabet: &[u8], max_len: u64) -> Vec<u8> {
        let len = self.next() % (max_len + 1);
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn hostile_input_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: Vec<u8> = b" \t\r\n\"'\\x0123456789abcdefgkmbAGKMB*?[]^-#yesno\x00\xff"
        .iter()
        .copied()
        .chain(
            b"porthzsavebinddirlogfileincludeincludemaxclients"
                .iter()
                .copied(),
        )
        .collect();
    let dir = temp_dir("fuzz");
    let names: Vec<&[u8]> = TABLE.iter().map(|d| d.name.as_bytes()).collect();
    for _ in 0..20_000 {
        let mut c = Config {
            dir: dir.clone(),
            ..Config::default()
        };
        // Random config file text, sometimes starting with a real directive.
        let mut text = Vec::new();
        for _ in 0..(rng.next() % 4) {
            if rng.below(2) == 0 {
                text.extend_from_slice(names[(rng.next() % names.len() as u64) as usize]);
                text.push(b' ');
            }
            text.extend(rng.bytes(&alphabet, 30));
            text.push(b'\n');
        }
        let path = dir.join("fuzz.conf");
        let _ = c
            .load_bytes(&text, &path, 0, &mut LoadState::default())
            .map_err(|e| e.to_string());

        let name = if rng.below(3) == 0 {
            rng.bytes(&alphabet, 8)
        } else {
            names[(rng.next() % names.len() as u64) as usize].to_vec()
        };
        let value = rng.bytes(&alphabet, 24);
        let _ = c.set(&[(&name, &value)]);
        let pattern = rng.bytes(&alphabet, 10);
        let _ = c.get(&[&pattern, &name]);
        let _ = c.render();
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn user_lines_are_kept_in_order_for_the_acl() {
    let dir = temp_dir("users");
    let path = dir.join("users.conf");
    std::fs::write(&path, "user alice on >pw ~* +@all\nuser bob\n").unwrap();
    let c = Config::from_args(&[
        path.to_string_lossy().into_owned(),
        "--user".to_owned(),
        "carol".to_owned(),
        "off".to_owned(),
    ])
    .unwrap();
    let words = |u: &Vec<Vec<u8>>| -> Vec<String> {
        u.iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    };
    let users: Vec<Vec<String>> = c.users.iter().map(words).collect();
    assert_eq!(
        users,
        vec![
            vec!["alice", "on", ">pw", "~*", "+@all"],
            vec!["bob"],
            vec!["carol", "off"],
        ]
    );
    let err = Config::from_args(&["--user".to_owned()]).unwrap_err();
    assert!(err.to_string().contains("user"), "{err}");
}

/// The config file of the CONFIG REWRITE comparison with redis-server 7.0.15
/// (`include` names a file setting `hz 11`).
const REWRITE_INPUT: &str = "# Ferrite/Redis CONFIG REWRITE comparison
   # an indented comment

save 900 1
save 300 10
hz 20
maxmemory 100mb
loglevel notice
hash-max-ziplist-entries 100
slave-priority 50
timeout 0
replicaof no one
notify-keyspace-events \"\"
include INCLUDED


# trailing comment
";

/// Loads [`REWRITE_INPUT`] and applies the same CONFIG SETs as the oracle
/// run; returns the config and the file text.
fn rewrite_fixture(tag: &str) -> (Config, String, PathBuf) {
    let dir = temp_dir(tag);
    let included = write(&dir, "inc.conf", "hz 11\n");
    let text = REWRITE_INPUT.replace("INCLUDED", included.to_str().unwrap());
    let path = write(&dir, "main.conf", &text);
    let mut c = Config::default();
    c.load_file(&path).unwrap();
    c.apply_directive("bind", &args(&["127.0.0.1"])).unwrap();
    c.apply_directive("dir", &args(&[dir.to_str().unwrap()]))
        .unwrap();
    set(
        &mut c,
        &[
            ("hz", "10"),
            ("loglevel", "warning"),
            ("save", "3600 1"),
            ("hash-max-listpack-entries", "512"),
            ("lazyfree-lazy-eviction", "yes"),
            ("masterauth", "a b"),
            ("notify-keyspace-events", "KEA"),
            ("tcp-keepalive", "100"),
            ("shutdown-on-sigint", "save now"),
            ("oom-score-adj-values", "1 2 3"),
            ("replica-priority", "7"),
            ("appendfsync", "always"),
            ("proc-title-template", "{title} {port}"),
            ("active-defrag-cycle-max", "50"),
            ("list-max-listpack-size", "5"),
            ("maxmemory", "0"),
        ],
    )
    .unwrap();
    (c, text, path)
}

#[test]
fn rewrite_matches_redis_line_for_line() {
    let (c, text, path) = rewrite_fixture("rewrite");
    let out = String::from_utf8(c.rewrite(Some(text.as_bytes()), UserLines::Keep)).unwrap();
    let dir = path.parent().unwrap().display().to_string();
    let included = path.with_file_name("inc.conf").display().to_string();
    // Oracle (redis-server 7.0.15, same file and CONFIG SETs): the part up
    // to the signature, byte for byte. Redis appends in its hash table's
    // order, which changes from run to run; Ferrite appends in table order.
    // Redis also appended `port 7461` (given on its command line) and
    // `user default on nopass ~* &* +@all` (the ACL's).
    let expected = format!(
        "# Ferrite/Redis CONFIG REWRITE comparison
# an indented comment

save 3600 1

hz 10
maxmemory 0
loglevel warning
hash-max-listpack-entries 512
replica-priority 7
timeout 0

notify-keyspace-events \"AKE\"
include {included}

# trailing comment

# Generated by CONFIG REWRITE
bind 127.0.0.1
dir \"{dir}\"
latency-tracking-info-percentiles 50 99 99.9
shutdown-on-sigint save now
oom-score-adj-values 1 2 3
list-max-listpack-size 5
active-defrag-cycle-max 50
appendfsync always
lazyfree-lazy-eviction yes
masterauth \"a b\"
proc-title-template \"{{title}} {{port}}\"
tcp-keepalive 100
"
    );
    let mut got_tail: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != REWRITE_SIGNATURE)
        .collect();
    let mut want_tail: Vec<&str> = expected
        .lines()
        .skip_while(|l| *l != REWRITE_SIGNATURE)
        .collect();
    let head = |s: &str| {
        s.split(REWRITE_SIGNATURE)
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(head(&out), head(&expected));
    got_tail.sort_unstable();
    want_tail.sort_unstable();
    assert_eq!(got_tail, want_tail, "{out}");
    // The result loads back to the same configuration, except that the
    // include after the rewritten `hz 10` line sets it to 11 again, as it
    // does for Redis.
    let path2 = write(path.parent().unwrap(), "again.conf", &out);
    let mut back = Config::default();
    back.load_file(&path2).unwrap();
    assert_eq!(back.hz, 11);
    back.hz = 10;
    assert_eq!(back, c);
}

#[test]
fn rewrite_twice_adds_one_trailing_blank_line() {
    let (c, text, _) = rewrite_fixture("rewrite2");
    let once = c.rewrite(Some(text.as_bytes()), UserLines::Keep);
    let twice = c.rewrite(Some(&once), UserLines::Keep);
    // Oracle: with the signature present nothing is appended, and the blank
    // line Redis adds after the old content ends the file.
    let mut expected = once.clone();
    expected.push(b'\n');
    assert_eq!(twice, expected);
    assert_eq!(c.rewrite(Some(&twice), UserLines::Keep), twice);
}

#[test]
fn rewrite_without_old_file_or_with_default_values() {
    let mut c = Config::default();
    c.apply_directive("dir", &args(&["/"])).unwrap();
    // Oracle: a missing file gives the signature first, no blank line;
    // save, dir and latency-tracking-info-percentiles are always written
    // (Ferrite in table order, Redis in its hash table's).
    assert_eq!(
        String::from_utf8(c.rewrite(None, UserLines::Keep)).unwrap(),
        "# Generated by CONFIG REWRITE\ndir \"/\"\nsave 3600 1\nsave 300 100\n\
         save 60 10000\nlatency-tracking-info-percentiles 50 99 99.9\n"
    );
    // Oracle: an empty save list is written `save ""`, after a blank line
    // that separates it from the old content.
    c.save.clear();
    assert_eq!(
        String::from_utf8(c.rewrite(Some(b"port 6379\n"), UserLines::Keep)).unwrap(),
        "port 6379\n\n# Generated by CONFIG REWRITE\ndir \"/\"\nsave \"\"\n\
         latency-tracking-info-percentiles 50 99 99.9\n"
    );
}

#[test]
fn rewrite_keeps_user_include_and_rename_lines_and_comments_unknown_ones() {
    let c = Config::default();
    let old = b"user alice on >pw ~* +@all\n\trename-command FLUSHALL \"\"\nnosuchthing 1\n\
                port 6379\nuser bob off\n";
    let out = String::from_utf8(c.rewrite(Some(old), UserLines::Keep)).unwrap();
    let head: Vec<&str> = out.lines().take(6).collect();
    assert_eq!(
        head,
        [
            "user alice on >pw ~* +@all",
            "rename-command FLUSHALL \"\"",
            "# ??? nosuchthing 1",
            "port 6379",
            "user bob off",
            "",
        ]
    );
    // The ACL hook: rendered users take the old user lines' places, and the
    // extra old ones become blank.
    let users = [b"user default on nopass ~* &* +@all".to_vec()];
    let out = String::from_utf8(c.rewrite(Some(old), UserLines::Replace(&users))).unwrap();
    let head: Vec<&str> = out.lines().take(5).collect();
    assert_eq!(
        head,
        [
            "user default on nopass ~* &* +@all",
            "rename-command FLUSHALL \"\"",
            "# ??? nosuchthing 1",
            "port 6379",
            "",
        ]
    );
}

#[test]
fn rewrite_file_replaces_the_file_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (c, text, path) = rewrite_fixture("rewritefile");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    c.rewrite_file(&path, UserLines::Keep).unwrap();
    let data = fs::read(&path).unwrap();
    assert_eq!(data, c.rewrite(Some(text.as_bytes()), UserLines::Keep));
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn redis_7_0_directive_errors() {
    // Each reply checked against redis-server 7.0.15.
    let cases: &[(&str, &str, &str)] = &[
        (
            "active-defrag-cycle-max",
            "100",
            "argument must be between 1 and 99 inclusive",
        ),
        (
            "active-defrag-ignore-bytes",
            "-1",
            "argument must be a memory value",
        ),
        (
            "active-defrag-ignore-bytes",
            "0",
            "argument must be between 1 and 9223372036854775807 inclusive",
        ),
        ("activerehashing", "maybe", "argument must be 'yes' or 'no'"),
        (
            "appendfsync",
            "x",
            "argument(s) must be one of the following: everysec, always, no",
        ),
        (
            "cluster-announce-port",
            "65536",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "repl-timeout",
            "0",
            "argument must be between 1 and 2147483647 inclusive",
        ),
        (
            "repl-diskless-load",
            "x",
            "argument(s) must be one of the following: disabled, on-empty-db, swapdb",
        ),
        (
            "sanitize-dump-payload",
            "x",
            "argument(s) must be one of the following: no, yes, clients",
        ),
        (
            "oom-score-adj",
            "x",
            "argument(s) must be one of the following: no, yes, relative, absolute",
        ),
        ("oom-score-adj-values", "1 2", "wrong number of arguments"),
        (
            "oom-score-adj-values",
            "1 2 3000",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
        ),
        (
            "oom-score-adj-values",
            "1 2 x",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
        ),
        (
            "shutdown-on-sigint",
            "",
            "argument(s) must be one of the following: default, save, nosave, now, force",
        ),
        (
            "shutdown-on-sigterm",
            "save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        (
            "proc-title-template",
            "{title}",
            "template format is invalid or contains unknown variables",
        ),
        (
            "proc-title-template",
            "{unixsocket}",
            "template format is invalid or contains unknown variables",
        ),
        (
            "proc-title-template",
            "x{",
            "template format is invalid or contains unknown variables",
        ),
        (
            "proc-title-template",
            " ",
            "template format is invalid or contains unknown variables",
        ),
        (
            "tls-auth-clients",
            "x",
            "argument(s) must be one of the following: no, yes, optional",
        ),
        (
            "tls-session-cache-size",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "min-slaves-to-write",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "stream-node-max-entries",
            "x",
            "argument couldn't be parsed into an integer",
        ),
        // Immutable and protected, checked before the value.
        ("dbfilename", "x", "can't set protected config"),
        ("replicaof", "x", "can't set immutable config"),
        ("slaveof", "x", "can't set immutable config"),
        ("unixsocketperm", "x", "can't set immutable config"),
        ("io-threads", "x", "can't set immutable config"),
        ("enable-debug-command", "x", "can't set immutable config"),
    ];
    for (name, value, why) in cases {
        let mut c = Config::default();
        assert_eq!(
            set_err(&mut c, &[(name, value)]),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"),
            "{name} {value}"
        );
        assert_eq!(c, Config::default());
    }
}

#[test]
fn redis_7_0_directive_values_read_back() {
    // Each value read back as redis-server 7.0.15 reports it.
    let cases: &[(&str, &str, &str)] = &[
        ("shutdown-on-sigint", "NOW SAVE force", "save now force"),
        ("shutdown-on-sigint", "default now", "now"),
        ("shutdown-on-sigterm", "default", "default"),
        ("oom-score-adj-values", "1 2 3", "1 2 3"),
        ("appendfsync", "ALWAYS", "always"),
        ("oom-score-adj", "relative", "yes"),
        ("oom-score-adj", "absolute", "absolute"),
        ("slave-priority", "7", "7"),
        ("proc-title-template", "{{x", "{{x"),
        ("proc-title-template", "a}b {port}", "a}b {port}"),
        ("auto-aof-rewrite-min-size", "1mb", "1048576"),
        ("activedefrag", "no", "no"),
        ("masterauth", "a b", "a b"),
    ];
    for (name, value, shown) in cases {
        let mut c = Config::default();
        set(&mut c, &[(name, value)]).unwrap();
        assert_eq!(get1(&c, name), *shown, "{name} {value}");
    }
    // Aliases share one value.
    let mut c = Config::default();
    set(&mut c, &[("slave-read-only", "no")]).unwrap();
    assert_eq!(get1(&c, "replica-read-only"), "no");
}

#[test]
fn only_the_default_is_accepted_where_ferrite_lacks_the_feature() {
    for (name, value) in [("min-replicas-to-write", "1"), ("activedefrag", "yes")] {
        let mut c = Config::default();
        let err = set_err(&mut c, &[(name, value)]);
        assert!(
            err.starts_with(&format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - "
            )),
            "{err}"
        );
        assert!(err.contains("Ferrite"), "{err}");
    }
    for line in [
        "cluster-enabled yes",
        "replicaof 10.0.0.1 6379",
        "slaveof 10.0.0.1 6379",
        "supervised systemd",
        "enable-protected-configs yes",
        "pidfile /run/ferrite.pid",
        "unixsocket /tmp/ferrite.sock",
    ] {
        let err = load_text(line).unwrap_err();
        assert!(err.to_string().contains("Ferrite"), "{line}: {err}");
    }
    // Their defaults load fine, and so do Redis 7.0's file-only forms.
    let c = load_text(
        "cluster-enabled no\nreplicaof no one\nsupervised no\nsyslog-enabled no\n\
         enable-protected-configs no\npidfile \"\"\nunixsocket \"\"\nunixsocketperm 700\n\
         dbfilename x.rdb\nsyslog-facility local3\n",
    )
    .unwrap();
    assert_eq!(get1(&c, "unixsocketperm"), "700");
    assert_eq!(get1(&c, "dbfilename"), "x.rdb");
    // Oracle: file-only validation texts.
    for (line, why) in [
        (
            "dbfilename a/b",
            "dbfilename can't be a path, just a filename",
        ),
        (
            "appendfilename a/b",
            "appendfilename can't be a path, just a filename",
        ),
        (
            "appenddirname a/b",
            "appenddirname can't be a path, just a dirname",
        ),
        (
            "unixsocketperm 999",
            "argument couldn't be parsed as an octal number",
        ),
        (
            "unixsocketperm 1000",
            "argument must be between 0 and 777 inclusive",
        ),
        (
            "io-threads 0",
            "argument must be between 1 and 128 inclusive",
        ),
        (
            "socket-mark-id -1",
            "argument must be between 0 and 4294967295 inclusive",
        ),
        ("replicaof a", "wrong number of arguments"),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        (
            "supervised bad",
            "argument(s) must be one of the following: upstart, systemd, auto, no",
        ),
        (
            "syslog-facility bad",
            "argument(s) must be one of the following: user, local0, local1, local2, local3, \
             local4, local5, local6, local7",
        ),
    ] {
        let err = load_text(line).unwrap_err();
        assert!(err.to_string().ends_with(why), "{line}: {err}");
    }
}
