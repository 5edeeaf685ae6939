// Background Sync with no page open: the service worker runs the same sync engine over the same
// store and outbox as the page (sync.js, store.js, api.js), once per `sync` event. Where a page is
// open the service worker only wakes it (one engine at a time is simpler to reason about); pushing
// twice would still be safe, because the server answers a repeated (client_id, mutation_id) with
// its first result and the outbox only lets go of a mutation after an answer.

import { transport } from './api.js';
import { DB_NAME, openStore } from './store.js';
import { SyncEngine } from './sync.js';

/**
 * Push the outbox (and pull) from the service worker. Resolves with what happened; rejects when
 * work is left that a later attempt could send (offline, server error), so the browser retries the
 * `sync` event with its own backoff. A session that has ended, or records needing the user, wait
 * for the app to be opened.
 */
export async function pushWithoutPage({ idb = globalThis.indexedDB, isOnline = () => globalThis.navigator.onLine, lastChance = false } = {}) {
  // After a logout the store is gone: do not create an empty one (and there is nothing to send).
  if (idb.databases && !(await idb.databases()).some((d) => d.name === DB_NAME)) return 'no-store';
  const store = await openStore({ idb });
  let engine;
  try {
    if (!(await store.getMeta('user'))) return 'no-user';
    engine = new SyncEngine({ store, transport, isOnline });
    await engine.sync('background');
    engine.stop(); // no timers in a service worker: the browser's own retry takes over
    const { waiting, files } = await store.summary();
    if (engine.state.authRequired) return 'auth';
    if ((waiting || files) && !lastChance) throw new Error(`${waiting + files} change(s) still waiting: retry later`);
    return waiting || files ? 'gave-up' : 'synced';
  } finally {
    if (engine) engine.stop();
    store.close();
  }
}
