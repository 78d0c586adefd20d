//! Weekly series, calendar feeds and iCalendar import through the HTTP API
//! and the `melody import` command.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{count_rows, post_json, settings_in, spawn_app_with, ServerProcess, TestApp};
use serde_json::{json, Value};

async fn people(app: &TestApp) -> (i64, i64) {
    let teacher = app.create_teacher("Ada Lovelace").await;
    let student = app.create_student("Zoë Park").await;
    (teacher, student)
}

fn stored_starts(db: &Path, series_id: i64) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT strftime('%Y-%m-%dT%H:%MZ', start_at, 'unixepoch') FROM bookings
              WHERE series_id = ?1 ORDER BY series_date",
        )
        .unwrap();
    statement
        .query_map([series_id], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The studio zones of the DST test, each with a Monday series crossing
/// both changes of 2027 and the UTC instants expected around them.
const DST_CASES: [(&str, &str, &str, [&str; 4]); 3] = [
    // New York: EDT from 2027-03-14 to 2027-11-07.
    (
        "America/New_York",
        "2027-03-08T17:00",
        "2027-11-08",
        [
            "2027-03-08T22:00Z",
            "2027-03-15T21:00Z",
            "2027-11-01T21:00Z",
            "2027-11-08T22:00Z",
        ],
    ),
    // London: BST from 2027-03-28 to 2027-10-31.
    (
        "Europe/London",
        "2027-03-22T17:00",
        "2027-11-01",
        [
            "2027-03-22T17:00Z",
            "2027-03-29T16:00Z",
            "2027-10-25T16:00Z",
            "2027-11-01T17:00Z",
        ],
    ),
    // Sydney: AEDT ends 2027-04-04 and starts 2027-10-03.
    (
        "Australia/Sydney",
        "2027-03-29T17:00",
        "2027-10-04",
        [
            "2027-03-29T06:00Z",
            "2027-04-05T07:00Z",
            "2027-09-27T07:00Z",
            "2027-10-04T06:00Z",
        ],
    ),
];

fn check_dst_starts(zone: &str, starts: &[String], expected: &[&str; 4]) {
    assert_eq!(
        starts.first().map(String::as_str),
        Some(expected[0]),
        "{zone}: first lesson"
    );
    assert_eq!(
        starts.get(1).map(String::as_str),
        Some(expected[1]),
        "{zone}: after the first change"
    );
    assert_eq!(
        starts[starts.len() - 2],
        expected[2],
        "{zone}: before the second change"
    );
    assert_eq!(
        starts.last().map(String::as_str),
        Some(expected[3]),
        "{zone}: after the second change"
    );
}

#[tokio::test]
async fn series_keep_local_time_across_dst() {
    for (zone, start, until, expected) in DST_CASES {
        let app = spawn_app_with(settings_in(zone)).await;
        let (teacher, student) = people(&app).await;
        let (status, plan) = app
            .post(
                "/api/series",
                &json!({ "teacher_id": teacher, "student_id": student, "start": start,
                         "duration_min": 45, "until": until }),
            )
            .await;
        assert_eq!(status, 201, "{zone}: {plan}");
        let id = plan["series"]["id"].as_i64().unwrap();
        let starts = stored_starts(&app.db, id);
        check_dst_starts(zone, &starts, &expected);
        assert_eq!(plan["booked"], starts.len(), "{zone}");
    }
}

#[tokio::test]
async fn series_ignore_the_process_time_zone() {
    // The same series made by `melody serve` under different process TZ
    // values stores the same instants.
    for (zone, start, until, expected) in DST_CASES {
        for process_tz in ["UTC", zone] {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("melody.db");
            let server = ServerProcess::start_with(&db, &[("STUDIO_TIMEZONE", zone), ("TZ", process_tz)]);
            let client = reqwest::Client::new();
            let base = &server.base;
            let teacher = post_json(
                &client,
                &format!("{base}/api/teachers"),
                &json!({ "name": "Ada" }),
            )
            .await;
            let student = post_json(
                &client,
                &format!("{base}/api/students"),
                &json!({ "name": "Sam", "email": "sam@example.com" }),
            )
            .await;
            let plan = post_json(
                &client,
                &format!("{base}/api/series"),
                &json!({ "teacher_id": teacher["id"], "student_id": student["id"], "start": start,
                         "duration_min": 45, "until": until }),
            )
            .await;
            let starts = stored_starts(&db, plan["series"]["id"].as_i64().unwrap());
            check_dst_starts(&format!("{zone} with TZ={process_tz}"), &starts, &expected);
        }
    }
}

#[tokio::test]
async fn gap_and_repeat_follow_the_documented_rule() {
    let app = spawn_app_with(settings_in("America/New_York")).await;
    let (teacher, student) = people(&app).await;
    // Sundays at 02:30: 2027-03-14 has no 02:30, 2027-11-07 has two 01:30s.
    let (status, plan) = app
        .post(
            "/api/series",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2027-03-07T02:30",
                     "duration_min": 30, "count": 2, "dry_run": true }),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert!(plan["series"].is_null(), "a dry run creates nothing");
    assert_eq!(plan["slots"][1]["start"], "2027-03-14T07:30:00Z");
    assert_eq!(
        plan["slots"][1]["adjustment"],
        json!({ "shifted_forward": { "minutes": 60 } })
    );
    assert_eq!(count_rows(&app.db, "bookings"), 0);

    let (_, plan) = app
        .post(
            "/api/series",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2027-11-07T01:30",
                     "duration_min": 30, "count": 1, "dry_run": true }),
        )
        .await;
    assert_eq!(plan["slots"][0]["start"], "2027-11-07T05:30:00Z");
    assert_eq!(plan["slots"][0]["adjustment"], "first_of_repeat");
}

