//! Content lines (RFC 5545 section 3.1): unfolding and splitting a line into
//! name, parameters and value.

/// One logical line after unfolding, with the number of its first physical line.
pub(crate) struct RawLine {
    pub number: usize,
    pub text: String,
}

/// Joins folded lines. A physical line that starts with a space or a tab
/// continues the line before it, without its first character. A joined
/// line that still contains no `:` cannot be a property, so it is appended
/// to the line before it (some exporters drop the leading space of a
/// continuation) and a warning is added.
pub(crate) fn unfold(text: &str, warnings: &mut Vec<String>) -> Vec<RawLine> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut joined: Vec<RawLine> = Vec::new();
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        if physical.trim().is_empty() {
            continue;
        }
        if let (true, Some(last)) = (physical.starts_with([' ', '\t']), joined.last_mut()) {
            last.text.push_str(&physical[1..]);
            continue;
        }
        joined.push(RawLine {
            number: index + 1,
            text: physical.to_string(),
        });
    }

    let mut lines: Vec<RawLine> = Vec::with_capacity(joined.len());
    for line in joined {
        match lines.last_mut() {
            Some(last) if !line.text.contains(':') => {
                warnings.push(format!(
                    "line {} contains no ':' and does not start with a space; it was read as a continuation of line {}",
                    line.number, last.number
                ));
                last.text.push_str(&line.text);
            }
            _ => lines.push(line),
        }
    }
    lines
}

/// A parsed content line. `name` and parameter names are upper case.
#[derive(Debug, Clone)]
pub(crate) struct Property {
    pub name: String,
    pub params: Vec<(String, Vec<String>)>,
    pub value: String,
    pub line: usize,
}

impl Property {
    /// Returns the first value of parameter `name` (upper case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Splits `name *(";" param) ":" value`. Quoted parameter values may hold
/// `:`, `;`, `,` and non-ASCII text. An empty parameter (`;;`) is skipped,
/// because it carries nothing that could be misread.
pub(crate) fn parse_property(raw: &RawLine) -> Result<Property, String> {
    let text = raw.text.as_str();
    let mut chars = text.char_indices().peekable();

    let name_end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    if name_end == 0 {
        return Err(format!(
            "expected a property name at the start of {:?}",
            preview(text)
        ));
    }
    let name = text[..name_end].to_ascii_uppercase();
    while chars.peek().is_some_and(|(i, _)| *i < name_end) {
        chars.next();
    }

    let mut params = Vec::new();
    loop {
        match chars.next() {
            Some((i, ':')) => {
                return Ok(Property {
                    name,
                    params,
                    value: text[i + 1..].to_string(),
                    line: raw.number,
                });
            }
            Some((_, ';')) => {}
            Some((_, c)) => {
                return Err(format!(
                    "unexpected {c:?} in the name or parameters of {name}; expected ';' or ':'"
                ));
            }
            None => return Err(format!("{name} has no ':' before its value")),
        }
        if matches!(chars.peek(), Some((_, ';')) | Some((_, ':'))) {
            continue;
        }
        let mut param_name = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if !is_name_char(c) {
                break;
            }
            param_name.push(c.to_ascii_uppercase());
            chars.next();
        }
        if param_name.is_empty() || !matches!(chars.next(), Some((_, '='))) {
            return Err(format!(
                "invalid parameter in {name}: expected NAME=VALUE after ';'"
            ));
        }
        let mut values = Vec::new();
        loop {
            let mut value = String::new();
            if matches!(chars.peek(), Some((_, '"'))) {
                chars.next();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return Err(format!(
                        "parameter {param_name} of {name} has an opening '\"' but no closing one"
                    ));
                }
            } else {
                while let Some(&(_, c)) = chars.peek() {
                    if matches!(c, ',' | ';' | ':') {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
            values.push(value);
            if matches!(chars.peek(), Some((_, ','))) {
                chars.next();
                continue;
            }
            break;
        }
        params.push((param_name, values));
    }
}

fn preview(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawLine {
        RawLine {
            number: 7,
            text: text.to_string(),
        }
    }

    #[test]
    fn unfold_space_tab_crlf_and_bom() {
        let mut warnings = Vec::new();
        let lines = unfold("\u{feff}A:1\r\n 2\r\nB:x\n\ty\n", &mut warnings);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "A:12");
        assert_eq!(lines[1].text, "B:xy");
        assert_eq!(lines[1].number, 3);
        assert!(warnings.is_empty());
    }

    #[test]
    fn unfold_colon_on_continuation_line() {
        let mut warnings = Vec::new();
        let lines = unfold("ATTENDEE;CN=Bruce Robe\n rts:MAILTO:x\nA:1", &mut warnings);
        assert_eq!(lines[0].text, "ATTENDEE;CN=Bruce Roberts:MAILTO:x");
        assert!(warnings.is_empty());
    }

    #[test]
    fn unfold_colonless_line_with_warning() {
        let mut warnings = Vec::new();
        let lines = unfold("D:one\nand two\nE:x", &mut warnings);
        assert_eq!(lines[0].text, "D:oneand two");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("line 2"));
    }

    #[test]
    fn quoted_parameters() {
        let p = parse_property(&raw("X-A;X-ADDRESS=\"Röadstar 16, x;y:z\";VALUE=URI:geo:1,2")).unwrap();
        assert_eq!(p.name, "X-A");
        assert_eq!(p.param("X-ADDRESS"), Some("Röadstar 16, x;y:z"));
        assert_eq!(p.value, "geo:1,2");
    }

    #[test]
    fn empty_parameter_skipped() {
        let p = parse_property(&raw("DTSTART;;VALUE=DATE-TIME:20140409T093000")).unwrap();
        assert_eq!(p.param("VALUE"), Some("DATE-TIME"));
        assert_eq!(p.value, "20140409T093000");
    }

    #[test]
    fn empty_tzid_value() {
        let p = parse_property(&raw("DTSTART;TZID=:20150826T090000")).unwrap();
        assert_eq!(p.param("TZID"), Some(""));
    }

    #[test]
    fn value_inside_quotes_rejected() {
        let error =
            parse_property(&raw("DTSTART;TZID=\"W. Europe Standard Time:20200609T090000\"")).unwrap_err();
        assert!(error.contains("no ':'"), "{error}");
    }

    #[test]
    fn unterminated_quote_rejected() {
        assert!(parse_property(&raw("A;B=\"x:1")).unwrap_err().contains("closing"));
    }
}
