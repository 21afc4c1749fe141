// Every read and write of a community's stored records, by the shapes its readers need. The one
// place that knows how records sit on disk (no other module touches the tables: record-store.test.ts
// scans the sources):
// - core kinds (domain/shards `SHARD_CORE_KINDS`: genesis, invites, joins, grants, bans, keys,
//   settings, tiers, profiles, tombstones, hides, pins, slow modes, checkpoints) are one row each in
//   `records`, with the indexes authority, keys and the gate read them by;
// - content records (posts, replies, reactions, edits, votes, answers, notes, surveys, events, …)
//   are packed in `recordPages`, up to `PAGE_RECORDS` of one kind and one UTC month to a row
//   (docs/shards.md, "Storage: months packed, not rows"): an IndexedDB row costs ~130–170 µs to put in
//   Chromium here whatever its size, so 100,000 records as rows took 17–25 s, as pages about 1 s;
// - `recordStamps` keeps per community a version bumped by every content write and the counts of
//   content records by kind and held back, so counts and "did anything change" are one row.
//
// Content records are found by id, target or author through a catalogue held in memory per
// database connection (`Catalogue`): built by reading every page once, then kept current by this
// connection's own writes, and by reading the pages written since (`[cid+v]`) when another
// connection's write moved the stamp. Reading by kind or reading everything needs no catalogue.
import Dexie, { type Table } from 'dexie';
import { SHARD_CORE_KINDS, shardOfEntry } from '../domain/shards';
import type { AnyRecord, Kind } from '../domain/record';
import type { HearthDb, RecordPageRow, RecordStampRow, StoredRecord } from './db';

/** A stored record of one kind, with the fields the store adds (`target`, `held`, `sealedAs`). */
export type StoredOf<K extends Kind> = Extract<AnyRecord, { kind: K }> & Omit<StoredRecord, keyof AnyRecord>;

/**
 * Records of one kind and month to a page; the month's last page is the one appended to. A write
 * puts its page whole, so the page's size is what each new record costs: with 256 to a page (a
 * thread's replies of one month, ~100 KB, over Chromium's 64 KB limit for values kept inline) the
 * latency bench's p50 was 118–123 ms and its last 50 replies' median 136–140 ms; with 32, 96 and 118
 * (one row per record: ~95 and 120). The 10k import puts ~3,200 pages instead of ~630 and still
 * took less time (40.3 s against 45–57 s); storage 72.9 MB against 68.7 MB.
 */
export const PAGE_RECORDS = 32;

/** Decoded pages kept per connection (least recently used past this many): ~32,000 records. */
const KEPT_PAGES = 1_024;

/** The month a content record is paged under, or null for a row of `records` (core kinds, and anything without a month). */
export function pageShardOf(r: Pick<AnyRecord, 'kind' | 'ts'>): string | null {
  const shard = shardOfEntry(r.kind, r.ts);
  return shard === null || shard === 'core' ? null : shard;
}

/** The tables records are kept in, for a transaction's scope beside the projections' tables. */
export function recordTables(db: HearthDb): Table[] {
  return [db.records, db.recordPages, db.recordStamps, db.recordCounts];
}

// ---- the catalogue ----

type PageKey = [cid: string, kind: string, shard: string, seq: number];

interface Entry {
  cid: string;
  kind: string;
  shard: string;
  seq: number;
  author: string;
  ts: number;
  target: string | undefined;
  held: boolean;
}

interface Catalogue {
  /** Stamp version per community this catalogue holds. */
  versions: Map<string, number>;
  entries: Map<string, Entry>;
  byTarget: Map<string, Set<string>>;
  byAuthor: Map<string, Set<string>>;
  /** Per community, kind and month: the last page's seq and how many records it holds. */
  tails: Map<string, { seq: number; n: number }>;
  /** The ids each page holds, by page id: a page written again is catalogued again whole. */
  pages: Map<string, Set<string>>;
}

const catalogues = new WeakMap<HearthDb, Promise<Catalogue>>();
/** The last catalogue built, by database name: where a record is, for `pageHint`. */
const builtByName = new Map<string, Catalogue>();

/**
 * Which page of its kind and month holds the record, as far as this thread's last catalogue of the
 * database knows (no read; undefined if none is built). A hint: a reader that does not find the
 * record there reads the month (store/post-bodies keeps it in each post row as it is written).
 */
export function pageHint(dbName: string, id: string): number | undefined {
  return builtByName.get(dbName)?.entries.get(id)?.seq;
}
const keptPages = new WeakMap<HearthDb, Map<string, StoredRecord[]>>();

/** The page an entry's record is in. */
const entryPage = (e: Pick<Entry, 'cid' | 'kind' | 'shard' | 'seq'>): PageKey => [e.cid, e.kind, e.shard, e.seq];
const tailKey = (cid: string, kind: string, shard: string) => `${cid}\u0000${kind}\u0000${shard}`;
const pageId = (key: PageKey) => key.join('\u0000');

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (set) set.add(id);
  else index.set(key, new Set([id]));
}

