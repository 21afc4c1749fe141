// A community file imported into a community held in shards (sharded-community.ts `importRecords`):
// each month's check starts while the month before it is still being written, the months' ingest
// marks are saved together at the end, and a device that dies during the import loses nothing it
// stored. Real signed records in fake-indexeddb; the projection's writes and the gate are watched.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { THREE_MONTHS, monthsCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { closedAfterEach } from '../../../tests/unit/closed-after-each';
import { countingReads } from '../../../tests/unit/counting-reads';
import { CORE_SHARD, shardOf, type ShardId } from '../domain/shards';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { countRecords, recordById } from '../store/record-store';
import { ImportWrites } from './community-doc';
import { ShardedCommunity } from './sharded-community';

// The import's writes ahead of its rebuild, watched (each still runs): `beforeStore` may hold one
// back, or close the database as a tab that dies would.
const watch = vi.hoisted(() => ({
  stores: 0,
  /** Recounts of the records kept out of view (each reads every record of the community). */
  recounts: 0,
  beforeStore: null as ((n: number) => Promise<void> | void) | null,
  /** The months of the values the gate was given, in order. */
  gated: [] as string[]
}));
vi.mock('../store/projection', async (original) => {
  const real = await original<typeof import('../store/projection')>();
  return {
    ...real,
    storeAhead: async (...args: Parameters<typeof real.storeAhead>) => {
      if (args[2].length) await watch.beforeStore?.(++watch.stores);
      return real.storeAhead(...args);
    },
    countUnauthorised: (...args: Parameters<typeof real.countUnauthorised>) => {
      watch.recounts++;
      return real.countUnauthorised(...args);
    }
  };
});
vi.mock('./gate', async (original) => {
  const real = await original<typeof import('./gate')>();
  return {
    ...real,
    passGate: (...args: Parameters<typeof real.passGate>) => {
      for (const [, value] of args[2]) watch.gated.push(shardOf(value as AnyRecord) ?? '?');
      return real.passGate(...args);
    }
  };
});

let dbs = 0;
const { opened } = closedAfterEach<ShardedCommunity>();

beforeEach(() => {
  watch.stores = 0;
  watch.recounts = 0;
  watch.beforeStore = null;
  watch.gated = [];
});

async function device(cid: string, db = new HearthDb(`sharded-import-${dbs++}`)): Promise<ShardedCommunity> {
  const community = new ShardedCommunity(db, cid);
  await community.open();
  opened.push(community);
  return community;
}

/** A device holding the core of Alice's community, and a file of 300 threads in each of three months (enough for one rebuild). */
async function fileOfThreeMonths() {
  const { alice, g, core } = await monthsCommunity();
  const content: AnyRecord[] = [];
  for (const start of THREE_MONTHS) {
    const a = writer(alice, g.id, start);
    content.push(...(await Promise.all(Array.from({ length: 300 }, (_, i) => a('thread', { title: `filed ${start} ${i}`, body: 'b' }, start + i * 1000)))));
  }
  const d = await device(g.id);
  for (const r of core) expect((await d.append(r)).ok).toBe(true);
  await d.settled();
  watch.gated = [];
  return { g, core, content, d };
}

const months = (records: readonly AnyRecord[]) => [...new Set(records.map(shardOf))].filter((s) => s !== CORE_SHARD).sort() as ShardId[];

