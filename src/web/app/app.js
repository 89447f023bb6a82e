// app.js: the webmail: login, folders, message list, reading pane,
// actions, search, keyboard shortcuts and push updates.
// SPDX-License-Identifier: MIT
import {AuthError, Client, login, logout, whoami} from './jmap.js';
import {sanitizeHtml} from './sanitize.js';
import {$, addrText, h, shortDate, toast, warmDates} from './ui.js';

// compose.js loads when first needed (fetched once the first screen is up),
// so that it does not hold up the first screen
const composeModule = () => import('./compose.js');
const openCompose = (...args) => composeModule().then((m) => m.openCompose(...args));

const PAGE = 50;
const LIST_PROPS = ['threadId', 'mailboxIds', 'keywords', 'from', 'to', 'subject',
  'receivedAt', 'preview', 'hasAttachment', 'size'];
const BODY_PROPS = LIST_PROPS.concat(['cc', 'bcc', 'replyTo', 'messageId', 'references',
  'sentAt', 'textBody', 'htmlBody', 'attachments', 'bodyValues']);

const st = {
  client: null,
  mailboxes: [],
  mailbox: null,     // current mailbox id (null while searching)
  query: '',
  position: 0,
  total: 0,
  ids: [],           // email ids of the page, in order
  emails: new Map(), // id -> Email
  threads: new Map(), // threadId -> emailIds
  selected: new Set(),
  cursor: -1,        // index into ids of the open message
  open: null,        // id of the message in the reading pane
  remote: new Set(), // ids whose remote images the user allowed
  es: null,
  mailboxState: null, emailState: null, threadState: null, // last loaded
};

const byRole = (role) => st.mailboxes.find((m) => m.role === role);

// ---- login ----

// who: the answer of /login (null: ask /session, a returning user).  The
// first screen waits on as few round trips as possible: /session (or
// /login) carries the JMAP session resource, and the INBOX id seen last
// time lets its list load beside Mailbox/get.
async function start(who) {
  if (!who) who = await whoami();
  if (!who) return showLogin();
  st.client = new Client(who);
  try {
    await st.client.connect();
  } catch (e) {
    if (e instanceof AuthError) return showLogin();
    throw e;
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#user').textContent = who.username;
  const key = `buzon.inbox.${who.username}`;
  const seen = localStorage.getItem(key);
  const early = seen ? selectMailbox(seen).then(() => true, () => false) : null;
  await loadMailboxes();
  const inbox = byRole('inbox') || st.mailboxes[0];
  const id = inbox ? inbox.id : null;
  if (early && await early && st.mailbox === id) {
    renderList(); // its title: the mailbox names came after it
  } else if (!early || st.mailbox === seen) {
    // (unless the user went elsewhere meanwhile)
    await selectMailbox(id);
  }
  if (id) localStorage.setItem(key, id); else localStorage.removeItem(key);
  st.es = st.client.events(onPush);
  // after the first screen is painted; a failure shows when it is opened
  requestAnimationFrame(() => setTimeout(() => composeModule().catch(() => {}), 0));
}

function showLogin(message) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
  $('#login-form [name=username]').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const btn = $('button', f);
  btn.disabled = true;
  $('#login-error').textContent = '';
  try {
    const who = await login(f.username.value, f.password.value);
    if (!who) {
      $('#login-error').textContent = 'Wrong email address or password.';
      return;
    }
    f.password.value = '';
    await start(who);
  } catch (e) {
    $('#login-error').textContent = String(e.message || e);
  } finally {
    btn.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  if (st.es) st.es.close();
  localStorage.removeItem(`buzon.inbox.${st.client.username}`);
  await logout(st.client.csrf);
  location.reload();
});

// Every failure lands here: an expired session goes back to the login.
function fail(e) {
  if (e instanceof AuthError) return showLogin('Your session ended: please sign in again.');
  console.error(e);
  toast(String(e.message || e));
}

// ---- folders ----

