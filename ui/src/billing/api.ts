//! Calls to the billing routes and the shared billing state: Stripe's status
//! for the status bar and the per-student summaries for the booking badges.
import { api, ApiError, call } from '../api/client';
import type { components } from '../api/schema.gen';
import { stripeSync } from '../status';
import { createStore } from '../store';

type Schemas = components['schemas'];
export type BillingStatus = Schemas['BillingStatusView'];
export type Price = Schemas['Price'];
export type PriceList = Schemas['PriceList'];
export type StudentBillingView = Schemas['StudentBillingView'];
export type StudentBillingSummary = Schemas['StudentBilling'];
export type SubscriptionView = Schemas['SubscriptionView'];
export type OutboxItem = Schemas['OutboxItem'];
export type OutboxView = Schemas['OutboxView'];
export type SetupIntent = Schemas['SetupIntentResponse'];
export type StripeSettings = Schemas['StripeSettingsView'];
export type StripeSettingsUpdate = Schemas['StripeSettingsUpdate'];

/** Fetches `GET /api/billing/status` and publishes it to the status bar's store. */
export async function refreshBillingStatus(): Promise<BillingStatus> {
  const status = await call(api.GET('/api/billing/status'));
  stripeSync.set({
    configured: status.configured,
    online: status.online,
    pending: status.pending,
    failed: status.failed,
    publishableKey: status.publishable_key ?? null,
  });
  return status;
}

/** Refreshes the status bar after a billing action, ignoring a failed poll. */
export function refreshBillingStatusQuietly(): void {
  refreshBillingStatus().catch(() => undefined);
}

export function loadStudentBilling(studentId: number): Promise<StudentBillingView> {
  return call(api.GET('/api/students/{id}/billing', { params: { path: { id: studentId } } }));
}

export function loadPrices(): Promise<PriceList> {
  return call(api.GET('/api/billing/prices'));
}

export function createSetupIntent(email: string): Promise<SetupIntent> {
  return call(api.POST('/api/payments/setup-intent', { body: { email } }));
}

/** A subscription request's outcome: `queued` is true for 202, when Stripe was unreachable. */
export interface SubscriptionOutcome {
  subscription: SubscriptionView;
  queued: boolean;
}

export async function startSubscription(
  email: string,
  priceId: string,
): Promise<SubscriptionOutcome> {
  const request = api.POST('/api/billing/subscriptions', { body: { email, priceId } });
  // Only the status code distinguishes 201 from 202, so keep it beside the data.
  let status = 0;
  const subscription = await call(
    request.then((result) => {
      status = result.response.status;
      return result;
    }),
  );
  return { subscription, queued: status === 202 };
}

export function loadOutbox(): Promise<OutboxView> {
  return call(api.GET('/api/billing/outbox'));
}

export function retryOutboxItem(id: number): Promise<OutboxItem> {
  return call(api.POST('/api/billing/outbox/{id}/retry', { params: { path: { id } } }));
}

export function dismissOutboxItem(id: number): Promise<OutboxItem> {
  return call(api.POST('/api/billing/outbox/{id}/dismiss', { params: { path: { id } } }));
}

export function loadStripeSettings(): Promise<StripeSettings> {
  return call(api.GET('/api/settings/stripe'));
}

export function saveStripeSettings(update: StripeSettingsUpdate): Promise<StripeSettings> {
  return call(api.PUT('/api/settings/stripe', { body: update }));
}

/** Card and subscription summaries by student id, from `GET /api/billing/students`. */
export const billingSummaries = createStore<ReadonlyMap<number, StudentBillingSummary>>(new Map());

export async function refreshBillingSummaries(): Promise<void> {
  const rows = await call(api.GET('/api/billing/students'));
  billingSummaries.set(new Map(rows.map((row) => [row.student_id, row])));
}

/** Returns the server's message for an `ApiError`, or the text of any other error. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