function removeFrom(index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (!set.size) index.delete(key);
}

function catalogue(cat: Catalogue, row: Pick<RecordPageRow, 'cid' | 'kind' | 'shard' | 'seq'>, r: StoredRecord): void {
  const entry: Entry = { cid: row.cid, kind: row.kind, shard: row.shard, seq: row.seq, author: r.author, ts: r.ts, target: r.target, held: r.held === 1 };
  cat.entries.set(r.id, entry);
  if (entry.target !== undefined) addTo(cat.byTarget, entry.target, r.id);
  addTo(cat.byAuthor, `${entry.cid}\u0000${entry.author}`, r.id);
  addTo(cat.pages, pageId(entryPage(row)), r.id);
}

function uncatalogue(cat: Catalogue, id: string): void {
  const entry = cat.entries.get(id);
  if (!entry) return;
  cat.entries.delete(id);
  removeFrom(cat.byTarget, entry.target, id);
  removeFrom(cat.byAuthor, `${entry.cid}\u0000${entry.author}`, id);
  removeFrom(cat.pages, pageId(entryPage(entry)), id);
}

/** Catalogues a page as stored now: what it held before is forgotten first. */
function cataloguePage(cat: Catalogue, row: RecordPageRow): void {
  const id = pageId(entryPage(row));
  for (const old of [...(cat.pages.get(id) ?? [])]) uncatalogue(cat, old);
  for (const r of row.records) {
    // A record moved here from another page (its kind changed) leaves that page's entry behind.
    if (cat.entries.has(r.id)) uncatalogue(cat, r.id);
    catalogue(cat, row, r);
  }
  const key = tailKey(row.cid, row.kind, row.shard);
  const tail = cat.tails.get(key);
  if (!tail || tail.seq <= row.seq) cat.tails.set(key, { seq: row.seq, n: row.records.length });
}

async function stampVersions(db: HearthDb): Promise<Map<string, number>> {
  return new Map((await db.recordStamps.toArray()).map((s) => [s.cid, s.v]));
}

function sameVersions(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [cid, v] of a) if (b.get(cid) !== v) return false;
  return true;
}

/**
 * This connection's catalogue, brought up to date with the stamps: per community whose stamp moved
 * since, only the pages written since (each page row carries the stamp version of its last write, and
 * `[cid+v]` finds them), so a page or the analysis worker reading after each of the writer's writes
 * reads a page or two, not every page again. The writer's own writes keep it current as they go.
 */
async function catalogueOf(db: HearthDb): Promise<Catalogue> {
  const current = catalogues.get(db);
  const cat = (current && (await current.catch(() => null))) ?? null;
  const versions = await stampVersions(db);
  if (cat && sameVersions(cat.versions, versions)) return cat;
  const refresh = refreshCatalogue(db, cat, versions);
  catalogues.set(db, refresh);
  refresh.then(
    (built) => builtByName.set(db.name, built),
    () => catalogues.delete(db)
  );
  return refresh;
}

async function refreshCatalogue(db: HearthDb, given: Catalogue | null, versions: Map<string, number>): Promise<Catalogue> {
  // A community gone from the stamps (never, short of a deleted database) is caught by building anew.
  const stale = given && [...given.versions.keys()].some((cid) => !versions.has(cid));
  const cat: Catalogue =
    given && !stale ? given : { versions: new Map(), entries: new Map(), byTarget: new Map(), byAuthor: new Map(), tails: new Map(), pages: new Map() };
  if (cat !== given) pagesOf(db).clear();
  const kept = pagesOf(db);
  for (const [cid, v] of versions) {
    const known = cat.versions.get(cid) ?? 0;
    if (known === v) continue;
    const rows = await db.recordPages.where('[cid+v]').between([cid, known], [cid, Infinity], false, true).toArray();
    for (const row of rows) {
      cataloguePage(cat, row);
      kept.delete(pageId(entryPage(row)));
    }
    cat.versions.set(cid, v);
  }
  return cat;
}

function pagesOf(db: HearthDb): Map<string, StoredRecord[]> {
  let kept = keptPages.get(db);
  if (!kept) keptPages.set(db, (kept = new Map()));
  return kept;
}

/** The records of these pages (from those kept, else one read), by page id. */
async function readPages(db: HearthDb, keys: PageKey[]): Promise<Map<string, StoredRecord[]>> {
  const kept = pagesOf(db);
  const out = new Map<string, StoredRecord[]>();
  // Each page once: callers pass a page per record they want (a month's 27 records are a few pages),
  // and a page asked for twice in one bulkGet is read and decoded twice (the real community's holder
  // read 3,615 pages of its 321 to answer a newcomer's 143 months).
  const missing = new Map<string, PageKey>();
  for (const key of keys) {
    const id = pageId(key);
    if (out.has(id) || missing.has(id)) continue;
    const records = kept.get(id);
    if (records) {
      keep(kept, id, records);
      out.set(id, records);
    } else missing.set(id, key);
  }
  if (missing.size) {
    const asked = [...missing];
    const rows = await db.recordPages.bulkGet(asked.map(([, key]) => key));
    asked.forEach(([id], i) => {
      const records = rows[i]?.records ?? [];
      out.set(id, records);
      keep(kept, id, records);
    });
  }
  return out;
}

