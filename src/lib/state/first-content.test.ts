import { afterEach, describe, expect, it, vi } from 'vitest';
import { whenIdle } from './first-content';

describe('whenIdle', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('waits for the idle callback, telling the browser how long it may put it off', async () => {
    const asked: { run: () => void; timeout?: number }[] = [];
    vi.stubGlobal('requestIdleCallback', (run: () => void, options?: { timeout?: number }) => asked.push({ run, timeout: options?.timeout }));
    let done = false;
    const idle = whenIdle(2000).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    expect(asked.map((a) => a.timeout)).toEqual([2000]);
    asked[0].run();
    await idle;
    expect(done).toBe(true);
  });

  it('without idle callbacks (Safari) resolves in the next macrotask, not in the caller', async () => {
    vi.stubGlobal('requestIdleCallback', undefined);
    vi.useFakeTimers();
    let done = false;
    const idle = whenIdle().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    await idle;
    expect(done).toBe(true);
  });
});
