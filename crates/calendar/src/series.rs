//! Expansion of one event (a single event or a recurring series with its
//! overrides) into occurrences.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::expand::{ExpandOptions, Expansion, Occurrence, Skipped};
use crate::parse::Event;
use crate::rrule::expand_local;
use crate::value::{DateValue, IcalDuration};
use crate::zone::{Resolved, Zone, ZoneResolver};

/// How long each occurrence lasts.
#[derive(Clone, Copy)]
enum Length {
    /// From DTEND (or no end at all): the same number of seconds for every
    /// occurrence (RFC 5545 section 3.8.5.3).
    Exact(i64),
    /// From DURATION: days are wall-clock days, seconds are exact.
    Nominal(IcalDuration),
}

/// A generated occurrence before the EXDATE, override, past and horizon steps.
struct Instance {
    local: NaiveDateTime,
    utc: DateTime<Utc>,
}

pub(crate) struct SeriesExpander<'a, 'c> {
    resolver: &'a mut ZoneResolver<'c>,
    options: &'a ExpandOptions,
    out: &'a mut Expansion,
}

/// Names an event in messages: its summary, else its UID, else its line.
fn label(event: &Event) -> String {
    match (&event.summary, &event.uid) {
        (Some(summary), _) if !summary.trim().is_empty() => format!("\u{201c}{}\u{201d}", summary.trim()),
        (_, Some(uid)) => format!("the event with UID {uid}"),
        _ => format!("the event at line {}", event.line),
    }
}

/// Returns the skip code and reason when `event` cannot become an
/// occurrence on its own, or `None` when it can.
fn unusable(event: &Event) -> Option<(&'static str, String)> {
    let name = label(event);
    if let Some(first) = event.problems.first() {
        let messages: Vec<&str> = event.problems.iter().map(|p| p.message.as_str()).collect();
        return Some((
            first.code,
            format!(
                "{name} was skipped because of invalid input: {}.",
                messages.join("; ")
            ),
        ));
    }
    if event.status.as_deref() == Some("CANCELLED") {
        return Some(("cancelled", format!("{name} is cancelled (STATUS:CANCELLED).")));
    }
    match &event.start {
        None => Some((
            "no_start",
            format!("{name} has no DTSTART, so it has no time to book."),
        )),
        Some(DateValue::Date(_)) => Some((
            "all_day",
            format!("{name} is an all-day event; only timed lessons are imported."),
        )),
        Some(_) if event.end.as_ref().is_some_and(DateValue::is_date) => Some((
            "invalid_value",
            format!("{name} has a DATE-TIME DTSTART but a DATE DTEND; the two must be of the same type."),
        )),
        Some(_) => None,
    }
}

impl<'a, 'c> SeriesExpander<'a, 'c> {
    pub(crate) fn new(
        resolver: &'a mut ZoneResolver<'c>,
        options: &'a ExpandOptions,
        out: &'a mut Expansion,
    ) -> Self {
        SeriesExpander {
            resolver,
            options,
            out,
        }
    }

    fn skip(&mut self, event: &Event, code: &'static str, reason: String) {
        self.out.skipped.push(Skipped {
            uid: event.uid.clone(),
            summary: event.summary.clone(),
            reason,
            code,
        });
    }

    fn skip_with_overrides(
        &mut self,
        master: &Event,
        overrides: &[&Event],
        code: &'static str,
        reason: String,
    ) {
        for changed in overrides {
            let because = format!(
                "{} changes one occurrence of a recurring event that was skipped: {reason}",
                label(changed)
            );
            self.skip(changed, code, because);
        }
        self.skip(master, code, reason);
    }

    /// Converts a DATE-TIME value to its UTC instant, reading a floating
    /// time in `floating_zone`. Returns `None` for a DATE.
    fn instant(&mut self, value: &DateValue, floating_zone: &Zone) -> Option<Resolved> {
        match value {
            DateValue::Date(_) => None,
            DateValue::Utc(utc) => Some(Resolved {
                utc: Utc.from_utc_datetime(utc),
                gap_shift: None,
                ambiguous: false,
            }),
            DateValue::Floating(local) => Some(floating_zone.resolve(*local)),
            DateValue::Zoned { local, tzid } => Some(self.resolver.zone(tzid).resolve(*local)),
        }
    }

