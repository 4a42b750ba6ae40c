//! Pub/Sub commands (SUBSCRIBE ... PUBSUB): rows only; the runtime executes
//! them, since subscriptions are connection state and messages cross
//! threads.

use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};

/// SUBSCRIBE and its kin (Redis 7.0's flags).
const SUB_FLAGS: Flags = Flags::PUBSUB
    .union(Flags::NOSCRIPT)
    .union(Flags::LOADING)
    .union(Flags::STALE);

/// PUBLISH and SPUBLISH.
const PUB_FLAGS: Flags = Flags::PUBSUB
    .union(Flags::LOADING)
    .union(Flags::STALE)
    .union(Flags::FAST);

/// PUBSUB's introspection subcommands.
const INTRO_FLAGS: Flags = Flags::PUBSUB.union(Flags::LOADING).union(Flags::STALE);

const fn intro(name: &'static str, arity: i32) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Pubsub),
    )
    .flags(INTRO_FLAGS)
    .acl(&["@pubsub", "@slow"])
}

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    intro("pubsub|channels", -2),
    intro("pubsub|numpat", 2),
    intro("pubsub|numsub", -2),
    intro("pubsub|shardchannels", -2),
    intro("pubsub|shardnumsub", -2),
    CommandSpec::new(
        "pubsub|help",
        2,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Pubsub),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow"]),
];

/// The pub/sub group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "subscribe",
        -2,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Subscribe),
    )
    .flags(SUB_FLAGS)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "unsubscribe",
        -1,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Unsubscribe),
    )
    .flags(SUB_FLAGS)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "psubscribe",
        -2,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Psubscribe),
    )
    .flags(SUB_FLAGS)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "punsubscribe",
        -1,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Punsubscribe),
    )
    .flags(SUB_FLAGS)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "ssubscribe",
        -2,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Ssubscribe),
    )
    .flags(SUB_FLAGS)
    .keys(1, -1, 1)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "sunsubscribe",
        -1,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Sunsubscribe),
    )
    .flags(SUB_FLAGS)
    .keys(1, -1, 1)
    .acl(&["@pubsub", "@slow"]),
    CommandSpec::new(
        "publish",
        3,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Publish),
    )
    .flags(PUB_FLAGS)
    .acl(&["@pubsub", "@fast"]),
    CommandSpec::new(
        "spublish",
        3,
        Group::PubSub,
        Exec::Runtime(RuntimeCmd::Spublish),
    )
    .flags(PUB_FLAGS)
    .keys(1, 1, 1)
    .acl(&["@pubsub", "@fast"]),
    CommandSpec::new("pubsub", -2, Group::PubSub, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .subs(PUBSUB_SUBCOMMANDS),
];
