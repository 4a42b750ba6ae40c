//! Renders `docs/compatibility.md` from the command table, so that the
//! document can never disagree with what the server implements (a test
//! checks the committed file; `UPDATE_DOCS=1 cargo test -p ferrite-commands`
//! rewrites it).

use std::fmt::Write;

use crate::table::{CommandSpec, CommandTable, Exec, Group};

/// Redis 7.0 commands Ferrite does not serve yet (whole groups, or single
/// commands of groups it serves), with what brings them.
const LATER: &[(&str, &str)] = &[
    (
        "the stream, geo and hyperloglog groups",
        "not scheduled yet",
    ),
    (
        "SAVE, BGSAVE, BGREWRITEAOF, RESTORE-ASKING, MIGRATE",
        "persistence (planned)",
    ),
    (
        "REPLICAOF, SLAVEOF, ROLE, WAIT, FAILOVER, PSYNC, SYNC, REPLCONF",
        "replication (planned)",
    ),
    (
        "CLUSTER, ASKING, READONLY, READWRITE",
        "cluster mode (planned)",
    ),
    ("MODULE, LOLWUT, SCRIPT DEBUG", "not scheduled yet"),
];

fn row(out: &mut String, spec: &CommandSpec) {
    let name = spec.name.replace('|', " ").to_ascii_uppercase();
    let flags = spec.flags.names().join(", ");
    let summary = if spec.summary.is_empty() {
        "-"
    } else {
        spec.summary
    };
    let _ = writeln!(out, "| `{name}` | {} | {flags} | {summary} |", spec.arity);
}

/// The whole markdown document.
pub fn compatibility_markdown(table: &CommandTable) -> String {
    let mut out = String::new();
    out.push_str("# Command compatibility\n\n");
    out.push_str(
        "Generated from the command table (`crates/commands/src/docs.rs`); do not edit by hand.\n\
         Every command listed is implemented with Redis 7.0's semantics and replies, and is\n\
         covered by differential tests against a real redis-server (`tests/integration/`).\n\
         Arity follows Redis's sign rule (N: exactly N arguments including the name; -N: at least N).\n\n",
    );
    let groups = [
        Group::String,
        Group::Bitmap,
        Group::Generic,
        Group::List,
        Group::Hash,
        Group::Set,
        Group::SortedSet,
        Group::Transactions,
        Group::PubSub,
        Group::Scripting,
        Group::Connection,
        Group::Server,
    ];
    for g in groups {
        let mut specs: Vec<&CommandSpec> = table
            .all()
            .iter()
            .copied()
            .filter(|s| s.group == g)
            .collect();
        if specs.is_empty() {
            continue;
        }
        specs.sort_by_key(|s| s.name);
        let _ = writeln!(out, "## {}\n", g.name());
        out.push_str("| command | arity | flags | summary |\n|---|---|---|---|\n");
        for s in specs {
            if let Exec::Container = s.exec {
                let mut subs: Vec<&CommandSpec> = s.subcommands.iter().collect();
                subs.sort_by_key(|s| s.name);
                for sub in subs {
                    row(&mut out, sub);
                }
            } else {
                row(&mut out, s);
            }
        }
        out.push('\n');
    }
    out.push_str("## Not yet implemented\n\n| Redis 7.0 commands | arrive with |\n|---|---|\n");
    for (g, issue) in LATER {
        let _ = writeln!(out, "| {g} | {issue} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_compatibility_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compatibility.md");
        let want = compatibility_markdown(&crate::table());
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write docs/compatibility.md");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/compatibility.md is stale: run `UPDATE_DOCS=1 cargo test -p ferrite-commands`"
        );
    }
}
