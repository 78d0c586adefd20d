//! The week view's bookings, drawn as plain DOM elements with the button role
//! over the calendar library's grid. The library builds one Svelte component
//! per event, which made a week of 20 rooms and 600 bookings take about 640 ms
//! to render (median of e2e/perf.spec.ts runs on a busy 2-core machine). The library
//! still draws the grid, headers, today and the now-line, and handles slot
//! selection. Week events open the booking on click, Enter or Space, and are
//! not dragged: "Reschedule" in the booking dialog moves them.
import type { Booking } from '../api/client';
import { namesOf, type Directory } from '../data';
import { addDays, minutesBetween, wallClock } from '../time';
import { bookingClasses, bookingTitle } from './events';

const DAY_MIN = 24 * 60;

/** The columns of the week grid: one per day and resource, days outermost. */
export interface WeekColumns {
  /** The first date shown, `YYYY-MM-DD`. */
  firstDay: string;
  dayCount: number;
  /** Resource ids in the order the calendar shows them. */
  resourceIds: string[];
}

/** The part of a booking that falls on one day, placed in its column. */
export interface WeekSegment {
  booking: Booking;
  /** Column index, `day * resourceCount + resource`. */
  column: number;
  day: number;
  /** Minutes after midnight of `day`. */
  startMin: number;
  endMin: number;
  /** Side-by-side position among overlapping segments of the same column. */
  lane: number;
  laneCount: number;
}

/**
 * Splits bookings at midnight into segments of the days shown and assigns
 * side-by-side lanes to segments that overlap in one column. Bookings of
 * resources not shown, and parts outside the days shown, are left out.
 */
export function placeBookings(bookings: Booking[], columns: WeekColumns): WeekSegment[] {
  const resourceIndex = new Map(columns.resourceIds.map((id, index) => [id, index]));
  const origin = `${columns.firstDay}T00:00:00`;
  const byColumn = new Map<number, WeekSegment[]>();

  for (const booking of bookings) {
    const resource = resourceIndex.get(booking.resource_id ?? 'primary');
    if (resource === undefined) continue;
    const start = minutesBetween(origin, wallClock(booking.start_local));
    const end = minutesBetween(origin, wallClock(booking.end_local));
    const firstDay = Math.max(0, Math.floor(start / DAY_MIN));
    const lastDay = Math.min(columns.dayCount - 1, Math.floor((end - 1) / DAY_MIN));
    for (let day = firstDay; day <= lastDay; day += 1) {
      const column = day * columns.resourceIds.length + resource;
      const segment: WeekSegment = {
        booking,
        column,
        day,
        startMin: Math.max(start, day * DAY_MIN) - day * DAY_MIN,
        endMin: Math.min(end, (day + 1) * DAY_MIN) - day * DAY_MIN,
        lane: 0,
        laneCount: 1,
      };
      const list = byColumn.get(column);
      if (list) list.push(segment);
      else byColumn.set(column, [segment]);
    }
  }

  const placed: WeekSegment[] = [];
  for (const column of [...byColumn.keys()].sort((a, b) => a - b)) {
    const segments = byColumn.get(column) ?? [];
    segments.sort((a, b) => a.startMin - b.startMin || b.endMin - a.endMin);
    assignLanes(segments);
    placed.push(...segments);
  }
  return placed;
}

/**
 * Gives each segment the first lane that is free at its start. Segments that
 * overlap, directly or through others, form a cluster and share its lane count.
 * `segments` must be sorted by start.
 */
function assignLanes(segments: WeekSegment[]): void {
  let cluster: WeekSegment[] = [];
  let laneEnds: number[] = [];
  let clusterEnd = -Infinity;

  const closeCluster = () => {
    for (const segment of cluster) segment.laneCount = laneEnds.length;
    cluster = [];
    laneEnds = [];
  };

  for (const segment of segments) {
    if (segment.startMin >= clusterEnd) closeCluster();
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= segment.startMin);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = segment.endMin;
    segment.lane = lane;
    cluster.push(segment);
    clusterEnd = cluster.length === 1 ? segment.endMin : Math.max(clusterEnd, segment.endMin);
  }
  closeCluster();
}

/** Returns the first and last minute of the time grid: the defaults, widened to whole hours around every segment. */
export function slotLimits(
  segments: WeekSegment[],
  defaults: { minMin: number; maxMin: number },
): { minMin: number; maxMin: number } {
  let { minMin, maxMin } = defaults;
  for (const segment of segments) {
    minMin = Math.min(minMin, Math.floor(segment.startMin / 60) * 60);
    maxMin = Math.max(maxMin, Math.ceil(segment.endMin / 60) * 60);
  }
  return { minMin, maxMin };
}

/** `HH:MM` for minutes after midnight, so 1440 reads as `24:00`. */
export function clockFromMinutes(minutes: number): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

