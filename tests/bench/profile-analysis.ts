// Dev tool (not a benchmark): the Insights refreshes of `npm run bench`'s analysis figures on a kept
// profile, without importing 100,000 records each time (the import is ~5 min of the bench's ~10).
// Usage: node --import tsx tests/bench/profile-analysis.ts seed <dir> [port]
//        node --import tsx tests/bench/profile-analysis.ts measure <dir> [port] [--runs N] [--parts a,b] [--cpuprofile <prefix>]
//        node --import tsx tests/bench/profile-analysis.ts idb <dir> [port] [--reps N]   (raw IndexedDB reads, see idbReads)
// `seed` does what analysisFigures does before it measures (the demo creator's identity, the
// generated 10k community imported, opened once until its record count holds still) into
// <dir>/profile; `measure` copies that profile, serves nothing itself (run scripts/serve.js on the
// port), opens Insights with every analysis, and logs the cold run and N refreshes as the bench
// does. `--cpuprofile` profiles both analysis workers over the first refresh, writes
// <prefix>.<lane>.cpuprofile and prints the functions with the most time (self and inclusive).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { join } from 'node:path';
import { copiedProfile, importCommunityFile, openDevice } from './browser-bench';
import { runOnce, waitForQuietPage, waitForStableRecords } from './analysis-figures';
import { workerProfiler, type Profile } from './worker-profiler';
import { ensureDataset } from '../../scripts/data/datasets';
import { demoCreatorIdentityFile } from '../e2e/seed';

const [command, dir, portArg] = process.argv.slice(2);
const flag = (name: string) => process.argv.indexOf(name);
const base = `http://127.0.0.1:${Number(portArg ?? 4699)}`;

async function seed(): Promise<void> {
  const { file } = await ensureDataset('generated-10k', { log: console.error });
  const identity = await demoCreatorIdentityFile();
  rmSync(join(dir, 'profile'), { recursive: true, force: true });
  mkdirSync(join(dir, 'profile'), { recursive: true });
  const device = await openDevice(join(dir, 'profile'), base);
  await device.page.goto('/');
  await device.page.locator('#ob-import').setInputFiles(identity.file);
  await device.page.getByRole('heading', { name: 'My communities' }).waitFor();
  const imported = await importCommunityFile(device.page, file);
  console.error('imported', imported);
  await device.page.goto(`/c/${imported.cid}`);
  const quiet = await waitForQuietPage(device.page, 5_000, 300_000);
  const stable = await waitForStableRecords(device.page, imported.cid, 15_000, 300_000);
  console.error(`opened once: quiet after ${(quiet / 1000).toFixed(1)} s, records unchanged for 15 s after ${(stable / 1000).toFixed(1)} s more`);
  writeFileSync(join(dir, 'cid'), imported.cid);
  await device.close();
}

