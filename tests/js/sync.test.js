// The sync engine against a fake server with the real protocol's answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncEngine, backoffDelay, classify, DEFAULTS } from '../../logbook/static/app/sync.js';
import { createEntry, updateEntry, resolveConflict, acceptServerCopy } from '../../logbook/static/app/outbox.js';
import { FakeServer, HttpError, fakeTimers, freshStore } from './fakes.js';

const ENTRY = { kind: 'reading', title: 'Trauma-informed practice', start_date: '2026-11-02', hours: '1.50', description: 'first' };

async function setup({ online = true } = {}) {
  const store = await freshStore();
  const server = new FakeServer();
  const timers = fakeTimers();
  const net = { online };
  const engine = new SyncEngine({ store, transport: server.transport(), timers, random: () => 1, isOnline: () => net.online });
  return { store, server, timers, engine, net };
}

test('push then pull: the server has the entry, the outbox is empty, the record is synced', async () => {
  const { store, server, engine } = await setup();
  const rec = await createEntry(store, ENTRY);
  await engine.sync();
  assert.equal(server.entries.get(rec.id).fields.title, ENTRY.title);
  assert.deepEqual(await store.outbox(), []);
  const stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'synced');
  assert.equal(stored.version, 1);
  assert.deepEqual(server.calls.map((c) => c.on), ['push', 'pull']);
  assert.equal((await engine.status()).label, 'All synced');
});

test('offline: nothing is sent, the status says how many changes wait', async () => {
  const { store, server, engine, net } = await setup({ online: false });
  await createEntry(store, ENTRY);
  await createEntry(store, { ...ENTRY, title: 'Second' });
  await engine.sync();
  assert.equal(server.calls.length, 0);
  assert.equal((await engine.status()).label, 'Offline · 2 changes waiting');
  net.online = true;
  await engine.sync('online');
  assert.equal(server.entries.size, 2);
});

for (const [name, error] of [
  ['a network failure', new HttpError(0, 'Failed to fetch')],
  ['a 500', new HttpError(500)],
  ['a 503', new HttpError(503)],
  ['a 429', new HttpError(429)],
]) {
  test(`${name} keeps the outbox and retries with exponential backoff`, async () => {
    const { store, server, engine, timers } = await setup();
    const rec = await createEntry(store, ENTRY);
    const delays = [];
    for (let i = 0; i < 4; i += 1) {
      server.failNext('push', error);
      if (i === 0) await engine.sync(); else await timers.fire();
      assert.equal((await store.outbox()).length, 1, 'still queued');
      assert.equal(timers.scheduled.length, 1, 'one retry scheduled');
      delays.push(timers.scheduled[0].ms);
    }
    assert.deepEqual(delays, [2000, 4000, 8000, 16000]);
    await timers.fire(); // the next retry goes through
    assert.equal(server.entries.get(rec.id).version, 1);
    assert.deepEqual(await store.outbox(), []);
    assert.equal(timers.scheduled.length, 0);
  });
}

test('backoff is capped and jittered', () => {
  assert.equal(backoffDelay(30, DEFAULTS, () => 1), DEFAULTS.backoffMaxMs);
  assert.equal(backoffDelay(0, DEFAULTS, () => 0), 1000);
  assert.deepEqual([0, 401, 413, 429, 500, 502, 400, 403, 409, 422].map((s) => classify({ status: s })),
    ['offline', 'auth', 'too_large', 'retry', 'retry', 'retry', 'fault', 'fault', 'fault', 'fault']);
});

test('a lost response is retried and acknowledged once (duplicate), never applied twice', async () => {
  const { store, server, engine, timers } = await setup();
  const rec = await createEntry(store, ENTRY);
  server.failNext('push', new HttpError(0), { afterApply: true });
  await engine.sync();
  assert.equal((await store.outbox()).length, 1, 'no answer: not acknowledged');
  await timers.fire();
  assert.deepEqual(await store.outbox(), []);
  assert.equal(server.entries.get(rec.id).version, 1);
  assert.equal((await store.getEntry(rec.id)).state, 'synced');
  assert.deepEqual(server.outOfOrder, [], 'a retried batch is never older than what the server has');
});

test('401 keeps the outbox, stops retrying, and resumes after logging in', async () => {
  const { store, server, engine, timers } = await setup();
  await createEntry(store, ENTRY);
  server.failNext('push', new HttpError(401));
  await engine.sync();
  assert.equal((await store.outbox()).length, 1);
  assert.equal(timers.scheduled.length, 0, 'no retry loop while logged out');
  assert.equal((await engine.status()).label, 'Log in to sync');
  await engine.sync('online');
  assert.equal(server.calls.filter((c) => c.on === 'push').length, 1, 'waits for login');
  await engine.resumeAfterLogin();
  assert.deepEqual(await store.outbox(), []);
  assert.equal(server.entries.size, 1);
});

