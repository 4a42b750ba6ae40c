//! Sorted sets, in Redis 7.0's two encodings.
//!
//! Members are byte strings, each with an `f64` score; the set is ordered by
//! score, ties by member bytes (lexicographically, as `memcmp`). Scores are
//! never NaN here (the caller refuses NaN before it gets in). As in Redis, a
//! `listpack` stores `-0.0` as `0.0` (Redis packs integral scores as
//! integers), while a `skiplist` keeps the sign: `ZSCORE` replies `0` or `-0`
//! depending on the encoding.
//!
//! * `listpack`: one byte buffer of entries in order, each a LEB128 member
//!   length, the member and the score as 8 little-endian bytes. Everything is
//!   a linear walk, which at the sizes the encoding is allowed
//!   (`zset-max-listpack-entries`, 128 by default) is cheaper than pointer
//!   chasing and keeps a small set at one allocation.
//! * `skiplist`: a skiplist with spans (a rank-augmented skiplist, as
//!   Redis's) plus a hash index from member to node. The skiplist gives, in
//!   O(log n) expected: insert, delete, the rank of a member, the member at
//!   a rank, and the first position at or after a score or lex bound (so
//!   `ZCOUNT`/`ZLEXCOUNT` are two descents). The index (8-byte slots of a
//!   32-bit hash tag and a node number, see `keymap::SlotIndex`) answers
//!   `ZSCORE` in O(1); the member and its score are stored once, in the
//!   node, where Redis keeps a dict entry besides the node.
//!
//! Why a skiplist rather than an order-statistic B-tree: it has the same
//! bounds for every operation needed here, its algorithms (spans along the
//! search path) are short and easy to check against a model, and it walks
//! backwards through a single back pointer, which `ZREVRANGE` needs. Nodes
//! live in a vector addressed by `u32` (a free list reuses slots, and the
//! vector is compacted in order when it is mostly free), so there is no
//! `unsafe` and no per-link pointer. A node is one 64-byte cache line:
//! score, back link, the links of the three lowest levels, the member
//! (inline up to 22 bytes); the rare nodes with more levels keep the rest
//! in one shared vector. A search step therefore costs one cache miss, the
//! next one prefetched while the current compares. Because node numbers
//! are stable (compaction only moves nodes down), `ZSCAN` walks them with
//! `SCAN`'s guarantee and `ZRANDMEMBER` draws them directly. A `u32` index
//! bounds a set to about 4 billion members, far beyond any memory.
//!
//! Conversion follows Redis 7.0 and goes one way only while a set lives:
//! inserting a *new* member converts when the set would then hold more than
//! `zset-max-listpack-entries` members, or when the member is longer than
//! `zset-max-listpack-value` bytes (equal stays, one past converts). Score
//! updates and removals never convert, not even after the limits shrank.
//! Commands that build a new set (`ZUNIONSTORE`, `ZRANGESTORE`, ...) and the
//! RDB loader pack a result that fits: [`ZSetValue::shrink_if_fits`].
//!
//! Positions are 0-based and ranges of positions half-open, in ascending
//! order; every range form (rank, score, lex) is first turned into positions,
//! and then read with [`ZSetValue::iter_range`] (either direction) or
//! removed with [`ZSetValue::remove_range`].

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

use crate::compact::CompactBytes;
use crate::keymap::SlotIndex;

/// Redis refuses to grow a listpack past 1 GiB; an insert that would
/// converts the set first.
pub const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// The reply to a score bound that does not parse.
pub const ERR_SCORE_RANGE: &str = "ERR min or max is not a float";

/// The reply to a lex bound that does not parse.
pub const ERR_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// The thresholds of the `listpack` encoding, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZSetLimits {
    /// `zset-max-listpack-entries`: most members a packed set holds.
    pub max_entries: usize,
    /// `zset-max-listpack-value`: longest member (in bytes) a packed set holds.
    pub max_value: usize,
}

impl Default for ZSetLimits {
    fn default() -> Self {
        ZSetLimits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

// ---------------------------------------------------------------------------
// Bounds.
// ---------------------------------------------------------------------------

/// One end of a score range (`ZRANGEBYSCORE`, `ZCOUNT`, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    /// The bound's score (may be infinite, never NaN).
    pub value: f64,
    /// True for the `(` form: the bound itself is out of range.
    pub exclusive: bool,
}

impl ScoreBound {
    /// Parses a bound as Redis 7.0's `zslParseRange` does: an optional `(`
    /// then C's `strtod` on the rest up to the first NUL, which must consume
    /// all of it. So, as in Redis: leading white space after the `(` is
    /// skipped (`( 1`), but not before it; the empty text is 0 (`(` is an
    /// exclusive 0); overflow saturates (`1e400` is `inf`) and underflow
    /// goes to 0; `inf`, `+inf`, `-inf`, `infinity` in any case, hex forms;
    /// NaN is refused. `None` means [`ERR_SCORE_RANGE`].
    pub fn parse(s: &[u8]) -> Option<ScoreBound> {
        let (exclusive, rest) = match s.split_first() {
            Some((b'(', rest)) => (true, rest),
            _ => (false, s),
        };
        let value = strtod_all(rest)?;
        Some(ScoreBound { value, exclusive })
    }

    /// The bound that admits every score from below (`-inf`).
    pub const NEG_INF: ScoreBound = ScoreBound {
        value: f64::NEG_INFINITY,
        exclusive: false,
    };

    /// The bound that admits every score from above (`+inf`).
    pub const POS_INF: ScoreBound = ScoreBound {
        value: f64::INFINITY,
        exclusive: false,
    };

    /// True if `score` is at or above this bound taken as a minimum.
    #[inline]
    pub fn admits_as_min(&self, score: f64) -> bool {
        if self.exclusive {
            score > self.value
        } else {
            score >= self.value
        }
    }

    /// True if `score` is at or below this bound taken as a maximum.
    #[inline]
    pub fn admits_as_max(&self, score: f64) -> bool {
        if self.exclusive {
            score < self.value
        } else {
            score <= self.value
        }
    }
}

/// C's `strtod` over `s` cut at its first NUL, accepted only when it
/// consumes everything and is not NaN (with `errno` ignored, as Redis does
/// for range bounds: `1e400` is `inf`, and the empty text is 0).
fn strtod_all(s: &[u8]) -> Option<f64> {
    let r = crate::num::strtod(s);
    let len = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    (r.consumed == len && !r.value.is_nan()).then_some(r.value)
}

/// One end of a lex range (`ZRANGEBYLEX`, `ZLEXCOUNT`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    NegInf,
    /// `+`: above every member.
    PosInf,
    /// `[x`: `x` itself is in range.
    Inclusive(Vec<u8>),
    /// `(x`: `x` itself is out of range.
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Parses a bound as Redis 7.0 does: `-` or `+` alone (anything after
    /// them up to a NUL is an error, so `+\0...` is `+`), or `[`/`(` then
    /// the member bytes (all of them, NULs included). `None` means
    /// [`ERR_LEX_RANGE`].
    pub fn parse(s: &[u8]) -> Option<LexBound> {
        match s.split_first()? {
            (b'-', rest) if rest.first().is_none_or(|&b| b == 0) => Some(LexBound::NegInf),
            (b'+', rest) if rest.first().is_none_or(|&b| b == 0) => Some(LexBound::PosInf),
            (b'[', rest) => Some(LexBound::Inclusive(rest.to_vec())),
            (b'(', rest) => Some(LexBound::Exclusive(rest.to_vec())),
            _ => None,
        }
    }

    /// True if `member` is at or above this bound taken as a minimum.
    pub fn admits_as_min(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Inclusive(x) => member >= x.as_slice(),
            LexBound::Exclusive(x) => member > x.as_slice(),
        }
    }

    /// True if `member` is at or below this bound taken as a maximum.
    pub fn admits_as_max(&self, member: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(x) => member <= x.as_slice(),
            LexBound::Exclusive(x) => member < x.as_slice(),
        }
    }
}

