// Pieces several screens share: local entry lists, sync state per record, cached server documents.

import { h } from '../dom.js';

/** Entries on this phone, newest first, without deleted ones; each with its display state. */
export async function visibleEntries(store) {
  const all = await store.allEntries();
  return all
    .filter((r) => !r.is_deleted)
    .map((r) => ({ ...r, display: r.state === 'conflict' || r.state === 'rejected' ? r.state : r.pending ? 'pending' : 'synced' }))
    .sort((a, b) => String(b.data.start_date || '').localeCompare(String(a.data.start_date || ''))
      || String(b.local_updated_at || b.data.updated_at || '').localeCompare(String(a.local_updated_at || a.data.updated_at || '')));
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
