"""Fake Stripe API server for the integration tests, listening on 127.0.0.1 only.

Start it from the repository root after scripts/setup has created .venv-test:

    .venv-test/bin/python tests/stripe/fake_stripe.py --port 0

With --port 0 the kernel picks a free port. Once the server accepts
connections it prints one line, `listening on 127.0.0.1:PORT`, to stdout.
Logs go to stderr. SIGTERM or SIGINT stops it. Point the app at it with
STRIPE_API_BASE=http://127.0.0.1:PORT/ and any secret key that starts with
`sk_`, because localstripe rejects other keys with 401.

Where the objects come from:

- localstripe 1.15.10 (a stateful fake Stripe) serves customers,
  payment_methods, setup_intents and everything else it implements, and
  POST /_config/webhooks/{name} (form fields url, secret and events[]) to
  register a webhook endpoint. Its parameter checks stay as they are, so it
  rejects parameters that it does not implement with 400 "Unexpected ...".
- This file serves prices, subscriptions and events. Their bodies are
  Stripe's own example objects from fixtures3.json of Stripe's OpenAPI
  repository, read at start from --fixtures. The prices are the example
  price and one derived weekly-lessons price. A subscription is the example
  subscription with its id, customer, items, status, dates, payment method
  and metadata replaced.
- On top of localstripe, this file adds Idempotency-Key handling for every
  POST under /v1/, the events setup_intent.created, setup_intent.succeeded
  and payment_method.attached, and signed webhook delivery with retries for
  localstripe's events and its own.

Test-only endpoints:

- GET /_fake/requests returns how many POSTs created an object, by resource
  (for example {"customers": 2, "subscriptions": 1, "replayed": 3}).
  "replayed" counts responses replayed for a repeated Idempotency-Key.
- POST /_fake/forget-idempotency-keys clears every stored Idempotency-Key,
  as Stripe does once a key is 24 hours old.
- GET /_fake/deliveries returns each webhook delivery with its state
  (pending, delivered or failed) and number of attempts.
"""

import argparse
import asyncio
import base64
import contextvars
import copy
import dataclasses
import datetime
import hashlib
import hmac
import json
import logging
import re
import secrets
import signal
import socket
import string
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from dateutil.relativedelta import relativedelta

import localstripe.resources as localstripe_resources
import localstripe.server as localstripe_server
import localstripe.webhooks as localstripe_webhooks
from localstripe.errors import UserError

log = logging.getLogger("fake_stripe")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "stripe" / "fixtures3.json"

# The Stripe API version that async-stripe 1.0.0-rc.10 sends and parses
# (async-stripe-shared, src/version.rs). Events carry it as api_version.
DEFAULT_API_VERSION = "2026-09-30.endive"

DERIVED_PRICE_ID = "price_1WeeklyLessons4PerMonth"
DERIVED_PRICE_NICKNAME = "Weekly lessons, 4 per month"
DERIVED_PRICE_UNIT_AMOUNT = 12000

# Stripe's limits on list pages and on metadata (https://docs.stripe.com/api/metadata).
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
MAX_IDEMPOTENCY_KEY_LENGTH = 255

# Webhook delivery: attempts per event and endpoint, the delay before the
# first retry (doubled for each further retry) and the timeout of one attempt.
WEBHOOK_ATTEMPTS = 4
WEBHOOK_FIRST_RETRY_DELAY_SECONDS = 0.5
WEBHOOK_TIMEOUT_SECONDS = 10

SUBSCRIPTION_STATUSES = {
    "active", "canceled", "incomplete", "incomplete_expired",
    "past_due", "paused", "trialing", "unpaid",
}
PAYMENT_BEHAVIORS = {
    "allow_incomplete", "default_incomplete", "error_if_incomplete",
    "pending_if_incomplete",
}

ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix):
    """Return a Stripe-style id: the prefix and 24 random letters and digits."""
    return prefix + "".join(secrets.choice(ID_ALPHABET) for _ in range(24))


def json_response(body, status=200):
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, indent=2) + "\n")


# Errors in Stripe's shape


class StripeApiError(Exception):
    """An error response in Stripe's shape: {"error": {"type", "message", ...}}."""

    def __init__(self, status, message, param=None, code=None, error_type="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": error_type, "message": message}}
        if param is not None:
            self.body["error"]["param"] = param
        if code is not None:
            self.body["error"]["code"] = code

    def to_response(self):
        return json_response(self.body, status=self.status)


def no_such(resource, object_id, param, status=400):
    return StripeApiError(status, f"No such {resource}: '{object_id}'", param=param, code="resource_missing")


def reject_unknown_params(params, allowed, prefix=""):
    for name in params:
        if name not in allowed:
            full_name = f"{prefix}[{name}]" if prefix else name
            raise StripeApiError(
                400, f"Received unknown parameter: {full_name}", param=full_name, code="parameter_unknown"
            )


