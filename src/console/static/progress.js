// An action's progress: poll the service until `done(description)` holds
// (null once the service is gone), showing what it is doing meanwhile.

import { ApiError, api, svcPath } from './api.js';
import { h, replace } from './dom.js';

const LIMIT_MS = 180_000;

export async function settle(region, name, label, done) {
  const started = Date.now();
  region.hidden = false;
  region.className = 'progress busy';
  for (;;) {
    let d = null;
    try {
      d = await api('GET', svcPath(name));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    const what = d
      ? `${d.status}${d.message ? `: ${d.message}` : ''} (${d.instances.ready}/${d.desired} ready, revision ${d.revision})`
      : 'gone';
    if (done(d)) {
      region.className = 'progress ok';
      replace(region, h('strong', {}, `${label}: done.`), ` ${what}`);
      return d;
    }
    if (Date.now() - started > LIMIT_MS) {
      region.className = 'progress bad';
      replace(region, h('strong', {}, `${label}: still not settled after 3 min.`), ` ${what}`);
      return d;
    }
    replace(region, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('strong', {}, `${label}…`), ` ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Settled at `n` ready instances of the current revision, nothing else left. */
export const scaledTo = (n) => (d) =>
  d !== null && d.desired === n && d.instances.ready === n && d.instances.total === n && /Running/.test(d.status);
export const running = (d) => d !== null && d.status === 'Running' && d.instances.total === d.desired;
