// The service page's live panels: instances and events (?watch=true streams),
// logs (logs?follow=1), and revisions with rollback (promote, and each one's percent, under a traffic split) and a diff of any two.

import { api, follow, keepWatching, svcPath } from './api.js';
import { age, badge, h, replace, time } from './dom.js';

const MAX_EVENTS = 200;
const MAX_LOG_CHARS = 200_000;

function lastState(i) {
  const ls = i.lastState;
  if (!ls) return '-';
  return `${ls.reason} (${ls.signal ? `signal ${ls.signal}` : `exit ${ls.exitCode}`}) ${time(ls.finishedAt)}`;
}

function probes(i) {
  const kinds = Object.entries(i.probes ?? {});
  if (kinds.length === 0) return '-';
  return h(
    'ul',
    { class: 'probes' },
    kinds.map(([kind, p]) =>
      h(
        'li',
        { class: p.result === 'failure' ? 'bad' : '' },
        `${kind}: ${p.result}`,
        p.message ? ` — ${p.message}` : '',
      ),
    ),
  );
}

export function instancesPanel(name, signal, actions, onList) {
  const body = h('tbody', { id: 'instances-body' });
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'inst-h' },
    h('h2', { id: 'inst-h' }, 'Instances'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid', id: 'instances' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['ID', 'State', 'Ready', 'Restarts', 'Last state', 'Probes', 'Address', 'Age', ''].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        body,
      ),
    ),
  );
  let list = [];
  const render = () =>
    replace(
      body,
      list.length === 0
        ? h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No instances.'))
        : list.map((i) =>
            h(
              'tr',
              { dataset: { instance: i.id, state: i.state, restarts: String(i.restarts) } },
              h(
                'td',
                {},
                h('code', {}, i.id),
                i.revision ? h('span', { class: 'muted small' }, ` r${i.revision}`) : null,
              ),
              h(
                'td',
                { class: 'state' },
                badge(i.state),
                i.message ? h('div', { class: 'muted small' }, i.message) : null,
              ),
              h('td', {}, badge(String(i.ready))),
              h('td', { class: 'restarts' }, String(i.restarts)),
              h('td', { class: 'small' }, lastState(i)),
              h('td', { class: 'small' }, probes(i)),
              h('td', {}, i.address ? h('code', {}, i.address) : '-'),
              h('td', {}, age(i.startedAt)),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small',
                    onclick: () => actions.restart(i.id),
                    'aria-label': `Restart ${i.id}`,
                  },
                  'Restart',
                ),
              ),
            ),
          ),
    );
  keepWatching(
    `${svcPath(name)}/instances`,
    (next) => {
      list = next;
      onList(list);
      render();
    },
    signal,
  );
  // Ages move on without a change in the stream.
  const timer = setInterval(render, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
  return el;
}

export function eventsPanel(name, signal) {
  const ol = h('ol', { id: 'events', class: 'events', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const el = h('section', { class: 'card', 'aria-labelledby': 'ev-h' }, h('h2', { id: 'ev-h' }, 'Events'), ol);
  keepWatching(
    `${svcPath(name)}/events?limit=50`,
    (e) => {
      if (ol.querySelector(`[data-id="${e.id}"]`)) return;
      ol.prepend(
        h(
          'li',
          { class: e.type === 'Warning' ? 'warn' : '', dataset: { id: String(e.id), reason: e.reason } },
          h('time', { datetime: new Date(e.time).toISOString() }, time(e.time)),
          ' ',
          h('strong', {}, e.reason),
          e.instance ? h('code', { class: 'small' }, ` ${e.instance}`) : null,
          ' ',
          e.message,
        ),
      );
      while (ol.children.length > MAX_EVENTS) ol.lastElementChild.remove();
    },
    signal,
  );
  return el;
}

export function logsPanel(name, signal) {
  const select = h('select', { id: 'log-instance' }, h('option', { value: '' }, 'all instances'));
  const pre = h('pre', { id: 'logs', class: 'logs', tabindex: 0, 'aria-label': 'Log output' });
  let current;
  const start = () => {
    current?.abort();
    const mine = new AbortController();
    current = mine;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    pre.textContent = '';
    const q = new URLSearchParams({ follow: '1', tail: '100' });
    if (select.value) q.set('instance', select.value);
    follow(
      `${svcPath(name)}/logs?${q}`,
      (text) => {
        const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = (pre.textContent + text).slice(-MAX_LOG_CHARS);
        if (stick) pre.scrollTop = pre.scrollHeight;
      },
      mine.signal,
    ).catch((err) => {
      if (!mine.signal.aborted) pre.textContent += `\n[${err.message}]\n`;
    });
  };
  select.addEventListener('change', start);
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'logs-h' },
    h(
      'div',
      { class: 'row' },
      h('h2', { id: 'logs-h' }, 'Logs'),
      h('label', { for: 'log-instance', class: 'sr' }, 'Instance'),
      select,
    ),
    pre,
  );
  start();
  return {
    el,
    stop: () => current?.abort(),
    setInstances(ids) {
      const have = [...select.options].map((o) => o.value).filter(Boolean);
      if (have.join() === ids.join()) return;
      const keep = select.value;
      replace(
        select,
        h('option', { value: '' }, 'all instances'),
        ids.map((id) => h('option', { value: id }, id)),
      );
      select.value = ids.includes(keep) ? keep : '';
      // "All" follows the instances that exist when the stream opens: follow the new set.
      if (select.value === '') start();
    },
  };
}

