// The device's storage budget for attachments: chunks this member wrote, and those of threads pinned
// in their communities, are kept whatever the budget; other members' media past it is evicted least
// recently used first, and fetched again from peers when it is shown again (blob-store.readAttachment).
import { CHUNK_BYTES } from '../domain/record';
import { PIN_OFFSET } from '../domain/posts';
import type { HearthDb } from '../store/db';

/** Device setting (local only): the budget in MB. */
export const BUDGET_KEY = 'blob-budget-mb';
export const DEFAULT_BUDGET_MB = 1024;
export const MIN_BUDGET_MB = 50;
/**
 * A stored chunk as eviction counts it: every chunk as a full one (plus AES-GCM's 12-byte IV and
 * 16-byte tag). An upper bound read from the indexes alone, without loading 256 KiB per row.
 */
export const CHUNK_COST = CHUNK_BYTES + 28;

export interface ChunkInfo {
  hash: string;
  /** Last written or read. */
  at: number;
  /** Own or pinned: never evicted. */
  kept: boolean;
}

/**
 * Which chunks to evict so the total stays within `budget` bytes: not kept ones, least recently
 * used first (ties by hash, the same on every run), only as many as needed. When kept chunks alone
 * pass the budget every other chunk goes, and the kept ones stay.
 */
export function planEviction(chunks: readonly ChunkInfo[], budget: number, cost = CHUNK_COST): string[] {
  let total = chunks.length * cost;
  if (total <= budget) return [];
  const candidates = chunks.filter((c) => !c.kept).sort((a, b) => a.at - b.at || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const out: string[] = [];
  for (const c of candidates) {
    if (total <= budget) break;
    out.push(c.hash);
    total -= cost;
  }
  return out;
}

/**
 * Chunks of attachments in pinned threads of every community on this device, from the threads' rows
 * (each filled from the one page holding its record): finding the records by id would build this
 * connection's catalogue of every stored record, seconds of IndexedDB at 100,000 records.
 */
export async function pinnedChunks(db: HearthDb): Promise<Set<string>> {
  const cids = await db.communities.toCollection().primaryKeys();
  // Pinned threads rank from PIN_OFFSET up: one index range per community.
  const pinned = (await Promise.all(cids.map((cid) => db.threads.where('[cid+rank]').between([cid, PIN_OFFSET], [cid, Infinity]).toArray()))).flat();
  const out = new Set<string>();
  for (const row of pinned) for (const a of row.attachments ?? []) for (const h of a.chunks) out.add(h);
  return out;
}

export async function budgetBytes(db: HearthDb): Promise<number> {
  const row = await db.settings.get(BUDGET_KEY);
  const mb = typeof row?.value === 'number' && row.value >= MIN_BUDGET_MB ? row.value : DEFAULT_BUDGET_MB;
  return mb * 1024 * 1024;
}

/** What attachments take on this device, as eviction counts it: the member's own and pinned, and the rest. */
export async function blobUsage(db: HearthDb): Promise<{ kept: number; other: number }> {
  const infos = await chunkInfos(db);
  const kept = infos.filter((c) => c.kept).length;
  return { kept: kept * CHUNK_COST, other: (infos.length - kept) * CHUNK_COST };
}

async function chunkInfos(db: HearthDb): Promise<ChunkInfo[]> {
  const [own, pinned, byTime] = await Promise.all([
    db.chunks
      .orderBy('[cid+own]')
      .uniqueKeys()
      .then((keys) =>
        Promise.all(keys.filter((k) => (k as unknown as [string, number])[1] === 1).map((k) => db.chunks.where('[cid+own]').equals(k).primaryKeys()))
      )
      .then((lists) => lists.flat()),
    pinnedChunks(db),
    // (at, hash) pairs from the `at` index: no chunk's bytes are read.
    new Promise<{ hash: string; at: number }[]>((resolve, reject) => {
      const rows: { hash: string; at: number }[] = [];
      db.chunks
        .orderBy('at')
        .eachKey((at, cursor) => void rows.push({ hash: String(cursor.primaryKey), at: Number(at) }))
        .then(() => resolve(rows), reject);
    })
  ]);
  const ownSet = new Set(own);
  return byTime.map((c) => ({ ...c, kept: ownSet.has(c.hash) || pinned.has(c.hash) }));
}

/** Evicts past the budget (the device setting unless given); returns the evicted hashes. */
export async function evictBlobs(db: HearthDb, budget?: number): Promise<string[]> {
  const evict = planEviction(await chunkInfos(db), budget ?? (await budgetBytes(db)));
  if (evict.length) await db.chunks.bulkDelete(evict);
  return evict;
}

/** A read refreshes a chunk's time at most this often (each refresh rewrites the row). */
const TOUCH_MS = 10 * 60_000;

/** Marks chunks as just used, for least-recently-used eviction. */
export async function touchChunks(db: HearthDb, hashes: readonly string[], now = Date.now()): Promise<void> {
  if (!hashes.length) return;
  await db.chunks
    .where('hash')
    .anyOf([...hashes])
    .filter((r) => r.at < now - TOUCH_MS)
    .modify({ at: now });
}

const scheduled = new WeakMap<HearthDb, ReturnType<typeof setTimeout>>();

/** Evicts a little after new chunks arrive (one run for a burst of them). */
export function scheduleEviction(db: HearthDb, delayMs = 5_000): void {
  if (scheduled.has(db)) return;
  scheduled.set(
    db,
    setTimeout(() => {
      scheduled.delete(db);
      evictBlobs(db).catch((error) => console.error('eviction failed', error));
    }, delayMs)
  );
}
