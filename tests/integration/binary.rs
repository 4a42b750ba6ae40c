//! The `ferrite-server` binary itself: starting like `redis-server` from a
//! config file plus `--directive value` arguments, refusing a bad config
//! file with its name and line, and shutting down gracefully on SIGTERM and
//! SIGINT.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrite_testkit::{free_port, RawClient};

/// The `ferrite-server` binary, built by `cargo build` into this workspace's
/// target dir (once per test run: `cargo test` does not build other packages'
/// binaries, and it releases the build lock while tests run).
fn binary() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(build_binary).clone()
}

fn build_binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // The integration binary lives in target/<profile>/deps; the server binary
    // one level up.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("debug"));
    let bin = profile_dir.join("ferrite-server");
    {
        // Always ask cargo: a stale binary from an older build would test old code.
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "ferrite-server", "--bin", "ferrite-server"])
            .current_dir(&root)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p ferrite-server failed");
    }
    assert!(
        bin.exists(),
        "no ferrite-server binary at {}",
        bin.display()
    );
    bin
}

fn wait_ready(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ferrite-server exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("ferrite-server did not listen on {port}");
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ferrite-server did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrite-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn starts_from_a_config_file_with_overrides_and_stops_on_sigterm_and_sigint() {
    let dir = temp_dir("conf");
    let port = free_port();
    std::fs::write(dir.join("extra.conf"), "databases 4\n").unwrap();
    std::fs::write(
        dir.join("ferrite.conf"),
        format!(
            "# a comment\nport 1\nbind 127.0.0.1\nrequirepass \"se cret\"\ninclude {}\nshards 2\n",
            dir.join("extra.conf").display()
        ),
    )
    .unwrap();
    for signal in [libc_sig::TERM, libc_sig::INT] {
        let mut child = Command::new(binary())
            .arg(dir.join("ferrite.conf"))
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferrite-server");
        wait_ready(port, &mut child);
        let mut c = RawClient::connect(port);
        assert_eq!(
            c.cmd_str(&["PING"]),
            b"-NOAUTH Authentication required.\r\n"
        );
        assert_eq!(c.cmd_str(&["AUTH", "se cret"]), b"+OK\r\n");
        assert_eq!(c.cmd_str(&["SELECT", "3"]), b"+OK\r\n");
        assert_eq!(
            c.cmd_str(&["SELECT", "4"]),
            b"-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd_str(&["CONFIG", "GET", "port"]),
            format!(
                "*2\r\n$4\r\nport\r\n${}\r\n{port}\r\n",
                port.to_string().len()
            )
            .into_bytes()
        );
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let status = wait_exit(&mut child, Duration::from_secs(10));
        assert!(status.success(), "exit status after {signal}: {status}");
        let mut log = String::new();
        // Like redis-server, the log goes to standard output by default.
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        let log = strip_ansi(&log);
        assert!(log.contains("ready to accept connections"), "{log}");
        assert!(log.contains("received signal"), "{log}");
    }
}

mod libc_sig {
    pub const TERM: &str = "-TERM";
    pub const INT: &str = "-INT";
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_bad_config_file_stops_start_up_naming_file_and_line() {
    let dir = temp_dir("badconf");
    let path = dir.join("bad.conf");
    std::fs::write(&path, "port 7000\n\nno-such-directive yes\n").unwrap();
    let out = Command::new(binary()).arg(&path).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.conf"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("no-such-directive"), "{err}");

    let out = Command::new(binary())
        .args(["--port", "notanumber"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));
}

/// True when `line` has redis-server's shape:
/// `<pid>:M <dd Mon yyyy HH:MM:SS.mmm> <level char> <message>`.
fn redis_log_line(line: &str, pid: u32) -> bool {
    let Some(rest) = line.strip_prefix(&format!("{pid}:M ")) else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(6, ' ').collect();
    let [day, month, year, time, level, message] = parts[..] else {
        return false;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let t: Vec<&str> = time.split([':', '.']).collect();
    digits(day, 2)
        && months.contains(&month)
        && digits(year, 4)
        && t.len() == 4
        && t[..3].iter().all(|p| digits(p, 2))
        && digits(t[3], 3)
        && [".", "-", "*", "#"].contains(&level)
        && !message.is_empty()
}

fn wait_for_log(path: &std::path::Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.contains(needle) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn logs_in_redis_shape_to_the_logfile_at_a_level_config_set_changes_live() {
    let dir = temp_dir("logfile");
    let logfile = dir.join("ferrite.log");
    let _ = std::fs::remove_file(&logfile);
    let port = free_port();
    let mut child = Command::new(binary())
        .args(["--port", &port.to_string()])
        .args(["--logfile", &logfile.display().to_string()])
        .args(["--enable-debug-command", "yes"])
        .env_remove("FERRITE_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferrite-server");
    wait_ready(port, &mut child);
    let pid = child.id();
    let mut c = RawClient::connect(port);
    let log_script = |c: &mut RawClient, level: &str, msg: &str| {
        let script = format!("redis.log(redis.{level}, '{msg}')");
        assert_eq!(c.cmd_str(&["EVAL", &script, "0"]), b"$-1\r\n");
    };
    // At the default level (notice) verbose and debug lines are left out.
    log_script(&mut c, "LOG_VERBOSE", "quiet-before");
    assert_eq!(c.cmd_str(&["DEBUG", "LOG", "marker-one"]), b"+OK\r\n");
    let log = wait_for_log(&logfile, "marker-one");
    assert!(!log.contains("quiet-before"), "{log}");
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "loglevel", "debug"]),
        b"+OK\r\n"
    );
    log_script(&mut c, "LOG_VERBOSE", "loud-after");
    log_script(&mut c, "LOG_WARNING", "warned");
    let log = wait_for_log(&logfile, "warned");
    assert!(log.contains("loud-after"), "{log}");
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "loglevel", "warning"]),
        b"+OK\r\n"
    );
    log_script(&mut c, "LOG_NOTICE", "notice-hidden");
    log_script(&mut c, "LOG_WARNING", "warned-again");
    let log = wait_for_log(&logfile, "warned-again");
    assert!(!log.contains("notice-hidden"), "{log}");

    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() >= 4, "{log}");
    for line in &lines {
        assert!(
            redis_log_line(line, pid),
            "not a Redis-shaped line: {line:?}"
        );
    }
    let find = |needle: &str| {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {log}"))
    };
    // Structured fields follow the message as key=value.
    assert!(find("ready to accept connections").contains(&format!(" port={port}")));
    assert!(find("ready to accept connections").contains(" * "));
    assert!(find("loud-after").contains(" - "));
    assert!(find("warned-again").contains(" # "));
    assert!(find("marker-one").ends_with(" # DEBUG LOG: marker-one"));

    let status = Command::new("kill")
        .args([libc_sig::TERM, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[test]
fn ferrite_log_overrides_loglevel_at_start_and_after_config_set() {
    let dir = temp_dir("logenv");
    let logfile = dir.join("ferrite.log");
    let _ = std::fs::remove_file(&logfile);
    let port = free_port();
    let mut child = Command::new(binary())
        .args(["--port", &port.to_string()])
        .args(["--logfile", &logfile.display().to_string()])
        .args(["--loglevel", "debug"])
        .env("FERRITE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferrite-server");
    wait_ready(port, &mut child);
    let mut c = RawClient::connect(port);
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "loglevel", "debug"]),
        b"+OK\r\n"
    );
    for (level, msg) in [("LOG_NOTICE", "not-logged"), ("LOG_WARNING", "logged")] {
        let script = format!("redis.log(redis.{level}, '{msg}')");
        assert_eq!(c.cmd_str(&["EVAL", &script, "0"]), b"$-1\r\n");
    }
    let log = wait_for_log(&logfile, "logged");
    assert!(log.contains("# logged"), "{log}");
    assert!(!log.contains("not-logged"), "{log}");
    // The notice-level start-up line was filtered out too.
    assert!(!log.contains("ready to accept connections"), "{log}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write_in_its_aof() {
    let dir = temp_dir("aof-kill");
    let _ = std::fs::remove_dir_all(dir.join("appendonlydir"));
    let port = free_port();
    let start = || {
        let mut child = Command::new(binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", "yes", "--appendfsync", "everysec"])
            .args(["--dir", dir.to_str().unwrap(), "--shards", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferrite-server");
        wait_ready(port, &mut child);
        child
    };
    let mut child = start();
    let mut c = RawClient::connect(port);
    for i in 0..500 {
        let reply = c.cmd_str(&["INCR", &format!("counter:{}", i % 7)]);
        assert!(
            reply.starts_with(b":"),
            "{}",
            String::from_utf8_lossy(&reply)
        );
    }
    c.cmd_str(&[
        "EVAL",
        "redis.call('set','s','1') redis.call('rpush','l','x')",
        "0",
    ]);
    // SIGKILL: no shutdown, no final flush. everysec may lose the disk's
    // last second on a power cut, never a write the process acknowledged.
    child.kill().expect("kill -9");
    let _ = child.wait();
    let mut child = start();
    let mut c = RawClient::connect(port);
    let mut total = 0;
    for k in 0..7 {
        let v = c.cmd_str(&["GET", &format!("counter:{k}")]);
        let text = String::from_utf8_lossy(&v);
        total += text.lines().nth(1).unwrap_or("0").parse::<u64>().unwrap();
    }
    assert_eq!(total, 500);
    assert_eq!(c.cmd_str(&["LRANGE", "l", "0", "-1"]), b"*1\r\n$1\r\nx\r\n");
    child.kill().expect("kill");
    let _ = child.wait();
}
