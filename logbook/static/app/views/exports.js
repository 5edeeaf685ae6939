// Exports (online only): the practitioner's portfolio PDF (generic or shaped for their regulator), their
// full record (prepare and download a ZIP, or import one from a previous employer) and, for org admins,
// a pointer to the staff evidence export (in the admin area, views/admin-audit.js). Long ones run as
// background jobs on the server: this screen polls
// the job's status and shows its progress, then a download link.

import { ApiError, api } from '../api.js';
import { field, formatDate, h, mount, navigation } from '../dom.js';
import { visibleEntries } from './common.js';
import { credentialsCard } from './credentials.js';

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
    current = await api.job(current.url);
  }
}

/** A message and its details as one sentence: "Cannot export: the team is empty". */
export function joined(message, details) {
  return details.length ? `${String(message).replace(/[.:]\s*$/, '')}: ${details.join('; ')}` : message;
}

function failure(box, err) {
  const fields = err instanceof ApiError ? Object.values(err.fields).flat() : [];
  box.replaceChildren(h('p', { class: 'error' }, joined(err.message, fields)));
}

export const DOCUMENTS = {
  generic: 'CPD portfolio (any period)',
  hcpc: 'HCPC CPD profile',
  nmc: 'NMC revalidation pack',
  swe: 'SWE CPD records (Social Work England)',
  teachers: 'Teachers\u2019 Standards evidence',
};
const FOR_REGULATOR = { HCPC: 'hcpc', NMC: 'nmc', SWE: 'swe', TEACHERS: 'teachers' };
// The HCPC's limits (logbook/portfolio/documents/hcpc.py checks them again and names what is wrong).
const SUMMARY_WORDS = 500;
const STATEMENT_WORDS = 1500;
const CHOSEN_MIN = 4;
const CHOSEN_MAX = 6;
const DRAFT_KEY = 'portfolio_draft';

export function wordCount(text) { return (String(text).match(/\S+/g) || []).length; }

/** The document a person most likely wants: their first registration's regulator, else generic. */
export function defaultDocument(user) {
  const reg = (user.registrations || []).find((r) => FOR_REGULATOR[r.regulator]);
  return reg ? FOR_REGULATOR[reg.regulator] : 'generic';
}

/** What the server is asked for: only what the chosen document uses, dates only when given. */
export function portfolioRequest(draft) {
  const body = { format: draft.format, include_reflections: Boolean(draft.include_reflections) };
  if (draft.date_from) body.date_from = draft.date_from;
  if (draft.date_to) body.date_to = draft.date_to;
  if (draft.format === 'hcpc') {
    body.summary = draft.summary || '';
    body.statement = draft.statement || '';
    body.chosen_entry_ids = draft.chosen || [];
  }
  return body;
}

let downloadUrl = null; // the last PDF made on this screen, freed when the next one replaces it

function offerFile(box, { file, filename }) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(file);
  box.replaceChildren(h('p', {}, 'Ready.'),
    h('a', { class: 'button primary', href: downloadUrl, download: filename }, `Download ${filename} (${kb(file.size)})`));
}

