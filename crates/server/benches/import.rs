//! Benchmark of importing a 2,000-event iCalendar file: parse, expand and
//! write every lesson (conflict check, audit and analytics rows, metrics) in
//! one transaction, into a fresh database with fsync, as `melody import`
//! does.
//!
//! Run: `cargo bench -p melody-server --bench import`. The calendar has
//! 1,600 single lessons and 400 weekly series of 10 lessons, all in the
//! future and free of conflicts: 5,600 bookings in a New York studio.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Utc};
use melody_domain::{ResourceId, StudioZone};
use melody_server::import::{import_ics, ImportRequest};
use melody_store::Store;

const SINGLES: usize = 1_600;
const SERIES: usize = 400;
const RUNS: usize = 5;

fn calendar(now: DateTime<Utc>) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
    let base = now + Span::days(2);
    // Each single lesson gets its own hour; the series use the hours after
    // them in later weeks, so nothing overlaps.
    for index in 0..SINGLES {
        let start = base + Span::hours(index as i64);
        let _ = write!(
            text,
            "BEGIN:VEVENT\r\nUID:single-{index}@bench\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDURATION:PT45M\r\nSUMMARY:Student {}\r\nEND:VEVENT\r\n",
            start.format("%Y%m%dT%H%M%SZ"),
            index % 50
        );
    }
    let series_base = base + Span::hours(SINGLES as i64 + 24);
    for index in 0..SERIES {
        // 400 series 25 minutes apart within one week, repeating weekly.
        // In UTC, so that no daylight saving change moves two into one slot.
        let start = series_base + Span::minutes(25 * index as i64);
        let _ = write!(
            text,
            "BEGIN:VEVENT\r\nUID:series-{index}@bench\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDURATION:PT20M\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Student {}\r\nEND:VEVENT\r\n",
            start.format("%Y%m%dT%H%M%SZ"),
            index % 50
        );
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

fn main() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&folder).unwrap();
    let now = Utc::now();
    let text = calendar(now);
    let zone: StudioZone = "America/New_York".parse().unwrap();

    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut created = 0;
    for run in 0..RUNS {
        let db = folder.join(format!("import-{run}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let store = Store::open(&db).unwrap();
        let request = ImportRequest {
            resource: ResourceId::primary(),
            teacher_id: None,
            student_id: None,
            include_past: false,
            calendar_name: "bench.ics".to_owned(),
            actor: "bench".to_owned(),
        };
        let began = Instant::now();
        let report = import_ics(&store, &text, &request, zone, now, false).unwrap_or_else(|e| panic!("{e}"));
        times.push(began.elapsed());
        created = report.created;
        assert_eq!(report.conflicting, 0);
    }
    times.sort();
    println!(
        "events {}, bookings {created}, file {} KiB; import median {:.0} ms (min {:.0}, max {:.0}) over {RUNS} runs",
        SINGLES + SERIES,
        text.len() / 1024,
        times[RUNS / 2].as_secs_f64() * 1_000.0,
        times[0].as_secs_f64() * 1_000.0,
        times[RUNS - 1].as_secs_f64() * 1_000.0
    );
}
