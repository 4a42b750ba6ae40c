//! A last line of defence around command handlers.
//!
//! Handlers are written not to panic on any input (and property-tested for
//! it), but a bug must not take down a shard thread and with it every client
//! it serves: a panicking handler is caught, logged with the command name,
//! and answered with an error reply. Catching costs nothing on the normal path.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::Bytes;
use ferrite_commands::{CmdError, CmdResult, Ctx, Handler};

/// Runs `h`, turning a panic into an error reply.
pub fn call(h: Handler, ctx: &mut Ctx<'_>, argv: &[Bytes]) -> CmdResult {
    let start = ctx.out.len();
    match catch_unwind(AssertUnwindSafe(|| h(ctx, argv))) {
        Ok(res) => res,
        Err(_) => {
            // Drop whatever part of a reply the handler had written.
            ctx.out.truncate(start);
            let name = argv
                .first()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            tracing::error!(command = %name, "command handler panicked; the client got an error");
            Err(CmdError::other(format!(
                "ERR internal error while running '{name}', please report it"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_commands::{Settings, Stats};
    use ferrite_storage::Db;

    fn boom(_: &mut Ctx<'_>, _: &[Bytes]) -> CmdResult {
        panic!("bug")
    }

    #[test]
    fn a_panicking_handler_becomes_an_error_reply() {
        let mut dbs = vec![Db::new()];
        let mut out = bytes::BytesMut::new();
        let settings = Settings::default();
        let mut stats = Stats::default();
        let mut ctx = Ctx::new(&mut dbs, 0, 0, &mut out, false, &settings, &mut stats);
        let err = call(boom, &mut ctx, &[Bytes::from_static(b"boom")]).unwrap_err();
        assert!(err.to_string().contains("internal error"));
        assert!(out.is_empty());
    }
}
