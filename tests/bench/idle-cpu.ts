// How much CPU an idle community costs: a creator and a member joined over WebRTC, then nothing
// for a while; prints the Chromium processes' CPU seconds over the idle window (from /proc).
// npx tsx tests/bench/idle-cpu.ts [port] [signalingPort]
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { chromiumLaunch } from '../e2e/browser';
import { createCommunity, createIdentity, joinFromLink, makeInvite, startThread } from '../e2e/journeys';
import { waitForServer } from './browser-bench';
import { processCpu } from './proc-cpu';

const port = Number(process.argv[2] ?? 4791);
const sig = Number(process.argv[3] ?? 4792);
const idleMs = Number(process.env.IDLE_MS ?? 30_000);
const base = `http://127.0.0.1:${port}`;

/** CPU seconds so far of each Chromium process, with its type (renderer, gpu-process, utility:…; browser). */
function cpuOfChromium(): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  for (const [pid, p] of processCpu()) {
    if (!p.cmdline.includes('chromium')) continue;
    const type = /--type=([a-z-]+)/.exec(p.cmdline)?.[1] ?? 'browser';
    const util = /--utility-sub-type=([a-zA-Z.]+)/.exec(p.cmdline)?.[1] ?? '';
    out.set(pid, { name: `${type}${util ? `:${util}` : ''}`, seconds: p.own });
  }
  return out;
}

const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--signaling-port', String(sig)], { stdio: 'ignore' });
await waitForServer(base, server);
const browser = await chromium.launch({ ...chromiumLaunch(), headless: true });
try {
  const a = await (await browser.newContext({ baseURL: base })).newPage();
  const b = await (await browser.newContext({ baseURL: base })).newPage();
  await createIdentity(a, 'Alice');
  await createCommunity(a, 'Idle test');
  await startThread(a, 'Hello', 'First post');
  await a.getByRole('link', { name: /Idle test/ }).click();
  const link = await makeInvite(a);
  await createIdentity(b, 'Bob');
  await joinFromLink(b, link, 'Idle test');
  await b.getByText('Hello').first().waitFor();
  await new Promise((r) => setTimeout(r, 10_000));
  const before = cpuOfChromium();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, idleMs));
  const after = cpuOfChromium();
  const secs = (Date.now() - t0) / 1000;
  const byType = new Map<string, number>();
  for (const [pid, p] of after) byType.set(p.name, (byType.get(p.name) ?? 0) + p.seconds - (before.get(pid)?.seconds ?? 0));
  const total = [...byType.values()].reduce((s, v) => s + v, 0);
  console.log(
    JSON.stringify({
      idleSeconds: secs,
      cpuSeconds: +total.toFixed(2),
      share: +(total / secs).toFixed(3),
      byType: Object.fromEntries([...byType].map(([k, v]) => [k, +v.toFixed(2)]))
    })
  );
} finally {
  await browser.close();
  server.kill();
}
