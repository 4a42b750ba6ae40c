//! Commands the runtime executes itself: connection state (connection
//! group), keyspace-wide fan-outs (generic/server groups) and server
//! introspection. Their table rows live in `ferrite-commands`.

pub mod acl;
pub mod client;
pub mod connection;
pub mod keyspace;
pub mod memory;
pub mod observe;
pub mod pubsub;
pub mod server;

use bytes::Bytes;
use ferrite_commands::{CmdResult, CommandSpec, RuntimeCmd};

use crate::conn::{Conn, Session};
use crate::pubsub::Kind;

/// True for commands that read or change data on every shard: the batch's
/// outstanding requests must complete before they run.
pub fn is_barrier(c: RuntimeCmd) -> bool {
    use RuntimeCmd::*;
    matches!(
        c,
        DbSize
            | FlushDb
            | FlushAll
            | SwapDb
            | Keys
            | Scan
            | RandomKey
            | Info
            | Debug
            | Shutdown
            | Config
            | Latency
            | Memory
    )
}

/// Runs a runtime command, writing its reply through the session.
pub async fn run(
    s: &mut Session,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    c: RuntimeCmd,
    argv: &[Bytes],
) -> CmdResult {
    use RuntimeCmd::*;
    match c {
        Ping => connection::ping(s, conn, argv),
        Echo => connection::echo(s, conn, argv),
        Select => connection::select(s, conn, argv),
        Quit => connection::quit(s, conn),
        Reset => connection::reset(s, conn),
        Hello => connection::hello(s, conn, argv),
        Auth => connection::auth(s, conn, argv),
        Client => client::client(s, conn, spec, argv).await,
        DbSize => keyspace::dbsize(s, conn).await,
        FlushDb => keyspace::flush(s, conn, argv, false).await,
        FlushAll => keyspace::flush(s, conn, argv, true).await,
        SwapDb => keyspace::swapdb(s, conn, argv).await,
        Keys => keyspace::keys(s, conn, argv).await,
        Scan => keyspace::scan(s, conn, argv).await,
        RandomKey => keyspace::randomkey(s, conn).await,
        Time => server::time(s, conn),
        Command => server::command(s, conn, spec, argv),
        Info => server::info(s, conn, argv).await,
        Config => server::config(s, conn, spec, argv).await,
        Shutdown => server::shutdown(s, conn, argv),
        Lastsave => server::lastsave(s, conn),
        Debug => server::debug(s, conn, argv).await,
        Multi => crate::multi::multi(s, conn),
        Discard => crate::multi::discard(s, conn),
        Watch => crate::multi::watch(s, conn, argv).await,
        Unwatch => crate::multi::unwatch(s, conn),
        // Dispatched before commands run (it runs others): never here.
        Exec => Err(ferrite_commands::CmdError::other("ERR EXEC without MULTI")),
        Eval => crate::script::eval(s, conn, spec, argv).await,
        Script => crate::script::script(s, conn, spec, argv).await,
        Fcall => crate::function::fcall(s, conn, spec, argv).await,
        Function => crate::function::function(s, conn, spec, argv).await,
        Subscribe => pubsub::subscribe(s, conn, argv, Kind::Channel),
        Psubscribe => pubsub::subscribe(s, conn, argv, Kind::Pattern),
        Ssubscribe => pubsub::subscribe(s, conn, argv, Kind::Shard),
        Unsubscribe => pubsub::unsubscribe(s, conn, argv, Kind::Channel),
        Punsubscribe => pubsub::unsubscribe(s, conn, argv, Kind::Pattern),
        Sunsubscribe => pubsub::unsubscribe(s, conn, argv, Kind::Shard),
        Publish => pubsub::publish(s, conn, argv, false),
        Spublish => pubsub::publish(s, conn, argv, true),
        Pubsub => pubsub::pubsub(s, conn, argv),
        Slowlog => observe::slowlog(s, conn, spec, argv),
        Latency => observe::latency(s, conn, spec, argv).await,
        Monitor => observe::monitor(s, conn),
        Memory => memory::memory(s, conn, spec, argv).await,
        Acl => acl::acl(s, conn, spec, argv),
    }
}
