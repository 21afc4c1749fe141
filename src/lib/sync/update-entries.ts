// Reads the `records` entries of a Yjs update (v1) and rewrites it with a verdict per entry: the
// relay's half of the gate (relay/room-gate.ts). The update must already have been through
// `filterUpdate`, so every item left is a `records` map entry with `any` or deleted content.
//
// Three verdicts: keep; drop (the entry becomes GC of the same length: bad signature, malformed,
// twin — never valid, so nobody loses anything); hold (the entry and everything after it from the
// same Yjs client is left out, and whatever names a left-out struct as origin: the author is not a
// member yet as far as the relay knows, so the relay's state vector must not claim those clocks —
// a later sync brings them again). Held structs never reach the document, so nothing waits in
// Yjs' pending queue on their behalf.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CONTENT_ANY, CONTENT_BINARY, CONTENT_DELETED, gcBytes, SKIP, skipContent, structAt } from './update-filter';

export interface UpdateStruct {
  client: number;
  clock: number;
  length: number;
  /** Byte range of the struct in the update, and where its content starts (after the header). */
  start: number;
  end: number;
  contentStart: number;
  /** `binary`: binary content, which filtered updates never hold (update-skeleton's placeholders). */
  kind: 'gc' | 'skip' | 'deleted' | 'entry' | 'binary';
  /** Map key: written out, or inherited from the origin (null when the origin is unknown). */
  key: string | null;
  /** The entry's values (a records entry has exactly one); not read when `values: false`. */
  values?: unknown[];
  origin?: Y.ID;
  rightOrigin?: Y.ID;
}

export interface UpdateStructs {
  structs: UpdateStruct[];
  /** True when the update carries a delete set (the relay never deletes records). */
  deletes: boolean;
  /** Structs whose origin or right origin is neither in the update nor in the document. */
  missingOrigins: number;
}

export type Verdict = 'keep' | 'drop' | 'hold';

const idKey = (client: number, clock: number) => `${client}:${clock}`;

/**
 * Parses every struct (throws RangeError on a malformed update: callers run `filterUpdate` first).
 * `values: false` skips decoding the entries' values (their byte ranges are still known).
 */
export function readUpdateStructs(update: Uint8Array, doc: Y.Doc | null, options: { values?: boolean } = {}): UpdateStructs {
  const readValues = options.values ?? true;
  const d = decoding.createDecoder(update);
  const structs: UpdateStruct[] = [];
  const byClient = new Map<number, UpdateStruct[]>();
  const find = (id: Y.ID): UpdateStruct | null => {
    const list = byClient.get(id.client);
    if (!list) return null;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (id.clock < list[mid].clock) hi = mid - 1;
      else if (id.clock >= list[mid].clock + list[mid].length) lo = mid + 1;
      else return list[mid];
    }
    return null;
  };
  /** Structs whose key comes from their origin, resolved once every struct is read. */
  const inherited = new Set<UpdateStruct>();
  const keyOf = (id: Y.ID, seen: Set<UpdateStruct>): string | null => {
    const inUpdate = find(id);
    if (inUpdate) return inherited.has(inUpdate) ? resolve(inUpdate, seen) : inUpdate.key;
    const s = doc && structAt(doc, id.client, id.clock);
    return s instanceof Y.Item && typeof s.parentSub === 'string' ? s.parentSub : null;
  };
  // An origin may come later in the update than the struct naming it (Yjs writes higher client
  // ids first, so an overwrite by a higher client precedes its original): keys are inherited after
  // the whole update is read, along the origin chain (a cycle, which no honest update holds, gives none).
  const resolve = (struct: UpdateStruct, seen: Set<UpdateStruct>): string | null => {
    if (!inherited.has(struct)) return struct.key;
    if (seen.has(struct)) return null;
    seen.add(struct);
    struct.key = keyOf((struct.origin ?? struct.rightOrigin) as Y.ID, seen);
    inherited.delete(struct);
    return struct.key;
  };
  const sections = decoding.readVarUint(d);
  for (let s = 0; s < sections; s++) {
    const count = decoding.readVarUint(d);
    const client = decoding.readVarUint(d);
    let clock = decoding.readVarUint(d);
    for (let i = 0; i < count; i++) {
      const start = d.pos;
      const info = decoding.readUint8(d);
      const ref = info & 0b11111;
      const struct: UpdateStruct = { client, clock, length: 0, start, end: start, contentStart: start, kind: 'gc', key: null };
      if (ref === SKIP || ref === 0) {
        struct.kind = ref === SKIP ? 'skip' : 'gc';
        struct.length = decoding.readVarUint(d);
      } else {
        if (info & 0x80) struct.origin = Y.createID(decoding.readVarUint(d), decoding.readVarUint(d));
        if (info & 0x40) struct.rightOrigin = Y.createID(decoding.readVarUint(d), decoding.readVarUint(d));
        if (!struct.origin && !struct.rightOrigin) {
          if (decoding.readVarUint(d) === 1) decoding.readVarString(d);
          else {
            decoding.readVarUint(d);
            decoding.readVarUint(d);
          }
          if (info & 0x20) struct.key = decoding.readVarString(d);
        } else inherited.add(struct);
        struct.contentStart = d.pos;
        if (ref === CONTENT_ANY && readValues) {
          const n = decoding.readVarUint(d);
          struct.values = [];
          for (let k = 0; k < n; k++) struct.values.push(decoding.readAny(d));
          struct.length = n;
          struct.kind = 'entry';
        } else {
          struct.length = skipContent(d, ref);
          struct.kind = ref === CONTENT_ANY ? 'entry' : ref === CONTENT_DELETED ? 'deleted' : ref === CONTENT_BINARY ? 'binary' : 'gc';
        }
      }
      if (d.pos > update.length) throw new RangeError('update ends inside a struct');
      struct.end = d.pos;
      structs.push(struct);
      let list = byClient.get(client);
      if (!list) byClient.set(client, (list = []));
      list.push(struct);
      clock += struct.length;
    }
  }
  for (const struct of [...inherited]) resolve(struct, new Set());
  let missingOrigins = 0;
  const found = (id: Y.ID | undefined) => !id || find(id) !== null || (doc !== null && structAt(doc, id.client, id.clock) !== null);
  for (const s of structs) if (!found(s.origin) || !found(s.rightOrigin)) missingOrigins++;
  const deletes = decoding.readVarUint(d) > 0;
  return { structs, deletes, missingOrigins };
}

