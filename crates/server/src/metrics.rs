//! `GET /api/admin/metrics`: the Prometheus text exposition, built with the
//! `prometheus` crate from the aggregates the store keeps in step with every
//! booking write.
//!
//! Series stability: with an allowlist, every allowed resource has its
//! per-resource series (zero before its first booking). Without one, every
//! resource seen in a booking has them, and `primary` always does.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use melody_store::{MetricsSnapshot, ResourceMetrics, DURATION_BUCKETS};
use prometheus::proto::{Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, TextEncoder};

use crate::{ApiError, AppState, Settings};

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_owned());
    family.set_help(help.to_owned());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

fn counter(name: &str, help: &str, value: f64) -> MetricFamily {
    let mut counter = Counter::default();
    counter.set_value(value);
    let mut metric = Metric::default();
    metric.set_counter(counter);
    family(name, help, MetricType::COUNTER, vec![metric])
}

fn gauge_metric(value: f64, resource_id: Option<&str>) -> Metric {
    let mut gauge = Gauge::default();
    gauge.set_value(value);
    let mut metric = Metric::from_gauge(gauge);
    if let Some(resource_id) = resource_id {
        let mut label = LabelPair::default();
        label.set_name("resource_id".to_owned());
        label.set_value(resource_id.to_owned());
        metric.set_label(vec![label]);
    }
    metric
}

fn gauge(name: &str, help: &str, value: f64) -> MetricFamily {
    family(name, help, MetricType::GAUGE, vec![gauge_metric(value, None)])
}

fn per_resource(
    name: &str,
    help: &str,
    resources: &[(String, ResourceMetrics)],
    value: impl Fn(&str, &ResourceMetrics) -> f64,
) -> MetricFamily {
    let metrics = resources
        .iter()
        .map(|(id, state)| gauge_metric(value(id, state), Some(id)))
        .collect();
    family(name, help, MetricType::GAUGE, metrics)
}

fn duration_histogram(snapshot: &MetricsSnapshot) -> MetricFamily {
    let mut cumulative = 0;
    let buckets = DURATION_BUCKETS
        .iter()
        .zip(&snapshot.duration_buckets)
        .map(|(le, count)| {
            cumulative += count;
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(f64::from(*le));
            bucket.set_cumulative_count(cumulative);
            bucket
        })
        .collect();
    let mut histogram = Histogram::default();
    histogram.set_bucket(buckets);
    histogram.set_sample_count(snapshot.duration_buckets.iter().sum());
    histogram.set_sample_sum(snapshot.duration_sum);
    let mut metric = Metric::default();
    metric.set_histogram(histogram);
    family(
        "melody_booking_duration_minutes",
        "Lesson length of each booking confirmation, in minutes (le inclusive).",
        MetricType::HISTOGRAM,
        vec![metric],
    )
}

/// The resources that get per-resource series, with their state.
fn resource_series(snapshot: &MetricsSnapshot, settings: &Settings) -> Vec<(String, ResourceMetrics)> {
    let mut ids: BTreeSet<String> = snapshot.resources.keys().cloned().collect();
    if settings.allowlist.is_enforced() {
        ids.extend(settings.allowlist.ids().iter().map(ToString::to_string));
    } else {
        ids.insert(melody_domain::ids::PRIMARY_RESOURCE.to_owned());
    }
    ids.into_iter()
        .map(|id| {
            let state = snapshot.resources.get(&id).cloned().unwrap_or_default();
            (id, state)
        })
        .collect()
}

/// Every metric family, in a stable order.
pub fn families(snapshot: &MetricsSnapshot, settings: &Settings) -> Vec<MetricFamily> {
    let resources = resource_series(snapshot, settings);
    vec![
        counter("melody_bookings_confirmed_total", "Booking confirmations, all resources.", snapshot.confirmed_total),
        per_resource("melody_bookings_confirmed", "Bookings currently confirmed, per resource.", &resources, |_, r| r.confirmed),
        counter(
            "melody_bookings_cancelled_late_total",
            "Late cancellations (penalty_reason=late_cancel), all resources.",
            snapshot.cancelled_late_total,
        ),
        per_resource("melody_bookings_cancelled_late", "Bookings cancelled late, per resource.", &resources, |_, r| r.cancelled_late),
        counter(
            "melody_bookings_confirmed_minutes_total",
            "Lesson minutes of booking confirmations, all resources.",
            snapshot.confirmed_minutes_total,
        ),
        per_resource(
            "melody_bookings_confirmed_minutes",
            "Lesson minutes of bookings currently confirmed, per resource.",
            &resources,
            |_, r| r.confirmed_minutes,
        ),
        per_resource(
            "melody_bookings_utilization_percent",
            "Ratio (0 to 1) of confirmed minutes starting today, studio time, to the daily capacity in RESOURCE_CAPACITY_MINUTES; 0 without a capacity.",
            &resources,
            |id, r| settings.capacity.utilization(id, r.day_minutes),
        ),
        duration_histogram(snapshot),
        gauge(
            "melody_reschedule_lead_time_hours_avg",
            "Mean hours between a reschedule request and the original start, over all requests.",
            snapshot.lead_time_avg_hours,
        ),
        gauge(
            "melody_reschedule_lead_time_hours_median",
            "Median hours between a reschedule request and the original start, over all requests.",
            snapshot.lead_time_median_hours,
        ),
        counter("melody_reschedule_completed_total", "Completed reschedules.", snapshot.reschedule_completed_total),
    ]
}

/// Serve the metrics in the Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (day_start, day_end) = state.settings.zone.day_bounds(state.now());
    let snapshot = state
        .run(move |store| store.read(|conn| MetricsSnapshot::read(conn, day_start, day_end)))
        .await?;

    let encoder = TextEncoder::new();
    let mut body = Vec::with_capacity(4096);
    encoder
        .encode(&families(&snapshot, &state.settings), &mut body)
        .map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, encoder.format_type().to_owned())], body).into_response())
}
