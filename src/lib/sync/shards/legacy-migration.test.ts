// A community made as one document moving into shards, on real signed records in real
// (fake-indexeddb) databases: a device splits its own document and reopens it held in shards with
// the same records and items; two devices that split apart send each other no record; a write made
// on the single document before the device saw the decision reaches the other's shards; a split
// that fails half-way leaves the community single and whole, and the next open finishes it.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { monthsCommunity, THREE_MONTHS, writer } from '../../../../tests/unit/community-fixture';
import { closedAfterEach, reopen as reopenIn } from '../../../../tests/unit/closed-after-each';
import { sealRecord } from '../../crypto/record-seal';
import type { Identity } from '../../crypto/identity';
import { CORE_SHARD, shardOf, type ShardId } from '../../domain/shards';
import { HearthDb } from '../../store/db';
import { CommunityDoc } from '../community-doc';
import { isShardedCommunity } from '../shard-mode';
import { ShardedCommunity } from '../sharded-community';
import { followShardDecision, migrateToShards, type MigrationProgress } from './legacy-migration';
import { ShardSync } from './shard-sync';
import { decodeShardMessage } from './shard-wire';
import { link, until } from './shard-test-kit';

let dbs = 0;
const { opened, syncs, links } = closedAfterEach<CommunityDoc | ShardedCommunity>();

const STARTS = THREE_MONTHS;

/** Alice's community (`monthsCommunity`), made as one document, and her decision to move it into shards. */
async function community() {
  const { alice, bob, g, core, content } = await monthsCommunity();
  const decide = (who: Identity, ts = STARTS[2] + 2_000_000) => sealRecord(who, { kind: 'shards', cid: g.id, ts, body: { mode: 'month' } });
  return { alice, bob, g, core, content, decide };
}

async function single(cid: string, db = new HearthDb(`legacy-${dbs++}`)): Promise<CommunityDoc> {
  const doc = new CommunityDoc(db, cid);
  await doc.open();
  opened.push(doc);
  return doc;
}

/** Alice's community held as one document on her device, with everything in it and her decision to move it. */
async function decided() {
  const c = await community();
  const doc = await single(c.g.id);
  for (const r of [...c.core, ...c.content]) expect((await doc.append(r)).ok).toBe(true);
  const decision = await c.decide(c.alice);
  expect((await doc.append(decision)).ok).toBe(true);
  await doc.settled();
  return { ...c, doc, decision };
}

function reopen(doc: CommunityDoc | ShardedCommunity): Promise<CommunityDoc | ShardedCommunity> {
  return reopenIn(opened, doc);
}

/** Sends everything `from` holds that `to` lacks, as a peer's update. */
function syncOnce(from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), { remote: 'peer' });
}

/** Each record's Yjs item id in a document: (client, clock) by key. */
function itemIds(doc: Y.Doc): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, item] of (doc.getMap('records') as unknown as { _map: Map<string, Y.Item> })._map)
    if (!item.deleted) out.set(key, `${item.id.client}:${item.id.clock}`);
  return out;
}

async function shardItemIds(c: ShardedCommunity): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of c.catalogue()) await c.use(entry.id, (doc) => itemIds(doc).forEach((v, k) => out.set(k, v)));
  return out;
}

const sorted = (records: readonly { id: string }[]) => records.map((r) => r.id).sort();

