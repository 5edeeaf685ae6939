// Supervisor: the queue of entries waiting for their sign-off, and the decision screen. A decision
// is an outbox mutation (entity "sign_off"), so it can be made offline and is sent later; it names
// the exact version and SHA-256 the supervisor read, so it never signs text they did not see.

import { api } from '../api.js';
import { field, formatDate, formatHours, h, mount, navigation } from '../dom.js';
import { KIND_LABELS } from '../kinds.js';
import { decideSignOff, noteKeys } from '../outbox.js';
import { cachedFetch, emptyState } from './common.js';

const DECISION_TEXT = { approved: 'Signed off', returned: 'Returned' };

function noteText(note) {
  if (!note) return null;
  const what = DECISION_TEXT[note.decision] || note.decision;
  if (note.state === 'pending') return `${what} on this phone: waiting to send`;
  if (note.state === 'applied') return `${what}: sent`;
  return `${what}: not accepted. ${(note.result && note.result.message) || ''}`;
}

async function queue(ctx) {
  const got = await cachedFetch(ctx.store, 'signoff-queue', api.signOffQueue);
  return { items: (got.value && got.value.items) || [], fresh: got.fresh, fetchedAt: got.fetched_at, error: got.error };
}

export async function superviseScreen(ctx) {
  const nav = navigation.id;
  const q = await queue(ctx);
  const rows = await Promise.all(q.items.map(async (item) => ({
    item, record: await ctx.store.getEntry(item.entry_id), note: await ctx.store.getCached(noteKeys.decision(item.id)),
  })));
  // Supervision session records someone asked this supervisor to sign (pulled, so shown offline too).
  const records = (await ctx.store.records('supervision_session')).filter((s) => s.sign_off_request
    && s.sign_off_request.state === 'open' && s.sign_off_request.signer_id === ctx.user.id && s.sign_off_request.session_version === s.version);
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'supervise-title' },
    h('h1', { id: 'supervise-title' }, 'Sign-offs'),
    h('p', {}, h('a', { href: '/app/sessions' }, 'Supervision sessions')),
    records.length ? [h('h2', {}, 'Supervision records to sign'), h('ul', { class: 'entry-list', id: 'session-signoff-queue' }, records.map((s) => h('li', { class: 'entry-row' },
      h('a', { href: `/app/sessions/${s.id}` },
        h('span', { class: 'entry-title' }, `Supervision with ${s.supervisor_id === ctx.user.id ? s.supervisee_name : s.supervisor_name}`),
        h('span', { class: 'entry-meta' }, formatDate(s.starts_at))))))] : null,
    h('p', { class: 'muted' }, q.fresh ? 'Entries the people you supervise have asked you to sign off.'
      : q.fetchedAt ? `Saved copy from ${formatDate(q.fetchedAt)} (you are offline). Decisions are sent when you are back online.`
        : 'Your queue shows once the app has been online.'),
    rows.length ? h('ul', { class: 'entry-list', id: 'signoff-queue' }, rows.map(({ item, record, note }) => h('li', { class: 'entry-row' },
      h('a', { href: `/app/supervise/${item.id}` },
        h('span', { class: 'entry-title' }, record ? record.data.title : 'Entry not on this phone yet'),
        item.requested_by_name ? h('span', { class: 'entry-meta' }, `From ${item.requested_by_name}`) : null,
        record ? h('span', { class: 'entry-meta' }, [formatDate(record.data.start_date), KIND_LABELS[record.data.kind], formatHours(record.data.hours)].join(' · ')) : null,
        note ? h('span', { class: 'entry-badges' }, h('span', { class: `badge ${note.state === 'pending' ? 'badge-pending' : note.state === 'applied' ? 'badge-synced' : 'badge-conflict'}` }, noteText(note))) : null))))
      : emptyState('Nothing waits for your sign-off.')), { nav });
}

export async function decisionScreen(ctx, requestId) {
  const nav = navigation.id;
  const q = await queue(ctx);
  const item = q.items.find((i) => i.id === requestId);
  const record = item && await ctx.store.getEntry(item.entry_id);
  const note = await ctx.store.getCached(noteKeys.decision(requestId));
  const view = document.getElementById('view');
  if (!item || !record) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Not available'),
      h('p', {}, 'This request is no longer open, or the entry has not reached this phone yet.'),
      h('a', { href: '/app/supervise' }, 'Back to sign-offs')), { nav });
    return;
  }
  const d = record.data;
  const stale = record.version !== item.entry_version;
  const comment = field('Comment', h('textarea', { name: 'comment', rows: 4 }), { hint: 'Needed when you return an entry.' });
  const error = h('p', { class: 'error', role: 'alert' });
  const decide = (decision) => async () => {
    if (decision === 'returned' && !comment.input.value.trim()) {
      error.textContent = 'Say what needs changing when you return an entry.';
      comment.input.focus();
      return;
    }
    await decideSignOff(ctx.store, item, { decision, comment: comment.input.value });
    ctx.changed();
    ctx.go('/app/supervise');
  };
  const reflection = d.reflection ? Object.values(d.reflection.answers || {}).filter(Boolean) : [];
  mount(view, h('article', { 'aria-labelledby': 'decision-title' },
    h('h1', { id: 'decision-title' }, d.title),
    item.requested_by_name ? h('p', { class: 'entry-meta' }, `From ${item.requested_by_name}`) : null,
    h('p', { class: 'entry-meta' }, [formatDate(d.start_date), KIND_LABELS[d.kind], formatHours(d.hours)].join(' · ')),
    item.message ? h('p', { class: 'notice' }, `Message: ${item.message}`) : null,
    stale ? h('p', { class: 'alert' }, 'This entry has changed since the request; refresh when online before deciding.') : null,
    d.description ? h('p', { class: 'pre' }, d.description) : null,
    reflection.map((text) => h('p', { class: 'pre' }, text)),
    note ? h('p', { class: 'notice' }, noteText(note)) : null,
    stale || (note && note.state !== 'conflict' && note.state !== 'rejected') ? null : h('div', {},
      comment.wrap, error,
      h('button', { type: 'button', class: 'primary', onclick: decide('approved') }, 'Sign off'),
      h('button', { type: 'button', class: 'secondary', onclick: decide('returned') }, 'Return with comment')),
    h('p', {}, h('a', { href: '/app/supervise' }, 'Back to sign-offs'))), { nav });
}
