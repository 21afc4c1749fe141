// `npm run bench`: Hearth's figures on the real community (Bicycles Meta Stack Exchange) and on the
// generated 10,000-member community. Prints one JSON line per figure on stdout
//   {"bench": name, "value": n, "unit": "ms"|"kb", "data": "se-bicycles-meta"|"generated-10k"|"none"}
// and its progress on stderr. Figures of the generated community carry the suffix ".10k". The sync
// figures (sync.*) are taken between two devices on the real community (tests/bench/sync-figures.ts).
// Benchmarks never fail on a time. A sync figure whose end state is never reached is printed with
// "value": null and an "error"; any other step that cannot be carried out fails the run.
// The gate figures (gate.*) flood a page with one member's 20,000 threads from a Node peer (tests/bench/gate-figures.ts).
// The relay figures (relay.*) run 1,000 Node members on two relay processes and Redis (tests/bench/relay-figures.ts).
// The media figures (media.*) send photos and a 40 MiB file between two devices (tests/bench/media-figures.ts).
// Usage: npm run bench [-- --no-build] [--rebuild] [--only se-bicycles-meta|generated-10k|se-bicycles-meta-shards|generated-10k-shards|sync|search|gate|crypto|relay|media|first-feed]
//        [--shards|--no-shards] [--shards-first] [--sync-initial-only] [--no-sync] [--no-first-feed] [--no-search] [--no-gate] [--no-crypto] [--no-relay] [--no-media] [--no-analysis] [--storage-only] [--port 4399] [--blank-port 4398]
// Held in shards: the datasets' figures, the first feed and the newcomer's initial syncs (WebRTC and relay) are taken on
// each community twice, signed as one document (as before) and signed with `shards: 'month'` in its genesis (the
// `-shards` datasets, as the app makes new communities since 2026-12-06); the sharded figures carry the suffix ".shards"
// (`projection.build_ms.10k.shards`, `sync.first_feed_10k_ms.shards`). `--shards` takes the sharded ones only,
// `--no-shards` the single-document ones only. The Node figures (projection.pure_node_ms, crypto.*, rules.*) read the
// records alone, which are the same either way: taken once per community, under its single-document name.
// `--sync-initial-only`: of the sync figures, only the newcomer's initial syncs (not the latency and merge).
// `--storage-only`: of the datasets' figures, only the import's (projection.build_ms, storage.used_kb and its breakdown).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  feedPageQuery,
  firstLoadScripts,
  describeLayout,
  firstPaintMs,
  heldLayout,
  importCommunityFile,
  median,
  openDevice,
  openScrollAndPost,
  serviceWorkerReady,
  storageUsed,
  tableSizes,
  waitForServer
} from '../tests/bench/browser-bench';
import { analysisFigures, traceMainThread } from '../tests/bench/analysis-figures';
import type { Page } from '@playwright/test';
import { projectionOverhead, pureProjectionMs } from '../tests/bench/pure-projection';
import { rulesEvaluateMs } from '../tests/bench/rules-figures';
import { syncFigures } from '../tests/bench/sync-figures';
import { searchFigures } from '../tests/bench/search-figures';
import { gateFigures } from '../tests/bench/gate-figures';
import { mediaFigures } from '../tests/bench/media-figures';
import { FIRST_FEED_TIMEOUT_MS, firstFeed } from '../tests/bench/first-feed';
import { ALL_DATASETS, baseDataset, DATASETS, ensureDataset, isShardedDataset, shardedDataset, type BaseDatasetName, type DatasetName } from './data/datasets';
import { DEMO_CREATOR } from './data/community-plan';
import { storedKeysFor } from './data/member-keys';
import { importIdentity } from '../tests/bench/sync-bench';
import { SE_DATA_NAME } from './data/se-csv';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/**
 * `--port N` serves the app on N and the blank page on N - 1 (or `--blank-port M`), so two runs on one
 * machine do not collide.
 */
