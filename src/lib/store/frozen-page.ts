// A page the browser freezes (a hidden tab: Page Lifecycle `freeze`; or one kept in the back/forward
// cache) runs no more tasks, so an IndexedDB transaction it has open never completes: its requests'
// answers wait in the frozen page, and the transaction holds its tables. The community worker, shared
// with the tab in front, then waits to write over them: the member's reply in the other tab stayed
// "sending" for 60–118 s behind a frozen tab's read of the records or its write of a setting
// (Chromium 156, 3 of 6 freezes in tests/e2e/worker.spec.ts). So a page's open transactions are
// aborted as it freezes: a read is asked again when the page is shown (state/live), and what a page
// writes in the background (its inbox's place, when it last met peers) is written again later.
import type { DBCore, DBCoreTransaction, Dexie, Middleware } from 'dexie';

/** Calls `listener` when this page is frozen or kept in the back/forward cache. */
export function onPageStopped(listener: () => void): void {
  document.addEventListener('freeze', listener);
  window.addEventListener('pagehide', (e) => e.persisted && listener());
}

/** In a page (not a worker, which the browser freezes only with every page it serves), aborts `db`'s transactions as the page freezes. */
export function abortWhenPageFreezes(db: Dexie): void {
  if (typeof document !== 'undefined') db.use(abortedWhenFrozen());
}

/**
 * A Dexie middleware that keeps the database's open transactions and aborts them when `onStopped`
 * calls back. `onStopped` is for unit tests; a page's is `onPageStopped`.
 */
export function abortedWhenFrozen(onStopped: (listener: () => void) => void = onPageStopped): Middleware<DBCore> {
  const open = new Set<IDBTransaction>();
  onStopped(() => {
    for (const tx of open) {
      try {
        tx.abort();
      } catch {
        // Finished meanwhile (its `complete` not yet dispatched): nothing holds its tables.
      }
    }
    open.clear();
  });
  return {
    stack: 'dbcore',
    name: 'AbortedWhenFrozen',
    create: (down) => ({
      ...down,
      transaction(stores, mode, options) {
        const tx: DBCoreTransaction = down.transaction(stores, mode, options);
        // Dexie's IndexedDB core hands out the IDBTransaction itself.
        if (typeof IDBTransaction !== 'undefined' && tx instanceof IDBTransaction) {
          open.add(tx);
          const done = () => open.delete(tx);
          tx.addEventListener('complete', done);
          tx.addEventListener('abort', done);
        }
        return tx;
      }
    })
  };
}
