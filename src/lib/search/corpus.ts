// Reads the searchable documents of a community from the device's projections and records, and
// works out which documents a batch of newly accepted records may have changed.
import Dexie from 'dexie';
import type { PostRow, ThreadRow } from '../domain/posts';
import type { AnyRecord } from '../domain/record';
import type { HearthDb, StoredRecord } from '../store/db';
import { authorityOf } from '../store/projection';
import { answerDoc, noteDoc, pollDoc, questionDoc, replyDoc, threadDoc, type SearchDoc } from './documents';

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
  const roots = await db.records
    .where('[cid+kind]')
    .anyOf(RECORD_KINDS.map((k) => [cid, k]))
    .toArray();
  if (!roots.length) return docs;
  const auth = await authorityOf(db, cid);
  if (!auth) return docs;
  const related = groupByTarget(
    await db.records
      .where('[cid+kind]')
      .anyOf([...LIFECYCLE_KINDS, 'answer'].map((k) => [cid, k]))
      .toArray()
  );
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

/** The current document for each id, or null where there is nothing members may find. */
export async function loadDocs(db: HearthDb, cid: string, ids: Iterable<string>): Promise<Map<string, SearchDoc | null>> {
  const list = [...new Set(ids)];
  const out = new Map<string, SearchDoc | null>();
  if (!list.length) return out;
  const [threads, replies, records] = await Promise.all([db.threads.bulkGet(list), db.replies.bulkGet(list), db.records.bulkGet(list)]);
  const threadCache = new Map<string, ThreadRow | undefined>();
  const thread = async (id: string) => {
    if (!threadCache.has(id)) threadCache.set(id, await db.threads.get(id));
    return threadCache.get(id);
  };
  let auth: Awaited<ReturnType<typeof authorityOf>> | undefined;
  const relatedCache = new Map<string, AnyRecord[]>();
  const relatedOf = async (id: string) => {
    if (!relatedCache.has(id)) relatedCache.set(id, await db.records.where('target').equals(id).toArray());
    return relatedCache.get(id)!;
  };
  for (const [i, id] of list.entries()) {
    const t = threads[i];
    const r = replies[i];
    const rec = records[i];
    let doc: SearchDoc | null = null;
    if (t && t.cid === cid) doc = threadDoc(t);
    else if (r && r.cid === cid) {
      const parent: PostRow | undefined = r.parent && r.parent !== r.thread ? await db.replies.get(r.parent) : undefined;
      doc = replyDoc(r, await thread(r.thread), parent);
    } else if (rec && rec.cid === cid && (RECORD_KINDS as readonly string[]).includes(rec.kind)) {
      auth ??= await authorityOf(db, cid);
      if (auth) {
        const byId = new Map<string, AnyRecord>();
        if (rec.kind === 'answer') {
          const q = await db.records.get(rec.body.question);
          if (q) byId.set(q.id, q);
          await relatedOf(rec.body.question);
        }
        const rel = await relatedOf(id);
        const a = auth;
        doc = recordDoc(rec, rel, byId, (x) => relatedCache.get(x) ?? [], a);
      }
    }
    out.set(id, doc);
  }
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
 * (a deleted thread takes its replies out of search), and everything by a member who joined or was
 * banned. Changes of roles or invites can change much at once, so they ask for a full comparison.
 */
export async function affectedBy(db: HearthDb, cid: string, records: AnyRecord[]): Promise<Affected> {
  const ids = new Set<string>();
  if (records.length > RECONCILE_BATCH) return { ids, reconcile: true };
  const members = new Set<string>();
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
      case 'tombstone': {
        const target = await db.records.get(r.body.target);
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
      case 'grant':
      case 'invite':
      case 'genesis':
        return { ids, reconcile: true };
    }
  }
  for (const key of members) {
    const own = await db.records.where('[cid+author]').equals([cid, key]).toArray();
    for (const r of own) if ((RECORD_KINDS as readonly string[]).includes(r.kind) || r.kind === 'thread' || r.kind === 'reply') ids.add(r.id);
  }
  // Children of threads and questions, and replies answering a reply that just arrived.
  const arrived = new Set(records.filter((r) => r.kind === 'reply').map((r) => r.id));
  const recs = await db.records.bulkGet([...ids]);
  for (const r of recs) {
    if (!r) continue;
    if (r.kind === 'thread') {
      for (const k of await db.replies.where('[thread+createdAt]').between([r.id, Dexie.minKey], [r.id, Dexie.maxKey]).primaryKeys()) ids.add(k);
    } else if (r.kind === 'question') {
      for (const a of await db.records.where('target').equals(r.id).toArray()) if (a.kind === 'answer') ids.add(a.id);
    } else if (r.kind === 'reply' && arrived.has(r.id)) {
      const siblings = await db.replies.where('[thread+createdAt]').between([r.body.thread, Dexie.minKey], [r.body.thread, Dexie.maxKey]).toArray();
      for (const s of siblings) if (s.parent === r.id) ids.add(s.id);
    }
  }
  return { ids, reconcile: false };
}