async function portfolioCard(ctx, nav) {
  const saved = (await ctx.store.getMeta(DRAFT_KEY)) || {};
  const draft = { format: defaultDocument(ctx.user), chosen: [], ...saved };
  const mine = (await visibleEntries(ctx.store))
    .filter((r) => (!r.data.owner_id || r.data.owner_id === ctx.user.id) && !r.pending)
    .sort((a, b) => (b.data.start_date || '').localeCompare(a.data.start_date || ''));

  let saving = null;
  const save = () => ctx.store.setMeta(DRAFT_KEY, { ...draft }).catch(() => {});
  const keep = () => { // every keystroke is kept on the phone: leaving the screen loses nothing
    clearTimeout(saving);
    saving = setTimeout(() => { saving = null; save(); }, 300);
  };
  const flush = () => { // a change still waiting for its pause is written now
    if (saving === null) return Promise.resolve();
    clearTimeout(saving);
    saving = null;
    return save();
  };
  // Leaving the page (reload, another app, a closed tab) before the pause ends must not lose it.
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); });
  window.addEventListener('pagehide', flush);

  const format = h('select', { name: 'format' },
    Object.entries(DOCUMENTS).map(([v, label]) => h('option', { value: v, selected: v === draft.format }, label)));
  const formatField = field('Document', format);
  const from = h('input', { type: 'date', name: 'date_from', value: draft.date_from || '' });
  const to = h('input', { type: 'date', name: 'date_to', value: draft.date_to || '' });
  const fromField = field('From', from);
  const toField = field('To', to);
  const periodHint = h('p', { class: 'hint', id: 'period-hint' }, 'Leave both dates empty for the document\u2019s own period: '
    + 'two years for a portfolio or HCPC profile, the three years to your NMC renewal, the SWE registration year, the appraisal year.');
  for (const input of [from, to]) input.setAttribute('aria-describedby', `period-hint ${input.getAttribute('aria-describedby')}`);
  const reflections = h('input', { type: 'checkbox', name: 'include_reflections', checked: Boolean(draft.include_reflections) });
  const reflectionsBox = h('fieldset', { class: 'choices' }, h('legend', {}, 'Reflections'),
    h('label', { class: 'choice' }, reflections, h('span', {}, 'Include my reflections')),
    h('p', { class: 'hint' }, 'They may mention children and families: include them only in a copy you keep safe.'));

  const summary = h('textarea', { name: 'summary', rows: '6', value: draft.summary || '' });
  const statement = h('textarea', { name: 'statement', rows: '10', value: draft.statement || '' });
  const summaryField = field('Summary of your practice', summary);
  const statementField = field('Statement: how your CPD meets standards 1\u20135', statement,
    { hint: 'Refer to the activities you choose below by their numbers (1 to 6) as printed in the profile.' });
  const summaryCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  const statementCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  summaryField.wrap.append(summaryCount);
  statementField.wrap.append(statementCount);
  const chosenError = h('p', { class: 'field-error', id: 'chosen-error' });
  const chosenCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  const chosenBoxes = mine.map((r) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'chosen', value: r.id, checked: draft.chosen.includes(r.id) }),
    h('span', {}, `${r.data.title || '(untitled)'} \u00b7 ${formatDate(r.data.start_date)}`)));
  const chosen = h('fieldset', { class: 'choices', 'aria-describedby': 'chosen-error' },
    h('legend', {}, `Activities your statement refers to (choose ${CHOSEN_MIN} to ${CHOSEN_MAX})`),
    mine.length ? chosenBoxes : h('p', { class: 'muted' }, 'Nothing synced yet: activities appear here once they reach the server.'),
    chosenCount, chosenError);
  const hcpc = h('div', { id: 'hcpc-fields' }, summaryField.wrap, statementField.wrap, chosen);

  const status = h('div', { id: 'portfolio-status', role: 'status', 'aria-live': 'polite' });
  const make = h('button', { type: 'button', class: 'primary', id: 'portfolio-make' }, 'Make the PDF');

  function counts() {
    const words = (el, limit, out) => {
      const n = wordCount(el.value);
      out.textContent = `${n} of ${limit.toLocaleString('en-GB')} words${n > limit ? ' \u2014 too long' : ''}`;
      out.classList.toggle('field-error', n > limit);
    };
    words(summary, SUMMARY_WORDS, summaryCount);
    words(statement, STATEMENT_WORDS, statementCount);
    chosenCount.textContent = `${draft.chosen.length} chosen`;
  }
  function show() { hcpc.hidden = draft.format !== 'hcpc'; }
  const errors = {
    format: formatField, date_from: fromField, date_to: toField, summary: summaryField, statement: statementField,
    chosen_entry_ids: { errorEl: chosenError },
  };
  function clearErrors() {
    for (const f of Object.values(errors)) { f.errorEl.textContent = ''; if (f.input) f.input.removeAttribute('aria-invalid'); }
  }
  /** Each field's reason beside its field; the reasons for fields not on this card come back. */
  function placeErrors(fields) {
    const elsewhere = [];
    for (const [name, messages] of Object.entries(fields)) {
      const target = errors[name];
      if (!target) { elsewhere.push(...[].concat(messages)); continue; }
      target.errorEl.textContent = [].concat(messages).join('; ');
      if (target.input) target.input.setAttribute('aria-invalid', 'true');
    }
    return elsewhere;
  }

  format.addEventListener('change', () => { draft.format = format.value; show(); keep(); });
  from.addEventListener('change', () => { draft.date_from = from.value; keep(); });
  to.addEventListener('change', () => { draft.date_to = to.value; keep(); });
  reflections.addEventListener('change', () => { draft.include_reflections = reflections.checked; keep(); });
  summary.addEventListener('input', () => { draft.summary = summary.value; counts(); keep(); });
  statement.addEventListener('input', () => { draft.statement = statement.value; counts(); keep(); });
  chosen.addEventListener('change', () => {
    draft.chosen = [...chosen.querySelectorAll('input[name=chosen]:checked')].map((i) => i.value);
    counts(); keep();
  });
  make.addEventListener('click', async () => {
    await flush(); // what is asked for is what is kept, whatever the answer
    clearErrors();
    make.disabled = true;
    status.replaceChildren(h('p', {}, 'Making your PDF\u2026'));
    try {
      const out = await api.portfolio(portfolioRequest(draft));
      if (out && out.file) offerFile(status, out);
      else await followJob(out, status, nav);
    } catch (err) {
      const running = err instanceof ApiError && err.code === 'job_in_progress' && err.body.error.job;
      if (running) await api.job(running).then((job) => followJob(job, status, nav)).catch((again) => failure(status, again));
      else status.replaceChildren(h('p', { class: 'error' }, joined(err.message, placeErrors(err instanceof ApiError ? err.fields : {}))));
    }
    make.disabled = false;
  });
  counts();
  show();

  return h('div', { class: 'card' },
    h('h2', { id: 'portfolio-title' }, 'Your portfolio (PDF)'),
    h('p', {}, 'A document for your regulator, an audit or your appraisal, printed from what has reached the server. '
      + 'Signed activities carry a code anyone can check.'),
    formatField.wrap, fromField.wrap, toField.wrap, periodHint, reflectionsBox, hcpc, make, status);
}

