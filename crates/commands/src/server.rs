//! Server commands (DBSIZE, FLUSHDB, INFO, CONFIG, COMMAND, DEBUG ...) and the
//! keyspace-wide generic commands KEYS, SCAN and RANDOMKEY: rows only. The
//! runtime executes them because they concern every shard or the server
//! itself; their shard-local steps (`op_keys`, `op_scan`) live in
//! [`crate::generic`].

use bytes::Bytes;

use crate::ctx::{notify, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};
use crate::util::{arg, is, parse_i64};

/// The server group's rows, then the generic group's keyspace-wide rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "dbsize",
        1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::DbSize),
    )
    .flags(Flags::READONLY.union(Flags::FAST))
    .acl(&["@keyspace", "@read", "@fast"])
    .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
    .doc("Counts the keys of the selected database.", "1.0.0"),
    CommandSpec::new(
        "flushdb",
        -1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::FlushDb),
    )
    .flags(Flags::WRITE)
    .acl(&["@keyspace", "@write", "@slow", "@dangerous"])
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
    .doc("Deletes every key of the selected database.", "1.0.0"),
    CommandSpec::new(
        "flushall",
        -1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::FlushAll),
    )
    .flags(Flags::WRITE)
    .acl(&["@keyspace", "@write", "@slow", "@dangerous"])
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
    .doc("Deletes every key of every database.", "1.0.0"),
    CommandSpec::new(
        "swapdb",
        3,
        Group::Server,
        Exec::Runtime(RuntimeCmd::SwapDb),
    )
    .flags(Flags::WRITE.union(Flags::FAST))
    .acl(&["@keyspace", "@write", "@fast", "@dangerous"])
    .doc("Exchanges the contents of two databases.", "4.0.0"),
    CommandSpec::new("time", 1, Group::Server, Exec::Runtime(RuntimeCmd::Time))
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(&["@fast"])
        .tips(&["nondeterministic_output"])
        .doc(
            "Tells the server's clock: Unix seconds and microseconds.",
            "2.6.0",
        ),
    // COMMAND alone is a command of its own, so the row is not a pure
    // container: the runtime's handler resolves the subcommands itself.
    CommandSpec::new(
        "command",
        -1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .tips(&["nondeterministic_output_order"])
    .doc("Describes every command the server knows.", "2.8.13")
    .subs(COMMAND_SUBCOMMANDS),
    CommandSpec::new("info", -1, Group::Server, Exec::Runtime(RuntimeCmd::Info))
        .flags(Flags::LOADING.union(Flags::STALE))
        .acl(&["@slow", "@dangerous"])
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ])
        .doc(
            "Reports the server's state and counters, by section.",
            "1.0.0",
        ),
    CommandSpec::new("config", -2, Group::Server, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .doc("Container for the configuration commands.", "2.0.0")
        .subs(CONFIG_SUBCOMMANDS),
    CommandSpec::new(
        "shutdown",
        -1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Shutdown),
    )
    .flags(
        Flags::ADMIN
            .union(Flags::NOSCRIPT)
            .union(Flags::LOADING)
            .union(Flags::STALE)
            .union(Flags::NO_MULTI)
            .union(Flags::ALLOW_BUSY),
    )
    .acl(&["@admin", "@slow", "@dangerous"])
    .doc("Stops the server.", "1.0.0"),
    CommandSpec::new(
        "lastsave",
        1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Lastsave),
    )
    .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
    .acl(&["@admin", "@fast", "@dangerous"])
    .tips(&["nondeterministic_output"])
    .doc(
        "Tells the Unix time of the last successful save to disk.",
        "1.0.0",
    ),
    CommandSpec::new("debug", -2, Group::Server, Exec::Runtime(RuntimeCmd::Debug))
        .flags(
            Flags::ADMIN
                .union(Flags::NOSCRIPT)
                .union(Flags::LOADING)
                .union(Flags::STALE),
        )
        .acl(&["@admin", "@slow", "@dangerous"])
        .doc("Helpers for testing and debugging the server.", "1.0.0"),
    CommandSpec::new("slowlog", -2, Group::Server, Exec::Container)
        .acl(&["@slow"])
        .subs(SLOWLOG_SUBCOMMANDS)
        .doc(
            "The log of commands that ran longer than a threshold.",
            "2.2.12",
        ),
    CommandSpec::new("latency", -2, Group::Server, Exec::Container)
        .acl(&["@slow"])
        .subs(LATENCY_SUBCOMMANDS)
        .doc(
            "The latency monitor and per-command latency histograms.",
            "2.8.13",
        ),
    CommandSpec::new(
        "monitor",
        1,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Monitor),
    )
    .flags(ADMIN_NOSCRIPT)
    .acl(ADMIN_ACL)
    .doc(
        "Streams every command the server runs, as it runs it.",
        "1.0.0",
    ),
    CommandSpec::new("memory", -2, Group::Server, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .doc("Container for memory diagnostics commands.", "4.0.0")
        .subs(MEMORY_SUBCOMMANDS),
    CommandSpec::new("acl", -2, Group::Server, Exec::Container)
        .flags(Flags::empty())
        .acl(&["@slow"])
        .doc("Container for the access control list commands.", "6.0.0")
        .subs(&[
            CommandSpec::new(
                "acl|deluser",
                -3,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous"])
            .doc("Deletes users and disconnects their clients.", "6.0.0"),
            CommandSpec::new("acl|save", 2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(
                    Flags::ADMIN
                        .union(Flags::NOSCRIPT)
                        .union(Flags::LOADING)
                        .union(Flags::STALE),
                )
                .acl(&["@admin", "@slow", "@dangerous"])
                .doc("Writes the users to the ACL file.", "6.0.0"),
            CommandSpec::new(
                "acl|whoami",
                2,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow"])
            .doc("Returns the connection's user name.", "6.0.0"),
            CommandSpec::new("acl|load", 2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(
                    Flags::ADMIN
                        .union(Flags::NOSCRIPT)
                        .union(Flags::LOADING)
                        .union(Flags::STALE),
                )
                .acl(&["@admin", "@slow", "@dangerous"])
                .doc("Replaces the users with those of the ACL file.", "6.0.0"),
            CommandSpec::new("acl|cat", -2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
                .acl(&["@slow"])
                .doc("Lists the ACL categories, or the commands of one.", "6.0.0"),
            CommandSpec::new(
                "acl|users",
                2,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous"])
            .doc("Lists the user names.", "6.0.0"),
            CommandSpec::new(
                "acl|getuser",
                3,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous"])
            .doc(
                "Describes one user's flags, passwords and permissions.",
                "6.0.0",
            ),
            CommandSpec::new(
                "acl|genpass",
                -2,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE))
            .acl(&["@slow"])
            .doc("Returns random hex digits for a password.", "6.0.0"),
            CommandSpec::new("acl|log", -2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(
                    Flags::ADMIN
                        .union(Flags::NOSCRIPT)
                        .union(Flags::LOADING)
                        .union(Flags::STALE),
                )
                .acl(&["@admin", "@slow", "@dangerous"])
                .doc("Lists (or clears) the recent permission failures.", "6.0.0"),
            CommandSpec::new(
                "acl|setuser",
                -3,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous"])
            .doc("Creates or changes a user with rules.", "6.0.0"),
            CommandSpec::new(
                "acl|dryrun",
                -4,
                Group::Server,
                Exec::Runtime(RuntimeCmd::Acl),
            )
            .flags(
                Flags::ADMIN
                    .union(Flags::NOSCRIPT)
                    .union(Flags::LOADING)
                    .union(Flags::STALE),
            )
            .acl(&["@admin", "@slow", "@dangerous"])
            .doc(
                "Tells whether a user may run a command, without running it.",
                "7.0.0",
            ),
            CommandSpec::new("acl|help", 2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(Flags::LOADING.union(Flags::STALE))
                .acl(&["@slow"])
                .doc("Describes the ACL subcommands.", "6.0.0"),
            CommandSpec::new("acl|list", 2, Group::Server, Exec::Runtime(RuntimeCmd::Acl))
                .flags(
                    Flags::ADMIN
                        .union(Flags::NOSCRIPT)
                        .union(Flags::LOADING)
                        .union(Flags::STALE),
                )
                .acl(&["@admin", "@slow", "@dangerous"])
                .doc("Describes every user as ACL file lines.", "6.0.0"),
        ]),
];

/// Flags of the admin subcommands of SLOWLOG (LATENCY's add `noscript`).
const ADMIN_LOADING: Flags = Flags::ADMIN.union(Flags::LOADING).union(Flags::STALE);
/// Flags of LATENCY's admin subcommands and MONITOR.
const ADMIN_NOSCRIPT: Flags = ADMIN_LOADING.union(Flags::NOSCRIPT);
/// ACL categories of the admin subcommands.
const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
/// Flags of the HELP subcommands.
const HELP_FLAGS: Flags = Flags::LOADING.union(Flags::STALE);

/// A SLOWLOG subcommand row.
const fn slowlog_sub(name: &'static str, arity: i32, summary: &'static str) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Slowlog),
    )
    .flags(ADMIN_LOADING)
    .acl(ADMIN_ACL)
    .doc(summary, "2.2.12")
}

/// SLOWLOG's subcommands.
static SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    slowlog_sub("slowlog|get", -2, "Lists the newest slow-log entries.")
        .tips(&["request_policy:all_nodes", "nondeterministic_output"]),
    slowlog_sub("slowlog|reset", 2, "Empties the slow log.")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    slowlog_sub("slowlog|len", 2, "Counts the slow-log entries.").tips(&[
        "request_policy:all_nodes",
        "response_policy:agg_sum",
        "nondeterministic_output",
    ]),
    CommandSpec::new(
        "slowlog|help",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Slowlog),
    )
    .flags(HELP_FLAGS)
    .acl(&["@slow"])
    .doc("Lists SLOWLOG's subcommands.", "6.2.0"),
];

/// Tips of LATENCY's reporting subcommands.
const LATENCY_TIPS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];

/// A LATENCY subcommand row.
const fn latency_sub(name: &'static str, arity: i32, summary: &'static str) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Latency),
    )
    .flags(ADMIN_NOSCRIPT)
    .acl(ADMIN_ACL)
    .tips(LATENCY_TIPS)
    .doc(summary, "2.8.13")
}

