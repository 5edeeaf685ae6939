// The organisation's learning offer: upcoming events (a saved copy for reading offline), an event's
// details with its calendar invite, the facilitator's rotating check-in QR, and the attendee's
// check-in screen (/app/checkin/<code>, what the QR opens). A check-in made offline is an outbox
// mutation (entity "event_check_in") carrying the code and the time of the scan; the server checks
// the code against that time when it arrives (docs/events.md). Either way the attendee gets one
// entry, pre-filled from the event, to complete with their own reflection.

import { ApiError, api } from '../api.js';
import { field, formatDate, formatHours, h, mount, navigation, todayIso } from '../dom.js';
import { COMMON_CORE, KIND_LABELS } from '../kinds.js';
import { queueCheckIn } from '../outbox.js';
import { cachedFetch, emptyState } from './common.js';

const view = () => document.getElementById('view');

function when(event) {
  const start = new Date(event.starts_at);
  const end = new Date(event.ends_at);
  const time = (d) => d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${formatDate(event.starts_at)}, ${time(start)} to ${time(end)}`;
}

function savedNote(got, what) {
  if (got.fresh) return null;
  return h('p', { class: 'notice' }, got.fetched_at
    ? `Saved copy from ${formatDate(got.fetched_at)}: you are offline.`
    : `${what} show once the app has been online.`);
}

function eventRow(event) {
  return h('li', { class: 'entry-row' },
    h('a', { href: `/app/events/${event.id}` },
      h('span', { class: 'entry-title' }, event.title),
      h('span', { class: 'entry-meta' }, [when(event), KIND_LABELS[event.kind] || event.kind, formatHours(event.hours)].join(' · ')),
      event.attended ? h('span', { class: 'entry-badges' }, h('span', { class: 'badge badge-synced' }, 'You checked in')) : null));
}

export async function eventsScreen(ctx) {
  const nav = navigation.id;
  const upcoming = await cachedFetch(ctx.store, 'events:upcoming', api.events);
  const running = await cachedFetch(ctx.store, 'events:facilitating', api.eventsFacilitating);
  const items = (upcoming.value && upcoming.value.items) || [];
  const mine = ((running.value && running.value.items) || []).filter((e) => new Date(e.ends_at) >= new Date(Date.now() - 864e5));
  const code = field('Check-in code', h('input', { name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '100' }),
    { hint: 'If you cannot scan the QR code, type the 8-character code shown under it, like K7PD-3QXM.' });
  const form = h('form', { class: 'card', id: 'code-form', 'aria-labelledby': 'code-title' },
    h('h2', { id: 'code-title' }, 'Check in'),
    code.wrap,
    h('button', { type: 'submit', class: 'secondary' }, 'Check in with this code'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = code.input.value.trim().toLowerCase();
    if (!value) { code.errorEl.textContent = 'Type the code shown under the QR code.'; code.input.focus(); return; }
    const compact = value.replace(/[\s-]/g, '');
    if (compact.length < 8) { code.errorEl.textContent = 'The code has 8 characters, like K7PD-3QXM.'; code.input.focus(); return; }
    const typed = compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4)}` : value;
    ctx.go(`/app/checkin/${encodeURIComponent(typed)}`);
  });
  mount(view(), h('section', { 'aria-labelledby': 'events-title' },
    h('h1', { id: 'events-title' }, 'Events'),
    h('p', { class: 'muted' }, 'Workshops, study days and learning sets meant for your profession or team.'),
    savedNote(upcoming, 'Events'),
    upcoming.value && upcoming.value.may_publish ? h('a', { class: 'button secondary', href: '/app/events/new', id: 'publish' }, 'Publish an event') : null,
    items.length ? h('ul', { class: 'entry-list', id: 'event-list' }, items.map(eventRow)) : emptyState('No upcoming events for you yet.'),
    mine.length ? [h('h2', {}, 'Events you run'), h('ul', { class: 'entry-list', id: 'running-list' }, mine.map(eventRow))] : null,
    form), { nav });
}

const EVENT_KINDS = ['bite_size_workshop', 'team_study_day', 'study_day', 'course', 'conference', 'reflective_learning_set', 'other'];

