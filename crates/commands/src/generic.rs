//! The generic group: commands on keys of any type (DEL, EXPIRE, RENAME, COPY,
//! OBJECT, ...), and the shard-local steps of the keyspace-wide KEYS and SCAN,
//! which the runtime fans out to every shard.
//!
//! Key lookups follow Redis's three flavours, because they decide what OBJECT
//! IDLETIME and the `keyspace_hits`/`keyspace_misses` counters report:
//! reads ([`Ctx::lookup_read`]: counted, refresh the access time), reads that
//! only look (EXISTS, TTL, TYPE, OBJECT: counted, no refresh; [`peek`]) and
//! writes (EXPIRE, PERSIST, RENAME, MOVE: refresh, not counted; [`lookup_write`]).

use bytes::Bytes;
use ferrite_storage::glob::string_match;
use ferrite_storage::{Db, Entry, StoreTtl, StrValue, Value, ValueType};

use crate::ctx::{notify, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};
use crate::util::{arg, is, parse_i64};

/// The generic group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, Group::Generic, Exec::Keyed(cmd_del))
        .flags(Flags::WRITE)
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@write", "@slow"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("Removes keys, freeing their values at once.", "1.0.0"),
    CommandSpec::new("unlink", -2, Group::Generic, Exec::Keyed(cmd_unlink))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("Removes keys; large values may be freed later.", "4.0.0"),
    CommandSpec::new("exists", -2, Group::Generic, Exec::Keyed(cmd_exists))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("Counts how many of the given keys exist.", "1.0.0"),
    CommandSpec::new("expire", -3, Group::Generic, Exec::Keyed(cmd_expire))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Gives a key a time to live in seconds.", "1.0.0"),
    CommandSpec::new("pexpire", -3, Group::Generic, Exec::Keyed(cmd_pexpire))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Gives a key a time to live in milliseconds.", "2.6.0"),
    CommandSpec::new("expireat", -3, Group::Generic, Exec::Keyed(cmd_expireat))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Makes a key expire at a Unix time in seconds.", "1.2.0"),
    CommandSpec::new("pexpireat", -3, Group::Generic, Exec::Keyed(cmd_pexpireat))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc(
            "Makes a key expire at a Unix time in milliseconds.",
            "2.6.0",
        ),
    CommandSpec::new("expiretime", 2, Group::Generic, Exec::Keyed(cmd_expiretime))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .doc(
            "Tells the Unix time in seconds at which a key expires.",
            "7.0.0",
        ),
    CommandSpec::new(
        "pexpiretime",
        2,
        Group::Generic,
        Exec::Keyed(cmd_pexpiretime),
    )
    .flags(Flags::READONLY.union(Flags::FAST))
    .keys(1, 1, 1)
    .acl(&["@keyspace", "@read", "@fast"])
    .doc(
        "Tells the Unix time in milliseconds at which a key expires.",
        "7.0.0",
    ),
    CommandSpec::new("ttl", 2, Group::Generic, Exec::Keyed(cmd_ttl))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .tips(&["nondeterministic_output"])
        .doc("Tells how many seconds a key has left to live.", "1.0.0"),
    CommandSpec::new("pttl", 2, Group::Generic, Exec::Keyed(cmd_pttl))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Tells how many milliseconds a key has left to live.",
            "2.6.0",
        ),
    CommandSpec::new("persist", 2, Group::Generic, Exec::Keyed(cmd_persist))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Removes a key's expiry time.", "2.2.0"),
    CommandSpec::new("type", 2, Group::Generic, Exec::Keyed(cmd_type))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .doc("Names the type of the value a key holds.", "1.0.0"),
    CommandSpec::new("rename", 3, Group::Generic, Exec::Keyed(cmd_rename))
        .flags(Flags::WRITE)
        .keys(1, 2, 1)
        .acl(&["@keyspace", "@write", "@slow"])
        .doc(
            "Gives a key a new name, replacing any key of that name.",
            "1.0.0",
        ),
    CommandSpec::new("renamenx", 3, Group::Generic, Exec::Keyed(cmd_renamenx))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 2, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Gives a key a new name if no key has it yet.", "1.0.0"),
    CommandSpec::new("copy", -3, Group::Generic, Exec::Keyed(cmd_copy))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 2, 1)
        .acl(&["@keyspace", "@write", "@slow"])
        .doc(
            "Duplicates a key's value under another name, possibly in another database.",
            "6.2.0",
        ),
    CommandSpec::new("dump", 2, Group::Generic, Exec::Keyed(cmd_dump))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@read", "@slow"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Serializes a key's value in Redis 7.0's RDB format.",
            "2.6.0",
        ),
    CommandSpec::new("restore", -4, Group::Generic, Exec::Keyed(cmd_restore))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@slow", "@dangerous"])
        .doc(
            "Creates a key from a DUMP payload, with a TTL, access time or frequency.",
            "2.6.0",
        ),
    CommandSpec::new("move", 3, Group::Generic, Exec::Keyed(cmd_move))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@keyspace", "@write", "@fast"])
        .doc("Moves a key to another database.", "1.0.0"),
    CommandSpec::new("touch", -2, Group::Generic, Exec::Keyed(cmd_touch))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@read", "@fast"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc(
            "Marks keys as just used and counts those that exist.",
            "3.2.1",
        ),
    CommandSpec::new("object", -2, Group::Generic, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .doc(
            "Container for commands that inspect a key's value.",
            "2.2.3",
        )
        .subs(OBJECT_SUBCOMMANDS),
    // The generic group's keyspace-wide commands: the runtime fans them out.
    CommandSpec::new("keys", 2, Group::Generic, Exec::Runtime(RuntimeCmd::Keys))
        .flags(Flags::READONLY)
        .acl(&["@keyspace", "@read", "@slow", "@dangerous"])
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc("Lists the keys whose names match a glob pattern.", "1.0.0"),
    CommandSpec::new("scan", -2, Group::Generic, Exec::Runtime(RuntimeCmd::Scan))
        .flags(Flags::READONLY)
        .acl(&["@keyspace", "@read", "@slow"])
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc(
            "Walks the keyspace a few keys at a time with a cursor.",
            "2.8.0",
        ),
    CommandSpec::new(
        "randomkey",
        1,
        Group::Generic,
        Exec::Runtime(RuntimeCmd::RandomKey),
    )
    .flags(Flags::READONLY)
    .acl(&["@keyspace", "@read", "@slow"])
    .tips(&["request_policy:all_shards", "nondeterministic_output"])
    .doc("Returns the name of a key picked at random.", "1.0.0"),
];

/// OBJECT's subcommands, in the order Redis 7.0 lists them.
static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "object|encoding",
        3,
        Group::Generic,
        Exec::Keyed(cmd_object_encoding),
    )
    .flags(Flags::READONLY)
    .keys(2, 2, 1)
    .acl(&["@keyspace", "@read", "@slow"])
    .tips(&["nondeterministic_output"])
    .doc("Names the internal encoding of a key's value.", "2.2.3"),
    CommandSpec::new(
        "object|idletime",
        3,
        Group::Generic,
        Exec::Keyed(cmd_object_idletime),
    )
    .flags(Flags::READONLY)
    .keys(2, 2, 1)
    .acl(&["@keyspace", "@read", "@slow"])
    .tips(&["nondeterministic_output"])
    .doc("Tells how many seconds ago a key was last used.", "2.2.3"),
    CommandSpec::new(
        "object|help",
        2,
        Group::Generic,
        Exec::Keyed(cmd_object_help),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@keyspace", "@slow"])
    .doc("Lists OBJECT's subcommands.", "6.2.0"),
    CommandSpec::new(
        "object|freq",
        3,
        Group::Generic,
        Exec::Keyed(cmd_object_freq),
    )
    .flags(Flags::READONLY)
    .keys(2, 2, 1)
    .acl(&["@keyspace", "@read", "@slow"])
    .tips(&["nondeterministic_output"])
    .doc(
        "Tells a key's access-frequency counter (LFU policies).",
        "4.0.0",
    ),
    CommandSpec::new(
        "object|refcount",
        3,
        Group::Generic,
        Exec::Keyed(cmd_object_refcount),
    )
    .flags(Flags::READONLY)
    .keys(2, 2, 1)
    .acl(&["@keyspace", "@read", "@slow"])
    .tips(&["nondeterministic_output"])
    .doc("Tells how many references a key's value has.", "2.2.3"),
];

/// DEL key [key ...]
pub fn cmd_del(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    remove_keys(ctx, &args[1..]);
    Ok(())
}

/// UNLINK key [key ...]
pub fn cmd_unlink(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Values are freed where they are dropped; there is nothing to defer yet.
    remove_keys(ctx, &args[1..]);
    Ok(())
}

fn remove_keys(ctx: &mut Ctx<'_>, keys: &[Bytes]) {
    let n = keys.iter().filter(|k| ctx.delete(k)).count();
    ctx.dirty += n as u64;
    ctx.w().int(n as i64);
}

