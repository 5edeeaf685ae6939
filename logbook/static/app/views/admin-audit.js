// The admin area's staff export (a team, a service area or the whole organisation, as a background
// job) and the audit trail (read-only: the organisation's events, newest first, filtered, a page at a
// time).

import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { SERVICE_AREA_LABELS } from '../admin-lists.js';
import { adminPage, dataTable, formFields, selectOf, showErrors } from './admin-shell.js';
import { followJob, joined } from './exports.js';

export async function exportScreen(ctx, nav) {
  const teams = await api.adminTeams();
  const usedAreas = [...new Set(teams.map((t) => t.service_area))];
  const scopes = [['team', 'One team'], ['service_area', 'A service area (every team in it)'], ['organisation', 'The whole organisation']];
  const radios = scopes.map(([value, label], i) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'scope', value, checked: i === 0 }), h('span', {}, label)));
  const f = formFields([
    ['team_id', 'Team', selectOf(teams.map((t) => [t.id, t.name]), teams[0] && teams[0].id)],
    ['service_area', 'Service area', selectOf(usedAreas.map((a) => [a, SERVICE_AREA_LABELS[a] || a]), usedAreas[0])],
    ['date_from', 'From', h('input', { type: 'date' })],
    ['date_to', 'To', h('input', { type: 'date' })],
  ]);
  const scope = () => (radios.map((r) => r.querySelector('input')).find((i) => i.checked) || {}).value;
  const show = () => { f.team_id.wrap.hidden = scope() !== 'team'; f.service_area.wrap.hidden = scope() !== 'service_area'; };
  for (const r of radios) r.querySelector('input').addEventListener('change', show);
  const status = h('div', { id: 'staff-status', role: 'status', 'aria-live': 'polite' });
  const start = h('button', { type: 'submit', class: 'primary', id: 'staff-export', disabled: !teams.length }, 'Export the registration evidence');
  const form = h('form', { class: 'card admin-form', novalidate: true, 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'Whose evidence'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Export for'), radios),
    h('div', { class: 'form-grid' }, f.team_id.wrap, f.service_area.wrap, f.date_from.wrap, f.date_to.wrap),
    h('p', { class: 'hint' }, 'Leave the dates empty for the last two years.'),
    teams.length ? null : h('p', { class: 'muted' }, 'Your organisation has no teams yet.'),
    start, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    start.disabled = true;
    const body = {};
    if (scope() === 'team') body.team_id = f.team_id.input.value;
    else if (scope() === 'service_area') body.service_area = f.service_area.input.value;
    else body.organisation = true;
    if (f.date_from.input.value) body.date_from = f.date_from.input.value;
    if (f.date_to.input.value) body.date_to = f.date_to.input.value;
    try {
      status.replaceChildren(h('p', {}, 'Starting\u2026'));
      await followJob(await api.staffExport(body), status, nav);
    } catch (err) {
      const message = showErrors(f, err);
      status.replaceChildren(h('p', { class: 'error' }, err instanceof ApiError ? joined(message, []) : message));
    }
    start.disabled = false;
  });
  show();
  adminPage('export', 'Staff export', form, {
    nav,
    intro: 'A ZIP with one PDF per person (compliance and the activities they shared with the organisation) and a CSV of the figures. '
      + 'Private entries and reflections are never included.',
  });
}

const SUBJECT_TEXT = {
  sign_off: 'Entry sign-off', session_sign_off: 'Session sign-off', sign_off_request: 'Sign-off request',
  session_sign_off_request: 'Session sign-off request', supervision_session: 'Supervision session',
  external_signer: 'External signer', registration_proposal: 'Registration proposal', record_import: 'Record import',
};

function readable(kind) {
  const [subject, ...what] = kind.split('.');
  return `${SUBJECT_TEXT[subject] || subject.replace(/_/g, ' ')}: ${what.join(' ').replace(/_/g, ' ')}`;
}

function when(iso) {
  const d = new Date(iso);
  return h('time', { datetime: iso }, `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })} ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`);
}

/** A value as the table shows it: a hash by its first 12 characters (the whole one in its title). */
function shown(value) {
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[0-9a-f]{40,}$/.test(text) ? h('abbr', { title: text }, `${text.slice(0, 12)}\u2026`) : text;
}

