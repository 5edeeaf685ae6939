// The admin area's frameworks: which apply to whom (people whose registrations follow each, the job
// roles it serves, a supervision policy's regulators and service areas), and uploading a new framework
// or a new version of one, with every problem of the file shown by its line.

import { api, ApiError } from '../api.js';
import { formatDate, h } from '../dom.js';
import { REGULATOR_LABELS, SERVICE_AREA_LABELS } from '../admin-lists.js';
import { adminPage, dataTable, say, statusLine } from './admin-shell.js';

const KIND_TEXT = { registration: 'Registration', supervision_policy: 'Supervision policy', standards: 'Standards' };

function appliesTo(f) {
  const parts = [];
  if (f.kind === 'supervision_policy' && f.applies_to) {
    const regs = (f.applies_to.regulators || []).map((r) => REGULATOR_LABELS[r] || r);
    const areas = (f.applies_to.service_areas || []).map((a) => SERVICE_AREA_LABELS[a] || a);
    if (regs.length) parts.push(`Registered with ${regs.join(', ')}`);
    if (areas.length) parts.push(`working in ${areas.join(', ')}`);
  } else if (f.job_roles.length) parts.push(`Job roles: ${f.job_roles.join(', ')}`);
  else if (f.kind === 'standards') parts.push('Anyone can tag entries with its standards');
  return h('span', {}, h('strong', {}, `${f.people} ${f.people === 1 ? 'person' : 'people'}`),
    parts.length ? h('span', { class: 'muted line' }, parts.join('; ')) : null);
}

/** The file's problems, each with its line, and the file with those lines marked. */
export function problemsView(text, problems) {
  const byLine = new Map();
  for (const p of problems) {
    const key = p.line || 0;
    byLine.set(key, [...(byLine.get(key) || []), p]);
  }
  const list = h('ol', { class: 'problems', id: 'framework-problems' }, problems.map((p) => h('li', {},
    h('strong', {}, p.line ? `Line ${p.line}` : 'File'), p.path ? ` \u00b7 ${p.path}` : '', `: ${p.reason}`)));
  const lines = String(text).replace(/\r?\n$/, '').split(/\r?\n/);
  const source = h('ol', { class: 'source', 'aria-label': 'The file, with the lines that have problems marked' },
    lines.map((line, i) => {
      const bad = byLine.get(i + 1);
      return h('li', { class: bad ? 'bad' : null, value: String(i + 1) },
        h('code', {}, line || ' '), bad ? h('span', { class: 'visually-hidden' }, ` (problem: ${bad.map((p) => p.reason).join('; ')})`) : null);
    }));
  return h('div', { class: 'framework-problems' }, list, h('details', { class: 'more', open: lines.length <= 80 },
    h('summary', {}, 'Show the file with those lines marked'), h('div', { class: 'source-scroll', tabindex: '0', role: 'region', 'aria-label': 'Framework file' }, source)));
}

export async function frameworksScreen(ctx, nav, _id, message = '') {
  const frameworks = await api.adminFrameworks();
  const status = statusLine('frameworks-status');
  const table = dataTable({
    caption: 'Frameworks', id: 'frameworks-table', rows: frameworks, empty: 'No frameworks loaded.',
    columns: [
      { label: 'Framework', cell: (f) => h('span', {}, h('strong', {}, f.name), h('span', { class: 'muted line' }, `${f.id} \u00b7 ${KIND_TEXT[f.kind] || f.kind}`)) },
      { label: 'Regulator', cell: (f) => (f.regulator ? REGULATOR_LABELS[f.regulator] || f.regulator : '—') },
      { label: 'Version', cell: (f) => h('span', {}, `v${f.version}`, f.versions.length > 1 ? h('span', { class: 'muted line' }, `of ${f.versions.map((v) => `v${v}`).join(', ')}`) : null) },
      { label: 'From', cell: (f) => (f.effective_from ? formatDate(f.effective_from) : '—') },
      { label: 'Source', cell: (f) => (f.owner === 'organisation' ? 'Your organisation' : 'Shipped') },
      { label: 'Applies to', cell: appliesTo },
    ],
  });

  const file = h('input', { type: 'file', id: 'framework-file', accept: '.yaml,.yml,text/yaml,application/yaml' });
  const upload = h('button', { type: 'button', class: 'primary', id: 'framework-upload' }, 'Check and add the file');
  const result = h('div', { id: 'framework-result', 'aria-live': 'polite' });
  upload.addEventListener('click', async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) { result.replaceChildren(h('p', { class: 'error' }, 'Choose a framework file (YAML) first.')); return; }
    upload.disabled = true;
    const text = await chosen.text();
    try {
      const added = await api.uploadFramework(chosen.name, text);
      await frameworksScreen(ctx, nav, null, `Added ${added.name} version ${added.version}.`);
      return;
    } catch (err) {
      const problems = err instanceof ApiError && err.body && err.body.error && err.body.error.problems;
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, problems
        ? `${chosen.name} was not added: ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix.` : err.message),
      problems ? problemsView(text, problems) : null);
    }
    upload.disabled = false;
  });
  const uploadCard = h('div', { class: 'card', id: 'framework-upload-card' },
    h('h2', {}, 'Add a framework or a new version'),
    h('p', { class: 'hint' }, 'A YAML file in the format of docs/frameworks.md. A stored version is never changed: give a changed file a higher version number. '
      + 'Nothing is added until the whole file is right; each problem is shown with its line.'),
    h('label', { for: 'framework-file' }, 'Framework file'), file, upload, result);
  if (!adminPage('frameworks', 'Frameworks', h('div', {}, status, table, uploadCard), {
    nav, intro: 'A registration follows the framework of its regulator; supervision policies apply by regulator or service area.',
  })) return;
  if (message) say(status, message);
}
