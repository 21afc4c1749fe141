// Bridges Dexie's liveQuery to Svelte 5 runes: `.value` follows the query as the tables change.
// `track` runs synchronously inside an effect (so the reactive values it reads re-run the query)
// and returns the query itself.
import { liveQuery } from 'dexie';

export class Live<T> {
  // raw: rows are replaced wholesale, never mutated; deep proxies would cost time and break IndexedDB cloning.
  value = $state.raw<T>() as T;
  error = $state<unknown>(null);
  loaded = $state(false);

  constructor(track: () => () => Promise<T>, initial: T) {
    this.value = initial;
    $effect(() => {
      const query = track();
      const sub = liveQuery(query).subscribe({
        next: (v) => {
          this.value = v;
          this.loaded = true;
        },
        error: (e) => (this.error = e)
      });
      return () => sub.unsubscribe();
    });
  }
}
