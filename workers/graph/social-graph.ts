// The community's social graph of conversation: members are nodes; replies (who replied to whom),
// answers, co-editing and reactions (weak) are weighted, undirected edges between two members, summed
// over all their interactions. Directed counts are kept on the edge for "who replies to whom".
import Graph from 'graphology';

export type TieKind = 'reply' | 'reaction' | 'answer' | 'coedit';

export interface Tie {
  from: string;
  to: string;
  kind: TieKind;
  ts: number;
}

/**
 * A reply is a conversation; an answer helped someone; a reaction is a light touch. Invitations
 * are not ties at all (they go to the referral tree): one open invite link, or a creator importing
 * a community, would otherwise make one account the bridge between everyone.
 */
export const TIE_WEIGHT: Record<TieKind, number> = { reply: 1, answer: 2, reaction: 0.5, coedit: 1 };

export interface EdgeAttributes {
  weight: number;
  /** Interactions from the lexicographically smaller key to the larger, and back. */
  forward: number;
  backward: number;
}

export type SocialGraph = Graph<Record<string, never>, EdgeAttributes>;

export function buildSocialGraph(members: Iterable<string>, ties: Iterable<Tie>): SocialGraph {
  const graph: SocialGraph = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  // Members numbered in order of appearance, so a pair is one number (smaller index first).
  const keys: string[] = [];
  const index = new Map<string, number>();
  const number = (k: string) => {
    let i = index.get(k);
    if (i === undefined) {
      index.set(k, (i = keys.length));
      keys.push(k);
    }
    return i;
  };
  for (const m of members) number(m);
  // Summed per pair first: one edge write per pair instead of one per interaction.
  const pairs = new Map<number, EdgeAttributes & { a: number; b: number }>();
  // Ties to accounts that are not members (deleted, system) are left out when a member list is given.
  const known = new Set(keys);
  const tieList = [...ties].filter((t) => t.from !== t.to && (known.size === 0 || (known.has(t.from) && known.has(t.to))));
  for (const t of tieList) {
    number(t.from);
    number(t.to);
  }
  const n = keys.length;
  for (const t of tieList) {
    const forward = t.from < t.to;
    const x = index.get(t.from)!;
    const y = index.get(t.to)!;
    const [a, b] = forward ? [x, y] : [y, x];
    const key = a * n + b;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { a, b, weight: 0, forward: 0, backward: 0 }));
    p.weight += TIE_WEIGHT[t.kind];
    if (forward) p.forward++;
    else p.backward++;
  }
  for (const k of keys) graph.addNode(k);
  for (const { a, b, ...attr } of pairs.values()) graph.addEdge(keys[a], keys[b], attr);
  return graph;
}
