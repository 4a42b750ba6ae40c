//! ACL's subcommands over the server's user registry (`crate::acl`).

use bytes::Bytes;
use ferrite_commands::acl_index::{category, CATEGORIES};
use ferrite_commands::util::arg;
use ferrite_commands::{CmdError, CmdResult, CommandSpec};

use crate::conn::{Conn, Session};

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
];

/// Redis's error for a known subcommand given a wrong number of arguments
/// that its row's arity does not catch.
fn wrong_args(sub: &[u8]) -> CmdError {
    CmdError::other(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn aclfile(s: &Session) -> String {
    s.worker
        .shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .aclfile
        .clone()
}

/// ACL <subcommand> ...
pub fn acl(s: &mut Session, conn: &mut Conn, spec: &CommandSpec, argv: &[Bytes]) -> CmdResult {
    let shared = s.worker.shared.clone();
    let acl = &shared.acl;
    acl.sync_config(&shared);
    let resp3 = conn.resp3;
    let sub = arg(argv, 1);
    match spec.name {
        "acl|whoami" => {
            s.writer(resp3).bulk(&conn.user.name);
        }
        "acl|users" => {
            let names = acl.names();
            let mut w = s.writer(resp3);
            w.array(names.len());
            for n in names {
                w.bulk(&n);
            }
        }
        "acl|list" => {
            let lines: Vec<String> = acl
                .names()
                .iter()
                .filter_map(|n| acl.user(n))
                .map(|u| acl.describe(&u))
                .collect();
            let mut w = s.writer(resp3);
            w.array(lines.len());
            for l in lines {
                w.bulk(l.as_bytes());
            }
        }
        "acl|getuser" => match acl.user(arg(argv, 2)) {
            Some(u) => acl.write_getuser(&u, &mut s.writer(resp3)),
            None => s.writer(resp3).null(),
        },
        "acl|setuser" => {
            acl.setuser(arg(argv, 2), argv.get(3..).unwrap_or_default())
                .map_err(CmdError::other)?;
            if let Some(u) = acl.user(arg(argv, 2)) {
                crate::acl::kill_unpermitted_subscribers(&shared, &u);
            }
            s.writer(resp3).simple(b"OK");
        }
        "acl|deluser" => {
            let gone = acl
                .deluser(argv.get(2..).unwrap_or_default())
                .map_err(CmdError::other)?;
            crate::acl::kill_clients_of(&shared, &gone);
            s.writer(resp3).int(gone.len() as i64);
        }
        "acl|cat" => match argv.get(2) {
            None => {
                let mut w = s.writer(resp3);
                w.array(CATEGORIES.len());
                for c in CATEGORIES {
                    w.bulk(c.as_bytes());
                }
            }
            Some(cat) if argv.len() == 3 => {
                let c = category(cat).ok_or_else(|| {
                    CmdError::other(format!(
                        "ERR Unknown category '{}'",
                        String::from_utf8_lossy(cat)
                    ))
                })?;
                let names: Vec<&str> = acl
                    .index
                    .in_category(c)
                    .filter_map(|id| acl.index.entry(id))
                    .map(|e| e.spec.name)
                    .collect();
                let mut w = s.writer(resp3);
                w.array(names.len());
                for n in names {
                    w.bulk(n.as_bytes());
                }
            }
            Some(_) => return Err(wrong_args(sub)),
        },
        "acl|genpass" => {
            let bits = match argv.get(2) {
                None => 256,
                Some(_) if argv.len() > 3 => return Err(wrong_args(sub)),
                Some(b) => ferrite_commands::util::parse_i64(b)?,
            };
            if bits <= 0 || bits > 4096 {
                return Err(CmdError::other(
                    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
                ));
            }
            let p = crate::acl::genpass(bits as u64);
            s.writer(resp3).bulk(p.as_bytes());
        }
        "acl|log" => log(s, conn, argv)?,
        "acl|dryrun" => {
            let user = acl.user(arg(argv, 2)).ok_or_else(|| {
                CmdError::other(format!(
                    "ERR User '{}' not found",
                    String::from_utf8_lossy(arg(argv, 2))
                ))
            })?;
            let cmd = argv.get(3..).unwrap_or_default();
            let name = arg(argv, 3);
            if shared.table.get(name).is_none() {
                return Err(CmdError::other(format!(
                    "ERR Command '{}' not found",
                    String::from_utf8_lossy(name)
                )));
            }
            let target = crate::conn::lookup(&shared.table, cmd)?;
            match acl.check(&user, target, cmd) {
                Ok(()) => s.writer(resp3).simple(b"OK"),
                Err(d) => s.writer(resp3).bulk(d.dryrun(target, cmd).as_bytes()),
            }
        }
        "acl|save" => {
            let path = aclfile(s);
            if path.is_empty() {
                return Err(CmdError::other(NO_ACLFILE));
            }
            crate::acl::save_file(acl, &path)
                .map_err(|e| CmdError::other(format!("ERR There was an error trying to save the ACLs. Please check the server logs for more information ({e})")))?;
            s.writer(resp3).simple(b"OK");
        }
        "acl|load" => {
            let path = aclfile(s);
            if path.is_empty() {
                return Err(CmdError::other(NO_ACLFILE));
            }
            let old = crate::acl::load_file(acl, &path).map_err(|e| match e {
                crate::acl::LoadError::Open(m) => CmdError::other(format!("ERR {m}")),
                crate::acl::LoadError::Content(m) => CmdError::other(format!(
                    "ERR {m}. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
                )),
            })?;
            crate::acl::kill_clients_of(&shared, &old);
            crate::acl::kill_unpermitted_subscribers(&shared, &acl.default_user());
            s.writer(resp3).simple(b"OK");
        }
        _ => {
            // acl|help
            let mut w = s.writer(resp3);
            w.array(HELP.len());
            for l in HELP {
                w.simple(l.as_bytes());
            }
        }
    }
    Ok(())
}

/// ACL LOG [count | RESET]
fn log(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let shared = s.worker.shared.clone();
    let count = match argv.get(2) {
        None => 10,
        Some(_) if argv.len() > 3 => return Err(wrong_args(arg(argv, 1))),
        Some(a) if a.eq_ignore_ascii_case(b"reset") => {
            shared.acl.log_reset();
            s.writer(conn.resp3).simple(b"OK");
            return Ok(());
        }
        Some(a) => ferrite_commands::util::parse_i64(a)?,
    };
    let entries = shared.acl.log_entries(usize::try_from(count).unwrap_or(0));
    let now = crate::server::Shared::now_ms();
    let mut w = s.writer(conn.resp3);
    w.array(entries.len());
    for e in entries {
        w.map(7);
        w.bulk(b"count");
        w.int(e.count as i64);
        w.bulk(b"reason");
        w.bulk(e.reason.as_bytes());
        w.bulk(b"context");
        w.bulk(e.context.as_bytes());
        w.bulk(b"object");
        w.bulk(&e.object);
        w.bulk(b"username");
        w.bulk(&e.username);
        w.bulk(b"age-seconds");
        w.double(now.saturating_sub(e.ctime_ms) as f64 / 1000.0);
        w.bulk(b"client-info");
        w.bulk(&e.client_info);
    }
    Ok(())
}
