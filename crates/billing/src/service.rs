//! The billing service: what the API routes call, and the worker that sends
//! queued Stripe calls and catches up on missed events.
//!
//! Every customer and subscription the desk requests is first written to
//! the outbox, then attempted at once; when Stripe is unreachable the request
//! returns with the item pending and the worker retries it with backoff.
//! One mutex makes the attempts of all items one at a time, so the handler
//! and the worker never send the same item together.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use melody_store::audit::{append_payment_event, EventKind};
use melody_store::billing::{self as stored, EventSource};
use melody_store::{
    Applied, BillingCustomer, BillingSubscription, OutboxCounts, OutboxItem, OutboxKind, Price, Store,
    StoreError,
};
use serde::Serialize;
use serde_json::json;
use tokio::sync::{Mutex, Notify};

use crate::client::{CallError, StripeApi};
use crate::config::BillingConfig;
use crate::event::{Change, Event};
use crate::webhook::{self, SignatureError};

/// Returns the current instant; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Events API cursor: `created` of the newest event applied from it.
const EVENTS_CURSOR: &str = "events_cursor";
/// Events are fetched from this many seconds before the cursor, because
/// events of the same second can be listed after the cursor was saved.
const EVENTS_OVERLAP_SECONDS: i64 = 300;
/// Pages of 100 events fetched per catch-up. Stripe keeps events for 30
/// days; a desk has far fewer than 100,000 in that time.
const EVENTS_MAX_PAGES: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("Stripe is not set up: enter the secret key under Settings → Stripe, or set STRIPE_SECRET_KEY")]
    NotConfigured,
    #[error(
        "no webhook signing secret is set: enter it under Settings → Stripe, or set STRIPE_WEBHOOK_SECRET"
    )]
    WebhookSecretMissing,
    #[error("no student has the email {0:?}: add the student first, or check the address")]
    UnknownEmail(String),
    #[error("{0}")]
    Invalid(String),
    #[error("price {0:?} is not one of Stripe's active prices: pick one from the list")]
    UnknownPrice(String),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the event body is not a Stripe event: {0}")]
    BadEvent(String),
    /// Stripe could not be reached; `item` stays queued when there is one.
    #[error("Stripe is unreachable ({reason}); {}", if item.is_some() { "the call is queued and is sent when Stripe can be reached" } else { "try again when the desk is online" })]
    Unreachable {
        reason: String,
        item: Option<Box<OutboxItem>>,
    },
    #[error("Stripe rejected the request: {reason}")]
    Rejected {
        reason: String,
        item: Option<Box<OutboxItem>>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of `POST /api/payments/setup-intent`.
#[derive(Debug, Clone, Serialize)]
pub struct SetupIntentCreated {
    pub client_secret: String,
    #[serde(rename = "customerId")]
    pub customer_id: String,
    pub setup_intent_id: String,
}

/// The result of a subscription request: Stripe's view once created, or the
/// queued item.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRequested {
    pub subscription: BillingSubscription,
    /// The outbox item while the call is still pending.
    pub pending: Option<OutboxItem>,
}

/// The outcome of one webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventOutcome {
    /// The event id was applied before: nothing changed.
    pub duplicate: bool,
    /// The change was older than what is stored, or about an unknown object.
    pub ignored: bool,
}

/// Billing state for the status bar.
#[derive(Debug, Clone, Serialize)]
pub struct BillingStatus {
    pub configured: bool,
    /// Whether the last Stripe call reached Stripe.
    pub online: bool,
    pub pending: i64,
    pub failed: i64,
}

pub struct Billing {
    store: Arc<Store>,
    config: RwLock<BillingConfig>,
    api: RwLock<Option<Arc<StripeApi>>>,
    clock: Clock,
    /// Serializes attempts of outbox items.
    sending: Mutex<()>,
    /// Wakes the worker: a new item, a retry, or new settings.
    wake: Notify,
    online: AtomicBool,
    /// Set when Stripe came back after being unreachable.
    reconnected: AtomicBool,
}

impl std::fmt::Debug for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Billing").finish_non_exhaustive()
    }
}

