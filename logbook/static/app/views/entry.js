// One entry: everything in it, its sync state and sign-off status; edit, delete, resolve.

import { api } from '../api.js';
import { navigation, formatDate, formatHours, h, mount, stateBadge } from '../dom.js';
import { COMMON_CORE, KIND_LABELS, REQUIRED_DETAILS, STATUS_LABELS, VISIBILITY_LABELS, WAYS_OF_KNOWING } from '../kinds.js';
import { deleteEntry } from '../outbox.js';
import { labelsFor } from '../standards.js';
import { cachedFetch } from './common.js';
import { credentialButton } from './credentials.js';
import { linkedPeople, requestPanel, requestState, requestStatus } from './signoff-request.js';
import { withdrawPanel } from './withdraw-signoff.js';

/** The framework documents an entry's standards were tagged from (cached for offline; fetched once online). */
async function standardDocs(ctx, tags) {
  const docs = {};
  for (const key of new Set((tags || []).map((t) => `${t.framework}:${t.version}`))) {
    const hit = await ctx.store.getCached(`framework:${key}`);
    if (hit && hit.value) { docs[key] = hit.value; continue; }
    if (!navigator.onLine) continue;
    const [id, version] = key.split(':');
    const got = await cachedFetch(ctx.store, `framework:${key}`, () => api.framework(id, version));
    docs[key] = got.value;
  }
  return docs;
}

/** An approval made here that still verifies: the server can issue a credential for it. */
function verifiedApproval(so) {
  return so.decision === 'approved' && !so.is_imported_unverified && !(so.verification && so.verification.is_valid === false && so.verification.status !== 'changed');
}

/** Who withdrew a sign-off, when and why (the signed withdrawal, as the server verified it). */
function withdrawnNote(so) {
  const w = so.verification && so.verification.status === 'withdrawn' && so.verification.withdrawal;
  if (!w) return null;
  const who = w.withdrawn_as === 'org_admin' ? `${w.withdrawn_by_name} (organisation admin)` : w.withdrawn_by_name;
  return h('p', { class: 'notice withdrawn' }, `Withdrawn by ${who} on ${formatDate(w.withdrawn_at)}: “${w.reason}”`);
}

/** Sign-offs of this entry (decisions and comments), kept for offline reading. */
async function signOffs(ctx, id, version) {
  const key = `signoffs:${id}`;
  const hit = await ctx.store.getCached(key);
  if (hit && hit.version === version) return hit.value.items || [];
  if (!navigator.onLine) return hit ? hit.value.items || [] : [];
  const got = await cachedFetch(ctx.store, key, () => api.entrySignOffs(id));
  if (got.fresh) await ctx.store.setCached(key, { value: got.value, version, fetched_at: got.fetched_at });
  return (got.value && got.value.items) || [];
}

function item(label, value) {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length)) return null;
  return [h('dt', {}, label), h('dd', {}, value)];
}

async function evidenceItem(ctx, ref) {
  const local = await ctx.store.getEvidence(ref.sha256);
  const label = ref.name || 'File';
  const state = local ? (local.uploaded ? 'sent' : local.error ? `not sent: ${local.error}` : 'waiting to send') : 'on the server';
  if (local && local.blob && String(local.media_type).startsWith('image/')) {
    const url = URL.createObjectURL(local.blob);
    return h('li', {}, h('img', { src: url, alt: label, class: 'thumb' }), h('span', {}, `${label} (${state})`));
  }
  return h('li', {}, local ? h('span', {}, `${label} (${state})`) : h('a', { href: api.evidence(ref.sha256), download: label }, `${label} (${state})`));
}

let current = null; // the detail screen on show; older listeners retire themselves

