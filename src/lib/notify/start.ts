// Starts the inbox for this device: follows every community's newly accepted records (local
// writes and records from peers) and files this member's notifications. Starting the communities'
// sync, so the inbox fills without opening each one, is sync/background-sync.ts (both started by
// state/background.ts).
import { goto } from '$app/navigation';
import { base } from '$app/paths';
import type { Identity } from '../crypto/identity';
import { t } from '../i18n/index.svelte';
import type { MessageKey } from '../i18n/en';
import type { HearthDb } from '../store/db';
import { showBrowserNotifications } from './browser';
import { watchCommunityDocs } from '../sync/community-docs';
import { communityReads } from '../sync/registry';
import { openInboxDb, type InboxDb, type NotificationRow } from './inbox-db';
import { advanceCursor, catchUpInbox, notifyFromBatch } from './notifier';
import { fileEventReminders, REMINDER_CHECK_MS } from './event-reminders';

export interface NotificationOptions {
  inbox?: InboxDb;
}

export function notificationText(row: NotificationRow): { title: string; body: string } {
  return {
    title: t(`inbox.kind.${row.kind}` as MessageKey, { name: row.actorName }),
    body: `${row.excerpt}\n${t('inbox.in_community', { community: row.communityName })}`
  };
}

let running: { me: string; refs: number; stop: () => void } | null = null;

function launch(db: HearthDb, me: string, options: NotificationOptions): () => void {
  const inbox = options.inbox ?? openInboxDb();
  // One batch at a time: two announcements of one record must not both file it.
  let queue: Promise<unknown> = Promise.resolve();
  // Who is shown and who moderates is judged where the authority is (the community worker).
  const reads = communityReads(db);
  return watchCommunityDocs(db, (doc) => {
    const remind = () => fileEventReminders(db, inbox, me, doc.cid, Date.now(), reads);
    const file = (job: () => Promise<NotificationRow[]>) => {
      queue = queue
        .then(async () => {
          const fresh = await job();
          await showBrowserNotifications(inbox, fresh, notificationText, (row) => goto(`${base}${row.link}`));
        })
        .catch((error) => console.error('notifications', error));
    };
    const off = doc.onAccepted((records) =>
      file(async () => {
        const fresh = await notifyFromBatch(db, inbox, me, doc.cid, records, reads);
        await advanceCursor(inbox, doc.cid, records.length);
        // An answer (or a moved event) can make a reminder due at once.
        if (records.some((r) => r.kind === 'rsvp' || r.kind === 'event')) fresh.push(...(await remind()));
        return fresh;
      })
    );
    // What arrived while nothing listened: after subscribing, so nothing falls in between.
    file(() => catchUpInbox(db, inbox, me, doc.cid, reads));
    // Events about to start, by this device's clock.
    file(remind);
    const reminders = setInterval(() => file(remind), REMINDER_CHECK_MS);
    return () => {
      clearInterval(reminders);
      off();
    };
  });
}

/**
 * Starts notifications for this identity; call once the identity is known (the root layout).
 * Calling it again (another screen) shares the running inbox. Returns a function that releases
 * this caller's hold; the inbox stops when no caller holds it.
 */
export function startNotifications(db: HearthDb, identity: Pick<Identity, 'publicKey'>, options: NotificationOptions = {}): () => void {
  const me = identity.publicKey;
  if (running && running.me !== me) {
    running.stop();
    running = null;
  }
  running ??= { me, refs: 0, stop: launch(db, me, options) };
  running.refs++;
  const held = running;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.refs === 0) {
      held.stop();
      if (running === held) running = null;
    }
  };
}
