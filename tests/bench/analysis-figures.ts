// Analysis figures for `npm run bench`: the analyses of issue 6 run in the app's Web Worker, in
// Chromium, on the real community and the generated 10,000-member one. The device is seeded as
// the communities' creator (restoring the demo creator's identity file, then importing the
// community file through the home page) and opens the community once, then restarts the browser and
// opens Insights with every analysis requested (`?parts=dashboard,members,graph,recs`): one cold
// run as the page opens (logged), then, once the page has been quiet for 3 s, three refreshes,
// which give the figures.
// Times come from the worker's own clocks (AnalysisResult.timings). The page's main thread is
// watched meanwhile with a Chromium trace (CDP Tracing, `devtools.timeline`): the longest RunTask
// on the renderer's main thread (CrRendererMain) is the longest task, however short; the
// longtask entries (≥ 50 ms) are logged beside it. Memory: the worker has no performance.memory
// in Chromium, so the renderer processes' resident memory (RSS, from ps) is sampled every 100 ms
// during a run; the figure is its peak rise over the moment before the run (what the analyses
// take, worker heap and all).
import { execFile } from 'node:child_process';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import type { Timings } from '../../workers/analysis-types';
import type { Dataset, DatasetName } from '../../scripts/data/datasets';
import { demoCreatorIdentityFile } from '../e2e/seed';
import { importCommunityFile, median, openDevice } from './browser-bench';

export const ANALYSIS_RUNS = 3;

type Emit = (bench: string, value: number, unit: 'ms' | 'kb' | 'mb', data: DatasetName) => void;

/** Runs in the page: notes the longest gap between turns of a setTimeout loop while window.__probe.on. */
function startProbe() {
  const w = window as unknown as { __probe: { on: boolean; max: number; long: number[] }; __probeObserver?: PerformanceObserver };
  w.__probe = { on: true, max: 0, long: [] };
  // One observer per page: it reads whichever probe is current.
  w.__probeObserver ??= new PerformanceObserver((list) => {
    if (w.__probe.on) for (const e of list.getEntries()) w.__probe.long.push(e.duration);
  });
  w.__probeObserver.observe({ type: 'longtask' });
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    w.__probe.max = Math.max(w.__probe.max, now - last);
    last = now;
    if (w.__probe.on) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
}

export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** The thread's CPU time in the event (µs), when the trace has thread clocks: less moved by a loaded machine than `dur`. */
  tdur?: number;
  args?: {
    name?: string;
    chrome_mojo_event_info?: { mojo_interface_tag?: string };
    data?: { processId?: number; frames?: { processId?: number }[] };
  };
}

/**
 * The main threads of the traced page's renderer processes. A trace records every renderer of the
 * browser, and Chromium's own WebUI (the omnibox popup, `chrome://omnibox-popup.top-chrome`) runs
 * in one: evaluating its modules was a 0.6–1.2 s task on a loaded machine that was counted as the
 * app's. The page's processes are those its frames committed in (at the start and each navigation).
 */
export function pageMainThreads(events: readonly TraceEvent[]): Set<string> {
  const pids = new Set<number>();
  for (const e of events) {
    if (e.name === 'TracingStartedInBrowser') for (const f of e.args?.data?.frames ?? []) if (f.processId) pids.add(f.processId);
    if (e.name === 'FrameCommittedInBrowser' && e.args?.data?.processId) pids.add(e.args.data.processId);
  }
  const renderers = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  // Without the frame events (an older Chromium), every renderer's main thread, as before.
  return new Set(renderers.filter((e) => !pids.size || pids.has(e.pid)).map((e) => `${e.pid}/${e.tid}`));
}

/**
 * Starts a timeline trace of the page; `stop` returns the longest task (ms) on the renderer's main
 * thread, then `longestCpuMs` the most CPU time the thread itself spent in one task (ms): on a loaded
 * machine a task's wall time includes the time the thread waited for a core.
 */
