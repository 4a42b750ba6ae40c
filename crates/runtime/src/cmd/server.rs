//! Server commands: TIME, COMMAND, INFO, CONFIG, SHUTDOWN, LASTSAVE, DEBUG.
//!
//! COMMAND renders the command table (`ferrite_commands::table`) in Redis
//! 7.0's shapes. The table has no per-key-spec flags, so key specs are
//! derived from each row's first/last/step and flags: `RO` for commands that
//! do not write, `RW` for those that do (Redis distinguishes `OW`, `RM` and
//! the `access`/`update`/`insert`/`delete` details, which the table does not
//! record), plus `incomplete` for rows whose keys are found by a function.
//! Rows with a `numkeys` argument get Redis's `keynum` spec.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrite_commands::keyspecs::{self, KeyFlags};
use ferrite_commands::util::is;
use ferrite_commands::{CmdError, CmdResult, CommandSpec, CommandTable, Flags};
use ferrite_protocol::Writer;
use ferrite_storage::glob::string_match;

use crate::conn::{Conn, Session};
use crate::coord;
use crate::info::{self, Sections, ShardFigures};
use crate::server::Shared;
use crate::shard::Shard;

/// TIME
pub fn time(s: &mut Session, conn: &mut Conn) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut w = s.writer(conn.resp3);
    w.array(2);
    w.bulk(now.as_secs().to_string().as_bytes());
    w.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

/// Looks a command up by its full name: `get`, or `config|get` for a subcommand.
fn lookup_full(table: &CommandTable, name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        None => table.get(name),
        Some(bar) => {
            let parent = table.get(name.get(..bar)?)?;
            parent.subcommand(name.get(bar + 1..)?)
        }
    }
}

/// The subcommand of `spec` named by `argv[1]`, with Redis's errors, or
/// `spec` itself when it has no subcommands or none is given.
fn resolve(spec: &'static CommandSpec, argv: &[Bytes]) -> Result<&'static CommandSpec, CmdError> {
    if spec.name.contains('|') || spec.subcommands.is_empty() {
        return Ok(spec);
    }
    let Some(sub) = argv.get(1) else {
        return Ok(spec);
    };
    let Some(found) = spec.subcommand(sub) else {
        let shown = String::from_utf8_lossy(sub.get(..sub.len().min(128)).unwrap_or_default())
            .replace(['\r', '\n'], " ");
        return Err(CmdError::other(format!(
            "ERR unknown subcommand '{shown}'. Try {} HELP.",
            spec.name.to_ascii_uppercase()
        )));
    };
    if !found.arity_ok(argv.len()) {
        return Err(CmdError::wrong_arity(found.name.as_bytes()));
    }
    Ok(found)
}

/// Flags as COMMAND INFO lists them: the table's, then `movablekeys` for
/// rows whose keys are not a plain range.
fn info_flags(spec: &CommandSpec) -> Vec<&'static str> {
    let mut flags = spec.flags.names();
    if spec.movable_keys() {
        flags.push("movablekeys");
    }
    flags
}

/// A key spec derived from a row (see the module documentation).
struct KeySpec {
    flags: Vec<&'static str>,
    index: i64,
    lastkey: i64,
    keystep: i64,
    /// `keynum` (numkeys at `index`, keys right after) rather than `range`.
    keynum: bool,
}

fn key_spec(spec: &CommandSpec) -> Option<KeySpec> {
    let mut flags = vec![if spec.flags.contains(Flags::WRITE) {
        "RW"
    } else {
        "RO"
    }];
    if spec.numkeys_at > 0 {
        return Some(KeySpec {
            flags,
            index: i64::from(spec.numkeys_at),
            lastkey: 0,
            keystep: 1,
            keynum: true,
        });
    }
    if spec.first_key <= 0 {
        return None;
    }
    if spec.keys.is_some() {
        flags.push("incomplete");
    }
    let first = i64::from(spec.first_key);
    let last = i64::from(spec.last_key);
    Some(KeySpec {
        flags,
        index: first,
        // A non-negative range end is relative to the first key.
        lastkey: if last < 0 { last } else { last - first },
        keystep: i64::from(spec.step.max(1)),
        keynum: false,
    })
}

