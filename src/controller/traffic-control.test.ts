/** Revision traffic through LocalControlPlane (issue 17, item 4): a real store and Reconciler over a fake Platform. */

import { afterEach, describe, expect, it } from 'vitest';
import { FakePlatform, observed } from '../../test/support/fake-platform.js';
import { tempDir } from '../../test/support/runtime.js';
import { ManualClock } from '../clock.js';
import { isPierError } from '../errors.js';
import { createEndpointStore } from '../gateway/index.js';
import { openStore, type Store } from '../store/index.js';
import { LocalControlPlane } from './control-plane.js';
import { GatewayRegistry } from './gateways.js';
import { Reconciler } from './reconciler.js';

const spec = { name: 'svc', metadata: { instance: 2 }, containers: [{ command: 'python3 app.py', port: 8000 }] };
const v2 = { containers: [{ command: 'python3 app2.py', port: 8000 }] };

let store: Store | undefined;
let dir: { remove(): void } | undefined;
let running: Reconciler | undefined;
afterEach(async () => {
  await running?.close(false);
  running = undefined;
  store?.close();
  dir?.remove();
});

function setup(kind: 'local' | 'kubernetes' = 'local') {
  const home = tempDir('pier-traffic-');
  dir = home;
  store = openStore({ home: home.path });
  const clock = new ManualClock();
  const platform = new FakePlatform();
  if (kind === 'kubernetes') Object.defineProperty(platform, 'kind', { value: 'kubernetes' });
  const reconciler = new Reconciler({ store, platform, clock, publish: () => undefined });
  running = reconciler;
  const control = new LocalControlPlane({
    store,
    reconciler,
    platform,
    endpoints: createEndpointStore(),
    gateways: new GatewayRegistry({ clock }),
    home: home.path,
    gatewayUrl: 'http://127.0.0.1:8080',
    clock,
  });
  return { store, platform, reconciler, control };
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return isPierError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('revision traffic', () => {
  it('modify with traffic starts a canary: the old revision stays current, the split is 90/10', async () => {
    const t = setup();
    await t.control.create(spec);
    t.platform.observed.set('svc', [
      observed({ id: 'svc-1-a', revision: 1 }),
      observed({ id: 'svc-1-b', revision: 1 }),
    ]);
    const r = await t.control.modify('svc', { patch: v2, traffic: 10 });
    expect(r.newRevision).toBe(true);
    expect(r.service.revision).toBe(1);
    expect(r.service.traffic).toEqual([
      { revision: 1, percent: 90, readyInstances: 2 },
      { revision: 2, percent: 10, readyInstances: 0 },
    ]);
    expect(t.store.listEvents('svc').map((e) => e.reason)).toContain('TrafficSplit');
  });

  it('without a split, desc shows the current revision at 100%', async () => {
    const t = setup();
    await t.control.create(spec);
    expect(t.control.describe('svc').traffic).toEqual([{ revision: 1, percent: 100, readyInstances: 0 }]);
  });

  it('setTraffic changes the split; the current revision alone at 100% ends it', async () => {
    const t = setup();
    await t.control.create(spec);
    await t.control.modify('svc', { patch: v2, traffic: 10 });
    expect(t.control.setTraffic('svc', { '1': 50, '2': 50 }).traffic.map((x) => x.percent)).toEqual([50, 50]);
    t.control.setTraffic('svc', { '1': 100, '2': 0 });
    expect(t.store.traffic.get('svc')).toEqual([]);
    expect(await codeOf(() => t.control.setTraffic('svc', { '1': 50, '3': 50 }))).toBe('BAD_REQUEST');
    expect(await codeOf(() => t.control.setTraffic('nope', { '1': 100 }))).toBe('SERVICE_NOT_FOUND');
  });

  it('promote makes the revision current with 100% and ends the split', async () => {
    const t = setup();
    await t.control.create(spec);
    await t.control.modify('svc', { patch: v2, traffic: 10 });
    const d = t.control.promote('svc', 2);
    expect(d.revision).toBe(2);
    expect(d.traffic).toEqual([{ revision: 2, percent: 100, readyInstances: 0 }]);
    expect(t.store.traffic.get('svc')).toEqual([]);
    expect(t.store.listEvents('svc').map((e) => e.reason)).toContain('Promoted');
    expect(await codeOf(() => t.control.promote('svc', 9))).toBe('REVISION_NOT_FOUND');
  });

  it('a plain modify during a canary ends the split and rolls the new revision out', async () => {
    const t = setup();
    await t.control.create(spec);
    await t.control.modify('svc', { patch: v2, traffic: 10 });
    const r = await t.control.modify('svc', { patch: { containers: [{ command: 'python3 app3.py', port: 8000 }] } });
    expect(r.service.revision).toBe(3);
    expect(t.store.traffic.get('svc')).toEqual([]);
  });

  it('refuses a canary percent out of range, and a canary with nothing changed', async () => {
    const t = setup();
    await t.control.create(spec);
    expect(await codeOf(t.control.modify('svc', { patch: v2, traffic: 100 }))).toBe('BAD_REQUEST');
    expect(await codeOf(t.control.modify('svc', { patch: {}, traffic: 10 }))).toBe('BAD_REQUEST');
    expect(t.store.listRevisions('svc')).toHaveLength(1);
  });

  it('on the Kubernetes platform a split is refused with TRAFFIC_UNSUPPORTED, before any revision is made', async () => {
    const t = setup('kubernetes');
    await t.control.create(spec);
    expect(await codeOf(t.control.modify('svc', { patch: v2, traffic: 10 }))).toBe('TRAFFIC_UNSUPPORTED');
    expect(t.store.listRevisions('svc')).toHaveLength(1);
    await t.control.modify('svc', { patch: v2 });
    expect(await codeOf(() => t.control.setTraffic('svc', { '1': 50, '2': 50 }))).toBe('TRAFFIC_UNSUPPORTED');
  });
});