async function loadMailboxes() {
  const r = await st.client.api([['Mailbox/get', {}, 'm']]);
  st.mailboxState = r.m.state;
  const order = {inbox: 0, drafts: 1, sent: 2, archive: 3, junk: 4, trash: 5};
  st.mailboxes = r.m.list.sort((a, b) =>
    (order[a.role] ?? 9) - (order[b.role] ?? 9) || (a.sortOrder || 0) - (b.sortOrder || 0) ||
    a.name.localeCompare(b.name));
  renderMailboxes();
}

function renderMailboxes() {
  const ul = $('#folder-list');
  ul.replaceChildren(...st.mailboxes.map((m) => h('li', {},
    h('a', {href: '#', class: m.id === st.mailbox ? 'active' : null,
      dataset: {id: m.id, role: m.role || ''},
      onclick: (ev) => { ev.preventDefault(); selectMailbox(m.id).catch(fail); closeDrawer(); }},
    h('span.name', {}, m.name),
    m.unreadEmails ? h('span.count', {'aria-label': `${m.unreadEmails} unread`}, m.unreadEmails) : null))));
  const move = $('#move-to');
  move.replaceChildren(h('option', {value: ''}, 'Move to…'),
    ...st.mailboxes.map((m) => h('option', {value: m.id}, m.name)));
}

async function selectMailbox(id) {
  st.mailbox = id;
  st.query = '';
  $('#search').value = '';
  st.position = 0;
  st.open = null;
  document.body.classList.remove('reading');
  renderMailboxes();
  await loadList();
  renderReader();
}

// ---- message list ----

async function loadList() {
  const filter = st.query ? {text: st.query} : {inMailbox: st.mailbox};
  const r = await st.client.api([
    ['Email/query', {filter, sort: [{property: 'receivedAt', isAscending: false}],
      collapseThreads: !st.query, position: st.position, limit: PAGE, calculateTotal: true}, 'q'],
    ['Email/get', {'#ids': {resultOf: 'q', name: 'Email/query', path: '/ids'},
      properties: LIST_PROPS}, 'g'],
    ['Thread/get', {'#ids': {resultOf: 'g', name: 'Email/get', path: '/list/*/threadId'}}, 't'],
  ]);
  st.ids = r.q.ids;
  st.emailState = r.g.state;
  st.threadState = r.t.state;
  st.total = r.q.total ?? r.q.ids.length;
  // merged: the open message keeps its bodies (a push refresh runs
  // while it is being read)
  for (const e of r.g.list) st.emails.set(e.id, Object.assign(st.emails.get(e.id) || {}, e));
  for (const t of r.t.list) st.threads.set(t.id, t.emailIds);
  for (const id of [...st.selected]) if (!st.ids.includes(id)) st.selected.delete(id);
  st.cursor = st.ids.indexOf(st.open);
  renderList();
}

function renderList() {
  const ul = $('#messages');
  const title = st.query ? `Search: ${st.query}`
    : (st.mailboxes.find((m) => m.id === st.mailbox) || {}).name || '';
  $('#list-title').textContent = title;
  if (!st.ids.length) {
    ul.replaceChildren(h('li.empty', {}, st.query ? 'No messages match.' : 'No messages here.'));
  } else {
    ul.replaceChildren(...st.ids.map((id, i) => messageRow(st.emails.get(id), i)));
  }
  const last = Math.min(st.position + st.ids.length, st.total);
  $('#page-info').textContent = st.total ? `${st.position + 1}–${last} of ${st.total}` : '';
  $('#prev-page').disabled = st.position === 0;
  $('#next-page').disabled = last >= st.total;
  $('#select-all').checked = st.ids.length > 0 && st.selected.size === st.ids.length;
  $('#list-pane').classList.toggle('has-selection', st.selected.size > 0);
}

