// One service: header and actions, token and curl line, charts, the
// autoscaler's decision, then instances, events, logs and revisions (panels.js).

import { ApiError, api, svcPath } from './api.js';
import { lineChart } from './charts.js';
import { badge, h, replace, toast } from './dom.js';
import { fmtSeconds } from './list.js';
import { accessCard, autoscalerCard } from './details.js';
import { eventsPanel, instancesPanel, logsPanel, revisionsPanel } from './panels.js';
import { running, scaledTo, settle } from './progress.js';

export function serviceView(root, name) {
  const abort = new AbortController();
  const timers = [];
  const header = h('div', { class: 'service-head' });
  const progress = h('div', { id: 'progress', class: 'progress', role: 'status', 'aria-live': 'polite', hidden: true });
  const access = h('section', { class: 'card', 'aria-labelledby': 'access-h' });
  const charts = h('section', { class: 'charts', id: 'charts', 'aria-label': 'Charts, last hour' });
  const autoscaler = h('section', { class: 'card', id: 'autoscaler', hidden: true });
  let desc;
  const accessState = { key: '' };
  let busy = false;

  const act = async (label, call, done) => {
    if (busy) return;
    busy = true;
    for (const b of header.querySelectorAll('button')) b.disabled = true;
    try {
      await call();
      const d = await settle(progress, name, label, done);
      if (d === null) {
        toast(`${name} deleted`);
        location.hash = '#/';
        return;
      }
    } catch (err) {
      progress.hidden = false;
      progress.className = 'progress bad';
      replace(progress, h('strong', {}, `${label} failed: `), err.message);
    } finally {
      busy = false;
      await refresh();
    }
  };
  const actions = {
    act,
    restart: (instance) => {
      const before = new Set((desc?.instanceIds ?? []).filter((id) => !instance || id === instance));
      return act(
        instance ? `Restarting ${instance}` : 'Restarting',
        () => api('POST', `${svcPath(name)}/restart`, instance ? { instance } : {}),
        (d) => running(d) && d.instances.ready === d.desired && !lastIds.some((id) => before.has(id)),
      );
    },
    rollback: (n) =>
      act(
        `Rolling back to revision ${n}`,
        () => api('POST', `${svcPath(name)}/rollback`, { revision: n }),
        (d) => d !== null && d.revision === n && running(d) && d.instances.ready === d.desired,
      ),
    promote: (n) =>
      act(
        `Promoting revision ${n}`,
        () => api('POST', `${svcPath(name)}/promote`, { revision: n }),
        (d) => d !== null && d.revision === n && running(d) && d.instances.ready === d.desired,
      ),
  };
  let lastIds = [];

  const renderHeader = () => {
    const d = desc;
    const scaleInput = h('input', {
      id: 'scale-n',
      type: 'number',
      min: 0,
      value: d.desired,
      class: 'narrow',
      'aria-label': 'Instances',
    });
    replace(
      header,
      h(
        'div',
        { class: 'row' },
        h('h1', {}, d.name),
        badge(d.status),
        h('span', { class: 'muted' }, `revision ${d.revision}`),
      ),
      d.message || d.reason ? h('p', { class: 'muted' }, [d.reason, d.message].filter(Boolean).join(': ')) : null,
      d.hint ? h('p', { class: 'hint' }, d.hint) : null,
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Actions' },
        h(
          'form',
          {
            class: 'inline',
            onsubmit: (e) => {
              e.preventDefault();
              const n = Number(scaleInput.value);
              act(`Scaling to ${n}`, () => api('POST', `${svcPath(name)}/scale`, { instances: n }), scaledTo(n));
            },
          },
          h('label', { for: 'scale-n' }, 'Instances'),
          scaleInput,
          h('button', { type: 'submit', id: 'scale' }, 'Scale'),
        ),
        h('button', { type: 'button', id: 'restart', onclick: () => actions.restart() }, 'Restart'),
        d.status === 'Stopped' || d.status === 'Stopping'
          ? h(
              'button',
              {
                type: 'button',
                id: 'start',
                onclick: () => act('Starting', () => api('POST', `${svcPath(name)}/start`), running),
              },
              'Start',
            )
          : h(
              'button',
              {
                type: 'button',
                id: 'stop',
                onclick: () =>
                  act(
                    'Stopping',
                    () => api('POST', `${svcPath(name)}/stop`),
                    (x) => x !== null && x.status === 'Stopped',
                  ),
              },
              'Stop',
            ),
        h('a', { class: 'button', href: `#/edit/${encodeURIComponent(name)}`, id: 'edit' }, 'Edit spec'),
        h('button', { type: 'button', class: 'danger', id: 'delete', onclick: confirmDelete }, 'Delete'),
      ),
    );
  };

  const confirmDelete = () => {
    const input = h('input', { id: 'confirm-name', autocomplete: 'off' });
    const dialog = h(
      'dialog',
      { id: 'delete-dialog', 'aria-labelledby': 'delete-h' },
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (e) => {
            e.preventDefault();
            if (input.value !== name) {
              input.setAttribute('aria-invalid', 'true');
              return;
            }
            dialog.close();
            dialog.remove();
            act(
              `Deleting ${name}`,
              () => api('DELETE', svcPath(name)),
              (d) => d === null,
            );
          },
        },
        h('h2', { id: 'delete-h' }, `Delete ${name}?`),
        h('p', {}, 'Every instance is stopped and the service, its revisions and events are removed.'),
        h('label', { for: 'confirm-name' }, `Type ${name} to confirm`),
        input,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'danger', id: 'confirm-delete' }, 'Delete'),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                dialog.close();
                dialog.remove();
              },
            },
            'Cancel',
          ),
        ),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  };

  const renderAccess = () => {
    // Rendered again only when the token or endpoint change, so "Show" stays as the user left it.
    const key = `${desc.token}\0${desc.endpoint}`;
    if (accessState.key === key) return;
    accessState.key = key;
    access.replaceChildren(...accessCard(desc));
  };
  const renderAutoscaler = () => {
    autoscaler.hidden = !desc.autoscaler;
    if (desc.autoscaler) autoscaler.replaceChildren(...autoscalerCard(desc.autoscaler));
  };

  const refreshCharts = async () => {
    try {
      const hist = await api('GET', `${svcPath(name)}/history`, undefined, abort.signal);
      const p = hist.points;
      replace(
        charts,
        lineChart(
          'Requests per second',
          p,
          [
            { label: '2xx', cls: 's2xx', get: (x) => x.qps['2xx'] },
            { label: '4xx', cls: 's4xx', get: (x) => x.qps['4xx'] },
            { label: '5xx', cls: 's5xx', get: (x) => x.qps['5xx'] },
          ],
          (v) => (v < 10 ? v.toFixed(1) : String(Math.round(v))),
        ),
        lineChart(
          'Latency',
          p,
          [
            { label: 'p50', cls: 'p50', get: (x) => x.p50 },
            { label: 'p99', cls: 'p99', get: (x) => x.p99 },
          ],
          fmtSeconds,
        ),
        lineChart(
          'Instances',
          p,
          [
            { label: 'desired', cls: 'desired', get: (x) => x.desired },
            { label: 'ready', cls: 'readyline', get: (x) => x.ready },
          ],
          (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
        ),
      );
    } catch {
      // the next step tries again
    }
  };

  const refresh = async () => {
    try {
      desc = await api('GET', svcPath(name), undefined, abort.signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !busy) {
        replace(
          root,
          h('h1', {}, name),
          h('p', {}, 'This service does not exist (any more). ', h('a', { href: '#/' }, 'Back to the list')),
        );
        abort.abort();
      }
      return;
    }
    desc.instanceIds = lastIds;
    if (!busy) renderHeader();
    renderAccess();
    renderAutoscaler();
    revisions.update(desc);
  };

  let panels;
  panels = {
    instances: instancesPanel(name, abort.signal, actions, (list) => {
      lastIds = list.map((i) => i.id);
      // Only started instances have a log file to follow.
      panels?.logs.setInstances(list.filter((i) => i.startedAt !== null).map((i) => i.id));
      // The status follows the instances: read it again now rather than at the next poll.
      if (!busy && desc) refresh();
    }),
    events: eventsPanel(name, abort.signal),
    logs: logsPanel(name, abort.signal),
  };
  const revisions = revisionsPanel(name, actions);
  replace(
    root,
    header,
    progress,
    h('div', { class: 'columns' }, access, autoscaler),
    charts,
    panels.instances,
    h('div', { class: 'columns' }, panels.events, panels.logs.el),
    revisions.el,
  );
  header.append(h('p', {}, 'Loading…'));
  refresh();
  refreshCharts();
  timers.push(
    setInterval(refreshCharts, 5000),
    setInterval(() => !busy && refresh(), 3000),
  );
  return () => {
    abort.abort();
    for (const t of timers) clearInterval(t);
    panels.logs.stop();
    document.getElementById('delete-dialog')?.remove();
  };
}
