//! Ferrite's command table and one module per Redis command group.
//!
//! Each family module begins with its registration list (`COMMANDS`: one
//! [`CommandSpec`] row per command), then the handlers (`cmd_*`), then the pure
//! shard-local operations (`op_*`), then tests. Handlers receive a [`Ctx`]
//! holding the databases of one shard and write their reply into it; the
//! dispatcher in `ferrite-runtime` alone checks arity, routes by key, journals
//! writes and enforces transaction and script rules.
//!
//! Connection and server commands have rows here too (with
//! [`Exec::Runtime`]) but are executed by the runtime, which owns the state
//! they concern.

pub mod acl_index;
pub mod bitmap;
pub mod connection;
pub mod ctx;
pub mod docs;
pub mod error;
pub mod generic;
pub mod hash;
pub mod keyspecs;
pub mod list;
pub mod pubsub;
mod robustness;
pub mod scripting;
pub mod server;
pub mod set;
pub mod sort;
pub mod string;
pub mod table;
#[cfg(test)]
mod testing;
pub mod transactions;
pub mod util;
pub mod zset;
pub mod zsetops;

pub use ctx::{Block, Ctx, Effect, KeyEvent, Settings, Stats};
pub use error::{CmdError, CmdResult, ErrorKind};
pub use table::{CommandSpec, CommandTable, Exec, Flags, Group, Handler, RuntimeCmd};

/// Every family's registration list, in the order COMMAND lists them.
pub fn families() -> Vec<&'static [CommandSpec]> {
    vec![
        string::COMMANDS,
        bitmap::COMMANDS,
        generic::COMMANDS,
        list::COMMANDS,
        hash::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        zsetops::COMMANDS,
        sort::COMMANDS,
        connection::COMMANDS,
        server::COMMANDS,
        transactions::COMMANDS,
        scripting::COMMANDS,
        pubsub::COMMANDS,
    ]
}

/// The full command table.
pub fn table() -> CommandTable {
    CommandTable::new(&families())
}
