// One member's 20,000 valid records in one update: applied piece by piece in separate macrotasks,
// and a large batch of changed keys gated in slices, never in one synchronous stretch.
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc, projectsAtOnce } from './community-doc';
import { readSyncMessage, whenApplied, writeUpdate } from './gated-sync-protocol';
import { PIECE_STRUCTS } from './update-filter';
import { heldRecordIds, recordsById } from '../store/record-store';

// The real gate, watched: the size of each batch of map values it is handed.
// `hold`: the batch of that number waits for `until` before it is checked.
const gated = vi.hoisted(() => ({
  batches: [] as number[],
  newest: [] as number[],
  onGate: null as (() => void) | null,
  hold: null as { batch: number; until: Promise<void> } | null
}));
vi.mock('./gate', async (original) => {
  const real = await original<typeof import('./gate')>();
  return {
    ...real,
    passGate: async (db: HearthDb, cid: string, entries: [string, unknown][]) => {
      gated.batches.push(entries.length);
      const then = gated.onGate;
      gated.onGate = null;
      then?.();
      gated.newest.push(Math.max(...entries.map(([, v]) => (v as { ts?: number } | null)?.ts ?? 0)));
      if (gated.hold?.batch === gated.batches.length) await gated.hold.until;
      return real.passGate(db, cid, entries);
    }
  };
});

const FLOOD = 20_000;
let fixture: { cid: string; base: AnyRecord[]; flood: Uint8Array; ids: string[]; part: Uint8Array; alice: Awaited<ReturnType<typeof newMember>> };
/**
 * Keys for the ingest test: four slices. Projecting is the slow part on fake-indexeddb and grows
 * with the community (4,000 threads in slices of 500: ~18 s), so the 20,000 are only applied.
 */
const PART = 2_000;

beforeAll(async () => {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const base: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  const write = writer(bob, g.id, 1_700_000_100_000);
  const hostile = new Y.Doc();
  const records = hostile.getMap('records');
  const ids: string[] = [];
  const flood: AnyRecord[] = [];
  for (let i = 0; i < FLOOD; i++) flood.push(await write('thread', { title: `flood ${i}`, body: '' }));
  hostile.transact(() => {
    for (const r of flood) {
      records.set(r.id, r);
      ids.push(r.id);
    }
  });
  const partDoc = new Y.Doc();
  partDoc.transact(() => {
    for (const r of flood.slice(0, PART)) partDoc.getMap('records').set(r.id, r);
  });
  fixture = { cid: g.id, base, flood: Y.encodeStateAsUpdate(hostile), ids, part: Y.encodeStateAsUpdate(partDoc), alice };
}, 60_000);

async function honest(): Promise<CommunityDoc> {
  const doc = new CommunityDoc(new HearthDb(`flood-${Math.random()}`), fixture.cid);
  await doc.open();
  for (const r of fixture.base) expect((await doc.append(r)).ok).toBe(true);
  await doc.settled();
  return doc;
}

/** The ids the receiving quota holds back on `doc`'s device. */
async function heldIds(doc: CommunityDoc): Promise<Set<string>> {
  return new Set((await heldRecordIds(doc.db, fixture.cid)) as string[]);
}

