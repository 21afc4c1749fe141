// Dev tool (not a benchmark): what the records of a community file take in Chromium's IndexedDB
// under given index sets, to tell the rows' cost from each index's, and what the same records take
// packed many to a row. Each set is written into a fresh profile (2,000 records a transaction, as
// applyRecords stores them, `target` lifted out as the gate does) and IndexedDB's files are measured
// after writing and after the browser closed. The page fetches the file itself and the clock runs
// in the page around the writes only: handing 100,000 records to `page.evaluate` took 28 s of
// Playwright's serialisation on this machine, which the figures of 2026-12-03 included.
// Usage: node --import tsx tests/bench/idb-index-cost.ts <community file> [port] ['{"name": ["index", …], …}']
// e.g. '{"none": [], "v7": ["[cid+kind]", "target", "[held+cid]", "[cid+author+ts]"]}' (the default).
// A set named `packed<N>` (e.g. "packed500": []) stores N records to a row, keyed by the first one's id.
// IDB_COST_PACK=id,target,cid,author: those fields written as 33-byte binary ids (store/compact-ids'
// packId, here; the page turns them into bytes before the clock starts).
import { chromium } from '@playwright/test';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumLaunch } from '../e2e/browser';
import { targetOf, type AnyRecord } from '../../src/lib/domain/record';
import { packId } from '../../src/lib/store/compact-ids';

const [file, portArg, setsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: idb-index-cost.ts <community file> [port] [index sets as JSON]');
const port = Number(portArg ?? 4399);
const sets: Record<string, string[]> = JSON.parse(setsArg ?? '{"none": [], "v7": ["[cid+kind]", "target", "[held+cid]", "[cid+author+ts]"]}');
/** IDB_COST_PACK: fields stored packed, sent to the page as arrays of byte values (JSON has no bytes). */
const packFields = (process.env.IDB_COST_PACK ?? '').split(',').filter(Boolean);
const rows = (JSON.parse(readFileSync(file, 'utf8')) as { records: AnyRecord[] }).records.map((r) => {
  const target = targetOf(r);
  const row: Record<string, unknown> = target ? { ...r, target } : { ...r };
  for (const field of packFields) {
    const packed = packId(row[field]);
    if (packed instanceof Uint8Array) row[field] = [...packed];
  }
  return row;
});
const body = JSON.stringify(rows);
const dirBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
/** Records a transaction (IDB_COST_CHUNK; 2,000 by default, as applyRecords stores a rebuild's records). */
const chunk = Number(process.env.IDB_COST_CHUNK ?? 2_000);
/** IDB_COST_QUEUED=1: every transaction opened at once (IndexedDB runs them in order), not one after another. */
const queued = process.env.IDB_COST_QUEUED === '1';
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const server = createServer((req, res) => res.end(req.url === '/rows.json' ? body : '<!doctype html><title>idb</title>')).listen(port, '127.0.0.1');
try {
  for (const [name, indexes] of Object.entries(sets)) {
    const profile = mkdtempSync(join(tmpdir(), 'hearth-idb-cost-'));
    try {
      const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch(), headless: true });
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`http://127.0.0.1:${port}/`);
      const packed = Number(/^packed(\d+)$/.exec(name)?.[1] ?? 1);
      const ms = await page.evaluate(
        async ({ indexes, chunk, queued, packed, packFields }) => {
          const all = (await (await fetch('/rows.json')).json()) as { id: string }[];
          for (const row of all as Record<string, unknown>[])
            for (const f of packFields) if (Array.isArray(row[f])) row[f] = new Uint8Array(row[f] as number[]);
          const started = performance.now();
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const open = indexedDB.open('cost', 1);
            open.onupgradeneeded = () => {
              const store = open.result.createObjectStore('records', { keyPath: 'id' });
              for (const index of indexes) store.createIndex(index, index.startsWith('[') ? index.slice(1, -1).split('+') : index);
            };
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          const writes: Promise<void>[] = [];
          for (let j = 0; j < all.length; j += chunk) {
            const slice = all.slice(j, j + chunk);
            const write = new Promise<void>((resolve, reject) => {
              const tx = db.transaction('records', 'readwrite');
              const store = tx.objectStore('records');
              if (packed > 1) for (let k = 0; k < slice.length; k += packed) store.put({ id: slice[k].id, rows: slice.slice(k, k + packed) });
              else for (const row of slice) store.put(row);
              tx.oncomplete = () => resolve();
              tx.onerror = () => reject(tx.error);
            });
            writes.push(write);
            if (!queued) await write;
          }
          await Promise.all(writes);
          db.close();
          return performance.now() - started;
        },
        { indexes, chunk, queued, packed, packFields }
      );
      const idb = join(profile, 'Default', 'IndexedDB');
      const written = dirBytes(idb);
      const estimate = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
      await context.close();
      const what = `${packed > 1 ? `${packed} records a row` : indexes.join(', ') || 'no index'}${packFields.length ? `; packed ${packFields.join(', ')}` : ''}`;
      console.log(
        `${name} (${what}; ${chunk} records a transaction${queued ? ', queued' : ''}): ${mb(written)} written (estimate ${mb(estimate)}), ${mb(dirBytes(idb))} after closing; ${ms.toFixed(0)} ms`
      );
    } finally {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
    }
  }
} finally {
  server.close();
}
