// App entry: decides between the login screen and the home screen, registers the service worker.

import { api, ApiError } from './api.js';
import { h, mount } from './dom.js';

const view = () => document.getElementById('view');
const ROLE_LABELS = {
  practitioner: 'Practitioner', supervisor: 'Supervisor', team_manager: 'Team manager', org_admin: 'Org admin',
};

function loginScreen(message) {
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' }, message || '');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'card', novalidate: true, 'aria-describedby': 'login-error' },
    h('h2', {}, 'Log in'),
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    error, button);
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
      homeScreen(user);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : 'Could not reach the server. Check your connection.';
      button.disabled = false;
    }
  });
  mount(view(), form);
}

function homeScreen(user) {
  const regs = user.registrations.length
    ? h('ul', { class: 'list' }, user.registrations.map((r) => h('li', {},
        h('strong', {}, `${r.regulator} — ${r.profession}`),
        r.registration_number ? ` (${r.registration_number})` : '',
        r.renewal_date ? h('span', { class: 'muted' }, ` renews ${new Date(r.renewal_date).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })}`) : '')))
    : h('p', { class: 'muted' }, 'No professional registration recorded.');
  const logout = h('button', { type: 'button', class: 'secondary', id: 'logout' }, 'Log out');
  logout.addEventListener('click', async () => {
    await api.logout().catch(() => null);
    loginScreen('You have logged out.');
  });
  mount(view(), h('section', { class: 'card', 'aria-labelledby': 'home-title' },
    h('h2', { id: 'home-title' }, `Hello, ${user.name}`),
    h('p', {}, [user.job_role ? user.job_role.name : null, user.team ? user.team.name : null].filter(Boolean).join(' · ')),
    h('p', { class: 'muted' }, user.roles.map((r) => ROLE_LABELS[r] || r).join(', ')),
    h('h3', {}, 'Registrations'), regs,
    logout));
}

async function start() {
  try {
    homeScreen(await api.me());
  } catch (err) {
    loginScreen(err instanceof ApiError && err.status === 401 ? '' : 'Could not reach the server.');
  }
}

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => null);
}
start();