def parse_int(value, param, minimum=None, maximum=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeApiError(400, f"Invalid integer: {value}", param=param) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise StripeApiError(400, f"Invalid {param}: {number} is not between {minimum} and {maximum}", param=param)
    return number


def parse_bool(value, param):
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise StripeApiError(400, f"Invalid boolean: {value}", param=param)


def parse_metadata(value):
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeApiError(400, "Invalid metadata: expected metadata[KEY]=VALUE pairs", param="metadata")
    if len(value) > MAX_METADATA_KEYS:
        raise StripeApiError(400, f"Invalid metadata: more than {MAX_METADATA_KEYS} keys", param="metadata")
    for key, item in value.items():
        if not isinstance(item, str):
            raise StripeApiError(400, f"Invalid metadata value for key '{key}': expected a string", param=f"metadata[{key}]")
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise StripeApiError(400, f"Invalid metadata key '{key}': longer than {MAX_METADATA_KEY_LENGTH} characters", param=f"metadata[{key}]")
        if len(item) > MAX_METADATA_VALUE_LENGTH:
            raise StripeApiError(400, f"Invalid metadata value for key '{key}': longer than {MAX_METADATA_VALUE_LENGTH} characters", param=f"metadata[{key}]")
    return dict(value)


def list_page(objects, params, url):
    """Page `objects` (newest first) like a Stripe list endpoint.

    Reads limit, starting_after and ending_before from params and returns
    {object: "list", data, has_more, url}.
    """
    limit = DEFAULT_LIST_LIMIT
    if params.get("limit") is not None:
        limit = parse_int(params["limit"], "limit", 1, MAX_LIST_LIMIT)
    starting_after = params.get("starting_after")
    ending_before = params.get("ending_before")
    if starting_after and ending_before:
        raise StripeApiError(400, "Pass either starting_after or ending_before, not both", param="ending_before")

    ids = [item["id"] for item in objects]
    if starting_after:
        if starting_after not in ids:
            raise StripeApiError(400, f"Invalid starting_after: no object with id '{starting_after}' in this list", param="starting_after")
        rest = objects[ids.index(starting_after) + 1:]
        data = rest[:limit]
        has_more = len(rest) > limit
    elif ending_before:
        if ending_before not in ids:
            raise StripeApiError(400, f"Invalid ending_before: no object with id '{ending_before}' in this list", param="ending_before")
        rest = objects[:ids.index(ending_before)]
        data = rest[-limit:]
        has_more = len(rest) > limit
    else:
        data = objects[:limit]
        has_more = len(objects) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# Request context, events and webhook delivery


@dataclasses.dataclass
class RequestContext:
    """What the events created while serving one request share."""

    request_id: str
    idempotency_key: str | None
    pending_events: list = dataclasses.field(default_factory=list)


current_request = contextvars.ContextVar("current_request", default=None)


class WebhookDeliverer:
    """Sends events to every endpoint registered through /_config/webhooks/.

    Each endpoint has its own queue and worker, so one endpoint receives the
    events in the order they were created, and a failing endpoint delays only
    its own later events while it is retried.
    """

    def __init__(self):
        self.session = None
        self.queues = {}
        self.workers = []
        self.deliveries = []

    async def start(self):
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS))

    async def stop(self):
        for worker in self.workers:
            worker.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)
        pending = sum(1 for delivery in self.deliveries if delivery["status"] == "pending")
        if pending:
            log.warning("stopped with %d webhook deliveries still pending", pending)
        if self.session is not None:
            await self.session.close()

    def enqueue(self, event):
        # NOTE: localstripe 1.15.10 has no public accessor for the registered
        # endpoints, so this reads its module-level dict `_webhooks`.
        for name, endpoint in list(localstripe_webhooks._webhooks.items()):
            if endpoint.events is not None and event["type"] not in endpoint.events and "*" not in endpoint.events:
                continue
            delivery = {
                "event": event["id"], "type": event["type"], "webhook": name,
                "url": endpoint.url, "status": "pending", "attempts": 0, "last_error": None,
            }
            self.deliveries.append(delivery)
            event["pending_webhooks"] += 1
            if name not in self.queues:
                self.queues[name] = asyncio.Queue()
                self.workers.append(asyncio.create_task(self.run_worker(name)))
            self.queues[name].put_nowait((event, delivery))

    async def run_worker(self, name):
        queue = self.queues[name]
        while True:
            event, delivery = await queue.get()
            await self.deliver(name, event, delivery)

    async def deliver(self, name, event, delivery):
        delay = WEBHOOK_FIRST_RETRY_DELAY_SECONDS
        for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
            endpoint = localstripe_webhooks._webhooks.get(name)
            if endpoint is None:
                delivery["status"] = "failed"
                delivery["last_error"] = "webhook endpoint no longer registered"
                log.error("dropped event %s for webhook %r: endpoint no longer registered", event["id"], name)
                return
            delivery["attempts"] = attempt
            payload = json.dumps(event, indent=2).encode()
            timestamp = int(time.time())
            signature = hmac.new(endpoint.secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": f"t={timestamp},v1={signature}",
                "User-Agent": "fake_stripe (Stripe/1.0; +https://stripe.com/docs/webhooks)",
            }
            try:
                async with self.session.post(endpoint.url, data=payload, headers=headers) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        delivery["status"] = "delivered"
                        event["pending_webhooks"] -= 1
                        log.info("delivered %s %s to webhook %r (attempt %d)", event["type"], event["id"], name, attempt)
                        return
                    delivery["last_error"] = f"HTTP {response.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                delivery["last_error"] = f"{type(error).__name__}: {error}"
            if attempt < WEBHOOK_ATTEMPTS:
                log.warning(
                    "webhook %r failed for %s %s (attempt %d of %d, %s), retrying in %.1f s",
                    name, event["type"], event["id"], attempt, WEBHOOK_ATTEMPTS, delivery["last_error"], delay,
                )
                await asyncio.sleep(delay)
                delay *= 2
        delivery["status"] = "failed"
        log.error(
            "gave up on webhook %r for %s %s after %d attempts: %s",
            name, event["type"], event["id"], WEBHOOK_ATTEMPTS, delivery["last_error"],
        )


