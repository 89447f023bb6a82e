// jmap_client.mjs: a third-party JMAP client library (jmap-jam, npm)
// against buzon: the session from /.well-known/jmap, Mailbox/get, a
// message delivered by SMTP found by Email/query and read by Email/get
// (a result reference), $seen, a move to Trash, a blob upload that
// Email/import turns into a message, blob downloads compared byte for
// byte, Identity/get, EmailSubmission/set to another local account (read
// there by a second client), and a push through eventSourceUrl.  Run by
// test_jmap_client.py, which starts buzon and delivers the first message;
// env: BASE, USER, PASS, USER2, PASS2, SUBJECT.
// Prints "jmap-client: N passed, 0 failed" or throws.
// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import {JamClient} from 'jmap-jam';

const {BASE, USER, PASS, USER2, PASS2, SUBJECT} = process.env;
const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const SUB = 'urn:ietf:params:jmap:submission';

let passed = 0;
const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    console.log(`FAILED ${passed + 1} ${name}`);
    throw e;
  }
  passed++;
  console.log(`ok ${passed} ${name} (${Date.now() - t0} ms)`);
};

// jmap-jam authenticates with "Bearer <token>" (RFC 6750) only; buzon
// takes Basic (RFC 7617).  The library's own loadSession() and every
// request read the public authHeader, so the client is built on an empty
// data: session, given the Basic header, then loads the real session.
function client(user, pass) {
  const jam = new JamClient({sessionUrl: 'data:application/json,{}', bearerToken: '-'});
  jam.authHeader = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  jam.session = JamClient.loadSession(`${BASE}/.well-known/jmap`, jam.authHeader);
  return jam;
}

// The library rejects with JMAP error objects (or arrays of them), not
// Errors: shown as JSON.
const call = (p) => p.catch((e) => {
  throw e instanceof Error ? e : new Error(JSON.stringify(e));
});

const jam = client(USER, PASS);
let session, accountId, role, msgId, imported;

await step('session: RFC 8620 2 fields a strict client reads', async () => {
  session = await jam.session;
  const caps = session.capabilities || {};
  for (const c of [CORE, MAIL, SUB])
    assert.ok(caps[c], `capabilities lacks ${c}: ${JSON.stringify(Object.keys(caps))}`);
  for (const k of ['maxSizeUpload', 'maxConcurrentUpload', 'maxSizeRequest',
    'maxConcurrentRequests', 'maxCallsInRequest', 'maxObjectsInGet', 'maxObjectsInSet'])
    assert.ok(Number.isInteger(caps[CORE][k]) && caps[CORE][k] > 0, `core ${k}`);
  // RFC 8621 1.3.1, 1.3.2: empty objects here, the limits per account
  assert.deepEqual(caps[MAIL], {}, 'session capabilities[mail]');
  assert.deepEqual(caps[SUB], {}, 'session capabilities[submission]');
  accountId = await jam.getPrimaryAccount();
  assert.ok(accountId, `primaryAccounts[mail] missing: ${JSON.stringify(session.primaryAccounts)}`);
  assert.equal(session.primaryAccounts[SUB], accountId, 'primaryAccounts[submission]');
  assert.ok(!(CORE in session.primaryAccounts), 'RFC 8620 2: core SHOULD NOT be in primaryAccounts');
  const acct = session.accounts[accountId];
  assert.ok(acct, `accounts[${accountId}] missing`);
  assert.equal(acct.name, USER);
  assert.equal(acct.isPersonal, true);
  assert.equal(acct.isReadOnly, false);
  const am = acct.accountCapabilities[MAIL], as = acct.accountCapabilities[SUB];
  assert.ok(am && as, `accountCapabilities: ${JSON.stringify(acct.accountCapabilities)}`);
  assert.ok(am.maxMailboxesPerEmail === null || am.maxMailboxesPerEmail >= 1);
  assert.ok(am.maxMailboxDepth === null || am.maxMailboxDepth >= 1);
  assert.ok(am.maxSizeMailboxName >= 100, 'RFC 8621 1.3.1: maxSizeMailboxName >= 100');
  assert.ok(Number.isInteger(am.maxSizeAttachmentsPerEmail));
  assert.ok(Array.isArray(am.emailQuerySortOptions) && am.emailQuerySortOptions.includes('receivedAt'));
  assert.equal(typeof am.mayCreateTopLevelMailbox, 'boolean');
  assert.ok(Number.isInteger(as.maxDelayedSend));
  assert.equal(typeof as.submissionExtensions, 'object');
  assert.equal(session.username, USER);
  assert.ok(typeof session.state === 'string' && session.state.length > 0);
  // absolute URLs with the RFC 6570 level 1 variables the library fills
  assert.equal(new URL(session.apiUrl).origin, BASE);
  for (const [k, vars] of [['downloadUrl', ['accountId', 'blobId', 'type', 'name']],
    ['uploadUrl', ['accountId']], ['eventSourceUrl', ['types', 'closeafter', 'ping']]]) {
    assert.equal(typeof session[k], 'string', k);
    for (const v of vars) assert.ok(session[k].includes(`{${v}}`), `${k} lacks {${v}}`);
  }
});

