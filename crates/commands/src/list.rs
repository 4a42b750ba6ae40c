//! The list group: pushes and pops at both ends (LPUSH ... RPOPLPUSH, LMOVE,
//! LMPOP), reads by index and range (LINDEX, LRANGE, LPOS, LLEN), edits in
//! place (LSET, LINSERT, LREM, LTRIM), and the blocking forms (BLPOP, BRPOP,
//! BLMOVE, BRPOPLPUSH, BLMPOP).
//!
//! Every list is a [`ListValue`], a quicklist of packed nodes bounded by
//! `list-max-listpack-size`; `OBJECT ENCODING` says `quicklist` whatever the
//! size, as Redis 7.0 does. A list that becomes empty is deleted at once.
//!
//! Dirty counting follows Redis's `server.dirty`: one per pushed, popped or
//! removed element (LPUSH with three values counts three, LPOP with a count
//! counts the elements popped, LTRIM the elements trimmed), one for LSET,
//! LINSERT and a move. A command that changes nothing counts nothing.
//!
//! Lookups follow Redis's two flavours: reads (LLEN, LINDEX, LRANGE, LPOS)
//! count a keyspace hit or miss; writes do not. Both refresh the key's
//! access time, as Redis's lookups do.
//!
//! Blocking commands validate their arguments as Redis does, then serve like
//! their non-blocking form when a key has data. Otherwise they write nothing
//! and set [`Ctx::block`]; the runtime queues the client and later runs the
//! same handler again (BLPOP/BRPOP as `[name, key, "0"]`, BLMPOP as
//! `[name, "0", "1", key, where, ...]`, the others with their own argv).

use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::ListValue;

use crate::ctx::{notify, Block, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::generic::{cmdline, num_arg};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, is, parse_i64, parse_timeout};

/// The list group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("blmove", 6, Group::List, Exec::Keyed(cmd_blmove))
        .flags(
            Flags::WRITE
                .union(Flags::DENYOOM)
                .union(Flags::NOSCRIPT)
                .union(Flags::BLOCKING),
        )
        .keys(1, 2, 1)
        .acl(&["@write", "@list", "@slow", "@blocking"])
        .doc(
            "Moves an element from one list to another, waiting for one if needed.",
            "6.2.0",
        ),
    CommandSpec::new("blmpop", -5, Group::List, Exec::Keyed(cmd_blmpop))
        .flags(Flags::WRITE.union(Flags::BLOCKING))
        .keys_numkeys(2)
        .acl(&["@write", "@list", "@slow", "@blocking"])
        .doc(
            "Pops elements from the first non-empty of several lists, waiting for one if needed.",
            "7.0.0",
        ),
    CommandSpec::new("blpop", -3, Group::List, Exec::Keyed(cmd_blpop))
        .flags(Flags::WRITE.union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .keys(1, -2, 1)
        .acl(&["@write", "@list", "@slow", "@blocking"])
        .doc(
            "Pops the head of the first non-empty of several lists, waiting for one if needed.",
            "2.0.0",
        ),
    CommandSpec::new("brpop", -3, Group::List, Exec::Keyed(cmd_brpop))
        .flags(Flags::WRITE.union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .keys(1, -2, 1)
        .acl(&["@write", "@list", "@slow", "@blocking"])
        .doc(
            "Pops the tail of the first non-empty of several lists, waiting for one if needed.",
            "2.0.0",
        ),
    CommandSpec::new("brpoplpush", 4, Group::List, Exec::Keyed(cmd_brpoplpush))
        .flags(
            Flags::WRITE
                .union(Flags::DENYOOM)
                .union(Flags::NOSCRIPT)
                .union(Flags::BLOCKING),
        )
        .keys(1, 2, 1)
        .acl(&["@write", "@list", "@slow", "@blocking"])
        .doc(
            "Moves a list's tail to another list's head, waiting for one if needed.",
            "2.2.0",
        ),
    CommandSpec::new("lindex", 3, Group::List, Exec::Keyed(cmd_lindex))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@list", "@slow"])
        .doc(
            "Returns the element at an index (negative from the tail).",
            "1.0.0",
        ),
    CommandSpec::new("linsert", 5, Group::List, Exec::Keyed(cmd_linsert))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Inserts an element before or after the first occurrence of another.",
            "2.2.0",
        ),
    CommandSpec::new("llen", 2, Group::List, Exec::Keyed(cmd_llen))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@list", "@fast"])
        .doc("Returns the number of elements of a list.", "1.0.0"),
    CommandSpec::new("lmove", 5, Group::List, Exec::Keyed(cmd_lmove))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 2, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Pops an element from one end of a list and pushes it onto an end of another.",
            "6.2.0",
        ),
    CommandSpec::new("lmpop", -4, Group::List, Exec::Keyed(cmd_lmpop))
        .flags(Flags::WRITE)
        .keys_numkeys(1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Pops elements from one end of the first non-empty of several lists.",
            "7.0.0",
        ),
    CommandSpec::new("lpop", -2, Group::List, Exec::Keyed(cmd_lpop))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc("Removes and returns elements from a list's head.", "1.0.0"),
    CommandSpec::new("lpos", -3, Group::List, Exec::Keyed(cmd_lpos))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@list", "@slow"])
        .doc("Returns the indexes of elements equal to a value.", "6.0.6"),
    CommandSpec::new("lpush", -3, Group::List, Exec::Keyed(cmd_lpush))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc(
            "Adds elements at a list's head, creating the list if needed.",
            "1.0.0",
        ),
    CommandSpec::new("lpushx", -3, Group::List, Exec::Keyed(cmd_lpushx))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc(
            "Adds elements at a list's head only if the list exists.",
            "2.2.0",
        ),
    CommandSpec::new("lrange", 4, Group::List, Exec::Keyed(cmd_lrange))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@list", "@slow"])
        .doc(
            "Returns the elements between two indexes, inclusive.",
            "1.0.0",
        ),
    CommandSpec::new("lrem", 4, Group::List, Exec::Keyed(cmd_lrem))
        .flags(Flags::WRITE)
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Removes elements equal to a value, from the head or the tail.",
            "1.0.0",
        ),
    CommandSpec::new("lset", 4, Group::List, Exec::Keyed(cmd_lset))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc("Replaces the element at an index.", "1.0.0"),
    CommandSpec::new("ltrim", 4, Group::List, Exec::Keyed(cmd_ltrim))
        .flags(Flags::WRITE)
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Keeps only the elements between two indexes, inclusive.",
            "1.0.0",
        ),
    CommandSpec::new("rpop", -2, Group::List, Exec::Keyed(cmd_rpop))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc("Removes and returns elements from a list's tail.", "1.0.0"),
    CommandSpec::new("rpoplpush", 3, Group::List, Exec::Keyed(cmd_rpoplpush))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 2, 1)
        .acl(&["@write", "@list", "@slow"])
        .doc(
            "Moves a list's tail to another list's head (old form of LMOVE).",
            "1.2.0",
        ),
    CommandSpec::new("rpush", -3, Group::List, Exec::Keyed(cmd_rpush))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc(
            "Adds elements at a list's tail, creating the list if needed.",
            "1.0.0",
        ),
    CommandSpec::new("rpushx", -3, Group::List, Exec::Keyed(cmd_rpushx))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@list", "@fast"])
        .doc(
            "Adds elements at a list's tail only if the list exists.",
            "2.2.0",
        ),
];

