// Where a record is, asked of peers (LOCATE, docs/shards.md) between two devices of a community held
// in shards, over a MessageChannel as a data channel: each answers from its stored records (a record's
// month by id; the months of what points at a thread, two steps down) and names only months it holds;
// a link to a thread in an evicted month fetches that month and its replies' months; and what a
// capped device keeps: the months of its member's writes and of the threads they answered, the threads
// saved on the device, and the months read on demand lately.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { CORE_SHARD, shardOf, type ShardId } from '../domain/shards';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { readMonths, savedThreads, setSaved } from '../store/kept-months';
import { ShardedCommunity } from './sharded-community';
import { until } from './shards/shard-test-kit';

let dbs = 0;
const opened: ShardedCommunity[] = [];
const closers: (() => void)[] = [];

afterEach(async () => {
  closers.splice(0).forEach((f) => f());
  for (const c of opened.splice(0)) {
    await c.settled();
    c.close();
  }
});

async function device(cid: string): Promise<ShardedCommunity> {
  const community = new ShardedCommunity(new HearthDb(`sharded-locate-${dbs++}`), cid);
  await community.open();
  opened.push(community);
  return community;
}

/** Two devices' shard syncs joined over a MessageChannel, as the worker's are over a data channel. */
function connect(a: ShardedCommunity, b: ShardedCommunity): void {
  const { port1, port2 } = new MessageChannel();
  const toB = a.shards.connect((bytes) => port1.postMessage(bytes));
  const toA = b.shards.connect((bytes) => port2.postMessage(bytes));
  port1.onmessage = (e: MessageEvent) => toB.receive(e.data);
  port2.onmessage = (e: MessageEvent) => toA.receive(e.data);
  closers.push(() => (toA.close(), toB.close(), port1.close(), port2.close()));
}

const MONTH = 30 * 24 * 3600_000;
/** Three months of 2023–24 (the fixture's genesis is dated 2023-11-14). */
const STARTS = [1_700_000_001_000, 1_700_000_001_000 + MONTH, 1_700_000_001_000 + 2 * MONTH];
const NOW = STARTS[2] + 1000;

/**
 * Alice's community with Carol a member: a thread of Alice's in each month; Carol's reply in the
 * second month to the first month's thread, and Alice's reaction to that reply in the third.
 */
async function community() {
  const alice = await newMember();
  const carol = await newMember();
  const g = await newCommunity(alice);
  const core: AnyRecord[] = [g, ...(await admit(alice, carol, g.id))];
  const threads: AnyRecord[] = [];
  for (const [i, start] of STARTS.entries()) threads.push(await writer(alice, g.id, start)('thread', { title: `thread of month ${i}`, body: 'hello' }));
  const reply = await writer(carol, g.id, STARTS[1] + 500_000)('reply', { thread: threads[0].id, parent: threads[0].id, body: 'late answer' });
  const reaction = await writer(alice, g.id, STARTS[2] + 500_000)('reaction', { target: reply.id, emoji: '👍', on: true });
  const months = STARTS.map((ts) => shardOf({ kind: 'thread', ts })) as ShardId[];
  return { alice, carol, g, core, threads, reply, reaction, months, all: [...core, ...threads, reply, reaction] };
}

async function holding(cid: string, records: readonly AnyRecord[]): Promise<ShardedCommunity> {
  const d = await device(cid);
  for (const r of records) expect((await d.append(r)).ok).toBe(true);
  await d.settled();
  return d;
}

/** Alice's device holding everything, Bob's (a reader) synced with it and then keeping only the last month. */
async function capped() {
  const c = await community();
  const a = await holding(c.g.id, c.all);
  const b = await device(c.g.id);
  connect(a, b);
  await until(async () => (await b.db.threads.where('cid').equals(c.g.id).count()) === 3, 10_000, 'three threads on the reader’s device');
  await b.settled();
  expect(await b.keepMonths(1, null, NOW)).toEqual([c.months[0], c.months[1]]);
  expect(await b.db.threads.get(c.threads[0].id)).toBeUndefined();
  return { ...c, a, b };
}

const asObject = (found: Map<string, Set<ShardId>>) => Object.fromEntries([...found].map(([id, s]) => [id, [...s].sort()]));

