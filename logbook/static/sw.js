// Service worker: precache the app shell under a cache named by the assets' version hash; serve
// the shell offline; wait for the user before switching to a new version; on Background Sync, wake
// an open page to sync, or push the outbox itself when no page is open.
//
// A module worker (main.js registers it with type 'module'). Browsers without module service
// workers get /sw-classic.js: this file without the line marked module-only (web.py), where
// pushWithoutPage is null and Background Sync only wakes open pages.
import { pushWithoutPage } from '/static/app/background-sync.js'; // module-only

const ASSETS_URL = '/sw-assets.json';
const SHELL_PREFIX = 'logbook-shell-';
const META = 'logbook-meta';

// Reads never create a cache (caches.open would): after logout wipes them, nothing reappears.
async function metaGet(key) {
  if (!(await caches.has(META))) return null;
  const hit = await (await caches.open(META)).match(key);
  return hit ? hit.text() : null;
}
async function metaPut(key, value) {
  await (await caches.open(META)).put(key, new Response(value));
}

/** Fetch the asset list and store every asset under the cache named by its version. */
async function precache() {
  const { version, assets } = await (await fetch(ASSETS_URL, { cache: 'no-store' })).json();
  const cache = await caches.open(SHELL_PREFIX + version);
  await cache.addAll(assets.map((url) => new Request(url, { cache: 'reload' })));
  return version;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const version = await precache();
    // The running version stays in charge until this one activates (after the user agrees).
    await metaPut('/pending-version', version);
    if (!(await metaGet('/current-version'))) await self.skipWaiting(); // first install: nothing to replace
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const version = await metaGet('/pending-version');
    if (version) await metaPut('/current-version', version);
    for (const name of await caches.keys()) {
      if (name.startsWith(SHELL_PREFIX) && name !== SHELL_PREFIX + version) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data && event.data.type === 'ENSURE_SHELL') {
    // A logout wiped the caches while this worker stayed registered (the page logged in again):
    // precache the shell again so the next person's app still opens offline.
    event.waitUntil((async () => {
      // The page asking is running, so it can be claimed now. The claim in 'activate' misses a page
      // whose document was still loading then (one that navigated, e.g. to log in, during the first
      // install), which would stay uncontrolled until its next reload.
      await self.clients.claim().catch(() => {});
      const current = await metaGet('/current-version');
      if (current && (await caches.has(SHELL_PREFIX + current))) return;
      await metaPut('/current-version', await precache());
    })());
  }
});

async function fromShell(path) {
  const version = await metaGet('/current-version');
  if (!version || !(await caches.has(SHELL_PREFIX + version))) return null;
  return (await caches.open(SHELL_PREFIX + version)).match(path);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // data goes through the app's own store and sync
  if (request.mode === 'navigate') {
    // Server-rendered pages (password reset, external sign-off, /verify) are not app screens.
    if (url.pathname !== '/' && !url.pathname.startsWith('/app/')) return;
    // The shell is the same for every screen: serve it from the cache (fast on a slow network,
    // identical to what the precache holds); the network copy is only a fallback.
    event.respondWith((async () => (await fromShell('/')) || fetch(request))());
    return;
  }
  if (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest') {
    event.respondWith((async () => (await fromShell(url.pathname)) || fetch(request))());
  }
});

// Background Sync (Chromium): the network is back. An open page runs its own sync engine (asked
// here); with no page open, this worker pushes the outbox itself with the same modules. Pages also
// sync on their own when they start, come online or become visible (iOS has no Background Sync).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'logbook-sync') return;
  event.waitUntil((async () => {
    // Every open page of the app, controlled or not (one opened during the first install may not be
    // yet): an open page syncs itself, so the worker never pushes behind its back.
    const pages = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true }))
      .filter((client) => { const path = new URL(client.url).pathname; return path === '/' || path.startsWith('/app'); });
    for (const client of pages) client.postMessage({ type: 'sync' });
    if (!pages.length && pushWithoutPage) await pushWithoutPage({ lastChance: event.lastChance });
  })());
});
