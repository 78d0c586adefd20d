//! Value types of RFC 5545 section 3.3: DATE, DATE-TIME, DURATION,
//! UTC-OFFSET and TEXT.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A DATE or DATE-TIME property value, before any time zone is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateValue {
    /// A DATE (all-day) value such as `20240101`.
    Date(NaiveDate),
    /// A DATE-TIME in UTC, written with a trailing `Z`.
    Utc(NaiveDateTime),
    /// A DATE-TIME with neither `Z` nor TZID, read in the studio zone.
    Floating(NaiveDateTime),
    /// A DATE-TIME with a TZID parameter; `tzid` may be empty.
    Zoned { local: NaiveDateTime, tzid: String },
}

impl DateValue {
    /// Reads `text` as DATE (8 digits) or DATE-TIME; `tzid` applies only to
    /// a DATE-TIME without `Z`.
    pub(crate) fn parse(text: &str, tzid: Option<&str>) -> Result<DateValue, String> {
        let text = text.trim();
        if text.len() == 8 {
            return parse_date(text).map(DateValue::Date);
        }
        let (local, utc) = parse_date_time(text)?;
        Ok(match (utc, tzid) {
            (true, _) => DateValue::Utc(local),
            (false, Some(tzid)) => DateValue::Zoned {
                local,
                tzid: tzid.to_string(),
            },
            (false, None) => DateValue::Floating(local),
        })
    }

    pub(crate) fn is_date(&self) -> bool {
        matches!(self, DateValue::Date(_))
    }
}

/// Parses a DATE value `YYYYMMDD`.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid DATE {text:?}: expected YYYYMMDD"));
    }
    let year: i32 = text[0..4].parse().map_err(|_| format!("invalid DATE {text:?}"))?;
    let month: u32 = text[4..6].parse().map_err(|_| format!("invalid DATE {text:?}"))?;
    let day: u32 = text[6..8].parse().map_err(|_| format!("invalid DATE {text:?}"))?;
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("invalid DATE {text:?}: there is no day {day} in month {month} of {year}"))
}

/// Parses a DATE-TIME value `YYYYMMDDTHHMMSS` with an optional `Z`.
/// Returns the wall-clock time and whether the `Z` was present.
pub(crate) fn parse_date_time(text: &str) -> Result<(NaiveDateTime, bool), String> {
    let (body, utc) = match text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        Some(body) => (body, true),
        None => (text, false),
    };
    let shape_ok = body.len() == 15
        && body.as_bytes()[8].eq_ignore_ascii_case(&b'T')
        && body[..8].bytes().all(|b| b.is_ascii_digit())
        && body[9..].bytes().all(|b| b.is_ascii_digit());
    if !shape_ok {
        return Err(format!(
            "invalid DATE-TIME {text:?}: expected YYYYMMDDTHHMMSS, optionally followed by Z"
        ));
    }
    let date = parse_date(&body[..8]).map_err(|error| format!("invalid DATE-TIME {text:?}: {error}"))?;
    let hour: u32 = body[9..11].parse().unwrap_or(99);
    let minute: u32 = body[11..13].parse().unwrap_or(99);
    // RFC 5545 allows second 60 for a leap second; chrono has no such
    // wall-clock second, so it is read as second 59.
    let second: u32 = body[13..15].parse::<u32>().unwrap_or(99).min(59);
    let time = NaiveTime::from_hms_opt(hour, minute, second)
        .ok_or_else(|| format!("invalid DATE-TIME {text:?}: no such time of day"))?;
    Ok((date.and_time(time), utc))
}

/// A DURATION value. Days are nominal (a day in local time, 23 or 25 hours
/// across a DST change) and seconds exact, per RFC 5545 section 3.3.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcalDuration {
    /// Whole days, weeks counted as 7 days; negative for a negative duration.
    pub days: i64,
    /// Hours, minutes and seconds in seconds; negative for a negative duration.
    pub seconds: i64,
}

