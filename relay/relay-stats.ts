// Load figures of one relay process, logged as one JSON line per interval (`--stats-every-ms`): how
// late its event loop ran, and where the write path spends its time (waiting in the room's queue,
// the gate, the disk, applying and fanning out). The benchmark reads these lines to tell the relay's
// own delays from the machine's and the simulated members'. Steps: queue (waiting for the room's
// earlier updates), judge (the gate), append (disk), apply (into the document, the Redis publish),
// peer (logging another relay's update), fanout (one batched send to the room's connections),
// snapshot (encoding and writing a room's whole document).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** One step of the write path: how often, total and longest time (ms). */
class Step {
  count = 0;
  totalMs = 0;
  maxMs = 0;

  add(ms: number): void {
    this.count++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  take(): { n: number; total: number; max: number } {
    const out = { n: this.count, total: round(this.totalMs), max: round(this.maxMs) };
    this.count = this.totalMs = this.maxMs = 0;
    return out;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export type StepName = 'queue' | 'judge' | 'append' | 'apply' | 'peer' | 'fanout' | 'snapshot';

export class RelayStats {
  readonly steps: Record<StepName, Step> = {
    queue: new Step(),
    judge: new Step(),
    append: new Step(),
    apply: new Step(),
    peer: new Step(),
    fanout: new Step(),
    snapshot: new Step()
  };
  #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  #cpu = process.cpuUsage();
  #at = performance.now();

  /** `watchLoop`: sample the event loop's delay (only when the figures are logged). */
  constructor(watchLoop = true) {
    if (watchLoop) this.#loop.enable();
  }

  /** Times `work` as `step` (synchronous work only). */
  time<T>(step: StepName, work: () => T): T {
    const t = performance.now();
    try {
      return work();
    } finally {
      this.steps[step].add(performance.now() - t);
    }
  }

  /** The figures since the last call, then starts a new interval. */
  take(): Record<string, unknown> {
    const ms = (ns: number) => round(ns / 1e6);
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const out = {
      seconds: round((now - this.#at) / 1000),
      cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (now - this.#at)) * 100),
      loopDelayMs: { p50: ms(this.#loop.percentile(50)), p99: ms(this.#loop.percentile(99)), max: ms(this.#loop.max) },
      ...Object.fromEntries(Object.entries(this.steps).map(([name, step]) => [name, step.take()]))
    };
    this.#loop.reset();
    this.#cpu = process.cpuUsage();
    this.#at = now;
    return out;
  }

  stop(): void {
    this.#loop.disable();
  }
}
