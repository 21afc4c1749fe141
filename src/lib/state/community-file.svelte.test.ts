// Importing a community file on a device that never held the community: a file whose genesis says
// the community is held in shards is imported into a `ShardedCommunity` (its core and a document per
// month), as creating or joining it would hold it; a file without `shards` stays one document.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { admit, newMember, writer } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import { communityFileText } from '../domain/community-file';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import { openCommunityDoc } from '../sync/registry';
import { ShardedCommunity } from '../sync/sharded-community';
import { CommunityFileImport } from './community-file.svelte';

const MAY = Date.UTC(2026, 4, 10);
const JUNE = Date.UTC(2026, 5, 10);

/** A creator's community with Bob, a thread in May and one in June; held in shards if `shards`. */
async function communityFile(shards: boolean): Promise<{ cid: string; text: string; records: AnyRecord[] }> {
  const creator = await newMember();
  const bob = await newMember();
  const genesis = await sealRecord(creator, {
    kind: 'genesis',
    cid: '',
    ts: MAY - 1000,
    body: {
      name: 'Riders',
      description: 'Imported',
      emoji: '🚲',
      color: '#cc5500',
      createdAt: MAY - 1000,
      nonce: `n-${shards}`,
      ...(shards ? { shards: 'month' as const } : {})
    }
  });
  const cid = genesis.id;
  const [invite, join] = await admit(creator, bob, cid, MAY - 500);
  const may = await writer(bob, cid, MAY)('thread', { title: 'May ride', body: 'Sunday' });
  const june = await writer(creator, cid, JUNE)('thread', { title: 'June ride', body: 'Saturday' });
  const records: AnyRecord[] = [genesis, invite, join, may, june];
  return { cid, text: communityFileText(cid, records), records };
}

// The imported community gets this device's default addresses, which come from the page's origin (no config file is served here).
beforeEach(() => vi.stubGlobal('location', { protocol: 'http:', hostname: 'localhost', origin: 'http://localhost:5173' }));
afterEach(() => vi.unstubAllGlobals());

async function importFile(db: HearthDb, text: string) {
  const importer = new CommunityFileImport(db);
  await importer.run(new File([text], 'community.hearth-community.json', { type: 'application/json' }));
  expect(importer.error).toBeNull();
  return importer.outcome!;
}

describe('importing a community file on a device that never held the community', () => {
  it('holds a community whose genesis says shards in its core and a document per month', async () => {
    const db = new HearthDb('community-file-import-shards');
    const { cid, text, records } = await communityFile(true);

    const outcome = await importFile(db, text);

    expect(outcome).toMatchObject({ cid, imported: records.length, already: 0, rejected: 0 });
    expect((await db.communities.get(cid))?.shards).toBe('month');
    const doc = await openCommunityDoc(db, cid);
    expect(doc).toBeInstanceOf(ShardedCommunity);
    const sharded = doc as ShardedCommunity;
    expect(sharded.shard('core')?.records.size).toBe(3);
    expect(sharded.shard('2026-05')?.records.size).toBe(1);
    expect(sharded.shard('2026-06')?.records.size).toBe(1);
    // The months (the core is always held, never catalogued).
    const catalogue = await db.shardCatalogue.where('[cid+shard]').between([cid, ''], [cid, '\uffff']).toArray();
    expect(catalogue.map((row) => [row.shard, row.state, row.records])).toEqual([
      ['2026-05', 'held', 1],
      ['2026-06', 'held', 1]
    ]);
    expect(await db.threads.where('cid').equals(cid).count()).toBe(2);
    await sharded.settled();
  });

  it('holds a community whose genesis says nothing of shards as one document', async () => {
    const db = new HearthDb('community-file-import-single');
    const { cid, text, records } = await communityFile(false);

    const outcome = await importFile(db, text);

    expect(outcome).toMatchObject({ cid, imported: records.length, rejected: 0 });
    expect((await db.communities.get(cid))?.shards).toBeUndefined();
    const doc = await openCommunityDoc(db, cid);
    expect(doc).toBeInstanceOf(CommunityDoc);
    expect((doc as CommunityDoc).records.size).toBe(records.length);
    await doc.settled();
  });
});
