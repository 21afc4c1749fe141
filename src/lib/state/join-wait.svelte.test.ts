// A newcomer waits for an admission or a key only while some other device could send it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitForSync, waitWhileReachable } from './join.svelte';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Settles `promise` while the fake clock moves on in steps; returns its value and the ms it took. */
async function timed<T>(promise: Promise<T>, step = 100): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let result: { value: T } | null = null;
  promise.then((value) => (result = { value }));
  for (let i = 0; i <= 20_000 / step && !result; i++) await vi.advanceTimersByTimeAsync(i === 0 ? 0 : step);
  if (!result) throw new Error('still waiting after 20 s');
  return { value: (result as { value: T }).value, ms: Date.now() - start };
}

describe('waiting for an admission or a key', () => {
  it('gives up after the 2 s grace when no other device is in reach', async () => {
    const { value, ms } = await timed(
      waitWhileReachable(
        async () => false,
        () => false
      )
    );
    expect(value).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(2_000);
    expect(ms).toBeLessThan(3_000);
  });

  it('keeps waiting while a device is in reach, and ends as soon as the answer is there', async () => {
    const answerAt = Date.now() + 6_000;
    const { value, ms } = await timed(
      waitWhileReachable(
        async () => Date.now() >= answerAt,
        () => true
      )
    );
    expect(value).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(6_000);
    expect(ms).toBeLessThan(6_500);
  });

  it('waits at most 10 s for a device in reach that never answers', async () => {
    const { value, ms } = await timed(
      waitWhileReachable(
        async () => false,
        () => true
      )
    );
    expect(value).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(10_000);
    expect(ms).toBeLessThan(10_500);
  });

  it('an answer already there ends the wait at once, reachable or not', async () => {
    const { value, ms } = await timed(
      waitWhileReachable(
        async () => true,
        () => false
      )
    );
    expect(value).toBe(true);
    expect(ms).toBe(0);
  });
});

describe('waiting for the first exchange before joining', () => {
  const trueAfter = (ms: number) => {
    const at = Date.now() + ms;
    return () => Date.now() >= at;
  };

  it('goes on as soon as a WebRTC peer’s whole reply to its step 1 came, with no moment more', async () => {
    const synced = trueAfter(300);
    const { value, ms } = await timed(
      waitForSync(
        6_000,
        () => true,
        trueAfter(100),
        () => (synced() ? 'synced' : 'waiting')
      ),
      10
    );
    expect(value).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(400);
  });

  it('does not take what arrived so far for the whole while an open connection’s reply is still coming', async () => {
    const synced = trueAfter(2_000);
    const { value, ms } = await timed(
      waitForSync(
        6_000,
        () => true,
        trueAfter(100),
        () => (synced() ? 'synced' : 'waiting')
      ),
      10
    );
    expect(value).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(2_000);
    expect(ms).toBeLessThan(2_100);
  });

  it('through a relay alone, goes on a moment after something arrived', async () => {
    const { value, ms } = await timed(
      waitForSync(
        6_000,
        () => true,
        trueAfter(300),
        () => 'none'
      ),
      10
    );
    expect(value).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(800);
    expect(ms).toBeLessThan(900);
  });

  it('gives up at the limit when the reply never completes, saying whether a peer is there', async () => {
    const { value, ms } = await timed(
      waitForSync(
        6_000,
        () => false,
        () => false,
        () => 'waiting'
      )
    );
    expect(value).toBe(false);
    expect(ms).toBe(6_000);
  });
});
