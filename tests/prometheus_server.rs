//! A real Prometheus server on loopback scrapes the app while bookings are
//! made; every alert expression the studio uses and every dashboard panel
//! query is then evaluated by it and checked against the known data.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use common::{settings_allowing, spawn_app_full, TestApp, ADMIN_KEY};
use melody_domain::ResourceCapacity;
use melody_server::ApiCredential;
use serde_json::{json, Value};

/// The alert expressions, exactly as the studio's rules use them.
const ALERT_EXPRESSIONS: [&str; 11] = [
    "increase(melody_bookings_cancelled_late_total[1h]) > 5",
    "increase(melody_bookings_confirmed_total[1h]) > 20",
    "increase(melody_bookings_cancelled_late_total[7d]) / increase(melody_bookings_confirmed_total[7d]) < 0.05",
    "increase(melody_reschedule_completed_total[7d]) / increase(melody_bookings_confirmed_total[7d]) > 0.15",
    "increase(melody_bookings_confirmed_minutes_total[1h]) > 300",
    "avg_over_time(melody_bookings_utilization_percent{resource_id=\"piano\"}[6h]) > 0.9",
    "(max(melody_bookings_utilization_percent) - min(melody_bookings_utilization_percent)) > 0.25",
    "histogram_quantile(0.9, sum by (le)(rate(melody_booking_duration_minutes_bucket[24h]))) > 60",
    "avg_over_time(melody_reschedule_lead_time_hours_median[7d]) < 6",
    "melody_bookings_confirmed{resource_id=\"piano\"} / sum(melody_bookings_confirmed) > 0.6",
    "sum_over_time(melody_bookings_confirmed{resource_id=\"drums\"}[6h]) == 0",
];

/// The piano-share rule as shipped. The expression above divides a series
/// labelled `resource_id`, `job` and `instance` by an unlabelled `sum()`;
/// PromQL matches binary operands on identical label sets, so it returns
/// nothing for any data. The shipped rule sums over resources per job and
/// instance instead.
const PIANO_SHARE_RULE: &str =
    "melody_bookings_confirmed{resource_id=\"piano\"} / ignoring(resource_id) group_left \
     sum without (resource_id) (melody_bookings_confirmed) > 0.6";

/// Prometheus as a child process, stopped when dropped.
struct Prometheus {
    child: Child,
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Prometheus {
    /// Starts Prometheus scraping `target` every second with the admin key,
    /// with the studio's alert rules loaded.
    async fn start(target: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/alerts.yml");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {}\n\
             scrape_configs:\n  - job_name: melodyandmeter\n    metrics_path: /api/admin/metrics\n\
             \x20   authorization:\n      credentials: {ADMIN_KEY}\n    static_configs:\n      - targets: ['{target}']\n",
            rules.display()
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prometheus is installed by scripts/setup (Debian package prometheus)");
        let prometheus = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            _dir: dir,
        };
        prometheus
            .wait_until("Prometheus is ready", || async {
                let ready = prometheus
                    .client
                    .get(format!("{}/-/ready", prometheus.base))
                    .send()
                    .await;
                ready.is_ok_and(|r| r.status().is_success())
            })
            .await;
        prometheus
    }

    /// Polls `check` every 200 ms for at most 30 s.
    async fn wait_until<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + StdDuration::from_secs(30);
        while !check().await {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    }

    /// Evaluates `expr` now; panics on a query error.
    async fn query(&self, expr: &str) -> Vec<Value> {
        let response: Value = self
            .client
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", expr)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(response["status"], "success", "{expr} failed: {response}");
        match &response["data"]["result"] {
            Value::Array(result) => result.clone(),
            scalar => vec![json!({ "value": scalar })],
        }
    }

    /// The single value of `expr`, or `None` when the result is empty.
    async fn value(&self, expr: &str) -> Option<f64> {
        let result = self.query(expr).await;
        assert!(result.len() <= 1, "{expr} returned several series: {result:?}");
        result
            .first()
            .map(|sample| sample["value"][1].as_str().unwrap().parse().unwrap())
    }

    /// Raw sample values of a range selector, oldest first.
    async fn samples(&self, selector: &str) -> Vec<f64> {
        let result = self.query(selector).await;
        assert_eq!(result.len(), 1, "{selector}: {result:?}");
        result[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| pair[1].as_str().unwrap().parse().unwrap())
            .collect()
    }

