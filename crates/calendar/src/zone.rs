//! Time zones: resolving a TZID and converting wall-clock times to UTC.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::parse::{Calendar, VTimezone};
use crate::rrule::expand_local;
use crate::value::DateValue;
use crate::windows_zones::{OUTLOOK_DISPLAY_NAMES, WINDOWS_ZONES};

/// Last year for which VTIMEZONE rules are expanded; later instants keep
/// the offset in force at the end of that year.
const LAST_DEFINED_YEAR: i32 = 2200;

/// A zone offsets can be computed in: a tz database zone, or the rules of a
/// VTIMEZONE in the file.
#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Iana(Tz),
    Defined(Arc<DefinedZone>),
}

/// Offsets of a VTIMEZONE as a sorted list of transitions.
#[derive(Debug)]
pub(crate) struct DefinedZone {
    tzid: String,
    /// Offset before the first transition.
    initial_offset: i32,
    /// UTC instant of each onset and the offset from then on, sorted.
    transitions: Vec<(NaiveDateTime, i32)>,
}

/// The UTC instant of a wall-clock time, and what had to be decided to get it.
pub(crate) struct Resolved {
    pub utc: DateTime<Utc>,
    /// Seconds the time was moved forward because it falls in a DST gap.
    pub gap_shift: Option<i64>,
    /// Whether the time occurs twice (DST end); the earlier instant is used.
    pub ambiguous: bool,
}

impl Zone {
    pub(crate) fn utc() -> Zone {
        Zone::Iana(Tz::UTC)
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Zone::Iana(tz) => tz.name(),
            Zone::Defined(defined) => &defined.tzid,
        }
    }

    /// Seconds east of UTC at the UTC instant `utc`.
    fn offset_at(&self, utc: NaiveDateTime) -> i32 {
        match self {
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
            Zone::Defined(defined) => defined.offset_at(utc),
        }
    }

    /// Converts a wall-clock time to UTC. A time in a DST gap is moved
    /// forward by the length of the gap (RFC 5545 section 3.3.5). A time
    /// that occurs twice takes the earlier instant.
    pub(crate) fn resolve(&self, local: NaiveDateTime) -> Resolved {
        // Offsets a day and a half before and after cover any one
        // transition near `local`.
        // NOTE: two transitions less than 36 hours apart are not handled.
        let margin = Duration::hours(36);
        let before = self.offset_at(local - margin);
        let after = self.offset_at(local + margin);
        let mut valid: Vec<NaiveDateTime> = [before, after]
            .into_iter()
            .map(|offset| (offset, local - Duration::seconds(i64::from(offset))))
            .filter(|(offset, utc)| self.offset_at(*utc) == *offset)
            .map(|(_, utc)| utc)
            .collect();
        valid.sort_unstable();
        valid.dedup();
        match valid.first() {
            Some(first) => Resolved {
                utc: Utc.from_utc_datetime(first),
                gap_shift: None,
                ambiguous: valid.len() > 1,
            },
            None => Resolved {
                utc: Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(before)))),
                gap_shift: Some(i64::from(after - before)),
                ambiguous: false,
            },
        }
    }

    /// Wall-clock time at the UTC instant `utc`.
    pub(crate) fn local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        let naive = utc.naive_utc();
        naive + Duration::seconds(i64::from(self.offset_at(naive)))
    }
}

impl DefinedZone {
    fn offset_at(&self, utc: NaiveDateTime) -> i32 {
        let index = self.transitions.partition_point(|(onset, _)| *onset <= utc);
        match index {
            0 => self.initial_offset,
            _ => self.transitions[index - 1].1,
        }
    }

