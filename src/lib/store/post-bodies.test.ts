// Thread and reply rows stored without what their record holds: every read above the middleware
// (get, bulkGet, index queries, cursors, a live query's transaction) sees the rows the projection
// made, equal to the pure projection; edited and deleted posts keep their own text; rows stored
// whole by version 8 are slimmed by the upgrade and still read the same.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { countingReads } from '../../../tests/unit/counting-reads';
import { computeAuthority } from '../domain/authority';
import { FROM_RECORD, projectCommunity, slimPost, type PostRow } from '../domain/posts';
import type { AnyRecord, SignedRecord } from '../domain/record';
import { HearthDb } from './db';
import { PAGE_HINT, postMeta, RANGE_FILL_AFTER, withoutPageHint, writePostRowsAsStored } from './post-bodies';
import { rebuildProjection } from './projection';
import { deleteRecords, PAGE_RECORDS, putRecords } from './record-store';

let dbs = 0;

/** Stored values below Dexie (and below the middleware). */
function rawValues(name: string, table: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const req = open.result.transaction(table).objectStore(table).getAll();
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        open.result.close();
        resolve(req.result);
      };
    };
  });
}

async function community() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const a = writer(alice, g.id);
  const b = writer(bob, g.id, 1_700_000_100_000);
  const thread = await a('thread', { title: 'Saturday ride', body: 'Meet at the bridge at nine.', mentions: [bob.publicKey] });
  const plain = await b('reply', { thread: thread.id, parent: thread.id, body: 'I am in, bringing a spare tube.' });
  const quoting = await a('reply', {
    thread: thread.id,
    parent: plain.id,
    body: 'Great, thanks!',
    quote: { id: plain.id, text: 'bringing a spare tube' },
    mentions: [bob.publicKey]
  });
  const edited = await b('reply', { thread: thread.id, parent: thread.id, body: 'first words' });
  const deleted = await b('reply', { thread: thread.id, parent: quoting.id, body: 'regret this' });
  const editedThread = await a('thread', { title: 'Old title', body: 'old body' });
  const records: AnyRecord[] = [
    g,
    ...(await admit(alice, bob, g.id)),
    thread,
    plain,
    quoting,
    edited,
    deleted,
    editedThread,
    await b('edit', { target: edited.id, body: 'second words' }),
    await b('tombstone', { target: deleted.id }),
    await a('edit', { target: editedThread.id, title: 'New title', body: 'new body' }),
    await b('reaction', { target: plain.id, emoji: '👍', on: true })
  ];
  const expected = projectCommunity(records, computeAuthority(g as SignedRecord<'genesis'>, records));
  return { cid: g.id, records, thread, plain, quoting, edited, deleted, editedThread, expected, write: a };
}

async function projected(name: string) {
  const c = await community();
  const db = new HearthDb(name);
  await putRecords(db, c.records);
  await rebuildProjection(db, c.cid);
  return { ...c, db };
}

const pick = ({ id, cid, kind, thread, createdAt, edits, deleted, hidden, tiers }: PostRow) => ({
  id,
  cid,
  kind,
  thread,
  createdAt,
  edits,
  deleted,
  hidden,
  tiers
});

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((x, y) => x.id.localeCompare(y.id));

