//! The studio's time zone and the rule for reading a lesson start.
//!
//! Instants are UTC everywhere inside the app. A start written with an offset
//! (`2026-03-02T16:00:00-05:00`, `...Z`) is that instant. A start written
//! without one (`2026-03-02T16:00` or `2026-03-02T16:00:00`) is a wall-clock
//! time in the studio zone; when that wall time does not exist there (the
//! spring-forward gap) or exists twice (the fall-back hour) it is rejected, and
//! the error tells how to write it unambiguously. Nothing reads the machine's
//! `TZ`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The studio's IANA time zone, such as `America/New_York`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudioZone(Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "time zone {value:?} is not an IANA zone name: use one such as \"America/New_York\" or \"Europe/London\""
)]
pub struct UnknownZone {
    pub value: String,
}

impl StudioZone {
    pub fn new(tz: Tz) -> Self {
        Self(tz)
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The studio-local calendar day containing `instant`, as the UTC
    /// instants of its first and last-plus-one moments. A day is 23 or 25
    /// hours long when the clocks change; where midnight itself is skipped,
    /// the day starts at the first moment that exists.
    pub fn day_bounds(&self, instant: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let date = instant.with_timezone(&self.0).date_naive();
        let start_of = |day: chrono::NaiveDate| {
            let midnight = day.and_time(chrono::NaiveTime::MIN);
            (0..=4)
                .find_map(|hour| {
                    self.0
                        .from_local_datetime(&(midnight + chrono::Duration::hours(hour)))
                        .earliest()
                })
                .map_or_else(|| midnight.and_utc(), |local| local.with_timezone(&Utc))
        };
        let next = date.succ_opt().unwrap_or(date);
        (start_of(date), start_of(next))
    }

    /// Formats an instant as studio-local RFC 3339, with the offset in force.
    pub fn to_local_rfc3339(&self, instant: DateTime<Utc>) -> String {
        instant.with_timezone(&self.0).to_rfc3339()
    }
}

impl Default for StudioZone {
    fn default() -> Self {
        Self(Tz::UTC)
    }
}

impl FromStr for StudioZone {
    type Err = UnknownZone;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        value.parse::<Tz>().map(Self).map_err(|_| UnknownZone {
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for StudioZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("time {value:?} is invalid: use RFC 3339 with an offset, such as 2026-03-02T16:00:00-05:00, or a studio-local time such as 2026-03-02T16:00")]
    Malformed { value: String },
    #[error("time {value:?} is outside the supported range: use a date from {MIN_YEAR} to {MAX_YEAR}")]
    OutOfRange { value: String },
    #[error("local time {value:?} does not exist in {zone} (the clocks skip it when daylight saving starts): pick a time outside the gap, or give an offset")]
    Nonexistent { value: String, zone: &'static str },
    #[error("local time {value:?} happens twice in {zone} (the clocks repeat that hour when daylight saving ends): add the offset, {earlier} for the first or {later} for the second")]
    Ambiguous {
        value: String,
        zone: &'static str,
        earlier: String,
        later: String,
    },
}

const LOCAL_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"];

/// Years a lesson may start in. Outside them a date is a typo, and beyond
/// year 9999 an end time could not be written as RFC 3339.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2199;

/// Reads a lesson start by the rule in this module's header.
///
/// # Errors
/// `TimeError` names the value and, for gaps and repeats, the zone and the
/// offsets that would make it unambiguous.
pub fn parse_start(value: &str, zone: StudioZone) -> Result<DateTime<Utc>, TimeError> {
    let instant = parse_instant(value, zone)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&instant.year()) {
        return Err(TimeError::OutOfRange {
            value: value.to_owned(),
        });
    }
    Ok(instant)
}

fn parse_instant(value: &str, zone: StudioZone) -> Result<DateTime<Utc>, TimeError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(value) {
        return Ok(instant.with_timezone(&Utc));
    }
    // RFC 3339 needs seconds; a desk typing `16:00-05:00` means the same.
    if let Ok(instant) = DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M%#z") {
        return Ok(instant.with_timezone(&Utc));
    }
    let naive = LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .ok_or_else(|| TimeError::Malformed {
            value: value.to_owned(),
        })?;
    resolve_local(value, naive, zone)
}

