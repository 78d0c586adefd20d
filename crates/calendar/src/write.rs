//! Writing feeds: RFC 5545 text for lessons, with a VTIMEZONE computed from
//! the tz database.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::value::escape_text;

/// Years of VTIMEZONE written past the last start of an open-ended series.
const OPEN_ENDED_YEARS: i32 = 5;

/// A weekly repetition of a feed event. Set at most one of `until` and
/// `count`; with both, only `until` is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRecurrence {
    pub interval_weeks: u32,
    /// Last instant an occurrence may start at (RRULE UNTIL, written in UTC).
    pub until: Option<DateTime<Utc>>,
    pub count: Option<u32>,
}

/// One VEVENT of a feed: a single lesson, a weekly series, or (with
/// `recurrence_id`) a change to one occurrence of a series with the same UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub uid: String,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    /// Written as STATUS:CANCELLED; on an override it removes that occurrence.
    pub cancelled: bool,
    pub recurrence: Option<WeeklyRecurrence>,
    /// Occurrence starts removed from the series (EXDATE).
    pub exdates: Vec<DateTime<Utc>>,
    /// Start of the original occurrence this event replaces (RECURRENCE-ID).
    pub recurrence_id: Option<DateTime<Utc>>,
}

/// Writes an iCalendar feed named `name` with `events` in `zone`, stamped
/// with the current time (DTSTAMP). See [`write_calendar_stamped`].
pub fn write_calendar(name: &str, zone: Tz, events: &[FeedEvent]) -> String {
    write_calendar_stamped(name, zone, events, Utc::now())
}

/// Writes an iCalendar feed with `stamp` as every event's DTSTAMP.
///
/// Lines end in CRLF and are folded at 75 octets without splitting a UTF-8
/// character. Times are written as `DTSTART;TZID=<zone>:<wall clock>`, and
/// the VTIMEZONE lists every offset change of `zone` from the first year the
/// events touch through the last (open-ended series: 5 years past their
/// last start).
/// NOTE: the second of two equal wall-clock times at a DST end cannot be
/// written with a TZID; readers take the first, an hour earlier.
pub fn write_calendar_stamped(name: &str, zone: Tz, events: &[FeedEvent], stamp: DateTime<Utc>) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//MelodyandMeter//Lesson feed//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape_text(name)),
        format!("X-WR-TIMEZONE:{}", zone.name()),
    ];
    if let Some((first_year, last_year)) = year_span(events) {
        write_vtimezone(&mut lines, zone, first_year, last_year);
    }
    for event in events {
        write_event(&mut lines, zone, event, stamp);
    }
    lines.push("END:VCALENDAR".into());

    let mut text = String::new();
    for line in &lines {
        text.push_str(&fold(line));
    }
    text
}

fn year_span(events: &[FeedEvent]) -> Option<(i32, i32)> {
    let mut years: Vec<i32> = Vec::new();
    for event in events {
        years.push(event.start.year());
        years.extend(event.exdates.iter().map(|exdate| exdate.year()));
        years.extend(event.recurrence_id.map(|id| id.year()));
        if let Some(recurrence) = &event.recurrence {
            let last = match (recurrence.until, recurrence.count) {
                (Some(until), _) => until.year(),
                (None, Some(count)) => {
                    let weeks =
                        i64::from(count.saturating_sub(1)) * i64::from(recurrence.interval_weeks.max(1));
                    (event.start + Duration::weeks(weeks)).year()
                }
                (None, None) => event.start.year() + OPEN_ENDED_YEARS,
            };
            years.push(last);
        }
    }
    Some((*years.iter().min()?, *years.iter().max()?))
}