impl IcalDuration {
    /// Parses `[+|-]P[nW][nD][T[nH][nM][nS]]`.
    pub(crate) fn parse(text: &str) -> Result<IcalDuration, String> {
        let invalid = || format!("invalid DURATION {text:?}: expected a value like PT1H30M or P1D");
        let trimmed = text.trim();
        let (sign, rest) = match trimmed.as_bytes().first() {
            Some(b'-') => (-1, &trimmed[1..]),
            Some(b'+') => (1, &trimmed[1..]),
            _ => (1, trimmed),
        };
        let rest = rest.strip_prefix(['P', 'p']).ok_or_else(invalid)?;
        let (mut days, mut seconds) = (0i64, 0i64);
        let mut number = String::new();
        let mut in_time = false;
        let mut any_part = false;
        for c in rest.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let upper = c.to_ascii_uppercase();
            if upper == 'T' && number.is_empty() {
                in_time = true;
                continue;
            }
            let value: i64 = number.parse().map_err(|_| invalid())?;
            number.clear();
            any_part = true;
            match (upper, in_time) {
                ('W', false) => days += value * 7,
                ('D', false) => days += value,
                ('H', true) => seconds += value * 3600,
                ('M', true) => seconds += value * 60,
                ('S', true) => seconds += value,
                _ => return Err(invalid()),
            }
        }
        if !number.is_empty() || !any_part {
            return Err(invalid());
        }
        Ok(IcalDuration {
            days: sign * days,
            seconds: sign * seconds,
        })
    }
}

/// Parses a UTC-OFFSET value (`+0100`, `-000115`) into seconds east of UTC.
pub(crate) fn parse_utc_offset(text: &str) -> Result<i32, String> {
    let text = text.trim();
    let invalid = || format!("invalid UTC offset {text:?}: expected +HHMM or +HHMMSS");
    let sign = match text.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(invalid()),
    };
    let digits = &text[1..];
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let hours: i32 = digits[0..2].parse().map_err(|_| invalid())?;
    let minutes: i32 = digits[2..4].parse().map_err(|_| invalid())?;
    let seconds: i32 = if digits.len() == 6 {
        digits[4..6].parse().map_err(|_| invalid())?
    } else {
        0
    };
    Ok(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// Decodes TEXT escapes (`\n`, `\N`, `\,`, `\;`, `\\`). A backslash before
/// any other character is dropped and the character kept.
pub(crate) fn unescape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Encodes TEXT for writing: backslash, semicolon, comma and newline.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_parts() {
        assert_eq!(
            IcalDuration::parse("PT1H15M5S").unwrap(),
            IcalDuration {
                days: 0,
                seconds: 4505
            }
        );
        assert_eq!(
            IcalDuration::parse("P1W2D").unwrap(),
            IcalDuration { days: 9, seconds: 0 }
        );
        assert_eq!(
            IcalDuration::parse("-PT30M").unwrap(),
            IcalDuration {
                days: 0,
                seconds: -1800
            }
        );
        assert_eq!(
            IcalDuration::parse("PT10M ").unwrap(),
            IcalDuration {
                days: 0,
                seconds: 600
            }
        );
        assert!(IcalDuration::parse("P").is_err());
        assert!(IcalDuration::parse("1H").is_err());
        assert!(IcalDuration::parse("PT5").is_err());
    }

    #[test]
    fn utc_offsets_with_seconds() {
        assert_eq!(parse_utc_offset("-000115").unwrap(), -75);
        assert_eq!(parse_utc_offset("+0530").unwrap(), 19800);
        assert_eq!(parse_utc_offset("+000000").unwrap(), 0);
        assert!(parse_utc_offset("0100").is_err());
    }

    #[test]
    fn date_time_shapes() {
        assert!(matches!(
            DateValue::parse("20240101", None),
            Ok(DateValue::Date(_))
        ));
        assert!(matches!(
            DateValue::parse("20240101T100000Z", Some("X")),
            Ok(DateValue::Utc(_))
        ));
        assert!(matches!(
            DateValue::parse("20240101T100000", None),
            Ok(DateValue::Floating(_))
        ));
        assert!(DateValue::parse("20171032T000000", None)
            .unwrap_err()
            .contains("no day 32"));
        assert!(DateValue::parse("20031114T18300", None).is_err());
    }

    #[test]
    fn text_escapes_round_trip() {
        let text = "a, b; c\\d\nnext";
        assert_eq!(unescape_text(&escape_text(text)), text);
        assert_eq!(unescape_text("x\\Ny"), "x\ny");
    }
}
