import { describe, expect, it } from 'vitest';
import { newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { activityAsOf, FUTURE_SKEW_MS, orderFeed } from './feed';
import { projectCommunity } from './posts';

const YEAR_275760 = 8.64e15;

async function riders() {
  const alice = await newMember();
  const g = await newCommunity(alice);
  const w = writer(alice, g.id);
  const old = await w('thread', { title: 'Old', body: '' });
  const pinned = await w('thread', { title: 'Pinned', body: '' });
  const busy = await w('thread', { title: 'Busy', body: '' });
  const pin = await w('pin', { target: pinned.id, pinned: true });
  return { g, w, old, pinned, busy, pin };
}

describe('feed order at a time', () => {
  it('a reply dated year 275760 lifts its thread neither above a thread with a reply dated now nor above a pinned thread', async () => {
    const { g, w, old, pinned, busy, pin } = await riders();
    const now = 1_700_000_500_000;
    const far = await w('reply', { thread: old.id, parent: old.id, body: 'from the future' }, YEAR_275760);
    const recent = await w('reply', { thread: busy.id, parent: busy.id, body: 'now' }, now);
    const { threads, replies } = projectCommunity([g, old, pinned, busy, pin, far, recent], computeAuthority(g, []));
    const feed = orderFeed(threads, replies, now);
    expect(feed.map((t) => t.title)).toEqual(['Pinned', 'Busy', 'Old']);
    expect(feed[2].lastActivity, 'shown with its own time, not the far date').toBe(old.ts);
  });

  it('counts a reply dated ahead once the clock reaches it, and one within the skew at once', async () => {
    const { g, w, old, pinned, busy, pin } = await riders();
    const now = 1_700_000_500_000;
    const soon = await w('reply', { thread: old.id, parent: old.id, body: 'clock a bit fast' }, now + FUTURE_SKEW_MS - 1);
    const later = await w('reply', { thread: busy.id, parent: busy.id, body: 'tomorrow' }, now + 86_400_000);
    const { threads, replies } = projectCommunity([g, old, pinned, busy, pin, soon, later], computeAuthority(g, []));
    expect(orderFeed(threads, replies, now).map((t) => t.title)).toEqual(['Pinned', 'Old', 'Busy']);
    expect(orderFeed(threads, replies, now + 86_400_000).map((t) => t.title)).toEqual(['Pinned', 'Busy', 'Old']);
  });

  it('ranks every pinned thread above every unpinned one, whatever the dates (projection alone)', async () => {
    const { g, w, old, pinned, busy, pin } = await riders();
    const far = await w('reply', { thread: busy.id, parent: busy.id, body: 'far' }, YEAR_275760);
    const { threads } = projectCommunity([g, old, pinned, busy, pin, far], computeAuthority(g, []));
    const rank = (id: string) => threads.find((t) => t.id === id)!.rank;
    expect(rank(pinned.id)).toBeGreaterThan(rank(busy.id));
    expect(Number.isSafeInteger(rank(pinned.id))).toBe(true);
  });

  it('keeps a scheduled thread out until its time, then shows it', async () => {
    const { g, w, old } = await riders();
    const now = 1_700_000_500_000;
    const scheduled = await w('thread', { title: 'Scheduled', body: '' }, now + 3_600_000);
    const { threads, replies } = projectCommunity([g, old, scheduled], computeAuthority(g, []));
    expect(orderFeed(threads, replies, now).map((t) => t.title)).toEqual(['Old']);
    expect(orderFeed(threads, replies, now + 3_600_000).map((t) => t.title)).toEqual(['Scheduled', 'Old']);
  });
});

describe('activity of a question at a time', () => {
  it('an answer dated ahead of the clock does not count until reached; deleted and hidden answers never do', () => {
    const now = 1_700_000_500_000;
    const answers = [
      { createdAt: 8.64e15, deleted: false, hidden: false },
      { createdAt: now - 10_000, deleted: true, hidden: false },
      { createdAt: now - 20_000, deleted: false, hidden: true },
      { createdAt: now - 30_000, deleted: false, hidden: false }
    ];
    expect(activityAsOf(now - 60_000, answers, now)).toBe(now - 30_000);
    expect(activityAsOf(now - 60_000, answers, 8.64e15)).toBe(8.64e15);
    expect(activityAsOf(now - 60_000, [], now)).toBe(now - 60_000);
  });
});