class EventLog:
    """Events in the current Stripe shape, oldest first, for GET /v1/events and webhooks."""

    def __init__(self, fixture_event, api_version, deliverer):
        self.fixture_event = fixture_event
        self.api_version = api_version
        self.deliverer = deliverer
        self.events = []

    def record(self, event_type, data_object, previous_attributes=None, event_id=None, created=None):
        """Store an event and schedule its webhooks for after the current response.

        Outside a request (no RequestContext) the webhooks are scheduled at once.
        """
        context = current_request.get()
        event = copy.deepcopy(self.fixture_event)
        event.update({
            "id": event_id or new_id("evt_"),
            "type": event_type,
            "created": created or int(time.time()),
            "api_version": self.api_version,
            "livemode": False,
            "pending_webhooks": 0,
            "data": {"object": copy.deepcopy(data_object)},
            "request": {
                "id": context.request_id if context else None,
                "idempotency_key": context.idempotency_key if context else None,
            },
        })
        if previous_attributes is not None:
            event["data"]["previous_attributes"] = previous_attributes
        self.events.append(event)
        if context is not None:
            context.pending_events.append(event)
        else:
            self.deliverer.enqueue(event)
        return event

    def record_localstripe_event(self, localstripe_event):
        """Replace localstripe's webhook scheduler: store its event in the current shape.

        localstripe 1.15.10 itself sends api_version 2017-08-15, signs with the
        event's creation time and never retries. Its Event object keeps the id.
        """
        self.record(
            localstripe_event.type,
            localstripe_event.data["object"],
            event_id=localstripe_event.id,
            created=localstripe_event.created,
        )

    def newest_first(self):
        return list(reversed(self.events))


# Idempotency-Key handling


@dataclasses.dataclass
class StoredResponse:
    method: str
    path: str
    params: list
    request_id: str
    status: int = 0
    body: bytes = b""
    content_type: str = "application/json"
    in_flight: bool = True


class IdempotencyStore:
    """Replays the first response to a POST for a repeated Idempotency-Key.

    Stripe scopes keys to an account, so the key here is the pair
    (Authorization header, Idempotency-Key). Like Stripe, it remembers a
    response only when the endpoint ran: 2xx, 402 and 5xx responses. Other
    4xx responses (failed validation, missing objects) are forgotten, so a
    corrected retry with the same key runs again.
    """

    def __init__(self):
        self.responses = {}
        self.replayed = 0

    def forget_all(self):
        count = len(self.responses)
        self.responses.clear()
        return count

    async def handle(self, request, key, context, run_handler):
        if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise StripeApiError(400, f"Invalid Idempotency-Key: longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters", param="Idempotency-Key")
        scope = (request.headers.get("Authorization", ""), key)
        raw_body = await request.read()
        params = sorted(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))

        stored = self.responses.get(scope)
        if stored is not None:
            return self.replay(request, key, stored, params)

        stored = StoredResponse(request.method, request.path, params, context.request_id)
        self.responses[scope] = stored
        try:
            response = await run_handler()
        except BaseException:
            del self.responses[scope]
            raise
        if response.status < 400 or response.status == 402 or response.status >= 500:
            stored.status = response.status
            stored.body = response.body
            stored.content_type = response.content_type
            stored.in_flight = False
        else:
            del self.responses[scope]
        return response

    def replay(self, request, key, stored, params):
        if stored.method != request.method or stored.path != request.path:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"({stored.method} {stored.path}). Try using a key other than '{key}' if you meant to execute "
                "a different request.",
                error_type="idempotency_error",
            )
        if stored.params != params:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                error_type="idempotency_error",
            )
        if stored.in_flight:
            # Stripe returns 409 while the first request with this key is still running.
            raise StripeApiError(
                409,
                "There is currently another in-progress request using this Idempotency Key. Please try again later.",
                error_type="idempotency_error",
            )
        self.replayed += 1
        log.info("replayed %s %s for Idempotency-Key %r", request.method, request.path, key)
        response = web.Response(status=stored.status, body=stored.body, content_type=stored.content_type)
        response.headers["Request-Id"] = stored.request_id
        response.headers["Idempotent-Replayed"] = "true"
        return response


