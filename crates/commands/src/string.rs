//! The string group: GET, SET and its variants, counters (INCR ...,
//! INCRBYFLOAT), in-place edits (APPEND, SETRANGE), ranges, multi-key
//! MGET/MSET/MSETNX and LCS.
//!
//! Encodings follow what Redis 7.0 reports through `OBJECT ENCODING`: values
//! stored whole from an argument (SET, MSET, GETSET, SETNX, SETEX, a new key
//! of APPEND) take [`StrValue::from_bytes`] (`int` or `embstr`/`raw` by
//! length); counters are always `int`; INCRBYFLOAT's text is stored as given
//! (never `int`, even for `3`); APPEND and SETRANGE on an existing key, and
//! SETRANGE creating one, leave `raw`.
//!
//! Every write refreshes the key's access time, because Redis's lookups for
//! writing (and a fresh object) reset the LRU clock that OBJECT IDLETIME reads.

use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::num::{fmt_long_double_human, parse_long_double, LongDouble};
use ferrite_storage::{Db, Entry, StoreTtl, StrValue, Value};

use crate::ctx::{notify, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::generic::{cmdline, num_arg};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, is, parse_i64};

/// The string group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("append", 3, Group::String, Exec::Keyed(cmd_append))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc(
            "Appends a string to a key's value, creating the key if needed.",
            "2.0.0",
        ),
    CommandSpec::new("decr", 2, Group::String, Exec::Keyed(cmd_decr))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Subtracts one from a key's integer value.", "1.0.0"),
    CommandSpec::new("decrby", 3, Group::String, Exec::Keyed(cmd_decrby))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Subtracts a number from a key's integer value.", "1.0.0"),
    CommandSpec::new("get", 2, Group::String, Exec::Keyed(cmd_get))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@string", "@fast"])
        .doc("Returns a key's string value.", "1.0.0"),
    CommandSpec::new("getdel", 2, Group::String, Exec::Keyed(cmd_getdel))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Returns a key's string value and deletes the key.", "6.2.0"),
    CommandSpec::new("getex", -2, Group::String, Exec::Keyed(cmd_getex))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc(
            "Returns a key's string value and sets or removes its expiry.",
            "6.2.0",
        ),
    CommandSpec::new("getrange", 4, Group::String, Exec::Keyed(cmd_getrange))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@string", "@slow"])
        .doc(
            "Returns a substring of a key's value, by inclusive offsets.",
            "2.4.0",
        ),
    CommandSpec::new("getset", 3, Group::String, Exec::Keyed(cmd_getset))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Sets a key's value and returns the previous one.", "1.0.0"),
    CommandSpec::new("incr", 2, Group::String, Exec::Keyed(cmd_incr))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Adds one to a key's integer value.", "1.0.0"),
    CommandSpec::new("incrby", 3, Group::String, Exec::Keyed(cmd_incrby))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc("Adds a number to a key's integer value.", "1.0.0"),
    CommandSpec::new(
        "incrbyfloat",
        3,
        Group::String,
        Exec::Keyed(cmd_incrbyfloat),
    )
    .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
    .keys(1, 1, 1)
    .acl(&["@write", "@string", "@fast"])
    .doc(
        "Adds a floating-point number to a key's numeric value.",
        "2.6.0",
    ),
    CommandSpec::new("lcs", -3, Group::String, Exec::Keyed(cmd_lcs))
        .flags(Flags::READONLY)
        .keys(1, 2, 1)
        .acl(&["@read", "@string", "@slow"])
        .doc(
            "Finds the longest common subsequence of two keys' values.",
            "7.0.0",
        ),
    CommandSpec::new("mget", -2, Group::String, Exec::Keyed(cmd_mget))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, -1, 1)
        .acl(&["@read", "@string", "@fast"])
        .tips(&["request_policy:multi_shard"])
        .doc("Returns the string values of several keys.", "1.0.0"),
    CommandSpec::new("mset", -3, Group::String, Exec::Keyed(cmd_mset))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, -1, 2)
        .acl(&["@write", "@string", "@slow"])
        .tips(&[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ])
        .doc("Sets several keys to string values at once.", "1.0.1"),
    CommandSpec::new("msetnx", -3, Group::String, Exec::Keyed(cmd_msetnx))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, -1, 2)
        .acl(&["@write", "@string", "@slow"])
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("Sets several keys only if none of them exists.", "1.0.1"),
    CommandSpec::new("psetex", 4, Group::String, Exec::Keyed(cmd_psetex))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@slow"])
        .doc(
            "Sets a key's value with a time to live in milliseconds.",
            "2.6.0",
        ),
    CommandSpec::new("set", -3, Group::String, Exec::Keyed(cmd_set))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@slow"])
        .doc(
            "Sets a key's string value, with optional expiry and conditions.",
            "1.0.0",
        ),
    CommandSpec::new("setex", 4, Group::String, Exec::Keyed(cmd_setex))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@slow"])
        .doc(
            "Sets a key's value with a time to live in seconds.",
            "2.0.0",
        ),
    CommandSpec::new("setnx", 3, Group::String, Exec::Keyed(cmd_setnx))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@fast"])
        .doc(
            "Sets a key's value only if the key does not exist.",
            "1.0.0",
        ),
    CommandSpec::new("setrange", 4, Group::String, Exec::Keyed(cmd_setrange))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@slow"])
        .doc(
            "Overwrites part of a key's value from an offset, padding with zero bytes.",
            "2.2.0",
        ),
    CommandSpec::new("strlen", 2, Group::String, Exec::Keyed(cmd_strlen))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@string", "@fast"])
        .doc("Returns the length of a key's value.", "2.2.0"),
    CommandSpec::new("substr", 4, Group::String, Exec::Keyed(cmd_substr))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@string", "@slow"])
        .doc(
            "Returns a substring of a key's value (old name of GETRANGE).",
            "1.0.0",
        ),
];

const INVALID_EXPIRE_SET: &str = "ERR invalid expire time in 'set' command";
const INVALID_EXPIRE_SETEX: &str = "ERR invalid expire time in 'setex' command";
const INVALID_EXPIRE_PSETEX: &str = "ERR invalid expire time in 'psetex' command";
const INVALID_EXPIRE_GETEX: &str = "ERR invalid expire time in 'getex' command";
const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LCS_LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const LCS_TOO_LONG: &str = "ERR String too long for LCS";
const LCS_NO_MEMORY: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";

/// The largest LCS table (in bytes) Ferrite will allocate. Redis tries any
/// size and reports failure only when malloc fails; with overcommit that is
/// an OOM kill instead, so past this size Ferrite gives Redis's
/// allocation-failure error up front.
const LCS_MAX_TABLE_BYTES: u64 = 1 << 32;

/// GET key
pub fn cmd_get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    reply_get(ctx, arg(args, 1)).map(|_| ())
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
pub fn cmd_set(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let opts = parse_ext_options(args, 3, OptionsFor::Set)?;
    let expire = match opts.expire {
        Some((unit, raw)) => Some(expire_at_ms(unit, raw, ctx.now_ms, INVALID_EXPIRE_SET)?),
        None => None,
    };
    let ttl = match expire {
        Some(at) => Ttl::At(at),
        None if opts.keepttl => Ttl::Keep,
        None => Ttl::Clear,
    };
    let cond = if opts.nx {
        Cond::Nx
    } else if opts.xx {
        Cond::Xx
    } else {
        Cond::Always
    };
    set_generic(
        ctx,
        arg(args, 1),
        arg(args, 2),
        cond,
        opts.get,
        ttl,
        SetReply::Ok,
    )
}

/// SETNX key value
pub fn cmd_setnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    set_generic(
        ctx,
        arg(args, 1),
        arg(args, 2),
        Cond::Nx,
        false,
        Ttl::Clear,
        SetReply::OneZero,
    )
}

/// SETEX key seconds value
pub fn cmd_setex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let at = expire_at_ms(Unit::Ex, arg(args, 2), ctx.now_ms, INVALID_EXPIRE_SETEX)?;
    set_generic(
        ctx,
        arg(args, 1),
        arg(args, 3),
        Cond::Always,
        false,
        Ttl::At(at),
        SetReply::Ok,
    )
}

/// PSETEX key milliseconds value
pub fn cmd_psetex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let at = expire_at_ms(Unit::Px, arg(args, 2), ctx.now_ms, INVALID_EXPIRE_PSETEX)?;
    set_generic(
        ctx,
        arg(args, 1),
        arg(args, 3),
        Cond::Always,
        false,
        Ttl::At(at),
        SetReply::Ok,
    )
}

/// GETSET key value
pub fn cmd_getset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    reply_get(ctx, key)?;
    store(ctx, key, StrValue::from_bytes(arg(args, 2)), Ttl::Clear);
    ctx.notify(notify::STRING, "set", key);
    ctx.dirty += 1;
    // Redis 7.0 journals GETSET as the SET it amounts to.
    if ctx.journal {
        ctx.propagate(cmdline(&[b"SET", key, arg(args, 2)]));
    }
    Ok(())
}

/// GETDEL key
pub fn cmd_getdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    if reply_get(ctx, key)? && ctx.delete(key) {
        ctx.dirty += 1;
        if ctx.journal {
            ctx.propagate(cmdline(&[b"DEL", key]));
        }
    }
    Ok(())
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
pub fn cmd_getex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let opts = parse_ext_options(args, 2, OptionsFor::Get)?;
    // Redis looks the key up (and checks its type) before it validates the
    // time, so a missing key answers nil even with an invalid time.
    let had_ttl = match as_str(ctx.lookup_read(key))? {
        None => {
            ctx.w().null();
            return Ok(());
        }
        Some((_, e)) => e.expire_at().is_some(),
    };
    let expire = match opts.expire {
        Some((unit, raw)) => Some((
            unit,
            expire_at_ms(unit, raw, ctx.now_ms, INVALID_EXPIRE_GETEX)?,
        )),
        None => None,
    };
    let now = ctx.now_ms;
    {
        let (entry, mut w) = peek_with_writer(ctx, key);
        match entry.map(|e| &e.value) {
            Some(Value::Str(s)) => s.with_bytes(|b| w.bulk(b)),
            _ => w.null(),
        }
    }
    // The journal records the effect (DEL, PEXPIREAT at the absolute time,
    // PERSIST), never GETEX itself, so that a replay does not depend on when
    // it runs.
    let changed = match expire {
        // An absolute time already past deletes the key (it is not counted
        // as expired: Redis deletes it as DEL would, with a `del` event).
        Some((Unit::ExAt | Unit::PxAt, at)) if at <= now => {
            let deleted = ctx.delete(key);
            if deleted && ctx.journal {
                ctx.propagate(cmdline(&[b"DEL", key]));
            }
            deleted
        }
        Some((_, at)) => {
            let set = ctx.db().set_expire(key, Some(at), now);
            if set {
                ctx.notify(notify::GENERIC, "expire", key);
                if ctx.journal {
                    ctx.propagate(cmdline(&[b"PEXPIREAT", key, &num_arg(at)]));
                }
            }
            set
        }
        None if opts.persist && had_ttl => {
            let removed = ctx.db().set_expire(key, None, now);
            if removed {
                ctx.notify(notify::GENERIC, "persist", key);
                if ctx.journal {
                    ctx.propagate(cmdline(&[b"PERSIST", key]));
                }
            }
            removed
        }
        None => false,
    };
    if changed {
        ctx.dirty += 1;
    }
    Ok(())
}

