// Exports (online only): the practitioner's full record (prepare and download a ZIP, or import one from a
// previous employer) and, for org admins, the staff evidence export of a team. Both run as background
// jobs on the server: this screen polls the job's status and shows its progress, then a download link.

import { ApiError, request } from '../api.js';
import { field, h, mount, navigation } from '../dom.js';

const POLL_MS = 1500;

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

function kb(bytes) { return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`; }

/** Follow a job until it is done or failed, drawing its state into `box` (a live region). */
export async function followJob(job, box, nav) {
  let current = job;
  for (;;) {
    if (nav !== navigation.id) return null; // the user left the screen: stop polling
    const { done, total } = current.progress || { done: 0, total: 0 };
    if (current.status === 'done') {
      box.replaceChildren(
        h('p', {}, 'Ready.'),
        h('a', { class: 'button primary', href: current.download_url, download: current.result_name || '' },
          `Download ${current.result_name || 'the file'}${current.result_size ? ` (${kb(current.result_size)})` : ''}`));
      return current;
    }
    if (current.status === 'failed') {
      box.replaceChildren(h('p', { class: 'error' }, current.error || 'The export failed; try again.'));
      return current;
    }
    const label = current.status === 'queued' ? 'Waiting to start…' : `Working: ${done} of ${total || '?'}`;
    box.replaceChildren(
      h('p', {}, label),
      h('progress', { max: String(total || 1), value: String(done), 'aria-label': 'Export progress' }));
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    if (nav !== navigation.id) return null;
    current = await request('GET', current.url);
  }
}

function failure(box, err) {
  const fields = err instanceof ApiError ? Object.values(err.fields).flat() : [];
  box.replaceChildren(h('p', { class: 'error' }, err.message, fields.length ? `: ${fields.join('; ')}` : ''));
}

function recordCard(nav) {
  const status = h('div', { id: 'record-status', role: 'status', 'aria-live': 'polite' });
  const prepare = h('button', { type: 'button', class: 'secondary', id: 'record-export' }, 'Prepare my full record');
  prepare.addEventListener('click', async () => {
    prepare.disabled = true;
    try {
      await followJob(await request('POST', '/api/v1/record/export'), status, nav);
    } catch (err) { failure(status, err); }
    prepare.disabled = false;
  });

  const file = h('input', { type: 'file', accept: '.zip,application/zip' });
  const picker = field('Record file (ZIP) from your previous logbook', file);
  const importStatus = h('div', { id: 'import-status', role: 'status', 'aria-live': 'polite' });
  const importButton = h('button', { type: 'button', class: 'secondary', id: 'record-import' }, 'Import this record');
  importButton.addEventListener('click', async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) { picker.errorEl.textContent = 'Choose the ZIP file first.'; return; }
    picker.errorEl.textContent = '';
    importButton.disabled = true;
    importStatus.replaceChildren(h('p', {}, 'Importing…'));
    try {
      const out = await request('POST', '/api/v1/record/import', undefined, { raw: chosen, contentType: 'application/zip' });
      importStatus.replaceChildren(h('p', {},
        `Imported from ${out.source_organisation}: ${plural(out.entries, 'entry', 'entries')}, `
        + `${plural(out.sign_offs, 'sign-off', 'sign-offs')} (marked as imported), ${plural(out.evidence_files, 'evidence file', 'evidence files')}, `
        + `${plural(out.supervision_sessions, 'supervision session', 'supervision sessions')}. They appear in your logbook after the next sync.`));
    } catch (err) { failure(importStatus, err); }
    importButton.disabled = false;
  });

  return h('div', { class: 'card' },
    h('h2', { id: 'record-title' }, 'Your full record'),
    h('p', {}, 'Everything you recorded here — every version of your entries, your evidence files, sign-offs with their '
      + 'verification hashes and your supervision sessions — in one file you can take to a new employer.'),
    prepare, status,
    h('h3', {}, 'Bring a record from a previous employer'),
    picker.wrap, importButton, importStatus);
}

async function staffCard(nav) {
  let teams = [];
  try { teams = await request('GET', '/api/v1/admin/teams'); } catch { teams = []; }
  const select = h('select', {}, teams.map((t) => h('option', { value: t.id }, t.name)));
  const picker = field('Team', select);
  const status = h('div', { id: 'staff-status', role: 'status', 'aria-live': 'polite' });
  const start = h('button', { type: 'button', class: 'secondary', id: 'staff-export', disabled: !teams.length }, 'Export the team’s registration evidence');
  start.addEventListener('click', async () => {
    start.disabled = true;
    try {
      await followJob(await request('POST', '/api/v1/exports/staff', { team_id: select.value }), status, nav);
    } catch (err) { failure(status, err); }
    start.disabled = false;
  });
  return h('div', { class: 'card' },
    h('h2', {}, 'Staff registration evidence'),
    h('p', {}, 'A ZIP with one PDF per person (compliance and the activities they shared with the organisation) '
      + 'and a CSV of the figures. Private entries and reflections are never included.'),
    teams.length ? picker.wrap : h('p', { class: 'muted' }, 'Your organisation has no teams yet.'),
    start, status);
}

export async function exportsScreen(ctx) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  const isAdmin = (ctx.user.roles || []).includes('org_admin');
  const cards = [recordCard(nav)];
  if (isAdmin) cards.push(await staffCard(nav));
  mount(view, h('section', { 'aria-labelledby': 'exports-title' },
    h('h1', { id: 'exports-title' }, 'Exports'),
    navigator.onLine === false ? h('p', { class: 'error' }, 'You are offline: exports need a connection.') : null,
    ...cards), { nav });
}
