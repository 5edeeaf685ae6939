// The outbox: every local change becomes a domain mutation (create / update / delete of an entry,
// a sign-off request or decision, a check-in, a supervision session and its confirmation and
// sign-off) with the record's UUID and a per-device increasing mutation id, stored in the same
// transaction as the change itself. Mutations leave the outbox only when the server has answered
// them (see sync.js); nothing here ever removes one.
//
// This is the only module that knows a mutation's wire shape (docs/sync.md): views call the named
// functions below and never build one (tests/js/test_pwa_boundaries.py checks). EDITABLE and
// ENTITIES copy the server's lists (entries/service.py, sync/schemas.py); tests/js/test_pwa_parity.py
// holds them equal.

export const EDITABLE = [
  'kind', 'title', 'description', 'start_date', 'end_date', 'hours', 'is_participatory',
  'includes_peer_reflection', 'reflection', 'impact_on_practice', 'impact_on_people', 'ways_of_knowing',
  'other_professions', 'standards', 'common_core', 'details', 'evidence', 'visibility', 'status',
];

/** Every entity the phone sends in a push (the server's sync ENTITIES, in its order). */
export const ENTITIES = [
  'entry', 'sign_off', 'sign_off_request', 'event_check_in', 'supervision_session',
  'supervision_session_confirm', 'session_sign_off_request', 'session_sign_off', 'gap_explanation',
];

export function newId() {
  return globalThis.crypto.randomUUID();
}

// Key order and number formatting differ between what the server sends (hours 1.5, keys sorted)
// and what a form builds ("1.50"); an unchanged field must never be sent as a change, or it
// would clash with another device's real change to it.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const SETS = new Set(['standards', 'common_core', 'ways_of_knowing', 'other_professions']);

export function same(a, b, name = '') {
  if (name === 'hours' && a !== undefined && b !== undefined && a !== null && b !== null) return Number(a) === Number(b);
  if (SETS.has(name) && Array.isArray(a) && Array.isArray(b)) {
    return canonical(a.map(canonical).sort()) === canonical(b.map(canonical).sort()); // order carries no meaning
  }
  return canonical(a) === canonical(b);
}

function editable(fields) {
  const out = {};
  for (const name of EDITABLE) if (fields[name] !== undefined) out[name] = fields[name];
  return out;
}

/** What the sync status shows for one record. */
export function recordState(record, pendingCount) {
  if (record.state === 'conflict' || record.state === 'rejected') return record.state;
  return pendingCount > 0 ? 'pending' : 'synced';
}

/** Create an entry on this device: stored at once, queued for the server. */
export async function createEntry(store, fields, { now = new Date() } = {}) {
  const id = fields.id || newId();
  const data = { ...editable(fields), id };
  const { record } = await store.commitLocalChange(id, () => ({
    record: {
      id, data, version: null, state: 'pending', pending: 1, conflict: null, errors: null,
      is_deleted: false, local_updated_at: now.toISOString(),
    },
    mutation: { entity: 'entry', id, op: 'create', base_version: null, fields: editable(data) },
  }));
  return record;
}

/**
 * Change an entry. Only fields that differ are sent. A record the server has never accepted
 * (its create was rejected) is created again with all its fields.
 */
export async function updateEntry(store, id, changes, { now = new Date() } = {}) {
  return (await store.commitLocalChange(id, (record) => {
    if (!record) throw new Error(`No entry ${id} on this phone`);
    const diff = {};
    for (const [name, value] of Object.entries(editable(changes))) {
      if (!same(record.data[name], value, name)) diff[name] = value;
    }
    const data = { ...record.data, ...diff };
    const recreate = record.version === null && !record.pending;
    const mutation = recreate
      ? { entity: 'entry', id, op: 'create', base_version: null, fields: editable(data) }
      : { entity: 'entry', id, op: 'update', base_version: record.version || 1, fields: diff };
    return {
      record: {
        ...record, data, state: record.state === 'conflict' ? 'conflict' : 'pending',
        errors: null, pending: (record.pending || 0) + 1, local_updated_at: now.toISOString(),
      },
      mutation,
    };
  })).record;
}

/** Delete an entry: it disappears here at once and becomes a tombstone on the server. */
export async function deleteEntry(store, id, { now = new Date() } = {}) {
  return (await store.commitLocalChange(id, (record) => {
    if (!record) throw new Error(`No entry ${id} on this phone`);
    return {
      record: { ...record, is_deleted: true, state: 'pending', pending: (record.pending || 0) + 1, local_updated_at: now.toISOString() },
      mutation: { entity: 'entry', id, op: 'delete', base_version: record.version || 1, fields: {} },
    };
  })).record;
}

