import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { AUTHORITY_KINDS, computeAuthority } from './authority';
import { KINDS, parseRecord, SEALABLE, type AnyRecord } from './record';
import {
  addMonths,
  CORE_SHARD,
  isShardId,
  keepsShard,
  monthOf,
  monthsBetween,
  planEviction,
  SHARD_CORE_KINDS,
  shardOf,
  shardOfEntry,
  historyOrder,
  shardDecision,
  syncOrder
} from './shards';

const MAY_2026 = Date.UTC(2026, 4, 15, 12);
const id = (n: number) => String(n).padStart(43, 'x');
const author = 'A'.repeat(43);

/** A record as a peer would send it (signatures do not matter to the shard rule). */
function record(kind: AnyRecord['kind'], ts: number, body: unknown): AnyRecord {
  return { id: id(ts % 1000), kind, cid: id(1), author, ts, body, sig: 's'.repeat(86) } as AnyRecord;
}

describe('shardOf', () => {
  it('puts authority, keys, entitlement, names and moderation of content in the core', () => {
    const core: AnyRecord[] = [
      record('invite', MAY_2026, { role: 'member', expiresAt: null, maxUses: null, label: '', nonce: 'n', key: id(2) }),
      record('join', MAY_2026, { invite: id(3), key: id(4), proof: 's'.repeat(86) }),
      record('grant', MAY_2026, { member: id(5), role: 'moderator' }),
      record('ban', MAY_2026, { member: id(5), banned: true }),
      record('key-share', MAY_2026, { scope: 'all', epoch: id(6), epk: id(7), wraps: [] }),
      record('payment', MAY_2026, { member: id(5), tier: 'Gold', amount: 5, currency: 'EUR', paidOn: '2026-05-15' }),
      record('profile', MAY_2026, { name: 'Ann' }),
      record('tombstone', MAY_2026, { target: id(8) }),
      record('hide', MAY_2026, { target: id(8), hidden: true }),
      record('pin', MAY_2026, { target: id(8), pinned: true }),
      record('slowmode', MAY_2026, { thread: id(8), seconds: 60 })
    ];
    for (const r of core) expect(shardOf(r), r.kind).toBe(CORE_SHARD);
  });

  it('puts a reply, a reaction and an edit in the month of their own ts, not of the thread they answer', () => {
    const thread = record('thread', Date.UTC(2025, 0, 3), { title: 'Old', body: '' });
    const reply = record('reply', MAY_2026, { thread: thread.id, parent: thread.id, body: 'late' });
    const reaction = record('reaction', Date.UTC(2026, 5, 1), { target: thread.id, emoji: '👍', on: true });
    const edit = record('edit', Date.UTC(2026, 4, 31, 23, 59, 59, 999), { target: thread.id, body: 'x' });
    expect(shardOf(thread)).toBe('2025-01');
    expect(shardOf(reply)).toBe('2026-05');
    expect(shardOf(reaction)).toBe('2026-06');
    expect(shardOf(edit)).toBe('2026-05');
  });

  it('places a sealed record where its plaintext kind would go', () => {
    const sealed = record('sealed', MAY_2026, { of: 'reply', refs: { thread: id(1), parent: id(1) }, sealed: {} });
    expect(shardOf(sealed)).toBe('2026-05');
    for (const kind of Object.keys(SEALABLE)) expect(SHARD_CORE_KINDS.has(kind as AnyRecord['kind']), kind).toBe(false);
  });

  it('keeps every authority kind in the core, so authority needs the core alone', () => {
    for (const kind of AUTHORITY_KINDS) expect(SHARD_CORE_KINDS.has(kind as AnyRecord['kind']), kind).toBe(true);
  });

  it('uses the UTC month, at its edges and past year 9999', () => {
    expect(monthOf(Date.UTC(2026, 0, 1))).toBe('2026-01');
    expect(monthOf(Date.UTC(2026, 0, 1) - 1)).toBe('2025-12');
    expect(monthOf(0)).toBe('1970-01');
    expect(monthOf(8.64e15)).toBe('9999-12');
    expect(shardOf(record('thread', 8.64e15, {}))).toBe('9999-12');
  });
});

describe('shardOfEntry', () => {
  it('judges a map value from its kind and ts alone', () => {
    expect(shardOfEntry('reply', MAY_2026)).toBe('2026-05');
    expect(shardOfEntry('ban', MAY_2026)).toBe(CORE_SHARD);
  });

  it('gives junk no shard: unknown kinds, missing or broken times', () => {
    expect(shardOfEntry('banana', MAY_2026)).toBeNull();
    expect(shardOfEntry(null, MAY_2026)).toBeNull();
    expect(shardOfEntry('reply', null)).toBeNull();
    expect(shardOfEntry('reply', 1.5)).toBeNull();
    expect(shardOfEntry('reply', -1)).toBeNull();
    expect(shardOfEntry('reply', 9e15)).toBeNull();
    for (const kind of KINDS) expect(shardOfEntry(kind, MAY_2026), kind).not.toBeNull();
  });
});

