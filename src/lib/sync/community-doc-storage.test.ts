// One copy on disk: a community's stored updates are skeletons (sync/update-skeleton), the records
// themselves only in the records table. Closed and reopened, the document is the same one: same
// structure, same values, no record gated again, and it syncs and repairs as before.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';
import { exactlyEqual } from './gate';
import { deleteRecords, recordById } from '../store/record-store';

// The real gate, watched: which map values each open passes through it.
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
const FAST = { repairBackoff: { first: 5, max: 40 } };

/** A record arriving from a peer while the community is open, as a provider delivers it. */
function fromPeer(doc: CommunityDoc, change: (records: Y.Map<unknown>) => void): Y.Doc {
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc.doc));
  peer.transact(() => change(peer.getMap('records')));
  Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc.doc)), 'peer');
  return peer;
}

/** A community written three ways: the member's own writes, a peer's records, an imported file. */
async function written() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const write = writer(alice, g.id);
  const own: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  for (let i = 0; i < 5; i++) own.push(await write('thread', { title: `own thread ${i}`, body: 'written here' }));
  const fromBob = await writer(bob, g.id, 1_700_000_300_000)('thread', { title: 'bob from afar', body: 'sent by a peer' });
  const imported: AnyRecord[] = [];
  for (let i = 0; i < 5; i++) imported.push(await write('thread', { title: `imported thread ${i}`, body: 'from a file' }));
  const doc = new CommunityDoc(new HearthDb(`storage-${dbs++}`), g.id, FAST);
  await doc.open();
  for (const r of own) expect((await doc.append(r)).ok).toBe(true);
  fromPeer(doc, (map) => map.set(fromBob.id, fromBob));
  await doc.settled();
  await doc.importRecords(imported);
  const records = [...own, fromBob, ...imported];
  const snapshot = Y.encodeSnapshot(Y.snapshot(doc.doc));
  const state = Y.encodeStateAsUpdate(doc.doc);
  doc.close();
  return { alice, bob, g, db: doc.db, records, snapshot, state, write };
}

async function reopen(db: HearthDb, cid: string): Promise<CommunityDoc> {
  gated.keys = [];
  const doc = new CommunityDoc(db, cid, FAST);
  await doc.open();
  await doc.settled();
  return doc;
}

const storedText = async (db: HearthDb, cid: string) =>
  (await db.docUpdates.where('cid').equals(cid).toArray()).map((row) => new TextDecoder().decode(row.update)).join('\n');

function expectHolds(doc: CommunityDoc, records: AnyRecord[]): void {
  expect(doc.records.size).toBe(records.length);
  for (const r of records) expect(exactlyEqual(doc.records.get(r.id), r)).toBe(true);
}

beforeEach(() => {
  gated.keys = [];
});

