//! The admin key: from `ADMIN_API_KEY`, else from the OS keyring, else
//! generated on first run, stored in the keyring and shown once. Where no
//! keyring service runs (a headless server), it is kept in a file readable
//! only by its owner beside the database instead.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};

const KEYRING_SERVICE: &str = "com.melodyandmeter.desk";
const KEYRING_USER: &str = "admin-api-key";
/// File beside the database used when no keyring service is available.
const KEY_FILE: &str = "admin-api-key";
pub const MIN_KEY_LEN: usize = 16;

/// Returns the admin key and where it came from.
///
/// # Errors
/// An `ADMIN_API_KEY` that is too short, or a key that can be neither read
/// nor stored.
pub fn admin_key(db: &Path) -> anyhow::Result<String> {
    if let Some(key) = std::env::var("ADMIN_API_KEY").ok().filter(|k| !k.is_empty()) {
        if key.len() < MIN_KEY_LEN {
            bail!("ADMIN_API_KEY is too short: use at least {MIN_KEY_LEN} random characters");
        }
        return Ok(key);
    }
    match keyring_key() {
        Ok(key) => Ok(key),
        Err(error) => {
            tracing::warn!(%error, "OS keyring unavailable; keeping the admin key in a file beside the database");
            file_key(db)
        }
    }
}

fn keyring_key() -> Result<String, keyring::Error> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER)?;
    match entry.get_password() {
        Ok(key) => Ok(key),
        Err(keyring::Error::NoEntry) => {
            let key = generate()?;
            entry.set_password(&key)?;
            announce(&key, "the OS keyring");
            Ok(key)
        }
        Err(error) => Err(error),
    }
}

fn file_key(db: &Path) -> anyhow::Result<String> {
    let path = db.parent().unwrap_or(Path::new(".")).join(KEY_FILE);
    if path.exists() {
        let key = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the admin key file {}", path.display()))?;
        return Ok(key.trim().to_owned());
    }
    let key = generate().context("cannot generate an admin key")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create the admin key file {}", path.display()))?;
    file.write_all(key.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the admin key file {}", path.display()))?;
    announce(&key, &format!("{} (mode 600)", path.display()));
    Ok(key)
}

/// 32 random bytes as 64 hex digits.
fn generate() -> Result<String, keyring::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| keyring::Error::PlatformFailure(Box::new(e)))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Shows a new key to the operator once, on a terminal only: under a
/// service manager standard error ends up in a log, so there only the place
/// is named.
fn announce(key: &str, place: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!(
            "A new admin key was generated and stored in {place}:\n\n    {key}\n\n\
             Give it to Prometheus as `authorization: {{ credentials: ... }}` for /api/admin/metrics. \
             It is not shown again; set ADMIN_API_KEY to use a key of your own."
        );
    } else {
        tracing::info!(
            place,
            "generated a new admin key; read it from where it is stored"
        );
    }
}
