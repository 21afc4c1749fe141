// An imported community file is projected once, when all of it has passed the gate: every
// projection pass writes rows that stay on disk until LevelDB compacts. The same records from a peer
// are still projected in growing batches, so a newcomer's first rows show early.
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

  it('still projects the same records from a peer in growing batches', async () => {
    const { g, records, doc } = await community(1_200);
    const peer = new Y.Doc();
    peer.transact(() => {
      for (const r of records) peer.getMap('records').set(r.id, r);
    });
    Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer), 'peer');
    await doc.settled();
    expect(passes.sizes.length).toBeGreaterThan(1);
    expect(passes.sizes.reduce((a, b) => a + b, 0)).toBe(records.length);
    expect(await doc.db.threads.where('cid').equals(g.id).count()).toBe(1_200);
    doc.close();
  });
});
