import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { leaderboard, localDate, plausibleDate, projectChallenge, streaks } from './challenges';
import { isClosed, projectPoll, resultsVisible } from './polls';
import { projectQuestion, sortAnswers } from './qa';
import type { AnyRecord, BodyOf, Kind } from './record';
import type { Identity } from '../crypto/identity';

const T0 = 1_700_000_000_000;

async function setup() {
  const [alice, bob, carol, mod] = await Promise.all([newMember(), newMember(), newMember(), newMember()]);
  const g = await newCommunity(alice);
  const base: AnyRecord[] = [
    g,
    ...(await admit(alice, bob, g.id)),
    ...(await admit(alice, carol, g.id, T0 + 600)),
    ...(await admit(alice, mod, g.id, T0 + 700, 'moderator'))
  ];
  const seal = <K extends Kind>(who: Identity, kind: K, body: BodyOf<K>, ts: number) => sealRecord(who, { kind, cid: g.id, ts, body }) as Promise<AnyRecord>;
  return { alice, bob, carol, mod, g, base, seal };
}

describe('questions and answers', () => {
  it('only the asker or a moderator can accept an answer; the accepted one is shown first', async () => {
    const { bob, carol, mod, g, base, seal } = await setup();
    const q = await seal(bob, 'question', { title: 'Which tyres?', body: 'for winter' }, T0 + 2000);
    const a1 = await seal(carol, 'answer', { question: q.id, body: 'studded' }, T0 + 3000);
    const a2 = await seal(mod, 'answer', { question: q.id, body: 'wide ones' }, T0 + 3100);
    const byCarol = await seal(carol, 'accept', { question: q.id, answer: a1.id }, T0 + 4000);
    const up = await seal(bob, 'upvote', { target: a2.id, on: true }, T0 + 4100);
    const all = [...base, q, a1, a2, byCarol, up];
    const auth = computeAuthority(g, all);
    const answersOf = (id: string) => all.filter((r) => 'target' in r.body && r.body.target === id);
    const related = all.filter((r) => (r.kind === 'answer' || r.kind === 'accept') && r.body.question === q.id);
    let out = projectQuestion(q as never, related, answersOf, auth);
    expect(out.question.acceptedAnswer).toBeNull();
    expect(sortAnswers(out.answers).map((a) => a.body)).toEqual(['wide ones', 'studded']);

    const byAsker = await seal(bob, 'accept', { question: q.id, answer: a1.id }, T0 + 5000);
    out = projectQuestion(q as never, [...related, byAsker], answersOf, auth);
    expect(out.question).toMatchObject({ acceptedAnswer: a1.id, solved: 1, answerCount: 2, firstAnswerAt: T0 + 3000 });
    expect(sortAnswers(out.answers)[0]).toMatchObject({ body: 'studded', accepted: true });

    const byMod = await seal(mod, 'accept', { question: q.id, answer: a2.id }, T0 + 6000);
    out = projectQuestion(q as never, [...related, byAsker, byMod], answersOf, auth);
    expect(out.question.acceptedAnswer).toBe(a2.id);

    // An accept naming an answer of another question is ignored.
    const other = await seal(carol, 'answer', { question: g.id, body: 'elsewhere' }, T0 + 6500);
    const wrong = await seal(bob, 'accept', { question: q.id, answer: other.id }, T0 + 7000);
    out = projectQuestion(q as never, [...related, byAsker, byMod, wrong], answersOf, auth);
    expect(out.question.acceptedAnswer).toBe(a2.id);
  });

  it('counts one upvote per member, latest record deciding', async () => {
    const { bob, carol, g, base, seal } = await setup();
    const q = await seal(bob, 'question', { title: 'Q', body: '' }, T0 + 2000);
    const ups = [
      await seal(carol, 'upvote', { target: q.id, on: true }, T0 + 3000),
      await seal(carol, 'upvote', { target: q.id, on: true }, T0 + 3001),
      await seal(bob, 'upvote', { target: q.id, on: true }, T0 + 3002),
      await seal(bob, 'upvote', { target: q.id, on: false }, T0 + 3003)
    ];
    const all = [...base, q, ...ups];
    const out = projectQuestion(q as never, ups, () => [], computeAuthority(g, all));
    expect(out.question.upvotes).toEqual([(await Promise.resolve(ups[0])).author]);
  });
});