# Prices and subscriptions built from the fixture file


def build_prices(fixture_price):
    """Return the fixture price and the derived weekly-lessons price, by id."""
    monthly = copy.deepcopy(fixture_price)
    weekly = copy.deepcopy(fixture_price)
    weekly.update({
        "id": DERIVED_PRICE_ID,
        "nickname": DERIVED_PRICE_NICKNAME,
        "unit_amount": DERIVED_PRICE_UNIT_AMOUNT,
        "unit_amount_decimal": str(DERIVED_PRICE_UNIT_AMOUNT),
    })
    return {monthly["id"]: monthly, weekly["id"]: weekly}


def period_end(start, recurring):
    count = recurring.get("interval_count") or 1
    step = {
        "day": relativedelta(days=count),
        "week": relativedelta(weeks=count),
        "month": relativedelta(months=count),
        "year": relativedelta(years=count),
    }[recurring["interval"]]
    start_time = datetime.datetime.fromtimestamp(start, tz=datetime.timezone.utc)
    return int((start_time + step).timestamp())


def lookup_customer(customer_id, param="customer"):
    """Return localstripe's Customer, or raise Stripe's 400 for a missing one."""
    if not isinstance(customer_id, str) or not customer_id:
        raise StripeApiError(400, "Missing required param: customer.", param=param, code="parameter_missing")
    try:
        return localstripe_resources.Customer._api_retrieve(customer_id)
    except UserError:
        raise no_such("customer", customer_id, param) from None


def lookup_payment_method(payment_method_id, customer_id, param):
    """Check that the payment method exists in localstripe and is attached to the customer."""
    if not isinstance(payment_method_id, str) or not payment_method_id.startswith("pm_"):
        raise no_such("PaymentMethod", payment_method_id, param)
    try:
        payment_method = localstripe_resources.PaymentMethod._api_retrieve(payment_method_id)
    except UserError:
        raise no_such("PaymentMethod", payment_method_id, param) from None
    if payment_method.customer != customer_id:
        raise StripeApiError(
            400,
            f"The customer does not have a payment method with the ID {payment_method_id}. "
            "The payment method must be attached to the customer.",
            param=param,
            code="resource_missing",
        )
    return payment_method


def customer_default_payment_method(customer):
    return customer.invoice_settings.get("default_payment_method") or customer.default_source


