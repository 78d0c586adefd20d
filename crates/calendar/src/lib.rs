//! iCalendar (RFC 5545) for MelodyandMeter: reading exports of Google,
//! Outlook and Apple calendars, expanding their recurrences into lesson
//! occurrences, and writing feeds. No I/O.
//!
//! [`parse`] reads the text, [`expand`] turns events into [`Occurrence`]s
//! and [`write_calendar`] writes a feed that `parse` + `expand` read back
//! to the same occurrences.
//!
//! # Import rules
//!
//! **Time zone of a TZID.** Tried in this order:
//! (a) an IANA name known to chrono-tz (`Europe/Berlin`, also old links
//! like `US/Central`);
//! (b) a globally unique id starting with `/`, such as
//! `/freeassociation.sourceforge.net/Europe/Berlin`, read as the longest
//! trailing part that is an IANA name;
//! (c) a Windows zone id (`W. Europe Standard Time`) or an Outlook display
//! name (`(UTC-05:00) Eastern Time (US & Canada)`), mapped by a table that
//! follows CLDR `windowsZones.xml`. This wins over a VTIMEZONE of the same
//! id, because Exchange writes simplified rules into it.
//! (d) the file's own VTIMEZONE with that TZID, its offsets computed from
//! its STANDARD/DAYLIGHT DTSTART, RRULE and RDATE;
//! (e) otherwise (unknown id, or empty) the calendar's X-WR-TIMEZONE when
//! that is a known name, else the studio zone ([`ExpandOptions::zone`]);
//! this adds a note naming the TZID and the zone used.
//!
//! **Floating times** (no `Z`, no TZID) are read in the studio zone.
//! A DATE-TIME with `Z` is UTC. A series with a UTC DTSTART repeats in
//! the wall-clock time of the calendar's X-WR-TIMEZONE when that is a
//! known zone (Google writes UTC times for events in the calendar's zone),
//! and in UTC otherwise.
//!
//! **Wall-clock anchoring.** A series repeats in the wall-clock time of its
//! DTSTART zone, so a weekly 17:00 lesson stays at 17:00 local time across
//! DST changes and its UTC instant moves.
//!
//! **DST gap.** A wall-clock time that does not exist (clocks skip forward)
//! is moved forward by the length of the gap, as RFC 5545 section 3.3.5
//! says: 02:30 on a day New York skips 02:00–03:00 becomes 03:30. A note
//! is added.
//!
//! **Ambiguous time.** A wall-clock time that occurs twice (clocks go back)
//! means the earlier instant. A note is added.
//!
//! **UNTIL.** A UTC UNTIL is compared in UTC. A floating UNTIL on a series
//! with a TZID is read in the series' zone (RFC 5545 requires UTC there,
//! but exporters write the local end time). A DATE UNTIL includes that
//! whole day.
//!
//! **All-day events** (DATE DTSTART) are skipped with code `all_day`; lessons
//! are timed.
//!
//! **Duration.** DTEND gives the same exact length to every occurrence;
//! DURATION days are wall-clock days. Without either, a DATE-TIME event ends
//! when it starts (RFC 5545 section 3.6.1). An event shorter than one minute
//! is skipped with code `no_duration`.
//!
//! **Exceptions.** EXDATE removes occurrences; a DATE EXDATE removes every
//! occurrence on that wall-clock day. A VEVENT with the series' UID and a
//! RECURRENCE-ID replaces the occurrence starting at that instant (a DATE
//! RECURRENCE-ID matches by day). With STATUS:CANCELLED it only removes it.
//! Without DTEND or DURATION it keeps the series' length. An override whose
//! series is not in the file is imported on its own.
//!
//! **Cancelled events** (STATUS:CANCELLED) are skipped with code `cancelled`.
//!
//! **Past and horizon.** Occurrences starting before
//! [`ExpandOptions::now`] are skipped unless
//! [`ExpandOptions::include_past`] is set; each event gets one `past` entry
//! with their count. Occurrences starting at or after
//! [`ExpandOptions::horizon`] are not produced; a series that repeats
//! beyond it (open-ended or not) gets a note.
//!
//! **Invalid input.** [`parse`] fails, naming the line, only when the text
//! has no usable component structure (unbalanced BEGIN/END, no component at
//! all, or a line outside any component that is not `NAME:VALUE`). An
//! invalid property inside a VEVENT skips that event with a reason naming
//! the line (codes `invalid_line`, `invalid_value`, `invalid_rrule`,
//! `unsupported_rrule`). Tolerated, where the reading is unambiguous: an
//! empty parameter (`DTSTART;;VALUE=...`), spaces inside RRULE lists
//! (`BYDAY=MO, TU`), trailing spaces after DATE-TIME and DURATION values,
//! an empty EXDATE, and a line without `:` that does not start with a
//! space (read as a continuation of the line before it, with a note).
//! Supported RRULE parts: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL,
//! COUNT, UNTIL, BYDAY with ordinals, BYMONTHDAY (also negative), BYMONTH,
//! BYSETPOS and WKST; BYYEARDAY, BYWEEKNO and BYHOUR/BYMINUTE/BYSECOND skip
//! the event as `unsupported_rrule`.

mod expand;
mod lines;
mod parse;
mod rrule;
mod series;
mod value;
mod windows_zones;
mod write;
mod zone;

pub use expand::{expand, ExpandOptions, Expansion, Occurrence, Skipped};
pub use parse::{parse, Calendar, Event, Observance, ObservanceKind, ParseError, Problem, VTimezone};
pub use rrule::{Frequency, RecurrenceRule, RuleError, WeekdayNum};
pub use value::{DateValue, IcalDuration};
pub use write::{write_calendar, write_calendar_stamped, FeedEvent, WeeklyRecurrence};
pub use zone::known_zone;