describe('polls', () => {
  it('counts each member’s latest valid vote, ignores stuffing and invalid choices, and stops at the close', async () => {
    const { alice, bob, carol, mod, g, base, seal } = await setup();
    const poll = await seal(
      alice,
      'poll',
      { title: 'Ride day?', options: ['Sat', 'Sun', 'Mon'], multiple: true, maxChoices: 2, closesAt: T0 + 100_000, results: 'after_vote' },
      T0 + 2000
    );
    const votes = [
      await seal(bob, 'vote', { poll: poll.id, choices: [0] }, T0 + 3000),
      await seal(bob, 'vote', { poll: poll.id, choices: [0] }, T0 + 3001), // stuffed twice: still one ballot
      await seal(carol, 'vote', { poll: poll.id, choices: [0, 1] }, T0 + 3000),
      await seal(carol, 'vote', { poll: poll.id, choices: [1, 2] }, T0 + 4000), // changed vote
      await seal(mod, 'vote', { poll: poll.id, choices: [0, 1, 2] }, T0 + 4000), // over maxChoices: ignored
      await seal(mod, 'vote', { poll: poll.id, choices: [1, 1] }, T0 + 4001), // duplicate choice: ignored
      await seal(alice, 'vote', { poll: poll.id, choices: [2] }, T0 + 200_000) // after closesAt
    ];
    const all = [...base, poll, ...votes];
    const row = projectPoll(poll as never, votes, computeAuthority(g, all));
    expect(row.counts).toEqual([1, 1, 1]);
    expect(row.voters).toBe(2);
    expect(resultsVisible(row, bob.publicKey, T0 + 5000)).toBe(true);
    expect(resultsVisible(row, alice.publicKey, T0 + 5000)).toBe(false);
    expect(resultsVisible(row, alice.publicKey, T0 + 100_000)).toBe(true);
  });

  it('closes early by its author or a moderator only; later votes do not count', async () => {
    const { alice, bob, carol, mod, g, base, seal } = await setup();
    const poll = await seal(
      bob,
      'poll',
      { title: 'Single', options: ['a', 'b'], multiple: false, maxChoices: 1, closesAt: null, results: 'always' },
      T0 + 2000
    );
    const carolClose = await seal(carol, 'close', { target: poll.id }, T0 + 2500);
    const v1 = await seal(carol, 'vote', { poll: poll.id, choices: [1] }, T0 + 3000);
    const modClose = await seal(mod, 'close', { target: poll.id }, T0 + 3500);
    const v2 = await seal(alice, 'vote', { poll: poll.id, choices: [0] }, T0 + 4000);
    const multi = await seal(bob, 'vote', { poll: poll.id, choices: [0, 1] }, T0 + 3100);
    const all = [...base, poll, carolClose, v1, modClose, v2, multi];
    const row = projectPoll(poll as never, [carolClose, v1, modClose, v2, multi], computeAuthority(g, all));
    expect(row.closedAt).toBe(T0 + 3500);
    expect(row.counts).toEqual([0, 1]);
    expect(isClosed(row, T0 + 3600)).toBe(true);
  });
});

describe('check-in challenges', () => {
  it('takes the member’s local date: a check-in late evening in Los Angeles and one in Shanghai the same instant are different days', () => {
    const instant = Date.UTC(2026, 2, 2, 5, 30); // 2026-03-02 05:30 UTC
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2026-03-01');
    expect(localDate(instant, 'Asia/Shanghai')).toBe('2026-03-02');
    expect(plausibleDate('2026-03-01', instant)).toBe(true);
    expect(plausibleDate('2026-03-02', instant)).toBe(true);
    expect(plausibleDate('2026-03-04', instant)).toBe(false);
    expect(plausibleDate('2026-02-27', instant)).toBe(false);
  });

  it('counts once a day, inside the challenge, with streaks and completion across month ends', async () => {
    const { alice, bob, carol, g, base, seal } = await setup();
    const ch = await seal(
      alice,
      'challenge',
      { title: '30 days of riding', prompt: 'How far today?', startDate: '2026-02-27', days: 7 },
      Date.UTC(2026, 1, 26)
    );
    const at = (date: string, hour = 12) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), hour);
    const check = (who: Identity, date: string, note = 'ok', hour = 12) => seal(who, 'checkin', { challenge: ch.id, date, note }, at(date, hour));
    const records = [
      await check(bob, '2026-02-27'),
      await check(bob, '2026-02-28'),
      await check(bob, '2026-02-28', 'twice', 20), // second the same day: not counted
      await check(bob, '2026-03-01'),
      await check(bob, '2026-03-02'),
      await check(carol, '2026-02-26'), // before the start
      await check(carol, '2026-02-27'),
      await check(carol, '2026-03-01'),
      await seal(carol, 'checkin', { challenge: ch.id, date: '2026-03-05', note: 'future' }, at('2026-03-01')) // not today anywhere
    ];
    const all = [...base, ch, ...records];
    const row = projectChallenge(ch as never, records, computeAuthority(g, all));
    expect(row.checkins[bob.publicKey].map((c) => c.date)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(row.checkins[bob.publicKey][1].note).toBe('ok');
    expect(row.checkins[carol.publicKey].map((c) => c.date)).toEqual(['2026-02-27', '2026-03-01']);
    expect(
      streaks(
        row.checkins[bob.publicKey].map((c) => c.date),
        '2026-03-02',
        row
      )
    ).toEqual({ current: 4, longest: 4, total: 4, completion: 1 });
    // The day after, before checking in, the streak still stands; two days after, it is broken.
    expect(streaks(['2026-02-27', '2026-02-28'], '2026-03-01', row).current).toBe(2);
    expect(streaks(['2026-02-27', '2026-02-28'], '2026-03-02', row).current).toBe(0);
    const board = leaderboard(row, '2026-03-02');
    expect(board.map((e) => e.member)).toEqual([bob.publicKey, carol.publicKey]);
    // Carol checked in yesterday: her streak of 1 stands until today ends.
    expect(board[1]).toMatchObject({ total: 2, longest: 1, current: 1, completion: 0.5 });
  });
});
