// Quick log (kind, date, hours, title in under 30 seconds; the rest optional) and edit.

import { api } from '../api.js';
import { navigation, debounce, field, formatHours, h, mount, todayIso } from '../dom.js';
import { addEvidence, ACCEPT } from '../evidence.js';
import { COMMON_CORE, FALLBACK_TEMPLATES, KIND_LABELS, REQUIRED_DETAILS, VISIBILITY_LABELS, WAYS_OF_KNOWING } from '../kinds.js';
import { createEntry, updateEntry } from '../outbox.js';
import { linkedPeople } from './signoff-request.js';

const view = () => document.getElementById('view');

async function reflectionTemplates(store) {
  const cached = await store.getCached('reflection-templates');
  if (navigator.onLine) {
    api.templates().then((value) => store.setCached('reflection-templates', { value, fetched_at: new Date().toISOString() })).catch(() => null);
  }
  return (cached && cached.value) || FALLBACK_TEMPLATES;
}

/** The practitioner's supervisors as saved on the phone (the form never waits for the network); refreshed in the background. */
async function savedSupervisors(store) {
  const cached = await store.getCached('supervision-people');
  if (!cached && navigator.onLine) return (await linkedPeople(store)).supervisors || [];
  if (navigator.onLine) linkedPeople(store).catch(() => null);
  return (cached && cached.value && cached.value.supervisors) || [];
}

function select(name, options, value) {
  return h('select', { name }, Object.entries(options).map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function checkboxGroup(legend, name, options, chosen = []) {
  return h('fieldset', { class: 'choices' }, h('legend', {}, legend),
    Object.entries(options).map(([value, label]) => h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name, value, checked: chosen.includes(value) }), h('span', {}, label))));
}

function radioGroup(legend, name, options, chosen) {
  return h('fieldset', { class: 'choices' }, h('legend', {}, legend),
    Object.entries(options).map(([value, label]) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name, value, checked: value === chosen }), h('span', {}, label))));
}

/** Warn as the user types if text looks like it identifies a child or family (server check). */
function privacyWatch(textarea, out) {
  const check = debounce(async () => {
    const text = textarea.value;
    if (!text.trim()) { out.replaceChildren(); return; }
    if (!navigator.onLine) return;
    try {
      const { warnings } = await api.checkText(text);
      out.replaceChildren(...warnings.map((w) => h('p', { class: 'warning' },
        `“${text.slice(w.start, w.end)}” ${w.reason}. Remove details that identify a child or family.`)));
    } catch { /* offline or logged out: checked on the server when it syncs */ }
  }, 700);
  textarea.addEventListener('input', check);
  if (textarea.value) check();
}

function longText(label, name, value, hint) {
  const input = h('textarea', { name, rows: 4 }, value || '');
  const warn = h('div', { class: 'privacy', 'aria-live': 'polite' });
  privacyWatch(input, warn);
  const f = field(label, input, { hint });
  f.wrap.append(warn);
  return f;
}

/** Standards of the frameworks the user's registrations follow (from cached progress). */
async function frameworkStandards(store) {
  const progress = await store.getCached('progress');
  const people = (progress && progress.value && progress.value.people) || [];
  const refs = new Map();
  for (const person of people.slice(0, 1)) {
    for (const reg of person.registrations || []) if (reg.framework) refs.set(`${reg.framework.id}:${reg.framework.version}`, reg.framework);
  }
  const out = [];
  for (const [key, ref] of refs) {
    const hit = await store.getCached(`framework:${key}`);
    if (hit && hit.value) out.push(hit.value);
    else if (navigator.onLine) {
      api.framework(ref.id, ref.version)
        .then((value) => store.setCached(`framework:${key}`, { value, fetched_at: new Date().toISOString() }))
        .catch(() => null);
    }
  }
  return out;
}

function standardsPicker(frameworks, chosen) {
  const isChosen = (fw, code) => chosen.some((s) => s.framework === fw.id && s.code === code);
  if (!frameworks.length) {
    return h('fieldset', { class: 'choices' }, h('legend', {}, 'Standards'),
      h('p', { class: 'hint' }, 'Your registration standards appear here once the app has been online.'));
  }
  return frameworks.map((fw) => h('fieldset', { class: 'choices standards' }, h('legend', {}, `Standards: ${fw.name}`),
    (fw.standards || []).map((st) => h('label', { class: `choice${st.parent ? ' sub' : ''}` },
      h('input', { type: 'checkbox', name: 'standards', value: JSON.stringify({ framework: fw.id, version: fw.version, code: st.code }), checked: isChosen(fw, st.code) }),
      h('span', {}, `${st.code} ${st.title}`)))));
}

export async function quickLogScreen(ctx) {
  const nav = navigation.id;
  return entryForm(ctx, null);
}

export async function editScreen(ctx, id) {
  const nav = navigation.id;
  const record = await ctx.store.getEntry(id);
  if (!record) { ctx.go('/app/logbook', { replace: true }); return; }
  return entryForm(ctx, record);
}

