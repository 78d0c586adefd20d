//! The two-step reschedule: initiate (the server records the lead time), then
//! complete with the new slot, or abandon so the booking keeps its slot.
import { api, call, type Reschedule } from '../api/client';
import type { WallTime } from '../time';

export async function initiateReschedule(bookingId: number): Promise<Reschedule> {
  return call(api.POST('/api/bookings/{id}/reschedule', { params: { path: { id: bookingId } } }));
}

export async function completeReschedule(
  bookingId: number,
  start: WallTime,
  resourceId: string | undefined,
): Promise<Reschedule> {
  return call(
    api.POST('/api/bookings/{id}/reschedule/complete', {
      params: { path: { id: bookingId } },
      body: resourceId === undefined ? { start } : { start, resource_id: resourceId },
    }),
  );
}

export async function abandonReschedule(bookingId: number): Promise<Reschedule> {
  return call(
    api.POST('/api/bookings/{id}/reschedule/abandon', { params: { path: { id: bookingId } } }),
  );
}

/**
 * Moves a booking in one go, as a drag in the calendar does: initiate, then
 * complete. When completing fails (a conflict, an invalid time) the reschedule is
 * abandoned so the booking is left as it was, and the completion error is thrown.
 */
export async function moveBooking(
  bookingId: number,
  start: WallTime,
  resourceId: string | undefined,
): Promise<Reschedule> {
  const initiated = await initiateReschedule(bookingId);
  try {
    const completed = await completeReschedule(bookingId, start, resourceId);
    return { ...completed, lead_time_hours: initiated.lead_time_hours };
  } catch (error) {
    try {
      await abandonReschedule(bookingId);
    } catch (abandonError) {
      const reason = abandonError instanceof Error ? abandonError.message : String(abandonError);
      const first = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${first} Abandoning the reschedule failed too (${reason}): open the booking to finish or abandon it.`,
        { cause: abandonError },
      );
    }
    throw error;
  }
}
