import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// y-webrtc and the Hocuspocus provider (relays) read peers' messages with y-protocols/sync; this alias hands them our
// gated copy (src/lib/sync/gated-sync-protocol.ts) so every incoming update is filtered first.
// Exact match only: the gated module itself imports lib0 and yjs, never `y-protocols/sync`.
const gatedSync = { find: /^y-protocols\/sync$/, replacement: fileURLToPath(new URL('./src/lib/sync/gated-sync-protocol.ts', import.meta.url)) };

// Every `@lucide/svelte/icons/*` component renders through lucide's `../Icon.svelte`: pointed at
// src/lib/ui/lucide-icon.svelte, the same <svg> without an effect per shape (see that file).
const lightIcons: Plugin = {
  name: 'hearth-lucide-icon',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === '../Icon.svelte' && importer && /@lucide[\\/]svelte[\\/]dist[\\/]icons[\\/]/.test(importer)) {
      return fileURLToPath(new URL('./src/lib/ui/lucide-icon.svelte', import.meta.url));
    }
  }
};

// The service worker precaches what the client build's Vite manifest lists (`$service-worker`'s
// `build`), and Vite leaves the worker bundles out of it (sveltejs/kit#12438): offline, a worker a
// page had not started yet (the analysis worker, on a newcomer's first reply: its trust level) could
// not be loaded, and the write waited for it for ever ("Sending…"). Listed here, they are precached
// with the rest of the app.
const workersInManifest: Plugin = {
  name: 'hearth-workers-in-manifest',
  apply: 'build',
  writeBundle(options, bundle) {
    if (this.environment.name !== 'client' || !options.dir) return;
    const file = join(options.dir, '.vite', 'manifest.json');
    if (!existsSync(file)) return;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { file: string }>;
    for (const name of Object.keys(bundle)) if (/\/workers\/.+\.js$/.test(name)) manifest[`hearth-worker:${name}`] = { file: name };
    writeFileSync(file, JSON.stringify(manifest, null, 2));
  }
};

