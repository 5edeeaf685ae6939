// Asking for sign-off from the entry screen, online or offline. The request is an outbox mutation
// (entity "sign_off_request") naming the entry's id and the version on show; the server checks
// that the entry is still at that version and that the chosen person supervises the practitioner.
// Whom the phone may ask is a saved copy of the server's list (api.supervisionPeople); how each request stands
// (waiting, returned with a comment, signed) arrives with the sync pull.

import { api } from '../api.js';
import { field, formatDate, h } from '../dom.js';
import { noteKeys, requestSignOff } from '../outbox.js';
import { cachedFetch } from './common.js';

export const BODIES = {
  '': 'Not given',
  HCPC: 'HCPC', SWE: 'Social Work England', NMC: 'NMC', GMC: 'GMC', TEACHERS: 'Teaching (TRN)',
};

/** The caller's current supervisors and supervisees: fresh when online, the saved copy offline. */
export async function linkedPeople(store) {
  const got = await cachedFetch(store, 'supervision-people', api.supervisionPeople);
  return { supervisors: [], supervisees: [], ...(got.value || {}), saved: !got.fresh, fetchedAt: got.fetched_at };
}

/** This entry's newest sign-off request as pulled, and what this phone queued and heard back. */
export async function requestState(store, entryId) {
  const pulled = (await store.records('sign_off_request'))
    .filter((r) => r.entry_id === entryId)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0] || null;
  const local = await store.getCached(noteKeys.signOffRequest(entryId));
  return { pulled, local };
}

function signerName(r) {
  return r.supervisor_name || r.external_name || 'your supervisor';
}

/** A line (or alert) saying where the latest request stands; null when there is nothing to say. */
export function requestStatus({ pulled, local }, version) {
  if (local && local.state === 'pending') {
    return h('p', { class: 'notice', id: 'signoff-request-state', role: 'status' },
      `Sign-off request to ${local.to} saved on this phone: it is sent when you are online.`);
  }
  if (local && (local.state === 'rejected' || local.state === 'conflict') && local.entry_version === version) {
    return h('div', { class: 'alert', role: 'alert', id: 'signoff-request-state' },
      h('p', {}, h('strong', {}, 'Your sign-off request was not sent. '), (local.result && local.result.message) || ''),
      h('p', {}, 'Check the entry and ask again.'));
  }
  if (!pulled) return null;
  const who = signerName(pulled);
  const label = pulled.decision && pulled.decision.label ? ` (${pulled.decision.label})` : '';
  const text = {
    open: pulled.external_approval === 'pending'
      ? `Waiting for your organisation to approve ${who} as an external signer: the link is emailed once they do.`
      : `Waiting for ${who} to sign this off (asked ${formatDate(pulled.created_at)}).`,
    approved: `Signed off by ${(pulled.decision && pulled.decision.signer_name) || who}${label} on ${formatDate(pulled.closed_at)}.`,
    returned: `Returned by ${(pulled.decision && pulled.decision.signer_name) || who} on ${formatDate(pulled.closed_at)}: edit it and ask again.`,
    cancelled: pulled.external_approval === 'refused'
      ? `Your organisation did not approve ${who} as an external signer: ask someone else.`
      : 'You withdrew your last sign-off request.',
    superseded: null,
  }[pulled.state];
  if (!text) return null;
  const comment = pulled.state === 'returned' && pulled.decision && pulled.decision.comment;
  if (!comment) return h('p', { class: 'notice', id: 'signoff-request-state' }, text);
  return h('div', { class: 'alert', id: 'signoff-request-state' },
    h('p', {}, text), h('p', { class: 'pre' }, `“${comment}”`));
}

/**
 * The "Request sign-off" button and its form: one of the practitioner's supervisors, or someone
 * without an account (name, email, registration body) who is emailed a single-use link.
 */
export function requestPanel(ctx, record, people, { onQueued }) {
  const supervisors = people.supervisors || [];
  const open = h('button', { type: 'button', class: 'secondary', id: 'request-signoff', 'aria-expanded': 'false', 'aria-controls': 'signoff-request-form' }, 'Request sign-off');
  const choices = [
    ...supervisors.map((p, i) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'signer', value: String(p.id), checked: i === 0 }),
      h('span', {}, `${p.name} (${(p.kinds || []).map((k) => k.replace(/_/g, ' ')).join(', ') || 'supervisor'} supervisor)`))),
    h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'signer', value: 'external', checked: !supervisors.length }),
      h('span', {}, 'Someone else, by email (no account needed)')),
  ];
  const name = field('Their name', h('input', { name: 'external_name', autocomplete: 'off', maxlength: 200 }));
  const email = field('Their email', h('input', { name: 'external_email', type: 'email', autocomplete: 'off', maxlength: 254 }),
    { hint: 'They get a link that works once and expires after 7 days.' });
  const body = field('Their registration body', h('select', { name: 'registration_body' },
    Object.entries(BODIES).map(([v, l]) => h('option', { value: v }, l))));
  const external = h('div', { class: 'external-signer', hidden: Boolean(supervisors.length) }, name.wrap, email.wrap, body.wrap);
  const message = field('Message (optional)', h('textarea', { name: 'message', rows: 3, maxlength: 2000 }));
  const error = h('p', { class: 'error', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send request');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { id: 'signoff-request-form', hidden: true, novalidate: true, 'aria-label': 'Request sign-off' },
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Who should sign it off?'),
      supervisors.length ? null : h('p', { class: 'hint' }, people.fetchedAt
        ? 'No supervisor is linked to you; ask your team manager, or ask someone by email.'
        : 'Your supervisors appear here once the app has been online.'),
      choices),
    external, message.wrap, error, h('div', { class: 'row' }, send, cancel));

  const chosen = () => (form.querySelector('input[name=signer]:checked') || {}).value;
  form.addEventListener('change', (event) => {
    if (event.target.name === 'signer') external.hidden = chosen() !== 'external';
  });
  open.addEventListener('click', () => {
    form.hidden = false; open.hidden = true; open.setAttribute('aria-expanded', 'true');
    form.querySelector('input[name=signer]:checked, input[name=signer]').focus();
  });
  cancel.addEventListener('click', () => { form.hidden = true; open.hidden = false; open.setAttribute('aria-expanded', 'false'); open.focus(); });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    for (const f of [name, email]) { f.errorEl.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    const who = chosen();
    const asked = { entry: record, message: message.input.value.trim() };
    let to;
    if (who === 'external') {
      const problems = [];
      if (!name.input.value.trim()) problems.push([name, 'Enter their name.']);
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.input.value.trim())) problems.push([email, 'Enter an email address like name@example.org.']);
      if (problems.length) {
        for (const [f, text] of problems) { f.errorEl.textContent = text; f.input.setAttribute('aria-invalid', 'true'); }
        problems[0][0].input.focus();
        return;
      }
      asked.external = { name: name.input.value.trim(), email: email.input.value.trim() };
      if (body.input.value) asked.external.registration_body = body.input.value;
      to = asked.external.name;
    } else if (who) {
      asked.supervisorId = who;
      to = (supervisors.find((p) => String(p.id) === who) || {}).name || 'your supervisor';
    } else {
      error.textContent = 'Choose who should sign it off.';
      return;
    }
    send.disabled = true;
    await requestSignOff(ctx.store, { ...asked, to });
    onQueued(to, { external: who === 'external', email: asked.external && asked.external.email });
  });
  return [open, form];
}
