// Dev tools' CPU profiler for a page's community worker (tests/bench/profile-join.ts, profile-import.ts).
import type { CDPSession, Page } from '@playwright/test';

export interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
  title: string;
}

const communityWorker = (t: TargetInfo) => t.type === 'shared_worker' || (t.type === 'worker' && t.url.includes('community'));

/**
 * A profiler on one of the page's workers, by default its community worker (found within `waitMs`:
 * it may start with what is profiled), driven over CDP's target messages. `pick` chooses another
 * (profile-analysis.ts: the analysis workers, by name).
 */
export async function workerProfiler(
  page: Page,
  { intervalUs = 1000, waitMs = 12_000, pick = communityWorker }: { intervalUs?: number; waitMs?: number; pick?: (t: TargetInfo) => boolean } = {}
): Promise<{ start: () => Promise<void>; stop: () => Promise<Profile>; evaluate: (expression: string) => Promise<unknown> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  let worker: { targetId: string } | undefined;
  for (const until = Date.now() + waitMs; !worker && Date.now() < until; ) {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    worker = targetInfos.find(pick);
    if (!worker) await new Promise((r) => setTimeout(r, 20));
  }
  if (!worker) throw new Error('no such worker');
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
  let id = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  cdp.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) => {
    const m = JSON.parse(e.message);
    if (m.id && waiting.has(m.id)) waiting.get(m.id)!(m.result ?? m.error);
  });
  const send = (method: string, params: object = {}) =>
    new Promise((resolve) => {
      const mid = ++id;
      waiting.set(mid, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: mid, method, params }) });
    });
  return {
    start: async () => {
      await send('Profiler.enable');
      await send('Profiler.setSamplingInterval', { interval: intervalUs });
      await send('Profiler.start');
    },
    stop: async () => ((await send('Profiler.stop')) as { profile: Profile }).profile,
    evaluate: async (expression: string) =>
      ((await send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: unknown } }).result.value
  };
}
