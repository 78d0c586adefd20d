//! RRULE (RFC 5545 section 3.3.10): parsing and expansion in wall-clock time.
//!
//! The expansion is written here instead of taken from the `rrule` crate
//! (crates.io). Its documentation describes DTSTART, RDATE and EXDATE as
//! chrono-tz date-times, so zones known only from a file's VTIMEZONE
//! (Exchange's "Customized Time Zone") would need a second code path. Its
//! issue tracker also has open reports of duplicated and skipped
//! occurrences across DST changes. This expander works on naive wall-clock
//! times, so it serves events and VTIMEZONE rules alike. The DST gap and
//! ambiguity rules stay with the caller, where they are documented.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::value::DateValue;

/// FREQ values supported for lessons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// A BYDAY entry: weekday with an optional ordinal (`-1SU`, `3SA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayNum {
    pub ordinal: Option<i32>,
    pub weekday: Weekday,
}

/// A parsed RRULE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceRule {
    pub frequency: Frequency,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<DateValue>,
    pub by_day: Vec<WeekdayNum>,
    pub by_month_day: Vec<i32>,
    pub by_month: Vec<u32>,
    pub by_set_pos: Vec<i32>,
    pub week_start: Weekday,
}

/// Why an RRULE could not be used: `code` is `invalid_rrule` or `unsupported_rrule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: String) -> RuleError {
    RuleError {
        code: "invalid_rrule",
        message,
    }
}

fn parse_weekday(text: &str) -> Option<Weekday> {
    Some(match text.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn parse_list<T>(key: &str, value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, RuleError> {
    // Items are trimmed: Exchange writes "BYDAY=MO, TU, WE".
    value
        .split(',')
        .map(str::trim)
        .map(|item| parse(item).ok_or_else(|| invalid(format!("invalid {key} value {item:?}"))))
        .collect()
}

impl RecurrenceRule {
    /// Parses the value of an RRULE property. Unknown `X-` parts are ignored.
    pub fn parse(text: &str) -> Result<RecurrenceRule, RuleError> {
        let mut frequency = None;
        let mut rule = RecurrenceRule {
            frequency: Frequency::Daily,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            week_start: Weekday::Mon,
        };
        for part in text
            .trim()
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((key, value)) = part.split_once('=') else {
                return Err(invalid(format!("RRULE part {part:?} is not KEY=VALUE")));
            };
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            match key.as_str() {
                "FREQ" => {
                    frequency = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        "HOURLY" | "MINUTELY" | "SECONDLY" => {
                            return Err(RuleError {
                                code: "unsupported_rrule",
                                message: format!(
                                    "FREQ={value} is not supported: lessons repeat at most daily"
                                ),
                            })
                        }
                        _ => return Err(invalid(format!("unknown FREQ {value:?}"))),
                    })
                }
                "INTERVAL" => {
                    rule.interval = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        invalid(format!("invalid INTERVAL {value:?}: expected a positive integer"))
                    })?
                }
                "COUNT" => {
                    rule.count = Some(value.parse().map_err(|_| {
                        invalid(format!(
                            "invalid COUNT {value:?}: expected a non-negative integer"
                        ))
                    })?)
                }
                "UNTIL" => {
                    rule.until = Some(
                        DateValue::parse(value, None)
                            .map_err(|error| invalid(format!("invalid UNTIL: {error}")))?,
                    )
                }
                "BYDAY" => {
                    rule.by_day = parse_list("BYDAY", value, |item| {
                        let split = item.len().checked_sub(2)?;
                        let weekday = parse_weekday(item.get(split..)?)?;
                        let ordinal = match &item[..split] {
                            "" => None,
                            number => Some(
                                number
                                    .trim_start_matches('+')
                                    .parse::<i32>()
                                    .ok()
                                    .filter(|n| *n != 0 && n.abs() <= 53)?,
                            ),
                        };
                        Some(WeekdayNum { ordinal, weekday })
                    })?
                }
                "BYMONTHDAY" => {
                    rule.by_month_day = parse_list("BYMONTHDAY", value, |item| {
                        item.trim_start_matches('+')
                            .parse::<i32>()
                            .ok()
                            .filter(|n| *n != 0 && n.abs() <= 31)
                    })?
                }
                "BYMONTH" => {
                    rule.by_month = parse_list("BYMONTH", value, |item| {
                        item.parse::<u32>().ok().filter(|n| (1..=12).contains(n))
                    })?
                }
                "BYSETPOS" => {
                    rule.by_set_pos = parse_list("BYSETPOS", value, |item| {
                        item.trim_start_matches('+')
                            .parse::<i32>()
                            .ok()
                            .filter(|n| *n != 0 && n.abs() <= 366)
                    })?
                }
                "WKST" => {
                    rule.week_start =
                        parse_weekday(value).ok_or_else(|| invalid(format!("invalid WKST {value:?}")))?
                }
                "BYYEARDAY" | "BYWEEKNO" | "BYHOUR" | "BYMINUTE" | "BYSECOND" => {
                    return Err(RuleError {
                        code: "unsupported_rrule",
                        message: format!("RRULE part {key} is not supported"),
                    })
                }
                other if other.starts_with("X-") => {}
                other => return Err(invalid(format!("unknown RRULE part {other:?}"))),
            }
        }
        rule.frequency = frequency.ok_or_else(|| invalid("RRULE has no FREQ".to_string()))?;
        Ok(rule)
    }
}