    /// Computes the transitions of a VTIMEZONE from its observances.
    /// Returns `None` when it has no usable observance.
    pub(crate) fn from_vtimezone(definition: &VTimezone) -> Option<DefinedZone> {
        let end = NaiveDate::from_ymd_opt(LAST_DEFINED_YEAR, 12, 31)?.and_time(chrono::NaiveTime::MIN);
        let mut transitions = Vec::new();
        for observance in &definition.observances {
            let from = Duration::seconds(i64::from(observance.offset_from));
            let mut onsets: Vec<NaiveDateTime> = observance.rdates.clone();
            match &observance.rrule {
                None => onsets.push(observance.start),
                Some(rule) => {
                    // UNTIL of a VTIMEZONE rule is UTC (RFC 5545 section
                    // 3.6.5). Exporters also write it as a floating time,
                    // which is read as the wall clock before the onset.
                    let until = rule.until.as_ref().map(|until| match until {
                        DateValue::Utc(utc) => *utc + from,
                        DateValue::Floating(local) | DateValue::Zoned { local, .. } => *local,
                        DateValue::Date(date) => date.and_hms_opt(23, 59, 59).unwrap_or_default(),
                    });
                    let instances = expand_local(rule, observance.start, until, end, false);
                    onsets.extend(instances.starts);
                }
            }
            transitions.extend(
                onsets
                    .into_iter()
                    .map(|onset| (onset - from, observance.offset_to)),
            );
        }
        if transitions.is_empty() {
            return None;
        }
        transitions.sort_by_key(|(onset, _)| *onset);
        let first = definition
            .observances
            .iter()
            .min_by_key(|observance| observance.start)
            .map_or(0, |observance| observance.offset_from);
        Some(DefinedZone {
            tzid: definition.tzid.clone(),
            initial_offset: first,
            transitions,
        })
    }
}

/// Finds a tz database zone for a TZID by name alone: (a) an IANA name,
/// (b) a vendor-prefixed name such as
/// `/mozilla.org/20070129_1/America/New_York` (its trailing IANA name),
/// (c) a Windows zone id ("W. Europe Standard Time") or an Outlook display
/// name ("(UTC-05:00) Eastern Time (US & Canada)"). Returns `None` otherwise.
pub fn known_zone(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim();
    if tzid.is_empty() {
        return None;
    }
    if let Ok(tz) = Tz::from_str(tzid) {
        return Some(tz);
    }
    if tzid.starts_with('/') {
        // The longest trailing part that is an IANA name wins, so
        // ".../America/Argentina/Buenos_Aires" is not read as "Buenos_Aires".
        let found = tzid
            .match_indices('/')
            .filter_map(|(index, _)| Tz::from_str(&tzid[index + 1..]).ok())
            .next();
        if found.is_some() {
            return found;
        }
    }
    let lookup = |table: &[(&str, &str)], name: &str| {
        table
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, iana)| Tz::from_str(iana).ok())
    };
    lookup(WINDOWS_ZONES, tzid).or_else(|| lookup(OUTLOOK_DISPLAY_NAMES, strip_offset_prefix(tzid)))
}

/// Removes an Outlook display-name prefix such as "(UTC-05:00) " or "(GMT+10:00) ".
fn strip_offset_prefix(tzid: &str) -> &str {
    let Some(rest) = tzid.strip_prefix('(') else {
        return tzid;
    };
    let Some(close) = rest.find(')') else {
        return tzid;
    };
    let inside = &rest[..close];
    let is_offset = (inside.starts_with("UTC") || inside.starts_with("GMT"))
        && inside[3..]
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ':' | ' '));
    if is_offset {
        rest[close + 1..].trim_start()
    } else {
        tzid
    }
}

/// Resolves TZIDs of one calendar, caching results and collecting notes.
pub(crate) struct ZoneResolver<'a> {
    calendar: &'a Calendar,
    studio: Tz,
    cache: HashMap<String, Zone>,
    pub notes: Vec<String>,
}

