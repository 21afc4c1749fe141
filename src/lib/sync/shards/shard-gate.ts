// The shard gate: a shard's document keeps only records that belong to it (domain/shards `shardOf`).
// Two halves, both from the record alone:
// - on the bytes, before an update is applied: the update filter reads each `records` value's `kind`
//   and `ts` without decoding it, and a value of another shard (or of none: unknown kind, no valid
//   time) becomes GC like any junk, counted as `wrongShard`: never stored, never forwarded;
// - on the record, when it is ingested: `belongsTo` for whatever reached the map another way
//   (a stored update from an older version, a local write).
import type * as Y from 'yjs';
import { isShardId, shardOfEntry, type ShardId } from '../../domain/shards';
import { registerUpdateGate } from '../gated-sync-protocol';
import { filterUpdate, type FilterResult } from '../update-filter';

export interface ShardGateCounts {
  /** Map values refused because they belong to another shard or to none. */
  wrongShard: number;
  /** Items dropped as junk (including the wrong-shard values), and their encoded bytes. */
  junkItems: number;
  junkBytes: number;
}

export function emptyGateCounts(): ShardGateCounts {
  return { wrongShard: 0, junkItems: 0, junkBytes: 0 };
}

/** The byte-level test for one shard: keep a value whose kind and ts put it in `shard`. */
export function shardEntryFilter(shard: ShardId, onRefused?: () => void): (kind: string | null, ts: number | null) => boolean {
  if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
  return (kind, ts) => {
    const ok = shardOfEntry(kind, ts) === shard;
    if (!ok) onRefused?.();
    return ok;
  };
}

/**
 * Registers the gate of a shard's document with the gated sync protocol: every update a peer
 * sends it (y-webrtc, the relay's provider, the shard sync) is filtered to `records` entries of
 * this shard. `counts` is updated in place.
 */
export function registerShardGate(doc: Y.Doc, shard: ShardId, counts: ShardGateCounts = emptyGateCounts(), onChange?: () => void): ShardGateCounts {
  registerUpdateGate(doc, {
    root: 'records',
    keepEntry: shardEntryFilter(shard, () => counts.wrongShard++),
    onJunk: (items, bytes) => {
      counts.junkItems += items;
      counts.junkBytes += bytes;
      onChange?.();
    }
  });
  return counts;
}

/** Filters an update for a shard's document (stored updates, the relay): the same rule as the gate. */
export function filterShardUpdate(update: Uint8Array, shard: ShardId, doc?: Y.Doc, onRefused?: () => void): FilterResult {
  return filterUpdate(update, { root: 'records', doc, maxStructs: Infinity, maxBytes: Infinity, keepEntry: shardEntryFilter(shard, onRefused) });
}

/** Does a value ingested from a shard's map belong there? (The record gate checks the rest.) */
export function belongsTo(value: unknown, shard: ShardId): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, ts } = value as { kind?: unknown; ts?: unknown };
  if (typeof kind !== 'string' || typeof ts !== 'number') return false;
  return shardOfEntry(kind, ts) === shard;
}