describe('post rows on disk', () => {
  it('a reply row without its body still shows its text on the thread page query', async () => {
    const name = `posts-${dbs++}`;
    const { db, thread, plain, quoting } = await projected(name);
    const raw = await rawValues(name, 'replies');
    const rawPlain = raw.find((r) => r.createdAt === plain.ts)!;
    expect(rawPlain.body).toBe(FROM_RECORD);
    expect(rawPlain.author).toBe(FROM_RECORD);
    expect(JSON.stringify(raw)).not.toContain('spare tube');

    const shown = await db.replies.where('[thread+createdAt]').between([thread.id, Dexie.minKey], [thread.id, Dexie.maxKey]).toArray();
    const first = shown.find((r) => r.id === plain.id)!;
    expect(first.body).toBe('I am in, bringing a spare tube.');
    expect(first.author).toBe(plain.author);
    expect(first.parent).toBe(thread.id);
    const second = shown.find((r) => r.id === quoting.id)!;
    expect(second.quote).toEqual({ id: plain.id, text: 'bringing a spare tube' });
    expect(second.mentions).toEqual(quoting.body.mentions);
    db.close();
  });

  it('every read sees the rows the pure projection makes, key order included', async () => {
    const name = `posts-${dbs++}`;
    const { db, cid, expected } = await projected(name);
    const json = (rows: PostRow[]) => byId(rows).map((r) => JSON.stringify(r));
    expect(json(await db.replies.where('cid').equals(cid).toArray())).toEqual(json(expected.replies));
    expect(json(await db.threads.where('cid').equals(cid).toArray())).toEqual(json(expected.threads));
    // By key, several keys, a cursor (a filter) and a transaction that names only the posts' tables.
    const ids = expected.replies.map((r) => r.id);
    expect(json((await db.replies.bulkGet(ids)) as PostRow[])).toEqual(json(expected.replies));
    expect(JSON.stringify(await db.replies.get(ids[0]))).toBe(JSON.stringify(expected.replies.find((r) => r.id === ids[0])));
    expect(json(await db.replies.filter(() => true).toArray())).toEqual(json(expected.replies));
    expect(json(await db.threads.orderBy('[cid+rank]').reverse().toArray())).toEqual(json(expected.threads));
    const inTx = await db.transaction('r', db.replies, () => db.replies.toArray());
    expect(json(inTx)).toEqual(json(expected.replies));
    db.close();
  });

  it('an edited or deleted post keeps its own text on disk, an unedited one leaves it to the record', async () => {
    const name = `posts-${dbs++}`;
    const { db, edited, deleted, editedThread, thread } = await projected(name);
    const raw = [...(await rawValues(name, 'replies')), ...(await rawValues(name, 'threads'))];
    const at = (ts: number) => raw.find((r) => r.createdAt === ts)!;
    expect(at(edited.ts).body).toBe('second words');
    expect(at(deleted.ts).body).toBe('');
    expect(at(editedThread.ts)).toMatchObject({ title: 'New title', body: 'new body' });
    expect(at(thread.ts)).toMatchObject({ title: FROM_RECORD, body: FROM_RECORD, mentions: FROM_RECORD });
    expect((await db.replies.get(edited.id))?.body).toBe('second words');
    expect(await db.replies.get(deleted.id)).toMatchObject({ body: '', deleted: true, quote: null });
    expect(await db.threads.get(editedThread.id)).toMatchObject({ title: 'New title', body: 'new body' });
    db.close();
  });

  it("postMeta reads what rows hold of their own without a page of records, and leaves an outer transaction's reads filled", async () => {
    const name = `posts-${dbs++}`;
    const { db, expected, thread, editedThread, deleted, plain } = await projected(name);
    db.close();
    const { db: counted, reads: pagesRead } = countingReads(name, ['recordPages', 'records']);
    const threads = await postMeta(counted, 'threads', [thread.id, editedThread.id, 'nobody']);
    const replies = await postMeta(counted, 'replies', [deleted.id, plain.id]);
    expect(pagesRead()).toBe(0);
    const row = (id: string) => [...expected.threads, ...expected.replies].find((r) => r.id === id)!;
    expect(threads[0]).toEqual({ ...pick(row(thread.id)), title: undefined });
    expect(threads[1]).toEqual({ ...pick(row(editedThread.id)), title: 'New title' });
    expect(threads[2]).toBeUndefined();
    expect(replies[0]).toMatchObject({ deleted: true, thread: thread.id, title: null });
    expect(replies[1]).toEqual({ ...pick(row(plain.id)), title: null });

    // Asked within a transaction of the posts: read filled, and the transaction's own reads stay filled.
    const inside = await counted.transaction('r', counted.threads, async () => {
      const [meta] = await postMeta(counted, 'threads', [thread.id]);
      return { meta, row: await counted.threads.get(thread.id) };
    });
    expect(inside.meta).toEqual({ ...pick(row(thread.id)), title: 'Saturday ride' });
    expect(inside.row?.title).toBe('Saturday ride');
    expect(pagesRead()).toBeGreaterThan(0);
    counted.close();
  });

  it('rows written with writePostRowsAsStored are read there as stored, without a record, and filled everywhere after', async () => {
    const name = `posts-${dbs++}`;
    const { db, expected, plain, edited } = await projected(name);
    db.close();
    const { db: counted, reads: recordsRead } = countingReads(name, ['recordPages', 'records']);
    const stored = await rawValues(name, 'replies');
    await counted.replies.clear();
    const inside = await writePostRowsAsStored(counted, [counted.replies], async () => {
      await counted.replies.bulkPut(expected.replies);
      return counted.replies.get(plain.id);
    });
    expect(recordsRead()).toBe(0);
    // As stored: slim, with its page's hint; the edited reply holds its own words.
    const plainRow = expected.replies.find((r) => r.id === plain.id)!;
    expect(inside).toMatchObject({ body: FROM_RECORD, author: FROM_RECORD, [PAGE_HINT]: expect.any(Number) });
    expect(withoutPageHint(inside!)).toEqual(slimPost(plainRow));
    // Written exactly as any write of the rows writes them.
    const asJson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(asJson(await rawValues(name, 'replies'))).toEqual(asJson(stored));
    // The zone ends with the transaction: reads after it are filled again.
    expect(await counted.replies.get(plain.id)).toEqual(plainRow);
    expect((await counted.replies.get(edited.id))?.body).toBe('second words');
    expect(recordsRead()).toBeGreaterThan(0);
    counted.close();
  });

  it('a row whose record is missing reads as empty text, never another post', async () => {
    const name = `posts-${dbs++}`;
    const { db, plain } = await projected(name);
    await deleteRecords(db, [plain.id]);
    expect(await db.replies.get(plain.id)).toMatchObject({ id: plain.id, body: '', author: '' });
    db.close();
  });

  it('rows stored whole by version 8 are slimmed by the upgrade and read the same', async () => {
    const name = `posts-${dbs++}`;
    const c = await community();
    // Version 8 exactly as it was: the same tables, the ids packed, rows whole.
    const v8 = new Dexie(name);
    const { compactIds } = await import('./compact-ids');
    v8.version(7).stores({
      identity: 'key',
      settings: 'key',
      communities: 'cid, lastOpened',
      docUpdates: '++seq, cid',
      records: 'id, [cid+kind], target, [held+cid], [cid+author+ts]',
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
    v8.version(8).stores({});
    v8.use(compactIds);
    await v8.table('records').bulkPut(c.records);
    await v8.table('replies').bulkPut(c.expected.replies);
    await v8.table('threads').bulkPut(c.expected.threads);
    v8.close();
    expect((await rawValues(name, 'replies')).some((r) => r.body === FROM_RECORD)).toBe(false);

    const db = new HearthDb(name);
    await db.open();
    expect(db.verno).toBe(11);
    const raw = await rawValues(name, 'replies');
    expect(raw.find((r) => r.createdAt === c.plain.ts)?.body).toBe(FROM_RECORD);
    const json = (rows: PostRow[]) => byId(rows).map((r) => JSON.stringify(r));
    expect(json(await db.replies.toArray())).toEqual(json(c.expected.replies));
    expect(json(await db.threads.toArray())).toEqual(json(c.expected.threads));
    db.close();
  });

  it('a read of thousands of replies fills them from their kind’s range, not one record at a time', async () => {
    const name = `posts-${dbs++}`;
    const c = await community();
    const g = c.records[0] as SignedRecord<'genesis'>;
    // Another community's replies share the index, not the range.
    const carol = await newMember();
    const other = await newCommunity(carol, 'Elsewhere');
    const o = writer(carol, other.id);
    const otherThread = await o('thread', { title: 'Hi', body: 'there' });
    const elsewhere = [other, otherThread, await o('reply', { thread: otherThread.id, parent: otherThread.id, body: 'not here' })];
    const many: AnyRecord[] = [];
    for (let i = 0; i < RANGE_FILL_AFTER + 100; i++) many.push(await c.write('reply', { thread: c.thread.id, parent: c.thread.id, body: `reply ${i}` }));
    const records = [...c.records, ...many];
    const expected = projectCommunity(records, computeAuthority(g, records));
    const db = new HearthDb(name);
    await putRecords(db, [...records, ...elsewhere]);
    await rebuildProjection(db, c.cid);
    await rebuildProjection(db, other.id);
    // A reply whose record is gone is still read by key, as empty text.
    await deleteRecords(db, [c.plain.id]);

    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');
    try {
      const rows = await db.replies.where('cid').equals(c.cid).toArray();
      const recordGets = gets.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'records').length;
      expect(rows).toHaveLength(expected.replies.length);
      expect(recordGets).toBe(1);
      const json = (list: PostRow[]) => byId(list).map((r) => JSON.stringify(r));
      const withoutPlain = (list: PostRow[]) => list.filter((r) => r.id !== c.plain.id);
      expect(json(withoutPlain(rows))).toEqual(json(withoutPlain(expected.replies)));
      expect(rows.find((r) => r.id === c.plain.id)).toMatchObject({ body: '', author: '' });
      expect(rows.find((r) => r.id === c.edited.id)?.body).toBe('second words');
    } finally {
      gets.mockRestore();
      db.close();
    }
  });

  it('a thread read again after a new reply reads only the new reply’s record; the others are filled from the records kept', async () => {
    const name = `posts-${dbs++}`;
    const { db, thread, write, expected } = await projected(name);
    const replies = () => db.replies.where('[thread+createdAt]').between([thread.id, Dexie.minKey], [thread.id, Dexie.maxKey]).toArray();
    // Records are read by key from `records` (older rows) or a month's page from `recordPages`.
    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');
    const pageReads = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    const recordGets = () =>
      gets.mock.contexts.filter((store) => ['records', 'recordPages'].includes((store as IDBObjectStore).name)).length +
      pageReads.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'recordPages').length;
    try {
      const first = await replies();
      const slim = first.length;
      expect(slim).toBeGreaterThan(2);
      const firstGets = recordGets();
      expect(firstGets).toBeGreaterThan(0);
      const again = await replies();
      expect(recordGets()).toBe(firstGets);
      expect(JSON.stringify(again)).toBe(JSON.stringify(first));

      const reply = await write('reply', { thread: thread.id, parent: thread.id, body: 'one more' });
      await putRecords(db, [reply]);
      await rebuildProjection(db, reply.cid);
      const before = recordGets();
      const after = await replies();
      expect(after).toHaveLength(slim + 1);
      expect(after.find((r) => r.id === reply.id)?.body).toBe('one more');
      expect(recordGets() - before).toBe(1);
      // The same rows as the pure projection, whether filled from a read or from what was kept.
      const json = (rows: PostRow[]) => byId(rows).map((r) => JSON.stringify(r));
      expect(json(after.filter((r) => r.id !== reply.id))).toEqual(json(expected.replies.filter((r) => r.thread === thread.id)));
    } finally {
      gets.mockRestore();
      pageReads.mockRestore();
      db.close();
    }
  });

  it('a reader changing a filled row’s quote or mentions in place does not change what the next read sees', async () => {
    const name = `posts-${dbs++}`;
    const { db, quoting } = await projected(name);
    const first = (await db.replies.get(quoting.id))!;
    expect(first.quote).toEqual({ id: quoting.body.quote!.id, text: 'bringing a spare tube' });
    first.quote!.text = 'changed';
    first.mentions!.push('someone else');
    const second = (await db.replies.get(quoting.id))!;
    expect(second.quote?.text).toBe('bringing a spare tube');
    expect(second.mentions).toEqual(quoting.body.mentions);
    // The second read was filled from the record kept after the first: changing it leaves that record as it was.
    second.quote!.text = 'changed again';
    second.mentions!.push('a third');
    const third = (await db.replies.get(quoting.id))!;
    expect(third.quote?.text).toBe('bringing a spare tube');
    expect(third.mentions).toEqual(quoting.body.mentions);
    db.close();
  });

  it('a record stored sealed first fills nothing, and its row shows the plaintext once stored', async () => {
    const name = `posts-${dbs++}`;
    const { db, plain } = await projected(name);
    // The record under the row's id is of another kind (as a sealed original is): no text, none kept.
    await putRecords(db, [{ ...plain, kind: 'sealed' } as unknown as AnyRecord]);
    expect(await db.replies.get(plain.id)).toMatchObject({ body: '', author: '' });
    await putRecords(db, [plain]);
    expect((await db.replies.get(plain.id))?.body).toBe('I am in, bringing a spare tube.');
    db.close();
  });

  it("a row keeps its record's page number and is filled from that one page, not its month's; a wrong number still fills right", async () => {
    const name = `posts-${dbs++}`;
    const alice = await newMember();
    const g = await newCommunity(alice);
    const a = writer(alice, g.id);
    const thread = await a('thread', { title: 'Many replies', body: 'one month of them' });
    const replies: AnyRecord[] = [];
    for (let i = 0; i < 3 * PAGE_RECORDS; i++) replies.push(await a('reply', { thread: thread.id, parent: thread.id, body: `reply ${i}` }));
    const writerDb = new HearthDb(name);
    await putRecords(writerDb, [g, thread, ...replies]);
    await rebuildProjection(writerDb, g.id);
    writerDb.close();
    const raw = await rawValues(name, 'replies');
    expect(raw).toHaveLength(replies.length);
    expect(raw.every((row) => typeof row[PAGE_HINT] === 'number')).toBe(true);

    // A fresh connection (another thread, say): nothing kept, no catalogue.
    const { db, reads: pagesRead } = countingReads(name, ['recordPages']);
    const last = replies[replies.length - 1];
    const row = (await db.replies.get(last.id))!;
    expect(row.body).toBe(`reply ${replies.length - 1}`);
    expect(PAGE_HINT in row).toBe(false);
    expect(pagesRead()).toBe(1);
    db.close();

    // A hint pointing at another page: the record is not there, so the month is read.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => {
        const tx = open.result.transaction('replies', 'readwrite');
        const store = tx.objectStore('replies');
        const cursor = store.openCursor();
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return;
          c.update({ ...c.value, [PAGE_HINT]: (c.value[PAGE_HINT] + 1) % 3 });
          c.continue();
        };
        tx.oncomplete = () => (open.result.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    });
    const again = new HearthDb(name);
    const rows = await again.replies.bulkGet(replies.map((r) => r.id));
    expect(rows.map((r) => r?.body)).toEqual(replies.map((_, i) => `reply ${i}`));
    again.close();
  });

  it('slimPost leaves locked threads and rows without post fields as they are', () => {
    const locked = { id: 'x', kind: 'thread', author: 'a', body: '', title: null, locked: 'tier:gold', edits: 0, deleted: false } as unknown as PostRow;
    expect(slimPost(locked)).toBe(locked);
    const bare = { id: 'y', cid: 'c', rank: 1 } as unknown as PostRow;
    expect(slimPost(bare)).toBe(bare);
  });
});
