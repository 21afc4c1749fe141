// The posting manager over a real CommunityDoc on fake-indexeddb: watched words, the rate limit,
// slow mode and a ban refuse a write as the page shows it, and the trust level comes from member
// stats only when the verdict reads it, read again after five minutes.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writer } from '../../../tests/unit/community-fixture';
import { creatorAndMember } from '../../../tests/unit/doc-fixture';
import type { Identity } from '../crypto/identity';
import { computeAuthority } from '../domain/authority';
import { DEFAULT_SETTINGS, memberStats, PRIVILEGES } from '../domain/membership';
import type { AnyRecord } from '../domain/record';
import { i18n } from '../i18n/index.svelte';
import { communityRecords } from '../store/record-store';
import { Posting } from './posting';

afterEach(() => vi.useRealTimers());

async function community() {
  const { alice, bob, g, db, doc, append, reads } = await creatorAndMember('posting');
  /** The manager as CommunityState makes it for `member`, with the settings read so far and member stats computed from the stored records (the default trust thresholds). */
  async function postingFor(member: Identity) {
    const standing = await reads.standing(g.id, member.publicKey, Date.now());
    let statsRead = 0;
    const posting = new Posting({
      cid: g.id,
      me: member.publicKey,
      reads,
      watchedWords: () => standing?.settings.watchedWords,
      memberStats: async (cid, now) => {
        statsRead++;
        const records = (await communityRecords(db, cid)) as AnyRecord[];
        return memberStats(records, computeAuthority(g, records), DEFAULT_SETTINGS, now);
      }
    });
    return { posting, statsRead: () => statsRead };
  }
  return { alice, bob, append, postingFor, reads: { g, reads }, a: writer(alice, g.id), b: writer(bob, g.id), close: () => doc.close() };
}