/// Instances produced by [`expand_local`].
pub(crate) struct LocalInstances {
    pub starts: Vec<NaiveDateTime>,
    /// True when the rule has instances at or after `end` that were not produced.
    pub truncated: bool,
}

/// Expands `rule` from `dtstart` in wall-clock time. Instances at or after
/// `end`, or after `until` (already converted to the series' wall clock),
/// are not produced. With `dtstart_is_instance` the DTSTART is the first
/// instance even when it does not match the rule (RFC 5545 section 3.8.5.3)
/// and counts towards COUNT; VTIMEZONE rules pass false.
pub(crate) fn expand_local(
    rule: &RecurrenceRule,
    dtstart: NaiveDateTime,
    until: Option<NaiveDateTime>,
    end: NaiveDateTime,
    dtstart_is_instance: bool,
) -> LocalInstances {
    let mut starts = Vec::new();
    let limit_reached = |candidate: NaiveDateTime| until.is_some_and(|until| candidate > until);
    let count_limit = rule.count.map(|count| count as usize);
    if count_limit == Some(0) {
        return LocalInstances {
            starts,
            truncated: false,
        };
    }
    if dtstart_is_instance {
        if limit_reached(dtstart) {
            return LocalInstances {
                starts,
                truncated: false,
            };
        }
        if dtstart >= end {
            return LocalInstances {
                starts,
                truncated: true,
            };
        }
        starts.push(dtstart);
        if count_limit == Some(1) {
            return LocalInstances {
                starts,
                truncated: false,
            };
        }
    }
    let time = dtstart.time();
    let first_day = dtstart.date();
    let end_day = end.date();
    for period in 0u32.. {
        let Some((period_start, days)) = period_dates(rule, first_day, period) else {
            break;
        };
        if period_start > end_day {
            let ended_by_until = until.is_some_and(|until| until < end);
            return LocalInstances {
                starts,
                truncated: !ended_by_until,
            };
        }
        for day in days {
            let candidate = day.and_time(time);
            if candidate < dtstart || (dtstart_is_instance && candidate == dtstart) {
                continue;
            }
            if limit_reached(candidate) {
                return LocalInstances {
                    starts,
                    truncated: false,
                };
            }
            if candidate >= end {
                return LocalInstances {
                    starts,
                    truncated: true,
                };
            }
            starts.push(candidate);
            if count_limit.is_some_and(|limit| starts.len() >= limit) {
                return LocalInstances {
                    starts,
                    truncated: false,
                };
            }
        }
    }
    LocalInstances {
        starts,
        truncated: false,
    }
}

