// The device's database schema: what a device upgraded from the previous version still holds, and
// that the indexes dropped for space are served by the compound ones left.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { HearthDb } from './db';
import {
  communityRecordIds,
  countHeld,
  countOfKind,
  countRecords,
  recordById,
  recordsByAuthor,
  recordsByAuthorBetween,
  recordsTargeting
} from './record-store';

let dbs = 0;
const CID = 'c'.repeat(43);
const OTHER = 'o'.repeat(43);

/** Versions 1–6 of the schema as devices declared them before version 7 declared them as one. */
const OLD_VERSIONS: Record<string, string>[] = [
  {
    identity: 'key',
    settings: 'key',
    communities: 'cid, lastOpened',
    docUpdates: '++seq, cid',
    records: 'id, cid, [cid+kind], [cid+author], target',
    threads: 'id, cid, [cid+rank]',
    replies: 'id, cid, [thread+createdAt]',
    members: '[cid+key], cid',
    rejected: 'key, cid',
    drafts: 'key',
    projectionMeta: 'cid'
  },
  {
    questions: 'id, cid, [cid+rank], [cid+askTo]',
    answers: 'id, cid, question',
    polls: 'id, cid, [cid+createdAt], thread',
    challenges: 'id, cid, [cid+createdAt]'
  },
  { ingestMarks: 'cid' },
  { records: 'id, cid, [cid+kind], [cid+author], target, [cid+held], [cid+author+ts]' },
  { keyrings: 'cid' },
  { chunks: 'hash, cid, [cid+own], at' }
];

/**
 * The schema as version `upTo` left it: 6 for a device that stored its communities before version 7,
 * 2 for one from before ingest marks, keyrings, chunks and held records.
 */
class OldDb extends Dexie {
  constructor(name: string, upTo: number) {
    super(name);
    OLD_VERSIONS.slice(0, upTo).forEach((stores, i) => this.version(i + 1).stores(stores));
  }
}

/** The object stores and indexes IndexedDB itself holds (not what Dexie was told). */
async function storedSchema(db: Dexie): Promise<Record<string, { key: unknown; indexes: string[] }>> {
  const idb = db.backendDB();
  const names = [...idb.objectStoreNames].sort();
  const tx = idb.transaction(names, 'readonly');
  return Object.fromEntries(
    names.map((name) => {
      const store = tx.objectStore(name);
      return [name, { key: store.keyPath, indexes: [...store.indexNames].sort() }];
    })
  );
}

/** Rows of two communities, with the sparse fields (`held`, `askTo`, `target`) on some rows only. */
async function fill(db: Pick<Dexie, 'table'>): Promise<void> {
  for (const cid of [CID, OTHER]) {
    await db.table('records').bulkPut([
      { id: `${cid}-1`, kind: 'thread', cid, author: 'a', ts: 1, body: {}, sig: 's' },
      { id: `${cid}-2`, kind: 'reply', cid, author: 'a', ts: 2, body: {}, sig: 's', target: `${cid}-1`, held: 1 },
      { id: `${cid}-3`, kind: 'reaction', cid, author: 'b', ts: 3, body: {}, sig: 's', target: `${cid}-1` }
    ]);
    await db.table('threads').bulkPut([
      { id: `${cid}-1`, cid, rank: 5 },
      { id: `${cid}-4`, cid, rank: -1 }
    ]);
    await db.table('members').bulkPut([
      { cid, key: 'a', name: 'A' },
      { cid, key: 'b', name: 'B' }
    ]);
    await db.table('questions').bulkPut([
      { id: `${cid}-q1`, cid, rank: 1, askTo: 'b' },
      { id: `${cid}-q2`, cid, rank: 2, askTo: null }
    ]);
    await db.table('polls').bulkPut([{ id: `${cid}-p`, cid, createdAt: 1, thread: `${cid}-1` }]);
    await db.table('challenges').bulkPut([{ id: `${cid}-c`, cid, createdAt: 1 }]);
  }
  await db.table('docUpdates').add({ cid: CID, update: new Uint8Array([0, 0]) });
  await db.table('ingestMarks').put({ cid: CID, snapshot: new Uint8Array([0, 0]), unauthorised: 0 });
}

/** The same records read through store/record-store, wherever they sit (rows, or pages after version 10's upgrade). */
async function expectRecordsServed(db: HearthDb): Promise<void> {
  expect(await countRecords(db, CID)).toBe(3);
  expect((await communityRecordIds(db, CID)).sort()).toEqual([`${CID}-1`, `${CID}-2`, `${CID}-3`]);
  expect(await recordsByAuthor(db, CID, 'a')).toHaveLength(2);
  expect(await recordsByAuthorBetween(db, CID, 'a', 2, 3)).toHaveLength(1);
  expect(await countHeld(db, CID)).toBe(1);
  expect(await recordsTargeting(db, `${CID}-1`)).toHaveLength(2);
  expect(await countOfKind(db, CID, 'reaction')).toBe(1);
  expect(await recordById(db, `${CID}-2`)).toMatchObject({ held: 1, target: `${CID}-1` });
}

