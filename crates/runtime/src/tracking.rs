//! Client-side caching: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO
//! and the invalidation messages.
//!
//! * **Default mode.** When a tracking client runs a read-only command, its
//!   keys are remembered in the tracking table *of the shard that holds
//!   them*, in the same step as the read (inline, in the remote batch, or at
//!   the check-in of a multi-shard command), so no write can slip between
//!   the read and the remembering. Like Redis's, the table is keyed by key
//!   name whatever the database.
//! * **Invalidation.** While a shard has a tracking table entry or some
//!   client tracks prefixes (BCAST), its databases record every key a
//!   command writes (the same record WATCH uses). After a command that
//!   changed something, each written key that is in the table is removed
//!   from it and an invalidation goes to every client that had read it
//!   (except the writer itself with NOLOOP); keys matching BCAST prefixes
//!   are sent to those prefixes' clients, one message per prefix. Expired
//!   keys invalidate too; FLUSHDB/FLUSHALL send a null invalidation to every
//!   tracking client.
//! * **Delivery** goes through the target connection's mailbox (as pub/sub
//!   messages do): a RESP3 client gets `>2 invalidate [keys]`; with
//!   REDIRECT the target gets that push if it speaks RESP3, or a
//!   `__redis__:invalidate` pub/sub message if it is a RESP2 subscriber
//!   (and nothing otherwise, as in Redis). A redirect target that is gone
//!   earns the tracking client a `tracking-redir-broken` push.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use bytes::{Bytes, BytesMut};
use ferrite_commands::util::{arg, is, parse_i64};
use ferrite_commands::{CmdError, CmdResult};
use ferrite_protocol::Writer;

use crate::clients::ClientInfo;
use crate::conn::{Conn, Session};
use crate::shard::Shard;

/// A client's tracking configuration (kept in its `ClientInfo`, read by
/// shard threads when they invalidate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackCfg {
    /// Where invalidations go (0: the client itself).
    pub redirect: u64,
    /// Broadcast mode, with its prefixes (empty: every key).
    pub bcast: bool,
    /// The prefixes (BCAST).
    pub prefixes: Vec<Bytes>,
    /// Only keys read right after CLIENT CACHING yes are tracked.
    pub optin: bool,
    /// Keys read right after CLIENT CACHING no are not tracked.
    pub optout: bool,
    /// No invalidation for the client's own writes.
    pub noloop: bool,
    /// The redirect target was found gone.
    pub broken: bool,
}

/// Clients tracking prefixes (BCAST), for every shard.
#[derive(Default)]
pub struct Broadcast {
    list: RwLock<Vec<(Bytes, u64)>>,
}

impl Broadcast {
    fn add(&self, client: u64, prefixes: &[Bytes]) {
        let mut l = self.list.write().unwrap_or_else(|e| e.into_inner());
        if prefixes.is_empty() && !l.iter().any(|(p, c)| *c == client && p.is_empty()) {
            l.push((Bytes::new(), client));
        }
        for p in prefixes {
            if !l.iter().any(|(q, c)| *c == client && q == p) {
                l.push((p.clone(), client));
            }
        }
    }

