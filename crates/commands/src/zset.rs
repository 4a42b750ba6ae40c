//! The sorted-set group: ZADD and ZINCRBY, reads by member (ZSCORE,
//! ZMSCORE, ZRANK, ZREVRANK), counts (ZCARD, ZCOUNT, ZLEXCOUNT), every range
//! form (ZRANGE with BYSCORE/BYLEX/REV/LIMIT, its legacy spellings and
//! ZRANGESTORE), removal by range (ZREMRANGEBY*), pops (ZPOPMIN, ZPOPMAX,
//! ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP), ZRANDMEMBER and ZSCAN.
//! The algebra (ZUNION, ZINTER, ZDIFF, ...) is in [`crate::zsetops`].
//!
//! Storage and encodings are [`ZSetValue`]'s (`listpack` while small,
//! `skiplist` after). Every range form is turned into a range of positions
//! first, so LIMIT, REV and the reply length are plain arithmetic, and
//! nothing is allocated in proportion to what a client asked for.
//!
//! Scores print as Redis 7.0 prints a double (`%.17g`, `inf`, `-inf`), and
//! as RESP3 doubles for a RESP3 client. One reply shows how a `listpack`
//! stores scores, as Redis's does: ZSCAN on a packed set prints an integral
//! score within ±2^62 as an integer (`123456789012345680`, not
//! `1.2345678901234568e+17`).
//!
//! Reads count keyspace hits and misses; writes do not (Redis's
//! lookupKeyRead and lookupKeyWrite). A set left empty is deleted.

use std::ops::Range;

use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::glob::string_match;
use ferrite_storage::num::{fmt_i64, parse_f64, parse_scan_cursor, MAX_I64_CHARS};
use ferrite_storage::zset::{LexBound, ScoreBound, ZSetLimits, ERR_LEX_RANGE, ERR_SCORE_RANGE};
use ferrite_storage::{StoreTtl, Value, ZSetValue};

use crate::ctx::{notify, Block, Ctx, Settings};
use crate::error::{CmdError, CmdResult};
use crate::generic::{cmdline, num_arg, parse_member_scan_args};
use crate::list::{mpop_command, op_range_bounds};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{
    arg, check_repeated_picks, is, parse_i64, parse_timeout, COUNT_OUT_OF_RANGE, INVALID_CURSOR,
};

const WRITE_FAST: Flags = Flags::WRITE.union(Flags::FAST);
const WRITE_OOM_FAST: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const READ_FAST: Flags = Flags::READONLY.union(Flags::FAST);
const WRITE_BLOCKING: Flags = Flags::WRITE.union(Flags::BLOCKING);
const ACL_READ_FAST: &[&str] = &["@read", "@sortedset", "@fast"];
const ACL_READ_SLOW: &[&str] = &["@read", "@sortedset", "@slow"];
const ACL_WRITE_FAST: &[&str] = &["@write", "@sortedset", "@fast"];
const ACL_WRITE_SLOW: &[&str] = &["@write", "@sortedset", "@slow"];
const ACL_BLOCKING: &[&str] = &["@write", "@sortedset", "@slow", "@blocking"];

const fn row(name: &'static str, arity: i32, h: crate::table::Handler) -> CommandSpec {
    CommandSpec::new(name, arity, Group::SortedSet, Exec::Keyed(h)).keys(1, 1, 1)
}

