//! The hash group: HSET and friends, counters (HINCRBY, HINCRBYFLOAT),
//! whole-hash reads (HGETALL, HKEYS, HVALS), HRANDFIELD and HSCAN.
//!
//! Encodings are Redis 7.0's, kept by [`HashValue`]: a new hash is a
//! `listpack` (one buffer, insertion order) and becomes a `hashtable` for
//! good once it has more than `hash-max-listpack-entries` fields or is
//! written a field or value longer than `hash-max-listpack-value` bytes.
//! HSET, HMSET and HSETNX check all their arguments' lengths before writing
//! (so even a value that replaces nothing converts); HINCRBY and
//! HINCRBYFLOAT convert when the field or the *result* is too long; an
//! update counts against the entry limit as an insertion does (the limit
//! may have shrunk by CONFIG SET since the hash was built); deletions never
//! convert back.
//!
//! Replies follow the encoding as Redis's do: on a `listpack` hash HGETALL,
//! HKEYS, HVALS and HSCAN list fields in insertion order, and HSCAN returns
//! everything at once with cursor 0; on a `hashtable` HSCAN walks positions
//! with a cursor (see [`HashValue::scan`]).
//!
//! Reads count keyspace hits and misses and refresh the access time
//! (Redis's lookupKeyRead); writes refresh the access time without counting
//! (lookupKeyWrite). A hash left empty is deleted.

use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::glob::string_match;
use ferrite_storage::hash::HashLimits;
use ferrite_storage::num::{
    fmt_i64, fmt_long_double_human, parse_long_double, parse_scan_cursor, LongDouble, MAX_I64_CHARS,
};
use ferrite_storage::HashValue;
use rand::Rng;

use crate::ctx::{notify, Ctx, Settings};
use crate::error::{CmdError, CmdResult};
use crate::generic::{cmdline, parse_member_scan_args};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, check_repeated_picks, is, parse_i64, COUNT_OUT_OF_RANGE, INVALID_CURSOR};

/// The hash group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hdel", -3, Group::Hash, Exec::Keyed(cmd_hdel))
        .flags(Flags::WRITE.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@hash", "@fast"])
        .doc(
            "Removes fields from a hash, deleting it once empty.",
            "2.0.0",
        ),
    CommandSpec::new("hexists", 3, Group::Hash, Exec::Keyed(cmd_hexists))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@fast"])
        .doc("Tells whether a field exists in a hash.", "2.0.0"),
    CommandSpec::new("hget", 3, Group::Hash, Exec::Keyed(cmd_hget))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@fast"])
        .doc("Returns the value of one field of a hash.", "2.0.0"),
    CommandSpec::new("hgetall", 2, Group::Hash, Exec::Keyed(cmd_hgetall))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns every field of a hash with its value.", "2.0.0"),
    CommandSpec::new("hincrby", 4, Group::Hash, Exec::Keyed(cmd_hincrby))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@hash", "@fast"])
        .doc("Adds an integer to the integer value of a field.", "2.0.0"),
    CommandSpec::new(
        "hincrbyfloat",
        4,
        Group::Hash,
        Exec::Keyed(cmd_hincrbyfloat),
    )
    .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
    .keys(1, 1, 1)
    .acl(&["@write", "@hash", "@fast"])
    .doc(
        "Adds a floating-point number to the numeric value of a field.",
        "2.6.0",
    ),
    CommandSpec::new("hkeys", 2, Group::Hash, Exec::Keyed(cmd_hkeys))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns every field name of a hash.", "2.0.0"),
    CommandSpec::new("hlen", 2, Group::Hash, Exec::Keyed(cmd_hlen))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@fast"])
        .doc("Returns the number of fields of a hash.", "2.0.0"),
    CommandSpec::new("hmget", -3, Group::Hash, Exec::Keyed(cmd_hmget))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@fast"])
        .doc("Returns the values of several fields of a hash.", "2.0.0"),
    CommandSpec::new("hmset", -4, Group::Hash, Exec::Keyed(cmd_hmset))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@hash", "@fast"])
        .doc(
            "Sets several fields of a hash and replies OK (older form of HSET).",
            "2.0.0",
        ),
    CommandSpec::new("hrandfield", -2, Group::Hash, Exec::Keyed(cmd_hrandfield))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@slow"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Returns random fields of a hash, optionally with their values.",
            "6.2.0",
        ),
    CommandSpec::new("hscan", -3, Group::Hash, Exec::Keyed(cmd_hscan))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@slow"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Iterates over the fields and values of a hash with a cursor.",
            "2.8.0",
        ),
    CommandSpec::new("hset", -4, Group::Hash, Exec::Keyed(cmd_hset))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@hash", "@fast"])
        .doc(
            "Sets fields of a hash, creating it if needed; replies how many were new.",
            "2.0.0",
        ),
    CommandSpec::new("hsetnx", 4, Group::Hash, Exec::Keyed(cmd_hsetnx))
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@write", "@hash", "@fast"])
        .doc("Sets a field of a hash only if it does not exist.", "2.0.0"),
    CommandSpec::new("hstrlen", 3, Group::Hash, Exec::Keyed(cmd_hstrlen))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@fast"])
        .doc("Returns the length of the value of a field.", "3.2.0"),
    CommandSpec::new("hvals", 2, Group::Hash, Exec::Keyed(cmd_hvals))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .acl(&["@read", "@hash", "@slow"])
        .tips(&["nondeterministic_output_order"])
        .doc("Returns every value of a hash.", "2.0.0"),
];

