// Reactive state of the search screen: the query, the latest answer and the index's status, from
// the tab's search (search-client: its search worker, or the page itself without a community
// worker). Answers to older queries that resolve late are ignored; when new records change the
// index, the current query runs again, so results follow what peers write.
import type { Reader } from '../domain/posts';
import type { HearthDb } from '../store/db';
import type { SearchAnswer, SearchStatus } from './community-search';
import { followSearch, searchCommunity } from './search-client';

export class SearchState {
  query = $state('');
  answer = $state.raw<SearchAnswer | null>(null);
  status = $state<SearchStatus>('loading');
  docs = $state(0);
  readonly #stop: () => void;
  #asked = 0;

  constructor(
    private readonly db: HearthDb,
    private readonly cid: string,
    private readonly reader: () => Reader
  ) {
    this.#stop = followSearch(db, cid, (status, docs) => {
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
    const answer = await searchCommunity(this.db, this.cid, query, 20, this.reader());
    if (asked === this.#asked) this.answer = answer;
  }
}
