//! Starts and stops the processes the browser tests run against: `melody serve`
//! on a fresh database, and, while the binary does not embed the UI yet, a Vite
//! preview server that forwards `/api` to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** `melody serve` on port 0 with a database in a new temporary directory. */
export async function startMelody(studioTimezone: string): Promise<Started & { dataDir: string }> {
  const binary = path.resolve(
    process.env.MELODY_BIN ?? path.join(import.meta.dirname, '../../target/debug/melody'),
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'melody-e2e-'));
  const env = {
    ...process.env,
    MELODY_DB: path.join(dataDir, 'melody.db'),
    PORT: '0',
    STUDIO_TIMEZONE: studioTimezone,
  };
  // First stdout line: "MelodyandMeter listening on http://127.0.0.1:PORT (database ...)".
  const started = await startAndReadUrl(binary, ['serve'], env, /listening on (http:\/\/\S+)/);
  return { ...started, dataDir };
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