function keep(kept: Map<string, StoredRecord[]>, id: string, records: StoredRecord[]): void {
  kept.delete(id);
  kept.set(id, records);
  while (kept.size > KEPT_PAGES) kept.delete(kept.keys().next().value as string);
}

/** Content records by id (catalogued), in the order asked; ids not catalogued are left out. */
async function contentRecords(db: HearthDb, cat: Catalogue, ids: Iterable<string>): Promise<Map<string, StoredRecord>> {
  const wanted = new Map<string, Entry>();
  for (const id of ids) {
    const entry = cat.entries.get(id);
    if (entry) wanted.set(id, entry);
  }
  const keys = [...wanted.values()].map(entryPage);
  const pages = await readPages(db, keys);
  const out = new Map<string, StoredRecord>();
  const byPage = new Map<string, Set<string>>();
  for (const [id, e] of wanted) addTo(byPage, pageId(entryPage(e)), id);
  // Copies: a reader may change a row's fields (the quota sets and clears `held`), the kept page must not change with it.
  for (const [page, set] of byPage) for (const r of pages.get(page) ?? []) if (set.has(r.id)) out.set(r.id, { ...r });
  return out;
}

// ---- by id ----

/** One record by id (the genesis is stored under the community's id). */
export async function recordById(db: HearthDb, id: string): Promise<StoredRecord | undefined> {
  return (await recordsById(db, [id]))[0];
}

/**
 * Records by id, in the order asked, `undefined` where none is stored. `paged(id)`, when given, says
 * the record under an id can only be in a page (the caller knows its kind and time: a record's id is
 * the hash of its content, so what is stored under it has the same ones): those ids are not looked up
 * among the rows. Checking a month's records (a newcomer's 143 months) and answering a month from
 * what is stored looked up every id among the rows first, a request per batch that never found one.
 */
export async function recordsById(db: HearthDb, ids: readonly string[], paged?: (id: string) => boolean): Promise<(StoredRecord | undefined)[]> {
  if (!ids.length) return [];
  if (paged) {
    const asRows: string[] = [];
    const asPages: string[] = [];
    for (const id of ids) (paged(id) ? asPages : asRows).push(id);
    const found = new Map<string, StoredRecord>();
    for (const [i, row] of (await recordsById(db, asRows)).entries()) if (row) found.set(asRows[i], row);
    if (asPages.length) for (const [id, r] of await contentRecords(db, await catalogueOf(db), asPages)) found.set(id, r);
    return ids.map((id) => found.get(id));
  }
  // Found as rows (core kinds): no catalogue needed, so a page reading a genesis builds none.
  const rows = await db.records.bulkGet([...ids]);
  const missing = ids.filter((_, i) => !rows[i]);
  if (!missing.length) return rows;
  const content = await contentRecords(db, await catalogueOf(db), missing);
  return ids.map((id, i) => rows[i] ?? content.get(id));
}

// ---- a whole community ----

/** Every page of a community (or of one kind of it): kinds and months are ASCII, seqs numbers. */
const pageRange = (cid: string, kind?: string): [unknown[], unknown[]] =>
  kind === undefined
    ? [
        [cid, -Infinity, -Infinity, -Infinity],
        [cid, '\uffff', '\uffff', Infinity]
      ]
    : [
        [cid, kind, -Infinity, -Infinity],
        [cid, kind, '\uffff', Infinity]
      ];

async function pagedRecords(db: HearthDb, cid: string, kind?: string): Promise<StoredRecord[]> {
  const [lower, upper] = pageRange(cid, kind);
  const rows = await db.recordPages.where('[cid+kind+shard+seq]').between(lower, upper, true, true).toArray();
  return rows.flatMap((row) => row.records);
}

const byKindThenId = (a: StoredRecord, b: StoredRecord) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Every record of the community but its genesis (stored under the community's id with an empty
 * `cid`: read it with `recordById(db, cid)`), by kind, then id.
 */
export async function communityRecords(db: HearthDb, cid: string): Promise<StoredRecord[]> {
  const [rows, paged] = await Promise.all([db.records.where('cid').equals(cid).toArray(), pagedRecords(db, cid)]);
  return paged.length ? [...rows, ...paged].sort(byKindThenId) : rows;
}

/** Ids of every record of the community but its genesis. */
export async function communityRecordIds(db: HearthDb, cid: string): Promise<string[]> {
  const [rows, cat] = await Promise.all([db.records.where('cid').equals(cid).primaryKeys() as Promise<string[]>, catalogueOf(db)]);
  const out = [...rows];
  for (const [id, e] of cat.entries) if (e.cid === cid) out.push(id);
  return out;
}

/**
 * Ids of the records of one shard of the community (docs/shards.md): the core's rows, its genesis
 * included, or one month's content records (from the catalogue).
 */
