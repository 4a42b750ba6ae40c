//! The set group: SADD and friends, random picks (SRANDMEMBER, SPOP),
//! SMOVE, the algebra (SINTER, SUNION, SDIFF, their STORE forms and
//! SINTERCARD) and SSCAN.
//!
//! Encodings are Redis 7.0's, kept by [`SetValue`]: a set is an `intset`
//! while all its members are canonical integers and it has at most
//! `set-max-intset-entries` of them, and a `hashtable` for good after. The
//! STORE forms build their result as Redis does, by adding the members to a
//! new `intset`, so the result's encoding follows the same rule.
//!
//! Replies follow the encoding as Redis's do: an `intset` lists members in
//! ascending order (SMEMBERS, SUNION, SDIFF, a whole-set SRANDMEMBER or
//! SPOP, SSCAN in one step with cursor 0); a table lists them in position
//! order and SSCAN walks positions with a cursor. SMEMBERS, SINTER, SUNION,
//! SDIFF and SPOP with a count reply a RESP3 set (`~`).
//!
//! Reads count keyspace hits and misses and refresh the access time
//! (Redis's lookupKeyRead); writes refresh the access time without counting
//! (lookupKeyWrite). A set left empty is deleted.

use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::glob::string_match;
use ferrite_storage::num::parse_scan_cursor;
use ferrite_storage::set::Member;
use ferrite_storage::{SetValue, StoreTtl, Value};
use rand::Rng;

use crate::ctx::{notify, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::generic::{cmdline, parse_member_scan_args};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, check_repeated_picks, is, parse_i64, COUNT_OUT_OF_RANGE, INVALID_CURSOR};

/// The set group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, Group::Set, Exec::Keyed(cmd_sadd))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@set", "@fast"])
        .doc(
            "Adds members to a set, creating it if needed; replies how many were new.",
            "1.0.0",
        ),
    CommandSpec::new("scard", 2, Group::Set, Exec::Keyed(cmd_scard))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@fast"])
        .doc("Returns the number of members of a set.", "1.0.0"),
    CommandSpec::new("sdiff", -2, Group::Set, Exec::Keyed(cmd_sdiff))
        .flags(Flags::READONLY)
        .keys(1, -1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc(
            "Returns the members of the first set that are in none of the others.",
            "1.0.0",
        ),
    CommandSpec::new("sdiffstore", -3, Group::Set, Exec::Keyed(cmd_sdiffstore))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, -1, 1)
        .acl(&["@write", "@set", "@slow"])
        .doc(
            "Stores the difference of sets in a key; replies its size.",
            "1.0.0",
        ),
    CommandSpec::new("sinter", -2, Group::Set, Exec::Keyed(cmd_sinter))
        .flags(Flags::READONLY)
        .keys(1, -1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns the members common to all the given sets.", "1.0.0"),
    CommandSpec::new("sintercard", -3, Group::Set, Exec::Keyed(cmd_sintercard))
        .flags(Flags::READONLY)
        .keys_numkeys(1)
        .acl(&["@read", "@set", "@slow"])
        .doc(
            "Returns the size of the intersection of sets, counting up to a limit.",
            "7.0.0",
        ),
    CommandSpec::new("sinterstore", -3, Group::Set, Exec::Keyed(cmd_sinterstore))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, -1, 1)
        .acl(&["@write", "@set", "@slow"])
        .doc(
            "Stores the intersection of sets in a key; replies its size.",
            "1.0.0",
        ),
    CommandSpec::new("sismember", 3, Group::Set, Exec::Keyed(cmd_sismember))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@fast"])
        .doc("Tells whether a member is in a set.", "1.0.0"),
    CommandSpec::new("smembers", 2, Group::Set, Exec::Keyed(cmd_smembers))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns every member of a set.", "1.0.0"),
    CommandSpec::new("smismember", -3, Group::Set, Exec::Keyed(cmd_smismember))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@fast"])
        .doc(
            "Tells for each of several members whether it is in a set.",
            "6.2.0",
        ),
    CommandSpec::new("smove", 4, Group::Set, Exec::Keyed(cmd_smove))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 2, 1)
        .acl(&["@write", "@set", "@fast"])
        .doc("Moves a member from one set to another.", "1.0.0"),
    CommandSpec::new("spop", -2, Group::Set, Exec::Keyed(cmd_spop))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@set", "@fast"])
        .tips(&["nondeterministic_output"])
        .doc("Removes and returns random members of a set.", "1.0.0"),
    CommandSpec::new("srandmember", -2, Group::Set, Exec::Keyed(cmd_srandmember))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Returns random members of a set, distinct or (negative count) repeated.",
            "1.0.0",
        ),
    CommandSpec::new("srem", -3, Group::Set, Exec::Keyed(cmd_srem))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@set", "@fast"])
        .doc(
            "Removes members from a set, deleting it once empty.",
            "1.0.0",
        ),
    CommandSpec::new("sscan", -3, Group::Set, Exec::Keyed(cmd_sscan))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output"])
        .doc("Iterates over the members of a set with a cursor.", "2.8.0"),
    CommandSpec::new("sunion", -2, Group::Set, Exec::Keyed(cmd_sunion))
        .flags(Flags::READONLY)
        .keys(1, -1, 1)
        .acl(&["@read", "@set", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns the members of all the given sets.", "1.0.0"),
    CommandSpec::new("sunionstore", -3, Group::Set, Exec::Keyed(cmd_sunionstore))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, -1, 1)
        .acl(&["@write", "@set", "@slow"])
        .doc(
            "Stores the union of sets in a key; replies its size.",
            "1.0.0",
        ),
];