/** The functions with the most samples: self time, and time with the function anywhere on the stack. */
function summarise(name: string, profile: Profile, top = 25): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    return `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const id = profile.samples[i];
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    total += dt;
    self.set(label(id), (self.get(label(id)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(label(at));
    for (const l of seen) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, ms]) => `    ${ms.toFixed(0).padStart(6)} ms ${l}`)
      .join('\n');
  console.log(`\n${name}: ${total.toFixed(0)} ms busy\n  self:\n${list(self)}\n  inclusive:\n${list(inclusive)}`);
}

/** The community's stored records per kind (one count per kind on `[cid+kind]`). */
async function kindCounts(page: Page, cid: string): Promise<Record<string, number>> {
  return page.evaluate(async (cid) => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const open = indexedDB.open('hearth');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const index = db.transaction('records').objectStore('records').index('[cid+kind]');
    const kinds: string[] = await new Promise((resolve) => {
      // The distinct kinds: one cursor step per kind (nextunique), then a count of each.
      const found: string[] = [];
      const walk = index.openKeyCursor(IDBKeyRange.bound([cid], [cid, []]), 'nextunique');
      walk.onsuccess = () => {
        const c = walk.result;
        if (!c) return resolve(found);
        found.push((c.key as string[])[1]);
        c.continue();
      };
    });
    const counts: Record<string, number> = {};
    for (const kind of kinds)
      counts[kind] = await new Promise<number>((resolve) => {
        const q = index.count(IDBKeyRange.only([cid, kind]));
        q.onsuccess = () => resolve(q.result);
      });
    db.close();
    return counts;
  }, cid);
}

async function measure(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const runs = flag('--runs') > 0 ? Number(process.argv[flag('--runs') + 1]) : 3;
  const cpuprofile = flag('--cpuprofile') > 0 ? process.argv[flag('--cpuprofile') + 1] : null;
  const parts = flag('--parts') > 0 ? process.argv[flag('--parts') + 1] : 'dashboard,members,graph,recs';
  const copy = copiedProfile(join(dir, 'profile'), 'hearth-profile-analysis');
  try {
    const device = await openDevice(copy, base);
    const page = device.page;
    try {
      await page.goto('/');
      console.log(`stored records by kind: ${JSON.stringify(await kindCounts(page, cid))}`);
      await page.goto(`/c/${cid}/insights?parts=${parts}`);
      const cdp = await device.context.newCDPSession(page);
      const line = (i: number, r: Awaited<ReturnType<typeof runOnce>>) => {
        const t = r.timings;
        console.log(
          `run ${i}${i === 1 ? ' (cold)' : ''}: load ${t.loadMs.toFixed(0)} ms${t.reusedRows ? ' (rows reused)' : ''}, dashboard ${t.dashboardMs.toFixed(0)}, members ${t.membersMs.toFixed(0)}, ` +
            `graph ${t.graphMetricsMs.toFixed(0)}, louvain ${t.louvainMs.toFixed(0)}, recs train ${t.recsTrainMs.toFixed(0)}, rank one ${t.recsRankOneMs.toFixed(1)}, total ${t.totalMs.toFixed(0)} ms` +
            `\n  load steps (ms from the load's start): ${JSON.stringify(t.loadSteps ?? {})}`
        );
      };
      line(1, await runOnce(page, cdp, copy, false, 300_000));
      const settled = await waitForQuietPage(page, 3_000, 180_000);
      console.log(`page quiet after ${(settled / 1000).toFixed(1)} s`);
      for (let i = 0; i < runs; i++) {
        const profilers =
          cpuprofile && i === 0
            ? await Promise.all(
                ['hearth-analysis', 'hearth-analysis-graph'].map(async (lane) => ({
                  lane,
                  profiler: await workerProfiler(page, { pick: (t) => t.type === 'worker' && t.title === lane })
                }))
              )
            : [];
        for (const { profiler } of profilers) await profiler.start();
        const r = await runOnce(page, cdp, copy, true, 300_000);
        for (const { lane, profiler } of profilers) {
          const profile = await profiler.stop();
          writeFileSync(`${cpuprofile}.${lane}.cpuprofile`, JSON.stringify(profile));
          summarise(lane, profile);
        }
        line(i + 2, r);
        console.log(`  stored records by kind after it: ${JSON.stringify(await kindCounts(page, cid))}`);
      }
    } finally {
      await device.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * Raw IndexedDB reads in the page, interleaved `reps` times on one profile, so both sides of each
 * change meet the same load: a kind's records one `get` per id (what Dexie's getMany does) against
 * the kind's range of `[cid+kind]` in one getAll, and the records the authority replay reads.
 */
async function idbReads(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const reps = flag('--reps') > 0 ? Number(process.argv[flag('--reps') + 1]) : 3;
  const copy = copiedProfile(join(dir, 'profile'), 'hearth-profile-analysis');
  try {
    const device = await openDevice(copy, base);
    try {
      // A document of the origin that runs none of the app (no community worker reading meanwhile).
      await device.page.goto('/favicon.png');
      for (let i = 0; i < reps; i++) {
        const times = await device.page.evaluate(async (cid) => {
          const db: IDBDatabase = await new Promise((resolve, reject) => {
            const open = indexedDB.open('hearth');
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          const done = <T>(req: IDBRequest<T>) =>
            new Promise<T>((resolve, reject) => {
              req.onsuccess = () => resolve(req.result);
              req.onerror = () => reject(req.error);
            });
          const out: Record<string, number> = {};
          const timed = async (name: string, f: () => Promise<unknown>) => {
            const t = performance.now();
            await f();
            out[name] = Math.round(performance.now() - t);
          };
          const index = () => db.transaction('records').objectStore('records').index('[cid+kind]');
          const ids = await done(index().getAllKeys(IDBKeyRange.only([cid, 'reply'])));
          await timed('replyRecordsByKey', () => {
            const store = db.transaction('records').objectStore('records');
            return Promise.all(ids.map((id) => done(store.get(id))));
          });
          await timed('replyRecordsByRange', () => done(index().getAll(IDBKeyRange.only([cid, 'reply']))));
          await timed('replyRows', () => done(db.transaction('replies').objectStore('replies').index('cid').getAll(IDBKeyRange.only(cid))));
          await timed('authorityRecords', () =>
            Promise.all(['invite', 'join', 'admit', 'grant', 'ban', 'trust', 'level', 'tombstone'].map((k) => done(index().getAll(IDBKeyRange.only([cid, k])))))
          );
          await timed('reactionInviteJoin', () => Promise.all(['reaction', 'invite', 'join'].map((k) => done(index().getAll(IDBKeyRange.only([cid, k]))))));
          db.close();
          return out;
        }, cid);
        console.log(`rep ${i + 1}: ${JSON.stringify(times)}`);
      }
    } finally {
      await device.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

if (command === 'seed') await seed();
else if (command === 'idb') await idbReads();
else if (command === 'measure') await measure();
else console.error('usage: profile-analysis.ts seed|measure <dir> [port] [--runs N] [--cpuprofile <prefix>]');
