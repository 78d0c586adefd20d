//! Billing tables: Stripe customers with their card on file, lesson
//! subscriptions, the outbox of Stripe calls, applied event ids, cached
//! prices and sync cursors. Nothing here talks to Stripe: the billing crate
//! passes in what Stripe returned.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::error::{ResultExt, StoreError};
use crate::timestamp;

/// The card a customer saved, as Stripe describes it (never the number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingCustomer {
    pub email: String,
    pub stripe_customer_id: Option<String>,
    pub payment_method_id: Option<String>,
    pub card: Option<Card>,
    /// `none`, `succeeded` or `failed`: the outcome of the last card setup.
    pub setup_status: String,
    pub setup_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingSubscription {
    pub local_ref: Option<String>,
    pub email: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub price_id: String,
    /// `queued` until Stripe has created it, then Stripe's status
    /// (`incomplete`, `active`, `past_due`, `canceled`, ...).
    pub status: String,
    pub current_period_end: Option<DateTime<Utc>>,
    pub latest_invoice_id: Option<String>,
    /// `paid` or `payment_failed`, from the latest invoice event.
    pub latest_invoice_status: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A subscription as Stripe describes it in an event or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub stripe_subscription_id: String,
    pub stripe_customer_id: Option<String>,
    pub local_ref: Option<String>,
    pub price_id: Option<String>,
    pub status: String,
    pub current_period_end: Option<i64>,
    /// `created` of the event (or of the object, for an API response).
    pub observed_at: i64,
    /// Orders observations of the same second: created 0, updated 1,
    /// deleted 2.
    pub rank: i64,
}

/// Whether an observation changed the stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    /// Older than, or equal to, what is stored: ignored.
    Stale,
    /// Refers to an object this store does not know.
    Unknown,
}

const CUSTOMER_COLUMNS: &str = "email, stripe_customer_id, payment_method_id, card_brand, card_last4, \
     card_exp_month, card_exp_year, setup_status, setup_error, updated_at";

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<BillingCustomer> {
    let brand: Option<String> = row.get(3)?;
    let last4: Option<String> = row.get(4)?;
    let card = match (brand, last4) {
        (Some(brand), Some(last4)) => Some(Card {
            brand,
            last4,
            exp_month: row.get(5)?,
            exp_year: row.get(6)?,
        }),
        _ => None,
    };
    Ok(BillingCustomer {
        email: row.get(0)?,
        stripe_customer_id: row.get(1)?,
        payment_method_id: row.get(2)?,
        card,
        setup_status: row.get(7)?,
        setup_error: row.get(8)?,
        updated_at: timestamp::read(row, 9)?,
    })
}

