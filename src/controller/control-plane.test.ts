/** LocalControlPlane over a real store and Reconciler, with a fake Platform underneath. */

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

let store: Store | undefined;
let dir: { remove(): void } | undefined;
let running: Reconciler | undefined;
afterEach(async () => {
  // The reconciler first: a reconcile it scheduled must not run against a closed store.
  await running?.close(false);
  running = undefined;
  store?.close();
  dir?.remove();
});

function setup() {
  const home = tempDir('pier-control-');
  dir = home;
  store = openStore({ home: home.path });
  const clock = new ManualClock();
  const platform = new FakePlatform();
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

describe('LocalControlPlane', () => {
  it('create stores the service; its instances are what the platform reports, without platform fields', async () => {
    const t = setup();
    const created = await t.control.create(spec);
    expect(created.service).toMatchObject({ name: 'svc', desired: 2, revision: 1 });
    t.platform.observed.set('svc', [observed({ id: 'svc-1-a', revision: 1 })]);
    const views = t.control.instances('svc');
    expect(views.map((v) => v.id)).toEqual(['svc-1-a']);
    expect(views[0]).not.toHaveProperty('terminating');
    expect(views[0]).not.toHaveProperty('replacing');
    expect(t.control.describe('svc').instances).toMatchObject({ total: 1, ready: 1 });
  });

  it('refuses a spec the platform cannot run, with RUNTIME_UNSUPPORTED', async () => {
    const t = setup();
    t.platform.unsupported = 'containers[0].image needs a container runtime';
    const err = await t.control.create(spec).catch((e: unknown) => e);
    expect(isPierError(err) && err.code).toBe('RUNTIME_UNSUPPORTED');
    expect(t.store.getService('svc')).toBeUndefined();
  });

  it('scale writes the desired count and an event; restart goes through the platform', async () => {
    const t = setup();
    await t.control.create(spec);
    await t.control.scale('svc', 5);
    expect(t.store.getService('svc')?.desiredInstances).toBe(5);
    expect(t.store.listEvents('svc').map((e) => e.reason)).toContain('Scaled');
    t.platform.observed.set('svc', [observed({ id: 'svc-1-a', revision: 1 })]);
    await t.control.restart('svc', 'svc-1-a');
    expect(t.platform.calls).toContainEqual({ op: 'replace', service: 'svc', instanceId: 'svc-1-a' });
    const err = await t.control.restart('svc', 'nope').catch((e: unknown) => e);
    expect(isPierError(err) && err.code).toBe('INSTANCE_NOT_FOUND');
  });

  it('delete removes the instances through the platform, then the service', async () => {
    const t = setup();
    await t.control.create(spec);
    t.platform.observed.set('svc', [observed({ id: 'svc-1-a', revision: 1 })]);
    await t.control.delete('svc');
    expect(t.platform.calls).toContainEqual({ op: 'remove', service: 'svc', reason: 'service is being removed' });
    expect(t.store.getService('svc')).toBeUndefined();
    expect(t.reconciler.states.has('svc')).toBe(false);
  });
});
