import { describe, expect, it } from 'vitest';
import { Feedback, type Interaction } from './feedback';
import { seededRandom } from './random';
import { fitUserKnn } from './user-knn';
import { fitAuthorAffinity, fitEarliest, fitTagAffinity, type ItemMeta } from './signals';

// Members 0..3; thread 0 by member 0 (touched by 0, 1, 2), thread 1 by member 1 (touched by 1, 3),
// thread 2 by member 3 (touched by 3 only).
const train = new Feedback(4, 3, [
  { member: 0, item: 0, weight: 3, ts: 1 },
  { member: 1, item: 0, weight: 2, ts: 2 },
  { member: 2, item: 0, weight: 1, ts: 3 },
  { member: 1, item: 1, weight: 3, ts: 4 },
  { member: 3, item: 1, weight: 2, ts: 5 },
  { member: 3, item: 2, weight: 3, ts: 6 }
]);
const meta: ItemMeta = { created: Float64Array.from([1, 4, 6]), author: Int32Array.from([0, 1, 3]) };

/** The definition, pair by pair over every thread: what the per-member computation must equal. */
function referenceTies(f: Feedback, m: ItemMeta): number[][] {
  const ties = Array.from({ length: f.members }, () => new Array<number>(f.members).fill(0));
  const add = (a: number, b: number, w: number) => {
    if (a !== b && a >= 0 && b >= 0) ties[a][b] += w;
  };
  for (let i = 0; i < f.items; i++) {
    const members = f.membersOf(i);
    for (const u of members) {
      add(u, m.author[i], 1);
      // The author's side only from their own training row on the thread.
      if (members.includes(m.author[i])) add(m.author[i], u, 1);
    }
    if (members.length > 1 && members.length <= 30) for (const u of members) for (const v of members) add(u, v, 1 / (members.length - 1));
  }
  return ties;
}

describe('author affinity', () => {
  it('counts touching a member’s thread, being touched, and sharing a small thread', () => {
    const affinity = fitAuthorAffinity(train, meta);
    // 1 touched 0's thread (1), and both were among thread 0's three members (½ each).
    expect(affinity.tie(1, 0)).toBeCloseTo(1.5);
    expect(affinity.tie(0, 1)).toBeCloseTo(1.5);
    expect(affinity.tie(2, 1)).toBeCloseTo(0.5);
    // 3 touched 1's thread, which had only the two of them.
    expect(affinity.tie(3, 1)).toBeCloseTo(2);
    expect(affinity.tie(2, 3)).toBe(0);
    expect(affinity.tie(3, 3)).toBe(0);
  });

  it('ties no one to the author of a thread whose own row is held out (that they wrote it is their row)', () => {
    // Member 0 wrote thread 0, but their row on it is in the test part; 1 and 2 touched it.
    const f = new Feedback(3, 1, [
      { member: 1, item: 0, weight: 2, ts: 2 },
      { member: 2, item: 0, weight: 1, ts: 3 }
    ]);
    const affinity = fitAuthorAffinity(f, { created: Float64Array.from([1]), author: Int32Array.from([0]) });
    expect(affinity.tie(0, 1)).toBe(0);
    expect(affinity.tie(0, 2)).toBe(0);
    // The others did touch a thread of member 0's: their rows, so their side of the tie stands.
    expect(affinity.tie(1, 0)).toBe(1);
    expect(affinity.tie(1, 2)).toBe(1);
  });

  it('scores threads by the log of the tie to their author, never the member’s own', () => {
    const affinity = fitAuthorAffinity(train, meta);
    expect([...affinity.score(3)]).toEqual([0, Math.log1p(2), 0]);
    expect([...affinity.score(2)]).toEqual([Math.log1p(1.5), Math.log1p(0.5), 0]);
  });

  it('equals the pairwise definition on a random community, for every pair', () => {
    const random = seededRandom('affinity');
    const members = 40;
    const items = 60;
    const author = Int32Array.from({ length: items }, () => Math.floor(random() * (members + 3)) - 3);
    const interactions: Interaction[] = [];
    for (let i = 0; i < items; i++) {
      const takers = 1 + Math.floor(random() * (random() < 0.2 ? 38 : 6));
      for (let k = 0; k < takers; k++) interactions.push({ member: Math.floor(random() * members), item: i, weight: 1, ts: i });
    }
    const f = new Feedback(members, items, interactions);
    const m: ItemMeta = { created: Float64Array.from({ length: items }, (_, i) => i), author };
    const expected = referenceTies(f, m);
    const affinity = fitAuthorAffinity(f, m);
    for (let a = 0; a < members; a++) for (let b = 0; b < members; b++) expect(affinity.tie(a, b)).toBeCloseTo(expected[a][b], 12);
  });
});

describe('earliest after training', () => {
  it('ranks threads by log days after the last training interaction, and threads before it all alike', () => {
    const DAY = 86_400_000;
    const train = new Feedback(1, 4, [{ member: 0, item: 0, ts: 10 * DAY, weight: 1 }]);
    const meta: ItemMeta = { created: Float64Array.from([0, 5 * DAY, 11 * DAY, 17 * DAY]), author: Int32Array.from([0, 0, 0, 0]) };
    const s = fitEarliest(train, meta).score(0);
    expect(Array.from(s.subarray(0, 2))).toEqual([-0, -0]);
    expect(s[2]).toBeCloseTo(-Math.log(2), 12);
    expect(s[3]).toBeCloseTo(-Math.log(8), 12);
  });
});

describe('member neighbours', () => {
  it('scores a thread by the cosine similarity of the members who touched it to the member', () => {
    // Member 0 touched 0 and 1; member 1 touched 0, 1 and 2 (cosine 2/√6); member 2 touched 1 and 3 (cosine 1/2).
    const rows = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 3]
    ].map(([member, item]) => ({ member, item, ts: 0, weight: 1 }));
    const s = fitUserKnn(new Feedback(3, 4, rows)).score(0);
    expect(s[2]).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(s[3]).toBeCloseTo(0.5, 12);
    expect(s[0]).toBeCloseTo(2 / Math.sqrt(6), 12);
  });
});

describe('tag affinity', () => {
  it("sums ln(1 + the member's threads with the tag) · ln(1 + N / threads with it) over shared tags", () => {
    // Member 0 touched threads 0 and 1, both tagged "ipa", one also "hops". N = 4 threads.
    const f = new Feedback(2, 4, [
      { member: 0, item: 0, weight: 3, ts: 1 },
      { member: 0, item: 1, weight: 2, ts: 2 }
    ]);
    const tags = [['ipa', 'hops'], ['ipa'], ['ipa', 'hops', 'stout'], ['stout']];
    const s = fitTagAffinity(f, tags).score(0);
    // Thread 2: ipa (member 2 threads, df 3) + hops (member 1, df 2).
    expect(s[2]).toBeCloseTo(Math.log(3) * Math.log(1 + 4 / 3) + Math.log(2) * Math.log(1 + 4 / 2), 12);
    expect(s[3]).toBe(0);
    // A member with no threads has no affinity.
    expect([...fitTagAffinity(f, tags).score(1)].every((x) => x === 0)).toBe(true);
  });
});
