//! Calls to the Stripe API through async-stripe.
//!
//! Requests are built with async-stripe's typed builders and sent by its
//! client (authentication, idempotency keys, Stripe's error bodies). The
//! responses are read into this crate's own structs, which take only the
//! fields the app stores, so an object rendered in an older or newer API
//! version than async-stripe's still parses.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::subscription::{
    CreateSubscription, CreateSubscriptionItems, ListSubscription, ListSubscriptionStatus,
};
use stripe_core::customer::{CreateCustomer, ListCustomer};
use stripe_core::event::ListEvent;
use stripe_core::setup_intent::{CreateSetupIntent, CreateSetupIntentUsage};
use stripe_product::price::ListPrice;

use crate::event::{Event, Subscription, LOCAL_REF_KEY};

/// Stripe's own API; `STRIPE_API_BASE` points tests at a local server.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

/// Time allowed for one HTTP attempt before the call counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The reason a Stripe call returned no object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Stripe could not be reached, or asked for a retry (429, 409 for a
    /// request in progress, 5xx): the call is made again later.
    #[error("Stripe is unreachable: {0}")]
    Unreachable(String),
    /// Stripe rejected the request: retrying the same request cannot help.
    #[error("Stripe rejected the request: {0}")]
    Rejected(String),
}

