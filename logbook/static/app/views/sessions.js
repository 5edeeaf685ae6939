// Supervision sessions on the phone, offline: the list, recording one (date, length, format, agenda,
// shared summary, agreed actions with owner and due date), and one session's record with its actions
// and those carried forward until closed, confirming it, and its sign-off. Every change is an outbox
// mutation (entities "supervision_session", "supervision_session_confirm", "session_sign_off_request",
// "session_sign_off"); both people's phones pull the session back from the server.

import { field, formatDate, h, mount, navigation, todayIso } from '../dom.js';
import { closeSessionActions, confirmSession, decideSessionSignOff, newId, recordSession, requestSessionSignOff } from '../outbox.js';
import { emptyState } from './common.js';
import { linkedPeople } from './signoff-request.js';

const FORMATS = { individual: 'Individual', group: 'Group', peer: 'Peer' };
const ENTITY = 'supervision_session';

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${formatDate(todayIso(d))} ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
}

function other(ctx, s) {
  return s.supervisor_id === ctx.user.id
    ? { id: s.supervisee_id, name: s.supervisee_name || 'your supervisee' }
    : { id: s.supervisor_id, name: s.supervisor_name || 'your supervisor' };
}

function noteLine(note) {
  if (!note) return null;
  if (note.state === 'pending') return h('span', { class: 'badge badge-pending' }, 'Waiting to sync');
  if (note.state === 'rejected' || note.state === 'conflict') return h('span', { class: 'badge badge-conflict' }, 'Not accepted');
  return null;
}

function openCount(s) {
  return (s.actions || []).filter((a) => !a.closed_at).length;
}

/** Sessions on this phone, newest first. */
export async function sessionsScreen(ctx) {
  const nav = navigation.id;
  const all = (await ctx.store.records(ENTITY)).sort((a, b) => (a.starts_at < b.starts_at ? 1 : -1));
  const rows = await Promise.all(all.map(async (s) => ({ s, note: await ctx.store.getCached(`${ENTITY}:${s.id}`) })));
  mount(document.getElementById('view'), h('section', { 'aria-labelledby': 'sessions-title' },
    h('h1', { id: 'sessions-title' }, 'Supervision'),
    h('p', {}, h('a', { href: '/app/sessions/new', class: 'button primary', id: 'record-session' }, 'Record a session')),
    rows.length ? h('ul', { class: 'entry-list', id: 'session-list' }, rows.map(({ s, note }) => h('li', { class: 'entry-row' },
      h('a', { href: `/app/sessions/${s.id}` },
        h('span', { class: 'entry-title' }, `${when(s.starts_at)} with ${other(ctx, s).name}`),
        h('span', { class: 'entry-meta' }, [FORMATS[s.format] || s.format, `${s.duration_minutes} min`,
          s.is_cancelled ? 'Cancelled' : s.is_confirmed ? 'Confirmed by both' : 'Not yet confirmed by both'].join(' · ')),
        h('span', { class: 'entry-badges' }, noteLine(note),
          openCount(s) ? h('span', { class: 'badge' }, `${openCount(s)} open action${openCount(s) === 1 ? '' : 's'}`) : null)))))
      : emptyState('No supervision sessions on this phone yet.')), { nav });
}

function actionRow(people, { me }) {
  const description = field('Action', h('input', { name: 'action_description', maxlength: 2000 }));
  const owner = field('Who will do it', h('select', { name: 'action_owner' },
    people.map((p) => h('option', { value: p.id, selected: p.id === me }, p.name))));
  const due = field('Due by (optional)', h('input', { name: 'action_due', type: 'date' }));
  return { wrap: h('fieldset', { class: 'action-row' }, h('legend', {}, 'Agreed action'), description.wrap, owner.wrap, due.wrap), description, owner, due };
}