/** Publishing an event (org admins and the facilitators they allowed; needs a connection). */
export async function newEventScreen(ctx) {
  const nav = navigation.id;
  const title = field('Title', h('input', { name: 'title', required: true, maxlength: 200 }));
  const kind = field('Kind', h('select', { name: 'kind' }, EVENT_KINDS.map((k) => h('option', { value: k }, KIND_LABELS[k] || k))));
  const date = field('Date', h('input', { type: 'date', name: 'date', required: true, value: todayIso() }));
  const time = field('Start time', h('input', { type: 'time', name: 'time', required: true, value: '13:00' }));
  const minutes = field('Length in minutes', h('input', { type: 'number', name: 'duration_minutes', inputmode: 'numeric', min: 5, max: 1440, value: 90, required: true }),
    { hint: 'Each attendee gets this as CPD hours, to the nearest quarter hour.' });
  const location = field('Where', h('input', { name: 'location', maxlength: 200 }));
  const professions = field('For which professions (optional)', h('input', { name: 'target_professions', autocomplete: 'off' }),
    { hint: 'Separate with commas, for example: social worker, health visitor. Leave empty for everyone.' });
  const description = field('About (optional)', h('textarea', { name: 'description', rows: 3, maxlength: 5000 }));
  const core = h('fieldset', { class: 'choices' }, h('legend', {}, 'Common Core areas it addresses'),
    Object.entries(COMMON_CORE).map(([value, label]) => h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'common_core', value }), label)));
  const participatory = h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'is_participatory', checked: true }), 'Participatory (learning with others)');
  const status = h('p', { class: 'error', role: 'alert' });
  const byName = { title, duration_minutes: minutes, location, description, target_professions: professions, kind, starts_at: date };
  const form = h('form', { id: 'event-form', novalidate: true },
    title.wrap, kind.wrap, date.wrap, time.wrap, minutes.wrap, location.wrap, professions.wrap, description.wrap,
    core, h('div', { class: 'choices' }, participatory), status,
    h('button', { type: 'submit', class: 'primary' }, 'Publish'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of Object.values(byName)) { f.errorEl.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    status.textContent = '';
    const startsAt = new Date(`${date.input.value}T${time.input.value || '00:00'}`);
    if (!title.input.value.trim() || Number.isNaN(startsAt.getTime())) {
      status.textContent = 'Give the event a title, a date and a start time.';
      return;
    }
    const body = {
      title: title.input.value.trim(),
      kind: kind.input.value,
      starts_at: startsAt.toISOString(),
      duration_minutes: Number(minutes.input.value),
      location: location.input.value.trim(),
      description: description.input.value,
      is_participatory: form.querySelector('input[name=is_participatory]').checked,
      target_professions: professions.input.value.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean),
      common_core: [...form.querySelectorAll('input[name=common_core]:checked')].map((i) => i.value),
    };
    try {
      const event = await api.createEvent(body);
      ctx.go(`/app/events/${event.id}`, { replace: true });
    } catch (err) {
      status.textContent = err.status === 0 ? 'You are offline: publishing an event needs a connection.' : err.message;
      for (const [name, reasons] of Object.entries(err.fields || {})) {
        const f = byName[name.split('.')[0]];
        if (f) { f.errorEl.textContent = reasons.join(' '); f.input.setAttribute('aria-invalid', 'true'); }
      }
    }
  });
  mount(view(), h('section', { 'aria-labelledby': 'new-event-title' },
    h('h1', { id: 'new-event-title' }, 'Publish an event'),
    h('p', { class: 'muted' }, 'People it is for see it in their Events list and can add it to their calendar.'),
    form,
    h('p', {}, h('a', { href: '/app/events' }, 'Back to events'))), { nav });
}

async function loadEvent(ctx, id) {
  const got = await cachedFetch(ctx.store, `event:${id}`, () => api.event(id));
  if (got.value) return got;
  // Offline and never opened: it may be in a saved list.
  for (const key of ['events:upcoming', 'events:facilitating']) {
    const list = await ctx.store.getCached(key);
    const hit = list && list.value && list.value.items.find((e) => e.id === id);
    if (hit) return { value: hit, fresh: false, fetched_at: list.fetched_at };
  }
  return got;
}

