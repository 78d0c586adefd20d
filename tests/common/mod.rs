//! Test harness: the real server on a loopback port chosen by the OS, over a
//! fresh SQLite file, with a clock the test sets.
#![allow(dead_code)]

pub mod stripe;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use melody_domain::{ResourceAllowlist, StudioZone};
use melody_server::{router, AdminKey, ApiCredential, AppState, Settings};
use melody_store::Store;
use serde_json::{json, Value};

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: PathBuf,
    pub store: Arc<Store>,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

/// The instant the test clock starts at: a Monday, 09:00 UTC.
pub fn epoch() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_full(settings, ApiCredential::LoopbackOpen).await
}

pub async fn spawn_app_full(settings: Settings, credential: ApiCredential) -> TestApp {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let db = dir.path().join("melody.db");
    let store = Arc::new(Store::open(&db).expect("open a fresh database"));
    let clock = Arc::new(AtomicI64::new(epoch().timestamp()));
    let clock_reader = Arc::clone(&clock);
    let state = AppState::new(Arc::clone(&store), settings, credential)
        .with_admin_key(AdminKey::new(ADMIN_KEY))
        .with_clock(Arc::new(move || {
            DateTime::from_timestamp(clock_reader.load(Ordering::SeqCst), 0).unwrap()
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(melody_server::serve(
        listener,
        router(state),
        std::future::pending(),
    ));
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        db,
        store,
        clock,
        _dir: dir,
    }
}

pub fn settings_in(zone: &str) -> Settings {
    Settings {
        zone: zone.parse::<StudioZone>().unwrap(),
        ..Settings::default()
    }
}

pub fn settings_allowing(ids: &str) -> Settings {
    Settings {
        allowlist: ResourceAllowlist::parse(ids).unwrap(),
        ..Settings::default()
    }
}

impl TestApp {
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.clock.load(Ordering::SeqCst), 0).unwrap()
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        self.clock.store(now.timestamp(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.set_now(self.now() + by);
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("send request");
        read(response).await
    }

    pub async fn post_empty(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send request");
        read(response).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send request");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send request");
        read(response).await
    }

    /// Creates a resource, a teacher and a student; returns their ids.
    pub async fn seed(&self, resource: &str) -> (String, i64, i64) {
        let teacher = self.create_teacher("Ada Teacher").await;
        let student = self.create_student("Sam Student").await;
        if resource != "primary" {
            self.create_resource(resource).await;
        }
        (resource.to_owned(), teacher, student)
    }

    pub async fn create_resource(&self, id: &str) {
        let (status, body) = self
            .post(
                "/api/resources",
                &json!({ "id": id, "name": format!("Resource {id}"), "kind": "room" }),
            )
            .await;
        assert_eq!(status, 201, "create resource {id}: {body}");
    }

    pub async fn create_teacher(&self, name: &str) -> i64 {
        let (status, body) = self.post("/api/teachers", &json!({ "name": name })).await;
        assert_eq!(status, 201, "create teacher: {body}");
        body["id"].as_i64().unwrap()
    }

    pub async fn create_student(&self, name: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/students",
                &json!({ "name": name, "email": "guardian@example.com" }),
            )
            .await;
        assert_eq!(status, 201, "create student: {body}");
        body["id"].as_i64().unwrap()
    }

    pub async fn book(
        &self,
        resource: &str,
        teacher: i64,
        student: i64,
        start: &str,
        minutes: i64,
    ) -> (u16, Value) {
        self.post(
            "/api/bookings",
            &json!({ "resource_id": resource, "teacher_id": teacher, "student_id": student,
                     "start": start, "duration_min": minutes }),
        )
        .await
    }

    /// Scrapes `/api/admin/metrics` with the admin key.
    pub async fn scrape(&self) -> Metrics {
        scrape(&self.client, &self.base).await
    }

    /// Counts rows of `table` straight from the SQLite file.
    pub fn count(&self, table: &str) -> i64 {
        count_rows(&self.db, table)
    }
}

/// A parsed scrape: each sample line's series (name with labels, exactly as
/// exposed) mapped to its value, and the raw text.
pub struct Metrics {
    pub text: String,
    pub samples: std::collections::BTreeMap<String, f64>,
}

impl Metrics {
    /// The value of `series`, such as `melody_bookings_confirmed{resource_id="piano"}`.
    pub fn get(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("series {series} missing from the scrape:\n{}", self.text))
    }
}

/// Posts `body` as JSON and returns the JSON answer, whatever its status.
pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .expect("send request")
        .json()
        .await
        .expect("a JSON answer")
}

pub async fn scrape(client: &reqwest::Client, base: &str) -> Metrics {
    let response = client
        .get(format!("{base}/api/admin/metrics"))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .expect("scrape metrics");
    assert_eq!(response.status(), 200, "scrape with the admin key");
    let text = response.text().await.unwrap();
    let samples = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line has a value");
            (
                series.to_owned(),
                value.parse::<f64>().expect("a numeric sample value"),
            )
        })
        .collect();
    Metrics { text, samples }
}

pub fn count_rows(db: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open database for checking");
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0))
        .expect("count rows")
}

async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("read body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
    };
    (status, body)
}

/// `melody serve` as a child process, for tests that kill it.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    /// The admin-only listener, when `MELODY_METRICS_ADDR` was set.
    pub admin_base: Option<String>,
}

/// The admin key every test server uses.
pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

impl ServerProcess {
    /// Starts the built binary on a free port and waits for its
    /// "listening on" line, which it prints once the socket is bound.
    pub fn start(db: &Path) -> Self {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_melody"))
            .args(["serve", "--db"])
            .arg(db)
            .env("PORT", "0")
            .env("RUST_LOG", "warn")
            .env_remove("MELODY_BIND")
            .env_remove("ALLOWED_RESOURCE_IDS")
            .env_remove("STRIPE_SECRET_KEY")
            .env_remove("STRIPE_WEBHOOK_SECRET")
            .env_remove("STRIPE_PUBLISHABLE_KEY")
            .env_remove("STRIPE_API_BASE")
            .env("MELODY_SECRET_STORE", "file")
            .env("ADMIN_API_KEY", ADMIN_KEY)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start melody serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let base = read_url(&mut stdout, "MelodyandMeter listening");
        let wants_admin = env.iter().any(|(name, _)| *name == "MELODY_METRICS_ADDR");
        let admin_base = wants_admin.then(|| {
            read_url(&mut stdout, "MelodyandMeter admin")
                .trim_end_matches("/api/admin/")
                .to_owned()
        });
        Self {
            child,
            base,
            admin_base,
        }
    }

    /// Sends SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("kill the server");
        self.child.wait().expect("reap the server");
    }
}

/// Reads output lines until one starting with `prefix`, and returns the URL
/// in it.
fn read_url(stdout: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let read = stdout.read_line(&mut line).expect("read the server's output");
        assert!(read > 0, "the server exited before printing {prefix:?}");
        if line.starts_with(prefix) {
            let url = line.split_whitespace().find(|word| word.starts_with("http://"));
            return url.unwrap_or_else(|| panic!("no address in {line:?}")).to_owned();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
