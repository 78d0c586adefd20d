//! The spreadsheet formula rule for text cells.

use std::borrow::Cow;

/// First characters that make Excel, LibreOffice or Google Sheets read a cell
/// as a formula, from OWASP's "CSV Injection" page.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Checks whether `text`, after any leading `'`, starts like a formula.
fn starts_like_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// Prefixes a text cell with `'` when a spreadsheet would read it as a
/// formula, so that it shows as text instead of running.
///
/// A value that already starts with `'` followed (after more `'`) by a formula
/// character gets one more `'`, which keeps [`restore`] an exact inverse: no
/// stored text changes on an export and import round trip.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Removes the `'` that [`neutralize`] adds. A cell starting with `'` is left
/// as it is unless a formula character follows the apostrophes.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralize_prefixes_formula_starts() {
        for (text, cell) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-x", "'-x"),
            ("@cmd", "'@cmd"),
            ("\tindented", "'\tindented"),
            ("\rreturn", "'\rreturn"),
            ("'=already", "''=already"),
        ] {
            assert_eq!(neutralize(text), cell, "{text:?}");
        }
    }

    #[test]
    fn neutralize_keeps_plain_text() {
        for text in [
            "",
            "Zoë 🎹",
            "李小龍",
            "שלום",
            "a=b",
            "'quoted",
            "'",
            "1+1",
            " =spaced",
        ] {
            assert_eq!(neutralize(text), text, "{text:?}");
            assert!(matches!(neutralize(text), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn restore_inverts_neutralize() {
        for text in [
            "=SUM(A1)", "+1", "-x", "@cmd", "\tx", "\rx", "'=x", "''-x", "'", "''", "'plain", "plain", "",
        ] {
            assert_eq!(restore(&neutralize(text)), text, "{text:?}");
        }
    }

    #[test]
    fn restore_keeps_apostrophe_before_text() {
        assert_eq!(restore("'hello"), "'hello");
        assert_eq!(restore("'"), "'");
        assert_eq!(restore("'-5"), "-5");
    }
}
