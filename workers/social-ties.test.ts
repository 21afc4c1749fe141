import { describe, expect, it } from 'vitest';
import { analyse, socialTies } from './analysis';
import type { CommunitySnapshot } from './community/snapshot';

describe('social ties', () => {
  it('links answerers to askers and co-editors of a note, pairwise, once per note', () => {
    const s: CommunitySnapshot = {
      cid: 'c',
      me: 'a',
      members: [],
      threads: [],
      replies: [],
      reactions: [],
      invites: [],
      views: [],
      answers: [
        { author: 'b', to: 'a', ts: 10 },
        { author: 'a', to: 'a', ts: 11 } // answering one's own question ties nobody
      ],
      coedits: [
        { note: 'n1', author: 'a', ts: 1 },
        { note: 'n1', author: 'b', ts: 5 },
        { note: 'n1', author: 'a', ts: 7 },
        { note: 'n1', author: 'c', ts: 9 },
        { note: 'n2', author: 'c', ts: 3 }
      ]
    };
    const ties = socialTies(s);
    expect(ties.filter((t) => t.kind === 'answer')).toEqual([{ from: 'b', to: 'a', kind: 'answer', ts: 10 }]);
    expect(ties.filter((t) => t.kind === 'coedit').map((t) => [t.from, t.to, t.ts])).toEqual([
      ['a', 'b', 5],
      ['a', 'c', 9],
      ['b', 'c', 9]
    ]);
  });
});

describe('social graph of conversation', () => {
  const member = (key: string, invitedBy: string | null) => ({
    key,
    name: key,
    role: (invitedBy ? 'member' : 'creator') as 'member' | 'creator',
    joinedAt: 0,
    invitedBy,
    invite: invitedBy ? 'i1' : null,
    banned: false
  });

  it('leaves the importing creator and every invitation out of centrality', () => {
    // The creator invited everyone (as an import does) and never talked; a–b–d talk in a path.
    const s: CommunitySnapshot = {
      cid: 'c',
      me: 'creator',
      members: [member('creator', null), member('a', 'creator'), member('b', 'creator'), member('d', 'creator')],
      threads: [{ id: 't1', author: 'a', createdAt: 1, title: 'x', body: 'y' }],
      replies: [
        { id: 'r1', thread: 't1', parentAuthor: 'a', author: 'b', createdAt: 2 },
        { id: 'r2', thread: 't1', parentAuthor: 'b', author: 'd', createdAt: 3 },
        { id: 'r3', thread: 't1', parentAuthor: 'ghost', author: 'd', createdAt: 4 }
      ],
      reactions: [],
      invites: [{ id: 'i1', author: 'creator', ts: 0, label: '', maxUses: null, expiresAt: null }] as never,
      views: []
    };
    expect(socialTies(s).some((t) => (t.kind as string) === 'invite')).toBe(false);
    const g = analyse(s, ['graph']).result.graph!;
    expect(g.edges).toBe(2);
    const between = new Map(g.betweenness.map((x) => [x.member, x.value]));
    expect(between.get('creator') ?? 0).toBe(0);
    // b is the only broker of the path a–b–d; the departed 'ghost' is no node.
    expect(g.betweenness[0]).toEqual({ member: 'b', value: 1 });
    expect(g.nodes).toBe(4);
  });
});
