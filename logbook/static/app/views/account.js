// Account screens reached from Settings: notifications and when they come, the calendar feed of
// one's supervision sessions, changing one's password, and one's own registrations. All of them
// change the account on the server, so they need a connection; reading the notifications and the
// registrations works offline from the copy saved when they were last opened online.

import { api, ApiError } from '../api.js';
import { field, formatDate, h, mount, navigation } from '../dom.js';
import { REGULATOR_LABELS } from '../kinds.js';
import { cachedFetch, emptyState } from './common.js';

const OFFLINE = 'You are offline. This needs a connection: try again when you are back online.';

function back() {
  return h('p', { class: 'back-row' }, h('a', { href: '/app/settings', class: 'back' }, '‹ Settings'));
}

function problem(err) {
  if (err instanceof ApiError && err.status === 0) return OFFLINE;
  return err && err.message ? err.message : String(err);
}

/** Field errors from the server (`{"fields": {"name": ["reason"]}}`) shown under their inputs. */
function showFieldErrors(err, inputs) {
  const fields = (err instanceof ApiError && err.fields) || {};
  let first = null;
  for (const [name, { input, errorEl }] of Object.entries(inputs)) {
    const reasons = fields[name];
    errorEl.textContent = reasons ? [].concat(reasons).join(' ') : '';
    if (reasons) { input.setAttribute('aria-invalid', 'true'); first = first || input; } else input.removeAttribute('aria-invalid');
  }
  if (first) first.focus();
}

/** Notification links are app paths; older ones named screens by other paths. */
export function appPath(link) {
  if (typeof link !== 'string' || !link.startsWith('/')) return null;
  return link.replace(/^\/app\/entries\//, '/app/entry/').replace(/^\/app\/supervision$/, '/app/sessions');
}

// --- notifications and their schedule --------------------------------------------------------

export async function notificationsScreen(ctx) {
  const nav = navigation.id;
  const [list, prefs] = await Promise.all([
    cachedFetch(ctx.store, 'notifications', api.notifications),
    cachedFetch(ctx.store, 'notification-preferences', api.notificationPreferences),
  ]);
  const items = (list.value && list.value.items) || [];
  const prefItems = (prefs.value && prefs.value.items) || [];
  const online = list.fresh || prefs.fresh;
  const status = h('p', { class: 'error', id: 'prefs-status', role: 'status' });

  const rows = prefItems.map((p) => ({
    kind: p.kind,
    inApp: h('input', { type: 'checkbox', id: `pref-${p.kind}-app`, checked: p.is_in_app }),
    email: h('input', { type: 'checkbox', id: `pref-${p.kind}-email`, checked: p.is_email }),
    lead: h('input', { type: 'number', id: `pref-${p.kind}-lead`, min: 0, max: 120, inputmode: 'numeric', value: String(p.lead_days) }),
    pref: p,
  }));
  const save = h('button', { type: 'submit', class: 'primary', id: 'save-prefs' }, 'Save');
  const form = h('form', { class: 'card', id: 'prefs-form', novalidate: true, 'aria-labelledby': 'prefs-title' },
    h('h2', { id: 'prefs-title' }, 'When to tell you'),
    h('p', { class: 'muted' }, 'For each kind: in the app, by email, and how many days ahead for things that fall due.'),
    rows.map((r) => h('fieldset', { class: 'pref' },
      h('legend', {}, r.pref.label, r.pref.is_default ? h('span', { class: 'muted' }, ' (default)') : null),
      h('div', { class: 'choices' },
        h('label', { class: 'choice', for: r.inApp.id }, r.inApp, 'In the app'),
        h('label', { class: 'choice', for: r.email.id }, r.email, 'By email')),
      ['supervision_due', 'action_due', 'renewal_window'].includes(r.kind)
        ? h('div', { class: 'field inline' }, h('label', { for: r.lead.id }, 'Days ahead'), r.lead) : null)),
    status, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    const body = rows.map((r) => ({
      kind: r.kind, is_in_app: r.inApp.checked, is_email: r.email.checked,
      lead_days: Math.max(0, Math.min(120, Number.parseInt(r.lead.value, 10) || 0)),
    }));
    save.disabled = true;
    try {
      const saved = await api.setNotificationPreferences(body);
      await ctx.store.setCached('notification-preferences', { value: saved, fetched_at: new Date().toISOString() });
      status.className = 'notice ok';
      status.textContent = 'Saved.';
    } catch (err) {
      status.className = 'error';
      status.textContent = problem(err);
    } finally {
      save.disabled = false;
    }
  });

  const listBlock = h('div', { class: 'card', 'aria-labelledby': 'notes-title' },
    h('h2', { id: 'notes-title' }, 'Latest'),
    list.fresh ? null : h('p', { class: 'muted' }, list.value ? `Saved copy from ${formatDate(list.fetched_at)}: you are offline.` : 'Shown once the app has been online.'),
    items.length ? h('ul', { class: 'list plain notifications', id: 'notification-list' }, items.map((n) => {
      const to = appPath(n.link);
      const title = to ? h('a', { href: to, 'data-id': n.id }, n.title) : h('span', {}, n.title);
      return h('li', { class: n.read_at ? 'read' : 'unread' },
        h('span', { class: 'note-title' }, n.read_at ? null : h('span', { class: 'badge badge-status-submitted' }, 'New'), ' ', title),
        n.body ? h('span', { class: 'muted line' }, n.body) : null,
        h('span', { class: 'muted line' }, formatDate(n.created_at)));
    })) : (list.value ? emptyState('No notifications yet.') : null));
  listBlock.addEventListener('click', (event) => {
    const a = event.target.closest && event.target.closest('a[data-id]');
    if (a) api.markNotificationRead(a.dataset.id).catch(() => null); // best effort: the link still opens
  });

  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'notifications-title' },
    back(),
    h('h1', { id: 'notifications-title' }, 'Notifications'),
    listBlock,
    prefItems.length ? form : h('div', { class: 'card' }, h('h2', {}, 'When to tell you'), h('p', {}, online ? 'Nothing to set.' : OFFLINE)),
    !prefs.fresh && prefItems.length ? h('p', { class: 'muted', id: 'prefs-offline' }, 'Saving needs a connection.') : null), { nav });
}

