// Dev tool (not a benchmark): CPU profile of the community worker while a community file is imported.
// Usage: node --import tsx tests/bench/profile-import.ts <generated-10k|se-bicycles-meta> <out.cpuprofile> [port]
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
  await profiler.start();
  const imported = await importCommunityFile(device.page, file, 600_000, { navigate: false });
  console.error('imported', imported);
  if (process.env.WRITE_STATS) console.error('WRITES', JSON.stringify(await profiler.evaluate('JSON.stringify(globalThis.__ws)')));
  const profile = await profiler.stop();
  writeFileSync(out, JSON.stringify(profile));
  await device.close();
} finally {
  server.kill();
}
process.exit(0);
