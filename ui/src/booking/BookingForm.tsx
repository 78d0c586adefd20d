//! The "new booking" dialog: student, teacher, lesson length, resource and start,
//! with the server's objections shown beside the field they concern.
import { useState } from 'preact/hooks';
import { api, call, type Booking } from '../api/client';
import { Combobox } from '../components/Combobox';
import { Dialog } from '../components/Dialog';
import { Field, describedBy } from '../components/Field';
import { directory } from '../data';
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
}

const LESSON_LENGTHS = [15, 30, 45, 60, 75, 90, 120];

export function BookingForm({ draft, onClose, onBooked }: BookingFormProps) {
  const dir = useStore(directory);
  const [studentId, setStudentId] = useState<number | null>(null);
  const [teacherId, setTeacherId] = useState<number | null>(null);
  const [durationMin, setDurationMin] = useState(draft.durationMin);
  const [resourceId, setResourceId] = useState(draft.resourceId);
  const [start, setStart] = useState(draft.start.slice(0, 16));
  const [notes, setNotes] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

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
    <Dialog title="New booking" onClose={onClose}>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
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
            onSelect={setStudentId}
            error={errors.student_id}
            placeholder="Type to search"
          />
        </Field>

        <Field id="booking-teacher" label="Teacher" error={errors.teacher_id}>
          <Combobox
            id="booking-teacher"
            options={dir.teachers.map((t) => ({ id: t.id, label: t.name }))}
            selected={teacherId}
            onSelect={setTeacherId}
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

          <Field id="booking-resource" label="Room or instrument" error={errors.resource_id}>
            <select
              {...describedBy('booking-resource', errors.resource_id)}
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
              setStart(event.currentTarget.value);
            }}
          />
        </Field>

        <Field id="booking-notes" label="Notes (optional)" error={errors.notes}>
          <textarea
            rows={2}
            {...describedBy('booking-notes', errors.notes)}
            value={notes}
            onInput={(event) => {
              setNotes(event.currentTarget.value);
            }}
          />
        </Field>

        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Booking…' : 'Book lesson'}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
    </Dialog>
  );
}