/// The sorted-set group's rows (the algebra's are in [`crate::zsetops`]).
pub static COMMANDS: &[CommandSpec] = &[
    row("bzmpop", -5, cmd_bzmpop)
        .flags(WRITE_BLOCKING)
        .keys(0, 0, 0)
        .keys_numkeys(2)
        .acl(ACL_BLOCKING)
        .doc(
            "Pops members with the lowest or highest scores from the first non-empty sorted set, waiting for one.",
            "7.0.0",
        ),
    row("bzpopmax", -3, cmd_bzpopmax)
        .flags(WRITE_BLOCKING.union(Flags::NOSCRIPT).union(Flags::FAST))
        .keys(1, -2, 1)
        .acl(&["@write", "@sortedset", "@fast", "@blocking"])
        .doc(
            "Pops the member with the highest score from the first non-empty sorted set, waiting for one.",
            "5.0.0",
        ),
    row("bzpopmin", -3, cmd_bzpopmin)
        .flags(WRITE_BLOCKING.union(Flags::NOSCRIPT).union(Flags::FAST))
        .keys(1, -2, 1)
        .acl(&["@write", "@sortedset", "@fast", "@blocking"])
        .doc(
            "Pops the member with the lowest score from the first non-empty sorted set, waiting for one.",
            "5.0.0",
        ),
    row("zadd", -4, cmd_zadd)
        .flags(WRITE_OOM_FAST)
        .acl(ACL_WRITE_FAST)
        .doc(
            "Adds members with scores or updates their scores (NX, XX, GT, LT, CH, INCR).",
            "1.2.0",
        ),
    row("zcard", 2, cmd_zcard)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc("Returns the number of members of a sorted set.", "1.2.0"),
    row("zcount", 4, cmd_zcount)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc("Counts the members with scores within a range.", "2.0.0"),
    row("zincrby", 4, cmd_zincrby)
        .flags(WRITE_OOM_FAST)
        .acl(ACL_WRITE_FAST)
        .doc(
            "Adds an increment to a member's score, adding the member if needed.",
            "1.2.0",
        ),
    row("zlexcount", 4, cmd_zlexcount)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc(
            "Counts the members within a lexicographical range.",
            "2.8.9",
        ),
    row("zmpop", -4, cmd_zmpop)
        .flags(Flags::WRITE)
        .keys(0, 0, 0)
        .keys_numkeys(1)
        .acl(ACL_WRITE_SLOW)
        .doc(
            "Pops members with the lowest or highest scores from the first non-empty sorted set.",
            "7.0.0",
        ),
    row("zmscore", -3, cmd_zmscore)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc("Returns the scores of several members.", "6.2.0"),
    row("zpopmax", -2, cmd_zpopmax)
        .flags(WRITE_FAST)
        .acl(ACL_WRITE_FAST)
        .doc(
            "Removes and returns the members with the highest scores.",
            "5.0.0",
        ),
    row("zpopmin", -2, cmd_zpopmin)
        .flags(WRITE_FAST)
        .acl(ACL_WRITE_FAST)
        .doc(
            "Removes and returns the members with the lowest scores.",
            "5.0.0",
        ),
    row("zrandmember", -2, cmd_zrandmember)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .tips(&["nondeterministic_output"])
        .doc(
            "Returns random members, distinct or (negative count) repeated, optionally with scores.",
            "6.2.0",
        ),
    row("zrange", -4, cmd_zrange)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc(
            "Returns members by rank, score (BYSCORE) or lexicographical range (BYLEX).",
            "1.2.0",
        ),
    row("zrangebylex", -4, cmd_zrangebylex)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc(
            "Returns the members within a lexicographical range.",
            "2.8.9",
        ),
    row("zrangebyscore", -4, cmd_zrangebyscore)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc("Returns the members with scores within a range.", "1.0.5"),
    row("zrangestore", -5, cmd_zrangestore)
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 2, 1)
        .acl(ACL_WRITE_SLOW)
        .doc(
            "Stores a range of a sorted set (as ZRANGE selects it) in a key.",
            "6.2.0",
        ),
    row("zrank", 3, cmd_zrank)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc(
            "Returns a member's rank, lowest score first.",
            "2.0.0",
        ),
    row("zrem", -3, cmd_zrem)
        .flags(WRITE_FAST)
        .acl(ACL_WRITE_FAST)
        .doc(
            "Removes members, deleting the sorted set once empty.",
            "1.2.0",
        ),
    row("zremrangebylex", 4, cmd_zremrangebylex)
        .flags(Flags::WRITE)
        .acl(ACL_WRITE_SLOW)
        .doc(
            "Removes the members within a lexicographical range.",
            "2.8.9",
        ),
    row("zremrangebyrank", 4, cmd_zremrangebyrank)
        .flags(Flags::WRITE)
        .acl(ACL_WRITE_SLOW)
        .doc("Removes the members within a range of ranks.", "2.0.0"),
    row("zremrangebyscore", 4, cmd_zremrangebyscore)
        .flags(Flags::WRITE)
        .acl(ACL_WRITE_SLOW)
        .doc(
            "Removes the members with scores within a range.",
            "1.2.0",
        ),
    row("zrevrange", -4, cmd_zrevrange)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc(
            "Returns members by rank, highest score first.",
            "1.2.0",
        ),
    row("zrevrangebylex", -4, cmd_zrevrangebylex)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc(
            "Returns the members within a lexicographical range, in reverse order.",
            "2.8.9",
        ),
    row("zrevrangebyscore", -4, cmd_zrevrangebyscore)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .doc(
            "Returns the members with scores within a range, highest first.",
            "2.2.0",
        ),
    row("zrevrank", 3, cmd_zrevrank)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc(
            "Returns a member's rank, highest score first.",
            "2.0.0",
        ),
    row("zscan", -3, cmd_zscan)
        .flags(Flags::READONLY)
        .acl(ACL_READ_SLOW)
        .tips(&["nondeterministic_output"])
        .doc(
            "Iterates over members and scores with a cursor.",
            "2.8.0",
        ),
    row("zscore", 3, cmd_zscore)
        .flags(READ_FAST)
        .acl(ACL_READ_FAST)
        .doc("Returns a member's score.", "1.2.0"),
];

const NOT_A_FLOAT: &str = "ERR value is not a valid float";
const XX_AND_NX: &str = "ERR XX and NX options at the same time are not compatible";
const GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
const INCR_ONE_PAIR: &str = "ERR INCR option supports a single increment-element pair";
const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";
const LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const WITHSCORES_BYLEX: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
const POSITIVE: &str = "ERR value is out of range, must be positive";
const WITHSCORES_OUT_OF_RANGE: &str = "ERR value is out of range";

// ---------------------------------------------------------------------------
// Handlers.
// ---------------------------------------------------------------------------

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn cmd_zadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut f = AddFlags::default();
    let mut at = 2;
    while let Some(a) = args.get(at) {
        if is(a, "nx") {
            f.nx = true;
        } else if is(a, "xx") {
            f.xx = true;
        } else if is(a, "ch") {
            f.ch = true;
        } else if is(a, "incr") {
            f.incr = true;
        } else if is(a, "gt") {
            f.gt = true;
        } else if is(a, "lt") {
            f.lt = true;
        } else {
            break;
        }
        at += 1;
    }
    zadd_generic(ctx, args, at, f)
}

/// ZINCRBY key increment member
pub fn cmd_zincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args, 2, f)
}

/// ZREM key member [member ...]
pub fn cmd_zrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let members = args.get(2..).unwrap_or_default();
    let removed = match ctx.write::<ZSetValue>(key)?.0 {
        None => 0,
        Some(z) => members.iter().filter(|m| z.remove(m).is_some()).count(),
    };
    if removed > 0 {
        ctx.notify(notify::ZSET, "zrem", key);
        ctx.remove_if_empty::<ZSetValue>(key);
    }
    ctx.dirty += removed as u64;
    ctx.w().int(removed as i64);
    Ok(())
}

/// ZCARD key
pub fn cmd_zcard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    w.int(z.map_or(0, ZSetValue::len) as i64);
    Ok(())
}

/// ZSCORE key member
pub fn cmd_zscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    match z.and_then(|z| z.score(arg(args, 2))) {
        Some(s) => w.double(s),
        None => w.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
pub fn cmd_zmscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let members = args.get(2..).unwrap_or_default();
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    w.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => w.double(s),
            None => w.null(),
        }
    }
    Ok(())
}

