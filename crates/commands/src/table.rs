//! The command table: one row per command, holding everything the dispatcher
//! needs (arity, flags, key positions, group) and what `COMMAND` reports.

use bitflags::bitflags;
use bytes::Bytes;

use crate::ctx::Ctx;
use crate::error::CmdResult;

bitflags! {
    /// Command flags, with Redis's names (see [`Flags::names`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Flags: u32 {
        /// May modify the dataset.
        const WRITE = 1 << 0;
        /// Only reads the dataset.
        const READONLY = 1 << 1;
        /// May use more memory (refused when over maxmemory).
        const DENYOOM = 1 << 2;
        /// Administrative command.
        const ADMIN = 1 << 3;
        /// Pub/sub related.
        const PUBSUB = 1 << 4;
        /// Not allowed in scripts.
        const NOSCRIPT = 1 << 5;
        /// May block the client.
        const BLOCKING = 1 << 6;
        /// Allowed while loading the dataset.
        const LOADING = 1 << 7;
        /// Allowed on a stale replica.
        const STALE = 1 << 8;
        /// Not shown in MONITOR.
        const SKIP_MONITOR = 1 << 9;
        /// Not logged in the slow log.
        const SKIP_SLOWLOG = 1 << 10;
        /// O(1) or O(log N) command.
        const FAST = 1 << 11;
        /// Allowed before authentication.
        const NO_AUTH = 1 << 12;
        /// May replicate without keys in cluster mode.
        const MAY_REPLICATE = 1 << 13;
        /// Not allowed inside MULTI.
        const NO_MULTI = 1 << 14;
        /// Allowed while the server is busy (BUSY script).
        const ALLOW_BUSY = 1 << 15;
        /// The command is sensitive to the client's selected protocol (hidden from keys).
        const NO_MANDATORY_KEYS = 1 << 16;
        /// Reply is not deterministic across replicas/AOF.
        const NO_ASYNC_LOADING = 1 << 17;
        /// Allowed in a subscribed RESP2 connection.
        const SENTINEL = 1 << 18;
    }
}

impl Flags {
    /// Flag names in the order Redis 7.0 lists them in `COMMAND INFO`.
    pub fn names(self) -> Vec<&'static str> {
        const ORDER: &[(Flags, &str)] = &[
            (Flags::WRITE, "write"),
            (Flags::READONLY, "readonly"),
            (Flags::DENYOOM, "denyoom"),
            (Flags::ADMIN, "admin"),
            (Flags::PUBSUB, "pubsub"),
            (Flags::NOSCRIPT, "noscript"),
            (Flags::BLOCKING, "blocking"),
            (Flags::LOADING, "loading"),
            (Flags::STALE, "stale"),
            (Flags::SKIP_MONITOR, "skip_monitor"),
            (Flags::SKIP_SLOWLOG, "skip_slowlog"),
            (Flags::FAST, "fast"),
            (Flags::NO_AUTH, "no_auth"),
            (Flags::MAY_REPLICATE, "may_replicate"),
            (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
            (Flags::NO_ASYNC_LOADING, "no_async_loading"),
            (Flags::NO_MULTI, "no_multi"),
            (Flags::ALLOW_BUSY, "allow_busy"),
        ];
        ORDER
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// Redis command groups (the `group` of `COMMAND DOCS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Strings.
    String,
    /// Bitmaps.
    Bitmap,
    /// Keys of any type.
    Generic,
    /// Connection management.
    Connection,
    /// Server management.
    Server,
    /// Lists.
    List,
    /// Hashes.
    Hash,
    /// Sets.
    Set,
    /// Sorted sets.
    SortedSet,
    /// Transactions.
    Transactions,
    /// Pub/sub.
    PubSub,
    /// Scripting and functions.
    Scripting,
}

impl Group {
    /// The group name as `COMMAND DOCS` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Group::String => "string",
            Group::Bitmap => "bitmap",
            Group::Generic => "generic",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::List => "list",
            Group::Hash => "hash",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Transactions => "transactions",
            Group::PubSub => "pubsub",
            Group::Scripting => "scripting",
        }
    }
}

/// A data command: runs on the shard that owns its keys (or on a checked-out
/// view of several shards, for multi-key commands spanning shards).
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> CmdResult;

/// Commands the runtime implements itself because they concern connections,
/// the whole server or every shard at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum RuntimeCmd {
    Ping,
    Echo,
    Select,
    Quit,
    Reset,
    Hello,
    Auth,
    Client,
    DbSize,
    FlushDb,
    FlushAll,
    SwapDb,
    Time,
    Command,
    Info,
    Config,
    Shutdown,
    Keys,
    Scan,
    RandomKey,
    Lastsave,
    Debug,
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    Subscribe,
    Unsubscribe,
    Psubscribe,
    Punsubscribe,
    Ssubscribe,
    Sunsubscribe,
    Publish,
    Spublish,
    Pubsub,
    /// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO.
    Eval,
    /// SCRIPT's subcommands.
    Script,
    /// FCALL, FCALL_RO.
    Fcall,
    /// FUNCTION's subcommands.
    Function,
    /// SLOWLOG's subcommands.
    Slowlog,
    /// LATENCY's subcommands.
    Latency,
    /// MONITOR.
    Monitor,
    /// MEMORY's server-wide subcommands (USAGE is keyed).
    Memory,
    /// ACL's subcommands.
    Acl,
}

