//! Server commands (DBSIZE, FLUSHDB, INFO, CONFIG, COMMAND ...): rows only;
//! the runtime executes them because they concern every shard or the server.

use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};

/// The server group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, Group::Server, Exec::Runtime(RuntimeCmd::DbSize))
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(&["@keyspace", "@read", "@fast"])
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"]),
    CommandSpec::new("flushdb", -1, Group::Server, Exec::Runtime(RuntimeCmd::FlushDb))
        .flags(Flags::WRITE)
        .acl(&["@keyspace", "@write", "@slow", "@dangerous"])
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    CommandSpec::new("flushall", -1, Group::Server, Exec::Runtime(RuntimeCmd::FlushAll))
        .flags(Flags::WRITE)
        .acl(&["@keyspace", "@write", "@slow", "@dangerous"])
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    CommandSpec::new("swapdb", 3, Group::Server, Exec::Runtime(RuntimeCmd::SwapDb))
        .flags(Flags::WRITE.union(Flags::FAST))
        .acl(&["@keyspace", "@write", "@fast", "@dangerous"]),
    CommandSpec::new("time", 1, Group::Server, Exec::Runtime(RuntimeCmd::Time))
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(&["@fast"])
        .tips(&["nondeterministic_output"]),
    CommandSpec::new("command", -1, Group::Server, Exec::Container)
        .flags(Flags::LOADING.union(Flags::STALE))
        .acl(&["@slow", "@connection"])
        .tips(&["nondeterministic_output_order"])
        .subs(&[
            CommandSpec::new("command|info", -2, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"])
                .tips(&["nondeterministic_output_order"]),
            CommandSpec::new("command|docs", -2, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"])
                .tips(&["nondeterministic_output_order"]),
            CommandSpec::new("command|getkeys", -4, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"]),
            CommandSpec::new("command|list", -2, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"])
                .tips(&["nondeterministic_output_order"]),
            CommandSpec::new("command|help", 2, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"]),
            CommandSpec::new("command|count", 2, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"]),
            CommandSpec::new("command|getkeysandflags", -4, Group::Server, Exec::Runtime(RuntimeCmd::Command))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow", "@connection"]),
        ]),
    CommandSpec::new("info", -1, Group::Server, Exec::Runtime(RuntimeCmd::Info))
        .flags(Flags::LOADING.union(Flags::STALE))
        .acl(&["@slow", "@dangerous"])
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    CommandSpec::new("config", -2, Group::Server, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .subs(&[
            CommandSpec::new("config|resetstat", 2, Group::Server, Exec::Runtime(RuntimeCmd::Config))
                .flags(Flags::ADMIN.union(Flags::NOSCRIPT).union(Flags::LOADING).union(Flags::STALE))
                .acl(&["@admin", "@slow", "@dangerous"]),
            CommandSpec::new("config|help", 2, Group::Server, Exec::Runtime(RuntimeCmd::Config))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow"]),
            CommandSpec::new("config|get", -3, Group::Server, Exec::Runtime(RuntimeCmd::Config))
                .flags(Flags::ADMIN.union(Flags::NOSCRIPT).union(Flags::LOADING).union(Flags::STALE))
                .acl(&["@admin", "@slow", "@dangerous"]),
            CommandSpec::new("config|set", -4, Group::Server, Exec::Runtime(RuntimeCmd::Config))
                .flags(Flags::ADMIN.union(Flags::NOSCRIPT).union(Flags::LOADING).union(Flags::STALE))
                .acl(&["@admin", "@slow", "@dangerous"])
                .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
        ]),
    CommandSpec::new("shutdown", -1, Group::Server, Exec::Runtime(RuntimeCmd::Shutdown))
        .flags(Flags::ADMIN.union(Flags::NOSCRIPT).union(Flags::LOADING).union(Flags::STALE).union(Flags::NO_MULTI).union(Flags::ALLOW_BUSY))
        .acl(&["@admin", "@slow", "@dangerous"]),
    CommandSpec::new("lastsave", 1, Group::Server, Exec::Runtime(RuntimeCmd::Lastsave))
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(&["@admin", "@fast", "@dangerous"])
        .tips(&["nondeterministic_output"]),
];
