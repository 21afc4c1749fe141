// RP3β (Paudel et al. 2017, "Updatable, accurate, diverse, and scalable recommendations for
// interactive applications"): a three-step random walk member → thread → member → thread on the
// binary matrix, each step choosing uniformly among the node's edges, with the arrival thread's
// probability divided by its popularity to the power β so that a walk does not end on the threads
// everyone touched. W_ij = Σ_v X_vi X_vj / (deg_i · deg_v) / deg_j^β; score(u, j) = Σ_{i ∈ u} W_ij
// (the first step's 1/deg_u is the same for every thread of u and ranks nothing).
import type { Feedback, Scorer } from './feedback';

export interface Rp3Options {
  /** Popularity penalty of the arrival thread: 0 is the plain walk (P³α with α = 1). */
  beta?: number;
}

export function fitRp3(train: Feedback, options: Rp3Options = {}): Scorer {
  const beta = options.beta ?? 0.5;
  const n = train.items;
  const deg = train.itemCounts();
  const penalty = Float64Array.from(deg, (d) => (d > 0 ? d ** -beta : 0));
  return {
    name: 'rp3',
    score(member) {
      const out = new Float64Array(n);
      // Σ_{i ∈ u} Σ_{v ∈ i} 1/(deg_i · deg_v) · Σ_{j ∈ v} 1: walk the member's threads' members' threads.
      const viaMember = new Map<number, number>();
      for (const i of train.itemsOf(member)) {
        const members = train.membersOf(i);
        for (const v of members) viaMember.set(v, (viaMember.get(v) ?? 0) + 1 / deg[i]);
      }
      for (const [v, w] of viaMember) {
        const items = train.itemsOf(v);
        const step = w / items.length;
        for (const j of items) out[j] += step;
      }
      for (let j = 0; j < n; j++) out[j] *= penalty[j];
      return out;
    }
  };
}
