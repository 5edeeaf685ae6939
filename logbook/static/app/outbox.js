// The outbox: every local change becomes a domain mutation (create / update / delete of an entry)
// with the record's UUID and a per-device increasing mutation id, stored in the same transaction
// as the change itself. Mutations leave the outbox only when the server has answered them
// (see sync.js); nothing here ever removes one.

export const EDITABLE = [
  'kind', 'title', 'description', 'start_date', 'end_date', 'hours', 'is_participatory',
  'includes_peer_reflection', 'reflection', 'impact_on_practice', 'impact_on_people', 'ways_of_knowing',
  'other_professions', 'standards', 'common_core', 'details', 'evidence', 'visibility', 'status',
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