impl BillingCustomer {
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM billing_customers WHERE email = ?1"),
            [email],
            customer_from_row,
        )
        .optional()
        .op("read billing customer")
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_by_stripe_id(conn: &Connection, customer_id: &str) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM billing_customers WHERE stripe_customer_id = ?1"),
            [customer_id],
            customer_from_row,
        )
        .optional()
        .op("read billing customer")
    }

    /// Records the Stripe customer of `email`, keeping any card already
    /// known.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails, for example when the
    /// customer id already belongs to another email.
    pub fn link(
        tx: &Transaction<'_>,
        email: &str,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO billing_customers (email, stripe_customer_id, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (email) DO UPDATE SET stripe_customer_id = excluded.stripe_customer_id,
                                                updated_at = excluded.updated_at",
            params![email, customer_id, now.timestamp()],
        )
        .op("link billing customer")?;
        Ok(())
    }

    /// Applies the outcome of a SetupIntent of `customer_id` observed at
    /// `observed_at`, unless a newer outcome is stored.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn apply_setup_outcome(
        tx: &Transaction<'_>,
        customer_id: &str,
        outcome: &SetupOutcome,
        observed_at: i64,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        if Self::find_by_stripe_id(tx, customer_id)?.is_none() {
            return Ok(Applied::Unknown);
        }
        let (status, payment_method, error) = match outcome {
            SetupOutcome::Succeeded { payment_method_id } => {
                ("succeeded", payment_method_id.as_deref(), None)
            }
            SetupOutcome::Failed { message } => ("failed", None, Some(message.as_str())),
        };
        let changed = tx
            .execute(
                "UPDATE billing_customers
                    SET setup_status = ?2, setup_error = ?3,
                        payment_method_id = COALESCE(?4, payment_method_id),
                        setup_event_at = ?5, updated_at = ?6
                  WHERE stripe_customer_id = ?1 AND (setup_event_at IS NULL OR setup_event_at <= ?5)",
                params![
                    customer_id,
                    status,
                    error,
                    payment_method,
                    observed_at,
                    now.timestamp()
                ],
            )
            .op("apply card setup outcome")?;
        Ok(if changed == 0 {
            Applied::Stale
        } else {
            Applied::Changed
        })
    }

    /// Stores the card of a payment method attached to `customer_id`,
    /// unless a card from a newer event is stored.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn apply_card(
        tx: &Transaction<'_>,
        customer_id: &str,
        payment_method_id: &str,
        card: &Card,
        observed_at: i64,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        if Self::find_by_stripe_id(tx, customer_id)?.is_none() {
            return Ok(Applied::Unknown);
        }
        let changed = tx
            .execute(
                "UPDATE billing_customers
                    SET payment_method_id = ?2, card_brand = ?3, card_last4 = ?4,
                        card_exp_month = ?5, card_exp_year = ?6, card_event_at = ?7, updated_at = ?8
                  WHERE stripe_customer_id = ?1 AND (card_event_at IS NULL OR card_event_at <= ?7)",
                params![
                    customer_id,
                    payment_method_id,
                    card.brand,
                    card.last4,
                    card.exp_month,
                    card.exp_year,
                    observed_at,
                    now.timestamp()
                ],
            )
            .op("store card on file")?;
        Ok(if changed == 0 {
            Applied::Stale
        } else {
            Applied::Changed
        })
    }
}

/// The outcome of a SetupIntent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupOutcome {
    Succeeded { payment_method_id: Option<String> },
    Failed { message: String },
}

const SUBSCRIPTION_COLUMNS: &str = "local_ref, email, stripe_subscription_id, stripe_customer_id, price_id, \
     status, current_period_end, latest_invoice_id, latest_invoice_status, created_at, updated_at";

fn subscription_from_row(row: &Row<'_>) -> rusqlite::Result<BillingSubscription> {
    Ok(BillingSubscription {
        local_ref: row.get(0)?,
        email: row.get(1)?,
        stripe_subscription_id: row.get(2)?,
        stripe_customer_id: row.get(3)?,
        price_id: row.get(4)?,
        status: row.get(5)?,
        current_period_end: timestamp::read_optional(row, 6)?,
        latest_invoice_id: row.get(7)?,
        latest_invoice_status: row.get(8)?,
        created_at: timestamp::read(row, 9)?,
        updated_at: timestamp::read(row, 10)?,
    })
}

