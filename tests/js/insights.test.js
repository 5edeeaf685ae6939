// Insights screen helpers: a suppressed cell never shows a number; labels are readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellText, labelFor } from '../../logbook/static/app/views/insights.js';

test('a suppressed cell reads "fewer than N" whatever it carries, never a number', () => {
  assert.equal(cellText({ suppressed: true }, 'people', 5), 'fewer than 5');
  assert.equal(cellText({ suppressed: true, people: 4 }, 'people', 5), 'fewer than 5');
  assert.equal(cellText({ suppressed: true }, 'hours', 10), 'fewer than 10');
  assert.equal(cellText(undefined, 'entries', 5), 'fewer than 5');
});

test('shown cells show their measure; hours to one decimal; a missing measure is zero', () => {
  assert.equal(cellText({ entries: 12, hours: 19.25, people: 10 }, 'entries', 5), '12');
  assert.equal(cellText({ entries: 12, hours: 19.25, people: 10 }, 'hours', 5), '19.3');
  assert.equal(cellText({ entries: 0 }, 'people', 5), '0');
});

test('row and column names read as people say them', () => {
  assert.equal(labelFor('learning-mix-profession', 'bite_size_workshop'), 'Bite-size workshop');
  assert.equal(labelFor('compliance', 'at_risk'), 'At risk');
  assert.equal(labelFor('common-core', '3'), 'Area 3');
  assert.equal(labelFor('equity-service-area', 'early_help'), 'Early help');
  assert.equal(labelFor('equity-profession', '30+'), 'Over 30 h');
  assert.equal(labelFor('learning-mix-team', '__total__'), 'Total');
  assert.equal(labelFor('learning-mix-team', 'Team A'), 'Team A');
});
