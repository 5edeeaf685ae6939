// Home's supervision (issue 20), kept apart from home.js: the one supervision status line (the
// server's sessions.supervision_status; its saved copy offline, with a word about supervision logged
// on this phone and not yet counted), and for a supervisor their work first: the sign-off queue,
// supervision records to sign or confirm, supervisees overdue for supervision, actions they own. Each
// line links to the screen that deals with it.

import { api } from '../api.js';
import { formatDate, h } from '../dom.js';
import { cachedFetch } from './common.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(iso) {
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return { y, m, d };
}

/** "12 Nov" (with the year when it is not this year's). */
export function shortDay(iso, thisYear = new Date().getFullYear()) {
  const { y, m, d } = parts(iso);
  return `${d} ${MONTHS[m - 1]}${y === thisYear ? '' : ` ${y}`}`;
}

/** A missed period in words: a calendar month as "Jun" (or "Dec 2025"), a week or fortnight as "3–16 Nov". */
export function missedLabel(missed, period, thisYear = new Date().getFullYear()) {
  const a = parts(missed.from);
  if (period === 'month') return `${MONTHS[a.m - 1]}${a.y === thisYear ? '' : ` ${a.y}`}`;
  const b = parts(missed.to);
  return a.m === b.m && a.y === b.y ? `${a.d}–${shortDay(missed.to, thisYear)}` : `${shortDay(missed.from, thisYear)}–${shortDay(missed.to, thisYear)}`;
}

/** The one status line, e.g. "90 min monthly · last held 12 Nov · next due 12 Dec · missed: Jun, Oct". */
export function statusLine(status, thisYear = new Date().getFullYear()) {
  const out = [status.policy_text];
  out.push(status.last_held_on ? `last held ${shortDay(status.last_held_on, thisYear)}` : 'none held yet');
  if (status.next_due_on) out.push(`${status.is_overdue ? 'overdue since' : 'next due'} ${shortDay(status.next_due_on, thisYear)}`);
  const missed = status.missed || [];
  if (missed.length) {
    const labels = missed.slice(-6).map((m) => missedLabel(m, status.period, thisYear));
    out.push(`missed: ${missed.length > 6 ? '…, ' : ''}${labels.join(', ')}`);
  }
  return out.join(' · ');
}

function actionItem(a) {
  return h('li', {}, h('a', { href: `/app/sessions/${a.session_id}` }, a.description),
    a.due_on ? h('span', { class: 'muted' }, ` · due ${formatDate(a.due_on)}`) : null);
}

/**
 * The Supervision card: the status line, supervision logged here and not yet counted, the actions
 * this person owns (unless the supervisor's card lists them). Null when there is nothing to say.
 */
export async function supervisionCard(ctx, { entries, openActions, actionsShownElsewhere = false }) {
  const got = await cachedFetch(ctx.store, 'supervision-status', api.supervisionStatus);
  const status = got.value;
  const unsent = entries.filter((r) => r.data.kind === 'supervision' && r.data.status !== 'draft' && r.display !== 'synced').length;
  const hasStatus = status && (status.next_due_on || status.held_count);
  const actions = actionsShownElsewhere ? [] : openActions;
  if (!hasStatus && !actions.length && !unsent) return null;
  return h('div', { class: 'card', id: 'supervision-card' }, h('h2', {}, 'Supervision'),
    hasStatus ? h('p', { id: 'supervision-status', class: status.is_overdue ? 'status-line overdue' : 'status-line' }, statusLine(status)) : null,
    hasStatus && !got.fresh ? h('p', { class: 'muted' }, `Saved copy from ${formatDate(got.fetched_at)} (you are offline).`) : null,
    unsent ? h('p', { class: 'muted', id: 'supervision-unsent' },
      `${unsent} supervision${unsent === 1 ? '' : 's'} logged on this phone ${unsent === 1 ? 'is' : 'are'} counted once synced.`) : null,
    actions.length ? [h('p', {}, `${actions.length} action${actions.length === 1 ? '' : 's'} agreed in supervision:`),
      h('ul', { class: 'list' }, actions.slice(0, 5).map(actionItem))] : null,
    h('p', {}, h('a', { href: '/app/sessions' }, 'Supervision sessions')));
}

/** Whether the signed-in person supervises anyone (their Home then leads with that work). */
export function isSupervisor(user) {
  return (user.roles || []).includes('supervisor');
}

/**
 * A supervisor's work, first on their Home: entries waiting for their sign-off (the same queue as the
 * Sign-offs tab: Home used to count only the supervisor's own entries, so it said "Nothing is
 * awaiting sign-off" while requests waited), supervision records to sign or confirm, supervisees
 * overdue for supervision, and the open actions they own.
 */
export async function supervisorWorkCard(ctx, { openActions }) {
  const [queue, due] = await Promise.all([
    cachedFetch(ctx.store, 'signoff-queue', api.signOffQueue),
    cachedFetch(ctx.store, 'supervision-due-supervisees', api.supervisionDueSupervisees),
  ]);
  const waiting = (queue.value && queue.value.items) || [];
  const pulled = await ctx.store.records('supervision_session');
  const toSign = pulled.filter((s) => s.sign_off_request && s.sign_off_request.state === 'open'
    && s.sign_off_request.signer_id === ctx.user.id && s.sign_off_request.session_version === s.version);
  const toConfirm = pulled.filter((s) => s.supervisor_id === ctx.user.id && !s.is_cancelled && !s.supervisor_confirmed_at
    && String(s.starts_at || '') <= new Date().toISOString());
  const overdue = ((due.value && due.value.items) || []).filter((d) => d.is_overdue);
  const lines = [];
  lines.push(waiting.length
    ? h('li', {}, h('a', { href: '/app/supervise', id: 'work-signoffs' },
      `${waiting.length} entr${waiting.length === 1 ? 'y waits' : 'ies wait'} for your sign-off`))
    : h('li', { id: 'work-signoffs' }, 'No entries wait for your sign-off.'));
  if (toSign.length) {
    lines.push(h('li', {}, h('a', { href: '/app/supervise' },
      `${toSign.length} supervision record${toSign.length === 1 ? '' : 's'} to sign`)));
  }
  if (toConfirm.length) {
    lines.push(h('li', {}, h('a', { href: toConfirm.length === 1 ? `/app/sessions/${toConfirm[0].id}` : '/app/sessions', id: 'work-confirm' },
      `${toConfirm.length} supervision session${toConfirm.length === 1 ? '' : 's'} to confirm`)));
  }
  for (const d of overdue) {
    lines.push(h('li', { class: 'overdue' }, h('a', { href: `/app/sessions/new?with=${encodeURIComponent(d.supervisee_id)}` },
      `${d.supervisee_name || 'A supervisee'}: supervision overdue since ${formatDate(d.due_on)}`)));
  }
  const card = h('div', { class: 'card', id: 'supervisor-work' }, h('h2', {}, 'Your supervision work'),
    !queue.fresh && queue.fetched_at ? h('p', { class: 'muted' }, `Saved copy from ${formatDate(queue.fetched_at)} (you are offline).`) : null,
    h('ul', { class: 'list plain work-list' }, lines),
    openActions.length ? [h('h3', {}, `Actions you own (${openActions.length})`),
      h('ul', { class: 'list' }, openActions.slice(0, 5).map(actionItem))] : null);
  // Home redraws this card when a pull brings sessions or requests (home.js, recordSignature).
  return card;
}
