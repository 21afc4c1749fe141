// An imported community file is projected once, when all of it has passed the gate: every
// projection pass writes rows that stay on disk until LevelDB compacts. The same records from a peer
// are projected in two passes, so a newcomer's first rows show early.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';
import { communityRecords, countRecords, recordById } from '../store/record-store';

// The real projection writer, watched: how many records each pass is given, how many full rebuilds
// run, and the records an import stores ahead of its rebuild (with how many rebuilds had run by then).
const passes = vi.hoisted(() => ({
  sizes: [] as number[],
  rebuilds: 0,
  ahead: [] as { size: number; rebuilds: number }[],
  beforeStore: null as (() => void) | null
}));
vi.mock('../store/projection', async (original) => {
  const real = await original<typeof import('../store/projection')>();
  return {
    ...real,
    applyRecords: (db: HearthDb, cid: string, records: AnyRecord[], size?: number) => {
      if (records.length) passes.sizes.push(records.length);
      return real.applyRecords(db, cid, records, size);
    },
    rebuildProjection: (db: HearthDb, cid: string) => {
      passes.rebuilds++;
      return real.rebuildProjection(db, cid);
    },
    storeAhead: (db: HearthDb, cid: string, records: readonly AnyRecord[]) => {
      if (records.length) passes.ahead.push({ size: records.length, rebuilds: passes.rebuilds });
      passes.beforeStore?.();
      return real.storeAhead(db, cid, records);
    }
  };
});

let dbs = 0;

async function community(threads: number) {
  const alice = await newMember();
  const g = await newCommunity(alice);
  const write = writer(alice, g.id);
  const records: AnyRecord[] = [g];
  for (let i = 0; i < threads; i++) records.push(await write('thread', { title: `thread ${i}`, body: 'from a file' }));
  const doc = new CommunityDoc(new HearthDb(`import-${dbs++}`), g.id);
  await doc.open();
  // Opening an empty community rebuilds its (empty) projection: counted from here.
  passes.sizes = [];
  passes.rebuilds = 0;
  passes.ahead = [];
  return { g, records, doc };
}

beforeEach(() => {
  passes.sizes = [];
  passes.rebuilds = 0;
  passes.ahead = [];
  passes.beforeStore = null;
});

