// The community's social graph: members are nodes; replies (who replied to whom), reactions,
// answers, co-editing and invites are weighted, undirected edges between two members, summed
// over all their interactions. Directed counts are kept on the edge for "who replies to whom".
import Graph from 'graphology';

export type TieKind = 'reply' | 'reaction' | 'answer' | 'coedit' | 'invite';

export interface Tie {
  from: string;
  to: string;
  kind: TieKind;
  ts: number;
}

/** A reply is a conversation; an answer helped someone; a reaction is a light touch. */
export const TIE_WEIGHT: Record<TieKind, number> = { reply: 1, answer: 2, reaction: 0.5, coedit: 1, invite: 1 };

export interface EdgeAttributes {
  weight: number;
  /** Interactions from the lexicographically smaller key to the larger, and back. */
  forward: number;
  backward: number;
}

export type SocialGraph = Graph<Record<string, never>, EdgeAttributes>;

export function buildSocialGraph(members: Iterable<string>, ties: Iterable<Tie>): SocialGraph {
  const graph: SocialGraph = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  for (const m of members) graph.mergeNode(m);
  for (const t of ties) {
    if (t.from === t.to) continue;
    graph.mergeNode(t.from);
    graph.mergeNode(t.to);
    const w = TIE_WEIGHT[t.kind];
    const forward = t.from < t.to;
    graph.updateEdge(t.from, t.to, (attr) => ({
      weight: (attr.weight ?? 0) + w,
      forward: (attr.forward ?? 0) + (forward ? 1 : 0),
      backward: (attr.backward ?? 0) + (forward ? 0 : 1)
    }));
  }
  return graph;
}
