// The local store: the ONLY module that touches IndexedDB.
//
// Schema changes are numbered migrations that run in order inside the upgrade transaction. A
// migration may add stores and indexes or rewrite records; it never deletes a store, because the
// outbox may hold work that exists nowhere else (CONVENTIONS 11).

export const DB_NAME = 'cpd-logbook';

// MIGRATIONS[i] upgrades the database from version i to version i + 1.
export const MIGRATIONS = [
  // 1: records, the outbox of domain mutations, key/value meta (cursor, client id), sync log.
  (db) => {
    db.createObjectStore('entries', { keyPath: 'id' });
    db.createObjectStore('outbox', { keyPath: 'mutation_id' });
    db.createObjectStore('meta');
    db.createObjectStore('synclog', { keyPath: 'seq', autoIncrement: true });
  },
  // 2: evidence files kept as blobs until uploaded; outbox looked up by record.
  (db, tx) => {
    db.createObjectStore('evidence', { keyPath: 'sha256' });
    tx.objectStore('outbox').createIndex('by_record', 'id');
  },
  // 3: cached server documents (progress, reflection templates) for offline screens.
  (db) => {
    db.createObjectStore('cache');
  },
  // 4: pulled records other than entries (sign-off requests, supervision sessions), keyed
  //    "entity:id" and listed by entity.
  (db) => {
    db.createObjectStore('records', { keyPath: 'key' }).createIndex('by_entity', 'entity');
  },
];
export const VERSION = MIGRATIONS.length;
const LOG_KEEP = 200;

function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// A transaction with promise-returning helpers. Awaiting these inside `store.run(...)` keeps the
// transaction alive (each await resolves in a microtask, before IndexedDB auto-commits).
class Tx {
  constructor(tx) { this.tx = tx; }
  get(name, key) { return req(this.tx.objectStore(name).get(key)); }
  getAll(name) { return req(this.tx.objectStore(name).getAll()); }
  getAllByIndex(name, index, key) { return req(this.tx.objectStore(name).index(index).getAll(key)); }
  count(name) { return req(this.tx.objectStore(name).count()); }
  put(name, value, key) { return req(key === undefined ? this.tx.objectStore(name).put(value) : this.tx.objectStore(name).put(value, key)); }
  add(name, value) { return req(this.tx.objectStore(name).add(value)); }
  delete(name, key) { return req(this.tx.objectStore(name).delete(key)); }
  clear(name) { return req(this.tx.objectStore(name).clear()); }
}

export class Store {
  constructor(db, idb, name) {
    this.db = db;
    this.idb = idb;
    this.name = name;
    this.generation = 0;
  }

