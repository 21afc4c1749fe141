import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './e2e/browser';

export const E2E_PORT = Number(process.env.E2E_PORT ?? 4317);
export const SIGNALING_PORT = Number(process.env.E2E_SIGNALING_PORT ?? 4445);

export default defineConfig({
  testDir: './e2e',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    launchOptions: chromiumLaunch(),
    trace: 'retain-on-failure'
  },
  webServer: {
    command: `node scripts/serve.js --port ${E2E_PORT} --signaling-port ${SIGNALING_PORT}`,
    cwd: '..',
    url: `http://127.0.0.1:${E2E_PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000
  }
});
