//! Studio wall-clock time. The server sends each booking's start and end in the
//! studio zone (`start_local`), and the UI shows their wall-clock part, so the
//! browser's own time zone never changes what the desk sees.

/** A wall-clock time without an offset, `YYYY-MM-DDTHH:MM[:SS]`. */
export type WallTime = string;

/** The wall-clock part of an RFC 3339 time: `2026-03-02T16:00:00-05:00` → `2026-03-02T16:00:00`. */
export function wallClock(rfc3339: string): WallTime {
  return rfc3339.slice(0, 19);
}

/** `HH:MM` of a wall time. */
export function clockText(wall: WallTime): string {
  return wall.slice(11, 16);
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** The wall-clock fields of `at` in the studio zone, as `YYYY-MM-DDTHH:MM:SS`. */
export function studioWallTime(zone: string, at: Date = new Date()): WallTime {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((part) => part.type === type)?.value ?? '00';
  return `${field('year')}-${field('month')}-${field('day')}T${field('hour')}:${field('minute')}:${field('second')}`;
}

/** Today's date in the studio zone, `YYYY-MM-DD`. */
export function studioToday(zone: string, at: Date = new Date()): string {
  return studioWallTime(zone, at).slice(0, 10);
}

/** Milliseconds since the epoch of a wall time read as if it were UTC. */
function wallAsUtcMillis(wall: WallTime): number {
  const [date = '', time = '00:00:00'] = wall.split('T');
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number);
  const [hour = 0, minute = 0, second = 0] = time.split(':').map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The studio zone's UTC offset in force at `at`, as `+HH:MM` or `-HH:MM`. */
export function studioOffset(zone: string, at: Date = new Date()): string {
  const wholeSecond = Math.floor(at.getTime() / 1000) * 1000;
  const minutes = Math.round((wallAsUtcMillis(studioWallTime(zone, at)) - wholeSecond) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const magnitude = Math.abs(minutes);
  return `${sign}${pad(Math.floor(magnitude / 60))}:${pad(magnitude % 60)}`;
}

/**
 * The wall time of a `Date` handed out by the calendar library. The library
 * builds those dates from wall-clock fields in the browser's zone, so the local
 * getters give the studio wall time back.
 *
 * NOTE: inside a daylight-saving gap of the browser's own zone, the library's
 * Date is shifted by the gap. The desk PC runs in the studio zone, where the
 * server rejects such times anyway.
 */
export function wallFromCalendarDate(date: Date): WallTime {
  return (
    `${String(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** Adds whole days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const shifted = new Date(wallAsUtcMillis(`${date}T00:00:00`) + days * 86_400_000);
  return shifted.toISOString().slice(0, 10);
}

/**
 * A UTC instant safely before (or after) every instant of a wall time, for range
 * queries: UTC offsets lie within ±14 hours.
 */
export function utcBound(wall: WallTime, side: 'before' | 'after'): string {
  const margin = 14 * 3_600_000 * (side === 'before' ? -1 : 1);
  return new Date(wallAsUtcMillis(wall) + margin).toISOString().replace('.000Z', 'Z');
}

/** Minutes between two wall times on the calendar grid. */
export function minutesBetween(start: WallTime, end: WallTime): number {
  return Math.round((wallAsUtcMillis(end) - wallAsUtcMillis(start)) / 60_000);
}

/** A date and time for people, in the studio zone: "Mon 7 Dec 2026, 16:00". */
export function formatInstant(iso: string, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/** A wall time for people: "Mon 7 Dec, 16:00" (computed without any time zone). */
export function formatWall(wall: WallTime): string {
  const asUtc = new Date(wallAsUtcMillis(wall));
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(asUtc);
}

/** "5 h 12 min" for a span in milliseconds (negative spans read as "0 min"). */
export function formatSpan(milliseconds: number): string {
  const minutes = Math.max(0, Math.floor(milliseconds / 60_000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${String(rest)} min`;
  return rest === 0 ? `${String(hours)} h` : `${String(hours)} h ${String(rest)} min`;
}

/** Formats a lead time in hours with one decimal. */
export function formatHours(hours: number): string {
  return `${hours.toFixed(1)} h`;
}
