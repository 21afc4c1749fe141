// The relay's disk: the log keeps every write; the snapshot is rewritten only when the log is worth folding in.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RoomStore } from './room-store';

const ROOM = 'room_1';

function record(doc: Y.Doc, key: string, bytes: number): Uint8Array {
  const before = Y.encodeStateVector(doc);
  doc.getMap('records').set(key, { body: 'x'.repeat(bytes) });
  return Y.encodeStateAsUpdate(doc, before);
}

function loaded(store: RoomStore): Y.Doc {
  const doc = new Y.Doc();
  for (const u of store.load(ROOM)) Y.applyUpdate(doc, u);
  return doc;
}

describe('RoomStore', () => {
  it('asks for a snapshot only once the log passes its floor and a share of the snapshot, and loads every logged write meanwhile', () => {
    const store = new RoomStore(mkdtempSync(join(tmpdir(), 'hearth-store-')), 0, { minLogBytes: 10_000, logShare: 0.5 });
    const doc = new Y.Doc();
    // Under the floor, no snapshot yet: not due.
    store.append(ROOM, record(doc, 'a', 4_000));
    store.append(ROOM, record(doc, 'b', 4_000));
    expect(store.compactDue(ROOM)).toBe(false);
    store.append(ROOM, record(doc, 'c', 4_000));
    expect(store.compactDue(ROOM)).toBe(true);
    expect(loaded(store).getMap('records').toJSON()).toEqual(doc.getMap('records').toJSON());

    // A 40 kB snapshot: past the floor is not enough, half of the snapshot is.
    for (const k of ['d', 'e', 'f', 'g', 'h', 'i', 'j']) record(doc, k, 4_000);
    store.compact(ROOM, Y.encodeStateAsUpdate(doc));
    expect(store.compactDue(ROOM)).toBe(false);
    for (const k of ['k', 'l', 'm', 'n']) store.append(ROOM, record(doc, k, 4_000));
    expect(store.compactDue(ROOM)).toBe(false);
    expect(loaded(store).getMap('records').toJSON()).toEqual(doc.getMap('records').toJSON());
    for (const k of ['o', 'p']) store.append(ROOM, record(doc, k, 4_000));
    expect(store.compactDue(ROOM)).toBe(true);
    expect(loaded(store).getMap('records').toJSON()).toEqual(doc.getMap('records').toJSON());
  });
});
