// Thread and reply rows without what their record already holds. A post row copied its record's
// text, author, parent, mentions and attachments (a reply row at 100,000 records: ~735 bytes, of
// which the body alone ~275), so each post's words were on disk twice. Stored rows keep `FROM_RECORD`
// in place of each field the record holds unchanged (domain/posts `slimPost`: an unedited body, a
// live post's attachments, always its author), and this middleware fills them from the `records`
// table on every read, in the same transaction: tables, live queries and every query above see whole
// rows as before, and a reader needs no change.
//
// A transaction over `threads` or `replies` also covers `records` (in IndexedDB only; Dexie above
// sees the scope it asked for), except one that only writes rows (`writePostRowsAsStored`). Records are never changed in what a row takes from them (only
// `held`, or a sealed record's plaintext once opened, after which its rows are written again), so
// a live query of posts need not watch them. Rows written before (whole) are read as they are.
//
// Sits above `compactIds` (it reads records by string id) and below Dexie's own middlewares.
import Dexie, { type DBCore, type DBCoreCursor, type DBCoreTable, type DBCoreTransaction, type Middleware, type Table } from 'dexie';
import { Lru } from '../domain/lru';
import { FROM_RECORD, fillPost, isSlimPost, slimPost, type PostRow } from '../domain/posts';
import type { AnyRecord } from '../domain/record';
import { rewriteStored } from './compact-ids';
import { pageHint, pageShardOf } from './record-store';

/** Tables whose rows leave fields to their record. */
export const POST_TABLES: readonly string[] = ['threads', 'replies'];

/**
 * A stored slim row's hint of the page its record is in (the page's `seq` within its kind and month,
 * from the writer's catalogue as the row is written): its fill reads that one page (≤ 32 records)
 * rather than the month's. A month of replies at 10k is ~40 pages, and the search worker's fill of
 * 20 results from 20 months read ~25,000 records a query. Taken off the row before anyone above
 * sees it; a row without one (written before, or with no catalogue built) reads the month.
 */
export const PAGE_HINT = 'pg';

type Hinted = PostRow & { [PAGE_HINT]?: number };

/**
 * Past this many slim rows of one community and kind in one read, their records are read as that
 * kind's range of `[cid+kind]` (one request answered in one batch) when the rows are at least half
 * of it, rather than by key: Dexie's `getMany` is one IndexedDB `get` per key, and the analysis
 * worker's read of the 10k community's 30,758 replies spent most of its ~4–15 s in those gets.
 */
export const RANGE_FILL_AFTER = 2_000;

/**
 * Post records kept after a fill (per database connection, least recently used past this many). A
 * thread's replies are read again whole on every change to the thread: by the projection, which
 * counts the thread's replies after each new one, and by the thread page's live query. Each read
 * filled every row from its record, one IndexedDB `get` each: in the latency bench, with ~175
 * replies, the projection of one reply took ~68 ms and the page's read ~64 ms (19–20 ms each at the
 * thread's start). A thread or reply record never changes under its id (edits and deletions are
 * records of their own; a sealed record, another kind, is stored as its plaintext once opened), so
 * what a fill took from it holds for as long as the row does.
 */
export const KEPT_POST_RECORDS = 5_000;

type Kept = Lru<string, AnyRecord>;

/** Where records are read from: the content pages (store/record-store) and, for rows written before them, `records`. */
interface Sources {
  pages: DBCoreTable;
  records: DBCoreTable;
}