export async function shardRecordIds(db: HearthDb, cid: string, shard: string): Promise<string[]> {
  if (shard === 'core') {
    const [rows, genesis] = await Promise.all([db.records.where('cid').equals(cid).primaryKeys() as Promise<string[]>, db.records.get(cid)]);
    return genesis ? [genesis.id, ...rows] : rows;
  }
  const cat = await catalogueOf(db);
  const out: string[] = [];
  // By page (a month's pages name it), not by record: each month's document asks this as it opens,
  // and a scan of every entry was 100,000 per month at 10k (42 s of a reopen held in 162 months).
  for (const [page, ids] of cat.pages) {
    const [pageCid, , pageShard] = page.split('\u0000');
    if (pageCid === cid && pageShard === shard) out.push(...ids);
  }
  return out;
}

/**
 * Which shard holds each of these records of the community (docs/shards.md, LOCATE `id`): `core` for
 * a core row (its genesis included), a content record's month from the catalogue; no page is read.
 * Ids not stored are left out.
 */
export async function shardsOfIds(db: HearthDb, cid: string, ids: readonly string[]): Promise<[id: string, shard: string][]> {
  if (!ids.length) return [];
  const [rows, cat] = await Promise.all([db.records.bulkGet([...ids]), catalogueOf(db)]);
  const out: [string, string][] = [];
  ids.forEach((id, i) => {
    const row = rows[i];
    if (row && (row.cid === cid || (row.kind === 'genesis' && row.id === cid))) return void out.push([id, 'core']);
    const entry = cat.entries.get(id);
    if (entry && entry.cid === cid) out.push([id, entry.shard]);
  });
  return out;
}

/**
 * The months of the content records pointing at these ids, and of those pointing at them in turn,
 * `depth` steps down (LOCATE `target`: a thread's replies, then its replies' reactions and edits), as
 * `[asked id, month]` pairs, each pair once. From the catalogue, no page read; core records pointing at
 * them (tombstones, hides, pins) are left out: every device holds the core.
 */
export async function shardsTargeting(db: HearthDb, cid: string, ids: readonly string[], depth = 2): Promise<[id: string, shard: string][]> {
  const cat = await catalogueOf(db);
  const out = new Map<string, [string, string]>();
  for (const root of ids) {
    let level = [root];
    const seen = new Set(level);
    for (let d = 0; d < depth && level.length; d++) {
      const next: string[] = [];
      for (const target of level)
        for (const id of cat.byTarget.get(target) ?? []) {
          const entry = cat.entries.get(id);
          if (!entry || entry.cid !== cid || seen.has(id)) continue;
          seen.add(id);
          next.push(id);
          out.set(`${root}\u0000${entry.shard}`, [root, entry.shard]);
        }
      level = next;
    }
  }
  return [...out.values()];
}

/** The records of one shard of the community: the core's rows with its genesis, or one month's pages. */
export async function shardRecords(db: HearthDb, cid: string, shard: string): Promise<StoredRecord[]> {
  if (shard === 'core') {
    const [rows, genesis] = await Promise.all([db.records.where('cid').equals(cid).toArray(), db.records.get(cid)]);
    return genesis ? [genesis, ...rows] : rows;
  }
  const cat = await catalogueOf(db);
  const keys = new Map<string, PageKey>();
  for (const e of cat.entries.values()) if (e.cid === cid && e.shard === shard) keys.set(pageId(entryPage(e)), entryPage(e));
  const pages = await readPages(db, [...keys.values()]);
  return [...pages.values()].flat();
}

/** How many of these records of the community (its genesis among them or not) are stored. */
export async function countStoredOf(db: HearthDb, cid: string, records: readonly { id: string }[]): Promise<number> {
  const stored = await storedIdsOf(db, cid);
  let n = 0;
  for (const r of records) if (stored.has(r.id)) n++;
  return n;
}

/** Ids of every record of the community stored on the device, its genesis included. */
export async function storedIdsOf(db: HearthDb, cid: string): Promise<Set<string>> {
  const [ids, genesis] = await Promise.all([communityRecordIds(db, cid), db.records.get(cid)]);
  const stored = new Set(ids);
  // The genesis is stored without a `cid`: outside that range.
  if (genesis) stored.add(genesis.id);
  return stored;
}

/** How many records of the community are stored, its genesis not counted. */
export async function countRecords(db: HearthDb, cid: string): Promise<number> {
  const [rows, stamp] = await Promise.all([db.records.where('cid').equals(cid).count(), db.recordStamps.get(cid)]);
  return rows + (stamp ? Object.values(stamp.counts).reduce((a, b) => a + b, 0) : 0);
}

/** Whether any record of the community but its genesis is stored (reads what any write changes, for live queries). */
export async function hasRecords(db: HearthDb, cid: string): Promise<boolean> {
  const [rows, stamp] = await Promise.all([db.records.where('cid').equals(cid).limit(1).primaryKeys(), db.recordStamps.get(cid)]);
  return rows.length > 0 || (stamp !== undefined && Object.values(stamp.counts).some((n) => n > 0));
}

