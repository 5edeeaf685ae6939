// Supervisor assignments (org admins, online only): assign a supervisor to a person in a role (internal
// supervisor, practice educator, line manager as supervisor, clinical), with dates and the agreement's
// frequency and length; see current, future and ended assignments; end one (it is kept as history).
// The rules are the server's (logbook/supervision/assignments.py).

import { ApiError, api } from '../api.js';
import { adminPage } from './admin-shell.js';
import { field, formatDate, h, mount, navigation, todayIso } from '../dom.js';

export const ROLES = [
  ['professional', 'Internal supervisor'],
  ['practice_educator', 'Practice educator'],
  ['line', 'Line manager as supervisor'],
  ['clinical', 'Clinical supervisor'],
];
const STATUS_TEXT = { current: 'Current', future: 'Starts later', ended: 'Ended' };

function agreementText(a) {
  const parts = [];
  if (a.frequency_days) parts.push(`every ${a.frequency_days} days`);
  if (a.session_minutes) parts.push(`${a.session_minutes} min`);
  return parts.join(', ') || '—';
}

function personSelect(people, id) {
  return h('select', { id, required: true },
    h('option', { value: '' }, 'Choose…'),
    people.map((p) => h('option', { value: p.id }, `${p.name} (${p.email})`)));
}

