//! Instants are stored as UTC Unix seconds (INTEGER), never as text with an
//! offset, so they compare and index as plain numbers.

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::Row;

pub(crate) fn read(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    let seconds: i64 = row.get(index)?;
    from_seconds(index, seconds)
}

pub(crate) fn read_optional(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let seconds: Option<i64> = row.get(index)?;
    seconds.map(|s| from_seconds(index, s)).transpose()
}

fn from_seconds(index: usize, seconds: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            Type::Integer,
            format!("{seconds} is outside the representable range of instants").into(),
        )
    })
}