impl Billing {
    pub fn new(store: Arc<Store>, config: BillingConfig, clock: Clock) -> Arc<Self> {
        let billing = Arc::new(Self {
            store,
            config: RwLock::new(BillingConfig::default()),
            api: RwLock::new(None),
            clock,
            sending: Mutex::new(()),
            wake: Notify::new(),
            online: AtomicBool::new(true),
            reconnected: AtomicBool::new(false),
        });
        billing.reconfigure(config);
        billing
    }

    /// Replaces the settings; the next call uses them.
    pub fn reconfigure(&self, config: BillingConfig) {
        let api = config
            .secret_key
            .as_deref()
            .and_then(|key| match StripeApi::new(key, &config.api_base) {
                Ok(api) => Some(Arc::new(api)),
                Err(error) => {
                    tracing::error!(%error, api_base = %config.api_base, "cannot build the Stripe client");
                    None
                }
            });
        tracing::info!(?config, "Stripe settings loaded");
        *self
            .api
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = api;
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.wake.notify_one();
    }

    pub fn config(&self) -> BillingConfig {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn api(&self) -> Option<Arc<StripeApi>> {
        self.api
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn now(&self) -> DateTime<Utc> {
        let now = (self.clock)();
        DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }

    async fn db<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .unwrap_or_else(|join_error| std::panic::resume_unwind(join_error.into_panic()))
    }

    /// # Errors
    /// The store cannot be read.
    pub async fn status(&self) -> Result<BillingStatus, StoreError> {
        let counts: OutboxCounts = self.db(|store| store.read(OutboxItem::counts)).await?;
        Ok(BillingStatus {
            configured: self.api().is_some(),
            online: self.online.load(Ordering::Relaxed),
            pending: counts.pending,
            failed: counts.failed,
        })
    }

    fn record_reachability(&self, result: &Result<(), &CallError>) {
        let reachable = !matches!(result, Err(CallError::Unreachable(_)));
        let was = self.online.swap(reachable, Ordering::Relaxed);
        if reachable && !was {
            tracing::info!("Stripe is reachable again");
            self.reconnected.store(true, Ordering::Relaxed);
            self.wake.notify_one();
        } else if !reachable && was {
            tracing::warn!(error = ?result.err(), "Stripe is unreachable; queued calls wait");
        }
    }

    /// Finds the student of `email`, or explains that none has it.
    async fn require_student(&self, email: &str) -> Result<Option<String>, BillingError> {
        let lookup = email.to_owned();
        let name = self
            .db(move |store| store.read(|conn| stored::student_name_for_email(conn, &lookup)))
            .await?;
        match name {
            Some(name) => Ok(Some(name)),
            None => Err(BillingError::UnknownEmail(email.to_owned())),
        }
    }

    /// Creates a SetupIntent for the customer of `email` (creating the
    /// customer first when needed), for the card form.
    ///
    /// A SetupIntent is made online only: its client secret serves the card
    /// form open now, so a queued one would be stale when sent. The customer
    /// it needs is queued like any other call when Stripe is unreachable.
    ///
    /// # Errors
    /// See [`BillingError`].
    pub async fn create_setup_intent(
        &self,
        email: &str,
        actor: &str,
    ) -> Result<SetupIntentCreated, BillingError> {
        let api = self.api().ok_or(BillingError::NotConfigured)?;
        let name = self.require_student(email).await?;

        let item = self.enqueue_customer(email, name.as_deref(), actor).await?;
        let customer_id = match item {
            None => self
                .linked_customer(email)
                .await?
                .ok_or_else(|| BillingError::Invalid(format!("the Stripe customer of {email} is missing")))?,
            Some(item) => {
                self.attempt(item.id).await?;
                let item = self.outbox_item(item.id).await?;
                match item.state {
                    melody_store::OutboxState::Done => {
                        self.linked_customer(email).await?.ok_or_else(|| {
                            BillingError::Invalid(format!(
                                "the Stripe customer of {email} was created but not recorded"
                            ))
                        })?
                    }
                    melody_store::OutboxState::Failed => {
                        return Err(BillingError::Rejected {
                            reason: item.last_error.clone().unwrap_or_default(),
                            item: Some(Box::new(item)),
                        })
                    }
                    _ => {
                        return Err(BillingError::Unreachable {
                            reason: item.last_error.clone().unwrap_or_default(),
                            item: Some(Box::new(item)),
                        })
                    }
                }
            }
        };

        let local_ref = new_local_ref("seti");
        let result = api
            .create_setup_intent(&customer_id, &local_ref, &local_ref)
            .await;
        self.record_reachability(&result.as_ref().map(|_| ()));
        let intent = result.map_err(|error| match error {
            CallError::Unreachable(reason) => BillingError::Unreachable { reason, item: None },
            CallError::Rejected(reason) => BillingError::Rejected { reason, item: None },
        })?;
        let client_secret = intent.client_secret.ok_or_else(|| BillingError::Rejected {
            reason: format!("SetupIntent {} has no client secret", intent.id),
            item: None,
        })?;
        tracing::info!(setup_intent = %intent.id, customer = %customer_id, "SetupIntent created");
        Ok(SetupIntentCreated {
            client_secret,
            customer_id,
            setup_intent_id: intent.id,
        })
    }

    async fn linked_customer(&self, email: &str) -> Result<Option<String>, StoreError> {
        let email = email.to_owned();
        let customer = self
            .db(move |store| store.read(|conn| BillingCustomer::find_by_email(conn, &email)))
            .await?;
        Ok(customer.and_then(|c| c.stripe_customer_id))
    }

    async fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError> {
        self.db(move |store| {
            store.read(|conn| {
                OutboxItem::find(conn, id)?.ok_or_else(|| StoreError::not_found("outbox item", id))
            })
        })
        .await
    }

    /// Queues the customer of `email` unless it is linked already or queued;
    /// returns the pending item, if any.
    async fn enqueue_customer(
        &self,
        email: &str,
        name: Option<&str>,
        actor: &str,
    ) -> Result<Option<OutboxItem>, StoreError> {
        let email = email.to_owned();
        let request = json!({ "email": email, "name": name });
        let actor = actor.to_owned();
        let now = self.now();
        self.db(move |store| {
            store.write(|tx| {
                let linked = BillingCustomer::find_by_email(tx, &email)?.and_then(|c| c.stripe_customer_id);
                if linked.is_some() {
                    return Ok(None);
                }
                if let Some(pending) = OutboxItem::find_pending(tx, OutboxKind::Customer, &email)? {
                    return Ok(Some(pending));
                }
                let local_ref = new_local_ref("cus");
                OutboxItem::enqueue(
                    tx,
                    OutboxKind::Customer,
                    &local_ref,
                    &email,
                    &request,
                    &actor,
                    now,
                )
                .map(Some)
            })
        })
        .await
    }

    /// Queues a subscription of `price_id` for the customer of `email` and
    /// attempts it at once.
    ///
    /// # Errors
    /// See [`BillingError`]; `Unreachable` does not occur, because an
    /// unreachable Stripe leaves the subscription queued and returns it.
    pub async fn request_subscription(
        &self,
        email: &str,
        price_id: &str,
        payment_method_id: Option<&str>,
        actor: &str,
    ) -> Result<SubscriptionRequested, BillingError> {
        if self.api().is_none() {
            return Err(BillingError::NotConfigured);
        }
        let name = self.require_student(email).await?;
        let price = price_id.to_owned();
        let (prices, _) = self.db(|store| store.read(stored::cached_prices)).await?;
        if !prices.is_empty() && !prices.iter().any(|p| p.id == price) {
            return Err(BillingError::UnknownPrice(price));
        }

        let local_ref = new_local_ref("sub");
        let request = json!({
            "email": email,
            "name": name,
            "price_id": price_id,
            "payment_method_id": payment_method_id,
        });
        let (email_owned, actor, now, reference) =
            (email.to_owned(), actor.to_owned(), self.now(), local_ref.clone());
        let item = self
            .db(move |store| {
                store.write(|tx| {
                    BillingSubscription::insert_queued(tx, &reference, &email_owned, &price, now)?;
                    OutboxItem::enqueue(
                        tx,
                        OutboxKind::Subscription,
                        &reference,
                        &email_owned,
                        &request,
                        &actor,
                        now,
                    )
                })
            })
            .await?;
        tracing::info!(outbox_id = item.id, local_ref = %local_ref, price_id, "subscription queued");

        self.attempt(item.id).await?;
        let item = self.outbox_item(item.id).await?;
        let reference = local_ref.clone();
        let subscription = self
            .db(move |store| {
                store.read(|conn| {
                    BillingSubscription::find_by_local_ref(conn, &reference)?
                        .ok_or_else(|| StoreError::not_found("subscription", reference.clone()))
                })
            })
            .await?;
        match item.state {
            melody_store::OutboxState::Failed => Err(BillingError::Rejected {
                reason: item.last_error.clone().unwrap_or_default(),
                item: Some(Box::new(item)),
            }),
            melody_store::OutboxState::Done => Ok(SubscriptionRequested {
                subscription,
                pending: None,
            }),
            _ => Ok(SubscriptionRequested {
                subscription,
                pending: Some(item),
            }),
        }
    }

    /// Attempts outbox item `id` now, unless another attempt has it or it
    /// is no longer pending.
    async fn attempt(&self, id: i64) -> Result<(), StoreError> {
        let _sending = self.sending.lock().await;
        let item = self.outbox_item(id).await?;
        if item.state != melody_store::OutboxState::Pending {
            return Ok(());
        }
        self.send_item(item).await.map(|_| ())
    }

    /// Sends one pending item and records the outcome. Returns whether
    /// Stripe was reachable. The caller must have locked `sending`.
    async fn send_item(&self, item: OutboxItem) -> Result<bool, StoreError> {
        let Some(api) = self.api() else {
            return Ok(false);
        };
        let now = self.now();
        let id = item.id;
        let attempt = self
            .db(move |store| store.write(|tx| OutboxItem::begin_attempt(tx, id, now)))
            .await?;
        // An earlier attempt may have reached Stripe before the app stopped.
        let retrying = attempt > 1;

        let result = match item.kind {
            OutboxKind::Customer => self
                .send_customer(&api, &item, retrying)
                .await
                .map(|id| json!({ "customer_id": id })),
            OutboxKind::Subscription => self.send_subscription(&api, &item, retrying).await,
        };
        self.record_reachability(&result.as_ref().map(|_| ()));

        let now = self.now();
        let retry_max = self.config().retry_max;
        let (kind, local_ref) = (item.kind, item.local_ref.clone());
        match result {
            Ok(value) => {
                tracing::info!(outbox_id = id, kind = kind.as_str(), attempt, "Stripe call done");
                self.db(move |store| store.write(|tx| OutboxItem::mark_done(tx, id, &value, now)))
                    .await?;
                Ok(true)
            }
            Err(CallError::Unreachable(reason)) => {
                let delay = backoff(attempt, retry_max);
                let next =
                    now + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::seconds(60));
                tracing::warn!(outbox_id = id, kind = kind.as_str(), attempt, retry_in_seconds = delay.as_secs(), error = %reason, "Stripe call postponed");
                self.db(move |store| store.write(|tx| OutboxItem::postpone(tx, id, &reason, next, now)))
                    .await?;
                Ok(false)
            }
            Err(CallError::Rejected(reason)) => {
                tracing::error!(outbox_id = id, kind = kind.as_str(), attempt, error = %reason, "Stripe call failed");
                self.db(move |store| {
                    store.write(|tx| {
                        OutboxItem::mark_failed(tx, id, &reason, now)?;
                        if kind == OutboxKind::Subscription {
                            BillingSubscription::set_local_status(tx, &local_ref, "failed", now)?;
                        }
                        Ok(())
                    })
                })
                .await?;
                Ok(true)
            }
        }
    }

