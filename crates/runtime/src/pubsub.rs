//! Pub/Sub: subscriptions, PUBLISH fan-out across threads, PUBSUB.
//!
//! One registry for the whole server ([`PubSub`], behind a `RwLock`) maps
//! each channel, pattern and shard channel to the mailboxes of its
//! subscribers. A publisher, on whatever thread, reads it, appends the
//! message frame to every receiver's [`Mailbox`] and wakes its connection,
//! which writes what its mailbox holds between its own replies. So PUBLISH
//! knows its receiver count at once, without a round trip to other threads,
//! and a publisher's messages reach each subscriber in the order it sent
//! them (one mailbox, appended under its lock). A frame is built once per
//! protocol and kind and shared (`Bytes`) by every receiver.
//!
//! A mailbox counts the bytes it holds plus those being written; past
//! `client-output-buffer-limit pubsub` (hard limit at once, soft limit for
//! longer than its seconds) the subscriber is disconnected and its queue
//! dropped, so a subscriber that never reads costs bounded memory.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::{Bytes, BytesMut};
use ferrite_protocol::Writer;
use ferrite_storage::glob::string_match;
use indexmap::IndexSet;
use tokio::sync::Notify;

/// Limits of `client-output-buffer-limit pubsub`: bytes (0: none) and the
/// seconds the soft limit may be exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect at once beyond this many bytes.
    pub hard: u64,
    /// Disconnect when beyond this many bytes for `soft_secs`.
    pub soft: u64,
    /// See `soft`.
    pub soft_secs: u64,
}

impl Default for ObufLimit {
    /// Redis's default for pub/sub clients: 32mb 8mb 60.
    fn default() -> Self {
        ObufLimit {
            hard: 32 * 1024 * 1024,
            soft: 8 * 1024 * 1024,
            soft_secs: 60,
        }
    }
}

/// Frames waiting for one connection, written by publishers on any thread.
pub struct Mailbox {
    queue: Mutex<VecDeque<Bytes>>,
    /// Bytes queued or being written.
    bytes: AtomicU64,
    /// Unix ms since when `bytes` has been above the soft limit (0: not).
    soft_since: AtomicU64,
    /// Set when the output limit was passed: the connection must close.
    over: AtomicBool,
    /// Woken when frames arrive or the limit is passed.
    pub notify: Notify,
    /// The connection speaks RESP3 (push frames).
    resp3: AtomicBool,
    /// The connection must watch this mailbox (it subscribes, tracks, or
    /// receives another client's invalidations).
    active: AtomicBool,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("bytes", &self.bytes.load(Ordering::Relaxed))
            .field("over", &self.is_over())
            .finish()
    }
}

impl Mailbox {
    /// An empty mailbox (every connection has one, idle until activated).
    pub fn new(resp3: bool) -> Mailbox {
        Mailbox {
            queue: Mutex::new(VecDeque::new()),
            bytes: AtomicU64::new(0),
            soft_since: AtomicU64::new(0),
            over: AtomicBool::new(false),
            notify: Notify::new(),
            resp3: AtomicBool::new(resp3),
            active: AtomicBool::new(false),
        }
    }

    /// From now on the connection waits for this mailbox beside its socket.
    pub fn activate(&self) {
        self.active.store(true, Ordering::Release);
    }

    /// See [`Mailbox::activate`].
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Appends a frame with no output limit (tracking invalidations, which
    /// Redis accounts to the normal class, unlimited by default).
    pub fn push_unlimited(&self, frame: Bytes) {
        if self.is_over() {
            return;
        }
        self.bytes.fetch_add(frame.len() as u64, Ordering::AcqRel);
        self.enqueue(frame);
    }

    /// Appends a counted frame and wakes the connection.
    fn enqueue(&self, frame: Bytes) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(frame);
        self.notify.notify_one();
    }

    /// The connection switched protocol (HELLO): later frames follow it.
    pub fn set_resp3(&self, resp3: bool) {
        self.resp3.store(resp3, Ordering::Relaxed);
    }

