// The shard sync's messages on one peer connection, beside y-webrtc's (first byte SHARD_MAGIC, which
// the simple-peer patch hands to side handlers, see webrtc-chunking.ts):
//   [SHARD_MAGIC, version, CATALOGUE, full u8, count, (id, records, digest 8 bytes, held u8)*]
//   [SHARD_MAGIC, version, SYNC, id, y-protocols sync message (step 1, step 2 or update)]
//   [SHARD_MAGIC, version, LOCATE, request u32, mode u8, count, record id*]
//   [SHARD_MAGIC, version, LOCATED, request u32, count, (record id, shard id)*]
//   [SHARD_MAGIC, version, HELLO, features]
//   [SHARD_MAGIC, version, ASK, count, (id, y-protocols step 1)*]
//   [SHARD_MAGIC, version, ANSWER, count, (id, y-protocols step 2)*]
// HELLO says which later ops the sender understands (`FEATURE_BATCH`: ASK and ANSWER); it is sent
// before the catalogue, and a device uses those ops only with a peer whose HELLO named them. A device
// of an older version refuses the HELLO itself (one counted refusal per connection, far below the
// strikes that make a peer ignored) and is asked month by month as before.
// ASK carries several months' step 1s in one message and ANSWER their step 2s: a newcomer's 143
// months are a handful of round trips instead of one each (each a trip through both devices' pages
// and workers). Each month in them is checked as a SYNC of it would be, and a shard named twice, a
// count past `MAX_BATCH` or a message of the wrong step refuses the whole message.
// LOCATE asks which shards hold records (mode 0: with these ids; mode 1: pointing at these ids, a
// thread's replies say): what a device lacks when a reply in a month it holds names a thread in a
// month it does not, or when an old thread's replies span months it evicted. An answer is a hint:
// the shard fetched is checked like any other, so a liar costs one fetch.
// A catalogue names the shards a device holds (held = 1) or no longer holds (held = 0, in a delta);
// `full` replaces what the receiver knew of the sender. Every field a peer sends is checked here,
// once: shard ids (domain/shards `isShardId`), counts and sizes. Nothing here trusts the sender.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { isShardId, type ShardId } from '../../domain/shards';
import { SHARD_MAGIC } from '../webrtc-chunking';

export { SHARD_MAGIC };
export const WIRE_VERSION = 1;
export const OP_CATALOGUE = 1;
export const OP_SYNC = 2;
export const OP_LOCATE = 3;
export const OP_LOCATED = 4;
export const OP_HELLO = 5;
export const OP_ASK = 6;
export const OP_ANSWER = 7;
/** HELLO's features: ASK and ANSWER. Bits a device does not know are ignored (a newer peer's). */
export const FEATURE_BATCH = 1;
export const FEATURES = FEATURE_BATCH;
/** Months in one ASK or ANSWER. */
export const MAX_BATCH = 64;
/** Ids in one LOCATE, and pairs in one answer. */
export const MAX_LOCATE = 256;
export const MAX_LOCATED = 4096;
/** A catalogue names at most this many shards: 170 years of months (an honest community has a few dozen). */
export const MAX_CATALOGUE_ENTRIES = 2048;
export const DIGEST_BYTES = 8;

export interface CatalogueEntry {
  id: ShardId;
  /** Records the sender holds in it (what a newcomer shows as progress; a liar only misleads that). */
  records: number;
  /** Digest of the shard document's state vector: equal digests need no sync. */
  digest: string;
  held: boolean;
}

export type ShardMessage =
  | { op: 'catalogue'; full: boolean; entries: CatalogueEntry[] }
  /** `message` is a y-protocols sync message: varuint type, then its payload. */
  | { op: 'sync'; shard: ShardId; message: Uint8Array }
  | { op: 'locate'; request: number; mode: LocateMode; ids: string[] }
  | { op: 'located'; request: number; found: [string, ShardId][] }
  | { op: 'hello'; features: number }
  /** Several shards' step 1s (`ask`) or step 2s (`answer`), each shard once. */
  | { op: 'ask'; entries: BatchEntry[] }
  | { op: 'answer'; entries: BatchEntry[] };