/// Returns the first day of period number `index` and the sorted candidate
/// days in it, or `None` past the representable calendar.
fn period_dates(
    rule: &RecurrenceRule,
    first_day: NaiveDate,
    index: u32,
) -> Option<(NaiveDate, Vec<NaiveDate>)> {
    let step = i64::from(index) * i64::from(rule.interval);
    let (period_start, mut days) = match rule.frequency {
        Frequency::Daily => {
            let day = first_day.checked_add_signed(Duration::try_days(step)?)?;
            let keep = month_ok(rule, day) && month_day_ok(rule, day) && weekday_ok(rule, day);
            (day, if keep { vec![day] } else { Vec::new() })
        }
        Frequency::Weekly => {
            let back = (7 + first_day.weekday().num_days_from_monday() as i64
                - rule.week_start.num_days_from_monday() as i64)
                % 7;
            let week = first_day
                .checked_sub_signed(Duration::days(back))?
                .checked_add_signed(Duration::try_days(step * 7)?)?;
            let days = (0..7)
                .filter_map(|offset| week.checked_add_signed(Duration::days(offset)))
                .filter(|day| {
                    let weekday_match = if rule.by_day.is_empty() {
                        day.weekday() == first_day.weekday()
                    } else {
                        rule.by_day.iter().any(|entry| entry.weekday == day.weekday())
                    };
                    weekday_match && month_ok(rule, *day)
                })
                .collect();
            (week, days)
        }
        Frequency::Monthly => {
            let months = i64::from(first_day.month0()) + step;
            let year = first_day
                .year()
                .checked_add(i32::try_from(months.div_euclid(12)).ok()?)?;
            let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
            let start = NaiveDate::from_ymd_opt(year, month, 1)?;
            let days = if rule.by_month.is_empty() || rule.by_month.contains(&month) {
                month_candidates(rule, year, month, first_day.day())
            } else {
                Vec::new()
            };
            (start, days)
        }
        Frequency::Yearly => {
            let year = first_day.year().checked_add(i32::try_from(step).ok()?)?;
            let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
            (start, year_candidates(rule, year, first_day))
        }
    };
    days.sort_unstable();
    days.dedup();
    Some((period_start, apply_set_pos(rule, days)))
}

fn month_ok(rule: &RecurrenceRule, day: NaiveDate) -> bool {
    rule.by_month.is_empty() || rule.by_month.contains(&day.month())
}

fn month_day_ok(rule: &RecurrenceRule, day: NaiveDate) -> bool {
    if rule.by_month_day.is_empty() {
        return true;
    }
    let length = days_in_month(day.year(), day.month()) as i32;
    rule.by_month_day
        .iter()
        .any(|&wanted| resolve_month_day(wanted, length) == Some(day.day()))
}

fn weekday_ok(rule: &RecurrenceRule, day: NaiveDate) -> bool {
    rule.by_day.is_empty() || rule.by_day.iter().any(|entry| entry.weekday == day.weekday())
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|next| next.pred_opt())
        .map_or(28, |last| last.day())
}

/// Maps a BYMONTHDAY entry (negative counts from the end) to a day number.
fn resolve_month_day(wanted: i32, length: i32) -> Option<u32> {
    let day = if wanted > 0 { wanted } else { length + 1 + wanted };
    (1..=length).contains(&day).then_some(day as u32)
}

/// Days of `days` (all in one month or one year) matching a BYDAY list;
/// ordinals count within that span.
fn by_day_in_span(by_day: &[WeekdayNum], days: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    for entry in by_day {
        let matching: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|day| day.weekday() == entry.weekday)
            .collect();
        match entry.ordinal {
            None => out.extend(matching),
            Some(n) if n > 0 => out.extend(matching.get(n as usize - 1)),
            Some(n) => out.extend(
                matching
                    .len()
                    .checked_sub(n.unsigned_abs() as usize)
                    .and_then(|i| matching.get(i)),
            ),
        }
    }
    out
}

