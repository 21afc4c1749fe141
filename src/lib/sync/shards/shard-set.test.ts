import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CORE_SHARD } from '../../domain/shards';
import { CORE_KINDS } from '../lobby';
import { SHARD_CORE_KINDS } from '../../domain/shards';
import { applyGatedUpdate, whenApplied } from '../gated-sync-protocol';
import { MemoryShardStorage, ShardSet } from './shard-set';
import { belongsTo } from './shard-gate';
import { record } from './shard-test-kit';

const NOW = Date.UTC(2026, 4, 15);
const MONTH = (m: number) => Date.UTC(2026, m - 1, 10);

async function shardSet(storage = new MemoryShardStorage(), maxOpen = 4) {
  return new ShardSet({ storage, maxOpen, now: () => NOW }).init();
}

describe('ShardSet', () => {
  it('writes each record to the shard of its kind and month, and reads them back after a restart', async () => {
    const storage = new MemoryShardStorage();
    const set = await shardSet(storage);
    const profile = record('profile', MONTH(1), { name: 'Ann' });
    const old = record('thread', MONTH(1));
    const reply = record('reply', MONTH(5), { thread: old.id, parent: old.id });
    await set.put([profile, old, reply]);
    await set.close();
    const again = await shardSet(storage);
    expect([...(await again.records(CORE_SHARD)).keys()]).toEqual([profile.id]);
    expect([...(await again.records('2026-01')).keys()]).toEqual([old.id]);
    expect([...(await again.records('2026-05')).keys()]).toEqual([reply.id]);
    expect(again.catalogue().map((e) => [e.id, e.records])).toEqual([
      [CORE_SHARD, 1],
      ['2026-01', 1],
      ['2026-05', 1]
    ]);
  });

  it('turns a peer’s record of another shard into junk, counted, and keeps the rest', async () => {
    const set = await shardSet();
    await set.put([record('thread', MONTH(4))]);
    const peer = new Y.Doc();
    const good = record('reply', MONTH(4));
    const stray = record('reply', MONTH(3));
    const core = record('ban', MONTH(4), { member: 'm'.repeat(43), banned: true });
    peer.getMap('records').set(good.id, good);
    peer.getMap('records').set(stray.id, stray);
    peer.getMap('records').set(core.id, core);
    await set.use('2026-04', async (doc) => {
      applyGatedUpdate(doc, Y.encodeStateAsUpdate(peer), 'peer');
      await whenApplied(doc);
    });
    const records = await set.records('2026-04');
    expect(records.has(good.id)).toBe(true);
    expect(records.has(stray.id)).toBe(false);
    expect(records.has(core.id)).toBe(false);
    expect(set.gate.wrongShard).toBe(2);
    expect(set.gate.junkItems).toBe(2);
  });

  it('filters stored updates through the same gate when a shard is opened', async () => {
    const storage = new MemoryShardStorage();
    const set = await shardSet(storage);
    await set.put([record('thread', MONTH(2))]);
    await set.close();
    const junk = new Y.Doc();
    const stray = record('thread', MONTH(3));
    junk.getMap('records').set(stray.id, stray);
    await storage.append('2026-02', Y.encodeStateAsUpdate(junk));
    const again = await shardSet(storage);
    expect((await again.records('2026-02')).has(stray.id)).toBe(false);
    expect(again.gate.wrongShard).toBe(1);
  });

  it('keeps at most maxOpen documents open besides the core and the current month', async () => {
    const set = await shardSet(new MemoryShardStorage(), 2);
    for (let m = 1; m <= 12; m++) await set.put([record('thread', Date.UTC(2025, m - 1, 3))]);
    await set.put([record('profile', NOW, { name: 'B' }), record('thread', NOW)]);
    await set.settled();
    expect(set.openCount()).toBeLessThanOrEqual(2 + 2);
    expect(set.isOpen(CORE_SHARD)).toBe(true);
    expect(set.isOpen('2026-05')).toBe(true);
    // Closed shards still answer from the catalogue, with what they held when closed.
    expect(set.catalogue().find((e) => e.id === '2025-01')?.records).toBe(1);
  });

  it('evicts a shard: gone from storage and memory, remembered in the catalogue as evicted', async () => {
    const storage = new MemoryShardStorage();
    const set = await shardSet(storage);
    await set.put([record('thread', MONTH(1)), record('thread', MONTH(1))]);
    const digest = set.digest('2026-01');
    const told: unknown[] = [];
    set.onCatalogue((e) => told.push(e));
    expect(await set.evict('2026-01')).toBe(true);
    expect(storage.updates.has('2026-01')).toBe(false);
    expect(set.isOpen('2026-01')).toBe(false);
    expect(set.isEvicted('2026-01')).toBe(true);
    expect(set.catalogue().some((e) => e.id === '2026-01')).toBe(false);
    expect(set.entries().find((e) => e.id === '2026-01')).toMatchObject({ state: 'evicted', records: 2, digest });
    expect(told).toEqual([{ id: '2026-01', records: 2, digest, held: false }]);
    expect(await set.evict(CORE_SHARD)).toBe(false);
    expect((await shardSet(storage)).isEvicted('2026-01')).toBe(true);
  });

  it('forgets a shard fetched empty', async () => {
    const storage = new MemoryShardStorage();
    const set = await shardSet(storage);
    await set.use('2024-01', () => {}, true);
    expect(await set.discardEmpty('2024-01')).toBe(true);
    expect(set.isHeld('2024-01')).toBe(false);
    expect(storage.entries.has('2024-01')).toBe(false);
  });
});

describe('the shard gate on whole records', () => {
  it('accepts a record only in its own shard', () => {
    const r = record('reaction', MONTH(4), { target: 't'.repeat(43) });
    expect(belongsTo(r, '2026-04')).toBe(true);
    expect(belongsTo(r, '2026-05')).toBe(false);
    expect(belongsTo(r, CORE_SHARD)).toBe(false);
    expect(belongsTo({ ...r, kind: 'banana' }, '2026-04')).toBe(false);
    expect(belongsTo('not a record', '2026-04')).toBe(false);
  });

  it('holds in the core every kind the lobby carries', () => {
    for (const kind of CORE_KINDS) expect(SHARD_CORE_KINDS.has(kind as never), kind).toBe(true);
  });
});