    /// True once the output limit was passed.
    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }

    /// True when frames wait to be written.
    pub fn has_pending(&self) -> bool {
        !self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Moves the queued frames to `out`; returns how many bytes, which stay
    /// counted until [`Mailbox::written`].
    pub fn drain_into(&self, out: &mut BytesMut) -> u64 {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0u64;
        for f in q.drain(..) {
            n += f.len() as u64;
            out.extend_from_slice(&f);
        }
        n
    }

    /// `n` drained bytes reached the socket.
    pub fn written(&self, n: u64, limit: ObufLimit) {
        let left = self.bytes.fetch_sub(n, Ordering::AcqRel).saturating_sub(n);
        if limit.soft == 0 || left <= limit.soft {
            self.soft_since.store(0, Ordering::Relaxed);
        }
    }

    /// Appends a frame unless that passes the limit, in which case the
    /// mailbox is emptied and marked over.
    pub(crate) fn push_limited(&self, frame: Bytes, limit: ObufLimit, now_ms: u64) {
        if self.is_over() {
            return;
        }
        let total = self.bytes.fetch_add(frame.len() as u64, Ordering::AcqRel) + frame.len() as u64;
        let hard = limit.hard != 0 && total > limit.hard;
        let soft = limit.soft != 0 && total > limit.soft && {
            let since = self.soft_since.load(Ordering::Relaxed);
            if since == 0 {
                self.soft_since.store(now_ms, Ordering::Relaxed);
                false
            } else {
                now_ms.saturating_sub(since) > limit.soft_secs.saturating_mul(1000)
            }
        };
        if hard || soft {
            self.over.store(true, Ordering::Release);
            self.queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
            tracing::warn!(
                "closing a pub/sub or monitor client that passed client-output-buffer-limit"
            );
            self.notify.notify_one();
            return;
        }
        self.enqueue(frame);
    }
}

/// True for the commands a RESP2 connection may send while subscribed.
pub fn allowed_when_subscribed(spec: &ferrite_commands::CommandSpec) -> bool {
    use ferrite_commands::RuntimeCmd::*;
    matches!(
        spec.exec,
        ferrite_commands::Exec::Runtime(
            Subscribe
                | Unsubscribe
                | Psubscribe
                | Punsubscribe
                | Ssubscribe
                | Sunsubscribe
                | Ping
                | Quit
                | Reset
        )
    )
}

/// What a connection is subscribed to.
pub struct Subs {
    /// Channels, in subscription order.
    pub channels: IndexSet<Bytes>,
    /// Patterns, in subscription order.
    pub patterns: IndexSet<Bytes>,
    /// Shard channels, in subscription order.
    pub shard: IndexSet<Bytes>,
}

impl Subs {
    /// Channels plus patterns: the count SUBSCRIBE and friends reply.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// True when subscribed to nothing.
    pub fn is_empty(&self) -> bool {
        self.count() == 0 && self.shard.is_empty()
    }
}

type Table = HashMap<Bytes, Vec<(u64, Arc<Mailbox>)>>;

#[derive(Default)]
struct Registry {
    channels: Table,
    patterns: Table,
    shard: Table,
}

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE.
    Channel,
    /// PSUBSCRIBE.
    Pattern,
    /// SSUBSCRIBE.
    Shard,
}

impl Kind {
    fn table<'a>(&self, r: &'a mut Registry) -> &'a mut Table {
        match self {
            Kind::Channel => &mut r.channels,
            Kind::Pattern => &mut r.patterns,
            Kind::Shard => &mut r.shard,
        }
    }

    fn set<'a>(&self, s: &'a mut Subs) -> &'a mut IndexSet<Bytes> {
        match self {
            Kind::Channel => &mut s.channels,
            Kind::Pattern => &mut s.patterns,
            Kind::Shard => &mut s.shard,
        }
    }

    /// The reply's name on subscribing and unsubscribing.
    fn names(&self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }

    fn count(&self, s: &Subs) -> usize {
        match self {
            Kind::Shard => s.shard.len(),
            _ => s.count(),
        }
    }
}

/// The server's subscriptions.
#[derive(Default)]
pub struct PubSub {
    reg: RwLock<Registry>,
    limit: Mutex<ObufLimit>,
}

/// Writes a subscription reply (`subscribe ch n`, or a null channel).
fn sub_reply(out: &mut BytesMut, resp3: bool, name: &[u8], channel: Option<&[u8]>, count: usize) {
    let mut w = Writer::new(out, resp3);
    if resp3 {
        w.push(3);
    } else {
        w.array(3);
    }
    w.bulk(name);
    match channel {
        Some(c) => w.bulk(c),
        None => w.null(),
    }
    w.int(count as i64);
}

impl PubSub {
    /// What `client` is subscribed to: channels, patterns and shard
    /// channels. Scans the whole registry: for ACL changes, not hot paths.
    pub fn subscriptions_of(&self, client: u64) -> [Vec<Bytes>; 3] {
        let reg = self.reg.read().unwrap_or_else(|e| e.into_inner());
        let of = |t: &Table| -> Vec<Bytes> {
            t.iter()
                .filter(|(_, subs)| subs.iter().any(|(id, _)| *id == client))
                .map(|(name, _)| name.clone())
                .collect()
        };
        [of(&reg.channels), of(&reg.patterns), of(&reg.shard)]
    }

