// The one module that talks to the server's JSON API: CSRF token, error shape, timeouts.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `Request failed (${status})`);
    this.status = status;
    this.code = err.code || 'error';
    this.fields = err.fields || {};
  }
}

async function ensureCsrf() {
  if (!csrfToken) {
    const res = await fetch('/api/v1/auth/csrf', { credentials: 'same-origin' });
    csrfToken = (await res.json()).csrf_token;
  }
  return csrfToken;
}

export function setCsrf(token) { csrfToken = token; }

export async function request(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRFToken'] = await ensureCsrf();
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 403 && data && data.error && data.error.code === 'csrf_failed') csrfToken = null;
    throw new ApiError(res.status, data);
  }
  return data;
}

export const api = {
  me: () => request('GET', '/api/v1/me'),
  login: async (email, password) => {
    const out = await request('POST', '/api/v1/auth/login', { email, password });
    setCsrf(out.csrf_token);
    return out.user;
  },
  logout: async () => { await request('POST', '/api/v1/auth/logout'); csrfToken = null; },
};
