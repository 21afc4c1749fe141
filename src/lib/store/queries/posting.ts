// The facts the posting policy (domain/posting-policy) judges a write by, read from this device's
// records: the member's standing, their posts of the last hour and, for a reply, the thread's slow
// mode and their latest reply there. The trust level comes from the caller (member stats).
import { POLICED_KINDS, type PostingFacts } from '../../domain/posting-policy';
import type { Kind } from '../../domain/record';
import type { Settings } from '../../domain/membership';
import type { Authority } from '../../domain/authority';
import type { HearthDb, StoredRecord } from '../db';
import { authorityOf } from '../projection';
import { recordsByAuthorBetween, recordsOfKindsTargeting } from '../record-store';

const HOUR_MS = 3_600_000;

export async function postingFacts(
  db: HearthDb,
  cid: string,
  me: string,
  write: { kind: Kind; thread?: string; now: number },
  trustLevel: () => Promise<number>,
  watchedWords: Settings['watchedWords'] | undefined
): Promise<PostingFacts> {
  const auth = await authorityOf(db, cid);
  const membership = auth?.members.get(me);
  const banned = membership?.bannedAt !== null && membership?.bannedAt !== undefined;
  const staff = !banned && !!auth?.isModerator(me);
  const facts: PostingFacts = {
    banned,
    staff,
    trustLevel: 0,
    watchedWords,
    recentPosts: [],
    slowSeconds: 0,
    lastInThread: null
  };
  if (!readsTrust(facts, write.kind)) return facts;
  facts.trustLevel = await trustLevel();
  const mine = await recordsByAuthorBetween(db, cid, me, write.now - HOUR_MS, Infinity, { includeFrom: false, includeTo: true });
  facts.recentPosts = mine.filter((r) => POLICED_KINDS.has(r.kind)).map((r) => r.ts);
  if (write.kind === 'reply' && write.thread) {
    const thread = write.thread;
    facts.slowSeconds = slowModeIn(await recordsOfKindsTargeting(db, thread, ['slowmode']), auth);
    // Only a reply of mine within the slow-mode window can hold this one back (or one dated ahead of
    // now): read those, not every reply of the thread. The last hour's are read above already.
    if (facts.slowSeconds > 0) {
      const from = write.now - facts.slowSeconds * 1000;
      const since = from >= write.now - HOUR_MS ? mine : await recordsByAuthorBetween(db, cid, me, from, Infinity, { includeFrom: false, includeTo: true });
      const mineHere = since.filter((r) => r.kind === 'reply' && r.body.thread === thread && r.ts > from).map((r) => r.ts);
      facts.lastInThread = mineHere.length ? Math.max(...mineHere) : null;
    }
  }
  return facts;
}

/** Whether the verdict on this write reads the member's trust level: a policed post by a member who is neither removed nor staff. */
export function readsTrust(facts: Pick<PostingFacts, 'banned' | 'staff'>, kind: Kind): boolean {
  return !facts.banned && !facts.staff && POLICED_KINDS.has(kind);
}

/** A thread's slow mode in seconds (0: off): the latest setting by a moderator, among its records. */
export function slowModeIn(inThread: readonly StoredRecord[], auth: Authority | null): number {
  const latest = inThread.filter((r) => r.kind === 'slowmode' && !!auth?.isModerator(r.author)).sort((x, y) => y.ts - x.ts)[0];
  return latest?.kind === 'slowmode' ? latest.body.seconds : 0;
}

/** A thread's slow mode in seconds (0: off), read from this device's records. */
export async function threadSlowMode(db: HearthDb, cid: string, thread: string): Promise<number> {
  const [settings, auth] = await Promise.all([recordsOfKindsTargeting(db, thread, ['slowmode']), authorityOf(db, cid)]);
  return slowModeIn(settings, auth);
}
