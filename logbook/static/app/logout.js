// Logging out while offline. The server's session cannot be ended without a connection, and its
// HttpOnly cookie survives the wipe of IndexedDB and caches, so the next start on a shared phone
// could carry on the previous person's session. A marker kept outside the wiped stores
// (localStorage holds nothing else of the app's) makes the next start end that session before
// anything else, and the app shows the login screen until it has.

const KEY = 'cpd-logbook-logout-pending';

function storage() {
  try { return globalThis.localStorage || null; } catch { return null; } // blocked storage: no marker
}

export function isLogoutPending(store = storage()) {
  return Boolean(store && store.getItem(KEY));
}

export function markLogoutPending(store = storage(), now = new Date()) {
  if (store) store.setItem(KEY, now.toISOString());
}

export function clearLogoutPending(store = storage()) {
  if (store) store.removeItem(KEY);
}

/**
 * End the server session: true when the server answered (ended now, or there was none to end);
 * false when it could not be reached, so the marker stays and the next start (or `online`) tries again.
 */
export async function endServerSession(logout, store = storage()) {
  try {
    await logout();
  } catch (err) {
    const status = err && typeof err.status === 'number' ? err.status : 0;
    if (!(status >= 400 && status < 500)) return false; // offline, or the server failed: try again later
  }
  clearLogoutPending(store);
  return true;
}
