/**
 * The reconciler against a fake Platform and a ManualClock, as knative's reconciler
 * table tests (pkg/reconciler/revision/table_test.go): each row gives the objects in
 * the store, what the platform observes, injected failures, and the calls, status
 * and events wanted.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { FakePlatform, type FakeCall, observed } from '../../test/support/fake-platform.js';
import { sampleSpec } from '../../test/support/store.js';
import { tempDir } from '../../test/support/runtime.js';
import { ManualClock } from '../clock.js';
import type { EndpointSnapshot } from '../gateway/index.js';
import type { InstanceView } from '../platform/index.js';
import type { ServiceSpec } from '../spec/index.js';
import { openStore, type Store, type TrafficTarget } from '../store/index.js';
import { Reconciler } from './reconciler.js';

interface Row {
  name: string;
  /** Revisions of service "svc", in order; the last is current unless `current` says otherwise. */
  revisions?: ServiceSpec[];
  current?: number;
  desired?: number;
  stopped?: boolean;
  deleting?: boolean;
  /** The service was deleted from the store after the controller knew it. */
  deletedFromStore?: boolean;
  observed?: InstanceView[];
  /** The service's traffic split between revisions. */
  traffic?: TrafficTarget[];
  unsupported?: string;
  applyThrows?: string;
  /** Reconciles once, advances the clock by this much, reconciles again. */
  advanceMs?: number;
  wantCalls: FakeCall[];
  wantStatus?: { status: string; reason?: string };
  wantEvents?: string[];
  wantPaused?: RegExp;
}

const strategy1 = { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0 };
const v1 = sampleSpec('svc');
const v2cmd: ServiceSpec = { ...v1, containers: [{ ...v1.containers[0], command: 'python app2.py' }] };
const v2same: ServiceSpec = { ...v1, metadata: { ...v1.metadata, rpc: { ...v1.metadata.rpc, keepalive: 9000 } } };
const apply = (revision: number, replicas: number, equivalent: number[] = []): FakeCall => ({
  op: 'apply',
  service: 'svc',
  revision,
  replicas,
  strategy: strategy1,
  equivalent,
});

/** An apply with a traffic split: revision 1 stays current, each track at its own count. */
const split = (replicas: number, tracks: [number, number][]): FakeCall => ({
  op: 'apply',
  service: 'svc',
  revision: 1,
  replicas,
  strategy: strategy1,
  equivalent: [],
  tracks,
});

