// The outbox builds every mutation (views only call it): each function queues the wire shape the
// server's sync push takes (docs/sync.md), keeps a note for its screen, and changes the local copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSessionActions, confirmSession, decideSessionSignOff, decideSignOff, ENTITIES, noteKeys, queueCheckIn,
  recordSession, requestSessionSignOff, requestSignOff, createEntry, explainGap, changeGapExplanation, deleteGapExplanation,
} from '../../logbook/static/app/outbox.js';
import { freshStore } from './fakes.js';

const NOW = new Date('2026-12-01T09:30:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function shape(m) {
  const { mutation_id: mutationId, note_key: noteKey, queued_at: queuedAt, ...wire } = m;
  assert.ok(Number.isInteger(mutationId) && queuedAt);
  assert.match(wire.id, UUID);
  return { ...wire, id: 'ID', note_key: noteKey };
}

test('a sign-off request names the entry version and either a linked supervisor or an external signer', async () => {
  const store = await freshStore();
  const entry = { id: 'e1', version: 3 };
  await requestSignOff(store, { entry, message: 'Please', supervisorId: 's1', to: 'Sam', now: NOW });
  await requestSignOff(store, { entry, message: '', external: { name: 'Ext', email: 'x@example.org', registration_body: 'NMC' }, to: 'Ext', now: NOW });
  assert.deepEqual((await store.outbox()).map(shape), [
    { entity: 'sign_off_request', op: 'create', id: 'ID', base_version: null, note_key: 'signoff-request:e1',
      fields: { entry_id: 'e1', entry_version: 3, message: 'Please', supervisor_id: 's1' } },
    { entity: 'sign_off_request', op: 'create', id: 'ID', base_version: null, note_key: 'signoff-request:e1',
      fields: { entry_id: 'e1', entry_version: 3, message: '', external: { name: 'Ext', email: 'x@example.org', registration_body: 'NMC' } } },
  ]);
  const note = await store.getCached(noteKeys.signOffRequest('e1'));
  assert.deepEqual({ ...note, mutation_id: 0 }, { to: 'Ext', entry_version: 3, at: NOW.toISOString(), state: 'pending', mutation_id: 0 });
});

test('a sign-off decision names the version and SHA-256 read, and returns its id', async () => {
  const store = await freshStore();
  const item = { id: 'r1', entry_id: 'e1', entry_version: 2, content_sha256: 'a'.repeat(64) };
  const id = await decideSignOff(store, item, { decision: 'returned', comment: 'More', now: NOW });
  const [queued] = await store.outbox();
  assert.equal(queued.id, id);
  assert.deepEqual(shape(queued), { entity: 'sign_off', op: 'create', id: 'ID', base_version: null, note_key: 'decision:r1',
    fields: { entry_id: 'e1', entry_version: 2, content_sha256: 'a'.repeat(64), decision: 'returned', comment: 'More', request_id: 'r1' } });
  const note = await store.getCached(noteKeys.decision('r1'));
  assert.equal(note.sign_off_id, id);
  assert.equal(note.decision, 'returned');
});

test('an offline check-in carries the code and the time of the scan', async () => {
  const store = await freshStore();
  await queueCheckIn(store, { code: 'ev1-abc', noteKey: 'checkin:ev1', now: NOW });
  assert.deepEqual((await store.outbox()).map(shape), [{ entity: 'event_check_in', op: 'create', id: 'ID', base_version: null,
    note_key: 'checkin:ev1', fields: { code: 'ev1-abc', scanned_at: NOW.toISOString() } }]);
  assert.equal((await store.getCached('checkin:ev1')).code, 'ev1-abc');
});

