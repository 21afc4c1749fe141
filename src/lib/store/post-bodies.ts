// Thread and reply rows without what their record already holds. A post row copied its record's
// text, author, parent, mentions and attachments (a reply row at 100,000 records: ~735 bytes, of
// which the body alone ~275), so each post's words were on disk twice. Stored rows keep `FROM_RECORD`
// in place of each field the record holds unchanged (domain/posts `slimPost`: an unedited body, a
// live post's attachments, always its author), and this middleware fills them from the `records`
// table on every read, in the same transaction: tables, live queries and every query above see whole
// rows as before, and a reader needs no change.
//
// A transaction over `threads` or `replies` also covers `records` (in IndexedDB only; Dexie above
// sees the scope it asked for). Records are never changed in what a row takes from them (only
// `held`, or a sealed record's plaintext once opened, after which its rows are written again), so
// a live query of posts need not watch them. Rows written before (whole) are read as they are.
//
// Sits above `compactIds` (it reads records by string id) and below Dexie's own middlewares.
import type { DBCore, DBCoreCursor, DBCoreTable, DBCoreTransaction, Middleware } from 'dexie';
import { fillPost, isSlimPost, slimPost, type PostRow } from '../domain/posts';
import type { AnyRecord } from '../domain/record';
import { rewriteStored } from './compact-ids';

/** Tables whose rows leave fields to their record. */
export const POST_TABLES: readonly string[] = ['threads', 'replies'];

/** Fills the slim rows among `rows` from their records (one read for all of them), in place. */
function fillRows(records: DBCoreTable, trans: DBCoreTransaction, rows: unknown[]): Promise<void> {
  const slim = rows.filter(isSlimPost);
  if (!slim.length) return Promise.resolve();
  return records.getMany({ trans, keys: slim.map((row) => row.id) }).then((found: (AnyRecord | undefined)[]) => {
    slim.forEach((row, i) => fillPost(row, found[i]));
  });
}

function filledCursor(cursor: DBCoreCursor, fill: (rows: unknown[]) => Promise<void>): DBCoreCursor {
  let current: unknown;
  return Object.create(cursor, {
    value: { get: () => current },
    start: {
      value: (onNext: () => void) =>
        cursor.start(() => {
          const row = cursor.value;
          if (!isSlimPost(row)) {
            current = row;
            return onNext();
          }
          // The cursor's request waits; the read keeps the transaction alive meanwhile.
          fill([row]).then(
            () => {
              current = row;
              try {
                onNext();
              } catch (error) {
                cursor.fail(error as Error);
              }
            },
            (error) => cursor.fail(error)
          );
        })
    }
  });
}

function postTable(table: DBCoreTable, records: DBCoreTable): DBCoreTable {
  return {
    ...table,
    mutate: (req) => table.mutate(req.type === 'add' || req.type === 'put' ? { ...req, values: req.values.map((v) => slimPost(v as PostRow)) } : req),
    get: (req) => table.get(req).then((row) => fillRows(records, req.trans, [row]).then(() => row)),
    getMany: (req) => table.getMany(req).then((rows) => fillRows(records, req.trans, rows).then(() => rows)),
    query: (req) => table.query(req).then((res) => (req.values ? fillRows(records, req.trans, res.result).then(() => res) : res)),
    openCursor: (req) =>
      table.openCursor(req).then((cursor) => (cursor && req.values ? filledCursor(cursor, (rows) => fillRows(records, req.trans, rows)) : cursor))
  };
}

export const postBodies: Middleware<DBCore> = {
  stack: 'dbcore',
  name: 'PostBodies',
  level: -5,
  create: (down) => {
    const hasRecords = down.schema.tables.some((t) => t.name === 'records');
    return {
      ...down,
      transaction: (stores, mode, options) =>
        down.transaction(
          hasRecords && stores.some((s) => POST_TABLES.includes(s)) && !stores.includes('records') ? [...stores, 'records'] : stores,
          mode,
          options
        ),
      table: (name) => {
        const table = down.table(name);
        return hasRecords && POST_TABLES.includes(name) ? postTable(table, down.table('records')) : table;
      }
    };
  }
};

/** Slims the post rows an older version stored whole (a schema upgrade: raw IndexedDB, below the middleware). */
export function slimStoredPosts(store: IDBObjectStore): Promise<void> {
  return rewriteStored(store, (cursor) => {
    const row = cursor.value as PostRow;
    const slim = slimPost(row);
    if (slim !== row) cursor.update(slim);
  });
}
