//! From text to [`Calendar`]: components, then typed events and time zones.

use chrono::NaiveDateTime;

use crate::lines::{parse_property, unfold, Property, RawLine};
use crate::rrule::RecurrenceRule;
use crate::value::{parse_utc_offset, unescape_text, DateValue, IcalDuration};

/// Error for a text that is not an iCalendar file at all. A problem inside
/// one event does not raise it but skips that event (see [`Event::problems`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based physical line number where the problem was found.
    pub line: usize,
    pub message: String,
}

/// A problem that makes one event unusable, with a code for the import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

/// One VEVENT, with the properties the import uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Line of its `BEGIN:VEVENT`.
    pub line: usize,
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    /// STATUS in upper case, such as `CANCELLED`.
    pub status: Option<String>,
    pub start: Option<DateValue>,
    pub end: Option<DateValue>,
    pub duration: Option<IcalDuration>,
    pub rrule: Option<RecurrenceRule>,
    pub rdates: Vec<DateValue>,
    pub exdates: Vec<DateValue>,
    pub recurrence_id: Option<DateValue>,
    /// Invalid properties; a non-empty list skips the event.
    pub problems: Vec<Problem>,
}

/// Whether an observance starts standard or daylight time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservanceKind {
    Standard,
    Daylight,
}

/// A STANDARD or DAYLIGHT sub-component of a VTIMEZONE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub kind: ObservanceKind,
    /// First onset, in the wall-clock time before it (TZOFFSETFROM).
    pub start: NaiveDateTime,
    /// Seconds east of UTC before each onset.
    pub offset_from: i32,
    /// Seconds east of UTC from each onset on.
    pub offset_to: i32,
    pub rrule: Option<RecurrenceRule>,
    /// Further onsets (RDATE), in the wall-clock time before them.
    pub rdates: Vec<NaiveDateTime>,
}

/// A VTIMEZONE definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VTimezone {
    pub tzid: String,
    pub line: usize,
    pub observances: Vec<Observance>,
    /// Invalid sub-components or values; the definition is used without them.
    pub problems: Vec<String>,
}

/// A parsed iCalendar file: events of every VCALENDAR (or bare VEVENTs)
/// and the time zones defined in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    pub events: Vec<Event>,
    pub timezones: Vec<VTimezone>,
    /// The Google and Apple calendar-wide zone (X-WR-TIMEZONE).
    pub x_wr_timezone: Option<String>,
    /// Input that was tolerated or ignored, as sentences naming the line.
    pub warnings: Vec<String>,
}

struct Node {
    name: String,
    line: usize,
    properties: Vec<Property>,
    bad_lines: Vec<(usize, String)>,
    children: Vec<Node>,
}

/// Parses iCalendar text (RFC 5545).
///
/// Accepts CRLF or LF line ends, folding with a space or a tab, a UTF-8 BOM,
/// one or more VCALENDARs, and VEVENTs without a VCALENDAR around them.
/// Returns an error naming the line for input that has no component
/// structure: an unbalanced BEGIN/END, or a line outside any component that
/// is not a content line. An invalid property inside a VEVENT does not fail
/// the whole file; it is stored in that event's [`Event::problems`].
pub fn parse(text: &str) -> Result<Calendar, ParseError> {
    let mut calendar = Calendar::default();
    let lines = unfold(text, &mut calendar.warnings);
    if lines.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "the input is empty; expected BEGIN:VCALENDAR".to_string(),
        });
    }
    let roots = build_tree(&lines, &mut calendar.warnings)?;
    if roots.is_empty() {
        return Err(ParseError {
            line: lines[0].number,
            message: "no BEGIN:VCALENDAR or BEGIN:VEVENT found".to_string(),
        });
    }
    for root in &roots {
        match root.name.as_str() {
            "VCALENDAR" => read_vcalendar(root, &mut calendar),
            "VEVENT" => calendar.events.push(read_event(root)),
            "VTIMEZONE" => calendar.timezones.push(read_vtimezone(root)),
            other => calendar.warnings.push(format!(
                "line {}: component {other} outside VCALENDAR was ignored",
                root.line
            )),
        }
    }
    Ok(calendar)
}