impl CallError {
    fn from_stripe(error: StripeError) -> Self {
        match error {
            StripeError::ClientError(message) => Self::Unreachable(message),
            StripeError::Timeout => Self::Unreachable("the request timed out".to_owned()),
            StripeError::Stripe(body, status) => {
                let message = body
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("{:?}", body.type_));
                let detail = match &body.param {
                    Some(param) => format!("{message} (parameter {param}, HTTP {status})"),
                    None => format!("{message} (HTTP {status})"),
                };
                if status == 429 || status == 409 || status >= 500 {
                    Self::Unreachable(detail)
                } else {
                    Self::Rejected(detail)
                }
            }
            StripeError::JSONDeserialize(message) => {
                Self::Rejected(format!("the response could not be read: {message}"))
            }
            StripeError::ConfigError(message) => {
                Self::Rejected(format!("the Stripe client is misconfigured: {message}"))
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct List<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    pub id: String,
    pub email: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CreatedSetupIntent {
    pub id: String,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StripePrice {
    pub id: String,
    pub product: Option<ProductField>,
    pub nickname: Option<String>,
    pub unit_amount: Option<i64>,
    pub currency: String,
    pub recurring: Option<Recurring>,
    pub active: bool,
}

/// A price's product: its id, or the product itself when expanded.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ProductField {
    Id(String),
    Object { id: String, name: Option<String> },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Recurring {
    pub interval: String,
    pub interval_count: Option<i64>,
}

impl StripePrice {
    pub fn to_stored(&self) -> melody_store::Price {
        melody_store::Price {
            id: self.id.clone(),
            product: self.product.as_ref().map(|p| match p {
                ProductField::Id(id) | ProductField::Object { id, .. } => id.clone(),
            }),
            product_name: match &self.product {
                Some(ProductField::Object { name, .. }) => name.clone(),
                _ => None,
            },
            nickname: self.nickname.clone(),
            unit_amount: self.unit_amount,
            currency: self.currency.clone(),
            interval: self.recurring.as_ref().map(|r| r.interval.clone()),
            interval_count: self.recurring.as_ref().and_then(|r| r.interval_count),
            active: self.active,
        }
    }
}

/// A configured Stripe API client.
#[derive(Debug)]
pub struct StripeApi {
    client: Client,
}

impl StripeApi {
    /// # Errors
    /// A secret key that cannot be sent as a header, or an invalid base URL.
    pub fn new(secret_key: &str, api_base: &str) -> Result<Self, String> {
        let base = if api_base.ends_with('/') {
            api_base.to_owned()
        } else {
            format!("{api_base}/")
        };
        let client = ClientBuilder::new(secret_key)
            .url(base)
            .timeout(REQUEST_TIMEOUT)
            .app_info("MelodyandMeter", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }

    async fn send<R: StripeRequest, T: DeserializeOwned>(
        &self,
        request: &R,
        idempotency_key: Option<&str>,
    ) -> Result<T, CallError> {
        let mut customized = request.build().customize::<miniserde::json::Value>();
        if let Some(key) = idempotency_key {
            let key = IdempotencyKey::new(key)
                .map_err(|e| CallError::Rejected(format!("invalid idempotency key {key:?}: {e}")))?;
            customized = customized.request_strategy(RequestStrategy::Idempotent(key));
        }
        let value = customized
            .send(&self.client)
            .await
            .map_err(CallError::from_stripe)?;
        let text = miniserde::json::to_string(&value);
        serde_json::from_str(&text)
            .map_err(|e| CallError::Rejected(format!("the response could not be read: {e}")))
    }

    /// Customers with `email`, newest first (Stripe's list order).
    ///
    /// # Errors
    /// See [`CallError`].
    pub async fn customers_by_email(&self, email: &str) -> Result<Vec<Customer>, CallError> {
        let list: List<Customer> = self
            .send(&ListCustomer::new().email(email).limit(100), None)
            .await?;
        Ok(list.data)
    }

    /// # Errors
    /// See [`CallError`].
    pub async fn create_customer(
        &self,
        email: &str,
        name: Option<&str>,
        local_ref: &str,
        idempotency_key: &str,
    ) -> Result<Customer, CallError> {
        let mut request = CreateCustomer::new().email(email).metadata(metadata(local_ref));
        if let Some(name) = name {
            request = request.name(name);
        }
        self.send(&request, Some(idempotency_key)).await
    }

    /// # Errors
    /// See [`CallError`].
    pub async fn create_setup_intent(
        &self,
        customer_id: &str,
        local_ref: &str,
        idempotency_key: &str,
    ) -> Result<CreatedSetupIntent, CallError> {
        let request = CreateSetupIntent::new()
            .customer(customer_id)
            .usage(CreateSetupIntentUsage::OffSession)
            .metadata(metadata(local_ref));
        self.send(&request, Some(idempotency_key)).await
    }

    /// The subscription of `customer_id` whose metadata carries
    /// `local_ref`, if one exists: what an earlier attempt created.
    ///
    /// # Errors
    /// See [`CallError`].
    pub async fn find_subscription(
        &self,
        customer_id: &str,
        local_ref: &str,
    ) -> Result<Option<Subscription>, CallError> {
        let mut starting_after: Option<String> = None;
        loop {
            let mut request = ListSubscription::new()
                .customer(customer_id)
                .status(ListSubscriptionStatus::All)
                .limit(100);
            if let Some(after) = &starting_after {
                request = request.starting_after(after.clone());
            }
            let page: List<Subscription> = self.send(&request, None).await?;
            let last = page.data.last().map(|s| s.id.clone());
            if let Some(found) = page
                .data
                .into_iter()
                .find(|s| s.metadata.get(LOCAL_REF_KEY).map(String::as_str) == Some(local_ref))
            {
                return Ok(Some(found));
            }
            match (page.has_more, last) {
                (true, Some(last)) => starting_after = Some(last),
                _ => return Ok(None),
            }
        }
    }

    /// # Errors
    /// See [`CallError`].
    pub async fn create_subscription(
        &self,
        customer_id: &str,
        price_id: &str,
        payment_method_id: Option<&str>,
        local_ref: &str,
        idempotency_key: &str,
    ) -> Result<Subscription, CallError> {
        let item = CreateSubscriptionItems {
            price: Some(price_id.to_owned()),
            ..CreateSubscriptionItems::new()
        };
        let mut request = CreateSubscription::new()
            .customer(customer_id)
            .items(vec![item])
            .metadata(metadata(local_ref));
        if let Some(method) = payment_method_id {
            request = request.default_payment_method(method);
        }
        self.send(&request, Some(idempotency_key)).await
    }

    /// Active prices, up to the first 100.
    ///
    /// # Errors
    /// See [`CallError`].
    pub async fn prices(&self) -> Result<Vec<StripePrice>, CallError> {
        // Expanded, each product carries the name the desk recognises.
        let request = ListPrice::new()
            .active(true)
            .limit(100)
            .expand(vec!["data.product".to_owned()]);
        let list: List<StripePrice> = self.send(&request, None).await?;
        Ok(list.data)
    }

    /// Events created at or after `since`, oldest first, at most
    /// `max_pages` pages of 100, and whether that was all of them. Stripe
    /// lists newest first, so a list cut short misses the oldest events.
    ///
    /// # Errors
    /// See [`CallError`].
    pub async fn events_since(&self, since: i64, max_pages: usize) -> Result<(Vec<Event>, bool), CallError> {
        let mut events = Vec::new();
        let mut starting_after: Option<String> = None;
        let mut complete = false;
        for _ in 0..max_pages {
            let mut request = ListEvent::new()
                .created(stripe_types::RangeQueryTs::gte(since))
                .limit(100);
            if let Some(after) = &starting_after {
                request = request.starting_after(after.clone());
            }
            let page: List<Event> = self.send(&request, None).await?;
            let last = page.data.last().map(|e| e.id.clone());
            events.extend(page.data);
            match (page.has_more, last) {
                (true, Some(last)) => starting_after = Some(last),
                _ => {
                    complete = true;
                    break;
                }
            }
        }
        // Stripe lists newest first; apply in the order they happened.
        events.reverse();
        Ok((events, complete))
    }
}

fn metadata(local_ref: &str) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([(LOCAL_REF_KEY.to_owned(), local_ref.to_owned())])
}
