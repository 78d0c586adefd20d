//! Schema migrations: SQL files from `migrations/`, embedded at build time and
//! applied in order. `PRAGMA user_version` records the last one applied. A
//! shipped migration is never edited; a change is a new file.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// A numbered migration: its name (the file name) and SQL.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_single_resource.sql",
        sql: include_str!("../../../migrations/0001_single_resource.sql"),
    },
    Migration {
        version: 2,
        name: "0002_resources.sql",
        sql: include_str!("../../../migrations/0002_resources.sql"),
    },
    Migration {
        version: 3,
        name: "0003_metrics.sql",
        sql: include_str!("../../../migrations/0003_metrics.sql"),
    },
    Migration {
        version: 4,
        name: "0004_billing.sql",
        sql: include_str!("../../../migrations/0004_billing.sql"),
    },
    Migration {
        version: 5,
        name: "0005_series.sql",
        sql: include_str!("../../../migrations/0005_series.sql"),
    },
];

/// The version a fully migrated database reports.
pub const SCHEMA_VERSION: u32 = 5;

/// Applies every migration above the file's version, up to `target`, each in
/// its own immediate transaction together with the version bump.
pub(crate) fn apply(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    let found = user_version(conn, "read the schema version")?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Another process may have applied it between our read and our lock.
        let current: u32 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(failed)?;
        if current >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", migration.version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

fn user_version(conn: &Connection, op: &'static str) -> Result<u32, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| StoreError::Sqlite { op, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_match_file_names() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let expected = u32::try_from(index + 1).unwrap();
            assert_eq!(migration.version, expected, "{} is out of order", migration.name);
            assert!(
                migration.name.starts_with(&format!("{expected:04}_")),
                "{} must start with its version",
                migration.name
            );
        }
        assert_eq!(MIGRATIONS.last().unwrap().version, SCHEMA_VERSION);
    }
}
