// Work that can wait (opening a community's Yjs document, the inbox following every community)
// starts once the page has shown what it first asked for: every live query has answered and a
// frame has been painted. Loading a 100,000-record document holds the main thread for seconds,
// and a feed query's cursor cannot advance meanwhile.

let waiting = 0;
const onQuiet = new Set<() => void>();

/** Counts a query until its first answer; call the returned function when it answers or fails (once is enough). */
export function awaitingFirstAnswer(): () => void {
  waiting++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--waiting > 0) return;
    const callbacks = [...onQuiet];
    onQuiet.clear();
    for (const callback of callbacks) callback();
  };
}

/**
 * Resolves once no query awaits its first answer and a frame has been painted after that, or after
 * `maxMs` whatever happens (a background tab paints no frames).
 */
export function afterFirstContent(maxMs = 5000): Promise<void> {
  if (typeof window === 'undefined') return Promise.resolve();
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      onQuiet.delete(check);
      resolve();
    };
    const check = () => {
      if (done) return;
      if (waiting > 0) return void onQuiet.add(check);
      // Look again after the frame: what it rendered may have asked for more.
      requestAnimationFrame(() => setTimeout(() => (waiting > 0 ? check() : finish()), 0));
    };
    const deadline = setTimeout(finish, maxMs);
    check();
  });
}

/**
 * Resolves in a task of its own once the page is idle (`requestIdleCallback`), or after `maxMs`
 * whatever happens; where there is no idle callback (Safari), on the next macrotask. For work done
 * ahead of need (building formatters, loading the code of the next page) that should neither share
 * a task with what the page renders now nor wait past the moment it is needed.
 */
export function whenIdle(maxMs = 500): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: maxMs });
    else setTimeout(resolve, 0);
  });
}
