// Supervisor: the queue of entries waiting for their sign-off, and the decision screen. A decision
// is an outbox mutation (entity "sign_off"), so it can be made offline and is sent later; it names
// the exact version and SHA-256 the supervisor read, so it never signs text they did not see.

import { api, urls } from '../api.js';
import { field, formatDate, formatHours, h, mount, navigation } from '../dom.js';
import { KIND_LABELS } from '../kinds.js';
import { decideSignOff, noteKeys } from '../outbox.js';
import { cachedFetch, emptyState } from './common.js';

const DECISION_TEXT = { approved: 'Signed off', returned: 'Returned' };
const SIGNED_SHOWN = 20; // the most recent signed-off entries of supervisees listed under the queue

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
  // Entries of the people this supervisor supervises that stand signed off (pulled): each opens the
  // entry, where its signer can withdraw their sign-off.
  const signed = (await ctx.store.allEntries())
    .filter((r) => r.data && !r.is_deleted && r.data.status === 'signed_off' && r.data.owner_id && r.data.owner_id !== ctx.user.id)
    .sort((a, b) => String(b.data.start_date).localeCompare(String(a.data.start_date)))
    .slice(0, SIGNED_SHOWN);
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
      : emptyState('Nothing waits for your sign-off.'),
    signed.length ? [h('h2', { id: 'signed-title' }, 'Signed off'),
      h('p', { class: 'muted' }, 'Entries of the people you supervise that stand signed off. Open one to see who signed it, or to withdraw your sign-off.'),
      h('ul', { class: 'entry-list', id: 'signed-entries', 'aria-labelledby': 'signed-title' }, signed.map((r) => h('li', { class: 'entry-row' },
        h('a', { href: `/app/entry/${r.id}` },
          h('span', { class: 'entry-title' }, r.data.title || '(untitled)'),
          h('span', { class: 'entry-meta' }, [formatDate(r.data.start_date), KIND_LABELS[r.data.kind], formatHours(r.data.hours)].filter(Boolean).join(' · '))))))] : null), { nav });
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
  const comment = field('Comment', h('textarea', { name: 'comment', rows: 4 }), { hint: 'Optional when you sign off; needed when you return the entry.' });
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
  mount(view, h('article', { 'aria-labelledby': 'decision-title' },
    h('h1', { id: 'decision-title' }, d.title),
    item.requested_by_name ? h('p', { class: 'entry-meta' }, `From ${item.requested_by_name}`) : null,
    item.message ? h('p', { class: 'notice' }, `Message: ${item.message}`) : null,
    stale ? h('p', { class: 'alert' }, 'This entry has changed since the request; refresh when online before deciding.') : null,
    whatIsConfirmed(d, item.shown),
    note ? h('p', { class: 'notice' }, noteText(note)) : null,
    stale || (note && note.state !== 'conflict' && note.state !== 'rejected') ? null : h('div', {},
      comment.wrap, error,
      h('button', { type: 'button', class: 'primary', id: 'sign-off', onclick: decide('approved') }, 'Sign off'),
      h('button', { type: 'button', class: 'secondary', id: 'return', onclick: decide('returned') }, 'Return with comment')),
    h('p', {}, h('a', { href: '/app/supervise' }, 'Back to sign-offs'))), { nav });
}

function dateRange(d) {
  return d.end_date && d.end_date !== d.start_date ? `${formatDate(d.start_date)} to ${formatDate(d.end_date)}` : formatDate(d.start_date);
}

/**
 * What the supervisor is confirming, as the external signer's page shows it: title, dates, hours,
 * the kind and its details, the description, the standards in words, the reflection under its
 * prompts, the evidence (opened from the server). `shown` comes with the queue (signoff.signer_view)
 * and is kept for offline use; without it (an old saved queue) the entry's own fields are shown.
 */
export function whatIsConfirmed(d, shown) {
  const s = shown || {};
  const details = s.details || [];
  const standards = s.standards || (d.standards || []).map((t) => ({ framework: t.framework, code: t.code, title: '' }));
  const reflection = s.reflection || Object.values((d.reflection && d.reflection.answers) || {}).filter(Boolean).map((text) => ({ label: 'Reflection', text }));
  const evidence = s.evidence || (d.evidence || []).map((e) => ({ sha256: e.sha256, name: e.name || 'Evidence file', caption: e.caption || '' }));
  return h('div', { class: 'confirming' },
    h('dl', { class: 'facts' },
      h('dt', {}, 'Kind'), h('dd', {}, s.kind_label || KIND_LABELS[d.kind] || d.kind),
      h('dt', {}, 'Date'), h('dd', {}, dateRange(d)),
      h('dt', {}, 'Hours'), h('dd', {}, formatHours(d.hours)),
      details.map((x) => [h('dt', {}, x.label), h('dd', {}, x.text)])),
    d.description ? [h('h2', {}, 'Description'), h('p', { class: 'pre' }, d.description)] : null,
    standards.length ? [h('h2', {}, 'Standards claimed'), h('ul', { class: 'list standards', id: 'decision-standards' },
      standards.map((t) => h('li', {}, h('strong', {}, `${t.label || t.framework} ${t.code}`), t.title ? `: ${t.title}` : '')))] : null,
    reflection.length ? [h('h2', {}, 'Reflection'), reflection.map((r) => [h('h3', {}, r.label), h('p', { class: 'pre' }, r.text)])] : null,
    evidence.length ? [h('h2', {}, 'Evidence'), h('ul', { class: 'evidence-list', id: 'decision-evidence' }, evidence.map((e) => h('li', {},
      h('a', { href: urls.evidence(e.sha256), class: 'button secondary evidence-link', download: e.name, target: '_blank', rel: 'noopener' }, `Open ${e.name}`),
      e.caption ? h('span', { class: 'muted' }, e.caption) : null)))] : null);
}