fn month_days(year: i32, month: u32) -> Vec<NaiveDate> {
    (1..=days_in_month(year, month))
        .filter_map(|day| NaiveDate::from_ymd_opt(year, month, day))
        .collect()
}

fn month_candidates(rule: &RecurrenceRule, year: i32, month: u32, default_day: u32) -> Vec<NaiveDate> {
    let all = month_days(year, month);
    let length = all.len() as i32;
    let by_month_day: Vec<NaiveDate> = rule
        .by_month_day
        .iter()
        .filter_map(|&wanted| resolve_month_day(wanted, length))
        .filter_map(|day| NaiveDate::from_ymd_opt(year, month, day))
        .collect();
    match (rule.by_day.is_empty(), rule.by_month_day.is_empty()) {
        (true, true) => NaiveDate::from_ymd_opt(year, month, default_day)
            .into_iter()
            .collect(),
        (true, false) => by_month_day,
        (false, true) => by_day_in_span(&rule.by_day, &all),
        (false, false) => by_day_in_span(&rule.by_day, &all)
            .into_iter()
            .filter(|day| by_month_day.contains(day))
            .collect(),
    }
}

fn year_candidates(rule: &RecurrenceRule, year: i32, first_day: NaiveDate) -> Vec<NaiveDate> {
    if !rule.by_month.is_empty() {
        return rule
            .by_month
            .iter()
            .flat_map(|&month| month_candidates(rule, year, month, first_day.day()))
            .collect();
    }
    match (rule.by_day.is_empty(), rule.by_month_day.is_empty()) {
        (true, true) => NaiveDate::from_ymd_opt(year, first_day.month(), first_day.day())
            .into_iter()
            .collect(),
        (true, false) => (1..=12)
            .flat_map(|month| month_candidates(rule, year, month, 1))
            .collect(),
        (false, by_month_day_empty) => {
            let all: Vec<NaiveDate> = (1..=12).flat_map(|month| month_days(year, month)).collect();
            by_day_in_span(&rule.by_day, &all)
                .into_iter()
                .filter(|day| by_month_day_empty || month_day_ok(rule, *day))
                .collect()
        }
    }
}