export async function traceMainThread(cdp: CDPSession): Promise<{ stop(): Promise<number>; longestCpuMs(): number }> {
  let longestCpu = 0;
  const events: TraceEvent[] = [];
  const onData = (e: { value: unknown[] }) => void events.push(...(e.value as unknown as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] },
    transferMode: 'ReportEvents'
  });
  return {
    async stop() {
      const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
      await cdp.send('Tracing.end');
      await done;
      cdp.off('Tracing.dataCollected', onData);
      const main = pageMainThreads(events);
      const tasks = events.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.ph === 'X' && main.has(`${e.pid}/${e.tid}`));
      const within = (task: TraceEvent, name: string) =>
        events.filter((e) => e.name === name && e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts < task.ts + (task.dur ?? 0));
      /** The longest task (ms) by one clock: wall time (`dur`) or the thread's CPU time (`tdur`). */
      const longestBy = (clock: 'dur' | 'tdur') => {
        // The harness's own DevTools commands (Playwright polling, this trace) run as main-thread
        // tasks too: of those, only the page's promise callbacks that ran inside them count.
        const appMs = (task: TraceEvent) => {
          const devtools = within(task, 'Receive mojo message').some(
            (e) => e.args?.chrome_mojo_event_info?.mojo_interface_tag === 'blink.mojom.DevToolsSession'
          );
          return (devtools ? within(task, 'RunMicrotasks').reduce((sum, e) => sum + (e[clock] ?? 0), 0) : (task[clock] ?? 0)) / 1000;
        };
        let most = 0;
        // Longest first; a task no longer than the longest so far cannot change it.
        for (const e of [...tasks].sort((a, b) => (b[clock] ?? 0) - (a[clock] ?? 0))) {
          if ((e[clock] ?? 0) / 1000 <= most) break;
          most = Math.max(most, appMs(e));
        }
        return most;
      };
      const longest = longestBy('dur');
      longestCpu = longestBy('tdur');
      if (process.env.BENCH_TRACE_DEBUG) {
        // What ran inside the longest tasks: the timeline events they contain.
        for (const task of [...tasks].sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0)).slice(0, 3)) {
          const inside = events.filter(
            (e) => e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts < task.ts + (task.dur ?? 0) && e !== task && (e.dur ?? 0) > 2000
          );
          console.error(
            `  task ${((task.dur ?? 0) / 1000).toFixed(1)} ms: ${inside.map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(0)}ms ${JSON.stringify(e.args ?? {}).slice(0, 120)}`).join(' | ')}`
          );
        }
      }
      return longest;
    },
    longestCpuMs: () => longestCpu
  };
}

/** Resident memory (kB) of the renderer processes of the Chromium that uses this profile directory. */
function rendererRssKb(profile: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('ps', ['-eo', 'pid=,ppid=,rss=,args='], { maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) return resolve(0);
      const rows = stdout
        .split('\n')
        .map((line) => {
          const m = line.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/);
          return m ? { pid: +m[1], ppid: +m[2], rss: +m[3], args: m[4] } : null;
        })
        .filter((r) => r !== null);
      const root = rows.find((r) => r.args.includes(`--user-data-dir=${profile}`) && !r.args.includes('--type='));
      if (!root) return resolve(0);
      const family = new Set([root.pid]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const r of rows) if (family.has(r.ppid) && !family.has(r.pid)) family.add(r.pid), (grew = true);
      }
      resolve(rows.filter((r) => family.has(r.pid) && r.args.includes('--type=renderer')).reduce((s, r) => s + r.rss, 0));
    });
  });
}

function sampleMemory(profile: string): { stop(): Promise<{ baseKb: number; peakKb: number }> } {
  let on = true;
  let base = -1;
  let peak = 0;
  const loop = (async () => {
    while (on) {
      const kb = await rendererRssKb(profile);
      if (base < 0) base = kb;
      peak = Math.max(peak, kb);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return { baseKb: Math.max(0, base), peakKb: peak };
    }
  };
}

/** Waits until the page has run no long task (≥ 50 ms) for `quietMs`; returns how long that took (gives up after `maxMs`). */
export async function waitForQuietPage(page: Page, quietMs: number, maxMs: number): Promise<number> {
  return page.evaluate(
    ([quiet, max]) =>
      new Promise<number>((resolve) => {
        const start = performance.now();
        let last = start;
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) last = Math.max(last, e.startTime + e.duration);
        });
        observer.observe({ type: 'longtask' });
        const check = () => {
          const now = performance.now();
          if (now - last >= quiet || now - start >= max) {
            observer.disconnect();
            resolve(now - start);
          } else setTimeout(check, 250);
        };
        setTimeout(check, 250);
      }),
    [quietMs, maxMs] as const
  );
}

/**
 * Waits until the community's stored record count has not changed for `stableMs`: the app's own
 * first writes on the creator's device (automation's notices) come seconds after the page went
 * quiet, once the member-stats worker answered. Returns how long that took (gives up after `maxMs`).
 */
export async function waitForStableRecords(page: Page, cid: string, stableMs: number, maxMs: number): Promise<number> {
  return page.evaluate(
    async ([cid, stable, max]) => {
      const db: IDBDatabase = await new Promise((resolve, reject) => {
        const open = indexedDB.open('hearth');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const count = () =>
        new Promise<number>((resolve, reject) => {
          // Core kinds are rows (no `cid` index since schema v7: every row is in `[cid+kind]`'s range);
          // content is packed in pages, counted per community in `recordStamps` (store/record-store).
          const tx = db.transaction(['records', 'recordStamps']);
          const q = tx
            .objectStore('records')
            .index('[cid+kind]')
            .count(IDBKeyRange.bound([cid], [cid, []]));
          const s = tx.objectStore('recordStamps').get(cid);
          tx.oncomplete = () => resolve(q.result + (s.result ? Object.values(s.result.counts as Record<string, number>).reduce((a, b) => a + b, 0) : 0));
          tx.onerror = () => reject(tx.error);
        });
      const start = performance.now();
      let last = await count();
      let since = start;
      while (performance.now() - since < stable && performance.now() - start < max) {
        await new Promise((r) => setTimeout(r, 500));
        const now = await count();
        if (now !== last) [last, since] = [now, performance.now()];
      }
      db.close();
      return performance.now() - start;
    },
    [cid, stableMs, maxMs] as const
  );
}

export async function runOnce(
  page: Page,
  cdp: CDPSession,
  profile: string,
  refresh: boolean,
  timeout: number
): Promise<{ timings: Timings; maxGap: number; longTasks: number[]; memoryMb: number; longestTask: number }> {
  const status = page.getByTestId('analysis-status');
  const memory = sampleMemory(profile);
  const trace = await traceMainThread(cdp);
  await page.evaluate(startProbe);
  await status.waitFor({ state: 'attached', timeout });
  // Clicked and awaited inside the page: Playwright's role locators and polling run on the page's
  // main thread too (an accessibility walk of the whole dashboard), which is the harness, not the app.
  await page.evaluate(
    ([refresh, timeout]) =>
      new Promise<void>((resolve, reject) => {
        const status = document.querySelector('[data-testid="analysis-status"]');
        if (!status) return reject(new Error('no analysis status'));
        let started = !refresh;
        const check = () => {
          const now = status.getAttribute('data-status');
          if (now === 'running') started = true;
          if (now === 'error') finish(new Error('analysis failed'));
          else if (started && now === 'done') finish();
        };
        const observer = new MutationObserver(check);
        const timer = setTimeout(() => finish(new Error('analysis did not finish')), timeout);
        const finish = (error?: Error) => {
          observer.disconnect();
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        observer.observe(status, { attributes: true, attributeFilter: ['data-status'] });
        if (refresh) {
          const button = [...status.querySelectorAll('button')].find((b) => b.textContent?.includes('Refresh'));
          if (!button) return finish(new Error('no Refresh button'));
          button.click();
        } else check();
      }),
    [refresh, timeout] as const
  );
  // Let the page draw the result: that main-thread work belongs to the run too.
  await page.waitForTimeout(500);
  const probe = await page.evaluate(() => {
    const w = window as unknown as { __probe: { on: boolean; max: number; long: number[] } };
    w.__probe.on = false;
    return w.__probe;
  });
  const rss = await memory.stop();
  const longestTask = await trace.stop();
  if ((await status.getAttribute('data-status')) !== 'done') throw new Error('analysis did not finish');
  const timings = JSON.parse((await page.getByTestId('analysis-timings').getAttribute('data-timings')) ?? '{}') as Timings;
  return { timings, maxGap: probe.max, longTasks: probe.long, memoryMb: (rss.peakKb - rss.baseKb) / 1024, longestTask };
}

export async function analysisFigures(options: { baseURL: string; datasets: Dataset[]; emit: Emit; log: (line: string) => void }) {
  const identity = await demoCreatorIdentityFile();
  for (const { meta, file } of options.datasets) {
    const suffix = meta.name === 'generated-10k' ? '.10k' : '';
    const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-analysis-'));
    let device = await openDevice(profile, options.baseURL);
    try {
      await device.page.goto('/');
      await device.page.locator('#ob-import').setInputFiles(identity.file);
      await device.page.getByRole('heading', { name: 'My communities' }).waitFor();
      options.log(`${meta.name}: importing as the community's creator`);
      const imported = await importCommunityFile(device.page, file);
      // A creator looks at Insights on a device that has had the community a while, not in the
      // minutes after importing it: open the community once, let the app do its first work there
      // (its document's first open, the first automation records, until its record count holds still), then close the browser and
      // open it again, as on another day.
      await device.page.goto(`/c/${imported.cid}`);
      const firstWork = await waitForQuietPage(device.page, 5_000, 300_000);
      const firstWrites = await waitForStableRecords(device.page, imported.cid, 15_000, 300_000);
      options.log(
        `${meta.name}: community opened once; quiet after ${(firstWork / 1000).toFixed(1)} s, records unchanged for 15 s after ${(firstWrites / 1000).toFixed(1)} s more; reopening the browser`
      );
      await device.close();
      device = await openDevice(profile, options.baseURL);
      const page = device.page;
      const timeout = 300_000;
      await page.goto(`/c/${imported.cid}/insights?parts=dashboard,members,graph,recs`);
      // The cold run shares the page with the app's own start (opening the community's document on
      // the main thread), so its main-thread figure is logged, not reported.
      const cdp = await device.context.newCDPSession(page);
      const cold = await runOnce(page, cdp, profile, false, timeout);
      // The same watch over an idle stretch of the page, for comparison: what the app itself does meanwhile.
      const idleTrace = await traceMainThread(cdp);
      await page.evaluate(startProbe);
      await page.waitForTimeout(Math.min(10_000, Math.max(2_000, cold.timings.totalMs)));
      const idleLongest = await idleTrace.stop();
      const idle = await page.evaluate(() => {
        const w = window as unknown as { __probe: { on: boolean; max: number; long: number[] } };
        w.__probe.on = false;
        return w.__probe;
      });
      options.log(
        `${meta.name}: idle page, no analysis: longest task ${idleLongest.toFixed(1)} ms, longest timer gap ${idle.max.toFixed(0)} ms, long tasks [${idle.long.map((x) => x.toFixed(0)).join(', ')}]`
      );
      // After an import the app is still at work on the page for a while (opening the community's
      // document, indexing it for search, automation writing its first records): the refreshes are
      // timed once it is quiet, so they measure the analyses, not the app's first minutes.
      const settled = await waitForQuietPage(page, 3_000, 180_000);
      options.log(`${meta.name}: page quiet (no long task for 3 s) after ${(settled / 1000).toFixed(1)} s`);
      const runs = [cold];
      for (let i = 0; i < ANALYSIS_RUNS; i++) runs.push(await runOnce(page, cdp, profile, true, timeout));
      for (const [i, r] of runs.entries()) {
        options.log(
          `${meta.name}: run ${i + 1}${i === 0 ? ' (cold)' : ''}: load ${r.timings.loadMs.toFixed(0)} ms${r.timings.reusedRows ? ' (rows reused)' : ''}, dashboard ${r.timings.dashboardMs.toFixed(0)}, ` +
            `members ${r.timings.membersMs.toFixed(0)}, graph ${r.timings.graphMetricsMs.toFixed(0)}, louvain ${r.timings.louvainMs.toFixed(0)}, ` +
            `recs train ${r.timings.recsTrainMs.toFixed(0)}, rank one ${r.timings.recsRankOneMs.toFixed(1)}, total ${r.timings.totalMs.toFixed(0)} ms; ` +
            `renderer RSS +${r.memoryMb.toFixed(0)} MB; main thread: longest task ${r.longestTask.toFixed(1)} ms, longest timer gap ${r.maxGap.toFixed(0)} ms, long tasks [${r.longTasks.map((x) => x.toFixed(0)).join(', ')}]`
        );
      }
      // Figures are the refreshes' (the cold run is logged above).
      const refreshes = runs.slice(1);
      const med = (pick: (t: Timings) => number) => median(refreshes.map((r) => pick(r.timings)));
      options.emit(
        `recs.train_ms${suffix}`,
        med((t) => t.recsTrainMs),
        'ms',
        meta.name
      );
      options.emit(
        `recs.rank_one_ms${suffix}`,
        med((t) => t.recsRankOneMs),
        'ms',
        meta.name
      );
      options.emit(
        `graph.metrics_ms${suffix}`,
        med((t) => t.graphMetricsMs),
        'ms',
        meta.name
      );
      options.emit(
        `graph.louvain_ms${suffix}`,
        med((t) => t.louvainMs),
        'ms',
        meta.name
      );
      options.emit(
        `dashboard.metrics_ms${suffix}`,
        med((t) => t.dashboardMs + t.membersMs),
        'ms',
        meta.name
      );
      options.emit(
        `analysis.full_refresh_ms${suffix}`,
        med((t) => t.totalMs),
        'ms',
        meta.name
      );
      options.emit(`analysis.peak_memory_mb${suffix}`, Math.max(...refreshes.map((r) => r.memoryMb)), 'mb', meta.name);
      options.emit(`analysis.max_main_thread_task_ms${suffix}`, Math.max(...refreshes.map((r) => Math.max(r.longestTask, ...r.longTasks))), 'ms', meta.name);
    } finally {
      await device.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
}
