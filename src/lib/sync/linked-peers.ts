// Test helper: two simple-peer stand-ins whose channels are joined back to back, patched by
// installChunking as the real class is. What one sends arrives at the other's channel handler in a
// later task, in order, as a data channel delivers it.
import { installChunking } from './webrtc-chunking';

export class LinkedPeer {
  destroyed = false;
  other: LinkedPeer | null = null;
  _channel = { readyState: 'open', bufferedAmount: 0 } as unknown as RTCDataChannel;
  /** Every message put on the wire (frames, the hello and all). */
  wire: Uint8Array[] = [];
  /** The messages y-webrtc was handed on this side (side messages go to their handlers instead). */
  read: Uint8Array[] = [];
  send(data: Uint8Array) {
    // As simple-peer's send on a channel that is not open (RTCDataChannel throws InvalidStateError).
    if (this._channel.readyState !== 'open') throw new Error('channel not open');
    this.wire.push(data);
    const copy = data.slice().buffer;
    setTimeout(() => this.other?._onChannelMessage({ data: copy }), 0);
  }
  _onChannelMessage(e: { data: unknown }) {
    this.read.push(new Uint8Array(e.data as ArrayBuffer));
  }
  /** The largest message put on the wire. */
  get largest(): number {
    return Math.max(0, ...this.wire.map((m) => m.length));
  }
}
installChunking(LinkedPeer as never);

/** Two ends of one channel. */
export function linkedPair(): [LinkedPeer, LinkedPeer] {
  const a = new LinkedPeer();
  const b = new LinkedPeer();
  a.other = b;
  b.other = a;
  return [a, b];
}
