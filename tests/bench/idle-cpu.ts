// How much CPU an idle community costs: a creator and a member joined over WebRTC, then nothing
// for a while; prints the Chromium processes' CPU seconds over the idle window (from /proc).
// npx tsx tests/bench/idle-cpu.ts [port] [signalingPort]
import { chromium } from '@playwright/test';
import { spawn, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chromiumLaunch } from '../e2e/browser';
import { createCommunity, createIdentity, joinFromLink, makeInvite, startThread } from '../e2e/journeys';

const port = Number(process.argv[2] ?? 4791);
const sig = Number(process.argv[3] ?? 4792);
const idleMs = Number(process.env.IDLE_MS ?? 30_000);
const base = `http://127.0.0.1:${port}`;

function cpuOfChromium(): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  for (const pid of execSync('pgrep -f chromium || true').toString().split('\n').filter(Boolean).map(Number)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
      const util = /--utility-sub-type=([a-zA-Z.]+)/.exec(cmd)?.[1] ?? '';
      out.set(pid, { name: `${type}${util ? `:${util}` : ''}`, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  return out;
}

const server = spawn('node', ['scripts/serve.js', '--port', String(port), '--signaling-port', String(sig)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 1500));
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
  for (const [pid, p] of after) byType.set(p.name, (byType.get(p.name) ?? 0) + (p.ticks - (before.get(pid)?.ticks ?? 0)) / 100);
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
