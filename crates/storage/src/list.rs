//! Lists: a quicklist, that is a deque of packed nodes, as Redis 7.0 keeps them.
//!
//! Each node is one contiguous byte buffer of entries. An entry is its length
//! as a LEB128 varint, the bytes, then the same varint bytes reversed, so an
//! entry can be read from its start (walking forwards) or from its end
//! (walking backwards) as Redis's listpack allows. Integers stay as text:
//! Redis's integer encoding saves memory but changes no reply.
//!
//! Node size follows `list-max-listpack-size` (the `fill` argument of every
//! method that may grow a node), with Redis's rules: a positive fill bounds
//! the entries per node (and, as Redis's safety limit does, the node's bytes
//! to 8 KiB); -1 to -5 bound the node's bytes to 4, 8, 16, 32 or 64 KiB
//! (below -5 acts as -5, 0 as 1). A single entry larger than the bound gets a
//! node of its own. Nodes are never empty.
//!
//! Costs: push and pop at either end are amortized O(1). Popping from the
//! front only moves the node's start offset, and pushing at the front uses
//! slack kept before the entries (grown by doubling), so neither moves the
//! node's bytes each time. Finding index `i` sums node counts from the nearer
//! end of the list, then walks entries from the nearer end of one node, so
//! LINDEX, LRANGE and LSET near either end touch only the nodes near it.
//!
//! A list of one node (most lists) is that node inline: the value is 32 bytes
//! and one heap allocation. Past one node the nodes move to a boxed deque.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;

/// Count-limited nodes are also bounded to this many bytes (Redis's
/// `SIZE_SAFETY_LIMIT`), so that no node is slow to edit.
const SAFETY_LIMIT: usize = 8192;

/// The largest entry count per node a positive fill may ask for (Redis's `FILL_MAX`).
const MAX_FILL: i32 = 1 << 15;

/// Node byte bounds for fills -1 to -5.
const BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Slack added at the front of a node when a push at the front finds none:
/// at least this much, at most [`MAX_SLACK`], otherwise the node's size
/// (doubling, so that pushes at the front are amortized O(1)).
const MIN_SLACK: usize = 32;
const MAX_SLACK: usize = 64 * 1024;

/// The bound on one node, from a `list-max-listpack-size` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// At most this many entries (and [`SAFETY_LIMIT`] bytes).
    Count(usize),
    /// At most this many bytes of entries.
    Bytes(usize),
}

impl Limit {
    fn from_fill(fill: i32) -> Limit {
        if fill >= 0 {
            Limit::Count(fill.clamp(1, MAX_FILL) as usize)
        } else {
            let i = (-(i64::from(fill)) - 1).min(4) as usize;
            Limit::Bytes(BYTE_LIMITS.get(i).copied().unwrap_or(65536))
        }
    }

    /// True if a node of `count` entries and `bytes` bytes is within bounds.
    /// A node of one entry always is.
    fn fits(self, count: usize, bytes: usize) -> bool {
        count <= 1
            || match self {
                Limit::Count(n) => count <= n && bytes <= SAFETY_LIMIT,
                Limit::Bytes(b) => bytes <= b,
            }
    }
}

// ---------------------------------------------------------------------------
// Entry encoding.
// ---------------------------------------------------------------------------

