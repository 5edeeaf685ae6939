// Organisation insights (org admins and team managers, online only): filters, one view at a time as an
// accessible SVG chart with the same numbers in a table, suppressed cells as "fewer than N", CSV download.
// The server decides who may see what (403 for anyone else) and does all the counting and suppression.

import { ApiError, api, urls } from '../api.js';
import { field, formatDate, h, mount, navigation } from '../dom.js';
import { KIND_LABELS } from '../kinds.js';

const FILTERS = ['date_from', 'date_to', 'team_id', 'service_area', 'profession', 'job_role_id'];
const DEFAULT_VIEW = 'learning-mix-profession';
const STATUS_LABELS = {
  met: 'Met', on_track: 'On track', at_risk: 'At risk', not_met: 'Not met', no_framework: 'No framework',
  on_time: 'On time', overdue: 'Overdue', no_frequency: 'No frequency set',
};
const AREA_LABELS = {
  education: 'Education', early_years: 'Early years', early_help: 'Early help', send: 'SEND',
  social_care: 'Social care', health: 'Health', business_support: 'Business support', other: 'Other', unspecified: 'Unspecified',
};
const BAND_LABELS = { 0: 'No hours', '0-10': 'Up to 10 h', '10-20': '10 to 20 h', '20-30': '20 to 30 h', '30+': 'Over 30 h' };
const MEASURE_LABELS = { entries: 'Entries', hours: 'Hours', people: 'People' };
const ROW_HEADINGS = {
  'learning-mix-profession': 'Kind of learning', 'learning-mix-team': 'Kind of learning', 'equity-profession': 'Profession',
  'equity-service-area': 'Service area', 'common-core': 'Profession', 'cross-professional-shadowing': 'Own profession',
  'cross-professional-joint': 'Own profession', trends: 'Month', compliance: 'Regulator', supervision: 'Job role',
};

/** A readable label for a row or column name of a view. */
export function labelFor(view, name) {
  if (name === '__total__') return 'Total';
  if (KIND_LABELS[name]) return KIND_LABELS[name];
  if (STATUS_LABELS[name]) return STATUS_LABELS[name];
  if (view.startsWith('equity') && BAND_LABELS[name]) return BAND_LABELS[name];
  if (view === 'common-core') return `Area ${name}`;
  if (AREA_LABELS[name] && view === 'equity-service-area') return AREA_LABELS[name];
  return name;
}

/** What a cell says: its number, or "fewer than N" when it is suppressed (never a number). */
export function cellText(cell, measure, threshold) {
  if (!cell || cell.suppressed) return `fewer than ${threshold}`;
  const value = cell[measure] ?? 0;
  return measure === 'hours' ? String(Math.round(Number(value) * 10) / 10) : String(value);
}

function query(filters, extra = {}) {
  const q = new URLSearchParams();
  for (const key of FILTERS) if (filters[key]) q.set(key, filters[key]);
  for (const [key, value] of Object.entries(extra)) if (value) q.set(key, value);
  const text = q.toString();
  return text ? `?${text}` : '';
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

let chartId = 0;
/** A horizontal bar chart of each row's total (one measure), every bar labelled with its name and
 * number in text; a suppressed row is an outlined, hatched bar reading "fewer than N". */
export function barChart(view, data, measure, title) {
  chartId += 1;
  const id = `chart-${chartId}`;
  const rows = data.rows.map((name, i) => ({ name, cell: data.row_totals[i] }));
  const shown = rows.filter((r) => !r.cell.suppressed).map((r) => Number(r.cell[measure] || 0));
  const max = Math.max(1, ...shown);
  const width = 340; const rowH = 40; const top = 4;
  const height = top + rows.length * rowH + 4;
  const described = rows.map((r) => `${labelFor(view, r.name)}: ${cellText(r.cell, measure, data.threshold)}`).join('; ');
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', class: 'chart',
    'aria-labelledby': `${id}-title ${id}-desc`, focusable: 'false',
  },
  s('title', { id: `${id}-title` }, title),
  s('desc', { id: `${id}-desc` }, described || 'No data in this view.'),
  s('defs', {}, s('pattern', { id: `${id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    s('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'chart-hatch' }))));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const text = cellText(r.cell, measure, data.threshold);
    svg.append(s('text', { x: 0, y: y + 12, class: 'chart-label' }, labelFor(view, r.name)));
    if (r.cell.suppressed) {
      svg.append(s('rect', { x: 0, y: y + 17, width: 60, height: 14, class: 'chart-bar-hidden', fill: `url(#${id}-hatch)` }));
      svg.append(s('text', { x: 66, y: y + 29, class: 'chart-value' }, text));
    } else {
      const w = Math.max(1, Math.round((Number(r.cell[measure] || 0) / max) * (width - 90)));
      svg.append(s('rect', { x: 0, y: y + 17, width: w, height: 14, class: 'chart-bar' }));
      svg.append(s('text', { x: w + 6, y: y + 29, class: 'chart-value' }, text));
    }
  });
  return svg;
}

/** The same numbers as a table: one measure, rows by columns with totals. */
export function numbersTable(view, data, measure, caption) {
  const t = data.threshold;
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': `${caption} (table)` },
    h('table', { class: 'numbers' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ROW_HEADINGS[view] || 'Group'),
        data.columns.map((c) => h('th', { scope: 'col' }, labelFor(view, c))), h('th', { scope: 'col' }, 'Total'))),
      h('tbody', {}, data.rows.map((r, i) => h('tr', {},
        h('th', { scope: 'row' }, labelFor(view, r)),
        data.cells[i].map((cell) => h('td', { class: cell.suppressed ? 'hidden-cell' : '' }, cellText(cell, measure, t))),
        h('td', { class: data.row_totals[i].suppressed ? 'hidden-cell total' : 'total' }, cellText(data.row_totals[i], measure, t))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Total'),
        data.column_totals.map((cell) => h('td', { class: cell.suppressed ? 'hidden-cell total' : 'total' }, cellText(cell, measure, t))),
        h('td', { class: 'total' }, cellText(data.total, measure, t))))));
}

