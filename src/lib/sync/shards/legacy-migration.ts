// A community made as one Yjs document moves into shards when its creator or an admin decides so (a
// `shards` record, domain/shards `shardDecision`): each device that holds the decision cuts its own
// document into shard updates (legacy-split: the same items on every device) and stores them as a
// community held in shards would, in one IndexedDB transaction, with its row marked `shards: 'month'`.
// From then on the community opens as a `ShardedCommunity`. docs/shards.md, "Migrating
// single-document communities".
import * as Y from 'yjs';
import { shardDecision, syncOrder, type ShardId } from '../../domain/shards';
import type { SignedRecord } from '../../domain/record';
import type { HearthDb, ShardCatalogueRow } from '../../store/db';
import { authorityOf, communityFromGenesis } from '../../store/projection';
import { recordById, recordsOfKind } from '../../store/record-store';
import { ingestMarkKey, type CommunityDoc } from '../community-doc';
import { splitLegacy } from './legacy-split';
import { stateDigest } from './shard-wire';

/**
 * Where a split is: cutting the document (sync), then shards prepared one by one, then stored at once;
 * `done` once the community is open held in shards (`failed`: the next open tries again).
 */
export interface MigrationProgress {
  phase: 'split' | 'prepare' | 'store' | 'stored' | 'done' | 'failed';
  /** Shards prepared so far, of `total` (0 of 0 while cutting). */
  done: number;
  total: number;
}

export interface MigrationResult {
  shards: number;
  records: number;
}

/** The decision that stands for this community, from its stored records (null: none, or none that stands). */
export async function storedShardDecision(db: HearthDb, cid: string): Promise<SignedRecord<'shards'> | null> {
  const records = await recordsOfKind(db, cid, 'shards');
  if (!records.length) return null;
  const auth = await authorityOf(db, cid);
  return auth ? shardDecision(records, auth) : null;
}

/** Where a community's split keeps the single document's state vector at the split (legacy-bridge). */
export function splitKey(cid: string): string {
  return `legacy-split:${cid}`;
}

/** Lets the event loop turn between shards: the worker keeps answering its pages during a long split. */
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Splits the community's single document (open, here) into shards and stores them: each shard's
 * update in its stored form under `[shard+cid]`, a catalogue row naming it (so the first open as
 * shards leaves every closed month closed), the ingest mark of the single document copied to every
 * shard (items keep their ids, so what the gate saw there it has seen in the shards: nothing is
 * checked twice), and the community's row marked `shards: 'month'`. All of it in one transaction: a
 * tab that dies half-way leaves the community as it was, single, and the next open splits again
 * (`openCommunityHandle`). The single document's own stored updates stay: they are what a device
 * still on the single document is answered from during the transition (docs/shards.md).
 */
export async function migrateToShards(doc: CommunityDoc, onProgress: (p: MigrationProgress) => void = () => {}): Promise<MigrationResult> {
  if (doc.shard) throw new Error('already a shard’s document');
  const { db, cid } = doc;
  // Everything received so far checked and stored: the stored form needs every record stored.
  await doc.settled();
  onProgress({ phase: 'split', done: 0, total: 0 });
  await turn();
  const parts = splitLegacy(doc.doc);
  // What the shards hold of the single document: the transition's bridge carries what came after.
  const splitAt = Y.encodeStateVector(doc.doc);
  const order = syncOrder(parts.keys(), Date.now());
  const prepared: { shard: ShardId; update: Uint8Array; records: number; digest: string }[] = [];
  let records = 0;
  for (const shard of order) {
    const update = parts.get(shard)!;
    // Counted and digested as the shard's document will be: the same items, so the same state vector.
    const scratch = new Y.Doc();
    Y.applyUpdate(scratch, update);
    const count = scratch.getMap('records').size;
    const digest = stateDigest(Y.encodeStateVector(scratch));
    scratch.destroy();
    prepared.push({ shard, update: doc.storedForm(update), records: count, digest });
    records += count;
    onProgress({ phase: 'prepare', done: prepared.length, total: order.length });
    await turn();
  }
  onProgress({ phase: 'store', done: prepared.length, total: order.length });
  const genesis = await recordById(db, cid);
  await db.transaction('rw', [db.docUpdates, db.shardCatalogue, db.ingestMarks, db.communities, db.settings], async () => {
    await db.settings.put({ key: splitKey(cid), value: splitAt });
    const mark = await db.ingestMarks.get(ingestMarkKey(cid, null));
    for (const p of prepared) {
      // Rows of an earlier try cannot be here (its transaction did not commit); a shard's rows of
      // before (none in this version) would stay, the split's items joining them.
      const seq = await db.docUpdates.add({ cid, shard: p.shard, update: p.update, skeleton: 1 });
      const row: ShardCatalogueRow = { cid, shard: p.shard, state: 'held', records: p.records, digest: p.digest, seq };
      const before = await db.shardCatalogue.get([cid, p.shard]);
      // A shard held before the split has more than this row says: opened and counted at the next open.
      await db.shardCatalogue.put(before ? { ...row, seq: undefined } : row);
      if (mark && !before) await db.ingestMarks.put({ cid: ingestMarkKey(cid, p.shard), snapshot: mark.snapshot, unauthorised: null });
    }
    const row = await db.communities.get(cid);
    if (row) await db.communities.put({ ...row, shards: 'month' });
    else if (genesis?.kind === 'genesis') await db.communities.put({ ...communityFromGenesis(genesis, undefined), shards: 'month' });
  });
  onProgress({ phase: 'stored', done: prepared.length, total: order.length });
  return { shards: prepared.length, records };
}

/**
 * Calls `decided` once a decision that stands reaches this single document (from a peer, the lobby
 * or this device's own write): the community's records passed the gate with it, so the authority
 * that judges it is current. Returns the unsubscribe.
 */
export function followShardDecision(doc: CommunityDoc, decided: (decision: SignedRecord<'shards'>) => void): () => void {
  let done = false;
  return doc.onAccepted(async (records) => {
    if (done || !records.some((r) => r.kind === 'shards')) return;
    const decision = await storedShardDecision(doc.db, doc.cid);
    if (!decision || done) return;
    done = true;
    decided(decision);
  });
}
