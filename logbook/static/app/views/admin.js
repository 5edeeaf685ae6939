// The admin area (org admins): one route, /app/admin/<section>[/<id>], drawn by the section's screen.
// This module holds the router of the area and the People screens (search, filters, invite, deactivate,
// one person's details and registrations); the other sections live in admin-*.js.

import { api, ApiError } from '../api.js';
import { formatDate, h, navigation } from '../dom.js';
import { REGULATOR_LABELS, ROLE_LABELS } from '../admin-lists.js';
import {
  adminPage, dataTable, formFields, say, selectOf, showErrors, statusLine,
} from './admin-shell.js';
import { jobRolesScreen, registrationForm, registrationsScreen, teamsScreen } from './admin-org.js';
import { frameworksScreen } from './admin-frameworks.js';
import { assignmentsScreen } from './admin-assignments.js';
import { staffImportScreen } from './admin-staff-import.js';
import { auditScreen, exportScreen } from './admin-audit.js';

const SCREENS = {
  '': (ctx, nav) => peopleScreen(ctx, nav),
  people: (ctx, nav, id) => (id ? personScreen(ctx, nav, id) : peopleScreen(ctx, nav)),
  teams: teamsScreen,
  'job-roles': jobRolesScreen,
  registrations: registrationsScreen,
  assignments: (ctx) => assignmentsScreen(ctx),
  'staff-import': (ctx) => staffImportScreen(ctx),
  frameworks: frameworksScreen,
  export: exportScreen,
  audit: auditScreen,
};

/** The admin area's screen for the path after /app/admin/ ("people", "people/<id>", "teams", ...). */
export async function adminScreen(ctx, rest = '') {
  const nav = navigation.id;
  if (!(ctx.user.roles || []).includes('org_admin')) {
    adminPage('', 'Admin', h('p', {}, 'Only your organisation\u2019s admins can use this area.'), { nav });
    return;
  }
  const [section, id] = rest.split('/');
  const screen = SCREENS[section];
  if (!screen) { ctx.go('/app/admin/people', { replace: true }); return; }
  try {
    await screen(ctx, nav, id);
  } catch (err) {
    adminPage(section, 'Admin', h('div', { class: 'card' },
      h('p', { class: 'error' }, err instanceof ApiError && err.status === 0
        ? 'You are offline: the admin area needs a connection.' : String(err.message || err))), { nav });
  }
}

export function roleBoxes(chosen = ['practitioner']) {
  const boxes = Object.entries(ROLE_LABELS).map(([value, label]) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'roles', value, checked: chosen.includes(value) }), h('span', {}, label)));
  const errorEl = h('p', { class: 'field-error', id: `roles-error-${Math.random().toString(36).slice(2, 8)}` });
  const set = h('fieldset', { class: 'choices roles', 'aria-describedby': errorEl.id }, h('legend', {}, 'App roles'), boxes, errorEl);
  const input = { removeAttribute: () => {}, setAttribute: () => {} }; // errors show on the fieldset
  return { wrap: set, errorEl, input, value: () => [...set.querySelectorAll('input:checked')].map((i) => i.value) };
}

const regulators = (user) => [...new Set((user.registrations || []).map((r) => r.regulator))];

function statusBadge(user) {
  return h('span', { class: `badge ${user.is_active ? 'badge-synced' : 'badge-rejected'}` }, user.is_active ? 'Active' : 'Deactivated');
}

/** Deactivate or reactivate, after an inline confirmation; `done` redraws. */
function activeToggle(ctx, user, done) {
  const box = h('span', { class: 'inline-confirm' });
  const verb = user.is_active ? 'Deactivate' : 'Reactivate';
  const start = h('button', { type: 'button', class: `small ${user.is_active ? 'warn' : ''}`, 'data-action': verb.toLowerCase(), 'aria-label': `${verb} ${user.name}` }, verb);
  const isMe = user.id === ctx.user.id;
  if (isMe) return h('span', { class: 'muted' }, 'You');
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'small danger-solid', 'data-action': 'confirm' }, `Yes, ${verb.toLowerCase()}`);
    const no = h('button', { type: 'button', class: 'small plain' }, 'Cancel');
    const problem = h('span', { class: 'field-error', role: 'alert' });
    no.addEventListener('click', () => { box.replaceChildren(start); start.focus(); });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await api.adminUpdateUser(user.id, { is_active: !user.is_active });
        done(`${user.name} is ${user.is_active ? 'deactivated: they cannot log in, and their records stay' : 'active again'}.`);
      } catch (err) { problem.textContent = err.message; yes.disabled = false; }
    });
    box.replaceChildren(h('span', {}, user.is_active ? 'They will be logged out and cannot log in. ' : ''), yes, no, problem);
    yes.focus();
  });
  box.append(start);
  return box;
}

