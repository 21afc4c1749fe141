// Splits one Yjs update (V1) into several valid updates of at most `maxBytes` each, so that a big
// paste still fits in `note-edit` records (48,000 base64url characters). Applying the pieces in any
// order gives the same document as applying the whole update: Yjs holds a piece back until the
// pieces it depends on arrive. Long items (a pasted text) are cut the way Yjs itself cuts them.
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

type Struct = Y.Item | Y.GC | Y.Skip;
interface DeleteItem {
  clock: number;
  len: number;
}

function structSize(s: Struct): number {
  const e = new Y.UpdateEncoderV1();
  s.write(e, 0);
  return e.toUint8Array().length;
}

/** Cuts a struct after `diff` units, as Yjs's internal sliceStruct does. Mutates `s` into the left part. */
function cut(s: Struct, diff: number): Struct {
  const { client, clock } = s.id;
  if (s instanceof Y.GC) {
    const right = new Y.GC(Y.createID(client, clock + diff), s.length - diff);
    s.length = diff;
    return right;
  }
  if (s instanceof Y.Skip) {
    const right = new Y.Skip(Y.createID(client, clock + diff), s.length - diff);
    s.length = diff;
    return right;
  }
  const right = new Y.Item(
    Y.createID(client, clock + diff),
    null,
    Y.createID(client, clock + diff - 1),
    null,
    s.rightOrigin,
    s.parent,
    s.parentSub,
    s.content.splice(diff)
  );
  s.length = diff;
  return right;
}

function splittable(s: Struct): boolean {
  if (!(s instanceof Y.Item)) return s.length > 1;
  const c = s.content;
  return s.length > 1 && (c instanceof Y.ContentString || c instanceof Y.ContentAny || c instanceof Y.ContentDeleted || c instanceof Y.ContentJSON);
}

/** Units of `s` that fit in `budget` bytes (at least 1), never cutting a UTF-16 surrogate pair. */
function fittingUnits(s: Struct, budget: number): number {
  let units = Math.max(1, Math.min(s.length - 1, Math.floor((s.length * budget) / Math.max(1, structSize(s)))));
  if (s instanceof Y.Item && s.content instanceof Y.ContentString) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    units = Math.max(1, Math.min(s.length - 1, Math.floor(budget / 3)));
    const code = s.content.str.charCodeAt(units - 1);
    if (code >= 0xd800 && code <= 0xdbff && units > 1) units--;
  }
  return units;
}

function encodeChunk(runs: { client: number; structs: Struct[] }[], ds: Map<number, DeleteItem[]>): Uint8Array {
  const e = new Y.UpdateEncoderV1();
  encoding.writeVarUint(e.restEncoder, runs.length);
  for (const run of runs) {
    encoding.writeVarUint(e.restEncoder, run.structs.length);
    e.writeClient(run.client);
    encoding.writeVarUint(e.restEncoder, run.structs[0].id.clock);
    for (const s of run.structs) s.write(e, 0);
  }
  encoding.writeVarUint(e.restEncoder, ds.size);
  for (const [client, items] of [...ds].sort((a, b) => b[0] - a[0])) {
    e.resetDsCurVal();
    encoding.writeVarUint(e.restEncoder, client);
    encoding.writeVarUint(e.restEncoder, items.length);
    for (const it of items) {
      e.writeDsClock(it.clock);
      e.writeDsLen(it.len);
    }
  }
  return e.toUint8Array();
}

/** Splits `update` into updates of at most `maxBytes` bytes (returns it unchanged when it already fits). */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.length <= maxBytes) return [update];
  const budget = maxBytes - 32; // room for the chunk's headers
  const { structs, ds } = Y.decodeUpdate(update) as unknown as { structs: Struct[]; ds: { clients: Map<number, DeleteItem[]> } };
  const chunks: Uint8Array[] = [];
  let runs: { client: number; structs: Struct[] }[] = [];
  let size = 0;
  const flush = () => {
    if (runs.length) chunks.push(encodeChunk(runs, new Map()));
    runs = [];
    size = 0;
  };
  const add = (s: Struct, bytes: number) => {
    if (size + bytes > budget) flush();
    const last = runs[runs.length - 1];
    const prev = last?.structs[last.structs.length - 1];
    if (last && last.client === s.id.client && prev && prev.id.clock + prev.length === s.id.clock) last.structs.push(s);
    else runs.push({ client: s.id.client, structs: [s] });
    size += bytes + 8;
  };
  for (const whole of structs) {
    let s: Struct = whole;
    let bytes = structSize(s);
    while (bytes > budget && splittable(s)) {
      const right = cut(s, fittingUnits(s, budget));
      add(s, structSize(s));
      s = right;
      bytes = structSize(s);
    }
    add(s, bytes);
  }
  flush();

  // The delete set travels separately, in pieces of whole ranges.
  let part = new Map<number, DeleteItem[]>();
  let partSize = 0;
  for (const [client, items] of ds.clients) {
    for (const it of items) {
      if (partSize + 24 > budget) {
        chunks.push(encodeChunk([], part));
        part = new Map();
        partSize = 0;
      }
      if (!part.has(client)) part.set(client, []);
      part.get(client)!.push(it);
      partSize += 12;
    }
  }
  if (part.size) chunks.push(encodeChunk([], part));
  return chunks;
}
