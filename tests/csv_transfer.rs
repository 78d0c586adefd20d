//! CSV import and export through the API and the `melody` binary: the round
//! trip of every text cell, the formula rule, error reports by line, dry
//! runs, and files as spreadsheets save them (byte order mark, CRLF).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use common::{count_rows, settings_in, spawn_app_with, TestApp};
use melody_store::transfer::restore;
use serde_json::{json, Value};

const ZONE: &str = "America/New_York";

/// Text values that a spreadsheet would run or mangle.
const TEACHERS: [&str; 2] = ["=SUM(A1)", "Zoë Ñúñez 🎹"];
const STUDENTS: [(&str, &str); 3] = [
    ("+1", "-x@example.com"),
    ("@cmd", "élève@example.com"),
    ("李小龍 שלום", "cjk@example.com"),
];
const NOTES: [&str; 5] = [
    "=SUM(A1)\nsecond line, with \"quotes\" 🎵",
    "-x",
    "@cmd",
    "\tindented",
    "plain é",
];

/// Columns whose cells must survive export, import into a fresh database and
/// export again unchanged.
const KEPT_COLUMNS: [&str; 11] = [
    "resource_id",
    "teacher_name",
    "student_name",
    "student_email",
    "start_utc",
    "start_local",
    "duration_min",
    "status",
    "penalty_reason",
    "notes",
    "created_by",
];

// ---------------------------------------------------------------- helpers

async fn app() -> TestApp {
    spawn_app_with(settings_in(ZONE)).await
}

async fn post_csv(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "text/csv")
        .header("x-melody-actor", "@desk")
        .body(body)
        .send()
        .await
        .expect("send request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn get_text(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("send request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("read body"))
}

