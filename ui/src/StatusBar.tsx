//! The status bar: network and server state, changes waiting to sync, and the
//! database file the server uses.
import { pendingSync, connection } from './status';
import { serverStatus } from './data';
import { useStore } from './store';

export function StatusBar() {
  const { network, server } = useStore(connection.store);
  const pending = useStore(pendingSync);
  const status = useStore(serverStatus);

  return (
    <footer class="status-bar" aria-label="Status">
      <span data-testid="network" class={network ? 'ok' : 'bad'}>
        {network ? 'Online' : 'Offline'}
      </span>
      <span data-testid="server" class={server ? 'ok' : 'bad'}>
        Server: {server ? 'connected' : 'not responding'}
      </span>
      <span data-testid="pending-sync">Pending sync: {pending}</span>
      <span data-testid="database" class="database" title={status?.database}>
        Database: {status?.database ?? 'unknown'}
      </span>
      {status ? <span>Studio time zone: {status.studio_timezone}</span> : null}
    </footer>
  );
}
