//! `redis.call` and `redis.pcall` over Lua's C API: the hot path of every
//! script. Arguments are read straight off the Lua stack into one reused
//! buffer, the host runs the command, and its RESP reply is pushed onto the
//! stack as Lua values without building an intermediate tree.
//!
//! Lua reports errors (a failed allocation) by `longjmp`. So that one can
//! never skip a Rust destructor, these functions keep no value with a
//! destructor in their frames while they call Lua: the buffers live in a
//! thread-local scratch reached through a raw pointer, the host through a
//! `Copy` pointer.

use std::cell::{Cell, UnsafeCell};
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;

use bytes::{Bytes, BytesMut};
use mlua::ffi;

use crate::convert::format_number;
use crate::Host;

/// Reused buffers of the thread's script calls.
#[derive(Default)]
struct Scratch {
    /// Every argument back to back; split into `argv` for the host.
    arena: BytesMut,
    /// Argument end offsets in `arena`.
    ends: Vec<usize>,
    /// The arguments, as the host takes them.
    argv: Vec<Bytes>,
    /// The host's reply.
    reply: BytesMut,
    /// A number formatted as an argument.
    num: Vec<u8>,
}

thread_local! {
    static SCRATCH: UnsafeCell<Scratch> = UnsafeCell::new(Scratch::default());
    /// The host of the script running on this thread, and the protocol it
    /// chose (`redis.setresp`).
    static ACTIVE: Cell<Option<(NonNull<dyn Host + 'static>, bool)>> = const { Cell::new(None) };
}

/// Makes `host` the one `redis.call` reaches until [`clear_host`].
pub(crate) fn set_host(host: NonNull<dyn Host + 'static>) {
    ACTIVE.with(|a| a.set(Some((host, false))));
}

/// Runs `f` with the running script's host, if any (for the Rust
/// callbacks: `redis.log`, `redis.acl_check_cmd`, the hook).
pub(crate) fn with_host<R>(f: impl FnOnce(&mut dyn Host) -> R) -> Option<R> {
    let (mut p, _) = ACTIVE.with(|a| a.get())?;
    // SAFETY: the pointer is set by `ScriptVm::exec` from a `&mut dyn Host`
    // that outlives the call into Lua, and cleared before `exec` returns;
    // the host is reached only from that call's callbacks, on this thread,
    // one at a time (no callback re-enters another).
    Some(f(unsafe { p.as_mut() }))
}

/// Forgets the host (the script ended).
pub(crate) fn clear_host() {
    ACTIVE.with(|a| a.set(None));
}

/// `redis.setresp`: the protocol replies reach the script in.
pub(crate) fn set_resp3(resp3: bool) {
    ACTIVE.with(|a| {
        if let Some((h, _)) = a.get() {
            a.set(Some((h, resp3)));
        }
    });
}

/// The protocol the running script chose.
pub(crate) fn resp3() -> bool {
    ACTIVE.with(|a| a.get().is_some_and(|(_, r)| r))
}

const ARGS_ERROR: &str = "ERR Lua redis lib command arguments must be strings or integers";
const NO_ARGS: &str = "ERR Please specify at least one argument for this redis lib call";

/// `redis.call`: raises the error table of a failed command.
pub(crate) unsafe extern "C-unwind" fn redis_call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function with `state`.
    unsafe { call(state, true) }
}

/// `redis.pcall`: returns the error table of a failed command.
pub(crate) unsafe extern "C-unwind" fn redis_pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C function with `state`.
    unsafe { call(state, false) }
}

/// Pushes `{err = text}` (with `ignore_error_stats_update` for pcall), then
/// raises it (call) or returns it (pcall).
///
/// Safety: `state` is a running Lua state.
unsafe fn fail(state: *mut ffi::lua_State, text: &[u8], raise: bool) -> c_int {
    // SAFETY: plain stack operations; `text` outlives them.
    unsafe {
        ffi::lua_createtable(state, 0, 2);
        ffi::lua_pushlstring(state, text.as_ptr() as *const c_char, text.len());
        ffi::lua_setfield(state, -2, c"err".as_ptr());
        if raise {
            ffi::lua_error(state)
        }
        ffi::lua_pushboolean(state, 1);
        ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
        1
    }
}