/** One shard of an ASK or ANSWER: `message` is a y-protocols step 1 or step 2 (varuint type, then its payload). */
export interface BatchEntry {
  shard: ShardId;
  message: Uint8Array;
}

/** What a LOCATE asks: the shards of these records, or of the records pointing at them. */
export type LocateMode = 'id' | 'target';

export type WireRefusal = 'shard.malformed' | 'shard.version' | 'shard.bad_id' | 'shard.oversized';
export type WireResult = { ok: true; value: ShardMessage } | { ok: false; reason: WireRefusal };

function header(encoder: encoding.Encoder, op: number): void {
  encoding.writeUint8(encoder, SHARD_MAGIC);
  encoding.writeUint8(encoder, WIRE_VERSION);
  encoding.writeUint8(encoder, op);
}

const HEX = /^[0-9a-f]{16}$/;

export function encodeCatalogue(full: boolean, entries: readonly CatalogueEntry[]): Uint8Array {
  if (entries.length > MAX_CATALOGUE_ENTRIES) throw new RangeError('catalogue too large');
  const e = encoding.createEncoder();
  header(e, OP_CATALOGUE);
  encoding.writeUint8(e, full ? 1 : 0);
  encoding.writeVarUint(e, entries.length);
  for (const entry of entries) {
    if (!HEX.test(entry.digest)) throw new RangeError('digest must be 16 hex digits');
    encoding.writeVarString(e, entry.id);
    encoding.writeVarUint(e, entry.records);
    for (let i = 0; i < DIGEST_BYTES; i++) encoding.writeUint8(e, Number.parseInt(entry.digest.slice(2 * i, 2 * i + 2), 16));
    encoding.writeUint8(e, entry.held ? 1 : 0);
  }
  return encoding.toUint8Array(e);
}

/** A sync message for one shard: `write` writes the y-protocols message (e.g. `writeSyncStep1`). */
export function encodeSync(shard: ShardId, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  header(e, OP_SYNC);
  encoding.writeVarString(e, shard);
  write(e);
  return encoding.toUint8Array(e);
}

/** Wraps a y-protocols sync message already encoded. */
export function encodeSyncBytes(shard: ShardId, message: Uint8Array): Uint8Array {
  return encodeSync(shard, (e) => encoding.writeUint8Array(e, message));
}

export function encodeHello(features: number = FEATURES): Uint8Array {
  const e = encoding.createEncoder();
  header(e, OP_HELLO);
  encoding.writeVarUint(e, features);
  return encoding.toUint8Array(e);
}

/** An ASK (`entries` are step 1s) or ANSWER (step 2s), as many shards as `MAX_BATCH` allows, each once. */
export function encodeBatch(op: 'ask' | 'answer', entries: readonly BatchEntry[]): Uint8Array {
  if (entries.length > MAX_BATCH || new Set(entries.map((x) => x.shard)).size !== entries.length) throw new RangeError('bad batch');
  const e = encoding.createEncoder();
  header(e, op === 'ask' ? OP_ASK : OP_ANSWER);
  encoding.writeVarUint(e, entries.length);
  for (const entry of entries) {
    encoding.writeVarString(e, entry.shard);
    encoding.writeVarUint8Array(e, entry.message);
  }
  return encoding.toUint8Array(e);
}

const RECORD_ID = /^[A-Za-z0-9_-]{43}$/;

export function encodeLocate(request: number, mode: LocateMode, ids: readonly string[]): Uint8Array {
  if (ids.length > MAX_LOCATE || !ids.every((id) => RECORD_ID.test(id))) throw new RangeError('bad locate request');
  const e = encoding.createEncoder();
  header(e, OP_LOCATE);
  encoding.writeUint32(e, request);
  encoding.writeUint8(e, mode === 'id' ? 0 : 1);
  encoding.writeVarUint(e, ids.length);
  for (const id of ids) encoding.writeVarString(e, id);
  return encoding.toUint8Array(e);
}

