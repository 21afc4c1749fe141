// Questions and answers: upvotes, and the accepted answer, decided by rules every peer applies
// alike. Only the asker or a moderator may accept; the latest valid `accept` record wins.
import type { Authority } from './authority';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export interface AnswerRow {
  id: string;
  cid: string;
  question: string;
  author: string;
  createdAt: number;
  body: string;
  upvotes: string[];
  accepted: boolean;
  edits: number;
  deleted: boolean;
  hidden: boolean;
}

export interface QuestionRow {
  id: string;
  cid: string;
  author: string;
  createdAt: number;
  title: string;
  body: string;
  /** The member this question was asked to, or '' for the whole community (indexable). */
  askTo: string;
  upvotes: string[];
  answerCount: number;
  acceptedAnswer: string | null;
  /** 1 when an answer is accepted: numbers index in IndexedDB, booleans do not. */
  solved: 0 | 1;
  /** When the first live answer came, for time-to-first-answer. */
  firstAnswerAt: number | null;
  lastActivity: number;
  edits: number;
  deleted: boolean;
  hidden: boolean;
  /** Feed key; -1 keeps deleted and hidden questions out of lists. */
  rank: number;
}

/** Latest on/off per member among upvote records: one counted upvote per member. */
export function upvotersOf(targetId: string, related: AnyRecord[], auth: Authority): string[] {
  const latest = new Map<string, boolean>();
  for (const r of related.filter((r) => r.kind === 'upvote' && r.body.target === targetId).sort(compareRecords)) {
    if (r.kind === 'upvote' && auth.accepts(r)) latest.set(r.author, r.body.on);
  }
  return [...latest]
    .filter(([, on]) => on)
    .map(([k]) => k)
    .sort();
}

/** Edits, deletion and hiding of a question or answer, as for posts. */
function lifecycle(post: AnyRecord, related: AnyRecord[], auth: Authority) {
  let body = 'body' in post.body && typeof post.body.body === 'string' ? post.body.body : '';
  let title = post.kind === 'question' ? post.body.title : '';
  let edits = 0;
  let deleted = false;
  let hidden = false;
  for (const r of related.filter((r) => 'target' in r.body && r.body.target === post.id).sort(compareRecords)) {
    if (!auth.accepts(r)) continue;
    if (r.kind === 'edit' && r.author === post.author) {
      body = r.body.body;
      if (r.body.title) title = r.body.title;
      edits++;
    } else if (r.kind === 'tombstone' && (r.author === post.author || auth.isModerator(r.author))) deleted = true;
    else if (r.kind === 'hide' && auth.mayHide(r.author)) hidden = r.body.hidden;
  }
  return { body: deleted ? '' : body, title, edits, deleted, hidden };
}

export function projectAnswer(answer: SignedRecord<'answer'>, related: AnyRecord[], acceptedId: string | null, auth: Authority): AnswerRow {
  const life = lifecycle(answer, related, auth);
  return {
    id: answer.id,
    cid: answer.cid,
    question: answer.body.question,
    author: answer.author,
    createdAt: answer.ts,
    body: life.body,
    upvotes: upvotersOf(answer.id, related, auth),
    accepted: acceptedId === answer.id,
    edits: life.edits,
    deleted: life.deleted,
    hidden: life.hidden
  };
}

/**
 * The accepted answer: the latest `accept` by the asker or a moderator that names an answer to
 * this question (or null to withdraw). Anyone else's accept records are ignored.
 */
export function acceptedAnswer(question: SignedRecord<'question'>, related: AnyRecord[], answerIds: ReadonlySet<string>, auth: Authority): string | null {
  let accepted: string | null = null;
  for (const r of related.filter((r) => r.kind === 'accept' && r.body.question === question.id).sort(compareRecords)) {
    if (r.kind !== 'accept' || !auth.accepts(r)) continue;
    if (r.author !== question.author && !auth.isModerator(r.author)) continue;
    if (r.body.answer !== null && !answerIds.has(r.body.answer)) continue;
    accepted = r.body.answer;
  }
  return accepted;
}

/**
 * A question with its answers. `related` holds records targeting the question (answers, accepts,
 * upvotes, edits…); `answerRelated` the records targeting each answer.
 */
export function projectQuestion(
  question: SignedRecord<'question'>,
  related: AnyRecord[],
  answerRelated: (answerId: string) => AnyRecord[],
  auth: Authority
): { question: QuestionRow; answers: AnswerRow[] } {
  const answerRecords = related.filter((r): r is SignedRecord<'answer'> => r.kind === 'answer' && r.body.question === question.id && auth.accepts(r));
  const firstPass = answerRecords.map((a) => projectAnswer(a, answerRelated(a.id), null, auth));
  const liveIds = new Set(firstPass.filter((a) => !a.deleted && !a.hidden).map((a) => a.id));
  const accepted = acceptedAnswer(question, related, liveIds, auth);
  const answers = firstPass.map((a) => ({ ...a, accepted: a.id === accepted }));
  const live = answers.filter((a) => liveIds.has(a.id));
  const life = lifecycle(question, related, auth);
  const lastActivity = live.reduce((m, a) => Math.max(m, a.createdAt), question.ts);
  return {
    question: {
      id: question.id,
      cid: question.cid,
      author: question.author,
      createdAt: question.ts,
      title: life.title,
      body: life.body,
      askTo: question.body.askTo ?? '',
      upvotes: upvotersOf(question.id, related, auth),
      answerCount: live.length,
      acceptedAnswer: accepted,
      solved: accepted ? 1 : 0,
      firstAnswerAt: live.length ? Math.min(...live.map((a) => a.createdAt)) : null,
      lastActivity,
      edits: life.edits,
      deleted: life.deleted,
      hidden: life.hidden,
      rank: life.deleted || life.hidden ? -1 : lastActivity
    },
    answers
  };
}

/** Answers in reading order: the accepted one first, then by upvotes, then oldest first. */
export function sortAnswers(answers: AnswerRow[]): AnswerRow[] {
  return [...answers].sort((a, b) => Number(b.accepted) - Number(a.accepted) || b.upvotes.length - a.upvotes.length || a.createdAt - b.createdAt);
}
