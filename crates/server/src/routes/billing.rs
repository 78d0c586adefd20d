//! Stripe billing: card setup, subscriptions, the webhook receiver, prices,
//! the outbox of queued Stripe calls and the Stripe settings.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use melody_billing::{BillingError, SecretKind};
use melody_domain::Email;
use melody_store::billing as stored;
use melody_store::{
    BillingCustomer, BillingSubscription, OutboxCounts, OutboxItem, Price, StoreError, StudentBilling,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{parse_id, Actor, ApiJson};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIntentRequest {
    /// A student's contact email; the Stripe customer is found or created
    /// by it.
    #[schema(example = "guardian@example.com")]
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SetupIntentResponse {
    /// For Stripe.js `confirmCardSetup`; never stored by the app.
    pub client_secret: String,
    #[serde(rename = "customerId")]
    pub customer_id: String,
    pub setup_intent_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    #[schema(example = "guardian@example.com")]
    pub email: String,
    /// A recurring Stripe price (`price_...`).
    #[serde(rename = "priceId")]
    #[schema(example = "price_1PgafmB7WZ01zgkW6dKueIc5")]
    pub price_id: String,
    /// The card to charge (`pm_...`); the customer's default when omitted.
    pub payment_method_id: Option<String>,
}

/// A subscription as the app stores it: Stripe's id and status once Stripe
/// has created it, `queued` before.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Stripe's id (`sub_...`); null while the request is queued.
    pub id: Option<String>,
    /// Always `subscription`.
    pub object: &'static str,
    /// `queued`, `failed` or `dismissed` before Stripe has it, then Stripe's
    /// status (`incomplete`, `active`, `past_due`, `canceled`, ...).
    pub status: String,
    /// Stripe's customer id (`cus_...`).
    pub customer: Option<String>,
    pub email: Option<String>,
    pub price_id: String,
    /// The app's reference, sent to Stripe as metadata `melody_ref`.
    pub local_ref: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// `paid` or `payment_failed`, from the latest invoice.
    pub latest_invoice_status: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The queued Stripe call while it is not yet sent.
    pub pending: Option<OutboxItem>,
}

impl SubscriptionView {
    fn new(subscription: BillingSubscription, pending: Option<OutboxItem>) -> Self {
        Self {
            id: subscription.stripe_subscription_id,
            object: "subscription",
            status: subscription.status,
            customer: subscription.stripe_customer_id,
            email: subscription.email,
            price_id: subscription.price_id,
            local_ref: subscription.local_ref,
            current_period_end: subscription.current_period_end,
            latest_invoice_status: subscription.latest_invoice_status,
            created_at: subscription.created_at,
            updated_at: subscription.updated_at,
            pending,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceipt {
    pub received: bool,
    /// The event id was applied before; nothing changed.
    pub duplicate: bool,
    /// Nothing changed: the event is older than the stored state, about an
    /// object the app does not know, or of a type the app does not act on.
    pub ignored: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillingStatusView {
    /// A secret key is set.
    pub configured: bool,
    /// The last Stripe call reached Stripe.
    pub online: bool,
    /// Stripe calls waiting to be sent.
    pub pending: i64,
    /// Stripe calls that Stripe rejected, waiting for the desk.
    pub failed: i64,
    /// For Stripe.js; null when not set.
    pub publishable_key: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceList {
    pub prices: Vec<Price>,
    /// Stripe could not be reached: these are the prices last fetched.
    pub stale: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    #[serde(flatten)]
    pub counts: OutboxCounts,
    /// Pending and failed items, oldest first.
    pub items: Vec<OutboxItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StudentBillingView {
    pub student_id: i64,
    pub email: String,
    /// The Stripe customer and card on file, once known.
    pub customer: Option<BillingCustomer>,
    /// Newest first.
    pub subscriptions: Vec<SubscriptionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StripeSettingsView {
    pub secret_key_set: bool,
    pub webhook_secret_set: bool,
    /// Not a secret: Stripe.js needs it in the page.
    pub publishable_key: Option<String>,
    pub api_base: String,
    /// Settings fixed by environment variables, which this screen cannot
    /// change.
    pub from_environment: Vec<String>,
    /// Whether this server can store settings (in the OS keyring).
    pub can_save: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StripeSettingsUpdate {
    /// `sk_...` or `rk_...`; unchanged when omitted.
    pub secret_key: Option<String>,
    /// `whsec_...`; unchanged when omitted.
    pub webhook_secret: Option<String>,
    /// `pk_...`; unchanged when omitted.
    pub publishable_key: Option<String>,
}

pub(crate) fn billing_error(error: BillingError, state: &AppState) -> ApiError {
    match error {
        BillingError::NotConfigured | BillingError::WebhookSecretMissing => {
            let code = if matches!(error, BillingError::NotConfigured) {
                "stripe_not_configured"
            } else {
                "webhook_secret_missing"
            };
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, error.to_string())
        }
        BillingError::UnknownEmail(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "student_not_found", error.to_string())
                .with("field", "email")
        }
        BillingError::Invalid(ref message) => {
            ApiError::new(StatusCode::BAD_REQUEST, "billing_invalid", message.clone())
        }
        BillingError::UnknownPrice(_) => ApiError::invalid("price_unknown", "priceId", error.to_string()),
        BillingError::Signature(ref signature) => {
            if let melody_billing::webhook::SignatureError::OutsideTolerance { skew, .. } = signature {
                tracing::warn!(
                    skew_seconds = skew,
                    "webhook rejected: signature timestamp outside the tolerance; check this machine's clock"
                );
            } else {
                tracing::warn!(error = %signature, "webhook rejected: signature not valid");
            }
            ApiError::new(StatusCode::BAD_REQUEST, "signature_invalid", error.to_string())
        }
        BillingError::BadEvent(_) => {
            tracing::warn!(error = %error, "webhook rejected: not a readable event");
            ApiError::new(StatusCode::BAD_REQUEST, "event_invalid", error.to_string())
        }
        BillingError::Unreachable { ref item, .. } => {
            let item = item.as_deref().and_then(|i| serde_json::to_value(i).ok());
            let api = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stripe_unreachable",
                error.to_string(),
            );
            match item {
                Some(item) => api.with("pending", item),
                None => api,
            }
        }
        BillingError::Rejected { ref item, .. } => {
            let item = item.as_deref().and_then(|i| serde_json::to_value(i).ok());
            let api = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "stripe_rejected",
                error.to_string(),
            );
            match item {
                Some(item) => api.with("failed", item),
                None => api,
            }
        }
        BillingError::Store(store) => crate::error::from_store(store, state.settings.zone),
    }
}

fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::invalid("email_invalid", "email", e.to_string()))
}

/// Create a SetupIntent so the card form can save the student's card.
///
/// Finds or creates the Stripe customer of the email first. Needs Stripe to
/// be reachable; when it is not, the customer is queued and the response is
/// 503 `stripe_unreachable` with the queued item in `pending`.
#[utoipa::path(operation_id = "create_setup_intent", post, path = "/api/payments/setup-intent", request_body = SetupIntentRequest,
    responses((status = 200, body = SetupIntentResponse),
        (status = 400, description = "email_invalid"), (status = 404, description = "student_not_found"),
        (status = 422, description = "stripe_rejected"),
        (status = 503, description = "stripe_not_configured or stripe_unreachable")))]
pub(crate) async fn create_setup_intent(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<SetupIntentRequest>,
) -> Result<Json<SetupIntentResponse>, ApiError> {
    let email = parse_email(&body.email)?;
    let created = state
        .billing
        .create_setup_intent(email.as_str(), &actor)
        .await
        .map_err(|e| billing_error(e, &state))?;
    Ok(Json(SetupIntentResponse {
        client_secret: created.client_secret,
        customer_id: created.customer_id,
        setup_intent_id: created.setup_intent_id,
    }))
}

/// Start a lesson subscription.
///
/// The request is stored first and sent to Stripe at once: 201 with Stripe's
/// subscription when Stripe responded, 202 with `status: queued` and the
/// pending Stripe call when Stripe is unreachable (it is sent, exactly once,
/// when Stripe is back).
#[utoipa::path(operation_id = "create_subscription", post, path = "/api/billing/subscriptions", request_body = SubscriptionRequest,
    responses((status = 201, body = SubscriptionView), (status = 202, body = SubscriptionView, description = "queued"),
        (status = 400, description = "email_invalid, price_invalid, price_unknown or payment_method_invalid"),
        (status = 404, description = "student_not_found"), (status = 422, description = "stripe_rejected"),
        (status = 503, description = "stripe_not_configured")))]
