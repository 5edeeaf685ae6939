// The phone's requirement engine: the pieces tests/js/test_progress_parity.py cannot reach through
// pulled records (entries saved on this phone without the server's defaults), and date arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addMonthsClamped, entryFacts, findGaps, isoDay, localToday, shiftMonths, toDay } from '../../logbook/static/app/progress.js';

test('an entry saved on the phone gets the server defaults for flags it does not carry', () => {
  const reading = entryFacts({ kind: 'reading', title: 'Book', start_date: '2026-11-02', hours: '1.50' });
  assert.equal(reading.isParticipatory, false); // reading is not participatory by default (entries/schemas.py)
  assert.equal(reading.includesPeerReflection, false);
  assert.equal(reading.hours, 150);
  assert.equal(reading.status, 'recorded');
  const peer = entryFacts({ kind: 'peer_reflection', title: 'Peer', start_date: '2026-11-02', hours: 1 });
  assert.equal(peer.isParticipatory, true);
  assert.equal(peer.includesPeerReflection, true);
  const explicit = entryFacts({ kind: 'course', start_date: '2026-11-02', hours: 2, is_participatory: false }, true);
  assert.equal(explicit.isParticipatory, false);
  assert.equal(explicit.isDeleted, true);
});

test('hundredths keep sums exact (0.1 + 0.2 is 0.3 hours)', () => {
  const total = [0.1, 0.2].map((hours) => entryFacts({ kind: 'course', start_date: '2026-01-01', hours }).hours).reduce((a, b) => a + b);
  assert.equal(total / 100, 0.3);
});

test('month arithmetic matches the server (month ends stay month ends; clamped days)', () => {
  assert.equal(isoDay(shiftMonths(toDay('2026-01-31'), 1)), '2026-02-28');
  assert.equal(isoDay(shiftMonths(toDay('2027-02-28'), 12)), '2028-02-29');
  assert.equal(isoDay(shiftMonths(toDay('2026-04-30'), -36)), '2023-04-30');
  assert.equal(isoDay(addMonthsClamped(toDay('2025-11-30'), 3)), '2026-02-28');
  assert.equal(isoDay(localToday(new Date(2026, 10, 25, 23, 30))), '2026-11-25');
});

test('a gap of three calendar months is flagged; one day less is not', () => {
  const day = toDay;
  const flagged = findGaps([[day('2026-01-15'), day('2026-01-15')], [day('2026-04-16'), day('2026-04-16')]], day('2026-01-01'), day('2026-04-30'), 3);
  assert.deepEqual(flagged.map(([a, b]) => [isoDay(a), isoDay(b)]), [['2026-01-16', '2026-04-15']]);
  const notFlagged = findGaps([[day('2026-01-15'), day('2026-01-15')], [day('2026-04-15'), day('2026-04-15')]], day('2026-01-01'), day('2026-04-30'), 3);
  assert.deepEqual(notFlagged, []);
});
