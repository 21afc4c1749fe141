// Dev tool (not a benchmark): the merge of `sync.merge_1000x2_ms` in Node (fake-indexeddb, no
// browser, no WebRTC), traced per phase. Two devices hold a small community (genesis, invite, a
// member's join, a thread); each takes 1,000 operations of its own "offline" (the bench's
// `offlineWrites`, imported); then they connect over a MessageChannel: held in shards, through the
// shard sync (catalogues, then the core alone, then the months), or as one document, through the
// gated y-protocols sync (step 1 both ways, as y-webrtc does). Prints each message with its time and
// size, and when both hold the union. Gate and projection included; not IndexedDB's browser costs.
// Usage: node --import tsx tests/bench/profile-shard-merge.ts [shards|single ...]
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import type { AnyRecord } from '../../src/lib/domain/record';
import { HearthDb } from '../../src/lib/store/db';
import { communityFromGenesis } from '../../src/lib/store/projection';
import { countRecords } from '../../src/lib/store/record-store';
import { CommunityDoc } from '../../src/lib/sync/community-doc';
import { readSyncMessage, writeSyncStep1, writeUpdate } from '../../src/lib/sync/gated-sync-protocol';
import { ShardedCommunity } from '../../src/lib/sync/sharded-community';
import { ShardSync } from '../../src/lib/sync/shards/shard-sync';
import { decodeShardMessage } from '../../src/lib/sync/shards/shard-wire';
import { link, until } from '../../src/lib/sync/shards/shard-test-kit';
import { admit, writer } from '../unit/community-fixture';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { identityFor } from '../../scripts/data/member-keys';
import { offlineWrites, readRecords, sampleRecords, writingSample } from '../../scripts/data/offline-writes';
import { ensureDataset } from '../../scripts/data/datasets';
import { SE_DATA_NAME } from '../../scripts/data/se-csv';

const OPS = 1000;
const layouts = process.argv.slice(2).length ? process.argv.slice(2) : ['shards', 'single', 'shards', 'single'];
const text = writingSample(readRecords((await ensureDataset(SE_DATA_NAME)).file).records);
const creator = await identityFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle);
const member = await identityFor('hearth-bench-sync', 'member-b');
let dbs = 0;

for (const layout of layouts) {
  const sharded = layout === 'shards';
  const now = Date.now();
  const genesis = await sealRecord(creator, {
    kind: 'genesis',
    cid: '',
    ts: now - 3_600_000,
    body: {
      name: 'Merge',
      description: 'traced',
      color: '#3b5bdb',
      createdAt: now - 3_600_000,
      nonce: `merge-${dbs}`,
      ...(sharded ? { shards: 'month' as const } : {})
    }
  });
  const cid = genesis.id;
  const base: AnyRecord[] = [genesis, ...(await admit(creator, member, cid, now - 3_500_000))];
  base.push(await writer(creator, cid, now - 3_000_000)('thread', { title: 'Merge bench', body: 'A thread to reply to.' }));
  const sample = sampleRecords(cid, base);
  const device = async () => {
    const db = new HearthDb(`profile-shard-merge-${dbs++}`);
    await db.communities.put(communityFromGenesis(genesis, undefined));
    const doc = sharded ? new ShardedCommunity(db, cid) : new CommunityDoc(db, cid);
    await doc.open();
    await doc.importRecords(base);
    return doc;
  };
  const [a, b] = [await device(), await device()];
  const from = Date.now();
  await a.importRecords(await offlineWrites(sample, text, creator, { count: OPS, from, seed: 'merge-a', label: 'A offline' }));
  await b.importRecords(await offlineWrites(sample, text, member, { count: OPS, from, seed: 'merge-b', label: 'B offline' }));
  await Promise.all([a.settled(), b.settled()]);
  const union = base.length + 2 * OPS;
  const held = async (d: CommunityDoc | ShardedCommunity) => (await countRecords(d.db, cid)) + 1;

  const start = performance.now();
  const at = () => (performance.now() - start).toFixed(0).padStart(5);
  const trace: string[] = [];
  const close: (() => void)[] = [];
  if (a instanceof ShardedCommunity && b instanceof ShardedCommunity) {
    const [sa, sb] = [new ShardSync(a), new ShardSync(b)];
    const l = link(sa, sb, (to, bytes) => {
      const m = decodeShardMessage(bytes);
      if (!m.ok) return;
      const what =
        m.value.op === 'sync'
          ? `${m.value.shard} ${['step 1', 'step 2', 'update'][new Uint8Array(m.value.message)[0]] ?? '?'}`
          : `${m.value.op}${m.value.op === 'catalogue' ? ` (${m.value.entries.length})` : ''}`;
      trace.push(`${at()} ms  -> ${to}  ${what}  ${bytes.length} B`);
    });
    close.push(() => (l.close(), sa.destroy(), sb.destroy()));
  } else if (a instanceof CommunityDoc && b instanceof CommunityDoc) {
    // y-webrtc's sync: each side sends step 1 on connect, answers a step 1 with step 2, and sends its updates.
    const { port1, port2 } = new MessageChannel();
    const ends = [
      { doc: a, port: port1, name: 'a' },
      { doc: b, port: port2, name: 'b' }
    ];
    for (const [i, end] of ends.entries()) {
      const other = ends[1 - i];
      end.port.onmessage = (e: MessageEvent) => {
        const bytes = new Uint8Array(e.data);
        trace.push(`${at()} ms  -> ${end.name}  ${['step 1', 'step 2', 'update'][bytes[0]] ?? '?'}  ${bytes.length} B`);
        const encoder = encoding.createEncoder();
        readSyncMessage(decoding.createDecoder(bytes), encoder, end.doc.doc, other);
        if (encoding.length(encoder) > 0) end.port.postMessage(encoding.toUint8Array(encoder));
      };
      end.doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === other) return;
        const encoder = encoding.createEncoder();
        writeUpdate(encoder, update);
        end.port.postMessage(encoding.toUint8Array(encoder));
      });
    }
    for (const end of ends) {
      const encoder = encoding.createEncoder();
      writeSyncStep1(encoder, end.doc.doc);
      end.port.postMessage(encoding.toUint8Array(encoder));
    }
    close.push(() => (port1.close(), port2.close()));
  }
  let aAt = 0;
  let bAt = 0;
  await until(
    async () => {
      const [ha, hb] = await Promise.all([held(a), held(b)]);
      if (ha === union && !aAt) aAt = performance.now() - start;
      if (hb === union && !bAt) bAt = performance.now() - start;
      return ha === union && hb === union;
    },
    120_000,
    'the union on both devices'
  );
  console.log(
    `${layout}: both hold the union (${union} records) after ${Math.max(aAt, bAt).toFixed(0)} ms (A ${aAt.toFixed(0)}, B ${bAt.toFixed(0)}); messages:`
  );
  for (const line of trace.slice(0, 24)) console.log(`  ${line}`);
  if (trace.length > 24) console.log(`  … ${trace.length - 24} more`);
  close.forEach((f) => f());
  await Promise.all([a.settled(), b.settled()]);
  a.close();
  b.close();
}
process.exit(0);
