//! Stripe billing at the desk, acted out in Chromium against `melody serve` and
//! the repository's fake Stripe server. No request leaves 127.0.0.1: a
//! stand-in for Stripe.js is served with `page.route`, and its
//! `confirmCardSetup` confirms the SetupIntent on the fake from Node, as
//! Stripe.js would from Stripe's frame. The fake then sends signed webhooks to
//! melody, which is how melody learns about the saved card.
import { expect, test, type Page } from '@playwright/test';
import { addDays, studioToday } from '../src/time';
import { createBooking, createResource, createStudent, createTeacher, uniqueSuffix } from './api';
import { openDay } from './calendar';
import { STRIPE_TEST_KEYS, registerWebhook, startFakeStripe, stop } from './server';

const zone = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';
const STRIPE_JS_URL = 'https://js.stripe.com/v3/';
const TEST_CARD = '4242424242424242';
const WEEKLY_PRICE = 'price_1WeeklyLessons4PerMonth';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through playwright.config.ts`);
  return value;
}

/**
 * The stand-in for Stripe.js: `elements().create('card').mount(el)` renders a
 * plain text box, and `confirmCardSetup` hands the typed number and the client
 * secret to `confirmSetupOnFakeStripe`, which runs in Node.
 */
const STRIPE_JS_STAND_IN = `
window.Stripe = function (publishableKey) {
  window.__stripePublishableKey = publishableKey;
  return {
    elements: function () {
      return {
        create: function (type) {
          var input = null;
          return {
            mount: function (target) {
              input = document.createElement('input');
              input.setAttribute('aria-label', 'Card number');
              input.setAttribute('data-element', type);
              target.append(input);
            },
            destroy: function () {
              if (input) input.remove();
            },
            value: function () {
              return input ? input.value : '';
            },
          };
        },
      };
    },
    confirmCardSetup: function (clientSecret, data) {
      return window.confirmSetupOnFakeStripe(clientSecret, data.payment_method.card.value());
    },
  };
};
`;

/** Sends a form-encoded POST to the fake Stripe API with the test secret key. */
async function stripePost(path: string, form: Record<string, string>): Promise<unknown> {
  const response = await fetch(`${env('MELODY_STRIPE_URL')}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${STRIPE_TEST_KEYS.secretKey}:`).toString('base64')}`,
    },
    body: new URLSearchParams(form),
  });
  const body: unknown = await response.json();
  expect(response.ok, `POST ${path} on the fake Stripe: ${JSON.stringify(body)}`).toBe(true);
  return body;
}

/**
 * Creates a card payment method on the fake Stripe and confirms the SetupIntent
 * of `clientSecret` with it, returning what `confirmCardSetup` returns.
 */
async function confirmSetupOnFakeStripe(clientSecret: string, cardNumber: string) {
  const setupIntentId = clientSecret.split('_secret_')[0] ?? '';
  const method = (await stripePost('/v1/payment_methods', {
    type: 'card',
    'card[number]': cardNumber,
    'card[exp_month]': '12',
    'card[exp_year]': '2030',
    'card[cvc]': '123',
  })) as { id: string };
  const intent = (await stripePost(`/v1/setup_intents/${setupIntentId}/confirm`, {
    payment_method: method.id,
  })) as { id: string; status: string; payment_method: string };
  return { setupIntent: intent };
}

/** Saves a test card for `email` without the UI, waiting until melody has it from the webhook. */
async function saveCardThroughApi(studentId: number, email: string): Promise<void> {
  const base = env('MELODY_API_URL');
  const intent = await melodyRequest<{ client_secret: string }>(
    base,
    'POST',
    '/api/payments/setup-intent',
    { email },
  );
  await confirmSetupOnFakeStripe(intent.client_secret, TEST_CARD);
  await expect
    .poll(async () => {
      const billing = await melodyRequest<{ customer: { card: unknown } | null }>(
        base,
        'GET',
        `/api/students/${String(studentId)}/billing`,
      );
      return billing.customer?.card ?? null;
    })
    .not.toBeNull();
}

/**
 * Serves the Stripe.js stand-in and exposes `confirmSetupOnFakeStripe`, which
 * creates a card payment method and confirms the SetupIntent on the fake.
 * Returns a function that reads how often the page requested Stripe.js.
 */
