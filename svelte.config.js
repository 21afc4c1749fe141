import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // SPA: every route falls back to index.html, which the service worker precaches.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    alias: { $workers: 'workers' },
    serviceWorker: { register: false },
    // The relay (Node, relay/) runs the app's gate, and the workers (workers/) run its store and sync:
    // type-checked with the app, in one program (a second one for the workers checked most of src/lib again).
    typescript: {
      config: (config) => ({
        ...config,
        include: [...config.include, '../relay/**/*.ts', '../workers/**/*.ts', '../scripts/eval-recs.ts', '../scripts/data/se-interactions.ts']
      })
    }
  }
};