await step('Mailbox/get: the special-use roles', async () => {
  const [r] = await call(jam.api.Mailbox.get({accountId, ids: null}));
  role = Object.fromEntries(r.list.filter((m) => m.role).map((m) => [m.role, m.id]));
  for (const x of ['inbox', 'drafts', 'sent', 'trash']) assert.ok(role[x], `no ${x}`);
});

await step('Email/query + Email/get (result reference): the SMTP message', async () => {
  const [r] = await call(jam.requestMany((t) => {
    const q = t.Email.query({accountId, filter: {inMailbox: role.inbox, subject: SUBJECT},
      sort: [{property: 'receivedAt', isAscending: false}]});
    const g = t.Email.get({accountId, ids: q.$ref('/ids'), fetchTextBodyValues: true,
      properties: ['subject', 'from', 'keywords', 'mailboxIds', 'textBody', 'bodyValues']});
    return {q, g};
  }));
  assert.equal(r.q.ids.length, 1, JSON.stringify(r.q));
  const e = r.g.list[0];
  msgId = e.id;
  assert.equal(e.id, r.q.ids[0]);
  assert.equal(e.subject, SUBJECT);
  assert.equal(e.from[0].email, 'bob@example.org');
  assert.deepEqual(e.mailboxIds, {[role.inbox]: true});
  assert.ok(!e.keywords.$seen, 'new mail is unread');
  const text = e.bodyValues[e.textBody[0].partId];
  assert.match(text.value, /^Hello from SMTP\.\r?\n/);
  assert.equal(text.isTruncated, false);
});

await step('Email/set keywords/$seen', async () => {
  const [r] = await call(jam.requestMany((t) => {
    const s = t.Email.set({accountId, update: {[msgId]: {'keywords/$seen': true}}});
    const g = t.Email.get({accountId, ids: [msgId], properties: ['keywords']});
    return {s, g};
  }));
  assert.ok(msgId in r.s.updated, JSON.stringify(r.s));
  assert.deepEqual(r.g.list[0].keywords, {$seen: true});
});

await step('move to Trash (mailboxIds)', async () => {
  const [r] = await call(jam.requestMany((t) => {
    const s = t.Email.set({accountId, update: {[msgId]: {mailboxIds: {[role.trash]: true}}}});
    const q = t.Email.query({accountId, filter: {inMailbox: role.trash}});
    const i = t.Email.query({accountId, filter: {inMailbox: role.inbox}});
    return {s, q, i};
  }));
  assert.ok(msgId in r.s.updated, JSON.stringify(r.s));
  assert.deepEqual(r.q.ids, [msgId]);
  assert.ok(!r.i.ids.includes(msgId));
});

// A message with a binary attachment: every byte value, base64 (RFC 2045 6.8)
const binary = Buffer.from(Array.from({length: 600}, (_, i) => (i * 7) % 256));
const boundary = 'jam-b0undary';
const raw = Buffer.from([
  `From: Carol <carol@example.org>`, `To: ${USER}`, `Subject: Imported by jmap-jam`,
  `Date: Tue, 03 Mar 2026 10:00:00 +0000`, `Message-ID: <jam-import@example.org>`,
  `MIME-Version: 1.0`, `Content-Type: multipart/mixed; boundary="${boundary}"`, ``,
  `--${boundary}`, `Content-Type: text/plain; charset=utf-8`, ``, `See the attachment.`,
  `--${boundary}`, `Content-Type: application/octet-stream; name="bytes.bin"`,
  `Content-Disposition: attachment; filename="bytes.bin"`, `Content-Transfer-Encoding: base64`, ``,
  ...binary.toString('base64').match(/.{1,76}/g), `--${boundary}--`, ``].join('\r\n'));

