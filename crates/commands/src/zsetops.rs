//! Sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD, as Redis 7.0 computes them.
//!
//! Inputs may be sorted sets or plain sets (every member of a set scores 1);
//! a missing key is an empty input and any other type is WRONGTYPE. Every
//! input is looked up for reading (a keyspace hit or miss, in the STORE
//! forms too) before the options are read, so WRONGTYPE wins over a syntax
//! error, as in Redis.
//!
//! Floating-point facts Redis's results depend on, kept here:
//! * ZUNION and ZINTER visit the inputs from the smallest to the largest
//!   (a stable order among equal sizes, a missing key counting as empty),
//!   and SUM adds in that order, so `0.1`, `0.2`, `0.3` sum to
//!   `0.60000000000000009` or `0.59999999999999998` depending on the sizes.
//!   ZDIFF keeps the given order: the first key is the one subtracted from.
//! * A weighted score that is NaN (`0 * inf`) counts as 0 when it starts an
//!   aggregate (every ZUNION input, ZINTER's first); a SUM that gives NaN
//!   (`inf + -inf`) is 0; MIN and MAX ignore a NaN operand (a comparison
//!   with NaN is false). So no result score is ever NaN.
//! * A reply comes straight from the computed order (score, then member
//!   bytes), keeping `-0`; a stored result is built as a skiplist and packed
//!   if it fits, which turns `-0` into `0` (see `ferrite_storage::zset`).
//!
//! Inputs are read one at a time (a shard's database lends one value at a
//! time): ZUNION folds each input into an accumulator; ZINTER and ZDIFF
//! take the candidates from one input and then filter them through each
//! other input in turn, which does the same lookups in the same order per
//! member as Redis's member-by-member loop.

use ahash::AHashMap;
use bytes::Bytes;
use ferrite_storage::zset::cmp_key;
use ferrite_storage::{CompactBytes, SetValue, Value, ZSetValue};

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, is, parse_i64};
use crate::zset::{limits, result_set, scored_header, scored_item, store_result};

/// The rows of the sorted-set algebra commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zdiff", -3, Group::SortedSet, Exec::Keyed(cmd_zdiff))
        .flags(Flags::READONLY)
        .keys_numkeys(1)
        .acl(&["@read", "@sortedset", "@slow"])
        .doc(
            "Returns the members of the first sorted set that are in none of the others.",
            "6.2.0",
        ),
    CommandSpec::new(
        "zdiffstore",
        -4,
        Group::SortedSet,
        Exec::Keyed(cmd_zdiffstore),
    )
    .flags(Flags::WRITE.union(Flags::DENYOOM))
    .keys(1, 1, 1)
    .keys_fn(store_keys)
    .acl(&["@write", "@sortedset", "@slow"])
    .doc(
        "Stores the difference of sorted sets in a key; replies its size.",
        "6.2.0",
    ),
    CommandSpec::new("zinter", -3, Group::SortedSet, Exec::Keyed(cmd_zinter))
        .flags(Flags::READONLY)
        .keys_numkeys(1)
        .acl(&["@read", "@sortedset", "@slow"])
        .doc(
            "Returns the members common to sorted sets, with aggregated scores.",
            "6.2.0",
        ),
    CommandSpec::new(
        "zintercard",
        -3,
        Group::SortedSet,
        Exec::Keyed(cmd_zintercard),
    )
    .flags(Flags::READONLY)
    .keys_numkeys(1)
    .acl(&["@read", "@sortedset", "@slow"])
    .doc(
        "Returns the size of the intersection of sorted sets, counting up to a limit.",
        "7.0.0",
    ),
    CommandSpec::new(
        "zinterstore",
        -4,
        Group::SortedSet,
        Exec::Keyed(cmd_zinterstore),
    )
    .flags(Flags::WRITE.union(Flags::DENYOOM))
    .keys(1, 1, 1)
    .keys_fn(store_keys)
    .acl(&["@write", "@sortedset", "@slow"])
    .doc(
        "Stores the intersection of sorted sets in a key; replies its size.",
        "2.0.0",
    ),
    CommandSpec::new("zunion", -3, Group::SortedSet, Exec::Keyed(cmd_zunion))
        .flags(Flags::READONLY)
        .keys_numkeys(1)
        .acl(&["@read", "@sortedset", "@slow"])
        .doc(
            "Returns the members of all the given sorted sets, with aggregated scores.",
            "6.2.0",
        ),
    CommandSpec::new(
        "zunionstore",
        -4,
        Group::SortedSet,
        Exec::Keyed(cmd_zunionstore),
    )
    .flags(Flags::WRITE.union(Flags::DENYOOM))
    .keys(1, 1, 1)
    .keys_fn(store_keys)
    .acl(&["@write", "@sortedset", "@slow"])
    .doc(
        "Stores the union of sorted sets in a key; replies its size.",
        "2.0.0",
    ),
];

const WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";
const NEGATIVE_LIMIT: &str = "ERR LIMIT can't be negative";

/// Above this many score lookups into one packed input (probes times its
/// length), ZINTER and ZDIFF index the input first rather than walk it for
/// every probe: a packed set can be made large through CONFIG, and then
/// the walks would be quadratic.
const INDEX_THRESHOLD: usize = 4096;

/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn cmd_zunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Union, Form::Reply, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn cmd_zinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Inter, Form::Reply, "zinter")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn cmd_zdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Diff, Form::Reply, "zdiff")
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
pub fn cmd_zunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Union, Form::Store, "zunionstore")
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
pub fn cmd_zinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Inter, Form::Store, "zinterstore")
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn cmd_zdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Diff, Form::Store, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn cmd_zintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, Op::Inter, Form::Card, "zintercard")
}

/// Key positions of the STORE forms: the destination, then `numkeys` keys
/// after the count at position 2, in that order (COMMAND GETKEYS's). None
/// when the count is not a positive integer with that many arguments
/// after it: the command then fails on its arguments.
fn store_keys(args: &[Bytes], out: &mut Vec<usize>) {
    let n = args
        .get(2)
        .and_then(|a| ferrite_storage::num::parse_i64(a))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    if n > 0 && args.len().saturating_sub(3) >= n {
        out.push(1);
        out.extend(3..3 + n);
    }
}

// ---------------------------------------------------------------------------
// Arguments.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// What the command does with the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Replies the members (ZUNION, ZINTER, ZDIFF).
    Reply,
    /// Stores them under args\[1\] (the STORE forms).
    Store,
    /// Replies how many (ZINTERCARD).
    Card,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// The options after the keys.
#[derive(Debug)]
struct Options {
    /// One weight per key when WEIGHTS was given (the last WEIGHTS wins).
    weights: Option<Vec<f64>>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT; 0 is no limit.
    limit: usize,
}

impl Options {
    fn weight(&self, i: usize) -> f64 {
        self.weights
            .as_ref()
            .and_then(|w| w.get(i).copied())
            .unwrap_or(1.0)
    }
}

