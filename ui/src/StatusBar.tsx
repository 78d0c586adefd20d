//! The status bar: network and server state, Stripe calls waiting to sync
//! (which open the outbox panel), and the database file the server uses.
import { useEffect, useState } from 'preact/hooks';
import { connection, stripeSync } from './status';
import { serverStatus } from './data';
import { useStore } from './store';
import { refreshBillingStatus } from './billing/api';
import { OutboxPanel } from './billing/OutboxPanel';

const STRIPE_POLL_MS = 10_000;

export function StatusBar() {
  const { network, server } = useStore(connection.store);
  const sync = useStore(stripeSync);
  const status = useStore(serverStatus);
  const [outboxOpen, setOutboxOpen] = useState(false);

  useEffect(() => {
    const poll = () => void refreshBillingStatus().catch(() => undefined);
    poll();
    const timer = window.setInterval(poll, STRIPE_POLL_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, []);

  const pending = sync?.pending ?? 0;
  const failed = sync?.failed ?? 0;
  const openOutbox = () => {
    setOutboxOpen(true);
  };

  return (
    <footer class="status-bar" aria-label="Status">
      <span data-testid="network" class={network ? 'ok' : 'bad'}>
        {network ? 'Online' : 'Offline'}
      </span>
      <span data-testid="server" class={server ? 'ok' : 'bad'}>
        Server: {server ? 'connected' : 'not responding'}
      </span>
      {sync?.configured && !sync.online ? (
        <span data-testid="stripe" class="bad">
          Stripe offline
        </span>
      ) : null}
      <button
        type="button"
        class="status-link"
        data-testid="pending-sync"
        aria-haspopup="dialog"
        title="Stripe calls waiting to be sent; opens the list"
        onClick={openOutbox}
      >
        Pending sync: {pending}
      </button>
      {failed > 0 ? (
        <button
          type="button"
          class="status-link bad"
          data-testid="failed-sync"
          aria-haspopup="dialog"
          title="Stripe calls that Stripe rejected; opens the list"
          onClick={openOutbox}
        >
          Failed Stripe calls: {failed}
        </button>
      ) : null}
      <span data-testid="database" class="database" title={status?.database}>
        Database: {status?.database ?? 'unknown'}
      </span>
      {status ? <span>Studio time zone: {status.studio_timezone}</span> : null}
      {outboxOpen ? (
        <OutboxPanel
          onClose={() => {
            setOutboxOpen(false);
          }}
        />
      ) : null}
    </footer>
  );
}
