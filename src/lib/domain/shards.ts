// History in shards: which shard a record belongs to, in what order a device syncs shards, and which
// shards it keeps. Pure: the sync layer (sync/shards/) holds one Yjs document per shard.
//
// A community is a small core every device holds whole, plus one content shard per UTC month. The
// shard is a function of the record alone (its kind and its ts), so any peer or relay holding one
// shard can tell a record that belongs there from one that does not, without any other shard:
// a shard document accepts only records whose `shardOf` is its id.
import type { SettingsJudge } from './membership';
import { compareRecords, KINDS, type AnyRecord, type Kind, type SignedRecord } from './record';

/** `core`, or a UTC month `YYYY-MM`. */
export type ShardId = string;
export const CORE_SHARD = 'core';

/**
 * Kinds kept in the core: whatever authority, entitlement, keys and the moderation state of content
 * read, so that every device can judge any record of any shard with the core alone.
 * - Authority (genesis, invite, join, admit, grant, ban, trust, level) and what entitlement and keys
 *   read (key, key-share, tier, payment, settings): `computeAuthority`, `isEntitled`, the keyring.
 * - Profiles and trust locks: names and standing of every member, on any page, whatever month.
 * - Tombstones, all of them: a tombstone is `{target}` only, so the gate cannot tell an invite's
 *   revocation (authority needs it) from a post's deletion without the target, which may be in
 *   another shard. And a deletion must reach every device, including one that fetches the deleted
 *   post's month again years later.
 * - Hide, pin and slow mode: moderators' decisions about content that must hold wherever the
 *   content is read (a hidden post is never shown, a pinned thread tops the feed, a slow mode binds
 *   a thread from any month), few by nature, and none sealable.
 * - Checkpoints: staff statements of how much the community holds, needed first by a newcomer.
 * - The decision to hold a community made as one document in shards (`shards`): every device follows it.
 * Everything else is content and goes to the month of its own `ts` (see `shardOf`).
 */
export const SHARD_CORE_KINDS: ReadonlySet<Kind> = new Set<Kind>([
  'genesis',
  'invite',
  'join',
  'admit',
  'grant',
  'ban',
  'trust',
  'level',
  'trust-lock',
  'key',
  'key-share',
  'tier',
  'payment',
  'settings',
  'shards',
  'profile',
  'tombstone',
  'hide',
  'pin',
  'slowmode',
  'checkpoint'
]);

