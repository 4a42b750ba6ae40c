// LEAD'S NOTE TO THE HELPER WRITING THIS FILE (delete this comment block when you start):
// Your prompt referred to a shared brief that was not attached. READ /work/helper-brief.md NOW:
// it says which files you own (only this file and tests/integration/generic.rs), that you must not
// run state-changing git commands, your CARGO_TARGET_DIR (/work/target-generic), the oracle on your port,
// and the handler contract. $NAME=generic, $PORT, $FAMILYFILE=generic.rs as in your prompt.
//! The generic group: commands on keys of any type (DEL, EXPIRE, RENAME, SCAN, ...).

use bytes::Bytes;

use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::table::{CommandSpec, Exec, Flags, Group};

/// The generic group's rows.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, Group::Generic, Exec::Keyed(cmd_del))
        .flags(Flags::WRITE)
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@write", "@slow"]),
    CommandSpec::new("exists", -2, Group::Generic, Exec::Keyed(cmd_exists))
        .flags(Flags::READONLY.union(Flags::FAST))
        .keys(1, -1, 1)
        .acl(&["@keyspace", "@read", "@fast"]),
];

/// DEL key [key ...]
pub fn cmd_del(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for k in &args[1..] {
        if ctx.db().remove(k, now).is_some() {
            n += 1;
        }
    }
    ctx.dirty += n as u64;
    ctx.w().int(n);
    Ok(())
}

/// EXISTS key [key ...]
pub fn cmd_exists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for k in &args[1..] {
        if ctx.db().contains(k, now) {
            n += 1;
        }
    }
    ctx.w().int(n);
    Ok(())
}

// LEAD: placeholder versions so that the runtime compiles; replace with the real ones.
/// Parsed SCAN options.
pub struct ScanArgs {
    /// MATCH pattern.
    pub pattern: Option<Bytes>,
    /// COUNT hint.
    pub count: usize,
    /// TYPE filter.
    pub type_filter: Option<ferrite_storage::ValueType>,
}
/// Parses SCAN options.
pub fn parse_scan_args(args: &[Bytes]) -> Result<ScanArgs, crate::CmdError> {
    let _ = args;
    Ok(ScanArgs { pattern: None, count: 10, type_filter: None })
}
/// KEYS on one db.
pub fn op_keys(db: &mut ferrite_storage::Db, pattern: &[u8], now_ms: u64, out: &mut Vec<Bytes>) {
    db.for_each_live(now_ms, |k, _| {
        if ferrite_storage::glob::string_match(pattern, k, false) {
            out.push(k.clone())
        }
    });
}
/// SCAN step on one db.
pub fn op_scan(db: &mut ferrite_storage::Db, cursor: u64, a: &ScanArgs, now_ms: u64, out: &mut Vec<Bytes>) -> u64 {
    db.scan(cursor, a.count, now_ms, |k, _| out.push(k.clone()))
}