fn varint_len(n: usize) -> usize {
    let mut n = n >> 7;
    let mut l = 1;
    while n > 0 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Bytes an entry of a `len`-byte value takes in a node.
fn entry_size(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Writes the entry for `v` into `out`, which is exactly `entry_size(v.len())` long.
fn write_entry(out: &mut [u8], v: &[u8]) {
    let vl = varint_len(v.len());
    let mut n = v.len();
    for i in 0..vl {
        let more = if i + 1 < vl { 0x80 } else { 0 };
        let b = (n & 0x7f) as u8 | more;
        n >>= 7;
        if let Some(p) = out.get_mut(i) {
            *p = b;
        }
        // The suffix is the prefix reversed: its last byte is the lowest group.
        let back = out.len().wrapping_sub(1 + i);
        if let Some(p) = out.get_mut(back) {
            *p = b;
        }
    }
    if let Some(dst) = out.get_mut(vl..vl + v.len()) {
        dst.copy_from_slice(v);
    }
}

/// Reads the entry starting at `off`: (value start, value length, entry end).
#[inline]
fn read_fwd(data: &[u8], off: usize) -> (usize, usize, usize) {
    let mut len = 0usize;
    let mut shift = 0u32;
    let mut p = off;
    while let Some(&b) = data.get(p) {
        p += 1;
        len |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    (p, len, p + len + (p - off))
}

/// Reads the entry ending at `end`: (value start, value length, entry start).
#[inline]
fn read_back(data: &[u8], end: usize) -> (usize, usize, usize) {
    let mut len = 0usize;
    let mut shift = 0u32;
    let mut p = end;
    while p > 0 {
        p -= 1;
        let b = data.get(p).copied().unwrap_or(0);
        len |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    let vl = end - p;
    let start = p.saturating_sub(len);
    (start, len, start.saturating_sub(vl))
}

// ---------------------------------------------------------------------------
// Nodes.
// ---------------------------------------------------------------------------

/// One packed node: entries in `buf[head..]`, with slack before `head`.
#[derive(Clone, Default)]
struct Node {
    buf: Vec<u8>,
    head: u32,
    count: u32,
}

impl Node {
    fn with(v: &[u8]) -> Node {
        let mut buf = vec![0; entry_size(v.len())];
        write_entry(&mut buf, v);
        Node {
            buf,
            head: 0,
            count: 1,
        }
    }

    #[inline]
    fn data(&self) -> &[u8] {
        self.buf.get(self.head as usize..).unwrap_or_default()
    }

    #[inline]
    fn bytes(&self) -> usize {
        self.buf.len() - self.head as usize
    }

    #[inline]
    fn count(&self) -> usize {
        self.count as usize
    }

    fn set_head(&mut self, head: usize) {
        match u32::try_from(head) {
            Ok(h) => self.head = h,
            // Only a front pop past a 4 GiB entry gets here: drop the slack.
            Err(_) => {
                self.buf.drain(..head);
                self.head = 0;
            }
        }
    }

    /// Offset in `data()` of entry `k` (`k == count` gives the end), walking
    /// from the nearer end of the node.
    fn offset_of(&self, k: usize) -> usize {
        let data = self.data();
        let count = self.count();
        if k <= count / 2 {
            let mut off = 0;
            for _ in 0..k {
                off = read_fwd(data, off).2;
            }
            off
        } else {
            let mut end = data.len();
            for _ in k..count {
                end = read_back(data, end).2;
            }
            end
        }
    }

    /// Opens a gap of `n` bytes at data offset `pos` and returns it.
    fn open_gap(&mut self, pos: usize, n: usize) -> &mut [u8] {
        let head = self.head as usize;
        if pos == 0 {
            if head < n {
                self.grow_slack(n);
            }
            let head = self.head as usize - n;
            self.head = head as u32;
            return self.buf.get_mut(head..head + n).unwrap_or_default();
        }
        let at = head + pos;
        let old = self.buf.len();
        self.buf.resize(old + n, 0);
        self.buf.copy_within(at..old, at + n);
        self.buf.get_mut(at..at + n).unwrap_or_default()
    }

    /// Makes room for at least `n` bytes before the entries.
    fn grow_slack(&mut self, n: usize) {
        let data_len = self.bytes();
        let slack = n.max(data_len.clamp(MIN_SLACK, MAX_SLACK));
        if u32::try_from(slack).is_err() {
            // An entry of 4 GiB or more: no slack, the entries move instead.
            self.buf.drain(..self.head as usize);
            self.head = 0;
            self.buf.splice(0..0, std::iter::repeat_n(0, n));
            self.head = n as u32;
            return;
        }
        let mut nb = Vec::with_capacity(slack + data_len);
        nb.resize(slack, 0);
        nb.extend_from_slice(self.data());
        self.buf = nb;
        self.head = slack as u32;
    }

    fn insert_entry(&mut self, pos: usize, v: &[u8]) {
        let gap = self.open_gap(pos, entry_size(v.len()));
        write_entry(gap, v);
        self.count += 1;
    }

    fn push_back(&mut self, v: &[u8]) {
        // Appending needs no gap: extend without zero-filling first.
        let mut len = [0u8; 10];
        let vl = varint_len(v.len());
        let mut n = v.len();
        for (i, b) in len.iter_mut().take(vl).enumerate() {
            *b = (n & 0x7f) as u8 | if i + 1 < vl { 0x80 } else { 0 };
            n >>= 7;
        }
        let prefix = len.get(..vl).unwrap_or_default();
        self.buf.reserve(v.len() + 2 * vl);
        self.buf.extend_from_slice(prefix);
        self.buf.extend_from_slice(v);
        self.buf.extend(prefix.iter().rev());
        self.count += 1;
    }

    fn push_front(&mut self, v: &[u8]) {
        self.insert_entry(0, v);
    }

    /// Inserts `v` as entry `k`.
    fn insert(&mut self, k: usize, v: &[u8]) {
        let pos = self.offset_of(k);
        self.insert_entry(pos, v);
    }

    /// Removes the entries at data offsets `a..b`, `n` of them.
    fn remove_bytes(&mut self, a: usize, b: usize, n: usize) {
        let head = self.head as usize;
        if a == 0 {
            self.set_head(head + b);
            // A queue (push at the tail, pop at the head) would otherwise
            // grow the buffer for ever. Compacting once the dead bytes
            // exceed the live ones (plus some slack for pushes at the
            // front) costs at most one byte moved per byte popped.
            let head = self.head as usize;
            if head > self.bytes() + 2 * MIN_SLACK {
                self.buf.drain(..head);
                self.head = 0;
            }
        } else if b == self.bytes() {
            self.buf.truncate(head + a);
        } else {
            self.buf.drain(head + a..head + b);
        }
        self.count -= n as u32;
        if self.count == 0 {
            // Keep no memory in a node that is about to be dropped or reused.
            self.buf = Vec::new();
            self.head = 0;
        }
    }

    /// Removes entries `k0..k1`.
    fn remove(&mut self, k0: usize, k1: usize) {
        if k1 <= k0 {
            return;
        }
        let a = self.offset_of(k0);
        let b = if k1 - k0 == 1 {
            read_fwd(self.data(), a).2
        } else {
            self.offset_of(k1)
        };
        self.remove_bytes(a, b, k1 - k0);
    }

    fn pop_front(&mut self) -> Vec<u8> {
        let (s, l, end) = read_fwd(self.data(), 0);
        let v = self.data().get(s..s + l).unwrap_or_default().to_vec();
        self.remove_bytes(0, end, 1);
        v
    }

    fn pop_back(&mut self) -> Vec<u8> {
        let bytes = self.bytes();
        let (s, l, start) = read_back(self.data(), bytes);
        let v = self.data().get(s..s + l).unwrap_or_default().to_vec();
        self.remove_bytes(start, bytes, 1);
        v
    }

    /// Replaces entry `k` with `v`.
    fn replace(&mut self, k: usize, v: &[u8]) {
        let a = self.offset_of(k);
        let (_, _, b) = read_fwd(self.data(), a);
        let head = self.head as usize;
        let n = entry_size(v.len());
        let old = b - a;
        if n == old {
            if let Some(dst) = self.buf.get_mut(head + a..head + b) {
                write_entry(dst, v);
            }
            return;
        }
        let len = self.buf.len();
        if n > old {
            self.buf.resize(len + n - old, 0);
            self.buf.copy_within(head + b..len, head + a + n);
        } else {
            self.buf.copy_within(head + b..len, head + a + n);
            self.buf.truncate(len - (old - n));
        }
        if let Some(dst) = self.buf.get_mut(head + a..head + a + n) {
            write_entry(dst, v);
        }
    }

    /// Splits off entries `k..` into a new node.
    fn split_off(&mut self, k: usize) -> Node {
        let off = self.offset_of(k);
        let head = self.head as usize;
        let right = Node {
            buf: self.buf.get(head + off..).unwrap_or_default().to_vec(),
            head: 0,
            count: self.count - k as u32,
        };
        self.buf.truncate(head + off);
        self.count = k as u32;
        right
    }

    /// Appends the entries of `other`.
    fn append(&mut self, other: &Node) {
        self.buf.extend_from_slice(other.data());
        self.count += other.count;
    }

    /// Removes up to `max` entries equal to `v`, the first ones or (with
    /// `from_tail`) the last ones. Returns how many went.
    fn remove_value(&mut self, v: &[u8], max: usize, from_tail: bool) -> usize {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let data = self.data();
        let mut off = 0;
        while off < data.len() {
            let (s, l, end) = read_fwd(data, off);
            if data.get(s..s + l) == Some(v) {
                ranges.push((off, end));
                if !from_tail && ranges.len() == max {
                    break;
                }
            }
            off = end;
        }
        if from_tail && ranges.len() > max {
            ranges.drain(..ranges.len() - max);
        }
        if ranges.is_empty() {
            return 0;
        }
        // Compact in place: move each kept stretch down over the removed entries.
        let head = self.head as usize;
        let total = self.bytes();
        let mut write = head + ranges.first().map_or(0, |r| r.0);
        for (i, &(_, end)) in ranges.iter().enumerate() {
            let next = ranges.get(i + 1).map_or(total, |r| r.0);
            self.buf.copy_within(head + end..head + next, write);
            write += next - end;
        }
        self.buf.truncate(write);
        let n = ranges.len();
        self.count -= n as u32;
        if self.count == 0 {
            self.buf = Vec::new();
            self.head = 0;
        }
        n
    }
}

// ---------------------------------------------------------------------------
// The list.
// ---------------------------------------------------------------------------

/// A list value: a quicklist of packed nodes (see the module documentation).
#[derive(Clone, Default)]
pub struct ListValue {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// No node (an empty node: the empty list) or one node.
    One(Node),
    /// Two nodes or more.
    Many(Box<Many>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::One(Node::default())
    }
}

#[derive(Clone)]
struct Many {
    nodes: VecDeque<Node>,
    /// Sum of the nodes' counts.
    len: usize,
}

impl ListValue {
    /// An empty list (allocates nothing).
    pub fn new() -> ListValue {
        ListValue::default()
    }

    /// A list of `items` in order, packed with node bound `fill`.
    pub fn from_items<I, T>(items: I, fill: i32) -> ListValue
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut l = ListValue::new();
        let limit = Limit::from_fill(fill);
        for v in items {
            l.push_back_limit(v.as_ref(), limit);
        }
        l
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::One(n) => n.count(),
            Repr::Many(m) => m.len,
        }
    }

    /// True when the list holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` reports (Redis 7.0: always `quicklist`).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Number of packed nodes.
    pub fn node_count(&self) -> usize {
        match &self.repr {
            Repr::One(n) => usize::from(n.count > 0),
            Repr::Many(m) => m.nodes.len(),
        }
    }

    /// Heap bytes held (node buffers and the node deque), for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::One(n) => n.buf.capacity(),
            Repr::Many(m) => {
                std::mem::size_of::<Many>()
                    + m.nodes.capacity() * std::mem::size_of::<Node>()
                    + m.nodes.iter().map(|n| n.buf.capacity()).sum::<usize>()
            }
        }
    }

    /// Resolves a Redis index (negative counts from the tail) to a position,
    /// if it is in range.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// Adds `v` at the head.
    pub fn push_front(&mut self, v: &[u8], fill: i32) {
        self.insert_in(0, 0, v, Limit::from_fill(fill));
    }

    /// Adds `v` at the tail.
    pub fn push_back(&mut self, v: &[u8], fill: i32) {
        self.push_back_limit(v, Limit::from_fill(fill));
    }

    /// Removes and returns the head element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let v = self.edit(0, Node::pop_front);
        self.drop_if_empty(0);
        Some(v)
    }

    /// Removes and returns the tail element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let last = self.node_count().checked_sub(1)?;
        let v = self.edit(last, Node::pop_back);
        self.drop_if_empty(last);
        Some(v)
    }

    /// The element at position `index` (0 is the head).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len() {
            return None;
        }
        let (i, k) = self.locate(index);
        let node = self.node(i);
        let data = node.data();
        let (s, l, _) = read_fwd(data, node.offset_of(k));
        data.get(s..s + l)
    }

    /// Replaces the element at `index`; false if out of range.
    pub fn set(&mut self, index: usize, v: &[u8], fill: i32) -> bool {
        self.set_limit(index, v, Limit::from_fill(fill))
    }

    fn set_limit(&mut self, index: usize, v: &[u8], limit: Limit) -> bool {
        if index >= self.len() {
            return false;
        }
        let (i, k) = self.locate(index);
        let node = self.node(i);
        let off = node.offset_of(k);
        let (_, old_len, _) = read_fwd(node.data(), off);
        let bytes = node.bytes() - entry_size(old_len) + entry_size(v.len());
        if limit.fits(node.count(), bytes) {
            self.edit(i, |n| n.replace(k, v));
        } else {
            // The node would outgrow its bound: remove, then insert with splitting.
            self.edit(i, |n| n.remove(k, k + 1));
            self.insert_in(i, k, v, limit);
        }
        true
    }

    /// Inserts `v` so that it becomes the element at `index` (`index ==
    /// len()` appends). An index past the end appends.
    pub fn insert(&mut self, index: usize, v: &[u8], fill: i32) {
        self.insert_limit(index, v, Limit::from_fill(fill));
    }

    fn insert_limit(&mut self, index: usize, v: &[u8], limit: Limit) {
        if index >= self.len() {
            self.push_back_limit(v, limit);
        } else {
            let (i, k) = self.locate(index);
            self.insert_in(i, k, v, limit);
        }
    }

    /// Inserts `v` before (or, with `after`, after) the first element equal
    /// to `pivot`. Returns false, changing nothing, if there is none.
    pub fn insert_at_pivot(&mut self, pivot: &[u8], v: &[u8], after: bool, fill: i32) -> bool {
        let Some((i, k)) = self.find_node_pos(pivot) else {
            return false;
        };
        self.insert_in(i, k + usize::from(after), v, Limit::from_fill(fill));
        true
    }

    /// The position of the first element equal to `v`.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        self.iter().position(|e| e == v)
    }

    /// Removes up to `max` elements equal to `v`: the first ones, or the last
    /// ones with `from_tail`. Returns how many were removed. Nodes left small
    /// are merged with their neighbours when `fill` allows.
    pub fn remove_value(&mut self, v: &[u8], max: usize, from_tail: bool, fill: i32) -> usize {
        self.remove_value_limit(v, max, from_tail, Limit::from_fill(fill))
    }

    fn remove_value_limit(&mut self, v: &[u8], max: usize, from_tail: bool, limit: Limit) -> usize {
        let mut removed = 0;
        let mut lowest_touched: Option<usize> = None;
        if from_tail {
            let mut i = self.node_count();
            while i > 0 && removed < max {
                i -= 1;
                let n = self.edit(i, |n| n.remove_value(v, max - removed, true));
                if n > 0 {
                    removed += n;
                    lowest_touched = Some(i);
                    self.drop_if_empty(i);
                }
            }
            if let Some(lo) = lowest_touched {
                self.merge_pass(lo.saturating_sub(1), self.node_count(), limit);
            }
        } else {
            let mut i = 0;
            while i < self.node_count() && removed < max {
                let n = self.edit(i, |n| n.remove_value(v, max - removed, false));
                removed += n;
                if n > 0 && lowest_touched.is_none() {
                    lowest_touched = Some(i);
                }
                if !self.drop_if_empty(i) {
                    i += 1;
                }
            }
            if let Some(lo) = lowest_touched {
                self.merge_pass(lo.saturating_sub(1), i + 1, limit);
            }
        }
        removed
    }

    /// Removes `count` elements from position `start` on (clamped to the
    /// list). Whole nodes in the range are dropped without being read; no
    /// nodes are merged (LTRIM and counted pops remove at the ends).
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let end = start.saturating_add(count).min(self.len());
        if start >= end {
            return;
        }
        let (mut i, mut k) = self.locate(start);
        let mut left = end - start;
        while left > 0 && i < self.node_count() {
            let c = self.node(i).count();
            let take = (c - k).min(left);
            if k == 0 && take == c {
                self.remove_node(i);
            } else {
                self.edit(i, |n| n.remove(k, k + take));
                i += 1;
            }
            left -= take;
            k = 0;
        }
    }

    /// Keeps only positions `start..end` (LTRIM), dropping the rest.
    pub fn retain_range(&mut self, start: usize, end: usize) {
        let len = self.len();
        let end = end.min(len);
        if start >= end {
            *self = ListValue::new();
            return;
        }
        self.remove_range(end, len - end);
        self.remove_range(0, start);
    }

    /// All elements, head to tail, without copying.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len())
    }

    /// Elements at positions `start..end` (clamped to the list), walkable
    /// from both ends, without copying.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let end = end.min(self.len());
        if start >= end {
            return Iter {
                list: self,
                front_node: 0,
                front_off: 0,
                back_node: 0,
                back_end: 0,
                remaining: 0,
            };
        }
        let (fi, fk) = self.locate(start);
        let front_off = self.node(fi).offset_of(fk);
        let (bi, bk) = self.locate(end - 1);
        let back_end = self.node(bi).offset_of(bk + 1);
        Iter {
            list: self,
            front_node: fi,
            front_off,
            back_node: bi,
            back_end,
            remaining: end - start,
        }
    }

    /// Copies the elements out (tests, snapshots).
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }

    /// Checks the structure's invariants with node bound `fill`: no empty
    /// node, every node within the bound or holding one entry, counts that
    /// match the entries (read both ways), a length that sums them, and a
    /// boxed deque only for two nodes or more. For tests.
    pub fn check_invariants(&self, fill: i32) -> Result<(), String> {
        self.check_limit(Limit::from_fill(fill))
    }

    fn check_limit(&self, limit: Limit) -> Result<(), String> {
        let nodes = self.node_count();
        if let Repr::Many(m) = &self.repr {
            if m.nodes.len() < 2 {
                return Err(format!("boxed deque of {} nodes", m.nodes.len()));
            }
        }
        let mut total = 0;
        for i in 0..nodes {
            let n = self.node(i);
            if n.count == 0 {
                return Err(format!("node {i} is empty"));
            }
            if n.head as usize > n.buf.len() {
                return Err(format!("node {i}: head past the end"));
            }
            if !limit.fits(n.count(), n.bytes()) {
                return Err(format!(
                    "node {i}: {} entries, {} bytes exceed {limit:?}",
                    n.count,
                    n.bytes()
                ));
            }
            let data = n.data();
            let mut fwd = 0;
            let mut off = 0;
            while off < data.len() {
                off = read_fwd(data, off).2;
                fwd += 1;
            }
            if off != data.len() {
                return Err(format!("node {i}: entries overrun the buffer"));
            }
            let mut back = 0;
            let mut end = data.len();
            while end > 0 {
                end = read_back(data, end).2;
                back += 1;
            }
            if fwd != n.count() || back != n.count() {
                return Err(format!(
                    "node {i}: count {} but {fwd} entries forwards, {back} backwards",
                    n.count
                ));
            }
            total += n.count();
        }
        if total != self.len() {
            return Err(format!("len {} but nodes hold {total}", self.len()));
        }
        Ok(())
    }

    // -- node-level primitives ----------------------------------------------

    fn node(&self, i: usize) -> &Node {
        match &self.repr {
            Repr::One(n) => n,
            Repr::Many(m) => &m.nodes[i],
        }
    }

    /// Runs `f` on node `i`, keeping the list length in step with its count.
    fn edit<R>(&mut self, i: usize, f: impl FnOnce(&mut Node) -> R) -> R {
        match &mut self.repr {
            Repr::One(n) => f(n),
            Repr::Many(m) => {
                let n = &mut m.nodes[i];
                let before = n.count();
                let r = f(n);
                m.len = m.len - before + n.count();
                r
            }
        }
    }

    /// Inserts `node` (not empty) as node `i`.
    fn insert_node(&mut self, i: usize, node: Node) {
        match &mut self.repr {
            Repr::One(n) if n.count == 0 => *n = node,
            Repr::One(n) => {
                let first = std::mem::take(n);
                let len = first.count() + node.count();
                let mut nodes = VecDeque::with_capacity(4);
                nodes.push_back(first);
                nodes.insert(i.min(1), node);
                self.repr = Repr::Many(Box::new(Many { nodes, len }));
            }
            Repr::Many(m) => {
                m.len += node.count();
                m.nodes.insert(i, node);
            }
        }
    }

    /// Removes node `i`, going back to the inline form at one node.
    fn remove_node(&mut self, i: usize) -> Node {
        match &mut self.repr {
            Repr::One(n) => std::mem::take(n),
            Repr::Many(m) => {
                let node = m.nodes.remove(i).unwrap_or_default();
                m.len -= node.count();
                if m.nodes.len() <= 1 {
                    let last = m.nodes.pop_front().unwrap_or_default();
                    self.repr = Repr::One(last);
                }
                node
            }
        }
    }

    /// Removes node `i` if it is empty; true if it did.
    fn drop_if_empty(&mut self, i: usize) -> bool {
        if self.node(i).count == 0 {
            self.remove_node(i);
            true
        } else {
            false
        }
    }

    /// (node, entry within it) of position `index` (< len), summing node
    /// counts from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        let Repr::Many(m) = &self.repr else {
            return (0, index);
        };
        if index < m.len / 2 {
            let mut left = index;
            for (i, n) in m.nodes.iter().enumerate() {
                if left < n.count() {
                    return (i, left);
                }
                left -= n.count();
            }
        } else {
            let mut after = m.len - index;
            for (i, n) in m.nodes.iter().enumerate().rev() {
                if after <= n.count() {
                    return (i, n.count() - after);
                }
                after -= n.count();
            }
        }
        (0, 0)
    }

    /// (node, entry) of the first element equal to `v`.
    fn find_node_pos(&self, v: &[u8]) -> Option<(usize, usize)> {
        for i in 0..self.node_count() {
            let data = self.node(i).data();
            let mut off = 0;
            let mut k = 0;
            while off < data.len() {
                let (s, l, end) = read_fwd(data, off);
                if data.get(s..s + l) == Some(v) {
                    return Some((i, k));
                }
                off = end;
                k += 1;
            }
        }
        None
    }

    fn push_back_limit(&mut self, v: &[u8], limit: Limit) {
        let nodes = self.node_count();
        if let Some(last) = nodes.checked_sub(1) {
            let n = self.node(last);
            if limit.fits(n.count() + 1, n.bytes() + entry_size(v.len())) {
                self.edit(last, |n| n.push_back(v));
                return;
            }
        }
        self.insert_node(nodes, Node::with(v));
    }

    /// Inserts `v` as entry `k` of node `i` (`k` may be the node's count; an
    /// empty list takes `(0, 0)`), spilling into a neighbour or a new node,
    /// or splitting the node, when it would outgrow its bound.
    fn insert_in(&mut self, i: usize, k: usize, v: &[u8], limit: Limit) {
        let nodes = self.node_count();
        if nodes == 0 {
            self.insert_node(0, Node::with(v));
            return;
        }
        let size = entry_size(v.len());
        let fits = |l: &ListValue, j: usize| {
            let n = l.node(j);
            limit.fits(n.count() + 1, n.bytes() + size)
        };
        if fits(self, i) {
            self.edit(i, |n| {
                if k == 0 {
                    n.push_front(v)
                } else {
                    n.insert(k, v)
                }
            });
            return;
        }
        let count = self.node(i).count();
        if k == 0 {
            if i > 0 && fits(self, i - 1) {
                self.edit(i - 1, |n| n.push_back(v));
            } else {
                self.insert_node(i, Node::with(v));
            }
            return;
        }
        if k >= count {
            if i + 1 < nodes && fits(self, i + 1) {
                self.edit(i + 1, |n| n.push_front(v));
            } else {
                self.insert_node(i + 1, Node::with(v));
            }
            return;
        }
        let right = self.edit(i, |n| n.split_off(k));
        self.insert_node(i + 1, right);
        if fits(self, i) {
            self.edit(i, |n| n.push_back(v));
        } else if fits(self, i + 1) {
            self.edit(i + 1, |n| n.push_front(v));
        } else {
            self.insert_node(i + 1, Node::with(v));
        }
    }

    /// Merges neighbouring nodes among `lo..hi` (indexes before merging)
    /// whose union fits `limit`.
    fn merge_pass(&mut self, lo: usize, hi: usize, limit: Limit) {
        let mut i = lo;
        let mut hi = hi.min(self.node_count());
        while i + 1 < hi {
            let (a, b) = (self.node(i), self.node(i + 1));
            if limit.fits(a.count() + b.count(), a.bytes() + b.bytes()) {
                let right = self.remove_node(i + 1);
                self.edit(i, |n| n.append(&right));
                hi -= 1;
            } else {
                i += 1;
            }
        }
    }
}

