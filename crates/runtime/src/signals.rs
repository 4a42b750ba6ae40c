//! SIGTERM and SIGINT start a graceful shutdown, as in Redis. A process that
//! is PID 1 in a container gets no default action for SIGTERM, so the handler
//! is always installed.

use std::sync::Arc;

use crate::server::Shared;

/// Installs the handlers on a small dedicated thread.
pub fn install(shared: Arc<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("ferrite-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "cannot install signal handlers");
                    return;
                }
            };
            rt.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    tracing::error!("cannot install signal handlers");
                    return;
                };
                let name = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                };
                tracing::warn!(signal = name, "received signal, scheduling shutdown");
                shared.begin_shutdown();
            });
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot spawn the signal thread");
    }
}
