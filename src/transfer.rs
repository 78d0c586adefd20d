//! The CSV commands: `melody export` and `melody import-csv`.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use melody_domain::{parse_start, PersonName};
use melody_store::transfer::{self, CsvImportReport, ExportRange, ImportKind, ImportRequest};

use crate::tools::open_existing;

/// Table that `melody export` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportTable {
    /// Bookings of any status starting in the range.
    Bookings,
    /// Audit entries recorded in the range.
    Audit,
}

/// Kind of records in an import file.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ImportKindArg {
    /// Columns name,email.
    Students,
    /// Column name.
    Teachers,
    /// Columns resource_id,teacher,student,start,duration_min,notes.
    Bookings,
}

impl From<ImportKindArg> for ImportKind {
    fn from(kind: ImportKindArg) -> Self {
        match kind {
            ImportKindArg::Students => Self::Students,
            ImportKindArg::Teachers => Self::Teachers,
            ImportKindArg::Bookings => Self::Bookings,
        }
    }
}

/// The options of `melody export`.
pub struct Export<'a> {
    pub table: ExportTable,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// Standard output when `None`.
    pub output: Option<&'a Path>,
}

/// The options of `melody import-csv`.
pub struct ImportCsv<'a> {
    /// `-` reads standard input.
    pub file: &'a Path,
    pub kind: ImportKindArg,
    pub dry_run: bool,
    pub json: bool,
    pub actor: &'a str,
}

fn parse_bound(
    raw: Option<&str>,
    option: &str,
    zone: melody_domain::StudioZone,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    raw.map(|raw| parse_start(raw, zone).map_err(|e| anyhow::anyhow!("{option} is invalid: {e}")))
        .transpose()
}

/// Writes bookings or the audit log as CSV to `--output` or standard output.
///
/// # Errors
/// Invalid settings or range, a missing database, or a failed write.
pub fn export(db: &Path, options: &Export<'_>) -> anyhow::Result<()> {
    let settings = melody_app::settings_from_env()?;
    let range = ExportRange {
        from: parse_bound(options.from, "--from", settings.zone)?,
        to: parse_bound(options.to, "--to", settings.zone)?,
    };
    if let (Some(from), Some(to)) = (range.from, range.to) {
        if to <= from {
            anyhow::bail!("--to {to} is not after --from {from}: give a later --to");
        }
    }
    let store = open_existing(db)?;
    let csv = match options.table {
        ExportTable::Bookings => {
            store.read(|conn| transfer::export_bookings_csv(conn, range, settings.zone))?
        }
        ExportTable::Audit => store.read(|conn| transfer::export_audit_csv(conn, range))?,
    };
    match options.output {
        Some(path) => {
            std::fs::write(path, &csv).with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), bytes = csv.len(), "CSV export written");
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&csv)
                .context("cannot write the CSV to standard output")?;
            stdout
                .flush()
                .context("cannot write the CSV to standard output")?;
        }
    }
    Ok(())
}

fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    if file == Path::new("-") {
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .context("cannot read the CSV from standard input")?;
        return Ok(input);
    }
    std::fs::read(file).with_context(|| format!("cannot read {}: check the path", file.display()))
}

/// Imports a CSV file, or checks it with `--dry-run`, and prints the report.
///
/// # Errors
/// A file with errors (after printing every one), an invalid `--actor`, a
/// missing database or a database failure. Nothing is written in any of them.
pub fn import_csv(db: &Path, options: &ImportCsv<'_>) -> anyhow::Result<()> {
    PersonName::parse(options.actor)
        .map_err(|e| anyhow::anyhow!("--actor {:?} is invalid: {e}", options.actor))?;
    let settings = melody_app::settings_from_env()?;
    let store = open_existing(db)?;
    let input = read_input(options.file)?;

    let request = ImportRequest {
        kind: options.kind.into(),
        zone: settings.zone,
        allowlist: &settings.allowlist,
        actor: options.actor,
        dry_run: options.dry_run,
        now: Utc::now(),
    };
    let report = transfer::import_csv(&store, &input, &request)
        .with_context(|| format!("import of {} failed; nothing was written", options.file.display()))?;

    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, request.kind);
    }
    if !report.is_valid() {
        anyhow::bail!(
            "{} has {} error(s); nothing was written",
            options.file.display(),
            report.errors.len()
        );
    }
    Ok(())
}

fn print_report(report: &CsvImportReport, kind: ImportKind) {
    for error in &report.errors {
        let mut place = format!("line {}", error.line);
        if let Some(column) = &error.column {
            place.push_str(&format!(", column {column}"));
        }
        if let Some(value) = &error.value {
            place.push_str(&format!(", value {value:?}"));
        }
        println!("{place}: {}", error.message);
    }
    let created = &report.created;
    let count = match kind {
        ImportKind::Students => created.students,
        ImportKind::Teachers => created.teachers,
        ImportKind::Bookings => created.bookings,
    };
    if !report.is_valid() {
        println!("{} error(s): nothing was written", report.errors.len());
    } else if report.dry_run {
        println!("dry run: the file is valid and would create {count} {kind}; nothing was written");
    } else {
        println!("created {count} {kind}");
    }
}
