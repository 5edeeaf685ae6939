// Test doubles: an in-memory IndexedDB per test, a fake sync server with the real protocol's
// answers (docs/sync.md), and timers that record what was scheduled instead of waiting.
import { IDBFactory } from 'fake-indexeddb';
import { openStore } from '../../logbook/static/app/store.js';

export async function freshStore(version) {
  const idb = new IDBFactory();
  return openStore({ idb, name: 'test', version });
}

export class HttpError extends Error {
  constructor(status, message = `HTTP ${status}`) {
    super(message);
    this.status = status;
  }
}

/** A server that keeps entries with versions, remembers (client, mutation) results, and merges by field. */
export class FakeServer {
  constructor() {
    this.entries = new Map(); // id → {version, fields, history: [{version, fields, client}]}
    this.seen = new Map(); // `${client}:${mid}` → result
    this.last = new Map(); // client → highest mutation id received
    this.outOfOrder = []; // mutations refused as out_of_order (the app must never cause one)
    this.feed = []; // ids in change order
    this.failures = []; // queued failures for the next calls: {on: 'push'|'pull', error, afterApply}
    this.calls = [];
    this.maxBatch = Infinity;
    this.validate = (fields) => (fields.title === '' ? { title: ['is required'] } : null);
  }

  failNext(on, error, { afterApply = false } = {}) { this.failures.push({ on, error, afterApply }); }

  takeFailure(on) {
    const i = this.failures.findIndex((f) => f.on === on);
    return i === -1 ? null : this.failures.splice(i, 1)[0];
  }

  transport() {
    return {
      push: async (body) => this.push(body),
      pull: async (cursor, limit) => this.pull(cursor, limit),
    };
  }

  async push({ client_id: client, mutations }) {
    this.calls.push({ on: 'push', size: mutations.length });
    const failure = this.takeFailure('push');
    if (failure && !failure.afterApply) throw failure.error;
    if (mutations.length > this.maxBatch) throw new HttpError(413, 'Too many mutations');
    const ordered = [...mutations].sort((a, b) => a.mutation_id - b.mutation_id); // as the server does
    const results = ordered.map((m) => this.apply(client, m));
    if (failure) throw failure.error; // applied, but the answer was lost
    return { results };
  }

  apply(client, m) {
    const key = `${client}:${m.mutation_id}`;
    if (this.seen.has(key)) return { ...this.seen.get(key), status: 'duplicate', first_status: this.seen.get(key).status };
    const last = this.last.get(client) || 0;
    let outcome;
    if (m.mutation_id <= last) {
      // never seen, yet older than this device's last change: it would undo a newer one
      this.outOfOrder.push({ client, mutation_id: m.mutation_id, last });
      outcome = { status: 'rejected', code: 'out_of_order', message: 'Older than a change sent before.', errors: { mutation_id: [`is not after ${last}`] } };
    } else {
      outcome = this.applyNew(client, m);
    }
    this.last.set(client, Math.max(last, m.mutation_id));
    const result = { mutation_id: m.mutation_id, id: m.id, entity: 'entry', ...outcome };
    this.seen.set(key, result);
    return result;
  }

