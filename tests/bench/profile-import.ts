// Dev tool (not a benchmark): CPU profile of the community worker while a community file is imported.
// Usage: node --import tsx tests/bench/profile-import.ts <generated-10k|se-bicycles-meta> <out.cpuprofile> [port]
// With TX_STATS=1, the community worker's IndexedDB transactions are counted by the stores they
// span and their mode, with the time from their start to their end (summed, so overlapping ones
// count twice), and its requests by store and method; printed on stderr after the import.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { importCommunityFile, openDevice, waitForServer } from './browser-bench';
import { importIdentity } from './sync-bench';
import { ensureDataset, type DatasetName } from '../../scripts/data/datasets';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';
import { workerProfiler } from './worker-profiler';

/** Counts the worker's IndexedDB transactions and requests (`TX_STATS`), patched on its prototypes. */
const TX_COUNTER = `(() => {
  const tx = (globalThis.__tx = { transactions: 0, byStores: {}, requests: {} });
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    const key = (typeof stores === 'string' ? [stores] : [...stores]).sort().join(',') + ' ' + (mode || 'readonly');
    const t = open.call(this, stores, mode, ...rest);
    const start = performance.now();
    const row = (tx.byStores[key] ??= { n: 0, ms: 0 });
    tx.transactions++;
    row.n++;
    const end = () => (row.ms += performance.now() - start);
    t.addEventListener('complete', end);
    t.addEventListener('abort', end);
    return t;
  };
  for (const method of ['get', 'getAll', 'getAllKeys', 'put', 'add', 'delete', 'count', 'openCursor', 'openKeyCursor']) {
    for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype]) {
      const original = proto[method];
      if (!original) continue;
      proto[method] = function (...args) {
        const store = this instanceof IDBIndex ? this.objectStore.name + '.' + this.name : this.name;
        const key = store + ' ' + method;
        tx.requests[key] = (tx.requests[key] ?? 0) + 1;
        return original.apply(this, args);
      };
    }
  }
})()`;

const [name, out, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 4388);
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--no-signaling'], { stdio: 'inherit' });
try {
  await waitForServer(base, server);
  const { file } = await ensureDataset(name as DatasetName, { log: console.error });
  const device = await openDevice(mkdtempSync(join(tmpdir(), 'hearth-prof-')), base);
  await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
  await device.page.goto('/');
  await device.page.waitForTimeout(1000);
  // The profiler attaches to the worker of this page before the import starts: attaching while the
  // import's own navigation replaced the page left the import waiting for ever.
  const profiler = await workerProfiler(device.page);
  if (process.env.TX_STATS) await profiler.evaluate(TX_COUNTER);
  await profiler.start();
  const imported = await importCommunityFile(device.page, file, 600_000, { navigate: false });
  console.error('imported', imported);
  if (process.env.TX_STATS) console.error('TX', await profiler.evaluate('JSON.stringify(globalThis.__tx)'));
  if (process.env.WRITE_STATS) console.error('WRITES', JSON.stringify(await profiler.evaluate('JSON.stringify(globalThis.__ws)')));
  const profile = await profiler.stop();
  writeFileSync(out, JSON.stringify(profile));
  await device.close();
} finally {
  server.kill();
}
process.exit(0);
