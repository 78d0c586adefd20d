//! Weekly lesson series: the same studio wall-clock time every N weeks, from
//! a first date until a last date or for a number of lessons.
//!
//! Occurrences are computed on the studio's wall clock, so a 17:00 lesson
//! stays 17:00 local across daylight saving changes (its UTC instant moves).
//! Two wall-clock times have no single instant, and follow these rules,
//! which the API reports for every occurrence they touch:
//! - a time inside a spring-forward gap (02:30 when clocks jump from 02:00
//!   to 03:00) moves forward by the length of the gap (to 03:30), as RFC 5545
//!   section 3.3.5 prescribes for recurring events;
//! - a time inside a fall-back repeat (01:30 when clocks go back from 02:00
//!   to 01:00) takes the first of the two instants.
//!
//! Weekly series have no dates that are missing in some years (unlike a
//! monthly lesson on the 31st), so those two are the only adjustments.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use serde::Serialize;

use crate::time::StudioZone;

/// Most lessons one series may hold: five years of weekly lessons.
pub const MAX_OCCURRENCES: u32 = 260;
/// Maximum number of weeks between two lessons of a series.
pub const MAX_INTERVAL_WEEKS: u32 = 52;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesEnd {
    /// The last date a lesson may fall on, inclusive.
    Until(NaiveDate),
    /// The number of lessons.
    Count(u32),
}

/// A weekly series on the studio's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRule {
    pub first_date: NaiveDate,
    pub local_time: NaiveTime,
    pub interval_weeks: u32,
    pub end: SeriesEnd,
}

/// The adjustment made when mapping an occurrence's wall-clock time to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// The time falls in a spring-forward gap and moved later by this many
    /// minutes.
    ShiftedForward { minutes: i64 },
    /// The time occurs twice; the first instant was taken.
    FirstOfRepeat,
}

/// One lesson of a series: its date on the studio calendar and its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub date: NaiveDate,
    pub start: DateTime<Utc>,
    pub adjustment: Option<Adjustment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    #[error("interval_weeks {0} is out of range: use 1 to {MAX_INTERVAL_WEEKS}")]
    Interval(u32),
    #[error("count {0} is out of range: use 1 to {MAX_OCCURRENCES}")]
    Count(u32),
    #[error("until {until} is before the first lesson on {first}: pick a later date")]
    UntilBeforeStart { until: NaiveDate, first: NaiveDate },
    #[error(
        "the series would hold more than {MAX_OCCURRENCES} lessons: pick an earlier until date or a count"
    )]
    TooMany,
}

impl WeeklyRule {
    /// # Errors
    /// An interval, count or until date out of range.
    pub fn validate(&self) -> Result<(), SeriesError> {
        if !(1..=MAX_INTERVAL_WEEKS).contains(&self.interval_weeks) {
            return Err(SeriesError::Interval(self.interval_weeks));
        }
        match self.end {
            SeriesEnd::Count(count) if !(1..=MAX_OCCURRENCES).contains(&count) => {
                Err(SeriesError::Count(count))
            }
            SeriesEnd::Until(until) if until < self.first_date => Err(SeriesError::UntilBeforeStart {
                until,
                first: self.first_date,
            }),
            SeriesEnd::Until(until) => {
                let weeks = (until - self.first_date).num_weeks();
                let lessons = weeks / i64::from(self.interval_weeks) + 1;
                if lessons > i64::from(MAX_OCCURRENCES) {
                    Err(SeriesError::TooMany)
                } else {
                    Ok(())
                }
            }
            SeriesEnd::Count(_) => Ok(()),
        }
    }

    /// Returns the date of every lesson, in order.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let step = Duration::weeks(i64::from(self.interval_weeks.max(1)));
        let mut dates = Vec::new();
        let mut date = self.first_date;
        loop {
            let within = match self.end {
                SeriesEnd::Until(until) => date <= until,
                SeriesEnd::Count(count) => dates.len() < count as usize,
            };
            if !within || dates.len() >= MAX_OCCURRENCES as usize {
                return dates;
            }
            dates.push(date);
            date += step;
        }
    }

    /// Returns every lesson with its instant, in order.
    pub fn slots(&self, zone: StudioZone) -> Vec<Slot> {
        self.dates()
            .into_iter()
            .map(|date| {
                let (start, adjustment) = wall_clock_instant(date.and_time(self.local_time), zone);
                Slot {
                    date,
                    start,
                    adjustment,
                }
            })
            .collect()
    }
}

