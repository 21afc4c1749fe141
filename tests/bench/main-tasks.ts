// Dev tool (not a benchmark): the `main.max_task_ms.10k` scenario traced as the bench traces it (no
// CPU profiler), several times on the profile `profile-page.ts seed` left, printing each run's
// figure as the bench computes it and its longest tasks with the page's own (thread) CPU time, so a
// change can be judged on a loaded machine where wall times are stretched by other processes.
// Usage: node --import tsx tests/bench/main-tasks.ts <seed dir> [port] [--runs N] [--app <checkout>]
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { copiedProfile, firstPaintMs, openDevice, openScrollAndPost, serveBuild } from './browser-bench';
import { pageMainThreads, traceMainThread, type TraceEvent } from './analysis-figures';

const [dir, portArg] = process.argv.slice(2);
const flag = (name: string) => process.argv.indexOf(name);
const port = Number(portArg ?? 4788);
const base = `http://127.0.0.1:${port}`;
const runs = flag('--runs') > 0 ? Number(process.argv[flag('--runs') + 1]) : 3;
const app = flag('--app') > 0 ? process.argv[flag('--app') + 1] : '.';

/** Top-level tasks of the page's main thread, longest first (a nested RunTask is the same task). */
function tasksOf(events: TraceEvent[]): TraceEvent[] {
  const main = pageMainThreads(events);
  return events
    .filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.ph === 'X' && main.has(`${e.pid}/${e.tid}`))
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .filter((e, i, all) => !all.slice(0, i).some((o) => o.pid === e.pid && o.tid === e.tid && o.ts <= e.ts && e.ts + (e.dur ?? 0) <= o.ts + (o.dur ?? 0)));
}

async function once(cid: string, profileDir: string): Promise<void> {
  const copy = copiedProfile(profileDir, 'hearth-main-tasks');
  try {
    let device = await openDevice(copy, base);
    await device.page.goto(`/c/${cid}`);
    await firstPaintMs(device.page);
    await device.page.evaluate(() => navigator.serviceWorker.ready);
    await device.close();
    device = await openDevice(copy, base);
    const cdp = await device.context.newCDPSession(device.page);
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (e: { value: unknown[] }) => void events.push(...(e.value as TraceEvent[])));
    const load = loadavg()[0];
    const trace = await traceMainThread(cdp);
    await openScrollAndPost(device.page, cid);
    const longest = await trace.stop();
    await device.close();
    const tasks = tasksOf(events);
    const t0 = tasks.reduce((m, e) => Math.min(m, e.ts), Infinity);
    const cpuTop = [...tasks].sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0))[0];
    console.log(
      `figure ${longest.toFixed(1)} ms; max thread cpu ${((cpuTop?.tdur ?? 0) / 1000).toFixed(1)} ms at +${(((cpuTop?.ts ?? t0) - t0) / 1000).toFixed(0)}; load ${load.toFixed(2)}`
    );
    for (const task of tasks.slice(0, 5)) {
      const end = task.ts + (task.dur ?? 0);
      const inside = events
        .filter((e) => e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts < end && e !== task && (e.dur ?? 0) > 3000)
        .filter((e) =>
          /^(FunctionCall|Layout|UpdateLayoutTree|MinorGC|MajorGC|EventDispatch|TimerFire|ParseHTML|v8.evaluateModule|BlinkScheduler_PerformMicrotaskCheckpoint|Receive mojo (message|reply)|Commit)$/.test(
            e.name
          )
        )
        .map(
          (e) =>
            `${e.name === 'Receive mojo message' || e.name === 'Receive mojo reply' ? (e.args?.chrome_mojo_event_info?.mojo_interface_tag ?? e.name) : e.name} ${((e.dur ?? 0) / 1000).toFixed(0)}`
        );
      console.log(
        `  ${((task.dur ?? 0) / 1000).toFixed(1)} ms (cpu ${((task.tdur ?? 0) / 1000).toFixed(1)}) at +${((task.ts - t0) / 1000).toFixed(0)}: ${inside.slice(0, 6).join(', ')}`
      );
    }
  } finally {
    rmSync(copy, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  }
}

const cid = readFileSync(join(dir, 'cid'), 'utf8').trim();
const server = await serveBuild(port, app);
try {
  for (let i = 0; i < runs; i++) await once(cid, join(dir, 'profile'));
} finally {
  server.kill();
}
process.exit(0);
