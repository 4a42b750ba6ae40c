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
