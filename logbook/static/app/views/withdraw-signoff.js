// "Withdraw sign-off" (online only): the person who signed an entry off, or an org admin, takes the
// approval back with a reason the practitioner reads. The server seals it as a signed withdrawal,
// stops counting the sign-off everywhere and revokes its credentials (docs/supervision.md).

import { ApiError, api } from '../api.js';
import { h } from '../dom.js';

/** The button, and behind it the reason and the confirmation, for one sign-off the caller may withdraw. */
export function withdrawPanel(ctx, entryId, version, so, onDone) {
  const reasonId = `withdraw-reason-${so.id}`;
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: '3', maxlength: '2000', required: true });
  const status = h('p', { class: 'error', role: 'alert', hidden: true });
  const open = h('button', { type: 'button', class: 'secondary', id: `withdraw-${so.id}` }, 'Withdraw sign-off');
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Withdraw sign-off');
  const keep = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
  const form = h('form', { class: 'withdraw-signoff', hidden: true, 'aria-label': 'Withdraw this sign-off' },
    h('label', { for: reasonId }, 'Why are you withdrawing it? The practitioner reads this, and it stops counting as signed off.'),
    reason, status, h('div', { class: 'actions' }, submit, keep));
  open.addEventListener('click', () => { form.hidden = false; open.hidden = true; reason.focus(); });
  keep.addEventListener('click', () => { form.hidden = true; open.hidden = false; open.focus(); });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text) { status.textContent = 'Say why you are withdrawing it.'; status.hidden = false; reason.focus(); return; }
    submit.disabled = true;
    try {
      await api.withdrawSignOff(so.id, text);
      // The list as the server now has it, kept for this version until the pull brings the next one.
      const items = await api.entrySignOffs(entryId);
      await ctx.store.setCached(`signoffs:${entryId}`, { value: items, version, fetched_at: new Date().toISOString() });
      onDone();
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : 'You are offline: withdrawing needs a connection.';
      status.hidden = false;
      submit.disabled = false;
    }
  });
  return h('div', { class: 'withdraw' }, open, form);
}
