//! SORT and SORT_RO: the elements of a list, set or sorted set, sorted by
//! themselves or by weights read through a key pattern (`BY weight_*`,
//! `BY object_*->field`), or kept in their own order (`BY nosort`), then
//! paged (`LIMIT`) and either returned or stored as a list, as such or as
//! the values other patterns point to (`GET`).
//!
//! Redis's details, all checked against redis-server 7.0.15:
//! - Numeric weights are read with C's `strtod`: leading white space,
//!   `0x` hexadecimal forms and `inf` are accepted, NaN and out-of-range
//!   values (overflow, and underflow to a denormal or to zero) are not, and
//!   the text ends at its first NUL byte. Equal weights fall back to
//!   comparing the elements' bytes, so a numeric sort is deterministic.
//! - ALPHA compares bytes, as `strcoll` does in the C locale: up to the
//!   first NUL byte, except with STORE (whole strings). A missing BY key
//!   weighs 0, or sorts first with ALPHA; ALPHA ties keep the source order
//!   (glibc's `qsort` is a stable merge sort).
//! - `BY` without `*` keeps the source's order: a list or sorted set is
//!   then read directly from the LIMIT range (from the tail with DESC); a
//!   set keeps its iteration order, unless STORE asks for a result that
//!   must not depend on it, which is then sorted ALPHA instead.
//! - Sorting a packed sorted set converts it to a skiplist for good, as
//!   Redis does (`OBJECT ENCODING` shows it).
//! - Pattern lookups are ordinary reads: they count keyspace hits and
//!   misses and refresh access times.
//!
//! The handler reads pattern keys from its [`Ctx`] like any other key. With
//! several shards they may live anywhere, so the rows declare
//! [`crate::table::Lookups`]: the runtime first asks [`plan_lookups`] for
//! the keys the source's elements point to and checks them out next to the
//! declared keys (docs/design/threading.md).

use std::cmp::Ordering;

use ahash::AHashSet;
use bytes::Bytes;
use ferrite_protocol::Writer;
use ferrite_storage::num::{fmt_i64, MAX_I64_CHARS};
use ferrite_storage::{ListValue, StoreTtl, StrValue, Value};

use crate::ctx::{notify, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::{arg, c_str, is, parse_i64};

const ACL_SORT: &[&str] = &[
    "@write",
    "@set",
    "@sortedset",
    "@list",
    "@slow",
    "@dangerous",
];
const ACL_SORT_RO: &[&str] = &[
    "@read",
    "@set",
    "@sortedset",
    "@list",
    "@slow",
    "@dangerous",
];

/// The rows of SORT and SORT_RO.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, Group::Generic, Exec::Keyed(cmd_sort))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .keys_fn(sort_keys)
        .lookups(needs_lookups, plan_lookups)
        .acl(ACL_SORT)
        .doc(
            "Sorts a list, set or sorted set, by its elements or by weights in other keys, and replies or stores the result.",
            "1.0.0",
        ),
    CommandSpec::new("sort_ro", -2, Group::Generic, Exec::Keyed(cmd_sort_ro))
        .flags(Flags::READONLY)
        .keys(1, 1, 1)
        .keys_fn(sort_ro_keys)
        .lookups(needs_lookups, plan_lookups)
        .acl(ACL_SORT_RO)
        .doc(
            "Sorts a list, set or sorted set like SORT, without the STORE option.",
            "7.0.0",
        ),
];