impl PartialEq for ListValue {
    /// Lists are equal when their elements are, however they are packed.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for ListValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl<T: AsRef<[u8]>> FromIterator<T> for ListValue {
    /// Packs with Redis's default node bound (`list-max-listpack-size -2`).
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        ListValue::from_items(iter, -2)
    }
}

impl<'a> IntoIterator for &'a ListValue {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// An iterator over a range of a list's elements, from either end.
pub struct Iter<'a> {
    list: &'a ListValue,
    front_node: usize,
    /// Offset of the next entry in the front node.
    front_off: usize,
    back_node: usize,
    /// Offset just past the next entry from the back in the back node.
    back_end: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let list: &'a ListValue = self.list;
        let mut node = list.node(self.front_node);
        if self.front_off >= node.bytes() {
            self.front_node += 1;
            self.front_off = 0;
            node = list.node(self.front_node);
        }
        let data = node.data();
        let (s, l, end) = read_fwd(data, self.front_off);
        self.front_off = end;
        self.remaining -= 1;
        data.get(s..s + l)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let list: &'a ListValue = self.list;
        let mut node = list.node(self.back_node);
        if self.back_end == 0 {
            self.back_node = self.back_node.saturating_sub(1);
            node = list.node(self.back_node);
            self.back_end = node.bytes();
        }
        let data = node.data();
        let (s, l, start) = read_back(data, self.back_end);
        self.back_end = start;
        self.remaining -= 1;
        data.get(s..s + l)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vals(l: &ListValue) -> Vec<String> {
        l.iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    #[test]
    fn is_small() {
        assert!(std::mem::size_of::<ListValue>() <= 32);
        assert_eq!(ListValue::new().heap_size(), 0);
    }

    #[test]
    fn varint_entries_read_both_ways() {
        for len in [0usize, 1, 127, 128, 300, 16383, 16384, 70000] {
            let v = vec![7u8; len];
            let mut buf = vec![0; entry_size(len)];
            write_entry(&mut buf, &v);
            let (s, l, end) = read_fwd(&buf, 0);
            assert_eq!((l, end), (len, buf.len()));
            assert_eq!(&buf[s..s + l], &v[..]);
            let (s2, l2, start) = read_back(&buf, buf.len());
            assert_eq!((s2, l2, start), (s, len, 0));
        }
    }

    #[test]
    fn fill_rules() {
        assert_eq!(Limit::from_fill(0), Limit::Count(1));
        assert_eq!(Limit::from_fill(5), Limit::Count(5));
        assert_eq!(Limit::from_fill(i32::MAX), Limit::Count(1 << 15));
        assert_eq!(Limit::from_fill(-1), Limit::Bytes(4096));
        assert_eq!(Limit::from_fill(-2), Limit::Bytes(8192));
        assert_eq!(Limit::from_fill(-5), Limit::Bytes(65536));
        assert_eq!(Limit::from_fill(i32::MIN), Limit::Bytes(65536));
        // Count mode also keeps Redis's 8 KiB safety bound.
        assert!(!Limit::Count(1000).fits(2, 9000));
        assert!(Limit::Count(1000).fits(1, 1 << 20));
    }

    #[test]
    fn pushes_pops_and_nodes() {
        let mut l = ListValue::new();
        assert_eq!(l.pop_front(), None);
        assert_eq!(l.pop_back(), None);
        for i in 0..10 {
            l.push_back(format!("{i}").as_bytes(), 3);
        }
        assert_eq!(l.node_count(), 4);
        l.push_front(b"x", 3);
        assert_eq!(l.node_count(), 5);
        assert_eq!(vals(&l)[..3], ["x", "0", "1"]);
        assert_eq!(l.pop_back().as_deref(), Some(&b"9"[..]));
        assert_eq!(l.pop_front().as_deref(), Some(&b"x"[..]));
        l.check_invariants(3).unwrap();
        while l.pop_front().is_some() {}
        assert!(l.is_empty());
        assert_eq!(l.node_count(), 0);
        assert_eq!(l.heap_size(), 0);
    }

    #[test]
    fn big_element_gets_its_own_node() {
        let mut l = ListValue::new();
        l.push_back(b"a", -1);
        l.push_back(&vec![b'b'; 10_000], -1);
        l.push_back(b"c", -1);
        assert_eq!(l.node_count(), 3);
        l.check_invariants(-1).unwrap();
        // Replacing an entry by a large one splits its node.
        let mut l = ListValue::from_items(["a", "b", "c"], -1);
        assert!(l.set(1, &vec![b'x'; 5000], -1));
        assert_eq!(l.node_count(), 3);
        l.check_invariants(-1).unwrap();
        assert_eq!(l.get(1).map(<[u8]>::len), Some(5000));
        assert!(!l.set(3, b"z", -1));
    }

    #[test]
    fn ranges_and_indexes() {
        let l = ListValue::from_items((0..100).map(|i| i.to_string()), 4);
        assert_eq!(l.get(57), Some(&b"57"[..]));
        assert_eq!(l.get(100), None);
        let r: Vec<_> = l.range(10, 15).collect();
        assert_eq!(r, [&b"10"[..], b"11", b"12", b"13", b"14"]);
        let r: Vec<_> = l.range(95, 1000).rev().collect();
        assert_eq!(r, [&b"99"[..], b"98", b"97", b"96", b"95"]);
        assert_eq!(l.range(5, 5).count(), 0);
        assert_eq!(l.range(50, 10).count(), 0);
        // Both ends meeting in the middle.
        let mut it = l.range(3, 7);
        assert_eq!(it.next(), Some(&b"3"[..]));
        assert_eq!(it.next_back(), Some(&b"6"[..]));
        assert_eq!(it.next(), Some(&b"4"[..]));
        assert_eq!(it.next_back(), Some(&b"5"[..]));
        assert_eq!(it.next(), None);
        assert_eq!(it.next_back(), None);
        assert_eq!(l.resolve_index(-1), Some(99));
        assert_eq!(l.resolve_index(-100), Some(0));
        assert_eq!(l.resolve_index(-101), None);
        assert_eq!(l.resolve_index(100), None);
        assert_eq!(l.resolve_index(i64::MIN), None);
        assert_eq!(l.position(b"42"), Some(42));
        assert_eq!(l.position(b"nope"), None);
    }

    #[test]
    fn insert_pivot_remove_trim() {
        let mut l = ListValue::from_items(["a", "b", "c", "b"], 2);
        assert!(l.insert_at_pivot(b"b", b"x", false, 2));
        assert!(l.insert_at_pivot(b"b", b"y", true, 2));
        assert!(!l.insert_at_pivot(b"zz", b"y", true, 2));
        assert_eq!(vals(&l), ["a", "x", "b", "y", "c", "b"]);
        l.check_invariants(2).unwrap();
        assert_eq!(l.remove_value(b"b", 1, true, 2), 1);
        assert_eq!(vals(&l), ["a", "x", "b", "y", "c"]);
        assert_eq!(l.remove_value(b"b", usize::MAX, false, 2), 1);
        l.check_invariants(2).unwrap();
        l.retain_range(1, 3);
        assert_eq!(vals(&l), ["x", "y"]);
        l.retain_range(5, 9);
        assert!(l.is_empty());
    }

    #[test]
    fn equality_ignores_packing() {
        let a = ListValue::from_items(["a", "b", "c"], 1);
        let b = ListValue::from_items(["a", "b", "c"], -2);
        assert_eq!(a, b);
        assert_ne!(a, ListValue::from_items(["a", "b"], 1));
        assert_eq!(format!("{a:?}"), r#"["a", "b", "c"]"#);
        let c: ListValue = ["a", "b", "c"].into_iter().collect();
        assert_eq!(c, a);
    }

    #[test]
    fn queues_and_stacks_keep_memory_bounded() {
        let mut l = ListValue::new();
        for i in 0..10 {
            l.push_back(format!("{i}").as_bytes(), -2);
        }
        for i in 0..100_000 {
            l.push_back(format!("q{i}").as_bytes(), -2);
            assert!(l.pop_front().is_some());
            l.push_front(b"s", -2);
            assert_eq!(l.pop_front().as_deref(), Some(&b"s"[..]));
        }
        assert_eq!(l.len(), 10);
        assert_eq!(l.node_count(), 1);
        assert!(l.heap_size() < 1024, "heap {}", l.heap_size());
        assert_eq!(l.get(9), Some(&b"q99999"[..]));
        l.check_invariants(-2).unwrap();
    }

    #[test]
    fn front_pushes_reuse_slack() {
        let mut l = ListValue::new();
        for i in 0..1000 {
            l.push_front(format!("{i}").as_bytes(), -2);
        }
        l.check_invariants(-2).unwrap();
        assert_eq!(l.get(0), Some(&b"999"[..]));
        assert_eq!(l.get(999), Some(&b"0"[..]));
        // Pops at the front then pushes at the front again.
        for _ in 0..500 {
            l.pop_front();
        }
        for i in 0..500 {
            l.push_front(format!("n{i}").as_bytes(), -2);
        }
        l.check_invariants(-2).unwrap();
        assert_eq!(l.len(), 1000);
        assert_eq!(l.get(0), Some(&b"n499"[..]));
    }

    // -- model-based property test ------------------------------------------

    #[derive(Debug, Clone)]
    enum Op {
        PushFront(Vec<u8>),
        PushBack(Vec<u8>),
        PopFront,
        PopBack,
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        InsertPivot(usize, Vec<u8>, bool),
        RemoveValue(usize, usize, bool),
        RemoveRange(usize, usize),
        Retain(usize, usize),
        Range(usize, usize),
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            20 => proptest::collection::vec(b'a'..=b'd', 0..=3),
            10 => proptest::collection::vec(any::<u8>(), 0..=100),
            1 => proptest::collection::vec(any::<u8>(), 100..=9000),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let idx = 0usize..200;
        prop_oneof![
            6 => value().prop_map(Op::PushFront),
            6 => value().prop_map(Op::PushBack),
            2 => Just(Op::PopFront),
            2 => Just(Op::PopBack),
            2 => (idx.clone(), value()).prop_map(|(i, v)| Op::Set(i, v)),
            2 => (idx.clone(), value()).prop_map(|(i, v)| Op::Insert(i, v)),
            2 => (idx.clone(), value(), any::<bool>()).prop_map(|(i, v, a)| Op::InsertPivot(i, v, a)),
            2 => (idx.clone(), 0usize..4, any::<bool>()).prop_map(|(i, n, t)| Op::RemoveValue(i, n, t)),
            1 => (idx.clone(), 0usize..30).prop_map(|(s, n)| Op::RemoveRange(s, n)),
            1 => (idx.clone(), idx.clone()).prop_map(|(s, e)| Op::Retain(s, e)),
            2 => (idx.clone(), idx).prop_map(|(s, e)| Op::Range(s, e)),
        ]
    }

    fn limit() -> impl Strategy<Value = Limit> {
        prop_oneof![
            Just(Limit::from_fill(1)),
            Just(Limit::from_fill(2)),
            Just(Limit::from_fill(3)),
            Just(Limit::from_fill(-1)),
            Just(Limit::from_fill(-2)),
            Just(Limit::Bytes(16)),
            Just(Limit::Bytes(64)),
            Just(Limit::Bytes(200)),
        ]
    }

    /// Runs one op on the list with `limit` directly (so that byte bounds
    /// smaller than any fill allows get tested too).
    fn apply(l: &mut ListValue, m: &mut VecDeque<Vec<u8>>, op: &Op, limit: Limit) {
        match op {
            Op::PushFront(v) => {
                l.insert_in(0, 0, v, limit);
                m.push_front(v.clone());
            }
            Op::PushBack(v) => {
                l.push_back_limit(v, limit);
                m.push_back(v.clone());
            }
            Op::PopFront => assert_eq!(l.pop_front(), m.pop_front()),
            Op::PopBack => assert_eq!(l.pop_back(), m.pop_back()),
            Op::Set(i, v) => {
                assert_eq!(l.set_limit(*i, v, limit), *i < m.len());
                if let Some(e) = m.get_mut(*i) {
                    *e = v.clone();
                }
            }
            Op::Insert(i, v) => {
                let i = *i % (m.len() + 1);
                l.insert_limit(i, v, limit);
                m.insert(i, v.clone());
            }
            Op::InsertPivot(i, v, after) => {
                let pivot = m.get(*i).cloned().unwrap_or_else(|| b"zz".to_vec());
                let pos = m.iter().position(|e| *e == pivot);
                let found = l.find_node_pos(&pivot);
                assert_eq!(found.is_some(), pos.is_some());
                if let (Some((n, k)), Some(p)) = (found, pos) {
                    l.insert_in(n, k + usize::from(*after), v, limit);
                    m.insert(p + usize::from(*after), v.clone());
                }
            }
            Op::RemoveValue(i, max, tail) => {
                let v = m.get(*i).cloned().unwrap_or_else(|| b"a".to_vec());
                let max = if *max == 0 { usize::MAX } else { *max };
                let removed = l.remove_value_limit(&v, max, *tail, limit);
                let mut want = 0;
                if *tail {
                    let mut j = m.len();
                    while j > 0 && want < max {
                        j -= 1;
                        if m[j] == v {
                            m.remove(j);
                            want += 1;
                        }
                    }
                } else {
                    let mut j = 0;
                    while j < m.len() && want < max {
                        if m[j] == v {
                            m.remove(j);
                            want += 1;
                        } else {
                            j += 1;
                        }
                    }
                }
                assert_eq!(removed, want);
            }
            Op::RemoveRange(s, n) => {
                l.remove_range(*s, *n);
                let end = s.saturating_add(*n).min(m.len());
                if *s < end {
                    m.drain(*s..end);
                }
            }
            Op::Retain(s, e) => {
                l.retain_range(*s, *e);
                let e = (*e).min(m.len());
                if *s >= e {
                    m.clear();
                } else {
                    m.truncate(e);
                    m.drain(..*s);
                }
            }
            Op::Range(s, e) => {
                let got: Vec<&[u8]> = l.range(*s, *e).collect();
                let e2 = (*e).min(m.len());
                let want: Vec<&[u8]> = if *s < e2 {
                    m.range(*s..e2).map(|v| &v[..]).collect()
                } else {
                    vec![]
                };
                assert_eq!(got, want);
                let mut back: Vec<&[u8]> = l.range(*s, *e).rev().collect();
                back.reverse();
                assert_eq!(back, want);
                if let Some(first) = want.first() {
                    assert_eq!(l.get(*s), Some(*first));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn behaves_like_a_deque(limit in limit(), ops in proptest::collection::vec(op(), 1..120)) {
            let mut l = ListValue::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in &ops {
                apply(&mut l, &mut m, op, limit);
                prop_assert_eq!(l.len(), m.len());
                let got: Vec<&[u8]> = l.iter().collect();
                let want: Vec<&[u8]> = m.iter().map(|v| &v[..]).collect();
                prop_assert_eq!(got, want);
                let back: Vec<&[u8]> = l.iter().rev().collect();
                prop_assert_eq!(back.len(), m.len());
                if let Err(e) = l.check_limit(limit) {
                    prop_assert!(false, "{} after {:?}", e, op);
                }
            }
        }
    }
}
