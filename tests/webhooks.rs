//! The Stripe webhook receiver of `melody serve`: forged, altered, stale and
//! replayed deliveries are rejected; repeated and concurrent deliveries of
//! one event have one effect; subscription events applied out of order end
//! in the right state.

mod common;

use common::stripe::WEBHOOK_SECRET;
use common::{count_rows, ServerProcess};
use melody_billing::webhook::sign;
use serde_json::{json, Value};

struct Receiver {
    server: ServerProcess,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Receiver {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = ServerProcess::start_with(
            &dir.path().join("melody.db"),
            &[("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)],
        );
        Self {
            server,
            client: reqwest::Client::new(),
            dir,
        }
    }

    async fn deliver(&self, body: &[u8], signature: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/webhooks/stripe", self.server.base))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("Stripe-Signature", signature);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Delivers `body` signed now with the right secret.
    async fn deliver_signed(&self, body: &[u8]) -> (u16, Value) {
        let signature = sign(WEBHOOK_SECRET, now(), body);
        self.deliver(body, Some(&signature)).await
    }

    fn events_applied(&self) -> i64 {
        count_rows(&self.dir.path().join("melody.db"), "stripe_events")
    }

    fn subscription_status(&self, id: &str) -> String {
        let conn = rusqlite::Connection::open(self.dir.path().join("melody.db")).unwrap();
        conn.query_row(
            "SELECT status FROM billing_subscriptions WHERE stripe_subscription_id = ?1",
            [id],
            |row| row.get(0),
        )
        .unwrap()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn subscription_event(event_id: &str, kind: &str, created: i64, subscription: &str, status: &str) -> Vec<u8> {
    let body = json!({
        "id": event_id,
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": created,
        "type": kind,
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": {
            "id": subscription,
            "object": "subscription",
            "customer": "cus_webhooktest",
            "status": status,
            "created": created - 100,
            "metadata": {},
            "items": { "object": "list", "data": [
                { "id": "si_1", "price": { "id": "price_1WeeklyLessons4PerMonth" }, "current_period_end": created + 2_592_000 }
            ] }
        } }
    });
    serde_json::to_vec(&body).unwrap()
}

#[tokio::test]
async fn forged_and_stale_deliveries_are_rejected() {
    let receiver = Receiver::start();
    let body = subscription_event(
        "evt_attack",
        "customer.subscription.created",
        now(),
        "sub_attack",
        "active",
    );
    let time = now();

    let mut altered = body.clone();
    let position = altered.iter().position(|&b| b == b'a').unwrap();
    altered[position] = b'b';
    let reserialized = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    let good = sign(WEBHOOK_SECRET, time, &body);
    let good_v1 = good.split_once(",v1=").unwrap().1.to_owned();

    let attacks: Vec<(&str, Vec<u8>, Option<String>)> = vec![
        (
            "wrong secret",
            body.clone(),
            Some(sign("whsec_someoneelse123", time, &body)),
        ),
        ("body changed by one byte", altered, Some(good.clone())),
        ("JSON re-serialized", reserialized, Some(good.clone())),
        (
            "timestamp 301 s old",
            body.clone(),
            Some(sign(WEBHOOK_SECRET, time - 301, &body)),
        ),
        (
            "timestamp 301 s ahead",
            body.clone(),
            Some(sign(WEBHOOK_SECRET, time + 301, &body)),
        ),
        ("missing header", body.clone(), None),
        (
            "signature of another timestamp",
            body.clone(),
            Some(format!("t={},v1={good_v1}", time + 1)),
        ),
        (
            "only a v0 signature",
            body.clone(),
            Some(format!("t={time},v0={good_v1}")),
        ),
        ("garbage header", body.clone(), Some("hello".to_owned())),
    ];
    for (name, payload, signature) in attacks {
        let (status, error) = receiver.deliver(&payload, signature.as_deref()).await;
        assert_eq!(status, 400, "{name}: {error}");
        assert_eq!(error["error"], "signature_invalid", "{name}: {error}");
    }
    assert_eq!(receiver.events_applied(), 0);

    // The messages say what to check.
    let (_, skewed) = receiver
        .deliver(&body, Some(&sign(WEBHOOK_SECRET, time - 400, &body)))
        .await;
    assert!(
        skewed["message"]
            .as_str()
            .unwrap()
            .contains("behind the server clock"),
        "{skewed}"
    );

    // A delivery captured ten minutes ago and replayed now is too old.
    let captured = sign(WEBHOOK_SECRET, time - 600, &body);
    let (status, _) = receiver.deliver(&body, Some(&captured)).await;
    assert_eq!(status, 400);

    // Two v1 signatures where only the second is valid: accepted.
    let rotated = format!("t={time},v1={},v1={good_v1}", "ab".repeat(32));
    let (status, receipt) = receiver.deliver(&body, Some(&rotated)).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["duplicate"], false);
    assert_eq!(receiver.events_applied(), 1);

    // Replaying that valid delivery within the tolerance changes nothing.
    let (status, receipt) = receiver.deliver(&body, Some(&rotated)).await;
    assert_eq!(status, 200);
    assert_eq!(receipt["duplicate"], true);
    assert_eq!(receiver.events_applied(), 1);
}

#[tokio::test]
async fn unreadable_and_unsigned_setups_are_rejected() {
    let receiver = Receiver::start();
    let (status, error) = receiver.deliver_signed(b"not json at all").await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "event_invalid");

    // A handled type whose object lacks what the app needs.
    let broken = serde_json::to_vec(&json!({
        "id": "evt_broken", "type": "customer.subscription.updated", "created": now(),
        "data": { "object": { "id": "sub_x" } }
    }))
    .unwrap();
    let (status, error) = receiver.deliver_signed(&broken).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "event_invalid");
    assert_eq!(
        receiver.events_applied(),
        0,
        "a rejected event is not marked as applied"
    );

