// Building DOM nodes without innerHTML, so user text can never become markup; small view helpers.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Screens load data before they draw; a screen the user has already left must not draw over the
// next one. The router bumps `navigation.id`; a screen passes the id it started under to mount().
export const navigation = { id: 0 };

/** Show a screen and move focus to its heading (screen readers announce the new screen). */
export function mount(root, node, { focus = true, nav = navigation.id } = {}) {
  if (nav !== navigation.id) return false;
  root.replaceChildren(node);
  const heading = root.querySelector('h2');
  if (heading && focus) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
  window.scrollTo(0, 0);
  return true;
}

let uid = 0;
/** A labelled form control; returns {wrap, input}. Errors are tied to the input for screen readers. */
export function field(label, input, { hint = '', error = '' } = {}) {
  uid += 1;
  const id = input.id || `f${uid}`;
  input.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error` }, error);
  input.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '));
  if (error) input.setAttribute('aria-invalid', 'true');
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, input, errorEl), input, errorEl };
}

export function todayIso(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function formatDate(iso) {
  if (!iso) return '';
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return new Date(y, m - 1, d).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

export function formatHours(hours) {
  const n = Number(hours);
  if (!Number.isFinite(n)) return '';
  return `${Number.isInteger(n) ? n : n.toFixed(2).replace(/0$/, '')} h`;
}

const STATE_TEXT = { synced: 'Synced', pending: 'Waiting to sync', conflict: 'Needs your attention', rejected: 'Needs fixing' };
export function stateBadge(state) {
  return h('span', { class: `badge badge-${state}` }, STATE_TEXT[state] || state);
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
