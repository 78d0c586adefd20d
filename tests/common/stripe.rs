//! The fake Stripe server (tests/stripe/fake_stripe.py, localstripe plus
//! Stripe's example objects) as a child process, and a TCP gate in front of
//! it that a test closes to make Stripe unreachable.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The secret key every test uses; localstripe accepts any `sk_` key.
pub const SECRET_KEY: &str = "sk_test_melodyandmeter0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_melodyandmeter0123456789";

pub struct FakeStripe {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    client: reqwest::Client,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl FakeStripe {
    /// Starts the fake and waits for its "listening on" line.
    pub fn start() -> Self {
        let python = repo_root().join(".venv-test/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup, which installs the fake Stripe server's packages",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(repo_root().join("tests/stripe/fake_stripe.py"))
            .args(["--port", "0"])
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the fake Stripe server");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the fake Stripe server's output");
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the fake Stripe server printed {line:?} instead of its address"));
        Self {
            child,
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
        }
    }

    /// The value for `STRIPE_API_BASE`.
    pub fn api_base(&self) -> String {
        format!("{}/", self.base)
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .form(form)
            .send()
            .await
            .expect("reach the fake Stripe server");
        let status = response.status();
        // localstripe's configuration routes return an empty body.
        let text = response.text().await.expect("read the fake Stripe's response");
        assert!(status.is_success(), "POST {path} returned {status}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("fake Stripe returns JSON")
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .expect("reach the fake Stripe server");
        let status = response.status();
        let body: Value = response.json().await.expect("fake Stripe returns JSON");
        assert!(status.is_success(), "GET {path} returned {status}: {body}");
        body
    }

    pub async fn delete(&self, path: &str) -> Value {
        let response = self
            .client
            .delete(format!("{}{path}", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .expect("reach the fake Stripe server");
        response.json().await.expect("fake Stripe returns JSON")
    }

    /// Sends every event to `url`, signed with [`WEBHOOK_SECRET`].
    pub async fn register_webhook(&self, name: &str, url: &str) {
        self.post_form(
            &format!("/_config/webhooks/{name}"),
            &[("url", url), ("secret", WEBHOOK_SECRET)],
        )
        .await;
    }

    /// How many objects of each kind POSTs created, and how many responses
    /// were replayed for a repeated idempotency key.
    pub async fn created(&self, kind: &str) -> i64 {
        let counts = self.get("/_fake/requests").await;
        counts[kind].as_i64().unwrap_or(0)
    }

    pub async fn forget_idempotency_keys(&self) {
        self.post_form("/_fake/forget-idempotency-keys", &[]).await;
    }

    /// A test card payment method, as Stripe.js would create it.
    pub async fn card_payment_method(&self) -> String {
        let method = self
            .post_form(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", "4242424242424242"),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2030"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        method["id"].as_str().unwrap().to_owned()
    }

    /// What Stripe.js `confirmCardSetup` does once the card is entered.
    pub async fn confirm_setup_intent(&self, setup_intent: &str, payment_method: &str) -> Value {
        self.post_form(
            &format!("/v1/setup_intents/{setup_intent}/confirm"),
            &[("payment_method", payment_method)],
        )
        .await
    }

    /// Subscriptions of `customer`, in any status.
    pub async fn subscriptions_of(&self, customer: &str) -> Vec<Value> {
        let list = self
            .get(&format!(
                "/v1/subscriptions?customer={customer}&status=all&limit=100"
            ))
            .await;
        list["data"].as_array().cloned().unwrap_or_default()
    }

    pub async fn customers_with_email(&self, email: &str) -> Vec<Value> {
        let list = self.get(&format!("/v1/customers?email={email}&limit=100")).await;
        list["data"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the gate does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateMode {
    /// Forwards both ways.
    Open,
    /// Forwards every request, but closes the connection of a POST without
    /// its response: Stripe acted, the app never heard back.
    DropResponses,
}

/// A TCP proxy on a fixed loopback port in front of the fake Stripe. While
/// closed nothing listens on the port, so connections are refused as when
/// the network is down.
pub struct Gate {
    pub port: u16,
    upstream: String,
    mode: Arc<Mutex<GateMode>>,
    task: Option<JoinHandle<()>>,
}

impl Gate {
    /// A gate to `upstream` (`127.0.0.1:PORT`), closed until [`Gate::open`].
    pub async fn closed(upstream: &str) -> Self {
        // Reserve a free port, then release it for `open` to bind again.
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        Self {
            port,
            upstream: upstream
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned(),
            mode: Arc::new(Mutex::new(GateMode::Open)),
            task: None,
        }
    }

    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn set_mode(&self, mode: GateMode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub async fn open(&mut self) {
        if self.task.is_some() {
            return;
        }
        let listener = bind_retrying(self.port).await;
        let upstream = self.upstream.clone();
        let mode = Arc::clone(&self.mode);
        self.task = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    break;
                };
                let upstream = upstream.clone();
                let mode = *mode.lock().unwrap();
                connections.spawn(forward(inbound, upstream, mode));
            }
        }));
    }

    /// Stops listening and cuts every forwarded connection.
    pub fn close(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping the task drops its JoinSet, which aborts the connections.
            task.abort();
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.close();
    }
}

async fn bind_retrying(port: u16) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot bind the gate's port {port} again");
}

async fn forward(mut inbound: TcpStream, upstream: String, mode: GateMode) {
    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
        return;
    };
    // The Stripe client opens one connection per request, so the first
    // bytes tell the method.
    let mut head = vec![0_u8; 8192];
    let Ok(read) = tokio::io::AsyncReadExt::read(&mut inbound, &mut head).await else {
        return;
    };
    head.truncate(read);
    if outbound.write_all(&head).await.is_err() {
        return;
    }
    if mode == GateMode::DropResponses && head.starts_with(b"POST ") {
        {
            let (mut from_client, _) = inbound.split();
            let (mut from_server, mut to_server) = outbound.split();
            // Forward the rest of the request, wait for the first byte of the
            // response (the fake has then acted on it), and hang up.
            let mut first = [0_u8; 1];
            let relay = async {
                let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                std::future::pending::<()>().await;
            };
            tokio::select! {
                () = relay => {}
                _ = tokio::io::AsyncReadExt::read(&mut from_server, &mut first) => {}
            }
        }
        let _ = inbound.shutdown().await;
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
}
