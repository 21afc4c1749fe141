import { describe, expect, it } from 'vitest';
import type { CommunityState, MissingMonths } from './community.svelte';
import { OlderMonths, REFRESH_EVERY_MS } from './older-months.svelte';

/** A community whose worker answers the months list after `ms`, each answer the list as it is then. */
function answering(ms: number) {
  let calls = 0;
  let months: MissingMonths['months'] = [{ id: '2024-03', records: 5, evicted: false }];
  const community = {
    missingMonths: async (): Promise<MissingMonths> => {
      calls++;
      const now = months;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { months: now, peers: 1 };
    }
  } as unknown as CommunityState;
  return {
    community,
    calls: () => calls,
    set: (next: MissingMonths['months']) => void (months = next)
  };
}

describe('the list of months not on this device', () => {
  it('asked at every change of the sync’s status, is read once more after the read under way, not once per ask, and ends current', async () => {
    const worker = answering(20);
    const older = new OlderMonths(worker.community);
    const first = older.refresh();
    // A peer's messages change the status many times while the first read is under way.
    worker.set([]);
    const asks = Array.from({ length: 50 }, () => older.refresh());
    const started = Date.now();
    await Promise.all([first, ...asks]);
    expect(worker.calls()).toBe(2);
    // The second read waited out the spacing, and brought the list as it is now (the month arrived).
    expect(Date.now() - started).toBeGreaterThanOrEqual(REFRESH_EVERY_MS - 50);
    expect(older.months).toEqual([]);
    // Asked again once nothing is under way: read at once.
    await older.refresh();
    expect(worker.calls()).toBe(3);
  });
});