/// EXISTS key [key ...]
pub fn cmd_exists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // A key named twice counts twice, as in Redis.
    let n = args[1..].iter().filter(|k| peek(ctx, k).is_some()).count();
    ctx.w().int(n as i64);
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
pub fn cmd_expire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let base = ctx.now_ms as i64;
    expire_generic(ctx, args, base, Unit::Seconds, "expire")
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub fn cmd_pexpire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let base = ctx.now_ms as i64;
    expire_generic(ctx, args, base, Unit::Millis, "pexpire")
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
pub fn cmd_expireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, 0, Unit::Seconds, "expireat")
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
pub fn cmd_pexpireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, 0, Unit::Millis, "pexpireat")
}

/// The unit of an EXPIRE-family argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
}

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ExpireCond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCond {
    /// Parses the options after the time, with Redis's errors and their order.
    fn parse(opts: &[Bytes]) -> Result<ExpireCond, CmdError> {
        let mut c = ExpireCond::default();
        for o in opts {
            if is(o, "nx") {
                c.nx = true;
            } else if is(o, "xx") {
                c.xx = true;
            } else if is(o, "gt") {
                c.gt = true;
            } else if is(o, "lt") {
                c.lt = true;
            } else {
                return Err(CmdError::other(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(o)
                )));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::other(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::other(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether a key whose expiry is `current` (None: never) may get `when`.
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        match current {
            // No expiry counts as an infinite TTL: GT can never beat it, LT always does.
            None => !self.xx && !self.gt,
            Some(cur) => {
                let beaten = (self.gt && when <= cur) || (self.lt && when >= cur);
                !(self.nx || beaten)
            }
        }
    }
}

/// The absolute expiry time in milliseconds for `value` in `unit` after
/// `base_ms`, or Redis's error when the conversion or the sum overflows.
fn expire_time(value: i64, unit: Unit, base_ms: i64, name: &str) -> Result<i64, CmdError> {
    let ms = match unit {
        Unit::Seconds => value.checked_mul(1000),
        Unit::Millis => Some(value),
    };
    // Negative times may go below zero (they mean "already expired"); only
    // the upper end is checked on the sum, as Redis does.
    ms.and_then(|ms| {
        if ms > i64::MAX - base_ms {
            None
        } else {
            Some(ms + base_ms)
        }
    })
    .ok_or_else(|| CmdError::other(format!("ERR invalid expire time in '{name}' command")))
}

fn expire_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    base_ms: i64,
    unit: Unit,
    name: &str,
) -> CmdResult {
    let key = arg(args, 1);
    let cond = ExpireCond::parse(args.get(3..).unwrap_or_default())?;
    let value = parse_i64(arg(args, 2))?;
    let when = expire_time(value, unit, base_ms, name)?;
    if !lookup_write(ctx, key) {
        ctx.w().int(0);
        return Ok(());
    }
    let now = ctx.now_ms;
    let db = ctx.db();
    let current = db.get(key, now).and_then(Entry::expire_at).map(clamp_i64);
    if !cond.allows(current, when) {
        ctx.w().int(0);
        return Ok(());
    }
    if when <= now as i64 {
        // A time already past deletes the key as DEL would (not counted as
        // expired), with a `del` event.
        ctx.delete(key);
        if ctx.journal {
            ctx.propagate(cmdline(&[b"DEL", key]));
        }
    } else {
        db.set_expire(key, Some(when as u64), now);
        ctx.notify(notify::GENERIC, "expire", key);
        // Relative times would replay differently later: the journal gets
        // the absolute time (the options kept as sent). PEXPIREAT already
        // is that form and is journaled as received.
        if ctx.journal && name != "pexpireat" {
            let mut argv = cmdline(&[b"PEXPIREAT", key, &num_arg(when)]);
            argv.extend(args.iter().skip(3).cloned());
            ctx.propagate(argv);
        }
    }
    ctx.dirty += 1;
    ctx.w().int(1);
    Ok(())
}

/// TTL key
pub fn cmd_ttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, arg(args, 1), Unit::Seconds, false)
}

/// PTTL key
pub fn cmd_pttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, arg(args, 1), Unit::Millis, false)
}

/// EXPIRETIME key
pub fn cmd_expiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, arg(args, 1), Unit::Seconds, true)
}

/// PEXPIRETIME key
pub fn cmd_pexpiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, arg(args, 1), Unit::Millis, true)
}

/// -2 for a missing key, -1 for a key without expiry, else the time left
/// (or, with `absolute`, the expiry time itself) in `unit`.
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], unit: Unit, absolute: bool) -> CmdResult {
    let now = ctx.now_ms;
    let reply = match peek(ctx, key) {
        None => -2,
        Some(e) => match e.expire_at() {
            None => -1,
            Some(at) => {
                let ms = if absolute { at } else { at.saturating_sub(now) };
                match unit {
                    Unit::Millis => clamp_i64(ms),
                    // Redis rounds to the nearest second; u64 keeps `+ 500`
                    // from overflowing near i64::MAX.
                    Unit::Seconds => clamp_i64(ms.saturating_add(500) / 1000),
                }
            }
        },
    };
    ctx.w().int(reply);
    Ok(())
}

/// PERSIST key
pub fn cmd_persist(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let now = ctx.now_ms;
    let removed = lookup_write(ctx, key) && {
        let db = ctx.db();
        db.get(key, now).and_then(Entry::expire_at).is_some() && db.set_expire(key, None, now)
    };
    if removed {
        ctx.notify(notify::GENERIC, "persist", key);
    }
    ctx.dirty += u64::from(removed);
    ctx.w().int(i64::from(removed));
    Ok(())
}

/// TYPE key
pub fn cmd_type(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let name = match peek(ctx, arg(args, 1)) {
        Some(e) => e.value.value_type().name(),
        None => "none",
    };
    ctx.w().simple(name.as_bytes());
    Ok(())
}

/// RENAME key newkey
pub fn cmd_rename(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, false)
}

/// RENAMENX key newkey
pub fn cmd_renamenx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// The entry (value, expiry and access time) moves to the new name; the
/// new name's old value and expiry go away.
fn rename_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) -> CmdResult {
    let (src, dst) = (arg(args, 1), arg(args, 2));
    if !lookup_write(ctx, src) {
        return Err(CmdError::NO_SUCH_KEY);
    }
    if src == dst {
        reply_renamed(ctx, nx, false);
        return Ok(());
    }
    let now = ctx.now_ms;
    let db = ctx.db();
    if nx && db.contains(dst, now) {
        reply_renamed(ctx, nx, false);
        return Ok(());
    }
    let entry = db.remove(src, now).ok_or(CmdError::NO_SUCH_KEY)?;
    db.put(dst, entry);
    // Redis deletes the destination and adds the key anew, so `new` comes
    // even when a value was replaced, and first.
    ctx.notify(notify::NEW, "new", dst);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    ctx.dirty += 1;
    reply_renamed(ctx, nx, true);
    Ok(())
}

fn reply_renamed(ctx: &mut Ctx<'_>, nx: bool, moved: bool) {
    if nx {
        ctx.w().int(i64::from(moved));
    } else {
        ctx.ok();
    }
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn cmd_copy(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst) = (arg(args, 1), arg(args, 2));
    let src_db = ctx.db_index();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "replace") {
            replace = true;
        } else if is(&args[i], "db") && i + 1 < args.len() {
            dst_db = parse_db_index(&args[i + 1], ctx.dbs.len())?;
            i += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        i += 1;
    }
    if src_db == dst_db && src == dst {
        return Err(same_object());
    }
    let Some(entry) = ctx.lookup_read(src) else {
        ctx.w().int(0);
        return Ok(());
    };
    let (value, expire_at) = (entry.value.clone(), entry.expire_at());
    let (now, secs) = (ctx.now_ms, ctx.now_secs());
    let target = &mut ctx.dbs[dst_db];
    if target.contains(dst, now) && !replace {
        ctx.w().int(0);
        return Ok(());
    }
    // The copy is a new value: its idle time starts now.
    target.set_with_expire(dst, value, expire_at);
    target.touch(dst, secs, now);
    // REPLACE deletes the old value first: the copy is always a new key.
    ctx.notify_in(dst_db, notify::NEW, "new", dst);
    ctx.notify_in(dst_db, notify::GENERIC, "copy_to", dst);
    ctx.dirty += 1;
    ctx.w().int(1);
    Ok(())
}

/// MOVE key db
pub fn cmd_move(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let dst_db = parse_db_index(arg(args, 2), ctx.dbs.len())?;
    let src_db = ctx.db_index();
    if dst_db == src_db {
        return Err(same_object());
    }
    let now = ctx.now_ms;
    if !lookup_write(ctx, key) || ctx.dbs[dst_db].contains(key, now) {
        ctx.w().int(0);
        return Ok(());
    }
    let Some(entry) = ctx.dbs[src_db].remove(key, now) else {
        ctx.w().int(0);
        return Ok(());
    };
    ctx.dbs[dst_db].put(key, entry);
    ctx.notify_in(dst_db, notify::NEW, "new", key);
    ctx.notify_in(src_db, notify::GENERIC, "move_from", key);
    ctx.notify_in(dst_db, notify::GENERIC, "move_to", key);
    ctx.dirty += 1;
    ctx.w().int(1);
    Ok(())
}

