// A tab's search worker: the community indexes and their queries (src/lib/search/search-service.ts),
// off the page's main thread and off the community worker, which writes the journal it follows.
import * as Comlink from 'comlink';
import { SearchService } from '../src/lib/search/search-service';
import { openDb } from '../src/lib/store/db';

Comlink.expose(new SearchService(openDb()));
