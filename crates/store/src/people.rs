//! Queries of the `teachers` and `students` tables.

use chrono::{DateTime, Utc};
use melody_domain::{Email, PersonName};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::error::{ResultExt, StoreError};
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Teacher {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Student {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

fn teacher_from_row(row: &Row<'_>) -> rusqlite::Result<Teacher> {
    Ok(Teacher {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: timestamp::read(row, 2)?,
    })
}

fn student_from_row(row: &Row<'_>) -> rusqlite::Result<Student> {
    Ok(Student {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        created_at: timestamp::read(row, 3)?,
    })
}

impl Teacher {
    /// # Errors
    /// `StoreError::Sqlite` when the insert fails.
    pub fn insert(tx: &Transaction<'_>, name: &PersonName, now: DateTime<Utc>) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO teachers (name, created_at) VALUES (?1, ?2)",
            params![name.as_str(), now.timestamp()],
        )
        .op("insert teacher")?;
        let id = tx.last_insert_rowid();
        Self::find(tx, id)?.ok_or_else(|| StoreError::not_found("teacher", id))
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            "SELECT id, name, created_at FROM teachers WHERE id = ?1",
            [id],
            teacher_from_row,
        )
        .optional()
        .op("read teacher")
    }

    /// All teachers, ordered by name.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached("SELECT id, name, created_at FROM teachers ORDER BY name, id")
            .op("list teachers")?;
        let rows = stmt.query_map([], teacher_from_row).op("list teachers")?;
        rows.collect::<rusqlite::Result<_>>().op("list teachers")
    }
}

impl Student {
    /// # Errors
    /// `StoreError::Sqlite` when the insert fails.
    pub fn insert(
        tx: &Transaction<'_>,
        name: &PersonName,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO students (name, email, created_at) VALUES (?1, ?2, ?3)",
            params![name.as_str(), email.as_str(), now.timestamp()],
        )
        .op("insert student")?;
        let id = tx.last_insert_rowid();
        Self::find(tx, id)?.ok_or_else(|| StoreError::not_found("student", id))
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            "SELECT id, name, email, created_at FROM students WHERE id = ?1",
            [id],
            student_from_row,
        )
        .optional()
        .op("read student")
    }

    /// All students, ordered by name.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached("SELECT id, name, email, created_at FROM students ORDER BY name, id")
            .op("list students")?;
        let rows = stmt.query_map([], student_from_row).op("list students")?;
        rows.collect::<rusqlite::Result<_>>().op("list students")
    }
}