test('other 4xx answers to a whole batch are shown and retried later, never dropped', async () => {
  const { store, server, engine, timers } = await setup();
  await createEntry(store, ENTRY);
  server.failNext('push', new HttpError(400, 'Bad request'));
  await engine.sync();
  const status = await engine.status();
  assert.equal(status.lastError, 'Bad request');
  assert.equal((await store.outbox()).length, 1);
  await timers.fire();
  assert.deepEqual(await store.outbox(), []);
});

test('413 halves the batch until it fits', async () => {
  const { store, server, engine } = await setup();
  for (let i = 0; i < 10; i += 1) await createEntry(store, { ...ENTRY, title: `E${i}` });
  server.maxBatch = 3;
  await engine.sync();
  assert.equal(server.entries.size, 10);
  assert.deepEqual(await store.outbox(), []);
  const sizes = server.calls.filter((c) => c.on === 'push').map((c) => c.size);
  assert.deepEqual(sizes.slice(0, 3), [10, 5, 2], 'halved until accepted');
  assert.ok(sizes.slice(2).every((s) => s <= 2), sizes.join(','));
  assert.deepEqual(server.outOfOrder, [], 'halved batches go oldest first');
});

test('large outboxes go in batches', async () => {
  const { store, server, engine } = await setup();
  engine.batchSize = engine.options.batchSize = 4;
  for (let i = 0; i < 10; i += 1) await createEntry(store, { ...ENTRY, title: `E${i}` });
  await engine.sync();
  assert.deepEqual(server.calls.filter((c) => c.on === 'push').map((c) => c.size), [4, 4, 2]);
});

test('the same field changed on two devices: conflict with both versions, then resolved', async () => {
  const { store, server, engine } = await setup();
  const rec = await createEntry(store, ENTRY);
  await engine.sync();
  server.edit(rec.id, { description: 'from the laptop' });
  await updateEntry(store, rec.id, { description: 'from the phone' });
  await engine.sync();
  let stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'conflict');
  assert.deepEqual(stored.conflict.fields, ['description']);
  assert.equal(stored.conflict.yours.description, 'from the phone');
  assert.equal(stored.conflict.current.description, 'from the laptop');
  assert.equal(stored.data.description, 'from the phone', 'the phone keeps its text');
  assert.deepEqual(await store.outbox(), [], 'the server answered: acknowledged');
  assert.equal((await engine.status()).label, '1 needs your attention');
  // a pull does not overwrite the user's text while the conflict is open
  await engine.sync();
  assert.equal((await store.getEntry(rec.id)).data.description, 'from the phone');

  await resolveConflict(store, rec.id, { description: 'from the laptop\n\nfrom the phone' });
  await engine.sync();
  stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'synced');
  assert.equal(server.entries.get(rec.id).fields.description, 'from the laptop\n\nfrom the phone');
  assert.equal(stored.data.description, 'from the laptop\n\nfrom the phone');
});

test('different fields changed on two devices merge silently', async () => {
  const { store, server, engine } = await setup();
  const rec = await createEntry(store, ENTRY);
  await engine.sync();
  server.edit(rec.id, { hours: '3.00' });
  await updateEntry(store, rec.id, { title: 'Renamed on the phone' });
  await engine.sync();
  const stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'synced');
  assert.equal(stored.data.title, 'Renamed on the phone');
  assert.equal(stored.data.hours, '3.00');
});

test('accepting the server copy clears the conflict', async () => {
  const { store, server, engine } = await setup();
  const rec = await createEntry(store, ENTRY);
  await engine.sync();
  server.edit(rec.id, { title: 'Theirs' });
  await updateEntry(store, rec.id, { title: 'Mine' });
  await engine.sync();
  await acceptServerCopy(store, rec.id);
  const stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'synced');
  assert.equal(stored.data.title, 'Theirs');
});

test('a rejected create keeps the text and field errors; fixing it creates it again', async () => {
  const { store, server, engine } = await setup();
  const rec = await createEntry(store, { ...ENTRY, title: '' });
  const other = await createEntry(store, { ...ENTRY, title: 'Fine' });
  await engine.sync();
  let stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'rejected');
  assert.deepEqual(stored.errors, { title: ['is required'] });
  assert.equal(stored.data.description, 'first');
  assert.equal(server.entries.has(other.id), true, 'one bad mutation never blocks the others');
  await updateEntry(store, rec.id, { title: 'Fixed' });
  const [again] = await store.outbox();
  assert.equal(again.op, 'create');
  await engine.sync();
  stored = await store.getEntry(rec.id);
  assert.equal(stored.state, 'synced');
  assert.equal(server.entries.get(rec.id).fields.title, 'Fixed');
});