/// LATENCY's subcommands.
static LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    latency_sub(
        "latency|latest",
        2,
        "Tells the latest and largest spike of every event.",
    ),
    latency_sub("latency|graph", 3, "Draws an event's spikes as ASCII art."),
    latency_sub(
        "latency|histogram",
        -2,
        "Per-command latency distributions, in power-of-two buckets.",
    )
    .doc(
        "Per-command latency distributions, in power-of-two buckets.",
        "7.0.0",
    ),
    latency_sub(
        "latency|doctor",
        2,
        "Explains the recorded spikes in words.",
    ),
    CommandSpec::new(
        "latency|help",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Latency),
    )
    .flags(HELP_FLAGS)
    .acl(&["@slow"])
    .doc("Lists LATENCY's subcommands.", "2.8.13"),
    latency_sub(
        "latency|reset",
        -2,
        "Forgets the spikes of some or all events.",
    )
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    latency_sub("latency|history", 3, "Lists an event's spikes over time."),
];

/// MEMORY's subcommands, in the order Redis 7.0 lists them.
static MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "memory|help",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Memory),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow"])
    .doc("Lists MEMORY's subcommands.", "4.0.0"),
    CommandSpec::new(
        "memory|purge",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Memory),
    )
    .flags(Flags::empty())
    .acl(&["@slow"])
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
    .doc("Asks the allocator to release free memory.", "4.0.0"),
    CommandSpec::new(
        "memory|usage",
        -3,
        Group::Server,
        Exec::Keyed(cmd_memory_usage),
    )
    .flags(Flags::READONLY)
    .keys(2, 2, 1)
    .acl(&["@read", "@slow"])
    .doc("Estimates the memory a key and its value use.", "4.0.0"),
    CommandSpec::new(
        "memory|doctor",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Memory),
    )
    .flags(Flags::empty())
    .acl(&["@slow"])
    .tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ])
    .doc("Reports memory problems in plain words.", "4.0.0"),
    CommandSpec::new(
        "memory|malloc-stats",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Memory),
    )
    .flags(Flags::empty())
    .acl(&["@slow"])
    .tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ])
    .doc("Shows the allocator's own statistics.", "4.0.0"),
    CommandSpec::new(
        "memory|stats",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Memory),
    )
    .flags(Flags::empty())
    .acl(&["@slow"])
    .tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ])
    .doc("Details the server's memory use.", "4.0.0"),
];