class SubscriptionStore:
    """Subscriptions built from the fixture subscription, with their events."""

    CREATE_PARAMS = {
        "customer", "items", "default_payment_method", "metadata", "expand",
        "payment_behavior", "off_session", "collection_method", "days_until_due",
    }
    UPDATE_PARAMS = {"metadata", "default_payment_method", "cancel_at_period_end", "expand", "proration_behavior"}
    ITEM_PARAMS = {"price", "quantity"}

    def __init__(self, fixtures, prices, events):
        self.fixture_subscription = fixtures["subscription"]
        self.fixture_invoice = fixtures["invoice"]
        self.prices = prices
        self.events = events
        self.subscriptions = {}
        self.invoices = {}

    def parse_items(self, items):
        if not items:
            raise StripeApiError(400, "Missing required param: items.", param="items", code="parameter_missing")
        if not isinstance(items, list):
            raise StripeApiError(400, "Invalid array: items must be items[0][price]=...", param="items")
        parsed = []
        for index, item in enumerate(items):
            prefix = f"items[{index}]"
            if not isinstance(item, dict):
                raise StripeApiError(400, f"Invalid object: {prefix}", param=prefix)
            reject_unknown_params(item, self.ITEM_PARAMS, prefix)
            price_id = item.get("price")
            if not price_id:
                raise StripeApiError(400, f"Missing required param: {prefix}[price].", param=f"{prefix}[price]", code="parameter_missing")
            if price_id not in self.prices:
                raise no_such("price", price_id, f"{prefix}[price]")
            quantity = parse_int(item.get("quantity", 1), f"{prefix}[quantity]", 1, None)
            parsed.append((self.prices[price_id], quantity))
        return parsed

    def create(self, params):
        reject_unknown_params(params, self.CREATE_PARAMS)
        customer = lookup_customer(params.get("customer"))
        items = self.parse_items(params.get("items"))
        metadata = parse_metadata(params.get("metadata"))

        payment_behavior = params.get("payment_behavior", "allow_incomplete")
        if payment_behavior not in PAYMENT_BEHAVIORS:
            raise StripeApiError(400, f"Invalid payment_behavior: {payment_behavior}", param="payment_behavior")
        if "off_session" in params:
            parse_bool(params["off_session"], "off_session")
        collection_method = params.get("collection_method", "charge_automatically")
        if collection_method not in ("charge_automatically", "send_invoice"):
            raise StripeApiError(400, f"Invalid collection_method: {collection_method}", param="collection_method")
        days_until_due = None
        if "days_until_due" in params:
            days_until_due = parse_int(params["days_until_due"], "days_until_due", 0, None)

        default_payment_method = params.get("default_payment_method") or None
        if default_payment_method is not None:
            lookup_payment_method(default_payment_method, customer.id, "default_payment_method")
        has_payment_method = default_payment_method is not None or customer_default_payment_method(customer) is not None
        if not has_payment_method and payment_behavior == "error_if_incomplete":
            raise StripeApiError(
                400,
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method.",
                param="default_payment_method",
            )

        # NOTE: unlike Stripe, payment_behavior=default_incomplete does not keep
        # a subscription incomplete when a payment method is available.
        status = "active" if has_payment_method else "incomplete"
        subscription = self.build_subscription(customer.id, items, status, metadata, default_payment_method, collection_method, days_until_due)
        self.subscriptions[subscription["id"]] = subscription
        log.info("created subscription %s for customer %s (%s)", subscription["id"], customer.id, status)
        self.events.record("customer.subscription.created", subscription)

        if has_payment_method:
            invoice = self.build_paid_invoice(subscription, items)
            subscription["latest_invoice"] = invoice["id"]
            self.events.record("invoice.paid", invoice)
        return subscription

    def build_subscription(self, customer_id, items, status, metadata, default_payment_method, collection_method, days_until_due):
        now = int(time.time())
        subscription_id = new_id("sub_")
        subscription = copy.deepcopy(self.fixture_subscription)
        fixture_item = subscription["items"]["data"][0]
        item_objects = []
        for price, quantity in items:
            item = copy.deepcopy(fixture_item)
            item.update({
                "id": new_id("si_"),
                "created": now,
                "metadata": {},
                "price": copy.deepcopy(price),
                "quantity": quantity,
                "subscription": subscription_id,
                "current_period_start": now,
                "current_period_end": period_end(now, price["recurring"]),
                "billing_thresholds": None,
            })
            item["plan"].update({
                "id": price["id"],
                "amount": price["unit_amount"],
                "amount_decimal": price["unit_amount_decimal"],
                "billing_scheme": price["billing_scheme"],
                "created": price["created"],
                "currency": price["currency"],
                "interval": price["recurring"]["interval"],
                "interval_count": price["recurring"]["interval_count"],
                "livemode": False,
                "metadata": {},
                "nickname": price["nickname"],
                "product": price["product"],
                "transform_usage": None,
            })
            item_objects.append(item)

        # Fields of the example object that describe a subscription in the
        # middle of its life (cancellation, trial, pause, pending update) are
        # reset to what Stripe returns for a new one.
        subscription.update({
            "id": subscription_id,
            "customer": customer_id,
            "status": status,
            "created": now,
            "start_date": now,
            "billing_cycle_anchor": now,
            "billing_cycle_anchor_config": None,
            "metadata": metadata,
            "default_payment_method": default_payment_method,
            "collection_method": collection_method,
            "days_until_due": days_until_due,
            "currency": items[0][0]["currency"],
            "items": {
                "object": "list",
                "data": item_objects,
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={subscription_id}",
            },
            "latest_invoice": None,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "ended_at": None,
            "trial_start": None,
            "trial_end": None,
            "pause_collection": None,
            "pending_update": None,
            "pending_setup_intent": None,
            "pending_invoice_item_interval": None,
            "next_pending_invoice_item_invoice": None,
            "transfer_data": None,
            "schedule": None,
            "billing_thresholds": None,
        })
        return subscription

    def build_paid_invoice(self, subscription, items):
        now = int(time.time())
        invoice = copy.deepcopy(self.fixture_invoice)
        invoice_id = new_id("in_")
        fixture_line = invoice["lines"]["data"][0]
        lines = []
        total = 0
        for item, (price, quantity) in zip(subscription["items"]["data"], items):
            amount = price["unit_amount"] * quantity
            total += amount
            line = copy.deepcopy(fixture_line)
            line.update({
                "id": new_id("il_"),
                "invoice": invoice_id,
                "amount": amount,
                "currency": price["currency"],
                "description": f"{quantity} × {price['nickname'] or price['id']}",
                "quantity": quantity,
                "subtotal": amount,
                "subscription": subscription["id"],
                "period": {"start": item["current_period_start"], "end": item["current_period_end"]},
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription["id"],
                        "subscription_item": item["id"],
                    },
                },
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
            })
            lines.append(line)

        invoice.update({
            "id": invoice_id,
            "customer": subscription["customer"],
            "created": now,
            "effective_at": now,
            "period_start": now,
            "period_end": now,
            "due_date": None,
            "next_payment_attempt": None,
            "currency": subscription["currency"],
            "status": "paid",
            "attempted": True,
            "attempt_count": 1,
            "amount_due": total,
            "amount_paid": total,
            "amount_remaining": 0,
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "total": total,
            "total_excluding_tax": total,
            "billing_reason": "subscription_create",
            "collection_method": subscription["collection_method"],
            "default_payment_method": subscription["default_payment_method"],
            "last_finalization_error": None,
            "from_invoice": None,
            "metadata": {},
            # API versions before 2025-03-31.basil put the subscription id
            # here. Newer ones put it under parent.subscription_details.
            "subscription": subscription["id"],
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": copy.deepcopy(subscription["metadata"]),
                    "subscription": subscription["id"],
                },
            },
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "status_transitions": {
                "finalized_at": now, "marked_uncollectible_at": None, "paid_at": now, "voided_at": None,
            },
        })
        self.invoices[invoice_id] = invoice
        return invoice

    def get(self, subscription_id):
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise no_such("subscription", subscription_id, "id", status=404)
        return subscription

    def update(self, subscription_id, params):
        subscription = self.get(subscription_id)
        reject_unknown_params(params, self.UPDATE_PARAMS)
        previous = {}

        if "metadata" in params:
            changes = params["metadata"]
            if changes == "":
                new_metadata = {}
            else:
                if not isinstance(changes, dict):
                    raise StripeApiError(400, "Invalid metadata: expected metadata[KEY]=VALUE pairs", param="metadata")
                # Like Stripe, an empty value removes that key and other keys stay.
                new_metadata = dict(subscription["metadata"])
                for key, value in changes.items():
                    if value == "":
                        new_metadata.pop(key, None)
                    else:
                        new_metadata[key] = value
                new_metadata = parse_metadata(new_metadata)
            if new_metadata != subscription["metadata"]:
                previous["metadata"] = subscription["metadata"]
                subscription["metadata"] = new_metadata

        if "default_payment_method" in params:
            payment_method = params["default_payment_method"] or None
            if payment_method is not None:
                lookup_payment_method(payment_method, subscription["customer"], "default_payment_method")
            if payment_method != subscription["default_payment_method"]:
                previous["default_payment_method"] = subscription["default_payment_method"]
                subscription["default_payment_method"] = payment_method

        if "cancel_at_period_end" in params:
            cancel = parse_bool(params["cancel_at_period_end"], "cancel_at_period_end")
            if cancel != subscription["cancel_at_period_end"]:
                previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
                previous["cancel_at"] = subscription["cancel_at"]
                subscription["cancel_at_period_end"] = cancel
                subscription["cancel_at"] = subscription["items"]["data"][0]["current_period_end"] if cancel else None

        if previous:
            log.info("updated subscription %s: %s", subscription_id, ", ".join(sorted(previous)))
            self.events.record("customer.subscription.updated", subscription, previous_attributes=previous)
        return subscription

    def cancel(self, subscription_id):
        subscription = self.get(subscription_id)
        if subscription["status"] == "canceled":
            raise StripeApiError(
                404, f"No such subscription: '{subscription_id}'", param="id", code="resource_missing"
            )
        now = int(time.time())
        subscription.update({
            "status": "canceled",
            "canceled_at": now,
            "ended_at": now,
            "cancellation_details": {"comment": None, "feedback": None, "reason": "cancellation_requested"},
        })
        log.info("canceled subscription %s", subscription_id)
        self.events.record("customer.subscription.deleted", subscription)
        return subscription

    def list(self, params):
        reject_unknown_params(params, {"customer", "status", "price", "limit", "starting_after", "ending_before", "expand"})
        status = params.get("status")
        if status is not None and status not in SUBSCRIPTION_STATUSES | {"all", "ended"}:
            raise StripeApiError(400, f"Invalid status: {status}", param="status")

        def matches(subscription):
            if params.get("customer") and subscription["customer"] != params["customer"]:
                return False
            if params.get("price") and all(item["price"]["id"] != params["price"] for item in subscription["items"]["data"]):
                return False
            if status is None:
                return subscription["status"] != "canceled"
            if status == "all":
                return True
            if status == "ended":
                return subscription["status"] in ("canceled", "incomplete_expired")
            return subscription["status"] == status

        # The dict keeps creation order, which also orders subscriptions created in the same second.
        newest_first = list(reversed(self.subscriptions.values()))
        return list_page([item for item in newest_first if matches(item)], params, "/v1/subscriptions")


