// Reads one community from this device's IndexedDB inside the worker (Dexie works in workers):
// the projections, already past the validation gate, and the few raw records they do not keep.
// Reading here, not in the page, keeps the deserialisation of 100,000 rows off the main thread.
import { openDb } from '../../src/lib/store/db';
import { viewsOf } from '../../src/lib/analysis/view-history';
import { snapshotFromRows } from './from-rows';
import type { CommunitySnapshot } from './snapshot';

export async function loadSnapshot(cid: string, me: string): Promise<CommunitySnapshot> {
  const db = openDb();
  const [members, threads, replies, records, views] = await Promise.all([
    db.members.where('cid').equals(cid).toArray(),
    db.threads.where('cid').equals(cid).toArray(),
    db.replies.where('cid').equals(cid).toArray(),
    db.records.where('[cid+kind]').anyOf([cid, 'reaction'], [cid, 'invite'], [cid, 'join']).toArray(),
    viewsOf(cid, me)
  ]);
  return snapshotFromRows({ cid, me, members, threads, replies, records, views: views.map((v) => ({ thread: v.thread, count: v.count, at: v.at })) });
}
