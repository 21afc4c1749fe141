// Attachment chunks through a community's relay (relay/chunk-store.ts), over HTTP on the relay's
// address: a member's device uploads the chunks of its own attachments, and any device fetches a
// chunk by name when no peer has it. What comes back is checked against its name like a peer's
// answer: the relay is trusted with nothing but keeping ciphertext.
import type { Identity } from '../crypto/identity';
import { signChunkChallenge } from '../crypto/relay-proof';
import { chunkHash } from '../media/blob-crypto';

export interface RelayTarget {
  /** The community's relay addresses (ws:// or wss://), first first. */
  addresses: string[];
  /** The relay room (relayRoomName). */
  room: string;
}

/** The HTTP address beside a relay's WebSocket address (ws → http, wss → https). */
export function relayHttpBase(address: string): string | null {
  try {
    const url = new URL(address);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

function bases(target: RelayTarget): string[] {
  return target.addresses.map(relayHttpBase).filter((b): b is string => !!b);
}

export interface RelayChunkCounts {
  /** Chunks the relay sent whose bytes did not match their name (refused). */
  tampered: number;
  fetched: number;
  uploaded: number;
}

export const relayChunkCounts: RelayChunkCounts = { tampered: 0, fetched: 0, uploaded: 0 };

/** A chunk from the first relay that has it and sends the bytes its name says; null otherwise. */
export async function fetchRelayChunk(target: RelayTarget, hash: string, fetcher: typeof fetch = fetch): Promise<Uint8Array | null> {
  for (const base of bases(target)) {
    try {
      const response = await fetcher(`${base}/hearth-chunks/${target.room}/${hash}`);
      if (!response.ok) continue;
      const bytes = new Uint8Array(await response.arrayBuffer());
      if ((await chunkHash(bytes)) === hash) {
        relayChunkCounts.fetched++;
        return bytes;
      }
      relayChunkCounts.tampered++;
    } catch {
      // unreachable: the next address
    }
  }
  return null;
}

export type UploadResult = { ok: true; uploaded: number; had: number } | { ok: false; reason: string; uploaded: number };

/**
 * Hands the relay the chunks it lacks of `hashes` (this member's own), read with `read`. Stops at the
 * first refusal (not a member, over budget, full disk) or when no relay answers.
 */
export async function uploadRelayChunks(
  target: RelayTarget,
  identity: Identity,
  hashes: readonly string[],
  read: (hash: string) => Promise<Uint8Array | null>,
  fetcher: typeof fetch = fetch
): Promise<UploadResult> {
  let uploaded = 0;
  let reason = 'relay.unreachable';
  for (const base of bases(target)) {
    try {
      const missing: string[] = [];
      for (let i = 0; i < hashes.length; i += 1000) {
        const asked = await fetcher(`${base}/hearth-chunks/${target.room}/missing`, { method: 'POST', body: JSON.stringify(hashes.slice(i, i + 1000)) });
        if (!asked.ok) throw new Error(`missing: ${asked.status}`);
        missing.push(...((await asked.json()) as string[]));
      }
      if (!missing.length) return { ok: true, uploaded, had: hashes.length };
      const challenge = await fetcher(`${base}/hearth-chunks/challenge`);
      const { nonce } = (await challenge.json()) as { nonce: string };
      const proof = await signChunkChallenge(identity, target.room, nonce);
      for (const hash of missing) {
        const bytes = await read(hash);
        if (!bytes) continue;
        const put = await fetcher(`${base}/hearth-chunks/${target.room}/${hash}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/octet-stream', 'X-Hearth-Key': proof.key, 'X-Hearth-Nonce': proof.nonce, 'X-Hearth-Sig': proof.sig },
          body: bytes as BufferSource
        });
        if (!put.ok) {
          const body = (await put.json().catch(() => ({}))) as { refused?: string };
          return { ok: false, reason: body.refused ?? `http.${put.status}`, uploaded };
        }
        uploaded++;
        relayChunkCounts.uploaded++;
      }
      return { ok: true, uploaded, had: hashes.length - missing.length };
    } catch (error) {
      reason = `relay.unreachable: ${error}`;
    }
  }
  return { ok: false, reason, uploaded };
}
