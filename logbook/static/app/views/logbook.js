// The logbook: search and filter every entry on the phone. Rows are rendered in slices of 40 as
// the user scrolls, so 2,000 entries open as fast as 40 and scrolling stays smooth.

import { navigation, formatDate, formatHours, h, mount, stateBadge } from '../dom.js';
import { KIND_LABELS, STATUS_LABELS } from '../kinds.js';
import { emptyState, visibleEntries } from './common.js';

const SLICE = 40;

/** The comment of each returned entry's latest request, from the pulled requests (works offline). */
export function returnComments(requests) {
  const latest = new Map();
  for (const q of requests) {
    const seen = latest.get(q.entry_id);
    if (!seen || seen.created_at < q.created_at) latest.set(q.entry_id, q);
  }
  const out = new Map();
  for (const [entryId, q] of latest) {
    if (q.state === 'returned' && q.decision && q.decision.comment) out.set(entryId, { comment: q.decision.comment, by: q.decision.signer_name || '' });
  }
  return out;
}

function row(r, comments) {
  const d = r.data;
  const returned = d.status === 'returned' ? comments.get(r.id) : null;
  return h('li', { class: 'entry-row' },
    h('a', { href: `/app/entry/${r.id}` },
      h('span', { class: 'entry-title' }, d.title || '(untitled)'),
      h('span', { class: 'entry-meta' }, [formatDate(d.start_date), KIND_LABELS[d.kind] || d.kind, formatHours(d.hours)].filter(Boolean).join(' · ')),
      h('span', { class: 'entry-badges' },
        r.display !== 'synced' ? stateBadge(r.display) : null,
        d.status && d.status !== 'recorded' ? h('span', { class: `badge badge-status-${d.status}` }, STATUS_LABELS[d.status] || d.status) : null),
      returned ? h('span', { class: 'entry-comment' }, `“${returned.comment}”${returned.by ? ` (${returned.by})` : ''}`) : null));
}

/**
 * The sign-off states the logbook filters by: each is an entry status (kinds.js STATUS_LABELS, held
 * equal to the server's frameworks/kinds.py by tests/js/test_pwa_parity.py), so the list, its
 * badges and Home's counts all read the one `status` field the server sets.
 */
export const STATUS_FILTERS = ['draft', 'submitted', 'returned', 'signed_off'];

/** `?show=signoff` (older links) meant "awaiting sign-off": read it as `?status=submitted`. */
export function filtersFromSearch(search) {
  const params = new URLSearchParams(search);
  let status = params.get('status') || '';
  let show = params.get('show') || '';
  if (show === 'signoff') { status = status || 'submitted'; show = ''; }
  if (!STATUS_FILTERS.includes(status)) status = '';
  if (!['attention', 'waiting'].includes(show)) show = '';
  return { q: params.get('q') || '', kind: params.get('kind') || '', status, show };
}

export function filterEntries(entries, { q = '', kind = '', status = '', show = '' }) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  return entries.filter((r) => {
    if (kind && r.data.kind !== kind) return false;
    if (status && (r.data.status || 'recorded') !== status) return false;
    if (show === 'attention' && r.display !== 'conflict' && r.display !== 'rejected') return false;
    if (show === 'waiting' && r.display !== 'pending') return false;
    if (!words.length) return true;
    if (!r.search) {
      const d = r.data;
      r.search = [d.title, d.description, KIND_LABELS[d.kind], d.start_date, d.reflection && Object.values(d.reflection.answers || {}).join(' ')]
        .filter(Boolean).join(' ').toLowerCase();
    }
    return words.every((w) => r.search.includes(w));
  });
}

