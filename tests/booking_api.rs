//! The booking API over real HTTP on loopback against a real SQLite file.

mod common;

use chrono::Duration;
use common::{settings_allowing, settings_in, spawn_app, spawn_app_with};
use serde_json::{json, Value};

#[tokio::test]
async fn booking_story_book_list_reschedule_cancel() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;

    let (status, booked) = app
        .book(&piano, teacher, student, "2026-03-05T16:00:00Z", 45)
        .await;
    assert_eq!(status, 201, "a free slot is booked: {booked}");
    assert_eq!(booked["status"], "confirmed");
    assert_eq!(booked["resource_id"], "piano");
    assert_eq!(
        booked["end"], "2026-03-05T16:45:00Z",
        "end is start plus duration"
    );
    let id = booked["id"].as_i64().unwrap();

    let (status, listed) = app
        .get("/api/bookings?from=2026-03-05T00:00:00Z&to=2026-03-06T00:00:00Z&resource_id=piano")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the day lists the booking: {listed}"
    );

    let (status, reschedule) = app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;
    assert_eq!(status, 201, "initiate: {reschedule}");
    let lead = reschedule["lead_time_hours"].as_f64().unwrap();
    assert!(
        (lead - 79.0).abs() < 1e-9,
        "09:00 Mon to 16:00 Thu is 79 hours, got {lead}"
    );
    assert_eq!(
        app.get(&format!("/api/bookings/{id}")).await.1["pending_reschedule_id"],
        reschedule["id"]
    );

    let (status, done) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-06T10:00:00Z" }),
        )
        .await;
    assert_eq!(status, 200, "complete: {done}");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["booking"]["start"], "2026-03-06T10:00:00Z");
    assert_eq!(
        done["booking"]["duration_min"], 45,
        "a reschedule keeps the length"
    );
    assert_eq!(done["booking"]["pending_reschedule_id"], Value::Null);

    let (status, cancelled) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["penalty_reason"],
        Value::Null,
        "cancelled 97 h ahead: not late"
    );

    let (_, trail) = app.get(&format!("/api/bookings/{id}/audit")).await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "reschedule_initiated", "rescheduled", "cancelled"]
    );
}

#[tokio::test]
async fn late_cancel_inside_window_gets_penalty() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-02T20:00:00Z", 30)
        .await;
    let id = booked["id"].as_i64().unwrap();

    let (status, cancelled) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["penalty_reason"], "late_cancel",
        "11 hours before start is inside 24 h"
    );
}

#[tokio::test]
async fn late_cancel_at_exact_window_is_not_late() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-03T09:00:00Z", 30)
        .await;
    let id = booked["id"].as_i64().unwrap();

    let (_, cancelled) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    assert_eq!(
        cancelled["penalty_reason"],
        Value::Null,
        "exactly 24 h ahead is on time"
    );
}

#[tokio::test]
async fn cancel_twice_is_rejected() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-10T09:00:00Z", 30)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    let (status, body) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    assert_eq!(status, 409);
    assert_eq!(body["error"], "booking_not_confirmed");
}

#[tokio::test]
async fn cancelled_slot_can_be_booked_again() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-10T09:00:00Z", 30)
        .await;
    app.post_empty(&format!("/api/bookings/{}/cancel", booked["id"]))
        .await;

    let (status, body) = app
        .book(&room, teacher, student, "2026-03-10T09:00:00Z", 30)
        .await;

    assert_eq!(status, 201, "a cancelled booking frees its slot: {body}");
}

#[tokio::test]
async fn conflict_lists_every_overlap_and_what_is_shared() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;
    app.create_resource("drums").await;
    let other_student = app.create_student("Other").await;
    let other_teacher = app.create_teacher("Other").await;
    let (_, first) = app
        .book(&piano, teacher, other_student, "2026-03-05T16:00:00Z", 60)
        .await;
    let (_, second) = app
        .book("drums", other_teacher, student, "2026-03-05T16:30:00Z", 60)
        .await;

    let (status, body) = app
        .book(&piano, other_teacher, other_student, "2026-03-05T16:15:00Z", 30)
        .await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "booking_conflict");
    let conflicts = body["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2, "both overlapping bookings are named: {body}");
    assert_eq!(conflicts[0]["booking"]["id"], first["id"]);
    assert_eq!(conflicts[0]["on"], json!(["resource", "student"]));
    assert_eq!(conflicts[1]["booking"]["id"], second["id"]);
    assert_eq!(conflicts[1]["on"], json!(["teacher"]));
    assert_eq!(app.count("bookings"), 2, "nothing written on conflict");
}

