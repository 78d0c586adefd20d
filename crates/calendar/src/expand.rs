//! Turning events into lesson occurrences: the public types and the
//! per-calendar driver. Per-series work is in `series.rs`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::parse::{Calendar, Event};
use crate::series::SeriesExpander;
use crate::zone::ZoneResolver;

/// Settings of one import.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// The studio's zone: floating times are read in it, and it is the last
    /// fallback for an unknown TZID.
    pub zone: Tz,
    /// Occurrences starting before this instant are skipped (code `past`)
    /// unless `include_past` is set.
    pub now: DateTime<Utc>,
    pub include_past: bool,
    /// Occurrences starting at or after this instant are not produced.
    pub horizon: DateTime<Utc>,
}

/// One lesson slot produced by the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event's UID, or `line-N` (N = line of its BEGIN:VEVENT) without one.
    pub uid: String,
    pub summary: String,
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    /// The RECURRENCE-ID of a changed occurrence, as a UTC instant.
    pub recurrence_id: Option<DateTime<Utc>>,
}

/// An event, or a set of its occurrences, that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub uid: Option<String>,
    pub summary: Option<String>,
    /// A plain sentence for the studio owner.
    pub reason: String,
    /// One of `all_day`, `cancelled`, `past`, `no_start`, `no_duration`,
    /// `invalid_line`, `invalid_value`, `invalid_rrule`, `unsupported_rrule`.
    pub code: &'static str,
}

/// The result of [`expand`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Sorted by start, then UID.
    pub occurrences: Vec<Occurrence>,
    pub skipped: Vec<Skipped>,
    /// Decisions the import made on the user's behalf (tolerated input,
    /// time zone fallbacks, DST gaps, horizon cut-offs), as sentences.
    pub notes: Vec<String>,
}

/// Expands every event of `calendar` into occurrences, by the rules in the
/// crate documentation. Returns no error, because every event that cannot
/// be imported is listed in [`Expansion::skipped`] with a reason.
pub fn expand(calendar: &Calendar, options: &ExpandOptions) -> Expansion {
    let mut expansion = Expansion {
        notes: calendar.warnings.clone(),
        ..Expansion::default()
    };
    let mut resolver = ZoneResolver::new(calendar, options.zone);

    let mut overrides: HashMap<&str, Vec<&Event>> = HashMap::new();
    let mut masters: Vec<&Event> = Vec::new();
    for event in &calendar.events {
        match (&event.recurrence_id, event.uid.as_deref()) {
            (Some(_), Some(uid)) => overrides.entry(uid).or_default().push(event),
            _ => masters.push(event),
        }
    }

    let mut claimed: HashSet<&str> = HashSet::new();
    for master in masters {
        let own_overrides = match master.uid.as_deref() {
            Some(uid) if claimed.insert(uid) => overrides.get(uid).map(Vec::as_slice).unwrap_or_default(),
            _ => &[],
        };
        SeriesExpander::new(&mut resolver, options, &mut expansion).run(master, own_overrides);
    }
    // An override whose series is not in the file is imported on its own.
    let mut orphans: Vec<&Event> = overrides
        .iter()
        .filter(|(uid, _)| !claimed.contains(*uid))
        .flat_map(|(_, events)| events.iter().copied())
        .collect();
    orphans.sort_by_key(|event| event.line);
    for orphan in orphans {
        SeriesExpander::new(&mut resolver, options, &mut expansion).run(orphan, &[]);
    }

    expansion.notes.append(&mut resolver.notes);
    expansion
        .occurrences
        .sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    expansion
}
