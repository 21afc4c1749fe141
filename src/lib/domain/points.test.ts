import { describe, expect, it } from 'vitest';
import { smallCommunity } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { contributions, type Contributions } from './membership';
import * as v from 'valibot';
import {
  DAY_MS,
  DEFAULT_POINT_RULES,
  leaderboard,
  LEVEL_AT,
  levelOf,
  pointRules,
  POINTS,
  pointsBetween,
  pointsBoards,
  pointsOf,
  rankByPoints,
  type PointRules
} from './points';
import { bodySchemas } from './record';
import { DEFAULT_SETTINGS } from './membership';

const c = (over: Partial<Contributions>): Contributions => ({
  threads: 0,
  replies: 0,
  questions: 0,
  answers: 0,
  answersAccepted: 0,
  checkins: 0,
  reactionsReceived: 0,
  featured: 0,
  daysActive: 0,
  lastActive: null,
  ...over
});

describe('points and levels', () => {
  it('weigh an accepted answer above replies and reactions, and level up at the thresholds', () => {
    expect(pointsOf(c({ replies: 4, reactionsReceived: 3, answersAccepted: 1, answers: 1 }))).toBe(4 + 3 + 10 + 2);
    expect(pointsOf(undefined)).toBe(0);
    // Skool's thresholds by default.
    expect(levelOf(0)).toEqual({ level: 1, next: 5 });
    expect(levelOf(5)).toEqual({ level: 2, next: 20 });
    expect(levelOf(33015)).toEqual({ level: 9, next: null });
  });

  it('rank members by points, equal points sharing a rank', () => {
    const members = [
      { key: 'a', name: 'Ann' },
      { key: 'b', name: 'Bo' },
      { key: 'c', name: 'Cy' }
    ];
    const board = leaderboard(
      members,
      new Map([
        ['a', c({ replies: 5 })],
        ['b', c({ threads: 5 })],
        ['c', c({ replies: 5 })]
      ])
    );
    expect(board.map((r) => [r.key, r.points, r.rank])).toEqual([
      ['b', 15, 1],
      ['a', 5, 2],
      ['c', 5, 2]
    ]);
  });
});

describe('level thresholds', () => {
  it('a member reaches a level at exactly its threshold, not a point before', () => {
    for (const [i, at] of LEVEL_AT.entries()) {
      expect(levelOf(at).level, `at ${at}`).toBe(i + 1);
      if (at > 0) expect(levelOf(at - 1).level, `at ${at - 1}`).toBe(i);
    }
  });
});