  /** Run fn(tx) in one transaction over `names`; resolves with fn's result after the commit. */
  async run(names, mode, fn) {
    const tx = this.db.transaction(names, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
      tx.onerror = () => reject(tx.error);
    });
    if (mode === 'readwrite' && names.includes('entries')) this.generation += 1; // screens cache entry lists until then
    let result;
    try {
      result = await fn(new Tx(tx));
    } catch (err) {
      try { tx.abort(); } catch { /* already finished */ }
      await done.catch(() => null);
      throw err;
    }
    await done;
    return result;
  }

  // --- meta -------------------------------------------------------------------------------
  getMeta(key) { return this.run(['meta'], 'readonly', (t) => t.get('meta', key)); }
  setMeta(key, value) { return this.run(['meta'], 'readwrite', (t) => t.put('meta', value, key)); }

  /** This device's sync id: made once, kept until the store is wiped at logout. */
  clientId() {
    return this.run(['meta'], 'readwrite', async (t) => {
      let id = await t.get('meta', 'client_id');
      if (!id) {
        id = (globalThis.crypto.randomUUID ? globalThis.crypto.randomUUID() : `${Date.now()}-${Math.random()}`)
          .replace(/[^A-Za-z0-9]/g, '').slice(0, 32);
        await t.put('meta', id, 'client_id');
      }
      return id;
    });
  }

  // --- records -----------------------------------------------------------------------------
  getEntry(id) { return this.run(['entries'], 'readonly', (t) => t.get('entries', id)); }
  allEntries() { return this.run(['entries'], 'readonly', (t) => t.getAll('entries')); }
  putEntries(records) {
    return this.run(['entries'], 'readwrite', async (t) => { for (const r of records) await t.put('entries', r); });
  }

  /**
   * Record a local change and its outbox mutation atomically: `change(record, tx)` returns
   * {record, mutation}; the mutation gets the next per-client mutation id. Either both are
   * stored or neither is.
   */
  commitLocalChange(id, change) {
    return this.run(['entries', 'outbox', 'meta'], 'readwrite', async (t) => {
      const record = await t.get('entries', id);
      const out = await change(record, t);
      const next = (await t.get('meta', 'next_mutation_id')) || 1;
      const mutation = { ...out.mutation, mutation_id: next, queued_at: new Date().toISOString() };
      await t.put('meta', next + 1, 'next_mutation_id');
      await t.add('outbox', mutation);
      await t.put('entries', out.record);
      return { record: out.record, mutation };
    });
  }

  /**
   * Queue a mutation of another kind of record (a supervisor's sign-off decision) and note it
   * locally under `noteKey` in the same transaction.
   */
  queueMutation(mutation, noteKey, note) {
    return this.run(['outbox', 'meta', 'cache'], 'readwrite', async (t) => {
      const next = (await t.get('meta', 'next_mutation_id')) || 1;
      const queued = { ...mutation, mutation_id: next, note_key: noteKey, queued_at: new Date().toISOString() };
      await t.put('meta', next + 1, 'next_mutation_id');
      await t.add('outbox', queued);
      if (noteKey) await t.put('cache', { ...note, state: 'pending', mutation_id: next }, noteKey);
      return queued;
    });
  }

  // --- outbox ------------------------------------------------------------------------------
  outbox() { return this.run(['outbox'], 'readonly', (t) => t.getAll('outbox')); }
  outboxCount() { return this.run(['outbox'], 'readonly', (t) => t.count('outbox')); }

  /**
   * Apply the server's answers to a pushed batch in one transaction. `apply(record, mutation,
   * result, remaining)` returns the updated record; only then is the mutation deleted from the
   * outbox. A mutation without a result stays queued.
   */
  applyPushResults(results, apply) {
    return this.run(['entries', 'outbox', 'cache', 'records'], 'readwrite', async (t) => {
      for (const result of results) {
        const mutation = await t.get('outbox', result.mutation_id);
        if (!mutation) continue; // acknowledged before (a retried batch)
        if (mutation.entity !== 'entry') {
          // e.g. a sign-off decision: keep the server's answer where its screen can show it
          const status = result.status === 'duplicate' ? result.first_status : result.status;
          const key = mutation.note_key;
          if (key) await t.put('cache', { ...((await t.get('cache', key)) || {}), state: status, result }, key);
          await t.delete('outbox', mutation.mutation_id);
          if (status === 'applied') await acknowledgeRecord(t, mutation, result);
          continue;
        }
        const record = await t.get('entries', mutation.id);
        const remaining = (await t.getAllByIndex('outbox', 'by_record', mutation.id))
          .filter((m) => m.mutation_id !== mutation.mutation_id);
        const updated = apply(record, mutation, result, remaining);
        if (updated) await t.put('entries', updated);
        await t.delete('outbox', mutation.mutation_id);
      }
    });
  }

  /**
   * Apply pulled items and move the cursor in one transaction, so a crash never advances the
   * cursor past changes that were not stored. `merge(record, item, pending)` returns the record
   * to keep, or null to delete it.
   */
  applyPull(items, cursor, merge) {
    return this.run(['entries', 'outbox', 'meta', 'records'], 'readwrite', async (t) => {
      const tag = (await t.get('meta', 'resync')) || null;
      for (const item of items) {
        if (item.entity && item.entity !== 'entry') {
          // Records this phone only reads (their changes go through the outbox as mutations).
          const key = `${item.entity}:${item.id}`;
          if (item.op === 'remove') await t.delete('records', key);
          else await t.put('records', { key, entity: item.entity, id: item.id, version: item.version, data: item.record, seen: tag });
          continue;
        }
        const record = await t.get('entries', item.id);
        const pending = await t.getAllByIndex('outbox', 'by_record', item.id);
        const kept = merge(record, item, pending);
        if (kept) await t.put('entries', kept);
        else if (record) await t.delete('entries', item.id);
      }
      await t.put('meta', cursor, 'cursor');
    });
  }

  /** After a full re-pull (cursor reset): forget synced records the server did not send again. */
  pruneUnseenTagged(tag) {
    return this.run(['entries', 'outbox', 'records'], 'readwrite', async (t) => {
      for (const record of await t.getAll('records')) if (record.seen !== tag) await t.delete('records', record.key);
      for (const record of await t.getAll('entries')) {
        if (record.seen === tag) continue;
        const pending = await t.getAllByIndex('outbox', 'by_record', record.id);
        if (!pending.length && record.state === 'synced') await t.delete('entries', record.id);
      }
    });
  }

  // --- other pulled records (sign-off requests, supervision sessions) ---------------------
  records(entity) { return this.run(['records'], 'readonly', async (t) => (await t.getAllByIndex('records', 'by_entity', entity)).map((r) => r.data)); }
  getRecord(entity, id) { return this.run(['records'], 'readonly', async (t) => { const r = await t.get('records', `${entity}:${id}`); return r ? r.data : null; }); }

  /**
   * Queue a mutation of a pulled kind of record (a supervision session) and show its effect on this
   * phone at once: `change(data)` gives the local copy, stored marked `pending` in the same
   * transaction as the mutation. The next pull of the record replaces it with the server's copy.
   */
  queueRecordChange(mutation, entity, id, change, note) {
    return this.run(['outbox', 'meta', 'cache', 'records'], 'readwrite', async (t) => {
      const key = `${entity}:${id}`;
      const before = await t.get('records', key);
      const next = (await t.get('meta', 'next_mutation_id')) || 1;
      const noteKey = `${entity}:${id}`;
      await t.put('meta', next + 1, 'next_mutation_id');
      await t.add('outbox', { ...mutation, mutation_id: next, note_key: noteKey, queued_at: new Date().toISOString() });
      await t.put('cache', { ...note, state: 'pending', mutation_id: next }, noteKey);
      const data = { ...change(before ? before.data : null), pending: true };
      await t.put('records', { ...(before || { key, entity, id, version: null }), data });
      return data;
    });
  }

  // --- evidence ----------------------------------------------------------------------------
  putEvidence(item) { return this.run(['evidence'], 'readwrite', (t) => t.put('evidence', item)); }
  getEvidence(sha256) { return this.run(['evidence'], 'readonly', (t) => t.get('evidence', sha256)); }
  allEvidence() { return this.run(['evidence'], 'readonly', (t) => t.getAll('evidence')); }

  // --- cached documents --------------------------------------------------------------------
  getCached(key) { return this.run(['cache'], 'readonly', (t) => t.get('cache', key)); }
  setCached(key, value) { return this.run(['cache'], 'readwrite', (t) => t.put('cache', value, key)); }

  // --- sync log ----------------------------------------------------------------------------
  log(kind, message) {
    return this.run(['synclog'], 'readwrite', async (t) => {
      await t.add('synclog', { at: new Date().toISOString(), kind, message });
      const all = await t.getAll('synclog');
      for (const old of all.slice(0, Math.max(0, all.length - LOG_KEEP))) await t.delete('synclog', old.seq);
    });
  }
  async recentLog(limit = 50) {
    const all = await this.run(['synclog'], 'readonly', (t) => t.getAll('synclog'));
    return all.slice(-limit).reverse();
  }

  /** Counts for the sync status line: queued mutations, records needing the user, unsent files. */
  summary() {
    return this.run(['entries', 'outbox', 'evidence'], 'readonly', async (t) => {
      const waiting = await t.count('outbox');
      const entries = await t.getAll('entries');
      const attention = entries.filter((e) => e.state === 'conflict' || e.state === 'rejected').length;
      const files = (await t.getAll('evidence')).filter((e) => !e.uploaded).length;
      return { waiting, attention, files };
    });
  }

  close() { this.db.close(); }

  /** Delete the whole database (logout on a shared phone). */
  async wipe() {
    this.db.close();
    await deleteDatabase(this.idb, this.name);
  }
}