/// The set's order: score (`-0` equal to `0`), then member bytes; callers
/// sorting results of their own (ZUNION, ZINTER) use it too.
#[inline]
pub fn cmp_key(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

/// A packed set stores `-0.0` as `0.0` (see the module header).
#[inline]
fn canonical(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

/// True when `min`..`max` can hold no member whatever the set, as Redis
/// tests first: `min` above `max`, or equal with either end exclusive
/// (`-` and `+` count as exclusive, so `- -` and `+ +` are empty).
fn lex_bounds_cross(min: &LexBound, max: &LexBound) -> bool {
    use LexBound::*;
    match (min, max) {
        (NegInf, NegInf) | (PosInf, PosInf) => true,
        (NegInf, _) | (_, PosInf) => false,
        (PosInf, _) | (_, NegInf) => true,
        (Inclusive(a) | Exclusive(a), Inclusive(b) | Exclusive(b)) => {
            a > b || (a == b && (matches!(min, Exclusive(_)) || matches!(max, Exclusive(_))))
        }
    }
}

// ---------------------------------------------------------------------------
// The value.
// ---------------------------------------------------------------------------

/// A sorted set: members (byte strings) ordered by score, then member.
pub struct ZSetValue(Repr);

enum Repr {
    /// Also the empty set (an empty buffer allocates nothing).
    Packed(Packed),
    Skip(Box<Big>),
}

/// The `skiplist` encoding: the list holds members and scores, the index
/// maps a member's hash to its node.
#[derive(Clone)]
struct Big {
    list: SkipList,
    index: SlotIndex,
    hasher: ahash::RandomState,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new()
    }
}

impl Clone for ZSetValue {
    fn clone(&self) -> Self {
        ZSetValue(match &self.0 {
            Repr::Packed(p) => Repr::Packed(p.clone()),
            // Node indices are kept, so the copy scans and samples as the
            // original does.
            Repr::Skip(b) => Repr::Skip(b.clone()),
        })
    }
}

impl PartialEq for ZSetValue {
    /// Same encoding and same (member, score) pairs in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.is_packed() == other.is_packed()
            && self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for ZSetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZSetValue({}) ", self.encoding())?;
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s)),
            )
            .finish()
    }
}

impl ZSetValue {
    /// An empty set in the `listpack` encoding (allocates nothing).
    pub fn new() -> ZSetValue {
        ZSetValue(Repr::Packed(Packed::default()))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len,
            Repr::Skip(b) => b.list.len,
        }
    }

    /// True when the set holds no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports: `listpack` or `skiplist`.
    pub fn encoding(&self) -> &'static str {
        if self.is_packed() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// True in the `listpack` encoding.
    pub fn is_packed(&self) -> bool {
        matches!(self.0, Repr::Packed(_))
    }

    /// The score of `member`: O(1) on a skiplist, a walk on a listpack.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.0 {
            Repr::Packed(p) => p.find(member).map(|e| e.score),
            Repr::Skip(b) => b
                .find(b.hash(member), member)
                .map(|(_, i)| b.list.node(i).score),
        }
    }

    /// ZADD's read-then-write in one member lookup: `decide` gets the
    /// member's score (`None` if absent) and returns the score to set, or
    /// `None` to leave the set as it is (never NaN). Setting is
    /// [`ZSetValue::insert`]'s, conversions included. Returns what `decide`
    /// returned.
    pub fn update(
        &mut self,
        member: &[u8],
        limits: ZSetLimits,
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) -> Option<f64> {
        let Repr::Skip(b) = &mut self.0 else {
            let new = decide(self.score(member))?;
            self.insert(member, new, limits);
            return Some(new);
        };
        let mut set = None;
        b.upsert(member, |old| {
            set = decide(old);
            set
        });
        set
    }

    /// Sets `member`'s score (the caller has refused NaN); returns the old
    /// score, `None` when the member is new. A new member converts a packed
    /// set first if the set would then exceed `max_entries` or the member
    /// is longer than `max_value` (Redis's `zsetAdd`); an update never
    /// converts.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: ZSetLimits) -> Option<f64> {
        debug_assert!(!score.is_nan(), "NaN scores are refused by the caller");
        if let Repr::Packed(p) = &mut self.0 {
            if let Some(e) = p.find(member) {
                let old = e.score;
                if old != score {
                    p.remove_bytes(e.start..e.end);
                    p.insert_sorted(member, score);
                }
                return Some(old);
            }
            if p.len + 1 > limits.max_entries
                || member.len() > limits.max_value
                || p.buf.len().saturating_add(member.len()) > LISTPACK_MAX_SAFETY_SIZE
            {
                self.convert();
            } else {
                p.insert_sorted(member, score);
                return None;
            }
        }
        match &mut self.0 {
            Repr::Skip(b) => b.insert(member, score),
            // `convert` above left a skiplist.
            Repr::Packed(_) => None,
        }
    }

    /// Removes `member`; returns its score if it was present. Never converts.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.0 {
            Repr::Packed(p) => {
                let e = p.find(member)?;
                p.remove_bytes(e.start..e.end);
                Some(e.score)
            }
            Repr::Skip(b) => b.remove(member),
        }
    }

    /// The 0-based rank of `member`, from the lowest score, or from the
    /// highest when `reverse` (ZREVRANK).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let r = match &self.0 {
            Repr::Packed(p) => p.iter().position(|(m, _)| m == member)?,
            Repr::Skip(b) => {
                let s = self.score(member)?;
                b.list.rank_of(s, member)?.checked_sub(1)?
            }
        };
        Some(if reverse { self.len() - 1 - r } else { r })
    }

    /// The member and score at 0-based position `i` in ascending order.
    pub fn get_by_rank(&self, i: usize) -> Option<(&[u8], f64)> {
        self.iter_range(i..i.saturating_add(1), false).next()
    }

    /// Iterates over every (member, score) in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_range(0..self.len(), false)
    }

    /// Iterates over the positions `range` (clamped to the set), ascending,
    /// or descending from `range.end - 1` when `reverse`. Starting costs
    /// O(log n) on a skiplist; each step O(1). Nothing is copied, except
    /// that a reverse walk over a packed set first lists its entries.
    pub fn iter_range(&self, range: Range<usize>, reverse: bool) -> Iter<'_> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let left = end - start;
        Iter(match &self.0 {
            Repr::Packed(p) if !reverse => {
                let mut it = p.iter();
                for _ in 0..start {
                    it.next();
                }
                IterRepr::Packed { it, left }
            }
            Repr::Packed(p) => {
                let v: Vec<(&[u8], f64)> = p.iter().skip(start).take(left).collect();
                IterRepr::PackedRev(v.into_iter().rev())
            }
            Repr::Skip(b) => {
                let node = if left == 0 {
                    NIL
                } else if reverse {
                    b.list.node_at(end)
                } else {
                    b.list.node_at(start + 1)
                };
                IterRepr::Skip {
                    list: &b.list,
                    node,
                    left,
                    reverse,
                }
            }
        })
    }

    /// The positions of the members whose score is within `min`..`max`.
    pub fn score_range(&self, min: &ScoreBound, max: &ScoreBound) -> Range<usize> {
        let start = self.count_before(|s, _| !min.admits_as_min(s));
        let end = self.count_before(|s, _| max.admits_as_max(s)).max(start);
        start..end
    }

    /// The positions of the members within `min`..`max` by member bytes
    /// (ZLEXCOUNT, ZREMRANGEBYLEX, ZRANGEBYLEX): [`ZSetValue::lex_walk`]
    /// forward with nothing skipped.
    pub fn lex_range(&self, min: &LexBound, max: &LexBound) -> Range<usize> {
        self.lex_walk(min, max, false, 0)
    }

    /// The run of positions a lex range reads, walking up from its first
    /// member (down from its last when `rev`) after skipping `skip` members
    /// (LIMIT's offset).
    ///
    /// Lex ranges are meaningful when all scores are equal, as Redis
    /// documents. Otherwise Redis answers by its search, which this follows:
    /// a range whose bounds cross, whose last member is below `min` or whose
    /// first is above `max` is empty; a `listpack` is searched linearly (the
    /// first member not below `min`, or from the top the first not above
    /// `max`), the skip does not look at the members it passes, and the walk
    /// stops at the first member out of range, so that replies on a packed
    /// set are Redis's exactly. A `skiplist` is searched by descent, whose
    /// answer on unordered members depends on the node levels (Redis's own
    /// answer there varies from run to run).
    pub fn lex_walk(&self, min: &LexBound, max: &LexBound, rev: bool, skip: usize) -> Range<usize> {
        let len = self.len();
        let ends_in_range = match (
            self.get_by_rank(0),
            len.checked_sub(1).and_then(|i| self.get_by_rank(i)),
        ) {
            (Some((first, _)), Some((last, _))) => {
                min.admits_as_min(last) && max.admits_as_max(first)
            }
            _ => false,
        };
        if !ends_in_range || lex_bounds_cross(min, max) {
            return 0..0;
        }
        let Repr::Packed(p) = &self.0 else {
            let start = self.count_before(|_, m| !min.admits_as_min(m));
            let end = self.count_before(|_, m| max.admits_as_max(m)).max(start);
            let skip = skip.min(end - start);
            return if rev {
                start..end - skip
            } else {
                start + skip..end
            };
        };
        if !rev {
            let Some(first) = p.iter().position(|(m, _)| min.admits_as_min(m)) else {
                return 0..0;
            };
            if p.iter()
                .nth(first)
                .is_none_or(|(m, _)| !max.admits_as_max(m))
            {
                return 0..0;
            }
            let from = first.saturating_add(skip).min(len);
            let n = p
                .iter()
                .skip(from)
                .take_while(|(m, _)| max.admits_as_max(m))
                .count();
            from..from + n
        } else {
            let Some(last) = p
                .iter()
                .enumerate()
                .filter(|(_, (m, _))| max.admits_as_max(m))
                .map(|(i, _)| i)
                .last()
            else {
                return 0..0;
            };
            if p.iter()
                .nth(last)
                .is_none_or(|(m, _)| !min.admits_as_min(m))
            {
                return 0..0;
            }
            let top = (last + 1).saturating_sub(skip);
            let n = self
                .iter_range(0..top, true)
                .take_while(|(m, _)| min.admits_as_min(m))
                .count();
            top - n..top
        }
    }

    /// ZCOUNT: O(log n) on a skiplist.
    pub fn count_in_score_range(&self, min: &ScoreBound, max: &ScoreBound) -> usize {
        self.score_range(min, max).len()
    }

    /// ZLEXCOUNT: O(log n) on a skiplist.
    pub fn count_in_lex_range(&self, min: &LexBound, max: &LexBound) -> usize {
        self.lex_range(min, max).len()
    }

    /// Number of leading members (in order) for which `before` holds;
    /// `before` must hold for a prefix of the set and fail for the rest.
    fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.iter().take_while(|(m, s)| before(*s, m)).count(),
            Repr::Skip(b) => b.list.count_before(before),
        }
    }

    /// Removes the members at `range` (clamped); returns how many.
    /// Never converts (ZREMRANGEBYRANK/BYSCORE/BYLEX).
    pub fn remove_range(&mut self, range: Range<usize>) -> usize {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        if start == end {
            return 0;
        }
        match &mut self.0 {
            Repr::Packed(p) => {
                let from = p.offset_of(start);
                let to = p.offset_of(end);
                p.buf.drain(from..to);
                p.len -= end - start;
                if p.len == 0 {
                    p.buf = Vec::new();
                }
            }
            Repr::Skip(b) => {
                let Big {
                    list,
                    index,
                    hasher,
                } = &mut **b;
                list.delete_ranks(start + 1, end, |i, m| {
                    let hash = hasher.hash_one(m.as_slice());
                    if let Some(pos) = index.slot_of(hash, i) {
                        index.remove(pos);
                    }
                });
                b.settle();
            }
        }
        end - start
    }

    /// ZREMRANGEBYSCORE.
    pub fn remove_by_score(&mut self, min: &ScoreBound, max: &ScoreBound) -> usize {
        let r = self.score_range(min, max);
        self.remove_range(r)
    }

    /// ZREMRANGEBYLEX.
    pub fn remove_by_lex(&mut self, min: &LexBound, max: &LexBound) -> usize {
        let r = self.lex_range(min, max);
        self.remove_range(r)
    }

    /// ZPOPMIN (`max` false) / ZPOPMAX (`max` true): removes up to `n`
    /// members from that end and returns them in pop order.
    pub fn pop(&mut self, n: usize, max: bool) -> Vec<(Vec<u8>, f64)> {
        let n = n.min(self.len());
        let range = if max {
            self.len() - n..self.len()
        } else {
            0..n
        };
        let out: Vec<(Vec<u8>, f64)> = self
            .iter_range(range.clone(), max)
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        self.remove_range(range);
        out
    }

    /// Random picks for ZRANDMEMBER. A packed set is listed once (O(n), n
    /// being small); a skiplist's nodes are drawn from directly.
    pub fn sampler(&self) -> Sampler<'_> {
        Sampler(match &self.0 {
            Repr::Packed(p) => SamplerRepr::Packed(p.iter().collect()),
            Repr::Skip(b) => SamplerRepr::Skip(&b.list),
        })
    }

    /// One step of ZSCAN from `cursor` (0 starts), calling `f` for each
    /// (member, score) returned; the result is the next cursor, 0 when done.
    /// A packed set returns everything at once with cursor 0, as Redis does;
    /// a skiplist walks its node indices like `SCAN` walks positions.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        match &self.0 {
            Repr::Packed(p) => {
                for (m, s) in p.iter() {
                    f(m, s);
                }
                0
            }
            Repr::Skip(b) => {
                let list = &b.list;
                // Node 0 is the head; compaction only moves nodes down,
                // which the downward walk tolerates.
                crate::keymap::scan_positions(list.nodes.len() - 1, cursor, count, |pos| {
                    let i = (pos + 1) as u32;
                    if list.is_live(i) {
                        let n = list.node(i);
                        f(n.member.as_slice(), n.score);
                    }
                })
            }
        }
    }

    /// Converts to the `skiplist` encoding (no-op if already there).
    pub fn convert(&mut self) {
        let Repr::Packed(p) = &self.0 else {
            return;
        };
        let mut big = Big::new();
        for (m, s) in p.iter() {
            big.add(big.hash(m), m, s);
        }
        self.0 = Repr::Skip(Box::new(big));
    }

    /// Packs a skiplist that fits the limits (at most `max_entries`
    /// members, none longer than `max_value`), as Redis does to the result
    /// of `ZUNIONSTORE`, `ZINTERSTORE`, `ZDIFFSTORE`, `ZRANGESTORE` and to a
    /// set loaded from RDB. Not for ordinary writes, which never convert back.
    pub fn shrink_if_fits(&mut self, limits: ZSetLimits) {
        let Repr::Skip(b) = &self.0 else {
            return;
        };
        if b.list.len > limits.max_entries {
            return;
        }
        let mut total = 0usize;
        for (m, _) in self.iter() {
            if m.len() > limits.max_value {
                return;
            }
            total = total.saturating_add(m.len());
        }
        if total > LISTPACK_MAX_SAFETY_SIZE {
            return;
        }
        let mut p = Packed::default();
        for (m, s) in self.iter() {
            p.push(m, s);
        }
        self.0 = Repr::Packed(p);
    }
}