function messageRow(e, i) {
  const kw = e.keywords || {};
  const n = (st.threads.get(e.threadId) || []).length;
  const inSent = st.mailbox && (byRole('sent') || {}).id === st.mailbox;
  const who = inSent ? `To: ${addrText(e.to)}` : addrText(e.from) || '(no sender)';
  const box = h('input', {type: 'checkbox', 'aria-label': 'Select', checked: st.selected.has(e.id),
    onclick: (ev) => ev.stopPropagation(),
    onchange: (ev) => { ev.target.checked ? st.selected.add(e.id) : st.selected.delete(e.id); renderList(); }});
  const star = h('button.star', {title: kw.$flagged ? 'Unflag' : 'Flag', 'aria-pressed': String(Boolean(kw.$flagged)),
    onclick: (ev) => { ev.stopPropagation(); setKeyword([e.id], '$flagged', !kw.$flagged).catch(fail); }},
  kw.$flagged ? '★' : '☆');
  return h('li', {role: 'option', tabindex: -1,
    class: ['msg', kw.$seen ? 'read' : 'unread', kw.$flagged ? 'flagged' : '',
      e.id === st.open ? 'open' : '', st.selected.has(e.id) ? 'selected' : ''].join(' '),
    dataset: {id: e.id}, 'aria-selected': String(e.id === st.open),
    onclick: () => openMessage(i).catch(fail)},
  box, star,
  h('span.from', {}, who),
  n > 1 ? h('span.thread-count', {title: `${n} messages in this conversation`}, n) : null,
  h('span.subject', {}, e.subject || '(no subject)'),
  h('span.preview', {}, e.preview || ''),
  e.hasAttachment ? h('span.clip', {title: 'Has attachments', 'aria-label': 'Has attachments'}) : null,
  h('time', {datetime: e.receivedAt}, shortDate(e.receivedAt)));
}

// ---- reading pane ----

async function openMessage(i) {
  if (i < 0 || i >= st.ids.length) return;
  st.cursor = i;
  const id = st.ids[i];
  st.open = id;
  const e = st.emails.get(id);
  const threadIds = (st.threads.get(e.threadId) || [id]).slice(-20);
  const r = await st.client.api([['Email/get', {ids: threadIds, properties: BODY_PROPS,
    fetchTextBodyValues: true, fetchHTMLBodyValues: true, maxBodyValueBytes: 1 << 20}, 'b']]);
  for (const m of r.b.list) st.emails.set(m.id, Object.assign(st.emails.get(m.id) || {}, m));
  st.openThread = r.b.list.map((m) => m.id);
  document.body.classList.add('reading');
  const unseen = r.b.list.filter((m) => !(m.keywords || {}).$seen).map((m) => m.id);
  renderReader();
  renderList();
  if (unseen.length) await setKeyword(unseen, '$seen', true);
}

function renderReader() {
  const pane = $('#reader');
  if (!st.open) {
    pane.replaceChildren(h('div.placeholder', {}, 'Select a message to read it.'));
    return;
  }
  const ids = st.openThread && st.openThread.includes(st.open) ? st.openThread : [st.open];
  const first = st.emails.get(ids[ids.length - 1]);
  pane.replaceChildren(
    h('div.reader-bar', {},
      h('button.back', {onclick: () => document.body.classList.remove('reading'), 'aria-label': 'Back'}, '←'),
      h('h2.subject', {}, first.subject || '(no subject)')),
    ...ids.map((id, k) => messageView(st.emails.get(id), k === ids.length - 1)));
}

function bodyText(e, parts) {
  return (parts || []).map((p) => (e.bodyValues && e.bodyValues[p.partId] || {}).value || '').join('\n');
}

