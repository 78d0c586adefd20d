//! Every real-world file in the shared fixture folder is imported, and the
//! imported occurrences are compared with an independent expansion by
//! Python's icalendar + recurring_ical_events (`tests/ical/expand.py`).
//!
//! Window: 1 January of the first timed DTSTART year through the end of
//! the second year after it, past included. Floating times are read in
//! Europe/Berlin on both sides. Python's all-day occurrences are dropped
//! before comparing, because this crate skips all-day events by rule (code
//! `all_day`). Where icalendar rejects a file this crate reads, Python reads
//! a copy with the one malformed piece repaired. Where the documented rules
//! differ from recurring_ical_events, the case's comment explains how.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono_tz::Tz;
use common::*;
use melody_calendar::{parse, Calendar, Expansion};

const STUDIO: Tz = Tz::Europe__Berlin;

/// Edits the fixture text into what Python reads.
type Repair = fn(&str) -> String;
/// Changes Python's occurrences to what the documented rules give.
type Adjust = fn(&Calendar, &mut Vec<PythonSlot>);

/// What the reference expansion is expected to differ in.
enum Reference {
    /// Same occurrences as Python on the file itself.
    Same,
    /// icalendar rejects the file: Python reads the repaired text instead,
    /// and then returns the same occurrences.
    Repaired(Repair),
    /// Python reads the repaired text, and its occurrences are changed by
    /// the second function to what the documented rules give.
    RepairedAndAdjusted(Repair, Adjust),
    /// Python reads the file; its occurrences are changed as documented.
    Adjusted(Adjust),
}

struct Case {
    file: &'static str,
    occurrences: usize,
    /// Codes of `Expansion::skipped`, sorted.
    skipped: &'static [&'static str],
    reference: Reference,
}

fn unchanged(text: &str) -> String {
    text.to_string()
}

/// Removes the VEVENT containing `needle`.
fn remove_event_containing(text: &str, needle: &str) -> String {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the fixture"));
    let begin = text[..at].rfind("BEGIN:VEVENT").unwrap();
    let end = at + text[at..].find("END:VEVENT").unwrap() + "END:VEVENT".len();
    let end = end + text[end..].find('\n').map_or(0, |newline| newline + 1);
    format!("{}{}", &text[..begin], &text[end..])
}

