// Dev tool (not a benchmark): where a search query's time goes, on the community of the search figures
// (tests/bench/search-figures.ts: 50,000 threads and replies). Importing it and building its index
// take minutes, so the seeded profile is kept and copied for each measurement.
// Usage: node --import tsx tests/bench/profile-search.ts seed <dir> [port]
//        node --import tsx tests/bench/profile-search.ts measure <dir> [port] [--app <checkout>] [--cpu] [--queries N]
// `measure` runs the figures' queries as they do (typed in the search page, the page's reported time)
// and prints p50/p95, the slowest queries with the IndexedDB requests the search worker made for
// each (counted by wrapping the worker's IDBObjectStore and IDBIndex methods), and with --cpu the
// search worker's CPU profile over the run (self time, and the app's frames nearest the top). Each query's
// time is split into the index's lookup and the reading of its results (the worker's `hearth-search.lookup`
// and `hearth-search.query` measures): on 2026-12-07 the reading was ~85 % of it (mean 27 of 32 ms), and of
// the reading ~80 % the pages of 32 records each result's text is filled from.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { AnyRecord } from '../../src/lib/domain/record';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';
import { copiedProfile, importCommunityFile, openDevice, serveBuild } from './browser-bench';
import { ensureSearchDataset, quietPage, runQuery, sampleQueries, waitForMeasure } from './search-figures';
import { importIdentity, percentile } from './sync-bench';
import { type Profile, type TargetInfo, workerProfiler } from './worker-profiler';

const [command, dir, portArg] = process.argv.slice(2);
const flag = (name: string) => process.argv.indexOf(name);
const port = Number(portArg ?? 4688);
const base = `http://127.0.0.1:${port}`;

const searchWorker = (t: TargetInfo) => t.type === 'worker' && (t.title.includes('hearth-search') || t.url.includes('search'));

/** Wraps the worker's IndexedDB request methods so each request made is counted (`__idb`). */
const COUNT_IDB = `(() => {
  if (self.__idb) return true;
  self.__idb = { requests: 0 };
  for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype]) {
    for (const name of ['get', 'getAll', 'getAllKeys', 'getKey', 'openCursor', 'openKeyCursor', 'count']) {
      const f = proto[name];
      if (f) proto[name] = function (...args) { self.__idb.requests++; return f.apply(this, args); };
    }
  }
  return true;
})()`;

async function seed(): Promise<void> {
  const { file } = await ensureSearchDataset(console.error);
  rmSync(join(dir, 'profile'), { recursive: true, force: true });
  mkdirSync(join(dir, 'profile'), { recursive: true });
  const device = await openDevice(join(dir, 'profile'), base);
  await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
  const imported = await importCommunityFile(device.page, file);
  console.error('imported', imported);
  await device.page.goto(`/c/${imported.cid}/search`);
  const [buildMs] = await waitForMeasure(device.page, 'hearth-search.build', 1, 900_000);
  await device.page.locator('[data-testid="search-status"][data-index="ready"]').waitFor();
  console.error(`index built in ${(buildMs / 1000).toFixed(1)} s`);
  writeFileSync(join(dir, 'cid'), imported.cid);
  await settle(device.page);
  await device.close();
}

/**
 * Waits until the community worker has finished what it does after an import (it projects in
 * readwrite transactions over the tables a query reads, for minutes at 134,000 records): until six
 * queries in a row, five seconds apart, are answered within a second.
 */
async function settle(page: Page, limitMs = 1_200_000): Promise<void> {
  const started = Date.now();
  let quick = 0;
  for (let i = 0; quick < 6 && Date.now() - started < limitMs; i++) {
    const q = ['brake', 'wheel', 'saddle', 'chain', 'tyre', 'frame'][i % 6];
    const ms = await runQuery(page, `${q} ${i}`).catch(() => Infinity);
    quick = ms < 1000 ? quick + 1 : 0;
    console.error(`settle: +${((Date.now() - started) / 1000).toFixed(0)} s "${q} ${i}" ${ms.toFixed(0)} ms`);
    await page.waitForTimeout(5000);
  }
}

function frameName(node: Profile['nodes'][number]): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
}

