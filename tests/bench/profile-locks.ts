// Dev tool (not a benchmark): which IndexedDB transactions the community worker holds over the tables
// pages and the search worker read after an import, and how long a read from another connection waits
// meanwhile. `seed` imports the search figures' community and closes the browser as soon as the import
// is reported (the figures' navigation to the search page ends that worker too); `watch` opens a copy
// of that profile on the search page and logs every readwrite transaction of the new community worker
// (stores, time from its opening to its end, the stack that opened it) while a second tab reads a few
// post rows, and apart a few records, every 500 ms.
// Usage: node --import tsx tests/bench/profile-locks.ts seed <dir> [port]
//        node --import tsx tests/bench/profile-locks.ts watch <dir> [port] [--after-s N]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';
import { copiedProfile, importCommunityFile, openDevice, serveBuild } from './browser-bench';
import { ensureSearchDataset, waitForMeasure } from './search-figures';
import { importIdentity } from './sync-bench';
import { workerProfiler } from './worker-profiler';

/** Logs the worker's readwrite transactions (and readonly ones that last over 200 ms) with their opener's stack. */
const TX_LOG = `(() => {
  Error.stackTraceLimit = 40;
  const log = (globalThis.__txlog = []);
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    const names = (typeof stores === 'string' ? [stores] : [...stores]).sort().join(',');
    const t = open.call(this, stores, mode, ...rest);
    const start = performance.now();
    const row = { db: this.name, names, mode: mode || 'readonly', start: Math.round(performance.timeOrigin + start), ms: null, how: 'open', stack: new Error().stack };
    log.push(row);
    const end = (how) => () => {
      row.ms = Math.round(performance.now() - start);
      row.how = how;
      if (row.ms < 200) row.stack = '';
    };
    t.addEventListener('complete', end('complete'));
    t.addEventListener('abort', end('abort'));
    return t;
  };
  return true;
})()`;

interface Read {
  what: 'posts' | 'records';
  at: number;
  ms: number;
}

/**
 * Reads a few post rows, and apart a few records, every 500 ms from a connection of its own (as the
 * pages and the search worker read); notes how long each took.
 */
async function startReader(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __reads: { what: string; at: number; ms: number }[]; __waiting: Record<string, number> };
    w.__reads = [];
    w.__waiting = {};
    const req = indexedDB.open('hearth');
    req.onsuccess = () => {
      const db = req.result;
      // An upgrade of the app's schema is never held back by this connection.
      db.onversionchange = () => db.close();
      const tick = (what: string, stores: string[]) => {
        const start = performance.now();
        const tx = db.transaction(stores, 'readonly');
        for (const s of stores) tx.objectStore(s).getAll(null, 5);
        w.__waiting[what] = Math.round(performance.timeOrigin + start);
        tx.oncomplete = () => {
          delete w.__waiting[what];
          w.__reads.push({ what, at: Math.round(performance.timeOrigin + start), ms: Math.round(performance.now() - start) });
          setTimeout(() => tick(what, stores), 500);
        };
      };
      tick('posts', ['threads', 'replies']);
      tick('records', ['records', 'recordPages']);
    };
  });
}

/** The community worker of the page's current document: a SharedWorker outlives a navigation only briefly, so the old one is skipped. */
async function currentWorker(page: Page) {
  for (const until = Date.now() + 30_000; Date.now() < until; ) {
    const worker = await workerProfiler(page);
    if (!(await worker.evaluate('!!globalThis.__txlog'))) return worker;
    await page.waitForTimeout(100);
  }
  throw new Error('the community worker was not replaced');
}

const [command, dir, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 4688);
const afterIndex = process.argv.indexOf('--after-s');
const afterS = afterIndex > 0 ? Number(process.argv[afterIndex + 1]) : 300;
const base = `http://127.0.0.1:${port}`;
const server = await serveBuild(port);
try {
  if (command === 'seed') {
    // The browser closes as soon as the import is reported: the worker's later work is left to the
    // next open, as the search figures' navigation to the search page leaves it.
    const { file } = await ensureSearchDataset(console.error);
    rmSync(join(dir, 'profile'), { recursive: true, force: true });
    mkdirSync(join(dir, 'profile'), { recursive: true });
    const device = await openDevice(join(dir, 'profile'), base);
    await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
    const imported = await importCommunityFile(device.page, file, 1_800_000);
    console.error(`imported ${imported.imported} records in ${(imported.ms / 1000).toFixed(1)} s`);
    writeFileSync(join(dir, 'cid'), imported.cid);
    await device.close();
  } else await watch();
} finally {
  server.kill();
}
process.exit(0);

