//! Loads Stripe.js v3 from js.stripe.com with a script tag, once per page, and
//! types the part of it the card form uses. Stripe.js collects the card number
//! in its own frame and sends it to Stripe, so card data never reaches melody.

const STRIPE_JS_URL = 'https://js.stripe.com/v3/';

/** The card Element: Stripe's card number, expiry and CVC fields in one frame. */
export interface StripeCardElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}

interface StripeElements {
  create(type: 'card', options?: Record<string, unknown>): StripeCardElement;
}

/** The result of `confirmCardSetup`: a SetupIntent on success, else an error. */
export interface ConfirmCardSetupResult {
  setupIntent?: { id: string; status: string; payment_method?: string | { id: string } | null };
  error?: { type?: string; code?: string; message?: string };
}

/** The subset of Stripe.js v3's `Stripe` object that this app calls. */
export interface StripeClient {
  elements(): StripeElements;
  confirmCardSetup(
    clientSecret: string,
    data: { payment_method: { card: StripeCardElement } },
  ): Promise<ConfirmCardSetupResult>;
}

declare global {
  interface Window {
    /** Set by Stripe.js once its script has run. */
    Stripe?: (publishableKey: string) => StripeClient;
  }
}

let loading: Promise<NonNullable<Window['Stripe']>> | null = null;
const clients = new Map<string, StripeClient>();

/** Adds the Stripe.js script tag unless an earlier call did, and waits for it to run. */
function loadScript(): Promise<NonNullable<Window['Stripe']>> {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  if (loading) return loading;

  loading = new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = STRIPE_JS_URL;
    script.async = true;
    script.addEventListener('load', () => {
      if (window.Stripe) {
        resolve(window.Stripe);
      } else {
        reject(new Error(`${STRIPE_JS_URL} loaded but did not define Stripe`));
      }
    });
    script.addEventListener('error', () => {
      // Remove the failed tag so that the next attempt adds a fresh one.
      script.remove();
      reject(new Error(`${STRIPE_JS_URL} could not be loaded`));
    });
    document.head.append(script);
  });
  // A failed load is not cached: the next card form tries again.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/** Returns the Stripe.js client for `publishableKey`, loading Stripe.js on first use. */
export async function stripeClient(publishableKey: string): Promise<StripeClient> {
  const existing = clients.get(publishableKey);
  if (existing) return existing;
  const Stripe = await loadScript();
  const client = Stripe(publishableKey);
  clients.set(publishableKey, client);
  return client;
}