function summarise(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const stacks = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') continue;
    busy += dt;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + dt);
    const chain: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined && chain.length < 4; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (n.callFrame.url.includes('/_app/') && n.callFrame.functionName) chain.push(frameName(n));
    }
    const key = chain.join(' < ') || name;
    stacks.set(key, (stacks.get(key) ?? 0) + dt);
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\nsearch worker busy ${busy.toFixed(0)} ms over the run\n  self:`);
  for (const [name, ms] of top(self, 20)) console.log(`    ${ms.toFixed(1)} ms ${name}`);
  console.log('  app stacks:');
  for (const [name, ms] of top(stacks, 20)) console.log(`    ${ms.toFixed(1)} ms ${name}`);
}

async function measure(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const { file } = await ensureSearchDataset(console.error);
  const records = (JSON.parse(readFileSync(file, 'utf8')) as { records: AnyRecord[] }).records;
  const count = flag('--queries') > 0 ? Number(process.argv[flag('--queries') + 1]) : 200;
  const queries = sampleQueries(records, count);
  const copy = copiedProfile(join(dir, 'profile'), 'hearth-profile-search');
  try {
    const device = await openDevice(copy, base);
    const page = device.page;
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`/c/${cid}/search`);
    await page.locator('[data-testid="search-status"][data-index="ready"]').waitFor({ timeout: 600_000 });
    console.error(`page quiet after ${((await quietPage(page)) / 1000).toFixed(1)} s`);
    const worker = await workerProfiler(page, { pick: searchWorker, intervalUs: 250 });
    if (!process.env.NO_COUNT) console.error('count installed:', await worker.evaluate(COUNT_IDB));
    const counts = async () => (process.env.NO_COUNT ? '{"requests":0}' : ((await worker.evaluate('JSON.stringify(self.__idb)')) as string));
    for (const q of ['tubeless', 'wheel', 'saddle height', 'gea', 'brake']) await runQuery(page, q);
    const cpu = flag('--cpu') > 0;
    if (cpu) await worker.start();
    const rows: { q: string; ms: number; requests: number; results: number; lookup: number; reading: number }[] = [];
    for (const q of queries) {
      const before = JSON.parse(await counts()) as { requests: number };
      const ms = await runQuery(page, q);
      const after = JSON.parse(await counts()) as { requests: number };
      const results = await page.getByTestId('search-result').count();
      const [lookup, query] = (await worker.evaluate(
        `['hearth-search.lookup', 'hearth-search.query'].map((n) => performance.getEntriesByName(n).at(-1)?.duration ?? NaN)`
      )) as number[];
      rows.push({ q, ms, requests: after.requests - before.requests, results, lookup, reading: query - lookup });
    }
    const profile = cpu ? await worker.stop() : null;
    await device.close();
    const times = rows.map((r) => r.ms);
    const requests = rows.map((r) => r.requests);
    console.log(
      `${rows.length} queries: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms; IndexedDB requests per query p50 ${percentile(requests, 50)}, max ${Math.max(...requests)}`
    );
    console.log('slowest:');
    for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 15))
      console.log(
        `  ${r.ms.toFixed(1)} ms "${r.q}" ${r.results} results, ${r.requests} IndexedDB requests; lookup ${r.lookup.toFixed(1)}, reading ${r.reading.toFixed(1)} ms`
      );
    const split = (k: 'lookup' | 'reading') => rows.map((r) => r[k]).filter((v) => Number.isFinite(v));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / (v.length || 1);
    console.log(
      `in the search worker: lookup mean ${mean(split('lookup')).toFixed(1)}, p95 ${percentile(split('lookup'), 95).toFixed(1)} ms; reading the results mean ${mean(split('reading')).toFixed(1)}, p95 ${percentile(split('reading'), 95).toFixed(1)} ms`
    );
    if (flag('--json') > 0) writeFileSync(process.argv[flag('--json') + 1], JSON.stringify(rows));
    if (profile) summarise(profile);
  } finally {
    rmSync(copy, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  }
}

if (!dir || !['seed', 'settle', 'measure'].includes(command)) {
  console.error('usage: profile-search.ts seed|measure <dir> [port] [--app <checkout>] [--cpu] [--queries N] [--json out]');
  process.exit(2);
}
if (command === 'measure' && !existsSync(join(dir, 'cid'))) {
  console.error(`no seeded profile in ${dir}: run seed first`);
  process.exit(2);
}
// `--app <dir>`: serve another checkout's build/, on the same data.
const app = flag('--app') > 0 ? process.argv[flag('--app') + 1] : '.';
const server = await serveBuild(port, app);
try {
  if (command === 'settle') {
    const device = await openDevice(join(dir, 'profile'), base);
    await device.page.goto(`/c/${readFileSync(join(dir, 'cid'), 'utf8').trim()}/search`);
    await device.page.locator('[data-testid="search-status"][data-index="ready"]').waitFor({ timeout: 600_000 });
    await settle(device.page);
    await device.close();
  } else await (command === 'seed' ? seed() : measure());
} finally {
  server.kill();
}
process.exit(0);