pub(crate) async fn create_subscription(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<SubscriptionRequest>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let email = parse_email(&body.email)?;
    let price_id = stripe_id("price_", &body.price_id).ok_or_else(|| {
        ApiError::invalid(
            "price_invalid",
            "priceId",
            format!(
                "priceId {:?} is not a Stripe price id: pick a price such as price_1Pgaf... from the list",
                body.price_id
            ),
        )
    })?;
    let payment_method = match &body.payment_method_id {
        Some(raw) => Some(stripe_id("pm_", raw).ok_or_else(|| {
            ApiError::invalid(
                "payment_method_invalid",
                "payment_method_id",
                format!("payment_method_id {raw:?} is not a Stripe payment method id (pm_...): omit it to charge the saved card"),
            )
        })?),
        None => None,
    };

    let requested = state
        .billing
        .request_subscription(email.as_str(), price_id, payment_method, &actor)
        .await
        .map_err(|e| billing_error(e, &state))?;
    let status = if requested.pending.is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(SubscriptionView::new(requested.subscription, requested.pending)),
    ))
}

/// Returns `raw` trimmed when it looks like a Stripe id with `prefix`.
fn stripe_id<'a>(prefix: &str, raw: &'a str) -> Option<&'a str> {
    let id = raw.trim();
    let well_formed = id.len() > prefix.len()
        && id.len() <= 255
        && id.starts_with(prefix)
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    well_formed.then_some(id)
}

