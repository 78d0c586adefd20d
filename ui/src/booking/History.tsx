//! A booking's audit trail: who changed what and when, oldest first.
import { useEffect, useState } from 'preact/hooks';
import { api, call, type AuditEntry } from '../api/client';
import { formatInstant } from '../time';

const ACTION_TEXT: Record<string, string> = {
  created: 'Booked',
  cancelled: 'Cancelled',
  reschedule_initiated: 'Reschedule started',
  reschedule_abandoned: 'Reschedule abandoned',
  rescheduled: 'Moved',
};

const TIME_FIELDS = new Set(['start', 'original_start', 'new_start', 'cancelled_at']);
const SKIPPED_FIELDS = new Set(['updated_at', 'created_at', 'id', 'booking_id']);

type Snapshot = Record<string, unknown> | null | undefined;

function show(field: string, value: unknown, zone: string): string {
  if (value === null || value === undefined) return '—';
  if (TIME_FIELDS.has(field) && typeof value === 'string') return formatInstant(value, zone);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Lists the fields whose value differs between `before` and `after`, as "field: old → new". */
function changes(before: Snapshot, after: Snapshot, zone: string): string[] {
  if (!after) return [];
  const lines: string[] = [];
  for (const [field, value] of Object.entries(after)) {
    if (SKIPPED_FIELDS.has(field)) continue;
    const old = before ? before[field] : undefined;
    if (before && JSON.stringify(old) === JSON.stringify(value)) continue;
    if (!before && (value === null || value === undefined)) continue;
    lines.push(
      before
        ? `${field}: ${show(field, old, zone)} → ${show(field, value, zone)}`
        : `${field}: ${show(field, value, zone)}`,
    );
  }
  return lines;
}

export function History({ bookingId, zone }: { bookingId: number; zone: string }) {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    call(api.GET('/api/bookings/{id}/audit', { params: { path: { id: bookingId } } }))
      .then(setEntries)
      .catch((cause: unknown) => {
        setError(cause instanceof Error ? cause.message : String(cause));
      });
  }, [bookingId]);

  if (error) return <p role="alert">The history could not be loaded: {error}</p>;
  if (!entries) return <p aria-live="polite">Loading history…</p>;

  return (
    <ol class="history" aria-label="Booking history, oldest first">
      {entries.map((entry) => (
        <li key={entry.id}>
          <p>
            <strong>{ACTION_TEXT[entry.action] ?? entry.action}</strong> by {entry.actor},{' '}
            {formatInstant(entry.at, zone)}
          </p>
          <ul>
            {changes(entry.before, entry.after, zone).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}
