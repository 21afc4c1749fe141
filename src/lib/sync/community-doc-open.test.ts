// Opening a stored community: the gate checks only what changed since it last left off (the ingest
// mark), and whatever reached storage without being checked is checked on the next open.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';
import { recordById } from '../store/record-store';

// The real gate, watched: how many map values each open passes through it.
const gated = vi.hoisted(() => ({ keys: [] as string[] }));
vi.mock('./gate', async (original) => {
  const real = await original<typeof import('./gate')>();
  return {
    ...real,
    passGate: (db: HearthDb, cid: string, entries: [string, unknown][]) => {
      gated.keys.push(...entries.map(([k]) => k));
      return real.passGate(db, cid, entries);
    }
  };
});

let dbs = 0;

async function storedCommunity() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const write = writer(alice, g.id);
  const records: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  for (let i = 0; i < 5; i++) records.push(await write('thread', { title: `thread ${i}`, body: '' }));
  const doc = new CommunityDoc(new HearthDb(`open-${dbs++}`), g.id);
  await doc.open();
  for (const r of records) expect((await doc.append(r)).ok).toBe(true);
  await doc.settled();
  doc.close();
  return { alice, bob, g, db: doc.db, records, write };
}

/**
 * What a crash leaves behind: a peer's change stored as an update (as `#persist` does) that was
 * never checked, projected or marked.
 */
async function storeUnchecked(db: HearthDb, cid: string, change: (records: Y.Map<unknown>) => void): Promise<void> {
  const replica = new Y.Doc();
  for (const row of await db.docUpdates.where('cid').equals(cid).toArray()) Y.applyUpdate(replica, row.update);
  const before = Y.encodeStateVector(replica);
  replica.transact(() => change(replica.getMap('records')));
  await db.docUpdates.add({ cid, update: Y.encodeStateAsUpdate(replica, before) });
}

/** A record arriving from a peer while the community is open, as a provider delivers it. */
function fromPeer(doc: CommunityDoc, record: AnyRecord): void {
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc.doc));
  peer.getMap('records').set(record.id, record);
  Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc.doc)), 'peer');
}

async function reopen(db: HearthDb, cid: string): Promise<CommunityDoc> {
  gated.keys = [];
  const doc = new CommunityDoc(db, cid);
  await doc.open();
  await doc.settled();
  return doc;
}

beforeEach(() => {
  gated.keys = [];
});

