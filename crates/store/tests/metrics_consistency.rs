//! The metric aggregates equal the values recomputed from the bookings and
//! reschedules tables after a random mix of operations, including on a
//! database whose history was written before the aggregates existed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use melody_domain::{Email, LateCancelWindow, LessonWindow, PersonName, ResourceId, ResourceKind};
use melody_store::{
    bookings, reschedules, MetricsSnapshot, NewBooking, NewResource, Store, StoreError, Student, Teacher,
    DURATION_BUCKETS,
};

const RESOURCES: [&str; 4] = ["primary", "piano", "drums", "roomA"];
const DURATIONS: [i64; 9] = [15, 30, 45, 60, 61, 90, 120, 240, 600];

/// A small deterministic generator, so a failure replays with its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn epoch() -> DateTime<Utc> {
    "2026-03-02T00:00:00Z".parse().unwrap()
}

fn seed_people(store: &Store) {
    store
        .write(|tx| {
            for id in &RESOURCES[1..] {
                NewResource {
                    id: ResourceId::parse(id).unwrap(),
                    name: PersonName::parse(id).unwrap(),
                    kind: ResourceKind::Room,
                }
                .insert(tx, epoch())?;
            }
            let name = PersonName::parse("P").unwrap();
            let email = Email::parse("p@example.com").unwrap();
            for _ in 0..8 {
                Teacher::insert(tx, &name, epoch())?;
                Student::insert(tx, &name, &email, epoch())?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

/// Runs `steps` random operations; conflicts and invalid transitions are
/// expected and simply skipped.
fn random_operations(store: &Store, rng: &mut Lcg, steps: usize) {
    for _ in 0..steps {
        let now = epoch() + Duration::hours(rng.next(24 * 20) as i64);
        let result = match rng.next(10) {
            0..=4 => {
                let start = epoch() + Duration::minutes(15 * rng.next(4 * 24 * 30) as i64);
                let new = NewBooking {
                    resource: ResourceId::parse(RESOURCES[rng.next(4) as usize]).unwrap(),
                    teacher_id: 1 + rng.next(8) as i64,
                    student_id: 1 + rng.next(8) as i64,
                    window: LessonWindow::new(start, DURATIONS[rng.next(9) as usize]).unwrap(),
                    notes: None,
                    created_by: "test".into(),
                };
                store.write(|tx| new.insert(tx, now).map(drop))
            }
            5 => {
                let id = 1 + rng.next(200) as i64;
                store.write(|tx| bookings::cancel(tx, id, "test", now, LateCancelWindow::default()).map(drop))
            }
            6 | 7 => {
                let id = 1 + rng.next(200) as i64;
                store.write(|tx| reschedules::initiate(tx, id, "test", now).map(drop))
            }
            8 => {
                let id = 1 + rng.next(200) as i64;
                let start = epoch() + Duration::minutes(15 * rng.next(4 * 24 * 30) as i64);
                let resource = ResourceId::parse(RESOURCES[rng.next(4) as usize]).unwrap();
                store.write(|tx| reschedules::complete(tx, id, start, Some(&resource), "test", now).map(drop))
            }
            _ => {
                let id = 1 + rng.next(200) as i64;
                store.write(|tx| reschedules::abandon(tx, id, "test", now).map(drop))
            }
        };
        match result {
            Ok(())
            | Err(
                StoreError::Conflict { .. }
                | StoreError::NotFound { .. }
                | StoreError::NotConfirmed { .. }
                | StoreError::ReschedulePending { .. }
                | StoreError::NoPendingReschedule { .. },
            ) => {}
            Err(other) => panic!("unexpected store error: {other}"),
        }
    }
}

/// The snapshot recomputed from the tables alone.
fn recompute(db: &std::path::Path, day_start: DateTime<Utc>, day_end: DateTime<Utc>) -> MetricsSnapshot {
    let conn = rusqlite::Connection::open(db).unwrap();
    let one = |sql: &str| -> f64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
    let durations: Vec<u32> = conn
        .prepare("SELECT duration_min FROM bookings")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut buckets = vec![0_u64; DURATION_BUCKETS.len() + 1];
    for d in &durations {
        let index = DURATION_BUCKETS
            .iter()
            .position(|le| d <= le)
            .unwrap_or(DURATION_BUCKETS.len());
        buckets[index] += 1;
    }
    let mut leads: Vec<f64> = conn
        .prepare("SELECT lead_time_hours FROM reschedules")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    leads.sort_by(f64::total_cmp);
    let median = match leads.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => leads[n / 2],
        n => (leads[n / 2 - 1] + leads[n / 2]) / 2.0,
    };
    let avg = if leads.is_empty() {
        0.0
    } else {
        leads.iter().sum::<f64>() / leads.len() as f64
    };

    let mut resources: BTreeMap<String, melody_store::ResourceMetrics> = BTreeMap::new();
    let mut stmt = conn
        .prepare(
            "SELECT COALESCE(resource_id, 'primary'),
                    TOTAL(status = 'confirmed'),
                    TOTAL(CASE WHEN status = 'confirmed' THEN duration_min ELSE 0 END),
                    TOTAL(penalty_reason = 'late_cancel'),
                    TOTAL(CASE WHEN status = 'confirmed' AND start_at >= ?1 AND start_at < ?2 THEN duration_min ELSE 0 END)
             FROM bookings GROUP BY 1",
        )
        .unwrap();
    let rows = stmt
        .query_map([day_start.timestamp(), day_end.timestamp()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                melody_store::ResourceMetrics {
                    confirmed: row.get(1)?,
                    confirmed_minutes: row.get(2)?,
                    cancelled_late: row.get(3)?,
                    day_minutes: row.get(4)?,
                },
            ))
        })
        .unwrap();
    for row in rows {
        let (id, metrics) = row.unwrap();
        resources.insert(id, metrics);
    }

    MetricsSnapshot {
        confirmed_total: one("SELECT COUNT(*) FROM bookings"),
        cancelled_late_total: one("SELECT COUNT(*) FROM bookings WHERE penalty_reason = 'late_cancel'"),
        confirmed_minutes_total: one("SELECT COALESCE(SUM(duration_min), 0) FROM bookings"),
        reschedule_completed_total: one("SELECT COUNT(*) FROM reschedules WHERE status = 'completed'"),
        duration_buckets: buckets,
        duration_sum: durations.iter().map(|d| f64::from(*d)).sum(),
        reschedule_initiated: leads.len() as f64,
        lead_time_avg_hours: avg,
        lead_time_median_hours: median,
        resources,
    }
}

fn assert_matches(store: &Store, db: &std::path::Path, context: &str) {
    let (day_start, day_end) = (epoch() + Duration::days(3), epoch() + Duration::days(4));
    let kept = store
        .read(|conn| MetricsSnapshot::read(conn, day_start, day_end))
        .unwrap();
    let mut expected = recompute(db, day_start, day_end);
    // Resources whose every booking moved away keep a zero row in the
    // aggregates, so the series stays; the recomputation has no row there.
    for (id, metrics) in &kept.resources {
        expected
            .resources
            .entry(id.clone())
            .or_insert_with(|| melody_store::ResourceMetrics {
                cancelled_late: metrics.cancelled_late,
                ..Default::default()
            });
    }
    let same = |a: f64, b: f64, tolerance: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() < tolerance;
    assert!(
        same(kept.lead_time_avg_hours, expected.lead_time_avg_hours, 1e-6),
        "{context}: average lead time"
    );
    assert!(
        same(kept.lead_time_median_hours, expected.lead_time_median_hours, 1e-9),
        "{context}: median lead time {} != {}",
        kept.lead_time_median_hours,
        expected.lead_time_median_hours
    );
    let normalise = |mut s: MetricsSnapshot| {
        s.lead_time_avg_hours = 0.0;
        s.lead_time_median_hours = 0.0;
        s
    };
    assert_eq!(
        normalise(kept),
        normalise(expected),
        "{context}: aggregates drifted from the tables"
    );
}

#[test]
fn aggregates_equal_recomputed_values_after_random_operations() {
    for seed in [1_u64, 7, 42, 2026] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("melody.db");
        let store = Store::open(&db).unwrap();
        seed_people(&store);
        let mut rng = Lcg(seed);

        for round in 0..5 {
            random_operations(&store, &mut rng, 120);
            assert_matches(&store, &db, &format!("seed {seed}, round {round}"));
        }
    }
}

#[test]
fn migration_seeds_aggregates_from_existing_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    {
        // Write history with the full code, then drop the aggregates and
        // rewind the schema version, as if it had been written by the
        // release before them.
        let store = Store::open(&db).unwrap();
        seed_people(&store);
        random_operations(&store, &mut Lcg(99), 400);
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE metric_totals; DROP TABLE metric_resource_state; DROP INDEX reschedules_lead_time;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);

    // Only the metrics migration runs again: the tables of later
    // migrations are still in the file, so migrating past it would fail.
    let store = Store::open_at_version(&db, 3).unwrap();

    assert_matches(&store, &db, "after migrating");
    random_operations(&store, &mut Lcg(5), 200);
    assert_matches(&store, &db, "after more operations");
}
