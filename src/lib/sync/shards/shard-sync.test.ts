// The shard sync between real Y.Docs over MessageChannel ports (an asynchronous, ordered duplex
// channel, as a WebRTC data channel is): convergence of two and three peers, the order a newcomer
// receives shards in, subscriptions, on-demand fetches and eviction, and hostile peers.
import { afterEach, describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { targetOf, type AnyRecord } from '../../domain/record';
import { addMonths, CORE_SHARD, keepsShard, type ShardId } from '../../domain/shards';
import { messageYjsSyncStep2, messageYjsUpdate } from '../gated-sync-protocol';
import { MemoryShardStorage, ShardSet } from './shard-set';
import { DEFAULT_BATCH_IN_FLIGHT, DEFAULT_BATCH_SIZE, ShardSync, type ShardSyncOptions } from './shard-sync';
import {
  decodeShardMessage,
  encodeBatch,
  encodeCatalogue,
  encodeHello,
  encodeLocate,
  encodeLocated,
  encodeSync,
  MAX_BATCH,
  MAX_CATALOGUE_ENTRIES,
  MAX_LOCATE,
  OP_HELLO
} from './shard-wire';
import { link, record, until, type Link } from './shard-test-kit';

const NOW = Date.UTC(2026, 4, 15);
const now = () => NOW;
const at = (month: ShardId, day = 10) => Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5)) - 1, day);

interface Device {
  set: ShardSet;
  sync: ShardSync;
  storage: MemoryShardStorage;
}

const open: Device[] = [];
const links: Link[] = [];

async function device(options: ShardSyncOptions & { maxOpen?: number } = {}): Promise<Device> {
  const storage = new MemoryShardStorage();
  const set = await new ShardSet({ storage, maxOpen: options.maxOpen ?? 4, now }).init();
  const sync = new ShardSync(set, { now, ...options });
  const d = { set, sync, storage };
  open.push(d);
  return d;
}

function connect(a: Device, b: Device, tap?: Parameters<typeof link>[2]): Link {
  const l = link(a.sync, b.sync, tap);
  links.push(l);
  return l;
}

afterEach(async () => {
  links.splice(0).forEach((l) => l.close());
  for (const d of open.splice(0)) {
    d.sync.destroy();
    await d.set.close();
  }
});

/** Every held shard's record ids, for comparing devices. */
async function contents(d: Device): Promise<Record<string, string[]>> {
  await d.set.settled();
  const out: Record<string, string[]> = {};
  for (const e of d.set.catalogue().sort((x, y) => (x.id < y.id ? -1 : 1))) out[e.id] = [...(await d.set.records(e.id)).keys()].sort();
  return out;
}

async function converged(...devices: Device[]): Promise<boolean> {
  const all = await Promise.all(devices.map(contents));
  return all.every((c) => JSON.stringify(c) === JSON.stringify(all[0]));
}

/** A community's history: a core and `months` months of threads, newest this month. */
async function history(d: Device, months: number, perMonth = 3): Promise<ShardId[]> {
  const ids: ShardId[] = [];
  await d.set.put([record('genesis', at('2024-01'), { name: 'C' }), record('profile', at('2024-01'), { name: 'Ann' })]);
  for (let i = 0; i < months; i++) {
    const month = addMonths('2026-05', -i);
    ids.push(month);
    await d.set.put(Array.from({ length: perMonth }, (_, n) => record('thread', at(month, n + 1))));
  }
  return ids;
}