const POSITIVE_COUNT: &str = "ERR value is out of range, must be positive";
const NUMKEYS: &str = "ERR numkeys should be greater than 0";
const TOO_MANY_KEYS: &str = "ERR Number of keys can't be greater than number of args";
const NEGATIVE_LIMIT: &str = "ERR LIMIT can't be negative";

/// SADD key member [member ...]
pub fn cmd_sadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let members = args.get(2..).unwrap_or_default();
    let max = ctx.settings.set_max_intset_entries;
    let key = arg(args, 1);
    let added = ctx.update(key, |s: &mut SetValue| {
        Ok(members.iter().filter(|m| s.add(m, max)).count())
    })?;
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.dirty += added as u64;
    ctx.w().int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
pub fn cmd_srem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let members = args.get(2..).unwrap_or_default();
    let removed = match ctx.write::<SetValue>(key)?.0 {
        None => 0,
        Some(s) => members.iter().filter(|m| s.remove(m)).count(),
    };
    if removed > 0 {
        ctx.notify(notify::SET, "srem", key);
        ctx.remove_if_empty::<SetValue>(key);
    }
    ctx.dirty += removed as u64;
    ctx.w().int(removed as i64);
    Ok(())
}

/// SCARD key
pub fn cmd_scard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (s, mut w) = ctx.read::<SetValue>(arg(args, 1))?;
    w.int(s.map_or(0, SetValue::len) as i64);
    Ok(())
}

/// SISMEMBER key member
pub fn cmd_sismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (s, mut w) = ctx.read::<SetValue>(arg(args, 1))?;
    w.int(i64::from(s.is_some_and(|s| s.contains(arg(args, 2)))));
    Ok(())
}

/// SMISMEMBER key member [member ...]
pub fn cmd_smismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let members = args.get(2..).unwrap_or_default();
    let (s, mut w) = ctx.read::<SetValue>(arg(args, 1))?;
    w.array(members.len());
    for m in members {
        w.int(i64::from(s.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

/// SMEMBERS key
pub fn cmd_smembers(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (s, mut w) = ctx.read::<SetValue>(arg(args, 1))?;
    w.set(s.map_or(0, SetValue::len));
    for m in s.into_iter().flat_map(SetValue::iter) {
        bulk(&mut w, m);
    }
    Ok(())
}

/// SRANDMEMBER key [count]
pub fn cmd_srandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    if args.len() < 3 {
        let (s, mut w) = ctx.read::<SetValue>(key)?;
        match s.and_then(SetValue::random) {
            Some(m) => bulk(&mut w, m),
            None => w.null(),
        }
        return Ok(());
    }
    let count = parse_i64(arg(args, 2))?;
    if count == i64::MIN {
        return Err(CmdError::other(COUNT_OUT_OF_RANGE));
    }
    let settings = ctx.settings;
    let (s, mut w) = ctx.read::<SetValue>(key)?;
    match s {
        Some(s) if count != 0 && !s.is_empty() => {
            check_repeated_picks(count, settings)?;
            op_random_members(s, count, &mut w);
        }
        _ => w.array(0),
    }
    Ok(())
}

/// SPOP key [count]
pub fn cmd_spop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    let count = if args.len() == 3 {
        match ferrite_storage::num::parse_i64(arg(args, 2)) {
            Some(n) if n >= 0 => Some(n),
            _ => return Err(CmdError::other(POSITIVE_COUNT)),
        }
    } else {
        None
    };
    let now = ctx.now_ms;
    let secs = ctx.touch_secs();
    let (popped, emptied) = match ctx.db().get_mut_touch(key, secs, now) {
        Some(Value::Set(s)) => {
            let n = match count {
                Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                None => 1,
            };
            let popped = if count.is_some() && n >= s.len() {
                // The whole set goes, in its own order (ascending for an
                // intset, as Redis replies it).
                let all = s.iter().map(|m| m.to_vec()).collect();
                *s = SetValue::new();
                all
            } else {
                s.pop_random(n)
            };
            (popped, s.is_empty())
        }
        Some(_) => return Err(CmdError::WRONG_TYPE),
        None => (Vec::new(), false),
    };
    // Redis answers a count that takes the whole set through SUNION's
    // code, whose read of the key counts a keyspace hit.
    if count.is_some() && emptied {
        ctx.stats.keyspace_hits += 1;
    }
    if !popped.is_empty() {
        ctx.notify(notify::SET, "spop", key);
    }
    if emptied {
        ctx.delete(key);
    }
    ctx.dirty += popped.len() as u64;
    // The members went at random: the journal names them (one SREM each,
    // as Redis 7.0 writes them), or deletes the key when the count took
    // the whole set.
    if ctx.journal && !popped.is_empty() {
        if count.is_some() && emptied {
            ctx.propagate(cmdline(&[b"DEL", key]));
        } else {
            for m in &popped {
                ctx.propagate(cmdline(&[b"SREM", key, m]));
            }
        }
    }
    let mut w = ctx.w();
    match count {
        None => match popped.first() {
            Some(m) => w.bulk(m),
            None => w.null(),
        },
        Some(_) => {
            w.set(popped.len());
            for m in &popped {
                w.bulk(m);
            }
        }
    }
    Ok(())
}

/// SMOVE source destination member
pub fn cmd_smove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst, member) = (arg(args, 1), arg(args, 2), arg(args, 3));
    let now = ctx.now_ms;
    let secs = ctx.touch_secs();
    let max = ctx.settings.set_max_intset_entries;
    // Redis answers 0 for a missing source before it looks at the
    // destination's type.
    let src_has = match ctx.db().get_mut_touch(src, secs, now) {
        None => {
            ctx.w().int(0);
            return Ok(());
        }
        Some(Value::Set(s)) => s.contains(member),
        Some(_) => return Err(CmdError::WRONG_TYPE),
    };
    let dst_exists = match ctx.db().get_mut_touch(dst, secs, now) {
        None => false,
        Some(Value::Set(_)) => true,
        Some(_) => return Err(CmdError::WRONG_TYPE),
    };
    if src == dst || !src_has {
        ctx.w().int(i64::from(src == dst && src_has));
        return Ok(());
    }
    let emptied = match ctx.db().get_mut(src, now) {
        Some(Value::Set(s)) => {
            s.remove(member);
            s.is_empty()
        }
        _ => false,
    };
    ctx.notify(notify::SET, "srem", src);
    if emptied {
        ctx.delete(src);
    }
    ctx.dirty += 1;
    let added = if dst_exists {
        match ctx.db().get_mut(dst, now) {
            Some(Value::Set(s)) => s.add(member, max),
            _ => false,
        }
    } else {
        let mut s = SetValue::new();
        s.add(member, max);
        ctx.store(dst, Value::Set(s), StoreTtl::Clear);
        true
    };
    // A member the destination already held adds nothing and is not
    // notified.
    if added {
        ctx.notify(notify::SET, "sadd", dst);
        ctx.dirty += 1;
    }
    ctx.w().int(1);
    Ok(())
}