export function deleteDatabase(idb, name = DB_NAME) {
  return new Promise((resolve, reject) => {
    const r = idb.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
    r.onblocked = () => resolve(); // other tabs close their connection on `versionchange`
  });
}

/** Open (and migrate) the store. `version` lets tests open an older schema. */
export function openStore({ idb = globalThis.indexedDB, name = DB_NAME, version = VERSION } = {}) {
  return new Promise((resolve, reject) => {
    const r = idb.open(name, version);
    r.onupgradeneeded = (event) => {
      const db = r.result;
      for (let v = event.oldVersion; v < version; v += 1) MIGRATIONS[v](db, r.transaction);
    };
    r.onsuccess = () => {
      const db = r.result;
      // Another tab upgrading or wiping: let it, and reload into the new schema.
      db.onversionchange = () => db.close();
      resolve(new Store(db, idb, name));
    };
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('The app is open in another tab with an older version; close it.'));
  });
}

/**
 * A record queued on this phone (queueRecordChange: a gap explanation, a supervision session) whose
 * last waiting mutation the server has applied is no longer "waiting to sync", even before a pull
 * brings the server's copy: on PostgreSQL the pull right after a push may not serve the change yet
 * (docs/sync.md, the horizon), and the phone said "All synced" while the record said "waiting".
 */
async function acknowledgeRecord(t, mutation, result) {
  const key = `${mutation.entity}:${mutation.id}`;
  const kept = await t.get('records', key);
  if (!kept || !kept.data || !kept.data.pending) return;
  const waiting = (await t.getAllByIndex('outbox', 'by_record', mutation.id))
    .filter((m) => m.entity === mutation.entity && m.mutation_id !== mutation.mutation_id);
  if (waiting.length) return;
  const version = typeof result.version === 'number' ? Math.max(kept.version || 0, result.version) : kept.version;
  await t.put('records', { ...kept, version, data: { ...kept.data, pending: false, ...(version ? { version } : {}) } });
}
