//! Aggregates behind the Prometheus metrics. Every booking write updates them
//! in its own transaction, so they always agree with the bookings table, and a
//! scrape reads a handful of rows whatever the size of the history.
//!
//! Totals count events and never go down. Per-resource values are the current
//! state. The reschedule lead-time median is kept exact by moving a pointer
//! to the lower median one step through the `(lead_time_hours, id)` index on
//! each new initiation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::{ResultExt, StoreError};

/// Upper bounds (`le`, inclusive) of the lesson-duration histogram, in
/// minutes; a final `+Inf` bucket follows.
pub const DURATION_BUCKETS: [u32; 9] = [0, 15, 30, 45, 60, 90, 120, 240, 480];

fn bucket_key(duration_min: u32) -> String {
    DURATION_BUCKETS
        .iter()
        .find(|&&le| duration_min <= le)
        .map_or_else(|| "duration_le_inf".to_owned(), |le| format!("duration_le_{le}"))
}

fn add_total(tx: &Transaction<'_>, name: &str, delta: f64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO metric_totals (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    )
    .op("update metric totals")?
    .execute(params![name, delta])
    .op("update metric totals")?;
    Ok(())
}

fn set_total(tx: &Transaction<'_>, name: &str, value: f64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO metric_totals (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .op("update metric totals")?
    .execute(params![name, value])
    .op("update metric totals")?;
    Ok(())
}

fn add_state(tx: &Transaction<'_>, resource_id: &str, name: &str, delta: f64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO metric_resource_state (resource_id, name, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (resource_id, name) DO UPDATE SET value = value + excluded.value",
    )
    .op("update resource metrics")?
    .execute(params![resource_id, name, delta])
    .op("update resource metrics")?;
    Ok(())
}

fn total(conn: &Connection, name: &str) -> Result<f64, StoreError> {
    conn.prepare_cached("SELECT value FROM metric_totals WHERE name = ?1")
        .op("read metric totals")?
        .query_row([name], |row| row.get(0))
        .optional()
        .op("read metric totals")
        .map(Option::unwrap_or_default)
}

/// A booking was confirmed on `resource_id`.
pub(crate) fn on_confirmed(
    tx: &Transaction<'_>,
    resource_id: &str,
    duration_min: u32,
) -> Result<(), StoreError> {
    let minutes = f64::from(duration_min);
    add_total(tx, "confirmed_total", 1.0)?;
    add_total(tx, "confirmed_minutes_total", minutes)?;
    add_total(tx, "duration_sum", minutes)?;
    add_total(tx, &bucket_key(duration_min), 1.0)?;
    add_state(tx, resource_id, "confirmed", 1.0)?;
    add_state(tx, resource_id, "confirmed_minutes", minutes)
}

/// A confirmed booking was cancelled, late or not.
pub(crate) fn on_cancelled(
    tx: &Transaction<'_>,
    resource_id: &str,
    duration_min: u32,
    late: bool,
) -> Result<(), StoreError> {
    add_state(tx, resource_id, "confirmed", -1.0)?;
    add_state(tx, resource_id, "confirmed_minutes", -f64::from(duration_min))?;
    if late {
        add_total(tx, "cancelled_late_total", 1.0)?;
        add_state(tx, resource_id, "cancelled_late", 1.0)?;
    }
    Ok(())
}

/// A reschedule completed, possibly moving the booking to another resource.
pub(crate) fn on_rescheduled(
    tx: &Transaction<'_>,
    from_resource: &str,
    to_resource: &str,
    duration_min: u32,
) -> Result<(), StoreError> {
    add_total(tx, "reschedule_completed_total", 1.0)?;
    if from_resource != to_resource {
        let minutes = f64::from(duration_min);
        add_state(tx, from_resource, "confirmed", -1.0)?;
        add_state(tx, from_resource, "confirmed_minutes", -minutes)?;
        add_state(tx, to_resource, "confirmed", 1.0)?;
        add_state(tx, to_resource, "confirmed_minutes", minutes)?;
    }
    Ok(())
}

