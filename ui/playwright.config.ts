import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  // The busy-week render benchmark runs only through `npm run bench:week`.
  testIgnore: process.env.MELODY_BENCH === '1' ? [] : ['**/perf.spec.ts'],
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-artifacts/results',
  // The tests share one server and its calendar, so they run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    viewport: { width: 1600, height: 1000 },
    // A browser zone far from the studio's shows that times come from the server.
    timezoneId: 'Asia/Tokyo',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    },
  },
});
