// Record ids as 33 bytes on disk instead of 43 characters. IndexedDB encodes a string key as UTF-16
// (86 bytes for a record id) and Chromium repeats the primary key in every entry of every index
// (twice: in the entry's key and its value) and in an "exists" entry beside the row, so at 100,000
// records the ids were most of what the `records` table's four indexes cost. Stored as binary keys
// (33 bytes) the same table, written the same way, took 73 MB instead of 108 MB.
//
// The middleware sits below all of Dexie's own (closest to IndexedDB), so everything above it —
// tables, live queries, the cache, hooks — sees string ids as before: ids are packed on the way down
// (keys, key ranges on the coded indexes, the coded fields of written values) and unpacked on the
// way up (results, primary keys, cursors). Only strings of 43 base64url characters are packed (the
// shape of every record id); anything else passes as it is.
//
// The packing keeps order: each character becomes its rank in ASCII order (6 bits), so packed ids
// compare as the strings do (`compareRecords`' (ts, id) order of an author's hour is the order of
// the `[cid+author+ts]` index, whose equal keys sort by primary key: the quota reads it so).
import type { DBCore, DBCoreCursor, DBCoreIndex, DBCoreKeyRange, DBCoreMutateRequest, DBCoreTable, Middleware } from 'dexie';

const ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const RANK = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) RANK[ALPHABET.charCodeAt(i)] = i;
const ID_CHARS = 43;
/** 43 characters × 6 bits = 258 bits: 33 bytes, the last 6 bits zero. */
export const PACKED_ID_BYTES = 33;

/** A record id as 33 order-keeping bytes; any other value is returned as it is. */
export function packId<T>(value: T): T | Uint8Array {
  if (typeof value !== 'string' || value.length !== ID_CHARS) return value;
  const out = new Uint8Array(PACKED_ID_BYTES);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < ID_CHARS; i++) {
    const code = value.charCodeAt(i);
    const rank = code < 128 ? RANK[code] : -1;
    if (rank < 0) return value;
    acc = (acc << 6) | rank;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  out[o] = (acc << (8 - bits)) & 0xff;
  return out;
}

/**
 * The id a packed value stands for; any other value is returned as it is. IndexedDB gives binary
 * keys back as ArrayBuffers (primary keys, cursor keys) and binary fields of values as they were put.
 */
export function unpackId<T>(packed: T): T | string {
  const value = packed instanceof ArrayBuffer ? new Uint8Array(packed) : packed;
  if (!(value instanceof Uint8Array) || value.length !== PACKED_ID_BYTES) return packed;
  let s = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < PACKED_ID_BYTES && s.length < ID_CHARS; i++) {
    acc = (acc << 8) | value[i];
    bits += 8;
    while (bits >= 6 && s.length < ID_CHARS) {
      bits -= 6;
      s += ALPHABET[(acc >> bits) & 63];
    }
    acc &= (1 << bits) - 1;
  }
  return s;
}

/** Fields of each table's rows held packed: the primary key first, then indexed fields holding ids. */
export const PACKED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  records: ['id', 'target'],
  threads: ['id'],
  replies: ['id', 'thread'],
  members: ['key']
};

/** A row as stored: its coded fields packed (a copy; the caller's object is not changed). */
export function packRow<T>(row: T, fields: readonly string[]): T {
  if (!row || typeof row !== 'object') return row;
  let out: Record<string, unknown> | null = null;
  for (const field of fields) {
    const value = (row as Record<string, unknown>)[field];
    const packed = packId(value);
    if (packed !== value) (out ??= { ...(row as Record<string, unknown>) })[field] = packed;
  }
  return (out ?? row) as T;
}

/** A row as read: its coded fields unpacked in place (rows read from IndexedDB are fresh copies). */
export function unpackRow<T>(row: T, fields: readonly string[]): T {
  if (!row || typeof row !== 'object') return row;
  for (const field of fields) {
    const value = (row as Record<string, unknown>)[field];
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) (row as Record<string, unknown>)[field] = unpackId(value);
  }
  return row;
}

type KeyMap = (key: unknown) => unknown;

/**
 * How an index's keys are packed and unpacked, from its key path: a coded field, or a compound
 * key path with coded parts (Dexie's MIN_KEY and MAX_KEY padding pass as they are). Null: no ids.
 */
function keyCodec(index: DBCoreIndex, fields: readonly string[]): { pack: KeyMap; unpack: KeyMap } | null {
  const path = index.keyPath;
  if (typeof path === 'string') return fields.includes(path) ? { pack: packId, unpack: unpackId } : null;
  if (!Array.isArray(path)) return null;
  const coded = path.map((part) => fields.includes(part));
  if (!coded.some(Boolean)) return null;
  const each = (f: KeyMap) => (key: unknown) => (Array.isArray(key) ? key.map((part, i) => (coded[i] ? f(part) : part)) : key);
  return { pack: each(packId), unpack: each(unpackId) };
}

const packRange = (range: DBCoreKeyRange, pack: KeyMap): DBCoreKeyRange => ({ ...range, lower: pack(range.lower), upper: pack(range.upper) });
const same: KeyMap = (key) => key;

