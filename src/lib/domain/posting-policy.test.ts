import { describe, expect, it } from 'vitest';
import { postingVerdict, postingWait, type PostingFacts } from './posting-policy';
import { PRIVILEGES } from './membership';

const NOW = 1_800_000_000_000;
const member = (over: Partial<PostingFacts> = {}): PostingFacts => ({
  banned: false,
  staff: false,
  trustLevel: 1,
  watchedWords: [],
  recentPosts: [],
  slowSeconds: 0,
  lastInThread: null,
  ...over
});

describe('posting policy', () => {
  it('a removed member writes nothing — posts, notes, surveys, reactions — but may still save a profile', () => {
    const banned = member({ banned: true });
    for (const kind of ['thread', 'reply', 'note', 'note-edit', 'survey-response', 'reaction'] as const) {
      expect(postingVerdict(kind, { body: 'hi' }, NOW, banned), kind).toEqual({ reason: 'standing.banned_post' });
    }
    expect(postingVerdict('profile', { name: 'x' } as never, NOW, banned)).toBeNull();
  });

  it('a blocked watched word stops everyone’s post, staff included, and names the word', () => {
    const words = [{ word: 'spamword', action: 'block' as const }];
    expect(postingVerdict('reply', { body: 'buy SPAMWORD now' }, NOW, member({ watchedWords: words }))).toEqual({
      reason: 'mod.blocked_word',
      word: 'spamword'
    });
    expect(postingVerdict('thread', { title: 'spamword', body: '' }, NOW, member({ staff: true, watchedWords: words }))).toMatchObject({
      reason: 'mod.blocked_word'
    });
    expect(postingVerdict('note', { title: 'spamword' }, NOW, member({ watchedWords: words }))).toBeNull(); // notes are not posts
  });

  it('a trust level 0 newcomer may not post links or images; level 1 may', () => {
    expect(postingVerdict('reply', { body: 'see https://x.example' }, NOW, member({ trustLevel: 0 }))).toEqual({ reason: 'mod.no_links' });
    expect(postingVerdict('reply', { body: '![a](b.png)' }, NOW, member({ trustLevel: 0 }))).toEqual({ reason: 'mod.no_links' });
    expect(postingVerdict('reply', { body: 'see https://x.example' }, NOW, member({ trustLevel: 1 }))).toBeNull();
  });

  it('the hour’s rate limit per trust level holds until the oldest counted post is an hour old; staff are exempt', () => {
    const limit = PRIVILEGES.postsPerHour[0];
    const times = Array.from({ length: limit }, (_, i) => NOW - 50 * 60_000 + i * 1000);
    const refusal = postingVerdict('thread', { title: 't', body: 'b' }, NOW, member({ trustLevel: 0, recentPosts: times }));
    expect(refusal).toEqual({ reason: 'mod.rate_limited', retryAt: times[0] + 3_600_000, slowSeconds: 0 });
    expect(postingVerdict('thread', { title: 't', body: 'b' }, NOW, member({ trustLevel: 0, recentPosts: times.slice(1) }))).toBeNull();
    expect(postingVerdict('thread', { title: 't', body: 'b' }, NOW, member({ trustLevel: 0, staff: true, recentPosts: times }))).toBeNull();
  });

  it('slow mode holds a reply until the seconds have passed since the member’s last reply there, and only replies', () => {
    const facts = member({ slowSeconds: 120, lastInThread: NOW - 60_000 });
    expect(postingWait('reply', NOW, facts)).toEqual({ reason: 'mod.slow_mode', retryAt: NOW + 60_000, slowSeconds: 120 });
    expect(postingWait('reply', NOW + 61_000, facts)).toBeNull();
    expect(postingWait('thread', NOW, facts)).toBeNull();
  });
});
