// Dev tool (not a benchmark): what the page's longest main-thread tasks run while a member opens the
// generated 10k community, scrolls its feed and posts (the `main.max_task_ms.10k` scenario), with a
// CPU profile of the page attributed to each task. Importing 100,000 records takes minutes, so the
// imported profile is kept and copied for each measurement.
// Usage: [PROFILE_DATASET=se-bicycles-meta] node --import tsx tests/bench/profile-page.ts seed <dir> [port]
//        node --import tsx tests/bench/profile-page.ts settle <dir> [port] [--seconds S] [--app <checkout>]
//        node --import tsx tests/bench/profile-page.ts measure <dir> [port] [--cold [--cold-only]] [--tasks N] [--cpuprofile out] [--app <checkout>]
// `seed` imports the community as its creator into <dir>/profile (the state `npm run bench` measures
// from); `measure` copies it, serves the current build/, optionally times cold offline starts as the
// bench does (--cold), then traces the scenario and prints the longest tasks with the functions
// that ran in them (self time, and the app's frames nearest the top of each stack). `settle` keeps the
// seeded community open online for a while (default 45 s, then 15 s on its search page) so the work an
// import leaves (projections, stats, the search index) is done before starts are timed: measured on an
// unsettled copy, each cold start also did some of it, and one build's starts varied by ~300 ms.
// Each build needs its own seed (and the port it was seeded on: storage is per origin). To compare two
// builds (a worktree at an older commit with `--app`), seed and settle each, then alternate their
// `measure --cold --cold-only` runs; on 2026-12-07 three rounds each gave medians 75 ms apart within a
// ±100 ms spread, where single bench runs had suggested 200 ms.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession } from '@playwright/test';
import { copiedProfile, firstPaintMs, importCommunityFile, openDevice, openScrollAndPost, serveBuild } from './browser-bench';
import { pageMainThreads, type TraceEvent } from './analysis-figures';
import { importIdentity } from './sync-bench';
import { ensureDataset } from '../../scripts/data/datasets';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';

const [command, dir, portArg] = process.argv.slice(2);
const flag = (name: string) => process.argv.indexOf(name);
const port = Number(portArg ?? 4788);
const base = `http://127.0.0.1:${port}`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

async function seed(): Promise<void> {
  // PROFILE_DATASET=se-bicycles-meta seeds the real community (the bench's `main.max_task_ms`).
  const dataset = (process.env.PROFILE_DATASET ?? 'generated-10k') as 'se-bicycles-meta' | 'generated-10k';
  const { file } = await ensureDataset(dataset, { log: console.error });
  rmSync(join(dir, 'profile'), { recursive: true, force: true });
  mkdirSync(join(dir, 'profile'), { recursive: true });
  const device = await openDevice(join(dir, 'profile'), base);
  await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
  const imported = await importCommunityFile(device.page, file);
  console.error('imported', imported);
  writeFileSync(join(dir, 'cid'), imported.cid);
  await device.close();
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split('/').pop() ?? '';
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** The CPU samples inside [from, to) µs: self time per function and per innermost app frame. */
function attribute(profile: CpuProfile, from: number, to: number): { self: [string, number][]; stacks: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const stacks = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t >= to) continue;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i])!;
    const name = frameName(node);
    if (node.callFrame.functionName === '(idle)') continue;
    self.set(name, (self.get(name) ?? 0) + dt);
    // The chain of frames from the app's bundle (not Dexie, not Svelte's runtime), innermost five.
    const chain: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined && chain.length < 6; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (n.callFrame.url.includes('/_app/') && n.callFrame.functionName) chain.push(frameName(n));
    }
    const key = chain.join(' < ') || name;
    stacks.set(key, (stacks.get(key) ?? 0) + dt);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return { self: top(self), stacks: top(stacks) };
}

async function traced(cdp: CDPSession, run: () => Promise<void>): Promise<{ events: TraceEvent[]; profile: CpuProfile }> {
  const events: TraceEvent[] = [];
  const onData = (e: { value: unknown[] }) => void events.push(...(e.value as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8'] },
    transferMode: 'ReportEvents'
  });
  await cdp.send('Profiler.start');
  await run();
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', onData);
  return { events, profile };
}

/** Main-thread time from navigation to the first painted row, and what ran in it. */
function summariseStart(events: TraceEvent[], profile: CpuProfile, paintMs: number): void {
  const main = pageMainThreads(events);
  const nav = events.find((e) => e.name === 'navigationStart' || e.name === 'NavigationTiming');
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && main.has(`${e.pid}/${e.tid}`));
  const from = nav?.ts ?? Math.min(...tasks.map((t) => t.ts));
  const to = from + paintMs * 1000;
  const before = tasks.filter((t) => t.ts >= from && t.ts < to);
  const busy = before.reduce((sum, t) => sum + (t.dur ?? 0), 0) / 1000;
  const longest = before.reduce((m, t) => Math.max(m, t.dur ?? 0), 0) / 1000;
  console.log(
    `\ncold start: paint at ${paintMs.toFixed(0)} ms, main thread busy ${busy.toFixed(0)} ms in ${before.length} tasks (longest ${longest.toFixed(0)} ms)`
  );
  const { self, stacks } = attribute(profile, from, to);
  console.log('  self:');
  for (const [name, ms] of self) console.log(`    ${ms.toFixed(1)} ms ${name}`);
  console.log('  app stacks:');
  for (const [name, ms] of stacks) console.log(`    ${ms.toFixed(1)} ms ${name}`);
}

