// A closed month's answer to a peer's step 1, made from what the device stored without opening the
// month's document: its stored skeletons merged, their placeholders given the stored records, and
// the part the peer lacks taken with `Y.diffUpdate`. Opening a closed month to answer it (its rows
// and ingest mark read, the skeleton applied and filled, its stored ids put back, its catalogue row
// written again as it closes) cost the holder 50–500 ms a month in the browser, for each of a
// newcomer's 143 months. What is sent is what the opened document would send (the same items: the
// stored rows are what it loads), and the asker's gate checks it like any answer.
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { HearthDb } from '../../store/db';
import { sharedForm } from '../../store/keyring';
import { recordsById, shardRecords } from '../../store/record-store';
import type { AnyRecord } from '../../domain/record';
import type { ShardId } from '../../domain/shards';
import { isExactJson } from '../gate';
import { messageYjsSyncStep2 } from '../gated-sync-protocol';
import { fillSkeleton, readSkeleton } from '../update-skeleton';
import { localDoc } from '../local-doc';

/** Past this many placeholders the month's records are read as its range, not one by one (as community-doc reads them). */
const RANGE_READ_AFTER = 2_000;

/**
 * The y-protocols step 2 answering `stateVector` from a month's stored updates; null when it cannot be
 * made so, and the month is opened to answer instead: nothing stored, a row stored in full by an
 * older version (the open filters and compacts it), a row that does not read, a state vector that
 * does not, or a record a placeholder stands for missing (the open leaves that gap and counts it).
 */
export async function replyFromStored(db: HearthDb, cid: string, shard: ShardId, stateVector: Uint8Array): Promise<Uint8Array | null> {
  const rows = await db.docUpdates.where('[shard+cid]').equals([shard, cid]).toArray();
  if (!rows.length || rows.some((row) => !row.skeleton)) return null;
  try {
    const merged = rows.length === 1 ? rows[0].update : Y.mergeUpdates(rows.map((row) => row.update));
    // A placeholder's key is written out or inherited from an item before it: merged, all are in the update.
    const skeleton = readSkeleton(merged, localDoc({ gc: false }));
    const keys = skeleton.placeholders.map((s) => s.key).filter((k): k is string => k !== null);
    const stored = keys.length > RANGE_READ_AFTER ? await shardRecords(db, cid, shard) : await recordsById(db, keys, () => true); // a month holds content kinds only: pages, never rows
    const records = new Map<string, AnyRecord>();
    for (const row of stored) {
      if (!row) continue;
      const shared = sharedForm(row);
      // Only a plain-JSON record under its own id stands for what a placeholder held.
      if (isExactJson(shared)) records.set(shared.id, shared);
    }
    const full = fillSkeleton(skeleton, (key) => records.get(key));
    if (full.missing) return null;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, messageYjsSyncStep2);
    encoding.writeVarUint8Array(e, Y.diffUpdate(full.update, stateVector));
    return encoding.toUint8Array(e);
  } catch {
    return null;
  }
}
