// The transition after a split: a device held in shards keeps taking the single document's updates
// (a device still on it, over the mesh into the core's document, or the relay's old room) and carries
// what they add into its shards under the items they had; not past the transition.
import 'fake-indexeddb/auto';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../../tests/unit/community-fixture';
import { closedAfterEach, reopen } from '../../../../tests/unit/closed-after-each';
import { sealRecord } from '../../crypto/record-seal';
import type { AnyRecord } from '../../domain/record';
import { shardOf, type ShardId } from '../../domain/shards';
import { HearthDb } from '../../store/db';
import { CommunityDoc } from '../community-doc';
import { readSyncMessage, writeUpdate } from '../gated-sync-protocol';
import { openCommunityHandle, type ShardedCommunity } from '../sharded-community';
import { LegacyBridge, TRANSITION_MS } from './legacy-bridge';
import { migrateToShards } from './legacy-migration';
import { until } from './shard-test-kit';
import * as decoding from 'lib0/decoding';

let dbs = 0;
const { opened } = closedAfterEach<CommunityDoc | ShardedCommunity>();

const MONTH = 30 * 24 * 3600_000;
const T = 1_700_000_001_000;

/** A peer's update as y-webrtc delivers it: through the gated sync protocol. */
function fromPeer(doc: Y.Doc, update: Uint8Array): void {
  const e = encoding.createEncoder();
  writeUpdate(e, update);
  readSyncMessage(decoding.createDecoder(encoding.toUint8Array(e)), encoding.createEncoder(), doc, { remote: 'peer' });
}

const itemOf = (doc: Y.Doc, key: string) => {
  const item = (doc.getMap('records') as unknown as { _map: Map<string, Y.Item> })._map.get(key);
  return item && `${item.id.client}:${item.id.clock}`;
};

async function split() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const a = writer(alice, g.id, T);
  const records: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  const thread = await a('thread', { title: 'Before', body: 'one document' });
  records.push(thread, await a('thread', { title: 'Next month', body: 'x' }, T + MONTH));
  const db = new HearthDb(`bridge-${dbs++}`);
  const single = new CommunityDoc(db, g.id);
  await single.open();
  for (const r of records) expect((await single.append(r)).ok).toBe(true);
  // Bob's device, still on the single document (an older version: it never splits).
  const old = new Y.Doc();
  Y.applyUpdate(old, Y.encodeStateAsUpdate(single.doc));
  const decision = await sealRecord(alice, { kind: 'shards', cid: g.id, ts: Date.now(), body: { mode: 'month' } });
  expect((await single.append(decision)).ok).toBe(true);
  await migrateToShards(single);
  await single.settled();
  single.close();
  const sharded = (await openCommunityHandle(new HearthDb(db.name), g.id)) as ShardedCommunity;
  opened.push(sharded);
  await sharded.settled();
  return { alice, bob, g, thread, old, sharded, db, decision };
}

describe('the transition after a community moved into shards', () => {
  it('carries a reply written on the single document after the split, from a device still on it over the mesh, into its month under its own item, and again after reopening', async () => {
    const { bob, g, thread, old, sharded, db } = await split();
    expect(sharded.legacy).not.toBeNull();
    const before = Y.encodeStateVector(old);
    const reply = await writer(bob, g.id, T + 2 * MONTH)('reply', { thread: thread.id, parent: thread.id, body: 'still one document' });
    old.getMap('records').set(reply.id, reply);
    // Bob's device sends its document's new update to the mesh room, where the core's document takes it.
    fromPeer(sharded.core.doc, Y.encodeStateAsUpdate(old, before));
    await until(async () => (await db.replies.get(reply.id)) !== undefined, 5_000, 'Bob’s reply projected');
    await sharded.legacy!.settled();
    const month = shardOf(reply) as ShardId;
    expect(await sharded.use(month, (doc) => itemOf(doc, reply.id))).toBe(itemOf(old, reply.id));
    expect(sharded.core.records.has(reply.id), 'not in the core').toBe(false);
    expect(sharded.health.rejected).toBe(0);

    // Reopened: the bridge starts from what it carried, and a later write still arrives.
    const again = (await reopen(opened, sharded)) as ShardedCommunity;
    expect(again.legacy?.carried, 'nothing carried twice').toBe(0);
    const mid = Y.encodeStateVector(old);
    const later = await writer(bob, g.id, T + 2 * MONTH + 5_000)('reply', { thread: thread.id, parent: thread.id, body: 'later' });
    old.getMap('records').set(later.id, later);
    fromPeer(again.core.doc, Y.encodeStateAsUpdate(old, mid));
    await until(async () => (await db.replies.get(later.id)) !== undefined, 5_000, 'the later reply projected');
    expect(sorted(await again.exportRecords())).toContain(later.id);
  });

  it('is not opened past the transition, when the single document’s rows leave the device and the shards keep every record', async () => {
    const { g, sharded, db, decision } = await split();
    const legacyRows = () => singleDocumentRows(db, g.id);
    const within = await LegacyBridge.open(db, g.id, sharded, decision.ts + TRANSITION_MS - 1);
    expect(within).not.toBeNull();
    within?.close();
    expect(await legacyRows()).toBeGreaterThan(0);
    const records = sorted(await sharded.exportRecords());
    expect(await LegacyBridge.open(db, g.id, sharded, decision.ts + TRANSITION_MS + 1)).toBeNull();
    expect(await legacyRows()).toBe(0);
    const again = (await reopen(opened, sharded)) as ShardedCommunity;
    expect(sorted(await again.exportRecords())).toEqual(records);
    expect(again.health).toMatchObject({ rejected: 0, repaired: 0 });
  });
});

const sorted = (records: readonly { id: string }[]) => records.map((r) => r.id).sort();

/** The single document's stored updates still on the device (rows under no shard). */
const singleDocumentRows = (db: HearthDb, cid: string) =>
  db.docUpdates
    .where('cid')
    .equals(cid)
    .filter((r) => r.shard === undefined)
    .count();

describe('what the bridge takes', () => {
  it('leaves a device held in shards’ core updates to the core: neither stored nor carried again', async () => {
    const { alice, g, sharded, db } = await split();
    const rows = () => singleDocumentRows(db, g.id);
    const before = await rows();
    // Another device held in shards sends its core's update: a profile, a core record only.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(sharded.core.doc));
    const sv = Y.encodeStateVector(other);
    const profile = await writer(alice, g.id, Date.now())('profile', { name: 'Alice again' });
    other.getMap('records').set(profile.id, profile);
    fromPeer(sharded.core.doc, Y.encodeStateAsUpdate(other, sv));
    await until(() => sharded.core.records.has(profile.id), 5_000, 'the profile in the core');
    await sharded.legacy!.settled();
    expect(await rows()).toBe(before);
    expect(sharded.legacy!.carried).toBe(0);
  });
});