export async function entryScreen(ctx, id, { redraw = false } = {}) {
  const nav = navigation.id;
  const record = await ctx.store.getEntry(id);
  const view = document.getElementById('view');
  if (!record || record.is_deleted) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Entry not found'),
      h('p', {}, record ? 'This entry was deleted.' : 'This entry is not on this phone.'), h('a', { href: '/app/logbook' }, 'Back to the logbook')), { nav });
    return;
  }
  const d = record.data;
  const display = record.state === 'conflict' || record.state === 'rejected' ? record.state : record.pending ? 'pending' : 'synced';
  // A message for this entry survives the redraws a sync may cause in the next few seconds.
  if (typeof ctx.flash === 'string') ctx.flash = { text: ctx.flash, id, until: Date.now() + 5000 };
  const flash = ctx.flash && ctx.flash.id === id && ctx.flash.until > Date.now()
    ? h('p', { class: 'notice', role: 'status' }, ctx.flash.text) : null;
  const mine = !d.owner_id || d.owner_id === ctx.user.id;

  const attention = [];
  if (record.state === 'conflict') {
    attention.push(h('div', { class: 'alert', role: 'alert' },
      h('p', {}, h('strong', {}, record.conflict.code === 'edit_conflict' || !record.conflict.message
        ? 'This entry was also changed on another device.' : record.conflict.message)),
      h('p', {}, 'Both versions are kept until you choose.'),
      h('a', { href: `/app/entry/${id}/conflict`, class: 'button primary' }, 'Compare and choose')));
  }
  if (record.state === 'rejected') {
    const errs = Object.entries(record.errors || {}).map(([f, msgs]) => h('li', {}, `${f === '_' ? '' : `${f}: `}${[].concat(msgs).join(' ')}`));
    attention.push(h('div', { class: 'alert', role: 'alert' },
      h('p', {}, h('strong', {}, 'The server did not accept this entry. '), 'Your text is kept here; fix it and save again.'),
      h('ul', {}, errs), h('a', { href: `/app/entry/${id}/edit`, class: 'button primary' }, 'Fix it')));
  }

  const details = REQUIRED_DETAILS[d.kind] || [];
  const reflection = d.reflection && Object.entries(d.reflection.answers || {});
  const evidence = await Promise.all((d.evidence || []).map((ref) => evidenceItem(ctx, ref)));
  const decisions = ['submitted', 'signed_off', 'returned'].includes(d.status) || (d.status === 'recorded' && record.version > 1)
    ? await signOffs(ctx, id, record.version).catch(() => []) : [];
  const docs = await standardDocs(ctx, d.standards).catch(() => ({}));
  // Sign-off: ask (online or offline) and see where the latest request stands, from the pull.
  const asked = await requestState(ctx.store, id);
  const waiting = asked.local && asked.local.state === 'pending';
  const canAsk = mine && !record.pending && record.state === 'synced' && record.version
    && ['recorded', 'returned'].includes(d.status || 'recorded') && !waiting;
  const people = canAsk ? await linkedPeople(ctx.store) : null;
  const ask = canAsk ? requestPanel(ctx, { id, version: record.version }, people, {
    onQueued: (to, { external, email } = {}) => {
      // Offline, the request's own status line says it waits on this phone. An external signer is
      // emailed a link (unless the organisation must approve them first: the status line says so).
      ctx.flash = !navigator.onLine ? null : external
        ? `Sign-off requested from ${to}: an email with a link to sign it goes to ${email}.`
        : `Sign-off requested from ${to}. It is in their Sign-offs queue.`;
      ctx.changed();
      entryScreen(ctx, id);
    },
  }) : null;
  // The last request was approved, but that approval has since been withdrawn: say so instead.
  const withdrawnNow = d.status !== 'signed_off' && asked.pulled && asked.pulled.state === 'approved'
    && decisions.some((so) => so.verification && so.verification.status === 'withdrawn');
  const askStatus = withdrawnNow
    ? h('p', { class: 'notice withdrawn', id: 'signoff-request-state' }, mine
      ? 'The sign-off was withdrawn (see below): it no longer counts. You can ask for sign-off again.'
      : 'The sign-off was withdrawn (see below): it no longer counts.')
    : requestStatus(asked, record.version);
  const needsSync = mine && !canAsk && !waiting && ['recorded', 'returned'].includes(d.status || 'recorded') && (record.pending || !record.version)
    ? h('p', { class: 'hint' }, 'You can ask for sign-off once your latest changes have reached the server.') : null;
  const del = h('button', { type: 'button', class: 'danger', id: 'delete' }, 'Delete entry');
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': 'Confirm delete' },
    h('p', {}, 'Delete this entry on every device?'),
    h('button', { type: 'button', class: 'danger', onclick: async () => {
      await deleteEntry(ctx.store, id);
      ctx.changed();
      ctx.go('/app/logbook');
    } }, 'Yes, delete'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { confirmBox.hidden = true; del.hidden = false; del.focus(); } }, 'Keep it'));
  del.addEventListener('click', () => { confirmBox.hidden = false; del.hidden = true; confirmBox.querySelector('button').focus(); });

  const drawn = mount(view, h('article', { class: 'entry', 'aria-labelledby': 'entry-title' },
    flash,
    h('h1', { id: 'entry-title' }, d.title || '(untitled)'),
    h('p', { class: 'entry-meta' }, [formatDate(d.start_date), KIND_LABELS[d.kind], formatHours(d.hours)].filter(Boolean).join(' · ')),
    h('p', { class: 'entry-badges' }, h('span', { id: 'record-state' }, stateBadge(display)),
      h('span', { class: `badge badge-status-${d.status || 'recorded'}` }, STATUS_LABELS[d.status] || 'Recorded')),
    attention,
    h('dl', { class: 'facts' },
      details.map((f) => item(f.label, (f.options && f.options[(d.details || {})[f.name]]) || (d.details || {})[f.name])),
      item('Description', d.description),
      reflection && reflection.map(([k, v]) => item(k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()), v)),
      item('Impact on practice', d.impact_on_practice),
      item('Impact on children and families', d.impact_on_people),
      item('Ways of knowing', (d.ways_of_knowing || []).map((w) => WAYS_OF_KNOWING[w] || w).join(', ')),
      item('Common Core', (d.common_core || []).map((c) => COMMON_CORE[c] || c).join(', ')),
      item('Standards', labelsFor(d.standards, docs).join('; ')),
      item('Visible to', VISIBILITY_LABELS[d.visibility] || d.visibility)),
    evidence.length ? [h('h2', {}, 'Evidence'), h('ul', { class: 'evidence-list' }, evidence)] : null,
    askStatus || (d.status === 'submitted' ? h('p', { class: 'notice' }, 'Waiting for your supervisor to sign this off.') : null),
    decisions.length ? [h('h2', {}, 'Sign-off'), h('ul', { class: 'list plain signoffs' }, decisions.map((so) => h('li', {},
      h('p', {}, h('strong', {}, so.is_imported_unverified ? 'Imported, not verified' : so.decision === 'approved' ? 'Signed off' : 'Returned'),
        ` ${so.is_imported_unverified ? `(the imported record says ${so.decision === 'approved' ? 'signed off' : 'returned'})` : ''} by ${so.signer_name || 'your supervisor'} on ${formatDate(so.signed_at)} (version ${so.entry_version})`,
        so.signer_label && !so.is_imported_unverified ? h('span', { class: 'badge signer-kind' }, ` ${so.signer_label}`) : null,
        so.is_imported_unverified ? h('span', { class: 'error' }, ' · not counted as signed off') : null,
        so.verification && so.verification.is_valid === false && !so.is_imported_unverified
          ? h('span', { class: 'error' }, ' · ' + (so.verification.label || 'does not verify').toLowerCase()) : null),
      so.comment ? h('p', { class: 'pre' }, `“${so.comment}”`) : null,
      withdrawnNote(so),
      so.can_withdraw && navigator.onLine ? withdrawPanel(ctx, id, record.version, so, () => {
        ctx.flash = 'Sign-off withdrawn. It no longer counts, and the practitioner has been told why.';
        ctx.changed();
        entryScreen(ctx, id);
      }) : null)))] : null,
    d.status === 'signed_off' ? h('p', { class: 'notice ok' }, 'Signed off by your supervisor. Editing it makes a new version that needs signing again.') : null,
    mine && decisions.some(verifiedApproval) ? credentialButton(id) : null,
    mine ? h('div', { class: 'actions' },
      h('a', { href: `/app/entry/${id}/edit`, class: 'button primary', id: 'edit' }, 'Edit'),
      ask, needsSync, del, confirmBox) : null,
    h('p', {}, h('a', { href: '/app/logbook' }, 'Back to the logbook'))), { nav, keep: redraw });

  if (!drawn) return;
  // Keep the per-record sync state honest while the screen is open.
  const token = {};
  current = token;
  let retired = false; // one redraw per change: two sync events in quick succession drew it twice
  const onStatus = async () => {
    const slot = document.getElementById('record-state');
    if (retired || !slot || current !== token) { document.removeEventListener('sync-status', onStatus); return; }
    const now = await ctx.store.getEntry(id);
    if (!now || retired || current !== token) return;
    const state = now.state === 'conflict' || now.state === 'rejected' ? now.state : now.pending ? 'pending' : 'synced';
    // a conflict arrived, or a pull brought a newer version (e.g. signed off): draw it again, keeping
    // what the person has open (the sign-off request form, what they typed) as it is
    if (state !== display || now.version !== record.version || now.is_deleted) {
      retired = true;
      document.removeEventListener('sync-status', onStatus);
      entryScreen(ctx, id, { redraw: true });
    } else slot.replaceChildren(stateBadge(state));
  };
  document.addEventListener('sync-status', onStatus);
}
