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
    /// Import an iCalendar file (.ics export of Google, Outlook or Apple
    /// calendars) as bookings, in one transaction. Recurring events are
    /// expanded (open-ended ones up to 366 days ahead); all-day and
    /// cancelled events are skipped with a reason.
    Import {
        /// The .ics file.
        file: PathBuf,
        /// Room or instrument every lesson is booked on.
        #[arg(long, value_name = "ID")]
        resource: String,
        /// Teacher of every lesson; default: a new teacher named after the file.
        #[arg(long, value_name = "ID")]
        teacher: Option<i64>,
        /// Student of every lesson; default: one new student per event title.
        #[arg(long, value_name = "ID")]
        student: Option<i64>,
        /// Also import occurrences that already happened.
        #[arg(long)]
        include_past: bool,
        /// Print what would be created and every conflict; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Name recorded in the audit log.
        #[arg(long, default_value = "melody import")]
        actor: String,
    },
    /// Write bookings or the audit log as CSV (UTF-8 with a byte order mark,
    /// CRLF line ends). Text cells that a spreadsheet would run as a formula
    /// get a leading '. The range is read like a booking start.
    Export {
        /// Table to export.
        #[arg(value_enum)]
        table: crate::transfer::ExportTable,
        /// Range start (inclusive), such as 2027-01-01T00:00 in the studio zone.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Range end (exclusive).
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// File to write; standard output when omitted.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import students, teachers or bookings from a CSV file with a header
    /// row, in one transaction: any error writes nothing and every error is
    /// listed with its line. See docs/csv.md for the columns.
    ImportCsv {
        /// The CSV file; - reads standard input.
        file: PathBuf,
        /// Kind of records in the file.
        #[arg(long, value_enum)]
        kind: crate::transfer::ImportKindArg,
        /// Check every row and print what would be created; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Name recorded as the creator of imported bookings and in the audit log.
        #[arg(long, default_value = "melody import-csv")]
        actor: String,
    },
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
        Command::Import {
            file,
            resource,
            teacher,
            student,
            include_past,
            dry_run,
            json,
            actor,
        } => crate::ics::run(
            &db,
            &crate::ics::IcsImport {
                file: &file,
                resource: &resource,
                teacher,
                student,
                include_past,
                dry_run,
                json,
                actor: &actor,
            },
        ),
        Command::Export {
            table,
            from,
            to,
            output,
        } => crate::transfer::export(
            &db,
            &crate::transfer::Export {
                table,
                from: from.as_deref(),
                to: to.as_deref(),
                output: output.as_deref(),
            },
        ),
        Command::ImportCsv {
            file,
            kind,
            dry_run,
            json,
            actor,
        } => crate::transfer::import_csv(
            &db,
            &crate::transfer::ImportCsv {
                file: &file,
                kind,
                dry_run,
                json,
                actor: &actor,
            },
        ),
        Command::Report(Report::ResourceCounts { json }) => tools::report_resource_counts(&db, json),
    }
}
