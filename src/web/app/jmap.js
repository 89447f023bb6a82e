// jmap.js: a small JMAP client (RFC 8620/8621) for the webmail: the
// session comes from the cookie login; every API call carries the CSRF
// token the server handed out at login.
// SPDX-License-Identifier: MIT

export const CORE = 'urn:ietf:params:jmap:core';
export const MAIL = 'urn:ietf:params:jmap:mail';
export const SUBMISSION = 'urn:ietf:params:jmap:submission';
const CSRF_HEADER = 'X-Buzon-CSRF';

export class AuthError extends Error {}

export class Client {
  // who: the answer of /login or /session; its "jmap" is the session
  // resource, so connect() has nothing to fetch.
  constructor(who) {
    this.username = who.username;
    this.csrf = who.csrf;
    this.session = null;
    this.accountId = null;
    if (who.jmap) this.useSession(who.jmap);
  }

  async fetch(url, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    if (opts.method && opts.method !== 'GET') headers[CSRF_HEADER] = this.csrf;
    const r = await fetch(url, Object.assign({}, opts, {
      headers, credentials: 'same-origin', cache: 'no-store'}));
    if (r.status === 401) throw new AuthError('session expired');
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
    return r;
  }

  useSession(session) {
    this.session = session;
    this.accountId = session.primaryAccounts[MAIL] || Object.keys(session.accounts)[0];
  }

  async connect() {
    if (this.session) return this.session;
    const r = await this.fetch('/.well-known/jmap');
    this.useSession(await r.json());
    return this.session;
  }

  can(capability) {
    return Boolean(this.session && this.session.capabilities[capability]);
  }

  // calls: [[name, args, id], ...]; accountId is filled in.  Returns the
  // responses by call id (an extra response to the same call, such as the
  // implicit Email/set after EmailSubmission/set, under "id/name"); a
  // method error throws.
  async api(calls) {
    const using = [CORE, MAIL];
    if (this.can(SUBMISSION)) using.push(SUBMISSION);
    const body = {
      using,
      methodCalls: calls.map(([name, args, id]) =>
        [name, Object.assign({accountId: this.accountId}, args), id]),
    };
    const r = await this.fetch(this.session.apiUrl, {
      method: 'POST', body: JSON.stringify(body),
      headers: {'Content-Type': 'application/json'}});
    const j = await r.json();
    const out = {};
    for (const [name, args, id] of j.methodResponses) {
      if (name === 'error') throw new Error(`${id}: ${args.type} ${args.description || ''}`);
      if (id in out) out[`${id}/${name}`] = args;
      else out[id] = args;
    }
    return out;
  }

  async upload(file) {
    const url = this.session.uploadUrl.replace('{accountId}', encodeURIComponent(this.accountId));
    const r = await this.fetch(url, {method: 'POST', body: file,
      headers: {'Content-Type': file.type || 'application/octet-stream'}});
    return r.json();
  }

  downloadUrl(blobId, type, name) {
    return this.session.downloadUrl
      .replace('{accountId}', encodeURIComponent(this.accountId))
      .replace('{blobId}', encodeURIComponent(blobId))
      .replace('{type}', encodeURIComponent(type || 'application/octet-stream'))
      .replace('{name}', encodeURIComponent(name || 'attachment'));
  }

  // RFC 8620 7.3: the cookie goes along (same origin), so no token is
  // needed in the URL.  After a drop the browser reconnects by itself,
  // sending Last-Event-ID: the server then pushes what was missed.
  events(onChange) {
    const url = this.session.eventSourceUrl
      .replace('{types}', 'Mailbox,Email,Thread').replace('{closeafter}', 'no')
      .replace('{ping}', '60');
    const es = new EventSource(url);
    es.addEventListener('state', (ev) => onChange(JSON.parse(ev.data)));
    return es;
  }
}

// index.html preloads /session (same request mode and credentials, so this
// fetch takes that response) while the modules load.
export async function whoami() {
  const r = await fetch('/session', {credentials: 'same-origin'});
  return r.ok ? r.json() : null;
}

export async function login(username, password) {
  const body = new URLSearchParams({username, password});
  const r = await fetch('/login', {method: 'POST', body, credentials: 'same-origin'});
  if (r.status === 401) return null;
  if (!r.ok) throw new Error(`login: HTTP ${r.status}`);
  return r.json();
}

export async function logout(csrf) {
  await fetch('/logout', {method: 'POST', credentials: 'same-origin',
    headers: {[CSRF_HEADER]: csrf}});
}
