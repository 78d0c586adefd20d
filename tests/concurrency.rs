//! Two clients booking the same slot at once: exactly one wins.

mod common;

use chrono::Duration;
use common::{epoch, spawn_app};
use serde_json::json;

const ROUNDS: i64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_slot_two_clients_one_wins() {
    let app = spawn_app().await;
    let (room, _, _) = app.seed("roomA").await;
    let teachers = [app.create_teacher("T1").await, app.create_teacher("T2").await];
    let students = [app.create_student("S1").await, app.create_student("S2").await];
    let other_client = reqwest::Client::new();

    for round in 0..ROUNDS {
        let start = (epoch() + Duration::hours(24 + round)).to_rfc3339();
        // Different teachers and students, so only the room can collide.
        let bodies: Vec<_> = (0..2)
            .map(|i| {
                json!({ "resource_id": room, "teacher_id": teachers[i], "student_id": students[i],
                             "start": start, "duration_min": 60 })
            })
            .collect();
        let url = format!("{}/api/bookings", app.base);
        let (a, b) = tokio::join!(
            app.client.post(&url).json(&bodies[0]).send(),
            other_client.post(&url).json(&bodies[1]).send(),
        );
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [201, 409],
            "round {round}: one booking and one conflict"
        );
    }

    let conn = rusqlite::Connection::open(&app.db).unwrap();
    let overlaps: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.id < b.id
             WHERE a.status = 'confirmed' AND b.status = 'confirmed'
               AND (a.resource_id = b.resource_id OR a.teacher_id = b.teacher_id OR a.student_id = b.student_id)
               AND a.start_at < b.start_at + b.duration_min * 60
               AND b.start_at < a.start_at + a.duration_min * 60",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(overlaps, 0, "no overlapping confirmed pair is stored");
    assert_eq!(app.count("bookings"), ROUNDS, "one booking per round");
}

#[test]
fn two_processes_writing_one_file_never_overlap() {
    // Two stores over one file stand for two app instances on one desk PC:
    // BEGIN IMMEDIATE serialises them through SQLite's file lock.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    let first = std::sync::Arc::new(melody_store::Store::open(&db).unwrap());
    let second = std::sync::Arc::new(melody_store::Store::open(&db).unwrap());
    let (teacher, student) = first
        .write(|tx| {
            let name = melody_domain::PersonName::parse("T").unwrap();
            let email = melody_domain::Email::parse("s@example.com").unwrap();
            let t = melody_store::Teacher::insert(tx, &name, epoch())?;
            let s = melody_store::Student::insert(tx, &name, &email, epoch())?;
            Ok::<_, melody_store::StoreError>((t.id, s.id))
        })
        .unwrap();

    let handles: Vec<_> = [first, second]
        .into_iter()
        .map(|store| {
            std::thread::spawn(move || {
                let mut won = 0;
                for slot in 0..100 {
                    let window =
                        melody_domain::LessonWindow::new(epoch() + Duration::hours(slot), 60).unwrap();
                    let new = melody_store::NewBooking {
                        resource: melody_domain::ResourceId::primary(),
                        teacher_id: teacher,
                        student_id: student,
                        window,
                        notes: None,
                        created_by: "test".into(),
                    };
                    match store.write(|tx| new.insert(tx, epoch())) {
                        Ok(_) => won += 1,
                        Err(melody_store::StoreError::Conflict { .. }) => {}
                        Err(other) => panic!("unexpected error: {other}"),
                    }
                }
                won
            })
        })
        .collect();
    let wins: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();

    assert_eq!(wins, 100, "each of the 100 slots is booked exactly once");
    assert_eq!(common::count_rows(&db, "bookings"), 100);
}
