// Pulled records other than entries (sign-off requests, supervision sessions) live in their own store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { openStore } from '../../logbook/static/app/store.js';
import { freshStore } from './fakes.js';

const request = (id, state) => ({
  entity: 'sign_off_request', id, op: 'upsert', version: state === 'open' ? 1 : 2,
  record: { id, entry_id: 'e1', state },
});

test('migration 4 adds the records store to a version-3 database without touching its data', async () => {
  const idb = new IDBFactory();
  const v3 = await openStore({ idb, name: 'r', version: 3 });
  await v3.putEntries([{ id: 'e1', data: { title: 'Kept' }, version: 2, state: 'synced', pending: 0 }]);
  v3.close();
  const v4 = await openStore({ idb, name: 'r' });
  assert.ok(v4.db.objectStoreNames.contains('records'));
  assert.equal((await v4.getEntry('e1')).data.title, 'Kept');
});

test('pulled sign-off requests go to the records store, never among the entries', async () => {
  const store = await freshStore();
  const mergeCalls = [];
  await store.applyPull([request('q1', 'open'), request('q2', 'open')], 'c1', (r, item) => { mergeCalls.push(item.id); return null; });
  assert.deepEqual(mergeCalls, []);
  assert.deepEqual(await store.allEntries(), []);
  assert.deepEqual((await store.records('sign_off_request')).map((r) => r.id).sort(), ['q1', 'q2']);
  await store.applyPull([request('q1', 'returned'), { entity: 'sign_off_request', id: 'q2', op: 'remove', version: 1 }], 'c2', () => null);
  assert.equal((await store.getRecord('sign_off_request', 'q1')).state, 'returned');
  assert.equal(await store.getRecord('sign_off_request', 'q2'), null);
  assert.equal(await store.getMeta('cursor'), 'c2');
});

test('a full re-pull forgets records the server did not send again', async () => {
  const store = await freshStore();
  await store.applyPull([request('old', 'open')], 'c1', () => null);
  await store.setMeta('resync', 'r1');
  await store.applyPull([request('kept', 'open')], 'c2', () => null);
  await store.pruneUnseenTagged('r1');
  assert.deepEqual((await store.records('sign_off_request')).map((r) => r.id), ['kept']);
});

test('a queued record is no longer waiting once the server applied its last mutation, before any pull', async () => {
  const store = await freshStore();
  const gap = (op, fields) => ({ entity: 'gap_explanation', id: 'g1', op, base_version: op === 'create' ? null : 1, fields });
  await store.queueRecordChange(gap('create', { reason: 'Leave' }), 'gap_explanation', 'g1', () => ({ id: 'g1', reason: 'Leave' }), { what: 'create' });
  await store.queueRecordChange(gap('update', { reason: 'Parental leave' }), 'gap_explanation', 'g1',
    (d) => ({ ...d, reason: 'Parental leave' }), { what: 'update' });
  const [first, second] = await store.outbox();
  const noop = () => { throw new Error('entries only'); };

  // The first of two is applied: the record still waits for the second.
  await store.applyPushResults([{ mutation_id: first.mutation_id, status: 'applied', version: 1 }], noop);
  assert.equal((await store.getRecord('gap_explanation', 'g1')).pending, true);
  // The second is applied: not waiting any more, at the server's version, with what was typed.
  await store.applyPushResults([{ mutation_id: second.mutation_id, status: 'applied', version: 2 }], noop);
  const after = await store.getRecord('gap_explanation', 'g1');
  assert.equal(after.pending, false);
  assert.equal(after.version, 2);
  assert.equal(after.reason, 'Parental leave');

  // A refused change stays as it was (its note says why; the screens show it).
  await store.queueRecordChange(gap('update', { reason: '' }), 'gap_explanation', 'g1', (d) => ({ ...d, reason: '' }), { what: 'update' });
  const [third] = await store.outbox();
  await store.applyPushResults([{ mutation_id: third.mutation_id, status: 'rejected', errors: { reason: ['Required.'] } }], noop);
  assert.equal((await store.getRecord('gap_explanation', 'g1')).pending, true);
});
