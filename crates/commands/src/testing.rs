//! The harness the families' unit tests share: one shard's 16 databases
//! with a controllable clock, running a family's handlers the way the
//! dispatcher does (arity first) and checking the reply contract: a handler
//! that succeeds writes a reply (or asks to block and writes nothing), one
//! that fails writes nothing. A command not in the family's list is looked
//! up in every family, so that a test can prepare keys with SET, RPUSH, ...

use bytes::{Bytes, BytesMut};
use ferrite_storage::{Db, Entry};

use crate::ctx::{notify, Block, Ctx, KeyEvent, Settings, Stats};
use crate::error::CmdError;
use crate::table::{CommandSpec, Exec};

/// The clock's start (Unix ms).
pub(crate) const T0: u64 = 1_700_000_000_000;

/// A shard running one family's commands.
pub(crate) struct TestShard {
    /// The family's rows.
    pub commands: &'static [CommandSpec],
    pub dbs: Vec<Db>,
    pub now_ms: u64,
    pub resp3: bool,
    pub settings: Settings,
    pub stats: Stats,
    /// `dirty` of the last command.
    pub dirty: u64,
    /// `block` of the last command.
    pub block: Option<Block>,
    /// `events` of the last command.
    pub events: Vec<KeyEvent>,
}

impl TestShard {
    /// 16 empty databases at time [`T0`].
    pub fn new(commands: &'static [CommandSpec]) -> TestShard {
        TestShard {
            commands,
            dbs: (0..16).map(|_| Db::new()).collect(),
            now_ms: T0,
            resp3: false,
            settings: Settings::default(),
            stats: Stats::default(),
            dirty: 0,
            block: None,
            events: Vec::new(),
        }
    }

    /// [`TestShard::new`] with every keyspace notification class on
    /// (`notify-keyspace-events KEAnm`; `m` only with `keymiss`).
    pub fn notifying(commands: &'static [CommandSpec], keymiss: bool) -> TestShard {
        let mut s = TestShard::new(commands);
        s.settings.notify = notify::ALL | notify::NEW | notify::KEYSPACE | notify::KEYEVENT;
        if keymiss {
            s.settings.notify |= notify::KEY_MISS;
        }
        s
    }

    /// Runs a command written as one line (arguments split on spaces, `""`
    /// for an empty one) and returns its events as `"event key"` strings,
    /// with ` (dbN)` appended for a database other than 0: the form the
    /// oracle sessions behind the expectations were noted in.
    pub fn events_of(&mut self, line: &str) -> Vec<String> {
        let args: Vec<&str> = line
            .split(' ')
            .filter(|a| !a.is_empty())
            .map(|a| if a == "\"\"" { "" } else { a })
            .collect();
        self.run(&args);
        self.events
            .iter()
            .map(|e| {
                let key = String::from_utf8_lossy(&e.key);
                match e.db {
                    0 => format!("{} {key}", e.event),
                    db => format!("{} {key} (db{db})", e.event),
                }
            })
            .collect()
    }

    /// Runs each command line in turn and asserts the events it produced.
    pub fn check_events(&mut self, table: &[(&str, &[&str])]) {
        for (line, want) in table {
            let got = self.events_of(line);
            assert_eq!(got, *want, "events of {line:?}");
        }
    }

    /// The row of command `name` (lower case): the shard's own family first,
    /// then every family.
    pub fn spec_of(&self, name: &str) -> &'static CommandSpec {
        self.commands
            .iter()
            .find(|c| c.name == name)
            .or_else(|| {
                crate::families()
                    .into_iter()
                    .flat_map(|f| f.iter())
                    .find(|c| c.name == name)
            })
            .unwrap_or_else(|| panic!("no command {name}"))
    }

    /// Runs one command in database 0 and returns its raw reply (empty if
    /// it asked to block).
    pub fn run_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        let spec = self.spec_of(&name);
        let spec = match spec.exec {
            Exec::Container => spec
                .subcommand(args.get(1).map_or(&[][..], |a| &a[..]))
                .unwrap_or_else(|| panic!("no subcommand of {name}")),
            _ => spec,
        };
        if !spec.arity_ok(args.len()) {
            return format!("-{}\r\n", CmdError::wrong_arity(name.as_bytes())).into_bytes();
        }
        let Exec::Keyed(handler) = spec.exec else {
            panic!("{name} is not keyed")
        };
        let mut out = BytesMut::new();
        let mut ctx = Ctx::new(
            &mut self.dbs,
            0,
            self.now_ms,
            &mut out,
            self.resp3,
            &self.settings,
            &mut self.stats,
        );
        let res = handler(&mut ctx, &args);
        self.dirty = ctx.dirty;
        self.block = ctx.block;
        self.events = std::mem::take(&mut ctx.events);
        match res {
            Ok(()) => {
                if self.block.is_some() {
                    assert!(out.is_empty(), "{name} blocked and wrote a reply");
                } else {
                    assert!(!out.is_empty(), "no reply to {name}");
                }
                out.to_vec()
            }
            Err(e) => {
                assert!(out.is_empty(), "{name} wrote a reply and failed");
                assert!(self.block.is_none(), "{name} blocked and failed");
                format!("-{e}\r\n").into_bytes()
            }
        }
    }

    /// [`TestShard::run_bytes`] with text arguments and a text reply.
    pub fn run(&mut self, args: &[&str]) -> String {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        String::from_utf8_lossy(&self.run_bytes(&a)).into_owned()
    }

    /// Runs and asserts the reply.
    pub fn ok(&mut self, args: &[&str], want: &str) {
        assert_eq!(self.run(args), want, "reply to {args:?}");
    }

    /// The live entry under `key` in database 0.
    pub fn entry(&mut self, key: &str) -> Option<Entry> {
        self.dbs[0].get(key.as_bytes(), self.now_ms).cloned()
    }

    /// `OBJECT ENCODING` of `key`, or "none".
    pub fn encoding(&mut self, key: &str) -> &'static str {
        self.entry(key).map_or("none", |e| e.value.encoding())
    }
}

/// A bulk-string reply.
pub(crate) fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}
