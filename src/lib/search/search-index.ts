// One community's full-text index (MiniSearch, BM25): documents are indexed by the terms of
// tokenize.ts; a query matches every word (the last one also as a prefix), or, when that finds
// nothing, any word. The index serialises to gzip-compressed JSON for IndexedDB.
import MiniSearch, { type Options, type Query, type SearchOptions } from 'minisearch';
import { docHash, type SearchDoc } from './documents';
import { indexTerms, queryWords, type QueryWord } from './tokenize';

/** Bump when tokenization or the indexed fields change: stored indexes are rebuilt. */
export const SEARCH_INDEX_VERSION = 4;

type Indexed = Pick<SearchDoc, 'id' | 'title' | 'body'>;

/** What is stored: MiniSearch's JSON, each document's fingerprint and each thread's title by MiniSearch's short id. */
interface Serialized {
  index: Parameters<typeof MiniSearch.loadJS>[0];
  hashes: Record<string, number>;
  threads: Record<string, IndexedThread>;
}

/** What the index keeps of a thread it holds: what its replies' results show and are filtered by. */
export interface IndexedThread {
  title: string;
  tiers: string[];
}

export const OPTIONS: Options<Indexed> = {
  idField: 'id',
  fields: ['title', 'body'],
  // No stored fields: each result would carry a copy (about a third of a broad query's time).
  tokenize: (text) => indexTerms(text),
  processTerm: (term) => term,
  // Discarded documents are cleaned up in small batches, so an edit never stalls a keystroke.
  autoVacuum: { batchSize: 2000, batchWait: 20, minDirtCount: 200, minDirtFactor: 0.05 }
};

export const SEARCH: SearchOptions = {
  // Query trees below are built from processed terms already.
  tokenize: (text) => [text],
  processTerm: (term) => term,
  boost: { title: 2 },
  weights: { fuzzy: 0.45, prefix: 0.6 }
};

export interface IndexHit {
  id: string;
  score: number;
  /** Index terms of the document that matched: what the result highlights. */
  terms: string[];
}

export interface SearchOutcome {
  hits: IndexHit[];
  /** How many documents matched in all. */
  total: number;
  /** True when not every word matched in any document and results match some words only. */
  partial: boolean;
}

/** The query tree for the words of `query`, every word required (AND) or any (OR). */
export function queryTree(query: string, combineWith: 'AND' | 'OR'): Query | null {
  const words = queryWords(query);
  if (!words.length) return null;
  return { combineWith, queries: words.map(wordQuery) };
}

/**
 * One word of a query. A word being typed matches as a prefix: of its stem when the typed form
 * starts with it ("questions" -> question*, which also covers the stem itself), else of the typed
 * form, or'ed with the exact stem ("bicy" stems to "bici", yet is a prefix of "bicycl").
 */
function wordQuery(w: QueryWord): Query {
  if (!w.prefix) return w.term;
  if (w.prefix.startsWith(w.term)) return { queries: [w.term], prefix: true };
  return { combineWith: 'OR', queries: [w.term, { queries: [w.prefix], prefix: true }] };
}

/**
 * What MiniSearch's `search` makes its results of (minisearch 7.2: `executeQuery`, the matches by short
 * id; `_documentIds`, short id to id), private in its types. search-index.test.ts compares what is
 * made of them here with MiniSearch's own results, so a version that changes them fails there.
 */
type RawMatch = { score: number; terms: string[]; match: Record<string, string[]> };
interface MiniSearchInside {
  executeQuery(query: Query, options: SearchOptions): Map<number, RawMatch>;
  _documentIds: Map<number, unknown>;
}

/**
 * The `limit` best of `raw` in MiniSearch's order: score times the number of query terms matched,
 * highest first, equal scores in the order found (its sort is stable). MiniSearch builds a result
 * (with its matched terms) for every match and sorts them all: a common word or a prefix matches
 * 10,000–20,000 of the 50,000 documents, and the query keeps 80.
 */
export function bestMatches(raw: ReadonlyMap<number, RawMatch>, limit: number): { short: number; score: number; match: RawMatch['match'] }[] {
  const top: { short: number; score: number; match: RawMatch['match'] }[] = [];
  if (limit <= 0) return top;
  for (const [short, r] of raw) {
    const score = r.score * (r.terms.length || 1);
    // A later match of the same score comes after: it only enters before a lower one.
    if (top.length === limit && !(score > top[limit - 1].score)) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (top[mid].score >= score) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, { short, score, match: r.match });
    if (top.length > limit) top.pop();
  }
  return top;
}

