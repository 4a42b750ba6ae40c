//! Transaction commands (MULTI, EXEC, DISCARD, WATCH, UNWATCH): rows only;
//! the runtime executes them, since a transaction is connection state and
//! EXEC runs other commands across shards.

use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};

/// Flags MULTI, DISCARD, WATCH and UNWATCH share (Redis 7.0's).
const TX_FLAGS: Flags = Flags::NOSCRIPT
    .union(Flags::LOADING)
    .union(Flags::STALE)
    .union(Flags::FAST)
    .union(Flags::ALLOW_BUSY);

/// The transactions group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "multi",
        1,
        Group::Transactions,
        Exec::Runtime(RuntimeCmd::Multi),
    )
    .flags(TX_FLAGS)
    .acl(&["@fast", "@transaction"]),
    CommandSpec::new(
        "exec",
        1,
        Group::Transactions,
        Exec::Runtime(RuntimeCmd::Exec),
    )
    .flags(
        Flags::NOSCRIPT
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::SKIP_SLOWLOG),
    )
    .acl(&["@slow", "@transaction"]),
    CommandSpec::new(
        "discard",
        1,
        Group::Transactions,
        Exec::Runtime(RuntimeCmd::Discard),
    )
    .flags(TX_FLAGS)
    .acl(&["@fast", "@transaction"]),
    CommandSpec::new(
        "watch",
        -2,
        Group::Transactions,
        Exec::Runtime(RuntimeCmd::Watch),
    )
    .flags(TX_FLAGS)
    .keys(1, -1, 1)
    .acl(&["@fast", "@transaction"]),
    CommandSpec::new(
        "unwatch",
        1,
        Group::Transactions,
        Exec::Runtime(RuntimeCmd::Unwatch),
    )
    .flags(TX_FLAGS)
    .acl(&["@fast", "@transaction"]),
];
