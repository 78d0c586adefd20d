//! `GET /api/admin/metrics` and the admin key, over HTTP against real
//! SQLite files, checked with promtool.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use chrono::Duration;
use common::{scrape, settings_allowing, spawn_app, spawn_app_full, ServerProcess, ADMIN_KEY};
use melody_domain::ResourceCapacity;
use melody_server::{ApiCredential, Settings};
use serde_json::json;

#[tokio::test]
async fn admin_routes_need_admin_key() {
    let app = spawn_app_full(settings_allowing("primary,piano"), ApiCredential::LoopbackOpen).await;
    let url = format!("{}/api/admin/resources", app.base);

    let missing = app.client.get(&url).send().await.unwrap();
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("not-the-admin-key-at-all")
        .send()
        .await
        .unwrap();
    let right = app.client.get(&url).bearer_auth(ADMIN_KEY).send().await.unwrap();

    assert_eq!(missing.status(), 401, "loopback does not open admin routes");
    assert_eq!(wrong.status(), 401);
    assert_eq!(right.status(), 200);
    let body: serde_json::Value = right.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "enforced": true, "allowedResourceIds": ["primary", "piano"] })
    );
    let metrics = app
        .client
        .get(format!("{}/api/admin/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 401);
}

#[tokio::test]
async fn admin_resources_without_allowlist() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/api/admin/resources", app.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "enforced": false, "allowedResourceIds": [] }));
}

