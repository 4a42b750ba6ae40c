//! The `ferrite-server` binary: starts like `redis-server`.
//!
//! `ferrite-server [/path/to/ferrite.conf] [--directive value ...]`

use anyhow::Context;
use ferrite_config::Config;

mod logging;

#[global_allocator]
static GLOBAL: ferrite_runtime::alloc::CountingAlloc = ferrite_runtime::alloc::CountingAlloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-v") {
        println!(
            "Ferrite server v={} (implements Redis {})",
            ferrite_runtime::FERRITE_VERSION,
            ferrite_runtime::REDIS_VERSION
        );
        return Ok(());
    }
    let mut config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    logging::init(&config, config.syslog_enabled)?;
    // Absolute before the chdir below, so that INFO's config_file stays true.
    let config_file = args.first().filter(|a| !a.starts_with("--")).map(|f| {
        std::fs::canonicalize(f)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| f.clone())
    });
    if !config.dir.as_os_str().is_empty() {
        std::env::set_current_dir(&config.dir)
            .with_context(|| format!("can't chdir to '{}'", config.dir.display()))?;
        // From here on files live relative to the new working directory.
        if let Ok(cwd) = std::env::current_dir() {
            config.dir = cwd;
        }
    }
    let server = ferrite_runtime::start(config, config_file).context("can't start the server")?;
    tracing::info!(
        port = server.port(),
        shards = server.shared.nshards,
        "Ferrite {} ready to accept connections",
        ferrite_runtime::FERRITE_VERSION
    );
    ferrite_runtime::signals::install(server.shared.clone());
    server.join();
    tracing::info!("Ferrite is now ready to exit, bye bye...");
    Ok(())
}