    /// Drops `client`'s prefixes.
    pub fn remove(&self, client: u64) {
        self.list
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(_, c)| *c != client);
    }

    /// Distinct prefixes tracked (INFO `tracking_total_prefixes`).
    pub fn prefixes(&self) -> usize {
        let l = self.list.read().unwrap_or_else(|e| e.into_inner());
        let mut ps: Vec<&Bytes> = l.iter().map(|(p, _)| p).collect();
        ps.sort();
        ps.dedup();
        ps.len()
    }

    fn is_empty(&self) -> bool {
        self.list
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// One shard's tracking table: key name → the clients that read it.
#[derive(Default)]
pub struct Table {
    keys: HashMap<Bytes, Vec<u64>, ahash::RandomState>,
    /// Whether the shard's databases record written keys for tracking.
    recording: bool,
}

impl Table {
    /// Whether the shard's databases record written keys for tracking.
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Keys in the table and (key, client) pairs (INFO).
    pub fn sizes(&self) -> (usize, usize) {
        (self.keys.len(), self.keys.values().map(Vec::len).sum())
    }
}

/// Makes `shard`'s databases record written keys exactly while tracking
/// needs them (a table entry here, or BCAST anywhere).
pub fn sync_recording(shard: &mut Shard) {
    let bcast = shard.hub.as_ref().is_some_and(|h| !h.bcast.is_empty());
    let want = bcast || !shard.tracking.keys.is_empty();
    if want != shard.tracking.recording {
        shard.tracking.recording = want;
        for db in &mut shard.dbs {
            db.set_recording(want);
        }
    }
}

/// Remembers that `client` read `keys` (on this shard). Past this shard's
/// share of `tracking-table-max-keys`, other keys are forgotten, their
/// readers told to drop them, as Redis evicts from its table.
pub fn remember<'a>(shard: &mut Shard, client: u64, keys: impl Iterator<Item = &'a [u8]>) {
    for k in keys {
        let list = shard
            .tracking
            .keys
            .entry(Bytes::copy_from_slice(k))
            .or_default();
        if !list.contains(&client) {
            list.push(client);
        }
    }
    let max = shard.settings.tracking_table_max_keys;
    if max > 0 {
        let share = max.div_ceil(shard.nshards.max(1) as u64) as usize;
        let over = shard.tracking.keys.len().saturating_sub(share);
        if over > 0 {
            let evicted: Vec<Bytes> = shard.tracking.keys.keys().take(over).cloned().collect();
            // Their readers drop them as if they were written, by nobody
            // (no NOLOOP skip).
            forget(shard, &evicted, 0);
        }
    }
    sync_recording(shard);
}

/// Forgets the whole table (FLUSHALL).
pub fn clear(shard: &mut Shard) {
    shard.tracking.keys.clear();
    sync_recording(shard);
}

/// After a command changed `keys` on this shard (written by `writer`):
/// invalidations for the clients that read them and for BCAST prefixes.
pub fn written(shard: &mut Shard, keys: &[Bytes], writer: u64) {
    let Some(hub) = shard.hub.clone() else {
        return;
    };
    forget(shard, keys, writer);
    if !hub.bcast.is_empty() {
        // One message per (client, prefix) with the keys under it, the
        // prefixes in byte order as Redis walks its prefix tree.
        let mut list = hub
            .bcast
            .list
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        for (prefix, client) in list {
            let under: Vec<Bytes> = keys
                .iter()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            if !under.is_empty() {
                send(&hub, client, Some(&under), writer);
            }
        }
    }
    sync_recording(shard);
}

/// Removes `keys` from the table, sending each one's readers an
/// invalidation (not to `writer` with NOLOOP).
fn forget(shard: &mut Shard, keys: &[Bytes], writer: u64) {
    let Some(hub) = shard.hub.clone() else {
        return;
    };
    let mut targets: Vec<(u64, Bytes)> = Vec::new();
    for k in keys {
        if let Some(clients) = shard.tracking.keys.remove(k) {
            for c in clients {
                targets.push((c, k.clone()));
            }
        }
    }
    for (c, k) in targets {
        send(&hub, c, Some(std::slice::from_ref(&k)), writer);
    }
}

/// Sends a null invalidation (the whole cache) to every tracking client.
pub fn flushed(hub: &crate::server::Shared) {
    for info in hub.clients.snapshot() {
        let on = info.tracking.lock().map(|t| t.is_some()).unwrap_or(false);
        if on {
            send(hub, info.id, None, 0);
        }
    }
}

/// Sends one invalidation (`keys` None: everything) meant for `client`.
fn send(hub: &crate::server::Shared, client: u64, keys: Option<&[Bytes]>, writer: u64) {
    let Some(info) = hub.clients.get(client) else {
        return;
    };
    let cfg = match info.tracking.lock() {
        Ok(t) => match t.as_ref() {
            Some(c) => c.clone(),
            None => return,
        },
        Err(_) => return,
    };
    if cfg.noloop && writer == client && keys.is_some() {
        return;
    }
    let target = if cfg.redirect != 0 {
        match hub.clients.get(cfg.redirect) {
            Some(t) => t,
            None => {
                redirect_broken(&info, cfg.redirect);
                return;
            }
        }
    } else {
        info.clone()
    };
    let resp3 = target.resp.load(Ordering::Relaxed) >= 3;
    let mut b = BytesMut::new();
    let mut w = Writer::new(&mut b, resp3);
    if resp3 {
        w.push(2);
        w.bulk(b"invalidate");
    } else if cfg.redirect != 0 && target.client_type() == crate::clients::ClientType::PubSub {
        w.array(3);
        w.bulk(b"message");
        w.bulk(b"__redis__:invalidate");
    } else {
        // RESP2 without a subscribed redirect target: nowhere to say it.
        return;
    }
    match keys {
        Some(keys) => {
            w.array(keys.len());
            for k in keys {
                w.bulk(k);
            }
        }
        None => w.null(),
    }
    target.mailbox.push_unlimited(b.freeze());
}

