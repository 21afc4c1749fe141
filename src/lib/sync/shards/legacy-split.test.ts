// A community's single document split into shards keeps every entry's Yjs item: devices that split
// apart hold the same shard documents and send each other nothing, and what an old device writes to
// the single document later reaches the shards as the same items.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CORE_SHARD } from '../../domain/shards';
import { splitLegacy } from './legacy-split';
import { MemoryShardStorage, ShardSet } from './shard-set';
import { ShardSync } from './shard-sync';
import { link, record, until } from './shard-test-kit';
import { OP_CATALOGUE, OP_HELLO } from './shard-wire';

const NOW = Date.UTC(2026, 4, 15);

/** A single document written by two devices in turns, records of three shards interleaved. */
function legacy(): Y.Doc {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const put = (doc: Y.Doc, r: ReturnType<typeof record>) => doc.getMap('records').set(r.id, r);
  put(a, record('genesis', Date.UTC(2026, 2, 1), { name: 'C' }));
  for (let i = 0; i < 6; i++) {
    put(a, record('thread', Date.UTC(2026, 2 + (i % 3), 3 + i)));
    put(b, record('reply', Date.UTC(2026, 2 + ((i + 1) % 3), 4 + i)));
    put(b, record('profile', Date.UTC(2026, 3, 1), { name: `m${i}` }));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  }
  // B puts back one of A's threads (as repair does): its entry names A's, now deleted, as origin,
  // and A writes nothing more in that month.
  const early = record('thread', Date.UTC(2026, 2, 1));
  put(a, early);
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  put(b, JSON.parse(JSON.stringify(early)));
  put(a, record('thread', Date.UTC(2026, 4, 28)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
  return a;
}

async function migrated(doc: Y.Doc) {
  const set = await new ShardSet({ storage: new MemoryShardStorage(), now: () => NOW }).init();
  for (const [shard, update] of splitLegacy(doc)) await set.applyOwn(shard, update);
  await set.settled();
  return set;
}

describe('splitting a single document into shards', () => {
  it('puts each record in its shard under the item id it had', async () => {
    const doc = legacy();
    const set = await migrated(doc);
    expect(
      set
        .catalogue()
        .map((e) => e.id)
        .sort()
    ).toEqual(['2026-03', '2026-04', '2026-05', CORE_SHARD].sort());
    let total = 0;
    for (const e of set.catalogue()) {
      await set.use(e.id, (shardDoc) => {
        expect(shardDoc.store.pendingStructs).toBeNull();
        const entries = (shardDoc.getMap('records') as unknown as { _map: Map<string, Y.Item> })._map;
        for (const [key, item] of entries) {
          const original = (doc.getMap('records') as unknown as { _map: Map<string, Y.Item> })._map.get(key)!;
          expect(Y.compareIDs(item.id, original.id)).toBe(true);
          total++;
        }
      });
    }
    expect(total).toBe(doc.getMap('records').size);
  });

  it('gives two devices that split apart the same shards, so syncing them sends no record', async () => {
    const doc = legacy();
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    const p = await migrated(doc);
    const q = await migrated(copy);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(q.catalogue().sort(byId)).toEqual(p.catalogue().sort(byId));
    const ps = new ShardSync(p, { now: () => NOW });
    const qs = new ShardSync(q, { now: () => NOW });
    const kinds: number[] = [];
    const l = link(ps, qs, (_to, bytes) => kinds.push(bytes[2]));
    await until(() => kinds.length >= 4, 2_000, 'catalogues');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kinds).toEqual([OP_HELLO, OP_CATALOGUE, OP_HELLO, OP_CATALOGUE]); // two hellos and catalogues, no sync message
    l.close();
  });

  it('takes what an old device writes to the single document later as the same items', async () => {
    const doc = legacy();
    const set = await migrated(doc);
    const late = record('reply', Date.UTC(2026, 4, 20));
    const oldDevice = new Y.Doc();
    Y.applyUpdate(oldDevice, Y.encodeStateAsUpdate(doc));
    oldDevice.getMap('records').set(late.id, late);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(oldDevice));
    const before = set.digest('2026-03');
    for (const [shard, update] of splitLegacy(doc)) await set.applyOwn(shard, update);
    expect((await set.records('2026-05')).has(late.id)).toBe(true);
    expect(set.digest('2026-03')).toBe(before);
    const again = await migrated(doc);
    expect(again.digest('2026-05')).toBe(set.digest('2026-05'));
  });
});
