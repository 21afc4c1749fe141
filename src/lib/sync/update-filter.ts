// Filters a Yjs update (v1 encoding) before it reaches a community document: everything that is not
// a plain entry of the `records` map becomes a GC struct of the same id and length, and large
// updates are cut into smaller valid updates so they can be applied one macrotask at a time.
//
// Works on the bytes: in the v1 encoding every struct is a contiguous byte range with no state
// shared between structs, so a kept struct is copied as is and only junk is rewritten. A junk item
// turns into GC rather than vanishing so the sender's clock stays contiguous: later structs of that
// client integrate instead of waiting forever for the missing range, and state vectors still match.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** Past either limit an update is cut into pieces; about 10–20 ms of `Y.applyUpdate` each. */
export const PIECE_STRUCTS = 500;
export const PIECE_BYTES = 256 * 1024;

export interface FilteredUpdate {
  /** Valid updates to apply in order; the delete set travels with the last one. */
  pieces: Uint8Array[];
  structs: number;
  /** Items replaced by GC because they were not plain `records` entries, and their encoded bytes. */
  junkItems: number;
  junkBytes: number;
}

export type FilterResult = { ok: true; value: FilteredUpdate } | { ok: false; reason: 'update.malformed' };

export interface FilterOptions {
  /** The one root kept; everything under another root is junk. */
  root: string;
  /** The document the update is for: resolves origins that point at structs it already holds. */
  doc?: Y.Doc;
  maxStructs?: number;
  maxBytes?: number;
  /**
   * Which values of the root map to keep, by their `kind` field (null: not an object with a string
   * kind); default all. An entry refused becomes GC like junk, and so does every later value set
   * under its key (their origin is that entry). The kind is read without decoding the value.
   */
  keepKind?: (kind: string | null) => boolean;
  /**
   * Which values to keep by their `kind` and `ts` fields (null: missing, or not a string / a
   * number), read the same way: the shard gate (sync/shards/shard-gate.ts). Applied with `keepKind`.
   */
  keepEntry?: (kind: string | null, ts: number | null) => boolean;
  /** Keep root map entries with binary content: a stored skeleton's placeholders (update-skeleton). */
  placeholders?: boolean;
}

// Content refs of the v1 encoding (yjs structs/Item.js `contentRefs`).
export const CONTENT_DELETED = 1;
const CONTENT_JSON = 2;
export const CONTENT_BINARY = 3;
const CONTENT_STRING = 4;
const CONTENT_EMBED = 5;
const CONTENT_FORMAT = 6;
const CONTENT_TYPE = 7;
export const CONTENT_ANY = 8;
const CONTENT_DOC = 9;
export const SKIP = 10;
const TYPE_XML_ELEMENT = 3;
const TYPE_XML_HOOK = 5;

type Verdict = 'keep' | 'junk' | 'unknown';

/** Verdicts of the structs seen so far in this update, per client, in clock order. */
class Seen {
  #byClient = new Map<number, { clocks: number[]; ends: number[]; keep: boolean[] }>();

  add(client: number, clock: number, length: number, keep: boolean): void {
    let c = this.#byClient.get(client);
    if (!c) this.#byClient.set(client, (c = { clocks: [], ends: [], keep: [] }));
    c.clocks.push(clock);
    c.ends.push(clock + length);
    c.keep.push(keep);
  }

  get(client: number, clock: number): Verdict {
    const c = this.#byClient.get(client);
    if (!c) return 'unknown';
    let lo = 0;
    let hi = c.clocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (clock < c.clocks[mid]) hi = mid - 1;
      else if (clock >= c.ends[mid]) lo = mid + 1;
      else return c.keep[mid] ? 'keep' : 'junk';
    }
    return 'unknown';
  }
}

/** The struct of `doc` holding (client, clock), or null when the document has not got that far. */
export function structAt(doc: Y.Doc, client: number, clock: number): Y.Item | Y.GC | null {
  const structs = doc.store.clients.get(client);
  if (!structs?.length) return null;
  const last = structs[structs.length - 1];
  if (clock >= last.id.clock + last.length) return null;
  return structs[Y.findIndexSS(structs, clock)] as Y.Item | Y.GC;
}

/** What the document already holds at `id`: a records entry, junk (GC or anything else), or nothing yet. */
function verdictInDoc(doc: Y.Doc | undefined, root: string, client: number, clock: number): Verdict {
  if (!doc) return 'unknown';
  const struct = structAt(doc, client, clock);
  if (!struct) return 'unknown';
  if (!(struct instanceof Y.Item)) return 'junk';
  return struct.parent === doc.share.get(root) && struct.parentSub !== null ? 'keep' : 'junk';
}