/// The body of both: no value with a destructor is alive in this frame
/// whenever Lua may raise.
unsafe fn call(state: *mut ffi::lua_State, raise: bool) -> c_int {
    // SAFETY (whole function): `state` is the running state; stack indexes
    // are within `nargs`; pushes stay within the slots `lua_checkstack`
    // granted or LUA_MINSTACK; the scratch is this thread's and nothing
    // else touches it during the call (the host never re-enters Lua).
    unsafe {
        let nargs = ffi::lua_gettop(state);
        if nargs == 0 {
            return fail(state, NO_ARGS.as_bytes(), raise);
        }
        let Some((host, resp3)) = ACTIVE.with(|a| a.get()) else {
            return fail(state, b"ERR no script is running", raise);
        };
        let scratch: *mut Scratch = SCRATCH.with(|s| s.get());
        let sc = &mut *scratch;
        sc.arena.clear();
        sc.ends.clear();
        sc.argv.clear();
        sc.reply.clear();
        for i in 1..=nargs {
            match ffi::lua_type(state, i) {
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let p = ffi::lua_tolstring(state, i, &mut len);
                    sc.arena
                        .extend_from_slice(std::slice::from_raw_parts(p as *const u8, len));
                }
                ffi::LUA_TNUMBER => {
                    sc.num.clear();
                    format_number(ffi::lua_tonumber(state, i), &mut sc.num);
                    sc.arena.extend_from_slice(&sc.num);
                }
                _ => return fail(state, ARGS_ERROR.as_bytes(), raise),
            }
            sc.ends.push(sc.arena.len());
        }
        let all = sc.arena.split().freeze();
        let mut start = 0;
        for &end in &sc.ends {
            sc.argv.push(all.slice(start..end));
            start = end;
        }
        drop(all);
        (*host.as_ptr()).call(&sc.argv, resp3, &mut sc.reply);
        // The arguments' memory goes back to the arena.
        sc.argv.clear();
        let reply: &[u8] = &sc.reply;
        if let Some(b'-') = reply.first() {
            let line = line_of(reply, 1).unwrap_or(b"ERR invalid reply");
            return fail(state, line, raise);
        }
        if ffi::lua_checkstack(state, 4) == 0 {
            return fail(state, b"ERR reached lua stack limit", raise);
        }
        match push_reply(state, reply, 0, 0) {
            Some(_) => 1,
            None => fail(state, b"ERR invalid reply from command", raise),
        }
    }
}

