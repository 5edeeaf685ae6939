// How a standard is named on the phone: the framework's short name, the code and the standard's
// title ("SWE 4.2 Supervision: …", never "swe 4.2"). A copy of logbook/frameworks/labels.py, held
// equal by tests/js/test_pwa_parity.py.

export const SHORT_NAMES = { hcpc: 'HCPC', swe: 'SWE', nmc: 'NMC', teachers: 'TS', 'common-core': 'Common Core' };

export function frameworkShort(frameworkId) {
  return SHORT_NAMES[frameworkId] || String(frameworkId).toUpperCase();
}

/** "SWE 4.2 Supervision: …": short name, code, and the title when it is known. */
export function standardLabel(frameworkId, code, title = '') {
  const head = `${frameworkShort(frameworkId)} ${code}`;
  return title ? `${head} ${title}`.trim() : head;
}

/**
 * The titles of tagged standards from framework documents (GET /api/v1/frameworks/{id}?version=), by
 * "framework:version" key: `docs` maps that key to the document (or null when not on this phone).
 */
export function labelsFor(tags, docs) {
  return (tags || []).map((t) => {
    const doc = docs[`${t.framework}:${t.version}`];
    const found = doc && (doc.standards || []).find((s) => s.code === t.code);
    return standardLabel(t.framework, t.code, found ? found.title || '' : '');
  });
}
