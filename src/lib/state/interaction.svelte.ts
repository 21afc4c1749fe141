// Queries and actions of Q&A, polls and check-in challenges for one open community.
import { localDate } from '../domain/challenges';
import { activityAsOf, FUTURE_SKEW_MS } from '../domain/feed';
import type { ChallengeRow } from '../domain/challenges';
import type { PollRow } from '../domain/polls';
import type { AnswerRow, QuestionRow } from '../domain/qa';
import type { CommunityState } from './community.svelte';
import { Live } from './live.svelte';

export type QuestionFilter = 'all' | 'unanswered' | 'solved' | 'to_me';

export class InteractionState {
  constructor(readonly community: CommunityState) {}

  private get db() {
    return this.community.db;
  }

  questions(filter: () => QuestionFilter): Live<QuestionRow[]> {
    const cid = this.community.cid;
    const me = this.community.identity.publicKey;
    return new Live<QuestionRow[]>(() => {
      const f = filter();
      return async () => {
        const rows =
          f === 'to_me'
            ? await this.db.questions.where('[askTo+cid]').equals([me, cid]).toArray()
            : await this.db.questions.where('[cid+rank]').between([cid, 0], [cid, Infinity]).reverse().limit(500).toArray();
        // An answer dated ahead of the clock does not count as activity yet (domain/feed.ts).
        const now = Date.now();
        const placed = await Promise.all(
          rows.map(async (q) =>
            q.lastActivity > now + FUTURE_SKEW_MS
              ? { ...q, lastActivity: activityAsOf(q.createdAt, await this.db.answers.where('question').equals(q.id).toArray(), now) }
              : q
          )
        );
        return placed
          .filter((q) => q.rank >= 0)
          .filter((q) => (f === 'unanswered' ? q.answerCount === 0 : f === 'solved' ? q.solved === 1 : true))
          .sort((a, b) => b.lastActivity - a.lastActivity);
      };
    }, []);
  }

  question(id: () => string): Live<{ question: QuestionRow | undefined; answers: AnswerRow[] }> {
    return new Live(
      () => {
        const qid = id();
        return async () => ({ question: await this.db.questions.get(qid), answers: await this.db.answers.where('question').equals(qid).toArray() });
      },
      { question: undefined, answers: [] }
    );
  }

  polls(thread: () => string | null): Live<PollRow[]> {
    const cid = this.community.cid;
    return new Live<PollRow[]>(() => {
      const t = thread();
      return async () => {
        const rows =
          t !== null
            ? await this.db.polls.where('thread').equals(t).toArray()
            : await this.db.polls.where('[cid+createdAt]').between([cid, 0], [cid, Infinity]).reverse().toArray();
        return rows.filter((p) => !p.deleted).sort((a, b) => b.createdAt - a.createdAt);
      };
    }, []);
  }

  challenges(): Live<ChallengeRow[]> {
    const cid = this.community.cid;
    return new Live<ChallengeRow[]>(
      () => async () => (await this.db.challenges.where('cid').equals(cid).toArray()).filter((c) => !c.deleted).sort((a, b) => b.createdAt - a.createdAt),
      []
    );
  }

  challenge(id: () => string): Live<ChallengeRow | undefined> {
    return new Live(() => {
      const chid = id();
      return () => this.db.challenges.get(chid);
    }, undefined);
  }

  ask(title: string, body: string, askTo?: string) {
    return this.community.write('question', { title, body, askTo: askTo || undefined });
  }

  answer(question: string, body: string) {
    return this.community.write('answer', { question, body });
  }

  upvote(target: string, on: boolean) {
    return this.community.write('upvote', { target, on });
  }

  accept(question: string, answer: string | null) {
    return this.community.write('accept', { question, answer });
  }

  createPoll(p: {
    title: string;
    options: string[];
    multiple: boolean;
    maxChoices: number;
    closesAt: number | null;
    results: PollRow['results'];
    thread?: string;
  }) {
    return this.community.write('poll', { ...p, thread: p.thread || undefined });
  }

  vote(poll: string, choices: number[]) {
    return this.community.write('vote', { poll, choices });
  }

  closePoll(poll: string) {
    return this.community.write('close', { target: poll });
  }

  startChallenge(c: { title: string; prompt: string; startDate: string; days: number }) {
    return this.community.write('challenge', c);
  }

  /** Checks in for this device's local calendar day. */
  checkIn(challenge: string, note: string) {
    return this.community.write('checkin', { challenge, date: localDate(Date.now()), note });
  }
}
