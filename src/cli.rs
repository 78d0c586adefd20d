//! Command-line parsing and dispatch.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::tools;
use melody_app::{self as config, Config};

#[derive(Debug, Parser)]
#[command(
    name = "melody",
    version,
    about = "MelodyandMeter: the studio's booking server and data tools"
)]
pub struct Cli {
    /// SQLite database file; created with its folder on first use. Default:
    /// melody.db in the OS's app-data folder.
    #[arg(long, global = true, env = "MELODY_DB", value_name = "PATH")]
    db: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the booking server and UI without a window.
    Serve {
        /// TCP port; 0 picks a free one and prints it.
        #[arg(long, env = "PORT", default_value_t = 4242)]
        port: u16,
        /// Address to bind. Anything but loopback needs MELODY_API_TOKEN.
        #[arg(long, env = "MELODY_BIND", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
    /// Create the database or bring its schema up to date, then exit.
    Migrate,
    /// Assign resource "primary" to bookings that have none, with audit entries.
    BackfillResourceId {
        /// Name recorded in the audit log.
        #[arg(long, default_value = "melody backfill-resource-id")]
        actor: String,
    },
    /// Print the OpenAPI document of the HTTP API as JSON.
    Openapi,
    /// Print reports.
    #[command(subcommand)]
    Report(Report),
}

#[derive(Debug, Subcommand)]
enum Report {
    /// Booking counts grouped by resource_id.
    ResourceCounts {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the parsed command.
///
/// # Errors
/// Configuration, database and I/O errors, with what was being done.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    config::init_logging();
    let db = match cli.db {
        Some(path) => path,
        None => config::default_db_path()?,
    };
    match cli.command {
        Command::Serve { port, bind } => {
            let config = Config::from_env(db, std::net::SocketAddr::new(bind, port))?;
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(tools::serve(config))
        }
        Command::Migrate => tools::migrate(&db),
        Command::Openapi => {
            println!("{}", melody_server::openapi_json());
            Ok(())
        }
        Command::BackfillResourceId { actor } => tools::backfill(&db, &actor),
        Command::Report(Report::ResourceCounts { json }) => tools::report_resource_counts(&db, json),
    }
}
