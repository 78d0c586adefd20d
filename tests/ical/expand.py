"""Expand an iCalendar file with icalendar + recurring_ical_events.

Usage: expand.py FILE FROM TO [ZONE]

FROM and TO are dates (YYYY-MM-DD) bounding the window [FROM, TO). ZONE is
the IANA zone that floating (zone-less) times are read in, UTC by default.
Prints one JSON object: {"occurrences": [...]} sorted by start, where each
occurrence has "start" (UTC, RFC 3339), "duration_min", "summary", "uid",
"status" (upper case, empty when absent) and "all_day"; or {"error": "..."} with exit status 2 when icalendar rejects the
file. The Rust tests in crates/calendar compare their expansion to this one.
"""

import datetime
import json
import sys
import zoneinfo

import icalendar
import recurring_ical_events


def to_utc(value, floating_zone):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=floating_zone)
        return value.astimezone(datetime.timezone.utc), False
    # A DATE value: midnight in the floating zone, flagged all-day.
    midnight = datetime.datetime.combine(value, datetime.time(), floating_zone)
    return midnight.astimezone(datetime.timezone.utc), True


def load(path):
    with open(path, "rb") as handle:
        data = handle.read()
    component = icalendar.Calendar.from_ical(data)
    if component.name != "VCALENDAR":
        # A bare VEVENT: wrap it so that recurring_ical_events can read it.
        calendar = icalendar.Calendar()
        calendar.add_component(component)
        return calendar
    return component


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 64
    path, start, end = sys.argv[1:4]
    floating_zone = zoneinfo.ZoneInfo(sys.argv[4] if len(sys.argv) == 5 else "UTC")
    try:
        calendar = load(path)
        events = recurring_ical_events.of(calendar).between(
            datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
        )
    except Exception as error:  # noqa: BLE001 - any rejection is reported as data
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 2

    occurrences = []
    for event in events:
        begin, all_day = to_utc(event.decoded("DTSTART"), floating_zone)
        if "DTEND" in event:
            finish, _ = to_utc(event.decoded("DTEND"), floating_zone)
        else:
            finish = begin + event.decoded("DURATION", datetime.timedelta())
        occurrences.append(
            {
                "start": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration_min": int((finish - begin).total_seconds() // 60),
                "summary": str(event.get("SUMMARY", "")),
                "uid": str(event.get("UID", "")),
                "status": str(event.get("STATUS", "")).upper(),
                "all_day": all_day,
            }
        )
    occurrences.sort(key=lambda item: (item["start"], item["uid"], item["summary"]))
    print(json.dumps({"occurrences": occurrences}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
