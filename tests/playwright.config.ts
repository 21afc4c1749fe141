import { defineConfig } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journeysLaunch } from './e2e/browser';

export const E2E_PORT = Number(process.env.E2E_PORT ?? 4317);
export const SIGNALING_PORT = Number(process.env.E2E_SIGNALING_PORT ?? 4445);
export const RELAY_PORT = Number(process.env.E2E_RELAY_PORT ?? 4457);
const relayData = join(tmpdir(), `hearth-e2e-relay-${process.pid}`);
/** Files whose journeys take minutes in all (last full runs: 150–460 s of test time each). */
const LONG = ['**/durability.spec.ts', '**/hostile.spec.ts', '**/accessibility.spec.ts', '**/sync.spec.ts', '**/devices.spec.ts', '**/media-transfer.spec.ts'];

export default defineConfig({
  testDir: './e2e',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Two at once: a journey spends much of its time waiting on WebRTC, IndexedDB and timers, so two
  // share this 2-core machine's CPU (17 minutes for the suite against 26 with one; E2E_WORKERS=1 for one).
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    launchOptions: journeysLaunch(),
    // Recording a trace costs a fifth of a journey's time (sync and clear-states: 2.0–2.1 min without,
    // 2.4–2.5 with): recorded when a failed test runs again (CI retries once; E2E_TRACE=on locally).
    trace: (process.env.E2E_TRACE as 'on' | 'off' | 'retain-on-failure' | 'on-first-retry' | undefined) ?? 'on-first-retry'
  },
  // Journeys tagged @alone run by themselves once the others are done: they time the page's main
  // thread (no long task while the analysis runs) or load both cores on their own (a 20,000-record
  // flood), and beside another journey's browsers a task's wall time includes waiting for a core
  // (193 ms in one such run) and the flood missed its 30 s. `--no-deps` runs them without the rest.
  // The longest files (minutes each: 50 kills, six attacks, axe on every page, seven sync journeys)
  // are a project of their own, listed first so the workers take them first: the suite's end is then
  // made of short files, and no worker idles while the other finishes a five-minute one.
  projects: [
    { name: 'long', testMatch: LONG, grepInvert: /@alone/ },
    { name: 'journeys', testIgnore: LONG, grepInvert: /@alone/ },
    // Never traced, not even on a retry: Playwright's trace snapshots the page's DOM on its main thread
    // at each action and assertion (30–40 ms on the insights dashboard), and these journeys time the
    // app's tasks there. Set here, not by a test.use in their files: `trace` is a worker-scoped option,
    // and insights.spec.ts's file-wide one gave its graph journey (project `journeys`) a worker hash of
    // its own, which Playwright runs after every group the running workers can take: that journey ran
    // last, on a new worker, the other worker idle and `alone` waiting for it (27–47 s of full runs).
    { name: 'alone', grep: /@alone/, dependencies: ['long', 'journeys'], workers: 1, use: { trace: 'off' } }
  ],
  // Baselines named as before there were projects (no project name in the file name).
  snapshotPathTemplate: '{testDir}/{testFilePath}-snapshots/{arg}-{platform}{ext}',
  webServer: [
    {
      command: `node scripts/serve.js --port ${E2E_PORT} --signaling-port ${SIGNALING_PORT}`,
      cwd: '..',
      url: `http://127.0.0.1:${E2E_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000
    },
    {
      command: `node scripts/relay.js --port ${RELAY_PORT} --host 127.0.0.1 --data ${relayData}`,
      cwd: '..',
      url: `http://127.0.0.1:${RELAY_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 30_000
    }
  ]
});
