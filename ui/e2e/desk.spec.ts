//! The front desk's main flows, acted out in Chromium against `melody serve` and
//! checked through the API afterwards.
import { expect, test, type Page } from '@playwright/test';
import { addDays, studioToday, studioWallTime, wallClock } from '../src/time';
import {
  audit,
  createBooking,
  createResource,
  createStudent,
  createTeacher,
  getBooking,
  listBookings,
  uiUrl,
  uniqueSuffix,
} from './api';
import { clickSlot, dragEvent, openDay, selectSlots } from './calendar';

const zone = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';
const ARTIFACTS = 'test-artifacts';

/** A day a few days ahead in studio time, far from "now" and from late-cancel rules. */
const dayAhead = (days: number) => addDays(studioToday(zone), days);

interface Cast {
  suffix: string;
  roomA: { id: string; name: string };
  roomB: { id: string; name: string };
  teacher: { id: number; name: string };
  otherTeacher: { id: number; name: string };
  student: { id: number; name: string };
  otherStudent: { id: number; name: string };
}

/** Two rooms, two teachers and two students with names no other test uses. */
async function createCast(): Promise<Cast> {
  const suffix = uniqueSuffix();
  const roomA = await createResource(`a${suffix}`, `Studio A ${suffix}`);
  const roomB = await createResource(`b${suffix}`, `Studio B ${suffix}`);
  return {
    suffix,
    roomA,
    roomB,
    teacher: await createTeacher(`Clara ${suffix}`),
    otherTeacher: await createTeacher(`Frederic ${suffix}`),
    student: await createStudent(`Zoe ${suffix}`),
    otherStudent: await createStudent(`Yusuf ${suffix}`),
  };
}

async function pickFromCombobox(page: Page, label: string, typed: string, option: string) {
  const box = page.getByRole('combobox', { name: label });
  await box.fill(typed);
  await page.getByRole('option', { name: option }).click();
}

async function setStaffName(page: Page, name: string) {
  await page.getByLabel('Staff name').fill(name);
}

test('book a lesson by selecting a slot', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(2);

  await openDay(page, uiUrl(), zone, day);
  await setStaffName(page, 'Robin');
  await selectSlots(page, cast.roomA.name, '10:00', '10:45');

  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Start (studio time)')).toHaveValue(`${day}T10:00`);
  await expect(dialog.getByLabel('Lesson length')).toHaveValue('45');
  await expect(dialog.getByLabel('Room or instrument')).toHaveValue(cast.roomA.id);
  await pickFromCombobox(
    page,
    'Student',
    cast.student.name.slice(0, 5).toLowerCase(),
    cast.student.name,
  );
  await pickFromCombobox(page, 'Teacher', cast.teacher.name.slice(0, 4), cast.teacher.name);
  await dialog.getByRole('button', { name: 'Book lesson' }).click();

  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('announcement')).toContainText(`Booked ${cast.student.name}`);
  await expect(page.locator('.ec-event', { hasText: cast.student.name })).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/day-view-booked.png` });

  const stored = await listBookings(`${day}T00:00`, `${addDays(day, 1)}T00:00`, cast.roomA.id);
  expect(stored, 'exactly the one lesson booked through the UI').toHaveLength(1);
  const [booking] = stored;
  expect(wallClock(booking?.start_local ?? ''), 'starts at the selected slot in studio time').toBe(
    `${day}T10:00:00`,
  );
  expect(booking?.duration_min, 'lasts as long as the selection').toBe(45);
  expect(booking?.teacher_id).toBe(cast.teacher.id);
  expect(booking?.student_id).toBe(cast.student.id);
  expect(booking?.status).toBe('confirmed');
  expect(booking?.created_by, 'the staff name is sent as X-Melody-Actor').toBe('Robin');
});

test('conflict is explained next to the field and input is kept', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(3);
  await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T11:00`,
    duration_min: 60,
  });

  await openDay(page, uiUrl(), zone, day);
  // Start in the free slot before the lesson and drag down into it.
  await selectSlots(page, cast.roomA.name, '10:30', '11:30');
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await pickFromCombobox(
    page,
    'Student',
    cast.otherStudent.name.slice(0, 3),
    cast.otherStudent.name,
  );
  await pickFromCombobox(
    page,
    'Teacher',
    cast.otherTeacher.name.slice(0, 3),
    cast.otherTeacher.name,
  );
  await dialog.getByLabel('Notes (optional)').fill('Bring the Czerny book');
  await dialog.getByRole('button', { name: 'Book lesson' }).click();

  const resourceError = dialog.locator('#booking-resource-error');
  await expect(resourceError, 'the conflict is shown at the room field').toContainText(
    `${cast.roomA.name} already booked`,
  );
  await expect(resourceError).toContainText('11:00–12:00');
  await expect(dialog.getByLabel('Room or instrument')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.locator('#booking-teacher-error'), 'the teacher is free').toHaveCount(0);
  await page.screenshot({ path: `${ARTIFACTS}/day-view-conflict.png` });

  // Nothing typed is lost: fix only the room and book again.
  await expect(dialog.getByRole('combobox', { name: 'Student' })).toHaveValue(
    cast.otherStudent.name,
  );
  await expect(dialog.getByLabel('Notes (optional)')).toHaveValue('Bring the Czerny book');
  await dialog.getByLabel('Room or instrument').selectOption(cast.roomB.id);
  await dialog.getByRole('button', { name: 'Book lesson' }).click();
  await expect(dialog).toBeHidden();

  const inB = await listBookings(`${day}T00:00`, `${addDays(day, 1)}T00:00`, cast.roomB.id);
  expect(inB, 'the retried lesson is stored in the other room').toHaveLength(1);
  expect(inB[0]?.notes).toBe('Bring the Czerny book');
  const inA = await listBookings(`${day}T00:00`, `${addDays(day, 1)}T00:00`, cast.roomA.id);
  expect(inA, 'the conflicting attempt stored nothing').toHaveLength(1);
});

