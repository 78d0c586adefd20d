//! The "new booking" dialog: student, teacher, lesson length, resource and start,
//! with the server's objections shown beside the field they concern. With
//! "Repeat weekly" it books a series after showing every planned lesson.
import { useState } from 'preact/hooks';
import { api, call, type Booking } from '../api/client';
import { Combobox } from '../components/Combobox';
import { Dialog } from '../components/Dialog';
import { Field, describedBy } from '../components/Field';
import { directory, serverStatus } from '../data';
import { NO_REPEAT, RepeatFields, type RepeatSettings } from '../series/RepeatFields';
import { SeriesBooking, type SeriesRequest } from '../series/SeriesBooking';
import { useStore } from '../store';
import type { WallTime } from '../time';
import { fieldErrorsFrom, type FieldErrors } from './errors';

export interface BookingDraft {
  start: WallTime;
  durationMin: number;
  resourceId: string;
}

interface BookingFormProps {
  draft: BookingDraft;
  onClose: () => void;
  onBooked: (booking: Booking) => void;
  /** Called after a series was booked and the desk closed the result, with a summary. */
  onSeriesBooked: (summary: string) => void;
}

const LESSON_LENGTHS = [15, 30, 45, 60, 75, 90, 120];

export function BookingForm({ draft, onClose, onBooked, onSeriesBooked }: BookingFormProps) {
  const dir = useStore(directory);
  const status = useStore(serverStatus);
  const [studentId, setStudentId] = useState<number | null>(null);
  const [teacherId, setTeacherId] = useState<number | null>(null);
  const [durationMin, setDurationMin] = useState(draft.durationMin);
  const [resourceId, setResourceId] = useState(draft.resourceId);
  const [start, setStart] = useState(draft.start.slice(0, 16));
  const [notes, setNotes] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [repeat, setRepeat] = useState<RepeatSettings>(NO_REPEAT);
  // The series the desk asked to check; any edit of the form clears it.
  const [seriesRequest, setSeriesRequest] = useState<SeriesRequest | null>(null);
  // Set once a series is booked: the form is hidden, and closing reloads the calendar.
  const [seriesSummary, setSeriesSummary] = useState<string | null>(null);

  const close = () => {
    if (seriesSummary === null) onClose();
    else onSeriesBooked(seriesSummary);
  };

  /** Applies an edit of the form, which makes a shown series plan out of date. */
  const edit = <T,>(setter: (value: T) => void) => {
    return (value: T) => {
      setter(value);
      setSeriesRequest(null);
    };
  };

  const lengths = LESSON_LENGTHS.includes(durationMin)
    ? LESSON_LENGTHS
    : [...LESSON_LENGTHS, durationMin].sort((a, b) => a - b);

  const submit = async (event: Event) => {
    event.preventDefault();
    const missing: FieldErrors = {};
    if (studentId === null) missing.student_id = 'Choose a student from the list.';
    if (teacherId === null) missing.teacher_id = 'Choose a teacher from the list.';
    if (start === '') missing.start = 'Enter the date and time the lesson starts.';
    if (studentId === null || teacherId === null || start === '') {
      setErrors(missing);
      return;
    }

    if (repeat.enabled) {
      setErrors({});
      setSeriesRequest({
        student_id: studentId,
        teacher_id: teacherId,
        resource_id: resourceId,
        duration_min: durationMin,
        start,
        interval_weeks: repeat.intervalWeeks,
        until: repeat.endKind === 'until' ? repeat.until : null,
        count: repeat.endKind === 'count' ? repeat.count : null,
        notes: notes.trim() === '' ? null : notes,
      });
      return;
    }

    setBusy(true);
    try {
      const body = {
        student_id: studentId,
        teacher_id: teacherId,
        resource_id: resourceId,
        duration_min: durationMin,
        start,
        notes: notes.trim() === '' ? null : notes,
      };
      const booking = await call(api.POST('/api/bookings', { body }));
      onBooked(booking);
    } catch (error) {
      setErrors(fieldErrorsFrom(error, dir));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New booking" onClose={close}>
      <form
        class="form"
        hidden={seriesSummary !== null}
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}

        <Field id="booking-student" label="Student" error={errors.student_id}>
          <Combobox
            id="booking-student"
            options={dir.students.map((s) => ({ id: s.id, label: s.name, detail: s.email }))}
            selected={studentId}
            onSelect={edit(setStudentId)}
            error={errors.student_id}
            placeholder="Type to search"
          />
        </Field>

        <Field id="booking-teacher" label="Teacher" error={errors.teacher_id}>
          <Combobox
            id="booking-teacher"
            options={dir.teachers.map((t) => ({ id: t.id, label: t.name }))}
            selected={teacherId}
            onSelect={edit(setTeacherId)}
            error={errors.teacher_id}
            placeholder="Type to search"
          />
        </Field>

        <div class="field-row">
          <Field id="booking-duration" label="Lesson length" error={errors.duration_min}>
            <select
              {...describedBy('booking-duration', errors.duration_min)}
              value={String(durationMin)}
              onChange={(event) => {
                edit(setDurationMin)(Number(event.currentTarget.value));
              }}
            >
              {lengths.map((minutes) => (
                <option key={minutes} value={String(minutes)}>
                  {minutes} min
                </option>
              ))}
            </select>
          </Field>

          <Field id="booking-resource" label="Room or instrument" error={errors.resource_id}>
            <select
              {...describedBy('booking-resource', errors.resource_id)}
              value={resourceId}
              onChange={(event) => {
                edit(setResourceId)(event.currentTarget.value);
              }}
            >
              {dir.resources.map((resource) => (
                <option key={resource.id} value={resource.id}>
                  {resource.name}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <Field
          id="booking-start"
          label="Start (studio time)"
          error={errors.start}
          hint="Date and time as the studio clock shows it."
        >
          <input
            type="datetime-local"
            step={300}
            {...describedBy('booking-start', errors.start, 'hint')}
            value={start}
            onInput={(event) => {
              edit(setStart)(event.currentTarget.value);
            }}
          />
        </Field>

        <Field id="booking-notes" label="Notes (optional)" error={errors.notes}>
          <textarea
            rows={2}
            {...describedBy('booking-notes', errors.notes)}
            value={notes}
            onInput={(event) => {
              edit(setNotes)(event.currentTarget.value);
            }}
          />
        </Field>

        <RepeatFields
          settings={repeat}
          firstDate={start.slice(0, 10)}
          errors={errors}
          onChange={edit(setRepeat)}
        />

        <div class="actions">
          <button type="submit" disabled={busy}>
            {submitLabel(repeat.enabled, busy)}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </form>

      {seriesRequest ? (
        <SeriesBooking
          request={seriesRequest}
          zone={status?.studio_timezone ?? 'UTC'}
          onFieldErrors={(found) => {
            setErrors(found);
            setSeriesRequest(null);
          }}
          onBooked={setSeriesSummary}
          onDone={onSeriesBooked}
        />
      ) : null}
    </Dialog>
  );
}

function submitLabel(repeating: boolean, busy: boolean): string {
  if (repeating) return 'Check lessons';
  return busy ? 'Booking…' : 'Book lesson';
}
