//! The day and week calendar: one column per room or instrument, studio wall
//! time, today highlighted and a now-line. It loads the bookings of the dates in
//! view and reports slot selections, clicks and drags to its owner.
import {
  createCalendar,
  destroyCalendar,
  Interaction,
  ResourceTimeGrid,
  type Calendar,
} from '@event-calendar/core';
import '@event-calendar/core/index.css';
import { flushSync } from 'svelte';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Booking, type Resource } from '../api/client';
import type { Directory } from '../data';
import { studioOffset, studioToday, utcBound, wallFromCalendarDate, type WallTime } from '../time';
import { toEvent } from './events';
import {
  clockFromMinutes,
  drawWeekLayer,
  placeBookings,
  removeWeekLayer,
  slotLimits,
  type WeekColumns,
} from './weekLayer';

export type CalendarViewName = 'day' | 'week';

const VIEW_TYPES: Record<CalendarViewName, string> = {
  day: 'resourceTimeGridDay',
  week: 'resourceTimeGridWeek',
};

/** Names of the `performance.measure` entries around each render of bookings. */
export const RENDER_MEASURES: Record<CalendarViewName, string> = {
  day: 'melody:day-render',
  week: 'melody:week-render',
};

export interface SlotSelection {
  start: WallTime;
  /** The end of a dragged selection, or null for a click on one slot. */
  end: WallTime | null;
  resourceId: string;
}

export interface BookingDrop {
  booking: Booking;
  start: WallTime;
  /** The new room or instrument, or undefined when the drop kept it. */
  resourceId: string | undefined;
  revert: () => void;
}

interface StudioCalendarProps {
  zone: string;
  view: CalendarViewName;
  date: string;
  resources: Resource[];
  dir: Directory;
  /** Changing this value reloads the bookings in view. */
  reloadKey: number;
  showCancelled: boolean;
  onTitle: (title: string) => void;
  onSelectSlot: (slot: SlotSelection) => void;
  onOpenBooking: (booking: Booking) => void;
  onDropBooking: (drop: BookingDrop) => void;
  onLoadError: (message: string) => void;
}

interface Range {
  start: WallTime;
  end: WallTime;
}

/** Slot length and height, and the hours the grid shows when no booking lies outside them. */
const SLOT_MIN = 15;
const SLOT_HEIGHT_PX = 28;
const DEFAULT_LIMITS = { minMin: 7 * 60, maxMin: 22 * 60 };

