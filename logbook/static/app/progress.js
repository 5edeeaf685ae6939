// The requirement engine on the phone: a line-by-line port of logbook/frameworks/engine.py, so Home
// can show progress when offline or while entries on this phone are not synced yet. It evaluates
// every measure the server has (count, hours, distinct_activity_types, gaps, per_period,
// standards_covered); tests/js/test_progress_parity.py runs both engines on the same fixtures and
// asserts identical results. Inputs come from GET /api/v1/progress/inputs (the caller's
// registrations and the framework versions that apply) and the entries in IndexedDB.
//
// Exactness: dates are whole day numbers (UTC, no time zones); hours are whole hundredths (the
// server stores Numeric(7, 2)), so sums are exact as with Python's Decimal.

export const MET = 'met';
export const ON_TRACK = 'on_track';
export const AT_RISK = 'at_risk';
export const NOT_MET = 'not_met';
const SEVERITY = { met: 0, on_track: 1, at_risk: 2, not_met: 3 };
export const MEASURES = ['count', 'hours', 'distinct_activity_types', 'gaps', 'per_period', 'standards_covered'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86400000;

// --- dates (day numbers) -----------------------------------------------------------------------

export function toDay(iso) {
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return Date.UTC(y, m - 1, d) / DAY_MS;
}
export function isoDay(day) { return new Date(day * DAY_MS).toISOString().slice(0, 10); }
function ymd(day) {
  const date = new Date(day * DAY_MS);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}
function mk(y, m, d) { return Date.UTC(y, m - 1, d) / DAY_MS; }
const isLeap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
export function daysInMonth(y, m) { return m === 2 && isLeap(y) ? 29 : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]; }
const floorDiv = (a, b) => Math.floor(a / b);

/** The same day `months` later; the last day of a month stays the last day. */
export function shiftMonths(day, months) {
  const { y, m, d } = ymd(day);
  const index = y * 12 + m - 1 + months;
  const year = floorDiv(index, 12);
  const month = index - year * 12 + 1;
  const last = daysInMonth(year, month);
  return mk(year, month, d === daysInMonth(y, m) ? last : Math.min(d, last));
}

/** The same day-of-month `months` later, clamped to the month's length. */
export function addMonthsClamped(day, months) {
  const { y, m, d } = ymd(day);
  const index = y * 12 + m - 1 + months;
  const year = floorDiv(index, 12);
  const month = index - year * 12 + 1;
  return mk(year, month, Math.min(d, daysInMonth(year, month)));
}

function yearly(year, [month, d]) { return mk(year, month, Math.min(d, daysInMonth(year, month))); }
function dayText(day) { const { y, m, d } = ymd(day); return `${d} ${MONTHS[m - 1]} ${y}`; }

// --- numbers (whole hundredths) ----------------------------------------------------------------

const centi = (x) => Math.round(Number(x || 0) * 100);
function fmtCenti(n) { return String(n / 100); }
/** A plain decimal number as an exact fraction num / den (0.25 → 25 / 100). */
function parseDecimal(text) {
  const [whole, frac = ''] = String(text).split('.');
  return { num: Number(whole + frac), den: 10 ** frac.length };
}

// --- frameworks --------------------------------------------------------------------------------

