//! Parses and expands a generated 2,000-event calendar (1,000 single
//! lessons, 1,000 weekly series over a year, in four zones) and prints the
//! median of 7 runs.
//!
//! Run: `cargo bench -p melody-calendar --bench parse_expand`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use melody_calendar::{expand, parse, ExpandOptions};

const EVENTS: usize = 2_000;
const RUNS: usize = 7;

fn generate() -> String {
    let zones = [
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "W. Europe Standard Time",
    ];
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
    for index in 0..EVENTS {
        let zone = zones[index % zones.len()];
        let month = 1 + index % 12;
        let day = 1 + index % 28;
        let hour = 8 + index % 12;
        let _ = write!(
            text,
            "BEGIN:VEVENT\r\nUID:bench-{index}@melody\r\nSUMMARY:Lesson {index}\r\n\
             DTSTART;TZID={zone}:2024{month:02}{day:02}T{hour:02}0000\r\nDURATION:PT45M\r\n"
        );
        if index % 2 == 1 {
            let _ = write!(
                text,
                "RRULE:FREQ=WEEKLY;INTERVAL={};UNTIL=20250301T000000Z\r\nEXDATE;TZID={zone}:2024{month:02}{day:02}T{hour:02}0000\r\n",
                1 + index % 2 * (index % 3)
            );
        }
        text.push_str("END:VEVENT\r\n");
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

fn main() {
    let text = generate();
    let options = ExpandOptions {
        zone: Tz::Europe__London,
        now: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        include_past: false,
        horizon: Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap(),
    };
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut occurrences = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let calendar = parse(&text).expect("generated calendar parses");
        let expansion = expand(&calendar, &options);
        times.push(started.elapsed());
        occurrences = expansion.occurrences.len();
    }
    times.sort();
    println!(
        "parse + expand of {EVENTS} events ({} bytes, {occurrences} occurrences): median {:.1} ms, min {:.1} ms, max {:.1} ms over {RUNS} runs",
        text.len(),
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
    );
}