const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";

/// LPUSH key element [element ...]
pub fn cmd_lpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Left, false)
}

/// RPUSH key element [element ...]
pub fn cmd_rpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Right, false)
}

/// LPUSHX key element [element ...]
pub fn cmd_lpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Left, true)
}

/// RPUSHX key element [element ...]
pub fn cmd_rpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Right, true)
}

/// LPOP key [count]
pub fn cmd_lpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Left)
}

/// RPOP key [count]
pub fn cmd_rpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Right)
}

/// LLEN key
pub fn cmd_llen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx
        .read::<ListValue>(arg(args, 1))?
        .0
        .map_or(0, ListValue::len);
    ctx.w().int(len as i64);
    Ok(())
}

/// LRANGE key start stop
pub fn cmd_lrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_i64(arg(args, 2))?;
    let end = parse_i64(arg(args, 3))?;
    let (list, mut w) = ctx.read::<ListValue>(arg(args, 1))?;
    let Some(list) = list else {
        w.array(0);
        return Ok(());
    };
    let (a, b) = op_range_bounds(list.len(), start, end);
    let items = list.range(a, b);
    w.array(items.len());
    for v in items {
        w.bulk(v);
    }
    Ok(())
}

/// LINDEX key index
pub fn cmd_lindex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Redis looks the key up before it reads the index: a missing key
    // answers nil even for an index that is not a number.
    let (list, mut w) = ctx.read::<ListValue>(arg(args, 1))?;
    let Some(list) = list else {
        w.null();
        return Ok(());
    };
    let index = parse_i64(arg(args, 2))?;
    match list.resolve_index(index).and_then(|i| list.get(i)) {
        Some(v) => w.bulk(v),
        None => w.null(),
    }
    Ok(())
}

/// LSET key index element
pub fn cmd_lset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let fill = ctx.settings.list_max_listpack_size;
    let list = ctx
        .write::<ListValue>(arg(args, 1))?
        .0
        .ok_or(CmdError::NO_SUCH_KEY)?;
    let index = parse_i64(arg(args, 2))?;
    let i = list
        .resolve_index(index)
        .ok_or_else(|| CmdError::other(INDEX_OUT_OF_RANGE))?;
    list.set(i, arg(args, 3), fill);
    ctx.notify(notify::LIST, "lset", arg(args, 1));
    ctx.dirty += 1;
    ctx.ok();
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn cmd_linsert(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let after = match arg(args, 2) {
        w if is(w, "AFTER") => true,
        w if is(w, "BEFORE") => false,
        _ => return Err(CmdError::SYNTAX),
    };
    let fill = ctx.settings.list_max_listpack_size;
    let reply = match ctx.write::<ListValue>(arg(args, 1))?.0 {
        None => 0,
        Some(list) => {
            if list.insert_at_pivot(arg(args, 3), arg(args, 4), after, fill) {
                list.len() as i64
            } else {
                -1
            }
        }
    };
    if reply > 0 {
        ctx.notify(notify::LIST, "linsert", arg(args, 1));
        ctx.dirty += 1;
    }
    ctx.w().int(reply);
    Ok(())
}

/// LREM key count element
pub fn cmd_lrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let count = parse_i64(arg(args, 2))?;
    let fill = ctx.settings.list_max_listpack_size;
    let removed = match ctx.write::<ListValue>(key)?.0 {
        None => 0,
        Some(list) => {
            let (max, from_tail) = match count {
                0 => (usize::MAX, false),
                c => (
                    usize::try_from(c.unsigned_abs()).unwrap_or(usize::MAX),
                    c < 0,
                ),
            };
            list.remove_value(arg(args, 3), max, from_tail, fill)
        }
    };
    if removed > 0 {
        ctx.notify(notify::LIST, "lrem", key);
        ctx.dirty += removed as u64;
        ctx.remove_if_empty::<ListValue>(key);
    }
    ctx.w().int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
pub fn cmd_ltrim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let start = parse_i64(arg(args, 2))?;
    let end = parse_i64(arg(args, 3))?;
    if let Some(list) = ctx.write::<ListValue>(key)?.0 {
        let before = list.len();
        let (a, b) = op_range_bounds(before, start, end);
        list.retain_range(a, b);
        let trimmed = before - list.len();
        ctx.dirty += trimmed as u64;
        // Redis notifies every LTRIM of an existing list, even one that
        // removed nothing.
        ctx.notify(notify::LIST, "ltrim", key);
        ctx.remove_if_empty::<ListValue>(key);
    }
    ctx.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn cmd_lpos(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<u64> = None;
    let mut maxlen: u64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = arg(args, j);
        let value = args.get(j + 1).map(|b| &b[..]);
        match value {
            Some(v) if is(opt, "RANK") => {
                rank = parse_i64(v)?;
                if rank == 0 {
                    return Err(CmdError::other(RANK_ZERO));
                }
            }
            Some(v) if is(opt, "COUNT") => count = Some(parse_non_negative(v, COUNT_NEGATIVE)?),
            Some(v) if is(opt, "MAXLEN") => maxlen = parse_non_negative(v, MAXLEN_NEGATIVE)?,
            _ => return Err(CmdError::SYNTAX),
        }
        j += 2;
    }
    let (list, mut w) = ctx.read::<ListValue>(arg(args, 1))?;
    let found = match list {
        Some(list) => op_lpos(list, arg(args, 2), rank, count.unwrap_or(1), maxlen),
        None => Vec::new(),
    };
    match count {
        Some(_) => {
            w.array(found.len());
            for i in found {
                w.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => w.int(i as i64),
            None => w.null(),
        },
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn cmd_lmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(arg(args, 3))?;
    let to = parse_end(arg(args, 4))?;
    match move_generic(ctx, arg(args, 1), arg(args, 2), from, to)? {
        Some(v) => ctx.w().bulk(&v),
        None => ctx.w().null(),
    }
    Ok(())
}

/// RPOPLPUSH source destination
pub fn cmd_rpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match move_generic(ctx, arg(args, 1), arg(args, 2), End::Right, End::Left)? {
        Some(v) => ctx.w().bulk(&v),
        None => ctx.w().null(),
    }
    Ok(())
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn cmd_lmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    mpop_command(ctx, args, false, parse_end, mpop_generic)
}