/// ZRANK key member
pub fn cmd_zrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, false)
}

/// ZREVRANK key member
pub fn cmd_zrevrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, true)
}

/// ZCOUNT key min max
pub fn cmd_zcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (min, max) = parse_score_range(arg(args, 2), arg(args, 3))?;
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    w.int(z.map_or(0, |z| z.count_in_score_range(&min, &max)) as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
pub fn cmd_zlexcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (min, max) = parse_lex_range(arg(args, 2), arg(args, 3))?;
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    w.int(z.map_or(0, |z| z.count_in_lex_range(&min, &max)) as i64);
    Ok(())
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn cmd_zrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Auto, None)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn cmd_zrangestore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 2, Some(arg(args, 1)), By::Auto, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn cmd_zrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Rank, Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn cmd_zrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn cmd_zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn cmd_zrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn cmd_zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(ctx, args, 1, None, By::Lex, Some(true))
}

/// ZREMRANGEBYRANK key start stop
pub fn cmd_zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_i64(arg(args, 2))?;
    let stop = parse_i64(arg(args, 3))?;
    remove_range_generic(ctx, arg(args, 1), "zremrangebyrank", |z| {
        let (a, b) = op_range_bounds(z.len(), start, stop);
        a..b
    })
}

/// ZREMRANGEBYSCORE key min max
pub fn cmd_zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (min, max) = parse_score_range(arg(args, 2), arg(args, 3))?;
    remove_range_generic(ctx, arg(args, 1), "zremrangebyscore", |z| {
        z.score_range(&min, &max)
    })
}

/// ZREMRANGEBYLEX key min max
pub fn cmd_zremrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (min, max) = parse_lex_range(arg(args, 2), arg(args, 3))?;
    remove_range_generic(ctx, arg(args, 1), "zremrangebylex", |z| {
        z.lex_range(&min, &max)
    })
}

/// ZPOPMIN key [count]
pub fn cmd_zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, Side::Min)
}

/// ZPOPMAX key [count]
pub fn cmd_zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, Side::Max)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn cmd_zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    mpop_command(ctx, args, false, parse_side, mpop_generic)
}

/// BZPOPMIN key [key ...] timeout
pub fn cmd_bzpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, Side::Min)
}