impl BillingSubscription {
    /// Records a subscription the desk asked for, before Stripe has it.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the insert fails.
    pub fn insert_queued(
        tx: &Transaction<'_>,
        local_ref: &str,
        email: &str,
        price_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO billing_subscriptions (local_ref, email, price_id, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'queued', ?4, ?4)",
            params![local_ref, email, price_id, now.timestamp()],
        )
        .op("insert queued subscription")?;
        Self::find_by_local_ref(tx, local_ref)?
            .ok_or_else(|| StoreError::not_found("subscription", local_ref))
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_by_local_ref(conn: &Connection, local_ref: &str) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM billing_subscriptions WHERE local_ref = ?1"),
            [local_ref],
            subscription_from_row,
        )
        .optional()
        .op("read subscription")
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_by_stripe_id(conn: &Connection, subscription_id: &str) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM billing_subscriptions WHERE stripe_subscription_id = ?1"
            ),
            [subscription_id],
            subscription_from_row,
        )
        .optional()
        .op("read subscription")
    }

    /// Subscriptions billed to `email`, newest first.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list_for_email(conn: &Connection, email: &str) -> Result<Vec<Self>, StoreError> {
        let mut statement = conn
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM billing_subscriptions
                  WHERE email = ?1
                     OR stripe_customer_id = (SELECT stripe_customer_id FROM billing_customers WHERE email = ?1)
                  ORDER BY created_at DESC, id DESC"
            ))
            .op("list subscriptions")?;
        let rows = statement
            .query_map([email], subscription_from_row)
            .op("list subscriptions")?;
        rows.collect::<Result<_, _>>().op("list subscriptions")
    }

    /// Applies Stripe's description of a subscription, unless the stored
    /// status comes from a newer observation. A subscription the app did not
    /// create is added, billed to the email of its customer where known.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn apply_state(
        tx: &Transaction<'_>,
        state: &SubscriptionState,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        merge_queued_row(tx, state)?;
        let existing: Option<(i64, Option<i64>, i64)> = tx
            .query_row(
                "SELECT id, status_event_at, status_event_rank FROM billing_subscriptions
                  WHERE stripe_subscription_id = ?1 OR (?2 IS NOT NULL AND local_ref = ?2)
                  ORDER BY stripe_subscription_id IS NULL LIMIT 1",
                params![state.stripe_subscription_id, state.local_ref],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .op("find subscription")?;

        let Some((id, stored_at, stored_rank)) = existing else {
            let email: Option<String> = match &state.stripe_customer_id {
                Some(customer) => BillingCustomer::find_by_stripe_id(tx, customer)?.map(|c| c.email),
                None => None,
            };
            tx.execute(
                "INSERT INTO billing_subscriptions
                    (local_ref, email, stripe_subscription_id, stripe_customer_id, price_id, status,
                     status_event_at, status_event_rank, current_period_end, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    state.local_ref,
                    email,
                    state.stripe_subscription_id,
                    state.stripe_customer_id,
                    state.price_id.as_deref().unwrap_or(""),
                    state.status,
                    state.observed_at,
                    state.rank,
                    state.current_period_end,
                    now.timestamp()
                ],
            )
            .op("insert subscription from Stripe")?;
            return Ok(Applied::Changed);
        };

        if let Some(stored_at) = stored_at {
            if (state.observed_at, state.rank) <= (stored_at, stored_rank) {
                // Still link a queued row to its Stripe id if it lacks one.
                tx.execute(
                    "UPDATE billing_subscriptions SET stripe_subscription_id = ?2
                      WHERE id = ?1 AND stripe_subscription_id IS NULL",
                    params![id, state.stripe_subscription_id],
                )
                .op("link subscription")?;
                return Ok(Applied::Stale);
            }
        }
        tx.execute(
            "UPDATE billing_subscriptions
                SET stripe_subscription_id = ?2,
                    stripe_customer_id = COALESCE(?3, stripe_customer_id),
                    price_id = COALESCE(?4, price_id),
                    status = ?5, status_event_at = ?6, status_event_rank = ?7,
                    current_period_end = COALESCE(?8, current_period_end),
                    updated_at = ?9
              WHERE id = ?1",
            params![
                id,
                state.stripe_subscription_id,
                state.stripe_customer_id,
                state.price_id,
                state.status,
                state.observed_at,
                state.rank,
                state.current_period_end,
                now.timestamp()
            ],
        )
        .op("update subscription")?;
        Ok(Applied::Changed)
    }

    /// Sets the status of a subscription Stripe never created (`failed`,
    /// `dismissed`), leaving one that Stripe has untouched.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn set_local_status(
        tx: &Transaction<'_>,
        local_ref: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE billing_subscriptions SET status = ?2, updated_at = ?3
              WHERE local_ref = ?1 AND stripe_subscription_id IS NULL",
            params![local_ref, status, now.timestamp()],
        )
        .op("set subscription status")?;
        Ok(())
    }

    /// Records the outcome of an invoice of `subscription_id`, unless a newer
    /// invoice event is stored. An invoice can arrive before any event of
    /// its subscription (Stripe does not order deliveries): the subscription
    /// is then added with status `unknown`, and its own event fills it in.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn apply_invoice(
        tx: &Transaction<'_>,
        subscription_id: &str,
        customer_id: Option<&str>,
        invoice_id: &str,
        invoice_status: &str,
        observed_at: i64,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        if Self::find_by_stripe_id(tx, subscription_id)?.is_none() {
            let email = match customer_id {
                Some(customer) => BillingCustomer::find_by_stripe_id(tx, customer)?.map(|c| c.email),
                None => None,
            };
            tx.execute(
                "INSERT INTO billing_subscriptions
                    (email, stripe_subscription_id, stripe_customer_id, price_id, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, '', 'unknown', ?4, ?4)",
                params![email, subscription_id, customer_id, now.timestamp()],
            )
            .op("add subscription from an invoice")?;
        }
        let changed = tx
            .execute(
                "UPDATE billing_subscriptions
                    SET latest_invoice_id = ?2, latest_invoice_status = ?3, invoice_event_at = ?4, updated_at = ?5
                  WHERE stripe_subscription_id = ?1 AND (invoice_event_at IS NULL OR invoice_event_at <= ?4)",
                params![subscription_id, invoice_id, invoice_status, observed_at, now.timestamp()],
            )
            .op("apply invoice outcome")?;
        Ok(if changed == 0 {
            Applied::Stale
        } else {
            Applied::Changed
        })
    }
}