    /// Finds or creates the customer of the item's email and links it.
    /// Returns the customer id.
    async fn send_customer(
        &self,
        api: &StripeApi,
        item: &OutboxItem,
        retrying: bool,
    ) -> Result<String, CallError> {
        let email = item.email.clone();
        let linked = self.linked_customer(&email).await.map_err(store_failure)?;
        if let Some(id) = linked {
            return Ok(id);
        }
        // A customer with this email made by an earlier attempt, by another
        // desk or in the dashboard is used, not duplicated. The one carrying
        // this item's reference wins.
        let existing = api.customers_by_email(&email).await?;
        let found = existing
            .iter()
            .find(|c| c.metadata.get(crate::event::LOCAL_REF_KEY) == Some(&item.local_ref))
            .or_else(|| existing.first());
        let customer_id = match found {
            Some(customer) => {
                tracing::info!(customer = %customer.id, outbox_id = item.id, retrying, "using the existing Stripe customer of the email");
                customer.id.clone()
            }
            None => {
                let name = item.request.get("name").and_then(|n| n.as_str());
                // Stripe ties a key to one endpoint, and a subscription item
                // also creates a subscription under its own key.
                let key = format!("{}-customer", idempotency_key(item));
                let customer = api.create_customer(&email, name, &item.local_ref, &key).await?;
                tracing::info!(customer = %customer.id, outbox_id = item.id, "Stripe customer created");
                customer.id
            }
        };
        let now = self.now();
        let (linked_email, linked_id) = (email, customer_id.clone());
        self.db(move |store| store.write(|tx| BillingCustomer::link(tx, &linked_email, &linked_id, now)))
            .await
            .map_err(store_failure)?;
        Ok(customer_id)
    }

