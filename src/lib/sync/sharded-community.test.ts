// A community held in shards, on real signed records in real (fake-indexeddb) databases: writes land
// in their month's document and are projected; a reopened device holds the same shards; a newcomer's
// device gets the core first and then the months newest first over the shard sync (MessageChannel
// ports, as a data channel), and shows every thread; a member's later reply reaches the other device
// in its month; a value in the wrong month's document is refused, on the bytes and on the record.
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { monthsCommunity, THREE_MONTHS, writer } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { closedAfterEach } from '../../../tests/unit/closed-after-each';
import { CORE_SHARD, shardOf, type ShardId } from '../domain/shards';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { deleteRecords } from '../store/record-store';
import { messageYjsSyncStep2, readSyncMessage } from './gated-sync-protocol';
import { FIRST_PAGE_THREADS } from './first-page';
import { listedMonths, ShardedCommunity } from './sharded-community';
import { ShardSync } from './shards/shard-sync';
import { decodeShardMessage } from './shards/shard-wire';
import { link, until } from './shards/shard-test-kit';

// Rebuilds counted (each still runs): an import held in shards rebuilds the projection once.
// So are recounts of the records kept out of view (each reads every record of the community).
const rebuilds = vi.hoisted(() => ({ count: 0 }));
const recounts = vi.hoisted(() => ({ count: 0 }));
// Projection passes over records a check accepted (each still runs).
const passes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../store/projection', async (original) => {
  const actual = await original<typeof import('../store/projection')>();
  return {
    ...actual,
    rebuildProjection: (...args: Parameters<typeof actual.rebuildProjection>) => {
      rebuilds.count++;
      return actual.rebuildProjection(...args);
    },
    countUnauthorised: (...args: Parameters<typeof actual.countUnauthorised>) => {
      recounts.count++;
      return actual.countUnauthorised(...args);
    },
    applyRecords: (...args: Parameters<typeof actual.applyRecords>) => {
      if (args[2].length) passes.count++;
      return actual.applyRecords(...args);
    }
  };
});

// Reads of every id the community has stored, counted (each still runs): an import held in shards
// reads them for the whole import, not for each month.
const idReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../store/record-store', async (original) => {
  const actual = await original<typeof import('../store/record-store')>();
  return {
    ...actual,
    countStoredOf: (...args: Parameters<typeof actual.countStoredOf>) => {
      idReads.count++;
      return actual.countStoredOf(...args);
    },
    communityRecordIds: (...args: Parameters<typeof actual.communityRecordIds>) => {
      idReads.count++;
      return actual.communityRecordIds(...args);
    },
    storedIdsOf: (...args: Parameters<typeof actual.storedIdsOf>) => {
      idReads.count++;
      return actual.storedIdsOf(...args);
    }
  };
});

/**
 * IndexedDB transactions on one database between `start` and `stop`, by the stores they span (sorted,
 * comma-joined; ' rw' after for read-write ones). Made before the database opens: Dexie binds
 * `transaction` as it opens.
 */
