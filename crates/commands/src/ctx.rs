//! The context a data command runs in: the shard's databases, the clock and
//! the reply buffer.

use bytes::BytesMut;
use ferrite_protocol::Writer;
use ferrite_storage::{Db, Entry, StrValue, Value};

use crate::error::CmdError;

/// Settings a data command may need (a per-thread copy of the live config).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `proto-max-bulk-len`: the largest string a command may create.
    pub proto_max_bulk_len: u64,
    /// True when `maxmemory-policy` is an LFU policy (OBJECT FREQ).
    pub lfu_policy: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proto_max_bulk_len: 512 * 1024 * 1024,
            lfu_policy: false,
        }
    }
}

/// Counters a shard keeps for INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Successful key lookups by read commands.
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands.
    pub keyspace_misses: u64,
}

/// What a data command runs against.
pub struct Ctx<'a> {
    /// All databases of the shard (or of a checked-out multi-shard view).
    pub dbs: &'a mut [Db],
    /// The client's selected database.
    pub db: usize,
    /// The current time in Unix milliseconds, fixed for the whole command.
    pub now_ms: u64,
    /// Where the reply is written.
    pub out: &'a mut BytesMut,
    /// The client speaks RESP3.
    pub resp3: bool,
    /// Settings from the configuration.
    pub settings: &'a Settings,
    /// Shard counters.
    pub stats: &'a mut Stats,
    /// Number of changes made to the dataset (Redis's `dirty`); the dispatcher
    /// journals a write command only when it changed something.
    pub dirty: u64,
}

impl<'a> Ctx<'a> {
    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.db.min(self.dbs.len().saturating_sub(1));
        &mut self.dbs[i]
    }

    /// A reply writer over the output buffer.
    pub fn w(&mut self) -> Writer<'_> {
        Writer::new(self.out, self.resp3)
    }

    /// The server clock in seconds, as kept for OBJECT IDLETIME.
    pub fn now_secs(&self) -> u32 {
        (self.now_ms / 1000) as u32
    }

    /// Looks up `key` for reading, counting a keyspace hit or miss and
    /// refreshing its access time, as Redis's lookupKeyRead does.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Entry> {
        let now = self.now_ms;
        let secs = self.now_secs();
        let db_index = self.db.min(self.dbs.len().saturating_sub(1));
        let found = self.dbs[db_index].get_touch(key, secs, now);
        if found.is_some() {
            self.stats.keyspace_hits += 1;
        } else {
            self.stats.keyspace_misses += 1;
        }
        found
    }

    /// Reads a string key: `Ok(None)` if missing, WRONGTYPE for other types.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&StrValue>, CmdError> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(e) => match &e.value {
                Value::Str(s) => Ok(Some(s)),
                #[allow(unreachable_patterns)]
                _ => Err(CmdError::WRONG_TYPE),
            },
        }
    }

    /// Reads a string key and writes it as a bulk reply (null if missing)
    /// without copying the value: the read path of GET.
    pub fn reply_str_of(&mut self, key: &[u8]) -> Result<(), CmdError> {
        let now = self.now_ms;
        let secs = self.now_secs();
        let db_index = self.db.min(self.dbs.len().saturating_sub(1));
        let found = self.dbs[db_index].get_touch(key, secs, now);
        let mut w = Writer::new(self.out, self.resp3);
        match found {
            None => {
                self.stats.keyspace_misses += 1;
                w.null();
            }
            Some(e) => match &e.value {
                Value::Str(s) => {
                    self.stats.keyspace_hits += 1;
                    s.with_bytes(|b| w.bulk(b));
                }
                #[allow(unreachable_patterns)]
                _ => return Err(CmdError::WRONG_TYPE),
            },
        }
        Ok(())
    }

    /// Writes a string key's value as a bulk reply, or null if it is missing.
    pub fn reply_str(&mut self, value: Option<&StrValue>) {
        let mut w = Writer::new(self.out, self.resp3);
        match value {
            Some(s) => s.with_bytes(|b| w.bulk(b)),
            None => w.null(),
        }
    }

    /// Writes `+OK`.
    pub fn ok(&mut self) {
        self.w().simple(b"OK");
    }

    /// Checks a resulting string length against `proto-max-bulk-len`.
    pub fn check_string_len(&self, len: u64) -> Result<(), CmdError> {
        if len > self.settings.proto_max_bulk_len {
            Err(CmdError::STRING_TOO_LONG)
        } else {
            Ok(())
        }
    }
}
