// The storage budget: what is evicted (others' media, least recently used first, only as much as
// needed), what never is (the member's own, pinned threads'), and that an evicted attachment is
// fetched again when shown. Real chunks on fake-indexeddb.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { HearthDb } from '../store/db';
import { CHUNK_BYTES } from '../domain/record';
import { blobUsage, CHUNK_COST, evictBlobs, pinnedChunks, planEviction, type ChunkInfo } from './blob-budget';
import { readAttachment, storeAttachment } from './blob-store';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { countingReads } from '../../../tests/unit/counting-reads';
import { applyRecords } from '../store/projection';
import { PAGE_RECORDS } from '../store/record-store';

const c = (hash: string, at: number, kept = false): ChunkInfo => ({ hash, at, kept });

describe('eviction plan', () => {
  it('evicts nothing within the budget, even at exactly the budget', () => {
    expect(planEviction([c('a', 1), c('b', 2)], 2 * 100, 100)).toEqual([]);
  });

  it('one chunk over: evicts the least recently used one only', () => {
    expect(planEviction([c('new', 30), c('old', 10), c('mid', 20)], 2 * 100, 100)).toEqual(['old']);
  });

  it('never evicts kept chunks (own, pinned), even when they alone pass the budget', () => {
    expect(planEviction([c('mine', 1, true), c('pin', 2, true), c('other', 50)], 100, 100)).toEqual(['other']);
    expect(planEviction([c('mine', 1, true), c('pin', 2, true)], 0, 100)).toEqual([]);
  });

  it('breaks ties in time by hash, so two runs evict the same chunks', () => {
    const chunks = [c('b', 5), c('a', 5), c('c', 5)];
    expect(planEviction(chunks, 100, 100)).toEqual(['a', 'b']);
    expect(planEviction([...chunks].reverse(), 100, 100)).toEqual(['a', 'b']);
  });
});

let n = 0;
const bytesOf = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

describe('evicting on a device', () => {
  it('keeps own and pinned media, evicts the least recently read of the rest, and fetches it again when shown', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const c1 = g.id;
    const peer = new HearthDb(`budget-peer-${n++}`);
    const me = new HearthDb(`budget-me-${n++}`);
    const fromPeer = async (hash: string) => (await peer.chunks.get(hash))?.bytes ?? null;
    await me.communities.put({ cid: c1, name: 'C', description: '', emoji: '', color: '#000000', creator: 'x', createdAt: 0, addedAt: 0, lastOpened: 0 });

    const mine = await storeAttachment(me, c1, { kind: 'file', name: 'mine.bin', type: 'application/octet-stream', bytes: bytesOf(CHUNK_BYTES, 1) });
    const [pinned, older, newer] = await Promise.all(
      [2, 3, 4].map((s) => storeAttachment(peer, c1, { kind: 'file', name: `${s}.bin`, type: 'application/octet-stream', bytes: bytesOf(CHUNK_BYTES, s) }))
    );
    // A pinned thread carrying one of the peer's attachments.
    const a = writer(alice, c1);
    const thread = await a('thread', { title: 'Pinned', body: '', attachments: [pinned] });
    await applyRecords(me, c1, [g, thread, await a('pin', { target: thread.id, pinned: true })]);

    for (const m of [pinned, older, newer]) expect((await readAttachment(me, c1, m, fromPeer)).ok).toBe(true);
    // `older` was read first, long ago; `newer` recently.
    await me.chunks.update(older.chunks[0], { at: 1_000 });
    await me.chunks.update(newer.chunks[0], { at: 2_000 });
    await me.chunks.update(pinned.chunks[0], { at: 500 });
    expect(await blobUsage(me)).toEqual({ kept: 2 * CHUNK_COST, other: 2 * CHUNK_COST });

    // Room for three chunks: one of the two others must go, the least recently used.
    expect(await evictBlobs(me, 3 * CHUNK_COST)).toEqual([older.chunks[0]]);
    expect(await me.chunks.get(mine.chunks[0])).toBeDefined();
    expect(await me.chunks.get(pinned.chunks[0])).toBeDefined();
    expect(await me.chunks.get(newer.chunks[0])).toBeDefined();

    // Shown again: not here any more, fetched from the peer, byte for byte.
    expect(await readAttachment(me, c1, older, async () => null)).toEqual({ ok: false, reason: 'media.unavailable' });
    const again = await readAttachment(me, c1, older, fromPeer);
    expect(again.ok && again.bytes).toEqual(bytesOf(CHUNK_BYTES, 3));

    // A budget of nothing leaves exactly what the member wrote and pinned.
    await evictBlobs(me, 0);
    expect(new Set(await me.chunks.toCollection().primaryKeys())).toEqual(new Set([mine.chunks[0], pinned.chunks[0]]));
  });

  it('reading an attachment marks its chunks as used, so it outlives one read earlier', async () => {
    const peer = new HearthDb(`budget-peer-${n++}`);
    const me = new HearthDb(`budget-me-${n++}`);
    const fromPeer = async (hash: string) => (await peer.chunks.get(hash))?.bytes ?? null;
    const [x, y] = await Promise.all(
      [5, 6].map((s) => storeAttachment(peer, 'c1', { kind: 'file', name: `${s}.bin`, type: 'application/octet-stream', bytes: bytesOf(CHUNK_BYTES, s) }))
    );
    for (const m of [x, y]) expect((await readAttachment(me, 'c1', m, fromPeer)).ok).toBe(true);
    await me.chunks.update(x.chunks[0], { at: 1_000 });
    await me.chunks.update(y.chunks[0], { at: 2_000 });
    // X is shown again (from this device): now the most recent.
    expect((await readAttachment(me, 'c1', x, async () => null)).ok).toBe(true);
    expect(await evictBlobs(me, CHUNK_COST)).toEqual([y.chunks[0]]);
  });
});

describe('pinned media', () => {
  it('is found from the pinned threads’ rows, reading the page of their records only, not every stored page', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const a = writer(alice, g.id);
    const b = writer(bob, g.id, 1_700_000_100_000);
    const name = `budget-pins-${n++}`;
    const db = new HearthDb(name);
    await db.communities.put({
      cid: g.id,
      name: 'C',
      description: '',
      emoji: '',
      color: '#000000',
      creator: alice.publicKey,
      createdAt: 0,
      addedAt: 0,
      lastOpened: 0
    });
    const photo = await storeAttachment(db, g.id, { kind: 'file', name: 'map.bin', type: 'application/octet-stream', bytes: bytesOf(CHUNK_BYTES, 7) });
    const pinned = await a('thread', { title: 'Route map', body: 'Keep this', attachments: [photo] });
    const other = await a('thread', { title: 'Chatter', body: 'Many replies' });
    // Several pages of replies: what a catalogue of every stored record would read.
    const replies = [];
    for (let i = 0; i < 3 * PAGE_RECORDS; i++) replies.push(await b('reply', { thread: other.id, parent: other.id, body: `reply ${i}` }));
    await applyRecords(db, g.id, [g, ...(await admit(alice, bob, g.id)), pinned, other, ...replies, await a('pin', { target: pinned.id, pinned: true })]);
    db.close();

    const { db: counted, reads: pagesRead } = countingReads(name, ['recordPages']);
    expect(await pinnedChunks(counted)).toEqual(new Set(photo.chunks));
    expect(pagesRead()).toBeLessThanOrEqual(1);
    counted.close();
  });
});
