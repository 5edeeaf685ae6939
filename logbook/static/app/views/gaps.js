// Breaks in CPD: the gaps the requirement engine found (HCPC: three months or more with no CPD) and
// the practitioner's explanations of them (illness, parental leave…), written offline like
// everything else (outbox entity "gap_explanation"). An explanation is private: only its owner's
// phones pull it, and it is printed only in the HCPC profile they make.

import { field, formatDate, h, mount, navigation } from '../dom.js';
import { changeGapExplanation, deleteGapExplanation, explainGap } from '../outbox.js';
import { api } from '../api.js';
import { entryFacts, localToday, progress as workOutProgress } from '../progress.js';
import { cachedFetch, emptyState, visibleEntries } from './common.js';

const ENTITY = 'gap_explanation';

const refused = (note) => Boolean(note && (note.state === 'rejected' || note.state === 'conflict'));

/**
 * The explanations the engine may count on this phone: synced ones and ones waiting to be sent, not
 * deleted; one the server refused to create is left out (Home must not count what the server will not),
 * and `unsent` says how many changes the server has not counted yet (a deletion too).
 */
export async function explanationsOnPhone(store) {
  const all = (await store.records(ENTITY)).filter(Boolean);
  const notes = await Promise.all(all.map((x) => store.getCached(`${ENTITY}:${x.id}`)));
  const kept = all.filter((x, i) => !(refused(notes[i]) && !x.version));
  return {
    explanations: kept.filter((x) => !x.is_deleted),
    unsent: all.filter((x, i) => x.pending && !refused(notes[i])).length,
  };
}

/** This person's explanations on this phone (synced and not yet sent), without deleted ones. */
export async function ownExplanations(store) {
  return (await store.records(ENTITY)).filter((x) => x && !x.is_deleted);
}

/** Under an unexplained gap on Home: the way to explain it. */
export function gapLink(rule) {
  const open = (rule.gaps || []).filter((g) => !g.explained);
  if (!open.length) return null;
  const g = open[0];
  return h('a', { href: `/app/gaps?from=${g.from}&to=${g.to}`, class: 'explain-gap' },
    `Explain the break from ${formatDate(g.from)} to ${formatDate(g.to)}`);
}

/** The gaps of every cycle shown (current and just ended), each with whether it is explained. */
async function foundGaps(ctx) {
  const inputs = await cachedFetch(ctx.store, 'progress-inputs', api.progressInputs);
  const own = inputs.value && inputs.value.user_id === ctx.user.id ? inputs.value : null;
  let person = null;
  if (own) {
    const entries = (await visibleEntries(ctx.store)).filter((r) => !r.data.owner_id || r.data.owner_id === ctx.user.id);
    const { explanations } = await explanationsOnPhone(ctx.store);
    person = workOutProgress(own, entries.map((r) => entryFacts(r.data, r.is_deleted)), localToday(), explanations);
  }
  const out = [];
  for (const reg of (person && person.registrations) || []) {
    for (const cycle of reg.cycles || []) {
      for (const rule of cycle.rules || []) {
        for (const g of rule.gaps || []) out.push({ ...g, regulator: reg.regulator, rule: rule.title });
      }
    }
  }
  return out;
}

function noteBadge(note, record) {
  if (record.pending || (note && note.state === 'pending')) return h('span', { class: 'badge badge-pending' }, 'Waiting to sync');
  if (note && (note.state === 'rejected' || note.state === 'conflict')) return h('span', { class: 'badge badge-conflict' }, 'Not accepted: change it again');
  return null;
}

