import { describe, expect, it } from 'vitest';
import { FRAME_PAYLOAD, MAGIC, Reassembler, frameMessage } from './webrtc-chunking';

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
