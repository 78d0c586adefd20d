//! Stripe settings: keys, the API base URL and retry timing.

use std::fmt;
use std::time::Duration;

use crate::client::DEFAULT_API_BASE;
use crate::webhook::DEFAULT_TOLERANCE_SECONDS;

/// Maximum wait between two attempts of a queued Stripe call, and between
/// two reachability checks while Stripe is unreachable.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct BillingConfig {
    /// `sk_...` or a restricted `rk_...` key; without it nothing is sent.
    pub secret_key: Option<String>,
    /// `whsec_...` signing secrets; more than one during a rotation.
    pub webhook_secrets: Vec<String>,
    /// `pk_...`, given to Stripe.js in the UI to show the card form.
    pub publishable_key: Option<String>,
    pub api_base: String,
    pub retry_max: Duration,
    pub tolerance_seconds: i64,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            secret_key: None,
            webhook_secrets: Vec::new(),
            publishable_key: None,
            api_base: DEFAULT_API_BASE.to_owned(),
            retry_max: DEFAULT_RETRY_MAX,
            tolerance_seconds: DEFAULT_TOLERANCE_SECONDS,
        }
    }
}

/// Prints which settings are present, never their values.
impl fmt::Debug for BillingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingConfig")
            .field("secret_key_set", &self.secret_key.is_some())
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("publishable_key", &self.publishable_key)
            .field("api_base", &self.api_base)
            .field("retry_max", &self.retry_max)
            .field("tolerance_seconds", &self.tolerance_seconds)
            .finish()
    }
}

/// A Stripe setting, with the prefix Stripe gives its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    SecretKey,
    WebhookSecret,
    PublishableKey,
}

impl SecretKind {
    pub const ALL: [Self; 3] = [Self::SecretKey, Self::WebhookSecret, Self::PublishableKey];

    /// Returns the environment variable that sets it.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::SecretKey => "STRIPE_SECRET_KEY",
            Self::WebhookSecret => "STRIPE_WEBHOOK_SECRET",
            Self::PublishableKey => "STRIPE_PUBLISHABLE_KEY",
        }
    }

    /// Returns the name it is stored under in the OS keyring.
    pub fn keyring_name(self) -> &'static str {
        match self {
            Self::SecretKey => "stripe-secret-key",
            Self::WebhookSecret => "stripe-webhook-secret",
            Self::PublishableKey => "stripe-publishable-key",
        }
    }

    /// Checks the shape of a value, so that a key pasted into the wrong
    /// field is caught before it is stored. Returns the trimmed value.
    ///
    /// # Errors
    /// A sentence naming the expected prefix.
    pub fn validate(self, raw: &str) -> Result<String, String> {
        let value = raw.trim();
        let prefixes: &[&str] = match self {
            Self::SecretKey => &["sk_test_", "sk_live_", "rk_test_", "rk_live_"],
            Self::WebhookSecret => &["whsec_"],
            Self::PublishableKey => &["pk_test_", "pk_live_"],
        };
        let well_formed = prefixes.iter().any(|p| value.starts_with(p))
            && value.len() > 10
            && value.len() <= 255
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if well_formed {
            Ok(value.to_owned())
        } else {
            Err(format!(
                "{} must start with {} and contain only letters, digits and underscores: copy it again from the Stripe dashboard{}",
                self.env_var(),
                prefixes.join(" or "),
                if self == Self::WebhookSecret {
                    " (Developers → Webhooks) or from the output of `stripe listen`"
                } else {
                    " (Developers → API keys)"
                }
            ))
        }
    }
}

/// Splits a comma-separated list of webhook secrets.
pub fn split_webhook_secrets(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_catches_swapped_keys() {
        assert!(SecretKind::SecretKey.validate("sk_test_51abcdefXYZ").is_ok());
        assert!(SecretKind::SecretKey.validate("  rk_live_51abcdef  ").is_ok());
        let error = SecretKind::SecretKey.validate("pk_test_51abcdefXYZ").unwrap_err();
        assert!(
            error.contains("STRIPE_SECRET_KEY must start with sk_test_"),
            "{error}"
        );
        assert!(SecretKind::WebhookSecret.validate("whsec_abcdef123456").is_ok());
        assert!(SecretKind::WebhookSecret.validate("whsec_abc def12345").is_err());
        assert!(SecretKind::PublishableKey.validate("pk_test_51abcdef").is_ok());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = BillingConfig {
            secret_key: Some("sk_test_hidden_value".into()),
            webhook_secrets: vec!["whsec_hidden_value".into()],
            ..BillingConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hidden_value"), "{printed}");
    }
}
