import { describe, expect, it } from 'vitest';
import { digestTopThreads, FEATURED_DIGEST_BONUS } from './digest-picks';

const WEEK_AGO = 1_700_000_000_000;
const t = (id: string, replyCount: number, lastActivity: number, featuredAt?: number, autoKey?: string) => ({
  id,
  title: id,
  replyCount,
  lastActivity,
  featured: featuredAt === undefined ? null : { by: 'mod', at: featuredAt, reason: null },
  autoKey: autoKey ?? null
});

describe('digest picks', () => {
  it('a featured thread weighs as if it had FEATURED_DIGEST_BONUS more replies', () => {
    const threads = [t('busy', 6, WEEK_AGO + 10), t('gem', 2, WEEK_AGO + 10, WEEK_AGO - 1), t('quiet', 1, WEEK_AGO + 20)];
    expect(digestTopThreads(threads, WEEK_AGO).map((x) => x.id)).toEqual(['gem', 'busy', 'quiet']);
    expect(2 + FEATURED_DIGEST_BONUS).toBeGreaterThan(6);
  });

  it('lists a thread featured this week without new replies, but not one featured and quiet before it', () => {
    const threads = [
      t('new-gem', 0, WEEK_AGO - 1000, WEEK_AGO),
      t('old-gem', 9, WEEK_AGO - 1000, WEEK_AGO - 1),
      t('digest', 50, WEEK_AGO + 5, undefined, 'digest:2026-W01')
    ];
    expect(digestTopThreads(threads, WEEK_AGO).map((x) => x.id)).toEqual(['new-gem']);
  });

  it('keeps the five best, ties by the latest activity', () => {
    const threads = Array.from({ length: 7 }, (_, i) => t(`t${i}`, 1, WEEK_AGO + i));
    expect(digestTopThreads(threads, WEEK_AGO).map((x) => x.id)).toEqual(['t6', 't5', 't4', 't3', 't2']);
  });
});