/// BZPOPMAX key [key ...] timeout
pub fn cmd_bzpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, Side::Max)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn cmd_bzmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    mpop_command(ctx, args, true, parse_side, mpop_generic)
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn cmd_zrandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    if args.len() < 3 {
        let (z, mut w) = ctx.read::<ZSetValue>(key)?;
        let pick = z.and_then(|z| z.sampler().pick(&mut rand::rng()));
        match pick {
            Some((m, _)) => w.bulk(m),
            None => w.null(),
        }
        return Ok(());
    }
    // Redis validates the whole argument list before it looks the key up.
    let count = parse_i64(arg(args, 2))?;
    if count == i64::MIN {
        return Err(CmdError::other(COUNT_OUT_OF_RANGE));
    }
    if args.len() > 4 || (args.len() == 4 && !is(arg(args, 3), "withscores")) {
        return Err(CmdError::SYNTAX);
    }
    let withscores = args.len() == 4;
    // Keeps count × 2 (the RESP2 reply length) within a C long, as Redis does.
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other(WITHSCORES_OUT_OF_RANGE));
    }
    let settings = ctx.settings;
    let (z, mut w) = ctx.read::<ZSetValue>(key)?;
    match z {
        Some(z) if count != 0 && !z.is_empty() => {
            check_repeated_picks(count, settings)?;
            op_random_members(z, count, withscores, &mut w);
        }
        _ => w.array(0),
    }
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn cmd_zscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_scan_cursor(arg(args, 2)).ok_or_else(|| CmdError::other(INVALID_CURSOR))?;
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    let Some(z) = z else {
        // A missing key ends the scan before the options are read.
        w.array(2);
        w.bulk(b"0");
        w.array(0);
        return Ok(());
    };
    let opts = parse_member_scan_args(args.get(3..).unwrap_or_default())?;
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(cursor, opts.count, |m, s| {
        if opts
            .pattern
            .as_ref()
            .is_none_or(|p| string_match(p, m, false))
        {
            found.push((m, s));
        }
    });
    let packed = z.is_packed();
    w.array(2);
    w.bulk(next.to_string().as_bytes());
    w.array(found.len() * 2);
    for (m, s) in found {
        w.bulk(m);
        if packed {
            packed_score_bulk(&mut w, s);
        } else {
            w.double_bulk(s);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shared pieces of the handlers.
// ---------------------------------------------------------------------------

/// The encoding thresholds from the configuration.
pub fn limits(s: &Settings) -> ZSetLimits {
    ZSetLimits {
        max_entries: s.zset_max_listpack_entries,
        max_value: s.zset_max_listpack_value,
    }
}

/// Parses a score argument (ZADD, ZINCRBY, weights) as Redis's
/// `getDoubleFromObject`: C's `strtod` over the whole text, NaN refused.
pub fn parse_score(a: &[u8]) -> Result<f64, CmdError> {
    parse_f64(a).ok_or_else(|| CmdError::other(NOT_A_FLOAT))
}

/// Writes the header of a reply of `n` members, each with its score when
/// `withscores`: RESP2 flattens the (member, score) pairs, RESP3 nests
/// each pair.
pub fn scored_header(w: &mut Writer<'_>, n: usize, withscores: bool) {
    w.array(if withscores && !w.resp3 {
        n.saturating_mul(2)
    } else {
        n
    });
}

/// Writes one member of a [`scored_header`] reply.
pub fn scored_item(w: &mut Writer<'_>, member: &[u8], score: f64, withscores: bool) {
    if withscores && w.resp3 {
        w.array(2);
    }
    w.bulk(member);
    if withscores {
        w.double(score);
    }
}

/// Writes a score as a `listpack` holds it, as a bulk string: an integral
/// score within ±2^62 as an integer, anything else as `%.17g`.
fn packed_score_bulk(w: &mut Writer<'_>, s: f64) {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // 2^62
    if s.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&s) {
        let mut buf = [0u8; MAX_I64_CHARS];
        w.bulk(fmt_i64(s as i64, &mut buf));
    } else {
        w.double_bulk(s);
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ZADD's and ZINCRBY's core; `at` is the first score. Checks come in
/// Redis's order: pairing, flag conflicts, every score, then the key's type.
fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Bytes], at: usize, f: AddFlags) -> CmdResult {
    let pairs = args.get(at..).unwrap_or_default();
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(CmdError::SYNTAX);
    }
    if f.nx && f.xx {
        return Err(CmdError::other(XX_AND_NX));
    }
    if (f.gt || f.lt) && f.nx || f.gt && f.lt {
        return Err(CmdError::other(GT_LT_NX));
    }
    if f.incr && pairs.len() > 2 {
        return Err(CmdError::other(INCR_ONE_PAIR));
    }
    let scores = pairs
        .chunks_exact(2)
        .map(|p| parse_score(&p[0]))
        .collect::<Result<Vec<f64>, CmdError>>()?;
    let limits = limits(ctx.settings);
    let key = arg(args, 1);
    let (mut added, mut updated) = (0u64, 0u64);
    let mut last: Option<f64> = None;
    ctx.update(key, |z: &mut ZSetValue| {
        for (p, &score) in pairs.chunks_exact(2).zip(&scores) {
            let (mut nan, mut changed, mut new_member) = (false, false, false);
            let set = z.update(&p[1], limits, |cur| match cur {
                Some(cur) => {
                    if f.nx {
                        return None;
                    }
                    let new = if f.incr { cur + score } else { score };
                    nan = new.is_nan();
                    if nan || (f.gt && new <= cur) || (f.lt && new >= cur) {
                        return None;
                    }
                    changed = new != cur;
                    Some(new)
                }
                None if f.xx => None,
                None => {
                    new_member = true;
                    Some(score)
                }
            });
            if nan {
                return Err(CmdError::other(NAN_RESULT));
            }
            if let Some(new) = set {
                last = Some(new);
                if new_member {
                    added += 1;
                } else if changed {
                    updated += 1;
                }
            }
        }
        Ok(())
    })?;
    if added + updated > 0 {
        ctx.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    ctx.dirty += added + updated;
    let mut w = ctx.w();
    if f.incr {
        match last {
            Some(s) => w.double(s),
            None => w.null(),
        }
    } else {
        w.int((if f.ch { added + updated } else { added }) as i64);
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Bytes], reverse: bool) -> CmdResult {
    let (z, mut w) = ctx.read::<ZSetValue>(arg(args, 1))?;
    match z.and_then(|z| z.rank(arg(args, 2), reverse)) {
        Some(r) => w.int(r as i64),
        None => w.null(),
    }
    Ok(())
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), CmdError> {
    match (ScoreBound::parse(min), ScoreBound::parse(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::other(ERR_SCORE_RANGE)),
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<(LexBound, LexBound), CmdError> {
    match (LexBound::parse(min), LexBound::parse(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::other(ERR_LEX_RANGE)),
    }
}

/// How a range command selects members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    /// Not said yet (ZRANGE's options may say it; rank by default).
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range, before it meets the set.
enum Bounds {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

/// Every range read: ZRANGE and its options, the legacy ZREVRANGE,
/// Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, and ZRANGESTORE (`store`). The
/// source key is at `at`; `by` and `rev` are preset by the legacy forms,
/// for which the same keyword is then a syntax error, as in Redis.
fn range_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    at: usize,
    store: Option<&[u8]>,
    mut by: By,
    mut rev: Option<bool>,
) -> CmdResult {
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = at + 3;
    while j < args.len() {
        let a = arg(args, j);
        let left = args.len() - j - 1;
        if store.is_none() && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = parse_i64(arg(args, j + 1))?;
            limit = parse_i64(arg(args, j + 2))?;
            j += 2;
        } else if rev.is_none() && is(a, "rev") {
            rev = Some(true);
        } else if by == By::Auto && is(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(a, "byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(CmdError::other(LIMIT_NEEDS_BY));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::other(WITHSCORES_BYLEX));
    }
    // Score and lex ranges are given as max, min when reversed.
    let (lo, hi) = if rev && by != By::Rank {
        (arg(args, at + 2), arg(args, at + 1))
    } else {
        (arg(args, at + 1), arg(args, at + 2))
    };
    let bounds = match by {
        By::Score => {
            let (a, b) = parse_score_range(lo, hi)?;
            Bounds::Score(a, b)
        }
        By::Lex => {
            let (a, b) = parse_lex_range(lo, hi)?;
            Bounds::Lex(a, b)
        }
        By::Rank | By::Auto => Bounds::Rank(parse_i64(lo)?, parse_i64(hi)?),
    };
    let src = arg(args, at);
    if let Some(dst) = store {
        let limits = limits(ctx.settings);
        let mut out = ZSetValue::new();
        if let (Some(z), _) = ctx.read::<ZSetValue>(src)? {
            let r = select(z, &bounds, rev, offset, limit);
            // Redis sizes the result by a rank range's length: a skiplist
            // from the start when that many cannot be packed, otherwise a
            // listpack converted as it grows (so which `-0` scores become
            // `0` depends on it).
            if matches!(bounds, Bounds::Rank(..)) && r.len() > limits.max_entries {
                out = result_set();
            }
            for (m, s) in z.iter_range(r, rev) {
                out.insert(m, s, limits);
            }
        }
        store_result(ctx, dst, out, "zrangestore");
        return Ok(());
    }
    let (z, mut w) = ctx.read::<ZSetValue>(src)?;
    let Some(z) = z else {
        w.array(0);
        return Ok(());
    };
    let r = select(z, &bounds, rev, offset, limit);
    scored_header(&mut w, r.len(), withscores);
    for (m, s) in z.iter_range(r, rev) {
        scored_item(&mut w, m, s, withscores);
    }
    Ok(())
}

/// The positions a range selects, after LIMIT: `offset` members skipped
/// from the start of the walk (the top when `rev`), then at most `limit`
/// (all when negative); a negative offset selects nothing, as in Redis.
/// LIMIT does not apply to ranks.
fn select(z: &ZSetValue, bounds: &Bounds, rev: bool, offset: i64, limit: i64) -> Range<usize> {
    if let Bounds::Rank(start, stop) = bounds {
        let (a, b) = op_range_bounds(z.len(), *start, *stop);
        // A reversed rank counts from the top.
        return if rev { z.len() - b..z.len() - a } else { a..b };
    }
    let Ok(skip) = usize::try_from(offset) else {
        return 0..0;
    };
    let walk = match bounds {
        Bounds::Rank(..) => 0..0,
        Bounds::Score(min, max) => {
            let r = z.score_range(min, max);
            let skip = skip.min(r.len());
            if rev {
                r.start..r.end - skip
            } else {
                r.start + skip..r.end
            }
        }
        Bounds::Lex(min, max) => z.lex_walk(min, max, rev, skip),
    };
    let n = usize::try_from(limit).map_or(walk.len(), |l| l.min(walk.len()));
    if rev {
        walk.end - n..walk.end
    } else {
        walk.start..walk.start + n
    }
}

/// An empty skiplist to build a command's result in, as Redis builds the
/// results of ZUNIONSTORE and friends (so `-0` survives until
/// [`store_result`] packs a result that fits).
pub fn result_set() -> ZSetValue {
    let mut z = ZSetValue::new();
    z.convert();
    z
}

/// Stores a STORE form's result under `dst`, packed if it fits, with the
/// `event` notification (or deletes `dst` when the result is empty, with
/// `del` if it existed), and replies its size.
pub fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], mut z: ZSetValue, event: &'static str) {
    let n = z.len();
    if n > 0 {
        z.shrink_if_fits(limits(ctx.settings));
        ctx.store(dst, Value::ZSet(z), StoreTtl::Clear);
        ctx.notify(notify::ZSET, event, dst);
        ctx.dirty += 1;
    } else if ctx.delete(dst) {
        ctx.dirty += 1;
    }
    ctx.w().int(n as i64);
}

/// ZREMRANGEBY*: removes the members `range` selects, notifying `event`
/// (and `del` for an emptied set) when any went.
fn remove_range_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: &'static str,
    range: impl FnOnce(&ZSetValue) -> Range<usize>,
) -> CmdResult {
    let removed = match ctx.write::<ZSetValue>(key)?.0 {
        None => 0,
        Some(z) => {
            let r = range(z);
            z.remove_range(r)
        }
    };
    if removed > 0 {
        ctx.notify(notify::ZSET, event, key);
        ctx.remove_if_empty::<ZSetValue>(key);
    }
    ctx.dirty += removed as u64;
    ctx.w().int(removed as i64);
    Ok(())
}

/// The end pops take from: the lowest scores (MIN) or the highest (MAX).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Min,
    Max,
}