function messageView(e, expanded) {
  const kw = e.keywords || {};
  const act = (label, key, fn, title) => h('button', {onclick: () => fn().catch(fail), title: title || null,
    dataset: {act: key}}, label);
  const head = h('header.msg-head', {},
    h('div.who', {}, h('strong', {}, addrText(e.from, true) || '(no sender)'),
      h('div.to', {}, 'To: ', addrText(e.to, true) || '—', e.cc && e.cc.length ? ` · Cc: ${addrText(e.cc, true)}` : '')),
    h('time', {datetime: e.receivedAt}, new Date(e.receivedAt).toLocaleString()),
    h('div.actions', {},
      act('Reply', 'reply', async () => openCompose(st, 'reply', e)),
      act('Reply all', 'reply-all', async () => openCompose(st, 'replyAll', e)),
      act('Forward', 'forward', async () => openCompose(st, 'forward', e)),
      act(kw.$flagged ? 'Unflag' : 'Flag', 'flag', () => setKeyword([e.id], '$flagged', !kw.$flagged)),
      act('Mark unread', 'unread', () => setKeyword([e.id], '$seen', false)),
      act('Delete', 'delete', () => deleteEmails([e.id]), 'Move to Trash (#)')));
  const view = h('section.message', {dataset: {id: e.id}}, head);
  if (!expanded) {
    view.classList.add('collapsed');
    view.append(h('p.preview', {}, e.preview || ''));
    head.addEventListener('click', () => { view.classList.toggle('collapsed'); });
    return view;
  }
  const html = (e.htmlBody || []).some((p) => p.type === 'text/html') ? bodyText(e, e.htmlBody) : null;
  if (html !== null && html.trim()) {
    const {html: doc, blocked} = sanitizeHtml(html, st.remote.has(e.id));
    if (blocked) {
      view.append(h('div.notice', {}, `Remote images are blocked (${blocked}). `,
        h('button', {onclick: () => { st.remote.add(e.id); renderReader(); }}, 'Show images')));
    }
    const frame = h('iframe.html-body', {title: 'Message', referrerpolicy: 'no-referrer',
      sandbox: 'allow-popups allow-popups-to-escape-sandbox'});
    frame.srcdoc = doc;
    view.append(frame);
  } else {
    view.append(h('pre.text-body', {}, bodyText(e, e.textBody)));
  }
  if (e.attachments && e.attachments.length) {
    view.append(h('ul.attachments', {}, ...e.attachments.map((a) => h('li', {},
      h('a', {href: st.client.downloadUrl(a.blobId, a.type, a.name || 'attachment'),
        download: a.name || 'attachment', rel: 'noopener'},
      h('span.clip'), a.name || 'attachment', h('small', {}, ` ${Math.ceil((a.size || 0) / 1024)} KB`))))));
  }
  return view;
}

// ---- actions ----

async function setKeyword(ids, kw, on) {
  const update = {};
  for (const id of ids) update[id] = {[`keywords/${kw}`]: on ? true : null};
  await st.client.api([['Email/set', {update}, 's']]);
  for (const id of ids) {
    const e = st.emails.get(id);
    if (!e) continue;
    e.keywords = Object.assign({}, e.keywords);
    if (on) e.keywords[kw] = true; else delete e.keywords[kw];
  }
  renderList();
  if (ids.includes(st.open)) renderReader();
  if (kw === '$seen') await loadMailboxes();
}

async function moveEmails(ids, target) {
  const update = {};
  for (const id of ids) update[id] = {mailboxIds: {[target]: true}};
  const r = await st.client.api([['Email/set', {update}, 's']]);
  const failed = Object.keys(r.s.notUpdated || {});
  if (failed.length) throw new Error(`${failed.length} messages could not be moved`);
  afterRemove(ids);
  await Promise.all([loadMailboxes(), loadList()]);
}

async function ensureTrash() {
  let t = byRole('trash');
  if (t) return t.id;
  const r = await st.client.api([['Mailbox/set', {create: {t: {name: 'Trash', role: 'trash'}}}, 's']]);
  await loadMailboxes();
  return r.s.created.t.id;
}

async function deleteEmails(ids) {
  const trash = await ensureTrash();
  if (st.mailbox === trash) {
    await st.client.api([['Email/set', {destroy: ids}, 'd']]);
    afterRemove(ids);
    await Promise.all([loadMailboxes(), loadList()]);
    toast(`${ids.length} deleted for good`);
  } else {
    await moveEmails(ids, trash);
    toast(`${ids.length} moved to Trash`);
  }
}

function afterRemove(ids) {
  for (const id of ids) st.selected.delete(id);
  if (ids.includes(st.open)) {
    st.open = null;
    document.body.classList.remove('reading');
    renderReader();
  }
}

const chosen = () => (st.selected.size ? [...st.selected] : st.open ? [st.open] : []);

