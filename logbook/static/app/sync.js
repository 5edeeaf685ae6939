// The sync engine: push the outbox, then pull changes after the cursor (DESIGN §4, docs/sync.md).
//
// How each answer is treated (CONVENTIONS 11: fix, resolve, retry):
//   applied / duplicate   acknowledged: the mutation leaves the outbox, the record takes the version
//   conflict              acknowledged, but the record is marked "needs attention" with both versions
//   rejected              acknowledged; the record keeps the user's text and the field errors
//   HTTP 401              nothing changes; sync waits until the user logs in again, then resumes
//   HTTP 413              the batch is halved and sent again
//   HTTP 429 / 5xx / network   retried later with exponential backoff (and jitter)
//   other HTTP 4xx        a fault to show; retried later, never dropped
// A mutation leaves the outbox only inside the same transaction that records the server's answer.

import { recordState } from './outbox.js';

export const DEFAULTS = {
  batchSize: 100,
  pullLimit: 500,
  backoffBaseMs: 2000,
  backoffMaxMs: 5 * 60 * 1000,
  periodicMs: 5 * 60 * 1000,
  debounceMs: 1500,
};

function pendingValues(pending) {
  const values = {};
  for (const m of pending) if (m.op !== 'delete') Object.assign(values, m.fields);
  return values;
}

/** A record after the server answered one of its mutations (pure: easy to test). */
export function applyResult(record, mutation, result, remaining) {
  if (!record) return null;
  const status = result.status === 'duplicate' ? result.first_status || 'applied' : result.status;
  const next = { ...record, pending: remaining.length };
  if (status === 'applied') {
    if (typeof result.version === 'number') next.version = Math.max(record.version || 0, result.version);
    if (mutation.op === 'create' && next.state === 'rejected') next.errors = null;
  } else if (status === 'conflict') {
    const prior = record.conflict || { fields: [], yours: {} };
    const yours = { ...prior.yours, ...(result.yours || {}) };
    if (mutation.op === 'delete') yours.is_deleted = true;
    next.conflict = {
      code: result.code,
      message: result.message,
      fields: [...new Set([...prior.fields, ...(result.conflicting_fields || [])])],
      current: result.current || prior.current || null,
      yours,
    };
    next.state = 'conflict';
    return next;
  } else if (status === 'rejected') {
    next.errors = { ...(record.errors || {}), ...(result.errors || {}) };
    if (!Object.keys(next.errors).length) next.errors = { _: [result.message || 'The server refused this change.'] };
    next.error_message = result.message;
    next.state = 'rejected';
    return next;
  }
  if (next.state !== 'conflict' && next.state !== 'rejected') next.state = recordState(next, remaining.length);
  return next;
}

/** A record after a pulled item (pure). Local unsent changes and unresolved conflicts win. */
export function mergePulled(record, item, pending, seenTag) {
  if (item.op === 'remove') {
    // No longer visible to this user (sharing ended). Keep it only if it holds unsent work.
    return record && pending.length ? record : null;
  }
  const server = item.record || {};
  if (!record) {
    return {
      id: item.id, data: server, version: item.version, state: 'synced', pending: 0, conflict: null,
      errors: null, is_deleted: Boolean(server.is_deleted), seen: seenTag,
    };
  }
  if (record.version !== null && item.version < record.version) return { ...record, seen: seenTag };
  const next = { ...record, seen: seenTag, version: Math.max(record.version || 0, item.version) };
  if (record.state === 'conflict') {
    next.conflict = { ...record.conflict, current: server };
    next.version = record.version;
    return next;
  }
  if (pending.length || record.state === 'rejected') {
    // Server fields underneath, this phone's unsent values on top.
    next.data = { ...server, ...pendingValues(pending) };
    next.is_deleted = pending.some((m) => m.op === 'delete') || Boolean(server.is_deleted);
    return next;
  }
  next.data = server;
  next.is_deleted = Boolean(server.is_deleted);
  next.state = 'synced';
  return next;
}

/** Exponential backoff with jitter: base·2^attempt, capped, scaled by 0.5–1. */
export function backoffDelay(attempt, { backoffBaseMs, backoffMaxMs }, random = Math.random) {
  const raw = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, attempt));
  return Math.round(raw * (0.5 + random() / 2));
}

export function classify(err) {
  const status = err && typeof err.status === 'number' ? err.status : 0;
  if (status === 0) return 'offline';
  if (status === 401) return 'auth';
  if (status === 413) return 'too_large';
  if (status === 429 || status >= 500) return 'retry';
  return 'fault';
}