fn drop_zero_length(_: &Calendar, python: &mut Vec<PythonSlot>) {
    // Rule: an event shorter than one minute is skipped (`no_duration`);
    // recurring_ical_events returns it with length 0.
    python.retain(|item| item.slot.duration_min > 0);
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "ical4j__2207678.ics",
            occurrences: 114,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "ical4j__EXDATE.ics",
            occurrences: 5,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "ical4j__Standup.ics",
            occurrences: 734,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // icalendar rejects the empty TZID ("mandatory TZID not found").
            // This crate matches DTSTART;TZID= to the VTIMEZONE with the
            // empty TZID (offset +0000); Python reads the same zone under a name.
            file: "ical4j__blankTzid.ics",
            occurrences: 1,
            skipped: &[],
            reference: Reference::Repaired(|text| {
                text.replace("TZID:\n", "TZID:Blank\n")
                    .replace("TZID=:", "TZID=Blank:")
            }),
        },
        Case {
            // icalendar rejects the trailing spaces after values ("PT10M ");
            // this crate trims them. The event with the truncated DTEND
            // "20031114T18300" is skipped here and left out for Python.
            file: "ical4j__phpicalendar_sample.ics",
            occurrences: 1206,
            skipped: &["all_day", "all_day", "all_day", "invalid_value"],
            reference: Reference::RepairedAndAdjusted(
                |text| {
                    let value_lines = ["DTSTART", "DTEND", "DURATION", "EXDATE", "RRULE"];
                    let trimmed: Vec<&str> = text
                        .lines()
                        .map(|line| {
                            if value_lines.iter().any(|name| line.starts_with(name)) {
                                line.trim_end()
                            } else {
                                line
                            }
                        })
                        .collect();
                    remove_event_containing(
                        &(trimmed.join("\n") + "\n"),
                        "DTEND;VALUE=DATE-TIME:20031114T18300",
                    )
                },
                |calendar, python| {
                    // Rule: an override without SUMMARY keeps its series'
                    // summary; recurring_ical_events leaves it empty.
                    for item in python.iter_mut().filter(|item| item.slot.summary.is_empty()) {
                        item.slot.summary = series_summary(calendar, &item.uid);
                    }
                },
            ),
        },
        Case {
            file: "icalendar__alarm_thunderbird_2_future.ics",
            occurrences: 1,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "icalendar__bom_calendar.ics",
            occurrences: 0,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // "DTSTART;;VALUE=DATE-TIME": icalendar drops DTSTART; this crate
            // skips the empty parameter. The event has no DTEND or DURATION,
            // so it lasts 0 minutes and is skipped.
            file: "icalendar__broken_ical.ics",
            occurrences: 0,
            skipped: &["no_duration"],
            reference: Reference::RepairedAndAdjusted(|text| text.replace(";;", ";"), drop_zero_length),
        },
        Case {
            file: "icalendar__event_with_recurrence_exdates_on_different_lines.ics",
            occurrences: 10,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "icalendar__issue_112_missing_tzinfo_on_exdate.ics",
            occurrences: 11,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // "BYDAY=MO, TU, WE, TH, FR": icalendar rejects the spaces, this
            // crate trims list items.
            file: "icalendar__issue_165_missing_event.ics",
            occurrences: 14,
            skipped: &[],
            reference: Reference::Repaired(|text| text.replace("MO, TU, WE, TH, FR", "MO,TU,WE,TH,FR")),
        },
        Case {
            file: "icalendar__issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics",
            occurrences: 1,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "icalendar__issue_313_globally_unique_tzid.ics",
            occurrences: 3,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "icalendar__issue_350.ics",
            occurrences: 1,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // The empty "EXDATE;VALUE=DATE:" is ignored here; icalendar
            // rejects it. Both events are all-day, so nothing is imported.
            file: "icalendar__parsing_error.ics",
            occurrences: 0,
            skipped: &["all_day", "all_day"],
            reference: Reference::Repaired(|text| text.replace("EXDATE;VALUE=DATE:\n", "")),
        },
        Case {
            file: "icalendar__x_location.ics",
            occurrences: 567,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // icalendar rejects the VFREEBUSY periods that end before they
            // start. They are no events, so Python reads the file without
            // them. It also gets no event with the impossible date 20171032,
            // because this crate skips that one. Rule (c): the Outlook display name
            // "(UTC-05:00) Eastern Time (US & Canada)" is America/New_York;
            // icalendar reads it as floating (here: X-WR-TIMEZONE UTC), so
            // Python is given the IANA name.
            file: "ics-parser__ICal.ics",
            occurrences: 150,
            skipped: &[
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "all_day",
                "invalid_value",
            ],
            reference: Reference::Repaired(|text| {
                let begin = text.find("BEGIN:VFREEBUSY").unwrap();
                let end = text.find("END:VFREEBUSY\n").unwrap() + "END:VFREEBUSY\n".len();
                let without_freebusy = format!("{}{}", &text[..begin], &text[end..]);
                remove_event_containing(&without_freebusy, "DTSTART:20171032T000000")
                    .replace("\"(UTC-05:00) Eastern Time (US & Canada)\"", "America/New_York")
            }),
        },
        Case {
            file: "khal__event_dtr_notz_untilz.ics",
            occurrences: 7,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "khal__event_rrule_recuid.ics",
            occurrences: 6,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            // Rule (c) before (d): the Windows id "New Zealand Standard Time"
            // is Pacific/Auckland, not the file's inconsistent VTIMEZONE
            // (CET/CEST offsets). Python is given the IANA name.
            file: "khal__tz_windows_format.ics",
            occurrences: 1,
            skipped: &[],
            reference: Reference::Repaired(|text| {
                text.replace("TZID=New Zealand Standard Time;", "TZID=Pacific/Auckland;")
            }),
        },
        Case {
            // Rule (c): Outlook display names map to IANA zones; icalendar
            // reads them as floating times. Python is given the IANA names.
            file: "node-ical__Office-2012-owa.ics",
            occurrences: 90,
            skipped: &[],
            reference: Reference::Repaired(|text| {
                text.replace("\"(GMT+10:00) Canberra, Melbourne, Sydney\"", "Australia/Sydney")
                    .replace("\"(UTC-05:00) Eastern Time (US & Canada)\"", "America/New_York")
            }),
        },
        Case {
            // "RRULE:RRULE:AnythingRandom;..." has no unambiguous reading, so
            // "Academic Time" is skipped (`invalid_rrule`); dateutil ignores
            // the junk part. The 07:20-07:20 event lasts 0 minutes.
            file: "node-ical__badRRULE.ics",
            occurrences: 606,
            skipped: &["invalid_rrule", "no_duration"],
            reference: Reference::Adjusted(|calendar, python| {
                python.retain(|item| item.slot.summary != "Academic Time");
                drop_zero_length(calendar, python);
            }),
        },
        Case {
            file: "node-ical__bad_ms_tz.ics",
            occurrences: 34,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "node-ical__biweekly-exdate-until.ics",
            occurrences: 147,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "node-ical__example-rrule.ics",
            occurrences: 8,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "node-ical__exchange_whole_day_moved_recurrence.ics",
            occurrences: 0,
            skipped: &["all_day", "all_day"],
            reference: Reference::Same,
        },
        Case {
            // The DTSTART whose value sits inside the quoted TZID has no
            // ':' before its value: that event is skipped (`invalid_line`),
            // icalendar rejects the file. Python reads it without that event.
            file: "node-ical__ms_timezones.ics",
            occurrences: 137,
            skipped: &["invalid_line"],
            reference: Reference::Repaired(|text| {
                remove_event_containing(text, "DTSTART;TZID=\"W. Europe Standard Time:")
            }),
        },
        Case {
            file: "node-ical__music-school-weekly-until.ics",
            occurrences: 9,
            skipped: &[],
            reference: Reference::Same,
        },
        Case {
            file: "node-ical__whole_day_moved_over_dst_change_berlin.ics",
            occurrences: 0,
            skipped: &["all_day", "all_day"],
            reference: Reference::Same,
        },
        Case {
            // Rule: a floating UNTIL on a zoned series is read in the
            // series' zone, so UNTIL=20131118T183000 includes the 18:30
            // New York lesson on 18 November; recurring_ical_events ends
            // the series before it.
            file: "vobject__UntilRespectsTimezoneTest.ics",
            occurrences: 9,
            skipped: &[],
            reference: Reference::Adjusted(|_, python| {
                python.push(PythonSlot {
                    slot: Slot {
                        start: "2013-11-18T23:30:00Z".into(),
                        duration_min: 120,
                        summary: "Test".into(),
                    },
                    all_day: false,
                    uid: "10621-1440@ccbchurch.com".into(),
                    status: String::new(),
                });
            }),
        },
    ]
}

