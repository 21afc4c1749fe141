// The sync figures of `npm run bench`, on the real community: a newcomer's initial sync over WebRTC,
// write-to-screen latency between two members, the merge of two offline sessions, and a newcomer's
// initial sync from the relay alone. tests/bench/README.md says how each is taken. The newcomer's
// initial syncs are taken on each community file given: the real community signed as one document and
// signed held in shards (`se-bicycles-meta-shards`, figures suffixed `.shards`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RelayLink } from '../../src/lib/sync/relay-client';
import * as Y from 'yjs';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { isShardedDataset, type DatasetMeta, type DatasetName } from '../../scripts/data/datasets';
import { groupByShard } from '../../src/lib/domain/shards';
import { relayRoomName, shardRoomName } from '../../src/lib/sync/relay-rooms';
import { identityFor, storedKeysFor } from '../../scripts/data/member-keys';
import type { AnyRecord } from '../../src/lib/domain/record';
import { offlineWrites, readRecords, sampleRecords, writeOfflineFile, writingSample } from '../../scripts/data/offline-writes';
import { describeLayout, heldLayout, importCommunityFile, median, type Device } from './browser-bench';
import {
  createCommunity,
  firstRowAfterJoin,
  giveRoomSecret,
  healthNotice,
  importIdentity,
  importWhileOffline,
  joinUntilThreads,
  makeInviteLink,
  mergeTimes,
  openFeed,
  openPeer,
  peerStatus,
  percentile,
  postThread,
  recordCount,
  replyLatencies,
  resumeLatencies,
  setRelay,
  shownThreadCount,
  storedRecords,
  watchForRecords
} from './sync-bench';

/** Targets the figures are read against (never enforced). */
export const SYNC_TARGETS = { latencyP50Ms: 100, initialRealDataMs: 1500 };
/** Writes of the latency run and operations per member in the merge run. */
export const LATENCY_WRITES = 200;
export const MERGE_OPS = 1000;
/** Rounds of the resume run (one device away, the other writes, the first comes back), and each round's wait. */
export const RESUME_ROUNDS = 10;
export const RESUME_TIMEOUT_MS = 60_000;
/** How long a newcomer's initial sync and the merge may take before the figure is reported as not reached. */
// 120 s since 2026-12-06 (30 s before): a newcomer to the real community held in shards was not done
// after 30 s, and a time beats a null for comparing the layouts.
const INITIAL_SYNC_TIMEOUT_MS = 120_000;
const MERGE_TIMEOUT_MS = 45_000;
/** Chromium's RTCDataChannel max-message-size (sctp.maxMessageSize): y-webrtc sends each Yjs message whole. */
const DATA_CHANNEL_MAX_BYTES = 262_144;
/** Seeded identities of the newcomers (namespace:handle, see scripts/data/member-keys.ts). */
export const NEWCOMER_NAMESPACE = 'hearth-bench-sync';

type Data = DatasetName;

export interface SyncBenchOptions {
  baseURL: string;
  relayPort: number;
  /** The real community's files: the initial syncs are taken on each, the latency and merge once (their texts come from the first). */
  datasets: { meta: DatasetMeta; file: string }[];
  emit: (bench: string, value: number, unit: 'ms', data: Data) => void;
  /** A figure that could not be taken: printed with value null and the reason. */
  fail: (bench: string, unit: 'ms', data: Data, reason: string) => void;
  log: (line: string) => void;
  /** Only the newcomer's initial syncs (WebRTC and relay), not the latency and merge of two members. */
  initialOnly?: boolean;
}

const DATA: Data = 'se-bicycles-meta';

/** One community file for the initial-sync figures: `dataset` in the options of one run. */
type DatasetRun = SyncBenchOptions & { dataset: { meta: DatasetMeta; file: string } };
/** A figure's name for the dataset: `.shards` when the community is held in shards. */
const named = (figure: string, data: DatasetName) => `${figure}${isShardedDataset(data) ? '.shards' : ''}`;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Node 20 has no WebSocket; the relay client takes the `ws` package's (untyped here). */
const NodeWebSocket = createRequire(import.meta.url)('ws') as typeof globalThis.WebSocket;