#[tokio::test]
async fn lesson_ending_when_next_starts_does_not_conflict() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    app.book(&room, teacher, student, "2026-03-05T15:00:00Z", 60)
        .await;

    let (status, body) = app
        .book(&room, teacher, student, "2026-03-05T16:00:00Z", 60)
        .await;

    assert_eq!(
        status, 201,
        "[15:00,16:00) and [16:00,17:00) are disjoint: {body}"
    );
}

#[tokio::test]
async fn offsets_compare_as_instants() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    app.book(&room, teacher, student, "2026-03-05T16:00:00-04:00", 30)
        .await;

    let (status, body) = app
        .book(&room, teacher, student, "2026-03-05T20:00:00Z", 30)
        .await;

    assert_eq!(status, 409, "16:00-04:00 is 20:00Z: {body}");
}

#[tokio::test]
async fn reschedule_never_conflicts_with_itself() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-05T16:00:00Z", 60)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-05T16:30:00Z" }),
        )
        .await;

    assert_eq!(
        status, 200,
        "moving 30 minutes later overlaps only its own old slot: {body}"
    );
}

#[tokio::test]
async fn reschedule_into_taken_slot_keeps_booking() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, moving) = app
        .book(&room, teacher, student, "2026-03-05T10:00:00Z", 60)
        .await;
    let other = app.create_student("Other").await;
    app.book(&room, teacher, other, "2026-03-05T16:00:00Z", 60).await;
    let id = moving["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-05T16:30:00Z" }),
        )
        .await;

    assert_eq!(status, 409, "{body}");
    let (_, unchanged) = app.get(&format!("/api/bookings/{id}")).await;
    assert_eq!(
        unchanged["start"], "2026-03-05T10:00:00Z",
        "a failed move leaves the booking where it was"
    );
    assert!(
        unchanged["pending_reschedule_id"].is_i64(),
        "the request stays open to try another slot"
    );
}

#[tokio::test]
async fn reschedule_abandon_keeps_slot() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-05T10:00:00Z", 60)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app
        .post_empty(&format!("/api/bookings/{id}/reschedule/abandon"))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "abandoned");
    let (_, booking) = app.get(&format!("/api/bookings/{id}")).await;
    assert_eq!(booking["start"], "2026-03-05T10:00:00Z");
    assert_eq!(booking["status"], "confirmed");
    let (status, body) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-05T12:00:00Z" }),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("reschedule_not_initiated"))
    );
}

#[tokio::test]
async fn reschedule_twice_without_finishing_is_rejected() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-05T10:00:00Z", 60)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("reschedule_pending"))
    );
}

#[tokio::test]
async fn reschedule_late_is_not_a_cancellation() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-02T11:00:00Z", 60)
        .await;
    let id = booked["id"].as_i64().unwrap();

    let (_, reschedule) = app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;
    let (_, done) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-09T11:00:00Z" }),
        )
        .await;

    assert!((reschedule["lead_time_hours"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert_eq!(done["booking"]["status"], "confirmed");
    assert_eq!(
        done["booking"]["penalty_reason"],
        Value::Null,
        "2 h notice reschedule carries no penalty"
    );
}

#[tokio::test]
async fn cancel_abandons_open_reschedule() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let (_, booked) = app
        .book(&room, teacher, student, "2026-03-09T11:00:00Z", 60)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (_, cancelled) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    assert_eq!(cancelled["pending_reschedule_id"], Value::Null);
    let (_, trail) = app.get(&format!("/api/bookings/{id}/audit")).await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "created",
            "reschedule_initiated",
            "reschedule_abandoned",
            "cancelled"
        ]
    );
}

#[tokio::test]
async fn allowlist_rejects_other_resources_with_exact_body() {
    let app = spawn_app_with(settings_allowing("primary,piano")).await;
    let (_, teacher, student) = app.seed("primary").await;
    app.create_resource("piano").await;
    app.create_resource("drums").await;

    let (status, body) = app
        .book("drums", teacher, student, "2026-03-05T10:00:00Z", 30)
        .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "resource_id_invalid");
    assert_eq!(body["allowed"], json!(["primary", "piano"]));
    assert!(
        body["message"].as_str().unwrap().contains("drums"),
        "the message names the value: {body}"
    );
    assert_eq!(app.count("bookings"), 0);
}

