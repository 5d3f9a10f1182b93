// Elements are built with the DOM API only (no innerHTML): names, messages
// and logs from the server are always text, never markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h('button', {class: 'x', onclick}, 'text', child…) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function age(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return '-';
  const sec = Math.max(0, Math.round((now - ms) / 1000));
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${sec % 60}s`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h${Math.floor((sec % 3600) / 60)}m`;
  return `${Math.floor(sec / 86400)}d`;
}

export function time(ms) {
  return new Date(ms).toLocaleTimeString();
}

export function badge(status) {
  const kind = /Running|true|Ready/.test(status)
    ? 'ok'
    : /Failed|CrashLoop|Warning|false/.test(status)
      ? 'bad'
      : 'busy';
  return h('span', { class: `badge ${kind}` }, status);
}

/** Shows a short message in the live region (screen readers announce it). */
let toastTimer;
export function toast(text, kind = 'info') {
  const el = document.getElementById('toast');
  replace(el, h('p', { class: `toast ${kind}` }, text));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => replace(el), 5000);
}