const PORT = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 4399;
const BLANK_PORT = args.includes('--blank-port') ? Number(args[args.indexOf('--blank-port') + 1]) : PORT - 1;
const BASE = `http://127.0.0.1:${PORT}`;
const BLANK = `http://127.0.0.1:${BLANK_PORT}/`;
/** The sync figures get their own server, with the y-webrtc signaling server, and a relay. */
const SYNC_PORT = 4397;
const SIGNALING_PORT = 4396;
const RELAY_PORT = 4395;
const SYNC_BASE = `http://127.0.0.1:${SYNC_PORT}`;
/** The gate figures' server and its signaling server (the Node peer finds the page through it). */
const GATE_PORT = 4393;
const GATE_SIGNALING_PORT = 4392;
const GATE_BASE = `http://127.0.0.1:${GATE_PORT}`;
/** The media figures' server and its signaling server (two devices over WebRTC). */
const MEDIA_PORT = Number(process.env.HEARTH_BENCH_MEDIA_PORT ?? 4391);
const MEDIA_SIGNALING_PORT = Number(process.env.HEARTH_BENCH_MEDIA_SIGNALING_PORT ?? 4390);
const MEDIA_BASE = `http://127.0.0.1:${MEDIA_PORT}`;
/** Restarts of the browser for the cold offline start; the median is reported. */
const COLD_RUNS = 3;

/** The first-feed figure's server and its signaling server (a newcomer joins the 10k community over WebRTC). */
const FIRST_FEED_PORT = 4389;
const FIRST_FEED_SIGNALING_PORT = 4388;
const FIRST_FEED_BASE = `http://127.0.0.1:${FIRST_FEED_PORT}`;

const SECTIONS = ['sync', 'search', 'gate', 'crypto', 'relay', 'media', 'first-feed'] as const;
type Section = (typeof SECTIONS)[number];
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] as DatasetName | Section) : null;
const isSection = (name: string | null): name is Section => SECTIONS.includes(name as Section);
const log = (line: string) => console.error(`[bench] ${line}`);
if (only && !isSection(only) && !ALL_DATASETS.includes(only)) {
  console.error(`--only takes one of ${[...ALL_DATASETS, ...SECTIONS].join(', ')}`);
  process.exit(2);
}
/** Which layouts of the communities are measured: held as one document, in shards, or both (the default). */
const layouts = { single: !args.includes('--shards'), shards: !args.includes('--no-shards') };
if (!layouts.single && !layouts.shards) {
  console.error('--shards and --no-shards leave nothing to measure');
  process.exit(2);
}
/** The datasets of `base` to measure: as one document and/or in shards, as the flags say; `--shards-first` measures the sharded one first (to alternate the order between runs). */
const variantsOf = (base: BaseDatasetName): DatasetName[] => {
  const both: DatasetName[] = [...(layouts.single ? [base] : []), ...(layouts.shards ? [shardedDataset(base)] : [])];
  return args.includes('--shards-first') ? both.reverse() : both;
};
const runSync = (only === null || only === 'sync') && !args.includes('--no-sync');
const runGate = (only === null || only === 'gate') && !args.includes('--no-gate');
const runMedia = (only === null || only === 'media') && !args.includes('--no-media');
const runFirstFeed = (only === null || only === 'first-feed') && !args.includes('--no-first-feed');
/** Only the import and the storage it leaves (no Node projection figures, feed query, cold starts or main-thread trace). */
const storageOnly = args.includes('--storage-only');

type Data = DatasetName | 'none';
function emit(bench: string, value: number, unit: 'ms' | 'kb' | 'mb' | 'mb/s' | '%', data: Data) {
  console.log(JSON.stringify({ bench, value: Math.round(value * 10) / 10, unit, data }));
}
/** A figure that could not be taken (a step did not complete): value null and the reason, so the gap shows. */
function fail(bench: string, unit: 'ms' | 'kb', data: Data, error: string) {
  console.log(JSON.stringify({ bench, value: null, unit, data, error }));
}
/** Node time to open every sealed record of a dataset (projectionOverhead), for the in-page ratio. */
const openingMs = new Map<string, number>();
const suffix = (data: DatasetName) => `${baseDataset(data) === 'generated-10k' ? '.10k' : ''}${isShardedDataset(data) ? '.shards' : ''}`;

