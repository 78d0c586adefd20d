//! The card form: creates a SetupIntent on the server, mounts Stripe's card
//! Element and confirms the SetupIntent with Stripe.js in the browser. The
//! card number goes from Stripe's frame to Stripe; melody only learns the
//! saved card later, from Stripe's webhook.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Dialog } from '../components/Dialog';
import { ApiError } from '../api/client';
import {
  createSetupIntent,
  messageOf,
  refreshBillingStatus,
  refreshBillingStatusQuietly,
} from './api';
import { stripeClient, type StripeCardElement, type StripeClient } from './stripeJs';

interface SaveCardDialogProps {
  studentName: string;
  email: string;
  onClose: () => void;
  /** Called once Stripe has saved the card, with the new payment method's id when known. */
  onSaved: (paymentMethodId: string | null) => void;
}

type Phase =
  | { kind: 'preparing' }
  | { kind: 'ready'; stripe: StripeClient; card: StripeCardElement; clientSecret: string }
  | { kind: 'confirming'; stripe: StripeClient; card: StripeCardElement; clientSecret: string }
  | { kind: 'failed'; message: string; settingsLink?: boolean };

/** A reason the card form cannot open, as a message for the desk. */
class CardFormError extends Error {
  readonly settingsLink: boolean;

  constructor(message: string, settingsLink = false) {
    super(message);
    this.settingsLink = settingsLink;
  }
}

/** Runs every step up to a mounted card Element, or throws `CardFormError`. */
async function prepareCardForm(
  email: string,
  mountTarget: () => HTMLElement | null,
): Promise<{ stripe: StripeClient; card: StripeCardElement; clientSecret: string }> {
  if (!navigator.onLine) {
    throw new CardFormError(
      'This computer is offline, so Stripe cannot be reached and no card can be saved. Try again once it is online.',
    );
  }

  const status = await refreshBillingStatus().catch((error: unknown) => {
    throw new CardFormError(`The billing status could not be read: ${messageOf(error)}`);
  });
  if (!status.configured) {
    throw new CardFormError('Stripe is not set up: enter its keys under Settings → Stripe.', true);
  }
  const publishableKey = status.publishable_key;
  if (!publishableKey) {
    throw new CardFormError(
      'No Stripe publishable key is set, so the card form cannot load. Enter it under Settings → Stripe.',
      true,
    );
  }

  let clientSecret: string;
  try {
    clientSecret = (await createSetupIntent(email)).client_secret;
  } catch (error) {
    refreshBillingStatusQuietly();
    if (error instanceof ApiError && error.code === 'stripe_not_configured') {
      throw new CardFormError(error.message, true);
    }
    throw new CardFormError(messageOf(error));
  }

  let stripe: StripeClient;
  try {
    stripe = await stripeClient(publishableKey);
  } catch (error) {
    throw new CardFormError(
      `Stripe's card form could not be loaded from js.stripe.com (${messageOf(error)}). Check the internet connection and try again.`,
    );
  }

  const target = mountTarget();
  if (!target) throw new CardFormError('The card form was closed before it loaded.');
  const card = stripe.elements().create('card');
  card.mount(target);
  return { stripe, card, clientSecret };
}

export function SaveCardDialog({ studentName, email, onClose, onSaved }: SaveCardDialogProps) {
  const [phase, setPhase] = useState<Phase>({ kind: 'preparing' });
  const [error, setError] = useState('');
  const cardHost = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let open = true;
    let mounted: StripeCardElement | null = null;
    prepareCardForm(email, () => (open ? cardHost.current : null))
      .then((ready) => {
        mounted = ready.card;
        if (open) setPhase({ kind: 'ready', ...ready });
        else ready.card.destroy();
      })
      .catch((cause: unknown) => {
        if (!open) return;
        const settingsLink = cause instanceof CardFormError && cause.settingsLink;
        setPhase({ kind: 'failed', message: messageOf(cause), settingsLink });
      });
    return () => {
      open = false;
      mounted?.destroy();
    };
  }, [email]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (phase.kind !== 'ready') return;
    setError('');
    setPhase({ ...phase, kind: 'confirming' });
    let result;
    try {
      result = await phase.stripe.confirmCardSetup(phase.clientSecret, {
        payment_method: { card: phase.card },
      });
    } catch (cause) {
      result = { error: { message: messageOf(cause) } };
    }
    if (result.error || !result.setupIntent) {
      setError(
        `Stripe did not save the card: ${result.error?.message ?? 'no reason given'}. Check the card details and try again.`,
      );
      setPhase({ ...phase, kind: 'ready' });
      return;
    }
    const method = result.setupIntent.payment_method;
    onSaved(typeof method === 'string' ? method : (method?.id ?? null));
  };

  const busy = phase.kind === 'preparing' || phase.kind === 'confirming';

  return (
    <Dialog title={`Save a card for ${studentName}`} onClose={onClose}>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        <p class="hint">
          The card is entered in Stripe's form and sent to Stripe only. Billing email: {email}.
        </p>
        {phase.kind === 'preparing' ? <p role="status">Loading Stripe's card form…</p> : null}
        {phase.kind === 'failed' ? (
          <p class="form-error" role="alert">
            {phase.message}
            {phase.settingsLink ? (
              <>
                {' '}
                <a href="#/settings" onClick={onClose}>
                  Open Settings → Stripe
                </a>
              </>
            ) : null}
          </p>
        ) : null}
        <div
          class="card-element"
          ref={cardHost}
          hidden={phase.kind === 'failed'}
          aria-label="Card details"
          role="group"
        />
        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={phase.kind !== 'ready'} aria-busy={busy}>
            {phase.kind === 'confirming' ? 'Saving card…' : 'Save card'}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