async function expectQueriesServed(db: HearthDb, records: 'table' | 'store' = 'table'): Promise<void> {
  if (records === 'store') return expectRecordsServed(db).then(() => expectOthersServed(db));
  expect(await db.records.where('cid').equals(CID).count()).toBe(3);
  expect((await db.records.where('cid').equals(CID).primaryKeys()).sort()).toEqual([`${CID}-1`, `${CID}-2`, `${CID}-3`]);
  expect(await db.records.where('[cid+author]').equals([CID, 'a']).count()).toBe(2);
  expect(await db.records.where('[cid+author+ts]').between([CID, 'a', 2], [CID, 'a', 3]).count()).toBe(1);
  expect(await db.records.where('[held+cid]').equals([1, CID]).count()).toBe(1);
  expect(await db.records.where('target').equals(`${CID}-1`).count()).toBe(2);
  expect(await db.records.where('[cid+kind]').equals([CID, 'reaction']).count()).toBe(1);
  await expectOthersServed(db);
}

async function expectOthersServed(db: HearthDb): Promise<void> {
  expect(await db.threads.where('cid').equals(CID).count()).toBe(2);
  expect(await db.members.where('cid').equals(CID).count()).toBe(2);
  expect(await db.questions.where('cid').equals(CID).count()).toBe(2);
  expect(await db.questions.where('[askTo+cid]').equals(['b', CID]).count()).toBe(1);
  expect(await db.polls.where('cid').equals(CID).count()).toBe(1);
  expect(await db.challenges.where('cid').equals(CID).count()).toBe(1);
  // Deleting a community's rows through a virtual index leaves the other community's.
  await db.threads.where('cid').equals(CID).delete();
  expect(await db.threads.count()).toBe(2);
}

describe('the device database', () => {
  it('serves every community query from the compound indexes left, sparse fields or not', async () => {
    const db = new HearthDb(`db-${dbs++}`);
    await fill(db);
    await expectQueriesServed(db);
  });

  it('keeps everything a device stored under the previous schema, and drops only indexes', async () => {
    const name = `db-${dbs++}`;
    const old = new OldDb(name, 6);
    await fill(old);
    old.close();

    const db = new HearthDb(name);
    await db.open();
    expect(db.verno).toBe(11);
    // Version 10 moved the content records into pages (store/record-store): every one still read.
    expect(await db.records.count()).toBe(0);
    expect(await db.recordPages.count()).toBe(6);
    expect(await countRecords(db, OTHER)).toBe(3);
    expect(await db.docUpdates.where('cid').equals(CID).count()).toBe(1);
    expect(await db.ingestMarks.get(CID)).toMatchObject({ unauthorised: 0 });
    const indexes = (table: string) =>
      db
        .table(table)
        .schema.indexes.map((i) => i.name)
        .sort();
    expect(indexes('records')).toEqual(['[cid+author+ts]', '[cid+kind]', '[held+cid]', 'target']);
    expect(indexes('threads')).toEqual(['[cid+rank]']);
    expect(indexes('members')).toEqual([]);
    expect(indexes('questions')).toEqual(['[askTo+cid]', '[cid+rank]']);
    await expectQueriesServed(db, 'store');
  });

  it('gives a device from any earlier version the stores and indexes of a new one (versions 1–7 are one declaration)', async () => {
    const fresh = new HearthDb(`db-${dbs++}`);
    await fresh.open();
    const expected = await storedSchema(fresh);
    expect(Object.keys(expected)).toHaveLength(22);
    const upgrade = async (name: string, old: Pick<Dexie, 'table' | 'close'>) => {
      await old.table('threads').put({ id: 't', cid: CID, rank: 1 });
      await old.table('drafts').put({ key: 'thread:x', title: 'kept' });
      old.close();
      const db = new HearthDb(name);
      await db.open();
      expect(db.verno).toBe(11);
      expect(await storedSchema(db)).toEqual(expected);
      expect(await db.drafts.get('thread:x')).toMatchObject({ title: 'kept' });
      expect(await db.threads.where('cid').equals(CID).count()).toBe(1);
      db.close();
    };
    const v2 = `db-${dbs++}`;
    await upgrade(v2, new OldDb(v2, 2));
    const v6 = `db-${dbs++}`;
    await upgrade(v6, new OldDb(v6, 6));
  });
});