/// How a command is executed.
#[derive(Clone, Copy)]
pub enum Exec {
    /// A keyed data command.
    Keyed(Handler),
    /// A command the runtime executes.
    Runtime(RuntimeCmd),
    /// A container command whose subcommand (args\[1\]) is looked up in `subcommands`.
    Container,
}

/// Special key extraction for commands whose keys are not a first/last/step range.
pub type KeysFn = fn(&[Bytes], &mut Vec<usize>);

/// Keys a command reads besides its declared ones, known only from the
/// data (SORT's BY and GET patterns): the runtime must fetch them before
/// the handler runs when they may live on other shards.
#[derive(Clone, Copy)]
pub struct Lookups {
    /// True when these arguments make the command read such keys; cheap,
    /// from the arguments alone.
    pub needed: fn(&[Bytes]) -> bool,
    /// The distinct keys the handler will read, in the selected database,
    /// computed from the declared keys (already present in the `Ctx`).
    /// Must not count keyspace hits or misses: the handler does.
    pub keys: LookupFn,
}

/// See [`Lookups::keys`].
pub type LookupFn = fn(&mut Ctx<'_>, &[Bytes]) -> Vec<Bytes>;

/// One row of the command table.
pub struct CommandSpec {
    /// Lower-case name (`get`, or `config|get` for subcommands).
    pub name: &'static str,
    /// Redis's arity: N means exactly N arguments (including the name), -N at least N.
    pub arity: i32,
    /// Flags.
    pub flags: Flags,
    /// Position of the first key (0: no keys).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument, -2: the one before ...).
    pub last_key: i32,
    /// Step between keys.
    pub step: i32,
    /// ACL categories, as `COMMAND INFO` lists them (`@write`, `@string`, ...).
    pub acl: &'static [&'static str],
    /// Command tips, as `COMMAND INFO` lists them.
    pub tips: &'static [&'static str],
    /// Group.
    pub group: Group,
    /// One-line summary written for Ferrite's `COMMAND DOCS`.
    pub summary: &'static str,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// How to run it.
    pub exec: Exec,
    /// Key extraction when the keys are not a plain range.
    pub keys: Option<KeysFn>,
    /// Position of a `numkeys` argument followed by that many keys (LMPOP,
    /// BLMPOP, ...); 0 when the command has none.
    pub numkeys_at: i32,
    /// Keys read through patterns in the data, if the command has such.
    pub lookups: Option<Lookups>,
    /// Subcommands (for `Exec::Container`).
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A row with defaults for the optional parts; families fill the rest.
    pub const fn new(name: &'static str, arity: i32, group: Group, exec: Exec) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags: Flags::empty(),
            first_key: 0,
            last_key: 0,
            step: 0,
            acl: &[],
            tips: &[],
            group,
            summary: "",
            since: "1.0.0",
            exec,
            keys: None,
            numkeys_at: 0,
            lookups: None,
            subcommands: &[],
        }
    }

    /// Sets the flags.
    pub const fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// Sets first/last/step key positions.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.first_key = first;
        self.last_key = last;
        self.step = step;
        self
    }

    /// Sets a key-extraction function for irregular key positions.
    pub const fn keys_fn(mut self, f: KeysFn) -> Self {
        self.keys = Some(f);
        self
    }

    /// Declares the keys as `numkeys` at position `at` followed by that many
    /// keys (Redis's `keynum` key spec).
    pub const fn keys_numkeys(mut self, at: i32) -> Self {
        self.numkeys_at = at;
        self
    }

    /// Declares the keys the command reads through patterns (see [`Lookups`]).
    pub const fn lookups(mut self, needed: fn(&[Bytes]) -> bool, keys: LookupFn) -> Self {
        self.lookups = Some(Lookups { needed, keys });
        self
    }

    /// The planner of the extra keys these arguments make the command read,
    /// if any.
    pub fn lookups_for(&self, args: &[Bytes]) -> Option<LookupFn> {
        self.lookups.filter(|l| (l.needed)(args)).map(|l| l.keys)
    }

    /// True when the keys' positions depend on the arguments (COMMAND INFO's
    /// `movablekeys`).
    pub fn movable_keys(&self) -> bool {
        self.keys.is_some() || self.numkeys_at > 0
    }

    /// Sets the ACL categories.
    pub const fn acl(mut self, acl: &'static [&'static str]) -> Self {
        self.acl = acl;
        self
    }

    /// Sets the command tips.
    pub const fn tips(mut self, tips: &'static [&'static str]) -> Self {
        self.tips = tips;
        self
    }

    /// Sets the summary and the version that introduced the command.
    pub const fn doc(mut self, summary: &'static str, since: &'static str) -> Self {
        self.summary = summary;
        self.since = since;
        self
    }

    /// Sets the subcommands.
    pub const fn subs(mut self, subs: &'static [CommandSpec]) -> Self {
        self.subcommands = subs;
        self
    }

    /// True if `argc` (including the name) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let a = i64::from(self.arity);
        if a >= 0 {
            argc == a
        } else {
            argc >= -a
        }
    }

    /// Appends the positions of the keys in `args` to `out`.
    pub fn key_positions(&self, args: &[Bytes], out: &mut Vec<usize>) {
        if let Some(f) = self.keys {
            f(args, out);
            return;
        }
        if self.numkeys_at > 0 {
            // Keys only when numkeys is a positive integer and that many
            // arguments follow; otherwise none, and the handler answers the
            // error.
            let at = self.numkeys_at as usize;
            let n = args
                .get(at)
                .and_then(|a| ferrite_storage::num::parse_i64(a))
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0);
            if n > 0 && args.len().saturating_sub(at + 1) >= n {
                out.extend(at + 1..at + 1 + n);
            }
            return;
        }
        if self.first_key <= 0 {
            return;
        }
        let argc = args.len() as i64;
        let first = i64::from(self.first_key);
        let last = if self.last_key < 0 {
            argc + i64::from(self.last_key)
        } else {
            i64::from(self.last_key)
        };
        let step = i64::from(self.step.max(1));
        let mut i = first;
        while i <= last && i < argc {
            out.push(i as usize);
            i += step;
        }
    }

    /// The subcommand row for `sub` (case-insensitive).
    pub fn subcommand(&self, sub: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands.iter().find(|s| {
            let short = s.name.rsplit('|').next().unwrap_or(s.name);
            short.as_bytes().eq_ignore_ascii_case(sub)
        })
    }
}