describe('importing a file into a community held in shards', () => {
  it('checks the next months while the first is still being written (it waited for those writes), writes them together after it, and shows every thread', async () => {
    const { g, content, d } = await fileOfThreeMonths();
    const handed = vi.spyOn(ImportWrites.prototype, 'write');
    let overlapped = false;
    // The first month's write is held until the checks have handed over the other two months' records, or 3 s.
    watch.beforeStore = async (n) => {
      if (n !== 1) return;
      for (const until = Date.now() + 3_000; Date.now() < until; ) {
        if (handed.mock.calls.length === 3) {
          overlapped = true;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    expect(await d.importRecords(content)).toEqual({ already: 0, present: content.length });
    handed.mockRestore();
    expect(overlapped, 'the other months checked during the first month’s write').toBe(true);
    // One transaction for the first month, one for the two that came during it (one a month before).
    expect(watch.stores).toBe(2);
    expect(await d.db.threads.where('cid').equals(g.id).count()).toBe(content.length);
    expect(d.health.rejected).toBe(0);
  }, 60_000);

  it('projects an import into a community holding nothing else from the records it checked, reading none of them back, and shows every thread and member', async () => {
    const { g, core, content } = await fileOfThreeMonths();
    const { db, reads } = countingReads(`sharded-import-${dbs++}`, ['recordPages']);
    const fresh = await device(g.id, db);
    const before = reads();
    expect(await fresh.importRecords([...core, ...content])).toEqual({ already: 0, present: core.length + content.length });
    // Its rebuild read every record back (the months' 30 pages here): none is read now.
    expect(reads() - before).toBe(0);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(content.length);
    expect(await db.members.where('cid').equals(g.id).count()).toBe(2);
    expect(fresh.health.rejected).toBe(0);
  }, 60_000);

  it('takes the count of refused records from the import’s rebuild: no month recounts every record after it, and a non-member’s thread is counted', async () => {
    const { g, content, d } = await fileOfThreeMonths();
    const stranger = writer(await newMember(), g.id, THREE_MONTHS[1]);
    const refused = await stranger('thread', { title: 'not a member', body: 'b' });
    await d.importRecords([...content, refused]);
    await d.settled();
    // Past the idle second a due recount waits for.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await d.settled();
    expect(watch.recounts).toBe(0);
    await d.healthSettled();
    expect(d.health.rejected).toBe(1);
    expect(await d.db.threads.where('cid').equals(g.id).count()).toBe(content.length);
  }, 60_000);

  it('counts no month’s records during the import’s checks (each month’s check counted every month’s map)', async () => {
    const { content, d } = await fileOfThreeMonths();
    const size = d.size.bind(d);
    let counted = 0;
    // Counted once the months' checks have begun (the import counts before, to choose how to project).
    d.size = () => (watch.gated.length && counted++, size());
    await d.importRecords(content);
    expect(counted).toBe(0);
  }, 60_000);

  it('saves the months’ ingest marks in one write at its end (one a month), and a reopened month checks nothing again', async () => {
    const { g, content, d } = await fileOfThreeMonths();
    const writes = { put: 0, bulkPut: 0 };
    const put = d.db.ingestMarks.put.bind(d.db.ingestMarks);
    const bulkPut = d.db.ingestMarks.bulkPut.bind(d.db.ingestMarks);
    // Counted once the months' checks have begun (opening an empty month saves its mark as before).
    d.db.ingestMarks.put = ((...args: Parameters<typeof put>) => (watch.gated.length && writes.put++, put(...args))) as typeof put;
    d.db.ingestMarks.bulkPut = ((...args: Parameters<typeof bulkPut>) => (watch.gated.length && writes.bulkPut++, bulkPut(...args))) as typeof bulkPut;
    await d.importRecords(content);
    expect(writes).toEqual({ put: 0, bulkPut: 1 });
    await d.settled();
    d.close();
    opened.splice(opened.indexOf(d), 1);

    // Reopened, each month opens with its mark: the gate is given none of its records again.
    const again = await device(g.id, new HearthDb(d.db.name));
    watch.gated = [];
    for (const month of months(content)) {
      const doc = await again.acquire(month);
      expect(doc?.getMap('records').size).toBe(300);
      again.release(month);
    }
    await again.settled();
    expect(watch.gated).toEqual([]);
    expect(await again.db.threads.where('cid').equals(g.id).count()).toBe(content.length);
  }, 60_000);

  it('a device that dies during the import reopens with every record it stored in its month’s document, shown; the file again brings the rest', async () => {
    const { g, core, content, d } = await fileOfThreeMonths();
    const name = d.db.name;
    // The tab dies as the second month's records are about to be written: nothing reaches the database after that.
    watch.beforeStore = (n) => {
      if (n === 2) d.db.close();
    };
    await d.importRecords(content).catch(() => undefined);
    watch.beforeStore = null;
    d.close();
    opened.splice(opened.indexOf(d), 1);

    const db = new HearthDb(name);
    const stored = (await countRecords(db, g.id)) + ((await recordById(db, g.id)) ? 1 : 0);
    expect(stored).toBe(core.length + 300);
    const again = await device(g.id, db);
    let held = 0;
    for (const month of months(content)) {
      const doc = await again.acquire(month, true);
      held += doc?.getMap('records').size ?? 0;
      again.release(month);
    }
    await again.settled();
    // What was stored is in its month's document (put back from the table) and shown; nothing else is.
    expect(held).toBe(300);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(300);
    expect(await again.importRecords(content)).toEqual({ already: 300, present: content.length });
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(content.length);
    expect(again.health.rejected).toBe(0);
  }, 60_000);
});
