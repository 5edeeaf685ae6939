// The one module that talks to the server's JSON API: CSRF token, error shape, no-network errors.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const err = (body && body.error) || {};
    super(err.message || fallback || (status ? `Request failed (${status})` : 'No connection'));
    this.status = status; // 0: the request never reached the server
    this.code = err.code || (status ? 'error' : 'offline');
    this.fields = err.fields || {};
    this.body = body;
  }
}

async function ensureCsrf() {
  if (!csrfToken) {
    const res = await send('GET', '/api/v1/auth/csrf');
    csrfToken = (await res.json()).csrf_token;
  }
  return csrfToken;
}

export function setCsrf(token) { csrfToken = token; }

/** Where single sign-on starts (a server page: the browser goes to the organisation's provider). */
export const SSO_LOGIN_PATH = '/auth/oidc/login';

const TIMEOUT_MS = 30000; // a request that hangs on a bad signal counts as no connection

async function send(method, url, { headers = {}, body } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    return await fetch(url, {
      method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin', body, cache: 'no-store',
      signal: controller.signal,
    });
  } catch {
    throw new ApiError(0, null, 'No connection');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A JSON request; a change carries the CSRF token and is retried once with a fresh one. With `file`,
 * the answer may also be a file (a portfolio PDF): then {file: Blob, filename} comes back.
 */
export async function request(method, url, body, { raw = null, contentType = null, file = false, retried = false } = {}) {
  const headers = file ? { Accept: 'application/pdf, application/json' } : {};
  if (method !== 'GET') headers['X-CSRFToken'] = await ensureCsrf();
  let payload;
  if (raw !== null) { payload = raw; headers['Content-Type'] = contentType || 'application/octet-stream'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  const res = await send(method, url, { headers, body: payload });
  if (res.status === 204) return null;
  if (file && res.ok && !(res.headers.get('Content-Type') || '').startsWith('application/json')) {
    const named = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
    return { file: await res.blob(), filename: named ? named[1] : 'download' };
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 400 || res.status === 403) {
      const code = data && data.error && data.error.code;
      if (code && code.startsWith('csrf') && !retried) {
        csrfToken = null;
        return request(method, url, body, { raw, contentType, file, retried: true });
      }
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

const enc = encodeURIComponent;

/**
 * Every URL of the JSON API the phone uses is named here (views call these and never hold a
 * literal `/api/v1/` path: tests/js/test_pwa_boundaries.py checks). `search` arguments are a query
 * string that is either empty or starts with "?".
 */
export const urls = {
  evidence: (sha256) => `/api/v1/evidence/${sha256}`,
  insightsCsv: (viewId, search = '') => `/api/v1/insights/${enc(viewId)}.csv${search}`,
};

export const api = {
  me: () => request('GET', '/api/v1/me'),
  login: async (email, password) => {
    const out = await request('POST', '/api/v1/auth/login', { email, password });
    setCsrf(out.csrf_token);
    return out.user;
  },
  logout: async () => { try { await request('POST', '/api/v1/auth/logout'); } finally { csrfToken = null; } },
  changePassword: async (currentPassword, newPassword) => {
    const out = await request('POST', '/api/v1/me/password', { current_password: currentPassword, new_password: newPassword });
    setCsrf(out.csrf_token); // every session ended; this browser got a fresh one
    return out.user;
  },
  ownRegistrations: () => request('GET', '/api/v1/me/registrations'),
  addRegistration: (body) => request('POST', '/api/v1/me/registrations', body),
  changeRegistration: (id, body) => request('PATCH', `/api/v1/me/registrations/${enc(id)}`, body),
  // notifications and their schedule
  notifications: () => request('GET', '/api/v1/notifications'),
  markNotificationRead: (id) => request('POST', `/api/v1/notifications/${enc(id)}/read`),
  notificationPreferences: () => request('GET', '/api/v1/notifications/preferences'),
  setNotificationPreferences: (items) => request('PUT', '/api/v1/notifications/preferences', { items }),
  // the secret calendar feed of one's supervision sessions
  newCalendarFeed: () => request('POST', '/api/v1/supervision/calendar-feed'),
  stopCalendarFeeds: () => request('DELETE', '/api/v1/supervision/calendar-feed'),
  checkText: (text) => request('POST', '/api/v1/privacy/check', { text }),
  templates: () => request('GET', '/api/v1/reflection-templates'),
  progress: () => request('GET', '/api/v1/progress'),
  progressInputs: () => request('GET', '/api/v1/progress/inputs'),
  progressHistory: () => request('GET', '/api/v1/progress/history'),
  frameworks: () => request('GET', '/api/v1/frameworks'),
  framework: (id, version) => request('GET', `/api/v1/frameworks/${enc(id)}?version=${version}`),
  evidence: urls.evidence,
  // entries (read from the server; changes go through the outbox)
  entry: (id) => request('GET', `/api/v1/entries/${enc(id)}`),
  entrySignOffs: (id) => request('GET', `/api/v1/entries/${enc(id)}/sign-offs`),
  // online only: the signer (or an org admin) takes an approval back, with a reason
  withdrawSignOff: (id, reason) => request('POST', `/api/v1/sign-offs/${enc(id)}/withdraw`, { reason }),
  // supervision
  supervisionPeople: () => request('GET', '/api/v1/supervision/people'),
  supervisionDue: () => request('GET', '/api/v1/supervision/due?scope=me'),
  supervisionDueSupervisees: () => request('GET', '/api/v1/supervision/due?scope=supervisees'),
  supervisionStatus: () => request('GET', '/api/v1/supervision/status'),
  supervisionActions: () => request('GET', '/api/v1/supervision/actions'),
  signOffQueue: () => request('GET', '/api/v1/sign-off-requests'),
  // events
  events: () => request('GET', '/api/v1/events'),
  eventsFacilitating: () => request('GET', '/api/v1/events?scope=facilitating'),
  event: (id) => request('GET', `/api/v1/events/${enc(id)}`),
  createEvent: (body) => request('POST', '/api/v1/events', body),
  eventFeedback: (id, { rating, comment }) => request('POST', `/api/v1/events/${enc(id)}/feedback`, { rating, comment }),
  eventRegister: (id) => request('GET', `/api/v1/events/${enc(id)}/register`),
  markPresent: (id, userIds) => request('POST', `/api/v1/events/${enc(id)}/register`, { user_ids: userIds }),
  eventCheckInCode: (id) => request('GET', `/api/v1/events/${enc(id)}/check-in-code`),
  checkIn: (code) => request('POST', '/api/v1/events/check-in', { code }),
  // exports (a portfolio may come back as a file, or as a job to follow)
  portfolio: (body) => request('POST', '/api/v1/portfolio', body, { file: true }),
  exportRecord: () => request('POST', '/api/v1/record/export'),
  // verifiable credentials (VC-JWT files: docs/record-format.md)
  entryCredential: (id) => request('GET', `/api/v1/entries/${enc(id)}/credential`, undefined, { file: true }),
  cycleCredential: (registrationId, startsOn) => request('GET',
    `/api/v1/me/cycles/${enc(registrationId)}/${enc(startsOn)}/credential`, undefined, { file: true }),
  recordClr: () => request('GET', '/api/v1/record/clr', undefined, { file: true }),
  importRecord: (file) => request('POST', '/api/v1/record/import', undefined, { raw: file, contentType: 'application/zip' }),
  // the record in other formats (docs/record-format.md): Leap2A for Mahara, past CPD from a spreadsheet;
  // `search` is the column mapping and rows left out ("" or "?date=0&title=1…&skip=5")
  leap2aExport: (includeReflections) => request('GET', `/api/v1/record/leap2a${includeReflections ? '?include_reflections=true' : ''}`, undefined, { file: true }),
  leap2aPreview: (file) => request('POST', '/api/v1/record/leap2a/preview', undefined, { raw: file, contentType: 'application/octet-stream' }),
  leap2aApply: (file) => request('POST', '/api/v1/record/leap2a/apply', undefined, { raw: file, contentType: 'application/octet-stream' }),
  spreadsheetPreview: (file, search = '') => request('POST', `/api/v1/record/spreadsheet/preview${search}`, undefined, { raw: file, contentType: 'application/octet-stream' }),
  spreadsheetApply: (file, search = '') => request('POST', `/api/v1/record/spreadsheet/apply${search}`, undefined, { raw: file, contentType: 'application/octet-stream' }),
  job: (url) => request('GET', url), // a job's status URL, as the server gave it
  // the admin area (online only: org admins; every change answers at once or names the field)
  adminUsers: (search = '') => request('GET', `/api/v1/admin/users${search}`),
  adminUser: (id) => request('GET', `/api/v1/admin/users/${enc(id)}`),
  adminUpdateUser: (id, body) => request('PATCH', `/api/v1/admin/users/${enc(id)}`, body),
  adminInvite: (body) => request('POST', '/api/v1/admin/users/invite', body),
  adminResendInvitation: (id) => request('POST', `/api/v1/admin/users/${enc(id)}/invitation`),
  adminTeams: () => request('GET', '/api/v1/admin/teams'),
  // org admins: staff onboarding (raw CSV/XLSX bytes) and supervisor assignments (docs/onboarding.md)
  staffImportPreview: (file) => request('POST', '/api/v1/admin/staff-import/preview', undefined, { raw: file, contentType: 'application/octet-stream' }),
  staffImportApply: (file) => request('POST', '/api/v1/admin/staff-import/apply', undefined, { raw: file, contentType: 'application/octet-stream' }),
  assignments: (search = '') => request('GET', `/api/v1/admin/supervision-assignments${search}`),
  assignSupervisor: (body) => request('POST', '/api/v1/admin/supervision-assignments', body),
  endAssignment: (id, body = {}) => request('POST', `/api/v1/admin/supervision-assignments/${enc(id)}/end`, body),
  adminCreateTeam: (body) => request('POST', '/api/v1/admin/teams', body),
  adminUpdateTeam: (id, body) => request('PATCH', `/api/v1/admin/teams/${enc(id)}`, body),
  adminDeleteTeam: (id) => request('DELETE', `/api/v1/admin/teams/${enc(id)}`),
  adminJobRoles: () => request('GET', '/api/v1/admin/job-roles'),
  adminCreateJobRole: (body) => request('POST', '/api/v1/admin/job-roles', body),
  adminUpdateJobRole: (id, body) => request('PATCH', `/api/v1/admin/job-roles/${enc(id)}`, body),
  adminDeleteJobRole: (id) => request('DELETE', `/api/v1/admin/job-roles/${enc(id)}`),
  adminImportJobRoles: (csv) => request('POST', '/api/v1/admin/job-roles/import', { csv }),
  adminRegistrations: (search = '') => request('GET', `/api/v1/admin/registrations${search}`),
  adminAddRegistration: (userId, body) => request('POST', `/api/v1/admin/users/${enc(userId)}/registrations`, body),
  adminUpdateRegistration: (id, body) => request('PATCH', `/api/v1/admin/registrations/${enc(id)}`, body),
  adminDeleteRegistration: (id) => request('DELETE', `/api/v1/admin/registrations/${enc(id)}`),
  adminFrameworks: () => request('GET', '/api/v1/admin/frameworks'),
  uploadFramework: (filename, text) => request('POST', '/api/v1/frameworks', { filename, text }),
  adminAudit: (search = '') => request('GET', `/api/v1/admin/audit${search}`),
  staffExport: (body) => request('POST', '/api/v1/exports/staff', body),
  // insights
  insightViews: () => request('GET', '/api/v1/insights'),
  insight: (viewId, search = '') => request('GET', `/api/v1/insights/${enc(viewId)}${search}`),
};

/** What the sync engine needs from the network (sync.js stays free of fetch and CSRF details). */
export const transport = {
  push: (body) => request('POST', '/api/v1/sync/push', body),
  pull: (cursor, limit) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return request('GET', `/api/v1/sync/pull?${q}`);
  },
  uploadEvidence: (item) => request('PUT', `/api/v1/evidence/${item.sha256}?${new URLSearchParams({ filename: item.name || '' })}`, undefined,
    { raw: item.blob, contentType: item.media_type || 'application/octet-stream' }),
};