/// BLPOP key [key ...] timeout
pub fn cmd_blpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, End::Left)
}

/// BRPOP key [key ...] timeout
pub fn cmd_brpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, End::Right)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn cmd_blmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(arg(args, 3))?;
    let to = parse_end(arg(args, 4))?;
    let timeout_ms = parse_timeout(arg(args, 5))?;
    bmove_generic(ctx, args, from, to, timeout_ms, b"LMOVE")
}

/// BRPOPLPUSH source destination timeout
pub fn cmd_brpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let timeout_ms = parse_timeout(arg(args, 3))?;
    bmove_generic(ctx, args, End::Right, End::Left, timeout_ms, b"RPOPLPUSH")
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn cmd_blmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    mpop_command(ctx, args, true, parse_end, mpop_generic)
}

// ---------------------------------------------------------------------------
// Shared pieces of the handlers.
// ---------------------------------------------------------------------------

/// An end of a list: LEFT is the head, RIGHT the tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head.
    Left,
    /// The tail.
    Right,
}

/// Parses LEFT or RIGHT (any case), or gives Redis's syntax error.
fn parse_end(a: &[u8]) -> Result<End, CmdError> {
    if is(a, "LEFT") {
        Ok(End::Left)
    } else if is(a, "RIGHT") {
        Ok(End::Right)
    } else {
        Err(CmdError::SYNTAX)
    }
}

/// An integer in `0..=i64::MAX`; `msg` for text that is not one or is negative.
fn parse_non_negative(a: &[u8], msg: &'static str) -> Result<u64, CmdError> {
    ferrite_storage::num::parse_i64(a)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| CmdError::other(msg))
}

/// An integer in `1..=i64::MAX`; `msg` otherwise.
fn parse_positive(a: &[u8], msg: &'static str) -> Result<u64, CmdError> {
    parse_non_negative(a, msg).and_then(|n| {
        if n == 0 {
            Err(CmdError::other(msg))
        } else {
            Ok(n)
        }
    })
}

/// The event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The command that pops one element from `end`, as journaled.
fn pop_name(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LPOP",
        End::Right => b"RPOP",
    }
}

/// The event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

fn push(list: &mut ListValue, v: &[u8], end: End, fill: i32) {
    match end {
        End::Left => list.push_front(v, fill),
        End::Right => list.push_back(v, fill),
    }
}

/// LPUSH, RPUSH, LPUSHX and RPUSHX.
fn push_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, only_existing: bool) -> CmdResult {
    let key = arg(args, 1);
    let values = args.get(2..).unwrap_or_default();
    let fill = ctx.settings.list_max_listpack_size;
    if only_existing && ctx.write::<ListValue>(key)?.0.is_none() {
        ctx.w().int(0);
        return Ok(());
    }
    let len = ctx.update(key, |list: &mut ListValue| {
        for v in values {
            push(list, v, end, fill);
        }
        Ok(list.len())
    })?;
    ctx.notify(notify::LIST, push_event(end), key);
    ctx.dirty += values.len() as u64;
    ctx.w().int(len as i64);
    Ok(())
}

/// LPOP and RPOP, with or without a count.
fn pop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> CmdResult {
    let key = arg(args, 1);
    if args.len() > 3 {
        let name = if end == End::Left { "lpop" } else { "rpop" };
        return Err(CmdError::wrong_arity(name.as_bytes()));
    }
    let count = match args.get(2) {
        Some(c) => Some(parse_non_negative(c, MUST_BE_POSITIVE)?),
        None => None,
    };
    let (list, mut w) = ctx.write::<ListValue>(key)?;
    let Some(list) = list else {
        match count {
            Some(_) => w.null_array(),
            None => w.null(),
        }
        return Ok(());
    };
    let popped = match count {
        Some(0) => {
            w.array(0);
            return Ok(());
        }
        None => {
            let v = match end {
                End::Left => list.pop_front(),
                End::Right => list.pop_back(),
            };
            match v {
                Some(v) => w.bulk(&v),
                None => w.null(),
            }
            1
        }
        Some(n) => op_pop_range(list, end, n, &mut w),
    };
    if popped > 0 {
        ctx.notify(notify::LIST, pop_event(end), key);
    }
    ctx.dirty += popped as u64;
    ctx.remove_if_empty::<ListValue>(key);
    Ok(())
}

/// LMOVE's core (also RPOPLPUSH, BLMOVE, BRPOPLPUSH): the moved element, or
/// None if the source is missing. A destination of another type fails the
/// command before anything moves; source and destination may be one list.
fn move_generic(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, CmdError> {
    let fill = ctx.settings.list_max_listpack_size;
    if ctx.write::<ListValue>(src)?.0.is_none() {
        return Ok(None);
    }
    // A destination of another type fails before anything is popped.
    ctx.write::<ListValue>(dst)?;
    let Some(list) = ctx.write::<ListValue>(src)?.0 else {
        return Ok(None);
    };
    let Some(v) = (match from {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }) else {
        return Ok(None);
    };
    // Redis publishes the push before the pop (and the source's `del` last).
    if src == dst {
        // Still in place (not yet deleted), so a one-element list rotates onto itself.
        push(list, &v, to, fill);
        ctx.notify(notify::LIST, push_event(to), dst);
        ctx.notify(notify::LIST, pop_event(from), src);
    } else {
        ctx.update(dst, |d: &mut ListValue| {
            push(d, &v, to, fill);
            Ok(())
        })?;
        ctx.notify(notify::LIST, push_event(to), dst);
        ctx.notify(notify::LIST, pop_event(from), src);
        ctx.remove_if_empty::<ListValue>(src);
    }
    ctx.dirty += 1;
    Ok(Some(v))
}

/// BLMOVE and BRPOPLPUSH after their arguments are read; a move is
/// journaled as `journal_as` (LMOVE, RPOPLPUSH: the command without its
/// timeout, the end keywords as sent), which a replay never blocks on.
fn bmove_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    from: End,
    to: End,
    timeout_ms: u64,
    journal_as: &'static [u8],
) -> CmdResult {
    match move_generic(ctx, arg(args, 1), arg(args, 2), from, to)? {
        Some(v) => {
            if ctx.journal {
                let mut argv = cmdline(&[journal_as]);
                argv.extend(
                    args.iter()
                        .skip(1)
                        .take(args.len().saturating_sub(2))
                        .cloned(),
                );
                ctx.propagate(argv);
            }
            ctx.w().bulk(&v)
        }
        None => {
            ctx.block = Some(Block {
                timeout_ms,
                null_array: false,
            })
        }
    }
    Ok(())
}