#[tokio::test]
async fn allowlist_applies_to_reschedule_target() {
    let app = spawn_app_with(settings_allowing("piano")).await;
    let (piano, teacher, student) = app.seed("piano").await;
    app.create_resource("drums").await;
    let (_, booked) = app
        .book(&piano, teacher, student, "2026-03-05T10:00:00Z", 30)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-05T12:00:00Z", "resource_id": "drums" }),
        )
        .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "resource_id_invalid");
    assert_eq!(body["allowed"], json!(["piano"]));
}

#[tokio::test]
async fn reschedule_to_other_resource_moves_it() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;
    app.create_resource("roomA").await;
    let (_, booked) = app
        .book(&piano, teacher, student, "2026-03-05T10:00:00Z", 30)
        .await;
    let id = booked["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;

    let (status, body) = app
        .post(
            &format!("/api/bookings/{id}/reschedule/complete"),
            &json!({ "start": "2026-03-05T10:00:00Z", "resource_id": "roomA" }),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["booking"]["resource_id"], "roomA");
    assert_eq!(body["new_resource_id"], "roomA");
    assert_eq!(body["original_resource_id"], "piano");
}

#[tokio::test]
async fn bad_input_is_rejected_and_nothing_written() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 0 }),
            400,
            "duration_invalid",
            Some("duration_min"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": -30 }),
            400,
            "duration_invalid",
            Some("duration_min"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 721 }),
            400,
            "duration_invalid",
            Some("duration_min"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "next tuesday", "duration_min": 30 }),
            400,
            "start_invalid",
            Some("start"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-02-30T10:00:00Z", "duration_min": 30 }),
            400,
            "start_invalid",
            Some("start"),
        ),
        (
            json!({ "resource_id": "nowhere", "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30 }),
            404,
            "resource_not_found",
            Some("resource_id"),
        ),
        (
            json!({ "resource_id": "room A", "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30 }),
            400,
            "resource_id_malformed",
            Some("resource_id"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": 999, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30 }),
            404,
            "teacher_not_found",
            Some("teacher_id"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": 999, "start": "2026-03-05T10:00:00Z", "duration_min": 30 }),
            404,
            "student_not_found",
            Some("student_id"),
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": "30" }),
            400,
            "invalid_json",
            None,
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30.5 }),
            400,
            "invalid_json",
            None,
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration": 30 }),
            400,
            "invalid_json",
            None,
        ),
        (
            json!({ "resource_id": room, "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30, "notes": "x".repeat(50_001) }),
            400,
            "notes_too_long",
            Some("notes"),
        ),
    ];
    for (body, expected_status, expected_code, expected_field) in cases {
        let (status, answer) = app.post("/api/bookings", &body).await;
        assert_eq!(status, expected_status, "{body} -> {answer}");
        assert_eq!(answer["error"], expected_code, "{body} -> {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| m.len() > 20),
            "a plain message: {answer}"
        );
        if let Some(field) = expected_field {
            assert_eq!(answer["field"], field, "{answer}");
        }
    }
    assert_eq!(app.count("bookings"), 0, "no rejected request wrote a booking");
    assert_eq!(app.count("audit_log"), 0);
}

#[tokio::test]
async fn malformed_json_is_rejected() {
    let app = spawn_app().await;

    let (status, body) = app
        .post_raw("/api/bookings", "{\"resource_id\": \"primary\",")
        .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_json");
}

#[tokio::test]
async fn body_without_json_content_type_is_rejected() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/api/teachers", app.base))
        .body("{\"name\":\"Ada\"}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_json");
}

#[tokio::test]
async fn local_start_reads_in_studio_zone() {
    let app = spawn_app_with(settings_in("America/New_York")).await;
    let (room, teacher, student) = app.seed("roomA").await;

    let (status, body) = app.book(&room, teacher, student, "2026-07-01T17:00", 30).await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(body["start"], "2026-07-01T21:00:00Z", "17:00 EDT is 21:00 UTC");
    assert_eq!(body["start_local"], "2026-07-01T17:00:00-04:00");
}

#[tokio::test]
async fn local_start_in_dst_gap_is_rejected() {
    let app = spawn_app_with(settings_in("America/New_York")).await;
    let (room, teacher, student) = app.seed("roomA").await;

    let (status, body) = app.book(&room, teacher, student, "2026-03-08T02:30", 30).await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "start_nonexistent");
    assert_eq!(body["field"], "start");
}

#[tokio::test]
async fn local_start_in_repeated_hour_is_rejected() {
    let app = spawn_app_with(settings_in("America/New_York")).await;
    let (room, teacher, student) = app.seed("roomA").await;

    let (status, body) = app.book(&room, teacher, student, "2026-11-01T01:30", 30).await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "start_ambiguous");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("-04:00") && message.contains("-05:00"),
        "both offsets offered: {message}"
    );
}

