// Opt-in browser notifications: permission is asked only when the member presses the button, the
// choice is kept in the inbox database, and a notification is shown only while the app is in the
// background (in front, the unread badge says it).
import type { InboxDb, NotificationRow } from './inbox-db';

export type BrowserPermission = 'unsupported' | NotificationPermission;

export function browserPermission(): BrowserPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks the browser for permission (call from a button press) and remembers the member's choice. */
export async function enableBrowserNotifications(inbox: InboxDb): Promise<BrowserPermission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
  await inbox.settings.put({ key: 'browser', value: permission === 'granted' });
  return permission;
}

export async function disableBrowserNotifications(inbox: InboxDb): Promise<void> {
  await inbox.settings.put({ key: 'browser', value: false });
}

export async function browserNotificationsOn(inbox: InboxDb): Promise<boolean> {
  return (await inbox.settings.get('browser'))?.value === true && browserPermission() === 'granted';
}

/** Shows one browser notification per new inbox row; a click opens the row's link. */
export async function showBrowserNotifications(
  inbox: InboxDb,
  rows: NotificationRow[],
  text: (row: NotificationRow) => { title: string; body: string },
  open: (row: NotificationRow) => void
): Promise<void> {
  if (!rows.length || typeof document === 'undefined' || document.visibilityState === 'visible') return;
  if (!(await browserNotificationsOn(inbox))) return;
  for (const row of rows.slice(0, 5)) {
    const { title, body } = text(row);
    // `data.link` lets the service worker open the post when a notification shown through it is clicked.
    const options: NotificationOptions = { body, tag: row.id, icon: undefined, data: { link: row.link } };
    try {
      const n = new Notification(title, options);
      n.onclick = () => {
        window.focus();
        open(row);
        n.close();
      };
    } catch {
      // Mobile browsers allow notifications only through the service worker.
      const registration = await navigator.serviceWorker?.getRegistration();
      await registration?.showNotification(title, options);
    }
  }
}