$('#list-toolbar').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-act]');
  if (!b) return;
  const ids = chosen();
  if (!ids.length) return toast('Select messages first');
  const a = b.dataset.act;
  const p = a === 'read' ? setKeyword(ids, '$seen', true)
    : a === 'unread' ? setKeyword(ids, '$seen', false)
      : a === 'flag' ? setKeyword(ids, '$flagged', !ids.every((id) => (st.emails.get(id).keywords || {}).$flagged))
        : deleteEmails(ids);
  p.catch(fail);
});
$('#move-to').addEventListener('change', (ev) => {
  const target = ev.target.value;
  ev.target.value = '';
  const ids = chosen();
  if (target && ids.length) moveEmails(ids, target).then(() => toast('Moved')).catch(fail);
});
$('#select-all').addEventListener('change', (ev) => {
  st.selected = new Set(ev.target.checked ? st.ids : []);
  renderList();
});
$('#prev-page').addEventListener('click', () => { st.position = Math.max(0, st.position - PAGE); loadList().catch(fail); });
$('#next-page').addEventListener('click', () => { st.position += PAGE; loadList().catch(fail); });
$('#search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  st.query = $('#search').value.trim();
  st.position = 0;
  if (st.query) st.mailbox = null;
  else st.mailbox = (byRole('inbox') || st.mailboxes[0]).id;
  renderMailboxes();
  loadList().catch(fail);
});
$('#compose-btn').addEventListener('click', () => openCompose(st, 'new').catch(fail));
$('#menu-btn').addEventListener('click', () => document.body.classList.toggle('drawer'));
function closeDrawer() { document.body.classList.remove('drawer'); }

// ---- keyboard (j/k next/previous, r reply, c compose, / search, # delete,
// s flag, u mark unread, Escape back) ----

document.addEventListener('keydown', (ev) => {
  if ($('#app').hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  if (t.closest && t.closest('input, textarea, select, dialog[open]')) {
    if (ev.key === 'Escape' && t.id === 'search') t.blur();
    return;
  }
  const cur = st.open ? st.emails.get(st.open) : null;
  const keys = {
    j: () => openMessage(Math.min(st.cursor + 1, st.ids.length - 1)),
    k: () => openMessage(Math.max(st.cursor - 1, 0)),
    r: async () => cur && openCompose(st, 'reply', cur),
    a: async () => cur && openCompose(st, 'replyAll', cur),
    f: async () => cur && openCompose(st, 'forward', cur),
    c: async () => openCompose(st, 'new'),
    '/': async () => $('#search').focus(),
    '#': async () => { const ids = chosen(); if (ids.length) await deleteEmails(ids); },
    s: async () => cur && setKeyword([cur.id], '$flagged', !(cur.keywords || {}).$flagged),
    u: async () => cur && setKeyword([cur.id], '$seen', false),
    Escape: async () => document.body.classList.remove('reading'),
  };
  const fn = keys[ev.key];
  if (!fn) return;
  ev.preventDefault();
  fn().catch(fail);
});

// ---- push (RFC 8620 7.3): a change to this account's mail refreshes ----

let pushTimer = 0;
function onPush(change) {
  const ts = change.changed && change.changed[st.client.accountId];
  if (!ts) return;
  // RFC 8620 7.1.1: states we have loaded already (our own /set, a
  // second event for the same change) need no refresh
  const stale = (ts.Mailbox && ts.Mailbox !== st.mailboxState) ||
    (ts.Email && ts.Email !== st.emailState) || (ts.Thread && ts.Thread !== st.threadState);
  if (!stale) return;
  clearTimeout(pushTimer);
  pushTimer = setTimeout(() => {
    Promise.all([loadMailboxes(), loadList()]).catch(fail);
  }, 150);
}

// Until a server pushes, and when a stream was down: look at the mailbox
// state when the window gets the focus back, and once a minute.
async function checkState() {
  if (!st.client || $('#app').hidden) return;
  const r = await st.client.api([['Mailbox/get', {ids: []}, 'm']]);
  if (r.m.state !== st.mailboxState) await Promise.all([loadMailboxes(), loadList()]);
}
window.addEventListener('focus', () => checkState().catch(fail));
setInterval(() => checkState().catch(fail), 60000);

st.refresh = () => Promise.all([loadMailboxes(), loadList()]);
st.fail = fail;

start().catch(fail);
// the date formats' locale data loads while /session is on its way (or the
// user types the password), not when the list is drawn
setTimeout(warmDates, 0);
