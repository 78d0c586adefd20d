//! The late-cancel rule, evaluated in the UI to warn before the desk confirms.
//! The server applies the same rule when it cancels, and its result is final.

export interface CancelPreview {
  late: boolean;
  /** Milliseconds from now to the lesson's start (negative once it began). */
  untilStart: number;
}

/**
 * Previews a cancellation at `now`. It is late when the lesson starts less than `windowHours` from
 * `now`. Exactly at the window boundary it is not late.
 */
export function previewCancel(startUtc: string, now: Date, windowHours: number): CancelPreview {
  const untilStart = Date.parse(startUtc) - now.getTime();
  return { late: untilStart < windowHours * 3_600_000, untilStart };
}