    async fn send_subscription(
        &self,
        api: &StripeApi,
        item: &OutboxItem,
        retrying: bool,
    ) -> Result<serde_json::Value, CallError> {
        let customer_id = self.send_customer(api, item, retrying).await?;
        let price_id = item
            .request
            .get("price_id")
            .and_then(|p| p.as_str())
            .unwrap_or_default();
        // Without an explicit card, the card saved through a SetupIntent is
        // charged: Stripe does not make it the subscription's default itself.
        let saved_card = match item.request.get("payment_method_id").and_then(|p| p.as_str()) {
            Some(method) => Some(method.to_owned()),
            None => {
                let email = item.email.clone();
                self.db(move |store| store.read(|conn| BillingCustomer::find_by_email(conn, &email)))
                    .await
                    .map_err(store_failure)?
                    .and_then(|c| c.payment_method_id)
            }
        };
        let payment_method = saved_card.as_deref();

        let existing = if retrying {
            api.find_subscription(&customer_id, &item.local_ref).await?
        } else {
            None
        };
        let subscription = match existing {
            Some(found) => {
                tracing::info!(subscription = %found.id, outbox_id = item.id, "found the subscription an earlier attempt created");
                found
            }
            None => {
                let key = idempotency_key(item);
                api.create_subscription(&customer_id, price_id, payment_method, &item.local_ref, &key)
                    .await?
            }
        };
        tracing::info!(subscription = %subscription.id, customer = %customer_id, status = %subscription.status, "subscription created");

        let mut state = subscription.state(subscription.created, 0);
        state.local_ref = Some(item.local_ref.clone());
        let now = self.now();
        self.db(move |store| store.write(|tx| BillingSubscription::apply_state(tx, &state, now)))
            .await
            .map_err(store_failure)?;
        Ok(json!({ "subscription_id": subscription.id, "status": subscription.status }))
    }

