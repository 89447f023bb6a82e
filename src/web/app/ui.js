// ui.js: small DOM helpers for the webmail (text always goes in as text,
// never as HTML).
// SPDX-License-Identifier: MIT

export const $ = (sel, root = document) => root.querySelector(sel);

// h('button.primary', {onclick}, 'text', child...): an element.
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function addrText(list, full = false) {
  if (!list || !list.length) return '';
  return list.map((a) => (full && a.name ? `${a.name} <${a.email}>` : a.name || a.email)).join(', ');
}

// "a@x, B <b@y>" -> [{name, email}]
export function parseAddrs(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = s.match(/^(.*)<([^>]+)>$/);
    return m ? {name: m[1].trim().replace(/^"|"$/g, '') || null, email: m[2].trim()}
      : {name: null, email: s};
  });
}

// The list's date formats, made once: each toLocale*String(locale, options)
// call builds a formatter anew (50 rows: ~15 ms), and the first one in a
// page loads the locale data (~50 ms on a busy host).
let formats = null;
export function warmDates() {
  if (!formats) {
    formats = {
      time: new Intl.DateTimeFormat([], {hour: '2-digit', minute: '2-digit'}),
      day: new Intl.DateTimeFormat([], {month: 'short', day: 'numeric'}),
      date: new Intl.DateTimeFormat(),
    };
  }
  return formats;
}

export function shortDate(iso) {
  const d = new Date(iso);
  const now = new Date();
  const f = warmDates();
  if (d.toDateString() === now.toDateString()) return f.time.format(d);
  if (d.getFullYear() === now.getFullYear()) return f.day.format(d);
  return f.date.format(d);
}

let toastTimer = 0;
export function toast(text) {
  const t = $('#toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3000);
}
