//! Test helpers that talk to the API directly: setting up people and resources
//! before acting in the UI, and checking the stored result afterwards.
import { expect } from '@playwright/test';
import type { components } from '../src/api/schema.gen';

type Schemas = components['schemas'];
export type Booking = Schemas['BookingView'];

export function apiUrl(): string {
  const url = process.env.MELODY_API_URL;
  if (!url)
    throw new Error('MELODY_API_URL is not set: run the tests through playwright.config.ts');
  return url;
}

export function uiUrl(): string {
  return process.env.MELODY_UI_URL ?? apiUrl();
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-melody-actor': 'e2e-setup' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(
    response.ok,
    `${method} ${path} should succeed, got ${String(response.status)}: ${text}`,
  ).toBe(true);
  return JSON.parse(text) as T;
}

/** Returns a suffix that keeps names and ids of one test apart from another's. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 7);
}

export function createResource(
  id: string,
  name: string,
  kind = 'room',
): Promise<Schemas['Resource']> {
  return request('POST', '/api/resources', { id, name, kind });
}

export function createTeacher(name: string): Promise<Schemas['Teacher']> {
  return request('POST', '/api/teachers', { name });
}

export function createStudent(name: string): Promise<Schemas['Student']> {
  return request('POST', '/api/students', {
    name,
    email: `${name.replace(/\W/g, '').toLowerCase()}@example.com`,
  });
}

export function createBooking(body: Schemas['CreateBooking']): Promise<Booking> {
  return request('POST', '/api/bookings', body);
}

export function getBooking(id: number): Promise<Booking> {
  return request('GET', `/api/bookings/${String(id)}`);
}

export function listBookings(from: string, to: string, resourceId: string): Promise<Booking[]> {
  const query = new URLSearchParams({ from, to, resource_id: resourceId });
  return request('GET', `/api/bookings?${query.toString()}`);
}

export function audit(id: number): Promise<Schemas['AuditEntry'][]> {
  return request('GET', `/api/bookings/${String(id)}/audit`);
}
