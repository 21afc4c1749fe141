// What a member keeps of a community held in shards beyond its last months (docs/shards.md,
// Eviction): the threads they saved (a bookmark on this device only, never synced: Discourse's and
// Knowledge Planet's "bookmark/收藏"), the months they read on demand (kept `READ_GRACE_MS` after), and
// the months of what they wrote and of the posts their writes answer (a reply's thread, a reaction's
// post). Kept in `settings`, local to the device.
import { monthOf, shardOf, type KeepPolicy, type ShardId } from '../domain/shards';
import type { HearthDb } from './db';
import { recordsByAuthor, shardsOfIds } from './record-store';

/** A thread saved on this device, with the month its record is in (known when saved, so kept after it leaves). */
export interface SavedThread {
  id: string;
  month: string;
  at: number;
}

export const savedKey = (cid: string) => `saved:${cid}`;
export const readMonthsKey = (cid: string) => `shards.read:${cid}`;

/** Saved threads, the latest saved first. */
export async function savedThreads(db: HearthDb, cid: string): Promise<SavedThread[]> {
  const row = await db.settings.get(savedKey(cid));
  const list = Array.isArray(row?.value) ? (row.value as SavedThread[]) : [];
  return list.filter((s) => typeof s?.id === 'string' && typeof s.month === 'string').sort((a, b) => b.at - a.at);
}

/** Saves a thread on this device (its month from its `createdAt`, the record's ts), or forgets it. */
export async function setSaved(db: HearthDb, cid: string, thread: { id: string; createdAt: number }, on: boolean, now = Date.now()): Promise<void> {
  await db.transaction('rw', db.settings, async () => {
    const list = (await savedThreads(db, cid)).filter((s) => s.id !== thread.id);
    if (on) list.unshift({ id: thread.id, month: monthOf(thread.createdAt), at: now });
    await db.settings.put({ key: savedKey(cid), value: list.slice(0, 5_000) });
  });
}

/** When each month was last read on demand (fetched when scrolled to, linked or searched). */
export async function readMonths(db: HearthDb, cid: string): Promise<Map<ShardId, number>> {
  const row = await db.settings.get(readMonthsKey(cid));
  const value = row?.value && typeof row.value === 'object' ? (row.value as Record<string, unknown>) : {};
  return new Map(Object.entries(value).filter((e): e is [ShardId, number] => typeof e[1] === 'number'));
}

export async function noteRead(db: HearthDb, cid: string, months: readonly string[], now = Date.now()): Promise<void> {
  if (!months.length) return;
  await db.transaction('rw', db.settings, async () => {
    const read = await readMonths(db, cid);
    for (const m of months) read.set(m as ShardId, now);
    await db.settings.put({ key: readMonthsKey(cid), value: Object.fromEntries(read) });
  });
}

/**
 * The keep policy of a member's device: the last `keepMonths` months, and whatever their age the
 * months holding what `member` wrote, the posts their writes point at (the thread of a reply, the post
 * of a reaction), the threads saved here, and those read on demand lately.
 */
export async function keepPolicy(db: HearthDb, cid: string, member: string | null, keepMonths: number | null): Promise<KeepPolicy> {
  const kept = new Set<ShardId>();
  if (member) {
    const mine = await recordsByAuthor(db, cid, member);
    const targets = new Set<string>();
    for (const r of mine) {
      kept.add(shardOf(r));
      if (r.target) targets.add(r.target);
    }
    for (const [, shard] of await shardsOfIds(db, cid, [...targets])) kept.add(shard as ShardId);
  }
  for (const s of await savedThreads(db, cid)) kept.add(s.month as ShardId);
  return { keepMonths, kept, lastRead: await readMonths(db, cid) };
}
