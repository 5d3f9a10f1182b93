// Service groups: per group its mode, affinity and endpoint, and per member the
// weight, ready instances, the share the weights give now and the measured split
// (requests the gateway sent it through the group endpoint). Refreshed every 3 s.

import { api } from './api.js';
import { h, replace } from './dom.js';

const pct = (n, total) => (total === 0 ? '-' : `${((n / total) * 100).toFixed(1)}%`);

function groupCard(g) {
  const total = g.members.reduce((n, m) => n + m.requests, 0);
  const mode = g.mode === 'auto' ? 'auto (by ready instances)' : 'custom (by weight)';
  const affinity = g.affinity ? `${g.affinity.kind} ${g.affinity.key}` : 'none';
  return h(
    'section',
    { class: 'card', dataset: { group: g.name } },
    h('h2', {}, g.name),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Endpoint'),
      h('dd', {}, h('code', {}, g.endpoint)),
      h('dt', {}, 'Mode'),
      h('dd', { class: 'mode' }, mode),
      h('dt', {}, 'Affinity'),
      h('dd', {}, affinity),
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid members' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Service', 'Weight', 'Ready', 'Traffic', 'Share now', 'Requests', 'Measured'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          g.members.map((m) =>
            h(
              'tr',
              { dataset: { member: m.service } },
              h('td', {}, h('a', { href: `#/s/${encodeURIComponent(m.service)}` }, m.service)),
              h('td', {}, String(m.weight)),
              h('td', {}, String(m.ready)),
              h('td', {}, m.standalone ? 'standalone' : 'grouping'),
              h('td', { class: 'share' }, `${m.share}%`),
              h('td', { class: 'requests' }, String(m.requests)),
              h('td', { class: 'measured' }, pct(m.requests, total)),
            ),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: 'muted small' },
      `Change weights with "pier group traffic ${g.name} svcA=90 svcB=10"; pin a member with ${g.endpoint}.<service>.`,
    ),
  );
}

export function groupsView(root) {
  const abort = new AbortController();
  const list = h('div', { id: 'groups' });
  const empty = h(
    'p',
    { class: 'muted', hidden: true },
    'No service groups. A service joins one with "metadata.group" in its spec.',
  );
  replace(root, h('div', { class: 'row' }, h('h1', {}, 'Service groups')), list, empty);
  const refresh = async () => {
    try {
      const groups = await api('GET', '/api/v1/groups', undefined, abort.signal);
      empty.hidden = groups.length > 0;
      replace(list, groups.map(groupCard));
    } catch {
      // signed out or aborted: the router takes over
    }
  };
  refresh();
  const timer = setInterval(refresh, 3000);
  return () => {
    abort.abort();
    clearInterval(timer);
  };
}
