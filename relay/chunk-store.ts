// Attachment chunks on a relay, beside the rooms' documents, over plain HTTP on the relay's port:
//   GET  /hearth-chunks/challenge              → {nonce}: a nonce to sign for uploads (5 minutes)
//   PUT  /hearth-chunks/<room>/<hash>          a chunk, from a member (X-Hearth-Key/-Nonce/-Sig)
//   GET  /hearth-chunks/<room>/<hash>          the chunk's bytes, to anyone who knows the room
//   POST /hearth-chunks/<room>/missing         ["hash", …] → the ones this relay lacks
// Chunks are AES-GCM ciphertext named by their SHA-256 (media/blob-crypto), so the relay checks the
// name on upload and refuses other bytes, but cannot tell whose attachment a chunk is, whether a post
// names it, or who may read it: anyone who knows the room name (derived from the room secret) reads
// every chunk of the room, as they read the room's document. Only members upload (a signed nonce,
// and the key must be a member in the room's authority, so the room must be open on this relay),
// each within a byte budget per member and room, and a full disk refuses uploads and keeps serving.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Document, Extension, onRequestPayload } from '@hocuspocus/server';
import { randomId, sha256, toBase64Url } from '../src/lib/crypto/encoding';
import { checkChunkProof } from '../src/lib/crypto/relay-proof';
import { CHUNK_BYTES } from '../src/lib/domain/record';
import { CORE_SHARD } from '../src/lib/domain/shards';
import { shardRoomName } from '../src/lib/sync/relay-rooms';

/** A sealed chunk: at most CHUNK_BYTES of plaintext plus the 16-byte GCM tag. */
export const MAX_CHUNK_BYTES = CHUNK_BYTES + 16;
/** What one member may keep on a relay per room unless the operator says otherwise. */
export const DEFAULT_MEMBER_BUDGET = 512 * 1024 * 1024;
const NONCE_MS = 5 * 60_000;
const MAX_NONCES = 10_000;
const MAX_ASKED = 2_000;
const ROOM = /^[A-Za-z0-9_-]{1,128}$/;
const HASH = /^[A-Za-z0-9_-]{43}$/;
const PREFIX = '/hearth-chunks/';

export type ChunkRefusal =
  | 'relay.no_proof'
  | 'proof.malformed'
  | 'proof.bad_signature'
  | 'relay.stale_nonce'
  | 'relay.room_not_open'
  | 'relay.not_member'
  | 'relay.chunk_too_large'
  | 'relay.chunk_mismatch'
  | 'relay.chunk_budget'
  | 'relay.disk_full'
  | 'relay.disk_error';

export interface ChunkStoreOptions {
  dir: string;
  /** Refuse uploads once this and `otherBytes()` together pass it (0: the disk's own limit). */
  maxDataBytes?: number;
  otherBytes?: () => number;
  memberBudget?: number;
  /** Whether `key` is a member of the open room `document` (the relay's authority for it). */
  isMember: (document: Document, key: string) => boolean;
  log?: (line: string) => void;
}

export interface ChunkCounters {
  stored: number;
  served: number;
  refused: Record<string, number>;
}

export class ChunkStore {
  readonly counters: ChunkCounters = { stored: 0, served: 0, refused: {} };
  #bytes = 0;
  /** Per room: bytes each member uploaded (read from the room's ledger on first use). */
  #owners = new Map<string, Map<string, number>>();
  #nonces = new Map<string, number>();

