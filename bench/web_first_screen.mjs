// web_first_screen.mjs: time to first screen of the webmail in Debian's chromium
// (playwright-core from tests/e2e/node_modules), for bench/web.sh.
// Env: BASE (http://127.0.0.1:PORT), USER, PASS, REPS, ROOT (the source tree),
// CHROMIUM (default /usr/bin/chromium).
// Per round, in a fresh browser context (no cookies, empty cache):
//   login:  the login form submitted -> the first page of the INBOX message list shown
//           (login, whose answer carries the JMAP session resource; Mailbox/get;
//           Email/query + Email/get + Thread/get; rendering);
//   open:   a click on the newest message -> its text shown in the reading pane;
//   reload: the page reloaded with the session cookie (a returning user) -> the
//           message list shown again, from navigation start (loading the app's files
//           and /session included; the list loads beside Mailbox/get, the app
//           remembering the INBOX's id).
// Each is timed by the page's own clock (performance.now()): from the submit or
// click event (dispatched in the page) or navigation start, to the end of the
// first frame after the 50 rows (the message text) entered the DOM, the frame
// that paints them (a task posted from its animation frame callback runs once
// its style, layout and paint are done).  The drv_* figures are the same spans as the driver sees
// them (node's clock around playwright's click and a polling waitForFunction):
// they add playwright's actionability checks and CDP round trips, 100-400 ms on
// a busy 2-CPU host, which no user waits for.
// One unmeasured round first ("first"). Prints "rep=N login_ms=... open_ms=...
// reload_ms=... drv_login_ms=... drv_open_ms=... drv_reload_ms=..." per round and
// "median ..." last.
// SPDX-License-Identifier: MIT
import {pathToFileURL} from 'node:url';

const {BASE, USER, PASS, ROOT} = process.env;
const REPS = Number(process.env.REPS || 5);
const {chromium} = await import(
  pathToFileURL(`${ROOT}/tests/e2e/node_modules/playwright-core/index.mjs`).href);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const LIST = '#messages li.msg';
const TEXT = '#reader .text-body, #reader iframe.html-body';

// In the page before its scripts: window.__fs holds the times (page clock) of
// the last submit or click ("start") and of the end of the first frame after
// the list (50 rows) and the message text appeared ("list", "text"), each noted
// once after reset.
function marks(sel) {
  const fs = window.__fs = {};
  const note = (k) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { if (fs[k] === undefined) fs[k] = performance.now(); };
    ch.port2.postMessage(0);
  });
  const start = () => { fs.start = performance.now(); };
  document.addEventListener('submit', start, true);
  document.addEventListener('click', start, true);
  new MutationObserver(() => {
    if (fs.list === undefined && document.querySelectorAll(sel.list).length >= 50) note('list');
    if (fs.text === undefined && document.querySelector(sel.text)) note('text');
  }).observe(document, {subtree: true, childList: true});
}
const waitMark = (page, k) => page.waitForFunction((key) => window.__fs[key] !== undefined, k,
  {polling: 'raf', timeout: 600000});
const reset = (page) => page.evaluate(() => { for (const k of Object.keys(window.__fs)) delete window.__fs[k]; });

async function round() {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 800}});
  await ctx.addInitScript(marks, {list: LIST, text: TEXT});
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(BASE + '/');
    await page.waitForSelector('#login-form:visible');
    await page.fill('[name=username]', USER);
    await page.fill('[name=password]', PASS);
    await reset(page);
    const t0 = performance.now();
    await page.click('#login-form button');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length >= 50, LIST,
      {polling: 'raf', timeout: 600000});
    const t1 = performance.now();
    await waitMark(page, 'list');
    const login = await page.evaluate(() => window.__fs.list - window.__fs.start);
    await reset(page);
    const t2 = performance.now();
    await page.locator(LIST).first().click();
    await page.waitForSelector(TEXT, {timeout: 600000});
    const t3 = performance.now();
    await waitMark(page, 'text');
    const open = await page.evaluate(() => window.__fs.text - window.__fs.start);
    await page.reload();
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length >= 50, LIST,
      {polling: 'raf', timeout: 600000});
    const drvReload = await page.evaluate(() => performance.now());
    await waitMark(page, 'list');
    const reload = await page.evaluate(() => window.__fs.list);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return {login, open, reload, drv_login: t1 - t0, drv_open: t3 - t2, drv_reload: drvReload};
  } finally {
    await ctx.close();
  }
}

const fmt = (m) => Object.entries(m).map(([k, v]) => `${k}_ms=${v.toFixed(1)}`).join(' ');
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  console.log(`first ${fmt(await round())}`);
  const rounds = [];
  for (let i = 1; i <= REPS; i++) {
    rounds.push(await round());
    console.log(`rep=${i} ${fmt(rounds[i - 1])}`);
  }
  const med = {};
  for (const k of Object.keys(rounds[0])) med[k] = median(rounds.map((r) => r[k]));
  console.log(`median ${fmt(med)}`);
} finally {
  await browser.close();
}