/// The error of a weight that is not a number.
const NOT_A_DOUBLE: &str = "ERR One or more scores can't be converted into double";

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
fn cmd_sort(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort(ctx, args, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
fn cmd_sort_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort(ctx, args, true)
}

/// SORT's keys as Redis finds them: the source, then the destination of
/// the last STORE, skipping the arguments of LIMIT, GET and BY.
fn sort_keys(args: &[Bytes], out: &mut Vec<usize>) {
    if args.len() < 2 {
        return;
    }
    out.push(1);
    let mut store = None;
    let mut i = 2;
    while let Some(a) = args.get(i) {
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    out.extend(store);
}

/// SORT_RO's one key, the source.
fn sort_ro_keys(args: &[Bytes], out: &mut Vec<usize>) {
    if args.len() >= 2 {
        out.push(1);
    }
}

/// True when the arguments make SORT read keys through a pattern (BY with
/// a `*`, GET other than `#`); a syntax error reads none.
fn needs_lookups(args: &[Bytes]) -> bool {
    let Ok(o) = Options::parse(args, is_sort_ro(args)) else {
        return false;
    };
    (!o.nosort && o.by.is_some()) || o.gets.iter().any(|g| g.is_key())
}

/// The distinct keys SORT's patterns point to for the source's elements
/// (at most one per element and pattern), read without counting hits.
fn plan_lookups(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Vec<Bytes> {
    let Ok(o) = Options::parse(args, is_sort_ro(args)) else {
        return Vec::new();
    };
    let now = ctx.now_ms;
    let Some(entry) = ctx.db().get(arg(args, 1), now) else {
        return Vec::new();
    };
    let Some(src) = Source::of(&entry.value) else {
        return Vec::new();
    };
    let plan = o.plan(src.kind());
    let (elems, _, _) = src.load(&plan, o.desc);
    let mut pats: Vec<&Pattern<'_>> = Vec::with_capacity(o.gets.len() + 1);
    if let Some(by) = &plan.by {
        pats.push(by);
    }
    pats.extend(o.gets.iter().filter(|g| g.is_key()));
    let mut keys: AHashSet<Bytes> = AHashSet::new();
    let mut buf = Vec::new();
    for it in &elems.items {
        for p in &pats {
            if let Some((key, _)) = p.key(elems.get(it), &mut buf) {
                if !keys.contains(key) {
                    keys.insert(Bytes::copy_from_slice(key));
                }
            }
        }
    }
    keys.into_iter().collect()
}

fn is_sort_ro(args: &[Bytes]) -> bool {
    is(arg(args, 0), "sort_ro")
}

/// SORT's options, read as Redis's parser reads them.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    /// The last BY pattern, when every BY pattern had a `*`.
    by: Option<Pattern<'a>>,
    /// A BY pattern without `*` was given: no sorting.
    nosort: bool,
    gets: Vec<Pattern<'a>>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [Bytes], readonly: bool) -> Result<Options<'a>, CmdError> {
        let mut o = Options {
            desc: false,
            alpha: false,
            limit_start: 0,
            limit_count: -1,
            store: None,
            by: None,
            nosort: false,
            gets: Vec::new(),
        };
        let mut j = 2;
        while let Some(a) = args.get(j) {
            let left = args.len() - j - 1;
            if is(a, "asc") {
                o.desc = false;
            } else if is(a, "desc") {
                o.desc = true;
            } else if is(a, "alpha") {
                o.alpha = true;
            } else if is(a, "limit") && left >= 2 {
                o.limit_start = parse_i64(arg(args, j + 1))?;
                o.limit_count = parse_i64(arg(args, j + 2))?;
                j += 2;
            } else if !readonly && is(a, "store") && left >= 1 {
                o.store = Some(arg(args, j + 1));
                j += 1;
            } else if is(a, "by") && left >= 1 {
                let p = arg(args, j + 1);
                if c_str(p).contains(&b'*') {
                    o.by = Some(Pattern::parse(p));
                } else {
                    // Sticky: a later BY with a `*` does not sort either.
                    o.nosort = true;
                }
                j += 1;
            } else if is(a, "get") && left >= 1 {
                o.gets.push(Pattern::parse(arg(args, j + 1)));
                j += 1;
            } else {
                return Err(CmdError::SYNTAX);
            }
            j += 1;
        }
        Ok(o)
    }

    /// What to do with a source of `kind`.
    fn plan(&self, kind: Kind) -> Plan<'a> {
        if self.nosort && kind == Kind::Set && self.store.is_some() {
            // A stored result must not depend on a set's iteration order.
            return Plan {
                nosort: false,
                alpha: true,
                by: None,
                limit: (self.limit_start, self.limit_count),
            };
        }
        Plan {
            nosort: self.nosort,
            alpha: self.alpha,
            by: if self.nosort { None } else { self.by },
            limit: (self.limit_start, self.limit_count),
        }
    }
}

/// The effective ordering of one SORT.
struct Plan<'a> {
    nosort: bool,
    alpha: bool,
    by: Option<Pattern<'a>>,
    limit: (i64, i64),
}