function recordCard(nav) {
  const status = h('div', { id: 'record-status', role: 'status', 'aria-live': 'polite' });
  const prepare = h('button', { type: 'button', class: 'secondary', id: 'record-export' }, 'Prepare my full record');
  prepare.addEventListener('click', async () => {
    prepare.disabled = true;
    try {
      await followJob(await api.exportRecord(), status, nav);
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
      const out = await api.importRecord(chosen);
      importStatus.replaceChildren(h('p', {},
        `Imported from ${out.source_organisation}: ${plural(out.entries, 'entry', 'entries')}, `
        + `${plural(out.sign_offs, 'sign-off', 'sign-offs')} (${out.sign_offs_not_verified || 0} imported, not verified: they are kept but not counted as signed off), `
        + `${plural(out.evidence_files, 'evidence file', 'evidence files')}, `
        + `${plural(out.supervision_sessions, 'supervision session', 'supervision sessions')}. They appear in your logbook after the next sync.`
        + (out.registration_proposals ? ` ${plural(out.registration_proposals, 'registration', 'registrations')} from the record wait for your organisation's admin to confirm.` : '')));
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

/** The staff export lives in the admin area now (Admin › Staff export); this card points there. */
function staffCard() {
  return h('div', { class: 'card' },
    h('h2', {}, 'Staff registration evidence'),
    h('p', {}, 'Exporting your staff’s registration evidence, for a team, a service area or the whole organisation, '
      + 'is in the admin area now.'),
    h('a', { class: 'button secondary', href: '/app/admin/export', id: 'open-staff-export' }, 'Open Admin › Staff export'));
}

export async function exportsScreen(ctx) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  const isAdmin = (ctx.user.roles || []).includes('org_admin');
  const cards = [await portfolioCard(ctx, nav), recordCard(nav), credentialsCard()];
  if (isAdmin) cards.push(staffCard());
  mount(view, h('section', { 'aria-labelledby': 'exports-title' },
    h('h1', { id: 'exports-title' }, 'Exports'),
    navigator.onLine === false ? h('p', { class: 'error' }, 'You are offline: exports need a connection.') : null,
    ...cards), { nav });
}
