// Record ids kept as 33 bytes on disk: everything above the middleware still reads and queries
// string ids, the order of ids is kept (the quota reads an author's hour in (ts, id) order from an
// index), and a device's records stored with string keys by version 7 are packed by the upgrade.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { HearthDb } from './db';
import { packId, unpackId } from './compact-ids';
import { countRecords, recordById, recordsTargeting } from './record-store';

let dbs = 0;
const randomId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

/** Rows as IndexedDB holds them, below Dexie: primary keys and values. */
function rawRows(name: string, table: string): Promise<{ key: IDBValidKey; value: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const rows: { key: IDBValidKey; value: Record<string, unknown> }[] = [];
      const walk = open.result.transaction(table).objectStore(table).openCursor();
      walk.onerror = () => reject(walk.error);
      walk.onsuccess = () => {
        const cursor = walk.result;
        if (!cursor) {
          open.result.close();
          return resolve(rows);
        }
        rows.push({ key: cursor.primaryKey, value: cursor.value });
        cursor.continue();
      };
    };
  });
}

/** The records table as version 7 declared it (string ids on disk). */
class Version7Db extends Dexie {
  constructor(name: string) {
    super(name);
    const records = 'id, [cid+kind], target, [held+cid], [cid+author+ts]';
    this.version(7).stores({
      identity: 'key',
      settings: 'key',
      communities: 'cid, lastOpened',
      docUpdates: '++seq, cid',
      records,
      threads: 'id, [cid+rank]',
      replies: 'id, cid, [thread+createdAt]',
      members: '[cid+key]',
      rejected: 'key, cid',
      drafts: 'key',
      projectionMeta: 'cid',
      questions: 'id, [cid+rank], [askTo+cid]',
      answers: 'id, cid, question',
      polls: 'id, [cid+createdAt], thread',
      challenges: 'id, [cid+createdAt]',
      ingestMarks: 'cid',
      keyrings: 'cid',
      chunks: 'hash, cid, [cid+own], at'
    });
  }
}

function rows(cid: string) {
  const thread = randomId();
  const reply = randomId();
  const reaction = randomId();
  return [
    { id: cid, kind: 'genesis', cid: '', author: 'a', ts: 0, body: {}, sig: 's' },
    { id: thread, kind: 'thread', cid, author: 'a', ts: 1, body: {}, sig: 's' },
    { id: reply, kind: 'reply', cid, author: 'b', ts: 2, body: { thread }, sig: 's', target: thread },
    { id: reaction, kind: 'reaction', cid, author: 'b', ts: 2, body: { target: thread }, sig: 's', target: thread }
  ];
}

