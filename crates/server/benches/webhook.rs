//! Benchmark of the Stripe webhook receiver over real HTTP on loopback:
//! time from sending a signed delivery to its 2xx, one at a time, and
//! bursts of 1,000 deliveries with 10 % duplicates sent 4 and 16 at a time.
//!
//! Run: `cargo bench -p melody-server --bench webhook`. The database file
//! goes under `target/bench-data/` and is written with the app's settings
//! (WAL, `synchronous=FULL`), so every applied event waits for fsync.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use melody_billing::webhook::sign;
use melody_billing::{Billing, BillingConfig};
use melody_server::{router, ApiCredential, AppState, Settings};
use melody_store::Store;
use serde_json::json;

const SECRET: &str = "whsec_benchmark0123456789";
const SEQUENTIAL: usize = 500;
const BURST: usize = 1_000;
const BURST_DUPLICATES: usize = 100;
const BURST_CONCURRENCY: [usize; 2] = [4, 16];

fn event(index: usize, created: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": format!("evt_bench_{index}"),
        "object": "event",
        "type": "customer.subscription.updated",
        "created": created,
        "data": { "object": {
            "id": format!("sub_bench_{index}"),
            "object": "subscription",
            "customer": "cus_bench",
            "status": "active",
            "created": created - 60,
            "metadata": {},
            "items": { "data": [ { "price": { "id": "price_bench" }, "current_period_end": created + 2_592_000 } ] }
        } }
    }))
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1_000.0)
}

#[tokio::main]
async fn main() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&folder).unwrap();
    let db = folder.join("webhook.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = Arc::new(Store::open(&db).unwrap());
    let config = BillingConfig {
        webhook_secrets: vec![SECRET.to_owned()],
        ..BillingConfig::default()
    };
    let billing = Billing::new(Arc::clone(&store), config, Arc::new(chrono::Utc::now));
    let state = AppState::new(
        Arc::clone(&store),
        Settings::default(),
        ApiCredential::LoopbackOpen,
    )
    .with_billing(billing);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/webhooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(melody_server::serve(
        listener,
        router(state),
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp();

    // One at a time: the latency Stripe sees.
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for index in 0..SEQUENTIAL {
        let body = event(index, now);
        let signature = sign(SECRET, chrono::Utc::now().timestamp(), &body);
        let began = Instant::now();
        let response = client
            .post(&url)
            .header("Stripe-Signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        latencies.push(began.elapsed());
    }
    latencies.sort();
    println!("| run | deliveries | p50 | p99 | max | failed | duplicate effects |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| sequential | {SEQUENTIAL} | {} | {} | {} | 0 | 0 |",
        millis(percentile(&latencies, 50.0)),
        millis(percentile(&latencies, 99.0)),
        millis(*latencies.last().unwrap())
    );

    let mut first_id = SEQUENTIAL;
    for concurrency in BURST_CONCURRENCY {
        burst(&client, &url, &store, first_id, concurrency, now).await;
        first_id += BURST - BURST_DUPLICATES;
    }
}

/// Sends `BURST` deliveries, every tenth repeating an earlier event, with
/// `concurrency` in flight, and checks each unique event was applied once.
async fn burst(
    client: &reqwest::Client,
    url: &str,
    store: &Arc<Store>,
    first_id: usize,
    concurrency: usize,
    now: i64,
) {
    let unique = BURST - BURST_DUPLICATES;
    let before = count_applied(store);
    let mut bodies: Vec<Vec<u8>> = (0..unique).map(|i| event(first_id + i, now)).collect();
    for duplicate in 0..BURST_DUPLICATES {
        let original = bodies[duplicate * 7 % unique].clone();
        bodies.insert((duplicate + 1) * 10 - 1, original);
    }
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let began = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, bodies, next) = (
            client.clone(),
            url.to_owned(),
            Arc::clone(&bodies),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            let mut results = Vec::new();
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(index) else { break };
                let signature = sign(SECRET, chrono::Utc::now().timestamp(), body);
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("Stripe-Signature", signature)
                    .body(body.clone())
                    .send()
                    .await;
                let ok = response.is_ok_and(|r| r.status().is_success());
                results.push((sent.elapsed(), ok));
            }
            results
        });
    }
    let results: Vec<(Duration, bool)> = workers.join_all().await.into_iter().flatten().collect();
    let total = began.elapsed();
    let failed = results.iter().filter(|(_, ok)| !ok).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    latencies.sort();

    let (applied, subscriptions) = count_applied(store);
    let expected = i64::try_from(unique).unwrap();
    let (new_events, new_subscriptions) = (applied - before.0, subscriptions - before.1);
    let duplicate_effects = (new_events - expected).max(0) + (new_subscriptions - expected).max(0);
    println!(
        "| burst, {concurrency} in flight ({BURST_DUPLICATES} duplicates) | {BURST} | {} | {} | {} | {failed} | {duplicate_effects} |",
        millis(percentile(&latencies, 50.0)),
        millis(percentile(&latencies, 99.0)),
        millis(*latencies.last().unwrap())
    );
    println!(
        "  wall time {:.0} ms ({:.0} deliveries/s); events applied {new_events}, expected {expected}",
        total.as_secs_f64() * 1_000.0,
        BURST as f64 / total.as_secs_f64()
    );
    assert_eq!(new_events, expected, "every unique event applied once");
    assert_eq!(new_subscriptions, expected);
}

fn count_applied(store: &Store) -> (i64, i64) {
    store
        .read(|conn| {
            conn.query_row(
                "SELECT (SELECT count(*) FROM stripe_events), (SELECT count(*) FROM billing_subscriptions)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|source| melody_store::StoreError::Sqlite { op: "count", source })
        })
        .unwrap()
}