await step('upload a blob (uploadUrl) and Email/import it', async () => {
  const up = await jam.uploadBlob(accountId, new Blob([raw], {type: 'message/rfc822'}));
  assert.equal(up.accountId, accountId);
  assert.equal(up.size, raw.length);
  assert.equal(up.type, 'message/rfc822');
  // createdIds in the request makes the response carry the map of
  // creation ids to server ids (RFC 8620 3.3, 3.4)
  const [r, meta] = await call(jam.requestMany((t) => ({
    imp: t.Email.import({accountId, emails: {imp: {blobId: up.blobId,
      mailboxIds: {[role.inbox]: true}, keywords: {$seen: true},
      receivedAt: '2026-03-03T10:00:05Z'}}}),
  }), {createdIds: {}}));
  assert.ok(r.imp.created && r.imp.created.imp, JSON.stringify(r.imp));
  assert.deepEqual(meta.createdIds, {imp: r.imp.created.imp.id});
  const [g] = await call(jam.api.Email.get({accountId, ids: [meta.createdIds.imp],
    properties: ['subject', 'blobId', 'size', 'receivedAt', 'attachments', 'mailboxIds']}));
  imported = g.list[0];
  assert.equal(imported.id, r.imp.created.imp.id);
  assert.equal(imported.blobId, r.imp.created.imp.blobId);
  assert.equal(imported.subject, 'Imported by jmap-jam');
  assert.equal(imported.size, raw.length);
  assert.equal(imported.receivedAt, '2026-03-03T10:00:05Z');
  assert.deepEqual(imported.mailboxIds, {[role.inbox]: true});
  assert.deepEqual(imported.attachments.map((a) => [a.name, a.type, a.size]),
    [['bytes.bin', 'application/octet-stream', binary.length]]);
});

await step('download blobs (downloadUrl): the same bytes', async () => {
  const get = async (blobId, mimeType, fileName) => {
    const res = await jam.downloadBlob({accountId, blobId, mimeType, fileName});
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), mimeType);
    assert.match(res.headers.get('content-disposition') || '', /bytes\.bin|imported\.eml/);
    return Buffer.from(await res.arrayBuffer());
  };
  assert.ok((await get(imported.blobId, 'message/rfc822', 'imported.eml')).equals(raw),
    'the imported message');
  const att = imported.attachments[0];
  assert.ok((await get(att.blobId, 'application/octet-stream', 'bytes.bin')).equals(binary),
    'the decoded attachment');
});

let identityId;
await step('Identity/get', async () => {
  const [r] = await call(jam.api.Identity.get({accountId, ids: null}));
  const me = r.list.find((i) => i.email === USER);
  assert.ok(me, JSON.stringify(r.list));
  assert.equal(me.mayDelete, false);
  identityId = me.id;
});

