// What the social graph says: who is central (PageRank on tie strength), who brokers between
// groups (betweenness), which groups exist (Louvain, with its modularity), which members bridge
// groups, and whom each member might want to meet (Adamic–Adar over shared contacts).
import louvain from 'graphology-communities-louvain';
import pagerank from 'graphology-metrics/centrality/pagerank';
import { betweenness } from './betweenness';
import type { SocialGraph } from './social-graph';

export interface Centrality {
  pagerank: Map<string, number>;
  betweenness: Map<string, number>;
}

export function centrality(graph: SocialGraph, random?: () => number): Centrality {
  const pr =
    graph.size === 0
      ? Object.fromEntries(graph.nodes().map((k) => [k, 1 / Math.max(1, graph.order)]))
      : pagerank(graph, { getEdgeWeight: 'weight', alpha: 0.85, maxIterations: 200, tolerance: 1e-9 });
  return { pagerank: new Map(Object.entries(pr)), betweenness: betweenness(graph, { random }) };
}

export interface Communities {
  /** Member -> community number (0 = the largest). */
  of: Map<string, number>;
  count: number;
  modularity: number;
  sizes: number[];
}

export function communities(graph: SocialGraph, random: () => number): Communities {
  if (graph.size === 0) return { of: new Map(graph.nodes().map((k, i) => [k, i])), count: graph.order, modularity: 0, sizes: graph.nodes().map(() => 1) };
  const result = louvain.detailed(graph, { getEdgeWeight: 'weight', rng: random, resolution: 1 });
  // Renumber by size, so community 0 is the largest and colours stay stable between runs.
  const sizes = new Map<number, number>();
  for (const c of Object.values(result.communities)) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const ranked = [...sizes].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([c]) => c);
  const renumber = new Map(ranked.map((c, i) => [c, i]));
  return {
    of: new Map(Object.entries(result.communities).map(([k, c]) => [k, renumber.get(c)!])),
    count: ranked.length,
    modularity: result.modularity,
    sizes: ranked.map((c) => sizes.get(c)!)
  };
}

export interface Bridge {
  member: string;
  /** Participation coefficient 1 − Σ_c (k_c / k)²: 0 when all ties stay in one group. */
  participation: number;
  betweenness: number;
  /** The groups this member has ties into. */
  groups: number[];
}

/** Members whose ties span several groups, ranked by betweenness. */
export function bridges(graph: SocialGraph, groups: Communities, between: Map<string, number>, limit = 20): Bridge[] {
  const out: Bridge[] = [];
  graph.forEachNode((member) => {
    const byGroup = new Map<number, number>();
    let total = 0;
    graph.forEachEdge(member, (_e, attr, source, target) => {
      const other = source === member ? target : source;
      const g = groups.of.get(other)!;
      byGroup.set(g, (byGroup.get(g) ?? 0) + attr.weight);
      total += attr.weight;
    });
    if (byGroup.size < 2 || total === 0) return;
    let sum = 0;
    for (const w of byGroup.values()) sum += (w / total) ** 2;
    out.push({ member, participation: 1 - sum, betweenness: between.get(member) ?? 0, groups: [...byGroup.keys()].sort((a, b) => a - b) });
  });
  return out.sort((a, b) => b.betweenness - a.betweenness || b.participation - a.participation).slice(0, limit);
}

export interface Suggestion {
  member: string;
  score: number;
  /** Shared contacts, the strongest first: the explanation shown with the suggestion. */
  via: string[];
}

/** Adamic–Adar: Σ over shared contacts z of 1 / log(degree z), for members not yet tied to `member`. */
export function suggestMembers(graph: SocialGraph, member: string, limit = 5): Suggestion[] {
  if (!graph.hasNode(member)) return [];
  const scores = new Map<string, { score: number; via: { z: string; w: number }[] }>();
  for (const z of graph.neighbors(member)) {
    const degree = graph.degree(z);
    if (degree < 2) continue;
    const w = 1 / Math.log(degree);
    for (const v of graph.neighbors(z)) {
      if (v === member || graph.hasEdge(member, v)) continue;
      let s = scores.get(v);
      if (!s) scores.set(v, (s = { score: 0, via: [] }));
      s.score += w;
      s.via.push({ z, w });
    }
  }
  return [...scores]
    .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([v, s]) => ({
      member: v,
      score: s.score,
      via: s.via
        .sort((a, b) => b.w - a.w)
        .slice(0, 3)
        .map((x) => x.z)
    }));
}
