import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { isOwnUpdate, updateOfWire, wireSync, wireUpdate } from './wire-message';
import { readSyncMessage } from './gated-sync-protocol';
import * as encoding from 'lib0/encoding';

describe('messages framed in the worker for a page’s peers', () => {
  it('an update framed for peers is what y-webrtc sends, and gives back the update as a view of its bytes', () => {
    const doc = new Y.Doc();
    let update: Uint8Array | null = null;
    doc.on('update', (u: Uint8Array) => (update = u));
    doc.getMap('records').set('r1', { kind: 'thread', body: 'x'.repeat(300) });
    const message = wireUpdate(update!);
    const inner = updateOfWire(message);
    expect(inner).toEqual(update);
    expect(inner.buffer).toBe(message.buffer);
    // A peer reads it as y-webrtc's sync message and gets the record.
    const d = decoding.createDecoder(message);
    expect(decoding.readVarUint(d)).toBe(0);
    const peer = new Y.Doc();
    readSyncMessage(d, encoding.createEncoder(), peer, 'test');
    expect(peer.getMap('records').get('r1')).toEqual({ kind: 'thread', body: 'x'.repeat(300) });
  });

  it('a sync answer is framed with y-webrtc’s sync type in front and nothing else changed', () => {
    expect(wireSync(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([0, 1, 2, 3]));
  });

  it('tells this device’s own writes from peers’ updates', () => {
    const message = new Uint8Array(1);
    expect(isOwnUpdate(null)).toBe(true);
    expect(isOwnUpdate({ message })).toBe(true);
    expect(isOwnUpdate({ remote: 'peers', message })).toBe(false);
    expect(isOwnUpdate({ remote: 'peers', peer: {}, message })).toBe(false);
    expect(isOwnUpdate({})).toBe(false); // an origin of some other kind (a plain document's provider)
  });
});
