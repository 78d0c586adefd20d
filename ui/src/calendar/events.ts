//! Bookings as calendar events. Start and end are the studio wall times from
//! `start_local`/`end_local` without their offset, which the calendar shows as is.
import type { Calendar } from '@event-calendar/core';
import type { Booking } from '../api/client';
import { namesOf, type Directory } from '../data';
import { wallClock } from '../time';

/** Returns the text shown on a booking: "student · teacher", marked when cancelled. */
export function bookingTitle(booking: Booking, dir: Directory): string {
  const names = namesOf(dir, booking);
  const cancelled = booking.status === 'confirmed' ? '' : ' (cancelled)';
  return `${names.student} · ${names.teacher}${cancelled}`;
}

/** CSS classes of a booking's event, shared by the library's events and the week layer. */
export function bookingClasses(booking: Booking): string[] {
  const classNames = ['booking'];
  if (booking.status !== 'confirmed') classNames.push('is-cancelled');
  if (booking.penalty_reason) classNames.push('has-penalty');
  if (booking.pending_reschedule_id) classNames.push('is-rescheduling');
  return classNames;
}

export function toEvent(booking: Booking, dir: Directory): Calendar.EventInput {
  return {
    id: String(booking.id),
    resourceId: booking.resource_id ?? 'primary',
    start: wallClock(booking.start_local),
    end: wallClock(booking.end_local),
    title: bookingTitle(booking, dir),
    // A booking with an open reschedule moves only through that reschedule.
    editable: booking.status === 'confirmed' && !booking.pending_reschedule_id,
    classNames: bookingClasses(booking),
  };
}
