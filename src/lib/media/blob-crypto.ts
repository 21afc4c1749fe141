// An attachment's bytes as chunks: split into CHUNK_BYTES pieces, each sealed with AES-256-GCM
// under a fresh key of the attachment (nonce = the chunk's index, unique under that key) and named
// by the SHA-256 of its ciphertext. Peers and relays store and serve ciphertext they cannot open;
// a chunk is checked against its name before it is kept, so a peer that sends other bytes is caught
// at once; and the GCM tag, bound to the index, catches a chunk moved to another place.
import { CHUNK_BYTES } from '../domain/record';
import { fromBase64Url, sha256, toBase64Url } from '../crypto/encoding';

export interface SealedChunk {
  hash: string;
  bytes: Uint8Array;
}

function nonceOf(index: number): Uint8Array {
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setUint32(8, index);
  return iv;
}

function importKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** The name of a chunk: SHA-256 of its ciphertext, base64url. */
export async function chunkHash(bytes: Uint8Array): Promise<string> {
  return toBase64Url(await sha256(bytes));
}

/** Seals `data` as chunks under a fresh key; `onProgress` gets the fraction done. */
export async function sealChunks(data: Uint8Array, onProgress?: (done: number) => void): Promise<{ key: string; chunks: SealedChunk[] }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await importKey(raw);
  const chunks: SealedChunk[] = [];
  const count = Math.ceil(data.length / CHUNK_BYTES);
  for (let i = 0; i < count; i++) {
    const plain = data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    const bytes = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonceOf(i) as BufferSource }, key, plain as BufferSource));
    chunks.push({ hash: await chunkHash(bytes), bytes });
    onProgress?.((i + 1) / count);
  }
  return { key: toBase64Url(raw), chunks };
}

/** Opens chunks in order; null when the key is malformed or any chunk does not open (tampered, misplaced). */
export async function openChunks(keyText: string, chunks: readonly Uint8Array[], size: number): Promise<Uint8Array | null> {
  const raw = fromBase64Url(keyText);
  if (!raw || raw.length !== 32) return null;
  const key = await importKey(raw);
  const out = new Uint8Array(size);
  let offset = 0;
  try {
    for (const [i, bytes] of chunks.entries()) {
      const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonceOf(i) as BufferSource }, key, bytes as BufferSource));
      if (offset + plain.length > size) return null;
      out.set(plain, offset);
      offset += plain.length;
    }
  } catch {
    return null;
  }
  return offset === size ? out : null;
}
