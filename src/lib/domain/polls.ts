// Polls: one counted vote per member (their latest valid vote before the poll closes), changeable
// until then; closed at `closesAt` or by an early `close` from its author or a moderator.
import type { Authority } from './authority';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export interface PollRow {
  id: string;
  cid: string;
  author: string;
  createdAt: number;
  title: string;
  options: string[];
  multiple: boolean;
  maxChoices: number;
  closesAt: number | null;
  /** When a `close` record took effect (earliest valid one), if any. */
  closedAt: number | null;
  results: 'always' | 'after_vote' | 'after_close';
  thread: string;
  counts: number[];
  /** member -> the choices counted for them. */
  ballots: Record<string, number[]>;
  voters: number;
  deleted: boolean;
}

export function validChoices(poll: SignedRecord<'poll'>, choices: number[]): boolean {
  const max = poll.body.multiple ? Math.min(poll.body.maxChoices, poll.body.options.length) : 1;
  return (
    choices.length >= 1 &&
    choices.length <= max &&
    new Set(choices).size === choices.length &&
    choices.every((c) => Number.isInteger(c) && c >= 0 && c < poll.body.options.length)
  );
}

export function projectPoll(poll: SignedRecord<'poll'>, related: AnyRecord[], auth: Authority): PollRow {
  const sorted = [...related].sort(compareRecords);
  let closedAt: number | null = null;
  let deleted = false;
  for (const r of sorted) {
    if (!auth.accepts(r)) continue;
    const mayClose = r.author === poll.author || auth.isModerator(r.author);
    if (r.kind === 'close' && r.body.target === poll.id && mayClose && closedAt === null) closedAt = r.ts;
    if (r.kind === 'tombstone' && r.body.target === poll.id && mayClose) deleted = true;
  }
  const deadline = Math.min(poll.body.closesAt ?? Infinity, closedAt ?? Infinity);
  const ballots: Record<string, number[]> = {};
  for (const r of sorted) {
    if (r.kind !== 'vote' || r.body.poll !== poll.id) continue;
    if (!auth.accepts(r) || r.ts >= deadline || r.ts < poll.ts) continue;
    if (!validChoices(poll, r.body.choices)) continue;
    ballots[r.author] = [...r.body.choices].sort((a, b) => a - b);
  }
  const counts = poll.body.options.map(() => 0);
  for (const choices of Object.values(ballots)) for (const c of choices) counts[c]++;
  return {
    id: poll.id,
    cid: poll.cid,
    author: poll.author,
    createdAt: poll.ts,
    title: poll.body.title,
    options: poll.body.options,
    multiple: poll.body.multiple,
    maxChoices: poll.body.multiple ? poll.body.maxChoices : 1,
    closesAt: poll.body.closesAt,
    closedAt,
    results: poll.body.results,
    thread: poll.body.thread ?? '',
    counts,
    ballots,
    voters: Object.keys(ballots).length,
    deleted
  };
}

export function isClosed(poll: PollRow, now: number): boolean {
  return poll.closedAt !== null || (poll.closesAt !== null && now >= poll.closesAt);
}

/** Whether `member` may see the tally now, per the poll's results setting. */
export function resultsVisible(poll: PollRow, member: string, now: number): boolean {
  if (poll.results === 'always' || isClosed(poll, now)) return true;
  if (poll.results === 'after_vote') return member in poll.ballots;
  return false;
}
