//! The context a data command runs in: the shard's databases, the clock,
//! the reply buffer and the keyspace events the command produced.

use bytes::{Bytes, BytesMut};
use ferrite_protocol::Writer;
use ferrite_storage::{Container, Db, Entry, Kind, StoreTtl, StrValue, Value};

use crate::error::CmdError;

/// Settings a data command may need (a per-thread copy of the live config).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `proto-max-bulk-len`: the largest string a command may create.
    pub proto_max_bulk_len: u64,
    /// True when `maxmemory-policy` is an LFU policy (OBJECT FREQ).
    pub lfu_policy: bool,
    /// `list-max-listpack-size`: the size limit of one packed list node.
    pub list_max_listpack_size: i32,
    /// `hash-max-listpack-entries`: most fields a packed hash holds.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`: longest field or value a packed hash holds.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`: most members an integer set holds.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries`: most members a packed sorted set holds.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`: longest member a packed sorted set holds.
    pub zset_max_listpack_value: usize,
    /// `notify-keyspace-events`: the enabled classes, as [`notify`] bits.
    pub notify: u32,
    /// `tracking-table-max-keys`: most keys client-side caching remembers
    /// (0: no limit).
    pub tracking_table_max_keys: u64,
    /// `rdbcompression`: LZF-compress long strings in DUMP payloads (and RDB files).
    pub rdb_compression: bool,
    /// `list-compress-depth`: list nodes kept uncompressed at each end (DUMP
    /// writes the others as Redis keeps them, compressed).
    pub list_compress_depth: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proto_max_bulk_len: 512 * 1024 * 1024,
            lfu_policy: false,
            list_max_listpack_size: -2,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            notify: 0,
            tracking_table_max_keys: 1_000_000,
            rdb_compression: true,
            list_compress_depth: 0,
        }
    }
}

/// Keyspace notification classes: the bits of `notify-keyspace-events`,
/// Redis 7.0's values (the configuration crate parses the letters into the
/// same bits).
pub mod notify {
    pub use ferrite_storage::notify::*;
}

/// One keyspace notification produced by a command, to be published (by the
/// runtime) on `__keyspace@<db>__:<key>` with `event` as the message and/or
/// on `__keyevent@<db>__:<event>` with `key` as the message, depending on
/// the `K` and `E` classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    /// The event's class (one [`notify`] bit).
    pub class: u32,
    /// The event name (`set`, `del`, `lpush`, ...).
    pub event: &'static str,
    /// The database the key lives in.
    pub db: usize,
    /// The key.
    pub key: Bytes,
}

/// True if `settings` enable events of `class`: the class itself and at
/// least one channel kind (`K` or `E`), as Redis requires to publish.
#[inline]
fn enabled(settings: &Settings, class: u32) -> bool {
    let on = settings.notify;
    on & class != 0 && on & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

/// Records an event if the settings enable its class (a free function so
/// that it can run while other fields of a [`Ctx`] are borrowed).
#[inline]
fn record(
    events: &mut Vec<KeyEvent>,
    settings: &Settings,
    db: usize,
    class: u32,
    event: &'static str,
    key: &[u8],
) {
    if enabled(settings, class) {
        push_event(events, db, class, event, key);
    }
}

/// The allocating half of [`record`], kept out of line: with notifications
/// off (the default) a command never gets here.
#[cold]
#[inline(never)]
fn push_event(events: &mut Vec<KeyEvent>, db: usize, class: u32, event: &'static str, key: &[u8]) {
    events.push(KeyEvent {
        class,
        event,
        db,
        key: Bytes::copy_from_slice(key),
    });
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
    /// Set by a blocking command that found nothing to serve; it then
    /// writes no reply, and the runtime either blocks the client or (inside
    /// MULTI or a script) writes [`Block::null_reply`].
    pub block: Option<Block>,
    /// The keyspace events the command produced, in Redis's order, for the
    /// runtime to publish (see [`Ctx::notify`]); always empty while
    /// `notify-keyspace-events` is off.
    pub events: Vec<KeyEvent>,
    /// The client is in CLIENT NO-TOUCH mode: lookups leave the keys' idle
    /// time and LFU counter alone (TOUCH still touches).
    pub no_touch: bool,
    /// Writes are journaled (`appendonly yes`): a handler whose effect is
    /// not its own command line (see [`Ctx::propagate`]) records what to
    /// journal instead. While false, handlers skip that work.
    pub journal: bool,
    /// What the command journals instead of its own arguments (Redis's
    /// command rewriting and `alsoPropagate`): `None` journals the command
    /// as received when it changed something (`dirty > 0`), `Some` journals
    /// exactly these commands, in order (none at all when empty).
    pub effects: Option<Vec<Effect>>,
    /// Journal the command as received even when it changed nothing
    /// (Redis's forceCommandPropagation: FLUSHALL and FLUSHDB of empty
    /// databases).
    pub force_journal: bool,
}

/// One command the journal records for a command's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The database it applies to.
    pub db: usize,
    /// The command line, as RESP bulk strings.
    pub argv: Vec<Bytes>,
}

