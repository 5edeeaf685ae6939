// The admin area's frame and the pieces its screens share: the section navigation (a side column on
// a desktop, a wrapped row on a phone), tables that become stacked rows on a phone, small form helpers
// and field errors placed beside their fields. The admin area is online only: every change is sent at
// once and answered (nothing is queued), so the screens say so when there is no connection.

import { ApiError } from '../api.js';
import { field, h, mount } from '../dom.js';

/**
 * The sections, in the navigation's order. A section whose screen lives in another module names it
 * here by route; `admin.js` maps each route to its screen.
 */
export const SECTIONS = [
  ['people', 'People'],
  ['teams', 'Teams'],
  ['job-roles', 'Job roles'],
  ['registrations', 'Registrations'],
  ['assignments', 'Supervisor assignments'],
  ['staff-import', 'Staff onboarding'],
  ['frameworks', 'Frameworks'],
  ['export', 'Staff export'],
  ['audit', 'Audit trail'],
];

/** Draw an admin screen: the section navigation beside (or above) the screen's own content. */
export function adminPage(section, title, content, { nav, intro = null } = {}) {
  const links = SECTIONS.map(([key, label]) => h('li', {},
    h('a', { href: `/app/admin/${key}`, 'aria-current': key === section ? 'page' : null }, label)));
  // A desktop shows the sections in a side column; a phone folds them under one line naming the
  // current section (nine sections would otherwise take half its screen).
  const wide = window.matchMedia('(min-width: 900px)').matches;
  const current = SECTIONS.find(([key]) => key === section);
  const node = h('div', { class: 'admin-layout' },
    h('nav', { class: 'admin-nav', 'aria-label': 'Admin' },
      wide ? h('div', { class: 'admin-menu' }, h('p', { class: 'admin-nav-title' }, 'Admin'), h('ul', {}, links))
        : h('details', { class: 'admin-menu' },
          h('summary', {}, h('span', { class: 'admin-nav-title' }, 'Admin'), current ? h('span', { class: 'admin-menu-current' }, current[1]) : null),
          h('ul', {}, links))),
    h('section', { class: 'admin-main', 'aria-labelledby': 'admin-title' },
      h('h1', { id: 'admin-title', tabindex: '-1' }, title),
      navigator.onLine === false ? h('p', { class: 'error' }, 'You are offline: the admin area needs a connection.') : null,
      intro ? h('p', { class: 'admin-intro' }, intro) : null,
      content));
  if (!mount(document.getElementById('view'), node, { nav, focus: false })) return false;
  node.querySelector('#admin-title').focus({ preventScroll: true }); // screen readers announce the screen
  return true;
}

/**
 * A table that a phone shows as stacked rows (each cell labelled by its column, no sideways scroll).
 * columns: [{ label, cell(row) → node|string, className? }].
 */
export function dataTable({ caption, columns, rows, empty = 'Nothing here yet.', id = null }) {
  if (!rows.length) return h('p', { class: 'empty', id }, empty);
  return h('table', { class: 'admin-table', id },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c, i) => {
      const value = c.cell(row);
      const cell = i === 0 ? h('th', { scope: 'row', 'data-label': c.label }, value) : h('td', { 'data-label': c.label, class: c.className || null }, value);
      return cell;
    })))));
}

/** A <select> of [value, label] pairs (with a first blank choice when `blank` is given). */
export function selectOf(pairs, value = '', { blank = null, name = null } = {}) {
  return h('select', { name },
    blank !== null ? h('option', { value: '' }, blank) : null,
    pairs.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
}

/** Labelled inputs by name, each with its own error line: {name: {wrap, input, errorEl}}. */
export function formFields(spec) {
  const out = {};
  for (const [name, label, input, options] of spec) {
    input.name = name;
    out[name] = field(label, input, options || {});
  }
  return out;
}

/** Put the server's field errors beside their fields; return the message for what has no field. */
export function showErrors(fields, err) {
  for (const f of Object.values(fields)) { f.errorEl.textContent = ''; f.input.removeAttribute('aria-invalid'); }
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const elsewhere = [];
  for (const [name, messages] of Object.entries(err.fields || {})) {
    const key = name.split('.')[0];
    const target = fields[key];
    const text = [].concat(messages).flat().join('; ');
    if (target) { target.errorEl.textContent = text; target.input.setAttribute('aria-invalid', 'true'); }
    else elsewhere.push(`${name}: ${text}`);
  }
  return elsewhere.length ? `${err.message} (${elsewhere.join('; ')})` : err.message;
}

/** A status line (live region) for what a form did. */
export function statusLine(id) {
  return h('p', { class: 'admin-status', id, role: 'status', 'aria-live': 'polite' });
}

export function say(el, text, { error = false } = {}) {
  el.textContent = text;
  el.classList.toggle('error', error);
  el.classList.toggle('ok', !error && Boolean(text));
}
