// Staff onboarding (org admins, online only): choose a CSV or XLSX of staff, see every row's result
// and every problem by row and column (nothing written yet), then apply it all or nothing. The rules
// are the server's (logbook/exports/staff_import.py); this screen only shows its answer.

import { ApiError, api } from '../api.js';
import { adminPage } from './admin-shell.js';
import { field, h, mount, navigation } from '../dom.js';

const COLUMNS = ['name', 'email', 'team', 'job_role', 'regulator', 'registration_number', 'renewal_date', 'supervisor_email'];
const ACTION_TEXT = { create: 'New', update: 'Update', unchanged: 'No change', error: 'Problem' };

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

export function summaryText(summary) {
  return [
    plural(summary.create, 'person to add', 'people to add'),
    plural(summary.update, 'to update', 'to update'),
    plural(summary.unchanged, 'unchanged', 'unchanged'),
    plural(summary.error, 'row with problems', 'rows with problems'),
  ].join(', ');
}

function problemsOf(row) {
  if (row.problems.length) {
    return h('ul', { class: 'list plain-list' }, row.problems.map((p) => h('li', {},
      p.column ? h('strong', {}, `${p.column}: `) : null, p.message)));
  }
  if (row.changes.length) return `Changes ${row.changes.join(', ')}`;
  return '';
}

function previewTable(preview) {
  // rows with problems first (a long file's few bad rows are then not buried); unchanged rows of a long
  // file are left out (the summary counts them)
  const rows = preview.rows.filter((r) => r.action !== 'unchanged' || preview.rows.length <= 200)
    .sort((a, b) => (b.action === 'error') - (a.action === 'error') || a.row - b.row);
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'preview-caption' },
    h('table', { class: 'admin-table', id: 'preview-table' },
      h('caption', { id: 'preview-caption' }, 'What each row of the file does'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Row'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Problems or changes'))),
      h('tbody', {}, rows.map((r) => h('tr', { class: `result-${r.action}`, 'data-row': String(r.row) },
        h('th', { scope: 'row', 'data-label': 'Row' }, String(r.row)),
        h('td', { 'data-label': 'Result' }, h('span', { class: `badge badge-import-${r.action}` }, ACTION_TEXT[r.action] || r.action)),
        h('td', { 'data-label': 'Name' }, r.name), h('td', { class: 'wrap', 'data-label': 'Email' }, r.email),
        h('td', { class: 'wrap', 'data-label': 'Details' }, problemsOf(r)))))));
}

export async function staffImportScreen(ctx) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  if (!(ctx.user.roles || []).includes('org_admin')) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Staff onboarding'),
      h('p', {}, 'Only an organisation administrator can add staff.')), { nav });
    return;
  }
  const input = h('input', { type: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', name: 'staff-file' });
  const chosen = field('Staff file (CSV or XLSX)', input, { hint: 'One row per person; the first row names the columns.' });
  const check = h('button', { type: 'button', class: 'primary', id: 'check-file' }, 'Check the file');
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  let previewed = null; // the file the preview shown is of

  async function showPreview() {
    const file = input.files && input.files[0];
    chosen.errorEl.textContent = '';
    if (!file) { chosen.errorEl.textContent = 'Choose a file first.'; input.focus(); return; }
    check.disabled = true;
    result.replaceChildren(h('p', {}, 'Checking…'));
    try {
      const preview = await api.staffImportPreview(file);
      if (nav !== navigation.id) return;
      previewed = file;
      drawPreview(preview);
    } catch (err) {
      result.replaceChildren(failure(err));
    } finally {
      check.disabled = false;
    }
  }

  function drawPreview(preview) {
    const apply = h('button', { type: 'button', class: 'primary', id: 'apply-import' },
      `Apply: ${plural(preview.summary.create, 'new person', 'new people')}, ${preview.summary.update} updated`);
    apply.addEventListener('click', () => applyFile(apply));
    const nothing = preview.summary.create + preview.summary.update === 0;
    result.replaceChildren(
      h('h2', { id: 'preview-title' }, 'Preview: nothing is written yet'),
      h('p', { class: 'summary', id: 'preview-summary' }, summaryText(preview.summary)),
      preview.new_teams.length ? h('p', {}, `New teams: ${preview.new_teams.join(', ')}.`) : null,
      preview.can_apply
        ? (nothing ? h('p', { class: 'notice ok' }, 'Everything in this file is already in place.') : apply)
        : h('p', { class: 'alert', id: 'fix-rows' }, 'Fix the rows with problems in your spreadsheet, save it, and choose the file again. Nothing is added until every row is right.'),
      previewTable(preview));
    focusHeading(result);
  }

  async function applyFile(button) {
    button.disabled = true;
    try {
      const done = await api.staffImportApply(previewed);
      if (nav !== navigation.id) return;
      result.replaceChildren(
        h('h2', { id: 'applied-title' }, 'Done'),
        h('p', { class: 'notice ok', id: 'applied-summary' }, `Applied: ${summaryText(done.summary)}.`,
          done.summary.create ? ` ${plural(done.summary.create, 'invitation has', 'invitations have')} been emailed.` : ''),
        h('a', { class: 'button secondary', href: '/app/admin/assignments' }, 'Supervisor assignments'));
      focusHeading(result);
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError && err.body && err.body.error && err.body.error.preview) drawPreview(err.body.error.preview);
      else result.replaceChildren(failure(err));
    }
  }

  check.addEventListener('click', showPreview);
  input.addEventListener('change', () => { previewed = null; result.replaceChildren(); });

  adminPage('staff-import', 'Staff onboarding', h('div', { class: 'admin-wide' },
    h('div', { class: 'card' },
      h('h2', {}, 'Add or update staff from a spreadsheet'),
      h('p', {}, 'Columns: ', h('code', {}, COLUMNS.join(', ')), '. Only name and email are required; an empty cell leaves what is stored as it is. ',
        'Job roles must already be in your list; new teams are added. The supervisor is someone in your organisation or further down the file.'),
      h('p', { class: 'muted' }, 'You see what would happen first. Applying adds everything or nothing, and applying the same file again changes nothing. New people get an email to set their password.'),
      chosen.wrap, check),
    result), { nav });
}

/** Move focus (and the view) to the answer's heading: on a phone it is below the form. */
function focusHeading(box) {
  const heading = box.querySelector('h2');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

function failure(err) {
  const details = err instanceof ApiError ? Object.entries(err.fields).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`) : [];
  return h('div', { class: 'alert', role: 'alert' }, h('p', {}, err.message), details.length ? h('ul', {}, details.map((d) => h('li', {}, d))) : null);
}