const rows: Row[] = [
  {
    name: 'a new service asks for its replicas of revision 1',
    desired: 2,
    wantCalls: [apply(1, 2)],
    wantStatus: { status: 'Creating' },
  },
  {
    name: 'all instances ready: Running, with an event',
    desired: 2,
    observed: [observed({ id: 'a', revision: 1 }), observed({ id: 'b', revision: 1 })],
    wantCalls: [apply(1, 2)],
    wantStatus: { status: 'Running' },
    wantEvents: ['ServiceRunning'],
  },
  {
    name: 'a stopped service asks for 0',
    desired: 2,
    stopped: true,
    wantCalls: [apply(1, 0)],
    wantStatus: { status: 'Stopped' },
    wantEvents: ['ServiceStopped'],
  },
  {
    name: 'a deleting service asks for 0 while its instances stop',
    desired: 2,
    deleting: true,
    observed: [observed({ id: 'a', revision: 1, terminating: true, state: 'Terminating', ready: false })],
    wantCalls: [apply(1, 0)],
    wantStatus: { status: 'Deleting' },
    wantEvents: ['ServiceDeleting'],
  },
  {
    name: 'a service gone from the store is removed from the platform',
    deletedFromStore: true,
    observed: [observed({ id: 'a', revision: 1 })],
    wantCalls: [{ op: 'remove', service: 'svc', reason: 'service deleted' }],
  },
  {
    name: 'a revision that runs the same joins the old instances in place',
    revisions: [v1, v2same],
    desired: 1,
    observed: [observed({ id: 'a', revision: 1 })],
    wantCalls: [apply(2, 1, [1])],
    // The fake does not retag: until the platform reports revision 2, it is a rollout.
    wantStatus: { status: 'Updating', reason: 'RollingUpdate' },
    wantEvents: ['ServiceUpdating'],
  },
  {
    name: 'a new revision that crash-loops pauses the rollout',
    revisions: [v1, v2cmd],
    desired: 1,
    observed: [
      observed({ id: 'a', revision: 1 }),
      observed({ id: 'b', revision: 2, state: 'CrashLoopBackOff', ready: false, message: 'exited with code 1' }),
    ],
    wantCalls: [apply(2, 1)],
    wantStatus: { status: 'Updating', reason: 'RolloutPaused' },
    wantEvents: ['RolloutPaused', 'ServiceUpdating'],
    wantPaused: /revision 2 is crash-looping \(b: exited with code 1\)/,
  },
  {
    name: 'a new revision that never gets ready pauses at the progress deadline',
    revisions: [v1, v2cmd],
    desired: 1,
    observed: [observed({ id: 'a', revision: 1 }), observed({ id: 'b', revision: 2, state: 'Starting', ready: false })],
    advanceMs: 601_000,
    wantCalls: [apply(2, 1), apply(2, 1)],
    wantStatus: { status: 'Updating', reason: 'RolloutPaused' },
    wantEvents: ['ServiceUpdating', 'RolloutPaused'],
    wantPaused: /ProgressDeadlineExceeded/,
  },
  {
    name: 'a canary at 10%: each revision of the split at its own count, revision 1 still current',
    revisions: [v1, v2cmd],
    current: 1,
    desired: 2,
    traffic: [
      { revision: 1, percent: 90 },
      { revision: 2, percent: 10 },
    ],
    observed: [observed({ id: 'a', revision: 1 }), observed({ id: 'b', revision: 1 })],
    wantCalls: [
      split(3, [
        [1, 2],
        [2, 1],
      ]),
    ],
    wantStatus: { status: 'Creating' },
  },
  {
    name: 'every revision of the split at its count and ready: Running, no rollout',
    revisions: [v1, v2cmd],
    current: 1,
    desired: 2,
    traffic: [
      { revision: 1, percent: 90 },
      { revision: 2, percent: 10 },
    ],
    observed: [
      observed({ id: 'a', revision: 1 }),
      observed({ id: 'b', revision: 1 }),
      observed({ id: 'c', revision: 2 }),
    ],
    advanceMs: 601_000,
    wantCalls: [
      split(3, [
        [1, 2],
        [2, 1],
      ]),
      split(3, [
        [1, 2],
        [2, 1],
      ]),
    ],
    wantStatus: { status: 'Running' },
    wantEvents: ['ServiceRunning'],
  },
  {
    name: 'a revision left out of the split is an update in progress',
    revisions: [v1, v2cmd],
    current: 1,
    desired: 2,
    traffic: [{ revision: 2, percent: 100 }],
    observed: [observed({ id: 'a', revision: 1 }), observed({ id: 'c', revision: 2 })],
    wantCalls: [split(2, [[2, 2]])],
    wantStatus: { status: 'Updating', reason: 'RollingUpdate' },
    wantEvents: ['ServiceUpdating'],
  },
  {
    name: 'a spec the platform cannot run is not applied and fails',
    desired: 1,
    unsupported: 'containers[0].image needs a container runtime',
    wantCalls: [],
    wantStatus: { status: 'Failed', reason: 'Unsupported' },
    wantEvents: ['ServiceFailed'],
  },
  {
    name: 'an apply that throws is an event, once, and retried',
    desired: 1,
    applyThrows: 'the API server is unreachable',
    advanceMs: 1000,
    wantCalls: [apply(1, 1), apply(1, 1)],
    wantStatus: { status: 'Creating' },
    wantEvents: ['ApplyFailed'],
  },
];

let store: Store | undefined;
let dir: { remove(): void } | undefined;
let running: Reconciler | undefined;
afterEach(async () => {
  // The reconciler first: a reconcile it scheduled must not run against a closed store.
  await running?.close(false);
  running = undefined;
  store?.close();
  dir?.remove();
  store = undefined;
});