/// SINTER key [key ...]
pub fn cmd_sinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let keys = args.get(1..).unwrap_or_default();
    let members = op_inter(ctx, keys)?;
    let mut w = ctx.w();
    w.set(members.len());
    for m in &members {
        w.bulk(m);
    }
    Ok(())
}

/// SINTERSTORE destination key [key ...]
pub fn cmd_sinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let keys = args.get(2..).unwrap_or_default();
    let members = op_inter(ctx, keys)?;
    let max = ctx.settings.set_max_intset_entries;
    let mut s = SetValue::new();
    for m in &members {
        s.add(m, max);
    }
    store_result(ctx, arg(args, 1), s, "sinterstore");
    Ok(())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn cmd_sintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let numkeys = ferrite_storage::num::parse_i64(arg(args, 1))
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::other(NUMKEYS))?;
    let rest = args.get(2..).unwrap_or_default();
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > rest.len() {
        return Err(CmdError::other(TOO_MANY_KEYS));
    }
    let (keys, opts) = rest.split_at(numkeys);
    let mut limit = 0usize;
    let mut i = 0;
    while i < opts.len() {
        match opts.get(i + 1) {
            Some(v) if is(&opts[i], "limit") => {
                let n = ferrite_storage::num::parse_i64(v)
                    .filter(|&n| n >= 0)
                    .ok_or_else(|| CmdError::other(NEGATIVE_LIMIT))?;
                limit = usize::try_from(n).unwrap_or(usize::MAX);
                i += 2;
            }
            _ => return Err(CmdError::SYNTAX),
        }
    }
    let members = op_inter(ctx, keys)?;
    let n = if limit == 0 {
        members.len()
    } else {
        members.len().min(limit)
    };
    ctx.w().int(n as i64);
    Ok(())
}

/// SUNION key [key ...]
pub fn cmd_sunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let s = op_union_diff(ctx, args.get(1..).unwrap_or_default(), false)?;
    reply_set(ctx, &s);
    Ok(())
}

/// SUNIONSTORE destination key [key ...]
pub fn cmd_sunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let s = op_union_diff(ctx, args.get(2..).unwrap_or_default(), false)?;
    store_result(ctx, arg(args, 1), s, "sunionstore");
    Ok(())
}

/// SDIFF key [key ...]
pub fn cmd_sdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let s = op_union_diff(ctx, args.get(1..).unwrap_or_default(), true)?;
    reply_set(ctx, &s);
    Ok(())
}