fn series_summary(calendar: &Calendar, uid: &str) -> String {
    calendar
        .events
        .iter()
        .find(|event| event.uid.as_deref() == Some(uid) && event.recurrence_id.is_none())
        .and_then(|event| event.summary.clone())
        .unwrap_or_default()
}

fn skipped_codes(expansion: &Expansion) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = expansion.skipped.iter().map(|skipped| skipped.code).collect();
    codes.sort_unstable();
    codes
}

/// Lines of the multiset difference `left - right`, for failure messages.
fn missing_from(left: &[Slot], right: &[Slot]) -> Vec<String> {
    let mut counts: BTreeMap<&Slot, i64> = BTreeMap::new();
    for slot in right {
        *counts.entry(slot).or_default() += 1;
    }
    let mut missing = Vec::new();
    for slot in left {
        let count = counts.entry(slot).or_default();
        if *count > 0 {
            *count -= 1;
        } else {
            missing.push(format!(
                "{} {} min {:?}",
                slot.start, slot.duration_min, slot.summary
            ));
        }
    }
    missing
}

#[test]
fn cases_cover_every_fixture() {
    let mut on_disk: Vec<String> = fs::read_dir(FIXTURES)
        .expect("fixture folder missing")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".ics"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = cases().iter().map(|case| case.file.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn fixtures_match_python_reference() {
    let scratch = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases() {
        let path = Path::new(FIXTURES).join(case.file);
        let text = fs::read_to_string(&path).unwrap();
        let calendar = match parse(&text) {
            Ok(calendar) => calendar,
            Err(error) => {
                failures.push(format!("{}: rejected: {error}", case.file));
                continue;
            }
        };
        let from = first_start_year(&calendar).unwrap_or(2020);
        let ours = expand_window(&calendar, from, from + 3, STUDIO);
        let our_slots = slots(&ours);

        if our_slots.len() != case.occurrences {
            failures.push(format!(
                "{}: {} occurrences, expected {}",
                case.file,
                our_slots.len(),
                case.occurrences
            ));
        }
        if skipped_codes(&ours) != case.skipped {
            failures.push(format!(
                "{}: skipped codes {:?}, expected {:?}",
                case.file,
                skipped_codes(&ours),
                case.skipped
            ));
        }

        let (repair, adjust): (Repair, Option<Adjust>) = match case.reference {
            Reference::Same => (unchanged, None),
            Reference::Repaired(repair) => (repair, None),
            Reference::RepairedAndAdjusted(repair, adjust) => (repair, Some(adjust)),
            Reference::Adjusted(adjust) => (unchanged, Some(adjust)),
        };
        let python_path = scratch.path().join(case.file);
        fs::write(&python_path, repair(&text)).unwrap();
        let mut python = match python_expand(&python_path, from, from + 3, STUDIO) {
            Ok(python) => python,
            Err(error) => {
                failures.push(format!(
                    "{}: Python rejected the compared text: {error}",
                    case.file
                ));
                continue;
            }
        };
        let python_all_day = python.iter().filter(|item| item.all_day).count();
        python.retain(|item| !item.all_day);
        if python_all_day > 0 && !ours.skipped.iter().any(|skipped| skipped.code == "all_day") {
            failures.push(format!(
                "{}: Python has {python_all_day} all-day occurrences but nothing was skipped as all_day",
                case.file
            ));
        }
        if let Some(adjust) = adjust {
            adjust(&calendar, &mut python);
        }
        let mut python_slots: Vec<Slot> = python.into_iter().map(|item| item.slot).collect();
        python_slots.sort();
        if python_slots != our_slots {
            failures.push(format!(
                "{}: differs from Python.\n  only here: {:?}\n  only in Python: {:?}",
                case.file,
                missing_from(&our_slots, &python_slots)
                    .into_iter()
                    .take(5)
                    .collect::<Vec<_>>(),
                missing_from(&python_slots, &our_slots)
                    .into_iter()
                    .take(5)
                    .collect::<Vec<_>>(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_skip_reasons_name_the_line() {
    let text = fs::read_to_string(Path::new(FIXTURES).join("node-ical__ms_timezones.ics")).unwrap();
    let calendar = parse(&text).unwrap();
    let expansion = expand_window(&calendar, 2020, 2023, STUDIO);
    let skipped = &expansion.skipped[0];
    assert_eq!(skipped.code, "invalid_line");
    assert!(skipped.reason.contains("line 152"), "{}", skipped.reason);
    assert_eq!(skipped.summary.as_deref(), Some("Log Yesterday's Jira time"));
}

#[test]
fn fixture_unknown_tzid_noted() {
    let text = fs::read_to_string(Path::new(FIXTURES).join("khal__event_dtr_notz_untilz.ics")).unwrap();
    let calendar = parse(&text).unwrap();
    let expansion = expand_window(&calendar, 2012, 2015, STUDIO);
    assert_eq!(
        expansion.occurrences[0].start.to_rfc3339(),
        "2012-07-26T11:00:00+00:00"
    );
    assert!(
        expansion
            .notes
            .iter()
            .any(|note| note.contains("GMT-05.00/-04.00") && note.contains("Europe/Berlin")),
        "{:?}",
        expansion.notes
    );
}