    /// Returns the zone a series repeats in and the wall-clock time of
    /// DTSTART in it. A UTC DTSTART repeats in the calendar's X-WR-TIMEZONE
    /// when it has one, because Google writes UTC times for events in the
    /// calendar's zone. Without one it repeats in UTC.
    fn start_in_zone(&mut self, start: &DateValue) -> Option<(Zone, NaiveDateTime)> {
        match start {
            DateValue::Date(_) => None,
            DateValue::Utc(utc) => Some(match self.resolver.calendar_zone() {
                Some(zone) => {
                    let local = zone.local(Utc.from_utc_datetime(utc));
                    (zone, local)
                }
                None => (Zone::utc(), *utc),
            }),
            DateValue::Floating(local) | DateValue::Zoned { local, .. } => {
                Some((self.resolver.zone_of(start)?, *local))
            }
        }
    }

    fn length(&mut self, event: &Event, zone: &Zone, start_utc: DateTime<Utc>) -> Option<Length> {
        if let Some(end) = &event.end {
            let end_utc = self.instant(end, zone)?.utc;
            return Some(Length::Exact((end_utc - start_utc).num_seconds()));
        }
        Some(match event.duration {
            Some(duration) => Length::Nominal(duration),
            None => Length::Exact(0),
        })
    }

    fn end_of(&self, length: Length, zone: &Zone, local: NaiveDateTime, utc: DateTime<Utc>) -> DateTime<Utc> {
        match length {
            Length::Exact(seconds) => utc + Duration::seconds(seconds),
            Length::Nominal(duration) if duration.days == 0 => utc + Duration::seconds(duration.seconds),
            Length::Nominal(duration) => {
                zone.resolve(local + Duration::days(duration.days)).utc + Duration::seconds(duration.seconds)
            }
        }
    }