// --- calendar feed ---------------------------------------------------------------------------

/** A feed URL as a `webcal:` link, which calendar apps on phones open as a subscription. */
export function webcalUrl(url) {
  return String(url).replace(/^https?:/, 'webcal:');
}

export async function calendarScreen(ctx) {
  const nav = navigation.id;
  const status = h('p', { id: 'calendar-status', role: 'status' });
  const result = h('div', { id: 'calendar-result' });
  const make = h('button', { type: 'button', class: 'primary', id: 'calendar-new' }, 'Make my calendar link');
  const stop = h('button', { type: 'button', class: 'danger', id: 'calendar-stop' }, 'Stop every calendar link');

  const showUrl = (url) => {
    const input = h('input', { id: 'calendar-url', type: 'text', readonly: true, value: url, class: 'mono' });
    const copy = h('button', { type: 'button', class: 'secondary', id: 'calendar-copy' }, 'Copy link');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(url);
        status.className = 'notice ok';
        status.textContent = 'Copied. Paste it into your calendar app as a subscription (“From URL” or “Add by URL”).';
      } catch {
        input.select();
        status.className = 'notice';
        status.textContent = 'Select the link above and copy it.';
      }
    });
    result.replaceChildren(
      h('label', { for: 'calendar-url' }, 'Your calendar link'), input,
      h('p', { class: 'hint' }, 'It is shown only now. Anyone with it can see the dates and titles of your supervision sessions: keep it to yourself.'),
      h('div', { class: 'row' }, copy, h('a', { class: 'button secondary', href: webcalUrl(url), id: 'calendar-webcal' }, 'Open in calendar app')));
    make.textContent = 'Make a new link (stops the old one)';
  };
  make.addEventListener('click', async () => {
    make.disabled = true;
    status.className = '';
    status.textContent = '';
    try {
      showUrl((await api.newCalendarFeed()).url);
    } catch (err) {
      status.className = 'error';
      status.textContent = problem(err);
    } finally {
      make.disabled = false;
    }
  });
  stop.addEventListener('click', async () => {
    stop.disabled = true;
    try {
      await api.stopCalendarFeeds();
      result.replaceChildren();
      make.textContent = 'Make my calendar link';
      status.className = 'notice ok';
      status.textContent = 'Every calendar link you made has stopped working. Calendars subscribed to one keep what they had but get nothing new.';
    } catch (err) {
      status.className = 'error';
      status.textContent = problem(err);
    } finally {
      stop.disabled = false;
    }
  });

  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'calendar-title' },
    back(),
    h('h1', { id: 'calendar-title' }, 'Calendar feed'),
    h('div', { class: 'card' },
      h('h2', {}, 'Your supervision sessions in your calendar'),
      h('p', {}, 'A calendar feed is a private web address your calendar app (Google, Outlook, Apple) checks every few hours. '
        + 'Subscribe to it once and your supervision sessions, past year and upcoming, appear there and stay up to date.'),
      h('p', { class: 'muted' }, 'For safety the link is shown only when you make it. Making a new one stops the old one; lost a phone? Stop every link.'),
      status, result, make),
    h('div', { class: 'card' }, h('h2', {}, 'Stop sharing'), stop)), { nav });
}

