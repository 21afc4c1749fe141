// Betweenness centrality by Brandes' algorithm on the unweighted graph (hops, not tie strength:
// a bridge matters however light its ties). Exact from every source on small graphs; on large
// ones from a seeded sample of sources (300, or 120 past 5,000 members), scaled up, which keeps a 10,000-member community within
// the time budget while ranking the brokers the same way.
import type Graph from 'graphology';

export interface BetweennessOptions {
  /** Sources to sample when the graph has more nodes than this; all nodes otherwise. */
  maxSources?: number;
  /** Sources sampled on graphs over 5,000 nodes (each source is one breadth-first search of the whole graph). */
  largeSources?: number;
  random?: () => number;
}

export function betweenness(graph: Graph, options: BetweennessOptions = {}): Map<string, number> {
  const keys = graph.nodes();
  const n = keys.length;
  const index = new Map(keys.map((k, i) => [k, i]));
  const adjacency: Int32Array[] = keys.map((k) => Int32Array.from(graph.neighbors(k), (m) => index.get(m)!));
  const maxSources = n > 5000 ? (options.largeSources ?? 120) : (options.maxSources ?? 300);
  let sources = Array.from({ length: n }, (_, i) => i);
  if (n > maxSources) {
    const random = options.random ?? Math.random;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sources[i], sources[j]] = [sources[j], sources[i]];
    }
    sources = sources.slice(0, maxSources);
  }
  const scale = n / sources.length;
  const cb = new Float64Array(n);
  const sigma = new Float64Array(n);
  const dist = new Int32Array(n);
  const delta = new Float64Array(n);
  const order = new Int32Array(n);
  const queue = new Int32Array(n);
  for (const s of sources) {
    sigma.fill(0);
    dist.fill(-1);
    delta.fill(0);
    sigma[s] = 1;
    dist[s] = 0;
    let head = 0;
    let tail = 0;
    let seen = 0;
    queue[tail++] = s;
    while (head < tail) {
      const v = queue[head++];
      order[seen++] = v;
      for (const w of adjacency[v]) {
        if (dist[w] < 0) {
          dist[w] = dist[v] + 1;
          queue[tail++] = w;
        }
        if (dist[w] === dist[v] + 1) sigma[w] += sigma[v];
      }
    }
    for (let i = seen - 1; i > 0; i--) {
      const w = order[i];
      for (const v of adjacency[w]) if (dist[v] === dist[w] - 1) delta[v] += (sigma[v] / sigma[w]) * (1 + delta[w]);
      cb[w] += delta[w];
    }
  }
  // Undirected: every pair was counted from both ends.
  return new Map(keys.map((k, i) => [k, (cb[i] * scale) / 2]));
}
