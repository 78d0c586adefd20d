//! The one HTTP client of the UI: typed from the server's OpenAPI document, it adds
//! the desktop credential and the staff name, and turns error bodies into `ApiError`.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen';
import { connection } from '../status';
import { readActor } from '../actor';

export type Booking = components['schemas']['BookingView'];
export type Reschedule = components['schemas']['RescheduleView'];
export type Resource = components['schemas']['Resource'];
export type Teacher = components['schemas']['Teacher'];
export type Student = components['schemas']['Student'];
export type AuditEntry = components['schemas']['AuditEntry'];
export type ServerStatus = components['schemas']['Status'];

/** The side of a lesson that collides with an existing booking. */
export type ConflictSide = 'resource' | 'teacher' | 'student';

export interface Conflict {
  booking: Booking;
  on: ConflictSide[];
}

/**
 * An error body as the UI reads it: the fields of the document's `ErrorBody`
 * that the UI uses, with `Conflict` narrowed to the sides it displays.
 */
interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  conflicts?: Conflict[];
  allowed?: string[];
}

/** A failed request: the HTTP status (0 when the server did not respond) and the body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly conflicts: Conflict[];
  readonly allowed: string[];

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.error;
    this.field = body.field;
    this.conflicts = body.conflicts ?? [];
    this.allowed = body.allowed ?? [];
  }
}

declare global {
  interface Window {
    /** Per-launch credential that the desktop shell injects; absent in a browser. */
    __MELODY_TOKEN__?: string;
  }
}

const credentials: Middleware = {
  onRequest({ request }) {
    const token = window.__MELODY_TOKEN__;
    if (typeof token === 'string' && token !== '') {
      request.headers.set('Authorization', `Bearer ${token}`);
    }
    const actor = readActor();
    if (request.method !== 'GET' && actor !== '') {
      request.headers.set('X-Melody-Actor', actor);
    }
    return request;
  },
  onResponse({ response }) {
    connection.markServerReachable(true);
    return response;
  },
  onError({ error }) {
    connection.markServerReachable(false);
    const detail = error instanceof Error ? error.message : String(error);
    return new Error(`The server did not respond (${detail}). Check that melody is running.`);
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(credentials);

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: unknown }).error === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws `ApiError` with
 * the server's code and message. A network failure becomes status 0.
 */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: Awaited<typeof request>;
  try {
    result = await request;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError(0, { error: 'network', message });
  }

  const { data, error, response } = result;
  if (response.ok && data !== undefined) {
    return data;
  }
  if (isErrorBody(error)) {
    throw new ApiError(response.status, error);
  }
  throw new ApiError(response.status, {
    error: 'unexpected_response',
    message: `The server returned HTTP ${String(response.status)} without an error message.`,
  });
}