#[tokio::test]
async fn long_notes_and_emoji_names_round_trip() {
    let app = spawn_app().await;
    let name = "Zoë 🎹🥁 李小龍 \u{1F3BB}";
    let teacher = app.create_teacher(name).await;
    let student = app.create_student("Ольга 🎺").await;
    let notes: String = "Scales ✅ 🎼 — ".chars().cycle().take(20_000).collect();

    let (status, booked) = app
        .post(
            "/api/bookings",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z",
                     "duration_min": 30, "notes": notes }),
        )
        .await;

    assert_eq!(status, 201);
    assert_eq!(
        booked["resource_id"], "primary",
        "resource_id defaults to primary"
    );
    let (_, fetched) = app.get(&format!("/api/bookings/{}", booked["id"])).await;
    assert_eq!(
        fetched["notes"].as_str().unwrap(),
        notes,
        "notes come back byte for byte"
    );
    assert_eq!(fetched["notes"].as_str().unwrap().chars().count(), 20_000);
    let (_, teacher_back) = app.get(&format!("/api/teachers/{teacher}")).await;
    assert_eq!(teacher_back["name"].as_str().unwrap().as_bytes(), name.as_bytes());
}

#[tokio::test]
async fn people_and_resources_validate_input() {
    let app = spawn_app().await;
    let cases = [
        ("/api/teachers", json!({ "name": "   " }), "name_invalid"),
        ("/api/teachers", json!({ "name": "a\u{0007}b" }), "name_invalid"),
        (
            "/api/students",
            json!({ "name": "Sam", "email": "not-an-email" }),
            "email_invalid",
        ),
        (
            "/api/resources",
            json!({ "id": "1piano", "name": "Piano", "kind": "instrument" }),
            "resource_id_malformed",
        ),
        (
            "/api/resources",
            json!({ "id": "piano", "name": "Piano", "kind": "synth" }),
            "kind_invalid",
        ),
    ];
    for (path, body, code) in cases {
        let (status, answer) = app.post(path, &body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{path} {body} -> {answer}"
        );
    }
    app.create_resource("piano").await;
    let (status, answer) = app
        .post(
            "/api/resources",
            &json!({ "id": "piano", "name": "Again", "kind": "room" }),
        )
        .await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("resource_exists")));
}

#[tokio::test]
async fn unknown_ids_answer_not_found() {
    let app = spawn_app().await;
    for path in [
        "/api/bookings/42",
        "/api/bookings/abc",
        "/api/teachers/7",
        "/api/students/x",
        "/api/bookings/42/audit",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().ends_with("not_found"),
            "{path}: {body}"
        );
    }
    let (status, body) = app.post_empty("/api/bookings/42/cancel").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("booking_not_found")));
}

#[tokio::test]
async fn list_range_is_validated_and_half_open() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    app.book(&room, teacher, student, "2026-03-05T10:00:00Z", 60)
        .await;

    let (_, touching) = app
        .get("/api/bookings?from=2026-03-05T11:00:00Z&to=2026-03-05T12:00:00Z")
        .await;
    assert_eq!(
        touching.as_array().unwrap().len(),
        0,
        "a lesson ending at `from` is outside"
    );
    let (_, inside) = app
        .get("/api/bookings?from=2026-03-05T10:59:00Z&to=2026-03-05T12:00:00Z")
        .await;
    assert_eq!(
        inside.as_array().unwrap().len(),
        1,
        "a lesson running at `from` is inside"
    );
    let (_, other) = app
        .get("/api/bookings?from=2026-03-05T00:00:00Z&to=2026-03-06T00:00:00Z&resource_id=piano")
        .await;
    assert_eq!(other.as_array().unwrap().len(), 0, "filtered by resource");

    let (status, body) = app
        .get("/api/bookings?from=2026-03-06T00:00:00Z&to=2026-03-05T00:00:00Z")
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("range_invalid")));
    let (status, body) = app.get("/api/bookings?from=2026-03-06T00:00:00Z").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_query")));
}

