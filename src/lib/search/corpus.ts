// Reads the searchable documents of a community from the device's projections and records, and
// works out which documents a batch of newly accepted records may have changed.
import Dexie from 'dexie';
import type { PostRow, ThreadRow } from '../domain/posts';
import type { AnyRecord } from '../domain/record';
import type { HearthDb, StoredRecord } from '../store/db';
import { authorityOf } from '../store/projection';
import { answerDoc, noteDoc, pollDoc, questionDoc, replyDoc, threadDoc, type SearchDoc, type ThreadOfReply } from './documents';
import { postMeta } from '../store/post-bodies';
import type { IndexedThread } from './search-index';
import { recordById, recordsByAuthor, recordsById, recordsOfKind, recordsOfKinds, recordsTargeting, recordsTargetingAny } from '../store/record-store';

const RECORD_KINDS = ['question', 'answer', 'poll', 'note'] as const;
/** Records that decide whether a question, answer, poll or note is shown, and its current text. */
const LIFECYCLE_KINDS = ['edit', 'tombstone', 'hide', 'close'] as const;
/** A batch larger than this is cheaper to handle by comparing the whole index with the projections. */
export const RECONCILE_BATCH = 500;

function groupByTarget(records: StoredRecord[]): Map<string, AnyRecord[]> {
  const out = new Map<string, AnyRecord[]>();
  for (const r of records) {
    if (!r.target) continue;
    let list = out.get(r.target);
    if (!list) out.set(r.target, (list = []));
    list.push(r);
  }
  return out;
}

/** Every document of a community that members can see now. */
export async function loadAllDocs(db: HearthDb, cid: string): Promise<SearchDoc[]> {
  const [threads, replies] = await Promise.all([db.threads.where('cid').equals(cid).toArray(), db.replies.where('cid').equals(cid).toArray()]);
  const threadById = new Map(threads.map((t) => [t.id, t]));
  const replyById = new Map(replies.map((r) => [r.id, r]));
  const docs: SearchDoc[] = [];
  for (const t of threads) {
    const d = threadDoc(t);
    if (d) docs.push(d);
  }
  for (const r of replies) {
    const d = replyDoc(r, threadById.get(r.thread), r.parent ? replyById.get(r.parent) : undefined);
    if (d) docs.push(d);
  }
  const roots = await recordsOfKinds(db, cid, RECORD_KINDS);
  if (!roots.length) return docs;
  const auth = await authorityOf(db, cid);
  if (!auth) return docs;
  const related = groupByTarget(await recordsOfKinds(db, cid, [...LIFECYCLE_KINDS, 'answer', 'note-edit', 'note-access']));
  const rel = (id: string) => related.get(id) ?? [];
  const byId = new Map(roots.map((r) => [r.id, r]));
  for (const r of roots) {
    const d = recordDoc(r, rel(r.id), byId, rel, auth);
    if (d) docs.push(d);
  }
  return docs;
}

function recordDoc(
  r: AnyRecord,
  related: AnyRecord[],
  byId: ReadonlyMap<string, AnyRecord>,
  relatedOf: (id: string) => AnyRecord[],
  auth: NonNullable<Awaited<ReturnType<typeof authorityOf>>>
): SearchDoc | null {
  switch (r.kind) {
    case 'question':
      return questionDoc(r, related, auth);
    case 'answer': {
      const q = byId.get(r.body.question);
      return answerDoc(r, related, q?.kind === 'question' ? q : undefined, relatedOf(r.body.question), auth);
    }
    case 'poll':
      return pollDoc(r, related, auth);
    case 'note':
      return noteDoc(r, related, auth);
    default:
      return null;
  }
}

/**
 * The current document for each id, or null where there is nothing members may find. Reads in a
 * few batched requests (the ids, then their threads and parents, then related records), since a
 * query's latency is mostly IndexedDB round trips, and each post's text a page of 32 records. A
 * reply's thread is what `indexed` says of it where it knows it (a query's index, which holds the
 * thread as of its last update, the journal's fraction of a second behind), else its row; its parent
 * is read as a row only (`postMeta`, no page of records).
 */