describe('shard sync between peers', () => {
  it('brings two devices to the same shards and records, each giving what the other lacks', async () => {
    const a = await device();
    const b = await device();
    await history(a, 4);
    await b.set.put([record('profile', at('2026-05'), { name: 'Bo' }), record('reply', at('2026-04', 20)), record('thread', at('2025-08'))]);
    connect(a, b);
    await until(() => converged(a, b), 5_000, 'convergence');
    const c = await contents(a);
    expect(Object.keys(c).sort()).toEqual(['2025-08', '2026-02', '2026-03', '2026-04', '2026-05', CORE_SHARD].sort());
    expect(c[CORE_SHARD]).toHaveLength(3);
    expect(c['2026-04']).toHaveLength(4);
  });

  it('tells peers of a month it fetched once the answer is applied: a month applied in pieces is not asked back by its holder', async () => {
    const a = await device();
    const b = await device();
    await a.set.put([record('genesis', at('2024-01'), { name: 'C' }), record('profile', at('2024-01'), { name: 'Ann' })]);
    // 1,200 records in one month: the answer is applied in three pieces of at most 500 structs.
    await a.set.put(Array.from({ length: 1200 }, (_, n) => record('thread', at('2026-04', 1 + (n % 28)))));
    const told: number[] = [];
    let askedBack = 0;
    connect(a, b, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (!m.ok || to !== 'a' || m.value.op !== 'catalogue') {
        if (m.ok && to === 'b' && m.value.op === 'sync' && m.value.shard === '2026-04' && new Uint8Array(m.value.message)[0] === 0 && b.set.isHeld('2026-04'))
          askedBack++;
        return;
      }
      for (const e of m.value.entries) if (e.id === '2026-04') told.push(e.records);
    });
    await until(() => converged(a, b), 20_000, 'convergence');
    await b.set.settled();
    await new Promise((r) => setTimeout(r, 200));
    // Told at its first piece (500 records), the month's digest was not the holder's, and the holder asked for it back.
    expect(told, 'records the newcomer told it holds').toEqual([1200]);
    expect(askedBack, 'step 1s of the holder for the month the newcomer holds').toBe(0);
  }, 30_000);

  it('brings three devices in a line to the same state, the middle one passing updates on', async () => {
    const a = await device();
    const b = await device();
    const c = await device();
    await history(a, 3);
    await c.set.put([record('thread', at('2026-05', 2)), record('thread', at('2025-01'))]);
    connect(a, b);
    connect(b, c);
    await until(() => converged(a, b, c), 5_000, 'three-way convergence');
    // Live writes after the first sync travel the line too.
    await c.set.put([record('reply', at('2026-05', 9))]);
    await a.set.put([record('reply', at('2026-04', 9)), record('profile', at('2026-05'), { name: 'Al' })]);
    await until(() => converged(a, b, c), 5_000, 'live convergence');
    expect((await contents(c))['2026-04']).toHaveLength(4);
  });

  it('gives a newcomer the core first, then the newest months before older ones', async () => {
    const a = await device();
    const months = await history(a, 12);
    const newcomer = await device({ batchSize: 3, batchInFlight: 3 });
    const arrived: ShardId[] = [];
    newcomer.sync.onArrived((shard) => arrived.push(shard));
    connect(a, newcomer);
    await until(() => arrived.length === 13, 5_000, 'every shard');
    // The months of one answer are applied side by side: in order from one answer to the next.
    const answer = (shard: ShardId) => (shard === CORE_SHARD ? -1 : Math.floor(months.indexOf(shard) / 3));
    expect(arrived[0]).toBe(CORE_SHARD);
    expect(arrived.map(answer)).toEqual([-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(newcomer.sync.peakInFlight).toBeLessThanOrEqual(3);
    expect(await converged(a, newcomer)).toBe(true);
  });

  it('gives a newcomer its 143 months in ten round trips, the core alone first', async () => {
    const a = await device({ maxOpen: 2 });
    const months = await history(a, 143, 1);
    await a.set.settled();
    const newcomer = await device({ maxOpen: 2 });
    const asks: ShardId[][] = [];
    let stepOnes = 0;
    connect(a, newcomer, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (to === 'a' && m.ok && m.value.op === 'ask') asks.push(m.value.entries.map((e) => e.shard));
      if (to === 'a' && m.ok && m.value.op === 'sync' && m.value.message[0] === 0) stepOnes++;
    });
    await until(() => newcomer.set.catalogue().length === 144, 20_000, 'every shard');
    expect(stepOnes, 'the core, asked alone').toBe(1);
    expect(asks).toHaveLength(Math.ceil(143 / DEFAULT_BATCH_SIZE));
    expect(asks.flat()).toEqual(months);
    expect(newcomer.sync.peakInFlight).toBeLessThanOrEqual(DEFAULT_BATCH_IN_FLIGHT);
    expect(await converged(a, newcomer)).toBe(true);
  }, 30_000);

  it('asks a peer that never said it batches (an older version) one month at a time', async () => {
    const a = await device();
    const months = await history(a, 5);
    const newcomer = await device({ inFlight: 2 });
    // An older version sends no HELLO: the newcomer's view of it is a peer that does not batch.
    const { port1, port2 } = new MessageChannel();
    const pa = a.sync.addPeer({ send: (bytes) => bytes[2] !== OP_HELLO && port1.postMessage(bytes) });
    const pn = newcomer.sync.addPeer({ send: (bytes) => port2.postMessage(bytes) });
    const ops: string[] = [];
    port1.onmessage = (e: MessageEvent) => pa.receive(e.data);
    port2.onmessage = (e: MessageEvent) => {
      const m = decodeShardMessage(e.data);
      if (m.ok) ops.push(m.value.op);
      pn.receive(e.data);
    };
    await until(() => newcomer.set.catalogue().length === months.length + 1, 5_000, 'every shard');
    expect(new Set(ops)).toEqual(new Set(['catalogue', 'sync']));
    expect(newcomer.sync.peakInFlight).toBeLessThanOrEqual(2);
    expect(await converged(a, newcomer)).toBe(true);
    port1.close();
    port2.close();
  });

  it('answers a newcomer’s requests for closed months side by side, in the order asked', async () => {
    const a = await device({ maxOpen: 1 });
    const months = await history(a, 12);
    await a.set.settled();
    // Reading a closed month back takes a while (IndexedDB in the browser): answered one at a time,
    // the newcomer's eight requests in flight waited for each other's reads.
    let reading = 0;
    let peakReading = 0;
    const load = a.storage.load.bind(a.storage);
    a.storage.load = async (shard) => {
      peakReading = Math.max(peakReading, ++reading);
      await new Promise((resolve) => setTimeout(resolve, 20));
      reading--;
      return load(shard);
    };
    const newcomer = await device();
    const answered: ShardId[] = [];
    connect(a, newcomer, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (to === 'b' && m.ok && (m.value.op === 'answer' || m.value.op === 'sync'))
        answered.push(...(m.value.op === 'sync' ? [m.value.shard] : m.value.entries.map((e) => e.shard)));
    });
    await until(() => newcomer.set.catalogue().length === 13, 5_000, 'every shard');
    expect(answered).toEqual([CORE_SHARD, ...months]);
    expect(peakReading).toBeGreaterThan(4);
    expect(await converged(a, newcomer)).toBe(true);
  });

  it('skips shards whose digests are equal: a reconnect after a full sync asks for nothing', async () => {
    const a = await device();
    const b = await device();
    await history(a, 6);
    const first = connect(a, b);
    await until(() => converged(a, b), 5_000, 'first sync');
    first.close();
    const served = a.sync.counts.served + b.sync.counts.served;
    const sent: string[] = [];
    connect(a, b, (_to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (m.ok) sent.push(m.value.op);
    });
    await until(() => sent.length >= 4, 5_000, 'catalogues');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toEqual(['hello', 'catalogue', 'hello', 'catalogue']);
    expect(a.sync.counts.served + b.sync.counts.served).toBe(served);
  });

  it('sends a shard’s updates only to peers subscribed to it', async () => {
    const a = await device();
    await history(a, 3);
    await a.set.put([record('thread', at('2025-01'))]);
    // B keeps the last two months only: it never asks for 2025-01 nor 2026-03.
    const b = await device({ wants: (s) => keepsShard(s, { keepMonths: 2, kept: new Set() }, NOW) });
    const received: string[] = [];
    connect(a, b, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      // Records sent to B (step 2s and updates; a step 1 asks for B's own).
      if (to === 'b' && m.ok && m.value.op === 'sync' && m.value.message[0] !== 0) received.push(m.value.shard);
    });
    await until(() => b.set.isHeld('2026-04'), 5_000, 'the last months');
    await until(() => a.sync.peers()[0]?.subscribed.has('2026-04'), 5_000, 'the subscription');
    received.length = 0;
    await a.set.put([record('reply', at('2025-01', 20)), record('reply', at('2026-03', 20)), record('reply', at('2026-05', 20))]);
    await until(() => received.includes('2026-05'), 5_000, 'the current month’s update');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual(['2026-05']);
    expect(b.set.isHeld('2025-01')).toBe(false);
    expect(b.sync.counts.unsolicited).toBe(0);
  });

  it('asks the peer for a shard when its update builds on a write this device never received', async () => {
    const a = await device();
    await a.set.put([record('thread', at('2026-05'))]);
    const { peer, sent, deliver } = await hostile(a);
    // The peer's copy of the month: what A holds, then a write A never got (made before A subscribed),
    // then a reply: its live update alone reaches A.
    const theirs = new Y.Doc();
    Y.applyUpdate(theirs, Y.encodeStateAsUpdate((await a.set.acquire('2026-05'))!));
    a.set.release('2026-05');
    const unseen = record('thread', at('2026-05', 2));
    theirs.getMap('records').set(unseen.id, unseen);
    const before = Y.encodeStateVector(theirs);
    const reply = record('reply', at('2026-05', 3));
    theirs.getMap('records').set(reply.id, reply);
    await deliver(encodeCatalogue(true, [{ id: '2026-05', records: 1, digest: a.set.digest('2026-05'), held: true }]));
    sent.length = 0;
    await deliver(syncMessage('2026-05', messageYjsUpdate, Y.encodeStateAsUpdate(theirs, before)));
    expect((await a.set.records('2026-05')).has(reply.id), 'the reply waits for what it builds on').toBe(false);
    // A asks that peer for the month (a step 1), and its answer brings both.
    await until(
      () =>
        sent.some((b) => {
          const m = decodeShardMessage(b);
          return m.ok && m.value.op === 'sync' && m.value.shard === '2026-05' && m.value.message[0] === 0;
        }),
      2_000,
      'a step 1 for the month'
    );
    const step1 = sent.map(decodeShardMessage).find((m) => m.ok && m.value.op === 'sync' && m.value.message[0] === 0)!;
    const asked = decoding.createDecoder(step1.ok && step1.value.op === 'sync' ? step1.value.message : new Uint8Array([0, 0]));
    decoding.readVarUint(asked);
    const sv = decoding.readVarUint8Array(asked);
    await deliver(syncMessage('2026-05', messageYjsSyncStep2, Y.encodeStateAsUpdate(theirs, sv)));
    const held = await a.set.records('2026-05');
    expect(held.has(unseen.id) && held.has(reply.id)).toBe(true);
    expect(peer.ignored).toBe(false);
  });

  it('fetches an old shard on demand, evicts it, and fetches it again from a peer', async () => {
    const a = await device();
    await history(a, 3);
    const old = [record('thread', at('2024-03')), record('reply', at('2024-03', 12))];
    await a.set.put(old);
    const b = await device({ wants: (s) => keepsShard(s, { keepMonths: 2, kept: new Set() }, NOW) });
    connect(a, b);
    await until(() => b.set.isHeld('2026-04'), 5_000, 'the last months');
    expect(b.set.isHeld('2024-03')).toBe(false);
    expect(await b.sync.want('2024-03', 5_000)).toBe(true);
    expect([...(await b.set.records('2024-03')).keys()].sort()).toEqual(old.map((r) => r.id).sort());

    expect(await b.set.evict('2024-03')).toBe(true);
    expect(b.storage.updates.has('2024-03')).toBe(false);
    await until(() => !a.sync.peers()[0].subscribed.has('2024-03'), 5_000, 'the peer to drop the subscription');
    // Written while evicted: not sent to B, and B does not ask for it in the background.
    const later = record('reply', at('2024-03', 20));
    await a.set.put([later]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.set.isHeld('2024-03')).toBe(false);
    expect(b.sync.counts.unsolicited).toBe(0);
    expect(await b.sync.want('2024-03', 5_000)).toBe(true);
    expect((await b.set.records('2024-03')).has(later.id)).toBe(true);
  });

  it('finds the month of a thread a reply names, and the months holding an old thread’s replies', async () => {
    const lookupOf =
      (d: () => Device) =>
      async (mode: 'id' | 'target', ids: string[]): Promise<[string, ShardId][]> => {
        const out: [string, ShardId][] = [];
        for (const e of d().set.catalogue()) {
          for (const [key, value] of await d().set.records(e.id)) {
            const r = value as AnyRecord;
            const target = targetOf(r);
            if (mode === 'id' && ids.includes(key)) out.push([key, e.id]);
            if (mode === 'target' && target && ids.includes(target) && !out.some(([t, s]) => t === target && s === e.id)) out.push([target, e.id]);
          }
        }
        return out;
      };
    let a: Device | null = null;
    a = await device({ lookup: lookupOf(() => a!) });
    const old = record('thread', at('2024-03'));
    await a.set.put([
      old,
      record('reply', at('2025-01'), { thread: old.id, parent: old.id }),
      record('reply', at('2026-05'), { thread: old.id, parent: old.id })
    ]);
    const b = await device({ wants: (s) => keepsShard(s, { keepMonths: 1, kept: new Set() }, NOW) });
    connect(a, b);
    await until(() => b.set.isHeld('2026-05'), 5_000, 'this month');
    // B holds a reply whose thread it lacks: where is it?
    const where = await b.sync.locate('id', [old.id]);
    expect([...(where.get(old.id) ?? [])]).toEqual(['2024-03']);
    expect(await b.sync.want('2024-03', 5_000)).toBe(true);
    expect((await b.set.records('2024-03')).has(old.id)).toBe(true);
    // Reading that thread: the months holding its replies.
    const replies = await b.sync.locate('target', [old.id]);
    expect([...(replies.get(old.id) ?? [])].sort()).toEqual(['2025-01', '2026-05']);
  });

  it('keeps few documents open while a newcomer receives a long history', async () => {
    const a = await device({ maxOpen: 2 });
    await history(a, 24, 2);
    const newcomer = await device({ maxOpen: 2, batchSize: 2, batchInFlight: 2 });
    connect(a, newcomer);
    await until(() => newcomer.set.catalogue().length === 25, 10_000, 'every shard');
    // The core and the current month stay open; besides them, the limit plus what is in use.
    expect(newcomer.set.peakOpen).toBeLessThanOrEqual(2 + 2 + 2 + 1);
    // The holder: the core and the current month, the limit, and the months of the ask it answers.
    expect(a.set.peakOpen).toBeLessThanOrEqual(2 + 2 + 2);
    expect(newcomer.sync.peakInFlight).toBeLessThanOrEqual(2);
    expect(await converged(a, newcomer)).toBe(true);
  });
});