/**
 * Resolve a conflict: `chosen` holds the value the user picked (or merged) for each field in
 * conflict, plus any other of their changes. The result is a new update made against the
 * server's current version, so it applies cleanly unless someone changes the entry again.
 */
export async function resolveConflict(store, id, chosen, { now = new Date() } = {}) {
  const before = await store.getEntry(id);
  const server = (before && before.conflict && before.conflict.current) || {};
  if (before && before.conflict && Object.entries(editable(chosen)).every(([k, v]) => same(server[k], v, k))) {
    return acceptServerCopy(store, id); // the user kept the other version of everything: nothing to send
  }
  return (await store.commitLocalChange(id, (record) => {
    if (!record || !record.conflict) throw new Error('Nothing to resolve');
    const current = record.conflict.current || {};
    const data = { ...editable(current), ...editable(chosen), id };
    const fields = {};
    for (const [name, value] of Object.entries(editable(chosen))) if (!same(current[name], value, name)) fields[name] = value;
    return {
      record: {
        ...record, data, version: current.version, state: 'pending', conflict: null, errors: null,
        is_deleted: false, pending: (record.pending || 0) + 1, local_updated_at: now.toISOString(),
      },
      mutation: { entity: 'entry', id, op: 'update', base_version: current.version, fields },
    };
  })).record;
}

/** Take the server's copy after a conflict, dropping this phone's version (the user chose to). */
export async function acceptServerCopy(store, id) {
  const record = await store.getEntry(id);
  if (!record || !record.conflict) return record;
  const current = record.conflict.current || {};
  const next = {
    ...record, data: { ...editable(current), id }, version: current.version, conflict: null, errors: null,
    is_deleted: Boolean(current.is_deleted), state: record.pending ? 'pending' : 'synced',
  };
  await store.putEntries([next]);
  return next;
}

// --- Mutations of records this phone reads from the pull (their screens show the answer) ----------

/** Where a queued mutation's note (and later the server's answer) is kept, for the screens that show it. */
export const noteKeys = {
  signOffRequest: (entryId) => `signoff-request:${entryId}`,
  decision: (requestId) => `decision:${requestId}`,
};

function mutation(entity, op, id, baseVersion, fields) {
  return { entity, op, id, base_version: baseVersion, fields };
}

/**
 * Ask for an entry's sign-off, by a linked supervisor (`supervisorId`) or by someone outside the
 * service (`external`: {name, email, registration_body?}). Its answer is kept under
 * `signoff-request:<entry id>` with the note (`to`: whom it was sent to).
 */
export function requestSignOff(store, { entry, message, supervisorId = null, external = null, to, now = new Date() }) {
  const fields = { entry_id: entry.id, entry_version: entry.version, message };
  if (external) fields.external = external;
  else fields.supervisor_id = supervisorId;
  return store.queueMutation(
    mutation('sign_off_request', 'create', newId(), null, fields),
    noteKeys.signOffRequest(entry.id),
    { to, entry_version: entry.version, at: now.toISOString() },
  );
}

/**
 * A supervisor's decision on a sign-off request (`item`, from the queue): it names the exact version
 * and SHA-256 they read. The answer is kept under `decision:<request id>`. Returns the sign-off's id.
 */
export async function decideSignOff(store, item, { decision, comment, now = new Date() }) {
  const signOffId = newId();
  await store.queueMutation(mutation('sign_off', 'create', signOffId, null, {
    entry_id: item.entry_id, entry_version: item.entry_version, content_sha256: item.content_sha256,
    decision, comment, request_id: item.id,
  }), noteKeys.decision(item.id), { decision, sign_off_id: signOffId, at: now.toISOString() });
  return signOffId;
}

/** A check-in scanned offline: the code with the time of the scan, its answer kept under `noteKey`. */
export function queueCheckIn(store, { code, noteKey, now = new Date() }) {
  return store.queueMutation(
    mutation('event_check_in', 'create', newId(), null, { code, scanned_at: now.toISOString() }),
    noteKey, { code, at: now.toISOString() },
  );
}

const SESSION = 'supervision_session';

function sessionChange(store, entityMutation, id, change, what, now) {
  return store.queueRecordChange(entityMutation, SESSION, id, change, { what, at: now.toISOString() });
}

/**
 * Record a supervision session. `fields` are the session's (supervisor_id, supervisee_id, starts_at,
 * duration_minutes, format, agenda, summary, actions); `shown` what this phone shows until the server's
 * copy arrives (names, and whatever else the screen needs). Returns the new session's id.
 */