async function standInForStripeJs(page: Page): Promise<() => number> {
  let loads = 0;
  await page.route(STRIPE_JS_URL, async (route) => {
    loads += 1;
    await route.fulfill({ contentType: 'text/javascript', body: STRIPE_JS_STAND_IN });
  });
  await page.exposeFunction('confirmSetupOnFakeStripe', confirmSetupOnFakeStripe);
  return () => loads;
}

/** Sends a JSON request to the melody at `base`, as the test's setup does. */
async function melodyRequest<T>(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-melody-actor': 'e2e-setup' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.ok, `${method} ${path}: HTTP ${String(response.status)} ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

async function openStudentBilling(page: Page, uiUrl: string, studentName: string) {
  await page.goto(`${uiUrl}/#/people`);
  await page.getByLabel('Staff name').fill('Robin');
  await page.getByRole('button', { name: `Billing for ${studentName}` }).click();
  const panel = page.getByRole('region', { name: `Billing for ${studentName}` });
  await expect(panel.getByTestId('card-on-file')).toBeVisible();
  return panel;
}

test('save card shows visa 4242', async ({ page }) => {
  const student = await createStudent(`Card ${uniqueSuffix()}`);
  const stripeJsLoads = await standInForStripeJs(page);
  const sentToMelody: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(env('MELODY_API_URL'))) {
      sentToMelody.push(request.postData() ?? '');
    }
  });

  const panel = await openStudentBilling(page, env('MELODY_UI_URL'), student.name);
  await expect(panel.getByTestId('card-on-file')).toHaveText('none');
  await panel.getByRole('button', { name: 'Save card' }).click();

  const dialog = page.getByRole('dialog', { name: `Save a card for ${student.name}` });
  await dialog.getByLabel('Card number').fill(TEST_CARD);
  await dialog.getByRole('button', { name: 'Save card' }).click();

  await expect(dialog).toBeHidden();
  await expect(panel.getByTestId('card-on-file')).toHaveText('visa •••• 4242, expires 12/2030');
  await expect(panel.getByTestId('card-setup')).toHaveText('succeeded');
  await expect(panel.getByTestId('billing-message')).toHaveText(
    'Card saved: visa •••• 4242, expires 12/2030.',
  );

  expect(stripeJsLoads(), 'Stripe.js is loaded once').toBe(1);
  expect(
    sentToMelody.filter((body) => body.includes(TEST_CARD)),
    'the card number never goes to melody',
  ).toEqual([]);
  const publishableKey = await page.evaluate(
    () => (window as { __stripePublishableKey?: string }).__stripePublishableKey,
  );
  expect(publishableKey).toBe(STRIPE_TEST_KEYS.publishableKey);
});

test('card form reports offline and unloadable Stripe.js', async ({ page, context }) => {
  const student = await createStudent(`Nocard ${uniqueSuffix()}`);
  await page.route(STRIPE_JS_URL, (route) => route.abort('internetdisconnected'));
  const panel = await openStudentBilling(page, env('MELODY_UI_URL'), student.name);
  const dialog = page.getByRole('dialog', { name: `Save a card for ${student.name}` });

  await context.setOffline(true);
  await panel.getByRole('button', { name: 'Save card' }).click();
  await expect(dialog.getByRole('alert')).toContainText('This computer is offline');
  await expect(page.getByTestId('network')).toHaveText('Offline');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await context.setOffline(false);
  await panel.getByRole('button', { name: 'Save card' }).click();
  await expect(dialog.getByRole('alert')).toContainText(
    "Stripe's card form could not be loaded from js.stripe.com",
  );
  await expect(dialog.getByRole('button', { name: 'Save card' })).toBeDisabled();
});

