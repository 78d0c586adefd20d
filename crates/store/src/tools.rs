//! Data tools run from the command line: the resource backfill and the
//! per-resource report.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, EventKind};
use crate::bookings::Booking;
use crate::error::{ResultExt, StoreError};

/// What one backfill run changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackfillOutcome {
    pub updated: usize,
    pub booking_ids: Vec<i64>,
}

/// Assigns `primary` to every booking that has no resource, writing one audit
/// entry and one analytics event per booking plus a summary audit entry. A
/// second run finds nothing to change and writes nothing.
///
/// # Errors
/// `StoreError::Sqlite` when a query fails; the transaction then rolls back.
pub fn backfill_resource_id(
    tx: &Transaction<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<BackfillOutcome, StoreError> {
    let booking_ids: Vec<i64> = {
        let mut stmt = tx
            .prepare("SELECT id FROM bookings WHERE resource_id IS NULL ORDER BY id")
            .op("find bookings without a resource")?;
        let rows = stmt
            .query_map([], |row| row.get(0))
            .op("find bookings without a resource")?;
        rows.collect::<rusqlite::Result<_>>()
            .op("find bookings without a resource")?
    };
    if booking_ids.is_empty() {
        return Ok(BackfillOutcome {
            updated: 0,
            booking_ids,
        });
    }

    let mut update = tx
        .prepare("UPDATE bookings SET resource_id = 'primary', updated_at = ?2 WHERE id = ?1")
        .op("backfill resource_id")?;
    for &id in &booking_ids {
        let before = Booking::get(tx, id)?;
        update
            .execute(rusqlite::params![id, now.timestamp()])
            .op("backfill resource_id")?;
        let after = Booking::get(tx, id)?;
        audit::record(
            tx,
            id,
            actor,
            now,
            "resource_backfilled",
            Some(&before),
            Some(&after),
        )?;
        let data = json!({ "from": null, "to": "primary" });
        audit::append_event(tx, EventKind::ResourceBackfilled, &after, now, &data)?;
    }

    let summary =
        json!({ "resource_id": "primary", "updated": booking_ids.len(), "booking_ids": booking_ids });
    audit::record(tx, None, actor, now, "backfill_resource_id", None, Some(&summary))?;
    Ok(BackfillOutcome {
        updated: booking_ids.len(),
        booking_ids,
    })
}

/// Booking counts of one resource; `resource_id` is `None` for bookings not
/// yet backfilled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceCount {
    pub resource_id: Option<String>,
    pub confirmed: u64,
    pub cancelled: u64,
    pub total: u64,
}

/// Booking counts grouped by `resource_id`, resources without bookings
/// included, ordered by id with the unassigned group last.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn resource_counts(conn: &Connection) -> Result<Vec<ResourceCount>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT id, \
                    COALESCE(SUM(status = 'confirmed'), 0), COALESCE(SUM(status = 'cancelled'), 0), COUNT(b_id) \
             FROM ( \
                 SELECT r.id AS id, b.status AS status, b.id AS b_id \
                 FROM resources r LEFT JOIN bookings b ON b.resource_id = r.id \
                 UNION ALL \
                 SELECT NULL, status, id FROM bookings WHERE resource_id IS NULL \
             ) \
             GROUP BY id ORDER BY id IS NULL, id",
        )
        .op("count bookings per resource")?;
    let rows = stmt
        .query_map([], |row| {
            Ok(ResourceCount {
                resource_id: row.get(0)?,
                confirmed: row.get(1)?,
                cancelled: row.get(2)?,
                total: row.get(3)?,
            })
        })
        .op("count bookings per resource")?;
    rows.collect::<rusqlite::Result<_>>()
        .op("count bookings per resource")
}
