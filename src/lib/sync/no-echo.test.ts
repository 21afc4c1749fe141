import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import { installNoEcho } from './no-echo';
import { wireUpdate } from './wire-message';

/** y-webrtc's Room as the patch sees it: its own handler sends to every connection. */
class FakeRoom {
  bcconnected = false;
  sentByY: Uint8Array[] = [];
  webrtcConns = new Map<string, { peer: { sent: Uint8Array[]; send(data: Uint8Array): void } }>();
  _docUpdateHandler = (update: Uint8Array, _origin?: unknown) => {
    this.sentByY.push(update);
  };
  constructor(names: string[]) {
    for (const name of names) {
      const peer = { sent: [] as Uint8Array[], send: (data: Uint8Array) => void peer.sent.push(data) };
      this.webrtcConns.set(name, { peer });
    }
  }
  connect(): void {}
}

describe('an update from one peer', () => {
  installNoEcho(FakeRoom);

  it('goes to the room’s other peers as a sync update, never back to the peer it came from', () => {
    const room = new FakeRoom(['alice', 'carol']);
    room.connect();
    const alice = room.webrtcConns.get('alice')!.peer;
    const carol = room.webrtcConns.get('carol')!.peer;
    const update = new Uint8Array([1, 2, 3]);
    room._docUpdateHandler(update, { remote: 'peers', peer: alice });
    expect(alice.sent).toHaveLength(0);
    expect(carol.sent).toHaveLength(1);
    const d = decoding.createDecoder(carol.sent[0]);
    expect(decoding.readVarUint(d)).toBe(0); // y-webrtc's sync message
    expect(decoding.readVarUint(d)).toBe(2); // an update
    expect(decoding.readVarUint8Array(d)).toEqual(update);
    expect(room.sentByY).toHaveLength(0);
  });

  it('an update framed by the worker goes out as those very bytes, to every peer but its sender', () => {
    const room = new FakeRoom(['alice', 'bob', 'carol']);
    room.connect();
    const alice = room.webrtcConns.get('alice')!.peer;
    const message = wireUpdate(new Uint8Array([7, 8]));
    room._docUpdateHandler(new Uint8Array([7, 8]), { remote: 'peers', peer: alice, message });
    expect(alice.sent).toHaveLength(0);
    for (const name of ['bob', 'carol']) expect(room.webrtcConns.get(name)!.peer.sent).toEqual([message]);
    expect(room.webrtcConns.get('bob')!.peer.sent[0]).toBe(message);
    // This device's own write (no peer) goes to all of them.
    const own = wireUpdate(new Uint8Array([9]));
    room._docUpdateHandler(new Uint8Array([9]), { message: own });
    expect(alice.sent).toEqual([own]);
    expect(room.sentByY).toHaveLength(0);
  });

  it('is not framed at all when its sender is the only peer in the room', () => {
    const room = new FakeRoom(['alice']);
    room.connect();
    const alice = room.webrtcConns.get('alice')!.peer;
    // An update whose bytes may not be read: framing it would.
    const untouchable = new Proxy(new Uint8Array(3), {
      get(target, key) {
        if (key === 'length' || key === 'byteLength' || key === 'buffer') throw new Error('framed for nobody');
        return Reflect.get(target, key);
      }
    });
    expect(() => room._docUpdateHandler(untouchable, { remote: 'peers', peer: alice })).not.toThrow();
    expect(alice.sent).toHaveLength(0);
  });

  it('an update that comes unframed from elsewhere (another tab’s peer, a plain document) is framed for every peer', () => {
    const room = new FakeRoom(['alice']);
    room.connect();
    room._docUpdateHandler(new Uint8Array([4]), null);
    room._docUpdateHandler(new Uint8Array([5]), { remote: 'peers' });
    expect(room.webrtcConns.get('alice')!.peer.sent).toEqual([wireUpdate(new Uint8Array([4])), wireUpdate(new Uint8Array([5]))]);
  });

  it('a room shared with other tabs over a BroadcastChannel sends as y-webrtc does', () => {
    const room = new FakeRoom(['alice']);
    room.bcconnected = true;
    room.connect();
    room._docUpdateHandler(new Uint8Array([6]), null);
    expect(room.sentByY).toEqual([new Uint8Array([6])]);
  });
});