test('subscription from picker shows active', async ({ page }) => {
  const suffix = uniqueSuffix();
  const student = await createStudent(`Subscriber ${suffix}`);
  // Without a card on file Stripe leaves a new subscription incomplete.
  await saveCardThroughApi(student.id, student.email);
  const panel = await openStudentBilling(page, env('MELODY_UI_URL'), student.name);

  await panel.getByRole('button', { name: 'Start subscription' }).click();
  const dialog = page.getByRole('dialog', { name: `Start a subscription for ${student.name}` });
  const weekly = dialog.getByRole('radio', {
    name: 'Weekly lessons, 4 per month: $120.00 per month',
  });
  await expect(weekly).toBeVisible();
  await expect(
    dialog.getByRole('radio', { name: 'price_1PgafmB7WZ01zgkW6dKueIc5: $20.00 per month' }),
  ).toBeVisible();
  await weekly.check();
  await dialog.getByRole('button', { name: 'Start subscription' }).click();

  await expect(dialog).toBeHidden();
  await expect(panel.getByTestId('billing-message')).toHaveText('Subscription started: active.');
  await expect(panel.getByTestId('subscription-status')).toHaveText('active');
  await expect(panel.getByRole('cell', { name: /Weekly lessons, 4 per month/ })).toBeVisible();
  const billing = await melodyRequest<{ subscriptions: { status: string; price_id: string }[] }>(
    env('MELODY_API_URL'),
    'GET',
    `/api/students/${String(student.id)}/billing`,
  );
  expect(billing.subscriptions.map((s) => [s.status, s.price_id])).toEqual([
    ['active', WEEKLY_PRICE],
  ]);

  // The booking details show the student's billing badge.
  const room = await createResource(`s${suffix}`, `Studio S ${suffix}`);
  const teacher = await createTeacher(`Nadia ${suffix}`);
  const day = addDays(studioToday(zone), 3);
  await createBooking({
    resource_id: room.id,
    teacher_id: teacher.id,
    student_id: student.id,
    start: `${day}T11:00`,
    duration_min: 30,
  });
  await openDay(page, env('MELODY_UI_URL'), zone, day);
  await page.locator('.ec-event', { hasText: student.name }).click();
  await expect(page.getByRole('dialog').getByTestId('billing-badge')).toHaveText(
    'Subscription active, card on file',
  );
});

test('queued Stripe calls retry and dismiss', async ({ page }) => {
  const apiUrl = env('MELODY_OFFLINE_API_URL');
  const student = await melodyRequest<{ id: number; name: string; email: string }>(
    apiUrl,
    'POST',
    '/api/students',
    { name: `Queued ${uniqueSuffix()}`, email: `queued${uniqueSuffix()}@example.com` },
  );
  const panel = await openStudentBilling(page, env('MELODY_OFFLINE_UI_URL'), student.name);

  // Saving a card needs Stripe at once, so the customer is queued and the form shows the reason.
  await panel.getByRole('button', { name: 'Save card' }).click();
  const cardDialog = page.getByRole('dialog', { name: `Save a card for ${student.name}` });
  await expect(cardDialog.getByRole('alert')).toContainText('Stripe is unreachable');
  await cardDialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('stripe')).toHaveText('Stripe offline');
  await expect(page.getByTestId('pending-sync')).toHaveText('Pending sync: 1');

  // No price was ever fetched, so the picker takes a price id and queues the subscription.
  await panel.getByRole('button', { name: 'Start subscription' }).click();
  const subscribe = page.getByRole('dialog', { name: `Start a subscription for ${student.name}` });
  await expect(subscribe.getByText('Stripe cannot be reached')).toBeVisible();
  await subscribe.getByLabel('Price id').fill(WEEKLY_PRICE);
  await subscribe.getByRole('button', { name: 'Start subscription' }).click();
  await expect(panel.getByTestId('billing-message')).toContainText('the subscription is queued');
  await expect(panel.getByTestId('subscription-status')).toHaveText(
    'queued (sent when Stripe is reachable)',
  );
  await expect(page.getByTestId('pending-sync')).toHaveText('Pending sync: 2');

  await page.getByTestId('pending-sync').click();
  const outbox = page.getByRole('dialog', { name: 'Stripe calls waiting' });
  const customerItem = outbox
    .getByTestId('outbox-item')
    .filter({ hasText: `Create customer for ${student.email}` });
  const subscriptionItem = outbox
    .getByTestId('outbox-item')
    .filter({ hasText: `Start subscription for ${student.email}` });
  await expect(customerItem).toBeVisible();
  await expect(subscriptionItem).toBeVisible();

  // Dismiss requires a confirmation, and keeping the call changes nothing.
  await subscriptionItem.getByRole('button', { name: 'Dismiss…' }).click();
  await subscriptionItem.getByRole('button', { name: 'Keep it' }).click();
  await expect(subscriptionItem).toBeVisible();
  await subscriptionItem.getByRole('button', { name: 'Dismiss…' }).click();
  await subscriptionItem.getByRole('button', { name: 'Dismiss call' }).click();
  await expect(outbox.getByTestId('outbox-message')).toContainText('Dismissed: Start subscription');
  await expect(subscriptionItem).toHaveCount(0);
  await expect(page.getByTestId('pending-sync')).toHaveText('Pending sync: 1');

  // Stripe comes back on the port this melody calls; Retry sends the customer now.
  const stripe = await startFakeStripe(Number(env('MELODY_OFFLINE_STRIPE_PORT')));
  try {
    await registerWebhook(stripe.url, apiUrl);
    await customerItem.getByRole('button', { name: 'Retry' }).click();
    await expect(outbox.getByTestId('outbox-message')).toContainText('Create customer');
    await expect(customerItem).toHaveCount(0, { timeout: 15_000 });
    await expect(outbox.getByText('No Stripe calls are pending or failed.')).toBeVisible();
    await expect(page.getByTestId('pending-sync')).toHaveText('Pending sync: 0', {
      timeout: 15_000,
    });
    await expect(page.getByTestId('stripe')).toBeHidden({ timeout: 15_000 });

    const created = (await (await fetch(`${stripe.url}/_fake/requests`)).json()) as Record<
      string,
      number
    >;
    expect(created.customers, 'the retried customer reached Stripe once').toBe(1);
    expect(created.subscriptions ?? 0, 'the dismissed subscription was never sent').toBe(0);
  } finally {
    await stop(stripe);
  }
});

