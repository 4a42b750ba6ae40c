//! Scripting commands (EVAL, EVALSHA, FCALL, their read-only forms,
//! SCRIPT, FUNCTION):
//! rows only; the runtime runs them, since a script runs other commands
//! on whatever shards its keys live.

use crate::table::{CommandSpec, Exec, Flags, Group, RuntimeCmd};

/// Flags EVAL and its variants share (Redis 7.0's).
const EVAL_FLAGS: Flags = Flags::NOSCRIPT
    .union(Flags::STALE)
    .union(Flags::SKIP_MONITOR)
    .union(Flags::NO_MANDATORY_KEYS);

/// The row of EVAL, EVALSHA, FCALL and their read-only forms: they differ
/// in name, runtime entry, read-only flag and summary only.
const fn script_row(
    name: &'static str,
    cmd: RuntimeCmd,
    read_only: bool,
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    let flags = if read_only {
        EVAL_FLAGS.union(Flags::READONLY)
    } else {
        EVAL_FLAGS
    };
    CommandSpec::new(name, -3, Group::Scripting, Exec::Runtime(cmd))
        .flags(flags)
        .keys_numkeys(2)
        .acl(&["@slow", "@scripting"])
        .doc(summary, since)
}

/// The scripting group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    script_row(
        "eval",
        RuntimeCmd::Eval,
        false,
        "Runs a Lua script on the server.",
        "2.6.0",
    ),
    script_row(
        "evalsha",
        RuntimeCmd::Eval,
        false,
        "Runs a cached Lua script, named by its SHA1.",
        "2.6.0",
    ),
    script_row(
        "eval_ro",
        RuntimeCmd::Eval,
        true,
        "Runs a Lua script that may not write.",
        "7.0.0",
    ),
    script_row(
        "evalsha_ro",
        RuntimeCmd::Eval,
        true,
        "Runs a cached Lua script that may not write.",
        "7.0.0",
    ),
    script_row(
        "fcall",
        RuntimeCmd::Fcall,
        false,
        "Calls a function of a loaded library.",
        "7.0.0",
    ),
    script_row(
        "fcall_ro",
        RuntimeCmd::Fcall,
        true,
        "Calls a function that declared `no-writes`.",
        "7.0.0",
    ),
    CommandSpec::new("function", -2, Group::Scripting, Exec::Container)
        .acl(&["@slow"])
        .doc("Container for the function library commands.", "7.0.0")
        .subs(FUNCTION_SUBCOMMANDS),
    CommandSpec::new("script", -2, Group::Scripting, Exec::Container)
        .acl(&["@slow"])
        .doc("Container for the script cache commands.", "2.6.0")
        .subs(SCRIPT_SUBCOMMANDS),
];

/// SCRIPT's subcommands.
static SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "script|flush",
        -2,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Script),
    )
    .flags(Flags::NOSCRIPT)
    .acl(&["@slow", "@scripting"])
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
    .doc("Empties the script cache.", "2.6.0"),
    CommandSpec::new(
        "script|help",
        2,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Script),
    )
    .flags(Flags::LOADING.union(Flags::STALE))
    .acl(&["@slow", "@scripting"])
    .doc("Lists SCRIPT's subcommands.", "5.0.0"),
    CommandSpec::new(
        "script|exists",
        -3,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Script),
    )
    .flags(Flags::NOSCRIPT)
    .acl(&["@slow", "@scripting"])
    .tips(&[
        "request_policy:all_shards",
        "response_policy:agg_logical_and",
    ])
    .doc("Tells which scripts are in the cache.", "2.6.0"),
    CommandSpec::new(
        "script|load",
        3,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Script),
    )
    .flags(Flags::NOSCRIPT.union(Flags::STALE))
    .acl(&["@slow", "@scripting"])
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
    .doc(
        "Compiles a script into the cache without running it.",
        "2.6.0",
    ),
    CommandSpec::new(
        "script|kill",
        2,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Script),
    )
    .flags(Flags::NOSCRIPT.union(Flags::ALLOW_BUSY))
    .acl(&["@slow", "@scripting"])
    .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
    .doc(
        "Stops the script running now, if it has not written.",
        "2.6.0",
    ),
];

/// The row of one FUNCTION subcommand.
const fn function_sub(
    name: &'static str,
    arity: i32,
    flags: Flags,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        Group::Scripting,
        Exec::Runtime(RuntimeCmd::Function),
    )
    .flags(flags)
    .doc(summary, "7.0.0")
}

/// Writing FUNCTION subcommands' ACL categories.
const WRITE_ACL: &[&str] = &["@write", "@slow", "@scripting"];
/// Other FUNCTION subcommands' ACL categories.
const ACL: &[&str] = &["@slow", "@scripting"];

/// FUNCTION's subcommands.
static FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    function_sub(
        "function|delete",
        3,
        Flags::WRITE.union(Flags::NOSCRIPT),
        "Deletes a library and its functions.",
    )
    .acl(WRITE_ACL)
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    function_sub(
        "function|dump",
        2,
        Flags::NOSCRIPT,
        "Serializes every library into one payload.",
    )
    .acl(ACL),
    function_sub(
        "function|flush",
        -2,
        Flags::WRITE.union(Flags::NOSCRIPT),
        "Deletes every library.",
    )
    .acl(WRITE_ACL)
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    function_sub(
        "function|help",
        2,
        Flags::LOADING.union(Flags::STALE),
        "Lists FUNCTION's subcommands.",
    )
    .acl(ACL),
    function_sub(
        "function|kill",
        2,
        Flags::NOSCRIPT.union(Flags::ALLOW_BUSY),
        "Stops the function running now, if it has not written.",
    )
    .acl(ACL)
    .tips(&["request_policy:all_shards", "response_policy:one_succeeded"]),
    function_sub(
        "function|list",
        -2,
        Flags::NOSCRIPT,
        "Lists the libraries and their functions.",
    )
    .acl(ACL)
    .tips(&["nondeterministic_output_order"]),
    function_sub(
        "function|load",
        -3,
        Flags::WRITE.union(Flags::DENYOOM).union(Flags::NOSCRIPT),
        "Loads a library of functions.",
    )
    .acl(WRITE_ACL)
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    function_sub(
        "function|restore",
        -3,
        Flags::WRITE.union(Flags::DENYOOM).union(Flags::NOSCRIPT),
        "Loads the libraries of a FUNCTION DUMP payload.",
    )
    .acl(WRITE_ACL)
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"]),
    function_sub(
        "function|stats",
        2,
        Flags::NOSCRIPT.union(Flags::ALLOW_BUSY),
        "Tells which function runs now and how many are loaded.",
    )
    .acl(ACL)
    .tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ]),
];
