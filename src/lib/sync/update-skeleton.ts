// The stored form of a community document without its records (issue "One copy on disk"): an entry
// of the `records` map whose value is exactly a record this device keeps in its `records` table is
// stored as a placeholder — same Yjs id, origins, key and length, empty binary content — so the
// document's structure (state vector, delete set, which item holds which key) is on disk while each
// record is stored once. Opening puts the values back before the update is applied.
//
// Works on the bytes of v1 updates with `readUpdateStructs`. Binary content never reaches a
// community document otherwise (`filterUpdate` turns it into GC), so in a stored row marked as a
// skeleton an entry with binary content is always a placeholder.
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { readUpdateStructs, type UpdateStruct } from './update-entries';
import { CONTENT_ANY, CONTENT_BINARY, CONTENT_DELETED, SKIP, structAt } from './update-filter';

/** Empty binary content: the placeholder (one byte, the buffer's length). */
const PLACEHOLDER_CONTENT = Uint8Array.of(0);
/** Deleted content of length 1, as Yjs writes a deleted item. */
const DELETED_CONTENT = Uint8Array.of(1);
/** The info byte's flags (origin, right origin, parent sub); its low five bits are the content ref. */
const FLAGS = 0b1110_0000;

export interface SkeletonResult {
  update: Uint8Array;
  /** Entries whose value this call took out (placeholders, or deleted content). */
  placed: number;
  /** Entries left with their value (not backed by a stored record, or not yet). */
  values: number;
}

/**
 * What an entry of the document is now: `backed` (its value is the record stored under its key:
 * stored as a placeholder), `deleted` (overwritten or deleted since, and that change is stored: its
 * value is dropped, as Yjs drops a deleted item's), or null (kept as it is).
 */
export type EntryState = (client: number, clock: number) => 'backed' | 'deleted' | null;

/**
 * The update with each entry's value taken out where `state` allows; placeholders stay so.
 * Throws RangeError on a malformed update.
 */
export function toSkeleton(update: Uint8Array, state: EntryState): SkeletonResult {
  const { structs } = readUpdateStructs(update, null, { values: false });
  const edits: Edit[] = [];
  let values = 0;
  for (const s of structs) {
    if (s.kind !== 'entry') continue;
    const now = s.length === 1 ? state(s.client, s.clock) : null;
    if (now === 'backed') edits.push({ struct: s, bytes: withContent(update, s, CONTENT_BINARY, PLACEHOLDER_CONTENT) });
    else if (now === 'deleted') edits.push({ struct: s, bytes: withContent(update, s, CONTENT_DELETED, DELETED_CONTENT) });
    else values++;
  }
  return { update: edits.length ? splice(update, edits) : update, placed: edits.length, values };
}

export interface StoredSkeleton {
  update: Uint8Array;
  /** Placeholders, each with the key it stands under (null when its origin is not to be found). */
  placeholders: UpdateStruct[];
  /** Entries stored with their value. */
  values: number;
  /**
   * Every struct integrates into the document at once: no gap after what it holds of a client, no
   * skip, every origin found. Then no placeholder waits in Yjs' pending structs, and all can be
   * given their values once the skeleton is applied (`fillApplied`).
   */
  whole: boolean;
}

/**
 * Reads a stored skeleton: its placeholders and their keys. `doc` is the document earlier rows were
 * applied to (a placeholder's key may be inherited from an item stored before it). Throws RangeError
 * on a malformed update.
 */
export function readSkeleton(update: Uint8Array, doc: Y.Doc): StoredSkeleton {
  const { structs, missingOrigins } = readUpdateStructs(update, doc, { values: false });
  const starts = new Map<number, number>();
  for (const s of structs) if (!starts.has(s.client)) starts.set(s.client, s.clock);
  const gap = [...starts].some(([client, clock]) => clock > Y.getState(doc.store, client));
  return {
    update,
    placeholders: structs.filter((s) => s.kind === 'binary'),
    values: structs.filter((s) => s.kind === 'entry').length,
    whole: !gap && missingOrigins === 0 && !structs.some((s) => s.kind === 'skip')
  };
}

/**
 * After a whole skeleton was applied to `doc`: gives each placeholder item its record in place, as
 * `ContentAny` of the same length (1), instead of encoding every record into the update for Yjs to
 * decode again (at 100,000 records ~5 s of lib0 encoding against well under a second). Safe because
 * a records entry is never merged with its neighbours (each has its own key, or is deleted when
 * overwritten) and nothing else reads an item's content than its value, its encoding and GC.
 * Returns the placeholders filled; those `recordOf` has nothing for stay placeholders.
 */
export function fillApplied(doc: Y.Doc, placeholders: readonly UpdateStruct[], recordOf: (key: string) => unknown): UpdateStruct[] {
  const filled: UpdateStruct[] = [];
  for (const s of placeholders) {
    const item = structAt(doc, s.client, s.clock);
    if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentBinary) || s.key === null) continue;
    const value = recordOf(s.key);
    if (value === undefined) continue;
    item.content = new Y.ContentAny([value]);
    filled.push(s);
  }
  return filled;
}

/**
 * The full update: each placeholder gets the value `recordOf` gives for its key. A placeholder
 * without one (its stored record is missing) becomes a skip of the same length, so Yjs holds that
 * client's later structs as pending and the state vector leaves the gap for peers to fill.
 */
export function fillSkeleton(skeleton: StoredSkeleton, recordOf: (key: string) => unknown): { update: Uint8Array; filled: UpdateStruct[]; missing: number } {
  const filled: UpdateStruct[] = [];
  const edits: Edit[] = [];
  let missing = 0;
  for (const s of skeleton.placeholders) {
    const value = s.key === null ? undefined : recordOf(s.key);
    if (value === undefined) {
      missing++;
      const e = encoding.createEncoder();
      encoding.writeUint8(e, SKIP);
      encoding.writeVarUint(e, s.length);
      edits.push({ struct: s, bytes: encoding.toUint8Array(e) });
      continue;
    }
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeAny(e, value as Parameters<typeof encoding.writeAny>[1]);
    edits.push({ struct: s, bytes: withContent(skeleton.update, s, CONTENT_ANY, encoding.toUint8Array(e)) });
    filled.push(s);
  }
  return { update: edits.length ? splice(skeleton.update, edits) : skeleton.update, filled, missing };
}

interface Edit {
  struct: UpdateStruct;
  bytes: Uint8Array;
}

/** The struct's header (info byte with a new content ref, origins, parent) followed by `content`. */
function withContent(update: Uint8Array, s: UpdateStruct, ref: number, content: Uint8Array): Uint8Array {
  const header = s.contentStart - s.start;
  const out = new Uint8Array(header + content.length);
  out.set(update.subarray(s.start, s.contentStart));
  out[0] = (update[s.start] & FLAGS) | ref;
  out.set(content, header);
  return out;
}

/** The update with each edited struct's bytes replaced (edits in update order). */
function splice(update: Uint8Array, edits: Edit[]): Uint8Array {
  let size = update.length;
  for (const { struct, bytes } of edits) size += bytes.length - (struct.end - struct.start);
  const out = new Uint8Array(size);
  let from = 0;
  let at = 0;
  for (const { struct, bytes } of edits) {
    out.set(update.subarray(from, struct.start), at);
    at += struct.start - from;
    out.set(bytes, at);
    at += bytes.length;
    from = struct.end;
  }
  out.set(update.subarray(from), at);
  return out;
}