describe('a flood of valid records', () => {
  it('a 20,000-record update is applied in pieces of at most 500 structs, one per macrotask, and all reach the map', async () => {
    const doc = await honest();
    const perTransaction: number[] = [];
    doc.doc.on('afterTransaction', (tr: Y.Transaction) => {
      const keys = tr.changed.get(doc.records as never);
      if (keys) perTransaction.push(keys.size);
    });
    const message = encoding.createEncoder();
    writeUpdate(message, fixture.flood);
    readSyncMessage(decoding.createDecoder(encoding.toUint8Array(message)), encoding.createEncoder(), doc.doc, 'peer');
    // Back from reading the message: only the first piece is in.
    expect(doc.records.size).toBeLessThanOrEqual(fixture.base.length + PIECE_STRUCTS);
    await whenApplied(doc.doc);
    expect(perTransaction.length).toBeGreaterThanOrEqual(FLOOD / PIECE_STRUCTS);
    expect(Math.max(...perTransaction)).toBeLessThanOrEqual(PIECE_STRUCTS);
    expect(fixture.ids.every((id) => doc.records.has(id))).toBe(true);
    // The gate's slices stop at the next boundary once the document is closed.
    doc.close();
  }, 60_000);

  it('pieces applied while the gate is busy wait for one check together, and it takes the newest records first', async () => {
    const doc = await honest();
    const announced: AnyRecord[][] = [];
    doc.onAccepted((records) => void announced.push(records));
    gated.batches = [];
    gated.newest = [];
    const message = encoding.createEncoder();
    writeUpdate(message, fixture.part);
    readSyncMessage(decoding.createDecoder(encoding.toUint8Array(message)), encoding.createEncoder(), doc.doc, 'peer');
    await whenApplied(doc.doc);
    await doc.settled();
    // Announced: what the receiving quota lets through of one member's hour, not the rest (held back).
    const held = await heldIds(doc);
    expect(held.size).toBeGreaterThan(PART / 2);
    expect(new Set(announced.flat().map((r) => r.id))).toEqual(new Set(fixture.ids.slice(0, PART).filter((id) => !held.has(id))));
    // Not one check per piece: the first piece's, then the rest together.
    expect(gated.batches.length).toBeLessThan(PART / PIECE_STRUCTS + 2);
    // The later pieces were gated newest first: each slice older than the one before.
    const later = gated.newest.slice(1);
    expect(later.length).toBeGreaterThan(1);
    for (let i = 1; i < later.length; i++) expect(later[i]).toBeLessThan(later[i - 1]);
    doc.close();
  }, 120_000);

  it('a large batch into a device that shows threads already is stored as it passes and projected once, at its end', async () => {
    const doc = await honest();
    const mine = await writer(fixture.alice, fixture.cid, Date.now())('thread', { title: 'Shown before', body: '' });
    expect((await doc.append(mine)).ok).toBe(true);
    const announced: AnyRecord[][] = [];
    doc.onAccepted((records) => void announced.push(records));
    gated.batches = [];
    const message = encoding.createEncoder();
    writeUpdate(message, fixture.part);
    readSyncMessage(decoding.createDecoder(encoding.toUint8Array(message)), encoding.createEncoder(), doc.doc, 'peer');
    await whenApplied(doc.doc);
    await doc.settled();
    // Gated in slices, across the jobs the pieces came in, and projected and announced once.
    expect(gated.batches.length).toBeGreaterThan(1);
    expect(announced.map((batch) => batch.length)).toEqual([PART - (await heldIds(doc)).size]);
    expect((await recordsById(doc.db, fixture.ids.slice(0, PART))).every((r) => r !== undefined)).toBe(true);
    expect(await doc.db.threads.get(mine.id)).toBeDefined();
    doc.close();
  }, 120_000);

  it('projects a batch at once only when a rebuild pays and its end is seconds away', () => {
    expect(projectsAtOnce(4_257, 387)).toBe(true); // a newcomer's history of the real community
    expect(projectsAtOnce(50, 4_500)).toBe(false); // a live batch: projected record by record
    expect(projectsAtOnce(100_000, 0)).toBe(false); // a 10k history: its newest records first
  });

  it('2,000 keys changed at once are gated in slices of at most 500 and all ingested', async () => {
    const doc = await honest();
    gated.batches = [];
    // Applied directly, as a stored update would be: one transaction, one observer event with every key.
    Y.applyUpdate(doc.doc, fixture.part, 'peer');
    await doc.settled();
    expect(gated.batches.reduce((a, b) => a + b, 0)).toBe(PART);
    expect(gated.batches.length).toBeGreaterThanOrEqual(PART / 500);
    expect(Math.max(...gated.batches)).toBeLessThanOrEqual(500);
    expect((await recordsById(doc.db, fixture.ids.slice(0, PART))).every((r) => r !== undefined)).toBe(true);
    doc.close();
  }, 120_000);

  it.each([
    ['while a long check runs', true],
    ['while a long check waits in the queue', false]
  ])(
    'a member’s own write made %s is stored at its next slice, before the check ends',
    async (_, started) => {
      const doc = await honest();
      gated.batches = [];
      // The check's last slice waits until the write is stored: a write that waited for the check
      // to end would never be. (Counting the flood's stored rows afterwards instead was a race that
      // a fast run lost: the whole flood was stored by then.)
      let release = () => {};
      gated.hold = { batch: Math.ceil(PART / 500), until: new Promise<void>((resolve) => (release = resolve)) };
      // Signed beforehand and appended from inside the gate's first slice (or straight after the
      // update, before any slice), so how long signing takes on a loaded machine decides nothing.
      const mine = await writer(fixture.alice, fixture.cid, Date.now())('thread', { title: 'Still here', body: '' });
      let appended: ReturnType<CommunityDoc['append']> | undefined;
      if (started) gated.onGate = () => void (appended = doc.append(mine));
      Y.applyUpdate(doc.doc, fixture.part, 'peer');
      if (!started) appended = doc.append(mine);
      await vi.waitFor(() => expect(appended).toBeDefined(), { timeout: 30_000 });
      expect((await appended!).ok).toBe(true);
      // Written and projected while the last slice of the 2,000 still waits for the gate.
      expect(await doc.db.threads.get(mine.id)).toBeDefined();
      const floodStored = (await recordsById(doc.db, fixture.ids.slice(0, PART))).filter((r) => r !== undefined).length;
      expect(floodStored).toBeLessThan(PART);
      release();
      gated.hold = null;
      await doc.settled();
      expect((await recordsById(doc.db, fixture.ids.slice(0, PART))).every((r) => r !== undefined)).toBe(true);
      expect(doc.records.has(mine.id)).toBe(true);
      doc.close();
    },
    120_000
  );
});
