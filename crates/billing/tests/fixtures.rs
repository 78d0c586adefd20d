//! Every Stripe object and event type the app reads, parsed from Stripe's own
//! example objects (fixtures3.json of Stripe's OpenAPI repository, kept in
//! the shared fixtures folder beside the project). Event envelopes for the
//! handled types are derived from the example event with the example object
//! of each type as `data.object`.

use melody_billing::client::{Customer, StripePrice};
use melody_billing::event::{Change, Event, Subscription, HANDLED_TYPES};
use melody_store::SetupOutcome;
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/stripe/fixtures3.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let parsed: Value = serde_json::from_str(&text).expect("fixtures3.json is JSON");
    parsed["resources"].clone()
}

/// The example event, carrying `object` as an event of `kind`.
fn event_of(resources: &Value, kind: &str, object: &Value) -> Event {
    let mut envelope = resources["event"].clone();
    envelope["type"] = Value::from(kind);
    envelope["data"]["object"] = object.clone();
    serde_json::from_value(envelope).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

#[test]
fn example_event_parses_and_is_ignored() {
    let resources = fixtures();
    let event: Event = serde_json::from_value(resources["event"].clone()).unwrap();
    assert_eq!(event.id, "evt_1Pgc76B7WZ01zgkWwyRHS12y");
    assert_eq!(event.event_type, "plan.created");
    assert!(matches!(event.change().unwrap(), Change::Ignored));
}

#[test]
fn setup_intent_events_parse() {
    let resources = fixtures();
    let mut intent = resources["setup_intent"].clone();
    // The example has no customer; Stripe sets one for a desk's SetupIntent.
    assert!(matches!(
        event_of(&resources, "setup_intent.succeeded", &intent)
            .change()
            .unwrap(),
        Change::Ignored
    ));
    intent["customer"] = Value::from("cus_QXg1o8vcGmoR32");
    intent["payment_method"] = resources["payment_method"]["id"].clone();

    match event_of(&resources, "setup_intent.succeeded", &intent)
        .change()
        .unwrap()
    {
        Change::Setup { customer_id, outcome } => {
            assert_eq!(customer_id, "cus_QXg1o8vcGmoR32");
            assert_eq!(
                outcome,
                SetupOutcome::Succeeded {
                    payment_method_id: Some("pm_1Pgc75B7WZ01zgkWlHVgdEGJ".into())
                }
            );
        }
        other => panic!("unexpected {other:?}"),
    }

    intent["last_setup_error"] =
        serde_json::json!({ "type": "card_error", "message": "Your card was declined." });
    match event_of(&resources, "setup_intent.setup_failed", &intent)
        .change()
        .unwrap()
    {
        Change::Setup { outcome, .. } => assert_eq!(
            outcome,
            SetupOutcome::Failed {
                message: "Your card was declined.".into()
            }
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn payment_method_attached_parses() {
    let resources = fixtures();
    let mut method = resources["payment_method"].clone();
    method["customer"] = Value::from("cus_QXg1o8vcGmoR32");
    match event_of(&resources, "payment_method.attached", &method)
        .change()
        .unwrap()
    {
        Change::CardAttached {
            customer_id,
            payment_method_id,
            card,
        } => {
            assert_eq!(customer_id, "cus_QXg1o8vcGmoR32");
            assert_eq!(payment_method_id, "pm_1Pgc75B7WZ01zgkWlHVgdEGJ");
            assert_eq!((card.brand.as_str(), card.last4.as_str()), ("visa", "4242"));
            assert_eq!((card.exp_month, card.exp_year), (Some(8), Some(2030)));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn subscription_events_parse_with_rank() {
    let resources = fixtures();
    let subscription = &resources["subscription"];
    for (kind, rank) in [
        ("customer.subscription.created", 0),
        ("customer.subscription.updated", 1),
        ("customer.subscription.deleted", 2),
    ] {
        let event = event_of(&resources, kind, subscription);
        match event.change().unwrap() {
            Change::Subscription(state) => {
                assert_eq!(state.stripe_subscription_id, "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
                assert_eq!(state.stripe_customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
                assert_eq!(state.price_id.as_deref(), Some("price_1PgafmB7WZ01zgkW6dKueIc5"));
                assert_eq!(state.status, subscription["status"].as_str().unwrap());
                assert_eq!(state.observed_at, event.created);
                assert_eq!(state.rank, rank, "{kind}");
                assert!(state.current_period_end.is_some(), "period end from the item");
            }
            other => panic!("{kind}: unexpected {other:?}"),
        }
    }
    // The same object as an API response.
    let parsed: Subscription = serde_json::from_value(subscription.clone()).unwrap();
    assert_eq!(parsed.customer.id(), "cus_QXg1o8vcGmoR32");
}

#[test]
fn invoice_events_parse_in_both_api_shapes() {
    let resources = fixtures();
    let mut invoice = resources["invoice"].clone();
    // The example names its subscription "subscription" under
    // parent.subscription_details, where current API versions put it.
    match event_of(&resources, "invoice.paid", &invoice).change().unwrap() {
        Change::Invoice { subscription_id, .. } => assert_eq!(subscription_id, "subscription"),
        other => panic!("unexpected {other:?}"),
    }

    invoice["parent"] =
        serde_json::json!({ "subscription_details": { "subscription": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw" } });
    match event_of(&resources, "invoice.paid", &invoice).change().unwrap() {
        Change::Invoice {
            subscription_id,
            customer_id,
            invoice_id,
            status,
        } => {
            assert_eq!(customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
            assert_eq!(subscription_id, "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
            assert_eq!(invoice_id, "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
            assert_eq!(status, "paid");
        }
        other => panic!("unexpected {other:?}"),
    }

    // API versions before 2025-03-31 name the subscription at the top level.
    let mut old = resources["invoice"].clone();
    old["parent"] = Value::Null;
    old["subscription"] = Value::from("sub_old");
    match event_of(&resources, "invoice.payment_failed", &old)
        .change()
        .unwrap()
    {
        Change::Invoice {
            subscription_id,
            status,
            ..
        } => {
            assert_eq!(subscription_id, "sub_old");
            assert_eq!(status, "payment_failed");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn every_handled_type_is_covered() {
    let resources = fixtures();
    let object_for = |kind: &str| -> Value {
        let mut object = match kind.split('.').next().unwrap() {
            "setup_intent" => resources["setup_intent"].clone(),
            "payment_method" => resources["payment_method"].clone(),
            "customer" => resources["subscription"].clone(),
            "invoice" => resources["invoice"].clone(),
            other => panic!("no fixture for {other}"),
        };
        object["customer"] = Value::from("cus_QXg1o8vcGmoR32");
        object["subscription"] = Value::from("sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
        object
    };
    for kind in HANDLED_TYPES {
        let change = event_of(&resources, kind, &object_for(kind)).change();
        let change = change.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(
            !matches!(change, Change::Ignored),
            "{kind} is handled but produced no change"
        );
    }
}

#[test]
fn api_responses_parse() {
    let resources = fixtures();
    let customer: Customer = serde_json::from_value(resources["customer"].clone()).unwrap();
    assert_eq!(customer.id, "cus_QXg1o8vcGmoR32");

    let price: StripePrice = serde_json::from_value(resources["price"].clone()).unwrap();
    let stored = price.to_stored();
    assert_eq!(stored.id, "price_1PgafmB7WZ01zgkW6dKueIc5");
    assert_eq!(stored.unit_amount, Some(2000));
    assert_eq!(stored.interval.as_deref(), Some("month"));
    assert_eq!(stored.product.as_deref(), Some("prod_QXg1hqf4jFNsqG"));
    assert_eq!(stored.product_name, None);

    // Listed with expand[]=data.product, the product comes whole.
    let mut expanded = resources["price"].clone();
    expanded["product"] = resources["product"].clone();
    let price: StripePrice = serde_json::from_value(expanded).unwrap();
    let stored = price.to_stored();
    assert_eq!(stored.product.as_deref(), resources["product"]["id"].as_str());
    assert_eq!(
        stored.product_name.as_deref(),
        resources["product"]["name"].as_str()
    );
    assert!(stored.product_name.is_some());

    let intent: melody_billing::client::CreatedSetupIntent =
        serde_json::from_value(resources["setup_intent"].clone()).unwrap();
    assert!(intent.client_secret.unwrap().starts_with("seti_"));
}
