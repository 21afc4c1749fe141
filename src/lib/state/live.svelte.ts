// Bridges Dexie's liveQuery to Svelte 5 runes: `.value` follows the query as the tables change.
// `track` runs synchronously inside an effect (so the reactive values it reads re-run the query)
// and returns the query itself. Until its first answer it holds back work that can wait (first-content).
// A hidden page follows nothing: each change the community worker writes would have it read again for
// no one, and a read open when the browser freezes the page is aborted (store/frozen-page). Its
// queries run again when it is shown.
import { liveQuery } from 'dexie';
import { afterFirstContent, awaitingFirstAnswer } from './first-content';
import { shareUnchanged } from './share-unchanged';

export interface LiveOptions {
  /**
   * Starts once the page has shown its first content, and does not hold it back: for answers the
   * community worker gives (starting the worker and replaying authority would compete with the
   * first rows of a cold start for the CPU and the database).
   */
  later?: boolean;
}

export class Live<T> {
  // raw: rows are replaced wholesale, never mutated; deep proxies would cost time and break IndexedDB cloning.
  value = $state.raw<T>() as T;
  error = $state<unknown>(null);
  loaded = $state(false);

  constructor(track: () => () => Promise<T>, initial: T, options: LiveOptions = {}) {
    this.value = initial;
    $effect(() => {
      const query = track();
      const answered = options.later ? () => {} : awaitingFirstAnswer();
      let sub: { unsubscribe(): void } | null = null;
      let stopped = false;
      const follow = () => {
        if (stopped || sub) return;
        sub = liveQuery(query).subscribe({
          next: (v) => {
            this.value = shareUnchanged(this.value, v);
            this.loaded = true;
            this.error = null;
            answered();
          },
          error: (e) => {
            this.error = e;
            answered();
          }
        });
      };
      const pause = () => {
        sub?.unsubscribe();
        sub = null;
      };
      let begun = false;
      const start = () => {
        begun = true;
        if (typeof document === 'undefined' || !document.hidden) follow();
        else answered(); // nothing shown to hold back work for
      };
      const onVisibility = () => (document.hidden ? pause() : begun && follow());
      if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibility);
      if (options.later) void afterFirstContent().then(start);
      else start();
      return () => {
        stopped = true;
        answered();
        if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisibility);
        pause();
      };
    });
  }
}