fn build_tree(lines: &[RawLine], warnings: &mut Vec<String>) -> Result<Vec<Node>, ParseError> {
    let mut roots = Vec::new();
    let mut stack: Vec<Node> = Vec::new();
    for raw in lines {
        let property = match parse_property(raw) {
            Ok(property) => property,
            Err(message) => match stack.last_mut() {
                Some(open) => {
                    open.bad_lines.push((raw.number, message));
                    continue;
                }
                None => {
                    return Err(ParseError {
                        line: raw.number,
                        message,
                    })
                }
            },
        };
        match property.name.as_str() {
            "BEGIN" => stack.push(Node {
                name: property.value.trim().to_ascii_uppercase(),
                line: raw.number,
                properties: Vec::new(),
                bad_lines: Vec::new(),
                children: Vec::new(),
            }),
            "END" => {
                let name = property.value.trim().to_ascii_uppercase();
                let Some(open) = stack.pop() else {
                    return Err(ParseError {
                        line: raw.number,
                        message: format!("END:{name} has no matching BEGIN:{name}"),
                    });
                };
                if open.name != name {
                    return Err(ParseError {
                        line: raw.number,
                        message: format!(
                            "END:{name} does not close BEGIN:{} of line {}",
                            open.name, open.line
                        ),
                    });
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(open),
                    None => roots.push(open),
                }
            }
            _ => match stack.last_mut() {
                Some(open) => open.properties.push(property),
                None => warnings.push(format!(
                    "line {}: property {} outside any component was ignored",
                    raw.number, property.name
                )),
            },
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError {
            line: open.line,
            message: format!("BEGIN:{} has no matching END:{}", open.name, open.name),
        });
    }
    Ok(roots)
}

fn read_vcalendar(node: &Node, calendar: &mut Calendar) {
    for (line, message) in &node.bad_lines {
        calendar
            .warnings
            .push(format!("line {line}: {message}; the line was ignored"));
    }
    if let Some(property) = node.properties.iter().find(|p| p.name == "X-WR-TIMEZONE") {
        let zone = property.value.trim();
        if !zone.is_empty() {
            calendar.x_wr_timezone = Some(zone.to_string());
        }
    }
    for child in &node.children {
        match child.name.as_str() {
            "VEVENT" => calendar.events.push(read_event(child)),
            "VTIMEZONE" => calendar.timezones.push(read_vtimezone(child)),
            _ => {}
        }
    }
}

fn text_value(property: &Property) -> String {
    unescape_text(&property.value)
}

fn date_value(property: &Property) -> Result<DateValue, Problem> {
    DateValue::parse(&property.value, property.param("TZID")).map_err(|message| Problem {
        code: "invalid_value",
        message: format!("line {}: {}: {message}", property.line, property.name),
    })
}

/// Reads a comma-separated EXDATE or RDATE list. An empty value adds nothing.
fn date_list(property: &Property, into: &mut Vec<DateValue>, problems: &mut Vec<Problem>) {
    for item in property
        .value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        // RDATE;VALUE=PERIOD:start/end adds an instance at `start`.
        let item = item.split_once('/').map_or(item, |(start, _)| start);
        match DateValue::parse(item, property.param("TZID")) {
            Ok(value) => into.push(value),
            Err(message) => problems.push(Problem {
                code: "invalid_value",
                message: format!("line {}: {}: {message}", property.line, property.name),
            }),
        }
    }
}

fn read_event(node: &Node) -> Event {
    let mut event = Event {
        line: node.line,
        uid: None,
        summary: None,
        description: None,
        location: None,
        status: None,
        start: None,
        end: None,
        duration: None,
        rrule: None,
        rdates: Vec::new(),
        exdates: Vec::new(),
        recurrence_id: None,
        problems: Vec::new(),
    };
    for (line, message) in &node.bad_lines {
        event.problems.push(Problem {
            code: "invalid_line",
            message: format!("line {line}: {message}"),
        });
    }
    let mut problems = Vec::new();
    for property in &node.properties {
        match property.name.as_str() {
            "UID" => event.uid = Some(text_value(property)),
            "SUMMARY" => event.summary = Some(text_value(property)),
            "DESCRIPTION" => event.description = Some(text_value(property)),
            "LOCATION" => event.location = Some(text_value(property)),
            "STATUS" => event.status = Some(property.value.trim().to_ascii_uppercase()),
            "DTSTART" => event.start = date_value(property).map_err(|p| problems.push(p)).ok(),
            "DTEND" => event.end = date_value(property).map_err(|p| problems.push(p)).ok(),
            "RECURRENCE-ID" => event.recurrence_id = date_value(property).map_err(|p| problems.push(p)).ok(),
            "DURATION" => {
                event.duration = IcalDuration::parse(&property.value)
                    .map_err(|message| {
                        problems.push(Problem {
                            code: "invalid_value",
                            message: format!("line {}: DURATION: {message}", property.line),
                        })
                    })
                    .ok()
            }
            "RRULE" => {
                if event.rrule.is_some() {
                    problems.push(Problem {
                        code: "unsupported_rrule",
                        message: format!("line {}: a second RRULE is not supported", property.line),
                    });
                    continue;
                }
                match RecurrenceRule::parse(&property.value) {
                    Ok(rule) => event.rrule = Some(rule),
                    Err(error) => problems.push(Problem {
                        code: error.code,
                        message: format!(
                            "line {}: RRULE {:?}: {}",
                            property.line, property.value, error.message
                        ),
                    }),
                }
            }
            "EXDATE" => date_list(property, &mut event.exdates, &mut problems),
            "RDATE" => date_list(property, &mut event.rdates, &mut problems),
            _ => {}
        }
    }
    event.problems.extend(problems);
    event
}