/// The elements MEMORY USAGE samples in an aggregate by default (Redis's
/// `OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
const USAGE_DEFAULT_SAMPLES: usize = 5;

/// MEMORY USAGE key [SAMPLES count]
pub fn cmd_memory_usage(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Options are checked before the key is looked up, as in Redis.
    let mut samples = USAGE_DEFAULT_SAMPLES;
    let mut i = 3;
    while i < args.len() {
        if is(arg(args, i), "samples") && i + 1 < args.len() {
            let n = parse_i64(arg(args, i + 1))?;
            samples = usize::try_from(n).map_err(|_| CmdError::SYNTAX)?;
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    let key = arg(args, 2);
    let now = ctx.now_ms;
    let d = ctx.db_index();
    match ctx.dbs[d].memory_usage(key, samples, now) {
        Some(n) => {
            ctx.stats.keyspace_hits += 1;
            ctx.w().int(i64::try_from(n).unwrap_or(i64::MAX));
        }
        None => {
            ctx.stats.keyspace_misses += 1;
            ctx.notify(notify::KEY_MISS, "keymiss", key);
            ctx.w().null();
        }
    }
    Ok(())
}

/// COMMAND's subcommands.
static COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "command|info",
        -2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .tips(&["nondeterministic_output_order"])
    .doc("Describes the named commands, or all of them.", "2.8.13"),
    CommandSpec::new(
        "command|docs",
        -2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .tips(&["nondeterministic_output_order"])
    .doc(
        "Gives the documentation of the named commands, or of all of them.",
        "7.0.0",
    ),
    CommandSpec::new(
        "command|getkeys",
        -4,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .doc("Lists the keys a full command line would use.", "2.8.13"),
    CommandSpec::new(
        "command|list",
        -2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .tips(&["nondeterministic_output_order"])
    .doc(
        "Lists command names, optionally filtered by category or pattern.",
        "7.0.0",
    ),
    CommandSpec::new(
        "command|help",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .doc("Lists COMMAND's subcommands.", "5.0.0"),
    CommandSpec::new(
        "command|count",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .doc("Counts the commands the server knows.", "2.8.13"),
    CommandSpec::new(
        "command|getkeysandflags",
        -4,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Command),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@connection"])
    .doc(
        "Lists the keys a full command line would use, with how it uses each.",
        "7.0.0",
    ),
];

/// CONFIG's subcommands.
static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "config|resetstat",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Config),
    )
    .flags(
        Flags::ADMIN
            .union(Flags::NOSCRIPT)
            .union(Flags::LOADING)
            .union(Flags::STALE),
    )
    .acl(&["@admin", "@slow", "@dangerous"])
    .doc("Sets INFO's counters back to zero.", "2.0.0"),
    CommandSpec::new(
        "config|help",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Config),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow"])
    .doc("Lists CONFIG's subcommands.", "5.0.0"),
    CommandSpec::new(
        "config|get",
        -3,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Config),
    )
    .flags(
        Flags::ADMIN
            .union(Flags::NOSCRIPT)
            .union(Flags::LOADING)
            .union(Flags::STALE),
    )
    .acl(&["@admin", "@slow", "@dangerous"])
    .doc(
        "Reads the directives whose names match glob patterns.",
        "2.0.0",
    ),
    CommandSpec::new(
        "config|set",
        -4,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Config),
    )
    .flags(
        Flags::ADMIN
            .union(Flags::NOSCRIPT)
            .union(Flags::LOADING)
            .union(Flags::STALE),
    )
    .acl(&["@admin", "@slow", "@dangerous"])
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
    .doc("Changes directives at run time, all or none.", "2.0.0"),
    CommandSpec::new(
        "config|rewrite",
        2,
        Group::Server,
        Exec::Runtime(RuntimeCmd::Config),
    )
    .flags(
        Flags::ADMIN
            .union(Flags::NOSCRIPT)
            .union(Flags::LOADING)
            .union(Flags::STALE),
    )
    .acl(&["@admin", "@slow", "@dangerous"])
    .doc(
        "Rewrites the configuration file with the current values.",
        "2.8.0",
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn every_command_has_exactly_one_row() {
        let mut seen = HashSet::new();
        for fam in crate::families() {
            for spec in fam {
                assert!(seen.insert(spec.name), "two rows for {}", spec.name);
                for sub in spec.subcommands {
                    assert!(seen.insert(sub.name), "two rows for {}", sub.name);
                }
            }
        }
    }

    #[test]
    fn server_rows_are_documented() {
        for spec in super::COMMANDS {
            assert!(!spec.summary.is_empty(), "{} has no summary", spec.name);
            for sub in spec.subcommands {
                assert!(!sub.summary.is_empty(), "{} has no summary", sub.name);
            }
        }
    }
}
