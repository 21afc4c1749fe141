// The chunk side channel with simple-peer stand-ins (the real class is patched the same way by
// installChunking): a chunk whose bytes do not match its name is refused and the next peer asked,
// and a peer outside the community's mesh is answered "none".
import 'fake-indexeddb/auto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { HearthDb } from '../store/db';
import { storeAttachment } from '../media/blob-store';
import { ANSWER_TIMEOUT_MS, exchangeCounts, fetchChunk, serveChunks } from './blob-exchange';
import { installChunking, SIDE_MAGIC, Z_MAGIC } from './webrtc-chunking';

/** A peer whose answers the test writes: `answer` gets each message sent to it. */
class FakePeer {
  destroyed = false;
  _channel = { readyState: 'open', bufferedAmount: 0 } as unknown as RTCDataChannel;
  sent: Uint8Array[] = [];
  constructor(readonly answer: (peer: FakePeer, bytes: Uint8Array) => void = () => {}) {}
  send(data: Uint8Array) {
    if (data[0] === Z_MAGIC) return; // the hello a device sends before its first message (webrtc-chunking)
    this.sent.push(data);
    queueMicrotask(() => this.answer(this, data));
  }
  /** A message arriving from this peer (what simple-peer's channel handler gets). */
  receive(bytes: Uint8Array) {
    (this as unknown as { _onChannelMessage(e: { data: ArrayBuffer }): void })._onChannelMessage({ data: bytes.slice().buffer });
  }
  _onChannelMessage(_e: { data: unknown }) {}
}
installChunking(FakePeer as never);

function replyWith(bytes: (hash: string) => Uint8Array | null) {
  return (peer: FakePeer, want: Uint8Array) => {
    if (want[0] !== SIDE_MAGIC || want[1] !== 1) return;
    const found = bytes(new TextDecoder().decode(want.subarray(6)));
    const out = new Uint8Array(6 + (found?.length ?? 0));
    out.set(want.subarray(0, 6));
    out[1] = found ? 2 : 3;
    if (found) out.set(found, 6);
    peer.receive(out);
  };
}

/** `n` small files of community `cid` stored in database `source`: each one chunk, its name and its bytes. */
async function oneChunkFiles(source: string, cid: string, n: number): Promise<{ chunks: Uint8Array[]; names: string[] }> {
  const db = new HearthDb(source);
  const chunks: Uint8Array[] = [];
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const manifest = await storeAttachment(db, cid, { kind: 'file', name: `f${i}`, type: 'text/plain', bytes: new TextEncoder().encode(`${cid} chunk ${i}`) });
    names.push(manifest.chunks[0]);
    chunks.push((await db.chunks.get(manifest.chunks[0]))!.bytes);
  }
  return { chunks, names };
}

describe('chunk exchange', () => {
  it('refuses a chunk that is not what it is named and gets it from the next peer', async () => {
    const db = new HearthDb('exchange-a');
    const source = new HearthDb('exchange-src');
    const manifest = await storeAttachment(source, 'c1', { kind: 'file', name: 'x', type: 'text/plain', bytes: new TextEncoder().encode('hello chunk') });
    const real = (await source.chunks.get(manifest.chunks[0]))!.bytes;
    const liar = new FakePeer(replyWith(() => real.map((b, i) => (i === 3 ? b ^ 1 : b))));
    const honest = new FakePeer(replyWith(() => real));
    let peers: FakePeer[] = [liar];
    const stop = serveChunks('c1', db, () => peers);
    const before = exchangeCounts.tampered;
    expect(await fetchChunk('c1', manifest.chunks[0])).toBeNull();
    expect(exchangeCounts.tampered).toBe(before + 1);
    peers = [liar, honest];
    expect(await fetchChunk('c1', manifest.chunks[0])).toEqual(real);
    stop();
  });

  it('asks a peer that sent bytes not matching their name after the others, so it costs one chunk, not every chunk', async () => {
    const db = new HearthDb('exchange-doubt');
    const { chunks, names } = await oneChunkFiles('exchange-doubt-src', 'c3', 8);
    const byName = (hash: string) => chunks[names.indexOf(hash)] ?? null;
    const liar = new FakePeer(replyWith((hash) => byName(hash)?.map((b, i) => (i === 0 ? b ^ 1 : b)) ?? null));
    const honest = new FakePeer(replyWith(byName));
    let peers: FakePeer[] = [liar];
    const stop = serveChunks('c3', db, () => peers);
    // Alone, the liar is asked and its bytes refused.
    expect(await fetchChunk('c3', names[0])).toBeNull();
    expect(liar.sent).toHaveLength(1);
    // With an honest peer there, the honest one is asked first for every chunk after (in random order otherwise).
    peers = [liar, honest];
    for (let i = 0; i < names.length; i++) expect(await fetchChunk('c3', names[i])).toEqual(chunks[i]);
    expect(liar.sent).toHaveLength(1);
    expect(honest.sent).toHaveLength(names.length);
    stop();
  });

  it('asks a peer that did not answer in time after the others, so a silent peer costs one timeout, not one per chunk', async () => {
    const db = new HearthDb('exchange-silent');
    const { chunks, names } = await oneChunkFiles('exchange-silent-src', 'c4', 5);
    const silent = new FakePeer(); // takes the ask, never answers (its answers lost on the way)
    const honest = new FakePeer(replyWith((hash) => chunks[names.indexOf(hash)] ?? null));
    let peers: FakePeer[] = [silent];
    const stop = serveChunks('c4', db, () => peers);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // Also when the test times out (a fetch that never ends), so later tests get real timers.
    onTestFinished(() => {
      vi.useRealTimers();
    });
    try {
      const first = fetchChunk('c4', names[0]);
      await vi.advanceTimersByTimeAsync(ANSWER_TIMEOUT_MS);
      expect(await first).toBeNull();
      expect(silent.sent).toHaveLength(1);
      // No clock moves from here: a fetch that asked the silent peer first would never end.
      peers = [silent, honest];
      for (let i = 0; i < names.length; i++) expect(await fetchChunk('c4', names[i])).toEqual(chunks[i]);
      expect(silent.sent).toHaveLength(1);
    } finally {
      vi.useRealTimers();
      stop();
    }
  });

  it('serves its chunks to peers of the mesh only', async () => {
    const db = new HearthDb('exchange-b');
    const manifest = await storeAttachment(db, 'c2', { kind: 'file', name: 'x', type: 'text/plain', bytes: new TextEncoder().encode('for members') });
    const member = new FakePeer();
    const stranger = new FakePeer();
    const stop = serveChunks('c2', db, () => [member]);
    const want = (peer: FakePeer) => {
      const hash = new TextEncoder().encode(manifest.chunks[0]);
      const msg = new Uint8Array(6 + hash.length);
      msg[0] = SIDE_MAGIC;
      msg[1] = 1;
      msg.set(hash, 6);
      peer.receive(msg);
    };
    want(member);
    want(stranger);
    await new Promise((r) => setTimeout(r, 50));
    expect(member.sent.map((m) => m[1])).toEqual([2]);
    expect(member.sent[0].subarray(6)).toEqual((await db.chunks.get(manifest.chunks[0]))!.bytes);
    expect(stranger.sent.map((m) => m[1])).toEqual([3]);
    stop();
  });
});
