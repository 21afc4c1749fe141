// Reactive state of the search screen: the query, the latest answer and the index's status.
// Answers to older queries that resolve late are ignored; when new records change the index, the
// current query runs again, so results follow what peers write.
import type { HearthDb } from '../store/db';
import { openSearch, type CommunitySearch, type SearchAnswer, type SearchStatus } from './community-search';
import type { SearchDoc } from './documents';

export class SearchState {
  query = $state('');
  answer = $state.raw<SearchAnswer | null>(null);
  status = $state<SearchStatus>('loading');
  docs = $state(0);
  readonly #search: CommunitySearch;
  #asked = 0;

  constructor(
    db: HearthDb,
    cid: string,
    private readonly readable: (doc: SearchDoc) => boolean = () => true
  ) {
    this.#search = openSearch(db, cid);
    this.status = this.#search.status;
    this.docs = this.#search.docs;
    this.#search.onStatus = (status, docs) => {
      this.status = status;
      this.docs = docs;
      if (status === 'ready' && this.query.trim()) void this.run();
    };
  }

  /** Stops following the index (it stays open and current for the page). */
  destroy(): void {
    this.#search.onStatus = () => {};
  }

  async run(query = this.query): Promise<void> {
    const asked = ++this.#asked;
    if (!query.trim()) {
      this.answer = null;
      return;
    }
    const answer = await this.#search.search(query, 20, this.readable);
    if (asked === this.#asked) this.answer = answer;
  }
}
