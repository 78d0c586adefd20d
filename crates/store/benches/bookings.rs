//! Benchmark of booking create (conflict check + insert + audit + events,
//! committed with fsync) and of listing one week across 20 resources, at
//! several stored-booking counts.
//!
//! Run: `cargo bench -p melody-store --bench bookings [-- COUNT ...]`
//! (default counts 10000 and 1000000). The database files go under
//! `target/bench-data/` so that fsync reaches the real disk, not tmpfs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Utc};
use melody_domain::{Email, LessonWindow, PersonName, ResourceId, ResourceKind};
use melody_store::{Booking, NewBooking, NewResource, Store, StoreError, Student, Teacher};
use rusqlite::params;

const RESOURCES: i64 = 20;
/// Seeded lessons per resource and day, one hour each from 09:00: 8 by
/// default (a full day), or `MELODY_BENCH_LESSONS_PER_DAY` (1 to 8).
fn lessons_per_day() -> i64 {
    std::env::var("MELODY_BENCH_LESSONS_PER_DAY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=8).contains(n))
        .unwrap_or(8)
}
const CREATES: usize = 2_000;
const WEEK_LISTS: usize = 300;

fn first_day() -> DateTime<Utc> {
    "2020-01-06T00:00:00Z".parse().unwrap()
}

fn main() {
    let counts: Vec<i64> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("counts are whole numbers"))
        .collect();
    let counts = if counts.is_empty() {
        vec![10_000, 1_000_000]
    } else {
        counts
    };
    println!("| stored bookings | create p50 | create p99 | week list p50 | week list p99 | rows per week |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for count in counts {
        run(count);
    }
}

fn run(count: i64) {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&folder).unwrap();
    let db = folder.join(format!("bookings-{count}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = Store::open(&db).unwrap();
    let days = seed(&store, count);

    let creates = measure_creates(&store, days);
    let (lists, rows) = measure_week_lists(&store, days);
    println!(
        "| {count} | {} | {} | {} | {} | {rows} |",
        fmt(percentile(&creates, 50)),
        fmt(percentile(&creates, 99)),
        fmt(percentile(&lists, 50)),
        fmt(percentile(&lists, 99)),
    );
}

/// Inserts `count` confirmed bookings in one transaction (bypassing the
/// per-booking checks, which the measured creates then exercise), with one
/// teacher per resource and day parity and 2,000 students. Returns the
/// number of days covered.
fn seed(store: &Store, count: i64) -> i64 {
    store
        .write(|tx| {
            for r in 0..RESOURCES {
                let new = NewResource {
                    id: ResourceId::parse(&format!("res{r}")).unwrap(),
                    name: PersonName::parse(&format!("Resource {r}")).unwrap(),
                    kind: ResourceKind::Room,
                };
                new.insert(tx, first_day())?;
            }
            let name = PersonName::parse("Bench").unwrap();
            let email = Email::parse("bench@example.com").unwrap();
            for _ in 0..(RESOURCES * 3) {
                Teacher::insert(tx, &name, first_day())?;
            }
            for _ in 0..2_000 {
                Student::insert(tx, &name, &email, first_day())?;
            }
            let mut insert = tx
                .prepare(
                    "INSERT INTO bookings (resource_id, teacher_id, student_id, start_at, duration_min, status, \
                     created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 60, 'confirmed', 'seed', ?5, ?5)",
                )
                .unwrap();
            let lessons = lessons_per_day();
            for n in 0..count {
                let per_day = RESOURCES * lessons;
                let (day, slot) = (n / per_day, n % per_day);
                let (resource, hour) = (slot / lessons, slot % lessons);
                let start = first_day() + Span::days(day) + Span::hours(9 + hour);
                let teacher = 1 + resource * 2 + day % 2;
                let student = 1 + (n * 7919) % 2_000;
                insert
                    .execute(params![format!("res{resource}"), teacher, student, start.timestamp(), start.timestamp()])
                    .unwrap();
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let per_day = RESOURCES * lessons_per_day();
    (count + per_day - 1) / per_day
}

/// Books evening lessons (17:00 on) spread over the seeded days, each through
/// the full write path with its own committed transaction.
fn measure_creates(store: &Store, days: i64) -> Vec<Duration> {
    let bench_teachers = RESOURCES * 2;
    let mut samples = Vec::with_capacity(CREATES);
    for k in 0..CREATES as i64 {
        let resource = k % RESOURCES;
        let day = (k / RESOURCES) % days;
        let hour = 17 + k / (RESOURCES * days);
        let start = first_day() + Span::days(day) + Span::hours(hour);
        let new = NewBooking {
            resource: ResourceId::parse(&format!("res{resource}")).unwrap(),
            teacher_id: 1 + bench_teachers + resource,
            student_id: 1 + resource,
            window: LessonWindow::new(start, 45).unwrap(),
            notes: None,
            created_by: "bench".into(),
        };
        let began = Instant::now();
        store
            .write(|tx| new.insert(tx, start))
            .expect("evening slots are free");
        samples.push(began.elapsed());
    }
    samples
}

/// Lists a whole week (all resources) starting on a seeded Monday.
fn measure_week_lists(store: &Store, days: i64) -> (Vec<Duration>, usize) {
    let weeks = (days / 7).max(1);
    let mut samples = Vec::with_capacity(WEEK_LISTS);
    let mut rows = 0;
    for i in 0..WEEK_LISTS as i64 {
        let from = first_day() + Span::weeks((i * 37) % weeks);
        let to = from + Span::weeks(1);
        let began = Instant::now();
        let bookings = store.read(|conn| Booking::list(conn, from, to, None)).unwrap();
        samples.push(began.elapsed());
        rows = rows.max(bookings.len());
    }
    (samples, rows)
}

fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn fmt(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1_000.0)
}
