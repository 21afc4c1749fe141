// Reminders of events, filed into this device's inbox by its own clock: no record is written, so a
// member is reminded whichever device of the community's is online, and each reminder is filed once.
import { dueReminders } from '../domain/events';
import { contentLink } from '../search/content-links';
import type { HearthDb } from '../store/db';
import { readsOver, type CommunityReads } from '../sync/community-reads';
import type { InboxDb, NotificationRow } from './inbox-db';
import { countOfKind } from '../store/record-store';

/** How often an open app looks for events about to start. */
export const REMINDER_CHECK_MS = 60_000;

export const reminderId = (event: string) => `event_reminder:${event}`;

/**
 * Files a reminder of each event `me` answered going or maybe that starts within the hour; returns the
 * new ones. The events and the answers that count come from `reads` (the community worker, from a
 * page): they take the authority and key state, which a page would replay for itself every minute.
 */
export async function fileEventReminders(
  db: HearthDb,
  inbox: InboxDb,
  me: string,
  cid: string,
  now = Date.now(),
  reads: Pick<CommunityReads, 'events'> = readsOver(db)
): Promise<NotificationRow[]> {
  // Most communities have no events: one count, not a read of every answer.
  if (!(await countOfKind(db, cid, 'event'))) return [];
  const due = dueReminders(await reads.events(cid), me, now);
  if (!due.length) return [];
  const existing = await inbox.notifications.bulkGet(due.map((e) => reminderId(e.id)));
  const fresh = due.filter((_, i) => !existing[i]);
  if (!fresh.length) return [];
  const [community, names] = await Promise.all([db.communities.get(cid), db.members.bulkGet(fresh.map((e) => [cid, e.author] as [string, string]))]);
  const rows: NotificationRow[] = fresh.map((e, i) => ({
    id: reminderId(e.id),
    cid,
    kind: 'event_reminder',
    source: e.id,
    subject: e.id,
    link: contentLink(cid, 'event', e.id),
    actor: e.author,
    actorName: names[i]?.name || e.author.slice(0, 8),
    communityName: community?.name ?? '',
    excerpt: e.title,
    ts: now,
    receivedAt: now,
    read: 0
  }));
  await inbox.notifications.bulkPut(rows);
  return rows;
}