describe('importing a community file', () => {
  it('projects the whole file in one rebuild, once the gate has checked it all', async () => {
    const { g, records, doc } = await community(1_200);
    await doc.importRecords(records);
    expect(passes.rebuilds).toBe(1);
    expect(passes.sizes).toEqual([]);
    expect(await doc.db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    expect(await countRecords(doc.db, g.id)).toBe(records.length - 1); // the genesis is not counted
    doc.close();
  });

  it('stores each slice of records as the gate passes it, before the rebuild', async () => {
    const { records, doc } = await community(1_200);
    await doc.importRecords(records);
    // 1,201 records in slices of 500: three writes, all before the one rebuild.
    expect(passes.ahead.map((a) => a.size)).toEqual([500, 500, 201]);
    expect(passes.ahead.every((a) => a.rebuilds === 0)).toBe(true);
    doc.close();
  });

  it('counts records already stored as known, checks and stores only the rest, and says how many were there before and after', async () => {
    const { g, records, doc } = await community(1_200);
    await doc.importRecords(records.slice(0, 601));
    passes.ahead = [];
    // The same file again, whole, on a device that reopened: the first 601 are known from the table.
    const again = new CommunityDoc(doc.db, g.id);
    doc.close();
    await again.open();
    // The importer's counts: what the device held of the file before, and all of it after.
    expect(await again.importRecords(records)).toEqual({ already: 601, present: records.length });
    expect(passes.ahead.reduce((n, a) => n + a.size, 0)).toBe(records.length - 601);
    expect(await again.db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    expect(again.health.rejected).toBe(0);
    again.close();
  });

  it("stores the import's update once, as a skeleton: no stored update ever holds the file's words", async () => {
    const { g, records, doc } = await community(1_200);
    const written: Uint8Array[] = [];
    doc.db.docUpdates.hook('creating', (_key, row) => void written.push(row.update));
    doc.db.docUpdates.hook('updating', (changes) => {
      const update = (changes as { update?: Uint8Array }).update;
      if (update) written.push(update);
    });
    await doc.importRecords(records);
    expect(written.length).toBe(1);
    expect(new TextDecoder().decode(written[0])).not.toContain('from a file');
    // Reopened from it, the document holds every record again.
    const again = new CommunityDoc(doc.db, g.id);
    doc.close();
    await again.open();
    await again.settled();
    expect(again.records.size).toBe(records.length);
    again.close();
  });

  it('a device that dies during an import reopens with every record it stored in its document and projected', async () => {
    const { g, records, doc } = await community(1_200);
    const name = doc.db.name;
    // The tab dies before the third slice is stored: no write reaches the database after that.
    passes.beforeStore = () => {
      if (passes.ahead.length === 3) doc.db.close();
    };
    await doc.importRecords(records).catch(() => undefined);
    doc.close();
    passes.beforeStore = null;
    const db = new HearthDb(name);
    const stored = (await countRecords(db, g.id)) + ((await recordById(db, g.id)) ? 1 : 0);
    expect(stored).toBe(1_000);
    const again = new CommunityDoc(db, g.id);
    await again.open();
    await again.settled();
    // What was stored is in the document (put back from the table) and shown; nothing else is.
    expect(again.records.size).toBe(stored);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(stored - 1);
    // The file imported again brings the rest.
    await again.importRecords(records);
    expect(again.records.size).toBe(records.length);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    expect(again.health.rejected).toBe(0);
    again.close();
  });

  it('projects a fresh import from the records it stored, as a rebuild from the table would, and counts the refused ones', async () => {
    const { g, records, doc } = await community(1_200);
    // A thread by someone who never joined: signed and stored, never shown, counted.
    const stranger = await newMember();
    const refused = await writer(stranger, g.id)('thread', { title: 'not a member', body: 'from a file' });
    await doc.importRecords([...records, refused]);
    expect(doc.health.rejected).toBe(1);
    const rows = async () =>
      JSON.stringify(
        await Promise.all([
          doc.db.threads.toArray(),
          doc.db.replies.toArray(),
          doc.db.members.toArray(),
          recordById(doc.db, g.id),
          communityRecords(doc.db, g.id)
        ])
      );
    const fromImport = await rows();
    const { rebuildProjection, countUnauthorised } = await vi.importActual<typeof import('../store/projection')>('../store/projection');
    expect((await rebuildProjection(doc.db, g.id)).unauthorised).toBe(1);
    expect(await countUnauthorised(doc.db, g.id)).toBe(1);
    expect(await rows()).toBe(fromImport);
    expect(await doc.db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    doc.close();
  });

  it('imports a small file into a large community through the per-post projection', async () => {
    const { g, records, doc } = await community(1_200);
    await doc.importRecords(records.slice(0, 1_150));
    passes.sizes = [];
    passes.rebuilds = 0;
    passes.ahead = [];
    await doc.importRecords(records.slice(1_150));
    expect(passes.ahead).toEqual([]);
    expect(passes.sizes).toEqual([51]);
    expect(passes.rebuilds).toBe(0);
    expect(await doc.db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    doc.close();
  });

  it('projects the same records from a peer in two passes: the first rows early, then the rest at once', async () => {
    const { g, records, doc } = await community(3_200);
    const peer = new Y.Doc();
    peer.transact(() => {
      for (const r of records) peer.getMap('records').set(r.id, r);
    });
    Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer), 'peer');
    await doc.settled();
    // The genesis and the first slice's newest threads (the first page), then everything else: a
    // pass that grew fourfold (2,000 more) rebuilt the projection once more in between.
    expect(passes.sizes).toEqual([1_000, records.length - 1_000]);
    expect(await doc.db.threads.where('cid').equals(g.id).count()).toBe(3_200);
    doc.close();
  }, 60_000);
});
