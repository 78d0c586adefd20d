//! A lesson's time window and the booking status values.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest lesson, in minutes (12 hours). A recital-hall day fits; anything
/// longer is almost certainly a typo. The store also relies on this bound to
/// keep overlap look-ups to a short index range.
pub const MAX_DURATION_MIN: u32 = 720;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duration_min {value} is invalid: use a whole number of minutes from 1 to {MAX_DURATION_MIN}")]
pub struct InvalidDuration {
    pub value: i64,
}

/// The half-open interval `[start, start + duration)` a lesson occupies. A
/// lesson ending at 16:00 does not overlap one starting at 16:00. Starts are
/// kept to whole seconds, the precision of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonWindow {
    start: DateTime<Utc>,
    duration_min: u32,
}

impl LessonWindow {
    /// # Errors
    /// `InvalidDuration` when `duration_min` is not in `1..=MAX_DURATION_MIN`.
    pub fn new(start: DateTime<Utc>, duration_min: i64) -> Result<Self, InvalidDuration> {
        let valid = u32::try_from(duration_min)
            .ok()
            .filter(|minutes| (1..=MAX_DURATION_MIN).contains(minutes));
        let Some(duration_min) = valid else {
            return Err(InvalidDuration { value: duration_min });
        };
        let start = DateTime::from_timestamp(start.timestamp(), 0).unwrap_or(start);
        Ok(Self { start, duration_min })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(i64::from(self.duration_min))
    }

    pub fn duration_min(&self) -> u32 {
        self.duration_min
    }

    pub fn overlaps(&self, other: &LessonWindow) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

/// Where a booking stands. Only `Confirmed` bookings take part in the
/// conflict rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    Confirmed,
    Cancelled,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("booking status {value:?} is unknown: use \"confirmed\" or \"cancelled\"")]
pub struct UnknownStatus {
    pub value: String,
}

impl FromStr for BookingStatus {
    type Err = UnknownStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "confirmed" => Ok(Self::Confirmed),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(UnknownStatus {
                value: value.to_owned(),
            }),
        }
    }
}

/// Why a cancelled booking carries a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyReason {
    LateCancel,
}

impl PenaltyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LateCancel => "late_cancel",
        }
    }
}

impl FromStr for PenaltyReason {
    type Err = UnknownStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "late_cancel" => Ok(Self::LateCancel),
            _ => Err(UnknownStatus {
                value: value.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
    }

    #[test]
    fn window_touching_end_does_not_overlap() {
        let first = LessonWindow::new(at(15, 0), 60).unwrap();
        let second = LessonWindow::new(at(16, 0), 30).unwrap();
        assert!(
            !first.overlaps(&second),
            "16:00 end and 16:00 start share no instant"
        );
        assert!(!second.overlaps(&first));
    }

    #[test]
    fn window_one_minute_in_overlaps() {
        let first = LessonWindow::new(at(15, 0), 61).unwrap();
        let second = LessonWindow::new(at(16, 0), 30).unwrap();
        assert!(first.overlaps(&second));
    }

    #[test]
    fn window_containing_other_overlaps() {
        let outer = LessonWindow::new(at(14, 0), 180).unwrap();
        let inner = LessonWindow::new(at(15, 0), 15).unwrap();
        assert!(outer.overlaps(&inner));
        assert!(inner.overlaps(&outer));
    }

    #[test]
    fn duration_bounds() {
        assert!(LessonWindow::new(at(9, 0), 0).is_err());
        assert!(LessonWindow::new(at(9, 0), -30).is_err());
        assert!(LessonWindow::new(at(9, 0), i64::from(MAX_DURATION_MIN) + 1).is_err());
        assert!(LessonWindow::new(at(9, 0), 1).is_ok());
        assert!(LessonWindow::new(at(9, 0), i64::from(MAX_DURATION_MIN)).is_ok());
    }

    #[test]
    fn window_drops_subsecond_precision() {
        let start = at(9, 0) + Duration::milliseconds(750);
        assert_eq!(LessonWindow::new(start, 30).unwrap().start(), at(9, 0));
    }
}
