//! The banner shown between the two reschedule steps: the lead time the server
//! recorded, and either a slot picked in the calendar or one typed here.
import type { Booking, Reschedule } from '../api/client';
import { Field, describedBy } from '../components/Field';
import { directory, namesOf } from '../data';
import { useStore } from '../store';
import { formatHours, formatWall, wallClock } from '../time';
import type { FieldErrors } from '../booking/errors';

export interface PendingReschedule {
  booking: Booking;
  reschedule: Reschedule;
  /** The slot to move to, as typed or as picked in the calendar. */
  start: string;
  resourceId: string;
}

interface RescheduleBarProps {
  pending: PendingReschedule;
  errors: FieldErrors;
  busy: boolean;
  onChange: (target: { start: string; resourceId: string }) => void;
  onComplete: () => void;
  onAbandon: () => void;
}

export function RescheduleBar(props: RescheduleBarProps) {
  const { pending, errors, busy, onChange, onComplete, onAbandon } = props;
  const dir = useStore(directory);
  const { booking, reschedule, start, resourceId } = pending;
  const names = namesOf(dir, booking);

  return (
    <section class="reschedule-bar" aria-labelledby="reschedule-heading">
      <h2 id="reschedule-heading">
        Rescheduling {names.student} with {names.teacher}
      </h2>
      <p>
        Now at {formatWall(wallClock(booking.start_local))} in {names.resource}. Lead time:{' '}
        <strong data-testid="lead-time">{formatHours(reschedule.lead_time_hours)}</strong> before
        the original start. Select the new slot in the calendar, or enter it here.
      </p>
      {errors.form ? (
        <p class="form-error" role="alert">
          {errors.form}
        </p>
      ) : null}
      <form
        class="field-row"
        onSubmit={(event) => {
          event.preventDefault();
          onComplete();
        }}
      >
        <Field id="reschedule-start" label="New start (studio time)" error={errors.start}>
          <input
            type="datetime-local"
            step={300}
            {...describedBy('reschedule-start', errors.start)}
            value={start}
            onInput={(event) => {
              onChange({ start: event.currentTarget.value, resourceId });
            }}
          />
        </Field>
        <Field id="reschedule-resource" label="Room or instrument" error={errors.resource_id}>
          <select
            {...describedBy('reschedule-resource', errors.resource_id)}
            value={resourceId}
            onChange={(event) => {
              onChange({ start, resourceId: event.currentTarget.value });
            }}
          >
            {dir.resources.map((resource) => (
              <option key={resource.id} value={resource.id}>
                {resource.name}
              </option>
            ))}
          </select>
        </Field>
        <div class="actions">
          <button type="submit" disabled={busy}>
            Move here
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={onAbandon}>
            Abandon reschedule
          </button>
        </div>
      </form>
    </section>
  );
}
