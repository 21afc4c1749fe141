// The gate figures of `npm run bench` (gate.*): a receiving page while one member's 20,000 valid threads
// arrive in ONE update from a hostile Node peer (tests/e2e/hostile-peer.ts), with a second member's device
// online that the page passes the flood on to. tests/bench/README.md says how.
import type { Page } from '@playwright/test';
import { hostilePeer, sealThreads, type HostilePeer } from '../e2e/hostile-peer';
import { observeLongTasks } from '../e2e/seed';
import { traceMainThread } from './analysis-figures';
import { createIdentity, type Device } from './browser-bench';
import { createCommunity, healthNotice, joinUntilThreads, makeInviteLink, openFeed, openPeer, postThread, recordCount, shownThreadCount } from './sync-bench';

export const FLOOD_RECORDS = 20_000;
/** The page counts as idle again after this long without a long task and with its counts unchanged. */
const IDLE_MS = 2000;
const FLOOD_TIMEOUT_MS = 300_000;

export interface GateBenchOptions {
  baseURL: string;
  emit: (bench: string, value: number, unit: 'ms', data: 'none') => void;
  fail: (bench: string, unit: 'ms', data: 'none', reason: string) => void;
  log: (line: string) => void;
}

type Task = { start: number; duration: number };

/** Long tasks (≥ 50 ms, the browser's `longtask` entries) since `since` on the page's clock. */
async function tasksSince(page: Page, since: number): Promise<Task[]> {
  return page.evaluate((t) => (window as unknown as { __longTasks: Task[] }).__longTasks.filter((x) => x.start >= t), since);
}

/** What the page shows that the flood changes: the header's thread count and the health panel. */
async function shown(page: Page): Promise<string> {
  return `${await shownThreadCount(page)}|${await healthNotice(page)}`;
}

export async function gateFigures(o: GateBenchOptions): Promise<void> {
  let alice: Device | null = null;
  let bob: Device | null = null;
  let peer: HostilePeer | null = null;
  try {
    // The receiving member: a fresh device, a community made through the UI, the longtask observer from the first page.
    alice = await openPeer(o.baseURL);
    await alice.context.addInitScript(observeLongTasks);
    await createIdentity(alice.page, 'Bench Alice');
    const cid = await createCommunity(alice.page, 'Gate bench', 'Flooded by one member.');
    // Two: the feed's header says "1 thread", which the threads count below does not read.
    await postThread(alice.page, cid, 'Before the flood', 'Bob reads this once he is in.');
    await postThread(alice.page, cid, 'Also before the flood', 'And this.');
    const link = await makeInviteLink(alice.page, cid, 'flood member');
    await openFeed(alice.page, cid);
    // A second member online, in the mesh with Alice (he has her thread): her device passes the flood on to his.
    bob = await openPeer(o.baseURL);
    await createIdentity(bob.page, 'Bench Bob');
    if ((await joinUntilThreads(bob.page, link, 2)) === null) throw new Error('Bob never showed Alice’s threads');

    // The flooding member: a Node y-webrtc peer that joins legitimately with the link.
    peer = await hostilePeer(link, { log: o.log });
    await peer.synced();
    const mallory = await peer.newIdentity();
    const now = Date.now();
    peer.setMany([await peer.join(mallory, { ts: now }), await peer.seal(mallory, 'profile', { name: 'Flood' }, now + 1)]);
    // Admitted and given the community's key, the peer floods the mesh room, where content travels: the
    // lobby takes only its core kinds and drops threads as junk (all this figure measured until 2026-12-05).
    await peer.enterMesh(mallory);
    const sealStart = Date.now();
    const flood = await sealThreads(peer, mallory, FLOOD_RECORDS, { ts: now + 10 });
    await alice.page.waitForTimeout(3000);
    const before = await recordCount(alice.page, cid);
    o.log(`gate: ${FLOOD_RECORDS} threads sealed in Node in ${((Date.now() - sealStart) / 1000).toFixed(1)} s; the page holds ${before} records`);

    // The page's main thread traced too: a task's wall time here includes waiting for one of this
    // machine's two cores, which Alice's worker, Bob's browser and the Node peer share during the flood.
    const cdp = await alice.context.newCDPSession(alice.page);
    const trace = await traceMainThread(cdp);
    const pageStart = await alice.page.evaluate(() => performance.now());
    const sentAt = Date.now();
    peer.setMany(flood);
    o.log(`gate: sent in one update (${peer.peers()} WebRTC peers)`);

    // Done: every record of the flood stored (most are held back past the member's quota: kept, not
    // shown), then no long task and no change of what the page shows for IDLE_MS. Polled from Node: a busy page answers late.
    let last = await shown(alice.page).catch(() => '');
    let lastChange = Date.now();
    let storedAt: number | null = null;
    let idleAt: number | null = null;
    let lastCount = 0;
    while (Date.now() - sentAt < FLOOD_TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await shown(alice.page).catch(() => last);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      }
      if (storedAt === null && Date.now() - lastCount >= 2000) {
        lastCount = Date.now();
        if ((await recordCount(alice.page, cid)) - before >= FLOOD_RECORDS) storedAt = Date.now();
      }
      const tasks = await tasksSince(alice.page, pageStart);
      const origin = await alice.page.evaluate(() => performance.timeOrigin);
      const lastTaskEnd = tasks.length ? origin + Math.max(...tasks.map((t) => t.start + t.duration)) : sentAt;
      const busyUntil = Math.max(lastTaskEnd, lastChange, storedAt ?? 0);
      if (storedAt !== null && Date.now() - busyUntil >= IDLE_MS) {
        idleAt = busyUntil;
        break;
      }
    }
    await trace.stop();
    await cdp.detach();
    const longestCpu = trace.longestCpuMs();
    const tasks = await tasksSince(alice.page, pageStart);
    const longest = Math.max(0, ...tasks.map((t) => t.duration));
    const total = tasks.reduce((n, t) => n + t.duration, 0);
    const after = await recordCount(alice.page, cid);
    o.log(
      `gate: ${tasks.length} long tasks, longest ${longest.toFixed(0)} ms, ${total.toFixed(0)} ms in all (the most thread CPU in one task ${longestCpu.toFixed(0)} ms); the page stores ${after} records (${after - before} new), ` +
        `shows ${await shownThreadCount(alice.page)} threads; health panel: ${(await healthNotice(alice.page)) ?? 'none'}; Bob's device stores ${await recordCount(bob.page, cid)} records`
    );
    o.emit('gate.flood_20k_max_task_ms', longest, 'ms', 'none');
    o.emit('gate.flood_20k_max_task_cpu_ms', longestCpu, 'ms', 'none');
    if (idleAt !== null) o.emit('gate.flood_20k_ms', idleAt - sentAt, 'ms', 'none');
    else
      o.fail(
        'gate.flood_20k_ms',
        'ms',
        'none',
        `the flood was not stored and the page idle ${FLOOD_TIMEOUT_MS / 1000} s after it was sent (it stores ${after - before} new records)`
      );
  } finally {
    await peer?.close();
    await bob?.close();
    await alice?.close();
  }
}