/** Months from year 1970 to 9999: a ts past the end (records may be dated up to year 275760) counts as 9999-12. */
const FIRST_YEAR = 1970;
const LAST_YEAR = 9999;
const LAST_MONTH_TS = Date.UTC(LAST_YEAR, 11, 1);
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The UTC month of a time, `YYYY-MM`. */
export function monthOf(ts: number): ShardId {
  const d = new Date(Math.min(Math.max(ts, 0), LAST_MONTH_TS));
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * The shard a record belongs to: the core for core kinds, else the month of its own `ts`.
 *
 * A reply, reaction, edit, vote or answer belongs to the month of its own ts, not of its thread's:
 * - the gate decides from the record alone (a reply names its thread by id, not by month, and that
 *   thread may be in a shard the judging peer or relay does not hold);
 * - a month stops changing once it is over (only backdated writes reach it), so old shards keep
 *   their state-vector digest and cost nothing to compare, and a newcomer syncing the newest months
 *   first gets the recent activity the feed ranks by, however old the threads it bumps;
 * - responses come after what they answer, so a device holding the newest months (a suffix of
 *   history, as the sync order and the eviction cap both keep) holds every response to the posts
 *   of those months. Reading an older thread fetches its month and those after it, on demand.
 * Every sealable kind is content, so a sealed record (kind `sealed`) lands where its plaintext
 * would: the shard never depends on what only key holders can read.
 */
export function shardOf(record: Pick<SignedRecord, 'kind' | 'ts'>): ShardId {
  return SHARD_CORE_KINDS.has(record.kind) ? CORE_SHARD : monthOf(record.ts);
}

/** Records grouped by their shard, in the order given within each. */
export function groupByShard<R extends Pick<SignedRecord, 'kind' | 'ts'>>(records: readonly R[]): Map<ShardId, R[]> {
  const groups = new Map<ShardId, R[]>();
  for (const r of records) {
    const shard = shardOf(r);
    const list = groups.get(shard);
    if (list) list.push(r);
    else groups.set(shard, [r]);
  }
  return groups;
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(KINDS);

/**
 * The shard of a map entry from its `kind` and `ts` fields alone (the update filter reads them
 * without decoding the value): null for a value that is no record of a known kind with a valid
 * time, which belongs to no shard. The gate still checks the whole record when it ingests it.
 */
export function shardOfEntry(kind: string | null, ts: number | null): ShardId | null {
  if (kind === null || !KNOWN_KINDS.has(kind)) return null;
  if (ts === null || !Number.isInteger(ts) || ts < 0 || ts > 8.64e15) return null;
  return shardOf({ kind: kind as Kind, ts });
}

/** A shard id as peers may name it: the core or a month of years 1970–9999. */
export function isShardId(value: unknown): value is ShardId {
  if (value === CORE_SHARD) return true;
  if (typeof value !== 'string') return false;
  const m = MONTH.exec(value);
  return !!m && Number(m[1]) >= FIRST_YEAR && Number(m[1]) <= LAST_YEAR;
}

/** Months apart (b − a), for two month ids. */
export function monthsBetween(a: ShardId, b: ShardId): number {
  const [ya, ma] = a.split('-').map(Number);
  const [yb, mb] = b.split('-').map(Number);
  return (yb - ya) * 12 + (mb - ma);
}

/** The month `n` months after `month` (negative: before). */
export function addMonths(month: ShardId, n: number): ShardId {
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/**
 * The order a device syncs shards in: the core (authority, keys and names: everything else is
 * judged with it), then the current month and the months before it, newest first (the feed shows
 * recent activity), then months dated in the future (scheduled posts, hidden until their time;
 * a hostile member's far-future records wait behind the whole real history). Ties cannot happen:
 * ids are distinct.
 */
export function syncOrder(shards: Iterable<ShardId>, now: number): ShardId[] {
  const current = monthOf(now);
  const rank = (id: ShardId): [number, number] => {
    if (id === CORE_SHARD) return [0, 0];
    const ahead = monthsBetween(current, id);
    return ahead <= 0 ? [1, -ahead] : [2, ahead];
  };
  return [...new Set(shards)].sort((a, b) => {
    const [ga, ka] = rank(a);
    const [gb, kb] = rank(b);
    return ga - gb || ka - kb;
  });
}

/**
 * The order a device checks a batch of history in, as `syncOrder` syncs shards: core records first
 * (authority, keys, names and moderation: every other record is judged or shown with them), then
 * the rest newest first (what the feed shows first), anything dated ahead of `now` after the real
 * history (scheduled posts; a hostile member's far-future records), and values that are no record
 * last (the gate refuses them). Keeps the given order within the core and among equal times.
 * Returns the keys and how many of them are core records.
 */
export function historyOrder(keys: readonly string[], read: (key: string) => unknown, now: number): { keys: string[]; core: number } {
  const core: string[] = [];
  const dated: { key: string; ts: number }[] = [];
  const ahead: { key: string; ts: number }[] = [];
  const other: string[] = [];
  for (const key of keys) {
    const value = read(key) as { kind?: unknown; ts?: unknown } | null | undefined;
    const kind = typeof value?.kind === 'string' ? value.kind : null;
    const ts = typeof value?.ts === 'number' ? value.ts : null;
    const shard = shardOfEntry(kind, ts);
    if (shard === null) other.push(key);
    else if (shard === CORE_SHARD) core.push(key);
    else (ts! > now ? ahead : dated).push({ key, ts: ts! });
  }
  dated.sort((a, b) => b.ts - a.ts);
  ahead.sort((a, b) => a.ts - b.ts);
  return { keys: [...core, ...dated.map((d) => d.key), ...ahead.map((d) => d.key), ...other], core: core.length };
}

export interface KeepPolicy {
  /** Months kept counting back from the current one (6: this month and the five before); null keeps everything. */
  keepMonths: number | null;
  /** Shards holding records the member wrote or starred: kept whatever their age. */
  kept: ReadonlySet<ShardId>;
  /** When each shard was last read on demand (scrolled to, searched): kept for `readGraceMs` after. */
  lastRead?: ReadonlyMap<ShardId, number>;
  readGraceMs?: number;
}

/** How long a shard fetched on demand stays after its last read. */
export const READ_GRACE_MS = 7 * 24 * 3_600_000;

/** Does the device keep this shard at `now` under `policy`? The core always; future months always. */
export function keepsShard(shard: ShardId, policy: KeepPolicy, now: number): boolean {
  if (shard === CORE_SHARD || policy.keepMonths === null || policy.kept.has(shard)) return true;
  if (monthsBetween(monthOf(now), shard) > -Math.max(1, policy.keepMonths)) return true;
  const read = policy.lastRead?.get(shard);
  return read !== undefined && now - read < (policy.readGraceMs ?? READ_GRACE_MS);
}

/**
 * Which of the shards a device holds it keeps and which it evicts (oldest first). An evicted shard
 * is dropped from storage and memory and stays in the catalogue as evicted: its records and their
 * projected rows leave the device, and it is fetched again from peers or the relay when read.
 */
export function planEviction(held: Iterable<ShardId>, policy: KeepPolicy, now: number): { keep: ShardId[]; evict: ShardId[] } {
  const keep: ShardId[] = [];
  const evict: ShardId[] = [];
  for (const shard of syncOrder(held, now)) (keepsShard(shard, policy, now) ? keep : evict).push(shard);
  evict.sort();
  return { keep, evict };
}

/**
 * The decision that holds a community made as one document in shards (a `shards` record): the first,
 * in record order, by an author who is the creator or an admin and whose record stands, judged as
 * settings are (`currentSettings`): a member's or moderator's is stored and ignored by every device.
 * One way: nothing later undoes it (devices have split their document; splitting back is not built).
 * Null while there is none.
 */
export function shardDecision(records: readonly AnyRecord[], judge: SettingsJudge): SignedRecord<'shards'> | null {
  for (const r of records.filter((r) => r.kind === 'shards').sort(compareRecords)) {
    const role = judge.roleOf(r.author);
    if (r.kind === 'shards' && (role === 'creator' || role === 'admin') && judge.accepts(r)) return r;
  }
  return null;
}
