//! Cancellation and reschedule policies. Each takes `now` as a parameter.

use chrono::{DateTime, Duration, Utc};

use crate::booking::PenaltyReason;

/// How long before a lesson's start a cancellation stops being free. Default
/// 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateCancelWindow(Duration);

/// Longest accepted late-cancel window: 30 days, in hours.
pub const MAX_LATE_CANCEL_HOURS: u32 = 720;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "late-cancel window {value:?} is invalid: use a whole number of hours from 0 to {MAX_LATE_CANCEL_HOURS}"
)]
pub struct InvalidWindow {
    pub value: String,
}

impl LateCancelWindow {
    /// # Errors
    /// `InvalidWindow` when `hours` is not a whole number in `0..=720`.
    pub fn from_hours_str(hours: &str) -> Result<Self, InvalidWindow> {
        hours
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|h| *h <= MAX_LATE_CANCEL_HOURS)
            .map(|h| Self(Duration::hours(i64::from(h))))
            .ok_or_else(|| InvalidWindow {
                value: hours.to_owned(),
            })
    }

    pub fn hours(&self) -> i64 {
        self.0.num_hours()
    }
}

impl Default for LateCancelWindow {
    fn default() -> Self {
        Self(Duration::hours(24))
    }
}

/// What a cancellation at `now` costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancellationOutcome {
    pub penalty: Option<PenaltyReason>,
}

impl CancellationOutcome {
    pub fn is_late(&self) -> bool {
        self.penalty.is_some()
    }
}

/// A cancellation is late when it comes less than the window before the
/// start, including after the start. Exactly at the window boundary it is not
/// late.
pub fn cancellation_outcome(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    window: LateCancelWindow,
) -> CancellationOutcome {
    let late = start - now < window.0;
    CancellationOutcome {
        penalty: late.then_some(PenaltyReason::LateCancel),
    }
}

/// Hours between a reschedule request and the original start, negative when
/// the lesson had already started. Kept to seconds precision.
pub fn reschedule_lead_time_hours(original_start: DateTime<Utc>, requested_at: DateTime<Utc>) -> f64 {
    let seconds = (original_start - requested_at).num_seconds();
    // f64 represents every whole second count within ±285 million years exactly.
    #[allow(clippy::cast_precision_loss)]
    let hours = seconds as f64 / 3600.0;
    hours
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 10, 16, 0, 0).unwrap()
    }

    #[test]
    fn late_cancel_at_exact_window_is_not_late() {
        let now = start() - Duration::hours(24);
        assert!(!cancellation_outcome(start(), now, LateCancelWindow::default()).is_late());
    }

    #[test]
    fn late_cancel_one_second_inside_window_is_late() {
        let now = start() - Duration::hours(24) + Duration::seconds(1);
        let outcome = cancellation_outcome(start(), now, LateCancelWindow::default());
        assert_eq!(outcome.penalty, Some(PenaltyReason::LateCancel));
    }

    #[test]
    fn cancel_after_start_is_late() {
        let now = start() + Duration::minutes(5);
        assert!(cancellation_outcome(start(), now, LateCancelWindow::default()).is_late());
    }

    #[test]
    fn early_cancel_is_free() {
        let now = start() - Duration::days(3);
        assert!(!cancellation_outcome(start(), now, LateCancelWindow::default()).is_late());
    }

    #[test]
    fn zero_window_never_late_before_start() {
        let window = LateCancelWindow::from_hours_str("0").unwrap();
        assert!(!cancellation_outcome(start(), start(), window).is_late());
    }

    #[test]
    fn window_parse_rejects_bad_values() {
        for bad in ["", "-1", "1.5", "721", "day"] {
            assert!(LateCancelWindow::from_hours_str(bad).is_err(), "{bad:?}");
        }
        assert_eq!(LateCancelWindow::from_hours_str("48").unwrap().hours(), 48);
    }

    #[test]
    fn lead_time_in_hours() {
        let requested = start() - Duration::minutes(90);
        assert!((reschedule_lead_time_hours(start(), requested) - 1.5).abs() < 1e-9);
        let after = start() + Duration::hours(2);
        assert!((reschedule_lead_time_hours(start(), after) + 2.0).abs() < 1e-9);
    }
}
