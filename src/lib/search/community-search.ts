// One community's search, kept by a SearchService: in the tab's search worker, or on a page that holds
// its documents itself (no community worker). It loads the stored index (or builds it
// from the projections when it is missing or its version changed), catches up with the journal,
// follows newly accepted records, saves itself when idle, and answers queries with results ready to
// show (current text, highlighted snippet, link).
import type { HearthDb } from '../store/db';
import { PROJECTION_VERSION } from '../store/projection';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { loadAllDocs, loadDocs } from './corpus';
import { searchLink, type SearchDoc, type SearchKind } from './documents';
import { markTerms, snippet, type TextPart } from './highlight';
import { journalDoc, journalIdle, onJournal } from './journal';
import { CommunityIndex, SEARCH_INDEX_VERSION } from './search-index';
import { openSearchDb, type SearchDb } from './search-db';
import { countRecords } from '../store/record-store';

/**
 * Writing the index back serialises all of it, which holds the page for a moment on a large
 * community, so it is rare: when the page is hidden, or once this many journal rows wait (the
 * journal alone already brings a loaded index up to date), and never while queries are typed.
 */
const SAVE_AFTER_ROWS = 200;
const SAVE_AFTER_MS = 3000;
const QUIET_MS = 3000;

export type SearchStatus = 'loading' | 'building' | 'ready' | 'failed';

export interface SearchResultView {
  id: string;
  kind: SearchKind;
  /** Path below the app's base. */
  link: string;
  /** The document's title, or the title of the thread or question it answers, with matches marked. */
  title: TextPart[];
  /** True when `title` is the thread's or question's, not the document's own. */
  inContext: boolean;
  snippet: TextPart[];
  author: string;
  ts: number;
}

export interface SearchAnswer {
  query: string;
  results: SearchResultView[];
  total: number;
  partial: boolean;
  /** Time to find and prepare the results, in ms. */
  ms: number;
}

/** User Timing names, read by the benchmark (tests/bench/search-figures.ts). */
export const MEASURES = {
  build: 'hearth-search.build',
  load: 'hearth-search.load',
  /** From a batch's announcement by CommunityDoc until the index holds it. */
  update: 'hearth-search.update',
  /** The index's own part of that: reading the journal and the documents, updating the index. */
  apply: 'hearth-search.apply',
  query: 'hearth-search.query',
  /** The index's part of a query (matching and ranking), before its results are read back: `query` less this is the reading. */
  lookup: 'hearth-search.lookup'
} as const;

/** A User Timing measure taken where the search runs, as the page is told of it (`SearchEvent`). */
export type SearchMeasure = { name: string; ms: number };

function measure(name: string, start: number): number {
  const end = performance.now();
  try {
    performance.measure(name, { start, end });
  } catch {
    // User Timing is missing in some test environments; the figure is only informative.
  }
  return end - start;
}

export function resultView(doc: SearchDoc, terms: ReadonlySet<string>): SearchResultView {
  const ownTitle = doc.title !== '';
  return {
    id: doc.id,
    kind: doc.kind,
    link: searchLink(doc),
    title: ownTitle ? markTerms(doc.title, terms) : [{ text: doc.context, hit: false }],
    inContext: !ownTitle,
    snippet: snippet(doc.body, terms),
    author: doc.author,
    ts: doc.ts
  };
}

