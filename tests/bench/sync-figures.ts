// The sync figures of `npm run bench`, on the real community: a newcomer's initial sync over WebRTC,
// write-to-screen latency between two members, the merge of two offline sessions, and a newcomer's
// initial sync from the relay alone. tests/bench/README.md says how each is taken.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { sha256, toBase64Url } from '../../src/lib/crypto/encoding';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import type { DatasetMeta } from '../../scripts/data/datasets';
import { identityFor, storedKeysFor } from '../../scripts/data/member-keys';
import { offlineWrites, sampleCommunity, writeOfflineFile } from '../../scripts/data/offline-writes';
import { importCommunityFile, median, type Device } from './browser-bench';
import {
  giveRoomSecret,
  importIdentity,
  importWhileOffline,
  joinUntilThreads,
  makeInviteLink,
  mergeTimes,
  openFeed,
  openPeer,
  percentile,
  postThread,
  recordCount,
  replyLatencies,
  setRelay,
  shownThreadCount,
  watchForRecords
} from './sync-bench';

/** Targets the figures are read against (never enforced). */
export const SYNC_TARGETS = { latencyP50Ms: 100, initialRealDataMs: 3000 };
/** Writes of the latency run and operations per member in the merge run. */
export const LATENCY_WRITES = 200;
export const MERGE_OPS = 1000;
/** Seeded identities of the two newcomers (namespace:handle, see scripts/data/member-keys.ts). */
const NEWCOMER_NAMESPACE = 'hearth-bench-sync';

type Emit = (bench: string, value: number, unit: 'ms', data: 'se-bicycles-meta') => void;

export interface SyncBenchOptions {
  baseURL: string;
  relayPort: number;
  dataset: { meta: DatasetMeta; file: string };
  emit: Emit;
  log: (line: string) => void;
}

const DATA = 'se-bicycles-meta' as const;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The creator of the real community on a fresh device, holding its data, with sync on. */
async function creatorDevice(o: SyncBenchOptions): Promise<{ device: Device; cid: string; secret: string }> {
  const device = await openPeer(o.baseURL);
  await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
  const imported = await importCommunityFile(device.page, o.dataset.file);
  o.log(`  creator: ${imported.imported} records imported in ${(imported.ms / 1000).toFixed(1)} s`);
  const room = await giveRoomSecret(device.page, imported.cid);
  if (room.added) o.log('  creator: the imported community had no room secret; gave it one (workaround, see README)');
  return { device, cid: imported.cid, secret: room.secret };
}

async function newcomer(o: SyncBenchOptions, handle: string, name: string): Promise<Device> {
  const device = await openPeer(o.baseURL);
  await importIdentity(device.page, await storedKeysFor(NEWCOMER_NAMESPACE, handle), name);
  return device;
}

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function webrtcFigures(o: SyncBenchOptions): Promise<void> {
  const { meta } = o.dataset;
  const { device: a, cid } = await creatorDevice(o);
  let b: Device | null = null;
  try {
    const link = await makeInviteLink(a.page, cid, 'bench newcomer');

    // Initial sync: B joins while A (on the members page, sync running) holds the whole community.
    b = await newcomer(o, 'member-b', 'Bench B');
    const joinMs = await joinUntilThreads(b.page, link, meta.threads);
    o.log(`initial sync (WebRTC): ${meta.threads} threads shown ${joinMs.toFixed(0)} ms after Join`);
    o.emit('sync.initial_realdata_ms', joinMs, 'ms', DATA);
    const [countA, countB] = await Promise.all([recordCount(a.page, cid), recordCount(b.page, cid)]);
    o.log(`  records: creator ${countA}, newcomer ${countB} (the newcomer's own join and profile included)`);

    // Latency: A replies in a new thread, B has the thread open.
    const sample = sampleCommunity(o.dataset.file);
    const path = await postThread(a.page, cid, 'Sync latency bench', 'Replies written by the benchmark, one at a time.');
    const texts = sample.bodies.filter((t) => t.length > 20 && t.length < 400).slice(0, LATENCY_WRITES);
    const run = await replyLatencies(a.page, b.page, path, LATENCY_WRITES, texts, o.log);
    const l = run.latencies;
    const slice = (from: number, to: number) => median(l.slice(from, to)).toFixed(0);
    o.log(
      `latency: ${l.length} of ${LATENCY_WRITES} delivered (${run.lost} not seen within 15 s); ` +
        `min ${Math.min(...l).toFixed(0)}, p50 ${percentile(l, 50).toFixed(0)}, p95 ${percentile(l, 95).toFixed(0)}, max ${Math.max(...l).toFixed(0)} ms; ` +
        `median of writes 1-50 ${slice(0, 50)} ms, 151-200 ${slice(150, 200)} ms`
    );
    o.emit('sync.latency_p50_ms', percentile(l, 50), 'ms', DATA);
    o.emit('sync.latency_p95_ms', percentile(l, 95), 'ms', DATA);

    // Merge: both go offline, each imports 1,000 of its own operations, both come back.
    await Promise.all([openFeed(a.page, cid), openFeed(b.page, cid)]);
    const base = await waitFor(
      'both devices to hold the same records',
      () => Promise.all([recordCount(a.page, cid), recordCount(b.page, cid)]),
      ([x, y]) => x === y,
      30_000
    ).then(([x]) => x);
    const from = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'hearth-merge-'));
    try {
      const [creator, member] = await Promise.all([identityFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), identityFor(NEWCOMER_NAMESPACE, 'member-b')]);
      const fileA = writeOfflineFile(join(dir, 'a.json'), sample, await offlineWrites(sample, creator, { count: MERGE_OPS, from, seed: 'merge-a', label: 'A offline' }));
      const fileB = writeOfflineFile(join(dir, 'b.json'), sample, await offlineWrites(sample, member, { count: MERGE_OPS, from, seed: 'merge-b', label: 'B offline' }));
      await Promise.all([a.context.setOffline(true), b.context.setOffline(true)]);
      for (const d of [a, b]) await d.page.getByText('Offline — everything you write is kept on this device.').waitFor();
      const importedA = await importWhileOffline(a.page, cid, fileA);
      const importedB = await importWhileOffline(b.page, cid, fileB);
      o.log(`merge: offline imports ${importedA.imported} (A) and ${importedB.imported} (B) records, ${importedA.rejected + importedB.rejected} rejected; ${base} records each before`);
      const target = base + importedA.imported + importedB.imported;
      await Promise.all([watchForRecords(a.page, cid, target), watchForRecords(b.page, cid, target)]);
      await Promise.all([a.context.setOffline(false), b.context.setOffline(false)]);
      const times = await waitFor(
        `both devices to reach ${target} records`,
        () => Promise.all([mergeTimes(a.page), mergeTimes(b.page)]),
        (t) => t.every((x) => x.allAt !== undefined),
        180_000
      );
      const online = Math.min(...times.map((t) => t.onlineAt ?? Infinity));
      const mergeMs = Math.max(...times.map((t) => t.allAt!)) - online;
      const threads = await Promise.all([shownThreadCount(a.page), shownThreadCount(b.page)]);
      o.log(`merge: both hold ${target} records ${mergeMs.toFixed(0)} ms after going online (A ${(times[0].allAt! - online).toFixed(0)} ms, B ${(times[1].allAt! - online).toFixed(0)} ms); feeds show ${threads.join(' and ')} threads`);
      o.emit('sync.merge_1000x2_ms', mergeMs, 'ms', DATA);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await b?.close();
    await a.close();
  }
}

