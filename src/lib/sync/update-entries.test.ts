// What the relay reads of an update before judging it: each struct's map key, written out or
// inherited from its origin.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { readUpdateStructs } from './update-entries';

function writer(clientID: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  return doc;
}

describe('readUpdateStructs', () => {
  it('gives an overwrite its key even when the original comes later in the same update (a higher client is written first)', () => {
    const first = writer(1);
    first.getMap('records').set('record-a', { v: 1 });
    const second = writer(2);
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    second.getMap('records').set('record-a', { v: 2 });
    const both = Y.encodeStateAsUpdate(second);
    const { structs } = readUpdateStructs(both, new Y.Doc());
    // The overwritten value is gone (deleted content); the overwrite is the entry, and it names its key.
    expect(structs.map((s) => [s.client, s.kind, s.key])).toEqual([
      [2, 'entry', 'record-a'],
      [1, 'deleted', 'record-a']
    ]);
  });

  it('follows a chain of overwrites across clients in any order', () => {
    const docs = [writer(1), writer(5), writer(9)];
    for (const [i, doc] of docs.entries()) {
      if (i) Y.applyUpdate(doc, Y.encodeStateAsUpdate(docs[i - 1]));
      doc.getMap('records').set('k', { by: i });
    }
    const { structs } = readUpdateStructs(Y.encodeStateAsUpdate(docs[2]), new Y.Doc());
    expect(structs.map((s) => [s.client, s.kind, s.key])).toEqual([
      [9, 'entry', 'k'],
      [5, 'deleted', 'k'],
      [1, 'deleted', 'k']
    ]);
  });

  it('reads an origin already in the document', () => {
    const first = writer(3);
    first.getMap('records').set('known', { v: 1 });
    const relayDoc = new Y.Doc();
    Y.applyUpdate(relayDoc, Y.encodeStateAsUpdate(first));
    const second = writer(4);
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    second.getMap('records').set('known', { v: 2 });
    const diff = Y.encodeStateAsUpdate(second, Y.encodeStateVector(relayDoc));
    const { structs } = readUpdateStructs(diff, relayDoc);
    expect(structs.filter((s) => s.kind === 'entry').map((s) => s.key)).toEqual(['known']);
  });
});
