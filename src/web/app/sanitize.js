// sanitize.js: an HTML mail body made into the srcdoc of a sandboxed
// iframe.  The iframe (sandbox without allow-scripts or
// allow-same-origin) and the policy below are what keep scripts out;
// this pass also drops active content, forces links to open in a new
// tab without an opener, and holds remote images back until asked.
// SPDX-License-Identifier: MIT

const DROP = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed',
  'applet', 'form', 'base', 'meta', 'link', 'noscript', 'template', 'portal',
  'svg', 'math', 'input', 'button', 'textarea', 'select']);
const URL_ATTRS = ['href', 'src', 'action', 'formaction', 'xlink:href',
  'background', 'poster', 'srcset', 'lowsrc', 'dynsrc', 'ping'];
const REMOTE = /^\s*(https?:)?\/\//i;
const SAFE_LINK = /^\s*(https?:|mailto:|#)/i;

// The policy of the frame's document: it can only narrow the app's (CSP
// 3: a srcdoc document inherits its parent's policy too).  No script at
// all; images from data: only until the user allows remote ones; no
// fonts, no connections (CSS url() exfiltration is blocked with them).
function policy(remote) {
  return `default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; ` +
    `img-src data:${remote ? ' https: http:' : ''}; font-src 'none'; ` +
    `connect-src 'none'; form-action 'none'; base-uri 'none'`;
}

// Returns {html, blocked}: blocked counts remote images held back.
export function sanitizeHtml(source, allowRemote) {
  const doc = new DOMParser().parseFromString(source, 'text/html');
  let blocked = 0;
  for (const el of Array.from(doc.querySelectorAll('*'))) {
    const tag = el.localName;
    if (DROP.has(tag)) { el.remove(); continue; }
    for (const a of Array.from(el.attributes)) {
      const n = a.name.toLowerCase();
      if (n.startsWith('on') || n === 'srcdoc' || n === 'formaction') {
        el.removeAttribute(a.name);
      } else if (URL_ATTRS.includes(n)) {
        const v = a.value;
        if (tag === 'a' && n === 'href') {
          if (!SAFE_LINK.test(v)) el.removeAttribute(a.name);
        } else if (n === 'src' && tag === 'img' && /^\s*data:image\//i.test(v)) {
          // inline image: fine
        } else if (REMOTE.test(v) && (n === 'src' || n === 'background' || n === 'srcset')) {
          if (!allowRemote) { el.removeAttribute(a.name); blocked++; }
        } else {
          el.removeAttribute(a.name);
        }
      } else if (n === 'style' && /url\s*\(/i.test(a.value) && !allowRemote) {
        blocked++;
      }
    }
    if (tag === 'a') {
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
  }
  for (const st of Array.from(doc.querySelectorAll('style'))) {
    if (/url\s*\(/i.test(st.textContent) && !allowRemote) blocked++;
  }
  const styles = Array.from(doc.querySelectorAll('style')).map((s) => s.outerHTML).join('');
  const html = '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${policy(allowRemote)}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<style>body{font:15px/1.5 system-ui,sans-serif;color:#1f2328;margin:16px;' +
    'word-wrap:break-word}img{max-width:100%;height:auto}</style>' +
    styles + '</head><body>' + (doc.body ? doc.body.innerHTML : '') + '</body></html>';
  return {html, blocked};
}
