// Every read and write of a community's stored records, by the shapes its readers need. The one
// place that knows how records sit on disk: today one IndexedDB row each in `records`, with the
// indexes `[cid+kind]`, `target`, `[held+cid]` and `[cid+author+ts]` (store/db); next, content
// records packed by month (docs/shards.md, "Storage: months packed, not rows"). No other module
// touches the table (record-store.test.ts scans the sources), so that change is made here alone.
//
// What a reader needs decides the shape, not how the table happens to answer it: `targeting` is
// "the records that point at this one" whether it comes from an index, a projection or a page.
import Dexie, { type Table } from 'dexie';
import type { AnyRecord, Kind } from '../domain/record';
import type { HearthDb, StoredRecord } from './db';

/** A stored record of one kind, with the fields the store adds (`target`, `held`, `sealedAs`). */
export type StoredOf<K extends Kind> = Extract<AnyRecord, { kind: K }> & Omit<StoredRecord, keyof AnyRecord>;

/** The table, only for naming it in a transaction's scope beside the projections' tables. */
export function recordTable(db: HearthDb): Table<StoredRecord, string> {
  return db.records;
}

// ---- by id ----

/** One record by id (the genesis is stored under the community's id). */
export function recordById(db: HearthDb, id: string): Promise<StoredRecord | undefined> {
  return db.records.get(id);
}

/** Records by id, in the order asked, `undefined` where none is stored. */
export function recordsById(db: HearthDb, ids: readonly string[]): Promise<(StoredRecord | undefined)[]> {
  return db.records.bulkGet([...ids]);
}

/** The stored ones among these ids, in the order asked. */
export async function foundRecords(db: HearthDb, ids: readonly string[]): Promise<StoredRecord[]> {
  return (await recordsById(db, ids)).filter((r): r is StoredRecord => r !== undefined);
}

// ---- a whole community ----

/**
 * Every record of the community but its genesis (stored under the community's id with an empty
 * `cid`, so not in the `cid` range: read it with `recordById(db, cid)`).
 */
export function communityRecords(db: HearthDb, cid: string): Promise<StoredRecord[]> {
  return db.records.where('cid').equals(cid).toArray();
}

/** Ids of every record of the community but its genesis. */
export async function communityRecordIds(db: HearthDb, cid: string): Promise<string[]> {
  return (await db.records.where('cid').equals(cid).primaryKeys()) as string[];
}

/** How many records of the community are stored, its genesis not counted. */
export function countRecords(db: HearthDb, cid: string): Promise<number> {
  return db.records.where('cid').equals(cid).count();
}

/** Whether any record of the community but its genesis is stored. */
export async function hasRecords(db: HearthDb, cid: string): Promise<boolean> {
  return (await db.records.where('cid').equals(cid).limit(1).primaryKeys()).length > 0;
}

/** How many records the receiving quota holds back (domain/quota). */
export function countHeld(db: HearthDb, cid: string): Promise<number> {
  return db.records.where('[held+cid]').equals([1, cid]).count();
}

// ---- by kind ----

/** The community's records of one kind, in id order; `keep` filters them as they are read. */
export function recordsOfKind<K extends Kind>(db: HearthDb, cid: string, kind: K, keep?: (r: StoredOf<K>) => boolean): Promise<StoredOf<K>[]> {
  const range = db.records.where('[cid+kind]').equals([cid, kind]);
  return (keep ? range.filter((r) => keep(r as StoredOf<K>)) : range).toArray() as unknown as Promise<StoredOf<K>[]>;
}

/**
 * The community's records of the given kinds, in index order (kind, then id). Read as one key
 * range per kind: Dexie answers `anyOf` on a compound index with a cursor, one step per record,
 * which for 55,000 reactions and joins took 13–20 s in Chromium's IndexedDB, where a range read
 * returns them in one batch.
 */
export async function recordsOfKinds(db: HearthDb, cid: string, kinds: readonly Kind[]): Promise<StoredRecord[]> {
  const parts = await Promise.all([...new Set(kinds)].sort().map((kind) => recordsOfKind(db, cid, kind)));
  return parts.flat();
}

/** How many records of one kind the community has; `keep` counts only those it accepts. */
export function countOfKind<K extends Kind>(db: HearthDb, cid: string, kind: K, keep?: (r: StoredOf<K>) => boolean): Promise<number> {
  const range = db.records.where('[cid+kind]').equals([cid, kind]);
  return (keep ? range.filter((r) => keep(r as StoredOf<K>)) : range).count();
}

// ---- by target (the record a reply, reaction, edit, vote or answer points at) ----

/** The records pointing at this one. */
export function recordsTargeting(db: HearthDb, target: string): Promise<StoredRecord[]> {
  return db.records.where('target').equals(target).toArray();
}

/** Ids of the records pointing at this one. */
export async function idsTargeting(db: HearthDb, target: string): Promise<string[]> {
  return (await db.records.where('target').equals(target).primaryKeys()) as string[];
}

/** The records pointing at any of these, at most `limit`. */
export function recordsTargetingAny(db: HearthDb, targets: readonly string[], limit = Infinity): Promise<StoredRecord[]> {
  const range = db.records.where('target').anyOf([...targets]);
  return (Number.isFinite(limit) ? range.limit(limit) : range).toArray();
}

// ---- by author ----

/** Every record of one member in the community. */
export function recordsByAuthor(db: HearthDb, cid: string, author: string, keep?: (r: StoredRecord) => boolean): Promise<StoredRecord[]> {
  const range = db.records.where('[cid+author]').equals([cid, author]);
  return (keep ? range.filter(keep) : range).toArray();
}

/** Every record of these members in the community. */
export function recordsByAuthors(db: HearthDb, cid: string, authors: readonly string[]): Promise<StoredRecord[]> {
  return db.records
    .where('[cid+author]')
    .anyOf(authors.map((a) => [cid, a]))
    .toArray();
}

/** One member's records dated in [from, to) (or as `bounds` says), oldest first, at most `limit`. */
export function recordsByAuthorBetween(
  db: HearthDb,
  cid: string,
  author: string,
  from: number,
  to: number,
  { includeFrom = true, includeTo = false, limit = Infinity }: { includeFrom?: boolean; includeTo?: boolean; limit?: number } = {}
): Promise<StoredRecord[]> {
  const range = db.records.where('[cid+author+ts]').between([cid, author, from], [cid, author, to], includeFrom, includeTo);
  return (Number.isFinite(limit) ? range.limit(limit) : range).toArray();
}

/**
 * One member's newest record by (ts, id): the last entry of `[cid+author+ts]`, where equal keys sort
 * by primary key, so this is `compareRecords`' newest.
 */
export function newestByAuthor(db: HearthDb, cid: string, author: string): Promise<StoredRecord | undefined> {
  return db.records.where('[cid+author+ts]').between([cid, author, Dexie.minKey], [cid, author, Dexie.maxKey]).last();
}

/** Records of these members dated exactly at these times (one read for many `[author, ts]` pairs). */
export function recordsByAuthorAt(db: HearthDb, cid: string, at: readonly (readonly [author: string, ts: number])[]): Promise<StoredRecord[]> {
  return db.records
    .where('[cid+author+ts]')
    .anyOf(at.map(([author, ts]) => [cid, author, ts]))
    .toArray();
}

// ---- writes ----

/** Stores these rows (new or replacing the stored row of the same id). */
export async function putRecords(db: HearthDb, rows: readonly StoredRecord[]): Promise<void> {
  if (rows.length) await db.records.bulkPut([...rows]);
}