/** The room name the app uses on the relay (src/lib/sync/peer-sync.ts relayRoomName). */
async function relayRoom(cid: string, secret: string): Promise<string> {
  return toBase64Url(await sha256(new TextEncoder().encode(`hearth-relay:${cid}:${secret}`)));
}

/** Connects to the relay as a plain Yjs client and waits until its document holds `records` records. */
async function relayHolds(url: string, room: string, records: number, timeoutMs: number): Promise<number> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket });
  try {
    const map = doc.getMap('records');
    return await waitFor('the relay to hold the community', async () => map.size, (n) => n >= records, timeoutMs);
  } finally {
    provider.destroy();
    doc.destroy();
  }
}

function startRelay(port: number, dataDir: string): ChildProcess {
  return spawn(process.execPath, ['scripts/relay.js', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit']
  });
}

async function relayFigure(o: SyncBenchOptions): Promise<void> {
  const { meta } = o.dataset;
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-relay-'));
  const relay = startRelay(o.relayPort, dataDir);
  const url = `ws://127.0.0.1:${o.relayPort}`;
  let c: Device | null = null;
  try {
    const { device: a, cid, secret } = await creatorDevice(o);
    try {
      await setRelay(a.page, cid, url);
      const link = await makeInviteLink(a.page, cid, 'bench relay newcomer');
      await openFeed(a.page, cid);
      await a.page.getByText('Relay connected').waitFor({ timeout: 30_000 });
      const held = await recordCount(a.page, cid);
      const onRelay = await relayHolds(url, await relayRoom(cid, secret), held, 60_000);
      o.log(`relay: holds ${onRelay} records of the creator's ${held}; closing the creator's device`);
      await a.close();

      c = await newcomer(o, 'member-c', 'Bench C');
      const ms = await joinUntilThreads(c.page, link, meta.threads);
      o.log(`initial sync (relay alone): ${meta.threads} threads shown ${ms.toFixed(0)} ms after Join; newcomer holds ${await recordCount(c.page, cid)} records`);
      o.emit('sync.initial_relay_ms', ms, 'ms', DATA);
    } finally {
      await a.close();
    }
  } finally {
    await c?.close();
    relay.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function syncFigures(o: SyncBenchOptions): Promise<void> {
  const started = Date.now();
  o.log(`sync: two devices over WebRTC on ${o.dataset.meta.name} (${o.dataset.meta.records} records)`);
  await webrtcFigures(o);
  o.log('sync: newcomer through the relay alone');
  await relayFigure(o);
  o.log(`sync: targets p50 < ${SYNC_TARGETS.latencyP50Ms} ms, initial sync of the real data < ${SYNC_TARGETS.initialRealDataMs} ms; done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
