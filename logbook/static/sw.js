// Service worker: precache the app shell under a versioned cache; network-first for pages.

const ASSETS_URL = '/sw-assets.json';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const { version, assets } = await (await fetch(ASSETS_URL, { cache: 'no-store' })).json();
    const cache = await caches.open(`logbook-shell-${version}`);
    await cache.addAll(assets);
    const meta = await caches.open('logbook-meta');
    await meta.put('/current-version', new Response(version));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const meta = await caches.open('logbook-meta');
    const current = await (await meta.match('/current-version')).text();
    for (const name of await caches.keys()) {
      if (name.startsWith('logbook-shell-') && name !== `logbook-shell-${current}`) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function shellCache() {
  const meta = await caches.open('logbook-meta');
  const hit = await meta.match('/current-version');
  return caches.open(`logbook-shell-${hit ? await hit.text() : 'none'}`);
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // data goes through the app's own store and sync
  if (event.request.mode === 'navigate') {
    event.respondWith(fetch(event.request).catch(async () => (await shellCache()).match('/')));
    return;
  }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith((async () => (await (await shellCache()).match(url.pathname)) || fetch(event.request))());
  }
});