fn read_vtimezone(node: &Node) -> VTimezone {
    let tzid = node
        .properties
        .iter()
        .find(|p| p.name == "TZID")
        .map(text_value)
        .unwrap_or_default();
    let mut zone = VTimezone {
        tzid,
        line: node.line,
        observances: Vec::new(),
        problems: node
            .bad_lines
            .iter()
            .map(|(line, message)| format!("line {line}: {message}"))
            .collect(),
    };
    for child in &node.children {
        let kind = match child.name.as_str() {
            "STANDARD" => ObservanceKind::Standard,
            "DAYLIGHT" => ObservanceKind::Daylight,
            _ => continue,
        };
        match read_observance(child, kind) {
            Ok(observance) => zone.observances.push(observance),
            Err(message) => zone.problems.push(message),
        }
    }
    zone
}

fn read_observance(node: &Node, kind: ObservanceKind) -> Result<Observance, String> {
    let find = |name: &str| node.properties.iter().find(|p| p.name == name);
    let missing = |name: &str| format!("line {}: {:?} has no {name}", node.line, node.name);
    let local = |property: &Property, text: &str| match DateValue::parse(text, None) {
        Ok(DateValue::Floating(local)) | Ok(DateValue::Utc(local)) => Ok(local),
        Ok(DateValue::Date(date)) => Ok(date.and_time(chrono::NaiveTime::MIN)),
        Ok(DateValue::Zoned { local, .. }) => Ok(local),
        Err(message) => Err(format!("line {}: {}: {message}", property.line, property.name)),
    };
    let start_property = find("DTSTART").ok_or_else(|| missing("DTSTART"))?;
    let start = local(start_property, &start_property.value)?;
    let offset = |name: &str| -> Result<i32, String> {
        let property = find(name).ok_or_else(|| missing(name))?;
        parse_utc_offset(&property.value).map_err(|message| format!("line {}: {message}", property.line))
    };
    let offset_to = offset("TZOFFSETTO")?;
    let offset_from = offset("TZOFFSETFROM").unwrap_or(offset_to);
    let mut rdates = Vec::new();
    for property in node.properties.iter().filter(|p| p.name == "RDATE") {
        for item in property
            .value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            rdates.push(local(property, item)?);
        }
    }
    let rrule = match find("RRULE") {
        Some(property) => Some(
            RecurrenceRule::parse(&property.value)
                .map_err(|error| format!("line {}: RRULE: {}", property.line, error.message))?,
        ),
        None => None,
    };
    Ok(Observance {
        kind,
        start,
        offset_from,
        offset_to,
        rrule,
        rdates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_vevent_and_escapes() {
        let calendar = parse(
            "BEGIN:VEVENT\nUID:a\nSUMMARY:x\\, y\\; z\\\\ \\n w\nDTSTART:20240101T100000Z\nEND:VEVENT\n",
        )
        .unwrap();
        assert_eq!(calendar.events.len(), 1);
        assert_eq!(calendar.events[0].summary.as_deref(), Some("x, y; z\\ \n w"));
    }

    #[test]
    fn unbalanced_end_names_line() {
        let error = parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VCALENDAR\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(
            error.message.contains("does not close BEGIN:VEVENT of line 2"),
            "{error}"
        );
    }

    #[test]
    fn missing_end_names_begin_line() {
        let error = parse("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.message.contains("no matching END:VEVENT"), "{error}");
    }

    #[test]
    fn not_icalendar_rejected() {
        let error = parse("hello world\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(parse("").is_err());
        assert!(parse("VERSION:2.0\n").is_err());
    }

    #[test]
    fn invalid_date_becomes_event_problem() {
        let calendar = parse(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20171032T000000\nEND:VEVENT\nEND:VCALENDAR\n",
        )
        .unwrap();
        let problem = &calendar.events[0].problems[0];
        assert_eq!(problem.code, "invalid_value");
        assert!(
            problem.message.starts_with("line 4: DTSTART"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn empty_exdate_is_ignored() {
        let calendar =
            parse("BEGIN:VEVENT\nDTSTART:20240101T100000Z\nEXDATE;VALUE=DATE:\nEND:VEVENT\n").unwrap();
        assert!(calendar.events[0].problems.is_empty());
        assert!(calendar.events[0].exdates.is_empty());
    }
}