async function settle(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const seconds = flag('--seconds') > 0 ? Number(process.argv[flag('--seconds') + 1]) : 45;
  const device = await openDevice(join(dir, 'profile'), base);
  await device.page.goto(`/c/${cid}`);
  await firstPaintMs(device.page);
  await device.page.waitForTimeout(seconds * 1000);
  await device.page.goto(`/c/${cid}/search`);
  await device.page.waitForTimeout(15_000);
  await device.close();
}

async function measure(): Promise<void> {
  const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
  const copy = copiedProfile(join(dir, 'profile'), 'hearth-profile-page');
  try {
    let device = await openDevice(copy, base);
    await device.page.goto(`/c/${cid}`);
    console.error(`first open (online): ${(await firstPaintMs(device.page)).toFixed(0)} ms`);
    await device.page.evaluate(() => navigator.serviceWorker.ready);
    await device.close();
    if (flag('--cold') > 0) {
      const cold: number[] = [];
      for (let i = 0; i < 3; i++) {
        device = await openDevice(copy, base, { offline: true });
        if (i === 2) {
          // The last start traced: what the main thread runs before the first row is painted.
          const cdp = await device.context.newCDPSession(device.page);
          let paint = 0;
          const { events, profile } = await traced(cdp, async () => {
            await device.page.goto(`/c/${cid}`);
            paint = await firstPaintMs(device.page);
          });
          cold.push(paint);
          summariseStart(events, profile, paint);
        } else {
          await device.page.goto(`/c/${cid}`);
          cold.push(await firstPaintMs(device.page));
        }
        await device.close();
      }
      console.error(`cold offline: ${cold.map((v) => v.toFixed(0)).join(', ')} ms`);
      if (flag('--cold-only') > 0) return;
    }
    device = await openDevice(copy, base);
    const cdp = await device.context.newCDPSession(device.page);
    const started = Date.now();
    device.page.on('console', (m) => {
      if (m.text().startsWith('PROBE')) console.log(`+${Date.now() - started} ms ${m.text().split('\n').slice(0, 7).join(' | ')}`);
    });
    const { events, profile } = await traced(cdp, async () => {
      try {
        await openScrollAndPost(device.page, cid);
      } catch (error) {
        // The trace of a run that did not finish still says what the page was busy with.
        console.error('the scenario did not finish:', error instanceof Error ? error.message.split('\n')[0] : error);
        await device.page.screenshot({ path: join(dir, 'unfinished.png'), fullPage: true });
      }
    });
    await device.close();
    if (flag('--cpuprofile') > 0) {
      const out = process.argv[flag('--cpuprofile') + 1];
      writeFileSync(out, JSON.stringify(profile));
      writeFileSync(`${out}.trace.json`, JSON.stringify(events));
    }
    const main = pageMainThreads(events);
    const tasks = events
      .filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.ph === 'X' && main.has(`${e.pid}/${e.tid}`))
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      // A RunTask inside another (Chromium traces both levels) is the same task.
      .filter((e, i, all) => !all.slice(0, i).some((o) => o.pid === e.pid && o.tid === e.tid && o.ts <= e.ts && e.ts + (e.dur ?? 0) <= o.ts + (o.dur ?? 0)));
    const n = flag('--tasks') > 0 ? Number(process.argv[flag('--tasks') + 1]) : 6;
    const t0 = tasks.reduce((m, e) => Math.min(m, e.ts), Infinity);
    for (const task of tasks.slice(0, n)) {
      const end = task.ts + (task.dur ?? 0);
      const inside = events.filter((e) => e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts < end && e !== task && (e.dur ?? 0) > 2000);
      const cpu = task.tdur === undefined ? '' : ` (thread cpu ${(task.tdur / 1000).toFixed(1)} ms)`;
      console.log(`\ntask ${((task.dur ?? 0) / 1000).toFixed(1)} ms${cpu} at +${((task.ts - t0) / 1000).toFixed(0)} ms`);
      for (const e of inside) console.log(`  ${e.name} ${((e.dur ?? 0) / 1000).toFixed(1)} ms ${JSON.stringify(e.args?.data ?? e.args ?? {}).slice(0, 160)}`);
      const { self, stacks } = attribute(profile, task.ts, end);
      console.log('  self:');
      for (const [name, ms] of self) console.log(`    ${ms.toFixed(1)} ms ${name}`);
      console.log('  app stacks:');
      for (const [name, ms] of stacks) console.log(`    ${ms.toFixed(1)} ms ${name}`);
    }
  } finally {
    rmSync(copy, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  }
}

if (!dir || !['seed', 'settle', 'measure'].includes(command)) {
  console.error(
    'usage: profile-page.ts seed|settle|measure <dir> [port] [--seconds S] [--cold [--cold-only]] [--tasks N] [--cpuprofile out] [--app <checkout>]'
  );
  process.exit(2);
}
if (command !== 'seed' && !existsSync(join(dir, 'cid'))) {
  console.error(`no seeded profile in ${dir}: run seed first`);
  process.exit(2);
}
// `--app <dir>`: serve another checkout's build/ (a worktree at an older commit), on the same data.
const app = flag('--app') > 0 ? process.argv[flag('--app') + 1] : '.';
const server = await serveBuild(port, app);
try {
  await (command === 'seed' ? seed() : command === 'settle' ? settle() : measure());
} finally {
  server.kill();
}
process.exit(0);