function skipString(d: decoding.Decoder): void {
  const length = decoding.readVarUint(d);
  d.pos += length;
}

/** Walks one lib0 `any` value without building it. */
function skipAny(d: decoding.Decoder): void {
  const type = decoding.readUint8(d);
  switch (type) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return;
    case 125:
      decoding.readVarInt(d);
      return;
    case 124:
      d.pos += 4;
      return;
    case 123:
    case 122:
      d.pos += 8;
      return;
    case 119:
    case 116:
      skipString(d);
      return;
    case 118: {
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) {
        skipString(d);
        skipAny(d);
      }
      return;
    }
    case 117: {
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) skipAny(d);
      return;
    }
    default:
      throw new RangeError('unknown any type');
  }
}

/**
 * Walks one `any` value and returns its `kind` and `ts` fields when it is an object with a string
 * `kind` / a number `ts`. A key written twice counts as decoding it would: the last one wins.
 */
function readEntry(d: decoding.Decoder): { kind: string | null; ts: number | null } {
  const out: { kind: string | null; ts: number | null } = { kind: null, ts: null };
  if (d.arr[d.pos] !== 118) {
    skipAny(d);
    return out;
  }
  d.pos++;
  const n = decoding.readVarUint(d);
  for (let i = 0; i < n; i++) {
    const key = decoding.readVarString(d);
    const type = d.arr[d.pos];
    if (key === 'kind') {
      out.kind = null;
      if (type === 119) {
        d.pos++;
        out.kind = decoding.readVarString(d);
      } else skipAny(d);
    } else if (key === 'ts') {
      out.ts = null;
      if (type === 125 || type === 124 || type === 123) {
        d.pos++;
        out.ts = type === 125 ? decoding.readVarInt(d) : type === 124 ? decoding.readFloat32(d) : decoding.readFloat64(d);
      } else skipAny(d);
    } else skipAny(d);
  }
  return out;
}

/** Reads an item's content; returns its length in clock units. */
export function skipContent(d: decoding.Decoder, ref: number): number {
  switch (ref) {
    case CONTENT_DELETED:
      return decoding.readVarUint(d);
    case CONTENT_JSON: {
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) skipString(d);
      return n;
    }
    case CONTENT_BINARY:
    case CONTENT_EMBED:
      skipString(d);
      return 1;
    case CONTENT_STRING:
      // Clock length is the string's UTF-16 length, so it has to be decoded.
      return decoding.readVarString(d).length;
    case CONTENT_FORMAT:
      skipString(d);
      skipString(d);
      return 1;
    case CONTENT_TYPE: {
      const typeRef = decoding.readVarUint(d);
      if (typeRef > 6) throw new RangeError('unknown type ref');
      if (typeRef === TYPE_XML_ELEMENT || typeRef === TYPE_XML_HOOK) skipString(d);
      return 1;
    }
    case CONTENT_ANY: {
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) skipAny(d);
      return n;
    }
    case CONTENT_DOC:
      skipString(d);
      skipAny(d);
      return 1;
    default:
      throw new RangeError('unknown content ref');
  }
}

/** Accumulates kept and rewritten structs into pieces of bounded size. */
class PieceWriter {
  pieces: Uint8Array[] = [];
  #sections: { client: number; clock: number; count: number; parts: Uint8Array[] }[] = [];
  #structs = 0;
  #bytes = 0;

  constructor(
    readonly maxStructs: number,
    readonly maxBytes: number
  ) {}

