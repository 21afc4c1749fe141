// The page's side of its search: the tab's search worker (workers/search.worker.ts) where the
// community worker writes the journal (the browser has SharedWorker), else a SearchService on the
// page that journals its documents here; started on first use, kept for the page's life. Status
// changes come as events; the worker's build, load, update and query measures are mirrored as this
// page's User Timing entries (tests/bench/search-figures.ts reads them), a local service's are
// already here.
import * as Comlink from 'comlink';
import type { Reader } from '../domain/posts';
import type { HearthDb } from '../store/db';
import { hostClient } from '../sync/remote-doc';
import { endsWithLeadership } from '../sync/leader-worker';
import { openCommunityDoc } from '../sync/registry';
import type { SearchAnswer, SearchMeasure, SearchStatus } from './community-search';
import { MEASURES } from './community-search';
import { SearchService, type SearchApi, type SearchEvent } from './search-service';

type Listener = (status: SearchStatus, docs: number) => void;

/** The service (in the worker, or here) and whether it is remote. */
let service: { api: Comlink.Remote<SearchApi> | SearchService; remote: boolean } | null = null;
const listeners = new Map<string, Set<Listener>>();

function mirror({ name, ms }: SearchMeasure, end = performance.now()): void {
  try {
    performance.measure(name, { start: Math.max(0, end - ms), end });
  } catch {
    // User Timing is missing in some test environments; the figure is only informative.
  }
}

function started(db: HearthDb): NonNullable<typeof service> {
  if (service) return service;
  const remote = !!hostClient() && typeof Worker !== 'undefined';
  const api = remote
    ? Comlink.wrap<SearchApi>(
        endsWithLeadership(new Worker(new URL('../../../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'hearth-search' }))
      )
    : new SearchService(db, (cid) => openCommunityDoc(db, cid));
  const events = new MessageChannel();
  events.port1.onmessage = (e: MessageEvent<SearchEvent>) => {
    const { cid, status, docs, measure } = e.data;
    // A measure comes with the status as it stands; only status and size changes are the listeners'.
    if (measure) {
      if (remote) mirror(measure);
    } else for (const listener of listeners.get(cid) ?? []) listener(status, docs);
  };
  void api.listen(remote ? Comlink.transfer(events.port2, [events.port2]) : events.port2);
  return (service = { api, remote });
}

/** Follows a community's index (called at once with how it stands); returns unsubscribe. */
export function followSearch(db: HearthDb, cid: string, listener: Listener): () => void {
  let set = listeners.get(cid);
  if (!set) listeners.set(cid, (set = new Set()));
  set.add(listener);
  void started(db)
    .api.status(cid)
    .then(({ status, docs }) => listener(status, docs));
  return () => set.delete(listener);
}

/** The results a reader may see; from the worker, the answer's `ms` and the query measure are this page's wait, the port included. */
export async function searchCommunity(db: HearthDb, cid: string, query: string, limit: number, reader: Reader): Promise<SearchAnswer> {
  const { api, remote } = started(db);
  const begun = performance.now();
  const answer = await api.search(cid, query, limit, reader);
  if (!remote) return answer;
  const end = performance.now();
  mirror({ name: MEASURES.query, ms: end - begun }, end);
  return { ...answer, ms: end - begun };
}