const STAT_LABELS = { q1: 'Lower quartile', median: 'Median', q3: 'Upper quartile', mean: 'Mean', mean_rating: 'Mean rating' };

/** Per-row statistics (equity: quartiles and mean; other views may add their own, e.g. a mean rating). */
function statisticsTable(view, data) {
  const rows = [...data.rows.map((r, i) => [r, data.statistics[i] || {}]), ['__total__', data.overall_statistics || {}]];
  const keys = [...new Set(rows.flatMap(([, st]) => Object.keys(st)))].filter((k) => k !== 'row' && k !== 'suppressed');
  if (!keys.length) return null;
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Statistics (table)' },
    h('table', { class: 'numbers' },
      h('caption', {}, view.startsWith('equity') ? 'Hours per person: quartiles and mean' : 'Statistics'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ROW_HEADINGS[view] || 'Group'), keys.map((k) => h('th', { scope: 'col' }, STAT_LABELS[k] || k)))),
      h('tbody', {}, rows.map(([r, st]) => h('tr', {},
        h('th', { scope: 'row' }, labelFor(view, r)),
        st.suppressed ? h('td', { colspan: String(keys.length), class: 'hidden-cell' }, `fewer than ${data.threshold} people`)
          : keys.map((k) => h('td', {}, st[k] === null || st[k] === undefined ? 'not shown' : String(st[k]))))))));
}

function atRiskList(data) {
  if (!data.at_risk) return null;
  return h('div', {},
    h('h3', {}, 'People at risk before their renewal date'),
    data.at_risk.length ? h('ul', { class: 'at-risk' }, data.at_risk.map((p) => h('li', {},
      h('strong', {}, p.name), ` (${p.team}), ${p.regulator}: cycle ends ${formatDate(p.cycle_ends_on)}`)))
      : h('p', { class: 'muted' }, 'Nobody in this view is at risk.'));
}

function freshness(data) {
  if (data.computed_at) {
    return h('p', { class: 'muted' }, `Statuses worked out on ${formatDate(data.computed_at)} for ${formatDate(data.as_of)} (refreshed daily), from entries shared with the organisation.`);
  }
  return data.as_of ? h('p', { class: 'muted' }, `As of ${formatDate(data.as_of)}.`) : null;
}

function viewBlock(viewId, meta, data, filters, measure) {
  const measures = data.measures;
  const chosen = measures.includes(measure) ? measure : measures[0];
  const caption = `${meta.title}: ${(MEASURE_LABELS[chosen] || chosen).toLowerCase()}`;
  const picker = measures.length > 1 ? h('fieldset', { class: 'choices measures' }, h('legend', {}, 'Show'),
    measures.map((m) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'measure', value: m, checked: m === chosen }), MEASURE_LABELS[m] || m))) : null;
  return h('section', { class: 'card insight', 'aria-labelledby': 'insight-view-title' },
    h('h2', { id: 'insight-view-title' }, meta.title),
    meta.description ? h('p', {}, meta.description) : null,
    h('p', { class: 'muted' }, `Numbers about fewer than ${data.threshold} people are hidden and read “fewer than ${data.threshold}”; so are a few more, so that totals cannot reveal them.`),
    freshness(data),
    picker,
    h('h3', {}, `${MEASURE_LABELS[chosen] || chosen} by ${(ROW_HEADINGS[viewId] || 'group').toLowerCase()}`),
    barChart(viewId, data, chosen, `${meta.title}: ${(MEASURE_LABELS[chosen] || chosen).toLowerCase()} by ${(ROW_HEADINGS[viewId] || 'group').toLowerCase()}`),
    numbersTable(viewId, data, chosen, caption),
    data.statistics ? statisticsTable(viewId, data) : null,
    atRiskList(data),
    h('p', {}, h('a', { class: 'button secondary', href: urls.insightsCsv(viewId, query(filters)), download: `insights-${viewId}.csv` },
      `Download ${meta.title} (CSV)`)));
}