/// Folds a queued row into the row Stripe's id already has, when an event
/// about the subscription (without the app's reference) arrived before the
/// response that links the two.
fn merge_queued_row(tx: &Transaction<'_>, state: &SubscriptionState) -> Result<(), StoreError> {
    let Some(local_ref) = &state.local_ref else {
        return Ok(());
    };
    let queued: Option<(i64, Option<String>, i64)> = tx
        .query_row(
            "SELECT id, email, created_at FROM billing_subscriptions
              WHERE local_ref = ?1 AND stripe_subscription_id IS NULL",
            [local_ref],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .op("find queued subscription")?;
    let known: Option<i64> = tx
        .query_row(
            "SELECT id FROM billing_subscriptions WHERE stripe_subscription_id = ?1",
            [&state.stripe_subscription_id],
            |row| row.get(0),
        )
        .optional()
        .op("find subscription")?;
    if let (Some((queued_id, email, created_at)), Some(known_id)) = (queued, known) {
        tx.execute("DELETE FROM billing_subscriptions WHERE id = ?1", [queued_id])
            .op("merge queued subscription")?;
        tx.execute(
            "UPDATE billing_subscriptions
                SET local_ref = ?2, email = COALESCE(?3, email), created_at = min(created_at, ?4)
              WHERE id = ?1",
            params![known_id, local_ref, email, created_at],
        )
        .op("merge queued subscription")?;
    }
    Ok(())
}

/// Card and subscription status of one student, for badges on the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StudentBilling {
    pub student_id: i64,
    pub card_on_file: bool,
    /// Status of the student's newest subscription, if any.
    pub subscription_status: Option<String>,
    pub latest_invoice_status: Option<String>,
}

/// Billing badges of every student that has a card or a subscription.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn student_billing(conn: &Connection) -> Result<Vec<StudentBilling>, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT s.id,
                    c.card_last4 IS NOT NULL,
                    (SELECT b.status FROM billing_subscriptions b
                      WHERE b.email = s.email OR b.stripe_customer_id = c.stripe_customer_id
                      ORDER BY b.created_at DESC, b.id DESC LIMIT 1),
                    (SELECT b.latest_invoice_status FROM billing_subscriptions b
                      WHERE b.email = s.email OR b.stripe_customer_id = c.stripe_customer_id
                      ORDER BY b.created_at DESC, b.id DESC LIMIT 1)
               FROM students s
               LEFT JOIN billing_customers c ON c.email = s.email
              WHERE c.email IS NOT NULL
                 OR EXISTS (SELECT 1 FROM billing_subscriptions b WHERE b.email = s.email)
              ORDER BY s.id",
        )
        .op("list student billing")?;
    let rows = statement
        .query_map([], |row| {
            Ok(StudentBilling {
                student_id: row.get(0)?,
                card_on_file: row.get(1)?,
                subscription_status: row.get(2)?,
                latest_invoice_status: row.get(3)?,
            })
        })
        .op("list student billing")?;
    rows.collect::<Result<_, _>>().op("list student billing")
}

