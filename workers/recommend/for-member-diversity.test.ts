import { describe, expect, it } from 'vitest';
import type { CommunitySnapshot } from '../community/snapshot';
import { DIVERSITY_LAMBDA, DIVERSITY_POOL, diversify } from './diversify';
import { fitRecommender } from './for-member';

const DAY = 86_400_000;
const member = (key: string) => ({ key, name: key.toUpperCase(), role: 'member' as const, joinedAt: 0, invitedBy: null, invite: null, banned: false });

// Ana writes most of the brake threads; Bo reads brakes. Without diversity Bo's list is Ana's.
function snapshot(diversity?: CommunitySnapshot['diversity']): CommunitySnapshot {
  const brake = (id: string, author: string, day: number, what: string) => ({
    id,
    author,
    createdAt: day * DAY,
    title: `Brake ${what}`,
    body: `disc brake pads ${what} brake lever`
  });
  const threads = [
    brake('b0', 'bo', 1, 'squeal'),
    brake('a1', 'ana', 2, 'bleeding'),
    brake('a2', 'ana', 3, 'rotor'),
    brake('a3', 'ana', 4, 'caliper'),
    brake('a4', 'ana', 5, 'cable'),
    brake('a5', 'ana', 6, 'hose'),
    brake('c1', 'cy', 7, 'noise'),
    { id: 'd1', author: 'dee', createdAt: 8 * DAY, title: 'Gravel routes', body: 'scenic gravel route by the river' },
    { id: 'd2', author: 'dee', createdAt: 9 * DAY, title: 'Night rides', body: 'lights for a night route' }
  ];
  const replies = [
    { id: 'r1', thread: 'a1', parentAuthor: 'ana', author: 'bo', createdAt: 2 * DAY + 1 },
    { id: 'r2', thread: 'b0', parentAuthor: 'bo', author: 'ana', createdAt: 1 * DAY + 1 },
    { id: 'r3', thread: 'a2', parentAuthor: 'ana', author: 'cy', createdAt: 3 * DAY + 1 },
    { id: 'r4', thread: 'd1', parentAuthor: 'dee', author: 'eve', createdAt: 8 * DAY + 1 }
  ];
  return { cid: 'c', me: 'bo', members: ['ana', 'bo', 'cy', 'dee', 'eve'].map(member), threads, replies, reactions: [], invites: [], views: [], diversity };
}

describe('the creator’s diversity setting in "For you"', () => {
  it('off (or unset) leaves the model’s order; more re-ranks the model’s top threads at its lambda', () => {
    const k = 3;
    const unset = fitRecommender(snapshot()).forMember('bo', k);
    expect(fitRecommender(snapshot('off')).forMember('bo', k)).toEqual(unset);
    // The model alone gives Ana most of Bo's list.
    const authors = (list: { author: string }[]) => new Set(list.map((r) => r.author)).size;
    expect(authors(unset)).toBeLessThan(k);
    // 'more' is the re-ranking at its λ of the model's own top DIVERSITY_POOL × k, never another model.
    const pool = fitRecommender(snapshot()).forMember('bo', k * DIVERSITY_POOL);
    const more = fitRecommender(snapshot('more')).forMember('bo', k);
    expect(more).toEqual(diversify(pool, { lambda: DIVERSITY_LAMBDA.more, k, authorOf: (r) => r.author }));
    expect(authors(more)).toBe(k);
    expect(more[0]).toEqual(unset[0]);
  });

  it('applies to a device outside the matrix as well', () => {
    const authors = (diversity: CommunitySnapshot['diversity']) =>
      new Set(
        fitRecommender(snapshot(diversity))
          .forMember('nobody', 3)
          .map((r) => r.author)
      ).size;
    expect(authors('off')).toBe(2);
    expect(authors('more')).toBe(3);
  });
});