/// SDIFFSTORE destination key [key ...]
pub fn cmd_sdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let s = op_union_diff(ctx, args.get(2..).unwrap_or_default(), true)?;
    store_result(ctx, arg(args, 1), s, "sdiffstore");
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn cmd_sscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_scan_cursor(arg(args, 2)).ok_or_else(|| CmdError::other(INVALID_CURSOR))?;
    let (s, mut w) = ctx.read::<SetValue>(arg(args, 1))?;
    let Some(s) = s else {
        // A missing key ends the scan before the options are read.
        w.array(2);
        w.bulk(b"0");
        w.array(0);
        return Ok(());
    };
    let opts = parse_member_scan_args(args.get(3..).unwrap_or_default())?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = s.scan(cursor, opts.count, |m| {
        m.with_bytes(|b| {
            if opts
                .pattern
                .as_ref()
                .is_none_or(|p| string_match(p, b, false))
            {
                found.push(b.to_vec());
            }
        })
    });
    w.array(2);
    w.bulk(next.to_string().as_bytes());
    w.array(found.len());
    for m in &found {
        w.bulk(m);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shared pieces of the handlers.
// ---------------------------------------------------------------------------

fn bulk(w: &mut Writer<'_>, m: Member<'_>) {
    m.with_bytes(|b| w.bulk(b));
}

/// Looks every key up for reading as Redis does before any set operation
/// (the STORE forms too: their sources count keyspace hits and misses),
/// failing with WRONGTYPE if any holds another type; returns each key's
/// size, `None` when missing.
fn check_sets(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Option<usize>>, CmdError> {
    let mut sizes = Vec::with_capacity(keys.len());
    for k in keys {
        match ctx.lookup_read(k).map(|e| &e.value) {
            None => sizes.push(None),
            Some(Value::Set(s)) => sizes.push(Some(s.len())),
            Some(_) => return Err(CmdError::WRONG_TYPE),
        }
    }
    Ok(sizes)
}

/// The set under `key`, already checked by [`check_sets`] (not counted again).
fn peek<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<&'c SetValue> {
    let now = ctx.now_ms;
    match ctx.db().get(key, now).map(|e| &e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// The members common to the sets under `keys`, in the iteration order of
/// the smallest (ascending if it is an `intset`, as Redis replies).
fn op_inter(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Vec<u8>>, CmdError> {
    let sizes = check_sets(ctx, keys)?;
    let mut smallest: Option<(usize, usize)> = None;
    for (i, size) in sizes.iter().enumerate() {
        match size {
            None => return Ok(Vec::new()),
            Some(n) if smallest.is_none_or(|(_, m)| *n < m) => smallest = Some((i, *n)),
            Some(_) => {}
        }
    }
    let Some((first, _)) = smallest else {
        return Ok(Vec::new());
    };
    let mut candidates: Vec<Vec<u8>> = match keys.get(first).and_then(|k| peek(ctx, k)) {
        Some(s) => s.iter().map(|m| m.to_vec()).collect(),
        None => return Ok(Vec::new()),
    };
    for (i, k) in keys.iter().enumerate() {
        if i == first || candidates.is_empty() {
            continue;
        }
        match peek(ctx, k) {
            Some(s) => candidates.retain(|m| s.contains(m)),
            None => candidates.clear(),
        }
    }
    Ok(candidates)
}

/// The union or (with `diff`) the difference of the sets under `keys`,
/// built as Redis builds it: members added to a new `intset`.
fn op_union_diff(ctx: &mut Ctx<'_>, keys: &[Bytes], diff: bool) -> Result<SetValue, CmdError> {
    let sizes = check_sets(ctx, keys)?;
    let max = ctx.settings.set_max_intset_entries;
    let mut out = SetValue::new();
    if diff && sizes.first().is_none_or(Option::is_none) {
        return Ok(out);
    }
    for (i, k) in keys.iter().enumerate() {
        let Some(s) = peek(ctx, k) else { continue };
        if i == 0 || !diff {
            for m in s.iter() {
                m.with_bytes(|b| out.add(b, max));
            }
        } else {
            if out.is_empty() {
                break;
            }
            for m in s.iter() {
                m.with_bytes(|b| out.remove(b));
            }
        }
    }
    Ok(out)
}

/// Replies a computed set (a RESP3 set).
fn reply_set(ctx: &mut Ctx<'_>, s: &SetValue) {
    let mut w = ctx.w();
    w.set(s.len());
    for m in s.iter() {
        bulk(&mut w, m);
    }
}

/// The STORE forms' ending: the result replaces `dst` (whatever it held,
/// TTL included) with the `event` notification or, when empty, `dst` is
/// deleted (a `del` event if it existed); replies the size.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], s: SetValue, event: &'static str) {
    let n = s.len();
    if n > 0 {
        ctx.store(dst, Value::Set(s), StoreTtl::Clear);
        ctx.notify(notify::SET, event, dst);
        ctx.dirty += 1;
    } else if ctx.delete(dst) {
        ctx.dirty += 1;
    }
    ctx.w().int(n as i64);
}

// ---------------------------------------------------------------------------
// Pure operations.
// ---------------------------------------------------------------------------

/// Writes SRANDMEMBER's reply for a non-zero `count` on a non-empty set:
/// `|count|` picks with repetition for a negative count; the whole set for
/// a count at least its size; otherwise `count` distinct members in random
/// order. Repeated picks go straight to the reply, so nothing is allocated
/// in proportion to `count`.
fn op_random_members(s: &SetValue, count: i64, w: &mut Writer<'_>) {
    let n = count.unsigned_abs();
    let size = s.len();
    if count >= 0 && n >= size as u64 {
        w.array(size);
        for m in s.iter() {
            bulk(w, m);
        }
        return;
    }
    let mut rng = rand::rng();
    w.array(usize::try_from(n).unwrap_or(usize::MAX));
    if count < 0 {
        for _ in 0..n {
            if let Some(m) = s.get_index(rng.random_range(0..size)) {
                bulk(w, m);
            }
        }
        return;
    }
    // 0 < n < size here.
    for i in rand::seq::index::sample(&mut rng, size, n as usize) {
        if let Some(m) = s.get_index(i) {
            bulk(w, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    use crate::testing::{bulk, TestShard as Shard, T0};

    const NIL: &str = "$-1\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    /// The bulk strings of a flat reply, in order.
    fn bulks(reply: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut lines = reply.split("\r\n");
        while let Some(l) = lines.next() {
            if l.starts_with('$') && l != "$-1" {
                out.push(lines.next().unwrap_or_default().to_owned());
            }
        }
        out
    }

    fn sorted(reply: &str) -> Vec<String> {
        let mut v = bulks(reply);
        v.sort();
        v
    }

    fn arr(items: &[&str]) -> String {
        let mut s = format!("*{}\r\n", items.len());
        for i in items {
            s.push_str(&bulk(i));
        }
        s
    }

    #[test]
    fn add_remove_members_and_dirty() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SADD", "s", "3", "1", "2", "1"], ":3\r\n");
        assert_eq!(s.dirty, 3);
        assert_eq!(s.encoding("s"), "intset");
        s.ok(&["SMEMBERS", "s"], &arr(&["1", "2", "3"]));
        s.ok(&["SADD", "s", "1"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["SCARD", "s"], ":3\r\n");
        s.ok(&["SCARD", "nokey"], ":0\r\n");
        s.ok(&["SISMEMBER", "s", "2"], ":1\r\n");
        s.ok(&["SISMEMBER", "s", "02"], ":0\r\n");
        s.ok(&["SISMEMBER", "nokey", "2"], ":0\r\n");
        s.ok(
            &["SMISMEMBER", "s", "1", "x", "3"],
            "*3\r\n:1\r\n:0\r\n:1\r\n",
        );
        s.ok(&["SMISMEMBER", "nokey", "1"], "*1\r\n:0\r\n");
        s.ok(&["SADD", "s", "a"], ":1\r\n");
        assert_eq!(s.encoding("s"), "hashtable");
        s.ok(&["SREM", "s", "a", "zz", "1"], ":2\r\n");
        assert_eq!(s.dirty, 2);
        assert_eq!(s.encoding("s"), "hashtable");
        s.ok(&["SREM", "s", "2", "3"], ":2\r\n");
        assert!(s.entry("s").is_none(), "an emptied set is deleted");
        s.ok(&["SREM", "s", "2"], ":0\r\n");
        s.ok(&["SMEMBERS", "nokey"], "*0\r\n");
        s.ok(
            &["SADD", "s"],
            "-ERR wrong number of arguments for 'sadd' command\r\n",
        );
        // Binary-safe members.
        assert_eq!(s.run_bytes(&[b"SADD", b"b", b"\0\r\n", b""]), b":2\r\n");
        assert_eq!(s.run_bytes(&[b"SISMEMBER", b"b", b""]), b":1\r\n");
        // Writes refresh the access time.
        s.now_ms += 5_000;
        s.ok(&["SREM", "b", "nope"], ":0\r\n");
        assert_eq!(
            s.entry("b").map(|e| e.access_secs),
            Some((s.now_ms / 1000) as u32)
        );
        assert!(s.now_ms > T0);
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut s = Shard::new(COMMANDS);
        s.dbs[0].set(b"str", Value::string(b"x"));
        s.ok(&["SADD", "set", "1"], ":1\r\n");
        for cmd in [
            &["SADD", "str", "1"][..],
            &["SREM", "str", "1"],
            &["SCARD", "str"],
            &["SISMEMBER", "str", "1"],
            &["SMISMEMBER", "str", "1"],
            &["SMEMBERS", "str"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "-3"],
            &["SPOP", "str"],
            &["SPOP", "str", "2"],
            &["SMOVE", "str", "set", "1"],
            &["SMOVE", "set", "str", "1"],
            &["SMOVE", "set", "str", "9"],
            &["SINTER", "nokey", "str"],
            &["SINTERCARD", "2", "nokey", "str"],
            &["SINTERSTORE", "d", "set", "str"],
            &["SUNION", "set", "str"],
            &["SUNIONSTORE", "d", "str"],
            &["SDIFF", "nokey", "str"],
            &["SDIFFSTORE", "d", "set", "str"],
            &["SSCAN", "str", "0"],
        ] {
            s.ok(cmd, WRONGTYPE);
        }
        s.ok(&["SMOVE", "nokey", "str", "1"], ":0\r\n");
        s.ok(&["SPOP", "str", "-1"], &format!("-{POSITIVE_COUNT}\r\n"));
        s.ok(
            &["SRANDMEMBER", "str", "x"],
            "-ERR value is not an integer or out of range\r\n",
        );
        // A store overwrites a destination of any type.
        s.ok(&["SUNIONSTORE", "str", "set"], ":1\r\n");
        s.ok(&["SMEMBERS", "str"], &arr(&["1"]));
    }

    #[test]
    fn random_picks_and_pops() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SRANDMEMBER", "nokey"], NIL);
        s.ok(&["SRANDMEMBER", "nokey", "5"], "*0\r\n");
        s.ok(&["SRANDMEMBER", "nokey", "1", "2"], "-ERR syntax error\r\n");
        s.ok(
            &["SRANDMEMBER", "nokey", "-9223372036854775808"],
            &format!("-{COUNT_OUT_OF_RANGE}\r\n"),
        );
        s.ok(&["SRANDMEMBER", "nokey", "-9223372036854775807"], "*0\r\n");
        s.ok(&["SPOP", "nokey"], NIL);
        s.ok(&["SPOP", "nokey", "3"], "*0\r\n");
        s.ok(&["SPOP", "nokey", "x"], &format!("-{POSITIVE_COUNT}\r\n"));
        s.ok(&["SPOP", "nokey", "1", "2"], "-ERR syntax error\r\n");
        let all: HashSet<String> = (0..20).map(|i| format!("m{i}")).collect();
        let mut cmd = vec!["SADD", "s"];
        let names: Vec<&String> = all.iter().collect();
        cmd.extend(names.iter().map(|s| s.as_str()));
        s.run(&cmd);
        s.ok(&["SRANDMEMBER", "s", "0"], "*0\r\n");
        for _ in 0..10 {
            let r = bulks(&s.run(&["SRANDMEMBER", "s", "7"]));
            assert_eq!(r.iter().collect::<HashSet<_>>().len(), 7);
            assert!(r.iter().all(|m| all.contains(m)));
            let r = bulks(&s.run(&["SRANDMEMBER", "s", "-50"]));
            assert_eq!(r.len(), 50);
            assert!(r.iter().all(|m| all.contains(m)));
        }
        let r = bulks(&s.run(&["SRANDMEMBER", "s", "100"]));
        assert_eq!(r.into_iter().collect::<HashSet<_>>(), all);
        s.settings.proto_max_bulk_len = 70;
        s.ok(
            &["SRANDMEMBER", "s", "-11"],
            "-ERR count is too large: the reply would exceed proto-max-bulk-len\r\n",
        );
        assert!(s.run(&["SRANDMEMBER", "s", "-10"]).starts_with("*10\r\n"));
        // Popping: distinct, removed, the set deleted when drained.
        let one = bulks(&s.run(&["SPOP", "s"]));
        assert!(all.contains(&one[0]));
        assert_eq!(s.dirty, 1);
        let r = bulks(&s.run(&["SPOP", "s", "5"]));
        assert_eq!(r.iter().collect::<HashSet<_>>().len(), 5);
        assert_eq!(s.dirty, 5);
        s.ok(&["SCARD", "s"], ":14\r\n");
        s.ok(&["SPOP", "s", "0"], "*0\r\n");
        let rest = bulks(&s.run(&["SPOP", "s", "100"]));
        assert_eq!(rest.len(), 14);
        assert!(s.entry("s").is_none());
        // An intset pops whole in ascending order and keeps its encoding.
        s.ok(&["SADD", "i", "5", "-1", "3", "10", "7"], ":5\r\n");
        s.run(&["SPOP", "i", "2"]);
        assert_eq!(s.encoding("i"), "intset");
        s.ok(&["SADD", "j", "5", "-1", "3"], ":3\r\n");
        s.ok(&["SPOP", "j", "3"], &arr(&["-1", "3", "5"]));
        s.resp3 = true;
        s.ok(&["SPOP", "nokey", "2"], "~0\r\n");
        s.ok(&["SPOP", "nokey"], "_\r\n");
        s.ok(&["SRANDMEMBER", "nokey", "2"], "*0\r\n");
    }

    #[test]
    fn smove_follows_redis() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SADD", "a", "1", "2"], ":2\r\n");
        s.ok(&["SMOVE", "a", "a", "1"], ":1\r\n");
        s.ok(&["SMOVE", "a", "a", "9"], ":0\r\n");
        s.ok(&["SMOVE", "a", "b", "9"], ":0\r\n");
        s.ok(&["SMOVE", "a", "b", "1"], ":1\r\n");
        assert_eq!(s.dirty, 2);
        s.ok(&["SADD", "c", "2"], ":1\r\n");
        s.ok(&["SMOVE", "a", "c", "2"], ":1\r\n");
        assert_eq!(s.dirty, 1);
        assert!(s.entry("a").is_none());
        s.ok(&["SMEMBERS", "b"], &arr(&["1"]));
        s.settings.set_max_intset_entries = 1;
        s.ok(&["SADD", "d", "5"], ":1\r\n");
        s.ok(&["SMOVE", "b", "d", "1"], ":1\r\n");
        assert_eq!(s.encoding("d"), "hashtable");
    }

    #[test]
    fn algebra_and_store_encodings() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SADD", "x", "1", "2", "3", "a"], ":4\r\n");
        s.ok(&["SADD", "y", "3", "2", "1", "9"], ":4\r\n");
        s.ok(&["SADD", "z", "2", "3"], ":2\r\n");
        s.ok(&["SINTER", "y", "z"], &arr(&["2", "3"]));
        assert_eq!(sorted(&s.run(&["SINTER", "x", "y"])), ["1", "2", "3"]);
        s.ok(&["SINTER", "x", "nokey"], "*0\r\n");
        s.ok(&["SINTERSTORE", "d", "x", "y"], ":3\r\n");
        assert_eq!(s.encoding("d"), "intset");
        assert_eq!(s.dirty, 1);
        s.ok(&["SINTERSTORE", "d", "x", "nokey"], ":0\r\n");
        assert!(s.entry("d").is_none());
        assert_eq!(s.dirty, 1);
        s.ok(&["SINTERSTORE", "d", "x", "nokey"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["SUNION", "y", "z", "nokey"], &arr(&["1", "2", "3", "9"]));
        assert_eq!(
            sorted(&s.run(&["SUNION", "x", "y"])),
            ["1", "2", "3", "9", "a"]
        );
        s.ok(&["SDIFF", "y", "x"], &arr(&["9"]));
        s.ok(&["SDIFF", "nokey", "x"], "*0\r\n");
        s.ok(&["SDIFF", "x", "x"], "*0\r\n");
        s.ok(&["SDIFFSTORE", "e", "x", "z"], ":2\r\n");
        assert_eq!(s.encoding("e"), "hashtable");
        s.ok(&["SUNIONSTORE", "u", "y", "z"], ":4\r\n");
        assert_eq!(s.encoding("u"), "intset");
        s.ok(&["SINTERCARD", "2", "x", "y"], ":3\r\n");
        s.ok(&["SINTERCARD", "2", "x", "y", "LIMIT", "2"], ":2\r\n");
        s.ok(&["SINTERCARD", "2", "x", "y", "limit", "0"], ":3\r\n");
        s.ok(&["SINTERCARD", "2", "x", "nokey"], ":0\r\n");
        s.ok(&["SINTERCARD", "0", "x"], &format!("-{NUMKEYS}\r\n"));
        s.ok(&["SINTERCARD", "x", "x"], &format!("-{NUMKEYS}\r\n"));
        s.ok(
            &["SINTERCARD", "3", "x", "y"],
            &format!("-{TOO_MANY_KEYS}\r\n"),
        );
        s.ok(&["SINTERCARD", "1", "x", "LIMIT"], "-ERR syntax error\r\n");
        s.ok(
            &["SINTERCARD", "1", "x", "LIMIT", "-1"],
            &format!("-{NEGATIVE_LIMIT}\r\n"),
        );
        s.ok(
            &["SINTERCARD", "1", "x", "foo", "1"],
            "-ERR syntax error\r\n",
        );
        s.resp3 = true;
        s.ok(
            &["SINTER", "y", "z"],
            &format!("~2\r\n{}{}", bulk("2"), bulk("3")),
        );
        s.ok(&["SMEMBERS", "nokey"], "~0\r\n");
        s.ok(&["SUNION", "nokey"], "~0\r\n");
        s.ok(&["SDIFF", "nokey"], "~0\r\n");
    }

    #[test]
    fn sscan_intset_and_table() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["SSCAN", "nokey", "0", "junk"], "*2\r\n$1\r\n0\r\n*0\r\n");
        s.ok(&["SSCAN", "nokey", "x"], "-ERR invalid cursor\r\n");
        s.ok(&["SADD", "i", "3", "1", "12"], ":3\r\n");
        s.ok(
            &["SSCAN", "i", "55", "COUNT", "1"],
            &format!("*2\r\n$1\r\n0\r\n{}", arr(&["1", "3", "12"])),
        );
        s.ok(
            &["SSCAN", "i", "0", "MATCH", "1*"],
            &format!("*2\r\n$1\r\n0\r\n{}", arr(&["1", "12"])),
        );
        s.ok(&["SSCAN", "i", "0", "TYPE", "set"], "-ERR syntax error\r\n");
        s.ok(&["SSCAN", "i", "0", "COUNT", "0"], "-ERR syntax error\r\n");
        let mut cmd = vec!["SADD".to_owned(), "t".to_owned()];
        cmd.extend((0..100).map(|i| format!("m{i}")));
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        s.run(&refs);
        let mut seen = HashSet::new();
        let mut cursor = "0".to_owned();
        let mut pages = 0;
        loop {
            let r = bulks(&s.run(&["SSCAN", "t", &cursor, "COUNT", "7"]));
            cursor = r[0].clone();
            seen.extend(r[1..].iter().cloned());
            pages += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
        assert!(pages >= 100 / 7);
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence. SPOP's choices are random, but
    // its events depend only on how many members went.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            ("SADD s a b c", &["new s", "sadd s"]),
            ("SADD s a", &[]),
            ("SADD s d", &["sadd s"]),
            ("SREM s a nope", &["srem s"]),
            ("SREM s nope", &[]),
            ("SPOP s", &["spop s"]),
            ("SPOP s 0", &[]),
            ("SPOP s 1", &["spop s"]),
            ("SADD s a b c d e", &["sadd s"]),
            ("SPOP s 2", &["spop s"]),
            ("SPOP s 10", &["spop s", "del s"]),
            ("SADD s a b c", &["new s", "sadd s"]),
            ("SPOP s", &["spop s"]),
            ("SPOP s", &["spop s"]),
            ("SPOP s", &["spop s", "del s"]),
            ("SADD s a b c", &["new s", "sadd s"]),
            ("SRANDMEMBER s 2", &[]),
            // SMOVE: `srem` (and `del`) on the source, then `new` and `sadd`
            // on the destination, `sadd` only if it gained the member;
            // nothing when both are one set.
            ("SMOVE s t a", &["srem s", "new t", "sadd t"]),
            ("SMOVE s t a", &[]),
            ("SMOVE s t b", &["srem s", "sadd t"]),
            ("SMOVE s s c", &[]),
            ("SMOVE t s a", &["srem t", "sadd s"]),
            ("SMOVE t s b", &["srem t", "del t", "sadd s"]),
            ("SADD t a", &["new t", "sadd t"]),
            ("SMOVE s t a", &["srem s"]),
            // STORE forms: their event (no `new` over an existing key), or
            // `del` for an empty result over an existing key.
            ("SADD a 1 2 3", &["new a", "sadd a"]),
            ("SADD b 3 4", &["new b", "sadd b"]),
            ("SINTERSTORE d a b", &["new d", "sinterstore d"]),
            ("SINTERSTORE d a b", &["sinterstore d"]),
            ("SINTERSTORE d a nope", &["del d"]),
            ("SINTERSTORE d a nope", &[]),
            ("SUNIONSTORE d a b", &["new d", "sunionstore d"]),
            ("SUNIONSTORE d nope", &["del d"]),
            ("SDIFFSTORE d a b", &["new d", "sdiffstore d"]),
            ("SDIFFSTORE d b b", &["del d"]),
            ("SDIFFSTORE a a", &["sdiffstore a"]),
            ("SINTERSTORE a a", &["sinterstore a"]),
            ("SUNIONSTORE a a", &["sunionstore a"]),
            ("SINTER a b", &[]),
            ("SINTERCARD 2 a b", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            ("SADD b x", &["new b", "sadd b"]),
            ("SMEMBERS nope", &["keymiss nope"]),
            ("SISMEMBER nope x", &["keymiss nope"]),
            ("SINTER nope a", &["keymiss nope", "keymiss a"]),
            ("SUNION nope b", &["keymiss nope"]),
            ("SDIFF nope b", &["keymiss nope"]),
            ("SINTERCARD 2 nope b", &["keymiss nope"]),
            ("SRANDMEMBER nope", &["keymiss nope"]),
            ("SCARD nope", &["keymiss nope"]),
            ("SUNIONSTORE d nope", &["keymiss nope"]),
            ("SMOVE nope b x", &[]),
            ("SPOP nope", &[]),
        ]);
    }

    /// The members of the set under `key` (empty if none).
    fn members_of(s: &mut Shard, key: &str) -> HashSet<String> {
        match s.entry(key).map(|e| e.value) {
            Some(Value::Set(set)) => set
                .iter()
                .map(|m| m.with_bytes(|b| String::from_utf8_lossy(b).into_owned()))
                .collect(),
            _ => HashSet::new(),
        }
    }

    /// Runs an SPOP with journaling on and checks its journal against what
    /// Redis 7.0.15 writes: one `SREM key member` per member popped, naming
    /// exactly the members that went.
    fn check_spop_journal(s: &mut Shard, line: &str, key: &str, n: usize) {
        use crate::string::journal_check::journal_of;
        let before = members_of(s, key);
        let journal = journal_of(s, line);
        let after = members_of(s, key);
        let prefix = format!("SREM {key} ");
        let named: HashSet<String> = journal
            .iter()
            .map(|l| l.strip_prefix(&prefix).expect(l).to_string())
            .collect();
        assert_eq!(journal.len(), n, "{line:?}");
        assert_eq!(named.len(), n, "{line:?} names a member twice");
        let gone: HashSet<String> = before.difference(&after).cloned().collect();
        assert_eq!(named, gone, "{line:?}");
    }

    /// Only an SPOP whose count takes the whole set counts a keyspace hit,
    /// as Redis 7.0.15's INFO stats show.
    #[test]
    fn spop_of_the_whole_set_counts_a_hit() {
        let mut s = Shard::new(COMMANDS);
        s.run(&["SADD", "s", "1", "2", "3", "4"]);
        for (args, hits) in [
            (&["SPOP", "s"][..], 0),
            (&["SPOP", "s", "1"], 0),
            (&["SPOP", "nokey", "3"], 0),
            (&["SPOP", "s", "0"], 0),
            (&["SPOP", "s", "9"], 1),
            (&["SPOP", "s", "9"], 1),
        ] {
            s.run(args);
            assert_eq!(s.stats.keyspace_hits, hits, "after {args:?}");
            assert_eq!(s.stats.keyspace_misses, 0, "after {args:?}");
        }
    }

    /// What Redis 7.0.15 wrote to its AOF for SPOP (checked with a real
    /// server): an SREM per popped member, even for thousands of them, or
    /// DEL when a count takes the whole set; nothing when nothing went.
    #[test]
    fn journaled_effects() {
        use crate::string::journal_check::{journals, no_effects_unless_journaling};
        let mut s = Shard::new(COMMANDS);
        journals(
            &mut s,
            "sadd s a b c d e f g h i j",
            &["sadd s a b c d e f g h i j"],
        );
        check_spop_journal(&mut s, "spop s", "s", 1);
        check_spop_journal(&mut s, "spop s 2", "s", 2);
        check_spop_journal(&mut s, "spop s 6", "s", 6);
        journals(&mut s, "spop s 0", &[]);
        journals(&mut s, "spop s 10", &["DEL s"]);
        journals(&mut s, "spop s", &[]);
        journals(&mut s, "spop s 3", &[]);
        journals(&mut s, "sadd one a", &["sadd one a"]);
        journals(&mut s, "spop one 1", &["DEL one"]);
        journals(&mut s, "sadd one a", &["sadd one a"]);
        journals(&mut s, "spop one", &["SREM one a"]);
        journals(&mut s, "sadd ints 1 2 3", &["sadd ints 1 2 3"]);
        check_spop_journal(&mut s, "spop ints 2", "ints", 2);
        let big: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
        let sadd = format!("sadd big {}", big.join(" "));
        journals(&mut s, &sadd, &[&sadd]);
        check_spop_journal(&mut s, "spop big 2500", "big", 2500);
        check_spop_journal(&mut s, "spop big 10", "big", 10);
        journals(&mut s, "set str v", &["set str v"]);
        journals(&mut s, "spop str", &[]);
        journals(&mut s, "spop str 2", &[]);
        no_effects_unless_journaling(&mut s, "SPOP big");
        no_effects_unless_journaling(&mut s, "SPOP big 5");
        no_effects_unless_journaling(&mut s, "SPOP big 1000");
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "sinterstore dst nokey", &[]);
        journals(&mut s, "sadd s a", &["sadd s a"]);
        journals(&mut s, "sadd s a", &[]);
        journals(&mut s, "srem s zz", &[]);
        journals(&mut s, "smove s s a", &[]);
        journals(&mut s, "smove s s zz", &[]);
        journals(&mut s, "sunionstore s2 s", &["sunionstore s2 s"]);
        journals(&mut s, "sdiffstore s2 nokey", &["sdiffstore s2 nokey"]);
        journals(&mut s, "smove s s3 a", &["smove s s3 a"]);
    }
}