export function revisionsPanel(name, actions) {
  const body = h('tbody', { id: 'revisions-body' });
  const from = h('select', { id: 'diff-from', 'aria-label': 'From revision' });
  const to = h('select', { id: 'diff-to', 'aria-label': 'To revision' });
  const out = h('div', { id: 'diff', class: 'scroll', 'aria-live': 'polite' });
  let known = '';
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'rev-h' },
    h('h2', { id: 'rev-h' }, 'Revisions'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid', id: 'revisions' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['#', 'Created', 'Change', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
    ),
    h(
      'form',
      {
        class: 'inline',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const d = await api('GET', `${svcPath(name)}/diff?from=${from.value}&to=${to.value}`);
            replace(
              out,
              d.changes.length === 0
                ? h('p', { class: 'muted' }, 'No difference.')
                : h(
                    'table',
                    { class: 'grid diff' },
                    h(
                      'thead',
                      {},
                      h(
                        'tr',
                        {},
                        ['Path', `r${d.from}`, `r${d.to}`].map((t) => h('th', { scope: 'col' }, t)),
                      ),
                    ),
                    h(
                      'tbody',
                      {},
                      d.changes.map((c) =>
                        h(
                          'tr',
                          {},
                          h('td', {}, h('code', {}, c.path)),
                          h('td', { class: 'del' }, JSON.stringify(c.from) ?? '—'),
                          h('td', { class: 'add' }, JSON.stringify(c.to) ?? '—'),
                        ),
                      ),
                    ),
                  ),
            );
          } catch (err) {
            replace(out, h('p', { class: 'error' }, err.message));
          }
        },
      },
      h('span', {}, 'Diff'),
      from,
      h('span', {}, '→'),
      to,
      h('button', { type: 'submit', id: 'diff-go' }, 'Show diff'),
    ),
    out,
  );
  return {
    el,
    update(desc) {
      const key = JSON.stringify([desc.revisions, desc.traffic]);
      if (key === known) return;
      known = key;
      const revs = desc.revisions;
      // A split between revisions (Knative-style): each revision's percent, and promote instead of roll back.
      const traffic = desc.traffic ?? [];
      const split = traffic.length > 1 || traffic[0]?.revision !== desc.revision ? traffic : [];
      const share = (n) => split.find((t) => t.revision === n);
      replace(
        body,
        [...revs]
          .reverse()
          .map((r) =>
            h(
              'tr',
              { dataset: { revision: String(r.number) } },
              h(
                'td',
                {},
                String(r.number),
                r.current ? h('span', { class: 'badge ok' }, 'current') : null,
                share(r.number) ? h('span', { class: 'badge' }, `${share(r.number).percent}% traffic`) : null,
              ),
              h('td', {}, new Date(r.createdAt).toLocaleString()),
              h('td', {}, r.summary),
              h(
                'td',
                {},
                share(r.number) && !r.current
                  ? h(
                      'button',
                      { type: 'button', class: 'small', onclick: () => actions.promote(r.number) },
                      `Promote ${r.number}`,
                    )
                  : r.current
                    ? ''
                    : h(
                        'button',
                        { type: 'button', class: 'small', onclick: () => actions.rollback(r.number) },
                        `Roll back to ${r.number}`,
                      ),
              ),
            ),
          ),
      );
      const opts = () => revs.map((r) => h('option', { value: r.number }, `r${r.number}`));
      replace(from, opts());
      replace(to, opts());
      from.value = String(revs.at(-2)?.number ?? revs[0]?.number ?? 1);
      to.value = String(revs.at(-1)?.number ?? 1);
    },
  };
}
