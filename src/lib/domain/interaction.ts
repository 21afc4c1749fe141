// Projection of the interaction features (questions with answers, polls, challenges) from the full
// record set: the reference that incremental projection in store/ must equal.
import type { Authority } from './authority';
import { projectChallenge, type ChallengeRow } from './challenges';
import { projectPoll, type PollRow } from './polls';
import { projectQuestion, type AnswerRow, type QuestionRow } from './qa';
import { targetOf, type AnyRecord, type SignedRecord } from './record';

export type InteractionRoot = SignedRecord<'question'> | SignedRecord<'poll'> | SignedRecord<'challenge'>;

export function isInteractionRoot(r: AnyRecord): r is InteractionRoot {
  return r.kind === 'question' || r.kind === 'poll' || r.kind === 'challenge';
}

export interface InteractionRows {
  questions: QuestionRow[];
  answers: AnswerRow[];
  polls: PollRow[];
  challenges: ChallengeRow[];
}

/** Rows for some roots, given a way to find the records that target any id. */
export function projectRoots(roots: InteractionRoot[], relatedTo: (id: string) => AnyRecord[], auth: Authority): InteractionRows {
  const out: InteractionRows = { questions: [], answers: [], polls: [], challenges: [] };
  for (const root of roots) {
    if (!auth.accepts(root)) continue;
    const related = relatedTo(root.id);
    if (root.kind === 'question') {
      const { question, answers } = projectQuestion(root, related, relatedTo, auth);
      out.questions.push(question);
      out.answers.push(...answers);
    } else if (root.kind === 'poll') out.polls.push(projectPoll(root, related, auth));
    else out.challenges.push(projectChallenge(root, related, auth));
  }
  return out;
}

export function projectInteraction(records: AnyRecord[], auth: Authority): InteractionRows {
  const byTarget = new Map<string, AnyRecord[]>();
  for (const r of records) {
    const t = targetOf(r);
    if (!t) continue;
    let list = byTarget.get(t);
    if (!list) byTarget.set(t, (list = []));
    list.push(r);
  }
  return projectRoots(records.filter(isInteractionRoot), (id) => byTarget.get(id) ?? [], auth);
}