describe('one copy on disk', () => {
  it('stores no record in the document’s updates, whoever wrote it, and reopens the same document without gating anything', async () => {
    const { db, g, records, snapshot, state } = await written();
    const rows = await db.docUpdates.where('cid').equals(g.id).toArray();
    expect(rows.every((row) => row.skeleton === 1)).toBe(true);
    const text = await storedText(db, g.id);
    for (const r of records) expect(text).not.toContain(r.sig);
    expect(text).not.toContain('imported thread');
    const bytes = rows.reduce((n, row) => n + row.update.length, 0);
    expect(bytes).toBeLessThan(state.length / 4);

    const doc = await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expect(Y.encodeSnapshot(Y.snapshot(doc.doc))).toEqual(snapshot);
    expectHolds(doc, records);
    expect(doc.health).toMatchObject({ unreadableUpdates: 0, repaired: 0, rejected: 0 });
    // The community file is whole.
    const exported = await doc.exportRecords();
    expect(exported.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(11);
  });

  it('reopened from its skeleton, converges with a peer in both directions', async () => {
    const { bob, db, g, records, state } = await written();
    const peer = new Y.Doc();
    Y.applyUpdate(peer, state);
    const later = await writer(bob, g.id, 1_700_000_400_000)('thread', { title: 'written while apart', body: '' });
    peer.getMap('records').set(later.id, later);

    const doc = await reopen(db, g.id);
    Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc.doc)), 'peer');
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc.doc, Y.encodeStateVector(peer)), 'peer');
    await doc.settled();
    expect(Y.encodeStateVector(doc.doc)).toEqual(Y.encodeStateVector(peer));
    expect(gated.keys).toEqual([later.id]);
    expectHolds(doc, [...records, later]);
    for (const r of [...records, later]) expect(exactlyEqual(peer.getMap('records').get(r.id), r)).toBe(true);
    expect(await db.threads.get(later.id)).toMatchObject({ title: 'written while apart' });
    doc.close();

    // What arrived from the peer is stored as a placeholder too once checked.
    expect(await storedText(db, g.id)).not.toContain('written while apart');
    const again = await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expectHolds(again, [...records, later]);
  });

  it('reopened from its skeleton, repairs a record a peer deleted or overwrote with the exact stored record', async () => {
    const { db, g, records } = await written();
    const doc = await reopen(db, g.id);
    const [deleted, overwritten] = records.filter((r) => r.kind === 'thread');
    const peer = fromPeer(doc, (map) => {
      map.delete(deleted.id);
      map.set(overwritten.id, { ...overwritten, body: { title: 'defaced', body: '' } });
    });
    await doc.repairsSettled();
    expect(doc.health.repaired).toBe(2);
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc.doc, Y.encodeStateVector(peer)));
    for (const r of [deleted, overwritten]) {
      expect(exactlyEqual(doc.records.get(r.id), r)).toBe(true);
      expect(exactlyEqual(peer.getMap('records').get(r.id), r)).toBe(true);
    }
    doc.close();
    const again = await reopen(db, g.id);
    expectHolds(again, records);
    expect(await storedText(db, g.id)).not.toContain('defaced');
  });

  it('skips and counts a stored skeleton that does not decode; the rest of the community opens', async () => {
    const { db, g, records } = await written();
    await db.docUpdates.add({ cid: g.id, update: new Uint8Array([3, 250, 1, 9]), skeleton: 1 });
    const doc = await reopen(db, g.id);
    expect(doc.health.unreadableUpdates).toBe(1);
    expectHolds(doc, records);
  });

  it('a placeholder whose record row is gone is left for a peer to send again, and nothing is lost once one does', async () => {
    const { db, g, records, state } = await written();
    const [, lost] = records.filter((r) => r.kind === 'thread');
    await deleteRecords(db, [lost.id]);
    const doc = await reopen(db, g.id);
    expect(doc.health.unreadableUpdates).toBe(1);
    expect(doc.records.has(lost.id)).toBe(false);
    // What its writer wrote after it waits for the gap too; whatever the records table holds of that
    // is put back as this device's own entries, as after a crash, so a lone device loses nothing more.
    expect(doc.records.size).toBe(records.length - 1);

    const peer = new Y.Doc();
    Y.applyUpdate(peer, state);
    Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc.doc)), 'peer');
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc.doc, Y.encodeStateVector(peer)), 'peer');
    await doc.settled();
    expectHolds(doc, records);
    expect(await recordById(db, lost.id)).toMatchObject({ id: lost.id });
    expect(Y.encodeStateVector(doc.doc)).toEqual(Y.encodeStateVector(peer));
    for (const r of records) expect(exactlyEqual(peer.getMap('records').get(r.id), r)).toBe(true);
    doc.close();
    expectHolds(await reopen(db, g.id), records);
  });

  it('a community stored in full by the previous version opens without gating, and its store compacts to a skeleton', async () => {
    const { db, g, records, state, snapshot } = await written();
    // What the previous version left: updates holding every value, no skeleton mark, and an ingest mark.
    await db.docUpdates.where('cid').equals(g.id).delete();
    await db.docUpdates.add({ cid: g.id, update: state });
    const doc = await reopen(db, g.id);
    expect(gated.keys).toEqual([]);
    expect(Y.encodeSnapshot(Y.snapshot(doc.doc))).toEqual(snapshot);
    expectHolds(doc, records);
    const rows = await db.docUpdates.where('cid').equals(g.id).toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0].skeleton).toBe(1);
    expect(rows[0].update.length).toBeLessThan(state.length / 4);
    doc.close();
    expectHolds(await reopen(db, g.id), records);
  });

  it('keeps in full the values that are no accepted record, and repairs nothing it should not', async () => {
    const { db, g, records } = await written();
    const doc = await reopen(db, g.id);
    fromPeer(doc, (map) => map.set('not-a-record', { hello: 'junk value' }));
    await doc.settled();
    expect(doc.health.rejected).toBe(1);
    doc.close();
    expect(await storedText(db, g.id)).toContain('junk value');
    const again = await reopen(db, g.id);
    expect(again.records.get('not-a-record')).toEqual({ hello: 'junk value' });
    expect(again.records.size).toBe(records.length + 1);
    expect(again.health.repaired).toBe(0);
  });
});
