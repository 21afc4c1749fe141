// A thread read on demand (docs/shards.md, "Which shard a record is in"): a link to a thread this
// device does not hold (in a month it evicted, or one it never fetched) asks the peers which month
// holds it (LOCATE `id`) and fetches that month, then asks which months hold what points at it (LOCATE
// `target`: its replies, their reactions and edits) and fetches those it lacks. Answers are hints: a
// fetched month passes the shard gate and the record gate like any.
import { CORE_SHARD, isShardId, type ShardId } from '../../domain/shards';
import { shardsOfIds } from '../../store/record-store';
import type { HearthDb } from '../../store/db';
import type { ThreadFetch } from '../doc-handle';
import type { LocateMode } from './shard-wire';

export interface ThreadFetching {
  readonly db: HearthDb;
  readonly cid: string;
  isHeld(shard: ShardId): boolean;
  locate(mode: LocateMode, ids: readonly string[], timeoutMs?: number): Promise<Map<string, Set<ShardId>>>;
  fetchShard(shard: string, timeoutMs?: number): Promise<boolean>;
  settled(): Promise<void>;
  peerCount(): number;
}

/** Newest first: the months a thread's replies are in start at its own and run to now. */
const newestFirst = (months: Iterable<ShardId>) => [...months].filter((m) => m !== CORE_SHARD && isShardId(m)).sort((a, b) => (a < b ? 1 : -1));

export async function fetchThread(c: ThreadFetching, id: string, timeoutMs = 20_000): Promise<ThreadFetch> {
  const fetched: string[] = [];
  const failed: string[] = [];
  const fetch = async (months: ShardId[]) => {
    const got = await Promise.all(months.map((m) => c.fetchShard(m, timeoutMs)));
    months.forEach((m, i) => (got[i] ? fetched : failed).push(m));
    if (got.some(Boolean)) await c.settled();
  };
  const stored = async () => (await shardsOfIds(c.db, c.cid, [id])).length > 0;
  let found = await stored();
  if (!found) {
    const where = (await c.locate('id', [id])).get(id) ?? new Set<ShardId>();
    await fetch(newestFirst(where).filter((m) => !c.isHeld(m)));
    found = await stored();
  }
  if (found) {
    const targets = (await c.locate('target', [id])).get(id) ?? new Set<ShardId>();
    await fetch(newestFirst(targets).filter((m) => !c.isHeld(m)));
  }
  return { found, fetched, failed, peers: c.peerCount() };
}
