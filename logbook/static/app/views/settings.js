// Settings and account: storage status, the sync log, sync now, log out (warns about unsent work,
// then wipes everything this app keeps on the phone).

import { navigation, formatDate, h, mount } from '../dom.js';

async function storageStatus() {
  if (!navigator.storage || !navigator.storage.persisted) return { persisted: null };
  const persisted = await navigator.storage.persisted().catch(() => null);
  const estimate = navigator.storage.estimate ? await navigator.storage.estimate().catch(() => null) : null;
  return { persisted, estimate };
}

function mb(bytes) { return `${(bytes / 1024 / 1024).toFixed(1)} MB`; }

export async function settingsScreen(ctx) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  const status = await ctx.engine.status();
  const storage = await storageStatus();
  const log = await ctx.store.recentLog(30);

  const persistText = storage.persisted === null ? 'This browser cannot say whether it keeps the app’s data.'
    : storage.persisted ? 'Kept: the phone will not clear your entries to free space.'
      : 'Not guaranteed: the phone may clear the app’s data when space runs low. Sync often.';
  const askPersist = storage.persisted === false && navigator.storage.persist
    ? h('button', { type: 'button', class: 'secondary', onclick: async () => { await navigator.storage.persist(); settingsScreen(ctx); } }, 'Ask to keep data')
    : null;

  const syncNow = h('button', { type: 'button', class: 'secondary', id: 'sync-now' }, 'Sync now');
  syncNow.addEventListener('click', async () => {
    syncNow.disabled = true;
    if (ctx.engine.state.authRequired) { ctx.showLogin('Log in to send your changes.'); return; }
    await ctx.engine.sync('manual');
    settingsScreen(ctx);
  });

  const logoutBox = h('div', { class: 'confirm', id: 'logout-confirm', hidden: true, role: 'alertdialog', 'aria-labelledby': 'logout-warning' });
  const logout = h('button', { type: 'button', class: 'danger', id: 'logout' }, 'Log out');
  logout.addEventListener('click', async () => {
    const { waiting, files, attention } = await ctx.store.summary();
    const unsent = waiting + files;
    if (!unsent && !attention) { await ctx.logout(); return; }
    logoutBox.replaceChildren(
      h('p', { id: 'logout-warning' }, h('strong', {}, `${unsent + attention} change${unsent + attention === 1 ? ' has' : 's have'} not reached the server. `),
        'Logging out deletes everything this app keeps on this phone, including those changes.'),
      h('button', { type: 'button', class: 'secondary', onclick: async () => { await ctx.engine.sync('logout'); settingsScreen(ctx); } }, 'Try to send them first'),
      h('button', { type: 'button', class: 'danger', id: 'logout-anyway', onclick: () => ctx.logout() }, 'Log out and delete them'));
    logoutBox.hidden = false;
    logout.hidden = true;
    logoutBox.querySelector('button').focus();
  });

  mount(view, h('section', { 'aria-labelledby': 'settings-title' },
    h('h1', { id: 'settings-title' }, 'Settings'),
    h('div', { class: 'card' }, h('h2', {}, 'Account'),
      h('p', {}, h('strong', {}, ctx.user.name)), h('p', { class: 'muted' }, ctx.user.email || '')),
    h('nav', { class: 'card', 'aria-labelledby': 'account-links-title' }, h('h2', { id: 'account-links-title' }, 'Your account'),
      h('ul', { class: 'list plain links' },
        [['/app/settings/registrations', 'settings-registrations', 'Registrations', 'Regulator, number, renewal date'],
          ['/app/settings/notifications', 'settings-notifications', 'Notifications', 'What you were told, and when to tell you'],
          ['/app/settings/calendar', 'settings-calendar', 'Calendar feed', 'Your supervision sessions in your calendar app'],
          ['/app/settings/record', 'settings-record', 'Your record', 'As credentials or for Mahara; import a spreadsheet or a Mahara export'],
          ['/app/settings/password', 'settings-password', 'Password', 'Change it; logs you out everywhere else']]
          .map(([href, id, label, hint]) => h('li', {}, h('a', { href, id, class: 'nav-link' }, h('span', {}, label), h('span', { class: 'muted line' }, hint)))))),
    h('div', { class: 'card' }, h('h2', {}, 'Sync'),
      h('p', { id: 'sync-summary' }, status.label,
        status.lastSyncedAt ? ` · last synced ${new Date(status.lastSyncedAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}` : ''),
      status.lastError ? h('p', { class: 'error' }, status.lastError) : null,
      status.nextRetryAt ? h('p', { class: 'muted' }, `Next try at ${new Date(status.nextRetryAt).toLocaleTimeString('en-GB')}`) : null,
      syncNow),
    h('div', { class: 'card' }, h('h2', {}, 'Storage on this phone'),
      h('p', { id: 'persist-status' }, persistText),
      storage.estimate ? h('p', { class: 'muted' }, `Using ${mb(storage.estimate.usage || 0)} of ${mb(storage.estimate.quota || 0)} available.`) : null,
      askPersist),
    h('div', { class: 'card' }, h('h2', {}, 'Sync log'),
      log.length ? h('ol', { class: 'sync-log' }, log.map((l) => h('li', {},
        h('time', { datetime: l.at }, `${formatDate(l.at)} ${new Date(l.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`), ' ', l.message)))
        : h('p', { class: 'muted' }, 'Nothing yet.')),
    h('div', { class: 'card' }, h('h2', {}, 'Exports'),
      h('p', {}, 'Print your portfolio for your regulator or appraisal, take your full record to a new employer or bring one with you',
        '.'),
      h('a', { class: 'button secondary', href: '/app/exports', id: 'open-exports' }, 'Open exports'),
      (ctx.user.roles || []).includes('org_admin')
        ? h('a', { class: 'button secondary', href: '/app/admin/export', id: 'open-staff-export' }, 'Staff export (Admin)') : null),
    h('div', { class: 'card' }, h('h2', {}, 'Log out'),
      h('p', {}, 'On a shared phone, log out when you finish: nothing of yours stays on it.'),
      logout, logoutBox)), { nav });
}
