// The services list: the ?watch=true stream of summaries, plus QPS and p99
// from each service's history (refreshed every step).

import { api, keepWatching, svcPath } from './api.js';
import { badge, h, replace } from './dom.js';

const fmtQps = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(1) : String(Math.round(v)));
export const fmtSeconds = (v) =>
  v === null || v === undefined ? '-' : v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(2)} s`;

export function listView(root) {
  const abort = new AbortController();
  const body = h('tbody', { id: 'services-body' });
  const empty = h(
    'p',
    { class: 'muted', hidden: true },
    'No services yet. ',
    h('a', { href: '#/new' }, 'Create one'),
    '.',
  );
  const stats = new Map();
  let services = [];

  replace(
    root,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, 'Services'),
      h('a', { class: 'button primary', href: '#/new' }, 'New service'),
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid', id: 'services' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Status', 'Revision', 'Ready', 'QPS', 'p99', 'Endpoint'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
    ),
    empty,
  );

  const render = () => {
    empty.hidden = services.length > 0;
    replace(
      body,
      services.map((s) => {
        const st = stats.get(s.name);
        return h(
          'tr',
          { dataset: { service: s.name } },
          h('td', {}, h('a', { href: `#/s/${encodeURIComponent(s.name)}` }, s.name)),
          h('td', {}, badge(s.status), s.reason ? h('span', { class: 'muted small' }, ` ${s.reason}`) : null),
          h('td', {}, String(s.revision)),
          h('td', { class: 'ready' }, `${s.instances.ready}/${s.desired}`),
          h('td', { class: 'qps' }, fmtQps(st?.qps)),
          h('td', {}, fmtSeconds(st?.p99)),
          h('td', { class: 'endpoint' }, h('code', {}, s.endpoint)),
        );
      }),
    );
  };

  const refreshStats = async () => {
    await Promise.all(
      services.map(async (s) => {
        try {
          const hist = await api('GET', `${svcPath(s.name)}/history`, undefined, abort.signal);
          const last = hist.points.at(-1);
          if (last) stats.set(s.name, { qps: last.qps['2xx'] + last.qps['4xx'] + last.qps['5xx'], p99: last.p99 });
        } catch {
          // a service deleted meanwhile
        }
      }),
    );
    if (!abort.signal.aborted) render();
  };

  keepWatching(
    '/api/v1/services',
    (list) => {
      const fresh = services.length === 0;
      services = list;
      render();
      if (fresh) refreshStats();
    },
    abort.signal,
  );
  const timer = setInterval(refreshStats, 5000);
  return () => {
    abort.abort();
    clearInterval(timer);
  };
}