export function normaliseProfession(text) {
  return String(text || '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The engine's view of a framework version (its stored JSON summary). */
export function compileFramework(summary) {
  const cycle = summary.cycle || { type: 'none' };
  const byProfession = {};
  for (const [key, window] of Object.entries(cycle.windows || {})) {
    for (const name of [key, ...(window.names || [])]) byProfession[normaliseProfession(name)] = key;
  }
  const types = summary.activity_types || {};
  const activityTypeOf = {};
  const activityTypeTitles = {};
  for (const [typeId, t] of Object.entries(types)) {
    for (const kind of t.kinds) activityTypeOf[kind] = typeId;
    activityTypeTitles[typeId] = t.title;
  }
  return {
    id: summary.id,
    version: summary.version,
    name: summary.name,
    kind: summary.kind || 'registration',
    effectiveFrom: summary.effective_from ? toDay(summary.effective_from) : null,
    effectiveTo: summary.effective_to ? toDay(summary.effective_to) : null,
    cycle,
    dates: summary.dates || [],
    requirements: summary.requirements || [],
    reminders: summary.reminders || [],
    cpdKinds: new Set((summary.entry_kinds || {}).cpd || []),
    activityTypeOf,
    activityTypeTitles,
    appliesTo: summary.applies_to || null,
    windowsByProfession: byProfession,
  };
}

function inForce(f, day) {
  return (f.effectiveFrom === null || f.effectiveFrom <= day) && (f.effectiveTo === null || day <= f.effectiveTo);
}

/** The version in force on a day; before the first one, the first; after the last, the last. */
export function versionFor(versions, day) {
  const ordered = [...versions].sort((a, b) => a.version - b.version);
  const now = ordered.filter((f) => inForce(f, day));
  if (now.length) return now[now.length - 1];
  const started = ordered.filter((f) => f.effectiveFrom === null || f.effectiveFrom <= day);
  return started.length ? started[started.length - 1] : ordered[0];
}

// --- cycles ------------------------------------------------------------------------------------

class NoCycle extends Error {}

function endsForWindow(framework, registration) {
  const key = framework.windowsByProfession[normaliseProfession(registration.profession)];
  if (key === undefined) return null;
  const window = framework.cycle.windows[key];
  return [window.deadline, window];
}

function cycleEnds(framework, registration, today) {
  const { cycle } = framework;
  const kind = cycle.type;
  const length = cycle.length_months || 12;
  const t = ymd(today);
  if (kind === 'fixed_year') {
    let start = yearly(t.y, cycle.starts);
    if (start > today) start = yearly(t.y - 1, cycle.starts);
    const sy = ymd(start).y;
    return [yearly(sy - 1, cycle.starts) - 1, start - 1, yearly(sy + 1, cycle.starts) - 1];
  }
  if (kind === 'renewal_window') {
    const found = endsForWindow(framework, registration);
    if (found) {
      const [deadline, window] = found;
      const step = floorDiv(length, 12) || 1;
      const parity = window.deadline_years === 'even' ? 0 : 1;
      let year = t.y - 1;
      while (((year % 2) + 2) % 2 !== parity || yearly(year, deadline) < today) year += 1;
      return [yearly(year - 2 * step, deadline), yearly(year - step, deadline), yearly(year, deadline)];
    }
    if (!((cycle.use_renewal_date ?? true) && registration.renewal_date)) {
      throw new NoCycle(`No renewal window is known for the profession “${registration.profession}”: add the registration's renewal date.`);
    }
  } else if (kind === 'renewal_date' && !registration.renewal_date) {
    throw new NoCycle("Add the registration's renewal date to see progress in this cycle.");
  } else if (kind !== 'renewal_window' && kind !== 'renewal_date') {
    throw new NoCycle('This framework has no registration cycle.');
  }
  const anchor = toDay(registration.renewal_date);
  const a = ymd(anchor);
  const months = (t.y - a.y) * 12 + t.m - a.m;
  let k = floorDiv(months, length) - 1;
  while (shiftMonths(anchor, k * length) < today) k += 1;
  return [2, 1, 0].map((n) => shiftMonths(anchor, (k - n) * length));
}

function cyclesFor(framework, registration, today) {
  const [before, previousEnd, currentEnd] = cycleEnds(framework, registration, today);
  const since = registration.registered_since ? toDay(registration.registered_since) : null;
  const out = [];
  for (const [which, start, end] of [['current', previousEnd + 1, currentEnd], ['previous', before + 1, previousEnd]]) {
    if (since !== null && since > end) continue;
    out.push({ which, startsOn: since !== null ? Math.max(start, since) : start, endsOn: end, nominalStart: start });
  }
  return out;
}

/** The dates that matter in a cycle, in order of definition: [[id, label, day]]. */
function cycleDates(framework, cycle, registration) {
  const known = { starts_on: cycle.nominalStart, ends_on: cycle.endsOn };
  const out = new Map();
  if (framework.cycle.type === 'renewal_window') {
    const found = endsForWindow(framework, registration);
    let opens;
    if (!found) opens = shiftMonths(cycle.endsOn, -3) + 1;
    else {
      const endYear = ymd(cycle.endsOn).y;
      opens = yearly(endYear, found[1].opens);
      if (opens > cycle.endsOn) opens = yearly(endYear - 1, found[1].opens);
    }
    known.window_opens = opens;
    out.set('window_opens', ['Renewal window opens', opens]);
  }
  for (const rule of framework.dates) {
    let day = shiftMonths(known[rule.from], rule.months) + rule.days;
    const p = ymd(day);
    if (rule.snap === 'month_start') day = mk(p.y, p.m, 1);
    else if (rule.snap === 'month_end') day = mk(p.y, p.m, daysInMonth(p.y, p.m));
    known[rule.id] = day;
    out.set(rule.id, [rule.label, day]);
  }
  return out;
}

// --- counting ----------------------------------------------------------------------------------

const NOT_PARTICIPATORY_BY_DEFAULT = new Set(['reading', 'reflective_account', 'practice_hours']);

/** The facts the engine reads from an entry record's data (as pulled, or as saved on this phone). */
export function entryFacts(data, isDeleted = false) {
  return {
    id: data.id ?? null,
    kind: data.kind,
    title: data.title || '',
    start: toDay(data.start_date),
    end: data.end_date ? toDay(data.end_date) : null,
    hours: centi(data.hours),
    isParticipatory: data.is_participatory ?? !NOT_PARTICIPATORY_BY_DEFAULT.has(data.kind),
    includesPeerReflection: data.includes_peer_reflection ?? data.kind === 'peer_reflection',
    status: data.status || 'recorded',
    isDeleted: Boolean(isDeleted || data.is_deleted),
    standards: data.standards || [],
    details: data.details || null,
    hasImpact: Boolean(data.impact_on_practice || data.impact_on_people),
    signedRoles: null, // set by progress() from the inputs' signatures (null: the status decides)
  };
}

/** An activity's first and last day (engine.entry_days): an end before the start reads as one day. */
export function entryDays(e) { return [e.start, e.end !== null && e.end > e.start ? e.end : e.start]; }
/** Whether any day of the activity falls in first..last (engine.in_period). */
export function inPeriod(e, first, last) { const [a, b] = entryDays(e); return a <= last && b >= first; }
const activityDay = (e) => entryDays(e)[1];
const hasPeerReflection = (e) => Boolean(e.includesPeerReflection) || e.kind === 'peer_reflection';
function isSigned(e, role) {
  if (e.signedRoles === null || e.signedRoles === undefined) return e.status === 'signed_off';
  return role ? e.signedRoles.has(role) : e.signedRoles.size > 0;
}

function matches(rule, e, framework, since) {
  if (rule.kinds != null) { if (!rule.kinds.includes(e.kind)) return false; } else if (!framework.cpdKinds.has(e.kind)) return false;
  if (rule.participatory != null && Boolean(e.isParticipatory) !== rule.participatory) return false;
  if (rule.peer_reflection != null && hasPeerReflection(e) !== rule.peer_reflection) return false;
  return since === null || activityDay(e) >= since;
}

function whyNot(rule, e, ctx) {
  if ((rule.signed_off_only || rule.signed_by) && !isSigned(e, rule.signed_by)) return 'not_signed';
  if (rule.impact_described && !e.hasImpact) return 'no_impact';
  const after = rule.after_rule && ctx.after.has(rule.after_rule) ? ctx.after.get(rule.after_rule) : null;
  if (rule.after_rule && (after === null || e.start < after)) return 'before_accounts';
  return '';
}

/** The entries that count for a rule, and those of its kind that do not with the reason. */
function select(rule, ctx) {
  let chosen = []; const refused = [];
  for (const e of ctx.entries) {
    if (!matches(rule, e, ctx.framework, ctx.since)) continue;
    const reason = whyNot(rule, e, ctx);
    if (reason) refused.push({ id: e.id, reason }); else chosen.push(e);
  }
  if (rule.distinct_records) {
    const seen = new Map();
    for (const e of chosen) {
      const key = `${e.kind}\u0000${e.title.trim().toLowerCase()}\u0000${activityDay(e)}`;
      if (seen.has(key)) refused.push({ id: e.id, reason: 'identical', same_as: seen.get(key).id });
      else seen.set(key, e);
    }
    chosen = [...seen.values()];
  }
  return [chosen, refused];
}
const ids = (list) => list.map((e) => e.id);

/** value and target in hundredths. */
function status(value, target, ctx) {
  const { cycle, framework, today, since } = ctx;
  if (value >= target) return MET;
  if (today > cycle.endsOn) return NOT_MET;
  const start = since !== null ? since : cycle.startsOn;
  if (today < start) return ON_TRACK;
  if (cycle.endsOn - today < (framework.cycle.at_risk_days ?? 90)) return AT_RISK;
  // value < target × (elapsed − pace), elapsed = a / b, pace = pn / pd: compared exactly in integers.
  const a = today - start + 1;
  const b = cycle.endsOn - start + 1;
  const { num: pn, den: pd } = parseDecimal(framework.cycle.pace ?? 0.25);
  return value * b * pd < target * (a * pd - pn * b) ? AT_RISK : ON_TRACK;
}

function result(rule, st, value, target, { unit, missing, detail = {}, counted = [], refused = [] }) {
  return {
    id: rule.id, title: rule.title, status: st, value, target, unit, missing,
    advisory: rule.advisory || false, unconfirmed: rule.unconfirmed || false, ...detail,
    counted, not_counted: refused,
  };
}

const windowNote = (since, cycle) => (since !== null ? ` between ${dayText(since)} and ${dayText(cycle.endsOn)}` : '');

function measureSum(rule, ctx) {
  const { framework, cycle, today, since, registration } = ctx;
  const [matching, refused] = select(rule, ctx);
  let value; let unit;
  if (rule.measure === 'hours') {
    value = matching.reduce((s, e) => s + e.hours, 0);
    unit = rule.unit || 'hours';
  } else {
    value = matching.length * 100;
    unit = rule.unit || 'records';
  }
  let target = centi(rule.target);
  if (registration && registration.is_dual_registration && rule.dual_registration_target) target = centi(rule.dual_registration_target);
  const st = status(value, target, ctx);
  const remaining = Math.max(target - value, 0);
  const describe = rule.describe || unit;
  let missing = st === MET ? '' : `${fmtCenti(remaining)} more ${describe}${windowNote(since, cycle)}`;
  if (st !== MET && since !== null && today < since) missing += ` (not due before ${dayText(since)})`;
  return result(rule, st, value / 100, target / 100, { unit, missing, counted: ids(matching), refused });
}

function measureTypes(rule, ctx) {
  const { framework } = ctx;
  const [chosen, refused] = select(rule, ctx);
  const typed = chosen.filter((e) => e.kind in framework.activityTypeOf);
  const seen = new Set(typed.map((e) => framework.activityTypeOf[e.kind]));
  const value = seen.size * 100;
  const target = centi(rule.target);
  const st = status(value, target, ctx);
  const titles = [...seen].map((t) => framework.activityTypeTitles[t]).sort(byCodePoint);
  let missing = '';
  if (st !== MET) {
    const more = target - value;
    const soFar = titles.length ? ` (so far: ${titles.join(', ')})` : '';
    missing = `CPD of ${fmtCenti(more)} more ${more === 100 ? 'type' : 'types'} of activity${soFar}`;
  }
  return result(rule, st, value / 100, target / 100, { unit: rule.unit || 'types', missing, detail: { types: [...seen].sort(byCodePoint) }, counted: ids(typed), refused });
}

function byCodePoint(a, b) {
  const x = Array.from(a); const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

/** Runs of days from start to last (inclusive) with no activity that last `months` months or more. */
export function findGaps(days, start, last, months) {
  const gaps = [];
  let cursor = start;
  for (const [first, final] of [...days].sort((p, q) => p[0] - q[0] || p[1] - q[1])) {
    if (final < cursor) continue;
    if (first > cursor) {
      const gapEnd = Math.min(first - 1, last);
      if (gapEnd >= cursor && addMonthsClamped(cursor, months) <= gapEnd + 1) gaps.push([cursor, gapEnd]);
    }
    cursor = Math.max(cursor, final + 1);
    if (cursor > last) break;
  }
  if (cursor <= last && addMonthsClamped(cursor, months) <= last + 1) gaps.push([cursor, last]);
  return gaps;
}

/** Whether explanations ([first, last, id], day numbers) cover every day of a gap, and the ids of those touching it (engine.explained_by). */
export function explainedBy([from, to], explained) {
  const touching = explained.filter(([a, b]) => a <= to && b >= from).sort((p, q) => p[0] - q[0]);
  let cursor = from;
  for (const [a, b] of touching) {
    if (a > cursor) break;
    cursor = Math.max(cursor, b + 1);
  }
  return [cursor > to, touching.map((x) => x[2])];
}

function measureGaps(rule, ctx) {
  const { framework, cycle, today } = ctx;
  const last = Math.min(today, cycle.endsOn);
  const [all, refused] = select(rule, { ...ctx, since: null });
  const chosen = all.filter((e) => e.start <= cycle.endsOn);
  const days = chosen.map(entryDays); // every day of an activity covers, into the next cycle too
  const gaps = last >= cycle.startsOn ? findGaps(days, cycle.startsOn, last, rule.min_months) : [];
  // An explained gap (every day of it covered by the practitioner's explanations) is not at risk.
  const why = gaps.map((gap) => explainedBy(gap, ctx.explained || []));
  const open = gaps.filter((_, i) => !why[i][0]);
  const missing = open.map(([a, b]) => `explain the gap with no CPD from ${dayText(a)} to ${dayText(b)}`).join('; ');
  return result(rule, open.length ? AT_RISK : MET, open.length, 0, {
    unit: rule.unit || 'gaps',
    missing: missing.slice(0, 1).toUpperCase() + missing.slice(1),
    detail: { gaps: gaps.map(([a, b], i) => ({ from: isoDay(a), to: isoDay(b), explained: why[i][0], explanation_ids: why[i][1] })) },
    counted: ids(chosen),
    refused,
  });
}

function periods(start, end, period) {
  const out = [];
  let cursor = start; let n = 0;
  while (cursor <= end) {
    n += 1;
    const next = period === 'month' ? addMonthsClamped(start, n) : start + (period === 'week' ? 7 * n : 14 * n);
    out.push([cursor, next - 1]);
    cursor = next;
  }
  return out;
}

/** An entry's length in hundredths of a minute (details.duration_minutes, else its hours). */
function minutesCenti(e) {
  const details = e.details || {};
  if (details.duration_minutes) return Math.round(Number(details.duration_minutes) * 100);
  return e.hours * 60;
}

function measurePeriods(rule, ctx) {
  const { framework, cycle, today, registration } = ctx;
  let { period } = rule;
  const nq = rule.newly_qualified;
  const since = registration && registration.registered_since ? toDay(registration.registered_since) : null;
  if (nq && since !== null && shiftMonths(since, nq.within_months) > Math.min(today, cycle.endsOn)) period = nq.period;
  const minimum = rule.min_minutes;
  const [all, refused] = select(rule, { ...ctx, since: null });
  const chosen = all.filter((e) => minimum == null || minutesCenti(e) >= Math.round(minimum * 100));
  const sessions = chosen.map(activityDay);
  const upTo = Math.min(today, cycle.endsOn);
  const done = periods(cycle.startsOn, cycle.endsOn, period).filter((p) => p[1] <= upTo);
  const metPeriods = done.filter((p) => sessions.some((d) => p[0] <= d && d <= p[1]));
  const missed = done.filter((p) => !metPeriods.includes(p));
  const st = !missed.length ? MET : today > cycle.endsOn ? NOT_MET : AT_RISK;
  const length = minimum ? ` of at least ${minimum} minutes` : '';
  let missing = '';
  if (missed.length) {
    const listed = missed.slice(0, 6).map(([a, b]) => `${dayText(a)} to ${dayText(b)}`).join(', ');
    missing = `No session${length} recorded in ${missed.length} ${period}(s): ${listed}${missed.length > 6 ? '…' : ''}`;
  }
  return result(rule, st, metPeriods.length, done.length, {
    unit: rule.unit || `${period}s`,
    missing,
    detail: { period, missed: missed.map(([a, b]) => ({ from: isoDay(a), to: isoDay(b) })) },
    counted: ids(chosen),
    refused,
  });
}

function measureStandards(rule, ctx) {
  const { framework } = ctx;
  const wanted = [...rule.codes];
  // A standard is covered by its own code or, with_subpoints, by any of its sub-points.
  const covers = new Map(wanted.map((c) => [c, c]));
  for (const [code, subs] of Object.entries(rule.subpoints || {})) for (const sub of subs) if (!covers.has(sub)) covers.set(sub, code);
  const [chosen, refused] = select(rule, { ...ctx, since: null });
  const covering = []; const covered = new Set();
  for (const e of chosen) {
    const codes = (e.standards || []).filter((t) => t.framework === framework.id && covers.has(t.code)).map((t) => covers.get(t.code));
    if (codes.length) { covering.push(e); for (const c of codes) covered.add(c); }
  }
  const have = wanted.filter((c) => covered.has(c));
  const left = wanted.filter((c) => !covered.has(c));
  const value = have.length * 100; const target = wanted.length * 100;
  return result(rule, status(value, target, ctx), value / 100, target / 100, {
    unit: rule.unit || 'standards',
    missing: left.length ? `Not yet covered: ${left.join(', ')}` : '',
    detail: { covered: have },
    counted: ids(covering),
    refused,
  });
}

function evaluateRule(rule, ctx, dates) {
  const since = rule.from_date ? dates.get(rule.from_date)[1] : null;
  const c = { ...ctx, since };
  switch (rule.measure) {
    case 'count': case 'hours': return measureSum(rule, c);
    case 'distinct_activity_types': return measureTypes(rule, c);
    case 'gaps': return measureGaps(rule, c);
    case 'per_period': return measurePeriods(rule, c);
    default: return measureStandards(rule, c);
  }
}

function numbers(framework, entries, kindOrder) {
  const cpd = entries.filter((e) => framework.cpdKinds.has(e.kind));
  const byKind = {};
  for (const e of entries) byKind[e.kind] = (byKind[e.kind] || 0) + 1;
  const types = [...new Set(cpd.filter((e) => e.kind in framework.activityTypeOf).map((e) => framework.activityTypeOf[e.kind]))].sort(byCodePoint);
  const sum = (list) => list.reduce((s, e) => s + e.hours, 0) / 100;
  const ordered = {};
  for (const kind of kindOrder) if (byKind[kind]) ordered[kind] = byKind[kind];
  return {
    records: cpd.length,
    hours: sum(cpd),
    participatory_hours: sum(cpd.filter((e) => e.isParticipatory)),
    practice_hours: sum(entries.filter((e) => e.kind === 'practice_hours')),
    peer_reflections: cpd.filter(hasPeerReflection).length,
    signed_off: entries.filter((e) => isSigned(e)).length,
    by_kind: ordered,
    distinct_activity_types: types.length,
    activity_types: types,
  };
}

const worst = (list) => list.reduce((w, s) => (SEVERITY[s] > SEVERITY[w] ? s : w));

function overallStatus(rules, isOver) {
  const binding = rules.filter((r) => !r.advisory).map((r) => r.status);
  if (binding.length) return worst(binding);
  if (rules.length) { const w = worst(rules.map((r) => r.status)); return SEVERITY[w] > SEVERITY[AT_RISK] ? AT_RISK : w; }
  return isOver ? MET : ON_TRACK;
}

/** The day a count rule reached its target: the start of its target-th counted entry by date. */
function reachedOn(res, rule, ctx) {
  if (rule.measure !== 'count' || res.value < res.target || res.target < 1) return null;
  const [chosen] = select(rule, ctx);
  const days = chosen.map((e) => e.start).sort((p, q) => p - q);
  return days[res.target - 1];
}

function evaluateCycle(framework, cycle, entries, today, registration, kindOrder, explained = []) {
  const inCycle = []; const leftOut = [];
  // One order on every side: by start date, then id (engine.evaluate_cycle).
  const ordered = [...entries].sort((p, q) => p.start - q.start || byCodePoint(p.id ?? '', q.id ?? ''));
  for (const e of ordered) {
    if (e.isDeleted || e.status === 'draft') leftOut.push({ id: e.id, reason: e.isDeleted ? 'deleted' : e.status });
    else if (inPeriod(e, cycle.startsOn, cycle.endsOn)) inCycle.push(e);
    else leftOut.push({ id: e.id, reason: 'outside_cycle' });
  }
  const dates = cycleDates(framework, cycle, registration);
  const ctx = { framework, cycle, entries: inCycle, today, registration, since: null, explained, after: new Map() };
  const first = framework.requirements.map((r) => {
    const res = evaluateRule(r, ctx, dates);
    const reached = reachedOn(res, r, ctx);
    if (reached !== null) ctx.after.set(r.id, reached);
    return res;
  });
  // A rule held after another (after_rule) is measured once that one's day is known.
  const rules = framework.requirements.map((r, i) => (r.after_rule ? evaluateRule(r, ctx, dates) : first[i]));
  const figures = numbers(framework, inCycle, kindOrder);
  const withGaps = rules.find((r) => 'gaps' in r);
  figures.gaps = withGaps ? withGaps.gaps : [];
  const sortedDates = [...dates.entries()].map(([id, [label, day]]) => ({ id, label, day })).sort((p, q) => p.day - q.day);
  return {
    which: cycle.which,
    starts_on: isoDay(cycle.startsOn),
    ends_on: isoDay(cycle.endsOn),
    framework: ref(framework),
    status: overallStatus(rules, today > cycle.endsOn),
    rules,
    numbers: figures,
    not_counted: leftOut,
    dates: [...sortedDates.map((d) => ({ id: d.id, label: d.label, date: isoDay(d.day) })),
      { id: 'ends_on', label: 'Cycle ends', date: isoDay(cycle.endsOn) }],
    reminders: framework.reminders.map((r) => ({
      id: r.id, title: r.title, date: isoDay(dates.has(r.date) ? dates.get(r.date)[1] : cycle.endsOn),
    })),
  };
}

const ref = (f) => ({ id: f.id, version: f.version, name: f.name });

function registrationProgress(registration, versions, entries, today, kindOrder, explained = []) {
  if (!versions.length) return { framework: null, cycles: [], note: 'No framework is linked to this registration.' };
  const current = versionFor(versions, today);
  let cycles;
  try {
    cycles = cyclesFor(current, registration, today);
  } catch (err) {
    if (err instanceof NoCycle) return { framework: ref(current), cycles: [], note: err.message };
    throw err;
  }
  return {
    framework: ref(current),
    cycles: cycles.map((c) => evaluateCycle(versionFor(versions, c.nominalStart), c, entries, today, registration, kindOrder, explained)),
    note: '',
  };
}

const NO_REGISTRATION = { regulator: '', profession: '', registered_since: null, renewal_date: null, is_dual_registration: false };

function policyProgress(versions, entries, today, registration, kindOrder) {
  const current = versionFor(versions, today);
  const cycles = cyclesFor(current, NO_REGISTRATION, today);
  return {
    framework: ref(current),
    cycles: cycles.map((c) => evaluateCycle(versionFor(versions, c.nominalStart), c, entries, today, registration, kindOrder)),
    note: '',
  };
}

/**
 * Where one person stands, in the shape of GET /api/v1/progress's `people[i]` (registrations and
 * policies). `inputs` is GET /api/v1/progress/inputs; `entries` are entry facts (entryFacts());
 * `explanations` the person's gap explanations ({starts_on, ends_on, id}, as pulled; deleted ones are skipped).
 */
export function progress(inputs, entries, today, explanations = []) {
  const day = typeof today === 'number' ? today : toDay(today);
  const explained = explanations.filter((x) => x && !x.is_deleted).map((x) => [toDay(x.starts_on), toDay(x.ends_on), x.id]);
  const kindOrder = inputs.kind_order || [];
  const frameworks = (inputs.frameworks || []).map((f) => [f.id, f.versions.map(compileFramework)]);
  const byId = new Map(frameworks);
  // The sign-offs that still stand, by entry id (engine.EntryFacts.signed_roles); without them the status decides.
  const sigs = inputs.signatures;
  const counted = sigs ? entries.map((e) => ({
    ...e, signedRoles: new Set(e.status === 'signed_off' && !e.isDeleted ? (sigs[e.id] || []) : []),
  })) : entries;
  const registrations = inputs.registrations || [];
  const regs = registrations.map((reg) => ({
    registration_id: reg.registration_id,
    regulator: reg.regulator,
    profession: reg.profession,
    registration_number: reg.registration_number,
    ...registrationProgress(reg, byId.get(reg.framework_id || '') || [], counted, day, kindOrder, explained),
  }));
  const regulators = new Set(registrations.map((r) => r.regulator));
  const areas = new Set(inputs.service_areas || []);
  const policies = [];
  for (const [, versions] of frameworks) {
    const current = versionFor(versions, day);
    const applies = current.appliesTo || {};
    if (current.kind !== 'supervision_policy') continue;
    if (!((applies.regulators || []).some((r) => regulators.has(r)) || (applies.service_areas || []).some((a) => areas.has(a)))) continue;
    const reg = registrations.find((r) => (applies.regulators || []).includes(r.regulator)) || null;
    policies.push(policyProgress(versions, counted, day, reg, kindOrder));
  }
  return { user_id: inputs.user_id, registrations: regs, policies };
}

/** Today on this phone's calendar, as the engine's day number. */
export function localToday(now = new Date()) {
  return mk(now.getFullYear(), now.getMonth() + 1, now.getDate());
}
