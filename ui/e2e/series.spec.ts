//! Weekly series, calendar import and calendar feeds, acted out in Chromium
//! against `melody serve` and checked through the API afterwards.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { components } from '../src/api/schema.gen';
import { addDays, studioToday, studioWallTime } from '../src/time';
import {
  apiUrl,
  createBooking,
  createResource,
  createStudent,
  createTeacher,
  listBookings,
  uiUrl,
  uniqueSuffix,
} from './api';
import { clickSlot, openDay } from './calendar';

type Schemas = components['schemas'];

const zone = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';
const ICS_FIXTURE = '/work/shared/fixtures/ical/node-ical__music-school-weekly-until.ics';

const dayAhead = (days: number) => addDays(studioToday(zone), days);

/** `HH:MM` on the studio clock of a UTC instant. */
const studioClock = (iso: string) => studioWallTime(zone, new Date(iso)).slice(11, 16);

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${apiUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-melody-actor': 'e2e-setup' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.ok, `POST ${path} should succeed, got ${String(response.status)}: ${text}`).toBe(
    true,
  );
  return JSON.parse(text) as T;
}

async function getSeries(id: number): Promise<Schemas['SeriesDetail']> {
  const response = await fetch(`${apiUrl()}/api/series/${String(id)}`);
  expect(response.ok, `GET /api/series/${String(id)} should succeed`).toBe(true);
  return (await response.json()) as Schemas['SeriesDetail'];
}

async function pickFromCombobox(page: Page, label: string, option: string) {
  await page.getByRole('combobox', { name: label }).fill(option.slice(0, 5));
  await page.getByRole('option', { name: option }).click();
}

test('series preview shows conflict, books free lessons', async ({ page }) => {
  const suffix = uniqueSuffix();
  const room = await createResource(`s${suffix}`, `Series room ${suffix}`);
  const teacher = await createTeacher(`Nadia ${suffix}`);
  const student = await createStudent(`Ravi ${suffix}`);
  const otherTeacher = await createTeacher(`Olga ${suffix}`);
  const otherStudent = await createStudent(`Pia ${suffix}`);
  const day = dayAhead(2);
  // The room is taken in the second week.
  await createBooking({
    resource_id: room.id,
    teacher_id: otherTeacher.id,
    student_id: otherStudent.id,
    start: `${addDays(day, 7)}T16:00`,
    duration_min: 45,
  });

  await openDay(page, uiUrl(), zone, day);
  await clickSlot(page, room.name, '16:00');
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await expect(dialog.getByLabel('Start (studio time)')).toHaveValue(`${day}T16:00`);
  await pickFromCombobox(page, 'Student', student.name);
  await pickFromCombobox(page, 'Teacher', teacher.name);
  await dialog.getByLabel('Repeat weekly').check();
  await dialog.getByLabel('After a number of lessons').check();
  await dialog.getByLabel('Number of lessons', { exact: true }).fill('4');
  await dialog.getByRole('button', { name: 'Check lessons' }).click();

  const plan = dialog.getByRole('table', { name: 'Planned lessons' });
  await expect(plan.getByRole('row')).toHaveCount(5);
  const conflictRow = plan.getByRole('row').filter({ hasText: 'Conflict' });
  await expect(conflictRow).toHaveCount(1);
  await expect(conflictRow).toContainText(`${room.name} already booked`);
  await expect(conflictRow).toContainText(`${otherStudent.name} with ${otherTeacher.name}`);
  await expect(dialog.getByText('4 lessons; 1 with conflicts.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Book all 4 lessons' })).toBeDisabled();

  await dialog.getByLabel('Book only the free lessons').check();
  await dialog.getByRole('button', { name: 'Book 3 free lessons' }).click();
  await expect(dialog.getByRole('heading', { name: 'Series booked' })).toBeVisible();
  await expect(dialog.getByRole('status').first()).toContainText('Booked 3 of 4 lessons');
  await dialog.getByRole('button', { name: 'Done' }).click();

  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('announcement')).toContainText('Booked 3 of 4 lessons');
  await expect(page.locator('.ec-event', { hasText: student.name })).toBeVisible();

  const stored = await listBookings(`${day}T00:00`, `${addDays(day, 29)}T00:00`, room.id);
  const lessons = stored.filter((booking) => booking.student_id === student.id);
  expect(lessons, 'the three free weeks are booked').toHaveLength(3);
  expect(
    lessons.map((lesson) => lesson.series_date),
    'the conflicting second week is left out',
  ).toEqual([day, addDays(day, 14), addDays(day, 21)]);
  for (const lesson of lessons) {
    expect(lesson.series_id, 'each lesson belongs to the series').not.toBeNull();
    expect(studioClock(lesson.start)).toBe('16:00');
  }
});

