// Attachment chunks between the peers of a community's mesh, beside the document: a side message
// asks one peer for a chunk by name, the peer answers with the bytes or "none". The asker checks the
// bytes against the name (SHA-256) and asks the next peer when they differ or nobody answers; a
// peer that failed so is asked after the others for a while (`DOUBT_MS`).
// Only peers of the mesh are served (they hold the community key); the lobby is never asked or
// answered. Chunks are ciphertext under their attachment's key, which only readers of the post hold.
//   [SIDE_MAGIC, op, request id u32, …]   op 1 want: + the chunk name (43 ASCII bytes)
//                                          op 2 have: + the bytes   op 3 none
import type { Identity } from '../crypto/identity';
import type { HearthDb } from '../store/db';
import { chunkHash } from '../media/blob-crypto';
import { localChunk } from '../media/blob-store';
import { fetchRelayChunk, uploadRelayChunks, type RelayTarget, type UploadResult } from './relay-chunks';
import { onSideMessage, sendSide, sideMessage, sideRequestId } from './webrtc-chunking';

const WANT = 1;
const HAVE = 2;
const NONE = 3;
const HASH_BYTES = 43;
/** How long one peer has to answer before the next is asked. */
export const ANSWER_TIMEOUT_MS = 15_000;
/** How long a fetch waits for a first mesh peer (a page just opened is still connecting). */
export const PEER_WAIT_MS = 10_000;
/**
 * How long a peer that failed this device (no answer in time, or bytes not matching their name) is
 * asked after the others. Without it a 5-chunk download from a mesh with one such peer asked it first
 * for about half the chunks, 15 s each (its framed answers did not arrive whole), 60–90 s in all.
 */
export const DOUBT_MS = 5 * 60_000;

interface Served {
  db: HearthDb;
  peers: () => Iterable<object>;
  /** The community's relay and who uploads to it (null: no relay, or not known yet). */
  relay?: () => { target: RelayTarget; identity: Identity | null } | null;
  /** Own chunks the relay is known to hold (asked once per session). */
  onRelay?: Set<string>;
  uploading?: Promise<UploadResult | null> | null;
  again?: boolean;
}

export interface ExchangeCounts {
  /** Chunks a peer sent whose bytes did not match their name (refused, asked elsewhere). */
  tampered: number;
  served: number;
}

const served = new Map<string, Served>();
/** Peer -> until when it is asked last. */
const doubted = new WeakMap<object, number>();
const waiting = new Map<number, (reply: { op: number; bytes: Uint8Array }) => void>();
export const exchangeCounts: ExchangeCounts = { tampered: 0, served: 0 };
let nextId = (Math.random() * 2 ** 31) >>> 0;
let listening: (() => void) | null = null;

async function answer(peer: object, id: number, hash: string): Promise<void> {
  // Only communities whose mesh this peer is in; a chunk of another community is "none".
  for (const [cid, s] of served) {
    if (![...s.peers()].includes(peer)) continue;
    const row = await s.db.chunks.get(hash);
    if (!row || row.cid !== cid) continue;
    const bytes = await localChunk(s.db, hash, row);
    if (!bytes) continue;
    exchangeCounts.served++;
    sendSide(peer, sideMessage(HAVE, id, bytes));
    return;
  }
  sendSide(peer, sideMessage(NONE, id));
}

function listen(): void {
  if (listening) return;
  listening = onSideMessage((peer, bytes) => {
    if (bytes.length < 6) return;
    const op = bytes[1];
    const id = sideRequestId(bytes);
    if (op === WANT && bytes.length === 6 + HASH_BYTES) {
      void answer(peer, id, new TextDecoder().decode(bytes.subarray(6))).catch(() => sendSide(peer, sideMessage(NONE, id)));
    } else if (op === HAVE || op === NONE) {
      waiting.get(id)?.({ op, bytes: bytes.slice(6) });
    }
  });
}

/** Serves this device's chunks of a community to the peers `peers()` names (its mesh). Returns stop. */
export function serveChunks(cid: string, db: HearthDb, peers: () => Iterable<object>, relay?: Served['relay']): () => void {
  listen();
  const entry: Served = { db, peers, relay, onRelay: new Set() };
  served.set(cid, entry);
  return () => {
    if (served.get(cid) === entry) served.delete(cid);
  };
}

/** A peer's answer: the bytes, "none" (it lacks the chunk, or the peer is gone), or no answer in time. */
function ask(peer: object, hash: string): Promise<Uint8Array | 'none' | 'timeout'> {
  const id = nextId++ >>> 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('timeout'), ANSWER_TIMEOUT_MS);
    const done = (answer: Uint8Array | 'none' | 'timeout') => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(answer);
    };
    waiting.set(id, ({ op, bytes }) => done(op === HAVE ? bytes : 'none'));
    if (!sendSide(peer, sideMessage(WANT, id, new TextEncoder().encode(hash)))) done('none');
  });
}

/** The peers in random order, those doubted lately last. */
function askingOrder(peers: object[], now: number): object[] {
  const doubt = (peer: object) => ((doubted.get(peer) ?? 0) > now ? 1 : 0);
  return peers
    .map((peer) => ({ peer, key: doubt(peer) + Math.random() / 2 }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.peer);
}

/**
 * A chunk of a community from its mesh peers, one after another, then from its relay; null when
 * none has it (right). With no peer connected the relay is asked at once, then peers are waited for.
 */
export async function fetchChunk(cid: string, hash: string): Promise<Uint8Array | null> {
  if (hash.length !== HASH_BYTES) return null;
  const until = Date.now() + PEER_WAIT_MS;
  let relayAsked = false;
  for (;;) {
    const s = served.get(cid);
    const peers = s ? askingOrder([...s.peers()], Date.now()) : [];
    for (const peer of peers) {
      const bytes = await ask(peer, hash);
      if (bytes === 'none') continue;
      if (bytes !== 'timeout') {
        if ((await chunkHash(bytes)) === hash) return bytes;
        exchangeCounts.tampered++;
      }
      doubted.set(peer, Date.now() + DOUBT_MS);
    }
    const relay = s?.relay?.();
    if (relay && !relayAsked) {
      relayAsked = true;
      const bytes = await fetchRelayChunk(relay.target, hash);
      if (bytes) return bytes;
    }
    if (peers.length || Date.now() >= until) return null;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Hands the community's relay the chunks of this member's own attachments it lacks (after a post,
 * and when the relay connects). One upload at a time per community; a call during one runs again after.
 */
export function uploadOwnChunks(cid: string): Promise<UploadResult | null> {
  const s = served.get(cid);
  if (!s) return Promise.resolve(null);
  if (s.uploading) {
    s.again = true;
    return s.uploading;
  }
  const run = async (): Promise<UploadResult | null> => {
    let result: UploadResult | null = null;
    do {
      s.again = false;
      const relay = s.relay?.();
      if (!relay?.identity) return result;
      const own = (await s.db.chunks.where('[cid+own]').equals([cid, 1]).primaryKeys()) as string[];
      const hashes = own.filter((h) => !s.onRelay?.has(h));
      if (!hashes.length) return result ?? { ok: true, uploaded: 0, had: 0 };
      result = await uploadRelayChunks(relay.target, relay.identity, hashes, (h) => localChunk(s.db, h));
      if (result.ok) for (const h of hashes) s.onRelay?.add(h);
    } while (s.again);
    return result;
  };
  s.uploading = run().finally(() => {
    s.uploading = null;
  });
  return s.uploading;
}
