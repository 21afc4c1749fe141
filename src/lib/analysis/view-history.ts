// This device's private view history: which threads this member opened, how often, and when.
// Local only, never synced, used for the member's own recommendations and the "views on this
// device" of the dashboard. Its own small database, so the shared schema in lib/store stays as it is.
import Dexie, { type Table } from 'dexie';

export interface ViewRow {
  cid: string;
  thread: string;
  member: string;
  count: number;
  at: number;
}

export class AnalysisLocalDb extends Dexie {
  views!: Table<ViewRow, [string, string]>;

  constructor(name = 'hearth-local-analysis') {
    super(name);
    this.version(1).stores({ views: '[cid+thread], cid' });
  }
}

let shared: AnalysisLocalDb | null = null;

export function openAnalysisDb(): AnalysisLocalDb {
  return (shared ??= new AnalysisLocalDb());
}

/** Counts one view of a thread by this device's member. */
export async function recordView(cid: string, thread: string, member: string, at = Date.now(), db = openAnalysisDb()): Promise<void> {
  await db.transaction('rw', db.views, async () => {
    const row = await db.views.get([cid, thread]);
    await db.views.put({ cid, thread, member, count: (row?.count ?? 0) + 1, at });
  });
}

export async function viewsOf(cid: string, member: string, db = openAnalysisDb()): Promise<ViewRow[]> {
  return (await db.views.where('cid').equals(cid).toArray()).filter((v) => v.member === member);
}
