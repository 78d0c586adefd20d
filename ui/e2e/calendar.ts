//! Finding places on the calendar grid: the column of a room or instrument and
//! the row of a studio time, in page coordinates for mouse actions.
import { expect, type Page } from '@playwright/test';
import { addDays, studioToday } from '../src/time';

/** Slot height in pixels and slot length in minutes, as StudioCalendar sets them. */
const SLOT_PX = 28;
const SLOT_MIN = 15;

export async function openDay(
  page: Page,
  uiUrl: string,
  zone: string,
  date: string,
): Promise<void> {
  await page.goto(uiUrl);
  await expect(page.locator('.ec-time-grid')).toBeVisible();
  let shown = studioToday(zone);
  while (shown < date) {
    await page.getByRole('button', { name: 'Next →' }).click();
    shown = addDays(shown, 1);
  }
  const title = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', dateStyle: 'medium' }).format(
    new Date(`${date}T12:00:00Z`),
  );
  await expect(page.locator('#calendar-title')).toHaveText(title);
}

function minutesOf(clock: string): number {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

/** Returns the page point inside the slot of `clock` (`HH:MM`) in the column of `resourceName`. */
export async function slotPoint(
  page: Page,
  resourceName: string,
  clock: string,
  offsetInSlot = SLOT_PX / 2,
  scroll = true,
): Promise<{ x: number; y: number }> {
  const header = page.locator('.ec-col-head', { hasText: resourceName }).first();
  const firstLabel = await page.locator('.ec-sidebar time').first().getAttribute('datetime');
  const gridStart = minutesOf((firstLabel ?? 'T00:00').slice(11, 16));
  const offset = ((minutesOf(clock) - gridStart) / SLOT_MIN) * SLOT_PX + offsetInSlot;

  // Scroll the grid so the slot is in view, then measure where it landed.
  if (scroll) {
    await page.locator('.ec-body').evaluate((body, y) => {
      const scroller = body.closest('.ec-main') ?? body;
      scroller.scrollTop = Math.max(0, y - 200);
    }, offset);
  }
  const headerBox = await header.boundingBox();
  const gridBox = await page.locator('.ec-body .ec-grid').first().boundingBox();
  if (!headerBox || !gridBox) throw new Error(`column "${resourceName}" is not on screen`);
  return { x: headerBox.x + headerBox.width / 2, y: gridBox.y + offset };
}

/** Clicks the slot of `clock` in the column of `resourceName`. */
export async function clickSlot(page: Page, resourceName: string, clock: string): Promise<void> {
  const point = await slotPoint(page, resourceName, clock);
  await page.mouse.click(point.x, point.y);
}

/** Selects the slots from `from` up to (not including) `to` by dragging across them. */
export async function selectSlots(
  page: Page,
  resourceName: string,
  from: string,
  to: string,
): Promise<void> {
  const start = await slotPoint(page, resourceName, from);
  const lastSlot = `${String(Math.floor((minutesOf(to) - SLOT_MIN) / 60)).padStart(2, '0')}:${String((minutesOf(to) - SLOT_MIN) % 60).padStart(2, '0')}`;
  const end = await slotPoint(page, resourceName, lastSlot, SLOT_PX / 2, false);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 8 });
  await page.mouse.up();
}

/**
 * Drags the event containing `text` so that it starts at `clock` in the column
 * of `resourceName`. Both places must fit on screen together (a few hours apart).
 */
export async function dragEvent(
  page: Page,
  text: string,
  resourceName: string,
  clock: string,
): Promise<void> {
  const grab = 8;
  const target = await slotPoint(page, resourceName, clock, grab);
  const box = await page.locator('.ec-event', { hasText: text }).boundingBox();
  if (!box) throw new Error(`event "${text}" is not on screen`);
  await page.mouse.move(box.x + box.width / 2, box.y + grab);
  await page.mouse.down();
  await page.mouse.move(target.x, target.y, { steps: 12 });
  await page.mouse.up();
}