// --- password --------------------------------------------------------------------------------

export async function passwordScreen(ctx) {
  const nav = navigation.id;
  const current = field('Current password', h('input', { type: 'password', name: 'current_password', id: 'current-password', autocomplete: 'current-password', required: true }));
  const next = field('New password', h('input', { type: 'password', name: 'new_password', id: 'new-password', autocomplete: 'new-password', required: true, minlength: 12 }),
    { hint: 'At least 12 characters; not a common password and not your name or email.' });
  const status = h('p', { class: 'error', id: 'password-status', role: 'status' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'change-password' }, 'Change password');
  const form = h('form', { class: 'card', novalidate: true, id: 'password-form' },
    h('h2', {}, 'Change your password'),
    h('p', { class: 'notice' }, 'Changing it logs you out everywhere else: every other phone and browser must log in again with the new password. '
      + 'Changes waiting on another phone are kept there and sent once it logs in.'),
    current.wrap, next.wrap, status, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.className = 'error';
    status.textContent = '';
    showFieldErrors(null, { current_password: current, new_password: next });
    if (!current.input.value || !next.input.value) {
      status.textContent = 'Enter your current password and a new one.';
      return;
    }
    save.disabled = true;
    try {
      ctx.user = await api.changePassword(current.input.value, next.input.value);
      await ctx.store.setMeta('user', ctx.user);
      form.replaceChildren(h('h2', {}, 'Password changed'),
        h('p', { class: 'notice ok', id: 'password-done', role: 'status' },
          'Your password is changed. You stay logged in on this phone; everywhere else you were logged in has been logged out.'),
        h('a', { class: 'button secondary', href: '/app/settings' }, 'Back to Settings'));
      form.querySelector('h2').focus();
    } catch (err) {
      showFieldErrors(err, { current_password: current, new_password: next });
      status.textContent = problem(err); // e.g. "Your current password is not right.", the field says which
      save.disabled = false;
    }
  });
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'password-title' },
    back(), h('h1', { id: 'password-title' }, 'Password'), form), { nav });
}

// --- own registrations -----------------------------------------------------------------------