test('invalid start is shown next to the start field', async ({ page }) => {
  const cast = await createCast();
  await openDay(page, uiUrl(), zone, dayAhead(1));
  await page.getByRole('button', { name: 'New booking' }).click();
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await pickFromCombobox(page, 'Student', cast.student.name, cast.student.name);
  await pickFromCombobox(page, 'Teacher', cast.teacher.name, cast.teacher.name);
  await dialog.getByLabel('Room or instrument').selectOption(cast.roomA.id);
  // 02:30 on the second Sunday of March does not exist in New York.
  await dialog.getByLabel('Start (studio time)').fill('2027-03-14T02:30');
  await dialog.getByRole('button', { name: 'Book lesson' }).click();
  await expect(dialog.locator('#booking-start-error')).toContainText('does not exist');
  await expect(dialog.getByLabel('Start (studio time)')).toHaveValue('2027-03-14T02:30');
});

test('reschedule by dragging to another time and room', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(4);
  const booking = await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T13:00`,
    duration_min: 45,
  });

  await openDay(page, uiUrl(), zone, day);
  await dragEvent(page, cast.student.name, cast.roomB.name, '14:30');

  await expect(page.getByTestId('announcement')).toContainText('Lead time');
  const moved = await getBooking(booking.id);
  expect(wallClock(moved.start_local), 'starts where it was dropped').toBe(`${day}T14:30:00`);
  expect(moved.resource_id, 'moved to the column it was dropped in').toBe(cast.roomB.id);
  expect(moved.duration_min, 'a move keeps the length').toBe(45);
  expect(moved.pending_reschedule_id, 'no reschedule left open').toBeNull();
  const actions = (await audit(booking.id)).map((entry) => entry.action);
  expect(actions, 'the drag ran both reschedule steps').toEqual(
    expect.arrayContaining(['reschedule_initiated', 'rescheduled']),
  );
  await page.screenshot({ path: `${ARTIFACTS}/day-view-dragged.png` });
});

test('drag into a conflict is put back and explained', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(5);
  const mover = await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T13:00`,
    duration_min: 45,
  });
  await createBooking({
    resource_id: cast.roomB.id,
    teacher_id: cast.otherTeacher.id,
    student_id: cast.otherStudent.id,
    start: `${day}T14:00`,
    duration_min: 60,
  });

  await openDay(page, uiUrl(), zone, day);
  await dragEvent(page, cast.student.name, cast.roomB.name, '14:15');

  await expect(page.getByTestId('calendar-alert')).toContainText('The lesson was not moved');
  await expect(page.getByTestId('calendar-alert')).toContainText(
    `${cast.roomB.name} already booked`,
  );
  const unchanged = await getBooking(mover.id);
  expect(wallClock(unchanged.start_local), 'the booking keeps its slot').toBe(`${day}T13:00:00`);
  expect(unchanged.resource_id).toBe(cast.roomA.id);
  expect(unchanged.pending_reschedule_id, 'the failed move was abandoned').toBeNull();
  const actions = (await audit(mover.id)).map((entry) => entry.action);
  expect(actions).toContain('reschedule_abandoned');
});