async function entryForm(ctx, record) {
  const nav = navigation.id;
  const data = record ? record.data : {};
  const isEdit = Boolean(record);
  const templates = await reflectionTemplates(ctx.store);
  const errors = (record && record.errors) || {};

  const kind = field('What kind of CPD?', select('kind', KIND_LABELS, data.kind || 'study_day'), { error: (errors.kind || []).join(' ') });
  const date = field('Date', h('input', { type: 'date', name: 'start_date', required: true, value: data.start_date || todayIso(), max: todayIso(new Date(Date.now() + 366 * 864e5)) }),
    { error: (errors.start_date || []).join(' ') });
  const hours = field('Hours', h('input', { type: 'number', name: 'hours', inputmode: 'decimal', step: '0.25', min: '0.25', max: '24', required: true, value: data.hours !== undefined ? String(Number(data.hours)) : '' }),
    { hint: 'In quarter hours, e.g. 1.5', error: (errors.hours || []).join(' ') });
  const title = field('Title', h('input', { type: 'text', name: 'title', required: true, maxlength: 200, autocomplete: 'off', value: data.title || '' }),
    { error: (errors.title || []).join(' ') });

  const detailsBox = h('div', { class: 'kind-details' });
  const detailInputs = {};
  // A supervision logged with one of the practitioner's supervisors is that supervision session on
  // the server (sessions.session_for_entry): both people, and the supervisor confirms it.
  const supervisors = await savedSupervisors(ctx.store);
  let supervisorInput = null;
  const supervisorField = () => {
    const current = (data.details || {}).supervisor_id;
    const options = Object.fromEntries(supervisors.map((p) => [String(p.id), p.name]));
    supervisorInput = select('details.supervisor_id', { ...options, '': 'Someone else (not in this app)' },
      current !== undefined ? String(current || '') : String((supervisors[0] || {}).id || ''));
    return field('Supervisor', supervisorInput, { hint: 'With your supervisor here, it becomes your shared supervision record.' }).wrap;
  };
  const renderDetails = () => {
    const spec = REQUIRED_DETAILS[kind.input.value] || [];
    for (const key of Object.keys(detailInputs)) delete detailInputs[key];
    supervisorInput = null;
    detailsBox.replaceChildren(...(kind.input.value === 'supervision' && supervisors.length ? [supervisorField()] : []), ...spec.map((d) => {
      const current = (data.details || {})[d.name] || '';
      const input = d.options ? select(`details.${d.name}`, { '': 'Choose…', ...d.options }, current)
        : d.long ? h('textarea', { name: `details.${d.name}`, rows: 3 }, current)
          : h('input', { type: 'text', name: `details.${d.name}`, value: current });
      detailInputs[d.name] = input;
      return field(d.label, input, { error: (errors[`details.${d.name}`] || []).join(' ') }).wrap;
    }));
  };
  kind.input.addEventListener('change', () => { renderDetails(); renderPrompts(); });
  renderDetails();

  // --- optional: reflection, impact, tags, visibility, evidence -------------------------------
  const promptsBox = h('div', { class: 'prompts' });
  const answers = {};
  let templateKey = 'rolfe';
  const renderPrompts = () => {
    const saved = (data.reflection && data.reflection.answers) || {};
    templateKey = (data.reflection && data.reflection.template)
      || templates.default_for_kind[kind.input.value] || Object.keys(templates.templates)[0];
    const tpl = templates.templates[templateKey] || Object.values(templates.templates)[0];
    for (const key of Object.keys(answers)) delete answers[key];
    promptsBox.replaceChildren(h('h2', {}, `Reflection: ${tpl.name}`), ...tpl.prompts.map((p) => {
      const f = longText(p.label, `reflection.${p.key}`, saved[p.key], p.hint);
      answers[p.key] = f.input;
      return f.wrap;
    }));
  };
  renderPrompts();

  const description = longText('Description', 'description', data.description, 'What the activity was.');
  const impactPractice = longText('Impact on your practice', 'impact_on_practice', data.impact_on_practice);
  const impactPeople = longText('Impact on children, young people and families', 'impact_on_people', data.impact_on_people);
  const ways = checkboxGroup('Ways of knowing', 'ways_of_knowing', WAYS_OF_KNOWING, data.ways_of_knowing || []);
  const core = checkboxGroup('Common Core areas', 'common_core', COMMON_CORE, data.common_core || []);
  const standards = standardsPicker(await frameworkStandards(ctx.store), data.standards || []);
  const visibility = radioGroup('Who can see this entry?', 'visibility', VISIBILITY_LABELS, data.visibility || 'supervisors');

  const evidence = [...(data.evidence || [])];
  const evidenceList = h('ul', { class: 'evidence-list', 'aria-live': 'polite' });
  const evidenceError = h('p', { class: 'field-error', role: 'alert' });
  const renderEvidence = () => evidenceList.replaceChildren(...evidence.map((e, i) => h('li', {},
    h('span', {}, e.name || 'File'),
    h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${e.name || 'file'}`, onclick: () => { evidence.splice(i, 1); renderEvidence(); } }, 'Remove'))));
  renderEvidence();
  const onFiles = async (event) => {
    evidenceError.textContent = '';
    for (const file of event.target.files) {
      try {
        const ref = await addEvidence(ctx.store, file);
        if (!evidence.some((e) => e.sha256 === ref.sha256)) evidence.push(ref);
      } catch (err) { evidenceError.textContent = err.message; }
    }
    event.target.value = '';
    renderEvidence();
  };
  const camera = h('input', { type: 'file', id: 'evidence-camera', accept: 'image/*', capture: 'environment', class: 'visually-hidden', onchange: onFiles });
  const files = h('input', { type: 'file', id: 'evidence-files', accept: ACCEPT, multiple: true, class: 'visually-hidden', onchange: onFiles });
  const evidenceBox = h('fieldset', { class: 'choices' }, h('legend', {}, 'Evidence'),
    h('p', { class: 'hint' }, 'Photos and files stay on this phone until they are sent (up to 10 MB each).'),
    h('div', { class: 'row' },
      h('label', { for: 'evidence-camera', class: 'button secondary' }, 'Take a photo'), camera,
      h('label', { for: 'evidence-files', class: 'button secondary' }, 'Add a file'), files),
    evidenceList, evidenceError);

  const more = h('details', { class: 'more', open: isEdit },
    h('summary', {}, 'Reflection, tags, evidence (optional)'),
    description.wrap, promptsBox, impactPractice.wrap, impactPeople.wrap, ways, standards, core, visibility, evidenceBox);

  const formError = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, isEdit ? 'Save changes' : 'Save entry');
  const form = h('form', { class: 'entry-form', novalidate: true },
    h('h1', {}, isEdit ? 'Edit entry' : 'Log CPD'),
    kind.wrap, date.wrap, hours.wrap, title.wrap, detailsBox, save, more,
    isEdit ? h('button', { type: 'submit', class: 'primary' }, 'Save changes') : null,
    formError);

  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

  function collect() {
    const problems = [];
    for (const f of [date, hours, title]) { f.errorEl.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    const flag = (f, msg) => { f.errorEl.textContent = msg; f.input.setAttribute('aria-invalid', 'true'); problems.push(f.input); };
    if (!date.input.value) flag(date, 'Enter the date.');
    const n = Number(hours.input.value);
    if (!hours.input.value || !Number.isFinite(n) || n < 0.25) flag(hours, 'Enter the hours, at least 0.25.');
    else if (n > 24 * 366) flag(hours, 'That is more hours than the dates allow.');
    if (!title.input.value.trim()) flag(title, 'Enter a title.');
    const details = { ...(data.details || {}) };
    for (const [name, input] of Object.entries(detailInputs)) {
      const wrap = input.closest('.field');
      const err = wrap.querySelector('.field-error');
      err.textContent = '';
      if (!input.value.trim()) { err.textContent = 'This is needed for this kind of CPD.'; input.setAttribute('aria-invalid', 'true'); problems.push(input); }
      details[name] = input.value.trim();
    }
    if (kind.input.value === 'supervision') {
      if (supervisorInput) {
        const who = supervisors.find((p) => String(p.id) === supervisorInput.value);
        if (who) { details.supervisor_id = String(who.id); details.supervisor_name = who.name; } else delete details.supervisor_id;
      }
      if (Number.isFinite(n) && n > 0) details.duration_minutes = Math.min(600, Math.round(n * 60));
    }
    const reflectionAnswers = {};
    for (const [key, input] of Object.entries(answers)) if (input.value.trim()) reflectionAnswers[key] = input.value;
    const fields = {
      kind: kind.input.value,
      start_date: date.input.value,
      hours: n.toFixed(2),
      title: title.input.value.trim(),
      details,
      description: description.input.value,
      impact_on_practice: impactPractice.input.value,
      impact_on_people: impactPeople.input.value,
      ways_of_knowing: checked('ways_of_knowing'),
      common_core: checked('common_core'),
      standards: checked('standards').map((v) => JSON.parse(v)),
      visibility: checked('visibility')[0] || 'supervisors',
      evidence,
    };
    if (Object.keys(reflectionAnswers).length || data.reflection) fields.reflection = { template: templateKey, answers: reflectionAnswers };
    if (!isEdit) fields.status = 'recorded';
    return { fields, problems };
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { fields, problems } = collect();
    if (problems.length) {
      formError.textContent = 'Check the highlighted fields.';
      problems[0].focus();
      return;
    }
    formError.textContent = '';
    for (const b of form.querySelectorAll('button[type=submit]')) b.disabled = true;
    try {
      const saved = isEdit ? await updateEntry(ctx.store, record.id, fields) : await createEntry(ctx.store, fields);
      ctx.changed();
      ctx.flash = isEdit ? 'Changes saved on this phone.' : `Saved on this phone: ${formatHours(fields.hours)} of ${KIND_LABELS[fields.kind]}.`;
      ctx.go(`/app/entry/${saved.id}`);
    } catch (err) {
      formError.textContent = `Could not save: ${err.message}`;
      for (const b of form.querySelectorAll('button[type=submit]')) b.disabled = false;
    }
  });

  mount(view(), form, { nav });
  if (!isEdit) title.input.setAttribute('enterkeyhint', 'done');
}
