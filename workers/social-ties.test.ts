import { describe, expect, it } from 'vitest';
import { socialTies } from './analysis';
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
