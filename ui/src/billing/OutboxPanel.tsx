//! The Stripe calls that wait in the server's outbox, with Retry and Dismiss.
//! Dismiss requires a confirmation, because a dismissed call is never sent.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { Dialog } from '../components/Dialog';
import { serverStatus } from '../data';
import { useStore } from '../store';
import { formatInstant } from '../time';
import {
  dismissOutboxItem,
  loadOutbox,
  messageOf,
  refreshBillingStatusQuietly,
  refreshBillingSummaries,
  retryOutboxItem,
  type OutboxItem,
  type OutboxView,
} from './api';

const OUTBOX_POLL_MS = 3_000;

const KIND_TEXT = { customer: 'Create customer', subscription: 'Start subscription' } as const;

export function OutboxPanel({ onClose }: { onClose: () => void }) {
  const status = useStore(serverStatus);
  const zone = status?.studio_timezone ?? 'UTC';
  const [outbox, setOutbox] = useState<OutboxView | null>(null);
  const [loadError, setLoadError] = useState('');
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      setOutbox(await loadOutbox());
      setLoadError('');
    } catch (cause) {
      setLoadError(`The Stripe calls could not be loaded: ${messageOf(cause)}`);
    }
  }, []);

  useEffect(() => {
    void reload();
    // Retry only wakes the server's sender, so the outcome shows on a later read.
    const timer = window.setInterval(() => {
      void reload();
      refreshBillingStatusQuietly();
    }, OUTBOX_POLL_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [reload]);

  const act = async (item: OutboxItem, action: 'retry' | 'dismiss') => {
    setBusy(true);
    setError('');
    setMessage('');
    try {
      const updated =
        action === 'retry' ? await retryOutboxItem(item.id) : await dismissOutboxItem(item.id);
      setMessage(afterActionText(item, action, updated));
    } catch (cause) {
      setError(messageOf(cause));
    } finally {
      setBusy(false);
      setConfirming(null);
      await reload();
      refreshBillingStatusQuietly();
      void refreshBillingSummaries().catch(() => undefined);
    }
  };

  return (
    <Dialog title="Stripe calls waiting" onClose={onClose}>
      {loadError ? (
        <p class="form-error" role="alert">
          {loadError}
        </p>
      ) : null}
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {outbox === null && !loadError ? <p>Loading…</p> : null}
      {outbox?.items.length === 0 ? <p>No Stripe calls are pending or failed.</p> : null}
      {outbox && outbox.items.length > 0 ? (
        <>
          <p>
            {outbox.pending} pending, {outbox.failed} failed. Pending calls are sent again
            automatically; Retry sends one now.
          </p>
          <ul class="outbox-list">
            {outbox.items.map((item) => (
              <li key={item.id} class={`outbox-item ${item.state}`} data-testid="outbox-item">
                <h3>
                  {KIND_TEXT[item.kind]} for {item.email}
                </h3>
                <dl class="details">
                  <dt>State</dt>
                  <dd>
                    {item.state}, {item.attempts} {item.attempts === 1 ? 'attempt' : 'attempts'}
                  </dd>
                  {item.state === 'pending' ? (
                    <>
                      <dt>Next attempt</dt>
                      <dd>{formatInstant(item.next_attempt_at, zone)}</dd>
                    </>
                  ) : null}
                  {item.last_error ? (
                    <>
                      <dt>Last error</dt>
                      <dd>{item.last_error}</dd>
                    </>
                  ) : null}
                  <dt>Requested</dt>
                  <dd>
                    {formatInstant(item.created_at, zone)} by {item.created_by}
                  </dd>
                  <dt>Reference</dt>
                  <dd>
                    <code>{item.local_ref}</code>
                  </dd>
                </dl>
                {confirming === item.id ? (
                  <div
                    class="notice late"
                    role="group"
                    aria-labelledby={`dismiss-${String(item.id)}`}
                  >
                    <p id={`dismiss-${String(item.id)}`}>
                      Dismiss this call? It is never sent to Stripe.
                    </p>
                    <div class="actions">
                      <button
                        type="button"
                        class="danger"
                        disabled={busy}
                        onClick={() => void act(item, 'dismiss')}
                      >
                        Dismiss call
                      </button>
                      <button
                        type="button"
                        class="secondary"
                        autoFocus
                        onClick={() => {
                          setConfirming(null);
                        }}
                      >
                        Keep it
                      </button>
                    </div>
                  </div>
                ) : (
                  <div class="actions">
                    <button type="button" disabled={busy} onClick={() => void act(item, 'retry')}>
                      Retry
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      disabled={busy}
                      onClick={() => {
                        setConfirming(item.id);
                      }}
                    >
                      Dismiss…
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <p role="status" data-testid="outbox-message">
        {message}
      </p>
    </Dialog>
  );
}

function afterActionText(item: OutboxItem, action: 'retry' | 'dismiss', updated: OutboxItem) {
  const call = `${KIND_TEXT[item.kind]} for ${item.email}`;
  if (action === 'dismiss') return `Dismissed: ${call}. It will not be sent.`;
  if (updated.state === 'done') return `Sent to Stripe: ${call}.`;
  return `Retry requested: ${call} is being sent to Stripe now. The list updates when it is sent or fails again.`;
}
