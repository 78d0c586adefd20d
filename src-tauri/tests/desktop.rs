//! The real desktop app in a real window: Xvfb for the display, a private
//! D-Bus session, tauri-driver with WebKitWebDriver driving the window over
//! WebDriver. A lesson booked in the window must be in the SQLite file.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A child process group, ended as a whole when dropped.
struct Group(Child);

impl Group {
    fn spawn(command: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        let child = command.process_group(0).spawn().unwrap_or_else(|e| {
            panic!("cannot start {command:?}: {e}; scripts/setup installs Xvfb, dbus, WebKitWebDriver and tauri-driver")
        });
        Self(child)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // `--` keeps kill from reading the negative group id as an option.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-s", "TERM", "--", &group]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A display number no X server holds.
fn free_display() -> u32 {
    (90..200)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free X display number")
}

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Creates the database with a room, a teacher and a student.
fn seed(db: &Path) {
    let store = melody_store::Store::open(db).unwrap();
    let now = chrono::Utc::now();
    store
        .write(|tx| {
            melody_store::NewResource {
                id: melody_domain::ResourceId::parse("piano").unwrap(),
                name: melody_domain::PersonName::parse("Grand piano").unwrap(),
                kind: melody_domain::ResourceKind::Instrument,
            }
            .insert(tx, now)?;
            melody_store::Teacher::insert(
                tx,
                &melody_domain::PersonName::parse("Clara Wieck").unwrap(),
                now,
            )?;
            let email = melody_domain::Email::parse("guardian@example.com").unwrap();
            melody_store::Student::insert(
                tx,
                &melody_domain::PersonName::parse("Zoe Park").unwrap(),
                &email,
                now,
            )?;
            Ok::<_, melody_store::StoreError>(())
        })
        .unwrap();
}

/// Returns the element reference of a WebDriver find-element response.
fn element_id(found: &Value) -> String {
    let reference = found["value"]
        .as_object()
        .and_then(|object| object.values().next());
    reference
        .and_then(Value::as_str)
        .expect("a found element has a reference")
        .to_owned()
}

/// A minimal W3C WebDriver client over blocking HTTP.
struct Session {
    client: reqwest::Client,
    base: String,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.client.request(method, &url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let value: Value = response.json().await.unwrap();
            assert!(value["value"]["error"].is_null(), "{url} failed: {value}");
            value
        })
    }

    fn find(&self, xpath: &str) -> String {
        let found = self.call(
            reqwest::Method::POST,
            "/element",
            Some(json!({ "using": "xpath", "value": xpath })),
        );
        element_id(&found)
    }

    fn wait_for(&self, xpath: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = format!("{}/element", self.base);
            let found: Value = self.runtime.block_on(async {
                self.client
                    .post(&url)
                    .json(&json!({ "using": "xpath", "value": xpath }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap()
            });
            if found["value"]["error"].is_null() {
                return element_id(&found);
            }
            assert!(Instant::now() < deadline, "{xpath} never appeared: {found}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    /// Types `text` into `element`, retrying while the dialog that contains it
    /// is still opening and the field cannot take focus yet.
    fn type_into(&self, element: &str, text: &str) {
        let url = format!("{}/element/{element}/value", self.base);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer: Value = self.runtime.block_on(async {
                let response = self
                    .client
                    .post(&url)
                    .json(&json!({ "text": text }))
                    .send()
                    .await
                    .unwrap();
                response.json().await.unwrap()
            });
            if answer["value"]["error"].is_null() {
                return;
            }
            assert_eq!(
                answer["value"]["error"], "element not interactable",
                "{url} failed: {answer}"
            );
            assert!(
                Instant::now() < deadline,
                "{url} still not interactable after 10 s: {answer}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    fn script(&self, source: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": source, "args": [] })),
        )["value"]
            .clone()
    }
}

#[test]
fn booking_made_in_window_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    seed(&db);

    let display = format!(":{}", free_display());
    let _xvfb = Group::spawn(
        Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until("Xvfb is up", Duration::from_secs(10), || {
        Path::new(&format!("/tmp/.X11-unix/X{}", &display[1..])).exists()
    });

    let port = free_port();
    let native_port = free_port();
    let _driver = Group::spawn(
        Command::new("dbus-run-session")
            .args([
                "--",
                "tauri-driver",
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("MELODY_DB", &db)
            .env("ADMIN_API_KEY", "desktop-test-admin-key-0123456789")
            .env("STUDIO_TIMEZONE", "UTC")
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let driver = format!("http://127.0.0.1:{port}");
    wait_until("tauri-driver answers", Duration::from_secs(15), || {
        runtime.block_on(async { client.get(format!("{driver}/status")).send().await.is_ok() })
    });

    let created: Value = runtime.block_on(async {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": env!("CARGO_BIN_EXE_melody-desk") },
            "browserName": "wry"
        } } });
        client
            .post(format!("{driver}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let session_id = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
        .to_owned();
    let session = Session {
        client: client.clone(),
        base: format!("{driver}/session/{session_id}"),
        runtime,
    };

    let new_booking = session.wait_for("//button[normalize-space()='New booking']");
    session.click(&new_booking);
    let student = session.wait_for("//input[@id='booking-student']");
    session.type_into(&student, "Zoe");
    let zoe = session.wait_for("//*[@role='option'][contains(., 'Zoe Park')]");
    session.click(&zoe);
    let teacher = session.find("//input[@id='booking-teacher']");
    session.type_into(&teacher, "Clara");
    let clara = session.wait_for("//*[@role='option'][contains(., 'Clara Wieck')]");
    session.click(&clara);
    session.script(
        "const set = (id, value, kind) => { const el = document.getElementById(id); el.value = value; \
         el.dispatchEvent(new Event(kind, { bubbles: true })); };
         set('booking-resource', 'piano', 'change');
         set('booking-start', '2031-05-06T16:00', 'input');",
    );
    let book = session.find("//button[normalize-space()='Book lesson']");
    session.click(&book);

    let conn = rusqlite::Connection::open(&db).unwrap();
    wait_until("the booking is in the database", Duration::from_secs(20), || {
        conn.query_row("SELECT COUNT(*) FROM bookings", [], |row| row.get::<_, i64>(0))
            .unwrap()
            == 1
    });
    let (resource, start, status): (String, i64, String) = conn
        .query_row("SELECT resource_id, start_at, status FROM bookings", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap();
    assert_eq!(resource, "piano");
    assert_eq!(start, 1_935_849_600, "2031-05-06 16:00 in the studio zone (UTC)");
    assert_eq!(status, "confirmed");

    let _ = session
        .runtime
        .block_on(async { session.client.delete(&session.base).send().await });
}