/// GETRANGE key start end
pub fn cmd_getrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_i64(arg(args, 2))?;
    let end = parse_i64(arg(args, 3))?;
    let (entry, mut w) = ctx.lookup_read_with_writer(arg(args, 1));
    match as_str(entry)? {
        None => w.bulk(b""),
        Some((s, _)) => s.with_bytes(|b| w.bulk(op_range(b, start, end))),
    }
    Ok(())
}

/// SUBSTR key start end
pub fn cmd_substr(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    cmd_getrange(ctx, args)
}

/// STRLEN key
pub fn cmd_strlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx.read_str(arg(args, 1))?.map_or(0, StrValue::len);
    ctx.w().int(len as i64);
    Ok(())
}

/// INCR key
pub fn cmd_incr(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, arg(args, 1), 1)
}

/// DECR key
pub fn cmd_decr(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, arg(args, 1), -1)
}

/// INCRBY key increment
pub fn cmd_incrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_i64(arg(args, 2))?;
    incr_by(ctx, arg(args, 1), delta)
}

/// DECRBY key decrement
pub fn cmd_decrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_i64(arg(args, 2))?;
    // Negating i64::MIN has no i64 result; Redis refuses it whatever the key holds.
    let delta = delta
        .checked_neg()
        .ok_or_else(|| CmdError::other(DECREMENT_OVERFLOW))?;
    incr_by(ctx, arg(args, 1), delta)
}

/// INCRBYFLOAT key increment
pub fn cmd_incrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let now = ctx.now_ms;
    // Redis checks the stored value (type, then number) before the increment.
    let current = match ctx.db().get(key, now).map(|e| &e.value) {
        None => LongDouble::from_i64(0),
        Some(Value::Str(s)) => op_long_double(s).ok_or(CmdError::NOT_FLOAT)?,
        #[allow(unreachable_patterns)]
        Some(_) => return Err(CmdError::WRONG_TYPE),
    };
    let incr = parse_long_double(arg(args, 2)).ok_or(CmdError::NOT_FLOAT)?;
    let sum = current.add(incr);
    if !sum.is_finite() {
        return Err(CmdError::other(NAN_OR_INFINITY));
    }
    let mut text = Vec::new();
    fmt_long_double_human(&sum, &mut text);
    ctx.w().bulk(&text);
    // The sum's text is journaled, not the increment: floating-point
    // arithmetic need not give the same digits on another machine.
    if ctx.journal {
        ctx.propagate(cmdline(&[b"SET", key, &text, b"KEEPTTL"]));
    }
    // Stored as the text, never `int`: Redis builds a plain string object here.
    store(ctx, key, StrValue::Plain(text.into()), Ttl::Keep);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.dirty += 1;
    Ok(())
}

/// APPEND key value
pub fn cmd_append(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let tail = arg(args, 2);
    let now = ctx.now_ms;
    let max = ctx.settings.proto_max_bulk_len;
    let len = match ctx.db().get_mut(key, now) {
        Some(Value::Str(s)) => {
            check_total_len(s.len() as u64, tail.len() as u64, max)?;
            let bytes = s.make_raw();
            bytes.extend_from_slice(tail);
            bytes.len()
        }
        #[allow(unreachable_patterns)]
        Some(_) => return Err(CmdError::WRONG_TYPE),
        None => {
            ctx.store(key, Value::string(tail), StoreTtl::Clear);
            tail.len()
        }
    };
    touch(ctx, key);
    ctx.notify(notify::STRING, "append", key);
    ctx.dirty += 1;
    ctx.w().int(len as i64);
    Ok(())
}

/// SETRANGE key offset value
pub fn cmd_setrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let offset = parse_i64(arg(args, 2))?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err(CmdError::other(OFFSET_OUT_OF_RANGE));
    };
    let patch = arg(args, 3);
    let now = ctx.now_ms;
    let max = ctx.settings.proto_max_bulk_len;
    let len = match ctx.db().get_mut(key, now) {
        Some(Value::Str(s)) => {
            if patch.is_empty() {
                // Nothing to write: the value (and its encoding) stays as it is.
                let len = s.len();
                ctx.w().int(len as i64);
                return Ok(());
            }
            let end = check_total_len(offset, patch.len() as u64, max)?;
            let bytes = s.make_raw();
            op_write_at(bytes, offset as usize, end, patch);
            bytes.len()
        }
        #[allow(unreachable_patterns)]
        Some(_) => return Err(CmdError::WRONG_TYPE),
        None => {
            if patch.is_empty() {
                ctx.w().int(0);
                return Ok(());
            }
            let end = check_total_len(offset, patch.len() as u64, max)?;
            let mut bytes = Vec::new();
            op_write_at(&mut bytes, offset as usize, end, patch);
            let len = bytes.len();
            ctx.store(key, Value::Str(StrValue::Raw(bytes)), StoreTtl::Clear);
            len
        }
    };
    touch(ctx, key);
    ctx.notify(notify::STRING, "setrange", key);
    ctx.dirty += 1;
    ctx.w().int(len as i64);
    Ok(())
}

/// MGET key [key ...]
pub fn cmd_mget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let keys = args.get(1..).unwrap_or_default();
    ctx.w().array(keys.len());
    for key in keys {
        let (entry, mut w) = ctx.lookup_read_with_writer(key);
        // MGET answers nil for a key of another type rather than failing.
        match entry.map(|e| &e.value) {
            Some(Value::Str(s)) => s.with_bytes(|b| w.bulk(b)),
            #[allow(unreachable_patterns)]
            _ => w.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]
pub fn cmd_mset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::wrong_arity(b"mset"));
    }
    mset_pairs(ctx, args);
    ctx.ok();
    Ok(())
}

/// MSETNX key value [key value ...]
pub fn cmd_msetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::wrong_arity(b"msetnx"));
    }
    let now = ctx.now_ms;
    let pairs = args.get(1..).unwrap_or_default();
    let any_exists = pairs
        .chunks_exact(2)
        .any(|pair| ctx.db().contains(&pair[0], now));
    if any_exists {
        ctx.w().int(0);
        return Ok(());
    }
    mset_pairs(ctx, args);
    ctx.w().int(1);
    Ok(())
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
pub fn cmd_lcs(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Redis looks both keys up first, so a wrong type beats a bad option.
    let a = lcs_operand(ctx, arg(args, 1))?;
    let b = lcs_operand(ctx, arg(args, 2))?;
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(CmdError::other(LCS_NOT_STRINGS)),
    };
    let mut get_len = false;
    let mut get_idx = false;
    let mut with_match_len = false;
    let mut min_match_len: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = arg(args, j);
        let more = j + 1 < args.len();
        if is(opt, "IDX") {
            get_idx = true;
        } else if is(opt, "LEN") {
            get_len = true;
        } else if is(opt, "WITHMATCHLEN") {
            with_match_len = true;
        } else if is(opt, "MINMATCHLEN") && more {
            min_match_len = parse_i64(arg(args, j + 1))?.max(0);
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    if get_idx && get_len {
        return Err(CmdError::other(LCS_LEN_AND_IDX));
    }
    let lcs = op_lcs(&a, &b, get_idx || !get_len)?;
    let mut w = ctx.w();
    if get_idx {
        w.map(2);
        w.bulk(b"matches");
        let kept: Vec<&LcsMatch> = lcs
            .matches
            .iter()
            .filter(|m| min_match_len == 0 || i64::from(m.len) >= min_match_len)
            .collect();
        w.array(kept.len());
        for m in kept {
            w.array(if with_match_len { 3 } else { 2 });
            w.array(2);
            w.int(i64::from(m.a.0));
            w.int(i64::from(m.a.1));
            w.array(2);
            w.int(i64::from(m.b.0));
            w.int(i64::from(m.b.1));
            if with_match_len {
                w.int(i64::from(m.len));
            }
        }
        w.bulk(b"len");
        w.int(i64::from(lcs.len));
    } else if get_len {
        w.int(i64::from(lcs.len));
    } else {
        w.bulk(&lcs.text);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shared pieces of the handlers.
// ---------------------------------------------------------------------------

/// Which command's extended options are being parsed: SET takes NX, XX, GET
/// and KEEPTTL; GETEX takes PERSIST.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptionsFor {
    Set,
    Get,
}

/// How an expiry argument is to be read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
    /// Relative seconds.
    Ex,
    /// Relative milliseconds.
    Px,
    /// Absolute Unix seconds.
    ExAt,
    /// Absolute Unix milliseconds.
    PxAt,
}

/// The options of SET and GETEX, as Redis's shared parser accepts them.
#[derive(Default)]
struct ExtOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The last expiry given (Redis lets the same one repeat; the last wins).
    expire: Option<(Unit, &'a [u8])>,
}