const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
const INCR_NAN_OR_INFINITY: &str = "ERR value is NaN or Infinity";
const RESULT_NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
const WITHVALUES_OUT_OF_RANGE: &str = "ERR value is out of range";

/// HSET key field value [field value ...]
pub fn cmd_hset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let created = set_pairs(ctx, args, b"hset")?;
    ctx.w().int(created as i64);
    Ok(())
}

/// HMSET key field value [field value ...]
pub fn cmd_hmset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    set_pairs(ctx, args, b"hmset")?;
    ctx.ok();
    Ok(())
}

/// HSETNX key field value
pub fn cmd_hsetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (field, value) = (arg(args, 2), arg(args, 3));
    let set = update_hash(ctx, arg(args, 1), |h, limits| {
        if h.contains(field) {
            return Ok(false);
        }
        h.convert_for_args([field, value], limits);
        h.set(field, value, limits);
        Ok(true)
    })?;
    if set {
        ctx.notify(notify::HASH, "hset", arg(args, 1));
        ctx.dirty += 1;
    }
    ctx.w().int(i64::from(set));
    Ok(())
}

/// HGET key field
pub fn cmd_hget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    match h.and_then(|h| h.get(arg(args, 2))) {
        Some(v) => w.bulk(v),
        None => w.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
pub fn cmd_hmget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let fields = args.get(2..).unwrap_or_default();
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    w.array(fields.len());
    for f in fields {
        match h.and_then(|h| h.get(f)) {
            Some(v) => w.bulk(v),
            None => w.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]
pub fn cmd_hdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let fields = args.get(2..).unwrap_or_default();
    let deleted = match ctx.write::<HashValue>(key)?.0 {
        None => 0,
        Some(h) => fields.iter().filter(|f| h.remove(f)).count(),
    };
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", key);
        ctx.remove_if_empty::<HashValue>(key);
    }
    ctx.dirty += deleted as u64;
    ctx.w().int(deleted as i64);
    Ok(())
}

/// HLEN key
pub fn cmd_hlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    w.int(h.map_or(0, HashValue::len) as i64);
    Ok(())
}

/// HSTRLEN key field
pub fn cmd_hstrlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    let len = h.and_then(|h| h.get(arg(args, 2))).map_or(0, <[u8]>::len);
    w.int(len as i64);
    Ok(())
}

/// HEXISTS key field
pub fn cmd_hexists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    w.int(i64::from(h.is_some_and(|h| h.contains(arg(args, 2)))));
    Ok(())
}

/// HKEYS key
pub fn cmd_hkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    reply_all(ctx, arg(args, 1), Part::Fields)
}

/// HVALS key
pub fn cmd_hvals(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    reply_all(ctx, arg(args, 1), Part::Values)
}

/// HGETALL key
pub fn cmd_hgetall(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    reply_all(ctx, arg(args, 1), Part::Both)
}

/// HINCRBY key field increment
pub fn cmd_hincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let field = arg(args, 2);
    let delta = parse_i64(arg(args, 3))?;
    let n = update_hash(ctx, arg(args, 1), |h, limits| {
        let n = op_incr(h.get(field), delta)?;
        let mut buf = [0u8; MAX_I64_CHARS];
        h.set(field, fmt_i64(n, &mut buf), limits);
        Ok(n)
    })?;
    ctx.notify(notify::HASH, "hincrby", arg(args, 1));
    ctx.dirty += 1;
    ctx.w().int(n);
    Ok(())
}