describe('a community made as one document moving into shards', () => {
  it('splits the device’s own document and reopens it held in shards with the same records, items and projection, and the gate’s mark of what it checked', async () => {
    const { g, core, content, doc, decision } = await decided();
    const before = itemIds(doc.doc);
    const threads = await doc.db.threads.where('cid').equals(g.id).count();

    const progress: MigrationProgress[] = [];
    const result = await migrateToShards(doc, (p) => progress.push(p));
    const months = [...new Set(content.map(shardOf))];
    expect(result).toEqual({ shards: months.length + 1, records: core.length + content.length + 1 });
    expect(progress.at(-1)).toEqual({ phase: 'stored', done: months.length + 1, total: months.length + 1 });
    expect(progress.filter((p) => p.phase === 'prepare').map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(await isShardedCommunity(doc.db, g.id)).toBe(true);
    const mark = await doc.db.ingestMarks.get(g.id);
    for (const shard of [CORE_SHARD, ...months]) expect((await doc.db.ingestMarks.get(`${g.id}/${shard}`))?.snapshot).toEqual(mark?.snapshot);

    const again = await reopen(doc);
    expect(again).toBeInstanceOf(ShardedCommunity);
    const sharded = again as ShardedCommunity;
    // Opened as a community held in shards always is: the core (and this month, were it one of them);
    // the months split closed, named by their catalogue rows.
    expect(sharded.opened).toEqual([CORE_SHARD]);
    for (const month of months) expect(sharded.isHeld(month as ShardId)).toBe(true);
    expect(sorted(await sharded.exportRecords())).toEqual(sorted([...core, ...content, decision]));
    expect(await shardItemIds(sharded), 'every record under the item it had').toEqual(before);
    expect(sharded.health).toMatchObject({ rejected: 0, repaired: 0, unreadableUpdates: 0 });
    expect(await again.db.threads.where('cid').equals(g.id).count()).toBe(threads);
  });

  it('gives two devices that split apart the same shards: syncing them afterwards sends no record', async () => {
    const { alice, g, core, content, decide } = await community();
    const a = await single(g.id);
    const b = await single(g.id);
    for (const r of [...core, ...content.slice(0, 6)]) expect((await a.append(r)).ok).toBe(true);
    for (const r of content.slice(6)) expect((await b.append(r)).ok).toBe(true);
    syncOnce(a.doc, b.doc);
    syncOnce(b.doc, a.doc);
    expect((await a.append(await decide(alice))).ok).toBe(true);
    syncOnce(a.doc, b.doc);
    await Promise.all([a.settled(), b.settled()]);
    await migrateToShards(a);
    await migrateToShards(b);
    const sa = (await reopen(a)) as ShardedCommunity;
    const sb = (await reopen(b)) as ShardedCommunity;
    const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);
    expect(sb.catalogue().sort(byId)).toEqual(sa.catalogue().sort(byId));

    const now = () => STARTS[2] + 3_000_000;
    const pa = new ShardSync(sa, { now });
    const pb = new ShardSync(sb, { now });
    syncs.push(pa, pb);
    const ops: string[] = [];
    links.push(link(pa, pb, (_to, bytes) => ops.push(decodeShardMessage(bytes).ok ? (decodeShardMessage(bytes) as { value: { op: string } }).value.op : '?')));
    await until(() => ops.length >= 4, 5_000, 'catalogues');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ops, 'two hellos and catalogues, no sync').toEqual(['hello', 'catalogue', 'hello', 'catalogue']);
  });

  it('takes a write made on the single document before the device saw the decision into the shards, under its own item, on both devices', async () => {
    const { alice, bob, g, core, content, decide } = await community();
    const a = await single(g.id);
    const b = await single(g.id);
    for (const r of [...core, ...content]) expect((await a.append(r)).ok).toBe(true);
    syncOnce(a.doc, b.doc);
    await b.settled();
    // Alice decides and her device splits; Bob, offline, replies on his single document.
    expect((await a.append(await decide(alice))).ok).toBe(true);
    const thread = content.at(-2)!;
    const late = await writer(bob, g.id, STARTS[2] + 2_500_000)('reply', { thread: thread.id, parent: thread.id, body: 'offline' });
    expect((await b.append(late)).ok).toBe(true);
    const lateItem = itemIds(b.doc).get(late.id);
    await migrateToShards(a);
    const sa = (await reopen(a)) as ShardedCommunity;

    // Bob comes back: the decision reaches his single document (y-webrtc binds Alice's core to it).
    const decided = new Promise<void>((resolve) => followShardDecision(b, () => resolve()));
    syncOnce(sa.core.doc, b.doc);
    await decided;
    await migrateToShards(b);
    const sb = (await reopen(b)) as ShardedCommunity;
    const now = () => STARTS[2] + 3_000_000;
    const pa = new ShardSync(sa, { now });
    const pb = new ShardSync(sb, { now });
    syncs.push(pa, pb);
    links.push(link(pa, pb));
    await until(async () => (await sa.db.replies.get(late.id)) !== undefined, 10_000, 'Bob’s offline reply on Alice’s device');
    const month = shardOf(late) as ShardId;
    expect(await sa.use(month, (doc) => itemIds(doc).get(late.id))).toBe(lateItem);
    expect(sorted(await sa.exportRecords())).toEqual(sorted(await sb.exportRecords()));
  });

  it('leaves the community single and whole when the split fails half-way, and the next open finishes it', async () => {
    const { g, core, content, doc, decision } = await decided();
    const db = doc.db;
    let puts = 0;
    const failing = function (this: unknown, _key: unknown, row: { shard?: string }) {
      if (row.shard && ++puts === 3) throw new Error('the tab died');
    };
    db.docUpdates.hook('creating', failing);
    await expect(migrateToShards(doc)).rejects.toThrow();
    db.docUpdates.hook('creating').unsubscribe(failing);
    expect(puts).toBe(3);
    expect(await db.docUpdates.where('[shard+cid]').between([CORE_SHARD, g.id], [CORE_SHARD, g.id]).count(), 'no shard stored').toBe(0);
    expect(await db.shardCatalogue.where('[cid+shard]').between([g.id, ''], [g.id, '\uffff']).count()).toBe(0);
    expect(await isShardedCommunity(db, g.id)).toBe(false);

    // The next open finds the decision and a single document: it splits, then opens the shards.
    const again = await reopen(doc);
    expect(again).toBeInstanceOf(ShardedCommunity);
    expect(sorted(await again.exportRecords())).toEqual(sorted([...core, ...content, decision]));
    expect(again.health).toMatchObject({ rejected: 0, repaired: 0 });
  });
});
