//! Stripe events and the few fields of their objects that the app stores.
//! The structs read only those fields, and accept both older and current
//! API versions where a field moved (an invoice's subscription, a
//! subscription's period end), because webhooks arrive rendered in the
//! endpoint's API version and the Events API in the account's.

use melody_store::{Card, SetupOutcome, SubscriptionState};
use serde::Deserialize;
use serde_json::Value;

/// The envelope of every Stripe event.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// An id field that Stripe sends either as a string or, when expanded, as
/// the object itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expandable {
    Id(String),
    Object { id: String },
}

impl Expandable {
    pub fn id(&self) -> &str {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub customer: Option<Expandable>,
    pub payment_method: Option<Expandable>,
    pub status: String,
    pub last_setup_error: Option<StripeErrorDetail>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StripeErrorDetail {
    pub message: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<Expandable>,
    pub card: Option<PaymentCard>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentCard {
    pub brand: String,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: Expandable,
    pub status: String,
    pub created: i64,
    /// Top-level in API versions before 2025-03-31, per item after.
    pub current_period_end: Option<i64>,
    pub items: SubscriptionItems,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItems {
    pub data: Vec<SubscriptionItem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItem {
    pub price: Option<PriceRef>,
    /// The price's predecessor, present in older API versions.
    pub plan: Option<PriceRef>,
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PriceRef {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub customer: Option<Expandable>,
    /// The subscription, in API versions before 2025-03-31.
    pub subscription: Option<Expandable>,
    /// The subscription's location in later API versions.
    pub parent: Option<InvoiceParent>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceParent {
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionDetails {
    pub subscription: Option<Expandable>,
}

impl Invoice {
    pub fn subscription_id(&self) -> Option<&str> {
        self.subscription.as_ref().map(Expandable::id).or_else(|| {
            self.parent
                .as_ref()?
                .subscription_details
                .as_ref()?
                .subscription
                .as_ref()
                .map(Expandable::id)
        })
    }
}

/// Metadata key carrying the app's reference of what it asked Stripe for.
pub const LOCAL_REF_KEY: &str = "melody_ref";

impl Subscription {
    /// The stored view of this subscription, observed at `observed_at` with
    /// the rank of the event kind that carried it.
    pub fn state(&self, observed_at: i64, rank: i64) -> SubscriptionState {
        let item = self.items.data.first();
        let price_id = item
            .and_then(|i| i.price.as_ref().or(i.plan.as_ref()))
            .map(|p| p.id.clone());
        let current_period_end = self
            .current_period_end
            .or_else(|| item.and_then(|i| i.current_period_end));
        SubscriptionState {
            stripe_subscription_id: self.id.clone(),
            stripe_customer_id: Some(self.customer.id().to_owned()),
            local_ref: self.metadata.get(LOCAL_REF_KEY).cloned(),
            price_id,
            status: self.status.clone(),
            current_period_end,
            observed_at,
            rank,
        }
    }
}

/// The change an event makes to the app's state.
#[derive(Debug, Clone)]
pub enum Change {
    Setup {
        customer_id: String,
        outcome: SetupOutcome,
    },
    CardAttached {
        customer_id: String,
        payment_method_id: String,
        card: Card,
    },
    Subscription(SubscriptionState),
    Invoice {
        subscription_id: String,
        customer_id: Option<String>,
        invoice_id: String,
        status: &'static str,
    },
    /// An event type the app does not act on, or one about an object with
    /// nothing the app stores (a SetupIntent without a customer).
    Ignored,
}

/// The event types the app acts on.
pub const HANDLED_TYPES: &[&str] = &[
    "setup_intent.succeeded",
    "setup_intent.setup_failed",
    "payment_method.attached",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
];

impl Event {
    /// Reads the change this event carries.
    ///
    /// # Errors
    /// The object of a handled event type lacks a field the app needs.
    pub fn change(&self) -> Result<Change, serde_json::Error> {
        let object = || self.data.object.clone();
        let change = match self.event_type.as_str() {
            "setup_intent.succeeded" | "setup_intent.setup_failed" => {
                let intent: SetupIntent = serde_json::from_value(object())?;
                let Some(customer) = intent.customer else {
                    return Ok(Change::Ignored);
                };
                let outcome = if self.event_type == "setup_intent.succeeded" {
                    SetupOutcome::Succeeded {
                        payment_method_id: intent.payment_method.map(|p| p.id().to_owned()),
                    }
                } else {
                    let message = intent
                        .last_setup_error
                        .and_then(|e| e.message.or(e.code))
                        .unwrap_or_else(|| "the card setup failed".to_owned());
                    SetupOutcome::Failed { message }
                };
                Change::Setup {
                    customer_id: customer.id().to_owned(),
                    outcome,
                }
            }
            "payment_method.attached" => {
                let method: PaymentMethod = serde_json::from_value(object())?;
                match (method.customer, method.card) {
                    (Some(customer), Some(card)) => Change::CardAttached {
                        customer_id: customer.id().to_owned(),
                        payment_method_id: method.id,
                        card: Card {
                            brand: card.brand,
                            last4: card.last4,
                            exp_month: card.exp_month,
                            exp_year: card.exp_year,
                        },
                    },
                    _ => Change::Ignored,
                }
            }
            kind @ ("customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted") => {
                let subscription: Subscription = serde_json::from_value(object())?;
                let rank = match kind {
                    "customer.subscription.created" => 0,
                    "customer.subscription.updated" => 1,
                    _ => 2,
                };
                Change::Subscription(subscription.state(self.created, rank))
            }
            kind @ ("invoice.paid" | "invoice.payment_failed") => {
                let invoice: Invoice = serde_json::from_value(object())?;
                match invoice.subscription_id() {
                    Some(subscription_id) => Change::Invoice {
                        subscription_id: subscription_id.to_owned(),
                        customer_id: invoice.customer.as_ref().map(|c| c.id().to_owned()),
                        invoice_id: invoice.id.clone(),
                        status: if kind == "invoice.paid" {
                            "paid"
                        } else {
                            "payment_failed"
                        },
                    },
                    None => Change::Ignored,
                }
            }
            _ => Change::Ignored,
        };
        Ok(change)
    }
}