fn write_key_spec(w: &mut Writer<'_>, k: &KeySpec) {
    w.map(3);
    w.bulk(b"flags");
    w.set(k.flags.len());
    for f in &k.flags {
        w.simple(f.as_bytes());
    }
    w.bulk(b"begin_search");
    w.map(2);
    w.bulk(b"type");
    w.bulk(b"index");
    w.bulk(b"spec");
    w.map(1);
    w.bulk(b"index");
    w.int(k.index);
    w.bulk(b"find_keys");
    w.map(2);
    w.bulk(b"type");
    if k.keynum {
        w.bulk(b"keynum");
        w.bulk(b"spec");
        w.map(3);
        w.bulk(b"keynumidx");
        w.int(0);
        w.bulk(b"firstkey");
        w.int(1);
        w.bulk(b"keystep");
        w.int(1);
        return;
    }
    w.bulk(b"range");
    w.bulk(b"spec");
    w.map(3);
    w.bulk(b"lastkey");
    w.int(k.lastkey);
    w.bulk(b"keystep");
    w.int(k.keystep);
    w.bulk(b"limit");
    w.int(0);
}

/// One COMMAND INFO entry: name, arity, flags, first, last, step, ACL
/// categories, tips, key specs, subcommands.
fn write_command_info(w: &mut Writer<'_>, spec: &CommandSpec) {
    w.array(10);
    w.bulk(spec.name.as_bytes());
    w.int(i64::from(spec.arity));
    let flags = info_flags(spec);
    w.set(flags.len());
    for f in &flags {
        w.simple(f.as_bytes());
    }
    w.int(i64::from(spec.first_key));
    w.int(i64::from(spec.last_key));
    w.int(i64::from(spec.step));
    w.set(spec.acl.len());
    for a in spec.acl {
        w.simple(a.as_bytes());
    }
    w.set(spec.tips.len());
    for t in spec.tips {
        w.bulk(t.as_bytes());
    }
    match key_spec(spec) {
        Some(k) => {
            w.set(1);
            write_key_spec(w, &k);
        }
        None => w.set(0),
    }
    w.set(spec.subcommands.len());
    for sub in spec.subcommands {
        write_command_info(w, sub);
    }
}

/// One COMMAND DOCS entry: Ferrite's own summary, the version that
/// introduced the command, its group and its subcommands' docs.
///
/// A row without a summary never had its `.doc(summary, since)` set, so its
/// `since` is the table's placeholder rather than a fact: both are left out.
fn write_command_docs(w: &mut Writer<'_>, spec: &CommandSpec) {
    let documented = !spec.summary.is_empty();
    let has_subs = !spec.subcommands.is_empty();
    w.map(1 + 2 * usize::from(documented) + usize::from(has_subs));
    if documented {
        w.bulk(b"summary");
        w.bulk(spec.summary.as_bytes());
        w.bulk(b"since");
        w.bulk(spec.since.as_bytes());
    }
    w.bulk(b"group");
    w.bulk(spec.group.name().as_bytes());
    if has_subs {
        w.bulk(b"subcommands");
        w.map(spec.subcommands.len());
        for sub in spec.subcommands {
            w.bulk(sub.name.as_bytes());
            write_command_docs(w, sub);
        }
    }
}

/// Every command name, each followed by its subcommands' names.
fn all_names(table: &CommandTable) -> Vec<&'static str> {
    let mut names = Vec::new();
    for spec in table.all() {
        names.push(spec.name);
        names.extend(spec.subcommands.iter().map(|s| s.name));
    }
    names
}

/// Every command row, each followed by its subcommands' rows.
fn all_rows(table: &CommandTable) -> Vec<&'static CommandSpec> {
    let mut rows = Vec::new();
    for &spec in table.all() {
        rows.push(spec);
        rows.extend(spec.subcommands.iter());
    }
    rows
}