/**
 * The update the relay applies: kept structs byte for byte, dropped entries as GC, and per client
 * only the run before the first held struct. A struct that starts past what the document has of
 * its client (a gap), or whose origin is neither in the document nor kept, is held too. No delete
 * set: records are never removed, and a map overwrite deletes its predecessor without one.
 * Returns null when nothing is left to apply.
 */
export function rewriteUpdate(
  parsed: UpdateStructs,
  update: Uint8Array,
  doc: Y.Doc,
  verdicts: ReadonlyMap<string, Verdict>
): { update: Uint8Array | null; held: number; dropped: number } {
  const state = Y.decodeStateVector(Y.encodeStateVector(doc));
  const cutAt = new Map<number, number>();
  const clients = new Map<number, UpdateStruct[]>();
  for (const s of parsed.structs) {
    let list = clients.get(s.client);
    if (!list) clients.set(s.client, (list = []));
    list.push(s);
  }
  const hold = (s: UpdateStruct) => {
    const at = cutAt.get(s.client);
    if (at === undefined || s.clock < at) cutAt.set(s.client, s.clock);
  };
  for (const [client, list] of clients) {
    if (list[0].clock > (state.get(client) ?? 0)) cutAt.set(client, list[0].clock);
    for (const s of list) if (verdicts.get(idKey(s.client, s.clock)) === 'hold') hold(s);
  }
  const kept = (id: Y.ID): boolean => {
    if (id.clock < (state.get(id.client) ?? 0)) return true;
    const list = clients.get(id.client);
    if (!list || id.clock >= list[list.length - 1].clock + list[list.length - 1].length) return false;
    const at = cutAt.get(id.client);
    return at === undefined || id.clock < at;
  };
  // Holding one struct can orphan another's origin: repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of parsed.structs) {
      const at = cutAt.get(s.client);
      if (at !== undefined && s.clock >= at) continue;
      if ((s.origin && !kept(s.origin)) || (s.rightOrigin && !kept(s.rightOrigin))) {
        hold(s);
        changed = true;
      }
    }
  }
  const e = encoding.createEncoder();
  const sections: { client: number; clock: number; parts: Uint8Array[] }[] = [];
  let held = 0;
  let dropped = 0;
  let structCount = 0;
  for (const [client, list] of clients) {
    const at = cutAt.get(client);
    const parts: Uint8Array[] = [];
    for (const s of list) {
      if (at !== undefined && s.clock >= at) {
        if (s.kind === 'entry') held++;
        continue;
      }
      if (verdicts.get(idKey(s.client, s.clock)) === 'drop') {
        dropped++;
        parts.push(gcBytes(s.length));
      } else parts.push(update.subarray(s.start, s.end));
    }
    if (parts.length) sections.push({ client, clock: list[0].clock, parts });
    structCount += parts.length;
  }
  if (!structCount) return { update: null, held, dropped };
  encoding.writeVarUint(e, sections.length);
  for (const s of sections) {
    encoding.writeVarUint(e, s.parts.length);
    encoding.writeVarUint(e, s.client);
    encoding.writeVarUint(e, s.clock);
    for (const p of s.parts) encoding.writeUint8Array(e, p);
  }
  encoding.writeVarUint(e, 0);
  return { update: encoding.toUint8Array(e), held, dropped };
}

export { idKey as structKey };