export interface WeekLayerOptions {
  columns: WeekColumns;
  dir: Directory;
  /** Minutes after midnight at the top of the grid. */
  gridStartMin: number;
  slotMin: number;
  slotHeightPx: number;
  onOpen: (booking: Booking) => void;
}

const LAYER_CLASS = 'week-events';

/** Removes the week layer from the calendar element, if there is one. */
export function removeWeekLayer(root: HTMLElement): void {
  root.querySelector(`.${LAYER_CLASS}`)?.remove();
}

/**
 * Replaces the week layer inside `gridBody` (the library's `.ec-body`) with
 * one element per segment, grouped in one positioned element per column.
 *
 * Rows and lanes are set by classes from a stylesheet generated for this draw
 * instead of inline styles, so events at the same time share matched rules and
 * Chromium can reuse their computed style. In a Chromium trace of the 600-event
 * week, this cut style recalculation from about 45-80 ms to about 9 ms.
 */
export function drawWeekLayer(
  gridBody: HTMLElement,
  segments: WeekSegment[],
  options: WeekLayerOptions,
): void {
  const { columns, dir, gridStartMin, slotMin, slotHeightPx } = options;
  const columnCount = columns.dayCount * columns.resourceIds.length;
  const pxPerMin = slotHeightPx / slotMin;
  const dayNames = weekdayNames(columns);

  const layer = document.createElement('div');
  layer.className = LAYER_CLASS;
  const rules = new Map<string, string>();
  const byId = new Map<string, Booking>();
  let columnElement: HTMLElement | null = null;
  let columnIndex = -1;

  for (const segment of segments) {
    const { booking } = segment;
    const id = String(booking.id);
    byId.set(id, booking);

    if (segment.column !== columnIndex || !columnElement) {
      columnIndex = segment.column;
      columnElement = document.createElement('div');
      columnElement.className = 'week-column';
      const left = (columnIndex / columnCount) * 100;
      columnElement.style.cssText = `left:${String(left)}%;width:${String(100 / columnCount)}%`;
      layer.append(columnElement);
    }

    const rowClass = `wr-${String(segment.startMin)}-${String(segment.endMin)}`;
    if (!rules.has(rowClass)) {
      const top = (segment.startMin - gridStartMin) * pxPerMin;
      const height = Math.max((segment.endMin - segment.startMin) * pxPerMin, slotHeightPx);
      rules.set(rowClass, `top:${String(top)}px;height:${String(height)}px`);
    }
    const classes = ['ec-event', ...bookingClasses(booking), rowClass];
    if (segment.laneCount > 1) {
      const laneClass = `wl-${String(segment.lane)}-${String(segment.laneCount)}`;
      const width = 100 / segment.laneCount;
      rules.set(
        laneClass,
        `left:${String(segment.lane * width)}%;width:calc(${String(width)}% - 2px)`,
      );
      classes.push(laneClass);
    }

    const start = clockFromMinutes(segment.startMin);
    const end = clockFromMinutes(segment.endMin);
    const title = bookingTitle(booking, dir);
    const label = `${start}–${end} ${title}, ${namesOf(dir, booking).resource}, ${dayNames[segment.day] ?? ''}`;

    // A div with the button role, as the library's own events use.
    const element = document.createElement('div');
    element.setAttribute('role', 'button');
    element.tabIndex = 0;
    element.className = classes.join(' ');
    element.dataset.bookingId = id;
    element.title = label;
    element.setAttribute('aria-label', label);
    element.textContent = `${start}–${end} ${title}`;
    columnElement.append(element);
  }

  const sheet = document.createElement('style');
  sheet.textContent = [...rules]
    .map(([name, declarations]) => `.${LAYER_CLASS} .ec-event.${name}{${declarations}}`)
    .join('\n');
  layer.prepend(sheet);

  const bookingOf = (event: Event): Booking | undefined => {
    const target = event.target instanceof HTMLElement ? event.target : null;
    const id = target?.dataset.bookingId;
    return id === undefined ? undefined : byId.get(id);
  };
  layer.addEventListener('click', (event) => {
    const booking = bookingOf(event);
    if (booking) options.onOpen(booking);
  });
  layer.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const booking = bookingOf(event);
    if (!booking) return;
    // Space would otherwise scroll the calendar.
    event.preventDefault();
    options.onOpen(booking);
  });

  removeWeekLayer(gridBody);
  gridBody.append(layer);
}

/** "Monday 21 December" for each day shown, formatted once per draw. */
function weekdayNames(columns: WeekColumns): string[] {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });
  return Array.from({ length: columns.dayCount }, (_, day) =>
    format.format(new Date(`${addDays(columns.firstDay, day)}T12:00:00Z`)),
  );
}