/** The creator of the real community on a fresh device, holding its data, with sync on. */
async function creatorDevice(o: DatasetRun): Promise<{ device: Device; cid: string; secret: string }> {
  const device = await openPeer(o.baseURL);
  await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
  const imported = await importCommunityFile(device.page, o.dataset.file);
  o.log(
    `  creator: ${imported.imported} records imported in ${(imported.ms / 1000).toFixed(1)} s, ${describeLayout(await heldLayout(device.page, imported.cid))}`
  );
  const room = await giveRoomSecret(device.page, imported.cid);
  if (room.added) o.log('  creator: the imported community had no room secret on this device; gave it one (workaround, see tests/bench/README.md)');
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

/** Bytes of the Yjs update that carries these records to a peer that has none of them (one transaction, as the import makes). */
function updateBytes(records: readonly AnyRecord[]): number {
  const doc = new Y.Doc();
  const map = doc.getMap('records');
  doc.transact(() => records.forEach((r) => map.set(r.id, r)));
  const n = Y.encodeStateAsUpdate(doc).length;
  doc.destroy();
  return n;
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/** A newcomer joins the real community over WebRTC while its creator's device holds it. */
export async function initialRealData(o: DatasetRun): Promise<void> {
  const { meta, file } = o.dataset;
  const figure = named('sync.initial_realdata_ms', meta.name);
  const { device: a, cid } = await creatorDevice(o);
  let b: Device | null = null;
  try {
    const link = await makeInviteLink(a.page, cid, 'bench newcomer');
    await openFeed(a.page, cid);
    b = await newcomer(o, 'member-b', 'Bench B');
    const ms = await joinUntilThreads(b.page, link, meta.threads, INITIAL_SYNC_TIMEOUT_MS);
    const [countA, countB, shown] = await Promise.all([recordCount(a.page, cid), recordCount(b.page, cid), shownThreadCount(b.page)]);
    const firstRow = await firstRowAfterJoin(b.page);
    o.log(
      `  records: creator ${countA}, newcomer ${countB} (its own join and profile included); newcomer's feed shows ${shown} of ${meta.threads} threads (its first row ${firstRow === null ? 'never' : `${firstRow.toFixed(0)} ms after Join`}); newcomer: ${await peerStatus(b.page)}, ${describeLayout(await heldLayout(b.page, cid))}`
    );
    for (const [who, d] of [
      ['creator', a],
      ['newcomer', b]
    ] as const) {
      const health = await healthNotice(d.page);
      if (health) o.log(`  ${who}'s health panel: ${health}`);
    }
    if (ms !== null) {
      o.log(`initial sync (WebRTC): ${meta.threads} threads shown ${ms.toFixed(0)} ms after Join (target < ${SYNC_TARGETS.initialRealDataMs} ms)`);
      o.emit(figure, ms, 'ms', meta.name);
    } else {
      const bytes = updateBytes(readRecords(file).records);
      // Since 2026-12-02 large messages go in parts (webrtc-chunking.ts): the size is a hint, no longer the cause.
      const reason =
        `the newcomer never showed the ${meta.threads} threads (it held ${countB} records, the creator ${countA}, ${INITIAL_SYNC_TIMEOUT_MS / 1000} s after Join); ` +
        `the history is ${kib(bytes)} as one Yjs update (the data channel takes ${kib(DATA_CHANNEL_MAX_BYTES)} a message, larger ones go in parts)`;
      o.log(`initial sync (WebRTC): NOT REACHED: ${reason}`);
      o.fail(figure, 'ms', meta.name, reason);
    }
  } finally {
    await b?.close();
    await a.close();
  }
}

/**
 * Two members of a community made through the UI (small enough to cross WebRTC whole): latency of
 * single writes, then the merge of two offline sessions.
 */
export async function latencyAndMerge(o: SyncBenchOptions): Promise<void> {
  const text = writingSample(readRecords(o.datasets[0].file).records);
  const a = await openPeer(o.baseURL);
  let b: Device | null = null;
  try {
    // The community is made as the app makes new ones (held in shards); HEARTH_BENCH_SHARDS=off makes it one document, to compare.
    const single = process.env.HEARTH_BENCH_SHARDS === 'off';
    if (single) await a.context.addInitScript(() => localStorage.setItem('hearth:shards', 'off'));
    await importIdentity(a.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
    const cid = await createCommunity(a.page, 'Sync bench', 'Two members, written to by the benchmark.');
    o.log(`latency: a community held ${single ? 'as one document' : 'in shards'}`);
    const link = await makeInviteLink(a.page, cid, 'bench member');
    await openFeed(a.page, cid);
    b = await newcomer(o, 'member-b', 'Bench B');
    const joinMs = await joinUntilThreads(b.page, link, 0, INITIAL_SYNC_TIMEOUT_MS);
    await waitFor(
      'the members to see each other',
      () => Promise.all([recordCount(a.page, cid), recordCount(b!.page, cid)]),
      ([x, y]) => x === y && x >= 5,
      30_000
    );
    o.log(`latency: community made through the UI, newcomer joined in ${joinMs?.toFixed(0)} ms; ${await peerStatus(b.page)}`);

    // Latency: A replies in a new thread, B has the thread open.
    const path = await postThread(a.page, cid, 'Sync latency bench', 'Replies written by the benchmark, one at a time.');
    const texts = text.bodies.filter((t) => t.length > 20 && t.length < 400);
    const run = await replyLatencies(a.page, b.page, path, LATENCY_WRITES, texts, o.log);
    const l = run.latencies;
    if (l.length === 0) {
      o.fail('sync.latency_p50_ms', 'ms', DATA, `none of ${LATENCY_WRITES} replies reached the other member within 15 s`);
      o.fail('sync.latency_p95_ms', 'ms', DATA, `none of ${LATENCY_WRITES} replies reached the other member within 15 s`);
    } else {
      const part = (from: number, to: number) => (l.length > from ? median(l.slice(from, to)).toFixed(0) : '–');
      o.log(
        `latency: ${l.length} of ${LATENCY_WRITES} replies seen (${run.lost} not within 15 s): ` +
          `min ${Math.min(...l).toFixed(0)}, p50 ${percentile(l, 50).toFixed(0)}, p95 ${percentile(l, 95).toFixed(0)}, max ${Math.max(...l).toFixed(0)} ms ` +
          `(target p50 < ${SYNC_TARGETS.latencyP50Ms} ms); median of replies 1-50 ${part(0, 50)} ms, 151-200 ${part(150, 200)} ms`
      );
      o.emit('sync.latency_p50_ms', percentile(l, 50), 'ms', DATA);
      o.emit('sync.latency_p95_ms', percentile(l, 95), 'ms', DATA);
    }

    // Resume: each in turn goes offline with the thread still open, the other replies, the first comes back online.
    const resumed = await resumeLatencies(a, b, RESUME_ROUNDS, RESUME_TIMEOUT_MS);
    const back = resumed.flatMap((r) => (r.ms === null ? [] : [r.ms]));
    const rounds = (away: 'a' | 'b') =>
      resumed
        .filter((r) => r.away === away)
        .map((r) => (r.ms === null ? `not within ${RESUME_TIMEOUT_MS / 1000} s` : r.ms.toFixed(0)))
        .join(', ');
    o.log(
      `resume: ${back.length} of ${RESUME_ROUNDS} replies written while the other device was away reached it once back online; B away: ${rounds('b')} ms; A (the creator) away: ${rounds('a')} ms`
    );
    if (back.length === RESUME_ROUNDS) o.emit('sync.resume_ms', median(back), 'ms', DATA);
    else
      o.fail(
        'sync.resume_ms',
        'ms',
        DATA,
        `${RESUME_ROUNDS - back.length} of ${RESUME_ROUNDS} replies did not reach the device back online within ${RESUME_TIMEOUT_MS / 1000} s`
      );

    // Merge: both go offline, each imports 1,000 of its own operations, both come back online.
    await Promise.all([openFeed(a.page, cid), openFeed(b.page, cid)]);
    const base = await waitFor(
      'both members to hold the same records',
      () => Promise.all([recordCount(a.page, cid), recordCount(b!.page, cid)]),
      ([x, y]) => x === y,
      30_000
    ).then(([x]) => x);
    const sample = sampleRecords(cid, await storedRecords(a.page, cid));
    const dir = mkdtempSync(join(tmpdir(), 'hearth-merge-'));
    try {
      const from = Date.now();
      const [creator, member] = await Promise.all([identityFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), identityFor(NEWCOMER_NAMESPACE, 'member-b')]);
      const writesA = await offlineWrites(sample, text, creator, { count: MERGE_OPS, from, seed: 'merge-a', label: 'A offline' });
      const writesB = await offlineWrites(sample, text, member, { count: MERGE_OPS, from, seed: 'merge-b', label: 'B offline' });
      const fileA = writeOfflineFile(join(dir, 'a.json'), sample, writesA);
      const fileB = writeOfflineFile(join(dir, 'b.json'), sample, writesB);
      await Promise.all([a.context.setOffline(true), b.context.setOffline(true)]);
      for (const d of [a, b]) await d.page.getByText('Offline — everything you write is kept on this device.').waitFor();
      const importedA = await importWhileOffline(a.page, cid, fileA);
      const importedB = await importWhileOffline(b.page, cid, fileB);
      const target = base + importedA.imported + importedB.imported;
      o.log(
        `merge: ${base} records each; offline, A imported ${importedA.imported} and B ${importedB.imported} of their own (${importedA.rejected + importedB.rejected} rejected); union ${target}`
      );
      await Promise.all([watchForRecords(a.page, cid, target), watchForRecords(b.page, cid, target)]);
      await Promise.all([a.context.setOffline(false), b.context.setOffline(false)]);
      const times = await waitFor(
        `both members to reach ${target} records`,
        () => Promise.all([mergeTimes(a.page), mergeTimes(b!.page)]),
        (t) => t.every((x) => x.allAt !== undefined),
        MERGE_TIMEOUT_MS
      ).catch(() => null);
      const after = await Promise.all([mergeTimes(a.page), mergeTimes(b.page)]);
      const threads = await Promise.all([shownThreadCount(a.page), shownThreadCount(b.page)]);
      o.log(
        `  after: A holds ${after[0].count}, B ${after[1].count} of ${target} records; feeds show ${threads.join(' and ')} threads; A: ${await peerStatus(a.page)}; B: ${await peerStatus(b.page)}`
      );
      if (times) {
        const online = Math.min(...times.map((t) => t.onlineAt ?? Infinity));
        const ms = Math.max(...times.map((t) => t.allAt!)) - online;
        o.log(
          `merge: both hold the union ${ms.toFixed(0)} ms after going online (A ${(times[0].allAt! - online).toFixed(0)} ms, B ${(times[1].allAt! - online).toFixed(0)} ms)`
        );
        o.emit('sync.merge_1000x2_ms', ms, 'ms', DATA);
      } else {
        const reason =
          `not converged ${MERGE_TIMEOUT_MS / 1000} s after going online (A ${after[0].count}, B ${after[1].count} of ${target} records); ` +
          `each side's offline writes are one Yjs update (A ${kib(updateBytes(writesA))}, B ${kib(updateBytes(writesB))}), over the data channel's ${kib(DATA_CHANNEL_MAX_BYTES)} message limit`;
        o.log(`merge: NOT REACHED: ${reason}`);
        o.fail('sync.merge_1000x2_ms', 'ms', DATA, reason);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await b?.close();
    await a.close();
  }
}

/** Connects to the relay as a reader (no member key) and waits (up to `timeoutMs`) until it holds every one of `ids`; returns the ids it lacks. */
async function missingInRoom(url: string, room: string, ids: readonly string[], timeoutMs: number): Promise<string[]> {
  const doc = new Y.Doc();
  const provider = new RelayLink({ addresses: [url], room, doc, identity: () => null, WebSocketPolyfill: NodeWebSocket });
  try {
    const map = doc.getMap('records');
    const missing = () => ids.filter((id) => !map.has(id));
    return await waitFor(
      'the relay to hold the community',
      async () => missing(),
      (m) => m.length === 0,
      timeoutMs
    ).catch(() => missing());
  } finally {
    provider.destroy();
    doc.destroy();
  }
}

/**
 * The records of `held` the relay lacks after `timeoutMs`: in the community's room, or for a community
 * held in shards in each shard's room (`<room>.core`, `<room>.2026-05`), which the relay keeps apart.
 */
async function missingOnRelay(url: string, room: string, held: readonly AnyRecord[], sharded: boolean, timeoutMs: number): Promise<string[]> {
  if (!sharded)
    return missingInRoom(
      url,
      room,
      held.map((r) => r.id),
      timeoutMs
    );
  const rooms = [...groupByShard(held)].map(([shard, records]) =>
    missingInRoom(
      url,
      shardRoomName(room, shard),
      records.map((r) => r.id),
      timeoutMs
    )
  );
  return (await Promise.all(rooms)).flat();
}

function startRelay(port: number, dataDir: string): ChildProcess {
  return spawn(process.execPath, ['scripts/relay.js', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit']
  });
}

export async function relayFigure(o: DatasetRun): Promise<void> {
  const { meta } = o.dataset;
  const figure = named('sync.initial_relay_ms', meta.name);
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
      const held = await storedRecords(a.page, cid);
      const missing = await missingOnRelay(url, await relayRoomName(cid, secret), held, isShardedDataset(meta.name), 30_000);
      o.log(`relay: holds ${held.length - missing.length} of the creator's ${held.length} records; closing the creator's device`);
      for (const r of held.filter((r) => missing.includes(r.id))) {
        o.log(`  warning: not on the relay: ${r.kind} ${r.id} by ${r.author.slice(0, 8)} at ${new Date(r.ts).toISOString()}`);
      }
      await a.close();

      c = await newcomer(o, 'member-c', 'Bench C');
      const ms = await joinUntilThreads(c.page, link, meta.threads, INITIAL_SYNC_TIMEOUT_MS);
      const [got, shown, firstRow] = [await recordCount(c.page, cid), await shownThreadCount(c.page), await firstRowAfterJoin(c.page)];
      const health = await healthNotice(c.page);
      o.log(
        `  newcomer holds ${got} records, its feed shows ${shown} threads (its first row ${firstRow === null ? 'never' : `${firstRow.toFixed(0)} ms after Join`}); ${await peerStatus(c.page)}, ${describeLayout(await heldLayout(c.page, cid))}${health ? `; health panel: ${health}` : ''}`
      );
      if (ms !== null) {
        o.log(`initial sync (relay alone): ${meta.threads} threads shown ${ms.toFixed(0)} ms after Join (target < ${SYNC_TARGETS.initialRealDataMs} ms)`);
        o.emit(figure, ms, 'ms', meta.name);
      } else {
        const reason = `the newcomer never showed the ${meta.threads} threads (${got} records after ${INITIAL_SYNC_TIMEOUT_MS / 1000} s)`;
        o.log(`initial sync (relay alone): NOT REACHED: ${reason}`);
        o.fail(figure, 'ms', meta.name, reason);
      }
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
  const phase = async (title: string, run: () => Promise<void>) => {
    const t = Date.now();
    o.log(`sync: ${title}`);
    await run();
    o.log(`  (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  };
  for (const dataset of o.datasets) {
    await phase(`a newcomer joins ${dataset.meta.name} (${dataset.meta.records} records) over WebRTC`, () => initialRealData({ ...o, dataset }));
  }
  if (!o.initialOnly) {
    await phase(`latency of ${LATENCY_WRITES} replies and merge of ${MERGE_OPS} offline operations per member, two members over WebRTC`, () =>
      latencyAndMerge(o)
    );
  }
  for (const dataset of o.datasets) {
    await phase(`a newcomer joins ${dataset.meta.name} through the relay alone`, () => relayFigure({ ...o, dataset }));
  }
  o.log(
    `sync: targets p50 < ${SYNC_TARGETS.latencyP50Ms} ms, initial sync of the real data < ${SYNC_TARGETS.initialRealDataMs} ms; done in ${((Date.now() - started) / 1000).toFixed(0)} s`
  );
}