test('settings reject pk key as secret', async ({ page }) => {
  await page.goto(`${env('MELODY_SETTINGS_UI_URL')}/#/settings`);
  await page.getByLabel('Staff name').fill('Robin');
  const secretKey = page.getByLabel('Secret key');
  await expect(secretKey).toHaveAttribute('type', 'password');
  await expect(secretKey).toHaveValue('');
  await expect(secretKey).toBeEnabled();
  await expect(page.locator('#stripe-secret-key-hint')).toContainText('Not set');
  await expect(page.getByTestId('stripe')).toBeHidden();
  await expect(page.getByText('stripe listen --forward-to')).toBeVisible();

  await secretKey.fill('pk_test_notASecretKey');
  await page.getByRole('button', { name: 'Save Stripe settings' }).click();
  const fieldError = page.locator('#stripe-secret-key-error');
  await expect(fieldError).toBeVisible();
  await expect(secretKey).toHaveAttribute('aria-invalid', 'true');
  const rejected = await fetch(`${env('MELODY_SETTINGS_API_URL')}/api/settings/stripe`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret_key: 'pk_test_notASecretKey' }),
  });
  const rejection = (await rejected.json()) as { error: string; message: string };
  expect(rejection.error).toBe('secret_key_invalid');
  await expect(fieldError).toHaveText(rejection.message);

  await secretKey.fill('sk_test_validE2eKey');
  await page.getByLabel('Webhook signing secret').fill('whsec_validE2eSecret');
  await page.getByLabel('Publishable key').fill('pk_test_validE2eKey');
  await page.getByRole('button', { name: 'Save Stripe settings' }).click();
  await expect(page.getByText('Stripe settings saved.')).toBeVisible();
  await expect(secretKey).toHaveValue('');
  await expect(page.locator('#stripe-secret-key-hint')).toContainText('Set.');
  await expect(page.locator('#stripe-webhook-secret-hint')).toContainText('Set.');
  await expect(page.getByLabel('Publishable key')).toHaveValue('pk_test_validE2eKey');

  const saved = await melodyRequest<{
    secret_key_set: boolean;
    webhook_secret_set: boolean;
    publishable_key: string;
  }>(env('MELODY_SETTINGS_API_URL'), 'GET', '/api/settings/stripe');
  expect(saved.secret_key_set).toBe(true);
  expect(saved.webhook_secret_set).toBe(true);
  expect(saved.publishable_key).toBe('pk_test_validE2eKey');
});

test('settings lock keys set by environment', async ({ page }) => {
  await page.goto(`${env('MELODY_UI_URL')}/#/settings`);
  const secretKey = page.getByLabel('Secret key');
  await expect(secretKey).toBeDisabled();
  await expect(page.locator('#stripe-secret-key-hint')).toContainText(
    'Fixed by the environment variable STRIPE_SECRET_KEY',
  );
  await expect(page.getByLabel('Publishable key')).toHaveValue(STRIPE_TEST_KEYS.publishableKey);
  await expect(page.getByRole('button', { name: 'Save Stripe settings' })).toBeDisabled();
});