/// Tells a RESP3 tracking client, once, that its redirect target is gone.
fn redirect_broken(info: &ClientInfo, redirect: u64) {
    let first = match info.tracking.lock() {
        Ok(mut t) => match t.as_mut() {
            Some(c) if !c.broken => {
                c.broken = true;
                true
            }
            _ => false,
        },
        Err(_) => false,
    };
    if first && info.resp.load(Ordering::Relaxed) >= 3 {
        let mut b = BytesMut::new();
        let mut w = Writer::new(&mut b, true);
        w.push(2);
        w.bulk(b"tracking-redir-broken");
        w.int(redirect as i64);
        info.mailbox.push_unlimited(b.freeze());
    }
}

/// True when `conn`'s read of a read-only command is to be remembered now
/// (tracking on, not BCAST, and OPTIN/OPTOUT's CLIENT CACHING allows it).
pub fn tracks_reads(conn: &Conn) -> bool {
    match &conn.tracking {
        Some(t) if !t.bcast => {
            if t.optin {
                conn.caching == Some(true)
            } else if t.optout {
                conn.caching != Some(false)
            } else {
                true
            }
        }
        _ => false,
    }
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP]
pub async fn client_tracking(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let on = arg(argv, 2);
    let mut cfg = TrackCfg::default();
    let mut i = 3;
    while i < argv.len() {
        let a = arg(argv, i);
        let more = i + 1 < argv.len();
        if is(a, "redirect") && more {
            i += 1;
            if cfg.redirect != 0 {
                return Err(CmdError::other(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = parse_i64(arg(argv, i))?;
            let id = u64::try_from(id).unwrap_or(0);
            if id == 0 || s.worker.shared.clients.get(id).is_none() {
                return Err(CmdError::other(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            cfg.redirect = id;
        } else if is(a, "bcast") {
            cfg.bcast = true;
        } else if is(a, "optin") {
            cfg.optin = true;
        } else if is(a, "optout") {
            cfg.optout = true;
        } else if is(a, "noloop") {
            cfg.noloop = true;
        } else if is(a, "prefix") && more {
            i += 1;
            cfg.prefixes.push(arg(argv, i).to_vec().into());
        } else {
            return Err(CmdError::SYNTAX);
        }
        i += 1;
    }
    let shared = s.worker.shared.clone();
    if is(on, "off") {
        tracking_off(&shared, conn);
        s.writer(conn.resp3).simple(b"OK");
        return Ok(());
    }
    if !is(on, "on") {
        return Err(CmdError::SYNTAX);
    }
    if let Some(old) = &conn.tracking {
        if old.bcast != cfg.bcast {
            return Err(CmdError::other("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
    }
    if !cfg.bcast && !cfg.prefixes.is_empty() {
        return Err(CmdError::other(
            "ERR PREFIX option requires BCAST mode to be enabled",
        ));
    }
    if cfg.optin && cfg.optout {
        return Err(CmdError::other(
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    let switching = conn
        .tracking
        .as_ref()
        .is_some_and(|old| (cfg.optin && old.optout) || (cfg.optout && old.optin));
    if switching {
        return Err(CmdError::other("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if cfg.bcast {
        check_prefixes(conn, &cfg.prefixes)?;
    }
    // Prefixes accumulate over calls; the other options are the last call's.
    if let Some(old) = &conn.tracking {
        let mut all = old.prefixes.clone();
        for p in cfg.prefixes.drain(..) {
            if !all.contains(&p) {
                all.push(p);
            }
        }
        cfg.prefixes = all;
    }
    if cfg.bcast {
        shared.bcast.add(conn.id, &cfg.prefixes);
        // Every shard records written keys from now on, before +OK.
        crate::coord::fan_out(&s.worker, s.held_tx(), sync_recording).await?;
    }
    if let Ok(mut t) = conn.info.tracking.lock() {
        *t = Some(cfg.clone());
    }
    conn.info.mailbox.activate();
    if cfg.redirect != 0 {
        if let Some(target) = shared.clients.get(cfg.redirect) {
            target.mailbox.activate();
        }
    }
    conn.tracking = Some(cfg);
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// Redis refuses BCAST prefixes where one is a prefix of another (among
/// the new ones and against the client's earlier ones).
fn check_prefixes(conn: &Conn, new: &[Bytes]) -> CmdResult {
    let old: &[Bytes] = conn.tracking.as_ref().map_or(&[], |t| &t.prefixes);
    let overlap = |p: &Bytes, q: &Bytes| q.starts_with(p) || p.starts_with(q);
    for (i, p) in new.iter().enumerate() {
        let (q, whose) = match old.iter().find(|q| overlap(p, q)) {
            Some(q) => (q, "an existing"),
            None => match new.iter().skip(i + 1).find(|q| overlap(p, q)) {
                Some(q) => (q, "another provided"),
                None => continue,
            },
        };
        return Err(CmdError::other(format!(
            "ERR Prefix '{}' overlaps with {whose} prefix '{}'. Prefixes for a single client must not overlap.",
            String::from_utf8_lossy(p),
            String::from_utf8_lossy(q)
        )));
    }
    Ok(())
}

/// Turns tracking off for `conn` (CLIENT TRACKING OFF, RESET, disconnect).
pub fn tracking_off(shared: &Arc<crate::server::Shared>, conn: &mut Conn) {
    if let Some(t) = conn.tracking.take() {
        if t.bcast {
            shared.bcast.remove(conn.id);
        }
    }
    conn.caching = None;
    if let Ok(mut t) = conn.info.tracking.lock() {
        *t = None;
    }
}

/// CLIENT CACHING YES|NO
pub fn client_caching(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let Some(t) = conn.tracking.as_ref() else {
        return Err(CmdError::other("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"));
    };
    let v = arg(argv, 2);
    if is(v, "yes") {
        if !t.optin {
            return Err(CmdError::other(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
        conn.caching = Some(true);
    } else if is(v, "no") {
        if !t.optout {
            return Err(CmdError::other(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
        conn.caching = Some(false);
    } else {
        return Err(CmdError::SYNTAX);
    }
    s.writer(conn.resp3).simple(b"OK");
    Ok(())
}

/// CLIENT GETREDIR
pub fn client_getredir(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let v = conn.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    s.writer(conn.resp3).int(v);
    Ok(())
}

/// CLIENT TRACKINGINFO
pub fn client_trackinginfo(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let broken = conn
        .info
        .tracking
        .lock()
        .ok()
        .and_then(|t| t.as_ref().map(|c| c.broken))
        .unwrap_or(false);
    let mut flags: Vec<&[u8]> = Vec::new();
    match &conn.tracking {
        None => flags.push(b"off"),
        Some(t) => {
            flags.push(b"on");
            if t.bcast {
                flags.push(b"bcast");
            }
            if t.optin {
                flags.push(b"optin");
                if conn.caching == Some(true) {
                    flags.push(b"caching-yes");
                }
            }
            if t.optout {
                flags.push(b"optout");
                if conn.caching == Some(false) {
                    flags.push(b"caching-no");
                }
            }
            if t.noloop {
                flags.push(b"noloop");
            }
            if broken {
                flags.push(b"broken_redirect");
            }
        }
    }
    let redirect = conn.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    // In byte order, as Redis walks its prefix tree.
    let mut prefixes: Vec<Bytes> = conn
        .tracking
        .as_ref()
        .map(|t| t.prefixes.clone())
        .unwrap_or_default();
    prefixes.sort();
    let mut w = s.writer(conn.resp3);
    w.map(3);
    w.bulk(b"flags");
    w.set(flags.len());
    for f in flags {
        w.bulk(f);
    }
    w.bulk(b"redirect");
    w.int(redirect);
    w.bulk(b"prefixes");
    w.array(prefixes.len());
    for p in &prefixes {
        w.bulk(p);
    }
    Ok(())
}
