// The member-stats worker's read: the same answer as the pure domain functions over the stored
// records, served again without a read while the record count and the hour stay the same.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { smallCommunity } from '../../tests/unit/community-fixture';
import { computeAuthority } from '../../src/lib/domain/authority';
import { currentSettings, memberStats, packMemberStats, unpackMemberStats } from '../../src/lib/domain/membership';
import { openDb } from '../../src/lib/store/db';
import { AUTOMATION_STATS_SPACING, loadMemberStats, spacedMemberStats } from './member-stats';
import { putRecords } from '../../src/lib/store/record-store';

describe('member stats in the worker', () => {
  it('match the domain rules over the stored records, and are recomputed when a record arrives', async () => {
    const { bob, genesis, cid, b, thread, reply, records } = await smallCommunity();
    await putRecords(openDb(), records);

    const now = 1_700_000_500_000;
    const stats = await loadMemberStats(cid, now);
    const auth = computeAuthority(genesis, records);
    const expected = memberStats(records, auth, currentSettings(records, auth), now);
    expect(stats?.trust).toEqual(expected.trust);
    expect(stats?.contributions).toEqual(expected.contributions);
    expect(stats?.lastActive.get(bob.publicKey)).toBe(reply.ts);
    expect(stats?.contributions.get(bob.publicKey)?.replies).toBe(1);

    // Same count, same hour: the kept answer, not a new read.
    expect(await loadMemberStats(cid, now + 60_000)).toBe(stats);

    const second = await b('reply', { thread: thread.id, parent: reply.id, body: 'Me too' });
    await putRecords(openDb(), [second]);
    const after = await loadMemberStats(cid, now + 120_000);
    expect(after).not.toBe(stats);
    expect(after?.lastActive.get(bob.publicKey)).toBe(second.ts);
    expect(after?.contributions.get(bob.publicKey)?.replies).toBe(2);
  });

  it('is null for a community whose genesis is not stored', async () => {
    expect(await loadMemberStats('no-such-community', Date.now())).toBeNull();
  });
});

describe('member stats packed for the page', () => {
  it('unpack to the same trust levels, contributions and last activity', async () => {
    const { genesis, records } = await smallCommunity('Packed');
    const auth = computeAuthority(genesis, records);
    const stats = memberStats(records, auth, currentSettings(records, auth), 1_700_000_500_000);
    const round = unpackMemberStats(structuredClone(packMemberStats(stats)));
    expect(round.trust).toEqual(stats.trust);
    expect(round.contributions).toEqual(stats.contributions);
    expect(round.lastActive).toEqual(stats.lastActive);
  });
});

describe('member stats for the automation', () => {
  it('are read again only after five times the last read took, the last answer in between', async () => {
    let reads = 0;
    const load = async () => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { trust: new Map(), contributions: new Map(), lastActive: new Map() };
    };
    const stats = spacedMemberStats(load);
    const first = await stats('c', 0);
    expect(await stats('c', 0)).toBe(first);
    expect(reads).toBe(1);
    // Another community is its own.
    await stats('d', 0);
    expect(reads).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, AUTOMATION_STATS_SPACING * 100 + 150));
    expect(await stats('c', 0)).not.toBe(first);
    expect(reads).toBe(3);
  });
});
