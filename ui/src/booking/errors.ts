//! Turns an API error into plain messages placed next to the form fields they
//! concern, so the desk sees what to change where it changes it.
import { ApiError, type Conflict } from '../api/client';
import { namesOf, type Directory } from '../data';
import { clockText, formatWall, wallClock } from '../time';

/** Messages keyed by request field (`start`, `resource_id`, ...); `form` is for the whole form. */
export type FieldErrors = Partial<Record<string, string>>;

const SIDE_FIELD = {
  resource: 'resource_id',
  teacher: 'teacher_id',
  student: 'student_id',
} as const;

/** Describes, in one sentence, the booking in the way and why it collides. */
export function describeConflict(conflict: Conflict, dir: Directory): string {
  const { booking } = conflict;
  const names = namesOf(dir, booking);
  const when = `${formatWall(wallClock(booking.start_local))}–${clockText(wallClock(booking.end_local))}`;
  const sides = conflict.on.map((side) => names[side]);
  return `${sides.join(', ')} already booked ${when} (${names.student} with ${names.teacher} in ${names.resource}).`;
}

/** Spreads an error over the fields it names; anything else lands on `form`. */
export function fieldErrorsFrom(error: unknown, dir: Directory): FieldErrors {
  if (!(error instanceof ApiError)) {
    return { form: error instanceof Error ? error.message : String(error) };
  }

  if (error.code === 'booking_conflict' && error.conflicts.length > 0) {
    const errors: FieldErrors = {
      form: 'This lesson overlaps another booking. Change the marked fields and try again.',
    };
    for (const conflict of error.conflicts) {
      const sentence = describeConflict(conflict, dir);
      for (const side of conflict.on) {
        const field = SIDE_FIELD[side];
        errors[field] = errors[field] ? `${errors[field]} ${sentence}` : sentence;
      }
    }
    return errors;
  }

  let message = error.message;
  if (error.code === 'resource_id_invalid' && error.allowed.length > 0) {
    message = `${message} Allowed: ${error.allowed.join(', ')}.`;
  }
  const field = error.field ?? (error.code === 'resource_id_invalid' ? 'resource_id' : undefined);
  return field ? { [field]: message } : { form: message };
}