/// The keys of the command line `args` with their key-spec flags, for
/// COMMAND GETKEYS and GETKEYSANDFLAGS, with Redis's checks in its order.
fn command_keys(table: &CommandTable, args: &[Bytes]) -> Result<Vec<(Bytes, KeyFlags)>, CmdError> {
    let invalid = || CmdError::other("ERR Invalid command specified");
    let name = args.first().ok_or_else(invalid)?;
    let mut target = table.get(name).ok_or_else(invalid)?;
    if !target.subcommands.is_empty() {
        if let Some(sub) = args.get(1) {
            target = target.subcommand(sub).ok_or_else(invalid)?;
        }
    }
    if !keyspecs::has_keys(target.name) {
        return Err(CmdError::other("ERR The command has no key arguments"));
    }
    if !target.arity_ok(args.len()) {
        return Err(CmdError::other(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let found = keyspecs::getkeys(target.name, args);
    if found.is_empty() && !target.flags.contains(Flags::NO_MANDATORY_KEYS) {
        // LMPOP 0 a left, ZUNIONSTORE d 5 a: no valid key list.
        return Err(CmdError::other(
            "ERR Invalid arguments specified for command",
        ));
    }
    Ok(found
        .into_iter()
        .filter_map(|(p, f)| args.get(p).map(|k| (k.clone(), f)))
        .collect())
}

const COMMAND_HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Describe every command of the server.",
    "COUNT",
    "    Give the number of commands of the server.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    List the names of the commands, optionally only those of a module, of an",
    "    ACL category or matching a glob-style pattern.",
    "INFO [<command-name> ...]",
    "    Describe the named commands, or every command when none is named.",
    "DOCS [<command-name> ...]",
    "    Give the documentation of the named commands, or of every command when",
    "    none is named.",
    "GETKEYS <full-command>",
    "    List the keys a full command line would access.",
    "GETKEYSANDFLAGS <full-command>",
    "    List the keys a full command line would access, with how it uses each.",
    "HELP",
    "    Print this list of subcommands.",
];

pub(crate) fn write_help(s: &mut Session, conn: &Conn, lines: &[&str]) {
    let mut w = s.writer(conn.resp3);
    w.array(lines.len());
    for l in lines {
        w.simple(l.as_bytes());
    }
}

/// COMMAND [COUNT | INFO ... | LIST ... | DOCS ... | GETKEYS ... | GETKEYSANDFLAGS ... | HELP]
pub fn command(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let table = &shared.table;
    let spec = resolve(spec, argv)?;
    let rest = argv.get(2..).unwrap_or_default();
    match spec.name {
        "command|count" => s.writer(conn.resp3).int(table.all().len() as i64),
        "command|help" => write_help(s, conn, COMMAND_HELP),
        "command|info" if !rest.is_empty() => {
            let mut w = s.writer(conn.resp3);
            w.array(rest.len());
            for name in rest {
                match lookup_full(table, name) {
                    Some(found) => write_command_info(&mut w, found),
                    None => w.null(),
                }
            }
        }
        "command" | "command|info" => {
            let mut w = s.writer(conn.resp3);
            w.array(table.all().len());
            for found in table.all() {
                write_command_info(&mut w, found);
            }
        }
        "command|docs" => {
            let found: Vec<&'static CommandSpec> = if rest.is_empty() {
                table.all().to_vec()
            } else {
                rest.iter().filter_map(|n| lookup_full(table, n)).collect()
            };
            let mut w = s.writer(conn.resp3);
            w.map(found.len());
            for f in found {
                w.bulk(f.name.as_bytes());
                write_command_docs(&mut w, f);
            }
        }
        "command|list" => {
            let names: Vec<&'static str> = match rest {
                [] => all_names(table),
                [by, kind, value] if is(by, "filterby") => {
                    if is(kind, "module") {
                        Vec::new()
                    } else if is(kind, "aclcat") {
                        all_rows(table)
                            .into_iter()
                            .filter(|r| {
                                r.acl.iter().any(|a| {
                                    a.strip_prefix('@')
                                        .is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(value))
                                })
                            })
                            .map(|r| r.name)
                            .collect()
                    } else if is(kind, "pattern") {
                        all_names(table)
                            .into_iter()
                            .filter(|n| string_match(value, n.as_bytes(), true))
                            .collect()
                    } else {
                        return Err(CmdError::SYNTAX);
                    }
                }
                _ => return Err(CmdError::SYNTAX),
            };
            let mut w = s.writer(conn.resp3);
            w.array(names.len());
            for n in names {
                w.bulk(n.as_bytes());
            }
        }
        "command|getkeys" | "command|getkeysandflags" => {
            let keys = command_keys(table, rest)?;
            let with_flags = spec.name == "command|getkeysandflags";
            let mut w = s.writer(conn.resp3);
            w.array(keys.len());
            for (k, flags) in &keys {
                if with_flags {
                    w.array(2);
                    w.bulk(k);
                    let names = flags.names();
                    w.set(names.len());
                    for f in names {
                        w.simple(f.as_bytes());
                    }
                } else {
                    w.bulk(k);
                }
            }
        }
        _ => return Err(unknown_subcommand(argv, "COMMAND")),
    }
    Ok(())
}

