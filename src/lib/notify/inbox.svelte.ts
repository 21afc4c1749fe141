// Reactive inbox for the inbox screen and the header badge: notifications newest first, unread
// counts, marking as read, and the browser-notification switch.
import { Live } from '../state/live.svelte';
import { browserNotificationsOn, browserPermission, disableBrowserNotifications, enableBrowserNotifications, type BrowserPermission } from './browser';
import { openInboxDb, type InboxDb, type NotificationRow } from './inbox-db';

export const INBOX_PAGE = 50;

/** Unread notifications on this device, across communities (the header badge) or in one. */
export class InboxUnread {
  readonly #count: Live<number>;

  constructor(inbox: InboxDb = openInboxDb(), cid?: string) {
    this.#count = new Live(
      () => () => (cid ? inbox.notifications.where('[cid+read]').equals([cid, 0]).count() : inbox.notifications.where('read').equals(0).count()),
      0
    );
  }

  get count(): number {
    return this.#count.value;
  }
}

/** The newest `limit` notifications, of one community when `cid` is given. */
export async function inboxItems(inbox: InboxDb, limit: number, cid?: string): Promise<NotificationRow[]> {
  return cid
    ? (await inbox.notifications.where('cid').equals(cid).reverse().sortBy('ts')).slice(0, limit)
    : inbox.notifications.orderBy('ts').reverse().limit(limit).toArray();
}

/** Marks every unread notification read, of one community when `cid` is given. */
export function markAllRead(inbox: InboxDb, cid?: string): Promise<number> {
  const unread = cid ? inbox.notifications.where('[cid+read]').equals([cid, 0]) : inbox.notifications.where('read').equals(0);
  return unread.modify({ read: 1 });
}

export class InboxState {
  readonly items: Live<NotificationRow[]>;
  readonly unread: InboxUnread;
  limit = $state(INBOX_PAGE);
  permission = $state<BrowserPermission>(browserPermission());
  browserOn = $state(false);

  /** With `cid`, only that community's notifications (the community's own inbox tab). */
  constructor(
    readonly inbox: InboxDb = openInboxDb(),
    readonly cid?: string
  ) {
    this.items = new Live(() => {
      const n = this.limit;
      return () => inboxItems(inbox, n, cid);
    }, []);
    this.unread = new InboxUnread(inbox, cid);
    void browserNotificationsOn(inbox).then((on) => (this.browserOn = on));
  }

  markRead(id: string): Promise<unknown> {
    return this.inbox.notifications.update(id, { read: 1 });
  }

  markAllRead(): Promise<unknown> {
    return markAllRead(this.inbox, this.cid);
  }

  /** Only from a button press: browsers refuse (or remember a refusal of) unprompted requests. */
  async enableBrowser(): Promise<void> {
    this.permission = await enableBrowserNotifications(this.inbox);
    this.browserOn = this.permission === 'granted';
  }

  async disableBrowser(): Promise<void> {
    await disableBrowserNotifications(this.inbox);
    this.browserOn = false;
  }
}