    /// Makes a failed or pending item due now and wakes the worker.
    ///
    /// # Errors
    /// An unknown id, or an item that is done or dismissed.
    pub async fn retry(&self, id: i64) -> Result<OutboxItem, StoreError> {
        let now = self.now();
        let item = self
            .db(move |store| {
                store.write(|tx| {
                    let before = OutboxItem::find(tx, id)?;
                    let item = OutboxItem::retry(tx, id, now)?;
                    if before.is_some_and(|b| b.state == melody_store::OutboxState::Failed) {
                        // Stripe rejected the last request; the retry may
                        // differ (a card saved since), so it gets new keys.
                        tx.execute(
                            "UPDATE stripe_outbox
                                SET request_json = json_set(request_json, '$.generation',
                                        COALESCE(json_extract(request_json, '$.generation'), 0) + 1)
                              WHERE id = ?1",
                            [id],
                        )
                        .map_err(|source| StoreError::Sqlite { op: "renew idempotency key", source })?;
                    }
                    if item.kind == OutboxKind::Subscription {
                        tx.execute(
                            "UPDATE billing_subscriptions SET status = 'queued' WHERE local_ref = ?1 AND stripe_subscription_id IS NULL",
                            [&item.local_ref],
                        )
                        .map_err(|source| StoreError::Sqlite { op: "requeue subscription", source })?;
                    }
                    Ok(item)
                })
            })
            .await?;
        tracing::info!(outbox_id = id, "outbox item retried by the desk");
        self.wake.notify_one();
        Ok(item)
    }

