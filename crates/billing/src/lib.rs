//! Stripe billing of MelodyandMeter: the API client, webhook signature
//! verification, event parsing, and the service that queues Stripe calls in
//! the store and applies Stripe's events to it.

pub mod client;
pub mod config;
pub mod event;
mod service;
pub mod webhook;

pub use client::{CallError, StripeApi, DEFAULT_API_BASE};
pub use config::{split_webhook_secrets, BillingConfig, SecretKind};
pub use service::{
    Billing, BillingError, BillingStatus, Clock, EventOutcome, SetupIntentCreated, SubscriptionRequested,
};