/// Receive a Stripe webhook.
///
/// Verifies `Stripe-Signature` over the raw body against the webhook
/// signing secret(s) (any matching `v1`, timestamp within 300 s either way)
/// and applies each event id once. Needs no API credential: the signature
/// is the credential.
#[utoipa::path(operation_id = "stripe_webhook", post, path = "/api/webhooks/stripe", request_body(content = String, description = "The event JSON exactly as Stripe sent it"),
    responses((status = 200, body = WebhookReceipt), (status = 400, description = "signature_invalid or event_invalid"),
        (status = 503, description = "webhook_secret_missing or database_busy: Stripe retries later")))]
pub(crate) async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookReceipt>, ApiError> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let outcome = state
        .billing
        .receive_webhook(signature, &body)
        .await
        .map_err(|e| billing_error(e, &state))?;
    Ok(Json(WebhookReceipt {
        received: true,
        duplicate: outcome.duplicate,
        ignored: outcome.ignored,
    }))
}

/// Whether Stripe is set up and reachable, and how many calls wait.
#[utoipa::path(operation_id = "billing_status", get, path = "/api/billing/status", responses((status = 200, body = BillingStatusView)))]
pub(crate) async fn status(State(state): State<AppState>) -> Result<Json<BillingStatusView>, ApiError> {
    let status = state
        .billing
        .status()
        .await
        .map_err(|e| crate::error::from_store(e, state.settings.zone))?;
    Ok(Json(BillingStatusView {
        configured: status.configured,
        online: status.online,
        pending: status.pending,
        failed: status.failed,
        publishable_key: state.billing.config().publishable_key,
    }))
}

/// Active recurring prices, from Stripe or, offline, as last fetched.
#[utoipa::path(operation_id = "list_prices", get, path = "/api/billing/prices", responses((status = 200, body = PriceList)))]
pub(crate) async fn prices(State(state): State<AppState>) -> Result<Json<PriceList>, ApiError> {
    let (prices, stale) = state
        .billing
        .prices()
        .await
        .map_err(|e| crate::error::from_store(e, state.settings.zone))?;
    Ok(Json(PriceList { prices, stale }))
}

/// Stripe calls still pending or failed.
#[utoipa::path(operation_id = "list_outbox", get, path = "/api/billing/outbox", responses((status = 200, body = OutboxView)))]
pub(crate) async fn outbox(State(state): State<AppState>) -> Result<Json<OutboxView>, ApiError> {
    let (counts, items) = state
        .run(|store| {
            store.read(|conn| Ok::<_, StoreError>((OutboxItem::counts(conn)?, OutboxItem::list_open(conn)?)))
        })
        .await?;
    Ok(Json(OutboxView { counts, items }))
}

/// Send a pending or failed Stripe call again now.
#[utoipa::path(operation_id = "retry_outbox_item", post, path = "/api/billing/outbox/{id}/retry", params(("id" = i64, Path)),
    responses((status = 200, body = OutboxItem), (status = 404, description = "outbox_item_not_found"), (status = 409, description = "outbox_item_closed")))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<OutboxItem>, ApiError> {
    let id = parse_id("outbox item", "outbox_item_not_found", &raw)?;
    let item = state
        .billing
        .retry(id)
        .await
        .map_err(|e| crate::error::from_store(e, state.settings.zone))?;
    Ok(Json(item))
}

/// Give up a pending or failed Stripe call; it is never sent.
#[utoipa::path(operation_id = "dismiss_outbox_item", post, path = "/api/billing/outbox/{id}/dismiss", params(("id" = i64, Path)),
    responses((status = 200, body = OutboxItem), (status = 404, description = "outbox_item_not_found"), (status = 409, description = "outbox_item_closed")))]
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<OutboxItem>, ApiError> {
    let id = parse_id("outbox item", "outbox_item_not_found", &raw)?;
    let item = state
        .billing
        .dismiss(id)
        .await
        .map_err(|e| crate::error::from_store(e, state.settings.zone))?;
    tracing::info!(outbox_id = id, "outbox item dismissed");
    Ok(Json(item))
}

