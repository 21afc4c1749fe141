/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// Precaches the app shell so Hearth opens offline after one visit. All data lives in IndexedDB,
// so the shell is all that is needed; navigations fall back to the cached SPA page.
import { base, build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `hearth-shell-${version}`;
const SHELL = `${base}/`;
const ASSETS = [...build, ...files, SHELL];

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => sw.skipWaiting())
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('hearth-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim())
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (request.mode === 'navigate') {
        // Every route is the same SPA page; serve it from the cache first so the app opens instantly, even offline.
        const shell = await cache.match(SHELL);
        if (shell) return shell;
        return fetch(request);
      }
      const cached = await cache.match(url.pathname);
      if (cached) return cached;
      return fetch(request);
    })()
  );
});

// A notification shown through the service worker (mobile browsers allow no other kind): a click
// focuses an open Hearth window on the post, or opens one.
sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const link = (event.notification.data as { link?: unknown } | null)?.link;
  const url = new URL(typeof link === 'string' && link.startsWith('/') ? `${base}${link}` : `${base}/`, sw.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === sw.location.origin);
      if (open) {
        await open.focus();
        await open.navigate(url).catch(() => undefined);
      } else {
        await sw.clients.openWindow(url);
      }
    })()
  );
});