test('reschedule with the button, then pick the new slot', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(6);
  const booking = await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T09:00`,
    duration_min: 30,
  });

  await openDay(page, uiUrl(), zone, day);
  await page.locator('.ec-event', { hasText: cast.student.name }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Reschedule' }).click();
  await expect(
    page.getByTestId('lead-time'),
    'the lead time recorded by the server is shown',
  ).toHaveText(/^\d+\.\d h$/);
  await clickSlot(page, cast.roomA.name, '10:15');

  await expect(page.getByTestId('announcement')).toContainText('Moved');
  const moved = await getBooking(booking.id);
  expect(wallClock(moved.start_local)).toBe(`${day}T10:15:00`);
  expect(moved.duration_min, 'a reschedule keeps the length').toBe(30);
});

test('cancel late and see the penalty first', async ({ page }) => {
  const cast = await createCast();
  // Inside the 24-hour window of real now: the next whole hour plus one.
  const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  const booking = await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: start.toISOString().replace('.000Z', 'Z'),
    duration_min: 30,
  });

  await openDay(page, uiUrl(), zone, studioWallTime(zone, start).slice(0, 10));
  await setStaffName(page, 'Robin');
  await page.locator('.ec-event', { hasText: cast.student.name }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Cancel lesson…' }).click();

  await expect(dialog.getByRole('heading', { name: 'Late cancellation' })).toBeVisible();
  await expect(dialog.locator('#cancel-explanation')).toContainText('24-hour late-cancel window');
  await expect(dialog.locator('#cancel-explanation')).toContainText('late cancellation');
  await page.screenshot({ path: `${ARTIFACTS}/day-view-cancel-late.png` });
  await dialog.getByRole('button', { name: 'Cancel late, with penalty' }).click();

  await expect(page.getByTestId('announcement')).toContainText(
    'Penalty recorded: late cancellation',
  );
  const cancelled = await getBooking(booking.id);
  expect(cancelled.status).toBe('cancelled');
  expect(cancelled.penalty_reason, 'inside the window the server records the penalty').toBe(
    'late_cancel',
  );
  const last = (await audit(booking.id)).at(-1);
  expect(last?.actor, 'the audit names the staff member').toBe('Robin');
});

test('cancel early shows no penalty', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(7);
  const booking = await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T10:00`,
    duration_min: 30,
  });

  await openDay(page, uiUrl(), zone, day);
  await page.locator('.ec-event', { hasText: cast.student.name }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Cancel lesson…' }).click();
  await expect(dialog.getByRole('heading', { name: 'Cancellation without penalty' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel lesson', exact: true }).click();
  await expect(page.getByTestId('announcement')).toContainText('No penalty');

  const cancelled = await getBooking(booking.id);
  expect(cancelled.status).toBe('cancelled');
  expect(cancelled.penalty_reason).toBeNull();
});

test('history lists the changes of a booking', async ({ page }) => {
  const cast = await createCast();
  const day = dayAhead(8);
  await createBooking({
    resource_id: cast.roomA.id,
    teacher_id: cast.teacher.id,
    student_id: cast.student.id,
    start: `${day}T10:00`,
    duration_min: 30,
  });
  await openDay(page, uiUrl(), zone, day);
  await page.locator('.ec-event', { hasText: cast.student.name }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'History' }).click();
  const history = page.getByRole('list', { name: 'Booking history, oldest first' });
  await expect(history).toContainText('Booked by e2e-setup');
});

test('status bar shows connection, pending sync and database', async ({ page }) => {
  await page.goto(uiUrl());
  await expect(page.getByTestId('network')).toHaveText('Online');
  await expect(page.getByTestId('server')).toHaveText('Server: connected');
  await expect(page.getByTestId('pending-sync')).toHaveText('Pending sync: 0');
  await expect(page.getByTestId('database')).toContainText('melody.db');
});
