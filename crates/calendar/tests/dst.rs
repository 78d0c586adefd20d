//! Wall-clock anchoring across DST changes, the gap and ambiguity rules,
//! and independence from the process time zone.

use std::process::Command;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use melody_calendar::{expand, parse, ExpandOptions, Expansion};

fn expand_text(text: &str, studio: Tz) -> Expansion {
    let calendar = parse(text).expect("test calendar parses");
    let options = ExpandOptions {
        zone: studio,
        now: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        include_past: false,
        horizon: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    };
    expand(&calendar, &options)
}

fn weekly_at_five(zone: Tz, first_day: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:weekly@test\r\nSUMMARY:Cello\r\n\
         DTSTART;TZID={zone}:{first_day}T170000\r\nDURATION:PT45M\r\n\
         RRULE:FREQ=WEEKLY;UNTIL=20241201T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        zone = zone.name()
    )
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Checks the series keeps 17:00 local and hits the given UTC instants.
fn check_weekly(zone: Tz, first_day: &str, expected: &[&str]) {
    let expansion = expand_text(&weekly_at_five(zone, first_day), Tz::UTC);
    let starts: Vec<DateTime<Utc>> = expansion.occurrences.iter().map(|o| o.start).collect();
    for start in &starts {
        let local = start.with_timezone(&zone);
        assert_eq!(
            (local.hour(), local.minute()),
            (17, 0),
            "{} at {local}",
            zone.name()
        );
    }
    for instant in expected {
        assert!(
            starts.contains(&utc(instant)),
            "{}: {instant} missing from {starts:?}",
            zone.name()
        );
    }
    assert!(expansion.occurrences.iter().all(|o| o.duration_min == 45));
}

#[test]
fn weekly_17_00_keeps_local_time() {
    // New York: EST (-5) until 2024-03-10, EDT (-4) until 2024-11-03.
    check_weekly(
        Tz::America__New_York,
        "20240302",
        &[
            "2024-03-02T22:00:00Z",
            "2024-03-09T22:00:00Z",
            "2024-03-16T21:00:00Z",
            "2024-11-02T21:00:00Z",
            "2024-11-09T22:00:00Z",
        ],
    );
    // London: GMT until 2024-03-31, BST (+1) until 2024-10-27.
    check_weekly(
        Tz::Europe__London,
        "20240323",
        &[
            "2024-03-23T17:00:00Z",
            "2024-03-30T17:00:00Z",
            "2024-04-06T16:00:00Z",
            "2024-10-26T16:00:00Z",
            "2024-11-02T17:00:00Z",
        ],
    );
    // Sydney: AEDT (+11) until 2024-04-07, AEST (+10) until 2024-10-06.
    check_weekly(
        Tz::Australia__Sydney,
        "20240330",
        &[
            "2024-03-30T06:00:00Z",
            "2024-04-06T06:00:00Z",
            "2024-04-13T07:00:00Z",
            "2024-10-05T07:00:00Z",
            "2024-10-12T06:00:00Z",
        ],
    );
}

#[test]
fn floating_series_uses_studio_zone() {
    let text = "BEGIN:VEVENT\nUID:f\nDTSTART:20240302T170000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT\n";
    let expansion = expand_text(text, Tz::America__New_York);
    let starts: Vec<String> = expansion
        .occurrences
        .iter()
        .map(|o| o.start.to_rfc3339())
        .collect();
    assert_eq!(
        starts,
        [
            "2024-03-02T22:00:00+00:00",
            "2024-03-09T22:00:00+00:00",
            "2024-03-16T21:00:00+00:00"
        ]
    );
}

#[test]
fn gap_time_moves_forward_with_note() {
    let text =
        "BEGIN:VEVENT\nUID:g\nSUMMARY:Early\nDTSTART;TZID=America/New_York:20240309T023000\nDURATION:PT30M\n\
                RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n";
    let expansion = expand_text(text, Tz::UTC);
    let starts: Vec<String> = expansion
        .occurrences
        .iter()
        .map(|o| o.start.to_rfc3339())
        .collect();
    // 02:30 on 10 March does not exist; it becomes 03:30 EDT = 07:30Z.
    assert_eq!(
        starts,
        [
            "2024-03-09T07:30:00+00:00",
            "2024-03-10T07:30:00+00:00",
            "2024-03-11T06:30:00+00:00"
        ]
    );
    assert!(
        expansion
            .notes
            .iter()
            .any(|note| note.contains("2024-03-10 02:30") && note.contains("60 minutes later")),
        "{:?}",
        expansion.notes
    );
}

#[test]
fn ambiguous_time_takes_first_instant() {
    let text =
        "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/New_York:20241103T013000\nDURATION:PT30M\nEND:VEVENT\n";
    let expansion = expand_text(text, Tz::UTC);
    // 01:30 occurs at 05:30Z (EDT) and 06:30Z (EST); the first is used.
    assert_eq!(
        expansion.occurrences[0].start.to_rfc3339(),
        "2024-11-03T05:30:00+00:00"
    );
    assert!(
        expansion.notes.iter().any(|note| note.contains("occurs twice")),
        "{:?}",
        expansion.notes
    );
}

#[test]
fn source_never_reads_process_zone() {
    let sources = [
        include_str!("../src/expand.rs"),
        include_str!("../src/series.rs"),
        include_str!("../src/zone.rs"),
        include_str!("../src/rrule.rs"),
        include_str!("../src/write.rs"),
        include_str!("../src/parse.rs"),
        include_str!("../src/value.rs"),
        include_str!("../src/lines.rs"),
        include_str!("../src/lib.rs"),
    ];
    for source in sources {
        assert!(
            !source.contains("Local::") && !source.contains("chrono::Local"),
            "a source file uses chrono::Local"
        );
    }
}

#[test]
fn results_same_under_other_process_zones() {
    const CHILD: &str = "MELODY_CALENDAR_DST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let me = std::env::current_exe().unwrap();
    for zone in ["UTC", "Australia/Sydney", "America/New_York"] {
        let output = Command::new(&me)
            .args([
                "weekly_17_00_keeps_local_time",
                "gap_time_moves_forward_with_note",
                "--test-threads=1",
            ])
            .env("TZ", zone)
            .env(CHILD, "1")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "DST tests failed with TZ={zone}:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