/// Records that event `id` is being applied. Returns false when it was
/// applied before, so the caller skips its effect; both happen in `tx`.
///
/// # Errors
/// `StoreError::Sqlite` when the write fails.
pub fn record_event(
    tx: &Transaction<'_>,
    id: &str,
    event_type: &str,
    created: i64,
    source: EventSource,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO stripe_events (id, type, created, received_at, source) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO NOTHING",
            params![id, event_type, created, now.timestamp(), source.as_str()],
        )
        .op("record Stripe event")?;
    Ok(inserted == 1)
}

/// Number of Stripe events applied so far.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn event_count(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("SELECT count(*) FROM stripe_events", [], |row| row.get(0))
        .op("count Stripe events")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    Webhook,
    EventsApi,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::EventsApi => "events_api",
        }
    }
}

/// Reads a named sync value, such as the Events API cursor.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn sync_value(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.query_row("SELECT value FROM billing_sync WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
    .op("read billing sync value")
}

/// # Errors
/// `StoreError::Sqlite` when the write fails.
pub fn set_sync_value(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO billing_sync (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .op("write billing sync value")?;
    Ok(())
}

/// A recurring price the desk can start a subscription with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Price {
    pub id: String,
    pub product: Option<String>,
    /// The product's name, when Stripe returned the product expanded.
    pub product_name: Option<String>,
    pub nickname: Option<String>,
    /// In the currency's smallest unit (cents).
    pub unit_amount: Option<i64>,
    pub currency: String,
    /// `day`, `week`, `month` or `year`; none for a one-off price.
    pub interval: Option<String>,
    pub interval_count: Option<i64>,
    pub active: bool,
}

/// Replaces the cached prices with the list Stripe returned.
///
/// # Errors
/// `StoreError::Sqlite` when the write fails.
pub fn replace_prices(tx: &Transaction<'_>, prices: &[Price], now: DateTime<Utc>) -> Result<(), StoreError> {
    tx.execute("DELETE FROM stripe_prices", [])
        .op("clear cached prices")?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO stripe_prices
                (id, product, product_name, nickname, unit_amount, currency, interval, interval_count, active, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .op("cache prices")?;
    for price in prices {
        insert
            .execute(params![
                price.id,
                price.product,
                price.product_name,
                price.nickname,
                price.unit_amount,
                price.currency,
                price.interval,
                price.interval_count,
                price.active,
                now.timestamp()
            ])
            .op("cache prices")?;
    }
    Ok(())
}

/// Cached prices, cheapest first, and when they were fetched.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn cached_prices(conn: &Connection) -> Result<(Vec<Price>, Option<DateTime<Utc>>), StoreError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT id, product, product_name, nickname, unit_amount, currency, interval, interval_count, active,
                    fetched_at
               FROM stripe_prices ORDER BY unit_amount, id",
        )
        .op("list cached prices")?;
    let mut fetched_at = None;
    let rows = statement
        .query_map([], |row| {
            fetched_at = Some(timestamp::read(row, 9)?);
            Ok(Price {
                id: row.get(0)?,
                product: row.get(1)?,
                product_name: row.get(2)?,
                nickname: row.get(3)?,
                unit_amount: row.get(4)?,
                currency: row.get(5)?,
                interval: row.get(6)?,
                interval_count: row.get(7)?,
                active: row.get(8)?,
            })
        })
        .op("list cached prices")?;
    let prices = rows.collect::<Result<Vec<_>, _>>().op("list cached prices")?;
    Ok((prices, fetched_at))
}

/// Whether a cached price exists, for checking a request offline.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn price_is_cached(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM stripe_prices WHERE id = ?1)",
        [id],
        |row| row.get(0),
    )
    .op("look up cached price")
}

/// The name of the oldest student with `email` (compared without case), if
/// any student has it.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn student_name_for_email(conn: &Connection, email: &str) -> Result<Option<String>, StoreError> {
    conn.query_row(
        "SELECT name FROM students WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT 1",
        [email],
        |row| row.get(0),
    )
    .optional()
    .op("find student by email")
}