function inviteForm(teams, roles, onSent) {
  const f = formFields([
    ['name', 'Full name', h('input', { type: 'text', autocomplete: 'off', required: true })],
    ['email', 'Work email', h('input', { type: 'email', autocomplete: 'off', required: true })],
    ['team_id', 'Team', selectOf(teams.map((t) => [t.id, t.name]), '', { blank: 'No team' })],
    ['job_role_id', 'Job role', selectOf(roles.map((r) => [r.id, r.name]), '', { blank: 'No job role' })],
  ]);
  const appRoles = roleBoxes();
  f.roles = appRoles;
  const status = statusLine('invite-status');
  const send = h('button', { type: 'submit', class: 'primary', id: 'invite-send' }, 'Send the invitation');
  const form = h('form', { class: 'card admin-form', id: 'invite-form', novalidate: true, 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite a person'),
    h('p', { class: 'hint' }, 'They get an email with a link to choose their own password. The link works once, for 7 days.'),
    h('div', { class: 'form-grid' }, f.name.wrap, f.email.wrap, f.team_id.wrap, f.job_role_id.wrap),
    appRoles.wrap, send, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    const body = { name: f.name.input.value.trim(), email: f.email.input.value.trim(), roles: appRoles.value(),
      team_id: f.team_id.input.value || null, job_role_id: f.job_role_id.input.value || null };
    try {
      const user = await api.adminInvite(body);
      showErrors(f, {});
      form.reset();
      say(status, `Invitation sent to ${user.email}.`);
      onSent(user);
    } catch (err) { say(status, showErrors(f, err), { error: true }); }
    send.disabled = false;
  });
  return form;
}

const FILTERS = ['q', 'team_id', 'job_role_id', 'role', 'regulator', 'active'];

async function peopleScreen(ctx, nav) {
  const [teams, roles] = await Promise.all([api.adminTeams(), api.adminJobRoles()]);
  const params = new URLSearchParams(location.search);
  const f = formFields([
    ['q', 'Search', h('input', { type: 'search', value: params.get('q') || '', placeholder: 'Name or email', autocomplete: 'off' })],
    ['team_id', 'Team', selectOf(teams.map((t) => [t.id, t.name]), params.get('team_id'), { blank: 'All teams' })],
    ['job_role_id', 'Job role', selectOf(roles.map((r) => [r.id, r.name]), params.get('job_role_id'), { blank: 'All job roles' })],
    ['role', 'App role', selectOf(Object.entries(ROLE_LABELS), params.get('role'), { blank: 'Any role' })],
    ['regulator', 'Regulator', selectOf(Object.entries(REGULATOR_LABELS), params.get('regulator'), { blank: 'Any regulator' })],
    ['active', 'Status', selectOf([['true', 'Active'], ['false', 'Deactivated']], params.get('active'), { blank: 'Everyone' })],
  ]);
  const results = h('div', { id: 'people-results', 'aria-live': 'polite' });
  const status = statusLine('people-status');
  let seq = 0;

  async function load() {
    const query = new URLSearchParams();
    for (const name of FILTERS) { const v = f[name].input.value.trim(); if (v) query.set(name, v); }
    const search = query.toString() ? `?${query}` : '';
    if (nav === navigation.id) history.replaceState(null, '', `/app/admin/people${search}`);
    const mine = ++seq;
    let people;
    try { people = await api.adminUsers(search); } catch (err) { say(status, err.message, { error: true }); return; }
    if (mine !== seq) return; // a newer search answered first
    results.replaceChildren(
      h('p', { class: 'muted', id: 'people-count' }, `${people.length} ${people.length === 1 ? 'person' : 'people'}`),
      dataTable({
        caption: 'People', id: 'people-table', empty: 'Nobody matches these filters.', rows: people,
        columns: [
          { label: 'Name', cell: (u) => h('a', { href: `/app/admin/people/${u.id}` }, u.name) },
          { label: 'Email', cell: (u) => h('span', { class: 'wrap-anywhere' }, u.email) },
          { label: 'Team', cell: (u) => (u.team ? u.team.name : '—') },
          { label: 'Job role', cell: (u) => (u.job_role ? u.job_role.name : '—') },
          { label: 'Roles', cell: (u) => (u.roles || []).map((r) => ROLE_LABELS[r] || r).join(', ') },
          { label: 'Regulator', cell: (u) => regulators(u).join(', ') || '—' },
          { label: 'Status', cell: statusBadge },
          { label: 'Actions', cell: (u) => activeToggle(ctx, u, (text) => { say(status, text); load(); }), className: 'actions-cell' },
        ],
      }));
  }
  let timer = null;
  f.q.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  for (const name of FILTERS.slice(1)) f[name].input.addEventListener('change', load);

  const invite = inviteForm(teams, roles, () => load());
  invite.hidden = true;
  const openInvite = h('button', { type: 'button', class: 'secondary inline', id: 'invite-open', 'aria-expanded': 'false', 'aria-controls': 'invite-form' }, 'Invite a person');
  openInvite.addEventListener('click', () => {
    invite.hidden = !invite.hidden;
    openInvite.setAttribute('aria-expanded', String(!invite.hidden));
    if (!invite.hidden) invite.querySelector('input').focus();
  });
  const filters = h('form', { class: 'admin-filters', role: 'search', 'aria-label': 'Filter people' },
    FILTERS.map((n) => f[n].wrap));
  filters.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  adminPage('people', 'People', h('div', {},
    h('div', { class: 'admin-toolbar' }, openInvite), invite, filters, status, results), { nav });
  await load();
}

