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

/**
 * Show a screen and move focus to its heading (screen readers announce the new screen).
 * `keep`: the same screen drawn again because a sync changed what it shows, while the person may be
 * using it: forms they had opened stay open with what they typed or chose, focus stays where it was,
 * and the page does not jump to the top (carryOver).
 */
export function mount(root, node, { focus = true, nav = navigation.id, keep = false } = {}) {
  if (nav !== navigation.id) return false;
  const scrolled = window.scrollY;
  if (keep) carryOver(root, node);
  const focused = keep ? focusKey(root) : null;
  root.replaceChildren(node);
  if (keep) {
    const again = focused && refind(node, focused);
    if (again) again.focus({ preventScroll: true });
    window.scrollTo(0, scrolled);
    return true;
  }
  const heading = root.querySelector('h2');
  if (heading && focus) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
  window.scrollTo(0, 0);
  return true;
}

/** Where focus is, as something findable in a redrawn copy of the screen (an id, or a form's named control). */
function focusKey(root) {
  const el = document.activeElement;
  if (!el || el === document.body || !root.contains(el)) return null;
  if (el.id && !/^f\d+$/.test(el.id)) return { id: el.id };
  const form = el.form || el.closest('form');
  if (form && form.id && el.name) return { form: form.id, name: el.name, value: el.type === 'radio' ? el.value : null };
  return null;
}

function refind(node, key) {
  if (key.id) return node.querySelector(`#${CSS.escape(key.id)}`);
  const form = node.querySelector(`#${CSS.escape(key.form)}`);
  if (!form) return null;
  const named = [...form.elements].filter((c) => c.name === key.name);
  return (key.value === null ? named[0] : named.find((c) => c.value === key.value)) || null;
}

/**
 * Forms (with an id) the person opened on the screen being replaced: open them in the new copy too
 * (and close the button that opened them, by its aria-controls), with the values typed or chosen.
 * Nothing typed is lost when a sync redraws the screen under someone's thumb.
 */
export function carryOver(oldRoot, newNode) {
  for (const before of oldRoot.querySelectorAll('form[id]')) {
    const after = newNode.querySelector(`form#${CSS.escape(before.id)}`);
    if (!after) continue;
    if (!before.hidden && after.hidden) {
      after.hidden = false;
      const opener = newNode.querySelector(`[aria-controls="${CSS.escape(before.id)}"]`);
      if (opener) { opener.hidden = true; opener.setAttribute('aria-expanded', 'true'); }
    }
    for (const control of before.elements) {
      if (!control.name || control.type === 'file' || control.type === 'submit' || control.type === 'button') continue;
      const twins = [...after.elements].filter((c) => c.name === control.name && c.type === control.type);
      if (control.type === 'radio' || control.type === 'checkbox') {
        const twin = twins.find((c) => c.value === control.value);
        if (twin && twin.checked !== control.checked) {
          twin.checked = control.checked;
          twin.dispatchEvent(new Event('change', { bubbles: true })); // what depends on the choice follows it
        }
      } else if (twins.length === 1 && twins[0].value !== control.value) {
        twins[0].value = control.value;
      }
    }
  }
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