/// What a blocking command asks for when it cannot be served at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// How long to wait in milliseconds; 0 waits forever.
    pub timeout_ms: u64,
    /// The reply on timeout is a null array (BLPOP, BRPOP, BLMPOP) rather
    /// than a null bulk string (BLMOVE, BRPOPLPUSH).
    pub null_array: bool,
}

impl Block {
    /// Writes the reply a timed-out (or non-blocking) wait gets.
    pub fn null_reply(&self, w: &mut Writer<'_>) {
        if self.null_array {
            w.null_array();
        } else {
            w.null();
        }
    }
}

impl<'a> Ctx<'a> {
    /// A context for one command, with no change counted yet.
    pub fn new(
        dbs: &'a mut [Db],
        db: usize,
        now_ms: u64,
        out: &'a mut BytesMut,
        resp3: bool,
        settings: &'a Settings,
        stats: &'a mut Stats,
    ) -> Ctx<'a> {
        Ctx {
            dbs,
            db,
            now_ms,
            out,
            resp3,
            settings,
            stats,
            dirty: 0,
            block: None,
            events: Vec::new(),
            no_touch: false,
            journal: false,
            effects: None,
            force_journal: false,
        }
    }

    /// Journals `argv` (in the selected database) as this command's effect,
    /// instead of the command as received; called again, adds another
    /// command after it. Used only while [`Ctx::journal`] is on; the
    /// command's `dirty` no longer matters then.
    pub fn propagate(&mut self, argv: Vec<Bytes>) {
        let db = self.db;
        self.propagate_in(db, argv);
    }

    /// [`Ctx::propagate`] for database `db`.
    pub fn propagate_in(&mut self, db: usize, argv: Vec<Bytes>) {
        self.effects
            .get_or_insert_with(Vec::new)
            .push(Effect { db, argv });
    }

    /// Journals nothing for this command, whatever it changed.
    pub fn propagate_nothing(&mut self) {
        self.effects.get_or_insert_with(Vec::new);
    }

    /// True if an event of `class` would be recorded (for events whose key
    /// or condition costs something to work out).
    #[inline]
    pub fn notifies(&self, class: u32) -> bool {
        enabled(self.settings, class)
    }

    /// Records the keyspace event `event` of `class` on `key` in the
    /// selected database, if the settings enable the class and at least one
    /// of `K`/`E` (Redis's notifyKeyspaceEvent). Nothing is allocated
    /// otherwise.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        record(&mut self.events, self.settings, self.db, class, event, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (MOVE and COPY ... DB
    /// notify in the destination database).
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        record(&mut self.events, self.settings, db, class, event, key);
    }

    /// Stores `value` under `key` in the selected database (a stale key is
    /// replaced, the access time refreshed, the expiry set by `ttl`), with
    /// the `new` event when no live key was there, as Redis's dbAdd.
    /// Returns true if a live key was replaced.
    pub fn store(&mut self, key: &[u8], value: Value, ttl: StoreTtl) -> bool {
        let (now, secs) = (self.now_ms, self.now_secs());
        let replaced = self.db().store(key, value, ttl, now, secs);
        if !replaced {
            self.notify(notify::NEW, "new", key);
        }
        replaced
    }

    /// Deletes `key` from the selected database with the `del` event, as
    /// DEL and the STORE commands with an empty result do. Returns true if
    /// a live key was deleted.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let deleted = self.db().remove(key, now).is_some();
        if deleted {
            self.notify(notify::GENERIC, "del", key);
        }
        deleted
    }

    /// Index of the selected database in `dbs` (clamped, so that a wrong
    /// index can never panic).
    pub fn db_index(&self) -> usize {
        self.db.min(self.dbs.len().saturating_sub(1))
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.db_index();
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

    /// The access time a lookup records: [`Ctx::now_secs`], or
    /// [`NO_TOUCH`](ferrite_storage::db::NO_TOUCH) for a client in CLIENT
    /// NO-TOUCH mode. Values a command creates take `now_secs` whatever the
    /// mode, as a new Redis object does.
    #[inline]
    pub fn touch_secs(&self) -> u32 {
        if self.no_touch {
            ferrite_storage::db::NO_TOUCH
        } else {
            self.now_secs()
        }
    }

    /// Looks up `key` for reading, counting a keyspace hit or miss and
    /// refreshing its access time, as Redis's lookupKeyRead does.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Entry> {
        self.lookup_read_with_writer(key).0
    }

    /// [`Ctx::lookup_read`], also handing out the reply writer so that the
    /// value can be written without copying it first (GET's path: one hash
    /// lookup, no copy).
    pub fn lookup_read_with_writer(&mut self, key: &[u8]) -> (Option<&Entry>, Writer<'_>) {
        let now = self.now_ms;
        let secs = self.touch_secs();
        let i = self.db_index();
        let w = Writer::new(&mut *self.out, self.resp3);
        let found = match self.dbs.get_mut(i) {
            Some(db) => db.get_touch(key, secs, now),
            None => None,
        };
        if found.is_some() {
            self.stats.keyspace_hits += 1;
        } else {
            self.stats.keyspace_misses += 1;
            // Redis notifies a miss wherever it counts one.
            record(
                &mut self.events,
                self.settings,
                self.db,
                notify::KEY_MISS,
                "keymiss",
                key,
            );
        }
        (found, w)
    }

    /// Reads `key` as a `T` ([`Ctx::lookup_read`]: a hit or miss is
    /// counted and the access time refreshed), with the reply writer:
    /// `None` if missing, WRONGTYPE for another type.
    pub fn read<T: Kind>(&mut self, key: &[u8]) -> Result<(Option<&T>, Writer<'_>), CmdError> {
        let (entry, w) = self.lookup_read_with_writer(key);
        match entry {
            None => Ok((None, w)),
            Some(e) => T::of(&e.value)
                .map(|t| (Some(t), w))
                .ok_or(CmdError::WRONG_TYPE),
        }
    }

    /// `key` as a `T` for changing it (access time refreshed, no hit or miss
    /// counted, as Redis's lookupKeyWrite), with the reply writer: `None` if
    /// missing, WRONGTYPE for another type.
    pub fn write<T: Kind>(&mut self, key: &[u8]) -> Result<(Option<&mut T>, Writer<'_>), CmdError> {
        let (now, secs) = (self.now_ms, self.touch_secs());
        let i = self.db_index();
        let w = Writer::new(&mut *self.out, self.resp3);
        match self
            .dbs
            .get_mut(i)
            .and_then(|db| db.get_mut_touch(key, secs, now))
        {
            None => Ok((None, w)),
            Some(v) => T::of_mut(v)
                .map(|t| (Some(t), w))
                .ok_or(CmdError::WRONG_TYPE),
        }
    }

    /// Runs `f` on the collection under `key` (for writing, see
    /// [`Ctx::write`]) or, if there is none, on a new empty one, stored under
    /// `key` afterwards (with the `new` event) if `f` succeeded and left it
    /// non-empty (storing is also what wakes clients blocked on the key).
    /// WRONGTYPE for another type.
    pub fn update<T: Container, R>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&mut T) -> Result<R, CmdError>,
    ) -> Result<R, CmdError> {
        if let (Some(t), _) = self.write::<T>(key)? {
            return f(t);
        }
        let mut t = T::default();
        let r = f(&mut t)?;
        if !t.is_empty() {
            self.store(key, t.into_value(), StoreTtl::Clear);
        }
        Ok(r)
    }

    /// Deletes `key` if it holds an empty `T` (after its last element
    /// went), with the `del` event; call it after recording the command's
    /// own event, which Redis publishes first. Returns true if it deleted.
    pub fn remove_if_empty<T: Container>(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let db = self.db();
        if db
            .get_mut(key, now)
            .and_then(T::of_mut)
            .is_some_and(|t| t.is_empty())
        {
            db.remove(key, now);
            self.notify(notify::GENERIC, "del", key);
            return true;
        }
        false
    }

    /// Reads a string key: `Ok(None)` if missing, WRONGTYPE for other types.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&StrValue>, CmdError> {
        self.read::<StrValue>(key).map(|(s, _)| s)
    }

    /// Writes `+OK`.
    pub fn ok(&mut self) {
        self.w().simple(b"OK");
    }
}
