import { describe, expect, it } from 'vitest';
import Graph from 'graphology';
import karateClub from 'graphology-generators/social/karate-club';
import graphologyBetweenness from 'graphology-metrics/centrality/betweenness';
import { bridges, centrality, communities, suggestMembers } from './analyse';
import { betweenness, spearman, topOverlap } from './betweenness';
import { inviteTree } from './invites';
import { buildSocialGraph, type SocialGraph } from './social-graph';
import { seededRandom } from '../recommend/random';

/** Zachary's karate club with members named 1..34 as in the paper, every tie of weight 1. */
function karate(): SocialGraph {
  const source = karateClub(Graph);
  const ties = source.mapEdges((_e, _a, s, t) => ({ from: String(Number(s) + 1), to: String(Number(t) + 1), kind: 'reply' as const, ts: 0 }));
  return buildSocialGraph(
    source.mapNodes((k) => String(Number(k) + 1)),
    ties
  );
}

const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k]) => k);

describe("Zachary's karate club", () => {
  const graph = karate();

  it('has 34 members and 78 ties', () => {
    expect(graph.order).toBe(34);
    expect(graph.size).toBe(78);
  });

  it('puts the two leaders, 34 and 1, first by PageRank and by betweenness', () => {
    const c = centrality(graph);
    expect(top(c.pagerank, 2)).toEqual(['34', '1']);
    expect(top(c.betweenness, 2)).toEqual(['1', '34']);
  });

  it('has the known betweenness of member 1 (231.07) and agrees with graphology-metrics exactly', () => {
    const ours = betweenness(graph);
    expect(ours.get('1')).toBeCloseTo(231.0714, 3);
    const reference = graphologyBetweenness(graph, { getEdgeWeight: null, normalized: false });
    for (const [k, v] of ours) expect(v).toBeCloseTo(reference[k], 9);
  });

  it('finds Louvain communities with modularity about 0.42, the two leaders apart', () => {
    const c = communities(graph, seededRandom('karate'));
    expect(c.modularity).toBeGreaterThan(0.41);
    expect(c.modularity).toBeLessThan(0.43);
    expect(c.of.get('1')).not.toBe(c.of.get('34'));
    expect(c.sizes.reduce((a, b) => a + b, 0)).toBe(34);
  });

  it('names bridges with ties into several groups and suggests friends of friends', () => {
    const c = communities(graph, seededRandom('karate'));
    const b = bridges(graph, c, betweenness(graph));
    expect(b.length).toBeGreaterThan(0);
    for (const x of b) expect(x.groups.length).toBeGreaterThan(1);
    const s = suggestMembers(graph, '17');
    // 17 knows only 6 and 7; their other contacts (1, 5, 11) are the suggestions.
    expect(s.map((x) => x.member).sort()).toEqual(['1', '11', '5']);
    expect(s.every((x) => x.via.every((v) => v === '6' || v === '7'))).toBe(true);
  });
});

describe('invite tree and referral funnel', () => {
  const DAY = 86_400_000;
  const now = 100 * DAY;
  const members = [
    { key: 'c', joinedAt: 0, invitedBy: null },
    { key: 'a', joinedAt: 10 * DAY, invitedBy: 'c' },
    { key: 'b', joinedAt: 20 * DAY, invitedBy: 'c' },
    { key: 'd', joinedAt: 30 * DAY, invitedBy: 'a' },
    { key: 'e', joinedAt: 90 * DAY, invitedBy: 'a' }
  ];
  const invites = [
    { id: 'i1', author: 'c', ts: 1, joins: ['a', 'b'] },
    { id: 'i2', author: 'c', ts: 2, joins: [] },
    { id: 'i3', author: 'a', ts: 3, joins: ['d', 'e'] }
  ];
  const lastActive = new Map([
    ['a', 50 * DAY],
    ['b', 25 * DAY],
    ['d', 95 * DAY],
    ['e', 95 * DAY]
  ]);
  const tree = inviteTree(members, invites, lastActive, now);

  it('builds the tree with depths and descendants', () => {
    expect(tree.children.get('c')).toEqual(['a', 'b']);
    expect(tree.depth.get('d')).toBe(2);
    expect(tree.referrals.find((r) => r.member === 'c')!.descendants).toBe(4);
  });

  it('counts invites → joins → active after 30 days, leaving out joins younger than 30 days', () => {
    expect(tree.funnel).toEqual({ invitesSent: 3, joins: 4, eligible30: 3, active30: 2, joinsPerInvite: 4 / 3, active30Rate: 2 / 3 });
    expect(tree.referrals.find((r) => r.member === 'a')).toMatchObject({ invitesSent: 1, joins: 2, eligible30: 1, active30: 1 });
  });
});

describe('sampled betweenness', () => {
  /** A community-like graph: preferential attachment (each newcomer ties to 2 members, likelier the busy ones). */
  function generated(n: number, seed: string): SocialGraph {
    const random = seededRandom(seed);
    const ends: string[] = ['0', '1'];
    const ties = [{ from: '0', to: '1', kind: 'reply' as const, ts: 0 }];
    for (let v = 2; v < n; v++) {
      const picked = new Set<string>();
      while (picked.size < 2) picked.add(ends[Math.floor(random() * ends.length)]);
      for (const u of picked) {
        ties.push({ from: String(v), to: u, kind: 'reply', ts: 0 });
        ends.push(u, String(v));
      }
    }
    return buildSocialGraph(
      Array.from({ length: n }, (_, i) => String(i)),
      ties
    );
  }

  it('agrees with exact betweenness on 9 of the top 10 and by Spearman ≥ 0.9 past the exact limit (4,000 members)', () => {
    const graph = generated(4000, 'sampled-betweenness');
    const exact = betweenness(graph, { exactMax: Infinity });
    const sampled = betweenness(graph, { exactMax: 3000, random: seededRandom('sample') });
    expect(topOverlap(exact, sampled, 10)).toBeGreaterThanOrEqual(9);
    expect(spearman(exact, sampled)).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('sums linear-scaled shares from every source to exact betweenness (the sampled estimator is unbiased)', () => {
    const graph = generated(300, 'linear');
    const exact = betweenness(graph, { exactMax: Infinity });
    const linear = betweenness(graph, { exactMax: Infinity, linear: true });
    for (const [k, v] of exact) expect(linear.get(k)).toBeCloseTo(v, 6);
  });

  it('is exact up to the limit', () => {
    const graph = generated(500, 'small');
    const a = betweenness(graph, { random: seededRandom('a') });
    const b = betweenness(graph, { random: seededRandom('b') });
    for (const [k, v] of a) expect(b.get(k)).toBe(v);
  });

  it('measures rank agreement: Spearman 1 for the same order, −1 for the reverse; top-k overlap counts shared keys', () => {
    const a = new Map([
      ['x', 3],
      ['y', 2],
      ['z', 1]
    ]);
    expect(
      spearman(
        a,
        new Map([
          ['x', 30],
          ['y', 20],
          ['z', 10]
        ])
      )
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        a,
        new Map([
          ['x', 1],
          ['y', 2],
          ['z', 3]
        ])
      )
    ).toBeCloseTo(-1, 12);
    expect(
      topOverlap(
        a,
        new Map([
          ['x', 1],
          ['y', 0],
          ['z', 5]
        ]),
        2
      )
    ).toBe(1);
  });
});
