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

// The real projection writer, watched: how many records each pass is given.
const passes = vi.hoisted(() => ({ sizes: [] as number[] }));
vi.mock('../store/projection', async (original) => {
  const real = await original<typeof import('../store/projection')>();
  return {
    ...real,
    applyRecords: (db: HearthDb, cid: string, records: AnyRecord[], size?: number) => {
      if (records.length) passes.sizes.push(records.length);
      return real.applyRecords(db, cid, records, size);
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
  return { g, records, doc };
}

beforeEach(() => {
  passes.sizes = [];
});

describe('importing a community file', () => {
  it('projects the whole file in one pass, once the gate has checked it all', async () => {
    const { g, records, doc } = await community(1_200);
    await doc.importRecords(records);
    expect(passes.sizes).toEqual([records.length]);
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
