// Vitest setup for the test files that share a worker (vite.config.ts, project `shared`): each file starts
// as it did in a process of its own, with an empty IndexedDB, real timers and the globals it was given.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, vi } from 'vitest';

// Node imports `fake-indexeddb/auto` once per worker, so its one factory would keep every earlier file's
// databases: two files that name a database `search-0` would meet in it.
const fresh = new IDBFactory();
Object.defineProperty(globalThis, 'indexedDB', { value: fresh, configurable: true, writable: true, enumerable: false });

// Dexie reads the factory once, when it is first imported, into `Dexie.dependencies`; a Dexie loaded by an
// earlier file of this worker (it registers itself under this symbol) is pointed at the new one.
const dexie = (globalThis as Record<symbol, { dependencies: { indexedDB: unknown; IDBKeyRange: unknown } } | undefined>)[Symbol.for('Dexie')];
if (dexie) {
  dexie.dependencies.indexedDB = fresh;
  dexie.dependencies.IDBKeyRange = IDBKeyRange;
}

// Vitest restores spies after a file, not fake timers or stubbed globals: a file that leaves them
// behind (a failing test's own cleanup never ran) would hand them to the next one.
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});