describe('locating records in a community held in shards', () => {
  it('answers which month holds a record and which months hold what points at it (two steps down), naming only months it holds', async () => {
    const { a, b, g, core, threads, months } = await capped();
    // Bob's device asks; Alice's answers from her stored records.
    expect(asObject(await b.locate('id', [threads[0].id, threads[2].id, core[1].id, g.id]))).toEqual({
      [threads[0].id]: [months[0]],
      [threads[2].id]: [months[2]],
      [core[1].id]: [CORE_SHARD],
      [g.id]: [CORE_SHARD]
    });
    // The first month's thread: Carol's reply is in the second month, Alice's reaction to it in the third.
    expect(asObject(await b.locate('target', [threads[0].id]))).toEqual({ [threads[0].id]: [months[1], months[2]] });
    expect(asObject(await b.locate('id', ['x'.repeat(43)]))).toEqual({});
    // Alice's device asks Bob's: it evicted the first two months, so it names only the third.
    expect(asObject(await a.locate('id', [threads[0].id, threads[2].id]))).toEqual({ [threads[2].id]: [months[2]] });
    // Nor what points at the first month's thread: the reaction it holds points at a reply it let go.
    expect(asObject(await a.locate('target', [threads[0].id]))).toEqual({});
    expect(asObject(await a.locate('target', [threads[2].id]))).toEqual({});
  });

  it('a device that evicted months takes no first page: it would put their newest threads back without their month', async () => {
    const { a, b, threads } = await capped();
    expect(await b.wantsFirstPage()).toBe(false);
    expect(await b.takeFirstPage(await a.firstPage())).toBe(false);
    await b.settled();
    expect(await b.db.threads.get(threads[0].id)).toBeUndefined();
  });

  it('lists the months not on the device and fetches a linked thread in an evicted month with the months of its replies', async () => {
    const { b, g, threads, reply, months } = await capped();
    expect((await b.missingMonths(NOW)).months).toEqual([
      { id: months[1], records: 2, evicted: true },
      { id: months[0], records: 1, evicted: true }
    ]);
    const got = await b.fetchThread(threads[0].id);
    expect(got).toMatchObject({ found: true, failed: [], peers: 1 });
    expect(got.fetched.sort()).toEqual([months[0], months[1]]);
    await until(async () => (await b.db.replies.get(reply.id)) !== undefined, 10_000, 'the reply shown');
    expect(await b.db.threads.get(threads[0].id)).toMatchObject({ id: threads[0].id });
    expect((await b.missingMonths(NOW)).months).toEqual([]);
    // Read on demand: kept a while, whatever the cap.
    expect([...(await readMonths(b.db, g.id)).keys()].sort()).toEqual([months[0], months[1]]);
    expect(await b.keepMonths(1, null, NOW)).toEqual([]);
    // A thread no peer holds: not found, nothing fetched.
    expect(await b.fetchThread('y'.repeat(43))).toEqual({ found: false, fetched: [], failed: [], peers: 1 });
  });

  it('a capped device keeps the months of the member’s writes, of the threads they answered, and of threads saved on it', async () => {
    const { carol, g, all, threads, months } = await community();
    // Carol's reply (second month) answers the first month's thread: both stay; the third is the last month.
    const c1 = await holding(g.id, all);
    expect(await c1.keepMonths(1, carol.publicKey, NOW)).toEqual([]);
    // A reader who saved the second month's thread keeps that month, not the first.
    const c2 = await holding(g.id, all);
    await setSaved(c2.db, g.id, { id: threads[1].id, createdAt: threads[1].ts }, true);
    expect(await savedThreads(c2.db, g.id)).toMatchObject([{ id: threads[1].id, month: months[1] }]);
    expect(await c2.keepMonths(1, null, NOW)).toEqual([months[0]]);
    // Unsaved, it goes too.
    await setSaved(c2.db, g.id, { id: threads[1].id, createdAt: threads[1].ts }, false);
    expect(await savedThreads(c2.db, g.id)).toEqual([]);
    expect(await c2.keepMonths(1, null, NOW)).toEqual([months[1]]);
  });
});
