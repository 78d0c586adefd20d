//! Runs once before the browser tests: starts the servers they drive and passes
//! their URLs to the test workers through environment variables.
//!
//! - The main melody, which every desk test uses, talks to the fake Stripe
//!   server, which sends it signed webhooks.
//! - The "offline" melody has Stripe keys but an API base on a closed port, so
//!   its Stripe calls queue in the outbox (`MELODY_OFFLINE_*`).
//! - The "settings" melody has no Stripe keys in its environment and stores
//!   settings in a file, so the settings screen can save (`MELODY_SETTINGS_*`).
import {
  closedPort,
  registerWebhook,
  removeDir,
  startFakeStripe,
  startMelody,
  startPreview,
  stop,
  stripeEnv,
  type Started,
} from './server';

export const STUDIO_TIMEZONE = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';

/** Checks whether the server returns the UI's HTML page at `/`. */
async function servesUi(url: string): Promise<boolean> {
  const response = await fetch(url);
  return response.ok && (response.headers.get('content-type') ?? '').includes('text/html');
}

type Melody = Started & { dataDir: string };

export default async function globalSetup(): Promise<() => Promise<void>> {
  const processes: (Started | undefined)[] = [];
  const melodies: Melody[] = [];
  const stopAll = async () => {
    // Stop in reverse order of start: previews before the melodies they forward to.
    for (const started of processes.reverse()) await stop(started);
    for (const melody of melodies) removeDir(melody.dataDir);
  };

  const launchMelody = async (env: Record<string, string>) => {
    const melody = await startMelody(STUDIO_TIMEZONE, env);
    processes.push(melody);
    melodies.push(melody);
    return melody;
  };

  /** Returns the URL of the UI for `melody`: its own, or a Vite preview forwarding to it. */
  const uiFor = async (melody: Melody) => {
    if (await servesUi(melody.url)) return melody.url;
    // NOTE: this binary does not embed the UI, so `dist/` is served by Vite.
    const preview = await startPreview(melody.url);
    processes.push(preview);
    return preview.url;
  };

  try {
    const stripe = await startFakeStripe();
    processes.push(stripe);

    const melody = await launchMelody(stripeEnv(`${stripe.url}/`));
    await registerWebhook(stripe.url, melody.url);

    const offlineStripePort = await closedPort();
    const offline = await launchMelody(stripeEnv(`http://127.0.0.1:${String(offlineStripePort)}/`));

    // STRIPE_API_BASE is not one of the screen's settings; pointing it at the
    // fake keeps this server from calling api.stripe.com once a key is saved.
    const settings = await launchMelody({
      MELODY_SECRET_STORE: 'file',
      STRIPE_API_BASE: `${stripe.url}/`,
    });

    const uiUrl = process.env.MELODY_UI_URL ?? (await uiFor(melody));
    process.env.MELODY_API_URL = melody.url;
    process.env.MELODY_UI_URL = uiUrl;
    process.env.MELODY_TEST_TIMEZONE = STUDIO_TIMEZONE;
    process.env.MELODY_STRIPE_URL = stripe.url;
    process.env.MELODY_OFFLINE_API_URL = offline.url;
    process.env.MELODY_OFFLINE_UI_URL = await uiFor(offline);
    process.env.MELODY_OFFLINE_STRIPE_PORT = String(offlineStripePort);
    process.env.MELODY_SETTINGS_API_URL = settings.url;
    process.env.MELODY_SETTINGS_UI_URL = await uiFor(settings);
    console.log(
      `melody at ${melody.url}, UI at ${uiUrl}, fake Stripe at ${stripe.url}; ` +
        `offline melody at ${offline.url}, settings melody at ${settings.url}`,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  return stopAll;
}