export class SyncEngine extends EventTarget {
  /**
   * transport: {push(body) → {results}, pull(cursor, limit) → {items, next_cursor, has_more, reset},
   *             uploadEvidence?(item) → any}; errors carry `status` (0 for no network).
   */
  constructor({ store, transport, options = {}, timers = globalThis, random = Math.random, isOnline = () => true }) {
    super();
    this.store = store;
    this.transport = transport;
    this.options = { ...DEFAULTS, ...options };
    this.timers = timers;
    this.random = random;
    this.isOnline = isOnline;
    this.batchSize = this.options.batchSize;
    this.attempt = 0;
    this.running = null;
    this.again = false;
    this.retryTimer = null;
    this.debounceTimer = null;
    this.state = { phase: 'idle', authRequired: false, lastError: null, lastSyncedAt: null, nextRetryAt: null };
  }

  emit() {
    this.dispatchEvent(new Event('change'));
  }

  /** Run one sync now (single-flight: a call during a run makes one more run afterwards). */
  sync(reason = 'manual') {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.runOnce(reason);
        } while (this.again && !this.state.authRequired && this.state.phase !== 'waiting');
      } finally {
        this.running = null;
        this.emit();
      }
    })();
    return this.running;
  }

  /** Ask for a sync soon (after local changes: several quick edits make one push). */
  schedule(delay = this.options.debounceMs) {
    this.timers.clearTimeout(this.debounceTimer);
    this.debounceTimer = this.timers.setTimeout(() => this.sync('change'), delay);
  }

  /** The user logged in again after the session expired: carry on with the same outbox. */
  resumeAfterLogin() {
    this.state.authRequired = false;
    this.attempt = 0;
    this.emit();
    return this.sync('login');
  }

  stop() {
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.debounceTimer);
    this.retryTimer = null;
  }

  async runOnce(reason) {
    if (this.state.authRequired) return;
    if (!this.isOnline()) {
      this.state.phase = 'offline';
      this.emit();
      return;
    }
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.state.nextRetryAt = null;
    this.state.phase = 'syncing';
    this.emit();
    try {
      await this.uploadEvidence();
      const pushed = await this.pushAll();
      const pulled = await this.pullAll();
      this.attempt = 0;
      this.followUpWithheld();
      this.batchSize = this.options.batchSize;
      this.state.phase = 'idle';
      this.state.lastError = null;
      this.state.lastSyncedAt = new Date().toISOString();
      if (pushed || pulled) await this.store.log('sync', `Sent ${pushed} change(s), received ${pulled} (${reason}).`);
    } catch (err) {
      await this.fail(err);
    }
    this.emit();
  }

  /**
   * The server held changes back (PostgreSQL: a transaction that was still running when the pull read
   * the feed, docs/sync.md): pull again shortly, 1 s then doubling up to 30 s while it says so, rather
   * than waiting for the next sync with a change another device has just committed missing.
   */
  followUpWithheld() {
    if (!this.withheld) { this.heldAttempt = 0; return; }
    const delay = Math.min(30000, 1000 * 2 ** (this.heldAttempt || 0));
    this.heldAttempt = (this.heldAttempt || 0) + 1;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => this.sync('withheld'), delay);
  }

  async fail(err) {
    const kind = classify(err);
    if (kind === 'auth') {
      this.state.authRequired = true;
      this.state.phase = 'auth';
      await this.store.log('auth', 'Session expired: your changes are kept on this phone until you log in again.');
      return;
    }
    const delay = backoffDelay(this.attempt, this.options, this.random);
    this.attempt += 1;
    this.state.phase = kind === 'offline' ? 'offline' : 'waiting';
    this.state.lastError = kind === 'offline' ? null : (err && err.message) || String(err);
    this.state.nextRetryAt = new Date(Date.now() + delay).toISOString();
    await this.store.log(kind === 'offline' ? 'offline' : 'error',
      `${kind === 'offline' ? 'No connection' : this.state.lastError}; will retry in ${Math.round(delay / 1000)} s.`);
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => this.sync('retry'), delay);
  }

  async pushAll() {
    let sent = 0;
    for (;;) {
      const queued = await this.store.outbox();
      if (!queued.length) return sent;
      const batch = queued.slice(0, this.batchSize).map((m) => ({
        mutation_id: m.mutation_id, entity: m.entity, id: m.id, op: m.op,
        base_version: m.base_version, fields: m.fields,
      }));
      let answer;
      try {
        answer = await this.transport.push({ client_id: await this.store.clientId(), mutations: batch });
      } catch (err) {
        if (classify(err) === 'too_large' && this.batchSize > 1) {
          this.batchSize = Math.max(1, Math.floor(Math.min(this.batchSize, batch.length) / 2));
          continue;
        }
        throw err;
      }
      const results = (answer && answer.results) || [];
      if (!results.length) throw Object.assign(new Error('The server answered without results.'), { status: 500 });
      await this.store.applyPushResults(results, applyResult);
      for (const r of results) {
        const status = r.status === 'duplicate' ? r.first_status : r.status;
        if (status === 'conflict' || status === 'rejected') {
          await this.store.log(status, `${status === 'conflict' ? 'Conflict' : 'Not accepted'}: ${r.message || r.code || r.id}`);
        }
      }
      sent += results.length;
    }
  }

  async pullAll() {
    let received = 0;
    let cursor = await this.store.getMeta('cursor');
    const tag = (await this.store.getMeta('resync')) || null;
    for (let page = 0; page < 10000; page += 1) {
      const answer = await this.transport.pull(cursor || null, this.options.pullLimit);
      if (answer.reset) {
        // The server cannot continue from our cursor: pull everything again, keeping local work.
        cursor = null;
        const resync = `r${Date.now()}`;
        await this.store.setMeta('resync', resync);
        await this.store.setMeta('cursor', null);
        await this.store.log('reset', 'The server asked for a full refresh; unsent changes are kept.');
        return received + (await this.pullAll());
      }
      await this.store.applyPull(answer.items, answer.next_cursor,
        (record, item, pending) => mergePulled(record, item, pending, tag));
      received += answer.items.length;
      cursor = answer.next_cursor;
      this.withheld = Boolean(answer.withheld);
      if (!answer.has_more) break;
    }
    if (tag) {
      await this.store.pruneUnseenTagged(tag);
      await this.store.setMeta('resync', null);
    }
    return received;
  }

  async uploadEvidence() {
    if (!this.transport.uploadEvidence) return;
    for (const item of await this.store.allEvidence()) {
      if (item.uploaded) continue;
      try {
        await this.transport.uploadEvidence(item);
        await this.store.putEvidence({ ...item, uploaded: true, error: null });
        await this.store.log('evidence', `Uploaded ${item.name || 'a file'}.`);
      } catch (err) {
        const kind = classify(err);
        if (kind === 'offline' || kind === 'auth' || kind === 'retry') throw err;
        if (err.status === 404 || err.status === 405) return; // server without evidence uploads yet
        await this.store.putEvidence({ ...item, error: err.message || `HTTP ${err.status}` });
      }
    }
  }

  /** The status line: offline / syncing / N waiting / needs attention / all synced. */
  async status() {
    const counts = await this.store.summary();
    let label;
    let tone;
    if (this.state.authRequired) { label = 'Log in to sync'; tone = 'attention'; }
    else if (counts.attention) { label = `${counts.attention} need${counts.attention === 1 ? 's' : ''} your attention`; tone = 'attention'; }
    else if (!this.isOnline() || this.state.phase === 'offline') {
      label = counts.waiting ? `Offline · ${counts.waiting} change${counts.waiting === 1 ? '' : 's'} waiting` : 'Offline';
      tone = 'offline';
    } else if (counts.waiting || counts.files) {
      const n = counts.waiting + counts.files;
      label = `${n} change${n === 1 ? '' : 's'} waiting`;
      tone = 'waiting';
    } else if (this.state.phase === 'syncing') { label = 'Syncing…'; tone = 'waiting'; }
    else { label = 'All synced'; tone = 'ok'; }
    return { ...counts, label, tone, ...this.state };
  }
}

/**
 * Sync on start, when the network returns, when the app becomes visible, periodically while
 * visible, and (via engine.schedule) shortly after local changes. Returns a function to stop.
 */
export function startAutoSync(engine, win = globalThis) {
  const onOnline = () => engine.sync('online');
  const onOffline = () => engine.emit();
  const onVisible = () => { if (win.document.visibilityState === 'visible') engine.sync('visible'); };
  win.addEventListener('online', onOnline);
  win.addEventListener('offline', onOffline);
  win.document.addEventListener('visibilitychange', onVisible);
  const timer = win.setInterval(() => {
    if (win.document.visibilityState === 'visible') engine.sync('periodic');
  }, engine.options.periodicMs);
  engine.sync('start');
  return () => {
    win.removeEventListener('online', onOnline);
    win.removeEventListener('offline', onOffline);
    win.document.removeEventListener('visibilitychange', onVisible);
    win.clearInterval(timer);
    engine.stop();
  };
}