/// The command that pops from `side`, as journaled.
fn pop_name(side: Side) -> &'static [u8] {
    match side {
        Side::Min => b"ZPOPMIN",
        Side::Max => b"ZPOPMAX",
    }
}

/// The event of a pop from `side`.
fn pop_event(side: Side) -> &'static str {
    match side {
        Side::Min => "zpopmin",
        Side::Max => "zpopmax",
    }
}

fn parse_side(a: &[u8]) -> Result<Side, CmdError> {
    if is(a, "min") {
        Ok(Side::Min)
    } else if is(a, "max") {
        Ok(Side::Max)
    } else {
        Err(CmdError::SYNTAX)
    }
}

/// Pops up to `count` members from `side` of `z`, writing each pair with
/// `item`; returns how many.
fn op_pop(
    z: &mut ZSetValue,
    side: Side,
    count: u64,
    w: &mut Writer<'_>,
    mut item: impl FnMut(&mut Writer<'_>, &[u8], f64),
) -> usize {
    let len = z.len();
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(len);
    let r = match side {
        Side::Min => 0..n,
        Side::Max => len - n..len,
    };
    for (m, s) in z.iter_range(r.clone(), side == Side::Max) {
        item(w, m, s);
    }
    z.remove_range(r)
}

/// ZPOPMIN and ZPOPMAX. The count is checked first, then the key's type,
/// and only then is a count of 0 answered, as in Redis.
fn pop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], side: Side) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    let count = match args.get(2) {
        Some(c) => Some(
            ferrite_storage::num::parse_i64(c)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| CmdError::other(POSITIVE))?,
        ),
        None => None,
    };
    let key = arg(args, 1);
    let (z, mut w) = ctx.write::<ZSetValue>(key)?;
    let Some(z) = z.filter(|_| count != Some(0)) else {
        w.array(0);
        return Ok(());
    };
    let n = usize::try_from(count.unwrap_or(1))
        .unwrap_or(usize::MAX)
        .min(z.len());
    // Without a count RESP3 gets one flat pair; with one, nested pairs.
    let nested = count.is_some() && w.resp3;
    w.array(if nested { n } else { n * 2 });
    let popped = op_pop(z, side, n as u64, &mut w, |w, m, s| {
        if nested {
            w.array(2);
        }
        w.bulk(m);
        w.double(s);
    });
    if popped > 0 {
        ctx.notify(notify::ZSET, pop_event(side), key);
    }
    ctx.dirty += popped as u64;
    ctx.remove_if_empty::<ZSetValue>(key);
    Ok(())
}