function details(data) {
  const pairs = Object.entries(data || {}).filter(([, v]) => v !== null && v !== '');
  if (!pairs.length) return '—';
  return h('dl', { class: 'kv' }, pairs.map(([k, v]) => [h('dt', {}, k.replace(/_/g, ' ')),
    h('dd', { class: 'wrap-anywhere' }, shown(v))]));
}

const AUDIT_FILTERS = ['kind', 'actor_id', 'date_from', 'date_to'];

export async function auditScreen(ctx, nav) {
  const params = new URLSearchParams(location.search);
  const people = await api.adminUsers();
  const f = formFields([
    ['kind', 'Event', selectOf([], '', { blank: 'Every event' })],
    ['actor_id', 'By', selectOf(people.map((p) => [p.id, p.name]), params.get('actor_id'), { blank: 'Anyone' })],
    ['date_from', 'From', h('input', { type: 'date', value: params.get('date_from') || '' })],
    ['date_to', 'To', h('input', { type: 'date', value: params.get('date_to') || '' })],
  ]);
  const results = h('div', { id: 'audit-results' });
  const status = h('p', { class: 'admin-status', id: 'audit-status', role: 'status', 'aria-live': 'polite' });
  const pager = h('div', { class: 'row pager' });
  const pages = []; // the `before` of each page shown so far (null: the newest)
  let kindsShown = false;

  async function load(before = null) {
    const query = new URLSearchParams();
    for (const name of AUDIT_FILTERS) { const v = f[name].input.value || (!kindsShown && name === 'kind' ? params.get('kind') : ''); if (v) query.set(name, v); }
    history.replaceState(null, '', `/app/admin/audit${query.toString() ? `?${query}` : ''}`);
    if (before) query.set('before', String(before));
    query.set('limit', '50');
    let page;
    try { page = await api.adminAudit(`?${query}`); } catch (err) {
      status.textContent = showErrors(f, err); status.classList.add('error'); return;
    }
    showErrors(f, {});
    status.classList.remove('error');
    if (!kindsShown) {
      f.kind.input.replaceChildren(h('option', { value: '' }, 'Every event'),
        ...page.kinds.map((k) => h('option', { value: k, selected: k === params.get('kind') }, readable(k))));
      kindsShown = true;
    }
    status.textContent = page.items.length ? `${page.items.length} event${page.items.length === 1 ? '' : 's'}${before ? ' (older)' : ''}` : '';
    results.replaceChildren(dataTable({
      caption: 'Audit trail', id: 'audit-table', rows: page.items, empty: 'No events match.',
      columns: [
        { label: 'When', cell: (e) => when(e.created_at) },
        { label: 'Event', cell: (e) => readable(e.kind) },
        { label: 'By', cell: (e) => h('span', { class: 'wrap-anywhere' }, e.actor_kind === 'person' ? e.actor_name : `${e.actor_name} (${e.actor_kind})`) },
        { label: 'Subject', cell: (e) => h('span', { class: 'wrap-anywhere' }, `${SUBJECT_TEXT[e.subject_type] || e.subject_type} ${String(e.subject_id).slice(0, 8)}`) },
        { label: 'Details', cell: (e) => details(e.data), className: 'details-cell' },
        { label: 'No.', cell: (e) => String(e.seq) },
      ],
    }));
    const newer = h('button', { type: 'button', class: 'secondary inline', id: 'audit-newer', disabled: !pages.length }, 'Newer events');
    const older = h('button', { type: 'button', class: 'secondary inline', id: 'audit-older', disabled: page.next_before === null }, 'Older events');
    newer.addEventListener('click', () => { pages.pop(); load(pages.length ? pages[pages.length - 1] : null); });
    older.addEventListener('click', () => { pages.push(page.next_before); load(page.next_before); });
    pager.replaceChildren(newer, older);
  }
  for (const name of AUDIT_FILTERS) f[name].input.addEventListener('change', () => { pages.length = 0; load(); });
  const filters = h('form', { class: 'admin-filters', role: 'search', 'aria-label': 'Filter the audit trail' }, AUDIT_FILTERS.map((n) => f[n].wrap));
  filters.addEventListener('submit', (event) => { event.preventDefault(); pages.length = 0; load(); });
  if (!adminPage('audit', 'Audit trail', h('div', {}, filters, status, results, pager), {
    nav, intro: 'What your organisation\u2019s people, and external signers of their entries, did that must stay provable. Read-only: each event is sealed into a hash chain.',
  })) return;
  await load();
}
