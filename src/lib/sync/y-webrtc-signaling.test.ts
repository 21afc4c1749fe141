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

/** A signaling connection that keeps what the room publishes through it instead of sending it. */
function recordingConn(): { conn: SignalingConn; published: Record<string, unknown>[] } {
  const conn = new SignalingConn('ws://127.0.0.1:9');
  const published: Record<string, unknown>[] = [];
  conn.send = (message: { type: string; data?: Record<string, unknown> }) => {
    if (message.type === 'publish' && message.data) published.push(message.data);
  };
  return { conn, published };
}

test('of two peers that hear each other announce, only the one with the smaller id offers: the other asks it to', async () => {
  provider = new WebrtcProvider(`hearth-glare-${Math.random()}`, new Y.Doc(), { signaling: [], peerOpts: { wrtc } });
  await provider.key;
  const room = provider.room!;
  const smaller = '00000000-0000-4000-8000-000000000000';
  const larger = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
  const { conn, published } = recordingConn();
  const hear = (data: Record<string, unknown>) => conn.emit('message', [{ type: 'publish', topic: room.name, data }, conn]);
  try {
    // Back online at the same moment (a device resumed, its peer re-announced as their connection
    // closed): had both offered, simple-peer could not settle the glare.
    hear({ type: 'announce', from: smaller });
    expect(room.webrtcConns.has(smaller)).toBe(false);
    expect(published).toContainEqual({ type: 'announce', from: room.peerId, to: smaller });

    hear({ type: 'announce', from: larger });
    expect(room.webrtcConns.has(larger)).toBe(true);

    // Asked by a larger peer's announce to it alone: this device offers.
    hear({ type: 'announce', from: smaller, to: room.peerId });
    expect(room.webrtcConns.has(smaller)).toBe(true);
    // An announce addressed to another device is not this one's to answer.
    const other = '11111111-1111-4111-8111-111111111111';
    hear({ type: 'announce', from: other, to: larger });
    expect(room.webrtcConns.has(other)).toBe(false);
  } finally {
    conn.destroy();
  }
});
