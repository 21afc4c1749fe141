// What a tab's search worker (workers/search.worker.ts) serves: each community's index, opened on
// first use and kept for the worker's life, fed by the journal rows the community worker writes
// (search/journal). A page that holds its documents itself (no community worker) runs one of its
// own, given how to open a document so that it journals in this thread. Its own thread: a query never waits behind the community worker's gate,
// projection or automation (in that worker, the 10k bench's p50 was 93 ms and p95 661 ms, against
// 16.5 and 42.4 on the page), and building an index (35 s at 50,000 documents) holds neither.
import { readableBy, type Reader } from '../domain/posts';
import type { HearthDb } from '../store/db';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { startSearch, type CommunitySearch, type SearchAnswer, type SearchMeasure, type SearchStatus } from './community-search';

/** Told to the page: a community's index changed status or size, or took a measure (build, load, update). */
export interface SearchEvent {
  cid: string;
  status: SearchStatus;
  docs: number;
  measure?: SearchMeasure;
}

export interface SearchApi {
  /** The port the events go to. */
  listen(events: MessagePort): void;
  /** Opens the community's index (once) and says how it stands. */
  status(cid: string): Promise<{ status: SearchStatus; docs: number }>;
  /** The best `limit` results for `query` that `reader` may read (tier-limited posts), with their current text. */
  search(cid: string, query: string, limit: number, reader: Reader): Promise<SearchAnswer>;
}

export class SearchService implements SearchApi {
  #searches = new Map<string, CommunitySearch>();
  #events: MessagePort | null = null;

  constructor(
    readonly db: HearthDb,
    private readonly openDoc?: (cid: string) => Promise<CommunityDoc>
  ) {}

  listen(events: MessagePort): void {
    this.#events = events;
  }

  async status(cid: string): Promise<{ status: SearchStatus; docs: number }> {
    const search = this.#open(cid);
    return { status: search.status, docs: search.docs };
  }

  search(cid: string, query: string, limit: number, reader: Reader): Promise<SearchAnswer> {
    return this.#open(cid).search(query, limit, (doc) => readableBy(reader, doc));
  }

  /** A failed index is opened again on the next call. */
  #open(cid: string): CommunitySearch {
    let search = this.#searches.get(cid);
    if (!search || search.status === 'failed') {
      const opened = startSearch(this.db, cid, this.openDoc?.(cid));
      this.#searches.set(cid, (search = opened));
      opened.onStatus = (status, docs) => this.#post({ cid, status, docs });
      opened.onMeasure = (measure) => this.#post({ cid, status: opened.status, docs: opened.docs, measure });
    }
    return search;
  }

  #post(event: SearchEvent): void {
    this.#events?.postMessage(event);
  }
}
