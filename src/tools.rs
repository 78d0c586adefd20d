//! The commands: serve, migrate, backfill, report.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use melody_app::{open_store, run_server, Config};
use melody_store::{tools as store_tools, ResourceCount, Store};

fn open(db: &Path) -> anyhow::Result<Store> {
    open_store(db)
}

/// Opens a database that must exist already: the data tools never start a
/// new, empty one because of a mistyped path.
pub(crate) fn open_existing(db: &Path) -> anyhow::Result<Store> {
    if !db.is_file() {
        anyhow::bail!(
            "database {} does not exist: check --db or MELODY_DB",
            db.display()
        );
    }
    open(db)
}

/// Runs the server until Ctrl-C or SIGTERM.
///
/// # Errors
/// The database cannot be opened or an address cannot be bound.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || open(&db)).await??;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another server using the port? Set PORT to another one",
                config.addr
            )
        })?;
    let addr = listener.local_addr().context("cannot read the bound address")?;
    let database = config.db.display().to_string();
    run_server(config, store, listener, shutdown_signal(), |admin_addr| {
        println!("MelodyandMeter listening on http://{addr} (database {database})");
        if let Some(admin_addr) = admin_addr {
            println!("MelodyandMeter admin routes on http://{admin_addr}/api/admin/");
        }
    })
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// # Errors
/// The database cannot be opened or migrated.
pub fn migrate(db: &Path) -> anyhow::Result<()> {
    open(db)?;
    println!(
        "database {} is at schema version {}",
        db.display(),
        melody_store::SCHEMA_VERSION
    );
    Ok(())
}

/// # Errors
/// The database cannot be opened or written.
pub fn backfill(db: &Path, actor: &str) -> anyhow::Result<()> {
    melody_domain::PersonName::parse(actor)
        .map_err(|e| anyhow::anyhow!("--actor {actor:?} is invalid: {e}"))?;
    let store = open_existing(db)?;
    let outcome = store
        .write(|tx| store_tools::backfill_resource_id(tx, actor, Utc::now()))
        .context("backfill failed; nothing was changed")?;
    if outcome.updated == 0 {
        println!("nothing to backfill: every booking has a resource");
    } else {
        tracing::info!(updated = outcome.updated, "backfilled resource_id");
        println!(
            "set resource_id = \"primary\" on {} booking(s), each with an audit entry",
            outcome.updated
        );
    }
    Ok(())
}

/// # Errors
/// The database cannot be opened or read.
pub fn report_resource_counts(db: &Path, json: bool) -> anyhow::Result<()> {
    let store = open_existing(db)?;
    let counts: Vec<ResourceCount> = store.read(store_tools::resource_counts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&counts)?);
        return Ok(());
    }
    println!(
        "{:<24} {:>10} {:>10} {:>10}",
        "resource_id", "confirmed", "cancelled", "total"
    );
    for count in &counts {
        let id = count.resource_id.as_deref().unwrap_or("(none)");
        println!(
            "{id:<24} {:>10} {:>10} {:>10}",
            count.confirmed, count.cancelled, count.total
        );
    }
    Ok(())
}