// Test files that replace a module (vi.mock, vi.doMock) or load the graph again (vi.resetModules) keep a
// process each; the others share their worker's modules (see `projects` below). A mock in a shared worker
// misses the modules an earlier file already loaded with the real one, and stays for the files after it:
// eight of these files failed when everything shared.
const testDirs = ['src', 'workers', 'scripts', 'relay'];
const isolatedTests = testDirs
  .flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => join(dir, file)))
  .filter((file) => file.endsWith('.test.ts') && /\bvi\.(mock|doMock|resetModules)\(/.test(readFileSync(file, 'utf8')));

export default defineConfig({
  plugins: [lightIcons, sveltekit(), workersInManifest],
  resolve: { alias: [gatedSync] },
  // Pre-bundling would copy the gated module into the providers' bundle, a second instance with its
  // own registry of gates: the providers are served as plain modules so they import the app's copy.
  optimizeDeps: { exclude: ['y-webrtc', '@hocuspocus/provider'] },
  // y-webrtc -> simple-peer expects Node globals in the browser.
  define: { global: 'globalThis' },
  worker: { format: 'es' },
  // HEARTH_NO_MINIFY=1 keeps names in the build, for the dev tools' CPU profiles (tests/bench/profile-*.ts).
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 800,
    minify: process.env.HEARTH_NO_MINIFY ? false : 'esbuild',
    // Chunks under 20 kB without side effects (an icon, a helper two routes share) are merged into a
    // chunk loaded in the same conditions: 98 chunks became 45, the first load 38 scripts 18 (121.1
    // → 124.4 kB gzip), and the page's start has fewer modules to fetch and fewer preload links to
    // append (one per dependency, ~60 for a community's route): a cold offline start at 10k painted
    // its first rows ~100 ms sooner (944–1,114 ms against 1,038–1,221, interleaved runs).
    // The Chinese dictionaries (i18n/*zh-CN.ts, ~52 kB) are one chunk of their own, loaded only when a
    // reader picks Chinese: left to the merging above, a small chunk of the first load (an icon,
    // automation's wording) was merged into theirs, and the first load grew 128.4 → 145.6 kB gzip.
    // @noble/curves and @noble/hashes (Ed25519 invite keys, X25519 member boxes) are a chunk of their
    // own for the same reason: the merging put crypto/encoding (base64url, which the first screen
    // uses) and the media helpers into their chunk, and every start loaded the curves (first load
    // 145.8 → 131.8 kB gzip without them; a community's pages still load them, statically needed there).
    rollupOptions: {
      output: {
        experimentalMinChunkSize: 20_000,
        manualChunks: (id) =>
          /[\\/]src[\\/]lib[\\/]i18n[\\/][^\\/]*zh-CN\.ts$/.test(id) ? 'zh-CN' : /[\\/]node_modules[\\/]@noble[\\/]/.test(id) ? 'noble' : undefined
      }
    }
  },
  test: {
    setupFiles: ['tests/unit/byte-equality.ts'],
    environment: 'node',
    // One test file per core: vitest's own default for `run` is one core less, a single worker on the
    // two-core machines the suite runs on, which left a core idle while files ran one after another.
    maxWorkers: availableParallelism(),
    // Worker threads, not child processes (vitest's default): the same isolation per file (a fresh
    // worker with its own globals, fake-indexeddb's among them) without starting a Node process for
    // each of the ~140 files. Interleaved runs of every file but peer-sync.test.ts at load 7-11:
    // threads 350 and 320 s of wall time for 234 and 245 s of CPU, all passing; processes 369 and
    // 471 s for 276 and 273 s, two timing tests failing in each under that load (relay cluster and
    // scheduler; webrtc-chunking's deflate). peer-sync.test.ts keeps its own run in a process
    // (package.json test:unit), the conditions it was made reliable in.
    // Back to processes (2026-12-06, stop 53): two full runs in threads ended "Aborted" (exit 134, no
    // message, files left unrun), one at load 17 and one at load 4, and a helper saw a segmentation
    // fault in a large run. Processes cost more CPU; the timing tests that failed in them then wait for
    // what they wait on since stop 52.
    pool: 'forks',
    // Two files share a core's worth of CPU each, and crypto-heavy tests (attachments, Dexie on
    // fake-indexeddb) passed 5 s on a loaded machine: a hang still fails, after 20 s.
    testTimeout: 20_000,
    // On CI a failed test runs once more, as the journeys do (tests/playwright.config.ts): a stop whose
    // only failure was one race in a fake-indexeddb test (scheduler-reads, mended since: 10 of 10 with
    // both cores loaded, and every full run after) did not land. A test that fails twice still fails the run, and locally nothing is retried.
    // CI lists every test, so that a retried one shows ("(retry x1)"; the default reporter hides it).
    retry: process.env.CI ? 1 : 0,
    reporters: process.env.CI ? ['verbose'] : ['default'],
    // Inlined so that the alias above reaches their imports in tests too (externals skip Vite).
    server: { deps: { inline: ['y-webrtc', '@hocuspocus/provider'] } },
    // Most files share their worker process and the modules it has loaded (2026-12-07): a process per
    // file spent much of its CPU starting Node and importing the app again, 147 times. Each shared file
    // still starts with an empty fake-indexeddb, real timers and unstubbed globals (tests/unit/fresh-file.ts);
    // the files that mock modules keep a process each (`isolatedTests` above). Every file but
    // peer-sync.test.ts, runs alternating at load 3-8: a process per file 241, 280 and 253 s of wall time
    // for 268, 265 and 316 s of CPU (user + sys; Vitest's import phase 81-108 s); shared 121, 154 and
    // 153 s for 167, 159 and 167 s (import 29-35 s). 794 tests passed in each. With files and tests
    // shuffled (10 seeds), the failures left were races within one file that a process of its own does
    // not prevent (community-doc-flood.test's own write, seen failing alone; a 20 s timeout at load 15).
    // A worker peaks at 510-990 MB of memory, against 470-610.
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: testDirs.map((dir) => `${dir}/**/*.test.ts`),
          exclude: isolatedTests,
          isolate: false,
          setupFiles: ['tests/unit/fresh-file.ts']
        }
      },
      { extends: true, test: { name: 'isolated', include: isolatedTests } }
    ]
  }
});
