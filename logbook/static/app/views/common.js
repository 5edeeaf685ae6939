// Pieces several screens share: local entry lists, sync state per record, cached server documents.

import { h } from '../dom.js';

let cached = { store: null, generation: -1, list: [] };
let loading = null; // one read at a time: a screen asking during a warm-up waits for it

/**
 * Entries on this phone, newest first, without deleted ones; each with its display state. Kept in
 * memory until the entries store next changes, so screens do not re-read 2,000 records.
 */
export async function visibleEntries(store) {
  if (cached.store === store && cached.generation === store.generation) return cached.list;
  if (loading && loading.store === store && loading.generation === store.generation) return loading.promise;
  const generation = store.generation;
  const promise = (async () => {
    const all = await store.allEntries();
    const list = [];
    for (const r of all) {
      if (r.is_deleted) continue;
      r.display = r.state === 'conflict' || r.state === 'rejected' ? r.state : r.pending ? 'pending' : 'synced';
      r.sortKey = `${r.data.start_date || ''}|${r.local_updated_at || r.data.updated_at || ''}`;
      list.push(r);
    }
    list.sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
    if (store.generation === generation) cached = { store, generation, list };
    return list;
  })();
  loading = { store, generation, promise };
  try {
    return await promise;
  } finally {
    if (loading && loading.promise === promise) loading = null;
  }
}

/** A server document kept in the store for offline use: fresh when online, the cached copy otherwise. */
export async function cachedFetch(store, key, fetcher) {
  try {
    const value = await fetcher();
    const wrapped = { value, fetched_at: new Date().toISOString() };
    await store.setCached(key, wrapped);
    return { ...wrapped, fresh: true };
  } catch (err) {
    const hit = await store.getCached(key);
    return hit ? { ...hit, fresh: false, error: err } : { value: null, fresh: false, error: err };
  }
}

export function emptyState(text, action) {
  return h('div', { class: 'empty' }, h('p', {}, text), action || null);
}