test('series preview explains daylight saving', async ({ page }) => {
  // The 2027 New York transitions: no 02:30 on 14 March, 01:30 twice on 7 November.
  test.skip(
    zone !== 'America/New_York' || studioToday(zone) >= '2027-03-01',
    'needs the studio in New York before March 2027',
  );
  const suffix = uniqueSuffix();
  await createResource(`d${suffix}`, `Night room ${suffix}`);
  const teacher = await createTeacher(`Dora ${suffix}`);
  const student = await createStudent(`Emil ${suffix}`);

  await page.goto(uiUrl());
  await page.getByRole('button', { name: 'New booking' }).click();
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await pickFromCombobox(page, 'Student', student.name);
  await pickFromCombobox(page, 'Teacher', teacher.name);
  await dialog.getByLabel('Room or instrument').selectOption(`d${suffix}`);
  await dialog.getByLabel('Repeat weekly').check();
  await dialog.getByLabel('Number of lessons', { exact: true }).fill('2');

  await dialog.getByLabel('Start (studio time)').fill('2027-03-07T02:30');
  await dialog.getByRole('button', { name: 'Check lessons' }).click();
  await expect(
    dialog.getByText('No 02:30 on Sun 14 Mar 2027 (the clocks go forward): booked at 03:30.'),
  ).toBeVisible();

  await dialog.getByLabel('Start (studio time)').fill('2027-10-31T01:30');
  await dialog.getByRole('button', { name: 'Check lessons' }).click();
  await expect(
    dialog.getByText(
      '01:30 happens twice on Sun 7 Nov 2027: booked at the first one (before the clocks go back).',
    ),
  ).toBeVisible();
});

test('series change following, cancel one', async ({ page }) => {
  const suffix = uniqueSuffix();
  const room = await createResource(`c${suffix}`, `Change room ${suffix}`);
  const teacher = await createTeacher(`Quentin ${suffix}`);
  const student = await createStudent(`Sana ${suffix}`);
  const day = dayAhead(3);
  const created = await postJson<Schemas['SeriesPlan']>('/api/series', {
    resource_id: room.id,
    teacher_id: teacher.id,
    student_id: student.id,
    start: `${day}T10:00`,
    duration_min: 45,
    count: 4,
  });
  const seriesId = created.series?.id ?? 0;
  expect(created.booked).toBe(4);

  // Move the second lesson and every later one to 11:00.
  const secondDay = addDays(day, 7);
  await openDay(page, uiUrl(), zone, secondDay);
  await page.locator('.ec-event', { hasText: student.name }).click();
  const details = page.getByRole('dialog', { name: `${student.name} with ${teacher.name}` });
  await expect(details.getByRole('heading', { name: 'Series' })).toBeVisible();
  await expect(details).toContainText('Every week at 10:00 (studio time)');
  await details.getByRole('button', { name: 'Change series…' }).click();
  await details.getByLabel('This and following').check();
  await details.getByLabel('Time (studio)').fill('11:00');
  await details.getByRole('button', { name: 'Apply change' }).click();

  await expect(details).toBeHidden();
  await expect(page.getByTestId('announcement')).toContainText(
    'Changed 3 lessons of the series (this and following): time 11:00.',
  );
  const changed = await getSeries(seriesId);
  expect(changed.lessons.map((lesson) => studioClock(lesson.start))).toEqual([
    '10:00',
    '11:00',
    '11:00',
    '11:00',
  ]);

  // Cancel only the second lesson, days ahead: no penalty.
  await page.locator('.ec-event', { hasText: student.name }).click();
  await details.getByRole('button', { name: 'Cancel in series…' }).click();
  await details.getByLabel('This lesson').check();
  await details.getByRole('button', { name: 'Cancel lessons' }).click();

  await expect(details).toBeHidden();
  await expect(page.getByTestId('announcement')).toContainText(
    'Cancelled 1 lesson of the series (this lesson). None was late, so no penalty was recorded.',
  );
  const after = await getSeries(seriesId);
  expect(after.lessons.map((lesson) => lesson.status)).toEqual([
    'confirmed',
    'cancelled',
    'confirmed',
    'confirmed',
  ]);
  expect(after.lessons[1]?.penalty_reason ?? null, 'cancelled days ahead').toBeNull();
});

