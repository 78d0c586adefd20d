//! The "Series" part of a lesson's details: what the series is, and changing or
//! cancelling this lesson, this and the following ones, or all remaining ones.
import { useEffect, useState } from 'preact/hooks';
import { api, type Booking } from '../api/client';
import { Field, describedBy } from '../components/Field';
import { directory, namesOf } from '../data';
import { penaltyText } from '../booking/BookingDetails';
import { useStore } from '../store';
import { clockText, wallClock } from '../time';
import {
  callKeepingBody,
  DetailedApiError,
  describeLessonTime,
  formatDate,
  lessonCount,
  SCOPE_LABELS,
  type Lesson,
  type Scope,
  type Series,
  type Slot,
} from './api';
import { SlotTable } from './SlotTable';

interface SeriesSectionProps {
  booking: Booking;
  seriesId: number;
  zone: string;
  /** Called after a change or cancellation, with a summary for the announcement. */
  onDone: (summary: string) => void;
}

type Mode = 'view' | 'change' | 'cancel';

const LESSON_LENGTHS = [15, 30, 45, 60, 75, 90, 120];

export function SeriesSection({ booking, seriesId, zone, onDone }: SeriesSectionProps) {
  const [series, setSeries] = useState<Series | null>(null);
  const [remaining, setRemaining] = useState<number | null>(null);
  const [mode, setMode] = useState<Mode>('view');
  const [scope, setScope] = useState<Scope>('one');
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    let current = true;
    callKeepingBody(api.GET('/api/series/{id}', { params: { path: { id: seriesId } } }))
      .then((detail) => {
        if (!current) return;
        setSeries(detail.series);
        const now = Date.now();
        setRemaining(
          detail.lessons.filter(
            (lesson) => lesson.status === 'confirmed' && Date.parse(lesson.start) > now,
          ).length,
        );
      })
      .catch((cause: unknown) => {
        if (current) setLoadError(cause instanceof Error ? cause.message : String(cause));
      });
    return () => {
      current = false;
    };
  }, [seriesId]);

  const toggle = (next: Mode) => {
    setMode(mode === next ? 'view' : next);
  };

  return (
    <section class="series-section" aria-labelledby="series-heading">
      <h3 id="series-heading">Series</h3>
      {series ? (
        <p>
          {series.interval_weeks === 1
            ? 'Every week'
            : `Every ${String(series.interval_weeks)} weeks`}{' '}
          at {series.local_time} (studio time), from {formatDate(series.first_date)}
          {series.until ? ` until ${formatDate(series.until)}` : ''}.{' '}
          {remaining === null ? '' : `${lessonCount(remaining)} still to come.`}
        </p>
      ) : null}
      {loadError ? (
        <p class="form-error" role="alert">
          The series could not be loaded: {loadError}
        </p>
      ) : null}

      <div class="actions">
        <button
          type="button"
          class="secondary"
          aria-expanded={mode === 'change'}
          onClick={() => {
            toggle('change');
          }}
        >
          Change series…
        </button>
        <button
          type="button"
          class="secondary"
          aria-expanded={mode === 'cancel'}
          onClick={() => {
            toggle('cancel');
          }}
        >
          Cancel in series…
        </button>
      </div>

      {mode === 'change' ? (
        <ChangeForm
          booking={booking}
          seriesId={seriesId}
          zone={zone}
          scope={scope}
          onScope={setScope}
          onDone={onDone}
        />
      ) : null}
      {mode === 'cancel' ? (
        <CancelForm
          booking={booking}
          seriesId={seriesId}
          zone={zone}
          scope={scope}
          onScope={setScope}
          onBack={() => {
            setMode('view');
          }}
          onDone={onDone}
        />
      ) : null}
    </section>
  );
}

function ScopeChoice({ scope, onScope }: { scope: Scope; onScope: (scope: Scope) => void }) {
  return (
    <fieldset class="choices">
      <legend>Which lessons</legend>
      {(Object.keys(SCOPE_LABELS) as Scope[]).map((value) => (
        <label key={value} class="choice">
          <input
            type="radio"
            name="series-scope"
            checked={scope === value}
            onChange={() => {
              onScope(value);
            }}
          />
          {SCOPE_LABELS[value]}
        </label>
      ))}
    </fieldset>
  );
}

interface ScopedFormProps {
  booking: Booking;
  seriesId: number;
  zone: string;
  scope: Scope;
  onScope: (scope: Scope) => void;
  onDone: (summary: string) => void;
}

/** Builds the body fields shared by change and cancel: the scope and the lesson it starts from. */
function scopeBody(scope: Scope, booking: Booking) {
  return { scope, booking_id: scope === 'all' ? null : booking.id };
}

function scopeText(scope: Scope): string {
  return SCOPE_LABELS[scope].toLowerCase();
}

