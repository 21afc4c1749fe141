// The page's side of its search worker (workers/search.worker.ts): started on first use, kept for
// the page's life. Status changes come as events; the worker's build, load and update measures are
// mirrored as this page's User Timing entries (tests/bench/search-figures.ts reads them).
import * as Comlink from 'comlink';
import type { Reader } from '../domain/posts';
import type { SearchAnswer, SearchMeasure, SearchStatus } from './community-search';
import { MEASURES } from './community-search';
import type { SearchApi, SearchEvent } from './search-service';

type Listener = (status: SearchStatus, docs: number) => void;

let api: Comlink.Remote<SearchApi> | null = null;
const listeners = new Map<string, Set<Listener>>();

function mirror({ name, ms }: SearchMeasure, end = performance.now()): void {
  try {
    performance.measure(name, { start: Math.max(0, end - ms), end });
  } catch {
    // User Timing is missing in some test environments; the figure is only informative.
  }
}

function worker(): Comlink.Remote<SearchApi> {
  if (api) return api;
  const w = new Worker(new URL('../../../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'hearth-search' });
  api = Comlink.wrap<SearchApi>(w);
  const events = new MessageChannel();
  events.port1.onmessage = (e: MessageEvent<SearchEvent>) => {
    const { cid, status, docs, measure } = e.data;
    // A measure comes with the status as it stands; only status and size changes are the listeners'.
    if (measure) mirror(measure);
    else for (const listener of listeners.get(cid) ?? []) listener(status, docs);
  };
  void api.listen(Comlink.transfer(events.port2, [events.port2]));
  return api;
}

/** Follows a community's index (called at once with how it stands); returns unsubscribe. */
export function followSearch(cid: string, listener: Listener): () => void {
  let set = listeners.get(cid);
  if (!set) listeners.set(cid, (set = new Set()));
  set.add(listener);
  void worker()
    .status(cid)
    .then(({ status, docs }) => listener(status, docs));
  return () => set.delete(listener);
}

/** Asks the worker; the answer's `ms` and the query measure are this page's wait, the port included. */
export async function searchInWorker(cid: string, query: string, limit: number, reader: Reader): Promise<SearchAnswer> {
  const started = performance.now();
  const answer = await worker().search(cid, query, limit, reader);
  const end = performance.now();
  mirror({ name: MEASURES.query, ms: end - started }, end);
  return { ...answer, ms: end - started };
}