/// Writes a UTC offset in seconds as `+HHMM`, or `+HHMMSS` when it has seconds.
fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let total = seconds.unsigned_abs();
    let (hours, minutes, rest) = (total / 3600, total % 3600 / 60, total % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

fn offset_seconds(zone: Tz, utc: NaiveDateTime) -> i32 {
    zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()
}

/// Finds the offset changes of `zone` between `from` and `to` (UTC),
/// checking once a day and then narrowing to the second.
/// NOTE: a change that is undone within the same day is not found.
fn transitions(zone: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
    let mut found = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        if offset_seconds(zone, day) != offset_seconds(zone, next) {
            let before = offset_seconds(zone, day);
            let (mut low, mut high) = (day, next);
            while high - low > Duration::seconds(1) {
                let middle = low + (high - low) / 2;
                if offset_seconds(zone, middle) == before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            found.push(high);
        }
        day = next;
    }
    found
}

fn write_observance(lines: &mut Vec<String>, zone: Tz, onset_utc: NaiveDateTime, offset_from: i32) {
    let offset = zone.offset_from_utc_datetime(&onset_utc);
    let kind = if offset.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let offset_to = offset.fix().local_minus_utc();
    let onset_local = onset_utc + Duration::seconds(i64::from(offset_from));
    lines.push(format!("BEGIN:{kind}"));
    lines.push(format!("DTSTART:{}", onset_local.format("%Y%m%dT%H%M%S")));
    lines.push(format!("TZOFFSETFROM:{}", format_offset(offset_from)));
    lines.push(format!("TZOFFSETTO:{}", format_offset(offset_to)));
    if let Some(abbreviation) = offset.abbreviation() {
        lines.push(format!("TZNAME:{}", escape_text(abbreviation)));
    }
    lines.push(format!("END:{kind}"));
}

fn write_vtimezone(lines: &mut Vec<String>, zone: Tz, first_year: i32, last_year: i32) {
    let start = NaiveDate::from_ymd_opt(first_year, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_time(chrono::NaiveTime::MIN);
    let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1)
        .unwrap_or(NaiveDate::MAX)
        .and_time(chrono::NaiveTime::MIN);
    lines.push("BEGIN:VTIMEZONE".into());
    lines.push(format!("TZID:{}", zone.name()));
    // The first observance states the offset in force at the start of the span.
    let initial = offset_seconds(zone, start);
    write_observance(lines, zone, start, initial);
    for onset in transitions(zone, start, end) {
        let before = offset_seconds(zone, onset - Duration::seconds(1));
        write_observance(lines, zone, onset, before);
    }
    lines.push("END:VTIMEZONE".into());
}

fn local_stamp(zone: Tz, utc: DateTime<Utc>) -> String {
    utc.with_timezone(&zone)
        .naive_local()
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

fn write_event(lines: &mut Vec<String>, zone: Tz, event: &FeedEvent, stamp: DateTime<Utc>) {
    let tzid = zone.name();
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", escape_text(&event.uid)));
    lines.push(format!("DTSTAMP:{}", stamp.format("%Y%m%dT%H%M%SZ")));
    if let Some(recurrence_id) = event.recurrence_id {
        lines.push(format!(
            "RECURRENCE-ID;TZID={tzid}:{}",
            local_stamp(zone, recurrence_id)
        ));
    }
    lines.push(format!("DTSTART;TZID={tzid}:{}", local_stamp(zone, event.start)));
    lines.push(format!("DURATION:PT{}M", event.duration_min));
    if let Some(recurrence) = &event.recurrence {
        let mut rule = format!("RRULE:FREQ=WEEKLY;INTERVAL={}", recurrence.interval_weeks.max(1));
        match (recurrence.until, recurrence.count) {
            (Some(until), _) => {
                let _ = write!(rule, ";UNTIL={}", until.format("%Y%m%dT%H%M%SZ"));
            }
            (None, Some(count)) => {
                let _ = write!(rule, ";COUNT={count}");
            }
            (None, None) => {}
        }
        lines.push(rule);
    }
    if !event.exdates.is_empty() {
        let dates: Vec<String> = event
            .exdates
            .iter()
            .map(|exdate| local_stamp(zone, *exdate))
            .collect();
        lines.push(format!("EXDATE;TZID={tzid}:{}", dates.join(",")));
    }
    lines.push(format!("SUMMARY:{}", escape_text(&event.summary)));
    if let Some(description) = &event.description {
        lines.push(format!("DESCRIPTION:{}", escape_text(description)));
    }
    if let Some(location) = &event.location {
        lines.push(format!("LOCATION:{}", escape_text(location)));
    }
    lines.push(format!(
        "STATUS:{}",
        if event.cancelled { "CANCELLED" } else { "CONFIRMED" }
    ));
    lines.push("END:VEVENT".into());
}

/// Folds one content line into CRLF-terminated lines of at most 75 octets,
/// continuation lines starting with a space (RFC 5545 section 3.1).
pub(crate) fn fold(line: &str) -> String {
    const MAX_OCTETS: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > MAX_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_utf8_and_limit() {
        let line = format!("SUMMARY:{}", "é".repeat(100));
        let folded = fold(&line);
        for physical in folded.split("\r\n").filter(|part| !part.is_empty()) {
            assert!(physical.len() <= 75, "{} octets: {physical:?}", physical.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn offsets_with_seconds() {
        assert_eq!(format_offset(-75), "-000115");
        assert_eq!(format_offset(3600), "+0100");
        assert_eq!(format_offset(-16200), "-0430");
    }

    #[test]
    fn london_transitions_2024() {
        let from = NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN);
        let to = NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN);
        let found: Vec<String> = transitions(Tz::Europe__London, from, to)
            .iter()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .collect();
        assert_eq!(found, ["2024-03-31 01:00:00", "2024-10-27 01:00:00"]);
    }
}
