// y-webrtc's signaling, as installed (with scripts/patch-deps.js applied by `npm install`).
import { afterEach, expect, test } from 'vitest';
import * as Y from 'yjs';
import { SignalingConn, WebrtcProvider } from 'y-webrtc';
import { wrtc } from '../../../tests/node/webrtc';

let provider: WebrtcProvider | null = null;
afterEach(() => {
  provider?.destroy();
  provider = null;
});

test('an answer from a peer this device holds no connection with is ignored, not thrown', async () => {
  // No signaling server and no password: the room's messages are handled as they come, synchronously.
  provider = new WebrtcProvider(`hearth-answer-${Math.random()}`, new Y.Doc(), { signaling: [], peerOpts: { wrtc } });
  await provider.key; // the room opens once its key (none here) is known
  const room = provider.room!;
  const conn = new SignalingConn('ws://127.0.0.1:9');
  try {
    // The answer to an offer whose connection closed before it came (a page reloaded, ICE failed).
    const answer = { type: 'signal', from: 'gone-peer', to: room.peerId, token: 1, signal: { type: 'answer', sdp: 'v=0\r\n' } };
    expect(() => conn.emit('message', [{ type: 'publish', topic: room.name, data: answer }, conn])).not.toThrow();
  } finally {
    conn.destroy();
  }
});