describe('Reconciler.reconcile', () => {
  it.each(rows)('$name', (row) => {
    const home = tempDir('pier-reconciler-');
    dir = home;
    store = openStore({ home: home.path });
    const clock = new ManualClock();
    const platform = new FakePlatform();
    const published: EndpointSnapshot[] = [];
    const reconciler = new Reconciler({ store, platform, clock, publish: (s) => published.push(s) });
    running = reconciler;
    const [first, ...later] = row.revisions ?? [v1];
    store.createService({
      name: 'svc',
      token: 't',
      spec: first as ServiceSpec,
      desiredInstances: row.desired ?? 1,
      summary: 'initial',
    });
    for (const spec of later) store.addRevision('svc', spec, 'changed');
    const current = row.current ?? row.revisions?.length ?? 1;
    store.updateService('svc', {
      revision: current,
      ...(row.stopped ? { stopped: true } : {}),
      ...(row.deleting ? { deleting: true } : {}),
    });
    reconciler.state('svc');
    if (row.deletedFromStore) store.deleteService('svc');
    if (row.observed) platform.observed.set('svc', row.observed);
    if (row.traffic) store.traffic.set('svc', row.traffic);
    platform.unsupported = row.unsupported ?? null;
    if (row.applyThrows) platform.applyError = new Error(row.applyThrows);
    const eventsBefore = row.deletedFromStore ? 0 : store.listEvents('svc').length;

    reconciler.reconcile('svc');
    if (row.advanceMs !== undefined) {
      clock.advance(row.advanceMs);
      reconciler.reconcile('svc');
    }

    expect(platform.calls).toEqual(row.wantCalls);
    const state = reconciler.states.get('svc');
    if (row.deletedFromStore) {
      expect(state).toBeUndefined();
      return;
    }
    if (row.wantStatus) expect(state?.status).toMatchObject(row.wantStatus);
    const events = store
      .listEvents('svc')
      .slice(eventsBefore)
      .map((e) => e.reason);
    expect(events).toEqual(row.wantEvents ?? []);
    if (row.wantPaused) expect(state?.pausedReason).toMatch(row.wantPaused);
  });
});

describe('Reconciler endpoints and restarts', () => {
  it('publishes the platform ready endpoints, and a restart marks instances through the platform', () => {
    const home = tempDir('pier-reconciler-');
    dir = home;
    store = openStore({ home: home.path });
    const platform = new FakePlatform();
    const published: EndpointSnapshot[] = [];
    const reconciler = new Reconciler({ store, platform, clock: new ManualClock(), publish: (s) => published.push(s) });
    running = reconciler;
    store.createService({ name: 'svc', token: 't', spec: v1, desiredInstances: 2, summary: 'initial' });
    platform.observed.set('svc', [
      observed({ id: 'a', revision: 1, address: '127.0.0.1:40001' }),
      observed({ id: 'b', revision: 1, ready: false, state: 'Starting' }),
    ]);
    reconciler.publishSnapshot();
    expect(published.at(-1)?.services.svc?.endpoints.map((e) => [e.instanceId, e.port])).toEqual([['a', 40001]]);
    expect(reconciler.markForReplacement('svc')).toEqual(['a', 'b']);
    expect(platform.calls).toContainEqual({ op: 'replace', service: 'svc' });
    expect(reconciler.instances('svc').every((v) => v.replacing)).toBe(true);
  });

  it('publishes the traffic split with the route, and endpoints keep their revision', () => {
    const home = tempDir('pier-reconciler-');
    dir = home;
    store = openStore({ home: home.path });
    const platform = new FakePlatform();
    const published: EndpointSnapshot[] = [];
    const reconciler = new Reconciler({ store, platform, clock: new ManualClock(), publish: (s) => published.push(s) });
    running = reconciler;
    store.createService({ name: 'svc', token: 't', spec: v1, desiredInstances: 2, summary: 'initial' });
    store.addRevision('svc', v2cmd, 'changed');
    platform.observed.set('svc', [
      observed({ id: 'a', revision: 1, address: '127.0.0.1:40001' }),
      observed({ id: 'c', revision: 2, address: '127.0.0.1:40002' }),
    ]);
    reconciler.publishSnapshot();
    expect(published.at(-1)?.services.svc?.traffic).toBeUndefined();
    store.traffic.set('svc', [
      { revision: 1, percent: 90 },
      { revision: 2, percent: 10 },
    ]);
    reconciler.publishSnapshot();
    const route = published.at(-1)?.services.svc;
    expect(route?.traffic).toEqual([
      { revision: 1, percent: 90 },
      { revision: 2, percent: 10 },
    ]);
    expect(route?.endpoints.map((e) => [e.instanceId, e.revision])).toEqual([
      ['a', 1],
      ['c', 2],
    ]);
  });
});