export async function logbookScreen(ctx) {
  const nav = navigation.id;
  const started = performance.now();
  const params = filtersFromSearch(location.search);
  let generation = ctx.store.generation; // what the list is drawn from, read before it is drawn
  const mine = (list) => list.filter((r) => !r.data.owner_id || r.data.owner_id === ctx.user.id);
  const commentsFor = async (entries) => (entries.some((r) => r.data.status === 'returned')
    ? returnComments(await ctx.store.records('sign_off_request')) : new Map());
  let all = mine(await visibleEntries(ctx.store));
  let comments = await commentsFor(all);
  const q = h('input', { type: 'search', id: 'q', name: 'q', placeholder: 'Title, words, kind…', autocomplete: 'off', value: params.q });
  const kind = h('select', { id: 'kind-filter', name: 'kind' }, h('option', { value: '' }, 'All kinds'),
    Object.entries(KIND_LABELS).map(([v, l]) => h('option', { value: v, selected: v === params.kind }, l)));
  const status = h('select', { id: 'status-filter', name: 'status' }, h('option', { value: '' }, 'Any status'),
    STATUS_FILTERS.map((v) => h('option', { value: v, selected: v === params.status }, STATUS_LABELS[v])));
  const show = h('select', { id: 'show-filter', name: 'show' },
    [['', 'All entries'], ['attention', 'Needs your attention'], ['waiting', 'Waiting to sync']]
      .map(([v, l]) => h('option', { value: v, selected: v === params.show }, l)));
  const count = h('p', { class: 'muted', id: 'result-count', role: 'status' });
  const list = h('ul', { class: 'entry-list', id: 'entry-list', 'aria-labelledby': 'logbook-title' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'show-more' }, 'Show more');
  const empty = emptyState('No entries yet.', h('a', { href: '/app/log', class: 'button primary' }, 'Log your first CPD'));
  let rows = [];
  let shown = 0;

  const renderSlice = () => {
    const frag = document.createDocumentFragment();
    for (const r of rows.slice(shown, shown + SLICE)) frag.append(row(r, comments));
    list.append(frag);
    shown = Math.min(rows.length, shown + SLICE);
    more.hidden = shown >= rows.length;
  };
  const apply = ({ keepShown = 0 } = {}) => {
    rows = filterEntries(all, { q: q.value, kind: kind.value, status: status.value, show: show.value });
    shown = 0;
    list.replaceChildren();
    do renderSlice(); while (shown < Math.min(keepShown, rows.length));
    empty.hidden = all.length > 0;
    const hours = rows.reduce((sum, r) => sum + (Number(r.data.hours) || 0), 0);
    count.textContent = [`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}`, status.value ? STATUS_LABELS[status.value].toLowerCase() : '',
      formatHours(hours)].filter(Boolean).join(' · ');
    const url = new URLSearchParams();
    if (q.value) url.set('q', q.value);
    if (kind.value) url.set('kind', kind.value);
    if (status.value) url.set('status', status.value);
    if (show.value) url.set('show', show.value);
    history.replaceState(null, '', `/app/logbook${url.toString() ? `?${url}` : ''}`);
  };
  let timer = null;
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(apply, 150); });
  kind.addEventListener('change', apply);
  status.addEventListener('change', apply);
  show.addEventListener('change', apply);
  more.addEventListener('click', renderSlice);

  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  if ('IntersectionObserver' in window) {
    new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting) && shown < rows.length) renderSlice(); },
      { rootMargin: '600px' }).observe(sentinel);
  }

  const shown_ = mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'logbook-title' },
    h('h1', { id: 'logbook-title' }, 'Logbook'),
    h('p', {}, h('a', { href: '/app/sessions', id: 'sessions-link' }, 'Supervision sessions')),
    h('div', { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'q' }, 'Search'), q),
      h('div', { class: 'filter-row' },
        h('div', { class: 'field' }, h('label', { for: 'kind-filter' }, 'Kind'), kind),
        h('div', { class: 'field' }, h('label', { for: 'status-filter' }, 'Sign-off status'), status),
        h('div', { class: 'field' }, h('label', { for: 'show-filter' }, 'Show'), show))),
    count,
    empty, list, sentinel, more), { nav });
  if (!shown_) return;
  apply();

  // A sync that changes the entries on this phone (another device's entry pulled, one signed off or
  // returned) updates the list in place: the search, the filters and how far it was scrolled stay.
  const onStatus = async () => {
    if (!list.isConnected) { document.removeEventListener('sync-status', onStatus); return; }
    if (ctx.store.generation === generation) return;
    const mark = ctx.store.generation;
    generation = mark;
    const fresh = mine(await visibleEntries(ctx.store));
    const freshComments = await commentsFor(fresh);
    if (generation !== mark || !list.isConnected) return; // a later change is being drawn, or the screen left
    all = fresh;
    comments = freshComments;
    apply({ keepShown: shown });
  };
  document.addEventListener('sync-status', onStatus);
  document.body.dataset.logbookRenderMs = String(Math.round(performance.now() - started));
}