/// Parses SET/GETEX options from `args[start..]`. Only the grammar is checked
/// here; expiry values are validated later, at the point Redis does.
fn parse_ext_options(
    args: &[Bytes],
    start: usize,
    cmd: OptionsFor,
) -> Result<ExtOptions<'_>, CmdError> {
    let set = cmd == OptionsFor::Set;
    let mut o = ExtOptions::default();
    let mut j = start;
    while j < args.len() {
        let opt = arg(args, j);
        let next = args.get(j + 1).map(|b| &b[..]);
        let expire_unit = o.expire.map(|(u, _)| u);
        let ttl_fixed = o.keepttl || o.persist;
        // An expiry option may repeat itself but not follow another kind.
        let expire_ok = |u: Unit| !ttl_fixed && expire_unit.is_none_or(|e| e == u);
        if set && is(opt, "NX") && !o.xx {
            o.nx = true;
        } else if set && is(opt, "XX") && !o.nx {
            o.xx = true;
        } else if set && is(opt, "GET") {
            o.get = true;
        } else if set && is(opt, "KEEPTTL") && !o.persist && expire_unit.is_none() {
            o.keepttl = true;
        } else if !set && is(opt, "PERSIST") && !o.keepttl && expire_unit.is_none() {
            o.persist = true;
        } else if let Some((unit, value)) = [
            ("EX", Unit::Ex),
            ("PX", Unit::Px),
            ("EXAT", Unit::ExAt),
            ("PXAT", Unit::PxAt),
        ]
        .into_iter()
        .find(|&(name, unit)| is(opt, name) && expire_ok(unit))
        .and_then(|(_, unit)| next.map(|v| (unit, v)))
        {
            o.expire = Some((unit, value));
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

/// Turns an expiry argument into an absolute time in Unix milliseconds, with
/// Redis's checks: positive, and no overflow in the conversion to
/// milliseconds or in adding the current time.
fn expire_at_ms(
    unit: Unit,
    raw: &[u8],
    now_ms: u64,
    invalid: &'static str,
) -> Result<u64, CmdError> {
    let v = parse_i64(raw)?;
    let invalid = || CmdError::other(invalid);
    if v <= 0 {
        return Err(invalid());
    }
    let ms = match unit {
        Unit::Ex | Unit::ExAt => v.checked_mul(1000).ok_or_else(invalid)?,
        Unit::Px | Unit::PxAt => v,
    };
    let at = match unit {
        Unit::Ex | Unit::Px => {
            let now = i64::try_from(now_ms).map_err(|_| invalid())?;
            ms.checked_add(now).ok_or_else(invalid)?
        }
        Unit::ExAt | Unit::PxAt => ms,
    };
    // `at` is positive here, so the conversion cannot fail.
    u64::try_from(at).map_err(|_| invalid())
}

/// SET's condition on the key's existence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    Nx,
    Xx,
}

/// What happens to the key's time to live on a write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ttl {
    /// Removed (plain SET).
    Clear,
    /// Kept (KEEPTTL, INCRBYFLOAT).
    Keep,
    /// Set to this absolute time in Unix milliseconds.
    At(u64),
}

/// The replies of SET (`+OK`/nil) and SETNX (`:1`/`:0`) when GET is not given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetReply {
    Ok,
    OneZero,
}

/// The common part of SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    value: &[u8],
    cond: Cond,
    get: bool,
    ttl: Ttl,
    reply: SetReply,
) -> CmdResult {
    if get {
        // The old value is the reply whether or not the condition holds;
        // a key of another type fails the whole command.
        reply_get(ctx, key)?;
    }
    if cond != Cond::Always {
        let now = ctx.now_ms;
        let found = ctx.db().contains(key, now);
        if (cond == Cond::Nx && found) || (cond == Cond::Xx && !found) {
            if !get {
                match reply {
                    SetReply::Ok => ctx.w().null(),
                    SetReply::OneZero => ctx.w().int(0),
                }
            }
            return Ok(());
        }
    }
    store(ctx, key, StrValue::from_bytes(value), ttl);
    ctx.notify(notify::STRING, "set", key);
    if let Ttl::At(at) = ttl {
        ctx.notify(notify::GENERIC, "expire", key);
        // Any expiry (EX/PX/EXAT/PXAT, SETEX, PSETEX) is journaled as the
        // absolute time stored, without NX/XX/GET, which held already.
        if ctx.journal {
            ctx.propagate(cmdline(&[b"SET", key, value, b"PXAT", &num_arg(at)]));
        }
    }
    ctx.dirty += 1;
    if !get {
        match reply {
            SetReply::Ok => ctx.ok(),
            SetReply::OneZero => ctx.w().int(1),
        }
    }
    Ok(())
}

/// Sets every key/value pair of MSET/MSETNX (`args[1..]`), removing TTLs.
fn mset_pairs(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    for pair in args.get(1..).unwrap_or_default().chunks_exact(2) {
        store(ctx, &pair[0], StrValue::from_bytes(&pair[1]), Ttl::Clear);
        ctx.notify(notify::STRING, "set", &pair[0]);
        ctx.dirty += 1;
    }
}

/// Stores a whole new value under `key` (with the `new` event for a new key).
fn store(ctx: &mut Ctx<'_>, key: &[u8], value: StrValue, ttl: Ttl) {
    // Redis looks the key up for writing first: a stale key is counted as
    // expired before it is replaced, and the key gets a fresh access time.
    // A time already past (SET ... PXAT 1) is stored as is: Redis 7.0 keeps
    // the key and lets it expire lazily.
    let ttl = match ttl {
        Ttl::Clear => StoreTtl::Clear,
        Ttl::Keep => StoreTtl::Keep,
        Ttl::At(at) => StoreTtl::At(at),
    };
    ctx.store(key, Value::Str(value), ttl);
}

/// Resets the key's access time after a write, as a fresh Redis object (or
/// a lookup for writing) does.
fn touch(ctx: &mut Ctx<'_>, key: &[u8]) {
    let now = ctx.now_ms;
    let secs = ctx.now_secs();
    ctx.db().touch(key, secs, now);
}

/// INCR/DECR/INCRBY/DECRBY: adds `delta` to the integer under `key` (0 if
/// missing), keeping the TTL, and replies the result.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CmdResult {
    let now = ctx.now_ms;
    let secs = ctx.touch_secs();
    let result = match ctx.db().get_mut_touch(key, secs, now) {
        Some(Value::Str(s)) => {
            let n = op_incr(s, delta)?;
            *s = StrValue::Int(n);
            n
        }
        #[allow(unreachable_patterns)]
        Some(_) => return Err(CmdError::WRONG_TYPE),
        None => {
            ctx.store(key, Value::Str(StrValue::Int(delta)), StoreTtl::Clear);
            delta
        }
    };
    // INCR, DECR and DECRBY all publish `incrby`, as in Redis.
    ctx.notify(notify::STRING, "incrby", key);
    ctx.dirty += 1;
    ctx.w().int(result);
    Ok(())
}

/// Writes the bulk value of string `key` (or nil if missing), counting the
/// lookup as Redis's GET does. Returns whether the key existed.
fn reply_get(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CmdError> {
    let (entry, mut w) = ctx.lookup_read_with_writer(key);
    match as_str(entry)? {
        Some((s, _)) => {
            s.with_bytes(|b| w.bulk(b));
            Ok(true)
        }
        None => {
            w.null();
            Ok(false)
        }
    }
}

/// The string under `key`, with its entry, or WRONGTYPE for another type.
fn as_str(entry: Option<&Entry>) -> Result<Option<(&StrValue, &Entry)>, CmdError> {
    match entry {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(Some((s, e))),
            #[allow(unreachable_patterns)]
            _ => Err(CmdError::WRONG_TYPE),
        },
    }
}

/// Looks `key` up without counting it or touching it, with the reply writer.
fn peek_with_writer<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> (Option<&'c Entry>, Writer<'c>) {
    let now = ctx.now_ms;
    let i = ctx.db_index();
    let w = Writer::new(&mut *ctx.out, ctx.resp3);
    let entry = ctx.dbs.get_mut(i).and_then(|db: &mut Db| db.get(key, now));
    (entry, w)
}

/// An LCS operand: the key's bytes (empty if missing), or None for another type.
fn lcs_operand(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
    match ctx.lookup_read(key).map(|e| &e.value) {
        None => Ok(Some(Vec::new())),
        Some(Value::Str(s)) => Ok(Some(s.to_vec())),
        #[allow(unreachable_patterns)]
        Some(_) => Ok(None),
    }
}

/// Checks that a string of `size + extra` bytes may exist (Redis's
/// checkStringLength), without building it. Returns the total.
fn check_total_len(size: u64, extra: u64, max: u64) -> Result<u64, CmdError> {
    match size.checked_add(extra) {
        Some(total) if total <= max => Ok(total),
        _ => Err(CmdError::STRING_TOO_LONG),
    }
}

// ---------------------------------------------------------------------------
// Pure operations.
// ---------------------------------------------------------------------------

/// The bytes GETRANGE returns for inclusive offsets `start..=end`, negative
/// offsets counting from the end, clamped as Redis clamps them.
pub fn op_range(s: &[u8], start: i64, end: i64) -> &[u8] {
    if start < 0 && end < 0 && start > end {
        return b"";
    }
    let len = s.len() as i64;
    let mut start = if start < 0 {
        len.wrapping_add(start)
    } else {
        start
    };
    let mut end = if end < 0 { len.wrapping_add(end) } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if len == 0 || start > end {
        return b"";
    }
    // 0 <= start <= end < len here.
    s.get(start as usize..=end as usize).unwrap_or_default()
}

/// The integer a counter command reads from `s` plus `delta`, or Redis's error.
pub fn op_incr(s: &StrValue, delta: i64) -> Result<i64, CmdError> {
    let current = match s {
        StrValue::Int(n) => *n,
        StrValue::Plain(_) | StrValue::Raw(_) => s
            .with_bytes(ferrite_storage::num::parse_i64)
            .ok_or(CmdError::NOT_INTEGER)?,
    };
    current.checked_add(delta).ok_or(CmdError::OVERFLOW)
}

/// The long double INCRBYFLOAT reads from a stored value, if it is one.
pub fn op_long_double(s: &StrValue) -> Option<LongDouble> {
    match s {
        StrValue::Int(n) => Some(LongDouble::from_i64(*n)),
        StrValue::Plain(_) | StrValue::Raw(_) => s.with_bytes(parse_long_double),
    }
}