/// Card on file and subscription status of every student that has either.
#[utoipa::path(operation_id = "list_student_billing", get, path = "/api/billing/students", responses((status = 200, body = Vec<StudentBilling>)))]
pub(crate) async fn students(State(state): State<AppState>) -> Result<Json<Vec<StudentBilling>>, ApiError> {
    Ok(Json(
        state.run(|store| store.read(stored::student_billing)).await?,
    ))
}

/// A student's Stripe customer, card on file and subscriptions.
#[utoipa::path(operation_id = "get_student_billing", get, path = "/api/students/{id}/billing", params(("id" = i64, Path)),
    responses((status = 200, body = StudentBillingView), (status = 404, description = "student_not_found")))]
pub(crate) async fn student(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<StudentBillingView>, ApiError> {
    let id = parse_id("student", "student_not_found", &raw)?;
    let view = state
        .run(move |store| {
            store.read(|conn| {
                let student = melody_store::Student::find(conn, id)?
                    .ok_or_else(|| StoreError::not_found("student", id))?;
                let customer = BillingCustomer::find_by_email(conn, &student.email)?;
                let subscriptions = BillingSubscription::list_for_email(conn, &student.email)?;
                Ok::<_, StoreError>(StudentBillingView {
                    student_id: student.id,
                    email: student.email,
                    customer,
                    subscriptions: subscriptions
                        .into_iter()
                        .map(|s| SubscriptionView::new(s, None))
                        .collect(),
                })
            })
        })
        .await?;
    Ok(Json(view))
}

fn settings_view(state: &AppState) -> StripeSettingsView {
    let config = state.billing.config();
    StripeSettingsView {
        secret_key_set: config.secret_key.is_some(),
        webhook_secret_set: !config.webhook_secrets.is_empty(),
        publishable_key: config.publishable_key,
        api_base: config.api_base,
        from_environment: state
            .secrets
            .as_ref()
            .map(|s| {
                s.from_environment
                    .iter()
                    .map(|k| k.env_var().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        can_save: state.secrets.is_some(),
    }
}

/// Which Stripe settings are set. Secret values are never returned.
#[utoipa::path(operation_id = "get_stripe_settings", get, path = "/api/settings/stripe", responses((status = 200, body = StripeSettingsView)))]
pub(crate) async fn get_settings(State(state): State<AppState>) -> Json<StripeSettingsView> {
    Json(settings_view(&state))
}

/// Store Stripe keys in the OS keyring and use them at once.
#[utoipa::path(operation_id = "update_stripe_settings", put, path = "/api/settings/stripe", request_body = StripeSettingsUpdate,
    responses((status = 200, body = StripeSettingsView),
        (status = 400, description = "secret_key_invalid, webhook_secret_invalid or publishable_key_invalid"),
        (status = 409, description = "setting_from_environment"), (status = 503, description = "settings_unavailable")))]
pub(crate) async fn update_settings(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StripeSettingsUpdate>,
) -> Result<Json<StripeSettingsView>, ApiError> {
    let Some(secrets) = state.secrets.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "settings_unavailable",
            "This server cannot store settings: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY in its environment instead.",
        ));
    };
    let updates = [
        (
            SecretKind::SecretKey,
            "secret_key",
            "secret_key_invalid",
            body.secret_key,
        ),
        (
            SecretKind::WebhookSecret,
            "webhook_secret",
            "webhook_secret_invalid",
            body.webhook_secret,
        ),
        (
            SecretKind::PublishableKey,
            "publishable_key",
            "publishable_key_invalid",
            body.publishable_key,
        ),
    ];
    // Check every value before storing any, so a bad one changes nothing.
    let mut valid = Vec::new();
    for (kind, field, code, value) in updates {
        let Some(value) = value else { continue };
        if secrets.from_environment.contains(&kind) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "setting_from_environment",
                format!("{} is set in the environment (or .env), which wins over this screen: change it there and restart", kind.env_var()),
            )
            .with("field", field));
        }
        let value = kind
            .validate(&value)
            .map_err(|message| ApiError::invalid(code, field, message))?;
        valid.push((kind, value));
    }

    let mut config = state.billing.config();
    for (kind, value) in valid {
        let save = std::sync::Arc::clone(&secrets.save);
        let stored_value = value.clone();
        tokio::task::spawn_blocking(move || save(kind, &stored_value))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|message| {
                tracing::error!(setting = kind.env_var(), error = %message, "cannot store a Stripe setting");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "settings_unavailable", message)
            })?;
        tracing::info!(setting = kind.env_var(), "Stripe setting stored");
        match kind {
            SecretKind::SecretKey => config.secret_key = Some(value),
            SecretKind::WebhookSecret => config.webhook_secrets = vec![value],
            SecretKind::PublishableKey => config.publishable_key = Some(value),
        }
    }
    state.billing.reconfigure(config);
    Ok(Json(settings_view(&state)))
}