test('pull pages through the feed with the cursor and keeps unsent local values', async () => {
  const { store, server, engine } = await setup();
  engine.options.pullLimit = 2;
  for (let i = 0; i < 5; i += 1) await createEntry(store, { ...ENTRY, title: `E${i}` });
  await engine.sync();
  const pulls = server.calls.filter((c) => c.on === 'pull');
  assert.equal(pulls.length, 3);
  assert.equal(await store.getMeta('cursor'), '5');
  const [first] = [...server.entries.keys()];
  await updateEntry(store, first, { title: 'Unsent' });
  server.edit(first, { hours: '9.00' });
  await engine.pullAll();
  const stored = await store.getEntry(first);
  assert.equal(stored.data.title, 'Unsent');
  assert.equal(stored.data.hours, '9.00');
  assert.equal(stored.state, 'pending');
});

test('a cursor reset pulls everything again, forgets what the server no longer sends, keeps local work', async () => {
  const { store, server, engine } = await setup();
  const kept = await createEntry(store, ENTRY);
  await engine.sync();
  await store.putEntries([{ id: 'gone', data: { title: 'Old' }, version: 1, state: 'synced', pending: 0 }]);
  const local = await createEntry(store, { ...ENTRY, title: 'Local only' });
  server.failNext('pull', 'reset');
  await engine.pullAll();
  assert.equal(await store.getEntry('gone'), undefined);
  assert.ok(await store.getEntry(kept.id));
  assert.ok(await store.getEntry(local.id), 'unsent work survives a reset');
  assert.equal(await store.getMeta('resync'), null);
  await engine.sync();
  assert.deepEqual(await store.outbox(), [], 'the work kept through the reset is sent afterwards');
  assert.deepEqual(server.outOfOrder, []);
});

test('sync is single-flight: a call during a run makes one more run', async () => {
  const { store, server, engine } = await setup();
  await createEntry(store, ENTRY);
  const a = engine.sync();
  const b = engine.sync();
  await Promise.all([a, b]);
  assert.equal(server.calls.filter((c) => c.on === 'push').length, 1);
  assert.equal(server.calls.filter((c) => c.on === 'pull').length, 2);
});

test('changes are debounced into one push', async () => {
  const { store, server, engine, timers } = await setup();
  for (let i = 0; i < 3; i += 1) {
    await createEntry(store, { ...ENTRY, title: `E${i}` });
    engine.schedule();
  }
  assert.equal(timers.scheduled.length, 1);
  await timers.fire();
  await engine.running;
  assert.deepEqual(server.calls.filter((c) => c.on === 'push').map((c) => c.size), [3]);
});

test('random failures never lose a mutation: every change reaches the server exactly once', async () => {
  let seed = 7;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const { store, server, engine, timers } = await setup();
  const ids = [];
  for (let round = 0; round < 30; round += 1) {
    const rec = await createEntry(store, { ...ENTRY, title: `T${round}` });
    ids.push(rec.id);
    if (round % 3 === 0) await updateEntry(store, ids[Math.floor(rnd() * ids.length)], { hours: String(1 + round) });
    const r = rnd();
    if (r < 0.2) server.failNext('push', new HttpError(0), { afterApply: rnd() < 0.5 });
    else if (r < 0.3) server.failNext('push', new HttpError(503));
    else if (r < 0.35) server.failNext('pull', new HttpError(500));
    await engine.sync();
  }
  while (timers.scheduled.length) await timers.fire();
  await engine.sync();
  assert.deepEqual(await store.outbox(), []);
  assert.equal(server.entries.size, 30);
  for (const id of ids) {
    const local = await store.getEntry(id);
    assert.equal(local.state, 'synced');
    assert.deepEqual(local.data.hours, server.entries.get(id).fields.hours);
  }
  // every mutation id the phone made was seen by the server exactly once (duplicates answered, not re-applied)
  const applied = [...server.seen.values()].filter((r) => r.status === 'applied');
  assert.equal(applied.length, await store.getMeta('next_mutation_id') - 1);
  assert.deepEqual(server.outOfOrder, [], 'retries after lost answers never send a change after a newer one');
});

