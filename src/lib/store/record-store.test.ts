import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The records table is read and written through store/record-store alone: how records sit on disk
// (one row each today, months packed next, docs/shards.md) is then that module's business.
const ROOTS = ['src', 'workers'];
const ALLOWED = new Set(['src/lib/store/record-store.ts', 'src/lib/store/db.ts']);
const TABLE_ACCESS = /\b(?:db|this\.db|community\.db|openDb\(\))\s*\.records\b/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [path] : [];
  });
}

describe('record store boundary', () => {
  it('no module but store/record-store touches the records table', () => {
    const offenders = ROOTS.flatMap(sources)
      .filter((path) => !ALLOWED.has(path))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .flatMap((line, i) => (TABLE_ACCESS.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []))
      );
    expect(offenders).toEqual([]);
  });

  it('the scan finds a table access where there is one', () => {
    expect(TABLE_ACCESS.test("const rows = await db.records.where('cid').equals(cid).toArray();")).toBe(true);
    expect(TABLE_ACCESS.test('this.db.records.get(id)')).toBe(true);
    expect(TABLE_ACCESS.test('openDb().records.count()')).toBe(true);
    expect(TABLE_ACCESS.test('doc.records.get(key)')).toBe(false);
  });
});

// ---- the store itself (fake-indexeddb; the e2e journeys and benches run it in Chromium) ----

import 'fake-indexeddb/auto';
import Dexie, { liveQuery } from 'dexie';
import { HearthDb, type StoredRecord } from './db';
import { countingReads } from '../../../tests/unit/counting-reads';
import {
  communityRecordIds,
  communityRecords,
  recordsChangedOf,
  countHeld,
  countOfKind,
  countRecords,
  deleteRecords,
  hasRecords,
  heldRecordIds,
  newestByAuthor,
  PAGE_RECORDS,
  putRecords,
  recordById,
  recordsByAuthor,
  recordsByAuthorAt,
  recordsByAuthors,
  recordsByAuthorBetween,
  recordsById,
  recordsOfKind,
  recordsTargeting,
  recordsTargetingAny,
  recordTables,
  shardRecordIds
} from './record-store';

let dbs = 0;
const CID = 'community-1';
const MONTH = Date.UTC(2026, 10, 1);

/** A stored record as the gate leaves it (the store checks no signature). */
function rec(id: string, kind: string, author: string, ts: number, extra: Partial<StoredRecord> = {}): StoredRecord {
  return { id, kind, cid: CID, author, ts, body: {}, sig: 's', ...extra } as unknown as StoredRecord;
}

function sample(): StoredRecord[] {
  const out: StoredRecord[] = [
    { ...rec(CID, 'genesis', 'alice', 0), cid: '' } as StoredRecord,
    rec('join-b', 'join', 'bob', MONTH),
    rec('profile-b', 'profile', 'bob', MONTH + 1)
  ];
  for (let i = 0; i < 5; i++) out.push(rec(`t${i}`, 'thread', i % 2 ? 'bob' : 'alice', MONTH + i * 86_400_000 * 20));
  for (let i = 0; i < 40; i++) out.push(rec(`r${i}`, 'reply', i % 3 ? 'bob' : 'carol', MONTH + i * 3_600_000 * 30, { target: `t${i % 5}` }));
  for (let i = 0; i < 30; i++) out.push(rec(`x${i}`, 'reaction', 'carol', MONTH + i * 3_600_000 * 50, { target: `r${i}`, held: i % 7 === 0 ? 1 : undefined }));
  out.push(rec('tomb', 'tombstone', 'bob', MONTH + 5, { target: 'r1' }));
  return out.map((r) => (r.held === undefined ? (({ held: _, ...rest }) => rest as StoredRecord)(r) : r));
}

const ids = (rows: readonly (StoredRecord | undefined)[]) => rows.map((r) => r?.id ?? null);
const sorted = (rows: readonly StoredRecord[]) => rows.map((r) => r.id).sort();