/// Rows of an exported CSV as header name to raw cell, `'` prefixes kept.
fn parse_export(text: &str) -> Vec<HashMap<String, String>> {
    let body = text.strip_prefix('\u{feff}').expect("exports start with a BOM");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn write_csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Teachers, students and bookings files made of the exported cells as they
/// are, for importing into a fresh database.
fn import_files_from_export(export: &str) -> (String, String, String) {
    let rows = parse_export(export);
    let mut teachers = BTreeMap::new();
    let mut students = BTreeMap::new();
    let mut bookings = Vec::new();
    for row in &rows {
        let teacher_id: i64 = row["teacher_id"].parse().unwrap();
        let student_id: i64 = row["student_id"].parse().unwrap();
        teachers.insert(teacher_id, vec![row["teacher_name"].clone()]);
        students.insert(
            student_id,
            vec![row["student_name"].clone(), row["student_email"].clone()],
        );
        bookings.push(
            [
                "resource_id",
                "teacher_name",
                "student_email",
                "start_local",
                "duration_min",
                "notes",
            ]
            .iter()
            .map(|column| row[*column].clone())
            .collect(),
        );
    }
    (
        write_csv(&["name"], &teachers.into_values().collect::<Vec<_>>()),
        write_csv(&["name", "email"], &students.into_values().collect::<Vec<_>>()),
        write_csv(
            &[
                "resource_id",
                "teacher",
                "student",
                "start",
                "duration_min",
                "notes",
            ],
            &bookings,
        ),
    )
}

fn assert_same_kept_cells(first: &str, second: &str) {
    let first = parse_export(first);
    let second = parse_export(second);
    assert_eq!(first.len(), second.len(), "row count");
    for (index, (a, b)) in first.iter().zip(&second).enumerate() {
        for column in KEPT_COLUMNS {
            assert_eq!(a[column], b[column], "row {index}, column {column}");
        }
    }
}

/// Checks the exported text itself: BOM, CRLF, the formula prefix on text
/// and none on numbers.
fn assert_export_text(export: &str) {
    assert!(export.starts_with("\u{feff}id,resource_id,teacher_id,teacher_name,"));
    assert!(export.ends_with("\r\n"));
    assert!(export.contains("'=SUM(A1)"), "{export}");
    assert!(export.contains(",'+1,"), "{export}");
    assert!(export.contains(",'-x@example.com,"), "{export}");
    assert!(export.contains(",'@cmd,"), "{export}");
    assert!(export.contains(",'\tindented,"), "{export}");
    assert!(
        !export.contains("'1,") && !export.contains("\"1\""),
        "ids are plain numbers"
    );

    let rows = parse_export(export);
    let mut notes = Vec::new();
    for row in &rows {
        for column in ["id", "teacher_id", "student_id", "duration_min"] {
            assert!(
                row[column].parse::<i64>().is_ok(),
                "{column} {:?} is a plain number",
                row[column]
            );
        }
        notes.push(restore(&row["notes"]).to_owned());
    }
    for expected in NOTES {
        assert!(notes.iter().any(|n| n == expected), "{expected:?} in {notes:?}");
    }
    let teachers: Vec<&str> = rows.iter().map(|r| restore(&r["teacher_name"])).collect();
    let students: Vec<&str> = rows.iter().map(|r| restore(&r["student_name"])).collect();
    for name in TEACHERS {
        assert!(teachers.contains(&name), "{name:?} in {teachers:?}");
    }
    for (name, _) in STUDENTS {
        assert!(students.contains(&name), "{name:?} in {students:?}");
    }
}

/// Creates the tricky teachers, students and one booking per note.
async fn seed_tricky(app: &TestApp) {
    let mut teacher_ids = Vec::new();
    for name in TEACHERS {
        teacher_ids.push(app.create_teacher(name).await);
    }
    let mut student_ids = Vec::new();
    for (name, email) in STUDENTS {
        let (status, body) = app
            .post("/api/students", &json!({ "name": name, "email": email }))
            .await;
        assert_eq!(status, 201, "{body}");
        student_ids.push(body["id"].as_i64().unwrap());
    }
    for (day, notes) in NOTES.iter().enumerate() {
        let response = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .header("x-melody-actor", "@desk")
            .json(&json!({
                "teacher_id": teacher_ids[day % teacher_ids.len()],
                "student_id": student_ids[day % student_ids.len()],
                "start": format!("2027-01-{:02}T17:00", day + 4),
                "duration_min": 45,
                "notes": notes,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
}

fn melody(db: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_melody"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .env("STUDIO_TIMEZONE", ZONE)
        .env_remove("ALLOWED_RESOURCE_IDS")
        .output()
        .expect("run melody");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn new_database(dir: &Path, name: &str) -> std::path::PathBuf {
    let db = dir.join(name);
    let (ok, _, stderr) = melody(&db, &["migrate"]);
    assert!(ok, "{stderr}");
    db
}

fn import_file(db: &Path, dir: &Path, kind: &str, content: &str, extra: &[&str]) -> (bool, String, String) {
    let file = dir.join(format!("{kind}.csv"));
    std::fs::write(&file, content).unwrap();
    let mut args = vec!["import-csv", file.to_str().unwrap(), "--kind", kind];
    args.extend_from_slice(extra);
    melody(db, &args)
}

fn errors_by_line(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- API

#[tokio::test]
async fn api_round_trip_keeps_text_cells() {
    let first = app().await;
    seed_tricky(&first).await;
    let (status, headers, export) = get_text(&first, "/api/export/bookings.csv").await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"melody-bookings.csv\""
    );
    assert_export_text(&export);

    let second = app().await;
    let (teachers, students, bookings) = import_files_from_export(&export);
    for (kind, file) in [
        ("teachers", teachers),
        ("students", students),
        ("bookings", bookings),
    ] {
        let (status, report) = post_csv(&second, &format!("/api/import/csv/{kind}"), file).await;
        assert_eq!(status, 201, "{kind}: {report}");
    }
    let (_, _, second_export) = get_text(&second, "/api/export/bookings.csv").await;

    assert_same_kept_cells(&export, &second_export);
}

#[tokio::test]
async fn api_malformed_bookings_report_every_error() {
    let app = app().await;
    let ada = app.create_teacher("Ada Teacher").await;
    app.create_teacher("Ben").await;
    let (_, sam) = app
        .post(
            "/api/students",
            &json!({ "name": "Sam", "email": "sam@example.com" }),
        )
        .await;
    app.post(
        "/api/students",
        &json!({ "name": "Cy", "email": "cy@example.com" }),
    )
    .await;
    let (status, existing) = app
        .book(
            "primary",
            ada,
            sam["id"].as_i64().unwrap(),
            "2027-01-04T17:00",
            60,
        )
        .await;
    assert_eq!(status, 201);
    let existing_id = existing["id"].as_i64().unwrap();
    let before = (
        app.count("bookings"),
        app.count("audit_log"),
        app.count("analytics_events"),
    );

    let file = "resource_id,teacher,student,start,duration_min,notes,room\n\
                primary,Nobody,cy@example.com,2027-01-05 10:00,30,,A\n\
                primary,Ben,cy@example.com,2027-01-05 11:00,0,,A\n\
                primary,Ben,cy@example.com,2027-03-14 02:30,30,,A\n\
                primary,Ben,cy@example.com,2027-01-06 10:00,60,\"first\nsecond\",A\n\
                primary,Ben,cy@example.com,2027-01-06 10:30,30,,A\n\
                primary,Ada Teacher,sam@example.com,2027-01-04 17:30,30,,A\n";
    let (status, report) = post_csv(&app, "/api/import/csv/bookings", file).await;

    assert_eq!(status, 400, "{report}");
    assert_eq!(report["error"], "csv_invalid");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["created"]["bookings"], 0);
    let expected = [
        (1, "room", "column_unknown"),
        (2, "teacher", "teacher_not_found"),
        (3, "duration_min", "duration_invalid"),
        (4, "start", "start_nonexistent"),
        (7, "start", "booking_conflict"),
        (8, "start", "booking_conflict"),
    ];
    let expected: Vec<(u64, String, String)> = expected
        .iter()
        .map(|(line, column, code)| (*line, (*column).to_owned(), (*code).to_owned()))
        .collect();
    assert_eq!(errors_by_line(&report), expected, "{report:#}");

    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors[1]["value"], "Nobody");
    assert_eq!(errors[3]["value"], "2027-03-14 02:30");
    assert!(errors[0]["message"].as_str().unwrap().contains("remove it"));
    let in_file = &errors[4]["conflicts"][0];
    assert_eq!(in_file["line"], 5, "the overlap is with line 5 of the file");
    assert_eq!(in_file["booking_id"], Value::Null);
    assert_eq!(in_file["on"], json!(["resource", "teacher", "student"]));
    let stored = &errors[5]["conflicts"][0];
    assert_eq!(stored["booking_id"], existing_id);
    assert_eq!(stored["start_local"], "2027-01-04T17:00:00-05:00");
    assert!(errors[5]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("booking {existing_id}")));

    let after = (
        app.count("bookings"),
        app.count("audit_log"),
        app.count("analytics_events"),
    );
    assert_eq!(before, after, "nothing was written");
}

#[tokio::test]
async fn api_bad_student_rows_report_lines() {
    let app = app().await;
    let file = "name,email\nZoë,zoe@example.com\nSam,not-an-email\n,blank@example.com\n";

    let (status, report) = post_csv(&app, "/api/import/csv/students", file).await;

    assert_eq!(status, 400, "{report}");
    let expected: Vec<(u64, String, String)> = vec![
        (3, "email".into(), "email_invalid".into()),
        (4, "name".into(), "name_invalid".into()),
    ];
    assert_eq!(errors_by_line(&report), expected);
    assert_eq!(report["errors"][0]["value"], "not-an-email");
    assert_eq!(report["rows"][0]["line"], 2);
    assert_eq!(report["rows"][0]["id"], Value::Null);
    assert_eq!(app.count("students"), 0);
}

#[tokio::test]
async fn api_dry_run_writes_nothing() {
    let app = app().await;
    app.create_teacher("Ada").await;
    app.create_student("Sam").await;
    let file = "teacher,student,start,duration_min\nAda,1,2027-01-04 17:00,45\n1,guardian@example.com,2027-01-04T18:00-05:00,30\n";

    let (status, report) = post_csv(&app, "/api/import/csv/bookings?dry_run=true", file).await;

    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["created"]["bookings"], 2);
    assert_eq!(report["rows"][0]["id"], Value::Null);
    assert_eq!(report["rows"][0]["start"], "2027-01-04T22:00:00Z");
    assert_eq!(report["rows"][1]["start_local"], "2027-01-04T18:00:00-05:00");
    assert_eq!(app.count("bookings"), 0);
    assert_eq!(app.count("audit_log"), 0);

    let (status, report) = post_csv(&app, "/api/import/csv/bookings?dry_run=false", file).await;

    assert_eq!(status, 201, "{report}");
    assert_eq!(report["created"]["bookings"], 2);
    assert!(report["rows"][0]["id"].as_i64().is_some());
    assert_eq!(app.count("bookings"), 2);
    let (_, audit) = app.get("/api/bookings/1/audit").await;
    assert_eq!(audit[0]["actor"], "@desk");
}

#[tokio::test]
async fn api_crlf_bom_quoted_input() {
    let app = app().await;
    let students = "\u{feff}Name,EMAIL\r\n\"Park, Zoë\",zoe@example.com\r\n\"Sam \"\"The Hammer\"\" Lee\",sam@example.com\r\n";

    let (status, report) = post_csv(&app, "/api/import/csv/students", students).await;

    assert_eq!(status, 201, "{report}");
    let (_, listed) = app.get("/api/students").await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Park, Zoë", "Sam \"The Hammer\" Lee"]);

    app.create_teacher("Ada").await;
    let bookings = "\u{feff}Teacher,Student,Start,Duration_Min,Notes\r\n\
                    Ada,zoe@example.com,2027-01-04 17:00,45,\"line one\r\nline two, \"\"quoted\"\"\"\r\n";
    let (status, report) = post_csv(&app, "/api/import/csv/bookings", bookings).await;

    assert_eq!(status, 201, "{report}");
    assert_eq!(report["rows"][0]["line"], 2);
    let (_, booking) = app.get("/api/bookings/1").await;
    assert_eq!(booking["notes"], "line one\r\nline two, \"quoted\"");
    assert_eq!(booking["resource_id"], "primary");
}

