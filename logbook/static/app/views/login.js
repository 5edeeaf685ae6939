// Log in screen (also shown when the session ends while changes wait on the phone).

import { api, ApiError, SSO_LOGIN_PATH } from '../api.js';
import { h, mount } from '../dom.js';

export function loginScreen(ctx, message, onLoggedIn) {
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, 'Log in'),
    message ? h('p', { class: 'notice', id: 'login-message' }, message) : null,
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    error, button,
    // The reset pages are server-rendered (they work without the app and without a session).
    h('p', { class: 'login-help' }, h('a', { href: '/forgot-password' }, 'Forgot password?')));
  const sso = ssoForm();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) {
      error.textContent = 'Enter your email and password.';
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      const user = await api.login(email.value.trim(), password.value);
      await onLoggedIn(user);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'use_organisation_sign_in' && err.body.error.organisation) {
        sso.organisation.value = err.body.error.organisation; // one tap: "Sign in with your organisation"
      }
      error.textContent = err instanceof ApiError
        ? (err.status === 0 ? 'Could not reach the server. Check your connection.' : err.message)
        : err.message;
      button.disabled = false;
    }
  });
  // no focus move: the password form's heading is an h1 (mount() would focus the organisation's h2)
  mount(document.getElementById('view'), h('div', { class: 'login-forms' }, form, sso.form), { focus: false });
}

// Single sign-on: the browser goes to the server's page, which sends it on to the organisation's
// identity provider and back into the app. A navigation, not a form submission: the CSP's
// form-action 'self' also covers where a submitted form is redirected, and the provider is elsewhere. The organisation comes from the link the
// organisation gave its staff (/?organisation=SLUG) or the one used last on this phone.
const SSO_KEY = 'logbook.sso-organisation';

function ssoForm() {
  const given = new URLSearchParams(location.search).get('organisation');
  let remembered = null;
  try { remembered = localStorage.getItem(SSO_KEY); } catch { /* storage unavailable */ }
  const organisation = h('input', {
    id: 'sso-organisation', name: 'organisation', type: 'text', required: true, autocomplete: 'organization',
    autocapitalize: 'none', spellcheck: 'false', value: given || remembered || '',
    'aria-describedby': 'sso-hint',
  });
  const form = h('form', { class: 'card', id: 'sso-form', novalidate: true },
    h('h2', {}, 'Sign in with your organisation'),
    h('p', { class: 'hint', id: 'sso-hint' }, 'If your employer uses its own sign-in (such as Microsoft or Google), enter its short name, as your administrator gave it.'),
    h('label', { for: 'sso-organisation' }, 'Organisation'), organisation,
    h('button', { type: 'submit', class: 'secondary' }, 'Sign in with your organisation'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const slug = organisation.value.trim().toLowerCase();
    if (!slug) { organisation.focus(); return; }
    try { localStorage.setItem(SSO_KEY, slug); } catch { /* storage unavailable */ }
    location.assign(`${SSO_LOGIN_PATH}?organisation=${encodeURIComponent(slug)}`);
  });
  return { form, organisation };
}
