//! Benchmark, not a test: render time of a busy week (20 rooms and 600
//! lessons), read from the `melody:week-render` measure that StudioCalendar
//! records. `npm run bench:week` runs it five times and prints each time; the
//! numbers go to docs/benchmarks.md. The normal test run skips it.
import { expect, test } from '@playwright/test';
import { addDays, studioToday } from '../src/time';
import {
  createBooking,
  createResource,
  createStudent,
  createTeacher,
  uiUrl,
  uniqueSuffix,
} from './api';

const zone = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';
const RESOURCES = 20;
const BOOKINGS = 600;
const HOURS = [9, 10, 11, 13, 14, 15, 16, 17];

test('busy week render time', async ({ page }) => {
  test.setTimeout(180_000);
  const suffix = uniqueSuffix();
  // A week far ahead that no other test writes to.
  const monday = (() => {
    let day = addDays(studioToday(zone), 21);
    while (new Date(`${day}T12:00:00Z`).getUTCDay() !== 1) day = addDays(day, 1);
    return day;
  })();

  const lessons: Promise<unknown>[] = [];
  for (let r = 0; r < RESOURCES; r += 1) {
    const resource = await createResource(`p${suffix}${String(r)}`, `Room ${String(r)} ${suffix}`);
    // One teacher and student per room, so lessons can collide only on their room, and the schedule below never does.
    const teacher = await createTeacher(`Teacher ${String(r)} ${suffix}`);
    const student = await createStudent(`Student ${String(r)} ${suffix}`);
    for (let i = 0; i < BOOKINGS / RESOURCES; i += 1) {
      const day = addDays(monday, i % 7);
      const hour = HOURS[Math.floor(i / 7) % HOURS.length] ?? 9;
      lessons.push(
        createBooking({
          resource_id: resource.id,
          teacher_id: teacher.id,
          student_id: student.id,
          start: `${day}T${String(hour).padStart(2, '0')}:00`,
          duration_min: 45,
        }),
      );
    }
  }
  await Promise.all(lessons);

  await page.goto(uiUrl());
  await page.getByRole('button', { name: 'Week' }).click();
  // The calendar's weeks start on Monday; step forward until that Monday is shown.
  const mondayHeader = new Intl.DateTimeFormat('en-US', {
    timeZone: 'UTC',
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    year: 'numeric',
  }).format(new Date(`${monday}T12:00:00Z`));
  const target = page.getByRole('columnheader', { name: mondayHeader, exact: true });
  for (let clicks = 0; clicks < 8 && !(await target.isVisible()); clicks += 1) {
    const before = await page.locator('#calendar-title').innerText();
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect(page.locator('#calendar-title')).not.toHaveText(before);
  }
  await expect(target).toBeVisible();
  await expect(page.locator('.ec-event')).toHaveCount(BOOKINGS, { timeout: 20_000 });

  const durations = await page.evaluate(() =>
    performance.getEntriesByName('melody:week-render').map((entry) => entry.duration),
  );
  const last = durations.at(-1) ?? Number.NaN;
  test.info().annotations.push({ type: 'melody:week-render ms', description: last.toFixed(1) });
  console.log(
    `melody:week-render with ${String(RESOURCES)} rooms and ${String(BOOKINGS)} bookings: ${last.toFixed(1)} ms`,
  );
  await page.screenshot({ path: 'test-artifacts/week-view-busy.png' });
  expect(Number.isFinite(last), 'the render was measured').toBe(true);
});