impl<'a> ZoneResolver<'a> {
    pub(crate) fn new(calendar: &'a Calendar, studio: Tz) -> ZoneResolver<'a> {
        ZoneResolver {
            calendar,
            studio,
            cache: HashMap::new(),
            notes: Vec::new(),
        }
    }

    /// Returns the calendar's X-WR-TIMEZONE when it is a known zone name.
    pub(crate) fn calendar_zone(&self) -> Option<Zone> {
        self.calendar
            .x_wr_timezone
            .as_deref()
            .and_then(known_zone)
            .map(Zone::Iana)
    }

    /// Returns the studio zone, which floating times are read in.
    pub(crate) fn studio(&self) -> Zone {
        Zone::Iana(self.studio)
    }

    /// Resolves a TZID by the rules in the crate documentation, steps (a)
    /// to (e). An unresolvable TZID adds one note naming the zone used.
    pub(crate) fn zone(&mut self, tzid: &str) -> Zone {
        if let Some(zone) = self.cache.get(tzid) {
            return zone.clone();
        }
        let zone = self.lookup(tzid);
        self.cache.insert(tzid.to_string(), zone.clone());
        zone
    }

    fn lookup(&mut self, tzid: &str) -> Zone {
        if let Some(tz) = known_zone(tzid) {
            return Zone::Iana(tz);
        }
        let definition = self.calendar.timezones.iter().find(|zone| zone.tzid == tzid);
        if let Some(defined) = definition.and_then(DefinedZone::from_vtimezone) {
            return Zone::Defined(Arc::new(defined));
        }
        let calendar_zone = self.calendar.x_wr_timezone.as_deref().and_then(known_zone);
        let (zone, source) = match calendar_zone {
            Some(tz) => (tz, "the calendar's X-WR-TIMEZONE"),
            None => (self.studio, "the studio time zone"),
        };
        self.notes.push(format!(
            "Time zone {tzid:?} is neither a known zone name nor defined in the file; its times were read in {} ({source}).",
            zone.name()
        ));
        Zone::Iana(zone)
    }

    /// Returns the zone a DATE-TIME value is read in: its TZID, UTC for `Z`,
    /// or the studio zone for a floating time. Returns `None` for a DATE.
    pub(crate) fn zone_of(&mut self, value: &DateValue) -> Option<Zone> {
        match value {
            DateValue::Date(_) => None,
            DateValue::Utc(_) => Some(Zone::utc()),
            DateValue::Floating(_) => Some(self.studio()),
            DateValue::Zoned { tzid, .. } => Some(self.zone(tzid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_zone_kinds() {
        assert_eq!(known_zone("Europe/Berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(known_zone("US/Central"), Some(Tz::US__Central));
        assert_eq!(
            known_zone("/freeassociation.sourceforge.net/Europe/Berlin"),
            Some(Tz::Europe__Berlin)
        );
        assert_eq!(
            known_zone("/mozilla.org/20070129_1/America/New_York"),
            Some(Tz::America__New_York)
        );
        assert_eq!(
            known_zone("/freeassociation.sourceforge.net/Tzfile/America/Argentina/Buenos_Aires"),
            Some(Tz::America__Argentina__Buenos_Aires)
        );
        assert_eq!(known_zone("W. Europe Standard Time"), Some(Tz::Europe__Berlin));
        assert_eq!(
            known_zone("AUS Eastern Standard Time"),
            Some(Tz::Australia__Sydney)
        );
        assert_eq!(
            known_zone("(UTC-05:00) Eastern Time (US & Canada)"),
            Some(Tz::America__New_York)
        );
        assert_eq!(
            known_zone("(GMT+10:00) Canberra, Melbourne, Sydney"),
            Some(Tz::Australia__Sydney)
        );
        assert_eq!(known_zone("(UTC-03:00) Brasília"), Some(Tz::America__Sao_Paulo));
        assert_eq!(known_zone("GMT-05.00/-04.00"), None);
        assert_eq!(known_zone(""), None);
    }

    #[test]
    fn every_table_entry_is_a_tz_name() {
        for (windows, iana) in WINDOWS_ZONES.iter().chain(OUTLOOK_DISPLAY_NAMES) {
            assert!(
                Tz::from_str(iana).is_ok(),
                "{windows:?} maps to unknown zone {iana:?}"
            );
        }
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn gap_moves_forward_and_ambiguity_takes_first() {
        let zone = Zone::Iana(Tz::America__New_York);
        let gap = zone.resolve(at("2024-03-10 02:30"));
        assert_eq!(gap.utc.to_rfc3339(), "2024-03-10T07:30:00+00:00");
        assert_eq!(gap.gap_shift, Some(3600));
        assert_eq!(zone.local(gap.utc), at("2024-03-10 03:30"));
        let twice = zone.resolve(at("2024-11-03 01:30"));
        assert!(twice.ambiguous);
        assert_eq!(twice.utc.to_rfc3339(), "2024-11-03T05:30:00+00:00");
    }
}
