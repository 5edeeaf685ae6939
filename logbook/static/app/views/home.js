// Home: progress per registration (from the server's requirement engine; worked out on the phone
// by progress.js while offline or while entries on the phone are not synced), what is due next,
// entries awaiting sign-off, work not yet sent.

import { api } from '../api.js';
import { navigation, formatDate, formatHours, h, mount } from '../dom.js';
import { entryFacts, isoDay, localToday, progress as workOutProgress } from '../progress.js';
import { cachedFetch, visibleEntries } from './common.js';
import { isSupervisor, supervisionCard, supervisorWorkCard } from './home-supervision.js';
import { explanationsOnPhone, gapLink } from './gaps.js';
import { cyclesOnHome } from '../cycles.js';

const STATUS_TEXT = { met: 'Met', on_track: 'On track', at_risk: 'At risk', not_met: 'Not met' };

function cycleCard(reg, cycle) {
  return h('div', { class: 'card registration', 'data-which': cycle.which },
    h('h2', {}, `${reg.regulator} · ${reg.profession}`),
    h('p', { class: 'muted' }, `${reg.framework ? reg.framework.name : ''} · ${cycle.which === 'previous' ? 'just ended: ' : ''}cycle ${formatDate(cycle.starts_on)} to ${formatDate(cycle.ends_on)}`),
    h('p', {}, h('span', { class: `badge badge-progress-${cycle.status}` }, STATUS_TEXT[cycle.status] || cycle.status)),
    h('ul', { class: 'rules' }, (cycle.rules || []).map((rule) => {
      const pct = rule.target ? Math.min(100, Math.round((Number(rule.value) / Number(rule.target)) * 100)) : 100;
      return h('li', {},
        h('span', { class: 'rule-title' }, rule.title),
        h('span', { class: 'rule-value' }, rule.target ? `${rule.value} of ${rule.target} ${rule.unit || ''}` : STATUS_TEXT[rule.status] || rule.status),
        rule.target ? h('progress', { max: 100, value: pct, 'aria-label': `${rule.title}: ${pct}%` }) : null,
        rule.missing && rule.missing.length ? h('span', { class: 'hint' }, `Still needed: ${[].concat(rule.missing).join(', ')}`) : null,
        gapLink(rule));
    })),
    (cycle.dates || []).length ? h('p', { class: 'muted' }, cycle.dates.map((d) => `${d.label}: ${formatDate(d.date)}`).join(' · ')) : null);
}

let current = null; // the home screen on show; older listeners retire themselves

