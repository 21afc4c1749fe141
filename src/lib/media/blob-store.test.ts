// Attachments on real storage (fake-indexeddb): sealed chunks named by their hash, read back here or
// through a fetcher, and refused when a peer's bytes or the stored bytes are not what the name says.
import 'fake-indexeddb/auto';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { HearthDb } from '../store/db';
import { CHUNK_BYTES, bodySchemas } from '../domain/record';
import { openChunks, sealChunks } from './blob-crypto';
import { readAttachment, storeAttachment } from './blob-store';

let n = 0;
const bytesOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);

describe('attachment chunks', () => {
  it('seal and open a file of several chunks; a tampered or misplaced chunk does not open', async () => {
    const data = bytesOf(CHUNK_BYTES * 2 + 1000);
    const { key, chunks } = await sealChunks(data);
    expect(chunks).toHaveLength(3);
    expect(
      await openChunks(
        key,
        chunks.map((c) => c.bytes),
        data.length
      )
    ).toEqual(data);
    const tampered = chunks.map((c) => c.bytes.slice());
    tampered[1][10] ^= 1;
    expect(await openChunks(key, tampered, data.length)).toBeNull();
    expect(await openChunks(key, [chunks[1].bytes, chunks[0].bytes, chunks[2].bytes], data.length)).toBeNull();
    // The ciphertext does not carry the plaintext.
    expect(Buffer.from(chunks[0].bytes).includes(Buffer.from(data.subarray(0, 64)))).toBe(false);
  });

  it('a second device reads an attachment through a fetcher, keeps its chunks, and refuses bytes that are not what they are named', async () => {
    const a = new HearthDb(`media-${n++}`);
    const b = new HearthDb(`media-${n++}`);
    const data = bytesOf(CHUNK_BYTES + 5);
    const manifest = await storeAttachment(a, 'c1', { kind: 'file', name: 'notes.pdf', type: 'application/pdf', bytes: data });
    expect(v.safeParse(bodySchemas.thread, { title: 't', body: '', attachments: [manifest] }).success).toBe(true);

    const honest = async (hash: string) => (await a.chunks.get(hash))?.bytes ?? null;
    const liar = async (hash: string) => {
      const bytes = await honest(hash);
      return bytes ? bytes.map((x, i) => (i === 0 ? x ^ 1 : x)) : null;
    };
    expect(await readAttachment(b, 'c1', manifest, liar)).toEqual({ ok: false, reason: 'media.unavailable' });
    expect(await b.chunks.count()).toBe(0); // nothing kept from the liar
    const progress: number[] = [];
    const read = await readAttachment(b, 'c1', manifest, honest, (p) => progress.push(p));
    expect(read.ok && read.bytes).toEqual(data);
    expect(progress).toEqual([0.5, 1]);
    expect(await b.chunks.count()).toBe(2);
    // Read again with no peers: from this device.
    expect((await readAttachment(b, 'c1', manifest, async () => null)).ok).toBe(true);
    // Damaged storage: the chunk no longer matches its name, so it is dropped and asked for again.
    const first = await b.chunks.get(manifest.chunks[0]);
    await b.chunks.put({ ...first!, bytes: first!.bytes.map((x) => x ^ 0xff) });
    expect(await readAttachment(b, 'c1', manifest, async () => null)).toEqual({ ok: false, reason: 'media.unavailable' });
    expect((await readAttachment(b, 'c1', manifest, honest)).ok).toBe(true);
  });

  it('the record schema wants chunks covering the size, at most four attachments, and text or an attachment in a reply', async () => {
    const manifest = await storeAttachment(new HearthDb(`media-${n++}`), 'c1', { kind: 'file', name: 'a.txt', type: 'text/plain', bytes: bytesOf(10) });
    const reply = (body: string, attachments?: unknown[]) =>
      v.safeParse(bodySchemas.reply, { thread: 'x'.repeat(43), parent: 'x'.repeat(43), body, ...(attachments ? { attachments } : {}) }).success;
    expect(reply('', [manifest])).toBe(true);
    expect(reply('  ')).toBe(false);
    expect(reply('hi')).toBe(true);
    expect(reply('', [{ ...manifest, size: CHUNK_BYTES + 1 }])).toBe(false);
    expect(reply('', [manifest, manifest, manifest, manifest, manifest])).toBe(false);
    expect(reply('', [{ ...manifest, thumb: 'javascript:alert(1)' }])).toBe(false);
  });
});
