import { describe, expect, it } from 'vitest';
import type { Contributions } from './membership';
import { leaderboard, levelOf, pointsOf } from './points';

const c = (over: Partial<Contributions>): Contributions => ({ threads: 0, replies: 0, questions: 0, answers: 0, answersAccepted: 0, checkins: 0, reactionsReceived: 0, daysActive: 0, lastActive: null, ...over });

describe('points and levels', () => {
  it('weigh an accepted answer above replies and reactions, and level up at the thresholds', () => {
    expect(pointsOf(c({ replies: 4, reactionsReceived: 3, answersAccepted: 1, answers: 1 }))).toBe(4 + 3 + 10 + 2);
    expect(pointsOf(undefined)).toBe(0);
    expect(levelOf(0)).toEqual({ level: 1, next: 10 });
    expect(levelOf(10)).toEqual({ level: 2, next: 30 });
    expect(levelOf(2500)).toEqual({ level: 9, next: null });
  });

  it('rank members by points, equal points sharing a rank', () => {
    const members = [{ key: 'a', name: 'Ann' }, { key: 'b', name: 'Bo' }, { key: 'c', name: 'Cy' }];
    const board = leaderboard(members, new Map([['a', c({ replies: 5 })], ['b', c({ threads: 5 })], ['c', c({ replies: 5 })]]));
    expect(board.map((r) => [r.key, r.points, r.rank])).toEqual([['b', 15, 1], ['a', 5, 2], ['c', 5, 2]]);
  });
});
