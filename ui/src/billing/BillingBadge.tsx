//! A small badge with a student's billing state, for the booking details:
//! card on file, subscription status, or a failed last payment.
import { useEffect } from 'preact/hooks';
import { stripeSync } from '../status';
import { useStore } from '../store';
import { billingSummaries, refreshBillingSummaries, type StudentBillingSummary } from './api';
import { subscriptionStatusText } from './format';

const SUMMARY_POLL_MS = 30_000;

/** Chooses the badge's text and tone for one student's summary. */
export function badgeFor(summary: StudentBillingSummary | undefined): {
  text: string;
  tone: 'ok' | 'bad' | 'none';
} {
  if (!summary) return { text: 'No card or subscription', tone: 'none' };
  if (summary.latest_invoice_status === 'payment_failed') {
    return { text: 'Last payment failed', tone: 'bad' };
  }
  const parts: string[] = [];
  if (summary.subscription_status) {
    parts.push(`Subscription ${subscriptionStatusText({ status: summary.subscription_status })}`);
  }
  parts.push(summary.card_on_file ? 'card on file' : 'no card on file');
  const text = parts.join(', ');
  const healthy = summary.card_on_file && (summary.subscription_status ?? 'active') === 'active';
  return { text: text.charAt(0).toUpperCase() + text.slice(1), tone: healthy ? 'ok' : 'none' };
}

export function BillingBadge({ studentId }: { studentId: number }) {
  const summaries = useStore(billingSummaries);
  const sync = useStore(stripeSync);

  useEffect(() => {
    const refresh = () => void refreshBillingSummaries().catch(() => undefined);
    refresh();
    const timer = window.setInterval(refresh, SUMMARY_POLL_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, []);

  const summary = summaries.get(studentId);
  const badge =
    !summary && sync && !sync.configured
      ? { text: 'Stripe is not set up', tone: 'none' }
      : badgeFor(summary);
  return (
    <span class={`billing-badge ${badge.tone}`} data-testid="billing-badge">
      {badge.text}
    </span>
  );
}