describe('Posting', () => {
  it('a blocked watched word refuses anyone’s post, staff too, and names the word', async () => {
    const { alice, bob, a, append, postingFor, close } = await community();
    await append(await a('settings', { ...DEFAULT_SETTINGS, watchedWords: [{ word: 'spamword', action: 'block' }] }));
    const now = Date.now();
    const { posting } = await postingFor(bob);
    expect(await posting.check('reply', { thread: 't', parent: 't', body: 'buy SPAMWORD now' }, now)).toEqual({
      ok: false,
      reason: 'mod.blocked_word',
      params: { word: 'spamword' }
    });
    expect(await posting.check('thread', { title: 'Sunday ride', body: 'Who is in?' }, now)).toBeNull();
    expect(await (await postingFor(alice)).posting.check('thread', { title: 'spamword', body: '' }, now)).toMatchObject({ reason: 'mod.blocked_word' });
    close();
  });

  it('a newcomer’s posts past the hour’s limit wait until the oldest is an hour old, said before and on writing; the creator is exempt', async () => {
    const { alice, bob, b, append, postingFor, close } = await community();
    const now = Date.now();
    const times = Array.from({ length: PRIVILEGES.postsPerHour[0] }, (_, i) => now - 50 * 60_000 + i * 60_000);
    for (const [i, ts] of times.entries()) await append(await b('thread', { title: `Ride ${i}`, body: 'Sunday' }, ts));
    const { posting } = await postingFor(bob);
    const retryAt = times[0] + 3_600_000;
    expect(await posting.wait('thread', undefined, now)).toEqual({ reason: 'rate_limited', retryAt, slowSeconds: 0 });
    expect(await posting.check('thread', { title: 'One more', body: 'Sunday' }, now)).toEqual({
      ok: false,
      reason: 'mod.rate_limited',
      params: { time: i18n.time(retryAt), in: i18n.relative(retryAt, now) }
    });
    expect(await posting.wait('thread', undefined, retryAt)).toBeNull();
    expect(await (await postingFor(alice)).posting.wait('thread', undefined, now)).toBeNull();
    close();
  });

  it('slow mode holds a member’s next reply in that thread until its seconds have passed since their last there', async () => {
    const { alice, bob, a, b, append, postingFor, close } = await community();
    const now = Date.now();
    const slow = await a('thread', { title: 'Ride', body: 'Sunday' }, now - 10 * 60_000);
    const other = await a('thread', { title: 'Kit', body: 'Lights' }, now - 10 * 60_000);
    const last = await b('reply', { thread: slow.id, parent: slow.id, body: 'In' }, now - 60_000);
    await append(slow, other, await a('slowmode', { thread: slow.id, seconds: 120 }, now - 5 * 60_000), last);
    const { posting } = await postingFor(bob);
    const retryAt = last.ts + 120_000;
    expect(await posting.wait('reply', slow.id, now)).toEqual({ reason: 'slow_mode', retryAt, slowSeconds: 120 });
    expect(await posting.check('reply', { thread: slow.id, parent: slow.id, body: 'Still in' }, now)).toEqual({
      ok: false,
      reason: 'mod.slow_mode',
      params: { time: i18n.time(retryAt), in: i18n.relative(retryAt, now) }
    });
    expect(await posting.wait('reply', slow.id, retryAt + 1000)).toBeNull();
    expect(await posting.wait('reply', other.id, now)).toBeNull();
    expect(await (await postingFor(alice)).posting.wait('reply', slow.id, now)).toBeNull();
    close();
  });

  it('a removed member writes nothing but their profile, and neither they nor staff wait for member stats', async () => {
    const { alice, bob, a, append, postingFor, close } = await community();
    const now = Date.now();
    await append(await a('ban', { member: bob.publicKey, banned: true }, now - 60_000));
    const removed = await postingFor(bob);
    expect(await removed.posting.check('reply', { thread: 't', parent: 't', body: 'hello?' }, now)).toEqual({ ok: false, reason: 'standing.banned_post' });
    expect(await removed.posting.check('reaction', { target: 't', emoji: '👍', on: true }, now)).toEqual({ ok: false, reason: 'standing.banned_post' });
    expect(await removed.posting.check('profile', { name: 'Bob' }, now)).toBeNull();
    const staff = await postingFor(alice);
    expect(await staff.posting.check('thread', { title: 'Route', body: 'https://maps.example' }, now)).toBeNull();
    expect([removed.statsRead(), staff.statsRead()]).toEqual([0, 0]);
    close();
  });

  it('a newcomer may not post links until member stats put them at trust level 1, read again after five minutes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { bob, a, append, postingFor, close } = await community();
    const link = { title: 'Route', body: 'see https://maps.example' };
    const { posting, statsRead } = await postingFor(bob);
    expect(await posting.check('thread', link, Date.now())).toEqual({ ok: false, reason: 'mod.no_links' });
    await append(await a('trust-lock', { member: bob.publicKey, level: 1 }));
    expect(await posting.check('thread', link, Date.now())).toEqual({ ok: false, reason: 'mod.no_links' });
    expect(statsRead()).toBe(1);
    vi.setSystemTime(Date.now() + 5 * 60_000);
    expect(await posting.check('thread', link, Date.now())).toBeNull();
    expect(statsRead()).toBe(2);
    close();
  });

  it('member stats that cannot be read hold no write back: the strictest trust level (0) applies to it, and the stats are asked again at the next', async () => {
    const { bob, reads, close } = await community();
    const { g } = reads;
    let asked = 0;
    const posting = new Posting({
      cid: g.id,
      me: bob.publicKey,
      reads: reads.reads,
      watchedWords: () => undefined,
      memberStats: async () => {
        asked++;
        throw new Error('worker could not be loaded');
      }
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const now = Date.now();
    expect(await posting.check('reply', { thread: 't', parent: 't', body: 'Bob wrote offline' }, now)).toBeNull();
    expect(await posting.check('reply', { thread: 't', parent: 't', body: 'see https://maps.example' }, now)).toEqual({ ok: false, reason: 'mod.no_links' });
    expect(asked).toBe(2);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
    close();
  });
});
