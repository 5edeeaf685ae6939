// Log in screen (also shown when the session ends while changes wait on the phone).

import { api, ApiError } from '../api.js';
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
      error.textContent = err instanceof ApiError
        ? (err.status === 0 ? 'Could not reach the server. Check your connection.' : err.message)
        : err.message;
      button.disabled = false;
    }
  });
  mount(document.getElementById('view'), form);
}
