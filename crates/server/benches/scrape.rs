//! Benchmark of one metrics scrape (read the aggregates, render the text
//! exposition) against recomputing the same values from the bookings table,
//! at several stored-booking counts.
//!
//! Run: `cargo bench -p melody-server --bench scrape [-- COUNT ...]`
//! (default counts 10000 and 1000000). Database files go under
//! `target/bench-data/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Utc};
use melody_server::metrics::families;
use melody_server::Settings;
use melody_store::{MetricsSnapshot, Store};
use prometheus::{Encoder, TextEncoder};
use rusqlite::params;

const RESOURCES: i64 = 20;
const SCRAPES: usize = 500;
const RECOMPUTES: usize = 20;

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
    println!(
        "| stored bookings | scrape p50 | scrape p99 | recompute p50 | recompute p99 | speed-up (p50) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for count in counts {
        run(count);
    }
}

fn run(count: i64) {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&folder).unwrap();
    let db = folder.join(format!("scrape-{count}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    seed(&db, count);
    // Opening at the current version runs the metrics migration, which
    // builds the aggregates from the seeded history.
    let store = Store::open(&db).unwrap();
    let settings = Settings::default();
    let (day_start, day_end) = (first_day(), first_day() + Span::days(1));

    let mut scrapes = Vec::with_capacity(SCRAPES);
    let mut size = 0;
    for _ in 0..SCRAPES {
        let began = Instant::now();
        let snapshot = store
            .read(|conn| MetricsSnapshot::read(conn, day_start, day_end))
            .unwrap();
        let mut body = Vec::with_capacity(4096);
        TextEncoder::new()
            .encode(&families(&snapshot, &settings), &mut body)
            .unwrap();
        scrapes.push(began.elapsed());
        size = body.len();
    }
    assert!(size > 1_000, "the exposition has every family");

    let mut recomputes = Vec::with_capacity(RECOMPUTES);
    for _ in 0..RECOMPUTES {
        let began = Instant::now();
        store.read(recompute).unwrap();
        recomputes.push(began.elapsed());
    }

    let (scrape_p50, recompute_p50) = (percentile(&scrapes, 50), percentile(&recomputes, 50));
    println!(
        "| {count} | {} | {} | {} | {} | {:.0}x |",
        fmt(scrape_p50),
        fmt(percentile(&scrapes, 99)),
        fmt(recompute_p50),
        fmt(percentile(&recomputes, 99)),
        recompute_p50.as_secs_f64() / scrape_p50.as_secs_f64()
    );
}

/// Bookings written under schema version 2, before the aggregates existed:
/// 20 resources, 8 one-hour lessons a day, a tenth cancelled late and a
/// few lengths so the histogram has several buckets.
fn seed(db: &std::path::Path, count: i64) {
    drop(Store::open_at_version(db, 2).unwrap());
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    for r in 0..RESOURCES {
        tx.execute(
            "INSERT INTO resources (id, name, kind, created_at) VALUES (?1, ?1, 'room', 0)",
            [format!("res{r}")],
        )
        .unwrap();
        tx.execute("INSERT INTO teachers (name, created_at) VALUES ('T', 0)", [])
            .unwrap();
        tx.execute(
            "INSERT INTO students (name, email, created_at) VALUES ('S', 's@example.com', 0)",
            [],
        )
        .unwrap();
    }
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO bookings (resource_id, teacher_id, student_id, start_at, duration_min, status, \
                 penalty_reason, created_by, created_at, updated_at) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, 'seed', 0, 0)",
            )
            .unwrap();
        for n in 0..count {
            let (day, slot) = (n / (RESOURCES * 8), n % (RESOURCES * 8));
            let (resource, hour) = (slot / 8, slot % 8);
            let start = first_day() + Span::days(day) + Span::hours(9 + hour);
            let late = n % 10 == 0;
            let duration = [30, 45, 60][(n % 3) as usize];
            insert
                .execute(params![
                    format!("res{resource}"),
                    1 + resource,
                    start.timestamp(),
                    duration,
                    if late { "cancelled" } else { "confirmed" },
                    late.then_some("late_cancel"),
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// The values of a scrape computed from the bookings table alone.
fn recompute(conn: &rusqlite::Connection) -> Result<(), melody_store::StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT COALESCE(resource_id, 'primary'), COUNT(*), TOTAL(status = 'confirmed'),
                    TOTAL(CASE WHEN status = 'confirmed' THEN duration_min END),
                    TOTAL(penalty_reason = 'late_cancel'), TOTAL(duration_min),
                    TOTAL(duration_min <= 15), TOTAL(duration_min <= 30), TOTAL(duration_min <= 45),
                    TOTAL(duration_min <= 60), TOTAL(duration_min <= 90), TOTAL(duration_min <= 120),
                    TOTAL(duration_min <= 240), TOTAL(duration_min <= 480)
             FROM bookings GROUP BY 1",
        )
        .map_err(|source| melody_store::StoreError::Sqlite {
            op: "recompute",
            source,
        })?;
    let rows = stmt.query_map([], |row| row.get::<_, f64>(1)).map_err(|source| {
        melody_store::StoreError::Sqlite {
            op: "recompute",
            source,
        }
    })?;
    let total: f64 = rows.map(|r| r.unwrap_or_default()).sum();
    assert!(total > 0.0);
    Ok(())
}

fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn fmt(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1_000.0)
}