export function StudioCalendar(props: StudioCalendarProps) {
  const host = useRef<HTMLDivElement>(null);
  const calendar = useRef<Calendar | null>(null);
  const bookings = useRef(new Map<string, Booking>());
  /** The bookings of the dates in view, as last loaded, and those dates. */
  const loaded = useRef<{ range: Range; bookings: Booking[] } | null>(null);
  const [range, setRange] = useState<Range | null>(null);
  // The library calls its options back long after they were set, so callbacks
  // read the latest props through this reference.
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (!host.current) return;
    const { zone } = latest.current;
    const instance = createCalendar(host.current, [ResourceTimeGrid, Interaction], {
      view: VIEW_TYPES[latest.current.view],
      date: latest.current.date,
      // The library understands fixed offsets only, so it gets the studio's offset
      // in force now. Event times are wall times and do not depend on it.
      timeZone: studioOffset(zone),
      highlightedDates: [studioToday(zone)],
      headerToolbar: { start: '', center: '', end: '' },
      allDaySlot: false,
      firstDay: 1,
      datesAboveResources: true,
      nowIndicator: true,
      selectable: true,
      editable: true,
      eventDurationEditable: false,
      slotDuration: `00:${String(SLOT_MIN)}`,
      slotLabelInterval: '01:00',
      slotMinTime: clockFromMinutes(DEFAULT_LIMITS.minMin),
      slotMaxTime: clockFromMinutes(DEFAULT_LIMITS.maxMin),
      // Widens the hours shown to cover the events the library draws (the day view's).
      flexibleSlotTimeLimits: true,
      scrollTime: '08:00',
      slotHeight: SLOT_HEIGHT_PX,
      height: '100%',
      // Time text and content are plain strings and text nodes built without Intl,
      // because Intl formatting and the default two-element layout made each event slower.
      eventTimeFormat: (start, end) => `${clockOf(start)}–${end ? clockOf(end) : ''}`,
      eventContent: (info) => ({
        domNodes: [document.createTextNode(`${info.timeText} ${titleOf(info.event)}`)],
      }),
      slotLabelFormat: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
      dayHeaderFormat: { weekday: 'short', day: 'numeric', month: 'short' },
      resources: latest.current.resources.map((r) => ({ id: r.id, title: r.name })),
      events: [],
      datesSet(info) {
        // The week layer belongs to the dates it was drawn for.
        if (host.current) removeWeekLayer(host.current);
        latest.current.onTitle(info.view.title);
        setRange({ start: info.startStr.slice(0, 19), end: info.endStr.slice(0, 19) });
      },
      select(info) {
        instance.unselect();
        latest.current.onSelectSlot({
          start: wallFromCalendarDate(info.start),
          end: wallFromCalendarDate(info.end),
          resourceId: info.resource.id,
        });
      },
      dateClick(info) {
        if (!info.resource) return;
        latest.current.onSelectSlot({
          start: wallFromCalendarDate(info.date),
          end: null,
          resourceId: info.resource.id,
        });
      },
      eventClick(info) {
        const booking = bookings.current.get(String(info.event.id));
        if (booking) latest.current.onOpenBooking(booking);
      },
      eventDrop(info) {
        const booking = bookings.current.get(String(info.event.id));
        if (!booking) {
          info.revert();
          return;
        }
        const newResource = info.newResource?.id;
        latest.current.onDropBooking({
          booking,
          start: wallFromCalendarDate(info.event.start),
          resourceId:
            newResource !== undefined && newResource !== booking.resource_id
              ? newResource
              : undefined,
          revert: info.revert,
        });
      },
    });
    calendar.current = instance;

    // Keep "now" and "today" right across midnight and daylight-saving changes.
    const clock = window.setInterval(() => {
      instance.setOption('timeZone', studioOffset(zone));
      instance.setOption('highlightedDates', [studioToday(zone)]);
    }, 60_000);

    return () => {
      window.clearInterval(clock);
      calendar.current = null;
      void destroyCalendar(instance);
    };
  }, []);

  useEffect(() => {
    if (host.current) removeWeekLayer(host.current);
    calendar.current?.setOption('view', VIEW_TYPES[props.view]);
  }, [props.view]);

  useEffect(() => {
    calendar.current?.setOption('date', props.date);
  }, [props.date]);

  /** Shows the loaded bookings: through the library in the day view, or as the week layer. */
  const showBookings = () => {
    const instance = calendar.current;
    const element = host.current;
    if (!instance || !element || !loaded.current) return;
    const { view, showCancelled, dir, resources } = latest.current;
    const all = loaded.current.bookings;
    const visibleBookings = showCancelled ? all : all.filter((b) => b.status === 'confirmed');
    const columns: WeekColumns = {
      firstDay: loaded.current.range.start.slice(0, 10),
      dayCount: 7,
      resourceIds: resources.map((r) => r.id),
    };

    measureRender(RENDER_MEASURES[view], element, () => {
      if (view === 'week' && showWeekLayer(instance, element, visibleBookings, columns)) return;
      removeWeekLayer(element);
      setSlotLimits(instance, DEFAULT_LIMITS);
      instance.setOption(
        'events',
        visibleBookings.map((b) => toEvent(b, dir)),
      );
      flushSync();
    });
  };

  /**
   * Draws the week layer, and returns false when the library's grid body is
   * missing so that the caller falls back to the library's own events.
   */
  const showWeekLayer = (
    instance: Calendar,
    element: HTMLElement,
    visibleBookings: Booking[],
    columns: WeekColumns,
  ): boolean => {
    const segments = placeBookings(visibleBookings, columns);
    const limits = slotLimits(segments, DEFAULT_LIMITS);
    instance.setOption('events', []);
    setSlotLimits(instance, limits);
    flushSync();
    // NOTE: `.ec-body` is the time grid's body in @event-calendar/core 5.15, the
    // element that scrolls with the slots. Another major version may rename it.
    const gridBody = element.querySelector<HTMLElement>('.ec-body');
    if (!gridBody) return false;
    drawWeekLayer(gridBody, segments, {
      columns,
      dir: latest.current.dir,
      gridStartMin: limits.minMin,
      slotMin: SLOT_MIN,
      slotHeightPx: SLOT_HEIGHT_PX,
      onOpen: (booking) => {
        latest.current.onOpenBooking(booking);
      },
    });
    return true;
  };

  useEffect(() => {
    calendar.current?.setOption(
      'resources',
      props.resources.map((r) => ({ id: r.id, title: r.name })),
    );
    // The week layer's columns follow the resources.
    if (latest.current.view === 'week') showBookings();
  }, [props.resources]);

  useEffect(() => {
    if (!range) return;
    let stale = false;
    loadBookings(range)
      .then((result) => {
        if (stale) return;
        bookings.current = new Map(result.map((b) => [String(b.id), b]));
        loaded.current = { range, bookings: result };
        showBookings();
      })
      .catch((error: unknown) => {
        latest.current.onLoadError(error instanceof Error ? error.message : String(error));
      });
    return () => {
      stale = true;
    };
  }, [range, props.reloadKey, props.showCancelled, props.dir]);

  return <div class="calendar-host" ref={host} />;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** `HH:MM` of a calendar Date, whose local fields hold the studio wall time. */
function clockOf(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

function titleOf(event: Calendar.Event): string {
  return typeof event.title === 'string' ? event.title : '';
}

/** Bookings overlapping the wall-time range, asked for with UTC bounds that cover it. */
async function loadBookings(range: Range): Promise<Booking[]> {
  return call(
    api.GET('/api/bookings', {
      params: {
        query: { from: utcBound(range.start, 'before'), to: utcBound(range.end, 'after') },
      },
    }),
  );
}

function setSlotLimits(instance: Calendar, limits: { minMin: number; maxMin: number }): void {
  instance.setOption('slotMinTime', clockFromMinutes(limits.minMin));
  instance.setOption('slotMaxTime', clockFromMinutes(limits.maxMin));
}

/**
 * Runs `render` and measures its synchronous part, which includes Svelte's DOM
 * update (`flushSync`) and the style and layout that follow.
 */
function measureRender(measureName: string, element: HTMLElement, render: () => void): void {
  performance.mark(`${measureName}:start`);
  render();
  // Asking for a box forces style and layout, so they are measured too.
  element.getBoundingClientRect();
  performance.mark(`${measureName}:end`);
  performance.measure(measureName, `${measureName}:start`, `${measureName}:end`);
}
