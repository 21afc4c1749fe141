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
  records: ['id', 'target']
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

const packRange = (range: DBCoreKeyRange): DBCoreKeyRange => ({ ...range, lower: packId(range.lower), upper: packId(range.upper) });
const mapKeys = <T>(keys: T[] | undefined, f: (key: T) => unknown) => keys?.map(f);

function packedTable(table: DBCoreTable, fields: readonly string[]): DBCoreTable {
  // Indexes whose keys are ids: the primary key and single-field indexes on a coded field.
  const coded = (index: DBCoreIndex) => index.isPrimaryKey || (typeof index.keyPath === 'string' && fields.includes(index.keyPath));
  const unpackRows = <T>(rows: T[]) => rows.map((row) => unpackRow(row, fields));
  const mutateDown = (req: DBCoreMutateRequest): DBCoreMutateRequest => {
    switch (req.type) {
      case 'add':
        return { ...req, values: req.values.map((v) => packRow(v, fields)), keys: mapKeys(req.keys, packId) };
      case 'put':
        return {
          ...req,
          values: req.values.map((v) => packRow(v, fields)),
          keys: mapKeys(req.keys, packId),
          ...(req.updates ? { updates: { ...req.updates, keys: req.updates.keys.map(packId) } } : {})
        };
      case 'delete':
        return { ...req, keys: req.keys.map(packId) };
      case 'deleteRange':
        return { ...req, range: packRange(req.range) };
    }
  };
  return {
    ...table,
    mutate: (req) =>
      table.mutate(mutateDown(req)).then((res) => ({
        ...res,
        lastResult: unpackId(res.lastResult),
        ...(res.results ? { results: res.results.map(unpackId) } : {})
      })),
    get: (req) => table.get({ ...req, key: packId(req.key) }).then((row) => unpackRow(row, fields)),
    getMany: (req) => table.getMany({ ...req, keys: req.keys.map(packId) }).then(unpackRows),
    count: (req) => table.count(coded(req.query.index) ? { ...req, query: { ...req.query, range: packRange(req.query.range) } } : req),
    query: (req) => {
      const down = coded(req.query.index) ? { ...req, query: { ...req.query, range: packRange(req.query.range) } } : req;
      // Without values the result is primary keys, whatever the index.
      return table.query(down).then((res) => ({ ...res, result: req.values ? unpackRows(res.result) : res.result.map(unpackId) }));
    },
    openCursor: (req) => {
      const isCoded = coded(req.query.index);
      const down = isCoded ? { ...req, query: { ...req.query, range: packRange(req.query.range) } } : req;
      return table.openCursor(down).then((cursor) => cursor && unpackedCursor(cursor, isCoded, fields));
    }
  };
}

function unpackedCursor(cursor: DBCoreCursor, codedKey: boolean, fields: readonly string[]): DBCoreCursor {
  return Object.create(cursor, {
    key: { get: () => (codedKey ? unpackId(cursor.key) : cursor.key) },
    primaryKey: { get: () => unpackId(cursor.primaryKey) },
    value: { get: () => unpackRow(cursor.value, fields) },
    continue: { value: (key?: unknown) => (key === undefined ? cursor.continue() : cursor.continue(codedKey ? packId(key) : key)) },
    continuePrimaryKey: { value: (key: unknown, primaryKey: unknown) => cursor.continuePrimaryKey(codedKey ? packId(key) : key, packId(primaryKey)) }
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
 * the middleware). String keys sort before binary ones, so the walk stops at the first packed
 * row; a row whose id is no record id keeps its key (its other coded fields are packed).
 */
export function packStoredIds(store: IDBObjectStore, fields: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const walk = store.openCursor(IDBKeyRange.lowerBound(''));
    walk.onerror = () => reject(walk.error);
    walk.onsuccess = () => {
      const cursor = walk.result;
      if (!cursor || typeof cursor.key !== 'string') return resolve();
      const row = cursor.value as Record<string, unknown>;
      const packed = packRow(row, fields);
      if (packed !== row) {
        if (packed[fields[0]] !== row[fields[0]]) {
          cursor.delete();
          store.put(packed);
        } else cursor.update(packed);
      }
      cursor.continue();
    };
  });
}
