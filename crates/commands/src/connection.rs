//! Connection commands (PING, ECHO, SELECT, HELLO, AUTH, CLIENT ...): rows only;
//! the runtime executes them because they concern the connection itself.

use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};

/// The connection group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "ping",
        -1,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Ping),
    )
    .flags(Flags::FAST)
    .acl(&["@fast", "@connection"])
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    CommandSpec::new(
        "echo",
        2,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Echo),
    )
    .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
    .acl(&["@fast", "@connection"]),
    CommandSpec::new(
        "select",
        2,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Select),
    )
    .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
    .acl(&["@fast", "@connection"]),
    CommandSpec::new(
        "quit",
        -1,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Quit),
    )
    .flags(
        Flags::NOSCRIPT
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::FAST)
            .union(Flags::NO_AUTH)
            .union(Flags::ALLOW_BUSY),
    )
    .acl(&["@fast", "@connection"]),
    CommandSpec::new(
        "reset",
        1,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Reset),
    )
    .flags(
        Flags::NOSCRIPT
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::FAST)
            .union(Flags::NO_AUTH)
            .union(Flags::ALLOW_BUSY),
    )
    .acl(&["@fast", "@connection"]),
    CommandSpec::new(
        "hello",
        -1,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Hello),
    )
    .flags(
        Flags::NOSCRIPT
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::FAST)
            .union(Flags::NO_AUTH)
            .union(Flags::ALLOW_BUSY),
    )
    .acl(&["@fast", "@connection"]),
    CommandSpec::new(
        "auth",
        -2,
        Group::Connection,
        Exec::Runtime(RuntimeCmd::Auth),
    )
    .flags(
        Flags::NOSCRIPT
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::FAST)
            .union(Flags::NO_AUTH)
            .union(Flags::ALLOW_BUSY),
    )
    .acl(&["@fast", "@connection"]),
    CommandSpec::new("client", -2, Group::Connection, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .subs(&[
            CommandSpec::new(
                "client|pause",
                -3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"])
            .doc(
                "Holds every command, or those that may write, for a while.",
                "3.0.0",
            ),
            CommandSpec::new(
                "client|unpause",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"])
            .doc("Ends a CLIENT PAUSE now.", "6.2.0"),
            CommandSpec::new(
                "client|no-evict",
                3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"])
            .doc(
                "Marks the connection as one client eviction spares.",
                "7.0.0",
            ),
            CommandSpec::new(
                "client|no-touch",
                3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"])
            .doc(
                "Lets the connection's commands leave keys' access time alone.",
                "7.2.0",
            ),
            CommandSpec::new(
                "client|help",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::LOADING.union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|info",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"])
            .tips(&["nondeterministic_output"]),
            CommandSpec::new(
                "client|kill",
                -3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"]),
            CommandSpec::new(
                "client|unblock",
                -3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"]),
            CommandSpec::new(
                "client|reply",
                3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|setname",
                3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|list",
                -2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous", "@connection"])
            .tips(&["nondeterministic_output"]),
            CommandSpec::new(
                "client|getname",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|setinfo",
                4,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"])
            .doc(
                "Sets information about the client connection (added in Redis 7.2).",
                "7.2.0",
            ),
            CommandSpec::new(
                "client|id",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|tracking",
                -3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|caching",
                3,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|getredir",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
            CommandSpec::new(
                "client|trackinginfo",
                2,
                Group::Connection,
                Exec::Runtime(RuntimeCmd::Client),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow", "@connection"]),
        ]),
];
