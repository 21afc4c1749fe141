// The validation gate between the shared Yjs map and everything the app shows.
// Each value found under a map key is checked (shape, size, id = hash, signature, community,
// key = id) before projection; rejects are counted per community and kept out of view.
import canonicalize from 'canonicalize';
import { checkRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';

export interface GateOutcome {
  accepted: AnyRecord[];
  rejected: { key: string; reason: string }[];
  /** Keys whose value is already projected unchanged: nothing to do. */
  known: number;
}

/**
 * Checks the values under `keys`. A value identical to a record already accepted on this device
 * is not verified again, which keeps reopening a large community cheap.
 */
export async function passGate(db: HearthDb, cid: string, entries: [string, unknown][]): Promise<GateOutcome> {
  const out: GateOutcome = { accepted: [], rejected: [], known: 0 };
  const existing = await db.records.bulkGet(entries.map(([k]) => k));
  const checks = entries.map(async ([key, value], i) => {
    const prior = existing[i];
    if (prior && sameRecord(prior, value)) {
      out.known++;
      return;
    }
    const result = await checkRecord(value, { cid, key });
    if (result.ok) out.accepted.push(result.value);
    else out.rejected.push({ key, reason: result.reason });
  });
  await Promise.all(checks);
  return out;
}

function sameRecord(stored: AnyRecord & { target?: string }, value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const { target: _target, ...record } = stored;
  return canonicalize(record) === canonicalize(value);
}
