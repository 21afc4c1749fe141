// Follows every community this device has: opens each one's document once (one after another, so
// a device with several large communities does not stall at start, and each only once the page has
// shown its first content) and hands it to `onDoc`, also for communities created or joined later.
import { liveQuery } from 'dexie';
import type { HearthDb } from '../store/db';
import type { DocHandle as CommunityDoc } from './doc-handle';
import { openCommunityDoc } from './registry';
import { afterFirstContent } from '../state/first-content';

/** Calls `onDoc` once per community document; returns a function that stops and runs the cleanups. */
// biome-ignore lint/suspicious/noConfusingVoidType: `onDoc` may return a cleanup or nothing at all (a block body with no return)
export function watchCommunityDocs(db: HearthDb, onDoc: (doc: CommunityDoc) => (() => void) | void): () => void {
  const seen = new Set<string>();
  const cleanups: (() => void)[] = [];
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();
  const sub = liveQuery(() => db.communities.toCollection().primaryKeys()).subscribe({
    next: (cids) => {
      for (const cid of cids) {
        if (seen.has(cid)) continue;
        seen.add(cid);
        chain = chain.then(async () => {
          // The page's own queries first: a large document holds the main thread for seconds.
          await afterFirstContent();
          if (stopped) return;
          try {
            const doc = await openCommunityDoc(db, cid);
            if (stopped) return;
            const cleanup = onDoc(doc);
            if (cleanup) cleanups.push(cleanup);
          } catch (error) {
            console.error('community could not be opened', cid, error);
          }
        });
      }
    },
    error: (error) => console.error('community list', error)
  });
  return () => {
    stopped = true;
    sub.unsubscribe();
    for (const c of cleanups.splice(0)) c();
  };
}
