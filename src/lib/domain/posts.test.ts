import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, smallCommunity, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { nextReplyStats, projectCommunity, projectMembers, readableBy, replyStats, type PostRow } from './posts';
import { parseRecord } from './record';

describe('record kinds', () => {
  it('each kind accepts its own body and refuses a body of the wrong shape', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const t = await w('thread', { title: 'T', body: 'b' });
    const valid = [
      g,
      await w('profile', { name: 'Alice', bio: 'rides' }),
      t,
      await w('reply', { thread: t.id, parent: t.id, body: 'r', quote: { id: t.id, text: 'b' } }),
      await w('reaction', { target: t.id, emoji: '👍', on: true }),
      await w('edit', { target: t.id, title: 'T2', body: 'b2' }),
      await w('tombstone', { target: t.id }),
      await w('pin', { target: t.id, pinned: true })
    ];
    for (const r of valid) expect(parseRecord(r).ok, r.kind).toBe(true);
    const wrong: [string, unknown][] = [
      ['genesis', { name: '', description: '', color: '#000000', createdAt: 1, nonce: 'x' }],
      ['genesis', { name: 'x', description: '', color: 'red', createdAt: 1, nonce: 'x' }],
      ['profile', { name: '   ' }],
      ['thread', { title: '', body: 'b' }],
      ['thread', { title: 'x'.repeat(201), body: 'b' }],
      ['thread', { title: 't', body: 'b', extra: 1 }],
      ['reply', { thread: t.id, parent: t.id, body: '' }],
      ['reply', { thread: 'short', parent: t.id, body: 'x' }],
      ['reaction', { target: t.id, emoji: '', on: true }],
      ['reaction', { target: t.id, emoji: '👍' }],
      ['edit', { target: t.id }],
      ['tombstone', {}],
      ['pin', { target: t.id, pinned: 'yes' }]
    ];
    for (const [kind, body] of wrong) {
      expect(parseRecord({ ...t, kind, body }).ok, `${kind} ${JSON.stringify(body)}`).toBe(false);
    }
    expect(parseRecord({ ...t, kind: 'teleport' }).ok).toBe(false);
    expect(parseRecord({ ...g, cid: g.id }).ok, 'a genesis names no community').toBe(false);
  });
});

describe('post projection', () => {
  it('applies the author’s latest edit and counts edits; others’ edits are ignored', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const t = await w('thread', { title: 'Old', body: 'old' });
    const e1 = await w('edit', { target: t.id, title: 'New', body: 'new' });
    const e2 = await w('edit', { target: t.id, body: 'newer' });
    const forged = await writer(bob, g.id, e2.ts + 10)('edit', { target: t.id, body: 'hijacked' });
    const records = [g, ...(await admit(alice, bob, g.id)), t, e2, forged, e1];
    const { threads } = projectCommunity(records, computeAuthority(g, records));
    expect(threads[0]).toMatchObject({ title: 'New', body: 'newer', edits: 2, editedAt: e2.ts });
  });

  it('counts one reaction per member and emoji, latest record deciding', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const t = await w('thread', { title: 'T', body: 'b' });
    const records = [
      g,
      t,
      await w('reaction', { target: t.id, emoji: '👍', on: true }),
      await w('reaction', { target: t.id, emoji: '👍', on: true }),
      await w('reaction', { target: t.id, emoji: '❤️', on: true }),
      await w('reaction', { target: t.id, emoji: '❤️', on: false })
    ];
    const { threads } = projectCommunity(records, computeAuthority(g, []));
    expect(threads[0].reactions).toEqual({ '👍': [alice.publicKey] });
  });

  it('orders the feed by pin then latest live reply, and keeps deleted threads out', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const a = await w('thread', { title: 'A', body: '' });
    const b = await w('thread', { title: 'B', body: '' });
    const c = await w('thread', { title: 'C', body: '' });
    const r = await w('reply', { thread: a.id, parent: a.id, body: 'bump' });
    const r2 = await w('reply', { thread: b.id, parent: b.id, body: 'bump later' });
    const gone = await w('tombstone', { target: r2.id });
    const pin = await w('pin', { target: c.id, pinned: true });
    const del = await w('tombstone', { target: b.id });
    const { threads } = projectCommunity([g, a, b, c, r, r2, gone, pin, del], computeAuthority(g, []));
    const byRank = threads.filter((t) => t.rank >= 0).sort((x, y) => y.rank - x.rank);
    expect(byRank.map((t) => t.title)).toEqual(['C', 'A']);
    expect(threads.find((t) => t.id === a.id)).toMatchObject({ replyCount: 1, lastActivity: r.ts });
    expect(threads.find((t) => t.id === b.id)).toMatchObject({ deleted: true, body: '', rank: -1, replyCount: 0 });
  });

  it('shows nothing written by someone who is not a member', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const t = await writer(mallory, g.id)('thread', { title: 'spam', body: 'spam' });
    const pin = await writer(mallory, g.id)('pin', { target: t.id, pinned: true });
    const out = projectCommunity([g, t, pin], computeAuthority(g, []));
    expect(out.threads).toEqual([]);
    expect(projectMembers(g.id, [g, t], computeAuthority(g, [])).map((m) => m.key)).toEqual([alice.publicKey]);
  });

  it('a moderator features a thread with a reason and can take it back; a member cannot feature', async () => {
    const { creator, genesis, a, b, thread, records } = await smallCommunity();
    const auth = computeAuthority(genesis, records);
    const byBob = await b('feature', { target: thread.id, featured: true, reason: 'mine' });
    expect(projectCommunity([...records, byBob], auth).threads[0].featured).toBeNull();
    const mark = await a('feature', { target: thread.id, featured: true, reason: 'The route everyone asks about' });
    const featured = projectCommunity([...records, byBob, mark], auth).threads[0].featured;
    expect(featured).toEqual({ by: creator.publicKey, at: mark.ts, reason: 'The route everyone asks about' });
    const unmark = await a('feature', { target: thread.id, featured: false });
    expect(projectCommunity([...records, mark, unmark], auth).threads[0].featured).toBeNull();
  });
});

