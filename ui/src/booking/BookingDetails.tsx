//! One booking: what, when and where, with Reschedule, Cancel and History.
//! Cancelling first shows whether it is late and what penalty that records.
//! A lesson of a weekly series also has a Series section to change or cancel
//! several lessons at once.
import { useState } from 'preact/hooks';
import { api, call, type Booking } from '../api/client';
import { BillingBadge } from '../billing/BillingBadge';
import { Dialog } from '../components/Dialog';
import { directory, namesOf, serverStatus } from '../data';
import { previewCancel } from '../policy';
import { SeriesSection } from '../series/SeriesSection';
import { useStore } from '../store';
import { clockText, formatSpan, formatWall, wallClock } from '../time';
import { History } from './History';

interface BookingDetailsProps {
  booking: Booking;
  onClose: () => void;
  onReschedule: (booking: Booking) => void;
  onCancelled: (booking: Booking) => void;
  /** Called after lessons of the series were changed or cancelled, with a summary. */
  onSeriesChanged: (summary: string) => void;
}

type Step = 'view' | 'confirm-cancel' | 'history';

export function BookingDetails({
  booking,
  onClose,
  onReschedule,
  onCancelled,
  onSeriesChanged,
}: BookingDetailsProps) {
  const dir = useStore(directory);
  const status = useStore(serverStatus);
  const [step, setStep] = useState<Step>('view');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const names = namesOf(dir, booking);
  const when = `${formatWall(wallClock(booking.start_local))}–${clockText(wallClock(booking.end_local))}`;
  const confirmed = booking.status === 'confirmed';
  const zone = status?.studio_timezone ?? 'UTC';

  const cancel = async () => {
    setBusy(true);
    setError('');
    try {
      const cancelled = await call(
        api.POST('/api/bookings/{id}/cancel', { params: { path: { id: booking.id } } }),
      );
      onCancelled(cancelled);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`${names.student} with ${names.teacher}`} onClose={onClose}>
      <dl class="details">
        <dt>When</dt>
        <dd>{when} (studio time)</dd>
        <dt>Where</dt>
        <dd>{names.resource}</dd>
        <dt>Status</dt>
        <dd>
          {booking.status}
          {booking.penalty_reason ? ` (penalty: ${penaltyText(booking.penalty_reason)})` : ''}
          {booking.pending_reschedule_id ? ' (reschedule in progress)' : ''}
        </dd>
        <dt>Billing</dt>
        <dd>
          <BillingBadge studentId={booking.student_id} />
        </dd>
        {booking.notes ? (
          <>
            <dt>Notes</dt>
            <dd>{booking.notes}</dd>
          </>
        ) : null}
      </dl>

      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}

      {step === 'confirm-cancel' && status ? (
        <CancelConfirmation
          booking={booking}
          windowHours={status.late_cancel_window_hours}
          busy={busy}
          onConfirm={() => void cancel()}
          onBack={() => {
            setStep('view');
          }}
        />
      ) : (
        <div class="actions">
          {confirmed ? (
            <>
              <button
                type="button"
                onClick={() => {
                  onReschedule(booking);
                }}
              >
                Reschedule
              </button>
              <button
                type="button"
                class="danger"
                onClick={() => {
                  setStep('confirm-cancel');
                }}
              >
                Cancel lesson…
              </button>
            </>
          ) : null}
          <button
            type="button"
            class="secondary"
            aria-expanded={step === 'history'}
            onClick={() => {
              setStep(step === 'history' ? 'view' : 'history');
            }}
          >
            History
          </button>
        </div>
      )}

      {booking.series_id != null && confirmed && step !== 'confirm-cancel' ? (
        <SeriesSection
          booking={booking}
          seriesId={booking.series_id}
          zone={zone}
          onDone={onSeriesChanged}
        />
      ) : null}

      {step === 'history' ? <History bookingId={booking.id} zone={zone} /> : null}
    </Dialog>
  );
}

export function penaltyText(reason: string): string {
  return reason === 'late_cancel' ? 'late cancellation' : reason;
}

interface CancelConfirmationProps {
  booking: Booking;
  windowHours: number;
  busy: boolean;
  onConfirm: () => void;
  onBack: () => void;
}

function CancelConfirmation({
  booking,
  windowHours,
  busy,
  onConfirm,
  onBack,
}: CancelConfirmationProps) {
  // The preview uses this PC's clock; the server decides with its own when it cancels.
  const preview = previewCancel(booking.start, new Date(), windowHours);
  const startsIn =
    preview.untilStart > 0 ? `starts in ${formatSpan(preview.untilStart)}` : 'has already started';

  return (
    <section class={preview.late ? 'notice late' : 'notice'} aria-labelledby="cancel-heading">
      <h3 id="cancel-heading">
        {preview.late ? 'Late cancellation' : 'Cancellation without penalty'}
      </h3>
      {preview.late ? (
        <p id="cancel-explanation">
          The lesson {startsIn}, which is inside the {windowHours}-hour late-cancel window.
          Cancelling now is late: the booking is marked with the penalty{' '}
          <strong>late cancellation</strong> (<code>late_cancel</code>).
        </p>
      ) : (
        <p id="cancel-explanation">
          The lesson {startsIn}, at least {windowHours} hours away. Cancelling now is not late and
          records no penalty.
        </p>
      )}
      <div class="actions">
        <button
          type="button"
          class="danger"
          disabled={busy}
          aria-describedby="cancel-explanation"
          onClick={onConfirm}
        >
          {preview.late ? 'Cancel late, with penalty' : 'Cancel lesson'}
        </button>
        <button type="button" class="secondary" onClick={onBack} autoFocus>
          Keep the lesson
        </button>
      </div>
    </section>
  );
}