fn apply_set_pos(rule: &RecurrenceRule, days: Vec<NaiveDate>) -> Vec<NaiveDate> {
    if rule.by_set_pos.is_empty() {
        return days;
    }
    let mut picked: Vec<NaiveDate> = rule
        .by_set_pos
        .iter()
        .filter_map(|&position| {
            let index = if position > 0 {
                position as usize - 1
            } else {
                days.len().checked_sub(position.unsigned_abs() as usize)?
            };
            days.get(index).copied()
        })
        .collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn expand(rule: &str, start: &str, end: &str) -> Vec<String> {
        let rule = RecurrenceRule::parse(rule).unwrap();
        expand_local(&rule, at(start), None, at(end), true)
            .starts
            .iter()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .collect()
    }

    #[test]
    fn weekly_byday_interval_two() {
        let got = expand(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5",
            "2017-02-16 09:00",
            "2030-01-01 00:00",
        );
        assert_eq!(
            got,
            [
                "2017-02-16 09:00",
                "2017-02-27 09:00",
                "2017-03-02 09:00",
                "2017-03-13 09:00",
                "2017-03-16 09:00"
            ]
        );
    }

    #[test]
    fn weekly_wkst_changes_pairs() {
        // RFC 5545 section 3.3.10 example: WKST=SU gives Aug 5, 17, 19, 31 for
        // DTSTART 1997-08-05 (a Tuesday), WKST=MO gives Aug 5, 10, 19, 24.
        let sunday = expand(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "1997-08-05 09:00",
            "1998-01-01 00:00",
        );
        assert_eq!(
            sunday,
            [
                "1997-08-05 09:00",
                "1997-08-17 09:00",
                "1997-08-19 09:00",
                "1997-08-31 09:00"
            ]
        );
        let monday = expand(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "1997-08-05 09:00",
            "1998-01-01 00:00",
        );
        assert_eq!(
            monday,
            [
                "1997-08-05 09:00",
                "1997-08-10 09:00",
                "1997-08-19 09:00",
                "1997-08-24 09:00"
            ]
        );
    }

    #[test]
    fn monthly_negative_ordinal_and_setpos() {
        let got = expand(
            "FREQ=MONTHLY;BYDAY=-2MO;COUNT=3",
            "2017-01-23 10:00",
            "2030-01-01 00:00",
        );
        assert_eq!(got, ["2017-01-23 10:00", "2017-02-20 10:00", "2017-03-20 10:00"]);
        let got = expand(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            "2019-01-31 10:00",
            "2030-01-01 00:00",
        );
        assert_eq!(got, ["2019-01-31 10:00", "2019-02-28 10:00", "2019-03-29 10:00"]);
    }

    #[test]
    fn monthly_negative_month_day_and_skipped_months() {
        let got = expand(
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
            "2024-01-31 10:00",
            "2030-01-01 00:00",
        );
        assert_eq!(got, ["2024-01-31 10:00", "2024-02-29 10:00", "2024-03-31 10:00"]);
        // Day 31 without BYMONTHDAY skips shorter months.
        let got = expand("FREQ=MONTHLY;COUNT=3", "2024-01-31 10:00", "2030-01-01 00:00");
        assert_eq!(got, ["2024-01-31 10:00", "2024-03-31 10:00", "2024-05-31 10:00"]);
    }

    #[test]
    fn yearly_last_sunday_of_march() {
        let got = expand(
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "1970-03-29 02:00",
            "1973-01-01 00:00",
        );
        assert_eq!(got, ["1970-03-29 02:00", "1971-03-28 02:00", "1972-03-26 02:00"]);
    }

    #[test]
    fn until_stops_and_horizon_truncates() {
        let rule = RecurrenceRule::parse("FREQ=DAILY").unwrap();
        let result = expand_local(
            &rule,
            at("2024-01-01 10:00"),
            Some(at("2024-01-03 10:00")),
            at("2030-01-01 00:00"),
            true,
        );
        assert_eq!(result.starts.len(), 3);
        assert!(!result.truncated);
        let result = expand_local(&rule, at("2024-01-01 10:00"), None, at("2024-01-05 00:00"), true);
        assert_eq!(result.starts.len(), 4);
        assert!(result.truncated);
    }

    #[test]
    fn dtstart_not_matching_counts_first() {
        let got = expand(
            "FREQ=WEEKLY;BYDAY=FR;COUNT=2",
            "2024-01-03 10:00",
            "2030-01-01 00:00",
        );
        assert_eq!(got, ["2024-01-03 10:00", "2024-01-05 10:00"]);
    }

    #[test]
    fn parse_errors_have_codes() {
        assert_eq!(
            RecurrenceRule::parse("RRULE:AnythingRandom;FREQ=WEEKLY")
                .unwrap_err()
                .code,
            "invalid_rrule"
        );
        assert_eq!(
            RecurrenceRule::parse("FREQ=HOURLY").unwrap_err().code,
            "unsupported_rrule"
        );
        assert_eq!(
            RecurrenceRule::parse("INTERVAL=2").unwrap_err().code,
            "invalid_rrule"
        );
        let rule = RecurrenceRule::parse("FREQ=DAILY;BYDAY=MO, TU, WE;WKST=SU").unwrap();
        assert_eq!(rule.by_day.len(), 3);
    }
}