    /// Gives up a failed or pending item.
    ///
    /// # Errors
    /// An unknown id, or an item that is done or dismissed.
    pub async fn dismiss(&self, id: i64) -> Result<OutboxItem, StoreError> {
        let _sending = self.sending.lock().await;
        let now = self.now();
        let item = self
            .db(move |store| {
                store.write(|tx| {
                    let item = OutboxItem::dismiss(tx, id, now)?;
                    if item.kind == OutboxKind::Subscription {
                        BillingSubscription::set_local_status(tx, &item.local_ref, "dismissed", now)?;
                    }
                    Ok(item)
                })
            })
            .await?;
        tracing::info!(outbox_id = id, "outbox item dismissed by the desk");
        Ok(item)
    }

    /// Verifies and applies one webhook delivery.
    ///
    /// # Errors
    /// `WebhookSecretMissing`, `Signature` or `BadEvent` for a delivery that
    /// cannot be trusted or read, `Store` when it cannot be saved (Stripe
    /// then redelivers it).
    pub async fn receive_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<EventOutcome, BillingError> {
        let config = self.config();
        if config.webhook_secrets.is_empty() {
            return Err(BillingError::WebhookSecretMissing);
        }
        let now = (self.clock)().timestamp();
        webhook::verify(
            &config.webhook_secrets,
            signature,
            body,
            now,
            config.tolerance_seconds,
        )?;
        let event: Event = serde_json::from_slice(body).map_err(|e| BillingError::BadEvent(e.to_string()))?;
        self.apply_event(event, EventSource::Webhook).await
    }

    /// Applies `event` once: its id and its effect are written in one
    /// transaction, so a redelivery, even a concurrent one, changes nothing.
    async fn apply_event(&self, event: Event, source: EventSource) -> Result<EventOutcome, BillingError> {
        let change = event
            .change()
            .map_err(|e| BillingError::BadEvent(format!("{} {}: {e}", event.event_type, event.id)))?;
        let now = self.now();
        let (id, kind, created) = (event.id.clone(), event.event_type.clone(), event.created);
        let outcome = self
            .db(move |store| {
                store.write(|tx| {
                    if !stored::record_event(tx, &id, &kind, created, source, now)? {
                        return Ok(EventOutcome {
                            duplicate: true,
                            ignored: true,
                        });
                    }
                    let applied = apply_change(tx, &change, created, now)?;
                    if applied == Applied::Changed {
                        record_payment_event(tx, &change, &id, now)?;
                    }
                    Ok(EventOutcome {
                        duplicate: false,
                        ignored: applied != Applied::Changed,
                    })
                })
            })
            .await?;
        tracing::info!(event_id = %event.id, event_type = %event.event_type, source = source.as_str(), duplicate = outcome.duplicate, ignored = outcome.ignored, "Stripe event received");
        Ok(outcome)
    }