    /// The pub/sub output limit in force.
    pub fn limit(&self) -> ObufLimit {
        *self.limit.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the pub/sub output limit (CONFIG SET, config file).
    pub fn set_limit(&self, l: ObufLimit) {
        *self.limit.lock().unwrap_or_else(|e| e.into_inner()) = l;
    }

    /// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: adds each name (once) and writes
    /// one reply per name, in order.
    #[allow(clippy::too_many_arguments)]
    pub fn subscribe(
        &self,
        subs: &mut Option<Box<Subs>>,
        mailbox: &Arc<Mailbox>,
        client: u64,
        resp3: bool,
        kind: Kind,
        names: &[Bytes],
        out: &mut BytesMut,
    ) {
        let s = subs.get_or_insert_with(|| {
            Box::new(Subs {
                channels: IndexSet::new(),
                patterns: IndexSet::new(),
                shard: IndexSet::new(),
            })
        });
        mailbox.resp3.store(resp3, Ordering::Relaxed);
        mailbox.activate();
        let mut reg = self.reg.write().unwrap_or_else(|e| e.into_inner());
        for name in names {
            if kind.set(s).insert(name.clone()) {
                kind.table(&mut reg)
                    .entry(name.clone())
                    .or_default()
                    .push((client, mailbox.clone()));
            }
            sub_reply(out, resp3, kind.names().0, Some(name), kind.count(s));
        }
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: removes each name (every
    /// one of its kind when `names` is empty) and writes one reply per name,
    /// or one with a null name when there was nothing to remove.
    pub fn unsubscribe(
        &self,
        subs: &mut Option<Box<Subs>>,
        client: u64,
        resp3: bool,
        kind: Kind,
        names: &[Bytes],
        out: &mut BytesMut,
    ) {
        let Some(s) = subs.as_mut() else {
            if names.is_empty() {
                sub_reply(out, resp3, kind.names().1, None, 0);
            }
            for n in names {
                sub_reply(out, resp3, kind.names().1, Some(n), 0);
            }
            return;
        };
        let all: Vec<Bytes>;
        let names = if names.is_empty() {
            all = kind.set(s).iter().cloned().collect();
            if all.is_empty() {
                sub_reply(out, resp3, kind.names().1, None, kind.count(s));
            }
            &all[..]
        } else {
            names
        };
        let mut reg = self.reg.write().unwrap_or_else(|e| e.into_inner());
        for name in names {
            if kind.set(s).shift_remove(name) {
                remove(kind.table(&mut reg), name, client);
            }
            sub_reply(out, resp3, kind.names().1, Some(name), kind.count(s));
        }
        drop(reg);
        if s.is_empty() {
            *subs = None;
        }
    }

    /// Drops every subscription of a closing connection.
    pub fn forget(&self, subs: &mut Option<Box<Subs>>, client: u64) {
        let Some(s) = subs.take() else {
            return;
        };
        let mut reg = self.reg.write().unwrap_or_else(|e| e.into_inner());
        for (kind, set) in [
            (Kind::Channel, &s.channels),
            (Kind::Pattern, &s.patterns),
            (Kind::Shard, &s.shard),
        ] {
            for name in set {
                remove(kind.table(&mut reg), name, client);
            }
        }
    }

    /// PUBLISH (`shard` false) or SPUBLISH: delivers `message` to every
    /// subscriber of `channel` (and, for PUBLISH, of every matching
    /// pattern, after the channel's); returns the number of deliveries.
    pub fn publish(&self, channel: &[u8], message: &[u8], shard: bool) -> usize {
        let limit = self.limit();
        let now = crate::server::Shared::now_ms();
        let reg = self.reg.read().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        let table = if shard { &reg.shard } else { &reg.channels };
        if let Some(list) = table.get(channel) {
            let kind: &[u8] = if shard { b"smessage" } else { b"message" };
            let mut frames = Frames::default();
            for (_, mb) in list {
                let resp3 = mb.resp3.load(Ordering::Relaxed);
                mb.push_limited(frames.get(resp3, kind, None, channel, message), limit, now);
                n += 1;
            }
        }
        if !shard {
            for (pattern, list) in &reg.patterns {
                if !string_match(pattern, channel, false) {
                    continue;
                }
                let mut frames = Frames::default();
                for (_, mb) in list {
                    let resp3 = mb.resp3.load(Ordering::Relaxed);
                    let f = frames.get(resp3, b"pmessage", Some(pattern), channel, message);
                    mb.push_limited(f, limit, now);
                    n += 1;
                }
            }
        }
        n
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS: the channels with subscribers
    /// matching `pattern` (all without one).
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let reg = self.reg.read().unwrap_or_else(|e| e.into_inner());
        let table = if shard { &reg.shard } else { &reg.channels };
        table
            .keys()
            .filter(|c| pattern.is_none_or(|p| string_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB: the subscriber count of one channel.
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let reg = self.reg.read().unwrap_or_else(|e| e.into_inner());
        let table = if shard { &reg.shard } else { &reg.channels };
        table.get(channel).map_or(0, Vec::len)
    }

    /// Channels, patterns and shard channels with subscribers (INFO).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let reg = self.reg.read().unwrap_or_else(|e| e.into_inner());
        (reg.channels.len(), reg.patterns.len(), reg.shard.len())
    }

    /// PUBSUB NUMPAT: the number of distinct patterns subscribed to.
    pub fn numpat(&self) -> usize {
        self.reg
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .patterns
            .len()
    }
}

fn remove(table: &mut Table, name: &[u8], client: u64) {
    if let Some(list) = table.get_mut(name) {
        list.retain(|(c, _)| *c != client);
        if list.is_empty() {
            table.remove(name);
        }
    }
}

/// The frames of one message, built on first use per protocol.
#[derive(Default)]
struct Frames {
    resp2: Option<Bytes>,
    resp3: Option<Bytes>,
}

impl Frames {
    fn get(
        &mut self,
        resp3: bool,
        kind: &[u8],
        pattern: Option<&[u8]>,
        channel: &[u8],
        message: &[u8],
    ) -> Bytes {
        let slot = if resp3 {
            &mut self.resp3
        } else {
            &mut self.resp2
        };
        slot.get_or_insert_with(|| {
            let mut b = BytesMut::with_capacity(message.len() + channel.len() + 48);
            let mut w = Writer::new(&mut b, resp3);
            let n = if pattern.is_some() { 4 } else { 3 };
            if resp3 {
                w.push(n);
            } else {
                w.array(n);
            }
            w.bulk(kind);
            if let Some(p) = pattern {
                w.bulk(p);
            }
            w.bulk(channel);
            w.bulk(message);
            b.freeze()
        })
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mb: &Mailbox) -> Vec<u8> {
        let mut b = BytesMut::new();
        let n = mb.drain_into(&mut b);
        mb.written(n, ObufLimit::default());
        b.to_vec()
    }

    #[test]
    fn publish_reaches_channels_then_patterns_once_per_subscription() {
        let ps = PubSub::default();
        let (mut a, mut b) = (None, None);
        let (mb_a, mb_b) = (Arc::new(Mailbox::new(false)), Arc::new(Mailbox::new(true)));
        let mut out = BytesMut::new();
        ps.subscribe(
            &mut a,
            &mb_a,
            1,
            false,
            Kind::Channel,
            &[Bytes::from("news")],
            &mut out,
        );
        ps.subscribe(
            &mut a,
            &mb_a,
            1,
            false,
            Kind::Pattern,
            &[Bytes::from("n*")],
            &mut out,
        );
        ps.subscribe(
            &mut b,
            &mb_b,
            2,
            true,
            Kind::Pattern,
            &[Bytes::from("n*")],
            &mut out,
        );
        assert_eq!(ps.publish(b"news", b"hi", false), 3);
        assert_eq!(ps.publish(b"other", b"hi", false), 0);
        assert_eq!(
            drain(&mb_a),
            b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            drain(&mb_b),
            b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(ps.numpat(), 1);
        assert_eq!(ps.numsub(false, b"news"), 1);
        ps.forget(&mut a, 1);
        assert_eq!(ps.publish(b"news", b"hi", false), 1);
        ps.unsubscribe(&mut b, 2, true, Kind::Pattern, &[], &mut out);
        assert!(b.is_none());
        assert_eq!(ps.publish(b"news", b"hi", false), 0);
        assert_eq!(ps.numpat(), 0);
    }

    #[test]
    fn a_mailbox_past_the_hard_limit_is_dropped() {
        let ps = PubSub::default();
        // Each frame is 121 bytes: ten fit in 1300, the eleventh does not.
        ps.set_limit(ObufLimit {
            hard: 1300,
            soft: 0,
            soft_secs: 0,
        });
        let mut a = None;
        let mb = Arc::new(Mailbox::new(false));
        let mut out = BytesMut::new();
        ps.subscribe(
            &mut a,
            &mb,
            1,
            false,
            Kind::Channel,
            &[Bytes::from("c")],
            &mut out,
        );
        for _ in 0..10 {
            ps.publish(b"c", &[b'x'; 90], false);
        }
        assert!(!mb.is_over());
        ps.publish(b"c", &[b'x'; 90], false);
        assert!(mb.is_over());
        assert!(drain(&mb).is_empty(), "the queue is dropped");
    }
}