impl Big {
    fn new() -> Big {
        Big {
            list: SkipList::new(),
            index: SlotIndex::default(),
            hasher: ahash::RandomState::new(),
        }
    }

    #[inline]
    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member)
    }

    /// (index slot, node) of `member`, whose hash is `hash`.
    #[inline]
    fn find(&self, hash: u64, member: &[u8]) -> Option<(usize, u32)> {
        self.index
            .find(hash, |i| self.list.node(i).member.as_slice() == member)
    }

    /// Adds `member`, which is not present.
    fn add(&mut self, hash: u64, member: &[u8], score: f64) {
        let i = self.list.insert(score, CompactBytes::new(member));
        self.index.insert(hash, i, self.list.len - 1);
    }

    /// Sets or adds; returns the old score.
    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        self.upsert(member, |_| Some(score))
    }

    /// One lookup of `member`: `decide` gets its score (`None` if absent)
    /// and returns the score to set, or `None` to leave it; returns the old
    /// score.
    fn upsert(
        &mut self,
        member: &[u8],
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) -> Option<f64> {
        let hash = self.hash(member);
        match self.find(hash, member) {
            Some((pos, i)) => {
                let old = self.list.node(i).score;
                if let Some(new) = decide(Some(old)).filter(|&new| new != old) {
                    self.rescore(pos, i, new);
                }
                Some(old)
            }
            None => {
                if let Some(new) = decide(None) {
                    self.add(hash, member, new);
                }
                None
            }
        }
    }

    /// Gives node `i` (indexed at slot `pos`) a new score: in place when
    /// its neighbours stay on either side (as Redis's `zslUpdateScore`),
    /// else unlinked and linked again where it belongs.
    fn rescore(&mut self, pos: usize, i: u32, score: f64) {
        if self.list.keeps_place(i, score) {
            self.list.nodes[i as usize].score = score;
            return;
        }
        let n = self.list.node(i);
        let (old, member) = (n.score, n.member.clone());
        if let Some((_, member)) = self.list.delete(old, &member) {
            let j = self.list.insert(score, member);
            self.index.set(pos, j);
        }
    }

    /// Removes `member`; returns its score.
    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (pos, i) = self.find(self.hash(member), member)?;
        let score = self.list.node(i).score;
        self.index.remove(pos);
        self.list.delete(score, member);
        self.settle();
        Some(score)
    }

    /// After removals: compacts the list when it is mostly holes, and
    /// gives the index's memory back when the set is empty.
    fn settle(&mut self) {
        let index = &mut self.index;
        self.list
            .maybe_compact(|map| index.remap(|i| map[i as usize]));
        if self.list.len == 0 {
            self.index = SlotIndex::default();
        }
    }
}

