// A post's attachments for the page: every chunk from this device, or from the mesh's peers when
// this device lacks it, checked against the manifest (media/blob-store.ts keeps that promise).
import type { AttachmentManifest } from '../domain/record';
import { readAttachment, type AttachmentResult } from '../media/blob-store';
import type { HearthDb } from '../store/db';
import { fetchChunk } from '../sync/blob-exchange';

/** The plaintext of one attachment of a post in community `cid`; `onProgress` gets the share done (0..1). */
export function readPostAttachment(db: HearthDb, cid: string, manifest: AttachmentManifest, onProgress: (done: number) => void): Promise<AttachmentResult> {
  return readAttachment(db, cid, manifest, (hash) => fetchChunk(cid, hash), onProgress);
}
