//! Types and requests of weekly series, and the sentences the desk reads about
//! their lessons: conflicts and daylight-saving adjustments.
import { ApiError, type Conflict, type ConflictSide } from '../api/client';
import type { components } from '../api/schema.gen';
import { namesOf, type Directory } from '../data';
import { clockText, formatInstant, studioWallTime } from '../time';

type Schemas = components['schemas'];
export type Series = Schemas['Series'];
export type SeriesPlan = Schemas['SeriesPlan'];
/** A stored lesson without the studio-local fields of `BookingView`. */
export type Lesson = Schemas['Booking'];

/** The reading of a lesson's wall-clock time on a daylight-saving day. */
export type Adjustment = { shifted_forward: { minutes: number } } | 'first_of_repeat';

/** An existing booking in a planned lesson's way, and which sides they share. */
export interface LessonConflict {
  booking: Lesson;
  on: ConflictSide[];
}

/** One planned lesson of a series, with `adjustment` narrowed to its documented forms. */
export interface Slot {
  date: string;
  start: string;
  adjustment: Adjustment | null;
  conflicts: LessonConflict[];
  booking: Lesson | null;
}

/** `one`, `following` (this lesson and later ones) or `all` (every lesson not started yet). */
export type Scope = 'one' | 'following' | 'all';

export const SCOPE_LABELS: Record<Scope, string> = {
  one: 'This lesson',
  following: 'This and following',
  all: 'All remaining',
};

/** A failed request whose error body carries more than `ApiError` keeps, such as `slots`. */
export class DetailedApiError extends ApiError {
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown> & { error: string; message: string }) {
    super(status, {
      error: body.error,
      message: body.message,
      field: typeof body.field === 'string' ? body.field : undefined,
      conflicts: Array.isArray(body.conflicts) ? (body.conflicts as Conflict[]) : undefined,
    });
    this.body = body;
  }

  /** The conflicting lessons of a `series_conflict` error. */
  get slots(): Slot[] {
    const slots = this.body.slots;
    return Array.isArray(slots) ? (slots as Slot[]) : [];
  }
}

function isErrorBody(
  value: unknown,
): value is Record<string, unknown> & { error: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return typeof body.error === 'string' && typeof body.message === 'string';
}

/**
 * Awaits an openapi-fetch call like `call`, but throws `DetailedApiError`, which
 * keeps the whole error body (series conflicts, import reports).
 */
export async function callKeepingBody<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: Awaited<typeof request>;
  try {
    result = await request;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new DetailedApiError(0, { error: 'network', message });
  }

  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  if (isErrorBody(error)) throw new DetailedApiError(response.status, error);
  throw new DetailedApiError(response.status, {
    error: 'unexpected_response',
    message: `The server returned HTTP ${String(response.status)} without an error message.`,
  });
}

/** Narrows the generated slot type, whose `adjustment` is an untyped object. */
export function slotsOf(plan: { slots: Schemas['SlotReport'][] }): Slot[] {
  return plan.slots.map((slot) => ({
    date: slot.date,
    start: slot.start,
    adjustment: (slot.adjustment ?? null) as Adjustment | null,
    conflicts: slot.conflicts,
    booking: slot.booking ?? null,
  }));
}

/** Formats a date for people, without a time zone: "Sun 14 Mar 2027". */
export function formatDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  })
    .format(new Date(`${date}T12:00:00Z`))
    .replace(',', '');
}

/** Returns `HH:MM` on the studio clock of a UTC instant. */
export function studioClock(iso: string, zone: string): string {
  return clockText(studioWallTime(zone, new Date(iso)));
}

/**
 * Says how a daylight-saving day changed a lesson: "No 02:30 on Sun 14 Mar 2027 (the
 * clocks go forward): booked at 03:30", or "01:30 happens twice on Sun 7 Nov 2027: booked
 * at the first one (before the clocks go back)".
 */
export function describeAdjustment(
  adjustment: Adjustment,
  plannedClock: string,
  slot: Slot,
  zone: string,
): string {
  const day = formatDate(slot.date);
  if (adjustment === 'first_of_repeat') {
    return `${plannedClock} happens twice on ${day}: booked at the first one (before the clocks go back).`;
  }
  return `No ${plannedClock} on ${day} (the clocks go forward): booked at ${studioClock(slot.start, zone)}.`;
}

/** Describes, in one sentence, the booking in a lesson's way and what they share. */
export function describeLessonConflict(
  conflict: LessonConflict,
  dir: Directory,
  zone: string,
): string {
  const names = namesOf(dir, conflict.booking);
  const sides = conflict.on.map((side) => names[side]);
  const when = formatInstant(conflict.booking.start, zone);
  return `${sides.join(', ')} already booked ${when} (${names.student} with ${names.teacher} in ${names.resource}).`;
}

/** Formats a lesson's start for people, in studio time: "Mon, 4 Jan 2027, 17:00". */
export function describeLessonTime(lesson: Lesson, zone: string): string {
  return formatInstant(lesson.start, zone);
}

/** Formats a number of lessons: "1 lesson", "3 lessons". */
export function lessonCount(count: number): string {
  return count === 1 ? '1 lesson' : `${String(count)} lessons`;
}