    // Without a signing secret nothing is trusted.
    let dir = tempfile::tempdir().unwrap();
    let unset = ServerProcess::start_with(&dir.path().join("melody.db"), &[]);
    let response = reqwest::Client::new()
        .post(format!("{}/api/webhooks/stripe", unset.base))
        .header("Stripe-Signature", sign(WEBHOOK_SECRET, now(), b"{}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "webhook_secret_missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_event_twice_and_concurrently_has_one_effect() {
    let receiver = Receiver::start();
    let body = subscription_event(
        "evt_twice",
        "customer.subscription.created",
        now(),
        "sub_twice",
        "active",
    );

    let mut deliveries = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let client = receiver.client.clone();
        let url = format!("{}/api/webhooks/stripe", receiver.server.base);
        let body = body.clone();
        deliveries.spawn(async move {
            let response = client
                .post(url)
                .header("Stripe-Signature", sign(WEBHOOK_SECRET, now(), &body))
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let results = deliveries.join_all().await;
    let fresh = results
        .iter()
        .filter(|(status, receipt)| *status == 200 && receipt["duplicate"] == false)
        .count();
    let duplicates = results
        .iter()
        .filter(|(status, receipt)| *status == 200 && receipt["duplicate"] == true)
        .count();
    assert_eq!(fresh, 1, "{results:?}");
    assert_eq!(duplicates, 11, "{results:?}");

    let (status, receipt) = receiver.deliver_signed(&body).await;
    assert_eq!(status, 200);
    assert_eq!(receipt["duplicate"], true);
    assert_eq!(receiver.events_applied(), 1);
    assert_eq!(
        count_rows(&receiver.dir.path().join("melody.db"), "billing_subscriptions"),
        1
    );
    let conn = rusqlite::Connection::open(receiver.dir.path().join("melody.db")).unwrap();
    let (events, kind, resource): (i64, String, Option<String>) = conn
        .query_row(
            "SELECT count(*), max(kind), max(resource_id) FROM analytics_events",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(events, 1, "one analytics event for one applied event");
    assert_eq!(kind, "subscription_status_changed");
    assert_eq!(resource, None);
}

#[tokio::test]
async fn out_of_order_subscription_events_end_right() {
    let receiver = Receiver::start();
    let t = now();

    // Stripe's order: created (incomplete), updated (active), updated
    // (past_due), deleted (canceled). Delivered shuffled, with a repeat.
    let created = subscription_event(
        "evt_o1",
        "customer.subscription.created",
        t - 40,
        "sub_order",
        "incomplete",
    );
    let active = subscription_event(
        "evt_o2",
        "customer.subscription.updated",
        t - 30,
        "sub_order",
        "active",
    );
    let past_due = subscription_event(
        "evt_o3",
        "customer.subscription.updated",
        t - 20,
        "sub_order",
        "past_due",
    );
    let deleted = subscription_event(
        "evt_o4",
        "customer.subscription.deleted",
        t - 10,
        "sub_order",
        "canceled",
    );

    for (body, expected) in [
        (&active, "active"),
        (&created, "active"),
        (&deleted, "canceled"),
        (&past_due, "canceled"),
        (&active, "canceled"),
    ] {
        let (status, receipt) = receiver.deliver_signed(body).await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receiver.subscription_status("sub_order"), expected);
    }

    // Two events stamped with the same second: the update wins over the
    // creation whatever the arrival order.
    let same_created = subscription_event(
        "evt_s1",
        "customer.subscription.created",
        t,
        "sub_same",
        "incomplete",
    );
    let same_updated = subscription_event("evt_s2", "customer.subscription.updated", t, "sub_same", "active");
    receiver.deliver_signed(&same_updated).await;
    receiver.deliver_signed(&same_created).await;
    assert_eq!(receiver.subscription_status("sub_same"), "active");

    // An invoice failure older than the recorded payment does not override it.
    let invoice = |id: &str, kind: &str, created: i64| {
        serde_json::to_vec(&json!({
            "id": id, "type": kind, "created": created,
            "data": { "object": { "id": format!("in_{id}"), "object": "invoice", "customer": "cus_webhooktest",
                "parent": { "subscription_details": { "subscription": "sub_same" } } } }
        }))
        .unwrap()
    };
    receiver
        .deliver_signed(&invoice("evt_i2", "invoice.paid", t + 5))
        .await;
    receiver
        .deliver_signed(&invoice("evt_i1", "invoice.payment_failed", t + 1))
        .await;
    let conn = rusqlite::Connection::open(receiver.dir.path().join("melody.db")).unwrap();
    let latest: String = conn
        .query_row(
            "SELECT latest_invoice_status FROM billing_subscriptions WHERE stripe_subscription_id = 'sub_same'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(latest, "paid");
}

#[tokio::test]
async fn invoice_before_its_subscription_is_kept() {
    let receiver = Receiver::start();
    let t = now();
    let invoice = serde_json::to_vec(&json!({
        "id": "evt_early_invoice", "type": "invoice.paid", "created": t,
        "data": { "object": { "id": "in_early", "object": "invoice", "customer": "cus_webhooktest",
            "parent": { "subscription_details": { "subscription": "sub_early" } } } }
    }))
    .unwrap();
    let (status, receipt) = receiver.deliver_signed(&invoice).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["ignored"], false, "the invoice is recorded, not dropped");
    assert_eq!(receiver.subscription_status("sub_early"), "unknown");

    let created = subscription_event(
        "evt_early_sub",
        "customer.subscription.created",
        t,
        "sub_early",
        "active",
    );
    receiver.deliver_signed(&created).await;
    assert_eq!(receiver.subscription_status("sub_early"), "active");
    let conn = rusqlite::Connection::open(receiver.dir.path().join("melody.db")).unwrap();
    let (latest, rows): (String, i64) = conn
        .query_row(
            "SELECT max(latest_invoice_status), count(*) FROM billing_subscriptions WHERE stripe_subscription_id = 'sub_early'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(latest, "paid");
    assert_eq!(rows, 1);
}
