// What runs for this identity whatever the page shows: the inbox (notify/) and every community's
// peer sync (sync/), so notifications arrive without opening each community.
import type { Identity } from '../crypto/identity';
import { startNotifications } from '../notify/start';
import type { HearthDb } from '../store/db';
import { syncEveryCommunity } from '../sync/background-sync';

let running: { me: string; refs: number; stop: () => void } | null = null;

/**
 * Starts the inbox and the communities' sync for this identity; call once the identity is known.
 * Calling it again (another screen) shares what runs. Returns a function that releases this
 * caller's hold; both stop following the communities when no caller holds them.
 */
export function startBackground(db: HearthDb, identity: Pick<Identity, 'publicKey'>): () => void {
  const me = identity.publicKey;
  if (running && running.me !== me) {
    running.stop();
    running = null;
  }
  if (!running) {
    const stopInbox = startNotifications(db, identity);
    const stopSync = syncEveryCommunity(db, me);
    running = {
      me,
      refs: 0,
      stop: () => {
        stopInbox();
        stopSync();
      }
    };
  }
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