fn unknown_subcommand(argv: &[Bytes], cmd: &str) -> CmdError {
    let sub = argv.get(1).map(|b| &b[..]).unwrap_or_default();
    CmdError::other(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// INFO [section ...]
pub async fn info(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let sections = Sections::parse(argv.get(1..).unwrap_or_default());
    let figures = if sections.needs_shards() {
        let ttl = sections.has(info::Section::Keyspace);
        let cmd = sections.needs_cmdstats();
        coord::fan_out(&s.worker, s.held_tx(), move |sh| {
            ShardFigures::collect_with(sh, ttl, cmd)
        })
        .await?
    } else {
        Vec::new()
    };
    let text = info::render(&s.worker.shared, sections, &figures);
    s.writer(conn.resp3).verbatim(b"txt", text.as_bytes());
    Ok(())
}

const CONFIG_HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern> [<pattern> ...]",
    "    Give the directives whose names match any glob-style pattern, with their",
    "    values.",
    "SET <directive> <value> [<directive> <value> ...]",
    "    Change directives; either all of them change or none does.",
    "RESETSTAT",
    "    Set the counters INFO reports back to zero.",
    "REWRITE",
    "    Rewrite the configuration file with the current values.",
    "HELP",
    "    Print this list of subcommands.",
];

/// CONFIG GET / SET / RESETSTAT / REWRITE / HELP
pub async fn config(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let args = argv.get(2..).unwrap_or_default();
    match spec.name {
        "config|get" => {
            let patterns: Vec<&[u8]> = args.iter().map(|b| &b[..]).collect();
            let pairs = s
                .worker
                .shared
                .config
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&patterns);
            let mut w = s.writer(conn.resp3);
            w.map(pairs.len());
            for (k, v) in &pairs {
                w.bulk(k.as_bytes());
                w.bulk(v);
            }
        }
        "config|set" => {
            if args.len() % 2 != 0 {
                return Err(CmdError::SYNTAX);
            }
            let pairs: Vec<(&[u8], &[u8])> = args
                .chunks_exact(2)
                .map(|c| (&c[0][..], &c[1][..]))
                .collect();
            let shared = s.worker.shared.clone();
            let before = {
                let mut cfg = shared.config.write().unwrap_or_else(|e| e.into_inner());
                let before = cfg.clone();
                cfg.set(&pairs).map_err(CmdError::other)?;
                if cfg.appendonly && !before.appendonly {
                    // Turning the AOF on needs a rewrite of the data held
                    // now into a new base, which this version cannot do.
                    *cfg = before;
                    return Err(CmdError::other(
                        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - \
                         turning the AOF on at run time is not supported yet: restart with appendonly yes",
                    ));
                }
                if before.appendonly && !cfg.appendonly {
                    // As Redis stops it: written out, fsynced, closed.
                    shared.journal.stop();
                }
                // TLS files changed while TLS serves: the new acceptor must
                // build, or nothing changes (as Redis applies them).
                if shared.tls_port != 0 && crate::tls::settings_changed(&before, &cfg) {
                    match crate::tls::acceptor(&cfg) {
                        Ok(a) => {
                            *shared.tls.write().unwrap_or_else(|e| e.into_inner()) = Some(a);
                        }
                        Err(why) => {
                            tracing::warn!(reason = %why, "Failed applying new TLS configuration");
                            let name = pairs
                                .iter()
                                .map(|(k, _)| String::from_utf8_lossy(k).to_ascii_lowercase())
                                .find(|k| k.starts_with("tls-"))
                                .unwrap_or_default();
                            *cfg = before;
                            return Err(CmdError::other(format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration. Check server logs."
                            )));
                        }
                    }
                }
                before
            };
            shared.config_epoch.fetch_add(1, Ordering::Relaxed);
            crate::logging::level_changed(
                shared
                    .config
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .loglevel,
            );
            shared.apply_limits();
            let settings = shared.settings();
            let observe = shared.observe_settings();
            let slowlog_max = shared
                .config
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .slowlog_max_len;
            shared.slowlog.trim(slowlog_max);
            let pushed = coord::fan_out(&s.worker, s.held_tx(), move |sh| {
                sh.settings = settings.clone();
                crate::evict::sync(sh);
                sh.observe = observe;
                crate::notify::sync_expired_recording(sh);
            })
            .await;
            if let Err(e) = pushed {
                // All or nothing, as in Redis: the shards could not be
                // locked (fan_out locks them all before changing any) or a
                // shard is gone, so the old values come back.
                *shared.config.write().unwrap_or_else(|e| e.into_inner()) = before;
                shared.config_epoch.fetch_add(1, Ordering::Relaxed);
                shared.apply_limits();
                return Err(e);
            }
            s.writer(conn.resp3).simple(b"OK");
        }
        "config|resetstat" => {
            coord::fan_out(&s.worker, s.held_tx(), |sh| {
                sh.stats = Default::default();
                sh.commands_processed = 0;
                sh.cmdstats = Default::default();
                sh.expire_stats = Default::default();
                if let Some(m) = &sh.evict.mem {
                    m.reset_stats(crate::server::Shared::now_ms());
                }
                for db in &mut sh.dbs {
                    db.expired_count = 0;
                }
                info::reset_ops();
            })
            .await?;
            let g = &s.worker.shared.stats;
            for c in [
                &g.total_connections_received,
                &g.rejected_connections,
                &g.total_net_input_bytes,
                &g.total_net_output_bytes,
                &g.total_reads_processed,
                &g.total_writes_processed,
                &g.reply_buffer_shrinks,
                &g.reply_buffer_expands,
                &s.worker.shared.clients.evicted,
            ] {
                c.store(0, Ordering::Relaxed);
            }
            s.writer(conn.resp3).simple(b"OK");
        }
        "config|rewrite" => {
            let shared = &s.worker.shared;
            let Some(path) = shared.config_file.as_deref() else {
                return Err(CmdError::other(
                    "ERR The server is running without a config file",
                ));
            };
            // A snapshot, so that no lock is held during the file I/O.
            let config = shared
                .config
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            // The live users replace the file's `user` lines, as Redis
            // writes them; with an aclfile they live there (ACL SAVE), and
            // the config file keeps none.
            let lines: Vec<Vec<u8>> = if config.aclfile.is_empty() {
                let acl = &shared.acl;
                acl.names()
                    .iter()
                    .filter_map(|n| acl.user(n))
                    .map(|u| acl.describe(&u).into_bytes())
                    .collect()
            } else {
                Vec::new()
            };
            let users = ferrite_config::UserLines::Replace(&lines);
            if let Err(e) = config.rewrite_file(std::path::Path::new(path), users) {
                let reason = ferrite_config::io_reason(&e);
                tracing::warn!(path, %reason, "CONFIG REWRITE failed");
                return Err(CmdError::other(format!(
                    "ERR Rewriting config file: {reason}"
                )));
            }
            tracing::info!(path, "CONFIG REWRITE executed with success");
            s.writer(conn.resp3).simple(b"OK");
        }
        "config|help" => write_help(s, conn, CONFIG_HELP),
        _ => return Err(unknown_subcommand(argv, "CONFIG")),
    }
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
///
/// Ferrite cannot save yet. An explicit SAVE therefore fails the way a
/// failed save makes Redis's SHUTDOWN fail (unless FORCE); without SAVE the
/// server stops at once, with a warning in the log if save points are
/// configured, because the dataset is lost. Shutdown is immediate (there are
/// no replicas to wait for), so ABORT never finds one in progress.
pub fn shutdown(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let (mut nosave, mut save, mut now, mut force, mut abort) = (false, false, false, false, false);
    for a in argv.iter().skip(1) {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") {
            now = true;
        } else if is(a, "force") {
            force = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    if (nosave && save) || (abort && (nosave || save || now || force)) {
        return Err(CmdError::SYNTAX);
    }
    if abort {
        return Err(CmdError::other("ERR No shutdown in progress."));
    }
    let shared = s.worker.shared.clone();
    if !nosave && shared.scripts.busy.load(Ordering::Relaxed) > 0 {
        // Only SHUTDOWN NOSAVE stops the server under a busy script.
        return Err(CmdError::other(shared.scripts.busy_text()));
    }
    if save {
        tracing::error!("SHUTDOWN SAVE: can't save the dataset, persistence is not implemented");
        if !force {
            return Err(CmdError::other(
                "ERR Errors trying to SHUTDOWN. Check logs.",
            ));
        }
    } else if !nosave {
        let has_save_points = !shared
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .save
            .is_empty();
        if has_save_points {
            tracing::warn!("shutting down without saving: persistence is not implemented");
        }
    }
    tracing::warn!("user requested shutdown");
    conn.close = true;
    shared.begin_shutdown();
    Ok(())
}

/// LASTSAVE
pub fn lastsave(s: &mut Session, conn: &mut Conn) -> CmdResult {
    // Nothing was ever saved: Redis reports its start time then.
    let started = info::start_unix_secs(&s.worker.shared);
    s.writer(conn.resp3).int(started as i64);
    Ok(())
}

thread_local! {
    // Per shard thread, set on every shard by DEBUG SET-ACTIVE-EXPIRE.
    static ACTIVE_EXPIRE: Cell<bool> = const { Cell::new(true) };
}

/// False after DEBUG SET-ACTIVE-EXPIRE 0: the calling shard thread's
/// active-expiry cycle must then skip its work (lazy expiry still applies).
pub fn active_expire_enabled() -> bool {
    ACTIVE_EXPIRE.with(Cell::get)
}

/// C's `atof`: the longest numeric prefix after leading white space, else 0.
fn c_atof(arg: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(arg.get(..arg.len().min(64)).unwrap_or_default());
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    (1..=text.len())
        .rev()
        .filter(|&end| text.is_char_boundary(end))
        .find_map(|end| text.get(..end)?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

const DEBUG_HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PROTOCOL <type>",
    "    Reply with a sample value of a RESP type: string, integer, double,",
    "    bignum, null, array, set, map, attrib, push, verbatim, true or false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    0 stops removing expired keys in the background (they are still removed",
    "    when accessed); 1 restores the default.",
    "SLEEP <seconds>",
    "    Stop the whole server for <seconds>, decimals allowed.",
    "CHANGE-REPL-ID",
    "    Give the server a new replication id (INFO replication's master_replid).",
    "HELP",
    "    Print this list of subcommands.",
];

/// Redis's refusal of DEBUG under `enable-debug-command`.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// Whether `enable-debug-command` lets this connection run DEBUG: `yes`,
/// or `local` from a loopback address (the default `no`: never).
pub fn debug_allowed(s: &Session, conn: &Conn) -> bool {
    let setting = s
        .worker
        .shared
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .enable_debug_command;
    match setting {
        "yes" => true,
        "local" => conn.info.addr.ip().is_loopback(),
        _ => false,
    }
}

/// DEBUG HELP | SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | LOG message | PROTOCOL type |
/// CHANGE-REPL-ID | OBJECT key
pub async fn debug(s: &mut Session, conn: &mut Conn, argv: &[Bytes]) -> CmdResult {
    let sub = argv.get(1).map(|b| &b[..]).unwrap_or_default();
    let arg = argv.get(2).filter(|_| argv.len() == 3);
    if is(sub, "help") && argv.len() == 2 {
        write_help(s, conn, DEBUG_HELP);
        return Ok(());
    }
    if is(sub, "change-repl-id") && argv.len() == 2 {
        s.worker
            .shared
            .repl_id_generation
            .fetch_add(1, Ordering::Relaxed);
        s.writer(conn.resp3).simple(b"OK");
        return Ok(());
    }
    match arg {
        Some(secs) if is(sub, "sleep") => {
            let secs = c_atof(secs);
            // Redis sleeps in its only thread, stopping everything: block
            // every shard thread at once for the same effect.
            if let Ok(d) = Duration::try_from_secs_f64(secs) {
                coord::fan_out(&s.worker, s.held_tx(), move |_| std::thread::sleep(d)).await?;
            }
            s.writer(conn.resp3).simple(b"OK");
        }
        Some(on) if is(sub, "set-active-expire") => {
            let on = ferrite_commands::util::c_atoi(on) != 0;
            coord::fan_out(&s.worker, s.held_tx(), move |_| {
                ACTIVE_EXPIRE.with(|c| c.set(on))
            })
            .await?;
            s.writer(conn.resp3).simple(b"OK");
        }
        Some(msg) if is(sub, "log") => {
            tracing::warn!(message = %String::from_utf8_lossy(msg), "DEBUG LOG");
            s.writer(conn.resp3).simple(b"OK");
        }
        Some(kind) if is(sub, "protocol") => debug_protocol(s, conn, kind)?,
        Some(key) if is(sub, "object") => debug_object(s, conn, key.clone()).await?,
        _ => {
            return Err(CmdError::other(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(sub)
            )))
        }
    }
    Ok(())
}

/// Redis's LRU clock wraps at 24 bits of seconds (`LRU_CLOCK_MAX`).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// DEBUG OBJECT: Redis 7.0's one-line description of a key's value, read on
/// the key's shard without touching it. The address is the entry's own;
/// `refcount` is what OBJECT REFCOUNT says; `lru` is Redis's 24-bit clock
/// of the last access (under an LFU policy, the stored LFU word: minute
/// of the last decrement and counter, as Redis shows it), `lru_seconds_idle` derived from it as
/// Redis derives it. `serializedlength` and the `ql_*` fields come from
/// the RDB encoder (`ferrite_persistence::rdb::encode`), so they are
/// Redis's figures wherever DUMP's bytes are (see that module).
async fn debug_object(s: &mut Session, conn: &mut Conn, key: Bytes) -> CmdResult {
    use ferrite_persistence::rdb::encode;
    let (opts, lfu) = {
        let cfg = s
            .worker
            .shared
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let opts = encode::Options {
            compression: cfg.rdbcompression,
            list_fill: cfg.list_max_listpack_size,
            list_compress_depth: cfg.list_compress_depth,
        };
        (opts, cfg.maxmemory_policy.is_lfu())
    };
    let db = conn.db;
    let n = s.worker.shared.nshards;
    let shard = crate::slot::shard_of(&key, n);
    let describe = move |sh: &mut Shard| -> Option<String> {
        let now_ms = Shared::now_ms();
        let entry = sh.dbs.get_mut(db)?.get(&key, now_ms)?;
        Some(describe_entry(entry, &opts, lfu, now_ms))
    };
    let line = if n == 1 {
        describe(&mut s.worker.shard.borrow_mut())
    } else {
        coord::run_on(&s.worker.shared, shard, s.held_tx(), describe).await?
    };
    match line {
        Some(l) => s.writer(conn.resp3).simple(l.as_bytes()),
        None => return Err(CmdError::other("ERR no such key")),
    }
    Ok(())
}

/// DEBUG OBJECT's line for `e`.
fn describe_entry(
    e: &ferrite_storage::Entry,
    opts: &ferrite_persistence::rdb::encode::Options,
    lfu: bool,
    now_ms: u64,
) -> String {
    use ferrite_persistence::rdb::encode;
    use ferrite_storage::{StrValue, Value};
    let now_secs = (now_ms / 1000) as u32;
    let refcount = match e.value {
        Value::Str(StrValue::Int(n)) if (0..10_000).contains(&n) => i32::MAX,
        _ => 1,
    };
    let clock = now_secs & LRU_CLOCK_MAX;
    let lru = if lfu {
        e.lfu_word()
    } else {
        e.access_secs & LRU_CLOCK_MAX
    };
    let idle = if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_CLOCK_MAX - lru)
    };
    let mut line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        &e.value,
        refcount,
        e.value.encoding(),
        encode::object_len(&e.value, opts),
        lru,
        idle
    );
    if let Value::List(l) = &e.value {
        let shape = encode::list_shape(l, opts.list_fill);
        let avg = if shape.nodes == 0 {
            0.0
        } else {
            l.len() as f64 / shape.nodes as f64
        };
        line.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            shape.nodes,
            avg,
            shape.fill,
            i32::from(opts.list_compress_depth != 0),
            shape.bytes
        ));
    }
    line
}