export async function recordSession(store, fields, shown = {}, { now = new Date() } = {}) {
  const id = newId();
  await sessionChange(store, mutation(SESSION, 'create', id, null, fields), id, () => ({
    ...fields, id, version: null, is_confirmed: false, is_cancelled: false, location: '', ...shown,
    actions: (fields.actions || []).map((a) => ({ ...a, closed_at: null })), carried_forward: [], sign_off_request: null,
  }), 'recorded', now);
  return id;
}

/** Mark agreed actions done (those of this session or carried forward into it). */
export function closeSessionActions(store, session, actionIds, { now = new Date() } = {}) {
  const at = now.toISOString();
  const close = (list) => (list || []).map((x) => (actionIds.includes(x.id) ? { ...x, closed_at: at } : x));
  return sessionChange(store, mutation(SESSION, 'update', session.id, session.version, { close_actions: actionIds }), session.id,
    (data) => { const d = { ...(data || session) }; return { ...d, actions: close(d.actions), carried_forward: close(d.carried_forward) }; },
    'action closed', now);
}

/** Confirm a session's record as its supervisor or supervisee, at the version on show. */
export function confirmSession(store, session, { asSupervisor, now = new Date() }) {
  return sessionChange(store,
    mutation('supervision_session_confirm', 'create', newId(), null, { session_id: session.id, version: session.version }),
    session.id,
    (data) => ({ ...(data || session), [asSupervisor ? 'supervisor_confirmed_at' : 'supervisee_confirmed_at']: now.toISOString() }),
    'confirmed', now);
}

/** Ask the other person (`signerId`) to sign off a session's record at the version on show. */
export function requestSessionSignOff(store, session, { signerId, now = new Date() }) {
  return sessionChange(store,
    mutation('session_sign_off_request', 'create', newId(), null, { session_id: session.id, session_version: session.version }),
    session.id,
    (data) => ({ ...(data || session), sign_off_request: { id: null, state: 'open', signer_id: signerId, session_version: session.version, decision: null } }),
    'sign-off requested', now);
}

/** Sign off or return a session's record (`request`: its open sign-off request). */
export function decideSessionSignOff(store, session, request, { decision, comment, signerName, now = new Date() }) {
  return sessionChange(store,
    mutation('session_sign_off', 'create', newId(), null, {
      session_id: session.id, session_version: session.version, content_sha256: session.content_sha256,
      decision, comment, request_id: request.id,
    }),
    session.id,
    (data) => ({ ...(data || session), sign_off_request: { ...request, state: decision, decision: { decision, comment, signer_name: signerName } } }),
    decision, now);
}

// --- Gap explanations (a practitioner's own words for a break in their CPD; private) -------------

const GAP = 'gap_explanation';
const GAP_FIELDS = ['starts_on', 'ends_on', 'reason'];

/** Explain a break: `fields` {starts_on, ends_on, reason}. Shown on this phone at once; returns its id. */
export async function explainGap(store, fields, { now = new Date() } = {}) {
  const id = newId();
  const sent = Object.fromEntries(GAP_FIELDS.map((k) => [k, fields[k]]));
  await store.queueRecordChange(mutation(GAP, 'create', id, null, sent), GAP, id,
    () => ({ ...sent, id, version: null, is_deleted: false, updated_at: now.toISOString() }),
    { what: 'explained', at: now.toISOString() });
  return id;
}

/**
 * Change an explanation (only the fields that differ are sent), against the version on this phone.
 * One phone's edits follow each other: the local copy counts the versions its queued changes will
 * make, so a second edit before the first is synced names the version the first one makes.
 */
export function changeGapExplanation(store, record, changes, { now = new Date() } = {}) {
  const diff = {};
  for (const k of GAP_FIELDS) if (changes[k] !== undefined && changes[k] !== record[k]) diff[k] = changes[k];
  const base = record.version || 1; // made on this phone and not yet pulled back: its create makes version 1
  return store.queueRecordChange(mutation(GAP, 'update', record.id, base, diff), GAP, record.id,
    (data) => ({ ...(data || record), ...diff, version: base + 1 }), { what: 'changed', at: now.toISOString() });
}

/** Delete an explanation: gone from this phone at once, a tombstone on the server. */
export function deleteGapExplanation(store, record, { now = new Date() } = {}) {
  return store.queueRecordChange(mutation(GAP, 'delete', record.id, record.version || 1, {}), GAP, record.id,
    (data) => ({ ...(data || record), is_deleted: true }), { what: 'deleted', at: now.toISOString() });
}
