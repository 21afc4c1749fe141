// Vitest setup (vite.config.ts, the project that shares its workers): each test file starts with an empty
// IndexedDB, as it did in a process of its own. Files that share a worker import `fake-indexeddb/auto`
// once (Node caches it), so its one factory would keep every earlier file's databases: two files that
// name a database `search-0` would meet in it.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';

const fresh = new IDBFactory();
Object.defineProperty(globalThis, 'indexedDB', { value: fresh, configurable: true, writable: true, enumerable: false });

// Dexie reads the factory once, when it is first imported, into `Dexie.dependencies`; a Dexie loaded by an
// earlier file of this worker (it registers itself under this symbol) is pointed at the new one.
const dexie = (globalThis as Record<symbol, { dependencies: { indexedDB: unknown; IDBKeyRange: unknown } } | undefined>)[Symbol.for('Dexie')];
if (dexie) {
  dexie.dependencies.indexedDB = fresh;
  dexie.dependencies.IDBKeyRange = IDBKeyRange;
}
