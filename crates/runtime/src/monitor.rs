//! MONITOR: clients that receive every command the server runs, as
//! `+<unix secs>.<µs> [<db> <client address>|lua] "arg" ...` lines.
//!
//! A command is shown once it ran (Redis 7.0's moment): rejected commands
//! are not shown, commands queued by MULTI are shown when EXEC runs them
//! (before EXEC itself), scripts (EVAL, FCALL, ...) are shown before they
//! run, and the commands a script runs are shown with the source `lua`. Admin commands and those flagged
//! `skip_monitor` are never shown; secrets are `(redacted)` as in the slow
//! log. Lines go through each monitor's mailbox, bounded by the replica
//! class of `client-output-buffer-limit` as Redis bounds its monitors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferrite_commands::{CommandSpec, Flags};

use crate::pubsub::{Mailbox, ObufLimit};
use crate::server::Shared;

/// The registry of monitoring clients.
#[derive(Debug, Default)]
pub struct Monitors {
    /// How many there are: the per-command check reads only this.
    count: AtomicUsize,
    list: Mutex<Vec<(u64, Arc<Mailbox>)>>,
}

impl Monitors {
    /// True when some client monitors.
    #[inline]
    pub fn any(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Client `id` monitors from now on, through its mailbox.
    pub fn add(&self, id: u64, mailbox: Arc<Mailbox>) {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if l.iter().any(|(c, _)| *c == id) {
            return;
        }
        mailbox.activate();
        l.push((id, mailbox));
        self.count.store(l.len(), Ordering::Relaxed);
    }

    /// Client `id` stops monitoring (it closed or RESET).
    pub fn remove(&self, id: u64) {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        l.retain(|(c, _)| *c != id);
        self.count.store(l.len(), Ordering::Relaxed);
    }

    /// True when client `id` monitors.
    pub fn contains(&self, id: u64) -> bool {
        self.any()
            && self
                .list
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|(c, _)| *c == id)
    }
}

/// True when `spec` may be shown to monitors.
#[inline]
pub fn shows(spec: &CommandSpec) -> bool {
    !spec
        .flags
        .intersects(Flags::ADMIN.union(Flags::SKIP_MONITOR))
}

/// Shows a command (`name`: its row's name, for redaction) to every
/// monitor; `source` is the client's address, or `lua` for a script's
/// command. The caller checks [`shows`].
pub fn feed(shared: &Shared, db: usize, source: &str, argv: &[Bytes], name: &str) {
    let line = Bytes::from(render(name, db, source, argv, Shared::now_us()));
    let limit = {
        let cfg = shared.config.read().unwrap_or_else(|e| e.into_inner());
        let (hard, soft, soft_secs) = cfg.client_output_buffer_limit[1];
        ObufLimit {
            hard,
            soft,
            soft_secs,
        }
    };
    let now_ms = Shared::now_ms();
    let l = shared
        .monitors
        .list
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    for (_, mb) in l.iter() {
        mb.push_limited(line.clone(), limit, now_ms);
    }
}

/// One monitor line.
fn render(name: &str, db: usize, source: &str, argv: &[Bytes], now_us: u64) -> Vec<u8> {
    let secret = crate::observe::redacted(name, argv);
    let mut out = format!(
        "+{}.{:06} [{db} {source}]",
        now_us / 1_000_000,
        now_us % 1_000_000
    )
    .into_bytes();
    for (a, hide) in argv.iter().zip(secret) {
        out.push(b' ');
        if hide {
            out.extend_from_slice(b"\"(redacted)\"");
        } else {
            repr(a, &mut out);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A byte string quoted as Redis quotes it for humans: `"..."` with `\\`,
/// `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and `\xHH` for other unprintables.
pub fn repr(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_and_redact_as_redis() {
        let argv: Vec<Bytes> = ["set", "k\"\n", "\u{1}v\\"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        let line = render("set", 3, "127.0.0.1:5000", &argv, 1_700_000_000_000_042);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "+1700000000.000042 [3 127.0.0.1:5000] \"set\" \"k\\\"\\n\" \"\\x01v\\\\\"\r\n"
        );
        let argv: Vec<Bytes> = ["auth", "pw"].iter().map(|s| Bytes::from(*s)).collect();
        let line = render("auth", 0, "lua", &argv, 1_000_000);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "+1.000000 [0 lua] \"auth\" \"(redacted)\"\r\n"
        );
    }
}
