import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { projectCommunity } from './posts';
import { countReactions, visibleReactions } from './reactions';
import type { AnyRecord, SignedRecord } from './record';

/** Emoji that are distinct strings: enough for a flood. */
const emojiN = (i: number) => String.fromCodePoint(0x1f600 + (i % 80)) + (i >= 80 ? String.fromCodePoint(0x1f300 + Math.floor(i / 80)) : '');

describe('reaction counting', () => {
  it('counts one reaction per member, emoji and post, the latest record deciding whatever the arrival order', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const t = await w('thread', { title: 'T', body: '' });
    const rs = [
      await w('reaction', { target: t.id, emoji: '👍', on: true }),
      await w('reaction', { target: t.id, emoji: '👍', on: true }),
      await w('reaction', { target: t.id, emoji: '❤️', on: true }),
      await w('reaction', { target: t.id, emoji: '❤️', on: false }),
      await w('reaction', { target: t.id, emoji: '❤️', on: true })
    ];
    expect(countReactions(rs)).toEqual({ '👍': [alice.publicKey], '❤️': [alice.publicKey] });
    expect(countReactions([...rs].reverse())).toEqual(countReactions(rs));
    expect(countReactions(rs.slice(0, 4))).toEqual({ '👍': [alice.publicKey] });
  });

  it('counts at most five emoji per member on a post: their first five that are on', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const t = await w('thread', { title: 'T', body: '' });
    const rs: SignedRecord<'reaction'>[] = [];
    for (let i = 0; i < 8; i++) rs.push(await w('reaction', { target: t.id, emoji: emojiN(i), on: true }));
    expect(Object.keys(countReactions(rs)).sort()).toEqual([0, 1, 2, 3, 4].map(emojiN).sort());
    rs.push(await w('reaction', { target: t.id, emoji: emojiN(1), on: false }));
    expect(Object.keys(countReactions(rs)).sort(), 'taking one back lets the next count').toEqual([0, 2, 3, 4, 5].map(emojiN).sort());
  });

  it('orders emoji by members, ties by first use', async () => {
    const [alice, bob] = [await newMember(), await newMember()];
    const g = await newCommunity(alice);
    const wa = writer(alice, g.id);
    const wb = writer(bob, g.id, 1_700_000_100_000);
    const t = await wa('thread', { title: 'T', body: '' });
    const rs = [
      await wa('reaction', { target: t.id, emoji: '🎉', on: true }),
      await wa('reaction', { target: t.id, emoji: '👀', on: true }),
      await wa('reaction', { target: t.id, emoji: '👍', on: true }),
      await wb('reaction', { target: t.id, emoji: '👍', on: true })
    ];
    expect(Object.keys(countReactions(rs))).toEqual(['👍', '🎉', '👀']);
  });

  it('a flood of 5,000 reactions by one member counts five on the projected post', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const t = await writer(alice, g.id)('thread', { title: 'T', body: '' });
    const wm = writer(mallory, g.id, 1_700_000_100_000);
    const flood: AnyRecord[] = [];
    for (let i = 0; i < 5000; i++) flood.push(await wm('reaction', { target: t.id, emoji: emojiN(i), on: true }));
    const records = [g, ...(await admit(alice, mallory, g.id)), t, ...flood];
    const { threads } = projectCommunity(records, computeAuthority(g, records));
    expect(Object.keys(threads[0].reactions)).toEqual([0, 1, 2, 3, 4].map(emojiN));
  });
});

describe('reactions a post shows', () => {
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [emojiN(i), Array.from({ length: 40 - i }, (_, k) => `m${k}`)]));

  it('shows twelve emoji, most used first, and counts the rest as more', () => {
    const { shown, more } = visibleReactions(many, 'someone-else');
    expect(shown.map(([e]) => e)).toEqual(Array.from({ length: 12 }, (_, i) => emojiN(i)));
    expect(more).toBe(28);
  });

  it('always shows the reader’s own reactions, even rare ones', () => {
    const mine = { ...many, [emojiN(60)]: ['me'], [emojiN(61)]: ['me'] };
    const { shown, more } = visibleReactions(mine, 'me');
    expect(shown).toHaveLength(12);
    expect(shown.map(([e]) => e)).toEqual([...Array.from({ length: 10 }, (_, i) => emojiN(i)), emojiN(60), emojiN(61)]);
    expect(more).toBe(30);
  });

  it('shows everything and no "more" when a post has few emoji', () => {
    expect(visibleReactions({ '👍': ['a', 'b'], '🎉': ['c'], '👀': [] }, 'a')).toEqual({
      shown: [
        ['👍', ['a', 'b']],
        ['🎉', ['c']]
      ],
      more: 0
    });
  });
});
