// Reactive state of the search screen: the query, the latest answer and the index's status.
// Where the community worker writes the journal (the browser has SharedWorker), the index lives in
// this tab's search worker (search-client): the page asks it for answers and is told of its status;
// a page that holds its documents itself keeps the index here. Answers to older queries that resolve late are ignored; when new records change the
// index, the current query runs again, so results follow what peers write.
import type { Reader } from '../domain/posts';
import type { HearthDb } from '../store/db';
import { hostClient } from '../sync/remote-doc';
import { openCommunityDoc } from '../sync/registry';
import { startSearch, type CommunitySearch, type SearchAnswer, type SearchStatus } from './community-search';
import { followSearch, searchInWorker } from './search-client';
import { readableBy } from '../domain/posts';

/** Where the answers come from: the worker's index, or this page's. */
interface SearchSource {
  search(query: string, limit: number, reader: Reader): Promise<SearchAnswer>;
  /** Follows status and size (called at once with the current ones); returns unsubscribe. */
  follow(listener: (status: SearchStatus, docs: number) => void): () => void;
}

const local = new Map<string, CommunitySearch>();

/** This page's own index of a community (no community worker): opened once, kept for the page's life. */
function localSource(db: HearthDb, cid: string): SearchSource {
  let search = local.get(cid);
  if (!search || search.status === 'failed') local.set(cid, (search = startSearch(db, cid, openCommunityDoc(db, cid))));
  const opened = search;
  return {
    search: (query, limit, reader) => opened.search(query, limit, (doc) => readableBy(reader, doc)),
    follow(listener) {
      opened.onStatus = listener;
      listener(opened.status, opened.docs);
      return () => (opened.onStatus = () => {});
    }
  };
}

function workerSource(cid: string): SearchSource | null {
  if (!hostClient() || typeof Worker === 'undefined') return null;
  return {
    search: (query, limit, reader) => searchInWorker(cid, query, limit, reader),
    follow: (listener) => followSearch(cid, listener)
  };
}

export class SearchState {
  query = $state('');
  answer = $state.raw<SearchAnswer | null>(null);
  status = $state<SearchStatus>('loading');
  docs = $state(0);
  readonly #source: SearchSource;
  readonly #stop: () => void;
  #asked = 0;

  constructor(
    db: HearthDb,
    cid: string,
    private readonly reader: () => Reader
  ) {
    this.#source = workerSource(cid) ?? localSource(db, cid);
    this.#stop = this.#source.follow((status, docs) => {
      this.status = status;
      this.docs = docs;
      if (status === 'ready' && this.query.trim()) void this.run();
    });
  }

  /** Stops following the index (it stays open and current). */
  destroy(): void {
    this.#stop();
  }

  async run(query = this.query): Promise<void> {
    const asked = ++this.#asked;
    if (!query.trim()) {
      this.answer = null;
      return;
    }
    const answer = await this.#source.search(query, 20, this.reader());
    if (asked === this.#asked) this.answer = answer;
  }
}
