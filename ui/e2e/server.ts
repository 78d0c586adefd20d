//! Starts and stops the processes the browser tests run against: `melody serve`
//! on a fresh database, the repository's fake Stripe server, and, while the
//! binary does not embed the UI yet, a Vite preview server that forwards `/api`
//! to melody.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const STARTUP_TIMEOUT_MS = 20_000;

export interface Started {
  process: ChildProcess;
  url: string;
}

/**
 * Spawns `command` and resolves with the first URL matching `pattern` on its
 * stdout. Rejects when the process exits or prints nothing matching in time.
 */
function startAndReadUrl(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  cwd?: string,
): Promise<Started> {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${command} printed no URL within ${String(STARTUP_TIMEOUT_MS)} ms`));
    }, STARTUP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${command} exited with ${String(code)} before printing its URL:\n${stderr.join('')}`,
        ),
      );
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      // eslint-disable-next-line no-control-regex -- strips terminal colour codes
      const match = pattern.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match?.[1]) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ process: child, url: match[1] });
      }
    });
  });
}

const REPO_ROOT = path.join(import.meta.dirname, '../..');

/** Test-only Stripe keys: the fake Stripe server accepts any key starting with `sk_`. */
export const STRIPE_TEST_KEYS = {
  secretKey: 'sk_test_melodyE2eSecretKey',
  webhookSecret: 'whsec_melodyE2eWebhookSecret',
  publishableKey: 'pk_test_melodyE2ePublishableKey',
} as const;

/**
 * `melody serve` on port 0 with a database in a new temporary directory.
 * Every `STRIPE_*` variable of the calling environment is dropped, so only
 * `extraEnv` configures Stripe.
 */
export async function startMelody(
  studioTimezone: string,
  extraEnv: Record<string, string> = {},
): Promise<Started & { dataDir: string }> {
  const binary = path.resolve(
    process.env.MELODY_BIN ?? path.join(import.meta.dirname, '../../target/debug/melody'),
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'melody-e2e-'));
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('STRIPE_')),
  );
  const env = {
    ...inherited,
    MELODY_DB: path.join(dataDir, 'melody.db'),
    PORT: '0',
    STUDIO_TIMEZONE: studioTimezone,
    ...extraEnv,
  };
  // First stdout line: "MelodyandMeter listening on http://127.0.0.1:PORT (database ...)".
  const started = await startAndReadUrl(binary, ['serve'], env, /listening on (http:\/\/\S+)/);
  return { ...started, dataDir };
}

/** Returns the environment that points melody at a Stripe API base with the test keys. */
export function stripeEnv(apiBase: string): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: STRIPE_TEST_KEYS.secretKey,
    STRIPE_WEBHOOK_SECRET: STRIPE_TEST_KEYS.webhookSecret,
    STRIPE_PUBLISHABLE_KEY: STRIPE_TEST_KEYS.publishableKey,
    STRIPE_API_BASE: apiBase,
    MELODY_SECRET_STORE: 'file',
  };
}

/**
 * Starts the repository's fake Stripe server (tests/stripe/fake_stripe.py) on
 * 127.0.0.1, on `port` or on a free port when it is 0. Needs `.venv-test`,
 * which scripts/setup creates.
 */
export async function startFakeStripe(port = 0): Promise<Started> {
  const python = path.join(REPO_ROOT, '.venv-test/bin/python');
  const started = await startAndReadUrl(
    python,
    ['tests/stripe/fake_stripe.py', '--port', String(port)],
    process.env,
    /listening on (127\.0\.0\.1:\d+)/,
    REPO_ROOT,
  ).catch((error: unknown) => {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`the fake Stripe server did not start (run scripts/setup first): ${detail}`);
  });
  return { ...started, url: `http://${started.url}` };
}

/** Registers melody's webhook endpoint with the fake Stripe server, signed with the test secret. */
export async function registerWebhook(stripeUrl: string, melodyUrl: string): Promise<void> {
  const form = new URLSearchParams({
    url: `${melodyUrl}/api/webhooks/stripe`,
    secret: STRIPE_TEST_KEYS.webhookSecret,
  });
  const response = await fetch(`${stripeUrl}/_config/webhooks/melody`, {
    method: 'POST',
    body: form,
  });
  if (!response.ok) {
    throw new Error(
      `registering the webhook with the fake Stripe server failed: HTTP ${String(response.status)} ${await response.text()}`,
    );
  }
}

/**
 * Returns a 127.0.0.1 port that was free a moment ago and has no listener now,
 * for a Stripe API base that refuses connections.
 */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('the probe server reported no port'));
      });
    });
  });
}

/** `vite preview` of `dist/` on a free port, forwarding `/api` to `apiUrl`. */
export async function startPreview(apiUrl: string): Promise<Started> {
  const uiDir = path.join(import.meta.dirname, '..');
  const vite = path.join(uiDir, 'node_modules/.bin/vite');
  const env = { ...process.env, MELODY_API: apiUrl, NO_COLOR: '1' };
  return startAndReadUrl(
    vite,
    ['preview', '--port', '0'],
    env,
    /Local:\s+(http:\/\/\S+?)\/?$/,
    uiDir,
  );
}

/** Ends a process this module started, and waits until it has exited. */
export async function stop(started: Started | undefined): Promise<void> {
  const child = started?.process;
  if (child?.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
