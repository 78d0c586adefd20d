//! Queries of the `resources` table: rooms and instruments.

use chrono::{DateTime, Utc};
use melody_domain::{PersonName, ResourceId, ResourceKind};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::error::{ResultExt, StoreError};
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewResource {
    pub id: ResourceId,
    pub name: PersonName,
    pub kind: ResourceKind,
}

const COLUMNS: &str = "id, name, kind, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Resource> {
    Ok(Resource {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        created_at: timestamp::read(row, 3)?,
    })
}

impl NewResource {
    /// Inserts the resource.
    ///
    /// # Errors
    /// `StoreError::ResourceExists` when the id is taken.
    pub fn insert(&self, tx: &Transaction<'_>, now: DateTime<Utc>) -> Result<Resource, StoreError> {
        if Resource::find(tx, &self.id)?.is_some() {
            return Err(StoreError::ResourceExists {
                id: self.id.to_string(),
            });
        }
        tx.execute(
            "INSERT INTO resources (id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                self.id.as_str(),
                self.name.as_str(),
                self.kind.as_str(),
                now.timestamp()
            ],
        )
        .op("insert resource")?;
        Resource::find(tx, &self.id)?.ok_or_else(|| StoreError::not_found("resource", &self.id))
    }
}

impl Resource {
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: &ResourceId) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM resources WHERE id = ?1"),
            [id.as_str()],
            from_row,
        )
        .optional()
        .op("read resource")
    }

    /// All resources, ordered by id.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM resources ORDER BY id"))
            .op("list resources")?;
        let rows = stmt.query_map([], from_row).op("list resources")?;
        rows.collect::<rusqlite::Result<_>>().op("list resources")
    }
}