    /// Applies the events Stripe's Events API lists since the cursor: those
    /// missed while the app was closed or offline. Returns how many were new.
    ///
    /// # Errors
    /// `Unreachable` or `Rejected` from Stripe; `Store` when one cannot be
    /// saved (the cursor then stays where it was).
    pub async fn catch_up(&self) -> Result<usize, BillingError> {
        let api = self.api().ok_or(BillingError::NotConfigured)?;
        let cursor = self
            .db(|store| store.read(|conn| stored::sync_value(conn, EVENTS_CURSOR)))
            .await?;
        let Some(cursor) = cursor.and_then(|c| c.parse::<i64>().ok()) else {
            // First start with Stripe set up: nothing earlier belongs to this desk.
            let now = self.now().timestamp();
            self.db(move |store| {
                store.write(|tx| stored::set_sync_value(tx, EVENTS_CURSOR, &now.to_string()))
            })
            .await?;
            tracing::info!(cursor = now, "Events API cursor started");
            return Ok(0);
        };

        let result = api
            .events_since(cursor - EVENTS_OVERLAP_SECONDS, EVENTS_MAX_PAGES)
            .await;
        self.record_reachability(&result.as_ref().map(|_| ()));
        let (events, complete) = result.map_err(|error| match error {
            CallError::Unreachable(reason) => BillingError::Unreachable { reason, item: None },
            CallError::Rejected(reason) => BillingError::Rejected { reason, item: None },
        })?;

        let mut applied = 0;
        let mut newest = cursor;
        for event in events {
            let (id, created) = (event.id.clone(), event.created);
            match self.apply_event(event, EventSource::EventsApi).await {
                Ok(outcome) => applied += usize::from(!outcome.duplicate),
                Err(BillingError::BadEvent(reason)) => {
                    tracing::error!(event_id = %id, error = %reason, "skipped an unreadable event from the Events API");
                }
                Err(other) => return Err(other),
            }
            newest = newest.max(created);
        }
        if !complete {
            // The oldest events were not fetched: keep the cursor so the
            // next catch-up starts from them again.
            tracing::warn!(
                applied,
                cursor,
                "more Stripe events than one catch-up fetches; the cursor stays"
            );
            return Ok(applied);
        }
        self.db(move |store| {
            store.write(|tx| stored::set_sync_value(tx, EVENTS_CURSOR, &newest.to_string()))
        })
        .await?;
        tracing::info!(applied, cursor = newest, "caught up with Stripe events");
        Ok(applied)
    }

    /// Active prices from Stripe, cached for offline use. Returns the cache,
    /// and whether it is stale because Stripe could not be reached.
    ///
    /// # Errors
    /// The store cannot be read or written.
    pub async fn prices(&self) -> Result<(Vec<Price>, bool), StoreError> {
        if let Some(api) = self.api() {
            let result = api.prices().await;
            self.record_reachability(&result.as_ref().map(|_| ()));
            match result {
                Ok(prices) => {
                    let stored: Vec<Price> = prices
                        .iter()
                        .filter(|p| p.recurring.is_some())
                        .map(|p| p.to_stored())
                        .collect();
                    let now = self.now();
                    let fresh = stored.clone();
                    self.db(move |store| store.write(|tx| stored::replace_prices(tx, &stored, now)))
                        .await?;
                    return Ok((fresh, false));
                }
                Err(error) => tracing::warn!(%error, "cannot refresh prices; showing the cached list"),
            }
        }
        let (cached, _) = self.db(|store| store.read(stored::cached_prices)).await?;
        Ok((cached, true))
    }

    /// Runs until the process ends: sends due outbox items, checks whether
    /// Stripe is back while it is unreachable, and catches up on events at
    /// start and after each reconnect.
    pub async fn run_worker(self: Arc<Self>) {
        let mut need_catch_up = true;
        loop {
            if self.api().is_some() {
                if need_catch_up || self.reconnected.swap(false, Ordering::Relaxed) {
                    match self.catch_up().await {
                        Ok(_) => need_catch_up = false,
                        Err(error) => tracing::warn!(%error, "event catch-up postponed"),
                    }
                    if self.online.load(Ordering::Relaxed) {
                        let now = self.now();
                        if let Err(error) = self
                            .db(move |store| store.write(|tx| OutboxItem::make_all_due(tx, now)))
                            .await
                        {
                            tracing::error!(%error, "cannot reschedule the outbox");
                        }
                    }
                }
                if let Err(error) = self.send_due().await {
                    tracing::error!(%error, "cannot read the outbox");
                }
            }
            let wait = self.next_wait().await;
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
            if !self.online.load(Ordering::Relaxed) {
                // Probe with the catch-up call, which also fetches what was missed.
                need_catch_up = true;
            }
        }
    }

    /// Sends due items in order until none is due or Stripe is unreachable.
    async fn send_due(&self) -> Result<(), StoreError> {
        loop {
            let _sending = self.sending.lock().await;
            let now = self.now();
            let Some(item) = self
                .db(move |store| store.read(|conn| OutboxItem::next_due(conn, now)))
                .await?
            else {
                return Ok(());
            };
            if !self.send_item(item).await? {
                return Ok(());
            }
        }
    }

