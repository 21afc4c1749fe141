// Moving a community's single document into shards without making new items. Re-inserting each
// record into a fresh shard document would give every device its own Yjs items for the same keys
// (each device's client id), so two devices that migrated apart would send each other every record
// again and keep both items forever. Instead each shard's update is cut from the single document's
// own update: its entries keep their item ids (client, clock) and everything else of the same
// clients becomes GC of the same length (the update filter with the shard rule). Every device that
// splits the same document gets the same shard documents, byte for byte, and their digests match.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { shardOfEntry, type ShardId } from '../../domain/shards';
import { readUpdateStructs, type UpdateStruct } from '../update-entries';
import { gcBytes } from '../update-filter';
import { filterShardUpdate } from './shard-gate';

/** The shards a single document's records belong to (values that belong to none are left out). */
export function shardsOf(records: Y.Map<unknown>): Set<ShardId> {
  const shards = new Set<ShardId>();
  for (const value of records.values()) {
    if (typeof value !== 'object' || value === null) continue;
    const { kind, ts } = value as { kind?: unknown; ts?: unknown };
    const shard = shardOfEntry(typeof kind === 'string' ? kind : null, typeof ts === 'number' ? ts : null);
    if (shard) shards.add(shard);
  }
  return shards;
}

/**
 * One update per shard, cut from the document's whole state: each holds that shard's entries with
 * their item ids, the rest as GC. The delete set travels with each (records are never deleted; an
 * overwritten entry's predecessor is deleted by its successor, which is in the same shard).
 */
export function splitLegacy(doc: Y.Doc): Map<ShardId, Uint8Array> {
  const state = Y.encodeStateAsUpdate(doc);
  const out = new Map<ShardId, Uint8Array>();
  for (const shard of shardsOf(doc.getMap('records'))) {
    const cut = filterShardUpdate(state, shard);
    if (!cut.ok) throw new Error('the document’s own update did not read');
    out.set(shard, trimForeign(cut.value.pieces.length === 1 ? cut.value.pieces[0] : Y.mergeUpdates(cut.value.pieces)));
  }
  return out;
}

/**
 * Keeps, of each client, only the clocks up to its last entry of the shard: a client that wrote
 * nothing there is left out, and what it wrote after (elsewhere) too. So a month's state vector,
 * and its digest, change only when someone writes into that month, as with shards written natively,
 * and an old device writing today does not reopen every closed month. The delete set is cut alike.
 */
export function trimForeign(update: Uint8Array): Uint8Array {
  const { structs } = readUpdateStructs(update, new Y.Doc());
  resolveKeys(structs);
  // The filter kept deleted entries (overwritten predecessors) of every key: only this shard's
  // keys' are this shard's; the others become GC like the values they preceded.
  const keys = new Set(structs.filter((s) => s.kind === 'entry').map((s) => s.key));
  const mine = (s: (typeof structs)[number]) => s.kind === 'entry' || (s.kind === 'deleted' && keys.has(s.key));
  const end = new Map<number, number>();
  const extend = (client: number, to: number): boolean => {
    if ((end.get(client) ?? 0) >= to) return false;
    end.set(client, to);
    return true;
  };
  for (const s of structs) if (s.kind === 'entry') extend(s.client, s.clock + s.length);
  // An entry kept needs the structs it names as origins (an overwritten predecessor under the same
  // key, by another client): their clients keep up to them too, until nothing more is needed.
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of structs) {
      if (s.clock >= (end.get(s.client) ?? 0) || !mine(s)) continue;
      if (s.origin) changed = extend(s.origin.client, s.origin.clock + 1) || changed;
      if (s.rightOrigin) changed = extend(s.rightOrigin.client, s.rightOrigin.clock + 1) || changed;
    }
  }
  const sections = new Map<number, { clock: number; parts: Uint8Array[] }>();
  for (const s of structs) {
    const until = end.get(s.client);
    if (until === undefined || s.clock >= until) continue;
    let section = sections.get(s.client);
    if (!section) sections.set(s.client, (section = { clock: s.clock, parts: [] }));
    section.parts.push(mine(s) || s.kind === 'gc' || s.kind === 'skip' ? update.subarray(s.start, s.end) : gcBytes(s.length));
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, sections.size);
  for (const [client, section] of sections) {
    encoding.writeVarUint(e, section.parts.length);
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, section.clock);
    for (const part of section.parts) encoding.writeUint8Array(e, part);
  }
  // The delete set follows the structs (its first byte is after the last struct).
  const d = decoding.createDecoder(update);
  d.pos = structs.length ? structs[structs.length - 1].end : skipEmptyStructs(d);
  const clients = decoding.readVarUint(d);
  const kept: [number, [number, number][]][] = [];
  for (let c = 0; c < clients; c++) {
    const client = decoding.readVarUint(d);
    const n = decoding.readVarUint(d);
    const ranges: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const clock = decoding.readVarUint(d);
      const length = decoding.readVarUint(d);
      const until = end.get(client) ?? 0;
      if (clock < until) ranges.push([clock, Math.min(length, until - clock)]);
    }
    if (ranges.length) kept.push([client, ranges]);
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
  return encoding.toUint8Array(e);
}

/**
 * Map keys of entries that inherit theirs from an origin later in the update: Yjs writes clients
 * in descending order, so an overwrite by a higher client id comes before the entry it names.
 */
function resolveKeys(structs: UpdateStruct[]): void {
  const byClient = new Map<number, UpdateStruct[]>();
  for (const s of structs) {
    const list = byClient.get(s.client);
    if (list) list.push(s);
    else byClient.set(s.client, [s]);
  }
  const at = (id: Y.ID) => byClient.get(id.client)?.find((s) => id.clock >= s.clock && id.clock < s.clock + s.length) ?? null;
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of structs) {
      if (s.key !== null || (!s.origin && !s.rightOrigin)) continue;
      const key = at((s.origin ?? s.rightOrigin) as Y.ID)?.key ?? null;
      if (key !== null) {
        s.key = key;
        changed = true;
      }
    }
  }
}

/** Position of the delete set in an update that has no struct (sections with no structs in them). */
function skipEmptyStructs(d: decoding.Decoder): number {
  const sections = decoding.readVarUint(d);
  for (let i = 0; i < sections; i++) {
    decoding.readVarUint(d);
    decoding.readVarUint(d);
    decoding.readVarUint(d);
  }
  return d.pos;
}
