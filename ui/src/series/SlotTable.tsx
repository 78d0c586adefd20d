//! The lessons of a series as a table: date, studio time, and the bookings
//! each one overlaps (conflicts) or changed it (daylight-saving adjustments).
import { directory } from '../data';
import { useStore } from '../store';
import {
  describeAdjustment,
  describeLessonConflict,
  formatDate,
  studioClock,
  type Slot,
} from './api';

interface SlotTableProps {
  caption: string;
  slots: Slot[];
  /** The wall-clock time the lessons were planned at, `HH:MM`, for adjustment sentences. */
  plannedClock: string;
  zone: string;
  /** `plan` shows Free or Conflict; `result` shows Booked or Not booked. */
  mode: 'plan' | 'result';
}

export function SlotTable({ caption, slots, plannedClock, zone, mode }: SlotTableProps) {
  const dir = useStore(directory);

  const statusOf = (slot: Slot): string => {
    if (mode === 'result') return slot.booking ? 'Booked' : 'Not booked';
    return slot.conflicts.length > 0 ? 'Conflict' : 'Free';
  };

  return (
    <table class="slot-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Date</th>
          <th scope="col">Time (studio)</th>
          <th scope="col">Status</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {slots.map((slot) => (
          <tr key={slot.date} class={slot.conflicts.length > 0 ? 'has-conflict' : undefined}>
            <td>{formatDate(slot.date)}</td>
            <td>{studioClock(slot.start, zone)}</td>
            <td>{statusOf(slot)}</td>
            <td>
              {slot.adjustment ? (
                <p class="slot-note">
                  {describeAdjustment(slot.adjustment, plannedClock, slot, zone)}
                </p>
              ) : null}
              {slot.conflicts.map((conflict) => (
                <p key={conflict.booking.id} class="slot-note conflict">
                  {describeLessonConflict(conflict, dir, zone)}
                </p>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
