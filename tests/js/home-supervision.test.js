// Home's one supervision status line, from the server's sessions.supervision_status (issue 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missedLabel, shortDay, statusLine } from '../../logbook/static/app/views/home-supervision.js';

test('the status line reads as the issue asks: policy, last held, next due, months missed', () => {
  const status = {
    policy_text: '90 min monthly', period: 'month', last_held_on: '2026-11-12', next_due_on: '2026-12-12', is_overdue: false,
    missed: [{ from: '2026-06-01', to: '2026-06-30' }, { from: '2026-10-01', to: '2026-10-31' }],
  };
  assert.equal(statusLine(status, 2026), '90 min monthly · last held 12 Nov · next due 12 Dec · missed: Jun, Oct');
});

test('overdue, nothing held, and another year are said plainly', () => {
  assert.equal(statusLine({ policy_text: 'every 42 days (default)', last_held_on: null, next_due_on: '2026-11-01', is_overdue: true, missed: [] }, 2026),
    'every 42 days (default) · none held yet · overdue since 1 Nov');
  assert.equal(shortDay('2025-12-03', 2026), '3 Dec 2025');
  assert.equal(missedLabel({ from: '2025-12-01', to: '2025-12-31' }, 'month', 2026), 'Dec 2025');
  assert.equal(missedLabel({ from: '2026-11-03', to: '2026-11-16' }, 'fortnight', 2026), '3–16 Nov');
  assert.equal(missedLabel({ from: '2026-10-27', to: '2026-11-09' }, 'fortnight', 2026), '27 Oct–9 Nov');
});

test('more than six missed periods show the latest six', () => {
  const missed = Array.from({ length: 8 }, (_, i) => ({ from: `2026-0${i + 1}-01`, to: `2026-0${i + 1}-28` }));
  const line = statusLine({ policy_text: '90 min monthly', period: 'month', last_held_on: '2026-11-02', next_due_on: '2026-12-02', missed }, 2026);
  assert.match(line, /missed: …, Mar, Apr, May, Jun, Jul, Aug$/);
});