async function pipeBytes(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class CommunityIndex {
  readonly #ms: MiniSearch<Indexed>;
  /** id -> fingerprint of what is indexed for it. */
  readonly #hashes: Map<string, number>;
  /**
   * Each thread the index holds (so visible as of its last update): its title and tiers. A reply's
   * result shows its thread's title and is filtered by its tiers, and a thread row leaves its title
   * to the thread's record: without this each result read its thread's row and page of records too.
   */
  readonly #threads: Map<string, IndexedThread>;

  private constructor(ms: MiniSearch<Indexed>, hashes: Map<string, number>, threads: Map<string, IndexedThread>) {
    this.#ms = ms;
    this.#hashes = hashes;
    this.#threads = threads;
  }

  static empty(): CommunityIndex {
    return new CommunityIndex(new MiniSearch(OPTIONS), new Map(), new Map());
  }

  /** Builds an index of `docs`, yielding to the page every few hundred documents. */
  static async build(docs: SearchDoc[], chunk = 400): Promise<CommunityIndex> {
    const index = CommunityIndex.empty();
    for (let i = 0; i < docs.length; i += chunk) {
      for (const d of docs.slice(i, i + chunk)) index.put(d);
      if (i + chunk < docs.length) await pause();
    }
    return index;
  }

  get size(): number {
    return this.#hashes.size;
  }

  has(id: string): boolean {
    return this.#hashes.has(id);
  }

  ids(): IterableIterator<string> {
    return this.#hashes.keys();
  }

  /** An indexed thread's title and tiers (undefined: not indexed, so not shown either). */
  thread(id: string): IndexedThread | undefined {
    return this.#threads.get(id);
  }

  /** Adds or replaces a document; false when it was indexed unchanged already. */
  put(doc: SearchDoc): boolean {
    const h = docHash(doc);
    const before = this.#hashes.get(doc.id);
    // Kept whatever the fingerprint says: it covers the indexed text, not the tiers.
    if (doc.kind === 'thread') this.#threads.set(doc.id, { title: doc.title, tiers: doc.tiers });
    if (before === h) return false;
    const indexed: Indexed = { id: doc.id, title: doc.title, body: doc.body };
    if (before === undefined) this.#ms.add(indexed);
    else this.#ms.replace(indexed);
    this.#hashes.set(doc.id, h);
    return true;
  }

  /** Takes a document out of the index; false when it was not in it. */
  remove(id: string): boolean {
    if (!this.#hashes.has(id)) return false;
    this.#ms.discard(id);
    this.#hashes.delete(id);
    this.#threads.delete(id);
    return true;
  }

  /** Brings the index in line with `docs` for these ids: null means "nothing to find here". */
  apply(docs: ReadonlyMap<string, SearchDoc | null>): number {
    let changed = 0;
    for (const [id, doc] of docs) if (doc ? this.put(doc) : this.remove(id)) changed++;
    return changed;
  }

  /** Makes the index hold exactly `docs`: the comparison behind a rebuild-free catch-up. */
  reconcile(docs: SearchDoc[]): number {
    const keep = new Set<string>();
    let changed = 0;
    for (const d of docs) {
      keep.add(d.id);
      if (this.put(d)) changed++;
    }
    for (const id of [...this.#hashes.keys()]) if (!keep.has(id) && this.remove(id)) changed++;
    return changed;
  }

  search(query: string, limit = 20): SearchOutcome {
    const all = queryTree(query, 'AND');
    if (!all) return { hits: [], total: 0, partial: false };
    const ms = this.#ms as unknown as MiniSearchInside;
    let matches = ms.executeQuery(all, SEARCH);
    let partial = false;
    if (!matches.size && queryWords(query).length > 1) {
      matches = ms.executeQuery(queryTree(query, 'OR')!, SEARCH);
      partial = matches.size > 0;
    }
    return {
      hits: bestMatches(matches, limit).map((m) => ({ id: String(ms._documentIds.get(m.short)), score: m.score, terms: Object.keys(m.match) })),
      total: matches.size,
      partial
    };
  }

  /** gzip-compressed JSON of the index. */
  async toBytes(): Promise<Uint8Array> {
    const index = this.#ms.toJSON();
    const hashes: Record<string, number> = {};
    const threads: Record<string, IndexedThread> = {};
    for (const [short, id] of Object.entries(index.documentIds)) {
      hashes[short] = this.#hashes.get(String(id)) ?? 0;
      const thread = this.#threads.get(String(id));
      if (thread) threads[short] = thread;
    }
    const serialized: Serialized = { index, hashes, threads };
    return pipeBytes(new TextEncoder().encode(JSON.stringify(serialized)), new CompressionStream('gzip'));
  }

  static async fromBytes(bytes: Uint8Array): Promise<CommunityIndex> {
    const text = new TextDecoder().decode(await pipeBytes(bytes, new DecompressionStream('gzip')));
    const { index, hashes: byShort, threads: threadByShort } = JSON.parse(text) as Serialized;
    const hashes = new Map<string, number>();
    const threads = new Map<string, IndexedThread>();
    for (const [short, id] of Object.entries(index.documentIds)) {
      hashes.set(String(id), byShort[short] ?? 0);
      const thread = threadByShort?.[short];
      if (thread) threads.set(String(id), thread);
    }
    return new CommunityIndex(MiniSearch.loadJS(index, OPTIONS), hashes, threads);
  }
}