/** Record a session (with its agreed actions), stored on the phone and queued for the server. */
export async function newSessionScreen(ctx) {
  const nav = navigation.id;
  const people = await linkedPeople(ctx.store);
  const partners = [
    ...people.supervisors.map((p) => ({ ...p, role: 'supervisor' })),
    ...people.supervisees.map((p) => ({ ...p, role: 'supervisee' })),
  ];
  const view = document.getElementById('view');
  if (!partners.length) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Record a session'),
      h('p', {}, people.fetchedAt ? 'Nobody is linked to you by supervision yet; ask your team manager.'
        : 'The people you supervise, or who supervise you, appear here once the app has been online.'),
      h('a', { href: '/app/sessions' }, 'Back to supervision')), { nav });
    return;
  }
  // Home's "supervision overdue" line opens this screen with that supervisee chosen (?with=id).
  const chosen = new URLSearchParams(window.location.search).get('with');
  const withWhom = field('With', h('select', { name: 'partner' }, partners.map((p) => h('option', { value: `${p.role}:${p.id}`, selected: chosen === String(p.id) },
    `${p.name} (${p.role === 'supervisor' ? 'your supervisor' : 'you supervise'})`))));
  const date = field('Date', h('input', { name: 'date', type: 'date', value: todayIso(), required: true }));
  const time = field('Start time', h('input', { name: 'time', type: 'time', value: '10:00', required: true }));
  const duration = field('Length in minutes', h('input', { name: 'duration', type: 'number', inputmode: 'numeric', min: 5, max: 600, value: 90, required: true }));
  const format = h('fieldset', { class: 'choices' }, h('legend', {}, 'Format'),
    Object.entries(FORMATS).map(([v, l]) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'format', value: v, checked: v === 'individual' }), h('span', {}, l))));
  const agenda = field('Agenda', h('textarea', { name: 'agenda', rows: 3, maxlength: 20000 }));
  const summary = field('Shared summary', h('textarea', { name: 'summary', rows: 5, maxlength: 50000 }),
    { hint: 'Both of you confirm this record. Keep casework details to what the record needs.' });
  const actionsBox = h('div', { id: 'actions' });
  const actionRows = [];
  const partnerOf = () => partners.find((p) => `${p.role}:${p.id}` === withWhom.input.value);
  const addAction = () => {
    const p = partnerOf();
    const row = actionRow([{ id: ctx.user.id, name: `Me (${ctx.user.name})` }, { id: p.id, name: p.name }], { me: ctx.user.id });
    actionRows.push(row);
    actionsBox.append(row.wrap);
    row.description.input.focus();
  };
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'new-session-title' },
    h('h1', { id: 'new-session-title' }, 'Record a session'),
    withWhom.wrap, date.wrap, time.wrap, duration.wrap, format, agenda.wrap, summary.wrap,
    h('h2', {}, 'Agreed actions'), actionsBox,
    h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'add-action', onclick: addAction }, 'Add an action')),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Save session'),
    h('p', {}, h('a', { href: '/app/sessions' }, 'Back to supervision')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const minutes = Number(duration.input.value);
    const start = new Date(`${date.input.value}T${time.input.value || '00:00'}`);
    if (!date.input.value || Number.isNaN(start.getTime())) { error.textContent = 'Enter the date and start time.'; date.input.focus(); return; }
    if (!(minutes >= 5 && minutes <= 600)) { error.textContent = 'The length must be between 5 and 600 minutes.'; duration.input.focus(); return; }
    const p = partnerOf();
    const actions = actionRows.filter((r) => r.description.input.value.trim()).map((r) => ({
      id: newId(), description: r.description.input.value.trim(), owner_id: r.owner.input.value, due_on: r.due.input.value || null,
    }));
    const fields = {
      supervisor_id: p.role === 'supervisor' ? p.id : ctx.user.id,
      supervisee_id: p.role === 'supervisor' ? ctx.user.id : p.id,
      starts_at: start.toISOString(), duration_minutes: minutes,
      format: form.querySelector('input[name=format]:checked').value,
      agenda: agenda.input.value, summary: summary.input.value, actions,
    };
    const id = await recordSession(ctx.store, fields, {
      supervisor_name: p.role === 'supervisor' ? p.name : ctx.user.name, supervisee_name: p.role === 'supervisor' ? ctx.user.name : p.name,
    });
    ctx.changed();
    ctx.go(`/app/sessions/${id}`);
  });
  mount(view, form, { nav });
}