export async function homeScreen(ctx, { redraw = false } = {}) {
  const nav = navigation.id;
  const entries = (await visibleEntries(ctx.store)).filter((r) => !r.data.owner_id || r.data.owner_id === ctx.user.id);
  // What this screen is drawn from, read before anything is drawn: a pull that lands while Home is
  // being built (after the cards read the store, before the listener below exists) must still redraw it.
  // Reading it after drawing missed such a pull: a supervisor's "session to confirm" never appeared.
  const signature = entrySignature(entries) + await recordSignature(ctx.store);
  const [progress, inputs, actions] = await Promise.all([
    cachedFetch(ctx.store, 'progress', api.progress),
    cachedFetch(ctx.store, 'progress-inputs', api.progressInputs),
    cachedFetch(ctx.store, 'supervision-actions', api.supervisionActions),
  ]);
  const openActions = ((actions.value && actions.value.items) || []).filter((a) => !a.closed_at);
  // Supervision (home-supervision.js): a supervisor's work first, then the one status line.
  const supervisor = isSupervisor(ctx.user);
  const [workCard, supervisionBlock] = await Promise.all([
    supervisor ? supervisorWorkCard(ctx, { openActions }) : null,
    supervisionCard(ctx, { entries, openActions, actionsShownElsewhere: supervisor }),
  ]);
  const flash = typeof ctx.flash === 'string' ? h('p', { class: 'notice', role: 'status' }, ctx.flash) : null;
  if (flash) ctx.flash = null;

  let progressBlock;
  const unsent = entries.filter((r) => r.display !== 'synced').length;
  // Gap explanations: the gap rule reads them; one not yet counted by the server means working it out here.
  const { explanations, unsent: unsentExplanations } = await explanationsOnPhone(ctx.store);
  let person = progress.value && (progress.value.people || []).find((p) => p.user_id === ctx.user.id);
  let asOf = progress.value && progress.value.as_of;
  let source = progress.fresh ? 'server' : 'saved';
  // Offline, or with entries the server has not counted yet: work the progress out on this phone
  // from the cached rules and the entries here (the same engine, ported: progress.js).
  const ownInputs = inputs.value && inputs.value.user_id === ctx.user.id ? inputs.value : null;
  if (ownInputs && (!progress.fresh || unsent || unsentExplanations)) {
    try {
      const today = localToday();
      person = workOutProgress(ownInputs, entries.map((r) => entryFacts(r.data, r.is_deleted)), today, explanations);
      asOf = isoDay(today);
      source = 'phone';
    } catch (err) {
      console.warn('progress on the phone failed; showing the server copy', err);
    }
  }
  if (person && person.registrations.length) {
    const note = {
      server: `Progress as of ${formatDate(asOf)}.`,
      phone: `Progress as of ${formatDate(asOf)}: worked out on this phone; confirmed when synced.`,
      saved: `Progress as of ${formatDate(asOf)} (saved copy: you are offline).`,
    }[source];
    const pending = unsent ? ` ${unsent} entr${unsent === 1 ? 'y' : 'ies'} on this phone ${source === 'phone' ? 'not synced yet' : 'not counted yet'}.` : '';
    progressBlock = [
      h('p', { class: 'muted', id: 'progress-as-of', 'data-source': source }, note, pending),
      person.registrations.map((reg) => cyclesOnHome(reg.cycles, asOf).map((c) => cycleCard(reg, c))),
      h('p', {}, h('a', { href: '/app/cycles', id: 'previous-cycles' }, 'Previous cycles')),
    ];
  } else {
    progressBlock = h('div', { class: 'card' }, h('h2', {}, 'Registrations'),
      (ctx.user.registrations || []).length
        ? h('ul', { class: 'list' }, ctx.user.registrations.map((r) => h('li', {}, `${r.regulator} · ${r.profession}`,
          r.renewal_date ? h('span', { class: 'muted' }, ` · renews ${formatDate(r.renewal_date)}`) : '')))
        : h('p', { class: 'muted' }, 'No professional registration recorded.'),
      h('p', { class: 'muted' }, progress.error && progress.error.status === 404
        ? 'Progress against your requirements is not available on this server yet.'
        : progress.value ? '' : 'Progress will show once the app has been online.'));
  }

  const awaiting = entries.filter((r) => r.data.status === 'submitted');
  const returned = entries.filter((r) => r.data.status === 'returned');
  const attention = entries.filter((r) => r.display === 'conflict' || r.display === 'rejected');
  const thisYear = entries.filter((r) => String(r.data.start_date || '').startsWith(String(new Date().getFullYear())));
  const hours = thisYear.reduce((s, r) => s + (Number(r.data.hours) || 0), 0);

  const scrolled = window.scrollY;
  const drawn = mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'home-title' },
    flash,
    h('h1', { id: 'home-title' }, `Hello, ${ctx.user.name}`),
    h('a', { href: '/app/log', class: 'button primary big', id: 'quick-log' }, '+ Log CPD'),
    workCard,
    attention.length ? h('div', { class: 'alert' }, h('p', {}, `${attention.length} entr${attention.length === 1 ? 'y needs' : 'ies need'} your attention.`),
      h('a', { href: '/app/logbook?show=attention' }, 'Review them')) : null,
    h('p', { class: 'summary' }, `${thisYear.length} entr${thisYear.length === 1 ? 'y' : 'ies'} this year · ${formatHours(hours) || '0 h'}`),
    progressBlock,
    h('div', { class: 'card' }, h('h2', {}, 'Sign-off'),
      h('p', {}, awaiting.length ? [`${awaiting.length} entr${awaiting.length === 1 ? 'y is' : 'ies are'} awaiting sign-off. `,
        h('a', { href: '/app/logbook?status=submitted', id: 'awaiting-link' }, 'See which')] : 'Nothing is awaiting sign-off.'),
      returned.length ? h('p', {}, `${returned.length} returned with comments. `, h('a', { href: '/app/logbook?status=returned', id: 'returned-link' }, 'See them')) : null),
    supervisionBlock,
    entries.length ? h('div', { class: 'card' }, h('h2', {}, 'Latest entries'),
      h('ul', { class: 'list plain' }, entries.slice(0, 3).map((r) => h('li', {},
        h('a', { href: `/app/entry/${r.id}` }, r.data.title), h('span', { class: 'muted line' }, formatDate(r.data.start_date)))))) : null), { nav, focus: !redraw });
  if (!drawn) return;
  if (redraw) window.scrollTo(0, scrolled);

  // The first sync after logging in (and any later pull) changes what Home counts: draw it again
  // when the entries on this phone change, without moving focus.
  const token = {};
  current = token;
  let retired = false; // one redraw per change, however many sync events arrive while it is worked out
  const onStatus = async () => {
    if (retired || current !== token || !document.getElementById('home-title')) {
      document.removeEventListener('sync-status', onStatus);
      return;
    }
    const now = (await visibleEntries(ctx.store)).filter((r) => !r.data.owner_id || r.data.owner_id === ctx.user.id);
    const changed = entrySignature(now) + await recordSignature(ctx.store) !== signature;
    if (changed && !retired && current === token) {
      retired = true;
      document.removeEventListener('sync-status', onStatus);
      homeScreen(ctx, { redraw: true });
    }
  };
  document.addEventListener('sync-status', onStatus);
  // A sync may have finished while this screen was loading, before the listener existed: check now.
  onStatus();
}

/** The other records Home also counts (a supervisor's sessions to confirm or sign, requests, the gap
 *  explanations progress reads, sent or not): a sync that changes one must redraw Home even when none of
 *  the person's own entries changed (an explanation that reached the server turns "worked out on this
 *  phone" into the server's progress). */
async function recordSignature(store) {
  const kinds = await Promise.all(['supervision_session', 'sign_off_request', 'gap_explanation'].map((k) => store.records(k)));
  return '#' + kinds.flat().filter(Boolean).map((r) => [r.id, r.version ?? '', r.state ?? '', r.supervisor_confirmed_at || '',
    r.sign_off_request ? r.sign_off_request.state : '', r.pending ? 'p' : '', r.is_deleted ? 'd' : ''].join(':')).sort().join('|');
}

/** What Home shows depends on these: how many entries, their versions and their sync state. */
function entrySignature(entries) {
  return entries.map((r) => `${r.id}:${r.version}:${r.display}`).join('|');
}