describe('opening a stored community', () => {
  it('checks no stored record again once the gate has seen them all', async () => {
    const { db, g, records } = await storedCommunity();
    const doc = await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expect(doc.records.size).toBe(records.length);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(5);
  });

  it('keeps counting records by non-members after reopening, without checking them again', async () => {
    const { db, g } = await storedCommunity();
    const doc = await reopen(db, g.id);
    const stranger = await writer(await newMember(), g.id)('thread', { title: 'not a member', body: '' });
    fromPeer(doc, stranger);
    await doc.healthSettled();
    expect(doc.health.rejected).toBe(1);
    doc.close();

    const again = await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expect(again.health.rejected).toBe(1);
  });

  it('counts records kept out of view once the queue is idle, not inside the check that let them in', async () => {
    const { db, g } = await storedCommunity();
    const doc = await reopen(db, g.id);
    await doc.healthSettled();
    const stranger = await writer(await newMember(), g.id)('thread', { title: 'not a member', body: '' });
    fromPeer(doc, stranger);
    // The check is done (nothing shown) before the count that reads every record is taken again.
    await doc.settled();
    expect(await db.threads.get(stranger.id)).toBeUndefined();
    expect(doc.health.rejected).toBe(0);
    // It is taken by itself soon after, with nothing else queued.
    await vi.waitFor(() => expect(doc.health.rejected).toBe(1), { timeout: 5_000, interval: 50 });
    doc.close();
  });

  it('checks every record when there is no mark (a device that stored the community before marks)', async () => {
    const { db, g, records } = await storedCommunity();
    await db.ingestMarks.delete(g.id);
    await reopen(db, g.id);
    expect(gated.keys.sort()).toEqual(records.map((r) => r.id).sort());
    // The full check leaves a mark: the next open checks nothing.
    await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
  });

  it('a record stored but never checked (crash before ingest) is checked and projected on the next open', async () => {
    const { db, g, alice, write } = await storedCommunity();
    const late = await write('thread', { title: 'written just before the crash', body: '' });
    const mallory = await newMember();
    const forged = { ...(await writer(mallory, g.id)('thread', { title: 'forged', body: '' })), author: alice.publicKey };
    await storeUnchecked(db, g.id, (map) => {
      map.set(late.id, late);
      map.set(forged.id, forged);
    });

    const doc = await reopen(db, g.id);
    expect(gated.keys.sort()).toEqual([late.id, forged.id].sort());
    expect(await db.threads.get(late.id)).toMatchObject({ title: 'written just before the crash' });
    expect(await db.threads.get(forged.id)).toBeUndefined();
    expect(await db.rejected.get(`${g.id}/${forged.id}`)).toMatchObject({ cid: g.id });
    expect(doc.health.rejected).toBe(1);
  });

  it('a record a peer deleted or overwrote before a crash is put back on the next open', async () => {
    const { db, g, records } = await storedCommunity();
    const [deleted, overwritten] = records.filter((r) => r.kind === 'thread');
    await storeUnchecked(db, g.id, (map) => {
      map.delete(deleted.id);
      map.set(overwritten.id, { ...overwritten, body: { title: 'defaced', body: '' } });
    });

    const doc = await reopen(db, g.id);
    // Only the two changed keys: the overwritten value, then both put back (repairs are checked too).
    expect(new Set(gated.keys)).toEqual(new Set([deleted.id, overwritten.id]));
    expect(doc.records.get(deleted.id)).toEqual(deleted);
    expect(doc.records.get(overwritten.id)).toEqual(overwritten);
    expect(await db.threads.get(overwritten.id)).toMatchObject({ title: 'thread 1' });
    expect(doc.health.repaired).toBe(2);
  });

  it('records received while open are marked once checked, so the next open checks nothing', async () => {
    const { db, g, write } = await storedCommunity();
    const doc = await reopen(db, g.id);
    const fresh = await write('thread', { title: 'from a peer', body: '' });
    fromPeer(doc, fresh);
    await doc.settled();
    expect(gated.keys).toEqual([fresh.id]);
    doc.close();

    await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expect(await db.threads.get(fresh.id)).toMatchObject({ title: 'from a peer' });
  });

  it('a write projected but whose document update was never stored (the tab died) is put back on open and reaches peers', async () => {
    const { g, db, records, write } = await storedCommunity();
    const lost = await write('thread', { title: 'shown, then the tab died', body: '' });
    // What the worker had done when it died: the projection (the page may already show it), not the update.
    const doc = new CommunityDoc(db, g.id);
    await doc.open();
    expect((await doc.append(lost)).ok).toBe(true);
    await doc.settled();
    doc.close();
    const rows = await db.docUpdates.where('cid').equals(g.id).toArray();
    const replica = new Y.Doc();
    for (const row of rows) Y.applyUpdate(replica, row.update);
    replica.getMap('records').delete(lost.id);
    await db.docUpdates.where('cid').equals(g.id).delete();
    const without = new Y.Doc();
    for (const r of records) without.getMap('records').set(r.id, r);
    await db.docUpdates.add({ cid: g.id, update: Y.encodeStateAsUpdate(without) });
    expect(await recordById(db, lost.id)).toBeDefined();

    const reopened = new CommunityDoc(db, g.id);
    await reopened.open();
    await reopened.settled();
    expect(reopened.records.has(lost.id)).toBe(true);
    // A peer that syncs now receives it.
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(reopened.doc));
    expect(peer.getMap('records').get(lost.id)).toMatchObject({ id: lost.id, kind: 'thread' });
    reopened.close();
  });
});