export async function gapsScreen(ctx) {
  const nav = navigation.id;
  const params = new URLSearchParams(location.search);
  const editing = params.get('edit');
  const [gaps, explanations] = await Promise.all([foundGaps(ctx), ownExplanations(ctx.store)]);
  explanations.sort((a, b) => (a.starts_on < b.starts_on ? -1 : 1));
  const notes = await Promise.all(explanations.map((x) => ctx.store.getCached(`${ENTITY}:${x.id}`)));
  const current = editing ? explanations.find((x) => x.id === editing) : null;

  const from = field('First day of the break', h('input', { type: 'date', name: 'starts_on', required: true, value: current ? current.starts_on : params.get('from') || '' }));
  const to = field('Last day of the break', h('input', { type: 'date', name: 'ends_on', required: true, value: current ? current.ends_on : params.get('to') || '' }),
    { hint: 'It may end in the future (e.g. parental leave that has not ended yet).' });
  const reason = field('Why there was no CPD', h('textarea', { name: 'reason', rows: 4, maxlength: 2000, required: true }),
    { hint: 'In your own words, e.g. sick leave, parental leave, a career break. Private: printed only in the HCPC profile you make.' });
  reason.input.value = current ? current.reason : '';
  const error = h('p', { class: 'error', role: 'alert', id: 'gap-error' });
  const form = h('form', { novalidate: true, id: 'gap-form', 'aria-labelledby': 'gap-form-title' },
    h('h2', { id: 'gap-form-title' }, current ? 'Change this explanation' : 'Explain a break'),
    from.wrap, to.wrap, reason.wrap, error,
    h('button', { type: 'submit', class: 'primary' }, current ? 'Save the change' : 'Save the explanation'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = { starts_on: from.input.value, ends_on: to.input.value, reason: reason.input.value.trim() };
    if (!values.starts_on || !values.ends_on) { error.textContent = 'Enter the first and last day of the break.'; (values.starts_on ? to : from).input.focus(); return; }
    if (values.ends_on < values.starts_on) { error.textContent = 'The last day is before the first day.'; to.input.focus(); return; }
    if (!values.reason) { error.textContent = 'Say in a few words why there was no CPD in these days.'; reason.input.focus(); return; }
    if (current) await changeGapExplanation(ctx.store, current, values);
    else await explainGap(ctx.store, values);
    ctx.changed();
    ctx.flash = 'Explanation saved on this phone; it is sent when you are online.';
    ctx.go('/app/gaps');
  });

  const flash = typeof ctx.flash === 'string' ? h('p', { class: 'notice', role: 'status' }, ctx.flash) : null;
  if (flash) ctx.flash = null;
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'gaps-title' },
    h('h1', { id: 'gaps-title' }, 'Breaks in your CPD'),
    flash,
    h('p', {}, 'HCPC asks you to explain a break of three months or more with no CPD, such as illness or parental leave. An explained break no longer puts your record at risk.'),
    h('div', { class: 'card', id: 'gap-list' }, h('h2', {}, 'Breaks found'),
      gaps.length ? h('ul', { class: 'list plain' }, gaps.map((g) => h('li', { class: 'gap-row' },
        h('span', {}, `${formatDate(g.from)} to ${formatDate(g.to)}`),
        h('span', { class: `badge ${g.explained ? 'badge-progress-met' : 'badge-progress-at_risk'}` }, g.explained ? 'Explained' : 'Not explained'),
        g.explained ? null : h('a', { href: `/app/gaps?from=${g.from}&to=${g.to}` }, 'Explain it'))))
        : h('p', { class: 'muted' }, 'No break of three months or more in your current cycles.')),
    form,
    h('div', { class: 'card', id: 'explanations' }, h('h2', {}, 'Your explanations'),
      explanations.length ? h('ul', { class: 'list plain' }, explanations.map((x, i) => h('li', { class: 'explanation' },
        h('p', { class: 'entry-title' }, `${formatDate(x.starts_on)} to ${formatDate(x.ends_on)}`),
        h('p', { class: 'statement' }, x.reason),
        noteBadge(notes[i], x),
        h('p', { class: 'actions' },
          h('a', { href: `/app/gaps?edit=${x.id}`, 'aria-label': `Change the explanation from ${formatDate(x.starts_on)}` }, 'Change'), ' · ',
          h('button', { type: 'button', class: 'link', 'aria-label': `Delete the explanation from ${formatDate(x.starts_on)}`, onclick: async (event) => {
            const button = event.currentTarget;
            if (!button.dataset.armed) { button.dataset.armed = '1'; button.textContent = 'Tap again to delete'; return; }
            await deleteGapExplanation(ctx.store, x);
            ctx.changed();
            gapsScreen(ctx);
          } }, 'Delete')))))
        : emptyState('No explanation written yet.')),
    h('p', {}, h('a', { href: '/' }, 'Back to Home'))), { nav });
}