#[tokio::test]
async fn api_import_rejects_bad_requests() {
    let app = app().await;

    let (status, body) = post_csv(&app, "/api/import/csv/rooms", "name\nA\n").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "import_kind_not_found");

    let large = format!("name\n{}", "x\n".repeat(3 * 1024 * 1024));
    let (status, body) = post_csv(&app, "/api/import/csv/teachers", large).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "body_too_large");
    assert!(body["message"].as_str().unwrap().contains("5 MiB"), "{body}");

    let (status, body) = post_csv(&app, "/api/import/csv/teachers", "").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["error"], "file_empty");

    let (status, body) = post_csv(&app, "/api/import/csv/teachers", "nom\nA\n").await;
    assert_eq!(status, 400);
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["column_unknown", "column_missing"]);

    let (status, body) = post_csv(&app, "/api/import/csv/teachers", b"name\nZo\xff\n".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["error"], "encoding_invalid");
    assert_eq!(body["errors"][0]["line"], 2);
    assert_eq!(app.count("teachers"), 0);
}

#[tokio::test]
async fn api_export_range_filters_bookings() {
    let app = app().await;
    let (resource, teacher, student) = app.seed("primary").await;
    for day in 4..=6 {
        let (status, _) = app
            .book(&resource, teacher, student, &format!("2027-01-0{day}T17:00"), 30)
            .await;
        assert_eq!(status, 201);
    }

    let (status, _, export) = get_text(
        &app,
        "/api/export/bookings.csv?from=2027-01-05T00:00&to=2027-01-06T00:00",
    )
    .await;

    assert_eq!(status, 200);
    let rows = parse_export(&export);
    assert_eq!(rows.len(), 1, "{export}");
    assert_eq!(rows[0]["start_local"], "2027-01-05T17:00:00-05:00");
    assert_eq!(rows[0]["start_utc"], "2027-01-05T22:00:00Z");

    let (status, _, body) = get_text(
        &app,
        "/api/export/bookings.csv?from=2027-01-06T00:00&to=2027-01-05T00:00",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("range_invalid"));
}