async function watch(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const profile = copiedProfile(join(dir, 'profile'), 'hearth-locks');
  const device = await openDevice(profile, base);
  try {
    const page = device.page;
    const reader = await device.context.newPage();
    await reader.goto('/manifest.webmanifest');
    await startReader(reader);
    const t0 = Date.now();
    await page.goto(`/c/${cid}/search`);
    const worker = await currentWorker(page);
    await worker.evaluate(TX_LOG);
    console.error(`logging from +${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const built = waitForMeasure(page, 'hearth-search.build', 1, afterS * 1000).then(
      ([ms]) => console.log(`index built in ${(ms / 1000).toFixed(1)} s, at +${((Date.now() - t0) / 1000).toFixed(1)} s`),
      () => console.log('index not built')
    );
    await page.waitForTimeout(afterS * 1000);
    await built;
    const log = (await worker.evaluate('JSON.stringify(globalThis.__txlog)')) as string | undefined;
    const txs = (log ? JSON.parse(log) : []) as { db: string; names: string; mode: string; start: number; ms: number | null; how: string; stack: string }[];
    const reads = (await reader.evaluate(() => (window as unknown as { __reads: Read[] }).__reads)) ?? [];
    const waiting = (await reader.evaluate(() => (window as unknown as { __waiting: Record<string, number> }).__waiting)) ?? {};
    report(t0, txs, reads);
    const now = Date.now();
    for (const [what, at] of Object.entries(waiting))
      console.log(`${what} read issued at +${((at - t0) / 1000).toFixed(1)} s still waiting (${((now - at) / 1000).toFixed(0)} s)`);
  } finally {
    await device.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function report(
  t0: number,
  all: { db: string; names: string; mode: string; start: number; ms: number | null; how: string; stack: string }[],
  reads: Read[]
): void {
  const rel = (at: number) => `${((at - t0) / 1000).toFixed(1)}s`;
  const now = Date.now();
  console.log('transactions still open:');
  for (const t of all.filter((t) => t.ms === null)) {
    console.log(`  opened at ${rel(t.start)} (${((now - t.start) / 1000).toFixed(0)} s ago) ${t.db} ${t.names} ${t.mode}`);
    console.log(
      t.stack
        .split('\n')
        .slice(1, 20)
        .map((l) => `      ${l.trim()}`)
        .join('\n')
    );
  }
  const txs = all.filter((t): t is typeof t & { ms: number } => t.ms !== null);
  console.log(`${txs.length} transactions ended`);
  const byKind = new Map<string, { n: number; ms: number; max: number }>();
  for (const t of txs) {
    const key = `${t.db} ${t.names} ${t.mode}`;
    const row = byKind.get(key) ?? { n: 0, ms: 0, max: 0 };
    row.n++;
    row.ms += t.ms;
    row.max = Math.max(row.max, t.ms);
    byKind.set(key, row);
  }
  for (const [key, r] of [...byKind].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`  ${key}: ${r.n}, ${r.ms} ms in all, longest ${r.max} ms`);
  console.log('transactions over 1 s:');
  for (const t of txs.filter((t) => t.ms > 1000)) {
    console.log(`  at ${rel(t.start)} ${t.ms} ms ${t.db} ${t.names} ${t.mode} ${t.how}`);
    console.log(
      t.stack
        .split('\n')
        .slice(1, 16)
        .map((l) => `      ${l.trim()}`)
        .join('\n')
    );
  }
  for (const what of ['posts', 'records'] as const) {
    const mine = reads.filter((r) => r.what === what);
    const waits = mine.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `${what} reads: ${mine.length}, median ${waits[Math.floor(waits.length / 2)]} ms, max ${waits.at(-1)} ms; over 100 ms: ${mine
        .filter((r) => r.ms > 100)
        .map((r) => `${rel(r.at)} ${r.ms}`)
        .join(', ')}`
    );
  }
}