describe('shard ids', () => {
  it('accepts the core and months of years 1970–9999 only', () => {
    for (const ok of ['core', '1970-01', '2026-05', '9999-12']) expect(isShardId(ok), ok).toBe(true);
    for (const bad of ['', 'Core', '2026-5', '2026-13', '2026-00', '1969-12', '+275760-09', '2026-05 ', '../core', 42, null]) {
      expect(isShardId(bad), String(bad)).toBe(false);
    }
  });

  it('counts and steps months across years', () => {
    expect(monthsBetween('2025-11', '2026-02')).toBe(3);
    expect(addMonths('2026-02', -3)).toBe('2025-11');
    expect(addMonths('2025-12', 1)).toBe('2026-01');
  });
});

describe('syncOrder', () => {
  it('syncs the core, then this month and the older ones newest first, then future months', () => {
    const shards = ['2024-12', '2026-07', 'core', '2026-04', '2026-05', '2031-01', '2025-06'];
    expect(syncOrder(shards, MAY_2026)).toEqual(['core', '2026-05', '2026-04', '2025-06', '2024-12', '2026-07', '2031-01']);
  });
});

describe('historyOrder', () => {
  it('checks the core first in its given order, then records newest first, then future-dated ones, then junk', () => {
    const hour = 3_600_000;
    const values: Record<string, unknown> = {
      old: { kind: 'thread', ts: MAY_2026 - 900 * hour },
      join2: { kind: 'join', ts: MAY_2026 - hour },
      junk: 'not a record',
      newest: { kind: 'reply', ts: MAY_2026 - hour },
      soon: { kind: 'thread', ts: MAY_2026 + 2 * hour },
      join1: { kind: 'join', ts: MAY_2026 - 2000 * hour },
      unknown: { kind: 'no-such-kind', ts: MAY_2026 },
      later: { kind: 'thread', ts: MAY_2026 + 900 * hour },
      profile: { kind: 'profile', ts: MAY_2026 },
      middle: { kind: 'reaction', ts: MAY_2026 - 5 * hour }
    };
    const order = historyOrder(Object.keys(values), (k) => values[k], MAY_2026);
    expect(order).toEqual({
      keys: ['join2', 'join1', 'profile', 'newest', 'middle', 'old', 'soon', 'later', 'junk', 'unknown'],
      core: 3
    });
  });
});

describe('eviction', () => {
  const held = ['core', '2026-05', '2026-04', '2026-01', '2025-12', '2025-11', '2024-03', '2023-01', '2026-09'];

  it('keeps the last months, the core and future months, and evicts the rest oldest first', () => {
    const plan = planEviction(held, { keepMonths: 6, kept: new Set() }, MAY_2026);
    expect(plan.keep).toEqual(['core', '2026-05', '2026-04', '2026-01', '2025-12', '2026-09']);
    expect(plan.evict).toEqual(['2023-01', '2024-03', '2025-11']);
  });

  it('keeps the months holding what the member wrote or starred, whatever their age', () => {
    const plan = planEviction(held, { keepMonths: 2, kept: new Set(['2023-01']) }, MAY_2026);
    expect(plan.evict).toEqual(['2024-03', '2025-11', '2025-12', '2026-01']);
    expect(plan.keep).toContain('2023-01');
  });

  it('keeps a shard read on demand for a grace period after its last read', () => {
    const policy = { keepMonths: 2, kept: new Set<string>(), lastRead: new Map([['2024-03', MAY_2026 - 1000]]), readGraceMs: 60_000 };
    expect(keepsShard('2024-03', policy, MAY_2026)).toBe(true);
    expect(keepsShard('2024-03', policy, MAY_2026 + 60_000)).toBe(false);
  });

  it('keeps everything without a cap', () => {
    expect(planEviction(held, { keepMonths: null, kept: new Set() }, MAY_2026).evict).toEqual([]);
  });
});

describe('the decision to hold a community in shards', () => {
  it('stands when the creator or an admin signs it, never a member’s or a moderator’s; the first that stands holds, and it is a core record', async () => {
    const creator = await newMember();
    const admin = await newMember();
    const mod = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(creator);
    const base: AnyRecord[] = [
      g,
      ...(await admit(creator, admin, g.id, 1_700_000_000_500, 'admin')),
      ...(await admit(creator, mod, g.id, 1_700_000_000_600, 'moderator')),
      ...(await admit(creator, mallory, g.id, 1_700_000_000_700))
    ];
    const decide = (who: Identity, ts: number) => sealRecord(who, { kind: 'shards', cid: g.id, ts, body: { mode: 'month' } });
    const forged = await decide(mallory, 1_700_000_010_000);
    const byMod = await decide(mod, 1_700_000_011_000);
    const judge = (records: AnyRecord[]) => computeAuthority(g, records);
    expect(shardOf(forged)).toBe(CORE_SHARD);
    expect(shardDecision([...base, forged, byMod], judge([...base, forged, byMod])), 'a member’s and a moderator’s are refused').toBeNull();
    const byAdmin = await decide(admin, 1_700_000_020_000);
    const byCreator = await decide(creator, 1_700_000_030_000);
    const all = [...base, forged, byMod, byCreator, byAdmin];
    expect(shardDecision(all, judge(all))?.id, 'the first that stands').toBe(byAdmin.id);
    expect(shardDecision([...base, byCreator], judge([...base, byCreator]))?.id).toBe(byCreator.id);
    // A record whose body is not the decision's is no record at all.
    expect(parseRecord({ ...byCreator, body: { mode: 'year' } }).ok).toBe(false);
  });
});
