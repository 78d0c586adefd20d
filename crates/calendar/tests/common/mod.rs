//! Helpers shared by the integration tests: running the Python reference
//! expansion (`tests/ical/expand.py` with icalendar + recurring_ical_events).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;
use melody_calendar::{expand, Calendar, DateValue, ExpandOptions, Expansion};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/ical/");

/// An occurrence as both sides report it: UTC start, minutes, summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub start: String,
    pub duration_min: i64,
    pub summary: String,
}

/// An occurrence from the Python reference, with its all-day flag.
#[derive(Debug, Clone)]
pub struct PythonSlot {
    pub slot: Slot,
    pub all_day: bool,
    pub uid: String,
    pub status: String,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `tests/ical/expand.py FILE FROM TO ZONE` with the test venv.
/// Returns `Err` with icalendar's message when it rejects the file; panics
/// when the venv is missing or the script fails otherwise.
pub fn python_expand(file: &Path, from_year: i32, to_year: i32, zone: Tz) -> Result<Vec<PythonSlot>, String> {
    let root = repo_root();
    let python = root.join(".venv-test/bin/python");
    assert!(
        python.exists(),
        "{} is missing; run scripts/setup to create the test venv with tests/requirements.txt",
        python.display()
    );
    let output = Command::new(&python)
        .arg(root.join("tests/ical/expand.py"))
        .arg(file)
        .arg(format!("{from_year}-01-01"))
        .arg(format!("{to_year}-01-01"))
        .arg(zone.name())
        .output()
        .expect("failed to start the test venv's python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "expand.py printed no JSON for {} ({error}); stderr:\n{}\nIf a module is missing, run scripts/setup.",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    if let Some(error) = json.get("error") {
        return Err(error.as_str().unwrap_or_default().to_string());
    }
    let occurrences = json["occurrences"].as_array().expect("occurrences array");
    Ok(occurrences
        .iter()
        .map(|item| PythonSlot {
            slot: Slot {
                start: item["start"].as_str().unwrap().to_string(),
                duration_min: item["duration_min"].as_i64().unwrap(),
                summary: item["summary"].as_str().unwrap().to_string(),
            },
            all_day: item["all_day"].as_bool().unwrap(),
            uid: item["uid"].as_str().unwrap().to_string(),
            status: item["status"].as_str().unwrap().to_string(),
        })
        .collect())
}

pub fn year_start(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap()
}

/// Expands `calendar` over [from_year-01-01, to_year-01-01) UTC, past included.
pub fn expand_window(calendar: &Calendar, from_year: i32, to_year: i32, zone: Tz) -> Expansion {
    let options = ExpandOptions {
        zone,
        now: year_start(from_year),
        include_past: true,
        horizon: year_start(to_year),
    };
    expand(calendar, &options)
}

/// Returns the earliest DTSTART year among timed events, else among all events.
pub fn first_start_year(calendar: &Calendar) -> Option<i32> {
    let starts = calendar.events.iter().filter_map(|event| event.start.as_ref());
    let timed = starts
        .clone()
        .filter_map(|start| match start {
            DateValue::Date(_) => None,
            DateValue::Utc(local) | DateValue::Floating(local) | DateValue::Zoned { local, .. } => {
                Some(local.year())
            }
        })
        .min();
    timed.or_else(|| {
        starts
            .filter_map(|start| match start {
                DateValue::Date(date) => Some(date.year()),
                _ => None,
            })
            .min()
    })
}

pub fn slots(expansion: &Expansion) -> Vec<Slot> {
    let mut slots: Vec<Slot> = expansion
        .occurrences
        .iter()
        .map(|occurrence| Slot {
            start: occurrence.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            duration_min: occurrence.duration_min,
            summary: occurrence.summary.clone(),
        })
        .collect();
    slots.sort();
    slots
}