function ChangeForm({ booking, seriesId, zone, scope, onScope, onDone }: ScopedFormProps) {
  const dir = useStore(directory);
  const currentClock = clockText(wallClock(booking.start_local));
  const currentResource = booking.resource_id ?? 'primary';
  const [localTime, setLocalTime] = useState(currentClock);
  const [durationMin, setDurationMin] = useState(booking.duration_min);
  const [resourceId, setResourceId] = useState(currentResource);
  const [teacherId, setTeacherId] = useState(booking.teacher_id);
  const [conflicts, setConflicts] = useState<Slot[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const lengths = LESSON_LENGTHS.includes(booking.duration_min)
    ? LESSON_LENGTHS
    : [...LESSON_LENGTHS, booking.duration_min].sort((a, b) => a - b);

  const submit = async (event: Event) => {
    event.preventDefault();
    const changes = {
      local_time: localTime !== currentClock ? localTime : null,
      duration_min: durationMin !== booking.duration_min ? durationMin : null,
      resource_id: resourceId !== currentResource ? resourceId : null,
      teacher_id: teacherId !== booking.teacher_id ? teacherId : null,
    };
    if (Object.values(changes).every((value) => value === null)) {
      setError('Change the time, length, room or teacher first.');
      return;
    }

    setBusy(true);
    setError('');
    setConflicts([]);
    try {
      const answer = await callKeepingBody(
        api.POST('/api/series/{id}/change', {
          params: { path: { id: seriesId } },
          body: { ...scopeBody(scope, booking), ...changes },
        }),
      );
      onDone(describeChange(answer.lessons, scope, changes, dir));
    } catch (cause) {
      if (cause instanceof DetailedApiError && cause.code === 'series_conflict') {
        setConflicts(cause.slots);
      }
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form notice" onSubmit={(event) => void submit(event)} noValidate>
      <ScopeChoice scope={scope} onScope={onScope} />
      <div class="field-row">
        <Field id="series-time" label="Time (studio)">
          <input
            type="time"
            step={300}
            {...describedBy('series-time', undefined)}
            value={localTime}
            onInput={(event) => {
              setLocalTime(event.currentTarget.value);
            }}
          />
        </Field>
        <Field id="series-duration" label="Lesson length">
          <select
            {...describedBy('series-duration', undefined)}
            value={String(durationMin)}
            onChange={(event) => {
              setDurationMin(Number(event.currentTarget.value));
            }}
          >
            {lengths.map((minutes) => (
              <option key={minutes} value={String(minutes)}>
                {minutes} min
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="field-row">
        <Field id="series-resource" label="Room or instrument">
          <select
            {...describedBy('series-resource', undefined)}
            value={resourceId}
            onChange={(event) => {
              setResourceId(event.currentTarget.value);
            }}
          >
            {dir.resources.map((resource) => (
              <option key={resource.id} value={resource.id}>
                {resource.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="series-teacher" label="Teacher">
          <select
            {...describedBy('series-teacher', undefined)}
            value={String(teacherId)}
            onChange={(event) => {
              setTeacherId(Number(event.currentTarget.value));
            }}
          >
            {dir.teachers.map((teacher) => (
              <option key={teacher.id} value={String(teacher.id)}>
                {teacher.name}
              </option>
            ))}
          </select>
        </Field>
      </div>

      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {conflicts.length > 0 ? (
        <SlotTable
          caption="Lessons that would conflict"
          slots={conflicts}
          plannedClock={localTime}
          zone={zone}
          mode="plan"
        />
      ) : null}

      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Changing…' : 'Apply change'}
        </button>
      </div>
    </form>
  );
}

/** Summarizes a change: "Changed 3 lessons of the series (this and following): time 18:00." */
function describeChange(
  lessons: Lesson[],
  scope: Scope,
  changes: {
    local_time: string | null;
    duration_min: number | null;
    resource_id: string | null;
    teacher_id: number | null;
  },
  dir: ReturnType<typeof directory.get>,
): string {
  const parts: string[] = [];
  if (changes.local_time !== null) parts.push(`time ${changes.local_time}`);
  if (changes.duration_min !== null) parts.push(`length ${String(changes.duration_min)} min`);
  const sample = lessons[0];
  if (sample) {
    const names = namesOf(dir, sample);
    if (changes.resource_id !== null) parts.push(`in ${names.resource}`);
    if (changes.teacher_id !== null) parts.push(`with ${names.teacher}`);
  }
  return `Changed ${lessonCount(lessons.length)} of the series (${scopeText(scope)}): ${parts.join(', ')}.`;
}

function CancelForm({
  booking,
  seriesId,
  zone,
  scope,
  onScope,
  onBack,
  onDone,
}: ScopedFormProps & { onBack: () => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const cancel = async () => {
    setBusy(true);
    setError('');
    try {
      const answer = await callKeepingBody(
        api.POST('/api/series/{id}/cancel', {
          params: { path: { id: seriesId } },
          body: scopeBody(scope, booking),
        }),
      );
      onDone(describeCancel(answer.lessons, scope, zone));
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="notice" aria-labelledby="series-cancel-heading">
      <h3 id="series-cancel-heading">Cancel lessons of the series</h3>
      <ScopeChoice scope={scope} onScope={onScope} />
      <p id="series-cancel-explanation">
        Each lesson is cancelled by the late-cancel rule on its own start: a lesson inside the
        late-cancel window records the penalty <strong>late cancellation</strong>, later ones do
        not.
      </p>
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="actions">
        <button
          type="button"
          class="danger"
          disabled={busy}
          aria-describedby="series-cancel-explanation"
          onClick={() => void cancel()}
        >
          {busy ? 'Cancelling…' : 'Cancel lessons'}
        </button>
        <button type="button" class="secondary" onClick={onBack}>
          Keep the lessons
        </button>
      </div>
    </section>
  );
}

/** Lists the cancelled lessons and which of them were late (with a penalty). */
function describeCancel(lessons: Lesson[], scope: Scope, zone: string): string {
  const late = lessons.filter((lesson) => lesson.penalty_reason);
  const base = `Cancelled ${lessonCount(lessons.length)} of the series (${scopeText(scope)}).`;
  if (late.length === 0) return `${base} None was late, so no penalty was recorded.`;
  const lateList = late
    .map(
      (lesson) =>
        `${describeLessonTime(lesson, zone)} (${penaltyText(lesson.penalty_reason ?? '')})`,
    )
    .join(', ');
  return `${base} Late, with a penalty: ${lateList}.`;
}