function packedTable(table: DBCoreTable, fields: readonly string[]): DBCoreTable {
  const primary = keyCodec(table.schema.primaryKey, fields) ?? { pack: same, unpack: same };
  const codecs = new Map<string | null, ReturnType<typeof keyCodec>>();
  const codecOf = (index: DBCoreIndex) => {
    if (index.isPrimaryKey) return primary;
    if (!codecs.has(index.name)) codecs.set(index.name, keyCodec(index, fields));
    return codecs.get(index.name) ?? null;
  };
  const unpackRows = <T>(rows: T[]) => rows.map((row) => unpackRow(row, fields));
  const down = <R extends { query: { index: DBCoreIndex; range: DBCoreKeyRange } }>(req: R): R => {
    const codec = codecOf(req.query.index);
    return codec ? { ...req, query: { ...req.query, range: packRange(req.query.range, codec.pack) } } : req;
  };
  const mutateDown = (req: DBCoreMutateRequest): DBCoreMutateRequest => {
    switch (req.type) {
      case 'add':
        return { ...req, values: req.values.map((v) => packRow(v, fields)), keys: req.keys?.map(primary.pack) };
      case 'put':
        return {
          ...req,
          values: req.values.map((v) => packRow(v, fields)),
          keys: req.keys?.map(primary.pack),
          ...(req.updates ? { updates: { ...req.updates, keys: req.updates.keys.map(primary.pack) } } : {})
        };
      case 'delete':
        return { ...req, keys: req.keys.map(primary.pack) };
      case 'deleteRange':
        return { ...req, range: packRange(req.range, primary.pack) };
    }
  };
  return {
    ...table,
    mutate: (req) =>
      table.mutate(mutateDown(req)).then((res) => ({
        ...res,
        lastResult: primary.unpack(res.lastResult),
        ...(res.results ? { results: res.results.map(primary.unpack) } : {})
      })),
    get: (req) => table.get({ ...req, key: primary.pack(req.key) }).then((row) => unpackRow(row, fields)),
    getMany: (req) => table.getMany({ ...req, keys: req.keys.map(primary.pack) }).then(unpackRows),
    count: (req) => table.count(down(req)),
    // Without values the result is primary keys, whatever the index.
    query: (req) => table.query(down(req)).then((res) => ({ ...res, result: req.values ? unpackRows(res.result) : res.result.map(primary.unpack) })),
    openCursor: (req) => {
      const codec = codecOf(req.query.index) ?? { pack: same, unpack: same };
      return table.openCursor(down(req)).then((cursor) => cursor && unpackedCursor(cursor, codec, primary, fields));
    }
  };
}

function unpackedCursor(
  cursor: DBCoreCursor,
  codec: { pack: KeyMap; unpack: KeyMap },
  primary: { pack: KeyMap; unpack: KeyMap },
  fields: readonly string[]
): DBCoreCursor {
  return Object.create(cursor, {
    key: { get: () => codec.unpack(cursor.key) },
    primaryKey: { get: () => primary.unpack(cursor.primaryKey) },
    value: { get: () => unpackRow(cursor.value, fields) },
    continue: { value: (key?: unknown) => (key === undefined ? cursor.continue() : cursor.continue(codec.pack(key))) },
    continuePrimaryKey: { value: (key: unknown, primaryKey: unknown) => cursor.continuePrimaryKey(codec.pack(key), primary.pack(primaryKey)) }
  });
}

/** Below every Dexie middleware (the cache-existing-values one is at -1): only IndexedDB sees packed ids. */
export const compactIds: Middleware<DBCore> = {
  stack: 'dbcore',
  name: 'CompactIds',
  level: -10,
  create: (down) => ({
    ...down,
    table: (name) => {
      const table = down.table(name);
      const fields = PACKED_FIELDS[name];
      return fields ? packedTable(table, fields) : table;
    }
  })
};

/**
 * Packs the rows an older version stored with string ids (a schema upgrade: raw IndexedDB, below
 * the middleware). A row put again under its packed key sorts after the string keys (binary keys
 * sort after strings, in a compound key too), so the walk meets it again and leaves it; a row whose
 * id is no record id keeps its key (its other coded fields are packed).
 */
export function packStoredIds(store: IDBObjectStore, fields: readonly string[]): Promise<void> {
  return rewriteStored(store, (cursor) => {
    const row = cursor.value as Record<string, unknown>;
    const packed = packRow(row, fields);
    if (packed === row) return;
    if (packed[fields[0]] !== row[fields[0]]) {
      cursor.delete();
      store.put(packed);
    } else cursor.update(packed);
  });
}

/** Visits every row of a store in raw IndexedDB (a schema upgrade's rewrite, below the middlewares), in key order. */
export function rewriteStored(store: IDBObjectStore, visit: (cursor: IDBCursorWithValue) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const walk = store.openCursor();
    walk.onerror = () => reject(walk.error);
    walk.onsuccess = () => {
      const cursor = walk.result;
      if (!cursor) return resolve();
      visit(cursor);
      cursor.continue();
    };
  });
}
