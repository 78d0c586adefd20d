//! `melody import FILE.ics`: a calendar export as bookings, from the
//! command line, with the same rules and report as `POST /api/import/ics`.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use chrono::Utc;
use melody_domain::ResourceId;
use melody_server::import::{import_ics, ImportError, ImportReport, ImportRequest};

/// Options of one import.
pub struct IcsImport<'a> {
    pub file: &'a Path,
    pub resource: &'a str,
    pub teacher: Option<i64>,
    pub student: Option<i64>,
    pub include_past: bool,
    pub dry_run: bool,
    pub json: bool,
    pub actor: &'a str,
}

/// Imports the file, printing the report as text or JSON.
///
/// # Errors
/// A missing database or file, an invalid resource id, a file that is not
/// iCalendar, or conflicts (nothing is imported then).
pub fn run(db: &Path, options: &IcsImport<'_>) -> anyhow::Result<()> {
    let text =
        std::fs::read(options.file).with_context(|| format!("cannot read {}", options.file.display()))?;
    let text = String::from_utf8(text).with_context(|| {
        format!(
            "{} is not UTF-8 text: export it again as iCalendar (.ics)",
            options.file.display()
        )
    })?;
    let resource = ResourceId::parse(options.resource)
        .with_context(|| format!("--resource {:?} is invalid", options.resource))?;
    let settings = melody_app::settings_from_env()?;
    if !settings.allowlist.permits(&resource) {
        bail!("--resource {resource} is not in ALLOWED_RESOURCE_IDS: pick an allowed resource");
    }
    let store = crate::tools::open_existing(db)?;
    let request = ImportRequest {
        resource,
        teacher_id: options.teacher,
        student_id: options.student,
        include_past: options.include_past,
        calendar_name: options.file.file_name().map_or_else(
            || "calendar import".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
        actor: options.actor.to_owned(),
    };
    match import_ics(
        &store,
        &text,
        &request,
        settings.zone,
        Utc::now(),
        options.dry_run,
    ) {
        Ok(report) => print_report(&report, options.json),
        Err(ImportError::Conflicts { conflicting, report }) => {
            print_report(&report, options.json)?;
            bail!("{conflicting} lesson(s) overlap existing bookings or each other: nothing was imported")
        }
        Err(ImportError::Parse(message)) => {
            bail!(
                "{} is not a valid iCalendar file: {message}",
                options.file.display()
            )
        }
        Err(ImportError::Store(error)) => Err(error.into()),
    }
}

fn print_report(report: &ImportReport, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    let verb = if report.dry_run { "would create" } else { "created" };
    let lessons = if report.dry_run {
        report.occurrences.len() - report.conflicting
    } else {
        report.created
    };
    writeln!(
        out,
        "{verb} {lessons} lesson(s); {} conflicting; {} event(s) skipped",
        report.conflicting,
        report.skipped.len()
    )?;
    for lesson in report
        .occurrences
        .iter()
        .filter(|l| !l.conflicts.is_empty() || !l.overlaps_in_file.is_empty())
    {
        let with: Vec<String> = lesson
            .conflicts
            .iter()
            .map(|c| format!("booking {}", c.booking.id))
            .collect();
        let in_file = lesson.overlaps_in_file.len();
        writeln!(
            out,
            "  conflict: {} {} ({} min) overlaps {}{}",
            lesson.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            lesson.summary,
            lesson.duration_min,
            with.join(", "),
            if in_file > 0 {
                format!(" and {in_file} earlier lesson(s) of this file")
            } else {
                String::new()
            }
        )?;
    }
    for skipped in &report.skipped {
        writeln!(
            out,
            "  skipped ({}): {} {}",
            skipped.code,
            skipped.summary.as_deref().unwrap_or("(no title)"),
            skipped.reason
        )?;
    }
    for note in &report.notes {
        writeln!(out, "  note: {note}")?;
    }
    for name in report.teachers_to_create.iter().chain(&report.students_to_create) {
        writeln!(
            out,
            "  {} person: {name}",
            if report.dry_run {
                "would add"
            } else {
                "added or reused"
            }
        )?;
    }
    Ok(())
}