function facts(event) {
  const item = (label, value) => (value ? [h('dt', {}, label), h('dd', {}, value)] : null);
  return h('dl', { class: 'facts' },
    item('When', when(event)),
    item('Where', event.location),
    item('Kind', KIND_LABELS[event.kind] || event.kind),
    item('CPD hours', formatHours(event.hours)),
    item('Participatory', event.is_participatory ? 'Yes' : 'No'),
    item('Facilitators', (event.facilitators || []).map((f) => f.name).join(', ')),
    item('For', (event.target_professions || []).join(', ') || (event.learning_set ? `Members of ${event.learning_set.name}` : 'Everyone')),
    item('Common Core', (event.common_core || []).map((c) => COMMON_CORE[c] || c).join(', ')),
    item('Standards', (event.standards || []).map((s) => `${s.framework} ${s.code}`).join(', ')),
    item('Places', event.capacity ? String(event.capacity) : null),
    item('Materials', (event.materials || []).map((m) => m.name || 'file').join(', ')),
    item('About', event.description));
}

function feedbackForm(ctx, event) {
  const rating = h('fieldset', { class: 'choices' }, h('legend', {}, 'How useful was it? (1 = not at all, 5 = very)'),
    [1, 2, 3, 4, 5].map((n) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'rating', value: String(n) }), String(n))));
  const comment = field('Comment (optional)', h('textarea', { name: 'comment', rows: 3, maxlength: 1000 }),
    { hint: 'Facilitators see comments only when enough people have answered, never who wrote them.' });
  const status = h('p', { class: 'error', role: 'status' });
  const form = h('form', { class: 'card', id: 'feedback-form', 'aria-labelledby': 'feedback-title' },
    h('h2', { id: 'feedback-title' }, 'Your feedback'), rating, comment.wrap, status,
    h('button', { type: 'submit', class: 'secondary' }, 'Send feedback'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = form.querySelector('input[name=rating]:checked');
    if (!chosen) { status.textContent = 'Choose a rating from 1 to 5.'; return; }
    try {
      await api.eventFeedback(event.id, { rating: Number(chosen.value), comment: comment.input.value });
      status.className = 'notice ok';
      status.textContent = 'Thank you: your feedback was sent.';
    } catch (err) {
      status.textContent = err.status === 0 ? 'You are offline: send your feedback when you are back online.' : err.message;
    }
  });
  return form;
}

function registerForm(ctx, event, rows) {
  const status = h('p', { class: 'error', role: 'status' });
  const boxes = rows.map((r) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'present', value: r.user_id, checked: r.present, disabled: r.present }),
    `${r.name}${r.profession ? ` (${r.profession})` : ''}${r.present ? ' · present' : ''}`));
  const form = h('form', { class: 'card', id: 'register-form', 'aria-labelledby': 'register-title' },
    h('h2', { id: 'register-title' }, 'Register'),
    rows.length ? h('fieldset', { class: 'choices' }, h('legend', {}, 'Mark who was there'), boxes) : h('p', {}, 'Nobody is expected yet.'),
    status,
    rows.length ? h('button', { type: 'submit', class: 'secondary' }, 'Mark present') : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ids = [...form.querySelectorAll('input[name=present]:checked:not(:disabled)')].map((i) => i.value);
    if (!ids.length) { status.textContent = 'Tick the people who were there.'; return; }
    try {
      const out = await api.markPresent(event.id, ids);
      status.className = 'notice ok';
      status.textContent = `Marked ${out.marked.length} present: each has an entry to complete.`;
      for (const input of form.querySelectorAll('input[name=present]:checked')) input.disabled = true;
    } catch (err) {
      status.textContent = err.status === 0 ? 'You are offline: marking the register needs a connection.' : err.message;
    }
  });
  return form;
}

