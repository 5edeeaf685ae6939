// Exports screen helpers: which document a person starts with, what is sent, how words are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDocument, joined, portfolioRequest, wordCount } from '../../logbook/static/app/views/exports.js';

test('the document defaults to the first registration a regulator shapes, else a generic portfolio', () => {
  assert.equal(defaultDocument({ registrations: [{ regulator: 'NMC' }] }), 'nmc');
  assert.equal(defaultDocument({ registrations: [{ regulator: 'OTHER' }, { regulator: 'TEACHERS' }] }), 'teachers');
  assert.equal(defaultDocument({ registrations: [{ regulator: 'GMC' }] }), 'generic');
  assert.equal(defaultDocument({}), 'generic');
});

test('only the HCPC profile sends its text and chosen activities; empty dates are left to the server', () => {
  const draft = { format: 'hcpc', summary: 'S', statement: 'T', chosen: ['a', 'b'], date_from: '', date_to: '2026-11-30' };
  assert.deepEqual(portfolioRequest(draft), {
    format: 'hcpc', include_reflections: false, date_to: '2026-11-30', summary: 'S', statement: 'T', chosen_entry_ids: ['a', 'b'],
  });
  assert.deepEqual(portfolioRequest({ ...draft, format: 'nmc', include_reflections: true }),
    { format: 'nmc', include_reflections: true, date_to: '2026-11-30' });
});

test('words are runs of non-space, as the server counts them', () => {
  assert.equal(wordCount(''), 0);
  assert.equal(wordCount('  one\ttwo\nthree  '), 3);
  assert.equal(wordCount('co-production, in practice.'), 3);
});

test('a message and its details read as one sentence, without ".:"', () => {
  assert.equal(joined('The CPD profile cannot be made yet.', ['choose 4 to 6 different activities']),
    'The CPD profile cannot be made yet: choose 4 to 6 different activities');
  assert.equal(joined('No connection', []), 'No connection');
  assert.equal(joined('Check these:', ['a', 'b']), 'Check these: a; b');
});
