// The admin area's lists of the organisation's shape: teams, job roles (with a CSV import) and every
// registration of its people. Each list has one form that adds, or edits the row chosen.

import { api } from '../api.js';
import { formatDate, h } from '../dom.js';
import { REGULATOR_LABELS, SERVICE_AREA_LABELS } from '../admin-lists.js';
import { adminPage, dataTable, formFields, say, selectOf, showErrors, statusLine } from './admin-shell.js';

const areaLabel = (a) => SERVICE_AREA_LABELS[a] || a;

/**
 * One form that adds a row or edits the chosen one. spec: [name, label, makeInput(value)];
 * save(body, row) sends it; the row's values fill the inputs.
 */
function editForm({ id, noun, spec, save, onSaved }) {
  const title = h('h2', { id: `${id}-title` });
  const inputs = h('div', { class: 'form-grid' });
  const status = statusLine(`${id}-status`);
  const submit = h('button', { type: 'submit', class: 'primary', id: `${id}-save` });
  const cancel = h('button', { type: 'button', class: 'secondary inline', id: `${id}-cancel` }, 'Cancel');
  const form = h('form', { class: 'card admin-form', id, novalidate: true, 'aria-labelledby': `${id}-title` }, title, inputs, h('div', { class: 'row' }, submit, cancel), status);
  let current = null;
  let fields = {};
  function fill(row) {
    current = row;
    title.textContent = row ? `Edit ${noun} \u201c${row.name}\u201d` : `Add a ${noun}`;
    submit.textContent = row ? 'Save changes' : `Add the ${noun}`;
    cancel.hidden = !row;
    fields = formFields(spec.map(([name, label, make]) => [name, label, make(row ? row[name] : undefined)]));
    inputs.replaceChildren(...Object.values(fields).map((f) => f.wrap));
  }
  cancel.addEventListener('click', () => { fill(null); say(status, ''); });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const body = {};
    for (const [name, f] of Object.entries(fields)) body[name] = f.input.value.trim() === '' && f.input.tagName === 'SELECT' ? null : f.input.value.trim();
    try {
      const saved = await save(body, current);
      onSaved(`${current ? 'Saved' : 'Added'} \u201c${saved.name}\u201d.`);
    } catch (err) { say(status, showErrors(fields, err), { error: true }); }
    submit.disabled = false;
  });
  fill(null);
  return { form, edit: (row) => { fill(row); say(status, ''); form.scrollIntoView({ block: 'nearest' }); fields[spec[0][0]].input.focus(); } };
}

function deleteButton(label, remove, done, status) {
  const b = h('button', { type: 'button', class: 'small plain', 'aria-label': `Delete ${label}` }, 'Delete');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try { await remove(); done(`Deleted \u201c${label}\u201d.`); } catch (err) { say(status, err.message, { error: true }); b.disabled = false; }
  });
  return b;
}

const text = (max) => (v) => h('input', { type: 'text', value: v || '', maxlength: String(max) });
const areas = (v) => selectOf(Object.entries(SERVICE_AREA_LABELS), v || '', { blank: 'Choose a service area' });

export async function teamsScreen(ctx, nav, _id, message = '') {
  const [teams, people] = await Promise.all([api.adminTeams(), api.adminUsers('?active=true')]);
  const count = {};
  for (const p of people) if (p.team) count[p.team.id] = (count[p.team.id] || 0) + 1;
  const status = statusLine('teams-status');
  const redraw = (msg) => teamsScreen(ctx, nav, null, msg);
  const form = editForm({
    id: 'team-form', noun: 'team',
    spec: [['name', 'Name', text(200)], ['service_area', 'Service area', areas]],
    save: (body, row) => (row ? api.adminUpdateTeam(row.id, body) : api.adminCreateTeam(body)),
    onSaved: redraw,
  });
  const table = dataTable({
    caption: 'Teams', id: 'teams-table', empty: 'No teams yet: add the first one.', rows: teams,
    columns: [
      { label: 'Team', cell: (t) => t.name },
      { label: 'Service area', cell: (t) => areaLabel(t.service_area) },
      { label: 'Active people', cell: (t) => h('a', { href: `/app/admin/people?team_id=${t.id}` }, String(count[t.id] || 0)) },
      { label: 'Actions', className: 'actions-cell', cell: (t) => h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small plain', onclick: () => form.edit(t), 'aria-label': `Edit ${t.name}` }, 'Edit'),
        deleteButton(t.name, () => api.adminDeleteTeam(t.id), redraw, status)) },
    ],
  });
  if (!adminPage('teams', 'Teams', h('div', { class: 'admin-columns wide-first' }, h('div', {}, status, table), form.form), { nav })) return;
  if (message) say(status, message);
}