  /** Adds one struct starting at `clock`; `bytes` is its encoding. */
  add(client: number, clock: number, bytes: Uint8Array): void {
    let section = this.#sections[this.#sections.length - 1];
    if (!section || section.client !== client) {
      section = { client, clock, count: 0, parts: [] };
      this.#sections.push(section);
    }
    section.count++;
    section.parts.push(bytes);
    this.#structs++;
    this.#bytes += bytes.length;
    if (this.#structs >= this.maxStructs || this.#bytes >= this.maxBytes) this.flush(new Uint8Array([0]));
  }

  /** Closes the current piece with `deleteSet` (an empty one for all but the last piece). */
  flush(deleteSet: Uint8Array): void {
    if (!this.#sections.length && deleteSet.length === 1 && deleteSet[0] === 0 && this.pieces.length) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, this.#sections.length);
    for (const s of this.#sections) {
      encoding.writeVarUint(e, s.count);
      encoding.writeVarUint(e, s.client);
      encoding.writeVarUint(e, s.clock);
      for (const p of s.parts) encoding.writeUint8Array(e, p);
    }
    encoding.writeUint8Array(e, deleteSet);
    this.pieces.push(encoding.toUint8Array(e));
    this.#sections = [];
    this.#structs = 0;
    this.#bytes = 0;
  }
}

export function gcBytes(length: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, 0);
  encoding.writeVarUint(e, length);
  return encoding.toUint8Array(e);
}

/**
 * Keeps only plain `root` map entries with `any` (or deleted) content; cuts large updates into
 * pieces. An item whose parent is inherited from an origin is judged by that origin: from this
 * update, from the document, or, if neither has it yet, kept: Yjs turns an item whose origin is
 * GC into GC itself, so a junk origin that arrives later still takes its followers with it.
 */
export function filterUpdate(update: Uint8Array, options: FilterOptions): FilterResult {
  try {
    return { ok: true, value: scan(update, options) };
  } catch {
    return { ok: false, reason: 'update.malformed' };
  }
}

function scan(
  update: Uint8Array,
  { root, doc, maxStructs = PIECE_STRUCTS, maxBytes = PIECE_BYTES, keepKind, keepEntry, placeholders }: FilterOptions
): FilteredUpdate {
  const d = decoding.createDecoder(update);
  const seen = new Seen();
  const writer = new PieceWriter(maxStructs, maxBytes);
  let structs = 0;
  let junkItems = 0;
  let junkBytes = 0;
  const originVerdict = (client: number, clock: number): Verdict => {
    const v = seen.get(client, clock);
    return v === 'unknown' ? verdictInDoc(doc, root, client, clock) : v;
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
      let length: number;
      let keep = true;
      if (ref === SKIP) {
        length = decoding.readVarUint(d);
      } else if (ref === 0) {
        length = decoding.readVarUint(d); // GC
      } else {
        const hasOrigin = (info & 0x80) !== 0;
        const hasRightOrigin = (info & 0x40) !== 0;
        let inherited: Verdict = 'unknown';
        if (hasOrigin) inherited = originVerdict(decoding.readVarUint(d), decoding.readVarUint(d));
        if (hasRightOrigin) {
          const right = originVerdict(decoding.readVarUint(d), decoding.readVarUint(d));
          if (inherited !== 'junk') inherited = right === 'junk' ? 'junk' : inherited;
        }
        if (!hasOrigin && !hasRightOrigin) {
          // Parent written out: a root name, or the id of a nested type (never a records entry).
          const parentIsRoot = decoding.readVarUint(d) === 1;
          let parentOk = false;
          if (parentIsRoot) parentOk = decoding.readVarString(d) === root;
          else {
            decoding.readVarUint(d);
            decoding.readVarUint(d);
          }
          const hasParentSub = (info & 0x20) !== 0;
          if (hasParentSub) skipString(d);
          keep = parentOk && hasParentSub;
        } else {
          keep = inherited !== 'junk';
        }
        if (keep && (keepKind || keepEntry) && ref === CONTENT_ANY) {
          length = decoding.readVarUint(d);
          for (let v = 0; v < length; v++) {
            const entry = readEntry(d);
            if ((keepKind && !keepKind(entry.kind)) || (keepEntry && !keepEntry(entry.kind, entry.ts))) keep = false;
          }
        } else length = skipContent(d, ref);
        if (ref !== CONTENT_ANY && ref !== CONTENT_DELETED && !(placeholders && ref === CONTENT_BINARY)) keep = false;
      }
      if (d.pos > update.length || length < 0) throw new RangeError('update ends inside a struct');
      structs++;
      seen.add(client, clock, length, keep);
      if (keep) writer.add(client, clock, update.subarray(start, d.pos));
      else {
        junkItems++;
        junkBytes += d.pos - start;
        writer.add(client, clock, gcBytes(length));
      }
      clock += length;
    }
  }
  // The delete set: parsed to reject a malformed one, then carried over byte for byte.
  const dsStart = d.pos;
  const dsClients = decoding.readVarUint(d);
  for (let c = 0; c < dsClients; c++) {
    decoding.readVarUint(d);
    const n = decoding.readVarUint(d);
    for (let i = 0; i < n; i++) {
      decoding.readVarUint(d);
      decoding.readVarUint(d);
    }
  }
  if (d.pos > update.length) throw new RangeError('update ends inside the delete set');
  const deleteSet = update.subarray(dsStart, d.pos);
  if (!junkItems && writer.pieces.length === 0) return { pieces: [update], structs, junkItems, junkBytes };
  writer.flush(deleteSet);
  return { pieces: writer.pieces, structs, junkItems, junkBytes };
}