/**
 * For a live query to await: reads what a write of these records changes (the core rows pointing at
 * `target`, the rows of core `kinds`, the count row of content `kinds`), so the query runs again when
 * one of them is stored, not on every record as one awaiting `hasRecords` does. Records of other kinds
 * pointing at `target` are not watched: content pointing at a thread is its replies and reactions.
 */
export async function recordsChangedOf(db: HearthDb, cid: string, { target, kinds = [] }: { target?: string; kinds?: readonly Kind[] }): Promise<void> {
  await Promise.all([
    // One key of each range: Dexie's live query watches the whole range a limited read asks for
    // (tested), and a count of an index range runs again on a row of any kind.
    target === undefined ? null : db.records.where('target').equals(target).limit(1).primaryKeys(),
    ...kinds.map((kind) =>
      SHARD_CORE_KINDS.has(kind) ? db.records.where('[cid+kind]').equals([cid, kind]).limit(1).primaryKeys() : db.recordCounts.get([cid, kind])
    )
  ]);
}

/** How many records the receiving quota holds back (domain/quota). */
export async function countHeld(db: HearthDb, cid: string): Promise<number> {
  const [rows, stamp] = await Promise.all([db.records.where('[held+cid]').equals([1, cid]).count(), db.recordStamps.get(cid)]);
  return rows + (stamp?.held ?? 0);
}

// ---- by kind ----

/** The community's records of one kind, in id order; `keep` filters them as they are read. */
export async function recordsOfKind<K extends Kind>(db: HearthDb, cid: string, kind: K, keep?: (r: StoredOf<K>) => boolean): Promise<StoredOf<K>[]> {
  const [rows, paged] = await Promise.all([
    db.records.where('[cid+kind]').equals([cid, kind]).toArray() as unknown as Promise<StoredOf<K>[]>,
    pagedRecords(db, cid, kind) as unknown as Promise<StoredOf<K>[]>
  ]);
  const all = paged.length ? [...rows, ...paged].sort(byKindThenId) : rows;
  return keep ? all.filter(keep) : all;
}

/** The community's records of the given kinds, in kind order, then id. */
export async function recordsOfKinds(db: HearthDb, cid: string, kinds: readonly Kind[]): Promise<StoredRecord[]> {
  const parts = await Promise.all([...new Set(kinds)].sort().map((kind) => recordsOfKind(db, cid, kind)));
  return parts.flat();
}

/** How many records of one kind the community has; `keep` counts only those it accepts. */
export async function countOfKind<K extends Kind>(db: HearthDb, cid: string, kind: K, keep?: (r: StoredOf<K>) => boolean): Promise<number> {
  if (keep) return (await recordsOfKind(db, cid, kind, keep)).length;
  // A core kind is only rows; a content kind's count is its own row, so a live count of events
  // runs again when events are written, not at every reply (though Dexie runs a live count of an
  // index range again on a row of any kind: `recordsChangedOf` is the narrow watch).
  if (pageShardOf({ kind, ts: 0 }) === null) return db.records.where('[cid+kind]').equals([cid, kind]).count();
  const [rows, counted] = await Promise.all([db.records.where('[cid+kind]').equals([cid, kind]).count(), db.recordCounts.get([cid, kind])]);
  return rows + (counted?.n ?? 0);
}

/** The count rows of the kinds whose counts these writes changed. */
function changedCounts(before: Map<string, Record<string, number>>, stamps: Iterable<RecordStampRow>): { cid: string; kind: string; n: number }[] {
  const out: { cid: string; kind: string; n: number }[] = [];
  for (const stamp of stamps)
    for (const [kind, n] of Object.entries(stamp.counts)) if (before.get(stamp.cid)?.[kind] !== n) out.push({ cid: stamp.cid, kind, n });
  return out;
}

// ---- by target (the record a reply, reaction, edit, vote or answer points at) ----

/** The records pointing at this one. */
export async function recordsTargeting(db: HearthDb, target: string): Promise<StoredRecord[]> {
  return recordsTargetingAny(db, [target]);
}

/**
 * The records of these kinds pointing at this one. Core kinds are rows of `records` found by the
 * target index, with no page read; content kinds come through the catalogue, and only their pages
 * are read. A thread's slow mode (a core kind) read beside every record of the thread had the posting
 * check of each reply read the whole thread's pages.
 */
export async function recordsOfKindsTargeting<K extends Kind>(db: HearthDb, target: string, kinds: readonly K[]): Promise<StoredOf<K>[]> {
  const wanted = new Set<string>(kinds);
  const rows = (await db.records.where('target').equals(target).toArray()).filter((r) => wanted.has(r.kind));
  if (kinds.every((k) => SHARD_CORE_KINDS.has(k))) return rows as StoredOf<K>[];
  const cat = await catalogueOf(db);
  const ids = [...(cat.byTarget.get(target) ?? [])].filter((id) => wanted.has(cat.entries.get(id)?.kind ?? ''));
  return [...rows, ...(await contentRecords(db, cat, ids)).values()] as StoredOf<K>[];
}