/// Iterator over (member, score) pairs, see [`ZSetValue::iter_range`].
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Packed {
        it: PackedIter<'a>,
        left: usize,
    },
    PackedRev(std::iter::Rev<std::vec::IntoIter<(&'a [u8], f64)>>),
    Skip {
        list: &'a SkipList,
        node: u32,
        left: usize,
        reverse: bool,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Packed { it, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                it.next()
            }
            IterRepr::PackedRev(it) => it.next(),
            IterRepr::Skip {
                list,
                node,
                left,
                reverse,
            } => {
                if *left == 0 || *node == NIL {
                    return None;
                }
                let list: &'a SkipList = list;
                let n = list.node(*node);
                *left -= 1;
                *node = if *reverse { n.back } else { n.low[0].next };
                Some((n.member.as_slice(), n.score))
            }
        }
    }
}

/// Random access to a set's pairs by index, see [`ZSetValue::sampler`].
pub struct Sampler<'a>(SamplerRepr<'a>);

enum SamplerRepr<'a> {
    Packed(Vec<(&'a [u8], f64)>),
    Skip(&'a SkipList),
}

impl<'a> Sampler<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.0 {
            SamplerRepr::Packed(v) => v.len(),
            SamplerRepr::Skip(l) => l.len,
        }
    }

    /// True when there is nothing to pick.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A member drawn uniformly, `None` if empty.
    pub fn pick(&self, rng: &mut impl rand::Rng) -> Option<(&'a [u8], f64)> {
        if self.is_empty() {
            return None;
        }
        match &self.0 {
            SamplerRepr::Packed(v) => v.get(rng.random_range(0..v.len())).copied(),
            SamplerRepr::Skip(l) => {
                // Free nodes are at most about half the vector (see
                // `SkipList::maybe_compact`), so this takes few draws.
                let list: &'a SkipList = l;
                loop {
                    let i = rng.random_range(1..list.nodes.len()) as u32;
                    if list.is_live(i) {
                        let n = list.node(i);
                        return Some((n.member.as_slice(), n.score));
                    }
                }
            }
        }
    }

    /// `n` distinct members (all of them if `n` is not below the size), in
    /// no particular order.
    pub fn distinct(&self, n: usize, rng: &mut impl rand::Rng) -> Vec<(&'a [u8], f64)> {
        let len = self.len();
        match &self.0 {
            SamplerRepr::Packed(v) => rand::seq::index::sample(rng, len, n.min(len))
                .into_iter()
                .map(|i| v[i])
                .collect(),
            SamplerRepr::Skip(l) => {
                let list: &'a SkipList = l;
                if n.saturating_mul(3) > len {
                    // A large share: list everything, then draw positions.
                    let all: Vec<u32> = (1..list.nodes.len() as u32)
                        .filter(|&i| list.is_live(i))
                        .collect();
                    return rand::seq::index::sample(rng, all.len(), n.min(all.len()))
                        .into_iter()
                        .map(|k| {
                            let node = list.node(all[k]);
                            (node.member.as_slice(), node.score)
                        })
                        .collect();
                }
                let mut seen = std::collections::HashSet::with_capacity(n);
                let mut out = Vec::with_capacity(n);
                while out.len() < n {
                    let i = rng.random_range(1..list.nodes.len()) as u32;
                    if list.is_live(i) && seen.insert(i) {
                        let node = list.node(i);
                        out.push((node.member.as_slice(), node.score));
                    }
                }
                out
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The packed encoding.
// ---------------------------------------------------------------------------

/// `([len: LEB128] member [score: f64 LE])*` in set order.
#[derive(Clone, Default)]
struct Packed {
    buf: Vec<u8>,
    len: usize,
}

/// An entry found in a packed buffer.
struct Found {
    start: usize,
    end: usize,
    score: f64,
}

impl Packed {
    fn iter(&self) -> PackedIter<'_> {
        PackedIter { rest: &self.buf }
    }

    fn find(&self, member: &[u8]) -> Option<Found> {
        let mut pos = 0;
        let mut it = self.iter();
        while let Some((m, s)) = it.next() {
            let end = self.buf.len() - it.rest.len();
            if m == member {
                return Some(Found {
                    start: pos,
                    end,
                    score: s,
                });
            }
            pos = end;
        }
        None
    }

    /// Byte offset of entry `i` (the buffer's length for `i == len`).
    fn offset_of(&self, i: usize) -> usize {
        let mut it = self.iter();
        for _ in 0..i {
            if it.next().is_none() {
                break;
            }
        }
        self.buf.len() - it.rest.len()
    }

    fn remove_bytes(&mut self, r: Range<usize>) {
        self.buf.drain(r);
        self.len -= 1;
        if self.len == 0 {
            self.buf = Vec::new();
        }
    }

    fn push(&mut self, member: &[u8], score: f64) {
        put_entry(&mut self.buf, member, score);
        self.len += 1;
    }

    fn insert_sorted(&mut self, member: &[u8], score: f64) {
        let mut at = self.buf.len();
        let mut it = self.iter();
        loop {
            let pos = self.buf.len() - it.rest.len();
            match it.next() {
                Some((m, s)) if cmp_key(s, m, score, member) == Ordering::Greater => {
                    at = pos;
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
        let mut enc = Vec::with_capacity(varint_len(member.len()) + member.len() + 8);
        put_entry(&mut enc, member, score);
        self.buf.splice(at..at, enc);
        self.len += 1;
    }
}

struct PackedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let (len, hdr) = read_varint(self.rest)?;
        let end = hdr.checked_add(len)?;
        let member = self.rest.get(hdr..end)?;
        let score_bytes: [u8; 8] = self.rest.get(end..end + 8)?.try_into().ok()?;
        self.rest = self.rest.get(end + 8..)?;
        Some((member, f64::from_le_bytes(score_bytes)))
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    let mut n = member.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(member);
    out.extend_from_slice(&canonical(score).to_le_bytes());
}

fn read_varint(s: &[u8]) -> Option<(usize, usize)> {
    let mut n: usize = 0;
    for (i, &b) in s.iter().enumerate().take(10) {
        n |= usize::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// The skiplist.
// ---------------------------------------------------------------------------

const NIL: u32 = u32::MAX;
/// `back` of a node on the free list.
const DEAD: u32 = u32::MAX - 1;
const MAX_LEVEL: usize = 32;
/// Levels whose links sit in the node itself: with Redis's p = 1/4, 63
/// nodes in 64 have no more, so a search step finds the links it reads in
/// the node it has just loaded.
const LOW: usize = 3;
const HEAD: u32 = 0;

/// A forward link at one level: the next node and how many level-0 steps
/// it skips (so ranks add up along a search path).
#[derive(Clone, Copy, Debug)]
struct Link {
    next: u32,
    span: u32,
}

const EMPTY_LINK: Link = Link { next: NIL, span: 0 };

/// One skiplist node in exactly one cache line (64 bytes, 64-aligned):
/// what a search step reads (the score, the low links) and the member it
/// reads on a tie are all there.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
struct Node {
    score: f64,
    /// The previous node at level 0 (NIL for the first, DEAD when free).
    back: u32,
    /// Where this node's links above `LOW` start in [`SkipList::high`], NIL
    /// when it has none.
    high: u32,
    low: [Link; LOW],
    member: CompactBytes,
}

/// Nodes live in a vector addressed by `u32` (node 0 is the head, which
/// holds no member and has `MAX_LEVEL` levels); a freed node goes on a
/// free list and the vector is compacted, in order, once more than half of
/// it is free. A node's index is therefore stable until a compaction, and
/// a compaction never moves a node to a higher index (which `ZSCAN` relies
/// on). Links above `LOW` live in one shared vector, `high`, in blocks of
/// a header (`next` = the block's link count, `span` = the next free block
/// of that size while free) followed by the links.
#[derive(Clone, Debug)]
struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    high: Vec<Link>,
    /// The first free block in `high` for each link count, NIL if none.
    high_free: [u32; MAX_LEVEL],
    level: usize,
    len: usize,
    tail: u32,
}

impl SkipList {
    fn new() -> SkipList {
        let mut list = SkipList {
            nodes: Vec::new(),
            free: Vec::new(),
            high: Vec::new(),
            high_free: [NIL; MAX_LEVEL],
            level: 1,
            len: 0,
            tail: NIL,
        };
        list.reset();
        list
    }

    /// Back to an empty list, giving the memory back.
    fn reset(&mut self) {
        self.nodes = Vec::new();
        self.free = Vec::new();
        self.high = Vec::new();
        self.high_free = [NIL; MAX_LEVEL];
        let high = self.alloc_high(MAX_LEVEL);
        self.nodes.push(Node {
            score: 0.0,
            back: NIL,
            high,
            low: [EMPTY_LINK; LOW],
            member: CompactBytes::new(b""),
        });
        self.level = 1;
        self.len = 0;
        self.tail = NIL;
    }

    /// A block for the links of a node of `levels` levels, NIL if it needs
    /// none.
    fn alloc_high(&mut self, levels: usize) -> u32 {
        let Some(count) = levels.checked_sub(LOW).filter(|&c| c > 0) else {
            return NIL;
        };
        let at = self.high_free[count];
        if at != NIL {
            let at_us = at as usize;
            self.high_free[count] = self.high[at_us].span;
            self.high[at_us].span = 0;
            self.high[at_us + 1..at_us + 1 + count].fill(EMPTY_LINK);
            return at;
        }
        let at = self.high.len();
        self.high.push(Link {
            next: count as u32,
            span: 0,
        });
        self.high.resize(at + 1 + count, EMPTY_LINK);
        at as u32
    }

    fn free_high(&mut self, at: u32) {
        if at != NIL {
            let count = self.high[at as usize].next as usize;
            self.high[at as usize].span = self.high_free[count];
            self.high_free[count] = at;
        }
    }

    #[inline]
    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// Whether `i` holds a member (not the head, not free).
    #[inline]
    fn is_live(&self, i: u32) -> bool {
        i != HEAD && self.nodes.get(i as usize).is_some_and(|n| n.back != DEAD)
    }

    /// Link `level` of node `i`, which must have that level.
    #[inline]
    fn link(&self, i: u32, level: usize) -> Link {
        let n = &self.nodes[i as usize];
        match n.low.get(level) {
            Some(l) => *l,
            None => self.high[n.high as usize + 1 + level - LOW],
        }
    }

    #[inline]
    fn link_mut(&mut self, i: u32, level: usize) -> &mut Link {
        let n = &mut self.nodes[i as usize];
        match n.low.get_mut(level) {
            Some(l) => l,
            None => &mut self.high[n.high as usize + 1 + level - LOW],
        }
    }

    /// Starts loading the node a search at `x` reaches if it goes down
    /// from level `i`, while it compares with the next node at level `i`:
    /// the two possible cache misses of a step then overlap.
    #[inline]
    fn prefetch_below(&self, x: u32, i: usize) {
        if i > 0 {
            let below = self.link(x, i - 1).next;
            if let Some(n) = self.nodes.get(below as usize) {
                crate::keymap::prefetch_read(n);
            }
        }
    }

    fn random_level() -> usize {
        // P(level > k) = 4^-k, as Redis's ZSKIPLIST_P = 0.25.
        let r: u64 = rand::random();
        (1 + r.trailing_zeros() as usize / 2).min(MAX_LEVEL)
    }

    /// For each level, the last node before (score, member) and its rank.
    fn search(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i + 1 == self.level { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                self.prefetch_below(x, i);
                if l.next != NIL {
                    let n = self.node(l.next);
                    // The member only on a tie: most steps then read nothing
                    // but the node's first bytes.
                    let before =
                        n.score < score || (n.score == score && n.member.as_slice() < member);
                    if before {
                        rank[i] += l.span;
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Inserts (score, member), which must not be present; returns its node.
    fn insert(&mut self, score: f64, member: CompactBytes) -> u32 {
        let (mut update, mut rank) = self.search(score, &member);
        let lvl = Self::random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node {
            member,
            score,
            back: if update[0] == HEAD { NIL } else { update[0] },
            high: self.alloc_high(lvl),
            low: [EMPTY_LINK; LOW],
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = update[i];
            let ul = self.link(u, i);
            let before = rank[0] - rank[i];
            *self.link_mut(idx, i) = Link {
                next: ul.next,
                span: ul.span - before,
            };
            *self.link_mut(u, i) = Link {
                next: idx,
                span: before + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.link_mut(u, i).span += 1;
        }
        let next = self.link(idx, 0).next;
        if next == NIL {
            self.tail = idx;
        } else {
            self.nodes[next as usize].back = idx;
        }
        self.len += 1;
        idx
    }

    /// Unlinks and frees node `idx` given its predecessors at every level
    /// (`update`, as [`SkipList::search`] finds them); returns its member.
    /// The list is left with a hole; see [`SkipList::maybe_compact`].
    fn unlink(&mut self, idx: u32, update: &[u32; MAX_LEVEL]) -> CompactBytes {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == idx {
                let nl = self.link(idx, i);
                *self.link_mut(u, i) = Link {
                    next: nl.next,
                    span: ul.span + nl.span - 1,
                };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let next = self.link(idx, 0).next;
        let back = self.node(idx).back;
        if next == NIL {
            self.tail = back;
        } else {
            self.nodes[next as usize].back = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let dead = &mut self.nodes[idx as usize];
        let member = std::mem::replace(&mut dead.member, CompactBytes::new(b""));
        dead.back = DEAD;
        dead.low = [EMPTY_LINK; LOW];
        let high = std::mem::replace(&mut dead.high, NIL);
        self.free_high(high);
        self.free.push(idx);
        member
    }

    /// Removes (score, member) if present; returns its node and member.
    fn delete(&mut self, score: f64, member: &[u8]) -> Option<(u32, CompactBytes)> {
        let (update, _) = self.search(score, member);
        let idx = self.link(update[0], 0).next;
        if idx == NIL {
            return None;
        }
        let n = self.node(idx);
        if cmp_key(n.score, &n.member, score, member) != Ordering::Equal {
            return None;
        }
        Some((idx, self.unlink(idx, &update)))
    }

    /// Removes the nodes at 1-based ranks `from..=to` (within the list) in
    /// one descent, calling `gone` with each node and its member.
    fn delete_ranks(&mut self, from: usize, to: usize, mut gone: impl FnMut(u32, CompactBytes)) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL && traversed + (l.span as usize) < from {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        // Deleting the node after update[0] leaves update[] the
        // predecessors of the next one.
        for _ in from..=to {
            let idx = self.link(update[0], 0).next;
            if idx == NIL {
                break;
            }
            let member = self.unlink(idx, &update);
            gone(idx, member);
        }
    }

    /// Whether node `idx` may take score `score` where it stands: its
    /// neighbours stay strictly on either side.
    fn keeps_place(&self, idx: u32, score: f64) -> bool {
        let n = self.node(idx);
        let after_back = n.back == NIL || {
            let b = self.node(n.back);
            cmp_key(b.score, &b.member, score, &n.member) == Ordering::Less
        };
        let next = n.low[0].next;
        after_back
            && (next == NIL || {
                let f = self.node(next);
                cmp_key(score, &n.member, f.score, &f.member) == Ordering::Less
            })
    }

    /// Squeezes the free nodes out once they outnumber the live ones (and
    /// there are a few), keeping the order of node indices. Calls `moved`
    /// with the old-to-new index map when it did. Amortised O(1) per
    /// deletion; afterwards `ZRANDMEMBER` needs at most two draws per pick
    /// on average and memory follows the set down.
    fn maybe_compact(&mut self, moved: impl FnOnce(&[u32])) {
        if self.len == 0 {
            if self.nodes.len() > 1 {
                self.reset();
            }
            return;
        }
        if self.free.len() <= self.len.max(16) {
            return;
        }
        let mut map = vec![NIL; self.nodes.len()];
        let mut next = 0u32;
        for (old, n) in self.nodes.iter().enumerate() {
            if n.back != DEAD {
                map[old] = next;
                next += 1;
            }
        }
        let remap = |i: u32| if i == NIL { NIL } else { map[i as usize] };
        let old_high = std::mem::take(&mut self.high);
        self.high_free = [NIL; MAX_LEVEL];
        self.nodes.retain(|n| n.back != DEAD);
        self.nodes.shrink_to_fit();
        self.free = Vec::new();
        for i in 0..self.nodes.len() {
            let n = &mut self.nodes[i];
            n.back = remap(n.back);
            for l in n.low.iter_mut() {
                l.next = remap(l.next);
            }
            let h = n.high;
            if h != NIL {
                let count = old_high[h as usize].next as usize;
                let links = &old_high[h as usize + 1..h as usize + 1 + count];
                let at = self.high.len() as u32;
                self.high.push(Link {
                    next: count as u32,
                    span: 0,
                });
                self.high.extend(links.iter().map(|l| Link {
                    next: remap(l.next),
                    span: l.span,
                }));
                self.nodes[i].high = at;
            }
        }
        self.tail = remap(self.tail);
        moved(&map);
    }

    /// 1-based rank of (score, member), if present.
    fn rank_of(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut x = HEAD;
        let mut r = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                self.prefetch_below(x, i);
                if l.next != NIL {
                    let n = self.node(l.next);
                    if cmp_key(n.score, &n.member, score, member) != Ordering::Greater {
                        r += l.span as usize;
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
            if x != HEAD {
                let n = self.node(x);
                if cmp_key(n.score, &n.member, score, member) == Ordering::Equal {
                    return Some(r);
                }
            }
        }
        None
    }

    /// The node at 1-based `rank`, NIL if out of range.
    fn node_at(&self, rank: usize) -> u32 {
        if rank == 0 || rank > self.len {
            return NIL;
        }
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL && traversed + l.span as usize <= rank {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return x;
            }
        }
        NIL
    }

    fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut r = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                self.prefetch_below(x, i);
                if l.next != NIL {
                    let n = self.node(l.next);
                    if before(n.score, &n.member) {
                        r += l.span as usize;
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashMap, HashSet};

    const SMALL: ZSetLimits = ZSetLimits {
        max_entries: 6,
        max_value: 4,
    };

    /// A total order on non-NaN scores with -0.0 == 0.0, for the model.
    #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
    struct OrderedScore(f64);
    impl Eq for OrderedScore {}
    #[allow(clippy::derive_ord_xor_partial_ord)]
    impl Ord for OrderedScore {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.partial_cmp(&o.0).unwrap_or(Ordering::Equal)
        }
    }

    #[derive(Default)]
    struct Model {
        order: BTreeMap<(OrderedScore, Vec<u8>), ()>,
        scores: HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn insert(&mut self, m: &[u8], s: f64) -> Option<f64> {
            let s = canonical(s);
            let old = self.scores.insert(m.to_vec(), s);
            if let Some(o) = old {
                self.order.remove(&(OrderedScore(o), m.to_vec()));
            }
            self.order.insert((OrderedScore(s), m.to_vec()), ());
            old
        }
        fn remove(&mut self, m: &[u8]) -> Option<f64> {
            let old = self.scores.remove(m)?;
            self.order.remove(&(OrderedScore(old), m.to_vec()));
            Some(old)
        }
        fn items(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.keys().map(|(s, m)| (m.clone(), s.0)).collect()
        }
    }

    fn items(z: &ZSetValue, r: Range<usize>, rev: bool) -> Vec<(Vec<u8>, f64)> {
        z.iter_range(r, rev).map(|(m, s)| (m.to_vec(), s)).collect()
    }

    /// Structural invariants of either encoding.
    fn check_invariants(z: &ZSetValue) {
        let all = items(z, 0..usize::MAX, false);
        assert_eq!(all.len(), z.len());
        for w in all.windows(2) {
            assert_eq!(
                cmp_key(w[0].1, &w[0].0, w[1].1, &w[1].0),
                Ordering::Less,
                "strictly ordered"
            );
        }
        for (_, s) in &all {
            assert!(!s.is_nan());
            if z.is_packed() {
                assert!(!(*s == 0.0 && s.is_sign_negative()), "packed -0 is 0");
            }
        }
        let mut rev = items(z, 0..usize::MAX, true);
        rev.reverse();
        assert_eq!(rev, all, "backward walk mirrors the forward one");
        if let Repr::Skip(b) = &z.0 {
            let l = &b.list;
            assert_eq!(b.index.live(), l.len);
            assert!(l.free.len() <= l.len.max(16), "compacted when mostly holes");
            // Level 0 walk, back pointers and tail.
            let mut x = l.link(HEAD, 0).next;
            let mut prev = NIL;
            let mut pos_of = HashMap::new();
            let mut n = 0usize;
            while x != NIL {
                n += 1;
                pos_of.insert(x, n);
                assert_eq!(l.node(x).back, prev);
                prev = x;
                x = l.link(x, 0).next;
            }
            assert_eq!(n, l.len);
            assert_eq!(l.tail, prev);
            // Every span at every level equals the level-0 distance.
            for i in 0..l.level {
                let mut x = HEAD;
                let mut at = 0usize;
                loop {
                    let lk = l.link(x, i);
                    if lk.next == NIL {
                        // Past the last link, the span counts the rest, which
                        // the next insert behind it relies on.
                        assert_eq!(lk.span as usize, l.len - at, "end span at level {i}");
                        break;
                    }
                    let to = pos_of[&lk.next];
                    assert_eq!(lk.span as usize, to - at, "span at level {i}");
                    at = to;
                    x = lk.next;
                }
            }
            for i in l.level..MAX_LEVEL {
                assert_eq!(l.link(HEAD, i).next, NIL);
            }
            if l.level > 1 {
                assert_ne!(l.link(HEAD, l.level - 1).next, NIL, "level is tight");
            }
            // Every live node is indexed under its member; free nodes are
            // on the free list.
            for i in 1..l.nodes.len() as u32 {
                if l.is_live(i) {
                    let n = l.node(i);
                    assert_eq!(
                        b.find(b.hash(&n.member), &n.member).map(|(_, j)| j),
                        Some(i)
                    );
                } else {
                    assert!(l.free.contains(&i));
                }
            }
            assert_eq!(l.free.len() + l.len + 1, l.nodes.len());
        }
    }

    #[test]
    fn size_is_small() {
        assert!(std::mem::size_of::<ZSetValue>() <= 32);
        assert_eq!(std::mem::size_of::<Node>(), 64, "a node is one cache line");
        let z = ZSetValue::new();
        assert_eq!(z.encoding(), "listpack");
        assert!(z.is_empty());
    }

    #[test]
    fn conversion_boundaries_are_redis_s() {
        let lim = ZSetLimits {
            max_entries: 3,
            max_value: 4,
        };
        let mut z = ZSetValue::new();
        assert_eq!(z.insert(b"abcd", 1.0, lim), None);
        assert_eq!(z.insert(b"b", 2.0, lim), None);
        assert_eq!(z.insert(b"c", 3.0, lim), None);
        assert_eq!(z.encoding(), "listpack");
        // Updates never convert, even with shrunk limits.
        let tiny = ZSetLimits {
            max_entries: 1,
            max_value: 1,
        };
        assert_eq!(z.insert(b"abcd", 9.0, tiny), Some(1.0));
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.insert(b"d", 4.0, lim), None);
        assert_eq!(z.encoding(), "skiplist");
        // Never back.
        z.remove(b"d");
        z.remove(b"c");
        z.remove(b"b");
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.len(), 1);
        // A long member converts at once.
        let mut z = ZSetValue::new();
        z.insert(b"abcde", 1.0, lim);
        assert_eq!(z.encoding(), "skiplist");
        // A zero entry limit packs nothing.
        let mut z = ZSetValue::new();
        z.insert(
            b"a",
            1.0,
            ZSetLimits {
                max_entries: 0,
                max_value: 64,
            },
        );
        assert_eq!(z.encoding(), "skiplist");
        // *STORE results pack back when they fit.
        z.shrink_if_fits(lim);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(items(&z, 0..9, false), vec![(b"a".to_vec(), 1.0)]);
        let mut z = ZSetValue::new();
        z.insert(b"abcde", 1.0, lim);
        z.shrink_if_fits(lim);
        assert_eq!(z.encoding(), "skiplist");
    }

    #[test]
    fn negative_zero_is_zero_when_packed_and_ties_order_by_member() {
        for lim in [
            SMALL,
            ZSetLimits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut z = ZSetValue::new();
            z.insert(b"b", -0.0, lim);
            z.insert(b"a", 0.0, lim);
            z.insert(b"c", -0.0, lim);
            let s = z.score(b"b").expect("present");
            assert_eq!(s, 0.0);
            assert_eq!(s.is_sign_negative(), !z.is_packed());
            assert_eq!(
                items(&z, 0..3, false),
                vec![
                    (b"a".to_vec(), 0.0),
                    (b"b".to_vec(), 0.0),
                    (b"c".to_vec(), 0.0)
                ]
            );
            // Updating to -0 from 0 is no change.
            assert_eq!(z.insert(b"a", -0.0, lim), Some(0.0));
            check_invariants(&z);
        }
    }

    #[test]
    fn score_bounds_parse_as_redis() {
        let ok = |s: &[u8], v: f64, ex: bool| {
            let b = ScoreBound::parse(s).unwrap_or_else(|| panic!("{s:?} parses"));
            assert_eq!((b.value, b.exclusive), (v, ex), "{s:?}");
        };
        ok(b"(1", 1.0, true);
        ok(b"1", 1.0, false);
        ok(b"(", 0.0, true);
        ok(b"", 0.0, false);
        ok(b"( 1", 1.0, true);
        ok(b" 1", 1.0, false);
        ok(b"1\0x", 1.0, false);
        ok(b"(1\0x", 1.0, true);
        ok(b"(inf", f64::INFINITY, true);
        ok(b"-inf", f64::NEG_INFINITY, false);
        ok(b"+Inf", f64::INFINITY, false);
        ok(b"infinity", f64::INFINITY, false);
        ok(b"1e400", f64::INFINITY, false);
        ok(b"-1e400", f64::NEG_INFINITY, false);
        ok(b"1e-400", 0.0, false);
        ok(b"0x10", 16.0, false);
        ok(b"0x1p99999", f64::INFINITY, false);
        ok(b"-0x1p99999", f64::NEG_INFINITY, false);
        ok(b"0x1p-99999", 0.0, false);
        ok(b"0x.0001p-1080", 0.0, false);
        ok(b"0x1000p1021", f64::INFINITY, false);
        ok(b"1e-310", 1e-310, false);
        for bad in [
            &b"abc"[..],
            b"nan",
            b"(nan",
            b"-nan",
            b"nan(1)",
            b"((1",
            b"\t(1",
            b"1 ",
            b"-",
            b"+",
            b".",
            b"1e",
            b"0x",
            b"1.5e+",
            b"  ",
            b"inf(",
            b"0x1p",
            b"0x1q5",
        ] {
            assert_eq!(ScoreBound::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lex_bounds_parse_as_redis() {
        assert_eq!(LexBound::parse(b"-"), Some(LexBound::NegInf));
        assert_eq!(LexBound::parse(b"+"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"+\0x"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"["), Some(LexBound::Inclusive(vec![])));
        assert_eq!(
            LexBound::parse(b"(a\0b"),
            Some(LexBound::Exclusive(b"a\0b".to_vec()))
        );
        for bad in [&b""[..], b"a", b"+x", b"-a", b"]a"] {
            assert_eq!(LexBound::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scan_of_a_skiplist_returns_every_member_present_throughout() {
        let lim = ZSetLimits {
            max_entries: 0,
            max_value: 64,
        };
        let mut z = ZSetValue::new();
        for i in 0..300 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i % 7), lim);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            let mut batch = Vec::new();
            cursor = z.scan(cursor, 7, |m, _| batch.push(m.to_vec()));
            for m in batch {
                z.remove(&m);
                seen.insert(m);
            }
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
        assert!(z.is_empty());
        check_invariants(&z);
        // A packed set answers everything with cursor 0.
        let mut z = ZSetValue::new();
        for i in 0..4 {
            z.insert(&[b'a' + i], 1.0, SMALL);
        }
        let mut n = 0;
        assert_eq!(z.scan(99, 1, |_, _| n += 1), 0);
        assert_eq!(n, 4);
    }

    #[test]
    fn compaction_keeps_scan_s_guarantee_and_gives_memory_back() {
        let lim = ZSetLimits::default();
        let mut z = ZSetValue::new();
        for i in 0..3000 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i % 11), lim);
        }
        // Members m0, m3, m6... stay; the others go while a scan runs, so
        // the node vector is compacted under the scan's feet.
        let kept: HashSet<Vec<u8>> = (0..3000)
            .step_by(3)
            .map(|i| format!("m{i}").into_bytes())
            .collect();
        let mut doomed: Vec<Vec<u8>> = (0..3000)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("m{i}").into_bytes())
            .collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut compactions = 0;
        loop {
            cursor = z.scan(cursor, 10, |m, _| {
                seen.insert(m.to_vec());
            });
            let before = nodes_len(&z);
            for m in doomed.drain(..doomed.len().min(40)) {
                assert!(z.remove(&m).is_some());
            }
            compactions += usize::from(nodes_len(&z) < before);
            if cursor == 0 {
                break;
            }
        }
        assert!(compactions > 0, "the scan ran across a compaction");
        assert!(kept.is_subset(&seen));
        check_invariants(&z);
        // Draining compacts down to the head, then frees everything.
        z.remove_range(0..z.len() - 1);
        check_invariants(&z);
        assert!(nodes_len(&z) < 40);
        z.pop(1, false);
        assert!(z.is_empty());
        assert_eq!(nodes_len(&z), 1);
    }

    fn nodes_len(z: &ZSetValue) -> usize {
        match &z.0 {
            Repr::Skip(b) => b.list.nodes.len(),
            Repr::Packed(_) => 0,
        }
    }

    #[test]
    fn a_score_update_that_keeps_the_order_stays_in_place() {
        let lim = ZSetLimits::default();
        let mut z = ZSetValue::new();
        for i in 0..200 {
            z.insert(format!("m{i:03}").as_bytes(), f64::from(i) * 10.0, lim);
        }
        let Repr::Skip(b) = &z.0 else { panic!() };
        let node_of = |b: &Big, m: &[u8]| b.find(b.hash(m), m).map(|(_, i)| i);
        let at = node_of(b, b"m050");
        // Between its neighbours (490, 510): in place.
        z.insert(b"m050", 505.0, lim);
        let Repr::Skip(b) = &z.0 else { panic!() };
        assert_eq!(node_of(b, b"m050"), at);
        check_invariants(&z);
        // Past a neighbour: moved, still found, order right.
        z.insert(b"m050", 515.0, lim);
        assert_eq!(z.rank(b"m050", false), Some(51));
        // Equal to a neighbour's score: the member decides.
        z.insert(b"m050", 510.0, lim);
        assert_eq!(z.rank(b"m050", false), Some(50));
        z.insert(b"m052", 510.0, lim);
        assert_eq!(z.rank(b"m052", false), Some(52));
        check_invariants(&z);
    }

    #[test]
    fn a_large_skiplist_keeps_its_invariants_through_churn() {
        let lim = ZSetLimits::default();
        let mut z = ZSetValue::new();
        let mut model = Model::default();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..6000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = format!("m{}", x % 3000).into_bytes();
            let s = f64::from((x >> 20) as u32 % 50);
            if x.is_multiple_of(3) {
                assert_eq!(z.remove(&m), model.remove(&m));
            } else {
                assert_eq!(z.insert(&m, s, lim), model.insert(&m, s));
            }
            if step % 1000 == 999 {
                check_invariants(&z);
            }
        }
        assert_eq!(z.encoding(), "skiplist");
        let all = model.items();
        assert_eq!(items(&z, 0..usize::MAX, false), all);
        for (i, (m, _)) in all.iter().enumerate() {
            assert_eq!(z.rank(m, false), Some(i));
        }
        let (min, max) = (
            ScoreBound {
                value: 10.0,
                exclusive: true,
            },
            ScoreBound {
                value: 20.0,
                exclusive: false,
            },
        );
        let want = all.iter().filter(|(_, s)| *s > 10.0 && *s <= 20.0).count();
        assert_eq!(z.count_in_score_range(&min, &max), want);
        assert_eq!(z.remove_by_score(&min, &max), want);
        assert_eq!(z.pop(usize::MAX, true).len(), all.len() - want);
        assert!(z.is_empty());
        check_invariants(&z);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, i8),
        Remove(u8),
        Pop(usize, bool),
        RemoveRank(usize, usize),
        RemoveScore(i8, bool, i8, bool),
        Convert,
    }

    fn member(k: u8) -> Vec<u8> {
        // Lengths 1..=6 cross max_value (4) for some members.
        let len = 1 + usize::from(k % 6);
        let mut m = vec![b'a' + k % 3; len];
        m[0] = b'a' + k / 6;
        m
    }

    fn score_of(s: i8) -> f64 {
        match s {
            i8::MIN => f64::NEG_INFINITY,
            i8::MAX => f64::INFINITY,
            -1 => -0.0,
            s => f64::from(s % 5) / 2.0,
        }
    }

    fn bound(v: i8, ex: bool) -> ScoreBound {
        ScoreBound {
            value: score_of(v),
            exclusive: ex,
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u8..30, any::<i8>()).prop_map(|(k, s)| Op::Insert(k, s)),
            3 => (0u8..30).prop_map(Op::Remove),
            1 => (0usize..4, any::<bool>()).prop_map(|(n, m)| Op::Pop(n, m)),
            1 => (0usize..12, 0usize..12).prop_map(|(a, b)| Op::RemoveRank(a, b)),
            1 => (any::<i8>(), any::<bool>(), any::<i8>(), any::<bool>())
                .prop_map(|(a, x, b, y)| Op::RemoveScore(a, x, b, y)),
            1 => Just(Op::Convert),
        ]
    }

    fn model_score_range(
        model: &[(Vec<u8>, f64)],
        min: &ScoreBound,
        max: &ScoreBound,
    ) -> Vec<(Vec<u8>, f64)> {
        model
            .iter()
            .filter(|(_, s)| min.admits_as_min(*s) && max.admits_as_max(*s))
            .cloned()
            .collect()
    }

    fn compare_all_ranges(z: &ZSetValue, model: &Model) -> Result<(), TestCaseError> {
        let all = model.items();
        prop_assert_eq!(items(z, 0..usize::MAX, false), all.clone());
        let n = all.len();
        for start in 0..=n + 1 {
            for end in start..=n + 1 {
                let want: Vec<_> = all
                    .get(start.min(n)..end.min(n))
                    .unwrap_or_default()
                    .to_vec();
                prop_assert_eq!(items(z, start..end, false), want.clone());
                let mut rev = want;
                rev.reverse();
                prop_assert_eq!(items(z, start..end, true), rev);
            }
        }
        for (i, (m, s)) in all.iter().enumerate() {
            prop_assert_eq!(z.rank(m, false), Some(i));
            prop_assert_eq!(z.rank(m, true), Some(n - 1 - i));
            prop_assert_eq!(z.get_by_rank(i), Some((m.as_slice(), *s)));
            prop_assert_eq!(z.score(m), Some(*s));
        }
        prop_assert_eq!(z.get_by_rank(n), None);
        prop_assert_eq!(z.rank(b"zzzz-absent", false), None);
        let vals = [i8::MIN, -1, 0, 1, 2, 3, 4, i8::MAX];
        for &a in &vals {
            for &b in &vals {
                for (x, y) in [(false, false), (true, false), (false, true), (true, true)] {
                    let (min, max) = (bound(a, x), bound(b, y));
                    let r = z.score_range(&min, &max);
                    let want = model_score_range(&all, &min, &max);
                    prop_assert_eq!(z.count_in_score_range(&min, &max), want.len());
                    prop_assert_eq!(items(z, r, false), want);
                }
            }
        }
        // The sampler sees exactly the members: all of them as distinct
        // picks, a third of them distinct, and single picks among them.
        let s = z.sampler();
        let mut rng = rand::rng();
        let sampled: HashMap<Vec<u8>, f64> = s
            .distinct(s.len(), &mut rng)
            .into_iter()
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        prop_assert_eq!(&sampled, &model.scores);
        let third = s.distinct(s.len() / 3, &mut rng);
        let unique: HashSet<&[u8]> = third.iter().map(|(m, _)| *m).collect();
        prop_assert_eq!(unique.len(), s.len() / 3);
        for (m, sc) in third.into_iter().chain(s.pick(&mut rng)) {
            prop_assert_eq!(model.scores.get(m), Some(&sc));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn behaves_like_the_model_and_converts_at_redis_boundaries(ops in proptest::collection::vec(op(), 1..80)) {
            let mut z = ZSetValue::new();
            let mut model = Model::default();
            let mut skip = false;
            for op in ops {
                match op {
                    Op::Insert(k, s) => {
                        let (m, s) = (member(k), score_of(s));
                        let is_new = !model.scores.contains_key(&m);
                        if is_new && (model.scores.len() + 1 > SMALL.max_entries || m.len() > SMALL.max_value) {
                            skip = true;
                        }
                        prop_assert_eq!(z.insert(&m, s, SMALL), model.insert(&m, s));
                    }
                    Op::Remove(k) => {
                        let m = member(k);
                        prop_assert_eq!(z.remove(&m), model.remove(&m));
                    }
                    Op::Pop(n, max) => {
                        let mut all = model.items();
                        if max {
                            all.reverse();
                        }
                        all.truncate(n);
                        for (m, _) in &all {
                            model.remove(m);
                        }
                        prop_assert_eq!(z.pop(n, max), all);
                    }
                    Op::RemoveRank(a, b) => {
                        let all = model.items();
                        let end = b.min(all.len());
                        let start = a.min(end);
                        for (m, _) in all.get(start..end).unwrap_or_default() {
                            model.remove(m);
                        }
                        prop_assert_eq!(z.remove_range(a..b), end - start);
                    }
                    Op::RemoveScore(a, x, b, y) => {
                        let (min, max) = (bound(a, x), bound(b, y));
                        let doomed = model_score_range(&model.items(), &min, &max);
                        for (m, _) in &doomed {
                            model.remove(m);
                        }
                        prop_assert_eq!(z.remove_by_score(&min, &max), doomed.len());
                    }
                    Op::Convert => {
                        z.convert();
                        skip = true;
                    }
                }
                prop_assert_eq!(z.encoding(), if skip { "skiplist" } else { "listpack" });
                prop_assert_eq!(z.len(), model.scores.len());
                check_invariants(&z);
            }
            compare_all_ranges(&z, &model)?;
            // The other encoding holds the same set.
            let mut other = z.clone();
            prop_assert_eq!(&other, &z);
            if z.is_packed() {
                other.convert();
            } else {
                other.shrink_if_fits(ZSetLimits { max_entries: 1000, max_value: 1000 });
            }
            prop_assert_ne!(&other, &z);
            check_invariants(&other);
            compare_all_ranges(&other, &model)?;
        }

        #[test]
        fn lex_ranges_match_the_model(
            keys in proptest::collection::vec(0u8..30, 0..20),
            doomed in proptest::collection::vec(0u8..30, 0..6),
            big in any::<bool>(),
        ) {
            let lim = if big { ZSetLimits { max_entries: 0, max_value: 0 } } else { ZSetLimits { max_entries: 100, max_value: 100 } };
            let mut z = ZSetValue::new();
            let mut model = Model::default();
            for k in keys {
                z.insert(&member(k), 1.5, lim);
                model.insert(&member(k), 1.5);
            }
            let all = model.items();
            let mut bounds = vec![LexBound::NegInf, LexBound::PosInf, LexBound::Inclusive(vec![]), LexBound::Exclusive(vec![])];
            for k in [0u8, 3, 7, 12, 13, 29] {
                bounds.push(LexBound::Inclusive(member(k)));
                bounds.push(LexBound::Exclusive(member(k)));
                let mut m = member(k);
                m.push(0);
                bounds.push(LexBound::Inclusive(m));
            }
            for min in &bounds {
                for max in &bounds {
                    let want: Vec<_> = all
                        .iter()
                        .filter(|(m, _)| min.admits_as_min(m) && max.admits_as_max(m))
                        .cloned()
                        .collect();
                    prop_assert_eq!(z.count_in_lex_range(min, max), want.len());
                    let r = z.lex_range(min, max);
                    prop_assert_eq!(items(&z, r.clone(), false), want.clone());
                    let mut rev = want.clone();
                    rev.reverse();
                    prop_assert_eq!(items(&z, r, true), rev.clone());
                    // LIMIT's offset: skipped from the bottom, or from the
                    // top walking down.
                    for skip in [0usize, 1, 3, 50] {
                        let up = z.lex_walk(min, max, false, skip);
                        prop_assert_eq!(items(&z, up, false), want.iter().skip(skip).cloned().collect::<Vec<_>>());
                        let down = z.lex_walk(min, max, true, skip);
                        prop_assert_eq!(items(&z, down, true), rev.iter().skip(skip).cloned().collect::<Vec<_>>());
                    }
                }
            }
            for k in doomed {
                let min = LexBound::Inclusive(member(k));
                let max = LexBound::Exclusive(member(k.saturating_add(4)));
                let want: Vec<_> = model
                    .items()
                    .into_iter()
                    .filter(|(m, _)| min.admits_as_min(m) && max.admits_as_max(m))
                    .collect();
                for (m, _) in &want {
                    model.remove(m);
                }
                prop_assert_eq!(z.remove_by_lex(&min, &max), want.len());
                check_invariants(&z);
                prop_assert_eq!(items(&z, 0..usize::MAX, false), model.items());
            }
        }
    }
}