  applyNew(client, m) {
    if (m.entity === 'sign_off') {
      const entry = this.entries.get(m.fields.entry_id);
      if (!entry) return { status: 'rejected', code: 'not_found', message: 'No such entry.', errors: {} };
      if (entry.version !== m.fields.entry_version) return { status: 'conflict', code: 'entry_changed', message: 'The entry changed after you read it.' };
      entry.fields = { ...entry.fields, status: m.fields.decision === 'approved' ? 'signed_off' : 'returned' };
      entry.version += 1;
      entry.history.push({ version: entry.version, fields: { ...entry.fields }, client });
      this.feed.push(m.fields.entry_id);
      return { status: 'applied', entry_id: m.fields.entry_id, decision: m.fields.decision };
    }
    const entry = this.entries.get(m.id);
    if (m.op === 'create') {
      if (entry) return { status: 'conflict', code: 'duplicate_id', current: this.copy(m.id) };
      const errors = this.validate(m.fields);
      if (errors) return { status: 'rejected', code: 'invalid', message: 'Some fields are not valid.', errors };
      this.entries.set(m.id, { version: 1, fields: { ...m.fields }, history: [{ version: 1, fields: { ...m.fields }, client }], is_deleted: false });
      this.feed.push(m.id);
      return { status: 'applied', version: 1 };
    }
    if (!entry) return { status: 'rejected', code: 'not_found', message: 'No such entry.', errors: {} };
    if (m.op === 'update') {
      const errors = this.validate({ ...entry.fields, ...m.fields });
      if (errors) return { status: 'rejected', code: 'invalid', message: 'Some fields are not valid.', errors };
      const changedByOthers = new Set();
      for (let i = 1; i < entry.history.length; i += 1) {
        const before = entry.history[i - 1];
        const after = entry.history[i];
        if (after.version > m.base_version && after.client !== client) {
          for (const k of Object.keys(after.fields)) if (JSON.stringify(before.fields[k]) !== JSON.stringify(after.fields[k])) changedByOthers.add(k);
        }
      }
      const clashes = Object.keys(m.fields).filter((k) => changedByOthers.has(k) && JSON.stringify(m.fields[k]) !== JSON.stringify(entry.fields[k]));
      if (clashes.length) {
        return { status: 'conflict', code: 'edit_conflict', message: 'This entry was also changed on another device.', conflicting_fields: clashes.sort(), yours: { ...m.fields }, current: this.copy(m.id) };
      }
      entry.fields = { ...entry.fields, ...m.fields };
      entry.version += 1;
      entry.history.push({ version: entry.version, fields: { ...entry.fields }, client });
    } else {
      entry.is_deleted = true;
      entry.version += 1;
      entry.history.push({ version: entry.version, fields: { ...entry.fields }, client });
    }
    this.feed.push(m.id);
    return { status: 'applied', version: entry.version };
  }

  copy(id) {
    const e = this.entries.get(id);
    return { ...e.fields, id, version: e.version, is_deleted: e.is_deleted };
  }

  async pull(cursor, limit) {
    this.calls.push({ on: 'pull', cursor });
    const failure = this.takeFailure('pull');
    if (failure) {
      if (failure.error === 'reset') return { reset: true, items: [], next_cursor: null, has_more: true };
      throw failure.error;
    }
    const start = cursor ? Number(cursor) : 0;
    // `withholdFrom`: feed positions from there on are behind the horizon (a transaction still running
    // on the real server's PostgreSQL): not served, and the answer says so.
    const served = this.withholdFrom == null ? this.feed.length : Math.min(this.feed.length, this.withholdFrom);
    const slice = this.feed.slice(start, Math.min(served, start + limit));
    const ids = [...new Set(slice)];
    const end = start + slice.length;
    return {
      reset: false,
      items: ids.map((id) => ({ entity: 'entry', id, op: 'upsert', version: this.entries.get(id).version, record: this.copy(id) })),
      next_cursor: String(end),
      has_more: end < served,
      withheld: end >= served && served < this.feed.length,
    };
  }

  /** Another device changes an entry directly. */
  edit(id, fields, client = 'other-device') {
    return this.apply(client, { mutation_id: (this.last.get(client) || 0) + 1, op: 'update', id, base_version: this.entries.get(id).version, fields });
  }
}

export function fakeTimers() {
  const scheduled = [];
  let next = 1;
  return {
    scheduled,
    setTimeout(fn, ms) { const id = next++; scheduled.push({ id, fn, ms }); return id; },
    clearTimeout(id) { const i = scheduled.findIndex((s) => s.id === id); if (i !== -1) scheduled.splice(i, 1); },
    async fire() { const s = scheduled.shift(); if (s) await s.fn(); return s; },
  };
}
