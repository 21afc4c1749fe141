// Browser measurements for `npm run bench`: Chromium with a persistent profile (so the service
// worker installs and the app opens offline, as on a person's device), driven through the app's
// own UI. Every figure is a measurement; nothing here fails on a time.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { chromiumLaunch } from '../e2e/browser';

const require = createRequire(import.meta.url);
/** Dexie's UMD build, injected into the page to time the app's own feed query with the same library. */
export const DEXIE_UMD = require.resolve('dexie/dist/dexie.js');

/** Selector of what "first painted" waits for: a feed row of the app, or the blank page's paragraph. */
const PAINT_TARGET = '#blank, [data-testid="thread-row"]';

/**
 * Runs before any page script: notes performance.now() (ms since navigation start) once the target
 * is in the DOM and a frame has been painted after it (rAF, then a task).
 */
function paintProbe(selector: string) {
  const w = window as unknown as { __benchFirstPaint?: number; __benchSeen?: boolean };
  const check = () => {
    if (w.__benchSeen || !document.querySelector(selector)) return;
    w.__benchSeen = true;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => (w.__benchFirstPaint = performance.now()), 0));
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
  // A page without scripts may be parsed whole before this runs: look once now and once when parsed.
  check();
  document.addEventListener('DOMContentLoaded', check);
}

export interface Device {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openDevice(profileDir: string, baseURL: string, options: { offline?: boolean } = {}): Promise<Device> {
  const context = await chromium.launchPersistentContext(profileDir, { ...chromiumLaunch(), headless: true, baseURL });
  // tsx (esbuild, keepNames) wraps named inner functions in __name(): give pages a no-op one, so
  // functions passed to addInitScript and evaluate run as written.
  await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  await context.addInitScript(paintProbe, PAINT_TARGET);
  if (options.offline) await context.setOffline(true);
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  return { context, page, close: () => context.close() };
}

/** ms from navigation start until the paint target was painted, for the page's current document. */
export async function firstPaintMs(page: Page, timeout = 120_000): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { __benchFirstPaint?: number }).__benchFirstPaint !== undefined, null, {
    timeout,
    polling: 50
  });
  return page.evaluate(() => (window as unknown as { __benchFirstPaint: number }).__benchFirstPaint);
}

/** gzip size of every script the first visit to `path` loads (module chunks and their static imports). */
export async function firstLoadScripts(page: Page, path: string): Promise<{ files: number; raw: number; gzip: number }> {
  const bodies: Promise<Buffer | null>[] = [];
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (response.ok() && (type === 'script' || response.url().endsWith('.js'))) bodies.push(response.body().catch(() => null));
  });
  await page.goto(path, { waitUntil: 'networkidle' });
  const loaded = (await Promise.all(bodies)).filter((b): b is Buffer => b !== null);
  return {
    files: loaded.length,
    raw: loaded.reduce((s, b) => s + b.length, 0),
    gzip: loaded.reduce((s, b) => s + gzipSync(b).length, 0)
  };
}

/** The onboarding a person goes through: a display name, English, and a new identity. */
export async function createIdentity(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel(/Language|语言/).selectOption('en');
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await page.getByRole('heading', { name: 'My communities' }).waitFor();
}

/** Waits until the service worker is active and has precached the shell, so the app opens offline. */
export async function serviceWorkerReady(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (!registration.active) return false;
    const keys = await caches.keys();
    return keys.some((k) => k.startsWith('hearth-shell-'));
  });
}

export interface ImportResult {
  ms: number;
  cid: string;
  imported: number;
  rejected: number;
}

/** Imports a community file through the home page's "Import community file" control, as a person would. */
export async function importCommunityFile(page: Page, file: string, timeout = 600_000, { navigate = true } = {}): Promise<ImportResult> {
  if (navigate) await page.goto('/');
  const input = page.getByTestId('community-file-input');
  await input.waitFor({ state: 'attached' });
  const started = performance.now();
  await input.setInputFiles(file);
  const outcome = page.locator('[data-testid="community-file-result"], [data-testid="community-file-error"]');
  await outcome.waitFor({ timeout });
  const ms = performance.now() - started;
  if ((await outcome.getAttribute('data-testid')) === 'community-file-error') {
    throw new Error(`import refused: ${await outcome.textContent()}`);
  }
  return {
    ms,
    cid: (await outcome.getAttribute('data-cid')) ?? '',
    imported: Number(await outcome.getAttribute('data-imported')),
    rejected: Number(await outcome.getAttribute('data-rejected'))
  };
}

/**
 * Times the feed's page query (50 threads of a community, newest activity first, on [cid+rank])
 * with Dexie against the app's own IndexedDB, on a page that has no community open.
 */
export async function feedPageQuery(page: Page, cid: string, runs = 20): Promise<{ firstMs: number; medianMs: number; rows: number }> {
  await page.goto('/settings');
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.addScriptTag({ path: DEXIE_UMD });
  return page.evaluate(
    async ({ cid, runs }) => {
      type Table = { where(i: string): { between(a: unknown, b: unknown): { reverse(): { limit(n: number): { toArray(): Promise<unknown[]> } } } } };
      const DexieCtor = (window as unknown as { Dexie: new (name: string) => { open(): Promise<unknown>; table(n: string): Table; close(): void } }).Dexie;
      const db = new DexieCtor('hearth');
      await db.open();
      const query = () => db.table('threads').where('[cid+rank]').between([cid, 0], [cid, Infinity]).reverse().limit(50).toArray();
      let t = performance.now();
      const rows = (await query()).length;
      const firstMs = performance.now() - t;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        t = performance.now();
        await query();
        times.push(performance.now() - t);
      }
      db.close();
      times.sort((a, b) => a - b);
      return { firstMs, medianMs: times[Math.floor(times.length / 2)], rows };
    },
    { cid, runs }
  );
}