const ROLES_CSV_HINT = 'Columns: job_role, service_area, profession, registration_framework (as in the reference list). All rows or none.';

export async function jobRolesScreen(ctx, nav, _id, message = '') {
  const roles = await api.adminJobRoles();
  const status = statusLine('roles-status');
  const redraw = (msg) => jobRolesScreen(ctx, nav, null, msg);
  const form = editForm({
    id: 'role-form', noun: 'job role',
    spec: [
      ['name', 'Name', text(200)], ['profession', 'Profession', text(120)], ['service_area', 'Service area', areas],
      ['usual_regulator', 'Usual regulator', (v) => selectOf(Object.entries(REGULATOR_LABELS), v || '', { blank: 'None' })],
    ],
    save: (body, row) => (row ? api.adminUpdateJobRole(row.id, body) : api.adminCreateJobRole(body)),
    onSaved: redraw,
  });
  const file = h('input', { type: 'file', accept: '.csv,text/csv', id: 'roles-csv' });
  const importStatus = statusLine('roles-import-status');
  const importButton = h('button', { type: 'button', class: 'secondary inline', id: 'roles-import' }, 'Import the CSV');
  importButton.addEventListener('click', async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) { say(importStatus, 'Choose a CSV file first.', { error: true }); return; }
    importButton.disabled = true;
    try {
      const out = await api.adminImportJobRoles(await chosen.text());
      await redraw(`Imported: ${out.created} added, ${out.updated} updated.`);
    } catch (err) {
      const lines = Object.entries(err.fields || {}).map(([line, why]) => `${line}: ${[].concat(why).join('; ')}`);
      say(importStatus, [err.message, ...lines].join(' \u00b7 '), { error: true });
      importButton.disabled = false;
    }
  });
  const table = dataTable({
    caption: 'Job roles', id: 'roles-table', empty: 'No job roles yet.', rows: roles,
    columns: [
      { label: 'Job role', cell: (r) => r.name },
      { label: 'Profession', cell: (r) => r.profession },
      { label: 'Service area', cell: (r) => areaLabel(r.service_area) },
      { label: 'Usual regulator', cell: (r) => (r.usual_regulator ? REGULATOR_LABELS[r.usual_regulator] || r.usual_regulator : '—') },
      { label: 'Actions', className: 'actions-cell', cell: (r) => h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small plain', onclick: () => form.edit(r), 'aria-label': `Edit ${r.name}` }, 'Edit'),
        deleteButton(r.name, () => api.adminDeleteJobRole(r.id), redraw, status)) },
    ],
  });
  const importCard = h('div', { class: 'card' }, h('h2', {}, 'Import job roles from a CSV file'),
    h('p', { class: 'hint' }, ROLES_CSV_HINT), h('label', { for: 'roles-csv' }, 'CSV file'), file, importButton, importStatus);
  if (!adminPage('job-roles', 'Job roles', h('div', { class: 'admin-columns wide-first' },
    h('div', {}, status, table), h('div', {}, form.form, importCard)), { nav })) return;
  if (message) say(status, message);
}