/// LMPOP and ZMPOP, or with `blocking` BLMPOP and BZMPOP (whose timeout
/// comes first): parses the arguments (`parse_end` reads LEFT|RIGHT or
/// MIN|MAX) and lets `pop` serve from the first non-empty key; when none
/// has data the reply is a null array, or the blocking form waits.
pub(crate) fn mpop_command<E>(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    blocking: bool,
    parse_end: fn(&[u8]) -> Result<E, CmdError>,
    pop: fn(&mut Ctx<'_>, &[Bytes], E, u64) -> Result<bool, CmdError>,
) -> CmdResult {
    let m = parse_mpop(args, if blocking { 2 } else { 1 }, parse_end)?;
    // Redis reads the timeout last, after every other argument.
    let timeout_ms = if blocking {
        Some(parse_timeout(arg(args, 1))?)
    } else {
        None
    };
    if !pop(ctx, m.keys, m.end, m.count)? {
        match timeout_ms {
            Some(timeout_ms) => {
                ctx.block = Some(Block {
                    timeout_ms,
                    null_array: true,
                })
            }
            None => ctx.w().null_array(),
        }
    }
    Ok(())
}

/// The parsed arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP.
pub(crate) struct Mpop<'a, E> {
    /// The keys, in order.
    pub keys: &'a [Bytes],
    /// Which end to pop from (LEFT|RIGHT, MIN|MAX).
    pub end: E,
    /// COUNT (1 when absent).
    pub count: u64,
}

/// Reads `numkeys` (at `at`), the keys, the end keyword (`parse_end`:
/// LEFT|RIGHT, MIN|MAX) and an optional COUNT, with Redis's errors in
/// Redis's order.
pub(crate) fn parse_mpop<E>(
    args: &[Bytes],
    at: usize,
    parse_end: fn(&[u8]) -> Result<E, CmdError>,
) -> Result<Mpop<'_, E>, CmdError> {
    let numkeys = parse_positive(arg(args, at), NUMKEYS_POSITIVE)?;
    let first = at + 1;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| first.checked_add(n))
        .filter(|&w| w < args.len())
        .ok_or(CmdError::SYNTAX)?;
    let end = parse_end(arg(args, where_at))?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        match args.get(j + 1) {
            Some(v) if count.is_none() && is(arg(args, j), "COUNT") => {
                count = Some(parse_positive(v, COUNT_POSITIVE)?);
            }
            _ => return Err(CmdError::SYNTAX),
        }
        j += 2;
    }
    Ok(Mpop {
        keys: args.get(first..where_at).unwrap_or_default(),
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops up to `count` elements from the first key, in order, holding a
/// non-empty list, replying `[key, [elements]]`. False (nothing written) if
/// no key has data; WRONGTYPE for another type met first.
fn mpop_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], end: End, count: u64) -> Result<bool, CmdError> {
    for key in keys {
        let (list, mut w) = ctx.write::<ListValue>(key)?;
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            continue;
        };
        w.array(2);
        w.bulk(key);
        let popped = op_pop_range(list, end, count, &mut w);
        ctx.notify(notify::LIST, pop_event(end), key);
        ctx.dirty += popped as u64;
        // Journaled as the plain pop of the key served, with the number
        // actually popped.
        if ctx.journal {
            ctx.propagate(cmdline(&[pop_name(end), key, &num_arg(popped)]));
        }
        ctx.remove_if_empty::<ListValue>(key);
        return Ok(true);
    }
    Ok(false)
}

/// BLPOP and BRPOP: the timeout is read first, then the keys in order.
fn bpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> CmdResult {
    let timeout_ms = parse_timeout(arg(args, args.len().saturating_sub(1)))?;
    let keys = args
        .get(1..args.len().saturating_sub(1))
        .unwrap_or_default();
    for key in keys {
        let (list, mut w) = ctx.write::<ListValue>(key)?;
        let Some(list) = list else {
            continue;
        };
        let v = match end {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        };
        let Some(v) = v else {
            continue;
        };
        w.array(2);
        w.bulk(key);
        w.bulk(&v);
        ctx.notify(notify::LIST, pop_event(end), key);
        ctx.dirty += 1;
        // Journaled as the plain pop of the key served: a replay must not block.
        if ctx.journal {
            ctx.propagate(cmdline(&[pop_name(end), key]));
        }
        ctx.remove_if_empty::<ListValue>(key);
        return Ok(());
    }
    ctx.block = Some(Block {
        timeout_ms,
        null_array: true,
    });
    Ok(())
}

// ---------------------------------------------------------------------------
// Pure operations.
// ---------------------------------------------------------------------------

/// Positions `a..b` selected by Redis's inclusive `start`/`end` (negative
/// from the tail), clamped as LRANGE and LTRIM clamp them; empty when the
/// range selects nothing.
pub fn op_range_bounds(len: usize, start: i64, end: i64) -> (usize, usize) {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return (0, 0);
    }
    if end >= llen {
        end = llen - 1;
    }
    // 0 <= start <= end < llen here.
    (start as usize, end as usize + 1)
}

/// Pops up to `count` elements from `end` of `list`, writing them as an
/// array in popping order (the tail first for RIGHT). Returns how many.
pub fn op_pop_range(list: &mut ListValue, end: End, count: u64, w: &mut Writer<'_>) -> usize {
    let len = list.len();
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(len);
    w.array(n);
    match end {
        End::Left => {
            for v in list.range(0, n) {
                w.bulk(v);
            }
            list.remove_range(0, n);
        }
        End::Right => {
            for v in list.range(len - n, len).rev() {
                w.bulk(v);
            }
            list.remove_range(len - n, n);
        }
    }
    n
}