export function encodeLocated(request: number, found: readonly [string, ShardId][]): Uint8Array {
  const e = encoding.createEncoder();
  header(e, OP_LOCATED);
  encoding.writeUint32(e, request);
  const pairs = found.slice(0, MAX_LOCATED);
  encoding.writeVarUint(e, pairs.length);
  for (const [id, shard] of pairs) {
    encoding.writeVarString(e, id);
    encoding.writeVarString(e, shard);
  }
  return encoding.toUint8Array(e);
}

function readRecordId(d: decoding.Decoder): string | null {
  const length = decoding.readVarUint(d);
  if (length !== 43 || d.pos + length > d.arr.length) return null;
  const id = new TextDecoder().decode(d.arr.subarray(d.pos, d.pos + length));
  d.pos += length;
  return RECORD_ID.test(id) ? id : null;
}

/** Shard ids are short: a longer string is refused before it is decoded. */
const MAX_ID_BYTES = 16;

function readShardId(d: decoding.Decoder): ShardId | null {
  const length = decoding.readVarUint(d);
  if (length > MAX_ID_BYTES || d.pos + length > d.arr.length) return null;
  const id = new TextDecoder().decode(d.arr.subarray(d.pos, d.pos + length));
  d.pos += length;
  return isShardId(id) ? id : null;
}

/** Reads one message; refusals say why (the sender is counted, never thrown at). */
export function decodeShardMessage(bytes: Uint8Array): WireResult {
  try {
    const d = decoding.createDecoder(bytes);
    if (decoding.readUint8(d) !== SHARD_MAGIC) return { ok: false, reason: 'shard.malformed' };
    if (decoding.readUint8(d) !== WIRE_VERSION) return { ok: false, reason: 'shard.version' };
    const op = decoding.readUint8(d);
    if (op === OP_CATALOGUE) {
      const full = decoding.readUint8(d);
      const count = decoding.readVarUint(d);
      if (full > 1) return { ok: false, reason: 'shard.malformed' };
      // Each entry takes at least 11 bytes: a count beyond what the message can hold is a lie.
      if (count > MAX_CATALOGUE_ENTRIES) return { ok: false, reason: 'shard.oversized' };
      if (count * 11 > bytes.length) return { ok: false, reason: 'shard.malformed' };
      const entries: CatalogueEntry[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const id = readShardId(d);
        if (id === null) return { ok: false, reason: 'shard.bad_id' };
        const records = decoding.readVarUint(d);
        if (d.pos + DIGEST_BYTES + 1 > bytes.length) return { ok: false, reason: 'shard.malformed' };
        let digest = '';
        for (let b = 0; b < DIGEST_BYTES; b++) digest += decoding.readUint8(d).toString(16).padStart(2, '0');
        const held = decoding.readUint8(d);
        if (held > 1 || seen.has(id) || !Number.isSafeInteger(records)) return { ok: false, reason: 'shard.malformed' };
        seen.add(id);
        entries.push({ id, records, digest, held: held === 1 });
      }
      if (d.pos !== bytes.length) return { ok: false, reason: 'shard.malformed' };
      return { ok: true, value: { op: 'catalogue', full: full === 1, entries } };
    }
    if (op === OP_SYNC) {
      const shard = readShardId(d);
      if (shard === null) return { ok: false, reason: 'shard.bad_id' };
      if (d.pos >= bytes.length) return { ok: false, reason: 'shard.malformed' };
      return { ok: true, value: { op: 'sync', shard, message: bytes.subarray(d.pos) } };
    }
    if (op === OP_LOCATE || op === OP_LOCATED) {
      const request = decoding.readUint32(d);
      const mode = op === OP_LOCATE ? decoding.readUint8(d) : 0;
      const count = decoding.readVarUint(d);
      if (mode > 1) return { ok: false, reason: 'shard.malformed' };
      if (count > (op === OP_LOCATE ? MAX_LOCATE : MAX_LOCATED)) return { ok: false, reason: 'shard.oversized' };
      if (count * 44 > bytes.length) return { ok: false, reason: 'shard.malformed' };
      const ids: string[] = [];
      const found: [string, ShardId][] = [];
      for (let i = 0; i < count; i++) {
        const id = readRecordId(d);
        if (id === null) return { ok: false, reason: 'shard.malformed' };
        if (op === OP_LOCATE) ids.push(id);
        else {
          const shard = readShardId(d);
          if (shard === null) return { ok: false, reason: 'shard.bad_id' };
          found.push([id, shard]);
        }
      }
      if (d.pos !== bytes.length) return { ok: false, reason: 'shard.malformed' };
      return op === OP_LOCATE
        ? { ok: true, value: { op: 'locate', request, mode: mode === 0 ? 'id' : 'target', ids } }
        : { ok: true, value: { op: 'located', request, found } };
    }
    if (op === OP_HELLO) {
      const features = decoding.readVarUint(d);
      if (d.pos !== bytes.length || !Number.isSafeInteger(features)) return { ok: false, reason: 'shard.malformed' };
      return { ok: true, value: { op: 'hello', features } };
    }
    if (op === OP_ASK || op === OP_ANSWER) return decodeBatch(d, bytes, op === OP_ASK ? 'ask' : 'answer');
    return { ok: false, reason: 'shard.malformed' };
  } catch {
    return { ok: false, reason: 'shard.malformed' };
  }
}

