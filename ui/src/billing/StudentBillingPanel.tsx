//! One student's billing: the card on file, the outcome of the last card
//! setup, the subscriptions, and the buttons that save a card or subscribe.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Student } from '../api/client';
import { serverStatus } from '../data';
import { useStore } from '../store';
import { formatInstant } from '../time';
import {
  loadPrices,
  loadStudentBilling,
  messageOf,
  refreshBillingStatusQuietly,
  refreshBillingSummaries,
  type Price,
  type StudentBillingView,
  type SubscriptionOutcome,
} from './api';
import { cardText, invoiceStatusText, priceLabel, subscriptionStatusText } from './format';
import { SaveCardDialog } from './SaveCardDialog';
import { SubscribeDialog } from './SubscribeDialog';

/** Poll interval and limit for re-reading billing while Stripe's webhook is due. */
const CARD_POLL_MS = 1_500;
const CARD_POLL_LIMIT_MS = 60_000;

interface StudentBillingPanelProps {
  student: Student;
  onClose: () => void;
}

type Open = 'none' | 'card' | 'subscribe';

/** Checks whether the billing shows the card that Stripe just saved. */
function showsSavedCard(billing: StudentBillingView, paymentMethodId: string | null): boolean {
  const customer = billing.customer;
  if (!customer?.card) return false;
  return paymentMethodId === null || customer.payment_method_id === paymentMethodId;
}