test('a supervision session: recorded, an action closed, confirmed, sign-off asked and decided', async () => {
  const store = await freshStore();
  const fields = {
    supervisor_id: 'sup', supervisee_id: 'me', starts_at: NOW.toISOString(), duration_minutes: 60, format: 'individual',
    agenda: 'A', summary: 'S', actions: [{ id: 'a1', description: 'Read', owner_id: 'me', due_on: null }],
  };
  const id = await recordSession(store, fields, { supervisor_name: 'Sam', supervisee_name: 'Me' }, { now: NOW });
  let shown = await store.getRecord('supervision_session', id);
  assert.equal(shown.supervisor_name, 'Sam');
  assert.deepEqual(shown.actions, [{ ...fields.actions[0], closed_at: null }]);
  assert.equal(shown.version, null);
  assert.equal(shown.pending, true);

  const s = { ...shown, version: 1, content_sha256: 'b'.repeat(64), pending: false };
  await closeSessionActions(store, s, ['a1'], { now: NOW });
  await confirmSession(store, s, { asSupervisor: false, now: NOW });
  await requestSessionSignOff(store, s, { signerId: 'sup', now: NOW });
  const req = { id: 'q1', state: 'open', signer_id: 'me', session_version: 1 };
  await decideSessionSignOff(store, s, req, { decision: 'approved', comment: 'Fine', signerName: 'Me', now: NOW });

  const key = `supervision_session:${id}`;
  assert.deepEqual((await store.outbox()).map(shape), [
    { entity: 'supervision_session', op: 'create', id: 'ID', base_version: null, note_key: key, fields },
    { entity: 'supervision_session', op: 'update', id: 'ID', base_version: 1, note_key: key, fields: { close_actions: ['a1'] } },
    { entity: 'supervision_session_confirm', op: 'create', id: 'ID', base_version: null, note_key: key, fields: { session_id: id, version: 1 } },
    { entity: 'session_sign_off_request', op: 'create', id: 'ID', base_version: null, note_key: key, fields: { session_id: id, session_version: 1 } },
    { entity: 'session_sign_off', op: 'create', id: 'ID', base_version: null, note_key: key,
      fields: { session_id: id, session_version: 1, content_sha256: 'b'.repeat(64), decision: 'approved', comment: 'Fine', request_id: 'q1' } },
  ]);
  shown = await store.getRecord('supervision_session', id);
  assert.equal(shown.actions[0].closed_at, NOW.toISOString());
  assert.equal(shown.supervisee_confirmed_at, NOW.toISOString());
  assert.deepEqual(shown.sign_off_request, { ...req, state: 'approved', decision: { decision: 'approved', comment: 'Fine', signer_name: 'Me' } });
  assert.equal((await store.getCached(key)).what, 'approved');
});

test('the outbox builds a mutation of every entity the server syncs, and of no other', async () => {
  const store = await freshStore();
  await createEntry(store, { kind: 'course', title: 'T', start_date: '2026-01-01', hours: 1 });
  await requestSignOff(store, { entry: { id: 'e', version: 1 }, message: '', supervisorId: 's', to: 'S' });
  await decideSignOff(store, { id: 'r', entry_id: 'e', entry_version: 1, content_sha256: 'a'.repeat(64) }, { decision: 'approved', comment: '' });
  await queueCheckIn(store, { code: 'c', noteKey: 'checkin:c' });
  const id = await recordSession(store, { actions: [] });
  const s = { id, version: 1 };
  await confirmSession(store, s, { asSupervisor: true });
  await requestSessionSignOff(store, s, { signerId: 'x' });
  await decideSessionSignOff(store, s, { id: 'q' }, { decision: 'approved', comment: '', signerName: 'X' });
  await explainGap(store, { starts_on: '2026-01-01', ends_on: '2026-04-01', reason: 'Sick leave' });
  const made = new Set((await store.outbox()).map((m) => m.entity));
  assert.deepEqual([...made].sort(), [...ENTITIES].sort());
});

test('a gap explained, changed twice and deleted on one phone: each change names the version the one before makes', async () => {
  const store = await freshStore();
  const id = await explainGap(store, { starts_on: '2026-01-05', ends_on: '2026-04-30', reason: 'Parental leave', extra: 'dropped' });
  let shown = await store.getRecord('gap_explanation', id);
  assert.equal(shown.pending, true);
  assert.equal(shown.reason, 'Parental leave');
  await changeGapExplanation(store, shown, { ends_on: '2026-05-31', reason: 'Parental leave' });
  shown = await store.getRecord('gap_explanation', id);
  await changeGapExplanation(store, shown, { reason: 'Parental leave, then sick leave' });
  shown = await store.getRecord('gap_explanation', id);
  await deleteGapExplanation(store, shown);
  const sent = (await store.outbox()).map(({ entity, op, id: rid, base_version: base, fields }) => ({ entity, op, rid, base, fields }));
  assert.deepEqual(sent, [
    { entity: 'gap_explanation', op: 'create', rid: id, base: null, fields: { starts_on: '2026-01-05', ends_on: '2026-04-30', reason: 'Parental leave' } },
    { entity: 'gap_explanation', op: 'update', rid: id, base: 1, fields: { ends_on: '2026-05-31' } },
    { entity: 'gap_explanation', op: 'update', rid: id, base: 2, fields: { reason: 'Parental leave, then sick leave' } },
    { entity: 'gap_explanation', op: 'delete', rid: id, base: 3, fields: {} },
  ]);
  assert.equal((await store.getRecord('gap_explanation', id)).is_deleted, true);
});
