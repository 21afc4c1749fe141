import { describe, expect, it } from 'vitest';
import { FRAME_PAYLOAD, MAGIC, Reassembler, frameMessage, installChunking, sendSide, SIDE_MAGIC, type PeerLike } from './webrtc-chunking';

describe('WebRTC message framing', () => {
  it('splits a 3 MB message into frames under the channel limit and reassembles it in any order', () => {
    const data = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 31) & 0xff);
    const frames = frameMessage(data, 7);
    expect(frames.length).toBe(Math.ceil(3_000_000 / FRAME_PAYLOAD));
    expect(Math.max(...frames.map((f) => f.length))).toBeLessThan(256 * 1024);
    const r = new Reassembler();
    const shuffled = [...frames].reverse();
    let out: Uint8Array | null | undefined;
    for (const f of shuffled) out = r.push(f);
    expect(out instanceof Uint8Array && Buffer.compare(out, data)).toBe(0);
  });

  it('passes plain y-webrtc messages through and drops duplicate, inconsistent or junk frames', () => {
    const r = new Reassembler();
    expect(r.push(Uint8Array.from([0, 1, 2, 3]))).toBeNull();
    expect(r.push(Uint8Array.from([MAGIC, 1]))).toBeNull(); // too short to be a frame
    const frames = frameMessage(new Uint8Array(FRAME_PAYLOAD * 2 + 5).fill(9), 1);
    expect(r.push(frames[0])).toBeUndefined();
    expect(r.push(frames[0])).toBeUndefined(); // duplicate ignored
    const lying = frames[1].slice();
    lying[8] = 9; // claims another count
    expect(r.push(lying)).toBeUndefined();
    expect(r.push(frames[1])).toBeUndefined();
    expect(r.push(frames[2])?.length).toBe(FRAME_PAYLOAD * 2 + 5);
  });
});

/** simple-peer's surface as the patch sees it, over a channel whose buffer fills as frames are sent. */
class FakePeer implements PeerLike {
  destroyed = false;
  sent: Uint8Array[] = [];
  #low: (() => void) | null = null;
  _channel = {
    readyState: 'open',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    addEventListener: (_type: string, listener: () => void) => {
      this.#low = listener;
    }
  } as unknown as RTCDataChannel;
  send(data: Uint8Array | ArrayBuffer | string): void {
    const bytes = data as Uint8Array;
    this.sent.push(bytes);
    (this._channel as { bufferedAmount: number }).bufferedAmount += bytes.length;
  }
  _onChannelMessage(): void {}
  /** The channel's buffer empties: the queue goes on. */
  drain(): void {
    (this._channel as { bufferedAmount: number }).bufferedAmount = 0;
    const low = this.#low;
    this.#low = null;
    low?.();
  }
}

describe('a side message sent ahead', () => {
  it('goes out before the frames of a large message already queued, and both arrive whole', () => {
    installChunking(FakePeer);
    const peer = new FakePeer();
    const history = Uint8Array.from({ length: 10_000_000 }, (_, i) => i & 0xff);
    peer.send(history); // patched: framed, paced by the buffer
    const before = peer.sent.length;
    expect(before).toBeLessThan(frameMessage(history, 0).length); // the rest waits for the buffer
    const page = new Uint8Array(200_000).fill(7);
    page[0] = SIDE_MAGIC;
    expect(sendSide(peer, page, { ahead: true })).toBe(true);
    expect(peer.sent.length).toBe(before); // still waiting for the buffer, in front now
    for (let i = 0; i < 10; i++) peer.drain();
    const r = new Reassembler();
    const whole: Uint8Array[] = [];
    peer.sent.forEach((frame) => {
      const out = r.push(frame);
      if (out) whole.push(out);
    });
    expect(whole.map((m) => m.length)).toEqual([page.length, history.length]);
    expect(Buffer.compare(whole[0], page)).toBe(0);
    expect(Buffer.compare(whole[1], history)).toBe(0);
    // The page's frames came right after what the buffer had taken before it was sent.
    const pageFrames = Math.ceil(page.length / FRAME_PAYLOAD);
    const firstOfPage = peer.sent.findIndex(
      (f) => new DataView(f.buffer, f.byteOffset).getUint32(1) !== new DataView(peer.sent[0].buffer, peer.sent[0].byteOffset).getUint32(1)
    );
    expect(firstOfPage).toBe(before);
    expect(peer.sent.slice(before, before + pageFrames).every((f) => f[0] === MAGIC)).toBe(true);
  });
});