function dirBytes(dir: string, only: (name: string) => boolean = () => true): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? dirBytes(path, only) : only(entry.name) ? statSync(path).size : 0;
  }
  return bytes;
}

/** IndexedDB's files in a profile: all, LevelDB's write-ahead logs (not yet compacted) and tables, and values kept as blob files. */
function indexedDbFiles(profile: string): string {
  const dir = join(profile, 'Default', 'IndexedDB');
  if (!existsSync(dir)) return '?';
  const mb = (only?: (name: string) => boolean) => (dirBytes(dir, only) / 1024 / 1024).toFixed(1);
  const blobs = readdirSync(dir)
    .filter((d) => d.endsWith('.blob'))
    .reduce((n, d) => n + dirBytes(join(dir, d)), 0);
  return `${mb()} MB (logs ${mb((f) => f.endsWith('.log'))}, tables ${mb((f) => f.endsWith('.ldb'))}, blobs ${(blobs / 1024 / 1024).toFixed(1)})`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild() {
  const index = join(root, 'build', 'index.html');
  const missing = !existsSync(index);
  const stale = !missing && newestMtime(join(root, 'src')) > statSync(index).mtimeMs;
  if (args.includes('--no-build') && !missing) return stale && log('build/ is older than src/ (--no-build: measuring it anyway)');
  if (!missing && !stale && !args.includes('--rebuild')) return;
  log(missing ? 'no build/: building the app' : stale ? 'build/ is older than src/: rebuilding' : 'rebuilding (--rebuild)');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/**
 * A copy of build/ with scripts/serve.js beside it (node_modules linked), served for the whole run:
 * sirv caches every file's size when it starts, so a rebuild of build/ during a run would make it
 * send wrong lengths and pages would hang mid-load. Removed at the end of the run.
 */
function snapshotApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-app-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(root, 'scripts', 'serve.js'), join(dir, 'scripts', 'serve.js'));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'build'), join(dir, 'build'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function serve(app: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [join(app, 'scripts', 'serve.js'), ...args], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A static page with nothing in it, on another origin so the app's service worker never answers it. */
function startBlankServer() {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body><p id="blank">blank</p></body></html>');
  });
  return new Promise<typeof server>((resolve) => server.listen(BLANK_PORT, '127.0.0.1', () => resolve(server)));
}

/** The longest main-thread task (wall) over open, scroll and post, and the most thread CPU one task took. */
async function mainThreadWhileUsing(page: Page, cid: string): Promise<{ longest: number; cpu: number }> {
  const cdp = await page.context().newCDPSession(page);
  const trace = await traceMainThread(cdp);
  await openScrollAndPost(page, cid);
  const longest = await trace.stop();
  await cdp.detach();
  return { longest, cpu: trace.longestCpuMs() };
}