test('series change conflict lists every lesson', async ({ page }) => {
  const suffix = uniqueSuffix();
  const room = await createResource(`x${suffix}`, `Busy room ${suffix}`);
  const teacher = await createTeacher(`Tomas ${suffix}`);
  const student = await createStudent(`Uma ${suffix}`);
  const otherTeacher = await createTeacher(`Vera ${suffix}`);
  const otherStudent = await createStudent(`Wim ${suffix}`);
  const day = dayAhead(4);
  await postJson('/api/series', {
    resource_id: room.id,
    teacher_id: teacher.id,
    student_id: student.id,
    start: `${day}T09:00`,
    duration_min: 45,
    count: 3,
  });
  // 12:00 is taken in weeks two and three.
  for (const week of [1, 2]) {
    await createBooking({
      resource_id: room.id,
      teacher_id: otherTeacher.id,
      student_id: otherStudent.id,
      start: `${addDays(day, 7 * week)}T12:00`,
      duration_min: 30,
    });
  }

  await openDay(page, uiUrl(), zone, day);
  await page.locator('.ec-event', { hasText: student.name }).click();
  const details = page.getByRole('dialog', { name: `${student.name} with ${teacher.name}` });
  await details.getByRole('button', { name: 'Change series…' }).click();
  await details.getByLabel('All remaining').check();
  await details.getByLabel('Time (studio)').fill('12:00');
  await details.getByRole('button', { name: 'Apply change' }).click();

  await expect(details.getByRole('alert').first()).toContainText('Nothing was changed');
  const table = details.getByRole('table', { name: 'Lessons that would conflict' });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText(`${otherStudent.name} with ${otherTeacher.name}`);
});

test('ics import preview then import', async ({ page }) => {
  const suffix = uniqueSuffix();
  const room = await createResource(`i${suffix}`, `Import room ${suffix}`);

  await page.goto(`${uiUrl()}/#/import`);
  await page.getByLabel('Calendar file').setInputFiles({
    name: 'music-school.ics',
    mimeType: 'text/calendar',
    buffer: readFileSync(ICS_FIXTURE),
  });
  await page.getByLabel('Room or instrument').selectOption(room.id);
  await page.getByRole('button', { name: 'Preview', exact: true }).click();

  // The fixture's lessons are all in 2022, so without "include past" they are skipped.
  const skipped = page.getByRole('table', { name: 'Skipped events' });
  await expect(skipped).toContainText('in the past');
  await expect(page.getByTestId('ics-summary')).toContainText('0 lessons');
  await expect(page.getByRole('button', { name: 'Import', exact: true })).toBeDisabled();
  await expect(page.getByText('is neither a known zone name')).toBeVisible();

  await page.getByLabel('Include lessons in the past').check();
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(page.getByTestId('ics-summary')).toHaveText(
    '9 lessons would be imported, none with conflicts.',
  );
  const lessons = page.getByRole('table', { name: 'Lessons in the file' });
  await expect(lessons.getByRole('row')).toHaveCount(10);
  await expect(lessons.getByRole('row').nth(1)).toContainText('Tue, 4 Oct 2022, 14:00');
  await expect(lessons.getByRole('row').nth(1)).toContainText('60 min');
  await expect(
    page.getByText('Teachers to create or reuse: Imported from music-school.ics.'),
  ).toBeVisible();

  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('ics-summary')).toHaveText('Imported 9 lessons.');
  const stored = await listBookings('2022-10-01T00:00', '2022-12-31T00:00', room.id);
  expect(stored, 'every occurrence is booked on the chosen room').toHaveLength(9);

  // A second preview of the same file finds every lesson taken.
  await page.getByLabel('Calendar file').setInputFiles({
    name: 'music-school.ics',
    mimeType: 'text/calendar',
    buffer: readFileSync(ICS_FIXTURE),
  });
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(page.getByTestId('ics-summary')).toContainText('9 with conflicts');
  await expect(page.getByRole('button', { name: 'Import', exact: true })).toBeDisabled();
});