async function queue(ctx, s, queued) {
  await queued;
  ctx.changed();
  sessionScreen(ctx, s.id);
}

function actionsList(ctx, s, list, { carried }) {
  if (!list.length) return null;
  return h('ul', { class: 'list plain actions-list' }, list.map((a) => {
    const owner = a.owner_id === ctx.user.id ? 'You' : other(ctx, s).name;
    const close = !a.closed_at && s.version ? h('button', { type: 'button', class: 'secondary', onclick: () => queue(ctx, s, closeSessionActions(ctx.store, s, [a.id])) }, 'Mark done') : null;
    return h('li', {}, h('p', {}, h('strong', {}, a.description)),
      h('p', { class: 'muted' }, [owner, a.due_on ? `due ${formatDate(a.due_on)}` : null, a.closed_at ? 'done' : carried ? 'carried forward' : 'open'].filter(Boolean).join(' · ')),
      close);
  }));
}

let current = null; // the session screen on show; older listeners retire themselves

/** One session: the record, actions, confirmation and sign-off. */
export async function sessionScreen(ctx, id, { redraw = false } = {}) {
  const nav = navigation.id;
  const view = document.getElementById('view');
  const s = await ctx.store.getRecord(ENTITY, id);
  if (!s) {
    mount(view, h('section', { class: 'card' }, h('h1', {}, 'Session not found'),
      h('p', {}, 'This session is not on this phone.'), h('a', { href: '/app/sessions' }, 'Back to supervision')), { nav });
    return;
  }
  const note = await ctx.store.getCached(`${ENTITY}:${id}`);
  const partner = other(ctx, s);
  const iAmSupervisor = s.supervisor_id === ctx.user.id;
  const myConfirm = iAmSupervisor ? s.supervisor_confirmed_at : s.supervisee_confirmed_at;
  const theirConfirm = iAmSupervisor ? s.supervisee_confirmed_at : s.supervisor_confirmed_at;
  const refused = note && (note.state === 'rejected' || note.state === 'conflict');
  const synced = Boolean(s.version) && (!s.pending || refused);
  const req = s.sign_off_request;
  const problem = refused
    ? h('div', { class: 'alert', role: 'alert' }, h('p', {}, h('strong', {}, 'The server did not accept your last change. '),
      (note.result && note.result.message) || ''), h('p', {}, 'This shows the last record the server sent; check it and try again.')) : null;

  const confirm = synced && !myConfirm && !s.is_cancelled
    ? h('button', { type: 'button', class: 'primary', id: 'confirm-session', onclick: () => queue(ctx, s, confirmSession(ctx.store, s, { asSupervisor: iAmSupervisor })) },
    'Confirm this record') : null;

  let signOff = null;
  if (req && req.state === 'open' && req.signer_id === ctx.user.id && synced && req.session_version === s.version) {
    const comment = field('Comment', h('textarea', { name: 'comment', rows: 3 }), { hint: 'Needed when you return it.' });
    const err = h('p', { class: 'error', role: 'alert' });
    const decide = (decision) => () => {
      if (decision === 'returned' && !comment.input.value.trim()) { err.textContent = 'Say what needs changing when you return it.'; comment.input.focus(); return; }
      queue(ctx, s, decideSessionSignOff(ctx.store, s, req, { decision, comment: comment.input.value, signerName: ctx.user.name }));
    };
    signOff = h('div', { class: 'card' }, h('h2', {}, 'Sign-off'),
      h('p', {}, `${partner.name} asks you to sign off this record.`), req.message ? h('p', { class: 'pre' }, req.message) : null,
      comment.wrap, err,
      h('button', { type: 'button', class: 'primary', onclick: decide('approved') }, 'Sign off record'),
      h('button', { type: 'button', class: 'secondary', onclick: decide('returned') }, 'Return with comment'));
  } else if (req && ['open', 'approved', 'returned'].includes(req.state)) {
    const who = req.signer_id === ctx.user.id ? 'you' : partner.name;
    const text = req.state === 'open' ? `Waiting for ${who} to sign off version ${req.session_version}.`
      : `${req.state === 'approved' ? 'Signed off' : 'Returned'} by ${(req.decision && req.decision.signer_name) || who} (version ${req.session_version}).`;
    signOff = h('div', { class: 'card', id: 'session-signoff' }, h('h2', {}, 'Sign-off'), h('p', {}, text),
      req.decision && req.decision.comment ? h('p', { class: 'pre' }, `“${req.decision.comment}”`) : null);
  }
  const canAsk = synced && !s.is_cancelled && !(req && req.state === 'open' && req.session_version === s.version)
    && !(req && req.state === 'approved' && req.session_version === s.version);
  const ask = canAsk ? h('button', { type: 'button', class: 'secondary', id: 'ask-session-signoff', onclick: () => queue(ctx, s, requestSessionSignOff(ctx.store, s, { signerId: partner.id })) },
  `Ask ${partner.name} to sign off this record`) : null;

  mount(view, h('article', { 'aria-labelledby': 'session-title' },
    h('h1', { id: 'session-title' }, `Supervision with ${partner.name}`),
    h('p', { class: 'entry-meta' }, [s.entry_id ? formatDate(s.starts_at) : when(s.starts_at), FORMATS[s.format] || s.format, `${s.duration_minutes} min`].join(' · ')),
    h('p', { class: 'entry-badges' }, s.pending ? h('span', { class: 'badge badge-pending', id: 'session-state' }, 'Waiting to sync')
      : h('span', { class: 'badge badge-synced', id: 'session-state' }, 'Synced'),
    s.is_cancelled ? h('span', { class: 'badge' }, 'Cancelled') : null),
    problem,
    // A session logged as a supervision entry (sessions.session_for_entry): the practitioner's entry.
    s.entry_id && !iAmSupervisor ? h('p', {}, h('a', { href: `/app/entry/${s.entry_id}`, id: 'session-entry' }, 'Logged in your logbook')) : null,
    s.entry_id && iAmSupervisor ? h('p', { class: 'muted', id: 'session-entry' }, `${partner.name} logged this supervision in their logbook; confirm the record if it is right.`) : null,
    h('dl', { class: 'facts' },
      s.agenda ? [h('dt', {}, 'Agenda'), h('dd', { class: 'pre' }, s.agenda)] : null,
      s.summary ? [h('dt', {}, 'Shared summary'), h('dd', { class: 'pre' }, s.summary)] : null,
      h('dt', {}, 'Confirmed'),
      h('dd', { id: 'confirmations' }, s.is_confirmed ? 'By both of you' : `${myConfirm ? 'By you' : 'Not by you yet'}; ${theirConfirm ? `by ${partner.name}` : `not by ${partner.name} yet`}`)),
    h('h2', {}, 'Agreed actions'),
    actionsList(ctx, s, s.actions || [], { carried: false }) || h('p', { class: 'muted' }, 'No actions agreed in this session.'),
    (s.carried_forward || []).length ? [h('h2', {}, 'Carried forward from earlier sessions'), actionsList(ctx, s, s.carried_forward, { carried: true })] : null,
    signOff,
    h('div', { class: 'actions' }, confirm, ask,
      !synced ? h('p', { class: 'hint' }, 'Confirming and sign-off are possible once this record has reached the server.') : null),
    h('p', {}, h('a', { href: '/app/sessions' }, 'Back to supervision'))), { nav, keep: redraw });
  // Redraw when a sync brings the server's copy (sent, confirmed by the other person, signed).
  const token = {};
  current = token;
  let retired = false; // one redraw per change: two sync events in quick succession drew it twice
  const onStatus = async () => {
    if (retired || current !== token || !document.getElementById('session-title')) { document.removeEventListener('sync-status', onStatus); return; }
    const now = await ctx.store.getRecord(ENTITY, id);
    if (retired || current !== token) return;
    if (now && (now.version !== s.version || Boolean(now.pending) !== Boolean(s.pending) || now.is_confirmed !== s.is_confirmed
      || JSON.stringify(now.sign_off_request) !== JSON.stringify(s.sign_off_request))) {
      retired = true;
      document.removeEventListener('sync-status', onStatus);
      sessionScreen(ctx, id, { redraw: true });
    }
  };
  document.addEventListener('sync-status', onStatus);
}
