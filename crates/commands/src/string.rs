// LEAD'S NOTE TO THE HELPER WRITING THIS FILE (delete this comment block when you start):
// Your prompt referred to a shared brief that was not attached. READ /work/helper-brief.md NOW:
// it says which files you own (only this file and tests/integration/string.rs), that you must not
// run state-changing git commands, your CARGO_TARGET_DIR (/work/target-string), the oracle on your port,
// and the handler contract. $NAME=string, $PORT, $FAMILYFILE=string.rs as in your prompt.
//! The string group: GET, SET, INCR, APPEND, ...

use bytes::Bytes;
use ferrite_storage::Value;

use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::table::{CommandSpec, Exec, Flags, Group};
use crate::util::arg;

/// The string group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, Group::String, Exec::Keyed(cmd_get))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, 1, 1)
        .acl(&["@read", "@string", "@fast"]),
    CommandSpec::new("set", -3, Group::String, Exec::Keyed(cmd_set))
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .keys(1, 1, 1)
        .acl(&["@write", "@string", "@slow"]),
];

/// GET key
pub fn cmd_get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let v = ctx.read_str(arg(args, 1))?.cloned();
    ctx.reply_str(v.as_ref());
    Ok(())
}

/// SET key value
pub fn cmd_set(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = arg(args, 1);
    let value = Value::string(arg(args, 2));
    ctx.db().set(key, value);
    ctx.dirty += 1;
    ctx.ok();
    Ok(())
}
