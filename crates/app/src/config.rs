//! Configuration from the environment (and `.env` in the working folder, for
//! development). Every value is checked here, once, and an invalid one stops
//! the start with its name, value and the fix.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use melody_billing::BillingConfig;
use melody_domain::{LateCancelWindow, ResourceAllowlist, ResourceCapacity, StudioZone};
use melody_server::{AdminKey, ApiCredential, SecretSettings, Settings};

/// Folder under the OS's app-data folder; the desktop app uses the same one.
pub const APP_FOLDER: &str = "com.melodyandmeter.desk";
pub const DB_FILE: &str = "melody.db";

/// Everything `melody serve` needs.
pub struct Config {
    pub db: PathBuf,
    pub addr: SocketAddr,
    pub settings: Settings,
    pub credential: ApiCredential,
    pub admin_key: AdminKey,
    /// A second listener for `/api/admin/` only, from `MELODY_METRICS_ADDR`.
    pub metrics_addr: Option<SocketAddr>,
    pub billing: BillingConfig,
    /// How the Stripe settings screen stores keys.
    pub secret_settings: SecretSettings,
}

/// Reads `.env` from the working folder if there is one.
///
/// # Errors
/// A `.env` that exists but cannot be parsed, with its line.
pub fn load_dotenv() -> anyhow::Result<()> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(error) if error.not_found() => Ok(()),
        Err(error) => {
            Err(error).context("cannot read .env in the working folder: fix or remove the line named")
        }
    }
}

/// Logs to standard error; `RUST_LOG` sets the level (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// `melody.db` in the OS's app-data folder (on Linux `~/.local/share`).
///
/// # Errors
/// When the OS reports no app-data folder.
pub fn default_db_path() -> anyhow::Result<PathBuf> {
    let Some(data) = dirs::data_dir() else {
        bail!("cannot find the app-data folder of this user: set MELODY_DB or pass --db PATH");
    };
    Ok(data.join(APP_FOLDER).join(DB_FILE))
}

fn env_var(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8: set it to plain text"),
    }
}

impl Config {
    /// Reads the booking settings and the API credential.
    ///
    /// # Errors
    /// Names the variable, its value and the fix.
    pub fn from_env(db: PathBuf, addr: SocketAddr) -> anyhow::Result<Self> {
        let settings = settings_from_env()?;
        let token = env_var("MELODY_API_TOKEN")?.filter(|t| !t.is_empty());
        let credential = match token {
            Some(token) if token.len() < 16 => {
                bail!("MELODY_API_TOKEN is too short: use at least 16 random characters")
            }
            Some(token) => ApiCredential::bearer(&token),
            None if addr.ip().is_loopback() => ApiCredential::LoopbackOpen,
            None => bail!(
                "MELODY_BIND {} is not a loopback address, so the booking API needs a credential: set MELODY_API_TOKEN, or bind 127.0.0.1",
                addr.ip()
            ),
        };
        let metrics_addr = match env_var("MELODY_METRICS_ADDR")?.filter(|a| !a.is_empty()) {
            Some(raw) => Some(raw.parse::<SocketAddr>().with_context(|| {
                format!("MELODY_METRICS_ADDR {raw:?} is invalid: use address:port, such as 0.0.0.0:9464")
            })?),
            None => None,
        };
        let admin_key = AdminKey::new(&crate::secrets::admin_key(&db)?);
        let (billing, secret_settings) = crate::stripe::stripe_settings(&db)?;
        Ok(Self {
            db,
            addr,
            settings,
            credential,
            admin_key,
            metrics_addr,
            billing,
            secret_settings,
        })
    }
}

/// Reads `ALLOWED_RESOURCE_IDS`, `LATE_CANCEL_WINDOW_HOURS`,
/// `STUDIO_TIMEZONE` and `RESOURCE_CAPACITY_MINUTES`.
///
/// # Errors
/// Names the variable and the value that failed.
pub fn settings_from_env() -> anyhow::Result<Settings> {
    let allowlist = match env_var("ALLOWED_RESOURCE_IDS")? {
        Some(raw) => ResourceAllowlist::parse(&raw).context("ALLOWED_RESOURCE_IDS is invalid")?,
        None => ResourceAllowlist::Unrestricted,
    };
    let late_cancel_window = match env_var("LATE_CANCEL_WINDOW_HOURS")? {
        Some(raw) => LateCancelWindow::from_hours_str(&raw).context("LATE_CANCEL_WINDOW_HOURS is invalid")?,
        None => LateCancelWindow::default(),
    };
    let zone = match env_var("STUDIO_TIMEZONE")? {
        Some(raw) => raw.parse::<StudioZone>().context("STUDIO_TIMEZONE is invalid")?,
        None => StudioZone::default(),
    };
    let capacity = match env_var("RESOURCE_CAPACITY_MINUTES")? {
        Some(raw) => ResourceCapacity::parse(&raw).context("RESOURCE_CAPACITY_MINUTES is invalid")?,
        None => ResourceCapacity::default(),
    };
    Ok(Settings {
        allowlist,
        late_cancel_window,
        zone,
        capacity,
    })
}
