//! State for the status bar: network and server reachability, and Stripe's
//! reachability with the counts of Stripe calls waiting in the server's outbox.
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
 * Stripe's state as the server reports it in `GET /api/billing/status`: whether a
 * secret key is set, whether the last Stripe call got through, and how many
 * Stripe calls wait in the server's outbox (`pending`) or were rejected by
 * Stripe (`failed`). Null until the first poll returns.
 */
export interface StripeSync {
  configured: boolean;
  online: boolean;
  pending: number;
  failed: number;
  publishableKey: string | null;
}

export const stripeSync = createStore<StripeSync | null>(null);