#[tokio::test]
async fn repeated_admin_failures_are_rate_limited() {
    let app = spawn_app().await;
    let url = format!("{}/api/admin/metrics", app.base);
    for attempt in 1..=10 {
        let response = app
            .client
            .get(&url)
            .bearer_auth(format!("guess-{attempt}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {attempt} is only refused");
    }

    let blocked = app.client.get(&url).bearer_auth("guess-11").send().await.unwrap();
    let prometheus = app.client.get(&url).bearer_auth(ADMIN_KEY).send().await.unwrap();

    assert_eq!(
        blocked.status(),
        429,
        "after 10 failures the address's guesses are turned away"
    );
    assert_eq!(blocked.headers()["retry-after"], "60");
    assert_eq!(
        prometheus.status(),
        200,
        "the right key still scrapes: guesses cannot lock it out"
    );
}

#[tokio::test]
async fn metrics_follow_bookings_and_totals_never_drop() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;
    let mut ids = Vec::new();
    for (day, minutes) in [(1, 15), (2, 30), (3, 45), (4, 60)] {
        let start = (app.now() + Duration::days(day)).to_rfc3339();
        let (status, body) = app.book(&piano, teacher, student, &start, minutes).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let before = app.scrape().await;

    // At day 1, 10:00 the 30-minute lesson of day 2, 09:00 is 23 hours away,
    // so cancelling it is late.
    app.set_now(app.now() + Duration::days(1) + Duration::hours(1));
    app.post_empty(&format!("/api/bookings/{}/cancel", ids[1])).await;
    app.post_empty(&format!("/api/bookings/{}/reschedule", ids[2]))
        .await;
    let (status, _) = app
        .post(
            &format!("/api/bookings/{}/reschedule/complete", ids[2]),
            &json!({ "start": "2026-03-20T10:00:00Z" }),
        )
        .await;
    assert_eq!(status, 200);
    let after = app.scrape().await;

    assert_eq!(before.get("melody_bookings_confirmed_total"), 4.0);
    assert_eq!(
        after.get("melody_bookings_confirmed_total"),
        4.0,
        "a cancellation does not lower the counter"
    );
    assert_eq!(
        after.get(r#"melody_bookings_confirmed{resource_id="piano"}"#),
        3.0,
        "the gauge is the current state"
    );
    assert_eq!(after.get("melody_bookings_cancelled_late_total"), 1.0);
    assert_eq!(
        after.get(r#"melody_bookings_cancelled_late{resource_id="piano"}"#),
        1.0
    );
    assert_eq!(after.get("melody_bookings_confirmed_minutes_total"), 150.0);
    assert_eq!(
        after.get(r#"melody_bookings_confirmed_minutes{resource_id="piano"}"#),
        120.0
    );
    assert_eq!(after.get("melody_reschedule_completed_total"), 1.0);
    // Requested at day 1 10:00 for the lesson at day 3 09:00: 47 hours.
    assert_eq!(after.get("melody_reschedule_lead_time_hours_avg"), 47.0);
    assert_eq!(after.get("melody_reschedule_lead_time_hours_median"), 47.0);
    assert_eq!(
        after.get(r#"melody_bookings_confirmed{resource_id="primary"}"#),
        0.0,
        "primary is always there"
    );
    assert!(after
        .text
        .contains("# TYPE melody_bookings_confirmed_total counter"));
    assert!(after.text.contains("# TYPE melody_bookings_confirmed gauge"));
    assert!(after
        .text
        .contains("# TYPE melody_booking_duration_minutes histogram"));
}

#[tokio::test]
async fn duration_histogram_buckets_are_inclusive() {
    let app = spawn_app().await;
    let (room, teacher, student) = app.seed("roomA").await;
    for (day, minutes) in [(1, 15), (2, 30), (3, 45), (4, 60), (5, 61), (6, 600)] {
        let start = (app.now() + Duration::days(day)).to_rfc3339();
        assert_eq!(app.book(&room, teacher, student, &start, minutes).await.0, 201);
    }

    let metrics = app.scrape().await;
    let bucket = |le: &str| metrics.get(&format!(r#"melody_booking_duration_minutes_bucket{{le="{le}"}}"#));

    assert_eq!(bucket("0"), 0.0);
    assert_eq!(bucket("15"), 1.0, "a 15-minute lesson is in le=15");
    assert_eq!(
        bucket("30") - bucket("15"),
        1.0,
        "a 30-minute lesson is in le=30, not le=45"
    );
    assert_eq!(bucket("45") - bucket("30"), 1.0);
    assert_eq!(bucket("60") - bucket("45"), 1.0);
    assert_eq!(bucket("90") - bucket("60"), 1.0, "61 minutes is past le=60");
    assert_eq!(bucket("480"), 5.0);
    assert_eq!(bucket("+Inf"), 6.0);
    assert_eq!(metrics.get("melody_booking_duration_minutes_count"), 6.0);
    assert_eq!(metrics.get("melody_booking_duration_minutes_sum"), 811.0);
}

#[tokio::test]
async fn allowlist_gives_every_allowed_resource_a_series() {
    let app = spawn_app_full(
        settings_allowing("primary,piano,drums"),
        ApiCredential::LoopbackOpen,
    )
    .await;

    let metrics = app.scrape().await;

    for id in ["primary", "piano", "drums"] {
        for name in [
            "melody_bookings_confirmed",
            "melody_bookings_cancelled_late",
            "melody_bookings_confirmed_minutes",
            "melody_bookings_utilization_percent",
        ] {
            assert_eq!(
                metrics.get(&format!(r#"{name}{{resource_id="{id}"}}"#)),
                0.0,
                "{name} for {id} before any booking"
            );
        }
    }
}

#[tokio::test]
async fn utilization_is_todays_minutes_over_capacity() {
    let settings = Settings {
        capacity: ResourceCapacity::parse("piano:600").unwrap(),
        ..Settings::default()
    };
    let app = spawn_app_full(settings, ApiCredential::LoopbackOpen).await;
    let (piano, teacher, student) = app.seed("piano").await;
    app.create_resource("drums").await;
    // The clock reads 09:00 UTC; the studio zone is UTC.
    app.book(&piano, teacher, student, "2026-03-02T10:00:00Z", 180)
        .await;
    app.book(&piano, teacher, student, "2026-03-02T14:00:00Z", 120)
        .await;
    app.book(&piano, teacher, student, "2026-03-03T10:00:00Z", 240)
        .await;
    let other = app.create_student("Other").await;
    app.book("drums", teacher, other, "2026-03-02T18:00:00Z", 60)
        .await;

    let metrics = app.scrape().await;

    assert_eq!(
        metrics.get(r#"melody_bookings_utilization_percent{resource_id="piano"}"#),
        0.5,
        "300 of 600 minutes today"
    );
    assert_eq!(
        metrics.get(r#"melody_bookings_utilization_percent{resource_id="drums"}"#),
        0.0,
        "no capacity configured"
    );
}

/// Base-unit notes promtool prints for names the studio's dashboards fix.
const ACCEPTED_NOTES: [&str; 2] = [
    "use base unit \"seconds\" instead of \"minutes\"",
    "use base unit \"seconds\" instead of \"hours\"",
];

#[tokio::test]
async fn promtool_accepts_live_scrape() {
    let app = spawn_app().await;
    let (piano, teacher, student) = app.seed("piano").await;
    app.book(&piano, teacher, student, "2026-03-05T10:00:00Z", 45)
        .await;
    let metrics = app.scrape().await;

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed by scripts/setup (Debian package prometheus)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.text.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();

    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let problems: Vec<&str> = report
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter(|line| !ACCEPTED_NOTES.iter().any(|note| line.contains(note)))
        .collect();
    assert!(
        problems.is_empty(),
        "promtool reported more than the fixed-name unit notes:\n{report}"
    );
}

#[tokio::test]
async fn metrics_survive_restart_and_admin_listener_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    let client = reqwest::Client::new();
    let server = ServerProcess::start(&db);
    let teacher: serde_json::Value = common::post_json(
        &client,
        &format!("{}/api/teachers", server.base),
        &json!({"name": "T"}),
    )
    .await;
    let student: serde_json::Value = common::post_json(
        &client,
        &format!("{}/api/students", server.base),
        &json!({"name": "S", "email": "s@example.com"}),
    )
    .await;
    for hour in 0..3 {
        let body = json!({ "teacher_id": teacher["id"], "student_id": student["id"],
                           "start": format!("2030-01-07T1{hour}:00:00Z"), "duration_min": 30 });
        assert_eq!(
            client
                .post(format!("{}/api/bookings", server.base))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            201
        );
    }
    let before = scrape(&client, &server.base).await;
    server.kill();

    let restarted = ServerProcess::start_with(&db, &[("MELODY_METRICS_ADDR", "127.0.0.1:0")]);
    let admin_base = restarted.admin_base.clone().expect("the admin listener address");
    let after = scrape(&client, &admin_base).await;

    assert_eq!(before.get("melody_bookings_confirmed_total"), 3.0);
    assert_eq!(
        after.text, before.text,
        "values come from SQLite, not from memory"
    );
    let booking_api = client
        .get(format!("{admin_base}/api/bookings/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        booking_api.status(),
        404,
        "the admin listener serves no booking data"
    );
}

#[tokio::test]
async fn lead_time_is_nan_before_first_reschedule() {
    let app = spawn_app().await;

    let metrics = app.scrape().await;

    assert!(
        metrics.get("melody_reschedule_lead_time_hours_avg").is_nan(),
        "no request, no lead time"
    );
    assert!(metrics.get("melody_reschedule_lead_time_hours_median").is_nan());
}

#[test]
fn alert_rules_pass_promtool() {
    let dashboards = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards");
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ] {
        let output = Command::new("promtool")
            .args(args)
            .current_dir(&dashboards)
            .output()
            .expect("promtool is installed by scripts/setup (Debian package prometheus)");
        assert!(
            output.status.success(),
            "promtool {} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
