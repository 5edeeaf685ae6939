// Previous cycles: every registration cycle with its verdict, newest first (GET /api/v1/progress/history,
// kept for offline use). Each rule's figures as the requirement engine states them.

import { api } from '../api.js';
import { formatDate, h, mount, navigation } from '../dom.js';
import { cachedFetch, emptyState } from './common.js';
import { cycleCredentialButton } from './credentials.js';

const STATUS_TEXT = { met: 'Met', on_track: 'On track', at_risk: 'At risk', not_met: 'Not met' };
const WHICH_TEXT = { current: 'Current cycle', previous: 'Previous cycle', earlier: 'Earlier cycle' };

function ruleLine(rule) {
  const figures = rule.target ? `${rule.value} of ${rule.target} ${rule.unit || ''}`.trim() : (STATUS_TEXT[rule.status] || rule.status);
  return h('li', {},
    h('span', { class: 'rule-title' }, rule.title, rule.advisory ? h('span', { class: 'muted' }, ' (good practice)') : null),
    h('span', { class: 'rule-value' }, figures),
    rule.target ? h('span', { class: 'hint' }, STATUS_TEXT[rule.status] || rule.status) : null);
}

/** A cycle that has ended and was met can be downloaded as a credential (the server decides again). */
function cycleBlock(reg, asOf, cycle) {
  const completed = cycle.status === 'met' && asOf && cycle.ends_on < asOf;
  return h('li', { class: 'cycle', 'data-which': cycle.which },
    h('h3', {}, `${formatDate(cycle.starts_on)} to ${formatDate(cycle.ends_on)}`),
    h('p', {}, h('span', { class: 'muted' }, `${WHICH_TEXT[cycle.which] || cycle.which} · `),
      h('span', { class: `badge badge-progress-${cycle.status}` }, STATUS_TEXT[cycle.status] || cycle.status)),
    h('ul', { class: 'rules' }, (cycle.rules || []).map(ruleLine)),
    completed && navigator.onLine ? cycleCredentialButton(reg.registration_id, cycle.starts_on) : null);
}

export async function cyclesScreen(ctx) {
  const nav = navigation.id;
  const got = await cachedFetch(ctx.store, 'progress-history', api.progressHistory);
  const regs = (got.value && got.value.user_id === ctx.user.id && got.value.registrations) || [];
  const note = got.fresh ? `As of ${formatDate(got.value.as_of)}.`
    : got.value ? `Saved copy of ${formatDate(got.value.as_of)}: you are offline.` : 'The previous cycles show once the app has been online.';
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'cycles-title' },
    h('h1', { id: 'cycles-title' }, 'Previous cycles'),
    h('p', { class: 'muted', id: 'cycles-as-of' }, note),
    regs.length ? regs.map((reg) => h('div', { class: 'card registration' },
      h('h2', {}, `${reg.regulator} · ${reg.profession}`),
      reg.framework ? h('p', { class: 'muted' }, reg.framework.name) : null,
      reg.note ? h('p', {}, reg.note) : null,
      h('ol', { class: 'cycles' }, (reg.cycles || []).map((c) => cycleBlock(reg, got.value.as_of, c)))))
      : emptyState(got.value ? 'No professional registration recorded.' : ''),
    h('p', {}, h('a', { href: '/' }, 'Back to Home'))), { nav });
}
