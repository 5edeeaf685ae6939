// App entry: opens the local store, decides who is logged in (online or from the store when
// offline), routes between screens, keeps the sync status honest and offers app updates.

import { api, ApiError, transport } from './api.js';
import { h, mount, navigation } from './dom.js';
import { openStore } from './store.js';
import { endServerSession, isLogoutPending, markLogoutPending, clearLogoutPending } from './logout.js';
import { SyncEngine, startAutoSync } from './sync.js';
import { loginScreen } from './views/login.js';
import { homeScreen } from './views/home.js';
import { quickLogScreen, editScreen } from './views/entry-form.js';
import { logbookScreen } from './views/logbook.js';
import { entryScreen } from './views/entry.js';
import { conflictScreen } from './views/conflict.js';
import { settingsScreen } from './views/settings.js';
import { visibleEntries } from './views/common.js';
import { decisionScreen, superviseScreen } from './views/supervise.js';
import { checkinScreen, eventScreen, eventsScreen, newEventScreen, qrScreen } from './views/events.js';
import { insightsScreen } from './views/insights.js';
import { exportsScreen } from './views/exports.js';
import { recordFormatsScreen } from './views/record-formats.js';
import { newSessionScreen, sessionScreen, sessionsScreen } from './views/sessions.js';
import { calendarScreen, notificationsScreen, passwordScreen, registrationsScreen } from './views/account.js';
import { adminScreen } from './views/admin.js';
import { gapsScreen } from './views/gaps.js';
import { cyclesScreen } from './views/cycles.js';

const view = () => document.getElementById('view');
const ctx = { store: null, engine: null, user: null, stopSync: null };

const ROUTES = [
  [/^\/$/, () => homeScreen(ctx)],
  [/^\/app\/log$/, () => quickLogScreen(ctx)],
  [/^\/app\/logbook$/, () => logbookScreen(ctx)],
  [/^\/app\/entry\/([0-9a-f-]{36})$/, (id) => entryScreen(ctx, id)],
  [/^\/app\/entry\/([0-9a-f-]{36})\/edit$/, (id) => editScreen(ctx, id)],
  [/^\/app\/entry\/([0-9a-f-]{36})\/conflict$/, (id) => conflictScreen(ctx, id)],
  [/^\/app\/settings$/, () => settingsScreen(ctx)],
  [/^\/app\/settings\/notifications$/, () => notificationsScreen(ctx)],
  [/^\/app\/settings\/calendar$/, () => calendarScreen(ctx)],
  [/^\/app\/settings\/password$/, () => passwordScreen(ctx)],
  [/^\/app\/settings\/registrations$/, () => registrationsScreen(ctx)],
  [/^\/app\/settings\/record$/, () => recordFormatsScreen(ctx)],
  // paths that notifications and their emails carry
  [/^\/app\/entries\/([0-9a-f-]{36})$/, (id) => entryScreen(ctx, id)],
  [/^\/app\/supervision$/, () => sessionsScreen(ctx)],
  [/^\/app\/supervise$/, () => superviseScreen(ctx)],
  [/^\/app\/supervise\/([0-9a-f-]{36})$/, (id) => decisionScreen(ctx, id)],
  [/^\/app\/events$/, () => eventsScreen(ctx)],
  [/^\/app\/events\/new$/, () => newEventScreen(ctx)],
  [/^\/app\/events\/([0-9a-f-]{36})$/, (id) => eventScreen(ctx, id)],
  [/^\/app\/events\/([0-9a-f-]{36})\/qr$/, (id) => qrScreen(ctx, id)],
  [/^\/app\/checkin\/([^/]{1,200})$/, (code) => checkinScreen(ctx, code)],
  [/^\/app\/insights$/, () => insightsScreen(ctx)],
  [/^\/app\/exports$/, () => exportsScreen(ctx)],
  [/^\/app\/sessions$/, () => sessionsScreen(ctx)],
  [/^\/app\/sessions\/new$/, () => newSessionScreen(ctx)],
  [/^\/app\/sessions\/([0-9a-f-]{36})$/, (id) => sessionScreen(ctx, id)],
  [/^\/app\/admin(?:\/([a-z-]+(?:\/[0-9a-f-]{36})?))?$/, (rest) => adminScreen(ctx, rest || '')], // views/admin.js routes its sections
  [/^\/app\/gaps$/, () => gapsScreen(ctx)],
  [/^\/app\/cycles$/, () => cyclesScreen(ctx)],
];

function route() {
  if (!ctx.user) return;
  navigation.id += 1;
  const path = location.pathname;
  for (const [pattern, render] of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      markTab(path);
      render(...m.slice(1)).catch(showCrash);
      return;
    }
  }
  go('/', { replace: true });
}