/// Writes `patch` at `offset` into `bytes`, growing it with zero bytes to
/// `end` (= offset + patch length, already checked against the size limit).
fn op_write_at(bytes: &mut Vec<u8>, offset: usize, end: u64, patch: &[u8]) {
    let end = end as usize;
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    if let Some(dst) = bytes.get_mut(offset..end) {
        dst.copy_from_slice(patch);
    }
}

/// One run of consecutive matching bytes in LCS's IDX reply: inclusive
/// ranges in the first and second string, and the run's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcsMatch {
    /// Range in the first string.
    pub a: (u32, u32),
    /// Range in the second string.
    pub b: (u32, u32),
    /// Length of the run.
    pub len: u32,
}

/// The result of [`op_lcs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcs {
    /// Length of the longest common subsequence.
    pub len: u32,
    /// The subsequence (empty when not asked for).
    pub text: Vec<u8>,
    /// Matching runs, from the end of the strings backwards (empty when not asked for).
    pub matches: Vec<LcsMatch>,
}

/// The longest common subsequence of `a` and `b` by the classic dynamic
/// programme, walked back with Redis's tie-break (prefer shortening `b`) so
/// that the same subsequence and runs come out. With `walk` false only the
/// length is computed.
pub fn op_lcs(a: &[u8], b: &[u8], walk: bool) -> Result<Lcs, CmdError> {
    if a.len() as u64 >= u64::from(u32::MAX) - 1 || b.len() as u64 >= u64::from(u32::MAX) - 1 {
        return Err(CmdError::other(LCS_TOO_LONG));
    }
    let alen = a.len();
    let blen = b.len();
    let width = blen + 1;
    let cells = (alen as u64 + 1) * (width as u64);
    if cells.saturating_mul(4) > LCS_MAX_TABLE_BYTES {
        return Err(CmdError::other(LCS_NO_MEMORY));
    }
    let mut dp: Vec<u32> = Vec::new();
    if dp.try_reserve_exact(cells as usize).is_err() {
        return Err(CmdError::other(LCS_NO_MEMORY));
    }
    dp.resize(cells as usize, 0);
    // Row i holds the LCS lengths of a[..i] against every prefix of b.
    for i in 1..=alen {
        let (prev, row) = dp.split_at_mut(i * width);
        let prev = &prev[(i - 1) * width..];
        let row = &mut row[..width];
        let ai = a[i - 1];
        for j in 1..=blen {
            row[j] = if ai == b[j - 1] {
                prev[j - 1] + 1
            } else {
                prev[j].max(row[j - 1])
            };
        }
    }
    let at = |i: usize, j: usize| dp.get(i * width + j).copied().unwrap_or(0);
    let total = at(alen, blen);
    let mut out = Lcs {
        len: total,
        text: Vec::new(),
        matches: Vec::new(),
    };
    if !walk {
        return Ok(out);
    }
    let mut text = vec![0u8; total as usize];
    let mut idx = total as usize;
    let (mut i, mut j) = (alen, blen);
    // The run being extended backwards: (a_start, a_end, b_start, b_end).
    let mut run: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            if let Some(slot) = idx.checked_sub(1).and_then(|k| text.get_mut(k)) {
                *slot = a[i - 1];
            }
            match &mut run {
                None => run = Some((i - 1, i - 1, j - 1, j - 1)),
                Some((a_start, _, b_start, _)) => {
                    if *a_start == i && *b_start == j {
                        *a_start -= 1;
                        *b_start -= 1;
                    } else {
                        emit = true;
                    }
                }
            }
            if let Some((a_start, _, b_start, _)) = run {
                if a_start == 0 || b_start == 0 {
                    emit = true;
                }
            }
            idx = idx.saturating_sub(1);
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if run.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some((a_start, a_end, b_start, b_end)) = run.take() {
                out.matches.push(LcsMatch {
                    a: (a_start as u32, a_end as u32),
                    b: (b_start as u32, b_end as u32),
                    len: (a_end - a_start + 1) as u32,
                });
            }
        }
    }
    out.text = text;
    Ok(out)
}

/// What the journal records for a command, for the families' tests of
/// their rewritten effects: the commands run on a [`TestShard`] with
/// journaling on, and the result is compared with what a real Redis 7.0
/// wrote to its AOF for the same command.
#[cfg(test)]
pub(crate) mod journal_check {
    use bytes::{Bytes, BytesMut};

    use crate::ctx::Ctx;
    use crate::table::Exec;
    use crate::testing::TestShard;

    /// 1e400 as Redis's long double prints it.
    pub(crate) const HUGE: &str = "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880";

    /// Runs `line` (arguments split on spaces, `""` for an empty one) in
    /// database 0 with
    /// [`Ctx::journal`] set to `journal`, and returns the command's
    /// effects and `dirty`.
    pub(crate) fn run(
        s: &mut TestShard,
        line: &str,
        journal: bool,
    ) -> (Option<Vec<crate::ctx::Effect>>, u64) {
        let args: Vec<Bytes> = line
            .split(' ')
            .filter(|a| !a.is_empty())
            .map(|a| if a == "\"\"" { "" } else { a })
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        let spec = s.spec_of(&name);
        assert!(spec.arity_ok(args.len()), "arity of {line:?}");
        let Exec::Keyed(handler) = spec.exec else {
            panic!("{name} is not keyed")
        };
        let mut out = BytesMut::new();
        let mut ctx = Ctx::new(
            &mut s.dbs,
            0,
            s.now_ms,
            &mut out,
            s.resp3,
            &s.settings,
            &mut s.stats,
        );
        ctx.journal = journal;
        // An error is a valid outcome here: it must journal nothing.
        let _ = handler(&mut ctx, &args);
        s.dirty = ctx.dirty;
        s.block = ctx.block;
        (ctx.effects.take(), ctx.dirty)
    }

    /// Runs `line` with journaling on and returns what the AOF records for
    /// it, one command line per element (arguments joined by spaces, a
    /// database other than 0 noted as ` (dbN)`): the effects the handler
    /// set, or else the command as received if it changed something (the
    /// runtime's rule).
    pub(crate) fn journal_of(s: &mut TestShard, line: &str) -> Vec<String> {
        let (effects, dirty) = run(s, line, true);
        match effects {
            Some(effects) => effects
                .iter()
                .map(|e| {
                    let argv: Vec<String> = e
                        .argv
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    match e.db {
                        0 => argv.join(" "),
                        db => format!("{} (db{db})", argv.join(" ")),
                    }
                })
                .collect(),
            None if dirty > 0 => vec![line
                .split(' ')
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>()
                .join(" ")],
            None => Vec::new(),
        }
    }

    /// Asserts what the AOF records for `line` (see [`journal_of`]).
    pub(crate) fn journals(s: &mut TestShard, line: &str, want: &[&str]) {
        assert_eq!(journal_of(s, line), want, "journal of {line:?}");
    }

    /// Asserts that `line`, run with journaling off, changes something but
    /// sets no effects (the handlers' fast path does no journal work).
    pub(crate) fn no_effects_unless_journaling(s: &mut TestShard, line: &str) {
        let (effects, dirty) = run(s, line, false);
        assert_eq!(effects, None, "effects of {line:?} with journaling off");
        assert!(dirty > 0, "{line:?} changed nothing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ctx::notify;
    use crate::testing::{bulk, TestShard as Shard, T0};

    impl Shard {
        fn ttl_ms(&mut self, key: &str) -> Option<u64> {
            let now = self.now_ms;
            self.entry(key)
                .and_then(|e| e.expire_at())
                .map(|at| at - now)
        }
    }

    const NIL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";

    #[test]
    fn get_and_set_basics() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["GET", "k"], NIL);
        s.ok(&["SET", "k", "v"], OK);
        assert_eq!(s.dirty, 1);
        s.ok(&["GET", "k"], "$1\r\nv\r\n");
        s.ok(&["SET", "k", ""], OK);
        s.ok(&["GET", "k"], "$0\r\n\r\n");
        let bin: &[u8] = b"a\0b\r\n\xff";
        s.run_bytes(&[b"SET", b"bin", bin]);
        assert_eq!(s.run_bytes(&[b"GET", b"bin"]), b"$6\r\na\0b\r\n\xff\r\n");
        assert_eq!(s.stats.keyspace_hits, 3);
        assert_eq!(s.stats.keyspace_misses, 1);
        s.resp3 = true;
        s.ok(&["GET", "nope"], "_\r\n");
    }