#[tokio::test]
async fn conflicts_are_all_reported() {
    let app = spawn_app_with(settings_in("Europe/London")).await;
    let (teacher, student) = people(&app).await;
    let other = app.create_student("Other").await;
    // Two weeks of the series are taken by the teacher's other lessons.
    for day in ["2027-01-18", "2027-02-01"] {
        let (status, _) = app
            .post(
                "/api/bookings",
                &json!({ "teacher_id": teacher, "student_id": other, "start": format!("{day}T17:15"), "duration_min": 30 }),
            )
            .await;
        assert_eq!(status, 201);
    }
    let body = json!({ "teacher_id": teacher, "student_id": student, "start": "2027-01-04T17:00",
                       "duration_min": 45, "count": 6 });

    let (status, error) = app.post("/api/series", &body).await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"], "series_conflict");
    let dates: Vec<&str> = error["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["date"].as_str())
        .collect();
    assert_eq!(dates, ["2027-01-18", "2027-02-01"]);
    assert_eq!(
        error["slots"][0]["conflicts"][0]["on"],
        json!(["resource", "teacher"])
    );
    assert_eq!(count_rows(&app.db, "bookings"), 2, "all or none: nothing booked");
    assert_eq!(count_rows(&app.db, "series"), 0);

    let mut free_only = body.clone();
    free_only["on_conflict"] = json!("free_only");
    let (status, plan) = app.post("/api/series", &free_only).await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["booked"], 4);
    let skipped: Vec<&str> = plan["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["booking"].is_null())
        .filter_map(|s| s["date"].as_str())
        .collect();
    assert_eq!(skipped, ["2027-01-18", "2027-02-01"]);

    let (status, error) = app
        .post("/api/series", &json!({ "teacher_id": teacher, "student_id": student, "start": "2027-01-04T17:00", "duration_min": 45 }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "series_invalid");
    let (status, error) = app
        .post(
            "/api/series",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2027-01-04T17:00", "duration_min": 45,
                     "count": 5, "interval_weeks": 0 }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(error["message"].as_str().unwrap().contains("1 to 52"), "{error}");
}

#[tokio::test]
async fn change_and_cancel_by_scope() {
    let app = spawn_app_with(settings_in("Europe/London")).await;
    let (teacher, student) = people(&app).await;
    // The test clock stands at 2026-03-02 09:00 UTC, a Monday.
    let (_, plan) = app
        .post(
            "/api/series",
            &json!({ "teacher_id": teacher, "student_id": student, "start": "2026-03-02T17:00",
                     "duration_min": 45, "count": 6 }),
        )
        .await;
    let id = plan["series"]["id"].as_i64().unwrap();
    let lesson = |index: usize| plan["slots"][index]["booking"]["id"].as_i64().unwrap();

    // Move the third lesson and those after it to 18:00 local, across the
    // change to BST on 2026-03-29.
    let (status, changed) = app
        .post(
            &format!("/api/series/{id}/change"),
            &json!({ "scope": "following", "booking_id": lesson(2), "local_time": "18:00" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["lessons"].as_array().unwrap().len(), 4);
    let starts = stored_starts(&app.db, id);
    assert_eq!(
        starts,
        [
            "2026-03-02T17:00Z",
            "2026-03-09T17:00Z",
            "2026-03-16T18:00Z",
            "2026-03-23T18:00Z",
            "2026-03-30T17:00Z",
            "2026-04-06T17:00Z"
        ]
    );

    // One lesson to another room: the change is checked like a booking.
    let (status, error) = app
        .post(
            &format!("/api/series/{id}/change"),
            &json!({ "scope": "one", "booking_id": lesson(0), "resource_id": "nowhere" }),
        )
        .await;
    assert_eq!(status, 404, "{error}");

    // Cancelling the first lesson 8 hours before it starts is late; the
    // rest of the series is cancelled plainly.
    let (status, cancelled) = app
        .post(
            &format!("/api/series/{id}/cancel"),
            &json!({ "scope": "one", "booking_id": lesson(0) }),
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["lessons"][0]["penalty_reason"], "late_cancel");
    let (_, rest) = app
        .post(
            &format!("/api/series/{id}/cancel"),
            &json!({ "scope": "following", "booking_id": lesson(1) }),
        )
        .await;
    let rest = rest["lessons"].as_array().unwrap();
    assert_eq!(rest.len(), 5);
    assert!(rest
        .iter()
        .all(|b| b["status"] == "cancelled" && b["penalty_reason"].is_null()));

    let (status, error) = app
        .post(
            &format!("/api/series/{id}/cancel"),
            &json!({ "scope": "one", "booking_id": 999 }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "booking_not_in_series");
    let (status, error) = app
        .post(&format!("/api/series/{id}/cancel"), &json!({ "scope": "some" }))
        .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "scope_invalid");
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Expands `file` with Python's icalendar and recurring_ical_events.
fn python_expand(file: &Path, from: &str, to: &str) -> Vec<(String, i64)> {
    let python = repo_root().join(".venv-test/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup",
        python.display()
    );
    let output = Command::new(python)
        .arg(repo_root().join("tests/ical/expand.py"))
        .args([file.to_str().unwrap(), from, to])
        .output()
        .expect("run tests/ical/expand.py");
    assert!(
        output.status.success(),
        "expand.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut occurrences: Vec<(String, i64)> = parsed["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] != "CANCELLED")
        .map(|o| {
            (
                o["start"].as_str().unwrap().replace("+00:00", "Z"),
                o["duration_min"].as_i64().unwrap(),
            )
        })
        .collect();
    occurrences.sort();
    occurrences
}

#[tokio::test]
async fn feeds_expand_to_stored_lessons() {
    let app = spawn_app_with(settings_in("Europe/London")).await;
    let (teacher, student) = people(&app).await;
    let other_teacher = app.create_teacher("Grace Hopper").await;
    app.create_resource("piano").await;
    let (_, plan) = app
        .post(
            "/api/series",
            &json!({ "resource_id": "piano", "teacher_id": teacher, "student_id": student, "start": "2026-03-16T17:00",
                     "duration_min": 45, "count": 8, "notes": "Scales, then the Bach; bring the book" }),
        )
        .await;
    let id = plan["series"]["id"].as_i64().unwrap();
    let lesson = |index: usize| plan["slots"][index]["booking"]["id"].as_i64().unwrap();
    // Exceptions: one lesson moved, one cancelled, one given to another teacher.
    app.post(
        &format!("/api/series/{id}/change"),
        &json!({ "scope": "one", "booking_id": lesson(2), "local_time": "18:30" }),
    )
    .await;
    app.post(
        &format!("/api/series/{id}/cancel"),
        &json!({ "scope": "one", "booking_id": lesson(4) }),
    )
    .await;
    app.post(
        &format!("/api/series/{id}/change"),
        &json!({ "scope": "one", "booking_id": lesson(6), "teacher_id": other_teacher }),
    )
    .await;
    // And a single lesson outside the series.
    let (status, _) = app
        .post("/api/bookings", &json!({ "resource_id": "piano", "teacher_id": teacher, "student_id": student, "start": "2026-03-20T10:00", "duration_min": 60 }))
        .await;
    assert_eq!(status, 201);

    let (status, created) = app
        .post(
            "/api/feeds",
            &json!({ "kind": "teacher", "id": teacher.to_string() }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let path = created["path"].as_str().unwrap().to_owned();
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = response.text().await.unwrap();
    assert!(ics.contains("RRULE:FREQ=WEEKLY"), "{ics}");
    assert!(ics.contains("EXDATE"), "{ics}");
    assert!(ics.contains("RECURRENCE-ID"), "{ics}");
    assert!(ics.contains("BEGIN:VTIMEZONE"), "{ics}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("teacher.ics");
    std::fs::write(&file, &ics).unwrap();
    let expanded = python_expand(&file, "2026-01-01", "2027-01-01");

    let conn = rusqlite::Connection::open(&app.db).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', start_at, 'unixepoch'), duration_min FROM bookings
              WHERE teacher_id = ?1 AND status = 'confirmed' ORDER BY start_at",
        )
        .unwrap();
    let stored: Vec<(String, i64)> = statement
        .query_map([teacher], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stored.len(),
        7,
        "8 lessons, one cancelled, one given away, plus one single"
    );
    assert_eq!(expanded, stored);

    // The other teacher's feed has the lesson given to them, as a single event.
    let (_, other) = app
        .post(
            "/api/feeds",
            &json!({ "kind": "teacher", "id": other_teacher.to_string() }),
        )
        .await;
    let other_ics = app
        .client
        .get(format!("{}{}", app.base, other["path"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(&file, &other_ics).unwrap();
    assert_eq!(python_expand(&file, "2026-01-01", "2027-01-01").len(), 1);

    // Revoked, the URL stops working; a made-up token never worked.
    let feed_id = created["feed"]["id"].as_i64().unwrap();
    let (status, _) = app
        .post(&format!("/api/feeds/{feed_id}/revoke"), &json!({}))
        .await;
    assert_eq!(status, 200);
    let gone = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let guessed = app
        .client
        .get(format!("{}/api/feeds/ics/{}", app.base, "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 404);
    let (_, feeds) = app.get("/api/feeds").await;
    assert_eq!(feeds.as_array().unwrap().len(), 1, "{feeds}");

    let (status, error) = app
        .post("/api/feeds", &json!({ "kind": "teacher", "id": "9999" }))
        .await;
    assert_eq!(status, 404, "{error}");
    let (status, error) = app
        .post("/api/feeds", &json!({ "kind": "room", "id": "piano" }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "kind_invalid");
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("../shared/fixtures/ical").join(name)
}

fn melody(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_melody"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("STUDIO_TIMEZONE", "Europe/Berlin")
        .env("RUST_LOG", "warn")
        .env_remove("ALLOWED_RESOURCE_IDS")
        .output()
        .expect("run melody")
}

#[test]
fn import_cli_dry_run_then_import_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    assert!(melody(&db, &["migrate"]).status.success());
    let file = fixture("node-ical__music-school-weekly-until.ics");
    let file = file.to_str().unwrap();

    let dry = melody(
        &db,
        &[
            "import",
            file,
            "--resource",
            "primary",
            "--include-past",
            "--dry-run",
            "--json",
        ],
    );
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    let occurrences = report["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 9, "{report}");
    let first = &occurrences[0];
    assert!(first["start"].as_str().unwrap().ends_with('Z'), "{first}");
    assert_eq!(first["duration_min"], 60);
    assert!(first["summary"].as_str().unwrap().starts_with("Music School"));
    assert_eq!(count_rows(&db, "bookings"), 0, "a dry run writes nothing");
    assert_eq!(count_rows(&db, "students"), 0);

    // Without --include-past these lessons of 2022 are all skipped.
    let past = melody(
        &db,
        &["import", file, "--resource", "primary", "--dry-run", "--json"],
    );
    let report: Value = serde_json::from_slice(&past.stdout).unwrap();
    assert_eq!(report["occurrences"].as_array().unwrap().len(), 0);
    assert_eq!(report["skipped"][0]["code"], "past", "{report}");

    let real = melody(&db, &["import", file, "--resource", "primary", "--include-past"]);
    assert!(real.status.success(), "{}", String::from_utf8_lossy(&real.stderr));
    assert_eq!(count_rows(&db, "bookings"), 9);

    // Importing again conflicts with every lesson and writes nothing.
    let again = melody(&db, &["import", file, "--resource", "primary", "--include-past"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing was imported"));
    assert_eq!(count_rows(&db, "bookings"), 9);
}

#[test]
fn import_cli_reports_skips_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    assert!(melody(&db, &["migrate"]).status.success());

    let all_day = fixture("node-ical__exchange_whole_day_moved_recurrence.ics");
    let output = melody(
        &db,
        &[
            "import",
            all_day.to_str().unwrap(),
            "--resource",
            "primary",
            "--include-past",
            "--dry-run",
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert!(codes.iter().all(|c| *c == "all_day"), "{report}");
    assert!(!codes.is_empty());

    let not_ics = dir.path().join("notes.ics");
    std::fs::write(&not_ics, "this is not a calendar\n").unwrap();
    let output = melody(
        &db,
        &["import", not_ics.to_str().unwrap(), "--resource", "primary"],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a valid iCalendar file"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let standup = fixture("ical4j__Standup.ics");
    let output = melody(
        &db,
        &[
            "import",
            standup.to_str().unwrap(),
            "--resource",
            "nowhere",
            "--dry-run",
        ],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere"));

    let missing = dir.path().join("absent.db");
    let output = melody(
        &missing,
        &["import", standup.to_str().unwrap(), "--resource", "primary"],
    );
    assert!(!output.status.success());
    assert!(!missing.exists(), "a mistyped --db is not created");
}

#[test]
fn every_fixture_imports_or_names_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    assert!(melody(&db, &["migrate"]).status.success());
    let folder = repo_root().join("../shared/fixtures/ical");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ics"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 30, "the fixture folder has 30 calendars");
    for file in files {
        let output = melody(
            &db,
            &[
                "import",
                file.to_str().unwrap(),
                "--resource",
                "primary",
                "--include-past",
                "--dry-run",
                "--json",
            ],
        );
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if output.status.success() {
            let report: Value =
                serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
            for skipped in report["skipped"].as_array().unwrap() {
                assert!(
                    !skipped["reason"].as_str().unwrap_or_default().is_empty(),
                    "{name}: {skipped}"
                );
            }
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("not a valid iCalendar file"), "{name}: {stderr}");
        }
    }
    assert_eq!(count_rows(&db, "bookings"), 0);
}

#[tokio::test]
async fn import_api_dry_run_and_conflict() {
    let app = spawn_app_with(settings_in("Europe/Berlin")).await;
    let (teacher, student) = people(&app).await;
    let ics = std::fs::read_to_string(fixture("node-ical__music-school-weekly-until.ics")).unwrap();
    let url = format!(
        "{}/api/import/ics?resource_id=primary&teacher_id={teacher}&student_id={student}&include_past=true",
        app.base
    );
    let dry: Value = app
        .client
        .post(format!("{url}&dry_run=true"))
        .body(ics.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["occurrences"].as_array().unwrap().len(), 9);
    assert_eq!(count_rows(&app.db, "bookings"), 0);

    let response = app.client.post(&url).body(ics.clone()).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(count_rows(&app.db, "bookings"), 9);
    let response = app.client.post(&url).body(ics).send().await.unwrap();
    assert_eq!(response.status(), 409);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "import_conflict");
    assert_eq!(error["report"]["conflicting"], 9);
    assert_eq!(count_rows(&app.db, "bookings"), 9);
}