/** Add a registration (to one of `people`) or edit `reg`; used here and on a person's page. */
export function registrationForm({ people, reg = null, userId = null, onSaved, onCancel }) {
  const spec = [
    ['regulator', 'Regulator', selectOf(Object.entries(REGULATOR_LABELS), reg ? reg.regulator : '', { blank: 'Choose a regulator' })],
    ['profession', 'Profession', h('input', { type: 'text', value: reg ? reg.profession : '', maxlength: '120' })],
    ['registration_number', 'Registration number', h('input', { type: 'text', value: (reg && reg.registration_number) || '', maxlength: '40', autocomplete: 'off' })],
    ['registered_since', 'Registered since', h('input', { type: 'date', value: (reg && reg.registered_since) || '' })],
    ['renewal_date', 'Renewal date', h('input', { type: 'date', value: (reg && reg.renewal_date) || '' })],
  ];
  if (!reg && !userId) spec.unshift(['user_id', 'Person', selectOf(people.map((p) => [p.id, p.name]), '', { blank: 'Choose a person' })]);
  const f = formFields(spec);
  const status = statusLine('registration-status');
  const save = h('button', { type: 'submit', class: 'primary', id: 'registration-save' }, reg ? 'Save the registration' : 'Add the registration');
  const cancel = h('button', { type: 'button', class: 'secondary inline' }, 'Cancel');
  cancel.addEventListener('click', onCancel);
  const remove = reg ? h('button', { type: 'button', class: 'small plain danger-text', id: 'registration-delete' }, 'Delete this registration') : null;
  if (remove) {
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      try { await api.adminDeleteRegistration(reg.id); onSaved('Registration deleted.'); } catch (err) { say(status, err.message, { error: true }); remove.disabled = false; }
    });
  }
  const form = h('form', { class: 'admin-form sub-form', id: 'registration-form', novalidate: true, 'aria-label': reg ? 'Edit registration' : 'Add a registration' },
    h('div', { class: 'form-grid' }, Object.values(f).map((x) => x.wrap)), h('div', { class: 'row' }, save, cancel), remove, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    const body = {
      regulator: f.regulator.input.value, profession: f.profession.input.value.trim(),
      registration_number: f.registration_number.input.value.trim() || null,
      registered_since: f.registered_since.input.value || null, renewal_date: f.renewal_date.input.value || null,
    };
    try {
      if (reg) await api.adminUpdateRegistration(reg.id, body);
      else {
        const who = userId || f.user_id.input.value;
        if (!who) { f.user_id.errorEl.textContent = 'Choose a person.'; save.disabled = false; return; }
        await api.adminAddRegistration(who, body);
      }
      onSaved(reg ? 'Registration saved.' : 'Registration added.');
    } catch (err) { say(status, showErrors(f, err), { error: true }); save.disabled = false; }
  });
  return form;
}

export async function registrationsScreen(ctx, nav, _id, message = '') {
  const params = new URLSearchParams(location.search);
  const regulator = selectOf(Object.entries(REGULATOR_LABELS), params.get('regulator'), { blank: 'Every regulator' });
  const search = params.get('regulator') ? `?regulator=${encodeURIComponent(params.get('regulator'))}` : '';
  const [rows, people] = await Promise.all([api.adminRegistrations(search), api.adminUsers('?active=true')]);
  const status = statusLine('registrations-status');
  const redraw = (msg) => registrationsScreen(ctx, nav, null, msg);
  const holder = h('div', { class: 'card', id: 'registration-editor', hidden: true });
  const show = (reg) => {
    holder.hidden = false;
    holder.replaceChildren(h('h2', {}, reg ? `Edit ${reg.user.name}\u2019s registration` : 'Add a registration'),
      registrationForm({ people, reg, onSaved: redraw, onCancel: () => { holder.hidden = true; } }));
    holder.querySelector('select, input').focus();
  };
  const filter = h('form', { class: 'admin-filters', role: 'search', 'aria-label': 'Filter registrations' },
    h('div', { class: 'field' }, h('label', { for: 'reg-filter' }, 'Regulator'), Object.assign(regulator, { id: 'reg-filter' })));
  regulator.addEventListener('change', () => ctx.go(`/app/admin/registrations${regulator.value ? `?regulator=${encodeURIComponent(regulator.value)}` : ''}`, { replace: true }));
  const add = h('button', { type: 'button', class: 'secondary inline', id: 'registration-new' }, 'Add a registration');
  add.addEventListener('click', () => show(null));
  const table = dataTable({
    caption: 'Registrations', id: 'registrations-table', empty: 'No registrations match.', rows,
    columns: [
      { label: 'Person', cell: (r) => h('a', { href: `/app/admin/people/${r.user.id}` }, r.user.name) },
      { label: 'Regulator', cell: (r) => REGULATOR_LABELS[r.regulator] || r.regulator },
      { label: 'Profession', cell: (r) => r.profession },
      { label: 'Number', cell: (r) => r.registration_number || '—' },
      { label: 'Framework', cell: (r) => r.framework_id || '—' },
      { label: 'Renewal', cell: (r) => (r.renewal_date ? formatDate(r.renewal_date) : '—') },
      { label: 'Actions', className: 'actions-cell', cell: (r) => h('button', { type: 'button', class: 'small plain', onclick: () => show(r), 'aria-label': `Edit ${r.user.name}\u2019s ${r.regulator} registration` }, 'Edit') },
    ],
  });
  if (!adminPage('registrations', 'Registrations', h('div', {},
    h('div', { class: 'admin-toolbar' }, add), holder, filter, status,
    h('p', { class: 'muted' }, `${rows.length} registration${rows.length === 1 ? '' : 's'}`), table), { nav })) return;
  if (message) say(status, message);
}