/// DEBUG PROTOCOL: Redis's fixed sample replies, for client tests.
fn debug_protocol(s: &mut Session, conn: &Conn, kind: &[u8]) -> CmdResult {
    let resp3 = conn.resp3;
    let mut w = s.writer(resp3);
    let k = |name: &str| is(kind, name);
    if k("string") {
        w.bulk(b"Hello World");
    } else if k("integer") {
        w.int(12345);
    } else if k("double") {
        if resp3 {
            w.raw(b",3.141\r\n");
        } else {
            w.bulk(b"3.141");
        }
    } else if k("bignum") {
        w.big_number(b"1234567999999999999999999999999999999");
    } else if k("null") {
        w.null();
    } else if k("array") || k("set") {
        if k("array") {
            w.array(3);
        } else {
            w.set(3);
        }
        for i in 0..3 {
            w.int(i);
        }
    } else if k("map") {
        w.map(3);
        for i in 0..3 {
            w.int(i);
            w.boolean(i == 1);
        }
    } else if k("attrib") {
        if resp3 {
            w.attribute(1);
            w.bulk(b"key-popularity");
            w.array(2);
            w.bulk(b"key:123");
            w.int(90);
        }
        w.bulk(b"Some real reply following the attribute");
    } else if k("push") {
        if !resp3 {
            return Err(CmdError::other(
                "ERR RESP2 is not supported by this command",
            ));
        }
        w.push(2);
        w.bulk(b"server-cpu-usage");
        w.int(42);
        w.bulk(b"Some real reply following the push reply");
    } else if k("verbatim") {
        w.verbatim(b"txt", b"This is a verbatim\nstring");
    } else if k("true") || k("false") {
        w.boolean(k("true"));
    } else {
        return Err(CmdError::other(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atof_and_atoi_read_prefixes_as_c_does() {
        assert_eq!(c_atof(b"0.5"), 0.5);
        assert_eq!(c_atof(b" 1e-2xyz"), 0.01);
        assert_eq!(c_atof(b"abc"), 0.0);
        assert_eq!(c_atof(b""), 0.0);
        assert!(c_atof(b"-3").is_sign_negative());
        use ferrite_commands::util::c_atoi;
        assert_eq!(c_atoi(b"1"), 1);
        assert_eq!(c_atoi(b" -12x"), -12);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn key_specs_are_derived_from_the_range() {
        let table = ferrite_commands::table();
        let get = table.get(b"get").unwrap();
        let k = key_spec(get).unwrap();
        assert_eq!((k.index, k.lastkey, k.keystep), (1, 0, 1));
        assert_eq!(k.flags, vec!["RO"]);
        let mset = table.get(b"mset").unwrap();
        let k = key_spec(mset).unwrap();
        assert_eq!((k.index, k.lastkey, k.keystep), (1, -1, 2));
        assert_eq!(k.flags, vec!["RW"]);
        assert!(key_spec(table.get(b"ping").unwrap()).is_none());
    }

    #[test]
    fn full_names_find_subcommands() {
        let table = ferrite_commands::table();
        assert_eq!(
            lookup_full(&table, b"CONFIG|GET").map(|s| s.name),
            Some("config|get")
        );
        assert!(lookup_full(&table, b"config|nosuch").is_none());
        assert!(lookup_full(&table, b"|").is_none());
        assert_eq!(lookup_full(&table, b"Get").map(|s| s.name), Some("get"));
    }

    #[test]
    fn getkeys_errors_follow_redis_order() {
        let table = ferrite_commands::table();
        let args = |a: &[&str]| -> Vec<Bytes> {
            a.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect()
        };
        let err = |a: &[&str]| command_keys(&table, &args(a)).unwrap_err().to_string();
        assert_eq!(err(&["nosuch", "a"]), "ERR Invalid command specified");
        assert_eq!(err(&["config", "nosuch"]), "ERR Invalid command specified");
        assert_eq!(err(&["time", "x"]), "ERR The command has no key arguments");
        assert_eq!(
            err(&["get", "a", "b"]),
            "ERR Invalid number of arguments specified for command"
        );
        let keys = command_keys(&table, &args(&["mset", "a", "1", "b", "2"])).unwrap();
        let names: Vec<_> = keys.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(names, args(&["a", "b"]));
        assert_eq!(keys[0].1.names(), vec!["OW", "update"]);
    }
}
