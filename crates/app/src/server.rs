//! Running the server: opening the store, the booking listener and the
//! optional admin-only listener, until a shutdown signal.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use melody_billing::Billing;
use melody_server::{router, AppState};
use melody_store::{tools as store_tools, Store};
use tokio::net::TcpListener;

use crate::config::Config;

/// Opens (creating and migrating) the database, warning about bookings that
/// still need the resource backfill.
///
/// # Errors
/// The database cannot be opened or migrated.
pub fn open_store(db: &Path) -> anyhow::Result<Store> {
    let store = Store::open(db).with_context(|| format!("cannot use the database {}", db.display()))?;
    let counts = store.read(store_tools::resource_counts)?;
    if let Some(unassigned) = counts.iter().find(|c| c.resource_id.is_none()) {
        tracing::warn!(
            bookings = unassigned.total,
            "bookings without a resource count as \"primary\": run `melody backfill-resource-id`"
        );
    }
    Ok(store)
}

/// Serves the booking API and UI on `listener` (and the admin routes on
/// `MELODY_METRICS_ADDR`, when set) until `shutdown` resolves. `on_ready`
/// runs once both listeners are bound.
///
/// # Errors
/// The admin address cannot be bound, or a listener fails.
pub async fn run_server(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(Option<std::net::SocketAddr>),
) -> anyhow::Result<()> {
    let store = Arc::new(store);
    let billing = Billing::new(Arc::clone(&store), config.billing, Arc::new(chrono::Utc::now));
    let state = AppState::new(store, config.settings, config.credential)
        .with_admin_key(config.admin_key)
        .with_billing(Arc::clone(&billing))
        .with_secrets(config.secret_settings);
    let admin_listener = match config.metrics_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on MELODY_METRICS_ADDR {addr}: pick a free port"))?,
        ),
        None => None,
    };
    let admin_addr = admin_listener.as_ref().and_then(|l| l.local_addr().ok());
    tracing::info!(addr = ?listener.local_addr().ok(), admin_addr = ?admin_addr, database = %config.db.display(), zone = %state.settings.zone, "server started");
    on_ready(admin_addr);

    // Sends queued Stripe calls and catches up on missed events; it ends
    // with the runtime.
    let worker = tokio::spawn(billing.run_worker());

    // The admin listener stops when the main server does.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let admin_server = admin_listener.map(|admin_listener| {
        let mut stopped = stopped.clone();
        let app = melody_server::admin_router(state.clone());
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.changed().await;
            };
            melody_server::serve(admin_listener, app, shutdown).await
        })
    });
    let result = melody_server::serve(listener, router(state), shutdown).await;
    worker.abort();
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
