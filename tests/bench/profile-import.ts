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
  const cdp = await device.context.newCDPSession(device.page);
  const importing = importCommunityFile(device.page, file);
  let worker: { targetId: string } | undefined;
  for (let i = 0; i < 600 && !worker; i++) {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    worker = targetInfos.find((t) => t.type === 'shared_worker');
    if (!worker) await new Promise((r) => setTimeout(r, 20));
  }
  if (!worker) throw new Error('no community worker');
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
  let id = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  cdp.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) => {
    const m = JSON.parse(e.message);
    if (m.id && waiting.has(m.id)) waiting.get(m.id)!(m.result ?? m.error);
  });
  const send = (method: string, params: object = {}) =>
    new Promise((resolve) => {
      const mid = ++id;
      waiting.set(mid, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: mid, method, params }) });
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 1000 });
  await send('Profiler.start');
  const imported = await importing;
  console.error('imported', imported);
  const { profile } = (await send('Profiler.stop')) as { profile: unknown };
  writeFileSync(out, JSON.stringify(profile));
  await device.close();
} finally {
  server.kill();
}
process.exit(0);