const sentSubject = `Sent by jmap-jam ${Date.now()}`;
await step('Email/set draft + EmailSubmission/set to a local account', async () => {
  // The draft is created and sent in one request: "#draft" (RFC 8620
  // 5.3) and onSuccessUpdateEmail "#send" (RFC 8621 7.5) refer to it.
  const [r, meta] = await call(jam.requestMany((t) => {
    const draft = t.Email.set({accountId, create: {draft: {
      mailboxIds: {[role.drafts]: true}, keywords: {$draft: true, $seen: true},
      from: [{name: 'Alice', email: USER}], to: [{email: USER2}], subject: sentSubject,
      textBody: [{partId: 't', type: 'text/plain'}],
      bodyValues: {t: {value: 'Sent through a JMAP client library.\n'}}}}});
    const send = t.EmailSubmission.set({accountId,
      create: {send: {identityId, emailId: '#draft'}},
      onSuccessUpdateEmail: {'#send': {[`mailboxIds/${role.drafts}`]: null,
        [`mailboxIds/${role.sent}`]: true, 'keywords/$draft': null}}});
    return {draft, send};
  }, {createdIds: {}}));
  // The implicit Email/set answers under the same call id as
  // EmailSubmission/set (RFC 8621 7.5), and jmap-jam keys responses by
  // call id, so r.send is that Email/set; the submission's id comes
  // from the createdIds map and the submission is read back.
  const draftId = r.draft.created.draft.id;
  assert.ok(draftId in r.send.updated, JSON.stringify(r.send));
  assert.equal(meta.createdIds.draft, draftId);
  assert.ok(meta.createdIds.send, JSON.stringify(meta.createdIds));
  const [b] = await call(jam.requestMany((t) => ({
    sub: t.EmailSubmission.get({accountId, ids: [meta.createdIds.send]}),
    mail: t.Email.get({accountId, ids: [draftId], properties: ['mailboxIds', 'keywords']}),
  })));
  const s = b.sub.list[0];
  assert.ok(s, JSON.stringify(b.sub));
  assert.equal(s.emailId, draftId);
  assert.equal(s.identityId, identityId);
  assert.equal(s.undoStatus, 'final');
  assert.equal(s.deliveryStatus[USER2].delivered, 'yes');
  assert.deepEqual(b.mail.list[0].mailboxIds, {[role.sent]: true});
  assert.deepEqual(b.mail.list[0].keywords, {$seen: true});
});

await step('it arrived: the other account reads it with its own client', async () => {
  const jam2 = client(USER2, PASS2);
  const acc2 = await jam2.getPrimaryAccount();
  assert.ok(acc2 && acc2 !== accountId);
  const [r] = await call(jam2.requestMany((t) => {
    const q = t.Email.query({accountId: acc2, filter: {subject: sentSubject}});
    const g = t.Email.get({accountId: acc2, ids: q.$ref('/ids'), fetchTextBodyValues: true,
      properties: ['from', 'to', 'subject', 'textBody', 'bodyValues', 'keywords']});
    return {q, g};
  }));
  assert.equal(r.g.list.length, 1, JSON.stringify(r.q));
  const e = r.g.list[0];
  assert.equal(e.from[0].email, USER);
  assert.equal(e.to[0].email, USER2);
  assert.equal(e.bodyValues[e.textBody[0].partId].value.trim(), 'Sent through a JMAP client library.');
  assert.deepEqual(e.keywords, {});
});

await step('push (eventSourceUrl): a StateChange for a change', async () => {
  // Node has no EventSource; the library only builds the URL and calls
  // the constructor, so a reader over fetch stands in for it.
  let opened;
  globalThis.EventSource = class {
    constructor(url) {
      this.url = String(url);
      this.abort = new AbortController();
      opened = fetch(this.url, {headers: {Authorization: jam.authHeader,
        Accept: 'text/event-stream'}, signal: this.abort.signal});
    }
  };
  const es = await jam.connectEventSource({types: '*', closeafter: 'state', ping: 1});
  assert.match(es.url, /types=\*&closeafter=state&ping=1$/);
  const res = await opened;
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const timer = setTimeout(() => es.abort.abort(), 5000);
  await call(jam.api.Email.set({accountId, update: {[imported.id]: {'keywords/$flagged': true}}}));
  // An event is "field: value" lines ended by a blank line, its fields
  // in any order (the "id" one included)
  const events = (t) => t.split(/\r?\n\r?\n/).slice(0, -1).map((ev) =>
    Object.fromEntries(ev.split(/\r?\n/).map((l) => [l.slice(0, l.indexOf(':')),
      l.slice(l.indexOf(':') + 1).replace(/^ /, '')])));
  let text = '', state;
  const dec = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      text += dec.decode(chunk, {stream: true});
      if ((state = events(text).find((e) => e.event === 'state'))) break;
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    es.abort.abort();
  }
  assert.ok(state, `no state event within 5 s; the stream sent ${JSON.stringify(text)}`);
  const change = JSON.parse(state.data);
  assert.equal(change['@type'], 'StateChange');
  const ts = change.changed[accountId];
  assert.ok(ts && ts.Email, state.data);
  // RFC 8621 1.5: a keyword change is no delivery
  assert.ok(!('EmailDelivery' in ts), state.data);
  // the event id is the state, for Last-Event-ID (RFC 8620 7.3)
  assert.equal(state.id, ts.Email);
});

console.log(`jmap-client: ${passed} passed, 0 failed`);
