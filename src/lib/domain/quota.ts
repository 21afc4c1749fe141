// Limits every device enforces on what one member may add, on the receiving side: a modified
// client can skip its own posting checks, but not these. Deterministic from the records alone, so
// every peer holds back the same records: per member and per hour of `ts`, the first records by
// (ts, id) within the count and byte budget of the member's trust level are shown, the rest held.
// Staff (creator, admins, moderators) are not limited. A member cannot date records before they
// joined (authority refuses those), so spreading a flood over past hours is bounded by how long
// they have been a member, and backdated records land deep in the history, not on top of the feed.
import { compareRecords, type AnyRecord } from './record';

export const QUOTA_WINDOW_MS = 3_600_000;

/** Records and bytes per member per hour, by trust level 0–3. */
export const QUOTAS: readonly { records: number; bytes: number }[] = [
  { records: 60, bytes: 512 * 1024 },
  { records: 120, bytes: 1024 * 1024 },
  { records: 240, bytes: 2 * 1024 * 1024 },
  { records: 480, bytes: 4 * 1024 * 1024 }
];

export function quotaFor(trust: number) {
  return QUOTAS[Math.max(0, Math.min(QUOTAS.length - 1, Math.floor(trust)))];
}

export function hourOf(ts: number): number {
  return Math.floor(ts / QUOTA_WINDOW_MS);
}

/**
 * Size of a record as every device holds it in the shared document (its JSON): a stored row's own
 * fields (`target`, `held`, opened plaintext beside `sealedAs`) do not count, so every peer measures the same.
 */
export function recordBytes(r: AnyRecord): number {
  const { target: _t, held: _h, sealedAs, ...shared } = r as AnyRecord & { target?: unknown; held?: unknown; sealedAs?: AnyRecord };
  return JSON.stringify(sealedAs ?? shared).length;
}

/**
 * Of one member's records in one hour, the ids beyond the quota. `records` may be in any order.
 */
export function heldInHour(records: readonly AnyRecord[], quota: { records: number; bytes: number }): Set<string> {
  const held = new Set<string>();
  let count = 0;
  let bytes = 0;
  for (const r of [...records].sort(compareRecords)) {
    count++;
    bytes += recordBytes(r);
    if (count > quota.records || bytes > quota.bytes) held.add(r.id);
  }
  return held;
}

/** Every held-back id among `records`, grouping by author and hour; `exempt` authors (staff) are never held. */
export function heldBack(records: Iterable<AnyRecord>, trustOf: (key: string) => number, exempt: (key: string) => boolean): Set<string> {
  const buckets = new Map<string, AnyRecord[]>();
  for (const r of records) {
    if (r.kind === 'genesis' || exempt(r.author)) continue;
    const key = `${r.author}:${hourOf(r.ts)}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = []));
    b.push(r);
  }
  const held = new Set<string>();
  for (const bucket of buckets.values()) {
    const quota = quotaFor(trustOf(bucket[0].author));
    if (bucket.length <= quota.records && bucket.reduce((n, r) => n + recordBytes(r), 0) <= quota.bytes) continue;
    for (const id of heldInHour(bucket, quota)) held.add(id);
  }
  return held;
}
