// The service page's two small cards: how to call the service (endpoint, the
// token hidden until asked, a ready-to-paste curl line) and the autoscaler's
// last recommendation and why.

import { h, toast } from './dom.js';

const MASK = '••••••••••••';

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`);
  } catch {
    toast(`Could not copy: select the ${what} and copy it by hand`, 'bad');
  }
}

/** The nodes of the "Calling the service" card for description `d`. */
export function accessCard(d) {
  let shown = false;
  const curl = (token) => `curl -H 'Authorization: ${token}' -d '{"hello":"pier"}' ${d.endpoint}`;
  const tokenEl = h('code', { id: 'svc-token' }, MASK);
  const curlEl = h('code', { id: 'curl' }, curl('$TOKEN'));
  const toggle = h(
    'button',
    {
      type: 'button',
      id: 'show-token',
      'aria-pressed': 'false',
      onclick: () => {
        shown = !shown;
        tokenEl.textContent = shown ? d.token : MASK;
        curlEl.textContent = curl(shown ? d.token : '$TOKEN');
        toggle.textContent = shown ? 'Hide' : 'Show';
        toggle.setAttribute('aria-pressed', String(shown));
      },
    },
    'Show',
  );
  return [
    h('h2', { id: 'access-h' }, 'Calling the service'),
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'Endpoint'),
      h('dd', {}, h('code', {}, d.endpoint)),
      h('dt', {}, 'Token'),
      h(
        'dd',
        {},
        tokenEl,
        ' ',
        toggle,
        ' ',
        h('button', { type: 'button', id: 'copy-token', onclick: () => copy(d.token, 'token') }, 'Copy'),
      ),
      h('dt', {}, 'curl'),
      h(
        'dd',
        {},
        h('pre', { class: 'curl' }, curlEl),
        h(
          'button',
          { type: 'button', id: 'copy-curl', onclick: () => copy(curl(d.token), 'curl line') },
          'Copy with token',
        ),
      ),
    ),
  ];
}

/** The nodes of the autoscaler card for `describe().autoscaler`. */
export function autoscalerCard(a) {
  const ev = a.lastEvaluation ?? {};
  const dec = a.lastDecision;
  return [
    h('h2', {}, 'Autoscaler'),
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'Wants'),
      h('dd', { id: 'as-desired' }, a.desired === undefined ? 'no decision yet' : `${a.desired} instance(s)`),
      h('dt', {}, 'Why'),
      h('dd', {}, ev.reason ?? '-'),
      h('dt', {}, 'Burst mode'),
      h('dd', {}, a.panic ? 'on' : 'off'),
      h('dt', {}, 'Last change'),
      h('dd', {}, dec ? JSON.stringify(dec) : 'none yet'),
    ),
  ];
}
