//! SIGKILL while clients write: every booking answered 201 survives.

mod common;

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use common::{epoch, ServerProcess};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_write_loses_no_confirmed_booking() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    let server = ServerProcess::start(&db);
    let client = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(5))
        .build()
        .unwrap();
    let base = server.base.clone();

    let teacher: Value =
        common::post_json(&client, &format!("{base}/api/teachers"), &json!({"name": "T"})).await;
    let mut writers = Vec::new();
    for writer in 0..4_i64 {
        let student: Value = common::post_json(
            &client,
            &format!("{base}/api/students"),
            &json!({"name": format!("S{writer}"), "email": "s@example.com"}),
        )
        .await;
        let (client, base) = (client.clone(), base.clone());
        let teacher_id = teacher["id"].as_i64().unwrap();
        writers.push(tokio::spawn(async move {
            let mut confirmed = Vec::new();
            // Each writer books its own student into its own room-hours; the
            // teacher is shared, so slots are spread to avoid conflicts.
            for slot in 0..10_000_i64 {
                let start = epoch() + chrono::Duration::minutes(15 * (slot * 4 + writer));
                let body = json!({ "teacher_id": teacher_id, "student_id": student["id"],
                                   "start": start.to_rfc3339(), "duration_min": 15, "notes": "x".repeat(500) });
                match client.post(format!("{base}/api/bookings")).json(&body).send().await {
                    Ok(response) if response.status() == 201 => {
                        let booking: Value = response.json().await.unwrap();
                        confirmed.push(booking["id"].as_i64().unwrap());
                    }
                    Ok(response) => panic!("unexpected status {}", response.status()),
                    Err(_) => break, // the server is gone
                }
            }
            confirmed
        }));
    }

    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    server.kill();
    let mut acknowledged = BTreeSet::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() > 20,
        "the writers got going before the kill ({} bookings)",
        acknowledged.len()
    );

    let restarted = ServerProcess::start(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    for id in &acknowledged {
        let response = client
            .get(format!("{}/api/bookings/{id}", restarted.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "booking {id} was answered 201 before the kill, so it must exist"
        );
    }
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM bookings", [], |row| row.get(0))
        .unwrap();
    assert!(stored >= i64::try_from(acknowledged.len()).unwrap());
    let audited: i64 = conn
        .query_row("SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.booking_id = b.id)", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        audited, 0,
        "every stored booking has its audit entry: they commit together"
    );
}