describe('a thread’s reply stats moved on by what changed', () => {
  const T = 'thread-1';
  const row = (id: string, createdAt: number, extra: Partial<PostRow> = {}): PostRow =>
    ({ id, cid: 'c', kind: 'reply', thread: T, parent: T, author: 'a', body: id, createdAt, edits: 0, deleted: false, hidden: false, ...extra }) as PostRow;
  const op = row(T, 100, { kind: 'thread', parent: null });

  it('counts a new reply and takes its time as the last activity', () => {
    const stored = replyStats(op, [row('r1', 200)]);
    expect(stored).toEqual({ replyCount: 1, lastActivity: 200 });
    expect(nextReplyStats(stored, T, [{ after: row('r2', 300) }])).toEqual({ replyCount: 2, lastActivity: 300 });
    // A backdated reply counts without moving the last activity back.
    expect(nextReplyStats(stored, T, [{ after: row('r0', 150) }])).toEqual({ replyCount: 2, lastActivity: 200 });
  });

  it('uncounts a reply deleted or hidden before the last activity, and counts it again when shown', () => {
    const stored = { replyCount: 2, lastActivity: 300 };
    expect(nextReplyStats(stored, T, [{ before: row('r1', 200), after: row('r1', 200, { deleted: true }) }])).toEqual({ replyCount: 1, lastActivity: 300 });
    expect(nextReplyStats(stored, T, [{ before: row('r1', 200) }])).toEqual({ replyCount: 1, lastActivity: 300 });
    expect(nextReplyStats(stored, T, [{ before: row('r1', 200, { hidden: true }), after: row('r1', 200) }])).toEqual({ replyCount: 3, lastActivity: 300 });
    // A reply re-projected as it was (a reaction) changes nothing.
    expect(nextReplyStats(stored, T, [{ before: row('r2', 300), after: row('r2', 300, { reactions: { '👍': ['k'] } }) }])).toEqual(stored);
  });

  it('cannot tell the last activity when the latest reply stops counting', () => {
    expect(nextReplyStats({ replyCount: 2, lastActivity: 300 }, T, [{ before: row('r2', 300), after: row('r2', 300, { deleted: true }) }])).toBeNull();
    expect(nextReplyStats({ replyCount: 2, lastActivity: 300 }, T, [{ before: row('r2', 300) }])).toBeNull();
  });

  it('gives what every row gives, for any replies and any changes to them', () => {
    const reply = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      createdAt: fc.integer({ min: 50, max: 400 }),
      deleted: fc.boolean(),
      hidden: fc.boolean()
    });
    fc.assert(
      fc.property(fc.array(reply, { maxLength: 5 }), fc.array(fc.option(reply, { nil: undefined }), { maxLength: 5 }), (start, next) => {
        // Rows by id (the last of an id wins), then some of them replaced or removed.
        const before = new Map(start.map((r) => [r.id, row(r.id, r.createdAt, r)]));
        const after = new Map(before);
        const changes: { before?: PostRow; after?: PostRow }[] = [];
        next.forEach((r, i) => {
          const id = r?.id ?? [...before.keys()][i];
          if (!id || changes.some((c) => (c.before ?? c.after)?.id === id)) return;
          const was = before.get(id);
          // A reply's time never changes under its id.
          const is = r ? row(id, was?.createdAt ?? r.createdAt, r) : undefined;
          if (is) after.set(id, is);
          else after.delete(id);
          changes.push({ before: was, after: is });
        });
        const moved = nextReplyStats(replyStats(op, [...before.values()]), T, changes);
        if (moved) expect(moved).toEqual(replyStats(op, [...after.values()]));
      }),
      { numRuns: 500, seed: 7 }
    );
  });
});

describe('readableBy', () => {
  const gold = { tiers: ['gold'], author: 'ann' };
  const open = { tiers: [], author: 'ann' };
  it('lets everyone read a post limited to no tier', () => {
    expect(readableBy({ me: 'bo', moderator: false, tier: null }, open)).toBe(true);
  });
  it('keeps a tier-limited post from members of no tier or another tier', () => {
    expect(readableBy({ me: 'bo', moderator: false, tier: null }, gold)).toBe(false);
    expect(readableBy({ me: 'bo', moderator: false, tier: 'silver' }, gold)).toBe(false);
  });
  it("lets the tier's members, the author and moderators read it", () => {
    expect(readableBy({ me: 'bo', moderator: false, tier: 'gold' }, gold)).toBe(true);
    expect(readableBy({ me: 'ann', moderator: false, tier: null }, gold)).toBe(true);
    expect(readableBy({ me: 'cy', moderator: true, tier: null }, gold)).toBe(true);
  });
});
