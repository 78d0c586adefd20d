//! Logs to a daily rolling file in the app's log folder, and to standard
//! error. `RUST_LOG` sets the level (default `info`).

use std::path::Path;

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps the file writer flushing until the app exits.
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// # Errors
/// The log folder cannot be created.
pub fn init(folder: &Path) -> anyhow::Result<LogGuard> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the log folder {}", folder.display()))?;
    let appender = tracing_appender::rolling::daily(folder, "melody-desk.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false),
        )
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .ok();
    tracing::info!(folder = %folder.display(), "logging to a daily file");
    Ok(LogGuard(guard))
}
