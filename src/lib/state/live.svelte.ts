// Bridges Dexie's liveQuery to Svelte 5 runes: `.value` follows the query as the tables change.
// `track` runs synchronously inside an effect (so the reactive values it reads re-run the query)
// and returns the query itself. Until its first answer it holds back work that can wait (first-content).
import { liveQuery } from 'dexie';
import { awaitingFirstAnswer } from './first-content';

export class Live<T> {
  // raw: rows are replaced wholesale, never mutated; deep proxies would cost time and break IndexedDB cloning.
  value = $state.raw<T>() as T;
  error = $state<unknown>(null);
  loaded = $state(false);

  constructor(track: () => () => Promise<T>, initial: T) {
    this.value = initial;
    $effect(() => {
      const query = track();
      const answered = awaitingFirstAnswer();
      const sub = liveQuery(query).subscribe({
        next: (v) => {
          this.value = v;
          this.loaded = true;
          answered();
        },
        error: (e) => {
          this.error = e;
          answered();
        }
      });
      return () => {
        answered();
        sub.unsubscribe();
      };
    });
  }
}
