//! Booking types and rules of the studio, with no I/O: every policy takes
//! `now` as a parameter so callers and tests decide what time it is.

pub mod booking;
pub mod capacity;
pub mod ids;
pub mod people;
pub mod policy;
pub mod series;
pub mod time;

pub use booking::{BookingStatus, LessonWindow, PenaltyReason, MAX_DURATION_MIN};
pub use capacity::ResourceCapacity;
pub use ids::{ResourceAllowlist, ResourceId, ResourceKind};
pub use people::{Email, PersonName};
pub use policy::{cancellation_outcome, reschedule_lead_time_hours, CancellationOutcome, LateCancelWindow};
pub use series::{wall_clock_instant, Adjustment, SeriesEnd, SeriesError, Slot, WeeklyRule};
pub use time::{parse_start, StudioZone, TimeError};
