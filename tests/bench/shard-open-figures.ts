// Figures of opening a community held in shards, in Node (fake-indexeddb: relative, not the
// browser's milliseconds): a community file is imported into a `ShardedCommunity`, closed, and opened
// again, alternately (a) as this version opens it — the core, this month and the months changed since
// they closed — and (b) as before 2026-12-06, every held month (its catalogue rows stripped of the
// `seq` a month saves as it closes, which makes each one be opened to be checked).
//   npx tsx tests/bench/shard-open-figures.ts [path/to/file.hearth-community.json] [rounds]
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import { HearthDb } from '../../src/lib/store/db';
import { ShardedCommunity } from '../../src/lib/sync/sharded-community';

const file = process.argv[2] ?? '.bench/data/se-bicycles-meta-shards.v1.hearth-community.json';
const rounds = Number(process.argv[3] ?? 3);
const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
if (!parsed.ok) throw new Error(`not a community file: ${parsed.reason}`);
const { cid, records } = parsed.value;
const db = new HearthDb('shard-open');

let t = performance.now();
const first = new ShardedCommunity(db, cid);
await first.open();
const count = await first.importRecords(records);
await first.settled();
console.log(
  `imported ${count.present} of ${records.length} records in ${((performance.now() - t) / 1000).toFixed(1)} s; ${(await first.shardList()).held.length} shards held`
);
first.close();

const out: Record<string, number[]> = { lazy: [], all: [] };
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 ? (['all', 'lazy'] as const) : (['lazy', 'all'] as const)) {
    if (mode === 'all') await db.shardCatalogue.toCollection().modify((row) => void delete row.seq);
    t = performance.now();
    const c = new ShardedCommunity(db, cid);
    await c.open();
    const ms = performance.now() - t;
    out[mode].push(ms);
    console.log(`${mode}: opened ${c.opened.length} documents in ${ms.toFixed(0)} ms; ${c.size()} records`);
    // Closed as a device leaves it: the months past maxOpen closed (their rows saved with seq) once settled.
    await c.settled();
    c.close();
  }
}
const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${mean.toFixed(0)} ± ${sd.toFixed(0)} ms`;
};
console.log(`open, this version: ${stat(out.lazy)}; every month: ${stat(out.all)} (${rounds} rounds, alternating)`);
process.exit(0);
