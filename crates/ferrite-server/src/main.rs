//! The `ferrite-server` binary: starts like `redis-server`.
//!
//! `ferrite-server [/path/to/ferrite.conf] [--directive value ...]`

use anyhow::Context;
use ferrite_config::{Config, LogLevel};

#[global_allocator]
static GLOBAL: ferrite_runtime::alloc::CountingAlloc = ferrite_runtime::alloc::CountingAlloc;

fn init_logging(config: &Config) -> anyhow::Result<()> {
    let level = match config.loglevel {
        LogLevel::Debug => "debug",
        LogLevel::Verbose => "info",
        LogLevel::Notice => "info",
        LogLevel::Warning => "warn",
        LogLevel::Nothing => "off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRITE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if config.logfile.is_empty() {
        // Colours only on a terminal: logs piped to files or collectors stay plain.
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .with_context(|| format!("can't open the log file {}", config.logfile))?;
        builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    }
    Ok(())
}

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
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    init_logging(&config)?;
    // Absolute before the chdir below, so that INFO's config_file stays true.
    let config_file = args.first().filter(|a| !a.starts_with("--")).map(|f| {
        std::fs::canonicalize(f)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| f.clone())
    });
    if !config.dir.as_os_str().is_empty() {
        std::env::set_current_dir(&config.dir)
            .with_context(|| format!("can't chdir to '{}'", config.dir.display()))?;
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