# HTTP handlers


class FakeStripe:
    """The fake's own routes and the middleware placed in front of localstripe."""

    def __init__(self, fixtures, api_version):
        self.deliverer = WebhookDeliverer()
        self.events = EventLog(fixtures["event"], api_version, self.deliverer)
        self.prices = build_prices(fixtures["price"])
        self.subscriptions = SubscriptionStore(fixtures, self.prices, self.events)
        self.idempotency = IdempotencyStore()
        self.created_counts = {}
        self.routes = [
            ("GET", r"/v1/prices", self.list_prices),
            ("GET", r"/v1/prices/(?P<price_id>[^/]+)", self.get_price),
            ("POST", r"/v1/subscriptions", self.create_subscription),
            ("GET", r"/v1/subscriptions", self.list_subscriptions),
            ("GET", r"/v1/subscriptions/(?P<subscription_id>[^/]+)", self.get_subscription),
            ("POST", r"/v1/subscriptions/(?P<subscription_id>[^/]+)", self.update_subscription),
            ("DELETE", r"/v1/subscriptions/(?P<subscription_id>[^/]+)", self.cancel_subscription),
            ("GET", r"/v1/events", self.list_events),
            ("GET", r"/v1/events/(?P<event_id>[^/]+)", self.get_event),
            ("GET", r"/_fake/requests", self.get_request_counts),
            ("GET", r"/_fake/deliveries", self.get_deliveries),
            ("POST", r"/_fake/forget-idempotency-keys", self.forget_idempotency_keys),
        ]
        self.routes = [(method, re.compile(pattern), handler) for method, pattern, handler in self.routes]

    @web.middleware
    async def middleware(self, request, handler):
        context = RequestContext(new_id("req_"), request.headers.get("Idempotency-Key"))
        token = current_request.set(context)
        try:
            response = await self.respond(request, handler, context)
        finally:
            current_request.reset(token)

        response.headers.setdefault("Request-Id", context.request_id)
        if context.idempotency_key and request.method == "POST":
            response.headers["Idempotency-Key"] = context.idempotency_key
        if context.pending_events:
            # Send the response before the first webhook so that the client
            # receives it before the webhook reaches the app.
            await response.prepare(request)
            await response.write_eof()
            for event in context.pending_events:
                self.deliverer.enqueue(event)
        return response

    async def respond(self, request, handler, context):
        try:
            if request.method == "POST" and request.path.startswith("/v1/") and context.idempotency_key:
                return await self.idempotency.handle(
                    request, context.idempotency_key, context, lambda: self.dispatch(request, handler)
                )
            return await self.dispatch(request, handler)
        except StripeApiError as error:
            return error.to_response()
        except web.HTTPNotFound:
            return StripeApiError(404, f"Unrecognized request URL ({request.method}: {request.path}).").to_response()
        except web.HTTPMethodNotAllowed:
            return StripeApiError(405, f"Method not allowed ({request.method}: {request.path}).").to_response()

    async def dispatch(self, request, handler):
        for method, pattern, fake_handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match and request.method == method:
                if request.path.startswith("/v1/"):
                    check_api_key(request)
                response = await fake_handler(request, **match.groupdict())
                break
        else:
            response = await handler(request)
            self.record_localstripe_side_effects(request, response)

        creation = re.fullmatch(r"/v1/([a-z_]+)", request.path)
        if request.method == "POST" and creation and 200 <= response.status < 300:
            resource = creation.group(1)
            self.created_counts[resource] = self.created_counts.get(resource, 0) + 1
        return response

    def record_localstripe_side_effects(self, request, response):
        """Record the events that Stripe sends and localstripe 1.15.10 does not.

        A confirmed SetupIntent also attaches its payment method to its
        customer, as in Stripe, where localstripe leaves it unattached.
        """
        if request.method != "POST" or not 200 <= response.status < 300:
            return
        if request.path == "/v1/setup_intents":
            self.events.record("setup_intent.created", json.loads(response.body))
            return
        confirm = re.fullmatch(r"/v1/setup_intents/([^/]+)/confirm", request.path)
        if confirm:
            setup_intent = json.loads(response.body)
            if setup_intent["status"] != "succeeded":
                return
            customer_id = setup_intent.get("customer")
            payment_method_id = setup_intent.get("payment_method")
            payment_method = localstripe_resources.PaymentMethod._api_retrieve(payment_method_id)
            if customer_id and payment_method.customer is None:
                try:
                    localstripe_resources.PaymentMethod._api_attach(payment_method_id, customer=customer_id)
                except UserError as error:
                    log.error(
                        "could not attach payment method %s to customer %s after confirming %s: %s",
                        payment_method_id, customer_id, setup_intent["id"], error.body,
                    )
                else:
                    self.events.record("payment_method.attached", payment_method._export())
            self.events.record("setup_intent.succeeded", setup_intent)
            return
        if re.fullmatch(r"/v1/payment_methods/([^/]+)/attach", request.path):
            self.events.record("payment_method.attached", json.loads(response.body))

    async def list_prices(self, request):
        params = localstripe_server.unflatten_data(request.query)
        reject_unknown_params(params, {"active", "type", "limit", "starting_after", "ending_before", "expand"})
        prices = list(self.prices.values())
        if "active" in params:
            active = parse_bool(params["active"], "active")
            prices = [price for price in prices if price["active"] == active]
        if "type" in params:
            if params["type"] not in ("one_time", "recurring"):
                raise StripeApiError(400, f"Invalid type: {params['type']}", param="type")
            prices = [price for price in prices if price["type"] == params["type"]]
        return json_response(list_page(prices, params, "/v1/prices"))

    async def get_price(self, request, price_id):
        if price_id not in self.prices:
            raise no_such("price", price_id, "id", status=404)
        return json_response(self.prices[price_id])

    async def create_subscription(self, request):
        params = localstripe_server.unflatten_data(await request.post())
        return json_response(self.subscriptions.create(params))

    async def list_subscriptions(self, request):
        return json_response(self.subscriptions.list(localstripe_server.unflatten_data(request.query)))

    async def get_subscription(self, request, subscription_id):
        return json_response(self.subscriptions.get(subscription_id))

    async def update_subscription(self, request, subscription_id):
        params = localstripe_server.unflatten_data(await request.post())
        return json_response(self.subscriptions.update(subscription_id, params))

    async def cancel_subscription(self, request, subscription_id):
        return json_response(self.subscriptions.cancel(subscription_id))

    async def list_events(self, request):
        params = localstripe_server.unflatten_data(request.query)
        reject_unknown_params(params, {"created", "type", "types", "limit", "starting_after", "ending_before", "expand"})
        events = self.events.newest_first()

        created = params.get("created")
        if isinstance(created, dict):
            reject_unknown_params(created, {"gt", "gte", "lt", "lte"}, "created")
            comparisons = {
                "gt": lambda value, bound: value > bound,
                "gte": lambda value, bound: value >= bound,
                "lt": lambda value, bound: value < bound,
                "lte": lambda value, bound: value <= bound,
            }
            for operator, bound in created.items():
                bound = parse_int(bound, f"created[{operator}]")
                compare = comparisons[operator]
                events = [event for event in events if compare(event["created"], bound)]
        elif created is not None:
            exact = parse_int(created, "created")
            events = [event for event in events if event["created"] == exact]

        types = params.get("types") or ([params["type"]] if params.get("type") else None)
        if types:
            events = [event for event in events if any(event_type_matches(event["type"], pattern) for pattern in types)]
        return json_response(list_page(events, params, "/v1/events"))

    async def get_event(self, request, event_id):
        for event in self.events.events:
            if event["id"] == event_id:
                return json_response(event)
        raise no_such("event", event_id, "id", status=404)

    async def get_request_counts(self, request):
        return json_response({**self.created_counts, "replayed": self.idempotency.replayed})

    async def get_deliveries(self, request):
        return json_response(self.deliverer.deliveries)

    async def forget_idempotency_keys(self, request):
        count = self.idempotency.forget_all()
        log.info("forgot %d idempotency keys", count)
        return json_response({"forgotten": count})


