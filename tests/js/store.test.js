// The store: migrations keep data, local changes and their mutations are atomic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { openStore, MIGRATIONS, VERSION } from '../../logbook/static/app/store.js';
import { createEntry, updateEntry, deleteEntry } from '../../logbook/static/app/outbox.js';
import { freshStore } from './fakes.js';

test('every migration upgrades an older database without losing records or queued work', async () => {
  const idb = new IDBFactory();
  const v1 = await openStore({ idb, name: 'm', version: 1 });
  await v1.run(['entries', 'outbox', 'meta'], 'readwrite', async (t) => {
    await t.put('entries', { id: 'a', data: { title: 'Kept' }, version: null, state: 'pending', pending: 1 });
    await t.put('outbox', { mutation_id: 1, entity: 'entry', id: 'a', op: 'create', fields: { title: 'Kept' } });
    await t.put('meta', 2, 'next_mutation_id');
  });
  v1.close();
  const latest = await openStore({ idb, name: 'm' });
  assert.equal(latest.db.version, VERSION);
  assert.equal(VERSION, MIGRATIONS.length);
  for (const name of ['entries', 'outbox', 'meta', 'synclog', 'evidence', 'cache']) {
    assert.ok(latest.db.objectStoreNames.contains(name), name);
  }
  assert.equal((await latest.getEntry('a')).data.title, 'Kept');
  assert.deepEqual((await latest.outbox()).map((m) => m.mutation_id), [1]);
  // the index added by migration 2 finds work queued before it existed
  const byRecord = await latest.run(['outbox'], 'readonly', (t) => t.getAllByIndex('outbox', 'by_record', 'a'));
  assert.equal(byRecord.length, 1);
  // and the next mutation id carries on from the old counter
  await updateEntry(latest, 'a', { title: 'Changed' });
  assert.deepEqual((await latest.outbox()).map((m) => m.mutation_id), [1, 2]);
});

test('migrations never delete a store', () => {
  for (const migration of MIGRATIONS) assert.doesNotMatch(migration.toString(), /deleteObjectStore/);
});

test('creating, changing and deleting entries queue mutations with increasing ids', async () => {
  const store = await freshStore();
  const rec = await createEntry(store, { kind: 'reading', title: 'A', start_date: '2026-11-01', hours: '1.00' });
  assert.match(rec.id, /^[0-9a-f-]{36}$/);
  await updateEntry(store, rec.id, { title: 'B', hours: '1.00' });
  await deleteEntry(store, rec.id);
  const queued = await store.outbox();
  assert.deepEqual(queued.map((m) => [m.mutation_id, m.op]), [[1, 'create'], [2, 'update'], [3, 'delete']]);
  assert.deepEqual(queued[1].fields, { title: 'B' }, 'only changed fields are sent');
  assert.equal(queued[1].base_version, 1);
  const stored = await store.getEntry(rec.id);
  assert.equal(stored.pending, 3);
  assert.equal(stored.is_deleted, true);
  assert.equal(stored.data.title, 'B');
});

test('a change and its mutation are stored together or not at all', async () => {
  const store = await freshStore();
  await assert.rejects(store.commitLocalChange('x', () => { throw new Error('boom'); }));
  await assert.rejects(updateEntry(store, 'missing', { title: 'x' }));
  assert.equal((await store.outbox()).length, 0);
  assert.equal(await store.getEntry('x'), undefined);
  assert.equal(await store.getMeta('next_mutation_id'), undefined);
});

test('the client id is made once and kept', async () => {
  const store = await freshStore();
  const id = await store.clientId();
  assert.match(id, /^[A-Za-z0-9]{8,64}$/);
  assert.equal(await store.clientId(), id);
});

test('the sync log keeps the latest 200 lines', async () => {
  const store = await freshStore();
  for (let i = 0; i < 205; i += 1) await store.log('sync', `line ${i}`);
  const lines = await store.recentLog(500);
  assert.equal(lines.length, 200);
  assert.equal(lines[0].message, 'line 204');
});

test('wipe deletes the whole database', async () => {
  const idb = new IDBFactory();
  const store = await openStore({ idb, name: 'w' });
  await createEntry(store, { kind: 'reading', title: 'Private', start_date: '2026-11-01', hours: '1' });
  await store.wipe();
  const again = await openStore({ idb, name: 'w' });
  assert.deepEqual(await again.allEntries(), []);
  assert.deepEqual(await again.outbox(), []);
});

test('unchanged fields are never sent, whatever their key order or number format', async () => {
  const store = await freshStore();
  await store.putEntries([{ id: 's', version: 2, state: 'synced', pending: 0, data: {
    id: 's', title: 'T', hours: 1.5, reflection: { answers: { what: 'x' }, template: 'rolfe' }, ways_of_knowing: [] } }]);
  await updateEntry(store, 's', { title: 'T', hours: '1.50', reflection: { template: 'rolfe', answers: { what: 'x' } }, ways_of_knowing: [], description: 'new' });
  const [m] = await store.outbox();
  assert.deepEqual(m.fields, { description: 'new' });
  assert.equal(m.base_version, 2);
});

test('tags are compared as sets: a different order is not a change', async () => {
  const store = await freshStore();
  await store.putEntries([{ id: 't', version: 1, state: 'synced', pending: 0, data: {
    id: 't', common_core: ['1', '3'], standards: [{ framework: 'swe', version: 1, code: '4.1' }, { code: '2', framework: 'swe', version: 1 }] } }]);
  await updateEntry(store, 't', { common_core: ['3', '1'], standards: [{ framework: 'swe', version: 1, code: '2' }, { framework: 'swe', version: 1, code: '4.1' }], title: 'x' });
  const [m] = await store.outbox();
  assert.deepEqual(m.fields, { title: 'x' });
});