/** y-protocols' message types an ASK's and an ANSWER's entries must be (gated-sync-protocol's). */
const STEP = { ask: 0, answer: 1 } as const;

function decodeBatch(d: decoding.Decoder, bytes: Uint8Array, op: 'ask' | 'answer'): WireResult {
  const count = decoding.readVarUint(d);
  if (count > MAX_BATCH) return { ok: false, reason: 'shard.oversized' };
  // Each entry takes at least 5 bytes (an id of 2, a length, a type and a payload length): a count beyond that is a lie.
  if (count === 0 || count * 5 > bytes.length) return { ok: false, reason: 'shard.malformed' };
  const entries: BatchEntry[] = [];
  const seen = new Set<ShardId>();
  for (let i = 0; i < count; i++) {
    const shard = readShardId(d);
    if (shard === null) return { ok: false, reason: 'shard.bad_id' };
    const length = decoding.readVarUint(d);
    if (length < 2 || d.pos + length > bytes.length || seen.has(shard)) return { ok: false, reason: 'shard.malformed' };
    const message = bytes.subarray(d.pos, d.pos + length);
    d.pos += length;
    // The step and its one payload, nothing after it: the rest of the sync reads the message as y-protocols does.
    const inner = decoding.createDecoder(message);
    if (decoding.readVarUint(inner) !== STEP[op]) return { ok: false, reason: 'shard.malformed' };
    decoding.readVarUint8Array(inner);
    if (inner.pos !== message.length) return { ok: false, reason: 'shard.malformed' };
    seen.add(shard);
    entries.push({ shard, message });
  }
  if (d.pos !== bytes.length) return { ok: false, reason: 'shard.malformed' };
  return { ok: true, value: op === 'ask' ? { op, entries } : { op, entries } };
}

/**
 * 64 bits of digest of a shard's encoded state vector (Yjs writes its entries sorted by client, so
 * equal states give equal bytes): two 32-bit multiplicative hashes with different seeds. Not
 * cryptographic: a peer can lie about its digest anyway, and costs itself a missed sync by it.
 */
export function stateDigest(stateVector: Uint8Array): string {
  let h1 = 0xdeadbeef ^ stateVector.length;
  let h2 = 0x41c6ce57 ^ stateVector.length;
  for (let i = 0; i < stateVector.length; i++) {
    const c = stateVector[i];
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
