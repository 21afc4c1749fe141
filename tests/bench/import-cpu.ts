// Dev tool (not a benchmark): a community file's import on the creator's device, timed both as wall
// time and as the CPU time Chromium's processes spent on it (browser, renderer with the page and the
// community worker, storage), which tells changes apart on a machine shared with other work, where
// the wall time follows the load.
// Usage: node --import tsx tests/bench/import-cpu.ts <generated-10k|se-bicycles-meta> [port] [runs]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { importCommunityFile, openDevice, storageUsed, waitForServer } from './browser-bench';
import { importIdentity } from './sync-bench';
import { processCpu } from './proc-cpu';
import { ensureDataset, type DatasetName } from '../../scripts/data/datasets';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';

const [name, portArg, runsArg] = process.argv.slice(2);
const port = Number(portArg ?? 4391);
const base = `http://127.0.0.1:${port}`;

/** CPU seconds (user + system) of the processes whose command line names `profile`, and their descendants. */
function cpuSeconds(profile: string): number {
  const procs = processCpu();
  const roots = new Set([...procs].filter(([, p]) => p.cmdline.includes(profile)).map(([pid]) => pid));
  let sum = 0;
  for (const [pid, { own, children }] of procs) {
    for (let p: string | undefined = pid; p && p !== '0'; p = procs.get(p)?.ppid) {
      if (roots.has(p)) {
        sum += own + children;
        break;
      }
    }
  }
  return sum;
}

/** IndexedDB's files by kind, in MB: LevelDB's logs and tables, and blobs (values over 64 KiB). */
function idbFiles(profile: string): Record<string, number> {
  const out: Record<string, number> = { logs: 0, tables: 0, blobs: 0, other: 0 };
  const walk = (dir: string, blob: boolean) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, blob || e.name.endsWith('.blob'));
      else {
        const kind = blob ? 'blobs' : e.name.endsWith('.log') ? 'logs' : e.name.endsWith('.ldb') ? 'tables' : 'other';
        out[kind] += statSync(path).size / 1024 / 1024;
      }
    }
  };
  const dir = join(profile, 'Default', 'IndexedDB');
  if (existsSync(dir)) walk(dir, false);
  for (const k of Object.keys(out)) out[k] = Number(out[k].toFixed(1));
  return out;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--no-signaling'], { stdio: 'inherit' });
try {
  await waitForServer(base, server);
  const { file } = await ensureDataset(name as DatasetName, { log: console.error });
  for (let run = 0; run < Number(runsArg ?? 1); run++) {
    const profile = mkdtempSync(join(tmpdir(), 'hearth-import-cpu-'));
    const device = await openDevice(profile, base);
    try {
      await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
      await device.page.goto('/');
      await device.page.waitForTimeout(1000);
      const before = cpuSeconds(profile);
      const loadBefore = load();
      const imported = await importCommunityFile(device.page, file, 600_000, { navigate: false });
      const cpu = cpuSeconds(profile) - before;
      const used = await storageUsed(device.page);
      console.log(
        JSON.stringify({
          wallMs: Math.round(imported.ms),
          cpuS: Number(cpu.toFixed(1)),
          storageKb: Math.round(used / 1024),
          idbMb: idbFiles(profile),
          imported: imported.imported,
          rejected: imported.rejected,
          load: `${loadBefore} → ${load()}`
        })
      );
    } finally {
      await device.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
    }
  }
} finally {
  server.kill();
}
process.exit(0);