export async function assignmentsScreen(ctx, { status = 'current', notice = '' } = {}) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  if (!(ctx.user.roles || []).includes('org_admin')) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Supervisor assignments'),
      h('p', {}, 'Only an organisation administrator can assign supervisors.')), { nav });
    return;
  }
  let people;
  let items;
  try {
    [people, { items }] = await Promise.all([api.adminUsers(), api.assignments(`?status=${status}`)]);
  } catch (err) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Supervisor assignments'),
      h('p', { class: 'error' }, err.status === 0 ? 'You are offline: assignments need a connection.' : err.message)), { nav });
    return;
  }
  const active = people.filter((p) => p.is_active !== false);

  // --- the form ---
  const inputs = {
    supervisee_id: field('Person', personSelect(active, 'as-supervisee')),
    supervisor_id: field('Supervisor', personSelect(active, 'as-supervisor')),
    kind: field('Role', h('select', { id: 'as-kind' }, ROLES.map(([v, label]) => h('option', { value: v }, label)))),
    starts_on: field('Starts', h('input', { type: 'date', id: 'as-starts', value: todayIso(), required: true })),
    ends_on: field('Ends (optional)', h('input', { type: 'date', id: 'as-ends' }), { hint: 'The last day; leave empty if open-ended.' }),
    frequency_days: field('Every … days (optional)', h('input', { type: 'number', id: 'as-frequency', min: '1', max: '366', inputmode: 'numeric' }), { hint: 'How often supervision takes place.' }),
    session_minutes: field('Session length in minutes (optional)', h('input', { type: 'number', id: 'as-minutes', min: '5', max: '600', inputmode: 'numeric' })),
  };
  const formError = h('p', { class: 'error', id: 'assign-error', role: 'alert' });
  const form = h('form', { id: 'assign-form', novalidate: true },
    h('div', { class: 'form-grid' }, Object.values(inputs).map((f) => f.wrap)),
    formError,
    h('button', { type: 'submit', class: 'primary', id: 'assign' }, 'Assign supervisor'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of Object.values(inputs)) { f.errorEl.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    formError.textContent = '';
    const body = {};
    for (const [name, f] of Object.entries(inputs)) {
      const value = f.input.value.trim();
      if (name === 'frequency_days' || name === 'session_minutes') body[name] = value ? Number(value) : null;
      else if (name === 'ends_on') body[name] = value || null;
      else body[name] = value;
    }
    let missing = false;
    for (const name of ['supervisee_id', 'supervisor_id', 'starts_on']) {
      if (!body[name]) { inputs[name].errorEl.textContent = 'Required.'; inputs[name].input.setAttribute('aria-invalid', 'true'); missing = true; }
    }
    if (missing) return;
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const made = await api.assignSupervisor(body);
      assignmentsScreen(ctx, { status, notice: `${made.supervisor_name} now supervises ${made.supervisee_name} (${made.kind_label.toLowerCase()}).` });
    } catch (err) {
      submit.disabled = false;
      formError.textContent = err.message;
      if (err instanceof ApiError) {
        for (const [name, msgs] of Object.entries(err.fields)) {
          if (inputs[name]) { inputs[name].errorEl.textContent = [].concat(msgs).join(' '); inputs[name].input.setAttribute('aria-invalid', 'true'); }
        }
      }
    }
  });

  // --- the list ---
  const search = h('input', { type: 'search', id: 'as-search', placeholder: 'Name' });
  const searchField = field('Find a person', search);
  const statusSelect = h('select', { id: 'as-status' },
    [['current', 'Current'], ['future', 'Starting later'], ['ended', 'Ended (history)'], ['all', 'All']].map(([v, label]) =>
      h('option', { value: v, selected: v === status }, label)));
  statusSelect.addEventListener('change', () => assignmentsScreen(ctx, { status: statusSelect.value }));
  const statusField = field('Show', statusSelect);
  const body = h('tbody', {});
  const count = h('p', { class: 'muted', id: 'as-count', 'aria-live': 'polite' });

  function endControls(item) {
    if (item.status === 'ended') return '';
    const cell = h('div', { class: 'end-cell' });
    const start = h('button', { type: 'button', class: 'link', 'data-end': item.id, 'aria-label': `End ${item.supervisor_name} supervising ${item.supervisee_name}` }, 'End');
    start.addEventListener('click', () => {
      const confirm = h('button', { type: 'button', class: 'small danger-small', 'data-confirm-end': item.id }, 'End now');
      const cancel = h('button', { type: 'button', class: 'link' }, 'Keep');
      const error = h('p', { class: 'error', role: 'alert' });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          await api.endAssignment(item.id);
          assignmentsScreen(ctx, { status, notice: `Ended: ${item.supervisor_name} no longer supervises ${item.supervisee_name}. Their access ends at their next sync.` });
        } catch (err) { confirm.disabled = false; error.textContent = err.message; }
      });
      cancel.addEventListener('click', () => cell.replaceChildren(start));
      cell.replaceChildren(h('span', {}, 'Access ends now. '), confirm, cancel, error);
      confirm.focus();
    });
    cell.append(start);
    return cell;
  }

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = items.filter((i) => !q || i.supervisee_name.toLowerCase().includes(q) || i.supervisor_name.toLowerCase().includes(q));
    count.textContent = `${shown.length} assignment${shown.length === 1 ? '' : 's'}`;
    body.replaceChildren(...shown.map((i) => h('tr', { 'data-assignment': i.id },
      h('th', { scope: 'row', 'data-label': 'Person' }, i.supervisee_name),
      h('td', { 'data-label': 'Supervisor' }, i.supervisor_name), h('td', { 'data-label': 'Role' }, i.kind_label),
      h('td', { 'data-label': 'From' }, formatDate(i.starts_on)), h('td', { 'data-label': 'To' }, i.ends_on ? formatDate(i.ends_on) : 'open'),
      h('td', { 'data-label': 'Agreement' }, agreementText(i)), h('td', { 'data-label': 'Status' }, STATUS_TEXT[i.status] || i.status),
      h('td', { 'data-label': 'Action' }, endControls(i)))));
  }
  search.addEventListener('input', draw);
  draw();

  adminPage('assignments', 'Supervisor assignments', h('div', { class: 'admin-wide' },
    notice ? h('p', { class: 'notice ok', id: 'assign-notice', role: 'status' }, notice) : null,
    h('div', { class: 'card' }, h('h2', {}, 'Assign a supervisor'),
      h('p', { class: 'muted' }, 'A person may have several supervisors. The supervisor sees what the person shares with supervisors and signs off their CPD.'),
      form),
    h('div', { class: 'card' }, h('h2', {}, 'Assignments'),
      h('div', { class: 'filter-row' }, searchField.wrap, statusField.wrap),
      count,
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'as-caption' },
        h('table', { class: 'admin-table', id: 'assignments-table' },
          h('caption', { id: 'as-caption', class: 'visually-hidden' }, 'Assignments, one a row'),
          h('thead', {}, h('tr', {}, ['Person', 'Supervisor', 'Role', 'From', 'To', 'Agreement', 'Status', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
          body)))), { nav });
}
