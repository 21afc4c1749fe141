// Moving a community's single document into shards without making new items. Re-inserting each
// record into a fresh shard document would give every device its own Yjs items for the same keys
// (each device's client id), so two devices that migrated apart would send each other every record
// again and keep both items forever. Instead each shard's update is cut from the single document's
// own update: its entries keep their item ids (client, clock) and everything else of the same
// clients becomes GC of the same length. Every device that splits the same document gets the same
// shard documents, byte for byte, and their digests match.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { shardOfEntry, type ShardId } from '../../domain/shards';
import { CONTENT_DELETED, gcBytes, SKIP, skipContent, structAt } from '../update-filter';

/** The shard of a map value (null: no record of a known kind with a valid time). */
function shardOfValue(value: unknown): ShardId | null {
  if (typeof value !== 'object' || value === null) return null;
  const { kind, ts } = value as { kind?: unknown; ts?: unknown };
  return shardOfEntry(typeof kind === 'string' ? kind : null, typeof ts === 'number' ? ts : null);
}

/** The shards a single document's records belong to (values that belong to none are left out). */
export function shardsOf(records: Y.Map<unknown>): Set<ShardId> {
  const shards = new Set<ShardId>();
  for (const value of records.values()) {
    const shard = shardOfValue(value);
    if (shard) shards.add(shard);
  }
  return shards;
}

interface Section {
  /** The client's first clock in a shard's update: 0, a shard's document holding each client from there. */
  clock: number;
  parts: Uint8Array[];
  /** Clock up to which something was written for this shard (own structs, and GC before them). */
  emitted: number;
}

/**
 * One update per shard, cut from the document's whole state in one pass. A struct belongs to the
 * shard of its map key's value (the record there now): the entry itself, and the entries it
 * overwrote under the same key (which its origin names, so they must come with it). Of each
 * client a shard gets the clocks up to its last struct there, the others' structs in between as
 * GC: a client that wrote nothing there is left out, and what it wrote after elsewhere too, so a
 * month's state vector (and digest) changes only when someone writes into that month, and an old
 * device writing today reopens no closed month. The delete set is cut to the same clocks.
 */
export function splitLegacy(doc: Y.Doc, since?: Uint8Array): Map<ShardId, Uint8Array> {
  // With `since` (a state vector of the document split before), only what came after: each client's
  // section still starts at clock 0, its known part GC that a shard's document skips as known.
  const update = since ? Y.encodeStateAsUpdate(doc, since) : Y.encodeStateAsUpdate(doc);
  const records = doc.getMap('records');
  const shardOfKey = new Map<string, ShardId | null>();
  const keyShard = (key: string): ShardId | null => {
    let shard = shardOfKey.get(key);
    if (shard === undefined) shardOfKey.set(key, (shard = shardOfValue(records.get(key))));
    return shard;
  };
  /** The map key of the entry holding (client, clock), or null when it is no records entry. */
  const keyAt = (client: number, clock: number): string | null => {
    const struct = structAt(doc, client, clock);
    return struct instanceof Y.Item && struct.parent === records && typeof struct.parentSub === 'string' ? struct.parentSub : null;
  };
  const out = new Map<ShardId, Map<number, Section>>();
  const d = decoding.createDecoder(update);
  const count = decoding.readVarUint(d);
  for (let s = 0; s < count; s++) {
    const structs = decoding.readVarUint(d);
    const client = decoding.readVarUint(d);
    let clock = decoding.readVarUint(d);
    for (let i = 0; i < structs; i++) {
      const start = d.pos;
      const info = decoding.readUint8(d);
      const ref = info & 0b11111;
      let length: number;
      let key: string | null = null;
      if (ref === SKIP || ref === 0) length = decoding.readVarUint(d);
      else {
        // The struct's own key, from the document (which holds it): cheaper than reading its parent.
        key = keyAt(client, clock);
        if (info & 0x80) decoding.readVarUint(d), decoding.readVarUint(d);
        if (info & 0x40) decoding.readVarUint(d), decoding.readVarUint(d);
        if (!(info & 0xc0)) {
          if (decoding.readVarUint(d) === 1) decoding.readVarString(d);
          else decoding.readVarUint(d), decoding.readVarUint(d);
          if (info & 0x20) decoding.readVarString(d);
        }
        length = ref === CONTENT_DELETED ? decoding.readVarUint(d) : skipContent(d, ref);
      }
      const shard = key === null ? null : keyShard(key);
      if (shard !== null) {
        let sections = out.get(shard);
        if (!sections) out.set(shard, (sections = new Map()));
        let section = sections.get(client);
        if (!section) sections.set(client, (section = { clock: 0, parts: [], emitted: 0 }));
        if (clock > section.emitted) section.parts.push(gcBytes(clock - section.emitted));
        section.parts.push(update.subarray(start, d.pos));
        section.emitted = clock + length;
      }
      clock += length;
    }
  }
  // The delete set, cut per shard to the clocks each holds of each client.
  const deletes: [number, [number, number][]][] = [];
  const clients = decoding.readVarUint(d);
  for (let c = 0; c < clients; c++) {
    const client = decoding.readVarUint(d);
    const n = decoding.readVarUint(d);
    const ranges: [number, number][] = [];
    for (let i = 0; i < n; i++) ranges.push([decoding.readVarUint(d), decoding.readVarUint(d)]);
    deletes.push([client, ranges]);
  }
  const result = new Map<ShardId, Uint8Array>();
  for (const [shard, sections] of out) {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, sections.size);
    for (const [client, section] of sections) {
      encoding.writeVarUint(e, section.parts.length);
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, section.clock);
      for (const part of section.parts) encoding.writeUint8Array(e, part);
    }
    const kept: [number, [number, number][]][] = [];
    for (const [client, ranges] of deletes) {
      const section = sections.get(client);
      if (!section) continue;
      const clipped = ranges
        .filter(([clock]) => clock < section.emitted)
        .map(([clock, length]): [number, number] => [clock, Math.min(length, section.emitted - clock)]);
      if (clipped.length) kept.push([client, clipped]);
    }
    encoding.writeVarUint(e, kept.length);
    for (const [client, ranges] of kept) {
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, ranges.length);
      for (const [clock, length] of ranges) {
        encoding.writeVarUint(e, clock);
        encoding.writeVarUint(e, length);
      }
    }
    result.set(shard, encoding.toUint8Array(e));
  }
  return result;
}