function select(name, label, options, current) {
  const input = h('select', { name },
    h('option', { value: '' }, 'All'),
    options.map(([value, text]) => h('option', { value, selected: value === current }, text)));
  return field(label, input).wrap;
}

function filterForm(ctx, options, filters, viewId) {
  const form = h('form', { class: 'card filters', 'aria-label': 'Insight filters' },
    select('view', 'View', options.views.map((v) => [v.id, v.title]), viewId),
    details(options, filters),
    h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.querySelector('select[name=view] option[value=""]').remove();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const key of FILTERS) next[key] = data.get(key) || '';
    ctx.go(`/app/insights${query(next, { view: data.get('view') })}`);
  });
  return form;
}

function details(options, filters) {
  const open = FILTERS.some((k) => filters[k]);
  return h('details', { class: 'more', open },
    h('summary', {}, open ? 'Filters (some set)' : 'Filters'),
    field('From', h('input', { type: 'date', name: 'date_from', value: filters.date_from || '' })).wrap,
    field('To', h('input', { type: 'date', name: 'date_to', value: filters.date_to || '' })).wrap,
    select('team_id', 'Team', options.teams.map((t) => [t.id, t.name]), filters.team_id),
    select('service_area', 'Service area', options.service_areas.map((a) => [a, AREA_LABELS[a] || a]), filters.service_area),
    select('profession', 'Profession', options.professions.map((p) => [p, p]), filters.profession),
    select('job_role_id', 'Job role', options.job_roles.map((r) => [r.id, r.name]), filters.job_role_id));
}

function problem(title, text) {
  return h('section', { class: 'card', 'aria-labelledby': 'insights-title' }, h('h1', { id: 'insights-title' }, title), h('p', {}, text));
}

export async function insightsScreen(ctx) {
  const nav = navigation.id;
  const root = document.getElementById('view');
  if (!navigator.onLine) {
    mount(root, problem('Insights', 'Insights need a connection: they are worked out on the server from the whole organisation. Try again when you are online.'), { nav });
    return;
  }
  const params = new URLSearchParams(location.search);
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  let options;
  try {
    options = await api.insightViews();
  } catch (err) {
    const text = err instanceof ApiError && err.status === 403 ? 'Insights are for org admins and team managers.'
      : err instanceof ApiError && err.status === 0 ? 'Insights need a connection. Try again when you are online.'
        : 'Insights could not be loaded. Try again.';
    mount(root, problem('Insights', text), { nav });
    return;
  }
  const viewId = options.views.some((v) => v.id === params.get('view')) ? params.get('view') : DEFAULT_VIEW;
  const meta = options.views.find((v) => v.id === viewId);
  const status = h('div', { class: 'insight-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  mount(root, h('div', {},
    h('h1', { id: 'insights-title' }, 'Insights'),
    h('p', { class: 'muted' }, 'Counts of CPD shared with the organisation (never anyone’s reflections), for the people you may see.'),
    filterForm(ctx, options, filters, viewId),
    status), { nav });
  let data;
  try {
    data = await api.insight(viewId, query(filters));
  } catch (err) {
    if (nav !== navigation.id) return;
    const fields = err instanceof ApiError && Object.keys(err.fields).length ? err.fields : null;
    status.replaceChildren(h('p', { class: 'field-error', role: 'alert' },
      fields ? Object.entries(fields).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('. ')
        : 'This view could not be loaded. Try again.'));
    return;
  }
  if (nav !== navigation.id) return;
  let measure = data.measures[0];
  const draw = () => {
    status.replaceChildren(viewBlock(viewId, meta, data, filters, measure));
    for (const radio of status.querySelectorAll('input[name=measure]')) {
      radio.addEventListener('change', () => { measure = radio.value; draw(); status.querySelector(`input[value=${measure}]`).focus(); });
    }
  };
  draw();
}