#[tokio::test]
async fn audit_trail_records_who_and_before_after() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    let response = app
        .client
        .post(format!("{}/api/bookings", app.base))
        .header("X-Melody-Actor", "Maria at the desk")
        .json(
            &json!({ "resource_id": room, "teacher_id": teacher, "student_id": student,
                       "start": "2026-03-10T10:00:00Z", "duration_min": 30 }),
        )
        .send()
        .await
        .unwrap();
    let booked: Value = response.json().await.unwrap();
    let id = booked["id"].as_i64().unwrap();
    app.advance(Duration::hours(1));
    app.post_empty(&format!("/api/bookings/{id}/cancel")).await;

    let (_, trail) = app.get(&format!("/api/bookings/{id}/audit")).await;
    let trail = trail.as_array().unwrap();

    assert_eq!(trail.len(), 2);
    assert_eq!(trail[0]["actor"], "Maria at the desk");
    assert_eq!(booked["created_by"], "Maria at the desk");
    assert_eq!(trail[0]["before"], Value::Null);
    assert_eq!(trail[0]["after"]["status"], "confirmed");
    assert_eq!(trail[1]["actor"], "front-desk", "no header: the default actor");
    assert_eq!(trail[1]["at"], "2026-03-02T10:00:00Z", "the time of the change");
    assert_eq!(trail[1]["before"]["status"], "confirmed");
    assert_eq!(trail[1]["after"]["status"], "cancelled");
}

#[tokio::test]
async fn analytics_events_are_resource_aware() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;
    let (_, booked) = app
        .book(&piano, teacher, student, "2026-03-02T12:00:00Z", 30)
        .await;
    app.post_empty(&format!("/api/bookings/{}/cancel", booked["id"]))
        .await;

    let (status, events) = app.get("/api/events?after=0").await;

    assert_eq!(status, 200);
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["booking_created", "booking_confirmed", "booking_cancelled"]
    );
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["resource_id"] == "piano"));
    assert_eq!(events[2]["data"]["late"], true);
    let conn = rusqlite::Connection::open(&app.db).unwrap();
    let blocked = conn.execute("DELETE FROM analytics_events", []);
    assert!(blocked.is_err(), "the event log is append-only");
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let app = spawn_app().await;

    let (status, doc) = app.get("/api/openapi.json").await;

    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/resources",
        "/api/teachers",
        "/api/students/{id}",
        "/api/bookings",
        "/api/bookings/{id}/cancel",
        "/api/bookings/{id}/reschedule",
        "/api/bookings/{id}/reschedule/complete",
        "/api/bookings/{id}/reschedule/abandon",
        "/api/bookings/{id}/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["BookingView"].is_object());
}

#[tokio::test]
async fn allowlist_without_primary_explains_missing_resource() {
    let app = spawn_app_with(settings_allowing("piano")).await;
    let (_, teacher, student) = app.seed("piano").await;

    let (status, body) = app
        .post(
            "/api/bookings",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2026-03-05T10:00:00Z", "duration_min": 30 }),
        )
        .await;

    assert_eq!(status, 400);
    assert_eq!(body["error"], "resource_id_invalid");
    assert!(
        body["message"].as_str().unwrap().contains("missing"),
        "the client sent no resource: {body}"
    );
}

#[tokio::test]
async fn wrong_method_and_huge_body_answer_json() {
    let app = spawn_app().await;

    let wrong_method = app
        .client
        .delete(format!("{}/api/bookings", app.base))
        .send()
        .await
        .unwrap();
    let huge = app
        .client
        .post(format!("{}/api/teachers", app.base))
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"{}\"}}", "x".repeat(3 * 1024 * 1024)))
        .send()
        .await
        .unwrap();

    assert_eq!(wrong_method.status(), 405);
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    assert_eq!(huge.status(), 413);
    let body: Value = huge.json().await.unwrap();
    assert_eq!(body["error"], "body_too_large");
}

#[tokio::test]
async fn far_future_start_is_rejected() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;

    let (status, body) = app
        .book(&room, teacher, student, "9999-12-31T23:00:00Z", 720)
        .await;

    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("start_invalid")),
        "{body}"
    );
}