export class CommunitySearch {
  status: SearchStatus = 'loading';
  /** Called whenever status or the number of indexed documents changes. */
  onStatus: (status: SearchStatus, docs: number) => void = () => {};
  /** Called with each build, load and update measure (the worker's are passed on to its pages). */
  onMeasure: (m: SearchMeasure) => void = () => {};
  #index: CommunityIndex | null = null;
  #appliedSeq = 0;
  #records = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #unsavedRows = 0;
  #lastQueryAt = -Infinity;
  #unsubscribe: () => void = () => {};

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    readonly sdb: SearchDb = openSearchDb()
  ) {}

  get docs(): number {
    return this.#index?.size ?? 0;
  }

  /**
   * Listens first, then loads, so no batch falls between the stored index and the live one. With
   * `doc`, this thread journals its accepted records; without, another thread does (the community
   * worker, for a search worker's index).
   */
  async open(doc?: CommunityDoc): Promise<void> {
    const off = onJournal(this.cid, (since) => void this.#enqueue(() => this.#catchUp(since)));
    const onHidden = () => {
      if (document.visibilityState === 'hidden' && this.#unsavedRows > 0) void this.flush();
    };
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onHidden);
    this.#unsubscribe = () => {
      off();
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onHidden);
    };
    if (doc) journalDoc(this.db, doc, this.sdb);
    await this.#enqueue(() => this.#load());
  }

  close(): void {
    this.#unsubscribe();
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
  }

  /** Resolves when everything journaled so far is in the index. */
  async settled(): Promise<void> {
    await journalIdle(this.cid);
    await this.#enqueue(async () => {});
  }

  /**
   * The best `limit` results for `query` that `readable` lets this member see (tier-limited
   * threads), with their current text. Hits the projections no longer show are dropped and leave
   * the index.
   */
  async search(query: string, limit = 20, readable: (doc: SearchDoc) => boolean = () => true): Promise<SearchAnswer> {
    const started = (this.#lastQueryAt = performance.now());
    const index = this.#index;
    if (!index) return { query, results: [], total: 0, partial: false, ms: 0 };
    const outcome = index.search(query, limit * 4);
    measure(MEASURES.lookup, started);
    const results: SearchResultView[] = [];
    const stale: string[] = [];
    let hidden = 0;
    for (let at = 0; at < outcome.hits.length && results.length < limit; at += limit) {
      const page = outcome.hits.slice(at, at + limit);
      const docs = await loadDocs(
        this.db,
        this.cid,
        page.map((h) => h.id),
        (thread) => index.thread(thread)
      );
      for (const hit of page) {
        const doc = docs.get(hit.id);
        if (!doc) stale.push(hit.id);
        else if (!readable(doc)) hidden++;
        else if (results.length < limit) results.push(resultView(doc, new Set(hit.terms)));
      }
    }
    if (stale.length) void this.#enqueue(async () => stale.forEach((id) => this.#index?.remove(id)));
    const ms = measure(MEASURES.query, started);
    return { query, results, total: Math.max(results.length, outcome.total - stale.length - hidden), partial: outcome.partial, ms };
  }

  /** Writes the index back now (also done by itself when the page is hidden or many changes wait). */
  flush(): Promise<unknown> {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    return this.#enqueue(() => this.#save());
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch((error) => console.error('search index', error));
    return run;
  }

  #measure(name: string, start: number): void {
    this.onMeasure({ name, ms: measure(name, start) });
  }

  #setStatus(status: SearchStatus): void {
    this.status = status;
    this.onStatus(status, this.docs);
  }

  async #load(): Promise<void> {
    const started = performance.now();
    try {
      const snap = await this.sdb.snapshots.get(this.cid);
      if (snap && snap.version === SEARCH_INDEX_VERSION && snap.projectionVersion === PROJECTION_VERSION) {
        this.#index = await CommunityIndex.fromBytes(snap.bytes);
        this.#appliedSeq = snap.upToSeq;
        this.#records = snap.records;
        this.#measure(MEASURES.load, started);
        await this.#catchUp(null, true);
      } else {
        await this.#rebuild();
        this.#measure(MEASURES.build, started);
      }
      this.#setStatus('ready');
    } catch (error) {
      console.error('search index could not be loaded', error);
      this.#setStatus('failed');
    }
  }

  async #rebuild(): Promise<void> {
    this.#setStatus('building');
    // Journal rows up to here are covered by what is read next.
    const lastSeq = (await this.sdb.dirty.orderBy('seq').last())?.seq ?? 0;
    const records = await countRecords(this.db, this.cid);
    const docs = await loadAllDocs(this.db, this.cid);
    this.#index = await CommunityIndex.build(docs);
    this.#appliedSeq = lastSeq;
    this.#records = records;
    await this.#save();
  }

  /**
   * Applies journal rows not yet in the index. On load it also compares record counts: records
   * that arrived while nothing journaled them (another app version, a crash) make it compare the
   * whole index with the projections.
   */
  async #catchUp(since: number | null, checkCount = false): Promise<void> {
    if (!this.#index) return;
    const started = performance.now();
    const rows = await this.sdb.dirty
      .where('seq')
      .above(this.#appliedSeq)
      .filter((r) => r.cid === this.cid)
      .toArray();
    let reconcile = rows.some((r) => r.reconcile);
    const expected = this.#records + rows.reduce((n, r) => n + r.records, 0);
    if (checkCount && !reconcile) reconcile = (await countRecords(this.db, this.cid)) !== expected;
    if (!rows.length && !reconcile) return;
    let changed: number;
    if (reconcile) {
      const records = await countRecords(this.db, this.cid);
      changed = this.#index.reconcile(await loadAllDocs(this.db, this.cid));
      this.#records = records;
    } else {
      changed = this.#index.apply(
        await loadDocs(
          this.db,
          this.cid,
          rows.flatMap((r) => r.ids)
        )
      );
      this.#records = expected;
    }
    if (rows.length) this.#appliedSeq = Math.max(this.#appliedSeq, ...rows.map((r) => r.seq!));
    if (since !== null) {
      this.#measure(MEASURES.apply, started);
      this.#measure(MEASURES.update, since);
    }
    if (changed) this.onStatus(this.status, this.docs);
    this.#unsavedRows += reconcile ? Math.max(changed, 1) : rows.length;
    this.#scheduleSave();
  }

  #scheduleSave(): void {
    if (this.#unsavedRows < SAVE_AFTER_ROWS || this.#saveTimer) return;
    const attempt = () => {
      if (performance.now() - this.#lastQueryAt < QUIET_MS) {
        this.#saveTimer = setTimeout(attempt, QUIET_MS);
        return;
      }
      this.#saveTimer = null;
      void this.#enqueue(() => this.#save());
    };
    this.#saveTimer = setTimeout(attempt, SAVE_AFTER_MS);
  }

  async #save(): Promise<void> {
    const index = this.#index;
    if (!index) return;
    const upToSeq = this.#appliedSeq;
    const records = this.#records;
    const unsaved = this.#unsavedRows;
    const bytes = await index.toBytes();
    await this.sdb.transaction('rw', this.sdb.snapshots, this.sdb.dirty, async () => {
      await this.sdb.snapshots.put({
        cid: this.cid,
        version: SEARCH_INDEX_VERSION,
        projectionVersion: PROJECTION_VERSION,
        upToSeq,
        records,
        docs: index.size,
        bytes,
        savedAt: Date.now()
      });
      await this.sdb.dirty
        .where('seq')
        .belowOrEqual(upToSeq)
        .filter((r) => r.cid === this.cid)
        .delete();
    });
    this.#unsavedRows = Math.max(0, this.#unsavedRows - unsaved);
  }
}

/** A community's search, opening on `doc` or on another thread's journal (failed, and said so, if it cannot open). */
export function startSearch(db: HearthDb, cid: string, doc?: Promise<CommunityDoc>): CommunitySearch {
  const search = new CommunitySearch(db, cid);
  (doc ?? Promise.resolve(undefined))
    .then((d) => search.open(d))
    .catch((error) => {
      console.error('search could not be opened', error);
      search.status = 'failed';
      search.onStatus('failed', 0);
    });
  return search;
}