    #[test]
    fn set_encodings() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SET", "a", "123"], OK);
        assert_eq!(s.encoding("a"), "int");
        s.ok(&["SET", "a", &"x".repeat(44)], OK);
        assert_eq!(s.encoding("a"), "embstr");
        s.ok(&["SET", "a", &"x".repeat(45)], OK);
        assert_eq!(s.encoding("a"), "raw");
        s.ok(&["SET", "a", "-0"], OK);
        assert_eq!(s.encoding("a"), "embstr");
        s.ok(&["SET", "a", "12345678901234567890"], OK);
        assert_eq!(s.encoding("a"), "embstr");
        s.ok(&["GET", "a"], "$20\r\n12345678901234567890\r\n");
    }

    #[test]
    fn set_expiry_options() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SET", "k", "v", "EX", "10"], OK);
        assert_eq!(s.ttl_ms("k"), Some(10_000));
        s.ok(&["SET", "k", "v", "px", "1500"], OK);
        assert_eq!(s.ttl_ms("k"), Some(1_500));
        let at = (T0 / 1000 + 100).to_string();
        s.ok(&["SET", "k", "v", "exat", &at], OK);
        assert_eq!(
            s.entry("k").and_then(|e| e.expire_at()),
            Some((T0 / 1000 + 100) * 1000)
        );
        let at = (T0 + 123).to_string();
        s.ok(&["SET", "k", "v", "PXAT", &at], OK);
        assert_eq!(s.ttl_ms("k"), Some(123));
        s.ok(&["SET", "k", "w", "KEEPTTL"], OK);
        assert_eq!(s.ttl_ms("k"), Some(123));
        s.ok(&["SET", "k", "w"], OK);
        assert_eq!(s.ttl_ms("k"), None);
        // The same option repeated: the last value wins.
        s.ok(&["SET", "k", "v", "EX", "10", "EX", "20"], OK);
        assert_eq!(s.ttl_ms("k"), Some(20_000));
        // Expiry is by the clock.
        s.now_ms += 20_000;
        s.ok(&["GET", "k"], NIL);
    }

    #[test]
    fn set_invalid_expire_times() {
        let mut s = Shard::new(COMMANDS);
        let bad = "-ERR invalid expire time in 'set' command\r\n";
        for args in [
            ["EX", "0"],
            ["EX", "-1"],
            ["PX", "0"],
            ["PXAT", "0"],
            ["EXAT", "-5"],
            ["EX", "9223372036854775807"],
            // Fits in ms but overflows once the current time is added.
            ["EX", "9223372036854774"],
            ["PX", "9223372036854775807"],
            ["EXAT", "9223372036854775807"],
        ] {
            s.ok(&["SET", "k", "v", args[0], args[1]], bad);
        }
        assert_eq!(s.dirty, 0);
        s.ok(&["SET", "k", "v", "EX", "abc"], NOT_INT);
        s.ok(&["SET", "k", "v", "EX", "1.5"], NOT_INT);
        s.ok(&["SET", "k", "v", "EX", "010"], NOT_INT);
        s.ok(&["SET", "k", "v", "EX", "+5"], NOT_INT);
        // Largest accepted values.
        s.ok(&["SET", "k", "v", "PXAT", "9223372036854775807"], OK);
        s.ok(&["SET", "k", "v", "EXAT", "9223372036854775"], OK);
        assert_eq!(
            s.entry("k").and_then(|e| e.expire_at()),
            Some(9_223_372_036_854_775_000)
        );
        assert_eq!(s.dbs[0].len(), 1);
    }

    #[test]
    fn set_past_absolute_time_sets_then_expires() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SET", "k", "v", "PXAT", "1"], OK);
        assert_eq!(s.dirty, 1);
        // Redis 7.0 stores the key; it is then expired lazily.
        assert_eq!(s.dbs[0].len(), 1);
        s.ok(&["GET", "k"], NIL);
        assert_eq!(s.dbs[0].len(), 0);
        assert_eq!(s.dbs[0].expired_count, 1);
    }

    #[test]
    fn writes_refresh_access_time_and_count_stale_keys_as_expired() {
        let mut s = Shard::new(COMMANDS);
        let secs = |s: &Shard| (s.now_ms / 1000) as u32;
        s.ok(&["SET", "k", "v", "PX", "100"], OK);
        assert_eq!(s.entry("k").map(|e| e.access_secs), Some(secs(&s)));
        s.now_ms += 5_000;
        // Overwriting a stale key counts it as expired, as Redis's lookup for writing does.
        s.ok(&["SET", "k", "w"], OK);
        assert_eq!(s.dbs[0].expired_count, 1);
        assert_eq!(s.entry("k").map(|e| e.access_secs), Some(secs(&s)));
        for cmd in [
            &["INCR", "n"][..],
            &["APPEND", "k", "x"],
            &["SETRANGE", "k", "0", "y"],
            &["INCRBYFLOAT", "n", "1"],
            &["MSET", "k", "1", "n", "2"],
            &["SET", "k", "v", "KEEPTTL"],
            &["GETSET", "k", "v"],
        ] {
            s.now_ms += 3_000;
            s.run(cmd);
            assert_eq!(
                s.entry(cmd[1]).map(|e| e.access_secs),
                Some(secs(&s)),
                "{cmd:?}"
            );
        }
    }

    #[test]
    fn set_option_grammar() {
        let mut s = Shard::new(COMMANDS);
        for opts in [
            &["NX", "XX"][..],
            &["XX", "NX"],
            &["EX", "1", "PX", "1"],
            &["PX", "1", "EXAT", "1"],
            &["EX", "1", "KEEPTTL"],
            &["KEEPTTL", "PX", "3"],
            &["EX"],
            &["foo"],
            &["PERSIST"],
            &["GET", "EX"],
        ] {
            let mut args = vec!["SET", "k", "v"];
            args.extend_from_slice(opts);
            s.ok(&args, SYNTAX);
        }
        // Grammar comes before values.
        s.ok(&["SET", "k", "v", "EX", "abc", "PX", "1"], SYNTAX);
        s.ok(&["SET", "k", "v", "nx", "nx"], OK);
        s.ok(&["SET", "k", "v", "get", "get"], "$1\r\nv\r\n");
        s.ok(&["SET", "k", "v", "keepttl", "keepttl"], OK);
        // Options are compared as C strings: up to a NUL byte.
        assert_eq!(
            s.run_bytes(&[b"SET", b"k", b"w", b"XX\0junk"]),
            OK.as_bytes()
        );
        s.ok(&["GET", "k"], "$1\r\nw\r\n");
    }

    #[test]
    fn set_conditions_and_get() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SET", "k", "v", "XX"], NIL);
        assert_eq!(s.dirty, 0);
        s.ok(&["SET", "k", "v", "NX"], OK);
        s.ok(&["SET", "k", "w", "NX"], NIL);
        s.ok(&["GET", "k"], "$1\r\nv\r\n");
        s.ok(&["SET", "k", "w", "XX"], OK);
        s.ok(&["SET", "k", "x", "GET"], "$1\r\nw\r\n");
        s.ok(&["SET", "k", "y", "NX", "GET"], "$1\r\nx\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["GET", "k"], "$1\r\nx\r\n");
        s.ok(&["SET", "n", "y", "XX", "GET"], NIL);
        s.ok(&["GET", "n"], NIL);
        s.ok(&["SET", "n", "y", "NX", "GET"], NIL);
        s.ok(&["GET", "n"], "$1\r\ny\r\n");
        // The expiry is checked before GET replies anything.
        s.ok(
            &["SET", "n", "z", "GET", "NX", "EX", "0"],
            "-ERR invalid expire time in 'set' command\r\n",
        );
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SETNX", "k", "5"], ":1\r\n");
        assert_eq!(s.encoding("k"), "int");
        s.ok(&["SETNX", "k", "6"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["SETEX", "k", "100", "42"], OK);
        assert_eq!(s.ttl_ms("k"), Some(100_000));
        assert_eq!(s.encoding("k"), "int");
        s.ok(&["PSETEX", "k", "100", "x"], OK);
        assert_eq!(s.ttl_ms("k"), Some(100));
        s.ok(
            &["SETEX", "k", "0", "v"],
            "-ERR invalid expire time in 'setex' command\r\n",
        );
        s.ok(
            &["SETEX", "k", "9223372036854775", "v"],
            "-ERR invalid expire time in 'setex' command\r\n",
        );
        s.ok(
            &["PSETEX", "k", "-1", "v"],
            "-ERR invalid expire time in 'psetex' command\r\n",
        );
        s.ok(
            &["PSETEX", "k", "9223372036854775807", "v"],
            "-ERR invalid expire time in 'psetex' command\r\n",
        );
        s.ok(&["SETEX", "k", "abc", "v"], NOT_INT);
        s.ok(
            &["SETEX", "k", "1"],
            "-ERR wrong number of arguments for 'setex' command\r\n",
        );
    }

    #[test]
    fn getset_getdel() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["GETSET", "k", "5"], NIL);
        assert_eq!(s.encoding("k"), "int");
        s.ok(&["SET", "k", "v", "EX", "100"], OK);
        s.ok(&["GETSET", "k", "w"], "$1\r\nv\r\n");
        assert_eq!(s.ttl_ms("k"), None);
        assert_eq!(s.dirty, 1);
        s.ok(&["GETDEL", "k"], "$1\r\nw\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["GETDEL", "k"], NIL);
        assert_eq!(s.dirty, 0);
    }

    #[test]
    fn getex_options() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["GETEX", "k"], NIL);
        s.ok(&["GETEX", "k", "EX", "0"], NIL);
        s.ok(&["SET", "k", "v"], OK);
        s.ok(&["GETEX", "k"], "$1\r\nv\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(
            &["GETEX", "k", "EX", "0"],
            "-ERR invalid expire time in 'getex' command\r\n",
        );
        s.ok(
            &["GETEX", "k", "PX", "-5"],
            "-ERR invalid expire time in 'getex' command\r\n",
        );
        s.ok(&["GETEX", "k", "EX", "abc"], NOT_INT);
        for opts in [
            &["PERSIST", "EX", "1"][..],
            &["EX", "1", "PERSIST"],
            &["NX"],
            &["KEEPTTL"],
            &["GET"],
            &["EX"],
        ] {
            let mut args = vec!["GETEX", "k"];
            args.extend_from_slice(opts);
            s.ok(&args, SYNTAX);
        }
        s.ok(&["GETEX", "k", "EX", "10"], "$1\r\nv\r\n");
        assert_eq!(s.ttl_ms("k"), Some(10_000));
        assert_eq!(s.dirty, 1);
        s.ok(&["GETEX", "k", "PX", "10", "PX", "20"], "$1\r\nv\r\n");
        assert_eq!(s.ttl_ms("k"), Some(20));
        let at = (T0 + 500).to_string();
        s.ok(&["GETEX", "k", "PXAT", &at], "$1\r\nv\r\n");
        assert_eq!(s.ttl_ms("k"), Some(500));
        s.ok(&["GETEX", "k", "PERSIST"], "$1\r\nv\r\n");
        assert_eq!(s.ttl_ms("k"), None);
        assert_eq!(s.dirty, 1);
        s.ok(&["GETEX", "k", "PERSIST", "persist"], "$1\r\nv\r\n");
        assert_eq!(s.dirty, 0);
        // A past absolute time deletes the key at once (not as an expiry).
        s.ok(&["GETEX", "k", "EXAT", "1"], "$1\r\nv\r\n");
        assert_eq!(s.dirty, 1);
        assert_eq!(s.dbs[0].len(), 0);
        assert_eq!(s.dbs[0].expired_count, 0);
        s.ok(&["SET", "k", "v"], OK);
        let now = T0.to_string();
        s.ok(&["GETEX", "k", "PXAT", &now], "$1\r\nv\r\n");
        assert_eq!(s.dbs[0].len(), 0);
    }

    #[test]
    fn getrange_and_substr() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["GETRANGE", "k", "0", "-1"], "$0\r\n\r\n");
        s.ok(&["GETRANGE", "k", "a", "1"], NOT_INT);
        s.ok(&["SET", "k", "Hello World"], OK);
        for (a, b, want) in [
            ("0", "4", "Hello"),
            ("-5", "-1", "World"),
            ("0", "-1", "Hello World"),
            ("5", "3", ""),
            ("-1", "-5", ""),
            ("-100", "2", "Hel"),
            ("3", "100", "lo World"),
            ("-9223372036854775808", "9223372036854775807", "Hello World"),
            ("11", "20", ""),
            ("0", "-100", "H"),
        ] {
            s.ok(&["GETRANGE", "k", a, b], &bulk(want));
            s.ok(&["SUBSTR", "k", a, b], &bulk(want));
        }
        s.ok(&["SET", "n", "-12345"], OK);
        s.ok(&["GETRANGE", "n", "1", "2"], "$2\r\n12\r\n");
        s.ok(&["SET", "e", ""], OK);
        s.ok(&["GETRANGE", "e", "0", "-1"], "$0\r\n\r\n");
        s.ok(&["GETRANGE", "e", "-1", "0"], "$0\r\n\r\n");
    }

    #[test]
    fn strlen() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["STRLEN", "k"], ":0\r\n");
        s.ok(&["SET", "k", "-123"], OK);
        s.ok(&["STRLEN", "k"], ":4\r\n");
        s.ok(&["SET", "k", "hello"], OK);
        s.ok(&["STRLEN", "k"], ":5\r\n");
    }

    #[test]
    fn counters() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["INCR", "k"], ":1\r\n");
        assert_eq!(s.encoding("k"), "int");
        s.ok(&["INCRBY", "k", "10"], ":11\r\n");
        s.ok(&["DECR", "k"], ":10\r\n");
        s.ok(&["DECRBY", "k", "20"], ":-10\r\n");
        s.ok(&["DECR", "new"], ":-1\r\n");
        s.ok(&["INCRBY", "k", "abc"], NOT_INT);
        s.ok(&["INCRBY", "k", "1.5"], NOT_INT);
        s.ok(&["SET", "k", "9223372036854775806"], OK);
        s.ok(&["INCR", "k"], ":9223372036854775807\r\n");
        s.ok(
            &["INCR", "k"],
            "-ERR increment or decrement would overflow\r\n",
        );
        assert_eq!(s.dirty, 0);
        s.ok(&["SET", "k", "-9223372036854775808"], OK);
        s.ok(
            &["DECR", "k"],
            "-ERR increment or decrement would overflow\r\n",
        );
        s.ok(&["INCRBY", "k", "9223372036854775807"], ":-1\r\n");
        s.ok(
            &["DECRBY", "k", "-9223372036854775808"],
            "-ERR decrement would overflow\r\n",
        );
        s.ok(
            &["DECRBY", "nokey", "-9223372036854775808"],
            "-ERR decrement would overflow\r\n",
        );
        s.ok(
            &["DECRBY", "k", "9223372036854775807"],
            ":-9223372036854775808\r\n",
        );
        for bad in ["", " 1", "1 ", "007", "-0", "1.0", "abc", "+1"] {
            s.ok(&["SET", "k", bad], OK);
            s.ok(&["INCR", "k"], NOT_INT);
        }
        // A digits-only string made raw by APPEND still counts.
        s.ok(&["SET", "k", "12"], OK);
        s.ok(&["APPEND", "k", "3"], ":3\r\n");
        assert_eq!(s.encoding("k"), "raw");
        s.ok(&["INCR", "k"], ":124\r\n");
        assert_eq!(s.encoding("k"), "int");
        // The TTL survives.
        s.ok(&["SET", "t", "1", "EX", "100"], OK);
        s.ok(&["INCR", "t"], ":2\r\n");
        assert_eq!(s.ttl_ms("t"), Some(100_000));
    }

    #[test]
    fn incrbyfloat() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["INCRBYFLOAT", "k", "1.5"], "$3\r\n1.5\r\n");
        assert_eq!(s.encoding("k"), "embstr");
        s.ok(&["SET", "k", "1"], OK);
        s.ok(&["INCRBYFLOAT", "k", "2"], "$1\r\n3\r\n");
        assert_eq!(s.encoding("k"), "embstr");
        s.ok(&["INCRBYFLOAT", "e", "0.1"], "$3\r\n0.1\r\n");
        s.ok(&["INCRBYFLOAT", "e", "0.2"], "$3\r\n0.3\r\n");
        s.ok(&["INCRBYFLOAT", "h", "0x10"], "$2\r\n16\r\n");
        s.ok(&["INCRBYFLOAT", "h", "-0"], "$2\r\n16\r\n");
        s.ok(&["INCRBYFLOAT", "d", "1e-20"], "$1\r\n0\r\n");
        s.ok(&["INCRBYFLOAT", "f", "1.0e1"], "$2\r\n10\r\n");
        s.ok(&["SET", "o", "1.5"], OK);
        s.ok(
            &["INCRBYFLOAT", "o", "1e30"],
            "$31\r\n1000000000000000000024696061952\r\n",
        );
        s.ok(
            &["INCRBYFLOAT", "m", "9223372036854775807"],
            "$19\r\n9223372036854775807\r\n",
        );
        s.ok(&["INCRBYFLOAT", "m", "1"], "$19\r\n9223372036854775808\r\n");
        s.ok(
            &["INCRBYFLOAT", "x", "inf"],
            "-ERR increment would produce NaN or Infinity\r\n",
        );
        s.ok(&["INCRBYFLOAT", "x", "nan"], NOT_FLOAT);
        s.ok(&["INCRBYFLOAT", "x", " 1"], NOT_FLOAT);
        s.ok(&["INCRBYFLOAT", "x", ""], NOT_FLOAT);
        s.ok(&["INCRBYFLOAT", "x", "1e5000"], NOT_FLOAT);
        s.ok(&["SET", "x", "inf"], OK);
        s.ok(
            &["INCRBYFLOAT", "x", "1"],
            "-ERR increment would produce NaN or Infinity\r\n",
        );
        s.ok(&["SET", "x", "abc"], OK);
        s.ok(&["INCRBYFLOAT", "x", "1"], NOT_FLOAT);
        s.ok(&["SET", "x", "1e5"], OK);
        s.ok(&["INCRBYFLOAT", "x", "1"], "$6\r\n100001\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["SET", "t", "100", "EX", "100"], OK);
        s.ok(&["INCRBYFLOAT", "t", "1"], "$3\r\n101\r\n");
        assert_eq!(s.ttl_ms("t"), Some(100_000));
        let r = s.run(&["INCRBYFLOAT", "big", "1e300"]);
        assert!(
            r.starts_with("$301\r\n1000000000000000000008997324079559193870523944273290747938260")
        );
        assert_eq!(s.encoding("big"), "raw");
    }

    #[test]
    fn append() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["APPEND", "k", "12"], ":2\r\n");
        assert_eq!(s.encoding("k"), "int");
        s.ok(&["APPEND", "k", "3"], ":3\r\n");
        assert_eq!(s.encoding("k"), "raw");
        s.ok(&["GET", "k"], "$3\r\n123\r\n");
        s.ok(&["APPEND", "g", ""], ":0\r\n");
        assert_eq!(s.encoding("g"), "embstr");
        s.ok(&["SET", "h", "5"], OK);
        s.ok(&["APPEND", "h", ""], ":1\r\n");
        assert_eq!(s.dirty, 1);
        assert_eq!(s.encoding("h"), "raw");
        s.ok(&["APPEND", "z", "00"], ":2\r\n");
        assert_eq!(s.encoding("z"), "embstr");
        s.ok(&["SET", "t", "a", "EX", "100"], OK);
        s.ok(&["APPEND", "t", "b"], ":2\r\n");
        assert_eq!(s.ttl_ms("t"), Some(100_000));
    }

    #[test]
    fn size_limit_without_allocating() {
        let mut s = Shard::new(COMMANDS);
        let too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
        s.ok(&["SETRANGE", "k", "536870912", "x"], too_long);
        s.ok(&["SETRANGE", "k", "9223372036854775807", "x"], too_long);
        s.ok(&["SET", "k", "abc"], OK);
        s.ok(&["SETRANGE", "k", "536870912", "x"], too_long);
        s.ok(&["SETRANGE", "k", "536870911", ""], ":3\r\n");
        s.settings.proto_max_bulk_len = 5;
        s.ok(&["APPEND", "k", "de"], ":5\r\n");
        s.ok(&["APPEND", "k", "f"], too_long);
        s.ok(&["APPEND", "k", ""], ":5\r\n");
        s.ok(&["SETRANGE", "k", "4", "xy"], too_long);
        s.ok(&["SETRANGE", "k", "3", "xy"], ":5\r\n");
        s.ok(&["GET", "k"], "$5\r\nabcxy\r\n");
        assert_eq!(
            check_total_len(u64::MAX, 1, u64::MAX),
            Err(CmdError::STRING_TOO_LONG)
        );
    }

    #[test]
    fn setrange() {
        let mut s = Shard::new(COMMANDS);
        s.ok(
            &["SETRANGE", "k", "-1", "x"],
            "-ERR offset is out of range\r\n",
        );
        s.ok(&["SETRANGE", "k", "a", "x"], NOT_INT);
        s.ok(&["SETRANGE", "k", "0", ""], ":0\r\n");
        assert_eq!(s.dirty, 0);
        assert_eq!(s.encoding("k"), "none");
        s.ok(&["SETRANGE", "k", "0", "ab"], ":2\r\n");
        assert_eq!(s.encoding("k"), "raw");
        s.ok(&["SETRANGE", "k", "4", "z"], ":5\r\n");
        s.ok(&["GET", "k"], "$5\r\nab\0\0z\r\n");
        s.ok(&["SETRANGE", "n", "3", "x"], ":4\r\n");
        s.ok(&["GET", "n"], "$4\r\n\0\0\0x\r\n");
        s.ok(&["SET", "j", "1"], OK);
        s.ok(&["SETRANGE", "j", "0", "2"], ":1\r\n");
        assert_eq!(s.encoding("j"), "raw");
        s.ok(&["SET", "e", "abc"], OK);
        s.ok(&["SETRANGE", "e", "0", ""], ":3\r\n");
        assert_eq!(s.encoding("e"), "embstr");
        s.ok(&["SET", "z", "12"], OK);
        s.ok(&["SETRANGE", "z", "5", ""], ":2\r\n");
        assert_eq!(s.encoding("z"), "int");
        s.ok(&["SET", "t", "hello", "PX", "500"], OK);
        s.ok(&["SETRANGE", "t", "1", "E"], ":5\r\n");
        assert_eq!(s.ttl_ms("t"), Some(500));
        s.ok(&["GET", "t"], "$5\r\nhEllo\r\n");
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["MSET", "a", "1", "b", "xx", "c", &"y".repeat(45)], OK);
        assert_eq!(s.dirty, 3);
        assert_eq!(s.encoding("a"), "int");
        assert_eq!(s.encoding("b"), "embstr");
        assert_eq!(s.encoding("c"), "raw");
        s.ok(
            &["MGET", "a", "nope", "b"],
            "*3\r\n$1\r\n1\r\n$-1\r\n$2\r\nxx\r\n",
        );
        s.ok(
            &["MSET", "a"],
            "-ERR wrong number of arguments for 'mset' command\r\n",
        );
        s.ok(
            &["MSET", "a", "b", "c"],
            "-ERR wrong number of arguments for 'mset' command\r\n",
        );
        s.ok(
            &["MSETNX", "a", "b", "c"],
            "-ERR wrong number of arguments for 'msetnx' command\r\n",
        );
        s.ok(&["MSETNX", "x", "1", "a", "2"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["GET", "x"], NIL);
        s.ok(&["MSETNX", "x", "1", "y", "2", "x", "3"], ":1\r\n");
        assert_eq!(s.dirty, 3);
        s.ok(&["GET", "x"], "$1\r\n3\r\n");
        s.ok(&["SET", "t", "v", "EX", "10"], OK);
        s.ok(&["MSET", "t", "w"], OK);
        assert_eq!(s.ttl_ms("t"), None);
        s.resp3 = true;
        s.ok(&["MGET", "a", "nope"], "*2\r\n$1\r\n1\r\n_\r\n");
    }

    #[test]
    fn multi_key_commands_touch_only_their_keys() {
        // A checked-out view holding only the declared keys, in one db.
        let mut s = Shard::new(COMMANDS);
        s.dbs.truncate(1);
        s.ok(&["MSET", "a", "1", "b", "2"], OK);
        s.ok(
            &["MGET", "a", "b", "c"],
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n",
        );
        s.ok(&["MSETNX", "c", "3", "d", "4"], ":1\r\n");
        assert_eq!(s.dbs[0].len(), 4);
    }

    #[test]
    fn lcs_replies() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["MSET", "a", "ohmytext", "b", "mynewtext"], OK);
        s.ok(&["LCS", "a", "b"], "$6\r\nmytext\r\n");
        s.ok(&["LCS", "a", "b", "LEN"], ":6\r\n");
        s.ok(&["LCS", "a", "b", "len", "withmatchlen"], ":6\r\n");
        s.ok(&["LCS", "a", "b", "withmatchlen"], "$6\r\nmytext\r\n");
        s.ok(
            &["LCS", "a", "b", "IDX"],
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
        );
        s.ok(
            &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
        );
        s.ok(
            &["LCS", "a", "b", "minmatchlen", "-5", "idx"],
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
        );
        s.ok(
            &["LCS", "a", "b", "LEN", "IDX"],
            "-ERR If you want both the length and indexes, please just use IDX.\r\n",
        );
        s.ok(&["LCS", "a", "b", "MINMATCHLEN"], SYNTAX);
        s.ok(&["LCS", "a", "b", "MINMATCHLEN", "x"], NOT_INT);
        s.ok(&["LCS", "a", "b", "foo"], SYNTAX);
        s.ok(&["LCS", "a", "nokey"], "$0\r\n\r\n");
        s.ok(
            &["LCS", "x", "y", "IDX"],
            "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
        );
        s.ok(&["MSET", "n", "12345", "m", "9234"], OK);
        s.ok(
            &["LCS", "n", "m", "IDX", "WITHMATCHLEN"],
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:1\r\n:3\r\n*2\r\n:1\r\n:3\r\n:3\r\n$3\r\nlen\r\n:3\r\n",
        );
        s.resp3 = true;
        s.ok(
            &["LCS", "x", "y", "IDX"],
            "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
        );
    }

    #[test]
    fn lcs_matches_a_brute_force_length() {
        fn brute(a: &[u8], b: &[u8]) -> u32 {
            if a.is_empty() || b.is_empty() {
                return 0;
            }
            if a[0] == b[0] {
                1 + brute(&a[1..], &b[1..])
            } else {
                brute(&a[1..], b).max(brute(a, &b[1..]))
            }
        }
        let cases: &[(&[u8], &[u8])] = &[
            (b"abcbdab", b"bdcaba"),
            (b"", b"abc"),
            (b"aaaa", b"aa"),
            (b"xyz", b"abc"),
            (b"ACCGGTCGAGTG", b"GTCGTTCGGAAT"),
        ];
        for (a, b) in cases {
            let l = op_lcs(a, b, true).unwrap();
            assert_eq!(l.len, brute(a, b));
            assert_eq!(l.text.len() as u32, l.len);
            // The runs cover exactly the subsequence.
            let covered: u32 = l.matches.iter().map(|m| m.len).sum();
            assert_eq!(covered, l.len);
            for m in &l.matches {
                let (a0, a1) = (m.a.0 as usize, m.a.1 as usize);
                let (b0, b1) = (m.b.0 as usize, m.b.1 as usize);
                assert_eq!(a[a0..=a1], b[b0..=b1]);
            }
        }
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            // `new` comes first, then the command's own event; an EX-like
            // option adds `expire`; KEEPTTL does not.
            ("SET a 1", &["new a", "set a"]),
            ("SET a 2 KEEPTTL", &["set a"]),
            ("SET a 3 EX 100", &["set a", "expire a"]),
            ("SET a 4 KEEPTTL", &["set a"]),
            ("SET a 5 NX", &[]),
            ("SET a 6 XX", &["set a"]),
            ("SET b 6 XX", &[]),
            ("SET b 1 GET", &["new b", "set b"]),
            ("SET c 1 PX 100 GET", &["new c", "set c", "expire c"]),
            // A time already past is stored as is (the key expires later).
            ("SET d 1 EXAT 1", &["new d", "set d", "expire d"]),
            ("SET d x EX 0", &[]),
            ("SETNX a 1", &[]),
            ("SETNX e 1", &["new e", "set e"]),
            ("SETEX f 100 v", &["new f", "set f", "expire f"]),
            ("SETEX f 100 v", &["set f", "expire f"]),
            ("PSETEX g 100 v", &["new g", "set g", "expire g"]),
            ("GETSET g v2", &["set g"]),
            ("GETSET h v", &["new h", "set h"]),
            ("GETDEL h", &["del h"]),
            ("GETDEL h", &[]),
            // Every pair notifies, a repeated key too.
            (
                "MSET m1 1 m2 2 m1 3",
                &["new m1", "set m1", "new m2", "set m2", "set m1"],
            ),
            ("MSETNX m1 1 m3 1", &[]),
            (
                "MSETNX n1 1 n2 2 n1 3",
                &["new n1", "set n1", "new n2", "set n2", "set n1"],
            ),
            // GETEX: `expire`, `persist` only when a TTL went, and `del`
            // for an absolute time already past.
            ("SET x 1", &["new x", "set x"]),
            ("GETEX x", &[]),
            ("GETEX x EX 100", &["expire x"]),
            ("GETEX x PX 100000", &["expire x"]),
            ("GETEX x PERSIST", &["persist x"]),
            ("GETEX x PERSIST", &[]),
            ("GETEX x EXAT 99999999999", &["expire x"]),
            ("GETEX x PXAT 1", &["del x"]),
            ("GETEX x EX 10", &[]),
            ("SET x 1", &["new x", "set x"]),
            ("GETEX x EX 0", &[]),
            // All four counters publish `incrby`.
            ("INCR i", &["new i", "incrby i"]),
            ("INCRBY i 5", &["incrby i"]),
            ("DECR i", &["incrby i"]),
            ("DECRBY i 2", &["incrby i"]),
            ("INCRBYFLOAT i 1.5", &["incrbyfloat i"]),
            ("INCRBYFLOAT j 1.5", &["new j", "incrbyfloat j"]),
            ("SET s abc", &["new s", "set s"]),
            ("INCR s", &[]),
            // APPEND of nothing still notifies; SETRANGE of nothing does not.
            ("APPEND s def", &["append s"]),
            ("APPEND t def", &["new t", "append t"]),
            ("APPEND t \"\"", &["append t"]),
            ("SETRANGE s 1 X", &["setrange s"]),
            ("SETRANGE u 3 X", &["new u", "setrange u"]),
            ("SETRANGE s 0 \"\"", &[]),
            ("SETRANGE v 10 \"\"", &[]),
            ("GET s", &[]),
            ("STRLEN s", &[]),
            ("GETRANGE s 0 1", &[]),
            ("MGET s t", &[]),
            ("LCS s t", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            // Oracle with `m`: reads of missing keys, GET-like lookups of
            // the write commands included, before the write's own events.
            ("GET nope", &["keymiss nope"]),
            ("SET b 1 GET", &["keymiss b", "new b", "set b"]),
            ("GETSET h v", &["keymiss h", "new h", "set h"]),
            ("GETDEL nope", &["keymiss nope"]),
            ("GETEX nope EX 10", &["keymiss nope"]),
            ("MGET nope b nope2", &["keymiss nope", "keymiss nope2"]),
            ("STRLEN nope", &["keymiss nope"]),
            ("GETRANGE nope 0 1", &["keymiss nope"]),
            ("LCS nope nope2", &["keymiss nope", "keymiss nope2"]),
            // Writes look keys up for writing: no miss.
            ("APPEND nope x", &["new nope", "append nope"]),
            ("INCR nope3", &["new nope3", "incrby nope3"]),
            ("SETRANGE nope4 0 x", &["new nope4", "setrange nope4"]),
        ]);
    }

    #[test]
    fn no_events_unless_a_class_and_a_channel_kind_are_on() {
        // Off (the default): nothing recorded, nothing allocated.
        let mut s = Shard::new(COMMANDS);
        s.run(&["SET", "a", "1", "EX", "10"]);
        s.run(&["GET", "nope"]);
        assert_eq!(s.events.capacity(), 0);
        // A class without K or E publishes nothing (oracle: `n` alone).
        s.settings.notify = notify::ALL | notify::NEW;
        assert!(s.events_of("SET b 1").is_empty());
        // K or E without the class: nothing either (oracle: `E$` gives
        // `set` without `new`; `Eg` gives `expire` without `set`).
        s.settings.notify = notify::KEYEVENT | notify::STRING;
        assert_eq!(s.events_of("SET c 1 EX 10"), ["set c"]);
        s.settings.notify = notify::KEYSPACE | notify::GENERIC;
        assert_eq!(s.events_of("SET c 1 EX 10"), ["expire c"]);
        s.settings.notify = notify::KEYEVENT | notify::NEW;
        assert_eq!(s.events_of("SET d 1 EX 10"), ["new d"]);
        // The recorded class is the event's own.
        s.settings.notify = notify::KEYEVENT | notify::ALL | notify::NEW;
        s.run(&["SET", "e", "1", "PX", "100"]);
        let classes: Vec<u32> = s.events.iter().map(|e| e.class).collect();
        assert_eq!(classes, [notify::NEW, notify::STRING, notify::GENERIC]);
        assert!(s.events.iter().all(|e| e.db == 0 && &e.key[..] == b"e"));
    }

    #[test]
    fn op_range_edges() {
        assert_eq!(op_range(b"", 0, -1), b"");
        assert_eq!(op_range(b"abc", i64::MIN, i64::MIN), b"a");
        assert_eq!(op_range(b"abc", -100, -100), b"a");
        assert_eq!(op_range(b"abc", i64::MIN, -1), b"abc");
        assert_eq!(op_range(b"abc", 2, 2), b"c");
        assert_eq!(op_range(b"abc", 3, 5), b"");
        assert_eq!(op_range(b"abc", -1, 0), b"");
    }

    /// What Redis 7.0.15 wrote to its AOF for each command (checked with a
    /// real server): SET with any expiry, SETEX and PSETEX become `SET key
    /// value PXAT <ms>` (NX/XX/GET dropped), GETEX becomes PEXPIREAT,
    /// PERSIST or DEL, GETDEL becomes DEL, INCRBYFLOAT `SET key <sum>
    /// KEEPTTL` and GETSET `SET key value`; commands that change nothing
    /// journal nothing.
    #[test]
    fn journaled_effects() {
        use super::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        let at = |ms: u64| T0 + ms;
        journals(
            &mut s,
            "SET k v ex 100",
            &[&format!("SET k v PXAT {}", at(100_000))],
        );
        // The journaled time is the one stored.
        assert_eq!(s.entry("k").and_then(|e| e.expire_at()), Some(at(100_000)));
        journals(
            &mut s,
            "SET k v px 100000",
            &[&format!("SET k v PXAT {}", at(100_000))],
        );
        journals(
            &mut s,
            "SET k v exat 9999999999",
            &["SET k v PXAT 9999999999000"],
        );
        journals(
            &mut s,
            "SET k v pxat 9999999999000",
            &["SET k v PXAT 9999999999000"],
        );
        journals(&mut s, "set k v keepttl", &["set k v keepttl"]);
        journals(
            &mut s,
            "set k v2 ex 100 get",
            &[&format!("SET k v2 PXAT {}", at(100_000))],
        );
        journals(&mut s, "set k v3 ex 100 nx", &[]);
        journals(
            &mut s,
            "set k v3 ex 100 xx",
            &[&format!("SET k v3 PXAT {}", at(100_000))],
        );
        journals(&mut s, "set nk v3 ex 100 xx", &[]);
        journals(&mut s, "set k v ex 0", &[]);
        journals(&mut s, "set k v ex -1", &[]);
        journals(&mut s, "set k v ex 99999999999999999", &[]);
        journals(&mut s, "set k v ex 100 keepttl", &[]);
        // A time already past is stored (the key expires later) and journaled as given.
        journals(&mut s, "set kk v exat 1", &["SET kk v PXAT 1000"]);
        journals(
            &mut s,
            "psetex p 5000 v",
            &[&format!("SET p v PXAT {}", at(5_000))],
        );
        journals(
            &mut s,
            "SETEX c 100 v",
            &[&format!("SET c v PXAT {}", at(100_000))],
        );
        journals(&mut s, "setex c 0 v", &[]);
        journals(&mut s, "set k v", &["set k v"]);
        journals(
            &mut s,
            "set k v xx keepttl get",
            &["set k v xx keepttl get"],
        );
        journals(&mut s, "setnx k v", &[]);
        journals(&mut s, "setnx k2 v", &["setnx k2 v"]);

        journals(&mut s, "set g v", &["set g v"]);
        journals(
            &mut s,
            "getex g ex 100",
            &[&format!("PEXPIREAT g {}", at(100_000))],
        );
        assert_eq!(s.entry("g").and_then(|e| e.expire_at()), Some(at(100_000)));
        journals(
            &mut s,
            "getex g px 100000",
            &[&format!("PEXPIREAT g {}", at(100_000))],
        );
        journals(
            &mut s,
            "getex g exat 9999999999",
            &["PEXPIREAT g 9999999999000"],
        );
        journals(
            &mut s,
            "getex g pxat 9999999999000",
            &["PEXPIREAT g 9999999999000"],
        );
        journals(&mut s, "getex g persist", &["PERSIST g"]);
        journals(&mut s, "getex g persist", &[]);
        journals(&mut s, "getex g", &[]);
        journals(&mut s, "getex nog ex 100", &[]);
        journals(&mut s, "getex g px 0", &[]);
        journals(&mut s, "getex g pxat 0", &[]);
        journals(&mut s, "getex g exat 1", &["DEL g"]);
        assert!(s.entry("g").is_none());
        journals(&mut s, "rpush lst a", &["rpush lst a"]);
        journals(&mut s, "getex lst ex 10", &[]);

        journals(&mut s, "set g v", &["set g v"]);
        journals(&mut s, "getdel g", &["DEL g"]);
        journals(&mut s, "getdel g", &[]);
        journals(&mut s, "getdel lst", &[]);

        journals(
            &mut s,
            "set f 10 ex 100",
            &[&format!("SET f 10 PXAT {}", at(100_000))],
        );
        journals(&mut s, "incrbyfloat f 1.5", &["SET f 11.5 KEEPTTL"]);
        assert_eq!(s.entry("f").and_then(|e| e.expire_at()), Some(at(100_000)));
        journals(&mut s, "incrbyfloat f 1e2", &["SET f 111.5 KEEPTTL"]);
        journals(&mut s, "set f 3.0", &["set f 3.0"]);
        journals(&mut s, "incrbyfloat f 0", &["SET f 3 KEEPTTL"]);
        journals(&mut s, "incrbyfloat nf 5.0e3", &["SET nf 5000 KEEPTTL"]);
        journals(&mut s, "incrbyfloat f abc", &[]);
        journals(&mut s, "incrbyfloat lst 1", &[]);

        journals(
            &mut s,
            "set b 2 ex 100 nx get",
            &[&format!("SET b 2 PXAT {}", at(100_000))],
        );
        journals(
            &mut s,
            "set b 3 EX 100 XX GET",
            &[&format!("SET b 3 PXAT {}", at(100_000))],
        );
        journals(&mut s, "set b 4 KEEPTTL XX", &["set b 4 KEEPTTL XX"]);
        journals(&mut s, "set b 5 PXAT 1 GET", &["SET b 5 PXAT 1"]);
        journals(
            &mut s,
            "set b2 6 exat 9999999999 nx",
            &["SET b2 6 PXAT 9999999999000"],
        );
        journals(&mut s, "set lst v ex 100 get", &[]);
        journals(&mut s, "set c v px 9223372036854775807", &[]);
        journals(&mut s, "set c v exat 9223372036854776", &[]);
        journals(
            &mut s,
            "set c v pxat 9223372036854775807",
            &["SET c v PXAT 9223372036854775807"],
        );
        journals(&mut s, "getex c exat 9223372036854776", &[]);
        journals(&mut s, "getex c ex 100 persist", &[]);
        journals(
            &mut s,
            "getex c px 100 px 200",
            &[&format!("PEXPIREAT c {}", at(200))],
        );
        journals(&mut s, "psetex c 0 v", &[]);
        journals(&mut s, "setex c abc v", &[]);
        journals(&mut s, "incrbyfloat fl 1.00", &["SET fl 1 KEEPTTL"]);
        journals(&mut s, "incrbyfloat fl 0.1", &["SET fl 1.1 KEEPTTL"]);
        journals(&mut s, "incrbyfloat fl -1.1", &["SET fl 0 KEEPTTL"]);
        journals(
            &mut s,
            "incrbyfloat fl 1e400",
            &[&format!("SET fl {} KEEPTTL", super::journal_check::HUGE)],
        );

        // GETSET is journaled as the SET it amounts to (which drops the TTL).
        journals(&mut s, "getset f z", &["SET f z"]);
        journals(&mut s, "getset nk z", &["SET nk z"]);
        journals(&mut s, "getset lst v", &[]);
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use super::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "set k abc", &["set k abc"]);
        journals(&mut s, "setrange k 0 \"\"", &[]);
        journals(&mut s, "setrange k 1 b", &["setrange k 1 b"]);
        journals(&mut s, "append k \"\"", &["append k \"\""]);
        journals(&mut s, "setrange nk 0 \"\"", &[]);
        journals(&mut s, "msetnx k v x y", &[]);
        journals(&mut s, "incrby n 0", &["incrby n 0"]);
        journals(&mut s, "mset a 1 b 2", &["mset a 1 b 2"]);
    }

    /// With journaling off (the default), no handler does the journal's work.
    #[test]
    fn no_effects_without_journaling() {
        use super::journal_check::no_effects_unless_journaling as none;
        let mut s = Shard::new(COMMANDS);
        none(&mut s, "SET k v EX 100");
        none(&mut s, "SETEX k 100 v");
        none(&mut s, "GETEX k PX 100");
        none(&mut s, "GETEX k PERSIST");
        none(&mut s, "GETDEL k");
        none(&mut s, "INCRBYFLOAT k 1");
    }
}