/** A hostile peer: whatever it sends reaches the device's sync as from a connected peer. */
async function hostile(d: Device) {
  const sent: Uint8Array[] = [];
  const peer = d.sync.addPeer({ send: (bytes) => sent.push(bytes) });
  const deliver = async (bytes: Uint8Array) => {
    peer.receive(bytes);
    await peer.inbox;
    await d.set.settled();
  };
  return { peer, sent, deliver };
}

function update(...records: ReturnType<typeof record>[]): Uint8Array {
  const doc = new Y.Doc();
  for (const r of records) doc.getMap('records').set(r.id, r);
  return Y.encodeStateAsUpdate(doc);
}

function syncMessage(shard: string, type: number, payload: Uint8Array): Uint8Array {
  return encodeSync(shard, (e) => (encoding.writeVarUint(e, type), encoding.writeVarUint8Array(e, payload)));
}

describe('a hostile peer', () => {
  it('cannot put records into the wrong shard: they are junk, counted, never held', async () => {
    const d = await device();
    await d.set.put([record('thread', at('2026-05'))]);
    const { deliver } = await hostile(d);
    const honest = record('reply', at('2026-05', 3));
    const early = record('reply', at('2026-04', 3));
    const core = record('grant', at('2026-05', 3), { member: 'm'.repeat(43), role: 'admin' });
    await deliver(syncMessage('2026-05', messageYjsUpdate, update(honest, early, core)));
    const held = await d.set.records('2026-05');
    expect(held.has(honest.id)).toBe(true);
    expect(held.has(early.id)).toBe(false);
    expect(held.has(core.id)).toBe(false);
    expect(d.set.gate.wrongShard).toBe(2);
    expect(d.set.isHeld('2026-04')).toBe(false);
    expect((await d.set.records(CORE_SHARD)).has(core.id)).toBe(false);
  });

  it('cannot make a device open or hold a shard it did not ask for', async () => {
    const d = await device();
    const { deliver } = await hostile(d);
    await deliver(syncMessage('2019-02', messageYjsSyncStep2, update(record('thread', at('2019-02')))));
    await deliver(syncMessage('2019-03', messageYjsUpdate, update(record('thread', at('2019-03')))));
    expect(d.sync.counts.unsolicited).toBe(2);
    expect(d.set.isHeld('2019-02')).toBe(false);
    expect(d.set.openCount()).toBe(0);
  });

  it('is refused and counted for junk shard ids, oversized catalogues and unreadable messages', async () => {
    const d = await device();
    const { deliver } = await hostile(d);
    const badId = encodeCatalogue(true, [{ id: 'core', records: 1, digest: '0'.repeat(16), held: true }]);
    // Rewrite "core" as "c0re": a shard id that is not one.
    badId[badId.indexOf(0x6f)] = 0x30;
    await deliver(badId);
    await deliver(syncMessage('1900-01', messageYjsUpdate, update()));
    const tooMany = encodeCatalogue(true, []);
    const huge = new Uint8Array(tooMany.length + 3);
    huge.set(tooMany.subarray(0, 4));
    huge.set([0xff, 0xff, 0x03], 4); // a count of 65,535 entries
    await deliver(huge);
    await deliver(new Uint8Array([0xf9, 1, 0x7f, 1, 2, 3]));
    await deliver(syncMessage(CORE_SHARD, 9, new Uint8Array(3)));
    expect(d.sync.counts.refused).toEqual({ 'shard.bad_id': 2, 'shard.oversized': 1, 'shard.malformed': 1, 'sync.malformed': 1 });
    expect(d.set.catalogue()).toEqual([]);
    expect(MAX_CATALOGUE_ENTRIES).toBeLessThan(65_535);
  });

  it('refuses and counts a hostile batch, and applies nothing of an answer it did not ask for', async () => {
    const d = await device();
    const { deliver, sent } = await hostile(d);
    await deliver(encodeHello());
    const step2 = (shard: ShardId) => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, messageYjsSyncStep2);
      encoding.writeVarUint8Array(e, update(record('thread', at(shard))));
      return encoding.toUint8Array(e);
    };
    // An answer nobody asked for: nothing is opened nor held, each month counted.
    await deliver(
      encodeBatch('answer', [
        { shard: '2019-02', message: step2('2019-02') },
        { shard: '2019-03', message: step2('2019-03') }
      ])
    );
    expect(d.sync.counts.unsolicited).toBe(2);
    expect(d.set.isHeld('2019-02') || d.set.isHeld('2019-03')).toBe(false);
    expect(d.set.openCount()).toBe(0);
    // Offered two months, asked for them in one ask; answered with one of them and one not asked for.
    await deliver(
      encodeCatalogue(
        true,
        ['2026-04', '2026-03'].map((id) => ({ id, records: 1, digest: 'ab'.repeat(8), held: true }))
      )
    );
    await until(() => sent.some((b) => decodeShardMessage(b).ok && (decodeShardMessage(b) as { value: { op: string } }).value.op === 'ask'), 2_000, 'the ask');
    await deliver(
      encodeBatch('answer', [
        { shard: '2026-04', message: step2('2026-04') },
        { shard: '2026-02', message: step2('2026-02') }
      ])
    );
    expect(d.set.isHeld('2026-04')).toBe(true);
    expect(d.set.isHeld('2026-02')).toBe(false);
    expect(d.sync.counts.unsolicited).toBe(3);
    // A batch past its bound, or naming a month twice: refused whole, counted, nothing held.
    const twice = encodeBatch('answer', [{ shard: '2026-03', message: step2('2026-03') }]);
    const doubled = new Uint8Array([...twice.subarray(0, 3), 2, ...twice.subarray(4), ...twice.subarray(4)]);
    await deliver(doubled);
    const oversized = new Uint8Array([...twice.subarray(0, 3), MAX_BATCH + 1, ...twice.subarray(4)]);
    await deliver(oversized);
    expect(d.sync.counts.refused).toEqual({ 'shard.malformed': 1, 'shard.oversized': 1 });
    expect(d.set.isHeld('2026-03')).toBe(false);
  });

  it('is ignored after too many refusals', async () => {
    const d = await device({ maxStrikes: 3 });
    const { peer, deliver } = await hostile(d);
    for (let i = 0; i < 5; i++) await deliver(new Uint8Array([0xf9, 1, 9]));
    expect(peer.ignored).toBe(true);
    expect(d.sync.counts.ignoredPeers).toBe(1);
    expect(d.sync.peers()).not.toContain(peer);
  });

  it('that never answers holds at most `inFlight` requests, which time out and go to an honest peer', async () => {
    const d = await device({ inFlight: 2, batchInFlight: 2, requestTimeoutMs: 100 });
    const { sent, deliver } = await hostile(d);
    const entries = Array.from({ length: 10 }, (_, i) => ({ id: addMonths('2026-05', -i), records: 5, digest: 'ab'.repeat(8), held: true }));
    await deliver(encodeCatalogue(true, entries));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const asked = () => sent.map((b) => decodeShardMessage(b)).filter((m) => m.ok && m.value.op === 'sync').length;
    expect(asked()).toBe(2);
    expect(d.sync.pending().inFlight).toHaveLength(2);
    const a = await device();
    await history(a, 10, 1);
    connect(a, d);
    await until(() => d.set.catalogue().length === 11, 5_000, 'the honest peer’s shards');
    expect(d.sync.counts.timeouts).toBeGreaterThanOrEqual(2);
    expect(d.sync.peakInFlight).toBeLessThanOrEqual(2);
  });

  it('cannot ask about too many records at once, nor answer what nobody asked', async () => {
    const d = await device();
    const { deliver } = await hostile(d);
    const ids = Array.from({ length: MAX_LOCATE }, (_, i) => `${i}`.padEnd(43, 'x'));
    const tooMany = encodeLocate(1, 'id', ids);
    const huge = new Uint8Array(tooMany.length + 44);
    huge.set(tooMany.subarray(0, 8));
    huge.set([0x81, 0x02], 8); // 257 ids
    huge.set(tooMany.subarray(10), 10);
    await deliver(huge);
    await deliver(encodeLocated(42, [[ids[0], '2026-01']]));
    expect(d.sync.counts.refused).toEqual({ 'shard.oversized': 1 });
    expect(d.sync.counts.unsolicited).toBe(1);
  });

  it('drops messages past the queue bound instead of holding them all', async () => {
    const d = await device({ maxQueued: 4 });
    const { peer } = await hostile(d);
    for (let i = 0; i < 20; i++) peer.receive(syncMessage('2026-05', messageYjsUpdate, update()));
    await peer.inbox;
    expect(d.sync.counts.overflow).toBe(16);
  });
});