export function StudentBillingPanel({ student, onClose }: StudentBillingPanelProps) {
  const status = useStore(serverStatus);
  const zone = status?.studio_timezone ?? 'UTC';
  const [billing, setBilling] = useState<StudentBillingView | null>(null);
  const [prices, setPrices] = useState<Price[]>([]);
  const [loadError, setLoadError] = useState('');
  const [message, setMessage] = useState('');
  const [open, setOpen] = useState<Open>('none');
  const [waitingFor, setWaitingFor] = useState<{ paymentMethodId: string | null } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const reload = useCallback(async () => {
    try {
      const next = await loadStudentBilling(student.id);
      setBilling(next);
      setLoadError('');
      return next;
    } catch (cause) {
      setLoadError(`The billing of ${student.name} could not be loaded: ${messageOf(cause)}`);
      return null;
    }
  }, [student.id, student.name]);

  useEffect(() => {
    setBilling(null);
    setMessage('');
    setWaitingFor(null);
    void reload();
    heading.current?.focus();
  }, [reload]);

  useEffect(() => {
    // Prices name the subscriptions; the panel works without them.
    loadPrices()
      .then((list) => {
        setPrices(list.prices);
      })
      .catch(() => undefined);
  }, []);

  // After Stripe.js saves a card, Stripe sends melody a webhook. Poll
  // until the card shows, or give up with a hint after CARD_POLL_LIMIT_MS.
  useEffect(() => {
    if (!waitingFor) return;
    const started = Date.now();
    let stopped = false;
    const poll = async () => {
      const next = await reload();
      if (stopped) return;
      if (next && showsSavedCard(next, waitingFor.paymentMethodId)) {
        const card = next.customer?.card;
        setMessage(card ? `Card saved: ${cardText(card)}.` : 'Card saved.');
        setWaitingFor(null);
        void refreshBillingSummaries().catch(() => undefined);
        return;
      }
      if (Date.now() - started > CARD_POLL_LIMIT_MS) {
        setMessage(
          'Stripe saved the card, but melody has not heard from Stripe yet. The card shows here once Stripe’s webhook arrives; check the webhook forwarding under Settings → Stripe.',
        );
        setWaitingFor(null);
        return;
      }
      timer = window.setTimeout(() => void poll(), CARD_POLL_MS);
    };
    let timer = window.setTimeout(() => void poll(), CARD_POLL_MS);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [waitingFor, reload]);

  const onCardSaved = (paymentMethodId: string | null) => {
    setOpen('none');
    setMessage('Stripe saved the card. Waiting for Stripe to confirm it to melody…');
    setWaitingFor({ paymentMethodId });
    refreshBillingStatusQuietly();
  };

  const onSubscriptionStarted = ({ subscription, queued }: SubscriptionOutcome) => {
    setOpen('none');
    setMessage(
      queued
        ? 'Stripe cannot be reached, so the subscription is queued. It is sent to Stripe once Stripe can be reached; the status bar counts it until then.'
        : `Subscription started: ${subscriptionStatusText(subscription)}.`,
    );
    void reload();
    void refreshBillingSummaries().catch(() => undefined);
  };

  const customer = billing?.customer ?? null;
  const headingId = `billing-heading-${String(student.id)}`;

  return (
    <section class="billing-panel" aria-labelledby={headingId}>
      <header class="billing-panel-header">
        <h3 id={headingId} ref={heading} tabIndex={-1}>
          Billing for {student.name}
        </h3>
        <button
          type="button"
          class="secondary"
          onClick={onClose}
          aria-label={`Close billing for ${student.name}`}
        >
          ✕
        </button>
      </header>

      {loadError ? (
        <p class="form-error" role="alert">
          {loadError}
        </p>
      ) : null}
      {billing === null && !loadError ? <p>Loading billing…</p> : null}

      {billing ? (
        <>
          <dl class="details">
            <dt>Billing email</dt>
            <dd>{billing.email}</dd>
            <dt>Card on file</dt>
            <dd data-testid="card-on-file">{customer?.card ? cardText(customer.card) : 'none'}</dd>
            <dt>Last card setup</dt>
            <dd data-testid="card-setup">{setupText(customer)}</dd>
          </dl>

          <h4>Subscriptions</h4>
          {billing.subscriptions.length === 0 ? (
            <p>No subscriptions.</p>
          ) : (
            <table class="subscriptions">
              <caption class="visually-hidden">Subscriptions of {student.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Price</th>
                  <th scope="col">Period ends</th>
                  <th scope="col">Latest invoice</th>
                </tr>
              </thead>
              <tbody>
                {billing.subscriptions.map((subscription) => {
                  const price = prices.find((p) => p.id === subscription.price_id);
                  return (
                    <tr key={subscription.local_ref ?? subscription.id ?? subscription.created_at}>
                      <td data-testid="subscription-status">
                        {subscriptionStatusText(subscription)}
                      </td>
                      <td>{price ? priceLabel(price) : subscription.price_id}</td>
                      <td>
                        {subscription.current_period_end
                          ? formatInstant(subscription.current_period_end, zone)
                          : '—'}
                      </td>
                      <td
                        class={subscription.latest_invoice_status === 'payment_failed' ? 'bad' : ''}
                      >
                        {invoiceStatusText(subscription.latest_invoice_status)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}

          <div class="actions">
            <button
              type="button"
              onClick={() => {
                setMessage('');
                setOpen('card');
              }}
            >
              Save card
            </button>
            <button
              type="button"
              onClick={() => {
                setMessage('');
                setOpen('subscribe');
              }}
            >
              Start subscription
            </button>
          </div>
        </>
      ) : null}

      <p role="status" data-testid="billing-message">
        {message}
      </p>

      {open === 'card' && billing ? (
        <SaveCardDialog
          studentName={student.name}
          email={billing.email}
          onClose={() => {
            setOpen('none');
            void reload();
          }}
          onSaved={onCardSaved}
        />
      ) : null}
      {open === 'subscribe' && billing ? (
        <SubscribeDialog
          studentName={student.name}
          email={billing.email}
          hasCard={Boolean(billing.customer?.card)}
          onClose={() => {
            setOpen('none');
            void reload();
          }}
          onStarted={onSubscriptionStarted}
        />
      ) : null}
    </section>
  );
}

function setupText(customer: StudentBillingView['customer']): string {
  if (!customer || customer.setup_status === 'none') return 'no card saved yet';
  if (customer.setup_status === 'succeeded') return 'succeeded';
  return `failed: ${customer.setup_error ?? 'Stripe gave no reason'}`;
}