/// A BY or GET pattern, split as Redis splits it: `*` and `->` are looked
/// for with C string functions, so only before the first NUL byte.
#[derive(Clone, Copy)]
enum Pattern<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: points to no key.
    Fixed,
    /// `prefix*suffix`, or `prefix*suffix->field` for a hash field.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    fn parse(p: &'a [u8]) -> Pattern<'a> {
        let c = c_str(p);
        if c == b"#" {
            return Pattern::Element;
        }
        let Some(star) = c.iter().position(|&b| b == b'*') else {
            return Pattern::Fixed;
        };
        let prefix = p.get(..star).unwrap_or_default();
        let rest = p.get(star + 1..).unwrap_or_default();
        let crest = c.get(star + 1..).unwrap_or_default();
        // Only the first `->` counts, and only with a field after it.
        match crest.windows(2).position(|w| w == b"->") {
            Some(i) if i + 2 < crest.len() => Pattern::Key {
                prefix,
                suffix: rest.get(..i).unwrap_or_default(),
                field: rest.get(i + 2..),
            },
            _ => Pattern::Key {
                prefix,
                suffix: rest,
                field: None,
            },
        }
    }

    fn is_key(&self) -> bool {
        matches!(self, Pattern::Key { .. })
    }

    /// The key this pattern points to for `elem` (built in `buf`), and the
    /// hash field to read there.
    fn key<'b>(&self, elem: &[u8], buf: &'b mut Vec<u8>) -> Option<(&'b [u8], Option<&'a [u8]>)> {
        let Pattern::Key {
            prefix,
            suffix,
            field,
        } = *self
        else {
            return None;
        };
        buf.clear();
        buf.extend_from_slice(prefix);
        buf.extend_from_slice(elem);
        buf.extend_from_slice(suffix);
        Some((buf, field))
    }
}

/// A string a pattern found: a string value or a hash field's value.
enum Found<'v> {
    Int(i64),
    Bytes(&'v [u8]),
}

impl Found<'_> {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Found::Int(n) => {
                let mut buf = [0u8; MAX_I64_CHARS];
                f(fmt_i64(*n, &mut buf))
            }
            Found::Bytes(b) => f(b),
        }
    }

    /// The value as a numeric weight (`None`: not a number).
    fn weight(&self) -> Option<f64> {
        match self {
            Found::Int(n) => Some(*n as f64),
            Found::Bytes(b) => parse_weight(b),
        }
    }
}

