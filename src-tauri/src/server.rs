//! The embedded server on a background runtime: loopback, a port the OS
//! picks, and a bearer token made fresh at each launch.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use melody_app::Config;
use melody_server::ApiCredential;

/// The server the window talks to. Dropping it stops the server.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).context("cannot generate the launch credential")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Opens the database and starts serving; returns once the port is bound.
///
/// # Errors
/// Configuration, database or socket errors, with what failed.
pub fn start(db: &Path) -> anyhow::Result<RunningServer> {
    let token = new_token()?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot listen on a loopback port")?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let mut config = Config::from_env(db.to_owned(), addr)?;
    config.credential = ApiCredential::bearer(&token);
    let store = melody_app::open_store(db)?;

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("melody-server")
        .build()
        .context("cannot start the server runtime")?;
    std::thread::Builder::new()
        .name("melody-server".into())
        .spawn(move || {
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let shutdown = async move {
                    let _ = stopped.await;
                };
                melody_app::run_server(config, store, listener, shutdown, |_| {}).await
            });
            if let Err(error) = result {
                tracing::error!(error = format!("{error:#}"), "the embedded server stopped");
            }
        })
        .context("cannot start the server thread")?;
    Ok(RunningServer {
        addr,
        token,
        _stop: stop,
    })
}
