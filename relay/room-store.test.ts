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

  it('lists the months of a community whose rooms hold anything, across a restart, and tells each new one once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
    const store = new RoomStore(dir);
    const told: string[] = [];
    store.onMonth = (community, month) => told.push(`${community} ${month}`);
    const doc = new Y.Doc();
    const empty = Y.encodeStateAsUpdate(new Y.Doc());
    store.append('commA.2016-03', record(doc, 'a', 10));
    store.append('commA.2016-03', record(doc, 'b', 10));
    store.append('commA.2009-11', record(doc, 'c', 10));
    store.append('commA.core', record(doc, 'd', 10));
    store.append('commB.2020-01', record(doc, 'e', 10));
    // A client's empty step 2, and the snapshot of a room only looked into: nothing to list.
    expect(store.append('commA.2024-05', empty)).toEqual({ ok: true });
    store.compact('commA.2025-01', empty);
    expect(store.months('commA')).toEqual(['2009-11', '2016-03']);
    expect(told).toEqual(['commA 2016-03', 'commA 2009-11', 'commB 2020-01']);
    // A snapshot with content lists its month too.
    store.compact('commA.2012-07', Y.encodeStateAsUpdate(doc));
    expect(store.months('commA')).toEqual(['2009-11', '2012-07', '2016-03']);
    expect(new RoomStore(dir).months('commA')).toEqual(['2009-11', '2012-07', '2016-03']);
    expect(new RoomStore(dir).months('commB')).toEqual(['2020-01']);
  });
});
