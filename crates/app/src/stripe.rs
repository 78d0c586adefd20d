//! Stripe settings: each key from its environment variable (`.env` in
//! development) when set, else from the OS keyring, where the settings
//! screen stores it. Where no keyring service runs, or when
//! `MELODY_SECRET_STORE=file`, they are kept in `stripe-settings.json`
//! beside the database instead, readable only by its owner.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use melody_billing::{split_webhook_secrets, BillingConfig, SecretKind, DEFAULT_API_BASE};
use melody_server::{SaveSecret, SecretSettings};

const KEYRING_SERVICE: &str = "com.melodyandmeter.desk";
const SETTINGS_FILE: &str = "stripe-settings.json";
/// Upper bound of `STRIPE_RETRY_MAX_SECONDS`.
const MAX_RETRY_SECONDS: u64 = 3_600;

/// The store for secrets that no environment variable sets.
#[derive(Debug, Clone)]
enum Vault {
    Keyring,
    File(PathBuf),
}

impl Vault {
    fn choose(db: &Path) -> anyhow::Result<Self> {
        let file = db.parent().unwrap_or(Path::new(".")).join(SETTINGS_FILE);
        match std::env::var("MELODY_SECRET_STORE").ok().as_deref() {
            None | Some("" | "keyring") => {
                // A probe read shows whether a keyring service is running.
                match keyring::Entry::new(KEYRING_SERVICE, SecretKind::SecretKey.keyring_name())
                    .and_then(|entry| entry.get_password())
                {
                    Ok(_) | Err(keyring::Error::NoEntry) => Ok(Self::Keyring),
                    Err(error) => {
                        tracing::warn!(%error, file = %file.display(), "OS keyring unavailable; Stripe settings are kept in a file beside the database");
                        Ok(Self::File(file))
                    }
                }
            }
            Some("file") => Ok(Self::File(file)),
            Some(other) => bail!("MELODY_SECRET_STORE {other:?} is invalid: use keyring or file"),
        }
    }

    fn read(&self, kind: SecretKind) -> anyhow::Result<Option<String>> {
        match self {
            Self::Keyring => {
                let entry = keyring::Entry::new(KEYRING_SERVICE, kind.keyring_name())?;
                match entry.get_password() {
                    Ok(value) => Ok(Some(value)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(error) => Err(error)
                        .with_context(|| format!("cannot read {} from the OS keyring", kind.keyring_name())),
                }
            }
            Self::File(path) => Ok(read_file(path)?.remove(kind.keyring_name())),
        }
    }

    fn write(&self, kind: SecretKind, value: &str) -> anyhow::Result<()> {
        match self {
            Self::Keyring => keyring::Entry::new(KEYRING_SERVICE, kind.keyring_name())
                .and_then(|entry| entry.set_password(value))
                .with_context(|| format!("cannot store {} in the OS keyring", kind.keyring_name())),
            Self::File(path) => {
                let mut values = read_file(path)?;
                values.insert(kind.keyring_name().to_owned(), value.to_owned());
                write_file(path, &values)
            }
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not valid JSON: fix or delete it, then enter the keys again",
                path.display()
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a new file beside the old one and renames it over, so a crash
/// leaves either the old or the new settings.
fn write_file(path: &Path, values: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let temporary = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let text = serde_json::to_string_pretty(values).context("cannot encode the Stripe settings")?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
}

fn env_value(kind: SecretKind) -> anyhow::Result<Option<String>> {
    match std::env::var(kind.env_var()) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{} is not valid UTF-8", kind.env_var()),
    }
}

/// The Stripe settings and how the settings screen stores changes.
///
/// # Errors
/// A key of the wrong shape (naming the variable and the expected prefix),
/// an invalid `STRIPE_API_BASE` or `STRIPE_RETRY_MAX_SECONDS`, or an
/// unreadable settings file.
pub fn stripe_settings(db: &Path) -> anyhow::Result<(BillingConfig, SecretSettings)> {
    let vault = Vault::choose(db)?;
    let mut config = BillingConfig::default();
    let mut from_environment = Vec::new();

    for kind in SecretKind::ALL {
        let (raw, source) = match env_value(kind)? {
            Some(value) => {
                from_environment.push(kind);
                (Some(value), "environment")
            }
            None => (vault.read(kind)?, "saved settings"),
        };
        let Some(raw) = raw else { continue };
        let value = if kind == SecretKind::WebhookSecret {
            // Several secrets, comma-separated, while a rotation is under way.
            let secrets = split_webhook_secrets(&raw);
            for secret in &secrets {
                kind.validate(secret)
                    .map_err(|message| anyhow::anyhow!("{message} (from the {source})"))?;
            }
            config.webhook_secrets = secrets;
            continue;
        } else {
            kind.validate(&raw)
                .map_err(|message| anyhow::anyhow!("{message} (from the {source})"))?
        };
        match kind {
            SecretKind::SecretKey => config.secret_key = Some(value),
            SecretKind::PublishableKey => config.publishable_key = Some(value),
            SecretKind::WebhookSecret => {}
        }
    }

    if let Some(base) = std::env::var("STRIPE_API_BASE")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        let base = base.trim().to_owned();
        let loopback = is_loopback_http(&base);
        if !base.starts_with("https://") && !loopback {
            bail!("STRIPE_API_BASE {base:?} is invalid: use an https:// URL, or http:// on 127.0.0.1 or localhost for a local test server, because the secret key is sent with every call");
        }
        config.api_base = base;
    } else {
        config.api_base = DEFAULT_API_BASE.to_owned();
    }

    if let Some(raw) = std::env::var("STRIPE_RETRY_MAX_SECONDS")
        .ok()
        .filter(|r| !r.trim().is_empty())
    {
        let seconds: u64 = raw
            .trim()
            .parse()
            .ok()
            .filter(|s| (1..=MAX_RETRY_SECONDS).contains(s))
            .with_context(|| format!("STRIPE_RETRY_MAX_SECONDS {raw:?} is invalid: use whole seconds from 1 to {MAX_RETRY_SECONDS}"))?;
        config.retry_max = Duration::from_secs(seconds);
    }

    let save: SaveSecret =
        std::sync::Arc::new(move |kind, value| vault.write(kind, value).map_err(|e| format!("{e:#}")));
    Ok((
        config,
        SecretSettings {
            save,
            from_environment,
        },
    ))
}

/// Whether `url` is plain HTTP to this machine: the host, after any port is
/// removed, is exactly `127.0.0.1`, `localhost` or `[::1]`, with no user
/// info (`http://localhost@example.com` names the host `example.com`).
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']') =>
        {
            host
        }
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::is_loopback_http;

    #[test]
    fn loopback_check_reads_the_host() {
        for good in [
            "http://127.0.0.1:12111/",
            "http://localhost:8080",
            "http://[::1]:9000/v1",
            "http://localhost",
        ] {
            assert!(is_loopback_http(good), "{good}");
        }
        for bad in [
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
            "http://localhost@evil.example/",
            "http://user:pw@127.0.0.1/",
            "https://127.0.0.1/",
            "http://10.0.0.5:12111/",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }
}
