// The health line's count of a community's records on real storage (fake-indexeddb): counted at
// most every COVERAGE_EVERY_MS, the last count answering in between, and a count put off announced.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { smallCommunity, writer } from '../../../tests/unit/community-fixture';
import { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import { COVERAGE_EVERY_MS, countedCoverage, coverageCountedKey } from './checkpoint';

describe('the health count', () => {
  it('asked again within its wait answers the last count, and the count made when the wait ends is announced', { timeout: 20_000 }, async () => {
    const { cid, records, creator } = await smallCommunity();
    const db = new HearthDb('coverage-count');
    await applyRecords(db, cid, records);
    const coverage = countedCoverage(db);
    const first = await coverage(cid);
    expect(first.have).toBeGreaterThan(0);
    const asked = Date.now();
    await applyRecords(db, cid, [await writer(creator, cid, 1_700_000_500_000)('thread', { title: 'Later', body: 'x' })]);
    // Within the wait: the last count, not a new one.
    expect((await coverage(cid)).have).toBe(first.have);
    let announced: unknown;
    while (!(announced = await db.settings.get(coverageCountedKey(cid)))) {
      expect(Date.now() - asked).toBeLessThan(COVERAGE_EVERY_MS + 5000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(announced).toBeDefined();
    expect((await coverage(cid)).have).toBe(first.have + 1);
  });
});
