import { describe, expect, it, vi } from 'vitest';
import { linkedPair, type LinkedPeer } from './linked-peers';
import { malformedMessages } from './message-faults';
// The real macrotask yield, counted.
const yields = vi.hoisted(() => ({ count: 0 }));
vi.mock('./gated-sync-protocol', async (original) => {
  const real = await original<typeof import('./gated-sync-protocol')>();
  return {
    ...real,
    nextTask: () => {
      yields.count++;
      return real.nextTask();
    }
  };
});

import {
  DEFLATE_MIN,
  PIECE,
  FRAME_PAYLOAD,
  MAGIC,
  Reassembler,
  Z_MAGIC,
  deflateMessage,
  frameMessage,
  holdSyncStep1,
  inflateMessage,
  installChunking
} from './webrtc-chunking';

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
  all: Uint8Array[] = [];
  send(data: Uint8Array) {
    this.all.push(data);
  }
  /** What was sent but the hello that says this device reads deflated messages (sent first, once). */
  get sent(): Uint8Array[] {
    return this.all.filter((m) => m[0] !== Z_MAGIC);
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

const settle = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `peer` has read `count` messages: deflating 3 MB takes its time on a loaded machine, and a fixed wait failed there. */
const arrived = (peer: LinkedPeer, count: number) =>
  vi.waitFor(() => expect(peer.read.length).toBeGreaterThanOrEqual(count), { timeout: 30_000, interval: 10 });
const wireBytes = (p: LinkedPeer) => p.wire.reduce((n, m) => n + m.length, 0);
/** A sync step 2 the size of a history: records as JSON, as compressible as the real ones. */
function history(bytes: number): Uint8Array {
  const text = Array.from(
    { length: Math.ceil(bytes / 60) },
    (_, i) => `{"id":"r${i}","kind":"reply","body":{"text":"ride ${i % 97} km on the river path"},"sig":"${(i * 2654435761).toString(36)}"}`
  ).join('');
  const out = new TextEncoder().encode(text).subarray(0, bytes);
  out[0] = 0; // y-webrtc: message type sync
  out[1] = 1; // step 2
  return out;
}

describe('deflating large messages', () => {
  it('sends a history deflated to a device that reads deflated messages, whole and ahead of what was sent after it', async () => {
    const [a, b] = linkedPair();
    b.send(Uint8Array.of(1, 0)); // b's first message carries its hello
    await arrived(a, 1);
    const step2 = history(3_000_000);
    const awareness = Uint8Array.of(1, 9, 9);
    a.send(step2);
    a.send(awareness);
    await arrived(b, 2);
    expect(b.read.map((m) => m.length)).toEqual([step2.length, awareness.length]);
    expect(Buffer.compare(b.read[0], step2)).toBe(0);
    expect(b.read[1]).toEqual(awareness);
    // On the wire: a's hello, then under half of the history's bytes.
    expect(wireBytes(a)).toBeLessThan(step2.length / 2);
  });

  it('says it reads deflated messages with its first message that goes out, not with one lost before its channel opened', async () => {
    const [a, b] = linkedPair();
    b._channel = { readyState: 'connecting', bufferedAmount: 0 } as unknown as RTCDataChannel;
    // y-webrtc broadcasts awareness to every connection, open or not, and catches what throws.
    expect(() => b.send(Uint8Array.of(1, 0))).toThrow();
    b._channel = { readyState: 'open', bufferedAmount: 0 } as unknown as RTCDataChannel;
    b.send(Uint8Array.of(0, 0, 1)); // its sync step 1, sent as the connection opens
    await arrived(a, 1);
    const step2 = history(3_000_000);
    a.send(step2);
    await arrived(b, 1);
    expect(Buffer.compare(b.read[0], step2)).toBe(0);
    expect(wireBytes(a)).toBeLessThan(step2.length / 2);
  });

  it('sends a device that never said it reads deflated messages everything as it is', async () => {
    const [a, b] = linkedPair();
    const step2 = history(DEFLATE_MIN * 3);
    a.send(step2);
    await arrived(b, 1);
    await settle(100);
    expect(b.read).toHaveLength(1);
    expect(Buffer.compare(b.read[0], step2)).toBe(0);
    expect(wireBytes(a)).toBeGreaterThan(step2.length);
  });

  it('counts a corrupt deflated message as malformed and reads what comes after it', async () => {
    const [a, b] = linkedPair();
    const before = malformedMessages();
    a.send(Uint8Array.of(Z_MAGIC, 1, 0xff, 0xff, 0xff, 0x07, 1, 2, 3)); // not a deflate stream
    a.send(Uint8Array.of(1, 4));
    await arrived(b, 1);
    expect(malformedMessages()).toBe(before + 1);
    expect(b.read).toEqual([Uint8Array.of(1, 4)]);
  });

  it('gives up a deflated message that inflates past the message limit', async () => {
    const bomb = await deflateMessage(new Uint8Array(65 * 1024 * 1024));
    expect(bomb!.length).toBeLessThan(100 * 1024);
    expect(await inflateMessage(bomb!)).toBeNull();
    const fine = await deflateMessage(history(DEFLATE_MIN));
    expect((await inflateMessage(fine!))?.length).toBe(DEFLATE_MIN);
  });

  it('gives up the thread for every 512 KiB it inflates, however small the deflated message', async () => {
    const data = history(3 * 1024 * 1024);
    const deflated = await deflateMessage(data);
    expect(deflated!.length).toBeLessThan(PIECE); // one piece of input: yielding on input alone, it yielded never
    yields.count = 0;
    const inflated = await inflateMessage(deflated!);
    expect(inflated && Buffer.compare(inflated, data)).toBe(0);
    expect(yields.count).toBeGreaterThanOrEqual(data.length / PIECE - 1);
  });
});
