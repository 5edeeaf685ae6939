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