async function benchDataset(name: DatasetName, file: string, first: boolean) {
  const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
  try {
    let device = await openDevice(profile, BASE);
    if (first) {
      const scripts = await firstLoadScripts(device.page, '/');
      log(`first load: ${scripts.files} scripts, ${(scripts.raw / 1024).toFixed(0)} kB raw, ${(scripts.gzip / 1024).toFixed(1)} kB gzip`);
      emit('bundle.first_load_kb_gzip', scripts.gzip / 1024, 'kb', 'none');
      const blank: number[] = [];
      for (let i = 0; i < 3; i++) {
        await device.page.goto(BLANK);
        blank.push(await firstPaintMs(device.page));
      }
      log(`blank page: ${blank.map((v) => v.toFixed(0)).join(', ')} ms`);
      emit('startup.blank_page_ms', median(blank), 'ms', 'none');
    }

    // The community's creator (the generated data's demo creator), so the device can post and runs
    // the creator's automation, as the person who imported their community would.
    await importIdentity(device.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
    if (!(await serviceWorkerReady(device.page))) log('warning: the service worker is not active; offline start will fail');

    log(`${name}: importing ${file}`);
    const imported = await importCommunityFile(device.page, file);
    const layout = await heldLayout(device.page, imported.cid);
    log(`${name}: ${imported.imported} records imported, ${imported.rejected} rejected, in ${(imported.ms / 1000).toFixed(1)} s; ${describeLayout(layout)}`);
    if (layout.sharded !== isShardedDataset(name)) log(`warning: ${name} is ${describeLayout(layout)}, not as its genesis says`);
    if (imported.rejected > 0) log(`warning: ${name} had rejected records; its figures describe a partial community`);
    emit(`projection.build_ms${suffix(name)}`, imported.ms, 'ms', name);
    // Opening every sealed record (Node, above) against the page's whole projection of the same records
    // (signature checks and IndexedDB included): the share encryption adds to what a device does on import.
    const opening = openingMs.get(baseDataset(name));
    if (opening !== undefined) emit(`crypto.project_overhead_in_page_pct${suffix(name)}`, (opening / imported.ms) * 100, '%', name);

    if (!storageOnly) {
      const query = await feedPageQuery(device.page, imported.cid);
      log(`${name}: feed page query ${query.rows} rows, first ${query.firstMs.toFixed(1)} ms, median ${query.medianMs.toFixed(1)} ms`);
      emit(`feed.page_query_ms${suffix(name)}`, query.medianMs, 'ms', name);
    }
    const used = await storageUsed(device.page);
    log(`${name}: storage used ${(used / 1024 / 1024).toFixed(1)} MB`);
    emit(`storage.used_kb${suffix(name)}`, used / 1024, 'kb', name);
    // Where it is: rows per table (as JSON), then the usage once reading them has let LevelDB compact.
    // IndexedDB's files are measured too: the browser's estimate lags them and misses compaction.
    log(`${name}: IndexedDB files ${indexedDbFiles(profile)}`);
    const tables = (await tableSizes(device.page)).filter((t) => t.rows > 0).sort((a, b) => b.jsonBytes - a.jsonBytes);
    log(
      `${name}: tables (rows, MB as JSON): ${tables.map((t) => `${t.db === 'hearth' ? '' : `${t.db}.`}${t.table} ${t.rows} ${(t.jsonBytes / 1024 / 1024).toFixed(1)}`).join(', ')}`
    );
    log(
      `${name}: storage used after reading every table ${((await storageUsed(device.page)) / 1024 / 1024).toFixed(1)} MB, IndexedDB files ${indexedDbFiles(profile)}`
    );
    if (storageOnly) {
      await device.close();
      return;
    }

    // Open the community once online, so the feed is known to paint, then start cold and offline.
    await device.page.goto(`/c/${imported.cid}`);
    await firstPaintMs(device.page);
    await device.close();
    const cold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      device = await openDevice(profile, BASE, { offline: true });
      await device.page.goto(`/c/${imported.cid}`);
      cold.push(await firstPaintMs(device.page));
      const controlled = await device.page.evaluate(() => navigator.serviceWorker.controller !== null);
      if (!controlled) log('warning: the offline page was not served by the service worker');
      await device.close();
    }
    log(`${name}: cold offline start ${cold.map((v) => v.toFixed(0)).join(', ')} ms`);
    emit(`startup.cold_offline_ms${suffix(name)}`, median(cold), 'ms', name);

    // The longest main-thread task while a member opens the community, scrolls the feed and posts
    // (the document, gate and projection writer run in the community worker, not on this thread).
    device = await openDevice(profile, BASE);
    try {
      const { longest, cpu } = await mainThreadWhileUsing(device.page, imported.cid);
      log(`${name}: longest main-thread task over open, scroll and post ${longest.toFixed(0)} ms (the most thread CPU in one task ${cpu.toFixed(0)} ms)`);
      emit(`main.max_task_ms${suffix(name)}`, longest, 'ms', name);
      emit(`main.max_task_cpu_ms${suffix(name)}`, cpu, 'ms', name);
    } catch (error) {
      // Reported, not thrown: the figures already taken stand, and the browser is closed before its profile goes.
      fail(`main.max_task_ms${suffix(name)}`, 'ms', name, String(error).split('\n')[0]);
    } finally {
      await device.close();
    }
  } finally {
    // Chromium may still be writing into the profile for a moment after closing.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
  }
}

