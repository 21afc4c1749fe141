// A stored skeleton is the document without its values: filled back from the records, it is the
// same document (ids, origins, keys, delete set), and a missing record leaves a gap peers fill.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { exactlyEqual } from './gate';
import { fillApplied, fillSkeleton, readSkeleton, toSkeleton } from './update-skeleton';

const record = (id: string, n = 0) => ({
  id,
  kind: 'thread',
  cid: 'c',
  author: 'a',
  ts: 1_700_000_000_000 + n,
  body: { title: `t ${id}`, body: 'x'.repeat(200) },
  sig: 's'
});

/** Two clients writing, overwriting and deleting keys, as peers do. */
function history() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  // Client ids fixed so that the overwriting client's section comes first in encoded updates.
  a.clientID = 1;
  b.clientID = 2;
  const values = new Map<string, unknown>();
  const set = (doc: Y.Doc, key: string, value: unknown) => {
    doc.getMap('records').set(key, value);
    values.set(key, value);
  };
  for (let i = 0; i < 5; i++) set(a, `k${i}`, record(`k${i}`, i));
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  // b (written first, higher client id) overwrites a's key: its origin is in a's later section.
  set(b, 'k1', record('k1', 1));
  set(b, 'junk', 42);
  b.getMap('records').delete('k4');
  values.delete('k4');
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
  return { doc: a, values };
}

const everyEntry = () => 'backed' as const;

function snapshotOf(doc: Y.Doc): Uint8Array {
  return Y.encodeSnapshot(Y.snapshot(doc));
}

describe('update skeletons', () => {
  it('stores no value it was told is backed, and filled back it is the same document', () => {
    const { doc, values } = history();
    const full = Y.encodeStateAsUpdate(doc);
    const backed = (client: number, clock: number) => {
      const item = doc.store.clients.get(client)?.find((s) => s.id.clock === clock);
      return item instanceof Y.Item && typeof item.parentSub === 'string' && item.parentSub !== 'junk' ? 'backed' : null;
    };
    const skeleton = toSkeleton(full, backed);
    expect(skeleton.values).toBe(1); // the junk number stays a value
    expect(skeleton.update.length).toBeLessThan(full.length / 5);
    expect(new TextDecoder().decode(skeleton.update)).not.toContain('xxxxx');

    const read = readSkeleton(skeleton.update, new Y.Doc());
    // Overwritten and deleted items hold no value any more; k1's live item is client 2's, written
    // before the client 1 item it inherits its key from.
    expect(read.placeholders.map((s) => s.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(read.placeholders.find((s) => s.key === 'k1')?.client).toBe(2);
    const filled = fillSkeleton(read, (key) => values.get(key));
    expect(filled.missing).toBe(0);
    const reopened = new Y.Doc();
    Y.applyUpdate(reopened, filled.update);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(doc));
    const map = reopened.getMap('records');
    expect([...map.keys()].sort()).toEqual(['junk', 'k0', 'k1', 'k2', 'k3']);
    for (const [key, value] of values) expect(exactlyEqual(map.get(key), value)).toBe(true);
  });

  it('applied whole and filled in place, it is the same document, and encodes back to the full update', () => {
    const { doc, values } = history();
    const full = Y.encodeStateAsUpdate(doc);
    const skeleton = toSkeleton(full, everyEntry);
    const reopened = new Y.Doc();
    const read = readSkeleton(skeleton.update, reopened);
    expect(read.whole).toBe(true);
    Y.applyUpdate(reopened, skeleton.update);
    const filled = fillApplied(reopened, read.placeholders, (key) => (key === 'junk' ? 42 : values.get(key)));
    expect(filled).toHaveLength(read.placeholders.length);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(doc));
    const map = reopened.getMap('records');
    for (const [key, value] of values) expect(exactlyEqual(map.get(key), value)).toBe(true);
    expect(Y.encodeStateAsUpdate(reopened)).toEqual(full);
    // A later change integrates as it would in the original document.
    map.set('k0', record('k0', 9));
    expect(exactlyEqual(map.get('k0'), record('k0', 9))).toBe(true);
  });

  it('is not whole when it starts past what the document holds of a client, or names an origin nobody has', () => {
    const { doc } = history();
    const before = Y.encodeStateVector(doc);
    doc.getMap('records').set('k2', record('k2', 2));
    const later = toSkeleton(Y.encodeStateAsUpdate(doc, before), everyEntry).update;
    expect(readSkeleton(later, new Y.Doc()).whole).toBe(false);
  });

  it('reads the keys of an incremental skeleton from the document its earlier rows built', () => {
    const { doc, values } = history();
    const before = Y.encodeStateVector(doc);
    const base = toSkeleton(Y.encodeStateAsUpdate(doc), everyEntry).update;
    doc.getMap('records').set('k2', record('k2', 2));
    const later = toSkeleton(Y.encodeStateAsUpdate(doc, before), everyEntry);
    expect(later.placed).toBe(1);

    const reopened = new Y.Doc();
    const read = readSkeleton(base, reopened);
    Y.applyUpdate(reopened, fillSkeleton(read, (key) => (key === 'junk' ? 42 : values.get(key))).update);
    // The overwrite's key is inherited from an item only the first row holds.
    const next = readSkeleton(later.update, reopened);
    expect(next.placeholders.map((s) => s.key)).toEqual(['k2']);
    Y.applyUpdate(reopened, fillSkeleton(next, (key) => values.get(key)).update);
    expect(snapshotOf(reopened)).toEqual(snapshotOf(doc));
  });

  it('leaves a gap where a record is missing: the state vector stops there and a peer fills it', () => {
    const { doc, values } = history();
    const read = readSkeleton(toSkeleton(Y.encodeStateAsUpdate(doc), everyEntry).update, new Y.Doc());
    const filled = fillSkeleton(read, (key) => (key === 'k2' ? undefined : key === 'junk' ? 42 : values.get(key)));
    expect(filled.missing).toBe(1);
    const reopened = new Y.Doc();
    Y.applyUpdate(reopened, filled.update);
    const map = reopened.getMap('records');
    expect(map.has('k2')).toBe(false);
    // Client 1 wrote k0…k4 at clocks 0…4: the state vector claims only what precedes the gap.
    expect(Y.decodeStateVector(Y.encodeStateVector(reopened)).get(1)).toBe(2);
    // A peer's sync sends what the state vector lacks, and the document is whole again.
    Y.applyUpdate(reopened, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(reopened)));
    expect(snapshotOf(reopened)).toEqual(snapshotOf(doc));
    expect(exactlyEqual(map.get('k2'), values.get('k2'))).toBe(true);
  });

  it('refuses bytes that are not an update', () => {
    expect(() => readSkeleton(Uint8Array.of(5, 200, 1), new Y.Doc())).toThrow();
  });
});