async function personScreen(ctx, nav, id) {
  const [user, teams, roles] = await Promise.all([api.adminUser(id), api.adminTeams(), api.adminJobRoles()]);
  const redraw = (text) => personScreen(ctx, nav, id).then(() => text && say(document.getElementById('person-status'), text));
  const f = formFields([
    ['name', 'Full name', h('input', { type: 'text', value: user.name })],
    ['team_id', 'Team', selectOf(teams.map((t) => [t.id, t.name]), user.team && user.team.id, { blank: 'No team' })],
    ['job_role_id', 'Job role', selectOf(roles.map((r) => [r.id, r.name]), user.job_role && user.job_role.id, { blank: 'No job role' })],
  ]);
  const appRoles = roleBoxes(user.roles || []);
  f.roles = appRoles;
  const status = statusLine('person-status');
  const save = h('button', { type: 'submit', class: 'primary', id: 'person-save' }, 'Save changes');
  const details = h('form', { class: 'card admin-form', novalidate: true, 'aria-labelledby': 'details-title' },
    h('h2', { id: 'details-title' }, 'Details'),
    h('p', {}, h('span', { class: 'muted' }, 'Email: '), h('span', { class: 'wrap-anywhere' }, user.email)),
    h('div', { class: 'form-grid' }, f.name.wrap, f.team_id.wrap, f.job_role_id.wrap), appRoles.wrap, save);
  details.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await api.adminUpdateUser(id, { name: f.name.input.value.trim(), team_id: f.team_id.input.value || null,
        job_role_id: f.job_role_id.input.value || null, roles: appRoles.value() });
      await redraw('Saved.');
    } catch (err) { say(status, showErrors(f, err), { error: true }); save.disabled = false; }
  });

  const resend = h('button', { type: 'button', class: 'secondary inline', id: 'resend-invitation', disabled: !user.is_active }, 'Email a new invitation link');
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    try {
      const out = await api.adminResendInvitation(id);
      say(status, `A link to choose a password was sent to ${out.email}; it works once, for ${out.expires_in_days} days.`);
    } catch (err) { say(status, err.message, { error: true }); }
    resend.disabled = false;
  });
  const access = h('div', { class: 'card', 'aria-labelledby': 'access-title' },
    h('h2', { id: 'access-title' }, 'Access'),
    h('p', {}, statusBadge(user), ' ', user.is_active
      ? 'Can log in.' : 'Cannot log in. Their entries, sign-offs and registrations are kept.'),
    h('div', { class: 'row' }, activeToggle(ctx, user, redraw), resend));

  const regs = registrationsCard(user, redraw);
  adminPage('people', user.name, h('div', {},
    h('p', {}, h('a', { href: '/app/admin/people' }, '\u2190 All people')), status,
    h('div', { class: 'admin-columns' }, details, h('div', {}, access, regs))), { nav });
}

function registrationsCard(user, redraw) {
  const list = user.registrations || [];
  const holder = h('div', {});
  const show = (reg) => {
    holder.replaceChildren(registrationForm({ people: [user], reg, userId: user.id, onSaved: redraw, onCancel: () => holder.replaceChildren() }));
    holder.querySelector('select, input').focus();
  };
  const add = h('button', { type: 'button', class: 'secondary inline', id: 'registration-add' }, 'Add a registration');
  add.addEventListener('click', () => show(null));
  return h('div', { class: 'card', id: 'registrations-card' },
    h('h2', {}, 'Registrations'),
    list.length ? h('ul', { class: 'list plain reg-list' }, list.map((r) => h('li', {},
      h('span', {}, h('strong', {}, REGULATOR_LABELS[r.regulator] || r.regulator), ` ${r.profession}`,
        r.registration_number ? ` \u00b7 ${r.registration_number}` : '',
        r.renewal_date ? ` \u00b7 renews ${formatDate(r.renewal_date)}` : ''),
      h('button', { type: 'button', class: 'small plain', onclick: () => show(r), 'aria-label': `Edit ${r.regulator} registration` }, 'Edit'))))
      : h('p', { class: 'muted' }, 'No registrations.'),
    add, holder);
}
