// The feed read: one page of a community's threads at a given time, in `orderFeed`'s order
// (domain/feed.ts), from the `[cid+rank]` index without reading every thread.
import Dexie from 'dexie';
import { activityIsAhead, compareFeed, FUTURE_SKEW_MS, placeThread } from '../../domain/feed';
import { threadRank, type ThreadRow } from '../../domain/posts';
import type { HearthDb } from '../db';

/**
 * The first `limit` threads at `now` that `shown` lets through (tiers: the caller's rule). The index
 * order holds for every thread whose activity the clock has reached; the others — activity dated
 * ahead, found as two rank ranges, one per band — are placed by their replies dated up to now.
 */
export async function readFeed(db: HearthDb, cid: string, opts: { limit: number; now: number; shown: (t: ThreadRow) => boolean }): Promise<ThreadRow[]> {
  const { limit, now } = opts;
  const shown = (t: ThreadRow) => t.createdAt <= now && opts.shown(t);
  const byRank = db.threads.where('[cid+rank]');
  const inOrder = await byRank
    .between([cid, 0], [cid, Infinity])
    .reverse()
    .filter((t) => shown(t) && !activityIsAhead(t, now))
    .limit(limit)
    .toArray();
  const cutoff = now + FUTURE_SKEW_MS;
  const aheadRows = [
    ...(await byRank
      .between([cid, cutoff], [cid, threadRank(true, 0)], false, false)
      .filter(shown)
      .toArray()),
    ...(await byRank
      .between([cid, threadRank(true, cutoff)], [cid, Infinity], false, true)
      .filter(shown)
      .toArray())
  ];
  if (!aheadRows.length) return inOrder;
  const ahead = await Promise.all(
    aheadRows.map(async (t) =>
      placeThread(t, await db.replies.where('[thread+createdAt]').between([t.id, Dexie.minKey], [t.id, cutoff], true, true).toArray(), now)
    )
  );
  return [...inOrder, ...ahead].sort(compareFeed).slice(0, limit);
}