function transactionCounter(name: string) {
  const counts = new Map<string, number>();
  let counting = false;
  const prototype = IDBDatabase.prototype;
  const original = prototype.transaction;
  prototype.transaction = function (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, ...rest: unknown[]) {
    if (counting && this.name === name) {
      const key = [stores].flat().sort().join(',') + (mode === 'readwrite' ? ' rw' : '');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return original.call(this, stores, mode, ...(rest as [IDBTransactionOptions?]));
  } as typeof original;
  return {
    of: (stores: string) => counts.get(stores) ?? 0,
    start: () => void (counting = true),
    stop: () => void ((counting = false), (prototype.transaction = original))
  };
}

let dbs = 0;
const { opened, syncs, links } = closedAfterEach<ShardedCommunity>();

async function device(cid: string, db = new HearthDb(`sharded-${dbs++}`), maxOpen?: number, idleCloseMs?: number): Promise<ShardedCommunity> {
  const community = new ShardedCommunity(db, cid, { maxOpen, idleCloseMs });
  await community.open();
  opened.push(community);
  return community;
}

/** A device on which these records were written, settled. */
async function holding(cid: string, records: readonly AnyRecord[], db?: HearthDb, maxOpen?: number): Promise<ShardedCommunity> {
  const d = await device(cid, db, maxOpen);
  for (const r of records) expect((await d.append(r)).ok).toBe(true);
  await d.settled();
  return d;
}

const STARTS = THREE_MONTHS;
const community = monthsCommunity;

const months = (records: readonly AnyRecord[]) => [...new Set(records.map(shardOf))].filter((s) => s !== CORE_SHARD).sort();

/** A first page of threads in the newest month (`STARTS[2]`). */
const firstPageThreads = (alice: Identity, cid: string) => {
  const write = writer(alice, cid, STARTS[2]);
  return Promise.all(Array.from({ length: FIRST_PAGE_THREADS }, (_, i) => write('thread', { title: `page ${i}`, body: 'b' }, STARTS[2] + 5_000 + i)));
};

/**
 * `a`'s `shards` reach `b` together, as a peer's answers arriving while the first month's check is
 * waiting in the queue; the projection passes are counted from here. Resolves once `b` has settled.
 */
async function arriveTogether(a: ShardedCommunity, b: ShardedCommunity, shards: ShardId[]): Promise<void> {
  const updates = shards.map((m) => [m, Y.encodeStateAsUpdate(a.shard(m)!.doc)] as const);
  const docs = await Promise.all(updates.map(([m]) => b.acquire(m, true)));
  passes.count = 0;
  updates.forEach(([, update], i) => Y.applyUpdate(docs[i]!, update, 'peer'));
  for (const [m] of updates) b.release(m);
  await b.settled();
}

describe('a community held in shards', () => {
  it('puts each write in its month’s document, the core’s in the core, projects them all, and holds them again after reopening', async () => {
    const { g, core, content } = await community();
    const db = new HearthDb(`sharded-${dbs++}`);
    const a = await holding(g.id, [...core, ...content], db);
    expect(months(content)).toHaveLength(3);
    for (const month of months(content)) {
      const doc = a.shard(month as ShardId);
      expect(doc?.records.size).toBe(4);
      for (const key of doc!.records.keys()) expect(shardOf(doc!.records.get(key) as AnyRecord)).toBe(month);
    }
    expect([...a.core.records.keys()].sort()).toEqual(core.map((r) => r.id).sort());
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(6);
    expect(await db.replies.where('cid').equals(g.id).count()).toBe(6);
    expect(
      a
        .catalogue()
        .map((e) => e.id)
        .sort()
    ).toEqual([CORE_SHARD, ...months(content)].sort());

    await a.settled();
    a.close();
    opened.splice(opened.indexOf(a), 1);
    const again = await device(g.id, new HearthDb(db.name));
    await again.settled();
    expect(again.size()).toBe(core.length + content.length);
    expect(
      again
        .catalogue()
        .map((e) => e.id)
        .sort()
    ).toEqual([CORE_SHARD, ...months(content)].sort());
    for (const month of months(content)) expect(again.digest(month as ShardId)).toBe(a.digest(month as ShardId));
    expect((await again.exportRecords()).map((r) => r.id).sort()).toEqual([...core, ...content].map((r) => r.id).sort());
    expect(again.health.rejected).toBe(0);
  });

  it('gives a newcomer’s device the core first, then the months newest first, and it shows every thread; a later reply reaches the other device in its month', async () => {
    const { bob, g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await device(g.id);
    const now = () => STARTS[2] + 1000;
    const sa = new ShardSync(a, { now });
    const sb = new ShardSync(b, { now });
    syncs.push(sa, sb);
    const arrived: string[] = [];
    links.push(
      link(sa, sb, (to, bytes) => {
        const m = decodeShardMessage(bytes);
        if (to === 'b' && m.ok && m.value.op === 'sync' && new Uint8Array(m.value.message)[0] === messageYjsSyncStep2) arrived.push(m.value.shard);
        if (to === 'b' && m.ok && m.value.op === 'answer') arrived.push(...m.value.entries.map((e) => e.shard));
      })
    );
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 6, 10_000, 'six threads on the newcomer');
    await b.settled();
    expect(arrived).toEqual([CORE_SHARD, ...months(content).reverse()]);
    expect(await b.db.replies.where('cid').equals(g.id).count()).toBe(6);
    expect(b.health.rejected).toBe(0);
    for (const month of months(content)) expect(b.digest(month as ShardId)).toBe(a.digest(month as ShardId));

    const last = content.at(-2)!;
    const reply = await writer(bob, g.id, STARTS[2] + 900_000)('reply', { thread: last.id, parent: last.id, body: 'later' });
    expect((await b.append(reply)).ok).toBe(true);
    await until(async () => (await a.db.replies.get(reply.id)) !== undefined, 10_000, 'Bob’s reply on Alice’s device');
    expect(a.shard(shardOf(reply) as ShardId)?.records.get(reply.id)).toEqual(reply);
  });

  it('a newcomer reads nothing stored for a month it never held (was: its stored rows and ingest mark, a transaction a month), and the count of refused rows not at all (the core’s count serves the community)', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const db = new HearthDb(`sharded-${dbs++}`);
    const transactions = transactionCounter(db.name);
    const b = await device(g.id, db);
    await b.settled();
    transactions.start();
    const sa = new ShardSync(a, { now: () => STARTS[2] + 1000 });
    const sb = new ShardSync(b, { now: () => STARTS[2] + 1000 });
    syncs.push(sa, sb);
    links.push(link(sa, sb));
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 6, 10_000, 'six threads on the newcomer');
    await b.settled();
    transactions.stop();
    expect(months(content)).toHaveLength(3);
    // Each was a transaction a month: 3 and 3 (and one more for the count), where the real community has 143 months.
    expect(transactions.of('rejected'), 'counts of refused rows').toBe(0);
    expect(transactions.of('ingestMarks'), 'ingest marks read alone').toBe(0);
    expect(transactions.of('docUpdates,ingestMarks'), 'stored rows and mark of months never held').toBe(0);
    // The months came in one answer: their catalogue rows are saved in one write (was one a month).
    expect(transactions.of('shardCatalogue rw'), 'catalogue rows of months announced together').toBe(1);
    expect((await b.db.shardCatalogue.where('[cid+shard]').between([g.id, ''], [g.id, '\uffff']).toArray()).map((r) => r.shard).sort()).toEqual(
      months(content)
    );
    expect(b.health.rejected).toBe(0);
  });

  it('a month evicted as soon as it is announced stays evicted: its row saved with the months announced beside it does not say it is held', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await holding(g.id, core);
    const [m0, m1] = months(content) as ShardId[];
    const updates = [m0, m1].map((m) => [m, Y.encodeStateAsUpdate(a.shard(m)!.doc)] as const);
    const docs = await Promise.all(updates.map(([m]) => b.acquire(m, true)));
    updates.forEach(([, update], i) => Y.applyUpdate(docs[i]!, update, 'peer'));
    for (const [m] of updates) b.release(m);
    // Both announced in this task; the first evicted before their rows are written.
    const evicted = b.evict(m0, STARTS[2] + 1000);
    expect(await evicted).toBe(true);
    await b.settled();
    b.close();
    opened.splice(opened.indexOf(b), 1);
    const again = await device(g.id, new HearthDb(b.db.name));
    expect(again.isEvicted(m0)).toBe(true);
    expect(again.isHeld(m1)).toBe(true);
  });

  it('a holder serving its closed months to a newcomer answers them from what it stored: it neither opens them, checks them again nor writes their ingest marks again', async () => {
    const { g, core, content } = await community();
    const db = new HearthDb(`sharded-${dbs++}`);
    const transactions = transactionCounter(db.name);
    const a = await holding(g.id, [...core, ...content], db, 0);
    await until(() => months(content).every((m) => !a.isOpen(m as ShardId)), 5_000, 'the holder’s months closed');
    await a.healthSettled(); // its recount, which saves the core's mark, is done
    const b = await device(g.id);
    transactions.start();
    const openedBefore = a.opened.length;
    const sa = new ShardSync(a, { now: () => STARTS[2] + 1000 });
    const sb = new ShardSync(b, { now: () => STARTS[2] + 1000 });
    syncs.push(sa, sb);
    links.push(link(sa, sb));
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 6, 10_000, 'six threads on the newcomer');
    await a.settled();
    transactions.stop();
    // Each was opened to be served (was: 3, each read back, filled and closed again).
    expect(a.opened.slice(openedBefore), 'months opened to be served').toEqual([]);
    expect(a.servedClosed, 'months answered from their stored updates').toBe(months(content).length);
    await b.settled();
    for (const month of months(content)) expect(b.digest(month as ShardId)).toBe(a.digest(month as ShardId));
    // Each was one a month served: a check of nothing, then its unchanged ingest mark written again.
    expect(transactions.of('ingestMarks rw'), 'ingest marks written').toBe(0);
    expect(transactions.of('rejected'), 'counts of refused rows').toBe(0);
  });

  it('answers a closed month from what it stored with the items its opened document holds, and opens it instead when a record it stands for is missing', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content], undefined, 0);
    const [m0, m1] = months(content) as ShardId[];
    await until(() => !a.isOpen(m0) && !a.isOpen(m1), 5_000, 'the months closed');
    await a.settled();
    const step2 = (await a.replyStored(m0, Y.encodeStateVector(new Y.Doc())))!;
    expect(step2).not.toBeNull();
    const fresh = new Y.Doc();
    readSyncMessage(decoding.createDecoder(step2), encoding.createEncoder(), fresh, 'peer');
    const opened = (await a.use(m0, (doc) => ({ state: Y.encodeStateVector(doc), records: doc.getMap('records').toJSON() })))!;
    expect(Y.encodeStateVector(fresh)).toEqual(opened.state);
    expect(fresh.getMap('records').toJSON()).toEqual(opened.records);
    // A record a placeholder of m1 stands for is gone from the records table: the open fills what it can.
    const lost = content.find((r) => shardOf(r) === m1)!;
    await deleteRecords(a.db, [lost.id]);
    expect(await a.replyStored(m1, Y.encodeStateVector(new Y.Doc()))).toBeNull();
  });

  it('a newcomer whose first page stored a month before it held it announces the month once fetched, keeps it held after reopening, and its reply there reaches the creator live', async () => {
    const { bob, g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const db = new HearthDb(`sharded-${dbs++}`);
    const b = await device(g.id, db);
    // The lobby's core, then the first page (the newest threads, stored beside any month's document).
    expect((await b.importRecords(core)).present).toBe(core.length);
    expect(await b.takeFirstPage(await a.firstPage())).toBe(true);
    await b.settled();
    const month = months(content).at(-1) as ShardId;
    expect(await db.threads.get(content.at(-2)!.id), 'the first page shows the newest thread').toBeDefined();
    expect(b.isHeld(month)).toBe(false);
    const told: string[] = [];
    b.onCatalogue((entry) => entry.held && told.push(entry.id));
    const now = () => STARTS[2] + 1000;
    const sa = new ShardSync(a, { now });
    const sb = new ShardSync(b, { now });
    syncs.push(sa, sb);
    links.push(link(sa, sb));
    await until(() => months(content).every((m) => b.isHeld(m as ShardId)), 10_000, 'the months on the newcomer');
    await b.settled();
    expect(told, 'peers are told of the month').toContain(month);
    expect(await db.shardCatalogue.get([g.id, month])).toMatchObject({ state: 'held' });

    const last = content.at(-2)!;
    const reply = await writer(bob, g.id, STARTS[2] + 900_000)('reply', { thread: last.id, parent: last.id, body: 'live' });
    expect((await b.append(reply)).ok).toBe(true);
    await until(async () => (await a.db.replies.get(reply.id)) !== undefined, 10_000, 'Bob’s reply on Alice’s device');

    await b.settled();
    b.close();
    opened.splice(opened.indexOf(b), 1);
    const again = await device(g.id, new HearthDb(db.name));
    expect(again.isHeld(month), 'held after reopening').toBe(true);
  });

  it('a newcomer whose first page stored a month’s threads fetches that month without making them its own items: its digest is the creator’s and nothing goes back', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await device(g.id);
    expect((await b.importRecords(core)).present).toBe(core.length);
    expect(await b.takeFirstPage(await a.firstPage())).toBe(true);
    await b.settled();
    const month = months(content).at(-1) as ShardId;
    expect(await b.db.threads.get(content.at(-2)!.id), 'the first page stored the month’s newest thread').toBeDefined();
    const now = () => STARTS[2] + 1000;
    const sa = new ShardSync(a, { now });
    const sb = new ShardSync(b, { now });
    syncs.push(sa, sb);
    let sentBack = 0;
    links.push(
      link(sa, sb, (to, bytes) => {
        const m = decodeShardMessage(bytes);
        if (to === 'a' && m.ok && m.value.op === 'sync' && m.value.shard === month && new Uint8Array(m.value.message)[0] !== 0) sentBack++;
      })
    );
    await until(() => months(content).every((m) => b.isHeld(m as ShardId)), 10_000, 'the months on the newcomer');
    await b.settled();
    await a.settled();
    // Put back before the creator's answer came, the stored threads were items of the newcomer's own:
    // another state vector, and every holder asked for the month back and got them all again.
    expect(b.digest(month)).toBe(a.digest(month));
    expect(sentBack, 'updates of the month sent to the creator').toBe(0);
    const clients = [...Y.decodeStateVector(Y.encodeStateVector(a.shard(month)!.doc)).keys()];
    expect(clients).not.toContain(b.shard(month)!.doc.clientID);
  });

  it('while the feed shows less than a first page, projects each month arriving as soon as it is checked, ahead of the months’ checks queued after it (was: once, after all of them)', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await holding(g.id, core);
    await arriveTogether(a, b, months(content) as ShardId[]);
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(6);
    expect(await b.db.replies.where('cid').equals(g.id).count()).toBe(6);
    // A fast transfer queued all of a newcomer's months before its first pass, and its feed stayed empty to the end.
    expect(passes.count, 'projection passes').toBe(3);
    expect(b.health.rejected).toBe(0);
  });

  it('once the feed shows a first page, projects months that arrive together in one pass (was one a month), and shows all of them', async () => {
    const { alice, g, core, content } = await community();
    const page = await firstPageThreads(alice, g.id);
    const a = await holding(g.id, [...core, ...content]);
    const b = await holding(g.id, [...core, ...page]);
    await arriveTogether(a, b, months(content) as ShardId[]);
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(6 + FIRST_PAGE_THREADS);
    expect(await b.db.replies.where('cid').equals(g.id).count()).toBe(6);
    expect(passes.count, 'projection passes').toBe(1);
    expect(b.health.rejected).toBe(0);
  });

  it('once the feed shows a first page, projects months checked while a pass waited with that pass (was a pass each): a newcomer’s history in few passes', async () => {
    const { alice, g, core, content } = await community();
    // The newest month holds a first page of threads.
    const page = await firstPageThreads(alice, g.id);
    const a = await holding(g.id, [...core, ...content, ...page]);
    const b = await holding(g.id, core);
    const [m1, m2, m3] = months(content) as ShardId[];
    const updateOf = (m: ShardId) => Y.encodeStateAsUpdate(a.shard(m)!.doc);
    const docs = new Map(await Promise.all([m1, m2, m3].map(async (m) => [m, (await b.acquire(m, true))!] as const)));
    passes.count = 0;
    // The newest month first, alone: its pass shows the newcomer's first rows.
    Y.applyUpdate(docs.get(m3)!, updateOf(m3), 'peer');
    await b.settled();
    expect(passes.count, 'the first pass').toBe(1);
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(2 + FIRST_PAGE_THREADS);
    // The next month's check queues its pass; the month after arrives before that pass runs.
    const month2 = b.shard(m2)!;
    const told = month2.onHealth;
    let arrived = false;
    month2.onHealth = (health) => {
      told(health);
      if (arrived) return;
      arrived = true;
      Y.applyUpdate(docs.get(m1)!, updateOf(m1), 'peer');
    };
    Y.applyUpdate(docs.get(m2)!, updateOf(m2), 'peer');
    await until(() => arrived, 5_000, 'the older month applied');
    for (const m of [m1, m2, m3]) b.release(m);
    await b.settled();
    expect(passes.count, 'passes in all').toBe(2);
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(6 + FIRST_PAGE_THREADS);
    expect(await b.db.replies.where('cid').equals(g.id).count()).toBe(6);
    expect(b.health.rejected).toBe(0);
  });

  it('imports a history of three months large enough for a rebuild with one rebuild of the projection (was one a month), and shows all of it', async () => {
    const { alice, g, core } = await community();
    const content: AnyRecord[] = [];
    for (const start of STARTS) {
      const a = writer(alice, g.id, start);
      content.push(...(await Promise.all(Array.from({ length: 700 }, (_, i) => a('thread', { title: `bulk ${start} ${i}`, body: 'b' }, start + i * 1000)))));
    }
    // A member's device holding the core imports the history from a file.
    const db = new HearthDb(`sharded-${dbs++}`);
    const d = await holding(g.id, core, db);
    rebuilds.count = 0;
    idReads.count = 0;
    const count = await d.importRecords(content);
    await d.settled();
    expect(count).toEqual({ already: 0, present: content.length });
    expect(months(content)).toHaveLength(3);
    expect(rebuilds.count).toBe(1);
    // Counted before and after the whole import; each month's check reads its own shard's ids (it read
    // the whole community's, and counted twice: 9 reads for 3 months, 486 for the 10k file's 162).
    expect(idReads.count).toBe(2);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(content.length);
    expect(d.health.rejected).toBe(0);
  }, 60_000);

  it('counts the records kept out of view once for the community after an import of three months, not once a month', async () => {
    const { g, core, content } = await community();
    const d = await holding(g.id, core);
    await d.healthSettled();
    recounts.count = 0;
    expect((await d.importRecords(content)).present).toBe(content.length);
    await d.healthSettled();
    expect(months(content)).toHaveLength(3);
    expect(recounts.count).toBe(1);
    expect(d.health.rejected).toBe(0);
  });

  it('refuses a value in the wrong month’s document: a peer’s on the bytes, one written there another way on the record, neither shown nor repaired', async () => {
    const { alice, g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const [early, , late] = months(content) as ShardId[];
    const misdated = await writer(alice, g.id, STARTS[2] + 2_000_000)('thread', { title: 'from the last month', body: 'x' });
    expect(shardOf(misdated)).toBe(late);

    // A peer's step 2 for the first month carrying a record of the last: the gate drops it on the bytes.
    const peer = new Y.Doc();
    peer.getMap('records').set(misdated.id, misdated);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, messageYjsSyncStep2);
    encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(peer));
    const earlyDoc = a.shard(early)!;
    readSyncMessage(decoding.createDecoder(encoding.toUint8Array(encoder)), encoding.createEncoder(), earlyDoc.doc, 'peer');
    await a.settled();
    expect(earlyDoc.records.has(misdated.id)).toBe(false);
    expect(a.health.wrongShard).toBe(1);
    expect(a.health.malformedMessages).toBe(0);

    // The same value put there straight (as an older version's stored update would): kept out of view, not repaired.
    const other = new Y.Doc();
    other.getMap('records').set(misdated.id, misdated);
    Y.applyUpdate(earlyDoc.doc, Y.encodeStateAsUpdate(other), 'peer');
    expect(earlyDoc.records.has(misdated.id)).toBe(true);
    await a.healthSettled();
    expect(await a.db.threads.get(misdated.id)).toBeUndefined();
    expect(await a.db.rejected.get(`${g.id}/${misdated.id}`)).toMatchObject({ reason: 'shard.wrong' });
    expect(a.health.repaired).toBe(0);
    expect(a.shard(late)?.records.has(misdated.id)).toBe(false);
  });

  it('a device that keeps only the last month evicts the older ones (records, rows and stored updates leave; months holding the member’s own writes stay), and a month fetched from the peer comes back', async () => {
    const { bob, g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await device(g.id);
    const { port1, port2 } = new MessageChannel();
    const toB = a.shards.connect((bytes) => port1.postMessage(bytes));
    const toA = b.shards.connect((bytes) => port2.postMessage(bytes));
    port1.onmessage = (e: MessageEvent) => toB.receive(e.data);
    port2.onmessage = (e: MessageEvent) => toA.receive(e.data);
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 6, 10_000, 'six threads on the second device');
    await b.settled();
    const [m0, m1, m2] = months(content) as ShardId[];
    const now = STARTS[2] + 1000;

    // Bob wrote in every month: all stay.
    expect(await b.keepMonths(1, bob.publicKey, now)).toEqual([]);
    // A reader who wrote nothing keeps the last month alone.
    expect(await b.keepMonths(1, null, now)).toEqual([m0, m1]);
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(2);
    expect(await b.db.replies.where('cid').equals(g.id).count()).toBe(2);
    expect((await b.db.docUpdates.where('cid').equals(g.id).toArray()).map((u) => u.shard).filter((s) => s === m0 || s === m1)).toEqual([]);
    expect(await b.shardList()).toEqual({
      held: [
        { id: CORE_SHARD, records: core.length },
        { id: m2, records: 4 }
      ],
      evicted: [
        { id: m1, records: 4 },
        { id: m0, records: 4 }
      ]
    });
    expect(b.catalogue().map((e) => e.id)).toEqual([CORE_SHARD, m2]);

    // Read again: fetched from the peer, checked and shown.
    expect(await b.fetchShard(m0, 10_000)).toBe(true);
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 4, 10_000, 'the first month’s threads back');
    await b.settled();
    expect(b.digest(m0)).toBe(a.digest(m0));
    expect((await b.shardList()).evicted).toEqual([{ id: m1, records: 4 }]);
    // A month read on demand is not evicted again by the cap for a week.
    expect(await b.keepMonths(1, null, now)).toEqual([]);
    toA.close();
    toB.close();
    port1.close();
    port2.close();

    // Reopened, the device still knows what it evicted and holds what it fetched.
    await b.settled();
    b.close();
    opened.splice(opened.indexOf(b), 1);
    const again = await device(g.id, new HearthDb(b.db.name));
    expect((await again.shardList()).evicted).toEqual([{ id: m1, records: 4 }]);
    expect(again.isEvicted(m1)).toBe(true);
    expect(again.size()).toBe(core.length + 8);
    expect(await again.keepMonths(1, null, now), 'still within the week after the read').toEqual([]);
    expect(await again.keepMonths(1, null, Date.now() + 8 * 24 * 3600_000), 'a week after the read').toContain(m0);
  });

  it('opens only the core and the months changed since they closed: a month closed idle is told to peers, served and exported from its saved row and stored updates', async () => {
    const { bob, g, core, content } = await community();
    const db = new HearthDb(`sharded-${dbs++}`);
    // No idle month stays open: each closes once written.
    const a = await holding(g.id, [...core, ...content], db, 0);
    const [m0, m1, m2] = months(content) as ShardId[];
    expect([m0, m1, m2].map((m) => a.isOpen(m))).toEqual([false, false, false]);
    const digests = [m0, m1, m2].map((m) => a.digest(m));
    a.close();
    opened.splice(opened.indexOf(a), 1);

    const again = await device(g.id, new HearthDb(db.name), 0);
    expect(again.opened, 'opening it opened the core alone').toEqual([CORE_SHARD]);
    expect(again.size()).toBe(core.length + content.length);
    expect([m0, m1, m2].map((m) => again.digest(m))).toEqual(digests);
    expect(again.catalogue().map((e) => [e.id, e.records])).toEqual(
      expect.arrayContaining([
        [m0, 4],
        [m1, 4],
        [m2, 4]
      ])
    );

    // A newcomer gets every month from it; each is opened to be served and closes again.
    const b = await device(g.id);
    const now = () => STARTS[2] + 1000;
    const sa = new ShardSync(again, { now });
    const sb = new ShardSync(b, { now });
    syncs.push(sa, sb);
    links.push(link(sa, sb));
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 6, 10_000, 'six threads on the newcomer');
    await b.settled();
    await again.settled();
    for (const m of [m0, m1, m2]) expect(b.digest(m)).toBe(digests[[m0, m1, m2].indexOf(m)]);
    expect(
      [m0, m1, m2].filter((m) => again.isOpen(m)),
      'served months closed again'
    ).toEqual([]);
    expect((await again.exportRecords()).map((r) => r.id).sort()).toEqual([...core, ...content].map((r) => r.id).sort());

    // A month written to and not closed (the tab died with it open) is opened by the next open, alone.
    const last = content.at(-2)!;
    const reply = await writer(bob, g.id, STARTS[2] + 900_000)('reply', { thread: last.id, parent: last.id, body: 'late' });
    links.splice(0).forEach((l) => l.close());
    const c = await device(g.id, new HearthDb(db.name), 10);
    opened.splice(opened.indexOf(again), 1);
    again.close();
    expect((await c.append(reply)).ok).toBe(true);
    await c.settled();
    expect(c.isOpen(shardOf(reply) as ShardId)).toBe(true);
    const changed = c.digest(shardOf(reply) as ShardId);
    // The tab dies: nothing is closed nor saved (a quiet close saves the open months as closed).
    const d = await device(g.id, new HearthDb(db.name), 10);
    expect(d.opened).toEqual([CORE_SHARD, shardOf(reply)]);
    expect(d.digest(shardOf(reply) as ShardId)).toBe(changed);
    expect(d.size()).toBe(core.length + content.length + 1);
  });

  it('saves its open months as closed when it closes quietly, and closes months idle for a while under maxOpen: the next open opens the core alone', async () => {
    const { g, core, content } = await community();
    const db = new HearthDb(`sharded-${dbs++}`);
    const all = [...core, ...content];
    const a = await device(g.id, db, 10, 60_000);
    for (const r of all) expect((await a.append(r)).ok).toBe(true);
    await a.settled();
    const [m0, m1, m2] = months(content) as ShardId[];
    expect(
      [m0, m1, m2].map((m) => a.isOpen(m)),
      'under maxOpen, not idle long'
    ).toEqual([true, true, true]);
    a.close();
    opened.splice(opened.indexOf(a), 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the rows' puts, not awaited by close
    const again = await device(g.id, new HearthDb(db.name), 10, 100);
    expect(again.opened).toEqual([CORE_SHARD]);
    expect(again.size()).toBe(all.length);

    // Used again, then idle past idleCloseMs: closed though under maxOpen.
    expect(await again.stateVector(m1)).not.toHaveLength(0);
    expect(again.isOpen(m1)).toBe(true);
    await until(() => !again.isOpen(m1), 5_000, 'the idle month closed');
    expect(again.digest(m1)).toBe(a.digest(m1));
    // Its row saved as it closed (with any closing beside it): the next open leaves it closed too.
    await again.settled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = await device(g.id, new HearthDb(db.name), 10, 100);
    expect(third.opened).toEqual([CORE_SHARD]);
  });

  it('reads a relay’s list of months only as months: anything else in it, or too long a list, is no list', () => {
    expect(listedMonths(['2009-11', '2016-03'])).toEqual(['2009-11', '2016-03']);
    expect(listedMonths([])).toEqual([]);
    for (const bad of [undefined, null, '2016-03', ['core'], ['2016-13'], ['2016-03', 7], ['../x'], Array.from({ length: 1201 }, () => '2016-03')]) {
      expect(listedMonths(bad), JSON.stringify(bad)?.slice(0, 40)).toBeNull();
    }
  });

  it('a capped device does not fetch in the background the months past its cap, and fetches one when it is read', async () => {
    const { g, core, content } = await community();
    const a = await holding(g.id, [...core, ...content]);
    const b = await device(g.id);
    // The last month only (the fixture's months are years old): nothing of them is wanted.
    expect(await b.keepMonths(1, null)).toEqual([]);
    const { port1, port2 } = new MessageChannel();
    const toB = a.shards.connect((bytes) => port1.postMessage(bytes));
    const toA = b.shards.connect((bytes) => port2.postMessage(bytes));
    port1.onmessage = (e: MessageEvent) => toB.receive(e.data);
    port2.onmessage = (e: MessageEvent) => toA.receive(e.data);
    await until(() => b.size() === core.length, 10_000, 'the core on the capped device');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await b.settled();
    expect((await b.shardList()).held.map((s) => s.id)).toEqual([CORE_SHARD]);
    const [m0] = months(content) as ShardId[];
    expect(await b.fetchShard(m0, 10_000)).toBe(true);
    await until(async () => (await b.db.threads.where('cid').equals(g.id).count()) === 2, 10_000, 'the month read');
    toA.close();
    toB.close();
    port1.close();
    port2.close();
  });
});
