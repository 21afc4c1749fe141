import { describe, expect, it } from 'vitest';
import { Feedback } from './feedback';
import { fitRp3 } from './rp3';

const feedback = (rows: number[][]) =>
  new Feedback(
    rows.length,
    rows[0].length,
    rows.flatMap((row, member) => row.flatMap((x, item) => (x ? [{ member, item, weight: x, ts: 0 }] : [])))
  );

// Member 0 touched threads 0 and 1, member 1 threads 1 and 2, member 2 thread 2 alone.
const X = [
  [1, 1, 0],
  [0, 1, 1],
  [0, 0, 1]
];

describe('RP3β', () => {
  it('scores the hand-computed three-step walk from the member’s threads', () => {
    // Member 2 → thread 2 (members 1 and 2, ½ each) → member 1's threads 1, 2 (¼ each), member 2's thread 2 (½).
    expect(Array.from(fitRp3(feedback(X), { beta: 0 }).score(2))).toEqual([0, 0.25, 0.75]);
    // Member 0 → thread 0 (member 0: 1) and thread 1 (members 0, 1: ½ each): member 0 carries 1.5 to
    // threads 0, 1 (0.75 each), member 1 carries ½ to threads 1, 2 (¼ each).
    expect(Array.from(fitRp3(feedback(X), { beta: 0 }).score(0))).toEqual([0.75, 1, 0.25]);
  });

  it('divides each arrival by its thread’s popularity to the power β', () => {
    // Thread popularity 1, 2, 2: with β = 1 the walk's [0.75, 1, 0.25] becomes [0.75, 0.5, 0.125].
    expect(Array.from(fitRp3(feedback(X), { beta: 1 }).score(0))).toEqual([0.75, 0.5, 0.125]);
    expect(Array.from(fitRp3(feedback(X), { beta: 1 }).score(2))).toEqual([0, 0.125, 0.375]);
  });

  it('gives a member without threads nothing', () => {
    const f = new Feedback(4, 3, [{ member: 0, item: 0, weight: 1, ts: 0 }]);
    expect(Array.from(fitRp3(f).score(3))).toEqual([0, 0, 0]);
  });
});