/** Ids of the records pointing at this one. */
export async function idsTargeting(db: HearthDb, target: string): Promise<string[]> {
  const [rows, cat] = await Promise.all([db.records.where('target').equals(target).primaryKeys() as Promise<string[]>, catalogueOf(db)]);
  return [...rows, ...(cat.byTarget.get(target) ?? [])];
}

/** The records pointing at any of these, at most `limit`. */
export async function recordsTargetingAny(db: HearthDb, targets: readonly string[], limit = Infinity): Promise<StoredRecord[]> {
  const range = db.records.where('target').anyOf([...targets]);
  const [rows, cat] = await Promise.all([(Number.isFinite(limit) ? range.limit(limit) : range).toArray(), catalogueOf(db)]);
  if (rows.length >= limit) return rows;
  const ids = new Set<string>();
  for (const target of targets) for (const id of cat.byTarget.get(target) ?? []) ids.add(id);
  const content = [...(await contentRecords(db, cat, ids)).values()];
  return [...rows, ...content].slice(0, limit);
}

/**
 * The core rows under any of these keys of one of the records table's compound indexes, each key
 * once, in the order given. One request per key, all in one transaction: Dexie's `anyOf` walks a
 * cursor from key to key, one round trip after another, and in Chromium here 600 keys of the
 * 20,000 core rows at 10,000 members took ~460 ms that way against ~40 ms as requests sent together.
 */
async function rowsAtKeys(db: HearthDb, index: '[cid+author]' | '[cid+author+ts]', keys: readonly (readonly (string | number)[])[]): Promise<StoredRecord[]> {
  const unique = [...new Map(keys.map((key) => [JSON.stringify(key), key])).values()];
  if (!unique.length) return [];
  // A row has one key in the index: with each key asked once, no row comes twice.
  return (await db.transaction('r', db.records, () => Promise.all(unique.map((key) => db.records.where(index).equals(key).toArray())))).flat();
}

// ---- by author ----

async function contentByAuthor(db: HearthDb, cat: Catalogue, cid: string, author: string, keep?: (e: Entry) => boolean): Promise<StoredRecord[]> {
  const ids = [...(cat.byAuthor.get(`${cid}\u0000${author}`) ?? [])].filter((id) => !keep || keep(cat.entries.get(id)!));
  return [...(await contentRecords(db, cat, ids)).values()];
}

const byTsThenId = (a: StoredRecord, b: StoredRecord) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Every record of one member in the community. */
export async function recordsByAuthor(db: HearthDb, cid: string, author: string, keep?: (r: StoredRecord) => boolean): Promise<StoredRecord[]> {
  const [rows, cat] = await Promise.all([db.records.where('[cid+author]').equals([cid, author]).toArray(), catalogueOf(db)]);
  const all = [...rows, ...(await contentByAuthor(db, cat, cid, author))];
  return keep ? all.filter(keep) : all;
}

/** Every record of these members in the community. */
export async function recordsByAuthors(db: HearthDb, cid: string, authors: readonly string[]): Promise<StoredRecord[]> {
  const [rows, cat] = await Promise.all([
    rowsAtKeys(
      db,
      '[cid+author]',
      authors.map((a) => [cid, a])
    ),
    catalogueOf(db)
  ]);
  const ids = authors.flatMap((a) => [...(cat.byAuthor.get(`${cid}\u0000${a}`) ?? [])]);
  return [...rows, ...(await contentRecords(db, cat, ids)).values()];
}

/**
 * When each of these members' records is dated, without reading them: content records from the
 * catalogue, rows by their index keys. What the receiving quota needs to tell which of a member's
 * hours may hold more than a budget, before reading any.
 */
export async function recordTimesByAuthors(db: HearthDb, cid: string, authors: readonly string[]): Promise<Map<string, number[]>> {
  const cat = await catalogueOf(db);
  const keys = await db.transaction('r', db.records, () =>
    Promise.all(authors.map((a) => db.records.where('[cid+author+ts]').between([cid, a, Dexie.minKey], [cid, a, Dexie.maxKey]).keys()))
  );
  const out = new Map<string, number[]>();
  authors.forEach((author, i) => {
    const times = (keys[i] as unknown as [string, string, number][]).map((key) => key[2]);
    for (const id of cat.byAuthor.get(`${cid}\u0000${author}`) ?? []) times.push(cat.entries.get(id)!.ts);
    out.set(author, times);
  });
  return out;
}