/// Splits the arguments after the `numkeys` at `at` into the keys and the
/// options, with Redis's errors: not an integer, fewer than 1, more than
/// the arguments that follow (a syntax error). Nothing is allocated from
/// the count before it is checked against the arguments.
fn split_keys<'a>(
    args: &'a [Bytes],
    at: usize,
    name: &str,
) -> Result<(&'a [Bytes], &'a [Bytes]), CmdError> {
    let n = parse_i64(arg(args, at))?;
    if n < 1 {
        return Err(CmdError::other(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let rest = args.get(at + 1..).unwrap_or_default();
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > rest.len() {
        return Err(CmdError::SYNTAX);
    }
    Ok(rest.split_at(n))
}

/// Reads the options as Redis's loop does, left to right, each option
/// recognised only where the command takes it and only when enough
/// arguments follow it (`WEIGHTS` needs one per key); anything else is a
/// syntax error at that point.
fn parse_options(opts: &[Bytes], numkeys: usize, op: Op, form: Form) -> Result<Options, CmdError> {
    let mut o = Options {
        weights: None,
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let scored = op != Op::Diff && form != Form::Card;
    let mut i = 0;
    while let Some(a) = opts.get(i) {
        let remaining = opts.len() - i;
        let value = opts.get(i + 1).map(|b| &b[..]);
        if scored && remaining > numkeys && is(a, "weights") {
            let given = opts.get(i + 1..i + 1 + numkeys).unwrap_or_default();
            let mut w = Vec::with_capacity(given.len());
            for g in given {
                let x = ferrite_storage::num::parse_f64(g)
                    .ok_or_else(|| CmdError::other(WEIGHT_NOT_FLOAT))?;
                w.push(x);
            }
            o.weights = Some(w);
            i += 1 + numkeys;
        } else if let (true, Some(v)) = (scored && is(a, "aggregate"), value) {
            o.aggregate = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::SYNTAX);
            };
            i += 2;
        } else if form == Form::Reply && is(a, "withscores") {
            o.withscores = true;
            i += 1;
        } else if let (true, Some(v)) = (form == Form::Card && is(a, "limit"), value) {
            let n = ferrite_storage::num::parse_i64(v)
                .filter(|&n| n >= 0)
                .ok_or_else(|| CmdError::other(NEGATIVE_LIMIT))?;
            o.limit = usize::try_from(n).unwrap_or(usize::MAX);
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------------------
// The command's course.
// ---------------------------------------------------------------------------

/// Every command of the family, in Redis's order of checks: the count of
/// keys, the keys' types, the options; then the result, which a STORE form
/// computes in full before it touches the destination (an input too, maybe).
fn run(ctx: &mut Ctx<'_>, args: &[Bytes], op: Op, form: Form, name: &'static str) -> CmdResult {
    let at = if form == Form::Store { 2 } else { 1 };
    let (keys, opts) = split_keys(args, at, name)?;
    let sizes = lookup_inputs(ctx, keys)?;
    let o = parse_options(opts, keys.len(), op, form)?;
    let items = match op {
        Op::Union => op_union(ctx, keys, &sizes, &o),
        Op::Inter => op_inter(ctx, keys, &sizes, &o),
        Op::Diff => op_diff(ctx, keys, &sizes),
    };
    match form {
        Form::Card => {
            let n = if o.limit == 0 {
                items.len()
            } else {
                items.len().min(o.limit)
            };
            ctx.w().int(n as i64);
        }
        Form::Reply => reply(ctx, items, o.withscores),
        // The STORE forms' event is the command's name.
        Form::Store => store(ctx, arg(args, 1), items, name),
    }
    Ok(())
}

/// Looks every input up for reading, in order, as Redis 7.0 does before
/// anything else, the STORE forms included (each lookup counts a keyspace
/// hit or miss), failing at the first key of another type. Returns each
/// input's size, 0 for a missing key.
fn lookup_inputs(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<usize>, CmdError> {
    let mut sizes = Vec::with_capacity(keys.len());
    for k in keys {
        sizes.push(match ctx.lookup_read(k).map(|e| &e.value) {
            None => 0,
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            Some(_) => return Err(CmdError::WRONG_TYPE),
        });
    }
    Ok(sizes)
}

/// Writes the members in order (score, then member), with their scores
/// when asked (see [`scored_header`]).
fn reply(ctx: &mut Ctx<'_>, mut items: Vec<(CompactBytes, f64)>, withscores: bool) {
    items.sort_unstable_by(|a, b| cmp_key(a.1, &a.0, b.1, &b.0));
    let mut w = ctx.w();
    scored_header(&mut w, items.len(), withscores);
    for (m, s) in &items {
        scored_item(&mut w, m, *s, withscores);
    }
}

/// The STORE forms' ending (see [`store_result`]): the result replaces the
/// destination whatever it held (its TTL included) with the `event`
/// notification, or deletes it if empty.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], items: Vec<(CompactBytes, f64)>, event: &'static str) {
    let limits = limits(ctx.settings);
    let mut z = result_set();
    for (m, s) in &items {
        z.insert(m, *s, limits);
    }
    store_result(ctx, dst, z, event);
}

// ---------------------------------------------------------------------------
// Inputs.
// ---------------------------------------------------------------------------

/// One input, already type-checked by [`lookup_inputs`].
#[derive(Clone, Copy)]
enum Input<'a> {
    Z(&'a ZSetValue),
    S(&'a SetValue),
}

impl<'a> Input<'a> {
    fn len(self) -> usize {
        match self {
            Input::Z(z) => z.len(),
            Input::S(s) => s.len(),
        }
    }

    /// Calls `f` with every member and its score (1 for a set's members).
    fn for_each(self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Input::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Input::S(s) => s.iter().for_each(|m| m.with_bytes(|b| f(b, 1.0))),
        }
    }
}

/// The input under `key` (not counted as a lookup again), or `None` if
/// missing.
fn input<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<Input<'c>> {
    let now = ctx.now_ms;
    match ctx.db().get(key, now).map(|e| &e.value) {
        Some(Value::ZSet(z)) => Some(Input::Z(z)),
        Some(Value::Set(s)) => Some(Input::S(s)),
        _ => None,
    }
}

/// Score lookups into one input.
enum Finder<'a> {
    Direct(Input<'a>),
    /// A packed sorted set indexed by member, see [`INDEX_THRESHOLD`].
    Indexed(AHashMap<&'a [u8], f64>),
}

impl<'a> Finder<'a> {
    /// A finder for `probes` lookups into `input`.
    fn new(input: Input<'a>, probes: usize) -> Finder<'a> {
        match input {
            Input::Z(z) if z.is_packed() && probes.saturating_mul(z.len()) > INDEX_THRESHOLD => {
                Finder::Indexed(z.iter().collect())
            }
            _ => Finder::Direct(input),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Finder::Direct(Input::Z(z)) => z.score(member),
            Finder::Direct(Input::S(s)) => s.contains(member).then_some(1.0),
            Finder::Indexed(map) => map.get(member).copied(),
        }
    }
}

// ---------------------------------------------------------------------------
// Pure operations.
// ---------------------------------------------------------------------------

/// Folds `value` into `target` as Redis's `zunionInterAggregate`: a NaN
/// sum is 0; MIN and MAX keep `target` when the comparison fails (NaN).
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// A weighted score starting an aggregate: NaN (`0 * inf`) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The input positions from the smallest input to the largest, keeping the
/// given order among equal sizes, as ZUNION and ZINTER visit them.
fn by_size(sizes: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| sizes.get(i).copied().unwrap_or(0));
    order
}

/// ZUNION: every member of any input, its weighted scores aggregated in
/// the order of [`by_size`]. Unordered.
fn op_union(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    sizes: &[usize],
    o: &Options,
) -> Vec<(CompactBytes, f64)> {
    // The result is at least as large as the largest input.
    let mut acc: AHashMap<CompactBytes, f64> =
        AHashMap::with_capacity(sizes.iter().copied().max().unwrap_or(0));
    for i in by_size(sizes) {
        let weight = o.weight(i);
        let Some(src) = keys.get(i).and_then(|k| input(ctx, k)) else {
            continue;
        };
        src.for_each(|m, s| {
            let v = weighted(s, weight);
            match acc.get_mut(m) {
                Some(t) => aggregate(t, v, o.aggregate),
                None => {
                    acc.insert(CompactBytes::new(m), v);
                }
            }
        });
    }
    acc.into_iter().collect()
}

/// ZINTER: the members of the smallest input found in every other, the
/// others visited in the order of [`by_size`]. The first score is
/// weighted as [`weighted`]; the others are folded in unchecked, as Redis
/// does. Unordered.
fn op_inter(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    sizes: &[usize],
    o: &Options,
) -> Vec<(CompactBytes, f64)> {
    let order = by_size(sizes);
    let Some((&first, rest)) = order.split_first() else {
        return Vec::new();
    };
    let Some(src) = keys.get(first).and_then(|k| input(ctx, k)) else {
        return Vec::new();
    };
    let weight = o.weight(first);
    let mut items = Vec::with_capacity(src.len());
    src.for_each(|m, s| items.push((CompactBytes::new(m), weighted(s, weight))));
    for &j in rest {
        if items.is_empty() {
            break;
        }
        let weight = o.weight(j);
        let Some(src) = keys.get(j).and_then(|k| input(ctx, k)) else {
            items.clear();
            break;
        };
        let finder = Finder::new(src, items.len());
        items.retain_mut(|(m, score)| match finder.score(m) {
            Some(v) => {
                aggregate(score, v * weight, o.aggregate);
                true
            }
            None => false,
        });
    }
    items
}

/// ZDIFF: the members of the first input found in no other, with their
/// scores in the first. Unordered.
fn op_diff(ctx: &mut Ctx<'_>, keys: &[Bytes], sizes: &[usize]) -> Vec<(CompactBytes, f64)> {
    if sizes.first().is_none_or(|&n| n == 0) {
        return Vec::new();
    }
    let Some(src) = keys.first().and_then(|k| input(ctx, k)) else {
        return Vec::new();
    };
    let mut items = Vec::with_capacity(src.len());
    src.for_each(|m, s| items.push((CompactBytes::new(m), s)));
    for k in keys.iter().skip(1) {
        if items.is_empty() {
            break;
        }
        let Some(src) = input(ctx, k) else { continue };
        let finder = Finder::new(src, items.len());
        items.retain(|(m, _)| finder.score(m).is_none());
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::{bulk, TestShard as Shard};
    use ferrite_storage::zset::ZSetLimits;

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";

    fn zset(s: &mut Shard, key: &str, pairs: &[(f64, &str)]) {
        let mut z = ZSetValue::new();
        for (score, m) in pairs {
            z.insert(m.as_bytes(), *score, ZSetLimits::default());
        }
        s.dbs[0].set(key.as_bytes(), Value::ZSet(z));
    }

    fn set(s: &mut Shard, key: &str, members: &[&str]) {
        let mut v = SetValue::new();
        for m in members {
            v.add(m.as_bytes(), 512);
        }
        s.dbs[0].set(key.as_bytes(), Value::Set(v));
    }

    /// A RESP2 WITHSCORES reply.
    fn scored(items: &[(&str, &str)]) -> String {
        let mut out = format!("*{}\r\n", items.len() * 2);
        for (m, s) in items {
            out.push_str(&bulk(m));
            out.push_str(&bulk(s));
        }
        out
    }

    fn members(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for m in items {
            out.push_str(&bulk(m));
        }
        out
    }

    fn stored(s: &mut Shard, key: &str) -> Vec<(Vec<u8>, f64)> {
        match s.entry(key).map(|e| e.value) {
            Some(Value::ZSet(z)) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            other => panic!("{key} is not a sorted set: {other:?}"),
        }
    }

    #[test]
    fn union_inter_diff_with_options() {
        let mut s = Shard::new(COMMANDS);
        zset(&mut s, "a", &[(1.0, "x"), (2.0, "y"), (3.0, "z")]);
        zset(&mut s, "b", &[(10.0, "y"), (20.0, "w")]);
        set(&mut s, "s", &["y", "q"]);
        s.ok(
            &["ZUNION", "2", "a", "b", "WITHSCORES"],
            &scored(&[("x", "1"), ("z", "3"), ("y", "12"), ("w", "20")]),
        );
        s.ok(&["ZUNION", "2", "a", "b"], &members(&["x", "z", "y", "w"]));
        s.ok(
            &["ZINTER", "3", "a", "b", "s", "withscores"],
            &scored(&[("y", "13")]),
        );
        s.ok(
            &[
                "ZINTER",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "2",
                "0.5",
                "AGGREGATE",
                "max",
                "WITHSCORES",
            ],
            &scored(&[("y", "5")]),
        );
        s.ok(
            &["ZUNION", "2", "a", "s", "AGGREGATE", "MIN", "WITHSCORES"],
            &scored(&[("q", "1"), ("x", "1"), ("y", "1"), ("z", "3")]),
        );
        s.ok(
            &["ZDIFF", "3", "a", "b", "nokey", "WITHSCORES"],
            &scored(&[("x", "1"), ("z", "3")]),
        );
        s.ok(&["ZDIFF", "2", "s", "a"], &members(&["q"]));
        s.ok(&["ZDIFF", "2", "nokey", "a"], "*0\r\n");
        s.ok(&["ZINTER", "2", "a", "nokey"], "*0\r\n");
        s.ok(&["ZINTERCARD", "2", "a", "s"], ":1\r\n");
        s.ok(&["ZINTERCARD", "1", "a", "LIMIT", "2"], ":2\r\n");
        s.ok(&["ZINTERCARD", "1", "a", "limit", "0"], ":3\r\n");
        // A key given twice counts twice.
        s.ok(
            &["ZUNION", "2", "a", "a", "WITHSCORES"],
            &scored(&[("x", "2"), ("y", "4"), ("z", "6")]),
        );
        s.resp3 = true;
        s.ok(
            &["ZUNION", "1", "b", "WITHSCORES"],
            &format!("*2\r\n*2\r\n{},10\r\n*2\r\n{},20\r\n", bulk("y"), bulk("w")),
        );
        s.ok(&["ZDIFF", "1", "b"], &members(&["y", "w"]));
    }

    #[test]
    fn nan_and_infinities_follow_redis() {
        let mut s = Shard::new(COMMANDS);
        zset(&mut s, "a", &[(f64::INFINITY, "x"), (1.0, "y")]);
        zset(&mut s, "b", &[(f64::NEG_INFINITY, "x"), (3.0, "y")]);
        s.ok(
            &["ZUNION", "2", "a", "b", "WITHSCORES"],
            &scored(&[("x", "0"), ("y", "4")]),
        );
        s.ok(
            &["ZUNION", "2", "a", "b", "WEIGHTS", "0", "1", "WITHSCORES"],
            &scored(&[("x", "-inf"), ("y", "3")]),
        );
        s.ok(
            &["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
            &scored(&[("x", "-inf"), ("y", "1")]),
        );
        // MIN ignores the NaN of -inf * 0 in a later input.
        s.ok(
            &[
                "ZINTER",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "1",
                "0",
                "AGGREGATE",
                "MIN",
                "WITHSCORES",
            ],
            &scored(&[("y", "0"), ("x", "inf")]),
        );
        s.ok(
            &["ZUNION", "1", "a", "WEIGHTS", "-0", "WITHSCORES"],
            &scored(&[("x", "0"), ("y", "-0")]),
        );
    }

    #[test]
    fn sums_follow_the_inputs_by_size() {
        let mut s = Shard::new(COMMANDS);
        zset(&mut s, "a", &[(0.1, "x")]);
        zset(&mut s, "b", &[(0.2, "x")]);
        zset(&mut s, "c", &[(0.3, "x")]);
        zset(&mut s, "c2", &[(0.3, "x"), (1.0, "y"), (1.0, "z")]);
        let sum = |s: &mut Shard, args: &[&str]| {
            let mut cmd = vec!["ZINTER"];
            cmd.extend_from_slice(args);
            cmd.push("WITHSCORES");
            s.run(&cmd)
        };
        assert!(sum(&mut s, &["3", "a", "b", "c"]).contains("0.60000000000000009"));
        assert!(sum(&mut s, &["3", "c", "b", "a"]).contains("0.59999999999999998"));
        assert!(sum(&mut s, &["3", "c2", "b", "a"]).contains("0.60000000000000009"));
    }

    #[test]
    fn errors_follow_redis() {
        let mut s = Shard::new(COMMANDS);
        zset(&mut s, "a", &[(1.0, "x")]);
        s.dbs[0].set(b"str", Value::string(b"v"));
        let at_least =
            |name: &str| format!("-ERR at least 1 input key is needed for '{name}' command\r\n");
        s.ok(&["ZUNION", "0", "a"], &at_least("zunion"));
        s.ok(&["ZINTER", "-1", "a"], &at_least("zinter"));
        s.ok(&["ZDIFFSTORE", "d", "0", "a"], &at_least("zdiffstore"));
        s.ok(&["ZINTERCARD", "0", "a"], &at_least("zintercard"));
        s.ok(
            &["ZUNION", "x", "a"],
            "-ERR value is not an integer or out of range\r\n",
        );
        s.ok(&["ZUNION", "9223372036854775807", "a"], SYNTAX);
        s.ok(&["ZUNIONSTORE", "d", "2", "a"], SYNTAX);
        s.ok(&["ZUNION", "1", "a", "WEIGHTS"], SYNTAX);
        s.ok(&["ZUNION", "2", "a", "a", "WEIGHTS", "1"], SYNTAX);
        s.ok(
            &["ZUNION", "1", "a", "WEIGHTS", "nan"],
            "-ERR weight value is not a float\r\n",
        );
        s.ok(&["ZUNION", "1", "a", "AGGREGATE", "avg"], SYNTAX);
        s.ok(&["ZUNION", "1", "a", "AGGREGATE"], SYNTAX);
        s.ok(&["ZDIFF", "1", "a", "WEIGHTS", "1"], SYNTAX);
        s.ok(&["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"], SYNTAX);
        s.ok(&["ZINTERCARD", "1", "a", "WITHSCORES"], SYNTAX);
        s.ok(
            &["ZINTERCARD", "1", "a", "LIMIT", "-1"],
            "-ERR LIMIT can't be negative\r\n",
        );
        s.ok(&["ZINTERCARD", "1", "a", "LIMIT"], SYNTAX);
        // WRONGTYPE comes before the options are read.
        s.ok(&["ZUNION", "2", "nokey", "str", "WEIGHTS", "x"], WRONGTYPE);
        s.ok(&["ZINTERSTORE", "d", "2", "a", "str"], WRONGTYPE);
        s.ok(&["ZINTERCARD", "2", "nokey", "str"], WRONGTYPE);
        assert!(s.entry("d").is_none());
    }

    #[test]
    fn store_forms_pack_what_fits_and_delete_on_empty() {
        let mut s = Shard::new(COMMANDS);
        zset(&mut s, "a", &[(1.0, "x"), (2.0, "y")]);
        s.dbs[0].set(b"d", Value::string(b"v"));
        s.ok(&["ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "-0"], ":2\r\n");
        assert_eq!(s.dirty, 1);
        assert_eq!(s.encoding("d"), "listpack");
        // Packing stores -0 as 0.
        assert!(stored(&mut s, "d")
            .iter()
            .all(|(_, sc)| sc.is_sign_positive()));
        s.settings.zset_max_listpack_entries = 1;
        s.ok(&["ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "-0"], ":2\r\n");
        assert_eq!(s.encoding("d"), "skiplist");
        assert!(stored(&mut s, "d")
            .iter()
            .all(|(_, sc)| sc.is_sign_negative()));
        s.settings.zset_max_listpack_entries = 128;
        s.settings.zset_max_listpack_value = 1;
        zset(&mut s, "long", &[(1.0, "xy")]);
        s.ok(&["ZINTERSTORE", "e", "2", "long", "long"], ":1\r\n");
        assert_eq!(s.encoding("e"), "skiplist");
        assert_eq!(stored(&mut s, "e"), vec![(b"xy".to_vec(), 2.0)]);
        // The destination may be an input.
        s.ok(&["ZDIFFSTORE", "a", "2", "a", "long"], ":2\r\n");
        assert_eq!(s.encoding("a"), "listpack");
        s.ok(&["ZDIFFSTORE", "a", "2", "a", "a"], ":0\r\n");
        assert!(s.entry("a").is_none());
        assert_eq!(s.dirty, 1);
        s.ok(&["ZDIFFSTORE", "a", "1", "nokey"], ":0\r\n");
        assert_eq!(s.dirty, 0);
        // A TTL on the destination goes.
        s.dbs[0].set_with_expire(b"t", Value::string(b"v"), Some(s.now_ms + 10_000));
        s.ok(&["ZUNIONSTORE", "t", "1", "long"], ":1\r\n");
        assert_eq!(s.entry("t").and_then(|e| e.expire_at()), None);
    }

    #[test]
    fn large_packed_inputs_are_indexed() {
        let mut s = Shard::new(COMMANDS);
        s.settings.zset_max_listpack_entries = 100_000;
        let limits = ZSetLimits {
            max_entries: 100_000,
            max_value: 64,
        };
        let mut a = ZSetValue::new();
        let mut b = ZSetValue::new();
        for i in 0..6_000 {
            a.insert(format!("m{i}").as_bytes(), f64::from(i), limits);
            if i % 2 == 0 {
                b.insert(format!("m{i}").as_bytes(), 1.0, limits);
            }
        }
        assert!(a.is_packed() && b.is_packed());
        s.dbs[0].set(b"a", Value::ZSet(a));
        s.dbs[0].set(b"b", Value::ZSet(b));
        s.ok(&["ZINTERCARD", "2", "a", "b"], ":3000\r\n");
        s.ok(&["ZDIFFSTORE", "d", "2", "a", "b"], ":3000\r\n");
        assert_eq!(s.encoding("d"), "listpack");
    }

    #[test]
    fn store_keys_match_getkeys() {
        let args = |v: &[&str]| -> Vec<Bytes> {
            v.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect()
        };
        let keys = |v: &[&str]| {
            let mut out = Vec::new();
            store_keys(&args(v), &mut out);
            out
        };
        assert_eq!(
            keys(&["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"]),
            [1, 3, 4]
        );
        assert!(keys(&["zunionstore", "d", "3", "a", "b"]).is_empty());
        assert!(keys(&["zunionstore", "d", "0", "a"]).is_empty());
        assert!(keys(&["zunionstore", "d", "-1", "a"]).is_empty());
        assert!(keys(&["zunionstore", "d"]).is_empty());
    }

    // Keyspace events of the STORE forms, as a Redis 7.0.15 oracle published
    // them on `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m`
    // where said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = Shard::notifying(COMMANDS, false);
        s.check_events(&[
            ("ZADD z 1 a 2 b 3 c", &["new z", "zadd z"]),
            ("ZADD w 1 a 5 e", &["new w", "zadd w"]),
            // The event is the command's name; an existing destination gets
            // no `new`; an empty result deletes it (`del`) if it existed.
            ("ZUNIONSTORE d 2 z w", &["new d", "zunionstore d"]),
            ("ZUNIONSTORE d 2 z w", &["zunionstore d"]),
            ("ZINTERSTORE d 2 z w", &["zinterstore d"]),
            ("ZINTERSTORE d 2 z nope", &["del d"]),
            ("ZINTERSTORE d 2 z nope", &[]),
            ("ZDIFFSTORE d 2 z w", &["new d", "zdiffstore d"]),
            ("ZDIFFSTORE d 2 z z", &["del d"]),
            ("ZUNIONSTORE d 1 nope", &[]),
            // A destination of another type is replaced.
            ("SET d x", &["new d", "set d"]),
            ("ZUNIONSTORE d 1 z", &["zunionstore d"]),
            ("ZUNION 2 z w", &[]),
            ("ZINTER 2 z w", &[]),
            ("ZINTERCARD 2 z w", &[]),
            ("ZDIFF 2 z w", &[]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = Shard::notifying(COMMANDS, true);
        s.check_events(&[
            ("ZADD l2 1 a", &["new l2", "zadd l2"]),
            ("ZUNION 2 nope nope2", &["keymiss nope", "keymiss nope2"]),
            ("ZINTER 2 nope l2", &["keymiss nope"]),
            ("ZINTERCARD 1 nope", &["keymiss nope"]),
            ("ZDIFF 1 nope", &["keymiss nope"]),
            ("ZUNIONSTORE d 1 nope", &["keymiss nope"]),
        ]);
    }

    /// The STORE forms are journaled as received, and only when they changed
    /// something (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::journals;
        let mut s = Shard::new(COMMANDS);
        journals(&mut s, "zunionstore zd 1 nokey", &[]);
        journals(&mut s, "zinterstore zd 1 nokey", &[]);
        journals(&mut s, "zadd z 1 a", &["zadd z 1 a"]);
        journals(&mut s, "zunionstore zd 1 z", &["zunionstore zd 1 z"]);
        journals(&mut s, "zdiffstore zd 1 nokey", &["zdiffstore zd 1 nokey"]);
    }
}
