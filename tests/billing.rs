//! Stripe billing end to end: `melody serve` against the fake Stripe server
//! (localstripe plus Stripe's example objects) on 127.0.0.1, with signed
//! webhooks delivered back to the app.

mod common;

use std::time::{Duration, Instant};

use common::stripe::{FakeStripe, Gate, GateMode, SECRET_KEY, WEBHOOK_SECRET};
use common::{post_json, ServerProcess};
use serde_json::{json, Value};

const WEEKLY_PRICE: &str = "price_1WeeklyLessons4PerMonth";

struct Desk {
    /// None while the desk is closed.
    process: Option<ServerProcess>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn stripe_env(api_base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("STRIPE_SECRET_KEY", SECRET_KEY.to_owned()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
        ("STRIPE_API_BASE", api_base.to_owned()),
        ("STRIPE_RETRY_MAX_SECONDS", "1".to_owned()),
    ]
}

fn start_server(db: &std::path::Path, env: &[(&'static str, String)]) -> ServerProcess {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ServerProcess::start_with(db, &pairs)
}

impl Desk {
    fn start(api_base: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = start_server(&dir.path().join("melody.db"), &stripe_env(api_base));
        Self {
            process: Some(server),
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn db(&self) -> std::path::PathBuf {
        self._dir.path().join("melody.db")
    }

    fn server(&self) -> &ServerProcess {
        self.process.as_ref().expect("the desk is running")
    }

    /// Ends the server with SIGKILL: no shutdown code runs, as when the desk
    /// PC loses power.
    fn close(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    fn open(&mut self, api_base: &str) {
        assert!(self.process.is_none(), "the desk is already running");
        self.process = Some(start_server(&self.db(), &stripe_env(api_base)));
    }

    fn webhook_url(&self) -> String {
        format!("{}/api/webhooks/stripe", self.server().base)
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.server().base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.server().base))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    async fn add_student(&self, name: &str, email: &str) -> i64 {
        let student = post_json(
            &self.client,
            &format!("{}/api/students", self.server().base),
            &json!({ "name": name, "email": email }),
        )
        .await;
        student["id"].as_i64().unwrap()
    }

    /// Polls `GET path` until `done` holds, for at most `limit`.
    async fn wait_for(&self, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let value = self.get(path).await;
            if done(&value) {
                return value;
            }
            assert!(
                started.elapsed() < limit,
                "GET {path} never reached the expected state: {value}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn card_setup_reaches_the_student_through_webhooks() {
    let stripe = FakeStripe::start();
    let desk = Desk::start(&stripe.api_base());
    stripe.register_webhook("desk", &desk.webhook_url()).await;
    let student = desk.add_student("Zoë Park", "guardian@example.com").await;

    let (status, intent) = desk
        .post(
            "/api/payments/setup-intent",
            &json!({ "email": "guardian@example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{intent}");
    let secret = intent["client_secret"].as_str().unwrap();
    let customer = intent["customerId"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("seti_") && secret.contains("_secret_"),
        "{secret}"
    );
    assert!(customer.starts_with("cus_"), "{customer}");

    // A second card form for the same email reuses the customer.
    let (status, again) = desk
        .post(
            "/api/payments/setup-intent",
            &json!({ "email": "GUARDIAN@example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["customerId"], customer.as_str());
    assert_eq!(stripe.customers_with_email("guardian@example.com").await.len(), 1);

    // What Stripe.js does with the card the guardian typed.
    let method = stripe.card_payment_method().await;
    stripe
        .confirm_setup_intent(intent["setup_intent_id"].as_str().unwrap(), &method)
        .await;

    let billing = desk
        .wait_for(
            &format!("/api/students/{student}/billing"),
            Duration::from_secs(10),
            |b| b["customer"]["card"]["last4"] == "4242" && b["customer"]["setup_status"] == "succeeded",
        )
        .await;
    assert_eq!(billing["customer"]["card"]["brand"], "visa");
    assert_eq!(billing["customer"]["payment_method_id"], method.as_str());
    assert_eq!(billing["customer"]["stripe_customer_id"], customer.as_str());
}

#[tokio::test]
async fn subscription_is_created_once_and_follows_events() {
    let stripe = FakeStripe::start();
    let desk = Desk::start(&stripe.api_base());
    stripe.register_webhook("desk", &desk.webhook_url()).await;
    let student = desk.add_student("Ana Lima", "ana@example.com").await;

    let prices = desk.get("/api/billing/prices").await;
    assert_eq!(prices["stale"], false);
    let ids: Vec<&str> = prices["prices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(ids.contains(&WEEKLY_PRICE), "{prices}");

    let (status, subscription) = desk
        .post(
            "/api/billing/subscriptions",
            &json!({ "email": "ana@example.com", "priceId": WEEKLY_PRICE, "payment_method_id": null }),
        )
        .await;
    assert_eq!(status, 201, "{subscription}");
    assert_eq!(subscription["object"], "subscription");
    let id = subscription["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sub_"));
    let customer = subscription["customer"].as_str().unwrap().to_owned();
    assert_eq!(stripe.subscriptions_of(&customer).await.len(), 1);

    // The fake charges at once when a card is known; without one Stripe
    // leaves the first invoice open and the subscription incomplete.
    assert_eq!(subscription["status"], "incomplete");

    // Cancelling in Stripe's dashboard reaches the desk by webhook.
    stripe.delete(&format!("/v1/subscriptions/{id}")).await;
    let billing = desk
        .wait_for(
            &format!("/api/students/{student}/billing"),
            Duration::from_secs(10),
            |b| b["subscriptions"][0]["status"] == "canceled",
        )
        .await;
    assert_eq!(billing["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(billing["subscriptions"][0]["id"], id.as_str());

    let outbox = desk.get("/api/billing/outbox").await;
    assert_eq!(outbox["pending"], 0);
    assert_eq!(outbox["failed"], 0);
}

#[tokio::test]
async fn saved_card_is_charged_and_invoice_recorded() {
    let stripe = FakeStripe::start();
    let desk = Desk::start(&stripe.api_base());
    stripe.register_webhook("desk", &desk.webhook_url()).await;
    let student = desk.add_student("Ben Okafor", "ben@example.com").await;

    let (_, intent) = desk
        .post(
            "/api/payments/setup-intent",
            &json!({ "email": "ben@example.com" }),
        )
        .await;
    let method = stripe.card_payment_method().await;
    stripe
        .confirm_setup_intent(intent["setup_intent_id"].as_str().unwrap(), &method)
        .await;
    desk.wait_for(
        &format!("/api/students/{student}/billing"),
        Duration::from_secs(10),
        |b| b["customer"]["payment_method_id"] == method.as_str(),
    )
    .await;

    let (status, subscription) = desk
        .post(
            "/api/billing/subscriptions",
            &json!({ "email": "ben@example.com", "priceId": WEEKLY_PRICE }),
        )
        .await;
    assert_eq!(status, 201, "{subscription}");
    assert_eq!(subscription["status"], "active");

    let badges = desk
        .wait_for("/api/billing/students", Duration::from_secs(10), |b| {
            b[0]["latest_invoice_status"] == "paid"
        })
        .await;
    assert_eq!(badges[0]["student_id"], student);
    assert_eq!(badges[0]["card_on_file"], true);
    assert_eq!(badges[0]["subscription_status"], "active");
}

#[tokio::test]
async fn bad_billing_requests_are_rejected_with_the_fix() {
    let stripe = FakeStripe::start();
    let desk = Desk::start(&stripe.api_base());
    desk.add_student("Cleo", "cleo@example.com").await;

    let cases = [
        (
            "/api/payments/setup-intent",
            json!({ "email": "not-an-email" }),
            400,
            "email_invalid",
        ),
        (
            "/api/payments/setup-intent",
            json!({ "email": "nobody@example.com" }),
            404,
            "student_not_found",
        ),
        (
            "/api/billing/subscriptions",
            json!({ "email": "cleo@example.com", "priceId": "weekly" }),
            400,
            "price_invalid",
        ),
        (
            "/api/billing/subscriptions",
            json!({ "email": "cleo@example.com", "priceId": WEEKLY_PRICE, "payment_method_id": "4242424242424242" }),
            400,
            "payment_method_invalid",
        ),
        (
            "/api/billing/subscriptions",
            json!({ "email": "cleo@example.com", "priceId": WEEKLY_PRICE, "coupon": "x" }),
            400,
            "invalid_json",
        ),
    ];
    for (path, body, expected_status, expected_code) in cases {
        let (status, error) = desk.post(path, &body).await;
        assert_eq!(status, expected_status, "{path} {body}: {error}");
        assert_eq!(error["error"], expected_code, "{path} {body}: {error}");
        assert!(!error["message"].as_str().unwrap_or_default().is_empty());
    }

    // Once the price list is cached, an unknown price is caught before Stripe.
    desk.get("/api/billing/prices").await;
    let (status, error) = desk
        .post(
            "/api/billing/subscriptions",
            &json!({ "email": "cleo@example.com", "priceId": "price_doesnotexist" }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "price_unknown");

    // Nothing was queued by any of them.
    let outbox = desk.get("/api/billing/outbox").await;
    assert_eq!(outbox["items"].as_array().unwrap().len(), 0, "{outbox}");
    assert_eq!(stripe.created("subscriptions").await, 0);
}

#[tokio::test]
async fn stripe_rejection_fails_the_item_for_the_desk() {
    let stripe = FakeStripe::start();
    let desk = Desk::start(&stripe.api_base());
    desk.add_student("Dev", "dev@example.com").await;

    // The price list was never fetched, so the unknown price reaches Stripe.
    let (status, error) = desk
        .post(
            "/api/billing/subscriptions",
            &json!({ "email": "dev@example.com", "priceId": "price_retired" }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"], "stripe_rejected");
    let id = error["failed"]["id"].as_i64().unwrap();

    let outbox = desk.get("/api/billing/outbox").await;
    assert_eq!(outbox["failed"], 1, "{outbox}");
    let status = desk.get("/api/billing/status").await;
    assert_eq!(status["failed"], 1);

    let (code, dismissed) = desk
        .post(&format!("/api/billing/outbox/{id}/dismiss"), &json!({}))
        .await;
    assert_eq!(code, 200, "{dismissed}");
    assert_eq!(dismissed["state"], "dismissed");
    let (code, again) = desk
        .post(&format!("/api/billing/outbox/{id}/retry"), &json!({}))
        .await;
    assert_eq!(code, 409, "{again}");
    assert_eq!(again["error"], "outbox_item_closed");
    let (code, missing) = desk.post("/api/billing/outbox/999/retry", &json!({})).await;
    assert_eq!(code, 404, "{missing}");
    assert_eq!(desk.get("/api/billing/outbox").await["failed"], 0);
}

#[tokio::test]
async fn offline_calls_survive_a_restart_and_happen_once() {
    let stripe = FakeStripe::start();
    let mut gate = Gate::closed(&stripe.base).await;
    let mut desk = Desk::start(&gate.api_base());
    let emails = ["one@example.com", "two@example.com", "three@example.com"];
    for (index, email) in emails.iter().enumerate() {
        desk.add_student(&format!("Student {index}"), email).await;
    }
    desk.add_student("Card Holder", "card@example.com").await;

    // Stripe unreachable: subscriptions are queued, the card form cannot open
    // but its customer is queued.
    for email in emails {
        let (status, queued) = desk
            .post(
                "/api/billing/subscriptions",
                &json!({ "email": email, "priceId": WEEKLY_PRICE }),
            )
            .await;
        assert_eq!(status, 202, "{queued}");
        assert_eq!(queued["status"], "queued");
        assert!(queued["id"].is_null());
        assert_eq!(queued["pending"]["state"], "pending");
    }
    let (status, offline) = desk
        .post(
            "/api/payments/setup-intent",
            &json!({ "email": "card@example.com" }),
        )
        .await;
    assert_eq!(status, 503, "{offline}");
    assert_eq!(offline["error"], "stripe_unreachable");
    assert_eq!(offline["pending"]["kind"], "customer");

    let status = desk.get("/api/billing/status").await;
    assert_eq!(status["pending"], 4, "{status}");
    assert_eq!(status["online"], false);

    // The desk PC loses power with the queue full, then starts again while
    // Stripe is still unreachable.
    desk.close();
    desk.open(&gate.api_base());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(desk.get("/api/billing/status").await["pending"], 4);

    gate.open().await;
    let outbox = desk
        .wait_for("/api/billing/outbox", Duration::from_secs(30), |o| {
            o["pending"] == 0
        })
        .await;
    assert_eq!(outbox["failed"], 0, "{outbox}");

    for email in emails.iter().chain(["card@example.com"].iter()) {
        let customers = stripe.customers_with_email(email).await;
        assert_eq!(customers.len(), 1, "{email}: {customers:?}");
    }
    for email in emails {
        let customer = stripe.customers_with_email(email).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(stripe.subscriptions_of(&customer).await.len(), 1, "{email}");
    }
    assert_eq!(stripe.created("customers").await, 4);
    assert_eq!(stripe.created("subscriptions").await, 3);

    // Each queued row now carries Stripe's id.
    let badges = desk.get("/api/billing/students").await;
    let statuses: Vec<&str> = badges
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["subscription_status"].as_str())
        .collect();
    assert_eq!(statuses, vec!["incomplete"; 3], "{badges}");

    // Another restart sends nothing again.
    desk.close();
    desk.open(&stripe.api_base());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stripe.created("customers").await, 4);
    assert_eq!(stripe.created("subscriptions").await, 3);
}

#[tokio::test]
async fn lost_response_does_not_duplicate_after_key_expiry() {
    let stripe = FakeStripe::start();
    let mut gate = Gate::closed(&stripe.base).await;
    gate.open().await;
    let desk = Desk::start(&gate.api_base());
    desk.add_student("Eve", "eve@example.com").await;
    desk.add_student("Finn", "finn@example.com").await;
    let (status, _) = desk
        .post(
            "/api/payments/setup-intent",
            &json!({ "email": "eve@example.com" }),
        )
        .await;
    assert_eq!(status, 200);

    // Stripe creates Eve's subscription and Finn's customer, but the
    // responses never arrive.
    gate.set_mode(GateMode::DropResponses);
    for email in ["eve@example.com", "finn@example.com"] {
        let (status, queued) = desk
            .post(
                "/api/billing/subscriptions",
                &json!({ "email": email, "priceId": WEEKLY_PRICE }),
            )
            .await;
        assert_eq!(status, 202, "{queued}");
    }
    assert_eq!(
        stripe.created("subscriptions").await,
        1,
        "Eve's first attempt reached Stripe"
    );
    assert_eq!(
        stripe.created("customers").await,
        2,
        "Finn's first attempt reached Stripe"
    );

    // Stripe forgets idempotency keys after 24 hours; the retries have to
    // find the objects by email and metadata reference instead.
    stripe.forget_idempotency_keys().await;
    gate.set_mode(GateMode::Open);
    desk.wait_for("/api/billing/outbox", Duration::from_secs(30), |o| {
        o["pending"] == 0
    })
    .await;

    assert_eq!(stripe.created("customers").await, 2);
    assert_eq!(stripe.created("subscriptions").await, 2);
    for email in ["eve@example.com", "finn@example.com"] {
        let customers = stripe.customers_with_email(email).await;
        assert_eq!(customers.len(), 1, "{email}: {customers:?}");
        let subscriptions = stripe
            .subscriptions_of(customers[0]["id"].as_str().unwrap())
            .await;
        assert_eq!(subscriptions.len(), 1, "{email}: {subscriptions:?}");
    }
    let badges = desk.get("/api/billing/students").await;
    let linked: Vec<&str> = badges
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["subscription_status"].as_str())
        .collect();
    assert_eq!(linked, vec!["incomplete"; 2], "{badges}");
}

#[tokio::test]
async fn missed_events_are_caught_up_on_start() {
    let stripe = FakeStripe::start();
    let mut desk = Desk::start(&stripe.api_base());
    let student = desk.add_student("Fay", "fay@example.com").await;
    let (status, subscription) = desk
        .post(
            "/api/billing/subscriptions",
            &json!({ "email": "fay@example.com", "priceId": WEEKLY_PRICE }),
        )
        .await;
    assert_eq!(status, 201, "{subscription}");
    let id = subscription["id"].as_str().unwrap().to_owned();

    // No webhook endpoint is registered: the cancellation happens while the
    // desk is closed and only the Events API has it.
    desk.close();
    stripe.delete(&format!("/v1/subscriptions/{id}")).await;
    desk.open(&stripe.api_base());

    let billing = desk
        .wait_for(
            &format!("/api/students/{student}/billing"),
            Duration::from_secs(10),
            |b| b["subscriptions"][0]["status"] == "canceled",
        )
        .await;
    assert_eq!(billing["subscriptions"][0]["id"], id.as_str());
}

#[tokio::test]
async fn settings_store_keys_without_returning_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("melody.db");
    let server = ServerProcess::start_with(&db, &[]);
    let client = reqwest::Client::new();
    let url = format!("{}/api/settings/stripe", server.base);

    let initial: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(initial["secret_key_set"], false);
    assert_eq!(initial["can_save"], true);

    // A publishable key pasted into the secret field changes nothing.
    let response = client
        .put(&url)
        .json(&json!({ "secret_key": "pk_test_wrongfield123", "webhook_secret": "whsec_valid123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "secret_key_invalid");
    assert_eq!(error["field"], "secret_key");
    assert!(error["message"].as_str().unwrap().contains("sk_test_"), "{error}");
    assert_eq!(
        client
            .get(&url)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["webhook_secret_set"],
        false
    );

    let response = client
        .put(&url)
        .json(
            &json!({ "secret_key": "sk_test_savedkey0123456789", "publishable_key": "pk_test_shown0123456" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("sk_test_savedkey"), "the secret came back: {text}");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["secret_key_set"], true);
    assert_eq!(saved["publishable_key"], "pk_test_shown0123456");

    let file = dir.path().join("stripe-settings.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    drop(server);

    // The saved key is used after a restart.
    let server = ServerProcess::start_with(&db, &[]);
    let status: Value = client
        .get(format!("{}/api/billing/status", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["configured"], true);
    drop(server);

    // A key from the environment cannot be changed from the screen.
    let server = ServerProcess::start_with(&db, &[("STRIPE_SECRET_KEY", "sk_test_fromenv0123456789")]);
    let response = client
        .put(format!("{}/api/settings/stripe", server.base))
        .json(&json!({ "secret_key": "sk_test_other0123456789" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "setting_from_environment");
}