/// Maps a studio wall-clock time to its instant, rejecting gaps and repeats.
///
/// # Errors
/// `TimeError::Nonexistent` or `TimeError::Ambiguous`.
pub fn resolve_local(
    value: &str,
    naive: NaiveDateTime,
    zone: StudioZone,
) -> Result<DateTime<Utc>, TimeError> {
    match zone.tz().from_local_datetime(&naive) {
        LocalResult::Single(local) => Ok(local.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::Nonexistent {
            value: value.to_owned(),
            zone: zone.name(),
        }),
        LocalResult::Ambiguous(earlier, later) => Err(TimeError::Ambiguous {
            value: value.to_owned(),
            zone: zone.name(),
            earlier: earlier.format("%:z").to_string(),
            later: later.format("%:z").to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_york() -> StudioZone {
        "America/New_York".parse().unwrap()
    }

    #[test]
    fn offsets_compare_as_instants() {
        let a = parse_start("2026-03-02T16:00:00-04:00", new_york()).unwrap();
        let b = parse_start("2026-03-02T20:00:00Z", new_york()).unwrap();
        assert_eq!(a, b, "16:00-04:00 and 20:00Z are one instant");
    }

    #[test]
    fn offset_without_seconds_accepted() {
        let a = parse_start("2026-03-02T16:00-05:00", new_york()).unwrap();
        assert_eq!(a.to_rfc3339(), "2026-03-02T21:00:00+00:00");
    }

    #[test]
    fn local_time_reads_in_studio_zone() {
        let instant = parse_start("2026-07-01T17:00", new_york()).unwrap();
        assert_eq!(instant.to_rfc3339(), "2026-07-01T21:00:00+00:00", "EDT is UTC-4");
        let winter = parse_start("2026-01-05T17:00:00", new_york()).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-05T22:00:00+00:00", "EST is UTC-5");
    }

    #[test]
    fn spring_forward_gap_rejected() {
        let err = parse_start("2026-03-08T02:30", new_york()).unwrap_err();
        assert!(matches!(err, TimeError::Nonexistent { .. }), "{err}");
    }

    #[test]
    fn fall_back_hour_rejected_with_offsets() {
        let err = parse_start("2026-11-01T01:30", new_york()).unwrap_err();
        let TimeError::Ambiguous { earlier, later, .. } = err else {
            panic!("01:30 on 2026-11-01 repeats in New York");
        };
        assert_eq!((earlier.as_str(), later.as_str()), ("-04:00", "-05:00"));
    }

    #[test]
    fn garbage_rejected() {
        for bad in ["", "tomorrow", "2026-13-01T10:00", "2026-03-02", "16:00"] {
            assert!(
                matches!(parse_start(bad, new_york()), Err(TimeError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn day_bounds_follow_dst() {
        let zone = new_york();
        let spring: DateTime<Utc> = "2026-03-08T15:00:00Z".parse().unwrap();
        let (start, end) = zone.day_bounds(spring);
        assert_eq!(start.to_rfc3339(), "2026-03-08T05:00:00+00:00", "midnight EST");
        assert_eq!(
            end.to_rfc3339(),
            "2026-03-09T04:00:00+00:00",
            "midnight EDT: a 23-hour day"
        );
    }

    #[test]
    fn far_dates_rejected() {
        for bad in [
            "9999-12-31T23:00:00Z",
            "0000-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "2200-01-01T00:00",
        ] {
            assert!(
                matches!(parse_start(bad, new_york()), Err(TimeError::OutOfRange { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_zone_rejected() {
        assert!("Mars/Olympus".parse::<StudioZone>().is_err());
    }
}
