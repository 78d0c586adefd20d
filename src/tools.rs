//! What each command does: serve, migrate, backfill, report.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use melody_server::{router, AppState};
use melody_store::{tools as store_tools, ResourceCount, Store};

use crate::config::Config;

fn open(db: &Path) -> anyhow::Result<Store> {
    Store::open(db).with_context(|| format!("cannot use the database {}", db.display()))
}

/// Runs the server until Ctrl-C or SIGTERM.
///
/// # Errors
/// The database cannot be opened or the address cannot be bound.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || open(&db)).await??;
    let legacy = store.read(store_tools::resource_counts)?;
    if let Some(unassigned) = legacy.iter().find(|c| c.resource_id.is_none()) {
        tracing::warn!(
            bookings = unassigned.total,
            "bookings without a resource count as \"primary\": run `melody backfill-resource-id`"
        );
    }

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another server using the port? Set PORT to another one",
                config.addr
            )
        })?;
    let addr = listener.local_addr().context("cannot read the bound address")?;
    let state =
        AppState::new(Arc::new(store), config.settings, config.credential).with_admin_key(config.admin_key);
    let metrics_listener =
        match config.metrics_addr {
            Some(metrics_addr) => Some(tokio::net::TcpListener::bind(metrics_addr).await.with_context(
                || format!("cannot listen on MELODY_METRICS_ADDR {metrics_addr}: pick a free port"),
            )?),
            None => None,
        };
    tracing::info!(%addr, database = %config.db.display(), zone = %state.settings.zone, "server started");
    println!(
        "MelodyandMeter listening on http://{addr} (database {})",
        config.db.display()
    );

    // The admin listener stops when the main server does.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let admin_server = metrics_listener.map(|listener| {
        if let Ok(admin_addr) = listener.local_addr() {
            tracing::info!(addr = %admin_addr, "admin listener started");
            println!("MelodyandMeter admin routes on http://{admin_addr}/api/admin/");
        }
        let mut stopped = stopped.clone();
        let app = melody_server::admin_router(state.clone());
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.changed().await;
            };
            melody_server::serve(listener, app, shutdown).await
        })
    });
    let result = melody_server::serve(listener, router(state), shutdown_signal()).await;
    drop(stop);
    if let Some(admin_server) = admin_server {
        admin_server
            .await
            .context("the admin listener panicked")?
            .context("the admin listener stopped with an error")?;
    }
    result.context("the server stopped with an error")?;
    tracing::info!("server stopped");
    Ok(())
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
    let store = open(db)?;
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
    let store = open(db)?;
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