/** Fills the slim rows among `rows` from their records (one read a page group), in place. */
function fillRows(sources: Sources, kept: Kept, trans: DBCoreTransaction, rows: unknown[]): Promise<void> {
  const slim = rows.filter(isSlimPost);
  if (!slim.length) return Promise.resolve();
  const hints = new Map<PostRow, number>();
  for (const row of slim as Hinted[]) {
    if (row[PAGE_HINT] === undefined) continue;
    hints.set(row, row[PAGE_HINT]);
    delete row[PAGE_HINT];
  }
  const unread: PostRow[] = [];
  for (const row of slim) {
    const record = kept.get(row.id);
    if (record) fillPost(row, record, true);
    else unread.push(row);
  }
  if (!unread.length) return Promise.resolve();
  // Many rows of one community and kind: that kind's pages in one read; else the pages of each row's
  // month, or the one page a row's hint names.
  const groups = new Map<string, PostRow[]>();
  for (const row of unread) {
    const hint = hints.get(row);
    const key = JSON.stringify(
      unread.length > RANGE_FILL_AFTER
        ? [row.cid, row.kind]
        : [row.cid, row.kind, pageShardOf({ kind: row.kind, ts: row.createdAt }), ...(typeof hint === 'number' ? [hint] : [])]
    );
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return Promise.all(
    [...groups].map(([key, group]) => {
      const [cid, kind, shard, seq] = JSON.parse(key) as [string, string, string | null | undefined, number | undefined];
      return fillFromPages(sources, kept, trans, group, cid, kind, shard, seq);
    })
  ).then(() => undefined);
}

const RANGE = 2;

/**
 * Rows of one community and kind (and month, if given) filled from those pages; a row whose record
 * is not there (a row older than the pages, or dated apart from its record) from `records` by key,
 * then from every page of its kind. A kept record is never handed out: rows get copies of what they
 * take from it that could be changed in place (a quote, a list; not the whole record, whose
 * structured clone for each of a thread's ~175 rows was most of a page's fill after each new reply),
 * so a reader changing a row's quote or list cannot change what later reads see.
 */
function fillFromPages(
  sources: Sources,
  kept: Kept,
  trans: DBCoreTransaction,
  rows: PostRow[],
  cid: string,
  kind: string,
  shard: string | null | undefined,
  seq?: number
): Promise<void> {
  const read = (lower: unknown[], upper: unknown[]) =>
    sources.pages
      .query({
        trans,
        values: true,
        query: { index: sources.pages.schema.primaryKey, range: { type: RANGE, lower, upper, lowerOpen: false, upperOpen: false } }
      })
      .then(({ result }) => {
        const byId = new Map<string, AnyRecord>();
        for (const page of result as { records: AnyRecord[] }[]) for (const r of page.records) byId.set(r.id, r);
        return byId;
      });
  const readPage = (key: unknown[]) =>
    sources.pages.get({ trans, key }).then((page: { records: AnyRecord[] } | undefined) => new Map((page?.records ?? []).map((r) => [r.id, r])));
  const fillFrom = (byId: Map<string, AnyRecord>, from: PostRow[]) =>
    from.filter((row) => {
      const record = byId.get(row.id);
      if (!record || record.kind !== row.kind) return true;
      kept.set(record.id, structuredClone(record));
      fillPost(row, record);
      return false;
    });
  const month = typeof shard === 'string';
  const wholeKind = () => read([cid, kind, -Infinity, -Infinity], [cid, kind, '\uffff', Infinity]);
  const monthPages = () => read([cid, kind, shard, -Infinity], [cid, kind, shard, Infinity]);
  if (month && seq !== undefined)
    // The hinted page first, by key (a range of one page is a cursor in IndexedDB, a key one lookup);
    // what is not there (moved, or a stale hint) from the month, as without one.
    return readPage([cid, kind, shard, seq]).then((byId) => {
      const rest = fillFrom(byId, rows);
      if (rest.length) return fillFromPages(sources, kept, trans, rest, cid, kind, shard);
    });
  return (month ? monthPages() : wholeKind()).then((byId) => {
    const rest = fillFrom(byId, rows);
    if (!rest.length) return;
    return sources.records.getMany({ trans, keys: rest.map((row) => row.id) }).then((found: (AnyRecord | undefined)[]) => {
      const asRows = new Map<string, AnyRecord>();
      for (const r of found) if (r) asRows.set(r.id, r);
      const left = fillFrom(asRows, rest);
      if (!left.length) return;
      if (!month) for (const row of left) fillPost(row, undefined);
      else
        return wholeKind().then((all) => {
          for (const row of fillFrom(all, left)) fillPost(row, undefined);
        });
    });
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

/** A row as stored: slimmed, with the hint of its record's page where this thread's catalogue knows it. */
function storedRow(dbName: string, row: PostRow): PostRow {
  const slim = slimPost(row);
  if (slim === row || !isSlimPost(slim)) return slim;
  const seq = pageHint(dbName, row.id);
  if (seq !== undefined) (slim as Hinted)[PAGE_HINT] = seq;
  return slim;
}

/** Transactions of `postMeta`, whose reads return rows as stored (no fill). */
const UNFILLED = new WeakSet<object>();

/** What a stored post row holds of its own, whatever it leaves to its record. */
export interface PostMeta extends Pick<PostRow, 'id' | 'cid' | 'kind' | 'thread' | 'createdAt' | 'edits' | 'deleted' | 'hidden' | 'tiers'> {
  /** A thread's title when the row holds it (edited); undefined when it is its record's. Null for a reply. */
  title: string | null | undefined;
}

function metaOf(row: PostRow | undefined): PostMeta | undefined {
  if (!row) return undefined;
  const { id, cid, kind, thread, createdAt, edits, deleted, hidden, tiers } = row;
  const title = kind !== 'thread' ? null : (row.title as unknown) === FROM_RECORD ? undefined : row.title;
  return { id, cid, kind, thread, createdAt, edits, deleted, hidden, tiers: tiers ?? [], title };
}

/**
 * The rows of these ids as far as they hold without their records: whether each is deleted or
 * hidden, its thread and tiers (undefined where there is no row). Reads no page of records: the
 * search checks a result's thread and parent with these, and with whole rows each result of a
 * query read up to three pages of 32 records. Within a transaction already (whose other reads must
 * stay filled), the rows are read filled.
 */
export function postMeta(db: Dexie, table: 'threads' | 'replies', ids: readonly string[]): Promise<(PostMeta | undefined)[]> {
  if (!ids.length) return Promise.resolve([]);
  const read = () => db.table(table).bulkGet([...ids]) as Promise<(PostRow | undefined)[]>;
  if (Dexie.currentTransaction) return read().then((rows) => rows.map(metaOf));
  return db.transaction('r', db.table(table), async (tx) => {
    UNFILLED.add(tx.idbtrans);
    return (await read()).map(metaOf);
  });
}

/**
 * Dexie's promise-specific data (`Dexie.Promise.PSD`, `newPSD`; documented, untyped): a zone whose
 * flag the middleware reads as Dexie creates a transaction in it, so that one transaction can be told
 * apart without a schema table or a second connection.
 */
const zones = Dexie.Promise as unknown as { PSD: Record<string, unknown>; newPSD<T>(fn: () => T, props: Record<string, unknown>): T };
/** The zone flag of `writePostRowsAsStored`. A string key: Dexie copies a zone's own string keys only. */
const AS_STORED = 'hearthPostRowsAsStored';

/**
 * Runs `job` in a readwrite transaction over `tables` whose IndexedDB scope is those tables alone,
 * without the records a fill reads: post rows are written as ever (slimmed, hinted) and read as
 * stored (slim, `PAGE_HINT` kept, not filled). The fill's records in the scope made a readwrite
 * transaction over `replies` hold every reader of `threads` behind it: a rebuild commits the threads
 * and then writes the replies apart so that the feed shows first (a newcomer's 3,201 reply rows of the
 * real community, 0.6–1.9 s traced), and the feed waited for the replies all the same.
 */
export function writePostRowsAsStored<T>(db: Dexie, tables: Table[], job: () => Promise<T>): Promise<T> {
  return zones.newPSD(() => db.transaction('rw', tables, job), { [AS_STORED]: true });
}

/** A post row as stored (`writePostRowsAsStored`' reads) less the hint of its record's page: what the row holds itself. */
export function withoutPageHint(row: PostRow): PostRow {
  if (!row || (row as Hinted)[PAGE_HINT] === undefined) return row;
  const { [PAGE_HINT]: _hint, ...rest } = row as Hinted;
  return rest;
}

function postTable(table: DBCoreTable, sources: Sources, kept: Kept, dbName: string): DBCoreTable {
  const fill = (trans: DBCoreTransaction, rows: unknown[]) => (UNFILLED.has(trans) ? Promise.resolve() : fillRows(sources, kept, trans, rows));
  return {
    ...table,
    mutate: (req) => table.mutate(req.type === 'add' || req.type === 'put' ? { ...req, values: req.values.map((v) => storedRow(dbName, v as PostRow)) } : req),
    get: (req) => table.get(req).then((row) => fill(req.trans, [row]).then(() => row)),
    getMany: (req) => table.getMany(req).then((rows) => fill(req.trans, rows).then(() => rows)),
    query: (req) => table.query(req).then((res) => (req.values ? fill(req.trans, res.result).then(() => res) : res)),
    openCursor: (req) => table.openCursor(req).then((cursor) => (cursor && req.values ? filledCursor(cursor, (rows) => fill(req.trans, rows)) : cursor))
  };
}

export const postBodies: Middleware<DBCore> = {
  stack: 'dbcore',
  name: 'PostBodies',
  level: -5,
  create: (down) => {
    const hasRecords = down.schema.tables.some((t) => t.name === 'records') && down.schema.tables.some((t) => t.name === 'recordPages');
    const kept: Kept = new Lru(KEPT_POST_RECORDS);
    return {
      ...down,
      transaction: (stores, mode, options) => {
        if (zones.PSD[AS_STORED] === true && mode === 'readwrite') {
          const trans = down.transaction(stores, mode, options);
          UNFILLED.add(trans);
          return trans;
        }
        return down.transaction(
          hasRecords && stores.some((s) => POST_TABLES.includes(s)) ? [...new Set([...stores, 'records', 'recordPages'])] : stores,
          mode,
          options
        );
      },
      table: (name) => {
        const table = down.table(name);
        return hasRecords && POST_TABLES.includes(name)
          ? postTable(table, { records: down.table('records'), pages: down.table('recordPages') }, kept, down.schema.name)
          : table;
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