    fn describe_length(event: &Event) -> &'static str {
        match (&event.end, &event.duration) {
            (Some(_), _) => "its DTEND is not after its DTSTART",
            (None, Some(_)) => "its DURATION is not positive",
            // RFC 5545 section 3.6.1: a DATE-TIME DTSTART without DTEND or
            // DURATION ends when it starts.
            (None, None) => "it has neither DTEND nor DURATION, so it ends when it starts (RFC 5545)",
        }
    }

    /// Converts a wall-clock time and notes a DST gap or an ambiguous time.
    fn resolve_noted(&mut self, event: &Event, zone: &Zone, local: NaiveDateTime) -> Resolved {
        let resolved = zone.resolve(local);
        if let Some(shift) = resolved.gap_shift {
            self.out.notes.push(format!(
                "{}: {} does not exist in {} because the clocks skip forward; the occurrence was moved {} minutes later, to {}.",
                label(event),
                local.format("%Y-%m-%d %H:%M"),
                zone.name(),
                shift / 60,
                zone.local(resolved.utc).format("%H:%M"),
            ));
        } else if resolved.ambiguous {
            self.out.notes.push(format!(
                "{}: {} occurs twice in {} because the clocks go back; the earlier one was used.",
                label(event),
                local.format("%Y-%m-%d %H:%M"),
                zone.name(),
            ));
        }
        resolved
    }

    /// Converts the series' UNTIL to a wall-clock time in the series' zone.
    /// A floating UNTIL is read in that zone, and a DATE includes its whole day.
    fn until_local(&mut self, until: &DateValue, zone: &Zone) -> NaiveDateTime {
        match until {
            DateValue::Date(date) => date.and_hms_opt(23, 59, 59).unwrap_or_default(),
            DateValue::Floating(local) => *local,
            DateValue::Utc(utc) => zone.local(Utc.from_utc_datetime(utc)),
            DateValue::Zoned { .. } => match self.instant(until, zone) {
                Some(resolved) => zone.local(resolved.utc),
                None => NaiveDateTime::MAX,
            },
        }
    }

    /// Expands `master` and applies `overrides` (events with its UID and a
    /// RECURRENCE-ID), then the past and horizon limits.
    pub(crate) fn run(mut self, master: &Event, overrides: &[&Event]) {
        if let Some((code, reason)) = unusable(master) {
            self.skip_with_overrides(master, overrides, code, reason);
            return;
        }
        let Some(start) = master.start.as_ref() else {
            return;
        };
        let Some((zone, start_local)) = self.start_in_zone(start) else {
            return;
        };
        let first = zone.resolve(start_local);
        let Some(length) = self.length(master, &zone, first.utc) else {
            return;
        };
        if self.end_of(length, &zone, start_local, first.utc) - first.utc < Duration::minutes(1) {
            let reason = format!(
                "{} lasts less than one minute: {}.",
                label(master),
                Self::describe_length(master)
            );
            self.skip_with_overrides(master, overrides, "no_duration", reason);
            return;
        }

        let mut locals = self.rule_instances(master, &zone, start_local);
        for rdate in &master.rdates {
            let local = match rdate {
                DateValue::Date(date) => Some(date.and_time(start_local.time())),
                other => self
                    .instant(other, &zone)
                    .map(|resolved| zone.local(resolved.utc)),
            };
            locals.extend(local);
        }
        locals.sort_unstable();
        locals.dedup();

        let (excluded_instants, excluded_days) = self.exclusions(master, &zone);
        let mut instances: Vec<Instance> = Vec::with_capacity(locals.len());
        for local in locals {
            let utc = self.resolve_noted(master, &zone, local).utc;
            if !excluded_instants.contains(&utc) && !excluded_days.contains(&local.date()) {
                instances.push(Instance { local, utc });
            }
        }

        let uid = master
            .uid
            .clone()
            .unwrap_or_else(|| format!("line-{}", master.line));
        let summary = master.summary.clone().unwrap_or_default();
        let mut occurrences: Vec<Occurrence> = Vec::new();
        let mut changed: Vec<Occurrence> = Vec::new();
        let mut overrides: Vec<&Event> = overrides.to_vec();
        overrides.sort_by_key(|event| event.line);
        for event in overrides {
            if let Some(occurrence) = self.apply_override(event, master, &zone, length, &mut instances, &uid)
            {
                changed.push(occurrence);
            }
        }
        for instance in &instances {
            let end = self.end_of(length, &zone, instance.local, instance.utc);
            occurrences.push(Occurrence {
                uid: uid.clone(),
                summary: summary.clone(),
                start: instance.utc,
                duration_min: (end - instance.utc).num_minutes(),
                recurrence_id: None,
            });
        }
        occurrences.append(&mut changed);
        self.keep_in_window(master, occurrences);
    }

    /// Wall-clock starts from DTSTART and RRULE, before RDATE and EXDATE.
    fn rule_instances(
        &mut self,
        master: &Event,
        zone: &Zone,
        start_local: NaiveDateTime,
    ) -> Vec<NaiveDateTime> {
        let Some(rule) = &master.rrule else {
            return vec![start_local];
        };
        let until = rule.until.as_ref().map(|until| self.until_local(until, zone));
        // One day past the horizon's wall-clock time; the exact cut is made
        // on UTC instants in `keep_in_window`.
        let end = zone.local(self.options.horizon) + Duration::days(1);
        let expanded = expand_local(rule, start_local, until, end, true);
        if expanded.truncated {
            self.out.notes.push(format!(
                "{} repeats past {}; only occurrences before then were imported.",
                label(master),
                self.options.horizon.format("%Y-%m-%d %H:%M UTC"),
            ));
        }
        expanded.starts
    }

    /// EXDATE values as UTC instants, and DATE values as wall-clock days.
    fn exclusions(&mut self, master: &Event, zone: &Zone) -> (HashSet<DateTime<Utc>>, HashSet<NaiveDate>) {
        let mut instants = HashSet::new();
        let mut days = HashSet::new();
        for exdate in &master.exdates {
            match exdate {
                DateValue::Date(date) => {
                    days.insert(*date);
                }
                other => {
                    instants.extend(self.instant(other, zone).map(|resolved| resolved.utc));
                }
            }
        }
        (instants, days)
    }

    /// Applies one RECURRENCE-ID override: removes the occurrence it
    /// replaces and returns the changed occurrence, if it is to be imported.
    fn apply_override(
        &mut self,
        event: &Event,
        master: &Event,
        zone: &Zone,
        master_length: Length,
        instances: &mut Vec<Instance>,
        uid: &str,
    ) -> Option<Occurrence> {
        let recurrence_id = event.recurrence_id.as_ref()?;
        let replaced = |instance: &Instance, target: Option<DateTime<Utc>>| match (recurrence_id, target) {
            (DateValue::Date(date), _) => instance.local.date() == *date,
            (_, Some(target)) => instance.utc == target,
            _ => false,
        };
        let target = self.instant(recurrence_id, zone).map(|resolved| resolved.utc);
        let matched = instances
            .iter()
            .find(|instance| replaced(instance, target))
            .map(|instance| instance.utc);
        let recurrence_utc = matched.or(target).or_else(|| match recurrence_id {
            DateValue::Date(date) => Some(zone.resolve(date.and_time(NaiveTime::MIN)).utc),
            _ => None,
        });

        match unusable(event) {
            Some(("cancelled", _)) => {
                instances.retain(|instance| !replaced(instance, target));
                let reason = format!(
                    "The occurrence of {} at {} is cancelled (STATUS:CANCELLED).",
                    label(master),
                    recurrence_utc.map_or_else(String::new, |utc| zone
                        .local(utc)
                        .format("%Y-%m-%d %H:%M")
                        .to_string())
                );
                self.skip(event, "cancelled", reason);
                return None;
            }
            Some((code, reason)) => {
                // An all-day replacement still replaces the timed occurrence;
                // an invalid one is ignored and the original kept.
                if code == "all_day" {
                    instances.retain(|instance| !replaced(instance, target));
                }
                self.skip(event, code, reason);
                return None;
            }
            None => {}
        }
        instances.retain(|instance| !replaced(instance, target));
        if matched.is_none() && recurrence_utc.is_some_and(|utc| utc < self.options.horizon) {
            self.out.notes.push(format!(
                "{}: its RECURRENCE-ID (line {}) matches no occurrence of the series; the changed occurrence was imported as given.",
                label(event),
                event.line
            ));
        }

        let (own_zone, local) = self.start_in_zone(event.start.as_ref()?)?;
        let start = self.resolve_noted(event, &own_zone, local).utc;
        let length = if event.end.is_some() || event.duration.is_some() {
            self.length(event, &own_zone, start)?
        } else {
            master_length
        };
        let end = self.end_of(length, &own_zone, local, start);
        if end - start < Duration::minutes(1) {
            let reason = format!(
                "{} lasts less than one minute: {}.",
                label(event),
                Self::describe_length(event)
            );
            self.skip(event, "no_duration", reason);
            return None;
        }
        Some(Occurrence {
            uid: uid.to_string(),
            summary: event
                .summary
                .clone()
                .or_else(|| master.summary.clone())
                .unwrap_or_default(),
            start,
            duration_min: (end - start).num_minutes(),
            recurrence_id: recurrence_utc,
        })
    }

    /// Drops occurrences at or after the horizon and, unless past ones are
    /// wanted, those before `now` (counted in one `past` entry).
    fn keep_in_window(&mut self, master: &Event, occurrences: Vec<Occurrence>) {
        let mut past = 0usize;
        for occurrence in occurrences {
            if occurrence.start >= self.options.horizon {
                continue;
            }
            if occurrence.start < self.options.now && !self.options.include_past {
                past += 1;
                continue;
            }
            self.out.occurrences.push(occurrence);
        }
        if past > 0 {
            let plural = if past == 1 { "occurrence" } else { "occurrences" };
            let reason = format!(
                "{past} {plural} of {} before {} were skipped because they are in the past.",
                label(master),
                self.options.now.format("%Y-%m-%d %H:%M UTC")
            );
            self.skip(master, "past", reason);
        }
    }
}
