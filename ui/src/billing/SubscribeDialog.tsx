//! The price picker that starts a student's subscription. When Stripe is
//! unreachable the server queues the request and sends it later (202).
import { useEffect, useState } from 'preact/hooks';
import { Dialog } from '../components/Dialog';
import { Field, describedBy } from '../components/Field';
import { ApiError } from '../api/client';
import {
  loadPrices,
  messageOf,
  refreshBillingStatusQuietly,
  startSubscription,
  type PriceList,
  type SubscriptionOutcome,
} from './api';
import { priceLabel } from './format';

interface SubscribeDialogProps {
  studentName: string;
  email: string;
  /** Whether the student has a card on file; without one Stripe leaves the subscription incomplete. */
  hasCard: boolean;
  onClose: () => void;
  onStarted: (outcome: SubscriptionOutcome) => void;
}

export function SubscribeDialog({
  studentName,
  email,
  hasCard,
  onClose,
  onStarted,
}: SubscribeDialogProps) {
  const [prices, setPrices] = useState<PriceList | null>(null);
  const [loadError, setLoadError] = useState('');
  const [priceId, setPriceId] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let open = true;
    loadPrices()
      .then((list) => {
        if (!open) return;
        setPrices(list);
        const first = list.prices.find((price) => price.active);
        if (first) setPriceId(first.id);
      })
      .catch((cause: unknown) => {
        if (open) setLoadError(`The prices could not be loaded: ${messageOf(cause)}`);
      });
    return () => {
      open = false;
    };
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError('');
    if (priceId.trim() === '') {
      setError('Pick a price first.');
      return;
    }
    setBusy(true);
    try {
      const outcome = await startSubscription(email, priceId.trim());
      onStarted(outcome);
    } catch (cause) {
      setError(
        cause instanceof ApiError && cause.code === 'stripe_rejected'
          ? `Stripe rejected the subscription: ${cause.message}`
          : messageOf(cause),
      );
    } finally {
      setBusy(false);
      refreshBillingStatusQuietly();
    }
  };

  const activePrices = prices?.prices.filter((price) => price.active) ?? [];
  const offline = !navigator.onLine;

  return (
    <Dialog title={`Start a subscription for ${studentName}`} onClose={onClose}>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        {loadError ? (
          <p class="form-error" role="alert">
            {loadError}
          </p>
        ) : null}
        {prices === null && !loadError ? <p role="status">Loading prices…</p> : null}
        {hasCard ? null : (
          <p class="notice" id="no-card">
            {studentName} has no card on file, so Stripe cannot charge the first invoice and the
            subscription stays incomplete until a card is saved.
          </p>
        )}
        {prices?.stale || offline ? (
          <p class="notice" id="prices-stale">
            Stripe cannot be reached{offline ? ' (this computer is offline)' : ''}, so these are the
            prices last fetched. The subscription is queued and sent to Stripe once it can be
            reached.
          </p>
        ) : null}

        {activePrices.length > 0 ? (
          <fieldset class="price-list">
            <legend>Price</legend>
            {activePrices.map((price) => (
              <label key={price.id} class="choice">
                <input
                  type="radio"
                  name="price"
                  value={price.id}
                  checked={priceId === price.id}
                  onChange={() => {
                    setPriceId(price.id);
                  }}
                />
                {priceLabel(price)}
              </label>
            ))}
          </fieldset>
        ) : null}

        {prices !== null && activePrices.length === 0 ? (
          <Field
            id="price-id"
            label="Price id"
            hint="No prices could be listed. Enter a recurring Stripe price id (price_…) from the Stripe dashboard."
          >
            <input
              {...describedBy('price-id', undefined, 'hint')}
              value={priceId}
              autoComplete="off"
              onInput={(event) => {
                setPriceId(event.currentTarget.value);
              }}
            />
          </Field>
        ) : null}

        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy || prices === null}>
            {busy ? 'Starting…' : 'Start subscription'}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
