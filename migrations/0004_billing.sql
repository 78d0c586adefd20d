-- Stripe billing: customers and their card on file, lesson subscriptions,
-- the outbox of Stripe calls waiting to be made, the ids of webhook events
-- already applied, and a cache of prices for the desk to pick from offline.

-- One Stripe customer per contact email: siblings share a guardian's card.
CREATE TABLE billing_customers (
    email               TEXT    PRIMARY KEY COLLATE NOCASE,
    stripe_customer_id  TEXT    UNIQUE,
    payment_method_id   TEXT,
    card_brand          TEXT,
    card_last4          TEXT,
    card_exp_month      INTEGER,
    card_exp_year       INTEGER,
    -- 'none', 'succeeded' or 'failed': the last SetupIntent outcome.
    setup_status        TEXT    NOT NULL DEFAULT 'none',
    setup_error         TEXT,
    -- `created` of the Stripe event that last set setup_status or the card,
    -- so that an older event arriving late does not overwrite a newer one.
    setup_event_at      INTEGER,
    card_event_at       INTEGER,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE billing_subscriptions (
    id                      INTEGER PRIMARY KEY,
    -- The app's own reference, sent to Stripe as metadata; NULL for a
    -- subscription created outside the app and learned from an event.
    local_ref               TEXT    UNIQUE,
    email                   TEXT    COLLATE NOCASE,
    stripe_subscription_id  TEXT    UNIQUE,
    stripe_customer_id      TEXT,
    price_id                TEXT    NOT NULL,
    -- 'queued' until Stripe has it, then Stripe's status.
    status                  TEXT    NOT NULL,
    -- `created` of the Stripe event or object that set status, and the
    -- event's rank (created 0, updated 1, deleted 2) to order events of
    -- the same second: a late or repeated event never moves status back.
    status_event_at         INTEGER,
    status_event_rank       INTEGER NOT NULL DEFAULT 0,
    current_period_end      INTEGER,
    latest_invoice_id       TEXT,
    latest_invoice_status   TEXT,
    invoice_event_at        INTEGER,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE INDEX billing_subscriptions_email ON billing_subscriptions (email);
CREATE INDEX billing_subscriptions_customer ON billing_subscriptions (stripe_customer_id);

-- Stripe calls, written before they are made and retried until Stripe
-- answers. The idempotency key and local_ref make a retry return the object
-- the first attempt created.
CREATE TABLE stripe_outbox (
    id               INTEGER PRIMARY KEY,
    local_ref        TEXT    NOT NULL UNIQUE,
    kind             TEXT    NOT NULL CHECK (kind IN ('customer', 'subscription')),
    email            TEXT    NOT NULL COLLATE NOCASE,
    request_json     TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'dismissed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    result_json      TEXT,
    created_by       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE INDEX stripe_outbox_due ON stripe_outbox (state, next_attempt_at);

-- Webhook and Events API events already applied: an id is applied once.
CREATE TABLE stripe_events (
    id           TEXT    PRIMARY KEY,
    type         TEXT    NOT NULL,
    created      INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('webhook', 'events_api'))
);

CREATE INDEX stripe_events_created ON stripe_events (created);

CREATE TABLE stripe_prices (
    id              TEXT    PRIMARY KEY,
    product         TEXT,
    product_name    TEXT,
    nickname        TEXT,
    unit_amount     INTEGER,
    currency        TEXT    NOT NULL,
    interval        TEXT,
    interval_count  INTEGER,
    active          INTEGER NOT NULL,
    fetched_at      INTEGER NOT NULL
);

-- Small named values of the Stripe sync, such as the Events API cursor.
CREATE TABLE billing_sync (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
