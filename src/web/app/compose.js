// compose.js: the compose window (new, reply, reply all, forward),
// attachments uploaded as blobs, drafts saved with Email/set create.
// Sending needs EmailSubmission (RFC 8621 7): without that capability
// the Send button stays disabled and says why.
// SPDX-License-Identifier: MIT
import {SUBMISSION} from './jmap.js';
import {$, addrText, h, parseAddrs, toast} from './ui.js';

const prefixed = (subject, p) =>
  (new RegExp(`^${p}:`, 'i').test(subject || '') ? subject : `${p}: ${subject || ''}`);

function quote(e) {
  const text = (e.textBody || []).map((p) => (e.bodyValues[p.partId] || {}).value || '').join('\n');
  const when = new Date(e.receivedAt).toLocaleString();
  return `\n\nOn ${when}, ${addrText(e.from, true)} wrote:\n` +
    text.split('\n').map((l) => `> ${l}`).join('\n');
}

// What the form starts with for mode ('new', 'reply', 'replyAll', 'forward').
function initial(st, mode, e) {
  const me = st.client.username.toLowerCase();
  if (!e || mode === 'new') return {to: '', cc: '', subject: '', body: '', attachments: []};
  if (mode === 'forward') {
    const text = (e.textBody || []).map((p) => (e.bodyValues[p.partId] || {}).value || '').join('\n');
    return {to: '', cc: '', subject: prefixed(e.subject, 'Fwd'),
      body: `\n\n---------- Forwarded message ----------\nFrom: ${addrText(e.from, true)}\n` +
        `Date: ${new Date(e.receivedAt).toLocaleString()}\nSubject: ${e.subject || ''}\n` +
        `To: ${addrText(e.to, true)}\n\n${text}`,
      attachments: (e.attachments || []).map((a) => ({blobId: a.blobId, type: a.type, name: a.name, size: a.size}))};
  }
  const replyTo = e.replyTo && e.replyTo.length ? e.replyTo : e.from || [];
  let cc = [];
  if (mode === 'replyAll') {
    cc = [...(e.to || []), ...(e.cc || [])].filter((a) => a.email.toLowerCase() !== me &&
      !replyTo.some((r) => r.email.toLowerCase() === a.email.toLowerCase()));
  }
  const refs = [...(e.references || []), ...(e.messageId || [])];
  return {to: addrText(replyTo, true), cc: addrText(cc, true), subject: prefixed(e.subject, 'Re'),
    body: quote(e), attachments: [], inReplyTo: e.messageId || null, references: refs.length ? refs : null};
}

// The Email/set create object of the form (RFC 8621 4.6).
function draftObject(st, f, draft) {
  const drafts = st.mailboxes.find((m) => m.role === 'drafts');
  if (!drafts) throw new Error('There is no Drafts folder');
  const obj = {
    mailboxIds: {[drafts.id]: true},
    keywords: {$draft: true, $seen: true},
    from: [{name: null, email: st.client.username}],
    to: parseAddrs(f.to.value), subject: f.subject.value,
    bodyValues: {body: {value: f.body.value}},
    textBody: [{partId: 'body', type: 'text/plain'}],
  };
  const cc = parseAddrs(f.cc.value);
  const bcc = parseAddrs(f.bcc.value);
  if (cc.length) obj.cc = cc;
  if (bcc.length) obj.bcc = bcc;
  if (draft.inReplyTo) obj.inReplyTo = draft.inReplyTo;
  if (draft.references) obj.references = draft.references;
  if (draft.attachments.length) {
    obj.attachments = draft.attachments.map((a) => ({blobId: a.blobId, type: a.type,
      name: a.name, disposition: 'attachment'}));
  }
  return obj;
}

// Save the form as a new draft (replacing the one saved before).
async function saveDraft(st, f, draft) {
  const call = {create: {d: draftObject(st, f, draft)}};
  if (draft.id) call.destroy = [draft.id];
  const r = await st.client.api([['Email/set', call, 's']]);
  if (!r.s.created || !r.s.created.d) {
    const err = (r.s.notCreated || {}).d || {};
    throw new Error(`Draft not saved: ${err.type || 'error'} ${err.description || ''}`);
  }
  draft.id = r.s.created.d.id;
  return draft.id;
}

async function send(st, f, draft) {
  const id = await saveDraft(st, f, draft);
  const ident = await st.client.api([['Identity/get', {}, 'i']]);
  const identity = (ident.i.list || []).find((x) => x.email.toLowerCase() === st.client.username.toLowerCase()) ||
    ident.i.list[0];
  const sent = st.mailboxes.find((m) => m.role === 'sent');
  const drafts = st.mailboxes.find((m) => m.role === 'drafts');
  const patch = {'keywords/$draft': null};
  if (sent && drafts) {
    patch[`mailboxIds/${drafts.id}`] = null;
    patch[`mailboxIds/${sent.id}`] = true;
  }
  const r = await st.client.api([['EmailSubmission/set', {
    create: {s: {identityId: identity.id, emailId: id}},
    onSuccessUpdateEmail: {'#s': patch}}, 'x']]);
  if (!r.x.created || !r.x.created.s) {
    const err = (r.x.notCreated || {}).s || {};
    throw new Error(`Not sent: ${err.type || 'error'} ${err.description || ''}`);
  }
}

export function openCompose(st, mode, email) {
  const draft = initial(st, mode, email);
  const dlg = $('#compose');
  const f = $('#compose-form');
  f.reset();
  $('#compose-title').textContent = {new: 'New message', reply: 'Reply', replyAll: 'Reply to all',
    forward: 'Forward'}[mode];
  f.to.value = draft.to;
  f.cc.value = draft.cc;
  f.subject.value = draft.subject;
  f.body.value = draft.body;
  const canSend = st.client.can(SUBMISSION);
  const sendBtn = $('#send', f);
  sendBtn.disabled = !canSend;
  sendBtn.title = canSend ? 'Send (Ctrl+Enter)'
    : 'Sending is not available: this server does not offer JMAP EmailSubmission yet. Save a draft instead.';
  const list = $('#compose-attachments');
  const renderAtt = () => list.replaceChildren(...draft.attachments.map((a, i) => h('li', {},
    h('span.clip'), `${a.name} `, h('button', {type: 'button', 'aria-label': `Remove ${a.name}`,
      onclick: () => { draft.attachments.splice(i, 1); renderAtt(); }}, '×'))));
  renderAtt();
  f.onsubmit = (ev) => ev.preventDefault();
  $('#attach', f).onchange = async (ev) => {
    for (const file of ev.target.files) {
      try {
        const up = await st.client.upload(file);
        draft.attachments.push({blobId: up.blobId, type: up.type || file.type, name: file.name, size: up.size});
        renderAtt();
      } catch (e) { st.fail(e); }
    }
    ev.target.value = '';
  };
  $('#save-draft', f).onclick = () => saveDraft(st, f, draft)
    .then(() => { toast('Draft saved'); return st.refresh(); }).catch(st.fail);
  sendBtn.onclick = () => send(st, f, draft)
    .then(() => { dlg.close(); toast('Sent'); return st.refresh(); }).catch(st.fail);
  $('#discard', f).onclick = () => dlg.close();
  f.onkeydown = (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && canSend) sendBtn.click();
  };
  dlg.showModal();
  (draft.to ? f.body : f.to).focus();
  if (mode !== 'new') f.body.setSelectionRange(0, 0);
}
