// Seeding a device for analysis journeys: the demo creator's identity (its key is derived from a
// public seed, see scripts/data/member-keys.ts) restored through onboarding's "Import identity
// file", then a community file imported through the home page's "Import community file" control.
import { expect, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFileText } from '../../src/lib/crypto/identity';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';

/** Writes the identity file of the creator of every demo and benchmark community; returns its path and key. */
export async function demoCreatorIdentityFile(): Promise<{ file: string; publicKey: string }> {
  const stored = await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle);
  const file = join(mkdtempSync(join(tmpdir(), 'hearth-identity-')), 'hearth-identity.json');
  writeFileSync(file, identityFileText(stored, { name: DEMO_CREATOR.name, lang: 'en', createdAt: Date.now() }));
  return { file, publicKey: stored.publicKey };
}

export async function restoreIdentity(page: Page, file: string): Promise<void> {
  await page.goto('/');
  await page.locator('#ob-import').setInputFiles(file);
  await expect(page.getByRole('heading', { name: 'My communities' })).toBeVisible({ timeout: 20_000 });
}

/** Imports a community file on the home page and returns the community id. */
export async function importCommunity(page: Page, file: string): Promise<string> {
  await page.goto('/');
  await page.getByTestId('community-file-input').setInputFiles(file);
  const result = page.getByTestId('community-file-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  expect(Number(await result.getAttribute('data-rejected'))).toBe(0);
  return (await result.getAttribute('data-cid')) ?? '';
}

/**
 * Collects the page's long tasks (over 50 ms, as the browser defines them) from the start, with
 * their start times, into window.__longTasks. Install before the first navigation.
 */
export function observeLongTasks(): void {
  const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

export async function longTasksSince(page: Page, since: number): Promise<{ start: number; duration: number }[]> {
  return page.evaluate((t) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((x) => x.start >= t), since);
}
