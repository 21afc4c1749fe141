// Attachment chunks between the peers of a community's mesh, beside the document: a side message
// asks one peer for a chunk by name, the peer answers with the bytes or "none". The asker checks the
// bytes against the name (SHA-256) and asks the next peer when they differ or nobody answers.
// Only peers of the mesh are served (they hold the community key); the lobby is never asked or
// answered. Chunks are ciphertext under their attachment's key, which only readers of the post hold.
//   [SIDE_MAGIC, op, request id u32, …]   op 1 want: + the chunk name (43 ASCII bytes)
//                                          op 2 have: + the bytes   op 3 none
import type { HearthDb } from '../store/db';
import { chunkHash } from '../media/blob-crypto';
import { localChunk } from '../media/blob-store';
import { onSideMessage, sendSide, SIDE_MAGIC } from './webrtc-chunking';

const WANT = 1;
const HAVE = 2;
const NONE = 3;
const HASH_BYTES = 43;
/** How long one peer has to answer before the next is asked. */
export const ANSWER_TIMEOUT_MS = 15_000;
/** How long a fetch waits for a first mesh peer (a page just opened is still connecting). */
export const PEER_WAIT_MS = 10_000;

interface Served {
  db: HearthDb;
  peers: () => Iterable<object>;
}

export interface ExchangeCounts {
  /** Chunks a peer sent whose bytes did not match their name (refused, asked elsewhere). */
  tampered: number;
  served: number;
}

const served = new Map<string, Served>();
const waiting = new Map<number, (reply: { op: number; bytes: Uint8Array }) => void>();
export const exchangeCounts: ExchangeCounts = { tampered: 0, served: 0 };
let nextId = (Math.random() * 2 ** 31) >>> 0;
let listening: (() => void) | null = null;

function message(op: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  out[0] = SIDE_MAGIC;
  out[1] = op;
  new DataView(out.buffer).setUint32(2, id);
  out.set(payload, 6);
  return out;
}

async function answer(peer: object, id: number, hash: string): Promise<void> {
  // Only communities whose mesh this peer is in; a chunk of another community is "none".
  for (const [cid, s] of served) {
    if (![...s.peers()].includes(peer)) continue;
    const row = await s.db.chunks.get(hash);
    if (!row || row.cid !== cid) continue;
    const bytes = await localChunk(s.db, hash, row);
    if (!bytes) continue;
    exchangeCounts.served++;
    sendSide(peer, message(HAVE, id, bytes));
    return;
  }
  sendSide(peer, message(NONE, id));
}

function listen(): void {
  if (listening) return;
  listening = onSideMessage((peer, bytes) => {
    if (bytes.length < 6) return;
    const op = bytes[1];
    const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
    if (op === WANT && bytes.length === 6 + HASH_BYTES) {
      void answer(peer, id, new TextDecoder().decode(bytes.subarray(6))).catch(() => sendSide(peer, message(NONE, id)));
    } else if (op === HAVE || op === NONE) {
      waiting.get(id)?.({ op, bytes: bytes.slice(6) });
    }
  });
}

/** Serves this device's chunks of a community to the peers `peers()` names (its mesh). Returns stop. */
export function serveChunks(cid: string, db: HearthDb, peers: () => Iterable<object>): () => void {
  listen();
  const entry = { db, peers };
  served.set(cid, entry);
  return () => {
    if (served.get(cid) === entry) served.delete(cid);
  };
}

function ask(peer: object, hash: string): Promise<Uint8Array | null> {
  const id = nextId++ >>> 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), ANSWER_TIMEOUT_MS);
    const done = (bytes: Uint8Array | null) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(bytes);
    };
    waiting.set(id, ({ op, bytes }) => done(op === HAVE ? bytes : null));
    if (!sendSide(peer, message(WANT, id, new TextEncoder().encode(hash)))) done(null);
  });
}

/** A chunk of a community from its mesh peers, one after another; null when none has it (right). */
export async function fetchChunk(cid: string, hash: string): Promise<Uint8Array | null> {
  if (hash.length !== HASH_BYTES) return null;
  const until = Date.now() + PEER_WAIT_MS;
  let s = served.get(cid);
  while ((!s || ![...s.peers()].length) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    s = served.get(cid);
  }
  if (!s) return null;
  const peers = [...s.peers()].sort(() => Math.random() - 0.5);
  for (const peer of peers) {
    const bytes = await ask(peer, hash);
    if (!bytes) continue;
    if ((await chunkHash(bytes)) === hash) return bytes;
    exchangeCounts.tampered++;
  }
  return null;
}