test('a sign-off decision made offline is queued, sent once, and its answer kept for the screen', async () => {
  const { store, server, engine, net } = await setup();
  const entry = await createEntry(store, ENTRY);
  await engine.sync();
  net.online = false;
  const decide = (version) => store.queueMutation({
    entity: 'sign_off', op: 'create', id: crypto.randomUUID(), base_version: null,
    fields: { entry_id: entry.id, entry_version: version, content_sha256: 'a'.repeat(64), decision: 'approved', comment: '' },
  }, `decision:r${version}`, { decision: 'approved' });
  await decide(1);
  await engine.sync();
  assert.equal((await store.getCached('decision:r1')).state, 'pending');
  assert.equal((await engine.status()).label, 'Offline · 1 change waiting');
  net.online = true;
  await engine.sync();
  assert.equal((await store.getCached('decision:r1')).state, 'applied');
  assert.equal((await store.getEntry(entry.id)).data.status, 'signed_off', 'the pull brings the new status');
  // a decision on a version that changed since is a conflict the screen can show
  await decide(1);
  await engine.sync();
  const note = await store.getCached('decision:r1');
  assert.equal(note.state, 'conflict');
  assert.match(note.result.message, /changed/);
  assert.deepEqual(await store.outbox(), []);
});

test('two tabs (or a tab and the service worker) syncing at once never send a change after a newer one', async () => {
  let seed = 11;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const store = await freshStore();
  const server = new FakeServer();
  const tab = () => new SyncEngine({ store, transport: server.transport(), timers: fakeTimers(), random: () => 1 });
  const [a, b] = [tab(), tab()];
  for (let round = 0; round < 25; round += 1) {
    await createEntry(store, { ...ENTRY, title: `T${round}` });
    if (rnd() < 0.3) server.failNext('push', new HttpError(0), { afterApply: rnd() < 0.5 });
    const runs = [a.sync(), b.sync()];
    if (rnd() < 0.5) await createEntry(store, { ...ENTRY, title: `During ${round}` }); // made while both send
    await Promise.all(runs);
  }
  await a.sync();
  await b.sync();
  assert.deepEqual(server.outOfOrder, []);
  assert.deepEqual(await store.outbox(), []);
  const applied = [...server.seen.values()].filter((r) => r.status === 'applied');
  assert.equal(applied.length, await store.getMeta('next_mutation_id') - 1, 'each change applied once');
});

test('a photo the server cannot store yet (503: the object store is down) stays on the phone and is retried', async () => {
  // The server answers 503 with Retry-After while its S3 store is unavailable (tests/scale/test_faults.py):
  // the photo stays in the phone's evidence store, not uploaded and not marked failed, and goes up on a retry.
  const { store, server, timers } = await setup();
  const uploads = [];
  let storeUp = false;
  const transport = {
    ...server.transport(),
    uploadEvidence: async (item) => {
      uploads.push(item.sha256);
      if (!storeUp) throw new HttpError(503, 'The evidence store is unavailable; try again shortly.');
      return { sha256: item.sha256 };
    },
  };
  const engine = new SyncEngine({ store, transport, timers, random: () => 1, isOnline: () => true });
  await store.putEvidence({ sha256: 'a'.repeat(64), name: 'whiteboard.jpg', blob: 'bytes', uploaded: false });
  await engine.sync();
  let [photo] = await store.allEvidence();
  assert.equal(photo.uploaded, false, 'kept, not uploaded');
  assert.ok(!photo.error, 'not marked as failed: a 503 is retried, not shown as a problem with the file');
  assert.equal((await engine.status()).files, 1, 'still counted as waiting');
  assert.equal(timers.scheduled.length, 1, 'a retry is scheduled');
  storeUp = true;
  await timers.fire();
  [photo] = await store.allEvidence();
  assert.equal(photo.uploaded, true);
  assert.deepEqual(uploads, ['a'.repeat(64), 'a'.repeat(64)]);
});

test('changes the server held back are pulled again shortly, 1 s then doubling, until they come', async () => {
  const { store, server, engine, timers } = await setup();
  const id = '0b6f0c1e-8f7e-4c1a-9a55-3f1f1d7a0001';
  await server.push({ client_id: 'other-phone', mutations: [{ mutation_id: 1, entity: 'entry', id, op: 'create', base_version: null, fields: { ...ENTRY, title: 'From the other phone' } }] });
  server.withholdFrom = 0; // its transaction counts as still running on the server
  await engine.sync();
  assert.equal(await store.getEntry(id), undefined);
  assert.deepEqual(timers.scheduled.map((t) => t.ms), [1000]);
  await timers.fire();
  assert.deepEqual(timers.scheduled.map((t) => t.ms), [2000]);
  server.withholdFrom = null; // it has finished
  await timers.fire();
  assert.equal((await store.getEntry(id)).data.title, 'From the other phone');
  assert.deepEqual(timers.scheduled, [], 'nothing more to wait for');
  assert.equal((await engine.status()).label, 'All synced');
});
