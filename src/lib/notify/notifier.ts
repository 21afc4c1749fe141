// Files the notifications a batch of newly accepted records gives this member into the inbox, and
// takes away those whose content was deleted or hidden.
import type { Judged } from '../domain/authority';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { readsOver, type CommunityReads } from '../sync/community-reads';
import { deriveNotification, neededIds, retractedBy, type DeriveContext, type Derived } from './derive';
import type { InboxDb, NotificationRow } from './inbox-db';
import { countRecords } from '../store/record-store';

const RETRACTING_KINDS = ['tombstone', 'hide'] as const;
const RETRACTING = new Set<string>(RETRACTING_KINDS);
const LATE_JOINS = 50;
/** Kinds that can notify or retract: what a catch-up reads again. */
const NOTIFY_KINDS = ['thread', 'reply', 'question', 'answer', 'accept', 'poll', 'challenge', 'event', 'tombstone', 'hide'] as const;
const CATCH_UP_CHUNK = 500;

/**
 * What the inbox asks where the authority and the records are (the community worker, from a page:
 * sync/community-reads): which records are shown and who moderates, the records a notification is
 * derived from, and what a catch-up reads. A page reads no record itself: finding content takes the
 * store's catalogue of every record, which the worker keeps and a page would build on its own.
 */
export type InboxReads = Pick<CommunityReads, 'judge' | 'recordsSince' | 'recordsById' | 'recordsOfAuthorSince' | 'recordsTargetingEach'>;

const judgedOf = (r: AnyRecord & { held?: unknown }): Judged => ({ id: r.id, author: r.author, ts: r.ts, ...(r.held ? { held: r.held } : {}) });

/** Returns the notifications that are new in the inbox. */
export async function notifyFromBatch(
  db: HearthDb,
  inbox: InboxDb,
  me: string,
  cid: string,
  records: AnyRecord[],
  reads: InboxReads = readsOver(db)
): Promise<NotificationRow[]> {
  if (!records.length) return [];
  const community = await db.communities.get(cid);
  const since = community?.addedAt ?? 0;

  // Only news can notify; deletions and hiding can retract whatever their time.
  const byId = new Map(records.filter((r) => r.ts >= since || RETRACTING.has(r.kind)).map((r) => [r.id, r]));
  // A member's posts can arrive before their join: once the join comes, their posts count. (A
  // batch with many joins is an initial sync, which carries their posts along.)
  const joined = new Set(records.filter((r) => r.kind === 'join').map((r) => r.author));
  // Admits naming more joins than that are history too (an open invite's members kept past its
  // revocation, 200 to a record): a newcomer's lobby at 10,000 members brought 52 of them, and reading
  // their 10,400 joins held its device's IndexedDB 0.4 s while its own join waited to be written.
  const admitted = records.flatMap((r) => (r.kind === 'admit' ? r.body.joins : []));
  if (admitted.length && admitted.length <= LATE_JOINS) for (const j of await reads.recordsById(cid, admitted)) if (j) joined.add(j.author);
  const late = joined.size <= LATE_JOINS ? [...joined] : [];
  // Dated from `since` on: after `since - 1` (record times are whole milliseconds).
  for (const own of await Promise.all(late.map((author) => reads.recordsOfAuthorSince(cid, author, since - 1))))
    for (const r of own) if (r.ts >= since && !byId.has(r.id)) byId.set(r.id, r);
  const candidates = [...byId.values()];
  const missing = neededIds(candidates).filter((id) => !byId.has(id));
  const fetched = new Map((missing.length ? await reads.recordsById(cid, missing) : []).filter((r) => r !== null).map((r) => [r.id, r]));
  // Judged where the authority is: which of these are shown, who moderates.
  const judgement = await reads.judge(cid, candidates.map(judgedOf));
  if (!judgement) return [];
  const accepted = new Set(judgement.accepted);
  const moderators = new Set(judgement.moderators);
  const staff = new Set(judgement.staff);
  const ctx: DeriveContext = {
    me,
    since,
    accepts: (r) => accepted.has(r.id),
    isModerator: (key) => moderators.has(key),
    isStaff: (key) => staff.has(key),
    get: (id) => byId.get(id) ?? fetched.get(id)
  };

  const retracted = new Set(candidates.map((r) => retractedBy(r, ctx)).filter((id): id is string => id !== null));
  const found: Derived[] = [];
  for (const r of candidates) {
    const d = deriveNotification(r, ctx);
    if (d && !retracted.has(d.subject)) found.push(d);
  }
  // A deletion may have arrived before the post it deletes: what targets each subject, judged too.
  const subjects = [...new Set(found.map((d) => d.subject))];
  const targeting = subjects.length ? await reads.recordsTargetingEach(cid, subjects) : [];
  const related = new Map<string, AnyRecord[]>(subjects.map((subject, i) => [subject, targeting[i] ?? []]));
  const unjudged = [...related.values()].flat().filter((r) => !byId.has(r.id));
  if (unjudged.length) for (const id of (await reads.judge(cid, unjudged.map(judgedOf)))?.accepted ?? []) accepted.add(id);
  const derived = found.filter((d) => !related.get(d.subject)!.some((x) => retractedBy(x, ctx) === d.subject));

  if (retracted.size)
    await inbox.notifications
      .where('subject')
      .anyOf([...retracted])
      .filter((n) => n.cid === cid)
      .delete();
  if (!derived.length) return [];
  const names = await db.members.bulkGet(derived.map((d) => [cid, d.actor] as [string, string]));
  const now = Date.now();
  const rows: NotificationRow[] = derived.map((d, i) => ({
    id: `${d.kind}:${d.source}`,
    cid,
    ...d,
    actorName: names[i]?.name || d.actor.slice(0, 8),
    communityName: community?.name ?? '',
    receivedAt: now,
    read: 0
  }));
  const existing = await inbox.notifications.bulkGet(rows.map((r) => r.id));
  const fresh = rows.filter((_r, i) => !existing[i]);
  await inbox.notifications.bulkPut(fresh);
  return fresh;
}

/**
 * Looks again at a community's records when their count differs from what the inbox has seen:
 * records that arrived while nothing listened (before the inbox started, in a crash) still
 * notify. Filing is idempotent, so reading a record twice never files it twice.
 */
export async function catchUpInbox(db: HearthDb, inbox: InboxDb, me: string, cid: string, reads: InboxReads = readsOver(db)): Promise<NotificationRow[]> {
  const records = await countRecords(db, cid);
  if ((await inbox.cursors.get(cid))?.records === records) return [];
  const since = (await db.communities.get(cid))?.addedAt ?? 0;
  const candidates = await reads.recordsSince(cid, NOTIFY_KINDS, since, RETRACTING_KINDS);
  const fresh: NotificationRow[] = [];
  for (let i = 0; i < candidates.length; i += CATCH_UP_CHUNK) {
    fresh.push(...(await notifyFromBatch(db, inbox, me, cid, candidates.slice(i, i + CATCH_UP_CHUNK), reads)));
  }
  await inbox.cursors.put({ cid, records });
  return fresh;
}

/** Counts a processed batch as seen, so the next catch-up finds nothing to read again. */
export async function advanceCursor(inbox: InboxDb, cid: string, batch: number): Promise<void> {
  await inbox.transaction('rw', inbox.cursors, async () => {
    const cursor = await inbox.cursors.get(cid);
    if (cursor) await inbox.cursors.put({ cid, records: cursor.records + batch });
  });
}
