//! Functions: FUNCTION LOAD / DELETE / FLUSH / LIST / STATS / KILL / DUMP
//! / RESTORE / HELP, FCALL and FCALL_RO.
//!
//! The libraries are server-wide (`Scripts::libraries`): their code and
//! what each registered. FUNCTION LOAD runs a library in a fresh VM first,
//! so a failing one changes nothing. Every thread that runs functions has
//! its own function VM, rebuilt with every library when the libraries'
//! generation has moved on. FCALL runs like EVAL (`script::run_call`):
//! where its keys live when known to stay there, else with every shard
//! locked.

use std::collections::BTreeMap;

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult, CommandSpec, Flags};
use ferrite_scripting::{library_name, sha1_hex, LibraryInfo, ScriptVm, FLAG_NAMES};

use crate::conn::{Conn, Session};
use crate::script::Call;

/// The loaded libraries.
#[derive(Default)]
pub struct Libraries {
    libs: BTreeMap<String, (Bytes, LibraryInfo)>,
}

impl Libraries {
    /// Every library's name and code (to load them into a VM).
    pub fn codes(&self) -> Vec<(String, Bytes)> {
        self.libs
            .iter()
            .map(|(n, (c, _))| (n.clone(), c.clone()))
            .collect()
    }

    /// How many libraries and functions, and the bytes of their code.
    pub fn figures(&self) -> (u64, u64, u64) {
        let funcs: usize = self.libs.values().map(|(_, i)| i.functions.len()).sum();
        let bytes: usize = self.libs.values().map(|(c, _)| c.len()).sum();
        (self.libs.len() as u64, funcs as u64, bytes as u64)
    }

