//! The staff member working the desk, kept in localStorage and sent as
//! `X-Melody-Actor` on every write so the audit log names them.

const STORAGE_KEY = 'melody.actor';

// Used when storage is disabled (private mode, kiosk policy): the name then lasts
// until the page reloads.
let sessionActor = '';

export function readActor(): string {
  try {
    return window.localStorage.getItem(STORAGE_KEY)?.trim() ?? sessionActor;
  } catch {
    return sessionActor;
  }
}

export function saveActor(name: string): void {
  sessionActor = name.trim();
  try {
    window.localStorage.setItem(STORAGE_KEY, sessionActor);
  } catch {
    // sessionActor keeps the name for this page.
  }
}
