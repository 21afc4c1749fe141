// The feed's order at a given time: projected thread rows ranked by pin and activity, with activity
// dated ahead of the reader's clock not counted yet.
//
// Projections are pure functions of the records (no clock), so a thread's `lastActivity` and `rank`
// take every live reply's ts as written — a reply dated year 275760 included. The rule applied when
// the feed is read: a reply counts as activity only once the clock (plus FUTURE_SKEW_MS for clocks
// that run a little fast) has reached its ts. A thread whose projected activity is ahead is placed
// by its latest reply that is not, or by its own ts. Such threads are few (an honest client dates
// records with its clock), so the reader re-places just those and trusts the index for the rest.
import { threadRank, type PostRow, type ThreadRow } from './posts';

/** How far ahead of this device's clock a record may be dated and still count as activity now. */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** True when the projected activity counts a reply the clock has not reached: its place must be recomputed. */
export function activityIsAhead(thread: ThreadRow, now: number): boolean {
  return thread.lastActivity > now + FUTURE_SKEW_MS;
}

/**
 * The thread as the feed places it at `now`: activity from its live replies dated up to now plus
 * the skew (the same replies `projectThread` counts), never before its own ts. `replies` may hold
 * any replies of the thread; the others are ignored.
 */
export function placeThread(thread: ThreadRow, replies: readonly PostRow[], now: number): ThreadRow {
  if (!activityIsAhead(thread, now)) return thread;
  const activity = activityAsOf(
    thread.createdAt,
    replies.filter((r) => r.thread === thread.id),
    now
  );
  return { ...thread, lastActivity: activity, rank: threadRank(thread.pinned, activity) };
}

/**
 * The same rule for any post with responses (a thread's replies, a question's answers): the latest
 * live response dated up to `now` plus the skew, never before the post's own ts.
 */
export function activityAsOf(createdAt: number, responses: readonly { createdAt: number; deleted: boolean; hidden: boolean }[], now: number): number {
  const cutoff = now + FUTURE_SKEW_MS;
  let activity = Math.min(createdAt, cutoff);
  for (const r of responses) if (!r.deleted && !r.hidden && r.createdAt <= cutoff && r.createdAt > activity) activity = r.createdAt;
  return activity;
}

/**
 * The whole feed at `now` from the projected rows, best first: the reference the paged database read
 * in `CommunityState.feed` follows. Deleted, hidden and superseded threads (rank -1) and threads
 * scheduled after `now` are left out.
 */
export function orderFeed(threads: readonly ThreadRow[], replies: readonly PostRow[], now: number): ThreadRow[] {
  const byThread = new Map<string, PostRow[]>();
  for (const r of replies) {
    let list = byThread.get(r.thread);
    if (!list) byThread.set(r.thread, (list = []));
    list.push(r);
  }
  return threads
    .filter((t) => t.rank >= 0 && t.createdAt <= now)
    .map((t) => placeThread(t, byThread.get(t.id) ?? [], now))
    .sort(compareFeed);
}

/** Feed order: higher rank first; equal ranks as the `[cid+rank]` index read backwards gives them (id descending). */
export function compareFeed(a: ThreadRow, b: ThreadRow): number {
  return b.rank - a.rank || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
