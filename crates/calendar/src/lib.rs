//! iCalendar (RFC 5545) for MelodyandMeter: reading exports of Google,
//! Outlook and Apple calendars, expanding their recurrences into lesson
//! occurrences, and writing feeds. No I/O.