describe('leaderboards over a window', () => {
  const DAY = DAY_MS;
  async function week() {
    const { genesis, a, b, thread, records, creator, bob } = await smallCommunity();
    const T = Math.ceil((1_700_000_000_000 + 40 * DAY) / 3_600_000) * 3_600_000; // the window's end, on the hour
    const old = await a('thread', { title: 'Old', body: 'x' }, T - 10 * DAY);
    const edge = await a('thread', { title: 'Edge', body: 'x' }, T - 7 * DAY); // first instant inside
    const late = await a('thread', { title: 'Late', body: 'x' }, T); // first instant after
    const cheer = await b('reaction', { target: old.id, emoji: '👍', on: true }, T - DAY); // on an old post, given inside
    const selfCheer = await a('reaction', { target: old.id, emoji: '🎉', on: true }, T - DAY);
    const all = [...records, old, edge, late, cheer, selfCheer];
    return { all, auth: computeAuthority(genesis, all), T, creator, bob, thread };
  }

  it('counts what happened from the window’s first instant up to, not including, its end', async () => {
    const { all, auth, T, creator, bob } = await week();
    const w = pointsBetween(all, auth, T - 7 * DAY, T);
    // Edge thread (3) and Bob's reaction on the old thread (1); not the old or the late thread, not her own reaction.
    expect(w.get(creator.publicKey)).toBe(POINTS.threads + POINTS.reactionsReceived);
    expect(w.get(bob.publicKey) ?? 0).toBe(0);
    expect(pointsBetween(all, auth, T - 7 * DAY + 1, T).get(creator.publicKey)).toBe(POINTS.reactionsReceived);
  });

  it('over all time agrees with the points of the member’s contributions', async () => {
    const { all, auth } = await week();
    const everything = pointsBetween(all, auth, -Infinity, Infinity);
    for (const [key, c] of contributions(all, auth)) expect(everything.get(key) ?? 0, key).toBe(pointsOf(c));
  });

  it('an accepted answer counts in the window of the accept that holds', async () => {
    const { genesis, a, b, records, bob } = await smallCommunity();
    const q = await a('question', { title: 'Which tyre?', body: '' }, 1_700_001_000_000);
    const ans = await b('answer', { question: q.id, body: '28 mm' }, 1_700_002_000_000);
    const acc = await a('accept', { question: q.id, answer: ans.id }, 1_700_010_000_000);
    const all = [...records, q, ans, acc];
    const auth = computeAuthority(genesis, all);
    expect(pointsBetween(all, auth, 1_700_009_000_000, 1_700_011_000_000).get(bob.publicKey)).toBe(POINTS.answersAccepted);
    expect(pointsBetween(all, auth, 1_700_001_500_000, 1_700_009_000_000).get(bob.publicKey)).toBe(POINTS.answers);
  });

  it('boards end with the current hour, the same for any two clocks in that hour; levels stay all-time', async () => {
    const { all, auth, T, creator } = await week();
    const hourStart = T - 3_600_000;
    const one = pointsBoards(all, auth, hourStart);
    const other = pointsBoards(all, auth, T - 1);
    expect([...other.week]).toEqual([...one.week]);
    expect(one.week.get(creator.publicKey)).toBe(POINTS.threads + POINTS.reactionsReceived);
    // The month holds the old and the edge thread (not the late one, nor the first thread 40 days back).
    expect(one.month.get(creator.publicKey)).toBe(2 * POINTS.threads + POINTS.reactionsReceived);
    const board = rankByPoints([{ key: creator.publicKey, name: 'Ann' }], one.week, one.all);
    expect(board[0]).toMatchObject({ points: 4, level: levelOf(one.all.get(creator.publicKey) ?? 0).level, rank: 1 });
  });

  it('a featured thread earns its author points when the feature that holds was made; unfeaturing takes them back; a member cannot feature', async () => {
    const { genesis, a, b, records, bob } = await smallCommunity();
    const t = await b('thread', { title: 'Truing by ear', body: 'x' }, 1_700_001_000_000);
    const self = await b('feature', { target: t.id, featured: true }, 1_700_002_000_000);
    const on = await a('feature', { target: t.id, featured: true, reason: 'Clear' }, 1_700_003_000_000);
    const all = [...records, t, self, on];
    const auth = computeAuthority(genesis, all);
    const window = (from: number, to: number) => pointsBetween(all, auth, from, to).get(bob.publicKey) ?? 0;
    expect(window(1_700_002_500_000, 1_700_004_000_000)).toBe(POINTS.featured);
    expect(window(1_700_001_500_000, 1_700_002_500_000)).toBe(0); // Bob's own feature counts for nothing
    expect(contributions(all, auth).get(bob.publicKey)?.featured).toBe(1);
    const off = await a('feature', { target: t.id, featured: false }, 1_700_005_000_000);
    const after = [...all, off];
    const auth2 = computeAuthority(genesis, after);
    expect(pointsBetween(after, auth2, -Infinity, Infinity).get(bob.publicKey)).toBe(POINTS.threads + POINTS.replies); // his thread and his reply
    expect(contributions(after, auth2).get(bob.publicKey)?.featured).toBe(0);
  });
});

describe('the creator’s point rules', () => {
  it('weights and level thresholds from the settings replace the defaults everywhere points are counted', async () => {
    const rules: PointRules = { weights: { ...POINTS, threads: 10, replies: 0 }, levels: [0, 3, 11, 100, 200, 300, 400, 500, 600] };
    expect(pointRules({ points: rules })).toBe(rules);
    expect(pointRules(null)).toBe(DEFAULT_POINT_RULES);
    expect(pointsOf(c({ threads: 1, replies: 7 }), rules.weights)).toBe(10);
    expect(levelOf(10, rules.levels)).toEqual({ level: 2, next: 11 });
    expect(levelOf(11, rules.levels)).toEqual({ level: 3, next: 100 });
    const { genesis, records, creator, bob } = await smallCommunity();
    const auth = computeAuthority(genesis, records);
    const boards = pointsBoards(records, auth, 1_700_000_200_000, rules.weights);
    expect(boards.all.get(creator.publicKey)).toBe(10); // her thread
    expect(boards.all.get(bob.publicKey) ?? 0).toBe(0); // his reply, worth nothing here
    const board = leaderboard([{ key: creator.publicKey, name: 'Ann' }], contributions(records, auth), rules);
    expect(board[0]).toMatchObject({ points: 10, level: 2 });
  });

  it('the settings schema wants nine thresholds rising from 0', () => {
    const ok = (levels: number[]) => v.safeParse(bodySchemas.settings, { ...DEFAULT_SETTINGS, points: { weights: POINTS, levels } }).success;
    expect(ok([...LEVEL_AT])).toBe(true);
    expect(ok([1, 5, 20, 65, 155, 515, 2015, 8015, 33015])).toBe(false);
    expect(ok([0, 5, 5, 65, 155, 515, 2015, 8015, 33015])).toBe(false);
    expect(ok([0, 5, 20])).toBe(false);
  });
});