/// HINCRBYFLOAT key field increment
pub fn cmd_hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let field = arg(args, 2);
    let incr = parse_long_double(arg(args, 3)).ok_or(CmdError::NOT_FLOAT)?;
    if !incr.is_finite() {
        return Err(CmdError::other(INCR_NAN_OR_INFINITY));
    }
    let text = update_hash(ctx, arg(args, 1), |h, limits| {
        let text = op_incr_float(h.get(field), incr)?;
        h.set(field, &text, limits);
        Ok(text)
    })?;
    ctx.notify(notify::HASH, "hincrbyfloat", arg(args, 1));
    ctx.dirty += 1;
    // The result is journaled, not the increment, so that a replay gives
    // the same digits whatever the floating-point hardware.
    if ctx.journal {
        ctx.propagate(cmdline(&[b"HSET", arg(args, 1), field, &text]));
    }
    ctx.w().bulk(&text);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn cmd_hrandfield(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    if args.len() < 3 {
        let (h, mut w) = ctx.read::<HashValue>(key)?;
        match h.and_then(op_random_pair) {
            Some((f, _)) => w.bulk(f),
            None => w.null(),
        }
        return Ok(());
    }
    // Redis validates the whole argument list before it looks the key up.
    let count = parse_i64(arg(args, 2))?;
    if count == i64::MIN {
        return Err(CmdError::other(COUNT_OUT_OF_RANGE));
    }
    if args.len() > 4 || (args.len() == 4 && !is(arg(args, 3), "withvalues")) {
        return Err(CmdError::SYNTAX);
    }
    let with_values = args.len() == 4;
    // Keeps count × 2 (the RESP2 reply length) within a C long, as Redis does.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other(WITHVALUES_OUT_OF_RANGE));
    }
    let resp3 = ctx.resp3;
    let settings = ctx.settings;
    let (h, mut w) = ctx.read::<HashValue>(key)?;
    match h {
        Some(h) if count != 0 && !h.is_empty() => {
            check_repeated_picks(count, settings)?;
            op_random_fields(h, count, with_values, resp3, &mut w);
        }
        _ => w.array(0),
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn cmd_hscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_scan_cursor(arg(args, 2)).ok_or_else(|| CmdError::other(INVALID_CURSOR))?;
    let (h, mut w) = ctx.read::<HashValue>(arg(args, 1))?;
    let Some(h) = h else {
        // A missing key ends the scan before the options are read.
        w.array(2);
        w.bulk(b"0");
        w.array(0);
        return Ok(());
    };
    let opts = parse_member_scan_args(args.get(3..).unwrap_or_default())?;
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = h.scan(cursor, opts.count, |f, v| {
        if opts
            .pattern
            .as_ref()
            .is_none_or(|p| string_match(p, f, false))
        {
            found.push((f, v));
        }
    });
    w.array(2);
    w.bulk(next.to_string().as_bytes());
    w.array(found.len() * 2);
    for (f, v) in found {
        w.bulk(f);
        w.bulk(v);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shared pieces of the handlers.
// ---------------------------------------------------------------------------

/// The encoding thresholds from the configuration.
fn limits(s: &Settings) -> HashLimits {
    HashLimits {
        max_entries: s.hash_max_listpack_entries,
        max_value: s.hash_max_listpack_value,
    }
}

/// Runs `f` on the hash under `key` looked up for writing (access time
/// refreshed), or on a new empty hash stored under `key` if `f` succeeds
/// and leaves it non-empty. A key of another type is WRONGTYPE.
fn update_hash<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: impl FnOnce(&mut HashValue, HashLimits) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    let limits = limits(ctx.settings);
    ctx.update(key, |h| f(h, limits))
}

/// HSET/HMSET: sets every pair of `args[2..]`, returns how many fields were
/// new. Every pair counts as a change, whether or not it changed anything,
/// as in Redis.
fn set_pairs(ctx: &mut Ctx<'_>, args: &[Bytes], name: &[u8]) -> Result<usize, CmdError> {
    if args.len() % 2 == 1 {
        return Err(CmdError::wrong_arity(name));
    }
    let pairs = args.get(2..).unwrap_or_default();
    let created = update_hash(ctx, arg(args, 1), |h, limits| {
        h.convert_for_args(pairs.iter().map(|a| &a[..]), limits);
        Ok(pairs
            .chunks_exact(2)
            .filter(|p| h.set(&p[0], &p[1], limits))
            .count())
    })?;
    // HMSET publishes `hset` too, changed or not.
    ctx.notify(notify::HASH, "hset", arg(args, 1));
    ctx.dirty += (pairs.len() / 2) as u64;
    Ok(created)
}

/// What HKEYS, HVALS and HGETALL list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

fn reply_all(ctx: &mut Ctx<'_>, key: &[u8], part: Part) -> CmdResult {
    let (h, mut w) = ctx.read::<HashValue>(key)?;
    let len = h.map_or(0, HashValue::len);
    // HGETALL is a map in RESP3 (an empty one for a missing key too).
    if part == Part::Both {
        w.map(len);
    } else {
        w.array(len);
    }
    for (f, v) in h.into_iter().flat_map(HashValue::iter) {
        if part != Part::Values {
            w.bulk(f);
        }
        if part != Part::Fields {
            w.bulk(v);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Pure operations.
// ---------------------------------------------------------------------------

/// HINCRBY's new value: the field's integer (0 if missing) plus `delta`.
pub fn op_incr(current: Option<&[u8]>, delta: i64) -> Result<i64, CmdError> {
    let n = match current {
        None => 0,
        Some(v) => {
            ferrite_storage::num::parse_i64(v).ok_or_else(|| CmdError::other(HASH_NOT_INTEGER))?
        }
    };
    n.checked_add(delta).ok_or(CmdError::OVERFLOW)
}

/// HINCRBYFLOAT's new value as stored and replied: the field's number (0 if
/// missing) plus `incr`, computed in long double and formatted as
/// INCRBYFLOAT formats.
pub fn op_incr_float(current: Option<&[u8]>, incr: LongDouble) -> Result<Vec<u8>, CmdError> {
    let n = match current {
        None => LongDouble::from_i64(0),
        Some(v) => parse_long_double(v).ok_or_else(|| CmdError::other(HASH_NOT_FLOAT))?,
    };
    let sum = n.add(incr);
    if !sum.is_finite() {
        return Err(CmdError::other(RESULT_NAN_OR_INFINITY));
    }
    let mut text = Vec::new();
    fmt_long_double_human(&sum, &mut text);
    Ok(text)
}

/// One pair picked uniformly at random.
pub fn op_random_pair(h: &HashValue) -> Option<(&[u8], &[u8])> {
    if h.is_empty() {
        return None;
    }
    h.get_index(rand::rng().random_range(0..h.len()))
}

/// Writes HRANDFIELD's reply for a non-zero `count` on a non-empty hash:
/// `|count|` picks with repetition for a negative count; the whole hash for
/// a count at least its size; otherwise `count` distinct fields in random
/// order. Nothing is allocated in proportion to `count` beyond the distinct
/// picks (which are fewer than the hash's fields): repeated picks go
/// straight to the reply.
fn op_random_fields(h: &HashValue, count: i64, with_values: bool, resp3: bool, w: &mut Writer<'_>) {
    let n = count.unsigned_abs();
    let header = |w: &mut Writer<'_>, n: u64| {
        // RESP3 nests each pair; RESP2 flattens them.
        let len = if with_values && !resp3 {
            n.saturating_mul(2)
        } else {
            n
        };
        w.array(usize::try_from(len).unwrap_or(usize::MAX));
    };
    let pair = |w: &mut Writer<'_>, (f, v): (&[u8], &[u8])| {
        if with_values {
            if resp3 {
                w.array(2);
            }
            w.bulk(f);
            w.bulk(v);
        } else {
            w.bulk(f);
        }
    };
    let size = h.len();
    if count >= 0 && n >= size as u64 {
        header(w, size as u64);
        for p in h.iter() {
            pair(w, p);
        }
        return;
    }
    let s = h.sampler();
    let mut rng = rand::rng();
    header(w, n);
    if count < 0 {
        for _ in 0..n {
            if let Some(p) = s.get(rng.random_range(0..s.len())) {
                pair(w, p);
            }
        }
        return;
    }
    // 0 < n < size here.
    for i in rand::seq::index::sample(&mut rng, s.len(), n as usize) {
        if let Some(p) = s.get(i) {
            pair(w, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_storage::Value;
    use std::collections::{HashMap, HashSet};

    use crate::testing::{bulk, TestShard as Shard, T0};

    impl Shard {
        fn hash(&mut self, key: &str) -> HashMap<String, String> {
            match self.entry(key).map(|e| e.value) {
                Some(Value::Hash(h)) => h
                    .iter()
                    .map(|(f, v)| {
                        (
                            String::from_utf8_lossy(f).into_owned(),
                            String::from_utf8_lossy(v).into_owned(),
                        )
                    })
                    .collect(),
                _ => HashMap::new(),
            }
        }
    }

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

    const NIL: &str = "$-1\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn set_get_and_delete_basics() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HSET", "h", "f", "v"], ":1\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["HSET", "h", "f", "w", "g", "x"], ":1\r\n");
        assert_eq!(s.dirty, 2);
        s.ok(
            &["HSET", "h", "f"],
            "-ERR wrong number of arguments for 'hset' command\r\n",
        );
        s.ok(
            &["HSET", "h", "f", "v", "g"],
            "-ERR wrong number of arguments for 'hset' command\r\n",
        );
        s.ok(
            &["HMSET", "h", "f", "v", "g"],
            "-ERR wrong number of arguments for 'hmset' command\r\n",
        );
        s.ok(&["HMSET", "h", "a", "1"], "+OK\r\n");
        s.ok(&["HGET", "h", "f"], &bulk("w"));
        s.ok(&["HGET", "h", "nope"], NIL);
        s.ok(&["HGET", "nokey", "f"], NIL);
        s.ok(
            &["HMGET", "h", "a", "zz", "g"],
            &format!("*3\r\n{}{NIL}{}", bulk("1"), bulk("x")),
        );
        s.ok(&["HMGET", "nokey", "a"], "*1\r\n$-1\r\n");
        s.ok(&["HLEN", "h"], ":3\r\n");
        s.ok(&["HLEN", "nokey"], ":0\r\n");
        s.ok(&["HEXISTS", "h", "a"], ":1\r\n");
        s.ok(&["HEXISTS", "h", "b"], ":0\r\n");
        s.ok(&["HSTRLEN", "h", "a"], ":1\r\n");
        s.ok(&["HSTRLEN", "h", "b"], ":0\r\n");
        s.ok(&["HSETNX", "h", "a", "2"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        s.ok(&["HSETNX", "h", "b", "2"], ":1\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["HDEL", "h", "a", "a", "zz"], ":1\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["HDEL", "h", "f", "g", "b"], ":3\r\n");
        assert!(s.entry("h").is_none(), "an emptied hash is deleted");
        s.ok(&["HDEL", "h", "f"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        // Empty fields and values, binary-safe.
        s.ok(&["HSET", "e", "", ""], ":1\r\n");
        s.ok(&["HGET", "e", ""], "$0\r\n\r\n");
        let r = s.run_bytes(&[b"HSET", b"b", b"a\0\r\n", b"\xff\x00"]);
        assert_eq!(r, b":1\r\n");
        assert_eq!(
            s.run_bytes(&[b"HGET", b"b", b"a\0\r\n"]),
            b"$2\r\n\xff\x00\r\n"
        );
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut s = Shard::new(COMMANDS);
        s.dbs[0].set(b"str", Value::string(b"x"));
        for cmd in [
            &["HSET", "str", "f", "v"][..],
            &["HMSET", "str", "f", "v"],
            &["HSETNX", "str", "f", "v"],
            &["HGET", "str", "f"],
            &["HMGET", "str", "f"],
            &["HDEL", "str", "f"],
            &["HLEN", "str"],
            &["HSTRLEN", "str", "f"],
            &["HEXISTS", "str", "f"],
            &["HKEYS", "str"],
            &["HVALS", "str"],
            &["HGETALL", "str"],
            &["HINCRBY", "str", "f", "1"],
            &["HINCRBYFLOAT", "str", "f", "1"],
            &["HRANDFIELD", "str"],
            &["HRANDFIELD", "str", "1", "WITHVALUES"],
            &["HSCAN", "str", "0", "junk"],
        ] {
            s.ok(cmd, WRONGTYPE);
        }
        // Argument errors come first where Redis checks them first.
        s.ok(
            &["HINCRBY", "str", "f", "x"],
            "-ERR value is not an integer or out of range\r\n",
        );
        s.ok(
            &["HINCRBYFLOAT", "str", "f", "x"],
            "-ERR value is not a valid float\r\n",
        );
        s.ok(
            &["HINCRBYFLOAT", "str", "f", "inf"],
            "-ERR value is NaN or Infinity\r\n",
        );
        s.ok(&["HRANDFIELD", "str", "1", "junk"], "-ERR syntax error\r\n");
        s.ok(&["HSCAN", "str", "x"], "-ERR invalid cursor\r\n");
        s.ok(
            &["HSET", "str", "f"],
            "-ERR wrong number of arguments for 'hset' command\r\n",
        );
    }

    #[test]
    fn order_and_resp3_forms() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HSET", "h", "a", "1", "b", "2", "c", "3"], ":3\r\n");
        s.ok(&["HDEL", "h", "a"], ":1\r\n");
        s.ok(&["HSET", "h", "a", "9", "b", "8"], ":1\r\n");
        s.ok(
            &["HGETALL", "h"],
            &format!(
                "*6\r\n{}{}{}{}{}{}",
                bulk("b"),
                bulk("8"),
                bulk("c"),
                bulk("3"),
                bulk("a"),
                bulk("9")
            ),
        );
        s.ok(
            &["HKEYS", "h"],
            &format!("*3\r\n{}{}{}", bulk("b"), bulk("c"), bulk("a")),
        );
        s.ok(
            &["HVALS", "h"],
            &format!("*3\r\n{}{}{}", bulk("8"), bulk("3"), bulk("9")),
        );
        s.ok(&["HGETALL", "nokey"], "*0\r\n");
        s.resp3 = true;
        s.ok(
            &["HGETALL", "h"],
            &format!(
                "%3\r\n{}{}{}{}{}{}",
                bulk("b"),
                bulk("8"),
                bulk("c"),
                bulk("3"),
                bulk("a"),
                bulk("9")
            ),
        );
        s.ok(&["HGETALL", "nokey"], "%0\r\n");
        s.ok(&["HKEYS", "nokey"], "*0\r\n");
        s.ok(&["HGET", "nokey", "f"], "_\r\n");
        s.ok(&["HRANDFIELD", "nokey"], "_\r\n");
        // One pair nested in an array.
        let r = s.run(&["HRANDFIELD", "h", "1", "withvalues"]);
        assert!(r.starts_with("*1\r\n*2\r\n$"), "{r}");
        s.ok(
            &["HSCAN", "h", "0", "MATCH", "c"],
            &format!("*2\r\n$1\r\n0\r\n*2\r\n{}{}", bulk("c"), bulk("3")),
        );
    }

    #[test]
    fn encodings_switch_at_redis_boundaries() {
        let mut s = Shard::new(COMMANDS);
        s.settings.hash_max_listpack_entries = 2;
        s.settings.hash_max_listpack_value = 3;
        s.ok(&["HSET", "a", "f1", "v1", "f2", "v2"], ":2\r\n");
        assert_eq!(s.encoding("a"), "listpack");
        s.ok(&["HSET", "a", "f3", "v3"], ":1\r\n");
        assert_eq!(s.encoding("a"), "hashtable");
        s.ok(&["HDEL", "a", "f3", "f2"], ":2\r\n");
        assert_eq!(s.encoding("a"), "hashtable");
        // Duplicates within one HSET do not count twice.
        s.ok(&["HSET", "m", "f", "1", "f", "2", "f", "3"], ":1\r\n");
        assert_eq!(s.encoding("m"), "listpack");
        s.ok(&["HSET", "c", "abc", "def"], ":1\r\n");
        assert_eq!(s.encoding("c"), "listpack");
        s.ok(&["HSET", "d", "abcd", "e"], ":1\r\n");
        assert_eq!(s.encoding("d"), "hashtable");
        // HSETNX of an existing field checks nothing.
        s.ok(&["HSETNX", "c", "abc", "long"], ":0\r\n");
        assert_eq!(s.encoding("c"), "listpack");
        s.ok(&["HSETNX", "c", "x", "long"], ":1\r\n");
        assert_eq!(s.encoding("c"), "hashtable");
        // Counters: the result's length counts, a failed one converts nothing.
        s.ok(&["HSET", "n", "a", "1"], ":1\r\n");
        s.ok(&["HINCRBY", "n", "a", "998"], ":999\r\n");
        assert_eq!(s.encoding("n"), "listpack");
        s.ok(
            &["HINCRBY", "n", "long", "x"],
            "-ERR value is not an integer or out of range\r\n",
        );
        assert_eq!(s.encoding("n"), "listpack");
        s.ok(&["HINCRBY", "n", "a", "1"], ":1000\r\n");
        assert_eq!(s.encoding("n"), "hashtable");
        s.ok(&["HSET", "f", "a", "1"], ":1\r\n");
        s.ok(&["HINCRBYFLOAT", "f", "a", "0.5"], &bulk("1.5"));
        assert_eq!(s.encoding("f"), "listpack");
        s.ok(&["HINCRBYFLOAT", "f", "a", "100"], &bulk("101.5"));
        assert_eq!(s.encoding("f"), "hashtable");
        // An update counts against a limit lowered since.
        s.settings.hash_max_listpack_entries = 512;
        s.ok(&["HSET", "u", "a", "1", "b", "2", "c", "3"], ":3\r\n");
        s.settings.hash_max_listpack_entries = 2;
        s.ok(&["HDEL", "u", "c"], ":1\r\n");
        s.ok(&["HSET", "u", "c", "3"], ":1\r\n");
        assert_eq!(s.encoding("u"), "hashtable");
    }

    #[test]
    fn counters() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HINCRBY", "h", "n", "5"], ":5\r\n");
        assert_eq!(s.dirty, 1);
        s.ok(&["HINCRBY", "h", "n", "-7"], ":-2\r\n");
        s.ok(
            &[
                "HSET",
                "h",
                "max",
                "9223372036854775807",
                "s",
                " 1",
                "e",
                "",
            ],
            ":3\r\n",
        );
        s.ok(
            &["HINCRBY", "h", "max", "1"],
            "-ERR increment or decrement would overflow\r\n",
        );
        assert_eq!(s.dirty, 0);
        for f in ["s", "e"] {
            s.ok(
                &["HINCRBY", "h", f, "1"],
                "-ERR hash value is not an integer\r\n",
            );
            s.ok(
                &["HINCRBYFLOAT", "h", f, "1"],
                "-ERR hash value is not a float\r\n",
            );
        }
        s.ok(
            &["HINCRBY", "h", "n", "1.0"],
            "-ERR value is not an integer or out of range\r\n",
        );
        s.ok(&["HINCRBYFLOAT", "h", "x", "2.50"], &bulk("2.5"));
        s.ok(&["HINCRBYFLOAT", "h", "x", "0.5"], &bulk("3"));
        s.ok(&["HINCRBYFLOAT", "h", "n", "1e10"], &bulk("9999999998"));
        s.ok(
            &["HINCRBYFLOAT", "h", "x", "nan"],
            "-ERR value is not a valid float\r\n",
        );
        s.ok(
            &["HINCRBYFLOAT", "h", "x", "-inf"],
            "-ERR value is NaN or Infinity\r\n",
        );
        s.ok(&["HSET", "h", "inf", "inf", "big", "1e4932"], ":2\r\n");
        s.ok(
            &["HINCRBYFLOAT", "h", "inf", "1"],
            "-ERR increment would produce NaN or Infinity\r\n",
        );
        s.ok(
            &["HINCRBYFLOAT", "h", "big", "1e4932"],
            "-ERR increment would produce NaN or Infinity\r\n",
        );
        assert_eq!(s.hash("h").get("x").map(String::as_str), Some("3"));
        // HINCRBY leaves the TTL alone.
        s.dbs[0].set_expire(b"h", Some(T0 + 10_000), T0);
        s.ok(&["HINCRBY", "h", "n", "1"], ":9999999999\r\n");
        assert_eq!(s.entry("h").and_then(|e| e.expire_at()), Some(T0 + 10_000));
    }

    #[test]
    fn reads_count_hits_and_writes_touch() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HSET", "h", "f", "v"], ":1\r\n");
        assert_eq!(
            s.entry("h").map(|e| e.access_secs),
            Some((T0 / 1000) as u32)
        );
        s.ok(&["HGET", "h", "f"], &bulk("v"));
        s.ok(&["HGET", "nokey", "f"], NIL);
        assert_eq!((s.stats.keyspace_hits, s.stats.keyspace_misses), (1, 1));
        s.now_ms += 5_000;
        s.ok(&["HDEL", "h", "nope"], ":0\r\n");
        assert_eq!(
            s.entry("h").map(|e| e.access_secs),
            Some((s.now_ms / 1000) as u32)
        );
        assert_eq!((s.stats.keyspace_hits, s.stats.keyspace_misses), (1, 1));
        // A stale key is replaced by a fresh hash.
        s.dbs[0].set_expire(b"h", Some(s.now_ms + 1), s.now_ms);
        s.now_ms += 10;
        s.ok(&["HSET", "h", "g", "w"], ":1\r\n");
        assert_eq!(s.hash("h").len(), 1);
        assert_eq!(s.entry("h").and_then(|e| e.expire_at()), None);
    }

    #[test]
    fn hrandfield_shapes_and_argument_checks() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HRANDFIELD", "nokey"], NIL);
        s.ok(&["HRANDFIELD", "nokey", "5"], "*0\r\n");
        s.ok(&["HRANDFIELD", "nokey", "-5", "withvalues"], "*0\r\n");
        s.ok(
            &["HRANDFIELD", "nokey", "5", "junk"],
            "-ERR syntax error\r\n",
        );
        s.ok(
            &["HRANDFIELD", "nokey", "1", "withvalues", "x"],
            "-ERR syntax error\r\n",
        );
        s.ok(
            &["HRANDFIELD", "nokey", "x", "junk"],
            "-ERR value is not an integer or out of range\r\n",
        );
        s.ok(
            &["HRANDFIELD", "nokey", "-9223372036854775808"],
            &format!("-{COUNT_OUT_OF_RANGE}\r\n"),
        );
        s.ok(&["HRANDFIELD", "nokey", "-9223372036854775807"], "*0\r\n");
        for bad in [
            "-4611686018427387904",
            "4611686018427387904",
            "-9223372036854775807",
        ] {
            s.ok(
                &["HRANDFIELD", "nokey", bad, "WITHVALUES"],
                "-ERR value is out of range\r\n",
            );
        }
        s.ok(
            &["HRANDFIELD", "nokey", "4611686018427387903", "withvalues"],
            "*0\r\n",
        );
        let fields: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let mut cmd = vec!["HSET", "h"];
        for f in &fields {
            cmd.push(f);
            cmd.push(f);
        }
        s.run(&cmd);
        s.ok(&["HRANDFIELD", "h", "0"], "*0\r\n");
        s.ok(&["HRANDFIELD", "h", "0", "withvalues"], "*0\r\n");
        let all: HashSet<String> = fields.iter().cloned().collect();
        for _ in 0..20 {
            let one = bulks(&s.run(&["HRANDFIELD", "h"]));
            assert!(one.len() == 1 && all.contains(&one[0]));
            // Distinct fields for a positive count below the size.
            let r = bulks(&s.run(&["HRANDFIELD", "h", "7"]));
            assert_eq!(r.len(), 7);
            assert_eq!(r.iter().collect::<HashSet<_>>().len(), 7);
            assert!(r.iter().all(|f| all.contains(f)));
            // Repetition allowed for a negative count, exactly |count| picks.
            let r = bulks(&s.run(&["HRANDFIELD", "h", "-50"]));
            assert_eq!(r.len(), 50);
            assert!(r.iter().all(|f| all.contains(f)));
            // WITHVALUES pairs each field with its own value.
            let r = bulks(&s.run(&["HRANDFIELD", "h", "-9", "WITHVALUES"]));
            assert_eq!(r.len(), 18);
            assert!(r.chunks(2).all(|p| p[0] == p[1] && all.contains(&p[0])));
        }
        // A count past the size gives the whole hash, in its order.
        let r = bulks(&s.run(&["HRANDFIELD", "h", "100"]));
        assert_eq!(r, fields);
        // With the table encoding too (order by position).
        s.settings.hash_max_listpack_entries = 4;
        s.run(&["HSET", "h", "f0", "f0"]);
        assert_eq!(s.encoding("h"), "hashtable");
        let r: HashSet<String> = bulks(&s.run(&["HRANDFIELD", "h", "25"]))
            .into_iter()
            .collect();
        assert_eq!(r, all);
        let r = bulks(&s.run(&["HRANDFIELD", "h", "19", "withvalues"]));
        assert_eq!(r.len(), 38);
        assert_eq!(r.chunks(2).map(|p| &p[0]).collect::<HashSet<_>>().len(), 19);
        s.resp3 = true;
        let r = s.run(&["HRANDFIELD", "h", "-3", "withvalues"]);
        assert!(r.starts_with("*3\r\n*2\r\n$"), "{r}");
        assert_eq!(r.matches("*2\r\n").count(), 3);
    }

    #[test]
    fn hscan_listpack_and_table() {
        let mut s = Shard::new(COMMANDS);
        s.ok(&["HSCAN", "nokey", "0", "junk"], "*2\r\n$1\r\n0\r\n*0\r\n");
        s.ok(&["HSCAN", "nokey", "x"], "-ERR invalid cursor\r\n");
        s.ok(&["HSET", "h", "a", "1", "b", "2", "ab", "3"], ":3\r\n");
        let all = format!(
            "*2\r\n$1\r\n0\r\n*6\r\n{}{}{}{}{}{}",
            bulk("a"),
            bulk("1"),
            bulk("b"),
            bulk("2"),
            bulk("ab"),
            bulk("3")
        );
        s.ok(&["HSCAN", "h", "0"], &all);
        s.ok(&["HSCAN", "h", "77", "COUNT", "1"], &all);
        s.ok(&["HSCAN", "h", "", "match", "*"], &all);
        s.ok(
            &["HSCAN", "h", "0", "MATCH", "a*"],
            &format!(
                "*2\r\n$1\r\n0\r\n*4\r\n{}{}{}{}",
                bulk("a"),
                bulk("1"),
                bulk("ab"),
                bulk("3")
            ),
        );
        for bad in [
            &["COUNT", "0"][..],
            &["COUNT"],
            &["MATCH"],
            &["TYPE", "string"],
            &["NOVALUES"],
            &["TYPE", "x", "COUNT", "y"],
            &["COUNT", "0", "TYPE", "x"],
        ] {
            let mut cmd = vec!["HSCAN", "h", "0"];
            cmd.extend_from_slice(bad);
            s.ok(&cmd, "-ERR syntax error\r\n");
        }
        s.ok(
            &["HSCAN", "h", "0", "COUNT", "y", "TYPE", "x"],
            "-ERR value is not an integer or out of range\r\n",
        );
        // A TYPE value in MATCH's place is just a pattern.
        s.ok(
            &["HSCAN", "h", "0", "MATCH", "type"],
            "*2\r\n$1\r\n0\r\n*0\r\n",
        );
        // Table: a full iteration in pages covers everything exactly.
        s.settings.hash_max_listpack_entries = 4;
        let mut cmd = vec!["HSET".to_owned(), "t".to_owned()];
        for i in 0..100 {
            cmd.push(format!("f{i}"));
            cmd.push(format!("v{i}"));
        }
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        s.run(&refs);
        assert_eq!(s.encoding("t"), "hashtable");
        let mut seen = HashMap::new();
        let mut cursor = "0".to_owned();
        let mut pages = 0;
        loop {
            let r = bulks(&s.run(&["HSCAN", "t", &cursor, "COUNT", "7", "MATCH", "f*"]));
            cursor = r[0].clone();
            for p in r[1..].chunks(2) {
                seen.insert(p[0].clone(), p[1].clone());
            }
            pages += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
        assert!(seen.iter().all(|(f, v)| f[1..] == v[1..]));
        assert!(pages >= 100 / 7);
    }

    #[test]
    fn op_incr_float_formats_like_incrbyfloat() {
        let ld = |s: &str| parse_long_double(s.as_bytes()).expect("float");
        assert_eq!(op_incr_float(Some(b"10.5"), ld("0.1")).unwrap(), b"10.6");
        assert_eq!(op_incr_float(None, ld("5.0e3")).unwrap(), b"5000");
        assert_eq!(op_incr_float(Some(b"1"), ld("-1")).unwrap(), b"0");
        assert!(op_incr_float(Some(b"x"), ld("1")).is_err());
        assert_eq!(op_incr(Some(b"-5"), 3), Ok(-2));
        assert_eq!(
            op_incr(Some(b"007"), 1),
            Err(CmdError::other(HASH_NOT_INTEGER))
        );
        assert_eq!(
            op_incr(Some(b"-9223372036854775808"), -1),
            Err(CmdError::OVERFLOW)
        );
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            ("HSET h a 1 b 2", &["new h", "hset h"]),
            // HSET and HMSET notify even when nothing changed.
            ("HSET h a 1", &["hset h"]),
            ("HMSET h c 3", &["hset h"]),
            ("HSETNX h a 9", &[]),
            ("HSETNX h z 9", &["hset h"]),
            ("HSETNX h2 z 9", &["new h2", "hset h2"]),
            ("HDEL h a nope", &["hdel h"]),
            ("HDEL h nope", &[]),
            ("HINCRBY h b 5", &["hincrby h"]),
            ("HINCRBY h3 b 5", &["new h3", "hincrby h3"]),
            ("HINCRBYFLOAT h b 1.5", &["hincrbyfloat h"]),
            ("HINCRBYFLOAT h4 b 1.5", &["new h4", "hincrbyfloat h4"]),
            ("HINCRBY h c x", &[]),
            ("HINCRBY h5 c x", &[]),
            ("HDEL h b c z", &["hdel h", "del h"]),
            ("HGET h2 z", &[]),
            ("HGETALL h2", &[]),
            ("HRANDFIELD h2", &[]),
            ("HDEL h2 z", &["hdel h2", "del h2"]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            ("HGET nope f", &["keymiss nope"]),
            ("HMGET nope f", &["keymiss nope"]),
            ("HGETALL nope", &["keymiss nope"]),
            ("HKEYS nope", &["keymiss nope"]),
            ("HLEN nope", &["keymiss nope"]),
            ("HEXISTS nope f", &["keymiss nope"]),
            ("HSTRLEN nope f", &["keymiss nope"]),
            ("HRANDFIELD nope 2", &["keymiss nope"]),
            ("HSCAN nope 0", &["keymiss nope"]),
            ("HSET h f v", &["new h", "hset h"]),
            ("HGET h nof", &[]),
            ("HDEL nope f", &[]),
        ]);
    }

    /// What Redis 7.0.15 wrote to its AOF for HINCRBYFLOAT (checked with a
    /// real server): `HSET key field <result>`; nothing on an error.
    #[test]
    fn journaled_effects() {
        use crate::string::journal_check::{journals, no_effects_unless_journaling};
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "hset h a 1", &["hset h a 1"]);
        journals(&mut s, "hincrbyfloat h a 1.5", &["HSET h a 2.5"]);
        journals(&mut s, "hincrbyfloat h b 0", &["HSET h b 0"]);
        journals(&mut s, "hincrbyfloat h a 1e3", &["HSET h a 1002.5"]);
        journals(&mut s, "hincrbyfloat nh f 5.0e3", &["HSET nh f 5000"]);
        journals(&mut s, "hincrbyfloat h a abc", &[]);
        journals(&mut s, "hincrbyfloat h a nan", &[]);
        journals(&mut s, "hincrbyfloat h b 1.00", &["HSET h b 1"]);
        journals(&mut s, "hincrbyfloat h b -3.5", &["HSET h b -2.5"]);
        journals(
            &mut s,
            "hincrbyfloat h b 1e400",
            &[&format!("HSET h b {}", crate::string::journal_check::HUGE)],
        );
        journals(&mut s, "hset h s abc", &["hset h s abc"]);
        journals(&mut s, "hincrbyfloat h s 1", &[]);
        journals(&mut s, "set str v", &["set str v"]);
        journals(&mut s, "hincrbyfloat str f 1", &[]);
        no_effects_unless_journaling(&mut s, "HINCRBYFLOAT h a 1");
    }

    /// Commands journaled as received, or not at all when they change
    /// nothing (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "hset h f v", &["hset h f v"]);
        // Redis counts a change even when the value is the same.
        journals(&mut s, "hset h f v", &["hset h f v"]);
        journals(&mut s, "hdel h zz", &[]);
        journals(&mut s, "hsetnx h f v", &[]);
        journals(&mut s, "hincrby h n 0", &["hincrby h n 0"]);
    }
}