describe('the record store', () => {
  it('keeps core kinds as rows and content packed by kind and month, and answers every read as the rows did', async () => {
    const db = new HearthDb(`rs-${dbs++}`);
    const all = sample();
    await putRecords(db, all);
    const content = all.filter((r) => !['genesis', 'join', 'profile', 'tombstone'].includes(r.kind));
    expect(await db.records.count()).toBe(all.length - content.length);
    const pages = await db.recordPages.toArray();
    expect(pages.flatMap((p) => p.records).length).toBe(content.length);
    for (const page of pages) for (const r of page.records) expect([r.kind, new Date(r.ts).toISOString().slice(0, 7)]).toEqual([page.kind, page.shard]);

    const rest = all.filter((r) => r.id !== CID);
    expect(ids(await recordsById(db, ['t3', CID, 'missing', 'x4', 'join-b']))).toEqual(['t3', CID, null, 'x4', 'join-b']);
    // Ids said to be paged are looked up in pages only: content is found, a row is not (it is never asked for).
    const paged = (id: string) => id !== CID && id !== 'join-b';
    expect(ids(await recordsById(db, ['t3', CID, 'missing', 'x4', 'join-b'], paged))).toEqual(['t3', CID, null, 'x4', 'join-b']);
    expect(ids(await recordsById(db, ['t3', 'join-b', 'x4'], () => true))).toEqual(['t3', null, 'x4']);
    expect(await recordById(db, 'r7')).toEqual(all.find((r) => r.id === 'r7'));
    expect(sorted(await communityRecords(db, CID))).toEqual(sorted(rest));
    expect((await communityRecords(db, CID)).map((r) => `${r.kind}/${r.id}`)).toEqual(rest.map((r) => `${r.kind}/${r.id}`).sort());
    expect((await communityRecordIds(db, CID)).sort()).toEqual(sorted(rest));
    expect(await countRecords(db, CID)).toBe(rest.length);
    expect(await hasRecords(db, CID)).toBe(true);
    expect(await countOfKind(db, CID, 'reply')).toBe(40);
    expect(await countOfKind(db, CID, 'reply', (r) => r.author === 'carol')).toBe(14);
    expect(ids(await recordsOfKind(db, CID, 'thread'))).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(await countHeld(db, CID)).toBe(5);
    expect((await heldRecordIds(db, CID)).sort()).toEqual(['x0', 'x14', 'x21', 'x28', 'x7']);
    expect(sorted(await recordsTargeting(db, 'r1'))).toEqual(['tomb', 'x1']);
    expect(sorted(await recordsTargeting(db, 't2'))).toEqual(sorted(all.filter((r) => r.target === 't2')));
    expect(await recordsTargetingAny(db, ['t0', 't1'], 3)).toHaveLength(3);
    expect(sorted(await recordsByAuthor(db, CID, 'bob'))).toEqual(sorted(all.filter((r) => r.author === 'bob' && r.id !== CID)));
    const between = await recordsByAuthorBetween(db, CID, 'bob', MONTH, MONTH + 3_600_000 * 300, { includeFrom: false, includeTo: true });
    expect(ids(between)).toEqual(
      ids(all.filter((r) => r.author === 'bob' && r.ts > MONTH && r.ts <= MONTH + 3_600_000 * 300).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)))
    );
    // A month's ids, over every kind and page of it (and none of another community's, nor the core's).
    await putRecords(db, [{ ...rec('other-t', 'thread', 'bob', MONTH), cid: 'community-2' } as StoredRecord]);
    const monthOf = (r: StoredRecord) => new Date(r.ts).toISOString().slice(0, 7);
    for (const month of new Set(content.map(monthOf))) {
      expect((await shardRecordIds(db, CID, month)).sort(), month).toEqual(sorted(content.filter((r) => monthOf(r) === month)));
    }
    expect((await shardRecordIds(db, CID, 'core')).sort()).toEqual(sorted(all.filter((r) => !content.includes(r))));
    expect((await newestByAuthor(db, CID, 'carol'))?.id).toBe('x29');
    expect((await newestByAuthor(db, CID, 'bob'))?.id).toBe('t3');
    expect(
      sorted(
        await recordsByAuthorAt(db, CID, [
          ['bob', MONTH],
          ['carol', MONTH + 3_600_000 * 50]
        ])
      )
    ).toEqual(['join-b', 'x1']);
    db.close();
  });

  it('reads many members\u2019 rows with a request per key sent together, never a cursor walked from key to key', async () => {
    const { db, cursors } = countingReads(`rs-${dbs++}`, ['records']);
    const all = sample();
    await putRecords(db, all);
    const at = [
      ['bob', MONTH],
      ['bob', MONTH],
      ['carol', MONTH + 3_600_000 * 50],
      ['nobody', 1]
    ] as const;
    expect(ids(await recordsByAuthorAt(db, CID, at))).toEqual(['join-b', 'x1']);
    expect(sorted(await recordsByAuthors(db, CID, ['bob', 'bob']))).toEqual(sorted(all.filter((r) => r.author === 'bob' && r.id !== CID)));
    expect(cursors).toEqual([]);
    db.close();
  });

  it('reads each page once for many records of it: 40 replies of three pages are three page reads, not forty', async () => {
    const name = `rs-${dbs++}`;
    const writer = new HearthDb(name);
    const all = sample();
    await putRecords(writer, all);
    const pages = (await writer.recordPages.toArray()).filter((p) => p.kind === 'reply');
    writer.close();
    // A second connection keeps no page yet: every page it needs is read from the store.
    const { db, reads } = countingReads(name, ['recordPages']);
    // Its catalogue first (built from every page once), with a thread: then only the replies' pages count.
    expect(ids(await recordsById(db, ['t0']))).toEqual(['t0']);
    const before = reads();
    const replies = all.filter((r) => r.kind === 'reply').map((r) => r.id);
    expect(ids(await recordsById(db, replies))).toEqual(replies);
    expect(pages.length).toBeGreaterThan(1);
    expect(reads() - before).toBe(pages.length);
    db.close();
  });

  it('a write into pages that hold no record reads none of them: an import of 1,000 records into fresh months reads no page', async () => {
    const { db, reads } = countingReads(`rs-${dbs++}`, ['recordPages']);
    const many = Array.from({ length: 1_000 }, (_, i) => rec(`f${String(i).padStart(4, '0')}`, 'reply', 'carol', MONTH + i * 3_600_000, { target: 't' }));
    for (let i = 0; i < many.length; i += 250) await putRecords(db, many.slice(i, i + 250));
    expect(reads()).toBe(0);
    expect(await db.recordPages.count()).toBe(Math.ceil(1_000 / PAGE_RECORDS));
    // A page another connection filled is read before this one appends to it, and nothing it held is lost.
    const other = new HearthDb(db.name);
    await putRecords(other, [rec('late', 'reply', 'bob', MONTH, { target: 't' })]);
    other.close();
    const before = reads();
    await putRecords(db, [rec('later', 'reply', 'bob', MONTH + 1, { target: 't' })]);
    expect(reads() - before).toBeGreaterThan(0);
    expect(await countOfKind(db, CID, 'reply')).toBe(1_002);
    expect(sorted(await recordsTargeting(db, 't'))).toEqual(sorted([...many, rec('late', 'reply', 'bob', MONTH), rec('later', 'reply', 'bob', MONTH)]));
    db.close();
  });

  it('a record put again replaces its stored copy (held flags, an opened sealed record changing kind) and counts stay true', async () => {
    const db = new HearthDb(`rs-${dbs++}`);
    await putRecords(db, [rec('a', 'reply', 'bob', MONTH, { target: 't' }), rec('s', 'sealed', 'bob', MONTH + 1)]);
    await putRecords(db, [rec('a', 'reply', 'bob', MONTH, { target: 't', held: 1 })]);
    expect(await countHeld(db, CID)).toBe(1);
    expect(await countOfKind(db, CID, 'reply')).toBe(1);
    await putRecords(db, [rec('a', 'reply', 'bob', MONTH, { target: 't' })]);
    expect(await countHeld(db, CID)).toBe(0);
    // Opened: stored as its plaintext's kind, under the same id.
    await putRecords(db, [rec('s', 'reply', 'bob', MONTH + 1, { target: 't' })]);
    expect(await countOfKind(db, CID, 'sealed')).toBe(0);
    expect(await recordsOfKind(db, CID, 'sealed')).toEqual([]);
    expect(ids(await recordsOfKind(db, CID, 'reply'))).toEqual(['a', 's']);
    expect(sorted(await recordsTargeting(db, 't'))).toEqual(['a', 's']);
    expect(await countRecords(db, CID)).toBe(2);
    // The last of a repeated id in one write wins.
    await putRecords(db, [rec('d', 'reply', 'bob', MONTH, { body: { n: 1 } } as never), rec('d', 'reply', 'bob', MONTH, { body: { n: 2 } } as never)]);
    expect((await recordById(db, 'd'))?.body).toEqual({ n: 2 });
    expect(await countOfKind(db, CID, 'reply')).toBe(3);
    // A reader changing what it got does not change what the next read sees.
    const got = (await recordById(db, 'a'))!;
    got.held = 1;
    expect((await recordById(db, 'a'))?.held).toBeUndefined();
    db.close();
  });

  it('fills a page to PAGE_RECORDS and then starts the next, so 1,000 records take ceil(1,000 / PAGE_RECORDS) rows', async () => {
    const db = new HearthDb(`rs-${dbs++}`);
    const many = Array.from({ length: 1_000 }, (_, i) => rec(`m${String(i).padStart(4, '0')}`, 'reaction', 'carol', MONTH + i, { target: 't' }));
    for (let i = 0; i < many.length; i += 300) await putRecords(db, many.slice(i, i + 300));
    const pages = await db.recordPages.toArray();
    const full = Math.floor(1_000 / PAGE_RECORDS);
    expect(pages.map((p) => p.records.length)).toEqual([...Array(full).fill(PAGE_RECORDS), 1_000 - full * PAGE_RECORDS].filter((n) => n > 0));
    expect(await db.records.count()).toBe(0);
    expect(await countOfKind(db, CID, 'reaction')).toBe(1_000);
    expect(await recordsTargeting(db, 't')).toHaveLength(1_000);
    db.close();
  });

  it('a live count of one content kind runs again when that kind is written, not at every other write', async () => {
    const db = new HearthDb(`rs-${dbs++}`);
    await putRecords(db, [rec('e1', 'event', 'alice', MONTH)]);
    const seen: number[] = [];
    const sub = liveQuery(() => countOfKind(db, CID, 'event')).subscribe((n) => seen.push(n));
    const settle = () => new Promise((r) => setTimeout(r, 100));
    await settle();
    for (let i = 0; i < 5; i++) {
      await putRecords(db, [rec(`reply-${i}`, 'reply', 'bob', MONTH + i, { target: 'e1' })]);
      await settle();
    }
    expect(seen).toEqual([1]);
    await putRecords(db, [rec('e2', 'event', 'alice', MONTH + 9)]);
    await settle();
    expect(seen).toEqual([1, 2]);
    sub.unsubscribe();
    db.close();
  });

  it('a live query awaiting a thread’s core rows runs again for a slow mode or a role, not for replies and reactions to it', async () => {
    const db = new HearthDb(`rs-${dbs++}`);
    await putRecords(db, [rec('t1', 'thread', 'alice', MONTH)]);
    let runs = 0;
    const sub = liveQuery(() => recordsChangedOf(db, CID, { target: 't1', kinds: ['grant', 'ban'] }).then(() => ++runs)).subscribe(() => {});
    // Each write that is watched shows as one more run; the writes that are not leave the count where
    // it was, which the next watched write's exact count checks (a run they caused would be one more).
    const ranTimes = (n: number) => expect.poll(() => runs, { timeout: 5_000 }).toBe(n);
    await ranTimes(1);
    await putRecords(db, [rec('r1', 'reply', 'bob', MONTH + 1, { target: 't1' }), rec('x1', 'reaction', 'bob', MONTH + 2, { target: 't1' })]);
    await putRecords(db, [rec('s0', 'slowmode', 'alice', MONTH + 3, { target: 'other-thread' }), rec('j1', 'join', 'carol', MONTH + 3)]);
    await new Promise((r) => setTimeout(r, 300));
    await putRecords(db, [rec('s1', 'slowmode', 'alice', MONTH + 4, { target: 't1' })]);
    await ranTimes(2);
    await putRecords(db, [rec('g1', 'grant', 'alice', MONTH + 5)]);
    await ranTimes(3);
    // A second grant, after the first in the index: the whole range is watched, not the key read.
    await putRecords(db, [rec('g2', 'grant', 'alice', MONTH + 6)]);
    await ranTimes(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(4);
    sub.unsubscribe();
    db.close();
  });

  it('another connection sees this one’s writes, and a write that does not commit leaves nothing behind', async () => {
    const name = `rs-${dbs++}`;
    const writer = new HearthDb(name);
    const reader = new HearthDb(name);
    await putRecords(writer, [rec('a', 'reply', 'bob', MONTH, { target: 't' })]);
    expect(ids(await recordsTargeting(reader, 't'))).toEqual(['a']);
    await putRecords(writer, [rec('b', 'reply', 'bob', MONTH + 1, { target: 't' })]);
    // The reader's catalogue was built before `b`: the stamp tells it to build again.
    expect(sorted(await recordsTargeting(reader, 't'))).toEqual(['a', 'b']);
    expect((await recordById(reader, 'b'))?.id).toBe('b');

    await expect(
      writer.transaction('rw', recordTables(writer), async () => {
        await putRecords(writer, [rec('c', 'reply', 'bob', MONTH + 2, { target: 't' })]);
        throw new Error('the tab died');
      })
    ).rejects.toThrow('the tab died');
    for (const db of [writer, reader]) {
      expect(await recordById(db, 'c')).toBeUndefined();
      expect(sorted(await recordsTargeting(db, 't'))).toEqual(['a', 'b']);
      expect(await countRecords(db, CID)).toBe(2);
    }
    await putRecords(writer, [rec('c', 'reply', 'bob', MONTH + 2, { target: 't' })]);
    expect(sorted(await recordsTargeting(reader, 't'))).toEqual(['a', 'b', 'c']);
    await deleteRecords(writer, ['b']);
    expect(sorted(await recordsTargeting(reader, 't'))).toEqual(['a', 'c']);
    expect(await countOfKind(reader, CID, 'reply')).toBe(2);
    writer.close();
    reader.close();
    await Dexie.delete(name);
  });
});
