// webmail.mjs: the webmail in Debian's chromium (playwright-core):
// log in, read a message delivered by SMTP, flag, search, move to Trash,
// push update on new mail, drafts, an XSS message that must stay inert,
// the phone layout.  Run by test_webmail_e2e.py, which starts buzon and
// delivers the first messages; env: BASE, SMTP_PORT, USER, PASS, OUT.
// Prints "e2e: N passed, 0 failed" or throws.
// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {chromium} from 'playwright-core';

const {BASE, SMTP_PORT, USER, PASS, OUT} = process.env;
let passed = 0;
const step = async (name, fn) => {
  const t0 = Date.now();
  await fn();
  passed++;
  console.log(`ok ${passed} ${name} (${Date.now() - t0} ms)`);
};

// A loopback server that counts what a message manages to fetch.
const hits = [];
const spy = http.createServer((req, res) => { hits.push(req.url); res.end(''); });
await new Promise((r) => spy.listen(0, '127.0.0.1', r));
const SPY = `http://127.0.0.1:${spy.address().port}`;

// Deliver one message over SMTP (RFC 5321), the way a peer would.
function smtpSend(from, to, data) {
  return new Promise((resolve, reject) => {
    const lines = [`EHLO e2e.test`, `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA',
      data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') + '\r\n.', 'QUIT'];
    const s = net.connect(Number(SMTP_PORT), '127.0.0.1');
    let buf = '';
    s.setTimeout(10000, () => reject(new Error('smtp timeout')));
    s.on('data', (d) => {
      buf += d;
      let m;
      while ((m = buf.match(/^(\d{3}) .*\r\n/m))) {
        const code = Number(m[1]);
        buf = buf.slice(buf.indexOf(m[0]) + m[0].length);
        if (code >= 400) { s.destroy(); return reject(new Error(`smtp: ${m[0]}`)); }
        const next = lines.shift();
        if (next === undefined) { s.end(); return resolve(); }
        s.write(next + '\r\n');
      }
    });
    s.on('error', reject);
  });
}

const XSS = `From: Mallory <mallory@evil.test>
To: ${USER}
Subject: XSS probe
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><style>body{background:url(${SPY}/css-bg)}</style>
<script>alert('script');parent.document.title='pwned'</script>
<meta http-equiv="refresh" content="0;url=javascript:alert('refresh')"></head>
<body><p id="t">Hello <b>there</b></p>
<img src="x" onerror="alert('onerror');parent.postMessage('pwned','*')">
<img src="${SPY}/remote.png" alt="remote">
<a id="js" href="javascript:alert('link')">click me</a>
<a id="ok" href="https://example.org/">a link</a>
<svg onload="alert('svg')"></svg>
<iframe src="javascript:alert('frame')"></iframe>
<form action="${SPY}/form"><input name="q" value="x"></form>
<div style="background-image:url(${SPY}/css-inline)">styled</div>
</body></html>
`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const dialogs = [];
const errors = [];
try {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 800}});
  const page = await ctx.newPage();
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await smtpSend('mallory@evil.test', USER, XSS);

  await step('login page, wrong password refused', async () => {
    await page.goto(BASE + '/');
    await page.waitForSelector('#login-form:visible');
    await page.screenshot({path: `${OUT}/01-login.png`});
    await page.fill('[name=username]', USER);
    await page.fill('[name=password]', 'wrong');
    await page.click('#login-form button');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('Wrong'));
  });

  await step('login, inbox with unread counts', async () => {
    await page.fill('[name=password]', PASS);
    await page.click('#login-form button');
    await page.waitForSelector('#messages li.msg');
    assert.equal(await page.textContent('#user'), USER);
    const inbox = page.locator('#folder-list a[data-role=inbox]');
    assert.match(await inbox.textContent(), /INBOX\s*3/);
    assert.equal(await page.locator('#messages li.msg.unread').count(), 3);
    // the session cookie is out of the scripts' reach
    assert.equal(await page.evaluate(() => document.cookie), '');
    await page.screenshot({path: `${OUT}/02-inbox.png`});
  });

  const row = (subject) => page.locator('#messages li.msg', {hasText: subject});

  await step('read a message delivered by SMTP', async () => {
    await row('Quarterly report').click();
    await page.waitForSelector('#reader .text-body');
    assert.match(await page.textContent('#reader .text-body'), /numbers are up <b>not bold<\/b>/);
    await page.waitForSelector('#messages li.msg.read >> text=Quarterly report');
    await page.waitForFunction(() => /INBOX\s*2/.test(document.querySelector('#folder-list a[data-role=inbox]').textContent));
    await page.screenshot({path: `${OUT}/03-read.png`});
  });

  await step('flag with the keyboard (s), unread with u', async () => {
    await page.keyboard.press('s');
    await page.waitForSelector('#messages li.msg.flagged >> text=Quarterly report');
    await page.keyboard.press('u');
    await page.waitForSelector('#messages li.msg.unread >> text=Quarterly report');
  });

  await step('XSS message stays inert', async () => {
    await row('XSS probe').click();
    const frame = page.locator('#reader iframe.html-body');
    await frame.waitFor();
    const sandbox = await frame.getAttribute('sandbox');
    assert.ok(!sandbox.includes('allow-scripts') && !sandbox.includes('allow-same-origin'), sandbox);
    const f = page.frameLocator('#reader iframe.html-body');
    await f.locator('#t').waitFor();
    assert.equal(await f.locator('script, svg, iframe, form, meta[http-equiv=refresh]').count(), 0);
    assert.equal(await f.locator('#js').getAttribute('href'), null);
    assert.equal(await f.locator('#ok').getAttribute('target'), '_blank');
    assert.match(await f.locator('#ok').getAttribute('rel'), /noopener/);
    await f.locator('#js').click();
    await page.waitForTimeout(500);
    assert.deepEqual(dialogs, []);
    assert.notEqual(await page.title(), 'pwned');
    assert.deepEqual(hits, [], 'nothing remote loaded before asking');
    await page.waitForSelector('#reader .notice >> text=Remote images are blocked');
    await page.screenshot({path: `${OUT}/04-xss.png`});
    await page.click('#reader .notice button');
    await page.waitForFunction(() => document.querySelector('#reader .notice') === null);
    for (let i = 0; i < 50 && !hits.includes('/remote.png'); i++) await page.waitForTimeout(100);
    assert.ok(hits.includes('/remote.png'), `remote image after asking: ${hits}`);
    assert.ok(!hits.includes('/form'));
    assert.deepEqual(dialogs, []);
  });

  await step('search', async () => {
    await page.keyboard.press('Escape');
    await page.locator('#messages').click({position: {x: 5, y: 5}}).catch(() => {});
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('/');
    await page.keyboard.type('lunch');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#list-title').textContent === 'Search: lunch');
    await page.waitForFunction(() => document.querySelectorAll('#messages li.msg').length === 1);
    assert.match(await page.textContent('#messages li.msg'), /Lunch on Friday/);
    await page.screenshot({path: `${OUT}/05-search.png`});
  });

  await step('delete (#) moves to Trash', async () => {
    await row('Lunch on Friday').click();
    await page.waitForSelector('#reader .text-body');
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('#');
    await page.waitForSelector('#toast.show >> text=moved to Trash');
    await page.click('#folder-list a[data-role=trash]');
    await page.waitForSelector('#messages li.msg >> text=Lunch on Friday');
    await page.click('#folder-list a[data-role=inbox]');
    await page.waitForFunction(() => document.querySelectorAll('#messages li.msg').length === 2);
  });

  // RFC 8620 7.3: the app's event-source stream brings the new mail in
  // (its fallback check on focus or once a minute is not waited for).
  await step('push: new mail shows without reload', async () => {
    await smtpSend('carol@example.org', USER,
      `From: Carol <carol@example.org>\nTo: ${USER}\nSubject: Pushed while open\n\nhello\n`);
    await page.waitForSelector('#messages li.msg >> text=Pushed while open', {timeout: 10000});
    // unread: Quarterly report (marked unread above) and the new one
    await page.waitForFunction(() => /INBOX\s*2$/.test(document.querySelector('#folder-list a[data-role=inbox]').textContent));
  });

  await step('compose: Send enabled, draft saved', async () => {
    await row('Quarterly report').click();
    await page.waitForSelector('#reader .text-body');
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('r');
    await page.waitForSelector('#compose[open]');
    assert.equal(await page.inputValue('[name=subject]'), 'Re: Quarterly report');
    assert.match(await page.inputValue('[name=to]'), /bob@example\.org/);
    assert.match(await page.inputValue('[name=body]'), /> Hi Alice/);
    // sending needs EmailSubmission, which the server's session
    // resource advertises: Send is enabled
    const caps = await page.evaluate(async () => (await (await fetch('/.well-known/jmap')).json()).capabilities);
    assert.deepEqual(caps['urn:ietf:params:jmap:submission'], {});
    assert.ok(await page.locator('#send').isEnabled());
    await page.setInputFiles('#attach', {name: 'notes.txt', mimeType: 'text/plain',
      buffer: Buffer.from('attached notes\n')});
    await page.waitForSelector('#compose-attachments li >> text=notes.txt');
    await page.screenshot({path: `${OUT}/06-compose.png`});
    await page.click('#save-draft');
    await page.waitForSelector('#toast.show >> text=Draft saved');
    await page.click('#discard');
    await page.click('#folder-list a[data-role=drafts]');
    await page.waitForSelector('#messages li.msg >> text=Re: Quarterly report');
  });

  await step('send to another local account (EmailSubmission)', async () => {
    await page.keyboard.press('c');
    await page.waitForSelector('#compose[open]');
    assert.ok(await page.locator('#send').isEnabled());
    await page.fill('[name=to]', 'Bob <bob@example.test>');
    await page.fill('[name=subject]', 'Sent from the webmail');
    await page.fill('[name=body]', 'Hello Bob, from a browser.');
    await page.click('#send');
    await page.waitForSelector('#toast.show >> text=Sent');
    assert.ok(await page.locator('#compose').evaluate((d) => !d.open));
    await page.click('#folder-list a[data-role=sent]');
    await page.waitForSelector('#messages li.msg >> text=Sent from the webmail');
  });

  await step('multi-select, mark read', async () => {
    await page.click('#folder-list a[data-role=inbox]');
    await page.waitForSelector('#messages li.msg.unread');
    await page.check('#select-all');
    await page.click('#list-toolbar button[data-act=read]');
    await page.waitForFunction(() => document.querySelectorAll('#messages li.msg.unread').length === 0);
    await page.waitForFunction(() => !document.querySelector('#folder-list a[data-role=inbox] .count'));
    await page.uncheck('#select-all');
  });

  await step('phone layout', async () => {
    await page.setViewportSize({width: 390, height: 844});
    await page.click('#menu-btn');
    await page.click('#folder-list a[data-role=inbox]');
    await page.waitForSelector('#messages li.msg >> text=Pushed while open');
    assert.ok(await page.locator('#reader').isHidden());
    await page.waitForTimeout(300); // the drawer slides away
    await page.screenshot({path: `${OUT}/07-phone-list.png`});
    await row('Pushed while open').click();
    await page.waitForSelector('#reader .text-body');
    assert.ok(await page.locator('#list-pane').isHidden());
    await page.screenshot({path: `${OUT}/08-phone-read.png`});
    await page.click('#reader .back');
    await page.waitForSelector('#list-pane:visible');
  });

  await step('logout', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-form:visible');
    const r = await page.evaluate(async () => (await fetch('/session')).status);
    assert.equal(r, 401);
  });

  assert.deepEqual(dialogs, [], 'no dialog ever opened');
  const bad = errors.filter((e) => !/Content Security Policy|401|Failed to load resource/.test(e));
  assert.deepEqual(bad, [], 'no script errors');
} finally {
  await browser.close();
  spy.close();
}
console.log(`e2e: ${passed} passed, 0 failed`);
