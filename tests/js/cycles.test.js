// Home's cycles (static/app/cycles.js): the current cycle always, and the one before it only for a
// quarter after it ended — on 1 December a social worker still sees the SWE year that ended on 30 November.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cyclesOnHome, ENDED_SHOWN_DAYS } from '../../logbook/static/app/cycles.js';
import { labelsFor } from '../../logbook/static/app/standards.js';

const CYCLES = [
  { which: 'current', starts_on: '2026-12-01', ends_on: '2027-11-30' },
  { which: 'previous', starts_on: '2025-12-01', ends_on: '2026-11-30' },
];

test('the SWE year just ended is on Home from 1 December for a quarter, then only the current one', () => {
  assert.equal(ENDED_SHOWN_DAYS, 91);
  assert.deepEqual(cyclesOnHome(CYCLES, '2026-12-01').map((c) => c.which), ['current', 'previous']);
  assert.deepEqual(cyclesOnHome(CYCLES, '2027-03-01').map((c) => c.which), ['current', 'previous']);
  assert.deepEqual(cyclesOnHome(CYCLES, '2027-03-02').map((c) => c.which), ['current']);
  assert.deepEqual(cyclesOnHome([], '2026-12-01'), []);
});

test('standards are labelled with their titles when the framework is on the phone, else by code', () => {
  const docs = { 'swe:2': { standards: [{ code: '4.2', title: 'Supervision: use supervision and feedback' }] } };
  const tags = [{ framework: 'swe', version: 2, code: '4.2' }, { framework: 'hcpc', version: 1, code: '4' }];
  assert.deepEqual(labelsFor(tags, docs), ['SWE 4.2 Supervision: use supervision and feedback', 'HCPC 4']);
});

test('an explanation the server refused to create is not counted on the phone; one waiting to be sent is', async () => {
  const { freshStore } = await import('./fakes.js');
  const { explainGap } = await import('../../logbook/static/app/outbox.js');
  const { explanationsOnPhone } = await import('../../logbook/static/app/views/gaps.js');
  const store = await freshStore();
  const kept = await explainGap(store, { starts_on: '2026-01-01', ends_on: '2026-04-30', reason: 'Sick leave' });
  const refused = await explainGap(store, { starts_on: '2026-06-01', ends_on: '2026-05-01', reason: 'Backwards' });
  const [, second] = await store.outbox();
  await store.applyPushResults([{ mutation_id: second.mutation_id, entity: 'gap_explanation', id: refused, status: 'rejected', code: 'validation_failed' }], () => null);
  const { explanations, unsent } = await explanationsOnPhone(store);
  assert.deepEqual(explanations.map((x) => x.id), [kept]);
  assert.equal(unsent, 1);
});
