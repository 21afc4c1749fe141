// Per-connection token buckets, with the clock passed in.
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

const limits = { messagesPerSecond: 50, messageBurst: 300, bytesPerSecond: 1000, byteBurst: 10_000 };

describe('RateLimiter', () => {
  it('lets a connection use its burst at once, then 50 messages a second, and refuses the rest', () => {
    const limiter = new RateLimiter(limits, 0);
    const taken = Array.from({ length: 400 }, () => limiter.take(1, 0)).filter(Boolean).length;
    expect(taken).toBe(300);
    expect(limiter.refused).toBe(100);
    // 100 ms later: five more.
    const later = Array.from({ length: 10 }, () => limiter.take(1, 100)).filter(Boolean).length;
    expect(later).toBe(5);
  });

  it('refuses a message larger than the bytes left, and refills bytes at their rate up to the burst', () => {
    const limiter = new RateLimiter(limits, 0);
    expect(limiter.take(10_001, 0)).toBe(false);
    expect(limiter.take(10_000, 0)).toBe(true);
    expect(limiter.take(1, 0)).toBe(false);
    expect(limiter.take(2_000, 2_000)).toBe(true); // two seconds refill 2,000 bytes
    expect(limiter.take(1, 2_000)).toBe(false);
    // A long pause refills only up to the burst.
    expect(limiter.take(10_000, 1_000_000)).toBe(true);
    expect(limiter.take(1, 1_000_000)).toBe(false);
  });

  it('is full again only once both buckets have refilled to their bursts', () => {
    const limiter = new RateLimiter(limits, 0);
    expect(limiter.full(0)).toBe(true);
    limiter.take(5_000, 0);
    expect(limiter.full(1_000)).toBe(false); // messages refilled, bytes 1,000 short
    expect(limiter.full(5_000)).toBe(true);
  });
});