export async function eventScreen(ctx, id) {
  const nav = navigation.id;
  const got = await loadEvent(ctx, id);
  const event = got.value;
  if (!event) {
    mount(view(), h('section', { class: 'card' }, h('h1', {}, 'Event not available'),
      h('p', {}, got.error && got.error.status === 0 ? 'You are offline and this event is not saved on this phone.' : 'This event does not exist or is not for you.'),
      h('a', { href: '/app/events' }, 'Back to events')), { nav });
    return;
  }
  let register = null;
  if (event.is_facilitator && got.fresh) {
    register = await api.eventRegister(id).catch(() => null);
  }
  mount(view(), h('article', { 'aria-labelledby': 'event-title' },
    h('h1', { id: 'event-title' }, event.title),
    savedNote(got, 'Events'),
    event.is_cancelled ? h('p', { class: 'alert' }, 'This event was cancelled.') : null,
    event.attended ? h('p', { class: 'notice ok' }, 'You checked in. Your entry is in your logbook.') : null,
    facts(event),
    h('div', { class: 'actions' },
      event.attended && event.my_entry_id ? h('a', { class: 'button primary', href: `/app/entry/${event.my_entry_id}`, id: 'my-entry' }, 'Open your entry') : null,
      event.is_facilitator ? h('a', { class: 'button primary', href: `/app/events/${id}/qr`, id: 'show-qr' }, 'Show the check-in QR code') : null,
      h('a', { class: 'button secondary', href: event.ics_url, download: 'event.ics', id: 'ics' }, 'Add to my calendar')),
    register ? registerForm(ctx, event, register.items) : null,
    event.attended && got.fresh ? feedbackForm(ctx, event) : null,
    h('p', {}, h('a', { href: '/app/events' }, 'Back to events'))), { nav });
}

export async function qrScreen(ctx, id) {
  const nav = navigation.id;
  const img = h('img', { id: 'qr', width: 260, height: 260, alt: 'Check-in QR code' });
  const codeText = h('p', { class: 'typed-code', id: 'qr-code-text' });
  const countdown = h('p', { class: 'muted', 'aria-live': 'off' });
  const error = h('p', { class: 'error', role: 'alert' });
  const title = h('h1', { id: 'qr-title' }, 'Check-in QR code');
  const drawn = mount(view(), h('section', { 'aria-labelledby': 'qr-title' },
    title,
    h('p', {}, 'Attendees scan this with their phone camera. It changes every two minutes, so a photo of it stops working.'),
    h('div', { class: 'card qr-card' }, img, h('p', { class: 'muted' }, 'Code to type instead:'), codeText, countdown),
    error,
    h('p', {}, h('a', { href: `/app/events/${id}` }, 'Back to the event'))), { nav });
  if (!drawn) return;
  let next = 0;
  const refresh = async () => {
    if (nav !== navigation.id) return; // the facilitator left the screen: stop refreshing
    try {
      const shown = await api.eventCheckInCode(id);
      img.src = shown.qr_url;
      codeText.textContent = shown.short_code;
      error.textContent = '';
      next = Date.now() + shown.refresh_seconds * 1000;
      setTimeout(refresh, shown.refresh_seconds * 1000);
    } catch (err) {
      error.textContent = err.status === 0 ? 'No connection: the code cannot change until you are back online.' : err.message;
      if (err.status === 0 || err.status >= 500) setTimeout(refresh, 10000);
    }
  };
  const tick = () => {
    if (nav !== navigation.id) return;
    if (next) countdown.textContent = `New code in ${Math.max(0, Math.round((next - Date.now()) / 1000))} s`;
    setTimeout(tick, 1000);
  };
  await refresh();
  tick();
}

async function storeEntry(ctx, entryId) {
  const entry = await api.entry(entryId);
  const existing = await ctx.store.getEntry(entryId);
  if (!existing || (existing.state === 'synced' && (existing.version || 0) <= entry.version)) {
    await ctx.store.putEntries([{ id: entry.id, data: entry, version: entry.version, state: 'synced', pending: 0, conflict: null, errors: null, is_deleted: Boolean(entry.is_deleted) }]);
  }
  return ctx.store.getEntry(entryId);
}

/** The saved copies say so too, so the lists read right offline. */
async function markAttended(ctx, result) {
  await ctx.store.setCached(`event:${result.event_id}`, null);
  for (const key of ['events:upcoming', 'events:facilitating']) {
    const saved = await ctx.store.getCached(key);
    if (!saved || !saved.value) continue;
    const items = saved.value.items.map((e) => (e.id === result.event_id ? { ...e, attended: true, my_entry_id: result.entry_id } : e));
    await ctx.store.setCached(key, { ...saved, value: { ...saved.value, items } });
  }
}

