//! Text for prices, cards and subscription states as the desk reads them.
import type { Price, SubscriptionView } from './api';
import type { components } from '../api/schema.gen';

type Card = components['schemas']['Card'];

/**
 * Formats an amount in the currency's smallest unit ("12000", "usd") as "$120.00".
 * The number of minor digits comes from `Intl`, so zero-decimal currencies such
 * as JPY are not divided by 100.
 */
export function formatAmount(minorUnits: number, currency: string): string {
  const code = currency.toUpperCase();
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
  } catch {
    // An ISO code that Intl does not know: show the raw amount and code.
    return `${String(minorUnits)} ${code} (smallest unit)`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}

/** "per month", "every 2 weeks", or "one-off" for a price without an interval. */
export function formatInterval(interval: string | null | undefined, count?: number | null): string {
  if (!interval) return 'one-off';
  const times = count ?? 1;
  return times === 1 ? `per ${interval}` : `every ${String(times)} ${interval}s`;
}

/** Returns a price's display name: its nickname, else its product's name, else its Stripe id. */
export function priceName(price: Price): string {
  if (price.nickname?.trim()) return price.nickname;
  if (price.product_name?.trim()) return price.product_name;
  return price.id;
}

/** "Weekly lessons, 4 per month: $120.00 per month". */
export function priceLabel(price: Price): string {
  const amount =
    price.unit_amount === null || price.unit_amount === undefined
      ? 'amount not set'
      : formatAmount(price.unit_amount, price.currency);
  return `${priceName(price)}: ${amount} ${formatInterval(price.interval, price.interval_count)}`;
}

/** "visa •••• 4242, expires 12/2030". */
export function cardText(card: Card): string {
  const expiry =
    card.exp_month && card.exp_year
      ? `, expires ${String(card.exp_month).padStart(2, '0')}/${String(card.exp_year)}`
      : '';
  return `${card.brand} •••• ${card.last4}${expiry}`;
}

const SUBSCRIPTION_STATUS_TEXT: Partial<Record<string, string>> = {
  queued: 'queued (sent when Stripe is reachable)',
  failed: 'failed (Stripe rejected it)',
  dismissed: 'dismissed (never sent)',
  past_due: 'past due',
  incomplete_expired: 'incomplete, expired',
};

export function subscriptionStatusText(subscription: Pick<SubscriptionView, 'status'>): string {
  return SUBSCRIPTION_STATUS_TEXT[subscription.status] ?? subscription.status;
}

/** "paid" or "payment failed" for the latest invoice's status. */
export function invoiceStatusText(status: string | null | undefined): string {
  if (!status) return 'no invoice yet';
  return status === 'payment_failed' ? 'payment failed' : status;
}