    /// The library and description of function `name` (any case).
    fn function(&self, name: &str) -> Option<&ferrite_scripting::FunctionInfo> {
        self.libs
            .values()
            .flat_map(|(_, info)| info.functions.iter())
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Adds (or with `replace`, replaces) a library, unless a name
    /// collides. Changes nothing on error.
    /// (`restoring`: Redis words the collision without quotes there.)
    fn add(
        &mut self,
        code: Bytes,
        info: LibraryInfo,
        replace: bool,
        restoring: bool,
    ) -> Result<(), CmdError> {
        if !replace && self.libs.contains_key(&info.name) {
            let q = if restoring { "" } else { "'" };
            return Err(CmdError::other(format!(
                "ERR Library {q}{}{q} already exists",
                info.name
            )));
        }
        for f in &info.functions {
            let clash = self.libs.iter().any(|(lib, (_, other))| {
                *lib != info.name
                    && other
                        .functions
                        .iter()
                        .any(|g| g.name.eq_ignore_ascii_case(&f.name))
            });
            if clash {
                return Err(CmdError::other(format!(
                    "ERR Function {} already exists",
                    f.name
                )));
            }
        }
        self.libs.insert(info.name.clone(), (code, info));
        Ok(())
    }
}

/// Runs a library's code in a fresh VM: its name and functions, or the
/// error reply.
fn check_library(code: &[u8]) -> Result<LibraryInfo, CmdError> {
    let name = library_name(code).map_err(CmdError::other)?;
    let mut vm = ScriptVm::for_functions()
        .map_err(|e| CmdError::other(format!("ERR cannot start Lua: {e}")))?;
    vm.load_library(&name, code).map_err(CmdError::other)
}

/// FCALL / FCALL_RO.
pub async fn fcall(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let (keys, args) =
        crate::script::split_keys(argv, CmdError::other("ERR Bad number of keys provided"))?;
    let name =
        String::from_utf8_lossy(argv.get(1).map(|b| &b[..]).unwrap_or_default()).into_owned();
    let info = {
        let libs = shared
            .scripts
            .libraries
            .read()
            .map_err(|_| CmdError::other("ERR Function not found"))?;
        libs.function(&name).cloned()
    };
    let Some(info) = info else {
        return Err(CmdError::other("ERR Function not found"));
    };
    let ro_command = spec.flags.contains(Flags::READONLY);
    if ro_command && !info.no_writes() {
        return Err(CmdError::other(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    // Bit 1: `allow-oom` (FLAG_NAMES's order).
    if !info.no_writes() && info.flags & 2 == 0 && crate::evict::is_oom(&s.worker.shard.borrow()) {
        return Err(crate::evict::oom_error());
    }
    let mut reach_key = b"fcall:".to_vec();
    reach_key.extend_from_slice(info.name.to_ascii_lowercase().as_bytes());
    let call = Call {
        sha: sha1_hex(&reach_key),
        body: Bytes::new(),
        keys: keys.to_vec(),
        args: args.to_vec(),
        db: conn.db,
        resp3: conn.resp3,
        read_only: ro_command || info.no_writes(),
        deny_oom: false,
        client: conn.id,
        no_touch: conn.no_touch,
        function: Some((info.name.clone(), argv.to_vec())),
        reach: None,
        now: s.now_ms,
        track: crate::tracking::tracks_reads(conn),
    };
    s.flush().await;
    crate::script::run_call(s, conn, call).await
}

/// Journals a FUNCTION subcommand that changed the libraries, as received
/// (replaying it rebuilds them; Redis journals these the same way).
fn journal(s: &Session, conn: &Conn, argv: &[Bytes]) {
    let journal = &s.worker.shared.journal;
    if journal.is_on() {
        let args = argv.iter().map(|a| &a[..]);
        journal.append_command(s.worker.id, s.journal_ord, conn.db, args);
    }
}

/// FUNCTION's subcommands.
pub async fn function(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    argv: &[Bytes],
) -> CmdResult {
    let shared = s.worker.shared.clone();
    let scripts = &shared.scripts;
    let args = argv.get(2..).unwrap_or_default();
    let bump = || {
        scripts
            .fn_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
    };
    match spec.name {
        "function|load" => {
            let (replace, code) = match args {
                [code] => (false, code),
                [r, code] if r.eq_ignore_ascii_case(b"replace") => (true, code),
                [other, _] => {
                    return Err(CmdError::other(format!(
                        "ERR Unknown option given: {}",
                        String::from_utf8_lossy(other)
                    )))
                }
                _ => return Err(CmdError::SYNTAX),
            };
            let info = check_library(code)?;
            let name = info.name.clone();
            scripts
                .libraries
                .write()
                .map_err(|_| CmdError::other("ERR libraries unavailable"))?
                // A copy: `code` is a slice of the read buffer, which it would pin.
                .add(Bytes::copy_from_slice(code), info, replace, false)?;
            bump();
            journal(s, conn, argv);
            s.writer(conn.resp3).bulk(name.as_bytes());
        }
        "function|delete" => {
            let name = String::from_utf8_lossy(args.first().map(|b| &b[..]).unwrap_or_default())
                .into_owned();
            let removed = scripts
                .libraries
                .write()
                .map(|mut l| l.libs.remove(&name).is_some())
                .unwrap_or(false);
            if !removed {
                return Err(CmdError::other("ERR Library not found"));
            }
            bump();
            journal(s, conn, argv);
            s.writer(conn.resp3).simple(b"OK");
        }
        "function|flush" => {
            match args {
                [] => {}
                [m] if m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async") => {}
                _ => {
                    return Err(CmdError::other(
                        "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
                    ))
                }
            }
            if let Ok(mut l) = scripts.libraries.write() {
                l.libs.clear();
            }
            scripts.forget_function_reach();
            bump();
            journal(s, conn, argv);
            s.writer(conn.resp3).simple(b"OK");
        }
        "function|list" => list(s, conn, args)?,
        "function|stats" => {
            let running = crate::script::running_function(&shared);
            let (libs, funcs) = scripts
                .libraries
                .read()
                .map(|l| {
                    (
                        l.libs.len(),
                        l.libs
                            .values()
                            .map(|(_, i)| i.functions.len())
                            .sum::<usize>(),
                    )
                })
                .unwrap_or((0, 0));
            let mut w = s.writer(conn.resp3);
            w.map(2);
            w.bulk(b"running_script");
            match running {
                None => w.null(),
                Some((name, cmd, ms)) => {
                    w.map(3);
                    w.bulk(b"name");
                    w.bulk(name.as_bytes());
                    w.bulk(b"command");
                    w.array(cmd.len());
                    for a in &cmd {
                        w.bulk(a);
                    }
                    w.bulk(b"duration_ms");
                    w.int(ms as i64);
                }
            }
            w.bulk(b"engines");
            w.map(1);
            w.bulk(b"LUA");
            w.map(2);
            w.bulk(b"libraries_count");
            w.int(libs as i64);
            w.bulk(b"functions_count");
            w.int(funcs as i64);
        }
        "function|kill" => {
            crate::script::kill_runs(scripts, true)?;
            s.writer(conn.resp3).simple(b"OK");
        }
        "function|dump" => {
            let codes = scripts
                .libraries
                .read()
                .map(|l| l.codes())
                .unwrap_or_default();
            let compression = s
                .worker
                .shared
                .config
                .read()
                .map(|c| c.rdbcompression)
                .unwrap_or(true);
            let payload = ferrite_scripting::payload::dump(&codes, compression);
            s.writer(conn.resp3).bulk(&payload);
        }
        "function|restore" => {
            let payload = args.first().map(|b| &b[..]).unwrap_or_default();
            let policy = match args.get(1) {
                None => Policy::Append,
                Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
                Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
                Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
                Some(_) => {
                    return Err(CmdError::other(
                        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
                    ))
                }
            };
            if args.len() > 2 {
                return Err(CmdError::SYNTAX);
            }
            let codes = ferrite_scripting::payload::undump(payload)
                .ok_or_else(|| CmdError::other("ERR DUMP payload version or checksum are wrong"))?;
            let mut loaded = Vec::with_capacity(codes.len());
            for code in codes {
                let info = check_library(&code)?;
                loaded.push((code, info));
            }
            let mut libs = scripts
                .libraries
                .write()
                .map_err(|_| CmdError::other("ERR libraries unavailable"))?;
            // All or nothing: build the result aside.
            let mut next = Libraries {
                libs: if policy == Policy::Flush {
                    BTreeMap::new()
                } else {
                    libs.libs.clone()
                },
            };
            for (code, info) in loaded {
                next.add(code, info, policy == Policy::Replace, true)?;
            }
            *libs = next;
            drop(libs);
            bump();
            journal(s, conn, argv);
            s.writer(conn.resp3).simple(b"OK");
        }
        "function|help" => {
            let mut w = s.writer(conn.resp3);
            w.array(HELP.len());
            for l in HELP {
                w.simple(l.as_bytes());
            }
        }
        _ => return Err(CmdError::other("ERR unknown subcommand")),
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    Append,
    Replace,
    Flush,
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn list(s: &mut Session, conn: &Conn, args: &[Bytes]) -> CmdResult {
    let mut pattern: Option<&[u8]> = None;
    let mut with_code = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"withcode") {
            if with_code {
                return Err(CmdError::other("ERR Unknown argument WITHCODE"));
            }
            with_code = true;
        } else if a.eq_ignore_ascii_case(b"libraryname") {
            let Some(p) = args.get(i + 1) else {
                return Err(CmdError::other("ERR library name argument was not given"));
            };
            if pattern.is_some() {
                return Err(CmdError::other("ERR Unknown argument LIBRARYNAME"));
            }
            pattern = Some(p);
            i += 1;
        } else {
            return Err(CmdError::other(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(a)
            )));
        }
        i += 1;
    }
    let shared = s.worker.shared.clone();
    let libs = shared
        .scripts
        .libraries
        .read()
        .map_err(|_| CmdError::other("ERR libraries unavailable"))?;
    let selected: Vec<&(Bytes, LibraryInfo)> = libs
        .libs
        .values()
        .filter(|(_, info)| {
            pattern
                .is_none_or(|p| ferrite_storage::glob::string_match(p, info.name.as_bytes(), false))
        })
        .collect();
    let mut w = s.writer(conn.resp3);
    w.array(selected.len());
    for (code, info) in selected {
        w.map(if with_code { 4 } else { 3 });
        w.bulk(b"library_name");
        w.bulk(info.name.as_bytes());
        w.bulk(b"engine");
        w.bulk(b"LUA");
        w.bulk(b"functions");
        w.array(info.functions.len());
        for f in &info.functions {
            w.map(3);
            w.bulk(b"name");
            w.bulk(f.name.as_bytes());
            w.bulk(b"description");
            match &f.description {
                Some(d) => w.bulk(d),
                None => w.null(),
            }
            w.bulk(b"flags");
            let names: Vec<&str> = FLAG_NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| f.flags & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect();
            w.set(names.len());
            for n in names {
                w.simple(n.as_bytes());
            }
        }
        if with_code {
            w.bulk(b"library_code");
            w.bulk(code);
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];