test('csv import dry run then import', async ({ page }) => {
  const suffix = uniqueSuffix();
  const csv = `name,email\nXia ${suffix},xia${suffix}@example.com\nYann ${suffix},not-an-email\n`;

  await page.goto(`${uiUrl()}/#/import`);
  await page.getByLabel('What the file contains').selectOption('students');
  await page.getByLabel('CSV file').setInputFiles({
    name: 'students.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByRole('button', { name: 'Preview CSV' }).click();
  await expect(page.getByTestId('csv-summary')).toContainText('1 errors');
  await expect(page.getByRole('table', { name: 'Errors' })).toContainText('not-an-email');
  await expect(page.getByRole('button', { name: 'Import CSV' })).toBeDisabled();

  await page.getByLabel('CSV file').setInputFiles({
    name: 'students.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`name,email\nXia ${suffix},xia${suffix}@example.com\n`),
  });
  await page.getByRole('button', { name: 'Preview CSV' }).click();
  await expect(page.getByTestId('csv-summary')).toHaveText(
    'The file is valid and would create 1 students, 0 teachers, 0 bookings.',
  );
  await page.getByRole('button', { name: 'Import CSV' }).click();
  await expect(page.getByTestId('csv-summary')).toHaveText(
    'Imported 1 students, 0 teachers, 0 bookings.',
  );
  const students = (await (await fetch(`${apiUrl()}/api/students`)).json()) as Schemas['Student'][];
  expect(students.some((student) => student.name === `Xia ${suffix}`)).toBe(true);
});

test('feed create, copy, fetch and revoke', async ({ page, context, request }) => {
  const suffix = uniqueSuffix();
  const room = await createResource(`f${suffix}`, `Feed room ${suffix}`);
  const teacher = await createTeacher(`Yoko ${suffix}`);
  const student = await createStudent(`Zeno ${suffix}`);
  await postJson('/api/series', {
    resource_id: room.id,
    teacher_id: teacher.id,
    student_id: student.id,
    start: `${dayAhead(5)}T15:00`,
    duration_min: 30,
    count: 3,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: new URL(uiUrl()).origin,
  });

  await page.goto(`${uiUrl()}/#/feeds`);
  await page.getByLabel('Feed of a').selectOption('teacher');
  await page.getByLabel('For', { exact: true }).selectOption({ label: teacher.name });
  await page.getByRole('button', { name: 'Create feed' }).click();

  await expect(
    page.getByRole('heading', { name: `Feed created for Teacher ${teacher.name}` }),
  ).toBeVisible();
  const url = await page.getByLabel('Feed URL').inputValue();
  expect(url.startsWith(`${new URL(uiUrl()).origin}/api/feeds/ics/`)).toBe(true);
  await page.getByRole('button', { name: 'Copy URL' }).click();
  await expect(page.getByText('Copied the URL.')).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(url);

  const feed = await request.get(url);
  expect(feed.status()).toBe(200);
  expect(feed.headers()['content-type']).toContain('text/calendar');
  const body = await feed.text();
  expect(body).toContain('RRULE:FREQ=WEEKLY');
  expect(body).toContain('BEGIN:VTIMEZONE');

  const row = page.getByRole('row').filter({ hasText: teacher.name });
  await expect(row).toContainText('Teacher');
  await row.getByRole('button', { name: /^Revoke the feed of/ }).click();
  await row.getByRole('button', { name: 'Revoke feed' }).click();
  await expect(page.getByText(`Revoked the feed of ${teacher.name}`)).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: teacher.name })).toHaveCount(0);

  const revoked = await request.get(url);
  expect(revoked.status()).toBe(404);
});