/// Maps a studio wall-clock time to an instant by the series rules: a time
/// in a gap moves forward by the gap, a repeated time takes its first
/// instant.
pub fn wall_clock_instant(local: NaiveDateTime, zone: StudioZone) -> (DateTime<Utc>, Option<Adjustment>) {
    let tz = zone.tz();
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => (instant.with_timezone(&Utc), None),
        LocalResult::Ambiguous(first, _) => (first.with_timezone(&Utc), Some(Adjustment::FirstOfRepeat)),
        LocalResult::None => {
            // Read the time with the offset in force just before the gap:
            // the instant lands after the gap by as much as the time was
            // into it.
            let before = (1..=48)
                .find_map(
                    |hours| match tz.from_local_datetime(&(local - Duration::hours(hours))) {
                        LocalResult::Single(earlier) | LocalResult::Ambiguous(_, earlier) => Some(earlier),
                        LocalResult::None => None,
                    },
                )
                .expect("a gap lasts less than two days");
            let offset = before.offset().fix();
            let instant = (local - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc();
            let shown = instant.with_timezone(&tz).naive_local();
            let minutes = (shown - local).num_minutes();
            (instant, Some(Adjustment::ShiftedForward { minutes }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> StudioZone {
        name.parse().unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn weekly(first: &str, time: &str, end: SeriesEnd) -> WeeklyRule {
        WeeklyRule {
            first_date: date(first),
            local_time: time.parse().unwrap(),
            interval_weeks: 1,
            end,
        }
    }

    fn utc(slot: &Slot) -> String {
        slot.start.format("%Y-%m-%dT%H:%MZ").to_string()
    }

    #[test]
    fn new_york_keeps_five_pm_across_both_changes() {
        // DST starts 2027-03-14 and ends 2027-11-07 in New York.
        let rule = weekly("2027-03-08", "17:00", SeriesEnd::Until(date("2027-11-08")));
        let slots = rule.slots(zone("America/New_York"));
        assert_eq!(utc(&slots[0]), "2027-03-08T22:00Z");
        assert_eq!(utc(&slots[1]), "2027-03-15T21:00Z");
        assert_eq!(
            utc(slots.iter().find(|s| s.date == date("2027-11-01")).unwrap()),
            "2027-11-01T21:00Z"
        );
        assert_eq!(utc(slots.last().unwrap()), "2027-11-08T22:00Z");
        assert!(slots.iter().all(|s| s.adjustment.is_none()));
    }

    #[test]
    fn london_and_sydney_keep_local_time() {
        // London: BST 2027-03-28 to 2027-10-31.
        let london = weekly("2027-03-22", "17:00", SeriesEnd::Count(3)).slots(zone("Europe/London"));
        let london: Vec<String> = london.iter().map(utc).collect();
        assert_eq!(
            london,
            ["2027-03-22T17:00Z", "2027-03-29T16:00Z", "2027-04-05T16:00Z"]
        );
        let autumn = weekly("2027-10-25", "17:00", SeriesEnd::Count(2)).slots(zone("Europe/London"));
        assert_eq!(
            autumn.iter().map(utc).collect::<Vec<_>>(),
            ["2027-10-25T16:00Z", "2027-11-01T17:00Z"]
        );

        // Sydney: daylight time ends 2027-04-04 and starts 2027-10-03.
        let sydney = weekly("2027-03-29", "17:00", SeriesEnd::Count(2)).slots(zone("Australia/Sydney"));
        assert_eq!(
            sydney.iter().map(utc).collect::<Vec<_>>(),
            ["2027-03-29T06:00Z", "2027-04-05T07:00Z"]
        );
        let spring = weekly("2027-09-27", "17:00", SeriesEnd::Count(2)).slots(zone("Australia/Sydney"));
        assert_eq!(
            spring.iter().map(utc).collect::<Vec<_>>(),
            ["2027-09-27T07:00Z", "2027-10-04T06:00Z"]
        );
    }

    #[test]
    fn gap_moves_forward_and_repeat_takes_first() {
        // Sundays at 02:30 in New York: 2027-03-14 has no 02:30.
        let slots = weekly("2027-03-07", "02:30", SeriesEnd::Count(2)).slots(zone("America/New_York"));
        assert_eq!(utc(&slots[1]), "2027-03-14T07:30Z", "03:30 EDT");
        assert_eq!(
            slots[1].adjustment,
            Some(Adjustment::ShiftedForward { minutes: 60 })
        );

        // 01:30 happens twice on 2027-11-07.
        let slots = weekly("2027-11-07", "01:30", SeriesEnd::Count(1)).slots(zone("America/New_York"));
        assert_eq!(utc(&slots[0]), "2027-11-07T05:30Z", "01:30 EDT, the first");
        assert_eq!(slots[0].adjustment, Some(Adjustment::FirstOfRepeat));
    }

    #[test]
    fn interval_count_and_until() {
        let rule = WeeklyRule {
            interval_weeks: 2,
            ..weekly("2027-01-04", "16:00", SeriesEnd::Until(date("2027-02-15")))
        };
        let dates: Vec<String> = rule.dates().iter().map(ToString::to_string).collect();
        assert_eq!(dates, ["2027-01-04", "2027-01-18", "2027-02-01", "2027-02-15"]);
        assert_eq!(
            weekly("2027-01-04", "16:00", SeriesEnd::Count(5)).dates().len(),
            5
        );
    }

    #[test]
    fn validation_names_the_fix() {
        let zero = WeeklyRule {
            interval_weeks: 0,
            ..weekly("2027-01-04", "16:00", SeriesEnd::Count(5))
        };
        assert_eq!(zero.validate(), Err(SeriesError::Interval(0)));
        assert_eq!(
            weekly("2027-01-04", "16:00", SeriesEnd::Count(261)).validate(),
            Err(SeriesError::Count(261))
        );
        assert!(matches!(
            weekly("2027-01-04", "16:00", SeriesEnd::Until(date("2027-01-01"))).validate(),
            Err(SeriesError::UntilBeforeStart { .. })
        ));
        assert_eq!(
            weekly("2027-01-04", "16:00", SeriesEnd::Until(date("2032-06-01"))).validate(),
            Err(SeriesError::TooMany)
        );
        assert!(
            weekly("2027-01-04", "16:00", SeriesEnd::Until(date("2027-06-01")))
                .validate()
                .is_ok()
        );
    }
}