/// TOUCH key [key ...]
pub fn cmd_touch(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // TOUCH is the one command that touches in CLIENT NO-TOUCH mode.
    ctx.no_touch = false;
    let n = args[1..]
        .iter()
        .filter(|k| ctx.lookup_read(k).is_some())
        .count();
    ctx.w().int(n as i64);
    Ok(())
}

/// DUMP key
pub fn cmd_dump(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let opts = ferrite_persistence::rdb::encode::Options {
        compression: ctx.settings.rdb_compression,
        list_fill: ctx.settings.list_max_listpack_size,
        list_compress_depth: ctx.settings.list_compress_depth,
    };
    let payload = ctx
        .lookup_read(arg(args, 1))
        .map(|e| ferrite_persistence::rdb::encode::dump(&e.value, &opts));
    match payload {
        Some(p) => ctx.w().bulk(&p),
        None => ctx.w().null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn cmd_restore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let mut replace = false;
    let mut absttl = false;
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while let Some(opt) = args.get(j) {
        let more = args.get(j + 1);
        if is(opt, "replace") {
            replace = true;
        } else if is(opt, "absttl") {
            absttl = true;
        } else if let (true, Some(v), None) = (is(opt, "idletime"), more, freq) {
            let n = parse_i64(v)?;
            if n < 0 {
                return Err(CmdError::other("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(n);
            j += 1;
        } else if let (true, Some(v), None) = (is(opt, "freq"), more, idle) {
            let n = parse_i64(v)?;
            if !(0..=255).contains(&n) {
                return Err(CmdError::other(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(n);
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    if !replace && lookup_write(ctx, key) {
        return Err(CmdError::other("BUSYKEY Target key name already exists."));
    }
    let mut ttl = parse_i64(arg(args, 2))?;
    if ttl < 0 {
        return Err(CmdError::other("ERR Invalid TTL value, must be >= 0"));
    }
    let limits = rdb_limits(ctx.settings);
    let value = match ferrite_persistence::rdb::decode::decode_payload(arg(args, 3), &limits) {
        Ok(v) => v,
        Err(e) if e.kind == ferrite_persistence::rdb::decode::ErrorKind::BadFooter => {
            return Err(CmdError::other(
                "ERR DUMP payload version or checksum are wrong",
            ));
        }
        Err(_) => return Err(CmdError::other("ERR Bad data format")),
    };
    // REPLACE removes the old value silently: the key is then new.
    let now = ctx.now_ms;
    let deleted = replace && ctx.db().remove(key, now).is_some();
    if ttl > 0 && !absttl {
        ttl = ttl.saturating_add(i64::try_from(now).unwrap_or(i64::MAX));
    }
    if ttl > 0 && ttl <= i64::try_from(now).unwrap_or(i64::MAX) {
        // Already expired: the key is not created, and a replaced one is
        // journaled as deleted.
        if deleted {
            ctx.notify(notify::GENERIC, "del", key);
            ctx.dirty += 1;
            if ctx.journal {
                ctx.propagate(vec![
                    Bytes::from_static(b"DEL"),
                    Bytes::copy_from_slice(key),
                ]);
            }
        }
        ctx.ok();
        return Ok(());
    }
    let expire = if ttl > 0 {
        StoreTtl::At(ttl as u64)
    } else {
        StoreTtl::Clear
    };
    ctx.store(key, value, expire);
    if let (Some(idle), false) = (idle, ctx.settings.lfu_policy) {
        // The key's access time goes back by the idle time Redis's 24-bit
        // LRU clock would end up showing.
        let secs = ctx.now_secs();
        let back = u32::try_from(lru_idle_shown(idle, secs)).unwrap_or(u32::MAX);
        let db = ctx.db();
        if let Some(mut e) = db.take(key) {
            e.access_secs = secs.saturating_sub(back);
            db.put(key, e);
        }
    }
    if let (Some(freq), true) = (freq, ctx.settings.lfu_policy) {
        let secs = ctx.now_secs();
        let db = ctx.db();
        if let Some(mut e) = db.take(key) {
            e.set_lfu(secs, u8::try_from(freq).unwrap_or(u8::MAX));
            db.put(key, e);
        }
    }
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.dirty += 1;
    if ctx.journal && ttl > 0 && !absttl {
        // Journaled with the absolute expiry it got, as Redis rewrites it.
        let mut argv = args.to_vec();
        if let Some(t) = argv.get_mut(2) {
            *t = Bytes::from(ttl.to_string());
        }
        argv.push(Bytes::from_static(b"ABSTTL"));
        ctx.propagate(argv);
    }
    ctx.ok();
    Ok(())
}

/// Redis's LRU clock: seconds, in 24 bits (`LRU_CLOCK_MAX`).
const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;

/// The idle time OBJECT IDLETIME shows after RESTORE ... IDLETIME `idle`
/// at `now_secs`, as Redis computes it: the access time is set back on
/// its 24-bit clock (wrapping once), so idle times from 2^24 - 1 seconds
/// on wrap, and the multiplication by the clock resolution wraps too.
fn lru_idle_shown(idle: i64, now_secs: u32) -> i64 {
    let clock = i64::from(now_secs) & LRU_CLOCK_MAX;
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut abs = clock.wrapping_sub(idle);
    if abs < 0 {
        abs = abs.wrapping_add(LRU_CLOCK_MAX);
    }
    // Stored in a 24-bit field.
    let stored = abs & 0xFF_FFFF;
    if clock >= stored {
        clock - stored
    } else {
        clock + (LRU_CLOCK_MAX - stored)
    }
}

/// The encoding limits a restored or loaded value follows: the
/// configuration's (RESTORE uses them; so can the RDB loader).
pub fn rdb_limits(s: &crate::ctx::Settings) -> ferrite_persistence::rdb::decode::Limits {
    ferrite_persistence::rdb::decode::Limits {
        list_fill: s.list_max_listpack_size,
        hash: ferrite_storage::hash::HashLimits {
            max_entries: s.hash_max_listpack_entries,
            max_value: s.hash_max_listpack_value,
        },
        set_max_intset: s.set_max_intset_entries,
        zset: ferrite_storage::zset::ZSetLimits {
            max_entries: s.zset_max_listpack_entries,
            max_value: s.zset_max_listpack_value,
        },
    }
}

/// OBJECT ENCODING key
pub fn cmd_object_encoding(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match peek_quiet(ctx, arg(args, 2)) {
        Some(e) => {
            let enc = e.value.encoding();
            ctx.w().bulk(enc.as_bytes());
        }
        None => ctx.w().null(),
    }
    Ok(())
}

/// Integers in `0..SHARED_INTEGERS` are one shared object in Redis, whose
/// reference count is pinned at `i32::MAX`.
const SHARED_INTEGERS: i64 = 10_000;

/// OBJECT REFCOUNT key
pub fn cmd_object_refcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Ferrite never shares values; it answers what Redis would for the value.
    let count = peek_quiet(ctx, arg(args, 2)).map(|e| match e.value {
        Value::Str(StrValue::Int(n)) if (0..SHARED_INTEGERS).contains(&n) => i64::from(i32::MAX),
        _ => 1,
    });
    match count {
        Some(n) => ctx.w().int(n),
        None => ctx.w().null(),
    }
    Ok(())
}

/// OBJECT IDLETIME key
pub fn cmd_object_idletime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_secs();
    let Some(access) = peek_quiet(ctx, arg(args, 2)).map(|e| e.access_secs) else {
        ctx.w().null();
        return Ok(());
    };
    if ctx.settings.lfu_policy {
        return Err(CmdError::other(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.w().int(i64::from(now.saturating_sub(access)));
    Ok(())
}

/// OBJECT FREQ key
pub fn cmd_object_freq(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_secs();
    let i = ctx.db_index();
    // `lfu-decay-time` as the shard's database applies it (1, Redis's
    // default, where no LFU policy reached the database).
    let decay = ctx.dbs[i].lfu_params().map_or(1, |p| p.decay_time);
    let Some(freq) = peek_quiet(ctx, arg(args, 2)).map(|e| e.lfu_freq(now, decay)) else {
        ctx.w().null();
        return Ok(());
    };
    if !ctx.settings.lfu_policy {
        return Err(CmdError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    ctx.w().int(i64::from(freq));
    Ok(())
}

/// OBJECT HELP
pub fn cmd_object_help(ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Name the internal encoding in which the value of <key> is stored.",
        "FREQ <key>",
        "    Give the logarithmic access-frequency counter of <key> (only under an",
        "    LFU maxmemory policy).",
        "IDLETIME <key>",
        "    Give the number of seconds since <key> was last read or written.",
        "REFCOUNT <key>",
        "    Give the number of references held to the value of <key>.",
        "HELP",
        "    Print this list of subcommands.",
    ];
    let mut w = ctx.w();
    w.array(LINES.len());
    for line in LINES {
        w.simple(line.as_bytes());
    }
    Ok(())
}

/// Looks `key` up as Redis's read-without-touch does (EXISTS, TTL, TYPE):
/// counts a keyspace hit or miss (a miss with the `keymiss`
/// event), leaves the access time alone.
fn peek<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<&'c Entry> {
    let now = ctx.now_ms;
    let i = ctx.db_index();
    // A second lookup only while `keymiss` events are wanted: the returned
    // borrow keeps the miss branch of one lookup from recording it.
    if ctx.notifies(notify::KEY_MISS) && !ctx.dbs[i].contains(key, now) {
        ctx.stats.keyspace_misses += 1;
        ctx.notify(notify::KEY_MISS, "keymiss", key);
        return None;
    }
    peek_quiet(ctx, key)
}

/// [`peek`] without the `keymiss` event: OBJECT's lookups count a hit or a
/// miss but notify nothing, as in Redis.
fn peek_quiet<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<&'c Entry> {
    let now = ctx.now_ms;
    let i = ctx.db_index();
    let found = ctx.dbs[i].get(key, now);
    match found {
        Some(_) => ctx.stats.keyspace_hits += 1,
        None => ctx.stats.keyspace_misses += 1,
    }
    found
}

/// Looks `key` up as Redis's lookupKeyWrite does: removes it if expired,
/// refreshes its access time, counts nothing. True if the key is live.
fn lookup_write(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let (now, secs) = (ctx.now_ms, ctx.touch_secs());
    ctx.db().touch(key, secs, now)
}

/// Parses a database index as COPY and MOVE do: an `int` in the 32-bit
/// range, then a valid index, with Redis's errors.
pub fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let n = parse_i64(arg)?;
    let n = i32::try_from(n).map_err(|_| {
        CmdError::other("ERR value is out of range, value must between -2147483648 and 2147483647")
    })?;
    usize::try_from(n)
        .ok()
        .filter(|&i| i < databases)
        .ok_or(CmdError::DB_INDEX)
}

fn same_object() -> CmdError {
    CmdError::other("ERR source and destination objects are the same")
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Appends the live keys of `db` matching the glob `pattern` to `out` (KEYS).
pub fn op_keys(db: &mut Db, pattern: &[u8], now_ms: u64, out: &mut Vec<Bytes>) {
    // A lone `*` matches every key, the empty one included, as in Redis.
    let all = pattern == b"*";
    db.for_each_live(now_ms, |k, _| {
        if all || string_match(pattern, k, false) {
            out.push(Bytes::copy_from_slice(k));
        }
    });
}

/// SCAN's options (what follows the cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanArgs {
    /// MATCH pattern; None for no pattern or the lone `*`.
    pub pattern: Option<Bytes>,
    /// COUNT: how many positions one step visits (default 10).
    pub count: usize,
    /// TYPE filter.
    pub type_filter: Option<ValueType>,
    /// TYPE named no type a key can have: Redis 7.0 accepts it without error
    /// and the scan walks on returning no key.
    pub unknown_type: bool,
}

impl Default for ScanArgs {
    fn default() -> Self {
        ScanArgs {
            pattern: None,
            count: 10,
            type_filter: None,
            unknown_type: false,
        }
    }
}

impl ScanArgs {
    /// Whether a live key passes the MATCH and TYPE filters.
    pub fn accepts(&self, key: &[u8], entry: &Entry) -> bool {
        !self.unknown_type
            && self
                .type_filter
                .is_none_or(|t| entry.value.value_type() == t)
            && self
                .pattern
                .as_ref()
                .is_none_or(|p| string_match(p, key, false))
    }
}

/// The options of SSCAN, HSCAN and ZSCAN: MATCH and COUNT as SCAN parses
/// them; TYPE, which SCAN alone takes, is a syntax error at the place
/// Redis's parser meets it.
pub fn parse_member_scan_args(args: &[Bytes]) -> Result<ScanArgs, CmdError> {
    // Options are name/value pairs, so only even positions are names.
    let type_at = (0..args.len())
        .step_by(2)
        .find(|&i| i + 1 < args.len() && args.get(i).is_some_and(|a| is(a, "type")));
    let opts = parse_scan_args(
        args.get(..type_at.unwrap_or(args.len()))
            .unwrap_or_default(),
    )?;
    if type_at.is_some() {
        return Err(CmdError::SYNTAX);
    }
    Ok(opts)
}

/// Parses SCAN's options after the cursor with Redis 7.0's rules: COUNT must
/// be an integer (else the not-an-integer error) of at least 1 (else a syntax
/// error), an option missing its value or an unknown word is a syntax error,
/// and a repeated option keeps its last value.
pub fn parse_scan_args(args: &[Bytes]) -> Result<ScanArgs, CmdError> {
    let mut a = ScanArgs::default();
    let mut i = 0;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return Err(CmdError::SYNTAX);
        };
        let opt = &args[i];
        if is(opt, "count") {
            let n = parse_i64(value)?;
            if n < 1 {
                return Err(CmdError::SYNTAX);
            }
            a.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is(opt, "match") {
            a.pattern = (&value[..] != b"*").then(|| value.clone());
        } else if is(opt, "type") {
            a.type_filter = ValueType::parse(value);
            a.unknown_type = a.type_filter.is_none();
        } else {
            return Err(CmdError::SYNTAX);
        }
        i += 2;
    }
    Ok(a)
}

/// One SCAN step over `db` from `cursor` (0 starts): appends the keys that
/// pass the filters to `out` and returns the next cursor (0 when done).
pub fn op_scan(db: &mut Db, cursor: u64, a: &ScanArgs, now_ms: u64, out: &mut Vec<Bytes>) -> u64 {
    db.scan(cursor, a.count, now_ms, |k, e| {
        if a.accepts(k, e) {
            out.push(Bytes::copy_from_slice(k));
        }
    })
}

/// A command line for the journal ([`Ctx::propagate`]), built from its
/// parts; the families share it for the effects they journal in place of
/// the command as received. Called only while [`Ctx::journal`] is on.
pub(crate) fn cmdline(parts: &[&[u8]]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

/// The decimal text of `n`, as an argument of a journaled command line.
pub(crate) fn num_arg(n: impl std::fmt::Display) -> Vec<u8> {
    n.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::{Settings, Stats};
    use bytes::BytesMut;
    use std::collections::HashSet;

    const NOW: u64 = 1_700_000_000_000;

    /// A shard of 16 databases and the clock a test drives.
    struct Harness {
        dbs: Vec<Db>,
        db: usize,
        now_ms: u64,
        settings: Settings,
        stats: Stats,
        dirty: u64,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                dbs: (0..16).map(|_| Db::new()).collect(),
                db: 0,
                now_ms: NOW,
                settings: Settings::default(),
                stats: Stats::default(),
                dirty: 0,
            }
        }

        /// Runs one command through its row's handler and returns the raw reply.
        fn run(&mut self, cmd: &[&str]) -> String {
            let args: Vec<Bytes> = cmd
                .iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect();
            let table = crate::table();
            let mut spec = table.get(&args[0]).expect("command in table");
            if matches!(spec.exec, Exec::Container) {
                spec = spec.subcommand(&args[1]).expect("subcommand");
            }
            assert!(spec.arity_ok(args.len()), "arity of {cmd:?}");
            let Exec::Keyed(handler) = spec.exec else {
                panic!("{cmd:?} is not keyed")
            };
            let mut out = BytesMut::new();
            let mut ctx = Ctx::new(
                &mut self.dbs,
                self.db,
                self.now_ms,
                &mut out,
                false,
                &self.settings,
                &mut self.stats,
            );
            let result = handler(&mut ctx, &args);
            self.dirty += ctx.dirty;
            match result {
                Ok(()) => String::from_utf8_lossy(&out).into_owned(),
                Err(e) => format!("-{e}\r\n"),
            }
        }

        fn set(&mut self, key: &str, value: &str) {
            self.dbs[self.db].set(key.as_bytes(), Value::string(value.as_bytes()));
        }

        fn advance(&mut self, ms: u64) {
            self.now_ms += ms;
        }
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn err(text: &str) -> String {
        format!("-{text}\r\n")
    }

    const OK: &str = "+OK\r\n";
    const NIL: &str = "$-1\r\n";

    #[test]
    fn del_unlink_exists_count_as_redis_does() {
        let mut h = Harness::new();
        h.set("a", "1");
        h.set("b", "2");
        assert_eq!(h.run(&["exists", "a", "a", "b", "nokey"]), int(3));
        assert_eq!(h.stats.keyspace_hits, 3);
        assert_eq!(h.stats.keyspace_misses, 1);
        assert_eq!(h.run(&["del", "a", "a", "nokey"]), int(1));
        assert_eq!(h.run(&["unlink", "b", "nokey"]), int(1));
        assert_eq!(h.run(&["exists", "a", "b"]), int(0));
        assert_eq!(h.dirty, 2);
    }

    #[test]
    fn expired_keys_are_gone_for_every_command() {
        let mut h = Harness::new();
        h.set("k", "v");
        assert_eq!(h.run(&["pexpire", "k", "100"]), int(1));
        h.advance(100);
        assert_eq!(h.run(&["exists", "k"]), int(0));
        assert_eq!(h.run(&["ttl", "k"]), int(-2));
        assert_eq!(h.run(&["type", "k"]), "+none\r\n");
        assert_eq!(h.run(&["rename", "k", "x"]), err("ERR no such key"));
        assert_eq!(h.run(&["del", "k"]), int(0));
    }

    #[test]
    fn expire_options_and_their_errors() {
        let mut h = Harness::new();
        h.set("k", "v");
        let nx = "ERR NX and XX, GT or LT options at the same time are not compatible";
        let gtlt = "ERR GT and LT options at the same time are not compatible";
        assert_eq!(h.run(&["expire", "k", "10", "nx", "xx"]), err(nx));
        assert_eq!(h.run(&["expire", "k", "10", "NX", "lt"]), err(nx));
        assert_eq!(h.run(&["expire", "k", "10", "gt", "lt"]), err(gtlt));
        assert_eq!(h.run(&["expire", "k", "10", "xx", "gt", "lt"]), err(gtlt));
        assert_eq!(
            h.run(&["expire", "k", "10", "foo"]),
            err("ERR Unsupported option foo")
        );
        // Options are checked before the number.
        assert_eq!(
            h.run(&["expire", "k", "abc", "foo"]),
            err("ERR Unsupported option foo")
        );
        assert_eq!(
            h.run(&["expire", "k", "abc"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(h.dirty, 0);

        assert_eq!(h.run(&["expire", "k", "10", "xx"]), int(0));
        assert_eq!(h.run(&["expire", "k", "10", "gt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "100", "NX"]), int(1));
        assert_eq!(h.run(&["expire", "k", "100", "nx"]), int(0));
        assert_eq!(h.run(&["expire", "k", "50", "gt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "100", "gt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "200", "gt"]), int(1));
        assert_eq!(h.run(&["ttl", "k"]), int(200));
        assert_eq!(h.run(&["expire", "k", "300", "lt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "200", "lt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "100", "lt", "xx"]), int(1));
        assert_eq!(h.run(&["ttl", "k"]), int(100));
        assert_eq!(h.run(&["persist", "k"]), int(1));
        // No expiry is an infinite TTL: LT always passes, GT never does.
        assert_eq!(h.run(&["expire", "k", "100", "gt"]), int(0));
        assert_eq!(h.run(&["expire", "k", "100", "lt"]), int(1));
        assert_eq!(h.run(&["expire", "nokey", "100"]), int(0));
    }

    #[test]
    fn expire_overflow_rules() {
        let mut h = Harness::new();
        h.set("k", "v");
        let bad = |name: &str| err(&format!("ERR invalid expire time in '{name}' command"));
        assert_eq!(
            h.run(&["expire", "k", "9223372036854775807"]),
            bad("expire")
        );
        assert_eq!(h.run(&["expire", "k", "9223372036854776"]), bad("expire"));
        assert_eq!(h.run(&["expire", "k", "-9223372036854776"]), bad("expire"));
        assert_eq!(
            h.run(&["pexpire", "k", "9223372036854775807"]),
            bad("pexpire")
        );
        assert_eq!(
            h.run(&["expireat", "k", "9223372036854776"]),
            bad("expireat")
        );
        // The error comes before the key is looked at.
        assert_eq!(
            h.run(&["pexpire", "nokey", "9223372036854775807"]),
            bad("pexpire")
        );
        assert_eq!(h.run(&["expireat", "k", "9223372036854775"]), int(1));
        assert_eq!(h.run(&["pexpireat", "k", "9223372036854775807"]), int(1));
        assert_eq!(h.run(&["pexpiretime", "k"]), int(i64::MAX));
        // (ms + 500) / 1000 without overflowing.
        assert_eq!(h.run(&["expiretime", "k"]), int(9223372036854776));
        assert_eq!(h.run(&["pttl", "k"]), int(i64::MAX - NOW as i64));
        // A huge negative time in milliseconds is simply in the past.
        assert_eq!(h.run(&["pexpire", "k", "-9223372036854775808"]), int(1));
        assert_eq!(h.run(&["exists", "k"]), int(0));
    }

    #[test]
    fn a_time_in_the_past_deletes_the_key() {
        let mut h = Harness::new();
        for (i, cmd) in [
            ["expire", "k", "0"],
            ["pexpire", "k", "-1"],
            ["expireat", "k", "1"],
            ["pexpireat", "k", NOW.to_string().as_str()],
        ]
        .iter()
        .enumerate()
        {
            h.set("k", "v");
            assert_eq!(h.run(cmd), int(1), "{cmd:?}");
            assert_eq!(h.run(&["exists", "k"]), int(0), "{cmd:?}");
            assert_eq!(h.dirty, i as u64 + 1);
            assert_eq!(h.dbs[0].expired_count, 0);
        }
        // One millisecond ahead is the future.
        h.set("k", "v");
        let next = (NOW + 1).to_string();
        assert_eq!(h.run(&["pexpireat", "k", &next]), int(1));
        assert_eq!(h.run(&["pttl", "k"]), int(1));
    }

    #[test]
    fn ttl_rounds_to_the_nearest_second() {
        let mut h = Harness::new();
        h.set("k", "v");
        assert_eq!(h.run(&["ttl", "k"]), int(-1));
        assert_eq!(h.run(&["pttl", "k"]), int(-1));
        assert_eq!(h.run(&["expiretime", "k"]), int(-1));
        assert_eq!(h.run(&["ttl", "nokey"]), int(-2));
        assert_eq!(h.run(&["pexpiretime", "nokey"]), int(-2));
        for (ms, secs) in [(1500, 2), (1499, 1), (500, 1), (499, 0), (1, 0)] {
            assert_eq!(h.run(&["pexpire", "k", &ms.to_string()]), int(1));
            assert_eq!(h.run(&["ttl", "k"]), int(secs), "{ms} ms");
            assert_eq!(h.run(&["pttl", "k"]), int(ms));
        }
        assert_eq!(
            h.run(&["pexpireat", "k", &(NOW + 2500).to_string()]),
            int(1)
        );
        assert_eq!(
            h.run(&["expiretime", "k"]),
            int(((NOW + 2500 + 500) / 1000) as i64)
        );
        assert_eq!(h.run(&["pexpiretime", "k"]), int((NOW + 2500) as i64));
    }

    #[test]
    fn persist_only_counts_a_removed_expiry() {
        let mut h = Harness::new();
        h.set("k", "v");
        assert_eq!(h.run(&["persist", "k"]), int(0));
        assert_eq!(h.run(&["persist", "nokey"]), int(0));
        assert_eq!(h.dirty, 0);
        h.run(&["expire", "k", "10"]);
        assert_eq!(h.run(&["persist", "k"]), int(1));
        assert_eq!(h.run(&["ttl", "k"]), int(-1));
        assert_eq!(h.dbs[0].expires_len(), 0);
    }

    #[test]
    fn type_names() {
        let mut h = Harness::new();
        h.set("k", "v");
        assert_eq!(h.run(&["type", "k"]), "+string\r\n");
        assert_eq!(h.run(&["type", "nokey"]), "+none\r\n");
    }

    #[test]
    fn rename_moves_value_and_ttl() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["rename", "a", "a"]), err("ERR no such key"));
        assert_eq!(h.run(&["renamenx", "a", "b"]), err("ERR no such key"));
        h.set("a", "1");
        assert_eq!(h.run(&["rename", "a", "a"]), OK);
        assert_eq!(h.run(&["renamenx", "a", "a"]), int(0));
        assert_eq!(h.dirty, 0);
        h.run(&["expire", "a", "100"]);
        h.set("b", "2");
        h.run(&["expire", "b", "500"]);
        assert_eq!(h.run(&["rename", "a", "b"]), OK);
        assert_eq!(h.run(&["ttl", "b"]), int(100));
        assert_eq!(h.run(&["exists", "a"]), int(0));
        assert_eq!(h.run(&["object", "encoding", "b"]), "$3\r\nint\r\n");
        // A source without TTL leaves the destination without one.
        h.set("a", "3");
        assert_eq!(h.run(&["rename", "a", "b"]), OK);
        assert_eq!(h.run(&["ttl", "b"]), int(-1));
        assert_eq!(h.dbs[0].expires_len(), 0);
        h.set("a", "4");
        assert_eq!(h.run(&["renamenx", "a", "b"]), int(0));
        assert_eq!(h.run(&["renamenx", "a", "c"]), int(1));
        assert_eq!(h.run(&["exists", "a", "b", "c"]), int(2));
    }

    #[test]
    fn copy_options_and_errors() {
        let mut h = Harness::new();
        h.set("c", "hello");
        let same = err("ERR source and destination objects are the same");
        assert_eq!(h.run(&["copy", "c", "c"]), same);
        assert_eq!(h.run(&["copy", "nokey", "nokey"]), same);
        assert_eq!(h.run(&["copy", "c", "c", "db", "0"]), same);
        assert_eq!(h.run(&["copy", "c", "d", "db"]), err("ERR syntax error"));
        assert_eq!(h.run(&["copy", "c", "d", "foo"]), err("ERR syntax error"));
        assert_eq!(
            h.run(&["copy", "c", "d", "db", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["copy", "c", "d", "db", "99999999999"]),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        for db in ["16", "-1"] {
            assert_eq!(
                h.run(&["copy", "c", "d", "db", db]),
                err("ERR DB index is out of range")
            );
        }
        // Options are checked in order: the first problem wins.
        assert_eq!(
            h.run(&["copy", "c", "d", "db", "16", "foo"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            h.run(&["copy", "c", "d", "foo", "db", "16"]),
            err("ERR syntax error")
        );
        assert_eq!(h.dirty, 0);

        assert_eq!(h.run(&["copy", "nokey", "x"]), int(0));
        assert_eq!(h.run(&["copy", "c", "c", "db", "1"]), int(1));
        h.run(&["pexpire", "c", "5000"]);
        assert_eq!(h.run(&["copy", "c", "d"]), int(1));
        assert_eq!(h.run(&["pttl", "d"]), int(5000));
        assert_eq!(h.run(&["copy", "c", "d"]), int(0));
        h.run(&["persist", "c"]);
        assert_eq!(h.run(&["copy", "c", "d", "REPLACE"]), int(1));
        assert_eq!(h.run(&["pttl", "d"]), int(-1));
        assert_eq!(h.run(&["copy", "c", "e", "replace", "db", "3"]), int(1));
        assert_eq!(h.dirty, 6);
        h.db = 3;
        assert_eq!(h.run(&["type", "e"]), "+string\r\n");
        h.db = 1;
        assert_eq!(h.run(&["object", "encoding", "c"]), "$6\r\nembstr\r\n");
    }

    #[test]
    fn move_between_databases() {
        let mut h = Harness::new();
        let same = err("ERR source and destination objects are the same");
        assert_eq!(h.run(&["move", "c", "0"]), same);
        for db in ["16", "-1"] {
            assert_eq!(
                h.run(&["move", "c", db]),
                err("ERR DB index is out of range")
            );
        }
        assert_eq!(
            h.run(&["move", "c", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["move", "c", "99999999999"]),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(h.run(&["move", "c", "2"]), int(0));
        h.set("c", "x");
        h.run(&["expire", "c", "100"]);
        assert_eq!(h.run(&["move", "c", "2"]), int(1));
        assert_eq!(h.run(&["exists", "c"]), int(0));
        h.set("c", "y");
        assert_eq!(h.run(&["move", "c", "2"]), int(0));
        h.db = 2;
        assert_eq!(h.run(&["ttl", "c"]), int(100));
        assert_eq!(h.dbs[2].expires_len(), 1);
        assert_eq!(h.dbs[0].expires_len(), 0);
        assert_eq!(h.dirty, 2);
    }

    #[test]
    fn access_time_follows_redis_lookups() {
        let mut h = Harness::new();
        for k in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            h.set(k, "value");
            h.run(&["touch", k]);
        }
        h.run(&["expire", "h", "1000"]);
        h.advance(5000);
        for cmd in [
            &["ttl", "a"][..],
            &["type", "b"],
            &["exists", "c"],
            &["object", "encoding", "i"],
            &["expire", "d", "1000"],
            &["persist", "h"],
            &["rename", "e", "e2"],
            &["copy", "f", "f2"],
            &["touch", "g"],
        ] {
            h.run(cmd);
        }
        h.advance(2000);
        for (k, idle) in [
            ("a", 7),
            ("b", 7),
            ("c", 7),
            ("i", 7),
            ("j", 7),
            ("d", 2),
            ("h", 2),
            ("e2", 2),
            ("f", 2),
            ("f2", 2),
            ("g", 2),
        ] {
            assert_eq!(h.run(&["object", "idletime", k]), int(idle), "{k}");
        }
        assert_eq!(h.run(&["object", "idletime", "nokey"]), NIL);
    }

    #[test]
    fn object_subcommands() {
        let mut h = Harness::new();
        h.set("n", "5");
        h.set("big", "12345");
        h.set("s", "v");
        h.set("raw", &"x".repeat(45));
        assert_eq!(h.run(&["object", "encoding", "n"]), "$3\r\nint\r\n");
        assert_eq!(h.run(&["object", "encoding", "raw"]), "$3\r\nraw\r\n");
        assert_eq!(h.run(&["object", "encoding", "nokey"]), NIL);
        assert_eq!(h.run(&["object", "refcount", "n"]), int(2147483647));
        assert_eq!(h.run(&["object", "refcount", "big"]), int(1));
        assert_eq!(h.run(&["object", "refcount", "s"]), int(1));
        assert_eq!(h.run(&["object", "refcount", "nokey"]), NIL);
        assert_eq!(
            h.run(&["object", "freq", "s"]),
            err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        );
        assert_eq!(h.run(&["object", "freq", "nokey"]), NIL);
        h.settings.lfu_policy = true;
        h.dbs[0].set_lfu(Some(ferrite_storage::evict::LfuParams::default()));
        // A new key starts at 5; an access at or below 5 always counts;
        // each idle minute takes one off (lfu-decay-time 1).
        h.run(&["set", "f", "v"]);
        assert_eq!(h.run(&["object", "freq", "f"]), int(5));
        h.run(&["get", "f"]);
        assert_eq!(h.run(&["object", "freq", "f"]), int(6));
        h.advance(3 * 60_000);
        assert_eq!(h.run(&["object", "freq", "f"]), int(3));
        assert!(h
            .run(&["object", "idletime", "s"])
            .starts_with("-ERR An LFU maxmemory policy is selected"));
        let help = h.run(&["object", "help"]);
        assert!(help.starts_with(
            "*12\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Print this list of subcommands.\r\n"));
    }

    #[test]
    fn object_null_is_resp3_null() {
        let mut h = Harness::new();
        let mut out = BytesMut::new();
        let mut ctx = Ctx::new(
            &mut h.dbs,
            0,
            NOW,
            &mut out,
            true,
            &h.settings,
            &mut h.stats,
        );
        let args = [
            Bytes::from_static(b"object"),
            Bytes::from_static(b"encoding"),
            Bytes::from_static(b"k"),
        ];
        cmd_object_encoding(&mut ctx, &args).unwrap();
        assert_eq!(&out[..], b"_\r\n");
    }

    fn keys(db: &mut Db, pattern: &str, now: u64) -> HashSet<String> {
        let mut out = Vec::new();
        op_keys(db, pattern.as_bytes(), now, &mut out);
        out.iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    fn set_of(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keys_matches_live_keys() {
        let mut db = Db::new();
        for k in ["foo", "foobar", "bar", ""] {
            db.set(k.as_bytes(), Value::string(b"v"));
        }
        db.set_with_expire(b"fox", Value::string(b"v"), Some(10));
        assert_eq!(
            keys(&mut db, "*", 5),
            set_of(&["foo", "foobar", "bar", "", "fox"])
        );
        assert_eq!(
            keys(&mut db, "*", 10),
            set_of(&["foo", "foobar", "bar", ""])
        );
        assert_eq!(keys(&mut db, "fo*", 5), set_of(&["foo", "foobar", "fox"]));
        assert_eq!(keys(&mut db, "fo?", 20), set_of(&["foo"]));
        assert_eq!(keys(&mut db, "nothing", 20), set_of(&[]));
    }

    fn scan_args(args: &[&str]) -> Result<ScanArgs, CmdError> {
        let args: Vec<Bytes> = args
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        parse_scan_args(&args)
    }

    #[test]
    fn scan_args_follow_redis() {
        assert_eq!(scan_args(&[]).unwrap(), ScanArgs::default());
        let a = scan_args(&["MATCH", "a*", "count", "5", "type", "STRING"]).unwrap();
        assert_eq!(a.pattern.as_deref(), Some(&b"a*"[..]));
        assert_eq!(a.count, 5);
        assert_eq!(a.type_filter, Some(ValueType::String));
        assert!(!a.unknown_type);
        // The lone `*` is no pattern; the last of a repeated option wins.
        let a = scan_args(&["match", "a", "match", "*", "type", "foo", "type", "list"]).unwrap();
        assert_eq!(a.pattern, None);
        assert_eq!(a.type_filter, Some(ValueType::List));
        assert!(!a.unknown_type);
        let a = scan_args(&["type", "foo"]).unwrap();
        assert!(a.unknown_type);
        for bad in [
            &["count", "0"][..],
            &["count", "-1"],
            &["count"],
            &["match"],
            &["foo"],
            &["foo", "bar"],
        ] {
            assert_eq!(scan_args(bad), Err(CmdError::SYNTAX), "{bad:?}");
        }
        for bad in [&["count", "x"][..], &["count", "99999999999999999999"]] {
            assert_eq!(scan_args(bad), Err(CmdError::NOT_INTEGER), "{bad:?}");
        }
    }

    fn full_scan(db: &mut Db, a: &ScanArgs, now: u64) -> (HashSet<String>, usize) {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            let mut out = Vec::new();
            cursor = op_scan(db, cursor, a, now, &mut out);
            seen.extend(out.iter().map(|k| String::from_utf8_lossy(k).into_owned()));
            steps += 1;
            if cursor == 0 {
                return (seen, steps);
            }
        }
    }

    #[test]
    fn scan_filters_and_walks_to_the_end() {
        let mut db = Db::new();
        for i in 0..100 {
            db.set(format!("key:{i}").as_bytes(), Value::string(b"v"));
        }
        db.set_with_expire(b"key:gone", Value::string(b"v"), Some(10));
        db.set(b"other", Value::string(b"v"));
        let all = scan_args(&["count", "7"]).unwrap();
        let (seen, steps) = full_scan(&mut db, &all, 20);
        assert_eq!(seen.len(), 101);
        assert!(!seen.contains("key:gone"));
        assert!(steps >= 100 / 7);
        let m = scan_args(&["match", "key:1?", "count", "1000"]).unwrap();
        let (seen, steps) = full_scan(&mut db, &m, 20);
        assert_eq!(seen, (10..20).map(|i| format!("key:{i}")).collect());
        assert_eq!(steps, 1);
        for (t, n) in [("string", 101), ("list", 0), ("foo", 0)] {
            let a = scan_args(&["type", t]).unwrap();
            assert_eq!(full_scan(&mut db, &a, 20).0.len(), n, "{t}");
        }
        assert_eq!(op_scan(&mut Db::new(), 0, &all, 0, &mut Vec::new()), 0);
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = crate::testing::TestShard::notifying(COMMANDS, false);
        s.check_events(&[
            (
                "MSET a 1 b 2 c 3",
                &["new a", "set a", "new b", "set b", "new c", "set c"],
            ),
            // One `del` per key deleted, in argument order.
            ("DEL a b nope c", &["del a", "del b", "del c"]),
            ("DEL nope", &[]),
            ("SET a 1", &["new a", "set a"]),
            ("UNLINK a", &["del a"]),
            ("SET a 1", &["new a", "set a"]),
            ("EXISTS a", &[]),
            ("EXPIRE a 100", &["expire a"]),
            ("EXPIRE a 100 NX", &[]),
            ("EXPIRE a 200 XX", &["expire a"]),
            ("EXPIRE a 50 GT", &[]),
            ("EXPIRE a 300 GT", &["expire a"]),
            ("PEXPIRE a 400000", &["expire a"]),
            ("EXPIREAT a 99999999999", &["expire a"]),
            ("PEXPIREAT a 99999999999999", &["expire a"]),
            // A time already past deletes the key, as DEL: `del`.
            ("EXPIRE a 0", &["del a"]),
            ("SET a 1", &["new a", "set a"]),
            ("EXPIRE a -1", &["del a"]),
            ("SET a 1", &["new a", "set a"]),
            ("PEXPIRE a -100", &["del a"]),
            ("SET a 1", &["new a", "set a"]),
            ("EXPIREAT a 1", &["del a"]),
            ("SET a 1", &["new a", "set a"]),
            ("PEXPIREAT a 1", &["del a"]),
            ("EXPIRE nope 10", &[]),
            ("SET a 1", &["new a", "set a"]),
            ("EXPIRE a 100", &["expire a"]),
            ("PERSIST a", &["persist a"]),
            ("PERSIST a", &[]),
            ("TTL a", &[]),
            ("TYPE a", &[]),
            ("TOUCH a nope", &[]),
            ("OBJECT ENCODING a", &[]),
            // RENAME: `new` for the destination (even one replaced), then
            // `rename_from` and `rename_to`; nothing for a rename to itself.
            ("SET r 1", &["new r", "set r"]),
            ("EXPIRE r 100", &["expire r"]),
            ("RENAME r r2", &["new r2", "rename_from r", "rename_to r2"]),
            ("SET r3 x", &["new r3", "set r3"]),
            (
                "RENAME r2 r3",
                &["new r3", "rename_from r2", "rename_to r3"],
            ),
            ("RENAME r3 r3", &[]),
            ("RENAME nope r", &[]),
            (
                "RENAMENX r3 r4",
                &["new r4", "rename_from r3", "rename_to r4"],
            ),
            ("SET r5 x", &["new r5", "set r5"]),
            ("RENAMENX r4 r5", &[]),
            ("RENAMENX r4 r4", &[]),
            // COPY: `new` (REPLACE deletes first) and `copy_to`, in the
            // destination database.
            ("SET c1 v", &["new c1", "set c1"]),
            ("COPY c1 c2", &["new c2", "copy_to c2"]),
            ("COPY c1 c2", &[]),
            ("COPY c1 c2 REPLACE", &["new c2", "copy_to c2"]),
            ("COPY c1 c3 DB 1", &["new c3 (db1)", "copy_to c3 (db1)"]),
            (
                "COPY c1 c3 DB 1 REPLACE",
                &["new c3 (db1)", "copy_to c3 (db1)"],
            ),
            ("COPY c1 c1", &[]),
            ("COPY nope c5", &[]),
            // MOVE: `new` and `move_to` in the target database, `move_from`
            // in the source one, between them.
            ("SET m v", &["new m", "set m"]),
            (
                "MOVE m 1",
                &["new m (db1)", "move_from m", "move_to m (db1)"],
            ),
            ("SET m v", &["new m", "set m"]),
            ("MOVE m 1", &[]),
            ("MOVE nope 1", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = crate::testing::TestShard::notifying(COMMANDS, true);
        s.check_events(&[
            ("EXISTS nope nope2", &["keymiss nope", "keymiss nope2"]),
            ("TYPE nope", &["keymiss nope"]),
            ("TTL nope", &["keymiss nope"]),
            ("PTTL nope", &["keymiss nope"]),
            ("EXPIRETIME nope", &["keymiss nope"]),
            ("TOUCH nope", &["keymiss nope"]),
            ("COPY nope dst", &["keymiss nope"]),
            // OBJECT counts its misses but does not notify them.
            ("OBJECT ENCODING nope", &[]),
            ("OBJECT REFCOUNT nope", &[]),
            ("OBJECT IDLETIME nope", &[]),
            ("OBJECT FREQ nope", &[]),
            // Lookups for writing never notify a miss.
            ("RENAME nope x", &[]),
            ("MOVE nope 1", &[]),
            ("EXPIRE nope 10", &[]),
            ("PERSIST nope", &[]),
            ("DEL nope", &[]),
        ]);
    }

    #[test]
    fn dump_follows_rdbcompression_and_touches_the_key() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["dump", "nokey"]), NIL);
        assert_eq!(h.stats.keyspace_misses, 1);
        // The harness shows replies as lossy text: compare frames that way.
        let frame = |payload: &[u8]| {
            let mut f = format!("${}\r\n", payload.len()).into_bytes();
            f.extend_from_slice(payload);
            f.extend_from_slice(b"\r\n");
            String::from_utf8_lossy(&f).into_owned()
        };
        // redis-server 7.0.15: DUMP of "5".
        h.set("n", "5");
        assert_eq!(
            h.run(&["dump", "n"]),
            frame(b"\x00\xc0\x05\x0a\x00\x63\x2f\x5f\x66\x83\x2f\xb3\x51")
        );
        // And of 25 a's, compressed unless rdbcompression is off.
        let long = "a".repeat(25);
        h.set("s", &long);
        let body = b"\x00\xc3\x09\x19\x01aa\xe0\x0c\x00\x01aa\x0a\x00";
        let crc = ferrite_persistence::crc64(body).to_le_bytes();
        assert_eq!(h.run(&["dump", "s"]), frame(&[&body[..], &crc].concat()));
        h.settings.rdb_compression = false;
        let mut body = vec![0, 25];
        body.extend_from_slice(long.as_bytes());
        body.extend_from_slice(&[10, 0]);
        let crc = ferrite_persistence::crc64(&body).to_le_bytes();
        assert_eq!(h.run(&["dump", "s"]), frame(&[&body[..], &crc].concat()));
        h.advance(5000);
        h.run(&["dump", "s"]);
        assert_eq!(h.run(&["object", "idletime", "s"]), int(0));
    }

    /// What Redis 7.0.15 wrote to its AOF for the EXPIRE family (checked
    /// with a real server): relative times and EXPIREAT become `PEXPIREAT
    /// key <ms>` with the options as sent, PEXPIREAT stays as received, a
    /// time already past becomes DEL, and a refused condition journals
    /// nothing.
    #[test]
    fn journaled_effects() {
        use crate::string::journal_check::journals;
        use crate::testing::{TestShard, T0};
        let mut s = TestShard::new(COMMANDS);
        let at = |ms: u64| T0 + ms;
        journals(&mut s, "set a 1", &["set a 1"]);
        journals(
            &mut s,
            "expire a 100",
            &[&format!("PEXPIREAT a {}", at(100_000))],
        );
        assert_eq!(s.entry("a").and_then(|e| e.expire_at()), Some(at(100_000)));
        journals(
            &mut s,
            "pexpire a 100000",
            &[&format!("PEXPIREAT a {}", at(100_000))],
        );
        journals(
            &mut s,
            "expireat a 9999999999",
            &["PEXPIREAT a 9999999999000"],
        );
        journals(
            &mut s,
            "pexpireat a 9999999999000",
            &["pexpireat a 9999999999000"],
        );
        journals(&mut s, "expire a 100 GT", &[]);
        journals(
            &mut s,
            "expire a 100 lt",
            &[&format!("PEXPIREAT a {} lt", at(100_000))],
        );
        journals(&mut s, "expire a 200 nx", &[]);
        journals(
            &mut s,
            "expire a 200 XX",
            &[&format!("PEXPIREAT a {} XX", at(200_000))],
        );
        journals(&mut s, "persist a", &["persist a"]);
        journals(&mut s, "persist a", &[]);
        journals(&mut s, "expire a 100 gt", &[]);
        journals(&mut s, "expire a 100 xx", &[]);
        journals(
            &mut s,
            "expire a 100 nx",
            &[&format!("PEXPIREAT a {} nx", at(100_000))],
        );
        journals(&mut s, "expire nokey 100", &[]);
        journals(&mut s, "expire a -1", &["DEL a"]);
        assert!(s.entry("a").is_none());
        journals(&mut s, "set a 1", &["set a 1"]);
        journals(&mut s, "pexpire a 0", &["DEL a"]);
        journals(&mut s, "set a 1", &["set a 1"]);
        journals(&mut s, "expireat a 1 nx", &["DEL a"]);
        journals(&mut s, "set a 1", &["set a 1"]);
        journals(&mut s, "expire a 9223372036854775807", &[]);
        journals(&mut s, "expire a 9223372036854770", &[]);
        journals(&mut s, "pexpire a 9223372036854775807", &[]);
        journals(&mut s, "expire a 100 nx xx", &[]);
        journals(&mut s, "expire a abc", &[]);
        journals(&mut s, "expire a -1 gt", &[]);
        journals(
            &mut s,
            "pexpireat a 9223372036854775807",
            &["pexpireat a 9223372036854775807"],
        );
        journals(&mut s, "expire a -1 gt", &[]);
        journals(&mut s, "expire a -1 lt", &["DEL a"]);
        journals(&mut s, "set b 1", &["set b 1"]);
        journals(&mut s, "pexpireat b 1", &["DEL b"]);
        journals(&mut s, "set b 1", &["set b 1"]);
        journals(&mut s, "PEXPIREAT b 1000 gt", &[]);
        journals(&mut s, "pexpire b -9223372036854775808", &["DEL b"]);
        journals(&mut s, "set b 1", &["set b 1"]);
        journals(&mut s, "expireat b -9223372036854775", &["DEL b"]);
        journals(&mut s, "set b 1", &["set b 1"]);
        journals(&mut s, "expireat b -9223372036854776", &[]);
        journals(&mut s, "pexpireat b -9223372036854775808", &["DEL b"]);
        journals(&mut s, "set d 1", &["set d 1"]);
        journals(
            &mut s,
            "expire d 100 NX",
            &[&format!("PEXPIREAT d {} NX", at(100_000))],
        );
        journals(
            &mut s,
            "pexpire d 1000 XX",
            &[&format!("PEXPIREAT d {} XX", at(1_000))],
        );
        journals(
            &mut s,
            "pexpire d 500000 GT",
            &[&format!("PEXPIREAT d {} GT", at(500_000))],
        );
        journals(&mut s, "expire d 100 ZZ", &[]);
        journals(&mut s, "expire d 100 gt lt", &[]);
        journals(&mut s, "set e 1", &["set e 1"]);
        journals(&mut s, "expireat e 0", &["DEL e"]);
        journals(&mut s, "set e 1", &["set e 1"]);
        journals(&mut s, "pexpireat e 0 xx", &[]);
        journals(&mut s, "pexpireat e 0 nx", &["DEL e"]);
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::{journals, no_effects_unless_journaling};
        use crate::testing::TestShard;
        let mut s = TestShard::new(COMMANDS);
        journals(&mut s, "set k v", &["set k v"]);
        journals(&mut s, "rename k k", &[]);
        journals(&mut s, "copy k k", &[]);
        journals(&mut s, "touch k", &[]);
        journals(&mut s, "unlink nokey", &[]);
        journals(&mut s, "del nokey k", &["del nokey k"]);
        journals(&mut s, "del k", &[]);
        journals(&mut s, "set a 1", &["set a 1"]);
        no_effects_unless_journaling(&mut s, "EXPIRE a 100");
        assert!(s.entry("a").and_then(|e| e.expire_at()).is_some());
        no_effects_unless_journaling(&mut s, "EXPIRE a -1");
        assert!(s.entry("a").is_none());
    }

    /// Runs RESTORE with binary arguments and the journal on; returns the
    /// reply and what it journals.
    fn restore(h: &mut Harness, args: &[&[u8]]) -> (String, Option<Vec<Vec<Bytes>>>) {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let mut out = BytesMut::new();
        let mut ctx = Ctx::new(
            &mut h.dbs,
            h.db,
            h.now_ms,
            &mut out,
            false,
            &h.settings,
            &mut h.stats,
        );
        ctx.journal = true;
        let result = cmd_restore(&mut ctx, &args);
        let effects = ctx
            .effects
            .take()
            .map(|v| v.into_iter().map(|e| e.argv).collect());
        let reply = match result {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(e) => format!("-{e}\r\n"),
        };
        (reply, effects)
    }

    #[test]
    fn restore_journals_as_redis_does() {
        let mut h = Harness::new();
        let payload = ferrite_persistence::rdb::encode::dump(
            &Value::string(b"hello"),
            &ferrite_persistence::rdb::encode::Options::default(),
        );
        let p = payload.as_slice();
        // No TTL: journaled as received (no rewrite).
        assert_eq!(
            restore(&mut h, &[b"RESTORE", b"k1", b"0", p]),
            (OK.into(), None)
        );
        // A relative TTL becomes absolute, with ABSTTL appended after the
        // other options (redis-server 7.0.15's appendonly file).
        let (reply, eff) = restore(
            &mut h,
            &[
                b"RESTORE",
                b"k2",
                b"100000",
                p,
                b"REPLACE",
                b"IDLETIME",
                b"5",
            ],
        );
        assert_eq!(reply, OK);
        let abs = (NOW + 100_000).to_string();
        let want: Vec<Bytes> = [
            &b"RESTORE"[..],
            b"k2",
            abs.as_bytes(),
            p,
            b"REPLACE",
            b"IDLETIME",
            b"5",
            b"ABSTTL",
        ]
        .iter()
        .map(|a| Bytes::copy_from_slice(a))
        .collect();
        assert_eq!(eff, Some(vec![want]));
        assert_eq!(h.run(&["pttl", "k2"]), int(100_000));
        // An ABSTTL in the future: as received.
        let far = (NOW + 5_000).to_string();
        let (reply, eff) = restore(&mut h, &[b"RESTORE", b"k3", far.as_bytes(), p, b"ABSTTL"]);
        assert_eq!((reply.as_str(), eff), (OK, None));
        // Already expired and replacing: journaled as DEL; not replacing:
        // nothing changed.
        let (reply, eff) = restore(&mut h, &[b"RESTORE", b"k1", b"1", p, b"ABSTTL", b"REPLACE"]);
        assert_eq!(reply, OK);
        assert_eq!(
            eff,
            Some(vec![vec![
                Bytes::from_static(b"DEL"),
                Bytes::from_static(b"k1")
            ]])
        );
        assert_eq!(h.run(&["exists", "k1"]), int(0));
        let dirty = h.dirty;
        let (reply, eff) = restore(&mut h, &[b"RESTORE", b"k9", b"1", p, b"ABSTTL"]);
        assert_eq!((reply.as_str(), eff, h.dirty), (OK, None, dirty));
        assert_eq!(h.run(&["exists", "k9"]), int(0));
    }

    #[test]
    fn restore_idletime_sets_the_access_time() {
        let mut h = Harness::new();
        let payload = ferrite_persistence::rdb::encode::dump(
            &Value::string(b"v"),
            &ferrite_persistence::rdb::encode::Options::default(),
        );
        let (reply, _) = restore(
            &mut h,
            &[b"RESTORE", b"k", b"0", &payload, b"IDLETIME", b"1000"],
        );
        assert_eq!(reply, OK);
        assert_eq!(h.run(&["object", "idletime", "k"]), int(1000));
        // redis-server 7.0.15 at a clock of 167354 (mod 2^24): idle times
        // wrap on the 24-bit LRU clock.
        let now = 107 * (1 << 24) + 167_354;
        assert_eq!(lru_idle_shown(16_777_214, now), 16_777_214);
        assert_eq!(lru_idle_shown(16_777_215, now), 0);
        assert_eq!(lru_idle_shown(20_000_000, now), 3_222_784);
        assert_eq!(lru_idle_shown(i64::MAX, now), 16_777_214);
        assert_eq!(h.run(&["type", "k"]), "+string\r\n");
    }
}