def event_type_matches(event_type, pattern):
    """Match an event type against a Stripe type filter, where `*` matches any suffix."""
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def check_api_key(request):
    """Reject a request without a secret key, as localstripe does for its own routes."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Basic":
        try:
            credentials = base64.b64decode(credentials).decode().split(":")[0]
        except ValueError:
            credentials = ""
    elif scheme != "Bearer":
        credentials = ""
    if not credentials.startswith("sk_") or len(credentials) <= len("sk_"):
        raise StripeApiError(401, "Invalid API Key provided: expected a secret key starting with sk_ (Bearer or Basic auth)")


# Start-up


def load_fixtures(path):
    try:
        with open(path, encoding="utf-8") as file:
            resources = json.load(file)["resources"]
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f"fake_stripe: cannot read Stripe fixtures from {path}: {error}. Pass the file with --fixtures PATH.")
    for name in ("price", "subscription", "invoice", "event"):
        if name not in resources:
            sys.exit(f"fake_stripe: {path} has no resources[{name!r}]; expected Stripe's fixtures3.json.")
    return resources


def prepare_localstripe(fake):
    """Wire the fake into localstripe's aiohttp app before it starts."""
    # localstripe pickles its whole store to /tmp/localstripe.pickle on every
    # write, a path that every instance on the machine would share. The state
    # lives in memory only.
    localstripe_resources.store.dump_to_disk = lambda: None
    # Every event localstripe creates goes through the fake's event log and
    # webhook delivery, so all events share one shape and api_version.
    localstripe_resources.schedule_webhook = fake.events.record_localstripe_event
    app = localstripe_server.app
    app.middlewares.insert(0, fake.middleware)
    return app