/** One member's records dated in [from, to) (or as the options say), oldest first (by ts, then id), at most `limit`. */
export async function recordsByAuthorBetween(
  db: HearthDb,
  cid: string,
  author: string,
  from: number,
  to: number,
  { includeFrom = true, includeTo = false, limit = Infinity }: { includeFrom?: boolean; includeTo?: boolean; limit?: number } = {}
): Promise<StoredRecord[]> {
  const inRange = (ts: number) => (includeFrom ? ts >= from : ts > from) && (includeTo ? ts <= to : ts < to);
  const range = db.records.where('[cid+author+ts]').between([cid, author, from], [cid, author, to], includeFrom, includeTo);
  const [rows, cat] = await Promise.all([(Number.isFinite(limit) ? range.limit(limit) : range).toArray(), catalogueOf(db)]);
  const content = await contentByAuthor(db, cat, cid, author, (e) => inRange(e.ts));
  return [...rows, ...content].sort(byTsThenId).slice(0, limit);
}

/** One member's newest record by (ts, id), `compareRecords`' newest. */
export async function newestByAuthor(db: HearthDb, cid: string, author: string): Promise<StoredRecord | undefined> {
  const [row, cat] = await Promise.all([
    db.records.where('[cid+author+ts]').between([cid, author, Dexie.minKey], [cid, author, Dexie.maxKey]).last(),
    catalogueOf(db)
  ]);
  let newest: [string, Entry] | null = null;
  for (const id of cat.byAuthor.get(`${cid}\u0000${author}`) ?? []) {
    const e = cat.entries.get(id)!;
    if (!newest || e.ts > newest[1].ts || (e.ts === newest[1].ts && id > newest[0])) newest = [id, e];
  }
  if (!newest || (row && (row.ts > newest[1].ts || (row.ts === newest[1].ts && row.id > newest[0])))) return row;
  return (await contentRecords(db, cat, [newest[0]])).get(newest[0]);
}

/** Records of these members dated exactly at these times (one read for many `[author, ts]` pairs). */
export async function recordsByAuthorAt(db: HearthDb, cid: string, at: readonly (readonly [author: string, ts: number])[]): Promise<StoredRecord[]> {
  const [rows, cat] = await Promise.all([
    rowsAtKeys(
      db,
      '[cid+author+ts]',
      at.map(([author, ts]) => [cid, author, ts])
    ),
    catalogueOf(db)
  ]);
  const ids: string[] = [];
  for (const [author, ts] of at) for (const id of cat.byAuthor.get(`${cid}\u0000${author}`) ?? []) if (cat.entries.get(id)!.ts === ts) ids.push(id);
  return [...rows, ...(await contentRecords(db, cat, ids)).values()];
}

// ---- writes ----

/**
 * Stores these rows (new or replacing the stored record of the same id): core kinds as rows,
 * content into the last page of its kind and month (or the page already holding its id). In the
 * caller's transaction if it has one (its scope must include `recordTables`), else in one of its own.
 */
export async function putRecords(db: HearthDb, rows: readonly StoredRecord[]): Promise<void> {
  if (!rows.length) return;
  const core: StoredRecord[] = [];
  const content: StoredRecord[] = [];
  for (const r of rows) (pageShardOf(r) === null ? core : content).push(r);
  if (!content.length) {
    await db.records.bulkPut(core);
    return;
  }
  const write = async () => {
    await Promise.all([core.length ? db.records.bulkPut(core) : undefined, putContent(db, content)]);
  };
  if (Dexie.currentTransaction) await write();
  else await db.transaction('rw', recordTables(db), write);
}

async function putContent(db: HearthDb, given: StoredRecord[]): Promise<void> {
  // The last of a repeated id wins, as with bulkPut.
  const records = [...new Map(given.map((r) => [r.id, { ...r }])).values()];
  const cat = await catalogueOf(db);
  const trans = Dexie.currentTransaction;
  // A write that does not commit leaves this catalogue ahead of the disk: drop it.
  trans?.on('abort', () => catalogues.delete(db));
  const cids = [...new Set(records.map((r) => r.cid))];
  const stamps = new Map<string, RecordStampRow>();
  for (const [i, s] of (await db.recordStamps.bulkGet(cids)).entries()) stamps.set(cids[i], s ?? { cid: cids[i], v: 0, counts: {}, held: 0 });
  const before = new Map([...stamps].map(([cid, stamp]) => [cid, { ...stamp.counts }]));
  // Where each record goes: its page if catalogued under the same kind and month, else a tail.
  const moves: { r: StoredRecord; from: Entry | undefined; to: PageKey }[] = [];
  for (const r of records) {
    const shard = pageShardOf(r)!;
    const from = cat.entries.get(r.id);
    if (from && from.cid === r.cid && from.kind === r.kind && from.shard === shard) {
      moves.push({ r, from, to: entryPage(from) });
      continue;
    }
    const key = tailKey(r.cid, r.kind, shard);
    let tail = cat.tails.get(key) ?? { seq: 0, n: 0 };
    if (tail.n >= PAGE_RECORDS) tail = { seq: tail.seq + 1, n: 0 };
    cat.tails.set(key, { seq: tail.seq, n: tail.n + 1 });
    moves.push({ r, from, to: [r.cid, r.kind, shard, tail.seq] });
  }
  const keys = new Map<string, PageKey>();
  for (const m of moves) {
    keys.set(pageId(m.to), m.to);
    if (m.from) keys.set(pageId(entryPage(m.from)), entryPage(m.from));
  }
  // A page the catalogue holds no record of is absent or empty (the catalogue was brought current in
  // this transaction): not read. An import fills new pages only, and read each first (2,736 reads of
  // nothing at 10k, one more round trip in each write transaction of the import's serial chain).
  const read = await readPages(
    db,
    [...keys.values()].filter((key) => cat.pages.has(pageId(key)))
  );
  const pages = new Map<string, StoredRecord[]>();
  for (const id of keys.keys()) pages.set(id, [...(read.get(id) ?? [])]);
  for (const { r, from, to } of moves) {
    const stamp = stamps.get(r.cid)!;
    if (from) {
      const list = pages.get(pageId(entryPage(from)))!;
      const at = list.findIndex((x) => x.id === r.id);
      if (at >= 0) list.splice(at, 1);
      uncount(stamps.get(from.cid), from.kind, from.held);
      uncatalogue(cat, r.id);
    }
    const list = pages.get(pageId(to))!;
    const at = list.findIndex((x) => x.id === r.id);
    if (at >= 0) list[at] = r;
    else list.push(r);
    stamp.counts[r.kind] = (stamp.counts[r.kind] ?? 0) + 1;
    if (r.held === 1) stamp.held++;
    catalogue(cat, { cid: r.cid, kind: r.kind, shard: to[2], seq: to[3] }, r);
  }
  await savePages(
    db,
    cat,
    [...pages].map(([id, records]) => ({ key: keys.get(id)!, records })),
    stamps,
    before
  );
}

