//! State for the status bar: network and server reachability, the count of
//! changes waiting to sync with Stripe, and the settings from `GET /api/status`.
import { createStore } from './store';

export interface Connection {
  /** The browser's view of the network (`navigator.onLine`). */
  network: boolean;
  /** Whether the last request reached the melody server. */
  server: boolean;
}

const connectionStore = createStore<Connection>({ network: navigator.onLine, server: true });

export const connection = {
  store: connectionStore,
  markServerReachable(server: boolean): void {
    const current = connectionStore.get();
    if (current.server !== server) connectionStore.set({ ...current, server });
  },
  markNetwork(network: boolean): void {
    const current = connectionStore.get();
    if (current.network !== network) connectionStore.set({ ...current, network });
  },
};

window.addEventListener('online', () => {
  connection.markNetwork(true);
});
window.addEventListener('offline', () => {
  connection.markNetwork(false);
});

/**
 * Stripe calls queued while offline and not yet replayed. The status bar and
 * anything else that shows the count read it from here.
 *
 * TODO(billing): set it from the server's outbox once Stripe billing exists; until
 * then nothing is ever queued, so 0 is the true count.
 */
export const pendingSync = createStore<number>(0);