async def serve(port, fixtures, api_version):
    fake = FakeStripe(fixtures, api_version)
    app = prepare_localstripe(fake)
    await fake.deliverer.start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    runner = web.AppRunner(app, access_log=logging.getLogger("aiohttp.access"))
    await runner.setup()
    await web.SockSite(runner, listener).start()

    host, bound_port = listener.getsockname()
    print(f"listening on {host}:{bound_port}", flush=True)
    log.info("fake Stripe started on %s:%d (api_version %s)", host, bound_port, api_version)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()

    log.info("stopping")
    await runner.cleanup()
    await fake.deliverer.stop()
    log.info("stopped")


def main():
    parser = argparse.ArgumentParser(description="Fake Stripe API server for the integration tests, on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default 0: a free port chosen by the kernel)")
    parser.add_argument(
        "--fixtures", type=Path, default=DEFAULT_FIXTURES,
        help=f"Stripe's fixtures3.json with example objects under 'resources' (default {DEFAULT_FIXTURES})",
    )
    parser.add_argument(
        "--api-version", default=DEFAULT_API_VERSION,
        help=f"Stripe API version written into every event (default {DEFAULT_API_VERSION})",
    )
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    fixtures = load_fixtures(args.fixtures)
    asyncio.run(serve(args.port, fixtures, args.api_version))


if __name__ == "__main__":
    main()