/** What this origin stores on the device (IndexedDB and caches), in bytes. */
export async function storageUsed(page: Page): Promise<number> {
  return page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}

export interface TableSize {
  db: string;
  table: string;
  rows: number;
  /** The rows as JSON, binary fields by their byte length: what the values hold, not what the disk holds. */
  jsonBytes: number;
}

/**
 * Every IndexedDB table of the origin with its rows and their size as JSON. Reading every table
 * also makes LevelDB compact much of what the reads touch (its files shrink), so call it after
 * taking `storageUsed`.
 */
export async function tableSizes(page: Page): Promise<TableSize[]> {
  return page.evaluate(async () => {
    const out: { db: string; table: string; rows: number; jsonBytes: number }[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(info.name as string);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const table of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(table).objectStore(table).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        let jsonBytes = 0;
        for (const row of rows) {
          // Binary fields (a stored Yjs update, a chunk) count their bytes, not a JSON rendering of them.
          let binary = 0;
          const json = JSON.stringify(row, (_k, v) => {
            if (!(v instanceof Uint8Array)) return v;
            binary += v.length;
            return 0;
          });
          jsonBytes += (json?.length ?? 0) + binary;
        }
        out.push({ db: info.name, table, rows: rows.length, jsonBytes });
      }
      db.close();
    }
    return out;
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Resolves once the server answers at `url`; fails if the child process exits or 10 s pass. */
export async function waitForServer(url: string, child: ChildProcess) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not start`);
}

/**
 * Serves `app`'s build/ (a checkout: another worktree's, to compare builds on the same data) on `port`,
 * without a signaling server, once it answers.
 */
export async function serveBuild(port: number, app = '.'): Promise<ChildProcess> {
  const server = spawn(process.execPath, [join(app, 'scripts', 'serve.js'), '--port', String(port), '--no-signaling'], {
    stdio: ['ignore', 'ignore', 'inherit']
  });
  try {
    await waitForServer(`http://127.0.0.1:${port}`, server);
  } catch (error) {
    server.kill();
    throw error;
  }
  return server;
}

/**
 * A copy of a seeded browser profile for one run (the caller removes it), without the seed's service
 * worker, which would serve the build it cached: the run loads the one served now.
 */
export function copiedProfile(profileDir: string, prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(profileDir, copy, { recursive: true });
  rmSync(join(copy, 'Default', 'Service Worker'), { recursive: true, force: true });
  return copy;
}

/**
 * What a member does while the main thread is measured (`main.max_task_ms`): opens the community,
 * scrolls the feed and posts a thread, then stays 2 s on the new thread's page.
 */
export async function openScrollAndPost(page: Page, cid: string): Promise<void> {
  await page.goto(`/c/${cid}`);
  await firstPaintMs(page);
  await page.getByRole('feed').first().waitFor();
  for (let i = 0; i < 8; i++) {
    await page.mouse.wheel(0, 1200);
    await page.waitForTimeout(250);
  }
  await page.getByRole('link', { name: /New thread/ }).click();
  await page.getByLabel('Title', { exact: true }).fill('Measured while posting');
  await page.getByLabel(/Write in Markdown/).fill('A thread written during the main-thread trace.');
  await page.getByRole('button', { name: 'Post thread' }).click();
  // A first post in a community without an epoch yet waits for the worker's key upkeep (10,000 wraps):
  // seconds on a quiet machine, minutes on a loaded one.
  await page.getByRole('heading', { level: 1, name: 'Measured while posting' }).waitFor({ timeout: 240_000 });
  await page.waitForTimeout(2_000);
}

export interface HeldLayout {
  /** The community's row says it is held in shards (its genesis's `shards: 'month'`). */
  sharded: boolean;
  /** Months in its shard catalogue, held and evicted (the core is not catalogued). */
  held: number;
  evicted: number;
}

/** How this device holds a community, read from the app's IndexedDB: in shards (and how many months) or as one document. */
export async function heldLayout(page: Page, cid: string): Promise<HeldLayout> {
  return page.evaluate(async (cid) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('hearth');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = <T>(table: string) =>
      new Promise<T[]>((resolve, reject) => {
        if (!db.objectStoreNames.contains(table)) return resolve([]);
        const req = db.transaction(table).objectStore(table).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    const row = (await all<{ cid: string; shards?: string }>('communities')).find((c) => c.cid === cid);
    const months = (await all<{ cid: string; state: string }>('shardCatalogue')).filter((r) => r.cid === cid);
    db.close();
    return {
      sharded: row?.shards === 'month',
      held: months.filter((r) => r.state === 'held').length,
      evicted: months.filter((r) => r.state === 'evicted').length
    };
  }, cid);
}

export const describeLayout = (l: HeldLayout) =>
  l.sharded ? `held in shards (core and ${l.held} months${l.evicted ? `, ${l.evicted} evicted` : ''})` : 'held as one document';