/// The whole table: every family's rows.
pub struct CommandTable {
    by_name: ahash::AHashMap<&'static [u8], &'static CommandSpec>,
    all: Vec<&'static CommandSpec>,
    /// Every row, subcommands included, by [`CommandTable::id_of`].
    by_id: Vec<&'static CommandSpec>,
    /// A row's address to its number.
    ids: ahash::AHashMap<usize, u32>,
}

impl CommandTable {
    /// Builds the table from the families' registration lists.
    pub fn new(families: &[&'static [CommandSpec]]) -> CommandTable {
        let mut by_name = ahash::AHashMap::new();
        let mut all = Vec::new();
        let mut by_id = Vec::new();
        for fam in families {
            for spec in fam.iter() {
                by_name.insert(spec.name.as_bytes(), spec);
                all.push(spec);
                by_id.push(spec);
                by_id.extend(spec.subcommands.iter());
            }
        }
        let ids = by_id
            .iter()
            .enumerate()
            .map(|(i, s)| (addr(s), i as u32))
            .collect();
        CommandTable {
            by_name,
            all,
            by_id,
            ids,
        }
    }

    /// Looks a command up by name, case-insensitively, without allocating.
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).copied()
    }

    /// Every top-level command, in registration order.
    pub fn all(&self) -> &[&'static CommandSpec] {
        &self.all
    }

    /// A dense number for a row of this table (subcommands have their own),
    /// for per-command figures kept in vectors (INFO commandstats). A row
    /// from elsewhere gets [`CommandTable::len_ids`], one past the last.
    pub fn id_of(&self, spec: &CommandSpec) -> usize {
        self.ids
            .get(&addr(spec))
            .map_or(self.by_id.len(), |&i| i as usize)
    }

    /// The row numbered `id` by [`CommandTable::id_of`].
    pub fn by_id(&self, id: usize) -> Option<&'static CommandSpec> {
        self.by_id.get(id).copied()
    }

    /// How many rows are numbered: every id is below it.
    pub fn len_ids(&self) -> usize {
        self.by_id.len()
    }
}

fn addr(spec: &CommandSpec) -> usize {
    spec as *const CommandSpec as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_follows_redis_sign_rule() {
        let s = CommandSpec::new("get", 2, Group::String, Exec::Container);
        assert!(s.arity_ok(2));
        assert!(!s.arity_ok(3));
        let s = CommandSpec::new("del", -2, Group::Generic, Exec::Container);
        assert!(!s.arity_ok(1));
        assert!(s.arity_ok(2));
        assert!(s.arity_ok(9));
    }

    #[test]
    fn key_positions_from_range() {
        let args: Vec<Bytes> = ["mset", "a", "1", "b", "2"]
            .iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        let s = CommandSpec::new("mset", -3, Group::String, Exec::Container).keys(1, -1, 2);
        let mut out = vec![];
        s.key_positions(&args, &mut out);
        assert_eq!(out, vec![1, 3]);
    }
}