#[tokio::test]
async fn api_audit_export_neutralizes_actor() {
    let app = app().await;
    let (resource, teacher, student) = app.seed("primary").await;
    let created = app
        .client
        .post(format!("{}/api/bookings", app.base))
        .header("x-melody-actor", "=HYPERLINK(\"x\")")
        .json(
            &json!({ "resource_id": resource, "teacher_id": teacher, "student_id": student,
                       "start": "2027-01-04T17:00", "duration_min": 30 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    app.post_empty("/api/bookings/1/cancel").await;

    let (status, headers, export) = get_text(&app, "/api/export/audit.csv").await;

    assert_eq!(status, 200);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"melody-audit.csv\""
    );
    assert!(export.starts_with("\u{feff}id,at,booking_id,actor,action,before,after\r\n"));
    let rows = parse_export(&export);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["actor"], "'=HYPERLINK(\"x\")");
    assert_eq!(rows[0]["booking_id"], "1");
    assert_eq!(rows[0]["before"], "");
    assert_eq!(rows[1]["action"], "cancelled");
    let after: Value = serde_json::from_str(restore(&rows[1]["after"])).unwrap();
    assert_eq!(after["status"], "cancelled");
}

// ---------------------------------------------------------------- CLI

#[test]
fn cli_round_trip_keeps_text_cells() {
    let dir = tempfile::tempdir().unwrap();
    let first = new_database(dir.path(), "first.db");
    let teachers = write_csv(&["name"], &TEACHERS.map(|t| vec![t.to_owned()]));
    let students = write_csv(
        &["name", "email"],
        &STUDENTS.map(|(n, e)| vec![n.to_owned(), e.to_owned()]),
    );
    let bookings: Vec<Vec<String>> = NOTES
        .iter()
        .enumerate()
        .map(|(day, notes)| {
            vec![
                TEACHERS[day % TEACHERS.len()].to_owned(),
                STUDENTS[day % STUDENTS.len()].1.to_owned(),
                format!("2027-01-{:02} 17:00", day + 4),
                "45".to_owned(),
                (*notes).to_owned(),
            ]
        })
        .collect();
    let bookings = write_csv(
        &["teacher", "student", "start", "duration_min", "notes"],
        &bookings,
    );
    for (kind, file) in [
        ("teachers", &teachers),
        ("students", &students),
        ("bookings", &bookings),
    ] {
        let (ok, stdout, stderr) = import_file(&first, dir.path(), kind, file, &["--actor", "@desk"]);
        assert!(ok, "{kind}: {stdout}{stderr}");
    }
    let out = dir.path().join("first-export.csv");
    let (ok, _, stderr) = melody(&first, &["export", "bookings", "--output", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let export = std::fs::read_to_string(&out).unwrap();
    assert_export_text(&export);
    let (ok, stdout, _) = melody(&first, &["export", "bookings"]);
    assert!(ok);
    assert_eq!(stdout, export, "stdout and --output write the same bytes");

    let second = new_database(dir.path(), "second.db");
    let (teachers, students, bookings) = import_files_from_export(&export);
    for (kind, file) in [
        ("teachers", teachers),
        ("students", students),
        ("bookings", bookings),
    ] {
        let (ok, stdout, stderr) = import_file(&second, dir.path(), kind, &file, &["--actor", "@desk"]);
        assert!(ok, "{kind}: {stdout}{stderr}");
    }
    let (ok, second_export, _) = melody(&second, &["export", "bookings"]);
    assert!(ok);

    assert_same_kept_cells(&export, &second_export);
}

#[test]
fn cli_malformed_file_exits_with_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_database(dir.path(), "melody.db");
    import_file(&db, dir.path(), "teachers", "name\nAda\n", &[]);
    import_file(
        &db,
        dir.path(),
        "students",
        "name,email\nSam,sam@example.com\n",
        &[],
    );
    let (ok, _, _) = import_file(
        &db,
        dir.path(),
        "bookings",
        "teacher,student,start,duration_min\nAda,sam@example.com,2027-01-04 17:00,60\n",
        &[],
    );
    assert!(ok);
    let bad = "teacher,student,start,duration_min,colour\n\
               Nobody,sam@example.com,2027-01-05 10:00,30,red\n\
               Ada,sam@example.com,2027-01-05 11:00,0,red\n\
               Ada,sam@example.com,2027-03-14 02:30,30,red\n\
               Ada,sam@example.com,2027-01-06 10:00,60,red\n\
               Ada,sam@example.com,2027-01-06 10:30,30,red\n\
               Ada,sam@example.com,2027-01-04 17:30,30,red\n";

    let (ok, stdout, stderr) = import_file(&db, dir.path(), "bookings", bad, &[]);

    assert!(!ok, "{stdout}");
    assert!(stderr.contains("6 error(s); nothing was written"), "{stderr}");
    for expected in [
        "line 1, column colour, value \"colour\": column \"colour\" is not a bookings column",
        "line 2, column teacher, value \"Nobody\": teacher \"Nobody\" not found",
        "line 3, column duration_min, value \"0\": duration_min 0 is invalid",
        "line 4, column start, value \"2027-03-14 02:30\": local time \"2027-03-14 02:30\" does not exist",
        "line 6, column start, value \"2027-01-06 10:30\": the lesson overlaps the booking on line 5 of this file",
        "line 7, column start, value \"2027-01-04 17:30\": the lesson overlaps booking 1",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing from:\n{stdout}");
    }
    assert_eq!(count_rows(&db, "bookings"), 1, "nothing was written");

    let (ok, stdout, _) = import_file(&db, dir.path(), "bookings", bad, &["--json"]);
    assert!(!ok);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"].as_array().unwrap().len(), 6);
    assert_eq!(report["errors"][5]["conflicts"][0]["booking_id"], 1);
}

#[test]
fn cli_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_database(dir.path(), "melody.db");

    let (ok, stdout, stderr) = import_file(
        &db,
        dir.path(),
        "students",
        "\u{feff}name,email\r\nZoë,zoe@example.com\r\n",
        &["--dry-run"],
    );

    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("dry run: the file is valid and would create 1 students; nothing was written"),
        "{stdout}"
    );
    assert_eq!(count_rows(&db, "students"), 0);
}

#[test]
fn cli_refuses_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    let file = dir.path().join("teachers.csv");
    std::fs::write(&file, "name\nAda\n").unwrap();

    let (ok, _, stderr) = melody(&db, &["import-csv", file.to_str().unwrap(), "--kind", "teachers"]);
    assert!(!ok);
    assert!(
        stderr.contains("does not exist: check --db or MELODY_DB"),
        "{stderr}"
    );

    let (ok, _, stderr) = melody(&db, &["export", "audit"]);
    assert!(!ok);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!db.exists(), "no empty database was created");
}
