import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import { installNoEcho } from './no-echo';
import { FROM_PEERS } from './remote-doc';

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

  it('any other update (this device’s, another tab’s peer’s) is sent as y-webrtc sends it', () => {
    const room = new FakeRoom(['alice']);
    room.connect();
    room._docUpdateHandler(new Uint8Array([4]), null);
    room._docUpdateHandler(new Uint8Array([5]), FROM_PEERS);
    expect(room.sentByY).toEqual([new Uint8Array([4]), new Uint8Array([5])]);
  });
});
