// Reads one community from this device's IndexedDB inside the worker (Dexie works in workers):
// the projections, already past the validation gate, and the few raw records they do not keep.
// Reading here, not in the page, keeps the deserialisation of 100,000 rows off the main thread.
// Records are only ever added (edits, reactions and deletions are new records), so an unchanged
// record count (notices aside) means unchanged rows: a refresh then reuses the rows read last time and re-reads
// only this device's view history.
import { openDb } from '../../src/lib/store/db';
import { viewsOf } from '../../src/lib/analysis/view-history';
import { snapshotFromRows } from './from-rows';
import type { CommunitySnapshot } from './snapshot';

let last: { cid: string; me: string; records: number; snapshot: CommunitySnapshot } | null = null;

export async function loadSnapshot(cid: string, me: string): Promise<{ snapshot: CommunitySnapshot; reused: boolean }> {
  const db = openDb();
  // Notices (automation's messages to one member) feed no analysis: the weekly nudge to the creator
  // must not make the next refresh read every row again.
  const [all, notices, views] = await Promise.all([
    db.records.where('cid').equals(cid).count(),
    db.records.where('[cid+kind]').equals([cid, 'notice']).count(),
    viewsOf(cid, me)
  ]);
  const count = all - notices;
  const viewRows = views.map((v) => ({ thread: v.thread, count: v.count, at: v.at }));
  if (last && last.cid === cid && last.me === me && last.records === count) {
    const threadIds = new Set(last.snapshot.threads.map((t) => t.id));
    return { snapshot: { ...last.snapshot, views: viewRows.filter((v) => threadIds.has(v.thread)) }, reused: true };
  }
  const [members, threads, replies, records, questions, answers, noteEdits] = await Promise.all([
    db.members.where('cid').equals(cid).toArray(),
    db.threads.where('cid').equals(cid).toArray(),
    db.replies.where('cid').equals(cid).toArray(),
    db.records.where('[cid+kind]').anyOf([cid, 'reaction'], [cid, 'invite'], [cid, 'join']).toArray(),
    db.questions.where('cid').equals(cid).toArray(),
    db.answers.where('cid').equals(cid).toArray(),
    db.records.where('[cid+kind]').equals([cid, 'note-edit']).toArray()
  ]);
  const snapshot = snapshotFromRows({ cid, me, members, threads, replies, records, views: viewRows });
  const asker = new Map(questions.filter((q) => !q.deleted && !q.hidden).map((q) => [q.id, q.author]));
  snapshot.answers = answers
    .filter((a) => !a.deleted && !a.hidden && asker.has(a.question))
    .map((a) => ({ author: a.author, to: asker.get(a.question)!, ts: a.createdAt }));
  snapshot.coedits = noteEdits.flatMap((r) => (r.kind === 'note-edit' ? [{ note: r.body.note, author: r.author, ts: r.ts }] : []));
  last = { cid, me, records: count, snapshot };
  return { snapshot, reused: false };
}
