//! Feeds from `write_calendar` read back to the same occurrences, here and
//! in Python's icalendar + recurring_ical_events.

mod common;

use std::fs;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use melody_calendar::{expand, parse, write_calendar, ExpandOptions, FeedEvent, WeeklyRecurrence};

const ZONE: Tz = Tz::Europe__London;

fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    ZONE.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn event(uid: &str, summary: &str, start: DateTime<Utc>, duration_min: i64) -> FeedEvent {
    FeedEvent {
        uid: uid.into(),
        summary: summary.into(),
        description: None,
        location: None,
        start,
        duration_min,
        cancelled: false,
        recurrence: None,
        exdates: Vec::new(),
        recurrence_id: None,
    }
}

/// Builds the test feed. It has a weekly piano series across both 2024
/// London DST changes with an EXDATE, a moved and a cancelled occurrence,
/// plus a fortnightly COUNT series, a single lesson whose text needs
/// escaping and folding, and a cancelled single lesson.
fn feed_events() -> Vec<FeedEvent> {
    let series_start = local(2024, 3, 2, 17, 0);
    let mut piano = event("piano-ada@melody", "Piano: Ada", series_start, 45);
    piano.recurrence = Some(WeeklyRecurrence {
        interval_weeks: 1,
        until: Some(local(2024, 11, 30, 17, 0)),
        count: None,
    });
    piano.exdates = vec![local(2024, 4, 6, 17, 0)];
    piano.location = Some("Room 2; upstairs, left".into());

    let mut moved = event(
        "piano-ada@melody",
        "Piano: Ada (moved)",
        local(2024, 4, 13, 18, 30),
        60,
    );
    moved.recurrence_id = Some(local(2024, 4, 13, 17, 0));
    let mut cancelled_one = event("piano-ada@melody", "Piano: Ada", local(2024, 5, 4, 17, 0), 45);
    cancelled_one.recurrence_id = Some(local(2024, 5, 4, 17, 0));
    cancelled_one.cancelled = true;

    let mut violin = event("violin-bo@melody", "Violin: Bø", local(2024, 10, 1, 9, 15), 30);
    violin.recurrence = Some(WeeklyRecurrence {
        interval_weeks: 2,
        until: None,
        count: Some(6),
    });

    let mut single = event(
        "trial-1@melody",
        "Trial lesson, Zoë; \"Ümlaut\" \\ test",
        local(2024, 6, 1, 10, 0),
        90,
    );
    single.description = Some(format!(
        "Bring sheet music.\nLine two, with commas; semicolons. {}",
        "ĀĒĪŌŪ ".repeat(20)
    ));

    let mut gone = event("trial-2@melody", "Cancelled trial", local(2024, 6, 2, 10, 0), 30);
    gone.cancelled = true;

    vec![piano, moved, cancelled_one, violin, single, gone]
}

/// Computes the occurrences the feed describes without using the crate.
fn expected_slots() -> Vec<Slot> {
    let mut expected = Vec::new();
    let mut day = local(2024, 3, 2, 17, 0);
    while day <= local(2024, 11, 30, 17, 0) {
        let local_day = day.with_timezone(&ZONE).date_naive();
        let start = ZONE
            .from_local_datetime(&local_day.and_hms_opt(17, 0, 0).unwrap())
            .single()
            .unwrap()
            .with_timezone(&Utc);
        let skipped = [
            local(2024, 4, 6, 17, 0),
            local(2024, 4, 13, 17, 0),
            local(2024, 5, 4, 17, 0),
        ];
        if !skipped.contains(&start) {
            expected.push(slot(start, 45, "Piano: Ada"));
        }
        day = start + Duration::days(7);
    }
    expected.push(slot(local(2024, 4, 13, 18, 30), 60, "Piano: Ada (moved)"));
    for week in 0..6 {
        let local_day =
            local(2024, 10, 1, 9, 15).with_timezone(&ZONE).date_naive() + Duration::weeks(2 * week);
        let start = ZONE
            .from_local_datetime(&local_day.and_hms_opt(9, 15, 0).unwrap())
            .single()
            .unwrap();
        expected.push(slot(start.with_timezone(&Utc), 30, "Violin: Bø"));
    }
    expected.push(slot(
        local(2024, 6, 1, 10, 0),
        90,
        "Trial lesson, Zoë; \"Ümlaut\" \\ test",
    ));
    expected.sort();
    expected
}

fn slot(start: DateTime<Utc>, duration_min: i64, summary: &str) -> Slot {
    Slot {
        start: start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        duration_min,
        summary: summary.into(),
    }
}

#[test]
fn feed_lines_are_folded_crlf() {
    let text = write_calendar("Studio feed", ZONE, &feed_events());
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split_terminator("\r\n") {
        assert!(!line.contains('\n'), "bare LF inside {line:?}");
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(text.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;UNTIL=20241130T170000Z\r\n"));
    assert!(text.contains("RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=6\r\n"));
    assert!(text.contains("EXDATE;TZID=Europe/London:20240406T170000\r\n"));
    assert!(text.contains("RECURRENCE-ID;TZID=Europe/London:20240413T170000\r\n"));
    assert!(text.contains("LOCATION:Room 2\\; upstairs\\, left\r\n"));
    assert!(text
        .contains("BEGIN:DAYLIGHT\r\nDTSTART:20240331T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\n"));
    assert!(text
        .contains("BEGIN:STANDARD\r\nDTSTART:20241027T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n"));
}

#[test]
fn feed_round_trips_through_parse_expand() {
    let text = write_calendar("Studio feed", ZONE, &feed_events());
    let calendar = parse(&text).unwrap();
    let options = ExpandOptions {
        zone: Tz::America__New_York,
        now: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        include_past: false,
        horizon: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    };
    let expansion = expand(&calendar, &options);
    assert_eq!(slots(&expansion), expected_slots());

    let moved = expansion
        .occurrences
        .iter()
        .find(|o| o.summary == "Piano: Ada (moved)")
        .unwrap();
    assert_eq!(moved.recurrence_id, Some(local(2024, 4, 13, 17, 0)));
    let mut codes: Vec<&str> = expansion.skipped.iter().map(|s| s.code).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["cancelled", "cancelled"]);
    let single = calendar
        .events
        .iter()
        .find(|e| e.uid.as_deref() == Some("trial-1@melody"))
        .unwrap();
    assert_eq!(single.description, feed_events()[4].description);
    assert!(expansion.notes.is_empty(), "{:?}", expansion.notes);
}

#[test]
fn feed_matches_python_reference() {
    let text = write_calendar("Studio feed", ZONE, &feed_events());
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("feed.ics");
    fs::write(&path, &text).unwrap();
    let python = python_expand(&path, 2024, 2026, Tz::UTC).expect("icalendar reads the feed");
    // Rule: cancelled events and occurrences are not imported;
    // recurring_ical_events returns them with STATUS:CANCELLED.
    let mut python_slots: Vec<Slot> = python
        .into_iter()
        .filter(|item| item.status != "CANCELLED")
        .map(|item| item.slot)
        .collect();
    python_slots.sort();
    assert_eq!(python_slots, expected_slots());
}
