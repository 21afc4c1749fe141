// Every community's peer sync on this device, started without opening each community (so the inbox
// fills), also for communities created or joined later.
import type { HearthDb } from '../store/db';
import { watchCommunityDocs } from './community-docs';
import { startSync } from './registry';

/**
 * Starts each community's sync as its document opens, announcing this member (`me`) under the
 * name of the device's identity. Returns a function that stops following new communities; the
 * syncs already started keep running (the registry owns them).
 */
export function syncEveryCommunity(db: HearthDb, me: string): () => void {
  const presenceName = db.identity.get('me').then((row) => row?.name ?? '');
  return watchCommunityDocs(db, (doc) => {
    presenceName.then((name) => startSync(db, doc.cid, { key: me, name })).catch((error) => console.error('sync could not start', doc.cid, error));
  });
}