function prefilled(record, result) {
  const d = record.data;
  return h('section', { class: 'card', 'aria-labelledby': 'prefilled-title', id: 'prefilled' },
    h('h2', { id: 'prefilled-title' }, 'Your entry, filled in for you'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Title'), h('dd', {}, d.title),
      h('dt', {}, 'Date'), h('dd', {}, formatDate(d.start_date)),
      h('dt', {}, 'Kind'), h('dd', {}, KIND_LABELS[d.kind] || d.kind),
      h('dt', {}, 'CPD hours'), h('dd', {}, formatHours(d.hours)),
      (d.common_core || []).length ? [h('dt', {}, 'Common Core'), h('dd', {}, d.common_core.map((c) => COMMON_CORE[c] || c).join(', '))] : null,
      (d.standards || []).length ? [h('dt', {}, 'Standards'), h('dd', {}, d.standards.map((s) => `${s.framework} ${s.code}`).join(', '))] : null,
      (d.evidence || []).length ? [h('dt', {}, 'Evidence'), h('dd', {}, d.evidence.map((e) => e.name || 'file').join(', '))] : null),
    h('p', {}, 'Add what you learnt and what you will do differently: that makes it your CPD.'),
    h('a', { class: 'button primary', href: `/app/entry/${record.id}/edit`, id: 'add-reflection' }, 'Add your reflection'),
    h('a', { class: 'button secondary', href: `/app/events/${result.event_id}` }, 'See the event'));
}

export async function checkinScreen(ctx, rawCode) {
  const nav = navigation.id;
  const code = decodeURIComponent(rawCode).trim().toLowerCase();
  const key = `checkin:${code.split('-')[0]}`; // one queued check-in per event on this phone
  const draw = (...body) => mount(view(), h('section', { 'aria-labelledby': 'checkin-title' },
    h('h1', { id: 'checkin-title' }, 'Check in'), ...body,
    h('p', {}, h('a', { href: '/app/events' }, 'Back to events'))), { nav });

  const showQueued = async () => {
    const note = await ctx.store.getCached(key);
    if (note && note.state === 'applied' && note.result && note.result.entry_id) {
      await markAttended(ctx, note.result);
      const record = await ctx.store.getEntry(note.result.entry_id);
      if (record) return draw(h('p', { class: 'notice ok', role: 'status' }, `You are checked in to ${note.result.title}.`), prefilled(record, note.result));
      return draw(h('p', { class: 'notice ok', role: 'status' }, `You are checked in to ${note.result.title}. Your entry arrives with the next sync.`));
    }
    if (note && note.state === 'rejected') {
      return draw(h('p', { class: 'alert', role: 'alert' }, `The check-in was not accepted: ${(note.result && note.result.message) || 'ask the facilitator to mark you present.'}`));
    }
    return draw(h('p', { class: 'notice', role: 'status', id: 'queued' },
      'You are offline. Your check-in is saved on this phone with the time you scanned and is sent when you are back online; your entry then appears in your logbook.'));
  };

  try {
    const result = await api.checkIn(code);
    const record = await storeEntry(ctx, result.entry_id);
    await markAttended(ctx, result);
    draw(h('p', { class: 'notice ok', role: 'status', id: 'checked-in' },
      result.created ? `You are checked in to ${result.title}.` : `You were already checked in to ${result.title}: this is the same entry.`),
    prefilled(record, result));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 0) {
      draw(h('p', { class: 'alert', role: 'alert', id: 'checkin-error' }, err.message || 'The check-in did not work.'),
        h('p', {}, 'Ask the facilitator for the code on the screen now, or to mark you on the register.'));
      return;
    }
    // No connection: queue it with the scan time (once per event on this phone).
    const note = await ctx.store.getCached(key);
    if (!note || note.state === 'rejected') {
      await queueCheckIn(ctx.store, { code, noteKey: key });
      ctx.changed();
    }
    await showQueued();
    const onStatus = async () => {
      if (nav !== navigation.id) { document.removeEventListener('sync-status', onStatus); return; }
      const latest = await ctx.store.getCached(key);
      if (latest && latest.state !== 'pending') { document.removeEventListener('sync-status', onStatus); await showQueued(); }
    };
    document.addEventListener('sync-status', onStatus);
  }
}
