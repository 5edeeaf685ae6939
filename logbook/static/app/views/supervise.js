// Supervisor: entries shared by the people they supervise that wait for sign-off.

import { navigation, formatDate, formatHours, h, mount } from '../dom.js';
import { KIND_LABELS } from '../kinds.js';
import { emptyState, visibleEntries } from './common.js';

export async function superviseScreen(ctx) {
  const nav = navigation.id;
  const entries = (await visibleEntries(ctx.store)).filter((r) => r.data.owner_id && r.data.owner_id !== ctx.user.id);
  const waiting = entries.filter((r) => r.data.status === 'submitted');
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'supervise-title' },
    h('h1', { id: 'supervise-title' }, 'Sign-offs'),
    h('p', { class: 'muted' }, 'Entries the people you supervise have asked you to sign off.'),
    waiting.length ? h('ul', { class: 'entry-list' }, waiting.map((r) => h('li', { class: 'entry-row' },
      h('a', { href: `/app/entry/${r.id}` }, h('span', { class: 'entry-title' }, r.data.title),
        h('span', { class: 'entry-meta' }, [formatDate(r.data.start_date), KIND_LABELS[r.data.kind], formatHours(r.data.hours)].join(' · '))))))
      : emptyState('Nothing waits for your sign-off.'),
    h('h2', {}, 'Shared with you'),
    h('p', { class: 'muted' }, `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} from your supervisees are on this phone.`)), { nav });
}
