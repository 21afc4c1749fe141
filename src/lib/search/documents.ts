// The searchable documents of a community and where each one links to. A document exists only for
// content members can see: threads and replies come from their projected rows; questions, answers,
// polls and notes from their records through the same rules as their projections (author a member
// when writing, not deleted, not hidden), so deleted, hidden and strangers' posts are never found.
import { accessHistory, partitionEdits } from '../domain/notes';
import { NoteText } from '../notes/note-text';
import type { Authority } from '../domain/authority';
import type { PostRow, ThreadRow } from '../domain/posts';
import { projectPoll } from '../domain/polls';
import { projectAnswer, projectQuestion } from '../domain/qa';
import { compareRecords, type AnyRecord, type SignedRecord } from '../domain/record';
import { contentLink } from './content-links';
import { plainText } from './highlight';

export type SearchKind = 'thread' | 'reply' | 'question' | 'answer' | 'poll' | 'note';
export const SEARCH_KINDS: SearchKind[] = ['thread', 'reply', 'question', 'answer', 'poll', 'note'];

export interface SearchDoc {
  id: string;
  cid: string;
  kind: SearchKind;
  /** The document's own title (threads, questions, polls, notes); '' for replies and answers. */
  title: string;
  /** Indexed plain text: a post's body without Markdown, a poll's options. */
  body: string;
  /** Title of the thread or question a reply or answer belongs to: shown, not indexed. */
  context: string;
  /** The thread (for replies and polls in a thread) or question (for answers) it belongs to. */
  parent: string;
  author: string;
  ts: number;
  /** Tiers a thread (and so its replies) is limited to; [] for everyone. */
  tiers: string[];
}

/** A short fingerprint of what is indexed, to notice changed documents without keeping their text. */
export function docHash(doc: Pick<SearchDoc, 'kind' | 'title' | 'body'>): number {
  let h = 0x811c9dc5;
  const s = `${doc.kind}\u0000${doc.title}\u0000${doc.body}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Where a document is read, relative to the app's base path. */
export function searchLink(doc: Pick<SearchDoc, 'cid' | 'kind' | 'id' | 'parent'>): string {
  return contentLink(doc.cid, doc.kind, doc.id, doc.parent);
}

const visiblePost = <T extends Pick<PostRow, 'deleted' | 'hidden'>>(row: T | undefined): row is T => !!row && !row.deleted && !row.hidden;

/** What a reply's document takes of its thread. */
export type ThreadOfReply = Pick<ThreadRow, 'id' | 'title' | 'tiers' | 'deleted' | 'hidden'>;

export function threadDoc(row: ThreadRow | undefined): SearchDoc | null {
  if (!visiblePost(row)) return null;
  return {
    id: row.id,
    cid: row.cid,
    kind: 'thread',
    title: row.title ?? '',
    body: plainText(row.body),
    context: '',
    parent: '',
    author: row.author,
    ts: row.createdAt,
    tiers: row.tiers ?? []
  };
}

/**
 * A reply is found only while it and its thread are visible and it is shown in that thread (its
 * parent is the thread or a reply of the same thread, as `replyBelongs` decides for the page).
 */
export function replyDoc(row: PostRow | undefined, thread: ThreadOfReply | undefined, parent: Pick<PostRow, 'thread'> | undefined): SearchDoc | null {
  if (!visiblePost(row) || !visiblePost(thread) || row.thread !== thread.id) return null;
  if (row.parent !== row.thread && (!parent || parent.thread !== row.thread)) return null;
  return {
    id: row.id,
    cid: row.cid,
    kind: 'reply',
    title: '',
    body: plainText(row.body),
    context: thread.title ?? '',
    parent: thread.id,
    author: row.author,
    ts: row.createdAt,
    tiers: thread.tiers ?? []
  };
}

/** Hidden state from moderators' `hide` records (latest wins), for kinds whose projection has none. */
function hiddenBy(id: string, related: AnyRecord[], auth: Authority): boolean {
  let hidden = false;
  for (const r of related.filter((r) => r.kind === 'hide' && r.body.target === id).sort(compareRecords)) {
    if (r.kind === 'hide' && auth.mayHide(r.author) && auth.accepts(r)) hidden = r.body.hidden;
  }
  return hidden;
}

export function questionDoc(q: SignedRecord<'question'>, related: AnyRecord[], auth: Authority): SearchDoc | null {
  if (!auth.accepts(q)) return null;
  const row = projectQuestion(q, related, () => [], auth).question;
  if (row.deleted || row.hidden) return null;
  return {
    id: q.id,
    cid: q.cid,
    kind: 'question',
    title: row.title,
    body: plainText(row.body),
    context: '',
    parent: '',
    author: q.author,
    ts: q.ts,
    tiers: []
  };
}

/** An answer is found while it and its question are visible. */
export function answerDoc(
  a: SignedRecord<'answer'>,
  related: AnyRecord[],
  question: SignedRecord<'question'> | undefined,
  questionRelated: AnyRecord[],
  auth: Authority
): SearchDoc | null {
  if (!question || question.id !== a.body.question || !auth.accepts(a)) return null;
  const q = questionDoc(question, questionRelated, auth);
  if (!q) return null;
  const row = projectAnswer(a, related, null, auth);
  if (row.deleted || row.hidden) return null;
  return {
    id: a.id,
    cid: a.cid,
    kind: 'answer',
    title: '',
    body: plainText(row.body),
    context: q.title,
    parent: question.id,
    author: a.author,
    ts: a.ts,
    tiers: []
  };
}

export function pollDoc(p: SignedRecord<'poll'>, related: AnyRecord[], auth: Authority): SearchDoc | null {
  if (!auth.accepts(p)) return null;
  const row = projectPoll(p, related, auth);
  if (row.deleted || hiddenBy(p.id, related, auth)) return null;
  return {
    id: p.id,
    cid: p.cid,
    kind: 'poll',
    title: row.title,
    body: row.options.join(' · '),
    context: '',
    parent: row.thread,
    author: p.author,
    ts: p.ts,
    tiers: []
  };
}

/** Notes are found by their title (their text is a co-edited Yjs document, not indexed yet). */
export function noteDoc(n: SignedRecord<'note'>, related: AnyRecord[], auth: Authority): SearchDoc | null {
  if (!auth.accepts(n)) return null;
  const gone = related.some(
    (r) => r.kind === 'tombstone' && r.body.target === n.id && auth.accepts(r) && (r.author === n.author || auth.isModerator(r.author))
  );
  if (gone || hiddenBy(n.id, related, auth)) return null;
  return {
    id: n.id,
    cid: n.cid,
    kind: 'note',
    title: n.body.title,
    body: noteBody(n, related, auth),
    context: '',
    parent: '',
    author: n.author,
    ts: n.ts,
    tiers: []
  };
}

/** The note's visible text: only the edits whose authors may edit it, as the note page shows it. */
function noteBody(n: SignedRecord<'note'>, related: AnyRecord[], auth: Authority): string {
  const edits = related.filter((r): r is SignedRecord<'note-edit'> => r.kind === 'note-edit' && r.body.note === n.id);
  if (!edits.length) return '';
  const changes = related.filter((r): r is SignedRecord<'note-access'> => r.kind === 'note-access');
  const { history } = accessHistory(n, changes, auth);
  const text = new NoteText();
  for (const e of partitionEdits(n, history, edits, auth).allowed) text.apply(e);
  return text.text().slice(0, 20_000);
}