  constructor(readonly options: ChunkStoreOptions) {
    // The folder is made by the first upload: a relay nobody sent attachments keeps its data directory as it was.
    for (const room of existsSync(options.dir) ? readdirSync(options.dir) : []) {
      try {
        for (const name of readdirSync(join(options.dir, room))) this.#bytes += statSync(join(options.dir, room, name)).size;
      } catch {
        // not a room's folder, or removed meanwhile
      }
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The Hocuspocus extension that answers the chunk paths (every other request goes on). */
  extension(): Extension {
    return {
      onRequest: async ({ request, response, instance }: onRequestPayload) => {
        const url = new URL(request.url ?? '/', 'http://relay');
        if (!url.pathname.startsWith(PREFIX)) return;
        try {
          await this.#handle(
            request,
            response,
            url.pathname.slice(PREFIX.length),
            (room) => instance.documents.get(room) ?? instance.documents.get(shardRoomName(room, CORE_SHARD))
          );
        } catch (error) {
          this.options.log?.(`relay: chunk request failed: ${error}`);
          if (!response.headersSent) send(response, 500, { refused: 'relay.internal' });
        }
        // A rejection without an error stops Hocuspocus' default answer.
        throw null;
      }
    };
  }

  /** A fresh nonce for an upload proof. */
  challenge(now = Date.now()): string {
    for (const [nonce, until] of this.#nonces) if (until < now || this.#nonces.size >= MAX_NONCES) this.#nonces.delete(nonce);
    const nonce = randomId(24);
    this.#nonces.set(nonce, now + NONCE_MS);
    return nonce;
  }

  /** Whether the relay holds a chunk of `room`. */
  has(room: string, hash: string): boolean {
    return ROOM.test(room) && HASH.test(hash) && existsSync(join(this.options.dir, room, hash));
  }

  read(room: string, hash: string): Uint8Array | null {
    if (!this.has(room, hash)) return null;
    return new Uint8Array(readFileSync(join(this.options.dir, room, hash)));
  }

  /** Bytes `key` has uploaded to `room`. */
  usedBy(room: string, key: string): number {
    return this.#ledger(room).get(key) ?? 0;
  }

  /**
   * Stores a chunk from `key` (already proven) for the open room `document`, if its bytes are what
   * its name says, the member has budget left and the disk has room. A chunk the relay already holds
   * is accepted without charging anyone.
   */
  async put(
    document: Document | undefined,
    room: string,
    hash: string,
    bytes: Uint8Array,
    key: string
  ): Promise<{ ok: true; fresh: boolean } | { ok: false; reason: ChunkRefusal }> {
    if (!document) return this.#refuse('relay.room_not_open');
    if (!this.options.isMember(document, key)) return this.#refuse('relay.not_member');
    if (bytes.length > MAX_CHUNK_BYTES) return this.#refuse('relay.chunk_too_large');
    if (toBase64Url(await sha256(bytes)) !== hash) return this.#refuse('relay.chunk_mismatch');
    if (this.has(room, hash)) return { ok: true, fresh: false };
    const ledger = this.#ledger(room);
    const budget = this.options.memberBudget ?? DEFAULT_MEMBER_BUDGET;
    if ((ledger.get(key) ?? 0) + bytes.length > budget) return this.#refuse('relay.chunk_budget');
    const max = this.options.maxDataBytes ?? 0;
    const line = `${key} ${hash} ${bytes.length}\n`;
    if (max && this.#bytes + (this.options.otherBytes?.() ?? 0) + bytes.length + line.length > max) return this.#refuse('relay.disk_full');
    const dir = join(this.options.dir, room);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${hash}.tmp`), bytes);
      renameSync(join(dir, `${hash}.tmp`), join(dir, hash));
      appendFileSync(join(dir, 'owners.log'), line);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code;
      this.options.log?.(`relay: could not keep a chunk for ${room}: ${error}`);
      return this.#refuse(code === 'ENOSPC' || code === 'EDQUOT' ? 'relay.disk_full' : 'relay.disk_error');
    }
    this.#bytes += bytes.length + line.length;
    ledger.set(key, (ledger.get(key) ?? 0) + bytes.length);
    this.counters.stored++;
    return { ok: true, fresh: true };
  }

  #refuse(reason: ChunkRefusal): { ok: false; reason: ChunkRefusal } {
    this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
    return { ok: false, reason };
  }

  #ledger(room: string): Map<string, number> {
    let ledger = this.#owners.get(room);
    if (ledger) return ledger;
    ledger = new Map();
    const file = join(this.options.dir, room, 'owners.log');
    if (ROOM.test(room) && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [key, , size] = line.split(' ');
        if (key && Number(size) > 0) ledger.set(key, (ledger.get(key) ?? 0) + Number(size));
      }
    }
    this.#owners.set(room, ledger);
    return ledger;
  }

  async #handle(request: IncomingMessage, response: ServerResponse, path: string, documentOf: (room: string) => Document | undefined): Promise<void> {
    if (request.method === 'OPTIONS') return send(response, 204);
    if (path === 'challenge' && request.method === 'GET') return send(response, 200, { nonce: this.challenge() });
    const [room, hash, ...rest] = path.split('/');
    if (!room || !ROOM.test(room) || rest.length) return send(response, 404);
    if (hash === 'missing' && request.method === 'POST') {
      const body = await readBody(request, MAX_ASKED * 46 + 64);
      let asked: unknown;
      try {
        asked = body ? JSON.parse(new TextDecoder().decode(body)) : null;
      } catch {
        asked = null;
      }
      if (!Array.isArray(asked) || asked.length > MAX_ASKED || !asked.every((h) => typeof h === 'string' && HASH.test(h)))
        return send(response, 400, { refused: 'relay.bad_request' });
      return send(
        response,
        200,
        (asked as string[]).filter((h) => !this.has(room, h))
      );
    }
    if (!hash || !HASH.test(hash)) return send(response, 404);
    if (request.method === 'GET') {
      const bytes = this.read(room, hash);
      if (!bytes) return send(response, 404);
      this.counters.served++;
      response.writeHead(200, {
        ...CORS,
        'Content-Type': 'application/octet-stream',
        'Content-Length': bytes.length,
        'Cache-Control': 'public, max-age=31536000, immutable'
      });
      response.end(bytes);
      return;
    }
    if (request.method !== 'PUT') return send(response, 405);
    const header = (name: string) => request.headers[name] as string | undefined;
    if (!header('x-hearth-key')) return send(response, 401, { refused: this.#refuse('relay.no_proof').reason });
    const proof = await checkChunkProof({ key: header('x-hearth-key'), nonce: header('x-hearth-nonce'), sig: header('x-hearth-sig') }, room);
    if (!proof.ok) return send(response, 401, { refused: this.#refuse(proof.reason).reason });
    if ((this.#nonces.get(proof.nonce) ?? 0) < Date.now()) return send(response, 401, { refused: this.#refuse('relay.stale_nonce').reason });
    const bytes = await readBody(request, MAX_CHUNK_BYTES);
    if (!bytes) return send(response, 413, { refused: this.#refuse('relay.chunk_too_large').reason });
    const stored = await this.put(documentOf(room), room, hash, bytes, proof.key);
    if (stored.ok) return send(response, stored.fresh ? 201 : 200, { stored: hash });
    send(response, STATUS[stored.reason] ?? 400, { refused: stored.reason });
  }
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, PUT, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, X-Hearth-Key, X-Hearth-Nonce, X-Hearth-Sig',
  'Access-Control-Max-Age': '600'
};

const STATUS: Partial<Record<ChunkRefusal, number>> = {
  'relay.room_not_open': 409,
  'relay.not_member': 403,
  'relay.chunk_too_large': 413,
  'relay.chunk_mismatch': 422,
  'relay.chunk_budget': 413,
  'relay.disk_full': 507,
  'relay.disk_error': 500
};

function send(response: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { ...CORS, ...(text ? { 'Content-Type': 'application/json' } : {}) });
  response.end(text);
}

/** The request's body, or null past `max` bytes (the rest is not read). */
function readBody(request: IncomingMessage, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > max) {
        request.removeAllListeners('data');
        request.resume();
        resolve(null);
      } else parts.push(part);
    });
    request.on('end', () => size <= max && resolve(new Uint8Array(Buffer.concat(parts))));
    request.on('error', reject);
  });
}
