// A frozen page's open transactions are aborted as it freezes, so the community worker's writes over
// the same tables do not wait for a page that runs no more.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { abortedWhenFrozen } from './frozen-page';

let dbs = 0;

/** A page's database (with the middleware, frozen by `freeze`) and the worker's connection to the same one. */
async function pageAndWorker() {
  const name = `frozen-page-${++dbs}`;
  let freeze = () => {};
  const page = new Dexie(name);
  page.version(1).stores({ settings: 'key' });
  page.use(abortedWhenFrozen((listener) => (freeze = listener)));
  const worker = new Dexie(name);
  worker.version(1).stores({ settings: 'key' });
  await page.open();
  await worker.open();
  return { page, worker, freeze: () => freeze() };
}

/**
 * A transaction the page keeps open: its reads go on (as a frozen page's transaction stays open while
 * the answers to its requests wait in the page) until it is aborted.
 */
function keptOpen(page: Dexie): Promise<unknown> {
  return page.transaction('r', 'settings', async () => {
    for (;;) await page.table('settings').get('anything');
  });
}

const settled = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => 'written'), new Promise((done) => setTimeout(() => done('waiting'), ms))]);

describe('a page frozen with a transaction open', () => {
  it("has it aborted, and the worker's write over the same table goes through", async () => {
    const { page, worker, freeze } = await pageAndWorker();
    const reading = keptOpen(page);
    await new Promise((r) => setTimeout(r, 20));
    const write = worker.table('settings').put({ key: 'k', value: 1 });
    expect(await settled(write, 100)).toBe('waiting');
    freeze();
    expect(await settled(write, 2_000)).toBe('written');
    await expect(reading).rejects.toThrow(/abort/i);
    expect(await worker.table('settings').get('k')).toEqual({ key: 'k', value: 1 });
  });

  it('keeps no finished transaction: the page reads and writes again once it runs', async () => {
    const { page, freeze } = await pageAndWorker();
    await page.table('settings').put({ key: 'before', value: 1 });
    freeze();
    await page.table('settings').put({ key: 'after', value: 2 });
    expect(await page.table('settings').toArray()).toEqual([
      { key: 'after', value: 2 },
      { key: 'before', value: 1 }
    ]);
  });
});