/// Reads what `key` (and `field`) hold, as Redis's pattern lookup: a hit
/// or miss is counted; a key of another type gives nothing. `f` gets the
/// value and the reply writer.
fn lookup<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    field: Option<&[u8]>,
    f: impl FnOnce(Option<Found<'_>>, Writer<'_>) -> R,
) -> R {
    let (entry, w) = ctx.lookup_read_with_writer(key);
    let found = match (entry.map(|e| &e.value), field) {
        (Some(Value::Str(StrValue::Int(n))), None) => Some(Found::Int(*n)),
        (Some(Value::Str(StrValue::Plain(b))), None) => Some(Found::Bytes(b)),
        (Some(Value::Str(StrValue::Raw(b))), None) => Some(Found::Bytes(b)),
        (Some(Value::Hash(h)), Some(field)) => h.get(field).map(Found::Bytes),
        _ => None,
    };
    f(found, w)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// The value being sorted.
enum Source<'v> {
    List(&'v ListValue),
    Set(&'v ferrite_storage::SetValue),
    ZSet(&'v ferrite_storage::ZSetValue),
}

/// The elements to sort, copied into one buffer (no allocation per
/// element), with their weights.
#[derive(Default)]
struct Elements {
    bytes: Vec<u8>,
    items: Vec<Item>,
    /// ALPHA weights read through BY, one buffer for all.
    weights: Vec<u8>,
}

struct Item {
    elem: (usize, usize),
    score: f64,
    /// The ALPHA weight's range in `weights`; None when its key is missing.
    weight: Option<(usize, usize)>,
}

impl Elements {
    fn push(&mut self, e: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(e);
        self.items.push(Item {
            elem: (start, self.bytes.len()),
            score: 0.0,
            weight: None,
        });
    }

    fn get(&self, it: &Item) -> &[u8] {
        self.bytes.get(it.elem.0..it.elem.1).unwrap_or_default()
    }

    fn weight(&self, it: &Item) -> Option<&[u8]> {
        it.weight.and_then(|(s, e)| self.weights.get(s..e))
    }
}

impl<'v> Source<'v> {
    fn of(v: &'v Value) -> Option<Source<'v>> {
        match v {
            Value::List(l) => Some(Source::List(l)),
            Value::Set(s) => Some(Source::Set(s)),
            Value::ZSet(z) => Some(Source::ZSet(z)),
            _ => None,
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Source::List(_) => Kind::List,
            Source::Set(_) => Kind::Set,
            Source::ZSet(_) => Kind::ZSet,
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::List(l) => l.len(),
            Source::Set(s) => s.len(),
            Source::ZSet(z) => z.len(),
        }
    }

    /// Copies out the elements to sort and gives the output range
    /// `start..=end` within them (empty when `end < start`). A list or
    /// sorted set that is not sorted is read from the LIMIT range only,
    /// from the tail with DESC.
    fn load(&self, plan: &Plan<'_>, desc: bool) -> (Elements, i64, i64) {
        let len = self.len() as i64;
        let (limit_start, limit_count) = plan.limit;
        let mut start = limit_start.max(0);
        let mut end = if limit_count < 0 {
            len - 1
        } else {
            start.saturating_add(limit_count) - 1
        };
        if start >= len {
            start = len - 1;
            end = len - 2;
        }
        if end >= len {
            end = len - 1;
        }
        let mut el = Elements::default();
        let direct = plan.nosort && matches!(self, Source::List(_) | Source::ZSet(_));
        if direct {
            if end >= start {
                // Positions counted from the head, or from the tail with DESC.
                let (lo, hi) = if desc {
                    ((len - 1 - end) as usize, (len - start) as usize)
                } else {
                    (start as usize, (end + 1) as usize)
                };
                el.items.reserve(hi - lo);
                match self {
                    Source::List(l) if desc => l.range(lo, hi).rev().for_each(|e| el.push(e)),
                    Source::List(l) => l.range(lo, hi).for_each(|e| el.push(e)),
                    Source::ZSet(z) => z.iter_range(lo..hi, desc).for_each(|(m, _)| el.push(m)),
                    Source::Set(_) => {}
                }
                end -= start;
                start = 0;
            }
            return (el, start, end);
        }
        el.items.reserve(self.len());
        match self {
            Source::List(l) => l.iter().for_each(|e| el.push(e)),
            Source::Set(s) => s.iter().for_each(|m| m.with_bytes(|b| el.push(b))),
            Source::ZSet(z) => z.iter().for_each(|(m, _)| el.push(m)),
        }
        (el, start, end)
    }
}

fn sort(ctx: &mut Ctx<'_>, args: &[Bytes], readonly: bool) -> CmdResult {
    let o = Options::parse(args, readonly)?;
    let key = arg(args, 1);
    let kind = match ctx.lookup_read(key).map(|e| &e.value) {
        None => None,
        Some(Value::List(_)) => Some(Kind::List),
        Some(Value::Set(_)) => Some(Kind::Set),
        Some(Value::ZSet(_)) => Some(Kind::ZSet),
        Some(_) => return Err(CmdError::WRONG_TYPE),
    };
    let now = ctx.now_ms;
    let plan = o.plan(kind.unwrap_or(Kind::List));
    let (mut el, start, end) = {
        let value = ctx.db().get_mut(key, now);
        match value {
            Some(Value::ZSet(z)) => {
                // Redis converts a packed sorted set before sorting it.
                z.convert();
                Source::ZSet(z).load(&plan, o.desc)
            }
            Some(v) => match Source::of(v) {
                Some(src) => src.load(&plan, o.desc),
                None => (Elements::default(), -1, -2),
            },
            None => (Elements::default(), -1, -2),
        }
    };
    if !plan.nosort {
        weigh(ctx, &mut el, &plan)?;
        sort_elements(&mut el, &plan, o.desc, o.store.is_some());
    }
    let chosen: &[Item] = if end >= start {
        el.items
            .get(start as usize..=end as usize)
            .unwrap_or_default()
    } else {
        &[]
    };
    match o.store {
        None => reply(ctx, &el, chosen, &o.gets),
        Some(dst) => store(ctx, &el, chosen, &o.gets, dst),
    }
    Ok(())
}

/// Reads every element's weight: through BY, or the element itself.
/// Every lookup is made (and counted) even after a bad number, as Redis does.
fn weigh(ctx: &mut Ctx<'_>, el: &mut Elements, plan: &Plan<'_>) -> CmdResult {
    let mut bad = false;
    let mut buf = Vec::new();
    let Elements {
        bytes,
        items,
        weights,
    } = el;
    for it in items.iter_mut() {
        let elem = bytes.get(it.elem.0..it.elem.1).unwrap_or_default();
        match &plan.by {
            Some(by) => {
                let Some((key, field)) = by.key(elem, &mut buf) else {
                    continue;
                };
                lookup(ctx, key, field, |found, _| {
                    let Some(found) = found else {
                        return;
                    };
                    if plan.alpha {
                        let s = weights.len();
                        found.with_bytes(|b| weights.extend_from_slice(b));
                        it.weight = Some((s, weights.len()));
                    } else if let Some(score) = found.weight() {
                        it.score = score;
                    } else {
                        bad = true;
                    }
                });
            }
            None if plan.alpha => {}
            None => match parse_weight(elem) {
                Some(score) => it.score = score,
                None => bad = true,
            },
        }
    }
    if bad {
        return Err(CmdError::other(NOT_A_DOUBLE));
    }
    Ok(())
}

/// Sorts as Redis's comparison does. ALPHA ties keep the source order, as
/// with glibc's `qsort` (a merge sort); numeric ties are broken by the
/// elements. (With BY and LIMIT Redis sorts partially with its own
/// quicksort, which may order ALPHA ties differently.)
fn sort_elements(el: &mut Elements, plan: &Plan<'_>, desc: bool, store: bool) {
    // Without STORE Redis compares with strcoll, which stops at a NUL.
    let coll = |a: &[u8], b: &[u8]| -> Ordering {
        if store {
            a.cmp(b)
        } else {
            c_str(a).cmp(c_str(b))
        }
    };
    let mut items = std::mem::take(&mut el.items);
    let view: &Elements = el;
    let compare = |a: &Item, b: &Item| {
        let ord = if !plan.alpha {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| view.get(a).cmp(view.get(b)))
        } else if plan.by.is_some() {
            match (view.weight(a), view.weight(b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => coll(x, y),
            }
        } else {
            coll(view.get(a), view.get(b))
        };
        if desc {
            ord.reverse()
        } else {
            ord
        }
    };
    if plan.alpha {
        items.sort_by(compare);
    } else {
        // A total order (equal weights compare the elements): stability
        // cannot show.
        items.sort_unstable_by(compare);
    }
    el.items = items;
}

/// Replies the chosen elements, or for each the values of the GET patterns.
fn reply(ctx: &mut Ctx<'_>, el: &Elements, chosen: &[Item], gets: &[Pattern<'_>]) {
    let per = gets.len().max(1);
    ctx.w().array(chosen.len().saturating_mul(per));
    let mut buf = Vec::new();
    for it in chosen {
        let elem = el.get(it);
        if gets.is_empty() {
            ctx.w().bulk(elem);
        }
        for g in gets {
            match g.key(elem, &mut buf) {
                Some((key, field)) => lookup(ctx, key, field, |found, mut w| match found {
                    Some(v) => v.with_bytes(|b| w.bulk(b)),
                    None => w.null(),
                }),
                None if matches!(g, Pattern::Element) => ctx.w().bulk(elem),
                None => ctx.w().null(),
            }
        }
    }
}

/// Stores the chosen elements (or GET values, a missing one as an empty
/// string) as a list under `dst`, replacing whatever was there; an empty
/// result deletes `dst`. Replies the list's length.
fn store(ctx: &mut Ctx<'_>, el: &Elements, chosen: &[Item], gets: &[Pattern<'_>], dst: &[u8]) {
    let fill = ctx.settings.list_max_listpack_size;
    let mut list = ListValue::new();
    let mut buf = Vec::new();
    for it in chosen {
        let elem = el.get(it);
        if gets.is_empty() {
            list.push_back(elem, fill);
        }
        for g in gets {
            match g.key(elem, &mut buf) {
                Some((key, field)) => lookup(ctx, key, field, |found, _| match found {
                    Some(v) => v.with_bytes(|b| list.push_back(b, fill)),
                    None => list.push_back(b"", fill),
                }),
                None if matches!(g, Pattern::Element) => list.push_back(elem, fill),
                None => list.push_back(b"", fill),
            }
        }
    }
    let n = list.len();
    if n > 0 {
        ctx.store(dst, Value::List(list), StoreTtl::Clear);
        ctx.notify(notify::LIST, "sortstore", dst);
        ctx.dirty += n as u64;
    } else if ctx.delete(dst) {
        ctx.dirty += 1;
    }
    ctx.w().int(n as i64);
}

/// A weight as Redis reads it with C's `strtod` (the text up to its first
/// NUL must be consumed whole, errno must not be ERANGE, NaN is refused).
/// Leading white space is skipped; the empty string is 0; `inf`,
/// `infinity` and hexadecimal forms (`0x1p3`) are accepted; overflow and
/// underflow to zero or to a denormal are refused, except a denormal a
/// hexadecimal form gives exactly (glibc flags only inexact underflow; a
/// decimal denormal is never exact in practice).
fn parse_weight(text: &[u8]) -> Option<f64> {
    let s = c_str(text);
    let r = ferrite_storage::num::strtod(s);
    (r.consumed == s.len() && !r.erange && !r.value.is_nan()).then_some(r.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::{Settings, Stats};
    use crate::testing::{TestShard, T0};
    use bytes::BytesMut;

    #[test]
    fn weights_follow_strtod() {
        let ok: &[(&[u8], f64)] = &[
            (b"1", 1.0),
            (b" 1", 1.0),
            (b"\t\n\x0b\x0c\r1", 1.0),
            (b"", 0.0),
            (b"\x001", 0.0),
            (b"1\x00x", 1.0),
            (b"1e3", 1000.0),
            (b"1.", 1.0),
            (b".5", 0.5),
            (b"-.5e1", -5.0),
            (b"+1.5", 1.5),
            (b"0x10", 16.0),
            (b"0X1P3", 8.0),
            (b"0x1.8p1", 3.0),
            (b"-0x1p3", -8.0),
            (b"0x.8p-1073", 5e-324),
            (b"0x0.0000000000001p-1022", 5e-324),
            (b"0x1.fffffffffffffp1023", f64::MAX),
            (b"1.7976931348623157e308", f64::MAX),
            (b"inf", f64::INFINITY),
            (b"-Infinity", f64::NEG_INFINITY),
            (b"0e-999999", 0.0),
            (b"00001", 1.0),
            (b"1e0010", 1e10),
            (b"2.2250738585072014e-308", f64::MIN_POSITIVE),
        ];
        for (text, want) in ok {
            assert_eq!(
                parse_weight(text),
                Some(*want),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let bad: &[&[u8]] = &[
            b"a",
            b"1 ",
            b" ",
            b"nan",
            b"-nan",
            b"nan(1)",
            b"infinit",
            b"0x",
            b"0xg",
            b"1e",
            b"1e+",
            b"+",
            b"-",
            b".",
            b"1_0",
            b"1e400",
            b"1e-400",
            b"1e-310",
            b"2e-324",
            b"1.8e308",
            b"1.7976931348623159e308",
            b"0x1p1024",
            b"0x1.ffffffffffffffp1023",
            b"0x.8p-1074",
            b"0x.3p-1074",
            b"0x1.8p-1074",
            b"1..2",
            b"0x1.2.3",
        ];
        for text in bad {
            assert_eq!(
                parse_weight(text),
                None,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn patterns_split_as_c_strings_do() {
        let key = |p: &[u8], e: &[u8]| {
            let mut buf = Vec::new();
            Pattern::parse(p)
                .key(e, &mut buf)
                .map(|(k, f)| (k.to_vec(), f.map(<[u8]>::to_vec)))
        };
        assert_eq!(key(b"w_*", b"a"), Some((b"w_a".to_vec(), None)));
        assert_eq!(
            key(b"o_*_x->f", b"a"),
            Some((b"o_a_x".to_vec(), Some(b"f".to_vec())))
        );
        // Only the first `->`, and only with a field after it.
        assert_eq!(key(b"h_*->", b"a"), Some((b"h_a->".to_vec(), None)));
        assert_eq!(
            key(b"h_*->a->b", b"a"),
            Some((b"h_a".to_vec(), Some(b"a->b".to_vec())))
        );
        assert_eq!(key(b"->*", b"a"), Some((b"->a".to_vec(), None)));
        assert_eq!(key(b"w_*_*", b"a"), Some((b"w_a_*".to_vec(), None)));
        // `*` after a NUL is not seen; the field may hold NULs.
        assert_eq!(key(b"w\x00*", b"a"), None);
        assert_eq!(
            key(b"h_*->f\x00g", b"a"),
            Some((b"h_a".to_vec(), Some(b"f\x00g".to_vec())))
        );
        assert!(matches!(Pattern::parse(b"#"), Pattern::Element));
        assert!(matches!(Pattern::parse(b"#\x00x"), Pattern::Element));
        assert!(matches!(Pattern::parse(b"##"), Pattern::Fixed));
    }

    fn shard_with(key: &[u8], v: Value) -> TestShard {
        let mut sh = TestShard::new(COMMANDS);
        sh.dbs[0].set(key, v);
        sh
    }

    fn plan(sh: &mut TestShard, line: &str) -> Vec<String> {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        let mut out = BytesMut::new();
        let mut stats = Stats::default();
        let settings = Settings::default();
        let mut ctx = Ctx::new(&mut sh.dbs, 0, T0, &mut out, false, &settings, &mut stats);
        let mut keys: Vec<String> = plan_lookups(&mut ctx, &args)
            .iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        keys.sort();
        // The planner neither replies nor counts.
        assert!(out.is_empty());
        assert_eq!((stats.keyspace_hits, stats.keyspace_misses), (0, 0));
        keys
    }

    fn needs(line: &str) -> bool {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        needs_lookups(&args)
    }

    #[test]
    fn only_external_patterns_need_lookups() {
        assert!(needs("sort k by w_*"));
        assert!(needs("sort k get o_*->f"));
        assert!(needs("sort_ro k get # get o_*"));
        assert!(!needs("sort k"));
        assert!(!needs("sort k by nosort get #"));
        assert!(!needs("sort k by nosort by w_*"));
        assert!(!needs("sort k get nostar store d"));
        assert!(!needs("sort k by w_* foo"));
        assert!(!needs("sort_ro k by w_* store d"));
    }

    #[test]
    fn planner_names_each_pattern_key_once() {
        let list = ListValue::from_items(["b", "a", "b", "c"], -2);
        let mut sh = shard_with(b"l", Value::List(list));
        assert_eq!(
            plan(&mut sh, "sort l by w_* get # get w_* get o_*->f"),
            ["o_a", "o_b", "o_c", "w_a", "w_b", "w_c"]
        );
        // Unsorted, a list is read from the LIMIT range only.
        assert_eq!(
            plan(&mut sh, "sort l by nosort limit 1 2 get o_*"),
            ["o_a", "o_b"]
        );
        assert_eq!(
            plan(&mut sh, "sort l by nosort desc limit 0 1 get o_*"),
            ["o_c"]
        );
        assert!(plan(&mut sh, "sort l by nosort limit 9 1 get o_*").is_empty());
        assert!(plan(&mut sh, "sort missing by w_*").is_empty());
        assert!(plan(&mut sh, "sort l foo by w_*").is_empty());
        // A set stored unsorted is sorted by itself instead.
        let mut set = ferrite_storage::SetValue::new();
        for m in ["1", "2"] {
            set.add(m.as_bytes(), 512);
        }
        let mut sh = shard_with(b"s", Value::Set(set));
        assert!(plan(&mut sh, "sort s by nosort store d").is_empty());
        assert_eq!(
            plan(&mut sh, "sort s by w_* get o_*"),
            ["o_1", "o_2", "w_1", "w_2"]
        );
    }

    #[test]
    fn store_counts_changes() {
        let list = ListValue::from_items(["2", "1", "3"], -2);
        let mut sh = shard_with(b"l", Value::List(list));
        sh.ok(&["sort", "l", "store", "d"], ":3\r\n");
        assert_eq!(sh.dirty, 3);
        sh.ok(&["sort", "l", "limit", "0", "0", "store", "d"], ":0\r\n");
        assert_eq!(sh.dirty, 1);
        sh.ok(&["sort", "l", "limit", "0", "0", "store", "d"], ":0\r\n");
        assert_eq!(sh.dirty, 0);
        sh.ok(&["sort", "l", "limit", "0", "1"], "*1\r\n$1\r\n1\r\n");
        assert_eq!(sh.dirty, 0);
    }

    #[test]
    fn keys_are_the_source_and_the_last_store() {
        let keys = |line: &str| {
            let args: Vec<Bytes> = line
                .split(' ')
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect();
            let mut out = Vec::new();
            sort_keys(&args, &mut out);
            out
        };
        assert_eq!(keys("sort k"), vec![1]);
        assert_eq!(keys("sort k store d"), vec![1, 3]);
        assert_eq!(keys("sort k store a store b"), vec![1, 5]);
        assert_eq!(keys("sort k limit store x"), vec![1]);
        assert_eq!(keys("sort k get store d"), vec![1]);
        assert_eq!(keys("sort k store"), vec![1]);
    }

    // Keyspace events, as a Redis 7.0.15 oracle published them on
    // `__keyevent@*__:*` with `notify-keyspace-events KEAn` (plus `m` where
    // said) for the same command sequence.
    #[test]
    fn keyspace_events() {
        let mut s = crate::testing::TestShard::notifying(COMMANDS, false);
        s.check_events(&[
            ("RPUSH l 3 1 2", &["new l", "rpush l"]),
            // SORT ... STORE: `sortstore` (a list event), `new` for a new
            // destination, `del` for an empty result over an existing one.
            ("SORT l STORE d", &["new d", "sortstore d"]),
            ("SORT l STORE d", &["sortstore d"]),
            ("SORT nope STORE d", &["del d"]),
            ("SORT nope STORE d", &[]),
            ("SORT l LIMIT 5 5 STORE d", &[]),
            ("SORT l STORE d", &["new d", "sortstore d"]),
            ("SORT l LIMIT 5 5 STORE d", &["del d"]),
            ("SORT l", &[]),
            ("SORT_RO l", &[]),
            ("SET d x", &["new d", "set d"]),
            ("SORT l STORE d", &["sortstore d"]),
            ("SADD s1 a", &["new s1", "sadd s1"]),
            ("SORT s1 ALPHA STORE s1", &["sortstore s1"]),
            ("SORT s1 ALPHA STORE l", &["sortstore l"]),
        ]);
    }

    #[test]
    fn keymiss_events() {
        let mut s = crate::testing::TestShard::notifying(COMMANDS, true);
        s.check_events(&[
            ("RPUSH l 2 1", &["new l", "rpush l"]),
            ("SET w_1 5", &["new w_1", "set w_1"]),
            // The BY and GET lookups are reads too: the weights first, then
            // the GETs in sorted order (w_2 is missing, so 2 sorts first).
            (
                "SORT l BY w_* GET o_* GET #",
                &["keymiss w_2", "keymiss o_2", "keymiss o_1"],
            ),
            ("SORT l BY nosort", &[]),
            ("SORT nope", &["keymiss nope"]),
            ("SORT_RO nope", &["keymiss nope"]),
            ("SORT l BY w_*->f", &["keymiss w_2"]),
        ]);
    }

    /// SORT ... STORE is journaled as received, and only when it changed
    /// something (Redis 7.0.15's AOF for the same commands).
    #[test]
    fn journaled_as_received_only_when_changed() {
        use crate::string::journal_check::journals;
        let mut s = TestShard::new(COMMANDS);
        journals(&mut s, "sort nokey store sd", &[]);
        journals(&mut s, "rpush sl 3 1 2", &["rpush sl 3 1 2"]);
        journals(&mut s, "sort sl store sd", &["sort sl store sd"]);
        journals(
            &mut s,
            "sort sl limit 0 0 store sd",
            &["sort sl limit 0 0 store sd"],
        );
        journals(&mut s, "sort nokey store sd", &[]);
    }
}
