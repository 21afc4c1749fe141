import { describe, expect, it } from 'vitest';
import { FRAME_PAYLOAD, MAGIC, Reassembler, frameMessage, holdSyncStep1, installChunking } from './webrtc-chunking';

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

class StepPeer {
  destroyed = false;
  _channel = { readyState: 'open', bufferedAmount: 0 } as unknown as RTCDataChannel;
  sent: Uint8Array[] = [];
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  _onChannelMessage(_e: { data: unknown }) {}
}
installChunking(StepPeer as never);

describe('holding sync step 1', () => {
  it('sends a peer its step 1 only once the hold for that peer ends, and everything else at once', async () => {
    const held = new StepPeer();
    const other = new StepPeer();
    let release = () => {};
    const until = new Promise<void>((resolve) => (release = resolve));
    const stop = holdSyncStep1((peer) => (peer === held ? until : null));
    const step1 = Uint8Array.of(0, 0, 1, 2);
    const step2 = Uint8Array.of(0, 1, 3);
    const awareness = Uint8Array.of(1, 5);
    for (const p of [held, other]) for (const m of [step1, step2, awareness]) p.send(m);
    expect(other.sent).toEqual([step1, step2, awareness]);
    expect(held.sent).toEqual([step2, awareness]);
    release();
    await until;
    await Promise.resolve();
    expect(held.sent).toEqual([step2, awareness, step1]);
    stop();
    held.send(step1);
    expect(held.sent).toHaveLength(4);
  });

  it('drops a held step 1 whose peer left before the hold ended', async () => {
    const peer = new StepPeer();
    let release = () => {};
    const until = new Promise<void>((resolve) => (release = resolve));
    const stop = holdSyncStep1(() => until);
    peer.send(Uint8Array.of(0, 0, 7));
    peer.destroyed = true;
    release();
    await until;
    await Promise.resolve();
    expect(peer.sent).toEqual([]);
    stop();
  });
});