/** One record fewer of this kind (and held back) in a community's counts. */
function uncount(stamp: RecordStampRow | undefined, kind: string, held: boolean): void {
  if (!stamp) return;
  stamp.counts[kind] = Math.max(0, (stamp.counts[kind] ?? 1) - 1);
  if (held) stamp.held = Math.max(0, stamp.held - 1);
}

/**
 * Writes pages as they now are, with their communities' stamps moved on (the pages carry the new
 * version, the catalogue holds it) and the counts that changed since `before`; the pages are kept.
 */
async function savePages(
  db: HearthDb,
  cat: Catalogue,
  pages: { key: PageKey; records: StoredRecord[] }[],
  stamps: Map<string, RecordStampRow>,
  before: Map<string, Record<string, number>>
): Promise<void> {
  for (const stamp of stamps.values()) {
    stamp.v++;
    cat.versions.set(stamp.cid, stamp.v);
  }
  const kept = pagesOf(db);
  const out: RecordPageRow[] = pages.map(({ key: [cid, kind, shard, seq], records }) => {
    keep(kept, pageId([cid, kind, shard, seq]), records);
    return { cid, kind, shard, seq, v: stamps.get(cid)?.v ?? 1, records };
  });
  await Promise.all([
    db.recordPages.bulkPut(out),
    db.recordStamps.bulkPut([...stamps.values()]),
    db.recordCounts.bulkPut(changedCounts(before, stamps.values()))
  ]);
}

/** Removes these records (a test's lost row; eviction next). */
export async function deleteRecords(db: HearthDb, ids: readonly string[]): Promise<void> {
  await db.transaction('rw', recordTables(db), async () => {
    const cat = await catalogueOf(db);
    Dexie.currentTransaction?.on('abort', () => catalogues.delete(db));
    const content = await contentRecords(db, cat, ids);
    await db.records.bulkDelete(ids.filter((id) => !content.has(id)));
    if (!content.size) return;
    const byPage = new Map<string, { key: PageKey; ids: Set<string> }>();
    for (const id of content.keys()) {
      const e = cat.entries.get(id)!;
      const key = entryPage(e);
      const page = byPage.get(pageId(key)) ?? { key, ids: new Set<string>() };
      page.ids.add(id);
      byPage.set(pageId(key), page);
    }
    const read = await readPages(
      db,
      [...byPage.values()].map((p) => p.key)
    );
    const stamps = new Map((await db.recordStamps.toArray()).map((s) => [s.cid, s]));
    const before = new Map([...stamps].map(([cid, stamp]) => [cid, { ...stamp.counts }]));
    for (const [id, r] of content) {
      uncount(stamps.get(r.cid), r.kind, r.held === 1);
      uncatalogue(cat, id);
    }
    await savePages(
      db,
      cat,
      [...byPage].map(([id, { key, ids: gone }]) => ({ key, records: (read.get(id) ?? []).filter((r) => !gone.has(r.id)) })),
      stamps,
      before
    );
  });
}

/** Ids of the records the receiving quota holds back. */
export async function heldRecordIds(db: HearthDb, cid: string): Promise<string[]> {
  const [rows, cat] = await Promise.all([db.records.where('[held+cid]').equals([1, cid]).primaryKeys() as Promise<string[]>, catalogueOf(db)]);
  const out = [...rows];
  for (const [id, e] of cat.entries) if (e.cid === cid && e.held) out.push(id);
  return out;
}