describe('record ids on disk', () => {
  it('pack to 33 bytes and back to the same id, in the same order as the strings', () => {
    const ids = Array.from({ length: 500 }, randomId);
    ids.push('-'.repeat(43), 'z'.repeat(43), `${'A'.repeat(42)}_`, `${'A'.repeat(42)}a`);
    const packed = ids.map((id) => packId(id) as Uint8Array);
    for (const [i, p] of packed.entries()) {
      expect(p).toBeInstanceOf(Uint8Array);
      expect(p.length).toBe(33);
      expect(unpackId(p)).toBe(ids[i]);
      // IndexedDB gives binary keys back as ArrayBuffers.
      expect(unpackId(p.slice().buffer)).toBe(ids[i]);
    }
    const byString = [...ids].sort();
    const byBytes = [...packed].sort((a, b) => indexedDB.cmp(a, b)).map((p) => unpackId(p));
    expect(byBytes).toEqual(byString);
    // What is not a record id stays as it is.
    expect(packId('short')).toBe('short');
    expect(packId(`${'a'.repeat(42)}=`)).toBe(`${'a'.repeat(42)}=`);
    expect(packId(42)).toBe(42);
  });

  it('are binary keys in IndexedDB while every query above sees string ids', async () => {
    const name = `ids-${dbs++}`;
    const db = new HearthDb(name);
    const cid = randomId();
    const [genesis, thread, reply, reaction] = rows(cid);
    await db.records.bulkPut([genesis, thread, reply, reaction] as never[]);

    const raw = await rawRows(name, 'records');
    expect(raw).toHaveLength(4);
    for (const { key, value } of raw) {
      expect(key).toBeInstanceOf(ArrayBuffer);
      expect(value.id).toBeInstanceOf(Uint8Array);
      if ('target' in value) expect(value.target).toBeInstanceOf(Uint8Array);
    }

    expect(await db.records.get(reply.id)).toEqual(reply);
    expect(await db.records.bulkGet([thread.id, randomId(), reaction.id])).toEqual([thread, undefined, reaction]);
    expect((await db.records.where('target').equals(thread.id).toArray()).map((r) => r.id).sort()).toEqual([reply.id, reaction.id].sort());
    expect(await db.records.where('target').equals(thread.id).count()).toBe(2);
    expect((await db.records.where('cid').equals(cid).primaryKeys()).sort()).toEqual([thread.id, reply.id, reaction.id].sort());
    expect(await db.records.where('id').anyOf([reply.id, genesis.id]).count()).toBe(2);
    // A cursor (filter) and an index whose equal keys sort by primary key: ids in string order.
    expect(
      (
        await db.records
          .where('[cid+author]')
          .equals([cid, 'b'])
          .filter(() => true)
          .toArray()
      ).map((r) => r.id)
    ).toEqual([reply.id, reaction.id].sort());
    expect((await db.records.where('[cid+author+ts]').between([cid, 'b', 2], [cid, 'b', 3]).toArray()).map((r) => r.id)).toEqual(
      [reply.id, reaction.id].sort()
    );
    await db.records.delete(reaction.id);
    expect(await db.records.get(reaction.id)).toBeUndefined();
    expect(await db.records.count()).toBe(3);
    db.close();
  });

  it('are packed by the upgrade from version 7, which keeps every record readable by its id', async () => {
    const name = `ids-${dbs++}`;
    const old = new Version7Db(name);
    const cid = randomId();
    const stored = rows(cid);
    const other = { id: 'not-a-record-id', kind: 'thread', cid, author: 'c', ts: 5, body: {}, sig: 's' };
    await old.table('records').bulkPut([...stored, other]);
    const thread = { id: stored[1].id, cid, kind: 'thread', thread: stored[1].id, rank: 3 };
    const reply = { id: stored[2].id, cid, kind: 'reply', thread: stored[1].id, createdAt: 2 };
    await old.table('threads').put(thread);
    await old.table('replies').put(reply);
    const member = { cid, key: randomId(), name: 'Bea' };
    await old.table('members').put(member);
    old.close();
    expect((await rawRows(name, 'records')).every(({ key }) => typeof key === 'string')).toBe(true);

    const db = new HearthDb(name);
    await db.open();
    expect(db.verno).toBe(11);
    // Version 8 packed every row's id; version 10 then moved the content records into pages
    // (store/record-store), leaving the genesis a row: every record still read by its id.
    const raw = await rawRows(name, 'records');
    expect(raw.map(({ key }) => key instanceof ArrayBuffer)).toEqual([true]);
    expect((await rawRows(name, 'recordPages')).flatMap(({ value }) => (value.records as { id: string }[]).map((r) => r.id)).sort()).toEqual(
      [...stored.slice(1), other].map((r) => r.id).sort()
    );
    for (const row of stored) expect(await recordById(db, row.id)).toEqual(row);
    expect(await recordById(db, other.id)).toEqual(other);
    expect(await recordsTargeting(db, stored[1].id)).toHaveLength(2);
    expect(await countRecords(db, cid)).toBe(4);
    // The projection's rows too: by id, and a thread's replies by the thread's id.
    expect((await rawRows(name, 'replies')).map(({ key, value }) => [key instanceof ArrayBuffer, value.thread instanceof Uint8Array])).toEqual([[true, true]]);
    expect(await db.threads.get(thread.id)).toEqual(thread);
    expect(await db.replies.where('[thread+createdAt]').between([thread.id, Dexie.minKey], [thread.id, Dexie.maxKey]).toArray()).toEqual([reply]);
    // Members are keyed [cid+key]: the key packed inside the compound key.
    expect((await rawRows(name, 'members')).map(({ key }) => (key as unknown[])[1] instanceof ArrayBuffer)).toEqual([true]);
    expect(await db.members.get([cid, member.key])).toEqual(member);
    expect(await db.members.bulkGet([[cid, member.key]])).toEqual([member]);
    expect(await db.members.where('cid').equals(cid).toArray()).toEqual([member]);
    expect(await db.members.where('cid').equals(cid).primaryKeys()).toEqual([[cid, member.key]]);
    db.close();
  });
});