async function main() {
  const started = Date.now();
  const names = isSection(only) ? [] : only ? [only] : DATASETS.flatMap(variantsOf);
  const datasets = [];
  for (const name of names) datasets.push(await ensureDataset(name, { log }));
  const syncData = [];
  for (const name of runSync ? variantsOf(SE_DATA_NAME) : []) syncData.push(await ensureDataset(name, { log }));
  const firstFeedData = [];
  for (const name of runFirstFeed ? variantsOf('generated-10k') : []) firstFeedData.push(await ensureDataset(name, { log }));
  for (const { meta } of datasets) {
    log(`${meta.name}: ${meta.records} records, ${meta.members} members, ${meta.threads} threads, ${meta.replies} replies, ${meta.reactions} reactions`);
  }

  // The same records whichever the layout: once per community, on its single-document file if it is measured.
  const nodeData = new Map<BaseDatasetName, string>();
  for (const d of datasets) if (!nodeData.has(baseDataset(d.meta.name))) nodeData.set(baseDataset(d.meta.name), d.file);
  for (const [name, file] of storageOnly ? [] : nodeData) {
    const meta = { name };
    const pure = pureProjectionMs(file);
    log(`${meta.name}: pure projection (Node) ${pure.threads} threads, ${pure.replies} replies, ${pure.members} members`);
    emit(`projection.pure_node_ms${suffix(meta.name)}`, pure.medianMs, 'ms', meta.name);
    const overhead = await projectionOverhead(file);
    openingMs.set(meta.name, overhead.openMs);
    log(
      `${meta.name}: projection of ${overhead.sealed} sealed records: ${overhead.sealedMs.toFixed(0)} ms (opening ${overhead.openMs.toFixed(0)} ms) vs ${overhead.plainMs.toFixed(0)} ms in clear`
    );
    emit(`crypto.project_overhead_pct${suffix(meta.name)}`, overhead.overheadPct, '%', meta.name);
    emit(`crypto.project_sealed_ms${suffix(meta.name)}`, overhead.sealedMs, 'ms', meta.name);
    const rules = rulesEvaluateMs(file);
    log(`${meta.name}: rules and trust levels for ${rules.members} members (${rules.actions} actions due)`);
    emit(`rules.evaluate_all_ms${suffix(meta.name)}`, rules.medianMs, 'ms', meta.name);
  }

  if (only !== 'relay') ensureBuild();
  const app = datasets.length || syncData.length || runGate || runMedia || firstFeedData.length ? snapshotApp() : null;
  try {
    if (app && datasets.length) {
      const server = serve(app, ['--port', String(PORT), '--no-signaling']);
      const blank = await startBlankServer();
      try {
        await waitForServer(BASE, server);
        for (const [i, { meta, file }] of datasets.entries()) await benchDataset(meta.name, file, i === 0);
        // Analysis figures (recs.*, graph.*, dashboard.*, analysis.*): the worker's analyses (tests/bench/analysis-figures.ts).
        // They read the projections, which are the same whichever the layout: taken on the single-document datasets only.
        const analysed = datasets.filter((d) => !isShardedDataset(d.meta.name));
        if (!args.includes('--no-analysis') && !storageOnly && analysed.length) await analysisFigures({ baseURL: BASE, datasets: analysed, emit, log });
      } finally {
        server.kill();
        blank.close();
      }
    }

    if (app && syncData.length) {
      // Peers find each other through the real signaling server that serve.js starts.
      const server = serve(app, ['--port', String(SYNC_PORT), '--signaling-port', String(SIGNALING_PORT)]);
      try {
        await waitForServer(SYNC_BASE, server);
        await syncFigures({
          baseURL: SYNC_BASE,
          relayPort: RELAY_PORT,
          datasets: syncData,
          emit,
          fail,
          log,
          initialOnly: args.includes('--sync-initial-only')
        });
      } finally {
        server.kill();
      }
    }

    if (app && runGate) {
      // Gate figures (gate.*): a page flooded by one member through the real signaling server and WebRTC.
      const server = serve(app, ['--port', String(GATE_PORT), '--signaling-port', String(GATE_SIGNALING_PORT)]);
      try {
        await waitForServer(GATE_BASE, server);
        await gateFigures({ baseURL: GATE_BASE, emit, fail, log });
      } finally {
        server.kill();
      }
    }

    if (app && runMedia) {
      // Media figures (media.*): photos and a large file between two devices through the real signaling server and WebRTC.
      const server = serve(app, ['--port', String(MEDIA_PORT), '--signaling-port', String(MEDIA_SIGNALING_PORT)]);
      try {
        await waitForServer(MEDIA_BASE, server);
        await mediaFigures({ baseURL: MEDIA_BASE, emit, fail, log });
      } finally {
        server.kill();
      }
    }

    if (app && firstFeedData.length) {
      // sync.first_feed_10k_ms: a newcomer joins the generated 10k community over WebRTC (tests/bench/first-feed.ts).
      const server = serve(app, ['--port', String(FIRST_FEED_PORT), '--signaling-port', String(FIRST_FEED_SIGNALING_PORT)]);
      try {
        await waitForServer(FIRST_FEED_BASE, server);
        for (const { meta, file } of firstFeedData) {
          const figure = `sync.first_feed_10k_ms${isShardedDataset(meta.name) ? '.shards' : ''}`;
          log(`first feed: a newcomer joins ${meta.name} (${meta.records} records) over WebRTC`);
          // A step that fails (the creator's invite not made in time on a loaded machine) loses this figure, not the other layout's.
          const r = await firstFeed({ baseURL: FIRST_FEED_BASE, file, timeoutMs: FIRST_FEED_TIMEOUT_MS, log }).catch((error: unknown) => {
            fail(figure, 'ms', meta.name, String(error).split('\n')[0]);
            return null;
          });
          if (!r) continue;
          log(`  records: creator ${r.creatorRecords}, newcomer ${r.newcomerRecords} when the first row showed or the wait ended`);
          if (r.ms !== null) emit(figure, r.ms, 'ms', meta.name);
          else
            fail(
              figure,
              'ms',
              meta.name,
              `no feed row ${FIRST_FEED_TIMEOUT_MS / 1000} s after opening the invite (newcomer held ${r.newcomerRecords} of the creator's ${r.creatorRecords} records)`
            );
        }
      } finally {
        server.kill();
      }
    }
  } finally {
    if (app) rmSync(app, { recursive: true, force: true });
  }
  // Read-access crypto figures (crypto.*): rotation for 10,000 members, sealing and opening, in Node.
  if ((only === null || only === 'crypto') && !args.includes('--no-crypto')) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'tests/bench/crypto-figures.ts'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    for (const line of child.stdout.split('\n')) if (line.startsWith('{')) console.log(line);
    if (child.status !== 0) log(`crypto figures failed (exit ${child.status}): ${child.stderr.slice(-500)}`);
  }
  // Relay cluster figures (relay.*): its own process (1,000 members' connections, 4 full replicas).
  if ((only === null || only === 'relay') && !args.includes('--no-relay')) {
    const child = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', 'tests/bench/relay-figures.ts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024
    });
    for (const line of child.stdout.split('\n')) if (line.startsWith('{')) console.log(line);
    if (child.status !== 0) log(`relay figures failed (exit ${child.status})`);
  }
  // Search figures (search.*): the generated community grown to 50,000 posts (tests/bench/search-figures.ts).
  if ((only === null || only === 'search') && !args.includes('--no-search')) await searchFigures({ emit, log });
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  // The gate figures' Node WebRTC peer (@roamhq/wrtc) keeps native threads alive after it is closed.
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  }
);
