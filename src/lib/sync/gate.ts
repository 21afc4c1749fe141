// The validation gate between the shared Yjs map and everything the app shows.
// Each value found under a map key is checked (shape, size, id = hash, signature, community,
// key = id) before projection; rejects are counted per community and kept out of view.
// A value must also be exactly plain JSON: the signature covers the canonical JSON, which drops
// `undefined` and reads -0 as 0, so a "twin" with an extra undefined key passes the signature here
// but is a different value to a device that parses it strictly.
import { checkRecord, WEB_RECORD_CRYPTO, type RecordCrypto } from '../crypto/record-seal';
import { POOL_MIN_ITEMS, verifyPool } from '../crypto/verify-pool';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { pageShardOf, recordsById } from '../store/record-store';

export interface GateOutcome {
  accepted: AnyRecord[];
  rejected: { key: string; reason: string }[];
  /** Keys whose value is exactly a record already accepted (stored, projected): nothing to do. */
  known: string[];
}

const POOLED_CRYPTO: RecordCrypto = { ...WEB_RECORD_CRYPTO, verify: (member, bytes, sig) => verifyPool.verify(member, bytes, sig) };

/** The crypto for checking `n` records at once: their signatures spread over this thread's verify helpers when there are many. */
export function batchCrypto(n: number): RecordCrypto {
  return n >= POOL_MIN_ITEMS ? POOLED_CRYPTO : WEB_RECORD_CRYPTO;
}

/**
 * Checks the values under `keys`. A value identical to a record already accepted on this device
 * is not verified again, which keeps reopening a large community cheap. `mayBeStored`, when given,
 * says which keys can have a stored record at all (the caller read the community's stored ids once):
 * the others are not looked up, so a check does not wait for the records table while it is written.
 */
export async function passGate(db: HearthDb, cid: string, entries: [string, unknown][], mayBeStored?: (key: string) => boolean): Promise<GateOutcome> {
  const out: GateOutcome = { accepted: [], rejected: [], known: [] };
  const lookUp = mayBeStored ? entries.map(([k]) => k).filter(mayBeStored) : entries.map(([k]) => k);
  const found = lookUp.length ? await recordsById(db, lookUp, pagedAmong(entries)) : [];
  const existing = mayBeStored ? new Map(lookUp.map((k, i) => [k, found[i]])) : null;
  const using = batchCrypto(entries.length);
  const checks = entries.map(async ([key, value], i) => {
    const prior = existing ? existing.get(key) : found[i];
    if (prior && sameRecord(prior, value)) {
      out.known.push(key);
      return;
    }
    if (!isExactJson(value)) {
      out.rejected.push({ key, reason: 'record.malformed' });
      return;
    }
    const result = await checkRecord(value, { cid, key }, using);
    if (result.ok) out.accepted.push(result.value);
    else out.rejected.push({ key, reason: result.reason });
  });
  await Promise.all(checks);
  return out;
}

/** Whether the record under a key of `entries` would be stored in a page (`isPaged` of its value). */
function pagedAmong(entries: [string, unknown][]): (key: string) => boolean {
  const values = new Map(entries);
  return (key) => isPaged(values.get(key));
}

/** A value that, if stored under its key, is stored in a page (a content kind with a valid time). */
function isPaged(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, ts } = value as { kind?: unknown; ts?: unknown };
  return typeof kind === 'string' && pageShardOf({ kind: kind as AnyRecord['kind'], ts: ts as number }) !== null;
}

/**
 * The value under a key is the accepted record only if it is exactly that record: the same own
 * keys at every level (an extra key holding undefined counts), the same primitives by `Object.is`
 * (-0 is not 0), and plain JSON throughout, so a twin that a strict parser would refuse is repaired.
 */
export function sameRecord(stored: AnyRecord & { target?: string; held?: 1; sealedAs?: AnyRecord }, value: unknown): boolean {
  const { target: _target, held: _held, sealedAs, ...record } = stored;
  // A row holding opened plaintext stands for its sealed original, which is what the map holds.
  return isExactJson(value) && exactlyEqual(sealedAs ?? record, value);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Deep equality with no coercion: same own-key sets, `Object.is` on primitives, arrays as arrays. */
export function exactlyEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Reflect.ownKeys(a);
  const keysB = Reflect.ownKeys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b as object, key)) return false;
    if (!exactlyEqual((a as Record<PropertyKey, unknown>)[key], (b as Record<PropertyKey, unknown>)[key])) return false;
  }
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/** True when `value` survives a JSON round trip unchanged: no undefined, -0, NaN, holes or non-plain objects. */
export function isExactJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || Reflect.ownKeys(value).length !== value.length + 1) return false;
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isExactJson(value[i])) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key of Reflect.ownKeys(value)) {
        if (typeof key !== 'string' || !isExactJson((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
