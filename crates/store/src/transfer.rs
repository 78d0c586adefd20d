//! CSV import of students, teachers and bookings, and CSV export of bookings
//! and the audit log.
//!
//! Exports are UTF-8 with a byte order mark and CRLF line ends, which Excel
//! and LibreOffice open without an import dialog. A text cell that a
//! spreadsheet would run as a formula gets a leading `'` (see [`neutralize`]),
//! and import removes it again (see [`restore`]), so an export imports back
//! unchanged.

mod cells;
mod export;
mod import;

pub use cells::{neutralize, restore};
pub use export::{export_audit_csv, export_bookings_csv, ExportRange, AUDIT_COLUMNS, BOOKING_COLUMNS};
pub use import::{
    import_csv, CsvCreatedCounts, CsvImportReport, CsvImportedRow, CsvRowConflict, CsvRowError, ImportKind,
    ImportRequest, UnknownImportKind, MAX_NOTES_CHARS,
};
