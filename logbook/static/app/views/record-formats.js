// Settings › Your record (online only): the record in other people's formats. Download it as
// credentials (the CLR file) or as a Leap2A package for Mahara; bring past CPD in from a spreadsheet
// (column mapping, every row's problem, nothing written until confirmed) or from a Mahara export.
// The rules are the server's (logbook/exports/spreadsheet.py, leap2a.py; docs/record-format.md): this
// screen shows its answers and sends the practitioner's choices back.

import { ApiError, api } from '../api.js';
import { credentialsCard } from './credentials.js';
import { field, formatDate, formatHours, h, mount, navigation } from '../dom.js';

const SHEET_ACCEPT = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SHOWN_ROWS = 60; // a long file: every row with a problem, then this many of the rest

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

function failure(err) {
  const details = err instanceof ApiError
    ? Object.entries(err.fields).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`) : [];
  const message = err instanceof ApiError ? err.message : 'You are offline: this needs a connection.';
  return h('div', { class: 'alert', role: 'alert' }, h('p', {}, message),
    details.length ? h('ul', {}, details.slice(0, 20).map((d) => h('li', {}, d))) : null);
}

function focusHeading(box) {
  const heading = box.querySelector('h3');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: 'center' }); // the answer below the form, in view on a phone
}

let packageUrl = null; // the last package fetched, freed when the next one replaces it

function leap2aCard() {
  const include = h('input', { type: 'checkbox', id: 'leap2a-reflections' });
  const box = h('div', { id: 'leap2a-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: 'download-leap2a' }, 'Download for Mahara (Leap2A)');
  button.addEventListener('click', async () => {
    button.disabled = true;
    box.replaceChildren(h('p', {}, 'Preparing…'));
    try {
      const { file, filename } = await api.leap2aExport(include.checked);
      if (packageUrl) URL.revokeObjectURL(packageUrl);
      packageUrl = URL.createObjectURL(file);
      box.replaceChildren(h('a', { class: 'button primary', href: packageUrl, download: filename }, `Save ${filename}`));
    } catch (err) { box.replaceChildren(failure(err)); }
    button.disabled = false;
  });
  return h('div', { class: 'card' },
    h('h2', { id: 'leap2a-title' }, 'For Mahara and other ePortfolios'),
    h('p', {}, 'Your entries, their dates and evidence files as a Leap2A package: Mahara imports it as journal entries with their files.'),
    h('div', { class: 'choices' }, h('label', { class: 'choice' }, include, 'Include my reflections')),
    h('p', { class: 'hint' }, 'Reflections are private: they are left out unless you tick this.'),
    button, box);
}

/** The column mapping: one select per field, each column shown with its heading and a sample. */
function mappingForm(preview, onChange) {
  const columnText = (c) => `${c.letter} · ${c.heading || 'no heading'}${c.samples.length ? ` (${c.samples[0]})` : ''}`;
  const selects = {};
  const rows = preview.fields.map((f) => {
    const select = h('select', { id: `map-${f.name}`, name: f.name },
      h('option', { value: '-1' }, f.required ? '— choose a column —' : '— not in my file —'),
      preview.columns.map((c) => h('option', { value: String(c.index), selected: c.index === f.column }, columnText(c))));
    selects[f.name] = select;
    const problem = (preview.mapping_problems || {})[f.name];
    const wrapped = field(`${f.label}${f.required ? '' : ' (optional)'}`, select, { error: problem ? problem.join(' ') : '' });
    return wrapped.wrap;
  });
  const recheck = h('button', { type: 'button', class: 'secondary', id: 'recheck-mapping' }, 'Check again with these columns');
  recheck.addEventListener('click', () => {
    const mapping = {};
    Object.entries(selects).forEach(([name, select]) => { mapping[name] = Number(select.value); });
    onChange(mapping);
  });
  return h('fieldset', { class: 'mapping', id: 'column-mapping' },
    h('legend', {}, 'Which column holds what'), ...rows, recheck);
}

function rowItem(r, skipped, onSkip) {
  const guess = r.kind_guess || {};
  const label = r.action === 'error' ? 'Problem' : r.action === 'skip' ? 'Left out' : 'To import';
  const lines = [];
  if (r.action !== 'skip' || r.title) {
    lines.push(h('p', { class: 'row-title' }, r.title || h('em', {}, 'no title')));
  }
  if (r.action === 'create' || (r.action === 'error' && r.kind)) {
    lines.push(h('p', { class: 'muted' }, [r.kind_label,
      guess.how && guess.how !== 'named' ? ` (${guess.how}${guess.word ? `: “${guess.word}”` : ''})` : '',
      r.start_date ? ` · ${formatDate(r.start_date)}` : '', r.hours ? ` · ${formatHours(r.hours)}` : ''].join('')));
  }
  if (r.problems.length) {
    lines.push(h('ul', { class: 'list plain-list problems' }, r.problems.map((p) => h('li', {},
      p.column ? h('strong', {}, `${p.column}: `) : null, p.message))));
  }
  r.notes.forEach((n) => lines.push(h('p', { class: 'muted' }, n)));
  let toggle = null;
  if (r.action === 'error' || skipped.has(r.row)) {
    const box = h('input', { type: 'checkbox', id: `skip-${r.row}`, checked: skipped.has(r.row) });
    box.addEventListener('change', () => onSkip(r.row, box.checked));
    toggle = h('div', { class: 'choices' }, h('label', { class: 'choice' }, box, `Leave row ${r.row} out`));
  }
  return h('li', { class: `import-row result-${r.action}`, 'data-row': String(r.row) },
    h('p', {}, h('strong', {}, `Row ${r.row}`), ' ', h('span', { class: `badge badge-import-${r.action}` }, label)),
    ...lines, toggle);
}

function spreadsheetCard(ctx) {
  const input = h('input', { type: 'file', accept: SHEET_ACCEPT, name: 'cpd-file', id: 'sheet-file' });
  const chosen = field('Your spreadsheet (CSV or XLSX)', input,
    { hint: 'One activity a row: date, title and hours at least; type, notes and reflections if you kept them.' });
  const check = h('button', { type: 'button', class: 'primary', id: 'check-sheet' }, 'Check the spreadsheet');
  const result = h('div', { id: 'sheet-result', 'aria-live': 'polite' });
  let mapping = null; // null: the server proposes one
  const skipped = new Set();

  function search() {
    const params = new URLSearchParams();
    if (mapping) Object.entries(mapping).forEach(([name, column]) => params.set(name, String(column)));
    [...skipped].sort((a, b) => a - b).forEach((row) => params.append('skip', String(row)));
    const file = input.files && input.files[0];
    if (file) params.set('filename', file.name.slice(0, 200));
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  async function preview() {
    const file = input.files && input.files[0];
    chosen.errorEl.textContent = '';
    if (!file) { chosen.errorEl.textContent = 'Choose a file first.'; input.focus(); return; }
    check.disabled = true;
    result.replaceChildren(h('p', {}, 'Checking…'));
    try {
      const answer = await api.spreadsheetPreview(file, search());
      draw(answer);
    } catch (err) { result.replaceChildren(failure(err)); }
    check.disabled = false;
  }

  function draw(answer) {
    const s = answer.summary;
    const problems = answer.rows.filter((r) => r.action === 'error');
    const rest = answer.rows.filter((r) => r.action !== 'error');
    const shown = [...problems, ...rest.slice(0, SHOWN_ROWS)];
    const apply = h('button', { type: 'button', class: 'primary', id: 'apply-sheet' },
      `Import ${plural(s.create, 'entry', 'entries')}`);
    apply.addEventListener('click', () => confirmImport(apply));
    const unmapped = Object.keys(answer.mapping_problems || {}).length > 0;
    result.replaceChildren(...[
      h('h3', { id: 'sheet-preview-title' }, 'Preview: nothing is written yet'),
      h('p', { id: 'sheet-summary', class: 'summary' }, unmapped
        ? `${plural(answer.columns.length, 'column', 'columns')} found: say which holds what.`
        : `${plural(s.create, 'entry', 'entries')} to import, ${plural(s.error, 'row', 'rows')} with problems, ${s.skip} left out.`),
      answer.notes.length ? h('ul', { class: 'list plain-list muted' }, answer.notes.map((n) => h('li', {}, n))) : null,
      mappingForm(answer, (chosenMapping) => { mapping = chosenMapping; preview(); }),
      answer.can_apply ? apply : h('p', { class: 'alert', id: 'sheet-fix' }, unmapped
        ? 'Choose the columns of the date, title and hours, then check again.'
        : 'Fix these rows in your spreadsheet, change the columns, or leave the rows out; nothing is imported until every row is right.'),
      shown.length ? h('ul', { class: 'list plain import-rows', id: 'sheet-rows', 'aria-label': 'Rows of the spreadsheet' },
        shown.map((r) => rowItem(r, skipped, (row, on) => { if (on) skipped.add(row); else skipped.delete(row); preview(); }))) : null,
      rest.length > SHOWN_ROWS ? h('p', { class: 'muted' }, `…and ${rest.length - SHOWN_ROWS} more rows like these.`) : null,
    ].filter(Boolean));
    focusHeading(result);
  }

  async function confirmImport(button) {
    button.disabled = true;
    try {
      const done = await api.spreadsheetApply(input.files[0], search());
      result.replaceChildren(
        h('h3', { id: 'sheet-done-title' }, 'Imported'),
        h('p', { class: 'notice ok', id: 'sheet-done' },
          `${plural(done.entry_ids.length, 'entry was', 'entries were')} added to your logbook, marked as imported.`),
        h('a', { class: 'button secondary', href: '/app/logbook', id: 'sheet-open-logbook' }, 'Open your logbook'));
      focusHeading(result);
      ctx.engine.sync('import');
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError && err.body && err.body.error && err.body.error.preview) draw(err.body.error.preview);
      else result.replaceChildren(failure(err));
    }
  }

  check.addEventListener('click', () => { mapping = null; skipped.clear(); preview(); });
  input.addEventListener('change', () => { mapping = null; skipped.clear(); result.replaceChildren(); });
  return h('div', { class: 'card' },
    h('h2', { id: 'sheet-title' }, 'Import a spreadsheet'),
    h('p', {}, 'Bring in the CPD you kept before. You see every row first and choose which column is which; nothing is added until you confirm. Imported entries are marked as imported and are never signed off.'),
    chosen.wrap, check, result);
}

function maharaCard(ctx) {
  const input = h('input', { type: 'file', accept: '.zip,.xml,application/zip,text/xml', name: 'leap2a-file', id: 'leap2a-file' });
  const chosen = field('Mahara export (Leap2A ZIP or XML)', input, { hint: 'In Mahara: Portfolio › Export › Standalone Leap2A.' });
  const check = h('button', { type: 'button', class: 'primary', id: 'check-leap2a' }, 'Check the export');
  const result = h('div', { id: 'leap2a-result', 'aria-live': 'polite' });

  function draw(answer) {
    const s = answer.summary;
    const apply = h('button', { type: 'button', class: 'primary', id: 'apply-leap2a' }, `Import ${plural(s.entries, 'entry', 'entries')}`);
    apply.addEventListener('click', async () => {
      apply.disabled = true;
      try {
        const done = await api.leap2aApply(input.files[0]);
        result.replaceChildren(h('h3', {}, 'Imported'),
          h('p', { class: 'notice ok', id: 'leap2a-done' }, `${plural(done.entry_ids.length, 'entry was', 'entries were')} added to your logbook, marked as imported.`));
        focusHeading(result);
        ctx.engine.sync('import');
      } catch (err) {
        apply.disabled = false;
        if (err instanceof ApiError && err.body && err.body.error && err.body.error.preview) draw(err.body.error.preview);
        else result.replaceChildren(failure(err));
      }
    });
    const items = [...answer.items].sort((a, b) => (b.action === 'error') - (a.action === 'error'));
    result.replaceChildren(...[
      h('h3', { id: 'leap2a-preview-title' }, 'Preview: nothing is written yet'),
      h('p', { class: 'summary', id: 'leap2a-summary' }, `${plural(s.entries, 'entry', 'entries')}, ${plural(s.files, 'file', 'files')}, `
        + `${plural(s.reflections, 'reflection', 'reflections')}; ${s.skip} left out, ${plural(s.error, 'problem', 'problems')}.`),
      answer.can_apply ? apply : h('p', { class: 'alert' }, 'Nothing can be imported until the problems below are fixed.'),
      h('ul', { class: 'list plain import-rows', 'aria-label': 'What the export holds' }, items.slice(0, 200).map((i) => h('li', { class: `import-row result-${i.action}` },
        h('p', {}, h('strong', {}, i.title || i.id), ' ', h('span', { class: `badge badge-import-${i.action}` },
          { create: 'Entry', attach: i.type === 'file' ? 'File' : 'Reflection', skip: 'Left out', error: 'Problem' }[i.action] || i.action)),
        i.type === 'entry' && i.action !== 'skip'
          ? h('p', { class: 'muted' }, `${i.kind_label}${i.start_date ? ` · ${formatDate(i.start_date)}` : ''}${i.files.length ? ` · ${plural(i.files.length, 'file', 'files')}` : ''}`) : null,
        i.problems.length ? h('ul', { class: 'list plain-list problems' }, i.problems.map((p) => h('li', {}, p))) : null,
        ...i.notes.map((n) => h('p', { class: 'muted' }, n))))),
    ].filter(Boolean));
    focusHeading(result);
  }

  check.addEventListener('click', async () => {
    const file = input.files && input.files[0];
    chosen.errorEl.textContent = '';
    if (!file) { chosen.errorEl.textContent = 'Choose a file first.'; input.focus(); return; }
    check.disabled = true;
    result.replaceChildren(h('p', {}, 'Checking…'));
    try { draw(await api.leap2aPreview(file)); } catch (err) { result.replaceChildren(failure(err)); }
    check.disabled = false;
  });
  return h('div', { class: 'card' },
    h('h2', { id: 'mahara-title' }, 'Import from Mahara'),
    h('p', {}, 'Journal entries become entries (as drafts when they have no hours), with their files; pages, plans and your profile are left out.'),
    chosen.wrap, check, result);
}

export async function recordFormatsScreen(ctx) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  mount(view, h('section', { 'aria-labelledby': 'record-formats-title' },
    h('p', {}, h('a', { href: '/app/settings' }, '‹ Settings')),
    h('h1', { id: 'record-formats-title' }, 'Your record'),
    credentialsCard(), leap2aCard(), spreadsheetCard(ctx), maharaCard(ctx)), { nav });
}
