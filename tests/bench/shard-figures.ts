// Figures of history in shards on a community file (default: the generated 10k community), in Node:
// how big the core and the months are, how long splitting the single document takes, and how soon a
// newcomer syncing from one peer over a MessageChannel holds the core and the newest month (the sync
// part of `sync.first_feed_10k_ms`; the gate, projection and paint come on top in the browser).
//   npx tsx tests/bench/shard-figures.ts [path/to/community.hearth-community.json]
import { readFileSync } from 'node:fs';
import * as Y from 'yjs';
import type { AnyRecord } from '../../src/lib/domain/record';
import { CORE_SHARD, monthOf, syncOrder, type ShardId } from '../../src/lib/domain/shards';
import { splitLegacy } from '../../src/lib/sync/shards/legacy-split';
import { MemoryShardStorage, ShardSet } from '../../src/lib/sync/shards/shard-set';
import { ShardSync } from '../../src/lib/sync/shards/shard-sync';
import { link } from '../../src/lib/sync/shards/shard-test-kit';

const file = process.argv[2] ?? '.bench/data/generated-10k.v1.10000m-100000r-hearth-bench-1.hearth-community.json';
const { records } = JSON.parse(readFileSync(file, 'utf8')) as { records: AnyRecord[] };
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

const legacy = new Y.Doc();
legacy.transact(() => records.forEach((r) => legacy.getMap('records').set(r.id, r)));
const whole = Y.encodeStateAsUpdate(legacy).length;
let t = performance.now();
const parts = splitLegacy(legacy);
const splitMs = performance.now() - t;

const latest = Math.max(...records.map((r) => r.ts));
const order = syncOrder(parts.keys(), latest);
const months = order.filter((s) => s !== CORE_SHARD);
const sizes = months.map((s) => parts.get(s)!.length).sort((a, b) => a - b);
console.log(`${records.length} records, single document ${kib(whole)}; split into ${parts.size} shards in ${splitMs.toFixed(0)} ms`);
console.log(
  `core ${kib(parts.get(CORE_SHARD)!.length)}; ${months.length} months: newest ${months[0]} ${kib(parts.get(months[0])!.length)}, median ${kib(sizes[sizes.length >> 1])}, largest ${kib(sizes[sizes.length - 1])}`
);

const now = () => latest;
const source = await new ShardSet({ storage: new MemoryShardStorage(), now, maxOpen: 4 }).init();
for (const [shard, update] of parts) await source.applyOwn(shard, update);
await source.settled();
const count = async (shard: ShardId) => (await source.records(shard)).size;
console.log(`core ${await count(CORE_SHARD)} records; newest month ${await count(months[0])} records`);

const newcomer = await new ShardSet({ storage: new MemoryShardStorage(), now, maxOpen: 4 }).init();
const a = new ShardSync(source, { now });
const b = new ShardSync(newcomer, { now });
const arrived = new Map<ShardId, number>();
t = performance.now();
const done = new Promise<void>((resolve) =>
  b.onArrived((shard) => {
    arrived.set(shard, performance.now() - t);
    if (arrived.size === parts.size) resolve();
  })
);
const l = link(a, b);
await done;
// The first page of the feed: the newest months until they hold 30 threads.
let threads = 0;
let page = months[0];
for (const month of months) {
  page = month;
  threads += records.filter((r) => r.kind === 'thread' && monthOf(r.ts) === month).length;
  if (threads >= 30) break;
}
console.log(
  `newcomer from one peer: core after ${arrived.get(CORE_SHARD)!.toFixed(0)} ms, newest month after ${arrived.get(months[0])!.toFixed(0)} ms, a first page (30 threads, back to ${page}) after ${arrived.get(page)!.toFixed(0)} ms, all ${parts.size} shards after ${Math.max(...arrived.values()).toFixed(0)} ms; peak open documents ${newcomer.peakOpen}`
);
l.close();
a.destroy();
b.destroy();
process.exit(0);
