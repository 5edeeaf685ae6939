// Runs the PWA's requirement engine (logbook/static/app/progress.js) over cases read as JSON from
// stdin — [{inputs, entries: [{data, is_deleted}], today, explanations?}] — and prints the results as JSON.
// Used by tests/js/test_progress_parity.py to compare with the Python engine.
import { readFileSync } from 'node:fs';
import { entryFacts, progress } from '../../logbook/static/app/progress.js';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(({ inputs, entries, today, explanations }) => {
  try {
    return progress(inputs, entries.map((e) => entryFacts(e.data, e.is_deleted)), today, explanations || []);
  } catch (err) {
    return { error: String(err && err.stack ? err.stack : err) };
  }
});
process.stdout.write(JSON.stringify(out));
