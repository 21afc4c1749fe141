// A community's own inbox (its tab in the community navigation) lists and clears only that
// community's notifications; the inbox of all communities keeps every one.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { InboxDb, type NotificationRow } from './inbox-db';
import { inboxItems, markAllRead } from './inbox.svelte';

const row = (cid: string, n: number, read: 0 | 1 = 0): NotificationRow => ({
  id: `reply:${cid}-${n}`,
  cid,
  kind: 'reply',
  source: `${cid}-${n}`,
  subject: 't',
  link: `/c/${cid}/t/t`,
  actor: 'bob',
  actorName: 'Bob',
  communityName: cid,
  excerpt: `reply ${n}`,
  ts: 1_000 + n,
  receivedAt: 1_000 + n,
  read
});

describe('a community inbox', () => {
  it('lists only its community, newest first, and marks only its own read', async () => {
    const db = new InboxDb(`inbox-scope-${Math.random()}`);
    try {
      await db.notifications.bulkPut([row('lake', 1), row('lake', 3), row('hill', 2), row('lake', 0, 1)]);
      expect((await inboxItems(db, 50, 'lake')).map((n) => n.excerpt)).toEqual(['reply 3', 'reply 1', 'reply 0']);
      expect((await inboxItems(db, 2, 'lake')).map((n) => n.excerpt)).toEqual(['reply 3', 'reply 1']);
      expect((await inboxItems(db, 50)).map((n) => n.excerpt)).toEqual(['reply 3', 'reply 2', 'reply 1', 'reply 0']);

      expect(await markAllRead(db, 'lake')).toBe(2);
      expect(await db.notifications.where('[cid+read]').equals(['lake', 0]).count()).toBe(0);
      // The other community's notification is still unread in the inbox of all communities.
      expect((await db.notifications.get('reply:hill-2'))?.read).toBe(0);
      expect(await markAllRead(db)).toBe(1);
    } finally {
      db.close();
    }
  });
});
