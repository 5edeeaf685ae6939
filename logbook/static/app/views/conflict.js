// Conflict resolution: both versions of every clashing field side by side; keep one, the other,
// or combine them. Nothing is discarded without the user having seen it.

import { navigation, h, mount } from '../dom.js';
import { KIND_LABELS } from '../kinds.js';
import { acceptServerCopy, createEntry, newId, resolveConflict } from '../outbox.js';

const FIELD_LABELS = {
  title: 'Title', description: 'Description', hours: 'Hours', start_date: 'Date', end_date: 'End date', kind: 'Kind',
  reflection: 'Reflection', impact_on_practice: 'Impact on practice', impact_on_people: 'Impact on children and families',
  ways_of_knowing: 'Ways of knowing', common_core: 'Common Core', standards: 'Standards', details: 'Details',
  evidence: 'Evidence', visibility: 'Visible to', status: 'Status', other_professions: 'Other professions',
  is_participatory: 'Participatory', includes_peer_reflection: 'Includes peer reflection',
};

export function show(name, value) {
  if (value === undefined || value === null || value === '') return '(empty)';
  if (name === 'kind') return KIND_LABELS[value] || value;
  if (name === 'reflection') return Object.values(value.answers || {}).join('\n\n') || '(empty)';
  if (name === 'evidence') return value.map((e) => e.name || e.sha256.slice(0, 8)).join(', ') || '(none)';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ') || '(none)';
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join('\n');
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

export async function conflictScreen(ctx, id) {
  const nav = navigation.id;
  const record = await ctx.store.getEntry(id);
  const view = document.getElementById('view');
  if (!record || !record.conflict) { ctx.go(`/app/entry/${id}`, { replace: true }); return; }
  const { conflict } = record;
  const current = conflict.current || {};
  const yours = { ...conflict.yours };
  for (const f of conflict.fields) if (yours[f] === undefined) yours[f] = record.data[f];

  if (conflict.code === 'deleted' || current.is_deleted) {
    const keep = h('button', { type: 'button', class: 'primary' }, 'Keep my version as a new entry');
    keep.addEventListener('click', async () => {
      const copy = { ...record.data, ...conflict.yours, id: newId() };
      delete copy.status;
      const created = await createEntry(ctx.store, { ...copy, status: 'recorded' });
      await acceptServerCopy(ctx.store, id);
      ctx.changed();
      ctx.go(`/app/entry/${created.id}`);
    });
    const drop = h('button', { type: 'button', class: 'secondary' }, 'Let it go (stay deleted)');
    drop.addEventListener('click', async () => { await acceptServerCopy(ctx.store, id); ctx.changed(); ctx.go('/app/logbook'); });
    mount(view, h('section', { class: 'conflict' },
      h('h1', {}, 'Deleted on another device'),
      h('p', {}, 'You changed this entry here, but it was deleted on another device. Your version:'),
      h('pre', { class: 'version mine' }, Object.entries(conflict.yours).map(([k, v]) => `${FIELD_LABELS[k] || k}: ${show(k, v)}`).join('\n')),
      keep, drop), { nav });
    return;
  }

  const choices = {};
  const rows = conflict.fields.map((name) => {
    const mine = yours[name];
    const theirs = current[name];
    const isText = typeof mine === 'string' && typeof theirs === 'string' && name !== 'kind' && name !== 'start_date' && name !== 'visibility';
    const group = `pick-${name}`;
    const combined = h('textarea', { id: `combine-${name}`, rows: 5, hidden: true, 'aria-label': `${FIELD_LABELS[name] || name}: combined text` },
      name === 'title' ? `${theirs} / ${mine}` : `${theirs}\n\n${mine}`);
    const option = (value, label, text) => h('label', { class: 'version-option' },
      h('input', { type: 'radio', name: group, value, checked: value === 'mine', onchange: () => { combined.hidden = value !== 'both'; choices[name] = value; } }),
      h('span', { class: 'version-label' }, label),
      text !== null ? h('span', { class: 'version' }, text) : null);
    choices[name] = 'mine';
    return { name, mine, theirs, combined, el: h('fieldset', { class: 'conflict-field' },
      h('legend', {}, FIELD_LABELS[name] || name),
      option('mine', 'Keep this phone’s version', show(name, mine)),
      option('theirs', 'Keep the other version', show(name, theirs)),
      isText ? option('both', 'Combine both (edit below)', null) : null,
      combined) };
  });
  const others = Object.keys(conflict.yours).filter((f) => !conflict.fields.includes(f));
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save my choices');
  const form = h('form', { class: 'conflict' },
    h('h1', {}, 'Choose what to keep'),
    h('p', {}, conflict.code === 'signed_off'
      ? 'This entry was signed off after you changed it. Saving makes a new version that needs signing again; the signed version stays on record.'
      : 'This entry was changed here and on another device. For each field, choose a version or combine them.'),
    rows.map((r) => r.el),
    others.length ? h('p', { class: 'muted' }, `Your other changes are kept too: ${others.map((f) => FIELD_LABELS[f] || f).join(', ')}.`) : null,
    save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    const chosen = {};
    for (const f of others) chosen[f] = conflict.yours[f];
    for (const r of rows) {
      const pick = choices[r.name];
      chosen[r.name] = pick === 'theirs' ? r.theirs : pick === 'both' ? r.combined.value : r.mine;
    }
    await resolveConflict(ctx.store, id, chosen);
    ctx.changed();
    ctx.flash = 'Your choices are saved and will be sent.';
    ctx.go(`/app/entry/${id}`);
  });
  mount(view, form, { nav });
}
