// Dev tool (not a benchmark): a community file imported in Node (fake-indexeddb) into the handle its
// genesis asks for (one `CommunityDoc`, or a `ShardedCommunity` for a genesis with `shards`), timed;
// with `--newcomer`, a second device held in shards then syncs it over the shard sync (a
// MessageChannel, as a data channel), timed per shard. Run with `node --cpu-prof` to see where the time
// goes. Not the browser's IndexedDB costs: their proportions and counts, not their times.
// Usage: node --import tsx [--cpu-prof --cpu-prof-dir=DIR] tests/bench/profile-shard-import.ts [--newcomer] <dataset> [<dataset> ...]
import 'fake-indexeddb/auto';
import { ensureDataset, type DatasetName } from '../../scripts/data/datasets';
import { readRecords } from '../../scripts/data/offline-writes';
import { decodeShardMessage } from '../../src/lib/sync/shards/shard-wire';
import { messageYjsSyncStep2 } from '../../src/lib/sync/gated-sync-protocol';
import { HearthDb } from '../../src/lib/store/db';
import { communityFromGenesis } from '../../src/lib/store/projection';
import { CommunityDoc } from '../../src/lib/sync/community-doc';
import { ShardedCommunity } from '../../src/lib/sync/sharded-community';
import { ShardSync } from '../../src/lib/sync/shards/shard-sync';
import { link, until } from '../../src/lib/sync/shards/shard-test-kit';

const newcomer = process.argv.includes('--newcomer');
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
let dbs = 0;

for (const name of names) {
  const { file, meta } = await ensureDataset(name as DatasetName, { log: console.error });
  const { cid, records } = readRecords(file);
  const genesis = records.find((r) => r.kind === 'genesis' && r.id === cid);
  const device = async () => {
    const db = new HearthDb(`profile-shard-import-${dbs++}`);
    if (genesis?.kind === 'genesis') await db.communities.put(communityFromGenesis(genesis, undefined));
    return db;
  };
  const sharded = genesis?.kind === 'genesis' && genesis.body.shards === 'month';
  const t0 = performance.now();
  const db = await device();
  const doc = sharded ? new ShardedCommunity(db, cid) : new CommunityDoc(db, cid);
  await doc.open();
  const t1 = performance.now();
  const count = await doc.importRecords(records);
  const t2 = performance.now();
  await doc.settled();
  console.log(
    `${name}: ${sharded ? 'in shards' : 'one document'}; open ${(t1 - t0).toFixed(0)} ms, import ${(t2 - t1).toFixed(0)} ms (${count.present} present, ${count.already} already), settled ${(performance.now() - t2).toFixed(0)} ms more`
  );
  if (newcomer && doc instanceof ShardedCommunity) {
    const b = new ShardedCommunity(await device(), cid);
    await b.open();
    const sa = new ShardSync(doc);
    const sb = new ShardSync(b);
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const arrived: [string, number][] = [];
    const l = link(sa, sb, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (to === 'b' && m.ok && m.value.op === 'sync' && new Uint8Array(m.value.message)[0] === messageYjsSyncStep2)
        arrived.push([m.value.shard, performance.now() - start]);
      if (to === 'b' && m.ok && m.value.op === 'answer') for (const e of m.value.entries) arrived.push([e.shard, performance.now() - start]);
    });
    let firstRow = null as number | null;
    await until(
      async () => {
        const threads = await b.db.threads.where('cid').equals(cid).count();
        if (threads > 0) firstRow ??= performance.now() - start;
        return threads === meta.threads;
      },
      600_000,
      'every thread on the newcomer'
    );
    const all = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    console.log(`  newcomer sync's process CPU: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
    await b.settled();
    const at = (i: number) => (arrived[i] ? `${arrived[i][0]} at ${arrived[i][1].toFixed(0)} ms` : '–');
    console.log(
      `  newcomer: first thread ${firstRow?.toFixed(0)} ms, all ${meta.threads} threads ${all.toFixed(0)} ms, settled ${(performance.now() - start).toFixed(0)} ms; ` +
        `${arrived.length} step 2s: first ${at(0)}, second ${at(1)}, 10th ${at(9)}, last ${at(arrived.length - 1)}`
    );
    l.close();
    sa.destroy();
    sb.destroy();
    b.close();
  }
  doc.close();
}
process.exit(0);