function registrationForm(ctx, reg, done) {
  const isNew = !reg;
  const inputs = {};
  const add = (name, label, input, opts) => { inputs[name] = field(label, input, opts); return inputs[name].wrap; };
  const regulator = h('select', { name: 'regulator', id: 'reg-regulator' },
    Object.entries(REGULATOR_LABELS).map(([v, l]) => h('option', { value: v, selected: reg ? reg.regulator === v : v === 'HCPC' }, l)));
  const status = h('p', { class: 'error', id: 'registration-status', role: 'status' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'save-registration' }, isNew ? 'Add registration' : 'Save changes');
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'cancel-registration' }, 'Cancel');
  const form = h('form', { class: 'card', novalidate: true, id: 'registration-form' },
    h('h2', {}, isNew ? 'Add a registration' : `${REGULATOR_LABELS[reg.regulator] || reg.regulator}`),
    isNew ? add('regulator', 'Registered with', regulator) : null,
    add('profession', 'Profession', h('input', { name: 'profession', id: 'reg-profession', maxlength: 120, value: reg ? reg.profession : '', autocomplete: 'organization-title' }),
      { hint: 'As on the register, e.g. Social worker, Speech and language therapist.' }),
    add('registration_number', 'Registration number', h('input', { name: 'registration_number', id: 'reg-number', maxlength: 40, value: (reg && reg.registration_number) || '', autocomplete: 'off' })),
    add('registered_since', 'Registered since', h('input', { type: 'date', name: 'registered_since', id: 'reg-since', value: (reg && reg.registered_since) || '' })),
    add('renewal_date', 'Renewal date', h('input', { type: 'date', name: 'renewal_date', id: 'reg-renewal', value: (reg && reg.renewal_date) || '' }),
      { hint: 'When your registration is next renewed; your CPD cycle follows it.' }),
    status, save, cancel);
  cancel.addEventListener('click', () => done(null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    const value = (name) => form.elements[name].value.trim();
    const body = {
      profession: value('profession'),
      registration_number: value('registration_number') || null,
      registered_since: value('registered_since') || null,
      renewal_date: value('renewal_date') || null,
    };
    if (isNew) body.regulator = regulator.value;
    if (!body.profession) {
      showFieldErrors(new ApiError(422, { error: { fields: { profession: ['Enter your profession.'] } } }), inputs);
      return;
    }
    save.disabled = true;
    try {
      const saved = isNew ? await api.addRegistration(body) : await api.changeRegistration(reg.id, body);
      done(saved);
    } catch (err) {
      showFieldErrors(err, inputs);
      status.textContent = problem(err);
      save.disabled = false;
    }
  });
  return form;
}

export async function registrationsScreen(ctx) {
  const nav = navigation.id;
  const got = await cachedFetch(ctx.store, 'own-registrations', api.ownRegistrations);
  const regs = got.value || [];
  const slot = h('div', { id: 'registration-slot' });
  const flash = h('p', { id: 'registrations-flash', role: 'status' });

  const open = (reg) => {
    if (!navigator.onLine) { flash.className = 'error'; flash.textContent = OFFLINE; return; }
    flash.textContent = '';
    slot.replaceChildren(registrationForm(ctx, reg, async (saved) => {
      slot.replaceChildren();
      if (!saved) return;
      ctx.user = await api.me().catch(() => ctx.user); // Home and progress read the registrations from here
      await ctx.store.setMeta('user', ctx.user);
      await registrationsScreen(ctx);
      const note = document.getElementById('registrations-flash');
      if (note) { note.className = 'notice ok'; note.textContent = `Saved: ${REGULATOR_LABELS[saved.regulator] || saved.regulator} · ${saved.profession}.`; }
    }));
    slot.querySelector('input, select').focus();
  };

  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'registrations-title' },
    back(),
    h('h1', { id: 'registrations-title' }, 'Registrations'),
    flash,
    h('div', { class: 'card' },
      h('h2', {}, 'Your professional registrations'),
      h('p', { class: 'muted' }, 'Your CPD is counted against the requirements of each body you are registered with. Changes need a connection.'),
      got.fresh ? null : h('p', { class: 'muted' }, got.value ? 'Saved copy: you are offline.' : OFFLINE),
      regs.length ? h('ul', { class: 'list plain registrations', id: 'registration-list' }, regs.map((r) => h('li', {},
        h('span', { class: 'reg-text' },
          h('strong', {}, `${REGULATOR_LABELS[r.regulator] || r.regulator} · ${r.profession}`),
          h('span', { class: 'muted line' }, [r.registration_number ? `No. ${r.registration_number}` : 'No number recorded',
            r.renewal_date ? `renews ${formatDate(r.renewal_date)}` : 'no renewal date'].join(' · '))),
        h('button', { type: 'button', class: 'small', 'aria-label': `Edit ${r.regulator} ${r.profession}`, onclick: () => open(r) }, 'Edit'))))
        : (got.value ? h('p', {}, 'No registration recorded yet.') : null),
      h('button', { type: 'button', class: 'secondary', id: 'add-registration', onclick: () => open(null) }, 'Add a registration')),
    slot), { nav });
}