/// A confirmed booking moved resource or changed length without a
/// reschedule (a series change): only the per-resource gauges move.
pub(crate) fn on_changed(
    tx: &Transaction<'_>,
    from_resource: &str,
    from_minutes: u32,
    to_resource: &str,
    to_minutes: u32,
) -> Result<(), StoreError> {
    add_state(tx, from_resource, "confirmed", -1.0)?;
    add_state(tx, from_resource, "confirmed_minutes", -f64::from(from_minutes))?;
    add_state(tx, to_resource, "confirmed", 1.0)?;
    add_state(tx, to_resource, "confirmed_minutes", f64::from(to_minutes))
}

/// The neighbour of `(lead, id)` in `(lead_time_hours, id)` order.
fn neighbour(tx: &Connection, lead: f64, id: i64, next: bool) -> Result<Option<(f64, i64)>, StoreError> {
    let sql = if next {
        "SELECT lead_time_hours, id FROM reschedules WHERE (lead_time_hours, id) > (?1, ?2) \
         ORDER BY lead_time_hours, id LIMIT 1"
    } else {
        "SELECT lead_time_hours, id FROM reschedules WHERE (lead_time_hours, id) < (?1, ?2) \
         ORDER BY lead_time_hours DESC, id DESC LIMIT 1"
    };
    tx.prepare_cached(sql)
        .op("step the lead-time median")?
        .query_row(params![lead, id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .op("step the lead-time median")
}

fn lead_of(conn: &Connection, id: i64) -> Result<f64, StoreError> {
    conn.prepare_cached("SELECT lead_time_hours FROM reschedules WHERE id = ?1")
        .op("read a reschedule lead time")?
        .query_row([id], |row| row.get(0))
        .op("read a reschedule lead time")
}

/// A reschedule `id` with `lead_hours` was initiated (its row is already
/// inserted). Keeps the lower-median pointer at position `(n - 1) / 2`.
pub(crate) fn on_reschedule_initiated(
    tx: &Transaction<'_>,
    id: i64,
    lead_hours: f64,
) -> Result<(), StoreError> {
    let before = total(tx, "reschedule_initiated_total")?;
    add_total(tx, "reschedule_initiated_total", 1.0)?;
    add_total(tx, "reschedule_lead_time_hours_sum", lead_hours)?;

    #[allow(clippy::cast_possible_truncation)]
    let (count, lower) = (before as i64, total(tx, "reschedule_median_lo_id")? as i64);
    let new_lower = if count == 0 {
        id
    } else {
        let lower_lead = lead_of(tx, lower)?;
        // The new row has the highest id, so on equal lead times it sorts after.
        let inserted_before = lead_hours < lower_lead;
        let step = match (count % 2 == 1, inserted_before) {
            (true, true) => neighbour(tx, lower_lead, lower, false)?,
            (false, false) => neighbour(tx, lower_lead, lower, true)?,
            _ => None,
        };
        step.map_or(lower, |(_, id)| id)
    };
    #[allow(clippy::cast_precision_loss)]
    set_total(tx, "reschedule_median_lo_id", new_lower as f64)
}

/// Current state of one resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceMetrics {
    pub confirmed: f64,
    pub confirmed_minutes: f64,
    pub cancelled_late: f64,
    /// Confirmed minutes of lessons starting inside the day asked for.
    pub day_minutes: f64,
}

/// Everything a scrape exposes, read in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub confirmed_total: f64,
    pub cancelled_late_total: f64,
    pub confirmed_minutes_total: f64,
    pub reschedule_completed_total: f64,
    /// Non-cumulative counts per `DURATION_BUCKETS` bound, then `+Inf`.
    pub duration_buckets: Vec<u64>,
    pub duration_sum: f64,
    pub reschedule_initiated: f64,
    /// NaN before the first reschedule request.
    pub lead_time_avg_hours: f64,
    /// NaN before the first reschedule request.
    pub lead_time_median_hours: f64,
    pub resources: BTreeMap<String, ResourceMetrics>,
}

