// Attachments on this device: encrypted chunks in IndexedDB (`chunks`), content-addressed, stored once
// whatever posts name them. Writing an attachment seals and stores its chunks and returns its
// manifest for the record; reading one gathers its chunks, here or from peers (`fetchChunk`, see
// sync/blob-exchange), checking each against its name, then opens them with the manifest's key.
import { CHUNK_BYTES, type AttachmentManifest } from '../domain/record';
import type { ChunkRow, HearthDb } from '../store/db';
import { chunkHash, openChunks, sealChunks } from './blob-crypto';
import { scheduleEviction, touchChunks } from './blob-budget';

export type ChunkFetcher = (hash: string) => Promise<Uint8Array | null>;

export interface AttachmentInput {
  kind: 'image' | 'file' | 'audio' | 'video';
  name: string;
  type: string;
  bytes: Uint8Array;
  width?: number;
  height?: number;
  thumb?: string;
  duration?: number;
  peaks?: string;
}

/** Seals an attachment's bytes into chunks, stores them as this member's own, returns the manifest. */
export async function storeAttachment(db: HearthDb, cid: string, input: AttachmentInput, onProgress?: (done: number) => void): Promise<AttachmentManifest> {
  const { key, chunks } = await sealChunks(input.bytes, onProgress);
  const at = Date.now();
  await db.chunks.bulkPut(chunks.map((c) => ({ hash: c.hash, cid, bytes: c.bytes, own: 1 as const, at })));
  return {
    kind: input.kind,
    name: input.name,
    type: input.type,
    size: input.bytes.length,
    ...(input.width ? { width: input.width, height: input.height } : {}),
    ...(input.thumb ? { thumb: input.thumb } : {}),
    ...(input.duration !== undefined ? { duration: input.duration } : {}),
    ...(input.peaks ? { peaks: input.peaks } : {}),
    key,
    chunks: chunks.map((c) => c.hash)
  };
}

/**
 * A chunk held here, if it is still what its name says (storage can be damaged too). `read` is the
 * row when the caller has it already (one 256 KiB read, not two).
 */
export async function localChunk(db: HearthDb, hash: string, read?: ChunkRow): Promise<Uint8Array | null> {
  const row = read ?? (await db.chunks.get(hash));
  if (!row) return null;
  if ((await chunkHash(row.bytes)) !== hash) {
    await db.chunks.delete(hash);
    return null;
  }
  return row.bytes;
}

/** Chunks asked for at once when reading an attachment. */
export const FETCHES_IN_FLIGHT = 4;

export type AttachmentResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'media.unavailable' | 'media.damaged' };

/**
 * The attachment's plaintext: every chunk from this device or, missing ones, from `fetch` (which
 * checks names), kept here once received; `onProgress` gets the fraction of chunks at hand.
 */
export async function readAttachment(
  db: HearthDb,
  cid: string,
  manifest: AttachmentManifest,
  fetch: ChunkFetcher,
  onProgress?: (done: number) => void
): Promise<AttachmentResult> {
  const count = manifest.chunks.length;
  const parts: Uint8Array[] = new Array(count);
  const local: string[] = [];
  let fetched = false;
  let failed = false;
  let next = 0;
  let done = 0;
  // A few chunks in flight at once: one at a time, each waited a whole round trip (request, the
  // peer's storage read, 256 KiB over the channel) before the next was asked for.
  const worker = async () => {
    while (!failed && next < count) {
      const i = next++;
      const hash = manifest.chunks[i];
      let bytes = await localChunk(db, hash);
      if (!bytes) {
        bytes = await fetch(hash);
        // The fetcher checks names too; a chunk is never kept under a name it does not have.
        if (!bytes || (await chunkHash(bytes)) !== hash) {
          failed = true;
          return;
        }
        await db.chunks.put({ hash, cid, bytes, own: 0, at: Date.now() });
        fetched = true;
      } else local.push(hash);
      parts[i] = bytes;
      onProgress?.(++done / count);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCHES_IN_FLIGHT, count) }, worker));
  if (failed) {
    if (fetched) scheduleEviction(db);
    return { ok: false, reason: 'media.unavailable' };
  }
  // Used now: last to be evicted. New chunks may take the device past its budget.
  await touchChunks(db, local);
  if (fetched) scheduleEviction(db);
  const plain = await openChunks(manifest.key, parts, manifest.size);
  return plain ? { ok: true, bytes: plain } : { ok: false, reason: 'media.damaged' };
}

/** Chunks an attachment of `size` bytes needs (what the record schema checks too). */
export function chunkCount(size: number): number {
  return Math.ceil(size / CHUNK_BYTES);
}
