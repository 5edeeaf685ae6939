// Verifiable credentials (online only): one signed-off entry or one completed registration cycle as an
// Open Badges 3.0 credential, or the whole verified record as a CLR 2.0 credential. Both are VC-JWT files made by the server
// (docs/record-format.md); this module only fetches them and offers the file.

import { ApiError, api } from '../api.js';
import { h } from '../dom.js';

let fileUrl = null; // the last credential fetched, freed when the next one replaces it

async function fetchInto(box, button, get) {
  button.disabled = true;
  box.replaceChildren(h('p', {}, 'Preparing…'));
  try {
    const { file, filename } = await get();
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    fileUrl = URL.createObjectURL(file);
    box.replaceChildren(h('a', { class: 'button primary', href: fileUrl, download: filename }, `Save ${filename}`));
  } catch (err) {
    const reason = err instanceof ApiError ? err.message : 'You are offline: credentials need a connection.';
    box.replaceChildren(h('p', { class: 'error' }, reason));
  }
  button.disabled = false;
}

/** "Download credential" for one signed-off entry (the entry screen). */
export function credentialButton(entryId) {
  const box = h('div', { id: 'credential-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: 'download-credential' }, 'Download credential');
  button.addEventListener('click', () => fetchInto(box, button, () => api.entryCredential(entryId)));
  return h('div', { class: 'credential' }, button, box);
}

/** "Download credential" for a completed registration cycle (ended, and met: the previous cycles screen). */
export function cycleCredentialButton(registrationId, startsOn) {
  const key = `${registrationId}-${startsOn}`;
  const box = h('div', { id: `cycle-credential-status-${key}`, role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: `download-cycle-${key}` }, 'Download credential');
  button.addEventListener('click', () => fetchInto(box, button, () => api.cycleCredential(registrationId, startsOn)));
  return h('div', { class: 'credential' }, button, box);
}

/** "Download as credentials": the whole verified record as one CLR 2.0 file (the exports screen). */
export function credentialsCard() {
  const box = h('div', { id: 'clr-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: 'download-clr' }, 'Download as credentials');
  button.addEventListener('click', () => fetchInto(box, button, () => api.recordClr()));
  return h('div', { class: 'card' },
    h('h2', { id: 'credentials-title' }, 'Your record as credentials'),
    h('p', {}, 'Your signed-off entries and the events you checked in to, as Open Badges 3.0 credentials in one '
      + 'Comprehensive Learner Record (CLR 2.0) file, signed by your organisation. Anyone can check it without asking '
      + 'this site. Your reflections are never in it.'),
    button, box);
}
