//! The calendar screen: navigation, the calendar, and the booking, reschedule
//! and cancel flows started from it.
import { useState } from 'preact/hooks';
import type { Booking } from '../api/client';
import { BookingDetails, penaltyText } from '../booking/BookingDetails';
import { BookingForm, type BookingDraft } from '../booking/BookingForm';
import { describeConflict, fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import {
  abandonReschedule,
  completeReschedule,
  initiateReschedule,
  moveBooking,
} from '../booking/reschedule';
import { ApiError } from '../api/client';
import { directory, namesOf } from '../data';
import { useStore } from '../store';
import {
  addDays,
  formatHours,
  formatWall,
  minutesBetween,
  studioToday,
  studioWallTime,
  wallClock,
} from '../time';
import { RescheduleBar, type PendingReschedule } from './RescheduleBar';
import {
  StudioCalendar,
  type BookingDrop,
  type CalendarViewName,
  type SlotSelection,
} from './StudioCalendar';

type OpenDialog = { kind: 'create'; draft: BookingDraft } | { kind: 'details'; booking: Booking };

const DEFAULT_LESSON_MIN = 45;
const SLOT_MIN = 15;

function errorText(error: unknown, dir: ReturnType<typeof directory.get>): string {
  if (error instanceof ApiError && error.conflicts.length > 0) {
    return `${error.message} ${error.conflicts.map((c) => describeConflict(c, dir)).join(' ')}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function CalendarScreen({ zone }: { zone: string }) {
  const dir = useStore(directory);
  const [view, setView] = useState<CalendarViewName>('day');
  const [date, setDate] = useState(() => studioToday(zone));
  const [title, setTitle] = useState('');
  const [reloadKey, setReloadKey] = useState(0);
  const [showCancelled, setShowCancelled] = useState(false);
  const [dialog, setDialog] = useState<OpenDialog | null>(null);
  const [pending, setPending] = useState<PendingReschedule | null>(null);
  const [rescheduleErrors, setRescheduleErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [alertText, setAlertText] = useState('');

  const reload = () => {
    setReloadKey((key) => key + 1);
  };
  const announce = (text: string) => {
    setAlertText('');
    setAnnouncement(text);
  };
  const step = view === 'day' ? 1 : 7;

  const describe = (booking: Booking) => {
    const names = namesOf(dir, booking);
    return `${names.student} with ${names.teacher}, ${formatWall(wallClock(booking.start_local))} in ${names.resource}`;
  };

  const newBookingDraft = (): BookingDraft => {
    // The next quarter hour on the studio clock.
    const now = studioWallTime(zone);
    const minutes = Number(now.slice(11, 13)) * 60 + Number(now.slice(14, 16));
    const next = Math.ceil((minutes + 1) / SLOT_MIN) * SLOT_MIN;
    const day = next >= 24 * 60 ? addDays(now.slice(0, 10), 1) : now.slice(0, 10);
    const clock = next % (24 * 60);
    const hh = String(Math.floor(clock / 60)).padStart(2, '0');
    const mm = String(clock % 60).padStart(2, '0');
    return {
      start: `${day}T${hh}:${mm}`,
      durationMin: DEFAULT_LESSON_MIN,
      resourceId: dir.resources[0]?.id ?? 'primary',
    };
  };

  const complete = async (target: PendingReschedule) => {
    setBusy(true);
    try {
      const sameResource = target.resourceId === (target.booking.resource_id ?? 'primary');
      const done = await completeReschedule(
        target.booking.id,
        target.start,
        sameResource ? undefined : target.resourceId,
      );
      setPending(null);
      setRescheduleErrors({});
      announce(
        `Moved ${done.booking ? describe(done.booking) : describe(target.booking)}. ` +
          `Lead time ${formatHours(target.reschedule.lead_time_hours)}.`,
      );
      reload();
    } catch (error) {
      setRescheduleErrors(fieldErrorsFrom(error, dir));
    } finally {
      setBusy(false);
    }
  };

  const onSelectSlot = (slot: SlotSelection) => {
    if (pending) {
      const target = { ...pending, start: slot.start, resourceId: slot.resourceId };
      setPending(target);
      void complete(target);
      return;
    }
    const selected = slot.end === null ? 0 : minutesBetween(slot.start, slot.end);
    setDialog({
      kind: 'create',
      draft: {
        start: slot.start,
        durationMin: selected > SLOT_MIN ? selected : DEFAULT_LESSON_MIN,
        resourceId: slot.resourceId,
      },
    });
  };

  const onDropBooking = (drop: BookingDrop) => {
    setBusy(true);
    moveBooking(drop.booking.id, drop.start, drop.resourceId)
      .then((done) => {
        announce(
          `Moved ${done.booking ? describe(done.booking) : describe(drop.booking)}. ` +
            `Lead time ${formatHours(done.lead_time_hours)}.`,
        );
        reload();
      })
      .catch((error: unknown) => {
        drop.revert();
        setAnnouncement('');
        setAlertText(`The lesson was not moved. ${errorText(error, dir)}`);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const startReschedule = async (booking: Booking) => {
    setDialog(null);
    try {
      const reschedule = await initiateReschedule(booking.id);
      setRescheduleErrors({});
      setPending({
        booking,
        reschedule,
        start: wallClock(booking.start_local).slice(0, 16),
        resourceId: booking.resource_id ?? 'primary',
      });
      reload();
    } catch (error) {
      setAlertText(`The reschedule could not start. ${errorText(error, dir)}`);
    }
  };

  const abandon = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      await abandonReschedule(pending.booking.id);
      setPending(null);
      setRescheduleErrors({});
      announce(`Reschedule abandoned: ${describe(pending.booking)} keeps its slot.`);
      reload();
    } catch (error) {
      setRescheduleErrors(fieldErrorsFrom(error, dir));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="calendar-screen" aria-labelledby="calendar-title">
      <div class="toolbar" role="toolbar" aria-label="Calendar">
        <div class="group">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDate((shown) => addDays(shown, -step));
            }}
          >
            ← Previous
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDate(studioToday(zone));
            }}
          >
            Today
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDate((shown) => addDays(shown, step));
            }}
          >
            Next →
          </button>
        </div>
        <h2 id="calendar-title" aria-live="polite">
          {title}
        </h2>
        <div class="group">
          <button
            type="button"
            class="secondary"
            aria-pressed={view === 'day'}
            onClick={() => {
              setView('day');
            }}
          >
            Day
          </button>
          <button
            type="button"
            class="secondary"
            aria-pressed={view === 'week'}
            onClick={() => {
              setView('week');
            }}
          >
            Week
          </button>
          <label class="checkbox">
            <input
              type="checkbox"
              checked={showCancelled}
              onChange={(event) => {
                setShowCancelled(event.currentTarget.checked);
              }}
            />
            Show cancelled
          </label>
          <button
            type="button"
            disabled={pending !== null}
            onClick={() => {
              setDialog({ kind: 'create', draft: newBookingDraft() });
            }}
          >
            New booking
          </button>
        </div>
      </div>

      <p class="announcement" role="status" data-testid="announcement">
        {announcement}
      </p>
      {alertText ? (
        <p class="form-error" role="alert" data-testid="calendar-alert">
          {alertText}
        </p>
      ) : null}

      {pending ? (
        <RescheduleBar
          pending={pending}
          errors={rescheduleErrors}
          busy={busy}
          onChange={(target) => {
            setPending({ ...pending, ...target });
          }}
          onComplete={() => void complete(pending)}
          onAbandon={() => void abandon()}
        />
      ) : null}

      <StudioCalendar
        zone={zone}
        view={view}
        date={date}
        resources={dir.resources}
        dir={dir}
        reloadKey={reloadKey}
        showCancelled={showCancelled}
        onTitle={setTitle}
        onSelectSlot={onSelectSlot}
        onOpenBooking={(booking) => {
          setDialog({ kind: 'details', booking });
        }}
        onDropBooking={onDropBooking}
        onLoadError={(message) => {
          setAlertText(`Bookings could not be loaded. ${message}`);
        }}
      />

      {dialog?.kind === 'create' ? (
        <BookingForm
          draft={dialog.draft}
          onClose={() => {
            setDialog(null);
          }}
          onBooked={(booking) => {
            setDialog(null);
            announce(`Booked ${describe(booking)}.`);
            reload();
          }}
          onSeriesBooked={(summary) => {
            setDialog(null);
            announce(summary);
            reload();
          }}
        />
      ) : null}
      {dialog?.kind === 'details' ? (
        <BookingDetails
          booking={dialog.booking}
          onClose={() => {
            setDialog(null);
          }}
          onReschedule={(booking) => void startReschedule(booking)}
          onCancelled={(booking) => {
            setDialog(null);
            const penalty = booking.penalty_reason
              ? ` Penalty recorded: ${penaltyText(booking.penalty_reason)}.`
              : ' No penalty.';
            announce(`Cancelled ${describe(booking)}.${penalty}`);
            reload();
          }}
          onSeriesChanged={(summary) => {
            setDialog(null);
            announce(summary);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}