/// Pops up to `count` members from the first key, in order, holding a
/// sorted set, replying `[key, [[member, score], ...]]`. False (nothing
/// written) if no key has one; WRONGTYPE for another type met first.
fn mpop_generic(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    side: Side,
    count: u64,
) -> Result<bool, CmdError> {
    for key in keys {
        let (z, mut w) = ctx.write::<ZSetValue>(key)?;
        let Some(z) = z.filter(|z| !z.is_empty()) else {
            continue;
        };
        w.array(2);
        w.bulk(key);
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(z.len());
        w.array(n);
        let popped = op_pop(z, side, count, &mut w, |w, m, s| {
            w.array(2);
            w.bulk(m);
            w.double(s);
        });
        ctx.notify(notify::ZSET, pop_event(side), key);
        ctx.dirty += popped as u64;
        // Journaled as the plain pop of the key served, with the number
        // actually popped.
        if ctx.journal {
            ctx.propagate(cmdline(&[pop_name(side), key, &num_arg(popped)]));
        }
        ctx.remove_if_empty::<ZSetValue>(key);
        return Ok(true);
    }
    Ok(false)
}

/// BZPOPMIN and BZPOPMAX: the timeout is read first, then the keys in
/// order; the reply is `[key, member, score]`.
fn bpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], side: Side) -> CmdResult {
    let timeout_ms = parse_timeout(arg(args, args.len().saturating_sub(1)))?;
    let keys = args
        .get(1..args.len().saturating_sub(1))
        .unwrap_or_default();
    for key in keys {
        let (z, mut w) = ctx.write::<ZSetValue>(key)?;
        let Some(z) = z.filter(|z| !z.is_empty()) else {
            continue;
        };
        w.array(3);
        w.bulk(key);
        let popped = op_pop(z, side, 1, &mut w, |w, m, s| {
            w.bulk(m);
            w.double(s);
        });
        ctx.notify(notify::ZSET, pop_event(side), key);
        ctx.dirty += popped as u64;
        // Journaled as the plain pop of the key served: a replay must not block.
        if ctx.journal {
            ctx.propagate(cmdline(&[pop_name(side), key]));
        }
        ctx.remove_if_empty::<ZSetValue>(key);
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

/// Writes ZRANDMEMBER's reply for a non-zero `count` on a non-empty set:
/// `|count|` picks with repetition for a negative count; the whole set,
/// highest score first, for a count at least its size; otherwise `count`
/// distinct members in random order. Repeated picks go straight to the
/// reply, so nothing is allocated in proportion to `count`.
fn op_random_members(z: &ZSetValue, count: i64, withscores: bool, w: &mut Writer<'_>) {
    let n = count.unsigned_abs();
    let size = z.len();
    if count >= 0 && n >= size as u64 {
        scored_header(w, size, withscores);
        for (m, s) in z.iter_range(0..size, true) {
            scored_item(w, m, s, withscores);
        }
        return;
    }
    let s = z.sampler();
    let mut rng = rand::rng();
    scored_header(w, usize::try_from(n).unwrap_or(usize::MAX), withscores);
    if count < 0 {
        for _ in 0..n {
            if let Some(p) = s.pick(&mut rng) {
                scored_item(w, p.0, p.1, withscores);
            }
        }
        return;
    }
    // 0 < n < size here.
    for p in s.distinct(n as usize, &mut rng) {
        scored_item(w, p.0, p.1, withscores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{bulk, TestShard as Shard};

    fn shard() -> Shard {
        let mut s = Shard::new(COMMANDS);
        s.ok(
            &[
                "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
            ],
            ":5\r\n",
        );
        s
    }

    fn members(reply: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut lines = reply.split("\r\n");
        while let Some(l) = lines.next() {
            if l.starts_with('$') && l != "$-1" {
                out.push(lines.next().unwrap_or_default().to_owned());
            }
        }
        out
    }

    #[test]
    fn limit_skips_from_the_walk_start_in_either_direction() {
        for (args, want) in [
            (
                &["zrange", "z", "-inf", "+inf", "byscore", "limit", "1", "2"][..],
                "b c",
            ),
            (
                &[
                    "zrange", "z", "+inf", "-inf", "byscore", "rev", "limit", "1", "2",
                ],
                "d c",
            ),
            (
                &["zrange", "z", "(1", "5", "byscore", "limit", "3", "-1"],
                "e",
            ),
            (
                &["zrange", "z", "-inf", "+inf", "byscore", "limit", "9", "1"],
                "",
            ),
            (
                &["zrange", "z", "-inf", "+inf", "byscore", "limit", "-1", "1"],
                "",
            ),
            (
                &["zrange", "z", "-inf", "+inf", "byscore", "limit", "0", "0"],
                "",
            ),
            (
                &["zrange", "z", "+", "-", "bylex", "rev", "limit", "4", "9"],
                "a",
            ),
            (&["zrange", "z", "-", "+", "bylex", "rev"], ""),
            // LIMIT 0 -1 is "no limit", so it is accepted on ranks.
            (&["zrange", "z", "1", "-2", "limit", "3", "-1"], "b c d"),
            (&["zrange", "z", "0", "1", "rev"], "e d"),
        ] {
            let mut s = shard();
            assert_eq!(members(&s.run(args)).join(" "), want, "{args:?}");
        }
    }

    #[test]
    fn zadd_counts_changes_and_replies_per_flag() {
        let mut s = shard();
        s.ok(&["zadd", "z", "ch", "1", "a", "9", "b", "6", "f"], ":2\r\n");
        assert_eq!(s.dirty, 2);
        s.ok(&["zadd", "z", "gt", "ch", "0", "a", "10", "b"], ":1\r\n");
        s.ok(&["zadd", "z", "incr", "lt", "1", "a"], "$-1\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["zadd", "z", "incr", "-0.5", "a"], &bulk("0.5"));
        s.ok(&["zadd", "z", "xx", "1", "new"], ":0\r\n");
        s.ok(&["zadd", "nokey", "xx", "1", "new"], ":0\r\n");
        assert!(s.entry("nokey").is_none(), "XX never creates the key");
        s.ok(&["zadd", "z", "incr", "inf", "a"], &bulk("inf"));
        s.ok(
            &["zincrby", "z", "-inf", "a"],
            "-ERR resulting score is not a number (NaN)\r\n",
        );
        s.ok(&["zscore", "z", "a"], &bulk("inf"));
    }

    #[test]
    fn pops_remove_from_the_right_end_and_delete_the_empty_set() {
        let mut s = shard();
        assert_eq!(
            members(&s.run(&["zpopmax", "z", "2"])),
            ["e", "5", "d", "4"]
        );
        assert_eq!(members(&s.run(&["zpopmin", "z"])), ["a", "1"]);
        assert_eq!(s.dirty, 1);
        s.ok(&["zpopmin", "z", "0"], "*0\r\n");
        assert_eq!(
            members(&s.run(&["zmpop", "1", "z", "min", "count", "9"])),
            ["z", "b", "2", "c", "3"]
        );
        assert!(s.entry("z").is_none());
        s.ok(&["zmpop", "1", "z", "min"], "*-1\r\n");
        // Nothing to pop: the blocking forms ask to wait.
        s.ok(&["bzpopmin", "z", "1.5"], "");
        assert_eq!(
            s.block,
            Some(Block {
                timeout_ms: 1500,
                null_array: true
            })
        );
        s.ok(&["bzmpop", "0", "1", "z", "max"], "");
        assert_eq!(s.block.map(|b| b.timeout_ms), Some(0));
    }

    #[test]
    fn packed_scores_print_as_integers_within_two_to_the_62() {
        let text = |d: f64| {
            let mut out = bytes::BytesMut::new();
            packed_score_bulk(&mut Writer::new(&mut out, false), d);
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(text(3.0), bulk("3"));
        assert_eq!(text(-0.0), bulk("0"));
        assert_eq!(text(1.5), bulk("1.5"));
        assert_eq!(text(4611686018427387904.0), bulk("4611686018427387904"));
        assert_eq!(text(-4611686018427387904.0), bulk("-4611686018427387904"));
        assert_eq!(text(4611686018427388928.0), bulk("4.6116860184273889e+18"));
        assert_eq!(text(f64::INFINITY), bulk("inf"));
    }

    #[test]
    fn zrangestore_packs_a_result_that_fits() {
        let mut s = shard();
        s.settings.zset_max_listpack_entries = 3;
        s.ok(
            &["zadd", "big", "1", "a", "2", "b", "3", "c", "4", "d"],
            ":4\r\n",
        );
        assert_eq!(s.encoding("big"), "skiplist");
        s.ok(&["zrangestore", "d", "big", "0", "2"], ":3\r\n");
        assert_eq!(s.encoding("d"), "listpack");
        s.ok(&["zrangestore", "d", "big", "0", "-1"], ":4\r\n");
        assert_eq!(s.encoding("d"), "skiplist");
        s.ok(&["zrangestore", "d", "big", "9", "10"], ":0\r\n");
        assert!(s.entry("d").is_none());
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            ("ZADD z 1 a 2 b", &["new z", "zadd z"]),
            // ZADD notifies when it added or changed a score; INCR makes it
            // `zincr`.
            ("ZADD z 1 a", &[]),
            ("ZADD z 5 a", &["zadd z"]),
            ("ZADD z NX 9 a", &[]),
            ("ZADD z XX 9 nope", &[]),
            ("ZADD z2 XX 9 nope", &[]),
            ("ZADD z INCR 1 a", &["zincr z"]),
            ("ZADD z INCR 0 a", &[]),
            ("ZADD z INCR NX 1 a", &[]),
            ("ZADD z2 INCR 1 a", &["new z2", "zincr z2"]),
            ("ZADD z CH 1 c", &["zadd z"]),
            ("ZADD z GT 1 c", &[]),
            ("ZADD z GT CH 0 c", &[]),
            ("ZADD z LT 0 c", &["zadd z"]),
            ("ZINCRBY z 1 c", &["zincr z"]),
            ("ZINCRBY z 0 c", &[]),
            ("ZINCRBY z3 1 c", &["new z3", "zincr z3"]),
            ("ZREM z nope", &[]),
            ("ZREM z c nope", &["zrem z"]),
            ("ZADD z 3 c 4 d", &["zadd z"]),
            ("ZREMRANGEBYSCORE z 100 200", &[]),
            ("ZREMRANGEBYSCORE z 3 3", &["zremrangebyscore z"]),
            ("ZREMRANGEBYRANK z 0 0", &["zremrangebyrank z"]),
            ("ZREMRANGEBYRANK z 10 20", &[]),
            ("ZADD l 0 a 0 b 0 c", &["new l", "zadd l"]),
            ("ZREMRANGEBYLEX l [a [a", &["zremrangebylex l"]),
            ("ZREMRANGEBYLEX l [x [z", &[]),
            ("ZREMRANGEBYLEX l - +", &["zremrangebylex l", "del l"]),
            ("ZADD z 1 a 2 b 3 c", &["zadd z"]),
            ("ZPOPMIN z", &["zpopmin z"]),
            ("ZPOPMAX z", &["zpopmax z"]),
            ("ZPOPMIN z 0", &[]),
            ("ZPOPMIN z 5", &["zpopmin z", "del z"]),
            ("ZPOPMIN nope", &[]),
            ("ZADD z 1 a 2 b 3 c", &["new z", "zadd z"]),
            ("ZMPOP 1 z MIN COUNT 2", &["zpopmin z"]),
            ("ZMPOP 1 z MAX", &["zpopmax z", "del z"]),
            ("ZADD z 1 a 2 b 3 c", &["new z", "zadd z"]),
            ("BZPOPMAX z 0", &["zpopmax z"]),
            ("BZPOPMIN nope z 0", &["zpopmin z"]),
            ("BZMPOP 0 1 z MIN COUNT 10", &["zpopmin z", "del z"]),
            // ZRANGESTORE: like the other STORE forms.
            ("ZADD z 1 a 2 b 3 c", &["new z", "zadd z"]),
            ("ZRANGESTORE d z 0 -1", &["new d", "zrangestore d"]),
            ("ZRANGESTORE d z 0 -1", &["zrangestore d"]),
            ("ZRANGESTORE d z 5 10", &["del d"]),
            ("ZRANGESTORE d z 5 10", &[]),
            ("ZRANGESTORE d2 z 0 0 REV", &["new d2", "zrangestore d2"]),
            ("ZRANGE z 0 -1", &[]),
            ("ZRANDMEMBER z", &[]),
            ("ZSCORE z a", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            ("ZSCORE nope a", &["keymiss nope"]),
            ("ZMSCORE nope a", &["keymiss nope"]),
            ("ZRANK nope a", &["keymiss nope"]),
            ("ZREVRANK nope a", &["keymiss nope"]),
            ("ZCOUNT nope 0 1", &["keymiss nope"]),
            ("ZLEXCOUNT nope - +", &["keymiss nope"]),
            ("ZRANDMEMBER nope", &["keymiss nope"]),
            ("ZRANGE nope 0 -1", &["keymiss nope"]),
            ("ZRANGEBYSCORE nope 0 1", &["keymiss nope"]),
            ("ZRANGESTORE d nope 0 -1", &["keymiss nope"]),
            ("ZSCAN nope 0", &["keymiss nope"]),
            ("ZCARD nope", &["keymiss nope"]),
            ("ZADD z 1 a", &["new z", "zadd z"]),
            ("ZPOPMIN nope", &[]),
            ("ZMPOP 2 nope z MIN", &["zpopmin z", "del z"]),
            ("ZREM nope a", &[]),
            ("ZINCRBY nope2 1 a", &["new nope2", "zincr nope2"]),
        ]);
    }

    /// What Redis 7.0.15 wrote to its AOF for the blocking and multi-key
    /// pops (checked with a real server): ZPOPMIN/ZPOPMAX of the key served
    /// (ZMPOP/BZMPOP with the number popped); nothing when nothing was popped.
    #[test]
    fn journaled_effects() {
        use crate::string::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(
            &mut s,
            "zadd z 1 a 2 b 3 c 4 d 5 e",
            &["zadd z 1 a 2 b 3 c 4 d 5 e"],
        );
        journals(&mut s, "bzpopmin z 0", &["ZPOPMIN z"]);
        journals(&mut s, "bzpopmax z 0", &["ZPOPMAX z"]);
        journals(&mut s, "bzpopmax noz z 0", &["ZPOPMAX z"]);
        journals(&mut s, "zmpop 1 z max", &["ZPOPMAX z 1"]);
        journals(&mut s, "zmpop 1 z min count 5", &["ZPOPMIN z 1"]);
        assert!(s.entry("z").is_none());
        journals(&mut s, "zadd z 1 a 2 b 3 c", &["zadd z 1 a 2 b 3 c"]);
        journals(&mut s, "bzmpop 0 1 z max count 2", &["ZPOPMAX z 2"]);
        journals(&mut s, "bzmpop 0 1 z min", &["ZPOPMIN z 1"]);
        journals(&mut s, "zpopmin z", &[]);
        journals(&mut s, "zpopmin z 0", &[]);
        journals(&mut s, "zmpop 1 z min", &[]);
        journals(&mut s, "bzpopmin z 0", &[]);
        journals(&mut s, "bzmpop 0 1 z min", &[]);
        assert!(s.block.is_some());
        journals(&mut s, "zadd z 1 a", &["zadd z 1 a"]);
        journals(&mut s, "zpopmax z -1", &[]);
        journals(&mut s, "zadd z2 1 a 2 b", &["zadd z2 1 a 2 b"]);
        journals(&mut s, "zmpop 2 nokey z2 MAX COUNT 5", &["ZPOPMAX z2 2"]);
        journals(&mut s, "zmpop 1 z min count -1", &[]);
        journals(&mut s, "rpush l a", &["rpush l a"]);
        journals(&mut s, "zmpop 1 l min", &[]);
        journals(&mut s, "bzpopmin l 0", &[]);
        journals(&mut s, "zpopmax z 5", &["zpopmax z 5"]);
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::{journals, no_effects_unless_journaling};
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "zadd z 1 a", &["zadd z 1 a"]);
        journals(&mut s, "zincrby z 1.5 a", &["zincrby z 1.5 a"]);
        journals(&mut s, "zadd z incr 1 a", &["zadd z incr 1 a"]);
        journals(&mut s, "zadd z 3.5 a", &[]);
        journals(&mut s, "zadd z xx 1 b", &[]);
        journals(&mut s, "zadd z incr 0 a", &[]);
        journals(&mut s, "zincrby z 0 a", &[]);
        journals(&mut s, "zrangestore dst z 5 10", &[]);
        journals(&mut s, "zremrangebyrank z 5 10", &[]);
        journals(&mut s, "zrem z nope", &[]);
        journals(&mut s, "zadd z 1 b 2 c", &["zadd z 1 b 2 c"]);
        no_effects_unless_journaling(&mut s, "BZPOPMIN z 0");
        no_effects_unless_journaling(&mut s, "ZMPOP 1 z MAX");
    }
}
