//! The second step of booking a weekly series: the dry run's lessons with their
//! conflicts and daylight-saving adjustments, the choice between "all or none"
//! and "only the free lessons", and the result of booking.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { components } from '../api/schema.gen';
import { directory } from '../data';
import { fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import { useStore } from '../store';
import { callKeepingBody, DetailedApiError, formatDate, slotsOf, type Slot } from './api';
import { SlotTable } from './SlotTable';

export type SeriesRequest = components['schemas']['CreateSeries'];

type OnConflict = 'none' | 'free_only';

interface SeriesBookingProps {
  request: SeriesRequest;
  zone: string;
  /** Receives errors of the request fields, to show beside them in the form. */
  onFieldErrors: (errors: FieldErrors) => void;
  /** Called when the series is booked, with a one-line summary of the result. */
  onBooked: (summary: string) => void;
  /** Called when the desk has read the result and closes it. */
  onDone: (summary: string) => void;
}

export function SeriesBooking({
  request,
  zone,
  onFieldErrors,
  onBooked,
  onDone,
}: SeriesBookingProps) {
  const dir = useStore(directory);
  const [plan, setPlan] = useState<Slot[] | null>(null);
  const [onConflict, setOnConflict] = useState<OnConflict>('none');
  const [result, setResult] = useState<Slot[] | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(true);
  const plannedClock = request.start.slice(11, 16);

  useEffect(() => {
    let current = true;
    setPlan(null);
    setResult(null);
    setError('');
    setBusy(true);
    callKeepingBody(api.POST('/api/series', { body: { ...request, dry_run: true } }))
      .then((answer) => {
        if (current) setPlan(slotsOf(answer));
      })
      .catch((cause: unknown) => {
        if (current) onFieldErrors(fieldErrorsFrom(cause, dir));
      })
      .finally(() => {
        if (current) setBusy(false);
      });
    return () => {
      current = false;
    };
    // The dry run depends on the request only; the directory only names people in errors.
  }, [request]);

  if (plan === null) {
    return busy ? (
      <p role="status" class="series-step">
        Checking the lessons…
      </p>
    ) : null;
  }

  const conflicting = plan.filter((slot) => slot.conflicts.length > 0);
  const free = plan.length - conflicting.length;

  const book = async () => {
    setBusy(true);
    setError('');
    try {
      const answer = await callKeepingBody(
        api.POST('/api/series', { body: { ...request, dry_run: false, on_conflict: onConflict } }),
      );
      const slots = slotsOf(answer);
      setResult(slots);
      onBooked(summarize(slots));
    } catch (cause) {
      if (cause instanceof DetailedApiError && cause.code === 'series_conflict') {
        // Someone booked in the meantime: show the fresh conflicts in the plan.
        const fresh = new Map(cause.slots.map((slot) => [slot.date, slot]));
        setPlan(plan.map((slot) => fresh.get(slot.date) ?? slot));
        setError(cause.message);
      } else {
        setError(cause instanceof Error ? cause.message : String(cause));
      }
    } finally {
      setBusy(false);
    }
  };

  if (result !== null) {
    const summary = summarize(result);
    return (
      <section class="series-step" aria-labelledby="series-result-heading">
        <h3 id="series-result-heading">Series booked</h3>
        <p role="status">{summary}</p>
        <SlotTable
          caption="Lessons of the series"
          slots={result}
          plannedClock={plannedClock}
          zone={zone}
          mode="result"
        />
        <div class="actions">
          <button
            type="button"
            autoFocus
            onClick={() => {
              onDone(summary);
            }}
          >
            Done
          </button>
        </div>
      </section>
    );
  }

  const blocked = onConflict === 'none' && conflicting.length > 0;
  const bookLabel =
    onConflict === 'none'
      ? `Book all ${String(plan.length)} lessons`
      : `Book ${String(free)} free lessons`;

  return (
    <section class="series-step" aria-labelledby="series-plan-heading">
      <h3 id="series-plan-heading">Lessons to book</h3>
      <p role="status">
        {plan.length} lessons;{' '}
        {conflicting.length === 0
          ? 'all are free.'
          : `${String(conflicting.length)} with conflicts.`}
      </p>
      <SlotTable
        caption="Planned lessons"
        slots={plan}
        plannedClock={plannedClock}
        zone={zone}
        mode="plan"
      />

      <fieldset class="choices">
        <legend>If a lesson conflicts</legend>
        <label class="choice">
          <input
            type="radio"
            name="series-on-conflict"
            checked={onConflict === 'none'}
            onChange={() => {
              setOnConflict('none');
            }}
          />
          Book all or none
        </label>
        <label class="choice">
          <input
            type="radio"
            name="series-on-conflict"
            checked={onConflict === 'free_only'}
            onChange={() => {
              setOnConflict('free_only');
            }}
          />
          Book only the free lessons
        </label>
      </fieldset>
      {blocked ? (
        <p class="hint" id="series-blocked">
          With conflicts, "Book all or none" books nothing. Change the lesson above, or choose "Book
          only the free lessons".
        </p>
      ) : null}

      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}

      <div class="actions">
        <button
          type="button"
          disabled={busy || blocked || (onConflict === 'free_only' && free === 0)}
          aria-describedby={blocked ? 'series-blocked' : undefined}
          onClick={() => void book()}
        >
          {busy ? 'Booking…' : bookLabel}
        </button>
      </div>
    </section>
  );
}

/** Summarizes a booked series: "Booked 3 of 4 lessons of the series. Not booked because of conflicts: …". */
function summarize(result: Slot[]): string {
  const booked = result.filter((slot) => slot.booking !== null);
  const skipped = result.filter((slot) => slot.booking === null);
  const dates = skipped.map((slot) => formatDate(slot.date)).join(', ');
  return (
    `Booked ${String(booked.length)} of ${String(result.length)} lessons of the series.` +
    (skipped.length > 0 ? ` Not booked because of conflicts: ${dates}.` : '')
  );
}