function showCrash(err) {
  mount(view(), h('section', { class: 'card' }, h('h1', {}, 'Something went wrong'),
    h('p', {}, 'Your entries are safe on this phone. Try again, or reload the app.'),
    h('p', { class: 'muted' }, String(err && err.message ? err.message : err))));
}

/** Move to another screen without reloading (history API; the server serves the shell for /app/*). */
export function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  route();
}
ctx.go = go;

function markTab(path) {
  const tab = path === '/' ? 'home' : path.split('/')[2];
  for (const a of document.querySelectorAll('#tabbar a, #admin-link')) {
    if (a.dataset.tab === tab || (tab === 'entry' && a.dataset.tab === 'logbook')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

document.addEventListener('click', (event) => {
  const a = event.target.closest && event.target.closest('a[href]');
  if (!a || a.target || event.defaultPrevented || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !(url.pathname === '/' || url.pathname.startsWith('/app/'))) return;
  event.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener('popstate', route);

// --- sync status -----------------------------------------------------------------------------

async function renderStatus() {
  const el = document.getElementById('sync-status');
  if (!ctx.engine) { el.replaceChildren(); return; }
  const s = await ctx.engine.status();
  if (s.phase === 'idle' || s.phase === 'offline') warmEntryList();
  const target = s.authRequired ? '/app/settings' : s.attention ? '/app/logbook?show=attention' : '/app/settings';
  el.replaceChildren(h('a', { href: target, class: `status status-${s.tone}`, 'data-tone': s.tone },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), s.label));
  if (s.authRequired && ctx.user && !ctx.loginShown) {
    ctx.loginShown = true;
    showLogin('Your session has ended. Your changes are kept on this phone and will be sent when you log in again.');
  }
  document.dispatchEvent(new CustomEvent('sync-status', { detail: s }));
}
ctx.refreshStatus = renderStatus;

// After a sync, rebuild the in-memory entry list while the phone is idle, so the logbook opens
// from memory instead of reading every record out of IndexedDB when the user taps it.
let warmTimer = null;
function warmEntryList() {
  clearTimeout(warmTimer);
  warmTimer = setTimeout(() => {
    const run = () => { if (ctx.store) visibleEntries(ctx.store).catch(() => null); };
    if ('requestIdleCallback' in window) requestIdleCallback(run, { timeout: 2000 }); else run();
  }, 300);
}

/** Called by screens after a local change: update the status at once, push shortly. */
ctx.changed = () => {
  renderStatus();
  ctx.engine.schedule();
  requestBackgroundSync();
};

async function requestBackgroundSync() {
  // Where the browser has Background Sync, it wakes the app's service worker when the network
  // returns even if this tab is in the background; the page-driven path covers the rest (iOS).
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register('logbook-sync');
  } catch { /* not available: page-driven sync only */ }
}

// --- session ---------------------------------------------------------------------------------

async function startApp(user) {
  ctx.user = user;
  ctx.loginShown = false;
  registerServiceWorker(); // again after a logout on this page removed it
  await ctx.store.setMeta('user', user);
  document.getElementById('tabbar').hidden = false;
  document.querySelector('[data-tab="supervise"]').hidden = !(user.roles || []).includes('supervisor');
  document.getElementById('admin-link').hidden = !(user.roles || []).includes('org_admin');
  document.querySelector('[data-tab="insights"]').hidden = !(user.roles || []).some((r) => r === 'org_admin' || r === 'team_manager');
  // six or seven tabs on a phone: the CSS shortens 'Log CPD' so no label wraps
  document.getElementById('tabbar').dataset.tabs = String(document.querySelectorAll('#tabbar a:not([hidden])').length);
  if (!ctx.engine) {
    ctx.engine = new SyncEngine({ store: ctx.store, transport, isOnline: () => navigator.onLine });
    ctx.engine.addEventListener('change', renderStatus);
    ctx.stopSync = startAutoSync(ctx.engine, window);
  } else if (ctx.engine.state.authRequired) {
    ctx.engine.resumeAfterLogin();
  } else {
    ctx.engine.sync('login');
  }
  renderStatus();
  route();
}

/** A person has just logged in (password or single sign-on): start the app for them, after wiping
 *  what another person left on this phone (refused while that person's changes wait to be sent). */
async function acceptLogin(user) {
  const owner = await ctx.store.getMeta('user');
  if (owner && owner.id !== user.id) {
    const { waiting } = await ctx.store.summary();
    if (waiting) {
      await api.logout().catch(() => null);
      throw new Error(`This phone holds ${waiting} unsent change(s) by ${owner.name}. ${owner.name} must log in to send them first.`);
    }
    await wipeLocal();
    ctx.store = await openStore();
  }
  clearLogoutPending(); // logging in replaced (and ended) any session left from an offline logout
  if (location.pathname === '/app/login') history.replaceState(null, '', '/');
  await startApp(user);
}

function showLogin(message) {
  navigation.id += 1; // a screen still loading must not draw over the login form
  document.getElementById('tabbar').hidden = true;
  document.getElementById('admin-link').hidden = true;
  loginScreen(ctx, message, acceptLogin);
}

/** Back from the organisation's sign-in (the server adds ?signed_in=sso): the session cookie is
 *  set, so ask the server who signed in, and take the marker out of the address. */
async function finishSingleSignOn() {
  const params = new URLSearchParams(location.search);
  if (params.get('signed_in') !== 'sso') return false;
  params.delete('signed_in');
  const query = params.toString();
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  try {
    await acceptLogin(await api.me());
  } catch (err) {
    showLogin(err instanceof ApiError && err.status === 401 ? '' : err.message);
  }
  return true;
}
ctx.showLogin = showLogin;

/** Delete everything this app keeps on the phone: IndexedDB, caches, the service worker. */
export async function wipeLocal() {
  if (ctx.stopSync) ctx.stopSync();
  ctx.stopSync = null;
  ctx.engine = null;
  if (ctx.store) await ctx.store.wipe();
  ctx.store = null;
  if (window.caches) for (const name of await caches.keys()) await caches.delete(name);
  if (navigator.serviceWorker) {
    for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
  }
}

ctx.logout = async () => {
  markLogoutPending(); // first: if the tab dies mid-logout, the next start still ends the session
  const ended = await endServerSession(api.logout);
  await wipeLocal();
  ctx.user = null;
  ctx.store = await openStore();
  renderStatus();
  history.replaceState(null, '', '/');
  if (!ended) endSessionWhenOnline();
  showLogin(ended ? 'You have logged out. Nothing of yours is left on this phone.'
    : 'You have logged out. Nothing of yours is left on this phone. You are offline: your session on the server ends as soon as the app next has a connection.');
};

/** Keep trying to end a session left by an offline logout each time the network comes back. */
function endSessionWhenOnline() {
  const retry = async () => {
    if (!isLogoutPending() || (await endServerSession(api.logout))) window.removeEventListener('online', retry);
  };
  window.addEventListener('online', retry);
}

/**
 * The app starts after a logout that could not reach the server: end that session before anything
 * else (finish the wipe too, in case the tab closed half way), then ask to log in.
 */
async function finishOfflineLogout() {
  const ended = await endServerSession(api.logout);
  if (!ended) endSessionWhenOnline();
  await wipeLocal();
  ctx.store = await openStore();
  showLogin('');
}

async function start() {
  try {
    ctx.store = await openStore();
  } catch (err) {
    showCrash(err);
    return;
  }
  if (await finishSingleSignOn()) return;
  if (isLogoutPending()) {
    await finishOfflineLogout();
    return;
  }
  const cached = await ctx.store.getMeta('user');
  if (!cached) {
    // Nobody has used the app on this phone since the last logout: nothing to ask the server.
    showLogin('');
    return;
  }
  try {
    await startApp(await api.me());
  } catch (err) {
    if (err instanceof ApiError && err.status === 0 && cached) {
      await startApp(cached); // offline: carry on with what this phone knows
    } else if (err instanceof ApiError && err.status === 401) {
      const { waiting } = await ctx.store.summary();
      showLogin(waiting && cached
        ? `Your session has ended. ${waiting} change${waiting === 1 ? ' is' : 's are'} kept on this phone and will be sent when you log in.`
        : '');
    } else {
      showLogin(err instanceof ApiError && err.status === 0 ? 'You are offline. Log in once you have a connection.' : '');
    }
  }
}

// --- service worker and updates ----------------------------------------------------------------

function offerUpdate(worker) {
  const banner = document.getElementById('update-banner');
  banner.hidden = false;
  document.getElementById('update-reload').onclick = () => {
    ctx.updating = true;
    worker.postMessage({ type: 'SKIP_WAITING' });
  };
}

/** Register (or re-register after a logout removed it) the service worker; offer updates. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  // A module worker can push the outbox itself when no page is open (background-sync.js);
  // browsers without module service workers get the same worker without that part.
  navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'module' })
    .catch(() => navigator.serviceWorker.register('/sw-classic.js', { scope: '/' })).then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(worker);
      });
    });
    // After a logout on this page the browser may revive the old registration instead of
    // installing again, so the wiped shell cache would stay empty: ask the worker to refill it.
    return navigator.serviceWorker.ready.then((ready) => ready.active && ready.active.postMessage({ type: 'ENSURE_SHELL' }));
  }).catch(() => null);
}

if ('serviceWorker' in navigator) {
  registerServiceWorker();
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading || !ctx.updating) return; // the first install claims the page: no reload needed
    reloading = true;
    location.reload();
  });
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'sync' && ctx.engine) ctx.engine.sync('background');
  });
}
if (navigator.storage && navigator.storage.persist) {
  navigator.storage.persisted().then((yes) => (yes ? true : navigator.storage.persist())).catch(() => null);
}
start();
