//! Keyspace notifications: publishing the events commands produce
//! (`Ctx::events`) and the `expired` events of keys whose time came, on
//! Redis's channels, through the server's pub/sub (from the shard thread
//! where the key lives).

use ferrite_commands::ctx::notify;
use ferrite_commands::KeyEvent;

use crate::pubsub::PubSub;
use crate::shard::Shard;

/// Publishes one event on `__keyspace@<db>__:<key>` (K) and
/// `__keyevent@<db>__:<event>` (E), as `flags` choose.
pub fn publish(pubsub: &PubSub, flags: u32, ev: &KeyEvent) {
    if flags & notify::KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{}__:", ev.db).into_bytes();
        ch.extend_from_slice(&ev.key);
        pubsub.publish(&ch, ev.event.as_bytes(), false);
    }
    if flags & notify::KEYEVENT != 0 {
        let ch = format!("__keyevent@{}__:{}", ev.db, ev.event);
        pubsub.publish(ch.as_bytes(), &ev.key, false);
    }
}

/// True when `flags` publish events of `class`.
fn enabled(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

/// After a command (or an active-expiry pass) on `shard`: journals the
/// keys that expired meanwhile and the command's `effect` (`journal.rs`),
/// publishes the `expired` events of those keys, then the command's own
/// `events` (Redis publishes an expiry where the lookup meets it, which is
/// before the command's events), then settles its writes for WATCH and
/// client-side caching (expired keys invalidate too).
pub fn after_command(
    shard: &mut Shard,
    modified: bool,
    events: Vec<KeyEvent>,
    effect: crate::journal::Effect<'_>,
) {
    let flags = shard.settings.notify;
    sync_expired_recording(shard);
    if shard.journaling {
        crate::journal::record(shard, effect);
    }
    if shard.notify_expired && enabled(flags, notify::EXPIRED) {
        let pubsub = shard.hub.clone();
        for (d, db) in shard.dbs.iter_mut().enumerate() {
            if !db.has_expired() {
                continue;
            }
            for key in db.peek_expired() {
                if let Some(h) = &pubsub {
                    let ev = KeyEvent {
                        class: notify::EXPIRED,
                        event: "expired",
                        db: d,
                        key: key.clone(),
                    };
                    publish(&h.pubsub, flags, &ev);
                }
            }
        }
    }
    if !events.is_empty() {
        if let Some(h) = shard.hub.clone() {
            for ev in &events {
                publish(&h.pubsub, flags, ev);
            }
        }
    }
    shard.settle_writes(modified);
    if shard.notify_expired {
        for db in &mut shard.dbs {
            db.take_expired();
        }
    }
}

/// Makes the databases record expired keys exactly while someone needs
/// them: `expired` events are published, or the journal is on (tracking
/// may record them anyway). Notes whether writes are journaled.
pub fn sync_expired_recording(shard: &mut Shard) {
    let journaling = shard.hub.as_ref().is_some_and(|h| h.journal.is_on());
    shard.journaling = journaling;
    let want = journaling || enabled(shard.settings.notify, notify::EXPIRED);
    if want != shard.notify_expired {
        shard.notify_expired = want;
        for db in &mut shard.dbs {
            db.set_expired_recording(want);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_needs_k_or_e() {
        assert!(enabled(notify::KEYSPACE | notify::EXPIRED, notify::EXPIRED));
        assert!(!enabled(notify::EXPIRED, notify::EXPIRED));
        assert!(!enabled(notify::KEYEVENT | notify::STRING, notify::EXPIRED));
    }
}