    async fn next_wait(&self) -> Duration {
        let retry_max = self.config().retry_max;
        let earliest = self
            .db(|store| store.read(OutboxItem::earliest_due))
            .await
            .ok()
            .flatten();
        let until_due = earliest.map_or(retry_max, |due| {
            (due - self.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(200))
        });
        until_due.min(retry_max)
    }
}

fn apply_change(
    tx: &rusqlite::Transaction<'_>,
    change: &Change,
    observed_at: i64,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    match change {
        Change::Setup { customer_id, outcome } => {
            BillingCustomer::apply_setup_outcome(tx, customer_id, outcome, observed_at, now)
        }
        Change::CardAttached {
            customer_id,
            payment_method_id,
            card,
        } => BillingCustomer::apply_card(tx, customer_id, payment_method_id, card, observed_at, now),
        Change::Subscription(state) => BillingSubscription::apply_state(tx, state, now),
        Change::Invoice {
            subscription_id,
            customer_id,
            invoice_id,
            status,
        } => BillingSubscription::apply_invoice(
            tx,
            subscription_id,
            customer_id.as_deref(),
            invoice_id,
            status,
            observed_at,
            now,
        ),
        Change::Ignored => Ok(Applied::Unknown),
    }
}

/// Adds the analytics event of a change that was applied. The data contains
/// Stripe ids only, no names or emails.
fn record_payment_event(
    tx: &rusqlite::Transaction<'_>,
    change: &Change,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (kind, mut data) = match change {
        Change::Setup { customer_id, outcome } => match outcome {
            melody_store::SetupOutcome::Succeeded { payment_method_id } => (
                EventKind::CardSaved,
                json!({ "customer": customer_id, "payment_method": payment_method_id }),
            ),
            melody_store::SetupOutcome::Failed { .. } => {
                (EventKind::CardSetupFailed, json!({ "customer": customer_id }))
            }
        },
        Change::Subscription(state) => (
            EventKind::SubscriptionStatusChanged,
            json!({ "subscription": state.stripe_subscription_id, "customer": state.stripe_customer_id, "status": state.status }),
        ),
        Change::Invoice {
            subscription_id,
            invoice_id,
            status,
            ..
        } => {
            let kind = if *status == "paid" {
                EventKind::InvoicePaid
            } else {
                EventKind::InvoicePaymentFailed
            };
            (
                kind,
                json!({ "invoice": invoice_id, "subscription": subscription_id }),
            )
        }
        Change::CardAttached { .. } | Change::Ignored => return Ok(()),
    };
    data["stripe_event"] = json!(event_id);
    append_payment_event(tx, kind, now, &data)
}

/// Builds the idempotency key of an item's Stripe object:
/// `melody-<local_ref>`, with `-g<n>` after the desk retried a rejected
/// request n times. Stripe returns the first result for a repeated key, even
/// for a changed body.
fn idempotency_key(item: &OutboxItem) -> String {
    match item.request.get("generation").and_then(serde_json::Value::as_i64) {
        Some(generation) if generation > 0 => format!("melody-{}-g{generation}", item.local_ref),
        _ => format!("melody-{}", item.local_ref),
    }
}

/// 2, 4, 8 ... seconds after each failed attempt, at most `max`.
fn backoff(attempt: i64, max: Duration) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 16)).unwrap_or(16);
    Duration::from_secs(2_u64.pow(exponent)).min(max)
}

/// Maps a store failure while sending to unreachable, so the item stays
/// pending and is attempted again.
#[allow(clippy::needless_pass_by_value)]
fn store_failure(error: StoreError) -> CallError {
    CallError::Unreachable(format!("the local database failed: {error}"))
}

/// Creates a reference unique to one request, such as `sub_3f9c...`.
fn new_local_ref(prefix: &str) -> String {
    let mut bytes = [0_u8; 12];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let max = Duration::from_secs(60);
        let delays: Vec<u64> = (1..=7).map(|a| backoff(a, max).as_secs()).collect();
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn local_refs_are_unique() {
        let first = new_local_ref("sub");
        assert!(first.starts_with("sub_"));
        assert_eq!(first.len(), 4 + 24);
        assert_ne!(first, new_local_ref("sub"));
    }
}
