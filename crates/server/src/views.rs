//! Response bodies that add studio-local times to stored rows.

use chrono::{DateTime, Utc};
use melody_domain::StudioZone;
use melody_store::{Booking, Conflict, ConflictOn};
use serde::Serialize;
use utoipa::ToSchema;

/// A booking with its end and its start and end in studio-local time.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    #[serde(flatten)]
    pub booking: Booking,
    /// End instant, UTC: `start + duration_min` (exclusive).
    pub end: DateTime<Utc>,
    /// Start in the studio zone, RFC 3339 with the offset in force.
    pub start_local: String,
    /// End in the studio zone, RFC 3339 with the offset in force.
    pub end_local: String,
}

impl BookingView {
    pub fn new(booking: Booking, zone: StudioZone) -> Self {
        let end = booking.end();
        Self {
            start_local: zone.to_local_rfc3339(booking.start),
            end_local: zone.to_local_rfc3339(end),
            end,
            booking,
        }
    }
}

/// An existing booking a request overlaps, and on what.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictView {
    pub booking: BookingView,
    pub on: Vec<ConflictOn>,
}

impl ConflictView {
    pub fn new(conflict: Conflict, zone: StudioZone) -> Self {
        Self {
            on: conflict.on,
            booking: BookingView::new(conflict.booking, zone),
        }
    }
}