    async fn wait_for_value(&self, expr: &str, expected: f64) {
        self.wait_until(&format!("{expr} == {expected}"), || async {
            self.value(expr).await == Some(expected)
        })
        .await;
    }
}

/// Books the known data set and returns nothing; see the test for the
/// resulting values.
async fn drive_bookings(app: &TestApp) {
    // Piano: twenty 30-minute lessons filling today's 600-minute capacity.
    for slot in 0..20 {
        let start = app.now() + Duration::minutes(30 * slot);
        let teacher = app.create_teacher(&format!("Piano teacher {slot}")).await;
        let student = app.create_student(&format!("Piano student {slot}")).await;
        let (status, body) = app.book("piano", teacher, student, &start.to_rfc3339(), 30).await;
        assert_eq!(status, 201, "{body}");
    }
    // Room A: ten 90-minute lessons today; six are then cancelled late.
    let mut room_bookings = Vec::new();
    for slot in 0..10 {
        let start = app.now() + Duration::minutes(90 * slot);
        let teacher = app.create_teacher(&format!("Room teacher {slot}")).await;
        let student = app.create_student(&format!("Room student {slot}")).await;
        let (status, body) = app.book("roomA", teacher, student, &start.to_rfc3339(), 90).await;
        assert_eq!(status, 201, "{body}");
        room_bookings.push(body["id"].as_i64().unwrap());
    }
    for id in &room_bookings[..6] {
        let (_, body) = app.post_empty(&format!("/api/bookings/{id}/cancel")).await;
        assert_eq!(body["penalty_reason"], "late_cancel");
    }
    // The first three piano lessons (09:00, 09:30, 10:00) move to tomorrow
    // and back: six completed reschedules with lead times 0, 0.5, 1, 24,
    // 24.5 and 25 hours.
    for id in 1..=3 {
        for start in [app.now() + Duration::days(1), app.now()] {
            let start = start + Duration::minutes(30 * (id - 1));
            app.post_empty(&format!("/api/bookings/{id}/reschedule")).await;
            let (status, body) = app
                .post(
                    &format!("/api/bookings/{id}/reschedule/complete"),
                    &json!({ "start": start.to_rfc3339() }),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_expressions_and_panels_evaluate_against_live_metrics() {
    let mut settings = settings_allowing("primary,piano,drums,roomA");
    settings.capacity = ResourceCapacity::parse("piano:600,roomA:480,primary:480").unwrap();
    let app = spawn_app_full(settings, ApiCredential::LoopbackOpen).await;
    app.create_resource("piano").await;
    app.create_resource("drums").await;
    app.create_resource("roomA").await;
    let prometheus = Prometheus::start(app.base.trim_start_matches("http://")).await;
    prometheus.wait_for_value("up{job=\"melodyandmeter\"}", 1.0).await;
    prometheus
        .wait_for_value("melody_bookings_confirmed_total", 0.0)
        .await;

    drive_bookings(&app).await;
    prometheus
        .wait_for_value("melody_reschedule_completed_total", 6.0)
        .await;
    let scrapes = prometheus
        .samples("melody_bookings_confirmed_total[1h]")
        .await
        .len();
    prometheus
        .wait_until("one more scrape", || async {
            prometheus
                .samples("melody_bookings_confirmed_total[1h]")
                .await
                .len()
                > scrapes
        })
        .await;

    // Counters: the exact totals, then each increase-based alert. increase()
    // extrapolates to the window's end, so it reads at least the true rise
    // and at most a scrape interval's worth more.
    assert_eq!(
        prometheus.value("melody_bookings_confirmed_total").await,
        Some(30.0)
    );
    assert_eq!(
        prometheus.value("melody_bookings_cancelled_late_total").await,
        Some(6.0)
    );
    assert_eq!(
        prometheus.value("melody_bookings_confirmed_minutes_total").await,
        Some(1500.0)
    );
    for (expr, rise) in [
        (ALERT_EXPRESSIONS[0], 6.0),
        (ALERT_EXPRESSIONS[1], 30.0),
        (ALERT_EXPRESSIONS[4], 1500.0),
    ] {
        let value = prometheus
            .value(expr)
            .await
            .unwrap_or_else(|| panic!("{expr} should fire"));
        assert!(
            value >= rise && value < rise * 2.0,
            "{expr} = {value}, expected about {rise}"
        );
    }
    assert_eq!(
        prometheus.value(ALERT_EXPRESSIONS[2]).await,
        None,
        "6 late of 30 is 20 %, not under 5 %"
    );
    let reschedule_ratio = prometheus
        .value(ALERT_EXPRESSIONS[3])
        .await
        .expect("6 of 30 is over 15 %");
    assert!((reschedule_ratio - 0.2).abs() < 1e-9, "{reschedule_ratio}");

    // Gauges over time: the expected value is computed from the raw samples
    // Prometheus holds.
    let piano = prometheus
        .samples("melody_bookings_utilization_percent{resource_id=\"piano\"}[6h]")
        .await;
    assert_eq!(piano.last(), Some(&1.0), "600 of 600 minutes today");
    let piano_avg = mean(&piano);
    assert_eq!(
        prometheus.value(ALERT_EXPRESSIONS[5]).await.is_some(),
        piano_avg > 0.9,
        "average {piano_avg}"
    );
    assert_eq!(
        prometheus.value(ALERT_EXPRESSIONS[6]).await,
        Some(1.0),
        "piano full, drums empty"
    );
    let p90 = prometheus
        .value(ALERT_EXPRESSIONS[7])
        .await
        .expect("p90 is past 60 minutes");
    assert!(
        (p90 - 81.0).abs() < 1e-9,
        "rank 27 of 30 falls 7/10 into the 60 to 90 bucket: {p90}"
    );
    let medians = prometheus
        .samples("melody_reschedule_lead_time_hours_median[7d]")
        .await;
    assert_eq!(medians.last(), Some(&12.5), "median of 0, 0.5, 1, 24, 24.5, 25");
    let median_avg = mean(&medians);
    let fired = prometheus.value(ALERT_EXPRESSIONS[8]).await;
    assert_eq!(fired.is_some(), median_avg < 6.0, "average median {median_avg}");
    if let Some(value) = fired {
        assert!((value - median_avg).abs() < 1e-9);
    }
    assert_eq!(
        prometheus.value(ALERT_EXPRESSIONS[9]).await,
        None,
        "no label set matches across the division"
    );
    let share = prometheus
        .value(PIANO_SHARE_RULE)
        .await
        .expect("20 of 24 confirmed are piano");
    assert!((share - 20.0 / 24.0).abs() < 1e-9, "{share}");
    assert_eq!(
        prometheus.value(ALERT_EXPRESSIONS[10]).await,
        Some(0.0),
        "drums has a zero series and no booking"
    );

    check_rules_loaded(&prometheus).await;
    check_dashboard_queries(&prometheus).await;
}

/// The alert rules file loads into the live server with every expression.
async fn check_rules_loaded(prometheus: &Prometheus) {
    let rules: Value = prometheus
        .client
        .get(format!("{}/api/v1/rules", prometheus.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let loaded: Vec<String> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group["rules"].as_array().unwrap().iter())
        .map(|rule| rule["query"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        loaded.len(),
        ALERT_EXPRESSIONS.len(),
        "one rule per alert expression: {loaded:?}"
    );
    for rule in &rules["data"]["groups"][0]["rules"].as_array().unwrap()[..] {
        assert_eq!(rule["health"], "ok", "{rule}");
    }
}

/// Every panel query of the Grafana dashboard evaluates without error, with
/// Grafana's variables replaced as Grafana would.
async fn check_dashboard_queries(prometheus: &Prometheus) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/bookings.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut exprs = Vec::new();
    collect_exprs(&dashboard["panels"], &mut exprs);
    assert!(exprs.len() >= 8, "the dashboard has its panels: {exprs:?}");
    for expr in exprs {
        let concrete = expr
            .replace("$__rate_interval", "1m")
            .replace("$__interval", "15s")
            .replace("$__range", "1h")
            .replace("$resource_id", ".*")
            .replace("${resource_id}", ".*");
        assert!(!concrete.contains('$'), "unknown variable in {expr}");
        let result = prometheus.query(&concrete).await;
        assert!(
            !result.is_empty(),
            "{concrete} returned nothing for the known data"
        );
    }
}

fn collect_exprs(panels: &Value, exprs: &mut Vec<String>) {
    for panel in panels.as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                exprs.push(expr.to_owned());
            }
        }
        collect_exprs(&panel["panels"], exprs);
    }
}