impl MetricsSnapshot {
    /// Reads the aggregates, and the confirmed minutes of lessons starting in
    /// `[day_start, day_end)` per resource for utilization.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when a query fails.
    pub fn read(
        conn: &Connection,
        day_start: DateTime<Utc>,
        day_end: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let totals: BTreeMap<String, f64> = {
            let mut stmt = conn
                .prepare_cached("SELECT name, value FROM metric_totals")
                .op("read metric totals")?;
            let rows = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .op("read metric totals")?;
            rows.collect::<rusqlite::Result<_>>().op("read metric totals")?
        };
        let get = |name: &str| totals.get(name).copied().unwrap_or_default();

        let mut duration_buckets: Vec<u64> = DURATION_BUCKETS
            .iter()
            .map(|le| get(&format!("duration_le_{le}")) as u64)
            .collect();
        duration_buckets.push(get("duration_le_inf") as u64);

        let initiated = get("reschedule_initiated_total");
        let (avg, median) = if initiated > 0.0 {
            (
                get("reschedule_lead_time_hours_sum") / initiated,
                median(conn, initiated, get("reschedule_median_lo_id"))?,
            )
        } else {
            // No reschedule yet: there is no lead time to report, and NaN
            // keeps threshold alerts on it silent instead of reading 0 hours.
            (f64::NAN, f64::NAN)
        };

        Ok(Self {
            confirmed_total: get("confirmed_total"),
            cancelled_late_total: get("cancelled_late_total"),
            confirmed_minutes_total: get("confirmed_minutes_total"),
            reschedule_completed_total: get("reschedule_completed_total"),
            duration_buckets,
            duration_sum: get("duration_sum"),
            reschedule_initiated: initiated,
            lead_time_avg_hours: avg,
            lead_time_median_hours: median,
            resources: read_resources(conn, day_start, day_end)?,
        })
    }
}

#[allow(clippy::cast_possible_truncation)]
fn median(conn: &Connection, count: f64, lower_id: f64) -> Result<f64, StoreError> {
    let lower_id = lower_id as i64;
    let lower = lead_of(conn, lower_id)?;
    if (count as i64) % 2 == 1 {
        return Ok(lower);
    }
    let upper = neighbour(conn, lower, lower_id, true)?.map_or(lower, |(lead, _)| lead);
    Ok((lower + upper) / 2.0)
}

fn read_resources(
    conn: &Connection,
    day_start: DateTime<Utc>,
    day_end: DateTime<Utc>,
) -> Result<BTreeMap<String, ResourceMetrics>, StoreError> {
    let mut resources: BTreeMap<String, ResourceMetrics> = BTreeMap::new();
    let mut stmt = conn
        .prepare_cached("SELECT resource_id, name, value FROM metric_resource_state")
        .op("read resource metrics")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, f64>(2)?,
            ))
        })
        .op("read resource metrics")?;
    for row in rows {
        let (resource, name, value) = row.op("read resource metrics")?;
        let entry = resources.entry(resource).or_default();
        match name.as_str() {
            "confirmed" => entry.confirmed = value,
            "confirmed_minutes" => entry.confirmed_minutes = value,
            "cancelled_late" => entry.cancelled_late = value,
            _ => {}
        }
    }

    let mut stmt = conn
        .prepare_cached(
            "SELECT COALESCE(resource_id, 'primary'), SUM(duration_min) FROM bookings \
             WHERE status = 'confirmed' AND start_at >= ?1 AND start_at < ?2 GROUP BY 1",
        )
        .op("read today's booked minutes")?;
    let rows = stmt
        .query_map(params![day_start.timestamp(), day_end.timestamp()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, f64>(1)?))
        })
        .op("read today's booked minutes")?;
    for row in rows {
        let (resource, minutes) = row.op("read today's booked minutes")?;
        resources.entry(resource).or_default().day_minutes = minutes;
    }
    Ok(resources)
}