/// LPOS's search: positions of elements equal to `v`, skipping the first
/// `|rank| - 1` matches, scanning from the tail for a negative rank, at
/// most `maxlen` elements (0: all), stopping after `count` (0: all) hits.
pub fn op_lpos(list: &ListValue, v: &[u8], rank: i64, count: u64, maxlen: u64) -> Vec<usize> {
    // Redis negates the rank; for i64::MIN that stays negative and every
    // match then passes its "matches >= rank" test, as rank -1 would.
    let skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let limit = if maxlen == 0 {
        usize::MAX
    } else {
        usize::try_from(maxlen).unwrap_or(usize::MAX)
    };
    let len = list.len();
    let mut found = Vec::new();
    let mut matches: u64 = 0;
    let mut visit = |i: usize, e: &[u8]| {
        if e == v {
            matches += 1;
            if matches > skip {
                found.push(i);
                if count != 0 && found.len() as u64 >= count {
                    return false;
                }
            }
        }
        true
    };
    if rank > 0 {
        for (i, e) in list.iter().take(limit).enumerate() {
            if !visit(i, e) {
                break;
            }
        }
    } else {
        for (k, e) in list.iter().rev().take(limit).enumerate() {
            if !visit(len - 1 - k, e) {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_storage::Value;

    use crate::testing::{bulk, TestShard as Shard};

    impl Shard {
        fn list(&mut self, key: &str) -> Vec<String> {
            match self.entry(key).map(|e| e.value) {
                Some(Value::List(l)) => l
                    .iter()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .collect(),
                Some(_) => panic!("{key} is not a list"),
                None => vec![],
            }
        }
    }

    fn arr(items: &[&str]) -> String {
        let mut s = format!("*{}\r\n", items.len());
        for i in items {
            s.push_str(&bulk(i));
        }
        s
    }

    const NIL: &str = "$-1\r\n";
    const NIL_ARRAY: &str = "*-1\r\n";
    const OK: &str = "+OK\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    fn string_key(s: &mut Shard, key: &str) {
        s.dbs[0].set(key.as_bytes(), Value::string(b"x"));
    }

    #[test]
    fn pushes_and_dirty() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["RPUSH", "l", "a", "b", "c"], ":3\r\n");
        assert_eq!(s.dirty, 3);
        s.ok(&["LPUSH", "l", "x", "y"], ":5\r\n");
        assert_eq!(s.list("l"), ["y", "x", "a", "b", "c"]);
        s.ok(&["LPUSHX", "nokey", "a"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        assert!(s.entry("nokey").is_none());
        s.ok(&["RPUSHX", "l", "z"], ":6\r\n");
        assert_eq!(s.dirty, 1);
        string_key(&mut s, "s");
        s.ok(&["LPUSH", "s", "a"], WRONGTYPE);
        s.ok(&["RPUSHX", "s", "a"], WRONGTYPE);
        assert_eq!(s.dirty, 0);
        assert_eq!(s.entry("l").unwrap().value.encoding(), "quicklist");
    }

    #[test]
    fn pops_with_counts() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["LPOP", "l"], NIL);
        s.ok(&["LPOP", "l", "0"], NIL_ARRAY);
        s.ok(&["RPUSH", "l", "a", "b", "c", "d"], ":4\r\n");
        s.ok(&["LPOP", "l", "0"], "*0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["LPOP", "l"], &bulk("a"));
        assert_eq!(s.dirty, 1);
        s.ok(&["RPOP", "l", "2"], &arr(&["d", "c"]));
        assert_eq!(s.dirty, 2);
        s.ok(&["LPOP", "l", "9223372036854775807"], &arr(&["b"]));
        assert!(s.entry("l").is_none());
        let positive = "-ERR value is out of range, must be positive\r\n";
        s.ok(&["LPOP", "l", "-1"], positive);
        s.ok(&["LPOP", "l", "x"], positive);
        s.ok(
            &["LPOP", "l", "1", "2"],
            "-ERR wrong number of arguments for 'lpop' command\r\n",
        );
        string_key(&mut s, "s");
        s.ok(&["RPOP", "s"], WRONGTYPE);
        s.ok(&["RPOP", "s", "-1"], positive);
    }

    #[test]
    fn ranges_and_indexes() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["LRANGE", "l", "0", "-1"], "*0\r\n");
        s.ok(&["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n");
        s.ok(&["LRANGE", "l", "1", "2"], &arr(&["b", "c"]));
        s.ok(&["LRANGE", "l", "-100", "-4"], &arr(&["a", "b"]));
        s.ok(&["LRANGE", "l", "3", "1"], "*0\r\n");
        s.ok(
            &["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
            &arr(&["a", "b", "c", "d", "e"]),
        );
        s.ok(&["LRANGE", "l", "a", "1"], NOT_INT);
        s.ok(&["LINDEX", "l", "-1"], &bulk("e"));
        s.ok(&["LINDEX", "l", "5"], NIL);
        s.ok(&["LINDEX", "l", "-6"], NIL);
        s.ok(&["LINDEX", "nokey", "x"], NIL);
        s.ok(&["LINDEX", "l", "x"], NOT_INT);
        s.ok(&["LLEN", "l"], ":5\r\n");
        s.ok(&["LLEN", "nokey"], ":0\r\n");
        string_key(&mut s, "s");
        s.ok(&["LLEN", "s"], WRONGTYPE);
        s.ok(&["LINDEX", "s", "x"], WRONGTYPE);
        s.ok(&["LRANGE", "s", "0", "1"], WRONGTYPE);
    }

    #[test]
    fn lset_linsert_lrem_ltrim() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["LSET", "l", "0", "x"], "-ERR no such key\r\n");
        s.ok(&["RPUSH", "l", "a", "b", "c", "b", "a"], ":5\r\n");
        s.ok(&["LSET", "l", "-1", "z"], OK);
        assert_eq!(s.dirty, 1);
        s.ok(&["LSET", "l", "5", "z"], "-ERR index out of range\r\n");
        s.ok(&["LSET", "l", "q", "z"], NOT_INT);
        s.ok(&["LINSERT", "l", "middle", "b", "x"], SYNTAX);
        s.ok(&["LINSERT", "l", "before", "zz", "x"], ":-1\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["LINSERT", "nokey", "before", "b", "x"], ":0\r\n");
        s.ok(&["LINSERT", "l", "AFTER", "b", "y"], ":6\r\n");
        assert_eq!(s.list("l"), ["a", "b", "y", "c", "b", "z"]);
        s.ok(&["LREM", "l", "-1", "b"], ":1\r\n");
        assert_eq!(s.list("l"), ["a", "b", "y", "c", "z"]);
        s.ok(&["LREM", "l", "0", "nothing"], ":0\r\n");
        s.ok(&["LREM", "l", "x", "b"], NOT_INT);
        s.ok(&["LTRIM", "l", "1", "-2"], OK);
        assert_eq!(s.dirty, 2);
        assert_eq!(s.list("l"), ["b", "y", "c"]);
        s.ok(&["LTRIM", "l", "5", "10"], OK);
        assert!(s.entry("l").is_none());
        s.ok(&["RPUSH", "l", "a", "a"], ":2\r\n");
        s.ok(&["LREM", "l", "-9223372036854775808", "a"], ":2\r\n");
        assert!(s.entry("l").is_none());
        string_key(&mut s, "s");
        s.ok(&["LSET", "s", "x", "y"], WRONGTYPE);
        s.ok(&["LINSERT", "s", "before", "a", "b"], WRONGTYPE);
        s.ok(&["LREM", "s", "0", "a"], WRONGTYPE);
        s.ok(&["LTRIM", "s", "0", "1"], WRONGTYPE);
    }

    #[test]
    fn lpos_options() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"], ":7\r\n");
        s.ok(&["LPOS", "l", "a"], ":0\r\n");
        s.ok(&["LPOS", "l", "a", "RANK", "-1"], ":6\r\n");
        s.ok(
            &["LPOS", "l", "a", "RANK", "-9223372036854775808"],
            ":6\r\n",
        );
        s.ok(&["LPOS", "l", "a", "RANK", "9223372036854775807"], NIL);
        s.ok(
            &["LPOS", "l", "a", "COUNT", "0"],
            "*3\r\n:0\r\n:3\r\n:6\r\n",
        );
        s.ok(
            &["LPOS", "l", "a", "COUNT", "2", "RANK", "-2"],
            "*2\r\n:3\r\n:0\r\n",
        );
        s.ok(
            &["LPOS", "l", "c", "MAXLEN", "3", "COUNT", "0", "RANK", "-1"],
            "*1\r\n:5\r\n",
        );
        s.ok(&["LPOS", "nokey", "a", "COUNT", "1"], "*0\r\n");
        s.ok(&["LPOS", "nokey", "a"], NIL);
        s.ok(
            &["LPOS", "l", "a", "RANK", "0"],
            &format!("-{RANK_ZERO}\r\n"),
        );
        s.ok(
            &["LPOS", "l", "a", "COUNT", "x"],
            "-ERR COUNT can't be negative\r\n",
        );
        s.ok(
            &["LPOS", "l", "a", "MAXLEN", "-1"],
            "-ERR MAXLEN can't be negative\r\n",
        );
        s.ok(&["LPOS", "l", "a", "RANK", "x"], NOT_INT);
        s.ok(&["LPOS", "l", "a", "RANK"], SYNTAX);
        s.ok(&["LPOS", "l", "a", "foo", "1"], SYNTAX);
    }

    #[test]
    fn moves_and_rotation() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["LMOVE", "nokey", "d", "LEFT", "RIGHT"], NIL);
        s.ok(&["LMOVE", "l", "d", "up", "RIGHT"], SYNTAX);
        s.ok(&["RPUSH", "l", "a", "b", "c"], ":3\r\n");
        s.ok(&["LMOVE", "l", "l", "LEFT", "RIGHT"], &bulk("a"));
        assert_eq!(s.list("l"), ["b", "c", "a"]);
        assert_eq!(s.dirty, 1);
        string_key(&mut s, "s");
        s.ok(&["LMOVE", "l", "s", "LEFT", "RIGHT"], WRONGTYPE);
        assert_eq!(s.list("l"), ["b", "c", "a"]);
        s.ok(&["RPOPLPUSH", "s", "l"], WRONGTYPE);
        s.ok(&["RPOPLPUSH", "l", "d"], &bulk("a"));
        s.ok(&["LMOVE", "d", "d", "left", "left"], &bulk("a"));
        assert_eq!(s.list("d"), ["a"]);
        s.ok(&["LMOVE", "d", "e", "left", "left"], &bulk("a"));
        assert!(s.entry("d").is_none());
        assert_eq!(s.list("e"), ["a"]);
    }

    #[test]
    fn lmpop_parsing_and_serving() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["RPUSH", "l2", "x", "y"], ":2\r\n");
        let numkeys = "-ERR numkeys should be greater than 0\r\n";
        s.ok(&["LMPOP", "0", "l", "left"], numkeys);
        s.ok(&["LMPOP", "abc", "l", "left"], numkeys);
        s.ok(&["LMPOP", "2", "l", "left"], SYNTAX);
        s.ok(&["LMPOP", "9223372036854775807", "l", "left"], SYNTAX);
        s.ok(&["LMPOP", "1", "l", "middle"], SYNTAX);
        let count = "-ERR count should be greater than 0\r\n";
        s.ok(&["LMPOP", "1", "l", "left", "COUNT", "0"], count);
        s.ok(&["LMPOP", "1", "l", "left", "COUNT"], SYNTAX);
        s.ok(
            &["LMPOP", "1", "l", "left", "COUNT", "1", "COUNT", "1"],
            SYNTAX,
        );
        s.ok(&["LMPOP", "1", "l", "left"], NIL_ARRAY);
        s.ok(
            &["LMPOP", "2", "l", "l2", "RIGHT", "COUNT", "5"],
            "*2\r\n$2\r\nl2\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n",
        );
        assert_eq!(s.dirty, 2);
        assert!(s.entry("l2").is_none());
        string_key(&mut s, "s");
        s.ok(&["RPUSH", "l", "a"], ":1\r\n");
        s.ok(&["LMPOP", "2", "s", "l", "left"], WRONGTYPE);
        // A served key ends the search before a wrong type is met.
        s.ok(
            &["LMPOP", "2", "l", "s", "left"],
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n",
        );
    }

    #[test]
    fn numkeys_key_positions() {
        let pos = |spec: &str, a: &[&str]| {
            let args: Vec<Bytes> = a
                .iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect();
            let spec = COMMANDS.iter().find(|c| c.name == spec).unwrap();
            let mut out = Vec::new();
            spec.key_positions(&args, &mut out);
            out
        };
        assert_eq!(pos("lmpop", &["lmpop", "2", "a", "b", "left"]), [2, 3]);
        assert_eq!(pos("lmpop", &["lmpop", "3", "a", "b", "left"]), [2, 3, 4]);
        assert!(pos("lmpop", &["lmpop", "4", "a", "b", "left"]).is_empty());
        assert!(pos("lmpop", &["lmpop", "0", "a", "left"]).is_empty());
        assert!(pos("lmpop", &["lmpop", "x", "a", "left"]).is_empty());
        assert_eq!(
            pos("blmpop", &["blmpop", "0", "2", "a", "b", "left"]),
            [3, 4]
        );
        assert!(pos("blmpop", &["blmpop", "0", "-1", "a", "left"]).is_empty());
        assert_eq!(pos("blpop", &["blpop", "a", "b", "0"]), [1, 2]);
        assert_eq!(pos("blmove", &["blmove", "a", "b", "l", "l", "0"]), [1, 2]);
    }

    #[test]
    fn blocking_handlers_block_on_empty_keys_and_write_nothing() {
        let mut s = Shard::new(COMMANDS);
        let list_block = Some(Block {
            timeout_ms: 1500,
            null_array: true,
        });
        let bulk_block = Some(Block {
            timeout_ms: 0,
            null_array: false,
        });
        s.ok(&["BLPOP", "a", "b", "1.5"], "");
        assert_eq!(s.block, list_block);
        s.ok(&["BRPOP", "a", "1.5"], "");
        assert_eq!(s.block, list_block);
        s.ok(&["BLMPOP", "1.5", "2", "a", "b", "LEFT", "COUNT", "3"], "");
        assert_eq!(s.block, list_block);
        s.ok(&["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"], "");
        assert_eq!(s.block, bulk_block);
        s.ok(&["BRPOPLPUSH", "a", "b", "0"], "");
        assert_eq!(s.block, bulk_block);
        assert_eq!(s.dirty, 0);
        // BLMOVE checks only the source before blocking, as Redis does.
        string_key(&mut s, "s");
        s.ok(&["BLMOVE", "a", "s", "LEFT", "RIGHT", "0"], "");
        assert_eq!(s.block, bulk_block);
    }

    #[test]
    fn blocking_handlers_serve_when_data_is_there() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["RPUSH", "b", "1", "2", "3"], ":3\r\n");
        s.ok(&["BLPOP", "a", "b", "0"], &arr(&["b", "1"]));
        assert_eq!((s.block, s.dirty), (None, 1));
        s.ok(&["BRPOP", "b", "0"], &arr(&["b", "3"]));
        s.ok(&["RPUSH", "b", "4", "5"], ":3\r\n");
        // The runtime's re-run forms.
        s.ok(
            &["BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "2"],
            "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n5\r\n$1\r\n4\r\n",
        );
        assert_eq!(s.dirty, 2);
        s.ok(&["BLMOVE", "b", "c", "LEFT", "RIGHT", "0"], &bulk("2"));
        assert!(s.entry("b").is_none());
        s.ok(&["BRPOPLPUSH", "c", "c", "0"], &bulk("2"));
        assert_eq!(s.list("c"), ["2"]);
        // Wrong types: met in key order, and the destination of a move.
        string_key(&mut s, "s");
        s.ok(&["BLPOP", "s", "c", "0"], WRONGTYPE);
        s.ok(&["BLPOP", "c", "s", "0"], &arr(&["c", "2"]));
        s.ok(&["RPUSH", "c", "x"], ":1\r\n");
        s.ok(&["BLMOVE", "c", "s", "LEFT", "RIGHT", "0"], WRONGTYPE);
        assert_eq!(s.list("c"), ["x"]);
        s.ok(&["BLMPOP", "0", "2", "s", "c", "LEFT"], WRONGTYPE);
    }

    #[test]
    fn blocking_argument_errors_in_redis_order() {
        let mut s = Shard::new(COMMANDS);
        let not_float = "-ERR timeout is not a float or out of range\r\n";
        let negative = "-ERR timeout is negative\r\n";
        s.ok(&["BLPOP", "a", "x"], not_float);
        s.ok(&["BRPOP", "a", "-1"], negative);
        s.ok(&["BRPOPLPUSH", "a", "b", "x"], not_float);
        s.ok(&["BLMOVE", "a", "b", "up", "left", "x"], SYNTAX);
        s.ok(&["BLMOVE", "a", "b", "left", "left", "x"], not_float);
        s.ok(
            &["BLMPOP", "x", "0", "a", "left"],
            "-ERR numkeys should be greater than 0\r\n",
        );
        s.ok(&["BLMPOP", "x", "1", "a", "middle"], SYNTAX);
        s.ok(
            &["BLMPOP", "x", "1", "a", "left", "COUNT", "0"],
            "-ERR count should be greater than 0\r\n",
        );
        s.ok(&["BLMPOP", "x", "1", "a", "left"], not_float);
        s.ok(&["BLMPOP", "-1", "1", "a", "left"], negative);
        assert!(s.block.is_none());
    }

    #[test]
    fn resp3_nulls() {
        let mut s = Shard::new(COMMANDS);
        s.resp3 = true;
        s.ok(&["LPOP", "l", "1"], "_\r\n");
        s.ok(&["LPOP", "l"], "_\r\n");
        s.ok(&["LMPOP", "1", "l", "LEFT"], "_\r\n");
        s.ok(&["LPOS", "l", "a"], "_\r\n");
    }

    #[test]
    fn writes_refresh_access_time_and_reads_count() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["RPUSH", "l", "a"], ":1\r\n");
        s.now_ms += 10_000;
        s.ok(&["RPUSH", "l", "b"], ":2\r\n");
        let secs = (s.now_ms / 1000) as u32;
        assert_eq!(s.entry("l").unwrap().access_secs, secs);
        let hits = s.stats.keyspace_hits;
        s.ok(&["LLEN", "l"], ":2\r\n");
        s.ok(&["LPOP", "l"], &bulk("a"));
        assert_eq!(s.stats.keyspace_hits, hits + 1);
    }

    #[test]
    fn big_lists_with_small_nodes() {
        let mut s = Shard::new(COMMANDS);
        s.settings.list_max_listpack_size = 2;
        for i in 0..50 {
            s.run(&["RPUSH", "l", &i.to_string()]);
        }
        s.ok(&["LINDEX", "l", "37"], &bulk("37"));
        s.ok(&["LINSERT", "l", "BEFORE", "25", "x"], ":51\r\n");
        s.ok(&["LSET", "l", "10", "y"], OK);
        s.ok(&["LTRIM", "l", "5", "-5"], OK);
        let l = s.list("l");
        assert_eq!(l.len(), 42);
        assert_eq!(l[0], "5");
        assert_eq!(l[5], "y");
        if let Some(Value::List(v)) = s.entry("l").map(|e| e.value) {
            v.check_invariants(2).unwrap();
        }
    }

    #[test]
    fn op_range_bounds_edges() {
        assert_eq!(op_range_bounds(5, 0, -1), (0, 5));
        assert_eq!(op_range_bounds(5, -1, -2), (0, 0));
        assert_eq!(op_range_bounds(5, 5, 10), (0, 0));
        assert_eq!(op_range_bounds(0, 0, -1), (0, 0));
        assert_eq!(op_range_bounds(5, i64::MIN, i64::MAX), (0, 5));
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` for the same
    // command sequence. The blocking forms, served at once here, publish what
    // their non-blocking forms do.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            ("LPUSH l a b c", &["new l", "lpush l"]),
            ("LPUSH l d", &["lpush l"]),
            ("RPUSH l e f", &["rpush l"]),
            ("LPUSHX nope a", &[]),
            ("RPUSHX nope a", &[]),
            ("LPUSHX l x", &["lpush l"]),
            ("RPUSHX l y", &["rpush l"]),
            ("LPOP l", &["lpop l"]),
            ("RPOP l", &["rpop l"]),
            ("LPOP l 2", &["lpop l"]),
            ("RPOP l 0", &[]),
            ("LPOP nope", &[]),
            ("LRANGE l 0 -1", &[]),
            ("LINSERT l BEFORE a z", &["linsert l"]),
            ("LINSERT l BEFORE nope z", &[]),
            ("LINSERT nope BEFORE a z", &[]),
            ("LSET l 0 Q", &["lset l"]),
            ("LREM l 0 nope", &[]),
            ("LREM l 1 Q", &["lrem l"]),
            // LTRIM notifies even when it removes nothing.
            ("LTRIM l 0 -1", &["ltrim l"]),
            ("LTRIM l 0 0", &["ltrim l"]),
            // Emptying a list: the command's event, then `del`.
            ("LTRIM l 5 10", &["ltrim l", "del l"]),
            ("RPUSH l a b", &["new l", "rpush l"]),
            ("LPOP l 5", &["lpop l", "del l"]),
            ("RPUSH l a b", &["new l", "rpush l"]),
            ("RPOP l 2", &["rpop l", "del l"]),
            ("RPUSH l a", &["new l", "rpush l"]),
            ("LPOP l", &["lpop l", "del l"]),
            ("RPUSH l a b c", &["new l", "rpush l"]),
            ("LREM l 0 a", &["lrem l"]),
            ("LREM l 0 b", &["lrem l"]),
            ("LREM l 0 c", &["lrem l", "del l"]),
            // LMOVE: the push on the destination comes before the pop from
            // the source, whose `del` comes last; one list gets both.
            ("RPUSH s a b c", &["new s", "rpush s"]),
            ("LMOVE s d LEFT RIGHT", &["new d", "rpush d", "lpop s"]),
            ("LMOVE s s LEFT RIGHT", &["rpush s", "lpop s"]),
            ("LMOVE s s LEFT LEFT", &["lpush s", "lpop s"]),
            ("LMOVE s d RIGHT LEFT", &["lpush d", "rpop s"]),
            ("LMOVE s d RIGHT LEFT", &["lpush d", "rpop s", "del s"]),
            ("LMOVE nope d LEFT LEFT", &[]),
            ("RPOPLPUSH d d", &["lpush d", "rpop d"]),
            ("RPOPLPUSH d e", &["new e", "lpush e", "rpop d"]),
            ("RPUSH s a", &["new s", "rpush s"]),
            ("LMPOP 2 nope s LEFT", &["lpop s", "del s"]),
            ("RPUSH s a b c", &["new s", "rpush s"]),
            ("LMPOP 1 s RIGHT COUNT 5", &["rpop s", "del s"]),
            ("RPUSH l a b c", &["new l", "rpush l"]),
            ("BLPOP l 0", &["lpop l"]),
            ("BRPOP l 0", &["rpop l"]),
            ("BLMOVE l d LEFT LEFT 0", &["lpush d", "lpop l", "del l"]),
            ("RPUSH l a b c", &["new l", "rpush l"]),
            ("BRPOPLPUSH l d 0", &["lpush d", "rpop l"]),
            ("BLMPOP 0 1 d LEFT COUNT 10", &["lpop d", "del d"]),
            ("LPOS e a", &[]),
            ("LLEN e", &[]),
            ("LINDEX e 0", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            ("LRANGE nope 0 -1", &["keymiss nope"]),
            ("LINDEX nope 0", &["keymiss nope"]),
            ("LLEN nope", &["keymiss nope"]),
            ("LPOS nope a", &["keymiss nope"]),
            // Pops and moves look keys up for writing: no miss.
            ("LPOP nope", &[]),
            ("LMOVE nope x LEFT LEFT", &[]),
            ("LMPOP 1 nope LEFT", &[]),
            ("RPUSHX nope a", &[]),
        ]);
    }

    /// What Redis 7.0.15 wrote to its AOF for the blocking pops and the
    /// multi-key pops (checked with a real server): the plain pop of the key
    /// served (LMPOP/BLMPOP with the number popped), BLMOVE as LMOVE and
    /// BRPOPLPUSH as RPOPLPUSH with the arguments as sent; nothing when
    /// nothing was popped.
    #[test]
    fn journaled_effects() {
        use crate::string::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "rpush l a b c d e", &["rpush l a b c d e"]);
        journals(&mut s, "blpop l 0", &["LPOP l"]);
        journals(&mut s, "brpop l 0", &["RPOP l"]);
        journals(&mut s, "brpop nol l 0", &["RPOP l"]);
        journals(&mut s, "lmpop 1 l right count 2", &["RPOP l 2"]);
        assert!(s.entry("l").is_none());
        journals(&mut s, "lmpop 1 l left", &[]);
        journals(&mut s, "lpush l a b c", &["lpush l a b c"]);
        journals(&mut s, "blmpop 0 2 nol l right count 10", &["RPOP l 3"]);
        assert!(s.entry("l").is_none());
        journals(&mut s, "rpush l a b", &["rpush l a b"]);
        journals(&mut s, "blmpop 0 1 l left", &["LPOP l 1"]);
        journals(&mut s, "lpop l 0", &[]);
        journals(&mut s, "lpop l", &["lpop l"]);
        journals(&mut s, "rpush l a b", &["rpush l a b"]);
        journals(
            &mut s,
            "blmove l l2 left right 0",
            &["LMOVE l l2 left right"],
        );
        journals(&mut s, "brpoplpush l l2 0", &["RPOPLPUSH l l2"]);
        journals(
            &mut s,
            "BLMOVE l2 l2 LEFT left 0",
            &["LMOVE l2 l2 LEFT left"],
        );
        journals(
            &mut s,
            "lmove l2 l3 left right",
            &["lmove l2 l3 left right"],
        );
        journals(&mut s, "brpoplpush l2 l2 0", &["RPOPLPUSH l2 l2"]);
        // Nothing to serve: the client blocks and nothing is journaled.
        journals(&mut s, "brpoplpush nol x 1", &[]);
        journals(&mut s, "blmove nol x left left 1", &[]);
        journals(&mut s, "blpop nol 0", &[]);
        journals(&mut s, "blmpop 0 1 nol left", &[]);
        assert!(s.block.is_some());
        journals(&mut s, "set str v", &["set str v"]);
        journals(&mut s, "blpop str 0", &[]);
        journals(&mut s, "lmpop 1 str left", &[]);
        journals(&mut s, "rpush l a b c", &["rpush l a b c"]);
        journals(&mut s, "lmpop 2 nol l RIGHT COUNT 2", &["RPOP l 2"]);
        journals(&mut s, "lmpop 1 l left count 0", &[]);
        journals(&mut s, "blmove l str left left 0", &[]);
        journals(&mut s, "blmove l l2 up left 0", &[]);
        journals(&mut s, "rpush l2 x", &["rpush l2 x"]);
        journals(&mut s, "blmpop 0 2 l2 l left count 1", &["LPOP l2 1"]);
        journals(&mut s, "lmpop 2 nol l right", &["RPOP l 1"]);
        journals(&mut s, "blmove l3 str left left 0", &[]);
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::{journals, no_effects_unless_journaling};
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "rpush l a", &["rpush l a"]);
        journals(&mut s, "lrem l 0 z", &[]);
        journals(&mut s, "ltrim l 0 -1", &[]);
        journals(&mut s, "lset l 0 a", &["lset l 0 a"]);
        journals(&mut s, "linsert l before zz x", &[]);
        journals(&mut s, "lpushx nol a", &[]);
        journals(&mut s, "rpush l b c d e", &["rpush l b c d e"]);
        no_effects_unless_journaling(&mut s, "BLPOP l 0");
        no_effects_unless_journaling(&mut s, "LMPOP 1 l RIGHT");
        no_effects_unless_journaling(&mut s, "BLMOVE l l LEFT RIGHT 0");
        no_effects_unless_journaling(&mut s, "BRPOPLPUSH l l 0");
    }
}
