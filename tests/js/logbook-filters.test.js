// The logbook's filters: each sign-off state shows exactly the entries in that state; Home's links
// (and older `?show=signoff` links) open the filter they promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_FILTERS, filterEntries, filtersFromSearch, returnComments } from '../../logbook/static/app/views/logbook.js';
import { STATUS_LABELS } from '../../logbook/static/app/kinds.js';

const entry = (id, status, display = 'synced') => ({ id, display, data: { title: id, kind: 'course', status } });
const ALL = [entry('d', 'draft'), entry('r', 'recorded'), entry('s', 'submitted'), entry('ret', 'returned'),
  entry('ok', 'signed_off'), entry('old', undefined), entry('s2', 'submitted', 'pending')];

test('each status filter keeps exactly the entries in that status', () => {
  for (const status of STATUS_FILTERS) {
    const ids = filterEntries(ALL, { status }).map((r) => r.id);
    assert.deepEqual(ids, ALL.filter((r) => r.data.status === status).map((r) => r.id), status);
    assert.ok(ids.length, status);
  }
  assert.equal(filterEntries(ALL, {}).length, ALL.length);
  assert.deepEqual(filterEntries(ALL, { status: 'submitted', show: 'waiting' }).map((r) => r.id), ['s2']);
});

test('the filters are drafts, awaiting sign-off, returned and signed off, named by the shared labels', () => {
  assert.deepEqual(STATUS_FILTERS.map((s) => STATUS_LABELS[s]), ['Draft', 'Awaiting sign-off', 'Returned', 'Signed off']);
});

test('links carry the filter; an old ?show=signoff means awaiting sign-off; unknown values are ignored', () => {
  assert.deepEqual(filtersFromSearch('?status=returned'), { q: '', kind: '', status: 'returned', show: '' });
  assert.deepEqual(filtersFromSearch('?show=signoff'), { q: '', kind: '', status: 'submitted', show: '' });
  assert.deepEqual(filtersFromSearch('?show=attention&kind=course&q=x'), { q: 'x', kind: 'course', status: '', show: 'attention' });
  assert.deepEqual(filtersFromSearch('?status=nonsense&show=nonsense'), { q: '', kind: '', status: '', show: '' });
});

test("a returned entry's row shows the comment of its latest request only", () => {
  const got = returnComments([
    { entry_id: 'a', created_at: '2026-11-01T09:00:00Z', state: 'returned', decision: { comment: 'Old', signer_name: 'P' } },
    { entry_id: 'a', created_at: '2026-11-03T09:00:00Z', state: 'returned', decision: { comment: 'Add the impact', signer_name: 'Priya Shah' } },
    { entry_id: 'b', created_at: '2026-11-02T09:00:00Z', state: 'returned', decision: { comment: 'x' } },
    { entry_id: 'b', created_at: '2026-11-04T09:00:00Z', state: 'open' },
  ]);
  assert.deepEqual([...got], [['a', { comment: 'Add the impact', by: 'Priya Shah' }]]);
});
