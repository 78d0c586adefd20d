//! The migrate, backfill and report commands on real database files,
//! including one written by the single-resource schema.

mod common;

use std::path::Path;
use std::process::Command;

use common::count_rows;
use melody_store::{Store, MIGRATIONS, SCHEMA_VERSION};

fn melody(db: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_melody"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run melody");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A database as the single-resource release left it: schema version 1 with
/// three bookings, one of them cancelled.
fn legacy_database(db: &Path) {
    drop(Store::open_at_version(db, 1).unwrap());
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "INSERT INTO teachers (id, name, created_at) VALUES (1, 'Ada', 1700000000);
         INSERT INTO students (id, name, email, created_at) VALUES (1, 'Sam', 's@example.com', 1700000000);
         INSERT INTO bookings (teacher_id, student_id, start_at, duration_min, status, created_by, created_at, updated_at)
         VALUES (1, 1, 1772442000, 60, 'confirmed', 'paper', 1700000000, 1700000000),
                (1, 1, 1772528400, 45, 'confirmed', 'paper', 1700000000, 1700000000),
                (1, 1, 1772614800, 30, 'cancelled', 'paper', 1700000000, 1700000000);",
    )
    .unwrap();
}

#[test]
fn migrations_apply_to_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/melody.db");

    let (ok, stdout, stderr) = melody(&db, &["migrate"]);

    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("schema version {SCHEMA_VERSION}")),
        "{stdout}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk_problems: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(fk_problems, 0);
    let (ok, _, _) = melody(&db, &["migrate"]);
    assert!(ok, "migrating twice is a no-op");
}

#[test]
fn every_migration_file_is_embedded() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    let embedded: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
    assert_eq!(
        files, embedded,
        "a file in migrations/ that is not embedded would never run"
    );
}

#[test]
fn newer_schema_is_refused_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    drop(Store::open(&db).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();

    let (ok, _, stderr) = melody(&db, &["migrate"]);

    assert!(!ok);
    assert!(stderr.contains("newer than this release"), "{stderr}");
}

#[test]
fn backfill_assigns_primary_once_with_audit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    legacy_database(&db);

    let (ok, report_before, stderr) = melody(&db, &["report", "resource-counts"]);
    assert!(ok, "{stderr}");
    assert!(
        report_before
            .lines()
            .any(|l| l.starts_with("(none)") && l.ends_with(" 3")),
        "{report_before}"
    );

    let (ok, stdout, stderr) = melody(&db, &["backfill-resource-id"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("3 booking(s)"), "{stdout}");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let unassigned: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM bookings WHERE resource_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unassigned, 0);
    let audits: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'resource_backfilled'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audits, 3, "one audit entry per changed booking");
    let before: String = conn
        .query_row(
            "SELECT before_json FROM audit_log WHERE action = 'resource_backfilled' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        before.contains("\"resource_id\":null"),
        "the entry shows the old value: {before}"
    );
    let summary: String = conn
        .query_row(
            "SELECT after_json FROM audit_log WHERE action = 'backfill_resource_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(summary.contains("\"updated\":3"), "{summary}");

    let entries_after_first = count_rows(&db, "audit_log");
    let (ok, stdout, _) = melody(&db, &["backfill-resource-id"]);
    assert!(ok);
    assert!(stdout.contains("nothing to backfill"), "{stdout}");
    assert_eq!(
        count_rows(&db, "audit_log"),
        entries_after_first,
        "a second run writes nothing"
    );

    let (_, report_json, _) = melody(&db, &["report", "resource-counts", "--json"]);
    let counts: serde_json::Value = serde_json::from_str(&report_json).unwrap();
    assert_eq!(counts[0]["resource_id"], "primary");
    assert_eq!(counts[0]["confirmed"], 2);
    assert_eq!(counts[0]["cancelled"], 1);
    assert_eq!(counts.as_array().unwrap().len(), 1, "no (none) group is left");
}

#[tokio::test]
async fn legacy_bookings_block_primary_before_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    legacy_database(&db);
    let server = common::ServerProcess::start(&db);
    let client = reqwest::Client::new();
    let student = common::post_json(
        &client,
        &format!("{}/api/students", server.base),
        &serde_json::json!({ "name": "New", "email": "n@example.com" }),
    )
    .await;
    let teacher = common::post_json(
        &client,
        &format!("{}/api/teachers", server.base),
        &serde_json::json!({ "name": "Other" }),
    )
    .await;

    // 1772442000 is 2026-03-02T09:00:00Z, booked for 60 minutes with no resource.
    let body = serde_json::json!({ "resource_id": "primary", "teacher_id": teacher["id"],
        "student_id": student["id"], "start": "2026-03-02T09:30:00Z", "duration_min": 30 });
    let response = client
        .post(format!("{}/api/bookings", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(
        response.status(),
        409,
        "a legacy booking without a resource occupies primary"
    );
}

#[test]
fn committed_openapi_matches_server() {
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/openapi.json")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_melody"))
        .arg("openapi")
        .output()
        .unwrap();
    let generated = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        committed.trim_end(),
        generated.trim_end(),
        "ui/openapi.json is stale: run `cargo run -- openapi > ui/openapi.json` so the UI types follow the API"
    );
}

#[test]
fn serve_refuses_network_bind_without_token() {
    // The check runs before any socket is opened, so nothing listens on
    // 0.0.0.0 during this test.
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_melody"))
        .args(["serve", "--bind", "0.0.0.0", "--port", "0", "--db"])
        .arg(dir.path().join("melody.db"))
        .env_remove("MELODY_API_TOKEN")
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("MELODY_API_TOKEN"),
        "the error names the fix: {stderr}"
    );
}

#[test]
fn invalid_settings_stop_start_with_the_value() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("STUDIO_TIMEZONE", "Mars/Olympus"),
        ("ALLOWED_RESOURCE_IDS", "piano,room A"),
        ("LATE_CANCEL_WINDOW_HOURS", "soon"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_melody"))
            .args(["serve", "--port", "0", "--db"])
            .arg(dir.path().join("melody.db"))
            .env(name, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!output.status.success(), "{name}={value} must stop the start");
        assert!(
            stderr.contains(name) && stderr.contains(value.split(',').next_back().unwrap()),
            "{stderr}"
        );
    }
}

#[test]
fn tools_refuse_missing_database_and_bad_actor() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo/melody.db");

    let (ok, _, stderr) = melody(&missing, &["report", "resource-counts"]);
    assert!(!ok);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(
        !missing.exists(),
        "a mistyped path does not create an empty database"
    );

    let db = dir.path().join("melody.db");
    legacy_database(&db);
    let (ok, _, stderr) = melody(&db, &["backfill-resource-id", "--actor", "bad\nactor"]);
    assert!(!ok, "a control character in the actor is refused");
    assert!(stderr.contains("--actor"), "{stderr}");
}
