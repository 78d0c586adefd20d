//! The bearer credential on the booking API, and the UI served at `/`.

mod common;

use common::spawn_app_full;
use melody_server::{ApiCredential, Settings};

const TOKEN: &str = "per-launch-token-0123456789abcdef";

#[tokio::test]
async fn bearer_credential_guards_api() {
    let app = spawn_app_full(Settings::default(), ApiCredential::bearer(TOKEN)).await;
    let url = format!("{}/api/teachers", app.base);

    let missing = app.client.get(&url).send().await.unwrap();
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("per-launch-token-0123456789abcdeX")
        .send()
        .await
        .unwrap();
    let right = app.client.get(&url).bearer_auth(TOKEN).send().await.unwrap();

    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        wrong.status(),
        401,
        "a token differing in its last byte is rejected"
    );
    assert_eq!(right.status(), 200);
    let write = app
        .client
        .post(format!("{}/api/teachers", app.base))
        .json(&serde_json::json!({ "name": "Eve" }))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 401, "writes need the credential too");
    assert_eq!(app.count("teachers"), 0);
}

#[tokio::test]
async fn health_and_ui_need_no_credential() {
    let app = spawn_app_full(Settings::default(), ApiCredential::bearer(TOKEN)).await;

    let health = app
        .client
        .get(format!("{}/api/health", app.base))
        .send()
        .await
        .unwrap();
    let page = app.client.get(format!("{}/", app.base)).send().await.unwrap();

    assert_eq!(health.status(), 200);
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn ui_routes_fall_back_to_index() {
    let app = common::spawn_app().await;

    let deep = app
        .client
        .get(format!("{}/calendar/week", app.base))
        .send()
        .await
        .unwrap();
    let api_typo = app
        .client
        .get(format!("{}/api/bookingz", app.base))
        .send()
        .await
        .unwrap();

    assert_eq!(deep.status(), 200, "a UI route reloads to index.html");
    assert_eq!(api_typo.status(), 404, "an unknown API route is not the UI");
    let body: serde_json::Value = api_typo.json().await.unwrap();
    assert_eq!(body["error"], "route_not_found");
}

#[tokio::test]
async fn cross_site_write_is_rejected() {
    let app = common::spawn_app().await;
    let host = app.base.trim_start_matches("http://").to_owned();

    let foreign = app
        .client
        .post(format!("{}/api/teachers", app.base))
        .header("Origin", "https://evil.example")
        .json(&serde_json::json!({ "name": "Mallory" }))
        .send()
        .await
        .unwrap();
    let own = app
        .client
        .post(format!("{}/api/teachers", app.base))
        .header("Origin", format!("http://{host}"))
        .json(&serde_json::json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap();

    assert_eq!(foreign.status(), 403, "a page of another site cannot write");
    assert_eq!(own.status(), 201, "the server's own UI can");
    assert_eq!(app.count("teachers"), 1);
}

#[tokio::test]
async fn rebound_host_is_rejected() {
    let app = common::spawn_app().await;
    let port = app.base.rsplit(':').next().unwrap();

    let rebound = app
        .client
        .get(format!("{}/api/students", app.base))
        .header("Host", format!("attacker.example:{port}"))
        .send()
        .await
        .unwrap();
    let localhost = app
        .client
        .get(format!("{}/api/students", app.base))
        .header("Host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();

    assert_eq!(
        rebound.status(),
        403,
        "DNS rebinding reaches the port under a foreign name"
    );
    assert_eq!(localhost.status(), 200);
}