/// The bytes of the line starting at `from`, up to its CRLF.
fn line_of(buf: &[u8], from: usize) -> Option<&[u8]> {
    let rest = buf.get(from..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    rest.get(..end)
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Deepest reply nesting pushed (each level takes Lua stack slots).
const MAX_DEPTH: usize = 200;

/// Pushes the RESP value at `at` as a Lua value (Redis's conversion
/// rules); returns the offset after it.
///
/// Safety: `state` is a running Lua state with at least 4 free slots.
unsafe fn push_reply(
    state: *mut ffi::lua_State,
    buf: &[u8],
    at: usize,
    depth: usize,
) -> Option<usize> {
    // SAFETY: as the caller's; every level checks its stack first.
    unsafe {
        let kind = *buf.get(at)?;
        let line = line_of(buf, at + 1)?;
        let next = at + 1 + line.len() + 2;
        match kind {
            b'+' => {
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_pushlstring(state, line.as_ptr() as *const c_char, line.len());
                ffi::lua_setfield(state, -2, c"ok".as_ptr());
                Some(next)
            }
            b'-' | b'!' => {
                let (text, end) = if kind == b'!' {
                    let n = usize::try_from(parse_i64(line)?).ok()?;
                    (buf.get(next..next + n)?, next + n + 2)
                } else {
                    (line, next)
                };
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_pushlstring(state, text.as_ptr() as *const c_char, text.len());
                ffi::lua_setfield(state, -2, c"err".as_ptr());
                Some(end)
            }
            b':' => {
                ffi::lua_pushnumber(state, parse_i64(line)? as f64);
                Some(next)
            }
            b'$' | b'=' => {
                let n = parse_i64(line)?;
                if n < 0 {
                    // RESP2's null: false.
                    ffi::lua_pushboolean(state, 0);
                    return Some(next);
                }
                let n = usize::try_from(n).ok()?;
                let body = buf.get(next..next + n)?;
                if kind == b'=' {
                    let (fmt, text) = (body.get(..3)?, body.get(4..)?);
                    ffi::lua_createtable(state, 0, 1);
                    ffi::lua_createtable(state, 0, 2);
                    ffi::lua_pushlstring(state, fmt.as_ptr() as *const c_char, 3);
                    ffi::lua_setfield(state, -2, c"format".as_ptr());
                    ffi::lua_pushlstring(state, text.as_ptr() as *const c_char, text.len());
                    ffi::lua_setfield(state, -2, c"string".as_ptr());
                    ffi::lua_setfield(state, -2, c"verbatim_string".as_ptr());
                } else {
                    ffi::lua_pushlstring(state, body.as_ptr() as *const c_char, n);
                }
                Some(next + n + 2)
            }
            b'_' => {
                ffi::lua_pushnil(state);
                Some(next)
            }
            b'#' => {
                ffi::lua_pushboolean(state, (line == b"t") as c_int);
                Some(next)
            }
            b',' => {
                let d = match line {
                    b"inf" => f64::INFINITY,
                    b"-inf" => f64::NEG_INFINITY,
                    _ => std::str::from_utf8(line).ok()?.parse().ok()?,
                };
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_pushnumber(state, d);
                ffi::lua_setfield(state, -2, c"double".as_ptr());
                Some(next)
            }
            b'(' => {
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_pushlstring(state, line.as_ptr() as *const c_char, line.len());
                ffi::lua_setfield(state, -2, c"big_number".as_ptr());
                Some(next)
            }
            b'*' | b'>' | b'~' | b'%' | b'|' => {
                let n = parse_i64(line)?;
                if n < 0 {
                    ffi::lua_pushboolean(state, 0);
                    return Some(next);
                }
                if depth >= MAX_DEPTH || ffi::lua_checkstack(state, 6) == 0 {
                    return None;
                }
                let n = usize::try_from(n).ok()?;
                // Declared lengths only size what actually arrives.
                let hint = n.min(buf.len() / 4).min(c_int::MAX as usize) as c_int;
                let mut pos = next;
                match kind {
                    b'%' | b'~' => {
                        // {map = {k = v}} / {set = {k = true}}
                        ffi::lua_createtable(state, 0, 1);
                        ffi::lua_createtable(state, 0, hint);
                        for _ in 0..n {
                            pos = push_reply(state, buf, pos, depth + 1)?;
                            if kind == b'%' {
                                pos = push_reply(state, buf, pos, depth + 1)?;
                            } else {
                                ffi::lua_pushboolean(state, 1);
                            }
                            if ffi::lua_type(state, -2) == ffi::LUA_TNIL {
                                ffi::lua_settop(state, -3);
                                continue;
                            }
                            ffi::lua_rawset(state, -3);
                        }
                        let field = if kind == b'%' { c"map" } else { c"set" };
                        ffi::lua_setfield(state, -2, field.as_ptr());
                    }
                    b'|' => {
                        // Attributes are dropped: skip them, push what follows.
                        for _ in 0..2 * n {
                            pos = push_reply(state, buf, pos, depth + 1)?;
                            ffi::lua_settop(state, -2);
                        }
                        pos = push_reply(state, buf, pos, depth + 1)?;
                    }
                    _ => {
                        ffi::lua_createtable(state, hint, 0);
                        for i in 0..n {
                            pos = push_reply(state, buf, pos, depth + 1)?;
                            ffi::lua_rawseti(state, -2, (i + 1) as ffi::lua_Integer);
                        }
                    }
                }
                Some(pos)
            }
            _ => None,
        }
    }
}
