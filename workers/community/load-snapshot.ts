// Reads one community from this device's IndexedDB inside the worker (Dexie works in workers):
// the projections, already past the validation gate, and the few raw records they do not keep.
// Reading here, not in the page, keeps the deserialisation of 100,000 rows off the main thread.
// Records are only ever added (edits, reactions and deletions are new records), so an unchanged
// record count (notices, checkpoints and levels aside: `UNREAD_KINDS`) means unchanged rows: a
// refresh then reuses the rows read last time and re-reads only this device's view history. The community document's ingest mark, one small
// row, tells first whether anything arrived at all.
import { currentSettings, recommendationDiversity, settingsJudgeFromMembers } from '../../src/lib/domain/membership';
import { openDb } from '../../src/lib/store/db';
import { authorityOf, forgetAuthority } from '../../src/lib/store/projection';
import { viewsOf } from '../../src/lib/analysis/view-history';
import { snapshotFromRows } from './from-rows';
import type { CommunitySnapshot } from './snapshot';
import { countOfKind, countRecords, recordsOfKind, recordsOfKinds } from '../../src/lib/store/record-store';

/**
 * What a read saw: the records that feed the analyses, the level records (whose number says whether
 * those about this member need counting again), and the level records about this member.
 */
interface Counts {
  records: number;
  levels: number;
  levelsOfMe: number;
}

let last: { cid: string; me: string; counts: Counts; mark: Uint8Array | null; snapshot: CommunitySnapshot } | null = null;

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Kinds stored records may be of without changing anything the analyses read: notices (automation's
 * messages to one member), checkpoints, and points levels. The creator's automation publishes levels
 * a few at a time as members' points move (at 10k, one to four between two refreshes), and every
 * refresh re-read the whole community in both analysis workers for them (load 15 s of a 21 s refresh).
 * A level about this member may open level-limited content on this device: those are counted apart.
 */
const UNREAD_KINDS = ['notice', 'checkpoint', 'level'] as const;

/** Stored records that feed the analyses (all but `UNREAD_KINDS`), and the level records about `me`. */
async function countsOf(cid: string, me: string, kept: Counts | null): Promise<Counts> {
  const db = openDb();
  const [all, ...unread] = await Promise.all([countRecords(db, cid), ...UNREAD_KINDS.map((kind) => countOfKind(db, cid, kind))]);
  const levels = unread[UNREAD_KINDS.indexOf('level')];
  // Read only when levels were published since: one small range (a level is a member and a number).
  const levelsOfMe = kept && kept.levels === levels ? kept.levelsOfMe : await countOfKind(db, cid, 'level', (r) => r.body.member === me);
  return { records: all - unread.reduce((a, b) => a + b, 0), levelsOfMe, levels };
}

/** Resolves as `read` does, noting in `steps` when it answered (ms since `start`). */
function timed<T>(steps: Record<string, number>, name: string, start: number, read: Promise<T>): Promise<T> {
  return read.then((value) => {
    steps[name] = Math.round(performance.now() - start);
    return value;
  });
}

/**
 * The authority replayed afresh: this worker's database handle hears of no batch, so a cached one
 * would miss a grant or ban made since. Only when a banned member wrote settings (see
 * `settingsJudgeFromMembers`): a replay reads every join of the community again (10,000 at 10k), in
 * each of the two workers, on every refresh that reads the rows.
 */
function replayedAuthority(db: ReturnType<typeof openDb>, cid: string) {
  forgetAuthority(db, cid);
  return authorityOf(db, cid);
}

export async function loadSnapshot(cid: string, me: string, steps: Record<string, number> = {}): Promise<{ snapshot: CommunitySnapshot; reused: boolean }> {
  const start = performance.now();
  const db = openDb();
  // The ingest mark (where the gate left off, one small row) changes whenever records were checked
  // and projected: while it holds, nothing was, and the rows read last time are current. Counting
  // 100,000 index entries took 0.5–4 s beside the other readers; it is done only once the mark moved.
  const [mark, views] = await Promise.all([db.ingestMarks.get(cid), viewsOf(cid, me)]);
  const viewRows = views.map((v) => ({ thread: v.thread, count: v.count, at: v.at }));
  const reuse = (kept: NonNullable<typeof last>) => {
    const threadIds = new Set(kept.snapshot.threads.map((t) => t.id));
    return { snapshot: { ...kept.snapshot, views: viewRows.filter((v) => threadIds.has(v.thread)) }, reused: true };
  };
  const kept = last && last.cid === cid && last.me === me ? last : null;
  if (kept && sameBytes(kept.mark, mark?.snapshot)) return reuse(kept);
  const counts = await countsOf(cid, me, kept?.counts ?? null);
  if (kept && kept.counts.records === counts.records && kept.counts.levelsOfMe === counts.levelsOfMe) {
    kept.mark = mark?.snapshot ?? null;
    kept.counts = counts;
    return reuse(kept);
  }
  steps.count = Math.round(performance.now() - start);
  const t = <T>(name: string, read: Promise<T>) => timed(steps, name, start, read);
  const [members, threads, replies, records, questions, answers, noteEdits, settings] = await Promise.all([
    t('members', db.members.where('cid').equals(cid).toArray()),
    t('threads', db.threads.where('cid').equals(cid).toArray()),
    t('replies', db.replies.where('cid').equals(cid).toArray()),
    t('records', recordsOfKinds(db, cid, ['reaction', 'invite', 'join'])),
    t('questions', db.questions.where('cid').equals(cid).toArray()),
    t('answers', db.answers.where('cid').equals(cid).toArray()),
    t('noteEdits', recordsOfKind(db, cid, 'note-edit')),
    t('settings', recordsOfKinds(db, cid, ['settings']))
  ]);
  const snapshot = snapshotFromRows({ cid, me, members, threads, replies, records, views: viewRows });
  // Only the creator's or an admin's settings count (currentSettings), as on every other page.
  const judge = settingsJudgeFromMembers(settings, members) ?? (await t('authority', replayedAuthority(db, cid)));
  if (judge) snapshot.diversity = recommendationDiversity(currentSettings(settings, judge));
  const asker = new Map(questions.filter((q) => !q.deleted && !q.hidden).map((q) => [q.id, q.author]));
  snapshot.answers = answers
    .filter((a) => !a.deleted && !a.hidden && asker.has(a.question))
    .map((a) => ({ author: a.author, to: asker.get(a.question)!, ts: a.createdAt }));
  snapshot.coedits = noteEdits.flatMap((r) => (r.kind === 'note-edit' ? [{ note: r.body.note, author: r.author, ts: r.ts }] : []));
  last = { cid, me, counts, mark: mark?.snapshot ?? null, snapshot };
  steps.snapshot = Math.round(performance.now() - start);
  return { snapshot, reused: false };
}