export async function loadDocs(
  db: HearthDb,
  cid: string,
  ids: Iterable<string>,
  indexed?: (thread: string) => IndexedThread | undefined
): Promise<Map<string, SearchDoc | null>> {
  const list = [...new Set(ids)];
  const out = new Map<string, SearchDoc | null>();
  if (!list.length) return out;
  // Ids the index gave: a thread is one of its threads, so each is looked up in one table, not both
  // (each key is an IndexedDB request of its own).
  const asThread = indexed ? list.filter((id) => indexed(id)) : list;
  const asOther = indexed ? list.filter((id) => !indexed(id)) : list;
  // One transaction for both tables (each transaction costs a few ms of its own), none for a table not asked.
  const [threads, replies] = await db.transaction('r', db.threads, db.replies, () =>
    Promise.all([asThread.length ? db.threads.bulkGet(asThread) : [], asOther.length ? db.replies.bulkGet(asOther) : []])
  );
  const threadRows = new Map<string, ThreadRow>();
  const replyById = new Map<string, PostRow>();
  for (const t of threads) if (t && t.cid === cid) threadRows.set(t.id, t);
  for (const r of replies) if (r && r.cid === cid) replyById.set(r.id, r);

  // Second round: the threads and parents of replies, and the records of the other kinds.
  const threadById = new Map<string, ThreadOfReply>(threadRows);
  for (const r of replyById.values()) {
    const known = threadById.has(r.thread) ? undefined : indexed?.(r.thread);
    if (known) threadById.set(r.thread, { id: r.thread, deleted: false, hidden: false, ...known });
  }
  const needThreads = [...new Set([...replyById.values()].map((r) => r.thread).filter((id) => !threadById.has(id)))];
  const needParents = [...new Set([...replyById.values()].filter((r) => r.parent && r.parent !== r.thread && !replyById.has(r.parent)).map((r) => r.parent!))];
  const rest = list.filter((id) => !threadRows.has(id) && !replyById.has(id));
  const [threadMetas, parents, records] = await Promise.all([
    postMeta(db, 'threads', needThreads),
    postMeta(db, 'replies', needParents),
    recordsById(db, rest)
  ]);
  const untitled: string[] = [];
  for (const t of threadMetas) {
    if (!t) continue;
    if (t.title === undefined) untitled.push(t.id);
    else threadById.set(t.id, { ...t, title: t.title });
  }
  if (untitled.length) for (const t of await db.threads.bulkGet(untitled)) if (t) threadById.set(t.id, t);
  const parentById = new Map<string, Pick<PostRow, 'thread'>>([...replyById]);
  for (const p of parents) if (p) parentById.set(p.id, p);

  for (const id of list) {
    const t = threadRows.get(id);
    const r = replyById.get(id);
    if (t && !r) out.set(id, threadDoc(t));
    else if (r) out.set(id, replyDoc(r, threadById.get(r.thread), r.parent ? parentById.get(r.parent) : undefined));
    else out.set(id, null);
  }

  const roots = records.filter((r): r is StoredRecord => !!r && r.cid === cid && (RECORD_KINDS as readonly string[]).includes(r.kind));
  if (!roots.length) return out;
  const auth = await authorityOf(db, cid);
  if (!auth) return out;
  const byId = new Map<string, AnyRecord>(roots.map((r) => [r.id, r]));
  const questionIds = roots.flatMap((r) => (r.kind === 'answer' && !byId.has(r.body.question) ? [r.body.question] : []));
  for (const q of await recordsById(db, questionIds)) if (q) byId.set(q.id, q);
  const related = groupByTarget(await recordsTargetingAny(db, [...new Set([...roots.map((r) => r.id), ...questionIds])]));
  const rel = (x: string) => related.get(x) ?? [];
  for (const r of roots) out.set(r.id, recordDoc(r, rel(r.id), byId, rel, auth));
  return out;
}

/** What a batch of accepted records may change: these documents, or (`reconcile`) anything. */
export interface Affected {
  ids: Set<string>;
  reconcile: boolean;
}

/**
 * The documents whose visibility or text may differ after `records` were projected: the posts in
 * the batch and their targets, the replies and answers under a thread or question that changed
 * (a deleted thread takes its replies out of search), everything by a member who joined, was banned
 * or whose seat on a limited invite was confirmed (`admit`), and what a member hid when their trust
 * moved (it decides whether their hides count). Changes of roles or invites can change much at once,
 * so they ask for a full comparison.
 */
export async function affectedBy(db: HearthDb, cid: string, records: AnyRecord[]): Promise<Affected> {
  const ids = new Set<string>();
  if (records.length > RECONCILE_BATCH) return { ids, reconcile: true };
  const members = new Set<string>();
  const trusted = new Set<string>();
  for (const r of records) {
    switch (r.kind) {
      case 'thread':
      case 'reply':
      case 'question':
      case 'answer':
      case 'poll':
      case 'note':
        ids.add(r.id);
        break;
      case 'edit':
      case 'hide':
        ids.add(r.body.target);
        break;
      case 'note-edit':
      case 'note-access':
        ids.add(r.body.note);
        break;
      case 'tombstone': {
        const target = await recordById(db, r.body.target);
        if (target?.kind === 'invite') return { ids, reconcile: true };
        ids.add(r.body.target);
        break;
      }
      case 'join':
        members.add(r.author);
        break;
      case 'ban':
        members.add(r.body.member);
        break;
      case 'admit':
        // A confirmed seat shows what its newcomer wrote while it waited.
        for (const j of await recordsById(db, r.body.joins)) if (j?.kind === 'join') members.add(j.author);
        break;
      case 'trust':
      case 'trust-lock':
        trusted.add(r.body.member);
        break;
      case 'grant':
      case 'invite':
      case 'genesis':
        return { ids, reconcile: true };
    }
  }
  // A member's trust decides whether their hides count (`mayHide`): what they hid may show or not now.
  if (trusted.size) for (const h of await recordsOfKind(db, cid, 'hide', (h) => trusted.has(h.author))) ids.add(h.body.target);
  for (const key of members) {
    const own = await recordsByAuthor(db, cid, key);
    for (const r of own) if ((RECORD_KINDS as readonly string[]).includes(r.kind) || r.kind === 'thread' || r.kind === 'reply') ids.add(r.id);
  }
  // Children of threads and questions, and replies answering a reply that just arrived.
  const arrived = new Set(records.filter((r) => r.kind === 'reply').map((r) => r.id));
  const recs = await recordsById(db, [...ids]);
  for (const r of recs) {
    if (!r) continue;
    if (r.kind === 'thread') {
      for (const k of await db.replies.where('[thread+createdAt]').between([r.id, Dexie.minKey], [r.id, Dexie.maxKey]).primaryKeys()) ids.add(k);
    } else if (r.kind === 'question') {
      for (const a of await recordsTargeting(db, r.id)) if (a.kind === 'answer') ids.add(a.id);
    } else if (r.kind === 'reply' && arrived.has(r.id)) {
      const siblings = await db.replies.where('[thread+createdAt]').between([r.body.thread, Dexie.minKey], [r.body.thread, Dexie.maxKey]).toArray();
      for (const s of siblings) if (s.parent === r.id) ids.add(s.id);
    }
  }
  return { ids, reconcile: false };
}
